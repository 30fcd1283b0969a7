//! A local SendCloud SMS service, for tests and development: the emulator, a sans-IO state
//! machine, and (feature `server`, on by default) [`server::SandboxServer`], which serves
//! it over HTTP with fault injection and SMSHook delivery.
//!
//! [`Sandbox::handle`] takes an [`http::Request`] and the time and returns the
//! [`http::Response`] SendCloud would give. It keeps an outbox of the messages it accepted
//! (rendered as the phone shows them) and queues the SMSHook events SendCloud would post.
//! It does no IO and has no clock and no randomness: the same requests at the same times
//! give the same answers, smsIds and hook tokens. The server serves it over HTTP; tests run
//! against it directly.
//!
//! ```
//! use sendcloud_sandbox::{Sandbox, SandboxConfig};
//! use sendcloud_proto::*;
//!
//! let mut sandbox = Sandbox::new(SandboxConfig::default());
//! let client = Client::new(Credentials::new("sandbox-user", "sandbox-key")?)
//!     .with_base_url("http://sandbox.local/smsapi")?;
//! let mut vars = Vars::new();
//! vars.insert("code", "4242")?;
//! let send = SendTemplate::new(TemplateId::new(1)?, Recipients::parse("13800000000")?)
//!     .with_vars(vars);
//! let now = Timestamp(1_700_000_000_000);
//!
//! let response = sandbox.handle(&client.prepare(&send, now)?, now);
//! let receipt = client.parse::<SendTemplate, _>(&response)?;
//! assert_eq!(receipt.success_count, 1);
//! assert_eq!(sandbox.outbox()[0].text, "【Sandbox】Your code is 4242.");
//! assert_eq!(sandbox.take_hook_events()[0].event, "deliver");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Paths
//! `POST /smsapi/send`, `POST /smsapi/sendVoice`, `POST /smsapi/sendCode` and
//! `GET /smsapi/timestamp/get` (each also without the `/smsapi` prefix), plus
//! `GET /outbox` (the HTML page of [`Sandbox::outbox_html`]) and `GET /outbox.json`
//! ([`Sandbox::outbox_json`]). The calls beyond sending (`status/query`, `template/*`,
//! `sign/*`, `label/*`, `data/*`) are handled by the private modules `manage` and `reports`.
//! Parameters come from the form-encoded body and the query
//! string (the body wins). Another path is HTTP 404, another method HTTP 405; every API
//! outcome is HTTP 200 with `{"result","statusCode","message","info"}`.
//!
//! # Rules, in the order they are checked
//! 1. `smsUser` missing: 472; unknown: 471.
//! 2. `signature` missing, or not 32 or 64 hex digits: 421; not the MD5 or SHA-256
//!    signature of the other parameters under the account's key: 422 (the message shows
//!    the string that should have been signed, key masked).
//! 3. `timestamp` (optional) not a number, or more than `timestamp_window_ms` from `now`: 461.
//! 4. `sendRequestId` accepted for the same account within `dedupe_window_ms`: 400
//!    (all three send calls). Only accepted requests are remembered, so a request that
//!    was refused may be sent again with the same id.
//! 5. `send`: `phone` missing 411; `templateId` missing 433, not a registered id 431, not
//!    approved 432; `msgType` not 0, 1 or 2: 482; an MMS template needs `msgType` 1 and an
//!    SMS template 0 or 2, else 431; `vars` not a JSON object (`[]` included) or a bad
//!    name, a value that is not a string or number, or a value with a link: 441; a value
//!    over 32 characters: 483; more than 2,000 numbers: 412; a number twice: 413.
//!    `sendVoice` and `sendCode`: `phone` missing 411, more than one number 412; `code`
//!    missing 481, not 4 to 6 digits 482. `sendCode`: `msgType` not 0 or 2: 482; neither
//!    `signId` nor `signName`: 482; a sign that is not registered: 601 (`signId` wins when
//!    both are given).
//! 6. Each number: digits only; domestic numbers have 11 digits and start with 1;
//!    international ones start with `00` (then 6 to 18 digits, no third 0) and need
//!    `msgType` 2, which needs them; a `+` is refused. A number breaking this: 412.
//!    A number that had `per_minute_limit` accepted messages in the last 60 s: 496;
//!    `per_day_limit` in the last 24 h: 498.
//! 7. Balance: when the accepted numbers cost more than the balance left (one per
//!    message), 499 and nothing is sent.
//!
//! A request with one number gets the code of its number's refusal (412, 496, 498). A
//! template send to several numbers sends to the good ones: 311 (`result` true) with the
//! refused numbers in `info.items` (`phone`, `vars`, `message`, and the `statusCode` of
//! the refusal), or 312 (`result` false) when every number was refused. A success is 200
//! with `info = {"successCount", "smsIds"}`.
//!
//! smsIds look like SendCloud's: `{now}_{n}_{account}_{template}_{tail}${phone}`, with `n`
//! a counter of accepted messages, `account` the account's position (from 1), `template`
//! the template id (0 for voice and code) and `tail` six characters derived from `n`.
//!
//! # Delivery outcomes
//! Each accepted message's outcome is decided when it is accepted, deterministically:
//! 1. a template placeholder with no value in `vars`: `workererror` 450;
//! 2. a text over 500 characters: `workererror` 460;
//! 3. else by the number's last two digits: `99` delivererror 500 (no such number), `98`
//!    workererror 410 (global intercept list), `97` delivererror 580 (powered off), `96`
//!    delivererror 510 (out of service);
//! 4. anything else is delivered (`deliver`).
//!
//! Each accepted message queues one SMSHook event with that outcome ([`QueuedHookEvent`]),
//! signed with `hook_app_key` (HMAC-SHA256 of timestamp + token, token 50 hex digits
//! derived from a counter), timestamp = `now`. With `queue_request_events` each accepted
//! request first queues a `request` event. Drain the queue with
//! [`Sandbox::take_hook_events`], or set `queue_hook_events = false` for runs that never do.
//!
//! # Memory
//! The outbox keeps every message (see [`SandboxConfig::outbox_limit`] to cap it). The
//! rate-limit and dedupe memories only hold the last 24 h and the dedupe window: they are
//! swept whenever `now` has moved a minute since the last sweep.
//!
//! # Not checked
//! The length of `sendRequestId` and the content of `tag` and `labelId` are not checked;
//! they are recorded as they come.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod hook_queue;
mod limits;
mod manage;
mod outbox;
mod reports;
#[cfg(feature = "server")]
pub mod server;

