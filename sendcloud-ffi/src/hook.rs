//! SMSHook: verifying and parsing SendCloud's delivery webhooks.

use std::sync::Mutex;

use sendcloud_proto::hook::{
    HookError, HookEvent, HookEventKind, HookVerifier, MemoryReplayGuard, ReplayGuard,
};
use sendcloud_proto::{Secret, Timestamp};

use crate::{
    check_out, guard, handle, opt_str_arg, read, sendcloud_error, sendcloud_result, sendcloud_str,
    str_arg, write_handle, write_out,
};

/// How many tokens a verifier remembers against replays.
const REPLAY_CAPACITY: usize = 100_000;

/// The most app keys a verifier takes.
const MAX_KEYS: usize = 64;

/// Verifies SMSHook posts: the signature under any of its app keys, the freshness of the
/// timestamp, the body size (64 KiB), and replays, remembered by the verifier itself (up to
/// 100,000 tokens within the freshness window). Safe to share between threads.
#[derive(Debug)]
pub struct sendcloud_hook_verifier {
    verifier: HookVerifier,
    replay: Mutex<MemoryReplayGuard>,
}

/// A verifier accepting events signed with any of the `key_count` app keys in `keys`
/// (several during a key rotation), at most `max_age_ms` old or ahead (0: five minutes).
///
/// # Safety
/// `keys` must point to `key_count` views, each readable for its length; `out` writable;
/// `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_verifier_new(
    keys: *const sendcloud_str,
    key_count: usize,
    max_age_ms: u64,
    out: *mut *mut sendcloud_hook_verifier,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out, "out")?;
        if keys.is_null() {
            return Err(sendcloud_error::null("keys"));
        }
        if key_count > MAX_KEYS {
            return Err(sendcloud_error::invalid(
                "appKey",
                format!("at most {MAX_KEYS} keys"),
            ));
        }
        // SAFETY: `keys` is not NULL and the caller guarantees `key_count` views, a count of
        // at most 64.
        let views = unsafe { std::slice::from_raw_parts(keys, key_count) };
        let mut secrets = Vec::with_capacity(views.len());
        for view in views {
            // SAFETY: the caller guarantees each view is readable for its length.
            let key = unsafe { str_arg(view.data.cast(), view.len, "appKey") }?;
            secrets.push(Secret::new(key));
        }
        let mut verifier = HookVerifier::new(secrets)?;
        if max_age_ms > 0 {
            verifier = verifier.with_max_age_ms(max_age_ms);
        }
        let replay = Mutex::new(verifier.replay_guard(REPLAY_CAPACITY));
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out, sendcloud_hook_verifier { verifier, replay }) };
        Ok(())
    })
}

/// Verifies and parses one post: its `Content-Type` header (NULL: guessed from the body)
/// and body, at `now_ms` (milliseconds since the Unix epoch). A forged, stale or malformed
/// post fails with `SENDCLOUD_HOOK_REJECTED` and a replay with `SENDCLOUD_HOOK_REPLAYED`;
/// the error's HTTP status is the answer to give. An accepted event's token is remembered
/// at once: when handling the event then fails, call [`sendcloud_hook_verifier_forget`]
/// with it before answering 5xx, or SendCloud's retry is refused as a replay.
///
/// # Safety
/// `verifier` must be live; `content_type` NULL or readable for its length; `body` readable
/// for `body_len` bytes (NULL only with 0); `out_event` writable; `err_out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_verify(
    verifier: *const sendcloud_hook_verifier,
    content_type: *const u8,
    content_type_len: usize,
    body: *const u8,
    body_len: usize,
    now_ms: u64,
    out_event: *mut *mut sendcloud_hook_event,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out_event, "out_event")?;
        // SAFETY: guaranteed by the caller.
        let v = unsafe { handle(verifier, "verifier") }?;
        // SAFETY: guaranteed by the caller.
        let content_type = unsafe { opt_str_arg(content_type, content_type_len, "contentType") }?;
        let limit = v.verifier.max_body_bytes();
        if body_len > limit {
            // Refused before the body is looked at.
            return Err(HookError::TooLarge {
                size: body_len,
                limit,
            }
            .into());
        }
        // SAFETY: guaranteed by the caller; the length is at most the verifier's limit.
        let body = unsafe { crate::bytes_arg(body, body_len, "body") }?;
        let mut replay = v
            .replay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let event =
            v.verifier
                .verify_and_parse(content_type, body, Timestamp(now_ms), &mut *replay)?;
        drop(replay);
        // SAFETY: `out_event` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out_event, sendcloud_hook_event { event }) };
        Ok(())
    })
}

/// Forgets the token of an accepted event (e.g. [`sendcloud_hook_event_token`]), so that a
/// redelivery of the same event is verified again instead of refused as
/// `SENDCLOUD_HOOK_REPLAYED`: call it when your handler failed, so that SendCloud's retry is
/// accepted (and answer that post 5xx). An unknown token is ignored. Answers
/// `SENDCLOUD_NULL_PARAMETER` for a NULL `verifier` or `token` and `SENDCLOUD_INVALID_UTF8`
/// for a token that is not UTF-8; it hands back no error details.
///
/// # Safety
/// `verifier` must be NULL or live; `token` NULL or readable for `token_len` bytes (e.g.
/// the view of a live event's token).
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_verifier_forget(
    verifier: *const sendcloud_hook_verifier,
    token: *const u8,
    token_len: usize,
) -> sendcloud_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: guaranteed by the caller.
        let v = unsafe { handle(verifier, "verifier") }?;
        // SAFETY: guaranteed by the caller.
        let token = unsafe { str_arg(token, token_len, "token") }?;
        v.replay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .forget(token);
        Ok(())
    })
}

