//! The C ABI of the SendCloud SMS client (`include/sendcloud.h`).
//!
//! It follows the conventions of rustls-ffi:
//!
//! * every object is an opaque handle made by a `_new` function and released by its
//!   `_free` function, which accepts NULL;
//! * every fallible function returns a [`sendcloud_result`]; inputs come before outputs,
//!   and outputs are written only on success;
//! * a failing function can also hand back a [`sendcloud_error`] with the details (status
//!   code, message, field and rule) through an optional `sendcloud_error **err_out`; there
//!   is no global "last error" and no global mutable state at all;
//! * strings come in as a pointer and a length, and are checked for UTF-8; strings go out
//!   as [`sendcloud_str`] views that live as long as the handle they were read from, or are
//!   copied into a caller's buffer with [`sendcloud_str_copy`];
//! * no panic crosses the boundary: each exported function catches them and answers
//!   `SENDCLOUD_PANIC`.
//!
//! Two layers are exposed: the sans-IO core (prepare a signed request as method, URL,
//! headers and body; parse a status and body into a receipt), and a blocking client over
//! `sendcloud-ureq`. SMSHook deliveries are verified by a [`sendcloud_hook_verifier`].
//!
//! The SMS key never appears in any message, accessor or error.
// A C ABI is unsafe code by nature; every unsafe block says why it is sound.
#![allow(unsafe_code)]
// The exported names are C names.
#![allow(non_camel_case_types)]
#![deny(missing_docs)]

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Evaluates `$body` with `$s` bound to the endpoint inside a `Message`, whichever kind it
/// is (every kind has the same builder methods and is an `Endpoint`).
macro_rules! each_kind {
    ($message:expr, $s:ident => $body:expr) => {
        match $message {
            $crate::client::Message::Template($s) => $body,
            $crate::client::Message::Voice($s) => $body,
            $crate::client::Message::Code($s) => $body,
        }
    };
}

mod blocking;
mod client;
mod config;
mod error;
mod hook;

pub use blocking::*;
pub use client::*;
pub use config::*;
pub use error::*;
pub use hook::*;

/// The outcome of a call. `SENDCLOUD_OK` is 0; every other value is a failure.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sendcloud_result {
    /// Success.
    SENDCLOUD_OK = 0,
    /// A required pointer was NULL.
    SENDCLOUD_NULL_PARAMETER = 1,
    /// A string was not valid UTF-8.
    SENDCLOUD_INVALID_UTF8 = 2,
    /// An input was refused before anything was sent (see the error's field and rule).
    SENDCLOUD_INVALID_INPUT = 3,
    /// SendCloud answered and refused the request (see the error's status code).
    SENDCLOUD_API_ERROR = 4,
    /// The HTTP status of the answer was not 2xx.
    SENDCLOUD_HTTP_ERROR = 5,
    /// The answer could not be decoded.
    SENDCLOUD_DECODE_ERROR = 6,
    /// Connecting, sending or receiving failed, or timed out.
    SENDCLOUD_TRANSPORT_ERROR = 7,
    /// The client settings were refused (e.g. plain http:// to a remote host).
    SENDCLOUD_CONFIG_ERROR = 8,
    /// An SMSHook post was refused: unsigned, badly signed, stale, malformed or too large
    /// (see the error's HTTP status for the answer to give).
    SENDCLOUD_HOOK_REJECTED = 9,
    /// An SMSHook post was a replay of one already accepted (answer it 200, ignore it). A
    /// handler that fails forgets the token first (`sendcloud_hook_verifier_forget`).
    SENDCLOUD_HOOK_REPLAYED = 10,
    /// A caller's buffer was too small.
    SENDCLOUD_BUFFER_TOO_SMALL = 11,
    /// An index was past the end of a list.
    SENDCLOUD_OUT_OF_RANGE = 12,
    /// A panic was caught at the boundary (a bug in this library).
    SENDCLOUD_PANIC = 13,
}

use sendcloud_result::*;

/// A static, NUL-terminated English description of a result code (never NULL; unknown
/// codes get "unknown result code").
#[no_mangle]
pub extern "C" fn sendcloud_result_describe(result: u32) -> *const c_char {
    let text: &'static [u8] = match result {
        0 => b"success\0",
        1 => b"a required pointer was NULL\0",
        2 => b"a string was not valid UTF-8\0",
        3 => b"an input was refused\0",
        4 => b"SendCloud refused the request\0",
        5 => b"unexpected HTTP status from SendCloud\0",
        6 => b"SendCloud's answer could not be decoded\0",
        7 => b"the connection to SendCloud failed\0",
        8 => b"invalid client settings\0",
        9 => b"the SMSHook post was refused\0",
        10 => b"the SMSHook post was a replay\0",
        11 => b"the buffer is too small\0",
        12 => b"index out of range\0",
        13 => b"a panic was caught at the C boundary\0",
        _ => b"unknown result code\0",
    };
    text.as_ptr().cast()
}

