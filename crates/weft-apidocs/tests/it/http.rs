//! The page, the assets and the license notice over real HTTP on a loopback port.

use crate::sample;
use anyhow::{Context, Result, ensure};
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, LOCATION, VARY,
};
use std::io::Read;

struct Server {
    base: String,
    client: reqwest::Client,
}

impl Server {
    async fn start() -> Result<Server> {
        let addr = sample::start(0).await?;
        // Decompression and redirects off: the tests look at what the server sends. (Without
        // reqwest's `gzip` feature these are no-ops, but another crate may turn it on.)
        let client = reqwest::Client::builder()
            .no_gzip()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Server {
            base: format!("http://{addr}"),
            client,
        })
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Result<reqwest::Response> {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Ok(request.send().await?)
    }

    /// The asset URLs the page links to.
    async fn asset_paths(&self) -> Result<Vec<String>> {
        let page = self.get(weft_apidocs::DOCS_PATH, &[]).await?.text().await?;
        let paths: Vec<String> = page
            .split('"')
            .filter(|s| s.starts_with("/api/docs/assets/"))
            .map(str::to_string)
            .collect();
        ensure!(paths.len() == 6, "expected 6 asset links, got {paths:?}");
        Ok(paths)
    }
}

fn header(response: &reqwest::Response, name: impl reqwest::header::AsHeaderName) -> &str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut plain)
        .context("body is not gzip")?;
    Ok(plain)
}

