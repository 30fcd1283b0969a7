//! What the query and statistics calls share: calendar dates, day ranges, paging and the
//! message types a report can be filtered by.
//!
//! The core has no clock: "today" is whatever the caller says it is. A [`Period`] of the
//! last `n` days is sent as `days=n` and SendCloud counts back from its own today.

use super::names;
use std::fmt;
use std::str::FromStr;

use crate::error::ValidationError;
use crate::form::Form;

/// A calendar date (`yyyy-MM-dd`), from 1970-01-01 to 9999-12-31.
///
/// ```
/// use sendcloud_proto::Date;
/// let d = Date::parse("2024-02-29").unwrap();
/// assert_eq!(d.to_string(), "2024-02-29");
/// assert!(Date::parse("2023-02-29").is_err());
/// assert_eq!(Date::from_unix_millis(1_458_113_381_893), Date::new(2016, 3, 16).unwrap());
/// assert_eq!(d.add_days(1).unwrap().to_string(), "2024-03-01");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The earliest date.
    pub const MIN: Date = Date {
        year: 1970,
        month: 1,
        day: 1,
    };
    /// The latest date.
    pub const MAX: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };

    /// Checks that the date exists (and lies in 1970..=9999).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, ValidationError> {
        if !(1970..=9999).contains(&year) {
            return Err(ValidationError::new(
                "date",
                format!("the year must be 1970 to 9999, not {year}"),
            ));
        }
        if !(1..=12).contains(&month) {
            return Err(ValidationError::new(
                "date",
                format!("the month must be 1 to 12, not {month}"),
            ));
        }
        let last = days_in_month(year, month);
        if day == 0 || day > last {
            return Err(ValidationError::new(
                "date",
                format!("{year:04}-{month:02} has days 1 to {last}, not {day}"),
            ));
        }
        Ok(Date { year, month, day })
    }

    /// Parses `yyyy-MM-dd` (four, two and two digits).
    pub fn parse(text: &str) -> Result<Date, ValidationError> {
        let t = text.trim();
        let b = t.as_bytes();
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape_ok {
            let shown: String = t.chars().take(32).collect();
            return Err(ValidationError::new(
                "date",
                format!("must be written yyyy-MM-dd, e.g. 2024-05-31, not {shown:?}"),
            ));
        }
        // The shape check makes these parses infallible; map errors anyway, never panic.
        let num = |r: std::ops::Range<usize>| t[r].parse::<u16>().unwrap_or(0);
        let month = u8::try_from(num(5..7)).unwrap_or(0);
        let day = u8::try_from(num(8..10)).unwrap_or(0);
        Date::new(num(0..4), month, day)
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }
    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }
    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil, with years counted from March.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let m = i64::from(self.month);
        let d = i64::from(self.day);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, when it lies in the supported range.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        if !(Date::MIN.days_since_epoch()..=Date::MAX.days_since_epoch()).contains(&days) {
            return None;
        }
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
        .ok()
    }

    /// The UTC date of a UNIX time in milliseconds (saturating at [`Date::MAX`]).
    pub fn from_unix_millis(ms: u64) -> Date {
        let days = i64::try_from(ms / 86_400_000).unwrap_or(i64::MAX);
        Date::from_days_since_epoch(days).unwrap_or(Date::MAX)
    }

    /// The date `n` days later (earlier when negative), when it lies in the supported range.
    pub fn add_days(self, n: i64) -> Option<Date> {
        Date::from_days_since_epoch(self.days_since_epoch().checked_add(n)?)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum PeriodKind {
    LastDays(u32),
    Between(Date, Date),
}

/// The days a query covers: the last `n` days (`days=n`, `1` is today), or a range of
/// dates, both ends included (`startDate`, `endDate`). Each call has its own most days
/// (30 for `status/query`, 100 for statistics), checked when the request is built.
///
/// ```
/// use sendcloud_proto::{Date, Period};
/// let p = Period::between(Date::parse("2024-01-30").unwrap(), Date::parse("2024-02-02").unwrap())
///     .unwrap();
/// assert_eq!(p.day_count(), 4);
/// assert!(Period::last_days(0).is_err());
/// assert!(Period::between(Date::parse("2024-02-02").unwrap(), Date::parse("2024-01-30").unwrap())
///     .is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Period(PeriodKind);

impl Period {
    /// The last `n` days, today included (`n` at least 1).
    pub fn last_days(n: u32) -> Result<Period, ValidationError> {
        if n == 0 {
            return Err(ValidationError::new(
                "days",
                "must be at least 1 (1 is today)",
            ));
        }
        Ok(Period(PeriodKind::LastDays(n)))
    }

    /// Today only (`days=1`).
    pub fn today() -> Period {
        Period(PeriodKind::LastDays(1))
    }

    /// From `start` to `end`, both included.
    pub fn between(start: Date, end: Date) -> Result<Period, ValidationError> {
        if start > end {
            return Err(ValidationError::new(
                "startDate",
                format!("must not be after endDate ({start} is after {end})"),
            ));
        }
        Ok(Period(PeriodKind::Between(start, end)))
    }

    /// The `n` of "the last `n` days", if this is such a period.
    pub fn last_days_count(&self) -> Option<u32> {
        match self.0 {
            PeriodKind::LastDays(n) => Some(n),
            PeriodKind::Between(..) => None,
        }
    }

    /// The first and last date, if this is a range of dates.
    pub fn dates(&self) -> Option<(Date, Date)> {
        match self.0 {
            PeriodKind::Between(a, b) => Some((a, b)),
            PeriodKind::LastDays(_) => None,
        }
    }

    /// How many days the period covers.
    pub fn day_count(&self) -> u64 {
        match self.0 {
            PeriodKind::LastDays(n) => u64::from(n),
            PeriodKind::Between(a, b) => {
                u64::try_from(b.days_since_epoch() - a.days_since_epoch() + 1).unwrap_or(0)
            }
        }
    }

    /// The first and last date of the period, given what today is.
    pub fn resolve(&self, today: Date) -> (Date, Date) {
        match self.0 {
            PeriodKind::Between(a, b) => (a, b),
            PeriodKind::LastDays(n) => {
                let first = today
                    .add_days(1 - i64::from(n))
                    .unwrap_or(Date::MIN)
                    .max(Date::MIN);
                (first, today)
            }
        }
    }

    /// Checks the period against a call's most days.
    pub fn check_max(&self, max: u32) -> Result<(), ValidationError> {
        let n = self.day_count();
        if n > u64::from(max) {
            let field = match self.0 {
                PeriodKind::LastDays(_) => "days",
                PeriodKind::Between(..) => "endDate",
            };
            return Err(ValidationError::new(
                field,
                format!("this query covers at most {max} days, not {n}"),
            ));
        }
        Ok(())
    }

    /// Writes `days`, or `startDate` and `endDate`.
    pub(crate) fn write(&self, form: &mut Form) {
        match self.0 {
            PeriodKind::LastDays(n) => form.set(names::DAYS, n.to_string()),
            PeriodKind::Between(a, b) => {
                form.set(names::START_DATE, a.to_string());
                form.set(names::END_DATE, b.to_string());
            }
        }
    }
}

/// The most records one page holds.
pub const MAX_PAGE_LIMIT: u32 = 100;

/// Which page of a long answer to fetch: skip `start` records, return at most `limit`
/// (1 to 100; SendCloud's default is 100).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Paging {
    start: u32,
    limit: u32,
}

