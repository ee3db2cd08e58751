import { describe, expect, it } from "vitest";
import { anyText, fieldFor, humanize, initialValue, paramsForm, parseAnyText, pickVariant } from "./schemaForm";

describe("forms generated from JSON Schema", () => {
  const schema = {
    type: "object",
    required: ["url"],
    $defs: { auth: { type: "object", properties: { token: { type: "string" } } } },
    properties: {
      url: { type: "string", description: "Where to" },
      method: { type: "string", enum: ["GET", "POST"], default: "GET" },
      timeout: { type: "integer", minimum: 1 },
      ratio: { type: "number" },
      follow: { type: "boolean", default: true },
      headers: { type: "object", additionalProperties: { type: "string" } },
      retry: { type: "object", properties: { attempts: { type: "integer" } }, required: ["attempts"] },
      tags: { type: "array", items: { type: "string" } },
      auth: { $ref: "#/$defs/auth" },
      source: { type: "string", "x-weft-raw": true },
      credential: { type: "string" },
      condition: { description: "a boolean or an expression" },
      body: {
        oneOf: [
          { title: "JSON", type: "object", properties: { json: {} }, required: ["json"] },
          { title: "Text", type: "object", properties: { text: { type: "string" } }, required: ["text"] },
        ],
      },
    },
  };
  const fields = paramsForm(schema);
  const byKey = Object.fromEntries(fields.map((f) => [f.key, f]));

  it("maps each keyword to a control", () => {
    expect(fields.map((f) => [f.key, f.kind])).toEqual([
      ["url", "string"], ["method", "enum"], ["timeout", "number"], ["ratio", "number"], ["follow", "boolean"],
      ["headers", "map"], ["retry", "object"], ["tags", "array"], ["auth", "object"], ["source", "string"],
      ["credential", "string"], ["condition", "any"], ["body", "oneOf"],
    ]);
    expect(byKey["url"]).toMatchObject({ label: "URL", required: true, description: "Where to" });
    expect(byKey["method"]).toMatchObject({ options: ["GET", "POST"], defaultValue: "GET", required: false });
    expect(byKey["timeout"]).toMatchObject({ integer: true, minimum: 1 });
    expect(byKey["ratio"]).toMatchObject({ integer: false });
    expect(byKey["source"]).toMatchObject({ raw: true, multiline: true });
    expect(byKey["credential"]).toMatchObject({ credential: true });
  });

  it("follows $ref into $defs and nests objects, maps and arrays", () => {
    const auth = byKey["auth"];
    expect(auth?.kind === "object" && auth.fields.map((f) => f.key)).toEqual(["token"]);
    const headers = byKey["headers"];
    expect(headers?.kind === "map" && headers.value.kind).toBe("string");
    const tags = byKey["tags"];
    expect(tags?.kind === "array" && tags.item.kind).toBe("string");
  });

  it("offers oneOf variants by title and picks the one a value matches", () => {
    const body = byKey["body"];
    if (body?.kind !== "oneOf") throw new Error("body is not a oneOf");
    expect(body.variants.map((v) => v.label)).toEqual(["JSON", "Text"]);
    expect(pickVariant(body.variants, { text: "hi" })).toBe(1);
    expect(pickVariant(body.variants, { json: { a: 1 } })).toBe(0);
    expect(pickVariant(body.variants, undefined)).toBe(0);
  });

  it("starts new values from defaults and required fields", () => {
    expect(initialValue(byKey["method"]!)).toBe("GET");
    expect(initialValue(byKey["retry"]!)).toEqual({ attempts: 0 });
    expect(initialValue(byKey["tags"]!)).toEqual([]);
    const s = fieldFor({ const: "fixed" }, "k", true, {});
    expect(s.kind === "enum" && s.options).toEqual(["fixed"]);
  });

  it("reads untyped fields as JSON when they are JSON, else as text", () => {
    expect(parseAnyText("true")).toBe(true);
    expect(parseAnyText("3")).toBe(3);
    expect(parseAnyText("{{ $json.ok }}")).toBe("{{ $json.ok }}");
    expect(parseAnyText("plain words")).toBe("plain words");
    expect(parseAnyText("  ")).toBeUndefined();
    expect(anyText(false)).toBe("false");
    expect(anyText("x")).toBe("x");
  });

  it("labels keys for people", () => {
    expect(humanize("maxItems")).toBe("Max items");
    expect(humanize("output_field")).toBe("Output field");
    expect(humanize("jsonPath")).toBe("JSON path");
  });
});
