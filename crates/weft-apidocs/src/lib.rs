//! The interactive API docs page, `GET /api/docs`: Swagger UI over the server's OpenAPI
//! document, embedded in the `weft` binary.
//!
//! [`router`] serves the page, its assets under `/api/docs/assets/…` and the license notice of
//! the embedded UI at `/api/docs/license`. The server mounts it next to the route that serves
//! the document itself (`/api/openapi.json`).
//!
//! # Why it is built this way
//!
//! - **Offline.** Weft runs where the internet may be out of reach (air-gapped hosts, a
//!   laptop on a plane), so the page makes no request but to its own origin: no CDN, no web
//!   fonts, no telemetry, and Swagger UI's validator badge is off (`validatorUrl: null`; it
//!   would send the document to an online validator). `queryConfigEnabled` is off too, so a
//!   link such as `/api/docs?url=https://elsewhere/` cannot make the page load another
//!   document. The UI comes from the npm package `swagger-ui-dist`, pinned to an exact version
//!   in `web/package-lock.json`; `build.rs` runs `npm ci` when `web/node_modules` is missing
//!   or stale and compresses the few files the page needs into the crate with
//!   `include_bytes!`. (utoipa-swagger-ui was not an option: its build script downloads the UI
//!   from GitHub at compile time.)
//! - **Content-Security-Policy.** The page has no inline script: `init.js`, served like the
//!   other assets, reads the document's URL from the page's `data-spec-url` attribute and
//!   starts Swagger UI. So the page is served with [`CONTENT_SECURITY_POLICY`], which allows
//!   scripts, requests, fonts and frames from the same origin only (inline styles are allowed
//!   because Swagger UI sets `style` attributes; images may be `data:` URLs, which its CSS uses).
//!   "Try it out" and the Authorize button (bearer tokens, kept across reloads in
//!   `localStorage` by `persistAuthorization`) send requests to the same origin, which the
//!   policy allows.
//! - **Small and cacheable.** Assets are stored gzip-compressed only and sent as they are to
//!   clients that accept gzip (all browsers); the rare client that does not gets them
//!   decompressed on the fly. Each asset URL carries a hash of its content, so it can be
//!   cached for a year (`immutable`); each response has a strong `ETag` per representation
//!   and answers `If-None-Match` with 304. The page itself is `no-cache`, so a new binary's
//!   asset URLs are picked up at once.
//! - **Licensing.** Swagger UI is Apache-2.0 © SmartBear Software; it bundles third-party code
//!   under MIT and similar licenses. Its files are embedded unmodified, and its `NOTICE`,
//!   `LICENSE` and the bundled code's licenses are served at [`LICENSE_PATH`], linked from the
//!   page's footer. `init.js`, `docs.css` and the page are Weft's own (Apache-2.0).
//!
//! Updating Swagger UI: change the exact version in `web/package.json`, run `npm install` in
//! `web/` (that rewrites `package-lock.json`), build, and run the browser check (see the
//! crate's README).

mod asset;
mod negotiate;
mod page;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY as CSP, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

pub use asset::SWAGGER_UI_VERSION;

/// Where the page is served.
pub const DOCS_PATH: &str = "/api/docs";

/// Where the license notice of the embedded Swagger UI is served (plain text).
pub const LICENSE_PATH: &str = "/api/docs/license";

/// The prefix of the asset URLs (`/api/docs/assets/{name}.{hash}.{ext}`).
pub const ASSETS_PATH: &str = "/api/docs/assets";

/// The `Content-Security-Policy` of the page: everything from the same origin only, plus inline
/// styles (Swagger UI sets `style` attributes) and `data:` images (its CSS has icons as such).
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

/// Assets' URLs change with their content, so they never need revalidating.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The license notice's URL does not change with it, so it is revalidated after a day.
const REVALIDATE_DAILY: &str = "public, max-age=86400";

/// The routes of the docs page, for an OpenAPI document served at `openapi_url` (a path on the
/// same origin, e.g. `/api/openapi.json`; the page fetches it from the browser):
///
/// - `GET /api/docs`: the page (HTML, with [`CONTENT_SECURITY_POLICY`]); `/api/docs/`
///   redirects to it.
/// - `GET /api/docs/assets/{file}`: Swagger UI's files and the page's own, by hashed name.
/// - `GET /api/docs/license`: the license notice of the embedded Swagger UI.
pub fn router<S: Clone + Send + Sync + 'static>(openapi_url: &'static str) -> Router<S> {
    let page = Bytes::from(page::render(openapi_url, asset::assets()));
    Router::new()
        .route(
            DOCS_PATH,
            get(move || {
                let page = page.clone();
                async move { page_response(page) }
            }),
        )
        .route(
            "/api/docs/",
            get(|| async { Redirect::permanent(DOCS_PATH) }),
        )
        .route("/api/docs/assets/{file}", get(asset_response))
        .route(LICENSE_PATH, get(license_response))
}

fn page_response(page: Bytes) -> Response {
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CSP, CONTENT_SECURITY_POLICY),
            // The page names the assets by hash: a new binary must be seen at once.
            (CACHE_CONTROL, "no-cache"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (REFERRER_POLICY, "no-referrer"),
        ],
        page,
    )
        .into_response()
}

async fn asset_response(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match asset::assets().get(&file) {
        Some(asset) => asset.respond(&headers, IMMUTABLE),
        None => error_response(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("asset {file} not found"),
        ),
    }
}

async fn license_response(headers: HeaderMap) -> Response {
    asset::assets().license.respond(&headers, REVALIDATE_DAILY)
}

/// The server's error body, `{"code": …, "message": …}`.
fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "code": code, "message": message });
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
