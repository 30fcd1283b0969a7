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

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::credentials::Secret;
use crate::error::ValidationError;
use crate::form::Form;
use crate::sign::constant_time_eq;
use crate::status::StatusCode;
use crate::values::{LabelId, MsgType, TemplateId, Timestamp};

/// The default freshness window: an event whose timestamp is more than 5 minutes from
/// `now` (in either direction) is refused.
pub const DEFAULT_MAX_AGE_MS: u64 = 5 * 60 * 1000;
/// The default largest body [`HookVerifier::verify_and_parse`] accepts: 64 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// The longest token accepted, in characters (SendCloud's tokens have 50).
pub const MAX_TOKEN_CHARS: usize = 128;
/// The length of a hook signature: 64 hex digits of HMAC-SHA256.
pub const SIGNATURE_HEX_LEN: usize = 64;

/// How many characters of an offending value an error quotes.
const QUOTE_CHARS: usize = 64;

/// The signature of an SMSHook post: lowercase hex of HMAC-SHA256 keyed with the hook app
/// key over `timestamp` followed by `token`.
///
/// ```
/// use sendcloud_proto::{hook::hook_signature, Secret};
/// assert_eq!(
///     hook_signature(&Secret::new("appkey"), "1434684323193",
///                    "nyFltYEluRVvYezFHJW1st2ewb71RVcVDiNN6GqvRnWtgDDDDD"),
///     "485ee62449485992daf0a5b020d78991af7765f7b97eba1363bdbddc35a64d1b");
/// ```
pub fn hook_signature(app_key: &Secret, timestamp: &str, token: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(app_key.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// Why an SMSHook post was refused. Never contains an app key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookError {
    /// The body is larger than [`HookVerifier::max_body_bytes`].
    TooLarge {
        /// The size of the body, in bytes.
        size: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body could not be decoded at all (e.g. broken JSON, or JSON that is not an object).
    Malformed(String),
    /// A required field is absent or empty.
    Missing(&'static str),
    /// A field is present but its value is not acceptable.
    Invalid {
        /// The field, as SendCloud names it (e.g. `"statusCode"`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not match any configured app key (or is not 64 hex digits).
    BadSignature,
    /// The timestamp is older than the freshness window.
    Stale {
        /// The event's timestamp.
        timestamp: Timestamp,
        /// The time the caller passed as now.
        now: Timestamp,
        /// The freshness window, in milliseconds.
        max_age_ms: u64,
    },
    /// The timestamp is further in the future than the freshness window.
    FromFuture {
        /// The event's timestamp.
        timestamp: Timestamp,
        /// The time the caller passed as now.
        now: Timestamp,
        /// The freshness window, in milliseconds.
        max_age_ms: u64,
    },
    /// The token was seen before: the post is a replay (or a redelivery of an event that
    /// was already accepted).
    Replayed,
}

impl HookError {
    /// A suggested HTTP status for answering the post that caused this error.
    ///
    /// Bodies that cannot be understood get 400 (413 when too large); posts that are not
    /// authentic or not fresh get 401. A replay gets 200: the event was already accepted,
    /// and answering 200 stops SendCloud from delivering it again (up to 7 times).
    pub fn http_status(&self) -> u16 {
        match self {
            HookError::TooLarge { .. } => 413,
            HookError::Malformed(_) | HookError::Missing(_) | HookError::Invalid { .. } => 400,
            HookError::BadSignature | HookError::Stale { .. } | HookError::FromFuture { .. } => 401,
            HookError::Replayed => 200,
        }
    }
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookError::TooLarge { size, limit } => {
                write!(f, "SMSHook body too large: {size} bytes, limit {limit}")
            }
            HookError::Malformed(reason) => write!(f, "malformed SMSHook body: {reason}"),
            HookError::Missing(field) => write!(f, "SMSHook field {field} is missing"),
            HookError::Invalid { field, reason } => {
                write!(f, "invalid SMSHook field {field}: {reason}")
            }
            HookError::BadSignature => f.write_str("SMSHook signature does not match"),
            HookError::Stale {
                timestamp,
                now,
                max_age_ms,
            } => write!(
                f,
                "stale SMSHook event: timestamp {timestamp} is more than {max_age_ms} ms before {now}"
            ),
            HookError::FromFuture {
                timestamp,
                now,
                max_age_ms,
            } => write!(
                f,
                "SMSHook event from the future: timestamp {timestamp} is more than {max_age_ms} ms after {now}"
            ),
            HookError::Replayed => f.write_str("SMSHook token was already seen (replay)"),
        }
    }
}

impl std::error::Error for HookError {}

fn invalid(field: &'static str, reason: impl Into<String>) -> HookError {
    HookError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A value quoted in an error: at most [`QUOTE_CHARS`] characters, Debug-escaped.
fn quote(value: &str) -> String {
    let mut s: String = value.chars().take(QUOTE_CHARS).collect();
    if value.chars().nth(QUOTE_CHARS).is_some() {
        s.push('…');
    }
    format!("{s:?}")
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/// The result of a template review (`templateVerify` events).
///
/// SendCloud sends `1`, `0` or `-1`; public sources do not spell out the meaning of each,
/// the conventional reading is used here and the numeric code is always available from
/// [`TemplateVerifyResult::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TemplateVerifyResult {
    /// `1`: the template was approved.
    Approved,
    /// `0`: the template is still under review.
    Pending,
    /// `-1`: the template was rejected.
    Rejected,
    /// Any other code, kept as it came.
    Other(i64),
}

impl TemplateVerifyResult {
    /// The result for a numeric code.
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => TemplateVerifyResult::Approved,
            0 => TemplateVerifyResult::Pending,
            -1 => TemplateVerifyResult::Rejected,
            other => TemplateVerifyResult::Other(other),
        }
    }

    /// The numeric code.
    pub fn code(self) -> i64 {
        match self {
            TemplateVerifyResult::Approved => 1,
            TemplateVerifyResult::Pending => 0,
            TemplateVerifyResult::Rejected => -1,
            TemplateVerifyResult::Other(c) => c,
        }
    }
}

/// What an SMSHook event reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookEventKind {
    /// `request` (1): SendCloud accepted a send request.
    Request {
        /// The ids of the messages (`smsIds`), in the order SendCloud gave them.
        sms_ids: Vec<String>,
        /// The recipients (`phones`), in the order SendCloud gave them.
        phones: Vec<String>,
        /// The template (`templateId`), when given and positive.
        template_id: Option<TemplateId>,
        /// The message text (`message`), when given.
        message: Option<String>,
        /// The API user (`smsUser`), when given.
        sms_user: Option<String>,
        /// The label (`labelId`), when given and positive.
        label_id: Option<LabelId>,
    },
    /// `deliver` (2): the message reached the handset.
    Delivered {
        /// The message (`smsId`).
        sms_id: String,
        /// The recipient (`phone`), when given.
        phone: Option<String>,
        /// The template (`templateId`), when given and positive.
        template_id: Option<TemplateId>,
        /// The message text (`message`), when given.
        message: Option<String>,
    },
    /// `workererror` (4): SendCloud could not process the message (status 410 to 460).
    ProcessingFailed {
        /// The message (`smsId`).
        sms_id: String,
        /// The recipient (`phone`), when given.
        phone: Option<String>,
        /// The template (`templateId`), when given and positive.
        template_id: Option<TemplateId>,
        /// Why (`statusCode`); codes outside 410..=460 are kept too.
        status: StatusCode,
        /// SendCloud's explanation (`message`), when given.
        message: Option<String>,
        /// `encodeMessage` as sent (base64 text, not decoded), when given.
        encoded_message: Option<String>,
    },
    /// `delivererror` (5): the carrier could not deliver the message (status 500 to 590).
    DeliveryFailed {
        /// The message (`smsId`).
        sms_id: String,
        /// The recipient (`phone`), when given.
        phone: Option<String>,
        /// The template (`templateId`), when given and positive.
        template_id: Option<TemplateId>,
        /// Why (`statusCode`); codes outside 500..=590 are kept too.
        status: StatusCode,
        /// SendCloud's explanation (`message`), when given.
        message: Option<String>,
    },
    /// `reply` (6): a recipient answered.
    Reply {
        /// Who answered (`phone`).
        phone: String,
        /// What they wrote (`replyContent`); empty when absent.
        content: String,
        /// When (`replyTime`), as sent (usually `yyyy-MM-dd HH:mm:ss`).
        reply_time: Option<String>,
        /// The message answered (`smsId`), when given.
        sms_id: Option<String>,
    },
    /// `templateVerify` (8): a template was reviewed.
    TemplateVerified {
        /// The template (`templateId`).
        template_id: TemplateId,
        /// The outcome.
        result: TemplateVerifyResult,
        /// The reviewer's note (`message`), when given.
        message: Option<String>,
    },
    /// An event this version does not know; its fields are in [`HookEvent::fields`].
    Unknown {
        /// The `event` (or `eventType`) value, as sent.
        event: String,
    },
}

