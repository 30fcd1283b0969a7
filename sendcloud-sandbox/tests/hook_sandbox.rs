//! The sandbox's SMSHook events against the verifier: whatever the sandbox signs verifies,
//! and a change to what the signature covers (timestamp, token, signature) does not.

use proptest::prelude::*;
use sendcloud_proto::hook::{HookError, HookVerifier, MemoryReplayGuard};
use sendcloud_proto::*;
use sendcloud_sandbox::{Sandbox, SandboxConfig, DEFAULT_HOOK_APP_KEY};

fn events_for(phones: &[String], code: &str, now: Timestamp) -> Vec<(String, Form<'static>)> {
    let mut sandbox = Sandbox::new(SandboxConfig {
        queue_request_events: true,
        ..SandboxConfig::default()
    });
    let client = Client::new(Credentials::new("sandbox-user", "sandbox-key").unwrap());
    let mut vars = Vars::new();
    vars.insert("code", code).unwrap();
    let recipients =
        Recipients::new(phones.iter().map(|p| Phone::parse(p).unwrap()).collect()).unwrap();
    let send = SendTemplate::new(TemplateId::new(1).unwrap(), recipients).with_vars(vars);
    let answer = sandbox.handle(&client.prepare(&send, now).unwrap(), now);
    client.parse::<SendTemplate, _>(&answer).unwrap();
    sandbox
        .take_hook_events()
        .into_iter()
        .map(|e| (e.event, e.body))
        .collect()
}

fn verifier() -> HookVerifier {
    HookVerifier::new(vec![Secret::new(DEFAULT_HOOK_APP_KEY)]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn what_the_sandbox_signs_verifies_and_tampering_does_not(
        phones in proptest::collection::btree_set("1[3-9][0-9]{9}", 1..6),
        code in "[0-9]{4,6}",
        now in 1_600_000_000_000u64..1_900_000_000_000,
        json in any::<bool>(),
        which in 0usize..3,
        flip in any::<prop::sample::Index>(),
    ) {
        let phones: Vec<String> = phones.into_iter().collect();
        let now = Timestamp(now);
        let events = events_for(&phones, &code, now);
        prop_assert_eq!(events.len(), phones.len() + 1, "one request event, one per message");
        let v = verifier();
        for (name, form) in events {
            let (ct, body) = if json {
                let map: serde_json::Map<String, serde_json::Value> = form
                    .iter()
                    .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned())))
                    .collect();
                ("application/json", serde_json::Value::Object(map).to_string())
            } else {
                ("application/x-www-form-urlencoded", form.encode())
            };
            let mut guard = MemoryReplayGuard::new(16);
            let event = v.verify_and_parse(Some(ct), body.as_bytes(), now, &mut guard);
            prop_assert!(event.is_ok(), "{name}: {event:?}");
            let event = event.unwrap();
            prop_assert_eq!(event.event_name(), name.as_str());

            // Change one character of what the signature covers.
            let field = ["timestamp", "token", "signature"][which];
            let mut tampered = form.clone();
            let value = tampered.get(field).unwrap().to_owned();
            let i = flip.index(value.len());
            let old = value.as_bytes()[i];
            let new = if old == b'1' { b'2' } else { b'1' };
            let mut bytes = value.into_bytes();
            bytes[i] = new;
            tampered.set(field, String::from_utf8(bytes).unwrap());
            let mut guard = MemoryReplayGuard::new(16);
            let refused = v.verify_and_parse(None, tampered.encode().as_bytes(), now, &mut guard);
            prop_assert!(
                matches!(refused, Err(HookError::BadSignature) | Err(HookError::Stale { .. }) | Err(HookError::FromFuture { .. }) | Err(HookError::Invalid { .. }) | Err(HookError::Malformed(_))),
                "{field} changed: {refused:?}"
            );
        }
    }
}

#[test]
fn events_from_another_key_are_refused() {
    let now = Timestamp(1_700_000_000_000);
    let other = HookVerifier::new(vec![Secret::new("not-the-sandbox-key")]).unwrap();
    for (_, form) in events_for(&["13800000001".into()], "1234", now) {
        let mut guard = MemoryReplayGuard::new(4);
        assert_eq!(
            other.verify_and_parse(None, form.encode().as_bytes(), now, &mut guard),
            Err(HookError::BadSignature)
        );
    }
}

#[test]
fn memories_that_grow_with_traffic_stay_under_their_caps() {
    let mut sandbox = Sandbox::new(SandboxConfig {
        outbox_limit: Some(100),
        hook_queue_limit: 50,
        max_tracked_numbers: 200,
        max_request_ids: 20,
        ..SandboxConfig::default()
    });
    let client = Client::new(Credentials::new("sandbox-user", "sandbox-key").unwrap());
    let now = Timestamp(1_700_000_000_000);
    for batch in 0..30u64 {
        let phones = (0..40u64)
            .map(|i| Phone::parse(&format!("139{:08}", batch * 40 + i)).unwrap())
            .collect();
        let mut vars = Vars::new();
        vars.insert("code", "1234").unwrap();
        let send = SendTemplate::new(
            TemplateId::new(1).unwrap(),
            Recipients::new(phones).unwrap(),
        )
        .with_vars(vars)
        .with_request_id(SendRequestId::new(format!("cap-{batch}")).unwrap());
        let answer = sandbox.handle(&client.prepare(&send, now).unwrap(), now);
        client.parse::<SendTemplate, _>(&answer).unwrap();
    }
    assert_eq!(sandbox.accepted_count(), 1_200);
    assert_eq!(sandbox.outbox().len(), 100);
    assert_eq!(sandbox.hook_events().len(), 50);
    assert_eq!(sandbox.hook_events_dropped(), 1_150);
    let debug = format!("{sandbox:?}");
    let field = |name: &str| -> usize {
        let rest = &debug[debug.find(name).unwrap() + name.len() + 2..];
        rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap()]
            .parse()
            .unwrap()
    };
    assert!(field("rate_limited_numbers") <= 200, "{debug}");
    assert!(field("remembered_request_ids") <= 20, "{debug}");
}
