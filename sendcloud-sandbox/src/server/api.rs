//! The JSON API under `/api/`: messages (list with filters, one with everything about
//! it, delete all), faults (read, change), the hook delivery log, and counters.

use std::sync::atomic::Ordering;

use percent_encoding::percent_decode_str;
use serde_json::{json, Value};

use super::{lock, read_body, response, Answer, Shared};
use crate::{MessageFilter, OutboxMessage};
use hyper::body::Incoming;

fn json_answer(status: u16, value: &Value) -> Answer {
    let mut r = response(status, "application/json; charset=utf-8", value.to_string());
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    r
}

fn error(status: u16, message: impl Into<String>) -> Answer {
    json_answer(status, &json!({ "error": message.into() }))
}

fn wrong_method(allowed: &str) -> Answer {
    let mut r = error(405, format!("use {allowed}"));
    if let Ok(v) = http::HeaderValue::from_str(allowed) {
        r.headers_mut().insert(http::header::ALLOW, v);
    }
    r
}

/// The query string's parameters, decoded.
fn query(uri: &http::Uri) -> Vec<(String, String)> {
    let Some(q) = uri.query() else {
        return Vec::new();
    };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

fn filter_from(params: &[(String, String)]) -> Result<MessageFilter, String> {
    let mut f = MessageFilter::default();
    for (k, v) in params {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let number = |name: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{name} must be a whole number, not {v:?}"))
        };
        match k.as_str() {
            "phone" => f.phone = Some(v.to_owned()),
            "smsId" => f.sms_id = Some(v.to_owned()),
            "template" | "templateId" => f.template = Some(number(k)?),
            "since" => f.since = Some(number(k)?),
            "q" => f.text = Some(v.to_owned()),
            "limit" => f.limit = usize::try_from(number(k)?).unwrap_or(usize::MAX),
            "offset" => f.offset = usize::try_from(number(k)?).unwrap_or(usize::MAX),
            _ => {}
        }
    }
    Ok(f)
}

/// Everything about one message: its fields, its delivery events and its hook attempts.
fn message_detail(shared: &Shared, m: &OutboxMessage) -> Value {
    let mut v = m.to_json_value();
    let accepted = m.accepted_at.as_millis();
    let mut events = Vec::new();
    let queue = lock(&shared.sandbox).config().queue_request_events;
    if queue {
        events.push(json!({"event": "request", "eventType": 1, "at": accepted}));
    }
    events.push(json!({
        "event": m.outcome.event(),
        "eventType": m.outcome.event_type(),
        "statusCode": m.outcome.status().code(),
        "description": m.outcome.description(),
        "at": accepted,
    }));
    let attempts: Vec<Value> = lock(&shared.hooks)
        .for_message(&m.sms_id)
        .into_iter()
        .map(|a| a.to_json_value())
        .collect();
    if let Value::Object(o) = &mut v {
        o.insert("statusCode".into(), json!(m.outcome.status().code()));
        o.insert("events".into(), Value::Array(events));
        o.insert("hookAttempts".into(), Value::Array(attempts));
    }
    v
}

pub(crate) async fn serve(shared: &Shared, req: http::Request<Incoming>) -> Answer {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let method = req.method().clone();
    let rest = path.strip_prefix("/api").unwrap_or("");
    match rest {
        "" => json_answer(
            200,
            &json!({
                "messages": "/api/messages",
                "message": "/api/messages/{smsId}",
                "faults": "/api/faults",
                "hooks": "/api/hooks",
                "stats": "/api/stats",
            }),
        ),
        "/messages" => match method {
            http::Method::GET => {
                let params = query(req.uri());
                let filter = match filter_from(&params) {
                    Ok(f) => f,
                    Err(e) => return error(400, e),
                };
                let sandbox = lock(&shared.sandbox);
                let page = sandbox.messages(&filter);
                json_answer(200, &page.to_json_value(filter.offset))
            }
            http::Method::DELETE => {
                let deleted = {
                    let mut sandbox = lock(&shared.sandbox);
                    let n = sandbox.outbox().len();
                    sandbox.clear_outbox();
                    n
                };
                lock(&shared.hooks).attempts.clear();
                json_answer(200, &json!({ "deleted": deleted }))
            }
            _ => wrong_method("GET, DELETE"),
        },
        "/faults" => match method {
            http::Method::GET => faults(shared),
            http::Method::PUT | http::Method::POST | http::Method::PATCH => {
                let body = match read_body(shared, req).await {
                    Ok(r) => r.into_body(),
                    Err(answer) => return answer,
                };
                let value: Value = match serde_json::from_slice(&body) {
                    Ok(v) => v,
                    Err(e) => return error(400, format!("the body is not JSON: {e}")),
                };
                let result = {
                    let mut f = lock(&shared.faults);
                    let mut rates = f.rates;
                    rates.apply_json(&value).map(|()| f.set_rates(rates))
                };
                match result {
                    Ok(()) => faults(shared),
                    Err(e) => error(400, e),
                }
            }
            _ => wrong_method("GET, PUT"),
        },
        "/hooks" => match method {
            http::Method::GET => {
                let params = query(req.uri());
                let limit = params
                    .iter()
                    .find(|(k, _)| k == "limit")
                    .and_then(|(_, v)| v.parse::<usize>().ok())
                    .unwrap_or(100)
                    .min(10_000);
                let (queued, dropped) = {
                    let s = lock(&shared.sandbox);
                    (s.hook_events().len(), s.hook_events_dropped())
                };
                let urls = lock(&shared.hook_urls).clone();
                let log = lock(&shared.hooks);
                let attempts: Vec<Value> = log
                    .attempts
                    .iter()
                    .rev()
                    .take(limit)
                    .map(|a| a.to_json_value())
                    .collect();
                json_answer(
                    200,
                    &json!({
                        "urls": urls,
                        "delivered": log.stats.delivered,
                        "failedAttempts": log.stats.failed_attempts,
                        "givenUp": log.stats.given_up,
                        "queued": queued,
                        "dropped": dropped,
                        "attempts": attempts,
                    }),
                )
            }
            _ => wrong_method("GET"),
        },
        "/stats" => match method {
            http::Method::GET => {
                let s = lock(&shared.sandbox);
                json_answer(
                    200,
                    &json!({
                        "accepted": s.accepted_count(),
                        "stored": s.outbox().len(),
                        "maxMessages": s.config().outbox_limit,
                        "connections": shared.connections.load(Ordering::Relaxed),
                        "refusedConnections": shared.refused_connections.load(Ordering::Relaxed),
                        "maxConnections": shared.max_connections,
                        "openConnections": shared.max_connections.saturating_sub(shared.open.available_permits()),
                    }),
                )
            }
            _ => wrong_method("GET"),
        },
        other => match other.strip_prefix("/messages/") {
            Some(id) if method == http::Method::GET => {
                let id = percent_decode_str(id).decode_utf8_lossy().into_owned();
                let found = lock(&shared.sandbox).message(&id).cloned();
                match found {
                    Some(m) => json_answer(200, &message_detail(shared, &m)),
                    None => error(
                        404,
                        "no message with that smsId (it may have been dropped or deleted)",
                    ),
                }
            }
            Some(_) => wrong_method("GET"),
            None => error(404, "no such API path; see /api/"),
        },
    }
}

fn faults(shared: &Shared) -> Answer {
    let f = lock(&shared.faults);
    json_answer(
        200,
        &json!({ "rates": f.rates.to_json_value(), "counts": f.counts.to_json_value() }),
    )
}
