//! The sandbox's side of the calls beyond sending: templates, sign names and labels that
//! the API creates, changes and deletes, and (in `reports`) delivery status and
//! statistics from the outbox.
//!
//! # Paths
//! `status/query`, `template/get|list|addsms|submitsms|updatesms|deletesms`,
//! `sign/get|list|save|update`, `label/get|list|save|update|delete`, `data/sendDay`,
//! `data/processFailed`, `data/sendFailed` (each with or without `/smsapi`), by GET or
//! POST, signed like every call (rules 1 to 3 of the crate documentation).
//! A missing or malformed parameter is 482; a template that does not exist is 431.
//!
//! # Templates
//! The templates of the configuration and those added with `template/addsms` share one
//! registry (ids go on from the largest ever used). A template added through the API is
//! stored as its text with the sign name in 【】 before it (`signPositionStr` 0) or after
//! it (1), and is **pending**: sending it gets 432. It becomes approved
//! - when `template/submitsms` submits it and [`Sandbox::approve_on_submit`] is on (the
//!   default): it is approved at once, and a `templateVerify` hook event (verify result 1)
//!   is queued;
//! - or by [`Sandbox::approve_template`], e.g. after a submit with approve-on-submit off;
//! - templates listed in the configuration keep their configured `approved`.
//!
//! `template/updatesms` sends a template back to review (pending, not submitted), as
//! SendCloud does; `template/deletesms` removes it (sending it then gets 431). Names are
//! unique. `template/list` filters with `isVerifyStr` 0 (pending) or 1 (approved); the
//! sandbox never rejects a template, so -1 lists none.
//!
//! # Sign names and labels
//! `sign/save` adds a sign name that `sendCode` can use at once (the sandbox approves sign
//! names immediately); `sign/update` renames one. Labels live only in the sandbox:
//! `label/save|update|delete` keep them, `label/get|list` read them (`labelId` or `id`,
//! `labelName`). Names are unique.

use serde_json::{json, Value};

use crate::config::{SignName, Template, TemplateKind};
use crate::registry::{Label, SignMeta, TemplateMeta};
use crate::reply::*;
use crate::route::Action;
use crate::Sandbox;
use sendcloud_proto::server::{check_text, Incoming, LabelParams, SignParams, TemplateParams};
use sendcloud_proto::Date;
use sendcloud_proto::Form;
use sendcloud_proto::StatusCode;
use sendcloud_proto::{
    AddTemplate, DeleteLabel, DeleteTemplate, GetLabel, GetSign, GetTemplate, ListLabels,
    ListTemplates, ProcessFailedStats, SaveLabel, SaveSign, SendDayStats, SendFailedStats,
    StatusQuery, SubmitTemplate, UpdateLabel, UpdateSign, UpdateTemplate,
};
use sendcloud_proto::{MAX_TEMPLATE_NAME_CHARS, MAX_TEMPLATE_TEXT_CHARS};

const SMS_TYPES: [&str; 3] = ["验证码", "行业通知", "营销"];

/// A positive id parameter, named `name` in a refusal.
fn id_param(value: Option<&str>, name: &str) -> Result<u64, Reply> {
    let raw = given(value).ok_or_else(|| bad(format!("{name} is missing")))?;
    raw.parse::<u64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        bad(format!(
            "{name} must be a positive integer, not {:?}",
            clip(raw, 32)
        ))
    })
}

/// A small-number parameter with allowed values, or its default when missing.
fn choice(
    value: Option<&str>,
    name: &str,
    allowed: &[u8],
    default: Option<u8>,
) -> Result<u8, Reply> {
    match given(value) {
        None => default.ok_or_else(|| bad(format!("{name} is missing"))),
        Some(v) => v
            .parse::<u8>()
            .ok()
            .filter(|x| allowed.contains(x))
            .ok_or_else(|| {
                bad(format!(
                    "{name} must be one of {allowed:?}, not {:?}",
                    clip(v, 16)
                ))
            }),
    }
}

fn checked(field: &'static str, v: &str, max: usize) -> Result<String, Reply> {
    check_text(field, v, max).map_err(bad)
}

fn checked_sign(v: &str) -> Result<String, Reply> {
    sendcloud_proto::server::sign_name(v).map_err(bad)
}

