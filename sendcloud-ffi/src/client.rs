//! The sans-IO layer: messages, the signing client, prepared requests, parsed receipts.

use sendcloud_proto::http;
use sendcloud_proto::{
    parse_response, Client, GetServerTime, MsgType, Phone, Recipients, Rejected, SendCode,
    SendReceipt, SendRequestId, SendTemplate, SendVoice, SignId, SignRef, Tag, TemplateId,
    Timestamp, Vars, VerificationCode,
};

use crate::config::positional;
use crate::sendcloud_result;
use crate::{
    bytes_arg, check_out, guard, handle, handle_mut, opt_str_arg, read, sendcloud_bytes,
    sendcloud_error, sendcloud_str, str_arg, write_handle, write_out,
};

// ---------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub(crate) enum Message {
    Template(SendTemplate),
    Voice(SendVoice),
    Code(SendCode),
}

impl From<SendTemplate> for Message {
    fn from(s: SendTemplate) -> Self {
        Message::Template(s)
    }
}

impl From<SendVoice> for Message {
    fn from(s: SendVoice) -> Self {
        Message::Voice(s)
    }
}

impl From<SendCode> for Message {
    fn from(s: SendCode) -> Self {
        Message::Code(s)
    }
}

/// Writes a new message handle to a checked out-parameter.
///
/// # Safety
/// `out` must be non-NULL (see [`check_out`]) and writable.
unsafe fn write_message(out: *mut *mut sendcloud_message, inner: impl Into<Message>) {
    let inner = inner.into();
    // SAFETY: guaranteed by the caller.
    unsafe { write_handle(out, sendcloud_message { inner }) }
}

/// A message to send: a template SMS/MMS, a voice code or a code SMS. Made by
/// [`sendcloud_message_new_template`], [`sendcloud_message_new_voice`] or
/// [`sendcloud_message_new_code`]; every value is checked when it is set.
#[derive(Debug)]
pub struct sendcloud_message {
    pub(crate) inner: Message,
}

/// A template send (`send`) of template `template_id` to `phones`, a comma-separated list
/// of up to 2,000 numbers (`+`/`00` numbers make it international).
///
/// # Safety
/// `phones` must be readable for `phones_len` bytes; `out` writable; `err_out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_message_new_template(
    template_id: u64,
    phones: *const u8,
    phones_len: usize,
    out: *mut *mut sendcloud_message,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out, "out")?;
        let template_id = TemplateId::new(template_id)?;
        // SAFETY: guaranteed by the caller.
        let phones = unsafe { str_arg(phones, phones_len, "phones") }?;
        let send = SendTemplate::new(template_id, Recipients::parse(phones)?);
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_message(out, send) };
        Ok(())
    })
}

/// A voice verification code (`sendVoice`): `code` (4 to 6 digits) read out to `phone`.
///
/// # Safety
/// The strings must be readable for their lengths; `out` writable; `err_out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_message_new_voice(
    phone: *const u8,
    phone_len: usize,
    code: *const u8,
    code_len: usize,
    out: *mut *mut sendcloud_message,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out, "out")?;
        // SAFETY: guaranteed by the caller.
        let phone = unsafe { str_arg(phone, phone_len, "phone") }?;
        // SAFETY: guaranteed by the caller.
        let code = unsafe { str_arg(code, code_len, "code") }?;
        let voice = SendVoice::new(Phone::parse(phone)?, VerificationCode::new(code)?)?;
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_message(out, voice) };
        Ok(())
    })
}

/// A code SMS (`sendCode`): `code` (4 to 6 digits) to `phone`, signed with the sign name
/// `sign_name` when it is not NULL, else with the sign id `sign_id`.
///
/// # Safety
/// The strings must be NULL (only `sign_name`) or readable for their lengths; `out`
/// writable; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_message_new_code(
    phone: *const u8,
    phone_len: usize,
    code: *const u8,
    code_len: usize,
    sign_id: u64,
    sign_name: *const u8,
    sign_name_len: usize,
    out: *mut *mut sendcloud_message,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out, "out")?;
        // SAFETY: guaranteed by the caller.
        let phone = unsafe { str_arg(phone, phone_len, "phone") }?;
        // SAFETY: guaranteed by the caller.
        let code = unsafe { str_arg(code, code_len, "code") }?;
        // SAFETY: guaranteed by the caller.
        let sign = match unsafe { opt_str_arg(sign_name, sign_name_len, "signName") }? {
            Some(name) => SignRef::name(name)?,
            None => SignRef::Id(SignId::new(sign_id)?),
        };
        let send = SendCode::new(Phone::parse(phone)?, VerificationCode::new(code)?, sign);
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_message(out, send) };
        Ok(())
    })
}

