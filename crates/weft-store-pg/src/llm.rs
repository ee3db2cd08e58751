//! LLM accounting on PostgreSQL: calls, prices, budgets with reservations, the response cache.
//!
//! A reservation locks the budget windows it checks (`SELECT … FOR UPDATE`, in budget id
//! order) before deciding, so processes reserving against one budget at once are serialized
//! by the database: none can pass the limit by more than what is already in flight.

use crate::rows::{db, get, json, parse_json, req, req_parsed, ts};
use crate::writer::Tx;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::{PgConnection, PgPool, PgRow};
use weft_store_api::llm::{
    Budget, BudgetCrossing, BudgetRefusal, CachedResponse, LlmCall, LlmCaller, LlmPrice,
    RESERVATION_TTL_SECS, Reservation, ReserveOutcome, ReserveRequest, UsageQuery, UsageRow,
    WindowSpend, new_crossings,
};
use weft_store_api::{StoreError, StoreResult};

fn u(v: i64) -> u64 {
    v.max(0) as u64
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn budget_from(spec: &str) -> StoreResult<Budget> {
    serde_json::from_str(spec)
        .map_err(|e| StoreError::Database(format!("budget: column spec: {e}")))
}

pub(crate) async fn list_prices(pool: &PgPool, org: &str) -> StoreResult<Vec<LlmPrice>> {
    let rows = query(
        "SELECT model, input_per_mtok, output_per_mtok FROM llm_prices
         WHERE org_id = $1 ORDER BY model",
    )
    .bind(org)
    .fetch_all(pool)
    .await
    .map_err(db("reading prices"))?;
    rows.iter()
        .map(|r| {
            Ok(LlmPrice {
                model: req(r, 0, "price", "model")?,
                input_per_mtok: req(r, 1, "price", "input_per_mtok")?,
                output_per_mtok: req(r, 2, "price", "output_per_mtok")?,
            })
        })
        .collect()
}

pub(crate) async fn put_price(
    tx: &mut Tx,
    org: &str,
    p: &LlmPrice,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    query(
        "INSERT INTO llm_prices (org_id, model, input_per_mtok, output_per_mtok, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_id, model) DO UPDATE SET input_per_mtok = excluded.input_per_mtok,
           output_per_mtok = excluded.output_per_mtok, updated_at = excluded.updated_at",
    )
    .bind(org)
    .bind(&p.model)
    .bind(p.input_per_mtok)
    .bind(p.output_per_mtok)
    .bind(ts(&now))
    .execute(tx.conn())
    .await
    .map_err(db("saving a price"))
    .map(drop)
}

pub(crate) async fn delete_price(tx: &mut Tx, org: &str, model: &str) -> StoreResult<bool> {
    query("DELETE FROM llm_prices WHERE org_id = $1 AND model = $2")
        .bind(org)
        .bind(model)
        .execute(tx.conn())
        .await
        .map_err(db("deleting a price"))
        .map(|d| d.rows_affected() > 0)
}

pub(crate) async fn put_budget(tx: &mut Tx, org: &str, b: &Budget) -> StoreResult<()> {
    let spec = serde_json::to_string(b)
        .map_err(|e| StoreError::Database(format!("encoding a budget: {e}")))?;
    query(
        "INSERT INTO budgets (org_id, id, spec) VALUES ($1, $2, $3::json)
         ON CONFLICT (org_id, id) DO UPDATE SET spec = excluded.spec",
    )
    .bind(org)
    .bind(&b.id)
    .bind(spec)
    .execute(tx.conn())
    .await
    .map_err(db("saving a budget"))
    .map(drop)
}

pub(crate) async fn get_budget(pool: &PgPool, org: &str, id: &str) -> StoreResult<Option<Budget>> {
    let spec: Option<String> =
        query_scalar("SELECT spec::text FROM budgets WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(db("reading a budget"))?;
    spec.as_deref().map(budget_from).transpose()
}

async fn budgets_on(conn: &mut PgConnection, org: &str) -> StoreResult<Vec<Budget>> {
    let specs: Vec<String> =
        query_scalar("SELECT spec::text FROM budgets WHERE org_id = $1 ORDER BY id")
            .bind(org)
            .fetch_all(conn)
            .await
            .map_err(db("reading budgets"))?;
    specs.iter().map(|s| budget_from(s)).collect()
}

pub(crate) async fn list_budgets(pool: &PgPool, org: &str) -> StoreResult<Vec<Budget>> {
    let mut conn = pool.acquire().await.map_err(db("reading budgets"))?;
    budgets_on(&mut conn, org).await
}

pub(crate) async fn delete_budget(tx: &mut Tx, org: &str, id: &str) -> StoreResult<bool> {
    for sql in [
        "DELETE FROM budget_windows WHERE org_id = $1 AND budget_id = $2",
        "DELETE FROM llm_reservations WHERE org_id = $1 AND budget_id = $2",
    ] {
        query(sql)
            .bind(org)
            .bind(id)
            .execute(tx.conn())
            .await
            .map_err(db("deleting a budget"))?;
    }
    query("DELETE FROM budgets WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(db("deleting a budget"))
        .map(|d| d.rows_affected() > 0)
}

fn spend_from(r: &PgRow) -> StoreResult<WindowSpend> {
    Ok(WindowSpend {
        spent_tokens: u(req(r, 0, "budget window", "spent_tokens")?),
        spent_nanos: req(r, 1, "budget window", "spent_nanos")?,
        reserved_tokens: u(req(r, 2, "budget window", "reserved_tokens")?),
        reserved_nanos: req(r, 3, "budget window", "reserved_nanos")?,
        alerted: req::<i32>(r, 4, "budget window", "alerted")?.clamp(0, 255) as u8,
    })
}

const SPEND: &str = "SELECT spent_tokens, spent_nanos, reserved_tokens, reserved_nanos, alerted
     FROM budget_windows WHERE org_id = $1 AND budget_id = $2 AND window_key = $3";

pub(crate) async fn spend(
    pool: &PgPool,
    org: &str,
    budget: &str,
    window: &str,
) -> StoreResult<WindowSpend> {
    let row = query(SPEND)
        .bind(org)
        .bind(budget)
        .bind(window)
        .fetch_optional(pool)
        .await
        .map_err(db("reading a budget window"))?;
    row.as_ref()
        .map(spend_from)
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Creates the window row if needed and locks it until the transaction ends.
async fn lock_window(
    conn: &mut PgConnection,
    org: &str,
    budget: &str,
    window: &str,
) -> StoreResult<WindowSpend> {
    query(
        "INSERT INTO budget_windows (org_id, budget_id, window_key) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(org)
    .bind(budget)
    .bind(window)
    .execute(&mut *conn)
    .await
    .map_err(db("opening a budget window"))?;
    let row = query(&format!("{SPEND} FOR UPDATE"))
        .bind(org)
        .bind(budget)
        .bind(window)
        .fetch_one(&mut *conn)
        .await
        .map_err(db("locking a budget window"))?;
    spend_from(&row)
}

async fn release(
    conn: &mut PgConnection,
    org: &str,
    budget: &str,
    window: &str,
    tokens: i64,
    nanos: i64,
) -> StoreResult<()> {
    query(
        "UPDATE budget_windows SET reserved_tokens = GREATEST(reserved_tokens - $4, 0),
           reserved_nanos = GREATEST(reserved_nanos - $5, 0)
         WHERE org_id = $1 AND budget_id = $2 AND window_key = $3",
    )
    .bind(org)
    .bind(budget)
    .bind(window)
    .bind(tokens)
    .bind(nanos)
    .execute(conn)
    .await
    .map_err(db("releasing a reservation"))
    .map(drop)
}

/// Gives back what abandoned reservations (older than the TTL) held in a locked window.
async fn expire(
    conn: &mut PgConnection,
    org: &str,
    budget: &str,
    window: &str,
    now: &DateTime<Utc>,
) -> StoreResult<bool> {
    let cutoff = ts(&(*now - TimeDelta::seconds(RESERVATION_TTL_SECS)));
    let row = query(
        "WITH gone AS (DELETE FROM llm_reservations
           WHERE org_id = $1 AND budget_id = $2 AND window_key = $3 AND created_at < $4
           RETURNING tokens, nanos)
         SELECT COALESCE(SUM(tokens), 0)::bigint, COALESCE(SUM(nanos), 0)::bigint, COUNT(*) FROM gone",
    )
    .bind(org)
    .bind(budget)
    .bind(window)
    .bind(cutoff)
    .fetch_one(&mut *conn)
    .await
    .map_err(db("expiring reservations"))?;
    let n: i64 = req(&row, 2, "reservations", "count")?;
    if n == 0 {
        return Ok(false);
    }
    let tokens: i64 = req(&row, 0, "reservations", "tokens")?;
    let nanos: i64 = req(&row, 1, "reservations", "nanos")?;
    release(conn, org, budget, window, tokens, nanos).await?;
    Ok(true)
}

pub(crate) async fn reserve(
    tx: &mut Tx,
    org: &str,
    id: &str,
    req_: &ReserveRequest,
) -> StoreResult<ReserveOutcome> {
    let conn = tx.conn();
    let budgets: Vec<Budget> = budgets_on(conn, org)
        .await?
        .into_iter()
        .filter(|b| b.applies_to(&req_.caller))
        .collect();
    if budgets.is_empty() {
        return Ok(ReserveOutcome::Reserved(Reservation { id: None }));
    }
    let mut windows = Vec::with_capacity(budgets.len());
    for b in &budgets {
        let window = b.window.key(req_.at, &req_.caller.run_id);
        let mut s = lock_window(conn, org, &b.id, &window).await?;
        if expire(conn, org, &b.id, &window, &req_.at).await? {
            s = lock_window(conn, org, &b.id, &window).await?;
        }
        let tokens = s.spent_tokens + s.reserved_tokens + req_.tokens;
        let nanos = s.spent_nanos + s.reserved_nanos + req_.nanos;
        if !b.allows(tokens, nanos) {
            return Ok(ReserveOutcome::Refused(Box::new(BudgetRefusal {
                budget: b.clone(),
                window,
                spend: s,
                wanted_tokens: req_.tokens,
                wanted_nanos: req_.nanos,
            })));
        }
        windows.push((b, window));
    }
    for (b, window) in windows {
        query(
            "UPDATE budget_windows SET reserved_tokens = reserved_tokens + $4,
               reserved_nanos = reserved_nanos + $5
             WHERE org_id = $1 AND budget_id = $2 AND window_key = $3",
        )
        .bind(org)
        .bind(&b.id)
        .bind(&window)
        .bind(i(req_.tokens))
        .bind(req_.nanos)
        .execute(&mut *conn)
        .await
        .map_err(db("reserving"))?;
        query(
            "INSERT INTO llm_reservations (id, org_id, budget_id, window_key, tokens, nanos, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(org)
        .bind(&b.id)
        .bind(&window)
        .bind(i(req_.tokens))
        .bind(req_.nanos)
        .bind(ts(&req_.at))
        .execute(&mut *conn)
        .await
        .map_err(db("reserving"))?;
    }
    Ok(ReserveOutcome::Reserved(Reservation {
        id: Some(id.to_owned()),
    }))
}

pub(crate) async fn settle(
    tx: &mut Tx,
    org: &str,
    team: Option<&str>,
    reservation: &Reservation,
    call: &LlmCall,
) -> StoreResult<Vec<BudgetCrossing>> {
    let conn = tx.conn();
    let c = &call.caller;
    let fresh = query(
        "INSERT INTO llm_calls (id, org_id, team_id, workflow_id, workflow_name, run_id, node_id,
           attempt, provider, model, prompt_tokens, completion_tokens, latency_ms, cost_nanos,
           priced, cached, ok, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&call.id)
    .bind(org)
    .bind(c.team_id.as_deref().or(team))
    .bind(&c.workflow_id)
    .bind(&c.workflow_name)
    .bind(&c.run_id)
    .bind(&c.node_id)
    .bind(i64::from(c.attempt))
    .bind(&call.provider)
    .bind(&call.model)
    .bind(i(call.prompt_tokens))
    .bind(i(call.completion_tokens))
    .bind(i(call.latency_ms))
    .bind(call.cost_nanos)
    .bind(call.priced)
    .bind(call.cached)
    .bind(call.ok)
    .bind(ts(&call.at))
    .execute(&mut *conn)
    .await
    .map_err(db("recording a model call"))?
    .rows_affected()
        > 0;
    let mut reserved: Vec<(String, String, i64, i64)> = Vec::new();
    if let Some(id) = &reservation.id {
        let rows = query(
            "DELETE FROM llm_reservations WHERE id = $1 AND org_id = $2
             RETURNING budget_id, window_key, tokens, nanos",
        )
        .bind(id)
        .bind(org)
        .fetch_all(&mut *conn)
        .await
        .map_err(db("releasing a reservation"))?;
        for r in &rows {
            reserved.push((
                req(r, 0, "reservation", "budget_id")?,
                req(r, 1, "reservation", "window_key")?,
                req(r, 2, "reservation", "tokens")?,
                req(r, 3, "reservation", "nanos")?,
            ));
        }
    }
    if !fresh {
        for (budget, window, t, n) in &reserved {
            release(conn, org, budget, window, *t, *n).await?;
        }
        return Ok(Vec::new());
    }
    let (tokens, nanos) = if call.cached {
        (0, 0)
    } else {
        (call.prompt_tokens + call.completion_tokens, call.cost_nanos)
    };
    let mut crossings = Vec::new();
    let budgets: Vec<Budget> = budgets_on(conn, org)
        .await?
        .into_iter()
        .filter(|b| b.applies_to(c))
        .collect();
    for (budget, window, t, n) in &reserved {
        if !budgets.iter().any(|b| &b.id == budget) {
            release(conn, org, budget, window, *t, *n).await?;
        }
    }
    for b in budgets {
        let mine = reserved.iter().find(|r| r.0 == b.id);
        let window = mine
            .map(|r| r.1.clone())
            .unwrap_or_else(|| b.window.key(call.at, &c.run_id));
        lock_window(conn, org, &b.id, &window).await?;
        let (rt, rn) = mine.map(|r| (r.2, r.3)).unwrap_or((0, 0));
        let row = query(
            "UPDATE budget_windows SET reserved_tokens = GREATEST(reserved_tokens - $4, 0),
               reserved_nanos = GREATEST(reserved_nanos - $5, 0),
               spent_tokens = spent_tokens + $6, spent_nanos = spent_nanos + $7
             WHERE org_id = $1 AND budget_id = $2 AND window_key = $3
             RETURNING spent_tokens, spent_nanos, reserved_tokens, reserved_nanos, alerted",
        )
        .bind(org)
        .bind(&b.id)
        .bind(&window)
        .bind(rt)
        .bind(rn)
        .bind(i(tokens))
        .bind(nanos)
        .fetch_one(&mut *conn)
        .await
        .map_err(db("adding spend"))?;
        let mut s = spend_from(&row)?;
        let (new, mask) = new_crossings(&b, &s);
        if !new.is_empty() {
            query(
                "UPDATE budget_windows SET alerted = $4
                 WHERE org_id = $1 AND budget_id = $2 AND window_key = $3",
            )
            .bind(org)
            .bind(&b.id)
            .bind(&window)
            .bind(i32::from(mask))
            .execute(&mut *conn)
            .await
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

pub(crate) async fn usage(pool: &PgPool, org: &str, q: &UsageQuery) -> StoreResult<Vec<UsageRow>> {
    let sql = format!(
        "SELECT {key}, COUNT(*), COUNT(*) FILTER (WHERE cached), COUNT(*) FILTER (WHERE NOT priced),
           COUNT(*) FILTER (WHERE NOT ok), COALESCE(SUM(prompt_tokens), 0)::bigint,
           COALESCE(SUM(completion_tokens), 0)::bigint, COALESCE(SUM(cost_nanos), 0)::bigint
         FROM llm_calls
         WHERE org_id = $1 AND ($2::timestamptz IS NULL OR at >= $2)
           AND ($3::timestamptz IS NULL OR at < $3) AND ($4::text IS NULL OR run_id = $4)
         GROUP BY 1 ORDER BY 8 DESC, 1",
        key = q.group_by.sql_key()
    );
    let rows = query(&sql)
        .bind(org)
        .bind(q.from.as_ref().map(ts))
        .bind(q.to.as_ref().map(ts))
        .bind(&q.run_id)
        .fetch_all(pool)
        .await
        .map_err(db("rolling up usage"))?;
    rows.iter()
        .map(|r| {
            Ok(UsageRow {
                key: req(r, 0, "usage", "key")?,
                calls: u(req(r, 1, "usage", "calls")?),
                cached_calls: u(req(r, 2, "usage", "cached")?),
                unpriced_calls: u(req(r, 3, "usage", "unpriced")?),
                failed_calls: u(req(r, 4, "usage", "failed")?),
                prompt_tokens: u(req(r, 5, "usage", "prompt_tokens")?),
                completion_tokens: u(req(r, 6, "usage", "completion_tokens")?),
                cost_nanos: req(r, 7, "usage", "cost_nanos")?,
            })
        })
        .collect()
}

pub(crate) async fn list_calls(pool: &PgPool, org: &str, run: &str) -> StoreResult<Vec<LlmCall>> {
    let rows = query(
        "SELECT id, team_id, workflow_id, workflow_name, run_id, node_id, attempt, provider,
           model, prompt_tokens, completion_tokens, latency_ms, cost_nanos, priced, cached, ok, at
         FROM llm_calls WHERE org_id = $1 AND run_id = $2 ORDER BY at, id",
    )
    .bind(org)
    .bind(run)
    .fetch_all(pool)
    .await
    .map_err(db("reading model calls"))?;
    const W: &str = "llm call";
    rows.iter()
        .map(|r| {
            Ok(LlmCall {
                id: req(r, 0, W, "id")?,
                caller: LlmCaller {
                    team_id: get(r, 1, W, "team_id")?,
                    workflow_id: get(r, 2, W, "workflow_id")?,
                    workflow_name: req(r, 3, W, "workflow_name")?,
                    run_id: req(r, 4, W, "run_id")?,
                    node_id: req(r, 5, W, "node_id")?,
                    attempt: req::<i64>(r, 6, W, "attempt")?.clamp(0, i64::from(u32::MAX)) as u32,
                },
                provider: req(r, 7, W, "provider")?,
                model: req(r, 8, W, "model")?,
                prompt_tokens: u(req(r, 9, W, "prompt_tokens")?),
                completion_tokens: u(req(r, 10, W, "completion_tokens")?),
                latency_ms: u(req(r, 11, W, "latency_ms")?),
                cost_nanos: req(r, 12, W, "cost_nanos")?,
                priced: req(r, 13, W, "priced")?,
                cached: req(r, 14, W, "cached")?,
                ok: req(r, 15, W, "ok")?,
                at: req(r, 16, W, "at")?,
            })
        })
        .collect()
}

pub(crate) async fn get_cache(
    pool: &PgPool,
    org: &str,
    key: &str,
    now: &DateTime<Utc>,
) -> StoreResult<Option<CachedResponse>> {
    let row = query(
        "SELECT response::text, expires_at FROM llm_cache
         WHERE org_id = $1 AND key = $2 AND expires_at > $3",
    )
    .bind(org)
    .bind(key)
    .bind(ts(now))
    .fetch_optional(pool)
    .await
    .map_err(db("reading the model cache"))?;
    row.map(|r| {
        Ok(CachedResponse {
            response: req_parsed(&r, 0, "llm cache", "response", parse_json)?,
            expires_at: req(&r, 1, "llm cache", "expires_at")?,
        })
    })
    .transpose()
}

pub(crate) async fn put_cache(
    tx: &mut Tx,
    org: &str,
    key: &str,
    response: &Value,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    query("DELETE FROM llm_cache WHERE org_id = $1 AND expires_at <= $2")
        .bind(org)
        .bind(ts(&now))
        .execute(tx.conn())
        .await
        .map_err(db("expiring the model cache"))?;
    query(
        "INSERT INTO llm_cache (org_id, key, response, created_at, expires_at)
         VALUES ($1, $2, $3::json, $4, $5)
         ON CONFLICT (org_id, key) DO UPDATE SET response = excluded.response,
           created_at = excluded.created_at, expires_at = excluded.expires_at",
    )
    .bind(org)
    .bind(key)
    .bind(json(response))
    .bind(ts(&now))
    .bind(ts(&expires_at))
    .execute(tx.conn())
    .await
    .map_err(db("writing the model cache"))
    .map(drop)
}
