//! Tolerant tool-call parsing: what the model asked for, whichever way it asked.
//!
//! Large hosted models answer with native `tool_calls`; small local ones write the call into
//! their text — as bare JSON, in a fenced ```json block, inside `<tool_call>` tags, or in the
//! middle of a sentence. Accepted shapes, alone, in a list or under `tool_calls`:
//! `{"tool": NAME, "arguments": {…}}`, `{"name": NAME, "arguments" | "parameters": {…}}`,
//! `{"function": {"name": NAME, "arguments": …}}`, `{"action": NAME, "action_input": {…}}`;
//! arguments may be a JSON object or a string holding one. Every call is checked: the tool
//! must exist and its arguments must follow its JSON Schema. Anything that tries to be a call
//! and fails is [`Parsed::Malformed`], with problems a model can act on (the agent sends one
//! repair prompt); text that is no call at all is an answer.

use crate::chat::{ChatResponse, ToolCall, ToolSpec};
use serde_json::{Map, Value};

/// What a model's turn amounts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// No tool call: the text is an answer.
    Answer,
    /// Well-formed calls to known tools with valid arguments, in order.
    Calls(Vec<ToolCall>),
    /// An attempt at a call that is wrong; each problem says what and where.
    Malformed(Vec<String>),
}

/// Keys that name the tool, by how sure they are to mean a call.
const NAME_KEYS: &[&str] = &["tool", "tool_name", "toolName", "action", "name"];
/// Keys that hold the arguments.
const ARG_KEYS: &[&str] = &[
    "arguments",
    "parameters",
    "args",
    "input",
    "action_input",
    "tool_input",
];

/// Parses a model's turn against the tools it was offered.
pub fn parse(response: &ChatResponse, tools: &[ToolSpec]) -> Parsed {
    let mut problems = Vec::new();
    let mut calls = Vec::new();
    if !response.tool_calls.is_empty() {
        for (i, c) in response.tool_calls.iter().enumerate() {
            let raw = Raw {
                name: Some(c.name.clone()),
                arguments: Some(c.arguments.clone()),
                id: Some(c.id.clone()),
            };
            match check(raw, i, tools) {
                Ok(call) => calls.push(call),
                Err(p) => problems.extend(p),
            }
        }
    } else {
        let mut raws = Vec::new();
        for text in candidates(&response.content) {
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => shapes(&v, tools, &mut raws),
                Err(e) if looks_like_a_call(&text) => {
                    problems.push(format!("the tool call is not valid JSON: {e}"));
                }
                Err(_) => {}
            }
        }
        for (i, raw) in raws.into_iter().enumerate() {
            match check(raw, i, tools) {
                Ok(call) => calls.push(call),
                Err(p) => problems.extend(p),
            }
        }
    }
    if !problems.is_empty() {
        Parsed::Malformed(problems)
    } else if calls.is_empty() {
        Parsed::Answer
    } else {
        Parsed::Calls(calls)
    }
}

/// A call as found, before checking.
#[derive(Debug)]
struct Raw {
    name: Option<String>,
    arguments: Option<Value>,
    id: Option<String>,
}

fn looks_like_a_call(text: &str) -> bool {
    ARG_KEYS
        .iter()
        .chain(["\"tool\"", "tool_calls", "\"function\""].iter())
        .any(|k| text.contains(k))
}

/// The JSON texts in a message worth trying, most explicit first: fenced blocks and
/// `<tool_call>` tags; else the whole text when it is JSON; else the balanced `{…}`/`[…]`
/// spans found in the prose.
fn candidates(content: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let body_start = after.find('\n').map(|i| i + 1).unwrap_or(after.len());
        let lang = after[..body_start].trim().to_ascii_lowercase();
        let body = &after[body_start..];
        let end = body.find("```").unwrap_or(body.len());
        if lang.is_empty() || lang.contains("json") || lang.contains("tool") {
            out.push(body[..end].trim().to_owned());
        }
        rest = &body[(end + 3).min(body.len())..];
    }
    let mut rest = content;
    while let Some(start) = rest.find("<tool_call>") {
        let body = &rest[start + "<tool_call>".len()..];
        let end = body.find("</tool_call>").unwrap_or(body.len());
        out.push(body[..end].trim().to_owned());
        rest = &body[(end + "</tool_call>".len()).min(body.len())..];
    }
    if !out.is_empty() {
        return out;
    }
    let trimmed = content.trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return vec![trimmed.to_owned()];
    }
    balanced_spans(content)
}

