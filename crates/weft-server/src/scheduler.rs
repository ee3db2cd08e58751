//! The cron scheduler: fires the ticks of published schedules.
//!
//! Exactly once across processes, without trusting the clock of any one of them:
//! 1. each tick's run is started with the idempotency key `schedule/<id>/<tick>`, so two
//!    processes firing the same tick get the same run;
//! 2. then the schedule's `next_fire_at` is advanced by compare-and-set, so only one of them
//!    moves it on. A process that dies between 1 and 2 leaves the tick due; whoever fires it
//!    next gets the same run back from step 1.
//!
//! With PostgreSQL, one process at a time is the leader (an advisory lock) so the others do not
//! even try. Overlap (`skip`, `queue`, `allow`) looks at the run the previous tick started;
//! catch-up (`none`, `latest`, `all`) decides what happens to ticks missed while no scheduler
//! ran (see `weft_schedule::plan`).

use crate::AppState;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::time::Duration;
use weft_engine::StartOptions;
use weft_schedule::plan::{CatchUp, Overlap, OverlapDecision, decide_overlap, plan_ticks};
use weft_store_api::control::ScheduleRecord;
use weft_store_api::{RunId, TenantScope};

/// How long the scheduler sleeps at most between looks.
const MAX_SLEEP: Duration = Duration::from_secs(5);
/// A tick less late than this is on time, whatever the catch-up policy.
const GRACE: chrono::Duration = chrono::Duration::seconds(60);

/// Runs until shutdown.
pub async fn run(state: AppState) {
    let mut leader: Option<Box<dyn Send + Sync>> = None;
    loop {
        if let Some(l) = &state.leadership
            && leader.is_none()
        {
            leader = l.try_acquire("weft-scheduler").await;
            if leader.is_some() {
                tracing::info!("this process is now the scheduler leader");
            }
        }
        let mut sleep = MAX_SLEEP;
        if state.leadership.is_none() || leader.is_some() {
            match tick_once(&state, Utc::now()).await {
                Ok(()) => {}
                Err(e) => tracing::error!(error = %e, "the scheduler failed to fire due schedules"),
            }
            if let Ok(Some(next)) = state.control.next_schedule_at().await {
                sleep = sleep.min((next - Utc::now()).to_std().unwrap_or_default());
            }
        }
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            () = state.schedule_wake.notified() => {}
            () = state.shutdown.cancelled() => return,
        }
    }
}

/// Fires every schedule due at `now` once.
pub async fn tick_once(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<()> {
    for s in state.control.due_schedules(now, 256).await? {
        if let Err(e) = fire(state, &s, now).await {
            tracing::error!(schedule = %s.id, error = %e, "firing a schedule failed");
        }
    }
    Ok(())
}

fn run_input(s: &ScheduleRecord, tick: DateTime<Utc>, now: DateTime<Utc>) -> Value {
    if s.spec.input == json!([{}]) {
        json!([{ "scheduleId": s.id, "scheduledAt": tick, "firedAt": now }])
    } else {
        s.spec.input.clone()
    }
}

async fn fire(state: &AppState, s: &ScheduleRecord, now: DateTime<Utc>) -> anyhow::Result<()> {
    let Some(due) = s.spec.next_fire_at else {
        return Ok(());
    };
    let schedule = weft_schedule::Schedule::parse(&s.spec.cron, &s.spec.timezone)?;
    let catch_up: CatchUp = s.spec.catch_up.parse().map_err(anyhow::Error::msg)?;
    let overlap: Overlap = s.spec.overlap.parse().map_err(anyhow::Error::msg)?;
    let plan = plan_ticks(&schedule, due, now, catch_up, GRACE);
    let scope = s.scope.clone();
    let previous_unfinished = match s.last_run_id {
        Some(id) => state
            .store
            .get_run(&scope, id)
            .await?
            .is_some_and(|r| !r.status.is_terminal()),
        None => false,
    };
    let mut fire = plan.fire.clone();
    match decide_overlap(overlap, previous_unfinished) {
        OverlapDecision::Start => {}
        OverlapDecision::Skip => {
            tracing::info!(schedule = %s.id, "skipping ticks: the previous run is still going");
            fire.clear();
        }
        // The tick stays due and fires when the previous run has finished.
        OverlapDecision::Defer => return Ok(()),
    }
    let mut last: Option<(DateTime<Utc>, RunId)> = None;
    for tick in fire {
        let run_id = start(state, &scope, s, tick, now).await?;
        state.metrics.schedule_ticks.inc();
        last = Some((tick, run_id));
    }
    let (fired_at, run_id) = match last {
        Some((t, r)) => (t, Some(r)),
        None => (s.last_fire_at.unwrap_or(due), s.last_run_id),
    };
    let won = state
        .control
        .advance_schedule(&s.id, due, Some(plan.next_fire_at), fired_at, run_id)
        .await?;
    if plan.skipped > 0 {
        tracing::info!(schedule = %s.id, skipped = plan.skipped, "missed ticks were not fired (catch-up policy)");
    }
    if !won {
        tracing::debug!(schedule = %s.id, "another process advanced this schedule first");
    }
    Ok(())
}

async fn start(
    state: &AppState,
    scope: &TenantScope,
    s: &ScheduleRecord,
    tick: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<RunId> {
    let record = state
        .engine
        .start_run(
            scope,
            &s.version_id,
            run_input(s, tick, now),
            StartOptions {
                idempotency_key: Some(format!(
                    "schedule/{}/{}",
                    s.id,
                    tick.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )),
                workflow_id: Some(s.workflow_id.clone()),
                ..Default::default()
            },
        )
        .await?;
    state.metrics.run_started(&record.workflow_name);
    tracing::info!(schedule = %s.id, run_id = %record.id, tick = %tick, "schedule fired");
    Ok(record.id)
}
