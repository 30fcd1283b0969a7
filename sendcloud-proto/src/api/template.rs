//! `template/get`, `template/list`, `template/addsms`, `template/submitsms`,
//! `template/updatesms`, `template/deletesms`: the SMS template registry.
//!
//! Parameters (SendCloud's docs, `sources/sms/sms_template.md`): the template id goes as
//! `templateIdStr`; a template is `templateName` (unique per account), `templateText`,
//! `signName` (the sender shown in 【】), `signPositionStr` (0 before the text, 1 after) and
//! `smsTypeStr` (0 verification code, 1 notice, 2 marketing); `template/list` filters by
//! `isVerifyStr` (0 pending, 1 approved, -1 rejected). A new or changed template must be
//! submitted (`template/submitsms`) and approved before it can be sent.
//!
//! Assumptions (the docs give no numbers): a template name has at most
//! [`MAX_TEMPLATE_NAME_CHARS`] characters, a text at most [`MAX_TEMPLATE_TEXT_CHARS`]
//! (SendCloud refuses longer messages with 460), a sign name at most
//! [`MAX_SIGN_NAME_CHARS`]; neither text nor sign name may contain `【` or `】`, since
//! SendCloud adds the brackets itself.

use super::names;
use http::Method;
use serde_json::Value;

use super::lenient::{info_object, list, opt_u64, record, text};
use super::query::check_text;
use crate::endpoint::Endpoint;
use crate::error::{Error, ValidationError};
use crate::form::Form;
use crate::response::Envelope;
use crate::values::TemplateId;

/// Most characters in a template name (an assumption; the docs give no limit).
pub const MAX_TEMPLATE_NAME_CHARS: usize = 50;
/// Most characters in a template text (SendCloud refuses messages over 500 characters).
pub const MAX_TEMPLATE_TEXT_CHARS: usize = 500;
/// Most characters in a sign name (an assumption; the docs give no limit).
pub const MAX_SIGN_NAME_CHARS: usize = 20;

/// What a template's messages are for (`smsTypeStr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SmsType {
    /// 0: verification codes.
    #[default]
    Code,
    /// 1: notices.
    Notice,
    /// 2: marketing.
    Marketing,
}

impl SmsType {
    /// The value sent.
    pub fn code(self) -> u8 {
        match self {
            SmsType::Code => 0,
            SmsType::Notice => 1,
            SmsType::Marketing => 2,
        }
    }

    /// Reads `code`, `notice`, `marketing`, or `0` to `2`.
    pub fn parse(text: &str) -> Result<SmsType, ValidationError> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "0" | "code" => SmsType::Code,
            "1" | "notice" => SmsType::Notice,
            "2" | "marketing" => SmsType::Marketing,
            _ => {
                return Err(ValidationError::new(
                    "smsTypeStr",
                    "must be code (0), notice (1) or marketing (2)",
                ))
            }
        })
    }
}

/// Where the sign name goes (`signPositionStr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SignPosition {
    /// 0: before the text (the default).
    #[default]
    Prefix,
    /// 1: after the text.
    Suffix,
}

impl SignPosition {
    /// The value sent.
    pub fn code(self) -> u8 {
        match self {
            SignPosition::Prefix => 0,
            SignPosition::Suffix => 1,
        }
    }
}

/// A template's review state (`isVerifyStr` / `isVerify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VerifyState {
    /// 0: waiting for review (or not submitted yet).
    Pending,
    /// 1: approved: the template can be sent.
    Approved,
    /// -1: refused.
    Rejected,
}

impl VerifyState {
    /// The value sent: `0`, `1` or `-1`.
    pub fn code(self) -> i8 {
        match self {
            VerifyState::Pending => 0,
            VerifyState::Approved => 1,
            VerifyState::Rejected => -1,
        }
    }

