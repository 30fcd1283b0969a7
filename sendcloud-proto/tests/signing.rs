//! Signing: known answers from API-NOTES.md and properties against a reference signer.

use md5::{Digest, Md5};
use proptest::prelude::*;
use sendcloud_proto::*;
use sha2::Sha256;

const KEY1: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const P1: [(&str, &str); 4] = [
    ("smsUser", "testuser"),
    ("templateId", "1"),
    ("phone", "18888888888"),
    ("vars", "{}"),
];
const KEY2: &str = "mock-key";
const P2: [(&str, &str); 5] = [
    ("smsUser", "mock-user"),
    ("templateId", "mock-tpl-id"),
    ("msgType", "0"),
    ("phone", "18188888888"),
    ("vars", r#"{"%code%":1234}"#),
];

#[test]
fn known_answer_md5() {
    assert_eq!(
        sign(SignatureAlgorithm::Md5, &Secret::new(KEY1), P1),
        "31eda13789be63afca40a32e37880d6d"
    );
    assert_eq!(
        sign(SignatureAlgorithm::Md5, &Secret::new(KEY2), P2),
        "821ce159a89738f7a8f23657a1748eb9"
    );
}

#[test]
fn known_answer_sha256() {
    assert_eq!(
        sign(SignatureAlgorithm::Sha256, &Secret::new(KEY1), P1),
        "473959199cbb4bcac74310296ba880b1394ff73fd0953f3661c5d5eb999d43d3"
    );
    assert_eq!(
        sign(SignatureAlgorithm::Sha256, &Secret::new(KEY2), P2),
        "374ef5fa8eea95058cd4ca817a556da32904b4400578846de3c2939855cd8374"
    );
}

#[test]
fn known_answer_through_a_form() {
    let form: Form = P1.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        form.signature(SignatureAlgorithm::Md5, &Secret::new(KEY1)),
        "31eda13789be63afca40a32e37880d6d"
    );
    let form: Form = P2.iter().rev().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        form.signature(SignatureAlgorithm::Sha256, &Secret::new(KEY2)),
        "374ef5fa8eea95058cd4ca817a556da32904b4400578846de3c2939855cd8374"
    );
}

#[test]
fn known_canonical_string() {
    assert_eq!(
        canonical_string_masked(P1),
        "***&phone=18888888888&smsUser=testuser&templateId=1&vars={}&***"
    );
    assert_eq!(
        reference_string(KEY1, &P1.map(|(k, v)| (k.to_owned(), v.to_owned()))),
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ&phone=18888888888&smsUser=testuser&templateId=1&vars={}&ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    );
}

#[test]
fn verify_accepts_both_algorithms_and_either_case() {
    let key = Secret::new(KEY1);
    assert!(verify(&key, P1, "31eda13789be63afca40a32e37880d6d"));
    assert!(verify(&key, P1, "31EDA13789BE63AFCA40A32E37880D6D"));
    assert!(verify(
        &key,
        P1,
        "473959199cbb4bcac74310296ba880b1394ff73fd0953f3661c5d5eb999d43d3"
    ));
    assert!(!verify(&key, P1, "31eda13789be63afca40a32e37880d6e"));
    assert!(!verify(&key, P1, "31eda137"));
    assert!(!verify(
        &Secret::new("other"),
        P1,
        "31eda13789be63afca40a32e37880d6d"
    ));
}

#[test]
fn signature_param_is_never_signed() {
    let key = Secret::new(KEY1);
    let mut with_sig: Vec<(&str, &str)> = P1.to_vec();
    with_sig.push(("signature", "anything"));
    assert_eq!(
        sign(SignatureAlgorithm::Md5, &key, with_sig),
        "31eda13789be63afca40a32e37880d6d"
    );
}

/// The plain reference: sort by name, join raw `k=v` with `&`, wrap in the key.
fn reference_string(key: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> =
        params.iter().filter(|(k, _)| k != "signature").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let joined: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{key}&{}&{key}", joined.join("&"))
}

fn reference_md5(key: &str, params: &[(String, String)]) -> String {
    hex::encode(Md5::digest(reference_string(key, params).as_bytes()))
}

fn reference_sha256(key: &str, params: &[(String, String)]) -> String {
    hex::encode(Sha256::digest(reference_string(key, params).as_bytes()))
}

fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ &=%+a-zA-Z0-9]{0,12}",
        "\\PC{0,16}",
        any::<String>(),
    ]
}