/// One SMSHook event, parsed.
///
/// ```
/// use sendcloud_proto::hook::{HookEvent, HookEventKind};
/// let body = "event=deliver&smsId=1_2_3$13800000000&phone=13800000000&templateId=7\
///             &token=abc&timestamp=1700000000000&signature=00&receiptTime=2024-01-02+03:04:05";
/// let e = HookEvent::parse(None, body.as_bytes())?;
/// assert_eq!(e.event_name(), "deliver");
/// assert_eq!(e.sms_ids(), ["1_2_3$13800000000"]);
/// assert_eq!(e.receipt_time(), Some("2024-01-02 03:04:05"));
/// assert!(matches!(e.kind, HookEventKind::Delivered { .. }));
/// # Ok::<(), sendcloud_proto::hook::HookError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookEvent {
    /// The random token SendCloud signed (`token`).
    pub token: String,
    /// When SendCloud sent the event (`timestamp`, UNIX milliseconds).
    pub timestamp: Timestamp,
    /// The signature as sent (`signature`); see [`HookVerifier`].
    pub signature: String,
    /// What the event reports.
    pub kind: HookEventKind,
    /// Every field as it came (JSON numbers, arrays and objects as their JSON text; JSON
    /// nulls left out), including the ones this version does not know.
    pub fields: BTreeMap<String, String>,
}

/// Field names this module understands; everything else is an unknown field.
const KNOWN_FIELDS: &[&str] = &[
    "token",
    "timestamp",
    "signature",
    "event",
    "eventType",
    "smsId",
    "smsIds",
    "phone",
    "phones",
    "templateId",
    "message",
    "smsUser",
    "labelId",
    "statusCode",
    "encodeMessage",
    "replyContent",
    "replyTime",
    "verifyResult",
    "verify",
    "result",
    "msgCount",
    "outboundTime",
    "receiptTime",
    "msgType",
    "customArgs",
];

/// The canonical event names, by code.
const EVENTS: &[(u8, &str)] = &[
    (1, "request"),
    (2, "deliver"),
    (4, "workererror"),
    (5, "delivererror"),
    (6, "reply"),
    (8, "templateVerify"),
];

fn event_code_of(raw: &str) -> Option<u8> {
    let raw = raw.trim();
    EVENTS
        .iter()
        .find(|(code, name)| raw.eq_ignore_ascii_case(name) || raw == code.to_string())
        .map(|(code, _)| *code)
}

