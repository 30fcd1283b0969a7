//! `sendcloud status` and `sendcloud templates`, run as the built binary against the
//! built-in sandbox and against one served by `sendcloud sandbox`.

use std::process::Output;

use serde_json::Value;

mod common;
use common::*;

/// The served sandbox with an account `me` / `my-key`.
fn served() -> Served {
    Served::start(&["--account", "me:my-key"])
}

/// Runs a command against the served sandbox as `me`.
fn run_on(s: &Served, args: &[&str]) -> Output {
    s.send("my-key", args)
}

/// Runs a command with `--json` against the served sandbox; it must succeed.
fn ok_json(s: &Served, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let o = run_on(s, &all);
    assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    json(&o)
}

#[test]
fn template_life_cycle_against_a_served_sandbox() {
    let s = served();
    let before = ok_json(&s, &["templates", "list"])["total"]
        .as_u64()
        .unwrap();
    assert_eq!(before, 4);

    let v = ok_json(
        &s,
        &[
            "templates",
            "add",
            "--name",
            "welcome",
            "--text",
            "Hi %name%!",
            "--sign",
            "Acme",
            "--type",
            "notice",
        ],
    );
    assert_eq!(v["sandbox"], false);
    let id = v["id"].as_u64().unwrap().to_string();

    let v = ok_json(&s, &["templates", "list", "--state", "pending"]);
    let t = v["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"].as_u64().map(|n| n.to_string()).as_deref() == Some(id.as_str()))
        .unwrap()
        .clone();
    assert_eq!(t["content"], "【Acme】Hi %name%!");
    assert_eq!(t["state"], "pending");

    // Sending a pending template is refused (exit 1).
    let o = run_on(
        &s,
        &[
            "send",
            "--template",
            &id,
            "--to",
            "13800000000",
            "--var",
            "name=Lucy",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));

    ok_json(
        &s,
        &[
            "templates",
            "update",
            &id,
            "--name",
            "welcome",
            "--sign",
            "Acme",
            "--text",
            "Hello %name%!",
            "--suffix",
        ],
    );
    let v = ok_json(&s, &["templates", "get", &id]);
    assert_eq!(v["template"]["content"], "Hello %name%!【Acme】");

    // Submit: the sandbox approves at once.
    let o = run_on(&s, &["templates", "submit", &id]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("Submitted template"));
    assert_eq!(
        ok_json(&s, &["templates", "get", &id])["template"]["state"],
        "approved"
    );
    let o = run_on(
        &s,
        &[
            "send",
            "--template",
            &id,
            "--to",
            "13800000000",
            "--var",
            "name=Lucy",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // Human output of list.
    let o = run_on(&s, &["templates", "list"]);
    assert!(stdout(&o).contains("welcome"), "{}", stdout(&o));

    ok_json(&s, &["templates", "delete", &id]);
    assert_eq!(
        ok_json(&s, &["templates", "list"])["total"]
            .as_u64()
            .unwrap(),
        before
    );
    let o = run_on(&s, &["templates", "get", &id, "--json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)["error"]["status"], 431);
}

#[test]
fn status_against_a_served_sandbox() {
    let s = served();
    let o = run_on(
        &s,
        &[
            "send",
            "--template",
            "1",
            "--to",
            "13800000000,13800000099",
            "--var",
            "code=1234",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let v = ok_json(&s, &["status"]);
    assert_eq!(v["total"], 2);
    let v = ok_json(&s, &["status", "--phone", "13800000099", "--days", "7"]);
    assert_eq!(v["total"], 1);
    let r = &v["records"][0];
    assert_eq!(r["state"], "sendfailed");
    assert_eq!(r["status_code"], 500);
    let sms_id = r["sms_id"].as_str().unwrap().to_owned();
    let v = ok_json(&s, &["status", "--sms-id", &sms_id]);
    assert_eq!(v["records"][0]["phone"], "13800000099");
    let v = ok_json(&s, &["status", "--template", "2"]);
    assert_eq!(v["total"], 0);
    let v = ok_json(&s, &["status", "--limit", "1"]);
    assert_eq!(
        (v["total"].as_u64(), v["records"].as_array().unwrap().len()),
        (Some(2), 1)
    );

    let o = run_on(&s, &["status"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("2 message(s) match"), "{}", stdout(&o));
    assert!(stdout(&o).contains("发送失败 500"), "{}", stdout(&o));
}

#[test]
fn built_in_sandbox() {
    let o = run(&["status", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(
        (v["ok"].as_bool(), v["total"].as_u64()),
        (Some(true), Some(0))
    );
    assert_eq!(v["sandbox"], true);
    assert!(stderr(&o).contains("built-in sandbox"));

    let o = run(&["templates", "list"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("4 template(s)"), "{}", stdout(&o));
    assert!(stdout(&o).contains("【Sandbox】Your code is %code%."));
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["status", "--days", "31"][..],
        &["status", "--days", "0"],
        &["status", "--from", "2024-01-01"],
        &["status", "--from", "2024-02-30", "--to", "2024-03-01"],
        &["status", "--from", "2024-03-02", "--to", "2024-03-01"],
        &["status", "--type", "fax"],
        &["status", "--limit", "101"],
        &["status", "--phone", "12ab"],
        &["templates", "get", "0"],
        &["templates", "list", "--state", "nope"],
        &[
            "templates",
            "add",
            "--name",
            "x",
            "--text",
            "【A】x",
            "--sign",
            "A",
        ],
        &[
            "templates",
            "add",
            "--name",
            "x",
            "--text",
            "x",
            "--sign",
            "A",
            "--type",
            "spam",
        ],
        &["templates", "update", "1", "--type", "spam"],
        &["templates", "update", "1", "--suffix", "--prefix"],
        &["templates"],
    ] {
        let o = run(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
    }
    let o = run(&["status", "--days", "31", "--json"]);
    assert_eq!(json(&o)["ok"], false);
    assert!(stderr(&o).contains("30"), "{}", stderr(&o));
}
