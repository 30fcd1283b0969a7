//! The trait every API call implements.

use http::Method;

use crate::error::Error;
use crate::form::Form;
use crate::response::Envelope;
use crate::values::SendRequestId;

/// One call of the SendCloud SMS API: where it goes, what it sends, what it returns.
///
/// Adding an endpoint is one new module under `api/` with one impl of this trait.
pub trait Endpoint {
    /// The path below the base URL, e.g. `"send"` or `"timestamp/get"`.
    const PATH: &'static str;
    /// The HTTP method.
    const METHOD: Method;
    /// Whether the request carries `smsUser`, `timestamp` and `signature`.
    const SIGNED: bool = true;
    /// Whether sending the request twice is harmless by its nature (reads).
    const SAFE_TO_REPEAT: bool = false;
    /// Whether the request can carry a `sendRequestId` (the send calls): a transport then
    /// fills one in when the caller gave none, so that its retries are safe.
    const CARRIES_SEND_REQUEST_ID: bool = false;
    /// What a successful answer decodes to.
    type Output;

    /// Writes the call's own parameters (not `smsUser`, `timestamp` or `signature`). The
    /// form may borrow from `self`.
    fn params<'a>(&'a self, form: &mut Form<'a>);

    /// Decodes the `info` of a successful answer.
    fn parse(envelope: Envelope<'_>) -> Result<Self::Output, Error>;

    /// The idempotency key the request carries, if any.
    fn send_request_id(&self) -> Option<&SendRequestId> {
        None
    }

    /// Sets the idempotency key; returns false when this call has none to set.
    fn set_send_request_id(&mut self, _id: SendRequestId) -> bool {
        false
    }

    /// The outcome to report when a retry is answered `400 duplicate request`: an earlier
    /// attempt was processed. `None` (the default) reports the 400 as an error.
    fn already_accepted(&self) -> Option<Self::Output> {
        None
    }

    /// Whether a retry of this request can never be processed twice.
    fn is_idempotent(&self) -> bool {
        Self::SAFE_TO_REPEAT || self.send_request_id().is_some()
    }
}
