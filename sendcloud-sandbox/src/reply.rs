//! An API answer before it is encoded, and the helpers every handler reads parameters and
//! refuses with.

use std::fmt;

use http::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use serde_json::{json, Value};

use sendcloud_proto::server::{envelope_response, PageParams};
use sendcloud_proto::StatusCode;
use sendcloud_proto::{Date, MAX_PAGE_LIMIT};

/// An API answer before it is encoded.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) info: Value,
}

impl Reply {
    pub(crate) fn refuse(status: StatusCode, detail: impl fmt::Display) -> Reply {
        Reply {
            status,
            message: format!("{} ({detail})", message_zh(status)),
            info: json!({}),
        }
    }

    pub(crate) fn ok(status: StatusCode, info: Value) -> Reply {
        Reply {
            status,
            message: message_zh(status).to_owned(),
            info,
        }
    }

    pub(crate) fn into_response(self) -> http::Response<Vec<u8>> {
        envelope_response(self.status, &self.message, self.info)
    }
}

/// SendCloud's (Chinese) message for a status.
pub(crate) fn message_zh(status: StatusCode) -> &'static str {
    match status {
        StatusCode::Ok => "请求成功",
        StatusCode::PartialSuccess => "部分成功",
        StatusCode::AllFailed => "全部失败",
        StatusCode::DuplicateRequest => "重复请求",
        StatusCode::PhoneEmpty => "手机号不能为空",
        StatusCode::PhoneInvalid => "手机号格式错误",
        StatusCode::PhoneDuplicate => "手机号重复",
        StatusCode::SignatureParameterInvalid => "signature参数错误",
        StatusCode::SignatureInvalid => "签名错误",
        StatusCode::TemplateNotFound => "模板不存在",
        StatusCode::TemplateNotApproved => "模板未提交审核或者未审核通过",
        StatusCode::TemplateIdEmpty => "模板id不能为空",
        StatusCode::VarsInvalid => "替换变量格式错误",
        StatusCode::InvalidTimestamp => "timestamp无效,与服务器时间间隔过大",
        StatusCode::SmsUserNotFound => "smsUser不存在",
        StatusCode::SmsUserEmpty => "smsUser不能为空",
        StatusCode::PhoneAndVarsEmpty => "手机号和替换变量不能为空",
        StatusCode::PhoneAndVarsInvalid => "参数格式错误",
        StatusCode::VarTooLong => "替换变量长度不能超过32个字符",
        StatusCode::RateLimitMinute => "同一手机号一分钟内发送次数过多",
        StatusCode::RateLimitDay => "同一手机号一天内发送次数过多",
        StatusCode::InsufficientBalance => "余额不足",
        StatusCode::NoPermission => "没有权限",
        _ => "服务器异常",
    }
}

pub(crate) fn respond(
    status: http::StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> http::Response<Vec<u8>> {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub(crate) fn http_error(status: http::StatusCode, message: String) -> http::Response<Vec<u8>> {
    let body = json!({
        "result": false,
        "statusCode": status.as_u16(),
        "message": message,
        "info": {},
    });
    respond(
        status,
        "application/json;charset=utf-8",
        body.to_string().into_bytes(),
    )
}

pub(crate) fn wrong_method(allow: &'static str, got: &http::Method) -> http::Response<Vec<u8>> {
    let mut r = http_error(
        http::StatusCode::METHOD_NOT_ALLOWED,
        format!("method {got} not allowed here; use {allow}"),
    );
    r.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    r
}

/// A parameter's value, trimmed, unless it is missing or blank.
pub(crate) fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

/// Shortens text for a message, at a character boundary.
pub(crate) fn clip(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

/// A refusal for a missing or malformed parameter (482).
pub(crate) fn bad(detail: impl std::fmt::Display) -> Reply {
    Reply::refuse(StatusCode::PhoneAndVarsInvalid, detail)
}

/// A required parameter, named `name` in the refusal.
pub(crate) fn required<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, Reply> {
    given(value).ok_or_else(|| bad(format!("{name} is missing")))
}

/// `yyyy-MM-dd HH:mm:ss` (UTC) of a UNIX time in ms.
pub(crate) fn date_time(ms: u64) -> String {
    let secs = ms / 1000 % 86_400;
    format!(
        "{} {:02}:{:02}:{:02}",
        Date::from_unix_millis(ms),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `start` and `limit` (default 0 and 100; the limit at most 100).
pub(crate) fn paging(page: PageParams<'_>) -> Result<(usize, usize), Reply> {
    let number = |value: Option<&str>, name: &str, default: u64| -> Result<u64, Reply> {
        match given(value) {
            None => Ok(default),
            Some(v) => v.parse::<u64>().map_err(|_| {
                bad(format!(
                    "{name} must be a whole number, not {:?}",
                    clip(v, 16)
                ))
            }),
        }
    };
    let start = number(page.start, "start", 0)?;
    let limit = number(page.limit, "limit", u64::from(MAX_PAGE_LIMIT))?;
    if limit > u64::from(MAX_PAGE_LIMIT) {
        return Err(bad(format!(
            "limit must be 0 to {MAX_PAGE_LIMIT}, not {limit}"
        )));
    }
    Ok((
        usize::try_from(start).unwrap_or(usize::MAX),
        usize::try_from(limit).unwrap_or(0),
    ))
}
