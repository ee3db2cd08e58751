//! Published triggers: publishing (writer), the webhook table and its generation, schedules
//! and run-completed listeners.

use super::workflows::{current, set_published, version_id, workflow_exists};
use crate::rows::{db, get, json, parse_json, req, req_parsed, ts};
use crate::writer::Tx;
use chrono::{DateTime, Utc};
use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::{PgPool, PgRow};
use std::collections::HashSet;
use uuid::Uuid;
use weft_store_api::control::{
    ListenerEntry, ListenerSpec, PublishedTriggers, RouteEntry, ScheduleRecord, ScheduleSpec,
    WebhookRoute, WorkflowRecord,
};
use weft_store_api::{RunId, StoreError, StoreResult, TenantScope};

/// The method that matches every method of its path.
const ANY: &str = "ANY";

/// The columns [`route_from_row`] expects, in order.
const ROUTE_COLUMNS: &str =
    "org_id, team_id, workflow_id, version_id, method, path, trigger_id, params::text";

/// The columns [`schedule_from_row`] expects, in order.
const SCHEDULE_COLUMNS: &str = "id, org_id, team_id, workflow_id, version_id, trigger_id, cron, \
     timezone, overlap, catch_up, input::text, enabled, next_fire_at, last_fire_at, last_run_id";

fn route_from_row(row: &PgRow) -> StoreResult<RouteEntry> {
    let workflow_id: String = req(row, 2, "webhook route row", "workflow_id")?;
    let what = format!("webhook route of workflow {workflow_id}");
    let w = what.as_str();
    Ok(RouteEntry {
        scope: TenantScope {
            org_id: req(row, 0, w, "org_id")?,
            team_id: get(row, 1, w, "team_id")?,
        },
        version_id: req(row, 3, w, "version_id")?,
        route: WebhookRoute {
            method: req(row, 4, w, "method")?,
            path: req(row, 5, w, "path")?,
            trigger_id: req(row, 6, w, "trigger_id")?,
            params: req_parsed(row, 7, w, "params", parse_json)?,
        },
        workflow_id,
    })
}

fn schedule_from_row(row: &PgRow) -> StoreResult<ScheduleRecord> {
    let id: String = req(row, 0, "schedule row", "id")?;
    let what = format!("schedule {id}");
    let w = what.as_str();
    Ok(ScheduleRecord {
        scope: TenantScope {
            org_id: req(row, 1, w, "org_id")?,
            team_id: get(row, 2, w, "team_id")?,
        },
        workflow_id: req(row, 3, w, "workflow_id")?,
        version_id: req(row, 4, w, "version_id")?,
        spec: ScheduleSpec {
            trigger_id: req(row, 5, w, "trigger_id")?,
            cron: req(row, 6, w, "cron")?,
            timezone: req(row, 7, w, "timezone")?,
            overlap: req(row, 8, w, "overlap")?,
            catch_up: req(row, 9, w, "catch_up")?,
            input: req_parsed(row, 10, w, "input", parse_json)?,
            next_fire_at: get(row, 12, w, "next_fire_at")?,
        },
        enabled: req(row, 11, w, "enabled")?,
        last_fire_at: get(row, 13, w, "last_fire_at")?,
        last_run_id: get::<Option<Uuid>>(row, 14, w, "last_run_id")?.map(RunId),
        id,
    })
}

fn listener_from_row(row: &PgRow) -> StoreResult<ListenerEntry> {
    let workflow_id: String = req(row, 0, "listener row", "workflow_id")?;
    let what = format!("listener of workflow {workflow_id}");
    let w = what.as_str();
    Ok(ListenerEntry {
        version_id: req(row, 1, w, "version_id")?,
        spec: ListenerSpec {
            trigger_id: req(row, 2, w, "trigger_id")?,
            source_workflow_id: req(row, 3, w, "source_workflow_id")?,
            statuses: req(row, 4, w, "statuses")?,
        },
        workflow_id,
    })
}