/// Frees a verifier; NULL is ignored.
///
/// # Safety
/// `verifier` must be NULL or a verifier from this library, not yet freed, and not in use.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_verifier_free(verifier: *mut sendcloud_hook_verifier) {
    // SAFETY: guaranteed by the caller.
    unsafe { crate::free_handle(verifier) }
}

/// A verified SMSHook event.
#[derive(Debug)]
pub struct sendcloud_hook_event {
    event: HookEvent,
}

impl sendcloud_hook_event {
    fn phone(&self) -> Option<&str> {
        match &self.event.kind {
            HookEventKind::Request { phones, .. } => phones.first().map(String::as_str),
            HookEventKind::Delivered { phone, .. }
            | HookEventKind::ProcessingFailed { phone, .. }
            | HookEventKind::DeliveryFailed { phone, .. } => phone.as_deref(),
            HookEventKind::Reply { phone, .. } => Some(phone),
            _ => None,
        }
    }
}

/// Runs an accessor of a live event, or answers `default` for NULL.
///
/// # Safety
/// `event` must be NULL or live.
unsafe fn with_event<T: Copy>(
    event: *const sendcloud_hook_event,
    default: T,
    f: impl FnOnce(&sendcloud_hook_event) -> T,
) -> T {
    // SAFETY: guaranteed by the caller.
    unsafe { read(event, default, f) }
}

/// The event name: "request", "deliver", "workererror", "delivererror", "reply",
/// "templateVerify", or an unknown name as sent.
///
/// # Safety
/// `event` must be NULL or live; the view lives as long as it.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_event_name(
    event: *const sendcloud_hook_event,
) -> sendcloud_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        with_event(event, sendcloud_str::empty(), |e| {
            sendcloud_str::of(e.event.event_name())
        })
    }
}

/// The first message id of the event (most events have exactly one), or empty.
///
/// # Safety
/// `event` must be NULL or live; the view lives as long as it.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_event_sms_id(
    event: *const sendcloud_hook_event,
) -> sendcloud_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        with_event(event, sendcloud_str::empty(), |e| {
            e.event
                .sms_ids()
                .first()
                .map_or(sendcloud_str::empty(), |id| sendcloud_str::of(id))
        })
    }
}

/// The (first) phone number of the event, or empty.
///
/// # Safety
/// `event` must be NULL or live; the view lives as long as it.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_event_phone(
    event: *const sendcloud_hook_event,
) -> sendcloud_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        with_event(event, sendcloud_str::empty(), |e| {
            e.phone().map_or(sendcloud_str::empty(), sendcloud_str::of)
        })
    }
}

/// The failure status code of a "workererror" or "delivererror" event, else 0.
///
/// # Safety
/// `event` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_event_status_code(
    event: *const sendcloud_hook_event,
) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { with_event(event, 0, |e| e.event.status().map_or(0, |s| s.code())) }
}

/// The event's token (unique per post).
///
/// # Safety
/// `event` must be NULL or live; the view lives as long as it.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_event_token(
    event: *const sendcloud_hook_event,
) -> sendcloud_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        with_event(event, sendcloud_str::empty(), |e| {
            sendcloud_str::of(&e.event.token)
        })
    }
}

/// The event's timestamp, in milliseconds since the Unix epoch (0 for NULL).
///
/// # Safety
/// `event` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_event_timestamp_ms(
    event: *const sendcloud_hook_event,
) -> u64 {
    // SAFETY: guaranteed by the caller.
    unsafe { with_event(event, 0, |e| e.event.timestamp.as_millis()) }
}

/// Any raw field of the post by name (e.g. "message", "tag", "templateId"), as sent.
/// Answers `SENDCLOUD_OUT_OF_RANGE` when the post has no such field.
///
/// # Safety
/// `event` must be NULL or live; `name` readable for `name_len` bytes; `out` writable. The
/// view lives as long as `event`.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_event_field(
    event: *const sendcloud_hook_event,
    name: *const u8,
    name_len: usize,
    out: *mut sendcloud_str,
) -> sendcloud_result {
    guard(std::ptr::null_mut(), || {
        check_out(out, "out")?;
        // SAFETY: guaranteed by the caller.
        let e = unsafe { handle(event, "event") }?;
        // SAFETY: guaranteed by the caller.
        let name = unsafe { str_arg(name, name_len, "name") }?;
        let value = e.event.field(name).ok_or_else(|| {
            sendcloud_error::simple(
                sendcloud_result::SENDCLOUD_OUT_OF_RANGE,
                "the event has no such field",
            )
        })?;
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_out(out, sendcloud_str::of(value)) };
        Ok(())
    })
}

/// Frees an event; NULL is ignored.
///
/// # Safety
/// `event` must be NULL or an event from this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_hook_event_free(event: *mut sendcloud_hook_event) {
    // SAFETY: guaranteed by the caller.
    unsafe { crate::free_handle(event) }
}
