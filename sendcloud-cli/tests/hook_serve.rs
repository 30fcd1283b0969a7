//! `sendcloud hook serve`, run as the built binary, with a real `redis-server` started on a
//! free port: a replay store shared by two receivers, Redis going away and coming back,
//! forwarding to an application, and a graceful stop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sendcloud_proto::hook::hook_signature;
use sendcloud_proto::Secret;
use sha2::Sha256;

mod common;
use common::Served;

const APP_KEY: &str = "hook-app-key";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `redis-server` on `port`, with no persistence; killed when dropped.
struct Redis {
    port: u16,
    child: Child,
}

impl Redis {
    /// None (after saying why) when redis-server is not installed, outside CI; in CI its
    /// absence fails the test.
    fn start_on(port: u16) -> Option<Redis> {
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("SKIPPED: redis-server cannot run here ({e}); .ci/run installs it");
                return None;
            }
            Err(e) => panic!("redis-server is needed in CI: {e}"),
        };
        let redis = Redis { port, child };
        let started = Instant::now();
        while !redis.answers() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(redis)
    }

    fn answers(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn stop(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `sendcloud hook serve` process and the lines it printed on stdout.
struct Receiver {
    child: Child,
    addr: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    fn start(extra: &[&str]) -> Receiver {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sendcloud"))
            .args([
                "hook",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--app-key",
                APP_KEY,
            ])
            .args(extra)
            .env_remove("SENDCLOUD_HOOK_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        err.read_line(&mut first).unwrap();
        let addr = first
            .trim()
            .strip_prefix("Receiving SendCloud's SMSHook posts at http://")
            .and_then(|a| a.strip_suffix('/'))
            .unwrap_or_else(|| panic!("{first:?}"))
            .to_owned();
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = err.read_to_string(&mut sink);
        });
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = BufReader::new(child.stdout.take().unwrap());
        let shared = lines.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                shared.lock().unwrap().push(line);
            }
        });
        Receiver { child, addr, lines }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits until `n` lines were printed (and a little longer, to see no more come).
    fn expect_lines(&self, n: usize) -> Vec<String> {
        let started = Instant::now();
        while self.lines().len() < n && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(150));
        let lines = self.lines();
        assert_eq!(lines.len(), n, "{lines:?}");
        lines
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed `deliver` post for `sms_id`, made now.
fn post_body(sms_id: &str, token: &str) -> String {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    let signature = hook_signature(&Secret::new(APP_KEY), &ts, token);
    format!(
        "event=deliver&smsId={}&phone=13800000000&token={token}&timestamp={ts}&signature={signature}",
        sms_id.replace('$', "%24")
    )
}

/// POSTs `body` to `addr` and returns the HTTP status.
fn post(addr: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"))
}

fn token(n: u32) -> String {
    format!("{n:0>50}")
}

#[test]
fn two_receivers_sharing_redis_accept_a_post_once() {
    let Some(redis) = Redis::start_on(free_port()) else {
        return;
    };
    let a = Receiver::start(&["--redis", &redis.url()]);
    let b = Receiver::start(&["--redis", &redis.url()]);
    let body = post_body("1_1_1_1_a$13800000000", &token(1));
    assert_eq!(post(&a.addr, &body), 200);
    let lines = a.expect_lines(1);
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(v["event"], "deliver");
    assert_eq!(v["sms_ids"][0], "1_1_1_1_a$13800000000");
    // The same post to the other receiver: a replay, answered 200, not printed.
    assert_eq!(post(&b.addr, &body), 200);
    b.expect_lines(0);
    assert_eq!(post(&a.addr, &body), 200);
    a.expect_lines(1);
    // Each receiver alone refuses a forgery.
    let forged = body.replace("signature=", "signature=0");
    assert_eq!(post(&b.addr, &forged), 401);
}

#[test]
fn without_redis_a_post_is_503_and_its_retry_is_accepted_once() {
    let Some(redis) = Redis::start_on(free_port()) else {
        return;
    };
    let r = Receiver::start(&["--redis", &redis.url()]);
    let port = redis.stop();
    let body = post_body("1_1_1_1_b$13800000000", &token(2));
    assert_eq!(post(&r.addr, &body), 503);
    r.expect_lines(0);

    let _redis = Redis::start_on(port).unwrap();
    // SendCloud's retry: the connection to Redis is made again.
    let started = Instant::now();
    let mut status = post(&r.addr, &body);
    while status == 503 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
        status = post(&r.addr, &body);
    }
    assert_eq!(status, 200);
    r.expect_lines(1);
    assert_eq!(post(&r.addr, &body), 200);
    r.expect_lines(1);
}

/// An application that answers forwarded events with `status` after `delay`, and keeps
/// what it received (body, signature header).
struct App {
    addr: String,
    status: Arc<Mutex<u16>>,
    received: Arc<Mutex<Vec<(String, String)>>>,
}

impl App {
    fn start(delay: Duration) -> App {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let status = Arc::new(Mutex::new(200));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (st, rec) = (status.clone(), received.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (st, rec) = (st.clone(), rec.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let (mut length, mut signature) = (0usize, String::new());
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        let (name, value) = line.split_once(':').unwrap_or((line, ""));
                        match name.to_ascii_lowercase().as_str() {
                            "content-length" => length = value.trim().parse().unwrap(),
                            "sendcloud-forward-signature" => signature = value.trim().to_owned(),
                            _ => {}
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    std::thread::sleep(delay);
                    rec.lock()
                        .unwrap()
                        .push((String::from_utf8(body).unwrap(), signature));
                    let code = *st.lock().unwrap();
                    let mut stream = stream;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                });
            }
        });
        App {
            addr,
            status,
            received,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/smshook", self.addr)
    }
}

