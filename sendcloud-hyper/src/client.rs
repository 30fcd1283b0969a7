//! The async client.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::future::Either;
use futures_util::stream::{self, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sendcloud_proto::{
    call_entropy, BatchError, Batches, BulkReport, BulkTemplate, ClientConfig, Endpoint,
    GetServerTime, Next, Phone, SendCode, SendReceipt, SendTemplate, SendVoice, ServerTime,
    Session, Timestamp, TransportFailure,
};
use tower::ServiceExt;
use tracing::Instrument;

/// A boxed error, as tower services give them.
pub use sendcloud_proto::BoxError;

/// The default HTTP service: hyper-util's pooled client over rustls (ring, Mozilla roots).
pub type DefaultService = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<crate::proxy::ProxyConnector>,
    Full<Bytes>,
>;

pub use sendcloud_proto::ClientError as Error;

/// Settings of a [`Client`], with safe defaults. Its Debug output shows no key and no
/// proxy password. `.transport(WithService(service))` builds the client over your own
/// HTTP service instead of the default one.
pub type ClientBuilder<T = Hyper> = sendcloud_proto::ClientBuilder<T>;

/// The default transport: hyper-util's pooled client over rustls ([`DefaultService`]).
/// Building it needs a Tokio runtime.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hyper;

impl sendcloud_proto::Transport for Hyper {
    type Client = Client<DefaultService>;

    fn build(self, config: ClientConfig) -> Result<Client<DefaultService>, Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));
        let proxy = config.proxy_url(|k| std::env::var(k).ok());
        let connector =
            crate::proxy::ProxyConnector::new(http, proxy.as_deref()).map_err(Error::Config)?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let service = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(32)
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https);
        WithService(service).build(config)
    }
}

/// A transport over your own HTTP service (a tower `Service`, with your layers).
#[derive(Clone, Debug)]
pub struct WithService<S>(pub S);

impl<S> sendcloud_proto::Transport for WithService<S> {
    type Client = Client<S>;

    fn build(self, config: ClientConfig) -> Result<Client<S>, Error> {
        let session = Session::from_config(&config, seed())?;
        Ok(Client {
            inner: Arc::new(Inner {
                session,
                service: self.0,
                timeout: config.timeout,
                max_response_bytes: config.max_response_bytes,
                bulk_concurrency: config.bulk_concurrency.max(1),
            }),
        })
    }
}

/// 128 bits from the standard library's per-process random keys, for the session's ids.
fn seed() -> u128 {
    let state = std::collections::hash_map::RandomState::new();
    (u128::from(state.hash_one(1u8)) << 64) | u128::from(state.hash_one(2u8))
}

struct Inner<S> {
    session: Session,
    service: S,
    timeout: Duration,
    max_response_bytes: usize,
    bulk_concurrency: usize,
}

/// An async SendCloud client, generic over the HTTP service it sends through.
/// Cloning it is cheap and shares the connection pool and the learned clock offset.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use sendcloud_hyper::Client;
/// use sendcloud_hyper::proto::{Phone, SendVoice, VerificationCode};
/// let client = Client::builder("my-sms-user", "my-sms-key").build()?;
/// let receipt = client
///     .send_voice(SendVoice::new(Phone::parse("13800000000")?, VerificationCode::new("1234")?)?)
///     .await?;
/// println!("{:?}", receipt.sms_ids);
/// # Ok(()) }
/// ```
pub struct Client<S = DefaultService> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for Client<S> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
        }
    }
}

impl<S> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("session", &self.inner.session)
            .finish_non_exhaustive()
    }
}

impl Client<DefaultService> {
    /// Settings for a client of `sms_user` with `sms_key`.
    pub fn builder(sms_user: impl Into<String>, sms_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(sms_user, sms_key, Hyper)
    }
}

