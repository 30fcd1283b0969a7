//! Shared by the tests that drive the library from other languages: a served sandbox and
//! the paths of the built library.

#![allow(dead_code)]

use std::path::PathBuf;

pub use sendcloud_test_support::served_sandbox as sandbox;

/// The crate's directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory of the test executable, `target/<profile>/deps`. Before it builds the
/// tests of this package, cargo builds the crate's lib targets, all three crate types, into
/// this directory (it copies them up to `target/<profile>` only for `cargo build`).
pub fn deps_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable");
    exe.parent().expect("target/<profile>/deps").to_path_buf()
}

/// The library file `name`, as built for this test run.
fn built(name: &str) -> PathBuf {
    let deps = deps_dir();
    let candidates = [deps.join(name), deps.parent().unwrap_or(&deps).join(name)];
    candidates
        .iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} was not built (looked in {candidates:?})"))
        .clone()
}

pub fn static_lib() -> PathBuf {
    built("libsendcloud_ffi.a")
}

pub fn shared_lib() -> PathBuf {
    built("libsendcloud_ffi.so")
}

/// Whether a program can be run (`prog --version`).
pub fn have(prog: &str) -> bool {
    std::process::Command::new(prog)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}
