//! A blocking SendCloud SMS client over [ureq] 3, driving the sans-IO core
//! [`sendcloud_proto`].
//!
//! Timeouts are on by default, certificates are verified (rustls with the Mozilla roots),
//! every send gets a sendRequestId so that retries never send twice, and a `461` makes the
//! client learn the server's clock and try again.
//!
//! ```no_run
//! use sendcloud_ureq::Client;
//! use sendcloud_ureq::proto::{Recipients, SendTemplate, TemplateId, Vars};
//!
//! let client = Client::builder("my-sms-user", "my-sms-key").build()?;
//! let mut vars = Vars::new();
//! vars.insert("code", "123456")?;
//! let receipt = client.send(
//!     SendTemplate::new(TemplateId::new(42)?, Recipients::parse("13800000000")?).with_vars(vars),
//! )?;
//! println!("sent: {:?}", receipt.sms_ids);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

use std::fmt;
use std::hash::BuildHasher;
use std::time::SystemTime;

pub use sendcloud_proto as proto;
use sendcloud_proto::BoxError;
use sendcloud_proto::{
    call_entropy, BatchError, Batches, BulkReport, BulkTemplate, ClientConfig, Endpoint,
    GetServerTime, Next, Phone, SendCode, SendReceipt, SendTemplate, SendVoice, ServerTime,
    Session, Timestamp, TransportFailure,
};

pub use sendcloud_proto::ClientError as Error;

/// Settings of a [`Client`], with safe defaults. Its Debug output shows no key and no
/// proxy password.
pub type ClientBuilder = sendcloud_proto::ClientBuilder<Ureq>;

/// The transport of [`ClientBuilder`]: ureq's agent, with rustls and the Mozilla roots.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ureq;

impl sendcloud_proto::Transport for Ureq {
    type Client = Client;

    fn build(self, config: ClientConfig) -> Result<Client, Error> {
        let session = Session::from_config(&config, seed())?;
        let proxy = match config.proxy_url(|k| std::env::var(k).ok()) {
            Some(p) => Some(ureq::Proxy::new(&p).map_err(|e| {
                Error::Config(format!("proxy {}: {e}", sendcloud_proto::redact_url(&p)))
            })?),
            None => None,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .user_agent(sendcloud_proto::USER_AGENT_VALUE)
            .max_redirects(0)
            .proxy(proxy)
            .build()
            .into();
        let limit = config.max_response_bytes as u64;
        let exchange = move |request: http::Request<Vec<u8>>| {
            let mut response = agent.run(request).map_err(classify)?;
            let body = response
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .map_err(classify)?;
            let (parts, _) = response.into_parts();
            Ok(http::Response::from_parts(parts, body))
        };
        Ok(Client {
            session,
            exchange: Box::new(exchange),
        })
    }
}

/// A transport that answers every request with a function, in this process: the sandbox
/// (`sendcloud_sandbox::Sandbox::handle`) or a test double. Nothing is sent anywhere; the
/// client signs, retries and parses as over the network.
///
/// ```
/// use sendcloud_ureq::proto::{http, GetServerTime};
/// use sendcloud_ureq::{Client, Handler};
///
/// let answer = |_request: http::Request<Vec<u8>>| {
///     http::Response::new(br#"{"result":true,"statusCode":200,"info":{"timestamp":42}}"#.to_vec())
/// };
/// let client = Client::builder("user", "key").transport(Handler(answer)).build()?;
/// assert_eq!(client.call(GetServerTime)?.0.as_millis(), 42);
/// # Ok::<(), sendcloud_ureq::Error>(())
/// ```
pub struct Handler<F>(pub F);

impl<F> fmt::Debug for Handler<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Handler")
    }
}

impl<F> sendcloud_proto::Transport for Handler<F>
where
    F: Fn(http::Request<Vec<u8>>) -> http::Response<Vec<u8>> + Send + Sync + 'static,
{
    type Client = Client;

    fn build(self, config: ClientConfig) -> Result<Client, Error> {
        let session = Session::from_config(&config, seed())?;
        let answer = self.0;
        Ok(Client {
            session,
            exchange: Box::new(move |request| Ok(answer(request))),
        })
    }
}

