//! Runs: list with filters, detail with steps, cancel, pause, resume, retry; approve, reject
//! or resume a waiting step.

use super::{PageParams, parse_time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use weft_engine::retry::RetryMode;
use weft_engine::{SignalError, StartOptions, StepSignal};
use weft_store_api::control::WorkflowFilter;
use weft_store_api::{ControlRequest, RunFilter, RunId, RunRecord, RunStatus};

/// A run as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunDto {
    /// Id (UUIDv7).
    pub id: String,
    /// The stored workflow, when started through the API or a trigger.
    pub workflow_id: Option<String>,
    /// The content id of the executed version.
    pub workflow_version_id: String,
    /// Workflow name.
    pub workflow_name: String,
    /// `queued`, `running`, `waiting`, `paused`, `succeeded`, `failed`, `cancelled`.
    pub status: String,
    /// Input items (any JSON, usually an array of objects).
    pub input: Value,
    /// Output items, once succeeded (any JSON).
    pub output: Option<Value>,
    /// Error, once failed or cancelled: `{code, message, …}`.
    pub error: Option<Value>,
    /// Parent run, for sub-workflow children.
    pub parent_run_id: Option<String>,
    /// Idempotency key given at start.
    pub idempotency_key: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// First step started.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// For waiting runs, when the next timer fires.
    pub wake_at: Option<DateTime<Utc>>,
    /// Run timeout.
    pub deadline_at: Option<DateTime<Utc>>,
    /// A control request not yet acted on.
    pub pending_control: Option<String>,
}

impl From<RunRecord> for RunDto {
    fn from(r: RunRecord) -> Self {
        RunDto {
            id: r.id.to_string(),
            workflow_id: r.workflow_id,
            workflow_version_id: r.workflow_version_id,
            workflow_name: r.workflow_name,
            status: r.status.as_str().into(),
            input: r.input,
            output: r.output,
            error: r.error,
            parent_run_id: r.parent.map(|p| p.run_id.to_string()),
            idempotency_key: r.idempotency_key,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            wake_at: r.wake_at,
            deadline_at: r.deadline_at,
            pending_control: r.control.map(|c| c.as_str().into()),
        }
    }
}

/// A page of runs.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunPage {
    /// Newest first.
    pub items: Vec<RunDto>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
}

/// A run with its steps.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunDetailDto {
    /// The run.
    pub run: RunDto,
    /// Steps in document order: status, attempts, timings, output, error, retried errors,
    /// logs.
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<Value>,
    /// The run's LLM usage: tokens and cost of every model call its steps made.
    pub llm: super::usage::RunLlmUsageDto,
}

/// Run list filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunListParams {
    /// Statuses, comma-separated.
    pub status: Option<String>,
    /// Only runs of this workflow.
    pub workflow_id: Option<String>,
    /// Only runs of workflows with this tag.
    pub tag: Option<String>,
    /// Created at or after (RFC 3339).
    pub from: Option<String>,
    /// Created before (RFC 3339).
    pub to: Option<String>,
    /// Include sub-workflow children (default false).
    pub include_children: Option<bool>,
    /// Cursor of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Body of a retry.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryRun {
    /// `same` (the version the run executed, the default) or `latest` (the workflow's newest).
    pub version: Option<String>,
    /// `fromFailure` (the default: steps that succeeded keep their results, the failed ones
    /// and everything downstream run again) or `whole`.
    pub mode: Option<String>,
}

/// What a control request did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ControlResult {
    /// The run, after the request was recorded.
    pub run: RunDto,
}

pub(crate) fn parse_run_id(id: &str) -> ApiResult<RunId> {
    id.parse().map_err(|_| ApiError::not_found("run", id))
}

pub(crate) async fn get_run(state: &AppState, p: &Principal, id: &str) -> ApiResult<RunRecord> {
    let run_id = parse_run_id(id)?;
    state
        .store
        .get_run(&p.scope, run_id)
        .await?
        .ok_or_else(|| ApiError::not_found("run", id))
}

