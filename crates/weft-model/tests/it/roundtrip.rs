//! A document survives JSON and YAML round trips without loss, for documents generated at random
//! over every field of the format.

use crate::{json, yaml};
use proptest::prelude::*;
use serde_json::{Map, Value};
use weft_model::{
    Edge, Endpoint, JoinPolicy, Millis, Node, NodeSettings, NodeTypeRef, Position, RetryPolicy,
    RunSettings, Trigger, TriggerKind, Workflow,
};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _.-]{0,12}",
        // Strings YAML would otherwise read as something else, and awkward characters.
        Just("true".to_string()),
        Just("null".to_string()),
        Just("~".to_string()),
        Just("0x1F".to_string()),
        Just("1e3".to_string()),
        Just("- item".to_string()),
        Just("key: value".to_string()),
        Just("{{ $json.a }}".to_string()),
        Just("#not a comment".to_string()),
        any::<String>().prop_map(|s| s.chars().take(16).collect()),
    ]
}

fn non_empty_text() -> impl Strategy<Value = String> {
    text().prop_filter("non-empty", |s| !s.is_empty())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(text(), json_value(), 0..4).prop_map(|m| m.into_iter().collect())
}

fn millis() -> impl Strategy<Value = Millis> {
    prop_oneof![
        0u64..5_000,
        0u64..86_400_000,
        0u64..(100 * 365 * 86_400_000),
    ]
    .prop_map(Millis)
}

fn retry() -> impl Strategy<Value = RetryPolicy> {
    (1u32..20, millis(), 1.0f64..100.0, millis(), 0.0f64..=1.0).prop_map(
        |(max_attempts, initial_interval, backoff_coefficient, max_interval, jitter)| RetryPolicy {
            max_attempts,
            initial_interval,
            backoff_coefficient,
            max_interval,
            jitter,
        },
    )
}

fn join() -> impl Strategy<Value = JoinPolicy> {
    prop_oneof![
        Just(JoinPolicy::All),
        Just(JoinPolicy::Any),
        (1u32..10).prop_map(|n| JoinPolicy::First { n }),
        prop::option::of(1u32..10).prop_map(|n| JoinPolicy::Quorum { n }),
    ]
}

fn settings() -> impl Strategy<Value = NodeSettings> {
    (
        prop::option::of(retry()),
        prop::option::of(millis()),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(1u32..64),
        prop::option::of(join()),
    )
        .prop_map(
            |(retry, timeout, continue_on_fail, cacheable, concurrency, join)| NodeSettings {
                retry,
                timeout,
                continue_on_fail,
                cacheable,
                concurrency,
                join,
            },
        )
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![-5000.0f64..5000.0, (-100i32..100).prop_map(f64::from)]
}

fn node() -> impl Strategy<Value = Node> {
    (
        non_empty_text(),
        "[a-z][a-z0-9._/-]{0,10}",
        0u32..5,
        prop::option::of(text()),
        object(),
        prop::option::of((finite(), finite()).prop_map(|(x, y)| Position { x, y })),
        settings(),
        prop::option::of(text()),
        any::<bool>(),
    )
        .prop_map(
            |(id, type_name, version, name, params, position, settings, notes, disabled)| Node {
                id,
                node_type: NodeTypeRef::new(type_name, version),
                name,
                params,
                position,
                settings,
                notes,
                disabled,
            },
        )
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    (
        non_empty_text(),
        prop_oneof![Just("main".to_string()), text()],
    )
        .prop_map(|(node, port)| Endpoint::new(node, port))
}

fn trigger() -> impl Strategy<Value = Trigger> {
    (
        non_empty_text(),
        prop_oneof![
            Just(TriggerKind::Manual),
            Just(TriggerKind::Webhook),
            Just(TriggerKind::Cron),
            Just(TriggerKind::RunCompleted),
            Just(TriggerKind::Error),
        ],
        text(),
        object(),
    )
        .prop_map(|(id, kind, node, params)| Trigger {
            id,
            kind,
            node,
            params,
        })
}

pub fn workflow() -> impl Strategy<Value = Workflow> {
    (
        non_empty_text(),
        prop::option::of(text()),
        prop::collection::vec(text(), 0..3),
        object(),
        (
            prop::option::of(millis()),
            prop::option::of(1u32..100),
            prop::option::of(prop_oneof![
                "[a-f0-9]{8}".prop_map(Value::String),
                Just(serde_json::json!({"apiVersion": "weft/v1", "name": "on error", "nodes": []})),
            ]),
        )
            .prop_map(|(timeout, concurrency, error_workflow)| RunSettings {
                timeout,
                concurrency,
                error_workflow,
            }),
        prop::collection::vec(trigger(), 0..3),
        prop::collection::vec(node(), 0..6),
        prop::collection::vec(
            (endpoint(), endpoint()).prop_map(|(from, to)| Edge { from, to }),
            0..6,
        ),
        json_value(),
    )
        .prop_map(
            |(name, description, tags, variables, settings, triggers, nodes, edges, ui)| Workflow {
                api_version: weft_model::document::API_VERSION.to_string(),
                name,
                description,
                tags,
                variables,
                settings,
                triggers,
                nodes,
                edges,
                ui,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn json_round_trip_is_lossless(wf in workflow()) {
        let text = wf.to_json_pretty();
        let back = json(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &wf);
        // Canonical: writing it again gives the same bytes.
        prop_assert_eq!(back.to_json_pretty(), text);
    }

    #[test]
    fn yaml_round_trip_is_lossless(wf in workflow()) {
        let text = serde_yaml_ng::to_string(&wf).expect("serializes");
        let back = yaml(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &wf);
    }
}

#[test]
fn defaults_are_filled_and_not_written_back() {
    let wf = json(
        r#"{"apiVersion":"weft/v1","name":"x","nodes":[{"id":"a","type":"core.noop@1",
            "settings":{"retry":{"maxAttempts":3}}}],
            "edges":[{"from":{"node":"a"},"to":{"node":"a","port":"main"}}]}"#,
    )
    .unwrap();
    let retry = wf.nodes[0].settings.retry.as_ref().unwrap();
    assert_eq!(retry.initial_interval, Millis(1000));
    assert_eq!(retry.backoff_coefficient, 2.0);
    assert_eq!(wf.edges[0].from.port, "main");
    let again = json(&wf.to_json_pretty()).unwrap();
    assert_eq!(again, wf);
    assert!(!wf.to_json_pretty().contains("continueOnFail"));
}

#[test]
fn durations_accept_numbers_and_text() {
    let wf = yaml(
        "apiVersion: weft/v1\nname: x\nsettings:\n  timeout: 90000\nnodes:\n  - id: a\n    type: core.noop@1\n    settings:\n      timeout: 1m 30s\n",
    )
    .unwrap();
    assert_eq!(wf.settings.timeout, Some(Millis(90_000)));
    assert_eq!(wf.nodes[0].settings.timeout, Some(Millis(90_000)));
    assert!(wf.to_json_pretty().contains("\"1m 30s\""));
}