/// Sets the template variables from a JSON object of strings, e.g. `{"code":"123456"}`
/// (template sends only).
///
/// # Safety
/// `message` must be a live message used by no other thread during the call; `json`
/// readable for `json_len` bytes; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_message_set_vars(
    message: *mut sendcloud_message,
    json: *const u8,
    json_len: usize,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        // SAFETY: guaranteed by the caller.
        let m = unsafe { handle_mut(message, "message") }?;
        // SAFETY: guaranteed by the caller.
        let json = unsafe { str_arg(json, json_len, "vars") }?;
        let Message::Template(send) = &m.inner else {
            return Err(sendcloud_error::invalid(
                "vars",
                "only a template message takes variables",
            ));
        };
        let vars = Vars::from_json(json)?;
        m.inner = Message::Template(send.clone().with_vars(vars));
        Ok(())
    })
}

/// Sets the message type of a template send (`sendcloud_msg_type`: SMS 0, MMS 1,
/// international 2), which must agree with its numbers.
///
/// # Safety
/// `message` must be a live message used by no other thread during the call; `err_out`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_message_set_msg_type(
    message: *mut sendcloud_message,
    msg_type: u32,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        // SAFETY: guaranteed by the caller.
        let m = unsafe { handle_mut(message, "message") }?;
        let msg_type = match msg_type {
            0 => MsgType::Sms,
            1 => MsgType::Mms,
            2 => MsgType::International,
            _ => {
                return Err(sendcloud_error::invalid(
                    "msgType",
                    "must be 0 (SMS), 1 (MMS) or 2 (international)",
                ))
            }
        };
        let Message::Template(send) = &m.inner else {
            return Err(sendcloud_error::invalid(
                "msgType",
                "only a template message has a message type",
            ));
        };
        m.inner = Message::Template(send.clone().with_msg_type(msg_type)?);
        Ok(())
    })
}

/// Sets the `sendRequestId` (1 to 128 characters) that makes a repeated request a no-op.
///
/// # Safety
/// `message` must be a live message used by no other thread during the call; `id`
/// readable for `id_len` bytes; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_message_set_request_id(
    message: *mut sendcloud_message,
    id: *const u8,
    id_len: usize,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        // SAFETY: guaranteed by the caller.
        let m = unsafe { handle_mut(message, "message") }?;
        // SAFETY: guaranteed by the caller.
        let id = SendRequestId::new(unsafe { str_arg(id, id_len, "sendRequestId") }?)?;
        m.inner = each_kind!(&m.inner, s => s.clone().with_request_id(id).into());
        Ok(())
    })
}

/// Sets the `tag`, a JSON object echoed back in SMSHook events.
///
/// # Safety
/// `message` must be a live message used by no other thread during the call; `json`
/// readable for `json_len` bytes; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_message_set_tag(
    message: *mut sendcloud_message,
    json: *const u8,
    json_len: usize,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        // SAFETY: guaranteed by the caller.
        let m = unsafe { handle_mut(message, "message") }?;
        // SAFETY: guaranteed by the caller.
        let tag = Tag::parse(unsafe { str_arg(json, json_len, "tag") }?)?;
        m.inner = each_kind!(&m.inner, s => s.clone().with_tag(tag).into());
        Ok(())
    })
}

/// Frees a message; NULL is ignored.
///
/// # Safety
/// `message` must be NULL or a message from this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_message_free(message: *mut sendcloud_message) {
    // SAFETY: guaranteed by the caller.
    unsafe { crate::free_handle(message) }
}

// ---------------------------------------------------------------------------------------
// The sans-IO client
// ---------------------------------------------------------------------------------------

/// The sans-IO client: credentials, base URL and signature algorithm. It does no IO: it
/// turns a message and the time into a signed [`sendcloud_request`]. Safe to share between
/// threads.
#[derive(Debug)]
pub struct sendcloud_client {
    inner: Client,
}

impl From<Client> for sendcloud_client {
    fn from(inner: Client) -> Self {
        sendcloud_client { inner }
    }
}

