//! The blocking client against the sandbox served on 127.0.0.1, over real HTTP.

use std::collections::HashMap;
use std::time::Duration;

use sendcloud_sandbox::server::{Fault, FaultRates};
use sendcloud_ureq::proto::*;
use sendcloud_ureq::{Client, Error};

use sendcloud_test_support::{served_sandbox as sandbox, ServedSandbox as Served};

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    }
}

fn client(s: &Served) -> Client {
    Client::builder("sandbox-user", "sandbox-key")
        .base_url(s.server.base_url())
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

#[test]
fn send_reaches_the_outbox() {
    let s = sandbox();
    let r = client(&s).send(code_send("13800000001", "4321")).unwrap();
    assert_eq!(r.success_count, 1);
    let outbox = s.server.sandbox().outbox().to_vec();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].text, "【Sandbox】Your code is 4321.");
    assert_eq!(outbox[0].sms_id, r.sms_ids[0]);
    assert!(outbox[0]
        .send_request_id
        .as_deref()
        .is_some_and(|id| id.starts_with("sc-")));
}

#[test]
fn sha256_signatures_are_accepted() {
    let s = sandbox();
    let c = Client::builder("sandbox-user", "sandbox-key")
        .base_url(s.server.base_url())
        .algorithm(SignatureAlgorithm::Sha256)
        .build()
        .unwrap();
    assert_eq!(
        c.send(code_send("13800000002", "1111"))
            .unwrap()
            .success_count,
        1
    );
}

#[test]
fn voice_code_and_time() {
    let s = sandbox();
    let c = client(&s);
    c.send_voice(
        SendVoice::new(
            Phone::parse("13800000003").unwrap(),
            VerificationCode::new("5678").unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    c.send_code(SendCode::new(
        Phone::parse("13800000004").unwrap(),
        VerificationCode::new("246810").unwrap(),
        SignRef::Id(SignId::new(1).unwrap()),
    ))
    .unwrap();
    let outbox = s.server.sandbox().outbox().to_vec();
    assert_eq!(outbox.len(), 2);
    assert!(outbox[0].text.contains("5678"));
    assert!(outbox[1].text.contains("246810"));
    let t = c.server_time().unwrap();
    assert!(
        t.0.as_millis()
            .abs_diff(sendcloud_ureq::local_now().as_millis())
            < 5_000
    );
}

#[test]
fn api_refusals_are_typed_errors() {
    let s = sandbox();
    let c = client(&s);
    let e = c
        .send(SendTemplate::new(
            TemplateId::new(4).unwrap(),
            Recipients::parse("13800000005").unwrap(),
        ))
        .unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::TemplateNotApproved));
    let wrong = Client::builder("nobody", "k")
        .base_url(s.server.base_url())
        .build()
        .unwrap();
    let e = wrong.send(code_send("13800000006", "1234")).unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::SmsUserNotFound));
    assert!(s.server.sandbox().outbox().is_empty());
}

#[test]
fn clock_skew_is_learned_on_461() {
    let s = sandbox();
    s.server.set_clock_skew_ms(-10 * 60_000);
    let c = client(&s);
    c.send(code_send("13800000008", "1234")).unwrap();
    let offset = c.clock_offset_ms();
    assert!(
        (-10 * 60_000 - 5_000..-10 * 60_000 + 5_000).contains(&offset),
        "{offset}"
    );
    c.send(code_send("13800000009", "1234")).unwrap();
    assert_eq!(s.server.sandbox().outbox().len(), 2);
    assert_eq!(s.server.fault_counts().requests, 4);
}

#[test]
fn plain_http_to_other_hosts_is_refused() {
    let e = Client::builder("u", "k")
        .base_url("http://10.1.2.3/smsapi")
        .build()
        .unwrap_err();
    assert!(
        matches!(e, Error::Config(ref m) if m.contains("plain http")),
        "{e}"
    );
    assert!(Client::builder("u", "k")
        .base_url("http://[::1]:9/smsapi")
        .build()
        .is_ok());
}

