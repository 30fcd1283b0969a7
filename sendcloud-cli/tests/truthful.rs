//! The command line keeps what the user gave, says only what is true, and never panics:
//! each test runs the built binary, against the built-in sandbox or a served one.

use std::process::{Output, Stdio};

mod common;
use common::*;

/// The served sandbox with an account `me` / `my-key`.
fn served() -> Served {
    Served::start(&["--account", "me:my-key"])
}

fn json_ok(s: &Served, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let o = s.send("my-key", &all);
    assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    json(&o)
}

#[test]
fn a_variable_given_twice_is_a_usage_error() {
    let o = run(&[
        "send",
        "--template",
        "1",
        "--to",
        "13800000000",
        "--var",
        "code=1",
        "--var",
        "code=2",
    ]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("--var code is given twice"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty(), "nothing was sent: {}", stdout(&o));
}

#[test]
fn an_update_keeps_what_was_not_given() {
    let s = served();
    let v = json_ok(
        &s,
        &[
            "templates",
            "add",
            "--name",
            "promo",
            "--text",
            "Sale on %item%",
            "--sign",
            "Acme",
            "--type",
            "marketing",
            "--suffix",
        ],
    );
    let id = v["id"].as_u64().unwrap().to_string();

    // Only the name changes: the type, the sign and its place stay.
    json_ok(&s, &["templates", "update", &id, "--name", "promo-2"]);
    let t = &json_ok(&s, &["templates", "get", &id])["template"];
    assert_eq!(t["name"], "promo-2");
    assert_eq!(t["sms_type"], "营销", "{t}");
    assert_eq!(t["content"], "Sale on %item%【Acme】");

    // The text alone.
    json_ok(&s, &["templates", "update", &id, "--text", "Sale: %item%"]);
    let t = &json_ok(&s, &["templates", "get", &id])["template"];
    assert_eq!(t["content"], "Sale: %item%【Acme】");
    assert_eq!(t["sms_type"], "营销");

    // The sign moves in front only when asked.
    json_ok(
        &s,
        &["templates", "update", &id, "--prefix", "--sign", "Sandbox"],
    );
    let t = &json_ok(&s, &["templates", "get", &id])["template"];
    assert_eq!(t["content"], "【Sandbox】Sale: %item%");
    assert_eq!(t["name"], "promo-2");

    let o = s.send("my-key", &["templates", "update", &id, "--type", "spam"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("--type"), "{}", stderr(&o));
}

#[test]
fn doctor_finds_a_wrong_key() {
    let s = served();
    let o = s.send("not-my-key", &["doctor"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("the key is wrong"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("No problem found"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("not-my-key"));

    let o = s.send("not-my-key", &["doctor", "--json"]);
    let v = json(&o);
    assert_eq!(v["ok"], false);
    let sig = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "signature")
        .unwrap();
    assert_eq!(sig["status"], "fail");

    let o = s.send("my-key", &["doctor"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("accepted the signature"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn status_dates_are_since_and_until() {
    let s = served();
    let o = s.send(
        "my-key",
        &[
            "send",
            "--template",
            "1",
            "--to",
            "13800000000",
            "--var",
            "code=1",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let today = json_ok(&s, &["time"])["utc"].as_str().unwrap()[..10].to_owned();
    let v = json_ok(&s, &["status", "--since", &today, "--until", &today]);
    assert_eq!(v["total"], 1);
    // The old names still work, hidden.
    let v = json_ok(&s, &["status", "--from", &today, "--to", &today]);
    assert_eq!(v["total"], 1);
    let help = stdout(&run(&["status", "--help"]));
    assert!(
        help.contains("--since") && help.contains("--until"),
        "{help}"
    );
    assert!(
        !help.contains("--from") && !help.contains("--to "),
        "{help}"
    );
    let o = run(&["status", "--since", "2024-02-30", "--until", "2024-03-01"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--since"), "{}", stderr(&o));
}

#[test]
fn usage_errors_under_json_are_json() {
    for args in [
        &["send", "--template", "x", "--to", "13800000000", "--json"][..],
        &["--json", "frobnicate"],
        &["status", "--json", "--since", "2024-01-01"],
    ] {
        let o = run(args);
        assert_eq!(code(&o), 2, "{args:?}");
        let v = json(&o);
        assert_eq!(v["ok"], false, "{args:?}");
        assert_eq!(v["exit_code"], 2);
        assert!(
            !v["error"]["message"].as_str().unwrap().is_empty(),
            "{args:?}: {v}"
        );
    }
    // Help is not an error, and prints no JSON.
    let o = run(&["--json", "--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("Usage"));
}

#[test]
fn sign_needs_parameters() {
    let o = cmd()
        .args(["sign"])
        .env("SENDCLOUD_SMS_KEY", "k")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(!stdout(&o).contains("signature"), "{}", stdout(&o));
}

#[test]
fn the_built_in_sandbox_says_it_forgets() {
    let o = run(&[
        "send",
        "--template",
        "1",
        "--to",
        "13800000000",
        "--var",
        "code=1",
    ]);
    assert_eq!(code(&o), 0);
    let o = run(&["status"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("No messages match"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("starts empty on every run"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    for args in [&["explain", "200"][..], &["--help"], &["time"]] {
        // The read end is closed before the command starts: its first write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = cmd()
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn advice_fits_the_mistake() {
    // An SMS template sent as MMS, and an MMS template sent as SMS.
    let o = run(&[
        "send",
        "--template",
        "1",
        "--to",
        "13800000000",
        "--mms",
        "--var",
        "code=1",
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("leave out --mms"), "{}", stderr(&o));
    let o = run(&[
        "send",
        "--template",
        "3",
        "--to",
        "13800000000",
        "--var",
        "name=A",
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("add --mms"), "{}", stderr(&o));

    // Nothing listens: no claim that the request may have arrived.
    let o = cmd()
        .args([
            "send",
            "--template",
            "1",
            "--to",
            "13800000000",
            "--var",
            "code=1",
        ])
        .env("SENDCLOUD_BASE_URL", "http://127.0.0.1:1/smsapi")
        .env("SENDCLOUD_SMS_USER", "me")
        .env("SENDCLOUD_SMS_KEY", "k")
        .output()
        .unwrap();
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(!stderr(&o).contains("may have reached"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--request-id cli-"), "{}", stderr(&o));

    // An empty SMSHook body.
    let o = run(&["hook", "verify", "--app-key", "k"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("the body is empty"), "{}", stderr(&o));

    // Errors name the flag, not the wire field.
    let o = run(&["send", "--template", "1", "--to", "abc"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("invalid --to"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("phone"), "{}", stderr(&o));

    // Too many numbers for one send: the command that sends more.
    let many: Vec<String> = (0..2001).map(|i| format!("138{i:08}")).collect();
    let o = run(&["send", "--template", "1", "--to", &many.join(",")]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("sendcloud bulk"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("send_bulk"), "{}", stderr(&o));
}

#[test]
fn plain_http_to_another_host_needs_to_be_allowed() {
    // A sandbox on every interface, reached by an address that is not loopback.
    let served = Served::start_on("0.0.0.0:0", &["--account", "me:my-key"]);
    let url = served.base_url().to_owned();
    assert!(url.starts_with("http://0.0.0.0:"), "{url}");
    let time = |extra: &[&str], env: Option<&str>| -> Output {
        let mut c = cmd();
        c.args(["time"])
            .args(extra)
            .env("SENDCLOUD_BASE_URL", &url)
            .env("SENDCLOUD_SMS_USER", "me")
            .env("SENDCLOUD_SMS_KEY", "my-key");
        if let Some(v) = env {
            c.env("SENDCLOUD_ALLOW_PLAIN_HTTP", v);
        }
        c.output().unwrap()
    };
    let o = time(&[], None);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("--allow-plain-http"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("SENDCLOUD_ALLOW_PLAIN_HTTP=1"),
        "{}",
        stderr(&o)
    );
    let o = time(&["--allow-plain-http"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = time(&[], Some("1"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = time(&[], Some("0"));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn verbose_shows_the_exchange_but_never_the_key() {
    let s = served();
    let o = s.send(
        "my-key",
        &[
            "send",
            "-v",
            "--template",
            "1",
            "--to",
            "13800000000",
            "--var",
            "code=1",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("> POST http://127.0.0.1:"), "{err}");
    assert!(err.contains(">   phone=13800000000"), "{err}");
    assert!(err.contains(">   signature="), "{err}");
    assert!(
        err.contains("(the signature is of: ***&msgType=0&"),
        "{err}"
    );
    assert!(err.contains("< HTTP 200"), "{err}");
    assert!(err.contains("\"statusCode\":200"), "{err}");
    assert!(!err.contains("my-key") && !stdout(&o).contains("my-key"));

    // The same for a refusal, where the user needs it most.
    let o = s.send("wrong-key", &["time", "--verbose"]);
    assert_eq!(code(&o), 0);
    let o = s.send("wrong-key", &["templates", "list", "--verbose"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("\"statusCode\":422"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("wrong-key"), "{}", stderr(&o));

    // Without -v, none of it.
    let o = s.send("my-key", &["time"]);
    assert!(!stderr(&o).contains("> GET"), "{}", stderr(&o));
}

#[test]
fn invalid_numbers_are_caught_before_sending() {
    // One invalid number: a usage error, nothing sent.
    for to in ["12345", "abc", "1380000000"] {
        let o = run(&[
            "send",
            "--template",
            "1",
            "--to",
            to,
            "--var",
            "code=1",
            "--json",
        ]);
        assert_eq!(code(&o), 2, "{to}: {}", stderr(&o));
        let v = json(&o);
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("invalid --to"),
            "{v}"
        );
        assert!(
            !stderr(&o).contains("sent to the built-in sandbox"),
            "{}",
            stderr(&o)
        );
    }
    let o = run(&["voice", "--to", "12345", "--code", "1234"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));

    // Some invalid: the valid ones are sent, the others reported refused, exit 3.
    let o = run(&[
        "send",
        "--template",
        "1",
        "--to",
        "13800000001,12345,13800000002",
        "--var",
        "code=1",
        "--json",
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["success_count"], 2, "{v}");
    assert_eq!(v["partial"], true);
    let rejected = v["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{v}");
    assert_eq!(rejected[0]["phone"], "12345");
    assert_eq!(v["messages"].as_array().unwrap().len(), 2);
}