/// A sans-IO client of `sms_user` with `sms_key`, for the service at `base_url` (NULL: the
/// real service), signing with `algorithm` (`sendcloud_algorithm`). Its requests carry no
/// `Host` header, and plain `http://` is allowed to any host: the HTTP stack is yours.
///
/// A shorthand for a `sendcloud_client_config_builder_new`, its setters,
/// `sendcloud_client_config_builder_build` and `sendcloud_client_new_with_config`.
///
/// # Safety
/// The strings must be NULL (only `base_url`) or readable for their lengths; `out`
/// writable; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_new(
    sms_user: *const u8,
    sms_user_len: usize,
    sms_key: *const u8,
    sms_key_len: usize,
    base_url: *const u8,
    base_url_len: usize,
    algorithm: u32,
    out: *mut *mut sendcloud_client,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out, "out")?;
        // SAFETY: forwarded from the caller.
        let mut builder = unsafe {
            positional(
                sms_user,
                sms_user_len,
                sms_key,
                sms_key_len,
                base_url,
                base_url_len,
                algorithm,
                0,
                0,
            )
        }?;
        builder.set_allow_plain_http(true);
        let inner = builder.build()?.core_client()?;
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out, sendcloud_client { inner }) };
        Ok(())
    })
}

/// Frees a client; NULL is ignored.
///
/// # Safety
/// `client` must be NULL or a client from this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_free(client: *mut sendcloud_client) {
    // SAFETY: guaranteed by the caller.
    unsafe { crate::free_handle(client) }
}

/// A signed HTTP request, ready to be sent by any transport.
#[derive(Debug)]
pub struct sendcloud_request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl sendcloud_request {
    fn from_http(req: http::Request<Vec<u8>>) -> Self {
        let (parts, body) = req.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        sendcloud_request {
            method: parts.method.as_str().to_owned(),
            url: parts.uri.to_string(),
            headers,
            body,
        }
    }
}

/// Signs `message` at `now_ms` (milliseconds since the Unix epoch, the caller's clock) into
/// a request.
///
/// # Safety
/// `client` and `message` must be live handles; `out_request` writable; `err_out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_prepare(
    client: *const sendcloud_client,
    message: *const sendcloud_message,
    now_ms: u64,
    out_request: *mut *mut sendcloud_request,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out_request, "out_request")?;
        // SAFETY: guaranteed by the caller.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: guaranteed by the caller.
        let m = unsafe { handle(message, "message") }?;
        let now = Timestamp(now_ms);
        let req = each_kind!(&m.inner, s => c.inner.prepare(s, now))?;
        // SAFETY: `out_request` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out_request, sendcloud_request::from_http(req)) };
        Ok(())
    })
}

/// Prepares a read of the server's clock (`timestamp/get`); parse its answer with
/// [`sendcloud_parse_server_time_response`].
///
/// # Safety
/// `client` must be a live handle; `out_request` writable; `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_client_prepare_server_time(
    client: *const sendcloud_client,
    now_ms: u64,
    out_request: *mut *mut sendcloud_request,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out_request, "out_request")?;
        // SAFETY: guaranteed by the caller.
        let c = unsafe { handle(client, "client") }?;
        let req = c.inner.prepare(&GetServerTime, Timestamp(now_ms))?;
        // SAFETY: `out_request` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out_request, sendcloud_request::from_http(req)) };
        Ok(())
    })
}

/// The HTTP method, e.g. "POST" (empty for NULL).
///
/// # Safety
/// `request` must be NULL or live; the view lives as long as it.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_request_method(
    request: *const sendcloud_request,
) -> sendcloud_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(request, sendcloud_str::empty(), |r| {
            sendcloud_str::of(&r.method)
        })
    }
}

/// The full URL (empty for NULL).
///
/// # Safety
/// `request` must be NULL or live; the view lives as long as it.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_request_url(request: *const sendcloud_request) -> sendcloud_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(request, sendcloud_str::empty(), |r| {
            sendcloud_str::of(&r.url)
        })
    }
}

/// How many headers the request has (0 for NULL).
///
/// # Safety
/// `request` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_request_header_count(
    request: *const sendcloud_request,
) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe { read(request, 0, |r| r.headers.len()) }
}

