//! The calls beyond sending: each from a typed request to a signed `http::Request`, each
//! from a sample answer (SendCloud's documented shapes, sloppiness included) to a typed
//! output, and the sandbox's answers to them.

use sendcloud_proto::endpoint::Endpoint;
use sendcloud_proto::sandbox::{Sandbox, SandboxConfig};
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
    assert_eq!(r.state(), DeliveryState::ProcessFailed);
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

// ---- the sandbox ------------------------------------------------------------------------

struct Run {
    sb: Sandbox,
    client: Client,
    now: Timestamp,
}

impl Run {
    fn new() -> Run {
        Run {
            sb: Sandbox::new(SandboxConfig::default()),
            client: client(),
            now: NOW,
        }
    }

    fn call<E: Endpoint>(&mut self, e: E) -> Result<E::Output, Error> {
        let req = self.client.prepare(&e, self.now).unwrap();
        let resp = self.sb.handle(&req, self.now);
        assert_eq!(resp.status(), 200);
        self.client.parse::<E, _>(&resp)
    }

    fn send(&mut self, template: u64, phones: &str) -> Result<SendReceipt, Error> {
        let mut vars = Vars::new();
        vars.insert("code", "1234").unwrap();
        vars.insert("name", "Lucy").unwrap();
        vars.insert("order", "A1").unwrap();
        self.call(
            SendTemplate::new(
                TemplateId::new(template).unwrap(),
                Recipients::parse(phones).unwrap(),
            )
            .with_vars(vars),
        )
    }
}

#[test]
fn sandbox_template_life_cycle() {
    let mut r = Run::new();
    let before = r.call(ListTemplates::default()).unwrap();
    assert_eq!(before.total, 4);
    assert_eq!(before.templates[0].name, "Template 1");
    assert_eq!(
        r.call(ListTemplates {
            verify: Some(VerifyState::Pending)
        })
        .unwrap()
        .templates
        .iter()
        .map(|t| t.id)
        .collect::<Vec<_>>(),
        vec![4]
    );

    let id = r
        .call(AddTemplate::new("welcome", "Hi %name%!", "Acme", SmsType::Notice).unwrap())
        .unwrap();
    assert_eq!(id.get(), 5);
    let t = r.call(GetTemplate(id)).unwrap();
    assert_eq!(t.name, "welcome");
    assert_eq!(t.content, "【Acme】Hi %name%!");
    assert_eq!(t.verify_state(), Some(VerifyState::Pending));
    assert_eq!(t.sms_type, "行业通知");
    // A name is unique.
    let e = r
        .call(AddTemplate::new("welcome", "Other", "Acme", SmsType::Code).unwrap())
        .unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::PhoneAndVarsInvalid));

    // Pending: sending it is refused with 432.
    assert_eq!(
        r.send(id.get(), "13800000000").unwrap_err().status(),
        Some(StatusCode::TemplateNotApproved)
    );
    // Submitted: approved at once, with a templateVerify hook event.
    r.call(SubmitTemplate(id)).unwrap();
    let hooks = r.sb.take_hook_events();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].event, "templateVerify");
    r.send(id.get(), "13800000000").unwrap();
    assert_eq!(r.sb.outbox()[0].text, "【Acme】Hi Lucy!");

    // Updated: back to review, text kept unless given.
    r.call(
        UpdateTemplate::new(id, "welcome2", "Acme", SmsType::Notice)
            .unwrap()
            .with_sign_position(SignPosition::Suffix),
    )
    .unwrap();
    let t = r.call(GetTemplate(id)).unwrap();
    assert_eq!(
        (t.name.as_str(), t.content.as_str()),
        ("welcome2", "Hi %name%!【Acme】")
    );
    assert_eq!(t.verify_state(), Some(VerifyState::Pending));
    r.call(
        UpdateTemplate::new(id, "welcome2", "Acme", SmsType::Notice)
            .unwrap()
            .with_text("Bye %name%")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        r.call(GetTemplate(id)).unwrap().content,
        "【Acme】Bye %name%"
    );

    // Approval by hand, with approve-on-submit off.
    r.sb.set_approve_on_submit(false);
    r.call(SubmitTemplate(id)).unwrap();
    assert_eq!(
        r.call(GetTemplate(id)).unwrap().verify_state(),
        Some(VerifyState::Pending)
    );
    assert!(r.sb.approve_template(id.get()));
    assert_eq!(
        r.call(GetTemplate(id)).unwrap().verify_state(),
        Some(VerifyState::Approved)
    );

    // Deleted: gone, and sending it is 431.
    r.call(DeleteTemplate(id)).unwrap();
    assert_eq!(
        r.call(GetTemplate(id)).unwrap_err().status(),
        Some(StatusCode::TemplateNotFound)
    );
    assert_eq!(r.call(ListTemplates::default()).unwrap().total, 4);
    assert_eq!(
        r.send(id.get(), "13800000000").unwrap_err().status(),
        Some(StatusCode::TemplateNotFound)
    );
    assert_eq!(
        r.call(DeleteTemplate(id)).unwrap_err().status(),
        Some(StatusCode::TemplateNotFound)
    );
    // Ids are not reused.
    let again = r
        .call(AddTemplate::new("welcome", "Hi", "Acme", SmsType::Code).unwrap())
        .unwrap();
    assert_eq!(again.get(), 6);
}

