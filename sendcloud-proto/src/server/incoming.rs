//! Each endpoint's parameters as a server reads them.
//!
//! The client half writes a request's parameters from typed values it has checked; a
//! server must read whatever arrives, including what the client would refuse (SendCloud
//! answers a list with some bad numbers 311, not a refusal of the whole call) and the
//! spellings other SDKs use. So a server reads each endpoint's parameters into a struct of
//! that endpoint, by the names the client writes them with, as the text that was sent; the
//! server then applies its own rules and answers with its own status codes.

use crate::api::names;
use crate::endpoint::Endpoint;
use crate::form::Form;
use crate::{
    AddTemplate, DeleteLabel, DeleteTemplate, GetLabel, GetServerTime, GetSign, GetTemplate,
    ListLabels, ListSigns, ListTemplates, ProcessFailedStats, SaveLabel, SaveSign, SendCode,
    SendDayStats, SendFailedStats, SendTemplate, SendVoice, StatusQuery, SubmitTemplate,
    UpdateLabel, UpdateSign, UpdateTemplate,
};

/// An endpoint whose requests a server reads: [`Endpoint::PATH`] names it, and
/// [`Incoming::read`] gives its parameters, each as sent (not trimmed; `None` when absent).
///
/// ```
/// use sendcloud_proto::server::{request_params, Incoming};
/// use sendcloud_proto::*;
///
/// let client = Client::new(Credentials::new("user", "key")?);
/// let send = SendTemplate::new(TemplateId::new(7)?, Recipients::parse("13800000000")?);
/// let request = client.prepare(&send, Timestamp(1_700_000_000_000))?;
///
/// let form = request_params(&request);
/// let params = SendTemplate::read(&form);
/// assert_eq!(params.template_id, Some("7"));
/// assert_eq!(params.phone, Some("13800000000"));
/// assert_eq!(params.vars, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Incoming: Endpoint {
    /// The endpoint's parameters, borrowed from the request's form.
    type Params<'a>;

    /// Reads them from a request's parameters (see [`super::request_params`]).
    fn read<'a>(form: &'a Form<'_>) -> Self::Params<'a>;
}

/// The first of `names` that is given with something other than blanks; else the first
/// that is given at all.
fn first<'a>(form: &'a Form<'_>, names: &[&str]) -> Option<&'a str> {
    let given = || names.iter().filter_map(|n| form.get(n));
    given()
        .find(|v| !v.trim().is_empty())
        .or_else(|| given().next())
}

/// What every signed request carries beside the signature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signed<'a> {
    /// `smsUser`.
    pub sms_user: Option<&'a str>,
    /// `timestamp`, in ms since the UNIX epoch.
    pub timestamp: Option<&'a str>,
}

impl<'a> Signed<'a> {
    /// Reads them.
    pub fn read(form: &'a Form<'_>) -> Signed<'a> {
        Signed {
            sms_user: form.get(names::SMS_USER),
            timestamp: form.get(names::TIMESTAMP),
        }
    }
}

/// A page of a long answer: `start` and `limit`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageParams<'a> {
    /// How many records to skip.
    pub start: Option<&'a str>,
    /// The most records to return.
    pub limit: Option<&'a str>,
}

impl<'a> PageParams<'a> {
    fn read(form: &'a Form<'_>) -> Self {
        PageParams {
            start: form.get(names::START),
            limit: form.get(names::LIMIT),
        }
    }
}

/// The days a report covers: `days`, or `startDate` and `endDate`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeriodParams<'a> {
    /// The last this many days.
    pub days: Option<&'a str>,
    /// The first day, `yyyy-MM-dd`.
    pub start_date: Option<&'a str>,
    /// The last day, `yyyy-MM-dd`.
    pub end_date: Option<&'a str>,
}

impl<'a> PeriodParams<'a> {
    fn read(form: &'a Form<'_>) -> Self {
        PeriodParams {
            days: form.get(names::DAYS),
            start_date: form.get(names::START_DATE),
            end_date: form.get(names::END_DATE),
        }
    }
}

