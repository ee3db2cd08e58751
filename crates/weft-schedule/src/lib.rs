//! Cron schedules for `cron` triggers: 5-field (minute precision) or 6-field (with seconds)
//! expressions, evaluated in an IANA time zone, with the next fire times computed across
//! daylight-saving changes.
//!
//! DST rules: a local time skipped by a spring-forward change fires at the first valid instant
//! after the gap; a local time repeated by a fall-back change fires once, at its first
//! occurrence. (The scheduler that fires triggers is issue 4; this crate only answers "when".)
#![warn(missing_docs)]

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use std::str::FromStr;

pub mod plan;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    tz: Tz,
    expression: String,
}

/// Why an expression or time zone was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The cron expression does not parse.
    #[error("invalid cron expression {expression:?}: {message}")]
    Expression {
        /// The expression.
        expression: String,
        /// What is wrong.
        message: String,
    },
    /// Not an IANA time zone name.
    #[error("unknown time zone {0:?}; use an IANA name such as \"Europe/Paris\" or \"UTC\"")]
    TimeZone(String),
    /// The expression can never fire (e.g. 30 February).
    #[error("the cron expression {0:?} never fires")]
    Never(String),
}

impl Schedule {
    /// Parses a 5- or 6-field expression (`*/5 * * * *`, `0 30 9 * * MON-FRI`) in a time zone.
    pub fn parse(expression: &str, time_zone: &str) -> Result<Self, ScheduleError> {
        let tz = Tz::from_str(time_zone.trim())
            .map_err(|_| ScheduleError::TimeZone(time_zone.to_string()))?;
        let fields = expression.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(ScheduleError::Expression {
                expression: expression.to_string(),
                message: format!(
                    "it has {fields} fields; write 5 (minute hour day month weekday) or 6 (second first)"
                ),
            });
        }
        let cron = Cron::new(expression)
            .with_seconds_optional()
            .parse()
            .map_err(|e| ScheduleError::Expression {
                expression: expression.to_string(),
                message: e.to_string().trim_end_matches(".").to_lowercase(),
            })?;
        let schedule = Schedule {
            cron,
            tz,
            expression: expression.to_string(),
        };
        // Refuse expressions that never fire (checked over the next eight years).
        let probe = Utc::now();
        match schedule.next_after(probe) {
            Some(t) if t - probe < chrono::Duration::days(8 * 366) => Ok(schedule),
            _ => Err(ScheduleError::Never(expression.to_string())),
        }
    }

    /// The first fire time strictly after `t` (always later than `t`, also inside the hour a
    /// fall-back change repeats; see [`plan::next_tick_after`]).
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        plan::next_tick_after(self, t)
    }

    /// croner's answer: the next occurrence of the local time after `t`'s local time, which in
    /// a repeated hour can lie before `t`.
    pub(crate) fn raw_next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&self.tz);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    /// The next `n` fire times after `t`.
    pub fn upcoming(&self, t: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(n);
        let mut cur = t;
        while out.len() < n {
            match self.next_after(cur) {
                Some(next) => {
                    out.push(next);
                    cur = next;
                }
                None => break,
            }
        }
        out
    }

    /// The time zone.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }
}
