//! The blocking client's calls beyond sending, against the sandbox served on 127.0.0.1.

use std::time::Duration;

use sendcloud_ureq::proto::*;
use sendcloud_ureq::{Client, Error};

use sendcloud_test_support::{served_sandbox as sandbox, ServedSandbox as Served};

fn client(s: &Served) -> Client {
    Client::builder("sandbox-user", "sandbox-key")
        .base_url(s.server.base_url())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn api_status(e: Error) -> Option<StatusCode> {
    match e {
        Error::Proto(p) => p.status(),
        _ => None,
    }
}

#[test]
fn status_query() {
    let s = sandbox();
    let c = client(&s);
    let mut vars = Vars::new();
    vars.insert("code", "4321").unwrap();
    let r = c
        .send(
            SendTemplate::new(
                TemplateId::new(1).unwrap(),
                Recipients::parse("13800000000,13800000099").unwrap(),
            )
            .with_vars(vars),
        )
        .unwrap();
    let page = c.call(StatusQuery::new(Period::today()).unwrap()).unwrap();
    assert_eq!(page.total, 2);
    let q = StatusQuery::new(Period::last_days(7).unwrap())
        .unwrap()
        .with_sms_ids([&r.sms_ids[1]])
        .unwrap();
    let page = c.call(q).unwrap();
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0].receiver, "13800000099");
    assert_eq!(
        page.records[0].state(),
        DeliveryState::DeliveryFailed(Some(StatusCode::from_code(500)))
    );
    let q = StatusQuery::new(Period::today())
        .unwrap()
        .with_phones([Phone::parse("13800000000").unwrap()])
        .unwrap();
    assert_eq!(
        c.call(q).unwrap().records[0].state(),
        DeliveryState::Delivered
    );
    // And the statistics agree.
    let stats = c
        .call(SendDayStats(StatsQuery::new(Period::today()).unwrap()))
        .unwrap();
    assert_eq!(stats.rows.len(), 1);
    assert_eq!((stats.rows[0].requested, stats.rows[0].delivered), (2, 1));
}

#[test]
fn template_life_cycle() {
    let s = sandbox();
    let c = client(&s);
    let before = c.call(ListTemplates::default()).unwrap().total;

    // Add: pending.
    let id = c
        .call(
            AddTemplate::new(
                "shipping",
                "Order %order% shipped.",
                "Acme",
                SmsType::Notice,
            )
            .unwrap(),
        )
        .unwrap();
    let list = c.call(ListTemplates::default()).unwrap();
    assert_eq!(list.total, before + 1);
    let t = list.templates.iter().find(|t| t.id == id.get()).unwrap();
    assert_eq!(t.name, "shipping");
    assert_eq!(t.content, "【Acme】Order %order% shipped.");
    assert_eq!(t.verify_state(), Some(VerifyState::Pending));
    let pending = c
        .call(ListTemplates {
            verify: Some(VerifyState::Pending),
        })
        .unwrap();
    assert!(pending.templates.iter().any(|t| t.id == id.get()));

    // Update.
    c.call(
        UpdateTemplate::new(id, "shipping", "Acme", SmsType::Notice)
            .unwrap()
            .with_text("Order %order% is on its way.")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        c.call(GetTemplate(id)).unwrap().content,
        "【Acme】Order %order% is on its way."
    );

    // Submit: approved (the sandbox's approve-on-submit rule), and it can be sent.
    c.call(SubmitTemplate(id)).unwrap();
    assert_eq!(
        c.call(GetTemplate(id)).unwrap().verify_state(),
        Some(VerifyState::Approved)
    );
    let mut vars = Vars::new();
    vars.insert("order", "A1").unwrap();
    c.send(SendTemplate::new(id, Recipients::parse("13800000000").unwrap()).with_vars(vars))
        .unwrap();
    assert_eq!(
        s.server.sandbox().outbox()[0].text,
        "【Acme】Order A1 is on its way."
    );

    // Delete.
    c.call(DeleteTemplate(id)).unwrap();
    assert_eq!(c.call(ListTemplates::default()).unwrap().total, before);
    assert_eq!(
        api_status(c.call(GetTemplate(id)).unwrap_err()),
        Some(StatusCode::TemplateNotFound)
    );
}

#[test]
fn signs_and_labels() {
    let s = sandbox();
    let c = client(&s);
    let sign = c
        .call(SaveSign::new("Zeta", SignType::Domestic).unwrap())
        .unwrap();
    assert_eq!(c.call(ListSigns).unwrap().len(), 3);
    let id = SignId::new(sign.id).unwrap();
    c.call(UpdateSign::new(id, "Zed", SignType::Domestic).unwrap())
        .unwrap();
    assert_eq!(c.call(GetSign(id)).unwrap().name, "Zed");

    let label = c.call(SaveLabel::new("spring").unwrap()).unwrap();
    let id = LabelId::new(label.id).unwrap();
    c.call(UpdateLabel::new(id, "summer").unwrap()).unwrap();
    assert_eq!(c.call(GetLabel(id)).unwrap().name, "summer");
    assert_eq!(c.call(ListLabels::new()).unwrap().len(), 1);
    c.call(DeleteLabel(id)).unwrap();
    assert!(c.call(ListLabels::new()).unwrap().is_empty());
}
