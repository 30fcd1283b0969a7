//! Checking that a post is authentic, fresh, small enough and not replayed.

use std::fmt;

use super::error::HookError;
use super::event::HookEvent;
use super::fields::{check_token, decode_fields, parse_timestamp, raw_required};
use super::post::hook_signature;
use super::replay::{MemoryReplayGuard, ReplayGuard, DEFAULT_MAX_AGE_MS};
use crate::credentials::constant_time_eq;
use crate::credentials::Secret;
use crate::error::ValidationError;
use crate::values::Timestamp;

/// The default largest body [`HookVerifier::verify_and_parse`](super::HookVerifier::verify_and_parse) accepts: 64 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// The length of a hook signature: 64 hex digits of HMAC-SHA256.
pub const SIGNATURE_HEX_LEN: usize = 64;

/// Checks that SMSHook posts are authentic, fresh, small enough and not replayed.
///
/// The signature must be the hex of HMAC-SHA256 over `timestamp` + `token` under one of
/// the app keys (several are accepted, so a key can be rotated without losing events);
/// it is compared in constant time and accepted in either case. The timestamp must be
/// within [`max_age_ms`](HookVerifier::max_age_ms) of `now`, in either direction. Only
/// a post that passes all that is shown to the [`ReplayGuard`], so forged posts cannot
/// fill it.
///
/// ```
/// use sendcloud_proto::hook::{HookError, HookEvent, HookEventKind, HookVerifier};
/// use sendcloud_proto::{Secret, StatusCode, Timestamp};
///
/// let verifier = HookVerifier::new(vec![Secret::new("new-key"), Secret::new("old-key")])?
///     .with_max_age_ms(60_000);
/// let mut seen = verifier.replay_guard(10_000);
///
/// // What SendCloud would post (signed here with the old key).
/// let sent = Timestamp(1_700_000_000_000);
/// let body = HookEvent::signed_form_body(&Secret::new("old-key"),
///     "nyFltYEluRVvYezFHJW1st2ewb71RVcVDiNN6GqvRnWtgDDDDD", sent,
///     [("event", "delivererror"), ("smsId", "1700000000000_1_1_1_abc$13800000000"),
///      ("phone", "13800000000"), ("statusCode", "580")]);
///
/// let now = sent.offset_by(2_000);
/// let content_type = Some("application/x-www-form-urlencoded");
/// let event = verifier.verify_and_parse(content_type, body.as_bytes(), now, &mut seen)?;
/// assert_eq!(event.status(), Some(StatusCode::HookPoweredOff));
///
/// // The same post again is a replay; a forged key is refused; late posts are stale.
/// assert_eq!(verifier.verify_and_parse(content_type, body.as_bytes(), now, &mut seen),
///            Err(HookError::Replayed));
/// let forged = HookEvent::signed_form_body(&Secret::new("guess"), "t", sent, [("event", "deliver")]);
/// assert_eq!(verifier.verify_and_parse(None, forged.as_bytes(), now, &mut seen),
///            Err(HookError::BadSignature));
/// assert!(matches!(
///     verifier.verify_and_parse(None, body.as_bytes(), sent.offset_by(61_000), &mut seen),
///     Err(HookError::Stale { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct HookVerifier {
    keys: Vec<Secret>,
    max_age_ms: u64,
    max_body_bytes: usize,
}

