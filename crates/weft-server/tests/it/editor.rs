//! What the web UI needs of the server: draft validation with ports, the coercion table,
//! favourites, the UI itself at `/` (with client routes), and sign-in links landing there.

use crate::{Server, error_code, greet, send};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn drafts_are_validated_with_their_ports_and_yaml_is_read_by_the_server() {
    let s = Server::start().await;
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "draft",
        "nodes": [
            { "id": "route", "type": "core.switch@1",
              "params": { "cases": [{ "output": "gold", "condition": "{{ $json.vip }}" }] } },
            { "id": "a", "type": "core.noop@1" },
            { "id": "b", "type": "core.noop@1" }
        ],
        "edges": [
            { "from": { "node": "route", "port": "gold" }, "to": { "node": "a" } },
            { "from": { "node": "route", "port": "silver" }, "to": { "node": "b" } },
            { "from": { "node": "b" }, "to": { "node": "b" } }
        ]
    });
    let (status, body) = s
        .post("/api/v1/workflows/validate", json!({ "document": doc }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["valid"], false);
    let codes: Vec<&str> = body["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"edge.port.unknown"), "{body}");
    assert!(codes.contains(&"graph.cycle"), "{body}");
    let outputs: Vec<&str> = body["ports"]["route"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(outputs, ["gold", "fallback"]);
    assert_eq!(body["ports"]["a"]["inputs"][0]["type"], "any");

    // YAML text is parsed by the server; the answer carries the document as JSON.
    let yaml = "apiVersion: weft/v1\nname: from yaml\nnodes:\n  - { id: a, type: core.noop@1 }\n";
    let (status, body) = s
        .post("/api/v1/workflows/validate", json!({ "document": yaml }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["valid"], true, "{body}");
    assert_eq!(body["document"]["name"], "from yaml");
    assert_eq!(body["document"]["nodes"][0]["type"], "core.noop@1");

    // A document that cannot be read is one diagnostic with its line or pointer.
    let (status, body) = s
        .post(
            "/api/v1/workflows/validate",
            json!({ "document": "name: [unclosed" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["diagnostics"][0]["code"], "document.parse");
    assert!(body["document"].is_null());
}

#[tokio::test]
async fn the_coercion_table_is_the_models() {
    let s = Server::start().await;
    let (status, body) = s.get("/api/v1/nodes/port-types").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["types"].as_array().unwrap().len(), 10);
    let table = weft_model::ports::COERCIONS;
    assert_eq!(body["coercions"].as_array().unwrap().len(), table.len());
    for (row, (from, to, how)) in body["coercions"].as_array().unwrap().iter().zip(table) {
        assert_eq!(
            row,
            &json!({ "from": from.to_string(), "to": to.to_string(), "how": how })
        );
    }
    // The type route still answers for a node type named like nothing else.
    assert_eq!(s.get("/api/v1/nodes/core.noop").await.0, 200);
}

#[tokio::test]
async fn favourites_are_per_user() {
    let s = Server::start().await;
    let a = s.create(greet("a")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = s.create(greet("b")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for id in [&b, &a, &b] {
        let (status, body) =
            send(s.req(Method::PUT, &format!("/api/v1/workflows/{id}/favorite"))).await;
        assert_eq!(status, 204, "{body}");
    }
    let (_, body) = s.get("/api/v1/workflows/favorites").await;
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(body["ids"], json!(want));
    let (status, _) = send(s.req(Method::DELETE, &format!("/api/v1/workflows/{a}/favorite"))).await;
    assert_eq!(status, 204);
    let (_, body) = s.get("/api/v1/workflows/favorites").await;
    assert_eq!(body["ids"], json!([b]));
    let (status, body) = send(s.req(Method::PUT, "/api/v1/workflows/wf_nope/favorite")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(error_code(&body), "not_found");
    // A deleted workflow is nobody's favourite any more.
    let (status, _) = send(s.req(Method::DELETE, &format!("/api/v1/workflows/{b}"))).await;
    assert_eq!(status, 204);
    let (_, body) = s.get("/api/v1/workflows/favorites").await;
    assert_eq!(body["ids"], json!([]));
}

#[tokio::test]
async fn the_ui_is_served_at_the_root_with_client_routes_and_a_strict_policy() {
    let s = Server::start().await;
    for path in ["/", "/workflows", "/workflows/wf_123", "/signin"] {
        let resp = s.client.get(s.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let headers = resp.headers().clone();
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        assert_eq!(headers["cache-control"], "no-cache");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"));
        assert!(!csp.contains("unsafe-eval"));
        let html = resp.text().await.unwrap();
        assert!(html.contains("<div id=\"root\">"), "{html}");
        // No inline script: every <script> has a src.
        for script in html.split("<script").skip(1) {
            assert!(
                script.trim_start().starts_with("type=\"module\"") || script.contains("src="),
                "{script}"
            );
            assert!(
                script.contains(" src=\"/assets/"),
                "inline script: {script}"
            );
        }
    }
    // The bundle is served immutable, gzip-compressed.
    let asset = weft_ui::files()
        .find(|f| f.starts_with("assets/") && f.ends_with(".js"))
        .unwrap();
    let resp = s
        .client
        .get(s.url(&format!("/{asset}")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    // The server's own paths keep their JSON answers.
    let (status, body) = send(s.client.get(s.url("/api/v1/nothing-here"))).await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "route_not_found");
    let (status, _) = send(s.client.post(s.url("/workflows"))).await;
    assert_eq!(status, 404);
    assert_eq!(
        s.client
            .get(s.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn a_used_sign_in_link_sends_a_browser_to_the_sign_in_page() {
    let s = Server::start().await;
    let first = s
        .client
        .get(&s.login_url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "/");
    assert!(
        first.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("SameSite=Strict")
    );
    let again = s
        .client
        .get(&s.login_url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 303);
    assert_eq!(again.headers()["location"], "/signin?error=link");
    // An API client still gets the error body.
    let (status, body) = send(s.client.get(&s.login_url)).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "unauthorized");
}
