//! SMSHook events: their kinds, and how a post decodes into a typed [`HookEvent`].

use std::collections::BTreeMap;

use super::error::HookError;
use super::fields::{
    check_token, decode_fields, first_of, form_fields, json_fields, list_or_single, opt,
    opt_label_id, opt_string, opt_template_id, parse_int, parse_timestamp, raw_required,
    required_sms_id, required_status, single_phone,
};
use crate::status::StatusCode;
use crate::values::{LabelId, MsgType, TemplateId, Timestamp};

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
    /// The signature as sent (`signature`); see [`HookVerifier`](super::HookVerifier).
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
    /// use [`HookVerifier::verify_and_parse`](super::HookVerifier::verify_and_parse) for posts from the network.
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
}

fn verify_result(f: &BTreeMap<String, String>) -> Result<TemplateVerifyResult, HookError> {
    for name in ["verifyResult", "verify", "result"] {
        if let Some(raw) = opt(f, name) {
            return Ok(TemplateVerifyResult::from_code(parse_int(name, raw)?));
        }
    }
    Err(HookError::Missing("verifyResult"))
}
