//! Timestamps as fixed-width RFC 3339 UTC text with nine fractional digits
//! (`2026-12-06T11:49:20.768004123Z`): exactly what chrono's
//! `to_rfc3339_opts(SecondsFormat::Nanos, true)` writes, a dozen times faster — every journal
//! entry and run row carries several, and chrono formats through `core::fmt`.
//!
//! Use as `#[serde(with = "weft_store_api::rfc3339")]`; reading accepts any RFC 3339 text.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serializer};
use std::cell::Cell;

/// The text of a timestamp.
pub fn format(t: &DateTime<Utc>) -> String {
    let mut buf = [0u8; 30];
    match write(t, &mut buf) {
        // The buffer holds ASCII digits and separators only.
        Some(()) => String::from_utf8_lossy(&buf).into_owned(),
        None => t.to_rfc3339_opts(SecondsFormat::Nanos, true),
    }
}

/// Writes `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`; `None` for a year outside 0000–9999 (chrono then
/// writes a sign and more digits). Timestamps come in bursts within the same second, so the
/// date and time of day of the last second written on this thread are kept and only the
/// fraction is written again.
fn write(t: &DateTime<Utc>, buf: &mut [u8; 30]) -> Option<()> {
    thread_local! {
        static LAST_SECOND: Cell<(i64, [u8; 19])> = const { Cell::new((i64::MIN, [0; 19])) };
    }
    let n = t.naive_utc();
    let mut nanos = n.nanosecond();
    let leap = nanos >= 1_000_000_000;
    let put = |buf: &mut [u8; 30], at: usize, value: u32, width: usize| {
        let mut v = value;
        for i in (0..width).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    let whole = t.timestamp();
    let (cached_at, prefix) = LAST_SECOND.get();
    if cached_at == whole && !leap {
        buf[..19].copy_from_slice(&prefix);
    } else {
        let year = u32::try_from(n.year()).ok().filter(|y| *y <= 9999)?;
        let mut second = n.second();
        // chrono keeps a leap second as nanoseconds past 1e9 of second 59.
        if leap {
            nanos -= 1_000_000_000;
            second += 1;
        }
        put(buf, 0, year, 4);
        put(buf, 5, n.month(), 2);
        put(buf, 8, n.day(), 2);
        put(buf, 11, n.hour(), 2);
        put(buf, 14, n.minute(), 2);
        put(buf, 17, second, 2);
        buf[4] = b'-';
        buf[7] = b'-';
        buf[10] = b'T';
        buf[13] = b':';
        buf[16] = b':';
        if !leap {
            let mut p = [0u8; 19];
            p.copy_from_slice(&buf[..19]);
            LAST_SECOND.set((whole, p));
        }
    }
    put(buf, 20, nanos, 9);
    buf[19] = b'.';
    buf[29] = b'Z';
    Some(())
}

/// Serializes a timestamp as its RFC 3339 text.
pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    match write(t, &mut buf) {
        Some(()) => s.serialize_str(std::str::from_utf8(&buf).map_err(serde::ser::Error::custom)?),
        None => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Nanos, true)),
    }
}

/// Reads any RFC 3339 timestamp.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    DateTime::<Utc>::deserialize(d)
}

/// The same for `Option<DateTime<Utc>>` (`None` as `null`).
pub mod option {
    use super::*;

    /// Serializes an optional timestamp.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    /// Reads an optional timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<DateTime<Utc>>::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn chrono_text(t: &DateTime<Utc>) -> String {
        t.to_rfc3339_opts(SecondsFormat::Nanos, true)
    }

    #[test]
    fn writes_what_chrono_writes() {
        let mut cases = vec![
            Utc::now(),
            DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default(),
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
                .single()
                .unwrap_or_default(),
            Utc.with_ymd_and_hms(2024, 2, 29, 12, 0, 7)
                .single()
                .unwrap_or_default(),
        ];
        // A leap second, as chrono represents it.
        if let Some(leap) = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
        {
            cases.push(leap.and_utc());
        }
        // The same second again (the cached date and time of day), around a leap second
        // (which shares its Unix second with second 59 and must not use or fill the cache).
        if let Some(d) = NaiveDate::from_ymd_opt(2016, 12, 31) {
            for nanos in [1, 999_999_999, 1_500_000_000, 7, 1_000_000_000, 42] {
                if let Some(t) = d.and_hms_nano_opt(23, 59, 59, nanos) {
                    cases.push(t.and_utc());
                }
            }
        }
        // Spread over the representable range, with every digit position exercised.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let secs = (seed % 253_402_300_799) as i64 - 62_135_596_800;
            let nanos = ((seed >> 20) % 1_000_000_000) as u32;
            if let Some(t) = DateTime::<Utc>::from_timestamp(secs, nanos) {
                cases.push(t);
            }
        }
        for t in &cases {
            assert_eq!(format(t), chrono_text(t), "{t:?}");
            let json = serde_json::to_string(&Wrapper(*t)).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", chrono_text(t)));
            let back: Wrapper = serde_json::from_str(&json).unwrap_or(Wrapper(Utc::now()));
            assert_eq!(back.0, *t);
        }
    }

    #[test]
    fn years_outside_four_digits_fall_back_to_chrono() {
        let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).single();
        if let Some(t) = far {
            assert_eq!(format(&t), chrono_text(&t));
        }
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Wrapper(#[serde(with = "super")] DateTime<Utc>);
}
