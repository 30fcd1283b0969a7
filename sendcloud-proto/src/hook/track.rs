//! Delivery tracking: folding events into the latest status of every message.

use std::collections::{BTreeMap, VecDeque};

use super::event::{HookEvent, HookEventKind};
use crate::delivery::DeliveryState;
use crate::values::{TemplateId, Timestamp};

/// The latest known status of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryStatus {
    /// Where the message stands.
    pub state: DeliveryState,
    /// The timestamp of the event that set this status.
    pub timestamp: Timestamp,
    /// The token of that event.
    pub token: String,
    /// The recipient, when the event named one.
    pub phone: Option<String>,
    /// The template, when the event named one.
    pub template_id: Option<TemplateId>,
    /// The event's message text, when given.
    pub message: Option<String>,
    /// The carrier's receipt time (`receiptTime`), as sent, when given.
    pub receipt_time: Option<String>,
}

/// What [`DeliveryTracker::apply`] did with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Applied {
    /// The status of at least one smsId changed.
    Updated,
    /// The event was seen before (same token, or same smsId, event and timestamp).
    Duplicate,
    /// The event is older than what is already known, and was not applied.
    Stale,
    /// The event is not about a message's delivery (reply, templateVerify, unknown
    /// events, or a request naming no smsId).
    Ignored,
}

/// How many event identities are remembered per smsId for spotting duplicates.
const SEEN_PER_ID: usize = 16;

#[derive(Clone, Debug)]
struct Entry {
    status: DeliveryStatus,
    seen: VecDeque<(String, &'static str, u64)>,
}

/// A sans-IO fold of SMSHook events into the latest status of every smsId.
///
/// Events may arrive twice and out of order. A duplicate (the same token again, or the
/// same smsId, event and timestamp) is ignored. A `request` never replaces a final state
/// (delivered or failed), whatever the timestamps say; otherwise the event with the later
/// timestamp wins, and two final events with the same timestamp are ordered by token, so
/// the outcome does not depend on the order of arrival.
///
/// ```
/// use sendcloud_proto::hook::{Applied, DeliveryTracker, HookEvent};
/// use sendcloud_proto::DeliveryState;
/// use sendcloud_proto::{Secret, Timestamp};
/// let key = Secret::new("k");
/// let ev = |token: &str, ms: u64, event: &str| {
///     let body = HookEvent::signed_form_body(&key, token, Timestamp(ms),
///         [("event", event), ("smsId", "id-1"), ("statusCode", "500")]);
///     HookEvent::parse(None, body.as_bytes()).unwrap()
/// };
/// let mut t = DeliveryTracker::new();
/// assert_eq!(t.apply(&ev("a", 2_000, "deliver")), Applied::Updated);
/// assert_eq!(t.apply(&ev("a", 2_000, "deliver")), Applied::Duplicate);
/// assert_eq!(t.apply(&ev("b", 1_000, "delivererror")), Applied::Stale);
/// assert_eq!(t.status("id-1").unwrap().state, DeliveryState::Delivered);
/// ```
#[derive(Clone, Debug, Default)]
pub struct DeliveryTracker {
    entries: BTreeMap<String, Entry>,
}

impl DeliveryTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        DeliveryTracker::default()
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: &HookEvent) -> Applied {
        let (state, phones, template_id, message): (_, Vec<&str>, _, _) = match &event.kind {
            HookEventKind::Request {
                phones,
                template_id,
                message,
                ..
            } => (
                DeliveryState::Requested,
                phones.iter().map(String::as_str).collect(),
                *template_id,
                message,
            ),
            HookEventKind::Delivered {
                phone,
                template_id,
                message,
                ..
            } => (
                DeliveryState::Delivered,
                phone.iter().map(String::as_str).collect(),
                *template_id,
                message,
            ),
            HookEventKind::ProcessingFailed {
                phone,
                template_id,
                status,
                message,
                ..
            } => (
                DeliveryState::ProcessingFailed(Some(*status)),
                phone.iter().map(String::as_str).collect(),
                *template_id,
                message,
            ),
            HookEventKind::DeliveryFailed {
                phone,
                template_id,
                status,
                message,
                ..
            } => (
                DeliveryState::DeliveryFailed(Some(*status)),
                phone.iter().map(String::as_str).collect(),
                *template_id,
                message,
            ),
            _ => return Applied::Ignored,
        };
        let ids = event.sms_ids();
        if ids.is_empty() {
            return Applied::Ignored;
        }
        // Phones pair with smsIds by position when the lists have the same length.
        let phone_for = |i: usize| -> Option<String> {
            if phones.len() == ids.len() {
                phones.get(i).map(|p| (*p).to_owned())
            } else if phones.len() == 1 {
                Some(phones[0].to_owned())
            } else {
                None
            }
        };
        let name: &'static str = match state {
            DeliveryState::Requested => "request",
            DeliveryState::Delivered => "deliver",
            DeliveryState::ProcessingFailed(_) => "workererror",
            DeliveryState::DeliveryFailed(_) => "delivererror",
            DeliveryState::Unknown => "unknown",
        };
        let ts = event.timestamp.as_millis();
        let (mut updated, mut stale) = (false, false);
        for (i, id) in ids.iter().enumerate() {
            let new_status = DeliveryStatus {
                state,
                timestamp: event.timestamp,
                token: event.token.clone(),
                phone: phone_for(i),
                template_id,
                message: message.clone(),
                receipt_time: event.receipt_time().map(str::to_owned),
            };
            match self.entries.get_mut(*id) {
                None => {
                    let mut seen = VecDeque::with_capacity(4);
                    seen.push_back((event.token.clone(), name, ts));
                    self.entries.insert(
                        (*id).to_owned(),
                        Entry {
                            status: new_status,
                            seen,
                        },
                    );
                    updated = true;
                }
                Some(entry) => {
                    let duplicate = entry
                        .seen
                        .iter()
                        .any(|(tok, ev, t)| *tok == event.token || (*ev == name && *t == ts));
                    if duplicate {
                        continue;
                    }
                    if entry.seen.len() >= SEEN_PER_ID {
                        entry.seen.pop_front();
                    }
                    entry.seen.push_back((event.token.clone(), name, ts));
                    let cur = &entry.status;
                    let newer = (state.rank(), event.timestamp, event.token.as_str())
                        > (cur.state.rank(), cur.timestamp, cur.token.as_str());
                    if newer {
                        entry.status = new_status;
                        updated = true;
                    } else {
                        stale = true;
                    }
                }
            }
        }
        if updated {
            Applied::Updated
        } else if stale {
            Applied::Stale
        } else {
            Applied::Duplicate
        }
    }

    /// The latest status of `sms_id`.
    pub fn status(&self, sms_id: &str) -> Option<&DeliveryStatus> {
        self.entries.get(sms_id).map(|e| &e.status)
    }

    /// Every tracked smsId with its status, in smsId order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &DeliveryStatus)> + '_ {
        self.entries.iter().map(|(k, e)| (k.as_str(), &e.status))
    }

    /// How many smsIds are tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no smsId is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Stops tracking `sms_id` and returns its last status.
    pub fn remove(&mut self, sms_id: &str) -> Option<DeliveryStatus> {
        self.entries.remove(sms_id).map(|e| e.status)
    }

    /// Stops tracking every smsId whose status was set before `cutoff`, to bound memory.
    pub fn forget_before(&mut self, cutoff: Timestamp) {
        self.entries.retain(|_, e| e.status.timestamp >= cutoff);
    }
}