use std::fmt;

use http::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use serde_json::{json, Value};

pub use config::{
    Account, ConfigError, SandboxConfig, SignName, Template, TemplateKind, DEFAULT_HOOK_APP_KEY,
    DEFAULT_SMS_KEY, DEFAULT_SMS_USER,
};
pub use hook_queue::{QueuedHookEvent, HOOK_TOKEN_LEN};
pub use outbox::{escape_html, DeliveryOutcome, MessageKind, OutboxMessage, HTML_MAX_MESSAGES};

use limits::{Dedupe, RateLimiter, MINUTE_MS};
use sendcloud_proto::form::Form;
use sendcloud_proto::phone::MAX_RECIPIENTS;
use sendcloud_proto::server::{canonical_string_masked, verify, SIGNATURE_PARAM};
use sendcloud_proto::status::StatusCode;
use sendcloud_proto::values::Timestamp;
use sendcloud_proto::vars::{Vars, MAX_VAR_CHARS};
use sendcloud_proto::SignatureAlgorithm;

/// Longest text a message may have before processing fails with 460.
pub const MAX_TEXT_CHARS: usize = 500;

/// The server side of the protocol. See the [module documentation](self) for the rules.
pub struct Sandbox {
    config: SandboxConfig,
    outbox: Vec<OutboxMessage>,
    hooks: Vec<QueuedHookEvent>,
    rates: RateLimiter,
    dedupe: Dedupe,
    balance: Option<u64>,
    accepted: u64,
    hook_counter: u64,
    last_sweep: u64,
    registry: manage::Registry,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.config)
            .field("outbox_len", &self.outbox.len())
            .field("accepted", &self.accepted)
            .field("queued_hook_events", &self.hooks.len())
            .field("balance", &self.balance)
            .field("rate_limited_numbers", &self.rates.len())
            .field("remembered_request_ids", &self.dedupe.len())
            .finish()
    }
}

/// Which call a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Send,
    Voice,
    Code,
    Timestamp,
    OutboxHtml,
    OutboxJson,
    /// Status, statistics, templates, sign names and labels (see [`manage`]).
    Manage(manage::Call),
}

fn route(path: &str) -> Option<Route> {
    let path = path.trim_end_matches('/');
    let path = match path.strip_prefix("/smsapi") {
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    };
    Some(match path {
        "/send" => Route::Send,
        "/sendVoice" => Route::Voice,
        "/sendCode" => Route::Code,
        "/timestamp/get" => Route::Timestamp,
        "/outbox" => Route::OutboxHtml,
        "/outbox.json" => Route::OutboxJson,
        other => return manage::Call::from_path(other).map(Route::Manage),
    })
}

/// An API answer before it is encoded.
struct Reply {
    status: StatusCode,
    message: String,
    info: Value,
}

impl Reply {
    fn refuse(status: StatusCode, detail: impl fmt::Display) -> Reply {
        Reply {
            status,
            message: format!("{} ({detail})", message_zh(status)),
            info: json!({}),
        }
    }

    fn ok(status: StatusCode, info: Value) -> Reply {
        Reply {
            status,
            message: message_zh(status).to_owned(),
            info,
        }
    }

    fn into_response(self) -> http::Response<Vec<u8>> {
        let body = json!({
            "result": matches!(self.status, StatusCode::Ok | StatusCode::PartialSuccess),
            "statusCode": self.status.code(),
            "message": self.message,
            "info": self.info,
        });
        respond(
            http::StatusCode::OK,
            "application/json;charset=utf-8",
            body.to_string().into_bytes(),
        )
    }
}

