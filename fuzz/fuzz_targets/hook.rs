//! SMSHook posts. Input: the first line is the Content-Type (an empty line: none), the
//! rest the body. Parsing and verifying must never panic, and must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sendcloud_proto::hook::{DeliveryTracker, HookEvent, HookVerifier, MemoryReplayGuard};
use sendcloud_proto::{Secret, Timestamp};

/// The time the seed posts were signed at.
const NOW: Timestamp = Timestamp(1_700_000_000_000);

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&[][..], data),
    };
    let content_type = String::from_utf8_lossy(head);
    let content_type = (!content_type.is_empty()).then_some(content_type.as_ref());

    let parsed = HookEvent::parse(content_type, body);
    let verifier = HookVerifier::new(vec![Secret::new("old-key"), Secret::new("fuzz-app-key")])
        .expect("verifier");
    let mut guard = MemoryReplayGuard::new(4);
    let verified = verifier.verify_and_parse(content_type, body, NOW, &mut guard);
    if let Ok(event) = &verified {
        // A verified post parses the same way unverified, and is a replay the second time.
        assert_eq!(parsed.as_ref().ok(), Some(event));
        assert!(verifier.verify(event, NOW, &mut guard).is_err());
        assert!(verifier
            .verify_and_parse(content_type, body, NOW, &mut guard)
            .is_err());
    }
    if let Ok(event) = &parsed {
        let _ = event.event_name();
        let _ = event.sms_ids();
        let _ = event.status();
        let _ = event.msg_type();
        let _ = event.msg_count();
        let mut tracker = DeliveryTracker::new();
        let _ = tracker.apply(event);
        let _ = tracker.apply(event);
        let _ = verifier.verify(event, NOW, &mut MemoryReplayGuard::new(1));
        let _ = format!("{event:?}");
    }
});
