use super::*;
use proptest::prelude::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad test time {s}: {e}"))
        .with_timezone(&Utc)
}

fn sched(expr: &str, tz: &str) -> Schedule {
    Schedule::parse(expr, tz).unwrap_or_else(|e| panic!("{e}"))
}

fn times(ts: &[&str]) -> Vec<DateTime<Utc>> {
    ts.iter().map(|t| utc(t)).collect()
}

const ALL: CatchUp = CatchUp::All {
    max: DEFAULT_CATCH_UP_MAX,
};

/// The plan computed the slow way: every due tick, then the newest ones fire.
fn reference(
    schedule: &Schedule,
    next_fire_at: DateTime<Utc>,
    now: DateTime<Utc>,
    catch_up: CatchUp,
    grace: TimeDelta,
    limit: usize,
) -> Option<(Vec<DateTime<Utc>>, u64)> {
    let mut due = Vec::new();
    let mut cur = Some(next_fire_at);
    while let Some(t) = cur.filter(|t| *t <= now) {
        if due.len() == limit {
            return None;
        }
        due.push(t);
        cur = next_tick_after(schedule, t);
    }
    let on_time = due.iter().filter(|t| now - **t <= grace).count();
    let missed = due.len() - on_time;
    let n = (on_time + missed.min(catch_up.missed_to_fire())).min(MAX_FIRED);
    let fire = due.split_off(due.len() - n);
    Some((fire, due.len() as u64))
}

#[test]
fn nothing_is_due_before_the_stored_tick() {
    let s = sched("0 * * * *", "UTC");
    let next = utc("2024-05-01T10:00:00Z");
    let plan = plan_ticks(&s, next, utc("2024-05-01T09:59:59Z"), ALL, DEFAULT_GRACE);
    assert_eq!(
        plan,
        TickPlan {
            fire: vec![],
            skipped: 0,
            skipped_truncated: false,
            next_fire_at: next
        }
    );
}

#[test]
fn an_on_time_tick_fires_under_every_policy() {
    let s = sched("0 * * * *", "UTC");
    let tick = utc("2024-05-01T10:00:00Z");
    for policy in [CatchUp::None, CatchUp::Latest, ALL, CatchUp::All { max: 0 }] {
        for now in [
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:59.999Z",
            "2024-05-01T10:01:00Z",
        ] {
            let plan = plan_ticks(&s, tick, utc(now), policy, DEFAULT_GRACE);
            assert_eq!(plan.fire, vec![tick], "{policy:?} at {now}");
            assert_eq!(plan.skipped, 0);
            assert_eq!(plan.next_fire_at, utc("2024-05-01T11:00:00Z"));
        }
    }
    // One second more and the tick is missed.
    let plan = plan_ticks(
        &s,
        tick,
        utc("2024-05-01T10:01:01Z"),
        CatchUp::None,
        DEFAULT_GRACE,
    );
    assert_eq!((plan.fire, plan.skipped), (vec![], 1));
}

/// Ticks at 00:00 … 05:00; 05:00 is 30 s late (on time), the five before it are missed.
fn downtime(policy: CatchUp) -> TickPlan {
    let s = sched("0 0 * * * *", "UTC");
    plan_ticks(
        &s,
        utc("2024-05-01T00:00:00Z"),
        utc("2024-05-01T05:00:30Z"),
        policy,
        DEFAULT_GRACE,
    )
}

#[test]
fn catch_up_none_skips_missed_ticks() {
    let plan = downtime(CatchUp::None);
    assert_eq!(plan.fire, times(&["2024-05-01T05:00:00Z"]));
    assert_eq!((plan.skipped, plan.skipped_truncated), (5, false));
    assert_eq!(plan.next_fire_at, utc("2024-05-01T06:00:00Z"));
}

