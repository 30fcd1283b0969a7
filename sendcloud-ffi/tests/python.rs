//! Runs the Python package's unittest suite (python/tests) over the cdylib, against a
//! sandbox served on 127.0.0.1, and checks the package's declarations against the header.
//! Skipped, with a note, when python3 is not installed.

mod common;

use std::process::Command;

#[test]
fn python_tests_pass() {
    if !common::have("python3") {
        eprintln!("python3 not found: the Python tests are skipped");
        return;
    }
    let served = common::sandbox();
    let python_dir = common::crate_dir().join("python");
    let output = Command::new("python3")
        .args(["-m", "unittest", "discover", "-s", "tests", "-t", "."])
        .current_dir(&python_dir)
        .env("SENDCLOUD_LIB", common::shared_lib())
        .env("SENDCLOUD_SANDBOX_URL", served.server.base_url())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python tests failed:\n{stderr}"
    );
    assert!(stderr.contains("OK"), "{stderr}");
    assert!(!stderr.contains("sandbox-key"));
}

#[test]
fn python_declarations_match_the_header() {
    if !common::have("python3") {
        eprintln!("python3 not found: the Python declarations are not checked");
        return;
    }
    let output = Command::new("python3")
        .arg(common::crate_dir().join("check-python-decls.py"))
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
