//! `core.switch@1`: routes each item to the outputs whose case matches.

use crate::common::{any_port, node_info, object_schema, static_param, truthy};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};

/// The output that receives items no case matched.
pub const FALLBACK: &str = "fallback";

/// `core.switch@1`: one output per case, plus `fallback`; each item goes to the first matching
/// case (or every matching case with `allMatches`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SwitchNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SwitchParams {
    cases: Vec<Case>,
    #[serde(default)]
    all_matches: bool,
    #[serde(default = "yes")]
    fallback: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Case {
    output: String,
    #[serde(default)]
    condition: Value,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "cases": [
                { "output": "big", "condition": "{{ $json.amount >= 1000 }}" },
                { "output": "small", "condition": "{{ $json.amount < 10 }}" },
            ],
            "allMatches": false,
            "fallback": true,
        });
        let schema = object_schema(
            "core.switch params",
            json!({
                "cases": {
                    "type": "array",
                    "description": "Cases in order; each becomes an output port named by `output`.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "output": {
                                "type": "string",
                                "minLength": 1,
                                "not": { "enum": [FALLBACK, "error"] },
                                "description": "Output port name: unique, fixed (no expression), not \"fallback\" nor \"error\".",
                            },
                            "condition": {
                                "description": "Evaluated per item (usually an expression); JavaScript truthiness decides a match.",
                            },
                        },
                        "required": ["output", "condition"],
                        "additionalProperties": false,
                    },
                },
                "allMatches": {
                    "type": "boolean",
                    "description": "false: an item goes to the first matching case only; true: to every matching case.",
                    "default": false,
                },
                "fallback": {
                    "type": "boolean",
                    "description": "true: items no case matched go to the `fallback` output; false: they are dropped.",
                    "default": true,
                },
            }),
            &["cases"],
            vec![example.clone()],
        );
        node_info(
            "core.switch",
            "Switch",
            "Flow",
            &format!(
                "Routes each item to named outputs by conditions, with an optional `fallback` output. \
                 Only outputs that receive items are taken. Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

/// Checks case output names; the message starts with the param's path.
fn check_outputs<'a>(names: impl Iterator<Item = (usize, &'a str)>) -> Result<Vec<String>, String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, name) in names {
        if name.is_empty() {
            return Err(format!("cases/{i}/output: must not be empty"));
        }
        if name == FALLBACK || name == "error" {
            return Err(format!(
                "cases/{i}/output: {name:?} is reserved; choose another output name"
            ));
        }
        if weft_expr::contains_expression(name) {
            return Err(format!(
                "cases/{i}/output: must be a fixed name, not an expression"
            ));
        }
        if !seen.insert(name) {
            return Err(format!("cases/{i}/output: duplicate output name {name:?}"));
        }
        out.push(name.to_string());
    }
    Ok(out)
}

#[async_trait]
impl NodeType for SwitchNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        let cases = match static_param(params, "cases")? {
            Some(Value::Array(cases)) => cases,
            Some(_) => return Err("cases: must be an array of {output, condition}".into()),
            None => return Err("cases: required".into()),
        };
        let mut names = Vec::with_capacity(cases.len());
        for (i, case) in cases.iter().enumerate() {
            match case.get("output") {
                Some(Value::String(s)) => names.push((i, s.as_str())),
                Some(_) => return Err(format!("cases/{i}/output: must be a string")),
                None => return Err(format!("cases/{i}/output: required")),
            }
        }
        let names = check_outputs(names.into_iter())?;
        let fallback = match static_param(params, "fallback")? {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("fallback: must be true or false".into()),
        };
        let mut outputs: Vec<_> = names.iter().map(|n| any_port(n)).collect();
        if fallback {
            outputs.push(any_port(FALLBACK).describe("Items that matched no case."));
        }
        Ok(ResolvedPorts {
            inputs: vec![any_port("main")],
            outputs,
        })
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let mut out = NodeOutput::default();
        for (i, item) in items.iter().enumerate() {
            let p: SwitchParams = ctx.params_for(items, i)?;
            if i == 0 {
                check_outputs(
                    p.cases
                        .iter()
                        .enumerate()
                        .map(|(k, c)| (k, c.output.as_str())),
                )
                .map_err(|m| NodeError::permanent("params.invalid", format!("parameter {m}")))?;
            }
            let mut matched = false;
            for case in &p.cases {
                if truthy(&case.condition) {
                    out.push(&case.output, item.clone());
                    matched = true;
                    if !p.all_matches {
                        break;
                    }
                }
            }
            if !matched && p.fallback {
                out.push(FALLBACK, item.clone());
            }
        }
        Ok(StepResult::Done(out))
    }
}