/// List runs, newest first.
#[utoipa::path(get, path = "/api/v1/runs", tag = "runs", params(RunListParams),
    responses((status = 200, body = RunPage), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<RunListParams>,
) -> ApiResult<Json<RunPage>> {
    p.require("runs:read")?;
    let limit = PageParams {
        cursor: None,
        limit: q.limit,
    }
    .limit()?;
    let mut filter = RunFilter {
        top_level_only: !q.include_children.unwrap_or(false),
        ..Default::default()
    };
    if let Some(s) = &q.status {
        for name in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            filter.statuses.push(name.parse::<RunStatus>().map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("status: {e}"),
                )
            })?);
        }
    }
    if let Some(w) = q.workflow_id {
        filter.workflow_ids.push(w);
    }
    if let Some(tag) = q.tag {
        let tagged = state
            .control
            .list_workflows(
                &p.scope,
                &WorkflowFilter {
                    tags: vec![tag],
                    ..Default::default()
                },
                None,
                500,
            )
            .await?;
        let ids: Vec<String> = tagged.items.into_iter().map(|w| w.id).collect();
        filter.workflow_ids = if filter.workflow_ids.is_empty() {
            ids
        } else {
            filter
                .workflow_ids
                .into_iter()
                .filter(|w| ids.contains(w))
                .collect()
        };
        if filter.workflow_ids.is_empty() {
            return Ok(Json(RunPage {
                items: Vec::new(),
                next_cursor: None,
            }));
        }
    }
    filter.created_after = q
        .from
        .as_deref()
        .map(|v| parse_time("from", v))
        .transpose()?;
    filter.created_before = q.to.as_deref().map(|v| parse_time("to", v)).transpose()?;
    if let Some(c) = &q.cursor
        && c.parse::<RunId>().is_err()
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "cursor is not one this API returned",
        ));
    }
    let page = state
        .store
        .list_runs(&p.scope, &filter, q.cursor.as_deref(), limit)
        .await?;
    Ok(Json(RunPage {
        items: page.items.into_iter().map(RunDto::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A run with every step: status, attempts, timings, input, output, errors and logs.
#[utoipa::path(get, path = "/api/v1/runs/{id}", tag = "runs",
    params(("id" = String, Path, description = "Run id")),
    responses((status = 200, body = RunDetailDto), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<RunDetailDto>> {
    p.require("runs:read")?;
    let run_id = parse_run_id(&id)?;
    let details = weft_engine::run_details(state.store.as_ref(), &p.scope, run_id)
        .await?
        .ok_or_else(|| ApiError::not_found("run", &id))?;
    let llm = super::usage::run_usage(&state, &p, &details.run.id.to_string()).await?;
    Ok(Json(RunDetailDto {
        llm,
        run: details.run.into(),
        steps: details
            .steps
            .into_iter()
            .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
            .collect(),
    }))
}

async fn control(
    state: &AppState,
    p: &Principal,
    id: &str,
    request: ControlRequest,
) -> ApiResult<Json<ControlResult>> {
    p.require("runs:write")?;
    let run = get_run(state, p, id).await?;
    let accepted = state.engine.control(&p.scope, run.id, request).await?;
    if !accepted {
        return Err(ApiError::conflict(format!(
            "run {id} is {}; it cannot be {}",
            run.status,
            match request {
                ControlRequest::Cancel => "cancelled",
                ControlRequest::Pause => "paused",
                ControlRequest::Resume => "resumed",
            }
        ))
        .with_details(json!({ "status": run.status.as_str() })));
    }
    let run = get_run(state, p, id).await?;
    Ok(Json(ControlResult { run: run.into() }))
}

/// Cancel a run; running steps are cancelled.
#[utoipa::path(post, path = "/api/v1/runs/{id}/cancel", tag = "runs",
    params(("id" = String, Path, description = "Run id")),
    responses((status = 200, body = ControlResult), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ControlResult>> {
    control(&state, &p, &id, ControlRequest::Cancel).await
}

/// Pause a run: running steps finish, nothing new starts.
#[utoipa::path(post, path = "/api/v1/runs/{id}/pause", tag = "runs",
    params(("id" = String, Path, description = "Run id")),
    responses((status = 200, body = ControlResult), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn pause(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ControlResult>> {
    control(&state, &p, &id, ControlRequest::Pause).await
}

/// Resume a paused run.
#[utoipa::path(post, path = "/api/v1/runs/{id}/resume", tag = "runs",
    params(("id" = String, Path, description = "Run id")),
    responses((status = 200, body = ControlResult), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn resume(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ControlResult>> {
    control(&state, &p, &id, ControlRequest::Resume).await
}

/// Run a finished run again with the same input, on the same or the newest version: from the
/// failed steps (keeping the results of steps that succeeded and did not change) or whole.
#[utoipa::path(post, path = "/api/v1/runs/{id}/retry", tag = "runs",
    params(("id" = String, Path, description = "Run id")), request_body = RetryRun,
    responses((status = 201, body = RunDto), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn retry(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    body: Option<Json<RetryRun>>,
) -> ApiResult<(StatusCode, Json<RunDto>)> {
    p.require("runs:write")?;
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let run = get_run(&state, &p, &id).await?;
    if !run.status.is_terminal() {
        return Err(ApiError::conflict(format!(
            "run {id} is {}; only a finished run can be retried",
            run.status
        )));
    }
    let version_id = match body.version.as_deref().unwrap_or("same") {
        "same" => run.workflow_version_id.clone(),
        "latest" => {
            let wf_id = run.workflow_id.clone().ok_or_else(|| {
                ApiError::conflict("this run was not started from a stored workflow; retry it with version \"same\"")
            })?;
            let wf = state
                .control
                .get_workflow(&p.scope, &wf_id)
                .await?
                .ok_or_else(|| ApiError::not_found("workflow", &wf_id))?;
            state
                .control
                .get_version(&p.scope, &wf_id, wf.latest_version)
                .await?
                .ok_or_else(|| ApiError::not_found("version", &wf_id))?
                .0
                .version_id
        }
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("version {other:?} is not \"same\" or \"latest\""),
            )
            .with_details(json!({ "pointer": "/version" })));
        }
    };
    let mode = match body.mode.as_deref().unwrap_or("fromFailure") {
        "fromFailure" => RetryMode::FromFailure,
        "whole" => RetryMode::Whole,
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("mode {other:?} is not \"fromFailure\" or \"whole\""),
            )
            .with_details(json!({ "pointer": "/mode" })));
        }
    };
    let record = state
        .engine
        .retry_run(
            &p.scope,
            run.id,
            &version_id,
            mode,
            StartOptions {
                workflow_id: run.workflow_id.clone(),
                ..Default::default()
            },
        )
        .await?;
    state.metrics.run_started(&record.workflow_name);
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// Body of a decision about a waiting step.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionBody {
    /// Why (kept in the step's output and log).
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// What a decision did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DecisionResult {
    /// `approved`, `rejected` or `resumed`.
    pub decision: String,
    /// The step.
    pub node: String,
    /// Who decided.
    pub by: String,
    /// The run afterwards.
    pub run: RunDto,
}

async fn decide(
    state: &AppState,
    p: &Principal,
    id: &str,
    node: &str,
    make: impl FnOnce(String, Option<String>) -> StepSignal,
    body: Option<Json<DecisionBody>>,
) -> ApiResult<Json<DecisionResult>> {
    p.require("runs:write")?;
    let comment = body
        .and_then(|Json(b)| b.comment)
        .filter(|c| !c.trim().is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "the comment is longer than 2000 characters",
        )
        .with_details(json!({ "pointer": "/comment" })));
    }
    let run = get_run(state, p, id).await?;
    let by = p.user.email.clone();
    let signal = make(by.clone(), comment);
    let decision = signal.past_tense().to_string();
    match state.engine.signal(&p.scope, run.id, node, signal).await {
        Ok(()) => {}
        Err(SignalError::NotFound(what)) => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            )
            .with_details(json!({ "what": "step", "id": node })));
        }
        Err(SignalError::NotWaiting(why)) => {
            return Err(ApiError::conflict(why).with_details(json!({ "node": node })));
        }
        Err(e @ SignalError::Busy(_)) => {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                e.to_string(),
            ));
        }
        Err(SignalError::Engine(e)) => return Err(e.into()),
    }
    let run = get_run(state, p, id).await?;
    Ok(Json(DecisionResult {
        decision,
        node: node.to_string(),
        by,
        run: run.into(),
    }))
}

