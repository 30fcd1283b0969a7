//! What the management calls keep beside the configuration: the templates, sign names
//! and labels added or changed through the API.

use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub(crate) struct TemplateMeta {
    pub(crate) name: String,
    /// The text without the sign name.
    pub(crate) body: String,
    pub(crate) sign_name: String,
    pub(crate) sign_position: u8,
    pub(crate) sms_type: u8,
    pub(crate) submitted: bool,
    pub(crate) created: u64,
    pub(crate) updated: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct SignMeta {
    pub(crate) sign_type: u8,
    pub(crate) created: u64,
    pub(crate) updated: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Label {
    pub(crate) name: String,
    pub(crate) created: u64,
    pub(crate) updated: u64,
}

/// What the management calls keep beside the configuration.
#[derive(Clone, Debug)]
pub(crate) struct Registry {
    pub(crate) templates: BTreeMap<u64, TemplateMeta>,
    pub(crate) signs: BTreeMap<u64, SignMeta>,
    pub(crate) labels: BTreeMap<u64, Label>,
    pub(crate) last_template_id: u64,
    pub(crate) last_label_id: u64,
    pub(crate) approve_on_submit: bool,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            templates: BTreeMap::new(),
            signs: BTreeMap::new(),
            labels: BTreeMap::new(),
            last_template_id: 0,
            last_label_id: 0,
            approve_on_submit: true,
        }
    }
}
