//! `ai.agent@1` in a real engine on SQLite against the scripted model server: tools of every
//! kind, tolerant parsing and the one repair prompt, stop conditions, structured output,
//! memory, streaming into live events, and durability of completed calls.

use crate::model::{Reply, last_text, serve};
use crate::{Harness, agent_doc, drain, output};
use axum::routing::any;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use weft_agents::LlmMode;
use weft_engine::RunEventKind;
use weft_store_api::{RunStatus, ThreadQuery};

fn mentions(body: &Value, text: &str) -> bool {
    body["messages"].to_string().contains(text)
}

fn add_tool() -> Value {
    json!({
        "name": "add",
        "description": "Adds two numbers.",
        "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]},
        "node": {"type": "core.set@1", "params": {"fields": {"sum": "{{ $json.a + $json.b }}"}}},
    })
}

/// A counting HTTP endpoint for HTTP tools: every call is recorded with its body.
async fn counting_endpoint() -> (String, Arc<Mutex<Vec<Value>>>) {
    let calls: Arc<Mutex<Vec<Value>>> = Arc::default();
    let c = calls.clone();
    let app = axum::Router::new().route(
        "/orders/{id}",
        any(
            move |axum::extract::Path(id): axum::extract::Path<String>, body: String| {
                let c = c.clone();
                async move {
                    c.lock().unwrap().push(json!({"id": id, "body": body}));
                    axum::Json(json!({"order": id, "status": "shipped"}))
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), calls)
}

#[tokio::test]
async fn a_tool_call_written_as_fenced_json_runs_a_node_and_the_answer_streams() {
    let m = serve(|body, _| {
        if mentions(body, "Result of the tool add") {
            assert!(mentions(body, r#"\"sum\":5"#), "the tool result reaches the model: {body}");
            Reply::Text("The sum is 5.".into())
        } else {
            Reply::Text("Let me compute.\n```json\n{\"tool\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}\n```".into())
        }
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let mut events = h.engine.subscribe();
    let run = h
        .run(
            agent_doc(json!({
                "baseUrl": format!("{}/v1", m.url), "model": "local",
                "system": "You are a calculator.", "message": "What is {{ $json.a }} + {{ $json.b }}?",
                "tools": [add_tool()], "toolMode": "json", "finishTool": false,
            })),
            json!([{"a": 2, "b": 3}]),
        )
        .await;
    let out = output(&run);
    assert_eq!(out["answer"], "The sum is 5.");
    assert_eq!(out["stopReason"], "answer");
    assert_eq!(out["iterations"], 1);
    assert_eq!(out["toolCalls"][0]["name"], "add");
    assert_eq!(
        out["toolCalls"][0]["result"],
        json!({"a": 2, "b": 3, "sum": 5})
    );
    assert_eq!(out["usage"]["calls"].as_array().map(Vec::len), Some(2));
    assert_eq!(out["usage"]["promptTokens"], 24);
    assert_eq!(
        out["usage"]["totalTokens"],
        out["usage"]["promptTokens"].as_u64().unwrap()
            + out["usage"]["completionTokens"].as_u64().unwrap()
    );
    let roles: Vec<&str> = out["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool", "assistant"]);
    // json mode: the tools are described in the system prompt and no native tools are sent.
    let first = &m.requests()[0].body;
    assert!(
        first["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("- add: Adds two numbers.")
    );
    assert!(first.get("tools").is_none());
    assert_eq!(first["messages"][1]["content"], "What is 2 + 3?");
    // Tokens and tool calls streamed into the run's live events.
    let progress: Vec<Value> = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e.kind {
            RunEventKind::StepProgress { data, .. } => Some(data),
            _ => None,
        })
        .collect();
    let text: String = progress
        .iter()
        .filter(|d| d["type"] == "token")
        .map(|d| d["text"].as_str().unwrap_or(""))
        .collect();
    assert!(text.ends_with("The sum is 5."), "{text}");
    assert!(
        progress
            .iter()
            .any(|d| d["type"] == "toolCall" && d["name"] == "add")
    );
    assert!(
        progress
            .iter()
            .any(|d| d["type"] == "toolResult" && d["ok"] == true)
    );
}

#[tokio::test]
async fn native_tool_calls_reach_an_http_endpoint_and_finish_with_structured_output() {
    let (shop, hits) = counting_endpoint().await;
    let m = serve(|body, _| {
        if mentions(body, "shipped") {
            Reply::Tools(vec![(
                "finish".into(),
                json!({"answer": {"status": "shipped", "escalate": false}}),
            )])
        } else {
            Reply::Tools(vec![("order_status".into(), json!({"orderId": "A-7"}))])
        }
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let run = h
        .run(
            agent_doc(json!({
                "baseUrl": format!("{}/v1", m.url), "model": "big",
                "message": "Where is order A-7?",
                "tools": [{
                    "name": "order_status", "description": "Order status by id.",
                    "parameters": {"type": "object", "properties": {"orderId": {"type": "string"}}, "required": ["orderId"]},
                    "http": {"method": "GET", "url": format!("{shop}/orders/{{{{ $json.orderId }}}}")},
                }],
                "outputSchema": {"type": "object", "properties": {"status": {"type": "string"}, "escalate": {"type": "boolean"}}, "required": ["status", "escalate"]},
            })),
            json!([{}]),
        )
        .await;
    let out = output(&run);
    assert_eq!(out["json"], json!({"status": "shipped", "escalate": false}));
    assert_eq!(out["stopReason"], "finish");
    assert_eq!(
        out["toolCalls"][0]["result"],
        json!({"order": "A-7", "status": "shipped"})
    );
    assert_eq!(hits.lock().unwrap().len(), 1);
    // Native tools were offered, finish among them, its answer typed by the output schema.
    let first = &m.requests()[0].body;
    let names: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["order_status", "finish"]);
    assert_eq!(
        first["tools"][1]["function"]["parameters"]["properties"]["answer"]["required"],
        json!(["status", "escalate"])
    );
    // The tool result went back as a tool message answering the call's id.
    let second = &m.requests()[1].body;
    let tool_msg = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("tool message");
    assert_eq!(tool_msg["tool_call_id"], "call_0_x");
}

#[tokio::test]
async fn a_workflow_tool_runs_as_a_child_run() {
    let m = serve(|body, _| {
        if mentions(body, "Result of the tool greet") {
            Reply::Text(r#"{"tool": "finish", "arguments": {"answer": "done"}}"#.into())
        } else {
            Reply::Text(r#"{"name": "greet", "parameters": {"who": "Ada"}}"#.into())
        }
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let child = json!({
        "apiVersion": "weft/v1", "name": "greeter",
        "nodes": [{"id": "hi", "type": "core.set@1", "params": {"fields": {"greeting": "Hello, {{ $json.who }}!"}}}],
        "edges": [],
    });
    let run = h
        .run(
            agent_doc(json!({
                "baseUrl": format!("{}/v1", m.url), "model": "m", "message": "Greet Ada", "toolMode": "json",
                "tools": [{"name": "greet", "description": "Greets someone.", "workflow": child,
                           "parameters": {"type": "object", "properties": {"who": {"type": "string"}}}}],
            })),
            json!([{}]),
        )
        .await;
    let out = output(&run);
    assert_eq!(out["answer"], "done");
    assert_eq!(
        out["toolCalls"][0]["result"],
        json!({"who": "Ada", "greeting": "Hello, Ada!"})
    );
    let children = h
        .engine
        .store()
        .list_runs(
            &h.scope,
            &weft_store_api::RunFilter {
                parent_run_id: Some(run.id),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .expect("children");
    assert_eq!(children.items.len(), 1);
    assert_eq!(children.items[0].workflow_name, "greeter");
}

#[tokio::test]
async fn a_malformed_call_gets_one_repair_prompt_then_the_error_port() {
    // Broken JSON every time: one repair, then the step fails into its error port.
    let m = serve(|_, _| Reply::Text(r#"{"tool": "add", "arguments": {"a": 2"#.into())).await;
    let h = Harness::new(LlmMode::Live).await;
    let doc = json!({
        "apiVersion": "weft/v1", "name": "repair",
        "nodes": [
            {"id": "agent", "type": "ai.agent@1", "params": {
                "baseUrl": format!("{}/v1", m.url), "model": "m", "message": "2+3?", "tools": [add_tool()], "toolMode": "json"}},
            {"id": "handled", "type": "core.set@1", "params": {"fields": {"handled": true}}},
        ],
        "edges": [{"from": {"node": "agent", "port": "error"}, "to": {"node": "handled"}}],
    });
    let run = h.run(doc, json!([{}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    let item = &run.output.expect("output")[0];
    assert_eq!(item["handled"], true);
    let err = &item["error"];
    assert_eq!(err["code"], "agent.malformed_tool_call");
    assert!(
        err["message"].as_str().unwrap().contains("not valid JSON"),
        "{err}"
    );
    let transcript = err["details"]["partial"]["transcript"].to_string();
    assert!(
        transcript.contains("Your last reply tried to call a tool"),
        "{transcript}"
    );
    assert_eq!(
        err["details"]["partial"]["usage"]["calls"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(m.count(), 2, "exactly one repair prompt");

    // Wrong arguments, repaired on the second try: the run goes on.
    let m = serve(|body, i| match i {
        0 => Reply::Text(r#"{"tool": "add", "arguments": {"a": "two"}}"#.into()),
        1 => {
            assert!(
                last_text(body).contains("/a"),
                "the repair prompt names the problem: {body}"
            );
            Reply::Text(r#"{"tool": "add", "arguments": {"a": 2, "b": 3}}"#.into())
        }
        _ => Reply::Text("5".into()),
    })
    .await;
    let run = h
        .run(
            agent_doc(json!({"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "2+3?", "tools": [add_tool()], "toolMode": "json", "finishTool": false})),
            json!([{}]),
        )
        .await;
    let out = output(&run);
    assert_eq!(out["answer"], "5");
    assert_eq!(m.count(), 3);
}

#[tokio::test]
async fn iterations_run_out_into_a_final_answer_or_an_error() {
    let m = serve(|body, _| {
        if body.get("tools").is_none() {
            Reply::Text("best effort".into())
        } else {
            Reply::Tools(vec![("add".into(), json!({"a": 1, "b": 1}))])
        }
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let params = |on: &str| {
        json!({"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "loop", "tools": [add_tool()],
               "maxIterations": 2, "onMaxIterations": on})
    };
    let out = output(&h.run(agent_doc(params("answer")), json!([{}])).await);
    assert_eq!(out["stopReason"], "maxIterations");
    assert_eq!(out["answer"], "best effort");
    assert_eq!(out["iterations"], 2);
    assert_eq!(m.count(), 3);
    let last = &m.requests()[2].body;
    assert!(last_text(last).contains("You have used all your tool calls"));
    let run = h.run(agent_doc(params("error")), json!([{}])).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.error.expect("error")["code"], "agent.max_iterations");
}

#[tokio::test]
async fn a_stop_pattern_ends_the_loop_and_structured_output_is_repaired_once() {
    let m = serve(|body, _| match body["model"].as_str().unwrap_or("") {
        "pattern" => {
            Reply::Text("DONE: 42 {\"tool\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}".into())
        }
        _ if body.get("response_format").is_some() && mentions(body, "does not follow") => {
            Reply::Text(r#"{"city": "Paris"}"#.into())
        }
        _ => Reply::Text("Paris, I think".into()),
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let out = output(
        &h.run(
            agent_doc(json!({"baseUrl": format!("{}/v1", m.url), "model": "pattern", "message": "go", "tools": [add_tool()], "stopPattern": "^DONE:"})),
            json!([{}]),
        )
        .await,
    );
    assert_eq!(out["stopReason"], "pattern");
    assert!(out["toolCalls"].as_array().unwrap().is_empty());
    // No tools and an output schema: response_format is sent; prose gets one schema repair.
    let out = output(
        &h.run(
            agent_doc(json!({"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "capital of France?",
                             "outputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}})),
            json!([{}]),
        )
        .await,
    );
    assert_eq!(out["json"], json!({"city": "Paris"}));
    let reqs = m.requests();
    let n = reqs.len();
    assert_eq!(
        reqs[n - 2].body["response_format"]["json_schema"]["schema"]["required"],
        json!(["city"])
    );
}

#[tokio::test]
async fn memory_keeps_a_thread_across_runs_with_window_and_summary() {
    let m = serve(|body, _| {
        let system = body["messages"][0]["content"].as_str().unwrap_or("");
        if system.starts_with("You summarize conversations") {
            return Reply::Text("Ada said her name and asked twice.".into());
        }
        let q = last_text(body);
        Reply::Text(format!("ack: {q}"))
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let params = |msg: &str, policy: &str| {
        json!({"baseUrl": format!("{}/v1", m.url), "model": "m", "system": "Be kind.", "message": msg,
               "memory": {"threadId": "{{ $json.user }}", "policy": policy, "window": 4}})
    };
    output(
        &h.run(
            agent_doc(params("My name is Ada.", "window")),
            json!([{"user": "ada"}]),
        )
        .await,
    );
    let out = output(
        &h.run(
            agent_doc(params("What is my name?", "window")),
            json!([{"user": "ada"}]),
        )
        .await,
    );
    assert_eq!(out["threadId"], "ada");
    let second = &m.requests()[1].body;
    let contents: Vec<&str> = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        [
            "Be kind.",
            "My name is Ada.",
            "ack: My name is Ada.",
            "What is my name?"
        ]
    );
    // Another thread knows nothing of it.
    output(
        &h.run(agent_doc(params("Hi", "window")), json!([{"user": "bob"}]))
            .await,
    );
    assert_eq!(
        m.requests()[2].body["messages"].as_array().unwrap().len(),
        2
    );
    // Third turn of ada under the summary policy: 4 messages are beyond... the window of 4
    // keeps the last 4; nothing older yet. Fourth turn: 6 messages, 2 get summarized.
    output(
        &h.run(
            agent_doc(params("Third.", "summary")),
            json!([{"user": "ada"}]),
        )
        .await,
    );
    let before = m.count();
    let out = output(
        &h.run(
            agent_doc(params("Fourth.", "summary")),
            json!([{"user": "ada"}]),
        )
        .await,
    );
    let reqs = m.requests();
    assert_eq!(reqs.len(), before + 2, "a summary call, then the turn");
    assert!(
        reqs[before].body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("user: My name is Ada.")
    );
    let turn = &reqs[before + 1].body;
    assert!(
        turn["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Summary of the conversation so far: Ada said her name and asked twice."),
        "{turn}"
    );
    assert_eq!(turn["messages"].as_array().unwrap().len(), 1 + 4 + 1);
    assert_eq!(out["usage"]["calls"].as_array().map(Vec::len), Some(2));
    let thread = h
        .engine
        .store()
        .load_thread(&h.scope, "ada", &ThreadQuery::default())
        .await
        .expect("load")
        .expect("thread");
    assert_eq!(
        thread.summary.as_deref(),
        Some("Ada said her name and asked twice.")
    );
    assert_eq!(thread.summarized_through, 2);
    assert_eq!(thread.last_seq, 8);
}

#[tokio::test]
async fn a_retried_step_does_not_repeat_completed_model_or_tool_calls() {
    let (shop, hits) = counting_endpoint().await;
    // Turn 0: a tool call; turn 1 (first time): 500; then the answer.
    let m = serve(|body, i| {
        if !mentions(body, "shipped") {
            Reply::Tools(vec![("order_status".into(), json!({"orderId": "B-1"}))])
        } else if i == 1 {
            Reply::Status(500, None, "boom".into())
        } else {
            Reply::Text("It shipped.".into())
        }
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let doc = json!({
        "apiVersion": "weft/v1", "name": "durable agent",
        "nodes": [{"id": "agent", "type": "ai.agent@1",
            "settings": {"retry": {"maxAttempts": 2, "initialInterval": "10ms"}},
            "params": {"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "B-1?", "finishTool": false,
                "retry": {"maxAttempts": 1},
                "tools": [{"name": "order_status", "description": "d",
                           "parameters": {"type": "object", "properties": {"orderId": {"type": "string"}}},
                           "http": {"method": "POST", "url": format!("{shop}/orders/{{{{ $json.orderId }}}}")}}]}}],
        "edges": [],
    });
    let run = h.run(doc, json!([{}])).await;
    let out = output(&run);
    assert_eq!(out["answer"], "It shipped.");
    // The model: turn 0 once (checkpointed), turn 1 twice (failed, then answered).
    assert_eq!(m.count(), 3);
    // The tool's side effect happened once: attempt 2 took its result from the checkpoint.
    assert_eq!(hits.lock().unwrap().len(), 1);
    assert_eq!(hits.lock().unwrap()[0]["body"], r#"{"orderId":"B-1"}"#);
    let calls = out["usage"]["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["fromCheckpoint"], true);
    assert_eq!(calls[1]["fromCheckpoint"], false);
    let journal = h
        .engine
        .store()
        .load_journal(&h.scope, run.id)
        .await
        .expect("journal");
    let keys: Vec<String> = journal
        .iter()
        .filter(|e| e.event_value()["type"] == "stepCheckpoint")
        .map(|e| e.event_value()["key"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys[0].starts_with("item/0/llm/0/"));
    assert!(keys[1].starts_with("item/0/tool/0/"));
    assert!(keys[2].starts_with("item/0/llm/1/"));
}

#[tokio::test]
async fn a_recorded_agent_run_replays_without_the_model() {
    let m = serve(|body, _| {
        if mentions(body, "Result of the tool add") {
            Reply::Text(r#"{"tool": "finish", "arguments": {"answer": "5"}}"#.into())
        } else {
            Reply::Text(r#"{"tool": "add", "arguments": {"a": 2, "b": 3}}"#.into())
        }
    })
    .await;
    let cassettes = tempfile::tempdir().expect("tmp");
    let params = |base: &str| json!({"baseUrl": base, "model": "m", "message": "2+3", "tools": [add_tool()], "toolMode": "structured", "temperature": 0});
    let rec = Harness::new(LlmMode::Record(cassettes.path().to_path_buf())).await;
    let live = output(
        &rec.run(agent_doc(params(&format!("{}/v1", m.url))), json!([{}]))
            .await,
    );
    let replay = Harness::new(LlmMode::Replay(cassettes.path().to_path_buf())).await;
    let again = output(
        &replay
            .run(agent_doc(params("http://127.0.0.1:9/v1")), json!([{}]))
            .await,
    );
    assert_eq!(again["answer"], "5");
    for k in ["answer", "json", "stopReason", "iterations", "transcript"] {
        assert_eq!(again[k], live[k], "{k}");
    }
    let without_time = |v: &Value| {
        let mut v = v.clone();
        for c in v.as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("durationMs");
        }
        v
    };
    assert_eq!(
        without_time(&again["toolCalls"]),
        without_time(&live["toolCalls"])
    );
    assert_eq!(m.count(), 2);
    // Structured mode constrained each turn to a tool call.
    let schema = &m.requests()[0].body["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["anyOf"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn bad_tool_definitions_fail_naming_the_param() {
    let h = Harness::new(LlmMode::Live).await;
    let cases = [
        (
            json!([{"name": "x", "description": "d", "node": {"type": "core.set@1"}}, {"name": "x", "description": "d", "node": {"type": "core.set@1"}}]),
            "/params/tools/1/name",
        ),
        (
            json!([{"name": "x", "description": "d"}]),
            "/params/tools/0",
        ),
        (
            json!([{"name": "x", "description": "d", "node": {"type": "no.such@1"}}]),
            "/params/tools/0/node/type",
        ),
        (
            json!([{"name": "x", "description": "d", "parameters": {"type": 5}, "node": {"type": "core.set@1"}}]),
            "/params/tools/0/parameters",
        ),
        (
            json!([{"name": "x", "description": "d", "node": {"type": "core.set@1", "params": {"fields": {"a": "{{ 1 + }}"}}}}]),
            "/params/tools/0/node/params/fields/a",
        ),
    ];
    for (tools, pointer) in cases {
        let run = h
            .run(
                agent_doc(json!({"baseUrl": "http://127.0.0.1:9/v1", "model": "m", "message": "x", "tools": tools})),
                json!([{}]),
            )
            .await;
        assert_eq!(run.status, RunStatus::Failed);
        let e = run.error.expect("error");
        assert_eq!(e["details"]["pointer"], pointer, "{e}");
    }
}
