//! One error body everywhere: `{"code": "...", "message": "...", "details": ...}`, with the
//! right status. Axum's own rejections (bad JSON, bad path or query, oversized bodies) are
//! converted too, so a client never sees a plain-text error.

use axum::extract::FromRequest;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use weft_engine::EngineError;
use weft_store_api::StoreError;

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// More about it: the JSON pointer, the diagnostics, the conflicting object.
    #[schema(value_type = Object)]
    #[serde(skip_serializing_if = "Value::is_null")]
    pub details: Value,
}

/// An error returned by a handler.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorBody,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                code: code.to_string(),
                message: message.into(),
                details: Value::Null,
            },
        }
    }
    /// Adds details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.body.details = details;
        self
    }
    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    /// 404 `not_found` for `what` `id`.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} {id} not found"),
        )
        .with_details(json!({ "what": what, "id": id }))
    }
    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    /// 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    /// 409 `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
    /// 500 `internal`: the message is logged, the client gets a generic one.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::NotFound { what, id } => ApiError::not_found(what, id),
            // A webhook path or an email may be taken in another organization: never name
            // the other object then.
            StoreError::NameTaken { what, name, .. }
                if *what == "webhook path" || *what == "user" =>
            {
                ApiError::conflict(format!("{what} {name:?} is already in use"))
                    .with_details(json!({ "what": what, "name": name }))
            }
            StoreError::NameTaken {
                what,
                name,
                other_id,
            } => ApiError::conflict(e.to_string()).with_details(json!({
                "what": what, "name": name, "otherId": other_id
            })),
            StoreError::RevisionMismatch {
                what,
                id,
                expected,
                actual,
            } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "revision_mismatch",
                format!(
                    "{what} {id} was changed by someone else (it is at revision {actual}, If-Match named {expected}); reload it and apply your change again"
                ),
            )
            .with_details(json!({ "currentRevision": actual, "expected": expected })),
            StoreError::JournalConflict { .. } => ApiError::conflict(e.to_string()),
            StoreError::Closed => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "the server is shutting down",
            ),
            StoreError::SchemaTooNew { .. } | StoreError::Database(_) => ApiError::internal(&e),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Store(s) => s.into(),
            EngineError::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            EngineError::InvalidWorkflow(weft_engine::InvalidWorkflow(diags)) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                format!("the workflow has {} problem(s)", diags.len()),
            )
            .with_details(json!({ "diagnostics": diags })),
            EngineError::ShuttingDown => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "the server is shutting down",
            ),
            other => ApiError::internal(other),
        }
    }
}

fn rejection(status: StatusCode, code: &str, message: String) -> ApiError {
    ApiError::new(status, code, message)
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = match &r {
            JsonRejection::JsonDataError(_) => "invalid_body",
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            _ => "bad_request",
        };
        rejection(status, code, r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        rejection(StatusCode::BAD_REQUEST, "invalid_path", r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        rejection(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
    }
}

/// `axum::Json` with rejections in the one error body.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T, S> axum::extract::OptionalFromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(
        req: axum::extract::Request,
        state: &S,
    ) -> Result<Option<Self>, ApiError> {
        // No body (and no content type) is `None`; a body must be valid JSON.
        let empty = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .is_some_and(|v| v == "0");
        if empty || !req.headers().contains_key(axum::http::header::CONTENT_TYPE) {
            return Ok(None);
        }
        <axum::Json<T> as axum::extract::FromRequest<S>>::from_request(req, state)
            .await
            .map(|axum::Json(v)| Some(Json(v)))
            .map_err(ApiError::from)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Path` with rejections in the one error body.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` with rejections in the one error body.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
