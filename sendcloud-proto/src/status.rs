//! Every status code of the SendCloud SMS API and of SMSHook events.

use std::fmt;

/// What a client should do about a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// The request was processed (200, 311).
    Success,
    /// A passing server fault; the same request may be sent again (501).
    Retryable,
    /// The timestamp was outside the server's window: learn the server clock, re-sign, retry (461).
    ClockSkew,
    /// Too many messages to one number (496 per minute, 498 per day).
    RateLimited,
    /// Sending the same request again gives the same answer.
    Permanent,
}

macro_rules! status_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $meaning:literal, $class:ident; )*) => {
        /// A SendCloud status code: the `statusCode` of an API answer or of an SMSHook event.
        ///
        /// Codes this crate does not know are kept in [`StatusCode::Unknown`], never lost.
        ///
        /// ```
        /// use sendcloud_proto::{RetryClass, StatusCode};
        /// let s = StatusCode::from_code(461);
        /// assert_eq!(s, StatusCode::InvalidTimestamp);
        /// assert_eq!(s.retry_class(), RetryClass::ClockSkew);
        /// assert_eq!(StatusCode::from_code(777), StatusCode::Unknown(777));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum StatusCode {
            $( $(#[$doc])* #[doc = $meaning] $variant, )*
            /// A code this version does not know, kept as it came.
            Unknown(i64),
        }

        impl StatusCode {
            /// Every known code, in numeric order.
            pub const ALL: &'static [StatusCode] = &[$(StatusCode::$variant,)*];

            /// The status for a numeric code.
            pub fn from_code(code: i64) -> StatusCode {
                match code {
                    $( $code => StatusCode::$variant, )*
                    other => StatusCode::Unknown(other),
                }
            }

            /// The numeric code.
            pub fn code(self) -> i64 {
                match self {
                    $( StatusCode::$variant => $code, )*
                    StatusCode::Unknown(c) => c,
                }
            }

            /// What the code means, in English.
            pub fn meaning(self) -> &'static str {
                match self {
                    $( StatusCode::$variant => $meaning, )*
                    StatusCode::Unknown(_) => "unknown status code",
                }
            }

            /// What a client should do about it.
            pub fn retry_class(self) -> RetryClass {
                match self {
                    $( StatusCode::$variant => RetryClass::$class, )*
                    StatusCode::Unknown(_) => RetryClass::Permanent,
                }
            }
        }
    };
}

