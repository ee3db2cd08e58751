import { describe, expect, it } from "vitest";
import { type ExpressionScope, complete, parsePlainPath, previewTemplate } from "./expressions";

const scope: ExpressionScope = {
  json: { body: { id: 42, name: "Ada", "first name": "A" }, list: [10, 20] },
  jsonFields: ["extra"],
  vars: { region: "eu" },
  nodes: [{ name: "Fetch", item: { status: 200 }, fields: ["status"] }],
};

describe("expression preview", () => {
  it("renders plain paths over the sample, keeping raw values for a lone expression", () => {
    expect(previewTemplate("{{ $json.body.id }}", scope)).toEqual({ kind: "value", value: 42 });
    expect(previewTemplate("/users/{{ $json.body.id }}/{{ $json.list[1] }}", scope)).toEqual({ kind: "value", value: "/users/42/20" });
    expect(previewTemplate('{{ $json.body["first name"] }}', scope)).toEqual({ kind: "value", value: "A" });
    expect(previewTemplate('{{ $node["Fetch"].json.status }}', scope)).toEqual({ kind: "value", value: 200 });
    expect(previewTemplate("{{ $vars.region }}", scope)).toEqual({ kind: "value", value: "eu" });
    expect(previewTemplate("{{ $json.missing }}", scope)).toEqual({ kind: "value", value: undefined });
  });

  it("says when it cannot tell", () => {
    expect(previewTemplate("{{ $json.a + 1 }}", scope).kind).toBe("runtime");
    expect(previewTemplate("{{ $json.a }}", { ...scope, json: undefined } as ExpressionScope).kind).toBe("missing");
    expect(previewTemplate("{{ $json.a", scope).kind).toBe("missing");
  });

  it("parses only plain paths", () => {
    expect(parsePlainPath("$json.a[0]")?.segments).toEqual([{ kind: "name", name: "a" }, { kind: "index", index: 0 }]);
    expect(parsePlainPath('$("Fetch").item.json.x')?.node).toBe("Fetch");
    expect(parsePlainPath("$json.a()")).toBeNull();
  });
});

describe("expression completion", () => {
  it("completes fields of the input item and of upstream nodes", () => {
    expect(complete("{{ $json.", scope)?.items.map((i) => i.label)).toEqual(["body", "list", "extra"]);
    expect(complete("x {{ $json.body.na", scope)).toMatchObject({ from: 16, items: [{ label: "name", insert: "name" }] });
    expect(complete('{{ $node["Fetch"].json.', scope)?.items.map((i) => i.label)).toEqual(["status"]);
    expect(complete("{{ $vars.", scope)?.items.map((i) => i.label)).toEqual(["region"]);
  });

  it("offers the roots at the start of an expression and nothing outside one", () => {
    expect(complete("{{ $", scope)?.items.map((i) => i.label)).toContain('$node["Fetch"].json');
    expect(complete("no expression", scope)).toBeNull();
    expect(complete("{{ $json.a }} after", scope)).toBeNull();
  });

  it("quotes keys that are not identifiers", () => {
    const items = complete("{{ $json.body.", scope)?.items ?? [];
    expect(items.find((i) => i.label === "first name")).toMatchObject({ insert: '["first name"]', back: 1 });
  });
});
