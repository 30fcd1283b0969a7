//! `send`: a template SMS or MMS to up to 2,000 recipients.

use super::names;
use http::Method;

use crate::endpoint::Endpoint;
use crate::error::{Error, ValidationError};
use crate::form::Form;
use crate::phone::Recipients;
use crate::response::{send_receipt, Envelope, SendReceipt};
use crate::values::{LabelId, MsgType, SendRequestId, Tag, TemplateId};
use crate::vars::Vars;

/// A template send (`POST send`).
///
/// ```
/// use sendcloud_proto::{Recipients, SendTemplate, TemplateId, Vars};
/// let mut vars = Vars::new();
/// vars.insert("code", "1234").unwrap();
/// let send = SendTemplate::new(TemplateId::new(1).unwrap(),
///                              Recipients::parse("13800000000").unwrap())
///     .with_vars(vars);
/// assert_eq!(send.recipients().len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendTemplate {
    template_id: TemplateId,
    msg_type: MsgType,
    recipients: Recipients,
    vars: Vars,
    label_id: Option<LabelId>,
    send_request_id: Option<SendRequestId>,
    tag: Option<Tag>,
}

impl SendTemplate {
    /// A send of `template_id` to `recipients`: an international SMS when the numbers are
    /// international, a domestic SMS otherwise.
    pub fn new(template_id: TemplateId, recipients: Recipients) -> Self {
        let msg_type = if recipients.is_international() {
            MsgType::International
        } else {
            MsgType::Sms
        };
        SendTemplate {
            template_id,
            msg_type,
            recipients,
            vars: Vars::new(),
            label_id: None,
            send_request_id: None,
            tag: None,
        }
    }

    /// Sets the message type. International numbers need [`MsgType::International`], and it
    /// needs international numbers.
    pub fn with_msg_type(mut self, msg_type: MsgType) -> Result<Self, ValidationError> {
        let intl = self.recipients.is_international();
        match (msg_type, intl) {
            (MsgType::International, false) => Err(ValidationError::new(
                "msgType",
                "an international send needs numbers with a + or 00 country prefix",
            )),
            (MsgType::Sms | MsgType::Mms, true) => Err(ValidationError::new(
                "msgType",
                "numbers with a + or 00 country prefix need msgType international (2)",
            )),
            _ => {
                self.msg_type = msg_type;
                Ok(self)
            }
        }
    }

    /// Sets the substitution variables.
    pub fn with_vars(mut self, vars: Vars) -> Self {
        self.vars = vars;
        self
    }

    /// Sets the label.
    pub fn with_label(mut self, label: LabelId) -> Self {
        self.label_id = Some(label);
        self
    }

    /// Sets the idempotency key.
    pub fn with_request_id(mut self, id: SendRequestId) -> Self {
        self.send_request_id = Some(id);
        self
    }

    /// Sets the tag.
    pub fn with_tag(mut self, tag: Tag) -> Self {
        self.tag = Some(tag);
        self
    }

    /// Replaces the recipients, keeping every other setting. The message type follows the
    /// numbers when they are international; an MMS stays an MMS for domestic numbers.
    pub fn with_recipients(mut self, recipients: Recipients) -> Self {
        self.msg_type = match (recipients.is_international(), self.msg_type) {
            (true, _) => MsgType::International,
            (false, MsgType::International) => MsgType::Sms,
            (false, other) => other,
        };
        self.recipients = recipients;
        self
    }

    /// The template.
    pub fn template_id(&self) -> TemplateId {
        self.template_id
    }
    /// The message type.
    pub fn msg_type(&self) -> MsgType {
        self.msg_type
    }
    /// The recipients.
    pub fn recipients(&self) -> &Recipients {
        &self.recipients
    }
    /// The variables.
    pub fn vars(&self) -> &Vars {
        &self.vars
    }
    /// The label.
    pub fn label_id(&self) -> Option<LabelId> {
        self.label_id
    }
    /// The tag.
    pub fn tag(&self) -> Option<&Tag> {
        self.tag.as_ref()
    }
}

impl Endpoint for SendTemplate {
    const PATH: &'static str = "send";
    const METHOD: Method = Method::POST;
    const CARRIES_SEND_REQUEST_ID: bool = true;
    type Output = SendReceipt;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        // In name order, so that each is appended.
        if let Some(label) = self.label_id {
            form.set_u64(names::LABEL_ID, label.get());
        }
        form.set(names::MSG_TYPE, self.msg_type.as_param());
        form.set_digits(names::PHONE, self.recipients.joined());
        super::common_params(form, self.send_request_id.as_ref(), self.tag.as_ref());
        form.set_u64(names::TEMPLATE_ID, self.template_id.get());
        if !self.vars.is_empty() {
            form.set_encoded(names::VARS, self.vars.json(), self.vars.json_encoded());
        }
    }

    fn parse(envelope: Envelope<'_>) -> Result<SendReceipt, Error> {
        send_receipt(envelope)
    }

    fn send_request_id(&self) -> Option<&SendRequestId> {
        self.send_request_id.as_ref()
    }

    fn already_accepted(&self) -> Option<SendReceipt> {
        Some(SendReceipt::already_accepted())
    }

    fn set_send_request_id(&mut self, id: SendRequestId) -> bool {
        self.send_request_id = Some(id);
        true
    }
}