status_codes! {
    Ok = 200, "request was successful", Success;
    PartialSuccess = 311, "some recipients were accepted and some refused", Success;
    AllFailed = 312, "every recipient was refused", Permanent;
    DuplicateRequest = 400, "duplicate request: this sendRequestId was processed within the last hour", Permanent;
    /// SMSHook.
    HookGlobalIntercept = 410, "processing failed: the number is in the global intercept list", Permanent;
    PhoneEmpty = 411, "phone number cannot be empty", Permanent;
    PhoneInvalid = 412, "invalid phone number format", Permanent;
    PhoneDuplicate = 413, "duplicate phone numbers", Permanent;
    /// SMSHook.
    HookLocalIntercept = 420, "processing failed: the number is in the local intercept list", Permanent;
    SignatureParameterInvalid = 421, "incorrect signature parameter", Permanent;
    SignatureInvalid = 422, "incorrect signature", Permanent;
    /// SMSHook.
    HookUnsubscribed = 430, "processing failed: the recipient unsubscribed", Permanent;
    TemplateNotFound = 431, "template does not exist", Permanent;
    TemplateNotApproved = 432, "template not submitted for verification or not approved", Permanent;
    TemplateIdEmpty = 433, "template ID cannot be empty", Permanent;
    /// SMSHook.
    HookKeywordFiltered = 440, "processing failed: keyword filtering", Permanent;
    VarsInvalid = 441, "invalid substitution variable format", Permanent;
    /// SMSHook.
    HookWrongVariable = 450, "processing failed: wrong substitution variable", Permanent;
    ScheduleTimeInvalid = 451, "invalid scheduled time format", Permanent;
    ScheduleTimeInPast = 452, "scheduled time is earlier than server time", Permanent;
    /// SMSHook.
    HookContentTooLong = 460, "processing failed: SMS content longer than 500 characters", Permanent;
    InvalidTimestamp = 461, "invalid timestamp: too far from the server's time", ClockSkew;
    SmsUserNotFound = 471, "smsUser does not exist", Permanent;
    SmsUserEmpty = 472, "smsUser cannot be empty", Permanent;
    NoPermissionFreeUser = 473, "no permission: free registered users are not eligible for SMS", Permanent;
    UserNotFound = 474, "user does not exist", Permanent;
    PhoneAndVarsEmpty = 481, "phone number and substitution variables cannot be empty", Permanent;
    PhoneAndVarsInvalid = 482, "invalid format of phone number and substitution variables", Permanent;
    VarTooLong = 483, "substitution variable longer than 32 characters", Permanent;
    RateLimitMinute = 496, "too many messages sent to this number within one minute", RateLimited;
    RateLimitDay = 498, "too many messages sent to this number in one day", RateLimited;
    InsufficientBalance = 499, "insufficient balance", Permanent;
    /// SMSHook.
    HookNumberNotExist = 500, "delivery failed: the number does not exist", Permanent;
    ServerError = 501, "server exception", Retryable;
    /// SMSHook.
    HookNumberOutOfService = 510, "delivery failed: the number is out of service", Permanent;
    /// SMSHook.
    HookTemplateComplained = 550, "delivery failed: the template content was complained about", Permanent;
    /// SMSHook.
    HookPoweredOff = 580, "delivery failed: the phone is powered off", Permanent;
    /// SMSHook.
    HookOther = 590, "delivery failed: other reasons", Permanent;
    NoPermission = 601, "no permission", Permanent;
}

impl StatusCode {
    /// Whether the request was processed (200 or 311).
    pub fn is_success(self) -> bool {
        self.retry_class() == RetryClass::Success
    }

    /// Whether this is one of the SMSHook processing (410..=460) or delivery (500..=590) codes.
    pub fn is_hook_code(self) -> bool {
        matches!(
            self,
            StatusCode::HookGlobalIntercept
                | StatusCode::HookLocalIntercept
                | StatusCode::HookUnsubscribed
                | StatusCode::HookKeywordFiltered
                | StatusCode::HookWrongVariable
                | StatusCode::HookContentTooLong
                | StatusCode::HookNumberNotExist
                | StatusCode::HookNumberOutOfService
                | StatusCode::HookTemplateComplained
                | StatusCode::HookPoweredOff
                | StatusCode::HookOther
        )
    }

    /// What a user should do about this code, in one sentence.
    pub fn advice(self) -> &'static str {
        match self.retry_class() {
            RetryClass::Success => "Nothing: the request was processed.",
            RetryClass::Retryable => "Retry later with the same sendRequestId; the client does this by itself.",
            RetryClass::ClockSkew => "Fix the local clock, or let the client resync from timestamp/get (it does so by itself).",
            RetryClass::RateLimited => "Wait before sending to this number again; the limits are per minute and per day.",
            RetryClass::Permanent => match self {
                StatusCode::DuplicateRequest => "The first request with this sendRequestId was already processed; do not resend it.",
                StatusCode::SignatureInvalid | StatusCode::SignatureParameterInvalid => {
                    "Check the SMS key and the signature algorithm; `sendcloud sign` shows what is signed."
                }
                StatusCode::SmsUserNotFound | StatusCode::SmsUserEmpty | StatusCode::UserNotFound => {
                    "Check SENDCLOUD_SMS_USER: it is the API user, not the login name."
                }
                StatusCode::TemplateNotFound | StatusCode::TemplateNotApproved | StatusCode::TemplateIdEmpty => {
                    "Use the id of an approved template of this account."
                }
                StatusCode::InsufficientBalance => "Top up the account balance.",
                _ => "Change the request; sending it again as it is gives the same answer.",
            },
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.meaning())
    }
}
