//! SMSHook: parsing, verification, replay protection, the delivery fold and signing.

use std::collections::BTreeMap;

use proptest::prelude::*;
use sendcloud_proto::hook::{
    hook_signature, Applied, DeliveryTracker, HookError, HookEvent, HookEventKind, HookVerifier,
    MemoryReplayGuard, ReplayGuard, TemplateVerifyResult, DEFAULT_MAX_AGE_MS,
    DEFAULT_MAX_BODY_BYTES,
};
use sendcloud_proto::{DeliveryState, LabelId, MsgType, Secret, StatusCode, TemplateId, Timestamp};

const KAT_KEY: &str = "appkey";
const KAT_TS: u64 = 1_434_684_323_193;
const KAT_TOKEN: &str = "nyFltYEluRVvYezFHJW1st2ewb71RVcVDiNN6GqvRnWtgDDDDD";
const KAT_SIG: &str = "485ee62449485992daf0a5b020d78991af7765f7b97eba1363bdbddc35a64d1b";

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const JSON: Option<&str> = Some("application/json; charset=utf-8");

fn key(k: &str) -> Secret {
    Secret::new(k)
}

fn verifier() -> HookVerifier {
    HookVerifier::new(vec![key(KAT_KEY)]).unwrap()
}

fn guard() -> MemoryReplayGuard {
    MemoryReplayGuard::new(1024)
}

fn deliver_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("event", "deliver"),
        ("smsId", "1434684323193_15_3_11_1ainnq$13800000000"),
        ("phone", "13800000000"),
        ("templateId", "7"),
    ]
}

// ---------------------------------------------------------------------------------------
// Known answer
// ---------------------------------------------------------------------------------------

#[test]
fn known_answer_signature() {
    assert_eq!(
        hook_signature(&key(KAT_KEY), &KAT_TS.to_string(), KAT_TOKEN),
        KAT_SIG
    );
}

#[test]
fn known_answer_post_verifies_form_and_json() {
    let v = verifier();
    let now = Timestamp(KAT_TS + 1_000);
    let form = format!(
        "event=deliver&smsId=s1&phone=13800000000&token={KAT_TOKEN}&timestamp={KAT_TS}&signature={KAT_SIG}"
    );
    let e = v
        .verify_and_parse(FORM, form.as_bytes(), now, &mut guard())
        .unwrap();
    assert_eq!(e.token, KAT_TOKEN);
    assert_eq!(e.timestamp, Timestamp(KAT_TS));
    assert_eq!(e.signature, KAT_SIG);
    assert_eq!(e.sms_ids(), ["s1"]);

    // JSON, with the timestamp as a number and the signature in upper case.
    let json = format!(
        r#"{{"event":"deliver","smsId":"s1","token":"{KAT_TOKEN}","timestamp":{KAT_TS},"signature":"{}"}}"#,
        KAT_SIG.to_ascii_uppercase()
    );
    let e = v
        .verify_and_parse(JSON, json.as_bytes(), now, &mut guard())
        .unwrap();
    assert_eq!(e.event_name(), "deliver");

    // The parsed event verifies on its own too.
    v.verify(&e, now, &mut guard()).unwrap();
}

// ---------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------

/// A refusal case: its name, what the verifier said, and the error expected.
type Case = (
    &'static str,
    Result<HookEvent, HookError>,
    fn(&HookError) -> bool,
);

