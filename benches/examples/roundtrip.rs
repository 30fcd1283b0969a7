//! Runs prepare + parse of a one-recipient send N times (default 20,000), for profilers
//! that count instructions: `valgrind --tool=callgrind target/release/examples/roundtrip`.

use sendcloud_benches::{client, response, send_to, NOW, SUCCESS_BODY};
use sendcloud_proto::{SendTemplate, SignatureAlgorithm};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let client = client(SignatureAlgorithm::Md5);
    let send = send_to(1);
    let success = response(SUCCESS_BODY);
    let mut total = 0u64;
    for _ in 0..n {
        let req = client
            .prepare(std::hint::black_box(&send), NOW)
            .expect("prepare");
        let receipt = client
            .parse::<SendTemplate, _>(std::hint::black_box(&success))
            .expect("200");
        total += req.body().len() as u64 + receipt.success_count;
    }
    println!("{total}");
}
