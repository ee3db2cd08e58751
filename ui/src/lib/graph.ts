// The document ↔ canvas conversion. The canvas has three kinds of node: steps (the document's
// nodes), triggers (the document's `triggers`, drawn as a node whose one output is wired to
// the trigger's target) and sticky notes (kept in `ui.stickies`). Everything else the document
// holds (variables, settings, description, unknown `ui` keys) rides along untouched in `meta`.
import type { Edge, Node } from "@xyflow/react";
import {
  type DocEdge,
  type DocNode,
  type DocTrigger,
  type EditorUi,
  type Position,
  type Sticky,
  type WorkflowDocument,
  MAIN,
} from "./model";

export interface StepData extends Record<string, unknown> { node: DocNode }
export interface TriggerData extends Record<string, unknown> { trigger: DocTrigger }
export interface StickyData extends Record<string, unknown> { sticky: Sticky }

export type StepNode = Node<StepData, "step">;
export type TriggerNode = Node<TriggerData, "trigger">;
export type StickyNode = Node<StickyData, "sticky">;
export type CanvasNode = StepNode | TriggerNode | StickyNode;
export type CanvasEdge = Edge;

/** The document without what the canvas draws. */
export type DocMeta = Omit<WorkflowDocument, "nodes" | "edges" | "triggers">;

export interface Graph {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  meta: DocMeta;
}

export const TRIGGER_PREFIX = "trigger:";
export const STICKY_PREFIX = "sticky:";

export function edgeId(e: DocEdge): string {
  return `e:${e.from.node}:${e.from.port ?? MAIN}->${e.to.node}:${e.to.port ?? MAIN}`;
}

export function triggerEdgeId(triggerId: string): string {
  return `t:${triggerId}`;
}

function isStep(n: CanvasNode): n is StepNode {
  return n.type === "step";
}

/** A grid position for nodes that have none: left to right in document order. */
function fallbackPosition(i: number): Position {
  return { x: 80 + (i % 6) * 260, y: 120 + Math.floor(i / 6) * 160 };
}

export function fromDocument(doc: WorkflowDocument): Graph {
  const ui: EditorUi = doc.ui && typeof doc.ui === "object" ? { ...doc.ui } : {};
  const stickies = Array.isArray(ui.stickies) ? ui.stickies : [];
  const triggerPositions = ui.triggers && typeof ui.triggers === "object" ? ui.triggers : {};
  const nodes: CanvasNode[] = [];
  doc.nodes.forEach((node, i) => {
    nodes.push({
      id: node.id,
      type: "step",
      position: node.position ? { ...node.position } : fallbackPosition(i),
      data: { node: structuredClone(node) },
    });
  });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  (doc.triggers ?? []).forEach((trigger, i) => {
    const target = byId.get(trigger.node);
    const saved = triggerPositions[trigger.id];
    const position = saved
      ? { ...saved }
      : target
        ? { x: target.position.x - 260, y: target.position.y }
        : { x: 0, y: 120 + i * 120 };
    nodes.push({ id: TRIGGER_PREFIX + trigger.id, type: "trigger", position, data: { trigger: structuredClone(trigger) } });
  });
  for (const sticky of stickies) {
    nodes.push({
      id: STICKY_PREFIX + sticky.id,
      type: "sticky",
      position: { x: sticky.x, y: sticky.y },
      width: sticky.width,
      height: sticky.height,
      zIndex: -1,
      data: { sticky: { ...sticky } },
    });
  }
  const edges: CanvasEdge[] = (doc.edges ?? []).map((e) => ({
    id: edgeId(e),
    source: e.from.node,
    sourceHandle: e.from.port ?? MAIN,
    target: e.to.node,
    targetHandle: e.to.port ?? MAIN,
  }));
  for (const trigger of doc.triggers ?? []) {
    if (trigger.node && byId.has(trigger.node)) {
      edges.push({
        id: triggerEdgeId(trigger.id),
        source: TRIGGER_PREFIX + trigger.id,
        sourceHandle: MAIN,
        target: trigger.node,
        targetHandle: MAIN,
      });
    }
  }
  const { nodes: _n, edges: _e, triggers: _t, ...meta } = doc;
  const metaUi: EditorUi = { ...ui };
  delete metaUi.stickies;
  delete metaUi.triggers;
  return { nodes, edges, meta: { ...structuredClone(meta), ui: Object.keys(metaUi).length > 0 ? metaUi : null } };
}

function round(p: Position): Position {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}