/// The name (lower case) and value of header `index`.
///
/// # Safety
/// `request` must be NULL or live; `out_name` and `out_value` writable. The views live as
/// long as `request`.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_request_header(
    request: *const sendcloud_request,
    index: usize,
    out_name: *mut sendcloud_str,
    out_value: *mut sendcloud_str,
) -> sendcloud_result {
    guard(std::ptr::null_mut(), || {
        check_out(out_name, "out_name")?;
        check_out(out_value, "out_value")?;
        // SAFETY: guaranteed by the caller.
        let r = unsafe { handle(request, "request") }?;
        let (name, value) = r
            .headers
            .get(index)
            .ok_or_else(|| sendcloud_error::out_of_range(index, r.headers.len()))?;
        // SAFETY: both were checked and the caller guarantees they are writable.
        unsafe {
            write_out(out_name, sendcloud_str::of(name));
            write_out(out_value, sendcloud_str::of(value));
        }
        Ok(())
    })
}

/// The body (an url-encoded form for POST, empty for GET and for NULL).
///
/// # Safety
/// `request` must be NULL or live; the view lives as long as it.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_request_body(
    request: *const sendcloud_request,
) -> sendcloud_bytes {
    let empty = sendcloud_bytes {
        data: [].as_ptr(),
        len: 0,
    };
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(request, empty, |r| sendcloud_bytes {
            data: r.body.as_ptr(),
            len: r.body.len(),
        })
    }
}

/// Frees a request; NULL is ignored.
///
/// # Safety
/// `request` must be NULL or a request from this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_request_free(request: *mut sendcloud_request) {
    // SAFETY: guaranteed by the caller.
    unsafe { crate::free_handle(request) }
}

// ---------------------------------------------------------------------------------------
// Receipts and parsing
// ---------------------------------------------------------------------------------------

/// What an accepted send returns: its status (200, or 311 when some recipients were
/// refused), the message ids, the accepted count and the refused recipients.
#[derive(Debug)]
pub struct sendcloud_receipt {
    status_code: i64,
    success_count: u64,
    sms_ids: Vec<String>,
    rejected: Vec<Rejected>,
    already_accepted: bool,
}

impl From<SendReceipt> for sendcloud_receipt {
    fn from(r: SendReceipt) -> Self {
        sendcloud_receipt {
            status_code: r.status.map_or(0, |s| s.code()),
            success_count: r.success_count,
            sms_ids: r.sms_ids,
            rejected: r.rejected,
            already_accepted: r.already_accepted,
        }
    }
}

/// Checks an HTTP status from C and builds the response to parse.
fn response(http_status: u16, body: &[u8]) -> Result<http::Response<&[u8]>, sendcloud_error> {
    let status = http::StatusCode::from_u16(http_status)
        .map_err(|_| sendcloud_error::invalid("httpStatus", "must be 100 to 999"))?;
    let mut resp = http::Response::new(body);
    *resp.status_mut() = status;
    Ok(resp)
}

/// Parses the answer to a template, voice or code send: its HTTP status and body. An
/// accepted send (200, 311) gives a receipt; a refusal fails with `SENDCLOUD_API_ERROR`
/// (its status code, message and refused recipients are in the error), a non-2xx HTTP
/// status with `SENDCLOUD_HTTP_ERROR`, anything else with `SENDCLOUD_DECODE_ERROR`.
///
/// # Safety
/// `body` must be readable for `body_len` bytes (NULL only with 0); `out_receipt` writable;
/// `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_parse_send_response(
    http_status: u16,
    body: *const u8,
    body_len: usize,
    out_receipt: *mut *mut sendcloud_receipt,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out_receipt, "out_receipt")?;
        // SAFETY: guaranteed by the caller.
        let body = unsafe { bytes_arg(body, body_len, "body") }?;
        let receipt = parse_response::<SendTemplate, _>(&response(http_status, body)?)?;
        // SAFETY: `out_receipt` was checked and the caller guarantees it is writable.
        unsafe { write_handle(out_receipt, sendcloud_receipt::from(receipt)) };
        Ok(())
    })
}

/// Parses the answer to [`sendcloud_client_prepare_server_time`] into the server's clock
/// (milliseconds since the Unix epoch).
///
/// # Safety
/// `body` must be readable for `body_len` bytes (NULL only with 0); `out_ms` writable;
/// `err_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_parse_server_time_response(
    http_status: u16,
    body: *const u8,
    body_len: usize,
    out_ms: *mut u64,
    err_out: *mut *mut sendcloud_error,
) -> sendcloud_result {
    guard(err_out, || {
        check_out(out_ms, "out_ms")?;
        // SAFETY: guaranteed by the caller.
        let body = unsafe { bytes_arg(body, body_len, "body") }?;
        let time = parse_response::<GetServerTime, _>(&response(http_status, body)?)?;
        // SAFETY: `out_ms` was checked and the caller guarantees it is writable.
        unsafe { write_out(out_ms, time.0.as_millis()) };
        Ok(())
    })
}

