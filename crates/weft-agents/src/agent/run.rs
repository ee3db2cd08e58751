//! The agent loop: one agent answering one message (an item of `ai.agent`, or one member of a
//! multi-agent strategy).

use super::AgentNode;
use super::memory;
use super::params::{OnMaxIterations, Params, ToolErrors, ToolMode};
use super::prompt::{self, FINISH};
use super::tools::{Tool, result_text};
use crate::chat::{ChatMessage, ChatRequest, ChatResponse, ResponseFormat, ToolChoice, ToolSpec};
use crate::durable::DurableCalls;
use crate::provider::CallOptions;
use crate::resilience::Fallback;
use crate::toolcall::{self, Parsed, schema_problems};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use weft_node_api::{LogLevel, NodeError, StepContext};

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// A turn called no tool.
    Answer,
    /// The `finish` tool.
    Finish,
    /// The stop pattern matched.
    Pattern,
    /// The last turn after the iterations ran out.
    MaxIterations,
}

impl Stop {
    fn as_str(self) -> &'static str {
        match self {
            Stop::Answer => "answer",
            Stop::Finish => "finish",
            Stop::Pattern => "pattern",
            Stop::MaxIterations => "maxIterations",
        }
    }
}

/// Tokens on their way to the run's live events, sent in small batches (at most every 100 ms
/// or 256 bytes) so a fast model does not flood event streams.
struct Tokens<'a> {
    ctx: &'a StepContext,
    inv: &'a Invocation,
    buf: Mutex<(String, Instant)>,
}

impl<'a> Tokens<'a> {
    fn new(ctx: &'a StepContext, inv: &'a Invocation) -> Self {
        Tokens {
            ctx,
            inv,
            buf: Mutex::new((String::new(), Instant::now())),
        }
    }
    fn push(&self, text: &str) {
        let mut b = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        b.0.push_str(text);
        if b.0.len() >= 256 || b.1.elapsed() >= Duration::from_millis(100) {
            let text = std::mem::take(&mut b.0);
            b.1 = Instant::now();
            drop(b);
            self.send(text);
        }
    }
    fn flush(&self) {
        let text = std::mem::take(&mut self.buf.lock().unwrap_or_else(|p| p.into_inner()).0);
        if !text.is_empty() {
            self.send(text);
        }
    }
    fn send(&self, text: String) {
        self.ctx
            .progress(self.inv.event(json!({ "type": "token", "text": text })));
    }
}

fn with_partial(mut e: NodeError, partial: Value) -> NodeError {
    let mut details = match std::mem::take(&mut e.details) {
        Value::Object(m) => m,
        Value::Null => Default::default(),
        other => {
            let mut m = serde_json::Map::new();
            m.insert("cause".into(), other);
            m
        }
    };
    details.insert("partial".into(), partial);
    e.details = Value::Object(details);
    e
}

/// Which agent run this is within its step.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The input item.
    pub item: usize,
    /// Unique within the step: names its checkpoints, its tool calls' nested steps and child
    /// runs, and its memory source (e.g. `item/0`, `item/0/voter/2`).
    pub scope: String,
    /// The agent's name within a strategy.
    pub agent: Option<String>,
}

impl Invocation {
    /// The plain agent of item `item`.
    pub fn item(item: usize) -> Self {
        Invocation {
            item,
            scope: format!("item/{item}"),
            agent: None,
        }
    }

    /// A progress event, tagged with the item and the agent.
    pub fn event(&self, mut data: Value) -> Value {
        if let Some(m) = data.as_object_mut() {
            m.insert("item".into(), json!(self.item));
            if let Some(a) = &self.agent {
                m.insert("agent".into(), json!(a));
            }
        }
        data
    }
}

