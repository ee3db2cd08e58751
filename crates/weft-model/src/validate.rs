//! Validation that reports every problem at once, each with a JSON pointer, the node id and a
//! plain message.

use crate::catalog::{NodeCatalog, ResolvedPorts};
use crate::document::{Endpoint, JoinPolicy, Workflow};
use crate::parse::escape_pointer;
use crate::ports::{Compatibility, coercion};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The workflow cannot run.
    Error,
    /// The workflow runs, but probably not as meant.
    Warning,
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, e.g. `graph.cycle`.
    pub code: &'static str,
    /// JSON pointer into the document.
    pub pointer: String,
    /// The node concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{sev}[{}] {}",
            self.code,
            if self.pointer.is_empty() {
                "/"
            } else {
                &self.pointer
            }
        )?;
        if let Some(n) = &self.node_id {
            write!(f, " (node {n})")?;
        }
        write!(f, ": {}", self.message)
    }
}

struct Report(Vec<Diagnostic>);

impl Report {
    fn error(&mut self, code: &'static str, pointer: String, node: Option<&str>, message: String) {
        self.0.push(Diagnostic {
            severity: Severity::Error,
            code,
            pointer,
            node_id: node.map(str::to_string),
            message,
        });
    }
    fn warning(
        &mut self,
        code: &'static str,
        pointer: String,
        node: Option<&str>,
        message: String,
    ) {
        self.0.push(Diagnostic {
            severity: Severity::Warning,
            code,
            pointer,
            node_id: node.map(str::to_string),
            message,
        });
    }
}

