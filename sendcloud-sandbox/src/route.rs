//! Which call a request names.

use sendcloud_proto::{
    AddTemplate, DeleteLabel, DeleteTemplate, Endpoint, GetLabel, GetServerTime, GetSign,
    GetTemplate, ListLabels, ListSigns, ListTemplates, ProcessFailedStats, SaveLabel, SaveSign,
    SendCode, SendDayStats, SendFailedStats, SendTemplate, SendVoice, StatusQuery, SubmitTemplate,
    UpdateLabel, UpdateSign, UpdateTemplate,
};

/// Which call a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Send,
    Voice,
    Code,
    Timestamp,
    OutboxHtml,
    OutboxJson,
    /// Status, statistics, templates, sign names and labels (see `manage` and `reports`).
    Manage(Action),
}

/// Every API path, from the endpoints' own definitions in `sendcloud-proto`, so that the
/// client and the sandbox cannot disagree on one.
const API_ROUTES: &[(&str, Route)] = &[
    (SendTemplate::PATH, Route::Send),
    (SendVoice::PATH, Route::Voice),
    (SendCode::PATH, Route::Code),
    (GetServerTime::PATH, Route::Timestamp),
    (StatusQuery::PATH, Route::Manage(Action::StatusQuery)),
    (GetTemplate::PATH, Route::Manage(Action::TemplateGet)),
    (ListTemplates::PATH, Route::Manage(Action::TemplateList)),
    (AddTemplate::PATH, Route::Manage(Action::TemplateAdd)),
    (SubmitTemplate::PATH, Route::Manage(Action::TemplateSubmit)),
    (UpdateTemplate::PATH, Route::Manage(Action::TemplateUpdate)),
    (DeleteTemplate::PATH, Route::Manage(Action::TemplateDelete)),
    (GetSign::PATH, Route::Manage(Action::SignGet)),
    (ListSigns::PATH, Route::Manage(Action::SignList)),
    (SaveSign::PATH, Route::Manage(Action::SignSave)),
    (UpdateSign::PATH, Route::Manage(Action::SignUpdate)),
    (GetLabel::PATH, Route::Manage(Action::LabelGet)),
    (ListLabels::PATH, Route::Manage(Action::LabelList)),
    (SaveLabel::PATH, Route::Manage(Action::LabelSave)),
    (UpdateLabel::PATH, Route::Manage(Action::LabelUpdate)),
    (DeleteLabel::PATH, Route::Manage(Action::LabelDelete)),
    (SendDayStats::PATH, Route::Manage(Action::SendDay)),
    (
        ProcessFailedStats::PATH,
        Route::Manage(Action::ProcessFailed),
    ),
    (SendFailedStats::PATH, Route::Manage(Action::SendFailed)),
];

/// The call a path names: an API path (with or without `/smsapi`, a trailing `/`
/// ignored), or the outbox.
pub(crate) fn route(path: &str) -> Option<Route> {
    let path = path.trim_end_matches('/');
    let path = match path.strip_prefix("/smsapi") {
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    };
    match path {
        "/outbox" => return Some(Route::OutboxHtml),
        "/outbox.json" => return Some(Route::OutboxJson),
        _ => {}
    }
    let api = path.strip_prefix('/')?;
    API_ROUTES
        .iter()
        .find(|(p, _)| *p == api)
        .map(|(_, route)| *route)
}

/// A call beyond sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    StatusQuery,
    TemplateGet,
    TemplateList,
    TemplateAdd,
    TemplateSubmit,
    TemplateUpdate,
    TemplateDelete,
    SignGet,
    SignList,
    SignSave,
    SignUpdate,
    LabelGet,
    LabelList,
    LabelSave,
    LabelUpdate,
    LabelDelete,
    SendDay,
    ProcessFailed,
    SendFailed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn routes() {
        assert_eq!(route("/smsapi/send"), Some(Route::Send));
        assert_eq!(route("/send/"), Some(Route::Send));
        assert_eq!(route("/smsapi/timestamp/get"), Some(Route::Timestamp));
        assert_eq!(
            route("/smsapi/template/get"),
            Some(Route::Manage(Action::TemplateGet))
        );
        assert_eq!(
            route("/data/sendFailed"),
            Some(Route::Manage(Action::SendFailed))
        );
        assert_eq!(route("/smsapi/outbox.json"), Some(Route::OutboxJson));
        assert_eq!(
            route("/template/addsms"),
            Some(Route::Manage(Action::TemplateAdd))
        );
        assert_eq!(route("/data/sendDay"), Some(Route::Manage(Action::SendDay)));
        assert_eq!(route("/template"), None);
        assert_eq!(route("/smsapisend"), None);
        assert_eq!(route("/smsapi"), None);
        assert_eq!(route(""), None);
    }
}
