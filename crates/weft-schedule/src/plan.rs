//! The firing plan of a cron schedule: which due ticks fire now, which are skipped, and the
//! next tick to wait for. Pure functions: the caller passes `now` and does the firing.
//!
//! The due ticks are the stored `next_fire_at` followed by every tick of the schedule after it
//! up to and including `now`. A tick due by at most the grace period is *on time* and fires
//! under every [`CatchUp`] policy; an older one is *missed*, and the policy decides. Under every
//! policy the fired ticks are the newest due ticks (a suffix of the due ticks, oldest first):
//! the on-time ones plus none, one or up to `max` missed ones.
//!
//! The work is bounded whatever the downtime (a year of a per-second schedule is 31 million
//! ticks): the fired ticks are found by searching backwards from `now` (a few cron look-ups
//! each, [`MAX_FIRED`] at most), the next tick is computed directly from `now`, and skipped
//! ticks are counted one by one only up to [`MAX_SKIPPED_COUNTED`].

use crate::Schedule;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use std::fmt;
use std::str::FromStr;

/// The grace period the scheduler uses unless it has a reason to choose another: a tick less
/// than a minute late is on time.
pub const DEFAULT_GRACE: TimeDelta = TimeDelta::seconds(60);

/// The `max` of `all` when written without one.
pub const DEFAULT_CATCH_UP_MAX: u32 = 100;

/// At most this many ticks fire from one plan; older due ticks are skipped. (Only reachable
/// with `all` and a larger `max`, or a grace period holding more ticks than this.)
pub const MAX_FIRED: usize = 1_000;

/// Skipped ticks are counted up to this many; [`TickPlan::skipped_truncated`] says there were
/// more.
pub const MAX_SKIPPED_COUNTED: u64 = 10_000;

/// What happens to ticks missed while no scheduler ran (downtime, a long pause).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CatchUp {
    /// Missed ticks are skipped; only on-time ticks fire, then the next future tick.
    None,
    /// The most recent missed tick fires once; older missed ticks are skipped.
    Latest,
    /// Missed ticks fire, oldest first, but at most `max` of them: the `max` most recent. Older
    /// ones are skipped and counted.
    All {
        /// How many missed ticks fire at most.
        max: u32,
    },
}

impl CatchUp {
    /// The policy's name: `none`, `latest` or `all`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CatchUp::None => "none",
            CatchUp::Latest => "latest",
            CatchUp::All { .. } => "all",
        }
    }

    /// How many missed ticks this policy fires at most.
    fn missed_to_fire(&self) -> usize {
        match *self {
            CatchUp::None => 0,
            CatchUp::Latest => 1,
            CatchUp::All { max } => usize::try_from(max).unwrap_or(usize::MAX),
        }
    }
}

impl fmt::Display for CatchUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CatchUp {
    type Err = PolicyParseError;
    /// Parses `none`, `latest` or `all` (with `max` [`DEFAULT_CATCH_UP_MAX`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "none" => Ok(CatchUp::None),
            "latest" => Ok(CatchUp::Latest),
            "all" => Ok(CatchUp::All {
                max: DEFAULT_CATCH_UP_MAX,
            }),
            _ => Err(PolicyParseError {
                policy: "catch-up",
                value: s.to_string(),
                expected: "none, latest, all",
            }),
        }
    }
}

/// What a tick does while the run of an earlier tick of the same schedule has not finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Overlap {
    /// The tick is skipped.
    Skip,
    /// The tick starts once the previous run has finished.
    Queue,
    /// The tick starts at once; runs overlap.
    Allow,
}

impl Overlap {
    /// The policy's name: `skip`, `queue` or `allow`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Overlap::Skip => "skip",
            Overlap::Queue => "queue",
            Overlap::Allow => "allow",
        }
    }
}

impl fmt::Display for Overlap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Overlap {
    type Err = PolicyParseError;
    /// Parses `skip`, `queue` or `allow`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "skip" => Ok(Overlap::Skip),
            "queue" => Ok(Overlap::Queue),
            "allow" => Ok(Overlap::Allow),
            _ => Err(PolicyParseError {
                policy: "overlap",
                value: s.to_string(),
                expected: "skip, queue, allow",
            }),
        }
    }
}