#[test]
fn sandbox_status_query() {
    let mut r = Run::new();
    let first = r.send(1, "13800000000,13800000099,13800000098").unwrap();
    r.now = Timestamp(NOW.0 + 86_400_000); // the next day
    let second = r.send(2, "13800000001").unwrap();

    let page = r
        .call(StatusQuery::new(Period::last_days(2).unwrap()).unwrap())
        .unwrap();
    assert_eq!(page.total, 4);
    // Newest first.
    assert_eq!(page.records[0].sms_id, second.sms_ids[0]);
    assert_eq!(page.records[0].template_id, Some(2));
    assert_eq!(page.records[0].template_name, "Template 2");
    assert_eq!(page.records[0].request_time, "2024-06-02 00:00:00");

    // Today only.
    let today = r.call(StatusQuery::new(Period::today()).unwrap()).unwrap();
    assert_eq!(today.total, 1);
    // By smsId and phone; the delivery outcomes come from the outbox.
    let q = StatusQuery::new(Period::between(d("2024-06-01"), d("2024-06-01")).unwrap())
        .unwrap()
        .with_sms_ids(&first.sms_ids[1..])
        .unwrap();
    let page = r.call(q).unwrap();
    assert_eq!(page.total, 2);
    let by_phone = |p: &str| {
        page.records
            .iter()
            .find(|x| x.receiver == p)
            .unwrap()
            .clone()
    };
    assert_eq!(by_phone("13800000099").state(), DeliveryState::SendFailed);
    assert_eq!(
        by_phone("13800000099").status_code,
        Some(StatusCode::HookNumberNotExist)
    );
    assert_eq!(
        by_phone("13800000098").state(),
        DeliveryState::ProcessFailed
    );
    let q = StatusQuery::new(Period::last_days(5).unwrap())
        .unwrap()
        .with_phones([Phone::parse("13800000000").unwrap()])
        .unwrap();
    let page = r.call(q).unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.records[0].state(), DeliveryState::Delivered);
    // Paging.
    let page = r
        .call(
            StatusQuery::new(Period::last_days(2).unwrap())
                .unwrap()
                .with_paging(Paging::new(1, 2).unwrap()),
        )
        .unwrap();
    assert_eq!((page.total, page.records.len()), (4, 2));
    // Filters by type and template.
    let page = r
        .call(
            StatusQuery::new(Period::last_days(2).unwrap())
                .unwrap()
                .with_template(TemplateId::new(1).unwrap())
                .with_msg_type(ReportMsgType::Sms),
        )
        .unwrap();
    assert_eq!(page.total, 3);
    let page = r
        .call(
            StatusQuery::new(Period::last_days(2).unwrap())
                .unwrap()
                .with_msg_type(ReportMsgType::Voice),
        )
        .unwrap();
    assert_eq!(page.total, 0);
    // Other accounts' messages are not seen: a different key signs for nobody.
    let other = Client::new(Credentials::new("nobody", "k").unwrap());
    let req = other
        .prepare(&StatusQuery::new(Period::today()).unwrap(), r.now)
        .unwrap();
    let resp = r.sb.handle(&req, r.now);
    assert_eq!(
        parse_response::<StatusQuery, _>(&resp)
            .unwrap_err()
            .status(),
        Some(StatusCode::SmsUserNotFound)
    );
}

#[test]
fn sandbox_refuses_malformed_queries() {
    let mut r = Run::new();
    let path = |p: &str, body: &str, sb: &mut Sandbox| {
        let mut form = Form::decode(body.as_bytes());
        form.set("smsUser", "sandbox-user");
        let sig = form.signature(SignatureAlgorithm::Md5, &Secret::new("sandbox-key"));
        form.set("signature", sig);
        let req = http::Request::post(format!("http://x/smsapi/{p}"))
            .body(form.encode().into_bytes())
            .unwrap();
        let resp = sb.handle(&req, NOW);
        let v: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
        v["statusCode"].as_i64().unwrap()
    };
    for (p, body) in [
        ("status/query", ""),
        ("status/query", "days=31"),
        ("status/query", "days=x"),
        ("status/query", "startDate=2024-05-02&endDate=2024-05-01"),
        ("status/query", "startDate=2024-02-30&endDate=2024-03-01"),
        ("status/query", "days=1&limit=101"),
        ("data/sendDay", "days=101"),
        ("data/sendDay", "days=1&aggregate=2"),
        ("data/sendFailed", "days=1&msgTypeStr=4"),
        (
            "template/addsms",
            "templateName=a&templateText=b&signName=c",
        ),
        ("template/list", "isVerifyStr=2"),
        ("sign/save", "signName=x"),
        ("label/get", "labelId=abc"),
        ("label/update", "labelId=1&labelName=x"),
    ] {
        assert_eq!(path(p, body, &mut r.sb), 482, "{p}?{body}");
    }
    assert_eq!(path("template/get", "templateIdStr=99", &mut r.sb), 431);
    assert_eq!(path("status/query", "days=1", &mut r.sb), 200);
    // GET works too; other methods are refused.
    let req = http::Request::put("http://x/smsapi/template/list")
        .body(Vec::new())
        .unwrap();
    assert_eq!(r.sb.handle(&req, NOW).status(), 405);
}