impl HookEvent {
    /// Parses a body, choosing JSON when `content_type` mentions `json` or the body starts
    /// with `{`, and `application/x-www-form-urlencoded` otherwise. Does not verify it:
    /// use [`HookVerifier::verify_and_parse`] for posts from the network.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<HookEvent, HookError> {
        HookEvent::from_fields(decode_fields(content_type, body)?)
    }

    /// Parses an `application/x-www-form-urlencoded` body.
    pub fn parse_form(body: &[u8]) -> Result<HookEvent, HookError> {
        HookEvent::from_fields(form_fields(body))
    }

    /// Parses a JSON object body.
    pub fn parse_json(body: &[u8]) -> Result<HookEvent, HookError> {
        HookEvent::from_fields(json_fields(body)?)
    }

    /// Builds an event from raw fields (name to value, as they came).
    ///
    /// `token`, `timestamp`, `signature` and `event` (or `eventType`) are required, and so
    /// is what identifies each known event: `smsId` (or the first of `smsIds`) for
    /// deliver, workererror and delivererror, `statusCode` for the last two, `phone` for
    /// reply, `templateId` and the result (`verifyResult`, `verify` or `result`) for
    /// templateVerify. Everything else is optional.
    pub fn from_fields(fields: BTreeMap<String, String>) -> Result<HookEvent, HookError> {
        let token = raw_required(&fields, "token")?;
        check_token(token)?;
        let timestamp = parse_timestamp(raw_required(&fields, "timestamp")?)?;
        let signature = raw_required(&fields, "signature")?.to_owned();
        let token = token.to_owned();
        let event = opt(&fields, "event")
            .or_else(|| opt(&fields, "eventType"))
            .ok_or(HookError::Missing("event"))?;
        let kind = match event_code_of(event) {
            Some(1) => HookEventKind::Request {
                sms_ids: list_or_single(&fields, "smsIds", "smsId")?,
                phones: list_or_single(&fields, "phones", "phone")?,
                template_id: opt_template_id(&fields)?,
                message: opt_string(&fields, "message"),
                sms_user: opt_string(&fields, "smsUser"),
                label_id: opt_label_id(&fields)?,
            },
            Some(2) => HookEventKind::Delivered {
                sms_id: required_sms_id(&fields)?,
                phone: single_phone(&fields)?,
                template_id: opt_template_id(&fields)?,
                message: opt_string(&fields, "message"),
            },
            Some(4) => HookEventKind::ProcessingFailed {
                sms_id: required_sms_id(&fields)?,
                phone: single_phone(&fields)?,
                template_id: opt_template_id(&fields)?,
                status: required_status(&fields)?,
                message: opt_string(&fields, "message"),
                encoded_message: opt_string(&fields, "encodeMessage"),
            },
            Some(5) => HookEventKind::DeliveryFailed {
                sms_id: required_sms_id(&fields)?,
                phone: single_phone(&fields)?,
                template_id: opt_template_id(&fields)?,
                status: required_status(&fields)?,
                message: opt_string(&fields, "message"),
            },
            Some(6) => HookEventKind::Reply {
                phone: single_phone(&fields)?.ok_or(HookError::Missing("phone"))?,
                content: fields.get("replyContent").cloned().unwrap_or_default(),
                reply_time: opt_string(&fields, "replyTime"),
                sms_id: first_of(&fields, "smsId", "smsIds")?,
            },
            Some(8) => HookEventKind::TemplateVerified {
                template_id: opt_template_id(&fields)?.ok_or(HookError::Missing("templateId"))?,
                result: verify_result(&fields)?,
                message: opt_string(&fields, "message"),
            },
            _ => HookEventKind::Unknown {
                event: event.to_owned(),
            },
        };
        Ok(HookEvent {
            token,
            timestamp,
            signature,
            kind,
            fields,
        })
    }

    /// The event's canonical name (`request`, `deliver`, `workererror`, `delivererror`,
    /// `reply`, `templateVerify`), or the name as sent for an unknown event.
    pub fn event_name(&self) -> &str {
        match &self.kind {
            HookEventKind::Request { .. } => "request",
            HookEventKind::Delivered { .. } => "deliver",
            HookEventKind::ProcessingFailed { .. } => "workererror",
            HookEventKind::DeliveryFailed { .. } => "delivererror",
            HookEventKind::Reply { .. } => "reply",
            HookEventKind::TemplateVerified { .. } => "templateVerify",
            HookEventKind::Unknown { event } => event,
        }
    }

    /// The event's numeric code (1, 2, 4, 5, 6 or 8); `None` for an unknown event.
    pub fn event_code(&self) -> Option<u8> {
        match &self.kind {
            HookEventKind::Request { .. } => Some(1),
            HookEventKind::Delivered { .. } => Some(2),
            HookEventKind::ProcessingFailed { .. } => Some(4),
            HookEventKind::DeliveryFailed { .. } => Some(5),
            HookEventKind::Reply { .. } => Some(6),
            HookEventKind::TemplateVerified { .. } => Some(8),
            HookEventKind::Unknown { .. } => None,
        }
    }

    /// The smsIds the event is about: all of them for `request`, one for `deliver`,
    /// `workererror`, `delivererror` (and `reply` when it names one), none otherwise.
    pub fn sms_ids(&self) -> Vec<&str> {
        match &self.kind {
            HookEventKind::Request { sms_ids, .. } => sms_ids.iter().map(String::as_str).collect(),
            HookEventKind::Delivered { sms_id, .. }
            | HookEventKind::ProcessingFailed { sms_id, .. }
            | HookEventKind::DeliveryFailed { sms_id, .. } => vec![sms_id.as_str()],
            HookEventKind::Reply { sms_id, .. } => sms_id.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The status code of a `workererror` or `delivererror` event.
    pub fn status(&self) -> Option<StatusCode> {
        match &self.kind {
            HookEventKind::ProcessingFailed { status, .. }
            | HookEventKind::DeliveryFailed { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A raw field, as it came.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The fields this version does not interpret, as they came.
    pub fn unknown_fields(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.fields
            .iter()
            .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many billed messages the send took (`msgCount`), when given as a number.
    pub fn msg_count(&self) -> Option<u32> {
        opt(&self.fields, "msgCount").and_then(|s| s.parse().ok())
    }

    /// When SendCloud handed the message to the carrier (`outboundTime`), as sent
    /// (`yyyy-MM-dd HH:mm:ss`).
    pub fn outbound_time(&self) -> Option<&str> {
        opt(&self.fields, "outboundTime")
    }

    /// When the carrier reported the outcome (`receiptTime`), as sent
    /// (`yyyy-MM-dd HH:mm:ss`).
    pub fn receipt_time(&self) -> Option<&str> {
        opt(&self.fields, "receiptTime")
    }

    /// The message type (`msgType`), when given and known.
    pub fn msg_type(&self) -> Option<MsgType> {
        opt(&self.fields, "msgType").and_then(MsgType::from_code)
    }

    /// The caller's custom arguments (`customArgs`), as sent (often JSON text).
    pub fn custom_args(&self) -> Option<&str> {
        opt(&self.fields, "customArgs")
    }

    /// Adds `token`, `timestamp` and a signature under `app_key` to `fields`, for building
    /// posts in sandboxes and tests. Fields named `token`, `timestamp` or `signature` in
    /// `fields` are dropped; the others keep their order, and the three come last.
    pub fn sign_form<I, K, V>(
        app_key: &Secret,
        token: &str,
        timestamp: Timestamp,
        fields: I,
    ) -> Vec<(String, String)>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let ts = timestamp.as_millis().to_string();
        let signature = hook_signature(app_key, &ts, token);
        let mut out: Vec<(String, String)> = fields
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_ref(), "token" | "timestamp" | "signature"))
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        out.push(("token".to_owned(), token.to_owned()));
        out.push(("timestamp".to_owned(), ts));
        out.push(("signature".to_owned(), signature));
        out
    }

    /// [`HookEvent::sign_form`] as an `application/x-www-form-urlencoded` body.
    ///
    /// ```
    /// use sendcloud_proto::{hook::HookEvent, Secret, Timestamp};
    /// let body = HookEvent::signed_form_body(&Secret::new("appkey"), "tok",
    ///     Timestamp(1_700_000_000_000), [("event", "deliver"), ("smsId", "a$1")]);
    /// assert!(body.starts_with("event=deliver&smsId=a%241&token=tok&timestamp=1700000000000&signature="));
    /// ```
    pub fn signed_form_body<I, K, V>(
        app_key: &Secret,
        token: &str,
        timestamp: Timestamp,
        fields: I,
    ) -> String
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let pairs = HookEvent::sign_form(app_key, token, timestamp, fields);
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            ser.append_pair(k, v);
        }
        ser.finish()
    }

    /// [`HookEvent::sign_form`] as a JSON object body (every value a JSON string, the
    /// timestamp a JSON number).
    pub fn signed_json_body<I, K, V>(
        app_key: &Secret,
        token: &str,
        timestamp: Timestamp,
        fields: I,
    ) -> String
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let pairs = HookEvent::sign_form(app_key, token, timestamp, fields);
        let mut map = serde_json::Map::new();
        for (k, v) in pairs {
            let value = if k == "timestamp" {
                Value::from(timestamp.as_millis())
            } else {
                Value::String(v)
            };
            map.insert(k, value);
        }
        Value::Object(map).to_string()
    }
}

