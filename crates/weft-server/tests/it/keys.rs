//! API keys, scopes, sign-in links, sessions, and tenant isolation.

use crate::{Server, error_code, greet, send};
use reqwest::Method;
use serde_json::json;
use weft_store_api::TenantScope;
use weft_store_api::control::{KeyKind, Org, Role, User};

#[tokio::test]
async fn scoped_keys_expire_revoke_and_rotate() {
    let s = Server::start().await;
    let (status, created) = s
        .post(
            "/api/v1/api-keys",
            json!({ "name": "ci", "scopes": ["workflows:read"] }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("weft_"));
    let key_id = created["key"]["id"].as_str().unwrap().to_string();

    let (status, _) = send(s.req_as(&secret, Method::GET, "/api/v1/workflows")).await;
    assert_eq!(status, 200);
    let (status, body) = send(
        s.req_as(&secret, Method::POST, "/api/v1/workflows")
            .json(&json!({ "document": greet("x") })),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), "forbidden");
    // No escalation through key creation.
    let (status, _) = send(
        s.req_as(&secret, Method::POST, "/api/v1/api-keys")
            .json(&json!({ "name": "more", "scopes": ["*"] })),
    )
    .await;
    assert_eq!(status, 403);

    let (_, list) = s.get("/api/v1/api-keys").await;
    let listed = list.to_string();
    assert!(
        listed.contains(&key_id) && !listed.contains(&secret),
        "secrets never listed"
    );

    let (status, rotated) = s
        .post(&format!("/api/v1/api-keys/{key_id}/rotate"), json!({}))
        .await;
    assert_eq!(status, 201, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap();
    let (status, _) = send(s.req_as(&secret, Method::GET, "/api/v1/workflows")).await;
    assert_eq!(status, 401, "the rotated-out key stops working");
    let (status, _) = send(s.req_as(new_secret, Method::GET, "/api/v1/workflows")).await;
    assert_eq!(status, 200);
    let new_id = rotated["key"]["id"].as_str().unwrap();
    let (status, _) = send(s.req(Method::DELETE, &format!("/api/v1/api-keys/{new_id}"))).await;
    assert_eq!(status, 204);
    let (status, _) = send(s.req_as(new_secret, Method::GET, "/api/v1/workflows")).await;
    assert_eq!(status, 401);

    let (status, body) = s
        .post(
            "/api/v1/api-keys",
            json!({ "name": "old", "scopes": ["runs:read"], "expiresAt": "2001-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = s
        .post(
            "/api/v1/api-keys",
            json!({ "name": "bad", "scopes": ["runs:fly"] }),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["details"]["pointer"], "/scopes/0");
    s.stop().await;
}

#[tokio::test]
async fn sign_in_link_is_single_use_and_sessions_need_the_csrf_header() {
    let s = Server::start().await;
    let resp = s.client.get(&s.login_url).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();

    let again = s.client.get(&s.login_url).send().await.unwrap();
    assert_eq!(again.status(), 401, "a sign-in link works once");

    let (status, me) = send(s.client.get(s.url("/api/v1/me")).header("cookie", &pair)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["auth"], "session");

    let post = || {
        s.client
            .post(s.url("/api/v1/workflows"))
            .header("cookie", &pair)
            .json(&json!({ "document": greet("by-browser") }))
    };
    let (status, body) = send(post()).await;
    assert_eq!(status, 403, "no CSRF header: {body}");
    let (status, body) = send(post().header("x-weft-csrf", "1")).await;
    assert_eq!(status, 201, "{body}");

    let (status, _) = send(
        s.client
            .post(s.url("/api/v1/auth/logout"))
            .header("cookie", &pair)
            .header("x-weft-csrf", "1"),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = send(s.client.get(s.url("/api/v1/me")).header("cookie", &pair)).await;
    assert_eq!(status, 401, "the session is gone after sign-out");

    // An API key can be exchanged for a session too.
    let resp = s
        .client
        .post(s.url("/api/v1/auth/session"))
        .json(&json!({ "apiKey": s.key }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("set-cookie"));
    s.stop().await;
}

#[tokio::test]
async fn another_organizations_ids_are_not_found() {
    let s = Server::start().await;
    let wf = s.create(greet("mine")).await;
    let wf_id = wf["id"].as_str().unwrap().to_string();
    let (_, run) = s
        .post(&format!("/api/v1/workflows/{wf_id}/runs"), json!({}))
        .await;
    let run_id = run["id"].as_str().unwrap().to_string();
    s.wait_run(&run_id).await;
    let (_, cred) = s
        .post(
            "/api/v1/credentials",
            json!({ "name": "c", "kind": "bearer", "fields": { "token": "t" } }),
        )
        .await;
    let cred_id = cred["id"].as_str().unwrap().to_string();

    // A second organization with its own admin key.
    let control = s.state.control.clone();
    let now = chrono::Utc::now();
    let org = control
        .create_org(Org {
            id: "org_other".into(),
            name: "Other".into(),
            created_at: now,
        })
        .await
        .unwrap();
    let scope = TenantScope::org(org.id.clone());
    let user = control
        .create_user(
            &scope,
            User {
                id: "usr_other".into(),
                org_id: org.id.clone(),
                email: "other@example.com".into(),
                name: "Other".into(),
                role: Role::Admin,
                created_at: now,
            },
        )
        .await
        .unwrap();
    let (key, secret) =
        weft_server::auth::mint_key(&user.id, KeyKind::Api, "k", vec!["*".into()], None);
    control.create_key(&scope, key).await.unwrap();

    for path in [
        format!("/api/v1/workflows/{wf_id}"),
        format!("/api/v1/workflows/{wf_id}/versions"),
        format!("/api/v1/runs/{run_id}"),
        format!("/api/v1/credentials/{cred_id}"),
    ] {
        let (status, body) = send(s.req_as(&secret, Method::GET, &path)).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    for (method, path) in [
        (Method::DELETE, format!("/api/v1/workflows/{wf_id}")),
        (Method::POST, format!("/api/v1/workflows/{wf_id}/runs")),
        (Method::POST, format!("/api/v1/workflows/{wf_id}/publish")),
        (Method::POST, format!("/api/v1/runs/{run_id}/cancel")),
        (Method::POST, format!("/api/v1/runs/{run_id}/retry")),
        (Method::DELETE, format!("/api/v1/credentials/{cred_id}")),
    ] {
        let (status, body) = send(s.req_as(&secret, method, &path).json(&json!({}))).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (_, list) = send(s.req_as(&secret, Method::GET, "/api/v1/workflows")).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (_, runs) = send(s.req_as(&secret, Method::GET, "/api/v1/runs")).await;
    assert!(runs["items"].as_array().unwrap().is_empty());
    // The same name is free in the other organization.
    let (status, _) = send(
        s.req_as(&secret, Method::POST, "/api/v1/workflows")
            .json(&json!({ "document": greet("mine") })),
    )
    .await;
    assert_eq!(status, 201);
    // And the first organization still has its workflow.
    let (status, _) = s.get(&format!("/api/v1/workflows/{wf_id}")).await;
    assert_eq!(status, 200);
    s.stop().await;
}
