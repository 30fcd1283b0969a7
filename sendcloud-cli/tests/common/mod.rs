//! What the CLI's integration tests share: running the built binary with a clean
//! environment, reading its output, and a `sendcloud sandbox` child process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_sendcloud");

/// The command with no SendCloud settings or proxies from the caller's environment.
pub fn cmd() -> Command {
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

pub fn run(args: &[&str]) -> Output {
    cmd().args(args).output().expect("the binary runs")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> Value {
    let out = stdout(o);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {out:?}; stderr: {}",
            stderr(o)
        )
    })
}

/// `sendcloud sandbox` as a child process; killed when dropped.
pub struct Served {
    pub child: Child,
    pub info: Value,
}

impl Served {
    pub fn start(extra: &[&str]) -> Served {
        Served::start_on("127.0.0.1:0", extra)
    }

    /// Listening on `listen` (e.g. `0.0.0.0:0`).
    pub fn start_on(listen: &str, extra: &[&str]) -> Served {
        let mut child = cmd()
            .args(["sandbox", "--listen", listen, "--json"])
            .args(extra)
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

    pub fn base_url(&self) -> &str {
        self.info["base_url"].as_str().unwrap()
    }

    pub fn send(&self, key: &str, args: &[&str]) -> Output {
        cmd()
            .args(args)
            .env("SENDCLOUD_BASE_URL", self.base_url())
            .env("SENDCLOUD_SMS_USER", "me")
            .env("SENDCLOUD_SMS_KEY", key)
            .output()
            .unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// `host:port` of the served sandbox.
    pub fn host(&self) -> String {
        let url = self.info["url"].as_str().unwrap();
        url.trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned()
    }

    /// One HTTP/1.0 exchange with the served sandbox: (status, body).
    pub fn http(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let host = self.host();
        let mut conn = std::net::TcpStream::connect(&host).unwrap();
        write!(
            conn,
            "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, body.to_owned())
    }

    /// GET `path` of the JSON API, expecting 200 and JSON.
    pub fn api(&self, path: &str) -> Value {
        let (status, body) = self.http("GET", path, "");
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    /// Every message the JSON API lists for `query` (e.g. `phone=...`), all pages.
    pub fn all_messages(&self, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let page = self.api(&format!("/api/messages?limit=1000&offset={offset}&{query}"));
            out.extend(page["messages"].as_array().unwrap().iter().cloned());
            match page["next_offset"].as_u64() {
                Some(next) => offset = next as usize,
                None => return out,
            }
        }
    }
}
