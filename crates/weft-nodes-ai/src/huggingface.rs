//! `ai.huggingface@1`: text generation and embeddings through the Hugging Face Inference API,
//! or self-hosted Text Generation Inference (TGI) and Text Embeddings Inference (TEI) servers.

use crate::cassette::LlmMode;
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_model::Millis;
use weft_node_api::{
    LogLevel, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts,
    StepContext, StepResult,
};
use weft_nodes::common::{main_in_main_out, node_info, object_schema};

/// The hosted Inference API.
pub const DEFAULT_BASE_URL: &str = "https://api-inference.huggingface.co";

/// `ai.huggingface@1`: per item, generated text or an embedding vector.
#[derive(Debug)]
pub struct HuggingFaceNode {
    client: Result<reqwest::Client, String>,
    mode: LlmMode,
}

impl HuggingFaceNode {
    /// A node type that gets answers as `mode` says.
    pub fn new(mode: LlmMode) -> Self {
        let client = reqwest::Client::builder()
            .user_agent(concat!("weft/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not set up the HTTP client: {e}"));
        HuggingFaceNode { client, mode }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Task {
    TextGeneration,
    Embeddings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Api {
    /// POST {baseUrl}/models/{model}
    #[default]
    InferenceApi,
    /// POST {baseUrl}/generate (text generation) or {baseUrl}/embed (embeddings).
    SelfHosted,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    task: Task,
    input: String,
    #[serde(default)]
    api: Api,
    #[serde(default)]
    model: Option<String>,
    #[serde(default = "default_base_url")]
    base_url: String,
    #[serde(default)]
    credential: Option<String>,
    #[serde(default)]
    max_new_tokens: Option<u32>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default = "default_timeout")]
    timeout: Millis,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.into()
}
fn default_timeout() -> Millis {
    Millis(120_000)
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "task": "textGeneration",
            "model": "HuggingFaceTB/SmolLM2-135M-Instruct",
            "input": "Summarize: {{ $json.text }}",
            "maxNewTokens": 80,
            "credential": "cred-hf",
        });
        let schema = object_schema(
            "ai.huggingface params",
            json!({
                "task": { "enum": ["textGeneration", "embeddings"], "description": "Generate text, or compute an embedding vector of the input." },
                "input": { "type": "string", "description": "The prompt, or the text to embed." },
                "api": { "enum": ["inferenceApi", "selfHosted"], "default": "inferenceApi", "description": "inferenceApi: POST {baseUrl}/models/{model}; selfHosted: a TGI server (POST {baseUrl}/generate) or a TEI server (POST {baseUrl}/embed)." },
                "model": { "type": "string", "minLength": 1, "description": "Model id on the Hub (inferenceApi)." },
                "baseUrl": { "type": "string", "pattern": "^[hH][tT][tT][pP][sS]?://", "default": DEFAULT_BASE_URL, "description": "API root." },
                "credential": { "type": "string", "minLength": 1, "description": "Id of a credential of kind huggingface {token} or bearer {token}." },
                "maxNewTokens": { "type": "integer", "minimum": 1, "description": "Most generated tokens (textGeneration)." },
                "temperature": { "type": "number", "minimum": 0, "maximum": 5, "description": "Sampling temperature (textGeneration); 0 means greedy." },
                "seed": { "type": "integer", "minimum": 0, "description": "Sampling seed (textGeneration)." },
                "timeout": { "type": ["string", "integer"], "default": "2m", "description": "Time allowed for the request." },
            }),
            &["task", "input"],
            vec![example.clone(), json!({ "task": "embeddings", "api": "selfHosted", "baseUrl": "http://127.0.0.1:8081", "input": "{{ $json.title }}" })],
        );
        node_info(
            "ai.huggingface",
            "HuggingFace Agent",
            "AI",
            &format!(
                "Text generation or embeddings per item, through the Hugging Face Inference API or \
                 self-hosted TGI/TEI. Emits {{text}} or {{embedding, dimensions}}; a cold model (503 \
                 with estimated_time), 429 and 5xx are retryable. Example params: {example}"
            ),
            Purity::Effectful,
            schema,
        )
    })
}