impl Paging {
    /// Checks the limit (1 to 100).
    pub fn new(start: u32, limit: u32) -> Result<Paging, ValidationError> {
        if limit == 0 || limit > MAX_PAGE_LIMIT {
            return Err(ValidationError::new(
                "limit",
                format!("must be 1 to {MAX_PAGE_LIMIT}, not {limit}"),
            ));
        }
        Ok(Paging { start, limit })
    }

    /// How many records are skipped.
    pub fn start(self) -> u32 {
        self.start
    }

    /// The most records returned.
    pub fn limit(self) -> u32 {
        self.limit
    }

    pub(crate) fn write(&self, form: &mut Form) {
        form.set(names::START, self.start.to_string());
        form.set(names::LIMIT, self.limit.to_string());
    }
}

/// The message types reports can be filtered by (`msgTypeStr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportMsgType {
    /// 0: domestic SMS.
    Sms,
    /// 1: MMS.
    Mms,
    /// 2: international SMS.
    International,
    /// 3: voice.
    Voice,
}

impl ReportMsgType {
    /// The value sent.
    pub fn code(self) -> u8 {
        match self {
            ReportMsgType::Sms => 0,
            ReportMsgType::Mms => 1,
            ReportMsgType::International => 2,
            ReportMsgType::Voice => 3,
        }
    }

