//! Against the real small model (SmolLM2-135M through llama.cpp's server, started by the test
//! on a free port of 127.0.0.1 with ../shared/llm/serve.sh). One model process serves every
//! check, in order; answers are kept short (the model makes ~100 tokens/s on CI).

use crate::{Harness, agent_doc, drain, output};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use weft_agents::anthropic::AnthropicProvider;
use weft_agents::chat::{ChatMessage, ChatRequest, ResponseFormat};
use weft_agents::openai::OpenAiProvider;
use weft_agents::provider::{CallOptions, ChatProvider};
use weft_engine::RunEventKind;

/// The model server, stopped when dropped.
struct Model {
    pid: u32,
    root: String,
}

impl Drop for Model {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg(self.pid.to_string())
            .status();
    }
}

fn start_model() -> Model {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    // The project's sibling `shared/` folder, wherever the clone is; WEFT_LLM_SERVE overrides.
    let candidates = [
        std::env::var_os("WEFT_LLM_SERVE").map(std::path::PathBuf::from),
        Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/llm/serve.sh")),
        Some(std::path::PathBuf::from("/work/shared/llm/serve.sh")),
    ];
    let script = candidates
        .into_iter()
        .flatten()
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!("LLM TESTS NEED ../shared/llm/serve.sh (or WEFT_LLM_SERVE=path): not found")
        });
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg(port.to_string())
        .output()
        .unwrap_or_else(|e| panic!("LLM TESTS NEED {}: cannot run it: {e}", script.display()));
    assert!(
        out.status.success(),
        "LLM TESTS NEED THE SMALL MODEL: {} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let pid = String::from_utf8_lossy(&out.stdout)
        .trim()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("serve.sh prints the server's PID");
    Model {
        pid,
        root: format!("http://127.0.0.1:{port}"),
    }
}

fn opts<'a>(
    cancel: &'a CancellationToken,
    sink: Option<&'a (dyn Fn(&str) + Send + Sync)>,
) -> CallOptions<'a> {
    CallOptions {
        cancel,
        on_token: sink,
        timeout: Duration::from_secs(120),
    }
}

