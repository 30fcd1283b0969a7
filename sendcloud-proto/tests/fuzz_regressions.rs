//! Replays the committed fuzz seed corpora (`fuzz/corpus/`) through the invariants the
//! fuzz targets check, so that `cargo test` catches a regression without nightly. Inputs
//! that once crashed a target belong here too, as their own tests (none so far).

use std::path::PathBuf;

use sendcloud_proto::http;
use sendcloud_proto::{parse_response, Envelope, Form, GetServerTime, SendTemplate};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("read")))
        .collect()
}

#[test]
fn form_seeds_round_trip() {
    for (name, data) in corpus("form") {
        let first = Form::decode(&data);
        let encoded = first.encode();
        assert_eq!(Form::decode(encoded.as_bytes()), first, "{name}");
    }
}

#[test]
fn response_seeds_never_panic() {
    let seeds = corpus("response");
    assert!(!seeds.is_empty());
    for (_, body) in seeds {
        let response = http::Response::new(body.as_slice());
        let _ = parse_response::<SendTemplate, _>(&response);
        let _ = parse_response::<GetServerTime, _>(&response);
        let _ = Envelope::decode(&body);
    }
}

#[test]
fn non_ascii_values_encode_like_form_urlencoded() {
    let mut f = Form::new();
    f.set("vars", r#"{"%name%":"你好 Lucy"}"#);
    assert_eq!(
        f.encode(),
        "vars=%7B%22%25name%25%22%3A%22%E4%BD%A0%E5%A5%BD+Lucy%22%7D"
    );
}
