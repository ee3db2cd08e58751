//! The multi-agent strategies in a real engine against the scripted model server.

use crate::model::{Reply, last_text, serve};
use crate::{Harness, output};
use serde_json::{Value, json};
use weft_agents::LlmMode;
use weft_store_api::RunStatus;

fn doc(node_type: &str, params: Value) -> Value {
    json!({
        "apiVersion": "weft/v1",
        "name": "strategy test",
        "nodes": [{ "id": "team", "type": node_type, "params": params,
                    "settings": {"retry": {"maxAttempts": 2, "initialInterval": "10ms"}} }],
        "edges": [],
    })
}

fn label(l: &str) -> Reply {
    Reply::Text(json!({ "label": l }).to_string())
}

#[tokio::test]
async fn consensus_majority_tie_breaking_judge_and_no_quorum() {
    // Voters answer by their seed; the judge (model "judge") picks billing.
    let m = serve(|body, _| {
        if body["model"] == "judge" {
            let options =
                &body["response_format"]["json_schema"]["schema"]["properties"]["label"]["enum"];
            assert_eq!(
                *options,
                json!(["billing", "bug"]),
                "the judge chooses among the tied"
            );
            return label("billing");
        }
        match body["seed"].as_i64().unwrap_or(0) {
            1 | 2 => label("bug"),
            3 | 4 => label("billing"),
            _ => label("feature"),
        }
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let base = format!("{}/v1", m.url);
    let voters = |seeds: &[i64]| -> Value {
        seeds
            .iter()
            .map(|s| json!({"name": format!("v{s}"), "seed": s}))
            .collect()
    };
    let params = |seeds: &[i64], extra: Value| {
        let mut p = json!({"baseUrl": base, "model": "m", "temperature": 0.7,
                           "message": "Classify: {{ $json.text }}", "labels": ["bug", "billing", "feature"],
                           "voters": voters(seeds), "judge": {"name": "judge", "model": "judge"}});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    // Majority: 2 bug, 1 billing.
    let out = output(
        &h.run(
            doc("ai.consensus@1", params(&[1, 2, 3], json!({}))),
            json!([{"text": "it crashes"}]),
        )
        .await,
    );
    assert_eq!(out["winner"], "bug");
    assert_eq!(out["decidedBy"], "majority");
    assert_eq!(
        out["table"],
        json!([{"label": "bug", "votes": 2}, {"label": "billing", "votes": 1}])
    );
    assert_eq!(out["quorum"], 2);
    assert_eq!(
        out["votes"][2],
        json!({"voter": "v3", "label": "billing", "answer": "{\"label\":\"billing\"}"})
    );
    assert_eq!(out["usage"]["calls"].as_array().map(Vec::len), Some(3));
    assert_eq!(out["usage"]["calls"][0]["agent"], "v1");
    let first = &m.requests()[0].body;
    assert_eq!(first["temperature"], 0.7);
    assert_eq!(
        first["response_format"]["json_schema"]["schema"]["properties"]["label"]["enum"],
        json!(["bug", "billing", "feature"])
    );
    assert!(last_text(first).contains("Classify: it crashes"));
    // A tie (quorum 2 of 4 reached by both): the judge decides.
    let out = output(
        &h.run(
            doc(
                "ai.consensus@1",
                params(&[1, 2, 3, 4], json!({"quorum": 2})),
            ),
            json!([{"text": "x"}]),
        )
        .await,
    );
    assert_eq!(
        (out["winner"].clone(), out["decidedBy"].clone()),
        (json!("billing"), json!("judge"))
    );
    assert_eq!(out["judge"]["among"], json!(["billing", "bug"]));
    // No quorum: the error carries the vote table.
    let run = h
        .run(
            doc("ai.consensus@1", params(&[1, 3, 5], json!({}))),
            json!([{"text": "x"}]),
        )
        .await;
    assert_eq!(run.status, RunStatus::Failed);
    let e = run.error.expect("error");
    assert_eq!(e["code"], "consensus.no_quorum");
    assert_eq!(e["details"]["table"].as_array().map(Vec::len), Some(3));
    // ... unless the judge decides then.
    let out = output(
        &h.run(
            doc(
                "ai.consensus@1",
                params(
                    &[1, 3, 5],
                    json!({"onNoQuorum": "judge", "labels": ["bug", "billing"]}),
                ),
            ),
            json!([{"text": "x"}]),
        )
        .await,
    );
    assert_eq!(out["decidedBy"], "judge");
}

#[tokio::test]
async fn free_answers_are_normalized_before_counting() {
    let m = serve(|body, _| {
        Reply::Text(match body["seed"].as_i64().unwrap_or(0) {
            1 => "Paris.".into(),
            2 => "  paris ".into(),
            _ => "Lyon".into(),
        })
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let out = output(
        &h.run(
            doc("ai.consensus@1", json!({"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "Capital of France?",
                "voters": [{"seed": 1}, {"seed": 2}, {"seed": 3}]})),
            json!([{}]),
        )
        .await,
    );
    assert_eq!(out["winner"], "paris");
    assert_eq!(out["votes"][0]["voter"], "voters-1");
}

#[tokio::test]
async fn a_retried_consensus_does_not_ask_the_voters_that_answered_again() {
    // A 2–2 tie; the judge's first request fails (no call-level retry): the step fails
    // transiently and is retried; the voters' answers come from the checkpoints.
    let judge_asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let j = judge_asked.clone();
    let m = serve(move |body, _| {
        if body["model"] == "judge" {
            if j.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                return Reply::Status(503, None, "overloaded".into());
            }
            return label("bug");
        }
        label(if body["seed"].as_i64().unwrap_or(0) <= 2 {
            "bug"
        } else {
            "billing"
        })
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let run = h
        .run(
            doc("ai.consensus@1", json!({"baseUrl": format!("{}/v1", m.url), "model": "m", "message": "x", "labels": ["bug", "billing"],
                "retry": {"maxAttempts": 1}, "quorum": 2, "judge": {"model": "judge"},
                "voters": [{"seed": 1}, {"seed": 2}, {"seed": 3}, {"seed": 4}]})),
            json!([{}]),
        )
        .await;
    let out = output(&run);
    assert_eq!(
        (out["winner"].clone(), out["decidedBy"].clone()),
        (json!("bug"), json!("judge"))
    );
    let voter_requests = m
        .requests()
        .iter()
        .filter(|r| r.body["model"] == "m")
        .count();
    assert_eq!(
        voter_requests, 4,
        "each voter was asked once, across both attempts"
    );
    assert_eq!(judge_asked.load(std::sync::atomic::Ordering::SeqCst), 2);
    let replayed = out["usage"]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["fromCheckpoint"] == true)
        .count();
    assert_eq!(replayed, 4);
}

#[tokio::test]
async fn sequential_hands_each_answer_on_and_parallel_joins() {
    let m = serve(|body, _| {
        let q = last_text(body);
        Reply::Text(match body["model"].as_str().unwrap_or("") {
            "upper" => q.to_uppercase(),
            "exclaim" => format!("{q}!"),
            other => format!("{other} says {q}"),
        })
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let base = format!("{}/v1", m.url);
    let out = output(
        &h.run(
            doc(
                "ai.sequential@1",
                json!({"baseUrl": base, "model": "unused", "message": "hello {{ $json.who }}",
                "agents": [{"name": "up", "model": "upper"}, {"name": "ex", "model": "exclaim"}]}),
            ),
            json!([{"who": "ada"}]),
        )
        .await,
    );
    assert_eq!(out["answer"], "HELLO ADA!");
    assert_eq!(
        out["steps"][1],
        json!({"agent": "ex", "input": "HELLO ADA", "answer": "HELLO ADA!", "json": null})
    );
    let agents = json!([{"name": "a", "model": "alpha"}, {"name": "b", "model": "beta"}, {"name": "c", "model": "gamma"}]);
    let out = output(
        &h.run(
            doc(
                "ai.parallel@1",
                json!({"baseUrl": base, "model": "m", "message": "hi", "agents": agents}),
            ),
            json!([{}]),
        )
        .await,
    );
    let answers: Vec<&str> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["answer"].as_str().unwrap())
        .collect();
    assert_eq!(answers, ["alpha says hi", "beta says hi", "gamma says hi"]);
    let out = output(&h.run(doc("ai.parallel@1", json!({"baseUrl": base, "model": "m", "message": "hi", "agents": agents, "join": "firstN", "n": 2})), json!([{}])).await);
    assert_eq!(out["results"].as_array().map(Vec::len), Some(2));
    let out = output(&h.run(doc("ai.parallel@1", json!({"baseUrl": base, "model": "m", "message": "hi", "agents": agents, "join": "any"})), json!([{}])).await);
    assert!(out["answer"].as_str().unwrap().ends_with("says hi"));
    let run = h.run(doc("ai.parallel@1", json!({"baseUrl": base, "model": "m", "message": "hi", "agents": agents, "join": "firstN", "n": 9})), json!([{}])).await;
    assert_eq!(run.error.expect("error")["details"]["pointer"], "/params/n");
}

#[tokio::test]
async fn a_supervisor_routes_until_it_finishes_or_runs_out_of_hops() {
    let m = serve(|body, _| {
        if body["model"] == "router" {
            let allowed =
                body["response_format"]["json_schema"]["schema"]["properties"]["next"]["enum"]
                    .clone();
            let brief = last_text(body);
            if allowed == json!(["finish"]) {
                return Reply::Text(
                    json!({"next": "finish", "input": "stopped at the limit"}).to_string(),
                );
            }
            if brief.contains("researcher answered") {
                return Reply::Text(
                    json!({"next": "finish", "input": "Rust is fast."}).to_string(),
                );
            }
            return Reply::Text(
                json!({"next": "researcher", "input": "facts about Rust"}).to_string(),
            );
        }
        Reply::Text(format!("research on {}", last_text(body)))
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let base = format!("{}/v1", m.url);
    let params = |hops: u64| {
        json!({"baseUrl": base, "model": "worker", "message": "Tell me about Rust", "maxHops": hops,
               "router": {"name": "boss", "model": "router"},
               "agents": [{"name": "researcher", "description": "Finds facts."}, {"name": "writer", "description": "Writes."}]})
    };
    let out = output(&h.run(doc("ai.supervisor@1", params(5)), json!([{}])).await);
    assert_eq!(out["answer"], "Rust is fast.");
    assert_eq!(out["stopReason"], "finish");
    assert_eq!(
        out["hops"],
        json!([{"agent": "researcher", "input": "facts about Rust", "answer": "research on facts about Rust"}])
    );
    let router_req = m
        .requests()
        .iter()
        .find(|r| r.body["model"] == "router")
        .cloned()
        .expect("router asked");
    assert!(
        router_req.body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("- researcher: Finds facts.")
    );
    let out = output(&h.run(doc("ai.supervisor@1", params(0)), json!([{}])).await);
    assert_eq!(
        (out["answer"].clone(), out["stopReason"].clone()),
        (json!("stopped at the limit"), json!("hopLimit"))
    );
}

#[tokio::test]
async fn a_debate_runs_its_rounds_then_the_judge_decides() {
    let m = serve(|body, _| {
        let q = last_text(body);
        Reply::Text(match body["model"].as_str().unwrap_or("") {
            "judge" => {
                assert!(q.contains("After 2 rounds"), "{q}");
                "verdict".into()
            }
            m if q.contains("The others answered") => format!("{m} revised"),
            m => format!("{m} first"),
        })
    })
    .await;
    let h = Harness::new(LlmMode::Live).await;
    let out = output(
        &h.run(
            doc("ai.debate@1", json!({"baseUrl": format!("{}/v1", m.url), "model": "x", "message": "Tabs or spaces?", "rounds": 2,
                "debaters": [{"name": "pro", "model": "pro"}, {"name": "con", "model": "con"}], "judge": {"model": "judge"}})),
            json!([{}]),
        )
        .await,
    );
    assert_eq!(out["answer"], "verdict");
    assert_eq!(
        out["rounds"][0],
        json!([{"debater": "pro", "answer": "pro first"}, {"debater": "con", "answer": "con first"}])
    );
    assert_eq!(out["rounds"][1][1]["answer"], "con revised");
    assert_eq!(out["usage"]["calls"].as_array().map(Vec::len), Some(5));
    let con_round2 = m
        .requests()
        .into_iter()
        .find(|r| r.body["model"] == "con" && last_text(&r.body).contains("The others answered"))
        .expect("con's second round");
    assert!(last_text(&con_round2.body).contains("- pro: pro first"));
}
