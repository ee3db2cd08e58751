//! Workflows: create, read, update, delete; immutable versions with author and message, diff,
//! rollback, publish; tags and search; bulk delete, duplicate, export and import; start a run.

use super::runs::RunDto;
use super::{PageParams, etag, if_match};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Json, Path, Query};
use crate::triggers::published_triggers;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use weft_engine::StartOptions;
use weft_model::{
    DocumentFormat, ParseLimits, Severity, Workflow, parse_document, validate, workflow_from_value,
};
use weft_store_api::TenantScope;
use weft_store_api::control::{
    NewVersion, NewWorkflow, VersionRecord, WorkflowFilter, WorkflowRecord, WorkflowUpdate,
};

/// A workflow as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowDto {
    /// Id.
    pub id: String,
    /// Name (the document's `name`), unique in the organization.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Newest version number.
    pub latest_version: i64,
    /// Published version number.
    pub published_version: Option<i64>,
    /// Revision (also the ETag).
    pub revision: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The newest version's document (on single-workflow responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub document: Option<Value>,
    /// Validation warnings of the newest version (on create and update).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<Value>,
}

impl WorkflowDto {
    fn from_record(r: WorkflowRecord) -> Self {
        WorkflowDto {
            id: r.id,
            name: r.name,
            description: r.description,
            tags: r.tags,
            latest_version: r.latest_version,
            published_version: r.published_version,
            revision: r.revision,
            created_at: r.created_at,
            updated_at: r.updated_at,
            document: None,
            warnings: Vec::new(),
        }
    }
}

/// A page of workflows.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowPage {
    /// The workflows, by name.
    pub items: Vec<WorkflowDto>,
    /// Pass as `cursor` for the next page; absent at the end.
    pub next_cursor: Option<String>,
}

/// A version as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionDto {
    /// 1, 2, 3, …
    pub number: i64,
    /// The content id runs record.
    pub version_id: String,
    /// Author (user id).
    pub author: String,
    /// Save message.
    pub message: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// The document (on single-version responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub document: Option<Value>,
}

impl From<VersionRecord> for VersionDto {
    fn from(v: VersionRecord) -> Self {
        VersionDto {
            number: v.number,
            version_id: v.version_id,
            author: v.author,
            message: v.message,
            created_at: v.created_at,
            document: None,
        }
    }
}

/// The versions of a workflow.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionList {
    /// Newest first.
    pub items: Vec<VersionDto>,
}

/// Body of a create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWorkflow {
    /// The `weft/v1` document: a JSON object, or its JSON or YAML text.
    #[schema(value_type = Object)]
    pub document: Value,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Save message of version 1.
    #[serde(default)]
    pub message: Option<String>,
}

/// Body of an update; absent fields stay as they are. A document different from the newest
/// version's becomes a new version.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWorkflow {
    /// A new document (object or text).
    #[schema(value_type = Option<Object>)]
    pub document: Option<Value>,
    /// New description.
    pub description: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// Save message of the new version.
    pub message: Option<String>,
}

/// List filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Substring of the name, description or a tag (case-insensitive).
    pub search: Option<String>,
    /// Only workflows with this tag (comma-separate several: all must match).
    pub tag: Option<String>,
    /// Only published (`true`) or unpublished (`false`) workflows.
    pub published: Option<bool>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Version numbers to compare.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// The older version.
    pub from: i64,
    /// The newer version.
    pub to: i64,
}

/// Body of a rollback.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rollback {
    /// The version whose document becomes the newest version again.
    pub version: i64,
    /// Save message (default: "Rolled back to version N").
    pub message: Option<String>,
}

/// Body of a publish.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Publish {
    /// Version to publish (default: the newest).
    pub version: Option<i64>,
}

/// Body of a duplicate.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Duplicate {
    /// Name of the copy (default: "<name> (copy)").
    pub name: Option<String>,
}

/// A list of workflow ids.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdList {
    /// Workflow ids (at most 500).
    pub ids: Vec<String>,
}

/// The outcome of a bulk operation, per id.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    /// Ids done.
    pub done: Vec<String>,
    /// Ids not found.
    pub not_found: Vec<String>,
}

/// One workflow in an export file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportedWorkflow {
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The newest version's document.
    #[schema(value_type = Object)]
    pub document: Value,
}