/// Top-level `{…}` and `[…]` spans, brackets balanced outside JSON strings. An unclosed span
/// runs to the end (so it is reported as invalid JSON if it looks like a call).
fn balanced_spans(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'{' {
            i += 1;
            continue;
        }
        let start = i;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut end = None;
        while i < bytes.len() {
            let b = bytes[i];
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        let stop = end.unwrap_or(bytes.len());
        out.push(text[start..stop].to_owned());
        i = stop;
    }
    out
}

fn text_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

/// Finds calls in a JSON value of any accepted shape.
fn shapes(v: &Value, tools: &[ToolSpec], out: &mut Vec<Raw>) {
    match v {
        Value::Array(items) => {
            for item in items {
                if item.is_object() {
                    shapes(item, tools, out);
                }
            }
        }
        Value::Object(m) => {
            if let Some(inner) = m.get("tool_calls").or_else(|| m.get("toolCalls")) {
                return shapes(inner, tools, out);
            }
            if let Some(inner @ Value::Object(_)) = m.get("tool_call") {
                return shapes(inner, tools, out);
            }
            if let Some(Value::Object(f)) = m.get("function") {
                out.push(Raw {
                    name: text_of(f.get("name")),
                    arguments: ARG_KEYS.iter().find_map(|k| f.get(*k)).cloned(),
                    id: text_of(m.get("id")),
                });
                return;
            }
            let name_key = NAME_KEYS
                .iter()
                .find(|k| m.get(**k).is_some_and(Value::is_string));
            let arguments = ARG_KEYS.iter().find_map(|k| m.get(*k)).cloned();
            let Some(&name_key) = name_key else {
                return;
            };
            let name = text_of(m.get(name_key));
            let known = name
                .as_deref()
                .is_some_and(|n| tools.iter().any(|t| t.name == n));
            // `{"name": "Ada", "age": 3}` is data, not a call: a bare `name` needs arguments
            // or a known tool; the explicit keys (`tool`, `action`, …) always mean a call.
            let is_call = match name_key {
                "name" => arguments.is_some() || (known && m.len() == 1),
                _ => true,
            };
            if is_call {
                out.push(Raw {
                    name,
                    arguments,
                    id: text_of(m.get("id")),
                });
            }
        }
        _ => {}
    }
}

/// Checks one call: a known tool, arguments an object (or a string holding one) that follows
/// the tool's schema.
fn check(raw: Raw, index: usize, tools: &[ToolSpec]) -> Result<ToolCall, Vec<String>> {
    let names = || {
        tools
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(name) = raw.name.filter(|n| !n.trim().is_empty()) else {
        return Err(vec![format!(
            "tool call {index} names no tool; the tools are: {}",
            names()
        )]);
    };
    let Some(tool) = tools.iter().find(|t| t.name == name.trim()) else {
        return Err(vec![format!(
            "there is no tool {name:?}; the tools are: {}",
            names()
        )]);
    };
    let arguments = match raw.arguments {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) | Err(_) if s.trim().is_empty() => Value::Object(Map::new()),
            Ok(_) => {
                return Err(vec![format!(
                    "the arguments of {name:?} must be a JSON object"
                )]);
            }
            Err(e) => {
                return Err(vec![format!(
                    "the arguments of {name:?} are not valid JSON: {e}"
                )]);
            }
        },
        Some(v @ Value::Object(_)) => v,
        Some(_) => {
            return Err(vec![format!(
                "the arguments of {name:?} must be a JSON object"
            )]);
        }
    };
    let problems = schema_problems(&tool.parameters, &arguments)
        .into_iter()
        .map(|p| format!("the arguments of {name:?} are wrong: {p}"))
        .collect::<Vec<_>>();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ToolCall {
        id: raw
            .id
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| format!("call_{index}")),
        name: tool.name.clone(),
        arguments,
    })
}

