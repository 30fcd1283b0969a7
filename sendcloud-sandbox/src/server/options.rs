//! How the server runs (beside the emulator's [`SandboxConfig`]): hook delivery, faults,
//! clock skew and connection limits, and the configuration file that holds both.

use std::time::Duration;

use serde::Deserialize;

use super::faults::{parse_duration, FaultRates};
use super::hooks::default_hook_retry_schedule;
use crate::{ConfigError, SandboxConfig};

/// The server's settings. [`ServerOptions::default`] delivers no hooks, injects no faults
/// and has the limits below.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerOptions {
    /// Every SMSHook event is posted to each of these URLs.
    pub hook_urls: Vec<String>,
    /// The waits between a failed hook post and its retries.
    pub hook_retry_schedule: Vec<Duration>,
    /// Most hook delivery attempts kept in the log; 10,000 by default.
    pub hook_log_limit: usize,
    /// Random faults on API requests.
    pub faults: FaultRates,
    /// The sandbox's clock runs this far ahead of the machine's (negative: behind).
    pub clock_skew_ms: i64,
    /// Most connections open at once; the excess is refused. 8,192 by default.
    pub max_connections: usize,
    /// A connection that has not sent a request's whole header this long after it opened
    /// (or after its last answer) is closed. 10 s by default.
    pub header_read_timeout: Duration,
    /// A request whose body has not all arrived this long after its header gets 408 and
    /// the connection is closed. 30 s by default.
    pub body_read_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            hook_urls: Vec::new(),
            hook_retry_schedule: default_hook_retry_schedule(),
            hook_log_limit: 10_000,
            faults: FaultRates::default(),
            clock_skew_ms: 0,
            max_connections: 8_192,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
        }
    }
}

/// The keys of a configuration file that are the server's, not the emulator's.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawServer {
    listen: Option<String>,
    hook_urls: Option<Vec<String>>,
    hook_retry_schedule: Option<Vec<String>>,
    hook_log_limit: Option<usize>,
    faults: Option<Vec<String>>,
    fault_seed: Option<u64>,
    clock_skew_ms: Option<i64>,
    max_connections: Option<usize>,
    header_read_timeout: Option<String>,
    body_read_timeout: Option<String>,
}

const SERVER_KEYS: &[&str] = &[
    "listen",
    "hook_urls",
    "hook_retry_schedule",
    "hook_log_limit",
    "faults",
    "fault_seed",
    "clock_skew_ms",
    "max_connections",
    "header_read_timeout",
    "body_read_timeout",
];

/// A whole configuration file: the emulator's settings, the server's, and the address to
/// listen on when the file names one.
#[derive(Clone, Debug)]
pub struct FileConfig {
    /// The emulator's settings (the keys of [`SandboxConfig::from_toml`]).
    pub sandbox: SandboxConfig,
    /// The server's settings.
    pub server: ServerOptions,
    /// The `listen` key.
    pub listen: Option<String>,
}

impl FileConfig {
    /// Reads a configuration file, TOML or (when `json`) JSON: every key of
    /// [`SandboxConfig::from_toml`] plus `listen`, `hook_urls`, `hook_retry_schedule`
    /// (durations such as `"50ms"`), `hook_log_limit`, `faults` (specs such as
    /// `"501=0.1"`), `fault_seed`, `clock_skew_ms`, `max_connections`,
    /// `header_read_timeout` (`"10s"`) and `body_read_timeout` (`"30s"`). The sample `sandbox.example.toml` explains each.
    pub fn parse(text: &str, json: bool) -> Result<FileConfig, ConfigError> {
        let syntax = |e: String| ConfigError::Syntax(e);
        let value: serde_json::Value = if json {
            serde_json::from_str(text).map_err(|e| syntax(e.to_string()))?
        } else {
            let table: toml::Table = toml::from_str(text).map_err(|e| syntax(e.to_string()))?;
            serde_json::to_value(table).map_err(|e| syntax(e.to_string()))?
        };
        let serde_json::Value::Object(mut all) = value else {
            return Err(syntax("the configuration must be a table of keys".into()));
        };
        let mut server = serde_json::Map::new();
        for key in SERVER_KEYS {
            if let Some(v) = all.remove(*key) {
                server.insert((*key).to_owned(), v);
            }
        }
        let sandbox = SandboxConfig::from_json(&serde_json::Value::Object(all).to_string())?;
        let raw: RawServer = serde_json::from_value(serde_json::Value::Object(server))
            .map_err(|e| syntax(e.to_string()))?;
        let mut options = ServerOptions::default();
        if let Some(urls) = raw.hook_urls {
            options.hook_urls = urls;
        }
        if let Some(schedule) = raw.hook_retry_schedule {
            options.hook_retry_schedule = schedule
                .iter()
                .map(|d| parse_duration(d))
                .collect::<Result<_, _>>()
                .map_err(|e| ConfigError::Invalid(format!("hook_retry_schedule: {e}")))?;
        }
        if let Some(n) = raw.hook_log_limit {
            options.hook_log_limit = n;
        }
        for spec in raw.faults.unwrap_or_default() {
            options
                .faults
                .apply_spec(&spec)
                .map_err(|e| ConfigError::Invalid(format!("faults: {e}")))?;
        }
        if let Some(seed) = raw.fault_seed {
            options.faults.seed = seed;
        }
        if let Some(ms) = raw.clock_skew_ms {
            options.clock_skew_ms = ms;
        }
        if let Some(n) = raw.max_connections {
            options.max_connections = n;
        }
        if let Some(t) = raw.header_read_timeout {
            options.header_read_timeout = parse_duration(&t)
                .map_err(|e| ConfigError::Invalid(format!("header_read_timeout: {e}")))?;
        }
        if let Some(t) = raw.body_read_timeout {
            options.body_read_timeout = parse_duration(&t)
                .map_err(|e| ConfigError::Invalid(format!("body_read_timeout: {e}")))?;
        }
        Ok(FileConfig {
            sandbox,
            server: options,
            listen: raw.listen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_halves_are_read() {
        let f = FileConfig::parse(
            r#"
            listen = "127.0.0.1:0"
            max_messages = 5
            hook_urls = ["http://127.0.0.1:9/hook"]
            faults = ["501=0.1", "delay=0.2:1s"]
            fault_seed = 7
            clock_skew_ms = -90000
            header_read_timeout = "2s"
            body_read_timeout = "3s"
            per_day_limit = 3
            "#,
            false,
        )
        .unwrap();
        assert_eq!(f.sandbox.outbox_limit, Some(5));
        assert_eq!(f.sandbox.per_day_limit, 3);
        assert_eq!(f.server.hook_urls.len(), 1);
        assert_eq!(f.server.faults.error_501, 0.1);
        assert_eq!(f.server.faults.seed, 7);
        assert_eq!(f.server.clock_skew_ms, -90_000);
        assert_eq!(f.server.header_read_timeout, Duration::from_secs(2));
        assert_eq!(f.server.body_read_timeout, Duration::from_secs(3));
        assert_eq!(f.listen.as_deref(), Some("127.0.0.1:0"));
        assert!(FileConfig::parse("fautls = []", false).is_err());
        assert!(FileConfig::parse(r#"faults = ["9=1"]"#, false).is_err());
        assert!(FileConfig::parse(r#"{"max_messages": 3}"#, true).is_ok());
        assert!(FileConfig::parse("[1]", true).is_err());
    }
}
