//! The url-encoding of a form body.

/// `s` url-encoded as a form body sends it (see [`push_urlencoded`]).
pub(crate) fn urlencoded(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + s.len() / 2);
    push_urlencoded(&mut out, s.as_bytes());
    String::from_utf8(out).unwrap_or_default()
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

pub(crate) static UNCHANGED: [bool; 256] = unchanged_table();
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Whether every byte of `s` is an ASCII digit or `,`.
pub(crate) fn digits_and_commas(s: &[u8]) -> bool {
    s.iter().all(|b| b.is_ascii_digit() || *b == b',')
}

/// Appends `s` encoded as `form_urlencoded::byte_serialize` encodes it, except that `,` is
/// kept: unchanged bytes as they are, space as `+`, every other byte as `%XX` (uppercase
/// hex). The output is ASCII.
pub(crate) fn push_urlencoded(out: &mut Vec<u8>, s: &[u8]) {
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
}
