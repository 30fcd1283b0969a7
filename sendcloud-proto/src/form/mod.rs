//! Request parameters: kept sorted by name, signed raw, sent url-encoded.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

mod encode;
mod value;

pub(crate) use encode::urlencoded;
use encode::{digits_and_commas, push_urlencoded, UNCHANGED};
use value::ascii_str;
pub(crate) use value::{Inline, Value};

use crate::credentials::Secret;
use crate::sign::{
    sign_sorted_into, Digest, Md5, Sha256, SignatureAlgorithm, Signer, SIGNATURE_PARAM,
};

/// The parameters of one request, kept sorted by name (ascending bytes), each name once.
///
/// Values may borrow from what they were built from (`'a`): preparing a request copies a
/// value only when it is sent, not when it is collected (the phone list, the `vars` JSON,
/// the user and the ids are borrowed), and numbers are held inline.
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
    pairs: Vec<Pair<'a>>,
}

/// One parameter.
type Pair<'a> = (Cow<'static, str>, Value<'a>);

/// Byte order of names, deciding on the first byte when it differs (most names do)
/// without a call to `memcmp`.
#[inline]
fn cmp_names(a: &[u8], b: &[u8]) -> Ordering {
    match (a.first(), b.first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

/// Parameters a client adds to an endpoint's own, sorted by name, with names that need no
/// escaping. Where the form has a parameter of the same name, the extra one is used.
pub(crate) type Extras<'e> = [(&'static str, Value<'e>)];

/// The pairs of a form and its extras, merged in name order: name, value, and whether the
/// name is known to need no escaping.
struct Merged<'s, 'a> {
    pairs: &'s [(Cow<'static, str>, Value<'a>)],
    extras: &'s Extras<'s>,
}

impl<'s, 'a> Iterator for Merged<'s, 'a> {
    type Item = (&'s [u8], &'s Value<'s>, bool);

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let take_pair = match (self.pairs.first(), self.extras.first()) {
            (None, None) => return None,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((k, _)), Some((name, _))) => match cmp_names(name.as_bytes(), k.as_bytes()) {
                Ordering::Less => false,
                Ordering::Greater => true,
                Ordering::Equal => {
                    // The extra replaces the form's pair of its name.
                    self.pairs = &self.pairs[1..];
                    false
                }
            },
        };
        if take_pair {
            let ((k, v), rest) = self.pairs.split_first()?;
            self.pairs = rest;
            Some((k.as_bytes(), v, false))
        } else {
            let ((name, v), rest) = self.extras.split_first()?;
            self.extras = rest;
            Some((name.as_bytes(), v, true))
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
            .is_none_or(|(last, _)| cmp_names(last.as_bytes(), name.as_bytes()).is_lt())
        {
            self.pairs.push((name, value));
            return;
        }
        match self
            .pairs
            .binary_search_by(|(k, _)| cmp_names(k.as_bytes(), name.as_bytes()))
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
        self.put(Cow::Borrowed(name), Value::Plain(value.as_bytes()));
    }

    /// Sets `name` to `raw`, sent as `encoded`, which must be what the encoder makes of
    /// `raw` (checked in debug builds). For values built once and sent many times.
    pub(crate) fn set_encoded(&mut self, name: &'static str, raw: &'a str, encoded: &'a str) {
        debug_assert!(
            {
                let mut check = Vec::new();
                push_urlencoded(&mut check, raw.as_bytes());
                check == encoded.as_bytes()
            },
            "set_encoded given {encoded:?} for {raw:?}"
        );
        self.put(Cow::Borrowed(name), Value::Encoded { raw, encoded });
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .binary_search_by(|(k, _)| cmp_names(k.as_bytes(), name.as_bytes()))
            .ok()
            .map(|i| self.pairs[i].1.as_str())
    }

    /// Removes `name` and returns its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.pairs
            .binary_search_by(|(k, _)| cmp_names(k.as_bytes(), name.as_bytes()))
            .ok()
            .map(|i| {
                let (_, v) = self.pairs.remove(i);
                match v {
                    Value::Text(t) => t.into_owned(),
                    other => other.as_str().to_owned(),
                }
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

    /// The pairs with `extras` merged in, in name order.
    fn merged<'s>(&'s self, extras: &'s Extras<'s>) -> Merged<'s, 'a> {
        debug_assert!(
            extras
                .windows(2)
                .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes())
                && extras
                    .iter()
                    .all(|(n, _)| n.bytes().all(|b| UNCHANGED[usize::from(b)])),
            "extras must be sorted, with plain names"
        );
        Merged {
            pairs: &self.pairs,
            extras,
        }
    }

    /// The signature of these parameters (all but `signature`) under `key`.
    pub fn signature(&self, alg: SignatureAlgorithm, key: &Secret) -> String {
        let mut hex = [0u8; 64];
        let n = sign_sorted_into(
            alg,
            key,
            self.pairs
                .iter()
                .filter(|(k, _)| k != SIGNATURE_PARAM)
                .map(|(k, v)| (k.as_bytes(), v.raw_bytes())),
            &mut hex,
        );
        ascii_str(&hex[..n]).to_owned()
    }

    /// The parameters as an `application/x-www-form-urlencoded` body, in name order.
    pub fn encode(&self) -> String {
        String::from_utf8(self.encode_bytes()).expect("the encoding writes only ASCII")
    }

    /// The same body as bytes, ready to send.
    pub fn encode_bytes(&self) -> Vec<u8> {
        let mut body = Body::new(self.body_capacity(&[], 0));
        for (k, v) in self.pairs.iter() {
            body.pair(k.as_bytes(), v, false);
        }
        body.finish()
    }

    /// The signed body of a request: these parameters with `extras` merged in (what the
    /// client adds: the user and the time), then `signature`, the signature of all of them
    /// (a `signature` the form has itself is left out).
    ///
    /// It is one pass: each pair is hashed raw and written url-encoded as it is read, so
    /// the signature comes last in the body. The order of a form body's parameters
    /// carries no meaning; the signature is over them sorted by name, as ever.
    pub(crate) fn signed_body(
        &self,
        alg: SignatureAlgorithm,
        key: &Secret,
        extras: &Extras<'_>,
    ) -> Vec<u8> {
        match alg {
            SignatureAlgorithm::Md5 => self.signed_body_with::<Md5>(key, extras),
            SignatureAlgorithm::Sha256 => self.signed_body_with::<Sha256>(key, extras),
        }
    }

    fn signed_body_with<D: Digest>(&self, key: &Secret, extras: &Extras<'_>) -> Vec<u8> {
        let signature_len = <D as Digest>::output_size() * 2;
        let mut body =
            Body::new(self.body_capacity(extras, SIGNATURE_PARAM.len() + signature_len + 2));
        let mut signer = Signer::<D>::new(key);
        for (k, v, plain_name) in self.merged(extras) {
            if k == SIGNATURE_PARAM.as_bytes() {
                continue;
            }
            signer.pair(k, v.raw_bytes());
            body.pair(k, v, plain_name);
        }
        let mut hex = [0u8; 64];
        let n = signer.finish_hex(&mut hex);
        body.pair(SIGNATURE_PARAM.as_bytes(), &Value::Plain(&hex[..n]), true);
        body.finish()
    }

    /// Room for the body of these parameters, `extras` and `more` bytes, with some for
    /// escapes, so that a short text value does not grow the body.
    fn body_capacity(&self, extras: &Extras<'_>, more: usize) -> usize {
        let cap = self
            .pairs
            .iter()
            .map(|(k, v)| body_len(k, v))
            .sum::<usize>()
            + extras.iter().map(|(k, v)| body_len(k, v)).sum::<usize>()
            + more;
        cap + cap / 2
    }
}

/// How many bytes `name=value&` takes in a body, escapes aside.
fn body_len(name: &str, value: &Value<'_>) -> usize {
    name.len() + value.min_encoded_len() + 2
}

/// A request body being written: `name=value` pairs joined by `&`, url-encoded.
struct Body {
    out: Vec<u8>,
}

impl Body {
    fn new(capacity: usize) -> Body {
        Body {
            out: Vec::with_capacity(capacity),
        }
    }

    fn pair(&mut self, name: &[u8], value: &Value<'_>, plain_name: bool) {
        let out = &mut self.out;
        if !out.is_empty() {
            out.push(b'&');
        }
        if plain_name {
            out.extend_from_slice(name);
        } else {
            push_urlencoded(out, name);
        }
        out.push(b'=');
        match value {
            Value::Text(t) => push_urlencoded(out, t.as_bytes()),
            Value::Plain(p) => out.extend_from_slice(p),
            Value::Encoded { encoded, .. } => out.extend_from_slice(encoded.as_bytes()),
            Value::Inline(n) => out.extend_from_slice(n.as_bytes()),
        }
    }

    fn finish(self) -> Vec<u8> {
        self.out
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

    #[test]
    fn numbers_are_held_inline_and_read_back_as_text() {
        for n in [
            0u64,
            7,
            9,
            10,
            11,
            99,
            100,
            101,
            999,
            1000,
            12_345,
            1_700_000_000_000,
            10_000_000_000_000_000_000,
            u64::MAX - 1,
            u64::MAX,
        ] {
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
    fn extras_are_sent_and_signed_in_their_place_by_name() {
        let mut f = Form::new();
        f.set("b", "2");
        f.set_u64("d", 4);
        let text = |v: &'static str| Value::Text(Cow::Borrowed(v));
        let key = Secret::new("k");
        // The body without its signature, which comes last.
        let sent = |form: &Form<'_>, extras: &Extras<'_>| {
            let body =
                String::from_utf8(form.signed_body(SignatureAlgorithm::Md5, &key, extras)).unwrap();
            let (pairs, signature) = body.rsplit_once('&').unwrap_or(("", &body));
            assert!(signature.starts_with("signature="), "{body}");
            pairs.to_owned()
        };
        assert_eq!(sent(&f, &[("a", text("x y"))]), "a=x+y&b=2&d=4");
        assert_eq!(sent(&f, &[("c", text("3"))]), "b=2&c=3&d=4");
        assert_eq!(sent(&f, &[("e", text("5"))]), "b=2&d=4&e=5");
        assert_eq!(
            sent(&f, &[("b", text("new"))]),
            "b=new&d=4",
            "the extra replaces a pair of its name"
        );
        assert_eq!(sent(&f, &[("d", text("new"))]), "b=2&d=new");
        assert_eq!(
            sent(
                &f,
                &[
                    ("a", text("1")),
                    ("c", Value::Plain(b"3")),
                    ("e", text("&"))
                ]
            ),
            "a=1&b=2&c=3&d=4&e=%26"
        );
        assert_eq!(sent(&Form::new(), &[("s", text("1"))]), "s=1");
        // The same as setting the pairs, then encoding and signing.
        let cases: [&[(&'static str, &'static str)]; 6] = [
            &[("a", "x y")],
            &[("c", "3")],
            &[("e", "5")],
            &[("b", "new")],
            &[("a", "1"), ("b", "new"), ("c", "{\"x\":1}"), ("z", "")],
            &[("signature", "ff"), ("smsUser", "u"), ("timestamp", "1")],
        ];
        for pairs in cases {
            let extras: Vec<_> = pairs.iter().map(|(n, v)| (*n, text(v))).collect();
            let mut g = f.clone();
            for (name, value) in pairs {
                g.set(*name, *value);
            }
            g.remove(SIGNATURE_PARAM);
            for alg in [SignatureAlgorithm::Md5, SignatureAlgorithm::Sha256] {
                let body = f.signed_body(alg, &key, &extras);
                let mut got = Form::decode(&body);
                let signature = got.remove(SIGNATURE_PARAM);
                assert_eq!(got, g, "{pairs:?}");
                assert_eq!(signature, Some(g.signature(alg, &key)), "{pairs:?}");
            }
        }
    }

    #[test]
    fn values_encoded_in_advance_are_signed_raw_and_sent_encoded() {
        let raw = r#"{"%code%":"1 2&3"}"#;
        let encoded = urlencoded(raw);
        let mut f = Form::new();
        f.set_encoded("vars", raw, &encoded);
        let mut text = Form::new();
        text.set("vars", raw);
        assert_eq!(f.get("vars"), Some(raw));
        assert_eq!(f.encode(), text.encode());
        assert_eq!(f, text);
        let key = Secret::new("k");
        assert_eq!(
            f.signature(SignatureAlgorithm::Md5, &key),
            text.signature(SignatureAlgorithm::Md5, &key)
        );
        assert_eq!(f.clone().into_owned(), text);
        assert_eq!(f.clone().into_owned().encode(), text.encode());
        assert_eq!(f.remove("vars").as_deref(), Some(raw));
    }

    proptest::proptest! {
        /// A signed body sends the form's pairs and the extras, with the signature last,
        /// and the signature in it is the reference one of the pairs.
        #[test]
        fn signed_bodies_send_every_pair_and_sign_them(
            pairs in proptest::collection::vec(
                ("[a-z&= ]{1,6}|signature|smsUser", "[ -~é]{0,20}|[0-9]{1,8}"),
                0..10,
            ),
            digits in "[0-9,]{0,30}",
            key in "[ -~]{1,20}",
            user in "[a-z]{1,5}( [a-z]{1,3})?",
        ) {
            let mut f = Form::new();
            for (k, v) in &pairs {
                f.set(k.clone(), v.as_str());
            }
            f.set_digits("phone", &digits);
            let raw = r#"{"%a%":"x y&z"}"#;
            let encoded = urlencoded(raw);
            f.set_encoded("vars", raw, &encoded);
            f.set_u64("n", 42);
            let user_encoded = urlencoded(&user);
            let extras = [
                ("smsUser", Value::Encoded { raw: &user, encoded: &user_encoded }),
                ("timestamp", Value::Inline(Inline::from_u64(1_700_000_000_000))),
            ];
            let key = Secret::new(key);
            for alg in [SignatureAlgorithm::Md5, SignatureAlgorithm::Sha256] {
                let body = f.signed_body(alg, &key, &extras);
                let sent = Form::decode(&body);
                // What is sent: the form's pairs and the extras (which win), with its own
                // signature replaced, and the signature last.
                let mut expected: std::collections::BTreeMap<String, String> = f
                    .iter()
                    .filter(|(k, _)| *k != SIGNATURE_PARAM)
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                expected.insert("smsUser".into(), user.clone());
                expected.insert("timestamp".into(), "1700000000000".into());
                let unsigned_sent: std::collections::BTreeMap<String, String> = sent
                    .iter()
                    .filter(|(k, _)| *k != SIGNATURE_PARAM)
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                proptest::prop_assert_eq!(unsigned_sent, expected);
                let last = form_urlencoded::parse(&body).last().map(|(k, _)| k.into_owned());
                proptest::prop_assert_eq!(last.as_deref(), Some(SIGNATURE_PARAM));
                let unsigned: Vec<(&str, &str)> =
                    sent.iter().filter(|(k, _)| *k != SIGNATURE_PARAM).collect();
                proptest::prop_assert_eq!(
                    sent.get(SIGNATURE_PARAM).unwrap(),
                    crate::sign::sign(alg, &key, unsigned)
                );
            }
        }
    }

    /// Set, get, remove and the order by name work for forms of any size.
    #[test]
    fn forms_of_any_size_keep_their_order() {
        for n in 0..20usize {
            // Every index once, in a scrambled order that inserts in the middle and at the
            // front.
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&i| (i as u32).wrapping_mul(2_654_435_761).rotate_left(13));
            let mut f = Form::new();
            let mut reference = std::collections::BTreeMap::new();
            for &i in &order {
                f.set(format!("k{i:02}"), format!("v{i}"));
                reference.insert(format!("k{i:02}"), format!("v{i}"));
            }
            let got: Vec<(String, String)> = f
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let want: Vec<(String, String)> = reference.clone().into_iter().collect();
            assert_eq!(got, want, "n = {n}");
            assert_eq!(f.len(), reference.len());
            assert_eq!(f.len(), n);
            let encoded: Vec<String> = want.iter().map(|(k, v)| format!("{k}={v}")).collect();
            assert_eq!(f.encode(), encoded.join("&"), "n = {n}");
            // Replacing keeps the count; removing from the middle keeps the order.
            if let Some(k) = reference.keys().nth(n / 2).cloned() {
                f.set(k.clone(), "new");
                assert_eq!(f.get(&k), Some("new"));
                assert_eq!(f.len(), reference.len());
                assert_eq!(f.remove(&k).as_deref(), Some("new"));
                reference.remove(&k);
                assert_eq!(f.get(&k), None);
                let got: Vec<String> = f.iter().map(|(k, _)| k.to_owned()).collect();
                let want: Vec<String> = reference.keys().cloned().collect();
                assert_eq!(got, want, "n = {n}");
                // Encoding checks (in debug builds) the body length kept through it all.
                assert_eq!(Form::decode(f.encode().as_bytes()), f);
            }
            let owned = f.clone().into_owned();
            assert_eq!(owned, f);
            assert_eq!(owned.encode(), f.encode());
        }
    }

    /// A form of longer-lived values can take shorter-lived ones (it is covariant).
    #[test]
    fn a_static_form_takes_borrowed_values() {
        fn shorten<'a>(f: Form<'static>) -> Form<'a> {
            f
        }
        let mut f = shorten(Form::decode(b"a=1"));
        let local = String::from("2");
        f.set("b", local.as_str());
        assert_eq!(f.encode(), "a=1&b=2");
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
