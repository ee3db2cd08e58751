//! The HTML of `/api/docs`: no inline script or style, asset URLs with content hashes.

use crate::asset::Assets;

/// Renders the page for the OpenAPI document at `openapi_url`.
pub(crate) fn render(openapi_url: &str, assets: &Assets) -> String {
    let spec = escape(openapi_url);
    let version = crate::SWAGGER_UI_VERSION;
    let license = crate::LICENSE_PATH;
    let favicon32 = assets.path("favicon-32x32.png");
    let favicon16 = assets.path("favicon-16x16.png");
    let swagger_css = assets.path("swagger-ui.css");
    let own_css = assets.path("docs.css");
    let bundle = assets.path("swagger-ui-bundle.js");
    let init = assets.path("init.js");
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Weft API</title>
<link rel="icon" type="image/png" sizes="32x32" href="{favicon32}">
<link rel="icon" type="image/png" sizes="16x16" href="{favicon16}">
<link rel="stylesheet" href="{swagger_css}">
<link rel="stylesheet" href="{own_css}">
<script src="{bundle}" defer></script>
<script src="{init}" defer></script>
</head>
<body>
<div id="swagger-ui" data-spec-url="{spec}"></div>
<noscript><p class="weft-docs-noscript">This page needs JavaScript. The OpenAPI document is at <a href="{spec}">{spec}</a>.</p></noscript>
<footer class="weft-docs-footer">The <a href="{spec}">OpenAPI document</a> rendered by Swagger UI {version}, Apache-2.0: <a href="{license}">license and notices</a>.</footer>
</body>
</html>
"#
    )
}

/// Escapes text for an HTML attribute value in double quotes or for element content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset::assets;

    #[test]
    fn the_spec_url_is_escaped() {
        let page = render("/x?a=1&b=\"<script>", assets());
        assert!(page.contains(r#"data-spec-url="/x?a=1&amp;b=&quot;&lt;script&gt;""#));
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn every_linked_asset_exists_and_no_script_is_inline() {
        let page = render("/api/openapi.json", assets());
        for asset in assets().iter() {
            assert!(
                page.contains(&format!("\"{}/{}\"", crate::ASSETS_PATH, asset.url_name)),
                "{} is not linked",
                asset.name
            );
        }
        for script in page.split("<script").skip(1) {
            assert!(script.starts_with(" src=\""), "inline script: {script}");
            assert!(script.contains("></script>"));
        }
        assert!(!page.contains("<style"));
        assert!(!page.contains(" style="));
        assert!(!page.contains("http:") && !page.contains("https:"));
    }
}
