//! The sans-IO core of a SendCloud SMS API client.
//!
//! It turns typed requests into signed [`http::Request`] values and [`http::Response`]
//! values into typed outcomes, and it decides retries, splits bulk sends into batches and
//! checks every input when it is built. It does no IO at all: no sockets, no clock, no
//! randomness. Transports (`sendcloud-hyper`, `sendcloud-ureq`, the C ABI) drive it.
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

pub mod api;
pub mod batch;
pub mod call;
pub mod client;
pub mod config;
pub mod credentials;
mod delivery;
pub mod endpoint;
pub mod error;
pub mod form;
pub mod hook;
pub mod phone;
pub mod response;
pub mod retry;
pub mod server;
pub mod session;
pub mod sign;
pub mod status;
pub mod values;
pub mod vars;

pub use api::code::{SendCode, SignRef};
pub use api::data::{
    ProcessFailedRow, ProcessFailedStats, RowKey, SendDayRow, SendDayStats, SendFailedRow,
    SendFailedStats, Stats, StatsQuery,
};
pub use api::label::{DeleteLabel, GetLabel, LabelInfo, ListLabels, SaveLabel, UpdateLabel};
pub use api::period::{Date, Paging, Period, ReportMsgType};
pub use api::send::SendTemplate;
pub use api::sign::{GetSign, ListSigns, SaveSign, SignInfo, SignType, UpdateSign};
pub use api::status::{StatusPage, StatusQuery, StatusRecord};
pub use api::template::{
    AddTemplate, DeleteTemplate, GetTemplate, ListTemplates, SignPosition, SmsType, SubmitTemplate,
    TemplateInfo, TemplateList, UpdateTemplate, VerifyState,
};
pub use api::timestamp::GetServerTime;
pub use api::voice::SendVoice;
pub use batch::{Batch, BatchError, BatchTicket, Batches, BulkReport, BulkTemplate, FailedBatch};
pub use call::{Call, Next};
pub use client::{parse_response, Client, DEFAULT_BASE_URL, USER_AGENT_VALUE};
pub use config::{ClientBuilder, ClientConfig, ClientError, Transport};
pub use credentials::{Credentials, Secret};
pub use delivery::DeliveryState;
pub use endpoint::Endpoint;
pub use error::{Error, Rejected, ValidationError};
pub use form::Form;
pub use hook::{
    Applied, DeliveryTracker, HookError, HookEvent, HookEventKind, HookVerifier, MemoryReplayGuard,
    ReplayGuard,
};
pub use phone::{mask_phone, Phone, Recipients, MAX_RECIPIENTS};
pub use response::{Envelope, SendReceipt, ServerTime};
pub use retry::{AttemptContext, AttemptOutcome, Decision, RetryPolicy, TransportFailure};
pub use session::{clock_offset, generated_request_id, Session};
pub use sign::{canonical_string_masked, sign, verify, SignatureAlgorithm};
pub use status::{RetryClass, StatusCode};
pub use values::{
    LabelId, MsgType, SendRequestId, SignId, Tag, TemplateId, Timestamp, VerificationCode,
};
pub use vars::Vars;

pub use http;
