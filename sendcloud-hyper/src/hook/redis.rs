//! A replay store in Redis, shared by every receiver that uses the same server (feature
//! `redis`).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sendcloud_proto::Timestamp;

use super::store::{Claim, ReplayStore};
use crate::client::BoxError;

/// Tokens in Redis: `SET key pending NX PX` claims one atomically, so that two receivers
/// behind a load balancer never both handle an event. Every call has a timeout (500 ms by
/// default, well inside the 3 s SendCloud waits for an answer); the connection is
/// re-established after Redis comes back.
///
/// A claimed token is *pending* for [`pending_for`](Self::pending_for) (60 s), then *done*
/// for [`keep_for`](Self::keep_for) once handled (by default twice the verifier's
/// freshness window: an older post is refused as stale anyway), so Redis holds at most the
/// event rate times that window. See [`ReplayStore`] for the guarantee (at least once).
///
/// ```no_run
/// use sendcloud_hyper::hook::{HookReceiver, RedisStore};
/// use sendcloud_hyper::proto::{hook::{HookEvent, HookVerifier}, Secret};
///
/// # async fn run() -> Result<(), sendcloud_hyper::BoxError> {
/// let verifier = HookVerifier::new(vec![Secret::new("my-hook-app-key")])?;
/// let store = RedisStore::open("redis://127.0.0.1:6379/", &verifier)?;
/// let receiver = HookReceiver::with_store(verifier, store, |event: HookEvent| async move {
///     println!("{}", event.event_name());
///     Ok(())
/// });
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
    pending: Duration,
    keep: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: it is not kept.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("pending", &self.pending)
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

const PENDING: &str = "pending";
const DONE: &str = "done";

impl RedisStore {
    /// A store on the Redis at `url` (`redis://[:password@]host:port/db`), for events
    /// checked by `verifier`. It connects on first use, so a receiver can start before
    /// Redis does (its posts get 503 until then).
    pub fn open(
        url: &str,
        verifier: &sendcloud_proto::hook::HookVerifier,
    ) -> Result<Self, BoxError> {
        let client = redis::Client::open(url)
            .map_err(|e| format!("Redis URL {}: {e}", sendcloud_proto::redact_url(url)))?;
        let timeout = Duration::from_millis(500);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let connection = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(RedisStore {
            connection,
            prefix: "sendcloud:smshook:".to_owned(),
            timeout,
            pending: Duration::from_secs(60),
            keep: Duration::from_millis(verifier.max_age_ms().saturating_mul(2).max(1000)),
        })
    }

    /// The prefix of the keys (default `sendcloud:smshook:`).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one Redis call may take (default 500 ms).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long a claimed token stays pending without an outcome (default 60 s).
    pub fn pending_for(mut self, pending: Duration) -> Self {
        self.pending = pending;
        self
    }

    /// How long a handled token is remembered.
    pub fn keep_for(mut self, keep: Duration) -> Self {
        self.keep = keep;
        self
    }

    fn key(&self, token: &str) -> String {
        format!("{}{token}", self.prefix)
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, BoxError> {
        let mut connection = self.connection.clone();
        match tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut connection)).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(format!("Redis did not answer within {:?}", self.timeout).into()),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl ReplayStore for RedisStore {
    async fn claim(
        &self,
        token: &str,
        _sent: Timestamp,
        _now: Timestamp,
    ) -> Result<Claim, BoxError> {
        let key = self.key(token);
        let set: Option<String> = self
            .run(
                redis::cmd("SET")
                    .arg(&key)
                    .arg(PENDING)
                    .arg("NX")
                    .arg("PX")
                    .arg(millis(self.pending)),
            )
            .await?;
        if set.is_some() {
            return Ok(Claim::New);
        }
        let state: Option<String> = self.run(redis::cmd("GET").arg(&key)).await?;
        // Gone between the two calls (it expired): let SendCloud's retry claim it.
        Ok(match state.as_deref() {
            Some(DONE) => Claim::Done,
            _ => Claim::InFlight,
        })
    }

    async fn confirm(&self, token: &str) -> Result<(), BoxError> {
        let _: Option<String> = self
            .run(
                redis::cmd("SET")
                    .arg(self.key(token))
                    .arg(DONE)
                    .arg("PX")
                    .arg(millis(self.keep)),
            )
            .await?;
        Ok(())
    }

    async fn release(&self, token: &str) -> Result<(), BoxError> {
        let _: i64 = self.run(redis::cmd("DEL").arg(self.key(token))).await?;
        Ok(())
    }
}
