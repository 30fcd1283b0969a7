//! What a sandbox knows: its accounts, templates, sign names, limits and keys.

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use serde::Deserialize;

use sendcloud_proto::Secret;

/// An API user the sandbox accepts requests from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The `smsUser`.
    pub sms_user: String,
    /// Its SMS key: requests must be signed with it (MD5 or SHA-256).
    pub sms_key: Secret,
}

impl Account {
    /// An account `sms_user` with key `sms_key`.
    pub fn new(sms_user: impl Into<String>, sms_key: impl Into<String>) -> Self {
        Account {
            sms_user: sms_user.into(),
            sms_key: Secret::new(sms_key),
        }
    }
}

/// Whether a template is a text message or a multimedia message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateKind {
    /// An SMS template: sent with `msgType` 0 (domestic) or 2 (international).
    #[default]
    Sms,
    /// An MMS template: sent with `msgType` 1.
    Mms,
}

impl TemplateKind {
    /// `"sms"` or `"mms"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Sms => "sms",
            TemplateKind::Mms => "mms",
        }
    }
}

/// A message template registered with the sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The `templateId`.
    pub id: u64,
    /// The text, with `%name%` placeholders for substitution variables.
    pub text: String,
    /// Whether the template passed review; sends of an unapproved template get 432.
    pub approved: bool,
    /// SMS or MMS.
    pub kind: TemplateKind,
}

impl Template {
    /// An approved SMS template.
    pub fn sms(id: u64, text: impl Into<String>) -> Self {
        Template {
            id,
            text: text.into(),
            approved: true,
            kind: TemplateKind::Sms,
        }
    }
}

/// A sign name (the sender shown in brackets in a message), for `sendCode`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignName {
    /// The `signId`.
    pub id: u64,
    /// The `signName`.
    pub name: String,
}

/// The sandbox's configuration. [`SandboxConfig::default`] is ready to use; a TOML or JSON
/// file (see [`SandboxConfig::from_toml`]) overrides any part of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxConfig {
    /// The API users.
    pub accounts: Vec<Account>,
    /// The template registry.
    pub templates: Vec<Template>,
    /// The sign names `sendCode` may use.
    pub sign_names: Vec<SignName>,
    /// How far a request's `timestamp` may be from the sandbox's `now` (ms); 60,000 by default.
    pub timestamp_window_ms: u64,
    /// Most messages accepted for one number in any 60 s (else 496).
    pub per_minute_limit: u32,
    /// Most messages accepted for one number in any 24 h (else 498).
    pub per_day_limit: u32,
    /// Messages the accounts may still send (each accepted message costs 1; else 499);
    /// `None` is unlimited.
    pub balance: Option<u64>,
    /// The SMSHook app key the queued hook events are signed with.
    pub hook_app_key: Secret,
    /// How long a `sendRequestId` is remembered (ms); 3,600,000 (one hour) by default.
    pub dedupe_window_ms: u64,
    /// Whether accepted messages queue hook events (drain them with
    /// [`super::Sandbox::take_hook_events`]). Turn it off for very large runs that never
    /// drain the queue.
    pub queue_hook_events: bool,
    /// Whether every accepted request also queues one `request` hook event (before the
    /// per-message events). Off by default.
    pub queue_request_events: bool,
    /// Keep at most this many messages in the outbox (the oldest are dropped); `None`
    /// keeps all of them. The file key `max_messages` is the same setting.
    pub outbox_limit: Option<usize>,
    /// Most SMSHook events waiting to be taken (the oldest are dropped beyond it, and
    /// counted in [`super::Sandbox::hook_events_dropped`]); 10,000 by default.
    pub hook_queue_limit: usize,
    /// Most numbers whose recent messages are remembered for the rate limits; beyond it the
    /// numbers with the oldest last message are forgotten (their limits start afresh).
    /// 20,000 by default.
    pub max_tracked_numbers: usize,
    /// Most sendRequestIds remembered for dedupe within `dedupe_window_ms`; beyond it the
    /// oldest are forgotten. 20,000 by default.
    pub max_request_ids: usize,
}

/// The sandbox's default user.
pub const DEFAULT_SMS_USER: &str = "sandbox-user";
/// The default user's key.
pub const DEFAULT_SMS_KEY: &str = "sandbox-key";
/// The default SMSHook app key.
pub const DEFAULT_HOOK_APP_KEY: &str = "sandbox-hook-key";

