//! The commands that make one call (or none): send, voice, code, time, sign, explain, doctor.

use std::hash::{BuildHasher, Hasher};

use clap::{ArgGroup, Args};
use sendcloud_proto::Error as ProtoError;
use sendcloud_proto::{
    canonical_string_masked, sign as sign_params, ListTemplates, MsgType, Phone, Recipients,
    Rejected, RetryClass, Secret, SendCode, SendReceipt, SendRequestId, SendTemplate, SendVoice,
    SignId, SignRef, StatusCode, Tag, TemplateId, Vars, VerificationCode, MAX_RECIPIENTS,
};
use sendcloud_ureq::{local_now, Error as ClientError};
use serde_json::json;

use crate::output::{
    client_failure, invalid, rejected_json, utc, Failure, OK, PARTIAL, REFUSED, TRANSPORT, USAGE,
};
use crate::target::{algorithm, credentials, messages_json, print_messages, Target};
use crate::Global;

/// Most messages shown as the phone shows them.
const SHOWN_MESSAGES: usize = 20;

#[derive(Args, Debug)]
pub struct SendArgs {
    /// The template id
    #[arg(long, value_name = "ID")]
    template: u64,
    /// The numbers, separated by commas (at most 2,000): 11 digits starting with 1, or +86...
    /// or 0086... for international; invalid ones are reported and not sent
    #[arg(long, value_name = "PHONE[,PHONE...]")]
    to: String,
    /// A template variable, e.g. --var code=1234 (repeat for more)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Send as MMS (the template must be an MMS template)
    #[arg(long, conflicts_with = "international")]
    mms: bool,
    /// Send as international SMS (the numbers must have a + or 00 country prefix)
    #[arg(long)]
    international: bool,
    /// An idempotency key: SendCloud processes a request id once per hour
    #[arg(long, value_name = "ID")]
    request_id: Option<String>,
    /// A JSON object of at most 128 characters, e.g. {"order":"42"}, that SendCloud passes back
    /// in delivery events
    #[arg(long, value_name = "JSON")]
    tag: Option<String>,
}

#[derive(Args, Debug)]
pub struct VoiceArgs {
    /// The number to call
    #[arg(long, value_name = "PHONE")]
    to: String,
    /// The code to read out: 4 to 6 digits
    #[arg(long)]
    code: String,
    /// An idempotency key: SendCloud processes a request id once per hour
    #[arg(long, value_name = "ID")]
    request_id: Option<String>,
    /// A JSON object of at most 128 characters, e.g. {"order":"42"}, that SendCloud passes back
    /// in delivery events
    #[arg(long, value_name = "JSON")]
    tag: Option<String>,
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("sign").required(true).args(["sign_id", "sign_name"])))]
pub struct CodeArgs {
    /// The number to send to
    #[arg(long, value_name = "PHONE")]
    to: String,
    /// The code: 4 to 6 digits
    #[arg(long)]
    code: String,
    /// The id of the sign name (the sender shown in the message)
    #[arg(long, value_name = "N")]
    sign_id: Option<u64>,
    /// The sign name itself
    #[arg(long, value_name = "NAME")]
    sign_name: Option<String>,
    /// An idempotency key: SendCloud processes a request id once per hour
    #[arg(long, value_name = "ID")]
    request_id: Option<String>,
    /// A JSON object of at most 128 characters, e.g. {"order":"42"}, that SendCloud passes back
    /// in delivery events
    #[arg(long, value_name = "JSON")]
    tag: Option<String>,
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// The parameters to sign, exactly as they are sent (raw values, not url-encoded)
    #[arg(value_name = "NAME=VALUE", required = true)]
    params: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The statusCode of an answer or an SMSHook event, e.g. 422
    #[arg(value_name = "CODE", allow_negative_numbers = true)]
    code: i64,
}

/// A fresh sendRequestId, so that the user can repeat a send that may have gone through.
pub fn new_request_id(prefix: &str) -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    format!("{prefix}-{}-{:08x}", local_now().0, h.finish() as u32)
}

fn request_id(given: &Option<String>) -> Result<SendRequestId, Failure> {
    let id = given.clone().unwrap_or_else(|| new_request_id("cli"));
    SendRequestId::new(id).map_err(invalid)
}

