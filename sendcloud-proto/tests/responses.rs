//! Decoding answers: the seed's samples (the malformed one corrected), lenient variants,
//! and the errors of their own.

use sendcloud_proto::*;

fn answer(body: &str) -> http::Response<&str> {
    http::Response::new(body)
}

fn parse_send(body: &str) -> Result<SendReceipt, Error> {
    parse_response::<SendTemplate, _>(&answer(body))
}

/// The seed's success sample, with its stray `}` removed.
const SUCCESS: &str = r#"{
    "message":"请求成功",
    "info":{"successCount":1,"smsIds":["1458113381893_15_3_11_1ainnq$131112345678"]},
    "result":true,
    "statusCode":200
}"#;

const BAD_PHONE: &str = r#"{
    "message":"手机号格式错误",
    "info":{},
    "result":false,
    "statusCode":412
}"#;

/// The seed's 311 sample, with its stray `}` removed.
const PARTIAL: &str = r#"{
    "message":"部分成功",
    "info":{
            "successCount":1,
            "failedCount":1,
            "items":[{"phone":"1312222","vars":{},"message":"手机号格式错误"}],
            "smsIds":["1458113381893_15_3_11_1ainnq$131112345678"]
            },
    "result":true,
    "statusCode":311
}"#;

#[test]
fn success_sample() {
    let r = parse_send(SUCCESS).unwrap();
    assert_eq!(r.success_count, 1);
    assert_eq!(
        r.sms_ids,
        vec!["1458113381893_15_3_11_1ainnq$131112345678".to_owned()]
    );
    assert!(r.rejected.is_empty());
    assert_eq!(r.status, Some(StatusCode::Ok));
}

