//! Request parameters: kept sorted by name, signed raw, sent url-encoded.

use std::borrow::Cow;
use std::fmt;

use crate::credentials::Secret;
use crate::sign::{sign_sorted_into, SignatureAlgorithm, SIGNATURE_PARAM};

/// The parameters of one request, kept sorted by name (ascending bytes), each name once.
///
/// Values may borrow from what they were built from (`'a`): preparing a request copies a
/// value only when it is sent, not when it is collected. Numbers are held inline, so a
/// typical send allocates for its parameters only the `vars` JSON (the phone list, the
/// user and the ids are borrowed).
///
/// ```
/// use sendcloud_proto::Form;
/// let mut f = Form::new();
/// f.set("phone", "13800000000");
/// f.set_u64("code", 1234);
/// assert_eq!(f.encode(), "code=1234&phone=13800000000");
/// assert_eq!(Form::decode(b"a=1+2&b=%26").get("a"), Some("1 2"));
/// ```
#[derive(Clone, Default)]
pub struct Form<'a> {
    pairs: Vec<(Cow<'static, str>, Value<'a>)>,
}

/// A parameter value: text (borrowed or owned), or short ASCII kept inline.
#[derive(Clone)]
enum Value<'a> {
    Text(Cow<'a, str>),
    /// Text known to be only ASCII digits and commas (a phone list): sent as it is.
    Digits(&'a str),
    Inline(Inline),
}

/// The decimal digits of a `u64`, without an allocation. They never need escaping.
#[derive(Clone, Copy)]
struct Inline {
    len: u8,
    buf: [u8; Inline::CAP],
}

impl Inline {
    /// Enough for any `u64`; keeps a parameter small (signatures are text).
    const CAP: usize = 22;

    fn from_u64(n: u64) -> Inline {
        let len = n.checked_ilog10().map_or(1, |l| l as usize + 1);
        let mut buf = [0u8; Inline::CAP];
        let mut rest = n;
        for d in buf[..len].iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        Inline {
            len: len as u8,
            buf,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever stored, so this cannot fail.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl Value<'_> {
    fn as_str(&self) -> &str {
        match self {
            Value::Text(t) => t,
            Value::Digits(d) => d,
            Value::Inline(i) => i.as_str(),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Value::Text(t) => t.as_bytes(),
            Value::Digits(d) => d.as_bytes(),
            Value::Inline(i) => i.as_bytes(),
        }
    }

    fn into_owned(self) -> Value<'static> {
        match self {
            Value::Text(t) => Value::Text(Cow::Owned(t.into_owned())),
            Value::Digits(d) => Value::Text(Cow::Owned(d.to_owned())),
            Value::Inline(i) => Value::Inline(i),
        }
    }
}

impl<'a> Form<'a> {
    /// An empty form.
    pub fn new() -> Self {
        Form { pairs: Vec::new() }
    }

    /// An empty form with room for `n` parameters.
    pub fn with_capacity(n: usize) -> Self {
        Form {
            pairs: Vec::with_capacity(n),
        }
    }

    fn put(&mut self, name: Cow<'static, str>, value: Value<'a>) {
        // Parameters are usually set in name order: then this is a push.
        if self
            .pairs
            .last()
            .is_none_or(|(last, _)| last.as_bytes() < name.as_bytes())
        {
            self.pairs.push((name, value));
            return;
        }
        match self
            .pairs
            .binary_search_by(|(k, _)| k.as_bytes().cmp(name.as_bytes()))
        {
            Ok(i) => self.pairs[i].1 = value,
            Err(i) => self.pairs.insert(i, (name, value)),
        }
    }

    /// Sets `name` to `value` (borrowed or owned), replacing an earlier value of the same
    /// name.
    pub fn set(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<Cow<'a, str>>) {
        self.put(name.into(), Value::Text(value.into()));
    }

    /// Sets `name` to the decimal digits of `value`, without allocating.
    pub fn set_u64(&mut self, name: impl Into<Cow<'static, str>>, value: u64) {
        self.put(name.into(), Value::Inline(Inline::from_u64(value)));
    }

    /// Sets `name` to a list that holds only ASCII digits and commas, so that encoding
    /// copies it without checking it. The caller guarantees it: the only one is a
    /// [`crate::Recipients`] list, whose numbers [`crate::Phone::parse`] keeps to digits
    /// (checked again in debug builds).
    pub(crate) fn set_digits(&mut self, name: &'static str, value: &'a str) {
        debug_assert!(
            digits_and_commas(value.as_bytes()),
            "set_digits given {value:?}"
        );
        self.put(Cow::Borrowed(name), Value::Digits(value));
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .binary_search_by(|(k, _)| k.as_bytes().cmp(name.as_bytes()))
            .ok()
            .map(|i| self.pairs[i].1.as_str())
    }

    /// Removes `name` and returns its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.pairs
            .binary_search_by(|(k, _)| k.as_bytes().cmp(name.as_bytes()))
            .ok()
            .map(|i| match self.pairs.remove(i).1 {
                Value::Text(t) => t.into_owned(),
                other => other.as_str().to_owned(),
            })
    }

    /// The parameters, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.pairs.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The same parameters, owning their values.
    pub fn into_owned(self) -> Form<'static> {
        Form {
            pairs: self
                .pairs
                .into_iter()
                .map(|(k, v)| (k, v.into_owned()))
                .collect(),
        }
    }

    /// The parameters as bytes, sorted by name.
    fn iter_bytes(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.pairs.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes()))
    }

    /// The signature of these parameters (all but `signature`) under `key`.
    pub fn signature(&self, alg: SignatureAlgorithm, key: &Secret) -> String {
        let mut hex = [0u8; 64];
        let n = self.signature_into(alg, key, &mut hex);
        String::from_utf8_lossy(&hex[..n]).into_owned()
    }

    /// Signs into `out` (lowercase hex) and returns how many bytes it wrote.
    pub(crate) fn signature_into(
        &self,
        alg: SignatureAlgorithm,
        key: &Secret,
        out: &mut [u8; 64],
    ) -> usize {
        sign_sorted_into(
            alg,
            key,
            self.iter_bytes()
                .filter(|(k, _)| *k != SIGNATURE_PARAM.as_bytes()),
            out,
        )
    }

    /// The parameters as an `application/x-www-form-urlencoded` body, in name order.
    pub fn encode(&self) -> String {
        String::from_utf8(self.encode_bytes()).expect("the encoding writes only ASCII")
    }

    /// The same body as bytes, ready to send.
    pub fn encode_bytes(&self) -> Vec<u8> {
        self.encode_bytes_with(None)
    }

    /// The body with one more parameter, `extra`, put in its place by name (what
    /// `prepare` uses for the signature, so that it is never stored in the form). When the
    /// form has a parameter of the same name, `extra` replaces it.
    pub(crate) fn encode_bytes_with(&self, extra: Option<(&str, &[u8])>) -> Vec<u8> {
        let cap = self
            .iter_bytes()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>()
            + extra.map_or(0, |(k, v)| k.len() + v.len() + 2);
        let mut out = Vec::with_capacity(cap + cap / 2);
        let mut extra = extra;
        for (k, v) in &self.pairs {
            if let Some((name, value)) = extra {
                if name.as_bytes() <= k.as_bytes() {
                    push_pair(&mut out, name.as_bytes(), value);
                    extra = None;
                    if name == k {
                        continue;
                    }
                }
            }
            match v {
                // Letters, digits and commas only: nothing to escape.
                Value::Inline(_) | Value::Digits(_) => {
                    push_name(&mut out, k.as_bytes());
                    out.extend_from_slice(v.as_bytes());
                }
                Value::Text(t) => push_pair(&mut out, k.as_bytes(), t.as_bytes()),
            }
        }
        if let Some((name, value)) = extra {
            push_pair(&mut out, name.as_bytes(), value);
        }
        out
    }
}

