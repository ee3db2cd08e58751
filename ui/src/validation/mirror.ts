// A TypeScript mirror of weft_model::validate (crates/weft-model/src/validate.rs), for instant
// feedback on the canvas while the server's validator (POST /api/v1/workflows/validate), the
// authority, answers. Same checks, same order, same codes, pointers and messages, with three
// exceptions that the server alone reports (mirror.test.ts proves the rest on the shared corpus
// in crates/weft-nodes/tests/validate/):
//   - expression syntax beyond `{{` without `}}` and empty `{{ }}` (the server's parser and JS
//     sandbox decide what is valid JavaScript);
//   - cron expressions and inline error workflows (parsed by weft_schedule / weft_model);
//   - the wording of JSON Schema messages (another library checks the same schema here: the
//     pointer and code agree, the sentence may not).
import { Validator } from "@cfworker/json-schema";
import type { Schema } from "@cfworker/json-schema";
import type { CoercionTable } from "../lib/ports";
import {
  type Diagnostic,
  type DocNode,
  type NodeTypeEntry,
  type ResolvedPorts,
  type WorkflowDocument,
  ERROR_PORT,
  MAIN,
  escapePointer,
  typeName,
  typeVersion,
} from "../lib/model";

/** What validation needs to know about node types. */
export interface MirrorCatalog {
  /** The type, if this `name@version` exists. */
  info(typeRef: string): NodeTypeEntry | undefined;
  /** The versions that exist for a type name. */
  versions(name: string): number[];
  /** The node's ports given its params (node at `index` of the document), or why not. */
  ports(node: DocNode, entry: NodeTypeEntry, index: number): ResolvedPorts;
}

/**
 * Whether a diagnostic is one only the server finds (see the header): the mirror never reports
 * it, so the editor waits for the server's verdict on it.
 */
export function isServerOnly(d: Diagnostic): boolean {
  switch (d.code) {
    case "node.params.expression":
      return !/never closed|empty expression/.test(d.message);
    case "trigger.cron.invalid":
      return !/^a cron trigger needs|^timezone must be/.test(d.message);
    case "settings.errorWorkflow.invalid":
      return !/is empty$|^must be a workflow version id/.test(d.message);
    default:
      return false;
  }
}

class Report {
  readonly list: Diagnostic[] = [];
  error(code: string, pointer: string, nodeId: string | undefined, message: string): void {
    this.list.push(nodeId === undefined ? { severity: "error", code, pointer, message } : { severity: "error", code, pointer, nodeId, message });
  }
  warning(code: string, pointer: string, nodeId: string | undefined, message: string): void {
    this.list.push(nodeId === undefined ? { severity: "warning", code, pointer, message } : { severity: "warning", code, pointer, nodeId, message });
  }
}

const validators = new WeakMap<object, Validator | null>();
function schemaValidator(schema: Record<string, unknown>): Validator | null {
  let v = validators.get(schema);
  if (v === undefined) {
    try {
      v = new Validator(schema as Schema, "2020-12", false);
    } catch {
      v = null;
    }
    validators.set(schema, v);
  }
  return v;
}

/** JS `JSON.stringify`-style rendering as Rust's `{:?}` of a string. */
function q(s: string): string {
  return JSON.stringify(s);
}

function displayName(n: DocNode): string {
  return n.name ?? n.id;
}

function portOf(ports: ResolvedPorts, name: string, output: boolean) {
  const list = output ? ports.outputs : ports.inputs;
  const found = list.find((p) => p.name === name);
  if (found) return found;
  if (output && name === ERROR_PORT) return { name: ERROR_PORT, type: "error" as const };
  return undefined;
}