#[test]
fn catch_up_latest_fires_the_most_recent_missed_tick() {
    let plan = downtime(CatchUp::Latest);
    assert_eq!(
        plan.fire,
        times(&["2024-05-01T04:00:00Z", "2024-05-01T05:00:00Z"])
    );
    assert_eq!(plan.skipped, 4);
    assert_eq!(plan.next_fire_at, utc("2024-05-01T06:00:00Z"));

    // With nothing on time, only the latest missed tick fires.
    let s = sched("0 * * * *", "UTC");
    let plan = plan_ticks(
        &s,
        utc("2024-05-01T00:00:00Z"),
        utc("2024-05-01T05:30:00Z"),
        CatchUp::Latest,
        DEFAULT_GRACE,
    );
    assert_eq!(plan.fire, times(&["2024-05-01T05:00:00Z"]));
    assert_eq!(plan.skipped, 5);
}

#[test]
fn catch_up_all_fires_up_to_max_most_recent_missed_ticks_oldest_first() {
    let plan = downtime(ALL);
    assert_eq!(
        plan.fire,
        times(&[
            "2024-05-01T00:00:00Z",
            "2024-05-01T01:00:00Z",
            "2024-05-01T02:00:00Z",
            "2024-05-01T03:00:00Z",
            "2024-05-01T04:00:00Z",
            "2024-05-01T05:00:00Z",
        ])
    );
    assert_eq!(plan.skipped, 0);

    let plan = downtime(CatchUp::All { max: 2 });
    assert_eq!(
        plan.fire,
        times(&[
            "2024-05-01T03:00:00Z",
            "2024-05-01T04:00:00Z",
            "2024-05-01T05:00:00Z",
        ])
    );
    assert_eq!(plan.skipped, 3);
    assert_eq!(plan.next_fire_at, utc("2024-05-01T06:00:00Z"));

    assert_eq!(downtime(CatchUp::All { max: 0 }), downtime(CatchUp::None));
    assert_eq!(downtime(CatchUp::All { max: 1 }), downtime(CatchUp::Latest));
}

#[test]
fn a_stored_tick_the_schedule_no_longer_produces_still_fires() {
    // The schedule was edited from hourly at :00 to hourly at :30; the stored 10:00 tick is due.
    let s = sched("30 * * * *", "UTC");
    let plan = plan_ticks(
        &s,
        utc("2024-05-01T10:00:00Z"),
        utc("2024-05-01T10:00:10Z"),
        CatchUp::None,
        DEFAULT_GRACE,
    );
    assert_eq!(plan.fire, times(&["2024-05-01T10:00:00Z"]));
    assert_eq!(plan.next_fire_at, utc("2024-05-01T10:30:00Z"));

    let plan = plan_ticks(
        &s,
        utc("2024-05-01T10:00:00Z"),
        utc("2024-05-01T11:45:00Z"),
        ALL,
        DEFAULT_GRACE,
    );
    assert_eq!(
        plan.fire,
        times(&[
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:30:00Z",
            "2024-05-01T11:30:00Z"
        ])
    );
}

#[test]
fn five_and_six_field_expressions() {
    let five = sched("*/15 9 * * MON-FRI", "UTC");
    let six = sched("30 */15 9 * * MON-FRI", "UTC");
    // Friday 2024-05-03 09:00 to 09:50: ticks at :00 :15 :30 :45 (five) or 30 s past (six).
    let plan = plan_ticks(
        &five,
        utc("2024-05-03T09:00:00Z"),
        utc("2024-05-03T09:50:00Z"),
        ALL,
        DEFAULT_GRACE,
    );
    assert_eq!(plan.fire.len(), 4);
    assert_eq!(plan.next_fire_at, utc("2024-05-06T09:00:00Z"));
    let plan = plan_ticks(
        &six,
        utc("2024-05-03T09:00:30Z"),
        utc("2024-05-03T09:50:00Z"),
        CatchUp::Latest,
        DEFAULT_GRACE,
    );
    assert_eq!(plan.fire, times(&["2024-05-03T09:45:30Z"]));
    assert_eq!(plan.skipped, 3);
    assert_eq!(plan.next_fire_at, utc("2024-05-06T09:00:30Z"));
}

