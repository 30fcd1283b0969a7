//! Client settings, shaped as rustls-ffi shapes its configs: a builder that takes one
//! setting per call, consumed by `_build` into an immutable config, from which the blocking
//! and the sans-IO clients are made.

use std::time::Duration;

use sendcloud_proto::{ClientConfig, Credentials, RetryPolicy, Transport};

use crate::{
    algorithm_arg, check_out, guard, handle, handle_mut, opt_str_arg, sendcloud_error,
    sendcloud_result, str_arg, write_handle,
};

/// Settings of a client, being built: made by [`sendcloud_client_config_builder_new`] with
/// the credentials and the defaults (the real service, MD5, a 30 s timeout per attempt, a
/// 5 s connect timeout, 5 attempts, plain http only to loopback), changed by the
/// `sendcloud_client_config_builder_set_*` functions, and turned into a
/// [`sendcloud_client_config`] by [`sendcloud_client_config_builder_build`]. Not safe to
/// share between threads while it is being changed.
#[derive(Debug)]
pub struct sendcloud_client_config_builder {
    config: ClientConfig,
}

/// Checked, immutable settings of a client, made by
/// [`sendcloud_client_config_builder_build`]. Any number of clients can be made from one
/// (`sendcloud_blocking_client_new_with_config`, [`sendcloud_client_new_with_config`]);
/// they keep their own copy, so the config can be freed as soon as they are made. Safe to
/// share between threads.
#[derive(Debug)]
pub struct sendcloud_client_config {
    pub(crate) config: ClientConfig,
}

impl sendcloud_client_config_builder {
    /// The defaults for these credentials, checked.
    pub(crate) fn new(user: &str, key: &str) -> Result<Self, sendcloud_error> {
        Credentials::new(user, key)?;
        Ok(sendcloud_client_config_builder {
            config: ClientConfig::new(user, key),
        })
    }

    pub(crate) fn set_base_url(&mut self, url: &str) -> Result<(), sendcloud_error> {
        // The URL's form is checked now; the plain-http rule at build, once
        // `allow_plain_http` can no longer change.
        let mut candidate = self.config.clone();
        candidate.base_url = url.to_owned();
        candidate.allow_plain_http = true;
        candidate.core_client()?;
        self.config.base_url = candidate.base_url;
        Ok(())
    }

    pub(crate) fn set_algorithm(&mut self, algorithm: u32) -> Result<(), sendcloud_error> {
        self.config.algorithm = algorithm_arg(algorithm)?;
        Ok(())
    }

    pub(crate) fn set_timeout_ms(&mut self, ms: u64) -> Result<(), sendcloud_error> {
        self.config.timeout = millis(ms, "timeout")?;
        Ok(())
    }

    pub(crate) fn set_max_attempts(&mut self, n: u32) -> Result<(), sendcloud_error> {
        if n == 0 {
            return Err(sendcloud_error::invalid(
                "maxAttempts",
                "must be at least 1 (1: no retries)",
            ));
        }
        self.config.retry = RetryPolicy {
            max_attempts: n,
            ..self.config.retry
        };
        Ok(())
    }

    pub(crate) fn set_allow_plain_http(&mut self, allow: bool) {
        self.config.allow_plain_http = allow;
    }

    /// Checks the settings as a whole (credentials, base URL, the plain-http rule).
    pub(crate) fn build(self) -> Result<sendcloud_client_config, sendcloud_error> {
        self.config.core_client()?;
        Ok(sendcloud_client_config {
            config: self.config,
        })
    }
}

impl sendcloud_client_config {
    /// A blocking client with these settings.
    pub(crate) fn blocking_client(&self) -> Result<sendcloud_ureq::Client, sendcloud_error> {
        Ok(sendcloud_ureq::Ureq.build(self.config.clone())?)
    }

    /// The sans-IO client these settings describe, without a `Host` header in its requests
    /// (the caller's HTTP client adds its own).
    pub(crate) fn core_client(&self) -> Result<sendcloud_proto::Client, sendcloud_error> {
        Ok(self.config.core_client()?.with_host_header(false))
    }
}