/// Runs one agent; returns its output item.
pub async fn run_agent(
    node: &AgentNode,
    ctx: &StepContext,
    p: &Params,
    tools: &[Tool],
    inv: &Invocation,
) -> Result<Value, NodeError> {
    let calls =
        DurableCalls::new(ctx, inv.scope.clone()).with_cache(p.cache.map(|c| c.ttl_seconds));
    let chain = node.chain(ctx, p).await?;
    let stop_re = match &p.stop_pattern {
        Some(s) => Some(regex::Regex::new(s).map_err(|e| {
            NodeError::invalid_params(
                "/params/stopPattern",
                format!("not a regular expression: {e}"),
            )
        })?),
        None => None,
    };
    if let Some(schema) = &p.output_schema
        && let Err(e) = jsonschema::validator_for(schema)
    {
        return Err(NodeError::invalid_params(
            "/params/outputSchema",
            format!("not a valid JSON Schema: {e}"),
        ));
    }
    let mode = p.tool_mode;
    let native = matches!(mode, ToolMode::Auto | ToolMode::Native);
    let mut specs: Vec<ToolSpec> = tools.iter().map(|t| t.spec.clone()).collect();
    let finish = !tools.is_empty() && (p.finish_tool || mode == ToolMode::Structured);
    if finish {
        if specs.iter().any(|s| s.name == FINISH) {
            return Err(NodeError::invalid_params(
                "/params/tools",
                "a tool is named \"finish\", which the finish tool uses; rename it or set finishTool: false",
            ));
        }
        specs.push(prompt::finish_spec(p.output_schema.as_ref()));
    }
    let forced = match p.tool_choice.as_deref() {
        None | Some("auto") => None,
        Some("required") => Some(ToolChoice::Required),
        Some(name) if specs.iter().any(|s| s.name == name) => {
            Some(ToolChoice::Tool(name.to_owned()))
        }
        Some(name) => {
            return Err(NodeError::invalid_params(
                "/params/toolChoice",
                format!("there is no tool {name:?}; give auto, required or a tool's name"),
            ));
        }
    };

    let tokens = Tokens::new(ctx, inv);
    let sink = |t: &str| tokens.push(t);
    let options = CallOptions {
        cancel: &ctx.cancel,
        on_token: p.stream.then_some(&sink as _),
        timeout: p.timeout.as_duration(),
    };
    let template = base_request(&chain, p);

    // Memory.
    let source = format!("{}/{}", ctx.idempotency_key, inv.scope);
    let history = match &p.memory {
        Some(m) => {
            memory::load(ctx, m, &source, Some((&calls, &chain, options, &template))).await?
        }
        None => memory::History::default(),
    };

    let mut system = p.system.clone().unwrap_or_default();
    if !specs.is_empty() && !native {
        if !system.is_empty() {
            system.push_str("\n\n");
        }
        system.push_str(&prompt::tool_instructions(&specs));
    }
    if let Some(summary) = &history.summary {
        if !system.is_empty() {
            system.push_str("\n\n");
        }
        system.push_str(&format!("Summary of the conversation so far: {summary}"));
    }
    let mut conversation = Vec::new();
    if !system.is_empty() {
        conversation.push(ChatMessage::system(system));
    }
    conversation.extend(history.messages);
    let user = ChatMessage::user(p.message.clone());
    conversation.push(user.clone());
    // This turn's messages, for memory: without repair prompts or malformed replies.
    let mut turn = vec![user];
    let mut tool_log: Vec<Value> = Vec::new();

    let partial = |conversation: &[ChatMessage], tool_log: &[Value]| {
        json!({
            "transcript": conversation,
            "toolCalls": tool_log,
            "usage": calls.usage_json(),
        })
    };

    let mut iterations = 0u32;
    let mut turns = 0u32;
    let mut repairing = false;
    let mut last: Option<ChatResponse>;
    let (answer_value, stop) = loop {
        let final_turn = !specs.is_empty() && iterations >= p.max_iterations;
        if final_turn && p.on_max_iterations == OnMaxIterations::Error {
            return Err(with_partial(
                NodeError::permanent(
                    "agent.max_iterations",
                    format!(
                        "the agent did not finish within {} iterations",
                        p.max_iterations
                    ),
                ),
                partial(&conversation, &tool_log),
            ));
        }
        let mut request = template.clone();
        let mut messages = prompt::render(&conversation, mode);
        if final_turn && !repairing {
            messages.push(ChatMessage::user(if mode == ToolMode::Structured {
                prompt::FINAL_TURN_FINISH
            } else {
                prompt::FINAL_TURN
            }));
        }
        request.messages = messages;
        let first = turns == 0;
        if !specs.is_empty() {
            let offered: Vec<&ToolSpec> = if final_turn {
                specs.iter().filter(|s| s.name == FINISH).collect()
            } else {
                match (&forced, first) {
                    (Some(ToolChoice::Tool(name)), true) => {
                        specs.iter().filter(|s| &s.name == name).collect()
                    }
                    _ => specs.iter().collect(),
                }
            };
            match mode {
                ToolMode::Auto | ToolMode::Native if !final_turn => {
                    request.tools = specs.clone();
                    request.tool_choice = match (&forced, first) {
                        (Some(ToolChoice::Tool(n)), true) => ToolChoice::Tool(n.clone()),
                        (Some(ToolChoice::Required), _) => ToolChoice::Required,
                        _ => ToolChoice::Auto,
                    };
                }
                ToolMode::Structured if !offered.is_empty() => {
                    request.response_format = Some(ResponseFormat {
                        name: "tool_call".into(),
                        schema: prompt::turn_schema(&offered),
                    });
                }
                _ => {}
            }
        } else if let Some(schema) = &p.output_schema {
            request.response_format = Some(ResponseFormat {
                name: "answer".into(),
                schema: schema.clone(),
            });
        }
        let response = calls
            .chat(&chain, &request, options)
            .await
            .map_err(|e| with_partial(e, partial(&conversation, &tool_log)));
        tokens.flush();
        let response = response?;
        turns += 1;
        last = Some(response.clone());

        if let Some(re) = &stop_re
            && re.is_match(&response.content)
        {
            conversation.push(ChatMessage::assistant(response.content.clone()));
            turn.push(ChatMessage::assistant(response.content.clone()));
            break (Value::String(response.content.clone()), Stop::Pattern);
        }
        let offered_now: Vec<ToolSpec> = if final_turn {
            specs.iter().filter(|s| s.name == FINISH).cloned().collect()
        } else {
            specs.clone()
        };
        let parsed = if offered_now.is_empty() {
            Parsed::Answer
        } else {
            match toolcall::parse(&response, &offered_now) {
                // Constrained turns must call a tool: prose there is a malformed call.
                Parsed::Answer if mode == ToolMode::Structured => Parsed::Malformed(vec![
                    "the reply is not a tool call {\"tool\": …, \"arguments\": …}".into(),
                ]),
                other => other,
            }
        };
        match parsed {
            Parsed::Malformed(problems) => {
                ctx.log(
                    LogLevel::Warn,
                    format!("malformed tool call: {}", problems.join("; ")),
                );
                if repairing {
                    let mut conv = conversation.clone();
                    conv.push(ChatMessage::assistant(response.content.clone()));
                    return Err(with_partial(
                        NodeError::permanent(
                            "agent.malformed_tool_call",
                            format!(
                                "the model's tool call was still malformed after a repair prompt: {}",
                                problems.join("; ")
                            ),
                        )
                        .with_details(json!({ "problems": problems, "reply": response.content, "toolCalls": response.tool_calls })),
                        partial(&conv, &tool_log),
                    ));
                }
                repairing = true;
                let mut attempted = response.content.clone();
                for c in &response.tool_calls {
                    attempted.push_str(&format!(
                        "\n{}",
                        json!({ "tool": c.name, "arguments": c.arguments })
                    ));
                }
                conversation.push(ChatMessage::assistant(attempted));
                conversation.push(ChatMessage::user(prompt::repair_prompt(&problems, mode)));
                continue;
            }
            Parsed::Answer => {
                let stop = if final_turn {
                    Stop::MaxIterations
                } else {
                    Stop::Answer
                };
                conversation.push(ChatMessage::assistant(response.content.clone()));
                turn.push(ChatMessage::assistant(response.content.clone()));
                break (Value::String(response.content.clone()), stop);
            }
            Parsed::Calls(requested) => {
                repairing = false;
                if let Some(f) = requested.iter().find(|c| c.name == FINISH) {
                    let answer = f.arguments.get("answer").cloned().unwrap_or(Value::Null);
                    let text = match &answer {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    conversation.push(ChatMessage::assistant(text.clone()));
                    turn.push(ChatMessage::assistant(text));
                    let stop = if final_turn {
                        Stop::MaxIterations
                    } else {
                        Stop::Finish
                    };
                    break (answer, stop);
                }
                iterations += 1;
                let assistant = ChatMessage {
                    tool_calls: requested.clone(),
                    ..ChatMessage::assistant(response.content.clone())
                };
                conversation.push(assistant.clone());
                turn.push(assistant);
                for (j, call) in requested.iter().enumerate() {
                    let Some(tool) = tools.iter().find(|t| t.spec.name == call.name) else {
                        continue; // the parser only lets known tools through
                    };
                    ctx.progress(inv.event(json!({ "type": "toolCall", "name": call.name, "arguments": call.arguments })));
                    let slot = format!("tools/{}/{iterations}/{j}", inv.scope);
                    let started = Instant::now();
                    let result = calls
                        .effect(
                            "tool",
                            &json!({ "name": call.name, "arguments": call.arguments }),
                            tool.call(ctx, &slot, call),
                        )
                        .await;
                    let ms = started.elapsed().as_millis() as u64;
                    let (text, entry) = match result {
                        Ok(v) => (
                            result_text(&v, p.max_tool_result_chars),
                            json!({ "name": call.name, "arguments": call.arguments, "result": v, "iteration": iterations, "durationMs": ms }),
                        ),
                        Err(e) if e.code == "cancelled" => return Err(e),
                        Err(e) if p.tool_errors == ToolErrors::Fail => {
                            tool_log.push(json!({ "name": call.name, "arguments": call.arguments, "error": e.to_item()["error"], "iteration": iterations }));
                            return Err(with_partial(
                                NodeError {
                                    message: format!("tool {:?} failed: {}", call.name, e.message),
                                    ..e
                                },
                                partial(&conversation, &tool_log),
                            ));
                        }
                        Err(e) => (
                            json!({ "error": e.message }).to_string(),
                            json!({ "name": call.name, "arguments": call.arguments, "error": e.to_item()["error"], "iteration": iterations, "durationMs": ms }),
                        ),
                    };
                    ctx.progress(inv.event(json!({ "type": "toolResult", "name": call.name, "ok": entry.get("error").is_none() })));
                    tool_log.push(entry);
                    let result = ChatMessage::tool_result(call, text);
                    conversation.push(result.clone());
                    turn.push(result);
                }
            }
        }
    };

    // Structured output.
    let mut answer_value = answer_value;
    let mut json_out = Value::Null;
    if let Some(schema) = &p.output_schema {
        let mut value = structured(&answer_value);
        let mut problems = match &value {
            Some(v) => schema_problems(schema, v),
            None => vec!["the answer is not JSON".to_owned()],
        };
        if !problems.is_empty() {
            // One more turn, constrained to the schema where the provider can.
            let mut request = template.clone();
            let mut messages = prompt::render(&conversation, mode);
            messages.push(ChatMessage::user(prompt::schema_repair_prompt(&problems)));
            request.messages = messages;
            request.response_format = Some(ResponseFormat {
                name: "answer".into(),
                schema: schema.clone(),
            });
            let response = calls
                .chat(&chain, &request, options)
                .await
                .map_err(|e| with_partial(e, partial(&conversation, &tool_log)));
            tokens.flush();
            let response = response?;
            last = Some(response.clone());
            answer_value = Value::String(response.content.clone());
            value = structured(&answer_value);
            problems = match &value {
                Some(v) => schema_problems(schema, v),
                None => vec!["the answer is not JSON".to_owned()],
            };
            if !problems.is_empty() {
                let mut conv = conversation.clone();
                conv.push(ChatMessage::assistant(response.content.clone()));
                return Err(with_partial(
                    NodeError::permanent(
                        "agent.invalid_output",
                        format!(
                            "the final answer does not follow the output schema: {}",
                            problems.join("; ")
                        ),
                    )
                    .with_details(json!({ "problems": problems, "answer": response.content })),
                    partial(&conv, &tool_log),
                ));
            }
            // The corrected answer replaces the last one in memory.
            turn.pop();
            turn.push(ChatMessage::assistant(response.content.clone()));
            conversation.push(ChatMessage::assistant(response.content));
        }
        json_out = value.unwrap_or(Value::Null);
    }
    let answer = match (&json_out, &answer_value) {
        (Value::Null, Value::String(s)) => s.clone(),
        (Value::Null, other) => other.to_string(),
        (v, _) => v.to_string(),
    };

    if let Some(m) = &p.memory {
        memory::save(ctx, m, &source, &turn).await?;
    }
    let model = last.as_ref().map(|r| r.model.clone()).unwrap_or_default();
    let usage = calls.usage();
    ctx.log(
        LogLevel::Info,
        format!(
            "{} model calls, {} iterations, stopped by {}; {} prompt + {} completion tokens",
            calls.calls().len(),
            iterations,
            stop.as_str(),
            usage.prompt_tokens,
            usage.completion_tokens
        ),
    );
    Ok(json!({
        "answer": answer,
        "json": json_out,
        "stopReason": stop.as_str(),
        "iterations": iterations,
        "toolCalls": tool_log,
        "transcript": conversation,
        "usage": calls.usage_json(),
        "model": model,
        "threadId": p.memory.as_ref().map(|m| m.thread_id.clone()),
    }))
}

/// The answer as JSON: a value the finish tool gave, or text that parses (fences removed).
fn structured(answer: &Value) -> Option<Value> {
    match answer {
        Value::String(s) => serde_json::from_str(prompt::strip_fence(s)).ok(),
        other => Some(other.clone()),
    }
}

/// The request every turn starts from: the main model and the sampling params.
fn base_request(chain: &Fallback, p: &Params) -> ChatRequest {
    let model = chain
        .links()
        .first()
        .map(|l| l.model.clone())
        .unwrap_or_else(|| p.model.clone());
    let mut r = ChatRequest::new(model, Vec::new());
    r.temperature = p.temperature;
    r.seed = p.seed;
    r.max_tokens = p.max_tokens;
    r.stop = p.stop.clone();
    r
}