export function toDocument(graph: Graph): WorkflowDocument {
  const steps = graph.nodes.filter(isStep);
  const docNodes: DocNode[] = steps.map((n) => ({ ...structuredClone(n.data.node), id: n.id, position: round(n.position) }));
  const triggerNodes = graph.nodes.filter((n): n is TriggerNode => n.type === "trigger");
  const edges: DocEdge[] = [];
  const triggerTarget = new Map<string, string>();
  for (const e of graph.edges) {
    if (e.source.startsWith(TRIGGER_PREFIX)) {
      triggerTarget.set(e.source, e.target);
      continue;
    }
    const fromPort = e.sourceHandle ?? MAIN;
    const toPort = e.targetHandle ?? MAIN;
    // As the server writes documents: the port always named.
    edges.push({ from: { node: e.source, port: fromPort }, to: { node: e.target, port: toPort } });
  }
  const triggers: DocTrigger[] = triggerNodes.map((t) => ({ ...structuredClone(t.data.trigger), node: triggerTarget.get(t.id) ?? "" }));
  const stickies: Sticky[] = graph.nodes
    .filter((n): n is StickyNode => n.type === "sticky")
    .map((n) => ({
      ...n.data.sticky,
      x: Math.round(n.position.x),
      y: Math.round(n.position.y),
      width: Math.round(n.width ?? n.measured?.width ?? n.data.sticky.width),
      height: Math.round(n.height ?? n.measured?.height ?? n.data.sticky.height),
    }));
  const ui: EditorUi = { ...(graph.meta.ui ?? {}) };
  if (stickies.length > 0) ui.stickies = stickies;
  if (triggerNodes.length > 0) {
    ui.triggers = Object.fromEntries(triggerNodes.map((t) => [t.data.trigger.id, round(t.position)]));
  }
  const doc: WorkflowDocument = { ...structuredClone(graph.meta), nodes: docNodes } as WorkflowDocument;
  if (edges.length > 0) doc.edges = edges;
  else delete doc.edges;
  if (triggers.length > 0) doc.triggers = triggers;
  else delete doc.triggers;
  if (Object.keys(ui).length > 0) doc.ui = ui;
  else delete doc.ui;
  return doc;
}

/** A node id not used yet, from a type name: `http_request`, `http_request_2`, … */
export function freshId(base: string, taken: Set<string>): string {
  const stem = base.replace(/@.*$/, "").split(".").pop()?.replace(/[^A-Za-z0-9_]/g, "_") || "node";
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) {
    const id = `${stem}_${i}`;
    if (!taken.has(id)) return id;
  }
}

/** A display name not used yet: `HTTP Request`, `HTTP Request 2`, … */
export function freshName(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const name = `${base} ${i}`;
    if (!taken.has(name)) return name;
  }
}

/** Every id on the canvas: step ids and the raw ids of triggers and stickies. */
export function takenIds(nodes: CanvasNode[]): Set<string> {
  return new Set(nodes.map((n) => (n.type === "step" ? n.id : n.id.slice(n.id.indexOf(":") + 1))));
}

export interface Clip {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
}

/** Copies of clipped nodes with fresh ids (and names), moved by `offset`; edges among them follow. */
export function pasteClip(clip: Clip, existing: CanvasNode[], offset: Position): Clip {
  const taken = takenIds(existing);
  const names = new Set(existing.filter(isStep).map((n) => n.data.node.name ?? n.id));
  const rename = new Map<string, string>();
  const nodes: CanvasNode[] = [];
  for (const n of clip.nodes) {
    const position = { x: n.position.x + offset.x, y: n.position.y + offset.y };
    if (n.type === "step") {
      const id = freshId(n.id, taken);
      taken.add(id);
      rename.set(n.id, id);
      const name = freshName(n.data.node.name ?? n.id, names);
      names.add(name);
      nodes.push({ ...n, id, position, selected: true, data: { node: { ...structuredClone(n.data.node), id, name } } });
    } else if (n.type === "trigger") {
      const tid = freshId(n.data.trigger.id, taken);
      taken.add(tid);
      const id = TRIGGER_PREFIX + tid;
      rename.set(n.id, id);
      nodes.push({ ...n, id, position, selected: true, data: { trigger: { ...structuredClone(n.data.trigger), id: tid } } });
    } else {
      const sid = freshId(n.data.sticky.id, taken);
      taken.add(sid);
      nodes.push({ ...n, id: STICKY_PREFIX + sid, position, selected: true, data: { sticky: { ...n.data.sticky, id: sid } } });
    }
  }
  const edges: CanvasEdge[] = [];
  for (const e of clip.edges) {
    const source = rename.get(e.source);
    const target = rename.get(e.target);
    if (!source || !target) continue;
    const id = source.startsWith(TRIGGER_PREFIX)
      ? triggerEdgeId(source.slice(TRIGGER_PREFIX.length))
      : edgeId({ from: { node: source, port: e.sourceHandle ?? MAIN }, to: { node: target, port: e.targetHandle ?? MAIN } });
    edges.push({ ...e, id, source, target, selected: false });
  }
  return { nodes, edges };
}
