//! Small typed inputs: ids, codes, tags, message types and timestamps.

use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

use crate::error::ValidationError;

/// Most characters in a sendRequestId.
pub const MAX_REQUEST_ID_CHARS: usize = 128;
/// Most characters in a tag's JSON text.
pub const MAX_TAG_CHARS: usize = 128;

macro_rules! positive_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(NonZeroU64);

        impl $name {
            /// Checks that the id is positive.
            pub fn new(id: u64) -> Result<Self, ValidationError> {
                NonZeroU64::new(id)
                    .map($name)
                    .ok_or_else(|| ValidationError::new($field, "must be a positive integer"))
            }

            /// The id.
            pub fn get(self) -> u64 {
                self.0.get()
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let n: u64 = s.trim().parse().map_err(|_| {
                    ValidationError::new($field, format!("must be a positive integer, got {s:?}"))
                })?;
                $name::new(n)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

positive_id!(
    /// A template id (`templateId`): a positive integer.
    TemplateId,
    "templateId"
);
positive_id!(
    /// A label id (`labelId`): a positive integer.
    LabelId,
    "labelId"
);
positive_id!(
    /// A sign-name id (`signId`): a positive integer.
    SignId,
    "signId"
);

/// What kind of message a template send is (`msgType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MsgType {
    /// 0: a domestic SMS.
    #[default]
    Sms,
    /// 1: a domestic MMS.
    Mms,
    /// 2: an international SMS (numbers with a `00` prefix).
    International,
}

impl MsgType {
    /// The value sent.
    pub fn code(self) -> u8 {
        match self {
            MsgType::Sms => 0,
            MsgType::Mms => 1,
            MsgType::International => 2,
        }
    }

    /// The type for a sent value.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "0" => Some(MsgType::Sms),
            "1" => Some(MsgType::Mms),
            "2" => Some(MsgType::International),
            _ => None,
        }
    }

    pub(crate) fn as_param(self) -> &'static str {
        match self {
            MsgType::Sms => "0",
            MsgType::Mms => "1",
            MsgType::International => "2",
        }
    }
}

/// A verification code for sendVoice and sendCode: 4 to 6 digits.
///
/// ```
/// use sendcloud_proto::VerificationCode;
/// assert!(VerificationCode::new("123456").is_ok());
/// assert_eq!(VerificationCode::new("12a4").unwrap_err().field, "code");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VerificationCode(String);

impl VerificationCode {
    /// Checks a code.
    pub fn new(code: impl Into<String>) -> Result<Self, ValidationError> {
        let code = code.into();
        if !(4..=6).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "code",
                format!(
                    "must be 4 to 6 digits, got {} characters",
                    code.chars().count()
                ),
            ));
        }
        Ok(VerificationCode(code))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An idempotency key (`sendRequestId`): 1 to 128 characters, no control characters.
/// SendCloud processes requests with the same id within one hour only once, which is what
/// makes a retried send safe.
///
/// ```
/// use sendcloud_proto::SendRequestId;
/// assert!(SendRequestId::new("order-42").is_ok());
/// assert_eq!(SendRequestId::new("x".repeat(129)).unwrap_err().field, "sendRequestId");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SendRequestId(String);

impl SendRequestId {
    /// Checks an id.
    pub fn new(id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        let n = id.chars().count();
        if n == 0 {
            return Err(ValidationError::new("sendRequestId", "must not be empty"));
        }
        if n > MAX_REQUEST_ID_CHARS {
            return Err(ValidationError::new(
                "sendRequestId",
                format!("must be at most {MAX_REQUEST_ID_CHARS} characters, has {n}"),
            ));
        }
        if id.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "sendRequestId",
                "must not contain control characters",
            ));
        }
        Ok(SendRequestId(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SendRequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A `tag`: a JSON object of at most 128 characters, which SendCloud passes back in the
/// SMSHook events of the messages (as `customArgs`).
///
/// The API text asks for "JSON, at most 128 characters" and its example is an object;
/// the client and the sandbox both take only an object. [`Tag::parse`] counts the
/// characters of the compact text it sends; [`Tag::from_wire`], for a server, counts
/// them as received.
///
/// ```
/// use sendcloud_proto::Tag;
/// let t = Tag::parse(r#"{ "order": "42" }"#).unwrap();
/// assert_eq!(t.as_str(), r#"{"order":"42"}"#);
/// assert_eq!(Tag::parse("[1]").unwrap_err().field, "tag");
/// assert!(Tag::parse("42").unwrap_err().rule.contains("a JSON object"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tag(String);

impl Tag {
    /// Parses JSON text; it must be an object, at most 128 characters once compacted
    /// (the text that is sent).
    pub fn parse(json: &str) -> Result<Self, ValidationError> {
        let v = Tag::read(json)?;
        Tag::from_value(v)
    }

    /// Takes a JSON value; it must be an object, at most 128 characters as compact JSON.
    pub fn from_value(v: serde_json::Value) -> Result<Self, ValidationError> {
        if !v.is_object() {
            return Err(not_an_object(&v));
        }
        let text = v.to_string();
        check_tag_len(&text, "as compact JSON")?;
        Ok(Tag(text))
    }

    /// Checks a `tag` as a server receives it: a JSON object whose text, exactly as
    /// received, is at most 128 characters. Kept as received. Every tag
    /// [`Tag::as_str`] gives passes.
    ///
    /// ```
    /// use sendcloud_proto::Tag;
    /// assert!(Tag::from_wire(r#"{"order":"42"}"#).is_ok());
    /// assert!(Tag::from_wire(r#""order 42""#).is_err());
    /// ```
    pub fn from_wire(text: &str) -> Result<Self, ValidationError> {
        let v = Tag::read(text)?;
        if !v.is_object() {
            return Err(not_an_object(&v));
        }
        check_tag_len(text, "as sent")?;
        Ok(Tag(text.to_owned()))
    }

    fn read(json: &str) -> Result<serde_json::Value, ValidationError> {
        serde_json::from_str(json).map_err(|e| {
            ValidationError::new(
                "tag",
                format!("must be a JSON object of at most {MAX_TAG_CHARS} characters, e.g. {{\"order\":\"42\"}}; it is not JSON: {e}"),
            )
        })
    }

    /// The JSON text that is sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn not_an_object(v: &serde_json::Value) -> ValidationError {
    let kind = match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    };
    ValidationError::new(
        "tag",
        format!("must be a JSON object of at most {MAX_TAG_CHARS} characters, e.g. {{\"order\":\"42\"}}; it is {kind}"),
    )
}

fn check_tag_len(text: &str, how: &str) -> Result<(), ValidationError> {
    let n = text.chars().count();
    if n > MAX_TAG_CHARS {
        return Err(ValidationError::new(
            "tag",
            format!("must be a JSON object of at most {MAX_TAG_CHARS} characters; it has {n} characters {how}"),
        ));
    }
    Ok(())
}

/// A point in time as UNIX milliseconds, the unit SendCloud's `timestamp` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// From UNIX milliseconds.
    pub fn from_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    /// UNIX milliseconds.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// This time shifted by `offset_ms` (positive: later), saturating.
    pub fn offset_by(self, offset_ms: i64) -> Self {
        Timestamp(self.0.saturating_add_signed(offset_ms))
    }

    /// A point of a clock (the caller reads it: the core has none), in whole
    /// milliseconds; a time before 1970 is 0.
    pub fn from_system_time(t: std::time::SystemTime) -> Self {
        Timestamp(
            t.duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
