//! Conversation memory: a thread's history for the next turn (a window of recent messages,
//! and a summary of older ones under the summary policy), and saving a turn's messages.

use super::params::{MemoryParams, MemoryPolicy};
use crate::chat::{ChatMessage, ChatRequest, Role};
use crate::durable::DurableCalls;
use crate::provider::CallOptions;
use crate::resilience::Fallback;
use serde_json::Value;
use weft_node_api::{LogLevel, NodeError, StepContext};

/// What a thread gives the next turn.
#[derive(Debug, Default)]
pub struct History {
    /// The summary of messages before the window.
    pub summary: Option<String>,
    /// The recent messages, oldest first.
    pub messages: Vec<ChatMessage>,
}

/// Where the window starts in `messages` (kept: the last `window`), moved forward past tool
/// results whose call fell outside it: a result must follow its call.
pub fn window_start(messages: &[ChatMessage], window: usize) -> usize {
    let mut start = messages.len().saturating_sub(window);
    while start < messages.len() && messages[start].role == Role::Tool {
        start += 1;
    }
    start
}

/// Loads the thread for this turn, leaving out what `source` (this step, in an earlier
/// attempt) saved. Under the summary policy, messages older than the window are summarized
/// by the model (a checkpointed call) and the thread's summary moves past them.
pub async fn load(
    ctx: &StepContext,
    memory: &MemoryParams,
    source: &str,
    summarizer: Option<(&DurableCalls<'_>, &Fallback, CallOptions<'_>, &ChatRequest)>,
) -> Result<History, NodeError> {
    let snapshot = ctx
        .services()
        .load_thread(ctx, &memory.thread_id, source)
        .await?;
    let mut seqs = Vec::new();
    let mut messages = Vec::new();
    for m in snapshot.messages {
        match serde_json::from_value::<ChatMessage>(m.message) {
            Ok(msg) => {
                seqs.push(m.seq);
                messages.push(msg);
            }
            Err(e) => ctx.log(
                LogLevel::Warn,
                format!(
                    "thread {:?}: message {} is not a chat message and was left out: {e}",
                    memory.thread_id, m.seq
                ),
            ),
        }
    }
    let start = window_start(&messages, memory.window);
    let mut summary = snapshot.summary;
    if memory.policy == MemoryPolicy::Summary
        && start > 0
        && let Some((calls, chain, options, template)) = summarizer
    {
        let older = &messages[..start];
        let mut request = template.clone();
        request.messages = summary_messages(summary.as_deref(), older);
        request.tools.clear();
        request.response_format = None;
        let response = calls.chat(chain, &request, options).await?;
        let text = response.content.trim().to_owned();
        if !text.is_empty() {
            ctx.services()
                .summarize_thread(ctx, &memory.thread_id, text.clone(), seqs[start - 1])
                .await?;
            ctx.log(
                LogLevel::Info,
                format!(
                    "thread {:?}: summarized {} older messages",
                    memory.thread_id, start
                ),
            );
            summary = Some(text);
        }
    }
    Ok(History {
        summary,
        messages: messages.split_off(start),
    })
}

/// The request that asks the model to fold older messages into the summary.
fn summary_messages(previous: Option<&str>, older: &[ChatMessage]) -> Vec<ChatMessage> {
    let mut text = String::new();
    if let Some(p) = previous {
        text.push_str(&format!("Summary so far:\n{p}\n\n"));
    }
    text.push_str("Conversation:\n");
    for m in older {
        let who = match m.role {
            Role::System => "system".to_owned(),
            Role::User => "user".to_owned(),
            Role::Assistant => "assistant".to_owned(),
            Role::Tool => format!("tool {}", m.name.as_deref().unwrap_or("")),
        };
        let mut line = m.content.clone();
        for c in &m.tool_calls {
            line.push_str(&format!(" [calls {} with {}]", c.name, c.arguments));
        }
        text.push_str(&format!("{who}: {line}\n"));
    }
    text.push_str("\nWrite the updated summary.");
    vec![
        ChatMessage::system(
            "You summarize conversations for an assistant's memory. Keep names, facts, \
             decisions, tool results that matter and open questions. Reply with the summary \
             only.",
        ),
        ChatMessage::user(text),
    ]
}

/// Saves a turn's messages to the thread (replacing what this step saved before).
pub async fn save(
    ctx: &StepContext,
    memory: &MemoryParams,
    source: &str,
    messages: &[ChatMessage],
) -> Result<(), NodeError> {
    let values: Vec<Value> = messages
        .iter()
        .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
        .collect();
    ctx.services()
        .save_thread(ctx, &memory.thread_id, source, values)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ToolCall;
    use serde_json::json;

    #[test]
    fn the_window_never_starts_with_an_orphaned_tool_result() {
        let call = ToolCall {
            id: "c".into(),
            name: "t".into(),
            arguments: json!({}),
        };
        let m = vec![
            ChatMessage::user("a"),
            ChatMessage {
                tool_calls: vec![call.clone()],
                ..ChatMessage::assistant("")
            },
            ChatMessage::tool_result(&call, "r1"),
            ChatMessage::tool_result(&call, "r2"),
            ChatMessage::assistant("done"),
        ];
        assert_eq!(window_start(&m, 10), 0);
        assert_eq!(window_start(&m, 4), 1);
        assert_eq!(
            window_start(&m, 3),
            4,
            "the results' call is cut: skip them"
        );
        assert_eq!(window_start(&m, 1), 4);
        assert_eq!(window_start(&[], 3), 0);
    }

    #[test]
    fn the_summary_request_lists_the_older_messages() {
        let call = ToolCall {
            id: "c".into(),
            name: "lookup".into(),
            arguments: json!({"q": 1}),
        };
        let m = summary_messages(
            Some("Ada likes tea."),
            &[
                ChatMessage::user("hi"),
                ChatMessage {
                    tool_calls: vec![call.clone()],
                    ..ChatMessage::assistant("")
                },
                ChatMessage::tool_result(&call, "42"),
            ],
        );
        let text = &m[1].content;
        assert!(
            text.starts_with("Summary so far:\nAda likes tea."),
            "{text}"
        );
        assert!(text.contains("user: hi\n"));
        assert!(text.contains("[calls lookup with {\"q\":1}]"));
        assert!(text.contains("tool lookup: 42"));
    }
}
