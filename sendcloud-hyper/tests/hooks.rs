//! SMSHook end to end over real HTTP: sends through the client to the served sandbox, which
//! posts signed events to a receiver; each event arrives exactly once and matches the outbox.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sendcloud_hyper::hook::HookReceiver;
use sendcloud_hyper::proto::hook::{DeliveryTracker, HookEvent, HookVerifier};
use sendcloud_hyper::proto::DeliveryState;
use sendcloud_hyper::proto::*;
use sendcloud_hyper::Client;
use sendcloud_sandbox::server::SandboxServer;
use sendcloud_sandbox::{DeliveryOutcome, Sandbox, SandboxConfig, DEFAULT_HOOK_APP_KEY};

type Seen = Arc<Mutex<Vec<HookEvent>>>;

/// A receiver whose handler fails its first `fail_first` calls (so the sandbox must retry),
/// then records every event it is given.
async fn receiver(fail_first: u32) -> (String, Seen, Arc<AtomicU32>) {
    let seen: Seen = Arc::default();
    let calls = Arc::new(AtomicU32::new(0));
    let verifier = HookVerifier::new(vec![
        Secret::new("an-old-rotated-key"),
        Secret::new(DEFAULT_HOOK_APP_KEY),
    ])
    .unwrap();
    let (seen2, calls2) = (seen.clone(), calls.clone());
    let receiver = HookReceiver::new(verifier, move |event: HookEvent| {
        let (seen, calls) = (seen2.clone(), calls2.clone());
        async move {
            if calls.fetch_add(1, Ordering::SeqCst) < fail_first {
                return Err("the database is down".into());
            }
            seen.lock().unwrap().push(event);
            Ok(())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/smshook", listener.local_addr().unwrap());
    tokio::spawn(sendcloud_hyper::hook::serve(listener, receiver));
    (url, seen, calls)
}

async fn wait_for(seen: &Seen, n: usize) {
    for _ in 0..500 {
        if seen.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("only {} of {n} events arrived", seen.lock().unwrap().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_and_failed_events_arrive_once_each_and_match_the_outbox() {
    let (url, seen, calls) = receiver(2).await;
    let server = SandboxServer::bind("127.0.0.1:0", Sandbox::new(SandboxConfig::default()))
        .await
        .unwrap();
    server.deliver_hooks(&url, vec![Duration::from_millis(30); 5]);
    let client = Client::builder("sandbox-user", "sandbox-key")
        .base_url(server.base_url())
        .build()
        .unwrap();
    // Delivered, and each failure rule of the sandbox.
    let phones = "13800000001,13800000099,13800000098,13800000097,13800000096,13800000002";
    let mut vars = Vars::new();
    vars.insert("code", "1234").unwrap();
    let receipt = client
        .send(
            SendTemplate::new(
                TemplateId::new(1).unwrap(),
                Recipients::parse(phones).unwrap(),
            )
            .with_vars(vars),
        )
        .await
        .unwrap();
    assert_eq!(receipt.success_count, 6);
    client
        .send_voice(
            SendVoice::new(
                Phone::parse("13800000003").unwrap(),
                VerificationCode::new("9876").unwrap(),
            )
            .unwrap(),
        )
        .await
        .unwrap();

    wait_for(&seen, 7).await;
    // Give a stray duplicate the time it would need to show up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events = seen.lock().unwrap().clone();
    assert_eq!(events.len(), 7, "exactly once each");
    assert!(
        calls.load(Ordering::SeqCst) >= 9,
        "the two failed calls were retried"
    );

    let outbox = server.sandbox().outbox().to_vec();
    let mut by_id: HashMap<String, &HookEvent> = HashMap::new();
    for e in &events {
        let id = e.sms_ids()[0].to_owned();
        assert!(by_id.insert(id, e).is_none(), "one event per smsId");
    }
    let mut tracker = DeliveryTracker::new();
    for e in &events {
        tracker.apply(e);
    }
    for m in &outbox {
        let event = by_id.get(&m.sms_id).expect("an event for every message");
        assert_eq!(event.event_name(), m.outcome.event(), "{}", m.phone);
        let state = &tracker.status(&m.sms_id).unwrap().state;
        match m.outcome {
            DeliveryOutcome::Delivered => assert_eq!(*state, DeliveryState::Delivered),
            DeliveryOutcome::WorkerError(code) => {
                assert_eq!(*state, DeliveryState::ProcessingFailed(Some(code)));
                assert_eq!(event.status(), Some(code));
            }
            DeliveryOutcome::DeliverError(code) => {
                assert_eq!(*state, DeliveryState::DeliveryFailed(Some(code)));
                assert_eq!(event.status(), Some(code));
            }
        }
    }
    let stats = server.hook_delivery_stats();
    assert_eq!(stats.delivered, 7);
    assert_eq!(stats.failed_attempts, 2);
    assert_eq!(stats.given_up, 0);
}

async fn post(url: &str, content_type: &str, body: String) -> u16 {
    let client: hyper_util::client::legacy::Client<_, http_body_util::Full<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let req = http::Request::post(url)
        .header("content-type", content_type)
        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
        .unwrap();
    client.request(req).await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_refuses_bad_posts_and_ignores_replays() {
    let (url, seen, _) = receiver(0).await;
    let now = sendcloud_hyper::local_now();
    let key = Secret::new(DEFAULT_HOOK_APP_KEY);
    let fields = [
        ("event", "deliver"),
        ("smsId", "1_2_3_4_x$13800000000"),
        ("phone", "13800000000"),
    ];
    let good = HookEvent::signed_form_body(&key, "t".repeat(50).as_str(), now, fields);
    let form = "application/x-www-form-urlencoded";

    assert_eq!(post(&url, form, good.clone()).await, 200);
    assert_eq!(
        post(&url, form, good.clone()).await,
        200,
        "a replay is acknowledged"
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "but not handed over twice");

    let forged = HookEvent::signed_form_body(&Secret::new("guess"), &"u".repeat(50), now, fields);
    assert_eq!(post(&url, form, forged).await, 401);
    let stale =
        HookEvent::signed_form_body(&key, &"v".repeat(50), Timestamp(now.0 - 3_600_000), fields);
    assert_eq!(post(&url, form, stale).await, 401);
    assert_eq!(post(&url, form, "token=abc".into()).await, 400);
    assert_eq!(post(&url, form, "x=".repeat(100_000)).await, 413);
    let json = HookEvent::signed_json_body(&key, &"w".repeat(50), now, fields);
    assert_eq!(post(&url, "application/json", json).await, 200);
    assert_eq!(seen.lock().unwrap().len(), 2);
}