    /// Reads SendCloud's wording (`审核通过`, `待审核`, `审核不通过`, ...), a code (`1`, `0`,
    /// `-1`) or the English names `approved`, `pending`, `rejected`.
    pub fn parse(text: &str) -> Option<VerifyState> {
        let t = text.trim();
        Some(match t.to_ascii_lowercase().as_str() {
            "1" | "approved" | "审核通过" => VerifyState::Approved,
            "0" | "pending" | "待审核" | "审核中" | "未提交审核" | "未审核" => {
                VerifyState::Pending
            }
            "-1" | "rejected" | "审核不通过" | "审核未通过" | "审核失败" => {
                VerifyState::Rejected
            }
            _ => return None,
        })
    }
}

fn check_bracket_free(field: &'static str, v: String) -> Result<String, ValidationError> {
    if v.contains(['【', '】']) {
        return Err(ValidationError::new(
            field,
            "must not contain 【 or 】: SendCloud adds the brackets around the sign name",
        ));
    }
    Ok(v)
}

fn template_name(name: &str) -> Result<String, ValidationError> {
    check_text("templateName", name, MAX_TEMPLATE_NAME_CHARS)
}

fn template_text(text: &str) -> Result<String, ValidationError> {
    check_bracket_free(
        "templateText",
        check_text("templateText", text, MAX_TEMPLATE_TEXT_CHARS)?,
    )
}

/// Splits a template's text as SendCloud stores it (`【sign】body` or `body【sign】`) into
/// the sign name, where it stands and the body; `None` when the text carries no sign.
///
/// ```
/// use sendcloud_proto::{split_sign, SignPosition};
/// assert_eq!(split_sign("【Acme】Hi %name%"), Some(("Acme", SignPosition::Prefix, "Hi %name%")));
/// assert_eq!(split_sign("Hi%name%【Acme】"), Some(("Acme", SignPosition::Suffix, "Hi%name%")));
/// assert_eq!(split_sign("Hi"), None);
/// ```
pub fn split_sign(text: &str) -> Option<(&str, SignPosition, &str)> {
    if let Some((sign, body)) = text
        .strip_prefix('【')
        .and_then(|rest| rest.split_once('】'))
    {
        return Some((sign, SignPosition::Prefix, body));
    }
    let (body, sign) = text.strip_suffix('】')?.rsplit_once('【')?;
    Some((sign, SignPosition::Suffix, body))
}

/// Checks a sign name: not blank, at most [`MAX_SIGN_NAME_CHARS`] characters, no brackets.
pub fn sign_name(name: &str) -> Result<String, ValidationError> {
    check_bracket_free(
        "signName",
        check_text("signName", name, MAX_SIGN_NAME_CHARS)?,
    )
}

/// A template as SendCloud describes it. Fields missing from the answer are empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateInfo {
    /// The template id.
    pub id: u64,
    /// The name.
    pub name: String,
    /// The text as sent, with the sign name and `%name%` placeholders (`templateContent`).
    pub content: String,
    /// The message type as SendCloud words it, e.g. `国内短信`.
    pub msg_type: String,
    /// The content type as SendCloud words it, e.g. `验证码`.
    pub sms_type: String,
    /// The review state as SendCloud words it, e.g. `审核通过` (`isVerify`).
    pub verify: String,
    /// When it was created.
    pub create_time: String,
    /// When it last changed.
    pub update_time: String,
    /// The record as it came, with any field not modelled here.
    pub raw: Value,
}

impl TemplateInfo {
    fn from_value(v: Value) -> TemplateInfo {
        TemplateInfo {
            id: opt_u64(&v, &["templateId", "id"]).unwrap_or(0),
            name: text(&v, &["templateName", "name"]),
            content: text(&v, &["templateContent", "templateText", "content"]),
            msg_type: text(&v, &["msgType"]),
            sms_type: text(&v, &["smsType"]),
            verify: text(&v, &["isVerify", "verifyStatus"]),
            create_time: text(&v, &["createTime", "templateCreateTime"]),
            update_time: text(&v, &["updateTime", "templateUpdateTime"]),
            raw: v,
        }
    }

    /// The review state, when the wording is known.
    pub fn verify_state(&self) -> Option<VerifyState> {
        VerifyState::parse(&self.verify)
    }
}

