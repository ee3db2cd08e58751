//! Cron schedules of published workflows: list, inspect with the next fire times, pause,
//! resume, and a preview of any expression.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use weft_store_api::control::ScheduleRecord;

/// A schedule as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDto {
    /// Id.
    pub id: String,
    /// The workflow.
    pub workflow_id: String,
    /// The trigger in its published document.
    pub trigger_id: String,
    /// Cron expression.
    pub cron: String,
    /// IANA time zone.
    pub timezone: String,
    /// `skip`, `queue` or `allow`.
    pub overlap: String,
    /// `none`, `latest` or `all`.
    pub catch_up: String,
    /// Input items of each run.
    #[schema(value_type = Object)]
    pub input: Value,
    /// Paused schedules do not fire.
    pub enabled: bool,
    /// The next tick.
    pub next_fire_at: Option<DateTime<Utc>>,
    /// The last tick fired.
    pub last_fire_at: Option<DateTime<Utc>>,
    /// The run the last tick started.
    pub last_run_id: Option<String>,
    /// The next few ticks (on single-schedule responses).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub upcoming: Vec<DateTime<Utc>>,
}

impl From<ScheduleRecord> for ScheduleDto {
    fn from(s: ScheduleRecord) -> Self {
        ScheduleDto {
            id: s.id,
            workflow_id: s.workflow_id,
            trigger_id: s.spec.trigger_id,
            cron: s.spec.cron,
            timezone: s.spec.timezone,
            overlap: s.spec.overlap,
            catch_up: s.spec.catch_up,
            input: s.spec.input,
            enabled: s.enabled,
            next_fire_at: s.spec.next_fire_at,
            last_fire_at: s.last_fire_at,
            last_run_id: s.last_run_id.map(|r| r.to_string()),
            upcoming: Vec::new(),
        }
    }
}

/// The organization's schedules.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduleList {
    /// By workflow and trigger.
    pub items: Vec<ScheduleDto>,
}

/// An expression to preview.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewRequest {
    /// Cron expression, 5 or 6 fields.
    pub expression: String,
    /// IANA time zone (default UTC).
    pub timezone: Option<String>,
    /// How many fire times (1 to 100, default 5).
    pub count: Option<u32>,
}

/// The next fire times.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    /// In UTC; DST transitions are applied in the schedule's zone.
    pub upcoming: Vec<DateTime<Utc>>,
}

fn upcoming(cron: &str, tz: &str, n: usize) -> Result<Vec<DateTime<Utc>>, String> {
    let s = weft_schedule::Schedule::parse(cron, tz).map_err(|e| e.to_string())?;
    Ok(s.upcoming(Utc::now(), n))
}

/// List schedules.
#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules",
    responses((status = 200, body = ScheduleList)), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal) -> ApiResult<Json<ScheduleList>> {
    p.require("workflows:read")?;
    let items = state.control.list_schedules(&p.scope).await?;
    Ok(Json(ScheduleList {
        items: items.into_iter().map(ScheduleDto::from).collect(),
    }))
}

async fn load(state: &AppState, p: &Principal, id: &str) -> ApiResult<ScheduleDto> {
    let s = state
        .control
        .get_schedule(&p.scope, id)
        .await?
        .ok_or_else(|| ApiError::not_found("schedule", id))?;
    let mut dto = ScheduleDto::from(s);
    if dto.enabled {
        dto.upcoming = upcoming(&dto.cron, &dto.timezone, 5).unwrap_or_default();
    }
    Ok(dto)
}

/// One schedule with its next five fire times.
#[utoipa::path(get, path = "/api/v1/schedules/{id}", tag = "schedules",
    params(("id" = String, Path, description = "Schedule id")),
    responses((status = 200, body = ScheduleDto), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ScheduleDto>> {
    p.require("workflows:read")?;
    Ok(Json(load(&state, &p, &id).await?))
}

async fn set_enabled(
    state: &AppState,
    p: &Principal,
    id: &str,
    enabled: bool,
) -> ApiResult<Json<ScheduleDto>> {
    p.require("workflows:write")?;
    let current = load(state, p, id).await?;
    // Resuming does not fire the ticks missed while paused: the next tick is after now.
    let next = if enabled {
        weft_schedule::Schedule::parse(&current.cron, &current.timezone)
            .map_err(ApiError::internal)?
            .next_after(Utc::now())
    } else {
        current.next_fire_at
    };
    if !state
        .control
        .set_schedule_enabled(&p.scope, id, enabled, next)
        .await?
    {
        return Err(ApiError::not_found("schedule", id));
    }
    state.schedule_wake.notify_one();
    Ok(Json(load(state, p, id).await?))
}

/// Pause a schedule.
#[utoipa::path(post, path = "/api/v1/schedules/{id}/pause", tag = "schedules",
    params(("id" = String, Path, description = "Schedule id")),
    responses((status = 200, body = ScheduleDto), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn pause(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ScheduleDto>> {
    set_enabled(&state, &p, &id, false).await
}

/// Resume a paused schedule from the next tick after now.
#[utoipa::path(post, path = "/api/v1/schedules/{id}/resume", tag = "schedules",
    params(("id" = String, Path, description = "Schedule id")),
    responses((status = 200, body = ScheduleDto), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn resume(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ScheduleDto>> {
    set_enabled(&state, &p, &id, true).await
}

/// The next fire times of an expression.
#[utoipa::path(post, path = "/api/v1/schedules/preview", tag = "schedules", request_body = PreviewRequest,
    responses((status = 200, body = Preview), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn preview(
    State(_state): State<AppState>,
    p: Principal,
    Json(body): Json<PreviewRequest>,
) -> ApiResult<Json<Preview>> {
    p.require("workflows:read")?;
    let n = body.count.unwrap_or(5);
    if !(1..=100).contains(&n) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "count is 1 to 100",
        )
        .with_details(json!({ "pointer": "/count" })));
    }
    let tz = body.timezone.as_deref().unwrap_or("UTC");
    let list = upcoming(&body.expression, tz, n as usize).map_err(|m| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_cron", m)
            .with_details(json!({ "pointer": "/expression" }))
    })?;
    Ok(Json(Preview { upcoming: list }))
}
