//! `sendcloud hook verify` on captured posts, with the known answer of API-NOTES.md.

use std::io::Write;
use std::process::{Command, Stdio};

const KAT_TOKEN: &str = "nyFltYEluRVvYezFHJW1st2ewb71RVcVDiNN6GqvRnWtgDDDDD";
const KAT_TS: &str = "1434684323193";
const KAT_SIG: &str = "485ee62449485992daf0a5b020d78991af7765f7b97eba1363bdbddc35a64d1b";

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sendcloud"))
        .args(args)
        .env_remove("SENDCLOUD_HOOK_KEY")
        .env_remove("SENDCLOUD_SMS_USER")
        .env_remove("SENDCLOUD_SMS_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command refused for its arguments exits without reading stdin: the write may then
    // find the pipe closed, which is not what these tests check.
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn kat_form() -> String {
    format!(
        "event=deliver&smsId=1434684323193_1_1_1_a%2413800000000&phone=13800000000&token={KAT_TOKEN}&timestamp={KAT_TS}&signature={KAT_SIG}"
    )
}

/// The known answer is from 2015: allow an old post.
const OLD: &str = "700000000";

#[test]
fn the_known_answer_verifies_as_form_and_json() {
    let (code, out, err) = run(
        &[
            "hook",
            "verify",
            "--app-key",
            "appkey",
            "--max-age",
            OLD,
            "--json",
        ],
        &kat_form(),
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["event"], "deliver");
    assert_eq!(v["sms_ids"][0], "1434684323193_1_1_1_a$13800000000");
    assert_eq!(v["timestamp"], 1434684323193u64);

    let json = serde_json::json!({
        "event": "delivererror", "smsId": "x1", "phone": "13800000099", "statusCode": "500",
        "token": KAT_TOKEN, "timestamp": KAT_TS, "signature": KAT_SIG,
    })
    .to_string();
    let (code, out, err) = run(
        &[
            "hook",
            "verify",
            "--app-key",
            "other",
            "--app-key",
            "appkey",
            "--max-age",
            OLD,
        ],
        &json,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("verified: delivererror event"), "{out}");
    assert!(out.contains("500"), "{out}");
}

#[test]
fn forged_stale_and_bad_posts_are_refused() {
    let (code, _, err) = run(
        &["hook", "verify", "--app-key", "wrong", "--max-age", OLD],
        &kat_form(),
    );
    assert_eq!(code, 1);
    assert!(err.contains("does not verify"), "{err}");
    assert!(!err.contains("wrong"), "the key is never printed: {err}");
    // Within the default age limit, a 2015 post is stale.
    let (code, _, err) = run(&["hook", "verify", "--app-key", "appkey"], &kat_form());
    assert_eq!(code, 1, "{err}");
    let (code, _, _) = run(
        &["hook", "verify", "--app-key", "appkey", "--max-age", OLD],
        "token=1",
    );
    assert_eq!(code, 1);
    let tampered = kat_form().replace(KAT_TS, "1434684323194");
    let (code, _, _) = run(
        &["hook", "verify", "--app-key", "appkey", "--max-age", OLD],
        &tampered,
    );
    assert_eq!(code, 1);
}

#[test]
fn the_app_key_is_required() {
    let (code, _, err) = run(&["hook", "verify"], &kat_form());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--app-key"), "{err}");
}
