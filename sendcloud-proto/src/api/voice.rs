//! `sendVoice`: a verification code read out by a voice call.

use super::names;
use http::Method;

use crate::endpoint::Endpoint;
use crate::error::{Error, ValidationError};
use crate::form::Form;
use crate::phone::Phone;
use crate::response::{send_receipt, Envelope, SendReceipt};
use crate::values::{SendRequestId, Tag, VerificationCode};

/// A voice verification code (`POST sendVoice`) to one number.
///
/// ```
/// use sendcloud_proto::{Phone, SendVoice, VerificationCode};
/// let v = SendVoice::new(Phone::parse("13800000000").unwrap(),
///                        VerificationCode::new("1234").unwrap()).unwrap();
/// assert_eq!(v.code().as_str(), "1234");
/// // Voice calls go to domestic numbers only (sendVoice has no msgType).
/// let e = SendVoice::new(Phone::parse("+85212345678").unwrap(),
///                        VerificationCode::new("1234").unwrap()).unwrap_err();
/// assert_eq!(e.field, "phone");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendVoice {
    phone: Phone,
    code: VerificationCode,
    send_request_id: Option<SendRequestId>,
    tag: Option<Tag>,
}

impl SendVoice {
    /// A voice call to `phone` that reads `code`. The number must be domestic: sendVoice
    /// has no msgType, and SendCloud refuses `00` numbers there.
    pub fn new(phone: Phone, code: VerificationCode) -> Result<Self, ValidationError> {
        if phone.is_international() {
            return Err(ValidationError::new(
                "phone",
                "a voice call goes to a domestic number; international numbers (+ or 00) can get a code by SMS (sendCode)",
            ));
        }
        Ok(SendVoice {
            phone,
            code,
            send_request_id: None,
            tag: None,
        })
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
    /// The number called.
    pub fn phone(&self) -> &Phone {
        &self.phone
    }
    /// The code read out.
    pub fn code(&self) -> &VerificationCode {
        &self.code
    }
}

impl Endpoint for SendVoice {
    const PATH: &'static str = "sendVoice";
    const METHOD: Method = Method::POST;
    const CARRIES_SEND_REQUEST_ID: bool = true;
    type Output = SendReceipt;

    fn params<'a>(&'a self, form: &mut Form<'a>) {
        form.set(names::PHONE, self.phone.as_str());
        form.set(names::CODE, self.code.as_str());
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
