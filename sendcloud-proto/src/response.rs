//! The response envelope, decoded leniently, and the outcomes it carries.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{snippet, Error, Rejected};
use crate::status::StatusCode;

/// A decoded answer: `{"result": bool, "statusCode": int, "message": str, "info": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The `result` flag (inferred from the status when missing).
    pub result: bool,
    /// The `statusCode`.
    pub status: StatusCode,
    /// The `message` (empty when missing), borrowed from the body when it has no escapes.
    pub message: Cow<'a, str>,
    /// The raw JSON text of `info` (`{}` when missing or null).
    pub info: &'a str,
}

#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[serde(default, deserialize_with = "lenient_opt_bool")]
    result: Option<bool>,
    #[serde(rename = "statusCode", default, deserialize_with = "lenient_opt_i64")]
    status_code: Option<i64>,
    #[serde(default, borrow, deserialize_with = "lenient_opt_cow")]
    message: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    info: Option<&'a RawValue>,
}

impl<'a> Envelope<'a> {
    /// Decodes an envelope from a body. Unknown fields are ignored, numbers may come as
    /// strings, and a missing or null `info` reads as `{}`.
    pub fn decode(body: &'a [u8]) -> Result<Envelope<'a>, Error> {
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(Error::decode(
                "not a SendCloud JSON answer: not a JSON object",
                body,
            ));
        }
        let raw: RawEnvelope<'_> = serde_json::from_slice(body)
            .map_err(|e| Error::decode(format!("not a SendCloud JSON answer: {e}"), body))?;
        let code = raw
            .status_code
            .ok_or_else(|| Error::decode("the answer has no statusCode", body))?;
        let status = StatusCode::from_code(code);
        let info = match raw.info {
            Some(r) if r.get() != "null" => r.get(),
            _ => "{}",
        };
        Ok(Envelope {
            result: raw.result.unwrap_or_else(|| status.is_success()),
            status,
            message: raw.message.unwrap_or_default(),
            info,
        })
    }

    /// Whether the request was processed: `result` true and a success status (200, 311).
    pub fn is_success(&self) -> bool {
        self.result && self.status.is_success()
    }

    /// The error this envelope stands for, when it is not a success.
    pub fn into_error(self) -> Error {
        let rejected = send_info(self.info)
            .map(SendInfo::rejected)
            .unwrap_or_default();
        Error::Api {
            status: self.status,
            message: self.message.into_owned(),
            rejected,
        }
    }
}

/// Decodes an endpoint's `info` object. Non-object `info` values (`[]`, `""`) read as empty.
pub fn parse_info<T: for<'de> Deserialize<'de> + Default>(info: &str) -> Result<T, Error> {
    let t = info.trim_start();
    if !t.starts_with('{') {
        return Ok(T::default());
    }
    serde_json::from_str(info)
        .map_err(|e| Error::decode(format!("unexpected info: {e}"), info.as_bytes()))
}

/// Decodes a whole HTTP answer: a non-2xx status is [`Error::Http`], an undecodable body
/// [`Error::Decode`], a refusal [`Error::Api`]; otherwise the successful envelope.
pub fn decode_response<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<Envelope<'_>, Error> {
    let body = response.body().as_ref();
    if !response.status().is_success() {
        return Err(Error::Http {
            status: response.status().as_u16(),
            body: snippet(body),
        });
    }
    let env = Envelope::decode(body)?;
    if env.is_success() {
        Ok(env)
    } else {
        Err(env.into_error())
    }
}

/// What a send (template, voice or code) returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendReceipt {
    /// The status: 200, or 311 when some recipients were refused.
    pub status: Option<StatusCode>,
    /// The ids of the accepted messages (opaque strings).
    pub sms_ids: Vec<String>,
    /// How many recipients were accepted.
    pub success_count: u64,
    /// The recipients refused in a partial success, with SendCloud's reasons.
    pub rejected: Vec<Rejected>,
    /// A retry was answered `400 duplicate request`: an earlier attempt of this very request
    /// (same sendRequestId) was processed, and its ids and counts are not known here.
    pub already_accepted: bool,
}

impl SendReceipt {
    /// The receipt of a request that an earlier attempt already delivered to SendCloud.
    pub fn already_accepted() -> Self {
        SendReceipt {
            status: Some(StatusCode::DuplicateRequest),
            already_accepted: true,
            ..SendReceipt::default()
        }
    }

    /// Whether some recipients were refused.
    pub fn is_partial(&self) -> bool {
        !self.rejected.is_empty()
    }
}