pub fn parse_vars(pairs: &[String]) -> Result<Vars, Failure> {
    let mut vars = Vars::new();
    for pair in pairs {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(Failure::usage(
                format!("--var {pair:?} has no '='"),
                "Write variables as --var name=value, e.g. --var code=1234.",
            ));
        };
        if let Some(first) = vars.get(name) {
            return Err(Failure::usage(
                format!("--var {name} is given twice ({name}={first} and {pair})"),
                "Give each variable once.",
            ));
        }
        vars.insert(name, value).map_err(invalid)?;
    }
    Ok(vars)
}

fn tag(given: &Option<String>) -> Result<Option<Tag>, Failure> {
    given
        .as_deref()
        .map(Tag::parse)
        .transpose()
        .map_err(invalid)
}

pub fn send(g: &Global, a: &SendArgs) -> Result<u8, Failure> {
    let template = TemplateId::new(a.template).map_err(invalid)?;
    let count = a.to.split(',').count();
    if count > MAX_RECIPIENTS {
        return Err(Failure::usage(
            format!("--to has {count} numbers; one send takes at most {MAX_RECIPIENTS}"),
            "Send to more with `sendcloud bulk --template ID --recipients FILE` \
             (a CSV of numbers, sent in batches of 2,000).",
        ));
    }
    let (recipients, refused_here) = recipients(&a.to)?;
    let id = request_id(&a.request_id)?;
    let mut send = SendTemplate::new(template, recipients)
        .with_vars(parse_vars(&a.vars)?)
        .with_request_id(id.clone());
    if a.mms {
        send = send.with_msg_type(MsgType::Mms).map_err(invalid)?;
    }
    if a.international {
        send = send
            .with_msg_type(MsgType::International)
            .map_err(invalid)?;
    }
    if let Some(t) = tag(&a.tag)? {
        send = send.with_tag(t);
    }
    let target = Target::connect(g)?;
    let before = target.outbox_len();
    let result = target.client.send(send);
    target.note("sent to");
    let result = match result {
        // The numbers refused before sending are refused all the same: a partial success.
        Ok(mut receipt) => {
            if !refused_here.is_empty() && receipt.status == Some(StatusCode::Ok) {
                receipt.status = Some(StatusCode::PartialSuccess);
            }
            receipt.rejected.extend(refused_here);
            Ok(receipt)
        }
        Err(e) => {
            let mut f = client_failure(&e, Some(id.as_str()));
            if let ClientError::Proto(ProtoError::Api {
                status, message, ..
            }) = &e
            {
                if *status == StatusCode::TemplateNotFound {
                    f.todo = Some(template_advice(a, message));
                }
            }
            f.rejected.extend(refused_here);
            return Err(f);
        }
    };
    finish(g, &target, before, result, &id)
}

/// The numbers of `--to`: those that can be sent to, and each of the others with the rule
/// it breaks. One number that is invalid, or none that is valid, is a usage error.
fn recipients(to: &str) -> Result<(Recipients, Vec<Rejected>), Failure> {
    const NOT_SENT: &str = "not sent, invalid: ";
    let mut valid = Vec::new();
    let mut refused = Vec::new();
    for (written, parsed) in Recipients::parse_each(to) {
        match parsed {
            Ok(p) => valid.push(p),
            Err(e) => refused.push(Rejected {
                phone: written.to_owned(),
                message: format!("{NOT_SENT}{}", e.rule),
            }),
        }
    }
    if valid.is_empty() {
        let what = match refused.as_slice() {
            [one] => format!("invalid --to: {}", one.message.trim_start_matches(NOT_SENT)),
            _ => format!("no valid number in --to ({} given)", refused.len()),
        };
        let mut f = Failure::usage(
            what,
            "A domestic number has 11 digits and starts with 1; an international one starts \
             with 00 or + and its country code.",
        );
        if refused.len() > 1 {
            f.rejected = refused;
        }
        return Err(f);
    }
    Ok((Recipients::new(valid).map_err(invalid)?, refused))
}

/// What to do when SendCloud does not find the template for a send: often an MMS template
/// sent as SMS, or the other way round.
fn template_advice(a: &SendArgs, message: &str) -> String {
    let id = a.template;
    if message.contains("is an MMS template") && !a.mms {
        format!("Template {id} is an MMS template: add --mms.")
    } else if message.contains("is an SMS template") && a.mms {
        format!("Template {id} is an SMS template: leave out --mms.")
    } else {
        format!(
            "Check the id with `sendcloud templates list`, and that template {id} is approved. \
             An MMS template is sent with --mms, an SMS template without it."
        )
    }
}

