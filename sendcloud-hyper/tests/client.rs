//! The async client against the sandbox served on 127.0.0.1, over real HTTP.

use std::collections::HashMap;
use std::time::Duration;

use sendcloud_hyper::proto::*;
use sendcloud_hyper::{Client, Error};
use sendcloud_sandbox::server::{Fault, FaultRates, SandboxServer};
use sendcloud_sandbox::{Sandbox, SandboxConfig};

async fn sandbox() -> SandboxServer {
    SandboxServer::bind("127.0.0.1:0", Sandbox::new(SandboxConfig::default()))
        .await
        .unwrap()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    }
}

fn client(server: &SandboxServer) -> Client {
    Client::builder("sandbox-user", "sandbox-key")
        .base_url(server.base_url())
        .retry_policy(fast_retries())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn code_send(phone: &str, code: &str) -> SendTemplate {
    let mut vars = Vars::new();
    vars.insert("code", code).unwrap();
    SendTemplate::new(
        TemplateId::new(1).unwrap(),
        Recipients::parse(phone).unwrap(),
    )
    .with_vars(vars)
}

#[tokio::test]
async fn send_reaches_the_outbox() {
    let server = sandbox().await;
    let c = client(&server);
    let r = c.send(code_send("13800000001", "4321")).await.unwrap();
    assert_eq!(r.success_count, 1);
    assert_eq!(r.sms_ids.len(), 1);
    let outbox = server.sandbox().outbox().to_vec();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].phone, "13800000001");
    assert_eq!(outbox[0].text, "【Sandbox】Your code is 4321.");
    assert_eq!(outbox[0].sms_id, r.sms_ids[0]);
    // The client filled in a sendRequestId, so that its retries are safe.
    assert!(outbox[0]
        .send_request_id
        .as_deref()
        .is_some_and(|id| id.starts_with("sc-")));
}

#[tokio::test]
async fn sha256_signatures_are_accepted() {
    let server = sandbox().await;
    let c = Client::builder("sandbox-user", "sandbox-key")
        .base_url(server.base_url())
        .algorithm(SignatureAlgorithm::Sha256)
        .build()
        .unwrap();
    assert_eq!(
        c.send(code_send("13800000002", "1111"))
            .await
            .unwrap()
            .success_count,
        1
    );
}

