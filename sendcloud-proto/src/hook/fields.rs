//! The fields of a post, decoded leniently: a form or JSON body into names and values,
//! and each value into what it stands for.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::{invalid, quote, HookError};
use crate::form::Form;
use crate::status::StatusCode;
use crate::values::{LabelId, TemplateId, Timestamp};

/// The longest token accepted, in characters (SendCloud's tokens have 50).
pub const MAX_TOKEN_CHARS: usize = 128;

pub(super) fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

pub(super) fn looks_like_json(content_type: Option<&str>, body: &[u8]) -> bool {
    let says_json = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let starts_brace = strip_bom(body)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    says_json || starts_brace
}

pub(super) fn decode_fields(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<BTreeMap<String, String>, HookError> {
    if looks_like_json(content_type, body) {
        json_fields(body)
    } else {
        Ok(form_fields(body))
    }
}

pub(super) fn form_fields(body: &[u8]) -> BTreeMap<String, String> {
    Form::decode(strip_bom(body))
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub(super) fn json_fields(body: &[u8]) -> Result<BTreeMap<String, String>, HookError> {
    let value: Value = serde_json::from_slice(strip_bom(body))
        .map_err(|e| HookError::Malformed(format!("not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(HookError::Malformed("JSON body is not an object".into()));
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| json_text(v).map(|t| (k, t)))
        .collect())
}

/// A JSON value as field text: strings as they are, null as absent, the rest as JSON.
pub(super) fn json_text(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

// --- field helpers ---------------------------------------------------------------------

/// A raw value, required and non-empty (not trimmed: these are signed as they are).
pub(super) fn raw_required<'a>(
    f: &'a BTreeMap<String, String>,
    name: &'static str,
) -> Result<&'a str, HookError> {
    match f.get(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(HookError::Missing(name)),
    }
}

/// A trimmed value; `None` when absent or blank.
pub(super) fn opt<'a>(f: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    f.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

pub(super) fn opt_string(f: &BTreeMap<String, String>, name: &str) -> Option<String> {
    opt(f, name).map(str::to_owned)
}

pub(super) fn check_token(token: &str) -> Result<(), HookError> {
    let n = token.chars().count();
    if n == 0 {
        return Err(HookError::Missing("token"));
    }
    if n > MAX_TOKEN_CHARS {
        return Err(invalid(
            "token",
            format!("must be at most {MAX_TOKEN_CHARS} characters, has {n}"),
        ));
    }
    Ok(())
}

pub(super) fn parse_timestamp(raw: &str) -> Result<Timestamp, HookError> {
    if raw.is_empty() || raw.len() > 20 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "timestamp",
            format!("must be UNIX milliseconds, got {}", quote(raw)),
        ));
    }
    raw.parse::<u64>()
        .map(Timestamp)
        .map_err(|_| invalid("timestamp", format!("out of range: {}", quote(raw))))
}

/// An integer that may come as a JSON number or as text, e.g. `"410"` or `410`.
pub(super) fn parse_int(field: &'static str, raw: &str) -> Result<i64, HookError> {
    let t = raw.trim();
    let t = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t)
        .trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n);
    }
    // JSON numbers such as `410.0`: accept when integral.
    if let Some(int_part) = t.strip_suffix(".0") {
        if let Ok(n) = int_part.parse::<i64>() {
            return Ok(n);
        }
    }
    Err(invalid(
        field,
        format!("must be an integer, got {}", quote(raw)),
    ))
}

/// An optional positive id; `0` (which SendCloud sends for "none") counts as absent.
pub(super) fn opt_positive(
    f: &BTreeMap<String, String>,
    name: &'static str,
) -> Result<Option<u64>, HookError> {
    let Some(raw) = opt(f, name) else {
        return Ok(None);
    };
    let n = parse_int(name, raw)?;
    match n {
        0 => Ok(None),
        n if n > 0 => Ok(Some(n.unsigned_abs())),
        _ => Err(invalid(name, format!("must be positive, got {n}"))),
    }
}

pub(super) fn required_status(f: &BTreeMap<String, String>) -> Result<StatusCode, HookError> {
    let raw = opt(f, "statusCode").ok_or(HookError::Missing("statusCode"))?;
    Ok(StatusCode::from_code(parse_int("statusCode", raw)?))
}

/// A list field: a JSON array, a JSON array inside a string, or text separated by commas
/// or semicolons. Blank items are dropped.
pub(super) fn parse_list(field: &'static str, raw: &str) -> Result<Vec<String>, HookError> {
    let t = raw.trim();
    if t.starts_with('[') {
        let items: Vec<Value> = serde_json::from_str(t)
            .map_err(|e| invalid(field, format!("not a JSON array: {e}")))?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let s = match item {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Null => continue,
                other => {
                    return Err(invalid(
                        field,
                        format!(
                            "items must be strings or numbers, got {}",
                            quote(&other.to_string())
                        ),
                    ))
                }
            };
            let s = s.trim();
            if !s.is_empty() {
                out.push(s.to_owned());
            }
        }
        return Ok(out);
    }
    Ok(t.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The list `plural`, or else the single value `singular` as a one-item list.
pub(super) fn list_or_single(
    f: &BTreeMap<String, String>,
    plural: &'static str,
    singular: &'static str,
) -> Result<Vec<String>, HookError> {
    if let Some(raw) = opt(f, plural) {
        return parse_list(plural, raw);
    }
    match opt(f, singular) {
        Some(raw) => parse_list(singular, raw),
        None => Ok(Vec::new()),
    }
}

/// The value `singular`, or else the first item of the list `plural`.
pub(super) fn first_of(
    f: &BTreeMap<String, String>,
    singular: &'static str,
    plural: &'static str,
) -> Result<Option<String>, HookError> {
    if let Some(v) = opt(f, singular) {
        // Some posts carry a one-item list even in the singular field.
        if v.starts_with('[') {
            return Ok(parse_list(singular, v)?.into_iter().next());
        }
        return Ok(Some(v.to_owned()));
    }
    match opt(f, plural) {
        Some(raw) => Ok(parse_list(plural, raw)?.into_iter().next()),
        None => Ok(None),
    }
}

pub(super) fn required_sms_id(f: &BTreeMap<String, String>) -> Result<String, HookError> {
    first_of(f, "smsId", "smsIds")?.ok_or(HookError::Missing("smsId"))
}

pub(super) fn single_phone(f: &BTreeMap<String, String>) -> Result<Option<String>, HookError> {
    first_of(f, "phone", "phones")
}

pub(super) fn opt_template_id(
    f: &BTreeMap<String, String>,
) -> Result<Option<TemplateId>, HookError> {
    opt_positive(f, "templateId")?
        .map(|n| TemplateId::new(n).map_err(|e| invalid("templateId", e.rule.into_owned())))
        .transpose()
}

pub(super) fn opt_label_id(f: &BTreeMap<String, String>) -> Result<Option<LabelId>, HookError> {
    opt_positive(f, "labelId")?
        .map(|n| LabelId::new(n).map_err(|e| invalid("labelId", e.rule.into_owned())))
        .transpose()
}
