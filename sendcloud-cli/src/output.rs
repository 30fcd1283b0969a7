//! Exit codes, failures and how both are shown.

use std::sync::atomic::{AtomicBool, Ordering};

use sendcloud_proto::Error as ProtoError;
use sendcloud_proto::{Rejected, StatusCode};
use sendcloud_ureq::Error as ClientError;
use serde_json::{json, Value};

/// Success.
pub const OK: u8 = 0;
/// SendCloud (or the sandbox) refused the request.
pub const REFUSED: u8 = 1;
/// The command line or an input value was wrong.
pub const USAGE: u8 = 2;
/// Some recipients were accepted, some not.
pub const PARTIAL: u8 = 3;
/// No usable answer came: connection, timeout, HTTP error, an answer that is not SendCloud's.
pub const TRANSPORT: u8 = 4;
/// Anything else (an internal error, a file that could not be written, ...).
pub const INTERNAL: u8 = 5;

/// The exit codes, as `--help` shows them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  SendCloud refused the request (the message says why and what to do)
  2  usage error: a wrong argument, a missing credential, an invalid phone, code or vars
  3  partial success: some recipients were accepted and some refused or not sent
  4  transport failure: SendCloud could not be reached or gave no usable answer
  5  other error (e.g. a file that could not be written, the sandbox could not start)

Credentials come from SENDCLOUD_SMS_USER and SENDCLOUD_SMS_KEY (or --user/--key); with
neither set, every command that talks to SendCloud (send, voice, code, time, bulk, status,
templates, doctor) runs against a sandbox started inside this process, and nothing leaves
the machine.";

static SANDBOX: AtomicBool = AtomicBool::new(false);

/// Records that this run talks to the built-in sandbox (shown in `--json` output).
pub fn set_sandbox() {
    SANDBOX.store(true, Ordering::Relaxed);
}

/// Whether this run talks to the built-in sandbox.
pub fn sandbox() -> bool {
    SANDBOX.load(Ordering::Relaxed)
}

/// What went wrong, what to do about it, and the exit code it gives.
#[derive(Debug)]
pub struct Failure {
    pub exit: u8,
    pub what: String,
    pub todo: Option<String>,
    pub status: Option<StatusCode>,
    pub rejected: Vec<Rejected>,
}

impl Failure {
    pub fn new(exit: u8, what: impl Into<String>, todo: impl Into<String>) -> Self {
        Failure {
            exit,
            what: what.into(),
            todo: Some(todo.into()),
            status: None,
            rejected: Vec::new(),
        }
    }

    pub fn usage(what: impl Into<String>, todo: impl Into<String>) -> Self {
        Failure::new(USAGE, what, todo)
    }

    /// Prints the failure: on stderr for people, and as JSON on stdout with `--json`.
    pub fn report(&self, json: bool) {
        eprintln!("error: {}", self.what);
        for r in &self.rejected {
            eprintln!("  refused {}: {}", r.phone, r.message);
        }
        if let Some(todo) = &self.todo {
            eprintln!("what to do: {todo}");
        }
        if json {
            let v = json!({
                "ok": false,
                "exit_code": self.exit,
                "sandbox": sandbox(),
                "error": {
                    "message": self.what,
                    "advice": self.todo,
                    "status": self.status.map(|s| s.code()),
                    "meaning": self.status.map(|s| s.meaning()),
                },
                "rejected": rejected_json(&self.rejected),
            });
            println!("{v}");
        }
    }
}

pub fn rejected_json(rejected: &[Rejected]) -> Value {
    Value::Array(
        rejected
            .iter()
            .map(|r| json!({"phone": r.phone, "message": r.message}))
            .collect(),
    )
}

/// The failure for an error of the client, with the advice that fits it.
pub fn client_failure(e: &ClientError, request_id: Option<&str>) -> Failure {
    match e {
        ClientError::Proto(ProtoError::Invalid(v)) => Failure::usage(
            v.to_string(),
            format!("Fix the value of {} and run the command again.", v.field),
        ),
        ClientError::Proto(ProtoError::Api {
            status, rejected, ..
        }) => Failure {
            exit: REFUSED,
            what: e.to_string(),
            todo: Some(status.advice().to_owned()),
            status: Some(*status),
            rejected: rejected.clone(),
        },
        ClientError::Transport { .. } => {
            let mut todo = "Check the network and the base URL (--base-url or SENDCLOUD_BASE_URL; \
                            the default is SendCloud's own)."
                .to_owned();
            if let Some(id) = request_id {
                todo.push_str(&format!(
                    " The request may have reached SendCloud: run it again with --request-id {id} \
                     and it is processed at most once."
                ));
            }
            Failure::new(TRANSPORT, e.to_string(), todo)
        }
        ClientError::Proto(ProtoError::Http { .. } | ProtoError::Decode { .. }) => Failure::new(
            TRANSPORT,
            e.to_string(),
            "Check that the base URL is SendCloud's SMS API (it ends in /smsapi), \
             and that no proxy answers in its place.",
        ),
        ClientError::Config(_) => Failure::usage(
            e.to_string(),
            "Check --base-url / SENDCLOUD_BASE_URL: https://api.sendcloud.net/smsapi, or http:// to a local sandbox.",
        ),
        _ => Failure::new(
            INTERNAL,
            e.to_string(),
            "This should not happen; please report it.",
        ),
    }
}

/// The failure of an input the core refused.
pub fn invalid(e: sendcloud_proto::ValidationError) -> Failure {
    client_failure(&ClientError::Proto(e.into()), None)
}

/// Formats UNIX milliseconds as `YYYY-MM-DD HH:MM:SS.mmm UTC` (the date from the core's
/// calendar).
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000 % 86_400;
    format!(
        "{} {:02}:{:02}:{:02}.{:03} UTC",
        sendcloud_proto::Date::from_unix_millis(ms),
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(super::utc(1_458_113_381_893), "2016-03-16 07:29:41.893 UTC");
        assert_eq!(super::utc(951_782_400_000), "2000-02-29 00:00:00.000 UTC");
    }
}
