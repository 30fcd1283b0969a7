//! Per-number rate limits and sendRequestId dedupe, with bounded memory.

use std::collections::HashMap;

use sendcloud_proto::StatusCode;

/// One minute in milliseconds.
pub(crate) const MINUTE_MS: u64 = 60_000;
/// One day in milliseconds.
pub(crate) const DAY_MS: u64 = 86_400_000;

/// When each number was sent a message within the last day.
#[derive(Clone, Debug, Default)]
pub(crate) struct RateLimiter {
    /// Per number, the times of its accepted messages, ascending; only the last day's.
    hits: HashMap<Box<str>, Vec<u64>>,
}

/// How many of the ascending `times` are within `window` ms before `now` (times after
/// `now`, from a clock that went back, count as recent).
fn recent(times: &[u64], now: u64, window: u64) -> usize {
    times.len() - times.partition_point(|&t| t.saturating_add(window) <= now)
}

impl RateLimiter {
    /// Whether `phone` may get one more message at `now`: 496 when it had `per_minute`
    /// in the last 60 s, 498 when it had `per_day` in the last 24 h.
    pub(crate) fn check(
        &self,
        phone: &str,
        now: u64,
        per_minute: u32,
        per_day: u32,
    ) -> Result<(), StatusCode> {
        let times = self.hits.get(phone).map(Vec::as_slice).unwrap_or(&[]);
        if recent(times, now, MINUTE_MS) >= per_minute as usize {
            return Err(StatusCode::RateLimitMinute);
        }
        if recent(times, now, DAY_MS) >= per_day as usize {
            return Err(StatusCode::RateLimitDay);
        }
        Ok(())
    }

    /// Counts a message to `phone` at `now`, forgetting its messages older than a day.
    /// When more than `cap` numbers are tracked, the numbers whose last message is oldest
    /// are forgotten, down to three quarters of `cap` (so that evicting is rare).
    pub(crate) fn record(&mut self, phone: &str, now: u64, cap: usize) {
        self.record_one(phone, now);
        if self.hits.len() > cap.max(1) {
            let keep = cap.max(1) * 3 / 4;
            let mut last: Vec<u64> = self
                .hits
                .values()
                .map(|t| t.last().copied().unwrap_or(0))
                .collect();
            let drop = last.len().saturating_sub(keep.max(1));
            if drop > 0 {
                let (_, &mut threshold, _) = last.select_nth_unstable(drop - 1);
                self.hits
                    .retain(|_, t| t.last().copied().unwrap_or(0) > threshold);
                self.hits.shrink_to_fit();
            }
        }
    }

    fn record_one(&mut self, phone: &str, now: u64) {
        let times = match self.hits.get_mut(phone) {
            Some(t) => t,
            None => self
                .hits
                .entry(Box::from(phone))
                .or_insert_with(|| Vec::with_capacity(1)),
        };
        let old = times.partition_point(|&t| t.saturating_add(DAY_MS) <= now);
        times.drain(..old);
        let at = times.partition_point(|&t| t <= now);
        times.insert(at, now);
    }

    /// Forgets every number with no message in the last day.
    pub(crate) fn sweep(&mut self, now: u64) {
        self.hits.retain(|_, times| {
            let old = times.partition_point(|&t| t.saturating_add(DAY_MS) <= now);
            times.drain(..old);
            !times.is_empty()
        });
        self.hits.shrink_to_fit();
    }

    /// How many numbers are tracked.
    pub(crate) fn len(&self) -> usize {
        self.hits.len()
    }
}

/// The sendRequestIds accepted within the dedupe window, per account.
#[derive(Clone, Debug, Default)]
pub(crate) struct Dedupe {
    /// Per account, each id with the time it was accepted.
    seen: HashMap<usize, HashMap<Box<str>, u64>>,
    /// An upper bound of the ids remembered (exact after each sweep or eviction).
    count: usize,
}

