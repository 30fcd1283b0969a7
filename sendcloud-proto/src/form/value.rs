//! A parameter's value, as a form holds it: borrowed or owned text, bytes sent as they
//! are, text encoded in advance, or the digits of a number.

use std::borrow::Cow;

/// A parameter value: text (borrowed or owned), text that is sent as it is, text with its
/// encoding made in advance, or the digits of a number kept inline.
#[derive(Clone)]
pub(crate) enum Value<'a> {
    Text(Cow<'a, str>),
    /// Only bytes the encoder leaves unchanged (the digits and commas of a phone list, the
    /// hex of a signature): signed and sent as they are. ASCII, so always UTF-8.
    Plain(&'a [u8]),
    /// Text whose url-encoding was made when it was built (the `vars` JSON): signed as
    /// `raw`, sent as `encoded`.
    Encoded {
        raw: &'a str,
        encoded: &'a str,
    },
    Inline(Inline),
}

/// The decimal digits of a `u64`, without an allocation. They never need escaping.
#[derive(Clone, Copy)]
pub(crate) struct Inline {
    /// Where the digits start in `buf`: they are written from its end.
    start: u8,
    buf: [u8; Inline::CAP],
}

impl Inline {
    /// Enough for any `u64` (20 digits).
    const CAP: usize = 20;

    pub(crate) fn from_u64(n: u64) -> Inline {
        const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
                                    2021222324252627282930313233343536373839\
                                    4041424344454647484950515253545556575859\
                                    6061626364656667686970717273747576777879\
                                    8081828384858687888990919293949596979899";
        let mut buf = [0u8; Inline::CAP];
        let mut at = Inline::CAP;
        let mut rest = n;
        // Two digits per division: a 13-digit millisecond timestamp takes 7 steps.
        while rest >= 100 {
            let pair = usize::from((rest % 100) as u8) * 2;
            rest /= 100;
            at -= 2;
            buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        }
        if rest >= 10 {
            let pair = usize::from(rest as u8) * 2;
            at -= 2;
            buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        } else {
            at -= 1;
            buf[at] = b'0' + rest as u8;
        }
        Inline {
            start: at as u8,
            buf,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[usize::from(self.start)..]
    }
}

/// ASCII bytes as text (they always are; anything else would read as empty).
pub(crate) fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

impl Value<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Value::Text(t) => t,
            Value::Plain(p) => ascii_str(p),
            Value::Encoded { raw, .. } => raw,
            Value::Inline(i) => ascii_str(i.as_bytes()),
        }
    }

    /// The bytes that are signed.
    pub(crate) fn raw_bytes(&self) -> &[u8] {
        match self {
            Value::Text(t) => t.as_bytes(),
            Value::Plain(p) => p,
            Value::Encoded { raw, .. } => raw.as_bytes(),
            Value::Inline(i) => i.as_bytes(),
        }
    }

    /// At least how many bytes it takes in a body.
    pub(crate) fn min_encoded_len(&self) -> usize {
        match self {
            Value::Encoded { encoded, .. } => encoded.len(),
            other => other.raw_bytes().len(),
        }
    }

    pub(crate) fn into_owned(self) -> Value<'static> {
        match self {
            Value::Text(t) => Value::Text(Cow::Owned(t.into_owned())),
            Value::Inline(i) => Value::Inline(i),
            other => Value::Text(Cow::Owned(other.as_str().to_owned())),
        }
    }
}
