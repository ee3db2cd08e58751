//! LLM accounting: usage roll-ups, the organization's model price table, and budgets.

use super::parse_time;
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weft_store_api::llm::{
    self as acct, Budget, BudgetScope, BudgetWindow, LlmCall, LlmPrice, UsageGroup, UsageQuery,
    UsageRow,
};

fn usd(nanos: i64) -> f64 {
    acct::nanos_to_usd(nanos)
}

fn invalid(pointer: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        format!("{pointer}: {message}"),
    )
    .with_details(serde_json::json!({ "pointer": pointer, "message": message }))
}

/// Usage of a group of model calls.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageRowDto {
    /// The group: a run id, workflow id (or name), team id (empty: none), organization id,
    /// model or node id.
    pub key: String,
    /// Calls made (failed ones included).
    pub calls: u64,
    /// Calls answered from the response cache (cost 0).
    pub cached_calls: u64,
    /// Calls of models without a price (cost 0, not guessed).
    pub unpriced_calls: u64,
    /// Calls that failed.
    pub failed_calls: u64,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// Prompt plus completion tokens.
    pub total_tokens: u64,
    /// Dollars.
    pub cost_usd: f64,
}

impl From<&UsageRow> for UsageRowDto {
    fn from(r: &UsageRow) -> Self {
        UsageRowDto {
            key: r.key.clone(),
            calls: r.calls,
            cached_calls: r.cached_calls,
            unpriced_calls: r.unpriced_calls,
            failed_calls: r.failed_calls,
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            total_tokens: r.prompt_tokens + r.completion_tokens,
            cost_usd: usd(r.cost_nanos),
        }
    }
}

fn total(rows: &[UsageRow]) -> UsageRowDto {
    let mut t = UsageRow::default();
    for r in rows {
        t.calls += r.calls;
        t.cached_calls += r.cached_calls;
        t.unpriced_calls += r.unpriced_calls;
        t.failed_calls += r.failed_calls;
        t.prompt_tokens += r.prompt_tokens;
        t.completion_tokens += r.completion_tokens;
        t.cost_nanos += r.cost_nanos;
    }
    UsageRowDto::from(&t)
}

/// Roll-up query.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageParams {
    /// `run`, `workflow`, `team`, `organization` (default), `model` or `node`.
    pub group_by: Option<String>,
    /// Calls at or after (RFC 3339).
    pub from: Option<String>,
    /// Calls before (RFC 3339).
    pub to: Option<String>,
    /// Only this run's calls.
    pub run_id: Option<String>,
}

/// A usage roll-up.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageDto {
    /// The grouping.
    pub group_by: String,
    /// The range's start, if any.
    pub from: Option<DateTime<Utc>>,
    /// The range's end, if any.
    pub to: Option<DateTime<Utc>>,
    /// One row per group, largest cost first.
    pub rows: Vec<UsageRowDto>,
    /// Every row added up.
    pub total: UsageRowDto,
}

/// LLM usage of the organization: tokens, cost, cached and unpriced calls, grouped by run,
/// workflow, team, organization, model or node, over a time range.
#[utoipa::path(get, path = "/api/v1/usage", tag = "usage", params(UsageParams),
    responses((status = 200, body = UsageDto), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn usage(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<UsageParams>,
) -> ApiResult<Json<UsageDto>> {
    p.require("runs:read")?;
    let name = q.group_by.as_deref().unwrap_or("organization");
    let group_by = match name {
        "run" => UsageGroup::Run,
        "workflow" => UsageGroup::Workflow,
        "team" => UsageGroup::Team,
        "organization" | "org" => UsageGroup::Organization,
        "model" => UsageGroup::Model,
        "node" => UsageGroup::Node,
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!(
                    "groupBy {other:?} is not known: give run, workflow, team, organization, model or node"
                ),
            ));
        }
    };
    let from = q
        .from
        .as_deref()
        .map(|v| parse_time("from", v))
        .transpose()?;
    let to = q.to.as_deref().map(|v| parse_time("to", v)).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "from is after to",
        ));
    }
    let rows = state
        .store
        .llm_usage(
            &p.scope,
            &UsageQuery {
                group_by,
                from,
                to,
                run_id: q.run_id.clone(),
            },
        )
        .await?;
    Ok(Json(UsageDto {
        group_by: name.to_owned(),
        from,
        to,
        total: total(&rows),
        rows: rows.iter().map(UsageRowDto::from).collect(),
    }))
}

