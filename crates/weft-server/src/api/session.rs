//! Signing in and out: a one-time link or an API key becomes a browser session (an HttpOnly,
//! SameSite=Strict cookie); `me` says who is calling.

use crate::AppState;
use crate::auth::{Principal, SESSION_COOKIE, cookie, hash_secret, mint_key};
use crate::error::{ApiError, ApiResult, Json, Query};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weft_store_api::TenantScope;
use weft_store_api::control::{KeyKind, User};

/// How long a browser session lasts.
pub const SESSION_DAYS: i64 = 7;

/// Who is calling.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// User id.
    pub user_id: String,
    /// Email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `admin`, `editor` or `viewer`.
    pub role: String,
    /// Organization id.
    pub org_id: String,
    /// Organization name.
    pub org_name: String,
    /// `api` (an API key) or `session` (a browser).
    pub auth: String,
    /// Scopes of the key or session.
    pub scopes: Vec<String>,
}

/// The one-time sign-in token.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LoginParams {
    /// The token from the sign-in link.
    pub token: String,
}

/// Sign in with an API key (for the UI's sign-in form).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionRequest {
    /// An API key.
    pub api_key: String,
}

/// Whether the client is a browser navigating (it accepts HTML), not an API client.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

fn session_cookie(secret: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_DAYS * 86400
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

async fn open_session(state: &AppState, user: &User) -> ApiResult<String> {
    let (key, secret) = mint_key(
        &user.id,
        KeyKind::Session,
        "browser session",
        vec!["*".into()],
        Some(Utc::now() + chrono::Duration::days(SESSION_DAYS)),
    );
    state
        .control
        .create_key(&TenantScope::org(user.org_id.clone()), key)
        .await?;
    Ok(secret)
}

/// Opens a one-time sign-in link: sets the session cookie and redirects to the UI.
#[utoipa::path(get, path = "/api/v1/auth/login", tag = "auth", params(LoginParams),
    responses((status = 303, description = "Signed in: redirects to the UI (/). A browser (Accept: text/html) with an unknown, used or expired link is redirected to /signin?error=link"),
        (status = 401, body = crate::error::ErrorBody)))]
pub async fn login_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginParams>,
) -> ApiResult<Response> {
    let found = state
        .control
        .authenticate(&hash_secret(&q.token), Utc::now())
        .await?;
    let user = match found {
        Some((key, user)) if key.kind == KeyKind::Login => user,
        // A person who clicked an old link lands on the UI's sign-in page, which says why.
        _ if wants_html(&headers) => {
            return Ok((
                StatusCode::SEE_OTHER,
                [(header::LOCATION, "/signin?error=link")],
            )
                .into_response());
        }
        _ => {
            return Err(ApiError::unauthorized(
                "this sign-in link is unknown, used or expired; ask an admin for a new one (weft admin login-link)",
            ));
        }
    };
    let secret = open_session(&state, &user).await?;
    let secure = state.config.public_url.starts_with("https://");
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&secret, secure));
    Ok(r)
}

/// Exchanges an API key for a browser session cookie.
#[utoipa::path(post, path = "/api/v1/auth/session", tag = "auth", request_body = SessionRequest,
    responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    Json(body): Json<SessionRequest>,
) -> ApiResult<Response> {
    let p = crate::auth::authenticate(&state, body.api_key.trim()).await?;
    if p.key.kind != KeyKind::Api {
        return Err(ApiError::unauthorized("sign in with an API key"));
    }
    let secret = open_session(&state, &p.user).await?;
    let me = me_of(&state, &p).await?;
    let secure = state.config.public_url.starts_with("https://");
    let mut r = Json(me).into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&secret, secure));
    Ok(r)
}

/// Signs out: revokes the session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if p.key.kind == KeyKind::Session && cookie(&headers, SESSION_COOKIE).is_some() {
        state
            .control
            .revoke_key(&p.scope, &p.key.id, Utc::now())
            .await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("weft_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}

async fn me_of(state: &AppState, p: &Principal) -> ApiResult<Me> {
    let org = state.control.get_org(&p.user.org_id).await?;
    Ok(Me {
        user_id: p.user.id.clone(),
        email: p.user.email.clone(),
        name: p.user.name.clone(),
        role: p.user.role.as_str().into(),
        org_id: p.user.org_id.clone(),
        org_name: org.map(|o| o.name).unwrap_or_default(),
        auth: p.key.kind.as_str().into(),
        scopes: p.key.scopes.clone(),
    })
}

/// Who is calling.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(State(state): State<AppState>, p: Principal) -> ApiResult<Json<Me>> {
    Ok(Json(me_of(&state, &p).await?))
}