/// An export file: what `export` returns and `import` takes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportFile {
    /// Always `weft-export/v1`.
    pub format: String,
    /// The workflows.
    pub workflows: Vec<ExportedWorkflow>,
}

/// Import options and file.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportRequest {
    /// The export file.
    pub file: ExportFile,
    /// On a name already used: `rename` (add " (2)", …, the default), `skip` or `fail`.
    #[serde(default)]
    pub on_conflict: Option<String>,
}

/// What an import did, per workflow in file order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    /// Created workflows.
    pub created: Vec<WorkflowDto>,
    /// Names skipped because they exist.
    pub skipped: Vec<String>,
}

/// Body of a run start.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRun {
    /// Input items (an array; an object is one item).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub input: Value,
    /// Version number to run (default: the newest; `published` runs the published one).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub version: Option<Value>,
    /// Test runs: outputs to use instead of executing these nodes, by node id (the editor's
    /// pinned data). An array is the node's `main` output; an object maps output ports to
    /// arrays of items. A node id that is not in the version run is refused (422).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub pinned_data: Option<std::collections::BTreeMap<String, Value>>,
}

/// Parses and validates a document given as an object or as JSON/YAML text. Returns the
/// workflow, its canonical JSON (what is stored and hashed) and the warnings.
pub fn check_document(
    state: &AppState,
    document: Value,
) -> ApiResult<(Workflow, Value, Vec<Value>)> {
    let limits = ParseLimits::default();
    let parsed = match document {
        Value::String(text) => {
            let format = if text.trim_start().starts_with('{') {
                DocumentFormat::Json
            } else {
                DocumentFormat::Yaml
            };
            parse_document(&text, format, &limits)
        }
        Value::Object(_) => workflow_from_value(document, &limits),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_document",
                "document must be a weft/v1 object or its JSON or YAML text",
            )
            .with_details(json!({ "pointer": "/document" })));
        }
    };
    let wf = parsed.map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_document",
            e.to_string(),
        )
        .with_details(json!({ "pointer": e.pointer() }))
    })?;
    let diags = validate(&wf, state.engine.registry().as_ref());
    let (errors, warnings): (Vec<_>, Vec<_>) = diags
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!(
                "the workflow has {} problem(s); the first: {}",
                errors.len(),
                errors[0]
            ),
        )
        .with_details(json!({ "diagnostics": errors })));
    }
    let canonical = serde_json::to_value(&wf).map_err(ApiError::internal)?;
    let warnings = warnings
        .into_iter()
        .map(|d| serde_json::to_value(d).unwrap_or(Value::Null))
        .collect();
    Ok((wf, canonical, warnings))
}

fn clean_tags(tags: Vec<String>) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_string();
        if t.is_empty() || t.len() > 64 || t.contains(',') {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("tag {t:?} must be 1 to 64 characters without commas"),
            )
            .with_details(json!({ "pointer": "/tags" })));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 50 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "at most 50 tags",
        ));
    }
    out.sort();
    Ok(out)
}

fn with_etag(status: StatusCode, dto: WorkflowDto) -> Response {
    let tag = etag(dto.revision);
    let mut r = (status, Json(dto)).into_response();
    r.headers_mut().insert(header::ETAG, tag);
    r
}

async fn get_record(state: &AppState, scope: &TenantScope, id: &str) -> ApiResult<WorkflowRecord> {
    state
        .control
        .get_workflow(scope, id)
        .await?
        .ok_or_else(|| ApiError::not_found("workflow", id))
}

async fn version_document(
    state: &AppState,
    scope: &TenantScope,
    id: &str,
    number: i64,
) -> ApiResult<(VersionRecord, Value)> {
    state
        .control
        .get_version(scope, id, number)
        .await?
        .ok_or_else(|| ApiError::not_found("version", &format!("{id}/{number}")))
}

async fn detail(
    state: &AppState,
    scope: &TenantScope,
    r: WorkflowRecord,
) -> ApiResult<WorkflowDto> {
    let (_, doc) = version_document(state, scope, &r.id, r.latest_version).await?;
    let mut dto = WorkflowDto::from_record(r);
    dto.document = Some(doc);
    Ok(dto)
}

