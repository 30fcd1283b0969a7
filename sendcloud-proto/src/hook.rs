//! SMSHook: SendCloud's delivery webhooks.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::credentials::Secret;

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
