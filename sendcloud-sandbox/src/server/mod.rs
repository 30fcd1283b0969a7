//! The sandbox served over HTTP, with fault injection, SMSHook delivery, a JSON API and
//! a page for people watching their tests.
//!
//! Paths are the real service's (`/smsapi/send`, `/smsapi/timestamp/get`, ...), so a client
//! needs only its base URL changed. Beside the API: `/outbox.json` (the outbox, newest
//! first), `/api/...` (the JSON API: messages with filters, one message with its events
//! and hook attempts, faults, the hook log) and `/` (the page).
//!
//! As a server it protects itself: a connection that has not sent a whole request header
//! within [`ServerOptions::header_read_timeout`] is closed, at most
//! [`ServerOptions::max_connections`] are open at once (the excess is refused), and a body
//! over [`MAX_REQUEST_BYTES`] gets 413 without being read to its end.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use sendcloud_sandbox::server::SandboxServer;
//! use sendcloud_sandbox::{Sandbox, SandboxConfig};
//! let server = SandboxServer::bind("127.0.0.1:0", Sandbox::new(SandboxConfig::default())).await?;
//! println!("sandbox at {}", server.base_url());
//! # Ok(()) }
//! ```

mod api;
mod faults;
mod hooks;
mod options;
mod page;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use crate::Sandbox;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use sendcloud_proto::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

pub use faults::{parse_duration, Fault, FaultCounts, FaultRates};
pub use hooks::{default_hook_retry_schedule, HookAttempt, HookDeliveryStats, HOOK_TIMEOUT};
pub use options::{FileConfig, ServerOptions};

/// Largest request body the server reads.
pub const MAX_REQUEST_BYTES: usize = 4 << 20;

pub(crate) struct Shared {
    pub(crate) sandbox: Mutex<Sandbox>,
    pub(crate) hooks: Mutex<hooks::HookLog>,
    pub(crate) faults: Mutex<faults::FaultState>,
    pub(crate) clock_skew_ms: AtomicI64,
    pub(crate) connections: AtomicU64,
    pub(crate) refused_connections: AtomicU64,
    pub(crate) open: Arc<Semaphore>,
    pub(crate) max_connections: usize,
    pub(crate) hook_urls: Mutex<Vec<String>>,
    pub(crate) body_read_timeout: Duration,
}

impl Shared {
    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::from_system_time(SystemTime::now())
            .offset_by(self.clock_skew_ms.load(Ordering::Relaxed))
    }
}

/// A running sandbox server. Dropping it stops it.
pub struct SandboxServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for SandboxServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// The sandbox's error for a connection it drops on purpose.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

impl SandboxServer {
    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves `sandbox` on it.
    pub async fn bind(addr: &str, sandbox: Sandbox) -> std::io::Result<SandboxServer> {
        Self::bind_with(addr, sandbox, ServerOptions::default()).await
    }

    /// Binds `addr` and serves `sandbox` with `options` (hook URLs, faults, limits).
    pub async fn bind_with(
        addr: &str,
        sandbox: Sandbox,
        options: ServerOptions,
    ) -> std::io::Result<SandboxServer> {
        let listener = listen(addr).await?;
        Self::serve_with(listener, sandbox, options)
    }

    /// Serves `sandbox` on a bound listener, with the default options.
    pub fn serve(listener: TcpListener, sandbox: Sandbox) -> std::io::Result<SandboxServer> {
        Self::serve_with(listener, sandbox, ServerOptions::default())
    }

