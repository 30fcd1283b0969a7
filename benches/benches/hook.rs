//! Verifying and parsing SMSHook posts.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sendcloud_benches::NOW;
use sendcloud_proto::hook::{HookEvent, HookVerifier, MemoryReplayGuard, ReplayGuard};
use sendcloud_proto::{Secret, Timestamp};

const APP_KEY: &str = "bench-app-key";
const FORM: &str = "application/x-www-form-urlencoded";

/// A guard that remembers nothing, so that one body can be verified again and again.
struct NoReplayCheck;

impl ReplayGuard for NoReplayCheck {
    fn check_and_remember(&mut self, _: &str, _: Timestamp, _: Timestamp) -> bool {
        true
    }
}

fn fields(i: u64) -> Vec<(&'static str, String)> {
    vec![
        ("event", "deliver".to_owned()),
        ("smsId", format!("1700000000000_{i}_1_1_1ainnq$13800000000")),
        ("phone", "13800000000".to_owned()),
        ("templateId", "1".to_owned()),
        ("smsUser", "sandbox-user".to_owned()),
        ("message", "发送成功".to_owned()),
    ]
}

fn token(i: u64) -> String {
    format!("{i:050}")
}

fn bench_hook(c: &mut Criterion) {
    let key = Secret::new(APP_KEY);
    let verifier = HookVerifier::new(vec![key.clone()]).expect("verifier");
    let form_body = HookEvent::signed_form_body(&key, &token(0), NOW, fields(0));
    let json_body = HookEvent::signed_json_body(&key, &token(0), NOW, fields(0));
    let mut g = c.benchmark_group("hook");
    g.bench_function("verify_and_parse/form", |b| {
        b.iter(|| {
            verifier
                .verify_and_parse(
                    Some(FORM),
                    black_box(form_body.as_bytes()),
                    NOW,
                    &mut NoReplayCheck,
                )
                .expect("valid")
        })
    });
    g.bench_function("verify_and_parse/json", |b| {
        b.iter(|| {
            verifier
                .verify_and_parse(
                    Some("application/json"),
                    black_box(json_body.as_bytes()),
                    NOW,
                    &mut NoReplayCheck,
                )
                .expect("valid")
        })
    });
    // With the in-memory replay guard: a fresh token every time (bodies made in setup).
    let mut guard = verifier.replay_guard(1 << 16);
    let mut i = 0u64;
    g.bench_function("verify_and_parse/form+memory_guard", |b| {
        b.iter_batched(
            || {
                i += 1;
                HookEvent::signed_form_body(&key, &token(i), NOW, fields(i))
            },
            |body| {
                verifier
                    .verify_and_parse(Some(FORM), body.as_bytes(), NOW, &mut guard)
                    .expect("valid")
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("parse_only/form", |b| {
        b.iter(|| HookEvent::parse(Some(FORM), black_box(form_body.as_bytes())).expect("parse"))
    });
    g.finish();
    let _ = MemoryReplayGuard::new(1);
}

criterion_group!(benches, bench_hook);
criterion_main!(benches);
