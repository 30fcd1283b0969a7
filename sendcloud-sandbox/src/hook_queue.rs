//! The SMSHook events the sandbox would post, signed like SendCloud signs them.

use http::header::{HeaderValue, CONTENT_TYPE};
use sha2::{Digest, Sha256};

use sendcloud_proto::hook::hook_signature;
use sendcloud_proto::server::FORM_CONTENT_TYPE;
use sendcloud_proto::Form;
use sendcloud_proto::Secret;

/// Length of an SMSHook `token`.
pub const HOOK_TOKEN_LEN: usize = 50;

/// One SMSHook event the sandbox queued for an accepted request or message: what
/// SendCloud would post to the account's hook URL. Deliver it with
/// [`QueuedHookEvent::to_request`] (or read the fields directly in a test).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedHookEvent {
    /// `deliver`, `workererror`, `delivererror` or `request`.
    pub event: String,
    /// The form fields posted: `event`, `eventType`, `token`, `timestamp`, `signature`
    /// (hex HMAC-SHA256 of timestamp + token under the hook app key), `smsId`, `phone`,
    /// `smsUser`, `msgType`, `statusCode`, `message`, `templateId` (template sends),
    /// `encodeMessage` (base64 of `message`, failures only), `sendRequestId` and
    /// `customArgs` (the request's tag) when the request had them. A `request` event has
    /// `smsIds` and `phones` (JSON arrays as text) instead of `smsId` and `phone`.
    pub body: Form<'static>,
}

impl QueuedHookEvent {
    /// A field of the event.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.body.get(name)
    }

    /// The body as `application/x-www-form-urlencoded`.
    pub fn form_body(&self) -> String {
        self.body.encode()
    }

    /// The body as a JSON object of strings (the newer SMSHook format).
    pub fn json_body(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .body
            .iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned())))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    /// The POST of this event (form-encoded) to `url`.
    pub fn to_request(&self, url: &str) -> Result<http::Request<Vec<u8>>, http::Error> {
        http::Request::post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE))
            .body(self.form_body().into_bytes())
    }

    /// A new event whose `token`, `timestamp` and `signature` are filled in. The token is
    /// the first 50 hex digits of SHA-256 over a counter and `seed`: deterministic, and
    /// different for every event.
    pub(crate) fn signed(
        event: &str,
        mut body: Form<'static>,
        app_key: &Secret,
        counter: u64,
        seed: &str,
        now_ms: u64,
    ) -> Self {
        let mut h = Sha256::new();
        h.update(b"sendcloud-sandbox-hook-token\0");
        h.update(counter.to_be_bytes());
        h.update(seed.as_bytes());
        let mut token = hex::encode(h.finalize());
        token.truncate(HOOK_TOKEN_LEN);
        let timestamp = now_ms.to_string();
        let signature = hook_signature(app_key, &timestamp, &token);
        body.set("event", event.to_owned());
        body.set("token", token);
        body.set("timestamp", timestamp);
        body.set("signature", signature);
        QueuedHookEvent {
            event: event.to_owned(),
            body,
        }
    }
}

/// Standard base64 with padding, as SMSHook's `encodeMessage` uses.
pub(crate) fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_known_answers() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64("号".as_bytes()), "5Y+3");
    }

    #[test]
    fn events_are_signed_and_tokens_differ() {
        let key = Secret::new("appkey");
        let a = QueuedHookEvent::signed("deliver", Form::new(), &key, 1, "x", 5);
        let b = QueuedHookEvent::signed("deliver", Form::new(), &key, 2, "x", 5);
        let token = a.get("token").unwrap_or_default();
        assert_eq!(token.len(), HOOK_TOKEN_LEN);
        assert_ne!(a.get("token"), b.get("token"));
        assert_eq!(
            a.get("signature"),
            Some(hook_signature(&key, "5", token).as_str())
        );
        assert_eq!(a.get("event"), Some("deliver"));
    }
}
