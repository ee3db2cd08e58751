//! Sequential hand-off, parallel fan-out with a join, supervisor/router and debate.

use super::{Ask, UsageSum, answer, ask, member, members};
use crate::agent::AgentNode;
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::{Value, json};
use weft_node_api::{NodeError, StepContext};

fn failed(e: NodeError, progress: Value) -> NodeError {
    let cause = e.details.clone();
    NodeError {
        details: json!({ "cause": cause, "partial": progress }),
        ..e
    }
}

/// `ai.sequential@1`: the message goes to the first agent; each agent's answer is the next
/// one's message; the last answer is the result.
pub(super) async fn sequential(
    node: &AgentNode,
    ctx: &StepContext,
    p: &Value,
    message: String,
    item: usize,
) -> Result<Value, NodeError> {
    let agents = members(p, "agents")?;
    if agents.is_empty() {
        return Err(NodeError::invalid_params(
            "/params/agents",
            "needs at least one agent",
        ));
    }
    let mut usage = UsageSum::default();
    let mut steps = Vec::new();
    let mut current = message;
    let mut last = Value::Null;
    for (k, a) in agents.iter().enumerate() {
        let input = current.clone();
        let out = ask(
            node,
            ctx,
            a,
            Ask {
                base: p,
                message: input.clone(),
                instructions: None,
                output_schema: (k + 1 == agents.len())
                    .then(|| p.get("outputSchema").cloned())
                    .flatten(),
                scope: format!("item/{item}/stage/{k}"),
                item,
            },
        )
        .await;
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                usage.add_error(&a.name, &e);
                return Err(failed(e, json!({"steps": steps, "usage": usage.json()})));
            }
        };
        usage.add(&a.name, &out);
        current = answer(&out);
        steps
            .push(json!({"agent": a.name, "input": input, "answer": current, "json": out["json"]}));
        last = out;
    }
    Ok(json!({
        "answer": current,
        "json": last["json"],
        "steps": steps,
        "usage": usage.json(),
    }))
}

/// `ai.parallel@1`: one message to every agent at once, joined by `join`: `all` (every agent
/// must answer), `any` (the first answer wins; the others are stopped) or `firstN` (the first
/// `n` answers).
pub(super) async fn parallel(
    node: &AgentNode,
    ctx: &StepContext,
    p: &Value,
    message: String,
    item: usize,
) -> Result<Value, NodeError> {
    let agents = members(p, "agents")?;
    if agents.is_empty() {
        return Err(NodeError::invalid_params(
            "/params/agents",
            "needs at least one agent",
        ));
    }
    let join = p.get("join").and_then(Value::as_str).unwrap_or("all");
    let want = match join {
        "all" => agents.len(),
        "any" => 1,
        "firstN" => {
            let n = p.get("n").and_then(Value::as_u64).unwrap_or(0) as usize;
            if n == 0 || n > agents.len() {
                return Err(NodeError::invalid_params(
                    "/params/n",
                    format!("join firstN needs n between 1 and {}", agents.len()),
                ));
            }
            n
        }
        other => {
            return Err(NodeError::invalid_params(
                "/params/join",
                format!("{other:?} is not one of all, any, firstN"),
            ));
        }
    };
    let schema = p.get("outputSchema").cloned();
    let mut running: FuturesUnordered<_> = agents
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let fut = ask(
                node,
                ctx,
                a,
                Ask {
                    base: p,
                    message: message.clone(),
                    instructions: None,
                    output_schema: schema.clone(),
                    scope: format!("item/{item}/agent/{k}"),
                    item,
                },
            );
            async move { (k, fut.await) }
        })
        .collect();
    let mut usage = UsageSum::default();
    let mut results: Vec<(usize, Value)> = Vec::new();
    let mut errors: Vec<Value> = Vec::new();
    while let Some((k, r)) = running.next().await {
        let name = &agents[k].name;
        match r {
            Ok(out) => {
                usage.add(name, &out);
                results.push((
                    k,
                    json!({"agent": name, "answer": answer(&out), "json": out["json"]}),
                ));
                if results.len() == want {
                    break; // the others are dropped: their calls stop
                }
            }
            Err(e) if e.code == "cancelled" => return Err(e),
            Err(e) if e.code == weft_node_api::BUDGET_EXCEEDED => {
                // A budget cut the fan-out off: stop the others, keep what arrived.
                usage.add_error(name, &e);
                errors.push(json!({"agent": name, "code": e.code, "message": e.message}));
                results.sort_by_key(|(k, _)| *k);
                let answers: Vec<Value> = results.into_iter().map(|(_, v)| v).collect();
                return Err(failed(
                    e,
                    json!({"results": answers, "errors": errors, "usage": usage.json()}),
                ));
            }
            Err(e) => {
                usage.add_error(name, &e);
                errors.push(json!({"agent": name, "code": e.code, "message": e.message}));
                if agents.len() - errors.len() < want {
                    let e = NodeError::permanent(
                        "parallel.join_failed",
                        format!(
                            "join {join} needs {want} answers but {} of {} agents failed (last: {})",
                            errors.len(),
                            agents.len(),
                            e.message
                        ),
                    );
                    results.sort_by_key(|(k, _)| *k);
                    let answers: Vec<Value> = results.into_iter().map(|(_, v)| v).collect();
                    return Err(e.with_details(
                        json!({"results": answers, "errors": errors, "usage": usage.json()}),
                    ));
                }
            }
        }
    }
    drop(running);
    // `all` keeps the agents' order; `any` and `firstN` keep the order of arrival.
    if join == "all" {
        results.sort_by_key(|(k, _)| *k);
    }
    let answers: Vec<Value> = results.into_iter().map(|(_, v)| v).collect();
    Ok(json!({
        "join": join,
        "results": answers,
        "answer": answers.first().map(|r| r["answer"].clone()).unwrap_or(Value::Null),
        "errors": errors,
        "usage": usage.json(),
    }))
}

