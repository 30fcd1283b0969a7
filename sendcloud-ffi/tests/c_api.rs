//! Compiles the C test program and the README's C example against include/sendcloud.h and
//! the staticlib, and runs them against a sandbox served on 127.0.0.1.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Compiles `source` into an executable in the test's scratch directory.
fn compile(source: &Path, name: &str) -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let status = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-I"])
        .arg(common::crate_dir().join("include"))
        .arg(source)
        .arg(common::static_lib())
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&out)
        .status()
        .expect("cc runs");
    assert!(status.success(), "compiling {} failed", source.display());
    out
}

#[test]
fn c_test_program_passes() {
    let exe = compile(
        &common::crate_dir().join("tests/c/test_sendcloud.c"),
        "test_sendcloud",
    );
    let served = common::sandbox();
    let output = Command::new(&exe)
        .arg(served.server.base_url())
        .output()
        .expect("the C test runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the C test failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains(", 0 failed"), "{stdout}");
    assert!(!stdout.contains("sandbox-key") && !stderr.contains("sandbox-key"));
}

#[test]
fn readme_c_example_runs() {
    let exe = compile(&common::crate_dir().join("examples/hello.c"), "hello");
    let served = common::sandbox();
    let output = Command::new(&exe)
        .arg(served.server.base_url())
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("sent: "), "{stdout}");
    assert_eq!(served.server.sandbox().outbox().len(), 1);
}

/// The READMEs' snippets (this crate's and the project's) are exactly the examples the
/// tests compile and run.
#[test]
fn readme_snippets_are_the_examples() {
    let dir = common::crate_dir();
    for readme in ["README.md", "../README.md"] {
        let readme = std::fs::read_to_string(dir.join(readme)).expect(readme);
        readme_has_examples(&dir, &readme);
    }
}

fn readme_has_examples(dir: &std::path::Path, readme: &str) {
    for (fence, example) in [
        ("```c\n", "examples/hello.c"),
        ("```python\n", "examples/hello.py"),
    ] {
        let start = readme.find(fence).expect("a fenced snippet") + fence.len();
        let end = start + readme[start..].find("```\n").expect("the fence closes");
        let file = std::fs::read_to_string(dir.join(example)).expect("the example");
        assert_eq!(
            &readme[start..end],
            file,
            "README snippet differs from {example}"
        );
    }
}