pub fn voice(g: &Global, a: &VoiceArgs) -> Result<u8, Failure> {
    let phone = Phone::parse(&a.to).map_err(invalid)?;
    let code = VerificationCode::new(a.code.as_str()).map_err(invalid)?;
    let id = request_id(&a.request_id)?;
    let mut voice = SendVoice::new(phone, code)
        .map_err(invalid)?
        .with_request_id(id.clone());
    if let Some(t) = tag(&a.tag)? {
        voice = voice.with_tag(t);
    }
    let target = Target::connect(g)?;
    let before = target.outbox_len();
    let result = target.client.send_voice(voice);
    target.note("sent to");
    finish(g, &target, before, result, &id)
}

pub fn code(g: &Global, a: &CodeArgs) -> Result<u8, Failure> {
    let phone = Phone::parse(&a.to).map_err(invalid)?;
    let code = VerificationCode::new(a.code.as_str()).map_err(invalid)?;
    let sign = match (a.sign_id, &a.sign_name) {
        (Some(id), _) => SignRef::Id(SignId::new(id).map_err(invalid)?),
        (None, Some(name)) => SignRef::name(name.as_str()).map_err(invalid)?,
        (None, None) => {
            return Err(Failure::usage(
                "no sign name given",
                "Give --sign-id N or --sign-name NAME.",
            ))
        }
    };
    let id = request_id(&a.request_id)?;
    let mut send = SendCode::new(phone, code, sign).with_request_id(id.clone());
    if let Some(t) = tag(&a.tag)? {
        send = send.with_tag(t);
    }
    let target = Target::connect(g)?;
    let before = target.outbox_len();
    let result = target.client.send_code(send);
    target.note("sent to");
    finish(g, &target, before, result, &id)
}

/// Shows the outcome of a send and gives its exit code.
fn finish(
    g: &Global,
    target: &Target,
    before: usize,
    result: Result<SendReceipt, ClientError>,
    id: &SendRequestId,
) -> Result<u8, Failure> {
    let receipt = result.map_err(|e| client_failure(&e, Some(id.as_str())))?;
    let messages = target.messages_since(before);
    let exit = if receipt.is_partial() { PARTIAL } else { OK };
    let status = receipt.status.unwrap_or(if receipt.is_partial() {
        StatusCode::PartialSuccess
    } else {
        StatusCode::Ok
    });
    if g.json {
        let v = json!({
            "ok": exit == OK,
            "exit_code": exit,
            "status": status.code(),
            "partial": receipt.is_partial(),
            "success_count": receipt.success_count,
            "sms_ids": receipt.sms_ids,
            "rejected": rejected_json(&receipt.rejected),
            "already_accepted": receipt.already_accepted,
            "send_request_id": id.as_str(),
            "sandbox": target.is_sandbox(),
            "messages": messages_json(&messages),
        });
        println!("{v}");
        return Ok(exit);
    }
    if receipt.already_accepted {
        println!(
            "Already accepted: a request with sendRequestId {} was processed earlier, so it was not sent again.",
            id.as_str()
        );
        return Ok(exit);
    }
    if receipt.is_partial() {
        println!(
            "Partly sent: {} accepted, {} refused.",
            receipt.success_count,
            receipt.rejected.len()
        );
        for r in &receipt.rejected {
            println!("  refused {}: {}", r.phone, r.message);
        }
        println!("Fix or remove the refused numbers and send to them again.");
    } else {
        println!("Sent: {} accepted.", receipt.success_count);
    }
    for sms_id in receipt.sms_ids.iter().take(SHOWN_MESSAGES) {
        println!("  smsId {sms_id}");
    }
    print_messages(&messages, SHOWN_MESSAGES);
    Ok(exit)
}