/// Those of [`SendTemplate`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendParams<'a> {
    /// `phone`: the numbers, comma-separated.
    pub phone: Option<&'a str>,
    /// `templateId`.
    pub template_id: Option<&'a str>,
    /// `msgType`: 0 SMS, 1 MMS, 2 international.
    pub msg_type: Option<&'a str>,
    /// `vars`: a JSON object.
    pub vars: Option<&'a str>,
    /// `labelId`.
    pub label_id: Option<&'a str>,
    /// `sendRequestId`: the idempotency key.
    pub send_request_id: Option<&'a str>,
    /// `tag`.
    pub tag: Option<&'a str>,
}

impl Incoming for SendTemplate {
    type Params<'a> = SendParams<'a>;
    fn read<'a>(form: &'a Form<'_>) -> SendParams<'a> {
        SendParams {
            phone: form.get(names::PHONE),
            template_id: form.get(names::TEMPLATE_ID),
            msg_type: form.get(names::MSG_TYPE),
            vars: form.get(names::VARS),
            label_id: form.get(names::LABEL_ID),
            send_request_id: form.get(names::SEND_REQUEST_ID),
            tag: form.get(names::TAG),
        }
    }
}

/// Those of [`SendCode`] and [`SendVoice`] (which has no sign or message type).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodeParams<'a> {
    /// `phone`: one number.
    pub phone: Option<&'a str>,
    /// `code`: the verification code.
    pub code: Option<&'a str>,
    /// `msgType`: 0 domestic, 2 international.
    pub msg_type: Option<&'a str>,
    /// `signId`.
    pub sign_id: Option<&'a str>,
    /// `signName`.
    pub sign_name: Option<&'a str>,
    /// `labelId`.
    pub label_id: Option<&'a str>,
    /// `sendRequestId`: the idempotency key.
    pub send_request_id: Option<&'a str>,
    /// `tag`.
    pub tag: Option<&'a str>,
}

fn read_code<'a>(form: &'a Form<'_>) -> CodeParams<'a> {
    CodeParams {
        phone: form.get(names::PHONE),
        code: form.get(names::CODE),
        msg_type: form.get(names::MSG_TYPE),
        sign_id: form.get(names::SIGN_ID),
        sign_name: form.get(names::SIGN_NAME),
        label_id: form.get(names::LABEL_ID),
        send_request_id: form.get(names::SEND_REQUEST_ID),
        tag: form.get(names::TAG),
    }
}

/// Those of the template calls ([`GetTemplate`], [`ListTemplates`], [`AddTemplate`],
/// [`SubmitTemplate`], [`UpdateTemplate`], [`DeleteTemplate`]); each uses some.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TemplateParams<'a> {
    /// `templateIdStr` (`templateId` as some SDKs send it).
    pub id: Option<&'a str>,
    /// `templateName`.
    pub name: Option<&'a str>,
    /// `templateText`: the body, without the sign.
    pub text: Option<&'a str>,
    /// `signName`.
    pub sign_name: Option<&'a str>,
    /// `signPositionStr`: 0 before the body, 1 after.
    pub sign_position: Option<&'a str>,
    /// `smsTypeStr`: 0 code, 1 notice, 2 marketing.
    pub sms_type: Option<&'a str>,
    /// `isVerifyStr`: the review state to list (0, 1 or -1).
    pub is_verify: Option<&'a str>,
}

fn read_template<'a>(form: &'a Form<'_>) -> TemplateParams<'a> {
    TemplateParams {
        id: first(form, &[names::TEMPLATE_ID_STR, names::TEMPLATE_ID]),
        name: form.get(names::TEMPLATE_NAME),
        text: form.get(names::TEMPLATE_TEXT),
        sign_name: form.get(names::SIGN_NAME),
        sign_position: form.get(names::SIGN_POSITION),
        sms_type: form.get(names::SMS_TYPE),
        is_verify: form.get(names::IS_VERIFY),
    }
}

/// Those of the sign-name calls ([`GetSign`], [`ListSigns`], [`SaveSign`], [`UpdateSign`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignParams<'a> {
    /// `id` (`signId` as some SDKs send it).
    pub id: Option<&'a str>,
    /// `signName`.
    pub name: Option<&'a str>,
    /// `signType`: 0 domestic, 1 international.
    pub sign_type: Option<&'a str>,
}

