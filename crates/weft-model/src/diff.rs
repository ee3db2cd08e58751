//! What changed between two versions of a workflow, for the API and the editor's diff view.
//!
//! Nodes and triggers are matched by id (a renamed id is one removed and one added), edges by
//! their endpoints. Values are compared leaf by leaf: objects recursively, arrays as a whole
//! unless both sides have the same length (then element by element); each difference is a
//! [`ValueChange`] keyed by an RFC 6901 JSON pointer relative to the compared value. Every list
//! is in a fixed order (ids, endpoints and object keys sorted) so equal inputs give equal JSON.
//!
//! A node's canvas position is reported only under `nodes.moved`, never as a change, so a
//! viewer can ignore layout edits. The editor-only `ui` data is not compared.

use crate::document::{Edge, Node, NodeTypeRef, Position, Trigger, Workflow};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Everything that differs between two workflow versions. Serialized as camelCase JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowDiff {
    /// How many changes of each kind.
    pub summary: DiffSummary,
    /// Workflow-level changes (name, description, tags, settings, variables), with pointers
    /// into the document such as `/settings/timeout` or `/variables/region`.
    pub workflow: Vec<ValueChange>,
    /// Node changes.
    pub nodes: NodesDiff,
    /// Edge changes.
    pub edges: EdgesDiff,
    /// Trigger changes.
    pub triggers: TriggersDiff,
}

impl WorkflowDiff {
    /// True when the versions are the same (layout moves included).
    pub fn is_empty(&self) -> bool {
        self.summary == DiffSummary::default()
    }
}

/// Counts of each kind of change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffSummary {
    /// Nodes only in the new version.
    pub nodes_added: usize,
    /// Nodes only in the old version.
    pub nodes_removed: usize,
    /// Nodes in both whose type, name, params, settings, notes or disabled flag differ.
    pub nodes_changed: usize,
    /// Nodes in both whose canvas position differs.
    pub nodes_moved: usize,
    /// Edges only in the new version.
    pub edges_added: usize,
    /// Edges only in the old version.
    pub edges_removed: usize,
    /// Triggers only in the new version.
    pub triggers_added: usize,
    /// Triggers only in the old version.
    pub triggers_removed: usize,
    /// Triggers in both that differ.
    pub triggers_changed: usize,
    /// Workflow-level value changes.
    pub workflow_changed: usize,
}

/// Node changes, each list sorted by node id.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodesDiff {
    /// Nodes only in the new version, as written there.
    pub added: Vec<Node>,
    /// Nodes only in the old version, as written there.
    pub removed: Vec<Node>,
    /// Nodes in both that differ in something other than position.
    pub changed: Vec<NodeChange>,
    /// Nodes in both whose position differs (whether or not they also changed).
    pub moved: Vec<NodeMove>,
}

/// How one node changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeChange {
    /// The node's id.
    pub id: String,
    /// The node type, when it changed (`{"before": "http.request@1", "after": "http.request@2"}`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub node_type: Option<Change<NodeTypeRef>>,
    /// The display name, when it changed (`null` for no name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Change<Option<String>>>,
    /// Changed params, pointers relative to `params` (`/headers/0/value`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ValueChange>,
    /// Changed settings, pointers relative to `settings` (`/retry/maxAttempts`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<ValueChange>,
    /// The notes, when they changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Change<Option<String>>>,
    /// The disabled flag, when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Change<bool>>,
}

/// A node that moved on the canvas.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeMove {
    /// The node's id.
    pub id: String,
    /// The old position (`null` when it had none).
    pub before: Option<Position>,
    /// The new position (`null` when it has none).
    pub after: Option<Position>,
}

/// A value before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change<T> {
    /// The old value.
    pub before: T,
    /// The new value.
    pub after: T,
}

/// Edge changes, each list sorted by (from node, from port, to node, to port).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgesDiff {
    /// Edges only in the new version.
    pub added: Vec<Edge>,
    /// Edges only in the old version.
    pub removed: Vec<Edge>,
}

