//! LLM accounting on SQLite: calls, prices, budgets with reservations, the response cache.
//! Reservations and settlements run on the one writer thread, so a check and its update are
//! never interleaved with another's.

use crate::rows::{db, json, parse_json, parse_ts, ts};
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::Value;
use weft_store_api::llm::{
    Budget, BudgetCrossing, BudgetRefusal, CachedResponse, LlmCall, LlmCaller, LlmPrice,
    RESERVATION_TTL_SECS, Reservation, ReserveOutcome, ReserveRequest, UsageQuery, UsageRow,
    WindowSpend, new_crossings,
};
use weft_store_api::{StoreError, StoreResult};

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("{what}: {e}"))
}

fn u(v: i64) -> u64 {
    v.max(0) as u64
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn list_prices(conn: &Connection, org: &str) -> StoreResult<Vec<LlmPrice>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT model, input_per_mtok, output_per_mtok FROM llm_prices
             WHERE org_id = ?1 ORDER BY model",
        )
        .map_err(db("reading prices"))?;
    let rows = stmt
        .query_map([org], |r| {
            Ok(LlmPrice {
                model: r.get(0)?,
                input_per_mtok: r.get(1)?,
                output_per_mtok: r.get(2)?,
            })
        })
        .map_err(db("reading prices"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(db("reading prices"))
}

pub(crate) fn put_price(conn: &Connection, org: &str, p: &LlmPrice, now: &str) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO llm_prices (org_id, model, input_per_mtok, output_per_mtok, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (org_id, model) DO UPDATE SET input_per_mtok = excluded.input_per_mtok,
           output_per_mtok = excluded.output_per_mtok, updated_at = excluded.updated_at",
    )
    .and_then(|mut s| s.execute((org, &p.model, p.input_per_mtok, p.output_per_mtok, now)))
    .map_err(db("saving a price"))
    .map(drop)
}

pub(crate) fn delete_price(conn: &Connection, org: &str, model: &str) -> StoreResult<bool> {
    conn.prepare_cached("DELETE FROM llm_prices WHERE org_id = ?1 AND model = ?2")
        .and_then(|mut s| s.execute((org, model)))
        .map_err(db("deleting a price"))
        .map(|n| n > 0)
}

fn budget_from(spec: &str) -> StoreResult<Budget> {
    serde_json::from_str(spec).map_err(|e| bad("budget: column spec", e))
}

pub(crate) fn put_budget(conn: &Connection, org: &str, b: &Budget) -> StoreResult<()> {
    let spec = serde_json::to_string(b).map_err(|e| bad("encoding a budget", e))?;
    conn.prepare_cached(
        "INSERT INTO budgets (org_id, id, spec) VALUES (?1, ?2, ?3)
         ON CONFLICT (org_id, id) DO UPDATE SET spec = excluded.spec",
    )
    .and_then(|mut s| s.execute((org, &b.id, spec)))
    .map_err(db("saving a budget"))
    .map(drop)
}

pub(crate) fn get_budget(conn: &Connection, org: &str, id: &str) -> StoreResult<Option<Budget>> {
    let spec: Option<String> = conn
        .prepare_cached("SELECT spec FROM budgets WHERE org_id = ?1 AND id = ?2")
        .and_then(|mut s| s.query_row((org, id), |r| r.get(0)).optional())
        .map_err(db("reading a budget"))?;
    spec.as_deref().map(budget_from).transpose()
}

pub(crate) fn list_budgets(conn: &Connection, org: &str) -> StoreResult<Vec<Budget>> {
    let mut stmt = conn
        .prepare_cached("SELECT spec FROM budgets WHERE org_id = ?1 ORDER BY id")
        .map_err(db("reading budgets"))?;
    let specs = stmt
        .query_map([org], |r| r.get::<_, String>(0))
        .map_err(db("reading budgets"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db("reading budgets"))?;
    specs.iter().map(|s| budget_from(s)).collect()
}

pub(crate) fn delete_budget(conn: &Connection, org: &str, id: &str) -> StoreResult<bool> {
    for sql in [
        "DELETE FROM budget_windows WHERE org_id = ?1 AND budget_id = ?2",
        "DELETE FROM llm_reservations WHERE org_id = ?1 AND budget_id = ?2",
    ] {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute((org, id)))
            .map_err(db("deleting a budget"))?;
    }
    conn.prepare_cached("DELETE FROM budgets WHERE org_id = ?1 AND id = ?2")
        .and_then(|mut s| s.execute((org, id)))
        .map_err(db("deleting a budget"))
        .map(|n| n > 0)
}