/// Whether two routes on the same path overlap (equal methods, or either is `ANY`).
fn methods_overlap(a: &str, b: &str) -> bool {
    a == b || a == ANY || b == ANY
}

/// `NameTaken` (`webhook path`, `METHOD path`) naming `other_id`.
fn path_taken(route: &WebhookRoute, other_id: String) -> StoreError {
    StoreError::NameTaken {
        what: "webhook path",
        name: format!("{} {}", route.method, route.path),
        other_id,
    }
}

/// Locks the webhook table's generation row until the write commits. Every change of the
/// webhook table takes it first, so publishes from different processes take turns and each
/// one's overlap check sees the other's routes (`ANY` overlaps are beyond a unique index).
async fn lock_routes(tx: &mut Tx) -> StoreResult<()> {
    query("SELECT generation FROM routes_generation WHERE id = 1 FOR UPDATE")
        .execute(tx.conn())
        .await
        .map_err(db("locking the webhook table"))
        .map(drop)
}

/// Checks the routes a publish of `workflow_id` would register: they must not overlap each
/// other, nor a route of another workflow (the workflow's own current routes are replaced).
async fn check_routes(tx: &mut Tx, workflow_id: &str, routes: &[WebhookRoute]) -> StoreResult<()> {
    for (i, route) in routes.iter().enumerate() {
        if routes[..i]
            .iter()
            .any(|r| r.path == route.path && methods_overlap(&r.method, &route.method))
        {
            return Err(path_taken(route, workflow_id.to_owned()));
        }
        let holder = query_scalar::<_, String>(
            "SELECT workflow_id FROM webhook_routes
             WHERE path = $1 AND (method = $2 OR method = 'ANY' OR $2 = 'ANY')
               AND workflow_id <> $3
             ORDER BY method LIMIT 1",
        )
        .bind(&route.path)
        .bind(&route.method)
        .bind(workflow_id)
        .fetch_optional(tx.conn())
        .await
        .map_err(db("checking a webhook path"))?;
        if let Some(other_id) = holder {
            return Err(path_taken(route, other_id));
        }
    }
    Ok(())
}

/// `NameTaken` (`trigger`) when two triggers of one kind share an id.
fn check_unique_triggers<'a>(
    workflow_id: &str,
    ids: impl Iterator<Item = &'a str>,
) -> StoreResult<()> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(StoreError::NameTaken {
                what: "trigger",
                name: id.to_owned(),
                other_id: workflow_id.to_owned(),
            });
        }
    }
    Ok(())
}

/// A route as compared to decide whether the webhook table changed.
type RouteKey = (String, String, String, String, String);

/// The workflow's current routes, sorted.
async fn route_keys(tx: &mut Tx, workflow_id: &str) -> StoreResult<Vec<RouteKey>> {
    keys_from_rows(
        query(
            "SELECT path, method, version_id, trigger_id, params::text FROM webhook_routes
             WHERE workflow_id = $1 ORDER BY path, method",
        )
        .bind(workflow_id)
        .fetch_all(tx.conn())
        .await
        .map_err(db("reading a workflow's webhook routes"))?,
    )
}

fn keys_from_rows(rows: Vec<PgRow>) -> StoreResult<Vec<RouteKey>> {
    let w = "webhook route row";
    rows.iter()
        .map(|r| {
            Ok((
                req(r, 0, w, "path")?,
                req(r, 1, w, "method")?,
                req(r, 2, w, "version_id")?,
                req(r, 3, w, "trigger_id")?,
                req(r, 4, w, "params")?,
            ))
        })
        .collect()
}

/// Moves the routes generation on.
async fn bump_generation(tx: &mut Tx) -> StoreResult<()> {
    query("UPDATE routes_generation SET generation = generation + 1 WHERE id = 1")
        .execute(tx.conn())
        .await
        .map_err(db("bumping the routes generation"))
        .map(drop)
}