#[test]
fn refuses_each_bad_post() {
    let v = verifier().with_max_age_ms(60_000);
    let sent = Timestamp(KAT_TS);
    let now = sent.offset_by(1_000);
    let good = HookEvent::signed_form_body(&key(KAT_KEY), KAT_TOKEN, sent, deliver_fields());

    // The good post passes (with a fresh guard each time unless stated).
    assert!(v
        .verify_and_parse(FORM, good.as_bytes(), now, &mut guard())
        .is_ok());

    let forged_sig = good.replace(
        &hook_signature(&key(KAT_KEY), &KAT_TS.to_string(), KAT_TOKEN),
        &"0".repeat(64),
    );
    let wrong_key =
        HookEvent::signed_form_body(&key("not-the-key"), KAT_TOKEN, sent, deliver_fields());
    let short_sig = good.replace("&signature=", "&signature=ab&x=");
    let non_hex_sig = HookEvent::sign_form(&key(KAT_KEY), KAT_TOKEN, sent, deliver_fields())
        .into_iter()
        .map(|(k, v)| {
            if k == "signature" {
                format!("{k}={}", "z".repeat(64))
            } else {
                format!("{k}={}", v.replace('$', "%24"))
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    let swapped_token = good.replace(
        KAT_TOKEN,
        "nyFltYEluRVvYezFHJW1st2ewb71RVcVDiNN6GqvRnWtgDDDDE",
    );
    let shifted_ts = good.replace(&KAT_TS.to_string(), &(KAT_TS + 1).to_string());
    let no_token = good.replace(&format!("token={KAT_TOKEN}"), "token=");
    let long_token = "t".repeat(129);
    let too_long_token =
        HookEvent::signed_form_body(&key(KAT_KEY), &long_token, sent, deliver_fields());
    let truncated = &good[..good.find("&signature=").unwrap()];
    let no_event = HookEvent::signed_form_body(&key(KAT_KEY), KAT_TOKEN, sent, [("smsId", "x")]);
    let bad_ts = good.replace(&format!("timestamp={KAT_TS}"), "timestamp=yesterday");
    let stale = v.verify_and_parse(FORM, good.as_bytes(), sent.offset_by(60_001), &mut guard());
    let future = v.verify_and_parse(FORM, good.as_bytes(), sent.offset_by(-60_001), &mut guard());
    let oversized = format!("{good}&pad={}", "x".repeat(DEFAULT_MAX_BODY_BYTES));
    let broken_json = r#"{"event":"deliver","token":"#;
    let json_array = r#"["event","deliver"]"#;

    let run = |body: &str| v.verify_and_parse(FORM, body.as_bytes(), now, &mut guard());
    let cases: Vec<Case> = vec![
        ("forged signature", run(&forged_sig), |e| {
            *e == HookError::BadSignature
        }),
        ("wrong key", run(&wrong_key), |e| {
            *e == HookError::BadSignature
        }),
        ("short signature", run(&short_sig), |e| {
            *e == HookError::BadSignature
        }),
        ("non-hex signature", run(&non_hex_sig), |e| {
            *e == HookError::BadSignature
        }),
        ("token changed", run(&swapped_token), |e| {
            *e == HookError::BadSignature
        }),
        ("timestamp changed", run(&shifted_ts), |e| {
            *e == HookError::BadSignature
        }),
        ("empty token", run(&no_token), |e| {
            *e == HookError::Missing("token")
        }),
        ("token too long", run(&too_long_token), |e| {
            matches!(e, HookError::Invalid { field: "token", .. })
        }),
        ("truncated: no signature", run(truncated), |e| {
            *e == HookError::Missing("signature")
        }),
        ("empty body", run(""), |e| {
            matches!(e, HookError::Missing(_))
        }),
        ("no event", run(&no_event), |e| {
            *e == HookError::Missing("event")
        }),
        ("non-numeric timestamp", run(&bad_ts), |e| {
            // The signature is checked first, over the timestamp as sent.
            *e == HookError::BadSignature
        }),
        ("stale", stale, |e| matches!(e, HookError::Stale { .. })),
        ("from the future", future, |e| {
            matches!(e, HookError::FromFuture { .. })
        }),
        (
            "oversized",
            run(&oversized),
            |e| matches!(e, HookError::TooLarge { limit, .. } if *limit == DEFAULT_MAX_BODY_BYTES),
        ),
        (
            "broken JSON",
            v.verify_and_parse(JSON, broken_json.as_bytes(), now, &mut guard()),
            |e| matches!(e, HookError::Malformed(_)),
        ),
        (
            "JSON not an object",
            v.verify_and_parse(JSON, json_array.as_bytes(), now, &mut guard()),
            |e| matches!(e, HookError::Malformed(_)),
        ),
    ];
    for (name, result, expected) in cases {
        match result {
            Ok(e) => panic!("{name}: accepted {e:?}"),
            Err(e) => assert!(expected(&e), "{name}: wrong error {e:?}"),
        }
    }

    // Replayed: the same guard sees the same post twice.
    let mut g = guard();
    assert!(v
        .verify_and_parse(FORM, good.as_bytes(), now, &mut g)
        .is_ok());
    assert_eq!(
        v.verify_and_parse(FORM, good.as_bytes(), now.offset_by(5), &mut g),
        Err(HookError::Replayed)
    );
    // ...and a forgotten token (handling failed, SendCloud retries) is accepted again.
    g.forget(KAT_TOKEN);
    assert!(v
        .verify_and_parse(FORM, good.as_bytes(), now, &mut g)
        .is_ok());
}

#[test]
fn freshness_window_edges() {
    let v = verifier().with_max_age_ms(1_000);
    let sent = Timestamp(KAT_TS);
    let body = HookEvent::signed_form_body(&key(KAT_KEY), KAT_TOKEN, sent, deliver_fields());
    let at = |offset: i64| {
        v.verify_and_parse(FORM, body.as_bytes(), sent.offset_by(offset), &mut guard())
    };
    assert!(at(1_000).is_ok());
    assert!(at(-1_000).is_ok());
    assert!(matches!(at(1_001), Err(HookError::Stale { .. })));
    assert!(matches!(at(-1_001), Err(HookError::FromFuture { .. })));
    assert_eq!(verifier().max_age_ms(), DEFAULT_MAX_AGE_MS);
}

#[test]
fn forged_posts_do_not_fill_the_replay_guard() {
    let v = verifier();
    let now = Timestamp(KAT_TS);
    let mut g = guard();
    let forged = HookEvent::signed_form_body(&key("evil"), "tok", now, deliver_fields());
    assert_eq!(
        v.verify_and_parse(FORM, forged.as_bytes(), now, &mut g),
        Err(HookError::BadSignature)
    );
    let stale = HookEvent::signed_form_body(&key(KAT_KEY), "tok", Timestamp(0), deliver_fields());
    assert!(matches!(
        v.verify_and_parse(FORM, stale.as_bytes(), now, &mut g),
        Err(HookError::Stale { .. })
    ));
    assert!(g.is_empty());
}

#[test]
fn key_rotation() {
    let v = HookVerifier::new(vec![key("new-key"), key("old-key")]).unwrap();
    assert_eq!(v.key_count(), 2);
    let now = Timestamp(KAT_TS);
    let mut g = guard();
    for (k, token) in [("new-key", "t-new"), ("old-key", "t-old")] {
        let body = HookEvent::signed_form_body(&key(k), token, now, deliver_fields());
        let e = v
            .verify_and_parse(FORM, body.as_bytes(), now, &mut g)
            .unwrap();
        assert_eq!(e.token, token);
    }
    let third = HookEvent::signed_form_body(&key("third-key"), "t-3", now, deliver_fields());
    assert_eq!(
        v.verify_and_parse(FORM, third.as_bytes(), now, &mut g),
        Err(HookError::BadSignature)
    );

    assert!(HookVerifier::new(vec![]).is_err());
    assert!(HookVerifier::new(vec![key("")]).is_err());
}

#[test]
fn keys_never_show() {
    let v = HookVerifier::new(vec![key("sekrit-one"), key("sekrit-two")]).unwrap();
    let shown = format!("{v:?}");
    assert!(!shown.contains("sekrit"), "{shown}");
    let now = Timestamp(KAT_TS);
    let body = HookEvent::signed_form_body(&key("sekrit-three"), "t", now, deliver_fields());
    let err = v
        .verify_and_parse(FORM, body.as_bytes(), now, &mut guard())
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("sekrit"));
}

#[test]
fn error_http_status_and_display() {
    assert_eq!(HookError::BadSignature.http_status(), 401);
    assert_eq!(HookError::Replayed.http_status(), 200);
    assert_eq!(HookError::Missing("token").http_status(), 400);
    assert_eq!(HookError::TooLarge { size: 2, limit: 1 }.http_status(), 413);
    assert_eq!(
        HookError::Missing("smsId").to_string(),
        "SMSHook field smsId is missing"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(HookError::Replayed);
    assert!(boxed.to_string().contains("replay"));
}

// ---------------------------------------------------------------------------------------
// Replay guard
// ---------------------------------------------------------------------------------------

#[test]
fn memory_replay_guard_expires_and_evicts() {
    let mut g = MemoryReplayGuard::new(2).with_window_ms(1_000);
    let t0 = Timestamp(10_000);
    assert!(g.check_and_remember("a", t0, t0));
    assert!(!g.check_and_remember("a", t0, t0.offset_by(1_000)));
    // After the window the token is forgotten (the verifier refuses such events as stale).
    assert!(g.check_and_remember("a", t0, t0.offset_by(1_001)));
    assert_eq!(g.len(), 1);

    // Full: the oldest timestamp goes first.
    let mut g = MemoryReplayGuard::new(2);
    assert!(g.check_and_remember("old", Timestamp(100), Timestamp(300)));
    assert!(g.check_and_remember("mid", Timestamp(200), Timestamp(300)));
    assert!(g.check_and_remember("new", Timestamp(300), Timestamp(300)));
    assert_eq!(g.len(), 2);
    assert!(!g.check_and_remember("mid", Timestamp(200), Timestamp(300)));
    assert!(!g.check_and_remember("new", Timestamp(300), Timestamp(300)));
    assert!(g.check_and_remember("old", Timestamp(100), Timestamp(300)));

    assert_eq!(MemoryReplayGuard::new(0).capacity(), 1);
    assert_eq!(verifier().with_max_age_ms(7).replay_guard(3).capacity(), 3);
}

#[test]
fn replay_guard_is_object_safe() {
    let v = verifier();
    let now = Timestamp(KAT_TS);
    let body = HookEvent::signed_form_body(&key(KAT_KEY), "dyn", now, deliver_fields());
    let mut inner = guard();
    let g: &mut dyn ReplayGuard = &mut inner;
    assert!(v.verify_and_parse(None, body.as_bytes(), now, g).is_ok());
    assert_eq!(
        v.verify_and_parse(None, body.as_bytes(), now, g),
        Err(HookError::Replayed)
    );
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

fn signed(fields: &[(&str, &str)], json: bool) -> (Option<&'static str>, String) {
    let k = key(KAT_KEY);
    if json {
        (
            JSON,
            HookEvent::signed_json_body(&k, KAT_TOKEN, Timestamp(KAT_TS), fields.iter().copied()),
        )
    } else {
        (
            FORM,
            HookEvent::signed_form_body(&k, KAT_TOKEN, Timestamp(KAT_TS), fields.iter().copied()),
        )
    }
}

fn parse_both(fields: &[(&str, &str)]) -> HookEvent {
    let (ct, form) = signed(fields, false);
    let a = verifier()
        .verify_and_parse(ct, form.as_bytes(), Timestamp(KAT_TS), &mut guard())
        .unwrap();
    let (ct, json) = signed(fields, true);
    let b = verifier()
        .verify_and_parse(ct, json.as_bytes(), Timestamp(KAT_TS), &mut guard())
        .unwrap();
    assert_eq!(a.kind, b.kind, "form and JSON disagree");
    a
}

#[test]
fn parses_request() {
    let e = parse_both(&[
        ("event", "request"),
        ("smsIds", r#"["id-1","id-2"]"#),
        ("phones", r#"["13800000001","13800000002"]"#),
        ("templateId", "42"),
        ("message", "hello"),
        ("smsUser", "me"),
        ("labelId", "3"),
        ("msgCount", "2"),
        ("msgType", "0"),
        ("customArgs", r#"{"order":7}"#),
        ("somethingNew", "kept"),
    ]);
    assert_eq!(
        e.kind,
        HookEventKind::Request {
            sms_ids: vec!["id-1".into(), "id-2".into()],
            phones: vec!["13800000001".into(), "13800000002".into()],
            template_id: Some(TemplateId::new(42).unwrap()),
            message: Some("hello".into()),
            sms_user: Some("me".into()),
            label_id: Some(LabelId::new(3).unwrap()),
        }
    );
    assert_eq!(e.event_name(), "request");
    assert_eq!(e.event_code(), Some(1));
    assert_eq!(e.sms_ids(), ["id-1", "id-2"]);
    assert_eq!(e.msg_count(), Some(2));
    assert_eq!(e.msg_type(), Some(MsgType::Sms));
    assert_eq!(e.custom_args(), Some(r#"{"order":7}"#));
    assert_eq!(
        e.unknown_fields().collect::<Vec<_>>(),
        [("somethingNew", "kept")]
    );
    assert_eq!(e.field("smsUser"), Some("me"));
}

#[test]
fn list_fields_in_every_shape() {
    let shapes = [
        r#"["a$1","b$2"]"#.to_owned(),
        "a$1,b$2".to_owned(),
        "a$1; b$2".to_owned(),
        " a$1 ,, b$2 ,".to_owned(),
    ];
    for s in &shapes {
        let body = format!(
            "event=1&token=t&timestamp=1&signature=s&smsIds={}",
            urlenc(s)
        );
        let e = HookEvent::parse_form(body.as_bytes()).unwrap();
        assert_eq!(e.sms_ids(), ["a$1", "b$2"], "shape {s:?}");
    }
    // A real JSON array, a JSON array encoded in a string, numbers as items.
    let real = r#"{"event":"request","token":"t","timestamp":1,"signature":"s","smsIds":["a$1","b$2"],"phones":[13800000001,"13800000002"]}"#;
    let in_string = r#"{"event":"request","token":"t","timestamp":"1","signature":"s","smsIds":"[\"a$1\",\"b$2\"]","phones":"[\"13800000001\",\"13800000002\"]"}"#;
    for body in [real, in_string] {
        let e = HookEvent::parse(None, body.as_bytes()).unwrap();
        let HookEventKind::Request {
            sms_ids, phones, ..
        } = &e.kind
        else {
            panic!("not a request: {e:?}");
        };
        assert_eq!(sms_ids, &["a$1", "b$2"]);
        assert_eq!(phones, &["13800000001", "13800000002"]);
    }
    // A broken array is refused, naming the field.
    let broken =
        r#"{"event":"request","token":"t","timestamp":1,"signature":"s","phones":"[\"138"}"#;
    assert!(matches!(
        HookEvent::parse(None, broken.as_bytes()),
        Err(HookError::Invalid {
            field: "phones",
            ..
        })
    ));
}

fn urlenc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn parses_deliver() {
    let e = parse_both(&[
        ("event", "deliver"),
        ("smsId", "s$13800000000"),
        ("phone", "13800000000"),
        ("templateId", "9"),
        ("message", "ok"),
        ("receiptTime", "2024-05-06 07:08:09"),
        ("outboundTime", "2024-05-06 07:08:01"),
    ]);
    assert_eq!(
        e.kind,
        HookEventKind::Delivered {
            sms_id: "s$13800000000".into(),
            phone: Some("13800000000".into()),
            template_id: Some(TemplateId::new(9).unwrap()),
            message: Some("ok".into()),
        }
    );
    assert_eq!(e.receipt_time(), Some("2024-05-06 07:08:09"));
    assert_eq!(e.outbound_time(), Some("2024-05-06 07:08:01"));
    assert_eq!(e.event_code(), Some(2));
}

#[test]
fn parses_workererror_keeping_encoded_message_raw() {
    let e = parse_both(&[
        ("event", "workererror"),
        ("smsId", "s1"),
        ("phone", "13800000000"),
        ("statusCode", "440"),
        ("message", "keyword"),
        ("encodeMessage", "5L2g5aW9=="),
    ]);
    assert_eq!(
        e.kind,
        HookEventKind::ProcessingFailed {
            sms_id: "s1".into(),
            phone: Some("13800000000".into()),
            template_id: None,
            status: StatusCode::HookKeywordFiltered,
            message: Some("keyword".into()),
            encoded_message: Some("5L2g5aW9==".into()),
        }
    );
    assert_eq!(e.status(), Some(StatusCode::HookKeywordFiltered));
}

#[test]
fn parses_delivererror_with_numeric_fields() {
    // Event by number, statusCode as a JSON number, smsIds (plural) for one message.
    let body = r#"{"eventType":5,"smsIds":"[\"s2\"]","phones":"[\"13800000000\"]","statusCode":510,
                   "token":"t","timestamp":1700000000000,"signature":"x"}"#;
    let e = HookEvent::parse(JSON, body.as_bytes()).unwrap();
    assert_eq!(
        e.kind,
        HookEventKind::DeliveryFailed {
            sms_id: "s2".into(),
            phone: Some("13800000000".into()),
            template_id: None,
            status: StatusCode::HookNumberOutOfService,
            message: None,
        }
    );
    assert_eq!(e.event_name(), "delivererror");
    assert_eq!(e.timestamp, Timestamp(1_700_000_000_000));
    assert_eq!(e.field("statusCode"), Some("510"));
    // Unknown codes are kept, not refused.
    let odd = body.replace("510", "599");
    assert_eq!(
        HookEvent::parse(JSON, odd.as_bytes()).unwrap().status(),
        Some(StatusCode::Unknown(599))
    );
}

#[test]
fn parses_reply() {
    let e = parse_both(&[
        ("event", "reply"),
        ("phone", "13800000000"),
        ("replyContent", "退订 T"),
        ("replyTime", "2024-05-06 07:08:09"),
    ]);
    assert_eq!(
        e.kind,
        HookEventKind::Reply {
            phone: "13800000000".into(),
            content: "退订 T".into(),
            reply_time: Some("2024-05-06 07:08:09".into()),
            sms_id: None,
        }
    );
    assert!(e.sms_ids().is_empty());
}

#[test]
fn parses_template_verify() {
    for (code, expected) in [
        ("1", TemplateVerifyResult::Approved),
        ("0", TemplateVerifyResult::Pending),
        ("-1", TemplateVerifyResult::Rejected),
        ("7", TemplateVerifyResult::Other(7)),
    ] {
        let e = parse_both(&[
            ("event", "templateVerify"),
            ("templateId", "12"),
            ("verifyResult", code),
        ]);
        assert_eq!(
            e.kind,
            HookEventKind::TemplateVerified {
                template_id: TemplateId::new(12).unwrap(),
                result: expected,
                message: None,
            }
        );
        assert_eq!(expected.code().to_string(), code);
    }
    let by_number = "event=8&templateId=12&result=-1&token=t&timestamp=1&signature=s";
    let e = HookEvent::parse_form(by_number.as_bytes()).unwrap();
    assert_eq!(e.event_name(), "templateVerify");
    let missing = "event=templateVerify&templateId=12&token=t&timestamp=1&signature=s";
    assert_eq!(
        HookEvent::parse_form(missing.as_bytes()),
        Err(HookError::Missing("verifyResult"))
    );
}

#[test]
fn unknown_events_keep_their_fields() {
    let e = parse_both(&[("event", "open"), ("smsId", "s"), ("weird", "1")]);
    assert_eq!(
        e.kind,
        HookEventKind::Unknown {
            event: "open".into()
        }
    );
    assert_eq!(e.event_name(), "open");
    assert_eq!(e.event_code(), None);
    assert_eq!(e.field("weird"), Some("1"));
    assert_eq!(e.field("smsId"), Some("s"));
}

#[test]
fn required_fields_per_event() {
    let base = "token=t&timestamp=1&signature=s";
    let cases = [
        ("event=deliver", HookError::Missing("smsId")),
        (
            "event=delivererror&smsId=x",
            HookError::Missing("statusCode"),
        ),
        (
            "event=workererror&smsId=x",
            HookError::Missing("statusCode"),
        ),
        ("event=reply&replyContent=hi", HookError::Missing("phone")),
        (
            "event=templateVerify&verifyResult=1",
            HookError::Missing("templateId"),
        ),
    ];
    for (fields, expected) in cases {
        let body = format!("{fields}&{base}");
        assert_eq!(
            HookEvent::parse_form(body.as_bytes()),
            Err(expected),
            "{fields}"
        );
    }
    let bad_status = format!("event=delivererror&smsId=x&statusCode=oops&{base}");
    assert!(matches!(
        HookEvent::parse_form(bad_status.as_bytes()),
        Err(HookError::Invalid {
            field: "statusCode",
            ..
        })
    ));
    let bad_tpl = format!("event=deliver&smsId=x&templateId=-4&{base}");
    assert!(matches!(
        HookEvent::parse_form(bad_tpl.as_bytes()),
        Err(HookError::Invalid {
            field: "templateId",
            ..
        })
    ));
    // labelId 0 means "no label".
    let no_label = format!("event=request&smsIds=x&labelId=0&{base}");
    let e = HookEvent::parse_form(no_label.as_bytes()).unwrap();
    assert!(matches!(
        e.kind,
        HookEventKind::Request { label_id: None, .. }
    ));
}

#[test]
fn content_type_detection() {
    let json = r#"  {"event":"deliver","smsId":"s","token":"t","timestamp":1,"signature":"s"}"#;
    // Sniffed from the body even without (or with a wrong) content type.
    assert!(HookEvent::parse(None, json.as_bytes()).is_ok());
    assert!(HookEvent::parse(FORM, json.as_bytes()).is_ok());
    // A form body labelled JSON is refused as malformed JSON.
    let form = "event=deliver&smsId=s&token=t&timestamp=1&signature=s";
    assert!(HookEvent::parse(None, form.as_bytes()).is_ok());
    assert!(matches!(
        HookEvent::parse(Some("application/JSON"), form.as_bytes()),
        Err(HookError::Malformed(_))
    ));
}

// ---------------------------------------------------------------------------------------
// Delivery fold
// ---------------------------------------------------------------------------------------

fn ev(token: &str, ms: u64, fields: &[(&str, &str)]) -> HookEvent {
    let body = HookEvent::signed_form_body(&key("k"), token, Timestamp(ms), fields.iter().copied());
    HookEvent::parse_form(body.as_bytes()).unwrap()
}

#[test]
fn fold_ignores_duplicates() {
    let mut t = DeliveryTracker::new();
    let d = ev(
        "tok-1",
        2_000,
        &[("event", "deliver"), ("smsId", "s1"), ("phone", "138")],
    );
    assert_eq!(t.apply(&d), Applied::Updated);
    assert_eq!(t.apply(&d), Applied::Duplicate);
    // Same smsId, event and timestamp under a new token: still a duplicate.
    let again = ev("tok-2", 2_000, &[("event", "deliver"), ("smsId", "s1")]);
    assert_eq!(t.apply(&again), Applied::Duplicate);
    let s = t.status("s1").unwrap();
    assert_eq!(s.state, DeliveryState::Delivered);
    assert_eq!(s.token, "tok-1");
    assert_eq!(s.phone.as_deref(), Some("138"));
    assert_eq!(t.len(), 1);
}

#[test]
fn fold_out_of_order_older_event_does_not_overwrite() {
    let failed = ev(
        "f",
        3_000,
        &[
            ("event", "delivererror"),
            ("smsId", "s1"),
            ("statusCode", "580"),
        ],
    );
    let delivered = ev("d", 2_000, &[("event", "deliver"), ("smsId", "s1")]);
    let requested = ev(
        "r",
        1_000,
        &[
            ("event", "request"),
            ("smsIds", "s1,s2"),
            ("phones", "1381,1382"),
        ],
    );

    let mut t = DeliveryTracker::new();
    assert_eq!(t.apply(&failed), Applied::Updated);
    assert_eq!(t.apply(&delivered), Applied::Stale);
    // The request is older for s1 but new for s2.
    assert_eq!(t.apply(&requested), Applied::Updated);
    assert_eq!(
        t.status("s1").unwrap().state,
        DeliveryState::DeliveryFailed(Some(StatusCode::HookPoweredOff))
    );
    assert_eq!(t.status("s2").unwrap().state, DeliveryState::Requested);
    assert_eq!(t.status("s2").unwrap().phone.as_deref(), Some("1382"));
    // Replaying the stale one is now a duplicate.
    assert_eq!(t.apply(&delivered), Applied::Duplicate);

    // Every arrival order gives the same result.
    let events = [&requested, &delivered, &failed];
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for order in orders {
        let mut t = DeliveryTracker::new();
        for i in order {
            t.apply(events[i]);
        }
        assert_eq!(
            t.status("s1").unwrap().state,
            DeliveryState::DeliveryFailed(Some(StatusCode::HookPoweredOff)),
            "order {order:?}"
        );
        assert_eq!(t.status("s1").unwrap().timestamp, Timestamp(3_000));
    }
}

#[test]
fn fold_request_never_overrides_a_final_state() {
    let mut t = DeliveryTracker::new();
    let delivered = ev("d", 1_000, &[("event", "deliver"), ("smsId", "s1")]);
    // A late request post, with a later timestamp than the delivery.
    let requested = ev("r", 5_000, &[("event", "request"), ("smsIds", "s1")]);
    assert_eq!(t.apply(&delivered), Applied::Updated);
    assert_eq!(t.apply(&requested), Applied::Stale);
    assert_eq!(t.status("s1").unwrap().state, DeliveryState::Delivered);
    assert!(t.status("s1").unwrap().state.is_final());
}

#[test]
fn fold_ignores_non_delivery_events_and_forgets() {
    let mut t = DeliveryTracker::new();
    let reply = ev(
        "x",
        1,
        &[("event", "reply"), ("phone", "138"), ("smsId", "s")],
    );
    assert_eq!(t.apply(&reply), Applied::Ignored);
    let tpl = ev(
        "y",
        1,
        &[
            ("event", "templateVerify"),
            ("templateId", "1"),
            ("verify", "1"),
        ],
    );
    assert_eq!(t.apply(&tpl), Applied::Ignored);
    assert!(t.is_empty());

    t.apply(&ev("a", 1_000, &[("event", "deliver"), ("smsId", "old")]));
    t.apply(&ev("b", 9_000, &[("event", "deliver"), ("smsId", "new")]));
    t.forget_before(Timestamp(5_000));
    assert!(t.status("old").is_none());
    assert!(t.status("new").is_some());
    assert_eq!(t.remove("new").unwrap().state, DeliveryState::Delivered);
    assert!(t.is_empty());
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

fn token_strategy() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{1,64}"
}

fn field_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    // Distinct names (a map), so every field can be checked after the round trip.
    prop::collection::btree_map("[a-zA-Z]{1,12}", "\\PC{0,24}", 0..6)
        .prop_map(|m| m.into_iter().collect())
}

fn event_strategy() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "deliver",
        "delivererror",
        "workererror",
        "request",
        "2",
        "mystery",
    ])
}

fn with_event(event: &str, extra: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut fields = vec![
        ("event".to_owned(), event.to_owned()),
        ("smsId".to_owned(), "s$1".to_owned()),
        ("statusCode".to_owned(), "500".to_owned()),
    ];
    // Extra fields must not shadow the ones that make the event parse.
    fields.extend(extra.into_iter().filter(|(k, _)| {
        ![
            "event",
            "eventType",
            "smsId",
            "smsIds",
            "statusCode",
            "templateId",
            "labelId",
            "phone",
            "phones",
            "token",
            "timestamp",
            "signature",
        ]
        .contains(&k.as_str())
    }));
    fields
}

proptest! {
    #[test]
    fn signed_events_verify(
        token in token_strategy(),
        ts in 1_000_000u64..4_000_000_000_000,
        skew in -300_000i64..=300_000,
        event in event_strategy(),
        extra in field_strategy(),
        json in any::<bool>(),
    ) {
        let k = key("prop-key");
        let fields = with_event(event, extra);
        let v = HookVerifier::new(vec![key("other"), k.clone()]).unwrap();
        let body = if json {
            HookEvent::signed_json_body(&k, &token, Timestamp(ts), fields.clone())
        } else {
            HookEvent::signed_form_body(&k, &token, Timestamp(ts), fields.clone())
        };
        let now = Timestamp(ts).offset_by(skew);
        let e = v.verify_and_parse(None, body.as_bytes(), now, &mut guard()).unwrap();
        prop_assert_eq!(&e.token, &token);
        prop_assert_eq!(e.timestamp, Timestamp(ts));
        for (name, value) in &fields {
            prop_assert_eq!(e.field(name), Some(value.as_str()));
        }
        v.verify(&e, now, &mut guard()).unwrap();
    }

    #[test]
    fn any_change_to_token_or_timestamp_fails(
        token in token_strategy(),
        other_token in token_strategy(),
        ts in 1_000_000u64..4_000_000_000_000,
        delta in 1u64..300_000,
        later in any::<bool>(),
        event in event_strategy(),
    ) {
        prop_assume!(token != other_token);
        let k = key("prop-key");
        let v = HookVerifier::new(vec![k.clone()]).unwrap();
        let now = Timestamp(ts);
        let fields = with_event(event, vec![]);
        let signed = HookEvent::sign_form(&k, &token, Timestamp(ts), fields);
        let encode = |pairs: &[(String, String)]| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (a, b) in pairs { s.append_pair(a, b); }
            s.finish()
        };
        prop_assert!(v.verify_and_parse(None, encode(&signed).as_bytes(), now, &mut guard()).is_ok());

        let new_ts = if later { ts + delta } else { ts - delta };
        let mut changed_ts = signed.clone();
        let mut changed_token = signed.clone();
        for (name, value) in changed_ts.iter_mut() {
            if name == "timestamp" { *value = new_ts.to_string(); }
        }
        for (name, value) in changed_token.iter_mut() {
            if name == "token" { *value = other_token.clone(); }
        }
        for body in [encode(&changed_ts), encode(&changed_token)] {
            prop_assert_eq!(
                v.verify_and_parse(None, body.as_bytes(), now, &mut guard()),
                Err(HookError::BadSignature)
            );
        }
        // The parsed event, altered after the fact, fails too.
        let mut e = HookEvent::parse(None, encode(&signed).as_bytes()).unwrap();
        e.timestamp = Timestamp(new_ts);
        prop_assert_eq!(v.verify(&e, now, &mut guard()), Err(HookError::BadSignature));
        let mut e = HookEvent::parse(None, encode(&signed).as_bytes()).unwrap();
        e.token = other_token.clone();
        prop_assert_eq!(v.verify(&e, now, &mut guard()), Err(HookError::BadSignature));
    }

    #[test]
    fn arbitrary_input_never_panics(
        body in prop::collection::vec(any::<u8>(), 0..512),
        ct in prop::option::of(prop::sample::select(vec!["application/json", "application/x-www-form-urlencoded", "text/plain"])),
    ) {
        let v = verifier();
        let _ = HookEvent::parse(ct, &body);
        let _ = v.verify_and_parse(ct, &body, Timestamp(KAT_TS), &mut guard());
        let mut t = DeliveryTracker::new();
        if let Ok(e) = HookEvent::parse(ct, &body) {
            t.apply(&e);
        }
    }

    #[test]
    fn arbitrary_json_fields_never_panic(
        fields in prop::collection::btree_map(
            prop::sample::select(vec![
                "event", "eventType", "smsId", "smsIds", "phones", "phone", "statusCode",
                "templateId", "labelId", "verifyResult", "timestamp", "token", "signature",
                "msgCount", "msgType",
            ]),
            prop_oneof![
                "\\PC{0,16}".prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
                any::<f64>().prop_map(serde_json::Value::from),
                Just(serde_json::Value::Null),
                prop::collection::vec("[0-9a-z$\\[\\]\",]{0,8}", 0..4).prop_map(serde_json::Value::from),
            ],
            0..12,
        ),
    ) {
        let obj: serde_json::Map<String, serde_json::Value> =
            fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let body = serde_json::Value::Object(obj).to_string();
        if let Ok(e) = HookEvent::parse_json(body.as_bytes()) {
            let _ = (e.sms_ids(), e.event_name(), e.msg_count(), e.msg_type(), e.status());
            let mut t = DeliveryTracker::new();
            t.apply(&e);
            t.apply(&e);
        }
        let map: BTreeMap<String, String> = BTreeMap::new();
        prop_assert!(HookEvent::from_fields(map).is_err());
    }
}
