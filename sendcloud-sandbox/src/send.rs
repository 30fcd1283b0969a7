//! The three sends (`send`, `sendVoice`, `sendCode`): rules 5 to 7, the outbox and the
//! delivery outcome of each accepted message.

use serde_json::{json, Value};

use crate::config::*;
use crate::hook_queue::*;
use crate::outbox::*;
use crate::reply::*;
use crate::{hook_queue, Sandbox};
use sendcloud_proto::server::{CodeParams, SendParams};
use sendcloud_proto::Form;
use sendcloud_proto::StatusCode;
use sendcloud_proto::Timestamp;
use sendcloud_proto::MAX_RECIPIENTS;
use sendcloud_proto::{Phone, Tag};
use sendcloud_proto::{Vars, MAX_VAR_CHARS};

/// Longest text a message may have before processing fails with 460.
pub const MAX_TEXT_CHARS: usize = 500;

/// Checks one number for a message of `msg_type`: the core's rule for a number as sent
/// ([`Phone::from_wire`], the rule the client applies before sending), then that
/// international numbers (`00`) go with msgType 2 and only they do.
pub(crate) fn check_phone(phone: &str, msg_type: u8) -> Result<(), String> {
    let number = Phone::from_wire(phone).map_err(|e| e.rule.into_owned())?;
    if number.is_international() {
        if msg_type != 2 {
            return Err(format!("{phone}: international numbers need msgType 2"));
        }
    } else if msg_type == 2 {
        return Err(format!(
            "{phone}: msgType 2 (international) needs a number with a 00 country prefix"
        ));
    }
    Ok(())
}

/// Checks the `tag` of a send, when one is given, by the core's rule for a tag as sent
/// ([`Tag::from_wire`]: a JSON object of at most 128 characters): 482 otherwise.
pub(crate) fn check_tag(tag: Option<&str>) -> Result<(), Reply> {
    match tag.filter(|t| !t.trim().is_empty()) {
        Some(t) => Tag::from_wire(t)
            .map(|_| ())
            .map_err(|e| bad(format!("tag {}", e.rule))),
        None => Ok(()),
    }
}

/// Parses `vars` as the server does.
pub(crate) fn parse_vars(raw: Option<&str>) -> Result<(Vars, Value), Reply> {
    let Some(raw) = raw else {
        return Ok((Vars::new(), json!({})));
    };
    let value: Value = serde_json::from_str(raw)
        .map_err(|e| Reply::refuse(StatusCode::VarsInvalid, format!("vars is not JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(Reply::refuse(
            StatusCode::VarsInvalid,
            "vars must be a JSON object; send {} or leave vars out when there are none",
        ));
    };
    let mut vars = Vars::new();
    for (name, v) in &obj {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(Reply::refuse(
                    StatusCode::VarsInvalid,
                    format!("the value of {:?} must be a string", clip(name, 40)),
                ))
            }
        };
        let n = text.chars().count();
        if n > MAX_VAR_CHARS {
            return Err(Reply::refuse(
                StatusCode::VarTooLong,
                format!(
                    "the value of {:?} has {n} characters, at most {MAX_VAR_CHARS} are allowed",
                    clip(name, 40)
                ),
            ));
        }
        vars.insert(name, text)
            .map_err(|e| Reply::refuse(StatusCode::VarsInvalid, e.rule))?;
    }
    Ok((vars, Value::Object(obj)))
}

/// Whether `text` has a `%name%` placeholder that `vars` has no value for.
pub(crate) fn has_unfilled_placeholder(text: &str, vars: &Vars) -> bool {
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end)
                if end > 0
                    && after[..end]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
            {
                if vars.get(&after[..end]).is_none() {
                    return true;
                }
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    false
}

/// Six base-36 characters that look random but follow from `n`.
pub(crate) fn id_tail(n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let mut s = String::with_capacity(6);
    for _ in 0..6 {
        s.push(char::from(DIGITS[(z % 36) as usize]));
        z /= 36;
    }
    s
}

/// Copies the request's own fields into a hook event.
pub(crate) fn add_request_fields(
    body: &mut Form<'static>,
    request_id: Option<&str>,
    tag: Option<&str>,
    label: Option<&str>,
) {
    if let Some(id) = request_id {
        body.set("sendRequestId", id.to_owned());
    }
    if let Some(tag) = tag {
        body.set("customArgs", tag.to_owned());
    }
    if let Some(label) = label {
        body.set("labelId", label.to_owned());
    }
}

