//! `sendcloud sandbox`: the sandbox served over HTTP until Ctrl-C.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use sendcloud_sandbox::server::SandboxServer;
use sendcloud_sandbox::{Account, Sandbox, SandboxConfig, Template};
use serde_json::json;

use crate::output::{Failure, INTERNAL, OK};
use crate::Global;

#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// The address to listen on (port 0: any free port)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8025")]
    listen: String,
    /// A configuration file, TOML or JSON (accounts, templates, limits, balance, ...)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// An account (repeat for more); replaces the configured accounts
    #[arg(long = "account", value_name = "USER:KEY")]
    accounts: Vec<String>,
    /// A template (repeat for more); added to the configured ones, or replacing the same id
    #[arg(long = "template", value_name = "ID:TEXT")]
    templates: Vec<String>,
}

fn config(a: &SandboxArgs) -> Result<SandboxConfig, Failure> {
    let mut config = match &a.config {
        None => SandboxConfig::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(
                    format!("cannot read {}: {e}", path.display()),
                    "Give the path of a readable TOML or JSON file.",
                )
            })?;
            let json =
                path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
            let parsed = if json {
                SandboxConfig::from_json(&text)
            } else {
                SandboxConfig::from_toml(&text)
            };
            parsed.map_err(|e| {
                Failure::usage(
                    format!("{}: {e}", path.display()),
                    "Fix the configuration; the fields are those of the sandbox's SandboxConfig.",
                )
            })?
        }
    };
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
    config.validate().map_err(|e| {
        Failure::usage(
            format!("invalid sandbox configuration: {e}"),
            "Fix the configuration.",
        )
    })?;
    Ok(config)
}

pub fn run(g: &Global, a: &SandboxArgs) -> Result<u8, Failure> {
    let config = config(a)?;
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
    let result = runtime.block_on(async {
        let server = SandboxServer::bind(&a.listen, Sandbox::new(config.clone()))
            .await
            .map_err(|e| {
                Failure::new(
                    INTERNAL,
                    format!("cannot listen on {}: {e}", a.listen),
                    "Choose another address with --listen, e.g. 127.0.0.1:0 for any free port.",
                )
            })?;
        announce(g, &server, &config);
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

fn announce(g: &Global, server: &SandboxServer, config: &SandboxConfig) {
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
            "Outbox: {} (page), {} (JSON)",
            server.page_url(),
            server.outbox_url()
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