/// SendCloud's (Chinese) message for a status.
fn message_zh(status: StatusCode) -> &'static str {
    match status {
        StatusCode::Ok => "请求成功",
        StatusCode::PartialSuccess => "部分成功",
        StatusCode::AllFailed => "全部失败",
        StatusCode::DuplicateRequest => "重复请求",
        StatusCode::PhoneEmpty => "手机号不能为空",
        StatusCode::PhoneInvalid => "手机号格式错误",
        StatusCode::PhoneDuplicate => "手机号重复",
        StatusCode::SignatureParameterInvalid => "signature参数错误",
        StatusCode::SignatureInvalid => "签名错误",
        StatusCode::TemplateNotFound => "模板不存在",
        StatusCode::TemplateNotApproved => "模板未提交审核或者未审核通过",
        StatusCode::TemplateIdEmpty => "模板id不能为空",
        StatusCode::VarsInvalid => "替换变量格式错误",
        StatusCode::InvalidTimestamp => "timestamp无效,与服务器时间间隔过大",
        StatusCode::SmsUserNotFound => "smsUser不存在",
        StatusCode::SmsUserEmpty => "smsUser不能为空",
        StatusCode::PhoneAndVarsEmpty => "手机号和替换变量不能为空",
        StatusCode::PhoneAndVarsInvalid => "参数格式错误",
        StatusCode::VarTooLong => "替换变量长度不能超过32个字符",
        StatusCode::RateLimitMinute => "同一手机号一分钟内发送次数过多",
        StatusCode::RateLimitDay => "同一手机号一天内发送次数过多",
        StatusCode::InsufficientBalance => "余额不足",
        StatusCode::NoPermission => "没有权限",
        _ => "服务器异常",
    }
}

fn respond(
    status: http::StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> http::Response<Vec<u8>> {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn http_error(status: http::StatusCode, message: String) -> http::Response<Vec<u8>> {
    let body = json!({
        "result": false,
        "statusCode": status.as_u16(),
        "message": message,
        "info": {},
    });
    respond(
        status,
        "application/json;charset=utf-8",
        body.to_string().into_bytes(),
    )
}

fn wrong_method(allow: &'static str, got: &http::Method) -> http::Response<Vec<u8>> {
    let mut r = http_error(
        http::StatusCode::METHOD_NOT_ALLOWED,
        format!("method {got} not allowed here; use {allow}"),
    );
    r.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    r
}

/// A parameter's value, unless it is missing or blank.
fn param<'a>(p: &'a Form, name: &str) -> Option<&'a str> {
    p.get(name).map(str::trim).filter(|s| !s.is_empty())
}

/// Shortens text for a message, at a character boundary.
fn clip(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

/// Checks one number for a message of `msg_type`.
fn check_phone(phone: &str, msg_type: u8) -> Result<(), String> {
    if phone.is_empty() {
        return Err("an empty number".into());
    }
    if phone.starts_with('+') {
        return Err(format!(
            "{}: write a country prefix as 00, not +",
            clip(phone, 24)
        ));
    }
    if !phone.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{}: digits only", clip(phone, 24)));
    }
    if let Some(rest) = phone.strip_prefix("00") {
        if rest.starts_with('0') || !(6..=18).contains(&rest.len()) {
            return Err(format!(
                "{phone}: an international number is 00, a country code and the number (6 to 18 digits after 00)"
            ));
        }
        if msg_type != 2 {
            return Err(format!("{phone}: international numbers need msgType 2"));
        }
    } else {
        if phone.len() != 11 || !phone.starts_with('1') {
            return Err(format!(
                "{}: a domestic number has 11 digits and starts with 1",
                clip(phone, 24)
            ));
        }
        if msg_type == 2 {
            return Err(format!(
                "{phone}: msgType 2 (international) needs a number with a 00 country prefix"
            ));
        }
    }
    Ok(())
}

/// Parses `vars` as the server does.
fn parse_vars(raw: Option<&str>) -> Result<(Vars, Value), Reply> {
    let Some(raw) = raw else {
        return Ok((Vars::new(), json!({})));
    };
    let value: Value = serde_json::from_str(raw)
        .map_err(|e| Reply::refuse(StatusCode::VarsInvalid, format!("vars is not JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(Reply::refuse(
            StatusCode::VarsInvalid,
            "vars must be a JSON object; send {} or leave vars out when there are none",
        ));
    };
    let mut vars = Vars::new();
    for (name, v) in &obj {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(Reply::refuse(
                    StatusCode::VarsInvalid,
                    format!("the value of {:?} must be a string", clip(name, 40)),
                ))
            }
        };
        let n = text.chars().count();
        if n > MAX_VAR_CHARS {
            return Err(Reply::refuse(
                StatusCode::VarTooLong,
                format!(
                    "the value of {:?} has {n} characters, at most {MAX_VAR_CHARS} are allowed",
                    clip(name, 40)
                ),
            ));
        }
        vars.insert(name, text)
            .map_err(|e| Reply::refuse(StatusCode::VarsInvalid, e.rule))?;
    }
    Ok((vars, Value::Object(obj)))
}

