//! `http.request` as an API connector: pagination (cursor, offset, Link), OAuth2 client
//! credentials with a cached token, binary responses. Against a real server on 127.0.0.1.

use crate::support::*;
use async_trait::async_trait;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_util::sync::CancellationToken;
use weft_node_api::{
    ChildOutcome, ChildRequest, Credential, EngineServices, NodeError, NodeInput, NodeType,
    StepContext,
};
use weft_nodes::HttpRequestNode;

#[derive(Clone, Default)]
struct Counters {
    token_calls: Arc<AtomicUsize>,
}

async fn cursor_page(Query(q): Query<HashMap<String, String>>) -> Response {
    let (data, next) = match q.get("cursor").map(String::as_str) {
        None => (json!([1, 2]), json!("c2")),
        Some("c2") => (json!([3, 4]), json!("c3")),
        Some("c3") => (json!([5]), Value::Null),
        Some(other) => {
            return (StatusCode::BAD_REQUEST, format!("bad cursor {other}")).into_response();
        }
    };
    axum::Json(json!({ "data": data, "meta": { "next": next } })).into_response()
}

async fn offset_page(Query(q): Query<HashMap<String, u64>>) -> Response {
    let (offset, limit) = (q["offset"], q["limit"]);
    let all: Vec<u64> = (1..=7).collect();
    let page: Vec<u64> = all
        .iter()
        .copied()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    axum::Json(json!({ "items": page })).into_response()
}

async fn link_page(Query(q): Query<HashMap<String, u32>>) -> Response {
    let page = q.get("page").copied().unwrap_or(1);
    let mut resp = axum::Json(json!({ "page": page })).into_response();
    if page < 3 {
        resp.headers_mut().insert(
            header::LINK,
            format!(
                "</link?page=1>; rel=\"first\", </link?page={}>; rel=\"next\"",
                page + 1
            )
            .parse()
            .unwrap(),
        );
    }
    resp
}

async fn token(State(c): State<Counters>, headers: HeaderMap, body: String) -> Response {
    c.token_calls.fetch_add(1, Ordering::SeqCst);
    // "client:s3cret" in base64.
    let ok_auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some("Basic Y2xpZW50OnMzY3JldA==");
    if !ok_auth || !body.contains("grant_type=client_credentials") || !body.contains("scope=read") {
        return (StatusCode::UNAUTHORIZED, "{\"error\":\"invalid_client\"}").into_response();
    }
    axum::Json(
        json!({ "access_token": "at-0123456789", "token_type": "Bearer", "expires_in": 3600 }),
    )
    .into_response()
}

async fn protected(headers: HeaderMap) -> Response {
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some("Bearer at-0123456789") => axum::Json(json!({ "ok": true })).into_response(),
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn server(c: Counters) -> String {
    let app = Router::new()
        .route("/cursor", get(cursor_page))
        .route("/offset", get(offset_page))
        .route("/link", get(link_page))
        .route("/token", post(token))
        .route("/protected", get(protected))
        .route(
            "/bin",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], vec![0u8, 1, 2, 255]) }),
        )
        .with_state(c);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

async fn call(node: &HttpRequestNode, params: Value) -> Result<Vec<Value>, NodeError> {
    let r = node.execute(&ctx(params), NodeInput::main(vec![])).await;
    r.map(|s| match s {
        weft_node_api::StepResult::Done(out) => out.get("main").unwrap_or_default().to_vec(),
        other => panic!("{other:?}"),
    })
}

#[tokio::test]
async fn cursor_pagination_collects_every_page() {
    let base = server(Counters::default()).await;
    let items = call(
        &HttpRequestNode::new(),
        json!({ "url": format!("{base}/cursor"),
                "pagination": { "mode": "cursor", "cursorPath": "meta.next", "itemsPath": "data" } }),
    )
    .await
    .unwrap();
    assert_eq!(items, [json!(1), json!(2), json!(3), json!(4), json!(5)]);
}

