//! One table per validation rule: an accepted and a refused case each, and the refusal
//! names the field.

use sendcloud_proto::*;

fn refused<T: std::fmt::Debug>(r: Result<T, ValidationError>, field: &str, rule_has: &str) {
    let e = r.expect_err("should be refused");
    assert_eq!(e.field, field, "{e}");
    assert!(
        e.rule.contains(rule_has),
        "rule {:?} should mention {rule_has:?}",
        e.rule
    );
    // The message a user sees names the field and the rule.
    assert!(e.to_string().starts_with(&format!("invalid {field}: ")));
}

#[test]
fn phone_numbers() {
    let ok = [
        ("13800000000", "13800000000"),
        (" 138 0000 0000 ", "13800000000"),
        ("138-0000-0000", "13800000000"),
        ("+8613800000000", "008613800000000"),
        ("008613800000000", "008613800000000"),
        ("+1 415 555 0100", "0014155550100"),
        ("+123456", "00123456"),
        ("00123456789012345678", "00123456789012345678"),
    ];
    for (input, sent) in ok {
        assert_eq!(Phone::parse(input).unwrap().as_str(), sent, "{input}");
    }
    refused(Phone::parse(""), "phone", "empty");
    refused(Phone::parse("   "), "phone", "empty");
    refused(Phone::parse("138abc00000"), "phone", "digits");
    refused(Phone::parse("138 - 0000"), "phone", "digits");
    refused(Phone::parse("-13800000000"), "phone", "digits");
    refused(Phone::parse("13800000000-"), "phone", "end with a digit");
    refused(Phone::parse("+"), "phone", "digit");
    refused(Phone::parse("++8613800000000"), "phone", "digits");
    refused(
        Phone::parse("+08613800000000"),
        "phone",
        "a 0 right after the country prefix",
    );
    refused(Phone::parse("１３８００"), "phone", "digits"); // full-width digits
}

