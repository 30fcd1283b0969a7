//! The response envelope, decoded leniently, and the outcomes it carries.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{snippet, Error, Rejected};
use crate::json::Scanner;
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
    #[serde(default, deserialize_with = "lenient_opt_string")]
    message: Option<String>,
    #[serde(default, borrow)]
    info: Option<&'a RawValue>,
}

impl<'a> Envelope<'a> {
    /// Decodes an envelope from a body. Unknown fields are ignored, numbers may come as
    /// strings, and a missing or null `info` reads as `{}`.
    pub fn decode(body: &'a [u8]) -> Result<Envelope<'a>, Error> {
        match decode_fast(body) {
            Some(env) => Ok(env),
            None => decode_serde(body),
        }
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

/// The reference decoder, through serde: lenient, and the source of every decode error.
fn decode_serde(body: &[u8]) -> Result<Envelope<'_>, Error> {
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
        message: Cow::Owned(raw.message.unwrap_or_default()),
        info,
    })
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

/// A send's successful answer read in one pass, its `info` where it stands, when the
/// answer has the strict shape; `None` for anything else (refusals included), which then
/// goes the usual way: [`Envelope::decode`], [`decode_response`]'s checks and
/// [`send_receipt`]. It answers as that way does (`compare_fast_path` checks it).
pub(crate) fn send_receipt_fast(body: &[u8]) -> Option<SendReceipt> {
    let text = std::str::from_utf8(body).ok()?;
    let env = decode_fast_with(Scanner::new(text), send_info_object)?;
    if !(env.result && env.status.is_success()) {
        return None;
    }
    Some(receipt_of(env.status, env.info.unwrap_or_default()))
}

/// The `info` of a send: the fast path when it answers, serde's otherwise.
fn send_info(info: &str) -> Result<SendInfo, Error> {
    match send_info_fast(info) {
        Some(info) => Ok(info),
        None => parse_info(info),
    }
}

// ---- the fast path -----------------------------------------------------------------------
//
// Nearly every answer has the strict shape `{"result": bool, "statusCode": int, "message":
// "...", "info": {...}}` and a send's `info` is `{"successCount": int, "smsIds": ["..."],
// "items": [{"phone": "...", "message": "..."}]}`. The functions below read exactly that
// (keys in any order, unknown keys with any value, `null` where the lenient decoders read
// it as missing) with the borrowing scanner of `crate::json`, and return `None` for
// anything else — escapes in what they return, numbers as strings, floats, duplicate keys,
// invalid UTF-8, trailing bytes, a missing `statusCode` — so that serde decodes it and
// the lenient readings and the error messages stay as they are. They must never answer
// differently from serde: `compare_fast_path` checks that, in the tests and the fuzzer.

/// The envelope, when the body has the strict shape.
fn decode_fast(body: &[u8]) -> Option<Envelope<'_>> {
    let text = std::str::from_utf8(body).ok()?;
    let env = decode_fast_with(Scanner::new(text), Scanner::value_text)?;
    Some(Envelope {
        result: env.result,
        status: env.status,
        message: Cow::Borrowed(env.message),
        info: env.info.unwrap_or("{}"),
    })
}

/// The fields of an envelope read by [`decode_fast_with`], with `info` as its reader read
/// it (`None` when missing or null).
struct FastEnvelope<'b, T> {
    result: bool,
    status: StatusCode,
    message: &'b str,
    info: Option<T>,
}

