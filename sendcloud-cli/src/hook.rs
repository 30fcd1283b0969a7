//! `sendcloud hook verify`: check a captured SMSHook post and print its event.

use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand};
use sendcloud_proto::hook::{HookEvent, HookVerifier, MemoryReplayGuard};
use sendcloud_proto::{Secret, Timestamp};
use serde_json::json;

use crate::output::{Failure, OK, REFUSED};
use crate::Global;

/// SMSHook (delivery webhook) tools.
#[derive(Subcommand, Debug)]
pub enum HookCommand {
    /// Verify a captured SMSHook post (the body on stdin, or --file) and print its event
    Verify(VerifyArgs),
    /// Receive SendCloud's SMSHook posts: verify, refuse stale and replayed ones (shared
    /// through Redis with --redis), print each event as a JSON line, forward it to your app
    Serve(crate::hook_serve::ServeArgs),
}

/// Arguments of `hook verify`. Their Debug output never shows the app keys.
#[derive(Args)]
pub struct VerifyArgs {
    /// The SMSHook app key (not the SMS key); repeat it to accept any of several keys
    #[arg(
        long = "app-key",
        env = "SENDCLOUD_HOOK_KEY",
        hide_env_values = true,
        value_name = "KEY",
        required = true
    )]
    pub app_keys: Vec<String>,
    /// The body's content type (default: JSON when the body starts with `{`, else form)
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// Read the body from this file instead of stdin
    #[arg(long, value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
    /// How old the post may be, in seconds (a captured post is usually old: default 1 year)
    #[arg(long, default_value_t = 365 * 24 * 3600, value_name = "SECONDS")]
    pub max_age: u64,
}

impl std::fmt::Debug for VerifyArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyArgs")
            .field(
                "app_keys",
                &format_args!("[{} key(s)]", self.app_keys.len()),
            )
            .field("content_type", &self.content_type)
            .field("file", &self.file)
            .field("max_age", &self.max_age)
            .finish()
    }
}

pub fn run(g: &Global, command: &HookCommand) -> Result<u8, Failure> {
    match command {
        HookCommand::Verify(a) => verify(g, a),
        HookCommand::Serve(a) => crate::hook_serve::run(g, a),
    }
}

fn verify(g: &Global, a: &VerifyArgs) -> Result<u8, Failure> {
    let keys: Vec<Secret> = a.app_keys.iter().map(Secret::new).collect();
    let verifier = HookVerifier::new(keys)
        .map_err(|e| Failure::usage(e.to_string(), "Give the SMSHook app key with --app-key."))?
        .with_max_age_ms(a.max_age.saturating_mul(1000));
    let mut body = Vec::new();
    let read = match &a.file {
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut body)),
        None => std::io::stdin().read_to_end(&mut body),
    };
    read.map_err(|e| {
        Failure::usage(
            format!("could not read the body: {e}"),
            "Pass the captured body on stdin or with --file.",
        )
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::usage(
            match &a.file {
                Some(path) => format!("the body is empty: {} holds nothing", path.display()),
                None => "the body is empty: nothing came on stdin".to_owned(),
            },
            "Pass the body of the captured post, exactly as it was posted, on stdin or with --file.",
        ));
    }
    let now = Timestamp(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    );
    let mut guard = MemoryReplayGuard::new(1);
    match verifier.verify_and_parse(a.content_type.as_deref(), &body, now, &mut guard) {
        Ok(event) => {
            print_event(g, &event);
            Ok(OK)
        }
        Err(e) => Err(Failure::new(
            REFUSED,
            format!("the post does not verify: {e}"),
            "Check that --app-key is the SMSHook app key of the account (not the SMS key), \
             and that the body is exactly what was posted.",
        )),
    }
}

/// An event as `hook verify --json` and `hook serve` print it.
pub fn event_json(event: &HookEvent) -> serde_json::Value {
    json!({
        "ok": true,
        "verified": true,
        "event": event.event_name(),
        "sms_ids": event.sms_ids(),
        "status": event.status().map(|s| s.code()),
        "meaning": event.status().map(|s| s.meaning()),
        "timestamp": event.timestamp.as_millis(),
        "token": event.token,
        "fields": event.fields,
    })
}

fn print_event(g: &Global, event: &HookEvent) {
    if g.json {
        println!("{}", event_json(event));
    } else {
        println!("verified: {} event", event.event_name());
        for id in event.sms_ids() {
            println!("  smsId: {id}");
        }
        if let Some(s) = event.status() {
            println!("  status: {s}");
        }
        for (k, v) in &event.fields {
            if !matches!(k.as_str(), "signature" | "token") {
                println!("  {k}: {v}");
            }
        }
    }
}