/** Validates a document. Returns every problem the mirror can find, errors first. */
export function validateDocument(wf: WorkflowDocument, catalog: MirrorCatalog, coercions: CoercionTable): Diagnostic[] {
  const r = new Report();
  const nodes = wf.nodes ?? [];
  const edges = wf.edges ?? [];
  const triggers = wf.triggers ?? [];

  const ew = wf.settings?.["errorWorkflow"];
  if (typeof ew === "string" && ew.trim() === "") {
    r.error("settings.errorWorkflow.invalid", "/settings/errorWorkflow", undefined, "the error workflow's version id is empty");
  } else if (ew !== undefined && ew !== null && typeof ew !== "string" && (typeof ew !== "object" || Array.isArray(ew))) {
    r.error("settings.errorWorkflow.invalid", "/settings/errorWorkflow", undefined, "must be a workflow version id or a workflow document");
  }

  // Node ids and names.
  const index = new Map<string, number>();
  const names = new Map<string, number>();
  nodes.forEach((node, i) => {
    const p = `/nodes/${i}`;
    if (node.id.trim() === "") {
      r.error("node.id.empty", `${p}/id`, undefined, "node id must not be empty");
      return;
    }
    const first = index.get(node.id);
    if (first !== undefined) {
      r.error("node.id.duplicate", `${p}/id`, node.id, `node id ${q(node.id)} is already used by /nodes/${first}`);
    } else {
      index.set(node.id, i);
    }
    const name = displayName(node);
    const firstName = names.get(name);
    if (firstName !== undefined) {
      const other = nodes[firstName];
      if (other && other.id !== node.id) {
        r.error("node.name.duplicate", `${p}/name`, node.id, `node name ${q(name)} is also used by node ${q(other.id)}; expressions look nodes up by name`);
      }
    } else {
      names.set(name, i);
    }
  });

  // Node types, params, ports.
  const ports: (ResolvedPorts | undefined)[] = nodes.map(() => undefined);
  nodes.forEach((node, i) => {
    const p = `/nodes/${i}`;
    const info = catalog.info(node.type);
    if (!info) {
      const name = typeName(node.type);
      const versions = catalog.versions(name);
      const msg = versions.length === 0
        ? `unknown node type ${q(name)}`
        : `node type ${name} has no version ${typeVersion(node.type) ?? "?"}; available: ${versions.map((v) => `${name}@${v}`).join(", ")}`;
      r.error("node.type.unknown", `${p}/type`, node.id, msg);
      return;
    }
    const params = node.params ?? {};
    const validator = schemaValidator(info.paramsSchema);
    if (validator) {
      for (const err of schemaErrors(validator, params)) {
        if (holdsExpression(params, err.at)) continue;
        r.error("node.params.schema", `${p}/params${err.at}`, node.id, err.message);
      }
    }
    const raw = rawParamKeys(info.paramsSchema);
    const templated: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) if (!raw.includes(k)) templated[k] = v;
    checkExpressions(templated, `${p}/params`, node.id, r);
    const resolved = catalog.ports(node, info, i);
    if (resolved.error !== undefined) {
      r.error("node.params.ports", `${p}/params`, node.id, resolved.error);
    } else {
      ports[i] = resolved;
    }
    checkSettings(node, i, r);
  });

  // Edges.
  const incoming: number[][] = nodes.map(() => []);
  const outgoing: number[][] = nodes.map(() => []);
  const seen = new Set<string>();
  edges.forEach((edge, e) => {
    const p = `/edges/${e}`;
    const fromPort = edge.from.port ?? MAIN;
    const toPort = edge.to.port ?? MAIN;
    const from = index.get(edge.from.node);
    const to = index.get(edge.to.node);
    if (from === undefined) r.error("edge.dangling", `${p}/from/node`, undefined, `edge starts at unknown node ${q(edge.from.node)}`);
    if (to === undefined) r.error("edge.dangling", `${p}/to/node`, undefined, `edge ends at unknown node ${q(edge.to.node)}`);
    if (from === undefined || to === undefined) return;
    const key = JSON.stringify([edge.from.node, fromPort, edge.to.node, toPort]);
    if (seen.has(key)) {
      r.warning("edge.duplicate", p, edge.to.node, "the same connection appears twice");
      return;
    }
    seen.add(key);
    outgoing[from]?.push(e);
    incoming[to]?.push(e);
    const fp = ports[from];
    const tp = ports[to];
    if (!fp || !tp) return;
    const out = portOf(fp, fromPort, true);
    const inp = portOf(tp, toPort, false);
    if (!out) {
      const list = [...fp.outputs.map((x) => x.name), ERROR_PORT];
      r.error("edge.port.unknown", `${p}/from/port`, edge.from.node, `node ${q(edge.from.node)} has no output port ${q(fromPort)}; it has: ${list.join(", ")}`);
    }
    if (!inp) {
      const list = tp.inputs.map((x) => x.name);
      r.error("edge.port.unknown", `${p}/to/port`, edge.to.node, `node ${q(edge.to.node)} has no input port ${q(toPort)}; it has: ${list.length === 0 ? "none" : list.join(", ")}`);
    }
    if (out && inp && coercions.check(out.type, inp.type).kind === "incompatible") {
      r.error(
        "edge.type.incompatible", p, edge.to.node,
        `${edge.from.node}.${fromPort} emits ${out.type} but ${edge.to.node}.${toPort} takes ${inp.type}; no conversion exists between them`,
      );
    }
  });

  // Triggers and entry nodes.
  const triggerIds = new Set<string>();
  let entries: number[] = [];
  triggers.forEach((trig, t) => {
    const p = `/triggers/${t}`;
    if (trig.type === "cron") checkCron(trig.params ?? {}, p, r);
    if (triggerIds.has(trig.id)) {
      r.error("trigger.id.duplicate", `${p}/id`, undefined, `trigger id ${q(trig.id)} is used twice`);
    }
    triggerIds.add(trig.id);
    const n = index.get(trig.node);
    if (n !== undefined) entries.push(n);
    else r.error("trigger.node.unknown", `${p}/node`, undefined, `trigger targets unknown node ${q(trig.node)}`);
  });
  if (triggers.length === 0) {
    entries = nodes.map((_, i) => i).filter((i) => (incoming[i]?.length ?? 0) === 0);
  }
  const entrySet = new Set(entries);

  // Required inputs and joins.
  nodes.forEach((node, i) => {
    const ps = ports[i];
    if (!ps) return;
    for (const input of ps.inputs.filter((x) => x.required)) {
      const connected = (incoming[i] ?? []).some((e) => (edges[e]?.to.port ?? MAIN) === input.name);
      const fedByTrigger = entrySet.has(i) && input.name === MAIN;
      if (!connected && !fedByTrigger) {
        r.error("node.input.unconnected", `/nodes/${i}`, node.id, `required input ${q(input.name)} of node ${q(node.id)} is not connected`);
      }
    }
    const join = node.settings?.["join"] as { mode?: string; n?: number } | undefined;
    if (join && (join.mode === "first" || join.mode === "quorum") && typeof join.n === "number") {
      const k = incoming[i]?.length ?? 0;
      const n = join.n;
      if (n === 0 || n > k) {
        r.error(
          "node.join.invalid", `/nodes/${i}/settings/join/n`, node.id,
          n === 0 ? "join n must be at least 1" : `join waits for ${n} inputs but the node has only ${k} incoming ${k === 1 ? "edge" : "edges"}`,
        );
      }
    }
  });

  // Cycles.
  const target = (e: number) => index.get(edges[e]?.to.node ?? "") ?? 0;
  for (const cycle of findCycles(nodes.length, outgoing, target)) {
    const ids = cycle.map((n) => nodes[n]?.id ?? "");
    const first = cycle[0] ?? 0;
    r.error("graph.cycle", `/nodes/${first}`, nodes[first]?.id, `cycle: ${ids.join(" → ")} → ${ids[0]}`);
  }

  // Unreachable nodes.
  const reached = nodes.map(() => false);
  const stack = [...entries];
  while (stack.length > 0) {
    const n = stack.pop() as number;
    if (reached[n]) continue;
    reached[n] = true;
    for (const e of outgoing[n] ?? []) stack.push(target(e));
  }
  nodes.forEach((node, i) => {
    if (!reached[i] && node.id.trim() !== "" && index.get(node.id) === i) {
      r.warning("node.unreachable", `/nodes/${i}`, node.id, `node ${q(node.id)} is not reachable from any trigger and will never run`);
    }
  });
  if (nodes.length === 0) r.warning("graph.empty", "/nodes", undefined, "the workflow has no nodes");

  // Errors first, otherwise in the order found (a stable sort, as the server's).
  return [...r.list.filter((d) => d.severity === "error"), ...r.list.filter((d) => d.severity === "warning")];
}

