//! Cron expressions, time zones and daylight-saving changes.

use chrono::{DateTime, TimeZone, Utc};
use weft_schedule::{Schedule, ScheduleError};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn local(s: &Schedule, t: DateTime<Utc>) -> String {
    t.with_timezone(&s.time_zone())
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

#[test]
fn five_and_six_fields() {
    let s = Schedule::parse("*/15 * * * *", "UTC").unwrap();
    assert_eq!(
        s.upcoming(utc("2026-01-01T10:07:00Z"), 3),
        [
            utc("2026-01-01T10:15:00Z"),
            utc("2026-01-01T10:30:00Z"),
            utc("2026-01-01T10:45:00Z")
        ]
    );
    let s = Schedule::parse("30 0 9 * * MON-FRI", "UTC").unwrap();
    // 2026-01-02 is a Friday; the next fire after it is Monday the 5th.
    assert_eq!(
        s.upcoming(utc("2026-01-02T09:00:31Z"), 1),
        [utc("2026-01-05T09:00:30Z")]
    );
}

#[test]
fn local_time_in_a_zone() {
    let s = Schedule::parse("0 9 * * *", "Asia/Tokyo").unwrap();
    assert_eq!(
        s.next_after(utc("2026-06-01T00:00:00Z")),
        Some(utc("2026-06-02T00:00:00Z"))
    );
}

#[test]
fn spring_forward_fires_once_right_after_the_gap() {
    // Europe/Paris skips 02:00–03:00 on 2026-03-29.
    let s = Schedule::parse("30 2 * * *", "Europe/Paris").unwrap();
    let fires = s.upcoming(utc("2026-03-27T12:00:00Z"), 4);
    let shown: Vec<String> = fires.iter().map(|t| local(&s, *t)).collect();
    assert_eq!(shown[0], "2026-03-28 02:30:00 CET");
    assert!(
        shown[1].starts_with("2026-03-29 03:"),
        "the skipped 02:30 fires after the gap: {shown:?}"
    );
    assert_eq!(shown[2], "2026-03-30 02:30:00 CEST");
    assert_eq!(fires.len(), 4);
}

#[test]
fn fall_back_fires_once_not_twice() {
    // Europe/Paris repeats 02:00–03:00 on 2026-10-25.
    let s = Schedule::parse("30 2 * * *", "Europe/Paris").unwrap();
    let fires = s.upcoming(utc("2026-10-24T12:00:00Z"), 3);
    let shown: Vec<String> = fires.iter().map(|t| local(&s, *t)).collect();
    assert_eq!(
        shown,
        [
            "2026-10-25 02:30:00 CEST",
            "2026-10-26 02:30:00 CET",
            "2026-10-27 02:30:00 CET"
        ]
    );
    // An hourly schedule keeps elapsed hours through the change.
    let s = Schedule::parse("0 * * * *", "Europe/Paris").unwrap();
    let fires = s.upcoming(utc("2026-10-24T23:30:00Z"), 4);
    for pair in fires.windows(2) {
        assert!(pair[1] > pair[0]);
    }
}

#[test]
fn bad_input_is_explained() {
    let e = Schedule::parse("* * *", "UTC").unwrap_err();
    assert!(e.to_string().contains("has 3 fields"), "{e}");
    let e = Schedule::parse("61 * * * *", "UTC").unwrap_err();
    assert!(matches!(e, ScheduleError::Expression { .. }), "{e}");
    let e = Schedule::parse("0 9 * * *", "Mars/Olympus").unwrap_err();
    assert_eq!(e, ScheduleError::TimeZone("Mars/Olympus".into()));
    let e = Schedule::parse("0 0 30 2 *", "UTC").unwrap_err();
    assert!(matches!(e, ScheduleError::Never(_)), "{e}");
    let _ = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0);
}
