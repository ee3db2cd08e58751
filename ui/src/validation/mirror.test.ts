// The TypeScript mirror agrees with the server's validator on the shared corpus of
// crates/weft-nodes/tests/validate/: every case there is in corpus.gen.json (documents as the
// server parsed them, each node's ports, the node types used, the server's diagnostics), the
// fixture's diagnostics are exactly the `.expected` files, and the mirror reports the same
// diagnostics in the same order, except what only the server can find (see mirror.ts).
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Diagnostic, NodeTypeEntry, ResolvedPorts, WorkflowDocument } from "../lib/model";
import { typeName } from "../lib/model";
import { CoercionTable } from "../lib/ports";
import { fromDocument, toDocument } from "../lib/graph";
import corpus from "./corpus.gen.json";
import openapi from "../api/openapi.json";
import { formatDiagnostic, isServerOnly, validateDocument } from "./mirror";

interface Case {
  name: string;
  parseError?: string;
  document?: WorkflowDocument;
  ports?: (ResolvedPorts | null)[];
  types?: NodeTypeEntry[];
  diagnostics?: Diagnostic[];
}

const here = dirname(fileURLToPath(import.meta.url));
const corpusDir = join(here, "../../../crates/weft-nodes/tests/validate");
const cases = (corpus as { cases: Case[] }).cases;

// The coercion table exactly as GET /api/v1/nodes/port-types serves it.
const coercions = new CoercionTable((corpus as { portTypes: { coercions: { from: string; to: string; how: string }[] } }).portTypes.coercions);

function mirrorOf(c: Case): Diagnostic[] {
  const types = c.types ?? [];
  const byType = new Map(types.map((t) => [t.type, t]));
  return validateDocument(c.document as WorkflowDocument, {
    info: (t) => byType.get(t),
    versions: (name) => types.filter((t) => typeName(t.type) === name).map((t) => Number(t.type.split("@")[1])).sort((a, b) => a - b),
    ports: (_node, _entry, i) => c.ports?.[i] ?? { inputs: [], outputs: [], error: "no ports in the fixture" },
  }, coercions);
}

/** What the mirror must reproduce of a server diagnostic: all of it, but a schema message. */
function comparable(d: Diagnostic): string {
  return formatDiagnostic(d.code === "node.params.schema" ? { ...d, message: "<schema message>" } : d);
}


describe("the validation mirror", () => {
  it("has every corpus case, and the fixture is what the .expected files say", () => {
    const files = readdirSync(corpusDir).filter((f) => f.endsWith(".yaml") || f.endsWith(".json")).sort();
    expect(cases.map((c) => c.name)).toEqual(files);
    for (const c of cases) {
      const expected = readFileSync(join(corpusDir, c.name.replace(/\.(yaml|json)$/, ".expected")), "utf8");
      const fromFixture = c.parseError !== undefined
        ? `parse error: ${c.parseError}\n`
        : (c.diagnostics ?? []).map((d) => formatDiagnostic(d) + "\n").join("");
      expect(fromFixture, c.name).toBe(expected);
    }
  });

  const validCases = cases.filter((c) => c.document);
  it.each(validCases.map((c) => [c.name, c] as const))("agrees with the server on %s", (_name, c) => {
    const server = c.diagnostics ?? [];
    const mirror = mirrorOf(c);
    // Nothing the server does not say…
    const expected = server.filter((d) => !isServerOnly(d)).map(comparable);
    expect(mirror.map(comparable)).toEqual(expected);
  });

  it("covers most of what the server reports on the corpus", () => {
    const all = validCases.flatMap((c) => c.diagnostics ?? []);
    const mirrored = all.filter((d) => !isServerOnly(d));
    // Recorded, so a change that moves checks to the server shows up in review.
    expect(mirrored.length / all.length).toBeGreaterThan(0.75);
  });

  it("round-trips every corpus document through the canvas unchanged", () => {
    // The canvas needs unique ids and wires a trigger to a node it draws: documents that break
    // that (the ids case) cannot be drawn as they are, and the validator says so first.
    const drawable = (d: WorkflowDocument) => {
      const ids = d.nodes.map((n) => n.id);
      const triggers = (d.triggers ?? []).map((t) => t.id);
      return new Set(ids).size === ids.length && new Set(triggers).size === triggers.length
        && (d.triggers ?? []).every((t) => ids.includes(t.node));
    };
    const roundTripped = validCases.filter((c) => drawable(c.document as WorkflowDocument));
    expect(roundTripped.length).toBeGreaterThanOrEqual(validCases.length - 2);
    for (const c of roundTripped) {
      const doc = c.document as WorkflowDocument;
      const back = toDocument(fromDocument(doc));
      // Positions are added for nodes that had none; everything else is as the server stored it.
      // The editor also remembers where it drew the triggers (ui.triggers).
      const strip = (d: WorkflowDocument) => {
        const { ui, ...rest } = d;
        const { triggers: _t, ...keep } = ui ?? {};
        const out = { ...rest, nodes: d.nodes.map(({ position: _p, ...n }) => n) };
        return Object.keys(keep).length > 0 ? { ...out, ui: keep } : out;
      };
      expect(strip(back), c.name).toEqual(strip(doc));
    }
  });

  it("reads the OpenAPI document the client types come from", () => {
    expect((openapi as { paths: Record<string, unknown> }).paths["/api/v1/workflows/validate"]).toBeDefined();
  });
});
