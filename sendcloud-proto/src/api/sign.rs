//! `sign/get`, `sign/list`, `sign/save`, `sign/update`: the account's sign names (the
//! sender shown in 【】 at the start or end of a message).
//!
//! Parameters (SendCloud's docs, `sources/sms/sms_sign.md`): `id` (the sign's id),
//! `signName`, `signType` (0 domestic, 1 international). Answers carry the sign as
//! `info.smsSignVo` (one) or `info.voList` (a list). The docs title the update call
//! `sign/updatesms` but show `sign/update` in the example; `sign/update` is used.

use super::names;
use http::Method;
use serde_json::Value;

use super::lenient::{info_object, list, opt_u64, record, text};
use super::template::sign_name;
use crate::endpoint::Endpoint;
use crate::error::{Error, ValidationError};
use crate::form::Form;
use crate::response::Envelope;
use crate::values::SignId;

/// Whether a sign name is for domestic or international messages (`signType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SignType {
    /// 0: domestic messages.
    #[default]
    Domestic,
    /// 1: international messages.
    International,
}

impl SignType {
    /// The value sent.
    pub fn code(self) -> u8 {
        match self {
            SignType::Domestic => 0,
            SignType::International => 1,
        }
    }
}

/// A sign name as SendCloud describes it. Fields missing from the answer are empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SignInfo {
    /// The sign's id (`signId` in `sendCode`).
    pub id: u64,
    /// The sign name.
    pub name: String,
    /// The type as SendCloud words it, e.g. `国内短信` (`signTypeDesc`).
    pub sign_type: String,
    /// The review state as SendCloud words it, e.g. `审核通过`.
    pub verify_status: String,
    /// When it was created.
    pub create_time: String,
    /// When it last changed.
    pub update_time: String,
    /// The record as it came, with any field not modelled here.
    pub raw: Value,
}

impl SignInfo {
    fn from_value(v: Value) -> SignInfo {
        SignInfo {
            id: opt_u64(&v, &["id", "signId"]).unwrap_or(0),
            name: text(&v, &["signName", "name"]),
            sign_type: text(&v, &["signTypeDesc", "signType"]),
            verify_status: text(&v, &["verifyStatus", "isVerify"]),
            create_time: text(&v, &["createTime"]),
            update_time: text(&v, &["updateTime"]),
            raw: v,
        }
    }

    fn from_envelope(envelope: &Envelope<'_>) -> Result<SignInfo, Error> {
        let info = info_object(envelope.info)?;
        let sign = SignInfo::from_value(record(&info, &["smsSignVo", "sign"]).clone());
        if sign.id == 0 && sign.name.is_empty() {
            return Err(Error::decode(
                "the answer describes no sign name",
                envelope.info.as_bytes(),
            ));
        }
        Ok(sign)
    }
}

/// Reads one sign name (`POST sign/get`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GetSign(pub SignId);

impl Endpoint for GetSign {
    const PATH: &'static str = "sign/get";
    const METHOD: Method = Method::POST;
    const SAFE_TO_REPEAT: bool = true;
    type Output = SignInfo;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::ID, self.0.to_string());
    }

    fn parse(envelope: Envelope<'_>) -> Result<SignInfo, Error> {
        SignInfo::from_envelope(&envelope)
    }
}

/// Lists the account's sign names (`POST sign/list`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListSigns;

impl Endpoint for ListSigns {
    const PATH: &'static str = "sign/list";
    const METHOD: Method = Method::POST;
    const SAFE_TO_REPEAT: bool = true;
    type Output = Vec<SignInfo>;

    fn params(&self, _form: &mut Form) {}

    fn parse(envelope: Envelope<'_>) -> Result<Vec<SignInfo>, Error> {
        let info = info_object(envelope.info)?;
        Ok(list(&info, &["voList", "list", "dataList"])
            .into_iter()
            .map(SignInfo::from_value)
            .collect())
    }
}

/// Adds a sign name (`POST sign/save`); it answers the new sign.
///
/// ```
/// use sendcloud_proto::{SaveSign, SignType};
/// assert!(SaveSign::new("Acme", SignType::Domestic).is_ok());
/// assert!(SaveSign::new("【Acme】", SignType::Domestic).is_err());
/// assert!(SaveSign::new(" ", SignType::Domestic).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveSign {
    name: String,
    sign_type: SignType,
}

impl SaveSign {
    /// A sign `name` (without brackets, at most 20 characters) of `sign_type`.
    pub fn new(name: &str, sign_type: SignType) -> Result<SaveSign, ValidationError> {
        Ok(SaveSign {
            name: sign_name(name)?,
            sign_type,
        })
    }
}

impl Endpoint for SaveSign {
    const PATH: &'static str = "sign/save";
    const METHOD: Method = Method::POST;
    type Output = SignInfo;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::SIGN_NAME, self.name.clone());
        form.set(names::SIGN_TYPE, self.sign_type.code().to_string());
    }

    fn parse(envelope: Envelope<'_>) -> Result<SignInfo, Error> {
        SignInfo::from_envelope(&envelope)
    }
}

/// Changes a sign name (`POST sign/update`); it answers the changed sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateSign {
    id: SignId,
    name: String,
    sign_type: SignType,
}

impl UpdateSign {
    /// Sets sign `id`'s name and type.
    pub fn new(id: SignId, name: &str, sign_type: SignType) -> Result<UpdateSign, ValidationError> {
        Ok(UpdateSign {
            id,
            name: sign_name(name)?,
            sign_type,
        })
    }
}

impl Endpoint for UpdateSign {
    const PATH: &'static str = "sign/update";
    const METHOD: Method = Method::POST;
    type Output = SignInfo;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::ID, self.id.to_string());
        form.set(names::SIGN_NAME, self.name.clone());
        form.set(names::SIGN_TYPE, self.sign_type.code().to_string());
    }

    fn parse(envelope: Envelope<'_>) -> Result<SignInfo, Error> {
        SignInfo::from_envelope(&envelope)
    }
}
