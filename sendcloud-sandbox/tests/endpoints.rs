//! The sandbox's answers to the calls beyond sending (templates, signs, labels, status,
//! statistics), through the core's client: prepared, handled, parsed.

use sendcloud_proto::Endpoint;
use sendcloud_proto::*;
use sendcloud_sandbox::{Sandbox, SandboxConfig};

const NOW: Timestamp = Timestamp(1_717_200_000_000); // 2024-06-01 00:00:00 UTC

fn client() -> Client {
    Client::new(Credentials::new("sandbox-user", "sandbox-key").unwrap())
        .with_base_url("http://sandbox.local/smsapi")
        .unwrap()
}

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

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
    assert_eq!(
        by_phone("13800000099").state(),
        DeliveryState::DeliveryFailed(Some(StatusCode::from_code(500)))
    );
    assert_eq!(
        by_phone("13800000099").status_code,
        Some(StatusCode::HookNumberNotExist)
    );
    assert_eq!(
        by_phone("13800000098").state(),
        DeliveryState::ProcessingFailed(Some(StatusCode::from_code(410)))
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