#[test]
fn a_dead_server_is_a_transport_error_not_a_hang() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/smsapi", dead.local_addr().unwrap());
    drop(dead);
    let c = Client::builder("u", "k")
        .base_url(url)
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        })
        .build()
        .unwrap();
    match c.send(code_send("13800000010", "1234")) {
        Err(Error::Transport { kind, .. }) => assert_eq!(kind, TransportFailure::Connect),
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_fault_is_survived_exactly_once() {
    let s = sandbox();
    let c = Client::builder("sandbox-user", "sandbox-key")
        .base_url(s.server.base_url())
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
        s.server.script_faults([fault]);
        let phone = format!("1390000000{i}");
        let r = c.send(code_send(&phone, "1234")).unwrap();
        if fault == Fault::DropAfter {
            assert!(r.already_accepted, "{fault:?}");
        }
        std::thread::sleep(Duration::from_millis(700));
        let n = s
            .server
            .sandbox()
            .outbox()
            .iter()
            .filter(|m| m.phone == phone)
            .count();
        assert_eq!(n, 1, "{fault:?}");
    }
}

#[test]
fn bulk_100k_with_faults_loses_nothing_and_sends_nothing_twice() {
    let s = sandbox();
    s.server.set_fault_rates(FaultRates {
        error_501: 0.07,
        drop_before: 0.07,
        drop_after: 0.07,
        delay: 0.05,
        delay_for: Duration::from_millis(1_500),
        seed: 11,
    });
    let c = Client::builder("sandbox-user", "sandbox-key")
        .base_url(s.server.base_url())
        .retry_policy(RetryPolicy {
            max_attempts: 12,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        })
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let n = 100_000u64;
    let mut vars = Vars::new();
    vars.insert("code", "8888").unwrap();
    let mut last_seen = 0;
    let report = c
        .send_bulk(
            BulkTemplate::new(TemplateId::new(1).unwrap()).with_vars(vars),
            "bulk-ureq",
            (0..n).map(|i| Phone::parse(&format!("13{i:09}")).unwrap()),
            |r| {
                assert!(r.recipients > last_seen);
                last_seen = r.recipients;
            },
        )
        .unwrap();
    assert!(report.all_accepted(), "{:?}", report.failed.first());
    assert_eq!(report.accepted, n);
    assert_eq!(last_seen, n);
    std::thread::sleep(Duration::from_millis(1_600));
    let counts = s.server.fault_counts();
    assert!(counts.faulted() * 5 >= counts.requests, "{counts:?}");
    let sandbox = s.server.sandbox();
    let mut seen: HashMap<&str, u32> = HashMap::new();
    for m in sandbox.outbox() {
        *seen.entry(m.phone.as_str()).or_default() += 1;
    }
    assert_eq!(seen.len() as u64, n);
    assert!(seen.values().all(|&k| k == 1));
}

#[test]
fn sends_go_through_a_configured_proxy() {
    let s = sandbox();
    let proxy = s
        .runtime
        .block_on(sendcloud_test_support::TunnelProxy::bind("127.0.0.1:0"))
        .unwrap();
    let c = Client::builder("sandbox-user", "sandbox-key")
        .base_url(s.server.base_url())
        .proxy(Some(proxy.url()))
        .build()
        .unwrap();
    c.send(code_send("13800000011", "1234")).unwrap();
    let tunnels = proxy.tunnels();
    assert_eq!(tunnels.len(), 1, "{tunnels:?}");
    assert_eq!(tunnels[0].0, s.server.addr().to_string());
    assert_eq!(s.server.sandbox().outbox().len(), 1);
}

#[test]
fn settings_never_show_the_key_or_the_proxy_password() {
    let builder = Client::builder("user", "the-sms-key")
        .proxy(Some("http://proxyuser:proxy-pw@proxy.example:3128".into()));
    let shown = format!("{builder:?}");
    assert!(shown.contains("proxy.example"), "{shown}");
    assert!(!shown.contains("the-sms-key"), "{shown}");
    assert!(!shown.contains("proxy-pw"), "{shown}");
    let client = builder.proxy(None).build().unwrap();
    assert!(!format!("{client:?}").contains("the-sms-key"));
}

/// What goes on the wire: exactly one Host header (the prepared request's; ureq adds none
/// of its own), the user agent and the Accept header.
#[test]
fn the_request_head_on_the_wire() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).unwrap();
            assert!(n > 0, "the client closed before a whole head");
            head.extend_from_slice(&buf[..n]);
        }
        let body =
            r#"{"result":true,"statusCode":200,"message":"ok","info":{"timestamp":1700000000000}}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).unwrap();
        String::from_utf8(head).unwrap().to_ascii_lowercase()
    });
    let c = Client::builder("sandbox-user", "sandbox-key")
        .base_url(format!("http://127.0.0.1:{port}/smsapi"))
        .build()
        .unwrap();
    assert_eq!(c.server_time().unwrap().0, Timestamp(1_700_000_000_000));
    let head = server.join().unwrap();
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
