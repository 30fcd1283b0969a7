//! One module per API call.

pub mod code;
pub mod data;
pub mod label;
mod lenient;
pub(crate) mod names;
pub mod query;
pub mod send;
pub mod sign;
pub mod status;
pub mod template;
pub mod timestamp;
pub mod voice;

/// Writes the options every send call shares.
pub(crate) fn common_params<'a>(
    form: &mut crate::Form<'a>,
    request_id: Option<&'a crate::SendRequestId>,
    tag: Option<&'a crate::Tag>,
) {
    if let Some(id) = request_id {
        form.set(names::SEND_REQUEST_ID, id.as_str());
    }
    if let Some(tag) = tag {
        form.set(names::TAG, tag.as_str());
    }
}
