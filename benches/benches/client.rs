//! `Client::prepare` of sends of several sizes, and parsing answers.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sendcloud_benches::{
    bare_md5, canonical_string, client, code_vars, partial_body, phone_strings, phones, response,
    send_to, signed_params, ERROR_BODY, KEY, NOW, SUCCESS_BODY,
};
use sendcloud_proto::{
    parse_response, Phone, Recipients, SendTemplate, SignatureAlgorithm, TemplateId,
};

fn bench_prepare(c: &mut Criterion) {
    let client = client(SignatureAlgorithm::Md5);
    let mut g = c.benchmark_group("prepare");
    for n in [1usize, 100, 2000] {
        let send = send_to(n);
        g.bench_function(format!("prepare/{n}"), |b| {
            b.iter(|| client.prepare(black_box(&send), NOW).expect("prepare"))
        });
    }
    // Building the send from pre-parsed phones (the Vec is cloned in setup, not measured).
    let parsed = phones(2000);
    g.bench_function("build+prepare/2000", |b| {
        b.iter_batched(
            || parsed.clone(),
            |phones| {
                let send = SendTemplate::new(
                    TemplateId::new(1).expect("template"),
                    Recipients::new(phones).expect("recipients"),
                )
                .with_vars(code_vars());
                client.prepare(&send, NOW).expect("prepare")
            },
            BatchSize::LargeInput,
        )
    });
    // From the strings a caller has: every number validated, then the send prepared.
    let strings = phone_strings(2000);
    g.bench_function("validate+prepare/2000", |b| {
        b.iter(|| {
            let phones = black_box(&strings)
                .iter()
                .map(|s| Phone::parse(s))
                .collect::<Result<Vec<_>, _>>()
                .expect("phones");
            let send = SendTemplate::new(
                TemplateId::new(1).expect("template"),
                Recipients::new(phones).expect("recipients"),
            )
            .with_vars(code_vars());
            client.prepare(&send, NOW).expect("prepare")
        })
    });
    let joined = strings.join(",");
    g.bench_function("parse_list+prepare/2000", |b| {
        b.iter(|| {
            let send = SendTemplate::new(
                TemplateId::new(1).expect("template"),
                Recipients::parse(black_box(&joined)).expect("recipients"),
            )
            .with_vars(code_vars());
            client.prepare(&send, NOW).expect("prepare")
        })
    });
    // The baseline of the 1.5x target: the bare MD5 of the 2,000-recipient canonical string.
    let canonical = canonical_string(KEY, &signed_params(&client, &send_to(2000)));
    g.bench_function("bare_md5_of_canonical/2000", |b| {
        b.iter(|| bare_md5(black_box(canonical.as_bytes())))
    });
    g.finish();
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    let success = response(SUCCESS_BODY);
    let partial = response(partial_body(100));
    let error = response(ERROR_BODY);
    g.bench_function("success", |b| {
        b.iter(|| parse_response::<SendTemplate, _>(black_box(&success)).expect("200"))
    });
    g.bench_function("partial_311_100_items", |b| {
        b.iter(|| parse_response::<SendTemplate, _>(black_box(&partial)).expect("311"))
    });
    g.bench_function("error_412", |b| {
        b.iter(|| parse_response::<SendTemplate, _>(black_box(&error)).expect_err("412"))
    });
    g.finish();
}

/// Exactly one prepare of a one-recipient send and one parse of its success answer per
/// iteration: the per-message overhead a transport adds to a round trip.
fn bench_roundtrip(c: &mut Criterion) {
    let client = client(SignatureAlgorithm::Md5);
    let send = send_to(1);
    let success = response(SUCCESS_BODY);
    c.bench_function("roundtrip/prepare+parse/1", |b| {
        b.iter(|| {
            let req = client.prepare(black_box(&send), NOW).expect("prepare");
            let receipt = client
                .parse::<SendTemplate, _>(black_box(&success))
                .expect("200");
            (req, receipt)
        })
    });
    // The same with the send built each time from a number and a code (validation, the
    // vars JSON and its encoding included): work that `prepare` itself no longer does.
    c.bench_function("roundtrip/build+prepare+parse/1", |b| {
        b.iter(|| {
            let phone = Phone::parse(black_box("13800000000")).expect("phone");
            let send = SendTemplate::new(
                TemplateId::new(1).expect("template"),
                Recipients::one(phone),
            )
            .with_vars(code_vars());
            let req = client.prepare(&send, NOW).expect("prepare");
            let receipt = client
                .parse::<SendTemplate, _>(black_box(&success))
                .expect("200");
            (req, receipt)
        })
    });
}

criterion_group!(benches, bench_prepare, bench_parse, bench_roundtrip);
criterion_main!(benches);
