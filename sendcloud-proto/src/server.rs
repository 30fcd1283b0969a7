//! The server half of the protocol: what a service answering SendCloud's requests (the
//! `sendcloud-sandbox` crate, a test double of yours) needs beside the client half.
//!
//! It checks a request's signature ([`verify`], [`canonical_string_masked`] for the
//! message of a 422), checks free-text parameters by the rules the client applies when a
//! request is built ([`check_text`], [`sign_name`]), reads id lists as SendCloud accepts
//! them ([`split_id_list`]) and signs SMSHook posts ([`hook_signature`]).

pub use crate::api::period::check_text;
pub use crate::api::template::sign_name;
pub use crate::client::FORM_CONTENT_TYPE;
pub use crate::hook::hook_signature;
pub use crate::response::split_id_list;
pub use crate::sign::{canonical_string_masked, verify, SIGNATURE_PARAM};
