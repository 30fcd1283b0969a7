//! Signing over canonical strings of several sizes, beside the bare hash of the same bytes.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sendcloud_benches::{
    bare_md5, bare_sha256, canonical_string, client, params_of_size, send_to, signed_params, KEY,
};
use sendcloud_proto::{sign, Form, Secret, SignatureAlgorithm};

fn sizes() -> Vec<(String, Vec<(String, String)>)> {
    let send_2000 = signed_params(&client(SignatureAlgorithm::Md5), &send_to(2000));
    let n = canonical_string(KEY, &send_2000).len();
    vec![
        ("100B".to_owned(), params_of_size(100)),
        ("1KiB".to_owned(), params_of_size(1024)),
        ("8KiB".to_owned(), params_of_size(8192)),
        (format!("send2000_{n}B"), send_2000),
    ]
}

fn bench_sign(c: &mut Criterion) {
    let key = Secret::new(KEY);
    for (alg, name) in [
        (SignatureAlgorithm::Md5, "md5"),
        (SignatureAlgorithm::Sha256, "sha256"),
    ] {
        let mut g = c.benchmark_group(format!("sign/{name}"));
        for (label, params) in sizes() {
            let canonical = canonical_string(KEY, &params);
            let form: Form = params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            g.throughput(Throughput::Bytes(canonical.len() as u64));
            g.bench_with_input(BenchmarkId::new("sign", &label), &params, |b, p| {
                b.iter(|| sign(alg, &key, p.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            });
            g.bench_with_input(BenchmarkId::new("form_signature", &label), &form, |b, f| {
                b.iter(|| f.signature(alg, &key))
            });
            g.bench_with_input(
                BenchmarkId::new("bare_hash", &label),
                canonical.as_bytes(),
                |b, bytes| match alg {
                    SignatureAlgorithm::Md5 => b.iter(|| bare_md5(black_box(bytes))),
                    SignatureAlgorithm::Sha256 => b.iter(|| bare_sha256(black_box(bytes))),
                },
            );
        }
        g.finish();
    }
}

criterion_group!(benches, bench_sign);
criterion_main!(benches);
