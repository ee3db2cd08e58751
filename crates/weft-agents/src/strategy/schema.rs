//! The catalog entries of the strategy node types.

use super::{Kind, MEMBER_KEYS};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_model::{NodeTypeInfo, Purity};
use weft_nodes::common::{node_info, object_schema};

/// The properties an agent of a strategy (and the strategy itself, for all its agents) may
/// set, with the same meaning as in `ai.agent`.
fn member_props() -> Map<String, Value> {
    let agent = &crate::agent::params::info().params_schema["properties"];
    MEMBER_KEYS
        .iter()
        .filter_map(|k| agent.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect()
}

fn member_schema(what: &str) -> Value {
    let mut props = member_props();
    props.insert(
        "name".into(),
        json!({"type": "string", "minLength": 1, "description": "Its name (unique in the node)."}),
    );
    props.insert("description".into(), json!({"type": "string", "description": "What it is good at (a supervisor's router reads it)."}));
    json!({"type": "object", "additionalProperties": false, "description": what, "properties": props})
}

fn members_schema(what: &str, min: usize) -> Value {
    json!({"type": "array", "minItems": min, "description": what, "items": member_schema("An agent: any ai.agent model setting, overriding the node's.")})
}

fn build(
    name: &str,
    display: &str,
    summary: &str,
    own: Value,
    required: &[&str],
    example: Value,
) -> NodeTypeInfo {
    let mut props = member_props();
    for v in props.values_mut() {
        if let Some(d) = v.get("description").and_then(Value::as_str) {
            let d = format!("{d} (For every agent, unless it sets its own.)");
            v["description"] = json!(d);
        }
    }
    props.insert("message".into(), json!({"type": "string", "description": "The task, usually built with expressions ({{ $json.text }})."}));
    if let Some(own) = own.as_object() {
        props.extend(own.clone());
    }
    let schema = object_schema(
        &format!("{name} params"),
        Value::Object(props),
        required,
        vec![example.clone()],
    );
    node_info(
        name,
        display,
        "AI",
        &format!(
            "{summary} Every completed model call of every agent is checkpointed, so a crash or a retry resumes without paying for it again; tokens stream into the run's live events; the output has the usage of every call, by agent. Example params: {example}"
        ),
        Purity::Effectful,
        schema,
    )
}

/// The catalog entry of a strategy.
pub fn info(kind: Kind) -> &'static NodeTypeInfo {
    static INFOS: OnceLock<[NodeTypeInfo; 5]> = OnceLock::new();
    let all = INFOS.get_or_init(|| {
        let local = json!({"baseUrl": "http://127.0.0.1:8081/v1", "model": "local", "temperature": 0.7, "maxTokens": 200});
        let with = |extra: Value| {
            let mut v = local.clone();
            if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
                m.extend(e.clone());
            }
            v
        };
        let schema_prop = json!({"type": "object", "description": "JSON Schema of the final answer (structured output); the parsed answer is in `json`."});
        [
            build(
                "ai.sequential",
                "Agents in Sequence",
                "Sequential hand-off: the message goes to the first agent, each agent's answer is the next one's message, and the last answer is the result. Emits {answer, json, steps: [{agent, input, answer}], usage}.",
                json!({"agents": members_schema("The agents, in order.", 1), "outputSchema": schema_prop}),
                &["message", "agents"],
                with(json!({"message": "{{ $json.text }}", "agents": [
                    {"name": "researcher", "system": "List the key facts of the text."},
                    {"name": "writer", "system": "Write a three-sentence summary of these facts."}]})),
            ),
            build(
                "ai.parallel",
                "Agents in Parallel",
                "Parallel fan-out: the same message to every agent at once, joined by `join`: all (every answer, in the agents' order), any (the first answer; the others are stopped) or firstN (the first n answers, in arrival order). Emits {answer, results: [{agent, answer, json}], errors, join, usage}.",
                json!({
                    "agents": members_schema("The agents.", 1),
                    "join": {"enum": ["all", "any", "firstN"], "default": "all", "description": "all: wait for every agent (any failure fails the step); any: the first answer wins; firstN: the first n answers."},
                    "n": {"type": "integer", "minimum": 1, "description": "How many answers firstN waits for."},
                    "outputSchema": schema_prop,
                }),
                &["message", "agents"],
                with(json!({"message": "{{ $json.question }}", "join": "firstN", "n": 2, "agents": [{"name": "a", "seed": 1}, {"name": "b", "seed": 2}, {"name": "c", "seed": 3}]})),
            ),
            build(
                "ai.consensus",
                "Agents by Consensus",
                "Consensus: every voter answers the message; answers are constrained to `labels` (structured output) or normalized (trimmed, lowercase, final punctuation removed); the label with most votes wins if it reaches the quorum; a tie is broken by the `judge` agent. Without a quorum the step fails to its error port, the vote table in the error's details (or, with onNoQuorum: judge, the judge decides). Emits {winner, decidedBy, votes: [{voter, label, answer}], table: [{label, votes}], voters, quorum, judge, usage}.",
                json!({
                    "voters": members_schema("The voters (at least two); give them distinct seeds at temperature > 0 for independent votes.", 2),
                    "labels": {"type": "array", "minItems": 1, "items": {"type": "string"}, "description": "The allowed answers; each voter must pick one."},
                    "quorum": {"type": "number", "exclusiveMinimum": 0, "description": "Votes the winner needs: a count (1 or more) or a fraction of all voters (below 1). Default: a strict majority."},
                    "judge": member_schema("The agent that breaks ties (and decides without a quorum, with onNoQuorum: judge)."),
                    "onNoQuorum": {"enum": ["error", "judge"], "default": "error", "description": "error: fail to the error port with the vote table; judge: the judge decides among the answers given."},
                }),
                &["message", "voters"],
                with(json!({"message": "Classify this support ticket: {{ $json.text }}", "labels": ["bug", "billing", "feature", "other"],
                    "voters": [{"name": "v1", "seed": 1}, {"name": "v2", "seed": 2}, {"name": "v3", "seed": 3}],
                    "judge": {"name": "judge", "temperature": 0}})),
            ),
            build(
                "ai.supervisor",
                "Agent Supervisor",
                "Supervisor/router: a router agent reads the task and what the agents did so far and names the next agent with its input, or finishes with the final answer; after maxHops agent runs it must finish. Emits {answer, hops: [{agent, input, answer}], stopReason: finish | hopLimit, usage}.",
                json!({
                    "router": member_schema("The router agent."),
                    "agents": members_schema("The agents the router can call; give each a description.", 1),
                    "maxHops": {"type": "integer", "minimum": 0, "maximum": 50, "default": 5, "description": "Most agent runs before the router must finish."},
                }),
                &["message", "router", "agents"],
                with(json!({"message": "{{ $json.topic }}", "maxHops": 3, "router": {"temperature": 0},
                    "agents": [{"name": "researcher", "description": "Finds facts about a topic."}, {"name": "summarizer", "description": "Summarizes facts in three sentences."}]})),
            ),
            build(
                "ai.debate",
                "Agents in Debate",
                "Debate: every debater answers; for rounds - 1 more rounds each reads the others' latest answers, critiques them and improves its own; then the judge gives the final answer. Emits {answer, json, rounds: [[{debater, answer}]], usage}.",
                json!({
                    "debaters": members_schema("The debaters (at least two).", 2),
                    "judge": member_schema("The agent that gives the final answer."),
                    "rounds": {"type": "integer", "minimum": 1, "maximum": 10, "default": 2, "description": "Rounds, the first included."},
                    "outputSchema": schema_prop,
                }),
                &["message", "debaters", "judge"],
                with(json!({"message": "{{ $json.question }}", "rounds": 2, "debaters": [{"name": "pro", "system": "Argue for."}, {"name": "con", "system": "Argue against."}], "judge": {"temperature": 0}})),
            ),
        ]
    });
    match kind {
        Kind::Sequential => &all[0],
        Kind::Parallel => &all[1],
        Kind::Consensus => &all[2],
        Kind::Supervisor => &all[3],
        Kind::Debate => &all[4],
    }
}