/// One recorded model call.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LlmCallDto {
    /// Call id.
    pub id: String,
    /// The step's node id.
    pub node_id: String,
    /// The step's attempt.
    pub attempt: u32,
    /// Provider kind.
    pub provider: String,
    /// Model.
    pub model: String,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// Wall time.
    pub latency_ms: u64,
    /// Dollars.
    pub cost_usd: f64,
    /// False when the model has no price.
    pub priced: bool,
    /// Answered from the response cache.
    pub cached: bool,
    /// False when the call failed.
    pub ok: bool,
    /// When it finished.
    pub at: DateTime<Utc>,
}

impl From<LlmCall> for LlmCallDto {
    fn from(c: LlmCall) -> Self {
        LlmCallDto {
            id: c.id,
            node_id: c.caller.node_id,
            attempt: c.caller.attempt,
            provider: c.provider,
            model: c.model,
            prompt_tokens: c.prompt_tokens,
            completion_tokens: c.completion_tokens,
            latency_ms: c.latency_ms,
            cost_usd: usd(c.cost_nanos),
            priced: c.priced,
            cached: c.cached,
            ok: c.ok,
            at: c.at,
        }
    }
}

/// A run's LLM usage: totals and every call.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunLlmUsageDto {
    /// Totals.
    pub total: UsageRowDto,
    /// Every call, oldest first.
    pub calls: Vec<LlmCallDto>,
}

/// The LLM usage of one run, for the run detail.
pub(crate) async fn run_usage(
    state: &AppState,
    p: &Principal,
    run_id: &str,
) -> ApiResult<RunLlmUsageDto> {
    let calls = state.store.list_llm_calls(&p.scope, run_id).await?;
    let mut t = UsageRow::default();
    for c in &calls {
        t.calls += 1;
        t.cached_calls += u64::from(c.cached);
        t.unpriced_calls += u64::from(!c.priced);
        t.failed_calls += u64::from(!c.ok);
        t.prompt_tokens += c.prompt_tokens;
        t.completion_tokens += c.completion_tokens;
        t.cost_nanos += c.cost_nanos;
    }
    t.key = run_id.to_owned();
    Ok(RunLlmUsageDto {
        total: UsageRowDto::from(&t),
        calls: calls.into_iter().map(LlmCallDto::from).collect(),
    })
}

// ----- prices -----

/// A model's price.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceDto {
    /// Model name, or a prefix naming a family (`gpt-4o-mini` prices `gpt-4o-mini-2024-07-18`).
    pub model: String,
    /// Dollars per million prompt tokens.
    pub input_per_m_tok: f64,
    /// Dollars per million completion tokens.
    pub output_per_m_tok: f64,
    /// `organization` (set through the API) or `default` (built in). Ignored when writing.
    #[serde(default)]
    pub source: Option<String>,
}

/// The price table.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PricesDto {
    /// The organization's prices, then the built-in ones it does not override. Exact names win
    /// over prefixes, the organization's over the built-in ones; a model matching none is
    /// unpriced (cost 0, flagged).
    pub prices: Vec<PriceDto>,
}

/// The model price table used for cost accounting and budgets.
#[utoipa::path(get, path = "/api/v1/llm/prices", tag = "usage",
    responses((status = 200, body = PricesDto)), security(("bearer" = [])))]
pub async fn list_prices(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<PricesDto>> {
    p.require("runs:read")?;
    let own = state.store.list_llm_prices(&p.scope).await?;
    let mut prices: Vec<PriceDto> = own
        .iter()
        .map(|x| PriceDto {
            model: x.model.clone(),
            input_per_m_tok: x.input_per_mtok,
            output_per_m_tok: x.output_per_mtok,
            source: Some("organization".into()),
        })
        .collect();
    for d in acct::default_prices() {
        if !own.iter().any(|o| o.model == d.model) {
            prices.push(PriceDto {
                model: d.model,
                input_per_m_tok: d.input_per_mtok,
                output_per_m_tok: d.output_per_mtok,
                source: Some("default".into()),
            });
        }
    }
    Ok(Json(PricesDto { prices }))
}

fn check_price(v: f64, pointer: &str) -> ApiResult<()> {
    if !v.is_finite() || !(0.0..=1_000_000.0).contains(&v) {
        return Err(invalid(
            pointer,
            "must be a number of dollars from 0 to 1000000",
        ));
    }
    Ok(())
}

/// Sets the organization's price of a model (replacing its earlier one, or overriding the
/// built-in one).
#[utoipa::path(put, path = "/api/v1/llm/prices", tag = "usage", request_body = PriceDto,
    responses((status = 200, body = PriceDto), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_price(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<PriceDto>,
) -> ApiResult<Json<PriceDto>> {
    p.require("budgets:write")?;
    let model = body.model.trim();
    if model.is_empty() || model.len() > 200 {
        return Err(invalid("/model", "must be 1 to 200 characters"));
    }
    check_price(body.input_per_m_tok, "/inputPerMTok")?;
    check_price(body.output_per_m_tok, "/outputPerMTok")?;
    let price = LlmPrice {
        model: model.to_owned(),
        input_per_mtok: body.input_per_m_tok,
        output_per_mtok: body.output_per_m_tok,
    };
    state
        .store
        .put_llm_price(&p.scope, &price, Utc::now())
        .await?;
    Ok(Json(PriceDto {
        model: price.model,
        input_per_m_tok: price.input_per_mtok,
        output_per_m_tok: price.output_per_mtok,
        source: Some("organization".into()),
    }))
}

/// Which price to remove.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PriceParams {
    /// The model name as set.
    pub model: String,
}

/// Removes the organization's price of a model (a built-in price applies again, if any).
#[utoipa::path(delete, path = "/api/v1/llm/prices", tag = "usage", params(PriceParams),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_price(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<PriceParams>,
) -> ApiResult<StatusCode> {
    p.require("budgets:write")?;
    if state.store.delete_llm_price(&p.scope, &q.model).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("price of model", &q.model))
    }
}