/// A borrowed UTF-8 string: `len` bytes at `data`, not NUL-terminated.
///
/// As an output it points into the handle it was read from and is valid until that handle
/// is freed (or, for a message, changed); `data` is never NULL. As an input (the app keys
/// of [`sendcloud_hook_verifier_new`]) it is read during the call only.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sendcloud_str {
    /// The first byte.
    pub data: *const c_char,
    /// The number of bytes.
    pub len: usize,
}

impl sendcloud_str {
    pub(crate) fn of(s: &str) -> Self {
        sendcloud_str {
            data: s.as_ptr().cast(),
            len: s.len(),
        }
    }

    pub(crate) fn empty() -> Self {
        sendcloud_str::of("")
    }
}

/// A borrowed byte string: `len` bytes at `data` (never NULL), valid until the handle it
/// was read from is freed.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sendcloud_bytes {
    /// The first byte.
    pub data: *const u8,
    /// The number of bytes.
    pub len: usize,
}

/// Copies `s` into `buf` (of `cap` bytes) with a terminating NUL and writes the length
/// without the NUL to `*out_len`. Answers `SENDCLOUD_BUFFER_TOO_SMALL` when `cap` is not
/// at least `s.len + 1`, writing nothing.
///
/// # Safety
/// `s` must be a view from this library (or `len` readable bytes at `data`); `buf` must
/// be writable for `cap` bytes; `out_len` must be writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_str_copy(
    s: sendcloud_str,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> sendcloud_result {
    guard(std::ptr::null_mut(), || {
        if s.data.is_null() || buf.is_null() || out_len.is_null() {
            return Err(sendcloud_error::null("str_copy"));
        }
        if cap <= s.len {
            return Err(sendcloud_error::simple(
                SENDCLOUD_BUFFER_TOO_SMALL,
                "the buffer is too small",
            ));
        }
        // SAFETY: the caller guarantees `s.len` readable bytes at `s.data` and `cap` writable
        // bytes at `buf`; `s.len + 1 <= cap`, and a view from this library never overlaps a
        // caller's buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(s.data, buf, s.len);
            *buf.add(s.len) = 0;
            *out_len = s.len;
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// The boundary: panics, arguments, handles
// ---------------------------------------------------------------------------------------

/// The longest string or body accepted as an input (16 MiB); longer ones are refused
/// before they are read.
pub(crate) const MAX_INPUT_BYTES: usize = 16 << 20;

/// Runs `f` behind a panic boundary; on failure hands the details to `err_out` when it is
/// not NULL, and answers the result code.
pub(crate) fn guard(
    err_out: *mut *mut sendcloud_error,
    f: impl FnOnce() -> Result<(), sendcloud_error>,
) -> sendcloud_result {
    let outcome = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(sendcloud_error::simple(
            SENDCLOUD_PANIC,
            "a panic was caught at the C boundary",
        ))
    });
    match outcome {
        Ok(()) => SENDCLOUD_OK,
        Err(e) => {
            let code = e.result;
            if !err_out.is_null() {
                let boxed = Box::into_raw(Box::new(e));
                // SAFETY: `err_out` is not NULL and the caller guarantees it is writable.
                unsafe { err_out.write(boxed) };
            }
            code
        }
    }
}

/// Runs an infallible accessor behind a panic boundary, answering `default` on a panic.
pub(crate) fn guard_value<T>(default: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

/// Reads a value from a handle behind a panic boundary; NULL (or a panic) gives `default`.
///
/// # Safety
/// When not NULL, `ptr` must be a live handle of type `T` from this library.
pub(crate) unsafe fn read<T, R: Copy>(ptr: *const T, default: R, f: impl FnOnce(&T) -> R) -> R {
    guard_value(default, || {
        // SAFETY: guaranteed by the caller.
        unsafe { ptr.as_ref() }.map_or(default, f)
    })
}

/// The bytes of an input; NULL with length 0 is the empty slice.
///
/// # Safety
/// When `ptr` is not NULL it must be readable for `len` bytes during the call.
pub(crate) unsafe fn bytes_arg<'a>(
    ptr: *const u8,
    len: usize,
    name: &'static str,
) -> Result<&'a [u8], sendcloud_error> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(sendcloud_error::null(name))
        };
    }
    if len > MAX_INPUT_BYTES {
        return Err(sendcloud_error::invalid(
            name,
            format!("is too long: {len} bytes, at most {MAX_INPUT_BYTES}"),
        ));
    }
    // SAFETY: `ptr` is not NULL, the caller guarantees `len` readable bytes, and `len` is at
    // most 16 MiB, far below `isize::MAX`.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A required UTF-8 string input (NULL is refused).
