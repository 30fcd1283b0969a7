//! `label/get`, `label/list`, `label/save`, `label/update`, `label/delete`: labels that
//! sends can carry (`labelId`) to group them in statistics.
//!
//! SendCloud's label page (`sources/sms/sms_label.md`) was copied from the sign page and
//! is inconsistent: it names the id `labelId` for get and `id` for update and delete, and
//! shows sign fields in its samples. This module sends `labelId` and `labelName`
//! throughout (the fields the page's answer tables name) and reads answers leniently:
//! `labelId` or `id`, `labelName` or `name`, the record at the top of `info` or under any
//! of `label`, `smsLabelVo`, `smsSignVo`; lists under `voList`, `list` or `dataList`.

use super::names;
use http::Method;
use serde_json::Value;

use super::lenient::{info_object, list, opt_u64, record, text};
use super::query::{check_text, Paging};
use crate::endpoint::Endpoint;
use crate::error::{Error, ValidationError};
use crate::form::Form;
use crate::response::Envelope;
use crate::values::LabelId;

/// Most characters in a label name (an assumption; the docs give no limit).
pub const MAX_LABEL_NAME_CHARS: usize = 50;

fn label_name(name: &str) -> Result<String, ValidationError> {
    check_text("labelName", name, MAX_LABEL_NAME_CHARS)
}

/// A label as SendCloud describes it. Fields missing from the answer are empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelInfo {
    /// The label's id (`labelId` in `send`).
    pub id: u64,
    /// The name.
    pub name: String,
    /// When it was created.
    pub create_time: String,
    /// When it last changed.
    pub update_time: String,
    /// The record as it came, with any field not modelled here.
    pub raw: Value,
}

impl LabelInfo {
    fn from_value(v: Value) -> LabelInfo {
        LabelInfo {
            id: opt_u64(&v, &["labelId", "id"]).unwrap_or(0),
            name: text(&v, &["labelName", "name"]),
            create_time: text(&v, &["createTime"]),
            update_time: text(&v, &["updateTime"]),
            raw: v,
        }
    }

    fn from_envelope(envelope: &Envelope<'_>) -> Result<LabelInfo, Error> {
        let info = info_object(envelope.info)?;
        let label = LabelInfo::from_value(
            record(&info, &["label", "smsLabelVo", "labelVo", "smsSignVo"]).clone(),
        );
        if label.id == 0 {
            return Err(Error::decode(
                "the answer describes no label",
                envelope.info.as_bytes(),
            ));
        }
        Ok(label)
    }
}

/// Reads one label (`POST label/get`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GetLabel(pub LabelId);

impl Endpoint for GetLabel {
    const PATH: &'static str = "label/get";
    const METHOD: Method = Method::POST;
    const SAFE_TO_REPEAT: bool = true;
    type Output = LabelInfo;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::LABEL_ID, self.0.to_string());
    }

    fn parse(envelope: Envelope<'_>) -> Result<LabelInfo, Error> {
        LabelInfo::from_envelope(&envelope)
    }
}

/// Lists labels (`POST label/list`), optionally by name and a page at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListLabels {
    name: Option<String>,
    paging: Option<Paging>,
}

impl ListLabels {
    /// Every label.
    pub fn new() -> ListLabels {
        ListLabels::default()
    }

    /// Only labels with this name.
    pub fn with_name(mut self, name: &str) -> Result<ListLabels, ValidationError> {
        self.name = Some(label_name(name)?);
        Ok(self)
    }

    /// Which page to fetch.
    pub fn with_paging(mut self, paging: Paging) -> ListLabels {
        self.paging = Some(paging);
        self
    }
}

impl Endpoint for ListLabels {
    const PATH: &'static str = "label/list";
    const METHOD: Method = Method::POST;
    const SAFE_TO_REPEAT: bool = true;
    type Output = Vec<LabelInfo>;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        if let Some(n) = &self.name {
            form.set(names::LABEL_NAME, n.clone());
        }
        if let Some(p) = self.paging {
            p.write(form);
        }
    }

    fn parse(envelope: Envelope<'_>) -> Result<Vec<LabelInfo>, Error> {
        let info = info_object(envelope.info)?;
        Ok(list(&info, &["voList", "list", "dataList"])
            .into_iter()
            .map(LabelInfo::from_value)
            .collect())
    }
}

/// Adds a label (`POST label/save`); it answers the new label.
///
/// ```
/// use sendcloud_proto::SaveLabel;
/// assert!(SaveLabel::new("spring campaign").is_ok());
/// assert!(SaveLabel::new("").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveLabel {
    name: String,
}

impl SaveLabel {
    /// A label named `name` (at most 50 characters).
    pub fn new(name: &str) -> Result<SaveLabel, ValidationError> {
        Ok(SaveLabel {
            name: label_name(name)?,
        })
    }
}

impl Endpoint for SaveLabel {
    const PATH: &'static str = "label/save";
    const METHOD: Method = Method::POST;
    type Output = LabelInfo;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::LABEL_NAME, self.name.clone());
    }

    fn parse(envelope: Envelope<'_>) -> Result<LabelInfo, Error> {
        LabelInfo::from_envelope(&envelope)
    }
}

/// Renames a label (`POST label/update`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateLabel {
    id: LabelId,
    name: String,
}

impl UpdateLabel {
    /// Renames label `id` to `name`.
    pub fn new(id: LabelId, name: &str) -> Result<UpdateLabel, ValidationError> {
        Ok(UpdateLabel {
            id,
            name: label_name(name)?,
        })
    }
}

impl Endpoint for UpdateLabel {
    const PATH: &'static str = "label/update";
    const METHOD: Method = Method::POST;
    type Output = ();

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::LABEL_ID, self.id.to_string());
        form.set(names::LABEL_NAME, self.name.clone());
    }

    fn parse(_envelope: Envelope<'_>) -> Result<(), Error> {
        Ok(())
    }
}

/// Deletes a label (`POST label/delete`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeleteLabel(pub LabelId);

impl Endpoint for DeleteLabel {
    const PATH: &'static str = "label/delete";
    const METHOD: Method = Method::POST;
    type Output = ();

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::LABEL_ID, self.0.to_string());
    }

    fn parse(_envelope: Envelope<'_>) -> Result<(), Error> {
        Ok(())
    }
}