/// List workflows.
#[utoipa::path(get, path = "/api/v1/workflows", tag = "workflows", params(ListParams),
    responses((status = 200, body = WorkflowPage), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<WorkflowPage>> {
    p.require("workflows:read")?;
    let limit = PageParams {
        cursor: None,
        limit: q.limit,
    }
    .limit()?;
    let filter = WorkflowFilter {
        search: q.search.filter(|s| !s.is_empty()),
        tags: q
            .tag
            .map(|t| {
                t.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        published: q.published,
    };
    let page = state
        .control
        .list_workflows(&p.scope, &filter, q.cursor.as_deref(), limit)
        .await?;
    Ok(Json(WorkflowPage {
        items: page
            .items
            .into_iter()
            .map(WorkflowDto::from_record)
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

async fn create_from(
    state: &AppState,
    p: &Principal,
    document: Value,
    description: String,
    tags: Vec<String>,
    message: Option<String>,
    name_override: Option<String>,
) -> ApiResult<WorkflowDto> {
    let (mut wf, mut canonical, warnings) = check_document(state, document)?;
    if let Some(name) = name_override {
        wf.name = name;
        canonical = serde_json::to_value(&wf).map_err(ApiError::internal)?;
    }
    if wf.name.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_document",
            "the workflow needs a name",
        )
        .with_details(json!({ "pointer": "/document/name" })));
    }
    let (record, _) = state
        .control
        .create_workflow(
            &p.scope,
            NewWorkflow {
                id: format!("wf_{}", uuid::Uuid::now_v7().simple()),
                name: wf.name.clone(),
                description,
                tags: clean_tags(tags)?,
                document: canonical.clone(),
                author: p.user.id.clone(),
                message: message.unwrap_or_else(|| "Created".into()),
                created_at: Utc::now(),
            },
        )
        .await?;
    let mut dto = WorkflowDto::from_record(record);
    dto.document = Some(canonical);
    dto.warnings = warnings;
    Ok(dto)
}

/// Create a workflow (version 1).
#[utoipa::path(post, path = "/api/v1/workflows", tag = "workflows", request_body = CreateWorkflow,
    responses((status = 201, body = WorkflowDto), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<CreateWorkflow>,
) -> ApiResult<Response> {
    p.require("workflows:write")?;
    let dto = create_from(
        &state,
        &p,
        body.document,
        body.description,
        body.tags,
        body.message,
        None,
    )
    .await?;
    Ok(with_etag(StatusCode::CREATED, dto))
}

/// Read a workflow with its newest document.
#[utoipa::path(get, path = "/api/v1/workflows/{id}", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses((status = 200, body = WorkflowDto, headers(("ETag" = String))),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    p.require("workflows:read")?;
    let r = get_record(&state, &p.scope, &id).await?;
    Ok(with_etag(
        StatusCode::OK,
        detail(&state, &p.scope, r).await?,
    ))
}

/// Change a workflow; a changed document becomes a new version. Honors `If-Match`.
#[utoipa::path(patch, path = "/api/v1/workflows/{id}", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the revision this change is based on")),
    request_body = UpdateWorkflow,
    responses((status = 200, body = WorkflowDto), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 412, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<UpdateWorkflow>,
) -> ApiResult<Response> {
    p.require("workflows:write")?;
    let expected = if_match(&headers)?;
    let current = get_record(&state, &p.scope, &id).await?;
    let mut update = WorkflowUpdate {
        description: body.description,
        tags: body.tags.map(clean_tags).transpose()?,
        at: Utc::now(),
        ..Default::default()
    };
    let mut warnings = Vec::new();
    if let Some(document) = body.document {
        let (wf, canonical, w) = check_document(&state, document)?;
        warnings = w;
        let (_, latest) = version_document(&state, &p.scope, &id, current.latest_version).await?;
        if latest != canonical {
            if wf.name != current.name {
                update.name = Some(wf.name.clone());
            }
            update.version = Some(NewVersion {
                document: canonical,
                author: p.user.id.clone(),
                message: body.message.unwrap_or_default(),
            });
        }
    }
    let (record, _) = state
        .control
        .update_workflow(&p.scope, &id, expected, update)
        .await?;
    let mut dto = detail(&state, &p.scope, record).await?;
    dto.warnings = warnings;
    Ok(with_etag(StatusCode::OK, dto))
}

/// Delete a workflow (its runs stay). Honors `If-Match`.
#[utoipa::path(delete, path = "/api/v1/workflows/{id}", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the revision this change is based on")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody),
        (status = 412, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    p.require("workflows:write")?;
    let expected = if_match(&headers)?;
    if state
        .control
        .delete_workflow(&p.scope, &id, expected)
        .await?
    {
        state.triggers.invalidate();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("workflow", &id))
    }
}

/// The versions of a workflow, newest first.
#[utoipa::path(get, path = "/api/v1/workflows/{id}/versions", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses((status = 200, body = VersionList), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn versions(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<VersionList>> {
    p.require("workflows:read")?;
    get_record(&state, &p.scope, &id).await?;
    let items = state.control.list_versions(&p.scope, &id).await?;
    Ok(Json(VersionList {
        items: items.into_iter().map(VersionDto::from).collect(),
    }))
}

/// One version with its document.
#[utoipa::path(get, path = "/api/v1/workflows/{id}/versions/{number}", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), ("number" = i64, Path, description = "Version number")),
    responses((status = 200, body = VersionDto), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn version(
    State(state): State<AppState>,
    p: Principal,
    Path((id, number)): Path<(String, i64)>,
) -> ApiResult<Json<VersionDto>> {
    p.require("workflows:read")?;
    let (v, doc) = version_document(&state, &p.scope, &id, number).await?;
    let mut dto = VersionDto::from(v);
    dto.document = Some(doc);
    Ok(Json(dto))
}

fn stored_workflow(doc: Value) -> ApiResult<Workflow> {
    workflow_from_value(doc, &ParseLimits::default()).map_err(ApiError::internal)
}

/// What changed between two versions: nodes, edges and triggers added, removed and changed,
/// with each changed param by JSON pointer.
#[utoipa::path(get, path = "/api/v1/workflows/{id}/diff", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), DiffParams),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn diff(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<DiffParams>,
) -> ApiResult<Json<Value>> {
    p.require("workflows:read")?;
    let (_, a) = version_document(&state, &p.scope, &id, q.from).await?;
    let (_, b) = version_document(&state, &p.scope, &id, q.to).await?;
    let d = weft_model::diff::diff(&stored_workflow(a)?, &stored_workflow(b)?);
    let mut v = serde_json::to_value(d).map_err(ApiError::internal)?;
    if let Some(o) = v.as_object_mut() {
        o.insert("from".into(), json!(q.from));
        o.insert("to".into(), json!(q.to));
    }
    Ok(Json(v))
}

/// Makes an old version's document the newest version again.
#[utoipa::path(post, path = "/api/v1/workflows/{id}/rollback", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the revision this change is based on")),
    request_body = Rollback,
    responses((status = 200, body = WorkflowDto), (status = 404, body = crate::error::ErrorBody),
        (status = 412, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn rollback(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Rollback>,
) -> ApiResult<Response> {
    p.require("workflows:write")?;
    let expected = if_match(&headers)?;
    let (_, doc) = version_document(&state, &p.scope, &id, body.version).await?;
    let current = get_record(&state, &p.scope, &id).await?;
    let name = doc.get("name").and_then(Value::as_str).map(str::to_string);
    let update = WorkflowUpdate {
        name: name.filter(|n| *n != current.name),
        version: Some(NewVersion {
            document: doc,
            author: p.user.id.clone(),
            message: body
                .message
                .unwrap_or_else(|| format!("Rolled back to version {}", body.version)),
        }),
        at: Utc::now(),
        ..Default::default()
    };
    let (record, _) = state
        .control
        .update_workflow(&p.scope, &id, expected, update)
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        detail(&state, &p.scope, record).await?,
    ))
}

/// Publishes a version: its webhooks, schedules and run-completed triggers go live.
#[utoipa::path(post, path = "/api/v1/workflows/{id}/publish", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the revision this change is based on")),
    request_body = Publish,
    responses((status = 200, body = WorkflowDto), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 412, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Option<Json<Publish>>,
) -> ApiResult<Response> {
    p.require("workflows:write")?;
    let expected = if_match(&headers)?;
    let current = get_record(&state, &p.scope, &id).await?;
    let number = body
        .and_then(|Json(b)| b.version)
        .unwrap_or(current.latest_version);
    let (_, doc) = version_document(&state, &p.scope, &id, number).await?;
    let wf = stored_workflow(doc)?;
    let triggers = published_triggers(&wf, Utc::now())?;
    for l in &triggers.listeners {
        if state
            .control
            .get_workflow(&p.scope, &l.source_workflow_id)
            .await?
            .is_none()
        {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_trigger",
                format!(
                    "trigger {}: the watched workflow {} does not exist",
                    l.trigger_id, l.source_workflow_id
                ),
            ));
        }
    }
    let record = state
        .control
        .publish(&p.scope, &id, expected, Some(number), triggers, Utc::now())
        .await?;
    state.triggers.invalidate();
    state.schedule_wake.notify_one();
    Ok(with_etag(
        StatusCode::OK,
        detail(&state, &p.scope, record).await?,
    ))
}