pub(crate) fn spend(
    conn: &Connection,
    org: &str,
    budget: &str,
    window: &str,
) -> StoreResult<WindowSpend> {
    conn.prepare_cached(
        "SELECT spent_tokens, spent_nanos, reserved_tokens, reserved_nanos, alerted
         FROM budget_windows WHERE org_id = ?1 AND budget_id = ?2 AND window_key = ?3",
    )
    .and_then(|mut s| {
        s.query_row((org, budget, window), |r| {
            Ok(WindowSpend {
                spent_tokens: u(r.get(0)?),
                spent_nanos: r.get(1)?,
                reserved_tokens: u(r.get(2)?),
                reserved_nanos: r.get(3)?,
                alerted: r.get::<_, i64>(4)?.clamp(0, 255) as u8,
            })
        })
        .optional()
    })
    .map_err(db("reading a budget window"))
    .map(Option::unwrap_or_default)
}

/// Gives back what abandoned reservations (older than the TTL) held in a window.
fn expire(
    conn: &Connection,
    org: &str,
    budget: &str,
    window: &str,
    now: &DateTime<Utc>,
) -> StoreResult<()> {
    let cutoff = ts(&(*now - TimeDelta::seconds(RESERVATION_TTL_SECS)));
    let (tokens, nanos, n): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(nanos), 0), COUNT(*) FROM llm_reservations
             WHERE org_id = ?1 AND budget_id = ?2 AND window_key = ?3 AND created_at < ?4",
        )
        .and_then(|mut s| s.query_row((org, budget, window, &cutoff), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
        .map_err(db("expiring reservations"))?;
    if n == 0 {
        return Ok(());
    }
    release(conn, org, budget, window, tokens, nanos)?;
    conn.prepare_cached(
        "DELETE FROM llm_reservations
         WHERE org_id = ?1 AND budget_id = ?2 AND window_key = ?3 AND created_at < ?4",
    )
    .and_then(|mut s| s.execute((org, budget, window, &cutoff)))
    .map_err(db("expiring reservations"))
    .map(drop)
}

fn release(
    conn: &Connection,
    org: &str,
    budget: &str,
    window: &str,
    tokens: i64,
    nanos: i64,
) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE budget_windows SET reserved_tokens = MAX(reserved_tokens - ?4, 0),
           reserved_nanos = MAX(reserved_nanos - ?5, 0)
         WHERE org_id = ?1 AND budget_id = ?2 AND window_key = ?3",
    )
    .and_then(|mut s| s.execute((org, budget, window, tokens, nanos)))
    .map_err(db("releasing a reservation"))
    .map(drop)
}

fn applicable(conn: &Connection, org: &str, caller: &LlmCaller) -> StoreResult<Vec<Budget>> {
    Ok(list_budgets(conn, org)?
        .into_iter()
        .filter(|b| b.applies_to(caller))
        .collect())
}

