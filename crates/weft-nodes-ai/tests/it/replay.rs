//! From the committed cassettes: deterministic, no network.

use crate::{cassettes, city_params, complete};
use serde_json::json;
use weft_nodes_ai::LlmMode;

#[tokio::test]
async fn a_recorded_exchange_replays_without_network() {
    // Port 9 (discard) is closed: any network use would fail.
    let out = complete(
        LlmMode::Replay(cassettes()),
        city_params("http://127.0.0.1:9/v1"),
    )
    .await
    .expect("the committed cassette answers");
    let answer = &out[0];
    assert!(answer["json"]["city"].is_string(), "{answer}");
    assert!(answer["json"]["country"].is_string(), "{answer}");
    assert!(answer["usage"]["totalTokens"].as_u64().unwrap() > 0);
    // Replays are identical.
    let again = complete(
        LlmMode::Replay(cassettes()),
        city_params("http://127.0.0.1:9/v1"),
    )
    .await
    .unwrap();
    assert_eq!(again, out);
}

#[tokio::test]
async fn an_unrecorded_request_fails_clearly_in_replay() {
    let dir = tempfile::tempdir().unwrap();
    let err = complete(
        LlmMode::Replay(dir.path().to_path_buf()),
        json!({ "baseUrl": "http://127.0.0.1:9/v1", "model": "m", "prompt": "never recorded" }),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "ai.cassette");
    assert!(
        err.message.contains("no recorded response"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("WEFT_LLM_MODE=record"),
        "{}",
        err.message
    );
}