/// Unpublishes: webhooks answer 404 and schedules stop.
#[utoipa::path(post, path = "/api/v1/workflows/{id}/unpublish", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the revision this change is based on")),
    responses((status = 200, body = WorkflowDto), (status = 404, body = crate::error::ErrorBody),
        (status = 412, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn unpublish(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    p.require("workflows:write")?;
    let expected = if_match(&headers)?;
    let record = state
        .control
        .publish(
            &p.scope,
            &id,
            expected,
            None,
            Default::default(),
            Utc::now(),
        )
        .await?;
    state.triggers.invalidate();
    Ok(with_etag(
        StatusCode::OK,
        detail(&state, &p.scope, record).await?,
    ))
}

async fn free_name(state: &AppState, scope: &TenantScope, base: &str) -> ApiResult<String> {
    for n in 1..1000 {
        let candidate = if n == 1 {
            base.to_string()
        } else {
            format!("{base} ({n})")
        };
        let taken = state
            .control
            .list_workflows(
                scope,
                &WorkflowFilter {
                    search: Some(candidate.clone()),
                    ..Default::default()
                },
                None,
                500,
            )
            .await?
            .items
            .iter()
            .any(|w| w.name == candidate);
        if !taken {
            return Ok(candidate);
        }
    }
    Err(ApiError::conflict(format!("no free name like {base:?}")))
}

/// Copies a workflow's newest version into a new, unpublished workflow.
#[utoipa::path(post, path = "/api/v1/workflows/{id}/duplicate", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")), request_body = Duplicate,
    responses((status = 201, body = WorkflowDto), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn duplicate(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    body: Option<Json<Duplicate>>,
) -> ApiResult<Response> {
    p.require("workflows:write")?;
    let r = get_record(&state, &p.scope, &id).await?;
    let (_, doc) = version_document(&state, &p.scope, &id, r.latest_version).await?;
    let name = match body.and_then(|Json(b)| b.name) {
        Some(n) => n,
        None => free_name(&state, &p.scope, &format!("{} (copy)", r.name)).await?,
    };
    let dto = create_from(
        &state,
        &p,
        doc,
        r.description,
        r.tags,
        Some(format!("Duplicated from {}", r.id)),
        Some(name),
    )
    .await?;
    Ok(with_etag(StatusCode::CREATED, dto))
}

fn check_ids(ids: &[String]) -> ApiResult<()> {
    if ids.len() > 500 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "at most 500 ids at once",
        ));
    }
    Ok(())
}