impl<S, B> Client<S>
where
    S: tower::Service<http::Request<Full<Bytes>>, Response = http::Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: http_body::Body + Send,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    /// The sans-IO core this client drives.
    pub fn core(&self) -> &sendcloud_proto::Client {
        self.inner.session.client()
    }

    /// The learned offset of the server's clock from this machine's, in ms.
    pub fn clock_offset_ms(&self) -> i64 {
        self.inner.session.clock_offset_ms()
    }

    /// Sends a template SMS or MMS.
    pub async fn send(&self, send: SendTemplate) -> Result<SendReceipt, Error> {
        self.call(send).await
    }

    /// Sends a voice verification code.
    pub async fn send_voice(&self, voice: SendVoice) -> Result<SendReceipt, Error> {
        self.call(voice).await
    }

    /// Sends an SMS verification code.
    pub async fn send_code(&self, code: SendCode) -> Result<SendReceipt, Error> {
        self.call(code).await
    }

    /// Reads the server's clock, and keeps the offset for later requests.
    pub async fn server_time(&self) -> Result<ServerTime, Error> {
        let sent = local_now();
        let t = self.call(GetServerTime).await?;
        self.inner.session.learn_clock(t, sent, local_now());
        Ok(t)
    }

    /// Sends one template to any number of recipients, in batches of at most 2,000 with
    /// sendRequestIds `{base_id}-{n}`, with up to `bulk_concurrency` batches in flight,
    /// reading the numbers as it goes (memory stays bounded). `progress` sees the report
    /// after each batch.
    pub async fn send_bulk(
        &self,
        template: BulkTemplate,
        base_id: &str,
        phones: impl IntoIterator<Item = Phone>,
        mut progress: impl FnMut(&BulkReport),
    ) -> Result<BulkReport, Error> {
        let batches = Batches::new(template, base_id, phones)?;
        let mut report = BulkReport::default();
        let mut results = stream::iter(batches)
            .map(|batch| async move {
                let (request, ticket) = batch.into_parts()?;
                Ok::<_, Error>((ticket, self.call(request).await))
            })
            .buffer_unordered(self.inner.bulk_concurrency);
        while let Some(sent) = results.next().await {
            let (ticket, result) = sent?;
            report.record_batch(&ticket, result.as_ref().map_err(|e| e as &dyn BatchError));
            progress(&report);
        }
        Ok(report)
    }

    /// Runs any endpoint through the retry policy.
    pub async fn call<E: Endpoint>(&self, endpoint: E) -> Result<E::Output, Error> {
        // Boxed: the state of the retry loop is about a kilobyte, and the future a caller
        // holds (in a task, a join set, a FuturesUnordered) is moved more than once; a
        // future of a few bytes is cheaper to move than one allocation.
        Box::pin(self.call_loop(endpoint)).await
    }

    async fn call_loop<E: Endpoint>(&self, endpoint: E) -> Result<E::Output, Error> {
        let session = &self.inner.session;
        let mut call = session.start(endpoint, || {
            call_entropy(std::process::id(), SystemTime::now())
        });
        loop {
            let request = session.request(&mut call, local_now)?;
            let traced = tracing::enabled!(tracing::Level::DEBUG);
            let span = if traced {
                tracing::debug_span!(
                    "sendcloud.request",
                    endpoint = E::PATH,
                    attempt = call.attempts(),
                    phone = call.masked_phone(),
                )
            } else {
                tracing::Span::none()
            };
            let started = traced.then(std::time::Instant::now);
            // Instrumented only when someone listens. Not boxed: this loop is (in call).
            let exchanged = if traced {
                self.exchange(request).instrument(span.clone()).await
            } else {
                self.exchange(request).await
            };
            let next = match exchanged {
                Ok(response) => {
                    let next = session.on_response(&mut call, &response);
                    span.in_scope(|| {
                        tracing::debug!(
                            http_status = response.status().as_u16(),
                            status_code = call.status().map(|s| s.code()),
                            latency_ms = started.map(|t| t.elapsed().as_millis() as u64),
                            "answer"
                        )
                    });
                    next
                }
                Err((kind, message, source)) => {
                    span.in_scope(|| tracing::debug!(?kind, %message, "transport failure"));
                    match session.on_transport_failure(&mut call, kind) {
                        Some(delay) => Next::Retry(delay),
                        None => {
                            return Err(Error::Transport {
                                kind,
                                message,
                                source,
                            })
                        }
                    }
                }
            };
            match next {
                Next::Done(result) => return result.map_err(Error::from),
                Next::Retry(delay) => tokio::time::sleep(delay).await,
                Next::ResyncClock => {
                    self.server_time().await?;
                    call.clock_resynced();
                }
            }
        }
    }

    async fn exchange(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, Failure> {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let mut service = self.inner.service.clone();
        let limit = self.inner.max_response_bytes;
        // Pinned where they are and raced, so that neither the request nor the service
        // is moved again on the way (a Oneshot inside a Timeout moved both, twice).
        let work = std::pin::pin!(async {
            let ready = service.ready().await.map_err(|e| classify(e.into()))?;
            let response = ready.call(request).await.map_err(|e| classify(e.into()))?;
            let (parts, body) = response.into_parts();
            let bytes = read_body(body, limit).await?;
            Ok(http::Response::from_parts(parts, bytes))
        });
        let deadline = std::pin::pin!(tokio::time::sleep(self.inner.timeout));
        match futures_util::future::select(work, deadline).await {
            Either::Left((answer, _)) => answer,
            Either::Right(_) => Err((
                TransportFailure::Timeout,
                format!("no complete answer within {:?}", self.inner.timeout),
                None,
            )),
        }
    }
}

