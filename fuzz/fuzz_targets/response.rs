//! Any answer body: decoding must never panic, a decoded envelope must be consistent, and
//! the fast path must answer as serde does whenever it answers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sendcloud_proto::http;
use sendcloud_proto::response::compare_fast_path;
use sendcloud_proto::{parse_response, Envelope, Error, GetServerTime, SendCode, SendTemplate};

fuzz_target!(|body: &[u8]| {
    if let Err(diff) = compare_fast_path(body) {
        panic!("the fast path answers otherwise than serde: {diff}");
    }
    let ok = http::Response::new(body);
    let sent = parse_response::<SendTemplate, _>(&ok);
    let _ = parse_response::<SendCode, _>(&ok);
    let _ = parse_response::<GetServerTime, _>(&ok);
    if let Ok(receipt) = &sent {
        assert!(receipt.status.is_some_and(|s| s.is_success()));
    }
    if let Ok(env) = Envelope::decode(body) {
        // Whatever decoded as a refusal turns into an API error without panicking.
        if !env.is_success() {
            assert!(matches!(env.into_error(), Error::Api { .. }));
        }
    }
    // A non-2xx answer is an HTTP error whatever its body.
    let mut failed = http::Response::new(body);
    *failed.status_mut() = http::StatusCode::BAD_GATEWAY;
    assert!(matches!(
        parse_response::<SendTemplate, _>(&failed),
        Err(Error::Http { status: 502, .. })
    ));
});