/// What an [`Observed`] transport shows: a request as it is sent (signed: it holds the
/// signature, never the key), then its answer, or why none came.
#[derive(Debug)]
pub enum Traffic<'a> {
    /// A request, as it is sent.
    Request(&'a http::Request<Vec<u8>>),
    /// The answer to the last request.
    Response(&'a http::Response<Vec<u8>>),
    /// No answer came to the last request.
    Failure(&'a (dyn std::error::Error + Send + Sync)),
}

/// A transport that shows every exchange of transport `T` to a function: each request as
/// it is sent and each answer as it arrives (a retry shows again). For a verbose mode, or
/// a log of what went over the wire.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use sendcloud_ureq::proto::{http, GetServerTime};
/// use sendcloud_ureq::{Client, Handler, Observed, Traffic};
///
/// let answer = |_request: http::Request<Vec<u8>>| {
///     http::Response::new(br#"{"result":true,"statusCode":200,"info":{"timestamp":42}}"#.to_vec())
/// };
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let show = move |t: Traffic<'_>| {
///     let line = match t {
///         Traffic::Request(r) => format!("{} {}", r.method(), r.uri()),
///         Traffic::Response(r) => r.status().to_string(),
///         Traffic::Failure(e) => e.to_string(),
///     };
///     log.lock().unwrap().push(line);
/// };
/// let client = Client::builder("user", "key")
///     .base_url("http://127.0.0.1:1/smsapi")
///     .transport(Observed(Handler(answer), show))
///     .build()?;
/// client.call(GetServerTime)?;
/// assert_eq!(
///     *seen.lock().unwrap(),
///     ["GET http://127.0.0.1:1/smsapi/timestamp/get", "200 OK"]
/// );
/// # Ok::<(), sendcloud_ureq::Error>(())
/// ```
pub struct Observed<T, F>(pub T, pub F);

impl<T: fmt::Debug, F> fmt::Debug for Observed<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Observed")
            .field(&self.0)
            .finish_non_exhaustive()
    }
}