/// Checks `t=<ms>,v1=<hex>` against the body.
fn signature_holds(secret: &str, body: &str, header: &str) -> bool {
    let Some((t, v1)) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&hex::decode(v1).unwrap_or_default())
        .is_ok()
}

#[test]
fn forwarded_events_are_signed_and_answered_only_after_the_app() {
    let app = App::start(Duration::ZERO);
    let r = Receiver::start(&["--forward-to", &app.url(), "--forward-secret", "fwd-secret"]);
    *app.status.lock().unwrap() = 500;
    let body = post_body("1_1_1_1_c$13800000000", &token(3));
    // The application refuses: SendCloud is told to retry, nothing is printed.
    assert_eq!(post(&r.addr, &body), 503);
    r.expect_lines(0);
    // SendCloud's retry, the application now accepts.
    *app.status.lock().unwrap() = 200;
    assert_eq!(post(&r.addr, &body), 200);
    let lines = r.expect_lines(1);
    let received = app.received.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    let (forwarded, signature) = &received[1];
    assert_eq!(forwarded, &lines[0]);
    assert!(
        signature_holds("fwd-secret", forwarded, signature),
        "{signature}"
    );
    assert!(!signature_holds("other", forwarded, signature));

    let o = Command::new(env!("CARGO_BIN_EXE_sendcloud"))
        .args([
            "hook",
            "serve",
            "--app-key",
            "k",
            "--forward-to",
            "http://x/",
        ])
        .env_remove("SENDCLOUD_FORWARD_SECRET")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_store_failure_between_claim_and_outcome_loses_nothing() {
    // The app fails slowly; Redis goes away while it does, so the claim cannot be
    // released. SendCloud's retry, once Redis is back, is still handled: at least once.
    let Some(redis) = Redis::start_on(free_port()) else {
        return;
    };
    let app = App::start(Duration::from_millis(600));
    *app.status.lock().unwrap() = 500;
    let r = Receiver::start(&[
        "--redis",
        &redis.url(),
        "--forward-to",
        &app.url(),
        "--forward-secret",
        "s",
    ]);
    let body = post_body("1_1_1_1_d$13800000000", &token(4));
    let addr = r.addr.clone();
    let b = body.clone();
    let first = std::thread::spawn(move || post(&addr, &b));
    std::thread::sleep(Duration::from_millis(200));
    let port = redis.stop();
    assert_eq!(first.join().unwrap(), 503);
    r.expect_lines(0);

    let _redis = Redis::start_on(port).unwrap();
    *app.status.lock().unwrap() = 200;
    let started = Instant::now();
    let mut status = post(&r.addr, &body);
    while status == 503 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
        status = post(&r.addr, &body);
    }
    assert_eq!(status, 200);
    r.expect_lines(1);
}

#[test]
fn sigterm_answers_the_posts_in_progress() {
    let app = App::start(Duration::from_millis(700));
    let mut r = Receiver::start(&["--forward-to", &app.url(), "--forward-secret", "s"]);
    let addr = r.addr.clone();
    let body = post_body("1_1_1_1_e$13800000000", &token(5));
    let in_progress = std::thread::spawn(move || post(&addr, &body));
    std::thread::sleep(Duration::from_millis(250));
    let killed = Command::new("kill")
        .args(["-TERM", &r.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(in_progress.join().unwrap(), 200);
    let status = r.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    r.expect_lines(1);
    assert_eq!(app.received.lock().unwrap().len(), 1);
    // Stopped: nothing listens any more.
    assert!(TcpStream::connect(&r.addr).is_err());
}

#[test]
fn a_sandbox_posting_to_two_receivers_has_each_event_printed_once() {
    let Some(redis) = Redis::start_on(free_port()) else {
        return;
    };
    let a = Receiver::start(&["--redis", &redis.url()]);
    let b = Receiver::start(&["--redis", &redis.url()]);
    let url_a = format!("http://{}/", a.addr);
    let url_b = format!("http://{}/", b.addr);
    let sandbox = Served::start(&[
        "--account",
        "me:my-key",
        "--hook-url",
        &url_a,
        "--hook-url",
        &url_b,
        "--hook-app-key",
        APP_KEY,
    ]);
    let o = sandbox.send(
        "my-key",
        &[
            "send",
            "--template",
            "1",
            "--to",
            "13800000001,13800000002",
            "--var",
            "code=1",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // One request event and one deliver event per number, each reaching both receivers.
    let started = Instant::now();
    while a.lines().len() + b.lines().len() < 3 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut all = a.lines();
    all.extend(b.lines());
    let events: Vec<serde_json::Value> = all
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut tokens: Vec<&str> = events
        .iter()
        .map(|e| e["token"].as_str().unwrap())
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    assert_eq!(
        tokens.len(),
        events.len(),
        "an event printed twice: {all:?}"
    );
    let mut kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["deliver", "deliver", "request"], "{all:?}");
}