// ----- budgets -----

/// A budget as written.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WriteBudget {
    /// A name for people.
    pub name: String,
    /// `organization`, `team` or `workflow`.
    pub scope: String,
    /// The team or workflow id (required for those scopes).
    #[serde(default)]
    pub scope_id: Option<String>,
    /// `day` (UTC), `month` (UTC) or `run` (each run separately).
    pub window: String,
    /// Most tokens (prompt + completion) per window.
    #[serde(default)]
    pub max_tokens: Option<u64>,
    /// Most dollars per window.
    #[serde(default)]
    pub max_cost_usd: Option<f64>,
}

/// What a budget's current window has used (day and month windows).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BudgetWindowDto {
    /// The window (`d:2026-12-06`, `m:2026-12`).
    pub window: String,
    /// Tokens of settled calls.
    pub spent_tokens: u64,
    /// Dollars of settled calls.
    pub spent_usd: f64,
    /// Worst-case tokens of calls in flight.
    pub reserved_tokens: u64,
    /// Worst-case dollars of calls in flight.
    pub reserved_usd: f64,
    /// The highest share of a limit spent, in percent.
    pub percent: f64,
}

/// A budget.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BudgetDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `organization`, `team` or `workflow`.
    pub scope: String,
    /// The team or workflow id.
    pub scope_id: Option<String>,
    /// `day`, `month` or `run`.
    pub window: String,
    /// Most tokens per window.
    pub max_tokens: Option<u64>,
    /// Most dollars per window.
    pub max_cost_usd: Option<f64>,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
    /// The current window's spend (none for per-run budgets).
    pub current: Option<BudgetWindowDto>,
}

/// Budgets.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BudgetsDto {
    /// By id.
    pub budgets: Vec<BudgetDto>,
}

async fn dto(state: &AppState, p: &Principal, b: Budget) -> ApiResult<BudgetDto> {
    let current = match b.window {
        BudgetWindow::Run => None,
        w => {
            let window = w.key(Utc::now(), "");
            let s = state.store.budget_spend(&p.scope, &b.id, &window).await?;
            Some(BudgetWindowDto {
                // A zero limit that was spent against is "infinitely" over: shown as 1e9 %.
                percent: b.percent(s.spent_tokens, s.spent_nanos).min(1e9),
                window,
                spent_tokens: s.spent_tokens,
                spent_usd: usd(s.spent_nanos),
                reserved_tokens: s.reserved_tokens,
                reserved_usd: usd(s.reserved_nanos),
            })
        }
    };
    Ok(BudgetDto {
        id: b.id,
        name: b.name,
        scope: b.scope.as_str().to_owned(),
        scope_id: b.scope_id,
        window: match b.window {
            BudgetWindow::Day => "day",
            BudgetWindow::Month => "month",
            BudgetWindow::Run => "run",
        }
        .to_owned(),
        max_tokens: b.max_tokens,
        max_cost_usd: b.max_cost_nanos.map(usd),
        created_at: b.created_at,
        updated_at: b.updated_at,
        current,
    })
}

