//! Exit codes, failures and how both are shown.

use std::sync::atomic::{AtomicBool, Ordering};

use sendcloud_proto::Error as ProtoError;
use sendcloud_proto::{Rejected, StatusCode, TransportFailure};
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

/// Prints a usage error the argument parser found (its rendered text) as the JSON
/// document `--json` promises.
pub fn usage_error_json(rendered: &str) {
    let mut lines = rendered.lines().map(str::trim_end);
    let message = lines
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_owned();
    let advice: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
    let v = json!({
        "ok": false,
        "exit_code": USAGE,
        "sandbox": false,
        "error": {
            "message": message,
            "advice": advice.join(" "),
            "status": null,
            "meaning": null,
        },
        "rejected": [],
    });
    println!("{v}");
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
        ClientError::Proto(ProtoError::Invalid(v)) => {
            let name = flag_of(v.field).unwrap_or(v.field);
            Failure::usage(
                format!("invalid {name}: {}", v.rule),
                format!("Fix {name} and run the command again."),
            )
        }
        ClientError::Proto(ProtoError::Api {
            status, rejected, ..
        }) => Failure {
            exit: REFUSED,
            what: e.to_string(),
            todo: Some(status.advice().to_owned()),
            status: Some(*status),
            rejected: rejected.clone(),
        },
        ClientError::Transport { kind, .. } => {
            let mut todo = "Check the network and the base URL (--base-url or SENDCLOUD_BASE_URL; \
                            the default is SendCloud's own)."
                .to_owned();
            match (request_id, kind) {
                // No connection was made on the last attempt: say nothing about whether the
                // request arrived, only how to send it again safely.
                (Some(id), TransportFailure::Connect) => todo.push_str(&format!(
                    " No connection could be made. To send it again, add --request-id {id}: \
                     SendCloud processes a request id at most once."
                )),
                (Some(id), _) => todo.push_str(&format!(
                    " The request may have reached SendCloud: run it again with --request-id {id} \
                     and it is processed at most once."
                )),
                (None, _) => {}
            }
            Failure::new(TRANSPORT, e.to_string(), todo)
        }
        ClientError::Proto(ProtoError::Http { .. } | ProtoError::Decode { .. }) => Failure::new(
            TRANSPORT,
            e.to_string(),
            "Check that the base URL is SendCloud's SMS API (it ends in /smsapi), \
             and that no proxy answers in its place.",
        ),
        ClientError::Config(m) if m.contains("plain http://") => Failure::usage(
            e.to_string(),
            "Use https://. For a sandbox on another host (e.g. in a container), allow plain \
             http:// with --allow-plain-http or SENDCLOUD_ALLOW_PLAIN_HTTP=1.",
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

/// The failure of an input the core refused, naming the flag that sets it.
pub fn invalid(e: sendcloud_proto::ValidationError) -> Failure {
    client_failure(&ClientError::Proto(e.into()), None)
}

/// The failure of an input the core refused, given with `flag`.
pub fn invalid_flag(e: sendcloud_proto::ValidationError, flag: &str) -> Failure {
    Failure::usage(
        format!("invalid {flag}: {}", e.rule),
        format!("Fix {flag} and run the command again."),
    )
}

/// The flag of the sending commands that sets an API parameter, so that errors name what
/// the user typed rather than the wire name.
pub fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "phone" => "--to",
        "templateId" => "--template",
        "vars" => "--var",
        "code" => "--code",
        "tag" => "--tag",
        "sendRequestId" => "--request-id",
        "signId" => "--sign-id",
        "signName" => "--sign-name",
        "msgType" => "--mms / --international",
        _ => return None,
    })
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