/// Trigger changes, each list sorted by trigger id.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggersDiff {
    /// Triggers only in the new version.
    pub added: Vec<Trigger>,
    /// Triggers only in the old version.
    pub removed: Vec<Trigger>,
    /// Triggers in both that differ.
    pub changed: Vec<TriggerChange>,
}

/// How one trigger changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerChange {
    /// The trigger's id.
    pub id: String,
    /// What changed, pointers relative to the trigger (`/type`, `/node`, `/params/cron`).
    pub changes: Vec<ValueChange>,
}

/// One leaf that was added, removed or changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueChange {
    /// RFC 6901 JSON pointer to the leaf, relative to the compared value.
    pub path: String,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// The old value; absent when added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The new value; absent when removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// The kind of a [`ValueChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    /// Only in the new value.
    Added,
    /// Only in the old value.
    Removed,
    /// In both, different.
    Changed,
}

/// Compares two versions of a workflow.
pub fn diff(old: &Workflow, new: &Workflow) -> WorkflowDiff {
    let workflow = value_changes(&workflow_level(old), &workflow_level(new));
    let nodes = diff_nodes(&old.nodes, &new.nodes);
    let edges = diff_edges(&old.edges, &new.edges);
    let triggers = diff_triggers(&old.triggers, &new.triggers);
    WorkflowDiff {
        summary: DiffSummary {
            nodes_added: nodes.added.len(),
            nodes_removed: nodes.removed.len(),
            nodes_changed: nodes.changed.len(),
            nodes_moved: nodes.moved.len(),
            edges_added: edges.added.len(),
            edges_removed: edges.removed.len(),
            triggers_added: triggers.added.len(),
            triggers_removed: triggers.removed.len(),
            triggers_changed: triggers.changed.len(),
            workflow_changed: workflow.len(),
        },
        workflow,
        nodes,
        edges,
        triggers,
    }
}

/// The differing leaves of two JSON values, pointers relative to them, in a fixed order.
pub fn value_changes(before: &Value, after: &Value) -> Vec<ValueChange> {
    let mut out = Vec::new();
    compare(&mut String::new(), before, after, &mut out);
    out
}

/// The workflow as JSON without what is compared elsewhere (nodes, edges, triggers) or not at
/// all (`ui`).
fn workflow_level(w: &Workflow) -> Value {
    let mut v = to_value(w);
    if let Value::Object(map) = &mut v {
        for key in ["nodes", "edges", "triggers", "ui"] {
            map.remove(key);
        }
    }
    v
}

