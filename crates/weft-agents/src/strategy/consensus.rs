//! `ai.consensus@1`: N voters answer the same message; answers are normalized (or constrained
//! to labels); the majority wins if it reaches the quorum; a tie at the top is broken by a
//! judge agent. The vote table is in the output either way.

use super::{Ask, UsageSum, answer, ask, member, members};
use crate::agent::AgentNode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use weft_node_api::{NodeError, StepContext};

/// Normalizes a free-text answer for counting: trimmed, lowercase, inner whitespace collapsed,
/// surrounding quotes and final punctuation removed.
pub fn normalize(answer: &str) -> String {
    let lower = answer.trim().to_lowercase();
    let collapsed = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    let quote = |c: char| matches!(c, '"' | '\'' | '`' | '*');
    collapsed
        .trim_start_matches(quote)
        .trim_end_matches(|c: char| quote(c) || matches!(c, '.' | '!' | '?' | ';' | ':' | ','))
        .trim()
        .to_owned()
}

/// The counted votes.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    /// Labels with their votes, most votes first (ties by label).
    pub table: Vec<(String, usize)>,
    /// The labels with the most votes.
    pub leaders: Vec<String>,
    /// The most votes a label got.
    pub top: usize,
}

/// Counts votes (`None` = abstained).
pub fn tally(votes: &[Option<String>]) -> Tally {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in votes.iter().flatten() {
        *counts.entry(v.as_str()).or_default() += 1;
    }
    let mut table: Vec<(String, usize)> =
        counts.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    table.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let top = table.first().map(|t| t.1).unwrap_or(0);
    let leaders = table
        .iter()
        .filter(|t| t.1 == top && top > 0)
        .map(|t| t.0.clone())
        .collect();
    Tally {
        table,
        leaders,
        top,
    }
}

/// The votes a winner needs: `quorum` ≥ 1 is a count, below 1 a fraction of all voters;
/// absent, a strict majority.
pub fn needed(quorum: Option<f64>, voters: usize) -> usize {
    match quorum {
        Some(q) if q >= 1.0 => q.ceil() as usize,
        Some(q) if q > 0.0 => ((q * voters as f64).ceil() as usize).max(1),
        _ => voters / 2 + 1,
    }
}

