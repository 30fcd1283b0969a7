//! The calls beyond sending: each from a typed request to a signed `http::Request`, each
//! from a sample answer (SendCloud's documented shapes, sloppiness included) to a typed
//! output. The sandbox's answers to them are tested in `sendcloud-sandbox`.

use sendcloud_proto::Endpoint;
use sendcloud_proto::*;

const NOW: Timestamp = Timestamp(1_717_200_000_000); // 2024-06-01 00:00:00 UTC

fn client() -> Client {
    Client::new(Credentials::new("sandbox-user", "sandbox-key").unwrap())
        .with_base_url("http://sandbox.local/smsapi")
        .unwrap()
}

/// Prepares `e`, checks the request's shape and signature, and returns its parameters.
fn prepared<E: Endpoint>(e: &E) -> Form<'static> {
    let req = client().prepare(e, NOW).unwrap();
    assert_eq!(req.method(), E::METHOD);
    assert_eq!(
        req.uri().to_string(),
        format!("http://sandbox.local/smsapi/{}", E::PATH)
    );
    assert_eq!(
        req.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    // What `prepare` sends is what `Client::form` describes, with the signature last.
    let form = Form::decode(req.body());
    assert_eq!(form, client().form(e, NOW));
    let body = String::from_utf8(req.body().clone()).unwrap();
    let (_, last) = body.rsplit_once('&').unwrap();
    assert_eq!(
        Some(last),
        body.split('&').find(|p| p.starts_with("signature="))
    );
    assert_eq!(form.get("smsUser"), Some("sandbox-user"));
    assert_eq!(form.get("timestamp"), Some("1717200000000"));
    let sig = form.get("signature").unwrap().to_owned();
    let unsigned: Vec<(&str, &str)> = form.iter().filter(|(k, _)| *k != "signature").collect();
    assert_eq!(
        sig,
        sign(
            SignatureAlgorithm::Md5,
            &Secret::new("sandbox-key"),
            unsigned
        )
    );
    assert!(!String::from_utf8_lossy(req.body()).contains("sandbox-key"));
    form
}

fn answer<E: Endpoint>(body: &str) -> Result<E::Output, Error> {
    parse_response::<E, _>(&http::Response::new(body.to_owned()))
}

fn ok<E: Endpoint>(info: &str) -> E::Output {
    answer::<E>(&format!(
        r#"{{"result":true,"statusCode":200,"message":"请求成功","info":{info}}}"#
    ))
    .unwrap()
}

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

// ---- status/query -----------------------------------------------------------------------

#[test]
fn status_query_request() {
    let q = StatusQuery::new(Period::between(d("2024-05-01"), d("2024-05-30")).unwrap())
        .unwrap()
        .with_phones([
            Phone::parse("13800000000").unwrap(),
            Phone::parse("+86 138 0000 0001").unwrap(),
        ])
        .unwrap()
        .with_sms_ids(["a_1$13800000000", "b_2$13800000001"])
        .unwrap()
        .with_msg_type(ReportMsgType::Sms)
        .with_template(TemplateId::new(7).unwrap())
        .with_template_name("login")
        .unwrap()
        .with_paging(Paging::new(100, 50).unwrap());
    let f = prepared(&q);
    assert_eq!(f.get("phones"), Some("13800000000;008613800000001"));
    assert_eq!(f.get("smsIds"), Some("a_1$13800000000;b_2$13800000001"));
    assert_eq!(f.get("startDate"), Some("2024-05-01"));
    assert_eq!(f.get("endDate"), Some("2024-05-30"));
    assert_eq!(f.get("days"), None);
    assert_eq!(f.get("msgTypeStr"), Some("0"));
    assert_eq!(f.get("templateId"), Some("7"));
    assert_eq!(f.get("templateName"), Some("login"));
    assert_eq!(f.get("start"), Some("100"));
    assert_eq!(f.get("limit"), Some("50"));
    const { assert!(StatusQuery::SAFE_TO_REPEAT) };

    let f = prepared(&StatusQuery::new(Period::today()).unwrap());
    assert_eq!(f.get("days"), Some("1"));
    assert_eq!(f.get("phones"), None);
}