async fn delete_rows(tx: &mut Tx, op: &'static str, sql: &str, id: &str) -> StoreResult<u64> {
    query(sql)
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(db(op))
        .map(|done| done.rows_affected())
}

/// Removes every trigger row of a workflow (unpublish, delete), bumping the generation when
/// it had routes or listeners.
pub(crate) async fn remove_all(tx: &mut Tx, workflow_id: &str) -> StoreResult<()> {
    lock_routes(tx).await?;
    let routes = delete_rows(
        tx,
        "removing webhook routes",
        "DELETE FROM webhook_routes WHERE workflow_id = $1",
        workflow_id,
    )
    .await?;
    if routes > 0 {
        bump_generation(tx).await?;
    }
    delete_rows(
        tx,
        "removing schedules",
        "DELETE FROM schedules WHERE workflow_id = $1",
        workflow_id,
    )
    .await?;
    let listeners = delete_rows(
        tx,
        "removing listeners",
        "DELETE FROM listeners WHERE workflow_id = $1",
        workflow_id,
    )
    .await?;
    if listeners > 0 && routes == 0 {
        bump_generation(tx).await?;
    }
    Ok(())
}

/// Publishes version `number` of a workflow of the organization with `triggers`, or
/// unpublishes it (`None`). Checks everything before changing anything.
pub(crate) async fn publish(
    tx: &mut Tx,
    org: &str,
    workflow_id: &str,
    expected: Option<i64>,
    number: Option<i64>,
    triggers: &PublishedTriggers,
    at: DateTime<Utc>,
) -> StoreResult<WorkflowRecord> {
    let mut w = current(tx, org, workflow_id, expected).await?;
    let Some(number) = number else {
        remove_all(tx, workflow_id).await?;
        set_published(tx, &mut w, None, at).await?;
        return Ok(w);
    };
    let Some(version_id) = version_id(tx, workflow_id, number).await? else {
        return Err(StoreError::NotFound {
            what: "workflow version",
            id: format!("{workflow_id} version {number}"),
        });
    };
    lock_routes(tx).await?;
    check_routes(tx, workflow_id, &triggers.webhooks).await?;
    check_unique_triggers(
        workflow_id,
        triggers.schedules.iter().map(|s| s.trigger_id.as_str()),
    )?;
    check_unique_triggers(
        workflow_id,
        triggers.listeners.iter().map(|l| l.trigger_id.as_str()),
    )?;
    for l in &triggers.listeners {
        if !workflow_exists(tx.conn(), org, &l.source_workflow_id).await? {
            return Err(StoreError::NotFound {
                what: "workflow",
                id: l.source_workflow_id.clone(),
            });
        }
    }

    replace_routes(tx, &w, &version_id, &triggers.webhooks).await?;
    replace_schedules(tx, &w, &version_id, &triggers.schedules).await?;
    let removed = delete_rows(
        tx,
        "removing listeners",
        "DELETE FROM listeners WHERE workflow_id = $1",
        workflow_id,
    )
    .await?;
    // Processes cache listeners by the generation, like routes.
    if removed > 0 || !triggers.listeners.is_empty() {
        bump_generation(tx).await?;
    }
    for l in &triggers.listeners {
        query(
            "INSERT INTO listeners (workflow_id, trigger_id, org_id, team_id, version_id,
                                    source_workflow_id, statuses)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(workflow_id)
        .bind(&l.trigger_id)
        .bind(org)
        .bind(&w.scope.team_id)
        .bind(&version_id)
        .bind(&l.source_workflow_id)
        .bind(&l.statuses)
        .execute(tx.conn())
        .await
        .map_err(db("storing a listener"))?;
    }
    set_published(tx, &mut w, Some(number), at).await?;
    Ok(w)
}

