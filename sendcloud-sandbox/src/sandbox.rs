//! The emulator's state and its entry point, [`Sandbox::handle`]: routing, then rules 1 to
//! 4 (account, signature, timestamp, duplicate requests), rate limits and balance.

use std::fmt;

use serde_json::json;

use crate::config::*;
use crate::hook_queue::*;
use crate::limits::{Dedupe, RateLimiter, MINUTE_MS};
use crate::outbox;
use crate::outbox::*;
use crate::registry::Registry;
use crate::reply::*;
use crate::route::*;
use sendcloud_proto::server::{
    check_signature, request_params, Incoming, SignatureRefusal, Signed,
};
use sendcloud_proto::Form;
use sendcloud_proto::StatusCode;
use sendcloud_proto::Timestamp;
use sendcloud_proto::{SendCode, SendTemplate, SendVoice};

/// The server side of the protocol. See the [crate documentation](crate) for the rules.
pub struct Sandbox {
    pub(crate) config: SandboxConfig,
    pub(crate) outbox: Vec<OutboxMessage>,
    pub(crate) hooks: Vec<QueuedHookEvent>,
    pub(crate) hooks_dropped: u64,
    pub(crate) rates: RateLimiter,
    pub(crate) dedupe: Dedupe,
    pub(crate) balance: Option<u64>,
    pub(crate) accepted: u64,
    pub(crate) hook_counter: u64,
    pub(crate) last_sweep: u64,
    pub(crate) registry: Registry,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.config)
            .field("outbox_len", &self.outbox().len())
            .field("accepted", &self.accepted)
            .field("queued_hook_events", &self.hooks.len())
            .field("balance", &self.balance)
            .field("rate_limited_numbers", &self.rates.len())
            .field("remembered_request_ids", &self.dedupe.len())
            .finish()
    }
}

impl Sandbox {
    /// A sandbox with `config`, an empty outbox and the configured balance.
    pub fn new(config: SandboxConfig) -> Self {
        Sandbox {
            balance: config.balance,
            config,
            outbox: Vec::new(),
            hooks: Vec::new(),
            hooks_dropped: 0,
            rates: RateLimiter::default(),
            dedupe: Dedupe::default(),
            accepted: 0,
            hook_counter: 0,
            last_sweep: 0,
            registry: Registry::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Every accepted message still in the outbox, oldest first: at most
    /// [`SandboxConfig::outbox_limit`] of them. (The oldest are freed in batches, so a
    /// few more may still take memory; they are never shown.)
    pub fn outbox(&self) -> &[OutboxMessage] {
        let kept = self.config.outbox_limit.unwrap_or(usize::MAX);
        let skip = self.outbox.len().saturating_sub(kept);
        self.outbox.get(skip..).unwrap_or_default()
    }

    /// The outbox as a JSON array, newest first (see [`OutboxMessage::to_json_value`]).
    pub fn outbox_json(&self) -> String {
        outbox::to_json(self.outbox().iter().rev())
    }

    /// A small self-contained HTML page that lists the messages as a phone shows them,
    /// newest first (at most [`HTML_MAX_MESSAGES`]), everything HTML-escaped.
    pub fn outbox_html(&self) -> String {
        outbox::to_html(self.outbox().iter().rev(), self.outbox().len())
    }

    /// Takes the queued SMSHook events, oldest first, leaving the queue empty.
    pub fn take_hook_events(&mut self) -> Vec<QueuedHookEvent> {
        std::mem::take(&mut self.hooks)
    }

    /// How many queued SMSHook events were dropped, oldest first, because the queue held
    /// [`SandboxConfig::hook_queue_limit`] events nobody took.
    pub fn hook_events_dropped(&self) -> u64 {
        self.hooks_dropped
    }

    /// Forgets every message in the outbox (the rules' memories, the balance and the hook
    /// queue stay as they are).
    pub fn clear_outbox(&mut self) {
        self.outbox = Vec::new();
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
        let params = request_params(request);
        let reply = match self.authenticate(&params, now_ms) {
            Err(refusal) => refusal,
            Ok(account) => match route {
                Route::Send => self.send(SendTemplate::read(&params), account, now_ms),
                Route::Voice => self.send_voice(SendVoice::read(&params), account, now_ms),
                Route::Manage(call) => self.manage(call, &params, account, now_ms),
                _ => self.send_code(SendCode::read(&params), account, now_ms),
            },
        };
        reply.into_response()
    }

    pub(crate) fn sweep(&mut self, now: u64) {
        if now.abs_diff(self.last_sweep) >= MINUTE_MS {
            self.rates.sweep(now);
            self.dedupe.sweep(now, self.config.dedupe_window_ms);
            self.last_sweep = now;
        }
    }

    /// Rules 1 to 3: the account, the signature, the timestamp.
    pub(crate) fn authenticate(&self, p: &Form<'static>, now: u64) -> Result<usize, Reply> {
        let signed = Signed::read(p);
        let user = signed.sms_user.unwrap_or("");
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
        if let Err(refusal) = check_signature(p, &account.sms_key) {
            let detail = match &refusal {
                SignatureRefusal::Mismatch { canonical_masked } => format!(
                    "expected the MD5 or SHA-256 hex digest of {}",
                    clip(canonical_masked, 400)
                ),
                other => other.to_string(),
            };
            return Err(Reply::refuse(refusal.status(), detail));
        }
        if let Some(ts) = signed.timestamp {
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
    pub(crate) fn check_duplicate(
        &self,
        request_id: Option<&str>,
        account: usize,
        now: u64,
    ) -> Result<(), Reply> {
        if let Some(id) = request_id.filter(|s| !s.is_empty()) {
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
    pub(crate) fn check_rate(&self, phone: &str, now: u64) -> Result<(), Reply> {
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
    pub(crate) fn check_balance(&self, cost: usize) -> Result<(), Reply> {
        match self.balance {
            Some(left) if left < u64::try_from(cost).unwrap_or(u64::MAX) => Err(Reply::refuse(
                StatusCode::InsufficientBalance,
                format!("{cost} message(s) requested, {left} left"),
            )),
            _ => Ok(()),
        }
    }
}