/// A duration in milliseconds from C; 0 is refused.
fn millis(ms: u64, name: &'static str) -> Result<Duration, sendcloud_error> {
    if ms == 0 {
        return Err(sendcloud_error::invalid(name, "must be at least 1 ms"));
    }
    Ok(Duration::from_millis(ms))
}

/// Runs `f` on a live builder behind the panic boundary; `f` changes nothing when it fails.
///
/// # Safety
/// `builder` must be NULL or a live builder used by no other thread during the call;
/// `err_out` NULL or writable.
unsafe fn update(
    builder: *mut sendcloud_client_config_builder,
    err_out: *mut *mut sendcloud_error,
    f: impl FnOnce(&mut sendcloud_client_config_builder) -> Result<(), sendcloud_error>,
) -> sendcloud_result {
    guard(err_out, || {
        // SAFETY: guaranteed by the caller.
        let b = unsafe { handle_mut(builder, "builder") }?;
        f(b)
    })
}

/// A builder of settings for `sms_user` with `sms_key` (both checked now), with the
/// defaults; change them with the `sendcloud_client_config_builder_set_*` functions, then
/// call [`sendcloud_client_config_builder_build`] (or [`sendcloud_client_config_builder_free`]
/// to give up).
///
/// # Safety
/// The strings must be readable for their lengths; `out` writable; `err_out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_config_builder_new(
    sms_user: *const u8,
    sms_user_len: usize,
    sms_key: *const u8,
    sms_key_len: usize,
    out: *mut *mut sendcloud_client_config_builder,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out, "out")?;
        // SAFETY: guaranteed by the caller.
        let user = unsafe { str_arg(sms_user, sms_user_len, "smsUser") }?;
        // SAFETY: guaranteed by the caller.
        let key = unsafe { str_arg(sms_key, sms_key_len, "smsKey") }?;
        let builder = sendcloud_client_config_builder::new(user, key)?;
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out, builder) };
        Ok(())
    })
}

/// Points the clients at `base_url` (`http://` or `https://` with a host; default: the real
/// service, `https://api.sendcloud.net/smsapi`). Plain `http://` to a host other than
/// loopback is refused by [`sendcloud_client_config_builder_build`] unless
/// [`sendcloud_client_config_builder_set_allow_plain_http`] allows it.
///
/// # Safety
/// `builder` must be a live builder used by no other thread during the call; `base_url`
/// readable for `base_url_len` bytes; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_config_builder_set_base_url(
    builder: *mut sendcloud_client_config_builder,
    base_url: *const u8,
    base_url_len: usize,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    let set = |b: &mut sendcloud_client_config_builder| {
        // SAFETY: guaranteed by the caller.
        b.set_base_url(unsafe { str_arg(base_url, base_url_len, "baseUrl") }?)
    };
    // SAFETY: forwarded from the caller.
    unsafe { update(builder, err_out, set) }
}

/// Signs with `algorithm` (`sendcloud_algorithm`; default MD5).
///
/// # Safety
/// `builder` must be a live builder used by no other thread during the call; `err_out`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_config_builder_set_algorithm(
    builder: *mut sendcloud_client_config_builder,
    algorithm: u32,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    // SAFETY: forwarded from the caller.
    unsafe { update(builder, err_out, |b| b.set_algorithm(algorithm)) }
}

/// Bounds each attempt, connecting, sending and reading the answer, to `timeout_ms`
/// milliseconds (at least 1; default 30,000).
///
/// # Safety
/// `builder` must be a live builder used by no other thread during the call; `err_out`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_config_builder_set_timeout_ms(
    builder: *mut sendcloud_client_config_builder,
    timeout_ms: u64,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    // SAFETY: forwarded from the caller.
    unsafe { update(builder, err_out, |b| b.set_timeout_ms(timeout_ms)) }
}

/// Bounds connecting to `timeout_ms` milliseconds (at least 1; default 5,000).
///
/// # Safety
/// `builder` must be a live builder used by no other thread during the call; `err_out`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_config_builder_set_connect_timeout_ms(
    builder: *mut sendcloud_client_config_builder,
    timeout_ms: u64,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        update(builder, err_out, |b| {
            b.config.connect_timeout = millis(timeout_ms, "connectTimeout")?;
            Ok(())
        })
    }
}

