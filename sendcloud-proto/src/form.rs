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
        let refs: Vec<(&str, &str)> = self.iter().filter(|(k, _)| *k != SIGNATURE_PARAM).collect();
        sign_sorted(alg, key, &refs)
    }

    /// The parameters as an `application/x-www-form-urlencoded` body, in name order.
    pub fn encode(&self) -> String {
        let cap = self
            .pairs
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>();
        let mut out = String::with_capacity(cap + cap / 4);
        for (k, v) in &self.pairs {
            if !out.is_empty() {
                out.push('&');
            }
            out.extend(form_urlencoded::byte_serialize(k.as_bytes()));
            out.push('=');
            out.extend(form_urlencoded::byte_serialize(v.as_bytes()));
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

impl<K: Into<Cow<'static, str>>, V: Into<String>> FromIterator<(K, V)> for Form {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut f = Form::new();
        for (k, v) in iter {
            f.set(k, v);
        }
        f
    }
}
