//! Where a receiver remembers the tokens of the events it accepted: in its own memory, or
//! in a store that several receivers share (Redis, behind the `redis` feature).

use std::future::Future;
use std::sync::Mutex;

use sendcloud_proto::hook::{MemoryReplayGuard, ReplayGuard};
use sendcloud_proto::Timestamp;

use crate::client::BoxError;

/// What a [`ReplayStore`] says of a token a receiver claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Not seen before: the receiver has it now, and hands the event to the handler.
    New,
    /// An event with this token was handled: the post is a replay (answered 200, so that
    /// SendCloud stops resending it, and not handled again).
    Done,
    /// Another receiver is handling this token right now, or was and stopped without
    /// saying how it went: answered 503, so that SendCloud tries again later.
    InFlight,
}

/// The tokens of accepted events, for refusing replays. A store may be shared by several
/// receivers (behind a load balancer) and may fail; the receiver never treats a failure as
/// acceptance: it answers 503 and does not hand the event on, and SendCloud retries.
///
/// The guarantee a receiver gives with a store that can fail is **at least once**: a token
/// is claimed as in flight for a short time (`RedisStore`: 60 s, less
/// than SendCloud's first retry, 3 minutes later) and marked done only after the handler
/// succeeded. If the store fails between the claim and its outcome, the claim expires and
/// SendCloud's retry is handled again.
pub trait ReplayStore: Send + Sync + 'static {
    /// Claims `token`, of an event sent at `sent`, received at `now`.
    fn claim(
        &self,
        token: &str,
        sent: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<Claim, BoxError>> + Send;

    /// The event of `token` was handled: remember it as done.
    fn confirm(&self, token: &str) -> impl Future<Output = Result<(), BoxError>> + Send;

    /// Handling the event of `token` failed: forget the claim, so that SendCloud's retry
    /// is handled.
    fn release(&self, token: &str) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// The default store: this process's memory (the core's bounded [`MemoryReplayGuard`]).
/// It cannot fail, and it is not shared: behind a load balancer, use a shared store.
#[derive(Debug)]
pub struct MemoryStore(Mutex<MemoryReplayGuard>);

impl MemoryStore {
    /// A store of the `guard`'s capacity and window.
    pub fn new(guard: MemoryReplayGuard) -> Self {
        MemoryStore(Mutex::new(guard))
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, MemoryReplayGuard> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl ReplayStore for MemoryStore {
    async fn claim(&self, token: &str, sent: Timestamp, now: Timestamp) -> Result<Claim, BoxError> {
        Ok(if self.guard().check_and_remember(token, sent, now) {
            Claim::New
        } else {
            Claim::Done
        })
    }

    async fn confirm(&self, _token: &str) -> Result<(), BoxError> {
        Ok(())
    }

    async fn release(&self, token: &str) -> Result<(), BoxError> {
        self.guard().forget(token);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_claims_once_and_releases() {
        let store = MemoryStore::new(MemoryReplayGuard::new(10));
        let (t, now) = (Timestamp(1_000), Timestamp(1_500));
        assert_eq!(store.claim("a", t, now).await.unwrap(), Claim::New);
        assert_eq!(store.claim("a", t, now).await.unwrap(), Claim::Done);
        store.release("a").await.unwrap();
        assert_eq!(store.claim("a", t, now).await.unwrap(), Claim::New);
        store.confirm("a").await.unwrap();
        assert_eq!(store.claim("a", t, now).await.unwrap(), Claim::Done);
        assert_eq!(store.claim("b", t, now).await.unwrap(), Claim::New);
    }
}