/// Whether `text` has a `%name%` placeholder that `vars` has no value for.
fn has_unfilled_placeholder(text: &str, vars: &Vars) -> bool {
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end)
                if end > 0
                    && after[..end]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
            {
                if vars.get(&after[..end]).is_none() {
                    return true;
                }
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    false
}

/// Six base-36 characters that look random but follow from `n`.
fn id_tail(n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let mut s = String::with_capacity(6);
    for _ in 0..6 {
        s.push(char::from(DIGITS[(z % 36) as usize]));
        z /= 36;
    }
    s
}

/// Copies the request's own fields into a hook event.
fn add_request_fields(
    body: &mut Form<'static>,
    request_id: Option<&str>,
    tag: Option<&str>,
    label: Option<&str>,
) {
    if let Some(id) = request_id {
        body.set("sendRequestId", id.to_owned());
    }
    if let Some(tag) = tag {
        body.set("customArgs", tag.to_owned());
    }
    if let Some(label) = label {
        body.set("labelId", label.to_owned());
    }
}

/// What an accepted request asks to send, before the messages are made.
struct Delivery<'a> {
    account: usize,
    kind: MessageKind,
    msg_type: u8,
    template_id: Option<u64>,
    /// The text for every number (it does not depend on the number).
    text: String,
    /// Set when processing fails whatever the number (450, 460).
    content_failure: Option<StatusCode>,
    phones: Vec<&'a str>,
    params: &'a Form<'static>,
}

