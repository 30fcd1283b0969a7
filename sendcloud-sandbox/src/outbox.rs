//! The messages the sandbox accepted, and how they are shown.

use std::fmt::Write as _;

use serde_json::{json, Value};

use sendcloud_proto::StatusCode;
use sendcloud_proto::Timestamp;

/// What kind of message was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A template SMS (`send`, msgType 0 or 2).
    Sms,
    /// A template MMS (`send`, msgType 1).
    Mms,
    /// A voice call reading a code (`sendVoice`).
    Voice,
    /// A code SMS without a template (`sendCode`).
    Code,
}

impl MessageKind {
    /// `"sms"`, `"mms"`, `"voice"` or `"code"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Sms => "sms",
            MessageKind::Mms => "mms",
            MessageKind::Voice => "voice",
            MessageKind::Code => "code",
        }
    }
}

/// What happens to an accepted message (decided when it is accepted, by the rule in the
/// [module documentation](super)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryOutcome {
    /// Delivered to the phone (SMSHook event `deliver`).
    Delivered,
    /// Processing failed before it went out (`workererror`, a code from 410 to 460).
    WorkerError(StatusCode),
    /// Delivery failed (`delivererror`, a code from 500 to 590).
    DeliverError(StatusCode),
}

impl DeliveryOutcome {
    /// The SMSHook event name: `deliver`, `workererror` or `delivererror`.
    pub fn event(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "deliver",
            DeliveryOutcome::WorkerError(_) => "workererror",
            DeliveryOutcome::DeliverError(_) => "delivererror",
        }
    }

    /// The SMSHook event number: 2, 4 or 5.
    pub fn event_type(self) -> u8 {
        match self {
            DeliveryOutcome::Delivered => 2,
            DeliveryOutcome::WorkerError(_) => 4,
            DeliveryOutcome::DeliverError(_) => 5,
        }
    }

    /// The status: 200 when delivered, else the SMSHook code.
    pub fn status(self) -> StatusCode {
        match self {
            DeliveryOutcome::Delivered => StatusCode::Ok,
            DeliveryOutcome::WorkerError(s) | DeliveryOutcome::DeliverError(s) => s,
        }
    }

    /// Whether the message reached the phone.
    pub fn is_delivered(self) -> bool {
        self == DeliveryOutcome::Delivered
    }

    /// A short description.
    pub fn description(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            other => other.status().meaning(),
        }
    }

    /// The outcome the number alone decides (see the [module documentation](super)):
    /// a number ending in `99` does not exist (delivererror 500), `98` is in the global
    /// intercept list (workererror 410), `97` is powered off (delivererror 580), `96` is
    /// out of service (delivererror 510); every other number gets the message.
    ///
    /// ```
    /// use sendcloud_sandbox::DeliveryOutcome;
    /// use sendcloud_proto::StatusCode;
    /// assert_eq!(DeliveryOutcome::for_phone("13800000099"),
    ///            DeliveryOutcome::DeliverError(StatusCode::HookNumberNotExist));
    /// assert_eq!(DeliveryOutcome::for_phone("13800000000"), DeliveryOutcome::Delivered);
    /// ```
    pub fn for_phone(phone: &str) -> DeliveryOutcome {
        if phone.ends_with("99") {
            DeliveryOutcome::DeliverError(StatusCode::HookNumberNotExist)
        } else if phone.ends_with("98") {
            DeliveryOutcome::WorkerError(StatusCode::HookGlobalIntercept)
        } else if phone.ends_with("97") {
            DeliveryOutcome::DeliverError(StatusCode::HookPoweredOff)
        } else if phone.ends_with("96") {
            DeliveryOutcome::DeliverError(StatusCode::HookNumberOutOfService)
        } else {
            DeliveryOutcome::Delivered
        }
    }
}

/// One message the sandbox accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    /// The smsId the answer carried.
    pub sms_id: String,
    /// The recipient, as sent.
    pub phone: String,
    /// The text as the phone shows it: the template with its variables filled in, or the
    /// code message.
    pub text: String,
    /// The template (template sends only).
    pub template_id: Option<u64>,
    /// The request's `vars` as compact JSON (template sends with variables only).
    pub vars: Option<String>,
    /// SMS, MMS, voice or code.
    pub kind: MessageKind,
    /// The `msgType` (0 domestic SMS, 1 MMS, 2 international SMS); 0 for voice.
    pub msg_type: u8,
    /// The account that sent it.
    pub sms_user: String,
    /// When the sandbox accepted it.
    pub accepted_at: Timestamp,
    /// The request's `sendRequestId`, if it had one.
    pub send_request_id: Option<String>,
    /// The request's `tag` JSON text, if it had one.
    pub tag: Option<String>,
    /// What happened to it.
    pub outcome: DeliveryOutcome,
}

