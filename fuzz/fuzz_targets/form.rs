//! `Form::decode` then `encode` then `decode` gives back the first decoding, and encoding
//! is a fixed point from there on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sendcloud_proto::Form;

fuzz_target!(|data: &[u8]| {
    let first = Form::decode(data);
    let encoded = first.encode();
    let second = Form::decode(encoded.as_bytes());
    assert_eq!(first, second, "decode(encode(decode(x))) != decode(x)");
    assert_eq!(encoded, second.encode(), "encode is not a fixed point");
    // Names stay sorted and unique.
    let names: Vec<&str> = first.iter().map(|(k, _)| k).collect();
    assert!(names.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()));
    for (k, v) in first.iter() {
        assert_eq!(first.get(k), Some(v));
    }
});