/// Splits a stored text into its sign name, position (0 before, 1 after) and body, as
/// the protocol reads it ([`sendcloud_proto::split_sign`]).
fn split_sign(text: &str) -> (String, u8, String) {
    match sendcloud_proto::split_sign(text) {
        Some((sign, position, body)) => (sign.to_owned(), position.code(), body.to_owned()),
        None => (String::new(), 0, text.to_owned()),
    }
}

fn compose(sign: &str, position: u8, body: &str) -> String {
    if position == 1 {
        format!("{body}【{sign}】")
    } else {
        format!("【{sign}】{body}")
    }
}

impl Sandbox {
    /// Whether `template/submitsms` approves a template at once (on by default). Turn it
    /// off to keep submitted templates pending until [`Sandbox::approve_template`].
    pub fn approve_on_submit(&self) -> bool {
        self.registry.approve_on_submit
    }

    /// Sets whether `template/submitsms` approves a template at once.
    pub fn set_approve_on_submit(&mut self, yes: bool) {
        self.registry.approve_on_submit = yes;
    }

    /// The name a template is known by: the one it was added or updated with, else
    /// `Template {id}`.
    pub fn template_name(&self, id: u64) -> Option<String> {
        let t = self.config.template(id)?;
        Some(
            self.registry
                .templates
                .get(&t.id)
                .map(|m| m.name.clone())
                .unwrap_or_else(|| format!("Template {}", t.id)),
        )
    }

    /// Answers a call beyond sending, for an authenticated `account`.
    pub(super) fn manage(
        &mut self,
        call: Action,
        form: &Form<'static>,
        account: usize,
        now: u64,
    ) -> Reply {
        // Each call reads its parameters as its endpoint in `sendcloud-proto` names them.
        let result = match call {
            Action::StatusQuery => self.status_query(StatusQuery::read(form), account, now),
            Action::SendDay => self.statistics(call, SendDayStats::read(form), account, now),
            Action::ProcessFailed => {
                self.statistics(call, ProcessFailedStats::read(form), account, now)
            }
            Action::SendFailed => self.statistics(call, SendFailedStats::read(form), account, now),
            Action::TemplateGet => self.template_get(GetTemplate::read(form), now),
            Action::TemplateList => self.template_list(ListTemplates::read(form), now),
            Action::TemplateAdd => self.template_add(AddTemplate::read(form), now),
            Action::TemplateSubmit => {
                self.template_submit(SubmitTemplate::read(form), account, now)
            }
            Action::TemplateUpdate => self.template_update(UpdateTemplate::read(form), now),
            Action::TemplateDelete => self.template_delete(DeleteTemplate::read(form)),
            Action::SignGet => self.sign_get(GetSign::read(form), now),
            Action::SignList => Ok(self.sign_list(now)),
            Action::SignSave => self.sign_save(SaveSign::read(form), now),
            Action::SignUpdate => self.sign_update(UpdateSign::read(form), now),
            Action::LabelGet => self.label_get(GetLabel::read(form)),
            Action::LabelList => self.label_list(ListLabels::read(form)),
            Action::LabelSave => self.label_save(SaveLabel::read(form), now),
            Action::LabelUpdate => self.label_update(UpdateLabel::read(form), now),
            Action::LabelDelete => self.label_delete(DeleteLabel::read(form)),
        };
        match result {
            Ok(r) | Err(r) => r,
        }
    }

    // ---- templates ----------------------------------------------------------------------

    fn template_meta(&self, t: &Template, now: u64) -> TemplateMeta {
        match self.registry.templates.get(&t.id) {
            Some(m) => m.clone(),
            None => {
                let (sign_name, sign_position, body) = split_sign(&t.text);
                TemplateMeta {
                    name: format!("Template {}", t.id),
                    body,
                    sign_name,
                    sign_position,
                    sms_type: 0,
                    submitted: t.approved,
                    created: now,
                    updated: now,
                }
            }
        }
    }

    fn template_json(&self, t: &Template, now: u64) -> Value {
        let m = self.template_meta(t, now);
        let created = Date::from_unix_millis(m.created).to_string();
        let updated = Date::from_unix_millis(m.updated).to_string();
        json!({
            "templateId": t.id,
            "templateName": m.name,
            "msgType": match t.kind { TemplateKind::Mms => "彩信", TemplateKind::Sms => "国内短信" },
            "smsType": SMS_TYPES.get(usize::from(m.sms_type)).copied().unwrap_or("验证码"),
            "isVerify": if t.approved { "审核通过" } else { "待审核" },
            "templateContent": t.text,
            "signName": m.sign_name,
            "submitted": m.submitted || t.approved,
            "createTime": created,
            "updateTime": updated,
            "templateCreateTime": created,
            "templateUpdateTime": updated,
        })
    }