/// Appends `&name=` (no `&` first), escaped.
fn push_name(out: &mut Vec<u8>, name: &[u8]) {
    if !out.is_empty() {
        out.push(b'&');
    }
    push_urlencoded(out, name);
    out.push(b'=');
}

/// Appends `&name=value`, escaped.
fn push_pair(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    push_name(out, name);
    if digits_and_commas(value) {
        // Phone lists and numbers: nothing to escape, one copy.
        out.extend_from_slice(value);
    } else {
        push_urlencoded(out, value);
    }
}

impl Form<'static> {
    /// Decodes an `application/x-www-form-urlencoded` body (or query string). Malformed
    /// escapes are kept literally and invalid UTF-8 is replaced, as browsers do; when a
    /// name repeats, the last value wins.
    pub fn decode(body: &[u8]) -> Form<'static> {
        let mut f = Form::new();
        for (k, v) in form_urlencoded::parse(body) {
            f.set(Cow::Owned(k.into_owned()), v.into_owned());
        }
        f
    }
}

impl fmt::Debug for Form<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("pairs", &self.iter().collect::<Vec<_>>())
            .finish()
    }
}

/// Two forms are equal when they hold the same names and values, however they are held.
impl PartialEq<Form<'_>> for Form<'_> {
    fn eq(&self, other: &Form<'_>) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Form<'_> {}

/// Bytes the encoder leaves as they are: what `form_urlencoded::byte_serialize` leaves
/// (ASCII letters and digits, `*`, `-`, `.`, `_`), and `,`. A comma has no meaning in a
/// form body (only `&`, `=`, `+` and `%` do), every form decoder reads it back as itself,
/// and leaving it means a 2,000-number phone list is copied in one run instead of being
/// escaped 1,999 times.
const fn unchanged_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'*' | b'-' | b'.' | b'_' | b',');
        b += 1;
    }
    t
}

