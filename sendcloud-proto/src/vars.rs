//! Template substitution variables.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::ValidationError;
use crate::form::urlencoded;

/// Most characters in one variable value.
pub const MAX_VAR_CHARS: usize = 32;

/// The substitution variables of a template send: names of letters, digits, `_` and `-`
/// (given as `name` or `%name%`), values of at most 32 characters with no links.
///
/// Sent as a JSON object with `%name%` keys; an empty set is left out of the request
/// (never sent as `[]`, which SendCloud refuses with 441).
///
/// SendCloud allows no HTTP links in values. A value carries a link, and is refused,
/// when it has
/// - a scheme: `://` anywhere (`http://`, `HTTPS://`, `ftp://`);
/// - a word starting with `www.`, in any case (a word starts where the value does or
///   after a character that cannot be in a host name): `www.x.cn`, `见www.x.cn`, but not
///   `awww.b`;
/// - a host name followed by a path: labels of ASCII letters, digits and `-` joined by
///   dots, the last at least 2 letters and nothing else, then `/` (or `:port/`):
///   `t.cn/A6`, `bit.ly/x`, `x.example.com:8080/a`, `见t.cn/A6`.
///
/// Ordinary text with dots passes: `v1.2`, `a.m.`, `3.5/5` (its last label is not
/// letters), `km/h`, `e.g./i.e.`, and a bare host name with no path (`example.com`). Text
/// that reads like a host and a path is refused even when it is not meant as one
/// (`Mr.Li/Ms.Wang`). The sandbox applies the same rule (441).
///
/// ```
/// use sendcloud_proto::Vars;
/// let mut v = Vars::new();
/// v.insert("code", "1234").unwrap();
/// v.insert("%name%", "Lucy").unwrap();
/// assert_eq!(v.to_json(), r#"{"%code%":"1234","%name%":"Lucy"}"#);
/// assert_eq!(v.insert("url", "see http://x.io").unwrap_err().field, "vars");
/// assert!(v.insert("url", "t.cn/A6").is_err());
/// assert!(v.insert("ok", "awww.b").is_ok());
/// assert!(v.insert("ok", "v1.2").is_ok());
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Vars {
    map: BTreeMap<String, String>,
    /// The JSON text of `map`, made when it changes: a send is prepared once per attempt
    /// and once per batch of a bulk send, and its variables are the same every time.
    json: String,
    /// `json` url-encoded, as a request body carries it.
    json_encoded: String,
}

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Vars").field(&self.map).finish()
    }
}

impl Vars {
    /// No variables.
    pub fn new() -> Self {
        Vars::default()
    }

    /// Adds a variable (replacing one of the same name).
    pub fn insert(
        &mut self,
        name: &str,
        value: impl Into<String>,
    ) -> Result<&mut Self, ValidationError> {
        let name = normalize_name(name)?;
        let value = value.into();
        check_value(name, &value)?;
        self.map.insert(name.to_owned(), value);
        self.json = self.render_json();
        self.json_encoded = urlencoded(&self.json);
        Ok(self)
    }