/// `ai.supervisor@1`: a router agent reads the task and what the agents did so far, and names
/// the next agent (with its input) or finishes with the final answer; at most `maxHops`
/// agent runs, after which the router must finish.
pub(super) async fn supervisor(
    node: &AgentNode,
    ctx: &StepContext,
    p: &Value,
    message: String,
    item: usize,
) -> Result<Value, NodeError> {
    let agents = members(p, "agents")?;
    if agents.is_empty() {
        return Err(NodeError::invalid_params(
            "/params/agents",
            "needs at least one agent",
        ));
    }
    let router = match p.get("router") {
        Some(Value::Object(spec)) => member(spec.clone(), "/params/router", "router")?,
        _ => {
            return Err(NodeError::invalid_params(
                "/params/router",
                "is required (an agent)",
            ));
        }
    };
    let max_hops = p.get("maxHops").and_then(Value::as_u64).unwrap_or(5) as usize;
    let roster = agents
        .iter()
        .map(|a| {
            format!(
                "- {}: {}",
                a.name,
                a.spec
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut usage = UsageSum::default();
    let mut hops: Vec<Value> = Vec::new();
    let mut decisions = 0usize;
    loop {
        let last = hops.len() >= max_hops;
        let names: Vec<&str> = if last {
            vec!["finish"]
        } else {
            agents
                .iter()
                .map(|a| a.name.as_str())
                .chain(["finish"])
                .collect()
        };
        let schema = json!({
            "type": "object",
            "properties": {"next": {"enum": names}, "input": {"type": "string"}},
            "required": ["next", "input"],
            "additionalProperties": false,
        });
        let mut brief = format!("Task: {message}\n");
        for h in &hops {
            brief.push_str(&format!(
                "\n{} was asked: {}\n{} answered: {}\n",
                h["agent"].as_str().unwrap_or("?"),
                h["input"].as_str().unwrap_or(""),
                h["agent"].as_str().unwrap_or("?"),
                h["answer"].as_str().unwrap_or("")
            ));
        }
        brief.push_str(if last {
            "\nNo more agents can act: finish, with the final answer as input."
        } else {
            "\nWho acts next, and with what input? Choose finish, with the final answer as input, when the task is done."
        });
        let decision = ask(
            node,
            ctx,
            &router,
            Ask {
                base: p,
                message: brief,
                instructions: Some(format!(
                    "You coordinate these agents:\n{roster}\nReply as JSON {{\"next\": \"<agent or finish>\", \"input\": \"…\"}}."
                )),
                output_schema: Some(schema),
                scope: format!("item/{item}/router/{decisions}"),
                item,
            },
        )
        .await;
        decisions += 1;
        let decision = match decision {
            Ok(d) => d,
            Err(e) => {
                usage.add_error(&router.name, &e);
                return Err(failed(e, json!({"hops": hops, "usage": usage.json()})));
            }
        };
        usage.add(&router.name, &decision);
        let next = decision["json"]["next"]
            .as_str()
            .unwrap_or("finish")
            .to_owned();
        let input = decision["json"]["input"].as_str().unwrap_or("").to_owned();
        if next == "finish" {
            return Ok(json!({
                "answer": input,
                "hops": hops,
                "stopReason": if last { "hopLimit" } else { "finish" },
                "usage": usage.json(),
            }));
        }
        let Some((k, agent)) = agents.iter().enumerate().find(|(_, a)| a.name == next) else {
            continue; // the schema allows only known names
        };
        let out = ask(
            node,
            ctx,
            agent,
            Ask {
                base: p,
                message: input.clone(),
                instructions: None,
                output_schema: None,
                scope: format!("item/{item}/hop/{}/{k}", hops.len()),
                item,
            },
        )
        .await;
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                usage.add_error(&agent.name, &e);
                return Err(failed(e, json!({"hops": hops, "usage": usage.json()})));
            }
        };
        usage.add(&agent.name, &out);
        hops.push(json!({"agent": agent.name, "input": input, "answer": answer(&out)}));
    }
}

/// `ai.debate@1`: every debater answers; for `rounds - 1` more rounds each reads the others'
/// latest answers, critiques them and gives an improved answer; then the judge gives the final
/// answer from the last round.
pub(super) async fn debate(
    node: &AgentNode,
    ctx: &StepContext,
    p: &Value,
    message: String,
    item: usize,
) -> Result<Value, NodeError> {
    let debaters = members(p, "debaters")?;
    if debaters.len() < 2 {
        return Err(NodeError::invalid_params(
            "/params/debaters",
            "a debate needs at least two debaters",
        ));
    }
    let judge = match p.get("judge") {
        Some(Value::Object(spec)) => member(spec.clone(), "/params/judge", "judge")?,
        _ => {
            return Err(NodeError::invalid_params(
                "/params/judge",
                "is required (an agent)",
            ));
        }
    };
    let rounds = p
        .get("rounds")
        .and_then(Value::as_u64)
        .unwrap_or(2)
        .clamp(1, 10) as usize;
    let mut usage = UsageSum::default();
    let mut history: Vec<Vec<Value>> = Vec::new();
    for r in 0..rounds {
        let prompts: Vec<String> = debaters
            .iter()
            .map(|d| match history.last() {
                None => message.clone(),
                Some(prev) => {
                    let others = prev
                        .iter()
                        .filter(|a| a["debater"] != d.name.as_str())
                        .map(|a| format!("- {}: {}", a["debater"].as_str().unwrap_or("?"), a["answer"].as_str().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join("\n");
                    let own = prev
                        .iter()
                        .find(|a| a["debater"] == d.name.as_str())
                        .and_then(|a| a["answer"].as_str())
                        .unwrap_or("");
                    format!("{message}\n\nYour previous answer: {own}\n\nThe others answered:\n{others}\n\nCritique their answers, then give your improved answer.")
                }
            })
            .collect();
        let runs = debaters
            .iter()
            .zip(prompts)
            .enumerate()
            .map(|(k, (d, prompt))| {
                ask(
                    node,
                    ctx,
                    d,
                    Ask {
                        base: p,
                        message: prompt,
                        instructions: None,
                        output_schema: None,
                        scope: format!("item/{item}/round/{r}/debater/{k}"),
                        item,
                    },
                )
            });
        let results = futures::future::join_all(runs).await;
        let mut round = Vec::new();
        for (d, res) in debaters.iter().zip(results) {
            match res {
                Ok(out) => {
                    usage.add(&d.name, &out);
                    round.push(json!({"debater": d.name, "answer": answer(&out)}));
                }
                Err(e) => {
                    usage.add_error(&d.name, &e);
                    return Err(failed(e, json!({"rounds": history, "usage": usage.json()})));
                }
            }
        }
        history.push(round);
    }
    let last = history.last().cloned().unwrap_or_default();
    let answers = last
        .iter()
        .map(|a| {
            format!(
                "- {}: {}",
                a["debater"].as_str().unwrap_or("?"),
                a["answer"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let verdict = ask(
        node,
        ctx,
        &judge,
        Ask {
            base: p,
            message: format!("{message}\n\nAfter {rounds} rounds of debate the answers are:\n{answers}\n\nGive the final answer."),
            instructions: Some("You are the judge of a debate.".into()),
            output_schema: p.get("outputSchema").cloned(),
            scope: format!("item/{item}/judge"),
            item,
        },
    )
    .await;
    let verdict = match verdict {
        Ok(v) => v,
        Err(e) => {
            usage.add_error(&judge.name, &e);
            return Err(failed(e, json!({"rounds": history, "usage": usage.json()})));
        }
    };
    usage.add(&judge.name, &verdict);
    Ok(json!({
        "answer": answer(&verdict),
        "json": verdict["json"],
        "rounds": history,
        "usage": usage.json(),
    }))
}
