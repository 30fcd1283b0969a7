//! `sendcloud_error`: the details of a failure, handed out through `err_out`.

use sendcloud_proto::hook::HookError;
use sendcloud_proto::ClientError;
use sendcloud_proto::{Error, Rejected, ValidationError};

use crate::sendcloud_result::{self, *};
use crate::{guard, guard_value, handle, read, sendcloud_str};

/// The details of a failure: its result code, a message, and where they apply the
/// SendCloud status code, the HTTP status, the refused field and its rule, and the refused
/// recipients. Made by a failing call when its `err_out` is not NULL; free it with
/// [`sendcloud_error_free`].
#[derive(Debug)]
pub struct sendcloud_error {
    pub(crate) result: sendcloud_result,
    message: String,
    status_code: i64,
    http_status: u16,
    field: String,
    rule: String,
    rejected: Vec<Rejected>,
}

impl sendcloud_error {
    pub(crate) fn simple(result: sendcloud_result, message: impl Into<String>) -> Self {
        sendcloud_error {
            result,
            message: message.into(),
            status_code: 0,
            http_status: 0,
            field: String::new(),
            rule: String::new(),
            rejected: Vec::new(),
        }
    }

    fn with_field(
        result: sendcloud_result,
        field: &str,
        rule: impl Into<String>,
    ) -> sendcloud_error {
        let rule = rule.into();
        sendcloud_error {
            message: format!("invalid {field}: {rule}"),
            field: field.to_owned(),
            rule,
            ..sendcloud_error::simple(result, "")
        }
    }

    pub(crate) fn null(name: &str) -> Self {
        sendcloud_error::with_field(SENDCLOUD_NULL_PARAMETER, name, "must not be NULL")
    }

    pub(crate) fn utf8(name: &str) -> Self {
        sendcloud_error::with_field(SENDCLOUD_INVALID_UTF8, name, "is not valid UTF-8")
    }

    pub(crate) fn invalid(name: &str, rule: impl Into<String>) -> Self {
        sendcloud_error::with_field(SENDCLOUD_INVALID_INPUT, name, rule)
    }

    pub(crate) fn out_of_range(index: usize, len: usize) -> Self {
        sendcloud_error::simple(
            SENDCLOUD_OUT_OF_RANGE,
            format!("index {index} is out of range (the list has {len} items)"),
        )
    }
}

impl From<ValidationError> for sendcloud_error {
    fn from(e: ValidationError) -> Self {
        sendcloud_error::invalid(e.field, e.rule.into_owned())
    }
}

impl From<Error> for sendcloud_error {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        match e {
            Error::Invalid(v) => v.into(),
            Error::Api {
                status, rejected, ..
            } => sendcloud_error {
                status_code: status.code(),
                rejected,
                ..sendcloud_error::simple(SENDCLOUD_API_ERROR, message)
            },
            Error::Http { status, .. } => sendcloud_error {
                http_status: status,
                ..sendcloud_error::simple(SENDCLOUD_HTTP_ERROR, message)
            },
            Error::Decode { .. } => sendcloud_error::simple(SENDCLOUD_DECODE_ERROR, message),
            _ => sendcloud_error::simple(SENDCLOUD_DECODE_ERROR, message),
        }
    }
}

impl From<ClientError> for sendcloud_error {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Proto(e) => e.into(),
            ClientError::Transport { .. } => {
                sendcloud_error::simple(SENDCLOUD_TRANSPORT_ERROR, e.to_string())
            }
            ClientError::Config(_) => {
                sendcloud_error::simple(SENDCLOUD_CONFIG_ERROR, e.to_string())
            }
            _ => sendcloud_error::simple(SENDCLOUD_TRANSPORT_ERROR, e.to_string()),
        }
    }
}