#[derive(Deserialize, Default, Debug, PartialEq, Eq)]
#[serde(default)]
pub(crate) struct SendInfo {
    #[serde(rename = "successCount", deserialize_with = "lenient_u64")]
    success_count: u64,
    #[serde(rename = "smsIds", deserialize_with = "lenient_strings")]
    sms_ids: Vec<String>,
    #[serde(deserialize_with = "lenient_items")]
    items: Vec<RawItem>,
}

#[derive(Deserialize, Default, Debug, PartialEq, Eq)]
#[serde(default)]
struct RawItem {
    #[serde(deserialize_with = "lenient_string")]
    phone: String,
    #[serde(deserialize_with = "lenient_string")]
    message: String,
}

impl RawItem {
    fn into_rejected(self) -> Rejected {
        Rejected {
            phone: self.phone,
            message: self.message,
        }
    }
}

impl SendInfo {
    fn rejected(self) -> Vec<Rejected> {
        self.items.into_iter().map(RawItem::into_rejected).collect()
    }
}

/// Builds a [`SendReceipt`] from a successful envelope.
pub fn send_receipt(env: Envelope<'_>) -> Result<SendReceipt, Error> {
    Ok(receipt_of(env.status, send_info(env.info)?))
}

fn receipt_of(status: StatusCode, info: SendInfo) -> SendReceipt {
    let success_count = if info.success_count == 0 {
        info.sms_ids.len() as u64
    } else {
        info.success_count
    };
    let SendInfo { sms_ids, items, .. } = info;
    SendReceipt {
        status: Some(status),
        sms_ids,
        success_count,
        rejected: items.into_iter().map(RawItem::into_rejected).collect(),
        already_accepted: false,
    }
}

/// The `info` of a send.
fn send_info(info: &str) -> Result<SendInfo, Error> {
    parse_info(info)
}

/// The server's clock, from `timestamp/get`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerTime(pub crate::values::Timestamp);

#[derive(Deserialize, Default, Debug, PartialEq, Eq)]
#[serde(default)]
struct TimeInfo {
    #[serde(deserialize_with = "lenient_opt_u64")]
    timestamp: Option<u64>,
}

/// Builds a [`ServerTime`] from a successful envelope.
pub fn server_time(env: Envelope<'_>) -> Result<ServerTime, Error> {
    let info = parse_info::<TimeInfo>(env.info)?;
    info.timestamp
        .map(|t| ServerTime(crate::values::Timestamp(t)))
        .ok_or_else(|| Error::decode("info.timestamp is missing", env.info.as_bytes()))
}

// ---- lenient scalar decoding -------------------------------------------------------------

struct Lenient;

#[derive(Debug)]
enum Scalar<'de> {
    Null,
    Bool(bool),
    I(i64),
    U(u64),
    F(f64),
    /// Borrowed from the body when it has no escapes.
    S(Cow<'de, str>),
}

impl<'de> Visitor<'de> for Lenient {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, string, boolean or null")
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::I(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::U(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::F(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::S(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::S(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::S(Cow::Owned(v)))
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar<'de>, D::Error> {
    d.deserialize_any(Lenient)
}

fn lenient_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Null => None,
        Scalar::I(v) => Some(v),
        Scalar::U(v) => Some(i64::try_from(v).map_err(de::Error::custom)?),
        Scalar::F(v) if v.fract() == 0.0 && v.abs() < 1e15 => Some(v as i64),
        Scalar::S(s) => Some(
            s.trim()
                .parse()
                .map_err(|_| de::Error::custom(format!("not an integer: {s:?}")))?,
        ),
        other => return Err(de::Error::custom(format!("not an integer: {other:?}"))),
    })
}

fn lenient_opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match lenient_opt_i64(d)? {
        None => Ok(None),
        Some(v) => u64::try_from(v).map(Some).map_err(de::Error::custom),
    }
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(lenient_opt_u64(d)?.unwrap_or(0))
}

fn lenient_opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Null => None,
        Scalar::Bool(b) => Some(b),
        Scalar::I(v) => Some(v != 0),
        Scalar::U(v) => Some(v != 0),
        Scalar::S(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => return Err(de::Error::custom(format!("not a boolean: {s:?}"))),
        },
        other => return Err(de::Error::custom(format!("not a boolean: {other:?}"))),
    })
}

