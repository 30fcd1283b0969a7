//! `sendcloud bulk` through the built binary: rows the CSV cannot place are reported, not
//! sent.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod common;
use common::*;

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// What a served sandbox accepted so far.
fn outbox(served: &Served) -> Vec<Value> {
    let url = served.info["outbox_url"].as_str().unwrap();
    let (host, path) = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
        .unwrap();
    let mut conn = TcpStream::connect(host).unwrap();
    write!(conn, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    serde_json::from_str::<Vec<Value>>(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

/// Runs `args` against a served sandbox (which has the default templates).
fn served_run(served: &Served, args: &[&str]) -> Output {
    served.send("k", args)
}

// ---- rows the CSV cannot place ----------------------------------------------------------

#[test]
fn row_with_more_fields_than_the_header_is_reported_not_sent() {
    let served = Served::start(&["--account", "me:k"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("recipients.csv");
    let report = dir.path().join("report.csv");
    // Line 3 has an unquoted comma: its code would be "12" and "34" would be lost.
    std::fs::write(
        &input,
        "phone,code\n13800000001,1111\n13800000002,12,34\n\n13800000003,3333\n",
    )
    .unwrap();
    let args = [
        "bulk",
        "--template",
        "1",
        "--recipients",
        p(&input),
        "--report",
        p(&report),
    ];
    let o = served_run(&served, &[&args[..], &["--json"]].concat());
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["rows"], 3);
    assert_eq!(v["accepted"], 2);
    assert_eq!(v["invalid"], 1);
    assert_eq!(v["not_sent"][0]["phone"], "13800000002");
    assert_eq!(v["not_sent"][0]["status"], "invalid");
    let reason = v["not_sent"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("line 3: 3 fields, but the header has 2"),
        "{reason}"
    );
    let mut sent: Vec<_> = outbox(&served)
        .iter()
        .map(|m| m["phone"].as_str().unwrap().to_owned())
        .collect();
    sent.sort();
    assert_eq!(sent, ["13800000001", "13800000003"]);

    // The report keeps the row's fields, the extra one after #reason.
    let text = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines[0], "phone,code,#status,#reason");
    assert!(
        lines[1].starts_with("13800000002,12,invalid,\"line 3: "),
        "{text}"
    );
    assert!(lines[1].ends_with(",34"), "{text}");

    // Given back unfixed, the row is still invalid and still not sent.
    let o = served_run(
        &served,
        &["bulk", "--template", "1", "--recipients", p(&report)],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("accepted:           0"), "{out}");
    assert!(out.contains("invalid rows:       1"), "{out}");
    assert!(
        out.contains("not sent 13800000002 (invalid): line 2: 5 fields"),
        "{out}"
    );
    assert_eq!(outbox(&served).len(), 2);
}

#[test]
fn line_of_two_numbers_in_a_list_of_numbers_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.txt");
    std::fs::write(
        &input,
        "13800000001\n13800000002,13800000003\n13800000004\n",
    )
    .unwrap();
    let o = run(&[
        "bulk",
        "--template",
        "1",
        "--recipients",
        p(&input),
        "--json",
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["rows"], 3);
    assert_eq!(v["accepted"], 2);
    assert_eq!(v["invalid"], 1);
    let reason = v["not_sent"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("line 2: 2 fields"), "{reason}");
}

#[test]
fn quoted_fields_and_ignored_columns_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("recipients.csv");
    std::fs::write(
        &input,
        "\u{feff}#id,Phone,name,order\r\n1,13800000001,\"Lucy, L\",\"A\"\"1\"\r\n2,13800000002,Bob,B2\r\n",
    )
    .unwrap();
    let o = run(&[
        "bulk",
        "--template",
        "2",
        "--recipients",
        p(&input),
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["rows"], 2);
    assert_eq!(v["accepted"], 2);
    assert_eq!(v["batches"], 2);

    std::fs::write(&input, "phone,code\n13800000001,1\"2\n").unwrap();
    let o = run(&["bulk", "--template", "1", "--recipients", p(&input)]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("line 2: a double quote"),
        "{}",
        stderr(&o)
    );
}

// ---- progress -------------------------------------------------------------------------

/// On a terminal (here `script`'s), the bar shows the recipients done, the rate and the
/// time left. Needs util-linux `script`; skipped without it.
#[cfg(target_os = "linux")]
#[test]
fn progress_bar_on_a_terminal_shows_rate_and_time_left() {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: no util-linux `script` to give the command a terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.txt");
    std::fs::write(&input, "13800000001\n13800000002\n13800000003\n").unwrap();
    let line = format!("'{BIN}' bulk --template 1 --recipients '{}'", p(&input));
    let mut script = std::process::Command::new("script");
    script.args(["-qec", &line, "/dev/null"]);
    for var in [
        "SENDCLOUD_SMS_USER",
        "SENDCLOUD_SMS_KEY",
        "SENDCLOUD_BASE_URL",
    ] {
        script.env_remove(var);
    }
    let o = script.stdin(std::process::Stdio::null()).output().unwrap();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // The terminal's output: the bar on stderr, then the summary.
    let out = stdout(&o);
    assert!(out.contains("] 3/3 recipients, "), "{out}");
    assert!(out.contains("/s, "), "{out}");
    assert!(out.contains(" left"), "{out}");
    assert!(out.contains("accepted:           3"), "{out}");
}
