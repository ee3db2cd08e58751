//! Favourite workflows: each user stars the workflows they use most; the UI lists them first.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// The calling user's favourite workflows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Favorites {
    /// Workflow ids, sorted.
    pub ids: Vec<String>,
}

/// The ids of the calling user's favourite workflows.
#[utoipa::path(get, path = "/api/v1/workflows/favorites", tag = "workflows",
    responses((status = 200, body = Favorites)), security(("bearer" = [])))]
pub async fn list_favorites(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Favorites>> {
    p.require("workflows:read")?;
    let ids = state
        .control
        .favorite_workflows(&p.scope, &p.user.id)
        .await?;
    Ok(Json(Favorites { ids }))
}

/// Stars a workflow for the calling user (doing it twice changes nothing).
#[utoipa::path(put, path = "/api/v1/workflows/{id}/favorite", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_favorite(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    p.require("workflows:read")?;
    state
        .control
        .set_favorite(&p.scope, &p.user.id, &id, true)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unstars a workflow for the calling user.
#[utoipa::path(delete, path = "/api/v1/workflows/{id}/favorite", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_favorite(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    p.require("workflows:read")?;
    state
        .control
        .set_favorite(&p.scope, &p.user.id, &id, false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
