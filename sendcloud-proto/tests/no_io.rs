//! The core does no IO: no IO crates among its dependencies, no IO calls in its source.

use std::path::{Path, PathBuf};

const FORBIDDEN_CRATES: &[&str] = &[
    "tokio",
    "hyper",
    "ureq",
    "reqwest",
    "async-std",
    "mio",
    "socket2",
    "rand",
    "getrandom",
];
const FORBIDDEN_SOURCE: &[&str] = &[
    "std::net",
    "std::fs",
    "SystemTime::now",
    "Instant::now",
    "std::thread",
    "std::process",
    "std::env",
    "tokio",
    "hyper",
    "ureq",
];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn source_makes_no_io_calls() {
    let mut files = Vec::new();
    rust_files(&crate_dir().join("src"), &mut files);
    assert!(files.len() > 10, "found only {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for bad in FORBIDDEN_SOURCE {
                assert!(
                    !code.contains(bad),
                    "{}:{}: the core must not use {bad}",
                    file.display(),
                    n + 1
                );
            }
        }
    }
}

#[test]
fn dependencies_do_no_io() {
    let manifest = std::fs::read_to_string(crate_dir().join("Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .expect("a [dependencies] table")
        .split("\n[")
        .next()
        .unwrap();
    let names: Vec<&str> = deps
        .lines()
        .filter_map(|l| l.split(['=', '.']).next())
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect();
    assert!(names.contains(&"http"), "parsed {names:?}");
    for name in names {
        assert!(
            !FORBIDDEN_CRATES.contains(&name),
            "sendcloud-proto must not depend on {name}"
        );
    }
}