fn read_sign<'a>(form: &'a Form<'_>) -> SignParams<'a> {
    SignParams {
        id: first(form, &[names::ID, names::SIGN_ID]),
        name: form.get(names::SIGN_NAME),
        sign_type: form.get(names::SIGN_TYPE),
    }
}

/// Those of the label calls ([`GetLabel`], [`ListLabels`], [`SaveLabel`], [`UpdateLabel`],
/// [`DeleteLabel`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LabelParams<'a> {
    /// `labelId` (`id` as some SDKs send it).
    pub id: Option<&'a str>,
    /// `labelName`: the name, or for a list the text names contain.
    pub name: Option<&'a str>,
    /// The page of a list.
    pub page: PageParams<'a>,
}

fn read_label<'a>(form: &'a Form<'_>) -> LabelParams<'a> {
    LabelParams {
        id: first(form, &[names::LABEL_ID, names::ID]),
        name: form.get(names::LABEL_NAME),
        page: PageParams::read(form),
    }
}

/// Those of [`StatusQuery`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusParams<'a> {
    /// `phones`: numbers, `;`-separated.
    pub phones: Option<&'a str>,
    /// `smsIds`: ids, `;`-separated.
    pub sms_ids: Option<&'a str>,
    /// `msgTypeStr`: see [`ReportMsgType`](crate::ReportMsgType).
    pub msg_type: Option<&'a str>,
    /// `templateId`.
    pub template_id: Option<&'a str>,
    /// `templateName`.
    pub template_name: Option<&'a str>,
    /// The days covered.
    pub period: PeriodParams<'a>,
    /// The page.
    pub page: PageParams<'a>,
}

impl Incoming for StatusQuery {
    type Params<'a> = StatusParams<'a>;
    fn read<'a>(form: &'a Form<'_>) -> StatusParams<'a> {
        StatusParams {
            phones: form.get(names::PHONES),
            sms_ids: form.get(names::SMS_IDS),
            msg_type: form.get(names::MSG_TYPE_STR),
            template_id: form.get(names::TEMPLATE_ID),
            template_name: form.get(names::TEMPLATE_NAME),
            period: PeriodParams::read(form),
            page: PageParams::read(form),
        }
    }
}

/// Those of the statistics calls ([`SendDayStats`], [`ProcessFailedStats`],
/// [`SendFailedStats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsParams<'a> {
    /// The days covered.
    pub period: PeriodParams<'a>,
    /// `msgTypeStr`: see [`ReportMsgType`](crate::ReportMsgType).
    pub msg_type: Option<&'a str>,
    /// `templateIdsStr`: ids, `;`-separated.
    pub template_ids: Option<&'a str>,
    /// `aggregate`: 1 for one row per day.
    pub aggregate: Option<&'a str>,
}

fn read_stats<'a>(form: &'a Form<'_>) -> StatsParams<'a> {
    StatsParams {
        period: PeriodParams::read(form),
        msg_type: form.get(names::MSG_TYPE_STR),
        template_ids: form.get(names::TEMPLATE_IDS),
        aggregate: form.get(names::AGGREGATE),
    }
}

impl Incoming for GetServerTime {
    type Params<'a> = ();
    fn read(_: &Form<'_>) {}
}

/// Endpoints that share one parameter struct.
macro_rules! incoming {
    ($params:ident, $read:ident: $($endpoint:ty),+) => {
        $(impl Incoming for $endpoint {
            type Params<'a> = $params<'a>;
            fn read<'a>(form: &'a Form<'_>) -> $params<'a> {
                $read(form)
            }
        })+
    };
}

incoming!(CodeParams, read_code: SendCode, SendVoice);
incoming!(TemplateParams, read_template: GetTemplate, ListTemplates, AddTemplate,
    SubmitTemplate, UpdateTemplate, DeleteTemplate);
incoming!(SignParams, read_sign: GetSign, ListSigns, SaveSign, UpdateSign);
incoming!(LabelParams, read_label: GetLabel, ListLabels, SaveLabel, UpdateLabel, DeleteLabel);
incoming!(StatsParams, read_stats: SendDayStats, ProcessFailedStats, SendFailedStats);

#[cfg(test)]
mod tests {
    //! Each endpoint, built by the client half with every parameter it has and sent over
    //! the wire, is read back by the server half: the two halves agree on every name.
    use super::*;
    use crate::server::request_params;
    use crate::*;

