//! The retry policy: a pure decision from an attempt's outcome to what to do next.
//! Transports execute it; nobody re-implements it.

use std::time::Duration;

use crate::error::Error;
use crate::status::{RetryClass, StatusCode};

/// How an attempt failed below the API: what the transport saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportFailure {
    /// No connection was made: the request was certainly not sent.
    Connect,
    /// No complete answer within the timeout: the request may have been processed.
    Timeout,
    /// The connection failed while sending or receiving: the request may have been processed.
    Io,
}

/// The outcome of one attempt, as the policy sees it.
#[derive(Clone, Copy, Debug)]
pub enum AttemptOutcome<'a> {
    /// The request was processed (200 or 311).
    Success,
    /// An answer came and was an error (API refusal, HTTP status, undecodable body).
    Error(&'a Error),
    /// No usable answer came.
    Transport(TransportFailure),
}

/// What the policy knows about the attempt besides its outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttemptContext {
    /// The attempt that just ended, from 1.
    pub attempt: u32,
    /// Whether the request can never be processed twice (it carries a sendRequestId, or
    /// it is a read).
    pub idempotent: bool,
    /// Whether the clock was already resynced for this request.
    pub clock_resynced: bool,
    /// Whether an earlier attempt may have been processed: it timed out, its connection
    /// failed after the request was sent, or its answer was a server error or unreadable.
    /// Only then does a `400 duplicate request` mean "already accepted".
    pub maybe_processed: bool,
    /// A random number in `[0, 1)` chosen by the caller (the core has no randomness).
    pub jitter: f64,
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Finished: report the outcome as it is.
    Done,
    /// A retry was answered `400 duplicate request` after an attempt that may have been
    /// processed (see [`AttemptContext::maybe_processed`]): that attempt was. Report the
    /// request as accepted.
    AlreadyAccepted,
    /// Wait, then send the same request again (re-signed with a fresh timestamp).
    Retry {
        /// How long to wait first.
        after: Duration,
    },
    /// Learn the server's clock from `timestamp/get`, then re-sign and send again at once.
    ResyncClock,
    /// Stop and report the outcome: retrying would not help, or would not be safe.
    GiveUp,
}

/// Exponential backoff with caller-supplied jitter and a cap on attempts.
///
/// ```
/// use std::time::Duration;
/// use sendcloud_proto::{AttemptContext, AttemptOutcome, Decision, RetryPolicy, TransportFailure};
/// let p = RetryPolicy::default();
/// let ctx = AttemptContext {
///     attempt: 1, idempotent: true, clock_resynced: false, maybe_processed: false, jitter: 0.0,
/// };
/// assert_eq!(p.decide(&ctx, AttemptOutcome::Transport(TransportFailure::Timeout)),
///            Decision::Retry { after: Duration::from_millis(100) });
/// // Without a sendRequestId a timed-out send may have gone out: no blind retry.
/// let blind = AttemptContext { idempotent: false, ..ctx };
/// assert_eq!(p.decide(&blind, AttemptOutcome::Transport(TransportFailure::Timeout)),
///            Decision::GiveUp);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts in all (1: never retry).
    pub max_attempts: u32,
    /// The delay before the first retry (before jitter).
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries (a clock resync still happens once).
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before the retry that follows `attempt`: half of the exponential delay,
    /// plus up to the other half by `jitter` ("equal jitter").
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let shift = attempt.saturating_sub(1).min(31);
        let full = self
            .base_delay
            .saturating_mul(1u32 << shift)
            .min(self.max_delay);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        full / 2 + full.mul_f64(jitter / 2.0)
    }

    /// Decides what follows an attempt.
    pub fn decide(&self, ctx: &AttemptContext, outcome: AttemptOutcome<'_>) -> Decision {
        let retry = |safe: bool| {
            if safe && ctx.attempt < self.max_attempts {
                Decision::Retry {
                    after: self.backoff(ctx.attempt, ctx.jitter),
                }
            } else {
                Decision::GiveUp
            }
        };
        match outcome {
            AttemptOutcome::Success => Decision::Done,
            // Nothing left the machine: always safe to try again.
            AttemptOutcome::Transport(TransportFailure::Connect) => retry(true),
            AttemptOutcome::Transport(_) => retry(ctx.idempotent),
            AttemptOutcome::Error(err) => match err {
                Error::Invalid(_) => Decision::GiveUp,
                Error::Api { status, .. } => {
                    if *status == StatusCode::DuplicateRequest
                        && ctx.maybe_processed
                        && ctx.idempotent
                    {
                        return Decision::AlreadyAccepted;
                    }
                    match status.retry_class() {
                        RetryClass::Success => Decision::Done,
                        RetryClass::ClockSkew if !ctx.clock_resynced => Decision::ResyncClock,
                        RetryClass::Retryable => retry(ctx.idempotent),
                        _ => Decision::GiveUp,
                    }
                }
                Error::Http { status, .. } => {
                    retry(ctx.idempotent && (*status >= 500 || *status == 429 || *status == 408))
                }
                // A garbled answer (a proxy's page, a cut body): the outcome is unknown.
                Error::Decode { .. } => retry(ctx.idempotent),
            },
        }
    }
}
