//! `sendcloud bulk` through the built binary: a report that cannot be written never costs
//! the user the result of a send, and rows the CSV cannot place are reported, not sent.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

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

// ---- a report that cannot be written ----------------------------------------------------

#[test]
fn unwritable_report_is_refused_before_anything_is_sent() {
    let served = Served::start(&["--account", "me:k"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("recipients.csv");
    std::fs::write(&input, "phone,code\n13800000001,1111\n13800000002,2222\n").unwrap();
    // A regular file where a folder should be, a folder that does not exist, a folder
    // where the report should be: each stops the run even as root.
    let not_a_folder = dir.path().join("plain-file");
    std::fs::write(&not_a_folder, "x").unwrap();
    let cases = [
        (not_a_folder.join("report.csv"), "is not a folder"),
        (
            dir.path().join("no-such-folder").join("report.csv"),
            "no-such-folder",
        ),
        (dir.path().to_path_buf(), "it is a folder"),
    ];
    for (report, why) in &cases {
        for as_json in [false, true] {
            let mut args = vec![
                "bulk",
                "--template",
                "1",
                "--recipients",
                p(&input),
                "--report",
                p(report),
            ];
            if as_json {
                args.push("--json");
            }
            let o = served_run(&served, &args);
            assert_eq!(code(&o), 2, "{report:?}: {}", stderr(&o));
            let err = stderr(&o);
            assert!(err.contains(p(report)), "{err}");
            assert!(err.contains(why), "{err}");
            assert!(err.contains("Nothing was sent"), "{err}");
            if as_json {
                let v = json(&o);
                assert_eq!(v["exit_code"], 2);
                assert!(v["error"]["message"].as_str().unwrap().contains(p(report)));
            }
        }
    }
    assert_eq!(outbox(&served), Vec::<Value>::new(), "nothing was sent");
    // The recipients file is untouched, and no temporary file is left behind.
    assert_eq!(
        std::fs::read_to_string(&input).unwrap(),
        "phone,code\n13800000001,1111\n13800000002,2222\n"
    );
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["plain-file", "recipients.csv"]);
}

/// Starts `bulk --recipients -` with the report in `dir`, waits until the report's
/// temporary file is there (made before the recipients are read), puts a folder where the
/// report goes, then gives the recipients: everything is sent, and the report cannot be
/// put in place.
fn report_blocked_at_the_end(dir: &Path, as_json: bool) -> Output {
    let report = dir.join("report.csv");
    let mut args = vec![
        "bulk",
        "--template",
        "1",
        "--recipients",
        "-",
        "--report",
        p(&report),
        "--request-id",
        "campaign-7",
    ];
    if as_json {
        args.push("--json");
    }
    let mut child = cmd()
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::fs::read_dir(dir).unwrap().next().is_none() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("sendcloud ended ({status}) before making the report's file");
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("no temporary report file appeared");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::create_dir(&report).unwrap();
    std::fs::write(report.join("keep"), "").unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"phone,code\n13800000001,1111\n13800000002,1111\n1380000000,1111\n")
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn report_that_cannot_be_put_in_place_still_shows_the_whole_summary() {
    let dir = tempfile::tempdir().unwrap();
    let o = report_blocked_at_the_end(dir.path(), true);
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["ok"], false);
    assert_eq!(v["exit_code"], 5);
    assert_eq!(v["rows"], 3);
    assert_eq!(v["accepted"], 2);
    // The 10-digit number is invalid by the client's own rule: never sent.
    assert_eq!(v["invalid"], 1);
    assert_eq!(v["messages"], 2);
    assert_eq!(v["send_request_id_base"], "campaign-7");
    assert_eq!(v["report_written"], false);
    assert_eq!(v["not_sent"][0]["phone"], "1380000000");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("cannot write the report"), "{message}");
    assert!(message.contains("report.csv"), "{message}");
    assert!(v["error"]["advice"]
        .as_str()
        .unwrap()
        .contains("--request-id campaign-7"));
    assert!(stderr(&o).contains("cannot write the report"));
    // The temporary file is gone; the folder put in the report's place is untouched.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["report.csv"]);
    assert!(dir.path().join("report.csv").join("keep").is_file());

    let dir = tempfile::tempdir().unwrap();
    let o = report_blocked_at_the_end(dir.path(), false);
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("accepted:           2"), "{out}");
    assert!(out.contains("invalid rows:       1"), "{out}");
    assert!(out.contains("not sent 1380000000"), "{out}");
    assert!(out.contains("sendRequestId base: campaign-7"), "{out}");
    assert!(!out.contains("rows not sent are in"), "{out}");
    let err = stderr(&o);
    assert!(err.contains("error: cannot write the report to"), "{err}");
    assert!(err.contains("--request-id campaign-7"), "{err}");
}

#[test]
fn report_may_replace_the_recipients_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("list.csv");
    let mut text = String::from("phone,code\n");
    for i in 0..2500 {
        text.push_str(&format!("138{i:08},1111\n"));
    }
    text.push_str("1380000000,1111\nnot-a-phone,2222\n");
    std::fs::write(&file, &text).unwrap();
    let o = run(&[
        "bulk",
        "--template",
        "1",
        "--recipients",
        p(&file),
        "--report",
        p(&file),
        "--json",
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let v = json(&o);
    // The whole input was read before the report took its place.
    assert_eq!(v["rows"], 2502);
    assert_eq!(v["accepted"], 2500);
    assert_eq!(v["refused"], 0);
    assert_eq!(v["invalid"], 2);
    assert_eq!(v["report_written"], true);
    let report = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<_> = report.lines().collect();
    assert_eq!(lines.len(), 3, "{report}");
    assert_eq!(lines[0], "phone,code,#status,#reason");
    assert!(lines[1].starts_with("1380000000,1111,invalid"), "{report}");
    assert!(
        lines[2].starts_with("not-a-phone,2222,invalid,"),
        "{report}"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["list.csv"], "no temporary file is left");

    // And again, from the report it wrote.
    let o = run(&[
        "bulk",
        "--template",
        "1",
        "--recipients",
        p(&file),
        "--report",
        p(&file),
    ]);
    // Both rows are invalid again: nothing to send, a usage error.
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stdout(&o).contains("The 2 rows not sent are in"));
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 3);
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

// ---- sendRequestIds ---------------------------------------------------------------------

#[test]
fn request_id_too_long_for_a_later_group_is_refused_before_sending() {
    let served = Served::start(&["--account", "me:k"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("recipients.csv");
    let mut text = String::from("phone,code\n");
    for i in 0..10 {
        text.push_str(&format!("138000000{i:02},{i}\n"));
    }
    std::fs::write(&input, text).unwrap();
    // 104 characters: BASE-g9 is 107, the longest a base may be; BASE-g10 is one more.
    let base = "b".repeat(104);
    let o = served_run(
        &served,
        &[
            "bulk",
            "--template",
            "1",
            "--recipients",
            p(&input),
            "--request-id",
            &base,
        ],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&format!("--request-id {base}: ")), "{err}");
    assert!(err.contains("10 groups of variables"), "{err}");
    assert!(err.contains("at most 103 characters"), "{err}");
    assert_eq!(outbox(&served), Vec::<Value>::new(), "nothing was sent");
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
    let o = script.stdin(Stdio::null()).output().unwrap();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // The terminal's output: the bar on stderr, then the summary.
    let out = stdout(&o);
    assert!(out.contains("] 3/3 recipients, "), "{out}");
    assert!(out.contains("/s, "), "{out}");
    assert!(out.contains(" left"), "{out}");
    assert!(out.contains("accepted:           3"), "{out}");
}