impl<T, F> sendcloud_proto::Transport for Observed<T, F>
where
    T: sendcloud_proto::Transport<Client = Client>,
    F: Fn(Traffic<'_>) + Send + Sync + 'static,
{
    type Client = Client;

    fn build(self, config: ClientConfig) -> Result<Client, Error> {
        let Observed(transport, show) = self;
        let mut client = transport.build(config)?;
        let exchange = client.exchange;
        client.exchange = Box::new(move |request| {
            show(Traffic::Request(&request));
            let result = exchange(request);
            match &result {
                Ok(response) => show(Traffic::Response(response)),
                Err((_, e)) => show(Traffic::Failure(e.as_ref())),
            }
            result
        });
        Ok(client)
    }
}

/// How a client exchanges one request for its answer.
type Exchange = dyn Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, (TransportFailure, BoxError)>
    + Send
    + Sync;

/// 128 bits from the standard library's per-process random keys, for the session's ids.
fn seed() -> u128 {
    let state = std::collections::hash_map::RandomState::new();
    (u128::from(state.hash_one(1u8)) << 64) | u128::from(state.hash_one(2u8))
}

/// A blocking SendCloud client. Cheap to share between threads (`&Client` is enough).
pub struct Client {
    session: Session,
    exchange: Box<Exchange>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Settings for a client of `sms_user` with `sms_key`.
    pub fn builder(sms_user: impl Into<String>, sms_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(sms_user, sms_key, Ureq)
    }

    /// The sans-IO core this client drives.
    pub fn core(&self) -> &sendcloud_proto::Client {
        self.session.client()
    }

    /// The learned offset of the server's clock from this machine's, in ms.
    pub fn clock_offset_ms(&self) -> i64 {
        self.session.clock_offset_ms()
    }

    /// Sends a template SMS or MMS.
    pub fn send(&self, send: SendTemplate) -> Result<SendReceipt, Error> {
        self.call(send)
    }

    /// Sends a voice verification code.
    pub fn send_voice(&self, voice: SendVoice) -> Result<SendReceipt, Error> {
        self.call(voice)
    }

    /// Sends an SMS verification code.
    pub fn send_code(&self, code: SendCode) -> Result<SendReceipt, Error> {
        self.call(code)
    }

    /// Reads the server's clock, and keeps the offset for later requests.
    pub fn server_time(&self) -> Result<ServerTime, Error> {
        let sent = local_now();
        let t = self.call(GetServerTime)?;
        self.session.learn_clock(t, sent, local_now());
        Ok(t)
    }

    /// Sends one template to any number of recipients, in batches of at most 2,000 with
    /// sendRequestIds `{base_id}-{n}`, one after another, reading the numbers as it goes
    /// (memory stays bounded). `progress` sees the report after each batch.
    pub fn send_bulk<I>(
        &self,
        template: BulkTemplate,
        base_id: &str,
        phones: I,
        mut progress: impl FnMut(&BulkReport),
    ) -> Result<BulkReport, Error>
    where
        I: IntoIterator<Item = Phone>,
    {
        let mut report = BulkReport::default();
        for batch in Batches::new(template, base_id, phones)? {
            let (request, ticket) = batch.into_parts()?;
            let result = self.call(request);
            report.record_batch(&ticket, result.as_ref().map_err(|e| e as &dyn BatchError));
            progress(&report);
        }
        Ok(report)
    }

    /// Runs any endpoint through the retry policy.
    ///
    /// ```no_run
    /// use sendcloud_ureq::proto::{GetTemplate, TemplateId};
    /// let client = sendcloud_ureq::Client::builder("my-sms-user", "my-sms-key").build()?;
    /// let template = client.call(GetTemplate(TemplateId::new(42)?))?;
    /// println!("{}: {}", template.name, template.content);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call<E: Endpoint>(&self, endpoint: E) -> Result<E::Output, Error> {
        let mut call = self.session.start(endpoint, || {
            call_entropy(std::process::id(), SystemTime::now())
        });
        loop {
            let request = self.session.request(&mut call, local_now)?;
            let span = tracing::debug_span!(
                "sendcloud.request",
                endpoint = E::PATH,
                attempt = call.attempts(),
                phone = tracing::field::Empty,
            );
            let _enter = span.enter();
            if !span.is_disabled() {
                if let Some(phone) = call.masked_phone() {
                    span.record("phone", phone);
                }
            }
            let started = std::time::Instant::now();
            let next = match (self.exchange)(request) {
                Ok(response) => {
                    let next = self.session.on_response(&mut call, &response);
                    tracing::debug!(
                        http_status = response.status().as_u16(),
                        status_code = call.status().map(|s| s.code()),
                        latency_ms = started.elapsed().as_millis() as u64,
                        "answer"
                    );
                    next
                }
                Err((kind, source)) => {
                    tracing::debug!(?kind, message = %source, "transport failure");
                    match self.session.on_transport_failure(&mut call, kind) {
                        Some(delay) => Next::Retry(delay),
                        None => {
                            return Err(Error::Transport {
                                kind,
                                message: source.to_string(),
                                source: Some(source),
                            })
                        }
                    }
                }
            };
            match next {
                Next::Done(result) => return result.map_err(Error::from),
                Next::Retry(delay) => std::thread::sleep(delay),
                Next::ResyncClock => {
                    self.server_time()?;
                    call.clock_resynced();
                }
            }
        }
    }
}

fn classify(e: ureq::Error) -> (TransportFailure, BoxError) {
    let kind = match &e {
        ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
            TransportFailure::Connect
        }
        ureq::Error::Timeout(_) => TransportFailure::Timeout,
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => TransportFailure::Connect,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            TransportFailure::Connect
        }
        _ => TransportFailure::Io,
    };
    (kind, Box::new(e))
}

/// This machine's clock as UNIX milliseconds.
pub fn local_now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}
