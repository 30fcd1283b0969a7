//! The API user and its key. The key never shows in Debug, Display, errors or logs.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::ValidationError;

/// A secret (the SMS key, or an SMSHook app key): redacted when printed, zeroized on drop.
///
/// ```
/// use sendcloud_proto::Secret;
/// let key = Secret::new("super-secret");
/// assert_eq!(format!("{key:?}"), "Secret(***)");
/// assert_eq!(key.expose(), "super-secret");
/// ```
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret itself, for signing. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl PartialEq for Secret {
    /// Constant-time comparison of two secrets.
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}

/// The API user (`smsUser`) and its SMS key.
///
/// ```
/// use sendcloud_proto::Credentials;
/// let c = Credentials::new("my-user", "my-key").unwrap();
/// let shown = format!("{c:?}");
/// assert!(shown.contains("my-user"));
/// assert!(!shown.contains("my-key"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    sms_user: String,
    sms_key: Secret,
}

impl Credentials {
    /// Credentials for `sms_user` with `sms_key`; both must be non-empty.
    pub fn new(
        sms_user: impl Into<String>,
        sms_key: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        let sms_user = sms_user.into();
        let sms_key = Secret::new(sms_key);
        if sms_user.trim().is_empty() {
            return Err(ValidationError::new("smsUser", "must not be empty"));
        }
        if sms_user.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "smsUser",
                "must not contain control characters",
            ));
        }
        if sms_key.expose().is_empty() {
            return Err(ValidationError::new("smsKey", "must not be empty"));
        }
        Ok(Credentials { sms_user, sms_key })
    }

    /// The API user.
    pub fn sms_user(&self) -> &str {
        &self.sms_user
    }

    /// The SMS key.
    pub fn sms_key(&self) -> &Secret {
        &self.sms_key
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("sms_user", &self.sms_user)
            .field("sms_key", &self.sms_key)
            .finish()
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}