#[test]
fn sandbox_signs_and_labels() {
    let mut r = Run::new();
    assert_eq!(r.call(ListSigns).unwrap().len(), 2);
    let s = r
        .call(SaveSign::new("Zeta", SignType::International).unwrap())
        .unwrap();
    assert_eq!((s.id, s.sign_type.as_str()), (3, "国际短信"));
    // sendCode can use it at once.
    r.call(SendCode::new(
        Phone::parse("13800000000").unwrap(),
        VerificationCode::new("1234").unwrap(),
        SignRef::Id(SignId::new(3).unwrap()),
    ))
    .unwrap();
    assert!(r.sb.outbox()[0].text.starts_with("【Zeta】"));
    let s = r
        .call(UpdateSign::new(SignId::new(3).unwrap(), "Zed", SignType::Domestic).unwrap())
        .unwrap();
    assert_eq!(s.name, "Zed");
    assert_eq!(
        r.call(GetSign(SignId::new(3).unwrap())).unwrap().name,
        "Zed"
    );
    assert!(r
        .call(SaveSign::new("Acme", SignType::Domestic).unwrap())
        .is_err());
    assert!(r.call(GetSign(SignId::new(9).unwrap())).is_err());

    let a = r.call(SaveLabel::new("spring").unwrap()).unwrap();
    let b = r.call(SaveLabel::new("summer").unwrap()).unwrap();
    assert_eq!((a.id, b.id), (1, 2));
    assert!(r.call(SaveLabel::new("spring").unwrap()).is_err());
    r.call(UpdateLabel::new(LabelId::new(1).unwrap(), "autumn").unwrap())
        .unwrap();
    assert_eq!(
        r.call(GetLabel(LabelId::new(1).unwrap())).unwrap().name,
        "autumn"
    );
    assert_eq!(r.call(ListLabels::new()).unwrap().len(), 2);
    assert_eq!(
        r.call(ListLabels::new().with_name("summer").unwrap())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        r.call(ListLabels::new().with_paging(Paging::new(1, 1).unwrap()))
            .unwrap()[0]
            .id,
        2
    );
    r.call(DeleteLabel(LabelId::new(1).unwrap())).unwrap();
    assert!(r.call(GetLabel(LabelId::new(1).unwrap())).is_err());
    assert_eq!(r.call(ListLabels::new()).unwrap().len(), 1);
}

#[test]
fn sandbox_statistics() {
    let mut r = Run::new();
    r.send(1, "13800000000,13800000099,13800000098,13800000097")
        .unwrap();
    r.send(2, "13800000001").unwrap();
    r.now = Timestamp(NOW.0 + 86_400_000);
    r.send(1, "13800000002").unwrap();

    let s = r
        .call(SendDayStats(
            StatsQuery::new(Period::last_days(2).unwrap()).unwrap(),
        ))
        .unwrap();
    assert_eq!(s.rows.len(), 3);
    let row = &s.rows[0];
    assert_eq!(
        (
            row.key.send_date.as_str(),
            row.key.template_id,
            row.key.msg_type
        ),
        ("2024-06-01", Some(1), Some(0))
    );
    assert_eq!(
        (
            row.requested,
            row.delivered,
            row.process_failed,
            row.send_failed,
            row.billed
        ),
        (4, 1, 1, 2, 3)
    );
    assert_eq!(row.delivered_ratio, Some(25.0));

    let agg = r
        .call(SendDayStats(
            StatsQuery::new(Period::between(d("2024-06-01"), d("2024-06-02")).unwrap())
                .unwrap()
                .with_templates([TemplateId::new(1).unwrap()])
                .unwrap()
                .aggregated(),
        ))
        .unwrap()
        .total
        .unwrap();
    assert_eq!((agg.requested, agg.delivered), (5, 2));
    assert_eq!(agg.key.send_date, "2024-06-01到2024-06-02");
    assert_eq!(agg.key.template_id, None);

    let pf = r
        .call(ProcessFailedStats(
            StatsQuery::new(Period::last_days(2).unwrap())
                .unwrap()
                .aggregated(),
        ))
        .unwrap()
        .total
        .unwrap();
    assert_eq!(pf.global_block_list, 1);
    let sf = r
        .call(SendFailedStats(
            StatsQuery::new(Period::last_days(2).unwrap()).unwrap(),
        ))
        .unwrap();
    assert_eq!(sf.rows[0].no_such_number, 1);
    assert_eq!(sf.rows[0].powered_off, 1);
    // Today only.
    let s = r
        .call(SendDayStats(StatsQuery::new(Period::today()).unwrap()))
        .unwrap();
    assert_eq!(s.rows.len(), 1);
    assert_eq!(s.rows[0].key.send_date, "2024-06-02");
}
