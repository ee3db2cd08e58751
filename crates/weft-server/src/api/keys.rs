//! API keys: create with scopes and expiry (the secret is shown once), list, revoke, rotate.

use crate::AppState;
use crate::auth::{Principal, SCOPES, mint_key};
use crate::error::{ApiError, ApiResult, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use weft_store_api::control::{KeyInfo, KeyKind};

/// An API key, without its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyDto {
    /// Id.
    pub id: String,
    /// Label.
    pub name: String,
    /// First characters of the secret.
    pub prefix: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// The user it acts as.
    pub user_id: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<KeyInfo> for ApiKeyDto {
    fn from(k: KeyInfo) -> Self {
        ApiKeyDto {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
            user_id: k.user_id,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A key just created: the only time its secret is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    /// The key.
    pub key: ApiKeyDto,
    /// The secret: send it as `Authorization: Bearer <secret>`. Not retrievable later.
    pub secret: String,
}

/// The organization's API keys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Newest first.
    pub items: Vec<ApiKeyDto>,
}

/// A key to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateApiKey {
    /// Label.
    pub name: String,
    /// Scopes (`*` for all): workflows:read|write, runs:read|write, credentials:read|write,
    /// keys:read|write, users:read|write.
    pub scopes: Vec<String>,
    /// Expiry time; none means it does not expire.
    pub expires_at: Option<DateTime<Utc>>,
}

fn check_scopes(scopes: &[String]) -> ApiResult<()> {
    if scopes.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "a key needs at least one scope",
        )
        .with_details(json!({ "pointer": "/scopes" })));
    }
    for (i, s) in scopes.iter().enumerate() {
        if s != "*" && !SCOPES.contains(&s.as_str()) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("unknown scope {s:?}; scopes are * or {}", SCOPES.join(", ")),
            )
            .with_details(json!({ "pointer": format!("/scopes/{i}") })));
        }
    }
    Ok(())
}

async fn issue(
    state: &AppState,
    p: &Principal,
    name: &str,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
) -> ApiResult<CreatedApiKey> {
    let (key, secret) = mint_key(&p.user.id, KeyKind::Api, name, scopes, expires_at);
    let info = state.control.create_key(&p.scope, key).await?;
    Ok(CreatedApiKey {
        key: info.into(),
        secret,
    })
}

/// Create an API key. A key can only have scopes its creator has.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<CreateApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    p.require("keys:write")?;
    check_scopes(&body.scopes)?;
    if body.name.trim().is_empty() || body.name.len() > 200 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "name must be 1 to 200 characters",
        )
        .with_details(json!({ "pointer": "/name" })));
    }
    if let Some(t) = body.expires_at
        && t <= Utc::now()
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "expiresAt is in the past",
        )
        .with_details(json!({ "pointer": "/expiresAt" })));
    }
    // No escalation: every scope asked for must be one the caller has.
    for s in &body.scopes {
        if s == "*" {
            if !p.key.scopes.iter().any(|k| k == "*") {
                return Err(ApiError::forbidden(
                    "only a key with scope * can create a key with scope *",
                ));
            }
        } else {
            p.require(s)?;
        }
    }
    let created = issue(&state, &p, &body.name, body.scopes, body.expires_at).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// List API keys (yours; an admin sees everyone's).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    responses((status = 200, body = ApiKeyList)), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal) -> ApiResult<Json<ApiKeyList>> {
    p.require("keys:read")?;
    let only = (p.user.role != weft_store_api::control::Role::Admin).then_some(p.user.id.as_str());
    let items = state
        .control
        .list_keys(&p.scope, KeyKind::Api, only)
        .await?;
    Ok(Json(ApiKeyList {
        items: items.into_iter().map(ApiKeyDto::from).collect(),
    }))
}

async fn own_key(state: &AppState, p: &Principal, id: &str) -> ApiResult<KeyInfo> {
    let key = state
        .control
        .get_key(&p.scope, id)
        .await?
        .filter(|k| k.kind == KeyKind::Api)
        .ok_or_else(|| ApiError::not_found("API key", id))?;
    if key.user_id != p.user.id && p.user.role != weft_store_api::control::Role::Admin {
        return Err(ApiError::not_found("API key", id));
    }
    Ok(key)
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = String, Path, description = "Key id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    p.require("keys:write")?;
    own_key(&state, &p, &id).await?;
    if state.control.revoke_key(&p.scope, &id, Utc::now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::conflict(format!(
            "API key {id} is already revoked"
        )))
    }
}

/// Rotate an API key: a new secret with the same name, scopes and expiry; the old one is
/// revoked.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/rotate", tag = "api-keys",
    params(("id" = String, Path, description = "Key id")),
    responses((status = 201, body = CreatedApiKey), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn rotate(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    p.require("keys:write")?;
    let old = own_key(&state, &p, &id).await?;
    if !state.control.revoke_key(&p.scope, &id, Utc::now()).await? {
        return Err(ApiError::conflict(format!(
            "API key {id} is already revoked"
        )));
    }
    let created = issue(&state, &p, &old.name, old.scopes, old.expires_at).await?;
    Ok((StatusCode::CREATED, Json(created)))
}