impl Default for SandboxConfig {
    /// One account (`sandbox-user` / `sandbox-key`), four templates (1: a code SMS,
    /// 2: an order SMS with two variables, 3: an MMS, 4: not approved), two sign names
    /// (1 `Sandbox`, 2 `Acme`), a 60 s timestamp window, 1,000 messages a minute and
    /// 10,000 a day per number, unlimited balance, hook events queued.
    fn default() -> Self {
        SandboxConfig {
            accounts: vec![Account::new(DEFAULT_SMS_USER, DEFAULT_SMS_KEY)],
            templates: vec![
                Template::sms(1, "【Sandbox】Your code is %code%."),
                Template::sms(
                    2,
                    "【Sandbox】Hello %name%, your order %order% has shipped.",
                ),
                Template {
                    id: 3,
                    text: "【Sandbox】%name%, your monthly statement is attached.".into(),
                    approved: true,
                    kind: TemplateKind::Mms,
                },
                Template {
                    id: 4,
                    text: "【Sandbox】This template is still under review.".into(),
                    approved: false,
                    kind: TemplateKind::Sms,
                },
            ],
            sign_names: vec![
                SignName {
                    id: 1,
                    name: "Sandbox".into(),
                },
                SignName {
                    id: 2,
                    name: "Acme".into(),
                },
            ],
            timestamp_window_ms: 60_000,
            per_minute_limit: 1_000,
            per_day_limit: 10_000,
            balance: None,
            hook_app_key: Secret::new(DEFAULT_HOOK_APP_KEY),
            dedupe_window_ms: 3_600_000,
            queue_hook_events: true,
            queue_request_events: false,
            outbox_limit: None,
            hook_queue_limit: 10_000,
            max_tracked_numbers: 20_000,
            max_request_ids: 20_000,
        }
    }
}

/// A sandbox configuration that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The text is not valid TOML or JSON, or has a field of the wrong type or an unknown
    /// field.
    Syntax(String),
    /// The text parsed but breaks a rule (an empty user name, a template id twice, ...).
    Invalid(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Syntax(e) => write!(f, "could not read the sandbox configuration: {e}"),
            ConfigError::Invalid(e) => write!(f, "invalid sandbox configuration: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawConfig {
    accounts: Option<Vec<RawAccount>>,
    templates: Option<Vec<RawTemplate>>,
    sign_names: Option<Vec<RawSignName>>,
    timestamp_window_ms: Option<u64>,
    per_minute_limit: Option<u32>,
    per_day_limit: Option<u32>,
    balance: Option<u64>,
    hook_app_key: Option<String>,
    dedupe_window_ms: Option<u64>,
    queue_hook_events: Option<bool>,
    queue_request_events: Option<bool>,
    #[serde(alias = "max_messages")]
    outbox_limit: Option<usize>,
    hook_queue_limit: Option<usize>,
    max_tracked_numbers: Option<usize>,
    max_request_ids: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    #[serde(alias = "smsUser")]
    sms_user: String,
    #[serde(alias = "smsKey")]
    sms_key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    id: u64,
    text: String,
    #[serde(default = "yes")]
    approved: bool,
    #[serde(default)]
    kind: TemplateKind,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignName {
    id: u64,
    name: String,
}

impl SandboxConfig {
    /// Reads a configuration from TOML. Every field is optional; what is left out keeps
    /// its [default](SandboxConfig::default) (a list that is given replaces the default
    /// list). Unknown fields are refused, so a typo does not go unnoticed.
    ///
    /// ```
    /// use sendcloud_sandbox::SandboxConfig;
    /// let config = SandboxConfig::from_toml(r#"
    ///     per_minute_limit = 3
    ///     balance = 100
    ///     hook_app_key = "my-hook-key"
    ///
    ///     [[accounts]]
    ///     sms_user = "me"
    ///     sms_key = "my-key"
    ///
    ///     [[templates]]
    ///     id = 7
    ///     text = "【Acme】Your code is %code%."
    ///
    ///     [[templates]]
    ///     id = 8
    ///     text = "【Acme】Pictures of %thing%."
    ///     kind = "mms"
    ///     approved = false
    /// "#).unwrap();
    /// assert_eq!(config.accounts[0].sms_user, "me");
    /// assert_eq!(config.templates.len(), 2);
    /// assert_eq!(config.balance, Some(100));
    /// assert_eq!(config.timestamp_window_ms, 60_000); // the default
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        raw.into_config()
    }

    /// Reads a configuration from JSON, with the same fields as [`SandboxConfig::from_toml`].
    ///
    /// ```
    /// use sendcloud_sandbox::SandboxConfig;
    /// let config = SandboxConfig::from_json(
    ///     r#"{"accounts":[{"smsUser":"me","smsKey":"k"}],"per_day_limit":5}"#).unwrap();
    /// assert_eq!(config.per_day_limit, 5);
    /// assert!(SandboxConfig::from_json(r#"{"per_day_limt":5}"#).is_err());
    /// ```
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        if !value.is_object() {
            return Err(ConfigError::Syntax(
                "the configuration must be a JSON object".into(),
            ));
        }
        let raw: RawConfig =
            serde_json::from_value(value).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        raw.into_config()
    }

    /// Checks the rules a configuration file must follow: at least one account, no empty
    /// or repeated user names, no empty keys, positive template and sign ids that do not
    /// repeat, and sign names that are not empty.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.accounts.is_empty() {
            return Err(ConfigError::Invalid(
                "at least one account is needed".into(),
            ));
        }
        let mut users = HashSet::new();
        for a in &self.accounts {
            if a.sms_user.trim().is_empty() {
                return Err(ConfigError::Invalid(
                    "an account has an empty sms_user".into(),
                ));
            }
            if a.sms_key.expose().is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "account {:?} has an empty sms_key",
                    a.sms_user
                )));
            }
            if !users.insert(a.sms_user.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "account {:?} is listed twice",
                    a.sms_user
                )));
            }
        }
        let mut ids = HashSet::new();
        for t in &self.templates {
            if t.id == 0 {
                return Err(ConfigError::Invalid("template ids must be positive".into()));
            }
            if !ids.insert(t.id) {
                return Err(ConfigError::Invalid(format!(
                    "template {} is listed twice",
                    t.id
                )));
            }
        }
        let mut ids = HashSet::new();
        for s in &self.sign_names {
            if s.id == 0 {
                return Err(ConfigError::Invalid(
                    "sign name ids must be positive".into(),
                ));
            }
            if s.name.trim().is_empty() {
                return Err(ConfigError::Invalid(format!("sign name {} is empty", s.id)));
            }
            if !ids.insert(s.id) {
                return Err(ConfigError::Invalid(format!(
                    "sign name {} is listed twice",
                    s.id
                )));
            }
        }
        Ok(())
    }

    /// A human description: the accounts with their keys (they are sandbox keys, made up
    /// for testing), the templates, the sign names and the limits. The one place the
    /// sandbox prints keys.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "SendCloud sandbox");
        let _ = writeln!(s, "accounts:");
        for a in &self.accounts {
            let _ = writeln!(
                s,
                "  smsUser {:?}  smsKey {:?}",
                a.sms_user,
                a.sms_key.expose()
            );
        }
        let _ = writeln!(s, "templates:");
        for t in &self.templates {
            let _ = writeln!(
                s,
                "  {:>4}  {}{}  {}",
                t.id,
                t.kind.as_str(),
                if t.approved { "" } else { " (not approved)" },
                t.text
            );
        }
        let _ = writeln!(s, "sign names:");
        for n in &self.sign_names {
            let _ = writeln!(s, "  {:>4}  {}", n.id, n.name);
        }
        let _ = writeln!(
            s,
            "limits: timestamp window {} ms, {} messages/minute and {} messages/day per number, balance {}, sendRequestId remembered {} ms",
            self.timestamp_window_ms,
            self.per_minute_limit,
            self.per_day_limit,
            match self.balance {
                Some(b) => b.to_string(),
                None => "unlimited".into(),
            },
            self.dedupe_window_ms
        );
        // The default hook key is made up for testing, like the accounts' keys; a key
        // given in a file or flag may be real, and is never printed.
        let hook_key = if self.hook_app_key.expose() == DEFAULT_HOOK_APP_KEY {
            format!("{DEFAULT_HOOK_APP_KEY:?}")
        } else {
            "(given, not shown)".to_owned()
        };
        let _ = writeln!(
            s,
            "SMSHook app key {hook_key}; hook events {}",
            if self.queue_hook_events {
                "queued"
            } else {
                "not queued"
            }
        );
        s
    }

    /// The account named `sms_user`, with its position (0-based).
    pub(crate) fn account(&self, sms_user: &str) -> Option<(usize, &Account)> {
        self.accounts
            .iter()
            .enumerate()
            .find(|(_, a)| a.sms_user == sms_user)
    }

    /// The template with `id`.
    pub fn template(&self, id: u64) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }
}

