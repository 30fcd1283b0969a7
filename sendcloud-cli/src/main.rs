//! `sendcloud`: send SMS, voice and code messages through SendCloud from the command line,
//! or through a sandbox on this machine when no credentials are set.
// The argument docs are the --help text, where a bare URL reads best.
#![allow(rustdoc::bare_urls)]

/// `println!` for this crate: when stdout is closed (the reader of a pipe has gone, as in
/// `sendcloud explain 200 | true`), what would have been printed is dropped instead of
/// panicking, and the command still finishes its work (a bulk send still writes its
/// report), then exits with its usual code.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` for this crate: a closed stderr is not worth a panic either.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod bulk;
mod commands;
mod csv;
mod hook;
mod hook_serve;
mod output;
mod report;
mod serve;
mod status;
mod target;
mod templates;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use output::EXIT_CODES_HELP;

/// Send SMS through SendCloud, or through a local sandbox.
#[derive(Parser, Debug)]
#[command(
    name = "sendcloud",
    version,
    about = "Send SMS through SendCloud, or through a sandbox on this machine",
    after_help = EXIT_CODES_HELP
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Settings every command takes. Its Debug output never shows the key.
#[derive(Args)]
pub struct Global {
    /// The SMS API user (smsUser)
    #[arg(long, global = true, env = "SENDCLOUD_SMS_USER", value_name = "USER")]
    pub user: Option<String>,
    /// The SMS API key (prefer the environment variable: flags show in process lists)
    #[arg(
        long,
        global = true,
        env = "SENDCLOUD_SMS_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub key: Option<String>,
    /// The API base URL [default: https://api.sendcloud.net/smsapi]
    #[arg(long, global = true, env = "SENDCLOUD_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Sign with SHA-256 (as the 2024 official SDKs do) instead of MD5
    #[arg(long, global = true)]
    pub sha256: bool,
    /// Print one JSON document on stdout, for scripts
    #[arg(long, global = true)]
    pub json: bool,
    /// Show each request (parameters, canonical string with the key masked, signature) and
    /// each raw answer on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Allow plain http:// to a host other than this machine (a sandbox in a container);
    /// SendCloud itself is https only
    #[arg(
        long,
        global = true,
        env = "SENDCLOUD_ALLOW_PLAIN_HTTP",
        value_parser = clap::builder::BoolishValueParser::new(),
        default_value_t = false,
        num_args = 0,
        default_missing_value = "true"
    )]
    pub allow_plain_http: bool,
}

impl std::fmt::Debug for Global {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Global")
            .field("user", &self.user)
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("base_url", &self.base_url)
            .field("sha256", &self.sha256)
            .field("json", &self.json)
            .field("verbose", &self.verbose)
            .field("allow_plain_http", &self.allow_plain_http)
            .finish()
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Send a template SMS or MMS to one or more numbers
    Send(commands::SendArgs),
    /// Send a verification code by voice call
    Voice(commands::VoiceArgs),
    /// Send a verification code by SMS, without a template
    Code(commands::CodeArgs),
    /// Show SendCloud's clock and this machine's offset from it
    Time,
    /// Send a template to a CSV list of recipients, in batches, with a report
    Bulk(bulk::BulkArgs),
    /// Show the canonical string (key masked) and the signature of parameters
    Sign(commands::SignArgs),
    /// Serve the sandbox over HTTP: SendCloud's API on this machine, for tests
    Sandbox(serve::SandboxArgs),
    /// Say what a status code means and what to do about it
    Explain(commands::ExplainArgs),
    /// Check the credentials, reachability and the clock, and say what is wrong
    Doctor,
    /// SMSHook tools: verify a captured delivery webhook post
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// Show what became of sent messages (delivered, failed and why)
    Status(status::StatusArgs),
    /// List, show, add, change, delete and submit message templates
    Templates(templates::TemplatesArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2, and with
            // --json also as a JSON document on stdout.
            let _ = e.print();
            if !e.use_stderr() {
                return ExitCode::from(0);
            }
            if std::env::args_os().skip(1).any(|a| a == "--json") {
                output::usage_error_json(&e.render().to_string());
            }
            return ExitCode::from(output::USAGE);
        }
    };
    let g = &cli.global;
    let result = match &cli.command {
        Command::Send(a) => commands::send(g, a),
        Command::Voice(a) => commands::voice(g, a),
        Command::Code(a) => commands::code(g, a),
        Command::Time => commands::time(g),
        Command::Bulk(a) => bulk::run(g, a),
        Command::Sign(a) => commands::sign(g, a),
        Command::Sandbox(a) => serve::run(g, a),
        Command::Explain(a) => commands::explain(g, a),
        Command::Doctor => commands::doctor(g),
        Command::Hook(c) => hook::run(g, c),
        Command::Status(a) => status::status(g, a),
        Command::Templates(a) => templates::templates(g, a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            f.report(g.json);
            ExitCode::from(f.exit)
        }
    }
}
