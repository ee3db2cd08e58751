//! Reading, writing and calendar arithmetic of instants in an IANA time zone.
//!
//! Calendar units (day and longer) are counted on the wall clock of the zone, so adding a day
//! across a daylight-saving change keeps the time of day, and the difference between noon on
//! two dates is a whole number of days even when one of them was 23 hours long. Shorter units
//! are elapsed time.

use chrono::format::{Item, StrftimeItems};
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, Months, NaiveDate, NaiveDateTime,
    NaiveTime, Offset, SecondsFormat, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;
use std::fmt::Write;

/// How a date is written in an input field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InputFormat {
    /// ISO 8601 or RFC 2822 strings; numbers (and numeric strings) are Unix milliseconds.
    #[default]
    Auto,
    /// ISO 8601 / RFC 3339: `2024-03-31T12:00:00+02:00`, `2024-03-31T12:00`, `2024-03-31`.
    Iso8601,
    /// RFC 2822: `Sun, 31 Mar 2024 12:00:00 +0200`.
    Rfc2822,
    /// Seconds since the Unix epoch (a number or numeric string, fractions allowed).
    UnixSeconds,
    /// Milliseconds since the Unix epoch.
    UnixMillis,
    /// A strftime pattern given separately.
    Custom,
}

/// How a date is written to an output field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OutputFormat {
    /// RFC 3339 with the zone's offset (`Z` in UTC), fractions only when not zero.
    #[default]
    Iso8601,
    /// RFC 2822.
    Rfc2822,
    /// Whole seconds since the Unix epoch (a number).
    UnixSeconds,
    /// Milliseconds since the Unix epoch (a number).
    UnixMillis,
    /// A strftime pattern given separately.
    Custom,
}

/// A calendar or clock unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Unit {
    /// Calendar year.
    Year,
    /// Three calendar months, starting in January, April, July, October.
    Quarter,
    /// Calendar month.
    Month,
    /// Seven calendar days.
    Week,
    /// Calendar day (23 to 25 hours around a daylight-saving change).
    Day,
    /// 60 minutes.
    Hour,
    /// 60 seconds.
    Minute,
    /// One second.
    Second,
    /// One millisecond.
    Millisecond,
}

/// The first day of a week.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WeekStart {
    /// ISO 8601 weeks.
    #[default]
    Monday,
    /// US-style weeks.
    Sunday,
}

/// A part of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Part {
    /// E.g. 2024.
    Year,
    /// 1 to 4.
    Quarter,
    /// 1 to 12.
    Month,
    /// ISO 8601 week number, 1 to 53.
    Week,
    /// Day of the month, 1 to 31.
    Day,
    /// ISO weekday: 1 is Monday, 7 Sunday.
    DayOfWeek,
    /// 1 to 366.
    DayOfYear,
    /// 0 to 23.
    Hour,
    /// 0 to 59.
    Minute,
    /// 0 to 59.
    Second,
    /// 0 to 999.
    Millisecond,
}

/// Parses an IANA zone name (`Europe/Paris`, `UTC`).
pub fn zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("{name:?} is not an IANA time zone name such as \"Europe/Paris\" or \"UTC\"")
    })
}

/// Checks a strftime pattern, refusing unknown `%` specifiers (chrono would fail only while
/// writing).
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("the pattern is empty".into());
    }
    if StrftimeItems::new(pattern).any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "{pattern:?} is not a valid strftime pattern (see the % specifiers of chrono::format::strftime)"
        ));
    }
    Ok(())
}

/// The instant `ms` milliseconds after the Unix epoch, in `tz`.
pub fn from_millis(ms: i64, tz: Tz) -> Result<DateTime<Tz>, String> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|d| d.with_timezone(&tz))
        .ok_or_else(|| format!("{ms} ms since the Unix epoch is out of range"))
}

