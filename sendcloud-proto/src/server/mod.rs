//! The server half of the protocol: what a service that answers SendCloud's requests (the
//! `sendcloud-sandbox` crate, a test double of yours) needs beside the client half.
//!
//! A server reads a request's parameters ([`request_params`]), checks its signature
//! ([`check_signature`], built on [`crate::verify`]), reads the parameters of the endpoint
//! the path names into that endpoint's struct ([`Incoming::read`], by the names the client
//! writes them with), checks parameters by the rules the client applies when a request is
//! built ([`check_text`], [`sign_name`], and for one number, a tag and vars as received
//! [`Phone::from_wire`](crate::Phone::from_wire), [`Tag::from_wire`](crate::Tag::from_wire)
//! and [`Vars::from_json`](crate::Vars::from_json)), reads id lists as SendCloud accepts
//! them ([`split_id_list`]) and answers with SendCloud's envelope ([`envelope_response`]).
//! It routes on the endpoints' own [`Endpoint::PATH`](crate::Endpoint::PATH) and signs
//! SMSHook posts with [`crate::hook::hook_signature`].
//!
//! ```
//! use sendcloud_proto::server::{check_signature, envelope_response, request_params};
//! use sendcloud_proto::*;
//!
//! let client = Client::new(Credentials::new("user", "key")?);
//! let send = SendTemplate::new(TemplateId::new(1)?, Recipients::parse("13800000000")?);
//! let request = client.prepare(&send, Timestamp(1_700_000_000_000))?;
//!
//! // The server's side: read, check, answer.
//! let params = request_params(&request);
//! assert_eq!(params.get("phone"), Some("13800000000"));
//! assert_eq!(check_signature(&params, &Secret::new("key")), Ok(SignatureAlgorithm::Md5));
//! assert!(check_signature(&params, &Secret::new("other")).is_err());
//! let info = serde_json::json!({"successCount": 1, "smsIds": ["1_1_1_1_a$13800000000"]});
//! let answer = envelope_response(StatusCode::Ok, "请求成功", info);
//!
//! // And the client reads it as usual.
//! let receipt = client.parse::<SendTemplate, _>(&answer)?;
//! assert_eq!(receipt.success_count, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod incoming;

use std::fmt;

use http::header::{HeaderValue, CONTENT_TYPE};

pub use incoming::{
    CodeParams, Incoming, LabelParams, PageParams, PeriodParams, SendParams, SignParams, Signed,
    StatsParams, StatusParams, TemplateParams,
};

pub use crate::api::query::check_text;
pub use crate::api::template::sign_name;
pub use crate::client::FORM_CONTENT_TYPE;
pub use crate::response::split_id_list;
pub use crate::sign::SIGNATURE_PARAM;

use crate::credentials::Secret;
use crate::form::Form;
use crate::sign::{canonical_string_masked, verify, SignatureAlgorithm};
use crate::status::StatusCode;

/// A request's parameters as a server reads them: those of the query string, then those
/// of the form body (a body parameter replaces a query parameter of the same name).
pub fn request_params<B: AsRef<[u8]>>(request: &http::Request<B>) -> Form<'static> {
    let mut params = Form::decode(request.uri().query().unwrap_or("").as_bytes());
    for (k, v) in Form::decode(request.body().as_ref()).iter() {
        params.set(k.to_owned(), v.to_owned());
    }
    params
}

/// Why [`check_signature`] refused a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureRefusal {
    /// No `signature` parameter (421).
    Missing,
    /// A `signature` that is not 32 (MD5) or 64 (SHA-256) hex digits (421).
    Malformed,
    /// A signature of other parameters or under another key (422). Holds the string that
    /// should have been signed, with the key masked (`***`).
    Mismatch {
        /// The canonical string of the parameters, key masked.
        canonical_masked: String,
    },
}

impl SignatureRefusal {
    /// The status SendCloud answers with: 421 or 422.
    pub fn status(&self) -> StatusCode {
        match self {
            SignatureRefusal::Missing | SignatureRefusal::Malformed => {
                StatusCode::SignatureParameterInvalid
            }
            SignatureRefusal::Mismatch { .. } => StatusCode::SignatureInvalid,
        }
    }
}

