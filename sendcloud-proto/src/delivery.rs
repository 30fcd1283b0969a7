//! Where a message stands: what a status query reports and what SMSHook events tell.

use crate::status::StatusCode;

/// Where a message stands, from a status query ([`crate::StatusRecord::state`]) or from
/// SMSHook events ([`crate::hook::DeliveryTracker`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryState {
    /// SendCloud accepted the request, no outcome yet (the `request` event, `请求`).
    Requested,
    /// The message reached the handset (`deliver`, `送达`).
    Delivered,
    /// SendCloud could not process it (`workererror`, `处理失败`, codes 400 to 499), with
    /// the code when it is known.
    ProcessingFailed(Option<StatusCode>),
    /// The carrier could not deliver it (`delivererror`, `发送失败`, codes 500 to 599),
    /// with the code when it is known.
    DeliveryFailed(Option<StatusCode>),
    /// Neither the status text nor the code says (status queries only).
    Unknown,
}

impl DeliveryState {
    /// Whether no further change is expected (delivered or failed).
    pub fn is_final(self) -> bool {
        !matches!(self, DeliveryState::Requested | DeliveryState::Unknown)
    }

    /// The failure's status code, for the failed states.
    pub fn status_code(self) -> Option<StatusCode> {
        match self {
            DeliveryState::ProcessingFailed(s) | DeliveryState::DeliveryFailed(s) => s,
            _ => None,
        }
    }

    /// How far along it is, for ordering events of one message: requested, then final.
    pub(crate) fn rank(self) -> u8 {
        u8::from(self.is_final())
    }
}
