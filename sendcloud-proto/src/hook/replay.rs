//! Refusing replayed posts: the tokens of accepted events, remembered for the freshness
//! window.

use std::collections::{BTreeMap, BTreeSet};

use crate::values::Timestamp;

/// The default freshness window: an event whose timestamp is more than 5 minutes from
/// `now` (in either direction) is refused.
pub const DEFAULT_MAX_AGE_MS: u64 = 5 * 60 * 1000;

/// Remembers the tokens of accepted events, to refuse replays.
pub trait ReplayGuard {
    /// Records `token` (of an event sent at `timestamp`, received at `now`) and returns
    /// `true` if it was not seen before, `false` if it is a replay.
    fn check_and_remember(&mut self, token: &str, timestamp: Timestamp, now: Timestamp) -> bool;

    /// Forgets `token`, so that a redelivery of the same event is accepted again. Call it
    /// when handling an accepted event failed and SendCloud should retry it.
    fn forget(&mut self, token: &str) {
        let _ = token;
    }
}

impl<G: ReplayGuard + ?Sized> ReplayGuard for &mut G {
    fn check_and_remember(&mut self, token: &str, timestamp: Timestamp, now: Timestamp) -> bool {
        (**self).check_and_remember(token, timestamp, now)
    }

    fn forget(&mut self, token: &str) {
        (**self).forget(token)
    }
}

/// A bounded, in-memory [`ReplayGuard`].
///
/// It forgets a token once its event's timestamp is older than the window (such events
/// are refused as stale anyway, so use a window at least as long as the verifier's; see
/// [`HookVerifier::replay_guard`](super::HookVerifier::replay_guard)), and when full it forgets the token with the oldest
/// timestamp first. Capacity should exceed the number of events expected within one
/// window, or an evicted token could be replayed. It reads no clock: time is the `now`
/// passed in.
///
/// ```
/// use sendcloud_proto::hook::{MemoryReplayGuard, ReplayGuard};
/// use sendcloud_proto::Timestamp;
/// let mut g = MemoryReplayGuard::new(2);
/// let now = Timestamp(1_000_000);
/// assert!(g.check_and_remember("a", now, now));
/// assert!(!g.check_and_remember("a", now, now));
/// ```
#[derive(Clone, Debug)]
pub struct MemoryReplayGuard {
    capacity: usize,
    window_ms: u64,
    by_token: BTreeMap<String, u64>,
    by_time: BTreeSet<(u64, String)>,
}

impl MemoryReplayGuard {
    /// A guard remembering at most `capacity` tokens (at least 1) for
    /// [`DEFAULT_MAX_AGE_MS`].
    pub fn new(capacity: usize) -> Self {
        MemoryReplayGuard {
            capacity: capacity.max(1),
            window_ms: DEFAULT_MAX_AGE_MS,
            by_token: BTreeMap::new(),
            by_time: BTreeSet::new(),
        }
    }

    /// Remembers tokens until their event's timestamp is `window_ms` old.
    pub fn with_window_ms(mut self, window_ms: u64) -> Self {
        self.window_ms = window_ms;
        self
    }

    /// The most tokens remembered.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many tokens are remembered now.
    pub fn len(&self) -> usize {
        self.by_token.len()
    }

    /// Whether no token is remembered.
    pub fn is_empty(&self) -> bool {
        self.by_token.is_empty()
    }

    /// Forgets the tokens of events older than the window at `now`.
    pub fn prune(&mut self, now: Timestamp) {
        while let Some((ts, _)) = self.by_time.first() {
            if ts.saturating_add(self.window_ms) >= now.as_millis() {
                break;
            }
            if let Some((_, token)) = self.by_time.pop_first() {
                self.by_token.remove(&token);
            }
        }
    }

    fn evict_oldest(&mut self) {
        if let Some((_, token)) = self.by_time.pop_first() {
            self.by_token.remove(&token);
        }
    }
}

impl ReplayGuard for MemoryReplayGuard {
    fn check_and_remember(&mut self, token: &str, timestamp: Timestamp, now: Timestamp) -> bool {
        self.prune(now);
        if self.by_token.contains_key(token) {
            return false;
        }
        while self.by_token.len() >= self.capacity {
            self.evict_oldest();
        }
        self.by_token
            .insert(token.to_owned(), timestamp.as_millis());
        self.by_time
            .insert((timestamp.as_millis(), token.to_owned()));
        true
    }

    fn forget(&mut self, token: &str) {
        if let Some(ts) = self.by_token.remove(token) {
            self.by_time.remove(&(ts, token.to_owned()));
        }
    }
}