/// Reads the envelope of the strict shape from `s`, and its `info` with `read_info` (which
/// stands on the value and must consume it, `null` aside).
#[inline(always)]
fn decode_fast_with<'b, T>(
    mut s: Scanner<'b>,
    mut read_info: impl FnMut(&mut Scanner<'b>) -> Option<T>,
) -> Option<FastEnvelope<'b, T>> {
    s.skip_ws();
    // Each is `Some` once its key was seen (serde refuses duplicates).
    let mut result: Option<Option<bool>> = None;
    let mut code: Option<Option<u64>> = None;
    let mut message: Option<Option<&str>> = None;
    let mut info: Option<Option<T>> = None;
    s.object(|s| {
        // One comparison picks the only known key this one can be.
        match s.key_initial() {
            b'm' if s.key(b"\"message\"") => {
                member(s, &mut message, |s| s.null_or(Scanner::plain_str))?;
            }
            b'i' if s.key(b"\"info\"") => {
                member(s, &mut info, |s| s.null_or(&mut read_info))?;
            }
            b'r' if s.key(b"\"result\"") => {
                member(s, &mut result, |s| s.null_or(Scanner::boolean))?;
            }
            b's' if s.key(b"\"statusCode\"") => {
                member(s, &mut code, |s| s.null_or(Scanner::uint))?;
            }
            _ => {
                other_member(s)?;
            }
        }
        Some(())
    })?;
    if !s.at_end() {
        return None;
    }
    // A missing statusCode is an error: serde's path words it.
    let code = i64::try_from(code.flatten()?).ok()?;
    let status = StatusCode::from_code(code);
    Some(FastEnvelope {
        result: result.flatten().unwrap_or_else(|| status.is_success()),
        status,
        message: message.flatten().unwrap_or_default(),
        info: info.flatten(),
    })
}

/// A send's `info`, when it is an object of the strict shape.
fn send_info_fast(info: &str) -> Option<SendInfo> {
    let mut s = Scanner::new(info);
    s.skip_ws();
    let info = send_info_object(&mut s)?;
    s.at_end().then_some(info)
}

/// A send's `info` object of the strict shape, where the scanner stands.
fn send_info_object(s: &mut Scanner<'_>) -> Option<SendInfo> {
    let mut count: Option<Option<u64>> = None;
    let mut ids: Option<Vec<String>> = None;
    let mut items: Option<Vec<RawItem>> = None;
    s.object(|s| {
        if s.key(b"\"successCount\"") {
            member(s, &mut count, |s| s.null_or(Scanner::uint))?;
        } else if s.key(b"\"smsIds\"") {
            member(s, &mut ids, |s| {
                // Most answers carry one id: room for it without growing.
                let mut list = Vec::with_capacity(1);
                s.null_or(|s| {
                    s.array(|s| {
                        list.push(s.plain_str()?.to_owned());
                        Some(())
                    })
                })?;
                Some(list)
            })?;
        } else if s.key(b"\"items\"") {
            member(s, &mut items, |s| {
                let mut list = Vec::new();
                s.null_or(|s| {
                    s.array(|s| {
                        list.push(item_fast(s)?);
                        Some(())
                    })
                })?;
                Some(list)
            })?;
        } else {
            other_member(s)?;
        }
        Some(())
    })?;
    Some(SendInfo {
        success_count: count.flatten().unwrap_or(0),
        sms_ids: ids.unwrap_or_default(),
        items: items.unwrap_or_default(),
    })
}

/// Reads the value of a known member into `slot`, once the scanner has consumed its key:
/// the colon, then `read`. `None` when the key was seen before (serde refuses duplicate
/// fields) or the value does not read.
#[inline(always)]
fn member<'a, T>(
    s: &mut Scanner<'a>,
    slot: &mut Option<T>,
    read: impl FnOnce(&mut Scanner<'a>) -> Option<T>,
) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    s.colon()?;
    *slot = Some(read(s)?);
    Some(())
}

/// Skips a member whose key is none of those the caller knows: key, colon, value.
#[inline(always)]
fn other_member(s: &mut Scanner<'_>) -> Option<()> {
    s.other_key()?;
    s.colon()?;
    s.skip_value()
}

/// One refused recipient of `info.items`: an object with plain `phone` and `message`.
fn item_fast(s: &mut Scanner<'_>) -> Option<RawItem> {
    let mut phone: Option<Option<&str>> = None;
    let mut message: Option<Option<&str>> = None;
    s.object(|s| {
        if s.key(b"\"phone\"") {
            member(s, &mut phone, |s| s.null_or(Scanner::plain_str))?;
        } else if s.key(b"\"message\"") {
            member(s, &mut message, |s| s.null_or(Scanner::plain_str))?;
        } else {
            other_member(s)?;
        }
        Some(())
    })?;
    Some(RawItem {
        phone: phone.flatten().unwrap_or_default().to_owned(),
        message: message.flatten().unwrap_or_default().to_owned(),
    })
}

