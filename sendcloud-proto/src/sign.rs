//! Request signatures: `hex(HASH(KEY & k1=v1 & ... & KEY))` over the sorted raw parameters.

pub(crate) use md5::{Digest, Md5};
pub(crate) use sha2::Sha256;

use crate::credentials::{constant_time_eq, Secret};

/// The parameter that carries the signature; it is never signed itself.
pub const SIGNATURE_PARAM: &str = "signature";

/// The hash a request signature uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// MD5, 32 hex digits: what the API documentation describes (the default).
    #[default]
    Md5,
    /// SHA-256, 64 hex digits: what the 2024 official SDKs use.
    Sha256,
}

impl SignatureAlgorithm {
    /// How many hex digits a signature of this algorithm has.
    pub fn hex_len(self) -> usize {
        match self {
            SignatureAlgorithm::Md5 => 32,
            SignatureAlgorithm::Sha256 => 64,
        }
    }

    /// The algorithm whose signatures have `len` hex digits.
    pub fn from_hex_len(len: usize) -> Option<Self> {
        match len {
            32 => Some(SignatureAlgorithm::Md5),
            64 => Some(SignatureAlgorithm::Sha256),
            _ => None,
        }
    }
}

/// Sorts parameters the way the signature needs them: by name, in ascending byte order,
/// leaving out `signature`. Equal names keep their order.
fn sorted<'a, I>(params: I) -> Vec<(&'a str, &'a str)>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut v: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(k, _)| *k != SIGNATURE_PARAM)
        .collect();
    v.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    v
}

/// Signs parameters with `key`: the lowercase hex digest of `KEY&k=v&...&KEY` over the
/// parameters sorted by name, with their raw (not url-encoded) values (with no parameters
/// at all, `KEY&&KEY`, as the formula `KEY + "&" + joined + "&" + KEY` gives). The order the
/// parameters come in does not matter; a `signature` parameter is left out.
///
/// The string is hashed as it is produced; it is never built in memory.
///
/// ```
/// use sendcloud_proto::{sign, Secret, SignatureAlgorithm};
/// let key = Secret::new("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
/// let params = [("smsUser", "testuser"), ("templateId", "1"),
///               ("phone", "18888888888"), ("vars", "{}")];
/// assert_eq!(sign(SignatureAlgorithm::Md5, &key, params),
///            "31eda13789be63afca40a32e37880d6d");
/// ```
pub fn sign<'a, I>(alg: SignatureAlgorithm, key: &Secret, params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut hex = [0u8; 64];
    let sorted = sorted(params);
    let bytes = sorted.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes()));
    let n = sign_sorted_into(alg, key, bytes, &mut hex);
    String::from_utf8_lossy(&hex[..n]).into_owned()
}

/// Signs parameters that are already sorted by name (as [`crate::Form`] keeps them),
/// writing the lowercase hex signature into `out`; returns its length.
pub(crate) fn sign_sorted_into<'a, I>(
    alg: SignatureAlgorithm,
    key: &Secret,
    params: I,
    out: &mut [u8; 64],
) -> usize
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    match alg {
        SignatureAlgorithm::Md5 => sign_with::<Md5, I>(key, params, out),
        SignatureAlgorithm::Sha256 => sign_with::<Sha256, I>(key, params, out),
    }
}

fn sign_with<'a, D: Digest, I>(key: &Secret, params: I, out: &mut [u8; 64]) -> usize
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    let mut signer = Signer::<D>::new(key);
    for (k, v) in params {
        signer.pair(k, v);
    }
    signer.finish_hex(out)
}

/// Hashes the canonical string `KEY&k1=v1&...&KEY` as its pieces are given (the string is
/// never built in memory): the one way a signature is made, by [`sign`], [`verify`] and
/// the body a client prepares. Pairs must come sorted by name, without `signature`.
pub(crate) struct Signer<'k, D: Digest> {
    hash: D,
    key: &'k [u8],
    first: bool,
}

impl<'k, D: Digest> Signer<'k, D> {
    pub(crate) fn new(key: &'k Secret) -> Self {
        let key = key.expose().as_bytes();
        let mut hash = D::new();
        hash.update(key);
        hash.update(b"&");
        Signer {
            hash,
            key,
            first: true,
        }
    }

    /// Adds the pair `name=value` (the raw value, not url-encoded).
    pub(crate) fn pair(&mut self, name: &[u8], value: &[u8]) {
        if !self.first {
            self.hash.update(b"&");
        }
        self.first = false;
        self.hash.update(name);
        self.hash.update(b"=");
        self.hash.update(value);
    }

    /// Writes the lowercase hex signature into `out` and returns its length (32 or 64).
    pub(crate) fn finish_hex(mut self, out: &mut [u8; 64]) -> usize {
        self.hash.update(b"&");
        self.hash.update(self.key);
        let digest = self.hash.finalize();
        let n = digest.len() * 2;
        // `out` holds the 64 digits of the longest digest.
        let _ = hex::encode_to_slice(digest, &mut out[..n]);
        n
    }
}

/// The canonical string that [`sign`] hashes, with the key replaced by `***`: what a user
/// compares when the service answers 422.
///
/// ```
/// use sendcloud_proto::canonical_string_masked;
/// let s = canonical_string_masked([("b", "2"), ("a", "1")]);
/// assert_eq!(s, "***&a=1&b=2&***");
/// ```
pub fn canonical_string_masked<'a, I>(params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut s = String::from("***&");
    for (i, (k, v)) in sorted(params).into_iter().enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    s.push_str("&***");
    s
}

/// Checks a signature (of either algorithm, chosen by its length; hex of either case)
/// in constant time.
pub fn verify<'a, I>(key: &Secret, params: I, signature: &str) -> bool
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let Some(alg) = SignatureAlgorithm::from_hex_len(signature.len()) else {
        return false;
    };
    let expected = sign(alg, key, params);
    let given = signature.to_ascii_lowercase();
    constant_time_eq(expected.as_bytes(), given.as_bytes())
}
