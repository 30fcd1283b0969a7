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
//! Served over HTTP (feature `server`), `/`, `/outbox` and `/outbox.html` are the live
//! page instead, and `/api/...` the JSON API (see the [`server`] module).
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
//! 5. All three send calls: a `tag` that is not a JSON object of at most 128 characters
//!    as received ([`Tag::from_wire`](sendcloud_proto::Tag::from_wire), the core's rule):
//!    482. `send`: `phone` missing 411; `templateId` missing 433, not a registered id
//!    431, not approved 432; `msgType` not 0, 1 or 2: 482; an MMS template needs
//!    `msgType` 1 and an SMS template 0 or 2, else 431; `vars` not a JSON object (`[]`
//!    included) or a bad name, a value that is not a string or number, or a value with a
//!    link (the core's rule, stated on [`Vars`](sendcloud_proto::Vars): `http://`,
//!    `www.`, `t.cn/x`): 441; a value over 32 characters: 483; more than 2,000 numbers:
//!    412; a number twice: 413.
//!    `sendVoice` and `sendCode`: `phone` missing 411, more than one number 412; `code`
//!    missing 481, not 4 to 6 digits 482. `sendCode`: `msgType` not 0 or 2: 482; neither
//!    `signId` nor `signName`: 482; a sign that is not registered: 601 (`signId` wins when
//!    both are given).
//! 6. Each number, by the core's rule
//!    ([`Phone::from_wire`](sendcloud_proto::Phone::from_wire), which the client applies
//!    before sending): digits only; domestic numbers have 11 digits and start with 1;
//!    international ones start with `00` (then 6 to 18 digits, no third 0); a `+` is
//!    refused. International numbers need `msgType` 2, which needs them. A number
//!    breaking this: 412.
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
//! The outbox keeps every message (see [`SandboxConfig::outbox_limit`] to cap it; the
//! `sendcloud sandbox` command keeps 10,000 by default). The rate-limit and dedupe
//! memories only hold the last 24 h and the dedupe window: they are swept whenever `now`
//! has moved a minute since the last sweep, and capped by
//! [`SandboxConfig::max_tracked_numbers`] and [`SandboxConfig::max_request_ids`] (the
//! oldest forgotten first). The hook queue holds at most
//! [`SandboxConfig::hook_queue_limit`] events (the oldest dropped first).
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
mod query;
mod registry;
mod reply;
mod reports;
mod route;
mod sandbox;
mod send;
#[cfg(feature = "server")]
pub mod server;

pub use config::{
    Account, ConfigError, SandboxConfig, SignName, Template, TemplateKind, DEFAULT_HOOK_APP_KEY,
    DEFAULT_SMS_KEY, DEFAULT_SMS_USER,
};
pub use hook_queue::{QueuedHookEvent, HOOK_TOKEN_LEN};
pub use outbox::{DeliveryOutcome, MessageKind, OutboxMessage, HTML_MAX_MESSAGES};
pub use query::{MessageFilter, MessagePage};
pub use sandbox::Sandbox;
pub use send::MAX_TEXT_CHARS;
