//! The sandbox answering any requests, one after another, without panicking.
//!
//! Input: requests separated by a line `=====`. Each request is a line `METHOD TARGET`
//! (TARGET is a path with an optional `?query`) and then the body. A METHOD written
//! `!POST` (or `#POST`) has its parameters re-signed with the sandbox's key (MD5, or
//! SHA-256 with `#`) before it is sent, so that mutated bodies get past the signature
//! check and reach the rules behind it. All requests are made at 1,700,000,000,000 ms
//! plus one second per request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sendcloud_proto::http;
use sendcloud_proto::{Envelope, Form, Secret, SignatureAlgorithm, Timestamp};
use sendcloud_sandbox::{Sandbox, SandboxConfig, DEFAULT_SMS_KEY};

const NOW: u64 = 1_700_000_000_000;
const SEPARATOR: &[u8] = b"\n=====\n";

fn split_records(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some(i) = data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        out.push(&data[..i]);
        data = &data[i + SEPARATOR.len()..];
    }
    out.push(data);
    out
}

fn request(record: &[u8]) -> Option<http::Request<Vec<u8>>> {
    let (head, body) = match record.iter().position(|&b| b == b'\n') {
        Some(i) => (&record[..i], &record[i + 1..]),
        None => (record, &[][..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let (method, target) = head.split_once(' ').unwrap_or((head, "/"));
    let (resign, method) = match method.strip_prefix('!') {
        Some(m) => (Some(SignatureAlgorithm::Md5), m),
        None => match method.strip_prefix('#') {
            Some(m) => (Some(SignatureAlgorithm::Sha256), m),
            None => (None, method),
        },
    };
    let method = http::Method::from_bytes(method.as_bytes()).ok()?;
    let uri: http::Uri = format!("http://sandbox.local{target}").parse().ok()?;
    let mut body = body.to_vec();
    if let Some(alg) = resign {
        // Sign what the sandbox will see: the query, overridden by the body.
        let mut params = Form::decode(uri.query().unwrap_or("").as_bytes());
        let mut own = Form::decode(&body);
        for (k, v) in own.iter() {
            params.set(k.to_owned(), v);
        }
        let signature = params.signature(alg, &Secret::new(DEFAULT_SMS_KEY));
        own.set("signature", signature);
        body = own.encode().into_bytes();
    }
    http::Request::builder()
        .method(method)
        .uri(uri)
        .body(body)
        .ok()
}

fuzz_target!(|data: &[u8]| {
    let mut sandbox = Sandbox::new(SandboxConfig {
        balance: Some(50),
        per_minute_limit: 3,
        per_day_limit: 5,
        outbox_limit: Some(8),
        queue_request_events: true,
        ..SandboxConfig::default()
    });
    for (i, record) in split_records(data).into_iter().take(16).enumerate() {
        let Some(req) = request(record) else {
            continue;
        };
        let now = Timestamp(NOW + 1000 * i as u64);
        let answer = sandbox.handle(&req, now);
        let status = answer.status().as_u16();
        assert!(matches!(status, 200 | 404 | 405), "HTTP {status}");
        let body = answer.body();
        if body.first() == Some(&b'{') {
            let env = Envelope::decode(body).expect("the sandbox answers a valid envelope");
            if env.is_success() {
                let _ =
                    sendcloud_proto::parse_response::<sendcloud_proto::SendTemplate, _>(&answer);
            }
        }
    }
    for event in sandbox.take_hook_events() {
        let _ = format!("{event:?}");
    }
    let _ = sandbox.outbox_json();
    let _ = sandbox.outbox_html();
});
