//! Where requests go: SendCloud (or a URL given), with credentials; or, with no
//! credentials at all, a sandbox in this process, which answers the client's requests
//! directly (no socket, no server).

use std::sync::{Arc, Mutex, MutexGuard};

use sendcloud_proto::server::{request_params, SIGNATURE_PARAM};
use sendcloud_proto::SignatureAlgorithm;
use sendcloud_sandbox::{OutboxMessage, Sandbox, SandboxConfig, DEFAULT_SMS_KEY, DEFAULT_SMS_USER};
use sendcloud_ureq::{local_now, Client, Handler, Observed, Traffic, Ureq};
use serde_json::{json, Value};

use crate::output::{self, client_failure, Failure};
use crate::Global;

/// A client, and the sandbox it talks to when there were no credentials.
pub struct Target {
    pub client: Client,
    pub base_url: String,
    local: Option<LocalSandbox>,
}

/// The built-in sandbox, shared with the client's transport.
struct LocalSandbox(Arc<Mutex<Sandbox>>);

impl LocalSandbox {
    fn sandbox(&self) -> MutexGuard<'_, Sandbox> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What `doctor` shows as the base URL of the built-in sandbox.
const BUILT_IN: &str = "built-in sandbox (in this process)";

/// A non-empty value, or nothing.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// The credentials from the flags or the environment: both, or neither (`None`).
pub fn credentials(g: &Global) -> Result<Option<(String, String)>, Failure> {
    match (given(&g.user), given(&g.key)) {
        (Some(u), Some(k)) => Ok(Some((u.to_owned(), k.to_owned()))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Failure::usage(
            "SENDCLOUD_SMS_USER (or --user) is set but SENDCLOUD_SMS_KEY (or --key) is not",
            "Set both, from the SendCloud console (SMS > API settings), or neither to use the built-in sandbox.",
        )),
        (None, Some(_)) => Err(Failure::usage(
            "SENDCLOUD_SMS_KEY (or --key) is set but SENDCLOUD_SMS_USER (or --user) is not",
            "Set both, from the SendCloud console (SMS > API settings), or neither to use the built-in sandbox.",
        )),
    }
}

pub fn algorithm(g: &Global) -> SignatureAlgorithm {
    if g.sha256 {
        SignatureAlgorithm::Sha256
    } else {
        SignatureAlgorithm::Md5
    }
}

impl Target {
    /// Connects as the flags and environment say.
    pub fn connect(g: &Global) -> Result<Target, Failure> {
        match credentials(g)? {
            Some((user, key)) => {
                let base_url = given(&g.base_url)
                    .unwrap_or(sendcloud_proto::DEFAULT_BASE_URL)
                    .to_owned();
                let b = Client::builder(user, key)
                    .algorithm(algorithm(g))
                    .base_url(&base_url)
                    .allow_plain_http(g.allow_plain_http);
                let client = if g.verbose {
                    b.transport(Observed(Ureq, show_traffic)).build()
                } else {
                    b.build()
                }
                .map_err(|e| client_failure(&e, None))?;
                Ok(Target {
                    client,
                    base_url,
                    local: None,
                })
            }
            None => {
                if let Some(url) = given(&g.base_url) {
                    return Err(Failure::usage(
                        format!("a base URL ({url}) is set but no credentials are"),
                        "Set SENDCLOUD_SMS_USER and SENDCLOUD_SMS_KEY (a `sendcloud sandbox` server \
                         prints its own), or unset SENDCLOUD_BASE_URL to use the built-in sandbox.",
                    ));
                }
                Target::local_sandbox(g)
            }
        }
    }

    fn local_sandbox(g: &Global) -> Result<Target, Failure> {
        let sandbox = Arc::new(Mutex::new(Sandbox::new(SandboxConfig::default())));
        let shared = sandbox.clone();
        let answer = move |request: sendcloud_proto::http::Request<Vec<u8>>| {
            let mut sandbox = shared
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            sandbox.handle(&request, local_now())
        };
        let b = Client::builder(DEFAULT_SMS_USER, DEFAULT_SMS_KEY)
            .base_url("http://localhost/smsapi")
            .algorithm(algorithm(g))
            .proxy(None);
        let client = if g.verbose {
            b.transport(Observed(Handler(answer), show_traffic)).build()
        } else {
            b.transport(Handler(answer)).build()
        }
        .map_err(|e| client_failure(&e, None))?;
        output::set_sandbox();
        Ok(Target {
            client,
            base_url: BUILT_IN.to_owned(),
            local: Some(LocalSandbox(sandbox)),
        })
    }

    /// Whether this is the built-in sandbox.
    pub fn is_sandbox(&self) -> bool {
        self.local.is_some()
    }

    /// How many messages the sandbox's outbox holds (0 for SendCloud).
    pub fn outbox_len(&self) -> usize {
        self.local
            .as_ref()
            .map_or(0, |l| l.sandbox().outbox().len())
    }

    /// The messages the sandbox accepted since the outbox held `since` messages.
    pub fn messages_since(&self, since: usize) -> Vec<OutboxMessage> {
        match &self.local {
            Some(l) => l
                .sandbox()
                .outbox()
                .get(since..)
                .unwrap_or_default()
                .to_vec(),
            None => Vec::new(),
        }
    }

    /// Says on stderr that the sandbox was used, when it was. `did` is e.g. "sent to".
    pub fn note(&self, did: &str) {
        if self.is_sandbox() {
            eprintln!(
                "No SENDCLOUD_SMS_USER/SENDCLOUD_SMS_KEY set: {did} the built-in sandbox, nothing left this machine."
            );
        }
    }
}

/// `--verbose`: each request and each answer on stderr. A request holds its signature but
/// never the key; the canonical string shows the key as `***`.
fn show_traffic(t: Traffic<'_>) {
    match t {
        Traffic::Request(r) => {
            eprintln!("> {} {}", r.method(), r.uri());
            let params = request_params(r);
            for (name, value) in params.iter() {
                eprintln!(">   {name}={value}");
            }
            if params.get(SIGNATURE_PARAM).is_some() {
                let signed = params.iter().filter(|(name, _)| *name != SIGNATURE_PARAM);
                eprintln!(
                    ">   (the signature is of: {})",
                    sendcloud_proto::canonical_string_masked(signed)
                );
            }
        }
        Traffic::Response(r) => {
            eprintln!("< HTTP {}", r.status());
            eprintln!("< {}", String::from_utf8_lossy(r.body()));
        }
        Traffic::Failure(e) => eprintln!("< no answer: {e}"),
    }
}

/// The messages as JSON.
pub fn messages_json(messages: &[OutboxMessage]) -> Value {
    Value::Array(
        messages
            .iter()
            .map(|m| {
                json!({
                    "phone": m.phone,
                    "text": m.text,
                    "sms_id": m.sms_id,
                    "delivered": m.outcome.is_delivered(),
                    "outcome": m.outcome.description(),
                })
            })
            .collect(),
    )
}

/// Shows the messages as the phones would show them (at most `limit`).
pub fn print_messages(messages: &[OutboxMessage], limit: usize) {
    if messages.is_empty() {
        return;
    }
    println!("The phone would show:");
    for m in messages.iter().take(limit) {
        println!("  {}: {}", m.phone, m.text);
        if !m.outcome.is_delivered() {
            println!(
                "    (the sandbox makes this delivery fail: {})",
                m.outcome.description()
            );
        }
    }
    if messages.len() > limit {
        println!("  ... and {} more", messages.len() - limit);
    }
}