static UNCHANGED: [bool; 256] = unchanged_table();
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Whether every byte of `s` is an ASCII digit or `,`, eight bytes at a time.
#[inline]
fn digits_and_commas(s: &[u8]) -> bool {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const fn each(b: u8) -> u64 {
        u64::from_ne_bytes([b; 8])
    }
    let mut chunks = s.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // Digits become 0..=9 and a comma 0x1C; no carry crosses a byte below.
        let y = u64::from_ne_bytes(word) ^ each(b'0');
        // High bit set where the byte is not a digit (y >= 10, or y has its high bit).
        let not_digit = (((y & LOW7) + each(0x76)) | y) & HIGH;
        // High bit set where the byte is not a comma (y != 0x1C).
        let z = y ^ each(0x1C);
        let not_comma = (((z & LOW7) + LOW7) | z) & HIGH;
        if not_digit & not_comma != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|b| b.is_ascii_digit() || *b == b',')
}

/// Appends `s` encoded as `form_urlencoded::byte_serialize` encodes it, except that `,` is
/// kept: unchanged bytes as they are, space as `+`, every other byte as `%XX` (uppercase
/// hex). The output is ASCII.
fn push_urlencoded(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len());
    let mut rest = s;
    loop {
        // Copy the run of unchanged bytes at once, then escape the byte that ends it.
        let run = rest
            .iter()
            .position(|&b| !UNCHANGED[usize::from(b)])
            .unwrap_or(rest.len());
        out.extend_from_slice(&rest[..run]);
        let Some((&b, tail)) = rest[run..].split_first() else {
            return;
        };
        if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[
                b'%',
                HEX_UPPER[usize::from(b >> 4)],
                HEX_UPPER[usize::from(b & 0xF)],
            ]);
        }
        rest = tail;
    }
}