fn lenient_opt_cow<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Null => None,
        Scalar::Bool(b) => Some(b.to_string().into()),
        Scalar::I(v) => Some(v.to_string().into()),
        Scalar::U(v) => Some(v.to_string().into()),
        Scalar::F(v) => Some(v.to_string().into()),
        Scalar::S(s) => Some(s),
    })
}

fn lenient_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(lenient_opt_cow(d)?.map(Cow::into_owned))
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient_opt_string(d)?.unwrap_or_default())
}

/// A list of ids: an array of strings or numbers, a single string, or a string holding a
/// JSON array (as SMSHook's JSON form sends it).
fn lenient_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    // What an untagged `List(Vec<string | number>) | One(String) | Null` accepts, read in
    // one pass without buffering the value first. A value that matches none is consumed
    // whole and refused afterwards, with the error (and so the position) the untagged
    // enum gave.
    match d.deserialize_any(IdsVisitor)? {
        Some(ids) => Ok(ids),
        None => Err(de::Error::custom(
            "data did not match any variant of untagged enum Many",
        )),
    }
}

/// Reads an id list; `None` when the value is not one (it is consumed all the same).
struct IdsVisitor;

impl<'de> Visitor<'de> for IdsVisitor {
    type Value = Option<Vec<String>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of ids")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Some(Vec::new()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(split_id_list(v)))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(None)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut ids = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        let mut all_ids = true;
        while let Some(id) = seq.next_element_seed(IdSeed)? {
            match id {
                Some(id) if all_ids => ids.push(id),
                Some(_) => {}
                None => all_ids = false,
            }
        }
        Ok(all_ids.then_some(ids))
    }
}

/// One id of a list: a string or a number; `None` for anything else (consumed).
struct IdSeed;

