//! `sendcloud templates`: the template registry (list, get, add, update, delete, submit).

use clap::{Args, Subcommand};
use sendcloud_proto::{
    split_sign, AddTemplate, DeleteTemplate, GetTemplate, SignPosition, SmsType, SubmitTemplate,
    TemplateId, TemplateInfo, UpdateTemplate, VerifyState,
};
use sendcloud_ureq::Error as ClientError;
use serde_json::{json, Value};

use crate::output::{client_failure, invalid, invalid_flag, Failure, OK};
use crate::target::Target;
use crate::Global;

#[derive(Args, Debug)]
pub struct TemplatesArgs {
    #[command(subcommand)]
    command: TemplatesCommand,
}

#[derive(Subcommand, Debug)]
enum TemplatesCommand {
    /// List the templates
    List {
        /// Only templates in this review state: pending, approved or rejected
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
    },
    /// Show one template
    Get {
        /// The template id
        id: u64,
    },
    /// Add a template (it is pending until submitted and approved)
    Add(TemplateFields),
    /// Change a template (it goes back to review)
    Update {
        /// The template id
        id: u64,
        #[command(flatten)]
        fields: UpdateFields,
    },
    /// Delete a template
    Delete {
        /// The template id
        id: u64,
    },
    /// Submit a template for review
    Submit {
        /// The template id
        id: u64,
    },
}

#[derive(Args, Debug)]
struct TemplateFields {
    /// The template's name (unique)
    #[arg(long)]
    name: String,
    /// The text, with %name% placeholders, without the sign name
    #[arg(long)]
    text: String,
    /// The sign name SendCloud shows in 【】
    #[arg(long, value_name = "NAME")]
    sign: String,
    /// What the messages are: code, notice or marketing
    #[arg(long = "type", value_name = "TYPE", default_value = "code")]
    sms_type: String,
    /// Put the sign name after the text instead of before it
    #[arg(long)]
    suffix: bool,
}

/// What `templates update` changes; what is left out stays as the template has it (the
/// command reads the template first, since SendCloud needs name, sign and type every time).
#[derive(Args, Debug)]
struct UpdateFields {
    /// A new name (unchanged when left out)
    #[arg(long)]
    name: Option<String>,
    /// A new text (unchanged when left out)
    #[arg(long)]
    text: Option<String>,
    /// A new sign name (unchanged when left out)
    #[arg(long, value_name = "NAME")]
    sign: Option<String>,
    /// What the messages are: code, notice or marketing (unchanged when left out)
    #[arg(long = "type", value_name = "TYPE")]
    sms_type: Option<String>,
    /// Put the sign name after the text
    #[arg(long, conflicts_with = "prefix")]
    suffix: bool,
    /// Put the sign name before the text
    #[arg(long)]
    prefix: bool,
}

/// The content type of a template as SendCloud words it (`验证码`, `行业通知`, `营销`), or
/// as its code or English name.
fn sms_type_of(t: &TemplateInfo) -> Option<SmsType> {
    match t.sms_type.trim() {
        "验证码" => Some(SmsType::Code),
        "行业通知" | "通知" => Some(SmsType::Notice),
        "营销" => Some(SmsType::Marketing),
        other => SmsType::parse(other).ok(),
    }
}

/// The update of template `id`, from what the user gave and, for the rest, from the
/// template as it is (`current`).
fn update_of(
    id: TemplateId,
    f: &UpdateFields,
    current: &TemplateInfo,
) -> Result<UpdateTemplate, Failure> {
    let stored_sign = current
        .raw
        .get("signName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let from_text = split_sign(current.content.trim()).map(|(sign, place, _)| (sign, place));
    let name = f.name.as_deref().unwrap_or(&current.name);
    let sign = match (f.sign.as_deref(), stored_sign, from_text) {
        (Some(s), _, _) | (None, Some(s), _) | (None, None, Some((s, _))) => s,
        (None, None, None) => {
            return Err(Failure::usage(
                format!("template {id} shows no sign name to keep"),
                "Give the sign name with --sign.",
            ))
        }
    };
    let sms_type = match &f.sms_type {
        Some(t) => SmsType::parse(t).map_err(|e| invalid_flag(e, "--type"))?,
        None => sms_type_of(current).ok_or_else(|| {
            Failure::usage(
                format!(
                    "template {id} has a type this command does not know ({:?})",
                    current.sms_type
                ),
                "Give it with --type code, notice or marketing.",
            )
        })?,
    };
    let position = if f.suffix {
        SignPosition::Suffix
    } else if f.prefix {
        SignPosition::Prefix
    } else {
        from_text.map_or(SignPosition::Prefix, |(_, p)| p)
    };
    let mut u = UpdateTemplate::new(id, name, sign, sms_type)
        .map_err(invalid)?
        .with_sign_position(position);
    if let Some(t) = &f.text {
        u = u.with_text(t).map_err(|e| invalid_flag(e, "--text"))?;
    }
    Ok(u)
}

fn position(suffix: bool) -> SignPosition {
    if suffix {
        SignPosition::Suffix
    } else {
        SignPosition::Prefix
    }
}

fn template_json(t: &TemplateInfo) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "content": t.content,
        "verify": t.verify,
        "state": t.verify_state().map(|s| format!("{s:?}").to_lowercase()),
        "sms_type": t.sms_type,
        "msg_type": t.msg_type,
        "create_time": t.create_time,
        "update_time": t.update_time,
    })
}

