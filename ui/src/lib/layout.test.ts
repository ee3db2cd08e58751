import { describe, expect, it } from "vitest";
import type { CanvasEdge, CanvasNode } from "./graph";
import { GRID, align, autoLayout } from "./layout";

function step(id: string, x = 0, y = 0): CanvasNode {
  return { id, type: "step", position: { x, y }, data: { node: { id, type: "core.noop@1" } } };
}
const edge = (s: string, t: string): CanvasEdge => ({ id: `${s}-${t}`, source: s, target: t });

describe("auto-layout", () => {
  it("lays a chain out left to right, branches side by side, on the grid", () => {
    const nodes = ["a", "b", "c", "d", "e"].map((id) => step(id));
    const edges = [edge("a", "b"), edge("b", "c"), edge("b", "d"), edge("c", "e"), edge("d", "e")];
    const p = autoLayout(nodes, edges);
    const x = (id: string) => p.get(id)?.x ?? NaN;
    const y = (id: string) => p.get(id)?.y ?? NaN;
    expect(x("a")).toBeLessThan(x("b"));
    expect(x("b")).toBeLessThan(x("c"));
    expect(x("c")).toBe(x("d"));
    expect(y("c")).not.toBe(y("d"));
    expect(x("d")).toBeLessThan(x("e"));
    for (const v of p.values()) {
      expect(v.x % GRID).toBe(0);
      expect(v.y % GRID).toBe(0);
    }
  });

  it("stacks an if's branches true above false", () => {
    const nodes = ["if", "yes", "no"].map((id) => step(id));
    const edges: CanvasEdge[] = [
      { id: "1", source: "if", sourceHandle: "false", target: "no" },
      { id: "2", source: "if", sourceHandle: "true", target: "yes" },
    ];
    const p = autoLayout(nodes, edges);
    expect(p.get("yes")?.y ?? NaN).toBeLessThan(p.get("no")?.y ?? NaN);
  });

  it("leaves sticky notes where they are", () => {
    const sticky: CanvasNode = { id: "sticky:n", type: "sticky", position: { x: 5, y: 5 }, data: { sticky: { id: "n", x: 5, y: 5, width: 100, height: 50, text: "" } } };
    expect(autoLayout([step("a"), sticky], []).has("sticky:n")).toBe(false);
  });
});

describe("align", () => {
  const nodes = [step("a", 10, 0), step("b", 50, 100), step("c", 300, 40)];
  it("aligns left edges and tops", () => {
    expect([...align(nodes, "left").values()].map((p) => p.x)).toEqual([10, 10, 10]);
    expect([...align(nodes, "top").values()].map((p) => p.y)).toEqual([0, 0, 0]);
  });
  it("distributes evenly", () => {
    const p = align([step("a", 0, 0), step("b", 100, 0), step("c", 1000, 0)], "distribute-h");
    const xs = ["a", "b", "c"].map((id) => p.get(id)?.x);
    expect(xs[0]).toBe(0);
    expect(xs[2]).toBe(1000);
    expect(xs[1]).toBe(500);
  });
  it("needs two nodes", () => {
    expect(align([step("a")], "left").size).toBe(0);
  });
});