impl Sandbox {
    /// A sandbox with `config`, an empty outbox and the configured balance.
    pub fn new(config: SandboxConfig) -> Self {
        Sandbox {
            balance: config.balance,
            config,
            outbox: Vec::new(),
            hooks: Vec::new(),
            rates: RateLimiter::default(),
            dedupe: Dedupe::default(),
            accepted: 0,
            hook_counter: 0,
            last_sweep: 0,
            registry: manage::Registry::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Every accepted message still in the outbox, oldest first.
    pub fn outbox(&self) -> &[OutboxMessage] {
        &self.outbox
    }

    /// The outbox as a JSON array, newest first (see [`OutboxMessage::to_json_value`]).
    pub fn outbox_json(&self) -> String {
        outbox::to_json(self.outbox.iter().rev())
    }

    /// A small self-contained HTML page that lists the messages as a phone shows them,
    /// newest first (at most [`HTML_MAX_MESSAGES`]), everything HTML-escaped.
    pub fn outbox_html(&self) -> String {
        outbox::to_html(self.outbox.iter().rev(), self.outbox.len())
    }

    /// Takes the queued SMSHook events, oldest first, leaving the queue empty.
    pub fn take_hook_events(&mut self) -> Vec<QueuedHookEvent> {
        std::mem::take(&mut self.hooks)
    }

    /// The queued SMSHook events, without taking them.
    pub fn hook_events(&self) -> &[QueuedHookEvent] {
        &self.hooks
    }

    /// Marks template `id` approved; false when there is no such template.
    pub fn approve_template(&mut self, id: u64) -> bool {
        match self.config.templates.iter_mut().find(|t| t.id == id) {
            Some(t) => {
                t.approved = true;
                true
            }
            None => false,
        }
    }

    /// Adds a template, or replaces the one with the same id.
    pub fn add_template(&mut self, template: Template) {
        match self
            .config
            .templates
            .iter_mut()
            .find(|t| t.id == template.id)
        {
            Some(t) => *t = template,
            None => self.config.templates.push(template),
        }
    }

    /// The balance left (messages); `None` is unlimited.
    pub fn balance(&self) -> Option<u64> {
        self.balance
    }

    /// Sets the balance left; `None` is unlimited.
    pub fn set_balance(&mut self, balance: Option<u64>) {
        self.balance = balance;
    }

    /// How many messages were accepted in all (including any dropped from a capped outbox).
    pub fn accepted_count(&self) -> u64 {
        self.accepted
    }

    /// Answers `request` as SendCloud would at time `now`. Never panics, whatever the
    /// request holds.
    pub fn handle<B: AsRef<[u8]>>(
        &mut self,
        request: &http::Request<B>,
        now: Timestamp,
    ) -> http::Response<Vec<u8>> {
        let now_ms = now.as_millis();
        self.sweep(now_ms);
        let path = request.uri().path();
        let Some(route) = route(path) else {
            return http_error(
                http::StatusCode::NOT_FOUND,
                format!("no such endpoint: {}", clip(path, 100)),
            );
        };
        let method = request.method();
        match route {
            Route::Timestamp | Route::OutboxHtml | Route::OutboxJson => {
                if method != http::Method::GET {
                    return wrong_method("GET", method);
                }
                return match route {
                    Route::OutboxHtml => respond(
                        http::StatusCode::OK,
                        "text/html;charset=utf-8",
                        self.outbox_html().into_bytes(),
                    ),
                    Route::OutboxJson => respond(
                        http::StatusCode::OK,
                        "application/json;charset=utf-8",
                        self.outbox_json().into_bytes(),
                    ),
                    _ => Reply::ok(StatusCode::Ok, json!({ "timestamp": now_ms })).into_response(),
                };
            }
            Route::Send | Route::Voice | Route::Code => {
                if method != http::Method::POST {
                    return wrong_method("POST", method);
                }
            }
            Route::Manage(_) => {
                if method != http::Method::POST && method != http::Method::GET {
                    return wrong_method("GET, POST", method);
                }
            }
        }
        let mut params = Form::decode(request.uri().query().unwrap_or("").as_bytes());
        for (k, v) in Form::decode(request.body().as_ref()).iter() {
            params.set(k.to_owned(), v.to_owned());
        }
        let reply = match self.authenticate(&params, now_ms) {
            Err(refusal) => refusal,
            Ok(account) => match route {
                Route::Send => self.send(&params, account, now_ms),
                Route::Voice => self.send_voice(&params, account, now_ms),
                Route::Manage(call) => self.manage(call, &params, account, now_ms),
                _ => self.send_code(&params, account, now_ms),
            },
        };
        reply.into_response()
    }

    fn sweep(&mut self, now: u64) {
        if now.abs_diff(self.last_sweep) >= MINUTE_MS {
            self.rates.sweep(now);
            self.dedupe.sweep(now, self.config.dedupe_window_ms);
            self.last_sweep = now;
        }
    }

    /// Rules 1 to 3: the account, the signature, the timestamp.
    fn authenticate(&self, p: &Form<'static>, now: u64) -> Result<usize, Reply> {
        let user = p.get("smsUser").unwrap_or("");
        if user.is_empty() {
            return Err(Reply::refuse(
                StatusCode::SmsUserEmpty,
                "smsUser is missing",
            ));
        }
        let Some((index, account)) = self.config.account(user) else {
            return Err(Reply::refuse(
                StatusCode::SmsUserNotFound,
                format!("no account {:?}", clip(user, 64)),
            ));
        };
        let signature = p.get(SIGNATURE_PARAM).unwrap_or("");
        if signature.is_empty() {
            return Err(Reply::refuse(
                StatusCode::SignatureParameterInvalid,
                "signature is missing",
            ));
        }
        if SignatureAlgorithm::from_hex_len(signature.len()).is_none()
            || !signature.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(Reply::refuse(
                StatusCode::SignatureParameterInvalid,
                "signature must be 32 (MD5) or 64 (SHA-256) hex digits",
            ));
        }
        if !verify(&account.sms_key, p.iter(), signature) {
            return Err(Reply::refuse(
                StatusCode::SignatureInvalid,
                format!(
                    "expected the MD5 or SHA-256 hex digest of {}",
                    clip(&canonical_string_masked(p.iter()), 400)
                ),
            ));
        }
        if let Some(ts) = p.get("timestamp") {
            let window = self.config.timestamp_window_ms;
            let Ok(t) = ts.trim().parse::<u64>() else {
                return Err(Reply::refuse(
                    StatusCode::InvalidTimestamp,
                    format!("timestamp {:?} is not UNIX milliseconds", clip(ts, 32)),
                ));
            };
            if t.abs_diff(now) > window {
                let hint = if t < 100_000_000_000 {
                    "; timestamp is in milliseconds, not seconds"
                } else {
                    "; fetch timestamp/get and correct your clock"
                };
                return Err(Reply::refuse(
                    StatusCode::InvalidTimestamp,
                    format!(
                        "timestamp {t} is more than {window} ms from the server time {now}{hint}"
                    ),
                ));
            }
        }
        Ok(index)
    }

    /// Rule 4.
    fn check_duplicate(&self, p: &Form<'static>, account: usize, now: u64) -> Result<(), Reply> {
        if let Some(id) = p.get("sendRequestId").filter(|s| !s.is_empty()) {
            if self
                .dedupe
                .seen(account, id, now, self.config.dedupe_window_ms)
            {
                return Err(Reply::refuse(
                    StatusCode::DuplicateRequest,
                    format!("sendRequestId {:?} was already processed", clip(id, 128)),
                ));
            }
        }
        Ok(())
    }

    /// Rule 6's rate limits for one number.
    fn check_rate(&self, phone: &str, now: u64) -> Result<(), Reply> {
        self.rates
            .check(
                phone,
                now,
                self.config.per_minute_limit,
                self.config.per_day_limit,
            )
            .map_err(|status| {
                let detail = match status {
                    StatusCode::RateLimitMinute => format!(
                        "{phone} already had {} message(s) in the last minute",
                        self.config.per_minute_limit
                    ),
                    _ => format!(
                        "{phone} already had {} message(s) in the last 24 hours",
                        self.config.per_day_limit
                    ),
                };
                Reply::refuse(status, detail)
            })
    }

    /// Rule 7.
    fn check_balance(&self, cost: usize) -> Result<(), Reply> {
        match self.balance {
            Some(left) if left < u64::try_from(cost).unwrap_or(u64::MAX) => Err(Reply::refuse(
                StatusCode::InsufficientBalance,
                format!("{cost} message(s) requested, {left} left"),
            )),
            _ => Ok(()),
        }
    }

    fn send(&mut self, p: &Form<'static>, account: usize, now: u64) -> Reply {
        match self.try_send(p, account, now) {
            Ok(reply) | Err(reply) => reply,
        }
    }

    fn try_send(&mut self, p: &Form<'static>, account: usize, now: u64) -> Result<Reply, Reply> {
        self.check_duplicate(p, account, now)?;
        let phone_param = param(p, "phone")
            .ok_or_else(|| Reply::refuse(StatusCode::PhoneEmpty, "phone is missing"))?;
        let template_param = param(p, "templateId")
            .ok_or_else(|| Reply::refuse(StatusCode::TemplateIdEmpty, "templateId is missing"))?;
        let template = template_param
            .parse::<u64>()
            .ok()
            .and_then(|id| self.config.template(id))
            .ok_or_else(|| {
                Reply::refuse(
                    StatusCode::TemplateNotFound,
                    format!("no template {:?}", clip(template_param, 32)),
                )
            })?;
        if !template.approved {
            return Err(Reply::refuse(
                StatusCode::TemplateNotApproved,
                format!("template {} is not approved", template.id),
            ));
        }
        let msg_type = match param(p, "msgType").unwrap_or("0") {
            "0" => 0u8,
            "1" => 1,
            "2" => 2,
            other => {
                return Err(Reply::refuse(
                    StatusCode::PhoneAndVarsInvalid,
                    format!("msgType must be 0, 1 or 2, not {:?}", clip(other, 16)),
                ))
            }
        };
        let kind_ok = match template.kind {
            TemplateKind::Sms => msg_type != 1,
            TemplateKind::Mms => msg_type == 1,
        };
        if !kind_ok {
            return Err(Reply::refuse(
                StatusCode::TemplateNotFound,
                format!(
                    "template {} is an {} template; msgType {msg_type} needs an {} template",
                    template.id,
                    template.kind.as_str().to_uppercase(),
                    if msg_type == 1 { "MMS" } else { "SMS" }
                ),
            ));
        }
        let (vars, vars_json) = parse_vars(param(p, "vars"))?;
        let template_id = template.id;
        let text = vars.render(&template.text);
        let content_failure = if has_unfilled_placeholder(&template.text, &vars) {
            Some(StatusCode::HookWrongVariable)
        } else if text.chars().count() > MAX_TEXT_CHARS {
            Some(StatusCode::HookContentTooLong)
        } else {
            None
        };

        let list: Vec<&str> = phone_param.split(',').map(str::trim).collect();
        if list.len() > MAX_RECIPIENTS {
            return Err(Reply::refuse(
                StatusCode::PhoneInvalid,
                format!(
                    "too many numbers: {}, at most {MAX_RECIPIENTS} per request",
                    list.len()
                ),
            ));
        }
        let mut seen = std::collections::HashSet::with_capacity(list.len());
        if let Some(dup) = list.iter().find(|p| !seen.insert(**p)) {
            return Err(Reply::refuse(
                StatusCode::PhoneDuplicate,
                format!("{} is listed twice", clip(dup, 24)),
            ));
        }

        let mut good = Vec::with_capacity(list.len());
        let mut items = Vec::new();
        let single = list.len() == 1;
        for phone in &list {
            let refusal = match check_phone(phone, msg_type) {
                Err(detail) => Some(Reply::refuse(StatusCode::PhoneInvalid, detail)),
                Ok(()) => self.check_rate(phone, now).err(),
            };
            match refusal {
                None => good.push(*phone),
                Some(r) if single => return Err(r),
                Some(r) => items.push(json!({
                    "phone": phone,
                    "vars": vars_json,
                    "message": r.message,
                    "statusCode": r.status.code(),
                })),
            }
        }
        if good.is_empty() {
            return Err(Reply {
                status: StatusCode::AllFailed,
                message: message_zh(StatusCode::AllFailed).to_owned(),
                info: json!({
                    "successCount": 0,
                    "failedCount": items.len(),
                    "items": items,
                    "smsIds": [],
                }),
            });
        }
        self.check_balance(good.len())?;
        let sms_ids = self.deliver(
            Delivery {
                account,
                kind: if msg_type == 1 {
                    MessageKind::Mms
                } else {
                    MessageKind::Sms
                },
                msg_type,
                template_id: Some(template_id),
                text,
                content_failure,
                phones: good,
                params: p,
            },
            now,
        );
        Ok(if items.is_empty() {
            Reply::ok(
                StatusCode::Ok,
                json!({ "successCount": sms_ids.len(), "smsIds": sms_ids }),
            )
        } else {
            Reply::ok(
                StatusCode::PartialSuccess,
                json!({
                    "successCount": sms_ids.len(),
                    "failedCount": items.len(),
                    "items": items,
                    "smsIds": sms_ids,
                }),
            )
        })
    }

    /// The one number of a voice or code message.
    fn single_phone<'p>(p: &'p Form<'static>, msg_type: u8) -> Result<&'p str, Reply> {
        let phone = param(p, "phone")
            .ok_or_else(|| Reply::refuse(StatusCode::PhoneEmpty, "phone is missing"))?;
        if phone.contains(',') {
            return Err(Reply::refuse(
                StatusCode::PhoneInvalid,
                "this call takes exactly one number",
            ));
        }
        check_phone(phone, msg_type).map_err(|d| Reply::refuse(StatusCode::PhoneInvalid, d))?;
        Ok(phone)
    }

    fn code_param<'p>(p: &'p Form<'static>) -> Result<&'p str, Reply> {
        let code = param(p, "code")
            .ok_or_else(|| Reply::refuse(StatusCode::PhoneAndVarsEmpty, "code is missing"))?;
        if !(4..=6).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Reply::refuse(
                StatusCode::PhoneAndVarsInvalid,
                format!("code must be 4 to 6 digits, not {:?}", clip(code, 16)),
            ));
        }
        Ok(code)
    }

    fn send_voice(&mut self, p: &Form<'static>, account: usize, now: u64) -> Reply {
        let run = |this: &mut Self| -> Result<Reply, Reply> {
            this.check_duplicate(p, account, now)?;
            let phone = Self::single_phone(p, 0)?;
            let code = Self::code_param(p)?;
            this.check_rate(phone, now)?;
            this.check_balance(1)?;
            let sms_ids = this.deliver(
                Delivery {
                    account,
                    kind: MessageKind::Voice,
                    msg_type: 0,
                    template_id: None,
                    text: format!("(voice call) Your verification code is {code}."),
                    content_failure: None,
                    phones: vec![phone],
                    params: p,
                },
                now,
            );
            Ok(Reply::ok(
                StatusCode::Ok,
                json!({ "successCount": sms_ids.len(), "smsIds": sms_ids }),
            ))
        };
        match run(self) {
            Ok(r) | Err(r) => r,
        }
    }

    fn send_code(&mut self, p: &Form<'static>, account: usize, now: u64) -> Reply {
        let run = |this: &mut Self| -> Result<Reply, Reply> {
            this.check_duplicate(p, account, now)?;
            let msg_type = match param(p, "msgType").unwrap_or("0") {
                "0" => 0u8,
                "2" => 2,
                other => {
                    return Err(Reply::refuse(
                        StatusCode::PhoneAndVarsInvalid,
                        format!(
                            "msgType of sendCode must be 0 or 2, not {:?}",
                            clip(other, 16)
                        ),
                    ))
                }
            };
            let phone = Self::single_phone(p, msg_type)?;
            let code = Self::code_param(p)?;
            let sign = if let Some(id) = param(p, "signId") {
                id.parse::<u64>()
                    .ok()
                    .and_then(|id| this.config.sign_names.iter().find(|s| s.id == id))
                    .ok_or_else(|| {
                        Reply::refuse(
                            StatusCode::NoPermission,
                            format!("no sign name with signId {:?}", clip(id, 32)),
                        )
                    })?
            } else if let Some(name) = param(p, "signName") {
                this.config
                    .sign_names
                    .iter()
                    .find(|s| s.name == name)
                    .ok_or_else(|| {
                        Reply::refuse(
                            StatusCode::NoPermission,
                            format!("no sign name {:?}", clip(name, 64)),
                        )
                    })?
            } else {
                return Err(Reply::refuse(
                    StatusCode::PhoneAndVarsInvalid,
                    "signId or signName is required",
                ));
            };
            let text = format!("【{}】Your verification code is {code}.", sign.name);
            this.check_rate(phone, now)?;
            this.check_balance(1)?;
            let sms_ids = this.deliver(
                Delivery {
                    account,
                    kind: MessageKind::Code,
                    msg_type,
                    template_id: None,
                    text,
                    content_failure: None,
                    phones: vec![phone],
                    params: p,
                },
                now,
            );
            Ok(Reply::ok(
                StatusCode::Ok,
                json!({ "successCount": sms_ids.len(), "smsIds": sms_ids }),
            ))
        };
        match run(self) {
            Ok(r) | Err(r) => r,
        }
    }

    /// Accepts the messages of a request: outbox, rate counts, balance, dedupe, hooks.
    /// Returns their smsIds.
    fn deliver(&mut self, d: Delivery<'_>, now: u64) -> Vec<String> {
        let p = d.params;
        let request_id = p.get("sendRequestId").filter(|s| !s.is_empty());
        let tag = p.get("tag").filter(|s| !s.is_empty());
        let label = p.get("labelId").filter(|s| !s.is_empty());
        let sms_user = self
            .config
            .accounts
            .get(d.account)
            .map(|a| a.sms_user.clone())
            .unwrap_or_default();
        let mut sms_ids = Vec::with_capacity(d.phones.len());
        let mut events = Vec::new();
        for phone in &d.phones {
            self.accepted = self.accepted.saturating_add(1);
            let n = self.accepted;
            let sms_id = format!(
                "{now}_{n}_{}_{}_{}${phone}",
                d.account + 1,
                d.template_id.unwrap_or(0),
                id_tail(n)
            );
            let outcome = match d.content_failure {
                Some(status) => DeliveryOutcome::WorkerError(status),
                None => DeliveryOutcome::for_phone(phone),
            };
            self.rates.record(phone, now);
            if self.config.queue_hook_events {
                let mut body = Form::with_capacity(16);
                body.set("eventType", outcome.event_type().to_string());
                body.set("smsId", sms_id.clone());
                body.set("phone", (*phone).to_owned());
                body.set("smsUser", sms_user.clone());
                body.set("msgType", d.msg_type.to_string());
                body.set("statusCode", outcome.status().code().to_string());
                body.set("message", outcome.description());
                if !outcome.is_delivered() {
                    body.set(
                        "encodeMessage",
                        hook_queue::base64(outcome.description().as_bytes()),
                    );
                }
                if let Some(t) = d.template_id {
                    body.set("templateId", t.to_string());
                }
                add_request_fields(&mut body, request_id, tag, label);
                events.push(self.signed_hook(outcome.event(), body, &sms_id, now));
            }
            self.outbox.push(OutboxMessage {
                sms_id: sms_id.clone(),
                phone: (*phone).to_owned(),
                text: d.text.clone(),
                template_id: d.template_id,
                kind: d.kind,
                msg_type: d.msg_type,
                sms_user: sms_user.clone(),
                accepted_at: Timestamp(now),
                send_request_id: request_id.map(str::to_owned),
                tag: tag.map(str::to_owned),
                outcome,
            });
            sms_ids.push(sms_id);
        }
        if self.config.queue_hook_events && self.config.queue_request_events {
            let mut body = Form::with_capacity(16);
            body.set("eventType", "1");
            body.set("smsIds", json!(sms_ids).to_string());
            body.set("phones", json!(d.phones).to_string());
            body.set("smsUser", sms_user);
            body.set("msgType", d.msg_type.to_string());
            body.set("message", message_zh(StatusCode::Ok));
            if let Some(t) = d.template_id {
                body.set("templateId", t.to_string());
            }
            add_request_fields(&mut body, request_id, tag, label);
            let seed = sms_ids.first().cloned().unwrap_or_default();
            // The request event comes before the events of its messages.
            let event = self.signed_hook("request", body, &seed, now);
            self.hooks.push(event);
        }
        self.hooks.append(&mut events);
        if let Some(left) = self.balance.as_mut() {
            *left = left.saturating_sub(sms_ids.len() as u64);
        }
        if let Some(id) = request_id {
            self.dedupe.record(d.account, id, now);
        }
        self.trim_outbox();
        sms_ids
    }

    fn signed_hook(
        &mut self,
        event: &str,
        body: Form<'static>,
        seed: &str,
        now: u64,
    ) -> QueuedHookEvent {
        self.hook_counter = self.hook_counter.wrapping_add(1);
        QueuedHookEvent::signed(
            event,
            body,
            &self.config.hook_app_key,
            self.hook_counter,
            seed,
            now,
        )
    }

    /// Drops the oldest messages once the outbox is a quarter past its limit, down to
    /// the limit (so that dropping costs little per message).
    fn trim_outbox(&mut self) {
        if let Some(limit) = self.config.outbox_limit {
            let slack = limit / 4 + 1;
            if self.outbox.len() >= limit.saturating_add(slack) {
                let excess = self.outbox.len() - limit;
                self.outbox.drain(..excess);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/smsapi/send"), Some(Route::Send));
        assert_eq!(route("/send/"), Some(Route::Send));
        assert_eq!(route("/smsapi/timestamp/get"), Some(Route::Timestamp));
        assert_eq!(route("/smsapisend"), None);
        assert_eq!(route("/smsapi"), None);
        assert_eq!(route(""), None);
    }

    #[test]
    fn phones() {
        assert!(check_phone("13800000000", 0).is_ok());
        assert!(check_phone("13800000000", 2).is_err());
        assert!(check_phone("008613800000000", 2).is_ok());
        assert!(check_phone("008613800000000", 0).is_err());
        assert!(check_phone("+8613800000000", 2).is_err());
        assert!(check_phone("1312222", 0).is_err());
        assert!(check_phone("0008613800000000", 2).is_err());
        assert!(check_phone("", 0).is_err());
    }

    #[test]
    fn placeholders() {
        let mut v = Vars::new();
        assert!(v.insert("a", "1").is_ok());
        assert!(!has_unfilled_placeholder("x %a% y", &v));
        assert!(has_unfilled_placeholder("x %a% %b%", &v));
        assert!(!has_unfilled_placeholder("100% sure, 50% off", &v));
        assert!(!has_unfilled_placeholder("%", &v));
    }

    #[test]
    fn id_tails_are_deterministic_and_differ() {
        assert_eq!(id_tail(1), id_tail(1));
        assert_ne!(id_tail(1), id_tail(2));
        assert_eq!(id_tail(u64::MAX).len(), 6);
    }
}