impl Dedupe {
    /// Whether `account` had a request with `id` accepted less than `window` ms before
    /// `now` (or after `now`, from a clock that went back).
    pub(crate) fn seen(&self, account: usize, id: &str, now: u64, window: u64) -> bool {
        self.seen
            .get(&account)
            .and_then(|ids| ids.get(id))
            .is_some_and(|&t| t.saturating_add(window) > now)
    }

    /// Remembers that `account` had a request with `id` accepted at `now`. When more
    /// than `cap` ids are remembered, the oldest are forgotten, down to three quarters of
    /// `cap`.
    pub(crate) fn record(&mut self, account: usize, id: &str, now: u64, cap: usize) {
        self.seen
            .entry(account)
            .or_default()
            .insert(Box::from(id), now);
        self.count += 1;
        if self.count > cap.max(1) {
            self.count = self.len();
            if self.count > cap.max(1) {
                let keep = cap.max(1) * 3 / 4;
                let mut times: Vec<u64> = self
                    .seen
                    .values()
                    .flat_map(|m| m.values().copied())
                    .collect();
                let drop = times.len().saturating_sub(keep.max(1));
                if drop > 0 {
                    let (_, &mut threshold, _) = times.select_nth_unstable(drop - 1);
                    self.seen.retain(|_, ids| {
                        ids.retain(|_, t| *t > threshold);
                        ids.shrink_to_fit();
                        !ids.is_empty()
                    });
                }
                self.count = self.len();
            }
        }
    }

    /// Forgets ids older than `window`.
    pub(crate) fn sweep(&mut self, now: u64, window: u64) {
        self.seen.retain(|_, ids| {
            ids.retain(|_, t| t.saturating_add(window) > now);
            ids.shrink_to_fit();
            !ids.is_empty()
        });
        self.count = self.len();
    }

    /// How many ids are remembered.
    pub(crate) fn len(&self) -> usize {
        self.seen.values().map(HashMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_and_day_windows() {
        let mut r = RateLimiter::default();
        let t0 = 1_000_000_000;
        r.record("1", t0, 10);
        r.record("1", t0 + 1, 10);
        assert_eq!(
            r.check("1", t0 + 2, 2, 10),
            Err(StatusCode::RateLimitMinute)
        );
        assert_eq!(r.check("1", t0 + MINUTE_MS + 1, 2, 10), Ok(()));
        assert_eq!(
            r.check("1", t0 + MINUTE_MS + 1, 5, 2),
            Err(StatusCode::RateLimitDay)
        );
        assert_eq!(r.check("1", t0 + DAY_MS + 1, 5, 2), Ok(()));
        assert_eq!(r.check("2", t0, 1, 1), Ok(()));
        r.sweep(t0 + DAY_MS + 1);
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn dedupe_forgets_after_window() {
        let mut d = Dedupe::default();
        d.record(0, "a", 100, 10);
        assert!(d.seen(0, "a", 150, 100));
        assert!(!d.seen(1, "a", 150, 100));
        assert!(!d.seen(0, "a", 200, 100));
        d.sweep(150, 100);
        assert_eq!(d.len(), 1);
        d.sweep(200, 100);
        assert_eq!(d.len(), 0);
    }

    #[test]
    fn caps_forget_the_oldest() {
        let mut r = RateLimiter::default();
        for i in 0..1_000u64 {
            r.record(&i.to_string(), 1_000 + i, 100);
        }
        assert!(r.len() <= 100, "{}", r.len());
        assert!(
            r.check("999", 2_000, 1, 10).is_err(),
            "the newest is remembered"
        );
        assert!(
            r.check("0", 2_000, 1, 10).is_ok(),
            "the oldest is forgotten"
        );
        let mut d = Dedupe::default();
        for i in 0..1_000u64 {
            d.record(0, &i.to_string(), 1_000 + i, 100);
        }
        assert!(d.len() <= 100, "{}", d.len());
        assert!(d.seen(0, "999", 2_000, 10_000));
        assert!(!d.seen(0, "0", 2_000, 10_000));
    }
}
