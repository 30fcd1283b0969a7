//! `sendcloud sandbox`: the sandbox served over HTTP until Ctrl-C.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use sendcloud_proto::Secret;
use sendcloud_sandbox::server::{parse_duration, FileConfig, SandboxServer, ServerOptions};
use sendcloud_sandbox::{Account, Sandbox, SandboxConfig, Template};
use serde_json::json;

use crate::output::{Failure, INTERNAL, OK};
use crate::Global;

/// The default of `--max-messages`.
pub const DEFAULT_MAX_MESSAGES: usize = 10_000;
const DEFAULT_LISTEN: &str = "127.0.0.1:8025";

#[derive(Args)]
pub struct SandboxArgs {
    /// The address to listen on (port 0: any free port) [default: 127.0.0.1:8025]
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// A configuration file, TOML or JSON (accounts, templates, limits, balance, ...)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// An account (repeat for more); replaces the configured accounts
    #[arg(long = "account", value_name = "USER:KEY")]
    accounts: Vec<String>,
    /// A template (repeat for more); added to the configured ones, or replacing the same id
    #[arg(long = "template", value_name = "ID:TEXT")]
    templates: Vec<String>,
    /// Post every SMSHook event to this URL (repeat for more), retried as SendCloud does
    #[arg(long = "hook-url", value_name = "URL")]
    hook_urls: Vec<String>,
    /// The SMSHook app key events are signed with (prefer the environment variable)
    #[arg(
        long,
        env = "SENDCLOUD_HOOK_APP_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    hook_app_key: Option<String>,
    /// A random fault on API requests (repeat for more): 501=RATE, drop-before=RATE,
    /// drop-after=RATE or delay=RATE:DURATION (rates from 0 to 1, e.g. delay=0.1:2s)
    #[arg(long = "fault", value_name = "KIND=RATE")]
    faults: Vec<String>,
    /// The seed of the fault generator, for repeatable runs
    #[arg(long, value_name = "N")]
    fault_seed: Option<u64>,
    /// Keep at most N messages, dropping the oldest [default: 10000]
    #[arg(long, value_name = "N")]
    max_messages: Option<usize>,
    /// Run the sandbox's clock N ms ahead of this machine's (negative: behind), so that
    /// clients meet a 461 and resynchronise
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    clock_skew_ms: Option<i64>,
    /// Most connections open at once; the excess is refused [default: 8192]
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Close a connection that has not sent a whole request header in this time
    /// [default: 10s]
    #[arg(long, value_name = "DURATION")]
    header_read_timeout: Option<String>,
}

impl std::fmt::Debug for SandboxArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxArgs")
            .field("listen", &self.listen)
            .field("config", &self.config)
            .field("accounts", &self.accounts.len())
            .field("templates", &self.templates)
            .field("hook_urls", &self.hook_urls)
            .field("hook_app_key", &self.hook_app_key.as_ref().map(|_| "***"))
            .field("faults", &self.faults)
            .field("fault_seed", &self.fault_seed)
            .field("max_messages", &self.max_messages)
            .field("clock_skew_ms", &self.clock_skew_ms)
            .field("max_connections", &self.max_connections)
            .field("header_read_timeout", &self.header_read_timeout)
            .finish()
    }
}

/// Everything `sendcloud sandbox` runs with: the file's settings, then the flags'.
struct Settings {
    config: SandboxConfig,
    server: ServerOptions,
    listen: String,
}

fn usage(what: String, todo: &str) -> Failure {
    Failure::usage(what, todo)
}

