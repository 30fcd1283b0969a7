//! The sandbox answers like SendCloud: one test per rule, against requests built by the
//! crate's `Client` and, for signatures, by a plain reference signer written here.

use md5::{Digest, Md5};
use sendcloud_proto::hook::hook_signature;
use sendcloud_proto::*;
use sendcloud_sandbox::{
    Account, DeliveryOutcome, MessageKind, Sandbox, SandboxConfig, TemplateKind,
};
use serde_json::Value;
use sha2::Sha256;

const NOW: Timestamp = Timestamp(1_700_000_000_000);
const USER: &str = "sandbox-user";
const KEY: &str = "sandbox-key";

fn client() -> Client {
    Client::new(Credentials::new(USER, KEY).unwrap())
        .with_base_url("http://sandbox.test/smsapi")
        .unwrap()
}

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig::default())
}

/// The decoded answer: (result, statusCode, message, info).
fn answer(resp: &http::Response<Vec<u8>>) -> (bool, i64, String, Value) {
    assert_eq!(
        resp.status(),
        200,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    let v: Value = serde_json::from_slice(resp.body()).expect("a JSON answer");
    (
        v["result"].as_bool().expect("result"),
        v["statusCode"].as_i64().expect("statusCode"),
        v["message"].as_str().expect("message").to_owned(),
        v["info"].clone(),
    )
}

fn code_of(resp: &http::Response<Vec<u8>>) -> i64 {
    answer(resp).1
}

fn vars(pairs: &[(&str, &str)]) -> Vars {
    Vars::from_pairs(pairs.iter().copied()).unwrap()
}

fn template_send(template: u64, phones: &str) -> SendTemplate {
    SendTemplate::new(
        TemplateId::new(template).unwrap(),
        Recipients::parse(phones).unwrap(),
    )
}

fn code_send(phone: &str) -> SendTemplate {
    template_send(1, phone).with_vars(vars(&[("code", "123456")]))
}

fn run<E: Endpoint>(sb: &mut Sandbox, e: &E, now: Timestamp) -> http::Response<Vec<u8>> {
    sb.handle(&client().prepare(e, now).unwrap(), now)
}

// ---- a reference signer and raw requests, independent of the crate -----------------------

#[derive(Clone, Copy)]
enum Alg {
    Md5,
    Sha256,
}

/// `hex(HASH(KEY&k1=v1&...&KEY))` over the parameters sorted by name.
fn reference_signature(key: &str, params: &[(&str, &str)], alg: Alg) -> String {
    let mut sorted: Vec<(&str, &str)> = params.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut s = String::from(key);
    for (k, v) in sorted {
        s.push('&');
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    s.push('&');
    s.push_str(key);
    match alg {
        Alg::Md5 => hex::encode(Md5::digest(s.as_bytes())),
        Alg::Sha256 => hex::encode(Sha256::digest(s.as_bytes())),
    }
}

/// A POST of exactly `params`, form-encoded.
fn raw_post(path: &str, params: &[(&str, &str)]) -> http::Request<Vec<u8>> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().copied())
        .finish();
    http::Request::post(format!("http://sandbox.test{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.into_bytes())
        .unwrap()
}

/// A POST of `params` plus smsUser and a reference signature under `key`.
fn signed_post(path: &str, params: &[(&str, &str)], key: &str, alg: Alg) -> http::Request<Vec<u8>> {
    let mut all: Vec<(&str, &str)> = params.to_vec();
    all.push(("smsUser", USER));
    let sig = reference_signature(key, &all, alg);
    all.push(("signature", &sig));
    raw_post(path, &all)
}

fn raw_send(sb: &mut Sandbox, params: &[(&str, &str)]) -> http::Response<Vec<u8>> {
    sb.handle(&signed_post("/smsapi/send", params, KEY, Alg::Md5), NOW)
}

#[test]
fn the_reference_signer_matches_the_known_answers() {
    let params = [
        ("smsUser", "testuser"),
        ("templateId", "1"),
        ("phone", "18888888888"),
        ("vars", "{}"),
    ];
    let key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    assert_eq!(
        reference_signature(key, &params, Alg::Md5),
        "31eda13789be63afca40a32e37880d6d"
    );
    assert_eq!(
        reference_signature(key, &params, Alg::Sha256),
        "473959199cbb4bcac74310296ba880b1394ff73fd0953f3661c5d5eb999d43d3"
    );
}

// ---- paths and methods --------------------------------------------------------------------

#[test]
fn timestamp_get_returns_now() {
    let mut sb = sandbox();
    let resp = run(&mut sb, &GetServerTime, NOW);
    let (result, code, _, info) = answer(&resp);
    assert!(result);
    assert_eq!(code, 200);
    assert_eq!(info["timestamp"].as_u64(), Some(NOW.as_millis()));
    let parsed = client().parse::<GetServerTime, _>(&resp).unwrap();
    assert_eq!(parsed.0, NOW);
    // Without the /smsapi prefix too.
    let req = http::Request::get("http://x/timestamp/get")
        .body(Vec::new())
        .unwrap();
    assert_eq!(code_of(&sb.handle(&req, Timestamp(5))), 200);
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405() {
    let mut sb = sandbox();
    let req = http::Request::get("http://x/smsapi/nope")
        .body(Vec::new())
        .unwrap();
    assert_eq!(sb.handle(&req, NOW).status(), 404);
    let req = http::Request::get("http://x/smsapi/send")
        .body(Vec::new())
        .unwrap();
    let resp = sb.handle(&req, NOW);
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    let req = http::Request::post("http://x/smsapi/timestamp/get")
        .body(Vec::new())
        .unwrap();
    assert_eq!(sb.handle(&req, NOW).status(), 405);
    assert!(sb.outbox().is_empty());
}

// ---- success ------------------------------------------------------------------------------

#[test]
fn a_template_send_is_accepted_and_rendered() {
    let mut sb = sandbox();
    let send = template_send(2, "13800000001,13800000002")
        .with_vars(vars(&[("name", "Lucy"), ("order", "A-42")]))
        .with_tag(Tag::parse(r#"{"k":"v"}"#).unwrap());
    let resp = run(&mut sb, &send, NOW);
    let (result, code, message, info) = answer(&resp);
    assert!(result);
    assert_eq!((code, message.as_str()), (200, "请求成功"));
    assert_eq!(info["successCount"], 2);
    let receipt = client().parse::<SendTemplate, _>(&resp).unwrap();
    assert_eq!(receipt.sms_ids.len(), 2);
    assert!(receipt.sms_ids[0].starts_with("1700000000000_1_1_2_"));
    assert!(receipt.sms_ids[0].ends_with("$13800000001"));

    let out = sb.outbox();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].phone, "13800000001");
    assert_eq!(
        out[0].text,
        "【Sandbox】Hello Lucy, your order A-42 has shipped."
    );
    assert_eq!(out[0].template_id, Some(2));
    assert_eq!(out[0].kind, MessageKind::Sms);
    assert_eq!(out[0].sms_user, USER);
    assert_eq!(out[0].accepted_at, NOW);
    assert_eq!(out[0].tag.as_deref(), Some(r#"{"k":"v"}"#));
    assert_eq!(out[0].sms_id, receipt.sms_ids[0]);
    assert_eq!(out[0].outcome, DeliveryOutcome::Delivered);
}

#[test]
fn params_in_the_query_string_are_accepted() {
    let mut sb = sandbox();
    let signed = client().prepare(&code_send("13800000000"), NOW).unwrap();
    let query = String::from_utf8(signed.body().clone()).unwrap();
    let req = http::Request::post(format!("http://sandbox.test/smsapi/send?{query}"))
        .body(Vec::new())
        .unwrap();
    assert_eq!(code_of(&sb.handle(&req, NOW)), 200);
}

#[test]
fn ids_are_deterministic() {
    let go = || {
        let mut sb = sandbox();
        let a = run(&mut sb, &code_send("13800000000"), NOW);
        let b = run(&mut sb, &code_send("13800000001"), NOW);
        let ids: Vec<String> = sb.outbox().iter().map(|m| m.sms_id.clone()).collect();
        let tokens: Vec<String> = sb
            .take_hook_events()
            .iter()
            .map(|e| e.get("token").unwrap().to_owned())
            .collect();
        (a.into_body(), b.into_body(), ids, tokens)
    };
    let first = go();
    assert_eq!(first, go());
    assert_ne!(first.2[0], first.2[1]);
    assert_ne!(first.3[0], first.3[1]);
}

// ---- account and signature ----------------------------------------------------------------

#[test]
fn sms_user_missing_is_472() {
    let mut sb = sandbox();
    let params = [("templateId", "1"), ("phone", "13800000000")];
    let sig = reference_signature(KEY, &params, Alg::Md5);
    let req = raw_post(
        "/smsapi/send",
        &[
            ("templateId", "1"),
            ("phone", "13800000000"),
            ("signature", &sig),
        ],
    );
    let (result, code, _, _) = answer(&sb.handle(&req, NOW));
    assert!(!result);
    assert_eq!(code, 472);
}

#[test]
fn sms_user_unknown_is_471() {
    let mut sb = sandbox();
    let other = Client::new(Credentials::new("somebody", KEY).unwrap());
    let resp = sb.handle(&other.prepare(&code_send("13800000000"), NOW).unwrap(), NOW);
    assert_eq!(code_of(&resp), 471);
    let err = other.parse::<SendTemplate, _>(&resp).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SmsUserNotFound));
}

#[test]
fn signature_missing_is_421() {
    let mut sb = sandbox();
    let req = raw_post(
        "/smsapi/send",
        &[
            ("smsUser", USER),
            ("templateId", "1"),
            ("phone", "13800000000"),
        ],
    );
    assert_eq!(code_of(&sb.handle(&req, NOW)), 421);
    // A signature that is not 32 or 64 hex digits is a bad parameter too.
    let req = raw_post(
        "/smsapi/send",
        &[
            ("smsUser", USER),
            ("phone", "13800000000"),
            ("signature", "xyz"),
        ],
    );
    assert_eq!(code_of(&sb.handle(&req, NOW)), 421);
    assert!(sb.outbox().is_empty());
}

#[test]
fn signature_wrong_is_422() {
    let mut sb = sandbox();
    let params = [
        ("templateId", "1"),
        ("phone", "13800000000"),
        ("vars", r#"{"code":"1234"}"#),
    ];
    for alg in [Alg::Md5, Alg::Sha256] {
        let req = signed_post("/smsapi/send", &params, "not-the-key", alg);
        let (result, code, message, _) = answer(&sb.handle(&req, NOW));
        assert!(!result);
        assert_eq!(code, 422);
        // The message shows what should have been signed, never the key.
        assert!(
            message.contains("***&phone=13800000000&smsUser=sandbox-user"),
            "{message}"
        );
        assert!(!message.contains(KEY));
    }
    // The crate's client with a wrong key is refused the same way.
    let wrong = Client::new(Credentials::new(USER, "wrong").unwrap());
    let resp = sb.handle(&wrong.prepare(&code_send("13800000000"), NOW).unwrap(), NOW);
    assert_eq!(code_of(&resp), 422);
    // A parameter changed after signing breaks the signature.
    let mut req = client().prepare(&code_send("13800000000"), NOW).unwrap();
    let body = String::from_utf8(req.body().clone()).unwrap();
    *req.body_mut() = body.replace("13800000000", "13800000001").into_bytes();
    assert_eq!(code_of(&sb.handle(&req, NOW)), 422);
    assert!(sb.outbox().is_empty());
}

#[test]
fn md5_signatures_are_accepted() {
    let mut sb = sandbox();
    let params = [
        ("templateId", "1"),
        ("phone", "13800000000"),
        ("vars", r#"{"%code%":"1234"}"#),
        ("timestamp", "1700000000000"),
    ];
    let req = signed_post("/smsapi/send", &params, KEY, Alg::Md5);
    assert_eq!(code_of(&sb.handle(&req, NOW)), 200);
    // Uppercase hex is accepted too (the docs say case does not matter).
    let mut all = params.to_vec();
    all.push(("smsUser", USER));
    all[1] = ("phone", "13800000001");
    let sig = reference_signature(KEY, &all, Alg::Md5).to_uppercase();
    all.push(("signature", &sig));
    assert_eq!(code_of(&sb.handle(&raw_post("/send", &all), NOW)), 200);
    assert_eq!(sb.outbox()[0].text, "【Sandbox】Your code is 1234.");
}

#[test]
fn sha256_signatures_are_accepted() {
    let mut sb = sandbox();
    let params = [
        ("templateId", "1"),
        ("phone", "13800000000"),
        ("vars", r#"{"code":"9876"}"#),
    ];
    let req = signed_post("/smsapi/send", &params, KEY, Alg::Sha256);
    assert_eq!(code_of(&sb.handle(&req, NOW)), 200);
    let sha = client().with_algorithm(SignatureAlgorithm::Sha256);
    let req = sha.prepare(&code_send("13800000001"), NOW).unwrap();
    assert_eq!(code_of(&sb.handle(&req, NOW)), 200);
    assert_eq!(sb.outbox().len(), 2);
}

// ---- timestamp ----------------------------------------------------------------------------

#[test]
fn timestamp_outside_the_window_is_461() {
    let mut sb = sandbox();
    let late = NOW.offset_by(-60_001);
    let resp = sb.handle(
        &client().prepare(&code_send("13800000000"), late).unwrap(),
        NOW,
    );
    assert_eq!(code_of(&resp), 461);
    let early = NOW.offset_by(60_001);
    let resp = sb.handle(
        &client().prepare(&code_send("13800000000"), early).unwrap(),
        NOW,
    );
    assert_eq!(code_of(&resp), 461);
    let err = client().parse::<SendTemplate, _>(&resp).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::InvalidTimestamp));
    // Seconds instead of milliseconds are far off, and the message says why.
    let req = signed_post(
        "/send",
        &[
            ("templateId", "1"),
            ("phone", "13800000000"),
            ("timestamp", "1700000000"),
        ],
        KEY,
        Alg::Md5,
    );
    let (_, code, message, _) = answer(&sb.handle(&req, NOW));
    assert_eq!(code, 461);
    assert!(message.contains("milliseconds"), "{message}");
    assert!(sb.outbox().is_empty());

    // At the edge of the window, and with no timestamp at all, the request passes.
    let edge = NOW.offset_by(-60_000);
    let resp = sb.handle(
        &client().prepare(&code_send("13800000000"), edge).unwrap(),
        NOW,
    );
    assert_eq!(code_of(&resp), 200);
    let req = signed_post(
        "/send",
        &[
            ("templateId", "1"),
            ("phone", "13800000001"),
            ("vars", r#"{"code":"1"}"#),
        ],
        KEY,
        Alg::Md5,
    );
    assert_eq!(code_of(&sb.handle(&req, NOW)), 200);
}

// ---- phones -------------------------------------------------------------------------------

#[test]
fn phone_missing_is_411() {
    let mut sb = sandbox();
    assert_eq!(code_of(&raw_send(&mut sb, &[("templateId", "1")])), 411);
    assert_eq!(
        code_of(&raw_send(&mut sb, &[("templateId", "1"), ("phone", "")])),
        411
    );
}

#[test]
fn phone_malformed_is_412() {
    let mut sb = sandbox();
    for bad in ["1312222", "+8613800000000", "138000000OO", "23800000000"] {
        let (result, code, message, _) =
            answer(&raw_send(&mut sb, &[("templateId", "1"), ("phone", bad)]));
        assert!(!result);
        assert_eq!(code, 412, "{bad}");
        assert!(message.starts_with("手机号格式错误"), "{message}");
    }
    assert!(sb.outbox().is_empty());
}

#[test]
fn phone_duplicated_is_413() {
    let mut sb = sandbox();
    let resp = raw_send(
        &mut sb,
        &[
            ("templateId", "1"),
            ("phone", "13800000000,13800000001,13800000000"),
        ],
    );
    assert_eq!(code_of(&resp), 413);
    assert!(sb.outbox().is_empty());
}

#[test]
fn more_than_2000_phones_is_412() {
    let mut sb = sandbox();
    let phones: Vec<String> = (0..2001).map(|i| format!("138{i:08}")).collect();
    let joined = phones.join(",");
    let (_, code, message, _) = answer(&raw_send(
        &mut sb,
        &[("templateId", "1"), ("phone", &joined)],
    ));
    assert_eq!(code, 412);
    assert!(message.contains("too many"), "{message}");
    // 2,000 is fine.
    let joined = phones[..2000].join(",");
    let (_, code, _, info) = answer(&raw_send(
        &mut sb,
        &[
            ("templateId", "1"),
            ("phone", &joined),
            ("vars", r#"{"code":"1"}"#),
        ],
    ));
    assert_eq!(code, 200);
    assert_eq!(info["successCount"], 2000);
    assert_eq!(sb.outbox().len(), 2000);
}

#[test]
fn international_numbers_need_00_and_msg_type_2() {
    let mut sb = sandbox();
    // The client turns + into 00 and picks msgType 2.
    let send = code_send("+8613800000000");
    assert_eq!(code_of(&run(&mut sb, &send, NOW)), 200);
    assert_eq!(sb.outbox()[0].phone, "008613800000000");
    assert_eq!(sb.outbox()[0].msg_type, 2);
    let base = [("templateId", "1"), ("vars", r#"{"code":"1"}"#)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        v
    };
    // 00 without msgType 2, + with msgType 2, msgType 2 with a domestic number: 412.
    for extra in [
        [("phone", "008613800000001"), ("msgType", "0")],
        [("phone", "+8613800000001"), ("msgType", "2")],
        [("phone", "13800000001"), ("msgType", "2")],
    ] {
        assert_eq!(code_of(&raw_send(&mut sb, &with(&extra))), 412);
    }
    assert_eq!(sb.outbox().len(), 1);
}

// ---- templates ----------------------------------------------------------------------------

#[test]
fn template_id_missing_is_433() {
    let mut sb = sandbox();
    assert_eq!(
        code_of(&raw_send(&mut sb, &[("phone", "13800000000")])),
        433
    );
}

#[test]
fn template_unknown_is_431() {
    let mut sb = sandbox();
    assert_eq!(
        code_of(&run(&mut sb, &template_send(999, "13800000000"), NOW)),
        431
    );
    let resp = raw_send(&mut sb, &[("templateId", "abc"), ("phone", "13800000000")]);
    assert_eq!(code_of(&resp), 431);
}

#[test]
fn template_not_approved_is_432_until_approved() {
    let mut sb = sandbox();
    let send = template_send(4, "13800000000");
    assert_eq!(code_of(&run(&mut sb, &send, NOW)), 432);
    assert!(sb.approve_template(4));
    assert!(!sb.approve_template(404));
    assert_eq!(code_of(&run(&mut sb, &send, NOW)), 200);
}

#[test]
fn mms_templates_need_msg_type_1() {
    let mut sb = sandbox();
    let mms = template_send(3, "13800000000")
        .with_vars(vars(&[("name", "Ann")]))
        .with_msg_type(MsgType::Mms)
        .unwrap();
    assert_eq!(code_of(&run(&mut sb, &mms, NOW)), 200);
    assert_eq!(sb.outbox()[0].kind, MessageKind::Mms);
    // An MMS template sent as an SMS, or an SMS template as an MMS: no such template.
    let as_sms = template_send(3, "13800000001").with_vars(vars(&[("name", "Ann")]));
    assert_eq!(code_of(&run(&mut sb, &as_sms, NOW)), 431);
    let as_mms = code_send("13800000001")
        .with_msg_type(MsgType::Mms)
        .unwrap();
    assert_eq!(code_of(&run(&mut sb, &as_mms, NOW)), 431);
}

// ---- vars ---------------------------------------------------------------------------------

#[test]
fn vars_that_are_not_an_object_are_441() {
    let mut sb = sandbox();
    for bad in [
        "[]",
        "not json",
        r#""text""#,
        r#"{"code":[1]}"#,
        r#"{"bad name":"1"}"#,
    ] {
        let resp = raw_send(
            &mut sb,
            &[("templateId", "1"), ("phone", "13800000000"), ("vars", bad)],
        );
        assert_eq!(code_of(&resp), 441, "{bad}");
    }
    let link = r#"{"code":"see http://x.io"}"#;
    let resp = raw_send(
        &mut sb,
        &[
            ("templateId", "1"),
            ("phone", "13800000000"),
            ("vars", link),
        ],
    );
    assert_eq!(code_of(&resp), 441);
    // `{}` and numbers are fine.
    let resp = raw_send(
        &mut sb,
        &[
            ("templateId", "1"),
            ("phone", "13800000000"),
            ("vars", r#"{"code":1234}"#),
        ],
    );
    assert_eq!(code_of(&resp), 200);
    assert_eq!(sb.outbox()[0].text, "【Sandbox】Your code is 1234.");
}

#[test]
fn a_var_over_32_characters_is_483() {
    let mut sb = sandbox();
    let long = format!(r#"{{"code":"{}"}}"#, "x".repeat(33));
    let resp = raw_send(
        &mut sb,
        &[
            ("templateId", "1"),
            ("phone", "13800000000"),
            ("vars", &long),
        ],
    );
    assert_eq!(code_of(&resp), 483);
    // 32 characters (of any script) pass.
    let ok = format!(r#"{{"code":"{}"}}"#, "码".repeat(32));
    let resp = raw_send(
        &mut sb,
        &[("templateId", "1"), ("phone", "13800000000"), ("vars", &ok)],
    );
    assert_eq!(code_of(&resp), 200);
}

// ---- partial success ----------------------------------------------------------------------

#[test]
fn some_numbers_refused_is_311() {
    let mut sb = sandbox();
    let resp = raw_send(
        &mut sb,
        &[
            ("templateId", "1"),
            ("phone", "13800000000,1312222,13800000001"),
            ("vars", r#"{"code":"1234"}"#),
        ],
    );
    let (result, code, message, info) = answer(&resp);
    assert!(result);
    assert_eq!((code, message.as_str()), (311, "部分成功"));
    assert_eq!(info["successCount"], 2);
    assert_eq!(info["failedCount"], 1);
    assert_eq!(info["smsIds"].as_array().unwrap().len(), 2);
    let item = &info["items"][0];
    assert_eq!(item["phone"], "1312222");
    assert_eq!(item["vars"]["code"], "1234");
    assert!(item["message"]
        .as_str()
        .unwrap()
        .starts_with("手机号格式错误"));
    // The client reads it as a success with the refused number listed.
    let receipt = client().parse::<SendTemplate, _>(&resp).unwrap();
    assert!(receipt.is_partial());
    assert_eq!(receipt.rejected[0].phone, "1312222");
    let phones: Vec<&str> = sb.outbox().iter().map(|m| m.phone.as_str()).collect();
    assert_eq!(phones, ["13800000000", "13800000001"]);
}

#[test]
fn every_number_refused_is_312() {
    let mut sb = sandbox();
    let resp = raw_send(
        &mut sb,
        &[("templateId", "1"), ("phone", "1312222,+8613800000000")],
    );
    let (result, code, _, info) = answer(&resp);
    assert!(!result);
    assert_eq!(code, 312);
    assert_eq!(info["failedCount"], 2);
    assert_eq!(info["items"].as_array().unwrap().len(), 2);
    let err = client().parse::<SendTemplate, _>(&resp).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::AllFailed));
    assert!(sb.outbox().is_empty());
}

// ---- dedupe, rate limits, balance ---------------------------------------------------------

#[test]
fn a_repeated_send_request_id_is_400_within_the_hour() {
    let mut sb = sandbox();
    let id = SendRequestId::new("order-42").unwrap();
    let send = code_send("13800000000").with_request_id(id);
    assert_eq!(code_of(&run(&mut sb, &send, NOW)), 200);
    let (result, code, _, _) = answer(&run(&mut sb, &send, NOW.offset_by(1_000)));
    assert!(!result);
    assert_eq!(code, 400);
    assert_eq!(sb.outbox().len(), 1);
    // After an hour the id is forgotten.
    assert_eq!(code_of(&run(&mut sb, &send, NOW.offset_by(3_600_000))), 200);

    // sendVoice and sendCode are deduped too.
    let voice = SendVoice::new(
        Phone::parse("13800000002").unwrap(),
        VerificationCode::new("1234").unwrap(),
    )
    .unwrap()
    .with_request_id(SendRequestId::new("voice-1").unwrap());
    assert_eq!(code_of(&run(&mut sb, &voice, NOW)), 200);
    assert_eq!(code_of(&run(&mut sb, &voice, NOW)), 400);
    let code = SendCode::new(
        Phone::parse("13800000003").unwrap(),
        VerificationCode::new("1234").unwrap(),
        SignRef::name("Sandbox").unwrap(),
    )
    .with_request_id(SendRequestId::new("code-1").unwrap());
    assert_eq!(code_of(&run(&mut sb, &code, NOW)), 200);
    assert_eq!(code_of(&run(&mut sb, &code, NOW)), 400);
}

#[test]
fn a_refused_request_does_not_use_up_its_id() {
    let mut sb = sandbox();
    let id = SendRequestId::new("retry-me").unwrap();
    let bad = template_send(999, "13800000000").with_request_id(id.clone());
    assert_eq!(code_of(&run(&mut sb, &bad, NOW)), 431);
    let good = code_send("13800000000").with_request_id(id);
    assert_eq!(code_of(&run(&mut sb, &good, NOW)), 200);
}

#[test]
fn too_many_in_a_minute_is_496() {
    let mut sb = Sandbox::new(SandboxConfig {
        per_minute_limit: 2,
        ..SandboxConfig::default()
    });
    assert_eq!(code_of(&run(&mut sb, &code_send("13800000000"), NOW)), 200);
    assert_eq!(
        code_of(&run(&mut sb, &code_send("13800000000"), NOW.offset_by(10))),
        200
    );
    let resp = run(&mut sb, &code_send("13800000000"), NOW.offset_by(20));
    assert_eq!(code_of(&resp), 496);
    let err = client().parse::<SendTemplate, _>(&resp).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::RateLimitMinute));
    // Another number is not limited, and a minute later neither is this one.
    assert_eq!(
        code_of(&run(&mut sb, &code_send("13800000001"), NOW.offset_by(20))),
        200
    );
    assert_eq!(
        code_of(&run(
            &mut sb,
            &code_send("13800000000"),
            NOW.offset_by(60_000)
        )),
        200
    );
    // In a send to several numbers, the limited one is refused alone (311).
    let both = code_send("13800000000,13800000002");
    let (_, code, _, info) = answer(&run(&mut sb, &both, NOW.offset_by(60_001)));
    assert_eq!(code, 311);
    assert_eq!(info["items"][0]["phone"], "13800000000");
    assert_eq!(info["items"][0]["statusCode"], 496);
}

#[test]
fn too_many_in_a_day_is_498() {
    let mut sb = Sandbox::new(SandboxConfig {
        per_day_limit: 3,
        ..SandboxConfig::default()
    });
    let minutes = |n: i64| NOW.offset_by(n * 120_000);
    for i in 0..3 {
        assert_eq!(
            code_of(&run(&mut sb, &code_send("13800000000"), minutes(i))),
            200
        );
    }
    let resp = run(&mut sb, &code_send("13800000000"), minutes(3));
    assert_eq!(code_of(&resp), 498);
    // A day after the first message, one slot is free again.
    let next_day = NOW.offset_by(86_400_000);
    assert_eq!(
        code_of(&run(&mut sb, &code_send("13800000000"), next_day)),
        200
    );
    assert_eq!(
        code_of(&run(&mut sb, &code_send("13800000000"), next_day)),
        498
    );
}

#[test]
fn an_exhausted_balance_is_499() {
    let mut sb = Sandbox::new(SandboxConfig {
        balance: Some(2),
        ..SandboxConfig::default()
    });
    assert_eq!(code_of(&run(&mut sb, &code_send("13800000000"), NOW)), 200);
    assert_eq!(sb.balance(), Some(1));
    // Two messages cost more than what is left: nothing is sent.
    let two = code_send("13800000001,13800000002");
    assert_eq!(code_of(&run(&mut sb, &two, NOW)), 499);
    assert_eq!(sb.outbox().len(), 1);
    assert_eq!(code_of(&run(&mut sb, &code_send("13800000001"), NOW)), 200);
    assert_eq!(sb.balance(), Some(0));
    let resp = run(&mut sb, &code_send("13800000003"), NOW);
    assert_eq!(code_of(&resp), 499);
    let err = client().parse::<SendTemplate, _>(&resp).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::InsufficientBalance));
    assert_eq!(sb.outbox().len(), 2);
}

// ---- sendVoice and sendCode ---------------------------------------------------------------

#[test]
fn send_voice() {
    let mut sb = sandbox();
    let voice = SendVoice::new(
        Phone::parse("13800000000").unwrap(),
        VerificationCode::new("4321").unwrap(),
    )
    .unwrap();
    let resp = run(&mut sb, &voice, NOW);
    assert_eq!(code_of(&resp), 200);
    assert_eq!(
        client().parse::<SendVoice, _>(&resp).unwrap().success_count,
        1
    );
    let m = &sb.outbox()[0];
    assert_eq!(m.kind, MessageKind::Voice);
    assert!(m.text.contains("4321"));
    assert_eq!(m.template_id, None);
    let post = |p: &[(&str, &str)]| signed_post("/smsapi/sendVoice", p, KEY, Alg::Md5);
    let mut answer_to = |p: &[(&str, &str)]| code_of(&sb.handle(&post(p), NOW));
    assert_eq!(
        answer_to(&[("phone", "13800000000"), ("code", "12a4")]),
        482
    );
    assert_eq!(answer_to(&[("phone", "13800000000"), ("code", "123")]), 482);
    assert_eq!(answer_to(&[("phone", "13800000000")]), 481);
    assert_eq!(answer_to(&[("code", "1234")]), 411);
    assert_eq!(
        answer_to(&[("phone", "13800000000,13800000001"), ("code", "1234")]),
        412
    );
    assert_eq!(answer_to(&[("phone", "1380000"), ("code", "1234")]), 412);
}

#[test]
fn send_code() {
    let mut sb = sandbox();
    let by_name = SendCode::new(
        Phone::parse("13800000000").unwrap(),
        VerificationCode::new("123456").unwrap(),
        SignRef::name("Acme").unwrap(),
    );
    assert_eq!(code_of(&run(&mut sb, &by_name, NOW)), 200);
    assert_eq!(
        sb.outbox()[0].text,
        "【Acme】Your verification code is 123456."
    );
    assert_eq!(sb.outbox()[0].kind, MessageKind::Code);
    let intl = SendCode::new(
        Phone::parse("+85212345678").unwrap(),
        VerificationCode::new("1234").unwrap(),
        SignRef::Id(SignId::new(1).unwrap()),
    );
    assert_eq!(code_of(&run(&mut sb, &intl, NOW)), 200);
    assert_eq!(
        sb.outbox()[1].text,
        "【Sandbox】Your verification code is 1234."
    );

    let post = |p: &[(&str, &str)]| signed_post("/smsapi/sendCode", p, KEY, Alg::Sha256);
    let mut answer_to = |p: &[(&str, &str)]| code_of(&sb.handle(&post(p), NOW));
    // signId wins over signName.
    assert_eq!(
        answer_to(&[
            ("phone", "13800000001"),
            ("code", "1234"),
            ("signId", "2"),
            ("signName", "nope")
        ]),
        200
    );
    assert_eq!(
        answer_to(&[
            ("phone", "13800000001"),
            ("code", "1234"),
            ("signId", "99"),
            ("signName", "Acme")
        ]),
        601
    );
    assert_eq!(
        answer_to(&[
            ("phone", "13800000001"),
            ("code", "1234"),
            ("signName", "Nobody")
        ]),
        601
    );
    assert_eq!(
        answer_to(&[("phone", "13800000001"), ("code", "1234")]),
        482
    );
    assert_eq!(
        answer_to(&[
            ("phone", "13800000001"),
            ("code", "1234"),
            ("signId", "1"),
            ("msgType", "1")
        ]),
        482
    );
    assert_eq!(
        answer_to(&[
            ("phone", "13800000001"),
            ("code", "1234567"),
            ("signId", "1")
        ]),
        482
    );
    assert_eq!(
        sb.outbox()[2].text,
        "【Acme】Your verification code is 1234."
    );
    assert_eq!(sb.outbox().len(), 3);
}

// ---- outbox views -------------------------------------------------------------------------

#[test]
fn outbox_json_is_newest_first() {
    let mut sb = sandbox();
    for (i, phone) in ["13800000000", "13800000001", "13800000002"]
        .iter()
        .enumerate()
    {
        let at = NOW.offset_by(i as i64);
        assert_eq!(code_of(&run(&mut sb, &code_send(phone), at)), 200);
    }
    let v: Value = serde_json::from_str(&sb.outbox_json()).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["phone"], "13800000002");
    assert_eq!(items[2]["phone"], "13800000000");
    assert_eq!(items[0]["text"], "【Sandbox】Your code is 123456.");
    assert_eq!(items[0]["acceptedAt"], NOW.as_millis() + 2);
    assert_eq!(items[0]["outcome"]["event"], "deliver");
    assert_eq!(items[0]["smsId"], sb.outbox()[2].sms_id.as_str());
    // Served over the protocol too.
    let req = http::Request::get("http://x/outbox.json")
        .body(Vec::new())
        .unwrap();
    let resp = sb.handle(&req, NOW);
    assert_eq!(resp.status(), 200);
    assert_eq!(
        String::from_utf8(resp.into_body()).unwrap(),
        sb.outbox_json()
    );
}

#[test]
fn outbox_html_escapes_the_text() {
    let mut sb = sandbox();
    let send = template_send(2, "13800000000").with_vars(vars(&[
        ("name", "<Tom & \"Jerry\">"),
        ("order", "<script>"),
    ]));
    assert_eq!(code_of(&run(&mut sb, &send, NOW)), 200);
    assert_eq!(code_of(&run(&mut sb, &code_send("13800000001"), NOW)), 200);
    let html = sb.outbox_html();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(
        "Hello &lt;Tom &amp; &quot;Jerry&quot;&gt;, your order &lt;script&gt; has shipped."
    ));
    assert!(!html.contains("<script>"));
    assert!(!html.contains("<Tom"));
    // Newest first.
    let newer = html.find("13800000001").unwrap();
    let older = html.find("13800000000").unwrap();
    assert!(newer < older);
    let req = http::Request::get("http://x/outbox")
        .body(Vec::new())
        .unwrap();
    let resp = sb.handle(&req, NOW);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

// ---- hook events --------------------------------------------------------------------------

#[test]
fn hook_events_are_signed_and_follow_the_outcome_rule() {
    let mut sb = sandbox();
    let phones = "13800000000,13800000099,13800000098,13800000097,13800000096";
    let resp = run(&mut sb, &code_send(phones), NOW);
    assert_eq!(code_of(&resp), 200);
    let events = sb.take_hook_events();
    assert!(sb.take_hook_events().is_empty(), "taking drains the queue");
    let key = Secret::new(sendcloud_sandbox::DEFAULT_HOOK_APP_KEY);
    let expected = [
        ("13800000000", "deliver", "200"),
        ("13800000099", "delivererror", "500"),
        ("13800000098", "workererror", "410"),
        ("13800000097", "delivererror", "580"),
        ("13800000096", "delivererror", "510"),
    ];
    assert_eq!(events.len(), expected.len());
    let mut tokens = std::collections::HashSet::new();
    for ((phone, event, status), e) in expected.iter().zip(&events) {
        assert_eq!(e.event, *event);
        assert_eq!(e.get("event"), Some(*event));
        assert_eq!(e.get("phone"), Some(*phone));
        assert_eq!(e.get("statusCode"), Some(*status));
        assert_eq!(e.get("templateId"), Some("1"));
        assert_eq!(e.get("smsUser"), Some(USER));
        let token = e.get("token").unwrap();
        let timestamp = e.get("timestamp").unwrap();
        assert_eq!(token.len(), 50);
        assert_eq!(timestamp, NOW.as_millis().to_string());
        assert_eq!(
            e.get("signature").unwrap(),
            hook_signature(&key, timestamp, token)
        );
        assert_ne!(
            e.get("signature").unwrap(),
            hook_signature(&Secret::new("other"), timestamp, token)
        );
        assert!(tokens.insert(token.to_owned()));
        let m = sb.outbox().iter().find(|m| m.phone == *phone).unwrap();
        assert_eq!(e.get("smsId"), Some(m.sms_id.as_str()));
        assert_eq!(m.outcome.event(), *event);
        // The form body carries the same fields.
        let form = Form::decode(e.form_body().as_bytes());
        assert_eq!(form.get("signature"), e.get("signature"));
    }
    assert_eq!(
        sb.outbox()[1].outcome,
        DeliveryOutcome::DeliverError(StatusCode::HookNumberNotExist)
    );
}

#[test]
fn content_problems_are_worker_errors() {
    let mut sb = sandbox();
    // Template 2 needs %name% and %order%; only one is given.
    let send = template_send(2, "13800000000").with_vars(vars(&[("name", "Lucy")]));
    assert_eq!(code_of(&run(&mut sb, &send, NOW)), 200);
    assert_eq!(
        sb.outbox()[0].outcome,
        DeliveryOutcome::WorkerError(StatusCode::HookWrongVariable)
    );
    let events = sb.take_hook_events();
    assert_eq!(events[0].event, "workererror");
    assert_eq!(events[0].get("statusCode"), Some("450"));
    assert!(events[0].get("encodeMessage").is_some());
}

#[test]
fn hook_queue_can_be_turned_off_and_request_events_on() {
    let mut quiet = Sandbox::new(SandboxConfig {
        queue_hook_events: false,
        ..SandboxConfig::default()
    });
    assert_eq!(
        code_of(&run(&mut quiet, &code_send("13800000000"), NOW)),
        200
    );
    assert!(quiet.take_hook_events().is_empty());
    assert_eq!(quiet.outbox().len(), 1);

    let mut chatty = Sandbox::new(SandboxConfig {
        queue_request_events: true,
        ..SandboxConfig::default()
    });
    assert_eq!(
        code_of(&run(
            &mut chatty,
            &code_send("13800000000,13800000001"),
            NOW
        )),
        200
    );
    let events = chatty.take_hook_events();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["request", "deliver", "deliver"]);
    let phones: Vec<String> = serde_json::from_str(events[0].get("phones").unwrap()).unwrap();
    assert_eq!(phones, ["13800000000", "13800000001"]);
}

// ---- configuration ------------------------------------------------------------------------

#[test]
fn config_from_toml_is_used() {
    let config = SandboxConfig::from_toml(
        r#"
        per_minute_limit = 1
        hook_app_key = "toml-hook"

        [[accounts]]
        sms_user = "alice"
        sms_key = "alice-key"

        [[accounts]]
        sms_user = "bob"
        sms_key = "bob-key"

        [[templates]]
        id = 77
        text = "【Toml】Hi %who%"
        "#,
    )
    .unwrap();
    assert_eq!(config.accounts.len(), 2);
    assert_eq!(config.templates[0].kind, TemplateKind::Sms);
    assert!(config.templates[0].approved);
    let summary = config.summary();
    assert!(
        summary.contains("alice") && summary.contains("77") && summary.contains("【Toml】Hi %who%")
    );

    let mut sb = Sandbox::new(config);
    let bob = Client::new(Credentials::new("bob", "bob-key").unwrap());
    let send = template_send(77, "13800000000").with_vars(vars(&[("who", "Bob")]));
    let resp = sb.handle(&bob.prepare(&send, NOW).unwrap(), NOW);
    assert_eq!(code_of(&resp), 200);
    assert_eq!(sb.outbox()[0].text, "【Toml】Hi Bob");
    assert_eq!(sb.outbox()[0].sms_user, "bob");
    assert!(
        sb.outbox()[0].sms_id.contains("_2_77_"),
        "account 2, template 77"
    );
    assert_eq!(
        code_of(&sb.handle(&bob.prepare(&send, NOW).unwrap(), NOW)),
        496
    );
    let e = &sb.take_hook_events()[0];
    assert_eq!(
        e.get("signature").unwrap(),
        hook_signature(
            &Secret::new("toml-hook"),
            e.get("timestamp").unwrap(),
            e.get("token").unwrap()
        )
    );
    // The default account is gone.
    assert_eq!(code_of(&run(&mut sb, &code_send("13800000001"), NOW)), 471);
}

#[test]
fn config_from_json_is_used() {
    let config = SandboxConfig::from_json(
        r#"{"accounts":[{"smsUser":"carol","smsKey":"carol-key"}],
            "templates":[{"id":5,"text":"pic %x%","kind":"mms","approved":false}],
            "balance":10,"timestamp_window_ms":1000}"#,
    )
    .unwrap();
    assert_eq!(config.balance, Some(10));
    assert_eq!(config.templates[0].kind, TemplateKind::Mms);
    assert_eq!(config.sign_names, SandboxConfig::default().sign_names);
    let mut sb = Sandbox::new(config);
    let carol = Client::new(Credentials::new("carol", "carol-key").unwrap());
    let send = template_send(5, "13800000000")
        .with_msg_type(MsgType::Mms)
        .unwrap();
    assert_eq!(
        code_of(&sb.handle(&carol.prepare(&send, NOW).unwrap(), NOW)),
        432
    );
    let late = carol.prepare(&send, NOW.offset_by(-1_001)).unwrap();
    assert_eq!(code_of(&sb.handle(&late, NOW)), 461);
}

#[test]
fn bad_configs_are_refused() {
    assert!(SandboxConfig::from_toml("per_minute_limit = \"x\"").is_err());
    assert!(SandboxConfig::from_toml("unknown_field = 1").is_err());
    assert!(SandboxConfig::from_toml("accounts = []").is_err());
    assert!(
        SandboxConfig::from_json(r#"{"templates":[{"id":1,"text":"a"},{"id":1,"text":"b"}]}"#)
            .is_err()
    );
    assert!(SandboxConfig::from_json(r#"{"accounts":[{"smsUser":"a","smsKey":""}]}"#).is_err());
    assert!(SandboxConfig::from_json("[]").is_err());
    assert_eq!(
        SandboxConfig::from_toml("").unwrap(),
        SandboxConfig::default()
    );
}

#[test]
fn debug_does_not_print_keys() {
    let mut config = SandboxConfig::default();
    config.accounts.push(Account::new("x", "very-secret-key"));
    config.hook_app_key = Secret::new("very-secret-hook");
    let sb = Sandbox::new(config);
    let shown = format!("{sb:?}");
    assert!(shown.contains("sandbox-user"));
    assert!(!shown.contains("very-secret"));
    assert!(!shown.contains(KEY));
}

#[test]
fn outbox_limit_drops_the_oldest() {
    let mut sb = Sandbox::new(SandboxConfig {
        outbox_limit: Some(4),
        ..SandboxConfig::default()
    });
    for i in 0..20 {
        let phone = format!("138{i:08}");
        assert_eq!(code_of(&run(&mut sb, &code_send(&phone), NOW)), 200);
        assert!(sb.outbox().len() <= 4);
    }
    assert_eq!(sb.accepted_count(), 20);
    assert_eq!(sb.outbox().len(), 4);
    assert_eq!(sb.outbox()[0].phone, "13800000016");
    assert_eq!(sb.outbox().last().unwrap().phone, "13800000019");
}

// ---- robustness ---------------------------------------------------------------------------

#[test]
fn arbitrary_requests_do_not_panic() {
    let mut sb = sandbox();
    let mut seed: u64 = 0x1234_5678;
    let mut next = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) as u32
    };
    let pieces = [
        "smsUser=sandbox-user",
        "signature=",
        "phone=",
        "templateId=",
        "vars=",
        "timestamp=",
        "%",
        "&",
        "=",
        ",",
        "[]",
        "{",
        "1",
        "00",
        "+",
        "%ZZ",
        "\u{0}",
        "码",
        "msgType=",
        "code=",
        "signId=",
        "signName=",
        "sendRequestId=",
    ];
    let paths = [
        "/smsapi/send",
        "/sendVoice",
        "/smsapi/sendCode",
        "/smsapi/timestamp/get",
        "/x",
    ];
    for _ in 0..3000 {
        let mut body = Vec::new();
        for _ in 0..(next() % 12) {
            match next() % 3 {
                0 => body.push((next() % 256) as u8),
                _ => body
                    .extend_from_slice(pieces[(next() % pieces.len() as u32) as usize].as_bytes()),
            }
        }
        let path = paths[(next() % paths.len() as u32) as usize];
        let method = if next() % 4 == 0 { "GET" } else { "POST" };
        let req = http::Request::builder()
            .method(method)
            .uri(format!("http://x{path}"))
            .body(body)
            .unwrap();
        let now = Timestamp(u64::from(next()) * u64::from(next() % 3));
        let resp = sb.handle(&req, now);
        assert!(serde_json::from_slice::<Value>(resp.body()).is_ok());
    }
    for now in [0, u64::MAX] {
        let req = client()
            .prepare(&code_send("13800000000"), Timestamp(now))
            .unwrap();
        let _ = sb.handle(&req, Timestamp(now));
        let _ = sb.outbox_html();
    }
}
