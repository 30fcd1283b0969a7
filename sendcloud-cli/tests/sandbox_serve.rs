//! `sendcloud sandbox` as a user runs it: hook delivery to a receiver, faults under a
//! bulk send, clock skew, the sample configuration, and the JSON API over HTTP.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use sendcloud_proto::hook::{HookEvent, HookVerifier};
use sendcloud_proto::{Secret, Timestamp};
use serde_json::Value;

/// One post the receiver got: its form body.
type Posts = Arc<Mutex<Vec<String>>>;

/// A hook receiver on 127.0.0.1 that answers 500 to the first post of each token and 200
/// to the rest, recording every post.
fn receiver() -> (String, Posts) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/smshook", listener.local_addr().unwrap());
    let posts: Posts = Arc::default();
    let seen = posts.clone();
    std::thread::spawn(move || {
        let mut tokens: HashMap<String, u32> = HashMap::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let body = String::from_utf8_lossy(&body).into_owned();
            let token = form(&body).remove("token").unwrap_or_default();
            let n = tokens.entry(token).or_default();
            *n += 1;
            let status = if *n == 1 {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            seen.lock().unwrap().push(body);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, posts)
}

fn form(body: &str) -> BTreeMap<String, String> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn hook_events_are_signed_posted_to_each_url_and_retried_after_a_500() {
    let (url_a, posts_a) = receiver();
    let (url_b, posts_b) = receiver();
    let served = Served::start(&[
        "--account",
        "me:k",
        "--hook-url",
        &url_a,
        "--hook-url",
        &url_b,
        "--hook-app-key",
        "my-app-key",
    ]);
    assert!(
        !served.info.to_string().contains("my-app-key"),
        "the app key is never printed"
    );
    let o = served.send(
        "k",
        &[
            "send",
            "--template",
            "1",
            "--to",
            "13800000001,13800000099",
            "--var",
            "code=4321",
            "--request-id",
            "hooks-1",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = served.send("k", &["voice", "--to", "13800000002", "--code", "5678"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let stored = served.all_messages("");
    assert_eq!(stored.len(), 3);
    let sms_ids: Vec<String> = stored
        .iter()
        .map(|m| m["smsId"].as_str().unwrap().to_owned())
        .collect();

    // Two requests (request events) and three messages: five events, each posted twice
    // to each receiver (a 500, then the retry).
    for posts in [&posts_a, &posts_b] {
        wait_for("every event delivered after a retry", || {
            posts.lock().unwrap().len() >= 10
        });
    }
    let verifier = HookVerifier::new(vec![Secret::new("my-app-key")]).unwrap();
    let wrong = HookVerifier::new(vec![Secret::new("sandbox-hook-key")]).unwrap();
    for posts in [&posts_a, &posts_b] {
        let posts = posts.lock().unwrap().clone();
        assert_eq!(posts.len(), 10, "no more than one retry each: {posts:#?}");
        let mut per_token: HashMap<String, u32> = HashMap::new();
        let mut per_message: HashMap<String, Vec<String>> = HashMap::new();
        for body in &posts {
            let now = Timestamp::from_system_time(std::time::SystemTime::now());
            // A fresh replay guard for each: the retry repeats the token on purpose.
            let mut guard = verifier.replay_guard(100);
            let event: HookEvent = verifier
                .verify_and_parse(
                    Some("application/x-www-form-urlencoded"),
                    body.as_bytes(),
                    now,
                    &mut guard,
                )
                .unwrap_or_else(|e| panic!("{e}: {body}"));
            assert!(wrong
                .verify_and_parse(None, body.as_bytes(), now, &mut wrong.replay_guard(10))
                .is_err());
            *per_token.entry(form(body)["token"].clone()).or_default() += 1;
            for id in event.sms_ids() {
                per_message
                    .entry(id.to_owned())
                    .or_default()
                    .push(event.event_name().to_owned());
            }
        }
        assert_eq!(per_token.len(), 5);
        assert!(per_token.values().all(|&n| n == 2), "{per_token:?}");
        for id in &sms_ids {
            let events = &per_message[id];
            assert!(events.contains(&"request".to_owned()), "{id}: {events:?}");
            let outcome = if id.ends_with("99") {
                "delivererror"
            } else {
                "deliver"
            };
            assert!(events.contains(&outcome.to_owned()), "{id}: {events:?}");
        }
    }

    // The log says the same: a failed attempt, then a delivered one, for each event and URL.
    wait_for("the log to show every attempt", || {
        served.api("/api/hooks?limit=1000")["attempts"]
            .as_array()
            .unwrap()
            .len()
            >= 20
    });
    let hooks = served.api("/api/hooks?limit=1000");
    assert_eq!(hooks["delivered"], 10);
    assert_eq!(hooks["failedAttempts"], 10);
    assert_eq!(hooks["urls"].as_array().unwrap().len(), 2);
    let detail = served.api(&format!("/api/messages/{}", sms_ids[0].replace('$', "%24")));
    let attempts = detail["hookAttempts"].as_array().unwrap();
    assert!(
        attempts
            .iter()
            .any(|a| a["result"] == "failed" && a["httpStatus"] == 500),
        "{detail}"
    );
    assert!(
        attempts
            .iter()
            .any(|a| a["result"] == "delivered" && a["attempt"] == 2),
        "{detail}"
    );
}

#[test]
fn bulk_under_faults_reaches_every_recipient_exactly_once() {
    let served = Served::start(&[
        "--account",
        "me:k",
        "--fault",
        "501=0.1",
        "--fault",
        "drop-after=0.1",
        "--fault-seed",
        "7",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    // 40 codes: 40 variable groups, so 40 requests meet the faults.
    let mut csv = String::from("phone,code\n");
    let phones: Vec<String> = (0..2_000).map(|i| format!("1390000{i:04}")).collect();
    for (i, p) in phones.iter().enumerate() {
        csv.push_str(&format!("{p},{}\n", 1000 + i % 40));
    }
    std::fs::write(&list, csv).unwrap();
    let o = served.send(
        "k",
        &[
            "--json",
            "bulk",
            "--template",
            "1",
            "--recipients",
            list.to_str().unwrap(),
            "--request-id",
            "faulty",
        ],
    );
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    let faults = served.api("/api/faults");
    assert!(faults["counts"]["501"].as_u64().unwrap() > 0, "{faults}");
    assert!(
        faults["counts"]["drop-after"].as_u64().unwrap() > 0,
        "{faults}"
    );

    let stored = served.all_messages("");
    let mut count: HashMap<&str, u32> = HashMap::new();
    for m in &stored {
        *count.entry(m["phone"].as_str().unwrap()).or_default() += 1;
    }
    for p in &phones {
        assert_eq!(count.get(p.as_str()), Some(&1), "{p}");
    }
    assert_eq!(stored.len(), phones.len());
    // And one by one, through the phone filter.
    for p in phones.iter().step_by(97) {
        let found = served.all_messages(&format!("phone={p}"));
        assert_eq!(found.len(), 1, "{p}");
    }
}

#[test]
fn clock_skew_makes_clients_resynchronise() {
    let served = Served::start(&["--account", "me:k", "--clock-skew-ms", "-600000"]);
    let o = served.send("k", &["--json", "time"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let offset = json(&o)["offset_ms"].as_i64().unwrap();
    assert!(
        (offset + 600_000).abs() < 5_000,
        "the offset is about -600000 ms: {offset}"
    );
    // A send meets the 461, learns the offset and goes through.
    let o = served.send(
        "k",
        &[
            "-v",
            "send",
            "--template",
            "1",
            "--to",
            "13800000001",
            "--var",
            "code=1111",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("461"), "{}", stderr(&o));
}

#[test]
fn the_sample_configuration_loads_and_every_flag_is_checked() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sandbox.example.toml");
    let served = Served::start(&["--config", sample]);
    assert_eq!(served.info["max_messages"], 10_000);
    assert_eq!(served.info["templates"].as_array().unwrap().len(), 4);
    let faults = served.api("/api/faults");
    assert_eq!(faults["rates"]["seed"], 1_592_639_757u64);
    for bad in [
        &["--fault", "502=0.1"][..],
        &["--fault", "501=2"],
        &["--fault", "delay=0.1"],
        &["--hook-url", "ftp://x/"],
        &["--max-messages", "0"],
        &["--header-read-timeout", "soon"],
        &["--hook-app-key", ""],
    ] {
        let o = cmd()
            .args(["sandbox", "--listen", "127.0.0.1:0"])
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(code(&o), 2, "{bad:?}: {}", stderr(&o));
    }
}

#[test]
fn the_json_api_filters_pages_deletes_and_changes_faults() {
    let served = Served::start(&["--account", "me:k", "--max-messages", "5"]);
    for i in 0..7 {
        let o = served.send(
            "k",
            &[
                "send",
                "--template",
                "1",
                "--to",
                &format!("1380000000{i}"),
                "--var",
                &format!("code={}", 1000 + i),
                "--request-id",
                &format!("api-{i}"),
                "--tag",
                r#"{"run":"api"}"#,
            ],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    // At most five kept, the newest first.
    let all = served.api("/api/messages");
    assert_eq!(all["total"], 5);
    assert_eq!(all["messages"][0]["phone"], "13800000006");
    assert_eq!(
        served.api("/api/messages?phone=13800000000")["total"],
        0,
        "dropped"
    );
    let one = served.api("/api/messages?phone=13800000004");
    assert_eq!(one["total"], 1);
    let id = one["messages"][0]["smsId"].as_str().unwrap();
    assert_eq!(
        served.api(&format!("/api/messages?smsId={}", id.replace('$', "%24")))["total"],
        1
    );
    assert_eq!(served.api("/api/messages?template=1")["total"], 5);
    assert_eq!(served.api("/api/messages?template=2")["total"], 0);
    assert_eq!(served.api("/api/messages?q=code%20is%201005")["total"], 1);
    let page = served.api("/api/messages?limit=2&offset=2");
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_offset"], 4);
    assert_eq!(served.api("/api/messages?since=99999999999999")["total"], 0);
    let (status, _) = served.http("GET", "/api/messages?limit=x", "");
    assert_eq!(status, 400);

    let detail = served.api(&format!("/api/messages/{}", id.replace('$', "%24")));
    assert_eq!(detail["sendRequestId"], "api-4");
    assert_eq!(detail["tag"], r#"{"run":"api"}"#);
    let vars = detail["vars"].to_string();
    assert!(
        vars.contains("code") && vars.contains("\"1004\""),
        "the vars as sent: {vars}"
    );
    assert_eq!(detail["text"], "【Sandbox】Your code is 1004.");
    assert_eq!(detail["templateId"], 1);
    assert_eq!(detail["statusCode"], 200);
    assert_eq!(detail["events"][0]["event"], "deliver");
    let (status, _) = served.http("GET", "/api/messages/nope", "");
    assert_eq!(status, 404);

    let (status, body) = served.http("PUT", "/api/faults", r#"{"501": 1}"#);
    assert_eq!(status, 200, "{body}");
    let o = served.send(
        "k",
        &[
            "send",
            "--template",
            "1",
            "--to",
            "13800000009",
            "--var",
            "code=1",
        ],
    );
    assert_ne!(code(&o), 0, "every call answers 501 now");
    let (status, _) = served.http("PUT", "/api/faults", r#"{"501": 0}"#);
    assert_eq!(status, 200);
    let (status, _) = served.http("PUT", "/api/faults", r#"{"501": 7}"#);
    assert_eq!(status, 400);
    let (status, _) = served.http("PUT", "/api/faults", "not json");
    assert_eq!(status, 400);

    let (status, body) = served.http("DELETE", "/api/messages", "");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["deleted"], 5);
    assert_eq!(served.api("/api/messages")["total"], 0);
    // /outbox.json keeps working.
    let (status, body) = served.http("GET", "/outbox.json", "");
    assert_eq!((status, body.as_str()), (200, "[]"));
}