#[tokio::test]
async fn offset_pagination_stops_at_a_short_page_or_max_pages() {
    let base = server(Counters::default()).await;
    let node = HttpRequestNode::new();
    let p = |max: u32| {
        json!({ "url": format!("{base}/offset?offset=99"),
                "pagination": { "mode": "offset", "limit": 3, "itemsPath": "items", "maxPages": max } })
    };
    let items = call(&node, p(10)).await.unwrap();
    assert_eq!(items, (1..=7).map(|n| json!(n)).collect::<Vec<_>>());
    let c = ctx(p(2));
    let out = done(node.execute(&c, NodeInput::main(vec![])).await);
    assert_eq!(out.get("main").unwrap().len(), 6);
    assert!(
        c.take_logs()
            .iter()
            .any(|l| l.message.contains("stopped after 2 pages"))
    );
}

#[tokio::test]
async fn link_pagination_follows_rel_next_and_keeps_whole_pages() {
    let base = server(Counters::default()).await;
    let items = call(
        &HttpRequestNode::new(),
        json!({ "url": format!("{base}/link"), "pagination": { "mode": "link" } }),
    )
    .await
    .unwrap();
    let pages: Vec<Value> = items.iter().map(|i| i["body"]["page"].clone()).collect();
    assert_eq!(pages, [json!(1), json!(2), json!(3)]);
}

#[tokio::test]
async fn a_bad_items_path_is_explained() {
    let base = server(Counters::default()).await;
    let err = call(
        &HttpRequestNode::new(),
        json!({ "url": format!("{base}/cursor"),
                "pagination": { "mode": "cursor", "cursorPath": "meta.next", "itemsPath": "meta" } }),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "http.pagination");
    assert!(
        err.message.contains("`meta` is an object, not an array"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn binary_responses_are_base64_with_their_type() {
    let base = server(Counters::default()).await;
    let items = call(
        &HttpRequestNode::new(),
        json!({ "url": format!("{base}/bin"), "responseFormat": "binary" }),
    )
    .await
    .unwrap();
    assert_eq!(
        items[0]["body"],
        json!({ "data": "AAEC/w==", "mimeType": "image/png", "size": 4 })
    );
}

struct Creds(Credential);

#[async_trait]
impl EngineServices for Creds {
    async fn run_child(&self, _: &StepContext, _: ChildRequest) -> Result<ChildOutcome, NodeError> {
        Err(NodeError::permanent("test", "no children"))
    }
    async fn credential(&self, _: &StepContext, id: &str) -> Result<Credential, NodeError> {
        assert_eq!(id, self.0.id);
        Ok(self.0.clone())
    }
}

#[tokio::test]
async fn oauth2_client_credentials_fetch_once_and_reuse_the_token() {
    let counters = Counters::default();
    let base = server(counters.clone()).await;
    let mut fields = Map::new();
    fields.insert("tokenUrl".into(), json!(format!("{base}/token")));
    fields.insert("clientId".into(), json!("client"));
    fields.insert("clientSecret".into(), json!("s3cret"));
    fields.insert("scope".into(), json!("read"));
    let services = Arc::new(Creds(Credential {
        id: "oa".into(),
        name: "api".into(),
        kind: "oauth2ClientCredentials".into(),
        fields,
    }));
    let node = HttpRequestNode::new();
    for _ in 0..3 {
        let c = ctx_with(
            json!({ "url": format!("{base}/protected"), "credential": "oa" }),
            services.clone(),
            CancellationToken::new(),
        );
        let out = done(node.execute(&c, NodeInput::main(vec![])).await);
        assert_eq!(out.get("main").unwrap()[0]["body"], json!({ "ok": true }));
        // The token is a secret of the step, so the engine will redact it.
        let secrets = c.take_secrets();
        assert!(secrets.iter().any(|s| s == "at-0123456789"));
        assert!(secrets.iter().any(|s| s == "s3cret"));
        // Fields that only locate or name things are not secrets.
        assert!(
            !secrets
                .iter()
                .any(|s| s == "client" || s.ends_with("/token")),
            "{secrets:?}"
        );
    }
    assert_eq!(
        counters.token_calls.load(Ordering::SeqCst),
        1,
        "the token is cached"
    );

    // A wrong secret is a clear, permanent error.
    let mut bad = services.0.clone();
    bad.fields.insert("clientSecret".into(), json!("nope"));
    let c = ctx_with(
        json!({ "url": format!("{base}/protected"), "credential": "oa" }),
        Arc::new(Creds(bad)),
        CancellationToken::new(),
    );
    let err = failed(node.execute(&c, NodeInput::main(vec![])).await);
    assert_eq!(err.code, "credential.oauth2");
    assert!(err.message.contains("answered HTTP 401"), "{}", err.message);
}