function checkSettings(node: DocNode, i: number, r: Report): void {
  const s = node.settings ?? {};
  const p = `/nodes/${i}/settings`;
  const retry = s["retry"] as { maxAttempts?: number; jitter?: number; backoffCoefficient?: number } | undefined;
  if (retry && typeof retry === "object") {
    if (retry.maxAttempts === 0) r.error("node.retry.invalid", `${p}/retry/maxAttempts`, node.id, "maxAttempts must be at least 1");
    const jitter = retry.jitter ?? 0.2;
    if (!(jitter >= 0 && jitter <= 1)) r.error("node.retry.invalid", `${p}/retry/jitter`, node.id, "jitter must be between 0 and 1");
    const coef = retry.backoffCoefficient ?? 2;
    if (!(coef >= 1 && coef <= 100)) r.error("node.retry.invalid", `${p}/retry/backoffCoefficient`, node.id, "backoffCoefficient must be between 1 and 100");
  }
  if (s["concurrency"] === 0) r.error("node.concurrency.invalid", `${p}/concurrency`, node.id, "concurrency must be at least 1");
  if (s["timeout"] === 0 || s["timeout"] === "0ms" || s["timeout"] === "0s") {
    r.error("node.timeout.invalid", `${p}/timeout`, node.id, "a timeout of zero would fail every attempt");
  }
}

