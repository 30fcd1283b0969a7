//! `sendCode`: a verification code by SMS, without a template.

use super::names;
use http::Method;

use crate::endpoint::Endpoint;
use crate::error::{Error, ValidationError};
use crate::form::Form;
use crate::phone::Phone;
use crate::response::{send_receipt, Envelope, SendReceipt};
use crate::values::{SendRequestId, SignId, Tag, VerificationCode};

/// The sign name (the sender shown in the message) of a code SMS, by id or by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SignRef {
    /// `signId`.
    Id(SignId),
    /// `signName`.
    Name(String),
}

impl SignRef {
    /// A sign name; it must be non-empty and at most 64 characters.
    pub fn name(name: impl Into<String>) -> Result<Self, ValidationError> {
        let name = name.into();
        let n = name.trim().chars().count();
        if n == 0 || n > 64 || name.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "signName",
                "must be 1 to 64 characters with no control characters",
            ));
        }
        Ok(SignRef::Name(name))
    }
}

/// A code SMS (`POST sendCode`) to one number; msgType 2 when the number is international.
///
/// ```
/// use sendcloud_proto::{Phone, SendCode, SignRef, VerificationCode};
/// let c = SendCode::new(Phone::parse("+85212345678").unwrap(),
///                       VerificationCode::new("654321").unwrap(),
///                       SignRef::name("Acme").unwrap());
/// assert!(c.phone().is_international());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendCode {
    phone: Phone,
    code: VerificationCode,
    sign: SignRef,
    send_request_id: Option<SendRequestId>,
    tag: Option<Tag>,
}

impl SendCode {
    /// A code SMS to `phone` with `code`, signed as `sign`.
    pub fn new(phone: Phone, code: VerificationCode, sign: SignRef) -> Self {
        SendCode {
            phone,
            code,
            sign,
            send_request_id: None,
            tag: None,
        }
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
    /// The number.
    pub fn phone(&self) -> &Phone {
        &self.phone
    }
    /// The code.
    pub fn code(&self) -> &VerificationCode {
        &self.code
    }
    /// The sign name.
    pub fn sign(&self) -> &SignRef {
        &self.sign
    }
}

impl Endpoint for SendCode {
    const PATH: &'static str = "sendCode";
    const METHOD: Method = Method::POST;
    const CARRIES_SEND_REQUEST_ID: bool = true;
    type Output = SendReceipt;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(
            names::MSG_TYPE,
            if self.phone.is_international() {
                "2"
            } else {
                "0"
            },
        );
        form.set(names::PHONE, self.phone.as_str());
        form.set(names::CODE, self.code.as_str());
        match &self.sign {
            SignRef::Id(id) => form.set(names::SIGN_ID, id.to_string()),
            SignRef::Name(name) => form.set(names::SIGN_NAME, name.as_str()),
        }
        super::common_params(form, self.send_request_id.as_ref(), self.tag.as_ref());
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
