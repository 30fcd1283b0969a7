//! The SendCloud SMS protocol, both halves, with no IO.
//!
//! **Sending SMS from an application? Use [`sendcloud-ureq`](https://docs.rs/sendcloud-ureq)
//! (blocking) or [`sendcloud-hyper`](https://docs.rs/sendcloud-hyper) (async)**: they drive
//! this crate over a real connection, with timeouts, retries and TLS. This crate is for
//! writing a transport, a test double or a service that speaks the protocol.
//!
//! It turns typed requests into signed [`http::Request`] values and [`http::Response`]
//! values into typed outcomes; it checks every input when it is built, decides retries
//! ([`RetryPolicy`], [`Call`]), keeps what lasts across calls ([`Session`]), splits bulk
//! sends into batches ([`Batches`]), and verifies SMSHook posts ([`hook`]). The
//! [`server`] module has what a service answering these requests needs besides. It does
//! no IO at all: no sockets, no files, no clock, no randomness.
//!
//! ```
//! use sendcloud_proto::*;
//!
//! let client = Client::new(Credentials::new("my-user", "my-key")?)
//!     .with_algorithm(SignatureAlgorithm::Sha256);
//! let mut vars = Vars::new();
//! vars.insert("code", "123456")?;
//! let send = SendTemplate::new(TemplateId::new(42)?, Recipients::parse("13800000000")?)
//!     .with_vars(vars)
//!     .with_request_id(SendRequestId::new("signup-1001")?);
//!
//! // Your transport sends this request...
//! let request = client.prepare(&send, Timestamp(1_700_000_000_000))?;
//! assert_eq!(request.method(), "POST");
//!
//! // ...and hands back the answer.
//! let answer = http::Response::new(
//!     r#"{"result":true,"statusCode":200,"message":"请求成功",
//!         "info":{"successCount":1,"smsIds":["1700000000000_1_1_1_abc$13800000000"]}}"#,
//! );
//! let receipt = client.parse::<SendTemplate, _>(&answer)?;
//! assert_eq!(receipt.success_count, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
mod batch;
mod call;
mod client;
mod config;
mod credentials;
mod delivery;
mod endpoint;
mod error;
mod form;
pub mod hook;
mod phone;
mod response;
mod retry;
pub mod server;
mod session;
mod sign;
mod status;
mod values;
mod vars;

// The client: typed requests in, signed requests out, answers in, typed outcomes out.
pub use client::{parse_response, Client, DEFAULT_BASE_URL, USER_AGENT_VALUE};
pub use credentials::{Credentials, Secret};
pub use endpoint::Endpoint;
pub use form::Form;
pub use response::{parse_info, Envelope, SendReceipt, ServerTime};
pub use sign::{canonical_string_masked, sign, verify, SignatureAlgorithm};

// Inputs that cannot be wrong once built, and the protocol's limits on them.
pub use phone::{
    mask_phone, Phone, Recipients, DOMESTIC_PHONE_DIGITS, MAX_INTERNATIONAL_DIGITS,
    MAX_PHONE_DIGITS, MAX_RECIPIENTS, MIN_INTERNATIONAL_DIGITS, MIN_PHONE_DIGITS,
};
pub use values::{
    LabelId, MsgType, SendRequestId, SignId, Tag, TemplateId, Timestamp, VerificationCode,
    MAX_REQUEST_ID_CHARS, MAX_TAG_CHARS,
};
pub use vars::{Vars, MAX_VAR_CHARS};

// The endpoints, one type per call.
pub use api::code::{SendCode, SignRef};
pub use api::data::{
    ProcessFailedRow, ProcessFailedStats, RowKey, SendDayRow, SendDayStats, SendFailedRow,
    SendFailedStats, Stats, StatsQuery, MAX_STATS_DAYS, MAX_STATS_TEMPLATES,
};
pub use api::label::{
    DeleteLabel, GetLabel, LabelInfo, ListLabels, SaveLabel, UpdateLabel, MAX_LABEL_NAME_CHARS,
};
pub use api::query::{Date, Paging, Period, ReportMsgType, MAX_PAGE_LIMIT};
pub use api::send::SendTemplate;
pub use api::sign::{GetSign, ListSigns, SaveSign, SignInfo, SignType, UpdateSign};
pub use api::status::{
    StatusPage, StatusQuery, StatusRecord, MAX_STATUS_DAYS, MAX_STATUS_IDS,
    MAX_TEMPLATE_NAME_FILTER_CHARS,
};
pub use api::template::{
    split_sign, AddTemplate, DeleteTemplate, GetTemplate, ListTemplates, SignPosition, SmsType,
    SubmitTemplate, TemplateInfo, TemplateList, UpdateTemplate, VerifyState, MAX_SIGN_NAME_CHARS,
    MAX_TEMPLATE_NAME_CHARS, MAX_TEMPLATE_TEXT_CHARS,
};
pub use api::timestamp::GetServerTime;
pub use api::voice::SendVoice;
pub use delivery::DeliveryState;

// Outcomes and errors.
pub use error::{Error, Rejected, ValidationError, BODY_SNIPPET_CHARS};
pub use status::{RetryClass, StatusCode};

// Retries, the session and bulk sends: what a transport drives.
pub use batch::{
    Batch, BatchError, BatchTicket, Batches, BulkReport, BulkTemplate, FailedBatch,
    MAX_BATCH_BASE_CHARS,
};
pub use call::{Call, Next};
pub use retry::{AttemptContext, AttemptOutcome, Decision, RetryPolicy, TransportFailure};
pub use session::{call_entropy, clock_offset, generated_request_id, Session};

// A transport's client: its settings, its builder and its errors.
pub use config::{
    check_scheme, proxy_applies, proxy_for, redact_url, BoxError, ClientBuilder, ClientConfig,
    ClientError, Transport,
};

pub use http;
