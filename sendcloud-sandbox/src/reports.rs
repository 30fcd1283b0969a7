//! `status/query` and the statistics calls, answered from the outbox.
//!
//! Dates are UTC days of the time a message was accepted; "today" (`days=1`) is the UTC
//! day of the request's `now`. A query sees the messages of its own account only.
//!
//! - `status/query` needs `days` (1 to 30) or `startDate` and `endDate` (`yyyy-MM-dd`, at
//!   most 30 days); `phones` and `smsIds` (`;` or `,` separated, at most 100 in all),
//!   `msgTypeStr`, `templateId`, `templateName` filter; `start` and `limit` (at most 100,
//!   default 100) page. The newest messages come first; each record's `status` is `送达`,
//!   `处理失败` or `发送失败` with the outcome's `statusCode` (see "Delivery outcomes" in
//!   the [module documentation](super)). `total` is sent as a string, as SendCloud does.
//! - `data/sendDay`, `data/processFailed`, `data/sendFailed` need a period of at most 100
//!   days and filter by `msgTypeStr` and `templateIdsStr`; one row per day, template and
//!   message type (3 for voice), oldest first, counts as strings; `aggregate=1` answers one
//!   `total`. A delivered message counts in `sendNum`, a workererror in
//!   `processFailedNum`, a delivererror in `sendFailedNum`; `billingNum` counts the
//!   messages that went out (delivered or delivery failed).

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Map, Value};

use crate::outbox::{DeliveryOutcome, MessageKind, OutboxMessage};
use crate::reply::*;
use crate::route::Action;
use crate::Sandbox;
use sendcloud_proto::server::{split_id_list, PeriodParams, StatsParams, StatusParams};
use sendcloud_proto::StatusCode;
use sendcloud_proto::MAX_STATS_DAYS;
use sendcloud_proto::{Date, Period};
use sendcloud_proto::{MAX_STATUS_DAYS, MAX_STATUS_IDS};

/// The first and last date a query covers.
fn period(p: PeriodParams<'_>, max: u32, now: u64) -> Result<(Date, Date), Reply> {
    let today = Date::from_unix_millis(now);
    let period = if let Some(days) = given(p.days) {
        let n = days.parse::<u32>().map_err(|_| {
            bad(format!(
                "days must be a whole number, not {:?}",
                clip(days, 16)
            ))
        })?;
        Period::last_days(n).map_err(bad)?
    } else {
        match (given(p.start_date), given(p.end_date)) {
            (Some(a), Some(b)) => {
                let a = Date::parse(a).map_err(|e| bad(format!("startDate: {}", e.rule)))?;
                let b = Date::parse(b).map_err(|e| bad(format!("endDate: {}", e.rule)))?;
                Period::between(a, b).map_err(bad)?
            }
            _ => return Err(bad("give days, or startDate and endDate (yyyy-MM-dd)")),
        }
    };
    period.check_max(max).map_err(bad)?;
    Ok(period.resolve(today))
}

/// The report code of a message's type: 0 SMS, 1 MMS, 2 international, 3 voice.
fn report_type(m: &OutboxMessage) -> u8 {
    match m.kind {
        MessageKind::Voice => 3,
        MessageKind::Mms => 1,
        MessageKind::Sms | MessageKind::Code => m.msg_type,
    }
}

fn type_desc(code: u8) -> &'static str {
    match code {
        1 => "彩信",
        2 => "国际短信",
        3 => "语音",
        _ => "国内短信",
    }
}

fn msg_type_filter(value: Option<&str>) -> Result<Option<u8>, Reply> {
    match given(value) {
        None => Ok(None),
        Some(v) => match v.parse::<u8>() {
            Ok(c) if c <= 3 => Ok(Some(c)),
            _ => Err(bad(format!(
                "msgTypeStr must be 0, 1, 2 or 3, not {:?}",
                clip(v, 16)
            ))),
        },
    }
}

#[derive(Default)]
struct Counts {
    requested: u64,
    delivered: u64,
    process_failed: u64,
    send_failed: u64,
    by_code: BTreeMap<i64, u64>,
}

