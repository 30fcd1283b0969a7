//! The server half of the protocol: what a service answering SendCloud's requests (the
//! `sendcloud-sandbox` crate, a test double of yours) needs beside the client half.
//!
//! Beside these, a server checks signatures with [`crate::verify`] (and shows
//! [`crate::canonical_string_masked`] in a 422), and signs SMSHook posts with
//! [`crate::hook::hook_signature`]. From here it checks free-text parameters by the rules
//! the client applies when a request is built ([`check_text`], [`sign_name`]) and reads id
//! lists as SendCloud accepts them ([`split_id_list`]).

pub use crate::api::query::check_text;
pub use crate::api::template::sign_name;
pub use crate::client::FORM_CONTENT_TYPE;
pub use crate::response::split_id_list;
pub use crate::sign::SIGNATURE_PARAM;
