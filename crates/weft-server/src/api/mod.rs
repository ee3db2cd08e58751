//! The `/api/v1` handlers, one module per resource, and what they share: pagination, ETags,
//! the JSON fallbacks for unknown routes and methods.

pub mod credentials;
pub mod editor;
pub mod favorites;
pub mod keys;
pub mod nodes;
pub mod runs;
pub mod schedules;
pub mod session;
pub mod usage;
pub mod workflows;

use crate::error::{ApiError, ApiResult};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

/// Cursor pagination parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

impl PageParams {
    /// The limit, validated.
    pub fn limit(&self) -> ApiResult<usize> {
        match self.limit {
            None => Ok(50),
            Some(n @ 1..=500) => Ok(n as usize),
            Some(n) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("limit {n} is out of range: give 1 to 500"),
            )),
        }
    }
}

/// The ETag of a revision.
pub fn etag(revision: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The revision named by `If-Match`, if any (`*` names none).
pub fn if_match(headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_header",
            "If-Match must be the ETag of the object, e.g. \"3\", or *",
        )
    };
    let s = v.to_str().map_err(|_| bad())?.trim();
    if s == "*" {
        return Ok(None);
    }
    let s = s.strip_prefix("W/").unwrap_or(s);
    let inner = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .ok_or_else(bad)?;
    inner.parse::<i64>().map(Some).map_err(|_| bad())
}

/// What no route matched: the web UI for `GET`/`HEAD` of a path that is not the server's own
/// (an embedded file, or `index.html` for a client-side route such as `/workflows/wf_…`), else
/// 404 in the one error body.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if (method == Method::GET || method == Method::HEAD) && weft_ui::is_client_route(uri.path()) {
        return weft_ui::respond(uri.path(), &headers);
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        format!("no route for {}", uri.path()),
    )
    .into_response()
}

/// 405 for known routes called with the wrong method.
pub async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} does not accept this method", uri.path()),
    )
}

/// Parses an RFC 3339 time from a query parameter.
pub fn parse_time(name: &str, value: &str) -> ApiResult<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("{name} must be an RFC 3339 time such as 2025-01-31T12:00:00Z: {e}"),
            )
        })
}