/// Distinct parameter names (a form has each name once), values of any kind.
fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::btree_map("[a-zA-Z%&=+ ][a-zA-Z0-9_%&=+ ]{0,8}", tricky_string(), 0..8)
        .prop_map(|m| m.into_iter().filter(|(k, _)| k != "signature").collect())
}

proptest! {
    #[test]
    fn signature_is_independent_of_order(key in tricky_string(), ps in params(), seed in any::<u64>()) {
        let key = Secret::new(key);
        let mut shuffled = ps.clone();
        // A deterministic shuffle from the seed.
        let n = shuffled.len();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        for alg in [SignatureAlgorithm::Md5, SignatureAlgorithm::Sha256] {
            let a = sign(alg, &key, ps.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let b = sign(alg, &key, shuffled.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn signature_equals_reference(key in tricky_string(), ps in params()) {
        let secret = Secret::new(key.clone());
        let refs = || ps.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        prop_assert_eq!(sign(SignatureAlgorithm::Md5, &secret, refs()), reference_md5(&key, &ps));
        prop_assert_eq!(sign(SignatureAlgorithm::Sha256, &secret, refs()), reference_sha256(&key, &ps));
        // A Form signs the same, whatever order the values were set in.
        let form: Form = ps.iter().rev().map(|(k, v)| (k.clone(), v.clone())).collect();
        prop_assert_eq!(form.signature(SignatureAlgorithm::Md5, &secret), reference_md5(&key, &ps));
    }

    #[test]
    fn decoded_body_gives_back_the_signed_values(key in tricky_string(), ps in params()) {
        let form: Form = ps.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let body = form.encode();
        let decoded: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut expected = ps.clone();
        expected.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        prop_assert_eq!(&decoded, &expected);
        prop_assert_eq!(Form::decode(body.as_bytes()), form.clone());
        let secret = Secret::new(key.clone());
        prop_assert_eq!(
            sign(SignatureAlgorithm::Md5, &secret, decoded.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            reference_md5(&key, &ps)
        );
    }

    #[test]
    fn prepared_send_carries_a_reference_signature(
        key in "[ -~]{1,20}", user in "[a-zA-Z0-9_][a-zA-Z0-9_@. &+=%-]{0,11}", tpl in 1u64..1_000_000,
        phones in proptest::collection::btree_set("1[3-9][0-9]{9}", 1..50),
        var in "[a-zA-Z0-9 &=%+,.!?]{0,32}", other in "[\"\\\\a-z 你好]{0,8}",
        now in any::<u64>(), sha in any::<bool>(),
    ) {
        let alg = if sha { SignatureAlgorithm::Sha256 } else { SignatureAlgorithm::Md5 };
        let client = Client::new(Credentials::new(user.clone(), key.clone()).unwrap()).with_algorithm(alg);
        let recipients = Recipients::new(phones.iter().map(|p| Phone::parse(p).unwrap()).collect()).unwrap();
        let mut vars = Vars::new();
        // A generated value may spell a link ("www."), which vars refuse.
        prop_assume!(vars.insert("v", var.clone()).is_ok());
        prop_assume!(vars.insert("a_other", other.clone()).is_ok());
        let send = SendTemplate::new(TemplateId::new(tpl).unwrap(), recipients).with_vars(vars);
        let req = client.prepare(&send, Timestamp(now)).unwrap();
        // What `prepare` sends is what `Client::form` describes.
        prop_assert_eq!(Form::decode(req.body()), client.form(&send, Timestamp(now)));
        let body: Vec<(String, String)> = form_urlencoded::parse(req.body())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |name: &str| body.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let sig = get("signature").unwrap();
        let expected = if sha { reference_sha256(&key, &body) } else { reference_md5(&key, &body) };
        prop_assert_eq!(sig, expected);
        prop_assert_eq!(get("smsUser").unwrap(), user);
        prop_assert_eq!(get("timestamp").unwrap(), now.to_string());
        prop_assert_eq!(get("templateId").unwrap(), tpl.to_string());
        prop_assert_eq!(get("phone").unwrap(), phones.iter().cloned().collect::<Vec<_>>().join(","));
        let vars_json: serde_json::Value = serde_json::from_str(&get("vars").unwrap()).unwrap();
        prop_assert_eq!(vars_json["%v%"].as_str().unwrap(), var.as_str());
        prop_assert_eq!(vars_json["%a_other%"].as_str().unwrap(), other.as_str());
    }
}