fn request(p: &Params) -> Result<(String, String, Value), NodeError> {
    let base = p.base_url.trim_end_matches('/');
    let model_url = || {
        p.model
            .as_deref()
            .map(|m| format!("{base}/models/{m}"))
            .ok_or_else(|| {
                NodeError::invalid_params("/params/model", "the Inference API needs a model")
            })
    };
    let model_key = |task: &str| format!("/models/{}/{task}", p.model.as_deref().unwrap_or(""));
    Ok(match (p.task, p.api) {
        (Task::TextGeneration, api) => {
            let mut parameters = json!({ "return_full_text": false });
            if let Some(n) = p.max_new_tokens {
                parameters["max_new_tokens"] = json!(n);
            }
            match p.temperature {
                Some(t) if t > 0.0 => {
                    parameters["temperature"] = json!(t);
                    parameters["do_sample"] = json!(true);
                }
                Some(_) => parameters["do_sample"] = json!(false),
                None => {}
            }
            if let Some(s) = p.seed {
                parameters["seed"] = json!(s);
            }
            let body = json!({ "inputs": p.input, "parameters": parameters });
            match api {
                Api::InferenceApi => (model_url()?, model_key("generate"), body),
                Api::SelfHosted => (format!("{base}/generate"), "/generate".into(), body),
            }
        }
        (Task::Embeddings, Api::InferenceApi) => (
            model_url()?,
            model_key("embed"),
            json!({ "inputs": p.input }),
        ),
        (Task::Embeddings, Api::SelfHosted) => (
            format!("{base}/embed"),
            "/embed".into(),
            json!({ "inputs": p.input }),
        ),
    })
}

/// The generated text from a TGI object or an Inference API list.
fn generated_text(body: &Value) -> Option<&str> {
    body["generated_text"]
        .as_str()
        .or_else(|| body[0]["generated_text"].as_str())
}

/// One embedding vector from `[f…]`, `[[f…]]` or token-level `[[[f…]…]]` (mean-pooled).
fn embedding(body: &Value) -> Option<Vec<f64>> {
    let floats =
        |v: &Value| -> Option<Vec<f64>> { v.as_array()?.iter().map(Value::as_f64).collect() };
    if let Some(v) = floats(body) {
        return Some(v);
    }
    let first = body.get(0)?;
    if let Some(v) = floats(first) {
        return Some(v);
    }
    // Token vectors: average them.
    let rows: Vec<Vec<f64>> = first
        .as_array()?
        .iter()
        .map(floats)
        .collect::<Option<_>>()?;
    let width = rows.first()?.len();
    if rows.iter().any(|r| r.len() != width) {
        return None;
    }
    Some(
        (0..width)
            .map(|i| rows.iter().map(|r| r[i]).sum::<f64>() / rows.len() as f64)
            .collect(),
    )
}

#[async_trait]
impl NodeType for HuggingFaceNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let mut out = Vec::new();
        for i in 0..items.len().max(1) {
            let p: Params = ctx.params_for(items, i)?;
            let (url, key_path, body) = request(&p)?;
            let token = match &p.credential {
                Some(id) => {
                    let cred = ctx.credential(id).await?;
                    match cred.kind.as_str() {
                        "huggingface" | "bearer" => Some(cred.text("token")?.to_string()),
                        other => {
                            return Err(NodeError::permanent(
                                "credential.kind",
                                format!(
                                    "credential {:?} is of kind {other:?}; ai.huggingface takes huggingface {{token}} or bearer {{token}}",
                                    cred.name
                                ),
                            ));
                        }
                    }
                }
                None => None,
            };
            let (status, resp, retry_after) = crate::transport::post_json(
                &self.client,
                &self.mode,
                ctx,
                crate::transport::Call {
                    key_path: &key_path,
                    url,
                    body: &body,
                    token: token.as_deref(),
                    timeout: p.timeout,
                    endpoint: &p.base_url,
                },
            )
            .await?;
            if !(200..300).contains(&status) {
                return Err(crate::transport::status_error(status, &resp, retry_after));
            }
            let unexpected = |what: &str| {
                NodeError::permanent("ai.invalid_response", format!("the answer holds no {what}"))
                    .with_details(json!({ "body": resp }))
            };
            out.push(match p.task {
                Task::TextGeneration => {
                    let text = generated_text(&resp).ok_or_else(|| unexpected("generated_text"))?;
                    ctx.log(
                        LogLevel::Info,
                        format!("generated {} characters", text.len()),
                    );
                    json!({ "text": text, "model": p.model })
                }
                Task::Embeddings => {
                    let v = embedding(&resp).ok_or_else(|| unexpected("embedding vector"))?;
                    json!({ "dimensions": v.len(), "embedding": v, "model": p.model })
                }
            });
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_of_every_shape() {
        assert_eq!(embedding(&json!([1.0, 2.0])), Some(vec![1.0, 2.0]));
        assert_eq!(embedding(&json!([[1.0, 2.0]])), Some(vec![1.0, 2.0]));
        assert_eq!(
            embedding(&json!([[[1.0, 2.0], [3.0, 4.0]]])),
            Some(vec![2.0, 3.0])
        );
        assert_eq!(embedding(&json!([[[1.0], [3.0, 4.0]]])), None);
        assert_eq!(embedding(&json!({"x": 1})), None);
    }
}
