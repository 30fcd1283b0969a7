//! What lasts across calls: the client, the retry policy, the learned offset of the
//! server's clock, and the generator of sendRequestIds and retry jitter. A transport keeps
//! one session per client and drives each call through it; it only adds the sockets, the
//! timers and the reading of its clock.
//!
//! ```
//! use sendcloud_proto::*;
//!
//! let client = Client::new(Credentials::new("u", "k")?);
//! // The seed is the transport's randomness: the core has none.
//! let session = Session::new(client, RetryPolicy::default(), 0x5eed);
//! let send = SendTemplate::new(TemplateId::new(1)?, Recipients::parse("13800000000")?);
//! // The transport also gives fresh bits with each call (its process id and clock), so
//! // that forked processes sharing a session never make the same id.
//! let mut call = session.start(send, || 0x1234);
//! // No sendRequestId was given: the session made one, so a retry is never sent twice.
//! assert!(call.endpoint().send_request_id().is_some());
//!
//! let local_clock = || Timestamp(1_700_000_000_000);
//! let _request = session.request(&mut call, local_clock)?;
//! let answer = http::Response::new(r#"{"result":false,"statusCode":461,"message":"时间戳过期"}"#);
//! assert!(matches!(session.on_response(&mut call, &answer), Next::ResyncClock));
//!
//! // The transport asks `timestamp/get`, and the session learns the offset.
//! session.learn_clock(ServerTime(Timestamp(1_700_000_060_000)), local_clock(), local_clock());
//! assert_eq!(session.now(local_clock()), Timestamp(1_700_000_060_000));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use crate::call::{Call, Next};
use crate::client::Client;
use crate::config::{ClientConfig, ClientError};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::response::ServerTime;
use crate::retry::{RetryPolicy, TransportFailure};
use crate::values::{SendRequestId, Timestamp};

/// The state of a client that outlives one call. Shared by reference between threads
/// and tasks (it is `Sync`). Its Debug output leaves out the generator's seed.
pub struct Session {
    client: Client,
    retry: RetryPolicy,
    clock_offset_ms: AtomicI64,
    seed: u128,
    counter: AtomicU64,
}

impl Session {
    /// A session of `client` under `retry`, its ids and jitter drawn from `seed` (128 bits
    /// of the transport's randomness) and from the bits each call brings to [`Session::start`].
    pub fn new(client: Client, retry: RetryPolicy, seed: u128) -> Session {
        Session {
            client,
            retry,
            clock_offset_ms: AtomicI64::new(0),
            seed,
            counter: AtomicU64::new(0),
        }
    }

    /// The session a transport's client built from `config` uses: the credentials, the
    /// base URL and the plain-http rule checked, the Host header carried.
    pub fn from_config(config: &ClientConfig, seed: u128) -> Result<Session, ClientError> {
        Ok(Session::new(config.core_client()?, config.retry, seed))
    }

    /// The sans-IO client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The learned offset of the server's clock from the transport's, in ms.
    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// The server's time when the transport's clock reads `local`.
    pub fn now(&self, local: Timestamp) -> Timestamp {
        local.offset_by(self.clock_offset_ms())
    }

    /// Learns the server's clock from a `timestamp/get` answer read between `sent` and
    /// `received` (the transport's clock); returns the offset.
    pub fn learn_clock(&self, server: ServerTime, sent: Timestamp, received: Timestamp) -> i64 {
        let offset = clock_offset(server.0, sent, received);
        self.clock_offset_ms.store(offset, Ordering::Relaxed);
        offset
    }

    /// Starts a call of `endpoint`, with a sendRequestId made up when it can carry one and
    /// has none: from the seeded generator and `entropy` (read only then), bits that differ between
    /// processes and over time (the transport's process id and clock), so that processes
    /// forked with the same session still make different ids.
    pub fn start<E: Endpoint>(&self, endpoint: E, entropy: impl FnOnce() -> u64) -> Call<E> {
        Call::new(endpoint, self.retry, || self.request_id(entropy()))
    }

    /// The next attempt's request, signed at the server's time; `local_clock` is read only
    /// when the request is signed.
    pub fn request<E: Endpoint>(
        &self,
        call: &mut Call<E>,
        local_clock: impl FnOnce() -> Timestamp,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        call.request_at(&self.client, || self.now(local_clock()))
    }