impl<'de> de::DeserializeSeed<'de> for IdSeed {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IdSeed {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(None)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// Splits a list of ids given as one string: a JSON array text, or separated by `,` or `;`.
pub fn split_id_list(s: &str) -> Vec<String> {
    let t = s.trim();
    if t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<serde_json::Value>>(t) {
            return v
                .into_iter()
                .map(|x| match x {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect();
        }
    }
    t.split([',', ';'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn lenient_items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RawItem>, D::Error> {
    Ok(Option::<Vec<RawItem>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUCCESS: &str = r#"{"message":"请求成功","info":{"successCount":1,"smsIds":["1700000000000_1_1_1_1ainnq$13800000000"]},"result":true,"statusCode":200}"#;

    fn receipt(body: &str) -> Result<SendReceipt, Error> {
        decode_response(&http::Response::new(body)).and_then(send_receipt)
    }

    #[test]
    fn the_common_answers_decode() {
        let env = Envelope::decode(SUCCESS.as_bytes()).unwrap();
        assert_eq!(env.status, StatusCode::from_code(200));
        assert!(matches!(env.message, Cow::Borrowed("请求成功")));
        assert!(env.info.starts_with(r#"{"successCount":1,"#));
        let r = receipt(SUCCESS).unwrap();
        assert_eq!(r.sms_ids, ["1700000000000_1_1_1_1ainnq$13800000000"]);
        assert_eq!(r.success_count, 1);

        let pretty = r#" {
            "result" : true,
            "statusCode" : 311,
            "message" : "部分成功",
            "info" : {
                "successCount" : 1, "failedCount" : 1,
                "items" : [ {"phone":"1310000","vars":{"%code%":"1"},"message":"手机号格式错误","statusCode":412} ],
                "smsIds" : [ "a$13800000000" ]
            }
        } "#;
        let r = receipt(pretty).unwrap();
        assert_eq!((r.success_count, r.sms_ids.len()), (1, 1));
        assert_eq!(r.rejected[0].phone, "1310000");
        assert_eq!(r.rejected[0].message, "手机号格式错误");

        // Nulls read as missing; a missing successCount is the number of ids.
        let r = receipt(r#"{"result":null,"statusCode":200,"message":null,"info":null,"x":[1,{"y":"\u00e9\n"}]}"#).unwrap();
        assert_eq!(r.success_count, 0);
        let r = receipt(r#"{"statusCode":200,"info":{"smsIds":["x","y"]}}"#).unwrap();
        assert_eq!(r.success_count, 2);
        let r = receipt(r#"{"result":true,"statusCode":200,"info":{"successCount":null,"smsIds":null,"items":null}}"#).unwrap();
        assert_eq!(
            r,
            SendReceipt {
                status: Some(StatusCode::from_code(200)),
                ..SendReceipt::default()
            }
        );

        let items = send_info(r#"{"items":[{"phone":"1","message":"m","x":[]},{}]}"#)
            .unwrap()
            .rejected();
        assert_eq!(items.len(), 2);
        assert_eq!(
            (items[0].phone.as_str(), items[0].message.as_str()),
            ("1", "m")
        );
        assert_eq!(
            (items[1].phone.as_str(), items[1].message.as_str()),
            ("", "")
        );
    }

    #[test]
    fn a_long_partial_success_decodes() {
        let items: Vec<String> = (0..100)
            .map(|i| {
                format!(
                    r#"{{"phone":"131{i:04}","vars":{{"%code%":"123456"}},"message":"手机号格式错误","statusCode":412}}"#
                )
            })
            .collect();
        let ids: Vec<String> = (0..100)
            .map(|i| format!(r#""1700000000000_{}_1_1_1ainnq$138{i:08}""#, i + 1))
            .collect();
        let body = format!(
            r#"{{"message":"部分成功","info":{{"successCount":100,"failedCount":100,"items":[{}],"smsIds":[{}]}},"result":true,"statusCode":311}}"#,
            items.join(","),
            ids.join(",")
        );
        let r = receipt(&body).unwrap();
        assert_eq!((r.sms_ids.len(), r.rejected.len()), (100, 100));
        assert_eq!(r.rejected[99].phone, "1310099");
    }

    #[test]
    fn the_server_time_decodes_leniently() {
        let t = |info: &str| {
            let body = format!(r#"{{"result":true,"statusCode":200,"info":{info}}}"#);
            server_time(Envelope::decode(body.as_bytes()).unwrap())
        };
        assert_eq!(
            t(r#"{"timestamp":1796015198893}"#).unwrap(),
            ServerTime(crate::values::Timestamp(1_796_015_198_893))
        );
        assert_eq!(
            t(r#"{"timestamp":"1796015198893"}"#).unwrap().0 .0,
            1_796_015_198_893
        );
        for info in [
            r#"{"x":[1],"timestamp":null}"#,
            "[]",
            r#"{"timestamp":-1}"#,
            r#"{"timestamp":1,"timestamp":2}"#,
        ] {
            assert!(t(info).is_err(), "{info}");
        }
    }

    #[test]
    fn lenient_readings_and_errors() {
        let env = Envelope::decode(br#"{"result":"true","statusCode":"200","message":3}"#).unwrap();
        assert!(env.result && env.status == StatusCode::from_code(200));
        assert_eq!(env.message, "3");
        let env = Envelope::decode(br#"{"result":1,"statusCode":200.0,"message":"a\"b"}"#).unwrap();
        assert!(env.result);
        assert!(matches!(env.message, Cow::Owned(ref m) if m == "a\"b"));
        // A key spelt with an escape is that key.
        assert!(
            !Envelope::decode(br#"{"res\u0075lt":false,"statusCode":200}"#)
                .unwrap()
                .result
        );
        for body in [
            &br#"{"result":true}"#[..],
            br#"{"statusCode":200,"statusCode":200}"#,
            br#"{"statusCode":200} x"#,
            br#"{"statusCode":200,}"#,
            br#"{"statusCode":01}"#,
            br#"[{"statusCode":200}]"#,
            b"",
            b"{\"statusCode\":200,\"message\":\"\xff\"}",
        ] {
            let e = Envelope::decode(body).unwrap_err();
            assert!(
                matches!(e, Error::Decode { .. }),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        for info in [
            r#"{"smsIds":[1,2]}"#,
            r#"{"successCount":"1"}"#,
            "[]",
            "\"\"",
        ] {
            assert!(send_info(info).is_ok(), "{info}");
        }
        assert!(send_info(r#"{"successCount":-1}"#).is_err());
    }

    #[test]
    fn deep_nesting_is_read_or_refused_without_overflow() {
        for depth in [10, 64, 127, 128, 100_000] {
            let junk = "[".repeat(depth) + &"]".repeat(depth);
            let body = format!(r#"{{"statusCode":200,"x":{junk},"info":{{"y":{junk}}}}}"#);
            let decoded = Envelope::decode(body.as_bytes());
            if depth <= 64 {
                assert!(decoded.is_ok(), "{depth}");
            }
        }
        let deep = r#"{"statusCode":200,"x":"#.to_owned() + &r#"{"a":"#.repeat(100_000);
        assert!(Envelope::decode(deep.as_bytes()).is_err());
    }
}