/// What an accepted request asks to send, before the messages are made.
pub(crate) struct Delivery<'a> {
    pub(crate) account: usize,
    pub(crate) kind: MessageKind,
    pub(crate) msg_type: u8,
    pub(crate) template_id: Option<u64>,
    /// The text for every number (it does not depend on the number).
    pub(crate) text: String,
    /// The request's vars as compact JSON (template sends with vars only).
    pub(crate) vars: Option<String>,
    /// Set when processing fails whatever the number (450, 460).
    pub(crate) content_failure: Option<StatusCode>,
    pub(crate) phones: Vec<&'a str>,
    /// What the request asks to be kept with each message and its hook events.
    pub(crate) request_id: Option<&'a str>,
    pub(crate) tag: Option<&'a str>,
    pub(crate) label: Option<&'a str>,
}

impl Sandbox {
    pub(crate) fn send(&mut self, p: SendParams<'_>, account: usize, now: u64) -> Reply {
        match self.try_send(p, account, now) {
            Ok(reply) | Err(reply) => reply,
        }
    }

    pub(crate) fn try_send(
        &mut self,
        p: SendParams<'_>,
        account: usize,
        now: u64,
    ) -> Result<Reply, Reply> {
        self.check_duplicate(p.send_request_id, account, now)?;
        check_tag(p.tag)?;
        let phone_param = given(p.phone)
            .ok_or_else(|| Reply::refuse(StatusCode::PhoneEmpty, "phone is missing"))?;
        let template_param = given(p.template_id)
            .ok_or_else(|| Reply::refuse(StatusCode::TemplateIdEmpty, "templateId is missing"))?;
        let template = template_param
            .parse::<u64>()
            .ok()
            .and_then(|id| self.config.template(id))
            .ok_or_else(|| {
                Reply::refuse(
                    StatusCode::TemplateNotFound,
                    format!("no template {:?}", clip(template_param, 32)),
                )
            })?;
        if !template.approved {
            return Err(Reply::refuse(
                StatusCode::TemplateNotApproved,
                format!("template {} is not approved", template.id),
            ));
        }
        let msg_type = match given(p.msg_type).unwrap_or("0") {
            "0" => 0u8,
            "1" => 1,
            "2" => 2,
            other => {
                return Err(Reply::refuse(
                    StatusCode::PhoneAndVarsInvalid,
                    format!("msgType must be 0, 1 or 2, not {:?}", clip(other, 16)),
                ))
            }
        };
        let kind_ok = match template.kind {
            TemplateKind::Sms => msg_type != 1,
            TemplateKind::Mms => msg_type == 1,
        };
        if !kind_ok {
            return Err(Reply::refuse(
                StatusCode::TemplateNotFound,
                format!(
                    "template {} is an {} template; msgType {msg_type} needs an {} template",
                    template.id,
                    template.kind.as_str().to_uppercase(),
                    if msg_type == 1 { "MMS" } else { "SMS" }
                ),
            ));
        }
        let (vars, vars_json) = parse_vars(given(p.vars))?;
        let template_id = template.id;
        let text = vars.render(&template.text);
        let content_failure = if has_unfilled_placeholder(&template.text, &vars) {
            Some(StatusCode::HookWrongVariable)
        } else if text.chars().count() > MAX_TEXT_CHARS {
            Some(StatusCode::HookContentTooLong)
        } else {
            None
        };

        let list: Vec<&str> = phone_param.split(',').map(str::trim).collect();
        if list.len() > MAX_RECIPIENTS {
            return Err(Reply::refuse(
                StatusCode::PhoneInvalid,
                format!(
                    "too many numbers: {}, at most {MAX_RECIPIENTS} per request",
                    list.len()
                ),
            ));
        }
        let mut seen = std::collections::HashSet::with_capacity(list.len());
        if let Some(dup) = list.iter().find(|p| !seen.insert(**p)) {
            return Err(Reply::refuse(
                StatusCode::PhoneDuplicate,
                format!("{} is listed twice", clip(dup, 24)),
            ));
        }

        let mut good = Vec::with_capacity(list.len());
        let mut items = Vec::new();
        let single = list.len() == 1;
        for phone in &list {
            let refusal = match check_phone(phone, msg_type) {
                Err(detail) => Some(Reply::refuse(StatusCode::PhoneInvalid, detail)),
                Ok(()) => self.check_rate(phone, now).err(),
            };
            match refusal {
                None => good.push(*phone),
                Some(r) if single => return Err(r),
                Some(r) => items.push(json!({
                    "phone": phone,
                    "vars": vars_json,
                    "message": r.message,
                    "statusCode": r.status.code(),
                })),
            }
        }
        if good.is_empty() {
            return Err(Reply {
                status: StatusCode::AllFailed,
                message: message_zh(StatusCode::AllFailed).to_owned(),
                info: json!({
                    "successCount": 0,
                    "failedCount": items.len(),
                    "items": items,
                    "smsIds": [],
                }),
            });
        }
        self.check_balance(good.len())?;
        let sms_ids = self.deliver(
            Delivery {
                account,
                kind: if msg_type == 1 {
                    MessageKind::Mms
                } else {
                    MessageKind::Sms
                },
                msg_type,
                template_id: Some(template_id),
                text,
                vars: vars_json
                    .as_object()
                    .filter(|o| !o.is_empty())
                    .map(|_| vars_json.to_string()),
                content_failure,
                phones: good,
                request_id: p.send_request_id,
                tag: p.tag,
                label: p.label_id,
            },
            now,
        );
        Ok(if items.is_empty() {
            Reply::ok(
                StatusCode::Ok,
                json!({ "successCount": sms_ids.len(), "smsIds": sms_ids }),
            )
        } else {
            Reply::ok(
                StatusCode::PartialSuccess,
                json!({
                    "successCount": sms_ids.len(),
                    "failedCount": items.len(),
                    "items": items,
                    "smsIds": sms_ids,
                }),
            )
        })
    }