/// Deletes several workflows.
#[utoipa::path(post, path = "/api/v1/workflows/bulk-delete", tag = "workflows", request_body = IdList,
    responses((status = 200, body = BulkResult), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<IdList>,
) -> ApiResult<Json<BulkResult>> {
    p.require("workflows:write")?;
    check_ids(&body.ids)?;
    let mut out = BulkResult {
        done: Vec::new(),
        not_found: Vec::new(),
    };
    for id in body.ids {
        if state.control.delete_workflow(&p.scope, &id, None).await? {
            out.done.push(id);
        } else {
            out.not_found.push(id);
        }
    }
    state.triggers.invalidate();
    Ok(Json(out))
}

/// Exports workflows (newest versions) as one file.
#[utoipa::path(post, path = "/api/v1/workflows/export", tag = "workflows", request_body = IdList,
    responses((status = 200, body = ExportFile), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<IdList>,
) -> ApiResult<Json<ExportFile>> {
    p.require("workflows:read")?;
    check_ids(&body.ids)?;
    let mut workflows = Vec::new();
    for id in &body.ids {
        let r = get_record(&state, &p.scope, id).await?;
        let (_, document) = version_document(&state, &p.scope, id, r.latest_version).await?;
        workflows.push(ExportedWorkflow {
            description: r.description,
            tags: r.tags,
            document,
        });
    }
    Ok(Json(ExportFile {
        format: "weft-export/v1".into(),
        workflows,
    }))
}