/// Validates a workflow against a node catalog. Returns every problem found, errors first.
pub fn validate(wf: &Workflow, catalog: &dyn NodeCatalog) -> Vec<Diagnostic> {
    let mut r = Report(Vec::new());

    // The error workflow: a version id, or a document that must itself be a workflow.
    match &wf.settings.error_workflow {
        Some(Value::String(id)) if id.trim().is_empty() => r.error(
            "settings.errorWorkflow.invalid",
            "/settings/errorWorkflow".into(),
            None,
            "the error workflow's version id is empty".into(),
        ),
        Some(doc @ Value::Object(_)) => {
            if let Err(e) = crate::parse::workflow_from_value(
                doc.clone(),
                &crate::parse::ParseLimits::default(),
            ) {
                r.error(
                    "settings.errorWorkflow.invalid",
                    format!("/settings/errorWorkflow{}", e.pointer().unwrap_or("")),
                    None,
                    format!("the error workflow is not a valid workflow: {e}"),
                );
            }
        }
        Some(Value::String(_)) | None => {}
        Some(_) => r.error(
            "settings.errorWorkflow.invalid",
            "/settings/errorWorkflow".into(),
            None,
            "must be a workflow version id or a workflow document".into(),
        ),
    }

    // Node ids and names.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, node) in wf.nodes.iter().enumerate() {
        let p = format!("/nodes/{i}");
        if node.id.trim().is_empty() {
            r.error(
                "node.id.empty",
                format!("{p}/id"),
                None,
                "node id must not be empty".into(),
            );
            continue;
        }
        if let Some(first) = index.insert(&node.id, i) {
            index.insert(&node.id, first);
            r.error(
                "node.id.duplicate",
                format!("{p}/id"),
                Some(&node.id),
                format!("node id {:?} is already used by /nodes/{first}", node.id),
            );
        }
        let name = node.display_name();
        if let Some(first) = names.insert(name, i)
            && wf.nodes[first].id != node.id
        {
            names.insert(name, first);
            r.error(
                "node.name.duplicate",
                format!("{p}/name"),
                Some(&node.id),
                format!("node name {name:?} is also used by node {:?}; expressions look nodes up by name", wf.nodes[first].id),
            );
        }
    }

    // Node types, params, ports.
    let mut ports: Vec<Option<ResolvedPorts>> = vec![None; wf.nodes.len()];
    let mut schemas: HashMap<String, Option<jsonschema::Validator>> = HashMap::new();
    for (i, node) in wf.nodes.iter().enumerate() {
        let p = format!("/nodes/{i}");
        let id = Some(node.id.as_str());
        let Some(info) = catalog.info(&node.node_type) else {
            let versions = catalog.versions(&node.node_type.name);
            let msg = if versions.is_empty() {
                format!("unknown node type {:?}", node.node_type.name)
            } else {
                let list: Vec<String> = versions
                    .iter()
                    .map(|v| format!("{}@{v}", node.node_type.name))
                    .collect();
                format!(
                    "node type {} has no version {}; available: {}",
                    node.node_type.name,
                    node.node_type.version,
                    list.join(", ")
                )
            };
            r.error("node.type.unknown", format!("{p}/type"), id, msg);
            continue;
        };
        let key = node.node_type.to_string();
        let validator = schemas
            .entry(key)
            .or_insert_with(|| jsonschema::validator_for(&info.params_schema).ok());
        let raw = crate::catalog::raw_param_keys(&info.params_schema);
        let params = Value::Object(node.params.clone());
        if let Some(v) = validator {
            for err in v.iter_errors(&params) {
                let at = err.instance_path().to_string();
                if holds_expression(&params, &at) {
                    continue; // checked when the expression renders
                }
                r.error(
                    "node.params.schema",
                    format!("{p}/params{at}"),
                    id,
                    err.to_string(),
                );
            }
        }
        let templated: serde_json::Map<String, Value> = node
            .params
            .iter()
            .filter(|(k, _)| !raw.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        check_expressions(&templated, &format!("{p}/params"), id, &mut r);
        match catalog.ports(&node.node_type, &node.params) {
            Ok(ps) => ports[i] = Some(ps),
            Err(msg) => r.error("node.params.ports", format!("{p}/params"), id, msg),
        }
        check_settings(wf, i, &mut r);
    }

    // Edges.
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); wf.nodes.len()];
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); wf.nodes.len()];
    let mut seen_edges: HashSet<(&Endpoint, &Endpoint)> = HashSet::new();
    for (e, edge) in wf.edges.iter().enumerate() {
        let p = format!("/edges/{e}");
        let from = index.get(edge.from.node.as_str()).copied();
        let to = index.get(edge.to.node.as_str()).copied();
        if from.is_none() {
            r.error(
                "edge.dangling",
                format!("{p}/from/node"),
                None,
                format!("edge starts at unknown node {:?}", edge.from.node),
            );
        }
        if to.is_none() {
            r.error(
                "edge.dangling",
                format!("{p}/to/node"),
                None,
                format!("edge ends at unknown node {:?}", edge.to.node),
            );
        }
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        if !seen_edges.insert((&edge.from, &edge.to)) {
            r.warning(
                "edge.duplicate",
                p.clone(),
                Some(&edge.to.node),
                "the same connection appears twice".into(),
            );
            continue;
        }
        outgoing[from].push(e);
        incoming[to].push(e);
        let (Some(fp), Some(tp)) = (&ports[from], &ports[to]) else {
            continue;
        };
        let out = fp.output(&edge.from.port);
        let inp = tp.input(&edge.to.port);
        if out.is_none() {
            let names: Vec<&str> = fp
                .outputs
                .iter()
                .map(|p| p.name.as_str())
                .chain([ResolvedPorts::ERROR_PORT])
                .collect();
            r.error(
                "edge.port.unknown",
                format!("{p}/from/port"),
                Some(&edge.from.node),
                format!(
                    "node {:?} has no output port {:?}; it has: {}",
                    edge.from.node,
                    edge.from.port,
                    names.join(", ")
                ),
            );
        }
        if inp.is_none() {
            let names: Vec<&str> = tp.inputs.iter().map(|p| p.name.as_str()).collect();
            r.error(
                "edge.port.unknown",
                format!("{p}/to/port"),
                Some(&edge.to.node),
                format!(
                    "node {:?} has no input port {:?}; it has: {}",
                    edge.to.node,
                    edge.to.port,
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                ),
            );
        }
        if let (Some(o), Some(i)) = (out, inp)
            && coercion(o.port_type, i.port_type) == Compatibility::Incompatible
        {
            r.error(
                "edge.type.incompatible",
                p.clone(),
                Some(&edge.to.node),
                format!(
                    "{}.{} emits {} but {}.{} takes {}; no conversion exists between them",
                    edge.from.node,
                    edge.from.port,
                    o.port_type,
                    edge.to.node,
                    edge.to.port,
                    i.port_type
                ),
            );
        }
    }

    // Triggers and entry nodes.
    let mut trigger_ids = HashSet::new();
    let mut entries: Vec<usize> = Vec::new();
    for (t, trig) in wf.triggers.iter().enumerate() {
        let p = format!("/triggers/{t}");
        if trig.kind == crate::document::TriggerKind::Cron {
            check_cron(&trig.params, &p, &mut r);
        }
        if !trigger_ids.insert(trig.id.as_str()) {
            r.error(
                "trigger.id.duplicate",
                format!("{p}/id"),
                None,
                format!("trigger id {:?} is used twice", trig.id),
            );
        }
        match index.get(trig.node.as_str()) {
            Some(&n) => entries.push(n),
            None => r.error(
                "trigger.node.unknown",
                format!("{p}/node"),
                None,
                format!("trigger targets unknown node {:?}", trig.node),
            ),
        }
    }
    if wf.triggers.is_empty() {
        entries = (0..wf.nodes.len())
            .filter(|&n| incoming[n].is_empty())
            .collect();
    }
    let entry_set: HashSet<usize> = entries.iter().copied().collect();

    // Required inputs.
    for (i, node) in wf.nodes.iter().enumerate() {
        let Some(ps) = &ports[i] else { continue };
        for input in ps.inputs.iter().filter(|p| p.required) {
            let connected = incoming[i]
                .iter()
                .any(|&e| wf.edges[e].to.port == input.name);
            let fed_by_trigger = entry_set.contains(&i) && input.name == Endpoint::MAIN;
            if !connected && !fed_by_trigger {
                r.error(
                    "node.input.unconnected",
                    format!("/nodes/{i}"),
                    Some(&node.id),
                    format!(
                        "required input {:?} of node {:?} is not connected",
                        input.name, node.id
                    ),
                );
            }
        }
        if let Some(join) = node.settings.join {
            let k = incoming[i].len() as u32;
            let n = match join {
                JoinPolicy::First { n } => Some(n),
                JoinPolicy::Quorum { n } => n,
                _ => None,
            };
            if let Some(n) = n
                && (n == 0 || n > k)
            {
                r.error(
                    "node.join.invalid",
                    format!("/nodes/{i}/settings/join/n"),
                    Some(&node.id),
                    if n == 0 {
                        "join n must be at least 1".to_string()
                    } else {
                        format!(
                            "join waits for {n} inputs but the node has only {k} incoming {}",
                            if k == 1 { "edge" } else { "edges" }
                        )
                    },
                );
            }
        }
    }

    // Cycles.
    for cycle in find_cycles(wf.nodes.len(), &outgoing, |e| {
        index[wf.edges[e].to.node.as_str()]
    }) {
        let names: Vec<&str> = cycle.iter().map(|&n| wf.nodes[n].id.as_str()).collect();
        let first = cycle[0];
        r.error(
            "graph.cycle",
            format!("/nodes/{first}"),
            Some(&wf.nodes[first].id),
            format!("cycle: {} → {}", names.join(" → "), names[0]),
        );
    }

    // Unreachable nodes.
    let mut reached = vec![false; wf.nodes.len()];
    let mut stack = entries.clone();
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut reached[n], true) {
            continue;
        }
        for &e in &outgoing[n] {
            stack.push(index[wf.edges[e].to.node.as_str()]);
        }
    }
    for (i, node) in wf.nodes.iter().enumerate() {
        if !reached[i] && !node.id.trim().is_empty() && index.get(node.id.as_str()) == Some(&i) {
            r.warning(
                "node.unreachable",
                format!("/nodes/{i}"),
                Some(&node.id),
                format!(
                    "node {:?} is not reachable from any trigger and will never run",
                    node.id
                ),
            );
        }
    }
    if wf.nodes.is_empty() {
        r.warning(
            "graph.empty",
            "/nodes".into(),
            None,
            "the workflow has no nodes".into(),
        );
    }

    let mut out = r.0;
    out.sort_by_key(|a| a.severity);
    out
}

