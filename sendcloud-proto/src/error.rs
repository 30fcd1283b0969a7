//! The one error type of the core.

use std::borrow::Cow;
use std::fmt;

use crate::status::StatusCode;

/// How many characters of an unexpected response body an error keeps.
pub const BODY_SNIPPET_CHARS: usize = 256;

/// A value that was refused when it was built, naming the field and the rule it broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// The API parameter (or typed input) that was wrong, e.g. `"phone"` or `"vars"`.
    pub field: &'static str,
    /// The rule it broke, in plain English.
    pub rule: Cow<'static, str>,
}

impl ValidationError {
    /// A new validation error for `field` breaking `rule`.
    pub fn new(field: &'static str, rule: impl Into<Cow<'static, str>>) -> Self {
        ValidationError {
            field,
            rule: rule.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.rule)
    }
}

impl std::error::Error for ValidationError {}

/// One recipient that SendCloud refused while accepting others (status 311) or all (312).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// The phone number as SendCloud echoed it.
    pub phone: String,
    /// SendCloud's reason (usually Chinese text, e.g. `手机号格式错误`).
    pub message: String,
}

/// Everything that can go wrong in the core.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Input was refused before anything was sent.
    Invalid(ValidationError),
    /// SendCloud answered, and refused the request.
    Api {
        /// The `statusCode` of the answer.
        status: StatusCode,
        /// The `message` of the answer.
        message: String,
        /// Recipients listed in `info.items`, when the answer had any (e.g. 312).
        rejected: Vec<Rejected>,
    },
    /// The HTTP status was not 2xx.
    Http {
        /// The HTTP status code.
        status: u16,
        /// The start of the body, at most [`BODY_SNIPPET_CHARS`] characters.
        body: String,
    },
    /// The body could not be decoded as a SendCloud answer.
    Decode {
        /// What was wrong with it.
        reason: String,
        /// The start of the body, at most [`BODY_SNIPPET_CHARS`] characters.
        body: String,
    },
}

impl Error {
    /// The SendCloud status code, for an [`Error::Api`].
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn decode(reason: impl Into<String>, body: &[u8]) -> Self {
        Error::Decode {
            reason: reason.into(),
            body: snippet(body),
        }
    }
}

/// The start of a body as text, bounded to [`BODY_SNIPPET_CHARS`] characters.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(BODY_SNIPPET_CHARS * 4)]);
    let mut out: String = text.chars().take(BODY_SNIPPET_CHARS).collect();
    if text.chars().count() > BODY_SNIPPET_CHARS || body.len() > BODY_SNIPPET_CHARS * 4 {
        out.push('…');
    }
    out
}

impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        Error::Invalid(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(e) => e.fmt(f),
            Error::Api {
                status,
                message,
                rejected,
            } => {
                write!(
                    f,
                    "SendCloud refused the request: {} {} ({message})",
                    status.code(),
                    status.meaning()
                )?;
                if !rejected.is_empty() {
                    write!(f, "; {} recipient(s) refused", rejected.len())?;
                }
                Ok(())
            }
            Error::Http { status, body } => {
                write!(
                    f,
                    "unexpected HTTP status {status} from SendCloud: {body:?}"
                )
            }
            Error::Decode { reason, body } => {
                write!(
                    f,
                    "could not decode SendCloud's answer ({reason}): {body:?}"
                )
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Invalid(e) => Some(e),
            _ => None,
        }
    }
}
