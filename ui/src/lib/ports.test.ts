import { describe, expect, it } from "vitest";
import corpus from "../validation/corpus.gen.json";
import { CoercionTable } from "./ports";

// The table exactly as the server serves it (GET /api/v1/nodes/port-types).
const table = new CoercionTable((corpus as { portTypes: { coercions: { from: string; to: string; how: string }[] } }).portTypes.coercions);

describe("port compatibility", () => {
  it("lets any fit everything and a type fit itself", () => {
    expect(table.check("any", "binary").kind).toBe("exact");
    expect(table.check("table", "any").kind).toBe("exact");
    expect(table.check("string", "string").kind).toBe("exact");
  });
  it("allows the server's coercions with their explanation and refuses the rest", () => {
    const n = table.check("number", "string");
    expect(n.kind).toBe("coerce");
    expect(n.kind === "coerce" && n.how.length).toBeGreaterThan(0);
    expect(table.check("binary", "number").kind).toBe("incompatible");
    expect(table.check("string", "object").kind).toBe("incompatible");
  });
});