fn print_template(t: &TemplateInfo) {
    let state = t
        .verify_state()
        .map_or_else(|| t.verify.clone(), |s| format!("{s:?}").to_lowercase());
    println!("  {:>5}  {}  [{}]  {}", t.id, t.name, state, t.content);
}

fn id(n: u64) -> Result<TemplateId, Failure> {
    TemplateId::new(n).map_err(invalid)
}

pub fn templates(g: &Global, a: &TemplatesArgs) -> Result<u8, Failure> {
    // Inputs are checked before anything is started.
    enum Job<'a> {
        List(sendcloud_proto::ListTemplates),
        Get(TemplateId),
        Add(AddTemplate),
        Update(TemplateId, &'a UpdateFields),
        Delete(TemplateId),
        Submit(TemplateId),
    }
    let job = match &a.command {
        TemplatesCommand::List { state } => {
            let verify = match state.as_deref() {
                None => None,
                Some(s) => Some(VerifyState::parse(s).ok_or_else(|| {
                    Failure::usage(
                        format!("--state {s:?} is not a review state"),
                        "Use --state pending, approved or rejected.",
                    )
                })?),
            };
            Job::List(sendcloud_proto::ListTemplates { verify })
        }
        TemplatesCommand::Get { id: n } => Job::Get(id(*n)?),
        TemplatesCommand::Add(f) => Job::Add(
            AddTemplate::new(
                &f.name,
                &f.text,
                &f.sign,
                SmsType::parse(&f.sms_type).map_err(invalid)?,
            )
            .map_err(invalid)?
            .with_sign_position(position(f.suffix)),
        ),
        TemplatesCommand::Update { id: n, fields: f } => {
            if let Some(t) = &f.sms_type {
                SmsType::parse(t).map_err(|e| invalid_flag(e, "--type"))?;
            }
            Job::Update(id(*n)?, f)
        }
        TemplatesCommand::Delete { id: n } => Job::Delete(id(*n)?),
        TemplatesCommand::Submit { id: n } => Job::Submit(id(*n)?),
    };
    let target = Target::connect(g)?;
    let c = &target.client;
    let fail = |e: ClientError| client_failure(&e, None);
    let (value, lines): (Value, Vec<String>) = match job {
        Job::List(l) => {
            let list = c.call(l).map_err(fail)?;
            target.note("asked");
            if !g.json {
                println!("{} template(s):", list.total);
                for t in &list.templates {
                    print_template(t);
                }
            }
            let ts: Vec<Value> = list.templates.iter().map(template_json).collect();
            (json!({ "total": list.total, "templates": ts }), Vec::new())
        }
        Job::Get(i) => {
            let t = c.call(GetTemplate(i)).map_err(fail)?;
            target.note("asked");
            if !g.json {
                print_template(&t);
            }
            (json!({ "template": template_json(&t) }), Vec::new())
        }
        Job::Add(add) => {
            let new = c.call(add).map_err(fail)?;
            target.note("asked");
            (
                json!({ "id": new.get() }),
                vec![
                    format!("Added template {new}."),
                    format!("Submit it for review with: sendcloud templates submit {new}"),
                ],
            )
        }
        Job::Update(i, f) => {
            let current = c.call(GetTemplate(i)).map_err(fail)?;
            c.call(update_of(i, f, &current)?).map_err(fail)?;
            target.note("asked");
            (
                json!({ "id": i.get() }),
                vec![format!(
                    "Updated template {i}; it goes back to review (sendcloud templates submit {i})."
                )],
            )
        }
        Job::Delete(i) => {
            c.call(DeleteTemplate(i)).map_err(fail)?;
            target.note("asked");
            (
                json!({ "id": i.get() }),
                vec![format!("Deleted template {i}.")],
            )
        }
        Job::Submit(i) => {
            c.call(SubmitTemplate(i)).map_err(fail)?;
            target.note("asked");
            (
                json!({ "id": i.get() }),
                vec![format!("Submitted template {i} for review.")],
            )
        }
    };
    if g.json {
        let mut v = value;
        if let Some(o) = v.as_object_mut() {
            o.insert("ok".into(), json!(true));
            o.insert("sandbox".into(), json!(target.is_sandbox()));
        }
        println!("{v}");
    } else {
        for l in lines {
            println!("{l}");
        }
    }
    Ok(OK)
}
