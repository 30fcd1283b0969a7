//! The sandbox answering a one-recipient send.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sendcloud_benches::{client, send_to, NOW};
use sendcloud_proto::SignatureAlgorithm;
use sendcloud_sandbox::{Sandbox, SandboxConfig};

fn bench_sandbox(c: &mut Criterion) {
    let client = client(SignatureAlgorithm::Md5);
    let request = client.prepare(&send_to(1), NOW).expect("prepare");
    let config = SandboxConfig::default();
    {
        let mut sandbox = Sandbox::new(config.clone());
        let answer = sandbox.handle(&request, NOW);
        let body = String::from_utf8_lossy(answer.body());
        assert!(body.contains("\"statusCode\":200"), "{body}");
    }
    let mut g = c.benchmark_group("sandbox");
    // A fresh sandbox every time (made in setup): the answer is always a 200.
    g.bench_function("handle_send/1/fresh", |b| {
        b.iter_batched_ref(
            || Sandbox::new(config.clone()),
            |sandbox| sandbox.handle(&request, NOW),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_sandbox);
criterion_main!(benches);