#[test]
fn status_query_limits() {
    // At most 30 days.
    assert!(StatusQuery::new(Period::last_days(31).unwrap()).is_err());
    assert!(StatusQuery::new(Period::between(d("2024-01-01"), d("2024-01-31")).unwrap()).is_err());
    assert!(StatusQuery::new(Period::between(d("2024-01-01"), d("2024-01-30")).unwrap()).is_ok());
    // At most 100 numbers and smsIds in all.
    let phones: Vec<Phone> = (0..60)
        .map(|i| Phone::parse(&format!("138000000{i:02}")).unwrap())
        .collect();
    let ids: Vec<String> = (0..40).map(|i| format!("id{i}")).collect();
    let q = StatusQuery::new(Period::today())
        .unwrap()
        .with_phones(phones.clone())
        .unwrap()
        .with_sms_ids(&ids)
        .unwrap();
    assert_eq!(q.phones().len() + q.sms_ids().len(), 100);
    // Repeats count once.
    let q = q.with_phones(phones).unwrap();
    let e = q.with_sms_ids(["one-more"]).unwrap_err();
    assert_eq!(e.field, "phones");
    assert!(e.rule.contains("100"));
    // smsIds may not smuggle separators.
    for bad in ["", "a;b", "a,b", "a b"] {
        assert_eq!(
            StatusQuery::new(Period::today())
                .unwrap()
                .with_sms_ids([bad])
                .unwrap_err()
                .field,
            "smsIds"
        );
    }
    assert!(Paging::new(0, 0).is_err());
    assert!(Paging::new(0, 101).is_err());
}

#[test]
fn status_query_answer() {
    // The documented sample, with its stray closing brace and a total as a string.
    let page = answer::<StatusQuery>(
        r#"{"info":{"voList":[{"smsId":"***_**_**_**_**$**","msgType":"国内短信","receiver":"0000000000",
        "requestTime":"2017-02-19 00:21:20","sendLog":"发送成功","smsUser":"*****","status":"送达",
        "statusCode":200,"templateId":"000","templateName":"SendCloud验证码","updateTime":"2017-02-19 00:21:21"},
        {"smsId":"x","msgType":"国内短信","receiver":"0000000000","requestTime":"2017-02-19 00:00:04",
        "sendLog":"smsworker:address in local bounce list","status":"处理失败-局部拦截列表","statusCode":"420",
        "templateId":"000","extra":{"kept":true}}],
        "voListSize":2,"total":"103"},"message":"请求成功","result":true,"statusCode":200}"#,
    )
    .unwrap();
    assert_eq!(page.total, 103);
    assert_eq!(page.records.len(), 2);
    let r = &page.records[0];
    assert_eq!(r.receiver, "0000000000");
    assert_eq!(r.status_code, Some(StatusCode::Ok));
    assert_eq!(r.template_id, Some(0));
    assert_eq!(r.state(), DeliveryState::Delivered);
    let r = &page.records[1];
    assert_eq!(r.status_code, Some(StatusCode::HookLocalIntercept));
    assert_eq!(
        r.state(),
        DeliveryState::ProcessingFailed(Some(StatusCode::HookLocalIntercept))
    );
    assert_eq!(r.raw["extra"]["kept"], true);
    assert_eq!(r.template_name, "");

    // An empty or missing info is an empty page.
    assert_eq!(ok::<StatusQuery>("{}"), StatusPage::default());
    assert_eq!(ok::<StatusQuery>("[]").total, 0);
    // A refusal is an API error.
    let e = answer::<StatusQuery>(
        r#"{"result":false,"statusCode":482,"message":"参数格式错误","info":{}}"#,
    )
    .unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::PhoneAndVarsInvalid));
}

// ---- templates --------------------------------------------------------------------------

