//! Credentials: secrets are write-only. They are sealed (AES-256-GCM) before storage and never
//! returned, logged or put in errors.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use weft_store_api::{CredentialInfo, NewCredential};

/// A credential, without its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialDto {
    /// Id, for nodes' `credential` param.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind: bearer, basic, header, apiKey, oauth2ClientCredentials, hmac, custom.
    pub kind: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last replaced.
    pub updated_at: DateTime<Utc>,
}

impl From<CredentialInfo> for CredentialDto {
    fn from(c: CredentialInfo) -> Self {
        CredentialDto {
            id: c.id,
            name: c.name,
            kind: c.kind,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The organization's credentials.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialList {
    /// By name.
    pub items: Vec<CredentialDto>,
}

/// A credential to store.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WriteCredential {
    /// Name, unique in the organization.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Secret fields (e.g. `{"token": "…"}` for bearer). Never returned.
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

async fn put(
    state: &AppState,
    p: &Principal,
    id: String,
    body: WriteCredential,
) -> ApiResult<CredentialDto> {
    let vault = state.vault.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_master_key",
            "this server has no master key, so it cannot store credentials",
        )
    })?;
    if body.name.trim().is_empty() || body.name.len() > 200 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "name must be 1 to 200 characters",
        )
        .with_details(json!({ "pointer": "/name" })));
    }
    weft_secrets::check_credential_fields(&body.kind, &body.fields).map_err(|m| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", m)
            .with_details(json!({ "pointer": "/fields" }))
    })?;
    let sealed = vault.seal_fields(&p.scope.org_id, &id, &body.fields);
    state
        .store
        .put_credential(
            &p.scope,
            NewCredential {
                id: id.clone(),
                name: body.name,
                kind: body.kind,
                sealed,
            },
        )
        .await?;
    let (info, _) = state
        .store
        .get_credential(&p.scope, &id)
        .await?
        .ok_or_else(|| ApiError::internal("a stored credential vanished"))?;
    Ok(info.into())
}

/// List credentials (never their secrets).
#[utoipa::path(get, path = "/api/v1/credentials", tag = "credentials",
    responses((status = 200, body = CredentialList)), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal) -> ApiResult<Json<CredentialList>> {
    p.require("credentials:read")?;
    let items = state.store.list_credentials(&p.scope).await?;
    Ok(Json(CredentialList {
        items: items.into_iter().map(CredentialDto::from).collect(),
    }))
}

/// Store a credential; its fields are sealed and never returned.
#[utoipa::path(post, path = "/api/v1/credentials", tag = "credentials", request_body = WriteCredential,
    responses((status = 201, body = CredentialDto), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<WriteCredential>,
) -> ApiResult<(StatusCode, Json<CredentialDto>)> {
    p.require("credentials:write")?;
    let id = format!("cred-{}", uuid::Uuid::now_v7().simple());
    Ok((StatusCode::CREATED, Json(put(&state, &p, id, body).await?)))
}

/// One credential's description.
#[utoipa::path(get, path = "/api/v1/credentials/{id}", tag = "credentials",
    params(("id" = String, Path, description = "Credential id")),
    responses((status = 200, body = CredentialDto), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CredentialDto>> {
    p.require("credentials:read")?;
    let (info, _) = state
        .store
        .get_credential(&p.scope, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential", &id))?;
    Ok(Json(info.into()))
}

/// Replace a credential's name, kind and secret.
#[utoipa::path(put, path = "/api/v1/credentials/{id}", tag = "credentials",
    params(("id" = String, Path, description = "Credential id")), request_body = WriteCredential,
    responses((status = 200, body = CredentialDto), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn replace(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Json(body): Json<WriteCredential>,
) -> ApiResult<Json<CredentialDto>> {
    p.require("credentials:write")?;
    if state.store.get_credential(&p.scope, &id).await?.is_none() {
        return Err(ApiError::not_found("credential", &id));
    }
    Ok(Json(put(&state, &p, id, body).await?))
}

/// Delete a credential.
#[utoipa::path(delete, path = "/api/v1/credentials/{id}", tag = "credentials",
    params(("id" = String, Path, description = "Credential id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    p.require("credentials:write")?;
    if state.store.delete_credential(&p.scope, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("credential", &id))
    }
}