fn check_settings(wf: &Workflow, i: usize, r: &mut Report) {
    let node = &wf.nodes[i];
    let p = format!("/nodes/{i}/settings");
    let id = Some(node.id.as_str());
    if let Some(retry) = &node.settings.retry {
        if retry.max_attempts == 0 {
            r.error(
                "node.retry.invalid",
                format!("{p}/retry/maxAttempts"),
                id,
                "maxAttempts must be at least 1".into(),
            );
        }
        if !(0.0..=1.0).contains(&retry.jitter) {
            r.error(
                "node.retry.invalid",
                format!("{p}/retry/jitter"),
                id,
                "jitter must be between 0 and 1".into(),
            );
        }
        if !(retry.backoff_coefficient >= 1.0 && retry.backoff_coefficient <= 100.0) {
            r.error(
                "node.retry.invalid",
                format!("{p}/retry/backoffCoefficient"),
                id,
                "backoffCoefficient must be between 1 and 100".into(),
            );
        }
    }
    if node.settings.concurrency == Some(0) {
        r.error(
            "node.concurrency.invalid",
            format!("{p}/concurrency"),
            id,
            "concurrency must be at least 1".into(),
        );
    }
    if node.settings.timeout.is_some_and(|t| t.0 == 0) {
        r.error(
            "node.timeout.invalid",
            format!("{p}/timeout"),
            id,
            "a timeout of zero would fail every attempt".into(),
        );
    }
}

