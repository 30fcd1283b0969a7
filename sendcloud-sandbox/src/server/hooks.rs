//! SMSHook delivery: every queued event posted to each hook URL, retried as SendCloud
//! retries, and a bounded log of every attempt.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::{lock, Shared};
use crate::QueuedHookEvent;
use sendcloud_proto::Timestamp;

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

/// How long a receiver has to answer, as SendCloud expects a 200 within 3 s.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(3);

/// One attempt to post one event to one URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookAttempt {
    /// When the attempt ended (UNIX ms).
    pub at_ms: u64,
    /// The receiver.
    pub url: String,
    /// The event (`request`, `deliver`, ...).
    pub event: String,
    /// The smsIds the event is about (one, or a request's several).
    pub sms_ids: Vec<String>,
    /// The event's token (tells the attempts of one event apart from another's).
    pub token: String,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// The receiver's HTTP status, if it answered.
    pub http_status: Option<u16>,
    /// `delivered`, `failed` (will be retried) or `given up`.
    pub result: &'static str,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl HookAttempt {
    /// The attempt as JSON.
    pub fn to_json_value(&self) -> Value {
        json!({
            "at": self.at_ms,
            "url": self.url,
            "event": self.event,
            "smsIds": self.sms_ids,
            "token": self.token,
            "attempt": self.attempt,
            "httpStatus": self.http_status,
            "result": self.result,
            "error": self.error,
        })
    }
}

/// The log of attempts (the newest `limit`) and the totals.
pub(crate) struct HookLog {
    pub(crate) attempts: VecDeque<HookAttempt>,
    pub(crate) limit: usize,
    pub(crate) stats: HookDeliveryStats,
}

impl HookLog {
    pub(crate) fn new(limit: usize) -> Self {
        HookLog {
            attempts: VecDeque::new(),
            limit,
            stats: HookDeliveryStats::default(),
        }
    }

    fn push(&mut self, a: HookAttempt) {
        match a.result {
            "delivered" => self.stats.delivered += 1,
            "given up" => {
                self.stats.failed_attempts += 1;
                self.stats.given_up += 1;
            }
            _ => self.stats.failed_attempts += 1,
        }
        if self.limit == 0 {
            return;
        }
        while self.attempts.len() >= self.limit {
            self.attempts.pop_front();
        }
        self.attempts.push_back(a);
    }

    /// The attempts about `sms_id`, oldest first.
    pub(crate) fn for_message(&self, sms_id: &str) -> Vec<&HookAttempt> {
        self.attempts
            .iter()
            .filter(|a| a.sms_ids.iter().any(|id| id == sms_id))
            .collect()
    }
}

fn sms_ids_of(event: &QueuedHookEvent) -> Vec<String> {
    if let Some(id) = event.get("smsId") {
        return vec![id.to_owned()];
    }
    event
        .get("smsIds")
        .and_then(|ids| serde_json::from_str::<Vec<String>>(ids).ok())
        .unwrap_or_default()
}

type HttpClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

fn client() -> HttpClient {
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(HOOK_TIMEOUT));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(https)
}

/// Most deliveries (event × URL) in flight at once; the rest wait in the sandbox's
/// bounded hook queue.
const IN_FLIGHT: usize = 64;

/// Takes the sandbox's queued events every 20 ms and posts each to every URL, until
/// `stopped` changes.
pub(crate) fn spawn_delivery(
    shared: Arc<Shared>,
    urls: Vec<String>,
    schedule: Vec<Duration>,
    mut stopped: watch::Receiver<bool>,
) {
    let client = client();
    let schedule = Arc::new(schedule);
    let permits = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = stopped.changed() => break,
            }
            let events = lock(&shared.sandbox).take_hook_events();
            for event in events {
                let event = Arc::new(event);
                for url in &urls {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        return;
                    };
                    let job = Job {
                        client: client.clone(),
                        url: url.clone(),
                        event: event.clone(),
                        schedule: schedule.clone(),
                        shared: shared.clone(),
                    };
                    tokio::spawn(async move {
                        let _permit = permit;
                        job.run().await;
                    });
                }
            }
        }
    });
}

struct Job {
    client: HttpClient,
    url: String,
    event: Arc<QueuedHookEvent>,
    schedule: Arc<Vec<Duration>>,
    shared: Arc<Shared>,
}

impl Job {
    async fn run(self) {
        let mut attempt: u32 = 0;
        loop {
            let (http_status, error) = self.post().await;
            let ok = http_status.is_some_and(|s| (200..300).contains(&s));
            let wait = self.schedule.get(attempt as usize).copied();
            let result = if ok {
                "delivered"
            } else if wait.is_some() {
                "failed"
            } else {
                "given up"
            };
            let error = match (ok, error, http_status) {
                (true, _, _) => None,
                (false, Some(e), _) => Some(e),
                (false, None, Some(s)) => Some(format!("the receiver answered HTTP {s}")),
                (false, None, None) => Some("no answer".to_owned()),
            };
            lock(&self.shared.hooks).push(HookAttempt {
                at_ms: Timestamp::from_system_time(SystemTime::now()).as_millis(),
                url: self.url.clone(),
                event: self.event.event.clone(),
                sms_ids: sms_ids_of(&self.event),
                token: self.event.get("token").unwrap_or_default().to_owned(),
                attempt: attempt + 1,
                http_status,
                result,
                error,
            });
            match (ok, wait) {
                (false, Some(wait)) => {
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                _ => return,
            }
        }
    }

    async fn post(&self) -> (Option<u16>, Option<String>) {
        let req = match self.event.to_request(&self.url) {
            Ok(req) => req,
            Err(e) => return (None, Some(format!("invalid hook URL: {e}"))),
        };
        let (parts, body) = req.into_parts();
        let req = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        match tokio::time::timeout(HOOK_TIMEOUT, self.client.request(req)).await {
            Ok(Ok(r)) => (Some(r.status().as_u16()), None),
            Ok(Err(e)) => (None, Some(format!("could not post: {e}"))),
            Err(_) => (None, Some("no answer within 3 s".to_owned())),
        }
    }
}
