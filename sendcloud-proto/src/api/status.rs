//! `status/query`: what became of sent messages, by number and/or smsId, over a day range.
//!
//! Parameters (SendCloud's docs, `sources/sms/sms_status.md`): `phones` and `smsIds`
//! (`;`-separated, at most 100 in all), `days` or `startDate` + `endDate` (`yyyy-MM-dd`,
//! at most 30 days), `msgTypeStr` (0 SMS, 1 MMS, 2 international, 3 voice), `templateId`,
//! `templateName`, `start` and `limit` (at most 100). The answer is
//! `info = {"voList": [...], "voListSize": n, "total": "103"}`.

use super::names;
use http::Method;
use serde_json::Value;

use super::lenient::{field, info_object, list, opt_u64, text};
use super::query::{check_text, Paging, Period, ReportMsgType};
use crate::delivery::DeliveryState;
use crate::endpoint::Endpoint;
use crate::error::{Error, ValidationError};
use crate::form::Form;
use crate::phone::Phone;
use crate::response::Envelope;
use crate::status::StatusCode;
use crate::values::TemplateId;

/// Most numbers and smsIds one status query names, together.
pub const MAX_STATUS_IDS: usize = 100;
/// Most days one status query covers.
pub const MAX_STATUS_DAYS: u32 = 30;
/// Most characters of a template name filter.
pub const MAX_TEMPLATE_NAME_FILTER_CHARS: usize = 100;

/// A delivery status query (`POST status/query`).
///
/// ```
/// use sendcloud_proto::{Period, Phone, StatusQuery};
/// let q = StatusQuery::new(Period::last_days(7)?)?
///     .with_phones([Phone::parse("13800000000")?, Phone::parse("13800000001")?])?
///     .with_sms_ids(["1700000000000_1_1_1_abc$13800000000"])?;
/// assert_eq!(q.phones().len(), 2);
/// assert!(StatusQuery::new(Period::last_days(31)?).is_err());
/// # Ok::<(), sendcloud_proto::ValidationError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusQuery {
    period: Period,
    phones: Vec<Phone>,
    sms_ids: Vec<String>,
    msg_type: Option<ReportMsgType>,
    template_id: Option<TemplateId>,
    template_name: Option<String>,
    paging: Option<Paging>,
}

impl StatusQuery {
    /// A query of every message in `period` (at most 30 days).
    pub fn new(period: Period) -> Result<StatusQuery, ValidationError> {
        period.check_max(MAX_STATUS_DAYS)?;
        Ok(StatusQuery {
            period,
            phones: Vec::new(),
            sms_ids: Vec::new(),
            msg_type: None,
            template_id: None,
            template_name: None,
            paging: None,
        })
    }

    fn check_count(&self, more: usize) -> Result<(), ValidationError> {
        let n = self.phones.len() + self.sms_ids.len() + more;
        if n > MAX_STATUS_IDS {
            return Err(ValidationError::new(
                "phones",
                format!("a status query names at most {MAX_STATUS_IDS} numbers and smsIds in all, not {n}"),
            ));
        }
        Ok(())
    }

    /// Only messages to these numbers (added to any given before; a number given twice
    /// counts once).
    pub fn with_phones(
        mut self,
        phones: impl IntoIterator<Item = Phone>,
    ) -> Result<StatusQuery, ValidationError> {
        let mut new: Vec<Phone> = Vec::new();
        for p in phones {
            if !self.phones.contains(&p) && !new.contains(&p) {
                new.push(p);
            }
        }
        self.check_count(new.len())?;
        self.phones.extend(new);
        Ok(self)
    }

    /// Only these messages (added to any given before). An smsId may not be empty or
    /// hold `;` or `,`.
    pub fn with_sms_ids<S: AsRef<str>>(
        mut self,
        ids: impl IntoIterator<Item = S>,
    ) -> Result<StatusQuery, ValidationError> {
        let mut new: Vec<String> = Vec::new();
        for id in ids {
            let id = id.as_ref().trim();
            if id.is_empty() || id.contains([';', ',']) || id.chars().any(char::is_whitespace) {
                return Err(ValidationError::new(
                    "smsIds",
                    "each smsId must be non-empty, without spaces, ';' or ','",
                ));
            }
            if !self.sms_ids.iter().any(|x| x == id) && !new.iter().any(|x| x == id) {
                new.push(id.to_owned());
            }
        }
        self.check_count(new.len())?;
        self.sms_ids.extend(new);
        Ok(self)
    }

    /// Only messages of this type.
    pub fn with_msg_type(mut self, msg_type: ReportMsgType) -> StatusQuery {
        self.msg_type = Some(msg_type);
        self
    }

    /// Only messages of this template.
    pub fn with_template(mut self, id: TemplateId) -> StatusQuery {
        self.template_id = Some(id);
        self
    }

    /// Only messages of the template with this name.
    pub fn with_template_name(mut self, name: &str) -> Result<StatusQuery, ValidationError> {
        self.template_name = Some(check_text(
            "templateName",
            name,
            MAX_TEMPLATE_NAME_FILTER_CHARS,
        )?);
        Ok(self)
    }