/// A failed exchange: its kind, its description (causes included) and the error behind it.
type Failure = (TransportFailure, String, Option<BoxError>);

/// Reads a whole answer of at most `limit` bytes. An answer in one frame (the usual case
/// with a Content-Length) is kept as it came, without a copy.
async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, Failure>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    use bytes::Buf;
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            let e: BoxError = e.into();
            (
                TransportFailure::Io,
                format!("reading the answer: {e}"),
                Some(e),
            )
        })?;
        let Ok(mut data) = frame.into_data() else {
            continue; // trailers
        };
        let n = data.remaining();
        total = total.saturating_add(n);
        if total > limit {
            return Err((
                TransportFailure::Io,
                format!("the answer is longer than the limit of {limit} bytes"),
                None,
            ));
        }
        match first.take() {
            None if joined.is_empty() => first = Some(data.copy_to_bytes(n)),
            earlier => {
                if let Some(earlier) = earlier {
                    joined.extend_from_slice(&earlier);
                }
                while data.has_remaining() {
                    let chunk = data.chunk();
                    let len = chunk.len();
                    joined.extend_from_slice(chunk);
                    data.advance(len);
                }
            }
        }
    }
    Ok(match first {
        Some(only) => only,
        None => Bytes::from(joined),
    })
}

fn classify(e: BoxError) -> Failure {
    let kind = match e.downcast_ref::<hyper_util::client::legacy::Error>() {
        Some(le) if le.is_connect() => TransportFailure::Connect,
        _ => TransportFailure::Io,
    };
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    (kind, message, Some(e))
}

/// This machine's clock as UNIX milliseconds.
pub fn local_now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Frame;
    use http_body_util::StreamBody;

    type Item = Result<Frame<Bytes>, std::io::Error>;
    type Frames = Vec<Item>;
    type TestBody = StreamBody<futures_util::stream::Iter<std::vec::IntoIter<Item>>>;

    fn body_of(frames: Frames) -> TestBody {
        StreamBody::new(futures_util::stream::iter(frames))
    }

    fn data(s: &'static str) -> Item {
        Ok(Frame::data(Bytes::from_static(s.as_bytes())))
    }

    #[tokio::test]
    async fn one_frame_is_kept_without_a_copy() {
        let only = Bytes::from_static(b"{\"statusCode\":200}");
        let got = read_body(body_of(vec![Ok(Frame::data(only.clone()))]), 100)
            .await
            .unwrap();
        assert_eq!(got, only);
        assert_eq!(got.as_ptr(), only.as_ptr(), "the same bytes, not a copy");
    }

    #[tokio::test]
    async fn frames_are_joined_in_order_and_trailers_skipped() {
        let frames = vec![
            data(""),
            data("{\"a\":"),
            data("1"),
            Ok(Frame::trailers(http::HeaderMap::new())),
            data("}"),
        ];
        assert_eq!(read_body(body_of(frames), 100).await.unwrap(), "{\"a\":1}");
        assert_eq!(read_body(body_of(vec![]), 100).await.unwrap(), "");
    }

    #[tokio::test]
    async fn an_answer_past_the_limit_is_refused() {
        let frames = vec![data("12345"), data("67890"), data("x")];
        let (kind, message, _) = read_body(body_of(frames), 10).await.unwrap_err();
        assert_eq!(kind, TransportFailure::Io);
        assert_eq!(message, "the answer is longer than the limit of 10 bytes");
        assert_eq!(
            read_body(body_of(vec![data("1234567890")]), 10)
                .await
                .unwrap(),
            "1234567890",
            "exactly the limit is allowed"
        );
    }

    #[tokio::test]
    async fn a_broken_body_is_an_io_failure() {
        let frames = vec![
            data("{"),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset",
            )),
        ];
        let (kind, message, source) = read_body(body_of(frames), 100).await.unwrap_err();
        assert_eq!(kind, TransportFailure::Io);
        assert_eq!(message, "reading the answer: reset");
        // The cause is kept, not only its words.
        let source = source.expect("the body's error");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("an io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset);
    }
}