// --- raw decoding ----------------------------------------------------------------------

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

fn looks_like_json(content_type: Option<&str>, body: &[u8]) -> bool {
    let says_json = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let starts_brace = strip_bom(body)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    says_json || starts_brace
}

fn decode_fields(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<BTreeMap<String, String>, HookError> {
    if looks_like_json(content_type, body) {
        json_fields(body)
    } else {
        Ok(form_fields(body))
    }
}

fn form_fields(body: &[u8]) -> BTreeMap<String, String> {
    Form::decode(strip_bom(body))
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn json_fields(body: &[u8]) -> Result<BTreeMap<String, String>, HookError> {
    let value: Value = serde_json::from_slice(strip_bom(body))
        .map_err(|e| HookError::Malformed(format!("not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(HookError::Malformed("JSON body is not an object".into()));
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| json_text(v).map(|t| (k, t)))
        .collect())
}

/// A JSON value as field text: strings as they are, null as absent, the rest as JSON.
fn json_text(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

// --- field helpers ---------------------------------------------------------------------

/// A raw value, required and non-empty (not trimmed: these are signed as they are).
fn raw_required<'a>(
    f: &'a BTreeMap<String, String>,
    name: &'static str,
) -> Result<&'a str, HookError> {
    match f.get(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(HookError::Missing(name)),
    }
}

/// A trimmed value; `None` when absent or blank.
fn opt<'a>(f: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    f.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn opt_string(f: &BTreeMap<String, String>, name: &str) -> Option<String> {
    opt(f, name).map(str::to_owned)
}

fn check_token(token: &str) -> Result<(), HookError> {
    let n = token.chars().count();
    if n == 0 {
        return Err(HookError::Missing("token"));
    }
    if n > MAX_TOKEN_CHARS {
        return Err(invalid(
            "token",
            format!("must be at most {MAX_TOKEN_CHARS} characters, has {n}"),
        ));
    }
    Ok(())
}

fn parse_timestamp(raw: &str) -> Result<Timestamp, HookError> {
    if raw.is_empty() || raw.len() > 20 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "timestamp",
            format!("must be UNIX milliseconds, got {}", quote(raw)),
        ));
    }
    raw.parse::<u64>()
        .map(Timestamp)
        .map_err(|_| invalid("timestamp", format!("out of range: {}", quote(raw))))
}

/// An integer that may come as a JSON number or as text, e.g. `"410"` or `410`.
fn parse_int(field: &'static str, raw: &str) -> Result<i64, HookError> {
    let t = raw.trim();
    let t = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t)
        .trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n);
    }
    // JSON numbers such as `410.0`: accept when integral.
    if let Some(int_part) = t.strip_suffix(".0") {
        if let Ok(n) = int_part.parse::<i64>() {
            return Ok(n);
        }
    }
    Err(invalid(
        field,
        format!("must be an integer, got {}", quote(raw)),
    ))
}

