//! Against the real small model, started by the test on a free port of 127.0.0.1.

use crate::{city_params, complete};
use weft_nodes_ai::LlmMode;

/// The model server, stopped when dropped.
struct Model {
    pid: u32,
    url: String,
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
        url: format!("http://127.0.0.1:{port}/v1"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_model_answers_in_the_requested_shape_and_replays_exactly() {
    let model = start_model();
    let dir = match std::env::var_os("WEFT_RECORD_CASSETTES") {
        Some(_) => crate::cassettes(),
        None => tempfile::tempdir().expect("tmp").keep(),
    };
    let live = complete(LlmMode::Record(dir.clone()), city_params(&model.url))
        .await
        .expect("the model answers");
    let answer = &live[0];
    let json = answer["json"]
        .as_object()
        .expect("structured output is parsed");
    assert!(
        json["city"].is_string() && json["country"].is_string(),
        "{answer}"
    );
    assert!(
        answer["usage"]["promptTokens"].as_u64().unwrap() > 0,
        "{answer}"
    );
    assert!(
        answer["usage"]["completionTokens"].as_u64().unwrap() > 0,
        "{answer}"
    );
    let plain = complete(
        LlmMode::Live,
        serde_json::json!({ "baseUrl": model.url, "model": "smollm2", "prompt": "Say hello.", "maxTokens": 8, "temperature": 0 }),
    )
    .await
    .expect("a plain answer");
    assert!(plain[0]["content"].as_str().is_some_and(|c| !c.is_empty()));
    assert!(plain[0]["json"].is_null());
    drop(model);

    // With the server gone, the recording answers the same request identically.
    let replayed = complete(LlmMode::Replay(dir), city_params("http://127.0.0.1:9/v1"))
        .await
        .expect("replayed");
    assert_eq!(replayed, live);
}
