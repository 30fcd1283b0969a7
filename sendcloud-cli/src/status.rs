//! `sendcloud status`: what became of sent messages.

use clap::{ArgGroup, Args};
use sendcloud_proto::{
    Date, DeliveryState, Paging, Period, Phone, ReportMsgType, StatusQuery, TemplateId,
};
use serde_json::{json, Value};

use crate::output::{client_failure, invalid, invalid_flag, Failure, OK};
use crate::target::Target;
use crate::Global;

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("period").args(["days", "since"])))]
pub struct StatusArgs {
    /// Only messages to this number (repeat for more; at most 100 numbers and ids in all)
    #[arg(long = "phone", value_name = "PHONE")]
    phones: Vec<String>,
    /// Only this message (repeat for more)
    #[arg(long = "sms-id", value_name = "SMSID")]
    sms_ids: Vec<String>,
    /// The last N days, today included (1 to 30) [default: 1, today]
    #[arg(long, value_name = "N")]
    days: Option<u32>,
    /// The first day, yyyy-MM-dd (with --until; at most 30 days)
    #[arg(long, alias = "from", value_name = "DATE", requires = "until")]
    since: Option<String>,
    /// The last day, yyyy-MM-dd (with --since)
    #[arg(long, alias = "to", value_name = "DATE", requires = "since")]
    until: Option<String>,
    /// Only messages of this template
    #[arg(long, value_name = "ID")]
    template: Option<u64>,
    /// Only messages of this type: sms, mms, international or voice
    #[arg(long = "type", value_name = "TYPE")]
    msg_type: Option<String>,
    /// Skip this many messages (paging)
    #[arg(long, value_name = "N", default_value_t = 0)]
    start: u32,
    /// Show at most this many messages (1 to 100)
    #[arg(long, value_name = "N", default_value_t = 100)]
    limit: u32,
}

fn parse_date(flag: &str, s: &str) -> Result<Date, Failure> {
    Date::parse(s).map_err(|e| invalid_flag(e, flag))
}

fn status_query(a: &StatusArgs) -> Result<StatusQuery, Failure> {
    let period = match (&a.since, &a.until, a.days) {
        (Some(since), Some(until), _) => {
            Period::between(parse_date("--since", since)?, parse_date("--until", until)?)
                .map_err(|e| invalid_flag(e, "--since/--until"))?
        }
        (_, _, Some(n)) => Period::last_days(n).map_err(|e| invalid_flag(e, "--days"))?,
        _ => Period::today(),
    };
    let phones = a
        .phones
        .iter()
        .map(|p| Phone::parse(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid_flag(e, "--phone"))?;
    let mut q = StatusQuery::new(period)
        .map_err(invalid)?
        .with_phones(phones)
        .map_err(invalid)?
        .with_sms_ids(&a.sms_ids)
        .map_err(invalid)?
        .with_paging(Paging::new(a.start, a.limit).map_err(invalid)?);
    if let Some(t) = a.template {
        q = q.with_template(TemplateId::new(t).map_err(invalid)?);
    }
    if let Some(t) = &a.msg_type {
        q = q.with_msg_type(ReportMsgType::parse(t).map_err(invalid)?);
    }
    Ok(q)
}

pub fn status(g: &Global, a: &StatusArgs) -> Result<u8, Failure> {
    let query = status_query(a)?;
    let target = Target::connect(g)?;
    let page = target
        .client
        .call(query)
        .map_err(|e| client_failure(&e, None))?;
    target.note("asked");
    if g.json {
        let records: Vec<Value> = page
            .records
            .iter()
            .map(|r| {
                json!({
                    "sms_id": r.sms_id,
                    "phone": r.receiver,
                    "state": state_name(r.state()),
                    "status": r.status,
                    "status_code": r.status_code.map(|s| s.code()),
                    "template_id": r.template_id,
                    "template_name": r.template_name,
                    "request_time": r.request_time,
                    "update_time": r.update_time,
                    "log": r.send_log,
                })
            })
            .collect();
        println!(
            "{}",
            json!({
                "ok": true,
                "total": page.total,
                "records": records,
                "sandbox": target.is_sandbox(),
            })
        );
        return Ok(OK);
    }
    if page.records.is_empty() {
        println!("No messages match ({} in all).", page.total);
        if target.is_sandbox() {
            eprintln!(
                "Note: the built-in sandbox starts empty on every run, so it knows nothing of \
                 messages sent by an earlier `sendcloud` command. To keep messages between \
                 commands, run `sendcloud sandbox` and point SENDCLOUD_BASE_URL (with the \
                 credentials it prints) at it."
            );
        }
        return Ok(OK);
    }
    println!(
        "{} message(s) match; showing {}:",
        page.total,
        page.records.len()
    );
    for r in &page.records {
        let code = r
            .status_code
            .map(|s| format!(" {}", s.code()))
            .unwrap_or_default();
        println!(
            "  {}  {}  {}{}  {}",
            r.request_time, r.receiver, r.status, code, r.sms_id
        );
        if !r.send_log.is_empty() && r.status_code.is_some_and(|s| s.code() != 200) {
            println!("      {}", r.send_log);
        }
    }
    Ok(OK)
}

/// The name `status --json` gives a delivery state.
fn state_name(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Requested => "requested",
        DeliveryState::Delivered => "delivered",
        DeliveryState::ProcessingFailed(_) => "processfailed",
        DeliveryState::DeliveryFailed(_) => "sendfailed",
        _ => "unknown",
    }
}