    fn existing_template(&self, p: TemplateParams<'_>) -> Result<Template, Reply> {
        let id = id_param(p.id, "templateIdStr")?;
        self.config
            .template(id)
            .cloned()
            .ok_or_else(|| Reply::refuse(StatusCode::TemplateNotFound, format!("no template {id}")))
    }

    fn name_taken(&self, name: &str, except: Option<u64>, now: u64) -> bool {
        self.config
            .templates
            .iter()
            .filter(|t| Some(t.id) != except)
            .any(|t| self.template_meta(t, now).name == name)
    }

    fn template_get(&self, p: TemplateParams<'_>, now: u64) -> Result<Reply, Reply> {
        let t = self.existing_template(p)?;
        Ok(Reply::ok(StatusCode::Ok, self.template_json(&t, now)))
    }

    fn template_list(&self, p: TemplateParams<'_>, now: u64) -> Result<Reply, Reply> {
        let filter = match given(p.is_verify) {
            None => None,
            Some("0") => Some(Some(false)),
            Some("1") => Some(Some(true)),
            Some("-1") => Some(None),
            Some(other) => {
                return Err(bad(format!(
                    "isVerifyStr must be 0, 1 or -1, not {:?}",
                    clip(other, 16)
                )))
            }
        };
        let list: Vec<Value> = self
            .config
            .templates
            .iter()
            .filter(|t| match filter {
                None => true,
                Some(Some(approved)) => t.approved == approved,
                Some(None) => false,
            })
            .map(|t| self.template_json(t, now))
            .collect();
        Ok(Reply::ok(
            StatusCode::Ok,
            json!({ "total": list.len(), "list": list }),
        ))
    }

    fn template_add(&mut self, p: TemplateParams<'_>, now: u64) -> Result<Reply, Reply> {
        let name = checked(
            "templateName",
            required(p.name, "templateName")?,
            MAX_TEMPLATE_NAME_CHARS,
        )?;
        let body = checked(
            "templateText",
            required(p.text, "templateText")?,
            MAX_TEMPLATE_TEXT_CHARS,
        )?;
        let sign_name = checked_sign(required(p.sign_name, "signName")?)?;
        let sign_position = choice(p.sign_position, "signPositionStr", &[0, 1], Some(0))?;
        let sms_type = choice(p.sms_type, "smsTypeStr", &[0, 1, 2], None)?;
        if self.name_taken(&name, None, now) {
            return Err(bad(format!("a template named {name:?} exists")));
        }
        let id = self
            .config
            .templates
            .iter()
            .map(|t| t.id)
            .max()
            .unwrap_or(0)
            .max(self.registry.last_template_id)
            .saturating_add(1);
        self.registry.last_template_id = id;
        self.add_template(Template {
            id,
            text: compose(&sign_name, sign_position, &body),
            approved: false,
            kind: TemplateKind::Sms,
        });
        self.registry.templates.insert(
            id,
            TemplateMeta {
                name,
                body,
                sign_name,
                sign_position,
                sms_type,
                submitted: false,
                created: now,
                updated: now,
            },
        );
        Ok(Reply::ok(StatusCode::Ok, json!({ "templateId": id })))
    }

    fn template_submit(
        &mut self,
        p: TemplateParams<'_>,
        account: usize,
        now: u64,
    ) -> Result<Reply, Reply> {
        let t = self.existing_template(p)?;
        let mut meta = self.template_meta(&t, now);
        meta.submitted = true;
        meta.updated = now;
        self.registry.templates.insert(t.id, meta);
        if !t.approved && self.registry.approve_on_submit {
            self.approve_template(t.id);
            if self.config.queue_hook_events {
                let mut body = Form::with_capacity(8);
                body.set("eventType", "8");
                body.set("templateId", t.id.to_string());
                body.set("verifyResult", "1");
                body.set(
                    "smsUser",
                    self.config
                        .accounts
                        .get(account)
                        .map(|a| a.sms_user.clone())
                        .unwrap_or_default(),
                );
                body.set("message", "审核通过");
                let seed = format!("template-{}", t.id);
                let event = self.signed_hook("templateVerify", body, &seed, now);
                self.hooks.push(event);
                self.trim_hooks();
            }
        }
        Ok(Reply::ok(StatusCode::Ok, json!({})))
    }