/// Approve a step that waits for a decision (`core.approval`): its items leave through
/// `approved`, and the run goes on.
#[utoipa::path(post, path = "/api/v1/runs/{id}/steps/{node}/approve", tag = "runs",
    params(("id" = String, Path, description = "Run id"), ("node" = String, Path, description = "Node id")),
    request_body(content = Option<DecisionBody>),
    responses((status = 200, body = DecisionResult), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    p: Principal,
    Path((id, node)): Path<(String, String)>,
    body: Option<Json<DecisionBody>>,
) -> ApiResult<Json<DecisionResult>> {
    let make = |by, comment| StepSignal::Approve { by, comment };
    decide(&state, &p, &id, &node, make, body).await
}

/// Reject a step that waits for a decision: its items leave through `rejected`.
#[utoipa::path(post, path = "/api/v1/runs/{id}/steps/{node}/reject", tag = "runs",
    params(("id" = String, Path, description = "Run id"), ("node" = String, Path, description = "Node id")),
    request_body(content = Option<DecisionBody>),
    responses((status = 200, body = DecisionResult), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn reject(
    State(state): State<AppState>,
    p: Principal,
    Path((id, node)): Path<(String, String)>,
    body: Option<Json<DecisionBody>>,
) -> ApiResult<Json<DecisionResult>> {
    let make = |by, comment| StepSignal::Reject { by, comment };
    decide(&state, &p, &id, &node, make, body).await
}

/// End a waiting step's timer now (`core.wait`): it completes as if its time had come.
#[utoipa::path(post, path = "/api/v1/runs/{id}/steps/{node}/resume", tag = "runs",
    params(("id" = String, Path, description = "Run id"), ("node" = String, Path, description = "Node id")),
    responses((status = 200, body = DecisionResult), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn resume_step(
    State(state): State<AppState>,
    p: Principal,
    Path((id, node)): Path<(String, String)>,
) -> ApiResult<Json<DecisionResult>> {
    let make = |by, _| StepSignal::Resume { by };
    decide(&state, &p, &id, &node, make, None).await
}