    /// Feeds the answer to the last request: what the transport does next.
    pub fn on_response<E: Endpoint, B: AsRef<[u8]>>(
        &self,
        call: &mut Call<E>,
        response: &http::Response<B>,
    ) -> Next<E::Output> {
        call.on_response(response, || self.jitter())
    }

    /// Feeds a transport failure of the last request: `Some(delay)` to retry after it,
    /// `None` to give up.
    pub fn on_transport_failure<E: Endpoint>(
        &self,
        call: &mut Call<E>,
        failure: TransportFailure,
    ) -> Option<Duration> {
        call.on_transport_failure(failure, || self.jitter())
    }

    /// A number in `[0, 1)` for spreading retries.
    fn jitter(&self) -> f64 {
        (self.random() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A sendRequestId: 64 bits from the generator, 64 from the generator mixed with
    /// `entropy`.
    fn request_id(&self, entropy: u64) -> SendRequestId {
        let hi = u128::from(self.random());
        let lo = u128::from(mix(self.random() ^ mix(entropy)));
        generated_request_id((hi << 64) | lo)
    }

    /// The next number of the seeded generator: SplitMix64 over a counter, keyed by the
    /// seed.
    fn random(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        mix((self.seed as u64) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)) ^ ((self.seed >> 64) as u64)
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("client", &self.client)
            .field("retry", &self.retry)
            .field("clock_offset_ms", &self.clock_offset_ms())
            .finish_non_exhaustive()
    }
}

/// The bits a transport gives [`Session::start`] with each call: its process id and its
/// clock's reading (read by the transport), so that processes forked with one session, or
/// clients seeded alike, make different sendRequestIds.
pub fn call_entropy(process_id: u32, now: std::time::SystemTime) -> u64 {
    let nanos = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (u64::from(process_id) << 32) ^ nanos
}

/// SplitMix64's finalizer: every bit of `z` moves every bit of the result.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The offset (server minus local, in ms) learned from a `timestamp/get` answer, taking the
/// server's reading to be from the middle of the exchange.
///
/// ```
/// use sendcloud_proto::{clock_offset, Timestamp};
/// assert_eq!(clock_offset(Timestamp(1_000), Timestamp(2_000), Timestamp(2_100)), -1_050);
/// ```
pub fn clock_offset(server: Timestamp, sent_local: Timestamp, received_local: Timestamp) -> i64 {
    let mid =
        sent_local.0 / 2 + received_local.0 / 2 + (sent_local.0 % 2 + received_local.0 % 2) / 2;
    (server.0 as i128 - mid as i128).clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// A sendRequestId made from 128 random bits: `sc-` and 32 hex digits.
pub fn generated_request_id(random: u128) -> SendRequestId {
    SendRequestId::new(format!("sc-{random:032x}")).expect("35 ASCII characters are a valid id")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;

    fn session(seed: u128) -> Session {
        Session::new(
            Client::new(Credentials::new("u", "k").unwrap()),
            RetryPolicy::default(),
            seed,
        )
    }

    #[test]
    fn ids_differ_within_and_across_sessions_and_jitter_stays_in_range() {
        let mut seen = std::collections::HashSet::new();
        for seed in [0u128, 1, u128::MAX, 0x5eed << 64] {
            let s = session(seed);
            for _ in 0..1000 {
                assert!(seen.insert(s.request_id(7).as_str().to_owned()));
                let j = s.jitter();
                assert!((0.0..1.0).contains(&j), "{j}");
            }
        }
    }

    /// Two processes forked with the same session (same seed, same counter) still make
    /// different ids, given different entropy (their process ids).
    #[test]
    fn forked_sessions_make_different_ids() {
        let (a, b) = (session(42), session(42));
        assert_ne!(a.request_id(1001 << 32), b.request_id(1002 << 32));
    }

    #[test]
    fn debug_shows_no_seed() {
        let shown = format!("{:?}", session(0xdead_beef_cafe));
        assert!(
            !shown.contains("seed") && !shown.contains("counter"),
            "{shown}"
        );
        assert!(!shown.contains("\"k\""), "{shown}");
    }
}