impl RawConfig {
    fn into_config(self) -> Result<SandboxConfig, ConfigError> {
        let d = SandboxConfig::default();
        let config = SandboxConfig {
            accounts: match self.accounts {
                Some(list) => list
                    .into_iter()
                    .map(|a| Account::new(a.sms_user, a.sms_key))
                    .collect(),
                None => d.accounts,
            },
            templates: match self.templates {
                Some(list) => list
                    .into_iter()
                    .map(|t| Template {
                        id: t.id,
                        text: t.text,
                        approved: t.approved,
                        kind: t.kind,
                    })
                    .collect(),
                None => d.templates,
            },
            sign_names: match self.sign_names {
                Some(list) => list
                    .into_iter()
                    .map(|s| SignName {
                        id: s.id,
                        name: s.name,
                    })
                    .collect(),
                None => d.sign_names,
            },
            timestamp_window_ms: self.timestamp_window_ms.unwrap_or(d.timestamp_window_ms),
            per_minute_limit: self.per_minute_limit.unwrap_or(d.per_minute_limit),
            per_day_limit: self.per_day_limit.unwrap_or(d.per_day_limit),
            balance: self.balance.or(d.balance),
            hook_app_key: self.hook_app_key.map(Secret::new).unwrap_or(d.hook_app_key),
            dedupe_window_ms: self.dedupe_window_ms.unwrap_or(d.dedupe_window_ms),
            queue_hook_events: self.queue_hook_events.unwrap_or(d.queue_hook_events),
            queue_request_events: self.queue_request_events.unwrap_or(d.queue_request_events),
            outbox_limit: self.outbox_limit.or(d.outbox_limit),
            hook_queue_limit: self.hook_queue_limit.unwrap_or(d.hook_queue_limit),
            max_tracked_numbers: self.max_tracked_numbers.unwrap_or(d.max_tracked_numbers),
            max_request_ids: self.max_request_ids.unwrap_or(d.max_request_ids),
        };
        config.validate()?;
        Ok(config)
    }
}