    /// The type for a value (`0` to `3`).
    pub fn from_code(code: u8) -> Option<ReportMsgType> {
        Some(match code {
            0 => ReportMsgType::Sms,
            1 => ReportMsgType::Mms,
            2 => ReportMsgType::International,
            3 => ReportMsgType::Voice,
            _ => return None,
        })
    }

    /// Reads `sms`, `mms`, `international` (or `intl`), `voice`, or a code `0` to `3`.
    pub fn parse(text: &str) -> Result<ReportMsgType, ValidationError> {
        let t = text.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "0" | "sms" => ReportMsgType::Sms,
            "1" | "mms" => ReportMsgType::Mms,
            "2" | "international" | "intl" => ReportMsgType::International,
            "3" | "voice" => ReportMsgType::Voice,
            _ => {
                return Err(ValidationError::new(
                    "msgTypeStr",
                    "must be sms (0), mms (1), international (2) or voice (3)",
                ))
            }
        })
    }
}

/// Checks a free-text parameter: not blank, at most `max` characters, no control
/// characters. Returns it trimmed.
pub fn check_text(field: &'static str, value: &str, max: usize) -> Result<String, ValidationError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    let n = v.chars().count();
    if n > max {
        return Err(ValidationError::new(
            field,
            format!("has {n} characters, at most {max} are allowed"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_days_round_trip() {
        for days in [0i64, 1, 59, 60, 365, 10_957, 11_016, 19_782, 2_932_896] {
            let d = Date::from_days_since_epoch(days).unwrap();
            assert_eq!(d.days_since_epoch(), days, "{d}");
        }
        assert_eq!(Date::MIN.days_since_epoch(), 0);
        assert_eq!(Date::from_days_since_epoch(-1), None);
        assert_eq!(Date::from_unix_millis(u64::MAX), Date::MAX);
        assert_eq!(
            Date::parse("2000-02-29").unwrap().days_since_epoch(),
            11_016
        );
    }

    #[test]
    fn parse_rules() {
        for bad in [
            "",
            "2024-1-01",
            "2024/01/01",
            "24-01-01",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "1969-12-31",
            "２０２４-01-01",
            "2024-01-01x",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Date::parse(" 2024-12-31 ").unwrap(),
            Date::new(2024, 12, 31).unwrap()
        );
    }

    #[test]
    fn periods() {
        let today = Date::parse("2024-03-01").unwrap();
        assert_eq!(
            Period::last_days(2).unwrap().resolve(today),
            (Date::parse("2024-02-29").unwrap(), today)
        );
        assert!(Period::last_days(31).unwrap().check_max(30).is_err());
        assert!(Period::last_days(30).unwrap().check_max(30).is_ok());
        assert_eq!(
            Period::last_days(100_000).unwrap().resolve(Date::MIN).0,
            Date::MIN
        );
    }
}