function checkCron(params: Record<string, unknown>, p: string, r: Report): void {
  const zone = params["timezone"];
  if (zone !== undefined && typeof zone !== "string") {
    r.error("trigger.cron.invalid", `${p}/params/timezone`, undefined, 'timezone must be an IANA name such as "Europe/Paris"');
    return;
  }
  if (typeof params["expression"] !== "string") {
    r.error("trigger.cron.invalid", `${p}/params/expression`, undefined, 'a cron trigger needs params.expression, e.g. "0 9 * * MON-FRI"');
  }
  // The expression itself is parsed by the server (weft_schedule).
}

/** The params a node type takes as written, never as templates (`"x-weft-raw": true`). */
export function rawParamKeys(schema: Record<string, unknown>): string[] {
  const props = schema["properties"];
  if (!props || typeof props !== "object") return [];
  return Object.entries(props as Record<string, Record<string, unknown>>)
    .filter(([, v]) => v && v["x-weft-raw"] === true)
    .map(([k]) => k);
}

function holdsExpression(root: unknown, pointer: string): boolean {
  const v = readPointer(root, pointer);
  return typeof v === "string" && v.includes("{{");
}

export function readPointer(root: unknown, pointer: string): unknown {
  if (pointer === "") return root;
  let cur: unknown = root;
  for (const raw of pointer.split("/").slice(1)) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (cur && typeof cur === "object") cur = (cur as Record<string, unknown>)[token];
    else return undefined;
  }
  return cur;
}

/** The expression checks the mirror can make: every `{{` closed, none empty. */
function checkExpressions(params: Record<string, unknown>, base: string, nodeId: string, r: Report): void {
  // The server walks a stack, so later siblings come first: keep its order.
  const stack: [string, unknown][] = Object.entries(params).map(([k, v]) => [`${base}/${escapePointer(k)}`, v]);
  while (stack.length > 0) {
    const [ptr, v] = stack.pop() as [string, unknown];
    if (typeof v === "string" && v.includes("{{")) {
      const problem = expressionProblem(v);
      if (problem) r.error("node.params.expression", ptr, nodeId, `malformed expression: ${problem}`);
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([`${ptr}/${i}`, x]));
    } else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) stack.push([`${ptr}/${escapePointer(k)}`, x]);
    }
  }
}

/** The problem with a template that the mirror can see, in the server's words, or null. */
export function expressionProblem(source: string): string | null {
  let rest = 0;
  for (;;) {
    const open = source.indexOf("{{", rest);
    if (open < 0) return null;
    const start = open + 2;
    const close = findClose(source, start);
    if (close === null) {
      return `\`{{\` is never closed with \`}}\` at position ${byteOffset(source, open)} in \`${source.slice(start).trim()}\``;
    }
    if (source.slice(start, close).trim() === "") {
      return `empty expression \`{{ }}\` at position ${byteOffset(source, open)} in \`\``;
    }
    rest = close + 2;
  }
}

function byteOffset(s: string, index: number): number {
  return new TextEncoder().encode(s.slice(0, index)).length;
}

/** Where the `}}` closing an expression starting at `start` is (weft_expr::script::find_close). */
export function findClose(src: string, start: number): number | null {
  const braces: boolean[] = [];
  let i = start;
  const skipQuoted = (from: number, quote: string): number | null => {
    let j = from;
    while (j < src.length) {
      const c = src[j];
      if (c === "\\") j += 2;
      else if (c === quote) return j + 1;
      else if (c === "\n") return null;
      else j += 1;
    }
    return null;
  };
  const skipTemplate = (from: number): number | null => {
    let j = from;
    while (j < src.length) {
      const c = src[j];
      if (c === "\\") j += 2;
      else if (c === "`") return j + 1;
      else if (c === "$" && src[j + 1] === "{") {
        braces.push(true);
        return j + 2;
      } else j += 1;
    }
    return null;
  };
  while (i < src.length) {
    const c = src[i];
    if (c === "'" || c === '"') {
      const n = skipQuoted(i + 1, c);
      if (n === null) return null;
      i = n;
    } else if (c === "`") {
      const n = skipTemplate(i + 1);
      if (n === null) return null;
      i = n;
    } else if (c === "{") {
      braces.push(false);
      i += 1;
    } else if (c === "}") {
      if (braces.length === 0) {
        if (src[i + 1] === "}") return i;
        i += 1;
      } else if (braces.pop()) {
        const n = skipTemplate(i + 1);
        if (n === null) return null;
        i = n;
      } else i += 1;
    } else i += 1;
  }
  return null;
}