/// An optional positive id; `0` (which SendCloud sends for "none") counts as absent.
fn opt_positive(
    f: &BTreeMap<String, String>,
    name: &'static str,
) -> Result<Option<u64>, HookError> {
    let Some(raw) = opt(f, name) else {
        return Ok(None);
    };
    let n = parse_int(name, raw)?;
    match n {
        0 => Ok(None),
        n if n > 0 => Ok(Some(n.unsigned_abs())),
        _ => Err(invalid(name, format!("must be positive, got {n}"))),
    }
}

fn required_status(f: &BTreeMap<String, String>) -> Result<StatusCode, HookError> {
    let raw = opt(f, "statusCode").ok_or(HookError::Missing("statusCode"))?;
    Ok(StatusCode::from_code(parse_int("statusCode", raw)?))
}

fn verify_result(f: &BTreeMap<String, String>) -> Result<TemplateVerifyResult, HookError> {
    for name in ["verifyResult", "verify", "result"] {
        if let Some(raw) = opt(f, name) {
            return Ok(TemplateVerifyResult::from_code(parse_int(name, raw)?));
        }
    }
    Err(HookError::Missing("verifyResult"))
}

/// A list field: a JSON array, a JSON array inside a string, or text separated by commas
/// or semicolons. Blank items are dropped.
fn parse_list(field: &'static str, raw: &str) -> Result<Vec<String>, HookError> {
    let t = raw.trim();
    if t.starts_with('[') {
        let items: Vec<Value> = serde_json::from_str(t)
            .map_err(|e| invalid(field, format!("not a JSON array: {e}")))?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let s = match item {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Null => continue,
                other => {
                    return Err(invalid(
                        field,
                        format!(
                            "items must be strings or numbers, got {}",
                            quote(&other.to_string())
                        ),
                    ))
                }
            };
            let s = s.trim();
            if !s.is_empty() {
                out.push(s.to_owned());
            }
        }
        return Ok(out);
    }
    Ok(t.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The list `plural`, or else the single value `singular` as a one-item list.
fn list_or_single(
    f: &BTreeMap<String, String>,
    plural: &'static str,
    singular: &'static str,
) -> Result<Vec<String>, HookError> {
    if let Some(raw) = opt(f, plural) {
        return parse_list(plural, raw);
    }
    match opt(f, singular) {
        Some(raw) => parse_list(singular, raw),
        None => Ok(Vec::new()),
    }
}

/// The value `singular`, or else the first item of the list `plural`.
fn first_of(
    f: &BTreeMap<String, String>,
    singular: &'static str,
    plural: &'static str,
) -> Result<Option<String>, HookError> {
    if let Some(v) = opt(f, singular) {
        // Some posts carry a one-item list even in the singular field.
        if v.starts_with('[') {
            return Ok(parse_list(singular, v)?.into_iter().next());
        }
        return Ok(Some(v.to_owned()));
    }
    match opt(f, plural) {
        Some(raw) => Ok(parse_list(plural, raw)?.into_iter().next()),
        None => Ok(None),
    }
}

fn required_sms_id(f: &BTreeMap<String, String>) -> Result<String, HookError> {
    first_of(f, "smsId", "smsIds")?.ok_or(HookError::Missing("smsId"))
}

fn single_phone(f: &BTreeMap<String, String>) -> Result<Option<String>, HookError> {
    first_of(f, "phone", "phones")
}

fn opt_template_id(f: &BTreeMap<String, String>) -> Result<Option<TemplateId>, HookError> {
    opt_positive(f, "templateId")?
        .map(|n| TemplateId::new(n).map_err(|e| invalid("templateId", e.rule.into_owned())))
        .transpose()
}

fn opt_label_id(f: &BTreeMap<String, String>) -> Result<Option<LabelId>, HookError> {
    opt_positive(f, "labelId")?
        .map(|n| LabelId::new(n).map_err(|e| invalid("labelId", e.rule.into_owned())))
        .transpose()
}

// ---------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------

/// Remembers the tokens of accepted events, to refuse replays.
pub trait ReplayGuard {
    /// Records `token` (of an event sent at `timestamp`, received at `now`) and returns
    /// `true` if it was not seen before, `false` if it is a replay.
    fn check_and_remember(&mut self, token: &str, timestamp: Timestamp, now: Timestamp) -> bool;

    /// Forgets `token`, so that a redelivery of the same event is accepted again. Call it
    /// when handling an accepted event failed and SendCloud should retry it.
    fn forget(&mut self, token: &str) {
        let _ = token;
    }
}

impl<G: ReplayGuard + ?Sized> ReplayGuard for &mut G {
    fn check_and_remember(&mut self, token: &str, timestamp: Timestamp, now: Timestamp) -> bool {
        (**self).check_and_remember(token, timestamp, now)
    }

    fn forget(&mut self, token: &str) {
        (**self).forget(token)
    }
}

/// A bounded, in-memory [`ReplayGuard`].
///
/// It forgets a token once its event's timestamp is older than the window (such events
/// are refused as stale anyway, so use a window at least as long as the verifier's; see
/// [`HookVerifier::replay_guard`]), and when full it forgets the token with the oldest
/// timestamp first. Capacity should exceed the number of events expected within one
/// window, or an evicted token could be replayed. It reads no clock: time is the `now`
/// passed in.
///
/// ```
/// use sendcloud_proto::hook::{MemoryReplayGuard, ReplayGuard};
/// use sendcloud_proto::Timestamp;
/// let mut g = MemoryReplayGuard::new(2);
/// let now = Timestamp(1_000_000);
/// assert!(g.check_and_remember("a", now, now));
/// assert!(!g.check_and_remember("a", now, now));
/// ```
#[derive(Clone, Debug)]
pub struct MemoryReplayGuard {
    capacity: usize,
    window_ms: u64,
    by_token: BTreeMap<String, u64>,
    by_time: BTreeSet<(u64, String)>,
}

impl MemoryReplayGuard {
    /// A guard remembering at most `capacity` tokens (at least 1) for
    /// [`DEFAULT_MAX_AGE_MS`].
    pub fn new(capacity: usize) -> Self {
        MemoryReplayGuard {
            capacity: capacity.max(1),
            window_ms: DEFAULT_MAX_AGE_MS,
            by_token: BTreeMap::new(),
            by_time: BTreeSet::new(),
        }
    }

    /// Remembers tokens until their event's timestamp is `window_ms` old.
    pub fn with_window_ms(mut self, window_ms: u64) -> Self {
        self.window_ms = window_ms;
        self
    }

    /// The most tokens remembered.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many tokens are remembered now.
    pub fn len(&self) -> usize {
        self.by_token.len()
    }

    /// Whether no token is remembered.
    pub fn is_empty(&self) -> bool {
        self.by_token.is_empty()
    }

    /// Forgets the tokens of events older than the window at `now`.
    pub fn prune(&mut self, now: Timestamp) {
        while let Some((ts, _)) = self.by_time.first() {
            if ts.saturating_add(self.window_ms) >= now.as_millis() {
                break;
            }
            if let Some((_, token)) = self.by_time.pop_first() {
                self.by_token.remove(&token);
            }
        }
    }

    fn evict_oldest(&mut self) {
        if let Some((_, token)) = self.by_time.pop_first() {
            self.by_token.remove(&token);
        }
    }
}

impl ReplayGuard for MemoryReplayGuard {
    fn check_and_remember(&mut self, token: &str, timestamp: Timestamp, now: Timestamp) -> bool {
        self.prune(now);
        if self.by_token.contains_key(token) {
            return false;
        }
        while self.by_token.len() >= self.capacity {
            self.evict_oldest();
        }
        self.by_token
            .insert(token.to_owned(), timestamp.as_millis());
        self.by_time
            .insert((timestamp.as_millis(), token.to_owned()));
        true
    }

    fn forget(&mut self, token: &str) {
        if let Some(ts) = self.by_token.remove(token) {
            self.by_time.remove(&(ts, token.to_owned()));
        }
    }
}

/// Checks that SMSHook posts are authentic, fresh, small enough and not replayed.
///
/// The signature must be the hex of HMAC-SHA256 over `timestamp` + `token` under one of
/// the app keys (several are accepted, so a key can be rotated without losing events);
/// it is compared in constant time and accepted in either case. The timestamp must be
/// within [`max_age_ms`](HookVerifier::max_age_ms) of `now`, in either direction. Only
/// a post that passes all that is shown to the [`ReplayGuard`], so forged posts cannot
/// fill it.
///
/// ```
/// use sendcloud_proto::hook::{HookError, HookEvent, HookEventKind, HookVerifier};
/// use sendcloud_proto::{Secret, StatusCode, Timestamp};
///
/// let verifier = HookVerifier::new(vec![Secret::new("new-key"), Secret::new("old-key")])?
///     .with_max_age_ms(60_000);
/// let mut seen = verifier.replay_guard(10_000);
///
/// // What SendCloud would post (signed here with the old key).
/// let sent = Timestamp(1_700_000_000_000);
/// let body = HookEvent::signed_form_body(&Secret::new("old-key"),
///     "nyFltYEluRVvYezFHJW1st2ewb71RVcVDiNN6GqvRnWtgDDDDD", sent,
///     [("event", "delivererror"), ("smsId", "1700000000000_1_1_1_abc$13800000000"),
///      ("phone", "13800000000"), ("statusCode", "580")]);
///
/// let now = sent.offset_by(2_000);
/// let content_type = Some("application/x-www-form-urlencoded");
/// let event = verifier.verify_and_parse(content_type, body.as_bytes(), now, &mut seen)?;
/// assert_eq!(event.status(), Some(StatusCode::HookPoweredOff));
///
/// // The same post again is a replay; a forged key is refused; late posts are stale.
/// assert_eq!(verifier.verify_and_parse(content_type, body.as_bytes(), now, &mut seen),
///            Err(HookError::Replayed));
/// let forged = HookEvent::signed_form_body(&Secret::new("guess"), "t", sent, [("event", "deliver")]);
/// assert_eq!(verifier.verify_and_parse(None, forged.as_bytes(), now, &mut seen),
///            Err(HookError::BadSignature));
/// assert!(matches!(
///     verifier.verify_and_parse(None, body.as_bytes(), sent.offset_by(61_000), &mut seen),
///     Err(HookError::Stale { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct HookVerifier {
    keys: Vec<Secret>,
    max_age_ms: u64,
    max_body_bytes: usize,
}

