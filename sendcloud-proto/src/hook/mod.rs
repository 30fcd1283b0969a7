//! SMSHook: SendCloud's delivery webhooks.
//!
//! SendCloud POSTs an event to a URL the account configures whenever a message is
//! requested, processed, delivered or fails, when a recipient replies, and when a template
//! is reviewed. This module does everything a receiver needs except the HTTP server:
//!
//! * [`HookEvent::parse`] turns a form or JSON body into a typed [`HookEvent`], leniently
//!   (numbers as strings, lists as JSON arrays, as JSON arrays inside strings, or as
//!   comma/semicolon separated text) and keeping every raw field;
//! * [`HookVerifier`] checks the signature (with any of several app keys, for rotation),
//!   the freshness of the timestamp, the body size, and replays through a [`ReplayGuard`]
//!   such as the bounded [`MemoryReplayGuard`];
//! * [`DeliveryTracker`] folds events into the latest [`DeliveryStatus`] of every smsId,
//!   ignoring duplicates and events that arrive out of order;
//! * [`HookEvent::signed_form_body`] and [`HookEvent::signed_json_body`] build signed posts,
//!   for sandboxes and tests.
//!
//! Like the rest of the crate it does no IO and reads no clock: the caller passes `now`.

mod error;
mod event;
mod fields;
mod post;
mod replay;
mod track;
mod verify;

pub use error::HookError;
pub use event::{HookEvent, HookEventKind, TemplateVerifyResult};
pub use fields::MAX_TOKEN_CHARS;
pub use post::hook_signature;
pub use replay::{MemoryReplayGuard, ReplayGuard, DEFAULT_MAX_AGE_MS};
pub use track::{Applied, DeliveryStatus, DeliveryTracker};
pub use verify::{HookVerifier, DEFAULT_MAX_BODY_BYTES, SIGNATURE_HEX_LEN};
