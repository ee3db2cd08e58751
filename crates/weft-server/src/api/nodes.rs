//! The node catalog: every node type with its doc, ports and params JSON Schema (the same data
//! as `weft nodes --json`; the UI builds its forms from it).

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Json, Path};
use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The catalog.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeCatalog {
    /// Node types by name and version.
    #[schema(value_type = Vec<crate::api::editor::NodeTypeEntry>)]
    pub items: Vec<Value>,
}

/// Every node type.
#[utoipa::path(get, path = "/api/v1/nodes", tag = "nodes",
    responses((status = 200, body = NodeCatalog)), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal) -> ApiResult<Json<NodeCatalog>> {
    p.require("workflows:read")?;
    Ok(Json(NodeCatalog {
        items: state.catalog.as_ref().clone(),
    }))
}

/// One node type, by `name@version` or by name (the newest version).
#[utoipa::path(get, path = "/api/v1/nodes/{type}", tag = "nodes",
    params(("type" = String, Path, description = "e.g. http.request@1 or http.request")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Path(wanted): Path<String>,
) -> ApiResult<Json<Value>> {
    p.require("workflows:read")?;
    let type_of = |v: &Value| {
        v.get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let found = state
        .catalog
        .iter()
        .filter(|v| {
            let t = type_of(v);
            t == wanted || t.split('@').next() == Some(wanted.as_str())
        })
        .max_by_key(|v| {
            type_of(v)
                .split('@')
                .nth(1)
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0)
        })
        .cloned()
        .ok_or_else(|| ApiError::not_found("node type", &wanted))?;
    Ok(Json(found))
}
