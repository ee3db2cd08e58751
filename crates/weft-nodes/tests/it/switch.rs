use crate::support::*;
use serde_json::{Value, json};
use weft_node_api::NodeType;
use weft_nodes::SwitchNode;

fn cases(all_matches: bool, fallback: bool) -> Value {
    json!({
        "cases": [
            { "output": "big", "condition": "{{ $json.n >= 100 }}" },
            { "output": "even", "condition": "{{ $json.even }}" },
        ],
        "allMatches": all_matches,
        "fallback": fallback,
    })
}

fn items() -> Vec<Value> {
    vec![
        json!({ "n": 200, "even": true }),
        json!({ "n": 3, "even": false }),
        json!({ "n": 4, "even": true }),
        json!({ "n": 101, "even": false }),
    ]
}

#[tokio::test]
async fn first_match_with_fallback() {
    let out = done(run(&SwitchNode, cases(false, true), items()).await);
    assert_eq!(port_names(&out), vec!["big", "fallback", "even"]);
    assert_eq!(
        out.get("big").unwrap(),
        &[items()[0].clone(), items()[3].clone()]
    );
    assert_eq!(out.get("even").unwrap(), &[items()[2].clone()]);
    assert_eq!(out.get("fallback").unwrap(), &[items()[1].clone()]);
}

#[tokio::test]
async fn all_matches_sends_to_every_matching_case() {
    let out = done(run(&SwitchNode, cases(true, true), items()).await);
    assert_eq!(
        out.get("big").unwrap(),
        &[items()[0].clone(), items()[3].clone()]
    );
    assert_eq!(
        out.get("even").unwrap(),
        &[items()[0].clone(), items()[2].clone()]
    );
    assert_eq!(out.get("fallback").unwrap(), &[items()[1].clone()]);
}

#[tokio::test]
async fn without_fallback_unmatched_items_are_dropped() {
    let out = done(run(&SwitchNode, cases(false, false), items()).await);
    assert_eq!(out.get("fallback"), None);
    let total: usize = out.ports.iter().map(|(_, v)| v.len()).sum();
    assert_eq!(total, 3);
}

#[tokio::test]
async fn ports_without_items_are_not_emitted() {
    let out = done(run(&SwitchNode, cases(false, true), vec![json!({ "n": 500 })]).await);
    assert_eq!(port_names(&out), vec!["big"]);
    let out = done(
        run(
            &SwitchNode,
            json!({ "cases": [] }),
            vec![json!(1), json!(2)],
        )
        .await,
    );
    assert_eq!(port_names(&out), vec!["fallback"]);
    assert_eq!(out.get("fallback").unwrap().len(), 2);
}

#[test]
fn ports_follow_the_cases() {
    let ports = SwitchNode.ports(&params(cases(false, true))).unwrap();
    let outs: Vec<&str> = ports.outputs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(outs, vec!["big", "even", "fallback"]);
    let ports = SwitchNode.ports(&params(cases(false, false))).unwrap();
    let outs: Vec<&str> = ports.outputs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(outs, vec!["big", "even"]);
    let ports = SwitchNode
        .ports(&params(
            json!({ "cases": [{ "output": "a", "condition": 1 }] }),
        ))
        .unwrap();
    assert_eq!(ports.outputs.len(), 2, "fallback is on by default");
}

#[test]
fn ports_refuse_bad_cases() {
    let dup = json!({ "cases": [
        { "output": "x", "condition": true },
        { "output": "y", "condition": true },
        { "output": "x", "condition": true },
    ] });
    assert_eq!(
        SwitchNode.ports(&params(dup)).unwrap_err(),
        "cases/2/output: duplicate output name \"x\""
    );

    let reserved = json!({ "cases": [{ "output": "fallback", "condition": true }] });
    assert!(
        SwitchNode
            .ports(&params(reserved))
            .unwrap_err()
            .starts_with("cases/0/output:")
    );

    let error_port = json!({ "cases": [{ "output": "error", "condition": true }] });
    assert!(
        SwitchNode
            .ports(&params(error_port))
            .unwrap_err()
            .starts_with("cases/0/output:")
    );

    let expr = json!({ "cases": [{ "output": "a", "condition": 1 }, { "output": "{{ $json.x }}", "condition": true }] });
    assert!(
        SwitchNode
            .ports(&params(expr))
            .unwrap_err()
            .starts_with("cases/1/output:")
    );

    let empty = json!({ "cases": [{ "output": "", "condition": true }] });
    assert!(
        SwitchNode
            .ports(&params(empty))
            .unwrap_err()
            .starts_with("cases/0/output:")
    );

    let missing = json!({ "cases": [{ "condition": true }] });
    assert!(
        SwitchNode
            .ports(&params(missing))
            .unwrap_err()
            .starts_with("cases/0/output:")
    );

    assert!(
        SwitchNode
            .ports(&params(json!({})))
            .unwrap_err()
            .starts_with("cases:")
    );
    assert!(
        SwitchNode
            .ports(&params(json!({ "cases": "{{ $json.c }}" })))
            .unwrap_err()
            .starts_with("cases:")
    );

    let fb = json!({ "cases": [], "fallback": "{{ $json.f }}" });
    assert!(
        SwitchNode
            .ports(&params(fb))
            .unwrap_err()
            .starts_with("fallback:")
    );
}

#[tokio::test]
async fn execute_refuses_duplicate_outputs_too() {
    let dup = json!({ "cases": [{ "output": "x", "condition": true }, { "output": "x", "condition": true }] });
    let e = failed(run(&SwitchNode, dup, vec![json!(1)]).await);
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("cases/1/output"), "{}", e.message);
}
