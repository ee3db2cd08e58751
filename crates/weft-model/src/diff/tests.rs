use super::*;
use serde_json::json;

fn doc(v: Value) -> Workflow {
    serde_json::from_value(v).unwrap_or_else(|e| panic!("test document: {e}"))
}

fn base() -> Value {
    json!({
        "apiVersion": "weft/v1",
        "name": "orders",
        "variables": { "region": "eu" },
        "triggers": [
            { "id": "nightly", "type": "cron", "node": "fetch",
              "params": { "cron": "0 3 * * *", "timezone": "UTC" } },
            { "id": "hook", "type": "webhook", "node": "fetch", "params": { "path": "orders" } }
        ],
        "nodes": [
            { "id": "fetch", "type": "http.request@1", "name": "Fetch",
              "params": { "url": "https://example.com", "headers": { "accept": "json" } },
              "position": { "x": 0.0, "y": 0.0 } },
            { "id": "store", "type": "core.set@1",
              "params": { "fields": [ { "name": "a", "value": 1 }, { "name": "b", "value": 2 } ] },
              "position": { "x": 200.0, "y": 0.0 } },
            { "id": "log", "type": "util.log@1" }
        ],
        "edges": [
            { "from": { "node": "fetch" }, "to": { "node": "store" } },
            { "from": { "node": "store" }, "to": { "node": "log" } }
        ]
    })
}

/// The base document with `edit` applied to its JSON.
fn edited(edit: impl FnOnce(&mut Value)) -> Workflow {
    let mut v = base();
    edit(&mut v);
    doc(v)
}

fn vc(path: &str, before: Option<Value>, after: Option<Value>) -> ValueChange {
    let kind = match (&before, &after) {
        (None, _) => ChangeKind::Added,
        (_, None) => ChangeKind::Removed,
        _ => ChangeKind::Changed,
    };
    ValueChange {
        path: path.into(),
        kind,
        before,
        after,
    }
}

#[test]
fn identical_documents_have_an_empty_diff() {
    let d = diff(&doc(base()), &doc(base()));
    assert!(d.is_empty());
    assert_eq!(d, WorkflowDiff::default());
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        json!({
            "summary": {
                "nodesAdded": 0, "nodesRemoved": 0, "nodesChanged": 0, "nodesMoved": 0,
                "edgesAdded": 0, "edgesRemoved": 0,
                "triggersAdded": 0, "triggersRemoved": 0, "triggersChanged": 0,
                "workflowChanged": 0
            },
            "workflow": [],
            "nodes": { "added": [], "removed": [], "changed": [], "moved": [] },
            "edges": { "added": [], "removed": [] },
            "triggers": { "added": [], "removed": [], "changed": [] }
        })
    );
}

#[test]
fn order_of_nodes_edges_triggers_and_keys_does_not_matter() {
    let shuffled = edited(|v| {
        for key in ["nodes", "edges", "triggers"] {
            v[key].as_array_mut().unwrap().reverse();
        }
        v["nodes"][2]["params"] =
            json!({ "headers": { "accept": "json" }, "url": "https://example.com" });
    });
    assert!(diff(&doc(base()), &shuffled).is_empty());
}

#[test]
fn added_and_removed_nodes_in_id_order() {
    let new = edited(|v| {
        let nodes = v["nodes"].as_array_mut().unwrap();
        nodes.retain(|n| n["id"] != "log");
        nodes.push(json!({ "id": "zeta", "type": "core.noop@1" }));
        nodes.push(json!({ "id": "alpha", "type": "core.noop@1" }));
    });
    let d = diff(&doc(base()), &new);
    let ids = |nodes: &[Node]| nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&d.nodes.added), ["alpha", "zeta"]);
    assert_eq!(ids(&d.nodes.removed), ["log"]);
    assert_eq!((d.summary.nodes_added, d.summary.nodes_removed), (2, 1));
    assert!(d.nodes.changed.is_empty());
}

#[test]
fn a_renamed_node_id_is_removed_and_added() {
    let new = edited(|v| {
        v["nodes"][2]["id"] = json!("logger");
        v["edges"][1]["to"]["node"] = json!("logger");
    });
    let d = diff(&doc(base()), &new);
    assert_eq!(d.nodes.removed.len(), 1);
    assert_eq!(d.nodes.removed[0].id, "log");
    assert_eq!(d.nodes.added.len(), 1);
    assert_eq!(d.nodes.added[0].id, "logger");
    assert_eq!(d.edges.removed.len(), 1);
    assert_eq!(d.edges.removed[0].to.node, "log");
    assert_eq!(d.edges.added[0].to.node, "logger");
    assert!(d.nodes.changed.is_empty());
}

