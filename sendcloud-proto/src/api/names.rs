//! The name of every request parameter: the client half writes a request with these, the
//! server half (`server::Incoming`) reads it with the same, so the two cannot disagree on
//! a spelling.

pub(crate) const SMS_USER: &str = "smsUser";
pub(crate) const TIMESTAMP: &str = "timestamp";

pub(crate) const PHONE: &str = "phone";
pub(crate) const TEMPLATE_ID: &str = "templateId";
pub(crate) const MSG_TYPE: &str = "msgType";
pub(crate) const VARS: &str = "vars";
pub(crate) const LABEL_ID: &str = "labelId";
pub(crate) const SEND_REQUEST_ID: &str = "sendRequestId";
pub(crate) const TAG: &str = "tag";
pub(crate) const CODE: &str = "code";
pub(crate) const SIGN_ID: &str = "signId";
pub(crate) const SIGN_NAME: &str = "signName";

pub(crate) const TEMPLATE_ID_STR: &str = "templateIdStr";
pub(crate) const TEMPLATE_NAME: &str = "templateName";
pub(crate) const TEMPLATE_TEXT: &str = "templateText";
pub(crate) const SIGN_POSITION: &str = "signPositionStr";
pub(crate) const SMS_TYPE: &str = "smsTypeStr";
pub(crate) const IS_VERIFY: &str = "isVerifyStr";

pub(crate) const ID: &str = "id";
pub(crate) const SIGN_TYPE: &str = "signType";
pub(crate) const LABEL_NAME: &str = "labelName";

pub(crate) const PHONES: &str = "phones";
pub(crate) const SMS_IDS: &str = "smsIds";
pub(crate) const MSG_TYPE_STR: &str = "msgTypeStr";
pub(crate) const TEMPLATE_IDS: &str = "templateIdsStr";
pub(crate) const AGGREGATE: &str = "aggregate";

pub(crate) const DAYS: &str = "days";
pub(crate) const START_DATE: &str = "startDate";
pub(crate) const END_DATE: &str = "endDate";
pub(crate) const START: &str = "start";
pub(crate) const LIMIT: &str = "limit";