#[test]
fn template_requests() {
    let id = TemplateId::new(3381).unwrap();
    let f = prepared(&GetTemplate(id));
    assert_eq!(f.get("templateIdStr"), Some("3381"));
    assert_eq!(f.len(), 4);
    const { assert!(GetTemplate::SAFE_TO_REPEAT && ListTemplates::SAFE_TO_REPEAT) };
    const { assert!(!AddTemplate::SAFE_TO_REPEAT && !DeleteTemplate::SAFE_TO_REPEAT) };

    let f = prepared(&ListTemplates::default());
    assert_eq!(f.get("isVerifyStr"), None);
    let f = prepared(&ListTemplates {
        verify: Some(VerifyState::Rejected),
    });
    assert_eq!(f.get("isVerifyStr"), Some("-1"));

    let add = AddTemplate::new("  login  ", "Your code is %code%.", "Acme", SmsType::Notice)
        .unwrap()
        .with_sign_position(SignPosition::Suffix);
    let f = prepared(&add);
    assert_eq!(f.get("templateName"), Some("login"));
    assert_eq!(f.get("templateText"), Some("Your code is %code%."));
    assert_eq!(f.get("signName"), Some("Acme"));
    assert_eq!(f.get("signPositionStr"), Some("1"));
    assert_eq!(f.get("smsTypeStr"), Some("1"));

    let up = UpdateTemplate::new(id, "login", "Acme", SmsType::Marketing).unwrap();
    let f = prepared(&up);
    assert_eq!(f.get("templateIdStr"), Some("3381"));
    assert_eq!(f.get("templateText"), None);
    assert_eq!(f.get("signPositionStr"), Some("0"));
    assert_eq!(f.get("smsTypeStr"), Some("2"));
    let f = prepared(&up.with_text("New %code%").unwrap());
    assert_eq!(f.get("templateText"), Some("New %code%"));

    assert_eq!(
        prepared(&SubmitTemplate(id)).get("templateIdStr"),
        Some("3381")
    );
    assert_eq!(
        prepared(&DeleteTemplate(id)).get("templateIdStr"),
        Some("3381")
    );
    assert_eq!(SubmitTemplate::PATH, "template/submitsms");
    assert_eq!(DeleteTemplate::PATH, "template/deletesms");
    assert_eq!(UpdateTemplate::PATH, "template/updatesms");
}

#[test]
fn template_limits() {
    let t = |name: &str, text: &str, sign: &str| AddTemplate::new(name, text, sign, SmsType::Code);
    assert_eq!(t("", "x", "A").unwrap_err().field, "templateName");
    assert_eq!(
        t(&"n".repeat(51), "x", "A").unwrap_err().field,
        "templateName"
    );
    assert!(t(&"名".repeat(50), "x", "A").is_ok());
    assert_eq!(t("n", " ", "A").unwrap_err().field, "templateText");
    assert_eq!(
        t("n", &"字".repeat(501), "A").unwrap_err().field,
        "templateText"
    );
    assert!(t("n", &"字".repeat(500), "A").is_ok());
    assert_eq!(t("n", "【A】x", "A").unwrap_err().field, "templateText");
    assert_eq!(t("n", "x\u{7}", "A").unwrap_err().field, "templateText");
    assert_eq!(t("n", "x", "").unwrap_err().field, "signName");
    assert_eq!(t("n", "x", "【A】").unwrap_err().field, "signName");
    assert_eq!(t("n", "x", &"s".repeat(21)).unwrap_err().field, "signName");
    assert!(SmsType::parse("marketing").is_ok() && SmsType::parse("9").is_err());
}