/// The `info` of `timestamp/get`, when it is an object of the strict shape.
fn time_info_fast(info: &str) -> Option<TimeInfo> {
    let mut s = Scanner::new(info);
    s.skip_ws();
    let mut timestamp: Option<Option<u64>> = None;
    s.object(|s| {
        if s.key(b"\"timestamp\"") {
            member(s, &mut timestamp, |s| s.null_or(Scanner::uint))?;
        } else {
            other_member(s)?;
        }
        Some(())
    })?;
    if !s.at_end() {
        return None;
    }
    Some(TimeInfo {
        timestamp: timestamp.flatten(),
    })
}

/// Which fast paths answered in [`compare_fast_path`].
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FastPathUse {
    /// The envelope fast path answered for the body.
    pub envelope: bool,
    /// The send-`info` fast path answered for the envelope's `info` or for the body.
    pub info: bool,
    /// The `timestamp/get` `info` fast path answered for either.
    pub time_info: bool,
    /// The one-pass send receipt answered for the body.
    pub receipt: bool,
}

/// Test support (the differential tests and the `response` fuzz target): decodes `body`
/// along the fast path and along serde's and describes the first difference, when the
/// fast path answered and serde answered otherwise. The send-`info` fast path is compared
/// on the `info` serde found and on the whole body.
#[doc(hidden)]
pub fn compare_fast_path(body: &[u8]) -> Result<FastPathUse, String> {
    let mut used = FastPathUse::default();
    let reference = decode_serde(body);
    if let Some(fast) = decode_fast(body) {
        used.envelope = true;
        match &reference {
            Ok(env) if *env == fast => {}
            other => {
                return Err(format!(
                    "envelope of {:?}: fast {fast:?}, serde {other:?}",
                    String::from_utf8_lossy(body)
                ))
            }
        }
    }
    let mut infos = Vec::new();
    if let Ok(env) = &reference {
        infos.push(env.info);
    }
    if let Ok(text) = std::str::from_utf8(body) {
        infos.push(text);
    }
    for info in infos {
        used.info |= compare_info("send info", info, send_info_fast)?;
        used.time_info |= compare_info("time info", info, time_info_fast)?;
    }
    if let Some(fast) = send_receipt_fast(body) {
        used.receipt = true;
        // The usual way, all through serde.
        let reference = decode_serde(body).and_then(|env| {
            if env.is_success() {
                Ok(receipt_of(env.status, parse_info(env.info)?))
            } else {
                Err(env.into_error())
            }
        });
        match reference {
            Ok(receipt) if receipt == fast => {}
            other => {
                return Err(format!(
                    "receipt of {:?}: fast {fast:?}, serde {:?}",
                    String::from_utf8_lossy(body),
                    other.map_err(|e| e.to_string())
                ))
            }
        }
    }
    Ok(used)
}

/// Whether `fast` answered for `info`; an error when it answered otherwise than serde.
fn compare_info<T>(what: &str, info: &str, fast: fn(&str) -> Option<T>) -> Result<bool, String>
where
    T: for<'de> Deserialize<'de> + Default + PartialEq + fmt::Debug,
{
    let Some(fast) = fast(info) else {
        return Ok(false);
    };
    match parse_info::<T>(info) {
        Ok(reference) if reference == fast => Ok(true),
        other => Err(format!(
            "{what} {info:?}: fast {fast:?}, serde {:?}",
            other.map_err(|e| e.to_string())
        )),
    }
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
    let info = match time_info_fast(env.info) {
        Some(info) => info,
        None => parse_info::<TimeInfo>(env.info)?,
    };
    info.timestamp
        .map(|t| ServerTime(crate::values::Timestamp(t)))
        .ok_or_else(|| Error::decode("info.timestamp is missing", env.info.as_bytes()))
}

