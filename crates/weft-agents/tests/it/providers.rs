//! Both providers against the scripted server: streaming with usage, headers, error classes,
//! retries honouring Retry-After, fallback, cancellation mid-stream, timeouts, record/replay.

use crate::model::{Reply, serve};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use weft_agents::anthropic::AnthropicProvider;
use weft_agents::cassette::{Cassette, LlmMode};
use weft_agents::chat::{ChatMessage, ChatRequest, Usage};
use weft_agents::openai::OpenAiProvider;
use weft_agents::provider::{CallOptions, ChatProvider};
use weft_agents::resilience::{Fallback, Link, RetryPolicy, Retrying};
use weft_node_api::ErrorKind;

fn request(model: &str) -> ChatRequest {
    let mut r = ChatRequest::new(
        model,
        vec![ChatMessage::system("be brief"), ChatMessage::user("hi")],
    );
    r.max_tokens = Some(16);
    r
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Calls with a token sink; returns the response and the streamed pieces.
async fn streamed(
    p: &dyn ChatProvider,
    req: &ChatRequest,
) -> (
    Result<weft_agents::chat::ChatResponse, weft_node_api::NodeError>,
    Vec<String>,
) {
    let pieces = Mutex::new(Vec::new());
    let sink = |t: &str| pieces.lock().unwrap().push(t.to_owned());
    let cancel = CancellationToken::new();
    let r = p
        .chat(
            req,
            CallOptions {
                cancel: &cancel,
                on_token: Some(&sink),
                timeout: Duration::from_secs(10),
            },
        )
        .await;
    (r, pieces.into_inner().unwrap())
}

async fn plain(
    p: &dyn ChatProvider,
    req: &ChatRequest,
) -> Result<weft_agents::chat::ChatResponse, weft_node_api::NodeError> {
    let cancel = CancellationToken::new();
    p.chat(
        req,
        CallOptions {
            cancel: &cancel,
            on_token: None,
            timeout: Duration::from_secs(10),
        },
    )
    .await
}

#[tokio::test]
async fn openai_streams_tokens_with_usage_and_sends_the_key() {
    let m = serve(|_, _| Reply::Text("Hello there friend".into())).await;
    let p = OpenAiProvider::new(client(), &format!("{}/v1", m.url), Some("sk-test".into()));
    let (r, pieces) = streamed(&p, &request("gpt-x")).await;
    let r = r.expect("answer");
    assert_eq!(r.content, "Hello there friend");
    assert_eq!(pieces, ["Hello ", "there ", "friend"]);
    assert_eq!(
        r.usage,
        Usage {
            prompt_tokens: 12,
            completion_tokens: 3
        }
    );
    assert_eq!((r.model.as_str(), r.provider.as_str()), ("gpt-x", "openai"));
    assert_eq!(r.finish_reason.as_deref(), Some("stop"));
    let seen = &m.requests()[0];
    assert_eq!(seen.body["stream"], true);
    assert_eq!(seen.body["stream_options"], json!({"include_usage": true}));
    assert_eq!(seen.headers["authorization"], "Bearer sk-test");
    // Without a sink: one JSON body.
    let r = plain(&p, &request("gpt-x")).await.expect("answer");
    assert_eq!(r.content, "Hello there friend");
    assert!(m.requests()[1].body.get("stream").is_none());
}

#[tokio::test]
async fn openai_streams_native_tool_calls() {
    let m = serve(|_, _| {
        Reply::Tools(vec![(
            "lookup".into(),
            json!({"id": "42", "deep": {"x": [1, 2]}}),
        )])
    })
    .await;
    let p = OpenAiProvider::new(client(), &format!("{}/v1", m.url), None);
    let (r, _) = streamed(&p, &request("m")).await;
    let r = r.expect("answer");
    assert_eq!(r.tool_calls.len(), 1);
    assert_eq!(r.tool_calls[0].name, "lookup");
    assert_eq!(r.tool_calls[0].id, "call_0_x");
    assert_eq!(
        r.tool_calls[0].arguments,
        json!({"id": "42", "deep": {"x": [1, 2]}})
    );
    assert!(m.requests()[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn anthropic_streams_and_answers_with_its_headers_and_usage() {
    let m = serve(|_, _| Reply::Text("Bonjour tout le monde".into())).await;
    let p = AnthropicProvider::new(client(), &m.url, Some("ak-test".into()));
    let (r, pieces) = streamed(&p, &request("claude-x")).await;
    let r = r.expect("answer");
    assert_eq!(r.content, "Bonjour tout le monde");
    assert_eq!(pieces.concat(), "Bonjour tout le monde");
    assert_eq!(
        r.usage,
        Usage {
            prompt_tokens: 12,
            completion_tokens: 4
        }
    );
    assert_eq!(r.finish_reason.as_deref(), Some("end_turn"));
    let seen = &m.requests()[0];
    assert_eq!(seen.path, "/v1/messages");
    assert_eq!(seen.headers["x-api-key"], "ak-test");
    assert_eq!(seen.headers["anthropic-version"], "2023-06-01");
    assert_eq!(seen.body["system"], "be brief");
    assert_eq!(seen.body["max_tokens"], 16);
    let r = plain(&p, &request("claude-x")).await.expect("answer");
    assert_eq!(r.content, "Bonjour tout le monde");
    assert_eq!(r.provider, "anthropic");
    // A base URL given with /v1 works the same.
    let p = AnthropicProvider::new(client(), &format!("{}/v1/", m.url), None);
    assert!(plain(&p, &request("c")).await.is_ok());
}

#[tokio::test]
async fn statuses_are_transient_or_permanent_and_quote_the_provider() {
    let m = serve(|body, _| match body["model"].as_str().unwrap_or("") {
        "limited" => Reply::Status(
            429,
            Some("3".into()),
            r#"{"error":{"message":"rate limited"}}"#.into(),
        ),
        "broken" => Reply::Status(502, None, "bad gateway".into()),
        _ => Reply::Status(
            404,
            None,
            r#"{"error":{"message":"model `nope` does not exist"}}"#.into(),
        ),
    })
    .await;
    let p = OpenAiProvider::new(client(), &format!("{}/v1", m.url), None);
    let e = plain(&p, &request("limited")).await.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Transient, "ai.status")
    );
    assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
    assert!(
        e.message.contains("HTTP 429: rate limited"),
        "{}",
        e.message
    );
    assert!(
        plain(&p, &request("broken"))
            .await
            .unwrap_err()
            .is_transient()
    );
    let e = plain(&p, &request("nope")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert!(e.message.contains("does not exist"), "{}", e.message);
    assert_eq!(e.details["status"], 404);
    let down = OpenAiProvider::new(client(), "http://127.0.0.1:9/v1", None);
    let e = plain(&down, &request("m")).await.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Transient, "ai.network")
    );
}

#[tokio::test]
async fn retries_back_off_honour_retry_after_and_stop_at_permanent_errors() {
    // 429 (Retry-After: 1 s), then 503, then an answer.
    let m = serve(|body, i| match (body["model"].as_str().unwrap_or(""), i) {
        ("flaky", 0) => Reply::Status(429, Some("1".into()), "slow down".into()),
        ("flaky", 1) => Reply::Status(503, None, "overloaded".into()),
        ("flaky", _) => Reply::Text("finally".into()),
        _ => Reply::Status(400, None, "bad request".into()),
    })
    .await;
    let base: Arc<dyn ChatProvider> = Arc::new(OpenAiProvider::new(
        client(),
        &format!("{}/v1", m.url),
        None,
    ));
    let policy = RetryPolicy {
        max_attempts: 4,
        initial: Duration::from_millis(10),
        multiplier: 2.0,
        max: Duration::from_millis(50),
        jitter: 0.5,
    };
    let p = Retrying::new(base.clone(), policy);
    let t0 = Instant::now();
    let r = plain(&p, &request("flaky"))
        .await
        .expect("answer after retries");
    assert_eq!(r.content, "finally");
    assert_eq!(m.count(), 3);
    assert!(
        t0.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    // A permanent error is not retried.
    let e = plain(&p, &request("bad")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert_eq!(m.count(), 4);
    // Attempts run out on a transient error: it is returned, saying how many were made.
    let always = serve(|_, _| Reply::Status(500, None, "down".into())).await;
    let p = Retrying::new(
        Arc::new(OpenAiProvider::new(
            client(),
            &format!("{}/v1", always.url),
            None,
        )),
        RetryPolicy {
            max_attempts: 3,
            ..policy
        },
    );
    let e = plain(&p, &request("m")).await.unwrap_err();
    assert!(e.is_transient());
    assert_eq!(always.count(), 3);
    assert_eq!(e.details["attempts"], 3);
}

#[tokio::test]
async fn a_fallback_chain_moves_on_until_a_model_answers() {
    let m = serve(|body, _| match body["model"].as_str().unwrap_or("") {
        "primary" => Reply::Status(404, None, r#"{"error":{"message":"gone"}}"#.into()),
        "secondary" => Reply::Status(503, None, "overloaded".into()),
        _ => Reply::Text("from the backup".into()),
    })
    .await;
    let openai: Arc<dyn ChatProvider> = Arc::new(OpenAiProvider::new(
        client(),
        &format!("{}/v1", m.url),
        None,
    ));
    let anthropic: Arc<dyn ChatProvider> = Arc::new(AnthropicProvider::new(client(), &m.url, None));
    let chain = Fallback::new(vec![
        Link {
            provider: openai.clone(),
            model: "primary".into(),
        },
        Link {
            provider: openai.clone(),
            model: "secondary".into(),
        },
        Link {
            provider: anthropic,
            model: "backup".into(),
        },
    ]);
    let cancel = CancellationToken::new();
    let opts = CallOptions {
        cancel: &cancel,
        on_token: None,
        timeout: Duration::from_secs(5),
    };
    let r = chain
        .chat(&request("ignored"), opts)
        .await
        .expect("the backup answers");
    assert_eq!(
        (r.content.as_str(), r.model.as_str(), r.provider.as_str()),
        ("from the backup", "backup", "anthropic")
    );
    let paths: Vec<String> = m.requests().iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/v1/chat/completions",
            "/v1/chat/completions",
            "/v1/messages"
        ]
    );
    // Every link failing: the last error, naming the chain.
    let chain = Fallback::new(vec![
        Link {
            provider: openai.clone(),
            model: "primary".into(),
        },
        Link {
            provider: openai,
            model: "secondary".into(),
        },
    ]);
    let e = chain.chat(&request("x"), opts).await.unwrap_err();
    assert!(
        e.message
            .contains("every model of the fallback chain failed: primary, secondary"),
        "{}",
        e.message
    );
    assert_eq!(e.details["fallbacks"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn cancellation_stops_a_stream_midway_promptly() {
    for anthropic in [false, true] {
        let m = serve(|_, _| Reply::Hang(vec!["first ".into(), "second ".into()])).await;
        let p: Box<dyn ChatProvider> = if anthropic {
            Box::new(AnthropicProvider::new(client(), &m.url, None))
        } else {
            Box::new(OpenAiProvider::new(
                client(),
                &format!("{}/v1", m.url),
                None,
            ))
        };
        let cancel = CancellationToken::new();
        let got = Mutex::new(String::new());
        let sink = |t: &str| {
            got.lock().unwrap().push_str(t);
            if got.lock().unwrap().contains("second") {
                cancel.cancel();
            }
        };
        let req = request("m");
        let call = p.chat(
            &req,
            CallOptions {
                cancel: &cancel,
                on_token: Some(&sink),
                timeout: Duration::from_secs(60),
            },
        );
        let r = tokio::time::timeout(Duration::from_secs(5), call)
            .await
            .expect("the call returned once cancelled, without waiting for the stream");
        let e = r.unwrap_err();
        assert_eq!(e.code, "cancelled", "{e:?}");
        assert_eq!(*got.lock().unwrap(), "first second ");
    }
}

#[tokio::test]
async fn a_stream_that_stalls_times_out_as_a_transient_error() {
    let m = serve(|_, _| Reply::Hang(vec!["partial".into()])).await;
    let p = OpenAiProvider::new(client(), &format!("{}/v1", m.url), None);
    let cancel = CancellationToken::new();
    let sink = |_: &str| {};
    let e = p
        .chat(
            &request("m"),
            CallOptions {
                cancel: &cancel,
                on_token: Some(&sink),
                timeout: Duration::from_millis(300),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Transient, "ai.timeout")
    );
}

#[tokio::test]
async fn a_recorded_call_replays_identically_without_the_server() {
    let m = serve(|_, _| Reply::Text("recorded words here".into())).await;
    let dir = tempfile::tempdir().expect("tmp");
    let live: Arc<dyn ChatProvider> = Arc::new(OpenAiProvider::new(
        client(),
        &format!("{}/v1", m.url),
        Some("k".into()),
    ));
    let rec = Cassette::wrap(live, LlmMode::Record(dir.path().to_path_buf()));
    let (first, pieces) = streamed(rec.as_ref(), &request("m")).await;
    let first = first.expect("live");
    // Replay: the endpoint is closed; the same request answers from the cassette, streaming
    // the same pieces.
    let gone: Arc<dyn ChatProvider> =
        Arc::new(OpenAiProvider::new(client(), "http://127.0.0.1:9/v1", None));
    let replay = Cassette::wrap(gone, LlmMode::Replay(dir.path().to_path_buf()));
    let (again, replayed_pieces) = streamed(replay.as_ref(), &request("m")).await;
    assert_eq!(again.expect("replayed"), first);
    assert_eq!(replayed_pieces, pieces);
    // Another request was never recorded.
    let e = plain(replay.as_ref(), &request("other")).await.unwrap_err();
    assert_eq!(e.code, "ai.cassette");
    assert!(e.message.contains("WEFT_LLM_MODE=record"), "{}", e.message);
    assert_eq!(m.count(), 1);
}