pub fn time(g: &Global) -> Result<u8, Failure> {
    let target = Target::connect(g)?;
    let t = target
        .client
        .server_time()
        .map_err(|e| client_failure(&e, None))?;
    target.note("asked");
    let offset = target.client.clock_offset_ms();
    if g.json {
        println!(
            "{}",
            json!({
                "ok": true,
                "timestamp": t.0 .0,
                "utc": utc(t.0 .0),
                "offset_ms": offset,
                "sandbox": target.is_sandbox(),
            })
        );
    } else {
        println!("Server time: {} ({})", t.0 .0, utc(t.0 .0));
        println!("{}", describe_offset(offset));
    }
    Ok(OK)
}

fn describe_offset(offset: i64) -> String {
    match offset {
        0 => "This machine's clock agrees with the server's.".to_owned(),
        o if o > 0 => format!("The server's clock is {o} ms ahead of this machine's."),
        o => format!("The server's clock is {} ms behind this machine's.", -o),
    }
}

pub fn sign(g: &Global, a: &SignArgs) -> Result<u8, Failure> {
    let key = match &g.key {
        Some(k) if !k.is_empty() => Secret::new(k.as_str()),
        _ => {
            return Err(Failure::usage(
                "no key to sign with",
                "Set SENDCLOUD_SMS_KEY or give --key.",
            ))
        }
    };
    let mut params = Vec::with_capacity(a.params.len());
    for p in &a.params {
        match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => params.push((k, v)),
            _ => {
                return Err(Failure::usage(
                    format!("{p:?} is not NAME=VALUE"),
                    "Give each parameter as name=value, e.g. smsUser=me templateId=1 phone=13800000000.",
                ))
            }
        }
    }
    let alg = algorithm(g);
    let canonical = canonical_string_masked(params.iter().copied());
    let signature = sign_params(alg, &key, params.iter().copied());
    let alg_name = match alg {
        sendcloud_proto::SignatureAlgorithm::Md5 => "md5",
        sendcloud_proto::SignatureAlgorithm::Sha256 => "sha256",
    };
    if g.json {
        println!(
            "{}",
            json!({"canonical": canonical, "signature": signature, "algorithm": alg_name})
        );
    } else {
        println!("canonical: {canonical}");
        println!("signature: {signature} ({alg_name})");
    }
    Ok(OK)
}

pub fn explain(g: &Global, a: &ExplainArgs) -> Result<u8, Failure> {
    let status = StatusCode::from_code(a.code);
    let known = !matches!(status, StatusCode::Unknown(_));
    let class = match status.retry_class() {
        RetryClass::Success => "success",
        RetryClass::Retryable => "retryable",
        RetryClass::ClockSkew => "clock_skew",
        RetryClass::RateLimited => "rate_limited",
        RetryClass::Permanent => "permanent",
    };
    let advice = if known {
        status.advice()
    } else {
        "SendCloud does not document this code; read the message that came with it."
    };
    if g.json {
        println!(
            "{}",
            json!({
                "code": a.code,
                "known": known,
                "meaning": status.meaning(),
                "hook": status.is_hook_code(),
                "retry_class": class,
                "advice": advice,
            })
        );
    } else {
        println!("{}: {}", a.code, status.meaning());
        if status.is_hook_code() {
            println!(
                "(an SMSHook delivery event code: the message was accepted, then not delivered)"
            );
        }
        println!("What to do: {advice}");
    }
    Ok(OK)
}

/// One line of the doctor's findings.
struct Check {
    name: &'static str,
    status: &'static str,
    detail: String,
}

