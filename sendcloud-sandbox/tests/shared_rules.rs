//! The rules the client core and the sandbox share (issue #15): phone numbers, links in
//! variable values and the `tag`. For each value, the sandbox accepts it exactly when the
//! core does; values the core refuses are sent raw, signed here.

use sendcloud_proto::*;
use sendcloud_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

const NOW: Timestamp = Timestamp(1_700_000_000_000);
const USER: &str = "sandbox-user";
const KEY: &str = "sandbox-key";

fn client() -> Client {
    Client::new(Credentials::new(USER, KEY).unwrap())
        .with_base_url("http://sandbox.test/smsapi")
        .unwrap()
}

/// A signed POST of exactly `params` (plus smsUser), as a client that checks nothing
/// would send it.
fn raw(sb: &mut Sandbox, path: &str, params: &[(&str, &str)]) -> (i64, String, Value) {
    let mut all: Vec<(&str, &str)> = params.to_vec();
    all.push(("smsUser", USER));
    let sig = sign(
        SignatureAlgorithm::Md5,
        &Secret::new(KEY),
        all.iter().copied(),
    );
    all.push(("signature", &sig));
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(all.iter().copied())
        .finish();
    let request = http::Request::post(format!("http://sandbox.test/smsapi/{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.into_bytes())
        .unwrap();
    let v: Value = serde_json::from_slice(sb.handle(&request, NOW).body()).unwrap();
    (
        v["statusCode"].as_i64().unwrap(),
        v["message"].as_str().unwrap().to_owned(),
        v["info"].clone(),
    )
}

/// Numbers as sent (digits only): the core's `Phone::parse` and `Phone::from_wire` and
/// the sandbox take the same ones.
const WIRE_NUMBERS: &[(&str, bool)] = &[
    ("13800000000", true),
    ("19912345678", true),
    ("12345", false),
    ("1312222", false),
    ("1380000000", false),
    ("138000000000", false),
    ("23800000000", false),
    ("03800000000", false),
    ("0", false),
    ("00", false),
    ("001", false),
    ("0012345", false),
    ("00123456", true),
    ("008613800000000", true),
    ("0014155550100", true),
    ("00123456789012345678", true),
    ("001234567890123456789", false),
    ("0008613800000000", false),
];

#[test]
fn the_sandbox_takes_the_numbers_the_core_takes() {
    let mut sb = Sandbox::new(SandboxConfig::default());
    for &(number, valid) in WIRE_NUMBERS {
        assert_eq!(
            Phone::parse(number).is_ok(),
            valid,
            "Phone::parse({number})"
        );
        assert_eq!(
            Phone::from_wire(number).is_ok(),
            valid,
            "Phone::from_wire({number})"
        );
        let msg_type = if number.starts_with("00") { "2" } else { "0" };
        let (code, message, _) = raw(
            &mut sb,
            "send",
            &[
                ("templateId", "1"),
                ("phone", number),
                ("msgType", msg_type),
                ("vars", r#"{"code":"1234"}"#),
            ],
        );
        assert_eq!(code, if valid { 200 } else { 412 }, "{number}: {message}");
        if !valid {
            // The sandbox's refusal states the core's rule.
            let rule = Phone::from_wire(number).unwrap_err().rule;
            assert_eq!(message, format!("手机号格式错误 ({rule})"));
        }
    }
}

#[test]
fn what_the_core_sends_for_a_number_the_sandbox_takes() {
    let mut sb = Sandbox::new(SandboxConfig::default());
    for written in [
        "+86 138-0000-0001",
        " 138 0000 0002 ",
        "+1 415 555 0100",
        "+852 1234 5678",
    ] {
        let phone = Phone::parse(written).unwrap();
        assert_eq!(Phone::from_wire(phone.as_str()).unwrap(), phone);
        let send = SendTemplate::new(TemplateId::new(1).unwrap(), Recipients::one(phone))
            .with_vars(Vars::from_pairs([("code", "1234")]).unwrap());
        let response = sb.handle(&client().prepare(&send, NOW).unwrap(), NOW);
        assert_eq!(
            client()
                .parse::<SendTemplate, _>(&response)
                .unwrap()
                .success_count,
            1
        );
    }
    // Both refuse a number written with + where digits are due; the sandbox sees `+` only
    // from a client that does not turn it into 00.
    assert!(Phone::from_wire("+8613800000000").is_err());
    let (code, _, _) = raw(
        &mut sb,
        "send",
        &[
            ("templateId", "1"),
            ("phone", "+8613800000000"),
            ("msgType", "2"),
        ],
    );
    assert_eq!(code, 412);
}

#[test]
fn a_list_with_an_invalid_number_is_refused_by_the_core_and_311_in_the_sandbox() {
    let list = "13800000000,12345,13800000001";
    // The core refuses the list and names the number...
    let e = Recipients::parse(list).unwrap_err();
    assert!(e.rule.starts_with(r#"recipient 2: "12345""#), "{e}");
    // ...and parse_each splits it, the invalid number with its reason.
    let (good, bad): (Vec<_>, Vec<_>) = Recipients::parse_each(list).partition(|(_, p)| p.is_ok());
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].0, "12345");
    let good: Vec<Phone> = good.into_iter().map(|(_, p)| p.unwrap()).collect();
    // The sandbox refuses the same number in a partial success.
    let mut sb = Sandbox::new(SandboxConfig::default());
    let (code, _, info) = raw(
        &mut sb,
        "send",
        &[
            ("templateId", "1"),
            ("phone", list),
            ("vars", r#"{"code":"1234"}"#),
        ],
    );
    assert_eq!(code, 311);
    assert_eq!(info["items"][0]["phone"], "12345");
    assert_eq!(info["successCount"], good.len());
    // The valid numbers alone go through the client to a full success.
    let send = SendTemplate::new(TemplateId::new(1).unwrap(), Recipients::new(good).unwrap())
        .with_vars(Vars::from_pairs([("code", "1234")]).unwrap());
    let response = sb.handle(&client().prepare(&send, NOW).unwrap(), NOW);
    assert_eq!(
        client()
            .parse::<SendTemplate, _>(&response)
            .unwrap()
            .success_count,
        2
    );
}

#[test]
fn voice_and_code_numbers_follow_the_same_rule() {
    let mut sb = Sandbox::new(SandboxConfig::default());
    for (number, code) in [("12345", 412), ("13800000009", 200)] {
        assert_eq!(Phone::parse(number).is_ok(), code == 200);
        let (got, _, _) = raw(&mut sb, "sendVoice", &[("phone", number), ("code", "1234")]);
        assert_eq!(got, code, "sendVoice {number}");
        let (got, _, _) = raw(
            &mut sb,
            "sendCode",
            &[("phone", number), ("code", "1234"), ("signId", "1")],
        );
        assert_eq!(got, code, "sendCode {number}");
    }
}

/// Variable values: (value, has a link).
const VALUES: &[(&str, bool)] = &[
    ("see http://x.io", true),
    ("HTTPS://X.IO", true),
    ("www.example.com", true),
    ("见www.x.cn", true),
    ("t.cn/A6", true),
    ("bit.ly/x", true),
    ("example.com/a", true),
    ("x.example.com:8080/a", true),
    ("awww.b", false),
    ("v1.2", false),
    ("a.m.", false),
    ("3.5/5", false),
    ("km/h", false),
    ("example.com", false),
    ("1234", false),
];

#[test]
fn the_sandbox_refuses_the_var_values_the_core_refuses() {
    let mut sb = Sandbox::new(SandboxConfig::default());
    for (i, &(value, link)) in VALUES.iter().enumerate() {
        let core = Vars::new().insert("code", value).map(|_| ());
        assert_eq!(core.is_err(), link, "core: {value:?}");
        let vars = json!({ "code": value }).to_string();
        let phone = format!("1380000{i:04}");
        let (code, message, _) = raw(
            &mut sb,
            "send",
            &[("templateId", "1"), ("phone", &phone), ("vars", &vars)],
        );
        assert_eq!(
            code,
            if link { 441 } else { 200 },
            "sandbox: {value:?}: {message}"
        );
        if let Err(e) = core {
            assert!(message.contains(e.rule.as_ref()), "{message}");
        }
    }
}

/// Tags as sent: (text, valid).
fn tags() -> Vec<(String, bool)> {
    let fill = |n: usize| format!(r#"{{"k":"{}"}}"#, "x".repeat(n - 8));
    vec![
        (r#"{"order":"42"}"#.into(), true),
        ("{}".into(), true),
        (r#"{"a":{"b":[1,2]}}"#.into(), true),
        (fill(128), true),
        (fill(129), false),
        (format!(r#"{{"k":"{}"}}"#, "码".repeat(120)), true), // 128 characters, more bytes
        ("[1,2]".into(), false),
        (r#""order 42""#.into(), false),
        ("42".into(), false),
        ("null".into(), false),
        ("true".into(), false),
        ("{oops".into(), false),
        ("order=42".into(), false),
    ]
}

#[test]
fn the_sandbox_takes_the_tags_the_core_takes() {
    let mut sb = Sandbox::new(SandboxConfig::default());
    for (i, (tag, valid)) in tags().into_iter().enumerate() {
        assert_eq!(Tag::parse(&tag).is_ok(), valid, "Tag::parse({tag})");
        assert_eq!(Tag::from_wire(&tag).is_ok(), valid, "Tag::from_wire({tag})");
        let want = if valid { 200 } else { 482 };
        let phone = format!("1390000{i:04}");
        let (code, message, _) = raw(
            &mut sb,
            "send",
            &[
                ("templateId", "1"),
                ("phone", &phone),
                ("vars", r#"{"code":"1234"}"#),
                ("tag", &tag),
            ],
        );
        assert_eq!(code, want, "send, tag {tag}: {message}");
        if !valid {
            assert!(message.contains("tag must be a JSON object"), "{message}");
        }
        let (code, _, _) = raw(
            &mut sb,
            "sendVoice",
            &[("phone", &phone), ("code", "1234"), ("tag", &tag)],
        );
        assert_eq!(code, want, "sendVoice, tag {tag}");
        let (code, _, _) = raw(
            &mut sb,
            "sendCode",
            &[
                ("phone", &phone),
                ("code", "1234"),
                ("signId", "1"),
                ("tag", &tag),
            ],
        );
        assert_eq!(code, want, "sendCode, tag {tag}");
    }
    // A refused tag sends nothing; the accepted ones are kept with their messages.
    let kept: Vec<&str> = sb
        .outbox()
        .iter()
        .filter_map(|m| m.tag.as_deref())
        .collect();
    assert_eq!(kept.len(), 3 * tags().iter().filter(|(_, v)| *v).count());
}

#[test]
fn a_tag_is_counted_as_sent() {
    // Spaces that the core drops count on the wire: the core sends the compact text,
    // which the sandbox takes; the padded text itself is too long there.
    let padded = format!(r#"{{ "k" : "{}" }}"#, "x".repeat(118));
    assert!(padded.chars().count() > MAX_TAG_CHARS);
    let tag = Tag::parse(&padded).unwrap();
    assert!(Tag::from_wire(tag.as_str()).is_ok());
    assert!(Tag::from_wire(&padded).is_err());
    let mut sb = Sandbox::new(SandboxConfig::default());
    let send = SendTemplate::new(
        TemplateId::new(1).unwrap(),
        Recipients::parse("13800000000").unwrap(),
    )
    .with_vars(Vars::from_pairs([("code", "1234")]).unwrap())
    .with_tag(tag.clone());
    let response = sb.handle(&client().prepare(&send, NOW).unwrap(), NOW);
    assert_eq!(
        client()
            .parse::<SendTemplate, _>(&response)
            .unwrap()
            .success_count,
        1
    );
    assert_eq!(sb.outbox()[0].tag.as_deref(), Some(tag.as_str()));
}