impl fmt::Debug for HookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookVerifier")
            .field("keys", &format_args!("[{} redacted]", self.keys.len()))
            .field("max_age_ms", &self.max_age_ms)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl HookVerifier {
    /// A verifier accepting signatures made with any of `app_keys` (the SMSHook app keys,
    /// not the SMS key). There must be at least one, and none may be empty.
    pub fn new(app_keys: Vec<Secret>) -> Result<Self, ValidationError> {
        if app_keys.is_empty() {
            return Err(ValidationError::new(
                "appKey",
                "at least one app key is required",
            ));
        }
        if app_keys.iter().any(|k| k.expose().is_empty()) {
            return Err(ValidationError::new("appKey", "must not be empty"));
        }
        Ok(HookVerifier {
            keys: app_keys,
            max_age_ms: DEFAULT_MAX_AGE_MS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        })
    }

    /// Sets the freshness window (default [`DEFAULT_MAX_AGE_MS`]).
    pub fn with_max_age_ms(mut self, max_age_ms: u64) -> Self {
        self.max_age_ms = max_age_ms;
        self
    }

    /// Sets the largest body accepted (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// The freshness window, in milliseconds.
    pub fn max_age_ms(&self) -> u64 {
        self.max_age_ms
    }

    /// The largest body accepted, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// How many app keys are accepted.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// A [`MemoryReplayGuard`] of `capacity` tokens whose window matches this verifier's.
    pub fn replay_guard(&self, capacity: usize) -> MemoryReplayGuard {
        MemoryReplayGuard::new(capacity).with_window_ms(self.max_age_ms)
    }

    /// Checks only the signature of `timestamp` + `token` (both exactly as sent). The
    /// token must have 1 to [`MAX_TOKEN_CHARS`] characters.
    pub fn verify_signature(
        &self,
        timestamp: &str,
        token: &str,
        signature: &str,
    ) -> Result<(), HookError> {
        check_token(token)?;
        if timestamp.is_empty() {
            return Err(HookError::Missing("timestamp"));
        }
        if signature.len() != SIGNATURE_HEX_LEN || !signature.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(HookError::BadSignature);
        }
        let given = signature.to_ascii_lowercase();
        // Every key is tried, so the time taken does not tell which one matched.
        let mut matched = false;
        for key in &self.keys {
            let expected = hook_signature(key, timestamp, token);
            matched |= constant_time_eq(expected.as_bytes(), given.as_bytes());
        }
        if matched {
            Ok(())
        } else {
            Err(HookError::BadSignature)
        }
    }

    /// Checks only that `timestamp` is within the freshness window around `now`.
    pub fn check_freshness(&self, timestamp: Timestamp, now: Timestamp) -> Result<(), HookError> {
        let (ts, n) = (timestamp.as_millis(), now.as_millis());
        if n > ts && n - ts > self.max_age_ms {
            return Err(HookError::Stale {
                timestamp,
                now,
                max_age_ms: self.max_age_ms,
            });
        }
        if ts > n && ts - n > self.max_age_ms {
            return Err(HookError::FromFuture {
                timestamp,
                now,
                max_age_ms: self.max_age_ms,
            });
        }
        Ok(())
    }

    /// Verifies a parsed event: signature, freshness at `now`, then (only if both pass)
    /// that `replay` has not seen its token.
    ///
    /// The signature is checked over the `timestamp` field exactly as sent when
    /// [`HookEvent::fields`] holds it (and it agrees with [`HookEvent::timestamp`]).
    pub fn verify<R: ReplayGuard + ?Sized>(
        &self,
        event: &HookEvent,
        now: Timestamp,
        replay: &mut R,
    ) -> Result<(), HookError> {
        let decimal = event.timestamp.as_millis().to_string();
        let raw_ts = match event.fields.get("timestamp") {
            Some(raw) if parse_timestamp(raw).ok() == Some(event.timestamp) => raw.as_str(),
            _ => decimal.as_str(),
        };
        self.verify_signature(raw_ts, &event.token, &event.signature)?;
        self.check_freshness(event.timestamp, now)?;
        if !replay.check_and_remember(&event.token, event.timestamp, now) {
            return Err(HookError::Replayed);
        }
        Ok(())
    }

    /// Checks the size of a posted body, decodes it (see [`HookEvent::parse`]), verifies
    /// its signature and freshness, parses the event, and finally checks for a replay.
    /// Authenticity is checked before the event's own fields, so an unsigned post is
    /// refused as such whatever it contains.
    pub fn verify_and_parse<R: ReplayGuard + ?Sized>(
        &self,
        content_type: Option<&str>,
        body: &[u8],
        now: Timestamp,
        replay: &mut R,
    ) -> Result<HookEvent, HookError> {
        if body.len() > self.max_body_bytes {
            return Err(HookError::TooLarge {
                size: body.len(),
                limit: self.max_body_bytes,
            });
        }
        let fields = decode_fields(content_type, body)?;
        let token = raw_required(&fields, "token")?;
        let raw_ts = raw_required(&fields, "timestamp")?;
        let signature = raw_required(&fields, "signature")?;
        self.verify_signature(raw_ts, token, signature)?;
        let timestamp = parse_timestamp(raw_ts)?;
        self.check_freshness(timestamp, now)?;
        let event = HookEvent::from_fields(fields)?;
        if !replay.check_and_remember(&event.token, event.timestamp, now) {
            return Err(HookError::Replayed);
        }
        Ok(event)
    }
}