pub(crate) fn reserve(
    conn: &Connection,
    org: &str,
    req: &ReserveRequest,
) -> StoreResult<ReserveOutcome> {
    let budgets = applicable(conn, org, &req.caller)?;
    if budgets.is_empty() {
        return Ok(ReserveOutcome::Reserved(Reservation { id: None }));
    }
    let mut windows = Vec::with_capacity(budgets.len());
    for b in &budgets {
        let window = b.window.key(req.at, &req.caller.run_id);
        expire(conn, org, &b.id, &window, &req.at)?;
        let s = spend(conn, org, &b.id, &window)?;
        let tokens = s.spent_tokens + s.reserved_tokens + req.tokens;
        let nanos = s.spent_nanos + s.reserved_nanos + req.nanos;
        if !b.allows(tokens, nanos) {
            return Ok(ReserveOutcome::Refused(Box::new(BudgetRefusal {
                budget: b.clone(),
                window,
                spend: s,
                wanted_tokens: req.tokens,
                wanted_nanos: req.nanos,
            })));
        }
        windows.push((b, window));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let now = ts(&req.at);
    for (b, window) in windows {
        conn.prepare_cached(
            "INSERT INTO budget_windows (org_id, budget_id, window_key, reserved_tokens, reserved_nanos)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (org_id, budget_id, window_key) DO UPDATE SET
               reserved_tokens = reserved_tokens + excluded.reserved_tokens,
               reserved_nanos = reserved_nanos + excluded.reserved_nanos",
        )
        .and_then(|mut s| s.execute((org, &b.id, &window, i(req.tokens), req.nanos)))
        .map_err(db("reserving"))?;
        conn.prepare_cached(
            "INSERT INTO llm_reservations (id, org_id, budget_id, window_key, tokens, nanos, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut s| s.execute((&id, org, &b.id, &window, i(req.tokens), req.nanos, &now)))
        .map_err(db("reserving"))?;
    }
    Ok(ReserveOutcome::Reserved(Reservation { id: Some(id) }))
}

pub(crate) fn settle(
    conn: &Connection,
    org: &str,
    team: Option<&str>,
    reservation: &Reservation,
    call: &LlmCall,
) -> StoreResult<Vec<BudgetCrossing>> {
    let c = &call.caller;
    let inserted = conn.prepare_cached(
        "INSERT INTO llm_calls (id, org_id, team_id, workflow_id, workflow_name, run_id, node_id,
           attempt, provider, model, prompt_tokens, completion_tokens, latency_ms, cost_nanos,
           priced, cached, ok, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT (id) DO NOTHING",
    )
    .and_then(|mut s| {
        s.execute(rusqlite::params![
            call.id,
            org,
            c.team_id.as_deref().or(team),
            c.workflow_id,
            c.workflow_name,
            c.run_id,
            c.node_id,
            c.attempt,
            call.provider,
            call.model,
            i(call.prompt_tokens),
            i(call.completion_tokens),
            i(call.latency_ms),
            call.cost_nanos,
            call.priced,
            call.cached,
            call.ok,
            ts(&call.at),
        ])
    })
    .map_err(db("recording a model call"))?;
    let fresh = inserted > 0;
    // The windows the reservation was made in.
    let mut reserved: Vec<(String, String, i64, i64)> = Vec::new();
    if let Some(id) = &reservation.id {
        let mut stmt = conn
            .prepare_cached(
                "SELECT budget_id, window_key, tokens, nanos FROM llm_reservations
                 WHERE id = ?1 AND org_id = ?2",
            )
            .map_err(db("reading a reservation"))?;
        reserved = stmt
            .query_map((id, org), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(db("reading a reservation"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db("reading a reservation"))?;
        for (budget, window, tokens, nanos) in &reserved {
            release(conn, org, budget, window, *tokens, *nanos)?;
        }
        conn.prepare_cached("DELETE FROM llm_reservations WHERE id = ?1 AND org_id = ?2")
            .and_then(|mut s| s.execute((id, org)))
            .map_err(db("releasing a reservation"))?;
    }
    if !fresh {
        // Recorded before: its spend was counted then.
        return Ok(Vec::new());
    }
    let (tokens, nanos) = if call.cached {
        (0, 0)
    } else {
        (call.prompt_tokens + call.completion_tokens, call.cost_nanos)
    };
    let mut crossings = Vec::new();
    for b in applicable(conn, org, c)? {
        let window = reserved
            .iter()
            .find(|r| r.0 == b.id)
            .map(|r| r.1.clone())
            .unwrap_or_else(|| b.window.key(call.at, &c.run_id));
        conn.prepare_cached(
            "INSERT INTO budget_windows (org_id, budget_id, window_key, spent_tokens, spent_nanos)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (org_id, budget_id, window_key) DO UPDATE SET
               spent_tokens = spent_tokens + excluded.spent_tokens,
               spent_nanos = spent_nanos + excluded.spent_nanos",
        )
        .and_then(|mut s| s.execute((org, &b.id, &window, i(tokens), nanos)))
        .map_err(db("adding spend"))?;
        let mut s = spend(conn, org, &b.id, &window)?;
        let (new, mask) = new_crossings(&b, &s);
        if !new.is_empty() {
            conn.prepare_cached(
                "UPDATE budget_windows SET alerted = ?4
                 WHERE org_id = ?1 AND budget_id = ?2 AND window_key = ?3",
            )
            .and_then(|mut st| st.execute((org, &b.id, &window, i64::from(mask))))
            .map_err(db("marking thresholds"))?;
            s.alerted = mask;
            for t in new {
                crossings.push(BudgetCrossing {
                    budget: b.clone(),
                    window: window.clone(),
                    threshold: t,
                    spend: s,
                });
            }
        }
    }
    Ok(crossings)
}

pub(crate) fn usage(conn: &Connection, org: &str, q: &UsageQuery) -> StoreResult<Vec<UsageRow>> {
    let sql = format!(
        "SELECT {key}, COUNT(*), SUM(cached), SUM(1 - priced), SUM(1 - ok), SUM(prompt_tokens),
           SUM(completion_tokens), SUM(cost_nanos)
         FROM llm_calls
         WHERE org_id = ?1 AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at < ?3)
           AND (?4 IS NULL OR run_id = ?4)
         GROUP BY 1 ORDER BY 8 DESC, 1",
        key = q.group_by.sql_key()
    );
    let mut stmt = conn.prepare(&sql).map_err(db("rolling up usage"))?;
    let rows = stmt
        .query_map(
            (
                org,
                q.from.as_ref().map(ts),
                q.to.as_ref().map(ts),
                &q.run_id,
            ),
            |r| {
                Ok(UsageRow {
                    key: r.get(0)?,
                    calls: u(r.get(1)?),
                    cached_calls: u(r.get(2)?),
                    unpriced_calls: u(r.get(3)?),
                    failed_calls: u(r.get(4)?),
                    prompt_tokens: u(r.get(5)?),
                    completion_tokens: u(r.get(6)?),
                    cost_nanos: r.get(7)?,
                })
            },
        )
        .map_err(db("rolling up usage"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(db("rolling up usage"))
}

fn call_from(r: &Row<'_>) -> rusqlite::Result<(LlmCall, String)> {
    Ok((
        LlmCall {
            id: r.get(0)?,
            caller: LlmCaller {
                team_id: r.get(1)?,
                workflow_id: r.get(2)?,
                workflow_name: r.get(3)?,
                run_id: r.get(4)?,
                node_id: r.get(5)?,
                attempt: r.get::<_, i64>(6)?.clamp(0, i64::from(u32::MAX)) as u32,
            },
            provider: r.get(7)?,
            model: r.get(8)?,
            prompt_tokens: u(r.get(9)?),
            completion_tokens: u(r.get(10)?),
            latency_ms: u(r.get(11)?),
            cost_nanos: r.get(12)?,
            priced: r.get(13)?,
            cached: r.get(14)?,
            ok: r.get(15)?,
            at: DateTime::<Utc>::MIN_UTC,
        },
        r.get(16)?,
    ))
}

pub(crate) fn list_calls(conn: &Connection, org: &str, run: &str) -> StoreResult<Vec<LlmCall>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, team_id, workflow_id, workflow_name, run_id, node_id, attempt, provider,
               model, prompt_tokens, completion_tokens, latency_ms, cost_nanos, priced, cached,
               ok, at
             FROM llm_calls WHERE org_id = ?1 AND run_id = ?2 ORDER BY at, id",
        )
        .map_err(db("reading model calls"))?;
    let rows = stmt
        .query_map((org, run), call_from)
        .map_err(db("reading model calls"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db("reading model calls"))?;
    rows.into_iter()
        .map(|(mut c, at)| {
            c.at = parse_ts(&at).map_err(|e| bad("llm call: column at", e))?;
            Ok(c)
        })
        .collect()
}

pub(crate) fn get_cache(
    conn: &Connection,
    org: &str,
    key: &str,
    now: &DateTime<Utc>,
) -> StoreResult<Option<CachedResponse>> {
    let row: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT response, expires_at FROM llm_cache
             WHERE org_id = ?1 AND key = ?2 AND expires_at > ?3",
        )
        .and_then(|mut s| {
            s.query_row((org, key, ts(now)), |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(db("reading the model cache"))?;
    row.map(|(response, expires_at)| {
        Ok(CachedResponse {
            response: parse_json(&response).map_err(|e| bad("llm cache: column response", e))?,
            expires_at: parse_ts(&expires_at)
                .map_err(|e| bad("llm cache: column expires_at", e))?,
        })
    })
    .transpose()
}

pub(crate) fn put_cache(
    conn: &Connection,
    org: &str,
    key: &str,
    response: &Value,
    expires_at: &DateTime<Utc>,
    now: &DateTime<Utc>,
) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM llm_cache WHERE org_id = ?1 AND expires_at <= ?2")
        .and_then(|mut s| s.execute((org, ts(now))))
        .map_err(db("expiring the model cache"))?;
    conn.prepare_cached(
        "INSERT INTO llm_cache (org_id, key, response, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (org_id, key) DO UPDATE SET response = excluded.response,
           created_at = excluded.created_at, expires_at = excluded.expires_at",
    )
    .and_then(|mut s| s.execute((org, key, json(response), ts(now), ts(expires_at))))
    .map_err(db("writing the model cache"))
    .map(drop)
}
