// What changed between two versions of a workflow, for the visual diff: every node and edge of
// both versions with a status (added, removed, changed, unchanged), each change of a node as a
// JSON pointer with its old and new value, and the canvas elements that draw it (removed nodes
// stay where they were, as ghosts). Pure: both documents in, plain data out.
import type { Edge, Node } from "@xyflow/react";
import { MAIN, type DocEdge, type DocNode, type DocTrigger, type Position, type WorkflowDocument } from "./model";

export type DiffStatus = "added" | "removed" | "changed" | "unchanged";

export interface ValueChange {
  /** RFC 6901 pointer relative to the compared value (`/params/url`). */
  path: string;
  kind: "added" | "removed" | "changed";
  before?: unknown;
  after?: unknown;
}

export interface NodeDiff {
  /** Canvas id: the node id, or `trigger:<id>` for a trigger. */
  id: string;
  kind: "step" | "trigger";
  status: DiffStatus;
  /** Type (`core.set@1`, or the trigger's type). */
  type: string;
  name: string;
  position: Position;
  /** Only its position changed. */
  moved: boolean;
  changes: ValueChange[];
}

export interface EdgeDiff {
  id: string;
  status: "added" | "removed" | "unchanged";
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

export interface VersionDiff {
  nodes: NodeDiff[];
  edges: EdgeDiff[];
  /** Workflow-level changes: name, description, tags, settings, variables. */
  workflow: ValueChange[];
  summary: { added: number; removed: number; changed: number; edgesAdded: number; edgesRemoved: number };
}

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => equal(a[k], b[k]));
  }
  return false;
}