#[tokio::test]
async fn voice_code_and_time() {
    let server = sandbox().await;
    let c = client(&server);
    let v = c
        .send_voice(
            SendVoice::new(
                Phone::parse("13800000003").unwrap(),
                VerificationCode::new("5678").unwrap(),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(v.success_count, 1);
    let k = c
        .send_code(SendCode::new(
            Phone::parse("13800000004").unwrap(),
            VerificationCode::new("246810").unwrap(),
            SignRef::name("Acme").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(k.success_count, 1);
    let outbox = server.sandbox().outbox().to_vec();
    assert_eq!(outbox.len(), 2);
    assert!(outbox[0].text.contains("5678"));
    assert!(outbox[1].text.contains("246810"));
    let t = c.server_time().await.unwrap();
    let local = sendcloud_hyper::local_now();
    assert!(t.0.as_millis().abs_diff(local.as_millis()) < 5_000);
}

#[tokio::test]
async fn api_refusals_are_typed_errors() {
    let server = sandbox().await;
    let c = client(&server);
    let send = SendTemplate::new(
        TemplateId::new(999).unwrap(),
        Recipients::parse("13800000005").unwrap(),
    );
    match c.send(send).await {
        Err(Error::Proto(sendcloud_hyper::proto::Error::Api { status, .. })) => {
            assert_eq!(status, StatusCode::TemplateNotFound)
        }
        other => panic!("{other:?}"),
    }
    let wrong_key = Client::builder("sandbox-user", "not-the-key")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let e = wrong_key
        .send(code_send("13800000006", "1234"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::SignatureInvalid));
    assert!(!format!("{e} {e:?}").contains("not-the-key"));
    assert!(server.sandbox().outbox().is_empty());
}

#[tokio::test]
async fn partial_success_is_ok() {
    // One message a day per number: a second one to 13800000008 is refused (498) while
    // 13800000007 is accepted. (A malformed number never gets this far: the client
    // refuses it by the sandbox's own rule.)
    let config = SandboxConfig {
        per_day_limit: 1,
        ..SandboxConfig::default()
    };
    let server = SandboxServer::bind("127.0.0.1:0", Sandbox::new(config))
        .await
        .unwrap();
    let c = client(&server);
    c.send(code_send("13800000008", "1234")).await.unwrap();
    let recipients = Recipients::parse("13800000007,13800000008").unwrap();
    let mut vars = Vars::new();
    vars.insert("code", "1234").unwrap();
    let r = c
        .send(SendTemplate::new(TemplateId::new(1).unwrap(), recipients).with_vars(vars))
        .await
        .unwrap();
    assert_eq!(r.status, Some(StatusCode::PartialSuccess));
    assert_eq!(r.success_count, 1);
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].phone, "13800000008");
}

#[tokio::test]
async fn clock_skew_is_learned_on_461() {
    let server = sandbox().await;
    server.set_clock_skew_ms(10 * 60_000);
    let c = client(&server);
    let r = c.send(code_send("13800000008", "1234")).await.unwrap();
    assert_eq!(r.success_count, 1);
    let offset = c.clock_offset_ms();
    assert!(
        (10 * 60_000 - 5_000..10 * 60_000 + 5_000).contains(&offset),
        "{offset}"
    );
    // The offset is kept: the next send goes through at once.
    c.send(code_send("13800000009", "1234")).await.unwrap();
    assert_eq!(server.sandbox().outbox().len(), 2);
    assert_eq!(
        server.fault_counts().requests,
        4,
        "461, time, retry, second send"
    );
}

#[tokio::test]
async fn plain_http_to_other_hosts_is_refused() {
    let e = Client::builder("u", "k")
        .base_url("http://sendcloud.example/smsapi")
        .build()
        .unwrap_err();
    assert!(
        matches!(e, Error::Config(ref m) if m.contains("plain http")),
        "{e}"
    );
    assert!(Client::builder("u", "k")
        .base_url("http://sendcloud.example/smsapi")
        .allow_plain_http(true)
        .build()
        .is_ok());
    assert!(Client::builder("u", "k")
        .base_url("http://localhost:1/smsapi")
        .build()
        .is_ok());
}

#[tokio::test]
async fn each_fault_is_survived_exactly_once() {
    let server = sandbox().await;
    let c = Client::builder("sandbox-user", "sandbox-key")
        .base_url(server.base_url())
        .retry_policy(fast_retries())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let faults = [
        Fault::Error501,
        Fault::DropBefore,
        Fault::DropAfter,
        Fault::Delay(Duration::from_millis(600)),
    ];
    for (i, fault) in faults.into_iter().enumerate() {
        server.script_faults([fault]);
        let phone = format!("1390000000{i}");
        let r = c.send(code_send(&phone, "1234")).await.unwrap();
        if fault == Fault::DropAfter {
            // The first attempt went through; its retry was answered 400.
            assert!(r.already_accepted, "{fault:?}");
        }
        // A delayed request may still be in progress: give it time to land.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let n = server
            .sandbox()
            .outbox()
            .iter()
            .filter(|m| m.phone == phone)
            .count();
        assert_eq!(n, 1, "{fault:?}");
    }
    let counts = server.fault_counts();
    assert_eq!(
        (
            counts.error_501,
            counts.drop_before,
            counts.drop_after,
            counts.delay
        ),
        (1, 1, 1, 1)
    );
}

#[tokio::test]
async fn a_send_without_an_id_gets_one_so_a_lost_answer_is_retried_safely() {
    let server = sandbox().await;
    let c = client(&server);
    server.script_faults([Fault::DropAfter]);
    // The request as the caller built it has no id (the driver test shows such a send is
    // never retried once it may have gone out)...
    let send = code_send("13900000010", "1234");
    let core = c.core().clone();
    let req = core.prepare(&send, sendcloud_hyper::local_now()).unwrap();
    assert!(Form::decode(req.body()).get("sendRequestId").is_none());
    // Through the client, a send without an id gets one, and so is retried safely.
    let r = c.send(send).await.unwrap();
    assert!(r.already_accepted);
    assert_eq!(server.sandbox().outbox().len(), 1);
}

fn phones(n: u64) -> impl Iterator<Item = Phone> {
    (0..n).map(|i| Phone::parse(&format!("13{i:09}")).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_100k_with_faults_loses_nothing_and_sends_nothing_twice() {
    let server = sandbox().await;
    server.set_fault_rates(FaultRates {
        error_501: 0.07,
        drop_before: 0.07,
        drop_after: 0.07,
        delay: 0.05,
        delay_for: Duration::from_millis(1_500),
        seed: 7,
    });
    let c = Client::builder("sandbox-user", "sandbox-key")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy {
            max_attempts: 12,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        })
        .timeout(Duration::from_secs(1))
        .bulk_concurrency(4)
        .build()
        .unwrap();
    let n = 100_000u64;
    let mut updates = 0;
    let mut vars = Vars::new();
    vars.insert("code", "8888").unwrap();
    let report = c
        .send_bulk(
            BulkTemplate::new(TemplateId::new(1).unwrap()).with_vars(vars),
            "bulk-test",
            phones(n),
            |_| updates += 1,
        )
        .await
        .unwrap();
    assert!(report.all_accepted(), "{:?}", report.failed.first());
    assert_eq!(report.accepted, n);
    assert_eq!(report.recipients, n);
    assert_eq!(report.batches, 50);
    assert_eq!(updates, 50);
    // Let delayed requests still in the server land before counting.
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let counts = server.fault_counts();
    assert!(
        counts.faulted() * 5 >= counts.requests,
        "at least 20% of requests faulted: {counts:?}"
    );
    let sandbox = server.sandbox();
    let mut seen: HashMap<&str, u32> = HashMap::with_capacity(n as usize);
    for m in sandbox.outbox() {
        *seen.entry(m.phone.as_str()).or_default() += 1;
    }
    assert_eq!(seen.len() as u64, n, "every recipient is in the outbox");
    assert!(seen.values().all(|&k| k == 1), "and none twice");
}

#[tokio::test]
async fn sends_go_through_a_configured_proxy() {
    let server = sandbox().await;
    let proxy = sendcloud_test_support::TunnelProxy::bind("127.0.0.1:0")
        .await
        .unwrap();
    let proxy_url = proxy.url().replace("http://", "http://user:p%40ss@");
    let c = Client::builder("sandbox-user", "sandbox-key")
        .base_url(server.base_url())
        .proxy(Some(proxy_url))
        .build()
        .unwrap();
    c.send(code_send("13800000011", "1234")).await.unwrap();
    let tunnels = proxy.tunnels();
    assert_eq!(tunnels.len(), 1);
    assert_eq!(tunnels[0].0, server.addr().to_string());
    // user:p@ss
    assert_eq!(tunnels[0].1.as_deref(), Some("Basic dXNlcjpwQHNz"));
    assert_eq!(server.sandbox().outbox().len(), 1);
    let e = Client::builder("u", "k")
        .proxy(Some("socks5://nope".into()))
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
}

/// Collects what tracing writes, for the log test.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn traces_mask_phones_and_never_show_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            let server = sandbox().await;
            server.script_faults([Fault::Error501]);
            let c = client(&server);
            c.send(code_send("13812345678", "1234")).await.unwrap();
        })
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("sendcloud.request"), "{logs}");
    assert!(
        logs.contains("endpoint=\"send\"") || logs.contains("endpoint=send"),
        "{logs}"
    );
    assert!(logs.contains("attempt=2"), "the retry is traced: {logs}");
    assert!(
        logs.contains("status_code=501"),
        "the API status is traced: {logs}"
    );
    assert!(logs.contains("status_code=200"), "{logs}");
    assert!(logs.contains("latency_ms="), "{logs}");
    assert!(logs.contains("138******78"), "masked: {logs}");
    assert!(
        !logs.contains("13812345678"),
        "never the whole number: {logs}"
    );
    assert!(!logs.contains("sandbox-key"), "never the key: {logs}");
}