#[test]
fn the_seed_success_sample_as_printed_is_a_decode_error() {
    // The seed prints a stray `}`; that is not JSON, and we say so rather than guess.
    let printed = SUCCESS.replace("\"]},", "\"]}},");
    match parse_send(&printed) {
        Err(Error::Decode { body, .. }) => assert!(body.contains("请求成功")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn failure_sample() {
    match parse_send(BAD_PHONE) {
        Err(Error::Api {
            status,
            message,
            rejected,
        }) => {
            assert_eq!(status, StatusCode::PhoneInvalid);
            assert_eq!(status.code(), 412);
            assert_eq!(message, "手机号格式错误");
            assert!(rejected.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn partial_success_is_ok_with_rejected_recipients() {
    let r = parse_send(PARTIAL).unwrap();
    assert_eq!(r.status, Some(StatusCode::PartialSuccess));
    assert_eq!(r.success_count, 1);
    assert_eq!(r.sms_ids.len(), 1);
    assert!(r.is_partial());
    assert_eq!(
        r.rejected,
        vec![Rejected {
            phone: "1312222".into(),
            message: "手机号格式错误".into()
        }]
    );
}

#[test]
fn all_failed_is_an_error_that_lists_the_recipients() {
    let body = r#"{"result":false,"statusCode":312,"message":"全部失败",
        "info":{"successCount":0,"failedCount":2,"items":[
            {"phone":"1","message":"a"},{"phone":2,"message":"b"}]}}"#;
    match parse_send(body) {
        Err(Error::Api {
            status, rejected, ..
        }) => {
            assert_eq!(status, StatusCode::AllFailed);
            assert_eq!(rejected.len(), 2);
            assert_eq!(rejected[1].phone, "2");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn counts_and_codes_as_strings() {
    let body = r#"{"result":"true","statusCode":"200","message":"ok",
                   "info":{"successCount":"2","smsIds":["a", 7]}}"#;
    let r = parse_send(body).unwrap();
    assert_eq!(r.success_count, 2);
    assert_eq!(r.sms_ids, vec!["a".to_owned(), "7".to_owned()]);
}

#[test]
fn missing_or_odd_info_reads_as_empty() {
    for body in [
        r#"{"result":true,"statusCode":200,"message":"ok"}"#,
        r#"{"result":true,"statusCode":200,"message":"ok","info":null}"#,
        r#"{"result":true,"statusCode":200,"message":"ok","info":[]}"#,
        r#"{"result":true,"statusCode":200,"message":"ok","info":""}"#,
    ] {
        let r = parse_send(body).unwrap();
        assert_eq!(r.success_count, 0, "{body}");
        assert!(r.sms_ids.is_empty());
    }
    // A missing message and a missing result are inferred from the status.
    let r = parse_send(r#"{"statusCode":200,"info":{"smsIds":["x","y"]}}"#).unwrap();
    assert_eq!(r.success_count, 2, "count inferred from the ids");
}

#[test]
fn unknown_fields_and_codes_are_kept_or_ignored() {
    let r = parse_send(
        r#"{"result":true,"statusCode":200,"message":"ok","extra":{"x":[1]},
            "info":{"successCount":1,"smsIds":["a"],"new":true}}"#,
    )
    .unwrap();
    assert_eq!(r.sms_ids, vec!["a".to_owned()]);
    match parse_send(r#"{"result":false,"statusCode":777,"message":"新错误"}"#) {
        Err(Error::Api { status, .. }) => assert_eq!(status, StatusCode::Unknown(777)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_time() {
    let r = parse_response::<GetServerTime, _>(&answer(
        r#"{"result":true,"statusCode":200,"message":"请求成功","info":{"timestamp":1458113381893}}"#,
    ))
    .unwrap();
    assert_eq!(r, ServerTime(Timestamp(1458113381893)));
    let r = parse_response::<GetServerTime, _>(&answer(
        r#"{"result":true,"statusCode":200,"info":{"timestamp":"1458113381893"}}"#,
    ))
    .unwrap();
    assert_eq!(r.0.as_millis(), 1458113381893);
    assert!(matches!(
        parse_response::<GetServerTime, _>(&answer(r#"{"result":true,"statusCode":200}"#)),
        Err(Error::Decode { .. })
    ));
}

#[test]
fn http_errors_quote_a_bounded_body() {
    let long = "<html>".to_owned() + &"x".repeat(10_000);
    let resp = http::Response::builder()
        .status(502)
        .body(long.as_str())
        .unwrap();
    match parse_response::<SendTemplate, _>(&resp) {
        Err(Error::Http { status, body }) => {
            assert_eq!(status, 502);
            assert!(body.starts_with("<html>"));
            assert!(body.chars().count() <= 257);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn undecodable_bodies() {
    for body in [
        "",
        "not json",
        "[1,2]",
        r#"{"result":true}"#,
        r#"{"statusCode":"abc"}"#,
        "\u{0}\u{1}",
    ] {
        match parse_send(body) {
            Err(Error::Decode { reason, .. }) => assert!(!reason.is_empty()),
            other => panic!("{body:?}: {other:?}"),
        }
    }
    let bytes: &[u8] = &[0xff, 0xfe, b'{'];
    assert!(matches!(
        parse_response::<SendTemplate, _>(&http::Response::new(bytes)),
        Err(Error::Decode { .. })
    ));
}

#[test]
fn every_seed_code_is_known_with_a_class() {
    let api = [
        200, 311, 312, 400, 411, 412, 413, 421, 422, 431, 432, 433, 441, 451, 452, 461, 471, 472,
        473, 474, 481, 482, 483, 496, 498, 499, 501, 601,
    ];
    let hook = [410, 420, 430, 440, 450, 460, 500, 510, 550, 580, 590];
    for code in api.iter().chain(hook.iter()) {
        let s = StatusCode::from_code(*code);
        assert!(!matches!(s, StatusCode::Unknown(_)), "{code}");
        assert_eq!(s.code(), *code);
        assert!(!s.meaning().is_empty());
        assert!(StatusCode::ALL.contains(&s));
    }
    assert_eq!(StatusCode::ALL.len(), api.len() + hook.len());
    for code in hook {
        assert!(StatusCode::from_code(code).is_hook_code());
    }
    use RetryClass::*;
    let classes = [
        (200, Success),
        (311, Success),
        (501, Retryable),
        (461, ClockSkew),
        (496, RateLimited),
        (498, RateLimited),
        (412, Permanent),
        (400, Permanent),
        (999, Permanent),
    ];
    for (code, class) in classes {
        assert_eq!(StatusCode::from_code(code).retry_class(), class, "{code}");
    }
}
