//! Authentication and authorization.
//!
//! Every API route takes a [`Principal`], extracted from `Authorization: Bearer weft_…` (an API
//! key) or the `weft_session` cookie (a browser session). The store only knows the SHA-256 of a
//! secret; a key is shown once, when created. What a principal may do is the intersection of its
//! user's role and its key's scopes.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use chrono::{DateTime, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};
use weft_store_api::TenantScope;
use weft_store_api::control::{KeyInfo, KeyKind, NewKey, Role, User};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "weft_session";
/// Secret prefix of API keys and sessions, so leaked keys are recognisable by scanners.
pub const KEY_PREFIX: &str = "weft_";
/// Secret prefix of one-time sign-in links: told apart before any lookup, so a link sent as a
/// bearer token is refused without being used up.
pub const LOGIN_PREFIX: &str = "weftlogin_";

/// Every scope a key can have; `*` is all of them.
pub const SCOPES: &[&str] = &[
    "workflows:read",
    "workflows:write",
    "runs:read",
    "runs:write",
    "budgets:write",
    "credentials:read",
    "credentials:write",
    "keys:read",
    "keys:write",
    "users:read",
    "users:write",
];

/// Who is calling, and on behalf of which organization.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user: User,
    /// The key or session used.
    pub key: KeyInfo,
    /// The tenant scope every store call of this request uses.
    pub scope: TenantScope,
}

impl Principal {
    /// Fails with 403 unless both the key's scopes and the user's role allow `scope`
    /// (e.g. `workflows:write`).
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        let by_key = self.key.scopes.iter().any(|s| s == "*" || s == scope);
        let write = scope.ends_with(":write");
        let by_role = match self.user.role {
            Role::Admin => true,
            Role::Editor => !scope.starts_with("users:"),
            Role::Viewer => !write && !scope.starts_with("keys:") && !scope.starts_with("users:"),
        };
        if by_key && by_role {
            Ok(())
        } else if !by_role {
            Err(ApiError::forbidden(format!(
                "the role {} does not allow {scope}",
                self.user.role.as_str()
            )))
        } else {
            Err(
                ApiError::forbidden(format!("this key does not have the scope {scope}"))
                    .with_details(
                        serde_json::json!({ "required": scope, "scopes": self.key.scopes }),
                    ),
            )
        }
    }
}

/// SHA-256 of a secret, lowercase hex: what the store keeps.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A new random secret: `prefix` and 40 base62 characters (238 bits).
pub fn new_secret(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let mut s = String::from(prefix);
    for _ in 0..40 {
        s.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    s
}

/// A key record for a new secret; returns the record to store and the secret to show once.
pub fn mint_key(
    user_id: &str,
    kind: KeyKind,
    name: &str,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
) -> (NewKey, String) {
    let prefix = if kind == KeyKind::Login {
        LOGIN_PREFIX
    } else {
        KEY_PREFIX
    };
    let secret = new_secret(prefix);
    let key = NewKey {
        id: format!("key_{}", uuid::Uuid::now_v7().simple()),
        user_id: user_id.to_string(),
        kind,
        name: name.to_string(),
        prefix: secret.chars().take(prefix.len() + 6).collect(),
        secret_hash: hash_secret(&secret),
        scopes,
        expires_at,
        created_at: Utc::now(),
    };
    (key, secret)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The value of a cookie in the request.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Looks up a secret and returns the principal it stands for.
pub async fn authenticate(state: &AppState, secret: &str) -> Result<Principal, ApiError> {
    if secret.starts_with(LOGIN_PREFIX) {
        return Err(ApiError::unauthorized(
            "a sign-in link is not an API key; open it in a browser",
        ));
    }
    let now = Utc::now();
    let found = state
        .control
        .authenticate(&hash_secret(secret), now)
        .await?;
    let Some((key, user)) = found else {
        return Err(ApiError::unauthorized(
            "the API key or session is unknown, revoked or expired",
        ));
    };
    if key.kind == KeyKind::Login {
        return Err(ApiError::unauthorized(
            "a sign-in link is not an API key; open it in a browser",
        ));
    }
    let stale = key
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::seconds(60));
    if stale {
        let control = state.control.clone();
        let id = key.id.clone();
        tokio::spawn(async move {
            if let Err(e) = control.touch_key(&id, now).await {
                tracing::debug!(error = %e, "recording a key's last use failed");
            }
        });
    }
    let scope = TenantScope {
        org_id: user.org_id.clone(),
        team_id: None,
    };
    Ok(Principal { user, key, scope })
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = bearer(&parts.headers) {
            return authenticate(state, token).await;
        }
        if let Some(session) = cookie(&parts.headers, SESSION_COOKIE) {
            // A cookie rides along with cross-site requests; a state-changing request with one
            // must also prove it comes from our own pages (SameSite=Strict covers browsers that
            // honour it; this header covers the rest, since a cross-site form cannot set it).
            if parts.method != Method::GET
                && parts.method != Method::HEAD
                && !parts.headers.contains_key("x-weft-csrf")
            {
                return Err(ApiError::forbidden(
                    "a request authenticated by the session cookie must send the X-Weft-CSRF header",
                ));
            }
            let p = authenticate(state, session).await?;
            if p.key.kind != KeyKind::Session {
                return Err(ApiError::unauthorized(
                    "the session cookie is not a session",
                ));
            }
            return Ok(p);
        }
        Err(ApiError::unauthorized(
            "authentication required: send Authorization: Bearer <API key>",
        ))
    }
}