fn ask(text: &str, max_tokens: u32) -> ChatRequest {
    let mut r = ChatRequest::new(
        "smollm2",
        vec![
            ChatMessage::system("You are a helpful assistant. Answer briefly."),
            ChatMessage::user(text),
        ],
    );
    r.temperature = Some(0.0);
    r.max_tokens = Some(max_tokens);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_model_through_both_adapters_and_an_agent() {
    let model = start_model();
    let client = reqwest::Client::new();
    let openai = OpenAiProvider::new(client.clone(), &format!("{}/v1", model.root), None);
    let anthropic = AnthropicProvider::new(client, &model.root, None);
    let cancel = CancellationToken::new();

    // Plain chat.
    let r = openai
        .chat(&ask("Say hello.", 8), opts(&cancel, None))
        .await
        .expect("plain chat");
    assert!(!r.content.trim().is_empty(), "{r:?}");
    assert!(
        r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0,
        "{r:?}"
    );

    // Streaming, with usage from the last chunk.
    let pieces = Mutex::new(Vec::<String>::new());
    let sink = |t: &str| pieces.lock().unwrap().push(t.to_owned());
    let r = openai
        .chat(
            &ask("Count from one to five.", 16),
            opts(&cancel, Some(&sink)),
        )
        .await
        .expect("streamed chat");
    let pieces = pieces.into_inner().unwrap();
    assert!(pieces.len() > 1, "the answer came in pieces: {pieces:?}");
    assert_eq!(pieces.concat(), r.content);
    assert!(
        r.usage.completion_tokens > 0,
        "usage arrived with the stream: {r:?}"
    );
    assert!(r.usage.prompt_tokens > 0, "{r:?}");

    // Structured output: the grammar-constrained answer parses and follows the schema.
    let schema = json!({
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
    });
    let mut req = ask("Name one city in France and its country, as JSON.", 40);
    req.response_format = Some(ResponseFormat {
        name: "place".into(),
        schema: schema.clone(),
    });
    let r = openai
        .chat(&req, opts(&cancel, None))
        .await
        .expect("structured");
    let v: Value = serde_json::from_str(&r.content).expect("structured output parses");
    assert!(v["city"].is_string() && v["country"].is_string(), "{v}");

    // The Anthropic adapter against the same server's /v1/messages: plain and streamed.
    let r = anthropic
        .chat(&ask("Say hi.", 8), opts(&cancel, None))
        .await
        .expect("anthropic plain");
    assert!(!r.content.trim().is_empty(), "{r:?}");
    assert!(
        r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0,
        "{r:?}"
    );
    let pieces = Mutex::new(String::new());
    let sink = |t: &str| pieces.lock().unwrap().push_str(t);
    let r = anthropic
        .chat(&ask("Name a color.", 8), opts(&cancel, Some(&sink)))
        .await
        .expect("anthropic streamed");
    assert_eq!(*pieces.lock().unwrap(), r.content);
    assert!(
        r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0,
        "{r:?}"
    );
    assert_eq!(r.finish_reason.as_deref(), Some("max_tokens"));

    // Cancellation mid-stream: a long answer stops at the first tokens.
    for provider in [&openai as &dyn ChatProvider, &anthropic] {
        let stop = CancellationToken::new();
        let got = Mutex::new(0usize);
        let sink = |_: &str| {
            *got.lock().unwrap() += 1;
            stop.cancel();
        };
        let req = ask("Write a long story about a dragon.", 400);
        let call = provider.chat(&req, opts(&stop, Some(&sink)));
        let e = tokio::time::timeout(Duration::from_secs(20), call)
            .await
            .expect("a cancelled call returns at once")
            .expect_err("cancelled");
        assert_eq!(e.code, "cancelled", "{} : {e:?}", provider.kind());
        assert!(*got.lock().unwrap() >= 1);
    }

    // An agent with a tool, through the engine: structured mode makes every turn a valid tool
    // call; the first turn must call the tool, the second (its last) must finish.
    let h = Harness::new(weft_agents::LlmMode::Live).await;
    let mut events = h.engine.subscribe();
    let run = h
        .run(
            agent_doc(json!({
                "baseUrl": format!("{}/v1", model.root), "model": "smollm2",
                "system": "You answer questions about the weather. Use the weather tool.",
                "message": "What is the weather in {{ $json.city }}?",
                "tools": [{
                    "name": "weather", "description": "The current weather of a city.",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false},
                    "node": {"type": "core.set@1", "params": {"fields": {"forecast": "sunny, 21 C"}}},
                }],
                "toolMode": "structured", "toolChoice": "weather", "maxIterations": 1,
                "temperature": 0, "maxTokens": 60,
            })),
            json!([{"city": "Paris"}]),
        )
        .await;
    let out = output(&run);
    assert_eq!(out["toolCalls"][0]["name"], "weather", "{out}");
    assert!(
        out["toolCalls"][0]["arguments"]["city"].is_string(),
        "{out}"
    );
    assert_eq!(out["toolCalls"][0]["result"]["forecast"], "sunny, 21 C");
    assert!(
        out["answer"].as_str().is_some_and(|a| !a.is_empty()),
        "{out}"
    );
    assert_eq!(out["stopReason"], "maxIterations");
    let calls = out["usage"]["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), 2, "{out}");
    assert!(out["usage"]["promptTokens"].as_u64().unwrap() > 0);
    let streamed: String = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e.kind {
            RunEventKind::StepProgress { data, .. } if data["type"] == "token" => {
                data["text"].as_str().map(str::to_owned)
            }
            _ => None,
        })
        .collect();
    assert!(
        streamed.contains("\"tool\""),
        "the turns streamed: {streamed}"
    );

    // A three-agent consensus at temperature > 0 with distinct seeds.
    let run = h
        .run(
            json!({"apiVersion": "weft/v1", "name": "live consensus", "edges": [], "nodes": [{
                "id": "vote", "type": "ai.consensus@1", "params": {
                    "baseUrl": format!("{}/v1", model.root), "model": "smollm2",
                    "temperature": 0.8, "maxTokens": 20,
                    "system": "You classify the sentiment of reviews.",
                    "message": "Review: {{ $json.review }}",
                    "labels": ["positive", "negative"],
                    "voters": [{"name": "a", "seed": 11}, {"name": "b", "seed": 22}, {"name": "c", "seed": 33}],
                    "judge": {"temperature": 0}, "onNoQuorum": "judge",
                }}]}),
            json!([{"review": "I love it, it works great!"}]),
        )
        .await;
    let out = output(&run);
    assert!(
        ["positive", "negative"].contains(&out["winner"].as_str().unwrap_or("")),
        "{out}"
    );
    let counted: u64 = out["table"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["votes"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 3, "every voter voted: {out}");
    let voters: Vec<&str> = out["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["voter"].as_str().unwrap())
        .collect();
    assert_eq!(voters, ["a", "b", "c"]);

    // A supervisor run: the router may call the researcher once, then must finish.
    let run = h
        .run(
            json!({"apiVersion": "weft/v1", "name": "live supervisor", "edges": [], "nodes": [{
                "id": "lead", "type": "ai.supervisor@1", "params": {
                    "baseUrl": format!("{}/v1", model.root), "model": "smollm2",
                    "temperature": 0, "maxTokens": 60, "maxHops": 1,
                    "message": "Give one fact about the Moon.",
                    "router": {"name": "router", "system": "Keep inputs under ten words."},
                    "agents": [{"name": "researcher", "description": "Knows facts about space.", "maxTokens": 30}],
                }}]}),
            json!([{}]),
        )
        .await;
    let out = output(&run);
    assert!(
        ["finish", "hopLimit"].contains(&out["stopReason"].as_str().unwrap_or("")),
        "{out}"
    );
    assert!(out["hops"].as_array().unwrap().len() <= 1, "{out}");
    assert!(out["answer"].is_string(), "{out}");
    assert!(
        out["usage"]["calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["agent"] == "router")
    );

    // A budget cuts a sequential run off midway: the per-run limit holds the first agent's
    // worst case but not what it really spent plus the second's, so the second call is
    // refused before it is made and the first answer reaches the error port.
    let first = ChatRequest::new("smollm2", vec![ChatMessage::user("Say hi.")]);
    let limit = weft_agents::durable::estimate_prompt_tokens(&first) + 16 + 1;
    h.engine
        .store()
        .put_budget(
            &h.scope,
            &weft_store_api::llm::Budget {
                id: "live".into(),
                name: "live per-run".into(),
                scope: weft_store_api::llm::BudgetScope::Organization,
                scope_id: None,
                window: weft_store_api::llm::BudgetWindow::Run,
                max_tokens: Some(limit),
                max_cost_nanos: None,
                created_at: chrono::Utc::now(),
                updated_at: chrono::Utc::now(),
            },
        )
        .await
        .expect("budget");
    let run = h
        .run(
            json!({"apiVersion": "weft/v1", "name": "live budget", "nodes": [
                {"id": "relay", "type": "ai.sequential@1", "params": {
                    "baseUrl": format!("{}/v1", model.root), "model": "smollm2",
                    "temperature": 0, "maxTokens": 16, "message": "Say hi.",
                    "agents": [{"name": "first"}, {"name": "second"}, {"name": "third"}]}},
                {"id": "over", "type": "core.set@1", "params": {"fields": {"cutOff": true}}}],
              "edges": [{"from": {"node": "relay", "port": "error"}, "to": {"node": "over"}}]}),
            json!([{}]),
        )
        .await;
    let item = &output(&run);
    assert_eq!(item["cutOff"], true, "{item}");
    let err = &item["error"];
    assert_eq!(err["code"], "budget_exceeded", "{err}");
    let steps = err["details"]["partial"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{err}");
    assert!(!steps[0]["answer"].as_str().unwrap().is_empty(), "{err}");
    let calls = h
        .engine
        .store()
        .list_llm_calls(&h.scope, &run.id.to_string())
        .await
        .expect("calls");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].prompt_tokens > 0 && calls[0].completion_tokens > 0);
    assert!(!calls[0].priced, "smollm2 has no price: cost 0, flagged");
    drop(model);
}