/// Writes refused recipient `index` of `list` to the two out-parameters.
///
/// # Safety
/// The out-parameters must be NULL or writable; the views borrow `list`.
pub(crate) unsafe fn write_rejected(
    list: &[Rejected],
    index: usize,
    out_phone: *mut sendcloud_str,
    out_message: *mut sendcloud_str,
) -> Result<(), sendcloud_error> {
    check_out(out_phone, "out_phone")?;
    check_out(out_message, "out_message")?;
    let r = list
        .get(index)
        .ok_or_else(|| sendcloud_error::out_of_range(index, list.len()))?;
    // SAFETY: both were checked and the caller guarantees they are writable.
    unsafe {
        write_out(out_phone, sendcloud_str::of(&r.phone));
        write_out(out_message, sendcloud_str::of(&r.message));
    }
    Ok(())
}

/// The SendCloud status code: 200, 311 (partial success), or 400 for
/// [`sendcloud_receipt_already_accepted`]; 0 for NULL.
///
/// # Safety
/// `receipt` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_receipt_status_code(receipt: *const sendcloud_receipt) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, 0, |r| r.status_code) }
}

/// How many recipients were accepted (0 for NULL).
///
/// # Safety
/// `receipt` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_receipt_success_count(receipt: *const sendcloud_receipt) -> u64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, 0, |r| r.success_count) }
}

/// Whether an earlier attempt of this very request (same sendRequestId) was already
/// accepted, so its ids and counts are not known here (false for NULL).
///
/// # Safety
/// `receipt` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_receipt_already_accepted(
    receipt: *const sendcloud_receipt,
) -> bool {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, false, |r| r.already_accepted) }
}

/// How many message ids the receipt has (0 for NULL).
///
/// # Safety
/// `receipt` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_receipt_sms_id_count(
    receipt: *const sendcloud_receipt,
) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, 0, |r| r.sms_ids.len()) }
}

/// Message id `index`.
///
/// # Safety
/// `receipt` must be NULL or live; `out` writable. The view lives as long as `receipt`.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_receipt_sms_id(
    receipt: *const sendcloud_receipt,
    index: usize,
    out: *mut sendcloud_str,
) -> sendcloud_result {
    guard(std::ptr::null_mut(), || {
        check_out(out, "out")?;
        // SAFETY: guaranteed by the caller.
        let r = unsafe { handle(receipt, "receipt") }?;
        let id = r
            .sms_ids
            .get(index)
            .ok_or_else(|| sendcloud_error::out_of_range(index, r.sms_ids.len()))?;
        // SAFETY: `out` was checked and the caller guarantees it is writable.
        unsafe { write_out(out, sendcloud_str::of(id)) };
        Ok(())
    })
}

/// How many recipients were refused in a partial success (0 for NULL).
///
/// # Safety
/// `receipt` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_receipt_rejected_count(
    receipt: *const sendcloud_receipt,
) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, 0, |r| r.rejected.len()) }
}

/// The phone number and SendCloud's reason of refused recipient `index`.
///
/// # Safety
/// `receipt` must be NULL or live; `out_phone` and `out_message` writable. The views live
/// as long as `receipt`.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_receipt_rejected(
    receipt: *const sendcloud_receipt,
    index: usize,
    out_phone: *mut sendcloud_str,
    out_message: *mut sendcloud_str,
) -> sendcloud_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: guaranteed by the caller.
        let r = unsafe { handle(receipt, "receipt") }?;
        // SAFETY: guaranteed by the caller.
        unsafe { write_rejected(&r.rejected, index, out_phone, out_message) }
    })
}

/// Frees a receipt; NULL is ignored.
///
/// # Safety
/// `receipt` must be NULL or a receipt from this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sendcloud_receipt_free(receipt: *mut sendcloud_receipt) {
    // SAFETY: guaranteed by the caller.
    unsafe { crate::free_handle(receipt) }
}

pub(crate) fn receipt_of(r: SendReceipt) -> sendcloud_receipt {
    r.into()
}