/// Reads a date from a JSON value. Values without an offset are wall-clock times in `tz`.
pub fn read(
    v: &Value,
    format: InputFormat,
    pattern: Option<&str>,
    tz: Tz,
) -> Result<DateTime<Tz>, String> {
    match format {
        InputFormat::UnixMillis | InputFormat::UnixSeconds => {
            let n = number(v).ok_or_else(|| "is not a number".to_string())?;
            let ms = if format == InputFormat::UnixSeconds {
                n * 1000.0
            } else {
                n
            };
            if !ms.is_finite() || ms.abs() > 8.64e15 {
                return Err(format!("{n} is out of range"));
            }
            from_millis(ms.round() as i64, tz)
        }
        InputFormat::Auto => {
            if let Some(n) = number(v) {
                return read(&Value::from(n), InputFormat::UnixMillis, None, tz);
            }
            let s = text(v)?;
            iso(s, tz).or_else(|| rfc2822(s, tz)).ok_or_else(|| {
                "is not a date in ISO 8601 or RFC 2822 form, nor a number of milliseconds".into()
            })
        }
        InputFormat::Iso8601 => iso(text(v)?, tz).ok_or_else(|| "is not an ISO 8601 date".into()),
        InputFormat::Rfc2822 => {
            rfc2822(text(v)?, tz).ok_or_else(|| "is not an RFC 2822 date".into())
        }
        InputFormat::Custom => {
            let pattern = pattern.ok_or_else(|| "no input pattern was given".to_string())?;
            custom(text(v)?, pattern, tz)
        }
    }
}

fn text(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| "is not a string".to_string())
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let t = s.trim();
            let looks_numeric = !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+');
            looks_numeric.then(|| t.parse::<f64>().ok()).flatten()
        }
        _ => None,
    }
}

fn iso(s: &str, tz: Tz) -> Option<DateTime<Tz>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&tz));
    }
    const WITH_OFFSET: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M%#z",
    ];
    for f in WITH_OFFSET {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&tz));
        }
    }
    const NAIVE: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ];
    for f in NAIVE {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(local(tz, d, None));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| local(tz, d.and_time(NaiveTime::MIN), None))
}

fn rfc2822(s: &str, tz: Tz) -> Option<DateTime<Tz>> {
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|d| d.with_timezone(&tz))
}

fn custom(s: &str, pattern: &str, tz: Tz) -> Result<DateTime<Tz>, String> {
    check_pattern(pattern)?;
    if let Ok(d) = DateTime::parse_from_str(s, pattern) {
        return Ok(d.with_timezone(&tz));
    }
    match NaiveDateTime::parse_from_str(s, pattern) {
        Ok(d) => Ok(local(tz, d, None)),
        Err(first) => NaiveDate::parse_from_str(s, pattern)
            .map(|d| local(tz, d.and_time(NaiveTime::MIN), None))
            .map_err(|_| format!("does not match the pattern {pattern:?} ({first})")),
    }
}

/// The instant a wall-clock time in `tz` names. An ambiguous time (clocks going back) takes
/// the `prefer`red offset when it is one of the two, else the earlier; a time in a gap (clocks
/// going forward) is read with the offset before the gap, which lands after it, as JavaScript
/// and Temporal's "compatible" mode do.
pub fn local(tz: Tz, naive: NaiveDateTime, prefer: Option<FixedOffset>) -> DateTime<Tz> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(d) => d,
        LocalResult::Ambiguous(a, b) => {
            if prefer == Some(b.offset().fix()) {
                b
            } else {
                a
            }
        }
        LocalResult::None => {
            let before = tz
                .offset_from_utc_datetime(&(naive - Duration::days(1)))
                .fix();
            let utc = naive - Duration::seconds(i64::from(before.local_minus_utc()));
            tz.from_utc_datetime(&utc)
        }
    }
}

/// Writes a date.
pub fn write(
    d: &DateTime<Tz>,
    format: OutputFormat,
    pattern: Option<&str>,
) -> Result<Value, String> {
    Ok(match format {
        OutputFormat::Iso8601 => {
            Value::from(d.to_rfc3339_opts(SecondsFormat::AutoSi, d.timezone() == Tz::UTC))
        }
        OutputFormat::Rfc2822 => Value::from(d.to_rfc2822()),
        OutputFormat::UnixSeconds => Value::from(d.timestamp()),
        OutputFormat::UnixMillis => Value::from(d.timestamp_millis()),
        OutputFormat::Custom => {
            let pattern = pattern.ok_or_else(|| "no output pattern was given".to_string())?;
            check_pattern(pattern)?;
            let mut out = String::new();
            write!(out, "{}", d.format(pattern))
                .map_err(|_| format!("the date cannot be written with the pattern {pattern:?}"))?;
            Value::from(out)
        }
    })
}