    /// Builds from `(name, value)` pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Result<Self, ValidationError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut v = Vars::new();
        for (k, val) in pairs {
            v.insert(k.as_ref(), val)?;
        }
        Ok(v)
    }

    /// Parses the JSON object text of a `vars` parameter (as a server receives it).
    pub fn from_json(text: &str) -> Result<Self, ValidationError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ValidationError::new("vars", format!("must be a JSON object: {e}")))?;
        let obj = match value {
            serde_json::Value::Object(o) => o,
            _ => return Err(ValidationError::new("vars", "must be a JSON object")),
        };
        let mut v = Vars::new();
        for (k, val) in obj {
            let s = match val {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                _ => {
                    return Err(ValidationError::new(
                        "vars",
                        format!("the value of {k:?} must be a string"),
                    ))
                }
            };
            v.insert(&k, s)?;
        }
        Ok(v)
    }

    /// The value of a variable, by bare name or `%name%`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let bare = name
            .strip_prefix('%')
            .and_then(|n| n.strip_suffix('%'))
            .unwrap_or(name);
        self.map.get(bare).map(String::as_str)
    }

    /// The variables by bare name, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many variables there are.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The JSON text that is sent (and signed): `{"%name%":"value",...}`, `{}` when empty.
    pub fn to_json(&self) -> String {
        self.json().to_owned()
    }

    /// The same JSON text, borrowed: it is made when a variable is inserted.
    pub fn json(&self) -> &str {
        if self.map.is_empty() {
            "{}"
        } else {
            &self.json
        }
    }

    /// The JSON text url-encoded, as a request body carries it (empty when there are no
    /// variables: they are not sent then).
    pub(crate) fn json_encoded(&self) -> &str {
        &self.json_encoded
    }

    fn render_json(&self) -> String {
        let mut out = String::with_capacity(2 + self.map.len() * 24);
        out.push('{');
        for (i, (k, v)) in self.map.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // Names are [A-Za-z0-9_-]: they need no escaping.
            out.push_str("\"%");
            out.push_str(k);
            out.push_str("%\":");
            push_json_string(&mut out, v);
        }
        out.push('}');
        out
    }

    /// Replaces every `%name%` in `text` with its value; unknown names stay as they are.
    pub fn render(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find('%') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            match after.find('%') {
                Some(end) if self.map.contains_key(&after[..end]) => {
                    out.push_str(&self.map[&after[..end]]);
                    rest = &after[end + 1..];
                }
                _ => {
                    out.push('%');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` escapes it: `"` and `\\`
/// with a backslash, the control characters with a short escape where JSON has one and
/// `\u00xx` otherwise, everything else as it is.
fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut rest = s;
    while let Some(i) = rest
        .bytes()
        .position(|b| b < 0x20 || b == b'"' || b == b'\\')
    {
        out.push_str(&rest[..i]);
        let b = rest.as_bytes()[i];
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            _ => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
        }
        // The byte is ASCII, so the next one starts a character.
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

fn normalize_name(name: &str) -> Result<&str, ValidationError> {
    let bare = match name.strip_prefix('%') {
        Some(inner) => inner.strip_suffix('%').ok_or_else(|| {
            ValidationError::new(
                "vars",
                format!("name {name:?} opens with % but does not close with %"),
            )
        })?,
        None => name,
    };
    if bare.is_empty() {
        return Err(ValidationError::new(
            "vars",
            "a variable name must not be empty",
        ));
    }
    if let Some(c) = bare
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(ValidationError::new(
            "vars",
            format!("name {name:?} may use only letters, digits, _ and -; found {c:?}"),
        ));
    }
    Ok(bare)
}

fn check_value(name: &str, value: &str) -> Result<(), ValidationError> {
    let n = value.chars().count();
    if n > MAX_VAR_CHARS {
        return Err(ValidationError::new(
            "vars",
            format!("the value of %{name}% must be at most {MAX_VAR_CHARS} characters, has {n}"),
        ));
    }
    if contains_link(value) {
        return Err(ValidationError::new(
            "vars",
            format!(
                "the value of %{name}% must not contain a link (a scheme such as http://, \
                 a word starting with www., or a host name and a path such as t.cn/x): {value:?}"
            ),
        ));
    }
    Ok(())
}

/// Whether text carries a link, by the rule stated on [`Vars`]. The client
/// ([`Vars::insert`]) and the sandbox (through [`Vars::from_json`] and `insert`) refuse
/// the same values with it.
pub(crate) fn contains_link(value: &str) -> bool {
    if value.contains("://") {
        return true;
    }
    let bytes = value.as_bytes();
    // Byte positions are enough: every character that matters here is ASCII, and a
    // non-ASCII character's bytes are never ASCII.
    for (i, _) in value.match_indices('.') {
        // `www.` starting a word.
        if i >= 3 && bytes[i - 3..i].eq_ignore_ascii_case(b"www") {
            let start = i - 3;
            if start == 0 || !is_host_byte(bytes[start - 1]) {
                return true;
            }
        }
    }
    for (slash, _) in value.match_indices('/') {
        if host_ends_at(&bytes[..slash]) {
            return true;
        }
    }
    false
}

/// Whether a byte can be part of a host name (`.` included).
fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

/// Whether `before` (the text before a `/`) ends with a host name, optionally followed
/// by `:port`.
fn host_ends_at(before: &[u8]) -> bool {
    let mut end = before.len();
    // An optional `:port` between the host and the path.
    let digits = before
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits > 0 && end > digits && before[end - digits - 1] == b':' {
        end -= digits + 1;
    }
    let host = &before[..end];
    let len = host.iter().rev().take_while(|b| is_host_byte(**b)).count();
    // The host is the labels at the end of the run, back to an empty one (`x..t.cn` ends
    // with the host `t.cn`): its last label at least 2 letters, and one before it.
    let mut labels = host[host.len() - len..].rsplit(|b| *b == b'.');
    let top_level = labels.next().unwrap_or_default();
    let second = labels.next().unwrap_or_default();
    top_level.len() >= 2
        && top_level.iter().all(u8::is_ascii_alphabetic)
        && second.iter().any(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(s: &str) -> String {
        serde_json::Value::String(s.to_owned()).to_string()
    }

    #[test]
    fn json_escaping_matches_serde_json_on_every_ascii_byte() {
        for b in 0u8..=127 {
            let s = format!("a{}b", char::from(b));
            let mut out = String::new();
            push_json_string(&mut out, &s);
            assert_eq!(out, reference(&s), "{b:#x}");
        }
    }

    #[test]
    fn links_are_refused() {
        let links = [
            "http://x.io",
            "see https://x.cn/a",
            "HTTP://X.IO",
            "HtTpS://x",
            "ftp://files",
            "://",
            "www.example.com",
            "WWW.x.cn",
            "Www.",
            "see www.x.cn",
            "见www.x.cn",
            "(www.x.cn)",
            "t.cn/A6",
            "见t.cn/A6",
            "go: t.cn/A6 now",
            "bit.ly/x",
            "BIT.LY/X",
            "example.com/a",
            "example.com/",
            "x.example.com:8080/a",
            "my-site.co.uk/p",
            "a1.b2.io/x",
            "x..t.cn/A6",
            "...t.cn/A6",
            "user@example.com/x",
            "awww.bit.ly/x",
            "v1.2 t.cn/x",
            "Mr.Li/Ms.Wang",
        ];
        for v in links {
            assert!(contains_link(v), "{v:?} should count as a link");
        }
    }

    #[test]
    fn ordinary_text_with_dots_and_slashes_passes() {
        let text = [
            "",
            "Lucy",
            "awww.b",
            "awww.bit.ly",
            "x.www.y",
            "www",
            "wwwx.cn",
            "v1.2",
            "v1.2.3",
            "a.m.",
            "a.m./p.m.",
            "e.g./i.e.",
            "3.5/5",
            "1.5kg/m",
            "km/h",
            "and/or",
            "A.B/C",
            "no.12/3",
            "example.com",
            "t.cn",
            "bit.ly",
            "see t.cn!",
            "x.c/a",
            "x.c1/a",
            ".cn/a",
            "cn/a",
            "http:/x",
            "ratio 16:9/x",
            "100%/day",
            "价格.元/件",
            "你好",
        ];
        for v in text {
            assert!(!contains_link(v), "{v:?} should not count as a link");
        }
    }

    #[test]
    fn a_link_refusal_names_the_variable_and_the_value() {
        let e = Vars::new().insert("u", "t.cn/A6").map(|_| ()).unwrap_err();
        assert_eq!(e.field, "vars");
        assert!(e.rule.contains("%u%"), "{e}");
        assert!(e.rule.contains("\"t.cn/A6\""), "{e}");
        assert!(e.rule.contains("www."), "{e}");
    }

    proptest! {
        #[test]
        fn link_detection_takes_any_text(s in "\\PC{0,40}|[a-zA-Z0-9./:@ -]{0,40}") {
            let _ = contains_link(&s);
        }

        #[test]
        fn a_host_and_a_path_anywhere_is_a_link(
            before in "[^a-zA-Z0-9.-]?[ a-z]{0,5}",
            host in "[a-z0-9][a-z0-9-]{0,7}(\\.[a-z0-9][a-z0-9-]{0,7}){0,2}\\.[a-z]{2,6}",
            path in "[a-zA-Z0-9]{0,8}",
        ) {
            let value = format!("{before} {host}/{path}");
            prop_assert!(contains_link(&value), "{}", value);
        }

        #[test]
        fn numbers_with_dots_and_slashes_are_not_links(
            a in 0u32..10_000, b in 0u32..10_000, c in 0u32..10_000,
        ) {
            let value = format!("{a}.{b}/{c}");
            prop_assert!(!contains_link(&value), "{}", value);
        }

        #[test]
        fn json_escaping_matches_serde_json(s in "\\PC*|[\\x00-\\x7f\"\\\\é漢🎉]{0,40}") {
            let mut out = String::new();
            push_json_string(&mut out, &s);
            prop_assert_eq!(&out, &reference(&s));
            let back: String = serde_json::from_str(&out).unwrap();
            prop_assert_eq!(back, s);
        }
    }
}