/// Replaces the workflow's routes, bumping the generation when the table changes.
async fn replace_routes(
    tx: &mut Tx,
    w: &WorkflowRecord,
    version_id: &str,
    routes: &[WebhookRoute],
) -> StoreResult<()> {
    let before = route_keys(tx, &w.id).await?;
    delete_rows(
        tx,
        "removing webhook routes",
        "DELETE FROM webhook_routes WHERE workflow_id = $1",
        &w.id,
    )
    .await?;
    for r in routes {
        query(
            "INSERT INTO webhook_routes (path, method, org_id, team_id, workflow_id, version_id,
                                         trigger_id, params)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json)",
        )
        .bind(&r.path)
        .bind(&r.method)
        .bind(&w.scope.org_id)
        .bind(&w.scope.team_id)
        .bind(&w.id)
        .bind(version_id)
        .bind(&r.trigger_id)
        .bind(json(&r.params))
        .execute(tx.conn())
        .await
        .map_err(db("storing a webhook route"))?;
    }
    if route_keys(tx, &w.id).await? != before {
        bump_generation(tx).await?;
    }
    Ok(())
}

/// Replaces the workflow's schedules. A schedule whose trigger id stays keeps its id, its
/// enabled flag and its last fire; it takes the new spec (including `next_fire_at`).
async fn replace_schedules(
    tx: &mut Tx,
    w: &WorkflowRecord,
    version_id: &str,
    specs: &[ScheduleSpec],
) -> StoreResult<()> {
    let kept: Vec<String> = specs.iter().map(|s| s.trigger_id.clone()).collect();
    query("DELETE FROM schedules WHERE workflow_id = $1 AND NOT (trigger_id = ANY($2))")
        .bind(&w.id)
        .bind(&kept)
        .execute(tx.conn())
        .await
        .map_err(db("removing a schedule"))?;
    for s in specs {
        query(
            "INSERT INTO schedules (id, org_id, team_id, workflow_id, version_id, trigger_id,
                                    cron, timezone, overlap, catch_up, input, enabled,
                                    next_fire_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::json, true, $12)
             ON CONFLICT (workflow_id, trigger_id) DO UPDATE SET
                 version_id = excluded.version_id, cron = excluded.cron,
                 timezone = excluded.timezone, overlap = excluded.overlap,
                 catch_up = excluded.catch_up, input = excluded.input,
                 next_fire_at = excluded.next_fire_at",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(&w.scope.org_id)
        .bind(&w.scope.team_id)
        .bind(&w.id)
        .bind(version_id)
        .bind(&s.trigger_id)
        .bind(&s.cron)
        .bind(&s.timezone)
        .bind(&s.overlap)
        .bind(&s.catch_up)
        .bind(json(&s.input))
        .bind(s.next_fire_at.as_ref().map(ts))
        .execute(tx.conn())
        .await
        .map_err(db("storing a schedule"))?;
    }
    Ok(())
}

/// Every webhook route of every published workflow, by path and method.
pub(crate) async fn webhook_routes(pool: &PgPool) -> StoreResult<Vec<RouteEntry>> {
    query(&format!(
        "SELECT {ROUTE_COLUMNS} FROM webhook_routes ORDER BY path, method"
    ))
    .fetch_all(pool)
    .await
    .map_err(db("listing webhook routes"))?
    .iter()
    .map(route_from_row)
    .collect()
}

/// The current routes generation.
pub(crate) async fn routes_generation(pool: &PgPool) -> StoreResult<i64> {
    query_scalar::<_, i64>("SELECT generation FROM routes_generation WHERE id = 1")
        .fetch_one(pool)
        .await
        .map_err(db("reading the routes generation"))
}

/// The organization's schedules by workflow and trigger id.
pub(crate) async fn list_schedules(pool: &PgPool, org: &str) -> StoreResult<Vec<ScheduleRecord>> {
    query(&format!(
        "SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE org_id = $1
         ORDER BY workflow_id, trigger_id"
    ))
    .bind(org)
    .fetch_all(pool)
    .await
    .map_err(db("listing schedules"))?
    .iter()
    .map(schedule_from_row)
    .collect()
}

