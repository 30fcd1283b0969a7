//! Receiving SMSHook posts: a tower service that verifies, parses, hands each event to your
//! async handler, and answers SendCloud in time.
//!
//! ```no_run
//! use sendcloud_hyper::hook::HookReceiver;
//! use sendcloud_hyper::proto::{hook::{HookEvent, HookVerifier}, Secret};
//!
//! async fn handle(event: HookEvent) -> Result<(), sendcloud_hyper::BoxError> {
//!     println!("{} for {:?}", event.event_name(), event.sms_ids());
//!     Ok(())
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = HookVerifier::new(vec![Secret::new("my-hook-app-key")])?;
//! let receiver = HookReceiver::new(verifier, handle);
//! // Mount `receiver` (a tower Service) in your server, or serve it alone:
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! sendcloud_hyper::hook::serve(listener, receiver).await?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use sendcloud_proto::hook::{HookError, HookEvent, HookVerifier, MemoryReplayGuard, ReplayGuard};

use crate::client::{local_now, BoxError};

/// How many tokens the default replay guard remembers.
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

/// A tower service that receives SMSHook posts.
///
/// - A forged, stale, malformed or oversized post is answered 4xx and never reaches the
///   handler; a replayed one is answered 200 (so that SendCloud stops resending it) and
///   never reaches the handler either.
/// - A verified event is passed to the handler. If the handler finishes within
///   [`HookReceiver::handler_budget`] (2 s by default; SendCloud waits 3 s), its result
///   decides the answer: 200, or 500 with the token forgotten, so that SendCloud's retry
///   is accepted. A handler still running then keeps running in the background and the
///   post is answered 200.
pub struct HookReceiver<H> {
    inner: Arc<ReceiverInner<H>>,
}

struct ReceiverInner<H> {
    verifier: HookVerifier,
    guard: Mutex<MemoryReplayGuard>,
    handler: H,
    budget: Duration,
}

impl<H> Clone for HookReceiver<H> {
    fn clone(&self) -> Self {
        HookReceiver {
            inner: self.inner.clone(),
        }
    }
}

impl<H, F> HookReceiver<H>
where
    H: Fn(HookEvent) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    /// A receiver that verifies with `verifier` and hands events to `handler`.
    pub fn new(verifier: HookVerifier, handler: H) -> Self {
        let guard = verifier.replay_guard(DEFAULT_REPLAY_CAPACITY);
        HookReceiver {
            inner: Arc::new(ReceiverInner {
                verifier,
                guard: Mutex::new(guard),
                handler,
                budget: Duration::from_secs(2),
            }),
        }
    }

    /// How long to wait for the handler before answering 200 anyway.
    pub fn handler_budget(self, budget: Duration) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.budget = budget;
                HookReceiver {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => HookReceiver { inner },
        }
    }

    async fn receive<B>(self, request: http::Request<B>) -> http::Response<Full<Bytes>>
    where
        B: http_body::Body,
        B::Error: Into<BoxError>,
    {
        if request.method() != http::Method::POST {
            return answer(405, "SMSHook posts only");
        }
        let content_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = self.inner.verifier.max_body_bytes();
        let body = match Limited::new(request.into_body(), limit).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return answer(413, "body too large")
            }
            Err(_) => return answer(400, "the body could not be read"),
        };
        let verified = {
            let mut guard = self
                .inner
                .guard
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            self.inner.verifier.verify_and_parse(
                content_type.as_deref(),
                &body,
                local_now(),
                &mut *guard,
            )
        };
        let event = match verified {
            Ok(event) => event,
            Err(e) => return refusal(&e),
        };
        let token = event.token.clone();
        let handled = tokio::spawn((self.inner.handler)(event));
        match tokio::time::timeout(self.inner.budget, handled).await {
            Ok(Ok(Ok(()))) => answer(200, "ok"),
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "SMSHook handler failed; SendCloud will retry");
                self.forget(&token);
                answer(500, "handler failed")
            }
            Ok(Err(join)) => {
                tracing::warn!(error = %join, "SMSHook handler panicked; SendCloud will retry");
                self.forget(&token);
                answer(500, "handler failed")
            }
            Err(_) => answer(200, "accepted; still processing"),
        }
    }

    fn forget(&self, token: &str) {
        self.inner
            .guard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .forget(token);
    }
}

fn refusal(e: &HookError) -> http::Response<Full<Bytes>> {
    let status = e.http_status();
    if status == 200 {
        tracing::debug!("SMSHook replay ignored");
    } else {
        tracing::warn!(error = %e, status, "SMSHook post refused");
    }
    answer(status, &e.to_string())
}

fn answer(status: u16, text: &str) -> http::Response<Full<Bytes>> {
    let mut r = http::Response::new(Full::new(Bytes::copy_from_slice(text.as_bytes())));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

impl<H, F, B> tower::Service<http::Request<B>> for HookReceiver<H>
where
    H: Fn(HookEvent) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Full<Bytes>>;
    type Error = std::convert::Infallible;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.receive(request).await) })
    }
}

/// Serves a receiver (or any such service) over HTTP/1 on `listener` until the task is
/// dropped.
pub async fn serve<H, F>(
    listener: tokio::net::TcpListener,
    receiver: HookReceiver<H>,
) -> std::io::Result<()>
where
    H: Fn(HookEvent) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    loop {
        let (stream, _) = listener.accept().await?;
        let service = hyper_util::service::TowerToHyperService::new(receiver.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
