//! `data/sendDay`, `data/processFailed`, `data/sendFailed`: statistics per day, template
//! and message type, or aggregated over the period.
//!
//! Parameters (SendCloud's docs, `sources/sms/sms_data.md`): `days` or `startDate` +
//! `endDate` (`yyyy-MM-dd`, at most 100 days), `msgTypeStr` (0 SMS, 1 MMS,
//! 2 international, 3 voice), `templateIdsStr` (`;`-separated), `aggregate` (0 or 1).
//! Rows come under `info.dataList` (sendDay) or `info.voList` (the failure calls), the
//! aggregate under `info.total`; counts are strings, and `templateId`/`msgType` are
//! `"None"` in an aggregate.

use super::names;
use http::Method;
use serde_json::Value;

use super::lenient::{count, field, info_object, list, opt_f64, opt_u64, text};
use super::query::{Period, ReportMsgType};
use crate::endpoint::Endpoint;
use crate::error::{Error, ValidationError};
use crate::form::Form;
use crate::response::Envelope;
use crate::values::TemplateId;

/// Most days one statistics query covers.
pub const MAX_STATS_DAYS: u32 = 100;
/// Most templates one statistics query names (an assumption; the docs give no limit).
pub const MAX_STATS_TEMPLATES: usize = 100;

/// What a statistics query covers: shared by the three statistics calls.
///
/// ```
/// use sendcloud_proto::{Period, StatsQuery, TemplateId};
/// let q = StatsQuery::new(Period::last_days(100)?)?
///     .with_templates([TemplateId::new(1)?, TemplateId::new(2)?])?
///     .aggregated();
/// assert!(q.is_aggregated());
/// assert!(StatsQuery::new(Period::last_days(101)?).is_err());
/// # Ok::<(), sendcloud_proto::ValidationError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatsQuery {
    period: Period,
    msg_type: Option<ReportMsgType>,
    template_ids: Vec<TemplateId>,
    aggregate: bool,
}

impl StatsQuery {
    /// Statistics of `period` (at most 100 days), one row per day, template and type.
    pub fn new(period: Period) -> Result<StatsQuery, ValidationError> {
        period.check_max(MAX_STATS_DAYS)?;
        Ok(StatsQuery {
            period,
            msg_type: None,
            template_ids: Vec::new(),
            aggregate: false,
        })
    }

    /// Only messages of this type.
    pub fn with_msg_type(mut self, msg_type: ReportMsgType) -> StatsQuery {
        self.msg_type = Some(msg_type);
        self
    }

    /// Only these templates (added to any given before; repeats count once).
    pub fn with_templates(
        mut self,
        ids: impl IntoIterator<Item = TemplateId>,
    ) -> Result<StatsQuery, ValidationError> {
        for id in ids {
            if !self.template_ids.contains(&id) {
                self.template_ids.push(id);
            }
        }
        if self.template_ids.len() > MAX_STATS_TEMPLATES {
            return Err(ValidationError::new(
                "templateIdsStr",
                format!("at most {MAX_STATS_TEMPLATES} templates per query"),
            ));
        }
        Ok(self)
    }

    /// One total over everything instead of rows.
    pub fn aggregated(mut self) -> StatsQuery {
        self.aggregate = true;
        self
    }

    /// The period.
    pub fn period(&self) -> Period {
        self.period
    }
    /// Whether the answer is one total.
    pub fn is_aggregated(&self) -> bool {
        self.aggregate
    }

    fn write(&self, form: &mut Form) {
        self.period.write(form);
        if let Some(t) = self.msg_type {
            form.set(names::MSG_TYPE_STR, t.code().to_string());
        }
        if !self.template_ids.is_empty() {
            let ids: Vec<String> = self.template_ids.iter().map(ToString::to_string).collect();
            form.set(names::TEMPLATE_IDS, ids.join(";"));
        }
        form.set(names::AGGREGATE, if self.aggregate { "1" } else { "0" });
    }
}

/// A statistics answer: rows, or (aggregated) one total.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats<R> {
    /// One row per day, template and message type.
    pub rows: Vec<R>,
    /// The aggregate, when one was asked for.
    pub total: Option<R>,
}

/// What every statistics row has.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowKey {
    /// The day (`yyyy-MM-dd`), or the range of an aggregate (`2016-09-01到2016-09-30`).
    pub send_date: String,
    /// The template; `None` in an aggregate (`"None"`).
    pub template_id: Option<u64>,
    /// The message type code (0 to 3); `None` in an aggregate.
    pub msg_type: Option<u64>,
}

impl RowKey {
    fn from_value(v: &Value) -> RowKey {
        RowKey {
            send_date: text(v, &["sendDate"]),
            template_id: opt_u64(v, &["templateId"]),
            msg_type: opt_u64(v, &["msgType"]),
        }
    }
}

fn parse_stats<R>(envelope: &Envelope<'_>, from: fn(Value) -> R) -> Result<Stats<R>, Error> {
    let info = info_object(envelope.info)?;
    let rows = list(&info, &["dataList", "voList", "list"])
        .into_iter()
        .map(from)
        .collect();
    let total = match field(&info, &["total"]) {
        Some(v @ Value::Object(_)) => Some(from(v.clone())),
        _ => None,
    };
    Ok(Stats { rows, total })
}