impl From<HookError> for sendcloud_error {
    fn from(e: HookError) -> Self {
        let result = if e == HookError::Replayed {
            SENDCLOUD_HOOK_REPLAYED
        } else {
            SENDCLOUD_HOOK_REJECTED
        };
        let (field, rule) = match &e {
            HookError::Missing(field) => (field.to_string(), "is missing".to_owned()),
            HookError::Invalid { field, reason } => (field.to_string(), reason.clone()),
            _ => (String::new(), String::new()),
        };
        sendcloud_error {
            http_status: e.http_status(),
            field,
            rule,
            ..sendcloud_error::simple(result, e.to_string())
        }
    }
}

/// The result code of the failure.
///
/// # Safety
/// `err` must be NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_error_result(err: *const sendcloud_error) -> sendcloud_result {
    guard_value(SENDCLOUD_PANIC, || {
        // SAFETY: guaranteed by the caller.
        match unsafe { handle(err, "err") } {
            Ok(e) => e.result,
            Err(_) => SENDCLOUD_NULL_PARAMETER,
        }
    })
}

/// A one-line English message (never containing the SMS key); empty for NULL.
///
/// # Safety
/// `err` must be NULL or a live error from this library; the view lives as long as it.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_error_message(err: *const sendcloud_error) -> sendcloud_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(err, sendcloud_str::empty(), |e| {
            sendcloud_str::of(&e.message)
        })
    }
}

/// The SendCloud status code of a `SENDCLOUD_API_ERROR` (e.g. 412, 431), else 0.
///
/// # Safety
/// `err` must be NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_error_status_code(err: *const sendcloud_error) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(err, 0, |e| e.status_code) }
}

/// The HTTP status of a `SENDCLOUD_HTTP_ERROR`, or for `SENDCLOUD_HOOK_REJECTED` /
/// `SENDCLOUD_HOOK_REPLAYED` the status to answer the post with (400, 401, 413 / 200);
/// else 0.
///
/// # Safety
/// `err` must be NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_error_http_status(err: *const sendcloud_error) -> u16 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(err, 0, |e| e.http_status) }
}

/// The refused input of a `SENDCLOUD_INVALID_INPUT`, `SENDCLOUD_NULL_PARAMETER` or
/// `SENDCLOUD_INVALID_UTF8` (e.g. "phone", "vars"), or the refused SMSHook field; else
/// empty.
///
/// # Safety
/// `err` must be NULL or a live error from this library; the view lives as long as it.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_error_field(err: *const sendcloud_error) -> sendcloud_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(err, sendcloud_str::empty(), |e| sendcloud_str::of(&e.field)) }
}

/// The rule the field broke, in plain English; else empty.
///
/// # Safety
/// `err` must be NULL or a live error from this library; the view lives as long as it.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_error_rule(err: *const sendcloud_error) -> sendcloud_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(err, sendcloud_str::empty(), |e| sendcloud_str::of(&e.rule)) }
}

/// How many recipients a `SENDCLOUD_API_ERROR` lists as refused (e.g. on 312).
///
/// # Safety
/// `err` must be NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_error_rejected_count(err: *const sendcloud_error) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe { read(err, 0, |e| e.rejected.len()) }
}

/// The phone number and reason of refused recipient `index`.
///
/// # Safety
/// `err` must be NULL or a live error from this library; `out_phone` and `out_message`
/// must be writable. The views live as long as `err`.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_error_rejected(
    err: *const sendcloud_error,
    index: usize,
    out_phone: *mut sendcloud_str,
    out_message: *mut sendcloud_str,
) -> sendcloud_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: guaranteed by the caller.
        let e = unsafe { handle(err, "err") }?;
        // SAFETY: guaranteed by the caller.
        unsafe { crate::client::write_rejected(&e.rejected, index, out_phone, out_message) }
    })
}

/// Frees an error; NULL is ignored.
///
/// # Safety
/// `err` must be NULL or an error from this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_error_free(err: *mut sendcloud_error) {
    // SAFETY: guaranteed by the caller.
    unsafe { crate::free_handle(err) }
}