fn to_value(v: &impl Serialize) -> Value {
    // The document types serialize to JSON without fail (string keys, finite numbers).
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Items by id, first occurrence kept (a valid document has unique ids).
fn by_id<T>(items: &[T], id: impl Fn(&T) -> &str) -> BTreeMap<&str, &T> {
    let mut map = BTreeMap::new();
    for item in items {
        map.entry(id(item)).or_insert(item);
    }
    map
}

fn diff_nodes(old: &[Node], new: &[Node]) -> NodesDiff {
    let old = by_id(old, |n| &n.id);
    let new = by_id(new, |n| &n.id);
    let mut out = NodesDiff::default();
    for (id, o) in &old {
        match new.get(id) {
            None => out.removed.push((*o).clone()),
            Some(n) => {
                if let Some(change) = node_change(o, n) {
                    out.changed.push(change);
                }
                if o.position != n.position {
                    out.moved.push(NodeMove {
                        id: id.to_string(),
                        before: o.position,
                        after: n.position,
                    });
                }
            }
        }
    }
    out.added = new
        .iter()
        .filter(|(id, _)| !old.contains_key(*id))
        .map(|(_, n)| (*n).clone())
        .collect();
    out
}

fn change<T: PartialEq + Clone>(before: &T, after: &T) -> Option<Change<T>> {
    (before != after).then(|| Change {
        before: before.clone(),
        after: after.clone(),
    })
}

fn node_change(o: &Node, n: &Node) -> Option<NodeChange> {
    let c = NodeChange {
        id: o.id.clone(),
        node_type: change(&o.node_type, &n.node_type),
        name: change(&o.name, &n.name),
        params: map_changes(&o.params, &n.params),
        settings: value_changes(&to_value(&o.settings), &to_value(&n.settings)),
        notes: change(&o.notes, &n.notes),
        disabled: change(&o.disabled, &n.disabled),
    };
    let unchanged = c.node_type.is_none()
        && c.name.is_none()
        && c.params.is_empty()
        && c.settings.is_empty()
        && c.notes.is_none()
        && c.disabled.is_none();
    (!unchanged).then_some(c)
}

fn map_changes(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<ValueChange> {
    let mut out = Vec::new();
    compare_maps(&mut String::new(), before, after, &mut out);
    out
}

type EdgeKey<'a> = (&'a str, &'a str, &'a str, &'a str);

fn edge_key(e: &Edge) -> EdgeKey<'_> {
    (&e.from.node, &e.from.port, &e.to.node, &e.to.port)
}

fn diff_edges(old: &[Edge], new: &[Edge]) -> EdgesDiff {
    let old: BTreeMap<EdgeKey, &Edge> = old.iter().map(|e| (edge_key(e), e)).collect();
    let new: BTreeMap<EdgeKey, &Edge> = new.iter().map(|e| (edge_key(e), e)).collect();
    let only = |a: &BTreeMap<EdgeKey, &Edge>, b: &BTreeMap<EdgeKey, &Edge>| -> Vec<Edge> {
        a.iter()
            .filter(|(k, _)| !b.contains_key(*k))
            .map(|(_, e)| (*e).clone())
            .collect()
    };
    EdgesDiff {
        added: only(&new, &old),
        removed: only(&old, &new),
    }
}

fn diff_triggers(old: &[Trigger], new: &[Trigger]) -> TriggersDiff {
    let old = by_id(old, |t| &t.id);
    let new = by_id(new, |t| &t.id);
    let mut out = TriggersDiff::default();
    for (id, o) in &old {
        match new.get(id) {
            None => out.removed.push((*o).clone()),
            Some(n) => {
                let changes = value_changes(&to_value(o), &to_value(n));
                if !changes.is_empty() {
                    out.changed.push(TriggerChange {
                        id: id.to_string(),
                        changes,
                    });
                }
            }
        }
    }
    out.added = new
        .iter()
        .filter(|(id, _)| !old.contains_key(*id))
        .map(|(_, t)| (*t).clone())
        .collect();
    out
}

fn compare(path: &mut String, before: &Value, after: &Value, out: &mut Vec<ValueChange>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => compare_maps(path, b, a, out),
        (Value::Array(b), Value::Array(a)) if b.len() == a.len() => {
            for (i, (b, a)) in b.iter().zip(a).enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                compare(path, b, a, out);
                path.truncate(len);
            }
        }
        (b, a) if !same(b, a) => out.push(ValueChange {
            path: path.clone(),
            kind: ChangeKind::Changed,
            before: Some(b.clone()),
            after: Some(a.clone()),
        }),
        _ => {}
    }
}

fn compare_maps(
    path: &mut String,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    out: &mut Vec<ValueChange>,
) {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let len = path.len();
        push_token(path, key);
        match (before.get(key), after.get(key)) {
            (Some(b), Some(a)) => compare(path, b, a, out),
            (Some(b), None) => out.push(ValueChange {
                path: path.clone(),
                kind: ChangeKind::Removed,
                before: Some(b.clone()),
                after: None,
            }),
            (None, Some(a)) => out.push(ValueChange {
                path: path.clone(),
                kind: ChangeKind::Added,
                before: None,
                after: Some(a.clone()),
            }),
            (None, None) => {}
        }
        path.truncate(len);
    }
}

/// JSON equality with numbers compared by value: `1` and `1.0` are the same number (a document
/// re-saved by another tool may write either).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (a, b) => a == b,
    }
}

/// Appends `/token` with `~` and `/` escaped as RFC 6901 says (`~0`, `~1`).
fn push_token(path: &mut String, token: &str) {
    path.push('/');
    for c in token.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

#[cfg(test)]
mod tests;
