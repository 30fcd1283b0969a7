//! `sendcloud status` and `sendcloud templates`, run as the built binary against the
//! built-in sandbox and against one served by `sendcloud sandbox`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sendcloud");

/// The command with no SendCloud settings or proxies from the caller's environment.
fn cmd() -> Command {
    let mut c = Command::new(BIN);
    for var in [
        "SENDCLOUD_SMS_USER",
        "SENDCLOUD_SMS_KEY",
        "SENDCLOUD_BASE_URL",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        c.env_remove(var);
    }
    c.stdin(Stdio::null());
    c
}

fn run(args: &[&str]) -> Output {
    cmd().args(args).output().expect("the binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    let out = stdout(o);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {out:?}; stderr: {}",
            stderr(o)
        )
    })
}

/// `sendcloud sandbox` as a child process; killed when dropped.
struct Served {
    child: Child,
    info: Value,
}

impl Served {
    fn start() -> Served {
        let mut child = cmd()
            .args([
                "sandbox",
                "--listen",
                "127.0.0.1:0",
                "--json",
                "--account",
                "me:my-key",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        Served { child, info }
    }

    fn run(&self, args: &[&str]) -> Output {
        cmd()
            .args(args)
            .env(
                "SENDCLOUD_BASE_URL",
                self.info["base_url"].as_str().unwrap(),
            )
            .env("SENDCLOUD_SMS_USER", "me")
            .env("SENDCLOUD_SMS_KEY", "my-key")
            .output()
            .unwrap()
    }

    fn ok_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let o = self.run(&all);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        json(&o)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn template_life_cycle_against_a_served_sandbox() {
    let s = Served::start();
    let before = s.ok_json(&["templates", "list"])["total"].as_u64().unwrap();
    assert_eq!(before, 4);

    let v = s.ok_json(&[
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
    ]);
    assert_eq!(v["sandbox"], false);
    let id = v["id"].as_u64().unwrap().to_string();

    let v = s.ok_json(&["templates", "list", "--state", "pending"]);
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
    let o = s.run(&[
        "send",
        "--template",
        &id,
        "--to",
        "13800000000",
        "--var",
        "name=Lucy",
    ]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));

    s.ok_json(&[
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
    ]);
    let v = s.ok_json(&["templates", "get", &id]);
    assert_eq!(v["template"]["content"], "Hello %name%!【Acme】");

    // Submit: the sandbox approves at once.
    let o = s.run(&["templates", "submit", &id]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("Submitted template"));
    assert_eq!(
        s.ok_json(&["templates", "get", &id])["template"]["state"],
        "approved"
    );
    let o = s.run(&[
        "send",
        "--template",
        &id,
        "--to",
        "13800000000",
        "--var",
        "name=Lucy",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // Human output of list.
    let o = s.run(&["templates", "list"]);
    assert!(stdout(&o).contains("welcome"), "{}", stdout(&o));

    s.ok_json(&["templates", "delete", &id]);
    assert_eq!(
        s.ok_json(&["templates", "list"])["total"].as_u64().unwrap(),
        before
    );
    let o = s.run(&["templates", "get", &id, "--json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)["error"]["status"], 431);
}

#[test]
fn status_against_a_served_sandbox() {
    let s = Served::start();
    let o = s.run(&[
        "send",
        "--template",
        "1",
        "--to",
        "13800000000,13800000099",
        "--var",
        "code=1234",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let v = s.ok_json(&["status"]);
    assert_eq!(v["total"], 2);
    let v = s.ok_json(&["status", "--phone", "13800000099", "--days", "7"]);
    assert_eq!(v["total"], 1);
    let r = &v["records"][0];
    assert_eq!(r["state"], "sendfailed");
    assert_eq!(r["status_code"], 500);
    let sms_id = r["sms_id"].as_str().unwrap().to_owned();
    let v = s.ok_json(&["status", "--sms-id", &sms_id]);
    assert_eq!(v["records"][0]["phone"], "13800000099");
    let v = s.ok_json(&["status", "--template", "2"]);
    assert_eq!(v["total"], 0);
    let v = s.ok_json(&["status", "--limit", "1"]);
    assert_eq!(
        (v["total"].as_u64(), v["records"].as_array().unwrap().len()),
        (Some(2), 1)
    );

    let o = s.run(&["status"]);
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
        &["templates", "update", "1", "--name", "x"],
        &["templates"],
    ] {
        let o = run(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
    }
    let o = run(&["status", "--days", "31", "--json"]);
    assert_eq!(json(&o)["ok"], false);
    assert!(stderr(&o).contains("30"), "{}", stderr(&o));
}
