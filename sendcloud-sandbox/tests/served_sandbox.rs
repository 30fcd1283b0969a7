//! The sandbox served over HTTP: the API under the real paths, the outbox as JSON and as a
//! page a browser renders, and each injected fault seen from a plain HTTP client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sendcloud_hyper::proto::*;
use sendcloud_hyper::Client;
use sendcloud_sandbox::server::{Fault, SandboxServer};
use sendcloud_sandbox::{Sandbox, SandboxConfig};

async fn served() -> SandboxServer {
    SandboxServer::bind("127.0.0.1:0", Sandbox::new(SandboxConfig::default()))
        .await
        .unwrap()
}

fn client(server: &SandboxServer) -> Client {
    Client::builder("sandbox-user", "sandbox-key")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap()
}

fn order_send(phone: &str, name: &str, order: &str) -> SendTemplate {
    let mut vars = Vars::new();
    vars.insert("name", name).unwrap();
    vars.insert("order", order).unwrap();
    SendTemplate::new(
        TemplateId::new(2).unwrap(),
        Recipients::parse(phone).unwrap(),
    )
    .with_vars(vars)
}

/// A plain HTTP/1.1 exchange on a fresh connection: (status line, body), or the I/O error.
fn raw_http(addr: std::net::SocketAddr, request: &str) -> std::io::Result<(String, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(request.as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Ok((
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    ))
}

fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    raw_http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_is_read_back_from_the_outbox_json() {
    let server = served().await;
    let receipt = client(&server)
        .send(order_send("13800000001", "Lucy", "A-42"))
        .await
        .unwrap();
    let addr = server.addr();
    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/outbox.json"))
        .await
        .unwrap();
    assert!(status.contains("200"), "{status}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let first = &json.as_array().unwrap()[0];
    assert_eq!(first["phone"], "13800000001");
    assert_eq!(first["smsId"], receipt.sms_ids[0].as_str());
    assert_eq!(
        first["text"],
        "【Sandbox】Hello Lucy, your order A-42 has shipped."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_client_needs_only_the_base_url() {
    // A request built by hand (no client library), to the real path.
    let server = served().await;
    let addr = server.addr();
    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/smsapi/timestamp/get"))
        .await
        .unwrap();
    assert!(status.contains("200"));
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["statusCode"], 200);
    assert!(json["info"]["timestamp"].as_u64().unwrap() > 1_600_000_000_000);
    let (status, _) = tokio::task::spawn_blocking(move || get(addr, "/nowhere"))
        .await
        .unwrap();
    assert!(status.contains("404"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_as_a_plain_client_sees_it() {
    let server = served().await;
    let addr = server.addr();
    let exchange =
        move || {
            raw_http(
        addr,
        &format!("GET /smsapi/timestamp/get HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
        };
    // 501, without processing.
    server.script_faults([Fault::Error501]);
    let (_, body) = tokio::task::spawn_blocking(exchange)
        .await
        .unwrap()
        .unwrap();
    assert!(body.contains("\"statusCode\":501"), "{body}");
    // Dropped before: no answer at all, and nothing processed.
    server.script_faults([Fault::DropBefore]);
    let r = tokio::task::spawn_blocking(exchange).await.unwrap();
    assert!(
        matches!(&r, Ok((s, _)) if s.is_empty()) || r.is_err(),
        "{r:?}"
    );
    // Dropped after: processed (it is in the outbox) but the answer is lost.
    server.script_faults([Fault::DropAfter]);
    let c = client(&server);
    let e = c
        .send(order_send("13800000002", "Ann", "B-1"))
        .await
        .unwrap_err();
    assert!(matches!(e, sendcloud_hyper::Error::Transport { .. }), "{e}");
    assert_eq!(server.sandbox().outbox().len(), 1);
    // Delayed: the answer comes, late.
    server.script_faults([Fault::Delay(Duration::from_millis(400))]);
    let started = std::time::Instant::now();
    let (_, body) = tokio::task::spawn_blocking(exchange)
        .await
        .unwrap()
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(body.contains("\"statusCode\":200"));
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

fn chromium() -> Option<std::path::PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(std::path::PathBuf::from)
    .find(|p| p.exists())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_page_shows_the_message_in_a_browser() {
    let Some(browser) = chromium() else {
        // CI installs Chromium (.ci/run) and must run this test; a developer machine
        // without it skips it, saying so.
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required in CI: install Debian's chromium package"
        );
        eprintln!("skipped: no Chromium here (apt-get install chromium)");
        return;
    };
    let server = served().await;
    client(&server)
        .send(order_send("13800000003", "<Zoë & Co>", "C-7"))
        .await
        .unwrap();
    let url = server.page_url();
    let profile = std::env::temp_dir().join(format!("sendcloud-chromium-{}", std::process::id()));
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(url)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    // The browser parsed the escaped text back into what the phone shows.
    assert!(
        dom.contains("Hello &lt;Zoë &amp; Co&gt;, your order C-7 has shipped."),
        "status {:?}, stderr {}, dom {dom}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dom.contains("13800000003"));
}
