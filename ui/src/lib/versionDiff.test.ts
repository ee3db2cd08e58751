import { describe, expect, it } from "vitest";
import type { WorkflowDocument } from "./model";
import { describeSummary, diffCanvas, diffDocuments, diffValues } from "./versionDiff";

const v1: WorkflowDocument = {
  apiVersion: "weft/v1",
  name: "orders",
  triggers: [{ id: "hook", type: "webhook", node: "fetch", params: { path: "orders" } }],
  nodes: [
    { id: "fetch", type: "http.request@1", name: "Fetch", params: { url: "https://a.example/orders", method: "GET" }, position: { x: 0, y: 0 } },
    { id: "shape", type: "core.set@1", params: { fields: { total: "{{ $json.sum }}" } }, position: { x: 300, y: 0 } },
    { id: "old", type: "util.log@1", params: { message: "bye" }, position: { x: 600, y: 0 } },
  ],
  edges: [
    { from: { node: "fetch", port: "main" }, to: { node: "shape", port: "main" } },
    { from: { node: "shape", port: "main" }, to: { node: "old", port: "main" } },
  ],
};

const v2: WorkflowDocument = {
  ...v1,
  name: "orders v2",
  nodes: [
    { id: "fetch", type: "http.request@1", name: "Fetch", params: { url: "https://b.example/orders", method: "GET", timeout: 30 }, position: { x: 0, y: 40 } },
    { id: "shape", type: "core.set@1", params: { fields: { total: "{{ $json.sum }}" } }, position: { x: 300, y: 0 } },
    { id: "notify", type: "util.log@1", params: { message: "done" }, position: { x: 600, y: 200 } },
  ],
  edges: [
    { from: { node: "fetch", port: "main" }, to: { node: "shape", port: "main" } },
    { from: { node: "shape", port: "main" }, to: { node: "notify", port: "main" } },
  ],
};

describe("diffValues", () => {
  it("walks objects and names each leaf by pointer", () => {
    expect(diffValues({ a: 1, b: { c: 2, d: [1] } }, { a: 1, b: { c: 3, e: "x", d: [1] } })).toEqual([
      { path: "/b/c", kind: "changed", before: 2, after: 3 },
      { path: "/b/e", kind: "added", after: "x" },
    ]);
    expect(diffValues({ "a/b": 1 }, {})).toEqual([{ path: "/a~1b", kind: "removed", before: 1 }]);
    expect(diffValues([1, 2], [1, 2])).toEqual([]);
    expect(diffValues([1, 2], [2, 1])).toEqual([{ path: "", kind: "changed", before: [1, 2], after: [2, 1] }]);
  });
});

describe("diffDocuments", () => {
  const d = diffDocuments(v1, v2);
  const byId = new Map(d.nodes.map((n) => [n.id, n]));

  it("classifies nodes: changed params, added, removed, unchanged (a move is not a change)", () => {
    expect(byId.get("fetch")?.status).toBe("changed");
    expect(byId.get("fetch")?.moved).toBe(true);
    expect(byId.get("fetch")?.changes).toEqual([
      { path: "/params/timeout", kind: "added", after: 30 },
      { path: "/params/url", kind: "changed", before: "https://a.example/orders", after: "https://b.example/orders" },
    ]);
    expect(byId.get("shape")?.status).toBe("unchanged");
    expect(byId.get("notify")?.status).toBe("added");
    expect(byId.get("old")?.status).toBe("removed");
    expect(byId.get("old")?.position).toEqual({ x: 600, y: 0 });
    expect(byId.get("trigger:hook")?.status).toBe("unchanged");
  });

  it("classifies edges and counts everything", () => {
    const edges = d.edges.map((e) => `${e.status} ${e.source}->${e.target}`).sort();
    expect(edges).toEqual([
      "added shape->notify",
      "removed shape->old",
      "unchanged fetch->shape",
      "unchanged trigger:hook->fetch",
    ]);
    expect(d.summary).toEqual({ added: 1, removed: 1, changed: 1, edgesAdded: 1, edgesRemoved: 1 });
    expect(describeSummary(d.summary)).toBe("1 changed, 1 added, 1 removed, 2 connections changed");
    expect(d.workflow).toEqual([{ path: "/name", kind: "changed", before: "orders", after: "orders v2" }]);
  });

  it("sees a trigger rewired and a type change", () => {
    const v3: WorkflowDocument = {
      ...v2,
      triggers: [{ id: "hook", type: "webhook", node: "shape", params: { path: "orders" } }],
      nodes: v2.nodes.map((n) => (n.id === "shape" ? { ...n, type: "core.set@2" } : n)),
    };
    const d3 = diffDocuments(v2, v3);
    expect(d3.nodes.find((n) => n.id === "shape")?.changes).toEqual([{ path: "/type", kind: "changed", before: "core.set@1", after: "core.set@2" }]);
    expect(d3.nodes.find((n) => n.id === "trigger:hook")?.changes).toEqual([{ path: "/node", kind: "changed", before: "fetch", after: "shape" }]);
    expect(d3.edges.filter((e) => e.status !== "unchanged").map((e) => `${e.status} ${e.target}`).sort()).toEqual(["added shape", "removed fetch"]);
  });

  it("says so when nothing changed", () => {
    const same = diffDocuments(v1, structuredClone(v1));
    expect(same.nodes.every((n) => n.status === "unchanged")).toBe(true);
    expect(describeSummary(same.summary)).toBe("No changes to nodes or connections");
  });
});

describe("diffCanvas", () => {
  it("gives every edge a handle on both ends and marks edges by status", () => {
    const { nodes, edges } = diffCanvas(diffDocuments(v1, v2));
    expect(nodes).toHaveLength(5);
    const shape = nodes.find((n) => n.id === "shape");
    expect(shape?.data.inPorts).toEqual(["main"]);
    expect(shape?.data.outPorts).toEqual(["main"]);
    expect(nodes.every((n) => n.draggable === false)).toBe(true);
    expect(edges.find((e) => e.target === "old")?.className).toBe("diff-edge-removed");
    expect(edges.find((e) => e.target === "notify")?.className).toBe("diff-edge-added");
  });
});