// ---------------------------------------------------------------------------------------
// Delivery tracking
// ---------------------------------------------------------------------------------------

/// Where a message stands, as far as SMSHook events tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryState {
    /// SendCloud accepted the request (`request`).
    Requested,
    /// The message reached the handset (`deliver`).
    Delivered,
    /// SendCloud could not process it (`workererror`).
    ProcessingFailed(StatusCode),
    /// The carrier could not deliver it (`delivererror`).
    DeliveryFailed(StatusCode),
}

impl DeliveryState {
    /// Whether no further event is expected (delivered or failed).
    pub fn is_final(self) -> bool {
        !matches!(self, DeliveryState::Requested)
    }

    /// The failure's status code, for the failed states.
    pub fn status_code(self) -> Option<StatusCode> {
        match self {
            DeliveryState::ProcessingFailed(s) | DeliveryState::DeliveryFailed(s) => Some(s),
            _ => None,
        }
    }

    fn rank(self) -> u8 {
        u8::from(self.is_final())
    }
}

/// The latest known status of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryStatus {
    /// Where the message stands.
    pub state: DeliveryState,
    /// The timestamp of the event that set this status.
    pub timestamp: Timestamp,
    /// The token of that event.
    pub token: String,
    /// The recipient, when the event named one.
    pub phone: Option<String>,
    /// The template, when the event named one.
    pub template_id: Option<TemplateId>,
    /// The event's message text, when given.
    pub message: Option<String>,
    /// The carrier's receipt time (`receiptTime`), as sent, when given.
    pub receipt_time: Option<String>,
}

/// What [`DeliveryTracker::apply`] did with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Applied {
    /// The status of at least one smsId changed.
    Updated,
    /// The event was seen before (same token, or same smsId, event and timestamp).
    Duplicate,
    /// The event is older than what is already known, and was not applied.
    Stale,
    /// The event is not about a message's delivery (reply, templateVerify, unknown
    /// events, or a request naming no smsId).
    Ignored,
}

/// How many event identities are remembered per smsId for spotting duplicates.
const SEEN_PER_ID: usize = 16;

