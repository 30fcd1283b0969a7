//! What transports share: the error they report and the rule on plain http.

use std::fmt;

use crate::batch::BatchError;
use crate::error::{Error, ValidationError};
use crate::retry::TransportFailure;

/// What a call of a transport's client can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The core refused the input, or SendCloud answered with an error.
    Proto(Error),
    /// No usable answer came (after the retries the policy allowed).
    Transport {
        /// What kind of failure it was.
        kind: TransportFailure,
        /// The transport's own description.
        message: String,
    },
    /// The client's settings are wrong.
    Config(String),
}

impl ClientError {
    /// The SendCloud status, when SendCloud answered with an error.
    pub fn status(&self) -> Option<crate::status::StatusCode> {
        match self {
            ClientError::Proto(e) => e.status(),
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Proto(e) => e.fmt(f),
            ClientError::Transport { kind, message } => {
                let what = match kind {
                    TransportFailure::Connect => "could not connect to SendCloud",
                    TransportFailure::Timeout => "SendCloud did not answer in time",
                    TransportFailure::Io => "the connection to SendCloud failed",
                };
                write!(f, "{what}: {message}")
            }
            ClientError::Config(m) => write!(f, "invalid client settings: {m}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Proto(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for ClientError {
    fn from(e: Error) -> Self {
        ClientError::Proto(e)
    }
}

impl From<ValidationError> for ClientError {
    fn from(e: ValidationError) -> Self {
        ClientError::Proto(e.into())
    }
}

impl BatchError for ClientError {
    fn api_error(&self) -> Option<&Error> {
        match self {
            ClientError::Proto(e) => Some(e),
            _ => None,
        }
    }
}

/// Refuses plain `http://` to anything but loopback unless the caller allows it: the
/// messages and the signed requests would cross the network in the clear.
///
/// ```
/// use sendcloud_proto::transport::check_scheme;
/// assert!(check_scheme("http://127.0.0.1:8080/smsapi", false).is_ok());
/// assert!(check_scheme("http://localhost/smsapi", false).is_ok());
/// assert!(check_scheme("https://api.sendcloud.net/smsapi", false).is_ok());
/// assert!(check_scheme("http://api.sendcloud.net/smsapi", false).is_err());
/// assert!(check_scheme("http://api.sendcloud.net/smsapi", true).is_ok());
/// ```
pub fn check_scheme(base_url: &str, allow_plain_http: bool) -> Result<(), ClientError> {
    let uri: http::Uri = base_url
        .parse()
        .map_err(|e| ClientError::Config(format!("base URL: {e}")))?;
    if uri.scheme_str() == Some("http") && !allow_plain_http {
        let host = uri.host().unwrap_or("");
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<core::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(ClientError::Config(format!(
                "refusing plain http:// to {host}: use https://, or allow plain http explicitly if you must"
            )));
        }
    }
    Ok(())
}

/// Whether a request to `host` should go through the proxy, given a `NO_PROXY` list
/// (comma-separated host names or domain suffixes; `*` matches every host; a leading `.`
/// is optional; ports are ignored).
///
/// ```
/// use sendcloud_proto::transport::proxy_applies;
/// assert!(proxy_applies("api.sendcloud.net", ""));
/// assert!(!proxy_applies("api.sendcloud.net", "localhost, .sendcloud.net"));
/// assert!(!proxy_applies("127.0.0.1", "127.0.0.1:8080"));
/// assert!(!proxy_applies("anything", "*"));
/// assert!(proxy_applies("notsendcloud.net", "sendcloud.net"));
/// ```
pub fn proxy_applies(host: &str, no_proxy: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    for entry in no_proxy.split(',') {
        let entry = entry.trim().to_ascii_lowercase();
        let entry = match entry.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => {
                h.to_owned()
            }
            _ => entry,
        };
        let entry = entry.trim_start_matches('.');
        if entry.is_empty() {
            continue;
        }
        if entry == "*" || host == entry || host.ends_with(&format!(".{entry}")) {
            return false;
        }
    }
    true
}

/// The proxy for `base_url` from environment variables, read through `var` (so that this
/// stays free of IO): `HTTPS_PROXY` (for an `http://` base URL, `HTTP_PROXY` first), each
/// also in lower case, unless `NO_PROXY` / `no_proxy` excludes the host.
///
/// ```
/// use sendcloud_proto::transport::proxy_for;
/// let env = |k: &str| match k {
///     "HTTPS_PROXY" => Some("http://proxy:3128".to_owned()),
///     "NO_PROXY" => Some("localhost,127.0.0.1".to_owned()),
///     _ => None,
/// };
/// assert_eq!(proxy_for("https://api.sendcloud.net/smsapi", env).as_deref(), Some("http://proxy:3128"));
/// assert_eq!(proxy_for("http://127.0.0.1:8025/smsapi", env), None);
/// ```
pub fn proxy_for(base_url: &str, var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let get = |upper: &str| {
        var(upper)
            .or_else(|| var(&upper.to_ascii_lowercase()))
            .filter(|v| !v.trim().is_empty())
    };
    let uri: http::Uri = base_url.parse().ok()?;
    let proxy = match uri.scheme_str() {
        Some("http") => get("HTTP_PROXY").or_else(|| get("HTTPS_PROXY")),
        _ => get("HTTPS_PROXY"),
    }?;
    let no_proxy = get("NO_PROXY").unwrap_or_default();
    if !proxy_applies(uri.host()?, &no_proxy) {
        return None;
    }
    Some(proxy.trim().to_owned())
}

/// Standard base64 with padding, as HTTP Basic credentials and SMSHook's `encodeMessage`
/// use it.
///
/// ```
/// assert_eq!(sendcloud_proto::transport::base64(b"user:pass"), "dXNlcjpwYXNz");
/// ```
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A URL with any password in it replaced by `***`, for messages and Debug output.
///
/// ```
/// use sendcloud_proto::transport::redact_url;
/// assert_eq!(redact_url("http://u:secret@proxy:3128"), "http://***@proxy:3128");
/// assert_eq!(redact_url("http://proxy:3128"), "http://proxy:3128");
/// ```
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').unwrap_or(rest.len());
            match rest[..end].rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://***@{host}{}", &rest[end..]),
                None => url.to_owned(),
            }
        }
        None if url.contains('@') => "***".to_owned(),
        None => url.to_owned(),
    }
}
