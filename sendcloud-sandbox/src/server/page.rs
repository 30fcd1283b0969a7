//! The page at `/`: the newest messages rendered on the server (so the page works
//! without scripts), then kept up to date by polling the JSON API.

use std::fmt::Write as _;

use crate::outbox::{escape_html, format_utc};
use crate::{MessageFilter, Sandbox};

const TEMPLATE: &str = include_str!("page.html");

/// How many messages the page shows before its script takes over.
const FIRST_ROWS: usize = 50;

pub(crate) fn render(sandbox: &Sandbox) -> String {
    let page = sandbox.messages(&MessageFilter {
        limit: FIRST_ROWS,
        ..MessageFilter::default()
    });
    let mut rows = String::new();
    if page.messages.is_empty() {
        rows.push_str("<li class=\"empty\">No messages yet.</li>");
    }
    for m in &page.messages {
        let class = if m.outcome.is_delivered() {
            "ok"
        } else {
            "failed"
        };
        let template = m
            .template_id
            .map(|t| format!(" · template {t}"))
            .unwrap_or_default();
        let _ = write!(
            rows,
            "<li class=\"msg\" data-sms-id=\"{}\"><div class=\"meta\">To <b>{}</b> · {}{template} · {}</div>\
             <div class=\"text\">{}</div><div class=\"meta {class}\">{} ({})</div></li>",
            escape_html(&m.sms_id),
            escape_html(&m.phone),
            m.kind.as_str(),
            format_utc(m.accepted_at),
            escape_html(&m.text),
            m.outcome.event(),
            escape_html(m.outcome.description()),
        );
    }
    // The count first: a message's text could hold "{{COUNT}}", never the other way.
    TEMPLATE
        .replacen("{{COUNT}}", &format!("{} message(s)", page.total), 1)
        .replacen("{{ROWS}}", &rows, 1)
}