///
/// # Safety
/// As [`bytes_arg`].
pub(crate) unsafe fn str_arg<'a>(
    ptr: *const u8,
    len: usize,
    name: &'static str,
) -> Result<&'a str, sendcloud_error> {
    if ptr.is_null() {
        return Err(sendcloud_error::null(name));
    }
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { bytes_arg(ptr, len, name) }?;
    std::str::from_utf8(bytes).map_err(|_| sendcloud_error::utf8(name))
}

/// An optional UTF-8 string input (NULL is `None`).
///
/// # Safety
/// As [`bytes_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(
    ptr: *const u8,
    len: usize,
    name: &'static str,
) -> Result<Option<&'a str>, sendcloud_error> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { str_arg(ptr, len, name) }.map(Some)
}

/// Borrows a handle (NULL is refused).
///
/// # Safety
/// When not NULL, `ptr` must come from this library's `_new` for `T` and not be freed.
pub(crate) unsafe fn handle<'a, T>(
    ptr: *const T,
    name: &'static str,
) -> Result<&'a T, sendcloud_error> {
    // SAFETY: the caller guarantees a live handle when not NULL.
    unsafe { ptr.as_ref() }.ok_or_else(|| sendcloud_error::null(name))
}

/// Borrows a handle mutably (NULL is refused).
///
/// # Safety
/// As [`handle`], and no other reference to it may be in use during the call.
pub(crate) unsafe fn handle_mut<'a, T>(
    ptr: *mut T,
    name: &'static str,
) -> Result<&'a mut T, sendcloud_error> {
    // SAFETY: the caller guarantees a live, unshared handle when not NULL.
    unsafe { ptr.as_mut() }.ok_or_else(|| sendcloud_error::null(name))
}

/// Checks that an out-parameter is not NULL, before any work is done.
pub(crate) fn check_out<T>(out: *mut T, name: &'static str) -> Result<(), sendcloud_error> {
    if out.is_null() {
        Err(sendcloud_error::null(name))
    } else {
        Ok(())
    }
}

/// Writes a value to a checked out-parameter.
///
/// # Safety
/// `out` must be non-NULL (see [`check_out`]) and writable.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: guaranteed by the caller.
    unsafe { out.write(value) }
}

/// Moves a value into a new handle and writes it to a checked out-parameter.
///
/// # Safety
/// As [`write_out`].
pub(crate) unsafe fn write_handle<T>(out: *mut *mut T, value: T) {
    // SAFETY: guaranteed by the caller.
    unsafe { out.write(Box::into_raw(Box::new(value))) }
}

/// Frees a handle made by [`write_handle`]; NULL is ignored.
///
/// # Safety
/// `ptr` must be NULL or a handle of type `T` from this library, not yet freed.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if ptr.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller guarantees `ptr` came from `Box::into_raw` and is freed once.
        drop(unsafe { Box::from_raw(ptr) });
    }));
}

/// An algorithm code from C (`sendcloud_algorithm`).
pub(crate) fn algorithm_arg(
    code: u32,
) -> Result<sendcloud_proto::SignatureAlgorithm, sendcloud_error> {
    match code {
        0 => Ok(sendcloud_proto::SignatureAlgorithm::Md5),
        1 => Ok(sendcloud_proto::SignatureAlgorithm::Sha256),
        _ => Err(sendcloud_error::invalid(
            "algorithm",
            "must be SENDCLOUD_ALGORITHM_MD5 (0) or SENDCLOUD_ALGORITHM_SHA256 (1)",
        )),
    }
}

/// The signature algorithms, for the `algorithm` argument of the client constructors.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub enum sendcloud_algorithm {
    /// MD5 (the default of SendCloud).
    SENDCLOUD_ALGORITHM_MD5 = 0,
    /// SHA-256.
    SENDCLOUD_ALGORITHM_SHA256 = 1,
}

/// The message types, for [`sendcloud_message_set_msg_type`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub enum sendcloud_msg_type {
    /// An SMS (the default for Chinese mainland numbers).
    SENDCLOUD_MSG_TYPE_SMS = 0,
    /// An MMS.
    SENDCLOUD_MSG_TYPE_MMS = 1,
    /// An international SMS (the default, and the only choice, for `+`/`00` numbers).
    SENDCLOUD_MSG_TYPE_INTERNATIONAL = 2,
}

/// The version of this library, a static NUL-terminated string such as "0.1.0".
#[no_mangle]
pub extern "C" fn sendcloud_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