/// A catch-up or overlap policy name that is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {policy} policy {value:?}; expected one of {expected}")]
pub struct PolicyParseError {
    /// `catch-up` or `overlap`.
    pub policy: &'static str,
    /// The value as given.
    pub value: String,
    /// The accepted values, comma-separated.
    pub expected: &'static str,
}

/// What to do with a tick, given the overlap policy and the previous run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OverlapDecision {
    /// Start the tick's run now.
    Start,
    /// Do not start it; the tick is consumed.
    Skip,
    /// Do not start it yet; keep it due and decide again once the previous run has finished.
    Defer,
}

/// Decides what a tick does when `previous_unfinished` says whether the run of this schedule's
/// previous tick is still going.
pub fn decide_overlap(overlap: Overlap, previous_unfinished: bool) -> OverlapDecision {
    match (overlap, previous_unfinished) {
        (_, false) | (Overlap::Allow, true) => OverlapDecision::Start,
        (Overlap::Skip, true) => OverlapDecision::Skip,
        (Overlap::Queue, true) => OverlapDecision::Defer,
    }
}

/// The result of [`plan_ticks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickPlan {
    /// Ticks to fire now, strictly increasing, all `<= now`.
    pub fire: Vec<DateTime<Utc>>,
    /// Due ticks that do not fire, counted up to [`MAX_SKIPPED_COUNTED`].
    pub skipped: u64,
    /// True when there were more skipped ticks than `skipped` says.
    pub skipped_truncated: bool,
    /// The next tick to wait for: the first tick of the schedule after `now` (or the stored
    /// one, unchanged, when it was not due yet).
    pub next_fire_at: DateTime<Utc>,
}

/// Plans the firing of a schedule whose stored next tick is `next_fire_at`, at time `now`.
///
/// `next_fire_at` counts as a due tick when it is `<= now`, even if the schedule (edited since)
/// would not produce it. A tick with `now - tick <= grace` is on time and fires under every
/// policy; older ones are missed and follow `catch_up`. When `next_fire_at > now`, nothing is due
/// and the plan is empty with `next_fire_at` unchanged.
///
/// If the schedule has no tick after `now` (which cannot happen before the year 5000 for an
/// expression [`Schedule::parse`] accepted), `next_fire_at` is [`DateTime::<Utc>::MAX_UTC`].
pub fn plan_ticks(
    schedule: &Schedule,
    next_fire_at: DateTime<Utc>,
    now: DateTime<Utc>,
    catch_up: CatchUp,
    grace: TimeDelta,
) -> TickPlan {
    if next_fire_at > now {
        return TickPlan {
            fire: Vec::new(),
            skipped: 0,
            skipped_truncated: false,
            next_fire_at,
        };
    }
    let grace = grace.max(TimeDelta::zero());
    let on_time_from = now
        .checked_sub_signed(grace)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let missed_to_fire = catch_up.missed_to_fire();

    // The fired ticks are the newest due ticks: walk back from `now`.
    let mut fire = Vec::new();
    let mut missed_fired = 0;
    let mut bound = Bound::AtOrBefore(now);
    let mut stored_seen = false;
    while fire.len() < MAX_FIRED {
        let tick = match last_tick(schedule, bound, next_fire_at) {
            Some(t) => t,
            None if !stored_seen => {
                stored_seen = true;
                next_fire_at
            }
            None => break,
        };
        if tick < on_time_from {
            if missed_fired == missed_to_fire {
                break;
            }
            missed_fired += 1;
        }
        fire.push(tick);
        if tick == next_fire_at {
            break;
        }
        bound = Bound::Before(tick);
    }
    fire.reverse();

    // Every due tick before the first fired one is skipped.
    let skip_until = fire.first().copied();
    let mut skipped = 0;
    let mut skipped_truncated = false;
    let mut cur = Some(next_fire_at);
    while let Some(t) = cur {
        let is_skipped = match skip_until {
            Some(first_fired) => t < first_fired,
            None => t <= now,
        };
        if !is_skipped {
            break;
        }
        if skipped == MAX_SKIPPED_COUNTED {
            skipped_truncated = true;
            break;
        }
        skipped += 1;
        cur = next_tick_after(schedule, t);
    }

    TickPlan {
        fire,
        skipped,
        skipped_truncated,
        next_fire_at: next_tick_after(schedule, now).unwrap_or(DateTime::<Utc>::MAX_UTC),
    }
}

