//! Published triggers: publishing (writer), the webhook table and its generation, schedules
//! and run-completed listeners.

use super::sql::{all, first};
use super::workflows::{current, set_published, version_id, workflow_exists};
use crate::rows::{
    db, int, json, parse_json, parse_run_id, parse_strings, parse_ts, parsed, req_parsed, req_text,
    strings_json, text, ts,
};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row};
use std::collections::HashSet;
use weft_store_api::control::{
    ListenerEntry, ListenerSpec, PublishedTriggers, RouteEntry, ScheduleRecord, ScheduleSpec,
    WebhookRoute, WorkflowRecord,
};
use weft_store_api::{RunId, StoreError, StoreResult, TenantScope};

/// The method that matches every method of its path.
const ANY: &str = "ANY";

/// The columns [`route_from_row`] expects, in order.
const ROUTE_COLUMNS: &str =
    "org_id, team_id, workflow_id, version_id, method, path, trigger_id, params";

/// The columns [`schedule_from_row`] expects, in order.
const SCHEDULE_COLUMNS: &str = "id, org_id, team_id, workflow_id, version_id, trigger_id, cron, \
     timezone, overlap, catch_up, input, enabled, next_fire_at, last_fire_at, last_run_id";

fn route_from_row(row: &Row<'_>) -> StoreResult<RouteEntry> {
    let workflow_id = req_text(row, 2, "webhook route row", "workflow_id")?;
    let what = format!("webhook route of workflow {workflow_id}");
    let w = what.as_str();
    Ok(RouteEntry {
        scope: TenantScope {
            org_id: req_text(row, 0, w, "org_id")?,
            team_id: text(row, 1, w, "team_id")?,
        },
        version_id: req_text(row, 3, w, "version_id")?,
        route: WebhookRoute {
            method: req_text(row, 4, w, "method")?,
            path: req_text(row, 5, w, "path")?,
            trigger_id: req_text(row, 6, w, "trigger_id")?,
            params: req_parsed(row, 7, w, "params", parse_json)?,
        },
        workflow_id,
    })
}

fn schedule_from_row(row: &Row<'_>) -> StoreResult<ScheduleRecord> {
    let id = req_text(row, 0, "schedule row", "id")?;
    let what = format!("schedule {id}");
    let w = what.as_str();
    let enabled = match int(row, 11, w, "enabled")? {
        0 => false,
        1 => true,
        n => {
            return Err(StoreError::Database(format!(
                "{w}: column enabled: invalid value {n}"
            )));
        }
    };
    Ok(ScheduleRecord {
        scope: TenantScope {
            org_id: req_text(row, 1, w, "org_id")?,
            team_id: text(row, 2, w, "team_id")?,
        },
        workflow_id: req_text(row, 3, w, "workflow_id")?,
        version_id: req_text(row, 4, w, "version_id")?,
        spec: ScheduleSpec {
            trigger_id: req_text(row, 5, w, "trigger_id")?,
            cron: req_text(row, 6, w, "cron")?,
            timezone: req_text(row, 7, w, "timezone")?,
            overlap: req_text(row, 8, w, "overlap")?,
            catch_up: req_text(row, 9, w, "catch_up")?,
            input: req_parsed(row, 10, w, "input", parse_json)?,
            next_fire_at: parsed(row, 12, w, "next_fire_at", parse_ts)?,
        },
        enabled,
        last_fire_at: parsed(row, 13, w, "last_fire_at", parse_ts)?,
        last_run_id: parsed(row, 14, w, "last_run_id", parse_run_id)?,
        id,
    })
}