    /// Which page of the answer to fetch.
    pub fn with_paging(mut self, paging: Paging) -> StatusQuery {
        self.paging = Some(paging);
        self
    }

    /// The period.
    pub fn period(&self) -> Period {
        self.period
    }
    /// The numbers.
    pub fn phones(&self) -> &[Phone] {
        &self.phones
    }
    /// The smsIds.
    pub fn sms_ids(&self) -> &[String] {
        &self.sms_ids
    }
    /// The paging, if set.
    pub fn paging(&self) -> Option<Paging> {
        self.paging
    }
}

impl Endpoint for StatusQuery {
    const PATH: &'static str = "status/query";
    const METHOD: Method = Method::POST;
    const SAFE_TO_REPEAT: bool = true;
    type Output = StatusPage;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        self.period.write(form);
        if !self.phones.is_empty() {
            let joined: Vec<&str> = self.phones.iter().map(Phone::as_str).collect();
            form.set(names::PHONES, joined.join(";"));
        }
        if !self.sms_ids.is_empty() {
            form.set(names::SMS_IDS, self.sms_ids.join(";"));
        }
        if let Some(t) = self.msg_type {
            form.set(names::MSG_TYPE_STR, t.code().to_string());
        }
        if let Some(id) = self.template_id {
            form.set(names::TEMPLATE_ID, id.to_string());
        }
        if let Some(name) = &self.template_name {
            form.set(names::TEMPLATE_NAME, name.clone());
        }
        if let Some(p) = self.paging {
            p.write(form);
        }
    }

    fn parse(envelope: Envelope<'_>) -> Result<StatusPage, Error> {
        let info = info_object(envelope.info)?;
        let records: Vec<StatusRecord> = list(&info, &["voList", "list", "dataList"])
            .into_iter()
            .map(StatusRecord::from_value)
            .collect();
        let total =
            opt_u64(&info, &["total", "voListSize", "count"]).unwrap_or(records.len() as u64);
        Ok(StatusPage { total, records })
    }
}

/// One page of a status query's answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusPage {
    /// How many messages match the query in all (more than on this page when paged).
    pub total: u64,
    /// The messages on this page.
    pub records: Vec<StatusRecord>,
}

/// One message in a status query's answer. Fields missing from the answer are empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusRecord {
    /// The smsId (opaque).
    pub sms_id: String,
    /// The recipient (`receiver`).
    pub receiver: String,
    /// The message type as SendCloud words it, e.g. `国内短信`.
    pub msg_type: String,
    /// The status as SendCloud words it, e.g. `送达` or `处理失败-局部拦截列表`.
    pub status: String,
    /// The status code of the outcome (200 delivered, 4xx processing failed, 5xx
    /// delivery failed), when there is one.
    pub status_code: Option<StatusCode>,
    /// The delivery log line (`sendLog`).
    pub send_log: String,
    /// The template, when there was one.
    pub template_id: Option<u64>,
    /// The template's name.
    pub template_name: String,
    /// The account that sent it.
    pub sms_user: String,
    /// When it was requested (`yyyy-MM-dd HH:mm:ss`, SendCloud's time zone).
    pub request_time: String,
    /// When its status last changed.
    pub update_time: String,
    /// The record as it came, with any field not modelled here.
    pub raw: Value,
}

impl StatusRecord {
    fn from_value(v: Value) -> StatusRecord {
        StatusRecord {
            sms_id: text(&v, &["smsId"]),
            receiver: text(&v, &["receiver", "phone"]),
            msg_type: text(&v, &["msgType"]),
            status: text(&v, &["status"]),
            status_code: field(&v, &["statusCode"])
                .and_then(|_| super::lenient::opt_i64(&v, &["statusCode"]))
                .map(StatusCode::from_code),
            send_log: text(&v, &["sendLog"]),
            template_id: opt_u64(&v, &["templateId"]),
            template_name: text(&v, &["templateName"]),
            sms_user: text(&v, &["smsUser"]),
            request_time: text(&v, &["requestTime"]),
            update_time: text(&v, &["updateTime"]),
            raw: v,
        }
    }

    /// Where the message stands, from the status text, else the code; a failure carries
    /// the record's code.
    pub fn state(&self) -> DeliveryState {
        let s = self.status.trim();
        let code = self.status_code;
        if s.starts_with("送达") {
            return DeliveryState::Delivered;
        }
        if s.starts_with("处理失败") {
            return DeliveryState::ProcessingFailed(code);
        }
        if s.starts_with("发送失败") {
            return DeliveryState::DeliveryFailed(code);
        }
        if s.starts_with("请求") {
            return DeliveryState::Requested;
        }
        match code.map(StatusCode::code) {
            Some(200) => DeliveryState::Delivered,
            Some(400..=499) => DeliveryState::ProcessingFailed(code),
            Some(500..=599) => DeliveryState::DeliveryFailed(code),
            _ => DeliveryState::Unknown,
        }
    }
}