    fn template_update(&mut self, p: TemplateParams<'_>, now: u64) -> Result<Reply, Reply> {
        let t = self.existing_template(p)?;
        let name = checked(
            "templateName",
            required(p.name, "templateName")?,
            MAX_TEMPLATE_NAME_CHARS,
        )?;
        let sign_name = checked_sign(required(p.sign_name, "signName")?)?;
        let sign_position = choice(p.sign_position, "signPositionStr", &[0, 1], Some(0))?;
        let sms_type = choice(p.sms_type, "smsTypeStr", &[0, 1, 2], None)?;
        let mut meta = self.template_meta(&t, now);
        if let Some(text) = given(p.text) {
            meta.body = checked("templateText", text, MAX_TEMPLATE_TEXT_CHARS)?;
        }
        if self.name_taken(&name, Some(t.id), now) {
            return Err(bad(format!("a template named {name:?} exists")));
        }
        meta.name = name;
        meta.sign_name = sign_name;
        meta.sign_position = sign_position;
        meta.sms_type = sms_type;
        meta.submitted = false;
        meta.updated = now;
        let text = compose(&meta.sign_name, meta.sign_position, &meta.body);
        self.registry.templates.insert(t.id, meta);
        self.add_template(Template {
            text,
            approved: false,
            ..t
        });
        Ok(Reply::ok(StatusCode::Ok, json!({})))
    }

    fn template_delete(&mut self, p: TemplateParams<'_>) -> Result<Reply, Reply> {
        let t = self.existing_template(p)?;
        self.config.templates.retain(|x| x.id != t.id);
        self.registry.templates.remove(&t.id);
        Ok(Reply::ok(StatusCode::Ok, json!({})))
    }

    // ---- sign names ---------------------------------------------------------------------

    fn sign_json(&self, s: &SignName, now: u64) -> Value {
        let (sign_type, created, updated) = match self.registry.signs.get(&s.id) {
            Some(m) => (m.sign_type, m.created, m.updated),
            None => (0, now, now),
        };
        json!({
            "id": s.id,
            "signName": s.name,
            "signType": sign_type,
            "signTypeDesc": if sign_type == 1 { "国际短信" } else { "国内短信" },
            "verifyStatus": "审核通过",
            "createTime": date_time(created),
            "updateTime": date_time(updated),
        })
    }

    fn existing_sign(&self, p: SignParams<'_>) -> Result<SignName, Reply> {
        let id = id_param(p.id, "id")?;
        self.config
            .sign_names
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or_else(|| bad(format!("no sign name with id {id}")))
    }

    fn sign_get(&self, p: SignParams<'_>, now: u64) -> Result<Reply, Reply> {
        let s = self.existing_sign(p)?;
        Ok(Reply::ok(
            StatusCode::Ok,
            json!({ "smsSignVo": self.sign_json(&s, now) }),
        ))
    }

    fn sign_list(&self, now: u64) -> Reply {
        let list: Vec<Value> = self
            .config
            .sign_names
            .iter()
            .map(|s| self.sign_json(s, now))
            .collect();
        Reply::ok(StatusCode::Ok, json!({ "voList": list }))
    }

    fn sign_save(&mut self, p: SignParams<'_>, now: u64) -> Result<Reply, Reply> {
        let name = checked_sign(required(p.name, "signName")?)?;
        let sign_type = choice(p.sign_type, "signType", &[0, 1], None)?;
        if self.config.sign_names.iter().any(|s| s.name == name) {
            return Err(bad(format!("a sign name {name:?} exists")));
        }
        let id = self
            .config
            .sign_names
            .iter()
            .map(|s| s.id)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        let sign = SignName { id, name };
        self.config.sign_names.push(sign.clone());
        self.registry.signs.insert(
            id,
            SignMeta {
                sign_type,
                created: now,
                updated: now,
            },
        );
        Ok(Reply::ok(
            StatusCode::Ok,
            json!({ "smsSignVo": self.sign_json(&sign, now) }),
        ))
    }