pub(super) async fn run(
    node: &AgentNode,
    ctx: &StepContext,
    p: &Value,
    message: String,
    item: usize,
) -> Result<Value, NodeError> {
    let voters = members(p, "voters")?;
    if voters.len() < 2 {
        return Err(NodeError::invalid_params(
            "/params/voters",
            "a vote needs at least two voters",
        ));
    }
    let labels: Option<Vec<String>> = match p.get("labels") {
        None | Some(Value::Null) => None,
        Some(Value::Array(l)) if !l.is_empty() && l.iter().all(Value::is_string) => Some(
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        Some(_) => {
            return Err(NodeError::invalid_params(
                "/params/labels",
                "must be a non-empty list of strings",
            ));
        }
    };
    let quorum = p.get("quorum").and_then(Value::as_f64);
    let judge = match p.get("judge") {
        None | Some(Value::Null) => None,
        Some(Value::Object(spec)) => Some(member(spec.clone(), "/params/judge", "judge")?),
        Some(_) => {
            return Err(NodeError::invalid_params(
                "/params/judge",
                "must be an agent object",
            ));
        }
    };
    let on_no_quorum = p
        .get("onNoQuorum")
        .and_then(Value::as_str)
        .unwrap_or("error");

    // Labels constrain each answer to one of them (structured output).
    let label_schema = labels.as_ref().map(|l| {
        json!({"type": "object", "properties": {"label": {"enum": l}}, "required": ["label"], "additionalProperties": false})
    });
    let instructions = labels.as_ref().map(|l| {
        format!(
            "Answer with exactly one of these labels: {}. Reply as JSON {{\"label\": \"…\"}}.",
            l.join(", ")
        )
    });
    let runs = voters.iter().enumerate().map(|(k, v)| {
        ask(
            node,
            ctx,
            v,
            Ask {
                base: p,
                message: message.clone(),
                instructions: instructions.clone(),
                output_schema: label_schema.clone(),
                scope: format!("item/{item}/voter/{k}"),
                item,
            },
        )
    });
    let results = futures::future::join_all(runs).await;

    let mut usage = UsageSum::default();
    let mut votes = Vec::new();
    let mut counted: Vec<Option<String>> = Vec::new();
    let mut budget_error: Option<NodeError> = None;
    for (v, r) in voters.iter().zip(results) {
        match r {
            Ok(out) => {
                usage.add(&v.name, &out);
                let label = match &labels {
                    Some(_) => out["json"]["label"].as_str().map(str::to_owned),
                    None => Some(normalize(&answer(&out))).filter(|s| !s.is_empty()),
                };
                votes.push(json!({"voter": v.name, "label": label, "answer": answer(&out)}));
                counted.push(label);
            }
            Err(e) if e.code == "cancelled" => return Err(e),
            Err(e) => {
                usage.add_error(&v.name, &e);
                if e.code == weft_node_api::BUDGET_EXCEEDED && budget_error.is_none() {
                    budget_error = Some(e.clone());
                }
                votes.push(json!({"voter": v.name, "label": null, "error": {"code": e.code, "message": e.message}}));
                counted.push(None);
            }
        }
    }
    if let Some(e) = budget_error {
        // A budget cut the vote off: fail with the votes that were cast.
        return Err(NodeError {
            details: json!({"cause": e.details, "partial": {"votes": votes, "usage": usage.json()}}),
            ..e
        });
    }
    let t = tally(&counted);
    let need = needed(quorum, voters.len());
    let table: Vec<Value> = t
        .table
        .iter()
        .map(|(l, n)| json!({"label": l, "votes": n}))
        .collect();
    let mut result = json!({
        "winner": null,
        "decidedBy": null,
        "votes": votes,
        "table": table,
        "voters": voters.len(),
        "quorum": need,
        "judge": null,
        "usage": null,
    });

    let choose_among: Option<Vec<String>> = if t.top >= need && t.leaders.len() == 1 {
        result["winner"] = json!(t.leaders[0]);
        result["decidedBy"] = json!("majority");
        None
    } else if t.top >= need {
        Some(t.leaders.clone()) // a tie at the top
    } else if on_no_quorum == "judge" && !t.table.is_empty() {
        Some(t.table.iter().map(|(l, _)| l.clone()).collect())
    } else {
        let e = NodeError::permanent(
            "consensus.no_quorum",
            format!(
                "no answer reached the quorum of {need} of {} votes (most votes: {})",
                voters.len(),
                t.top
            ),
        );
        result["usage"] = usage.json();
        return Err(e.with_details(result));
    };
    if let Some(options) = choose_among {
        let Some(judge) = &judge else {
            result["usage"] = usage.json();
            return Err(NodeError::permanent(
                "consensus.tie",
                format!(
                    "the vote is tied between {} and no judge is set",
                    options.join(", ")
                ),
            )
            .with_details(result));
        };
        let ballot = votes
            .iter()
            .filter_map(|v| {
                let answer = v["answer"].as_str()?;
                Some(format!(
                    "- {}: {answer}",
                    v["voter"].as_str().unwrap_or("?")
                ))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let schema = json!({"type": "object", "properties": {"label": {"enum": options}}, "required": ["label"], "additionalProperties": false});
        let out = ask(
            node,
            ctx,
            judge,
            Ask {
                base: p,
                message: format!(
                    "{message}\n\nThe voters answered:\n{ballot}\n\nDecide between: {}. Reply as JSON {{\"label\": \"…\"}}.",
                    options.join(", ")
                ),
                instructions: Some("You are the judge who breaks the tie.".into()),
                output_schema: Some(schema),
                scope: format!("item/{item}/judge"),
                item,
            },
        )
        .await;
        let out = match out {
            Ok(out) => out,
            Err(mut e) => {
                usage.add_error(&judge.name, &e);
                result["usage"] = usage.json();
                e.details = json!({"cause": e.details, "consensus": result});
                return Err(e);
            }
        };
        usage.add(&judge.name, &out);
        let pick = out["json"]["label"].as_str().unwrap_or_default().to_owned();
        result["judge"] = json!({"name": judge.name, "label": pick, "among": options});
        result["winner"] = json!(pick);
        result["decidedBy"] = json!("judge");
    }
    result["usage"] = usage.json();
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_normalize_for_counting() {
        assert_eq!(normalize("  Billing. "), "billing");
        assert_eq!(normalize("\"Bug\"!"), "bug");
        assert_eq!(normalize("Feature   Request"), "feature request");
        assert_eq!(normalize("**Yes**"), "yes");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn votes_are_tallied_most_first_with_ties_and_abstentions() {
        let v = |s: &str| Some(s.to_owned());
        let t = tally(&[v("bug"), v("billing"), v("bug"), None]);
        assert_eq!(t.table, [("bug".to_owned(), 2), ("billing".to_owned(), 1)]);
        assert_eq!((t.top, t.leaders.clone()), (2, vec!["bug".to_owned()]));
        let t = tally(&[v("a"), v("b")]);
        assert_eq!(t.leaders, ["a", "b"]);
        let t = tally(&[None, None]);
        assert_eq!((t.top, t.leaders.len()), (0, 0));
    }

    #[test]
    fn the_quorum_is_a_count_a_fraction_or_a_majority() {
        assert_eq!(needed(None, 3), 2);
        assert_eq!(needed(None, 4), 3);
        assert_eq!(needed(Some(0.5), 4), 2);
        assert_eq!(needed(Some(0.66), 3), 2);
        assert_eq!(needed(Some(3.0), 5), 3);
        assert_eq!(needed(Some(0.01), 3), 1);
    }
}