// ---- lenient scalar decoding -------------------------------------------------------------

struct Lenient;

#[derive(Debug)]
enum Scalar {
    Null,
    Bool(bool),
    I(i64),
    U(u64),
    F(f64),
    S(String),
}

impl<'de> Visitor<'de> for Lenient {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, string, boolean or null")
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::I(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::U(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::F(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::S(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::S(v))
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
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

fn lenient_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Null => None,
        Scalar::Bool(b) => Some(b.to_string()),
        Scalar::I(v) => Some(v.to_string()),
        Scalar::U(v) => Some(v.to_string()),
        Scalar::F(v) => Some(v.to_string()),
        Scalar::S(s) => Some(s),
    })
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
mod fast_path_tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    fn agrees(body: &str) -> FastPathUse {
        match compare_fast_path(body.as_bytes()) {
            Ok(used) => used,
            Err(diff) => panic!("{diff}"),
        }
    }

    const SUCCESS: &str = r#"{"message":"请求成功","info":{"successCount":1,"smsIds":["1700000000000_1_1_1_1ainnq$13800000000"]},"result":true,"statusCode":200}"#;

    #[test]
    fn the_common_answers_take_the_fast_path() {
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
        for body in [
            SUCCESS,
            pretty,
            r#"{"result":false,"statusCode":412,"message":"手机号格式错误","info":{}}"#,
            r#"{"statusCode":200,"info":{"smsIds":["x","y"]}}"#,
            r#"{"result":null,"statusCode":200,"message":null,"info":null,"x":[1,{"y":"\u00e9\n"}]}"#,
            r#"{"result":true,"statusCode":200,"info":{"successCount":null,"smsIds":null,"items":null}}"#,
        ] {
            let used = agrees(body);
            assert!(used.envelope && used.info, "{body}: {used:?}");
        }
        let env = decode_fast(SUCCESS.as_bytes()).expect("fast");
        assert_eq!(env.status, StatusCode::from_code(200));
        assert_eq!(env.message, "请求成功");
        assert!(env.info.starts_with(r#"{"successCount":1,"#));
        let info = send_info_fast(env.info).expect("fast info");
        assert_eq!(info.sms_ids, ["1700000000000_1_1_1_1ainnq$13800000000"]);
        let items = send_info_fast(r#"{"items":[{"phone":"1","message":"m","x":[]},{}]}"#)
            .expect("fast items")
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

    /// A 311 like the benchmark's: every refused number with its vars and code.
    #[test]
    fn a_long_partial_success_takes_the_fast_path() {
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
        let used = agrees(&body);
        assert!(used.envelope && used.info, "{used:?}");
        let info = send_info_fast(decode_fast(body.as_bytes()).expect("fast").info).expect("info");
        assert_eq!((info.sms_ids.len(), info.items.len()), (100, 100));
    }

    #[test]
    fn the_server_time_takes_the_fast_path_and_odd_ones_do_not() {
        let body = r#"{"info":{"timestamp":1796015198893},"message":"请求成功","result":true,"statusCode":200}"#;
        let used = agrees(body);
        assert!(used.envelope && used.time_info);
        let env = decode_fast(body.as_bytes()).expect("fast");
        assert_eq!(
            time_info_fast(env.info),
            Some(TimeInfo {
                timestamp: Some(1_796_015_198_893)
            })
        );
        assert_eq!(
            time_info_fast(r#"{"x":[1],"timestamp":null}"#),
            Some(TimeInfo::default())
        );
        for info in [
            r#"{"timestamp":"1796015198893"}"#,
            r#"{"timestamp":1.5}"#,
            r#"{"timestamp":-1}"#,
            r#"{"timestamp":1,"timestamp":2}"#,
            r#"{"timestamp":99999999999999999999}"#,
            r#"[]"#,
            r#"{"timestamp":1}x"#,
        ] {
            assert!(time_info_fast(info).is_none(), "{info}");
            agrees(info);
        }
    }

    #[test]
    fn odd_answers_are_left_to_serde() {
        for body in [
            // Lenient readings.
            r#"{"result":"true","statusCode":"200","message":"ok"}"#,
            r#"{"result":1,"statusCode":200}"#,
            r#"{"result":true,"statusCode":200.0}"#,
            r#"{"result":true,"statusCode":-1}"#,
            r#"{"result":true,"statusCode":200,"message":3}"#,
            r#"{"result":true,"statusCode":200,"message":"a\"b"}"#,
            r#"{"result":true,"statusCode":200,"message":"\u8bf7"}"#,
            r#"{"result":true,"statusCode":1000000000000000000}"#,
            // Keys that serde would unescape into known ones.
            r#"{"res\u0075lt":false,"statusCode":200}"#,
            // Errors, worded by serde.
            r#"{"result":true}"#,
            r#"{"statusCode":200,"statusCode":200}"#,
            r#"{"statusCode":200,"message":null,"message":"x"}"#,
            r#"{"statusCode":200} x"#,
            r#"{"statusCode":200,}"#,
            r#"{"statusCode":200"#,
            r#"{"statusCode":01}"#,
            "\u{c}{\"statusCode\":200}",
            "{\"statusCode\":200,\"message\":\"a\u{1}\"}",
            r#"[{"statusCode":200}]"#,
            "",
        ] {
            assert!(!agrees(body).envelope, "{body}");
            assert!(decode_fast(body.as_bytes()).is_none(), "{body}");
        }
        assert!(decode_fast(b"{\"statusCode\":200,\"message\":\"\xff\"}").is_none());
        assert!(decode_fast(b"{\"statusCode\":200,\"x\":\"\xc3\"}").is_none());
        // Invalid UTF-8 anywhere in a string, read or skipped, long or short, is declined.
        for bad in [
            &b"{\"statusCode\":200,\"message\":\"\xe8\xaf\xb7\xe6\xb1\x82\xe6\x88\x90\xe5\x8a\"}"[..],
            b"{\"statusCode\":200,\"info\":{\"smsIds\":[\"abcdefgh\xffijklmnop\"]}}",
            b"{\"statusCode\":200,\"info\":{\"a\":{\"b\":[\"\xc0\xaf\"]}}}",
            b"{\"statusCode\":200,\"k\xe9y\":1}",
            b"{\"statusCode\":200,\"x\":\"0123456789abcdef\xed\xa0\x80\"}",
        ] {
            assert!(
                decode_fast(bad).is_none(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // The one-pass receipt checks each string it reads or skips, not the whole body:
        // the same refusals, wherever the bad bytes are.
        for bad in [
            &b"{\"statusCode\":200,\"message\":\"\xe8\xaf\xb7\xe6\xb1\x82\xe6\x88\x90\xe5\x8a\"}"[..],
            b"{\"statusCode\":200,\"message\":\"\xff\"}",
            b"{\"statusCode\":200,\"info\":{\"smsIds\":[\"abcdefgh\xffijklmnop\"]}}",
            b"{\"statusCode\":200,\"info\":{\"smsIds\":[\"\xc3\"]}}",
            b"{\"statusCode\":200,\"info\":{\"a\":{\"b\":[\"\xc0\xaf\"]}}}",
            b"{\"statusCode\":200,\"info\":{\"items\":[{\"phone\":\"1\",\"message\":\"\xed\xa0\x80\"}]}}",
            b"{\"statusCode\":200,\"k\xe9y\":1}",
            b"{\"statusCode\":200,\"x\":\"0123456789abcdef\xed\xa0\x80\"}",
            b"{\"statusCode\":200,\"x\":[\"ok\",{\"\xf0\x9f\x8e\":1}]}",
            b"{\"statusCode\":200,\"x\":\xc3\xa9}",
        ] {
            assert!(send_receipt_fast(bad).is_none(), "{}", String::from_utf8_lossy(bad));
            assert!(compare_fast_path(bad).is_ok());
        }
        // Valid UTF-8 in every place is read, or skipped, on the fast path.
        let good = "{\"statusCode\":200,\"message\":\"请求成功 — ok\",\"名字\":\"値 ünïcødé 🎉\",\
                    \"info\":{\"smsIds\":[\"é1\"],\"x\":[\"漢字漢字漢字\"]}}";
        let env = decode_fast(good.as_bytes()).expect("fast path");
        assert_eq!(env.message, "请求成功 — ok");
        assert_eq!(send_info_fast(env.info).expect("info").sms_ids, ["é1"]);
        let receipt = send_receipt_fast(good.as_bytes()).expect("one pass");
        assert_eq!(receipt.sms_ids, ["é1"]);
        assert!(compare_fast_path(good.as_bytes()).expect("agrees").receipt);
        for info in [
            r#"{"successCount":"1"}"#,
            r#"{"successCount":1.0}"#,
            r#"{"successCount":-1}"#,
            r#"{"smsIds":"a,b"}"#,
            r#"{"smsIds":[1,2]}"#,
            r#"{"smsIds":["a\/b"]}"#,
            r#"{"smsIds":[null]}"#,
            r#"{"items":[["13800000000","bad"]]}"#,
            r#"{"items":[null]}"#,
            r#"{"items":[{"phone":13800000000}]}"#,
            r#"{"items":[{"phone":"1","phone":"2"}]}"#,
            r#"{"successCount":1,"successCount":1}"#,
            r#"{"successCount":1} {}"#,
            "[]",
            "\"\"",
            " \u{3000}{}",
        ] {
            assert!(send_info_fast(info).is_none(), "{info}");
            agrees(info);
        }
    }

    #[test]
    fn deep_nesting_is_declined_or_skipped_without_overflow() {
        for depth in [10, 62, 63, 64, 65, 66, 100_000] {
            let junk = "[".repeat(depth) + &"]".repeat(depth);
            let body = format!(r#"{{"statusCode":200,"x":{junk},"info":{{"y":{junk}}}}}"#);
            let used = agrees(&body);
            // `info` and `depth - 1` arrays are open (the innermost `[]` never is).
            assert_eq!(used.envelope, depth <= 64, "{depth}");
        }
        let deep = r#"{"statusCode":200,"x":"#.to_owned() + &r#"{"a":"#.repeat(100_000);
        assert!(!agrees(&deep).envelope);
    }

    // ---- generated answers ----------------------------------------------------------------

    fn ws() -> impl Strategy<Value = String> {
        prop_oneof![12 => Just(String::new()), 6 => "[ \t\n\r]{1,3}", 1 => "[ \u{c}\u{3000}]"]
    }

    fn plain() -> &'static str {
        "\"[a-zA-Z0-9_$%, 请求成功]{0,12}\""
    }

    fn string() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "\"[a-zA-Z0-9_$%, 请求成功]{0,12}\"",
            1 => r#""([a-z]|\\[\\"/bfnrt]|\\u[0-9a-fA-F]{4}|\\ud83d\\ude00|\\ud800|\\u12|\\x|[\x00-\x1f])*""#,
            1 => "\"[0-9]{1,4}\"",
            1 => "\"(true|false|TRUE|1|0| 200 )\"",
        ]
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "0|[1-9][0-9]{0,3}",
            1 => "(200|311|412|0)",
            1 => "-?(0|[1-9][0-9]{0,2})(\\.[0-9]{1,2})?([eE][+-]?[0-9])?",
            1 => "[0-9]{18,21}",
            1 => "(01|-0|1\\.|\\.5|1e|\\+1)",
        ]
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            string(),
            number(),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
        ]
    }

    fn junk() -> impl Strategy<Value = String> {
        scalar().prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((string(), inner), 0..4).prop_map(|v| {
                    let members: Vec<String> =
                        v.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    fn object(members: Vec<(String, String)>, ws: Vec<String>) -> String {
        let mut out = String::from("{");
        for (n, (k, v)) in members.iter().enumerate() {
            let w = |j: usize| {
                ws.get((n * 4 + j) % ws.len().max(1))
                    .map_or("", String::as_str)
            };
            if n > 0 {
                out.push(',');
            }
            out.push_str(&format!("{}{k}{}:{}{v}{}", w(0), w(1), w(2), w(3)));
        }
        out.push('}');
        out
    }

    /// The members of an object: each known key at most once (most of the time), unknown
    /// keys, keys spelt with escapes and repeated keys, in any order.
    fn members(
        known: Vec<(&'static str, BoxedStrategy<String>)>,
    ) -> impl Strategy<Value = Vec<(String, String)>> {
        let known: Vec<BoxedStrategy<Option<(String, String)>>> = known
            .into_iter()
            .map(|(k, v)| {
                let key = format!("\"{k}\"");
                prop::option::weighted(0.85, v.prop_map(move |v| (key.clone(), v))).boxed()
            })
            .collect();
        let extra = prop_oneof![
            4 => (prop_oneof![4 => plain(), 1 => string().boxed()], junk()),
            1 => (
                prop_oneof![
                    Just(r#""res\u0075lt""#.to_owned()),
                    Just(r#""i\u006efo""#.to_owned()),
                    Just(r#""statusCode""#.to_owned()),
                    Just(r#""smsIds""#.to_owned()),
                    Just(r#""phone""#.to_owned()),
                ],
                scalar()
            ),
        ];
        (known, prop::collection::vec(extra, 0..3))
            .prop_map(|(known, extra)| known.into_iter().flatten().chain(extra).collect::<Vec<_>>())
            .prop_shuffle()
    }

    fn ids() -> BoxedStrategy<String> {
        prop_oneof![
            6 => prop::collection::vec(string(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            2 => prop::collection::vec(scalar(), 0..4).prop_map(|v| format!("[{}]", v.join(" , "))),
            1 => string(),
            1 => junk(),
        ]
        .boxed()
    }

    fn item() -> BoxedStrategy<String> {
        prop_oneof![
            6 => (
                members(vec![
                    ("phone", prop_oneof![4 => string(), 1 => scalar()].boxed()),
                    ("message", prop_oneof![4 => string(), 1 => scalar()].boxed()),
                ]),
                prop::collection::vec(ws(), 0..4),
            )
                .prop_map(|(m, w)| object(m, w)),
            1 => junk(),
        ]
        .boxed()
    }

    fn info() -> BoxedStrategy<String> {
        prop_oneof![
            8 => (
                members(vec![
                        ("successCount", prop_oneof![4 => number(), 1 => scalar()].boxed()),
                        ("timestamp", prop_oneof![4 => number(), 1 => "[0-9]{13}".boxed(), 1 => scalar().boxed()].boxed()),
                        ("smsIds", ids()),
                        (
                            "items",
                            prop_oneof![
                                4 => prop::collection::vec(item(), 0..3)
                                    .prop_map(|v| format!("[{}]", v.join(","))),
                                1 => junk(),
                            ]
                            .boxed(),
                        ),
                    ]),
                prop::collection::vec(ws(), 0..4),
            )
                .prop_map(|(m, w)| object(m, w)),
            1 => junk(),
        ]
        .boxed()
    }

    fn envelope() -> impl Strategy<Value = String> {
        (
            members(vec![
                    (
                        "result",
                        prop_oneof![4 => Just("true".to_owned()), 2 => Just("false".to_owned()), 1 => scalar()].boxed(),
                    ),
                    (
                        "statusCode",
                        prop_oneof![8 => "(200|311|412|500|[0-9]{1,4})", 2 => number(), 1 => scalar()].boxed(),
                    ),
                    ("message", prop_oneof![8 => plain().boxed(), 2 => string().boxed(), 1 => scalar().boxed()].boxed()),
                    ("info", info()),
                ]),
            prop::collection::vec(ws(), 0..4),
            ws(),
            ws(),
        )
            .prop_map(|(m, w, before, after)| format!("{before}{}{after}", object(m, w)))
    }

    /// An envelope, sometimes damaged: cut short, with bytes added, or with one replaced.
    fn body() -> impl Strategy<Value = Vec<u8>> {
        (
            envelope(),
            0..16u8,
            any::<prop::sample::Index>(),
            prop_oneof![
                Just(b'x'),
                Just(b'}'),
                Just(b'"'),
                Just(b'\\'),
                Just(b','),
                Just(0xff),
                Just(0xc3),
                Just(0x0c),
                Just(0)
            ],
        )
            .prop_map(|(text, damage, at, byte)| {
                let mut b = text.into_bytes();
                let at = at.index(b.len() + 1);
                match damage {
                    0 => b.truncate(at),
                    1 => b.insert(at, byte),
                    2 if at < b.len() => b[at] = byte,
                    3 => b.extend_from_slice(b" x"),
                    _ => {}
                }
                b
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_fast_path_answers_as_serde_does(body in body()) {
            if let Err(diff) = compare_fast_path(&body) {
                prop_assert!(false, "{}", diff);
            }
        }
    }

    proptest! {
        /// Well-formed successful send answers, as serde_json writes them (keys in any
        /// order, any text): the one-pass receipt reads every one, as the usual way does.
        #[test]
        fn successful_send_answers_take_the_one_pass_path(
            ids in prop::collection::vec("[a-zA-Z0-9_$.]{1,40}|\\PC{0,12}", 0..4),
            count in prop::option::of(0u64..5000),
            items in prop::collection::vec(("[0-9]{5,13}", "\\PC{0,10}"), 0..3),
            message in "\\PC{0,10}",
            partial in any::<bool>(),
            order in Just(()).prop_perturb(|(), mut rng| rng.next_u32()),
        ) {
            let mut info = serde_json::Map::new();
            if let Some(c) = count {
                info.insert("successCount".into(), c.into());
            }
            info.insert("smsIds".into(), ids.clone().into());
            if !items.is_empty() {
                let items: Vec<serde_json::Value> = items
                    .iter()
                    .map(|(p, m)| serde_json::json!({"phone": p, "message": m, "statusCode": 412}))
                    .collect();
                info.insert("items".into(), items.into());
            }
            let mut members = [
                ("message", serde_json::Value::from(message.clone())),
                ("info", serde_json::Value::Object(info)),
                ("result", true.into()),
                ("statusCode", (if partial { 311 } else { 200 }).into()),
            ];
            members.rotate_left(order as usize % 4);
            let body = format!(
                "{{{}}}",
                members
                    .iter()
                    .map(|(k, v)| format!("{:?}:{}", k, v))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let fast = send_receipt_fast(body.as_bytes());
            // Text with escapes (quotes, control characters) is serde's to read.
            let escaped = body.contains('\\');
            prop_assert!(fast.is_some() || escaped, "{}", body);
            prop_assert!(compare_fast_path(body.as_bytes()).is_ok());
            if let Some(receipt) = fast {
                prop_assert_eq!(&receipt.sms_ids, &ids);
                prop_assert_eq!(receipt.rejected.len(), items.len());
                let expected = count.filter(|&c| c != 0).unwrap_or(ids.len() as u64);
                prop_assert_eq!(receipt.success_count, expected);
            }
        }
    }

    /// The generated answers exercise both the fast path and the fallback.
    #[test]
    fn generated_answers_cover_both_paths() {
        let mut runner = TestRunner::deterministic();
        let strategy = body();
        let (mut fast, mut info, mut receipt, mut n) = (0, 0, 0, 0);
        for _ in 0..2000 {
            let body = strategy.new_tree(&mut runner).expect("value").current();
            let used = compare_fast_path(&body).expect("agrees");
            fast += usize::from(used.envelope);
            info += usize::from(used.info);
            receipt += usize::from(used.receipt);
            n += 1;
        }
        eprintln!("fast envelope in {fast} of {n}, fast info in {info}, receipt in {receipt}");
        assert!(receipt * 100 > n, "one-pass receipt in {receipt} of {n}");
        assert!(
            fast * 7 > n && fast * 10 < n * 9,
            "fast envelope in {fast} of {n}"
        );
        assert!(info * 10 > n, "fast info in {info} of {n}");
    }
}