#[test]
fn type_name_notes_and_disabled_changes() {
    let new = edited(|v| {
        v["nodes"][0]["type"] = json!("http.request@2");
        v["nodes"][0]["name"] = json!("Fetch orders");
        v["nodes"][2]["name"] = json!("Log");
        v["nodes"][2]["notes"] = json!("for debugging");
        v["nodes"][2]["disabled"] = json!(true);
    });
    let d = diff(&doc(base()), &new);
    assert_eq!(d.summary.nodes_changed, 2);
    let fetch = &d.nodes.changed[0];
    assert_eq!(fetch.id, "fetch");
    assert_eq!(
        fetch.node_type,
        Some(Change {
            before: NodeTypeRef::new("http.request", 1),
            after: NodeTypeRef::new("http.request", 2)
        })
    );
    let log = &d.nodes.changed[1];
    assert_eq!(
        serde_json::to_value(log).unwrap(),
        json!({
            "id": "log",
            "name": { "before": null, "after": "Log" },
            "notes": { "before": null, "after": "for debugging" },
            "disabled": { "before": false, "after": true }
        })
    );
    assert_eq!(
        serde_json::to_value(fetch).unwrap()["type"],
        json!({ "before": "http.request@1", "after": "http.request@2" })
    );
}

#[test]
fn param_changes_are_leaves_by_pointer() {
    let new = edited(|v| {
        let p = &mut v["nodes"][0]["params"];
        p["url"] = json!("https://example.org");
        p["headers"]["authorization"] = json!("Bearer {{ $vars.token }}");
        p["headers"].as_object_mut().unwrap().remove("accept");
        p["timeout"] = json!({ "connect": 5 });
    });
    let d = diff(&doc(base()), &new);
    assert_eq!(
        d.nodes.changed[0].params,
        vec![
            vc("/headers/accept", Some(json!("json")), None),
            vc(
                "/headers/authorization",
                None,
                Some(json!("Bearer {{ $vars.token }}"))
            ),
            // A whole new object is one added leaf.
            vc("/timeout", None, Some(json!({ "connect": 5 }))),
            vc(
                "/url",
                Some(json!("https://example.com")),
                Some(json!("https://example.org"))
            ),
        ]
    );
    assert_eq!(
        serde_json::to_value(&d.nodes.changed[0].params[0]).unwrap(),
        json!({ "path": "/headers/accept", "kind": "removed", "before": "json" })
    );
}

#[test]
fn nested_param_pointers_escape_tilde_and_slash() {
    let old = edited(|v| {
        v["nodes"][0]["params"]["headers"] =
            json!({ "a/b": { "m~n": { "deep": [1, { "x": "old" }] } } });
    });
    let new = edited(|v| {
        v["nodes"][0]["params"]["headers"] =
            json!({ "a/b": { "m~n": { "deep": [1, { "x": "new" }] } } });
    });
    let d = diff(&old, &new);
    assert_eq!(
        d.nodes.changed[0].params,
        vec![vc(
            "/headers/a~1b/m~0n/deep/1/x",
            Some(json!("old")),
            Some(json!("new"))
        )]
    );
}

#[test]
fn arrays_compare_by_index_only_when_lengths_match() {
    let same_len = edited(|v| {
        v["nodes"][1]["params"]["fields"][1]["value"] = json!(3);
    });
    let d = diff(&doc(base()), &same_len);
    assert_eq!(
        d.nodes.changed[0].params,
        vec![vc("/fields/1/value", Some(json!(2)), Some(json!(3)))]
    );

    let longer = edited(|v| {
        v["nodes"][1]["params"]["fields"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "name": "c", "value": 3 }));
    });
    let d = diff(&doc(base()), &longer);
    let changes = &d.nodes.changed[0].params;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path, "/fields");
    assert_eq!(changes[0].kind, ChangeKind::Changed);
    assert_eq!(
        changes[0].after.as_ref().unwrap().as_array().unwrap().len(),
        3
    );
}

#[test]
fn numbers_compare_by_value() {
    let new = edited(|v| {
        v["nodes"][1]["params"]["fields"][0]["value"] = json!(1.0);
    });
    assert!(diff(&doc(base()), &new).is_empty());
}

#[test]
fn settings_changes() {
    let new = edited(|v| {
        v["nodes"][0]["settings"] = json!({ "retry": { "maxAttempts": 5 }, "timeout": "30s" });
    });
    let d = diff(&doc(base()), &new);
    let settings = &d.nodes.changed[0].settings;
    // The node had default settings (serialized as `{}`): each new setting is one added leaf.
    assert_eq!(settings.len(), 2);
    assert_eq!(settings[0].path, "/retry");
    assert_eq!(settings[1], vc("/timeout", None, Some(json!("30s"))));

    let newer = edited(|v| {
        v["nodes"][0]["settings"] = json!({ "retry": { "maxAttempts": 3 }, "timeout": "30s" });
    });
    let d = diff(&new, &newer);
    assert_eq!(
        d.nodes.changed[0].settings,
        vec![vc("/retry/maxAttempts", Some(json!(5)), Some(json!(3)))]
    );
}