/// A schedule of the organization.
pub(crate) async fn get_schedule(
    pool: &PgPool,
    org: &str,
    id: &str,
) -> StoreResult<Option<ScheduleRecord>> {
    query(&format!(
        "SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE id = $1 AND org_id = $2"
    ))
    .bind(id)
    .bind(org)
    .fetch_optional(pool)
    .await
    .map_err(db("reading a schedule"))?
    .map(|row| schedule_from_row(&row))
    .transpose()
}

/// Pauses a schedule, or resumes it with its next tick; false when not found.
pub(crate) async fn set_schedule_enabled(
    tx: &mut Tx,
    org: &str,
    id: &str,
    enabled: bool,
    next_fire_at: Option<DateTime<Utc>>,
) -> StoreResult<bool> {
    let done = if enabled {
        query(
            "UPDATE schedules SET enabled = true, next_fire_at = $3
             WHERE id = $1 AND org_id = $2",
        )
        .bind(id)
        .bind(org)
        .bind(next_fire_at.as_ref().map(ts))
        .execute(tx.conn())
        .await
    } else {
        query("UPDATE schedules SET enabled = false WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org)
            .execute(tx.conn())
            .await
    };
    done.map_err(db("pausing or resuming a schedule"))
        .map(|done| done.rows_affected() > 0)
}

/// Enabled schedules due at `now`, earliest first (`limit` is at least one).
pub(crate) async fn due_schedules(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: usize,
) -> StoreResult<Vec<ScheduleRecord>> {
    query(&format!(
        "SELECT {SCHEDULE_COLUMNS} FROM schedules
         WHERE enabled AND next_fire_at IS NOT NULL AND next_fire_at <= $1
         ORDER BY next_fire_at, id LIMIT $2"
    ))
    .bind(ts(&now))
    .bind(i64::try_from(limit.max(1)).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(db("listing due schedules"))?
    .iter()
    .map(schedule_from_row)
    .collect()
}

/// The earliest next tick of any enabled schedule.
pub(crate) async fn next_schedule_at(pool: &PgPool) -> StoreResult<Option<DateTime<Utc>>> {
    query_scalar::<_, Option<DateTime<Utc>>>(
        "SELECT MIN(next_fire_at) FROM schedules WHERE enabled AND next_fire_at IS NOT NULL",
    )
    .fetch_one(pool)
    .await
    .map_err(db("reading the next schedule time"))
}

/// Compare-and-set of an enabled schedule's next tick; true when this call won. Concurrent
/// updates of the row wait for each other and recheck `next_fire_at`, so one wins.
pub(crate) async fn advance_schedule(
    tx: &mut Tx,
    id: &str,
    expected: DateTime<Utc>,
    next: Option<DateTime<Utc>>,
    fired_at: DateTime<Utc>,
    run_id: Option<RunId>,
) -> StoreResult<bool> {
    query(
        "UPDATE schedules SET next_fire_at = $3, last_fire_at = $4, last_run_id = $5
         WHERE id = $1 AND next_fire_at = $2 AND enabled",
    )
    .bind(id)
    .bind(ts(&expected))
    .bind(next.as_ref().map(ts))
    .bind(ts(&fired_at))
    .bind(run_id.map(|r| r.0))
    .execute(tx.conn())
    .await
    .map_err(db("advancing a schedule"))
    .map(|done| done.rows_affected() > 0)
}

/// The organization's published listeners watching `source`.
pub(crate) async fn listeners_of(
    pool: &PgPool,
    org: &str,
    source: &str,
) -> StoreResult<Vec<ListenerEntry>> {
    query(
        "SELECT workflow_id, version_id, trigger_id, source_workflow_id, statuses FROM listeners
         WHERE org_id = $1 AND source_workflow_id = $2 ORDER BY workflow_id, trigger_id",
    )
    .bind(org)
    .bind(source)
    .fetch_all(pool)
    .await
    .map_err(db("listing listeners"))?
    .iter()
    .map(listener_from_row)
    .collect()
}
