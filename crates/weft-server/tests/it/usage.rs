//! LLM accounting over HTTP: budgets CRUD with validation, the price table, usage roll-ups
//! over time ranges, the run detail's LLM usage, and the metrics.

use crate::{Server, error_code, greet, send};
use chrono::Utc;
use reqwest::Method;
use serde_json::json;
use weft_store_api::TenantScope;
use weft_store_api::llm::{LlmCall, LlmCaller, Reservation};

#[tokio::test]
async fn budgets_prices_usage_and_the_run_detail() {
    let s = Server::start().await;

    // Budgets: validation names the field.
    for (body, pointer) in [
        (
            json!({"name": "b", "scope": "planet", "window": "day", "maxTokens": 5}),
            "/scope",
        ),
        (
            json!({"name": "b", "scope": "team", "window": "day", "maxTokens": 5}),
            "/scopeId",
        ),
        (
            json!({"name": "b", "scope": "organization", "scopeId": "x", "window": "day", "maxTokens": 5}),
            "/scopeId",
        ),
        (
            json!({"name": "b", "scope": "organization", "window": "week", "maxTokens": 5}),
            "/window",
        ),
        (
            json!({"name": "b", "scope": "organization", "window": "day"}),
            "",
        ),
        (
            json!({"name": "b", "scope": "organization", "window": "day", "maxCostUsd": -1}),
            "/maxCostUsd",
        ),
        (
            json!({"name": " ", "scope": "organization", "window": "day", "maxTokens": 5}),
            "/name",
        ),
    ] {
        let (status, err) = s.post("/api/v1/budgets", body.clone()).await;
        assert_eq!(status, 422, "{body} → {err}");
        assert_eq!(err["details"]["pointer"], pointer, "{err}");
    }
    let (status, err) = s.post("/api/v1/budgets", json!({"name": "b", "scope": "organization", "window": "day", "maxTokens": 5, "extra": 1})).await;
    assert!(status == 400 || status == 422, "{err}");
    error_code(&err);

    let (status, daily) = s
        .post(
            "/api/v1/budgets",
            json!({"name": "daily dollars", "scope": "organization", "window": "day", "maxCostUsd": 2.5}),
        )
        .await;
    assert_eq!(status, 201, "{daily}");
    let id = daily["id"].as_str().unwrap().to_owned();
    assert_eq!(daily["maxCostUsd"], 2.5);
    assert_eq!(daily["current"]["spentUsd"], 0.0);
    let (status, per_run) = s
        .post(
            "/api/v1/budgets",
            json!({"name": "per run", "scope": "workflow", "scopeId": "wf_x", "window": "run", "maxTokens": 1000}),
        )
        .await;
    assert_eq!(status, 201, "{per_run}");
    assert!(per_run["current"].is_null());
    let (_, list) = s.get("/api/v1/budgets").await;
    assert_eq!(list["budgets"].as_array().unwrap().len(), 2);
    let (status, updated) = send(
        s.req(Method::PUT, &format!("/api/v1/budgets/{id}"))
            .json(&json!({"name": "daily", "scope": "organization", "window": "day", "maxCostUsd": 1.0, "maxTokens": 100})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (updated["name"].clone(), updated["maxTokens"].clone()),
        (json!("daily"), json!(100))
    );
    assert_eq!(updated["createdAt"], daily["createdAt"]);
    let (status, _) = s.get("/api/v1/budgets/bud_nope").await;
    assert_eq!(status, 404);

    // Prices: the organization's first, then the built-in ones.
    let (status, price) = send(
        s.req(Method::PUT, "/api/v1/llm/prices")
            .json(&json!({"model": "gpt-4o-mini", "inputPerMTok": 0.1, "outputPerMTok": 0.2})),
    )
    .await;
    assert_eq!(status, 200, "{price}");
    let (status, err) = send(
        s.req(Method::PUT, "/api/v1/llm/prices")
            .json(&json!({"model": "m", "inputPerMTok": -3, "outputPerMTok": 0.2})),
    )
    .await;
    assert_eq!(
        (status, err["details"]["pointer"].clone()),
        (422, json!("/inputPerMTok"))
    );
    let (_, prices) = s.get("/api/v1/llm/prices").await;
    let prices = prices["prices"].as_array().unwrap().clone();
    assert_eq!(prices[0]["model"], "gpt-4o-mini");
    assert_eq!(prices[0]["source"], "organization");
    assert_eq!(prices[0]["inputPerMTok"], 0.1);
    assert_eq!(
        prices
            .iter()
            .filter(|p| p["model"] == "gpt-4o-mini")
            .count(),
        1,
        "the override hides the default"
    );
    assert!(
        prices
            .iter()
            .any(|p| p["model"] == "gpt-4o" && p["source"] == "default")
    );
    let (status, _) = send(s.req(Method::DELETE, "/api/v1/llm/prices?model=gpt-4o-mini")).await;
    assert_eq!(status, 204);
    let (status, _) = send(s.req(Method::DELETE, "/api/v1/llm/prices?model=gpt-4o-mini")).await;
    assert_eq!(status, 404);

    // A run, and two model calls recorded against it (as an agent step would).
    let wf = s.create(greet("priced")).await;
    let wf_id = wf["id"].as_str().unwrap().to_owned();
    let (status, run) = s
        .post(
            &format!("/api/v1/workflows/{wf_id}/runs"),
            json!({"input": [{}]}),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let run_id = run["id"].as_str().unwrap().to_owned();
    s.wait_run(&run_id).await;
    let (_, me) = s.get("/api/v1/me").await;
    let scope = TenantScope::org(me["orgId"].as_str().expect("orgId"));
    let caller = LlmCaller {
        team_id: None,
        workflow_id: Some(wf_id.clone()),
        workflow_name: "priced".into(),
        run_id: run_id.clone(),
        node_id: "agent".into(),
        attempt: 1,
    };
    for (i, (p, c, nanos, cached)) in [(100u64, 20u64, 150_000i64, false), (100, 20, 0, true)]
        .into_iter()
        .enumerate()
    {
        let crossed = s
            .state
            .store
            .settle_llm(
                &scope,
                &Reservation { id: None },
                &LlmCall {
                    id: format!("call-{i}"),
                    caller: caller.clone(),
                    provider: "openai".into(),
                    model: "gpt-4o-mini".into(),
                    prompt_tokens: p,
                    completion_tokens: c,
                    latency_ms: 30,
                    cost_nanos: nanos,
                    priced: true,
                    cached,
                    ok: true,
                    at: Utc::now(),
                },
            )
            .await
            .expect("settle");
        // The daily budget (100 tokens) is passed by the first call; a cached call spends
        // nothing, so nothing more is crossed.
        let t: Vec<u8> = crossed.iter().map(|c| c.threshold).collect();
        assert_eq!(
            t,
            if cached {
                vec![]
            } else {
                vec![50, 75, 90, 100]
            }
        );
    }
    let (_, detail) = s.get(&format!("/api/v1/runs/{run_id}")).await;
    let llm = &detail["llm"];
    assert_eq!(llm["total"]["calls"], 2, "{detail}");
    assert_eq!(llm["total"]["cachedCalls"], 1);
    assert_eq!(llm["total"]["totalTokens"], 240);
    assert_eq!(llm["total"]["costUsd"], 0.00015);
    assert_eq!(llm["calls"][0]["nodeId"], "agent");
    assert_eq!(llm["calls"][1]["cached"], true);

    let (status, usage) = s.get("/api/v1/usage?groupBy=workflow").await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!(usage["rows"][0]["key"], wf_id.as_str());
    assert_eq!(usage["rows"][0]["calls"], 2);
    assert_eq!(usage["total"]["costUsd"], 0.00015);
    let (_, by_run) = s
        .get(&format!("/api/v1/usage?groupBy=run&runId={run_id}"))
        .await;
    assert_eq!(by_run["rows"][0]["key"], run_id.as_str());
    let (_, future) = s.get("/api/v1/usage?from=2999-01-01T00:00:00Z").await;
    assert!(future["rows"].as_array().unwrap().is_empty());
    assert_eq!(future["total"]["calls"], 0);
    let (status, err) = s.get("/api/v1/usage?groupBy=planet").await;
    assert_eq!((status, error_code(&err)), (400, "invalid_query"));
    let (status, err) = s.get("/api/v1/usage?from=yesterday").await;
    assert_eq!((status, error_code(&err)), (400, "invalid_query"));
    let (status, err) = s
        .get("/api/v1/usage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")
        .await;
    assert_eq!(status, 400, "{err}");

    let (status, _) = send(s.req(Method::DELETE, &format!("/api/v1/budgets/{id}"))).await;
    assert_eq!(status, 204);
    let (status, _) = send(s.req(Method::DELETE, &format!("/api/v1/budgets/{id}"))).await;
    assert_eq!(status, 404);

    // The metrics name the LLM counters.
    let text = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("weft_llm_cache_requests"), "{text}");
    assert!(text.contains("weft_budget_thresholds"));
    s.stop().await;
}