    fn wire<E: Endpoint>(endpoint: &E) -> Form<'static> {
        let client = Client::new(Credentials::new("user", "key").unwrap());
        request_params(
            &client
                .prepare(endpoint, Timestamp(1_700_000_000_000))
                .unwrap(),
        )
    }

    #[test]
    fn sends_read_back() {
        let mut vars = Vars::new();
        vars.insert("code", "12 34").unwrap();
        let send = SendTemplate::new(
            TemplateId::new(7).unwrap(),
            Recipients::parse("13800000000,13900000000").unwrap(),
        )
        .with_msg_type(MsgType::Mms)
        .unwrap()
        .with_vars(vars)
        .with_label(LabelId::new(3).unwrap())
        .with_request_id(SendRequestId::new("r-1").unwrap())
        .with_tag(Tag::parse(r#"{"a":"x&y"}"#).unwrap());
        let form = wire(&send);
        assert_eq!(
            SendTemplate::read(&form),
            SendParams {
                phone: Some("13800000000,13900000000"),
                template_id: Some("7"),
                msg_type: Some("1"),
                vars: Some(r#"{"%code%":"12 34"}"#),
                label_id: Some("3"),
                send_request_id: Some("r-1"),
                tag: Some(r#"{"a":"x&y"}"#),
            }
        );
        let signed = Signed::read(&form);
        assert_eq!(signed.sms_user, Some("user"));
        assert_eq!(signed.timestamp, Some("1700000000000"));

        let code = SendCode::new(
            Phone::parse("+8613800000000").unwrap(),
            VerificationCode::new("123456").unwrap(),
            SignRef::name("Acme").unwrap(),
        )
        .with_request_id(SendRequestId::new("r-2").unwrap())
        .with_tag(Tag::parse("{}").unwrap());
        let form = wire(&code);
        assert_eq!(
            SendCode::read(&form),
            CodeParams {
                phone: Some("008613800000000"),
                code: Some("123456"),
                msg_type: Some("2"),
                sign_id: None,
                sign_name: Some("Acme"),
                label_id: None,
                send_request_id: Some("r-2"),
                tag: Some("{}"),
            }
        );
        let code = SendCode::new(
            Phone::parse("13800000000").unwrap(),
            VerificationCode::new("1234").unwrap(),
            SignRef::Id(SignId::new(9).unwrap()),
        );
        let form = wire(&code);
        let p = SendCode::read(&form);
        assert_eq!(
            (p.msg_type, p.sign_id, p.sign_name),
            (Some("0"), Some("9"), None)
        );

        let voice = SendVoice::new(
            Phone::parse("13800000000").unwrap(),
            VerificationCode::new("1234").unwrap(),
        )
        .unwrap();
        let form = wire(&voice);
        let p = SendVoice::read(&form);
        assert_eq!((p.phone, p.code), (Some("13800000000"), Some("1234")));
    }

    #[test]
    fn templates_signs_and_labels_read_back() {
        let id = TemplateId::new(5).unwrap();
        let add = AddTemplate::new("Welcome", "Hi %name%", "Acme", SmsType::Notice)
            .unwrap()
            .with_sign_position(SignPosition::Suffix);
        let form = wire(&add);
        assert_eq!(
            AddTemplate::read(&form),
            TemplateParams {
                id: None,
                name: Some("Welcome"),
                text: Some("Hi %name%"),
                sign_name: Some("Acme"),
                sign_position: Some("1"),
                sms_type: Some("1"),
                is_verify: None,
            }
        );
        let update = UpdateTemplate::new(id, "W2", "Acme", SmsType::Code)
            .unwrap()
            .with_text("Hello")
            .unwrap();
        let form = wire(&update);
        let p = UpdateTemplate::read(&form);
        assert_eq!(
            (p.id, p.name, p.text, p.sms_type),
            (Some("5"), Some("W2"), Some("Hello"), Some("0"))
        );
        for form in [
            wire(&GetTemplate(id)),
            wire(&SubmitTemplate(id)),
            wire(&DeleteTemplate(id)),
        ] {
            assert_eq!(GetTemplate::read(&form).id, Some("5"));
        }
        let list = ListTemplates {
            verify: Some(VerifyState::Approved),
        };
        assert_eq!(ListTemplates::read(&wire(&list)).is_verify, Some("1"));

        let sign_id = SignId::new(4).unwrap();
        let form = wire(&UpdateSign::new(sign_id, "Acme", SignType::International).unwrap());
        assert_eq!(
            UpdateSign::read(&form),
            SignParams {
                id: Some("4"),
                name: Some("Acme"),
                sign_type: Some("1"),
            }
        );
        assert_eq!(GetSign::read(&wire(&GetSign(sign_id))).id, Some("4"));

        let label = LabelId::new(8).unwrap();
        let form = wire(&UpdateLabel::new(label, "vip").unwrap());
        let p = UpdateLabel::read(&form);
        assert_eq!((p.id, p.name), (Some("8"), Some("vip")));
        let list = ListLabels::new()
            .with_name("v")
            .unwrap()
            .with_paging(Paging::new(20, 10).unwrap());
        let form = wire(&list);
        let p = ListLabels::read(&form);
        assert_eq!(p.name, Some("v"));
        assert_eq!(
            p.page,
            PageParams {
                start: Some("20"),
                limit: Some("10")
            }
        );
        assert_eq!(DeleteLabel::read(&wire(&DeleteLabel(label))).id, Some("8"));
    }

    #[test]
    fn reports_read_back() {
        let days = Period::between(
            Date::parse("2026-11-01").unwrap(),
            Date::parse("2026-11-03").unwrap(),
        )
        .unwrap();
        let query = StatusQuery::new(days)
            .unwrap()
            .with_phones([
                Phone::parse("13800000000").unwrap(),
                Phone::parse("13900000000").unwrap(),
            ])
            .unwrap()
            .with_msg_type(ReportMsgType::Mms)
            .with_template(TemplateId::new(2).unwrap())
            .with_template_name("W")
            .unwrap()
            .with_paging(Paging::new(0, 50).unwrap());
        let form = wire(&query);
        let p = StatusQuery::read(&form);
        assert_eq!(p.phones, Some("13800000000;13900000000"));
        assert_eq!(p.msg_type, Some("1"));
        assert_eq!((p.template_id, p.template_name), (Some("2"), Some("W")));
        assert_eq!(
            p.period,
            PeriodParams {
                days: None,
                start_date: Some("2026-11-01"),
                end_date: Some("2026-11-03"),
            }
        );
        assert_eq!(p.page.limit, Some("50"));
        let ids = StatusQuery::new(Period::last_days(3).unwrap())
            .unwrap()
            .with_sms_ids(["a", "b"])
            .unwrap();
        let form = wire(&ids);
        let p = StatusQuery::read(&form);
        assert_eq!((p.sms_ids, p.period.days), (Some("a;b"), Some("3")));

        let stats = StatsQuery::new(Period::last_days(2).unwrap())
            .unwrap()
            .with_msg_type(ReportMsgType::Sms)
            .with_templates([TemplateId::new(1).unwrap(), TemplateId::new(2).unwrap()])
            .unwrap()
            .aggregated();
        let form = wire(&SendDayStats(stats));
        assert_eq!(
            SendDayStats::read(&form),
            StatsParams {
                period: PeriodParams {
                    days: Some("2"),
                    ..PeriodParams::default()
                },
                msg_type: Some("0"),
                template_ids: Some("1;2"),
                aggregate: Some("1"),
            }
        );
    }

    #[test]
    fn aliases_and_blanks() {
        let mut form = Form::new();
        form.set("templateId", "5");
        assert_eq!(GetTemplate::read(&form).id, Some("5"));
        form.set("templateIdStr", " ");
        assert_eq!(GetTemplate::read(&form).id, Some("5"));
        form.set("templateIdStr", "6");
        assert_eq!(GetTemplate::read(&form).id, Some("6"));
        let mut form = Form::new();
        form.set("id", "");
        assert_eq!(GetSign::read(&form).id, Some(""));
        form.set("signId", "2");
        assert_eq!(GetSign::read(&form).id, Some("2"));
        let mut form = Form::new();
        form.set("id", "3");
        assert_eq!(GetLabel::read(&form).id, Some("3"));
        assert_eq!(SendTemplate::read(&Form::new()), SendParams::default());
    }
}
