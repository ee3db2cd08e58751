//! The web UI, embedded in the `weft` binary.
//!
//! `build.rs` builds the React app in `ui/` (at the repository root) with Vite and embeds every
//! file of its `dist/` gzip-compressed. [`respond`] serves them:
//!
//! - files under `assets/` have content-hashed names (Vite's), so they are cached for a year
//!   (`immutable`);
//! - `index.html` is `no-cache` (it names the current assets), and is also the answer for every
//!   client-side route (`/workflows/wf_…`), which the server decides by [`is_client_route`];
//! - the page carries a strict [`CONTENT_SECURITY_POLICY`]: scripts, styles and requests from
//!   the same origin only, no inline script, no `eval`, no frames.
//!
//! Each response has a strong `ETag` per representation and answers `If-None-Match` with 304.
//! Clients that do not accept gzip (rare) get the file decompressed on the fly.

use axum::body::Bytes;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY as CSP, CONTENT_TYPE,
    ETAG, IF_NONE_MATCH, REFERRER_POLICY, VARY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use flate2::read::GzDecoder;
use std::io::Read;

/// One file of the built app, as `build.rs` embedded it.
pub(crate) struct Embedded {
    /// Path inside `dist/`, e.g. `assets/index-Bx1.js`.
    path: &'static str,
    content_type: &'static str,
    /// 16 hex digits of the SHA-256 of the uncompressed file.
    hash: &'static str,
    gzip: &'static [u8],
}

// `EMBEDDED`.
include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The `Content-Security-Policy` of the app: everything from the same origin, nothing inline
/// but style attributes (the canvas positions nodes with them), no plugins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Paths the UI never answers: the API, webhooks and the operations endpoints.
const SERVER_PREFIXES: &[&str] = &["/api/", "/webhook/"];
const SERVER_PATHS: &[&str] = &["/api", "/webhook", "/healthz", "/readyz", "/metrics"];

/// Whether `path` belongs to the UI (an embedded file or a client-side route) rather than to
/// the server's own routes.
pub fn is_client_route(path: &str) -> bool {
    !SERVER_PATHS.contains(&path) && !SERVER_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// The embedded file at `path` (with its leading `/`), or `index.html` for any other path
/// (a client-side route). Call it only for [`is_client_route`] paths and `GET`/`HEAD`.
pub fn respond(path: &str, request: &HeaderMap) -> Response {
    let wanted = path.trim_start_matches('/');
    let file = EMBEDDED
        .iter()
        .find(|f| f.path == wanted && f.path != "index.html");
    match file {
        Some(file) => {
            let cache = if file.path.starts_with("assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            serve(file, request, cache)
        }
        // A missing hashed asset is a 404, not the page: a stale tab asking for an old bundle
        // must not get HTML as JavaScript.
        None if wanted.starts_with("assets/") => (
            StatusCode::NOT_FOUND,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found",
        )
            .into_response(),
        None => match EMBEDDED.iter().find(|f| f.path == "index.html") {
            Some(index) => serve(index, request, "no-cache"),
            None => StatusCode::NOT_FOUND.into_response(),
        },
    }
}

/// Every embedded file's path (for tests and diagnostics).
pub fn files() -> impl Iterator<Item = &'static str> {
    EMBEDDED.iter().map(|f| f.path)
}

fn serve(file: &Embedded, request: &HeaderMap, cache_control: &'static str) -> Response {
    let gzip = accepts_gzip(request);
    let etag = if gzip {
        format!("\"{}-gzip\"", file.hash)
    } else {
        format!("\"{}\"", file.hash)
    };
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    if file.path.ends_with(".html") {
        headers.insert(CSP, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if none_match_hits(request, &etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if gzip {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return (headers, Bytes::from_static(file.gzip)).into_response();
    }
    let mut plain = Vec::new();
    match GzDecoder::new(file.gzip).read_to_end(&mut plain) {
        Ok(_) => (headers, plain).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Whether `Accept-Encoding` allows gzip: `gzip`, `x-gzip` or `*` listed with a non-zero
/// quality (RFC 9110 §12.5.3). No header means no gzip.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip: Option<bool> = None;
    let mut any: Option<bool> = None;
    let items = headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    for item in items {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map(|(_, v)| v.trim().parse::<f32>().unwrap_or(0.0))
            .unwrap_or(1.0);
        let ok = q > 0.0 && q <= 1.0;
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(gzip.unwrap_or(false) || ok),
            "*" => any = Some(ok),
            _ => {}
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// `If-None-Match` with the weak comparison (RFC 9110 §13.1.2).
fn none_match_hits(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::HeaderName;

    fn headers(pairs: &[(HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn server_paths_are_not_client_routes() {
        for path in [
            "/api/v1/workflows",
            "/api/docs",
            "/api",
            "/webhook/orders",
            "/healthz",
            "/readyz",
            "/metrics",
        ] {
            assert!(!is_client_route(path), "{path}");
        }
        for path in [
            "/",
            "/workflows",
            "/workflows/wf_1",
            "/signin",
            "/apis",
            "/metricsx",
        ] {
            assert!(is_client_route(path), "{path}");
        }
    }

    #[test]
    fn the_app_has_an_index_and_hashed_assets() {
        assert!(files().any(|f| f == "index.html"));
        assert!(files().any(|f| f.starts_with("assets/") && f.ends_with(".js")));
    }

    #[test]
    fn client_routes_get_the_page_with_its_policy_and_assets_are_immutable() {
        let page = respond("/workflows/wf_1", &headers(&[(ACCEPT_ENCODING, "gzip")]));
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()[CACHE_CONTROL], "no-cache");
        assert_eq!(page.headers()[CSP], CONTENT_SECURITY_POLICY);
        assert_eq!(page.headers()[CONTENT_ENCODING], "gzip");
        let asset = files()
            .find(|f| f.starts_with("assets/"))
            .map(|f| format!("/{f}"))
            .unwrap_or_default();
        let r = respond(&asset, &HeaderMap::new());
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()[CACHE_CONTROL]
                .to_str()
                .unwrap_or("")
                .contains("immutable")
        );
        assert!(r.headers().get(CONTENT_ENCODING).is_none());
        let etag = r.headers()[ETAG].clone();
        let mut again = HeaderMap::new();
        again.insert(IF_NONE_MATCH, etag);
        assert_eq!(respond(&asset, &again).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(
            respond("/assets/gone-123.js", &HeaderMap::new()).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn gzip_negotiation() {
        assert!(accepts_gzip(&headers(&[(ACCEPT_ENCODING, "gzip, br")])));
        assert!(!accepts_gzip(&headers(&[(ACCEPT_ENCODING, "gzip;q=0")])));
        assert!(accepts_gzip(&headers(&[(ACCEPT_ENCODING, "*")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