impl OutboxMessage {
    /// The message as a JSON value (the items of [`super::Sandbox::outbox_json`]).
    pub fn to_json_value(&self) -> Value {
        json!({
            "smsId": self.sms_id,
            "phone": self.phone,
            "text": self.text,
            "templateId": self.template_id,
            "vars": self.vars.as_deref().and_then(|v| serde_json::from_str::<Value>(v).ok()),
            "kind": self.kind.as_str(),
            "msgType": self.msg_type,
            "smsUser": self.sms_user,
            "acceptedAt": self.accepted_at.as_millis(),
            "sendRequestId": self.send_request_id,
            "tag": self.tag,
            "outcome": {
                "event": self.outcome.event(),
                "statusCode": self.outcome.status().code(),
                "description": self.outcome.description(),
            },
        })
    }
}

/// Most messages the HTML page lists (the newest ones).
pub const HTML_MAX_MESSAGES: usize = 1_000;

/// The outbox as a JSON array, newest first.
pub(crate) fn to_json<'a, I>(newest_first: I) -> String
where
    I: Iterator<Item = &'a OutboxMessage>,
{
    let items: Vec<Value> = newest_first.map(OutboxMessage::to_json_value).collect();
    Value::Array(items).to_string()
}

/// The outbox as a small HTML page, newest first, at most [`HTML_MAX_MESSAGES`].
pub(crate) fn to_html<'a, I>(newest_first: I, total: usize) -> String
where
    I: Iterator<Item = &'a OutboxMessage>,
{
    let mut s = String::with_capacity(4096);
    s.push_str(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<title>SendCloud sandbox outbox</title>\n<style>\n",
        "body{font-family:system-ui,sans-serif;background:#eef0f3;margin:0;padding:1rem}\n",
        "h1{font-size:1.2rem}\n",
        ".msg{background:#fff;border-radius:1rem;max-width:28rem;margin:.8rem 0;",
        "padding:.7rem 1rem;box-shadow:0 1px 2px #0002}\n",
        ".meta{color:#667;font-size:.8rem;margin-bottom:.3rem}\n",
        ".text{white-space:pre-wrap;word-break:break-word}\n",
        ".ok{color:#176b2c}.failed{color:#a11}\n",
        "</style>\n</head>\n<body>\n<h1>SendCloud sandbox outbox</h1>\n",
    ));
    let shown = total.min(HTML_MAX_MESSAGES);
    if total == 0 {
        s.push_str("<p>No messages yet.</p>\n");
    } else {
        let _ = writeln!(
            s,
            "<p>{total} message(s){}.</p>",
            if shown < total {
                format!(", the newest {shown} shown")
            } else {
                String::new()
            }
        );
    }
    for m in newest_first.take(shown) {
        let class = if m.outcome.is_delivered() {
            "ok"
        } else {
            "failed"
        };
        let _ = write!(
            s,
            "<div class=\"msg\" id=\"{}\">\n<div class=\"meta\">To <b>{}</b> · {} · {} · {}</div>\n",
            escape_html(&m.sms_id),
            escape_html(&m.phone),
            m.kind.as_str(),
            format_utc(m.accepted_at),
            escape_html(&m.sms_user),
        );
        let _ = write!(
            s,
            "<div class=\"text\">{}</div>\n<div class=\"meta {class}\">{} ({})</div>\n</div>\n",
            escape_html(&m.text),
            m.outcome.event(),
            escape_html(m.outcome.description()),
        );
    }
    s.push_str("</body>\n</html>\n");
    s
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DD HH:MM:SS UTC` for a UNIX time in milliseconds.
pub(crate) fn format_utc(t: Timestamp) -> String {
    let secs = t.as_millis() / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Count from 0000-03-01 so that leap days fall at the end of a year; eras of 400
    // years have exactly 146,097 days.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_utc(Timestamp(0)), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            format_utc(Timestamp(1_458_113_381_893)),
            "2016-03-16 07:29:41 UTC"
        );
        assert_eq!(
            format_utc(Timestamp(951_782_400_000)),
            "2000-02-29 00:00:00 UTC"
        );
        // The largest time does not overflow.
        assert!(format_utc(Timestamp(u64::MAX)).ends_with("UTC"));
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}