fn listener_from_row(row: &Row<'_>) -> StoreResult<ListenerEntry> {
    let workflow_id = req_text(row, 0, "listener row", "workflow_id")?;
    let what = format!("listener of workflow {workflow_id}");
    let w = what.as_str();
    Ok(ListenerEntry {
        version_id: req_text(row, 1, w, "version_id")?,
        spec: ListenerSpec {
            trigger_id: req_text(row, 2, w, "trigger_id")?,
            source_workflow_id: req_text(row, 3, w, "source_workflow_id")?,
            statuses: req_parsed(row, 4, w, "statuses", parse_strings)?,
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

/// Checks the routes a publish of `workflow_id` would register: they must not overlap each
/// other, nor a route of another workflow (the workflow's own current routes are replaced).
fn check_routes(conn: &Connection, workflow_id: &str, routes: &[WebhookRoute]) -> StoreResult<()> {
    for (i, route) in routes.iter().enumerate() {
        if routes[..i]
            .iter()
            .any(|r| r.path == route.path && methods_overlap(&r.method, &route.method))
        {
            return Err(path_taken(route, workflow_id.to_owned()));
        }
        let holder = first(
            conn,
            "checking a webhook path",
            "SELECT workflow_id FROM webhook_routes
             WHERE path = ?1 AND (method = ?2 OR method = 'ANY' OR ?2 = 'ANY')
               AND workflow_id <> ?3
             ORDER BY method LIMIT 1",
            (&route.path, &route.method, workflow_id),
            |r| req_text(r, 0, "webhook route row", "workflow_id"),
        )?;
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
fn route_keys(conn: &Connection, workflow_id: &str) -> StoreResult<Vec<RouteKey>> {
    all(
        conn,
        "reading a workflow's webhook routes",
        "SELECT path, method, version_id, trigger_id, params FROM webhook_routes
         WHERE workflow_id = ?1 ORDER BY path, method",
        [workflow_id],
        |r| {
            let w = "webhook route row";
            Ok((
                req_text(r, 0, w, "path")?,
                req_text(r, 1, w, "method")?,
                req_text(r, 2, w, "version_id")?,
                req_text(r, 3, w, "trigger_id")?,
                req_text(r, 4, w, "params")?,
            ))
        },
    )
}

/// Moves the routes generation on.
fn bump_generation(conn: &Connection) -> StoreResult<()> {
    conn.prepare_cached("UPDATE routes_generation SET generation = generation + 1 WHERE id = 1")
        .and_then(|mut s| s.execute([]))
        .map_err(db("bumping the routes generation"))
        .map(|_| ())
}

fn exec(conn: &Connection, op: &'static str, sql: &str, id: &str) -> StoreResult<usize> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([id]))
        .map_err(db(op))
}

/// Removes every trigger row of a workflow (unpublish, delete), bumping the generation when
/// it had routes or listeners.
pub(crate) fn remove_all(conn: &Connection, workflow_id: &str) -> StoreResult<()> {
    let routes = exec(
        conn,
        "removing webhook routes",
        "DELETE FROM webhook_routes WHERE workflow_id = ?1",
        workflow_id,
    )?;
    if routes > 0 {
        bump_generation(conn)?;
    }
    exec(
        conn,
        "removing schedules",
        "DELETE FROM schedules WHERE workflow_id = ?1",
        workflow_id,
    )?;
    let listeners = exec(
        conn,
        "removing listeners",
        "DELETE FROM listeners WHERE workflow_id = ?1",
        workflow_id,
    )?;
    if listeners > 0 && routes == 0 {
        bump_generation(conn)?;
    }
    Ok(())
}

/// Publishes version `number` of a workflow of the organization with `triggers`, or
/// unpublishes it (`None`). Checks everything before changing anything.
pub(crate) fn publish(
    conn: &Connection,
    org: &str,
    workflow_id: &str,
    expected: Option<i64>,
    number: Option<i64>,
    triggers: &PublishedTriggers,
    at: DateTime<Utc>,
) -> StoreResult<WorkflowRecord> {
    let mut w = current(conn, org, workflow_id, expected)?;
    let Some(number) = number else {
        remove_all(conn, workflow_id)?;
        set_published(conn, &mut w, None, at)?;
        return Ok(w);
    };
    let Some(version_id) = version_id(conn, workflow_id, number)? else {
        return Err(StoreError::NotFound {
            what: "workflow version",
            id: format!("{workflow_id} version {number}"),
        });
    };
    check_routes(conn, workflow_id, &triggers.webhooks)?;
    check_unique_triggers(
        workflow_id,
        triggers.schedules.iter().map(|s| s.trigger_id.as_str()),
    )?;
    check_unique_triggers(
        workflow_id,
        triggers.listeners.iter().map(|l| l.trigger_id.as_str()),
    )?;
    for l in &triggers.listeners {
        if !workflow_exists(conn, org, &l.source_workflow_id)? {
            return Err(StoreError::NotFound {
                what: "workflow",
                id: l.source_workflow_id.clone(),
            });
        }
    }

    replace_routes(conn, &w, &version_id, &triggers.webhooks)?;
    replace_schedules(conn, &w, &version_id, &triggers.schedules)?;
    let removed = exec(
        conn,
        "removing listeners",
        "DELETE FROM listeners WHERE workflow_id = ?1",
        workflow_id,
    )?;
    // Processes cache listeners by the generation, like routes.
    if removed > 0 || !triggers.listeners.is_empty() {
        bump_generation(conn)?;
    }
    for l in &triggers.listeners {
        conn.prepare_cached(
            "INSERT INTO listeners (workflow_id, trigger_id, org_id, team_id, version_id,
                                    source_workflow_id, statuses)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut s| {
            s.execute((
                workflow_id,
                &l.trigger_id,
                org,
                &w.scope.team_id,
                &version_id,
                &l.source_workflow_id,
                strings_json(&l.statuses),
            ))
        })
        .map_err(db("storing a listener"))?;
    }
    set_published(conn, &mut w, Some(number), at)?;
    Ok(w)
}

/// Replaces the workflow's routes, bumping the generation when the table changes.
fn replace_routes(
    conn: &Connection,
    w: &WorkflowRecord,
    version_id: &str,
    routes: &[WebhookRoute],
) -> StoreResult<()> {
    let before = route_keys(conn, &w.id)?;
    exec(
        conn,
        "removing webhook routes",
        "DELETE FROM webhook_routes WHERE workflow_id = ?1",
        &w.id,
    )?;
    for r in routes {
        conn.prepare_cached(
            "INSERT INTO webhook_routes (path, method, org_id, team_id, workflow_id, version_id,
                                         trigger_id, params)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            s.execute((
                &r.path,
                &r.method,
                &w.scope.org_id,
                &w.scope.team_id,
                &w.id,
                version_id,
                &r.trigger_id,
                json(&r.params),
            ))
        })
        .map_err(db("storing a webhook route"))?;
    }
    if route_keys(conn, &w.id)? != before {
        bump_generation(conn)?;
    }
    Ok(())
}

/// Replaces the workflow's schedules. A schedule whose trigger id stays keeps its id, its
/// enabled flag and its last fire; it takes the new spec (including `next_fire_at`).
fn replace_schedules(
    conn: &Connection,
    w: &WorkflowRecord,
    version_id: &str,
    specs: &[ScheduleSpec],
) -> StoreResult<()> {
    let kept: HashSet<&str> = specs.iter().map(|s| s.trigger_id.as_str()).collect();
    let existing = all(
        conn,
        "reading a workflow's schedules",
        "SELECT trigger_id FROM schedules WHERE workflow_id = ?1",
        [&w.id],
        |r| req_text(r, 0, "schedule row", "trigger_id"),
    )?;
    for trigger_id in existing.iter().filter(|t| !kept.contains(t.as_str())) {
        conn.prepare_cached("DELETE FROM schedules WHERE workflow_id = ?1 AND trigger_id = ?2")
            .and_then(|mut s| s.execute((&w.id, trigger_id)))
            .map_err(db("removing a schedule"))?;
    }
    for s in specs {
        conn.prepare_cached(
            "INSERT INTO schedules (id, org_id, team_id, workflow_id, version_id, trigger_id,
                                    cron, timezone, overlap, catch_up, input, enabled,
                                    next_fire_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, ?12)
             ON CONFLICT (workflow_id, trigger_id) DO UPDATE SET
                 version_id = excluded.version_id, cron = excluded.cron,
                 timezone = excluded.timezone, overlap = excluded.overlap,
                 catch_up = excluded.catch_up, input = excluded.input,
                 next_fire_at = excluded.next_fire_at",
        )
        .and_then(|mut st| {
            st.execute((
                uuid::Uuid::now_v7().to_string(),
                &w.scope.org_id,
                &w.scope.team_id,
                &w.id,
                version_id,
                &s.trigger_id,
                &s.cron,
                &s.timezone,
                &s.overlap,
                &s.catch_up,
                json(&s.input),
                s.next_fire_at.as_ref().map(ts),
            ))
        })
        .map_err(db("storing a schedule"))?;
    }
    Ok(())
}

/// Every webhook route of every published workflow, by path and method.
pub(crate) fn webhook_routes(conn: &Connection) -> StoreResult<Vec<RouteEntry>> {
    let sql = format!("SELECT {ROUTE_COLUMNS} FROM webhook_routes ORDER BY path, method");
    all(conn, "listing webhook routes", &sql, [], route_from_row)
}

/// The current routes generation.
pub(crate) fn routes_generation(conn: &Connection) -> StoreResult<i64> {
    conn.prepare_cached("SELECT generation FROM routes_generation WHERE id = 1")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(db("reading the routes generation"))
}

/// The organization's schedules by workflow and trigger id.
pub(crate) fn list_schedules(conn: &Connection, org: &str) -> StoreResult<Vec<ScheduleRecord>> {
    let sql = format!(
        "SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE org_id = ?1 ORDER BY workflow_id, trigger_id"
    );
    all(conn, "listing schedules", &sql, [org], schedule_from_row)
}

/// A schedule of the organization.
pub(crate) fn get_schedule(
    conn: &Connection,
    org: &str,
    id: &str,
) -> StoreResult<Option<ScheduleRecord>> {
    let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE id = ?1 AND org_id = ?2");
    first(
        conn,
        "reading a schedule",
        &sql,
        (id, org),
        schedule_from_row,
    )
}

/// Pauses a schedule, or resumes it with its next tick; false when not found.
pub(crate) fn set_schedule_enabled(
    conn: &Connection,
    org: &str,
    id: &str,
    enabled: bool,
    next_fire_at: Option<String>,
) -> StoreResult<bool> {
    let changed = if enabled {
        conn.prepare_cached(
            "UPDATE schedules SET enabled = 1, next_fire_at = ?3 WHERE id = ?1 AND org_id = ?2",
        )
        .and_then(|mut s| s.execute((id, org, next_fire_at)))
    } else {
        conn.prepare_cached("UPDATE schedules SET enabled = 0 WHERE id = ?1 AND org_id = ?2")
            .and_then(|mut s| s.execute((id, org)))
    };
    changed
        .map_err(db("pausing or resuming a schedule"))
        .map(|n| n > 0)
}

/// Enabled schedules due at `now`, earliest first (`limit` is at least one).
pub(crate) fn due_schedules(
    conn: &Connection,
    now: &str,
    limit: usize,
) -> StoreResult<Vec<ScheduleRecord>> {
    let sql = format!(
        "SELECT {SCHEDULE_COLUMNS} FROM schedules
         WHERE enabled = 1 AND next_fire_at IS NOT NULL AND next_fire_at <= ?1
         ORDER BY next_fire_at, id LIMIT ?2"
    );
    let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
    all(
        conn,
        "listing due schedules",
        &sql,
        (now, limit),
        schedule_from_row,
    )
}

/// The earliest next tick of any enabled schedule.
pub(crate) fn next_schedule_at(conn: &Connection) -> StoreResult<Option<DateTime<Utc>>> {
    let text: Option<String> = conn
        .prepare_cached(
            "SELECT MIN(next_fire_at) FROM schedules WHERE enabled = 1 AND next_fire_at IS NOT NULL",
        )
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(db("reading the next schedule time"))?;
    text.map(|t| {
        parse_ts(&t)
            .map_err(|e| StoreError::Database(format!("schedules: column next_fire_at: {e}")))
    })
    .transpose()
}

/// Compare-and-set of an enabled schedule's next tick; true when this call won.
pub(crate) fn advance_schedule(
    conn: &Connection,
    id: &str,
    expected: &str,
    next: Option<String>,
    fired_at: &str,
    run_id: Option<RunId>,
) -> StoreResult<bool> {
    conn.prepare_cached(
        "UPDATE schedules SET next_fire_at = ?3, last_fire_at = ?4, last_run_id = ?5
         WHERE id = ?1 AND next_fire_at = ?2 AND enabled = 1",
    )
    .and_then(|mut s| s.execute((id, expected, next, fired_at, run_id.map(|r| r.to_string()))))
    .map_err(db("advancing a schedule"))
    .map(|n| n > 0)
}

/// The organization's published listeners watching `source`.
pub(crate) fn listeners_of(
    conn: &Connection,
    org: &str,
    source: &str,
) -> StoreResult<Vec<ListenerEntry>> {
    all(
        conn,
        "listing listeners",
        "SELECT workflow_id, version_id, trigger_id, source_workflow_id, statuses FROM listeners
         WHERE org_id = ?1 AND source_workflow_id = ?2 ORDER BY workflow_id, trigger_id",
        (org, source),
        listener_from_row,
    )
}