#[test]
fn a_year_of_downtime_on_a_per_second_schedule_is_planned_quickly() {
    let s = sched("* * * * * *", "Europe/Berlin");
    let next = utc("2023-01-01T00:00:00Z");
    let now = utc("2024-01-01T00:00:00Z");
    let started = std::time::Instant::now();
    for (policy, fired) in [
        (CatchUp::None, 61),
        (CatchUp::Latest, 62),
        (ALL, 161),
        (CatchUp::All { max: u32::MAX }, MAX_FIRED),
    ] {
        let plan = plan_ticks(&s, next, now, policy, DEFAULT_GRACE);
        assert_eq!(plan.fire.len(), fired, "{policy:?}");
        assert_eq!(plan.fire.last(), Some(&now));
        assert!(
            plan.fire
                .windows(2)
                .all(|w| w[1] - w[0] == TimeDelta::seconds(1))
        );
        assert_eq!(plan.skipped, MAX_SKIPPED_COUNTED);
        assert!(plan.skipped_truncated);
        assert_eq!(plan.next_fire_at, utc("2024-01-01T00:00:01Z"));
    }
    // Generous for a debug build; typically a few milliseconds in release.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_long_downtime_on_a_sparse_schedule_counts_exactly() {
    // Ten years of a yearly schedule: 10 ticks.
    let s = sched("0 0 1 1 *", "America/New_York");
    let plan = plan_ticks(
        &s,
        utc("2014-01-01T05:00:00Z"),
        utc("2024-06-01T00:00:00Z"),
        CatchUp::Latest,
        DEFAULT_GRACE,
    );
    assert_eq!(plan.fire, times(&["2024-01-01T05:00:00Z"]));
    assert_eq!((plan.skipped, plan.skipped_truncated), (10, false));
    assert_eq!(plan.next_fire_at, utc("2025-01-01T05:00:00Z"));
}

// DST. Europe/Berlin 2024: 31 March 02:00 CET → 03:00 CEST; 27 October 03:00 CEST → 02:00 CET.
// America/New_York 2024: 10 March 02:00 EST → 03:00 EDT; 3 November 02:00 EDT → 01:00 EST.

#[test]
fn spring_forward_a_skipped_local_time_fires_once_after_the_gap() {
    for (tz, before, gap_tick, after) in [
        (
            "Europe/Berlin",
            "2024-03-30T01:30:00Z", // 02:30 CET
            "2024-03-31T01:00:00Z", // 03:00 CEST, first instant after the gap
            "2024-04-01T00:30:00Z", // 02:30 CEST
        ),
        (
            "America/New_York",
            "2024-03-09T07:30:00Z", // 02:30 EST
            "2024-03-10T07:00:00Z", // 03:00 EDT
            "2024-03-11T06:30:00Z", // 02:30 EDT
        ),
    ] {
        for expr in ["30 2 * * *", "0 30 2 * * *"] {
            let s = sched(expr, tz);
            assert_eq!(
                next_tick_after(&s, utc(before)),
                Some(utc(gap_tick)),
                "{tz} {expr}"
            );
            // Fired during a downtime that spans the whole day: once, at the gap's end.
            let plan = plan_ticks(
                &s,
                utc(before),
                utc(after) - TimeDelta::hours(1),
                ALL,
                DEFAULT_GRACE,
            );
            assert_eq!(plan.fire, times(&[before, gap_tick]), "{tz} {expr}");
            assert_eq!(plan.next_fire_at, utc(after));
        }
    }
}

