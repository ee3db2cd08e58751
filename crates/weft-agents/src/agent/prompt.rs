//! What the agent says to the model besides the user's words: tool instructions for models
//! without native tools, the schema that constrains a structured turn, repair prompts, and the
//! conversation rendered for the chosen tool mode.

use super::params::ToolMode;
use crate::chat::{ChatMessage, Role, ToolSpec};
use serde_json::{Value, json};

/// The name of the tool that ends the loop.
pub const FINISH: &str = "finish";

/// The `finish` tool: its `answer` is the final answer (following the output schema, if any).
pub fn finish_spec(output_schema: Option<&Value>) -> ToolSpec {
    let answer = match output_schema {
        Some(s) => s.clone(),
        None => json!({ "type": "string", "description": "The final answer." }),
    };
    ToolSpec {
        name: FINISH.into(),
        description: "Give the final answer and stop.".into(),
        parameters: json!({
            "type": "object",
            "properties": { "answer": answer },
            "required": ["answer"],
            "additionalProperties": false,
        }),
    }
}

/// The system-prompt section that describes tools to a model that calls them in its text.
pub fn tool_instructions(tools: &[ToolSpec]) -> String {
    let mut s = String::from("You can use these tools:\n");
    for t in tools {
        s.push_str(&format!(
            "- {}: {} Arguments (JSON Schema): {}\n",
            t.name,
            t.description.trim(),
            t.parameters
        ));
    }
    s.push_str(
        "To use a tool, reply with only a JSON object: {\"tool\": \"<name>\", \"arguments\": {…}}.",
    );
    if tools.iter().any(|t| t.name == FINISH) {
        s.push_str(" When you know the final answer, use the tool \"finish\".");
    }
    s
}

/// The response-format schema of a structured turn: exactly one call to one of `tools`.
pub fn turn_schema(tools: &[&ToolSpec]) -> Value {
    let options: Vec<Value> = tools
        .iter()
        .map(|t| {
            json!({
                "type": "object",
                "properties": { "tool": { "const": t.name }, "arguments": t.parameters },
                "required": ["tool", "arguments"],
                "additionalProperties": false,
            })
        })
        .collect();
    match options.len() {
        1 => options.into_iter().next().unwrap_or(Value::Null),
        _ => json!({ "anyOf": options }),
    }
}

/// The one repair prompt after a malformed tool call.
pub fn repair_prompt(problems: &[String], mode: ToolMode) -> String {
    let list = problems
        .iter()
        .map(|p| format!("- {p}"))
        .collect::<Vec<_>>()
        .join("\n");
    let how = match mode {
        ToolMode::Auto | ToolMode::Native => "Call the tool again with correct arguments",
        ToolMode::Json | ToolMode::Structured => {
            "Reply with only a corrected JSON object {\"tool\": \"<name>\", \"arguments\": {…}}"
        }
    };
    format!(
        "Your last reply tried to call a tool, but the call is not valid:\n{list}\n{how}, or give your final answer."
    )
}

/// The prompt of the last turn once the iterations have run out.
pub const FINAL_TURN: &str =
    "You have used all your tool calls. Give your final answer now, without calling any tool.";

/// The prompt of the last turn in structured mode (only `finish` is allowed).
pub const FINAL_TURN_FINISH: &str =
    "You have used all your tool calls. Give your final answer now with the tool \"finish\".";

/// The prompt asking for the answer again in the output schema's shape.
pub fn schema_repair_prompt(problems: &[String]) -> String {
    format!(
        "Your answer does not follow the required JSON Schema:\n{}\nGive your final answer again as JSON only, following the schema.",
        problems
            .iter()
            .map(|p| format!("- {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// The conversation as a model in `mode` gets it. Native modes get it as is; in `json` and
/// `structured` modes (models without tool support) a tool call becomes the assistant's JSON
/// text and a tool result a user message.
pub fn render(conversation: &[ChatMessage], mode: ToolMode) -> Vec<ChatMessage> {
    if matches!(mode, ToolMode::Auto | ToolMode::Native) {
        return conversation.to_vec();
    }
    conversation
        .iter()
        .map(|m| match m.role {
            Role::Assistant if !m.tool_calls.is_empty() => {
                let calls: Vec<Value> = m
                    .tool_calls
                    .iter()
                    .map(|c| json!({ "tool": c.name, "arguments": c.arguments }))
                    .collect();
                let text = match calls.len() {
                    1 => calls[0].to_string(),
                    _ => Value::Array(calls).to_string(),
                };
                ChatMessage::assistant(text)
            }
            Role::Tool => ChatMessage::user(format!(
                "Result of the tool {}: {}",
                m.name.as_deref().unwrap_or("?"),
                m.content
            )),
            _ => m.clone(),
        })
        .collect()
}

/// The text of a JSON answer, without a Markdown fence around it.
pub fn strip_fence(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let body = rest.split_once('\n').map(|(_, b)| b).unwrap_or(rest);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ToolCall;

    #[test]
    fn tool_calls_render_as_text_for_models_without_tools() {
        let call = ToolCall {
            id: "c".into(),
            name: "weather".into(),
            arguments: json!({"city": "Nice"}),
        };
        let conv = vec![
            ChatMessage::user("q"),
            ChatMessage {
                tool_calls: vec![call.clone()],
                ..ChatMessage::assistant("")
            },
            ChatMessage::tool_result(&call, "{\"t\":20}"),
        ];
        assert_eq!(render(&conv, ToolMode::Native), conv);
        let r = render(&conv, ToolMode::Structured);
        assert_eq!(
            r[1],
            ChatMessage::assistant(r#"{"tool":"weather","arguments":{"city":"Nice"}}"#)
        );
        assert_eq!(
            r[2],
            ChatMessage::user("Result of the tool weather: {\"t\":20}")
        );
    }

    #[test]
    fn a_structured_turn_allows_exactly_the_offered_calls() {
        let w = ToolSpec {
            name: "weather".into(),
            description: "d".into(),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
        };
        let f = finish_spec(None);
        let schema = turn_schema(&[&w, &f]);
        let v = jsonschema::validator_for(&schema).unwrap();
        assert!(v.is_valid(&json!({"tool": "weather", "arguments": {"city": "x"}})));
        assert!(v.is_valid(&json!({"tool": "finish", "arguments": {"answer": "done"}})));
        assert!(!v.is_valid(&json!({"tool": "weather", "arguments": {}})));
        assert!(!v.is_valid(&json!({"tool": "other", "arguments": {}})));
        let only = turn_schema(&[&f]);
        assert_eq!(only["properties"]["tool"]["const"], "finish");
    }

    #[test]
    fn fences_come_off_json_answers() {
        assert_eq!(strip_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_fence("  {\"a\":1} "), "{\"a\":1}");
        assert_eq!(strip_fence("```\n[1]\n```"), "[1]");
    }
}
