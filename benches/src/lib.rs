//! Fixtures shared by the benchmarks: clients, sends of a given size, canonical strings
//! and response bodies. The benchmarks themselves are in `benches/`.
#![allow(missing_docs)]

use sendcloud_proto::{
    Client, Credentials, Endpoint, Phone, Recipients, SendTemplate, SignatureAlgorithm, TemplateId,
    Timestamp, Vars,
};

/// The time every benchmark request is made at.
pub const NOW: Timestamp = Timestamp(1_700_000_000_000);
/// The sandbox's default account.
pub const USER: &str = "sandbox-user";
/// The sandbox's default key.
pub const KEY: &str = "sandbox-key";

/// A client of the sandbox's default account.
pub fn client(alg: SignatureAlgorithm) -> Client {
    Client::new(Credentials::new(USER, KEY).expect("credentials"))
        .with_base_url("http://sandbox.local/smsapi")
        .expect("base url")
        .with_algorithm(alg)
}

/// `n` distinct domestic numbers, as text.
pub fn phone_strings(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("138{:08}", i)).collect()
}

/// `n` distinct domestic numbers, parsed.
pub fn phones(n: usize) -> Vec<Phone> {
    phone_strings(n)
        .iter()
        .map(|s| Phone::parse(s).expect("phone"))
        .collect()
}

/// The vars of template 1.
pub fn code_vars() -> Vars {
    let mut v = Vars::new();
    v.insert("code", "123456").expect("vars");
    v
}

/// A template-1 send to `n` recipients with a code.
pub fn send_to(n: usize) -> SendTemplate {
    SendTemplate::new(
        TemplateId::new(1).expect("template"),
        Recipients::new(phones(n)).expect("recipients"),
    )
    .with_vars(code_vars())
}

/// The parameters a client signs for `endpoint` (all but `signature`), sorted.
pub fn signed_params<E: Endpoint>(client: &Client, endpoint: &E) -> Vec<(String, String)> {
    client
        .form(endpoint, NOW)
        .iter()
        .filter(|(k, _)| *k != "signature")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Sorted parameters whose canonical string (`KEY&...&KEY`) is exactly `size` bytes
/// (`size` must be at least 100): `phone`, `smsUser` and
/// `timestamp`, with as many numbers as fit.
pub fn params_of_size(size: usize) -> Vec<(String, String)> {
    let mut params = vec![
        ("phone".to_owned(), String::new()),
        ("smsUser".to_owned(), USER.to_owned()),
        ("timestamp".to_owned(), NOW.as_millis().to_string()),
    ];
    let base = canonical_string(KEY, &params).len();
    assert!(size > base + 11, "size {size} is too small");
    let mut phone = String::with_capacity(size - base);
    let mut i = 0u64;
    while phone.len() < size - base {
        if !phone.is_empty() {
            phone.push(',');
        }
        phone.push_str(&format!("138{:08}", i));
        i += 1;
    }
    phone.truncate(size - base);
    params[0].1 = phone;
    debug_assert_eq!(canonical_string(KEY, &params).len(), size);
    params
}

/// The string a signature hashes, built in memory (for the bare-hash baselines).
pub fn canonical_string(key: &str, sorted: &[(String, String)]) -> String {
    let mut s = String::with_capacity(
        64 + sorted
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>(),
    );
    s.push_str(key);
    s.push('&');
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    s.push('&');
    s.push_str(key);
    s
}

/// A success answer to a one-recipient send.
pub const SUCCESS_BODY: &str = r#"{"message":"请求成功","info":{"successCount":1,"smsIds":["1700000000000_1_1_1_1ainnq$13800000000"]},"result":true,"statusCode":200}"#;

/// A refusal (412).
pub const ERROR_BODY: &str =
    r#"{"message":"手机号格式错误","info":{},"result":false,"statusCode":412}"#;

/// A 311 partial success with `rejected` refused numbers and as many accepted.
pub fn partial_body(rejected: usize) -> String {
    let items: Vec<String> = (0..rejected)
        .map(|i| {
            format!(
                r#"{{"phone":"131{:04}","vars":{{"%code%":"123456"}},"message":"手机号格式错误","statusCode":412}}"#,
                i
            )
        })
        .collect();
    let ids: Vec<String> = (0..rejected)
        .map(|i| format!(r#""1700000000000_{}_1_1_1ainnq$138{:08}""#, i + 1, i))
        .collect();
    format!(
        r#"{{"message":"部分成功","info":{{"successCount":{rejected},"failedCount":{rejected},"items":[{}],"smsIds":[{}]}},"result":true,"statusCode":311}}"#,
        items.join(","),
        ids.join(",")
    )
}

/// An HTTP 200 answer with `body`.
pub fn response(body: impl Into<Vec<u8>>) -> http::Response<Vec<u8>> {
    http::Response::new(body.into())
}

/// The bare MD5 digest of `bytes` (the baseline of a signature).
pub fn bare_md5(bytes: &[u8]) -> [u8; 16] {
    use md5::{Digest, Md5};
    Md5::digest(bytes).into()
}

/// The bare SHA-256 digest of `bytes`.
pub fn bare_sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_exact() {
        for size in [100, 1024, 8192, 24_000] {
            assert_eq!(canonical_string(KEY, &params_of_size(size)).len(), size);
        }
    }

    #[test]
    fn partial_body_parses() {
        let r = sendcloud_proto::parse_response::<SendTemplate, _>(&response(partial_body(100)))
            .expect("311");
        assert_eq!(r.rejected.len(), 100);
    }
}