/// Reads one template (`POST template/get`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GetTemplate(pub TemplateId);

impl Endpoint for GetTemplate {
    const PATH: &'static str = "template/get";
    const METHOD: Method = Method::POST;
    const SAFE_TO_REPEAT: bool = true;
    type Output = TemplateInfo;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::TEMPLATE_ID_STR, self.0.to_string());
    }

    fn parse(envelope: Envelope<'_>) -> Result<TemplateInfo, Error> {
        let info = info_object(envelope.info)?;
        let t = TemplateInfo::from_value(record(&info, &["template", "templateVo"]).clone());
        if t.id == 0 && t.name.is_empty() && t.content.is_empty() {
            return Err(Error::decode(
                "the answer describes no template",
                envelope.info.as_bytes(),
            ));
        }
        Ok(t)
    }
}

/// Lists the account's templates (`POST template/list`), optionally only those in one
/// review state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListTemplates {
    /// Only templates in this state.
    pub verify: Option<VerifyState>,
}

/// The templates of an account.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateList {
    /// How many there are (`total`, else the length of the list).
    pub total: u64,
    /// The templates.
    pub templates: Vec<TemplateInfo>,
}

impl Endpoint for ListTemplates {
    const PATH: &'static str = "template/list";
    const METHOD: Method = Method::POST;
    const SAFE_TO_REPEAT: bool = true;
    type Output = TemplateList;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        if let Some(v) = self.verify {
            form.set(names::IS_VERIFY, v.code().to_string());
        }
    }

    fn parse(envelope: Envelope<'_>) -> Result<TemplateList, Error> {
        let info = info_object(envelope.info)?;
        let templates: Vec<TemplateInfo> = list(&info, &["list", "voList", "dataList"])
            .into_iter()
            .map(TemplateInfo::from_value)
            .collect();
        let total = opt_u64(&info, &["total", "count"]).unwrap_or(templates.len() as u64);
        Ok(TemplateList { total, templates })
    }
}

/// Adds a template (`POST template/addsms`); it answers the new template's id. The
/// template still has to be submitted for review ([`SubmitTemplate`]).
///
/// ```
/// use sendcloud_proto::{AddTemplate, SmsType, SignPosition};
/// let add = AddTemplate::new("login code", "Your code is %code%.", "Acme", SmsType::Code)?
///     .with_sign_position(SignPosition::Suffix);
/// assert_eq!(add.text(), "Your code is %code%.");
/// assert!(AddTemplate::new("x", "【Acme】Your code", "Acme", SmsType::Code).is_err());
/// assert!(AddTemplate::new("x", &"a".repeat(501), "Acme", SmsType::Code).is_err());
/// # Ok::<(), sendcloud_proto::ValidationError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddTemplate {
    name: String,
    text: String,
    sign_name: String,
    sign_position: SignPosition,
    sms_type: SmsType,
}

impl AddTemplate {
    /// A template named `name` with `text` (placeholders written `%name%`), signed
    /// `sign_name`, for messages of `sms_type`.
    pub fn new(
        name: &str,
        text: &str,
        sign_name: &str,
        sms_type: SmsType,
    ) -> Result<AddTemplate, ValidationError> {
        Ok(AddTemplate {
            name: template_name(name)?,
            text: template_text(text)?,
            sign_name: self::sign_name(sign_name)?,
            sign_position: SignPosition::Prefix,
            sms_type,
        })
    }