impl<'a, K: Into<Cow<'static, str>>, V: Into<Cow<'a, str>>> FromIterator<(K, V)> for Form<'a> {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut f = Form::new();
        for (k, v) in iter {
            f.set(k, v);
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(s: &str) -> String {
        form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    #[test]
    fn encoding_matches_form_urlencoded() {
        let mut samples: Vec<String> = vec![
            String::new(),
            "13800000000,13800000001,008613800000000".into(),
            "1700000000000".into(),
            "0123456789".repeat(7),
            "12345678a12345678 9".into(),
            r#"{"%code%":"1234","%name%":"Lucy & Co."}"#.into(),
            "a+b c%d*e-f.g_h~i/j?k=l&m".into(),
            "你好, мир 🎉\u{7f}\u{0}\t\n".into(),
            ":;<=>?@[]^`{|}/".into(),
        ];
        samples.push((0u8..=127).map(char::from).collect());
        samples.push((0u32..600).filter_map(char::from_u32).collect());
        for s in &samples {
            let mut out = Vec::new();
            push_urlencoded(&mut out, s.as_bytes());
            let out = String::from_utf8(out).unwrap();
            assert_eq!(out, reference(s).replace("%2C", ","), "{s:?}");
            let decoded: Vec<(String, String)> =
                form_urlencoded::parse(format!("k={out}").as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
            assert_eq!(decoded, vec![("k".to_owned(), s.clone())]);
        }
    }

    #[test]
    fn digits_and_commas_matches_a_plain_check() {
        let plain = |s: &[u8]| s.iter().all(|b| b.is_ascii_digit() || *b == b',');
        // Every byte value in every position of a word, among digits and commas.
        for bad in 0u8..=255 {
            for pos in 0..17 {
                let mut s: Vec<u8> = b"1380000000,13800"
                    .iter()
                    .cycle()
                    .take(17)
                    .copied()
                    .collect();
                s[pos] = bad;
                assert_eq!(digits_and_commas(&s), plain(&s), "{bad:#x} at {pos}");
            }
        }
        assert!(digits_and_commas(b""));
        assert!(digits_and_commas(b"13800000000,13800000001"));
        assert!(!digits_and_commas(b"13800000000,1380000000a"));
    }

    #[test]
    fn numbers_are_held_inline_and_read_back_as_text() {
        for n in [0u64, 7, 10, 1_700_000_000_000, u64::MAX] {
            let mut f = Form::new();
            f.set_u64("n", n);
            assert_eq!(f.get("n"), Some(n.to_string().as_str()));
            assert_eq!(f.encode(), format!("n={n}"));
            let mut text = Form::new();
            text.set("n", n.to_string());
            assert!(matches!(f.pairs[0].1, Value::Inline(_)));
            assert_eq!(
                f, text,
                "inline and text values of the same digits are equal"
            );
        }
    }

    #[test]
    fn borrowed_values_outlive_nothing_once_owned() {
        let value = String::from("x y");
        let owned = {
            let mut f = Form::new();
            f.set("b", value.as_str());
            f.set_u64("a", 1);
            f.into_owned()
        };
        drop(value);
        assert_eq!(owned.encode(), "a=1&b=x+y");
        let mut owned = owned;
        assert_eq!(owned.remove("a").as_deref(), Some("1"));
        assert_eq!(owned.remove("b").as_deref(), Some("x y"));
        assert!(owned.is_empty());
        assert_eq!(format!("{owned:?}"), "Form { pairs: [] }");
    }

    #[test]
    fn an_extra_pair_is_encoded_in_its_place_by_name() {
        let mut f = Form::new();
        f.set("b", "2");
        f.set_u64("d", 4);
        let with = |name: &str, value: &str| {
            String::from_utf8(f.encode_bytes_with(Some((name, value.as_bytes())))).unwrap()
        };
        assert_eq!(with("a", "x y"), "a=x+y&b=2&d=4");
        assert_eq!(with("c", "3"), "b=2&c=3&d=4");
        assert_eq!(with("e", "5"), "b=2&d=4&e=5");
        assert_eq!(
            with("b", "new"),
            "b=new&d=4",
            "the extra replaces a pair of its name"
        );
        assert_eq!(with("d", "new"), "b=2&d=new");
        assert_eq!(
            String::from_utf8(Form::new().encode_bytes_with(Some(("s", b"1")))).unwrap(),
            "s=1"
        );
        // The same as setting the pair and encoding.
        for (name, value) in [("a", "x y"), ("c", "3"), ("e", "5"), ("b", "new")] {
            let mut g = f.clone();
            g.set(name.to_owned(), value);
            assert_eq!(with(name, value), g.encode());
        }
    }

    #[test]
    fn a_digit_list_is_sent_as_it_is_and_reads_back() {
        let list = "13800000000,13800000001";
        let mut f = Form::new();
        f.set_digits("phone", list);
        f.set_u64("n", 5);
        assert_eq!(f.encode(), "n=5&phone=13800000000,13800000001");
        assert_eq!(f.get("phone"), Some(list));
        assert_eq!(Form::decode(f.encode().as_bytes()), f);
        let owned = f.clone().into_owned();
        assert_eq!(owned, f);
        assert_eq!(f.remove("phone").as_deref(), Some(list));
    }
}
