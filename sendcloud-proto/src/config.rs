//! What the transports share: their settings (as data: the core reads no environment and
//! opens nothing), the builder their clients are made with, the error their calls fail
//! with, and the rules those settings follow (plain http only to loopback, the proxy from
//! the environment, passwords out of messages).

use std::fmt;

use crate::batch::BatchError;
use crate::error::{Error, ValidationError};
use crate::retry::TransportFailure;

/// An error of a transport's HTTP stack, kept as the cause of a [`ClientError::Transport`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
        /// The transport's description of the last failure, its causes included.
        message: String,
        /// The transport's own error, when it gave one ([`std::error::Error::source`]).
        source: Option<BoxError>,
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
            ClientError::Transport { kind, message, .. } => {
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
            ClientError::Transport {
                source: Some(source),
                ..
            } => Some(source.as_ref()),
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
/// use sendcloud_proto::check_scheme;
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
/// use sendcloud_proto::proxy_applies;
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
/// use sendcloud_proto::proxy_for;
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

/// A URL with any password in it replaced by `***`, for messages and Debug output.
///
/// ```
/// use sendcloud_proto::redact_url;
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

/// What every transport's client is built with, with safe defaults: timeouts on, MD5, the
/// real service, verified TLS (plain `http://` only to loopback), the default retry policy,
/// the proxy from the environment. Its Debug output shows no key and no proxy password.
#[derive(Clone)]
pub struct ClientConfig {
    /// The API user.
    pub sms_user: String,
    /// The SMS key.
    pub sms_key: crate::credentials::Secret,
    /// The base URL (default: the real service).
    pub base_url: String,
    /// The signature algorithm (default MD5).
    pub algorithm: crate::sign::SignatureAlgorithm,
    /// How long connecting may take (default 5 s).
    pub connect_timeout: std::time::Duration,
    /// How long one attempt may take in all (default 30 s).
    pub timeout: std::time::Duration,
    /// The largest answer read (default 1 MiB).
    pub max_response_bytes: usize,
    /// The retry policy.
    pub retry: crate::retry::RetryPolicy,
    /// Whether `http://` to hosts other than loopback is allowed (default: no).
    pub allow_plain_http: bool,
    /// `None`: the proxy from the environment ([`proxy_for`]); `Some(None)`: no proxy;
    /// `Some(Some(url))`: that proxy.
    pub proxy: Option<Option<String>>,
    /// How many batches of a bulk send are in flight at once (default 4; the blocking
    /// client sends them one after another).
    pub bulk_concurrency: usize,
}

impl ClientConfig {
    /// The defaults for `sms_user` with `sms_key`.
    pub fn new(sms_user: impl Into<String>, sms_key: impl Into<String>) -> Self {
        ClientConfig {
            sms_user: sms_user.into(),
            sms_key: crate::credentials::Secret::new(sms_key),
            base_url: crate::client::DEFAULT_BASE_URL.to_owned(),
            algorithm: crate::sign::SignatureAlgorithm::Md5,
            connect_timeout: std::time::Duration::from_secs(5),
            timeout: std::time::Duration::from_secs(30),
            max_response_bytes: 1 << 20,
            retry: crate::retry::RetryPolicy::default(),
            allow_plain_http: false,
            proxy: None,
            bulk_concurrency: 4,
        }
    }

    /// The sans-IO client these settings describe, after checking the credentials, the
    /// base URL and the plain-http rule.
    pub fn core_client(&self) -> Result<crate::client::Client, ClientError> {
        let credentials =
            crate::credentials::Credentials::new(self.sms_user.clone(), self.sms_key.expose())?;
        // Both transports keep a Host header the request has (and would otherwise format
        // one per request).
        let core = crate::client::Client::new(credentials)
            .with_host_header(true)
            .with_base_url(&self.base_url)?
            .with_algorithm(self.algorithm);
        check_scheme(core.base_url(), self.allow_plain_http)?;
        Ok(core)
    }

    /// The proxy to use: the one set, or the environment's (read through `var`).
    pub fn proxy_url(&self, var: impl Fn(&str) -> Option<String>) -> Option<String> {
        match &self.proxy {
            Some(explicit) => explicit.clone(),
            None => proxy_for(&self.base_url, var),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("sms_user", &self.sms_user)
            .field("sms_key", &self.sms_key)
            .field("base_url", &self.base_url)
            .field("algorithm", &self.algorithm)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("retry", &self.retry)
            .field("allow_plain_http", &self.allow_plain_http)
            .field(
                "proxy",
                &self.proxy.as_ref().map(|p| p.as_deref().map(redact_url)),
            )
            .field("bulk_concurrency", &self.bulk_concurrency)
            .finish()
    }
}

/// A transport's part of a [`ClientBuilder`]: how it builds its client from the common
/// settings. `sendcloud-ureq` and `sendcloud-hyper` implement it; `Client::builder` of
/// either starts a builder with theirs.
pub trait Transport {
    /// The client it builds.
    type Client;
    /// Builds the client.
    fn build(self, config: ClientConfig) -> Result<Self::Client, ClientError>;
}

/// Settings of a transport's client, with safe defaults (see [`ClientConfig`]), and the
/// transport `T` that builds it. Its Debug output shows no key and no proxy password.
///
/// ```
/// use std::time::Duration;
/// use sendcloud_proto::{ClientBuilder, ClientConfig, ClientError, Transport};
///
/// /// A transport that builds nothing but the settings it was given.
/// struct Settings;
/// impl Transport for Settings {
///     type Client = ClientConfig;
///     fn build(self, config: ClientConfig) -> Result<ClientConfig, ClientError> {
///         Ok(config)
///     }
/// }
///
/// let config = ClientBuilder::new("user", "key", Settings)
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(config.timeout, Duration::from_secs(5));
/// assert!(!format!("{config:?}").contains("key\""));
/// # Ok::<(), ClientError>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder<T> {
    config: ClientConfig,
    transport: T,
}

impl<T> ClientBuilder<T> {
    /// The defaults for `sms_user` with `sms_key`, built by `transport`.
    pub fn new(sms_user: impl Into<String>, sms_key: impl Into<String>, transport: T) -> Self {
        ClientBuilder {
            config: ClientConfig::new(sms_user, sms_key),
            transport,
        }
    }

    /// The base URL (default: the real service). Plain `http://` is refused for hosts
    /// other than loopback unless `allow_plain_http` is set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.config.base_url = url.into();
        self
    }

    /// The signature algorithm (default MD5).
    pub fn algorithm(mut self, algorithm: crate::SignatureAlgorithm) -> Self {
        self.config.algorithm = algorithm;
        self
    }

    /// How long connecting may take (default 5 s).
    pub fn connect_timeout(mut self, t: std::time::Duration) -> Self {
        self.config.connect_timeout = t;
        self
    }

    /// How long one attempt may take in all (default 30 s).
    pub fn timeout(mut self, t: std::time::Duration) -> Self {
        self.config.timeout = t;
        self
    }

    /// The largest answer read (default 1 MiB).
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.config.max_response_bytes = n;
        self
    }

    /// The retry policy.
    pub fn retry_policy(mut self, p: crate::RetryPolicy) -> Self {
        self.config.retry = p;
        self
    }

    /// Allows `http://` to hosts other than loopback (the signed requests and the
    /// messages then cross the network in the clear).
    pub fn allow_plain_http(mut self, yes: bool) -> Self {
        self.config.allow_plain_http = yes;
        self
    }

    /// An HTTP proxy (`http://[user:password@]host:port`), or `None` for none. By
    /// default the proxy comes from `HTTPS_PROXY` (`HTTP_PROXY` for an `http://` base
    /// URL), unless `NO_PROXY` names the host.
    pub fn proxy(mut self, url: Option<String>) -> Self {
        self.config.proxy = Some(url);
        self
    }

    /// How many batches of a bulk send are in flight at once (default 4, at least 1; the
    /// blocking client sends them one after another).
    pub fn bulk_concurrency(mut self, n: usize) -> Self {
        self.config.bulk_concurrency = n.max(1);
        self
    }

    /// The settings so far.
    pub fn settings(&self) -> &ClientConfig {
        &self.config
    }

    /// The same settings, built by another transport (a client over your own HTTP
    /// service, for instance).
    pub fn transport<U>(self, transport: U) -> ClientBuilder<U> {
        ClientBuilder {
            config: self.config,
            transport,
        }
    }
}

impl<T: Transport> ClientBuilder<T> {
    /// Builds the client.
    pub fn build(self) -> Result<T::Client, ClientError> {
        self.transport.build(self.config)
    }
}

impl<T> fmt::Debug for ClientBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("settings", &self.config)
            .finish_non_exhaustive()
    }
}
