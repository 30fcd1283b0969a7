//! The sandbox served over HTTP, with fault injection for reliability tests.
//!
//! Paths are the real service's (`/smsapi/send`, `/smsapi/timestamp/get`, ...), so a client
//! needs only its base URL changed. Beside the API: `/outbox.json` (the outbox, newest
//! first) and `/` or `/outbox` (the same as a small HTML page).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use sendcloud_sandbox::server::SandboxServer;
//! use sendcloud_sandbox::{Sandbox, SandboxConfig};
//! let server = SandboxServer::bind("127.0.0.1:0", Sandbox::new(SandboxConfig::default())).await?;
//! println!("sandbox at {}", server.base_url());
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use crate::Sandbox;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sendcloud_proto::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Largest request body the server reads.
pub const MAX_REQUEST_BYTES: usize = 4 << 20;

/// One injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Serve the request normally.
    None,
    /// Answer `501 server exception` without processing the request.
    Error501,
    /// Close the connection before the request is processed.
    DropBefore,
    /// Process the request, then close the connection: the answer is lost.
    DropAfter,
    /// Wait this long, then serve the request normally.
    Delay(Duration),
}

/// Random faults, each with its own rate in `[0, 1]` (they are tried in this order).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultRates {
    /// How often to answer 501.
    pub error_501: f64,
    /// How often to drop the connection before processing.
    pub drop_before: f64,
    /// How often to drop the connection after processing.
    pub drop_after: f64,
    /// How often to delay.
    pub delay: f64,
    /// How long a delay is.
    pub delay_for: Duration,
    /// The seed of the fault generator, for repeatable runs.
    pub seed: u64,
}

impl Default for FaultRates {
    fn default() -> Self {
        FaultRates {
            error_501: 0.0,
            drop_before: 0.0,
            drop_after: 0.0,
            delay: 0.0,
            delay_for: Duration::from_secs(2),
            seed: 0x5eed_c10d,
        }
    }
}

/// How many faults of each kind were injected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// API requests seen.
    pub requests: u64,
    /// 501 answers.
    pub error_501: u64,
    /// Connections dropped before processing.
    pub drop_before: u64,
    /// Connections dropped after processing.
    pub drop_after: u64,
    /// Delayed requests.
    pub delay: u64,
}

impl FaultCounts {
    /// Requests hit by any fault.
    pub fn faulted(&self) -> u64 {
        self.error_501 + self.drop_before + self.drop_after + self.delay
    }
}

struct FaultState {
    script: VecDeque<Fault>,
    rates: FaultRates,
    rng: u64,
    counts: FaultCounts,
}

impl FaultState {
    fn next_random(&mut self) -> f64 {
        // xorshift64*: plenty for choosing faults.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn choose(&mut self) -> Fault {
        self.counts.requests += 1;
        let fault = match self.script.pop_front() {
            Some(f) => f,
            None => {
                let r = self.rates;
                let x = self.next_random();
                let mut edge = r.error_501;
                if x < edge {
                    Fault::Error501
                } else if x < {
                    edge += r.drop_before;
                    edge
                } {
                    Fault::DropBefore
                } else if x < {
                    edge += r.drop_after;
                    edge
                } {
                    Fault::DropAfter
                } else if x < edge + r.delay {
                    Fault::Delay(r.delay_for)
                } else {
                    Fault::None
                }
            }
        };
        match fault {
            Fault::None => {}
            Fault::Error501 => self.counts.error_501 += 1,
            Fault::DropBefore => self.counts.drop_before += 1,
            Fault::DropAfter => self.counts.drop_after += 1,
            Fault::Delay(_) => self.counts.delay += 1,
        }
        fault
    }
}

/// What the sandbox's SMSHook delivery has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HookDeliveryStats {
    /// Events the receiver answered with a 2xx.
    pub delivered: u64,
    /// Attempts that failed (no connection, or an answer other than 2xx).
    pub failed_attempts: u64,
    /// Events dropped after the last retry failed.
    pub given_up: u64,
}

/// When the sandbox retries a failed SMSHook delivery: SendCloud retries up to 7 times
/// over a day; the sandbox keeps the count and shortens the waits.
pub fn default_hook_retry_schedule() -> Vec<Duration> {
    [50, 200, 500, 1_000, 2_000, 5_000, 10_000]
        .into_iter()
        .map(Duration::from_millis)
        .collect()
}