#[test]
fn fall_back_a_repeated_local_time_fires_once() {
    for (tz, expr, first, second_pass, next_day) in [
        (
            "America/New_York",
            "30 1 * * *",
            "2024-11-03T05:30:00Z", // 01:30 EDT
            "2024-11-03T06:30:00Z", // 01:30 EST: does not fire
            "2024-11-04T06:30:00Z",
        ),
        (
            "Europe/Berlin",
            "0 30 2 * * *",
            "2024-10-27T00:30:00Z", // 02:30 CEST
            "2024-10-27T01:30:00Z", // 02:30 CET: does not fire
            "2024-10-28T01:30:00Z",
        ),
        (
            // 01:30 is not repeated in Berlin; it fires once as on any day.
            "Europe/Berlin",
            "30 1 * * *",
            "2024-10-26T23:30:00Z",
            "2024-10-27T00:30:00Z",
            "2024-10-28T00:30:00Z",
        ),
    ] {
        let s = sched(expr, tz);
        let plan = plan_ticks(
            &s,
            utc(first),
            utc(second_pass) + TimeDelta::minutes(30),
            ALL,
            DEFAULT_GRACE,
        );
        assert_eq!(plan.fire, times(&[first]), "{tz} {expr}");
        assert_eq!(plan.skipped, 0);
        assert_eq!(plan.next_fire_at, utc(next_day), "{tz} {expr}");
        // Asked from inside the repeated hour, the answer is still the next day.
        assert_eq!(next_tick_after(&s, utc(second_pass)), Some(utc(next_day)));
    }
}

#[test]
fn from_the_second_pass_of_a_repeated_hour_the_next_tick_is_after_it() {
    // Every ten minutes in New York; 06:30Z is 01:30 EST, the second pass of 01:xx. The cron
    // library answers 01:40 EDT (05:40Z), which lies in the past; the next tick is 02:00 EST.
    let s = sched("*/10 * * * *", "America/New_York");
    let t = utc("2024-11-03T06:30:00Z");
    assert_eq!(s.raw_next_after(t), Some(utc("2024-11-03T05:40:00Z")));
    assert_eq!(s.next_after(t), Some(utc("2024-11-03T07:00:00Z")));
    assert_eq!(next_tick_after(&s, t), Some(utc("2024-11-03T07:00:00Z")));
    // And a plan made then never moves backwards.
    let plan = plan_ticks(
        &s,
        t,
        t + TimeDelta::seconds(5),
        CatchUp::None,
        DEFAULT_GRACE,
    );
    assert_eq!(plan.fire, vec![t]);
    assert_eq!(plan.next_fire_at, utc("2024-11-03T07:00:00Z"));
    // Per second, the first pass fires through 01:59:59 EDT, then 02:00:00 EST.
    let s = sched("* * * * * *", "America/New_York");
    assert_eq!(
        next_tick_after(&s, utc("2024-11-03T05:59:59Z")),
        Some(utc("2024-11-03T07:00:00Z"))
    );
    assert_eq!(
        next_tick_after(&s, utc("2024-11-03T06:59:59.5Z")),
        Some(utc("2024-11-03T07:00:00Z"))
    );
}

#[test]
fn sub_second_instants_give_whole_second_ticks() {
    let s = sched("* * * * * *", "UTC");
    assert_eq!(
        next_tick_after(&s, utc("2024-05-01T10:00:00.250Z")),
        Some(utc("2024-05-01T10:00:01Z"))
    );
    let plan = plan_ticks(
        &s,
        utc("2024-05-01T10:00:00Z"),
        utc("2024-05-01T10:00:02.9Z"),
        CatchUp::None,
        DEFAULT_GRACE,
    );
    assert_eq!(
        plan.fire,
        times(&[
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:01Z",
            "2024-05-01T10:00:02Z"
        ])
    );
    assert_eq!(plan.next_fire_at, utc("2024-05-01T10:00:03Z"));
}