pub fn doctor(g: &Global) -> Result<u8, Failure> {
    let mut checks = Vec::new();
    let mut exit = OK;
    let fail = |checks: &mut Vec<Check>, exit: &mut u8, code: u8, name, detail: String| {
        checks.push(Check {
            name,
            status: "fail",
            detail,
        });
        if *exit == OK {
            *exit = code;
        }
    };
    let target = match credentials(g) {
        Err(f) => {
            fail(&mut checks, &mut exit, USAGE, "credentials", f.what);
            None
        }
        Ok(creds) => {
            match &creds {
                None => checks.push(Check {
                    name: "credentials",
                    status: "warn",
                    detail: "SENDCLOUD_SMS_USER and SENDCLOUD_SMS_KEY are not set: checking the built-in sandbox instead of SendCloud".into(),
                }),
                Some((user, key)) => {
                    let mut problems = Vec::new();
                    if user.trim() != user {
                        problems.push("the user has spaces at its start or end");
                    }
                    if key.trim() != key {
                        problems.push("the key has spaces at its start or end");
                    }
                    if problems.is_empty() {
                        checks.push(Check {
                            name: "credentials",
                            status: "ok",
                            detail: format!("user {user:?} and a key of {} characters are set", key.chars().count()),
                        });
                    } else {
                        fail(&mut checks, &mut exit, USAGE, "credentials", format!("{} (copy them again from the SendCloud console)", problems.join("; ")));
                    }
                }
            }
            match Target::connect(g) {
                Ok(t) => Some(t),
                Err(f) => {
                    fail(&mut checks, &mut exit, f.exit, "base_url", f.what);
                    None
                }
            }
        }
    };
    let mut base_url = None;
    let mut reachable = false;
    if let Some(target) = &target {
        base_url = Some(target.base_url.clone());
        checks.push(Check {
            name: "base_url",
            status: "ok",
            detail: target.base_url.clone(),
        });
        match target.client.server_time() {
            Ok(t) => {
                reachable = true;
                checks.push(Check {
                    name: "reachability",
                    status: "ok",
                    detail: format!("timestamp/get answered: server time {}", utc(t.0 .0)),
                });
                let offset = target.client.clock_offset_ms();
                let (status, extra) = if offset.abs() < 5_000 {
                    ("ok", "")
                } else if offset.abs() < 60_000 {
                    ("warn", " SendCloud allows 60 s (its error table says 6 s); the client corrects for it after a 461, but set the clock right (NTP).")
                } else {
                    ("warn", " Outside SendCloud's 60 s window: every first attempt gets 461 and is retried after a clock resync. Set the clock right (NTP).")
                };
                checks.push(Check {
                    name: "clock",
                    status,
                    detail: format!("{}{extra}", describe_offset(offset)),
                });
            }
            Err(e) => {
                let f = client_failure(&e, None);
                let code = if f.exit == REFUSED {
                    REFUSED
                } else {
                    TRANSPORT
                };
                fail(
                    &mut checks,
                    &mut exit,
                    code,
                    "reachability",
                    format!("{} ({})", f.what, f.todo.unwrap_or_default()),
                );
            }
        }
        target.note("checked");
    }
    if let (Some(target), true) = (&target, reachable) {
        // A signed call that sends nothing: the only way to learn whether the key (and the
        // algorithm) is right before a send is refused.
        match target.client.call(ListTemplates::default()) {
            Ok(list) => checks.push(Check {
                name: "signature",
                status: "ok",
                detail: format!(
                    "template/list accepted the signature ({} template(s))",
                    list.total
                ),
            }),
            Err(e) => {
                let f = client_failure(&e, None);
                let detail = match f.status {
                    Some(StatusCode::SignatureInvalid | StatusCode::SignatureParameterInvalid) => {
                        format!(
                            "the key is wrong: template/list (a signed call that sends nothing) \
                             was refused: {}. Copy SENDCLOUD_SMS_KEY again from the SendCloud \
                             console; if it is right, the account may expect the other algorithm \
                             (--sha256, or without it).",
                            f.what
                        )
                    }
                    Some(StatusCode::SmsUserNotFound | StatusCode::SmsUserEmpty) => format!(
                        "the user is unknown: template/list was refused: {}. Check SENDCLOUD_SMS_USER.",
                        f.what
                    ),
                    _ => format!(
                        "template/list (a signed call that sends nothing) failed: {} ({})",
                        f.what,
                        f.todo.unwrap_or_default()
                    ),
                };
                let code = if f.exit == REFUSED {
                    REFUSED
                } else {
                    TRANSPORT
                };
                fail(&mut checks, &mut exit, code, "signature", detail);
            }
        }
    }
    if g.json {
        let list: Vec<_> = checks
            .iter()
            .map(|c| json!({"name": c.name, "status": c.status, "detail": c.detail}))
            .collect();
        println!(
            "{}",
            json!({
                "ok": exit == OK,
                "exit_code": exit,
                "sandbox": target.as_ref().is_some_and(Target::is_sandbox),
                "base_url": base_url,
                "checks": list,
            })
        );
    } else {
        for c in &checks {
            println!("[{:^7}] {:<12} {}", c.status, c.name, c.detail);
        }
        if exit == OK {
            println!("No problem found.");
        } else {
            println!("Something is wrong: see the lines marked fail.");
        }
    }
    Ok(exit)
}
