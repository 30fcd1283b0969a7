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

mod beyond;

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub use sendcloud_proto as proto;
use sendcloud_proto::driver::{clock_offset, generated_request_id, Call, Next};
use sendcloud_proto::{
    mask_phone, BatchError, Batches, BulkReport, BulkTemplate, Endpoint, GetServerTime, Phone,
    RetryPolicy, SendCode, SendReceipt, SendTemplate, SendVoice, ServerTime, Timestamp,
    TransportFailure,
};

pub use sendcloud_proto::transport::ClientError as Error;

/// Settings of a [`Client`], with safe defaults. Its Debug output shows no key and no
/// proxy password.
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    settings: sendcloud_proto::transport::ClientSettings,
}

impl ClientBuilder {
    sendcloud_proto::client_settings_methods!();

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let core = self.settings.core_client()?;
        let proxy = match self.settings.proxy_url(|k| std::env::var(k).ok()) {
            Some(p) => Some(ureq::Proxy::new(&p).map_err(|e| {
                Error::Config(format!(
                    "proxy {}: {e}",
                    sendcloud_proto::transport::redact_url(&p)
                ))
            })?),
            None => None,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(self.settings.connect_timeout))
            .timeout_global(Some(self.settings.timeout))
            .user_agent(sendcloud_proto::USER_AGENT_VALUE)
            .max_redirects(0)
            .proxy(proxy)
            .build()
            .into();
        Ok(Client {
            core,
            agent,
            retry: self.settings.retry,
            max_response_bytes: self.settings.max_response_bytes as u64,
            clock_offset_ms: AtomicI64::new(0),
            counter: AtomicU64::new(0),
            seed: std::collections::hash_map::RandomState::new(),
        })
    }
}

/// A blocking SendCloud client. Cheap to share between threads (`&Client` is enough).
pub struct Client {
    core: sendcloud_proto::Client,
    agent: ureq::Agent,
    retry: RetryPolicy,
    max_response_bytes: u64,
    clock_offset_ms: AtomicI64,
    counter: AtomicU64,
    seed: std::collections::hash_map::RandomState,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("core", &self.core)
            .field("retry", &self.retry)
            .field("clock_offset_ms", &self.clock_offset_ms)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Settings for a client of `sms_user` with `sms_key`.
    pub fn builder(sms_user: impl Into<String>, sms_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            settings: sendcloud_proto::transport::ClientSettings::new(sms_user, sms_key),
        }
    }

    /// The sans-IO core this client drives.
    pub fn core(&self) -> &sendcloud_proto::Client {
        &self.core
    }

    /// The learned offset of the server's clock from this machine's, in ms.
    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
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
        let received = local_now();
        self.clock_offset_ms
            .store(clock_offset(t.0, sent, received), Ordering::Relaxed);
        Ok(t)
    }

    /// Sends one template to any number of recipients, in batches of at most 2,000 with
    /// sendRequestIds `{base_id}-{n}`, reading the numbers as it goes (memory stays bounded).
    /// `progress` sees the report after each batch.
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
            let id = batch
                .request
                .send_request_id()
                .cloned()
                .expect("batches carry ids");
            let recipients = batch.request.recipients().clone();
            let result = self.call(batch.request);
            report.record(
                batch.index,
                &id,
                &recipients,
                batch.duplicates.len(),
                result.as_ref().map_err(|e| e as &dyn BatchError),
            );
            progress(&report);
        }
        Ok(report)
    }

    fn jitter(&self) -> f64 {
        let mut h = self.seed.build_hasher();
        h.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        (h.finish() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn random_id(&self) -> sendcloud_proto::SendRequestId {
        let mut h = self.seed.build_hasher();
        h.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        let hi = h.finish();
        h.write_u128(local_now().0 as u128);
        let lo = h.finish();
        generated_request_id(((hi as u128) << 64) | lo as u128)
    }

    fn now(&self) -> Timestamp {
        local_now().offset_by(self.clock_offset_ms())
    }

    /// Runs any endpoint through the retry policy.
    pub fn call<E: Endpoint>(&self, endpoint: E) -> Result<E::Output, Error> {
        let mut call = Call::new(endpoint, self.retry, || self.random_id());
        loop {
            let request = call.request_at(&self.core, || self.now())?;
            let span = tracing::debug_span!(
                "sendcloud.request",
                endpoint = E::PATH,
                attempt = call.attempts(),
                phone = tracing::field::Empty,
            );
            let _enter = span.enter();
            if tracing::enabled!(tracing::Level::DEBUG) {
                if let Some(phone) = sendcloud_proto::Form::decode(request.body()).get("phone") {
                    span.record("phone", mask_phone(phone.split(',').next().unwrap_or("")));
                }
            }
            let started = std::time::Instant::now();
            match self.exchange(request) {
                Ok(response) => {
                    tracing::debug!(
                        http_status = response.status().as_u16(),
                        status_code = sendcloud_proto::Envelope::decode(response.body())
                            .ok()
                            .map(|e| e.status.code()),
                        latency_ms = started.elapsed().as_millis() as u64,
                        "answer"
                    );
                    match call.on_response(&response, || self.jitter()) {
                        Next::Done(result) => return result.map_err(Error::from),
                        Next::Retry(delay) => std::thread::sleep(delay),
                        Next::ResyncClock => {
                            self.server_time()?;
                            call.clock_resynced();
                        }
                    }
                }
                Err((kind, message)) => {
                    tracing::debug!(?kind, %message, "transport failure");
                    match call.on_transport_failure(kind, || self.jitter()) {
                        Some(delay) => std::thread::sleep(delay),
                        None => return Err(Error::Transport { kind, message }),
                    }
                }
            }
        }
    }

    fn exchange(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, (TransportFailure, String)> {
        let mut response = self.agent.run(request).map_err(classify)?;
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_response_bytes)
            .read_to_vec()
            .map_err(classify)?;
        let (parts, _) = response.into_parts();
        Ok(http::Response::from_parts(parts, body))
    }
}

fn classify(e: ureq::Error) -> (TransportFailure, String) {
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
    (kind, e.to_string())
}

/// This machine's clock as UNIX milliseconds.
pub fn local_now() -> Timestamp {
    Timestamp(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    )
}