struct Shared {
    sandbox: Mutex<Sandbox>,
    hook_stats: Mutex<HookDeliveryStats>,
    faults: Mutex<FaultState>,
    clock_skew_ms: AtomicI64,
    connections: AtomicU64,
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
        let listener = TcpListener::bind(addr).await?;
        Self::serve(listener, sandbox)
    }

    /// Serves `sandbox` on a bound listener.
    pub fn serve(listener: TcpListener, sandbox: Sandbox) -> std::io::Result<SandboxServer> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            sandbox: Mutex::new(sandbox),
            hook_stats: Mutex::new(HookDeliveryStats::default()),
            faults: Mutex::new(FaultState {
                script: VecDeque::new(),
                rates: FaultRates::default(),
                rng: FaultRates::default().seed | 1,
                counts: FaultCounts::default(),
            }),
            clock_skew_ms: AtomicI64::new(0),
            connections: AtomicU64::new(0),
        });
        let (stop, mut stopped) = watch::channel(false);
        let task_shared = shared.clone();
        let task = tokio::spawn(async move {
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
                let _ = stream.set_nodelay(true);
                task_shared.connections.fetch_add(1, Ordering::Relaxed);
                let shared = task_shared.clone();
                let mut conn_stopped = stopped.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| serve_one(shared.clone(), req));
                    let conn = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = conn_stopped.changed() => {}
                    }
                });
            }
        });
        Ok(SandboxServer {
            addr,
            shared,
            stop,
            task: Some(task),
        })
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

    /// The URL of the outbox as an HTML page.
    pub fn page_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The sandbox itself, to inspect its outbox or change it.
    pub fn sandbox(&self) -> MutexGuard<'_, Sandbox> {
        self.shared
            .sandbox
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets random fault rates (and reseeds the generator).
    pub fn set_fault_rates(&self, rates: FaultRates) {
        let mut f = self.faults();
        f.rng = rates.seed | 1;
        f.rates = rates;
    }

    /// Queues faults for the next API requests, in order, before random ones apply.
    pub fn script_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.faults().script.extend(faults);
    }

    /// How many faults were injected so far.
    pub fn fault_counts(&self) -> FaultCounts {
        self.faults().counts
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Makes the sandbox's clock run `ms` ahead of this machine's (negative: behind).
    pub fn set_clock_skew_ms(&self, ms: i64) {
        self.shared.clock_skew_ms.store(ms, Ordering::Relaxed);
    }

    /// Posts every SMSHook event the sandbox queues to `url`, signed with the sandbox's hook
    /// app key, as SendCloud would: form-encoded, retried by `retry_schedule` when the
    /// receiver does not answer 2xx. Runs until the server stops.
    pub fn deliver_hooks(&self, url: &str, retry_schedule: Vec<Duration>) {
        let url = url.to_owned();
        let shared = self.shared.clone();
        let mut stopped = self.stop.subscribe();
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client: hyper_util::client::legacy::Client<_, Full<Bytes>> =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https);
        let schedule = Arc::new(retry_schedule);
        let permits = Arc::new(tokio::sync::Semaphore::new(16));
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                    _ = stopped.changed() => break,
                }
                let events = lock(&shared.sandbox).take_hook_events();
                for event in events {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        return;
                    };
                    let (client, url, schedule, shared) = (
                        client.clone(),
                        url.clone(),
                        schedule.clone(),
                        shared.clone(),
                    );
                    tokio::spawn(async move {
                        let _permit = permit;
                        let mut attempt = 0;
                        loop {
                            let delivered = match event.to_request(&url) {
                                Ok(req) => {
                                    let (parts, body) = req.into_parts();
                                    let req = http::Request::from_parts(
                                        parts,
                                        Full::new(Bytes::from(body)),
                                    );
                                    let sent = tokio::time::timeout(
                                        Duration::from_secs(3),
                                        client.request(req),
                                    )
                                    .await;
                                    matches!(sent, Ok(Ok(ref r)) if r.status().is_success())
                                }
                                Err(_) => false,
                            };
                            let wait = {
                                let mut stats = lock(&shared.hook_stats);
                                if delivered {
                                    stats.delivered += 1;
                                    return;
                                }
                                stats.failed_attempts += 1;
                                let wait = schedule.get(attempt).copied();
                                if wait.is_none() {
                                    stats.given_up += 1;
                                }
                                wait
                            };
                            let Some(wait) = wait else { return };
                            attempt += 1;
                            tokio::time::sleep(wait).await;
                        }
                    });
                }
            }
        });
    }

    /// What the SMSHook delivery has done so far.
    pub fn hook_delivery_stats(&self) -> HookDeliveryStats {
        *lock(&self.shared.hook_stats)
    }

    fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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

fn response(
    status: u16,
    content_type: &str,
    body: impl Into<Bytes>,
) -> http::Response<Full<Bytes>> {
    let mut r = http::Response::new(Full::new(body.into()));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

async fn serve_one(
    shared: Arc<Shared>,
    req: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Dropped> {
    let path = req.uri().path().to_owned();
    if req.method() == http::Method::GET {
        match path.as_str() {
            "/outbox.json" => {
                let json = lock(&shared.sandbox).outbox_json();
                return Ok(response(200, "application/json; charset=utf-8", json));
            }
            "/" | "/outbox" | "/outbox.html" => {
                let html = lock(&shared.sandbox).outbox_html();
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
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(response(413, "text/plain", "request body too large")),
    };
    let request = http::Request::from_parts(parts, body);
    let now = Timestamp::from_system_time(SystemTime::now())
        .offset_by(shared.clock_skew_ms.load(Ordering::Relaxed));
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
