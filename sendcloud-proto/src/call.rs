//! One call from first attempt to final outcome, as a sans-IO state machine: transports
//! feed it answers and failures and do what it says (send, wait, resync the clock).
//!
//! ```
//! use sendcloud_proto::*;
//! use sendcloud_proto::{Call, Next};
//! let client = Client::new(Credentials::new("u", "k")?);
//! let send = SendTemplate::new(TemplateId::new(1)?, Recipients::parse("13800000000")?);
//! // No sendRequestId given: the call fills one in, so its retries are safe.
//! let mut call = Call::new(send, RetryPolicy::default(), || SendRequestId::new("sc-1").unwrap());
//! let _request = call.request(&client, Timestamp(1))?;
//! let next = call.on_response(&http::Response::new(r#"{"result":false,"statusCode":501}"#), || 0.0);
//! assert!(matches!(next, Next::Retry(_)));
//! let _again = call.request(&client, Timestamp(2))?;
//! let next = call.on_response(&http::Response::new(r#"{"result":false,"statusCode":400}"#), || 0.0);
//! assert!(matches!(next, Next::Done(Ok(r)) if r.already_accepted));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use crate::client::Client;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::form::Form;
use crate::phone::mask_phone;
use crate::response::decode_response;
use crate::retry::{AttemptContext, AttemptOutcome, Decision, RetryPolicy, TransportFailure};
use crate::status::StatusCode;
use crate::values::{SendRequestId, Timestamp};

/// What the transport does next.
#[derive(Debug)]
pub enum Next<T> {
    /// The call is over.
    Done(Result<T, Error>),
    /// Wait this long, then send [`Call::request`] again.
    Retry(Duration),
    /// Get the server's time (`timestamp/get`), call [`Call::clock_resynced`] with the
    /// new offset applied, then send [`Call::request`] again at once.
    ResyncClock,
}

/// One API call and its retries.
#[derive(Debug)]
pub struct Call<E> {
    endpoint: E,
    policy: RetryPolicy,
    attempt: u32,
    clock_resynced: bool,
    maybe_processed: bool,
    status: Option<StatusCode>,
}

impl<E: Endpoint> Call<E> {
    /// Starts a call. When the endpoint can carry a sendRequestId and has none, `make_id`
    /// supplies one (the transport's randomness), so that a retry is never processed twice.
    pub fn new(
        mut endpoint: E,
        policy: RetryPolicy,
        make_id: impl FnOnce() -> SendRequestId,
    ) -> Self {
        if E::CARRIES_SEND_REQUEST_ID && endpoint.send_request_id().is_none() {
            endpoint.set_send_request_id(make_id());
        }
        Call::without_generated_id(endpoint, policy)
    }

    /// Starts a call that never gets a generated sendRequestId.
    pub fn without_generated_id(endpoint: E, policy: RetryPolicy) -> Self {
        Call {
            endpoint,
            policy,
            attempt: 0,
            clock_resynced: false,
            maybe_processed: false,
            status: None,
        }
    }

    /// The endpoint, with the sendRequestId the call uses.
    pub fn endpoint(&self) -> &E {
        &self.endpoint
    }

    /// The `statusCode` of the last answer, when it had one (for logs).
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The first recipient of the call, masked (`138****0000`), for logs; `None` for a
    /// call without recipients.
    pub fn masked_phone(&self) -> Option<String> {
        let mut form = Form::new();
        self.endpoint.params(&mut form);
        let phones = form.get("phone")?;
        Some(mask_phone(phones.split(',').next().unwrap_or("")))
    }

    /// How many attempts have been made.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The next attempt's request, signed at `now` (the caller's clock plus any known
    /// offset to the server's).
    pub fn request(
        &mut self,
        client: &Client,
        now: Timestamp,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        self.request_at(client, || now)
    }

    /// The same, reading the time from `clock` only when the request is signed (an
    /// unsigned request, such as `timestamp/get`, carries no time).
    pub fn request_at(
        &mut self,
        client: &Client,
        clock: impl FnOnce() -> Timestamp,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        self.attempt += 1;
        let now = if E::SIGNED { clock() } else { Timestamp(0) };
        client.prepare(&self.endpoint, now)
    }

    /// Marks that the transport has learned the server's clock after [`Next::ResyncClock`].
    pub fn clock_resynced(&mut self) {
        self.clock_resynced = true;
    }

    fn context(&self, jitter: impl FnOnce() -> f64) -> AttemptContext {
        AttemptContext {
            attempt: self.attempt.max(1),
            idempotent: self.endpoint.is_idempotent(),
            clock_resynced: self.clock_resynced,
            maybe_processed: self.maybe_processed,
            jitter: jitter(),
        }
    }

    /// Feeds the answer to the last request. `jitter` gives a random number in `[0, 1)`;
    /// it is called only when a retry is considered.
    pub fn on_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        jitter: impl FnOnce() -> f64,
    ) -> Next<E::Output> {
        let result = match decode_response(response) {
            Ok(envelope) => {
                self.status = Some(envelope.status);
                E::parse(envelope)
            }
            Err(e) => {
                self.status = e.status();
                Err(e)
            }
        };
        let outcome = match &result {
            Ok(_) => return Next::Done(result),
            Err(e) => AttemptOutcome::Error(e),
        };
        let decision = self.policy.decide(&self.context(jitter), outcome);
        if let Err(e) = &result {
            self.maybe_processed |= may_have_been_processed(e);
        }
        match decision {
            Decision::Retry { after } => Next::Retry(after),
            Decision::ResyncClock => Next::ResyncClock,
            Decision::AlreadyAccepted => match self.endpoint.already_accepted() {
                Some(out) => Next::Done(Ok(out)),
                None => Next::Done(result),
            },
            Decision::Done | Decision::GiveUp => Next::Done(result),
        }
    }

    /// Feeds a transport failure of the last request: `Some(delay)` to retry after it,
    /// `None` to give up and report the failure.
    pub fn on_transport_failure(
        &mut self,
        failure: TransportFailure,
        jitter: impl FnOnce() -> f64,
    ) -> Option<Duration> {
        let decision = self
            .policy
            .decide(&self.context(jitter), AttemptOutcome::Transport(failure));
        if failure != TransportFailure::Connect {
            self.maybe_processed = true;
        }
        match decision {
            Decision::Retry { after } => Some(after),
            _ => None,
        }
    }
}

/// Whether SendCloud may have processed a request that got this answer: a server error
/// or an unreadable answer leaves it open; a refusal (a 4xx status code) does not.
fn may_have_been_processed(e: &Error) -> bool {
    match e {
        Error::Api { status, .. } => status.retry_class() == crate::status::RetryClass::Retryable,
        Error::Http { status, .. } => *status >= 500,
        Error::Decode { .. } => true,
        _ => false,
    }
}
