//! Why an SMSHook post was refused.

use std::fmt;

use crate::values::Timestamp;

/// How many characters of an offending value an error quotes.
const QUOTE_CHARS: usize = 64;

/// Why an SMSHook post was refused. Never contains an app key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookError {
    /// The body is larger than [`HookVerifier::max_body_bytes`](super::HookVerifier::max_body_bytes).
    TooLarge {
        /// The size of the body, in bytes.
        size: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body could not be decoded at all (e.g. broken JSON, or JSON that is not an object).
    Malformed(String),
    /// A required field is absent or empty.
    Missing(&'static str),
    /// A field is present but its value is not acceptable.
    Invalid {
        /// The field, as SendCloud names it (e.g. `"statusCode"`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not match any configured app key (or is not 64 hex digits).
    BadSignature,
    /// The timestamp is older than the freshness window.
    Stale {
        /// The event's timestamp.
        timestamp: Timestamp,
        /// The time the caller passed as now.
        now: Timestamp,
        /// The freshness window, in milliseconds.
        max_age_ms: u64,
    },
    /// The timestamp is further in the future than the freshness window.
    FromFuture {
        /// The event's timestamp.
        timestamp: Timestamp,
        /// The time the caller passed as now.
        now: Timestamp,
        /// The freshness window, in milliseconds.
        max_age_ms: u64,
    },
    /// The token was seen before: the post is a replay (or a redelivery of an event that
    /// was already accepted).
    Replayed,
}

impl HookError {
    /// A suggested HTTP status for answering the post that caused this error.
    ///
    /// Bodies that cannot be understood get 400 (413 when too large); posts that are not
    /// authentic or not fresh get 401. A replay gets 200: the event was already accepted,
    /// and answering 200 stops SendCloud from delivering it again (up to 7 times).
    pub fn http_status(&self) -> u16 {
        match self {
            HookError::TooLarge { .. } => 413,
            HookError::Malformed(_) | HookError::Missing(_) | HookError::Invalid { .. } => 400,
            HookError::BadSignature | HookError::Stale { .. } | HookError::FromFuture { .. } => 401,
            HookError::Replayed => 200,
        }
    }
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookError::TooLarge { size, limit } => {
                write!(f, "SMSHook body too large: {size} bytes, limit {limit}")
            }
            HookError::Malformed(reason) => write!(f, "malformed SMSHook body: {reason}"),
            HookError::Missing(field) => write!(f, "SMSHook field {field} is missing"),
            HookError::Invalid { field, reason } => {
                write!(f, "invalid SMSHook field {field}: {reason}")
            }
            HookError::BadSignature => f.write_str("SMSHook signature does not match"),
            HookError::Stale {
                timestamp,
                now,
                max_age_ms,
            } => write!(
                f,
                "stale SMSHook event: timestamp {timestamp} is more than {max_age_ms} ms before {now}"
            ),
            HookError::FromFuture {
                timestamp,
                now,
                max_age_ms,
            } => write!(
                f,
                "SMSHook event from the future: timestamp {timestamp} is more than {max_age_ms} ms after {now}"
            ),
            HookError::Replayed => f.write_str("SMSHook token was already seen (replay)"),
        }
    }
}

impl std::error::Error for HookError {}

pub(super) fn invalid(field: &'static str, reason: impl Into<String>) -> HookError {
    HookError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A value quoted in an error: at most [`QUOTE_CHARS`] characters, Debug-escaped.
pub(super) fn quote(value: &str) -> String {
    let mut s: String = value.chars().take(QUOTE_CHARS).collect();
    if value.chars().nth(QUOTE_CHARS).is_some() {
        s.push('…');
    }
    format!("{s:?}")
}