/** Leaf changes between two JSON values: objects are walked key by key; arrays and scalars compare whole. */
export function diffValues(before: unknown, after: unknown, base = ""): ValueChange[] {
  if (equal(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const out: ValueChange[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) {
      const p = `${base}/${escapePointer(k)}`;
      const a = before[k];
      const b = after[k];
      if (a === undefined && b !== undefined) out.push({ path: p, kind: "added", after: b });
      else if (a !== undefined && b === undefined) out.push({ path: p, kind: "removed", before: a });
      else out.push(...diffValues(a, b, p));
    }
    return out;
  }
  if (before === undefined) return [{ path: base, kind: "added", after }];
  if (after === undefined) return [{ path: base, kind: "removed", before }];
  return [{ path: base, kind: "changed", before, after }];
}

/** A node as compared: everything but its id and position. */
function comparable(n: DocNode): Record<string, unknown> {
  const { id: _id, position: _p, ...rest } = n;
  return rest;
}

function edgeKey(e: DocEdge): string {
  return `${e.from.node}:${e.from.port ?? MAIN}->${e.to.node}:${e.to.port ?? MAIN}`;
}

function triggerPositions(doc: WorkflowDocument): Record<string, Position> {
  const t = (doc.ui as { triggers?: Record<string, Position> } | null | undefined)?.triggers;
  return t && typeof t === "object" ? t : {};
}

function samePosition(a?: Position, b?: Position): boolean {
  return (a?.x ?? 0) === (b?.x ?? 0) && (a?.y ?? 0) === (b?.y ?? 0);
}

export function diffDocuments(before: WorkflowDocument, after: WorkflowDocument): VersionDiff {
  const nodes: NodeDiff[] = [];
  const oldNodes = new Map(before.nodes.map((n) => [n.id, n]));
  const newNodes = new Map(after.nodes.map((n) => [n.id, n]));
  const fallback = (i: number): Position => ({ x: 80 + (i % 6) * 260, y: 120 + Math.floor(i / 6) * 160 });
  after.nodes.forEach((n, i) => {
    const old = oldNodes.get(n.id);
    const position = n.position ?? fallback(i);
    if (!old) {
      nodes.push({ id: n.id, kind: "step", status: "added", type: n.type, name: n.name ?? n.id, position, moved: false, changes: diffValues(undefined, comparable(n)) });
      return;
    }
    const changes = diffValues(comparable(old), comparable(n));
    nodes.push({
      id: n.id, kind: "step", status: changes.length > 0 ? "changed" : "unchanged", type: n.type, name: n.name ?? n.id,
      position, moved: !samePosition(old.position, n.position), changes,
    });
  });
  before.nodes.forEach((n, i) => {
    if (newNodes.has(n.id)) return;
    nodes.push({ id: n.id, kind: "step", status: "removed", type: n.type, name: n.name ?? n.id, position: n.position ?? fallback(i), moved: false, changes: [] });
  });

  // Triggers are drawn as nodes too, wired to their target.
  const oldTriggers = new Map((before.triggers ?? []).map((t) => [t.id, t]));
  const newTriggers = new Map((after.triggers ?? []).map((t) => [t.id, t]));
  const oldTp = triggerPositions(before);
  const newTp = triggerPositions(after);
  const triggerPos = (t: DocTrigger, tp: Record<string, Position>, doc: WorkflowDocument, i: number): Position => {
    if (tp[t.id]) return tp[t.id] as Position;
    const target = doc.nodes.find((n) => n.id === t.node)?.position;
    return target ? { x: target.x - 260, y: target.y } : { x: 0, y: 120 + i * 120 };
  };
  (after.triggers ?? []).forEach((t, i) => {
    const old = oldTriggers.get(t.id);
    const changes = old ? diffValues(old, t) : [];
    nodes.push({
      id: `trigger:${t.id}`, kind: "trigger", status: !old ? "added" : changes.length > 0 ? "changed" : "unchanged", type: t.type, name: t.id,
      // A trigger placed automatically (no saved position) has not moved when it gets one.
      position: triggerPos(t, newTp, after, i), moved: !!old && !!oldTp[t.id] && !!newTp[t.id] && !samePosition(oldTp[t.id], newTp[t.id]), changes,
    });
  });
  (before.triggers ?? []).forEach((t, i) => {
    if (newTriggers.has(t.id)) return;
    nodes.push({ id: `trigger:${t.id}`, kind: "trigger", status: "removed", type: t.type, name: t.id, position: triggerPos(t, oldTp, before, i), moved: false, changes: [] });
  });

  const edges: EdgeDiff[] = [];
  const toEdge = (e: DocEdge, status: EdgeDiff["status"]): EdgeDiff => ({
    id: `${status}:${edgeKey(e)}`, status, source: e.from.node, sourcePort: e.from.port ?? MAIN, target: e.to.node, targetPort: e.to.port ?? MAIN,
  });
  const oldEdges = new Set((before.edges ?? []).map(edgeKey));
  const newEdges = new Set((after.edges ?? []).map(edgeKey));
  for (const e of after.edges ?? []) edges.push(toEdge(e, oldEdges.has(edgeKey(e)) ? "unchanged" : "added"));
  for (const e of before.edges ?? []) if (!newEdges.has(edgeKey(e))) edges.push(toEdge(e, "removed"));
  // Trigger wiring: an edge from the trigger to its target.
  const triggerEdge = (t: DocTrigger, status: EdgeDiff["status"]): EdgeDiff => ({
    id: `${status}:trigger:${t.id}->${t.node}`, status, source: `trigger:${t.id}`, sourcePort: MAIN, target: t.node, targetPort: MAIN,
  });
  for (const t of after.triggers ?? []) {
    if (!t.node) continue;
    const old = oldTriggers.get(t.id);
    edges.push(triggerEdge(t, old?.node === t.node ? "unchanged" : "added"));
  }
  for (const t of before.triggers ?? []) {
    if (!t.node) continue;
    const now = newTriggers.get(t.id);
    if (now?.node !== t.node) edges.push(triggerEdge(t, "removed"));
  }

  const pick = (d: WorkflowDocument) => ({ name: d.name, description: d.description, tags: d.tags, settings: d.settings, variables: d.variables });
  const workflow = diffValues(pick(before), pick(after));
  return {
    nodes,
    edges,
    workflow,
    summary: {
      added: nodes.filter((n) => n.status === "added").length,
      removed: nodes.filter((n) => n.status === "removed").length,
      changed: nodes.filter((n) => n.status === "changed").length,
      edgesAdded: edges.filter((e) => e.status === "added").length,
      edgesRemoved: edges.filter((e) => e.status === "removed").length,
    },
  };
}

export interface DiffNodeData extends Record<string, unknown> {
  diff: NodeDiff;
  /** Ports the drawn edges use, so each edge has a handle to attach to. */
  inPorts: string[];
  outPorts: string[];
}

export type DiffCanvasNode = Node<DiffNodeData, "diff">;

/** The canvas elements of a diff: one read-only node per node of either version, edges coloured by status. */
export function diffCanvas(d: VersionDiff): { nodes: DiffCanvasNode[]; edges: Edge[] } {
  const inPorts = new Map<string, Set<string>>();
  const outPorts = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, k: string, p: string) => {
    const s = m.get(k) ?? new Set<string>();
    s.add(p);
    m.set(k, s);
  };
  for (const e of d.edges) {
    add(outPorts, e.source, e.sourcePort);
    add(inPorts, e.target, e.targetPort);
  }
  const nodes: DiffCanvasNode[] = d.nodes.map((n) => ({
    id: n.id,
    type: "diff",
    position: { ...n.position },
    draggable: false,
    connectable: false,
    data: { diff: n, inPorts: [...(inPorts.get(n.id) ?? [])].sort(), outPorts: [...(outPorts.get(n.id) ?? [])].sort() },
  }));
  const edges: Edge[] = d.edges.map((e) => ({
    id: e.id,
    source: e.source,
    sourceHandle: e.sourcePort,
    target: e.target,
    targetHandle: e.targetPort,
    type: "smoothstep",
    className: `diff-edge-${e.status}`,
    data: { status: e.status },
    animated: e.status === "added",
  }));
  return { nodes, edges };
}

/** "3 changed, 1 added, 1 removed" or "No changes". */
export function describeSummary(s: VersionDiff["summary"]): string {
  const parts: string[] = [];
  if (s.changed) parts.push(`${s.changed} changed`);
  if (s.added) parts.push(`${s.added} added`);
  if (s.removed) parts.push(`${s.removed} removed`);
  if (s.edgesAdded || s.edgesRemoved) parts.push(`${s.edgesAdded + s.edgesRemoved} connection${s.edgesAdded + s.edgesRemoved === 1 ? "" : "s"} changed`);
  return parts.length > 0 ? parts.join(", ") : "No changes to nodes or connections";
}
