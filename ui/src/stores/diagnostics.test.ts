import { describe, expect, it } from "vitest";
import type { Diagnostic, WorkflowDocument } from "../lib/model";
import { indexDiagnostics, keepSame } from "./editor";

const doc: WorkflowDocument = {
  apiVersion: "weft/v1",
  name: "w",
  nodes: [{ id: "a", type: "core.noop@1" }, { id: "b", type: "core.noop@1" }],
  edges: [{ from: { node: "a", port: "main" }, to: { node: "b", port: "main" } }],
};
const warn = (i: number, message: string): Diagnostic => ({ severity: "warning", code: "node.unreachable", pointer: `/nodes/${i}`, message } as Diagnostic);

describe("keepSame", () => {
  it("keeps each node's list when its problems did not change, so only changed nodes re-render", () => {
    const first = indexDiagnostics(doc, [warn(0, "a is unreachable"), warn(1, "b is unreachable")]);
    const again = keepSame(first, indexDiagnostics(doc, [warn(0, "a is unreachable"), warn(1, "b is now different")]));
    expect(again.byNode.get("a")).toBe(first.byNode.get("a"));
    expect(again.byNode.get("b")).not.toBe(first.byNode.get("b"));
    expect(again.byNode.get("b")?.[0]?.message).toBe("b is now different");
    const cleared = keepSame(again, indexDiagnostics(doc, []));
    expect(cleared.byNode.size).toBe(0);
  });
});