/// Bounds the tries of one call to `max_attempts` (at least 1, which means no retries;
/// default 5). Retries keep the call's sendRequestId, so a message is never sent twice.
///
/// # Safety
/// `builder` must be a live builder used by no other thread during the call; `err_out`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_config_builder_set_max_attempts(
    builder: *mut sendcloud_client_config_builder,
    max_attempts: u32,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    // SAFETY: forwarded from the caller.
    unsafe { update(builder, err_out, |b| b.set_max_attempts(max_attempts)) }
}

/// Allows plain `http://` to hosts other than loopback (default: refused, since the
/// messages and the signed requests would then cross the network in the clear).
///
/// # Safety
/// `builder` must be a live builder used by no other thread during the call; `err_out`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_config_builder_set_allow_plain_http(
    builder: *mut sendcloud_client_config_builder,
    allow: bool,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        update(builder, err_out, |b| {
            b.set_allow_plain_http(allow);
            Ok(())
        })
    }
}

/// Checks the settings as a whole and makes the config. The builder is consumed whether
/// this succeeds or fails: do not use or free it afterwards. A refused setting fails with
/// `SENDCLOUD_INVALID_INPUT` (see the error's field) or `SENDCLOUD_CONFIG_ERROR` (plain
/// http to a remote host).
///
/// # Safety
/// `builder` must be NULL or a live builder, not used by any other thread; `out_config`
/// writable; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_config_builder_build(
    builder: *mut sendcloud_client_config_builder,
    out_config: *mut *const sendcloud_client_config,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        if builder.is_null() {
            return Err(sendcloud_error::null("builder"));
        }
        // SAFETY: `builder` is not NULL, came from `Box::into_raw` in this library, and the
        // caller hands it over (it is consumed on every path from here on).
        let builder = unsafe { Box::from_raw(builder) };
        check_out(out_config, "out_config")?;
        let config = builder.build()?;
        // SAFETY: `out_config` was checked and the caller guarantees it is writable.
        unsafe { out_config.write(Box::into_raw(Box::new(config))) };
        Ok(())
    })
}

/// Frees a builder that was not built; NULL is ignored.
///
/// # Safety
/// `builder` must be NULL or a builder from this library, neither freed nor built.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_config_builder_free(
    builder: *mut sendcloud_client_config_builder,
) {
    // SAFETY: guaranteed by the caller.
    unsafe { crate::free_handle(builder) }
}

/// Frees a config; NULL is ignored. Clients made from it are not affected.
///
/// # Safety
/// `config` must be NULL or a config from this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_config_free(config: *const sendcloud_client_config) {
    // SAFETY: guaranteed by the caller; the config is not shared with any client.
    unsafe { crate::free_handle(config.cast_mut()) }
}

/// A sans-IO client with the credentials, base URL and algorithm of `config`, preparing
/// requests without a `Host` header (your HTTP client adds it).
///
/// # Safety
/// `config` must be a live config; `out` writable; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_new_with_config(
    config: *const sendcloud_client_config,
    out: *mut *mut crate::sendcloud_client,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out, "out")?;
        // SAFETY: guaranteed by the caller.
        let c = unsafe { handle(config, "config") }?;
        let client = crate::sendcloud_client::from(c.core_client()?);
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out, client) };
        Ok(())
    })
}

