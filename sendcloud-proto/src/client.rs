//! The sans-IO client: typed request + now → signed `http::Request`; `http::Response` →
//! typed outcome.

use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE, USER_AGENT};

use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, ValidationError};
use crate::form::Form;
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
}

impl Client {
    /// A client of the real service with MD5 signatures.
    pub fn new(credentials: Credentials) -> Self {
        Client {
            base_url: DEFAULT_BASE_URL.to_owned(),
            credentials,
            algorithm: SignatureAlgorithm::Md5,
        }
    }

    /// Points the client elsewhere (a sandbox, a proxy). The URL must be `http://` or
    /// `https://` with a host; a trailing `/` is dropped.
    pub fn with_base_url(mut self, url: &str) -> Result<Self, ValidationError> {
        self.base_url = check_base_url(url)?;
        Ok(self)
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
    pub fn form<E: Endpoint>(&self, endpoint: &E, now: Timestamp) -> Form {
        let mut form = Form::with_capacity(12);
        endpoint.params(&mut form);
        if E::SIGNED {
            form.set("smsUser", self.credentials.sms_user());
            form.set("timestamp", now.as_millis().to_string());
            let sig = form.signature(self.algorithm, self.credentials.sms_key());
            form.set(SIGNATURE_PARAM, sig);
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
        let form = self.form(endpoint, now);
        let body = form.encode_bytes();
        let mut url = String::with_capacity(self.base_url.len() + E::PATH.len() + 1);
        url.push_str(&self.base_url);
        url.push('/');
        url.push_str(E::PATH);
        let post = E::METHOD != http::Method::GET;
        let body = if post {
            body
        } else {
            if !body.is_empty() {
                url.push('?');
                // The encoding writes only ASCII.
                url.push_str(&String::from_utf8_lossy(&body));
            }
            Vec::new()
        };
        // Built in place rather than through `http::request::Builder`: the same request,
        // without moving its parts through a chain of closures.
        let uri = http::Uri::try_from(url)
            .map_err(|e| Error::Invalid(ValidationError::new("baseUrl", e.to_string())))?;
        let mut request = http::Request::new(body);
        *request.method_mut() = E::METHOD;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.reserve(4);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        if post {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE));
        }
        Ok(request)
    }

    /// Decodes the answer to an `E` request into its typed outcome.
    pub fn parse<E: Endpoint, B: AsRef<[u8]>>(
        &self,
        response: &http::Response<B>,
    ) -> Result<E::Output, Error> {
        parse_response::<E, B>(response)
    }
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