/// Adds `amount` units (negative to subtract). Calendar units keep the wall-clock time; a day
/// of the month past the end of the target month becomes its last day (Jan 31 + 1 month is
/// Feb 29 in a leap year).
pub fn add(d: &DateTime<Tz>, amount: i64, unit: Unit) -> Result<DateTime<Tz>, String> {
    let overflow = || format!("adding {amount} {unit:?} leaves the supported date range");
    let tz = d.timezone();
    let wall = d.naive_local();
    let months = |n: i64| -> Result<DateTime<Tz>, String> {
        let m = Months::new(u32::try_from(n.unsigned_abs()).map_err(|_| overflow())?);
        let shifted = if n >= 0 {
            wall.checked_add_months(m)
        } else {
            wall.checked_sub_months(m)
        };
        shifted
            .map(|w| local(tz, w, Some(d.offset().fix())))
            .ok_or_else(overflow)
    };
    let days = |n: i64| -> Result<DateTime<Tz>, String> {
        let delta = Duration::try_days(n).ok_or_else(overflow)?;
        wall.checked_add_signed(delta)
            .map(|w| local(tz, w, Some(d.offset().fix())))
            .ok_or_else(overflow)
    };
    let elapsed = |delta: Option<Duration>| -> Result<DateTime<Tz>, String> {
        delta
            .and_then(|delta| d.checked_add_signed(delta))
            .ok_or_else(overflow)
    };
    match unit {
        Unit::Year => months(amount.checked_mul(12).ok_or_else(overflow)?),
        Unit::Quarter => months(amount.checked_mul(3).ok_or_else(overflow)?),
        Unit::Month => months(amount),
        Unit::Week => days(amount.checked_mul(7).ok_or_else(overflow)?),
        Unit::Day => days(amount),
        Unit::Hour => elapsed(Duration::try_hours(amount)),
        Unit::Minute => elapsed(Duration::try_minutes(amount)),
        Unit::Second => elapsed(Duration::try_seconds(amount)),
        Unit::Millisecond => elapsed(Duration::try_milliseconds(amount)),
    }
}

/// The first instant of the unit containing `d`, on the wall clock of its zone.
pub fn start_of(d: &DateTime<Tz>, unit: Unit, week_start: WeekStart) -> DateTime<Tz> {
    let wall = d.naive_local();
    let date = wall.date();
    let midnight = |date: NaiveDate| date.and_time(NaiveTime::MIN);
    let first_of = |month: u32| {
        NaiveDate::from_ymd_opt(date.year(), month, 1)
            .map(midnight)
            .unwrap_or(wall)
    };
    let truncated = match unit {
        Unit::Year => first_of(1),
        Unit::Quarter => first_of((date.month0() / 3) * 3 + 1),
        Unit::Month => first_of(date.month()),
        Unit::Week => {
            let back = match week_start {
                WeekStart::Monday => date.weekday().num_days_from_monday(),
                WeekStart::Sunday => date.weekday().num_days_from_sunday(),
            };
            midnight(date - Duration::days(i64::from(back)))
        }
        Unit::Day => midnight(date),
        Unit::Hour => wall
            .with_minute(0)
            .and_then(|w| w.with_second(0))
            .and_then(|w| w.with_nanosecond(0))
            .unwrap_or(wall),
        Unit::Minute => wall
            .with_second(0)
            .and_then(|w| w.with_nanosecond(0))
            .unwrap_or(wall),
        Unit::Second => wall.with_nanosecond(0).unwrap_or(wall),
        Unit::Millisecond => wall
            .with_nanosecond(wall.nanosecond() / 1_000_000 * 1_000_000)
            .unwrap_or(wall),
    };
    local(d.timezone(), truncated, Some(d.offset().fix()))
}

