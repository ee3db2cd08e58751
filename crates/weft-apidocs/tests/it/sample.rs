//! A tiny server for the docs page: a sample OpenAPI 3.1 document with one bearer-protected
//! operation, and that operation. Shared by the tests and `examples/serve.rs`.

use axum::Router;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Where the sample document is served.
pub const SPEC_PATH: &str = "/api/openapi.json";

/// The only bearer token `GET /api/v1/whoami` accepts.
pub const TOKEN: &str = "weft-sample-token";

/// The sample document: OpenAPI 3.1 (a `type` array, `license.identifier`), a bearer scheme,
/// and one operation that needs it. No `servers`: requests go to the page's origin.
pub const SPEC: &str = r##"{
  "openapi": "3.1.0",
  "info": {
    "title": "Weft API (sample)",
    "version": "0.1.0",
    "description": "A small document for checking the docs page.",
    "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
  },
  "tags": [{ "name": "auth", "description": "Who is calling." }],
  "paths": {
    "/api/v1/whoami": {
      "get": {
        "operationId": "whoami",
        "summary": "Who the bearer token belongs to",
        "tags": ["auth"],
        "security": [{ "bearerAuth": [] }],
        "responses": {
          "200": {
            "description": "The caller.",
            "content": {
              "application/json": { "schema": { "$ref": "#/components/schemas/Principal" } }
            }
          },
          "401": { "description": "No token, or not a known one." }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "Principal": {
        "type": "object",
        "required": ["subject"],
        "properties": {
          "subject": { "type": "string" },
          "organization": { "type": ["string", "null"] }
        }
      }
    },
    "securitySchemes": {
      "bearerAuth": { "type": "http", "scheme": "bearer", "description": "An API key." }
    }
  }
}
"##;

/// The docs router plus the sample document and operation.
pub fn app() -> Router {
    Router::new()
        .route(SPEC_PATH, get(spec))
        .route("/api/v1/whoami", get(whoami))
        .merge(weft_apidocs::router(SPEC_PATH))
}

/// Serves [`app`] on `127.0.0.1:{port}` (0: any free port) in the background.
pub async fn start(port: u16) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app()).await });
    Ok(addr)
}

async fn spec() -> Response {
    ([(CONTENT_TYPE, "application/json")], SPEC).into_response()
}

async fn whoami(headers: HeaderMap) -> Response {
    let expected = format!("Bearer {TOKEN}");
    let authorized = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    if authorized {
        let body = r#"{"subject":"sample-user","organization":"acme"}"#;
        ([(CONTENT_TYPE, "application/json")], body).into_response()
    } else {
        let body = r#"{"code":"unauthorized","message":"a bearer token is needed"}"#;
        (
            StatusCode::UNAUTHORIZED,
            [(CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}