/// What is wrong with `value` under `schema`, each with its JSON pointer (empty when valid,
/// or when the schema itself cannot be compiled — reported where the tool is defined).
pub fn schema_problems(schema: &Value, value: &Value) -> Vec<String> {
    let Ok(validator) = jsonschema::validator_for(schema) else {
        return Vec::new();
    };
    validator
        .iter_errors(value)
        .take(10)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("at {at}: {e}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Usage;
    use serde_json::json;

    fn tools() -> Vec<ToolSpec> {
        vec![
            ToolSpec {
                name: "weather".into(),
                description: "".into(),
                parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}),
            },
            ToolSpec {
                name: "finish".into(),
                description: "".into(),
                parameters: json!({"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}),
            },
            ToolSpec {
                name: "now".into(),
                description: "".into(),
                parameters: json!({"type": "object"}),
            },
        ]
    }

    fn response(content: &str, tool_calls: Vec<ToolCall>) -> ChatResponse {
        ChatResponse {
            content: content.into(),
            tool_calls,
            finish_reason: None,
            usage: Usage::default(),
            model: "m".into(),
            provider: "p".into(),
            latency_ms: 0,
        }
    }

    fn text(content: &str) -> Parsed {
        parse(&response(content, vec![]), &tools())
    }

    fn one(p: Parsed) -> (String, Value) {
        match p {
            Parsed::Calls(c) if c.len() == 1 => (c[0].name.clone(), c[0].arguments.clone()),
            other => panic!("expected one call, got {other:?}"),
        }
    }

    fn malformed(p: Parsed) -> Vec<String> {
        match p {
            Parsed::Malformed(m) => m,
            other => panic!("expected a malformed call, got {other:?}"),
        }
    }

    #[test]
    fn native_tool_calls() {
        let r = response(
            "ignored when native calls exist",
            vec![
                ToolCall {
                    id: "a".into(),
                    name: "weather".into(),
                    arguments: json!({"city": "Oslo"}),
                },
                ToolCall {
                    id: "".into(),
                    name: "now".into(),
                    arguments: json!("{}"),
                },
            ],
        );
        match parse(&r, &tools()) {
            Parsed::Calls(c) => {
                assert_eq!(c.len(), 2);
                assert_eq!(c[0].id, "a");
                assert_eq!(c[1].id, "call_1");
                assert_eq!(c[1].arguments, json!({}));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bare_json_in_every_shape() {
        let want = ("weather".to_string(), json!({"city": "Paris"}));
        for s in [
            r#"{"tool": "weather", "arguments": {"city": "Paris"}}"#,
            r#"  {"name": "weather", "arguments": {"city": "Paris"}}  "#,
            r#"{"name": "weather", "parameters": {"city": "Paris"}}"#,
            r#"{"tool": "weather", "arguments": "{\"city\": \"Paris\"}"}"#,
            r#"{"function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}"#,
            r#"{"tool_calls": [{"id": "x", "type": "function", "function": {"name": "weather", "arguments": {"city": "Paris"}}}]}"#,
            r#"{"tool_call": {"name": "weather", "arguments": {"city": "Paris"}}}"#,
            r#"{"action": "weather", "action_input": {"city": "Paris"}}"#,
            r#"[{"tool": "weather", "arguments": {"city": "Paris"}}]"#,
            r#"{"tool_name": "weather", "input": {"city": "Paris"}}"#,
        ] {
            assert_eq!(one(text(s)), want, "{s}");
        }
    }

    #[test]
    fn fenced_tagged_and_embedded_json() {
        let want = ("weather".to_string(), json!({"city": "Rome"}));
        for s in [
            "```json\n{\"tool\": \"weather\", \"arguments\": {\"city\": \"Rome\"}}\n```",
            "I will check.\n```\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Rome\"}}\n```\nDone.",
            "```JSON\n{\"tool\":\"weather\",\"arguments\":{\"city\":\"Rome\"}}```",
            "<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call>",
            "Sure! Let me look: {\"tool\": \"weather\", \"arguments\": {\"city\": \"Rome\"}} and then answer.",
        ] {
            assert_eq!(one(text(s)), want, "{s}");
        }
        // Braces inside strings do not confuse the scanner.
        assert_eq!(
            one(text(
                "x {\"tool\": \"weather\", \"arguments\": {\"city\": \"a}b{\"}} y"
            )),
            ("weather".to_string(), json!({"city": "a}b{"}))
        );
    }

    #[test]
    fn several_calls_and_tools_without_arguments() {
        match text(r#"[{"tool": "now"}, {"tool": "weather", "arguments": {"city": "Bern"}}]"#) {
            Parsed::Calls(c) => {
                assert_eq!(c.len(), 2);
                assert_eq!(c[0].arguments, json!({}));
                assert_eq!(c[1].id, "call_1");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(one(text(r#"{"name": "now"}"#)).0, "now");
        assert_eq!(one(text(r#"{"tool": "now", "arguments": null}"#)).0, "now");
        assert_eq!(one(text(r#"{"tool": "now", "arguments": ""}"#)).0, "now");
    }

    #[test]
    fn plain_answers_and_data_are_not_calls() {
        for s in [
            "",
            "The weather in Paris is sunny.",
            "Use {braces} freely.",
            r#"{"city": "Paris", "country": "France"}"#,
            r#"{"name": "Ada", "age": 36}"#,
            "```python\nprint({'tool': 1})\n```",
            "[1, 2, 3]",
            "{ not json at all",
        ] {
            assert_eq!(text(s), Parsed::Answer, "{s:?}");
        }
    }

    #[test]
    fn broken_calls_are_malformed_with_reasons() {
        let m = malformed(text(
            r#"{"tool": "weather", "arguments": {"city": "Paris"}"#,
        ));
        assert!(m[0].contains("not valid JSON"), "{m:?}");
        let m = malformed(text(
            "```json\n{\"tool\": \"weather\", \"arguments\": {city: Paris}}\n```",
        ));
        assert!(m[0].contains("not valid JSON"), "{m:?}");
        let m = malformed(text(r#"{"tool": "teleport", "arguments": {}}"#));
        assert!(
            m[0].contains("no tool \"teleport\"") && m[0].contains("weather, finish, now"),
            "{m:?}"
        );
        let m = malformed(text(
            r#"{"tool": "weather", "arguments": {"town": "Paris"}}"#,
        ));
        assert!(m.iter().any(|p| p.contains("city")), "{m:?}");
        assert!(m.iter().any(|p| p.contains("town")), "{m:?}");
        let m = malformed(text(r#"{"tool": "weather", "arguments": {"city": 7}}"#));
        assert!(m[0].contains("/city"), "{m:?}");
        let m = malformed(text(r#"{"tool": "weather", "arguments": [1]}"#));
        assert!(m[0].contains("must be a JSON object"), "{m:?}");
        let m = malformed(text(r#"{"tool": "weather", "arguments": "{not json"}"#));
        assert!(m[0].contains("not valid JSON"), "{m:?}");
        let m = malformed(text(r#"{"tool": "", "arguments": {}}"#));
        assert!(m[0].contains("names no tool"), "{m:?}");
        let m = malformed(text(r#"{"function": {"arguments": {}}}"#));
        assert!(m[0].contains("names no tool"), "{m:?}");
    }

    #[test]
    fn garbage_never_panics() {
        let junk = [
            "\u{0}\u{1}{{{{",
            "}}}}]]]",
            "{\"tool\":",
            "```",
            "```json",
            "```json\n",
            "<tool_call>",
            "<tool_call>{</tool_call>",
            "{\"\\",
            "[{]",
            "{\"arguments\"",
            "🌟{🌟}🌟",
            "{\"a\":\"\\u12\"}",
            "```json\n```\n```",
            "{}",
            "[]",
            "null",
            "\"tool\"",
            "{\"tool\": 5}",
            "{\"tool_calls\": 5}",
            "{\"tool_calls\": [5, \"x\", null]}",
            "{\"function\": \"f\"}",
        ];
        for s in junk {
            let _ = text(s);
        }
        // Deep nesting neither overflows nor hangs.
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let _ = text(&deep);
        let deep = "x {".repeat(5_000);
        let _ = text(&deep);
    }
}
