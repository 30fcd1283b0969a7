//! Finding messages in the outbox: the filters of the JSON API and the page's search.

use serde_json::{json, Value};

use crate::outbox::OutboxMessage;
use crate::Sandbox;

/// Which messages to list, newest first. Every filter that is set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// The recipient, exactly.
    pub phone: Option<String>,
    /// The smsId, exactly.
    pub sms_id: Option<String>,
    /// The template id.
    pub template: Option<u64>,
    /// Accepted at or after this UNIX time in milliseconds.
    pub since: Option<u64>,
    /// A piece of text the phone number, the rendered text, the smsId or the
    /// sendRequestId contains (case-insensitive for ASCII).
    pub text: Option<String>,
    /// Skip this many matching messages (paging).
    pub offset: usize,
    /// At most this many messages (paging); 0 means [`MessageFilter::DEFAULT_LIMIT`].
    pub limit: usize,
}

/// One page of matching messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessagePage<'a> {
    /// How many messages match in all.
    pub total: usize,
    /// This page's messages, newest first.
    pub messages: Vec<&'a OutboxMessage>,
    /// The offset of the next page, if there is one.
    pub next_offset: Option<usize>,
}

impl MessageFilter {
    /// The page size when none is given.
    pub const DEFAULT_LIMIT: usize = 50;
    /// The largest page.
    pub const MAX_LIMIT: usize = 1_000;

    /// Whether `m` passes every filter (paging aside).
    pub fn matches(&self, m: &OutboxMessage) -> bool {
        self.phone.as_deref().is_none_or(|p| m.phone == p)
            && self.sms_id.as_deref().is_none_or(|id| m.sms_id == id)
            && self.template.is_none_or(|t| m.template_id == Some(t))
            && self.since.is_none_or(|s| m.accepted_at.as_millis() >= s)
            && self.text.as_deref().is_none_or(|q| {
                let q = q.to_ascii_lowercase();
                [
                    Some(m.phone.as_str()),
                    Some(m.text.as_str()),
                    Some(m.sms_id.as_str()),
                    m.send_request_id.as_deref(),
                ]
                .into_iter()
                .flatten()
                .any(|f| f.to_ascii_lowercase().contains(&q))
            })
    }

    fn page_size(&self) -> usize {
        match self.limit {
            0 => Self::DEFAULT_LIMIT,
            n => n.min(Self::MAX_LIMIT),
        }
    }
}

impl MessagePage<'_> {
    /// `{"total", "offset", "next_offset", "messages": [...]}`, each message as
    /// [`OutboxMessage::to_json_value`].
    pub fn to_json_value(&self, offset: usize) -> Value {
        json!({
            "total": self.total,
            "offset": offset,
            "next_offset": self.next_offset,
            "messages": self.messages.iter().map(|m| m.to_json_value()).collect::<Vec<_>>(),
        })
    }
}

impl Sandbox {
    /// The messages matching `filter`, newest first, one page of them.
    ///
    /// ```
    /// use sendcloud_sandbox::{MessageFilter, Sandbox, SandboxConfig};
    /// let sandbox = Sandbox::new(SandboxConfig::default());
    /// let page = sandbox.messages(&MessageFilter { phone: Some("13800000000".into()), ..Default::default() });
    /// assert_eq!(page.total, 0);
    /// ```
    pub fn messages(&self, filter: &MessageFilter) -> MessagePage<'_> {
        let size = filter.page_size();
        let mut total = 0;
        let mut messages = Vec::new();
        for m in self.outbox().iter().rev().filter(|m| filter.matches(m)) {
            if total >= filter.offset && messages.len() < size {
                messages.push(m);
            }
            total += 1;
        }
        let end = filter.offset.saturating_add(messages.len());
        MessagePage {
            total,
            messages,
            next_offset: (end < total).then_some(end),
        }
    }

    /// The message with `sms_id`, if it is still in the outbox.
    pub fn message(&self, sms_id: &str) -> Option<&OutboxMessage> {
        self.outbox().iter().rev().find(|m| m.sms_id == sms_id)
    }
}