/// The last millisecond of the unit containing `d`.
pub fn end_of(d: &DateTime<Tz>, unit: Unit, week_start: WeekStart) -> Result<DateTime<Tz>, String> {
    let start = start_of(d, unit, week_start);
    let next = start_of(&add(&start, 1, unit)?, unit, week_start);
    Ok(next - Duration::milliseconds(1))
}

/// Whole `unit`s from `start` to `end`, truncated toward zero (negative when `end` is earlier).
/// Day and longer units count on the wall clock of `start`'s zone.
pub fn difference(start: &DateTime<Tz>, end: &DateTime<Tz>, unit: Unit) -> i64 {
    let end = end.with_timezone(&start.timezone());
    let (s, e) = (start.naive_local(), end.naive_local());
    let months = || {
        let mut n = (i64::from(e.year()) * 12 + i64::from(e.month0()))
            - (i64::from(s.year()) * 12 + i64::from(s.month0()));
        let shifted = |n: i64| {
            let m = Months::new(n.unsigned_abs() as u32);
            if n >= 0 {
                s.checked_add_months(m)
            } else {
                s.checked_sub_months(m)
            }
        };
        if n > 0 && shifted(n).is_some_and(|x| x > e) {
            n -= 1;
        } else if n < 0 && shifted(n).is_some_and(|x| x < e) {
            n += 1;
        }
        n
    };
    let elapsed = end.signed_duration_since(start);
    match unit {
        Unit::Year => months() / 12,
        Unit::Quarter => months() / 3,
        Unit::Month => months(),
        Unit::Week => (e - s).num_days() / 7,
        Unit::Day => (e - s).num_days(),
        Unit::Hour => elapsed.num_hours(),
        Unit::Minute => elapsed.num_minutes(),
        Unit::Second => elapsed.num_seconds(),
        Unit::Millisecond => elapsed.num_milliseconds(),
    }
}

/// One part of a date, on the wall clock of its zone.
pub fn extract(d: &DateTime<Tz>, part: Part) -> i64 {
    let n = match part {
        Part::Year => return i64::from(d.year()),
        Part::Quarter => d.month0() / 3 + 1,
        Part::Month => d.month(),
        Part::Week => d.iso_week().week(),
        Part::Day => d.day(),
        Part::DayOfWeek => d.weekday().number_from_monday(),
        Part::DayOfYear => d.ordinal(),
        Part::Hour => d.hour(),
        Part::Minute => d.minute(),
        Part::Second => d.second(),
        Part::Millisecond => d.timestamp_subsec_millis(),
    };
    i64::from(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paris() -> Tz {
        zone("Europe/Paris").unwrap()
    }

    #[test]
    fn iso_forms() {
        let utc = Tz::UTC;
        for s in [
            "2024-03-31T10:00:00Z",
            "2024-03-31T12:00:00+02:00",
            "2024-03-31T12:00:00+0200",
            "2024-03-31T10:00Z",
            "2024-03-31 10:00:00.000Z",
        ] {
            let d = read(&json!(s), InputFormat::Iso8601, None, utc)
                .unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(d.timestamp(), 1_711_879_200, "{s}");
        }
        let d = read(&json!("2024-03-31T12:00"), InputFormat::Auto, None, paris()).unwrap();
        assert_eq!(d.timestamp(), 1_711_879_200);
    }

    #[test]
    fn gaps_and_overlaps() {
        let tz = paris();
        // 02:30 does not exist on 2024-03-31 in Paris: read with +01:00, it is 03:30 CEST.
        let gap = NaiveDate::from_ymd_opt(2024, 3, 31)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            local(tz, gap, None).to_rfc3339(),
            "2024-03-31T03:30:00+02:00"
        );
        // 02:30 happens twice on 2024-10-27: the earlier by default.
        let twice = NaiveDate::from_ymd_opt(2024, 10, 27)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            local(tz, twice, None).to_rfc3339(),
            "2024-10-27T02:30:00+02:00"
        );
        let winter = FixedOffset::east_opt(3600);
        assert_eq!(
            local(tz, twice, winter).to_rfc3339(),
            "2024-10-27T02:30:00+01:00"
        );
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(check_pattern("%Y-%Q").is_err());
        assert!(check_pattern("%Y-%m-%d").is_ok());
    }
}
