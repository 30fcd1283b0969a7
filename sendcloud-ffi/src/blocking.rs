//! The blocking layer: a client over `sendcloud-ureq` that sends and waits.

use crate::client::receipt_of;
use crate::config::positional;
use crate::{
    check_out, guard, handle, sendcloud_client_config, sendcloud_error, sendcloud_message,
    sendcloud_receipt, sendcloud_result, write_handle, write_out,
};

/// A blocking client: it signs, sends over HTTPS (plain http only to loopback), retries
/// passing failures with a sendRequestId so nothing is sent twice, and learns the server's
/// clock on 461. Safe to share between threads.
#[derive(Debug)]
pub struct sendcloud_blocking_client {
    inner: sendcloud_ureq::Client,
}

/// A blocking client of `sms_user` with `sms_key` for `base_url` (NULL: the real service),
/// signing with `algorithm` (`sendcloud_algorithm`). `timeout_ms` bounds each attempt
/// (0: 30 s); `max_attempts` bounds the tries of one call (0: 5; 1: no retries).
///
/// A shorthand for a `sendcloud_client_config_builder_new`, its setters,
/// `sendcloud_client_config_builder_build` and
/// [`sendcloud_blocking_client_new_with_config`], which also reach the other settings.
///
/// # Safety
/// The strings must be NULL (only `base_url`) or readable for their lengths; `out`
/// writable; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_blocking_client_new(
    sms_user: *const u8,
    sms_user_len: usize,
    sms_key: *const u8,
    sms_key_len: usize,
    base_url: *const u8,
    base_url_len: usize,
    algorithm: u32,
    timeout_ms: u64,
    max_attempts: u32,
    out: *mut *mut sendcloud_blocking_client,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out, "out")?;
        // SAFETY: forwarded from the caller.
        let builder = unsafe {
            positional(
                sms_user,
                sms_user_len,
                sms_key,
                sms_key_len,
                base_url,
                base_url_len,
                algorithm,
                timeout_ms,
                max_attempts,
            )
        }?;
        let inner = builder.build()?.blocking_client()?;
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out, sendcloud_blocking_client { inner }) };
        Ok(())
    })
}

/// A blocking client with the settings of `config`.
///
/// # Safety
/// `config` must be a live config; `out` writable; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_blocking_client_new_with_config(
    config: *const sendcloud_client_config,
    out: *mut *mut sendcloud_blocking_client,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out, "out")?;
        // SAFETY: guaranteed by the caller.
        let inner = unsafe { handle(config, "config") }?.blocking_client()?;
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out, sendcloud_blocking_client { inner }) };
        Ok(())
    })
}

/// Sends `message` (template, voice or code) and waits for the receipt. A refusal fails
/// with `SENDCLOUD_API_ERROR` (status code, message and refused recipients in the error),
/// a network failure with `SENDCLOUD_TRANSPORT_ERROR`.
///
/// # Safety
/// `client` and `message` must be live handles; `out_receipt` writable; `err_out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_blocking_send(
    client: *const sendcloud_blocking_client,
    message: *const sendcloud_message,
    out_receipt: *mut *mut sendcloud_receipt,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out_receipt, "out_receipt")?;
        // SAFETY: guaranteed by the caller.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: guaranteed by the caller.
        let m = unsafe { handle(message, "message") }?;
        let receipt = each_kind!(&m.inner, s => c.inner.call(s.clone()))?;
        // SAFETY: `out_receipt` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out_receipt, receipt_of(receipt)) };
        Ok(())
    })
}

/// Reads the server's clock (milliseconds since the Unix epoch); the client keeps the
/// offset to it for later requests.
///
/// # Safety
/// `client` must be a live handle; `out_ms` writable; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_blocking_server_time(
    client: *const sendcloud_blocking_client,
    out_ms: *mut u64,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out_ms, "out_ms")?;
        // SAFETY: guaranteed by the caller.
        let c = unsafe { handle(client, "client") }?;
        let time = c.inner.server_time()?;
        // SAFETY: `out_ms` was checked and the caller guarantees it is writable.
        unsafe { write_out(out_ms, time.0.as_millis()) };
        Ok(())
    })
}

/// Frees a blocking client; NULL is ignored.
///
/// # Safety
/// `client` must be NULL or a client from this library, not yet freed, and not in use.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_blocking_client_free(client: *mut sendcloud_blocking_client) {
    // SAFETY: guaranteed by the caller.
    unsafe { crate::free_handle(client) }
}
