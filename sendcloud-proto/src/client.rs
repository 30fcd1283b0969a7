//! The sans-IO client: typed request + now → signed `http::Request`; `http::Response` →
//! typed outcome.

use crate::api::names;
use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE, HOST, USER_AGENT};

use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, ValidationError};
use crate::form::{urlencoded, Form, Inline, Value};
use crate::response::decode_response;
use crate::sign::{SignatureAlgorithm, SIGNATURE_PARAM};
use crate::values::Timestamp;

/// The real service.
pub const DEFAULT_BASE_URL: &str = "https://api.sendcloud.net/smsapi";
/// The content type of every POST body.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";
/// The user agent this crate sends.
pub const USER_AGENT_VALUE: &str = concat!("sendcloud-rs/", env!("CARGO_PKG_VERSION"));

/// Where requests go, who signs them and how. It does no IO: transports drive it.
///
/// ```
/// use sendcloud_proto::{Client, Credentials, Recipients, SendTemplate, TemplateId, Timestamp};
/// let client = Client::new(Credentials::new("my-user", "my-key").unwrap());
/// let send = SendTemplate::new(TemplateId::new(7).unwrap(),
///                              Recipients::parse("13800000000").unwrap());
/// let req = client.prepare(&send, Timestamp(1_700_000_000_000)).unwrap();
/// assert_eq!(req.uri(), "https://api.sendcloud.net/smsapi/send");
/// let body = String::from_utf8(req.body().clone()).unwrap();
/// assert!(body.contains("smsUser=my-user"));
/// assert!(body.contains("timestamp=1700000000000"));
/// assert!(!body.contains("my-key"));
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    base_url: String,
    credentials: Credentials,
    algorithm: SignatureAlgorithm,
    /// Parsed URIs of the endpoints called so far (without a query), shared by clones:
    /// parsing the same URL again for every request is measurable in a load test.
    uris: std::sync::Arc<std::sync::RwLock<Vec<(&'static str, http::Uri)>>>,
    /// The URIs of the sends and the server time, parsed with the base URL: read without
    /// a lock.
    hot_uris: std::sync::Arc<[(&'static str, http::Uri)]>,
    /// The headers of every request, built once.
    headers: std::sync::Arc<Headers>,
    /// Whether requests carry their Host header (see [`Client::with_host_header`]).
    host_header: bool,
    /// The user url-encoded, as every signed body carries it.
    user_encoded: std::sync::Arc<str>,
}

/// The headers a GET and a POST carry (room for one more, which a transport may add).
#[derive(Debug)]
struct Headers {
    get: http::HeaderMap,
    post: http::HeaderMap,
}

impl Headers {
    /// The headers of requests to `base_url`, with its Host when `with_host` is set.
    fn new(base_url: &str, with_host: bool) -> Headers {
        let mut get = http::HeaderMap::with_capacity(4);
        if let Some(host) = host_header(base_url).filter(|_| with_host) {
            get.insert(HOST, host);
        }
        get.insert(ACCEPT, HeaderValue::from_static("application/json"));
        get.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        let mut post = get.clone();
        post.insert(CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE));
        Headers { get, post }
    }
}

/// The Host header for requests to `base_url`: its host, and its port unless that is the
/// scheme's default. `None` when the URL has no host.
fn host_header(base_url: &str) -> Option<HeaderValue> {
    let uri: http::Uri = base_url.parse().ok()?;
    let host = uri.host()?;
    let default_port = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    let value = match uri.port_u16() {
        Some(port) if Some(port) != default_port => format!("{host}:{port}"),
        _ => host.to_owned(),
    };
    HeaderValue::from_str(&value).ok()
}

impl Client {
    /// A client of the real service with MD5 signatures.
    pub fn new(credentials: Credentials) -> Self {
        Client {
            base_url: DEFAULT_BASE_URL.to_owned(),
            algorithm: SignatureAlgorithm::Md5,
            uris: Default::default(),
            hot_uris: hot_uris(DEFAULT_BASE_URL),
            headers: std::sync::Arc::new(Headers::new(DEFAULT_BASE_URL, false)),
            host_header: false,
            user_encoded: urlencoded(credentials.sms_user()).into(),
            credentials,
        }
    }

    /// Points the client elsewhere (a sandbox, a proxy). The URL must be `http://` or
    /// `https://` with a host; a trailing `/` is dropped.
    pub fn with_base_url(mut self, url: &str) -> Result<Self, ValidationError> {
        self.base_url = check_base_url(url)?;
        self.uris = Default::default();
        self.hot_uris = hot_uris(&self.base_url);
        self.headers = std::sync::Arc::new(Headers::new(&self.base_url, self.host_header));
        Ok(self)
    }

    /// Whether prepared requests carry their `Host` header (off by default). The transports
    /// of this workspace turn it on: hyper-util and ureq keep a Host header that is there
    /// rather than format one for every request. Leave it off when the HTTP client you
    /// send through adds its own Host, so that a request never carries two.
    pub fn with_host_header(mut self, on: bool) -> Self {
        self.host_header = on;
        self.headers = std::sync::Arc::new(Headers::new(&self.base_url, on));
        self
    }

    /// Chooses the signature algorithm.
    pub fn with_algorithm(mut self, algorithm: SignatureAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The signature algorithm.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// The full URL of an endpoint.
    pub fn url_of<E: Endpoint>(&self) -> String {
        format!("{}/{}", self.base_url, E::PATH)
    }

    /// The parameters of a request as they are signed and sent, with the signature.
    pub fn form<'a, E: Endpoint>(&'a self, endpoint: &'a E, now: Timestamp) -> Form<'a> {
        let mut form = self.signed_params(endpoint, now);
        if E::SIGNED {
            let signature = form.signature(self.algorithm, self.credentials.sms_key());
            form.set(SIGNATURE_PARAM, signature);
        }
        form
    }

    /// The parameters that are signed: the endpoint's, and `smsUser` and `timestamp` when
    /// the endpoint is signed.
    fn signed_params<'a, E: Endpoint>(&'a self, endpoint: &'a E, now: Timestamp) -> Form<'a> {
        let mut form = Form::new();
        endpoint.params(&mut form);
        if E::SIGNED {
            form.set(names::SMS_USER, self.credentials.sms_user());
            form.set_u64(names::TIMESTAMP, now.as_millis());
        }
        form
    }

    /// Builds the signed HTTP request for `endpoint` at time `now` (the caller's clock,
    /// corrected by any known offset to the server's).
    pub fn prepare<E: Endpoint>(
        &self,
        endpoint: &E,
        now: Timestamp,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        // The endpoint's parameters go in a form; what the client adds (the user, the time
        // and the signature) is merged in by name as the form is signed and encoded, so
        // nothing is inserted in the middle of it.
        let mut form = Form::new();
        endpoint.params(&mut form);
        let body = if E::SIGNED {
            form.signed_body(
                self.algorithm,
                self.credentials.sms_key(),
                &[
                    (
                        names::SMS_USER,
                        Value::Encoded {
                            raw: self.credentials.sms_user(),
                            encoded: &self.user_encoded,
                        },
                    ),
                    (
                        names::TIMESTAMP,
                        Value::Inline(Inline::from_u64(now.as_millis())),
                    ),
                ],
            )
        } else {
            form.encode_bytes()
        };
        let post = E::METHOD != http::Method::GET;
        let (uri, body) = if post || body.is_empty() {
            (self.uri_of(E::PATH)?, if post { body } else { Vec::new() })
        } else {
            // A GET with parameters: they go in the query. The encoding writes only ASCII.
            let url = format!(
                "{}/{}?{}",
                self.base_url,
                E::PATH,
                String::from_utf8_lossy(&body)
            );
            (parse_uri(url)?, Vec::new())
        };
        let mut request = http::Request::new(body);
        *request.method_mut() = E::METHOD;
        *request.uri_mut() = uri;
        // Cloning a ready header map costs less than inserting (hashing) each header.
        *request.headers_mut() = if post {
            self.headers.post.clone()
        } else {
            self.headers.get.clone()
        };
        Ok(request)
    }

    /// The parsed URI of `path` below the base URL, from the cache when it was parsed before.
    fn uri_of(&self, path: &'static str) -> Result<http::Uri, Error> {
        if let Some((_, uri)) = self.hot_uris.iter().find(|(p, _)| *p == path) {
            return Ok(uri.clone());
        }
        let cached = |uris: &[(&'static str, http::Uri)]| {
            uris.iter()
                .find(|(p, _)| *p == path)
                .map(|(_, u)| u.clone())
        };
        if let Ok(uris) = self.uris.read() {
            if let Some(uri) = cached(&uris) {
                return Ok(uri);
            }
        }
        let uri = parse_uri(format!("{}/{}", self.base_url, path))?;
        if let Ok(mut uris) = self.uris.write() {
            if cached(&uris).is_none() {
                uris.push((path, uri.clone()));
            }
        }
        Ok(uri)
    }

    /// Decodes the answer to an `E` request into its typed outcome.
    pub fn parse<E: Endpoint, B: AsRef<[u8]>>(
        &self,
        response: &http::Response<B>,
    ) -> Result<E::Output, Error> {
        parse_response::<E, B>(response)
    }
}

/// The URIs of the endpoints called most, below `base_url` (those that parse).
fn hot_uris(base_url: &str) -> std::sync::Arc<[(&'static str, http::Uri)]> {
    use crate::{GetServerTime, SendCode, SendTemplate, SendVoice};
    [
        SendTemplate::PATH,
        SendCode::PATH,
        SendVoice::PATH,
        GetServerTime::PATH,
    ]
    .into_iter()
    .filter_map(|path| Some((path, parse_uri(format!("{base_url}/{path}")).ok()?)))
    .collect()
}

fn parse_uri(url: String) -> Result<http::Uri, Error> {
    http::Uri::try_from(url)
        .map_err(|e| Error::Invalid(ValidationError::new("baseUrl", e.to_string())))
}

/// Decodes the answer to an `E` request into its typed outcome (needs no client).
pub fn parse_response<E: Endpoint, B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<E::Output, Error> {
    E::parse(decode_response(response)?)
}

/// Checks a base URL and returns it without a trailing `/`.
pub fn check_base_url(url: &str) -> Result<String, ValidationError> {
    let trimmed = url.trim().trim_end_matches('/');
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e| ValidationError::new("baseUrl", format!("is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(ValidationError::new(
                "baseUrl",
                "must start with http:// or https://",
            ))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(ValidationError::new("baseUrl", "must name a host"));
    }
    if uri.query().is_some() {
        return Err(ValidationError::new("baseUrl", "must not have a query"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::timestamp::GetServerTime;
    use crate::{Recipients, SendTemplate, TemplateId};

    fn host_of(base_url: &str) -> Option<String> {
        let client = Client::new(Credentials::new("u", "k").unwrap())
            .with_host_header(true)
            .with_base_url(base_url)
            .unwrap();
        let req = client.prepare(&GetServerTime, Timestamp(1)).unwrap();
        assert!(req.headers().get_all(HOST).iter().count() <= 1);
        req.headers()
            .get(HOST)
            .map(|h| h.to_str().unwrap().to_owned())
    }

    #[test]
    fn the_host_header_is_the_authority_without_a_default_port() {
        assert_eq!(
            host_of("https://api.sendcloud.net/smsapi").as_deref(),
            Some("api.sendcloud.net")
        );
        assert_eq!(
            host_of("https://api.sendcloud.net:443/smsapi").as_deref(),
            Some("api.sendcloud.net")
        );
        assert_eq!(
            host_of("https://api.sendcloud.net:8443/x").as_deref(),
            Some("api.sendcloud.net:8443")
        );
        assert_eq!(
            host_of("http://127.0.0.1:18025/smsapi").as_deref(),
            Some("127.0.0.1:18025")
        );
        assert_eq!(
            host_of("http://127.0.0.1:80/").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            host_of("http://[::1]:8080/smsapi").as_deref(),
            Some("[::1]:8080")
        );
        let default = Client::new(Credentials::new("u", "k").unwrap()).with_host_header(true);
        let req = default.prepare(&GetServerTime, Timestamp(1)).unwrap();
        assert_eq!(req.headers()[HOST], "api.sendcloud.net");
        // Off by default, and off again when turned off.
        let plain = Client::new(Credentials::new("u", "k").unwrap());
        let req = plain.prepare(&GetServerTime, Timestamp(1)).unwrap();
        assert!(req.headers().get(HOST).is_none());
        let off = default
            .with_host_header(false)
            .with_base_url("http://h:1/")
            .unwrap();
        let req = off.prepare(&GetServerTime, Timestamp(1)).unwrap();
        assert!(req.headers().get(HOST).is_none());
    }

    #[test]
    fn every_request_carries_the_same_headers() {
        let client = Client::new(Credentials::new("u", "k").unwrap())
            .with_host_header(true)
            .with_base_url("http://sandbox.local/smsapi")
            .unwrap();
        let send = SendTemplate::new(
            TemplateId::new(1).unwrap(),
            Recipients::parse("13800000000").unwrap(),
        );
        let post = client.prepare(&send, Timestamp(1)).unwrap();
        let get = client.prepare(&GetServerTime, Timestamp(1)).unwrap();
        let names = |r: &http::Request<Vec<u8>>| {
            let mut v: Vec<String> = r.headers().keys().map(|k| k.to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(
            names(&post),
            ["accept", "content-type", "host", "user-agent"]
        );
        assert_eq!(names(&get), ["accept", "host", "user-agent"]);
        assert_eq!(post.headers()[CONTENT_TYPE], FORM_CONTENT_TYPE);
        assert_eq!(post.headers()[USER_AGENT], USER_AGENT_VALUE);
    }
}