impl Counts {
    fn add(&mut self, outcome: DeliveryOutcome) {
        self.requested += 1;
        match outcome {
            DeliveryOutcome::Delivered => self.delivered += 1,
            DeliveryOutcome::WorkerError(_) => self.process_failed += 1,
            DeliveryOutcome::DeliverError(_) => self.send_failed += 1,
        }
        if !outcome.is_delivered() {
            *self.by_code.entry(outcome.status().code()).or_default() += 1;
        }
    }

    fn merge(&mut self, other: &Counts) {
        self.requested += other.requested;
        self.delivered += other.delivered;
        self.process_failed += other.process_failed;
        self.send_failed += other.send_failed;
        for (k, v) in &other.by_code {
            *self.by_code.entry(*k).or_default() += v;
        }
    }

    fn code(&self, codes: &[i64]) -> String {
        codes
            .iter()
            .map(|c| self.by_code.get(c).copied().unwrap_or(0))
            .sum::<u64>()
            .to_string()
    }

    fn ratio(&self, n: u64) -> String {
        if self.requested == 0 {
            "0.00".into()
        } else {
            format!("{:.2}", n as f64 * 100.0 / self.requested as f64)
        }
    }

    fn fields(&self, call: Action) -> Map<String, Value> {
        let v = match call {
            Action::SendDay => json!({
                "requestNum": self.requested.to_string(),
                "sendNum": self.delivered.to_string(),
                "processFailedNum": self.process_failed.to_string(),
                "sendFailedNum": self.send_failed.to_string(),
                "billingNum": (self.delivered + self.send_failed).to_string(),
                "sendRatio": self.ratio(self.delivered),
                "processFailedRatio": self.ratio(self.process_failed),
                "sendFailedRatio": self.ratio(self.send_failed),
            }),
            Action::ProcessFailed => json!({
                "globalBlackListNum": self.code(&[410]),
                "userBlackListNum": self.code(&[420]),
                "unsubscribleNum": self.code(&[430]),
                "keyWordFilterNum": self.code(&[440]),
                "errorVarsNum": self.code(&[450]),
                "varsContentTooLongNum": self.code(&[460]),
                "encodingExceptionNum": "0",
                "sendTypeUnsupportedNum": "0",
            }),
            _ => {
                let named = [500, 510, 550, 580];
                let others: u64 = self
                    .by_code
                    .iter()
                    .filter(|(c, _)| (500..600).contains(*c) && !named.contains(*c))
                    .map(|(_, n)| n)
                    .sum();
                json!({
                    "emptyPhoneNumberNum": self.code(&[500]),
                    "outOfServiceNum": self.code(&[510]),
                    "complaintsNum": self.code(&[550]),
                    "busyNum": "0",
                    "noAnswerNum": "0",
                    "interceptNum": "0",
                    "breakDownNum": "0",
                    "notInServiceNum": "0",
                    "shutDownNum": self.code(&[580]),
                    "othersNum": others.to_string(),
                })
            }
        };
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}

impl Sandbox {
    fn account_user(&self, account: usize) -> &str {
        self.config
            .accounts
            .get(account)
            .map_or("", |a| a.sms_user.as_str())
    }