#[test]
fn the_backward_search_agrees_with_a_forward_scan() {
    // (expression, zone, lower bound, minutes scanned, instants checked second by second)
    let cases: &[(&str, &str, &str, i64, &[&str])] = &[
        ("10-13,40 * * * * *", "UTC", "2024-05-01T10:00:00Z", 30, &[]),
        ("*/7 * * * * *", "UTC", "2024-05-01T10:00:00Z", 30, &[]),
        (
            "0-2 */20 * * * *",
            "America/New_York",
            "2024-11-03T05:00:00Z",
            180,
            &[],
        ),
        (
            "0-2 */20 * * * *",
            "Europe/Berlin",
            "2024-03-31T00:00:00Z",
            180,
            &[],
        ),
        // Through New York's repeated hour (06:00Z to 07:00Z does not fire).
        (
            "* * * * * *",
            "America/New_York",
            "2024-11-03T05:59:30Z",
            62,
            &["2024-11-03T06:00:00Z", "2024-11-03T07:00:00Z"],
        ),
    ];
    for &(expr, tz, from, minutes, edges) in cases {
        let s = sched(expr, tz);
        let floor = utc(from);
        let until = floor + TimeDelta::minutes(minutes);
        let mut ticks = vec![];
        let mut cur = floor;
        while let Some(t) = next_tick_after(&s, cur).filter(|t| *t <= until) {
            ticks.push(t);
            cur = t;
        }
        // Instants near each tick (sparse schedules) or near the edges, and every 53 s. (Inside
        // a repeated hour every probe pays for the fold search, slow in a debug build.)
        let near = |t: DateTime<Utc>| (-3..=3).map(move |k| t + TimeDelta::seconds(k));
        let mut bounds: Vec<DateTime<Utc>> = (0..minutes * 60 / 53)
            .map(|k| floor + TimeDelta::seconds(k * 53))
            .chain(edges.iter().flat_map(|e| near(utc(e))))
            .collect();
        if edges.is_empty() {
            for t in &ticks {
                bounds.extend(near(*t));
                bounds.push(*t + TimeDelta::milliseconds(500));
            }
        }
        for b in bounds.into_iter().filter(|b| *b >= floor && *b <= until) {
            let expected = ticks.iter().rev().find(|t| **t <= b).copied();
            assert_eq!(
                last_tick(&s, Bound::AtOrBefore(b), floor),
                expected,
                "{expr} <= {b}"
            );
            let expected = ticks.iter().rev().find(|t| **t < b).copied();
            assert_eq!(
                last_tick(&s, Bound::Before(b), floor),
                expected,
                "{expr} < {b}"
            );
        }
    }
}

#[test]
fn policies_parse_and_name_a_bad_value() {
    assert_eq!("none".parse::<CatchUp>(), Ok(CatchUp::None));
    assert_eq!("latest".parse::<CatchUp>(), Ok(CatchUp::Latest));
    assert_eq!("all".parse::<CatchUp>(), Ok(CatchUp::All { max: 100 }));
    let err = "ALL-of-them".parse::<CatchUp>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown catch-up policy \"ALL-of-them\"; expected one of none, latest, all"
    );
    assert_eq!("skip".parse::<Overlap>(), Ok(Overlap::Skip));
    assert_eq!("queue".parse::<Overlap>(), Ok(Overlap::Queue));
    assert_eq!("allow".parse::<Overlap>(), Ok(Overlap::Allow));
    let err = "wait".parse::<Overlap>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown overlap policy \"wait\"; expected one of skip, queue, allow"
    );
    for p in [CatchUp::None, CatchUp::Latest, ALL] {
        assert_eq!(p.to_string().parse::<CatchUp>(), Ok(p));
    }
    for p in [Overlap::Skip, Overlap::Queue, Overlap::Allow] {
        assert_eq!(p.to_string().parse::<Overlap>(), Ok(p));
    }
}

#[test]
fn overlap_decisions() {
    use OverlapDecision::*;
    for overlap in [Overlap::Skip, Overlap::Queue, Overlap::Allow] {
        assert_eq!(decide_overlap(overlap, false), Start);
    }
    assert_eq!(decide_overlap(Overlap::Skip, true), Skip);
    assert_eq!(decide_overlap(Overlap::Queue, true), Defer);
    assert_eq!(decide_overlap(Overlap::Allow, true), Start);
}