    /// Serves `sandbox` on a bound listener with `options`.
    pub fn serve_with(
        listener: TcpListener,
        sandbox: Sandbox,
        options: ServerOptions,
    ) -> std::io::Result<SandboxServer> {
        let addr = listener.local_addr()?;
        let max_connections = options.max_connections.max(1);
        let shared = Arc::new(Shared {
            sandbox: Mutex::new(sandbox),
            hooks: Mutex::new(hooks::HookLog::new(options.hook_log_limit)),
            faults: Mutex::new(faults::FaultState::new(options.faults)),
            clock_skew_ms: AtomicI64::new(options.clock_skew_ms),
            connections: AtomicU64::new(0),
            refused_connections: AtomicU64::new(0),
            open: Arc::new(Semaphore::new(max_connections)),
            max_connections,
            hook_urls: Mutex::new(Vec::new()),
            body_read_timeout: options.body_read_timeout,
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(
            listener,
            shared.clone(),
            stopped,
            options.header_read_timeout,
        ));
        let server = SandboxServer {
            addr,
            shared,
            stop,
            task: Some(task),
        };
        if !options.hook_urls.is_empty() {
            server.deliver_hooks_to(options.hook_urls, options.hook_retry_schedule);
        }
        Ok(server)
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a client uses: `http://ADDR/smsapi`.
    pub fn base_url(&self) -> String {
        format!("http://{}/smsapi", self.addr)
    }

    /// The URL of the outbox as JSON.
    pub fn outbox_url(&self) -> String {
        format!("http://{}/outbox.json", self.addr)
    }

    /// The URL of the JSON API's root (`.../api/`).
    pub fn api_url(&self) -> String {
        format!("http://{}/api/", self.addr)
    }

    /// The URL of the page.
    pub fn page_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The sandbox itself, to inspect its outbox or change it.
    pub fn sandbox(&self) -> MutexGuard<'_, Sandbox> {
        lock(&self.shared.sandbox)
    }

    /// Sets random fault rates (and reseeds the generator).
    pub fn set_fault_rates(&self, rates: FaultRates) {
        lock(&self.shared.faults).set_rates(rates);
    }

    /// The random fault rates.
    pub fn fault_rates(&self) -> FaultRates {
        lock(&self.shared.faults).rates
    }

    /// Queues faults for the next API requests, in order, before random ones apply.
    pub fn script_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.shared.faults).script.extend(faults);
    }

    /// How many faults were injected so far.
    pub fn fault_counts(&self) -> FaultCounts {
        lock(&self.shared.faults).counts
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// How many connections were refused because [`ServerOptions::max_connections`] were
    /// open.
    pub fn refused_connections(&self) -> u64 {
        self.shared.refused_connections.load(Ordering::Relaxed)
    }

    /// Makes the sandbox's clock run `ms` ahead of this machine's (negative: behind).
    pub fn set_clock_skew_ms(&self, ms: i64) {
        self.shared.clock_skew_ms.store(ms, Ordering::Relaxed);
    }

    /// Posts every SMSHook event the sandbox queues to `url`, signed with the sandbox's hook
    /// app key, as SendCloud would: form-encoded, retried by `retry_schedule` when the
    /// receiver does not answer 2xx. Runs until the server stops.
    pub fn deliver_hooks(&self, url: &str, retry_schedule: Vec<Duration>) {
        self.deliver_hooks_to(vec![url.to_owned()], retry_schedule);
    }

    /// Like [`SandboxServer::deliver_hooks`], posting every event to each of `urls`.
    /// Call it once: a second delivery would take events from the same queue.
    pub fn deliver_hooks_to(&self, urls: Vec<String>, retry_schedule: Vec<Duration>) {
        lock(&self.shared.hook_urls).extend(urls.iter().cloned());
        hooks::spawn_delivery(
            self.shared.clone(),
            urls,
            retry_schedule,
            self.stop.subscribe(),
        );
    }

    /// What the SMSHook delivery has done so far.
    pub fn hook_delivery_stats(&self) -> HookDeliveryStats {
        lock(&self.shared.hooks).stats
    }

    /// The newest hook delivery attempts (at most [`ServerOptions::hook_log_limit`]),
    /// oldest first.
    pub fn hook_attempts(&self) -> Vec<HookAttempt> {
        lock(&self.shared.hooks).attempts.iter().cloned().collect()
    }

    /// Stops serving and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// How many connections may wait to be accepted (the kernel caps it at `somaxconn`): a
/// burst of clients connecting at once is queued, not dropped until they retry.
const BACKLOG: u32 = 4_096;

/// A listener on the first address `addr` resolves to, with a deep accept queue.
async fn listen(addr: &str) -> std::io::Result<TcpListener> {
    let mut last = None;
    for a in tokio::net::lookup_host(addr).await? {
        let socket = if a.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(a).and_then(|()| socket.listen(BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the address resolves to nothing",
        )
    }))
}