/// The upper end of a backwards search.
#[derive(Debug, Clone, Copy)]
enum Bound {
    AtOrBefore(DateTime<Utc>),
    Before(DateTime<Utc>),
}

/// The first tick strictly after `t`, always `> t`, always a whole second.
///
/// [`Schedule::next_after`] alone is not enough: croner maps a local time that a fall-back
/// change repeats to its first occurrence, so from an instant in the *second* pass of the
/// repeated hour it answers a tick of the first pass, which lies before `t`. In that case the
/// answer is the first tick after the repeated hour: found by searching for the earliest probe
/// instant whose croner answer lies after `t` (exponentially, then by bisection).
pub fn next_tick_after(schedule: &Schedule, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let t = floor_second(t);
    let ts = t.timestamp();
    let after_t = |probe: i64| -> Option<Option<DateTime<Utc>>> {
        // Some(answer) when the answer lies after t (or there is none), None when not.
        let next = instant(probe).and_then(|p| schedule.raw_next_after(p));
        match next {
            Some(n) if n <= t => None,
            other => Some(other),
        }
    };
    if let Some(answer) = after_t(ts) {
        return answer;
    }
    // `lo` probes answer before t, `hi` probes after it. Repeated hours are at most a few hours
    // long; the search gives up after 2^20 minutes (about two years).
    let mut lo = ts;
    let mut step: i64 = 60;
    let mut hi = loop {
        let probe = ts.checked_add(step)?;
        if after_t(probe).is_some() {
            break probe;
        }
        lo = probe;
        step = step.checked_mul(2).filter(|s| *s <= 60 << 20)?;
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if after_t(mid).is_some() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    after_t(hi).flatten()
}

/// The last tick of the schedule within `bound` and strictly after `floor` (found by
/// searching backwards from the bound: exponentially, then by bisection).
fn last_tick(schedule: &Schedule, bound: Bound, floor: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // Ticks are whole seconds, so "after floor" is "after floor's second" and the bound becomes
    // an exclusive whole second `end`.
    let floor = floor_second(floor).timestamp();
    let end = match bound {
        Bound::AtOrBefore(t) => floor_second(t).timestamp().checked_add(1)?,
        Bound::Before(t) => ceil_second(t)?.timestamp(),
    };
    // tick_in(s): is there a tick in (s, end)? True for small s, false for large.
    let tick_in = |s: i64| -> Option<DateTime<Utc>> {
        instant(s)
            .and_then(|p| next_tick_after(schedule, p))
            .filter(|n| n.timestamp() < end)
    };
    let mut hi = end - 1;
    if hi <= floor {
        return None;
    }
    let mut step: i64 = 1;
    let mut lo = loop {
        let probe = hi.saturating_sub(step).max(floor);
        if tick_in(probe).is_some() {
            break probe;
        }
        if probe == floor {
            return None;
        }
        hi = probe;
        step = step.saturating_mul(2);
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if tick_in(mid).is_some() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    tick_in(lo)
}

fn instant(ts: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(ts, 0).single()
}

fn floor_second(t: DateTime<Utc>) -> DateTime<Utc> {
    instant(t.timestamp()).unwrap_or(t)
}

fn ceil_second(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let f = floor_second(t);
    if f == t {
        Some(t)
    } else {
        instant(t.timestamp().checked_add(1)?)
    }
}

#[cfg(test)]
mod tests;