impl fmt::Display for SignatureRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureRefusal::Missing => f.write_str("signature is missing"),
            SignatureRefusal::Malformed => {
                f.write_str("signature must be 32 (MD5) or 64 (SHA-256) hex digits")
            }
            SignatureRefusal::Mismatch { canonical_masked } => write!(
                f,
                "expected the MD5 or SHA-256 hex digest of {canonical_masked}"
            ),
        }
    }
}

impl std::error::Error for SignatureRefusal {}

/// Checks the `signature` of `params` under `key`, of either algorithm (chosen by its
/// length, hex of either case, compared in constant time); returns the algorithm used.
pub fn check_signature(
    params: &Form<'_>,
    key: &Secret,
) -> Result<SignatureAlgorithm, SignatureRefusal> {
    let signature = params.get(SIGNATURE_PARAM).unwrap_or("");
    if signature.is_empty() {
        return Err(SignatureRefusal::Missing);
    }
    let algorithm = SignatureAlgorithm::from_hex_len(signature.len())
        .filter(|_| signature.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or(SignatureRefusal::Malformed)?;
    if !verify(key, params.iter(), signature) {
        return Err(SignatureRefusal::Mismatch {
            canonical_masked: canonical_string_masked(params.iter()),
        });
    }
    Ok(algorithm)
}

/// An answer as SendCloud gives every API outcome: HTTP 200 with the JSON envelope
/// `{"result", "statusCode", "message", "info"}`, `result` true for a success (200, 311).
pub fn envelope_response(
    status: StatusCode,
    message: &str,
    info: serde_json::Value,
) -> http::Response<Vec<u8>> {
    let body = serde_json::json!({
        "result": status.is_success(),
        "statusCode": status.code(),
        "message": message,
        "info": info,
    });
    let mut response = http::Response::new(body.to_string().into_bytes());
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_which_rule() {
        let key = Secret::new("key");
        let mut p = Form::new();
        p.set("smsUser", "u");
        assert_eq!(check_signature(&p, &key), Err(SignatureRefusal::Missing));
        p.set("signature", "xyz");
        assert_eq!(check_signature(&p, &key), Err(SignatureRefusal::Malformed));
        p.set("signature", "g".repeat(32));
        assert_eq!(check_signature(&p, &key), Err(SignatureRefusal::Malformed));
        p.set("signature", "0".repeat(32));
        let refused = check_signature(&p, &key).unwrap_err();
        assert_eq!(refused.status(), StatusCode::SignatureInvalid);
        assert_eq!(
            refused.to_string(),
            "expected the MD5 or SHA-256 hex digest of ***&smsUser=u&***"
        );
        assert!(!format!("{refused:?}").contains("key&"));
        let sha = crate::sign(SignatureAlgorithm::Sha256, &key, [("smsUser", "u")]);
        p.set("signature", sha.to_ascii_uppercase());
        assert_eq!(check_signature(&p, &key), Ok(SignatureAlgorithm::Sha256));
    }

    #[test]
    fn a_body_parameter_replaces_the_query_one() {
        let request = http::Request::builder()
            .uri("/smsapi/send?a=1&b=2")
            .body(b"b=3&c=4".to_vec())
            .unwrap();
        let p = request_params(&request);
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            [("a", "1"), ("b", "3"), ("c", "4")]
        );
    }

    #[test]
    fn envelopes_decode_as_sent() {
        let r = envelope_response(
            StatusCode::from_code(412),
            "手机号格式错误",
            serde_json::json!({}),
        );
        assert_eq!(r.status(), 200);
        let env = crate::Envelope::decode(r.body()).unwrap();
        assert!(!env.result);
        assert_eq!(env.status.code(), 412);
        assert_eq!(env.message, "手机号格式错误");
        let ok = envelope_response(
            StatusCode::PartialSuccess,
            "部分成功",
            serde_json::json!({"a": 1}),
        );
        let env = crate::Envelope::decode(ok.body()).unwrap();
        assert!(env.result);
        assert_eq!(env.info, r#"{"a":1}"#);
    }
}