#[derive(Clone, Debug)]
struct Entry {
    status: DeliveryStatus,
    seen: VecDeque<(String, &'static str, u64)>,
}

/// A sans-IO fold of SMSHook events into the latest status of every smsId.
///
/// Events may arrive twice and out of order. A duplicate (the same token again, or the
/// same smsId, event and timestamp) is ignored. A `request` never replaces a final state
/// (delivered or failed), whatever the timestamps say; otherwise the event with the later
/// timestamp wins, and two final events with the same timestamp are ordered by token, so
/// the outcome does not depend on the order of arrival.
///
/// ```
/// use sendcloud_proto::hook::{Applied, DeliveryState, DeliveryTracker, HookEvent};
/// use sendcloud_proto::{Secret, Timestamp};
/// let key = Secret::new("k");
/// let ev = |token: &str, ms: u64, event: &str| {
///     let body = HookEvent::signed_form_body(&key, token, Timestamp(ms),
///         [("event", event), ("smsId", "id-1"), ("statusCode", "500")]);
///     HookEvent::parse(None, body.as_bytes()).unwrap()
/// };
/// let mut t = DeliveryTracker::new();
/// assert_eq!(t.apply(&ev("a", 2_000, "deliver")), Applied::Updated);
/// assert_eq!(t.apply(&ev("a", 2_000, "deliver")), Applied::Duplicate);
/// assert_eq!(t.apply(&ev("b", 1_000, "delivererror")), Applied::Stale);
/// assert_eq!(t.status("id-1").unwrap().state, DeliveryState::Delivered);
/// ```
#[derive(Clone, Debug, Default)]
pub struct DeliveryTracker {
    entries: BTreeMap<String, Entry>,
}

impl DeliveryTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        DeliveryTracker::default()
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: &HookEvent) -> Applied {
        let (state, phones, template_id, message): (_, Vec<&str>, _, _) = match &event.kind {
            HookEventKind::Request {
                phones,
                template_id,
                message,
                ..
            } => (
                DeliveryState::Requested,
                phones.iter().map(String::as_str).collect(),
                *template_id,
                message,
            ),
            HookEventKind::Delivered {
                phone,
                template_id,
                message,
                ..
            } => (
                DeliveryState::Delivered,
                phone.iter().map(String::as_str).collect(),
                *template_id,
                message,
            ),
            HookEventKind::ProcessingFailed {
                phone,
                template_id,
                status,
                message,
                ..
            } => (
                DeliveryState::ProcessingFailed(*status),
                phone.iter().map(String::as_str).collect(),
                *template_id,
                message,
            ),
            HookEventKind::DeliveryFailed {
                phone,
                template_id,
                status,
                message,
                ..
            } => (
                DeliveryState::DeliveryFailed(*status),
                phone.iter().map(String::as_str).collect(),
                *template_id,
                message,
            ),
            _ => return Applied::Ignored,
        };
        let ids = event.sms_ids();
        if ids.is_empty() {
            return Applied::Ignored;
        }
        // Phones pair with smsIds by position when the lists have the same length.
        let phone_for = |i: usize| -> Option<String> {
            if phones.len() == ids.len() {
                phones.get(i).map(|p| (*p).to_owned())
            } else if phones.len() == 1 {
                Some(phones[0].to_owned())
            } else {
                None
            }
        };
        let name: &'static str = match state {
            DeliveryState::Requested => "request",
            DeliveryState::Delivered => "deliver",
            DeliveryState::ProcessingFailed(_) => "workererror",
            DeliveryState::DeliveryFailed(_) => "delivererror",
        };
        let ts = event.timestamp.as_millis();
        let (mut updated, mut stale) = (false, false);
        for (i, id) in ids.iter().enumerate() {
            let new_status = DeliveryStatus {
                state,
                timestamp: event.timestamp,
                token: event.token.clone(),
                phone: phone_for(i),
                template_id,
                message: message.clone(),
                receipt_time: event.receipt_time().map(str::to_owned),
            };
            match self.entries.get_mut(*id) {
                None => {
                    let mut seen = VecDeque::with_capacity(4);
                    seen.push_back((event.token.clone(), name, ts));
                    self.entries.insert(
                        (*id).to_owned(),
                        Entry {
                            status: new_status,
                            seen,
                        },
                    );
                    updated = true;
                }
                Some(entry) => {
                    let duplicate = entry
                        .seen
                        .iter()
                        .any(|(tok, ev, t)| *tok == event.token || (*ev == name && *t == ts));
                    if duplicate {
                        continue;
                    }
                    if entry.seen.len() >= SEEN_PER_ID {
                        entry.seen.pop_front();
                    }
                    entry.seen.push_back((event.token.clone(), name, ts));
                    let cur = &entry.status;
                    let newer = (state.rank(), event.timestamp, event.token.as_str())
                        > (cur.state.rank(), cur.timestamp, cur.token.as_str());
                    if newer {
                        entry.status = new_status;
                        updated = true;
                    } else {
                        stale = true;
                    }
                }
            }
        }
        if updated {
            Applied::Updated
        } else if stale {
            Applied::Stale
        } else {
            Applied::Duplicate
        }
    }

    /// The latest status of `sms_id`.
    pub fn status(&self, sms_id: &str) -> Option<&DeliveryStatus> {
        self.entries.get(sms_id).map(|e| &e.status)
    }

    /// Every tracked smsId with its status, in smsId order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &DeliveryStatus)> + '_ {
        self.entries.iter().map(|(k, e)| (k.as_str(), &e.status))
    }

    /// How many smsIds are tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no smsId is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Stops tracking `sms_id` and returns its last status.
    pub fn remove(&mut self, sms_id: &str) -> Option<DeliveryStatus> {
        self.entries.remove(sms_id).map(|e| e.status)
    }

    /// Stops tracking every smsId whose status was set before `cutoff`, to bound memory.
    pub fn forget_before(&mut self, cutoff: Timestamp) {
        self.entries.retain(|_, e| e.status.timestamp >= cutoff);
    }
}