/// What goes on the wire: exactly one Host header with the right value, the user agent
/// and the Accept header. The client's prepared requests carry the Host themselves (so
/// hyper-util does not format one per request), and no second one is added.
#[tokio::test]
async fn the_request_head_on_the_wire() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "the client closed before a whole head");
            head.extend_from_slice(&buf[..n]);
        }
        let body =
            r#"{"result":true,"statusCode":200,"message":"ok","info":{"timestamp":1700000000000}}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.unwrap();
        String::from_utf8(head).unwrap().to_ascii_lowercase()
    });
    let c = Client::builder("sandbox-user", "sandbox-key")
        .base_url(format!("http://127.0.0.1:{port}/smsapi"))
        .build()
        .unwrap();
    let prepared = c.core().prepare(&GetServerTime, Timestamp(0)).unwrap();
    assert_eq!(
        prepared.headers()["host"],
        format!("127.0.0.1:{port}").as_str()
    );
    let t = c.server_time().await.unwrap();
    assert_eq!(t.0, Timestamp(1_700_000_000_000));
    let head = server.await.unwrap();
    assert!(
        head.starts_with("get /smsapi/timestamp/get http/1.1\r\n"),
        "{head}"
    );
    let lines: Vec<&str> = head.lines().collect();
    let hosts: Vec<&&str> = lines.iter().filter(|l| l.starts_with("host:")).collect();
    assert_eq!(
        hosts,
        [&format!("host: 127.0.0.1:{port}").as_str()],
        "{head}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("user-agent: sendcloud-rs/")),
        "{head}"
    );
    assert!(lines.contains(&"accept: application/json"), "{head}");
}
