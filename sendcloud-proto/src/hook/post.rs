//! Signed SMSHook posts, as SendCloud sends them: what a sandbox or a test needs to
//! build one.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::event::HookEvent;
use crate::credentials::Secret;
use crate::values::Timestamp;

/// The signature of an SMSHook post: lowercase hex of HMAC-SHA256 keyed with the hook app
/// key over `timestamp` followed by `token`.
///
/// ```
/// use sendcloud_proto::{hook::hook_signature, Secret};
/// assert_eq!(
///     hook_signature(&Secret::new("appkey"), "1434684323193",
///                    "nyFltYEluRVvYezFHJW1st2ewb71RVcVDiNN6GqvRnWtgDDDDD"),
///     "485ee62449485992daf0a5b020d78991af7765f7b97eba1363bdbddc35a64d1b");
/// ```
pub fn hook_signature(app_key: &Secret, timestamp: &str, token: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(app_key.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl HookEvent {
    /// Adds `token`, `timestamp` and a signature under `app_key` to `fields`, for building
    /// posts in sandboxes and tests. Fields named `token`, `timestamp` or `signature` in
    /// `fields` are dropped; the others keep their order, and the three come last.
    pub fn sign_form<I, K, V>(
        app_key: &Secret,
        token: &str,
        timestamp: Timestamp,
        fields: I,
    ) -> Vec<(String, String)>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let ts = timestamp.as_millis().to_string();
        let signature = hook_signature(app_key, &ts, token);
        let mut out: Vec<(String, String)> = fields
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_ref(), "token" | "timestamp" | "signature"))
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        out.push(("token".to_owned(), token.to_owned()));
        out.push(("timestamp".to_owned(), ts));
        out.push(("signature".to_owned(), signature));
        out
    }

    /// [`HookEvent::sign_form`] as an `application/x-www-form-urlencoded` body.
    ///
    /// ```
    /// use sendcloud_proto::{hook::HookEvent, Secret, Timestamp};
    /// let body = HookEvent::signed_form_body(&Secret::new("appkey"), "tok",
    ///     Timestamp(1_700_000_000_000), [("event", "deliver"), ("smsId", "a$1")]);
    /// assert!(body.starts_with("event=deliver&smsId=a%241&token=tok&timestamp=1700000000000&signature="));
    /// ```
    pub fn signed_form_body<I, K, V>(
        app_key: &Secret,
        token: &str,
        timestamp: Timestamp,
        fields: I,
    ) -> String
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let pairs = HookEvent::sign_form(app_key, token, timestamp, fields);
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            ser.append_pair(k, v);
        }
        ser.finish()
    }

    /// [`HookEvent::sign_form`] as a JSON object body (every value a JSON string, the
    /// timestamp a JSON number).
    pub fn signed_json_body<I, K, V>(
        app_key: &Secret,
        token: &str,
        timestamp: Timestamp,
        fields: I,
    ) -> String
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let pairs = HookEvent::sign_form(app_key, token, timestamp, fields);
        let mut map = serde_json::Map::new();
        for (k, v) in pairs {
            let value = if k == "timestamp" {
                Value::from(timestamp.as_millis())
            } else {
                Value::String(v)
            };
            map.insert(k, value);
        }
        Value::Object(map).to_string()
    }
}