#[test]
fn a_position_only_change_is_a_move_not_a_change() {
    let new = edited(|v| {
        v["nodes"][0]["position"] = json!({ "x": 10.0, "y": 20.0 });
        v["nodes"][2]["position"] = json!({ "x": 1.0, "y": 2.0 });
    });
    let d = diff(&doc(base()), &new);
    assert!(d.nodes.changed.is_empty());
    assert_eq!(d.summary.nodes_moved, 2);
    assert!(!d.is_empty());
    assert_eq!(
        serde_json::to_value(&d.nodes.moved).unwrap(),
        json!([
            { "id": "fetch", "before": { "x": 0.0, "y": 0.0 }, "after": { "x": 10.0, "y": 20.0 } },
            { "id": "log", "before": null, "after": { "x": 1.0, "y": 2.0 } }
        ])
    );

    // Moved and changed: the move is still only under `moved`.
    let both = edited(|v| {
        v["nodes"][0]["position"] = json!({ "x": 10.0, "y": 20.0 });
        v["nodes"][0]["params"]["url"] = json!("https://example.org");
    });
    let d = diff(&doc(base()), &both);
    assert_eq!(d.nodes.moved.len(), 1);
    assert_eq!(d.nodes.changed.len(), 1);
    let json = serde_json::to_value(&d.nodes.changed[0]).unwrap();
    assert!(json.get("position").is_none());
    assert_eq!(d.nodes.changed[0].params.len(), 1);
}

#[test]
fn edges_are_identified_by_their_endpoints() {
    let new = edited(|v| {
        // Same nodes, another port: a different edge.
        v["edges"][0]["from"]["port"] = json!("error");
        v["edges"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "from": { "node": "fetch" }, "to": { "node": "log" } }));
    });
    let d = diff(&doc(base()), &new);
    let keys = |edges: &[Edge]| {
        edges
            .iter()
            .map(|e| {
                format!(
                    "{}.{}->{}.{}",
                    e.from.node, e.from.port, e.to.node, e.to.port
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(&d.edges.added),
        ["fetch.error->store.main", "fetch.main->log.main"]
    );
    assert_eq!(keys(&d.edges.removed), ["fetch.main->store.main"]);
    assert_eq!((d.summary.edges_added, d.summary.edges_removed), (2, 1));
    // A port written out as "main" is the same edge as one left to the default.
    let explicit = edited(|v| {
        v["edges"][1] =
            json!({ "from": { "node": "store", "port": "main" }, "to": { "node": "log" } });
    });
    assert!(diff(&doc(base()), &explicit).is_empty());
}

#[test]
fn trigger_changes() {
    let new = edited(|v| {
        let triggers = v["triggers"].as_array_mut().unwrap();
        triggers[0]["params"]["cron"] = json!("0 4 * * *");
        triggers[0]["node"] = json!("store");
        triggers.remove(1);
        triggers.push(json!({ "id": "by-hand", "type": "manual", "node": "fetch" }));
    });
    let d = diff(&doc(base()), &new);
    assert_eq!(d.triggers.added.len(), 1);
    assert_eq!(d.triggers.added[0].id, "by-hand");
    assert_eq!(d.triggers.removed.len(), 1);
    assert_eq!(d.triggers.removed[0].id, "hook");
    assert_eq!(
        d.triggers.changed,
        vec![TriggerChange {
            id: "nightly".into(),
            changes: vec![
                vc("/node", Some(json!("fetch")), Some(json!("store"))),
                vc(
                    "/params/cron",
                    Some(json!("0 3 * * *")),
                    Some(json!("0 4 * * *"))
                ),
            ]
        }]
    );
    assert_eq!(
        (
            d.summary.triggers_added,
            d.summary.triggers_removed,
            d.summary.triggers_changed
        ),
        (1, 1, 1)
    );
}

#[test]
fn workflow_level_changes() {
    let new = edited(|v| {
        v["name"] = json!("orders v2");
        v["description"] = json!("Fetches orders");
        v["settings"] = json!({ "timeout": "5m" });
        v["variables"]["region"] = json!("us");
        v["variables"]["tier"] = json!("gold");
        v["tags"] = json!(["sales"]);
        // Editor-only data is not compared.
        v["ui"] = json!({ "viewport": { "zoom": 2 } });
    });
    let d = diff(&doc(base()), &new);
    assert_eq!(
        d.workflow,
        vec![
            vc("/description", None, Some(json!("Fetches orders"))),
            vc("/name", Some(json!("orders")), Some(json!("orders v2"))),
            vc("/settings", None, Some(json!({ "timeout": "5m" }))),
            vc("/tags", None, Some(json!(["sales"]))),
            vc("/variables/region", Some(json!("eu")), Some(json!("us"))),
            vc("/variables/tier", None, Some(json!("gold"))),
        ]
    );
    assert_eq!(d.summary.workflow_changed, 6);
    assert_eq!(d.summary.nodes_changed + d.summary.triggers_changed, 0);
}