fn budget_from(id: String, w: WriteBudget, created_at: DateTime<Utc>) -> ApiResult<Budget> {
    let name = w.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(invalid("/name", "must be 1 to 200 characters"));
    }
    let scope = match w.scope.as_str() {
        "organization" => BudgetScope::Organization,
        "team" => BudgetScope::Team,
        "workflow" => BudgetScope::Workflow,
        other => {
            return Err(invalid(
                "/scope",
                format!("{other:?} is not a scope: give organization, team or workflow"),
            ));
        }
    };
    let scope_id = w
        .scope_id
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    match (scope, &scope_id) {
        (BudgetScope::Organization, Some(_)) => {
            return Err(invalid(
                "/scopeId",
                "an organization budget takes no scopeId",
            ));
        }
        (BudgetScope::Team | BudgetScope::Workflow, None) => {
            return Err(invalid(
                "/scopeId",
                format!("a {} budget needs the {} id", w.scope, w.scope),
            ));
        }
        _ => {}
    }
    let window = match w.window.as_str() {
        "day" => BudgetWindow::Day,
        "month" => BudgetWindow::Month,
        "run" => BudgetWindow::Run,
        other => {
            return Err(invalid(
                "/window",
                format!("{other:?} is not a window: give day, month or run"),
            ));
        }
    };
    if w.max_tokens.is_none() && w.max_cost_usd.is_none() {
        return Err(invalid("", "give maxTokens, maxCostUsd or both"));
    }
    if let Some(c) = w.max_cost_usd
        && (!c.is_finite() || !(0.0..=1e9).contains(&c))
    {
        return Err(invalid(
            "/maxCostUsd",
            "must be a number of dollars from 0 to 1000000000",
        ));
    }
    if let Some(t) = w.max_tokens
        && t > i64::MAX as u64
    {
        return Err(invalid("/maxTokens", "is too large"));
    }
    Ok(Budget {
        id,
        name: name.to_owned(),
        scope,
        scope_id,
        window,
        max_tokens: w.max_tokens,
        max_cost_nanos: w.max_cost_usd.map(acct::usd_to_nanos),
        created_at,
        updated_at: Utc::now(),
    })
}

/// Every budget of the organization, with its current window's spend.
#[utoipa::path(get, path = "/api/v1/budgets", tag = "usage",
    responses((status = 200, body = BudgetsDto)), security(("bearer" = [])))]
pub async fn list_budgets(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<BudgetsDto>> {
    p.require("runs:read")?;
    let mut budgets = Vec::new();
    for b in state.store.list_budgets(&p.scope).await? {
        budgets.push(dto(&state, &p, b).await?);
    }
    Ok(Json(BudgetsDto { budgets }))
}

/// Creates a budget: a limit in tokens and/or dollars per day, month or run, for the
/// organization, a team or a workflow. Every model call checks it first (its worst case is
/// reserved); a call that would pass it fails its step with `budget_exceeded`.
#[utoipa::path(post, path = "/api/v1/budgets", tag = "usage", request_body = WriteBudget,
    responses((status = 201, body = BudgetDto), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_budget(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<WriteBudget>,
) -> ApiResult<(StatusCode, Json<BudgetDto>)> {
    p.require("budgets:write")?;
    let id = format!("bud_{}", uuid::Uuid::now_v7().simple());
    let b = budget_from(id, body, Utc::now())?;
    state.store.put_budget(&p.scope, &b).await?;
    Ok((StatusCode::CREATED, Json(dto(&state, &p, b).await?)))
}

/// One budget.
#[utoipa::path(get, path = "/api/v1/budgets/{id}", tag = "usage",
    params(("id" = String, Path, description = "Budget id")),
    responses((status = 200, body = BudgetDto), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_budget(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<BudgetDto>> {
    p.require("runs:read")?;
    let b = state
        .store
        .get_budget(&p.scope, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("budget", &id))?;
    Ok(Json(dto(&state, &p, b).await?))
}

/// Replaces a budget's settings; what its windows spent so far is kept.
#[utoipa::path(put, path = "/api/v1/budgets/{id}", tag = "usage", request_body = WriteBudget,
    params(("id" = String, Path, description = "Budget id")),
    responses((status = 200, body = BudgetDto), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_budget(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Json(body): Json<WriteBudget>,
) -> ApiResult<Json<BudgetDto>> {
    p.require("budgets:write")?;
    let old = state
        .store
        .get_budget(&p.scope, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("budget", &id))?;
    let b = budget_from(id, body, old.created_at)?;
    state.store.put_budget(&p.scope, &b).await?;
    Ok(Json(dto(&state, &p, b).await?))
}

/// Deletes a budget and what its windows spent.
#[utoipa::path(delete, path = "/api/v1/budgets/{id}", tag = "usage",
    params(("id" = String, Path, description = "Budget id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_budget(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    p.require("budgets:write")?;
    if state.store.delete_budget(&p.scope, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("budget", &id))
    }
}
