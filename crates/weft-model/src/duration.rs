//! Durations written the way people write them (`"250ms"`, `"30s"`, `"1h 30m"`), or as a number
//! of milliseconds.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// A duration with millisecond precision that serializes as a human string such as `"1m 30s"`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Millis(pub u64);

/// The longest duration accepted in a document: 100 years.
pub const MAX_MILLIS: u64 = 100 * 365 * 24 * 3600 * 1000;

fn checked(ms: u64) -> Result<Millis, String> {
    if ms > MAX_MILLIS {
        Err("a duration may not exceed 100 years".into())
    } else {
        Ok(Millis(ms))
    }
}

impl Millis {
    /// The duration as a [`Duration`].
    pub fn as_duration(self) -> Duration {
        Duration::from_millis(self.0)
    }
    /// Builds from a [`Duration`], truncating below one millisecond.
    pub fn from_duration(d: Duration) -> Self {
        Millis(d.as_millis().min(u64::MAX as u128) as u64)
    }
}

impl fmt::Debug for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self)
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        write!(f, "{}", humantime::format_duration(self.as_duration()))
    }
}

impl std::str::FromStr for Millis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "0" {
            return Ok(Millis(0));
        }
        let d = humantime::parse_duration(s).map_err(|e| {
            format!("invalid duration {s:?}: {e} (write it like \"500ms\", \"30s\" or \"1h 5m\")")
        })?;
        checked(Millis::from_duration(d).0)
    }
}

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Millis;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"30s\" or a number of milliseconds")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Millis, E> {
                checked(v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Millis, E> {
                let v = u64::try_from(v).map_err(|_| E::custom("a duration cannot be negative"))?;
                checked(v).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Millis, E> {
                if v.is_finite() && v >= 0.0 {
                    checked(v as u64).map_err(E::custom)
                } else {
                    Err(E::custom(
                        "a duration must be a finite, non-negative number",
                    ))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Millis, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let m: Millis = "1m 30s".parse().unwrap();
        assert_eq!(m.0, 90_000);
        assert_eq!(m.to_string(), "1m 30s");
        let back: Millis = m.to_string().parse().unwrap();
        assert_eq!(back, m);
        assert_eq!("250ms".parse::<Millis>().unwrap().0, 250);
        assert!("soon".parse::<Millis>().is_err());
    }
}
