//! The OpenAPI 3.1 document, generated from the handlers' annotations: `utoipa_axum::routes!`
//! registers each handler's route and its documentation together, so the two cannot drift.

use crate::api::{
    credentials, editor, favorites, keys, nodes, runs, schedules, session, usage, workflows,
};
use crate::{AppState, events, health};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Weft API",
        description = "Durable workflow automation and AI-agent orchestration. Authenticate with `Authorization: Bearer <API key>`. Errors always have the body `{code, message, details}`. Lists are paginated with `cursor`/`nextCursor`. Edits honour `If-Match` with the ETag of the object.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "workflows", description = "Workflows, versions, publishing"),
        (name = "runs", description = "Runs and their control"),
        (name = "events", description = "Live events (Server-Sent Events)"),
        (name = "credentials", description = "Encrypted credentials (write-only secrets)"),
        (name = "schedules", description = "Cron schedules of published workflows"),
        (name = "nodes", description = "The node catalog"),
        (name = "usage", description = "LLM usage and cost, the model price table, budgets"),
        (name = "api-keys", description = "API keys"),
        (name = "auth", description = "Sign-in and sessions"),
        (name = "operations", description = "Health and metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("weft_…")
                        .build(),
                ),
            );
        }
    }
}

/// Every documented `/api/v1` route with its documentation.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(workflows::list, workflows::create))
        .routes(routes!(
            workflows::get,
            workflows::update,
            workflows::delete
        ))
        .routes(routes!(workflows::versions))
        .routes(routes!(workflows::version))
        .routes(routes!(workflows::diff))
        .routes(routes!(workflows::rollback))
        .routes(routes!(workflows::publish))
        .routes(routes!(workflows::unpublish))
        .routes(routes!(workflows::duplicate))
        .routes(routes!(workflows::bulk_delete))
        .routes(routes!(workflows::export))
        .routes(routes!(workflows::import))
        .routes(routes!(editor::validate))
        .routes(routes!(favorites::list_favorites))
        .routes(routes!(favorites::add_favorite, favorites::remove_favorite))
        .routes(routes!(workflows::start_run))
        .routes(routes!(runs::list))
        .routes(routes!(runs::get))
        .routes(routes!(runs::cancel))
        .routes(routes!(runs::pause))
        .routes(routes!(runs::resume))
        .routes(routes!(runs::retry))
        .routes(routes!(runs::approve))
        .routes(routes!(runs::reject))
        .routes(routes!(runs::resume_step))
        .routes(routes!(events::run_stream))
        .routes(routes!(events::org_stream))
        .routes(routes!(credentials::list, credentials::create))
        .routes(routes!(
            credentials::get,
            credentials::replace,
            credentials::delete
        ))
        .routes(routes!(schedules::list))
        .routes(routes!(schedules::preview))
        .routes(routes!(schedules::get))
        .routes(routes!(schedules::pause))
        .routes(routes!(schedules::resume))
        .routes(routes!(nodes::list))
        .routes(routes!(nodes::get))
        .routes(routes!(editor::coercions))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        .routes(routes!(keys::rotate))
        .routes(routes!(session::login_link))
        .routes(routes!(session::create_session))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
        .routes(routes!(usage::usage))
        .routes(routes!(
            usage::list_prices,
            usage::put_price,
            usage::delete_price
        ))
        .routes(routes!(usage::list_budgets, usage::create_budget))
        .routes(routes!(
            usage::get_budget,
            usage::update_budget,
            usage::delete_budget
        ))
}

/// The whole document (API routes plus the operations routes), as served.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = api_router().into_openapi();
    let ops = OpenApiRouter::<AppState>::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .into_openapi();
    doc.merge(ops);
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    unique_operation_ids(&mut doc);
    doc
}

/// utoipa names each operation after its handler function, so `list` and `get` appear once per
/// resource; code generators (the UI's openapi-typescript) need them unique. Each becomes
/// `<tag>_<function>`, e.g. `workflows_list`, `runs_get`.
fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            let tag = op
                .tags
                .as_ref()
                .and_then(|t| t.first())
                .map(|t| t.replace('-', "_"));
            if let (Some(tag), Some(id)) = (tag, op.operation_id.as_mut())
                && !id.starts_with(&format!("{tag}_"))
            {
                *id = format!("{tag}_{id}");
            }
        }
    }
}

/// `GET /api/openapi.json`.
pub async fn serve_document() -> Response {
    static DOC: OnceLock<String> = OnceLock::new();
    let body = DOC.get_or_init(|| document().to_pretty_json().unwrap_or_default());
    ([(header::CONTENT_TYPE, "application/json")], body.as_str()).into_response()
}