interface SchemaError { at: string; message: string }

/** The failing leaf keywords of a JSON Schema check, with the instance pointer of each. */
export function schemaErrors(validator: Validator, instance: unknown): SchemaError[] {
  const result = validator.validate(instance);
  if (result.valid) return [];
  // cfworker reports a failed keyword and, before it, the failures beneath it. Keep what the
  // server's validator reports: leaf failures, and a combinator (oneOf/anyOf/not) as one error
  // without the failures of its branches.
  const out: SchemaError[] = [];
  const additional = new Map<string, string[]>();
  const combinators: string[] = [];
  for (const e of result.errors) {
    if (["oneOf", "anyOf", "not", "if", "then", "else"].includes(e.keyword)) combinators.push(e.keywordLocation);
  }
  for (const e of result.errors) {
    if (["properties", "items", "prefixItems", "additionalItems", "unevaluatedProperties", "allOf", "$ref", "dependentSchemas", "contains", "propertyNames", "patternProperties"].includes(e.keyword)) {
      continue;
    }
    // Inside a failed combinator's branch: the combinator speaks for it.
    if (combinators.some((c) => e.keywordLocation !== c && e.keywordLocation.startsWith(c + "/"))) continue;
    if (e.keyword === "false") continue;
    const at = e.instanceLocation.replace(/^#/, "");
    if (e.keyword === "additionalProperties") {
      // One error per object naming every unexpected property, as the server's validator does.
      const name = /Property "(.*)" does not match/.exec(e.error)?.[1] ?? "?";
      const extra = additional.get(at);
      if (extra) extra.push(name);
      else {
        const names = [name];
        additional.set(at, names);
        out.push({ at, message: "", names } as SchemaError & { names: string[] });
      }
      continue;
    }
    out.push({ at, message: e.error });
  }
  for (const err of out as (SchemaError & { names?: string[] })[]) {
    if (err.names) {
      const list = err.names.map((n) => `'${n}'`).join(", ");
      err.message = `Additional properties are not allowed (${list} ${err.names.length === 1 ? "was" : "were"} unexpected)`;
      delete err.names;
    }
  }
  return out;
}

/** Finds one cycle per strongly connected component (Tarjan), as weft_model's find_cycles. */
export function findCycles(n: number, outgoing: number[][], target: (e: number) => number): number[][] {
  const succ = outgoing.map((es) => es.map(target));
  const UNSET = -1;
  const index = new Array<number>(n).fill(UNSET);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  let next = 0;
  const sccs: number[][] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] !== UNSET) continue;
    const call: [number, number][] = [[root, 0]];
    index[root] = next; low[root] = next; next++;
    stack.push(root); onStack[root] = true;
    while (call.length > 0) {
      const frame = call[call.length - 1] as [number, number];
      const v = frame[0];
      const sv = succ[v] ?? [];
      if (frame[1] < sv.length) {
        const w = sv[frame[1]] as number;
        frame[1] += 1;
        if (index[w] === UNSET) {
          index[w] = next; low[w] = next; next++;
          stack.push(w); onStack[w] = true;
          call.push([w, 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v] as number, index[w] as number);
        }
      } else {
        call.pop();
        const parent = call[call.length - 1];
        if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
        if (low[v] === index[v]) {
          const comp: number[] = [];
          for (;;) {
            const w = stack.pop();
            if (w === undefined) break;
            onStack[w] = false;
            comp.push(w);
            if (w === v) break;
          }
          const selfLoop = comp.length === 1 && sv.includes(v);
          if (comp.length > 1 || selfLoop) sccs.push(comp);
        }
      }
    }
  }
  return sccs.map((comp) => {
    const members = new Set(comp);
    const start = Math.min(...comp);
    const path = [start];
    const pos = new Map([[start, 0]]);
    let cur = start;
    for (;;) {
      const cands = (succ[cur] ?? []).filter((w) => members.has(w));
      if (cands.length === 0) return path;
      const nxt = Math.min(...cands);
      const at = pos.get(nxt);
      if (at !== undefined) return path.slice(at);
      pos.set(nxt, path.length);
      path.push(nxt);
      cur = nxt;
    }
  });
}

/** Formats a diagnostic as `weft validate` prints it (the Display of weft_model::Diagnostic). */
export function formatDiagnostic(d: Diagnostic): string {
  const node = d.nodeId !== undefined ? ` (node ${d.nodeId})` : "";
  return `${d.severity}[${d.code}] ${d.pointer === "" ? "/" : d.pointer}${node}: ${d.message}`;
}
