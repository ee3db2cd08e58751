import { describe, expect, it } from "vitest";
import type { WorkflowDocument } from "./model";
import { freshId, fromDocument, pasteClip, toDocument } from "./graph";

const doc: WorkflowDocument = {
  apiVersion: "weft/v1",
  name: "orders",
  description: "d",
  variables: { region: "eu" },
  triggers: [{ id: "hook", type: "webhook", node: "fetch", params: { path: "orders" } }],
  nodes: [
    { id: "fetch", type: "http.request@1", name: "Fetch", params: { url: "https://x" }, position: { x: 300, y: 100 }, settings: { retry: { maxAttempts: 3 } } },
    { id: "route", type: "core.if@1", params: { condition: "{{ $json.ok }}" }, position: { x: 600, y: 100 } },
    { id: "done", type: "core.noop@1", position: { x: 900, y: 100 } },
  ],
  edges: [
    { from: { node: "fetch", port: "main" }, to: { node: "route", port: "main" } },
    { from: { node: "route", port: "true" }, to: { node: "done", port: "main" } },
  ],
  ui: { stickies: [{ id: "n1", x: 0, y: 0, width: 200, height: 100, text: "hello" }], viewport: { x: 1, y: 2, zoom: 1 } },
};

describe("document ↔ canvas", () => {
  it("draws steps, the trigger and the sticky note, and wires the trigger to its node", () => {
    const g = fromDocument(doc);
    expect(g.nodes.map((n) => `${n.type}:${n.id}`)).toEqual(["step:fetch", "step:route", "step:done", "trigger:trigger:hook", "sticky:sticky:n1"]);
    expect(g.edges.map((e) => e.id)).toEqual(["e:fetch:main->route:main", "e:route:true->done:main", "t:hook"]);
    const trigger = g.nodes.find((n) => n.type === "trigger");
    expect(trigger?.position).toEqual({ x: 40, y: 100 });
    expect(g.meta.ui).toEqual({ viewport: { x: 1, y: 2, zoom: 1 } });
  });

  it("converts back to the same document, remembering where the trigger was drawn", () => {
    const back = toDocument(fromDocument(doc));
    expect(back).toEqual({ ...doc, ui: { ...doc.ui, triggers: { hook: { x: 40, y: 100 } } } });
  });

  it("unwires a trigger whose edge was removed", () => {
    const g = fromDocument(doc);
    g.edges = g.edges.filter((e) => e.id !== "t:hook");
    expect(toDocument(g).triggers?.[0]?.node).toBe("");
  });
});

describe("copy and paste", () => {
  it("pastes copies with fresh ids and names, moved, with their inner edges", () => {
    const g = fromDocument(doc);
    const clip = { nodes: g.nodes.filter((n) => n.id === "fetch" || n.id === "route"), edges: g.edges };
    const pasted = pasteClip(clip, g.nodes, { x: 40, y: 40 });
    expect(pasted.nodes.map((n) => n.id)).toEqual(["fetch_2", "route_2"]);
    const first = pasted.nodes[0];
    expect(first?.type === "step" && first.data.node.name).toBe("Fetch 2");
    expect(first?.position).toEqual({ x: 340, y: 140 });
    expect(pasted.edges.map((e) => e.id)).toEqual(["e:fetch_2:main->route_2:main"]);
  });

  it("finds free ids from type names", () => {
    expect(freshId("http.request", new Set())).toBe("request");
    expect(freshId("http.request", new Set(["request", "request_2"]))).toBe("request_3");
  });
});