fn settings(a: &SandboxArgs) -> Result<Settings, Failure> {
    let file = match &a.config {
        None => FileConfig {
            sandbox: SandboxConfig::default(),
            server: ServerOptions::default(),
            listen: None,
        },
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(
                    format!("cannot read {}: {e}", path.display()),
                    "Give the path of a readable TOML or JSON file.",
                )
            })?;
            let json =
                path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
            FileConfig::parse(&text, json).map_err(|e| {
                Failure::usage(
                    format!("{}: {e}", path.display()),
                    "Fix the configuration; sandbox.example.toml explains every key.",
                )
            })?
        }
    };
    let FileConfig {
        sandbox: mut config,
        mut server,
        listen,
    } = file;
    if !a.accounts.is_empty() {
        let mut accounts = Vec::new();
        for spec in &a.accounts {
            match spec.split_once(':') {
                Some((user, key)) if !user.is_empty() && !key.is_empty() => {
                    accounts.push(Account::new(user, key))
                }
                _ => {
                    return Err(Failure::usage(
                        format!("--account {spec:?} is not USER:KEY"),
                        "Write accounts as --account me:my-key.",
                    ))
                }
            }
        }
        config.accounts = accounts;
    }
    for spec in &a.templates {
        let parsed = spec
            .split_once(':')
            .and_then(|(id, text)| Some((id.trim().parse::<u64>().ok()?, text)));
        match parsed {
            Some((id, text)) if id > 0 && !text.is_empty() => {
                config.templates.retain(|t| t.id != id);
                config.templates.push(Template::sms(id, text));
            }
            _ => {
                return Err(Failure::usage(
                    format!("--template {spec:?} is not ID:TEXT"),
                    "Write templates as --template 7:'【Acme】Your code is %code%.'",
                ))
            }
        }
    }
    apply_server_flags(a, &mut config, &mut server)?;
    config.validate().map_err(|e| {
        Failure::usage(
            format!("invalid sandbox configuration: {e}"),
            "Fix the configuration.",
        )
    })?;
    Ok(Settings {
        config,
        server,
        listen: a
            .listen
            .clone()
            .or(listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
    })
}

/// The flags beside accounts and templates; each overrides the file's key of the same name.
fn apply_server_flags(
    a: &SandboxArgs,
    config: &mut SandboxConfig,
    server: &mut ServerOptions,
) -> Result<(), Failure> {
    if !a.hook_urls.is_empty() {
        server.hook_urls = a.hook_urls.clone();
    }
    for url in &server.hook_urls {
        let ok = url.parse::<http::Uri>().ok().is_some_and(|u| {
            matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
        });
        if !ok {
            return Err(usage(
                format!("hook URL {url:?} is not an http:// or https:// URL"),
                "Give the receiver's URL, e.g. --hook-url http://127.0.0.1:9000/smshook.",
            ));
        }
    }
    if let Some(key) = &a.hook_app_key {
        if key.is_empty() {
            return Err(usage(
                "the hook app key is empty".into(),
                "Give the SMSHook app key your receiver verifies with.",
            ));
        }
        config.hook_app_key = Secret::new(key.clone());
    }
    // Events are queued only when something posts them; SendCloud posts a `request`
    // event for each accepted request before the events of its messages.
    config.queue_hook_events = !server.hook_urls.is_empty();
    config.queue_request_events = config.queue_request_events || config.queue_hook_events;
    for spec in &a.faults {
        server.faults.apply_spec(spec).map_err(|e| {
            usage(
                format!("--fault {spec:?}: {e}"),
                "Write faults as --fault 501=0.1, --fault drop-after=0.05 or --fault delay=0.2:2s.",
            )
        })?;
    }
    if let Some(seed) = a.fault_seed {
        server.faults.seed = seed;
    }
    match a.max_messages {
        Some(0) => {
            return Err(usage(
                "--max-messages must be at least 1".into(),
                "Give how many messages to keep, e.g. --max-messages 10000.",
            ))
        }
        Some(n) => config.outbox_limit = Some(n),
        None if config.outbox_limit.is_none() => config.outbox_limit = Some(DEFAULT_MAX_MESSAGES),
        None => {}
    }
    if let Some(ms) = a.clock_skew_ms {
        server.clock_skew_ms = ms;
    }
    if let Some(n) = a.max_connections {
        if n == 0 {
            return Err(usage(
                "--max-connections must be at least 1".into(),
                "Give how many connections may be open at once, e.g. 8192.",
            ));
        }
        server.max_connections = n;
    }
    if let Some(t) = &a.header_read_timeout {
        server.header_read_timeout = parse_duration(t).map_err(|e| {
            usage(
                format!("--header-read-timeout: {e}"),
                "Write a duration such as 10s or 500ms.",
            )
        })?;
    }
    Ok(())
}