    /// The one number of a voice or code message.
    pub(crate) fn single_phone(phone: Option<&str>, msg_type: u8) -> Result<&str, Reply> {
        let phone = given(phone)
            .ok_or_else(|| Reply::refuse(StatusCode::PhoneEmpty, "phone is missing"))?;
        if phone.contains(',') {
            return Err(Reply::refuse(
                StatusCode::PhoneInvalid,
                "this call takes exactly one number",
            ));
        }
        check_phone(phone, msg_type).map_err(|d| Reply::refuse(StatusCode::PhoneInvalid, d))?;
        Ok(phone)
    }

    pub(crate) fn code_param(code: Option<&str>) -> Result<&str, Reply> {
        let code = given(code)
            .ok_or_else(|| Reply::refuse(StatusCode::PhoneAndVarsEmpty, "code is missing"))?;
        if !(4..=6).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Reply::refuse(
                StatusCode::PhoneAndVarsInvalid,
                format!("code must be 4 to 6 digits, not {:?}", clip(code, 16)),
            ));
        }
        Ok(code)
    }

    pub(crate) fn send_voice(&mut self, p: CodeParams<'_>, account: usize, now: u64) -> Reply {
        let run = |this: &mut Self| -> Result<Reply, Reply> {
            this.check_duplicate(p.send_request_id, account, now)?;
            check_tag(p.tag)?;
            let phone = Self::single_phone(p.phone, 0)?;
            let code = Self::code_param(p.code)?;
            this.check_rate(phone, now)?;
            this.check_balance(1)?;
            let sms_ids = this.deliver(
                Delivery {
                    account,
                    kind: MessageKind::Voice,
                    msg_type: 0,
                    template_id: None,
                    text: format!("(voice call) Your verification code is {code}."),
                    vars: None,
                    content_failure: None,
                    phones: vec![phone],
                    request_id: p.send_request_id,
                    tag: p.tag,
                    label: p.label_id,
                },
                now,
            );
            Ok(Reply::ok(
                StatusCode::Ok,
                json!({ "successCount": sms_ids.len(), "smsIds": sms_ids }),
            ))
        };
        match run(self) {
            Ok(r) | Err(r) => r,
        }
    }

    pub(crate) fn send_code(&mut self, p: CodeParams<'_>, account: usize, now: u64) -> Reply {
        let run = |this: &mut Self| -> Result<Reply, Reply> {
            this.check_duplicate(p.send_request_id, account, now)?;
            check_tag(p.tag)?;
            let msg_type = match given(p.msg_type).unwrap_or("0") {
                "0" => 0u8,
                "2" => 2,
                other => {
                    return Err(Reply::refuse(
                        StatusCode::PhoneAndVarsInvalid,
                        format!(
                            "msgType of sendCode must be 0 or 2, not {:?}",
                            clip(other, 16)
                        ),
                    ))
                }
            };
            let phone = Self::single_phone(p.phone, msg_type)?;
            let code = Self::code_param(p.code)?;
            let sign = if let Some(id) = given(p.sign_id) {
                id.parse::<u64>()
                    .ok()
                    .and_then(|id| this.config.sign_names.iter().find(|s| s.id == id))
                    .ok_or_else(|| {
                        Reply::refuse(
                            StatusCode::NoPermission,
                            format!("no sign name with signId {:?}", clip(id, 32)),
                        )
                    })?
            } else if let Some(name) = given(p.sign_name) {
                this.config
                    .sign_names
                    .iter()
                    .find(|s| s.name == name)
                    .ok_or_else(|| {
                        Reply::refuse(
                            StatusCode::NoPermission,
                            format!("no sign name {:?}", clip(name, 64)),
                        )
                    })?
            } else {
                return Err(Reply::refuse(
                    StatusCode::PhoneAndVarsInvalid,
                    "signId or signName is required",
                ));
            };
            let text = format!("【{}】Your verification code is {code}.", sign.name);
            this.check_rate(phone, now)?;
            this.check_balance(1)?;
            let sms_ids = this.deliver(
                Delivery {
                    account,
                    kind: MessageKind::Code,
                    msg_type,
                    template_id: None,
                    text,
                    vars: None,
                    content_failure: None,
                    phones: vec![phone],
                    request_id: p.send_request_id,
                    tag: p.tag,
                    label: p.label_id,
                },
                now,
            );
            Ok(Reply::ok(
                StatusCode::Ok,
                json!({ "successCount": sms_ids.len(), "smsIds": sms_ids }),
            ))
        };
        match run(self) {
            Ok(r) | Err(r) => r,
        }
    }

    /// Accepts the messages of a request: outbox, rate counts, balance, dedupe, hooks.
    /// Returns their smsIds.
    pub(crate) fn deliver(&mut self, d: Delivery<'_>, now: u64) -> Vec<String> {
        let request_id = d.request_id.filter(|s| !s.is_empty());
        let tag = d.tag.filter(|s| !s.is_empty());
        let label = d.label.filter(|s| !s.is_empty());
        let sms_user = self
            .config
            .accounts
            .get(d.account)
            .map(|a| a.sms_user.clone())
            .unwrap_or_default();
        let mut sms_ids = Vec::with_capacity(d.phones.len());
        let mut events = Vec::new();
        for phone in &d.phones {
            self.accepted = self.accepted.saturating_add(1);
            let n = self.accepted;
            let sms_id = format!(
                "{now}_{n}_{}_{}_{}${phone}",
                d.account + 1,
                d.template_id.unwrap_or(0),
                id_tail(n)
            );
            let outcome = match d.content_failure {
                Some(status) => DeliveryOutcome::WorkerError(status),
                None => DeliveryOutcome::for_phone(phone),
            };
            self.rates
                .record(phone, now, self.config.max_tracked_numbers);
            if self.config.queue_hook_events {
                let mut body = Form::with_capacity(16);
                body.set("eventType", outcome.event_type().to_string());
                body.set("smsId", sms_id.clone());
                body.set("phone", (*phone).to_owned());
                body.set("smsUser", sms_user.clone());
                body.set("msgType", d.msg_type.to_string());
                body.set("statusCode", outcome.status().code().to_string());
                body.set("message", outcome.description());
                if !outcome.is_delivered() {
                    body.set(
                        "encodeMessage",
                        hook_queue::base64(outcome.description().as_bytes()),
                    );
                }
                if let Some(t) = d.template_id {
                    body.set("templateId", t.to_string());
                }
                add_request_fields(&mut body, request_id, tag, label);
                events.push(self.signed_hook(outcome.event(), body, &sms_id, now));
            }
            self.outbox.push(OutboxMessage {
                sms_id: sms_id.clone(),
                phone: (*phone).to_owned(),
                text: d.text.clone(),
                vars: d.vars.clone(),
                template_id: d.template_id,
                kind: d.kind,
                msg_type: d.msg_type,
                sms_user: sms_user.clone(),
                accepted_at: Timestamp(now),
                send_request_id: request_id.map(str::to_owned),
                tag: tag.map(str::to_owned),
                outcome,
            });
            sms_ids.push(sms_id);
        }
        if self.config.queue_hook_events && self.config.queue_request_events {
            let mut body = Form::with_capacity(16);
            body.set("eventType", "1");
            body.set("smsIds", json!(sms_ids).to_string());
            body.set("phones", json!(d.phones).to_string());
            body.set("smsUser", sms_user);
            body.set("msgType", d.msg_type.to_string());
            body.set("message", message_zh(StatusCode::Ok));
            if let Some(t) = d.template_id {
                body.set("templateId", t.to_string());
            }
            add_request_fields(&mut body, request_id, tag, label);
            let seed = sms_ids.first().cloned().unwrap_or_default();
            // The request event comes before the events of its messages.
            let event = self.signed_hook("request", body, &seed, now);
            self.hooks.push(event);
        }
        self.hooks.append(&mut events);
        self.trim_hooks();
        if let Some(left) = self.balance.as_mut() {
            *left = left.saturating_sub(sms_ids.len() as u64);
        }
        if let Some(id) = request_id {
            self.dedupe
                .record(d.account, id, now, self.config.max_request_ids);
        }
        self.trim_outbox();
        sms_ids
    }

    pub(crate) fn signed_hook(
        &mut self,
        event: &str,
        body: Form<'static>,
        seed: &str,
        now: u64,
    ) -> QueuedHookEvent {
        self.hook_counter = self.hook_counter.wrapping_add(1);
        QueuedHookEvent::signed(
            event,
            body,
            &self.config.hook_app_key,
            self.hook_counter,
            seed,
            now,
        )
    }

    /// Drops the oldest queued hook events beyond `hook_queue_limit`.
    pub(crate) fn trim_hooks(&mut self) {
        let limit = self.config.hook_queue_limit;
        if self.hooks.len() > limit {
            let excess = self.hooks.len() - limit;
            self.hooks.drain(..excess);
            self.hooks_dropped = self.hooks_dropped.saturating_add(excess as u64);
        }
    }

    /// Drops the oldest messages once the outbox is a quarter past its limit, down to
    /// the limit (so that dropping costs little per message).
    pub(crate) fn trim_outbox(&mut self) {
        if let Some(limit) = self.config.outbox_limit {
            let slack = limit / 4 + 1;
            if self.outbox.len() >= limit.saturating_add(slack) {
                let excess = self.outbox.len() - limit;
                self.outbox.drain(..excess);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn phones() {
        assert!(check_phone("13800000000", 0).is_ok());
        assert!(check_phone("13800000000", 2).is_err());
        assert!(check_phone("008613800000000", 2).is_ok());
        assert!(check_phone("008613800000000", 0).is_err());
        assert!(check_phone("+8613800000000", 2).is_err());
        assert!(check_phone("1312222", 0).is_err());
        assert!(check_phone("0008613800000000", 2).is_err());
        assert!(check_phone("", 0).is_err());
    }

    #[test]
    pub(crate) fn placeholders() {
        let mut v = Vars::new();
        assert!(v.insert("a", "1").is_ok());
        assert!(!has_unfilled_placeholder("x %a% y", &v));
        assert!(has_unfilled_placeholder("x %a% %b%", &v));
        assert!(!has_unfilled_placeholder("100% sure, 50% off", &v));
        assert!(!has_unfilled_placeholder("%", &v));
    }

    #[test]
    pub(crate) fn id_tails_are_deterministic_and_differ() {
        assert_eq!(id_tail(1), id_tail(1));
        assert_ne!(id_tail(1), id_tail(2));
        assert_eq!(id_tail(u64::MAX).len(), 6);
    }
}
