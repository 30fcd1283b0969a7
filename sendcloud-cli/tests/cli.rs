//! Runs the built `sendcloud` binary against the sandbox: the one started inside the
//! process when no credentials are set, and one served by `sendcloud sandbox`.

use std::path::PathBuf;
use std::process::Stdio;

mod common;
use common::*;

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sendcloud-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

// ---- send -------------------------------------------------------------------------------

#[test]
fn newcomer_send_goes_to_the_built_in_sandbox() {
    let o = run(&[
        "send",
        "--template",
        "1",
        "--to",
        "13800000000",
        "--var",
        "code=1234",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("built-in sandbox, nothing left this machine"));
    assert!(stdout(&o).contains("13800000000: 【Sandbox】Your code is 1234."));
}

#[test]
fn send_json_success() {
    let o = run(&[
        "send",
        "--template",
        "1",
        "--to",
        "13800000000",
        "--var",
        "code=4321",
        "--request-id",
        "order-1",
        "--tag",
        r#"{"order":1}"#,
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["ok"], true);
    assert_eq!(v["status"], 200);
    assert_eq!(v["success_count"], 1);
    assert_eq!(v["sandbox"], true);
    assert_eq!(v["send_request_id"], "order-1");
    assert_eq!(v["sms_ids"].as_array().unwrap().len(), 1);
    assert_eq!(v["messages"][0]["phone"], "13800000000");
    assert_eq!(v["messages"][0]["text"], "【Sandbox】Your code is 4321.");
}

#[test]
fn send_refusals_exit_1_with_advice() {
    let o = run(&["send", "--template", "4", "--to", "13800000000", "--json"]);
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(v["ok"], false);
    assert_eq!(v["exit_code"], 1);
    assert_eq!(v["error"]["status"], 432);
    assert!(v["error"]["advice"].as_str().unwrap().contains("approved"));
    assert!(stderr(&o).contains("what to do:"));

    let o = run(&["send", "--template", "999", "--to", "13800000000", "--json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)["error"]["status"], 431);
}

#[test]
fn send_partial_success_exits_3() {
    // The client applies the sandbox's (and SendCloud's) rule for numbers: the 10-digit
    // number is refused before sending and the valid one is sent, a partial success.
    let o = run(&[
        "send",
        "--template",
        "1",
        "--to",
        "13800000001,1380000000",
        "--var",
        "code=1234",
        "--json",
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["status"], 311);
    assert_eq!(v["partial"], true);
    assert_eq!(v["success_count"], 1);
    assert_eq!(v["rejected"][0]["phone"], "1380000000");
    assert!(
        v["rejected"][0]["message"]
            .as_str()
            .unwrap()
            .contains(r#""1380000000" has 10 digits"#),
        "{v}"
    );
    assert_eq!(v["messages"].as_array().unwrap().len(), 1);

    let o = run(&[
        "send",
        "--template",
        "1",
        "--to",
        "13800000001,1380000000",
        "--var",
        "code=1234",
    ]);
    assert_eq!(code(&o), 3);
    assert!(stdout(&o).contains("refused 1380000000"));
}

#[test]
fn send_bad_arguments_exit_2() {
    for args in [
        &["send", "--to", "13800000000"][..],
        &["send", "--template", "1", "--to", "138abc"],
        &["send", "--template", "0", "--to", "13800000000"],
        &["send", "--template", "x", "--to", "13800000000"],
        &[
            "send",
            "--template",
            "1",
            "--to",
            "13800000000",
            "--var",
            "code",
        ],
        &[
            "send",
            "--template",
            "1",
            "--to",
            "13800000000",
            "--var",
            "code=see http://x.io",
        ],
        &[
            "send",
            "--template",
            "1",
            "--to",
            "13800000000",
            "--tag",
            "{not json",
        ],
        &["send", "--template", "1", "--to", "13800000000,13800000000"],
        &[
            "send",
            "--template",
            "1",
            "--to",
            "13800000000",
            "--international",
        ],
        &[
            "send",
            "--template",
            "1",
            "--to",
            "13800000000",
            "--mms",
            "--international",
        ],
        &["frobnicate"],
    ] {
        let o = run(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
    }
    // JSON errors for scripts, too.
    let o = run(&["send", "--template", "1", "--to", "138abc", "--json"]);
    assert_eq!(json(&o)["exit_code"], 2);
}

#[test]
fn half_set_credentials_are_a_usage_error() {
    let o = cmd()
        .args(["send", "--template", "1", "--to", "13800000000"])
        .env("SENDCLOUD_SMS_USER", "me")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("SENDCLOUD_SMS_KEY"));
}

#[test]
fn unreachable_service_exits_4() {
    let o = run(&[
        "send",
        "--template",
        "1",
        "--to",
        "13800000000",
        "--user",
        "me",
        "--key",
        "secret-key-never-shown",
        "--base-url",
        "http://127.0.0.1:1/smsapi",
        "--request-id",
        "retry-me",
        "--json",
    ]);
    assert_eq!(code(&o), 4);
    let v = json(&o);
    assert_eq!(v["exit_code"], 4);
    assert!(v["error"]["advice"]
        .as_str()
        .unwrap()
        .contains("--request-id retry-me"));
    assert!(!stdout(&o).contains("secret-key-never-shown"));
    assert!(!stderr(&o).contains("secret-key-never-shown"));
}

// ---- voice, code, time ------------------------------------------------------------------

#[test]
fn voice() {
    let o = run(&["voice", "--to", "13800000000", "--code", "1234", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["success_count"], 1);
    assert!(v["messages"][0]["text"].as_str().unwrap().contains("1234"));

    // An invalid number is refused before sending, naming it.
    let o = run(&["voice", "--to", "1380000000", "--code", "1234", "--json"]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("1380000000") || stderr(&o).contains("1380000000"));

    let o = run(&["voice", "--to", "13800000000", "--code", "12"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn code_sms() {
    let o = run(&[
        "code",
        "--to",
        "13800000000",
        "--code",
        "123456",
        "--sign-name",
        "Acme",
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(json(&o)["messages"][0]["text"]
        .as_str()
        .unwrap()
        .contains("123456"));

    let o = run(&[
        "code",
        "--to",
        "13800000000",
        "--code",
        "1234",
        "--sign-id",
        "9",
        "--json",
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)["error"]["status"], 601);

    let o = run(&["code", "--to", "13800000000", "--code", "1234"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn time() {
    let o = run(&["time", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert!(v["timestamp"].as_u64().unwrap() > 1_600_000_000_000);
    assert!(v["offset_ms"].as_i64().unwrap().abs() < 5_000);
    assert_eq!(v["sandbox"], true);
    assert!(stderr(&o).contains("built-in sandbox"));

    let o = run(&["time"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("UTC"));
}

// ---- bulk -------------------------------------------------------------------------------

#[test]
fn bulk_partial_success_and_report_round_trip() {
    let input = temp_path("recipients.csv");
    let report = temp_path("report.csv");
    std::fs::write(
        &input,
        "phone,code,#note\n13800000001,1111,first\n13800000002,2222,\n1380000000,1111,\n\
         13800000003,2222,\nnot-a-phone,1234,\n",
    )
    .unwrap();
    let o = run(&[
        "bulk",
        "--template",
        "1",
        "--recipients",
        input.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["rows"], 5);
    assert_eq!(v["accepted"], 3);
    // A 10-digit number is invalid for the client as for SendCloud: not sent.
    assert_eq!(v["refused"], 0);
    assert_eq!(v["invalid"], 2);
    assert_eq!(v["messages"], 3);
    // Two groups of variables: two batches.
    assert_eq!(v["batches"], 2);

    let text = std::fs::read_to_string(&report).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("phone,code,#status,#reason"));
    assert!(text.contains("1380000000,1111,invalid,"));
    assert!(text.contains("not-a-phone,1234,invalid,"));

    // The report is a valid recipients file: running it again sends nothing new.
    let o = run(&[
        "bulk",
        "--template",
        "1",
        "--recipients",
        report.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["rows"], 2);
    assert_eq!(v["accepted"], 0);
    assert_eq!(v["refused"], 0);
    assert_eq!(v["invalid"], 2);
}

#[test]
fn bulk_from_stdin_all_accepted() {
    use std::io::Write;
    let mut child = cmd()
        .args(["bulk", "--template", "1", "--recipients", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"phone,code\n13800000001,1111\n13800000002,1111\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("accepted:           2"));
    // stderr is not a terminal here: no progress bar.
    assert!(!stderr(&o).contains('#'));
}

#[test]
fn bulk_bad_input_exits_2() {
    let input = temp_path("bad.csv");
    std::fs::write(&input, "name,code\nLucy,1\n").unwrap();
    let o = run(&[
        "bulk",
        "--template",
        "1",
        "--recipients",
        input.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("phone"));

    std::fs::write(&input, "phone\n\"13800000000\n").unwrap();
    let o = run(&[
        "bulk",
        "--template",
        "1",
        "--recipients",
        input.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);

    let o = run(&[
        "bulk",
        "--template",
        "1",
        "--recipients",
        "/no/such/file.csv",
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn bulk_refused_template_exits_1() {
    let input = temp_path("ok.csv");
    std::fs::write(&input, "13800000001\n13800000002\n").unwrap();
    let o = run(&[
        "bulk",
        "--template",
        "4",
        "--recipients",
        input.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["failed"], 2);
    assert_eq!(v["failed_batches"][0]["status"], 432);
}

// ---- sign, explain, doctor --------------------------------------------------------------

#[test]
fn sign_known_answers() {
    let params = [
        "smsUser=testuser",
        "templateId=1",
        "phone=18888888888",
        "vars={}",
    ];
    let o = cmd()
        .arg("sign")
        .args(params)
        .arg("--json")
        .env("SENDCLOUD_SMS_KEY", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0);
    let v = json(&o);
    assert_eq!(v["signature"], "31eda13789be63afca40a32e37880d6d");
    assert_eq!(
        v["canonical"],
        "***&phone=18888888888&smsUser=testuser&templateId=1&vars={}&***"
    );
    assert!(!stdout(&o).contains("ABCDEFGHIJ"));

    let o = run(&[
        "sign",
        "--sha256",
        "--key",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        params[0],
        params[1],
        params[2],
        params[3],
    ]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("473959199cbb4bcac74310296ba880b1394ff73fd0953f3661c5d5eb999d43d3"));
    assert!(!stdout(&o).contains("ABCDEFGHIJ"));

    assert_eq!(code(&run(&["sign", "a=1"])), 2, "no key");
    assert_eq!(code(&run(&["sign", "--key", "k", "novalue"])), 2);
}

#[test]
fn explain() {
    let o = run(&["explain", "432", "--json"]);
    assert_eq!(code(&o), 0);
    let v = json(&o);
    assert_eq!(v["known"], true);
    assert_eq!(v["retry_class"], "permanent");
    assert!(v["meaning"].as_str().unwrap().contains("approved"));

    let o = run(&["explain", "461"]);
    assert!(stdout(&o).contains("clock"));
    let o = run(&["explain", "777", "--json"]);
    assert_eq!(json(&o)["known"], false);
    assert_eq!(code(&run(&["explain", "abc"])), 2);
}

#[test]
fn doctor() {
    let o = run(&["doctor", "--json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(v["ok"], true);
    assert_eq!(v["sandbox"], true);
    let names: Vec<_> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"clock".to_owned()));
    assert!(names.contains(&"signature".to_owned()));

    let o = run(&[
        "doctor",
        "--user",
        "me",
        "--key",
        "k",
        "--base-url",
        "http://127.0.0.1:1/smsapi",
    ]);
    assert_eq!(code(&o), 4);
    assert!(stdout(&o).contains("fail"));
}

// ---- a served sandbox -------------------------------------------------------------------

/// `sendcloud sandbox` as a child process; killed when dropped.
#[test]
fn served_sandbox() {
    // One message a day per number, so that the sandbox refuses a number (498) that the
    // client accepts: a partial success.
    let config = temp_path("one-a-day.toml");
    std::fs::write(&config, "per_day_limit = 1\n").unwrap();
    let served = Served::start(&[
        "--config",
        config.to_str().unwrap(),
        "--account",
        "me:my-key",
        "--template",
        "7:Hello %name%",
    ]);
    assert_eq!(served.info["accounts"][0]["sms_user"], "me");
    assert!(served.info["outbox_url"]
        .as_str()
        .unwrap()
        .ends_with("/outbox.json"));
    assert!(served.info["templates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == 7 && t["text"] == "Hello %name%"));

    let o = served.send(
        "my-key",
        &[
            "send",
            "--template",
            "7",
            "--to",
            "13800000000",
            "--var",
            "name=Lucy",
            "--json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["sandbox"], false);
    assert_eq!(v["success_count"], 1);
    assert!(!stderr(&o).contains("built-in sandbox"));

    // SHA-256 signatures are accepted too.
    let o = served.send(
        "my-key",
        &[
            "--sha256",
            "send",
            "--template",
            "7",
            "--to",
            "13800000002",
            "--var",
            "name=Bob",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let o = served.send(
        "my-key",
        &[
            "send",
            "--template",
            "7",
            "--to",
            "13800000001,13800000000",
            "--var",
            "name=Lucy",
            "--json",
        ],
    );
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["status"], 311);
    assert_eq!(v["partial"], true);
    assert_eq!(v["success_count"], 1);
    assert_eq!(v["rejected"][0]["phone"], "13800000000");
    let o = served.send(
        "my-key",
        &[
            "send",
            "--template",
            "7",
            "--to",
            "13800000003,13800000000",
            "--var",
            "name=Lucy",
        ],
    );
    assert_eq!(code(&o), 3);
    assert!(stdout(&o).contains("refused 13800000000"), "{}", stdout(&o));

    // A wrong key: 422, with advice, and the key is never printed.
    let o = served.send(
        "a-very-wrong-key",
        &["send", "--template", "7", "--to", "13800000000", "--json"],
    );
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(v["error"]["status"], 422);
    assert!(!stdout(&o).contains("a-very-wrong-key"));
    assert!(!stderr(&o).contains("a-very-wrong-key"));
}

#[test]
fn sandbox_bad_arguments_exit_2() {
    for args in [
        &["sandbox", "--account", "nokey"][..],
        &["sandbox", "--template", "x:text"],
        &["sandbox", "--config", "/no/such/config.toml"],
    ] {
        let o = run(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn help_documents_exit_codes() {
    let o = run(&["--help"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.contains("Exit codes:"));
    assert!(out.contains("3  partial success"));
}