pub fn run(g: &Global, a: &SandboxArgs) -> Result<u8, Failure> {
    let Settings {
        config,
        server: options,
        listen,
    } = settings(a)?;
    raise_fd_limit(options.max_connections);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                INTERNAL,
                format!("cannot start the runtime: {e}"),
                "Check the system's limits on threads.",
            )
        })?;
    let hook_urls = options.hook_urls.clone();
    let result = runtime.block_on(async {
        let server = SandboxServer::bind_with(&listen, Sandbox::new(config.clone()), options)
            .await
            .map_err(|e| {
                Failure::new(
                    INTERNAL,
                    format!("cannot listen on {listen}: {e}"),
                    "Choose another address with --listen, e.g. 127.0.0.1:0 for any free port.",
                )
            })?;
        announce(g, &server, &config, &hook_urls);
        let stopped = tokio::signal::ctrl_c().await;
        server.shutdown().await;
        if !g.json {
            eprintln!("Sandbox stopped.");
        }
        stopped.map_err(|e| {
            Failure::new(
                INTERNAL,
                format!("cannot wait for Ctrl-C: {e}"),
                "Stop the sandbox by ending its process.",
            )
        })
    });
    runtime.shutdown_background();
    result.map(|()| OK)
}

fn announce(g: &Global, server: &SandboxServer, config: &SandboxConfig, hook_urls: &[String]) {
    let mut out = std::io::stdout().lock();
    if g.json {
        let accounts: Vec<_> = config
            .accounts
            .iter()
            .map(|a| json!({"sms_user": a.sms_user, "sms_key": a.sms_key.expose()}))
            .collect();
        let templates: Vec<_> = config
            .templates
            .iter()
            .map(|t| {
                json!({"id": t.id, "text": t.text, "approved": t.approved, "kind": t.kind.as_str()})
            })
            .collect();
        let v = json!({
            "url": server.page_url(),
            "base_url": server.base_url(),
            "outbox_url": server.outbox_url(),
            "api_url": server.api_url(),
            "hook_urls": hook_urls,
            "max_messages": config.outbox_limit,
            "accounts": accounts,
            "templates": templates,
        });
        let _ = writeln!(out, "{v}");
    } else {
        let _ = write!(out, "{}", config.summary());
        let _ = writeln!(out);
        let _ = writeln!(out, "Serving the SendCloud API at {}", server.base_url());
        let _ = writeln!(
            out,
            "Outbox: {} (page), {} (JSON), {}messages (JSON API)",
            server.page_url(),
            server.outbox_url(),
            server.api_url()
        );
        if hook_urls.is_empty() {
            let _ = writeln!(out, "SMSHook events: not posted (give --hook-url URL)");
        } else {
            let _ = writeln!(
                out,
                "SMSHook events: posted to {}, retried when the receiver fails",
                hook_urls.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "Keeping the newest {} messages.",
            config
                .outbox_limit
                .map_or_else(|| "all".to_owned(), |n| n.to_string())
        );
        if let Some(a) = config.accounts.first() {
            let _ = writeln!(out, "To send to it from another shell:");
            let _ = writeln!(
                out,
                "  export SENDCLOUD_BASE_URL={} SENDCLOUD_SMS_USER={} SENDCLOUD_SMS_KEY={}",
                server.base_url(),
                a.sms_user,
                a.sms_key.expose()
            );
        }
        let _ = writeln!(out, "Ctrl-C stops it.");
    }
    let _ = out.flush();
}

/// Raises this process's soft limit on open files towards the hard limit, so that
/// `max_connections` connections fit; the cap, not the system, then refuses the excess.
fn raise_fd_limit(max_connections: usize) {
    let want = u64::try_from(max_connections)
        .unwrap_or(u64::MAX)
        .saturating_add(256);
    let _ = rlimit::increase_nofile_limit(want);
}
