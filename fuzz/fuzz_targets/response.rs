//! Any answer body: decoding must never panic, and a decoded envelope must be consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sendcloud_proto::http;
use sendcloud_proto::{parse_response, Envelope, Error, GetServerTime, SendCode, SendTemplate};

fuzz_target!(|body: &[u8]| {
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