/// A row of `data/sendDay`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SendDayRow {
    /// Day, template and type.
    pub key: RowKey,
    /// Messages requested (`requestNum`).
    pub requested: u64,
    /// Messages delivered (`sendNum`).
    pub delivered: u64,
    /// Messages whose processing failed (`processFailedNum`).
    pub process_failed: u64,
    /// Messages whose delivery failed (`sendFailedNum`).
    pub send_failed: u64,
    /// Messages billed (`billingNum`).
    pub billed: u64,
    /// Percent delivered (`sendRatio`).
    pub delivered_ratio: Option<f64>,
    /// Percent whose processing failed.
    pub process_failed_ratio: Option<f64>,
    /// Percent whose delivery failed.
    pub send_failed_ratio: Option<f64>,
    /// The row as it came.
    pub raw: Value,
}

impl SendDayRow {
    fn from_value(v: Value) -> SendDayRow {
        SendDayRow {
            key: RowKey::from_value(&v),
            requested: count(&v, &["requestNum"]),
            delivered: count(&v, &["sendNum"]),
            process_failed: count(&v, &["processFailedNum"]),
            send_failed: count(&v, &["sendFailedNum"]),
            billed: count(&v, &["billingNum"]),
            delivered_ratio: opt_f64(&v, &["sendRatio"]),
            process_failed_ratio: opt_f64(&v, &["processFailedRatio"]),
            send_failed_ratio: opt_f64(&v, &["sendFailedRatio"]),
            raw: v,
        }
    }
}

/// A row of `data/processFailed`: why processing failed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcessFailedRow {
    /// Day, template and type.
    pub key: RowKey,
    /// In the global intercept list (`globalBlackListNum`).
    pub global_block_list: u64,
    /// In the account's intercept list (`userBlackListNum`).
    pub user_block_list: u64,
    /// Unsubscribed (`unsubscribleNum`, sic).
    pub unsubscribed: u64,
    /// Filtered by keyword (`keyWordFilterNum`).
    pub keyword_filtered: u64,
    /// Wrong substitution variables (`errorVarsNum`).
    pub wrong_vars: u64,
    /// Content too long (`varsContentTooLongNum`).
    pub too_long: u64,
    /// Encoding errors (`encodingExceptionNum`).
    pub encoding_error: u64,
    /// Send type not supported (`sendTypeUnsupportedNum`).
    pub unsupported: u64,
    /// The row as it came.
    pub raw: Value,
}

impl ProcessFailedRow {
    fn from_value(v: Value) -> ProcessFailedRow {
        ProcessFailedRow {
            key: RowKey::from_value(&v),
            global_block_list: count(&v, &["globalBlackListNum"]),
            user_block_list: count(&v, &["userBlackListNum"]),
            unsubscribed: count(&v, &["unsubscribleNum", "unsubscribeNum"]),
            keyword_filtered: count(&v, &["keyWordFilterNum"]),
            wrong_vars: count(&v, &["errorVarsNum"]),
            too_long: count(&v, &["varsContentTooLongNum"]),
            encoding_error: count(&v, &["encodingExceptionNum"]),
            unsupported: count(&v, &["sendTypeUnsupportedNum"]),
            raw: v,
        }
    }
}

/// A row of `data/sendFailed`: why delivery failed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SendFailedRow {
    /// Day, template and type.
    pub key: RowKey,
    /// No such number (`emptyPhoneNumberNum`).
    pub no_such_number: u64,
    /// Out of service (`outOfServiceNum`).
    pub out_of_service: u64,
    /// Complaints (`complaintsNum`).
    pub complaints: u64,
    /// Busy (`busyNum`).
    pub busy: u64,
    /// No answer (`noAnswerNum`).
    pub no_answer: u64,
    /// Intercepted (`interceptNum`).
    pub intercepted: u64,
    /// Phone broken (`breakDownNum`).
    pub broken_down: u64,
    /// Not in service area (`notInServiceNum`).
    pub not_in_service: u64,
    /// Powered off (`shutDownNum`).
    pub powered_off: u64,
    /// Other reasons (`othersNum`).
    pub others: u64,
    /// The row as it came.
    pub raw: Value,
}

impl SendFailedRow {
    fn from_value(v: Value) -> SendFailedRow {
        SendFailedRow {
            key: RowKey::from_value(&v),
            no_such_number: count(&v, &["emptyPhoneNumberNum"]),
            out_of_service: count(&v, &["outOfServiceNum"]),
            complaints: count(&v, &["complaintsNum"]),
            busy: count(&v, &["busyNum"]),
            no_answer: count(&v, &["noAnswerNum"]),
            intercepted: count(&v, &["interceptNum"]),
            broken_down: count(&v, &["breakDownNum"]),
            not_in_service: count(&v, &["notInServiceNum"]),
            powered_off: count(&v, &["shutDownNum"]),
            others: count(&v, &["othersNum"]),
            raw: v,
        }
    }
}

macro_rules! stats_endpoint {
    ($(#[$doc:meta])* $name:ident, $path:literal, $row:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(pub StatsQuery);

        impl Endpoint for $name {
            const PATH: &'static str = $path;
            const METHOD: Method = Method::POST;
            const SAFE_TO_REPEAT: bool = true;
            type Output = Stats<$row>;

            fn params<'a>(&'a self, form: &mut Form<'a>) {
                self.0.write(form);
            }

            fn parse(envelope: Envelope<'_>) -> Result<Stats<$row>, Error> {
                parse_stats(&envelope, $row::from_value)
            }
        }
    };
}

stats_endpoint!(
    /// Messages per day (`POST data/sendDay`).
    SendDayStats,
    "data/sendDay",
    SendDayRow
);
stats_endpoint!(
    /// Why processing failed, per day (`POST data/processFailed`).
    ProcessFailedStats,
    "data/processFailed",
    ProcessFailedRow
);
stats_endpoint!(
    /// Why delivery failed, per day (`POST data/sendFailed`).
    SendFailedStats,
    "data/sendFailed",
    SendFailedRow
);
