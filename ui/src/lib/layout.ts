// Auto-layout (dagre, left to right) and alignment of the selected nodes.
import dagre from "@dagrejs/dagre";
import type { CanvasEdge, CanvasNode } from "./graph";

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 84;
export const GRID = 20;

function size(n: CanvasNode): { width: number; height: number } {
  return {
    width: n.measured?.width ?? n.width ?? NODE_WIDTH,
    height: n.measured?.height ?? n.height ?? NODE_HEIGHT,
  };
}

export function snap(v: number): number {
  return Math.round(v / GRID) * GRID;
}

/**
 * Lays the steps and triggers out left to right by their edges; sticky notes stay where they
 * are. Returns the new positions by node id (top-left corners, snapped to the grid).
 */
export function autoLayout(nodes: CanvasNode[], edges: CanvasEdge[]): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 90, marginx: 40, marginy: 40 });
  g.setDefaultEdgeLabel(() => ({}));
  const laid = nodes.filter((n) => n.type !== "sticky");
  for (const n of laid) g.setNode(n.id, size(n));
  const ids = new Set(laid.map((n) => n.id));
  // Edges keep the order of the source's ports, so an if's true branch stays above false.
  for (const e of edges) if (ids.has(e.source) && ids.has(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of laid) {
    const p = g.node(n.id);
    const { width, height } = size(n);
    out.set(n.id, { x: snap(p.x - width / 2), y: snap(p.y - height / 2) });
  }
  orderBranchesByPort(out, edges, ids);
  return out;
}

/**
 * Dagre orders nodes to cross few edges, not by port: an if's `false` branch may land above
 * its `true` branch. Children fed by one parent only, in one column, are stacked in the order
 * of the parent's output ports (the order the node lists them).
 */
function orderBranchesByPort(out: Map<string, { x: number; y: number }>, edges: CanvasEdge[], ids: Set<string>): void {
  const parents = new Map<string, number>();
  for (const e of edges) if (ids.has(e.source) && ids.has(e.target)) parents.set(e.target, (parents.get(e.target) ?? 0) + 1);
  const bySource = new Map<string, CanvasEdge[]>();
  for (const e of edges) {
    if (!ids.has(e.source) || !ids.has(e.target) || parents.get(e.target) !== 1) continue;
    const list = bySource.get(e.source) ?? [];
    list.push(e);
    bySource.set(e.source, list);
  }
  for (const list of bySource.values()) {
    const children = [...new Set(list.map((e) => e.target))];
    if (children.length < 2) continue;
    const xs = new Set(children.map((c) => out.get(c)?.x));
    if (xs.size !== 1) continue;
    // Port order: the order in which the edges' source handles first appear is the order the
    // node's outputs were connected; sort by handle position instead where known (true < false).
    const rank = (c: string) => {
      const e = list.find((x) => x.target === c);
      return portRank(e?.sourceHandle ?? "main");
    };
    const ys = children.map((c) => out.get(c)?.y ?? 0).sort((a, b) => a - b);
    const ordered = [...children].sort((a, b) => rank(a) - rank(b));
    ordered.forEach((c, i) => {
      const p = out.get(c);
      if (p) out.set(c, { x: p.x, y: ys[i] ?? p.y });
    });
  }
}

/** Where an output port sits on its node, top to bottom; `error` is always last. */
function portRank(handle: string): number {
  if (handle === "error") return 1e6;
  if (handle === "true") return 0;
  if (handle === "false") return 1;
  if (handle === "fallback") return 1e5;
  return 2;
}

export type Alignment = "left" | "center" | "right" | "top" | "middle" | "bottom" | "distribute-h" | "distribute-v";

/** New positions that align (or evenly distribute) the given nodes. */
export function align(nodes: CanvasNode[], how: Alignment): Map<string, { x: number; y: number }> {
  const out = new Map<string, { x: number; y: number }>();
  if (nodes.length < 2) return out;
  const boxes = nodes.map((n) => ({ n, ...size(n), x: n.position.x, y: n.position.y }));
  const minX = Math.min(...boxes.map((b) => b.x));
  const maxRight = Math.max(...boxes.map((b) => b.x + b.width));
  const minY = Math.min(...boxes.map((b) => b.y));
  const maxBottom = Math.max(...boxes.map((b) => b.y + b.height));
  const midX = (minX + maxRight) / 2;
  const midY = (minY + maxBottom) / 2;
  if (how === "distribute-h" || how === "distribute-v") {
    const horizontal = how === "distribute-h";
    const sorted = [...boxes].sort((a, b) => (horizontal ? a.x - b.x : a.y - b.y));
    const total = sorted.reduce((s, b) => s + (horizontal ? b.width : b.height), 0);
    const span = horizontal ? maxRight - minX : maxBottom - minY;
    const gap = (span - total) / (sorted.length - 1);
    let cursor = horizontal ? minX : minY;
    for (const b of sorted) {
      out.set(b.n.id, horizontal ? { x: Math.round(cursor), y: b.y } : { x: b.x, y: Math.round(cursor) });
      cursor += (horizontal ? b.width : b.height) + gap;
    }
    return out;
  }
  for (const b of boxes) {
    const p = { x: b.x, y: b.y };
    if (how === "left") p.x = minX;
    if (how === "right") p.x = maxRight - b.width;
    if (how === "center") p.x = Math.round(midX - b.width / 2);
    if (how === "top") p.y = minY;
    if (how === "bottom") p.y = maxBottom - b.height;
    if (how === "middle") p.y = Math.round(midY - b.height / 2);
    out.set(b.n.id, p);
  }
  return out;
}
