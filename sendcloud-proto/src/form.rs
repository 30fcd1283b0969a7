//! Request parameters: kept sorted by name, signed raw, sent url-encoded.

use std::borrow::Cow;

use crate::credentials::Secret;
use crate::sign::{sign_sorted, SignatureAlgorithm, SIGNATURE_PARAM};

/// The parameters of one request, kept sorted by name (ascending bytes), each name once.
///
/// ```
/// use sendcloud_proto::Form;
/// let mut f = Form::new();
/// f.set("phone", "13800000000");
/// f.set("code", "1234");
/// assert_eq!(f.encode(), "code=1234&phone=13800000000");
/// assert_eq!(Form::decode(b"a=1+2&b=%26").get("a"), Some("1 2"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(Cow<'static, str>, String)>,
}

impl Form {
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

    /// Sets `name` to `value`, replacing an earlier value of the same name.
    pub fn set(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self
            .pairs
            .binary_search_by(|(k, _)| k.as_bytes().cmp(name.as_bytes()))
        {
            Ok(i) => self.pairs[i].1 = value,
            Err(i) => self.pairs.insert(i, (name, value)),
        }
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
            .map(|i| self.pairs.remove(i).1)
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

    /// The signature of these parameters (all but `signature`) under `key`.
    pub fn signature(&self, alg: SignatureAlgorithm, key: &Secret) -> String {
        sign_sorted(alg, key, self.iter().filter(|(k, _)| *k != SIGNATURE_PARAM))
    }

    /// The parameters as an `application/x-www-form-urlencoded` body, in name order.
    pub fn encode(&self) -> String {
        String::from_utf8(self.encode_bytes()).expect("the encoding writes only ASCII")
    }

    /// The same body as bytes, ready to send (what `prepare` uses).
    pub fn encode_bytes(&self) -> Vec<u8> {
        let cap = self
            .pairs
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>();
        let mut out = Vec::with_capacity(cap + cap / 2);
        for (k, v) in &self.pairs {
            if !out.is_empty() {
                out.push(b'&');
            }
            push_urlencoded(&mut out, k.as_bytes());
            out.push(b'=');
            if digits_and_commas(v.as_bytes()) {
                // Phone lists and numbers: nothing to escape, one copy.
                out.extend_from_slice(v.as_bytes());
            } else {
                push_urlencoded(&mut out, v.as_bytes());
            }
        }
        out
    }

    /// Decodes an `application/x-www-form-urlencoded` body (or query string). Malformed
    /// escapes are kept literally and invalid UTF-8 is replaced, as browsers do; when a
    /// name repeats, the last value wins.
    pub fn decode(body: &[u8]) -> Form {
        let mut f = Form::new();
        for (k, v) in form_urlencoded::parse(body) {
            f.set(Cow::Owned(k.into_owned()), v.into_owned());
        }
        f
    }
}

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

impl<K: Into<Cow<'static, str>>, V: Into<String>> FromIterator<(K, V)> for Form {
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
}
