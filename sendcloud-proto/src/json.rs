//! A strict, borrowing JSON scanner for the fast path of response decoding.
//!
//! It reads the few shapes SendCloud really answers with, without allocating, and it
//! gives up — `None` — on anything it does not handle exactly: escapes in strings it
//! returns, numbers outside `0..10^18`, floats, nesting deeper than [`MAX_DEPTH`], syntax
//! errors. A caller that gets `None` falls back to serde, so giving up is always correct;
//! what must never happen is accepting a text serde refuses, or reading a value serde reads
//! otherwise. The text is a `&str`, so it is valid UTF-8 throughout.

/// How deep [`Scanner::skip_value`] follows nested arrays and objects before giving up.
pub(crate) const MAX_DEPTH: u32 = 64;

/// A position in a JSON text.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Scanner { text, pos: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return: not form feed).
    #[inline]
    pub(crate) fn skip_ws(&mut self) {
        self.pos = skip_ws(self.bytes(), self.pos);
    }

    /// The next byte, without consuming it.
    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// Consumes `byte`, which must come next.
    #[inline]
    pub(crate) fn eat(&mut self, byte: u8) -> Option<()> {
        if self.peek()? == byte {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos == self.text.len()
    }

    /// Consumes `lit` (`true`, `false` or `null`), which must come next.
    #[inline]
    fn literal(&mut self, lit: &[u8]) -> Option<()> {
        self.pos = literal(self.bytes(), self.pos, lit)?;
        Some(())
    }

    /// Consumes a `null` when one comes next; `Some(None)` then, else what `value` reads.
    #[inline(always)]
    pub(crate) fn null_or<T>(
        &mut self,
        value: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<Option<T>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            Some(None)
        } else {
            value(self).map(Some)
        }
    }

    /// Reads `true` or `false`.
    #[inline]
    pub(crate) fn boolean(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            _ => None,
        }
    }

    /// Reads a string without escapes or control characters and returns its content.
    #[inline(always)]
    pub(crate) fn plain_str(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let b = self.bytes();
        let start = self.pos;
        let i = string_run_end(b, start);
        if *b.get(i)? != b'"' {
            return None;
        }
        self.pos = i + 1;
        // Both ends are at ASCII quotes, so they are char boundaries.
        self.text.get(start..i)
    }

    /// Reads a non-negative integer below 10^18 (so that it fits every integer type the
    /// lenient decoders use): `0` or a digit run without a leading zero, not followed by a
    /// fraction or an exponent.
    #[inline(always)]
    pub(crate) fn uint(&mut self) -> Option<u64> {
        let b = self.bytes();
        let start = self.pos;
        let mut i = start;
        let mut v: u64 = 0;
        while let Some(&d @ b'0'..=b'9') = b.get(i) {
            v = v * 10 + u64::from(d - b'0');
            i += 1;
            if i - start > 18 {
                return None;
            }
        }
        let len = i - start;
        if len == 0 || (len > 1 && b[start] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = b.get(i) {
            return None;
        }
        self.pos = i;
        Some(v)
    }

    /// Skips any JSON value (the scanner stands on its first byte) and returns its text.
    #[inline(always)]
    pub(crate) fn value_text(&mut self) -> Option<&'a str> {
        let start = self.pos;
        self.skip_value()?;
        self.text.get(start..self.pos)
    }

    /// Skips any JSON value (the scanner stands on its first byte) nested at most
    /// [`MAX_DEPTH`] arrays or objects deep. Iterative: the open containers are the bits of
    /// one word (1 for an object, 0 for an array).
    pub(crate) fn skip_value(&mut self) -> Option<()> {
        let b = self.bytes();
        let mut i = self.pos;
        let mut open: u64 = 0;
        let mut depth: u32 = 0;
        loop {
            // At the start of a value.
            match *b.get(i)? {
                b'"' => i = skip_str(b, i)?,
                b't' => i = literal(b, i, b"true")?,
                b'f' => i = literal(b, i, b"false")?,
                b'n' => i = literal(b, i, b"null")?,
                b'-' | b'0'..=b'9' => i = skip_number(b, i)?,
                c @ (b'[' | b'{') => {
                    let object = c == b'{';
                    i = skip_ws(b, i + 1);
                    let close = if object { b'}' } else { b']' };
                    if *b.get(i)? != close {
                        if depth == MAX_DEPTH {
                            return None;
                        }
                        depth += 1;
                        open = open << 1 | u64::from(object);
                        if object {
                            i = skip_key(b, i)?;
                        }
                        continue;
                    }
                    i += 1;
                }
                _ => return None,
            }
            // After a value: close what it ends, until a `,` starts the next value.
            loop {
                if depth == 0 {
                    self.pos = i;
                    return Some(());
                }
                i = skip_ws(b, i);
                let object = open & 1 == 1;
                match (*b.get(i)?, object) {
                    (b',', _) => {
                        i = skip_ws(b, i + 1);
                        if object {
                            i = skip_key(b, i)?;
                        }
                        break;
                    }
                    (b'}', true) | (b']', false) => {
                        i += 1;
                        open >>= 1;
                        depth -= 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// Reads an object, calling `member` once the scanner stands on each member's key;
    /// `member` must consume the key (with [`Scanner::key`] or [`Scanner::other_key`]),
    /// then the colon ([`Scanner::colon`]) and the value.
    #[inline(always)]
    pub(crate) fn object(&mut self, member: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.sequence(b'{', b'}', member)
    }

    /// Consumes the key `quoted` (quotes included: `b"\"info\""`) when it comes next, as
    /// written (so a key spelt with escapes is not it). A fixed-size comparison: a few
    /// integer compares, no scan and no `memcmp` call.
    #[inline]
    pub(crate) fn key<const N: usize>(&mut self, quoted: &[u8; N]) -> bool {
        let next = self.bytes().get(self.pos..self.pos + N);
        let hit = next.and_then(|k| <&[u8; N]>::try_from(k).ok()) == Some(quoted);
        if hit {
            self.pos += N;
        }
        hit
    }

    /// The first byte of the key the scanner stands on (0 when there is none).
    #[inline]
    pub(crate) fn key_initial(&self) -> u8 {
        self.bytes().get(self.pos + 1).copied().unwrap_or(0)
    }

    /// Consumes a key that is none of those the caller knows. It must have no escapes:
    /// serde would unescape it, and it might then be a known one.
    #[inline]
    pub(crate) fn other_key(&mut self) -> Option<()> {
        self.plain_str().map(drop)
    }

    /// Consumes the colon after a key, and the whitespace around it.
    #[inline]
    pub(crate) fn colon(&mut self) -> Option<()> {
        self.skip_ws();
        self.eat(b':')?;
        self.skip_ws();
        Some(())
    }

    /// Reads an array, calling `element` once the scanner stands on each element (which
    /// `element` must consume).
    #[inline(always)]
    pub(crate) fn array(&mut self, element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.sequence(b'[', b']', element)
    }

    /// Reads `open`, items separated by commas (each read by `item`, the scanner standing
    /// on it), then `close`; whitespace anywhere between.
    #[inline(always)]
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(open)?;
        self.skip_ws();
        if self.peek()? == close {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.skip_ws();
            item(self)?;
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                c if c == close => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// The index of the first byte at or after `i` that is not JSON whitespace.
#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Skips `lit` at `i`.
#[inline]
fn literal(b: &[u8], i: usize, lit: &[u8]) -> Option<usize> {
    b.get(i..)?.starts_with(lit).then_some(i + lit.len())
}

/// Skips the string at `i`, escapes included, as serde_json checks a string it ignores:
/// the escape letters, four hex digits after `\u` (surrogates unchecked), no control
/// characters.
#[inline(always)]
fn skip_str(b: &[u8], i: usize) -> Option<usize> {
    if *b.get(i)? != b'"' {
        return None;
    }
    let mut i = i + 1;
    loop {
        i = string_run_end(b, i);
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    let hex = b.get(i + 2..i + 6)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    i += 6;
                }
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// Skips an object key and its colon at `i`, and the whitespace after them.
#[inline(always)]
fn skip_key(b: &[u8], i: usize) -> Option<usize> {
    let i = skip_ws(b, skip_str(b, i)?);
    if *b.get(i)? != b':' {
        return None;
    }
    Some(skip_ws(b, i + 1))
}

/// Skips the number at `i`, of the JSON grammar:
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn skip_number(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match *b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = skip_digits(b, i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let digits = i + 1;
        i = skip_digits(b, digits);
        if i == digits {
            return None;
        }
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let digits = i;
        i = skip_digits(b, digits);
        if i == digits {
            return None;
        }
    }
    Some(i)
}

fn skip_digits(b: &[u8], mut i: usize) -> usize {
    while let Some(b'0'..=b'9') = b.get(i) {
        i += 1;
    }
    i
}

/// The index of the first byte at or after `i` that ends or escapes a string (`"`, `\\` or
/// a control character), or `b.len()`. Reads eight bytes at a time: each mask flags its
/// lowest matching byte exactly (a false flag can only sit above a true one), so the
/// lowest flag of their union is the first such byte.
#[inline]
fn string_run_end(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let flags = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGH;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Whether the scanner takes `text` as one value with only whitespace around it.
    fn skips(text: &str) -> bool {
        let mut s = Scanner::new(text);
        s.skip_ws();
        s.skip_value().is_some() && s.at_end()
    }

    fn serde_accepts(text: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    }

    #[test]
    fn skips_what_serde_ignores() {
        for text in [
            r#""""#,
            r#""a\"b\\c\/d\b\f\n\r\t\u00e9\uD800""#,
            r#" { "a" : [ 1 , -2.5e+3 , 0 , 0.0 , 1E9 , true , false , null , {} , [] ] } "#,
            r#"{"k\u0041":{"x":[[[]]]},"中":"文"}"#,
            "-0",
            "[\t\n\r]",
        ] {
            assert!(skips(text), "{text}");
            assert!(serde_accepts(text), "{text}");
        }
    }

    #[test]
    fn declines_what_serde_refuses() {
        for text in [
            "01",
            "1.",
            ".5",
            "1e",
            "1e+",
            "-",
            "+1",
            "tru",
            "nul",
            "truex",
            r#""\x""#,
            r#""\u12""#,
            r#""\u12g4""#,
            "\"a\u{1}\"",
            "\"abc",
            "[1,]",
            "[,1]",
            "[1 2]",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"{"a":1]"#,
            "[1}",
            "{}}",
            "\u{c}{}",
            "{}\u{c}",
            "",
        ] {
            assert!(!skips(text), "{text:?}");
            assert!(!serde_accepts(text), "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_declined_without_overflow() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(!skips(&deep));
        let ok = "[".repeat(MAX_DEPTH as usize) + &"]".repeat(MAX_DEPTH as usize);
        assert!(skips(&ok));
        let objects = r#"{"a":"#.repeat(100_000);
        assert!(!skips(&objects));
    }

    #[test]
    fn string_runs_end_at_the_first_special_byte() {
        let naive = |b: &[u8], i: usize| {
            (i..b.len())
                .find(|&j| b[j] == b'"' || b[j] == b'\\' || b[j] < 0x20)
                .unwrap_or(b.len())
        };
        let alphabet = [
            b'a', b'"', b'\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xff, 0x21, 0x5d, 0x01,
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let b: Vec<u8> = (0..len)
                .map(|k| {
                    let r = (seed >> (k % 16 * 4)) as usize;
                    if r % 5 == 0 {
                        alphabet[r / 5 % alphabet.len()]
                    } else {
                        b'a' + (r % 26) as u8
                    }
                })
                .collect();
            for i in 0..=len {
                assert_eq!(string_run_end(&b, i), naive(&b, i), "{b:?} from {i}");
            }
        }
    }

    #[test]
    fn integers() {
        let read = |t: &str| {
            let mut s = Scanner::new(t);
            s.uint().filter(|_| s.at_end())
        };
        assert_eq!(read("0"), Some(0));
        assert_eq!(read("200"), Some(200));
        assert_eq!(read("999999999999999999"), Some(999_999_999_999_999_999));
        for t in [
            "",
            "-1",
            "01",
            "1.0",
            "1e2",
            "1E2",
            "9999999999999999999",
            "\"1\"",
        ] {
            assert_eq!(read(t), None, "{t}");
        }
    }

    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
            "[-+.eE0-9]{1,5}",
            "\"([a-z中 ]|\\\\[\"\\\\/bfnrtux]|\\\\u[0-9a-fA-F]{0,4}|[\\x00-\\x1f])*\"",
            "[a-z\\\\\"]{1,4}",
        ];
        leaf.prop_recursive(6, 48, 5, |inner| {
            let ws = || "[ \t\n\r\x0c]{0,2}";
            prop_oneof![
                (prop::collection::vec((inner.clone(), ws()), 0..5), ws()).prop_map(
                    |(items, w)| {
                        let items: Vec<String> = items
                            .into_iter()
                            .map(|(v, w)| format!("{w}{v}{w}"))
                            .collect();
                        format!("[{w}{}]", items.join(","))
                    }
                ),
                (
                    prop::collection::vec(("\"[a-z\\\\]{0,3}\"", ws(), inner), 0..5),
                    "[,:]{0,1}"
                )
                    .prop_map(|(fields, junk)| {
                        let fields: Vec<String> = fields
                            .into_iter()
                            .map(|(k, w, v)| format!("{k}{w}:{w}{v}"))
                            .collect();
                        format!("{{{}{junk}}}", fields.join(","))
                    }),
            ]
        })
    }

    proptest! {
        #[test]
        fn skipping_agrees_with_serde(text in json_text(), cut in any::<prop::sample::Index>(), truncate in any::<bool>()) {
            let text = if truncate && !text.is_empty() {
                let mut at = cut.index(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                text[..at].to_owned()
            } else {
                text
            };
            if skips(&text) {
                prop_assert!(serde_accepts(&text), "skipped what serde refuses: {text:?}");
            }
        }
    }
}