/// Imports an export file: every workflow is validated first; nothing is created unless all
/// are valid.
#[utoipa::path(post, path = "/api/v1/workflows/import", tag = "workflows", request_body = ImportRequest,
    responses((status = 201, body = ImportResult), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<ImportRequest>,
) -> ApiResult<(StatusCode, Json<ImportResult>)> {
    p.require("workflows:write")?;
    if body.file.format != "weft-export/v1" {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!(
                "file.format is {:?}; this server reads weft-export/v1",
                body.file.format
            ),
        )
        .with_details(json!({ "pointer": "/file/format" })));
    }
    let mode = body.on_conflict.as_deref().unwrap_or("rename");
    if !matches!(mode, "rename" | "skip" | "fail") {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "onConflict is rename, skip or fail",
        )
        .with_details(json!({ "pointer": "/onConflict" })));
    }
    if body.file.workflows.len() > 500 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "at most 500 workflows per import",
        ));
    }
    // Validate everything before creating anything.
    let mut checked = Vec::new();
    for (i, w) in body.file.workflows.into_iter().enumerate() {
        let (wf, _, _) = check_document(&state, w.document.clone()).map_err(|mut e| {
            e.body.message = format!("/file/workflows/{i}/document: {}", e.body.message);
            e
        })?;
        checked.push((wf.name, w));
    }
    let mut result = ImportResult {
        created: Vec::new(),
        skipped: Vec::new(),
    };
    for (name, w) in checked {
        let free = free_name(&state, &p.scope, &name).await?;
        let name = if free == name {
            None
        } else {
            match mode {
                "skip" => {
                    result.skipped.push(name);
                    continue;
                }
                "fail" => {
                    return Err(ApiError::conflict(format!(
                        "a workflow named {name:?} exists"
                    )));
                }
                _ => Some(free),
            }
        };
        let dto = create_from(
            &state,
            &p,
            w.document,
            w.description,
            w.tags,
            Some("Imported".into()),
            name,
        )
        .await?;
        result.created.push(dto);
    }
    Ok((StatusCode::CREATED, Json(result)))
}

/// Starts a run. With an `Idempotency-Key`, a repeated request returns the first run (200).
#[utoipa::path(post, path = "/api/v1/workflows/{id}/runs", tag = "runs",
    params(("id" = String, Path, description = "Workflow id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeating a request with the same key returns the same run")),
    request_body = StartRun,
    responses((status = 201, body = RunDto), (status = 200, body = RunDto),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn start_run(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Option<Json<StartRun>>,
) -> ApiResult<Response> {
    p.require("runs:write")?;
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 255);
            Some(
                k.ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_header",
                        "Idempotency-Key must be 1 to 255 visible ASCII characters",
                    )
                })?
                .to_string(),
            )
        }
    };
    let r = get_record(&state, &p.scope, &id).await?;
    let number = match &body.version {
        None | Some(Value::Null) => r.latest_version,
        Some(Value::String(s)) if s == "latest" => r.latest_version,
        Some(Value::String(s)) if s == "published" => r
            .published_version
            .ok_or_else(|| ApiError::conflict(format!("workflow {id} is not published")))?,
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "version is a version number, \"latest\" or \"published\"",
            )
            .with_details(json!({ "pointer": "/version" })));
        }
    };
    let (v, _) = version_document(&state, &p.scope, &id, number).await?;
    let input = match body.input {
        Value::Null | Value::Array(_) | Value::Object(_) => body.input,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "input is an array of items (objects) or one item",
            )
            .with_details(json!({ "pointer": "/input" })));
        }
    };
    let started = Utc::now();
    let pinned = body.pinned_data.unwrap_or_default();
    let record = state
        .engine
        .start_run_pinned(
            &p.scope,
            &v.version_id,
            input,
            &pinned,
            StartOptions {
                idempotency_key: key,
                workflow_id: Some(id),
                ..Default::default()
            },
        )
        .await?
        .map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_pinned_data",
                format!("pinnedData.{}: {}", e.node, e.message),
            )
            .with_details(json!({
                "pointer": format!("/pinnedData/{}", e.node.replace('~', "~0").replace('/', "~1")),
                "node": e.node,
            }))
        })?;
    let replay = record.created_at < started;
    let status = if replay {
        StatusCode::OK
    } else {
        state.metrics.run_started(&record.workflow_name);
        StatusCode::CREATED
    };
    let mut resp = (status, Json(RunDto::from(record))).into_response();
    if replay {
        resp.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    Ok(resp)
}
