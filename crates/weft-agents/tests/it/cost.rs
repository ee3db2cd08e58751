//! LLM accounting in a real engine on SQLite: every call recorded with its cost from the price
//! table (replayed from cassettes), roll-ups, budgets that cut runs off with the partial
//! result on the error port, thresholds reported once, retries that neither reset nor double
//! count spending, and the response cache.

use crate::model::{Reply, serve};
use crate::{Harness, drain, output};
use chrono::Utc;
use serde_json::json;
use weft_agents::LlmMode;
use weft_agents::chat::{ChatMessage, ChatRequest};
use weft_agents::durable::estimate_prompt_tokens;
use weft_engine::RunEventKind;
use weft_store_api::llm::{Budget, BudgetScope, BudgetWindow, LlmPrice, UsageGroup, UsageQuery};
use weft_store_api::{RunStatus, Store};

/// The scripted server's prompt tokens per call (see `model.rs`).
const PROMPT: u64 = 12;

fn budget(id: &str, window: BudgetWindow, tokens: u64) -> Budget {
    Budget {
        id: id.into(),
        name: format!("{id} budget"),
        scope: BudgetScope::Organization,
        scope_id: None,
        window,
        max_tokens: Some(tokens),
        max_cost_nanos: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

fn store(h: &Harness) -> std::sync::Arc<dyn Store> {
    h.engine.store().clone()
}

fn label(l: &str) -> Reply {
    Reply::Text(json!({ "label": l }).to_string())
}

/// Worst case the agent reserves for a one-message call (no system prompt) of `text`.
fn worst(text: &str, max_tokens: u64) -> u64 {
    estimate_prompt_tokens(&ChatRequest::new("m", vec![ChatMessage::user(text)])) + max_tokens
}

#[tokio::test]
async fn every_call_is_recorded_with_its_cost_from_the_price_table_and_rolls_up() {
    // Record a consensus of three voters against the scripted model, then replay it.
    let m = serve(|body, _| {
        label(if body["seed"].as_i64().unwrap_or(0) == 3 {
            "billing"
        } else {
            "bug"
        })
    })
    .await;
    let cassettes = tempfile::tempdir().expect("tmp");
    let params = |base: &str| {
        json!({"baseUrl": base, "model": "house-model", "message": "classify", "labels": ["bug", "billing"],
            "temperature": 0, "voters": [{"seed": 1}, {"seed": 2}, {"seed": 3}]})
    };
    let doc = |base: &str| {
        json!({"apiVersion": "weft/v1", "name": "priced vote", "edges": [],
            "nodes": [{"id": "vote", "type": "ai.consensus@1", "params": params(base)}]})
    };
    let rec = Harness::new(LlmMode::Record(cassettes.path().to_path_buf())).await;
    output(&rec.run(doc(&format!("{}/v1", m.url)), json!([{}])).await);
    assert_eq!(m.count(), 3);

    let h = Harness::new(LlmMode::Replay(cassettes.path().to_path_buf())).await;
    let s = store(&h);
    // $1000 per million prompt tokens, $2000 per million completion tokens.
    s.put_llm_price(
        &h.scope,
        &LlmPrice {
            model: "house-model".into(),
            input_per_mtok: 1000.0,
            output_per_mtok: 2000.0,
        },
        Utc::now(),
    )
    .await
    .expect("price");
    let run = h.run(doc("http://127.0.0.1:9/v1"), json!([{}])).await;
    let out = output(&run);
    assert_eq!(out["winner"], "bug");
    let calls = s
        .list_llm_calls(&h.scope, &run.id.to_string())
        .await
        .expect("calls");
    assert_eq!(calls.len(), 3, "one per voter: {calls:?}");
    let mut total = 0i64;
    for c in &calls {
        assert!(c.ok && c.priced && !c.cached, "{c:?}");
        assert_eq!(c.model, "house-model");
        assert_eq!(c.provider, "openai");
        assert_eq!(c.caller.node_id, "vote");
        assert_eq!(c.caller.attempt, 1);
        assert_eq!(c.caller.workflow_name, "priced vote");
        assert_eq!(c.prompt_tokens, PROMPT);
        assert!(c.completion_tokens > 0);
        // 1000 $/M = 1000 nano-dollars... per token × 1000: 12 prompt tokens = $0.012.
        let expected = (c.prompt_tokens * 1_000_000 + c.completion_tokens * 2_000_000) as i64;
        assert_eq!(c.cost_nanos, expected, "{c:?}");
        total += c.cost_nanos;
    }
    let reported = out["usage"]["costUsd"].as_f64().expect("costUsd");
    assert!(
        (reported - total as f64 / 1e9).abs() < 1e-9,
        "{reported} vs {total}"
    );
    for c in out["usage"]["calls"].as_array().unwrap() {
        assert_eq!(c["priced"], true);
        assert!(c["costUsd"].as_f64().unwrap() > 0.0);
    }

    // A model without a price: recorded, cost 0, flagged.
    let run2 = h
        .run(
            json!({"apiVersion": "weft/v1", "name": "unpriced", "edges": [],
                "nodes": [{"id": "vote", "type": "ai.consensus@1", "params": params("http://127.0.0.1:9/v1")}]}),
            json!([{}]),
        )
        .await;
    output(&run2);
    s.delete_llm_price(&h.scope, "house-model")
        .await
        .expect("delete");
    let run3 = h.run(doc("http://127.0.0.1:9/v1"), json!([{}])).await;
    output(&run3);
    let unpriced = s
        .list_llm_calls(&h.scope, &run3.id.to_string())
        .await
        .expect("calls");
    assert!(
        unpriced.iter().all(|c| !c.priced && c.cost_nanos == 0),
        "{unpriced:?}"
    );

    // Roll-ups.
    let q = |group_by| UsageQuery {
        group_by,
        from: None,
        to: None,
        run_id: None,
    };
    let by_run = s
        .llm_usage(&h.scope, &q(UsageGroup::Run))
        .await
        .expect("usage");
    assert_eq!(by_run.len(), 3);
    assert_eq!(by_run[0].cost_nanos, total, "{by_run:?}");
    let by_wf = s
        .llm_usage(&h.scope, &q(UsageGroup::Workflow))
        .await
        .expect("usage");
    let priced = by_wf.iter().find(|r| r.key == "priced vote").expect("row");
    assert_eq!(
        (priced.calls, priced.unpriced_calls, priced.cost_nanos),
        (6, 3, total)
    );
    let org = s
        .llm_usage(&h.scope, &q(UsageGroup::Organization))
        .await
        .expect("usage");
    assert_eq!(org[0].calls, 9);
    let later = s
        .llm_usage(
            &h.scope,
            &UsageQuery {
                from: Some(Utc::now() + chrono::TimeDelta::seconds(60)),
                ..q(UsageGroup::Organization)
            },
        )
        .await
        .expect("usage");
    assert!(later.is_empty());
}

#[tokio::test]
async fn a_budget_cuts_a_run_off_midway_with_the_partial_result_on_the_error_port() {
    let m = serve(|_, _| Reply::Text("ok".into())).await;
    let h = Harness::new(LlmMode::Live).await;
    // Each call spends 13 tokens (12 prompt + "ok") and reserves `w` first. Two calls fit:
    // 13 + w ≤ limit; the third would not: 26 + w > limit.
    let w = worst("go", 100);
    assert_eq!(w, worst("ok", 100));
    let limit = 13 + w + 6;
    store(&h)
        .put_budget(&h.scope, &budget("per-run", BudgetWindow::Run, limit))
        .await
        .expect("budget");
    let mut rx = h.engine.subscribe();
    let doc = json!({
        "apiVersion": "weft/v1", "name": "relay",
        "nodes": [
            {"id": "relay", "type": "ai.sequential@1",
             "settings": {"retry": {"maxAttempts": 3, "initialInterval": "10ms"}},
             "params": {"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "go", "maxTokens": 100,
                "agents": [{"name": "one"}, {"name": "two"}, {"name": "three"}]}},
            {"id": "over", "type": "core.set@1", "params": {"fields": {"handled": true}}},
        ],
        "edges": [{"from": {"node": "relay", "port": "error"}, "to": {"node": "over"}}],
    });
    let run = h.run(doc, json!([{}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    let item = &run.output.expect("output")[0];
    assert_eq!(item["handled"], true);
    let err = &item["error"];
    assert_eq!(err["code"], "budget_exceeded", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("per-run budget"),
        "{err}"
    );
    let partial = &err["details"]["partial"];
    let steps = partial["steps"].as_array().expect("steps so far");
    assert_eq!(steps.len(), 2, "{partial}");
    assert_eq!(steps[1]["agent"], "two");
    assert_eq!(partial["usage"]["totalTokens"], 26);
    assert_eq!(err["details"]["cause"]["budget"]["id"], "per-run");
    assert_eq!(err["details"]["cause"]["spentTokens"], 26);
    assert_eq!(m.count(), 2, "the refused call was never made");
    // A refusal is permanent: the step was not retried.
    let events = drain(&mut rx);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, RunEventKind::StepRetrying { .. })),
        "no retry"
    );
    let calls = store(&h)
        .list_llm_calls(&h.scope, &run.id.to_string())
        .await
        .expect("calls");
    assert_eq!(calls.len(), 2);
    let spend = store(&h)
        .budget_spend(&h.scope, "per-run", &format!("r:{}", run.id))
        .await
        .expect("spend");
    assert_eq!((spend.spent_tokens, spend.reserved_tokens), (26, 0));
    // Another run has its own window.
    let again = h
        .run(
            json!({"apiVersion": "weft/v1", "name": "solo", "edges": [],
                "nodes": [{"id": "a", "type": "ai.agent@1", "params": {"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "go", "maxTokens": 100}}]}),
            json!([{}]),
        )
        .await;
    output(&again);
}

#[tokio::test]
async fn concurrent_voters_stop_at_the_budget_with_the_votes_cast() {
    let m = serve(|_, _| label("bug")).await;
    let h = Harness::new(LlmMode::Live).await;
    let base = format!("{}/v1", m.url);
    // Four voters reserve at once; the budget holds two worst cases in flight.
    let params = json!({"baseUrl": base, "model": "m", "message": "x", "labels": ["bug", "billing"],
        "maxTokens": 50, "retry": {"maxAttempts": 1},
        "voters": [{"seed": 1}, {"seed": 2}, {"seed": 3}, {"seed": 4}]});
    // Measure one voter's worst case from a budget-free run's request.
    let probe = h
        .run(
            json!({"apiVersion": "weft/v1", "name": "probe", "edges": [],
                "nodes": [{"id": "vote", "type": "ai.consensus@1", "params": params}]}),
            json!([{}]),
        )
        .await;
    output(&probe);
    let sent = m.requests()[0].body.clone();
    let req = ChatRequest {
        messages: serde_json::from_value::<Vec<ChatMessage>>(sent["messages"].clone())
            .expect("messages"),
        response_format: Some(weft_agents::chat::ResponseFormat {
            name: "answer".into(),
            schema: sent["response_format"]["json_schema"]["schema"].clone(),
        }),
        ..ChatRequest::new("m", vec![])
    };
    let w = estimate_prompt_tokens(&req) + 50;
    store(&h)
        .put_budget(&h.scope, &budget("tight", BudgetWindow::Run, 2 * w + 5))
        .await
        .expect("budget");
    let before = m.count();
    let run = h
        .run(
            json!({"apiVersion": "weft/v1", "name": "vote", "edges": [],
                "nodes": [{"id": "vote", "type": "ai.consensus@1", "params": params}]}),
            json!([{}]),
        )
        .await;
    assert_eq!(run.status, RunStatus::Failed);
    let err = run.error.expect("error");
    assert_eq!(err["code"], "budget_exceeded", "{err}");
    let votes = err["details"]["partial"]["votes"]
        .as_array()
        .expect("votes")
        .clone();
    assert_eq!(votes.len(), 4);
    let cast = votes.iter().filter(|v| v["label"] == "bug").count();
    let refused = votes
        .iter()
        .filter(|v| v["error"]["code"] == "budget_exceeded")
        .count();
    assert_eq!((cast, refused), (2, 2), "{votes:?}");
    assert_eq!(m.count() - before, 2, "only the reserved calls were made");
}

#[tokio::test]
async fn thresholds_are_reported_once_per_window_and_the_limit_refuses() {
    let m = serve(|_, _| Reply::Text("ok".into())).await;
    let h = Harness::new(LlmMode::Live).await;
    // A day budget of 100 tokens; each run spends 13 and reserves w = estimate + 1 first.
    store(&h)
        .put_budget(&h.scope, &budget("daily", BudgetWindow::Day, 100))
        .await
        .expect("budget");
    let mut rx = h.engine.subscribe();
    let doc = json!({"apiVersion": "weft/v1", "name": "tick", "edges": [],
        "nodes": [{"id": "a", "type": "ai.agent@1", "params": {"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "go", "maxTokens": 1}}]});
    let w = worst("go", 1);
    let mut spent = 0;
    let mut runs = 0;
    loop {
        let run = h.run(doc.clone(), json!([{}])).await;
        runs += 1;
        if spent + w > 100 {
            assert_eq!(run.status, RunStatus::Failed);
            assert_eq!(run.error.expect("error")["code"], "budget_exceeded");
            break;
        }
        output(&run);
        spent += 13;
        assert!(runs < 20);
    }
    let thresholds: Vec<u8> = drain(&mut rx)
        .iter()
        .filter_map(|e| match &e.kind {
            RunEventKind::BudgetThreshold {
                threshold,
                budget_id,
                ..
            } => {
                assert_eq!(budget_id, "daily");
                Some(*threshold)
            }
            _ => None,
        })
        .collect();
    let mut expected = vec![];
    for t in [50u64, 75, 90, 100] {
        if spent >= t {
            expected.push(t as u8);
        }
    }
    assert_eq!(thresholds, expected, "each once, in order (spent {spent})");
    assert!(thresholds.len() >= 3);
}

#[tokio::test]
async fn a_retry_neither_resets_nor_double_counts_spending() {
    // Turn 0 asks for a tool; turn 1 fails the first time (no call-level retry), so the step
    // is retried; turn 0 comes from its checkpoint.
    let m = serve(|_, i| match i {
        0 => Reply::Tools(vec![("add".into(), json!({"a": 1, "b": 2}))]),
        1 => Reply::Status(500, None, "boom".into()),
        _ => Reply::Text("three".into()),
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    store(&h)
        .put_budget(&h.scope, &budget("big", BudgetWindow::Run, 100_000))
        .await
        .expect("budget");
    let doc = json!({
        "apiVersion": "weft/v1", "name": "retry",
        "nodes": [{"id": "agent", "type": "ai.agent@1",
            "settings": {"retry": {"maxAttempts": 2, "initialInterval": "10ms"}},
            "params": {"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "1+2", "finishTool": false,
                "retry": {"maxAttempts": 1}, "maxTokens": 20,
                "tools": [{"name": "add", "description": "Adds.",
                    "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}},
                    "node": {"type": "core.set@1", "params": {"fields": {"sum": "{{ $json.a + $json.b }}"}}}}]}}],
        "edges": [],
    });
    let run = h.run(doc, json!([{}])).await;
    let out = output(&run);
    assert_eq!(out["answer"], "three");
    assert_eq!(m.count(), 3);
    let calls = store(&h)
        .list_llm_calls(&h.scope, &run.id.to_string())
        .await
        .expect("calls");
    let summary: Vec<(u32, bool, u64)> = calls
        .iter()
        .map(|c| {
            (
                c.caller.attempt,
                c.ok,
                c.prompt_tokens + c.completion_tokens,
            )
        })
        .collect();
    // Turn 0 (attempt 1), the failed turn 1 (attempt 1, nothing spent), turn 1 (attempt 2);
    // the checkpointed turn 0 of attempt 2 is not recorded again.
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert_eq!((summary[0].0, summary[0].1), (1, true));
    assert_eq!((summary[1].0, summary[1].1, summary[1].2), (1, false, 0));
    assert_eq!((summary[2].0, summary[2].1), (2, true));
    let spent: u64 = summary.iter().map(|s| s.2).sum();
    let window = store(&h)
        .budget_spend(&h.scope, "big", &format!("r:{}", run.id))
        .await
        .expect("spend");
    assert_eq!(
        window.spent_tokens, spent,
        "attempt 1's spend stays counted, once"
    );
    assert_eq!(window.reserved_tokens, 0);
    let u = &out["usage"];
    assert_eq!(u["totalTokens"].as_u64(), Some(spent));
    assert_eq!(u["calls"][0]["fromCheckpoint"], true);
}

#[tokio::test]
async fn the_response_cache_hits_misses_and_expires() {
    let m = serve(|_, i| Reply::Text(format!("answer {i}"))).await;
    let h = Harness::new(LlmMode::Live).await;
    let mut rx = h.engine.subscribe();
    let doc = |ttl: u64| {
        json!({"apiVersion": "weft/v1", "name": "cached", "edges": [],
            "nodes": [{"id": "a", "type": "ai.agent@1", "params": {"baseUrl": format!("{}/v1", m.url),
                "model": "m", "message": "same question", "temperature": 0, "cache": {"ttlSeconds": ttl}}}]})
    };
    let first = output(&h.run(doc(1), json!([{}])).await);
    let second = output(&h.run(doc(1), json!([{}])).await);
    assert_eq!(m.count(), 1, "the second run was answered from the cache");
    assert_eq!(second["answer"], first["answer"]);
    assert_eq!(second["usage"]["calls"][0]["cached"], true);
    assert_eq!(second["usage"]["costUsd"], 0.0);
    // A different question is a miss.
    let other = h
        .run(
            json!({"apiVersion": "weft/v1", "name": "cached", "edges": [],
                "nodes": [{"id": "a", "type": "ai.agent@1", "params": {"baseUrl": format!("{}/v1", m.url),
                    "model": "m", "message": "another question", "temperature": 0, "cache": {"ttlSeconds": 1}}}]}),
            json!([{}]),
        )
        .await;
    output(&other);
    assert_eq!(m.count(), 2);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let third = output(&h.run(doc(1), json!([{}])).await);
    assert_eq!(m.count(), 3, "expired after its TTL");
    assert_eq!(third["usage"]["calls"][0]["cached"], false);
    // Without `cache`, no lookup.
    let plain = h
        .run(
            json!({"apiVersion": "weft/v1", "name": "plain", "edges": [],
                "nodes": [{"id": "a", "type": "ai.agent@1", "params": {"baseUrl": format!("{}/v1", m.url),
                    "model": "m", "message": "same question", "temperature": 0}}]}),
            json!([{}]),
        )
        .await;
    output(&plain);
    assert_eq!(m.count(), 4);
    let cache: Vec<Option<&'static str>> = drain(&mut rx)
        .iter()
        .filter_map(|e| match &e.kind {
            RunEventKind::LlmCall { cache, .. } => Some(*cache),
            _ => None,
        })
        .collect();
    assert_eq!(
        cache,
        [Some("miss"), Some("hit"), Some("miss"), Some("miss"), None]
    );
    let org = store(&h)
        .llm_usage(
            &h.scope,
            &UsageQuery {
                group_by: UsageGroup::Organization,
                from: None,
                to: None,
                run_id: None,
            },
        )
        .await
        .expect("usage");
    assert_eq!((org[0].calls, org[0].cached_calls), (5, 1));
}

#[tokio::test]
async fn a_run_resumed_after_a_crash_counts_its_checkpointed_calls_once() {
    // Turn 0 asks for a tool; turn 1 hangs until the process "dies"; after recovery turn 1
    // answers. Turn 0 comes from its checkpoint: paid and recorded once.
    let m = serve(|_, i| match i {
        0 => Reply::Tools(vec![("add".into(), json!({"a": 1, "b": 2}))]),
        1 => Reply::Hang(vec!["thinking".into()]),
        _ => Reply::Text("three".into()),
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let scope = weft_store_api::TenantScope::default_org();
    let doc = json!({
        "apiVersion": "weft/v1", "name": "crashy",
        "nodes": [{"id": "agent", "type": "ai.agent@1",
            "params": {"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "1+2", "finishTool": false,
                "maxTokens": 20,
                "tools": [{"name": "add", "description": "Adds.",
                    "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}},
                    "node": {"type": "core.set@1", "params": {"fields": {"sum": "{{ $json.a + $json.b }}"}}}}]}}],
        "edges": [],
    });
    let wf: weft_model::Workflow = serde_json::from_value(doc).expect("doc");
    let run_id = {
        let engine = Harness::engine_on(dir.path(), LlmMode::Live).await;
        let version = engine
            .register_workflow(&scope, &wf)
            .await
            .expect("register");
        let run = engine
            .start_run(
                &scope,
                &version,
                json!([{}]),
                weft_engine::StartOptions::default(),
            )
            .await
            .expect("start");
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        while m.count() < 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "turn 1 never started"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        engine.shutdown().await;
        run.id
    };
    let engine = Harness::engine_on(dir.path(), LlmMode::Live).await;
    engine.recover_once().await.expect("recover");
    let run = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        engine.wait_for(&scope, run_id),
    )
    .await
    .expect("finished in time")
    .expect("wait");
    let out = output(&run);
    assert_eq!(out["answer"], "three");
    assert_eq!(m.count(), 3, "turn 0 was not asked again");
    let calls = engine
        .store()
        .list_llm_calls(&scope, &run_id.to_string())
        .await
        .expect("calls");
    let answered: Vec<_> = calls.iter().filter(|c| c.ok).collect();
    assert_eq!(answered.len(), 2, "turn 0 once, turn 1 once: {calls:?}");
    assert!(
        calls
            .iter()
            .filter(|c| !c.ok)
            .all(|c| c.prompt_tokens + c.completion_tokens == 0),
        "the interrupted call spent nothing measurable: {calls:?}"
    );
    let recorded: u64 = calls
        .iter()
        .map(|c| c.prompt_tokens + c.completion_tokens)
        .sum();
    assert_eq!(out["usage"]["totalTokens"].as_u64(), Some(recorded));
    assert_eq!(out["usage"]["calls"][0]["fromCheckpoint"], true);
    engine.shutdown().await;
}

#[tokio::test]
async fn calls_a_parallel_join_stops_waiting_for_give_their_reservations_back() {
    let m = serve(|body, _| {
        if body["model"] == "fast" {
            Reply::Text("first".into())
        } else {
            Reply::Hang(vec!["still".into()])
        }
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    store(&h)
        .put_budget(&h.scope, &budget("roomy", BudgetWindow::Run, 1_000_000))
        .await
        .expect("budget");
    let run = h
        .run(
            json!({"apiVersion": "weft/v1", "name": "race", "edges": [],
                "nodes": [{"id": "fan", "type": "ai.parallel@1", "params": {
                    "baseUrl": format!("{}/v1", m.url), "model": "m", "message": "go", "join": "any", "maxTokens": 10,
                    "agents": [{"name": "a", "model": "slow"}, {"name": "b", "model": "fast"}, {"name": "c", "model": "slow"}]}}]}),
            json!([{}]),
        )
        .await;
    assert_eq!(output(&run)["answer"], "first");
    let window = format!("r:{}", run.id);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let s = store(&h)
            .budget_spend(&h.scope, "roomy", &window)
            .await
            .expect("spend");
        if s.reserved_tokens == 0 {
            assert_eq!(s.spent_tokens, 13, "only the answer spent");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the abandoned calls still hold {s:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let calls = store(&h)
        .list_llm_calls(&h.scope, &run.id.to_string())
        .await
        .expect("calls");
    assert_eq!(calls.iter().filter(|c| c.ok).count(), 1);
    assert_eq!(calls.iter().filter(|c| !c.ok).count(), 2, "{calls:?}");
}
