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
//! // Mount `receiver` (a tower Service) in your server, or serve it alone. Behind a load
//! // balancer, share the replay store: `HookReceiver::with_store(verifier, store, handle)`
//! // with a `RedisStore` (feature `redis`).
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! sendcloud_hyper::hook::serve(listener, receiver).await?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use sendcloud_proto::hook::{HookError, HookEvent, HookVerifier};

use crate::client::{local_now, BoxError};

#[cfg(feature = "redis")]
mod redis;
mod store;

#[cfg(feature = "redis")]
pub use self::redis::RedisStore;
pub use store::{Claim, MemoryStore, ReplayStore};

/// How many tokens the default replay store remembers.
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

/// A tower service that receives SMSHook posts.
///
/// - A forged, stale, malformed or oversized post is answered 4xx and never reaches the
///   handler; a replayed one is answered 200 (so that SendCloud stops resending it) and
///   never reaches the handler either.
/// - Replays are found in a [`ReplayStore`]: this process's memory by default, or one
///   shared by several receivers ([`HookReceiver::with_store`]). When the store cannot be
///   reached, the post is answered 503 and not handled: SendCloud retries it later.
/// - A verified event is passed to the handler. If the handler finishes within
///   [`HookReceiver::handler_budget`] (2 s by default; SendCloud waits 3 s), its result
///   decides the answer: 200, or 503 with the token released, so that SendCloud's retry
///   is handled. A handler still running then keeps running in the background and the
///   post is answered 200.
pub struct HookReceiver<H, S = MemoryStore> {
    inner: Arc<ReceiverInner<H, S>>,
}

struct ReceiverInner<H, S> {
    verifier: HookVerifier,
    store: S,
    handler: H,
    budget: Duration,
}

impl<H, S> Clone for HookReceiver<H, S> {
    fn clone(&self) -> Self {
        HookReceiver {
            inner: self.inner.clone(),
        }
    }
}

impl<H, F> HookReceiver<H, MemoryStore>
where
    H: Fn(HookEvent) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    /// A receiver that verifies with `verifier`, remembers tokens in memory and hands
    /// events to `handler`.
    pub fn new(verifier: HookVerifier, handler: H) -> Self {
        let store = MemoryStore::new(verifier.replay_guard(DEFAULT_REPLAY_CAPACITY));
        HookReceiver::with_store(verifier, store, handler)
    }
}

impl<H, F, S> HookReceiver<H, S>
where
    H: Fn(HookEvent) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
    S: ReplayStore,
{
    /// A receiver that remembers tokens in `store` (e.g. a `RedisStore` that several
    /// receivers share, feature `redis`).
    pub fn with_store(verifier: HookVerifier, store: S, handler: H) -> Self {
        HookReceiver {
            inner: Arc::new(ReceiverInner {
                verifier,
                store,
                handler,
                budget: Duration::from_secs(2),
            }),
        }
    }
}

impl<H, F, S> HookReceiver<H, S>
where
    H: Fn(HookEvent) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
    S: ReplayStore,
{
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
        let now = local_now();
        let event =
            match self
                .inner
                .verifier
                .verify_and_parse_fresh(content_type.as_deref(), &body, now)
            {
                Ok(event) => event,
                Err(e) => return refusal(&e),
            };
        match self
            .inner
            .store
            .claim(&event.token, event.timestamp, now)
            .await
        {
            Ok(Claim::New) => {}
            Ok(Claim::Done) => return refusal(&HookError::Replayed),
            Ok(Claim::InFlight) => {
                return answer(503, "this event is being handled; try again later")
            }
            Err(e) => {
                tracing::warn!(error = %e, "SMSHook replay store unreachable; SendCloud will retry");
                return answer(503, "the replay store cannot be reached; try again later");
            }
        }
        let token = event.token.clone();
        let inner = self.inner.clone();
        // The outcome is settled in the handler's task, so that a handler that outlives the
        // budget still confirms or releases its token.
        let handled = tokio::spawn(async move {
            let result = (inner.handler)(event).await;
            let settled = match &result {
                Ok(()) => inner.store.confirm(&token).await,
                Err(_) => inner.store.release(&token).await,
            };
            if let Err(e) = settled {
                tracing::warn!(error = %e, "SMSHook replay store: the outcome was not recorded");
            }
            result
        });
        match tokio::time::timeout(self.inner.budget, handled).await {
            Ok(Ok(Ok(()))) => answer(200, "ok"),
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "SMSHook handler failed; SendCloud will retry");
                answer(503, "handler failed")
            }
            Ok(Err(join)) => {
                tracing::warn!(error = %join, "SMSHook handler panicked; SendCloud will retry");
                answer(503, "handler failed")
            }
            Err(_) => answer(200, "accepted; still processing"),
        }
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

impl<H, F, S, B> tower::Service<http::Request<B>> for HookReceiver<H, S>
where
    H: Fn(HookEvent) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
    S: ReplayStore,
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

/// Serves a receiver over HTTP/1 on `listener` until the task is dropped.
pub async fn serve<H, F, S>(
    listener: tokio::net::TcpListener,
    receiver: HookReceiver<H, S>,
) -> std::io::Result<()>
where
    H: Fn(HookEvent) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
    S: ReplayStore,
{
    serve_until(listener, receiver, std::future::pending()).await
}

/// Serves a receiver over HTTP/1 on `listener` until `shutdown` completes (e.g. SIGTERM),
/// then stops accepting and waits for the posts in progress to be answered: an event
/// that was accepted is handled and answered, and one that was not is not (SendCloud
/// retries it).
pub async fn serve_until<H, F, S>(
    listener: tokio::net::TcpListener,
    receiver: HookReceiver<H, S>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    H: Fn(HookEvent) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
    S: ReplayStore,
{
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(receiver.clone());
        let connection = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = watched.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