#[test]
fn template_answers() {
    // template/get: the id written `00` in the docs, as a number and as a string.
    let t = ok::<GetTemplate>(
        r#"{"templateId":12,"templateName":"验证码","msgType":"国内短信","smsType":"验证码",
        "templateContent":"【爱发信】短息api模板","isVerify":"审核通过","createTime":"2015-03-23",
        "updateTime":"2017-03-29","future":1}"#,
    );
    assert_eq!(t.id, 12);
    assert_eq!(t.content, "【爱发信】短息api模板");
    assert_eq!(t.verify_state(), Some(VerifyState::Approved));
    assert_eq!(t.raw["future"], 1);
    assert_eq!(ok::<GetTemplate>(r#"{"templateId":"13"}"#).id, 13);
    assert!(matches!(
        answer::<GetTemplate>(r#"{"result":true,"statusCode":200,"info":{}}"#),
        Err(Error::Decode { .. })
    ));

    // template/list
    let list = ok::<ListTemplates>(
        r#"{"total":"2","list":[{"templateContent":"闪达科技【SendCloud】","templateCreateTime":"2016-08-25",
        "templateId":"1","templateName":"中秋快乐","isVerify":"待审核","templateUpdateTime":"2016-08-26"},
        {"templateId":2,"isVerify":"审核不通过"}]}"#,
    );
    assert_eq!(list.total, 2);
    assert_eq!(list.templates[0].create_time, "2016-08-25");
    assert_eq!(list.templates[0].update_time, "2016-08-26");
    assert_eq!(list.templates[0].verify_state(), Some(VerifyState::Pending));
    assert_eq!(
        list.templates[1].verify_state(),
        Some(VerifyState::Rejected)
    );
    assert_eq!(ok::<ListTemplates>("{}").templates.len(), 0);

    // template/addsms answers the id; submit, update and delete answer nothing.
    assert_eq!(
        answer::<AddTemplate>(
            r#"{"info":{"templateId":3381},"message":"插入成功","result":true,"statusCode":200}"#
        )
        .unwrap()
        .get(),
        3381
    );
    assert_eq!(ok::<AddTemplate>(r#"{"templateId":"3382"}"#).get(), 3382);
    assert!(answer::<AddTemplate>(r#"{"result":true,"statusCode":200,"info":{}}"#).is_err());
    ok::<SubmitTemplate>("{}");
    ok::<UpdateTemplate>("{}");
    ok::<DeleteTemplate>("null");
}

// ---- sign names -------------------------------------------------------------------------

#[test]
fn sign_requests_and_answers() {
    let id = SignId::new(1432).unwrap();
    assert_eq!(prepared(&GetSign(id)).get("id"), Some("1432"));
    assert_eq!(prepared(&ListSigns).len(), 3);
    let f = prepared(&SaveSign::new("闪达5", SignType::International).unwrap());
    assert_eq!(f.get("signName"), Some("闪达5"));
    assert_eq!(f.get("signType"), Some("1"));
    let f = prepared(&UpdateSign::new(id, "闪达6", SignType::Domestic).unwrap());
    assert_eq!(f.get("id"), Some("1432"));
    assert_eq!(f.get("signType"), Some("0"));
    assert_eq!(UpdateSign::PATH, "sign/update");

    // sign/save, with the trailing garbage the docs show cut off by the envelope decoder's
    // caller: only well-formed JSON is given here.
    let vo = r#"{"smsSignVo":{"createTime":"2017-06-27 19:31:16","id":1432,"signName":"闪达5",
        "signTypeDesc":"国际短信","updateTime":"2017-06-27 19:31:16","verifyStatus":"待审核"}}"#;
    let s = ok::<SaveSign>(vo);
    assert_eq!(s.id, 1432);
    assert_eq!(s.sign_type, "国际短信");
    assert_eq!(s.verify_status, "待审核");
    assert_eq!(ok::<UpdateSign>(vo).name, "闪达5");
    assert_eq!(ok::<GetSign>(vo).create_time, "2017-06-27 19:31:16");
    let list = ok::<ListSigns>(
        r#"{"voList":[{"id":1427,"signName":"闪达"},{"id":"1429","signName":"闪达1"}]}"#,
    );
    assert_eq!(
        list.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![1427, 1429]
    );
    assert!(answer::<GetSign>(r#"{"result":true,"statusCode":200,"info":{}}"#).is_err());
}

// ---- labels -----------------------------------------------------------------------------

#[test]
fn label_requests_and_answers() {
    let id = LabelId::new(9).unwrap();
    assert_eq!(prepared(&GetLabel(id)).get("labelId"), Some("9"));
    let f = prepared(
        &ListLabels::new()
            .with_name("spring")
            .unwrap()
            .with_paging(Paging::new(0, 10).unwrap()),
    );
    assert_eq!(f.get("labelName"), Some("spring"));
    assert_eq!(f.get("limit"), Some("10"));
    assert_eq!(
        prepared(&SaveLabel::new("spring").unwrap()).get("labelName"),
        Some("spring")
    );
    let f = prepared(&UpdateLabel::new(id, "summer").unwrap());
    assert_eq!(
        (f.get("labelId"), f.get("labelName")),
        (Some("9"), Some("summer"))
    );
    assert_eq!(prepared(&DeleteLabel(id)).get("labelId"), Some("9"));
    assert!(SaveLabel::new(&"l".repeat(51)).is_err());

    // Top level, or nested under the copied-over `smsSignVo`; `labelId` or `id`.
    let l = ok::<SaveLabel>(
        r#"{"labelId":"9","labelName":"spring","createTime":"2024-06-01 00:00:00"}"#,
    );
    assert_eq!((l.id, l.name.as_str()), (9, "spring"));
    let l = ok::<GetLabel>(r#"{"smsSignVo":{"id":10,"name":"x"}}"#);
    assert_eq!((l.id, l.name.as_str()), (10, "x"));
    let list = ok::<ListLabels>(r#"{"voList":[{"labelId":1,"labelName":"a"},{"id":2}]}"#);
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].id, 2);
    ok::<UpdateLabel>("{}");
    ok::<DeleteLabel>("{}");
}

// ---- statistics -------------------------------------------------------------------------

#[test]
fn stats_requests() {
    let q = StatsQuery::new(Period::last_days(100).unwrap())
        .unwrap()
        .with_msg_type(ReportMsgType::Voice)
        .with_templates([
            TemplateId::new(1).unwrap(),
            TemplateId::new(2).unwrap(),
            TemplateId::new(1).unwrap(),
        ])
        .unwrap();
    let f = prepared(&SendDayStats(q.clone()));
    assert_eq!(f.get("days"), Some("100"));
    assert_eq!(f.get("msgTypeStr"), Some("3"));
    assert_eq!(f.get("templateIdsStr"), Some("1;2"));
    assert_eq!(f.get("aggregate"), Some("0"));
    let f = prepared(&ProcessFailedStats(q.clone().aggregated()));
    assert_eq!(f.get("aggregate"), Some("1"));
    prepared(&SendFailedStats(q));
    assert_eq!(ProcessFailedStats::PATH, "data/processFailed");
    const { assert!(SendDayStats::SAFE_TO_REPEAT && SendFailedStats::SAFE_TO_REPEAT) };
    // At most 100 days.
    assert!(StatsQuery::new(Period::last_days(101).unwrap()).is_err());
    let e =
        StatsQuery::new(Period::between(d("2024-01-01"), d("2024-04-10")).unwrap()).unwrap_err();
    assert_eq!(e.field, "endDate");
    assert!(StatsQuery::new(Period::between(d("2024-01-01"), d("2024-04-09")).unwrap()).is_ok());
}

#[test]
fn stats_answers() {
    let s = ok::<SendDayStats>(
        r#"{"dataList":[{"billingNum":"2","msgType":"0","processFailedNum":"0","processFailedRatio":"0.00",
        "requestNum":"1","sendDate":"2016-09-27","sendFailedNum":"1","sendFailedRatio":"100.00",
        "sendNum":"0","sendRatio":"0.00","templateId":"2"}],"dataListSize":1}"#,
    );
    assert_eq!(s.rows.len(), 1);
    let r = &s.rows[0];
    assert_eq!(r.key.send_date, "2016-09-27");
    assert_eq!(r.key.template_id, Some(2));
    assert_eq!((r.requested, r.send_failed, r.billed), (1, 1, 2));
    assert_eq!(r.send_failed_ratio, Some(100.0));
    assert!(s.total.is_none());

    // The aggregate: "None" placeholders.
    let s = ok::<SendDayStats>(
        r#"{"total":{"billingNum":"42","msgType":"None","processFailedNum":"6","requestNum":"43",
        "sendDate":"2016-09-01到2016-09-30","sendNum":"26","sendRatio":"60.47","templateId":"None"}}"#,
    );
    let t = s.total.unwrap();
    assert_eq!(
        (t.requested, t.delivered, t.key.template_id),
        (43, 26, None)
    );
    assert_eq!(t.delivered_ratio, Some(60.47));

    let s = ok::<ProcessFailedStats>(
        r#"{"count":1,"voList":[{"encodingExceptionNum":"0","errorVarsNum":"3","globalBlackListNum":"1",
        "keyWordFilterNum":"0","msgType":"0","sendDate":"2016-09-09","sendTypeUnsupportedNum":"0",
        "templateId":"2","unsubscribleNum":"4","userBlackListNum":"0","varsContentTooLongNum":"0"}]}"#,
    );
    let r = &s.rows[0];
    assert_eq!(
        (r.wrong_vars, r.global_block_list, r.unsubscribed),
        (3, 1, 4)
    );

    let s = ok::<SendFailedStats>(
        r#"{"total":{"breakDownNum":"0","busyNum":"0","emptyPhoneNumberNum":"5","interceptNum":"3",
        "noAnswerNum":"2","othersNum":"2","shutDownNum":"1","sendDate":"x","templateId":"None"}}"#,
    );
    let t = s.total.unwrap();
    assert_eq!(
        (
            t.no_such_number,
            t.intercepted,
            t.no_answer,
            t.others,
            t.powered_off
        ),
        (5, 3, 2, 2, 1)
    );
}

// ---- dates --------------------------------------------------------------------------------

#[test]
fn dates() {
    assert_eq!(d("2024-06-01"), Date::from_unix_millis(NOW.0));
    assert_eq!("2024-02-29".parse::<Date>().unwrap().day(), 29);
    assert!("2023-02-29".parse::<Date>().is_err());
    assert_eq!(
        Period::last_days(3).unwrap().resolve(d("2024-03-01")),
        (d("2024-02-28"), d("2024-03-01"))
    );
}
