//! `ai.agent@1`: a tool-using agent.
//!
//! Per input item: the system prompt, the thread's memory and the message go to the model;
//! the tools it calls run (node types in-process, workflows as child runs, HTTP endpoints);
//! the results go back; until the model answers, calls `finish`, matches the stop pattern or
//! runs out of iterations. Every completed model and tool call is checkpointed
//! ([`crate::durable`]), so a crash or a retry resumes without repeating them.

pub mod memory;
pub mod params;
pub mod prompt;
pub mod run;
pub mod tools;

use crate::anthropic::{self, AnthropicProvider};
use crate::cassette::{Cassette, LlmMode};
use crate::openai::OpenAiProvider;
use crate::provider::ChatProvider;
use crate::resilience::{Fallback, Link, RetryPolicy, Retrying};
use async_trait::async_trait;
use params::{ModelParams, Params, ProviderKind};
use serde_json::{Map, Value};
use std::sync::Arc;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, ResolvedPorts, StepContext,
    StepResult,
};

/// The OpenAI API.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// `ai.agent@1`.
pub struct AgentNode {
    client: Result<reqwest::Client, String>,
    mode: LlmMode,
}

impl AgentNode {
    /// An agent node whose model calls are live, recorded or replayed as `mode` says.
    pub fn new(mode: LlmMode) -> Self {
        let client = reqwest::Client::builder()
            .user_agent(concat!("weft/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not set up the HTTP client: {e}"));
        AgentNode { client, mode }
    }

    /// The fallback chain of one item: the main model, then the `fallback` models, each with
    /// its retries (and cassette, when recording or replaying).
    pub async fn chain(&self, ctx: &StepContext, p: &Params) -> Result<Fallback, NodeError> {
        let main = ModelParams {
            model: p.model.clone(),
            provider: p.provider,
            base_url: p.base_url.clone(),
            credential: p.credential.clone(),
        };
        let policy = RetryPolicy {
            max_attempts: p.retry.max_attempts.max(1),
            initial: p.retry.initial_interval.as_duration(),
            max: p.retry.max_interval.as_duration(),
            ..RetryPolicy::default()
        };
        let mut links = Vec::new();
        for (i, m) in std::iter::once(&main).chain(&p.fallback).enumerate() {
            let at = if i == 0 {
                "/params".to_owned()
            } else {
                format!("/params/fallback/{}", i - 1)
            };
            let provider = self.provider(ctx, m, &at).await?;
            links.push(Link {
                provider: Arc::new(Retrying::new(provider, policy)),
                model: m.model.clone(),
            });
        }
        Ok(Fallback::new(links))
    }

    async fn provider(
        &self,
        ctx: &StepContext,
        m: &ModelParams,
        at: &str,
    ) -> Result<Arc<dyn ChatProvider>, NodeError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| NodeError::permanent("ai.client", e.clone()))?
            .clone();
        let mut kind = m.provider;
        let mut key = None;
        let mut cred_base = None;
        if let Some(id) = &m.credential {
            let cred = ctx.credential(id).await?;
            let (k, secret) = match cred.kind.as_str() {
                "openai" => (ProviderKind::Openai, cred.text("apiKey")?),
                "anthropic" => (ProviderKind::Anthropic, cred.text("apiKey")?),
                "bearer" => (ProviderKind::Openai, cred.text("token")?),
                other => {
                    return Err(NodeError::permanent(
                        "credential.kind",
                        format!(
                            "credential {:?} ({at}/credential) is of kind {other:?}; ai.agent takes openai {{apiKey}}, anthropic {{apiKey}} or bearer {{token}}",
                            cred.name
                        ),
                    ));
                }
            };
            kind = kind.or(Some(k));
            key = Some(secret.to_owned());
            cred_base = cred
                .fields
                .get("baseUrl")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        let kind = kind.unwrap_or(ProviderKind::Openai);
        let base = m.base_url.clone().or(cred_base);
        let provider: Arc<dyn ChatProvider> = match kind {
            ProviderKind::Openai => Arc::new(OpenAiProvider::new(
                client,
                base.as_deref().unwrap_or(OPENAI_BASE_URL),
                key,
            )),
            ProviderKind::Anthropic => Arc::new(AnthropicProvider::new(
                client,
                base.as_deref().unwrap_or(anthropic::DEFAULT_BASE_URL),
                key,
            )),
        };
        Ok(Cassette::wrap(provider, self.mode.clone()))
    }
}

#[async_trait]
impl NodeType for AgentNode {
    fn info(&self) -> &NodeTypeInfo {
        params::info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(weft_nodes::common::main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let raw_tools = ctx.params.get("tools").cloned().unwrap_or(Value::Null);
        let tools = tools::parse_tools(ctx, &raw_tools)?;
        let mut out = Vec::new();
        for i in 0..items.len().max(1) {
            let p: Params = ctx.params_for(items, i)?;
            out.push(run::run_agent(self, ctx, &p, &tools, &run::Invocation::item(i)).await?);
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