impl fmt::Debug for HookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookVerifier")
            .field("keys", &format_args!("[{} redacted]", self.keys.len()))
            .field("max_age_ms", &self.max_age_ms)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl HookVerifier {
    /// A verifier accepting signatures made with any of `app_keys` (the SMSHook app keys,
    /// not the SMS key). There must be at least one, and none may be empty.
    pub fn new(app_keys: Vec<Secret>) -> Result<Self, ValidationError> {
        if app_keys.is_empty() {
            return Err(ValidationError::new(
                "appKey",
                "at least one app key is required",
            ));
        }
        if app_keys.iter().any(|k| k.expose().is_empty()) {
            return Err(ValidationError::new("appKey", "must not be empty"));
        }
        Ok(HookVerifier {
            keys: app_keys,
            max_age_ms: DEFAULT_MAX_AGE_MS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        })
    }

    /// Sets the freshness window (default [`DEFAULT_MAX_AGE_MS`]).
    pub fn with_max_age_ms(mut self, max_age_ms: u64) -> Self {
        self.max_age_ms = max_age_ms;
        self
    }

    /// Sets the largest body accepted (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// The freshness window, in milliseconds.
    pub fn max_age_ms(&self) -> u64 {
        self.max_age_ms
    }

    /// The largest body accepted, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// How many app keys are accepted.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// A [`MemoryReplayGuard`] of `capacity` tokens whose window matches this verifier's.
    pub fn replay_guard(&self, capacity: usize) -> MemoryReplayGuard {
        MemoryReplayGuard::new(capacity).with_window_ms(self.max_age_ms)
    }

    /// Checks only the signature of `timestamp` + `token` (both exactly as sent). The
    /// token must have 1 to [`MAX_TOKEN_CHARS`](super::MAX_TOKEN_CHARS) characters.
    pub fn verify_signature(
        &self,
        timestamp: &str,
        token: &str,
        signature: &str,
    ) -> Result<(), HookError> {
        check_token(token)?;
        if timestamp.is_empty() {
            return Err(HookError::Missing("timestamp"));
        }
        if signature.len() != SIGNATURE_HEX_LEN || !signature.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(HookError::BadSignature);
        }
        let given = signature.to_ascii_lowercase();
        // Every key is tried, so the time taken does not tell which one matched.
        let mut matched = false;
        for key in &self.keys {
            let expected = hook_signature(key, timestamp, token);
            matched |= constant_time_eq(expected.as_bytes(), given.as_bytes());
        }
        if matched {
            Ok(())
        } else {
            Err(HookError::BadSignature)
        }
    }

    /// Checks only that `timestamp` is within the freshness window around `now`.
    pub fn check_freshness(&self, timestamp: Timestamp, now: Timestamp) -> Result<(), HookError> {
        let (ts, n) = (timestamp.as_millis(), now.as_millis());
        if n > ts && n - ts > self.max_age_ms {
            return Err(HookError::Stale {
                timestamp,
                now,
                max_age_ms: self.max_age_ms,
            });
        }
        if ts > n && ts - n > self.max_age_ms {
            return Err(HookError::FromFuture {
                timestamp,
                now,
                max_age_ms: self.max_age_ms,
            });
        }
        Ok(())
    }

    /// Verifies a parsed event: signature, freshness at `now`, then (only if both pass)
    /// that `replay` has not seen its token.
    ///
    /// The signature is checked over the `timestamp` field exactly as sent when
    /// [`HookEvent::fields`] holds it (and it agrees with [`HookEvent::timestamp`]).
    pub fn verify<R: ReplayGuard + ?Sized>(
        &self,
        event: &HookEvent,
        now: Timestamp,
        replay: &mut R,
    ) -> Result<(), HookError> {
        let decimal = event.timestamp.as_millis().to_string();
        let raw_ts = match event.fields.get("timestamp") {
            Some(raw) if parse_timestamp(raw).ok() == Some(event.timestamp) => raw.as_str(),
            _ => decimal.as_str(),
        };
        self.verify_signature(raw_ts, &event.token, &event.signature)?;
        self.check_freshness(event.timestamp, now)?;
        if !replay.check_and_remember(&event.token, event.timestamp, now) {
            return Err(HookError::Replayed);
        }
        Ok(())
    }

    /// Checks the size of a posted body, decodes it (see [`HookEvent::parse`]), verifies
    /// its signature and freshness, parses the event, and finally checks for a replay.
    /// Authenticity is checked before the event's own fields, so an unsigned post is
    /// refused as such whatever it contains.
    pub fn verify_and_parse<R: ReplayGuard + ?Sized>(
        &self,
        content_type: Option<&str>,
        body: &[u8],
        now: Timestamp,
        replay: &mut R,
    ) -> Result<HookEvent, HookError> {
        let event = self.verify_and_parse_fresh(content_type, body, now)?;
        if !replay.check_and_remember(&event.token, event.timestamp, now) {
            return Err(HookError::Replayed);
        }
        Ok(event)
    }

    /// [`verify_and_parse`](Self::verify_and_parse) without the replay check: the size,
    /// the signature, the freshness and the fields. For a receiver whose replay store is
    /// elsewhere (shared, asynchronous, able to fail): it must then refuse a token it has
    /// seen within [`max_age_ms`](Self::max_age_ms) of either side of the event's time.
    pub fn verify_and_parse_fresh(
        &self,
        content_type: Option<&str>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<HookEvent, HookError> {
        if body.len() > self.max_body_bytes {
            return Err(HookError::TooLarge {
                size: body.len(),
                limit: self.max_body_bytes,
            });
        }
        let fields = decode_fields(content_type, body)?;
        let token = raw_required(&fields, "token")?;
        let raw_ts = raw_required(&fields, "timestamp")?;
        let signature = raw_required(&fields, "signature")?;
        self.verify_signature(raw_ts, token, signature)?;
        let timestamp = parse_timestamp(raw_ts)?;
        self.check_freshness(timestamp, now)?;
        HookEvent::from_fields(fields)
    }
}