const EXPRESSIONS: &[&str] = &[
    "* * * * * *",
    "*/7 * * * * *",
    "10-13,40 */2 * * * *",
    "*/5 * * * *",
    "0 * * * *",
    "30 1 * * *",
    "30 2 * * *",
    "0 30 2 * * *",
    "15 */3 * * MON-FRI",
    "0 0 1 * *",
];
/// Zones with the instants of their 2024 DST changes (and an ordinary day).
const ZONES: &[(&str, &[&str])] = &[
    ("UTC", &["2024-07-01T00:00:00Z"]),
    (
        "Europe/Berlin",
        &["2024-03-31T01:00:00Z", "2024-10-27T01:00:00Z"],
    ),
    (
        "America/New_York",
        &["2024-03-10T07:00:00Z", "2024-11-03T06:00:00Z"],
    ),
    // A 30-minute shift.
    (
        "Australia/Lord_Howe",
        &["2024-04-06T15:00:00Z", "2024-10-05T15:30:00Z"],
    ),
    ("Asia/Kolkata", &["2024-07-01T00:00:00Z"]),
];

/// An instant within three hours of one of the zone's DST changes.
fn instant_near_change(zone: usize) -> impl Strategy<Value = DateTime<Utc>> {
    let anchors = ZONES[zone].1;
    (0..anchors.len(), -3 * 3600i64..3 * 3600)
        .prop_map(move |(a, offset)| utc(anchors[a]) + TimeDelta::seconds(offset))
}

fn schedule_and_instant() -> impl Strategy<Value = (Schedule, DateTime<Utc>)> {
    (0..EXPRESSIONS.len(), 0..ZONES.len()).prop_flat_map(|(expr, zone)| {
        instant_near_change(zone).prop_map(move |t| (sched(EXPRESSIONS[expr], ZONES[zone].0), t))
    })
}

fn policy() -> impl Strategy<Value = CatchUp> {
    prop_oneof![
        Just(CatchUp::None),
        Just(CatchUp::Latest),
        (0u32..5).prop_map(|max| CatchUp::All { max }),
        Just(ALL),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn plans_are_ordered_due_and_agree_with_the_slow_way(
        (s, start) in schedule_and_instant(),
        downtime_s in prop_oneof![0i64..600, 0i64..(3 * 86_400)],
        nanos in 0u32..1_000_000_000,
        grace_s in 0i64..180,
        catch_up in policy(),
    ) {
        let next = next_tick_after(&s, start).expect("a next tick");
        let now = next + TimeDelta::seconds(downtime_s) + TimeDelta::nanoseconds(nanos.into());
        let grace = TimeDelta::seconds(grace_s);
        let plan = plan_ticks(&s, next, now, catch_up, grace);

        prop_assert!(plan.fire.windows(2).all(|w| w[0] < w[1]), "{:?}", plan.fire);
        prop_assert!(plan.fire.iter().all(|t| *t <= now && *t >= next));
        prop_assert!(plan.next_fire_at > now);
        prop_assert!(!plan.fire.is_empty() || plan.skipped > 0, "a due tick vanished");
        prop_assert_eq!(next_tick_after(&s, now), Some(plan.next_fire_at));

        if let Some((fire, skipped)) = reference(&s, next, now, catch_up, grace, 5_000) {
            prop_assert_eq!(&plan.fire, &fire);
            prop_assert_eq!(plan.skipped, skipped);
            prop_assert!(!plan.skipped_truncated);
        }
    }

    #[test]
    fn next_tick_after_moves_forward_by_one_tick((s, t) in schedule_and_instant()) {
        let next = next_tick_after(&s, t).expect("a next tick");
        prop_assert!(next > t);
        prop_assert_eq!(next.timestamp_subsec_nanos(), 0);
        // No tick in between: asking from any instant up to the tick gives the same tick.
        let mid = t + (next - t) / 2;
        prop_assert_eq!(next_tick_after(&s, mid), Some(next));
        prop_assert_eq!(next_tick_after(&s, next - TimeDelta::seconds(1)), Some(next));
    }
}