/// Parses optional base URL, algorithm, timeout and attempt arguments of the positional
/// constructors into a builder (0 and NULL keep the defaults).
///
/// # Safety
/// As [`sendcloud_client_config_builder_new`]; `base_url` NULL or readable for its length.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn positional(
    sms_user: *const u8,
    sms_user_len: usize,
    sms_key: *const u8,
    sms_key_len: usize,
    base_url: *const u8,
    base_url_len: usize,
    algorithm: u32,
    timeout_ms: u64,
    max_attempts: u32,
) -> Result<sendcloud_client_config_builder, sendcloud_error> {
    // SAFETY: guaranteed by the caller.
    let user = unsafe { str_arg(sms_user, sms_user_len, "smsUser") }?;
    // SAFETY: guaranteed by the caller.
    let key = unsafe { str_arg(sms_key, sms_key_len, "smsKey") }?;
    // SAFETY: guaranteed by the caller.
    let base_url = unsafe { opt_str_arg(base_url, base_url_len, "baseUrl") }?;
    let mut builder = sendcloud_client_config_builder::new(user, key)?;
    if let Some(url) = base_url {
        builder.set_base_url(url)?;
    }
    builder.set_algorithm(algorithm)?;
    if timeout_ms > 0 {
        builder.set_timeout_ms(timeout_ms)?;
    }
    if max_attempts > 0 {
        builder.set_max_attempts(max_attempts)?;
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        sendcloud_blocking_client, sendcloud_blocking_client_free,
        sendcloud_blocking_client_new_with_config, sendcloud_client, sendcloud_client_free,
        sendcloud_error_free, sendcloud_error_message,
    };
    use std::ptr::null_mut;

    const KEY: &str = "the-secret-key-42";

    fn builder() -> *mut sendcloud_client_config_builder {
        let mut b = null_mut();
        // SAFETY: valid strings and out-pointers.
        let r = unsafe {
            sendcloud_client_config_builder_new(
                b"user".as_ptr(),
                4,
                KEY.as_ptr(),
                KEY.len(),
                &mut b,
                null_mut(),
            )
        };
        assert_eq!(r, sendcloud_result::SENDCLOUD_OK);
        b
    }

    /// The message of an error, freed.
    fn message(err: *mut sendcloud_error) -> String {
        // SAFETY: `err` is a live error from this library, freed once here.
        unsafe {
            let s = sendcloud_error_message(err);
            let text =
                String::from_utf8_lossy(std::slice::from_raw_parts(s.data.cast(), s.len)).into();
            sendcloud_error_free(err);
            text
        }
    }

    #[test]
    fn no_handle_shows_the_key() {
        let b = builder();
        // SAFETY: `b` is live; it is consumed by build.
        let config = unsafe {
            let url = "https://sms.example.com/smsapi";
            assert_eq!(
                sendcloud_client_config_builder_set_base_url(
                    b,
                    url.as_ptr(),
                    url.len(),
                    null_mut()
                ),
                sendcloud_result::SENDCLOUD_OK
            );
            assert!(!format!("{:?}", *b).contains(KEY));
            let mut config = std::ptr::null();
            assert_eq!(
                sendcloud_client_config_builder_build(b, &mut config, null_mut()),
                sendcloud_result::SENDCLOUD_OK
            );
            config
        };
        // SAFETY: `config` is live until freed at the end; the clients are freed too.
        unsafe {
            assert!(!format!("{:?}", *config).contains(KEY));
            let mut blocking: *mut sendcloud_blocking_client = null_mut();
            let mut core: *mut sendcloud_client = null_mut();
            let r = sendcloud_blocking_client_new_with_config(config, &mut blocking, null_mut());
            assert_eq!(r, sendcloud_result::SENDCLOUD_OK);
            let r = sendcloud_client_new_with_config(config, &mut core, null_mut());
            assert_eq!(r, sendcloud_result::SENDCLOUD_OK);
            assert!(!format!("{:?} {:?}", *blocking, *core).contains(KEY));
            sendcloud_blocking_client_free(blocking);
            sendcloud_client_free(core);
            sendcloud_client_config_free(config);
        }
    }

    #[test]
    fn refusals_do_not_show_the_key() {
        // Plain http to a remote host, refused at build: the message names the rule only.
        let b = builder();
        let mut err = null_mut();
        let mut config = std::ptr::null();
        // SAFETY: `b` is live and consumed by build.
        let r = unsafe {
            let url = "http://sms.example.com/smsapi";
            sendcloud_client_config_builder_set_base_url(b, url.as_ptr(), url.len(), null_mut());
            sendcloud_client_config_builder_build(b, &mut config, &mut err)
        };
        assert_eq!(r, sendcloud_result::SENDCLOUD_CONFIG_ERROR);
        assert!(config.is_null());
        let text = message(err);
        assert!(text.contains("http"), "{text}");
        assert!(!text.contains(KEY), "{text}");
    }
}
