//! Lenient reading of `info` values for the query and management calls.
//!
//! SendCloud's samples send numbers as strings (`"103"`), placeholders as `"None"`, ids as
//! `00`, and rename fields between versions. These helpers read a JSON value field by
//! field, accepting any of several names, numbers written as strings, and missing or null
//! fields; the typed outputs keep the raw value for anything they do not model.

use serde_json::{Map, Value};

use crate::error::Error;

/// Parses `info`; a value that is not an object reads as `{}`.
pub(crate) fn info_object(info: &str) -> Result<Value, Error> {
    let v: Value = serde_json::from_str(info)
        .map_err(|e| Error::decode(format!("unexpected info: {e}"), info.as_bytes()))?;
    Ok(match v {
        Value::Object(_) => v,
        _ => Value::Object(Map::new()),
    })
}

/// The first of `keys` that is present and not null.
pub(crate) fn field<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().filter_map(|k| v.get(*k)).find(|x| !x.is_null())
}

/// A field as text: strings as they are, numbers and booleans written out; else empty.
pub(crate) fn text(v: &Value, keys: &[&str]) -> String {
    match field(v, keys) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A field as an unsigned integer: a number, or a string holding one; anything else
/// (`"None"`, `""`, a negative number) is `None`.
pub(crate) fn opt_u64(v: &Value, keys: &[&str]) -> Option<u64> {
    match field(v, keys)? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e19)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A field as a signed integer, read like [`opt_u64`].
pub(crate) fn opt_i64(v: &Value, keys: &[&str]) -> Option<i64> {
    match field(v, keys)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A count: [`opt_u64`], 0 when missing.
pub(crate) fn count(v: &Value, keys: &[&str]) -> u64 {
    opt_u64(v, keys).unwrap_or(0)
}

/// A field as a decimal number (a ratio such as `"13.95"`).
pub(crate) fn opt_f64(v: &Value, keys: &[&str]) -> Option<f64> {
    match field(v, keys)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        _ => None,
    }
}

/// A list field: an array, or a string holding a JSON array; else empty.
pub(crate) fn list(v: &Value, keys: &[&str]) -> Vec<Value> {
    match field(v, keys) {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The record an answer carries: the object under one of `keys` when there is one,
/// else `info` itself.
pub(crate) fn record<'a>(info: &'a Value, keys: &[&str]) -> &'a Value {
    match field(info, keys) {
        Some(v @ Value::Object(_)) => v,
        _ => info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leniency() {
        let v =
            json!({"a": "103", "b": 7, "c": "None", "d": null, "e": 2.0, "f": "[1,2]", "g": -1});
        assert_eq!(opt_u64(&v, &["a"]), Some(103));
        assert_eq!(opt_u64(&v, &["x", "b"]), Some(7));
        assert_eq!(opt_u64(&v, &["c"]), None);
        assert_eq!(opt_u64(&v, &["d", "b"]), Some(7));
        assert_eq!(opt_u64(&v, &["e"]), Some(2));
        assert_eq!(opt_u64(&v, &["g"]), None);
        assert_eq!(opt_i64(&v, &["g"]), Some(-1));
        assert_eq!(list(&v, &["f"]).len(), 2);
        assert_eq!(text(&v, &["b"]), "7");
        assert_eq!(text(&v, &["zz"]), "");
        assert_eq!(info_object("[]").unwrap(), json!({}));
    }
}