#[tokio::test]
async fn page_is_html_with_the_csp_and_no_inline_script() -> Result<()> {
    let server = Server::start().await?;
    let response = server.get("/api/docs", &[]).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(
        header(&response, CONTENT_SECURITY_POLICY),
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"
    );
    assert_eq!(header(&response, CACHE_CONTROL), "no-cache");
    let page = response.text().await?;
    assert!(page.contains("<title>Weft API</title>"));
    assert!(page.contains(r#"data-spec-url="/api/openapi.json""#));
    assert!(page.contains(r#"href="/api/docs/license""#));
    for script in page.split("<script").skip(1) {
        assert!(script.starts_with(" src=\"/api/docs/assets/"), "{script}");
    }
    assert!(!page.contains("http://") && !page.contains("https://"));

    let redirect = server.get("/api/docs/", &[]).await?;
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(header(&redirect, LOCATION), "/api/docs");
    Ok(())
}

#[tokio::test]
async fn assets_are_gzip_with_content_types_and_immutable_caching() -> Result<()> {
    let server = Server::start().await?;
    for path in server.asset_paths().await? {
        let response = server
            .get(&path, &[("accept-encoding", "gzip, deflate, br")])
            .await?;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, CONTENT_ENCODING), "gzip", "{path}");
        assert_eq!(
            header(&response, CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&response, VARY), "Accept-Encoding");
        let etag = header(&response, ETAG).to_string();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong: {etag}"
        );
        let expected_type = match path.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("png") => "image/png",
            other => anyhow::bail!("unexpected asset {path} ({other:?})"),
        };
        assert_eq!(header(&response, CONTENT_TYPE), expected_type, "{path}");
        let plain = gunzip(&response.bytes().await?)?;
        assert!(!plain.is_empty(), "{path}");
        if path.contains("/swagger-ui-bundle.") {
            assert!(String::from_utf8_lossy(&plain).contains("SwaggerUIBundle"));
        }
        if path.ends_with(".png") {
            assert!(plain.starts_with(b"\x89PNG"), "{path}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn clients_without_gzip_get_the_plain_bytes_and_their_own_etag() -> Result<()> {
    let server = Server::start().await?;
    let paths = server.asset_paths().await?;
    let css = paths
        .iter()
        .find(|p| p.contains("/swagger-ui."))
        .context("swagger-ui.css linked")?;
    let gzipped = server.get(css, &[("accept-encoding", "gzip")]).await?;
    let gzip_etag = header(&gzipped, ETAG).to_string();
    let from_gzip = gunzip(&gzipped.bytes().await?)?;

    for accept in [None, Some("identity"), Some("gzip;q=0, br"), Some("*;q=0")] {
        let headers: Vec<(&str, &str)> =
            accept.map(|a| ("accept-encoding", a)).into_iter().collect();
        let plain = server.get(css, &headers).await?;
        assert_eq!(plain.status(), StatusCode::OK);
        assert_eq!(header(&plain, CONTENT_ENCODING), "", "{accept:?}");
        assert_eq!(header(&plain, CONTENT_TYPE), "text/css; charset=utf-8");
        let etag = header(&plain, ETAG).to_string();
        assert_ne!(etag, gzip_etag, "one strong ETag per representation");
        assert_eq!(plain.bytes().await?.as_ref(), &from_gzip[..], "{accept:?}");
    }
    Ok(())
}

#[tokio::test]
async fn if_none_match_gives_304() -> Result<()> {
    let server = Server::start().await?;
    for path in server.asset_paths().await? {
        let first = server.get(&path, &[("accept-encoding", "gzip")]).await?;
        let etag = header(&first, ETAG).to_string();

        let again = server
            .get(
                &path,
                &[("accept-encoding", "gzip"), ("if-none-match", &etag)],
            )
            .await?;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(header(&again, ETAG), etag);
        assert_eq!(
            header(&again, CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert!(again.bytes().await?.is_empty());

        let weak = format!("\"other\", W/{etag}");
        let again = server
            .get(
                &path,
                &[("accept-encoding", "gzip"), ("if-none-match", &weak)],
            )
            .await?;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}: {weak}");

        // The gzip body's tag does not validate the plain body.
        let plain = server.get(&path, &[("if-none-match", &etag)]).await?;
        assert_eq!(plain.status(), StatusCode::OK, "{path}");

        let other = server
            .get(
                &path,
                &[("accept-encoding", "gzip"), ("if-none-match", "\"other\"")],
            )
            .await?;
        assert_eq!(other.status(), StatusCode::OK, "{path}");
    }
    Ok(())
}

#[tokio::test]
async fn unknown_assets_are_404() -> Result<()> {
    let server = Server::start().await?;
    let bundle = server
        .asset_paths()
        .await?
        .into_iter()
        .find(|p| p.contains("/swagger-ui-bundle."))
        .context("bundle linked")?;
    let hash = bundle.split('.').nth(1).context("hashed name")?;
    let stale = bundle.replace(hash, "0000000000000000");
    for path in [
        "/api/docs/assets/nope.js",
        "/api/docs/assets/swagger-ui-bundle.js",
        "/api/docs/assets/swagger-ui-bundle.js.map",
        stale.as_str(),
        "/api/docs/assets/",
        "/api/docs/assets/a/b.js",
    ] {
        let response = server.get(path, &[("accept-encoding", "gzip")]).await?;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let response = server.get("/api/docs/assets/nope.js", &[]).await?;
    assert_eq!(header(&response, CONTENT_TYPE), "application/json");
    let body = response.text().await?;
    assert!(body.contains(r#""code":"not_found""#), "{body}");
    Ok(())
}

#[tokio::test]
async fn license_notice_is_served() -> Result<()> {
    let server = Server::start().await?;
    let response = server.get("/api/docs/license", &[]).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_TYPE), "text/plain; charset=utf-8");
    let text = response.text().await?;
    assert!(text.contains(&format!(
        "swagger-ui-dist {}",
        weft_apidocs::SWAGGER_UI_VERSION
    )));
    assert!(text.contains("Apache License"));
    assert!(text.contains("SmartBear Software"), "NOTICE included");
    assert!(text.contains("MIT"), "bundled licenses included");

    let gzipped = server
        .get("/api/docs/license", &[("accept-encoding", "gzip")])
        .await?;
    assert_eq!(header(&gzipped, CONTENT_ENCODING), "gzip");
    assert_eq!(gunzip(&gzipped.bytes().await?)?, text.as_bytes());
    Ok(())
}