const REFUSED: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
    header_read_timeout: Duration,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped.changed() => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or similar: wait a little, keep serving.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok(permit) = shared.open.clone().try_acquire_owned() else {
            // Over the cap: say so if the socket takes it at once, and close.
            shared.refused_connections.fetch_add(1, Ordering::Relaxed);
            let _ = stream.try_write(REFUSED);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        shared.connections.fetch_add(1, Ordering::Relaxed);
        let shared = shared.clone();
        let mut conn_stopped = stopped.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = service_fn(move |req| serve_one(shared.clone(), req));
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = conn_stopped.changed() => {}
            }
        });
    }
}

pub(crate) type Answer = http::Response<Full<Bytes>>;

pub(crate) fn response(status: u16, content_type: &str, body: impl Into<Bytes>) -> Answer {
    let mut r = http::Response::new(Full::new(body.into()));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

/// 413, and the connection closed, so that the rest of the body is never read.
fn too_large() -> Answer {
    closing(
        413,
        format!("request body too large (at most {MAX_REQUEST_BYTES} bytes)\n"),
    )
}

/// A plain-text answer after which the connection is closed.
fn closing(status: u16, text: String) -> Answer {
    let mut r = response(status, "text/plain; charset=utf-8", text);
    r.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    r
}

/// The body, or 413 when it is (or says it is) larger than [`MAX_REQUEST_BYTES`], or 408
/// when it has not all come within [`ServerOptions::body_read_timeout`].
pub(crate) async fn read_body(
    shared: &Shared,
    req: http::Request<Incoming>,
) -> Result<http::Request<Bytes>, Answer> {
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES as u64) {
        return Err(too_large());
    }
    let (parts, body) = req.into_parts();
    let read = Limited::new(body, MAX_REQUEST_BYTES).collect();
    match tokio::time::timeout(shared.body_read_timeout, read).await {
        Ok(Ok(b)) => Ok(http::Request::from_parts(parts, b.to_bytes())),
        Ok(Err(_)) => Err(too_large()),
        Err(_) => Err(closing(
            408,
            "the request body did not arrive in time\n".to_owned(),
        )),
    }
}

async fn serve_one(shared: Arc<Shared>, req: http::Request<Incoming>) -> Result<Answer, Dropped> {
    let path = req.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return Ok(api::serve(&shared, req).await);
    }
    if req.method() == http::Method::GET {
        match path {
            "/outbox.json" => {
                let json = lock(&shared.sandbox).outbox_json();
                return Ok(response(200, "application/json; charset=utf-8", json));
            }
            "/" | "/outbox" | "/outbox.html" => {
                let html = page::render(&lock(&shared.sandbox));
                return Ok(response(200, "text/html; charset=utf-8", html));
            }
            _ => {}
        }
    }
    let fault = lock(&shared.faults).choose();
    match fault {
        Fault::Error501 => {
            return Ok(response(
                200,
                "application/json",
                r#"{"result":false,"statusCode":501,"message":"服务器异常","info":{}}"#,
            ))
        }
        Fault::DropBefore => return Err(Dropped),
        Fault::Delay(d) => tokio::time::sleep(d).await,
        Fault::None | Fault::DropAfter => {}
    }
    let request = match read_body(&shared, req).await {
        Ok(r) => r,
        Err(answer) => return Ok(answer),
    };
    let now = shared.now();
    let answer = lock(&shared.sandbox).handle(&request, now);
    if fault == Fault::DropAfter {
        return Err(Dropped);
    }
    let (parts, body) = answer.into_parts();
    Ok(http::Response::from_parts(
        parts,
        Full::new(Bytes::from(body)),
    ))
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