    fn sign_update(&mut self, p: SignParams<'_>, now: u64) -> Result<Reply, Reply> {
        let s = self.existing_sign(p)?;
        let name = checked_sign(required(p.name, "signName")?)?;
        let sign_type = choice(p.sign_type, "signType", &[0, 1], None)?;
        if self
            .config
            .sign_names
            .iter()
            .any(|x| x.name == name && x.id != s.id)
        {
            return Err(bad(format!("a sign name {name:?} exists")));
        }
        if let Some(x) = self.config.sign_names.iter_mut().find(|x| x.id == s.id) {
            x.name = name;
        }
        let created = self.registry.signs.get(&s.id).map_or(now, |m| m.created);
        self.registry.signs.insert(
            s.id,
            SignMeta {
                sign_type,
                created,
                updated: now,
            },
        );
        let sign = SignName {
            id: s.id,
            name: self
                .config
                .sign_names
                .iter()
                .find(|x| x.id == s.id)
                .map(|x| x.name.clone())
                .unwrap_or_default(),
        };
        Ok(Reply::ok(
            StatusCode::Ok,
            json!({ "smsSignVo": self.sign_json(&sign, now) }),
        ))
    }

    // ---- labels -------------------------------------------------------------------------

    fn label_json(id: u64, l: &Label) -> Value {
        json!({
            "labelId": id,
            "labelName": l.name,
            "createTime": date_time(l.created),
            "updateTime": date_time(l.updated),
        })
    }

    fn existing_label(&self, p: LabelParams<'_>) -> Result<u64, Reply> {
        let id = id_param(p.id, "labelId")?;
        if self.registry.labels.contains_key(&id) {
            Ok(id)
        } else {
            Err(bad(format!("no label {id}")))
        }
    }

    fn label_reply(&self, id: u64) -> Reply {
        let info = self
            .registry
            .labels
            .get(&id)
            .map_or_else(|| json!({}), |l| Self::label_json(id, l));
        Reply::ok(StatusCode::Ok, info)
    }

    fn label_name(&self, p: LabelParams<'_>, except: Option<u64>) -> Result<String, Reply> {
        let name = checked(
            "labelName",
            required(p.name, "labelName")?,
            sendcloud_proto::MAX_LABEL_NAME_CHARS,
        )?;
        if self
            .registry
            .labels
            .iter()
            .any(|(id, l)| l.name == name && Some(*id) != except)
        {
            return Err(bad(format!("a label named {name:?} exists")));
        }
        Ok(name)
    }

    fn label_get(&self, p: LabelParams<'_>) -> Result<Reply, Reply> {
        let id = self.existing_label(p)?;
        Ok(self.label_reply(id))
    }

    fn label_list(&self, p: LabelParams<'_>) -> Result<Reply, Reply> {
        let (start, limit) = paging(p.page)?;
        let name = given(p.name);
        let all: Vec<Value> = self
            .registry
            .labels
            .iter()
            .filter(|(_, l)| name.is_none_or(|n| l.name.contains(n)))
            .map(|(id, l)| Self::label_json(*id, l))
            .collect();
        let total = all.len();
        let page: Vec<Value> = all.into_iter().skip(start).take(limit).collect();
        Ok(Reply::ok(
            StatusCode::Ok,
            json!({ "total": total, "voList": page }),
        ))
    }

    fn label_save(&mut self, p: LabelParams<'_>, now: u64) -> Result<Reply, Reply> {
        let name = self.label_name(p, None)?;
        let id = self.registry.last_label_id.saturating_add(1);
        self.registry.last_label_id = id;
        self.registry.labels.insert(
            id,
            Label {
                name,
                created: now,
                updated: now,
            },
        );
        Ok(self.label_reply(id))
    }

    fn label_update(&mut self, p: LabelParams<'_>, now: u64) -> Result<Reply, Reply> {
        let id = self.existing_label(p)?;
        let name = self.label_name(p, Some(id))?;
        if let Some(l) = self.registry.labels.get_mut(&id) {
            l.name = name;
            l.updated = now;
        }
        Ok(self.label_reply(id))
    }

    fn label_delete(&mut self, p: LabelParams<'_>) -> Result<Reply, Reply> {
        let id = self.existing_label(p)?;
        self.registry.labels.remove(&id);
        Ok(Reply::ok(StatusCode::Ok, json!({})))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_split_and_compose() {
        assert_eq!(
            split_sign("【Acme】Hi %name%"),
            ("Acme".into(), 0, "Hi %name%".into())
        );
        assert_eq!(
            split_sign("Hi %name%【Acme】"),
            ("Acme".into(), 1, "Hi %name%".into())
        );
        assert_eq!(split_sign("Hi"), (String::new(), 0, "Hi".into()));
        assert_eq!(compose("A", 1, "x"), "x【A】");
        assert_eq!(date_time(1_458_113_381_893), "2016-03-16 07:29:41");
    }
}