#[test]
fn a_domestic_number_has_11_digits_and_starts_with_1() {
    for (input, has) in [
        ("12345", r#""12345" has 5 digits; "#),
        ("1234", r#""1234" has 4 digits; "#),
        ("1312222", r#""1312222" has 7 digits; "#),
        ("1380000000", r#""1380000000" has 10 digits; "#),
        ("138000000000", r#""138000000000" has 12 digits; "#),
        ("138 0000 000", r#""138 0000 000" has 10 digits; "#),
        ("23800000000", r#""23800000000" starts with 2; "#),
        ("03800000000", r#""03800000000" starts with 0; "#),
        ("0", r#""0" has 1 digit; "#),
    ] {
        let e = Phone::parse(input).unwrap_err();
        assert_eq!(e.field, "phone");
        // The value, then the rule.
        assert!(e.rule.starts_with(has), "{input}: {e}");
        assert!(
            e.rule
                .contains("a domestic mobile number has 11 digits and starts with 1"),
            "{e}"
        );
    }
    for input in ["10000000000", "19999999999", "1-3800000000"] {
        assert!(Phone::parse(input).is_ok(), "{input}");
    }
}

#[test]
fn an_international_number_has_6_to_18_digits_after_00_or_plus() {
    let rule = "an international number is 00 or + followed by 6 to 18 digits";
    for (input, has) in [
        ("00", r#""00" has 0 digits after the country prefix; "#),
        (
            "0012345",
            r#""0012345" has 5 digits after the country prefix; "#,
        ),
        (
            "+12345",
            r#""+12345" has 5 digits after the country prefix; "#,
        ),
        (
            "+1234567890123456789",
            r#""+1234567890123456789" has 19 digits after the country prefix; "#,
        ),
        (
            "0008613800000000",
            r#""0008613800000000" has a 0 right after the country prefix; "#,
        ),
        (
            "+0086 138",
            r#""+0086 138" has a 0 right after the country prefix; "#,
        ),
    ] {
        let e = Phone::parse(input).unwrap_err();
        assert!(e.rule.starts_with(has), "{input}: {e}");
        assert!(e.rule.contains(rule), "{e}");
    }
    assert_eq!(MIN_PHONE_DIGITS, 8);
    assert_eq!(MAX_PHONE_DIGITS, 20);
}

#[test]
fn a_refusal_quotes_at_most_32_characters_of_the_value() {
    let long = "1".repeat(200);
    let e = Phone::parse(&long).unwrap_err();
    assert!(
        e.rule
            .starts_with(&format!("\"{}\"… has 200 digits", "1".repeat(32))),
        "{e}"
    );
    let e = Phone::parse(&format!("{long}x")).unwrap_err();
    assert!(e.rule.len() < 200, "{e}");
}

#[test]
fn numbers_as_sent() {
    // What a server receives: digits only, 00 for a country prefix, the same rule.
    for ok in ["13800000000", "008613800000000", "00123456"] {
        assert_eq!(Phone::from_wire(ok).unwrap().as_str(), ok);
    }
    refused(Phone::from_wire(""), "phone", "empty");
    refused(Phone::from_wire("+8613800000000"), "phone", "00, not +");
    refused(Phone::from_wire("138 0000 0000"), "phone", "digits only");
    refused(Phone::from_wire(" 13800000000"), "phone", "digits only");
    refused(Phone::from_wire("12345"), "phone", "11 digits");
    refused(
        Phone::from_wire("0008613800000000"),
        "phone",
        "a 0 right after",
    );
    // Whatever the core sends passes.
    for written in ["+86 138 0000 0000", "138-0000-0000", "+1 415 555 0100"] {
        let p = Phone::parse(written).unwrap();
        assert_eq!(Phone::from_wire(p.as_str()).unwrap(), p);
    }
}

#[test]
fn international_numbers_are_sent_with_00() {
    let p = Phone::parse("+8613800000000").unwrap();
    assert!(p.is_international());
    let send = SendTemplate::new(TemplateId::new(1).unwrap(), Recipients::one(p));
    assert_eq!(send.msg_type(), MsgType::International);
    let client = Client::new(Credentials::new("u", "k").unwrap());
    let req = client.prepare(&send, Timestamp(1)).unwrap();
    let form = Form::decode(req.body());
    assert_eq!(form.get("phone"), Some("008613800000000"));
    assert_eq!(form.get("msgType"), Some("2"));
}

#[test]
fn recipients() {
    assert_eq!(Recipients::parse("13800000000").unwrap().len(), 1);
    let many: Vec<Phone> = (0..2000)
        .map(|i| Phone::parse(&format!("138{i:08}")).unwrap())
        .collect();
    assert_eq!(Recipients::new(many.clone()).unwrap().len(), 2000);

    refused(Recipients::new(vec![]), "phone", "at least one");
    let mut too_many = many;
    too_many.push(Phone::parse("13999999999").unwrap());
    refused(Recipients::new(too_many), "phone", "at most 2000");
    refused(
        Recipients::parse("13800000000,13800000001,13800000000"),
        "phone",
        "recipient 3",
    );
    refused(
        Recipients::parse("13800000000,+8613800000001"),
        "phone",
        "mixes international",
    );
    refused(
        Recipients::parse("13800000000,,13800000001"),
        "phone",
        "recipient 2: must not be empty",
    );
}

#[test]
fn a_refused_list_names_the_invalid_number() {
    refused(
        Recipients::parse("12345"),
        "phone",
        r#"recipient 1: "12345" has 5 digits"#,
    );
    refused(
        Recipients::parse("13800000000, 12345 ,13800000001"),
        "phone",
        r#"recipient 2: "12345" has 5 digits; a domestic mobile number"#,
    );
    // The first invalid number is the one named.
    refused(
        Recipients::parse("13800000000,138abc,1"),
        "phone",
        r#"recipient 2: "138abc" must be digits"#,
    );
}

#[test]
fn parse_each_splits_a_list_into_valid_and_invalid_numbers() {
    let list = "13800000000, 12345,+8613800000000 ,138abc,,13800000001";
    let each: Vec<(&str, Result<Phone, ValidationError>)> = Recipients::parse_each(list).collect();
    let written: Vec<&str> = each.iter().map(|(w, _)| *w).collect();
    assert_eq!(
        written,
        [
            "13800000000",
            "12345",
            "+8613800000000",
            "138abc",
            "",
            "13800000001"
        ]
    );
    let valid: Vec<bool> = each.iter().map(|(_, p)| p.is_ok()).collect();
    assert_eq!(valid, [true, false, true, false, false, true]);
    // Each refusal is the one Phone::parse gives.
    for (w, p) in &each {
        assert_eq!(p, &Phone::parse(w), "{w}");
    }
    // parse_each checks numbers only: the list as a whole is Recipients::new's.
    let good: Vec<Phone> = each.into_iter().filter_map(|(_, p)| p.ok()).collect();
    refused(Recipients::new(good), "phone", "mixes international");
    assert_eq!(Recipients::parse_each("").count(), 1);
    assert_eq!(
        Recipients::parse_each("13800000000,13800000000")
            .filter(|(_, p)| p.is_ok())
            .count(),
        2
    );
}

#[test]
fn vars() {
    let mut v = Vars::new();
    v.insert("name", "Lucy").unwrap();
    v.insert("%money%", "100").unwrap();
    v.insert("a_b-9", "x".repeat(32)).unwrap();
    v.insert("cjk", "你好".repeat(16)).unwrap(); // 32 characters, 96 bytes
    assert_eq!(v.get("%name%"), Some("Lucy"));
    assert_eq!(v.get("money"), Some("100"));

    refused(Vars::new().insert("", "x").map(|_| ()), "vars", "empty");
    refused(Vars::new().insert("%%", "x").map(|_| ()), "vars", "empty");
    refused(
        Vars::new().insert("%open", "x").map(|_| ()),
        "vars",
        "close",
    );
    refused(
        Vars::new().insert("a b", "x").map(|_| ()),
        "vars",
        "letters",
    );
    refused(
        Vars::new().insert("名字", "x").map(|_| ()),
        "vars",
        "letters",
    );
    refused(
        Vars::new().insert("long", "x".repeat(33)).map(|_| ()),
        "vars",
        "at most 32",
    );
    refused(
        Vars::new().insert("u", "go to https://x.cn").map(|_| ()),
        "vars",
        "link",
    );
    refused(
        Vars::new().insert("u", "WWW.x.cn").map(|_| ()),
        "vars",
        "link",
    );
    // A host name and a path is a link; a `www.` inside a word is not.
    for link in [
        "t.cn/A6",
        "bit.ly/x",
        "example.com/a",
        "Https://x",
        "see www.x.cn",
    ] {
        refused(Vars::new().insert("u", link).map(|_| ()), "vars", "link");
    }
    for text in ["awww.b", "v1.2", "a.m.", "3.5/5", "km/h", "example.com"] {
        assert!(Vars::new().insert("u", text).is_ok(), "{text}");
    }
    // A server reading vars applies the same rule.
    refused(Vars::from_json(r#"{"u":"t.cn/A6"}"#), "vars", "link");
    assert!(Vars::from_json(r#"{"u":"awww.b"}"#).is_ok());
}

#[test]
fn empty_vars_are_left_out_never_brackets() {
    let client = Client::new(Credentials::new("u", "k").unwrap());
    let send = SendTemplate::new(
        TemplateId::new(1).unwrap(),
        Recipients::parse("13800000000").unwrap(),
    );
    let req = client.prepare(&send, Timestamp(1)).unwrap();
    let form = Form::decode(req.body());
    assert_eq!(form.get("vars"), None);
    assert!(!String::from_utf8_lossy(req.body()).contains("%5B%5D"));
    assert_eq!(Vars::new().to_json(), "{}");
}

#[test]
fn vars_json_is_escaped() {
    let mut v = Vars::new();
    v.insert("q", "say \"hi\" \\ now").unwrap();
    let json: serde_json::Value = serde_json::from_str(&v.to_json()).unwrap();
    assert_eq!(json["%q%"], "say \"hi\" \\ now");
    assert_eq!(Vars::from_json(&v.to_json()).unwrap(), v);
    refused(Vars::from_json("[]"), "vars", "JSON object");
    refused(Vars::from_json("{\"a\":[1]}"), "vars", "string");
}

#[test]
fn verification_codes() {
    for ok in ["1234", "12345", "123456", "0000"] {
        assert_eq!(VerificationCode::new(ok).unwrap().as_str(), ok);
    }
    refused(VerificationCode::new("123"), "code", "4 to 6 digits");
    refused(VerificationCode::new("1234567"), "code", "4 to 6 digits");
    refused(VerificationCode::new("12a4"), "code", "4 to 6 digits");
    refused(VerificationCode::new("１２３４"), "code", "4 to 6 digits");
    refused(VerificationCode::new(""), "code", "4 to 6 digits");
}

#[test]
fn send_request_ids() {
    assert!(SendRequestId::new("a").is_ok());
    assert!(SendRequestId::new("订".repeat(128)).is_ok()); // characters, not bytes
    refused(SendRequestId::new(""), "sendRequestId", "empty");
    refused(
        SendRequestId::new("x".repeat(129)),
        "sendRequestId",
        "at most 128",
    );
    refused(SendRequestId::new("a\nb"), "sendRequestId", "control");
}

#[test]
fn tags() {
    assert_eq!(
        Tag::parse(r#"{"k": "v"}"#).unwrap().as_str(),
        r#"{"k":"v"}"#
    );
    let at_limit = format!(r#"{{"k":"{}"}}"#, "x".repeat(128 - 8));
    assert_eq!(at_limit.len(), 128);
    assert!(Tag::parse(&at_limit).is_ok());
    let over = format!(r#"{{"k":"{}"}}"#, "x".repeat(128 - 7));
    refused(Tag::parse(&over), "tag", "at most 128");
    refused(Tag::parse("[1,2]"), "tag", "JSON object");
    refused(Tag::parse("\"s\""), "tag", "JSON object");
    refused(Tag::parse("{oops"), "tag", "JSON object");
    for (not_object, kind) in [
        ("42", "a number"),
        ("null", "null"),
        ("true", "a boolean"),
        ("\"s\"", "a string"),
        ("[1]", "an array"),
    ] {
        refused(
            Tag::parse(not_object),
            "tag",
            &format!("must be a JSON object of at most 128 characters, e.g. {{\"order\":\"42\"}}; it is {kind}"),
        );
        refused(Tag::from_wire(not_object), "tag", kind);
    }
    refused(
        Tag::parse(&over),
        "tag",
        "it has 129 characters as compact JSON",
    );
}

#[test]
fn tags_as_sent() {
    // A server counts the characters it receives; a tag the core built always passes.
    let padded = format!(r#"{{ "k" : "{}" }}"#, "x".repeat(118));
    let built = Tag::parse(&padded).unwrap();
    assert_eq!(Tag::from_wire(built.as_str()).unwrap(), built);
    refused(
        Tag::from_wire(&padded),
        "tag",
        "it has 130 characters as sent",
    );
    assert_eq!(
        Tag::from_wire(r#"{ "a": 1 }"#).unwrap().as_str(),
        r#"{ "a": 1 }"#
    );
    let cjk = format!(r#"{{"k":"{}"}}"#, "码".repeat(120));
    assert!(Tag::from_wire(&cjk).is_ok()); // 128 characters, 368 bytes
    refused(Tag::from_wire(""), "tag", "not JSON");
    refused(Tag::from_wire("order=42"), "tag", "not JSON");
}

#[test]
fn positive_ids() {
    assert_eq!(TemplateId::new(1).unwrap().get(), 1);
    assert_eq!("42".parse::<TemplateId>().unwrap().get(), 42);
    refused(TemplateId::new(0), "templateId", "positive");
    refused("-1".parse::<TemplateId>(), "templateId", "positive");
    refused("abc".parse::<TemplateId>(), "templateId", "positive");
    assert!(LabelId::new(3).is_ok());
    refused(LabelId::new(0), "labelId", "positive");
    assert!(SignId::new(3).is_ok());
    refused(SignId::new(0), "signId", "positive");
}

#[test]
fn msg_types() {
    let domestic = || {
        SendTemplate::new(
            TemplateId::new(1).unwrap(),
            Recipients::parse("13800000000").unwrap(),
        )
    };
    let intl = || {
        SendTemplate::new(
            TemplateId::new(1).unwrap(),
            Recipients::parse("+85212345678").unwrap(),
        )
    };
    assert_eq!(
        domestic().with_msg_type(MsgType::Mms).unwrap().msg_type(),
        MsgType::Mms
    );
    assert_eq!(
        intl()
            .with_msg_type(MsgType::International)
            .unwrap()
            .msg_type(),
        MsgType::International
    );
    refused(
        domestic().with_msg_type(MsgType::International),
        "msgType",
        "needs numbers",
    );
    refused(
        intl().with_msg_type(MsgType::Mms),
        "msgType",
        "international",
    );
}

#[test]
fn sign_names() {
    assert!(SignRef::name("Acme").is_ok());
    refused(SignRef::name(""), "signName", "1 to 64");
    refused(SignRef::name("x".repeat(65)), "signName", "1 to 64");
}

#[test]
fn credentials_and_base_urls() {
    assert!(Credentials::new("u", "k").is_ok());
    refused(Credentials::new("", "k"), "smsUser", "empty");
    refused(Credentials::new("u", ""), "smsKey", "empty");
    let c = Client::new(Credentials::new("u", "k").unwrap());
    assert_eq!(
        c.clone()
            .with_base_url("http://127.0.0.1:8080/smsapi/")
            .unwrap()
            .base_url(),
        "http://127.0.0.1:8080/smsapi"
    );
    refused(c.clone().with_base_url("ftp://x/smsapi"), "baseUrl", "http");
    refused(c.clone().with_base_url("not a url"), "baseUrl", "URL");
    refused(c.with_base_url("https://x/smsapi?a=1"), "baseUrl", "query");
}

#[test]
fn secrets_never_show() {
    let c = Credentials::new("visible-user", "hidden-key-123").unwrap();
    let client = Client::new(c.clone());
    for shown in [
        format!("{c:?}"),
        format!("{client:?}"),
        format!("{:?}", c.sms_key()),
    ] {
        assert!(!shown.contains("hidden-key-123"), "{shown}");
    }
    assert!(format!("{c:?}").contains("visible-user"));
}
