//! The async client's calls beyond sending, against the sandbox served on 127.0.0.1.

use std::time::Duration;

use sendcloud_hyper::proto::*;
use sendcloud_hyper::{Client, Error};
use sendcloud_sandbox::server::SandboxServer;
use sendcloud_sandbox::{Sandbox, SandboxConfig};

async fn sandbox() -> SandboxServer {
    SandboxServer::bind("127.0.0.1:0", Sandbox::new(SandboxConfig::default()))
        .await
        .unwrap()
}

fn client(server: &SandboxServer) -> Client {
    Client::builder("sandbox-user", "sandbox-key")
        .base_url(server.base_url())
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

#[tokio::test]
async fn status_query() {
    let server = sandbox().await;
    let c = client(&server);
    let mut vars = Vars::new();
    vars.insert("code", "4321").unwrap();
    let r = c
        .send(
            SendTemplate::new(
                TemplateId::new(1).unwrap(),
                Recipients::parse("13800000000,13800000098").unwrap(),
            )
            .with_vars(vars),
        )
        .await
        .unwrap();
    let page = c
        .call(StatusQuery::new(Period::today()).unwrap())
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    let q = StatusQuery::new(Period::last_days(30).unwrap())
        .unwrap()
        .with_sms_ids([&r.sms_ids[1]])
        .unwrap();
    let page = c.call(q).await.unwrap();
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0].receiver, "13800000098");
    assert_eq!(
        page.records[0].state(),
        DeliveryState::ProcessingFailed(Some(StatusCode::from_code(410)))
    );
    assert_eq!(
        page.records[0].status_code,
        Some(StatusCode::HookGlobalIntercept)
    );
    let stats = c
        .call(ProcessFailedStats(
            StatsQuery::new(Period::today()).unwrap().aggregated(),
        ))
        .await
        .unwrap();
    assert_eq!(stats.total.unwrap().global_block_list, 1);
    // Limits are checked before anything is sent.
    assert!(StatusQuery::new(Period::last_days(31).unwrap()).is_err());
}

#[tokio::test]
async fn template_life_cycle() {
    let server = sandbox().await;
    let c = client(&server);
    let before = c.call(ListTemplates::default()).await.unwrap().total;

    let id = c
        .call(
            AddTemplate::new("reminder", "See you at %time%.", "Acme", SmsType::Notice)
                .unwrap()
                .with_sign_position(SignPosition::Suffix),
        )
        .await
        .unwrap();
    let list = c.call(ListTemplates::default()).await.unwrap();
    assert_eq!(list.total, before + 1);
    let t = list.templates.iter().find(|t| t.id == id.get()).unwrap();
    assert_eq!(t.content, "See you at %time%.【Acme】");
    assert_eq!(t.verify_state(), Some(VerifyState::Pending));

    c.call(UpdateTemplate::new(id, "reminder-2", "Acme", SmsType::Notice).unwrap())
        .await
        .unwrap();
    let t = c.call(GetTemplate(id)).await.unwrap();
    assert_eq!(t.name, "reminder-2");
    assert_eq!(t.content, "【Acme】See you at %time%.");

    c.call(SubmitTemplate(id)).await.unwrap();
    assert_eq!(
        c.call(GetTemplate(id)).await.unwrap().verify_state(),
        Some(VerifyState::Approved)
    );

    c.call(DeleteTemplate(id)).await.unwrap();
    assert_eq!(
        c.call(ListTemplates::default()).await.unwrap().total,
        before
    );
    assert_eq!(
        api_status(c.call(DeleteTemplate(id)).await.unwrap_err()),
        Some(StatusCode::TemplateNotFound)
    );
}

#[tokio::test]
async fn signs_and_labels() {
    let server = sandbox().await;
    let c = client(&server);
    let sign = c
        .call(SaveSign::new("Zeta", SignType::International).unwrap())
        .await
        .unwrap();
    assert_eq!(sign.sign_type, "国际短信");
    assert_eq!(c.call(ListSigns).await.unwrap().len(), 3);
    let label = c.call(SaveLabel::new("spring").unwrap()).await.unwrap();
    let id = LabelId::new(label.id).unwrap();
    assert_eq!(c.call(GetLabel(id)).await.unwrap().name, "spring");
    c.call(DeleteLabel(id)).await.unwrap();
    assert!(c.call(ListLabels::new()).await.unwrap().is_empty());
}
