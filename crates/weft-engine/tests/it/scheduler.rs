//! Property tests of the pure scheduler over random DAGs, random step outcomes and random
//! crash points.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;
use weft_engine::journal::Event;
use weft_engine::state::{
    Action, EdgeState, Graph, GraphEdge, GraphNode, Phase, RunState, StepStatus, next_actions,
};
use weft_model::JoinPolicy;
use weft_node_api::{NodeError, NodeOutput};
use weft_store_api::RunStatus;

#[derive(Debug, Clone)]
struct Spec {
    graph: Graph,
    /// Per node: which output ports it emits on success (subset of main/a/b) and whether it fails.
    behaviour: Vec<(Vec<&'static str>, bool)>,
    effectful: Vec<bool>,
}

fn arb_spec() -> impl Strategy<Value = Spec> {
    (2usize..24, 1usize..6)
        .prop_flat_map(|(n, conc)| {
            let edges = proptest::collection::vec((0..n, 0..n, 0u8..3, any::<bool>()), 0..(n * 3));
            let joins = proptest::collection::vec((0u8..4, 1u32..4), n);
            let behaviour = proptest::collection::vec(
                (
                    proptest::sample::subsequence(vec!["main", "a", "b"], 0..=3),
                    prop::bool::weighted(0.15),
                    any::<bool>(),
                    any::<bool>(),
                ),
                n,
            );
            (Just(n), Just(conc), edges, joins, behaviour)
        })
        .prop_map(|(n, conc, raw_edges, joins, behaviour)| {
            let mut nodes: Vec<GraphNode> = (0..n)
                .map(|i| GraphNode {
                    id: format!("n{i}"),
                    join: JoinPolicy::All,
                    incoming: vec![],
                    outgoing: vec![],
                    is_entry: false,
                    continue_on_fail: behaviour[i].2,
                })
                .collect();
            let mut edges = Vec::new();
            let mut seen = HashSet::new();
            for (a, b, port, to_error) in raw_edges {
                let (from, to) = if a < b {
                    (a, b)
                } else if b < a {
                    (b, a)
                } else {
                    continue;
                };
                let from_port = if to_error {
                    "error"
                } else {
                    ["main", "a", "b"][port as usize]
                };
                if !seen.insert((from, to, from_port)) {
                    continue;
                }
                let idx = edges.len();
                edges.push(GraphEdge {
                    from,
                    from_port: from_port.to_string(),
                    to,
                    to_port: "main".into(),
                });
                nodes[from].outgoing.push(idx);
                nodes[to].incoming.push(idx);
            }
            for (i, node) in nodes.iter_mut().enumerate() {
                node.is_entry = node.incoming.is_empty();
                let k = node.incoming.len() as u32;
                let (mode, n) = joins[i];
                node.join = match (mode, k) {
                    (_, 0) | (0, _) => JoinPolicy::All,
                    (1, _) => JoinPolicy::Any,
                    (2, k) => JoinPolicy::First { n: n.min(k) },
                    (_, k) => JoinPolicy::Quorum { n: Some(n.min(k)) },
                };
            }
            let effectful = behaviour.iter().map(|b| b.3).collect();
            let behaviour = behaviour
                .into_iter()
                .map(|(ports, fails, _, _)| (ports, fails))
                .collect();
            Spec {
                graph: Graph {
                    nodes,
                    edges,
                    concurrency: conc,
                },
                behaviour,
                effectful,
            }
        })
}

fn t(ms: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_millis_opt(1_700_000_000_000 + ms)
        .single()
        .unwrap_or_default()
}

/// Simulates the executor: returns the final state and the journal it wrote. At `crash_at`
/// (a count of completions), it drops the in-memory state, keeps only the journal entries a
/// real executor would have made durable by then, and continues from the replay.
fn simulate(
    spec: &Spec,
    picks: &[usize],
    crash_at: Option<usize>,
) -> (RunState, Vec<Event>, Vec<(usize, u32)>) {
    let graph = Arc::new(spec.graph.clone());
    let mut state = RunState::new(graph.clone());
    let mut journal: Vec<Event> = Vec::new();
    let mut durable_len = 0usize; // entries known committed
    let mut running: Vec<(usize, u32)> = Vec::new();
    let mut executions: Vec<(usize, u32)> = Vec::new();
    let mut completions = 0usize;
    let mut pick = 0usize;
    for _round in 0..10_000 {
        let actions = next_actions(&state, t(0));
        assert!(state.running() <= graph.concurrency, "concurrency exceeded");
        if actions.is_empty() && running.is_empty() {
            panic!(
                "stuck: no action and nothing running: {:?}",
                state.steps.iter().map(|s| s.status).collect::<Vec<_>>()
            );
        }
        let mut finished = false;
        for a in &actions {
            match a {
                Action::Start { node, edges } => {
                    check_start(&state, *node, edges);
                    let attempt = state.next_attempt(*node);
                    state.mark_started(*node, attempt, t(1));
                    if spec.effectful[*node] {
                        journal.push(Event::StepStarted {
                            node: graph.nodes[*node].id.clone(),
                            attempt,
                            at: t(1),
                        });
                    }
                    running.push((*node, attempt));
                    executions.push((*node, attempt));
                }
                Action::Skip { node } => {
                    check_skip(&state, *node);
                    state.skip(*node);
                }
                Action::FailJoin { node, error } => {
                    let ev = Event::StepFailed {
                        node: graph.nodes[*node].id.clone(),
                        attempt: 0,
                        error: error.clone(),
                        started_at: t(2),
                        finished_at: t(2),
                        logs: vec![],
                    };
                    journal.push(ev.clone());
                    durable_len = journal.len();
                    state.apply(&ev);
                }
                Action::Finish {
                    status,
                    output,
                    error,
                } => {
                    let ev = Event::RunFinished {
                        status: *status,
                        output: output.clone(),
                        error: error.clone(),
                        at: t(3),
                    };
                    state.cancel_unfinished();
                    journal.push(ev.clone());
                    state.apply(&ev);
                    finished = true;
                }
                Action::Wake { .. } | Action::WaitUntil { .. } => {
                    unreachable!("no timers in this model")
                }
            }
        }
        if finished {
            return (state, journal, executions);
        }
        if running.is_empty() {
            continue;
        }
        let i = picks.get(pick).copied().unwrap_or(0) % running.len();
        pick += 1;
        let (node, attempt) = running.remove(i);
        let (ports, fails) = &spec.behaviour[node];
        let id = graph.nodes[node].id.clone();
        let ev = if *fails {
            Event::StepFailed {
                node: id,
                attempt,
                error: NodeError::permanent("x", "boom"),
                started_at: t(1),
                finished_at: t(2),
                logs: vec![],
            }
        } else {
            let mut out = NodeOutput::default();
            for p in ports {
                out.ports
                    .push((p.to_string(), vec![serde_json::json!({"from": node})]));
            }
            Event::StepSucceeded {
                node: id,
                attempt,
                output: out,
                started_at: t(1),
                finished_at: t(2),
                logs: vec![],
                used_edges: None,
            }
        };
        journal.push(ev.clone());
        // Effectful results and failures are committed before they are applied; pure results
        // are committed later, by whatever commit comes next.
        if spec.effectful[node] || *fails {
            durable_len = journal.len();
        }
        state.apply(&ev);
        completions += 1;
        if Some(completions) == crash_at {
            journal.truncate(durable_len);
            let mut recovered = RunState::new(graph.clone());
            for e in &journal {
                recovered.apply(e);
            }
            recovered.prepare_for_recovery();
            state = recovered;
            running.clear();
        }
    }
    panic!("did not terminate");
}

fn check_start(state: &RunState, node: usize, edges: &[usize]) {
    let g = &state.graph.nodes[node];
    assert_eq!(
        state.steps[node].status,
        StepStatus::Pending,
        "started a step that is not pending"
    );
    for &e in edges {
        assert!(
            matches!(state.edges[e], EdgeState::Delivered(_)),
            "started with an undelivered edge"
        );
        assert!(g.incoming.contains(&e));
    }
    let delivered = g
        .incoming
        .iter()
        .filter(|&&e| matches!(state.edges[e], EdgeState::Delivered(_)))
        .count();
    match g.join {
        JoinPolicy::All if !g.is_entry => {
            assert!(
                g.incoming
                    .iter()
                    .all(|&e| state.edges[e] != EdgeState::Pending),
                "join all started early"
            );
            assert!(delivered > 0);
        }
        JoinPolicy::First { n } => assert_eq!(edges.len(), n as usize),
        JoinPolicy::Any => assert_eq!(edges.len(), 1),
        JoinPolicy::Quorum { n } => assert!(delivered >= n.unwrap_or(1) as usize),
        _ => {}
    }
}

fn check_skip(state: &RunState, node: usize) {
    let g = &state.graph.nodes[node];
    let delivered = g
        .incoming
        .iter()
        .filter(|&&e| matches!(state.edges[e], EdgeState::Delivered(_)))
        .count();
    let pending = g
        .incoming
        .iter()
        .filter(|&&e| state.edges[e] == EdgeState::Pending)
        .count();
    match g.join {
        JoinPolicy::All | JoinPolicy::Any => assert!(
            delivered == 0 && pending == 0,
            "skipped a node whose inputs may still arrive"
        ),
        JoinPolicy::First { n } => assert!(delivered + pending < n as usize),
        JoinPolicy::Quorum { .. } => panic!("a quorum join is failed, never skipped"),
    }
}

fn check_final(spec: &Spec, state: &RunState) {
    let Phase::Finished(status) = state.phase.clone() else {
        panic!("not finished")
    };
    for (n, s) in state.steps.iter().enumerate() {
        assert!(s.status.is_terminal(), "node {n} left {:?}", s.status);
    }
    let unhandled = state.failure.is_some();
    assert_eq!(status == RunStatus::Failed, unhandled);
    if status == RunStatus::Succeeded {
        // Skip propagation: a node whose every input was skipped never ran.
        for (n, node) in spec.graph.nodes.iter().enumerate() {
            if !node.incoming.is_empty()
                && node
                    .incoming
                    .iter()
                    .all(|&e| state.edges[e] == EdgeState::Skipped)
            {
                assert!(
                    matches!(
                        state.steps[n].status,
                        StepStatus::Skipped | StepStatus::Failed
                    ),
                    "node {n} ran with all inputs skipped"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn every_random_run_terminates_consistently(spec in arb_spec(), picks in proptest::collection::vec(0usize..64, 0..200)) {
        let (state, _journal, executions) = simulate(&spec, &picks, None);
        check_final(&spec, &state);
        // Without crashes, no step executes twice.
        let mut seen = HashSet::new();
        for (n, _) in &executions {
            prop_assert!(seen.insert(*n), "node {} executed twice", n);
        }
    }

    #[test]
    fn decisions_are_deterministic(spec in arb_spec(), picks in proptest::collection::vec(0usize..64, 0..200)) {
        let (a, ja, _) = simulate(&spec, &picks, None);
        let (b, jb, _) = simulate(&spec, &picks, None);
        prop_assert_eq!(ja, jb);
        prop_assert_eq!(a.steps, b.steps);
    }

    #[test]
    fn a_crash_anywhere_never_repeats_a_committed_effect(spec in arb_spec(), picks in proptest::collection::vec(0usize..64, 0..200), crash in 1usize..30) {
        let (state, journal, executions) = simulate(&spec, &picks, Some(crash));
        check_final(&spec, &state);
        // An effectful step whose completion was committed executes exactly once; one that
        // was in flight may execute again, with the same attempt number (same idempotency key).
        for (n, node) in spec.graph.nodes.iter().enumerate() {
            if !spec.effectful[n] { continue; }
            let runs: Vec<u32> = executions.iter().filter(|(m, _)| *m == n).map(|(_, a)| *a).collect();
            let completions = journal.iter().filter(|e| matches!(e, Event::StepSucceeded { node: id, .. } | Event::StepFailed { node: id, .. } if *id == node.id)).count();
            prop_assert!(completions <= 1, "effectful node {} completed {} times", n, completions);
            prop_assert!(runs.iter().all(|&a| a == 1), "attempt numbers changed across recovery: {:?}", runs);
            if runs.len() > 1 {
                prop_assert!(runs.len() == 2, "node {} ran {} times with one crash", n, runs.len());
            }
        }
    }
}

#[test]
fn quorum_unreachable_fails_the_join() {
    let graph = Graph {
        nodes: vec![
            GraphNode {
                id: "a".into(),
                join: JoinPolicy::All,
                incoming: vec![],
                outgoing: vec![0],
                is_entry: true,
                continue_on_fail: false,
            },
            GraphNode {
                id: "b".into(),
                join: JoinPolicy::All,
                incoming: vec![],
                outgoing: vec![1],
                is_entry: true,
                continue_on_fail: false,
            },
            GraphNode {
                id: "c".into(),
                join: JoinPolicy::All,
                incoming: vec![],
                outgoing: vec![2],
                is_entry: true,
                continue_on_fail: false,
            },
            GraphNode {
                id: "vote".into(),
                join: JoinPolicy::Quorum { n: None },
                incoming: vec![0, 1, 2],
                outgoing: vec![],
                is_entry: false,
                continue_on_fail: false,
            },
        ],
        edges: (0..3)
            .map(|i| GraphEdge {
                from: i,
                from_port: "main".into(),
                to: 3,
                to_port: "main".into(),
            })
            .collect(),
        concurrency: 8,
    };
    let mut state = RunState::new(Arc::new(graph));
    for (i, id) in ["a", "b"].iter().enumerate() {
        state.mark_started(i, 1, t(0));
        // emits on a port nobody listens to: the edge to `vote` is skipped
        state.apply(&Event::StepSucceeded {
            node: id.to_string(),
            attempt: 1,
            output: NodeOutput::port("other", vec![]),
            started_at: t(0),
            finished_at: t(1),
            logs: vec![],
            used_edges: None,
        });
    }
    let actions = next_actions(&state, t(2));
    assert!(
        actions.iter().any(
            |a| matches!(a, Action::FailJoin { node: 3, error } if error.code == "join.quorum")
        ),
        "{actions:?}"
    );
}