fn holds_expression(root: &Value, pointer: &str) -> bool {
    match root.pointer(pointer) {
        Some(Value::String(s)) => weft_expr::contains_expression(s),
        _ => false,
    }
}

/// A cron trigger needs `expression` (5 or 6 fields) and may give `timezone` (IANA, default UTC).
fn check_cron(params: &serde_json::Map<String, Value>, p: &str, r: &mut Report) {
    let zone = match params.get("timezone") {
        None => "UTC",
        Some(Value::String(z)) => z.as_str(),
        Some(_) => {
            r.error(
                "trigger.cron.invalid",
                format!("{p}/params/timezone"),
                None,
                "timezone must be an IANA name such as \"Europe/Paris\"".into(),
            );
            return;
        }
    };
    let Some(Value::String(expression)) = params.get("expression") else {
        r.error(
            "trigger.cron.invalid",
            format!("{p}/params/expression"),
            None,
            "a cron trigger needs params.expression, e.g. \"0 9 * * MON-FRI\"".into(),
        );
        return;
    };
    if let Err(e) = weft_schedule::Schedule::parse(expression, zone) {
        let at = match e {
            weft_schedule::ScheduleError::TimeZone(_) => "timezone",
            _ => "expression",
        };
        r.error(
            "trigger.cron.invalid",
            format!("{p}/params/{at}"),
            None,
            e.to_string(),
        );
    }
}

fn check_expressions(
    params: &serde_json::Map<String, Value>,
    base: &str,
    node: Option<&str>,
    r: &mut Report,
) {
    let mut stack: Vec<(String, &Value)> = params
        .iter()
        .map(|(k, v)| (format!("{base}/{}", escape_pointer(k)), v))
        .collect();
    while let Some((ptr, v)) = stack.pop() {
        match v {
            Value::String(s) if weft_expr::contains_expression(s) => {
                if let Err(e) = weft_expr::Template::parse(s) {
                    r.error(
                        "node.params.expression",
                        ptr,
                        node,
                        format!("malformed expression: {e}"),
                    );
                }
            }
            Value::Array(a) => {
                stack.extend(a.iter().enumerate().map(|(i, x)| (format!("{ptr}/{i}"), x)))
            }
            Value::Object(m) => stack.extend(
                m.iter()
                    .map(|(k, x)| (format!("{ptr}/{}", escape_pointer(k)), x)),
            ),
            _ => {}
        }
    }
}

/// Finds one cycle per strongly connected component that has one (iterative Tarjan), each as
/// the list of nodes along the cycle.
fn find_cycles(
    n: usize,
    outgoing: &[Vec<usize>],
    target: impl Fn(usize) -> usize,
) -> Vec<Vec<usize>> {
    let succ: Vec<Vec<usize>> = outgoing
        .iter()
        .map(|es| es.iter().map(|&e| target(e)).collect())
        .collect();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0usize;
    let mut sccs: Vec<Vec<usize>> = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = call.last_mut() {
            if *i < succ[v].len() {
                let w = succ[v][*i];
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    let self_loop = comp.len() == 1 && succ[v].contains(&v);
                    if comp.len() > 1 || self_loop {
                        sccs.push(comp);
                    }
                }
            }
        }
    }
    // Walk a concrete cycle inside each component, starting from its smallest node.
    sccs.into_iter()
        .map(|comp| {
            let members: HashSet<usize> = comp.iter().copied().collect();
            let start = comp.iter().copied().min().unwrap_or(0);
            let mut path = vec![start];
            let mut pos: HashMap<usize, usize> = HashMap::from([(start, 0)]);
            let mut cur = start;
            loop {
                let Some(&nxt) = succ[cur].iter().filter(|w| members.contains(w)).min() else {
                    break path;
                };
                if let Some(&at) = pos.get(&nxt) {
                    break path[at..].to_vec();
                }
                pos.insert(nxt, path.len());
                path.push(nxt);
                cur = nxt;
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::find_cycles;

    #[test]
    fn finds_the_cycle_path() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3
        let out = vec![vec![0], vec![1], vec![2, 3], vec![]];
        let targets = [1, 2, 0, 3];
        let cycles = find_cycles(4, &out, |e| targets[e]);
        assert_eq!(cycles, vec![vec![0, 1, 2]]);
    }

    #[test]
    fn self_loop_is_a_cycle() {
        let out = vec![vec![0]];
        assert_eq!(find_cycles(1, &out, |_| 0), vec![vec![0]]);
    }
}