    pub(super) fn status_query(
        &self,
        p: StatusParams<'_>,
        account: usize,
        now: u64,
    ) -> Result<Reply, Reply> {
        let (first, last) = period(p.period, MAX_STATUS_DAYS, now)?;
        let phones: HashSet<String> = given(p.phones)
            .map(split_id_list)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let ids: HashSet<String> = given(p.sms_ids)
            .map(split_id_list)
            .unwrap_or_default()
            .into_iter()
            .collect();
        if phones.len() + ids.len() > MAX_STATUS_IDS {
            return Err(bad(format!(
                "at most {MAX_STATUS_IDS} phones and smsIds in all, not {}",
                phones.len() + ids.len()
            )));
        }
        let msg_type = msg_type_filter(p.msg_type)?;
        let template = match given(p.template_id) {
            None => None,
            Some(v) => Some(v.parse::<u64>().map_err(|_| {
                bad(format!(
                    "templateId must be a number, not {:?}",
                    clip(v, 16)
                ))
            })?),
        };
        let template_name = given(p.template_name);
        let (start, limit) = paging(p.page)?;
        let user = self.account_user(account);
        let name_of = |m: &OutboxMessage| {
            m.template_id
                .and_then(|id| self.template_name(id))
                .unwrap_or_default()
        };
        let matching: Vec<&OutboxMessage> = self
            .outbox
            .iter()
            .rev()
            .filter(|m| m.sms_user == user)
            .filter(|m| {
                let d = Date::from_unix_millis(m.accepted_at.as_millis());
                first <= d && d <= last
            })
            .filter(|m| phones.is_empty() || phones.contains(&m.phone))
            .filter(|m| ids.is_empty() || ids.contains(&m.sms_id))
            .filter(|m| msg_type.is_none_or(|t| report_type(m) == t))
            .filter(|m| template.is_none_or(|t| m.template_id == Some(t)))
            .filter(|m| template_name.is_none_or(|n| name_of(m) == n))
            .collect();
        let records: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(limit)
            .map(|m| {
                let at = m.accepted_at.as_millis();
                json!({
                    "smsId": m.sms_id,
                    "msgType": type_desc(report_type(m)),
                    "receiver": m.phone,
                    "requestTime": date_time(at),
                    "updateTime": date_time(at.saturating_add(1_000)),
                    "sendLog": if m.outcome.is_delivered() { "发送成功" } else { m.outcome.description() },
                    "smsUser": m.sms_user,
                    "status": match m.outcome {
                        DeliveryOutcome::Delivered => "送达",
                        DeliveryOutcome::WorkerError(_) => "处理失败",
                        DeliveryOutcome::DeliverError(_) => "发送失败",
                    },
                    "statusCode": m.outcome.status().code(),
                    "templateId": m.template_id.map(|t| t.to_string()).unwrap_or_default(),
                    "templateName": name_of(m),
                })
            })
            .collect();
        Ok(Reply::ok(
            StatusCode::Ok,
            json!({
                "voListSize": records.len(),
                "total": matching.len().to_string(),
                "voList": records,
            }),
        ))
    }

    pub(super) fn statistics(
        &self,
        call: Action,
        p: StatsParams<'_>,
        account: usize,
        now: u64,
    ) -> Result<Reply, Reply> {
        let (first, last) = period(p.period, MAX_STATS_DAYS, now)?;
        let msg_type = msg_type_filter(p.msg_type)?;
        let templates: Vec<u64> = match given(p.template_ids) {
            None => Vec::new(),
            Some(v) => split_id_list(v)
                .iter()
                .map(|s| {
                    s.parse::<u64>().map_err(|_| {
                        bad(format!(
                            "templateIdsStr must be ids separated by ';', not {:?}",
                            clip(v, 64)
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let aggregate = match given(p.aggregate) {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => {
                return Err(bad(format!(
                    "aggregate must be 0 or 1, not {:?}",
                    clip(other, 16)
                )))
            }
        };
        let user = self.account_user(account);
        let mut groups: BTreeMap<(Date, u64, u8), Counts> = BTreeMap::new();
        for m in self.outbox().iter().filter(|m| m.sms_user == user) {
            let d = Date::from_unix_millis(m.accepted_at.as_millis());
            let t = m.template_id.unwrap_or(0);
            let ty = report_type(m);
            if d < first
                || d > last
                || msg_type.is_some_and(|x| x != ty)
                || (!templates.is_empty() && !templates.contains(&t))
            {
                continue;
            }
            groups.entry((d, t, ty)).or_default().add(m.outcome);
        }
        let info = if aggregate {
            let mut total = Counts::default();
            for c in groups.values() {
                total.merge(c);
            }
            let mut row = total.fields(call);
            row.insert("sendDate".into(), json!(format!("{first}到{last}")));
            row.insert("templateId".into(), json!("None"));
            row.insert("msgType".into(), json!("None"));
            json!({ "total": row })
        } else {
            let rows: Vec<Value> = groups
                .iter()
                .map(|((d, t, ty), c)| {
                    let mut row = c.fields(call);
                    row.insert("sendDate".into(), json!(d.to_string()));
                    row.insert("templateId".into(), json!(t.to_string()));
                    row.insert("msgType".into(), json!(ty.to_string()));
                    Value::Object(row)
                })
                .collect();
            if call == Action::SendDay {
                json!({ "dataListSize": rows.len(), "dataList": rows })
            } else {
                json!({ "count": rows.len(), "voList": rows })
            }
        };
        Ok(Reply::ok(StatusCode::Ok, info))
    }
}