    /// Puts the sign name after the text instead of before it.
    pub fn with_sign_position(mut self, position: SignPosition) -> AddTemplate {
        self.sign_position = position;
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The sign name.
    pub fn sign_name(&self) -> &str {
        &self.sign_name
    }
}

impl Endpoint for AddTemplate {
    const PATH: &'static str = "template/addsms";
    const METHOD: Method = Method::POST;
    type Output = TemplateId;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::TEMPLATE_NAME, self.name.clone());
        form.set(names::TEMPLATE_TEXT, self.text.clone());
        form.set(names::SIGN_NAME, self.sign_name.clone());
        form.set(names::SIGN_POSITION, self.sign_position.code().to_string());
        form.set(names::SMS_TYPE, self.sms_type.code().to_string());
    }

    fn parse(envelope: Envelope<'_>) -> Result<TemplateId, Error> {
        let info = info_object(envelope.info)?;
        opt_u64(record(&info, &["template"]), &["templateId", "id"])
            .and_then(|id| TemplateId::new(id).ok())
            .ok_or_else(|| {
                Error::decode(
                    "info.templateId is missing or not a positive integer",
                    envelope.info.as_bytes(),
                )
            })
    }
}

/// Changes a template (`POST template/updatesms`). A changed template goes back to review.
///
/// ```
/// use sendcloud_proto::{SmsType, TemplateId, UpdateTemplate};
/// let update = UpdateTemplate::new(TemplateId::new(7)?, "login code", "Acme", SmsType::Code)?
///     .with_text("Your login code is %code%.")?;
/// assert_eq!(update.text(), Some("Your login code is %code%."));
/// # Ok::<(), sendcloud_proto::ValidationError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateTemplate {
    id: TemplateId,
    name: String,
    text: Option<String>,
    sign_name: String,
    sign_position: SignPosition,
    sms_type: SmsType,
}

impl UpdateTemplate {
    /// Sets template `id`'s name, sign name and type (SendCloud requires all three), and
    /// keeps its text unless [`UpdateTemplate::with_text`] is used.
    pub fn new(
        id: TemplateId,
        name: &str,
        sign_name: &str,
        sms_type: SmsType,
    ) -> Result<UpdateTemplate, ValidationError> {
        Ok(UpdateTemplate {
            id,
            name: template_name(name)?,
            text: None,
            sign_name: self::sign_name(sign_name)?,
            sign_position: SignPosition::Prefix,
            sms_type,
        })
    }

    /// Replaces the text.
    pub fn with_text(mut self, text: &str) -> Result<UpdateTemplate, ValidationError> {
        self.text = Some(template_text(text)?);
        Ok(self)
    }

    /// Sets where the sign name goes.
    pub fn with_sign_position(mut self, position: SignPosition) -> UpdateTemplate {
        self.sign_position = position;
        self
    }

    /// The template.
    pub fn id(&self) -> TemplateId {
        self.id
    }
    /// The new text, if it changes.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }
}

impl Endpoint for UpdateTemplate {
    const PATH: &'static str = "template/updatesms";
    const METHOD: Method = Method::POST;
    type Output = ();

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::TEMPLATE_ID_STR, self.id.to_string());
        form.set(names::TEMPLATE_NAME, self.name.clone());
        if let Some(t) = &self.text {
            form.set(names::TEMPLATE_TEXT, t.clone());
        }
        form.set(names::SIGN_NAME, self.sign_name.clone());
        form.set(names::SIGN_POSITION, self.sign_position.code().to_string());
        form.set(names::SMS_TYPE, self.sms_type.code().to_string());
    }

    fn parse(_envelope: Envelope<'_>) -> Result<(), Error> {
        Ok(())
    }
}

/// Submits a template for review (`POST template/submitsms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubmitTemplate(pub TemplateId);

impl Endpoint for SubmitTemplate {
    const PATH: &'static str = "template/submitsms";
    const METHOD: Method = Method::POST;
    type Output = ();

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::TEMPLATE_ID_STR, self.0.to_string());
    }

    fn parse(_envelope: Envelope<'_>) -> Result<(), Error> {
        Ok(())
    }
}

/// Deletes a template (`POST template/deletesms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeleteTemplate(pub TemplateId);

impl Endpoint for DeleteTemplate {
    const PATH: &'static str = "template/deletesms";
    const METHOD: Method = Method::POST;
    type Output = ();

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::TEMPLATE_ID_STR, self.0.to_string());
    }

    fn parse(_envelope: Envelope<'_>) -> Result<(), Error> {
        Ok(())
    }
}
