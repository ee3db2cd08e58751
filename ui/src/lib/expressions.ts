// Help for `{{ }}` expression fields: completion of upstream field names and a preview of the
// value over sample data. The server evaluates expressions (native fast path, then a JS
// sandbox); the preview here covers what needs no evaluator: plain paths from `$json`,
// `$node["Name"].json`, `$vars`, joined with the template's text. Anything else previews as
// "evaluated at run time".

export type Sample = unknown[];

/** What an expression can see in one node: its input item, upstream nodes' items, variables. */
export interface ExpressionScope {
  /** The first input item (`$json`), when sample data reaches this node. */
  json?: unknown;
  /** Upstream nodes by name: their first output item, when known, and field names. */
  nodes: { name: string; item?: unknown; fields: string[] }[];
  vars: Record<string, unknown>;
  /** Field names known for `$json` without sample data (e.g. keys a Set node writes). */
  jsonFields: string[];
}

export interface Completion {
  label: string;
  insert: string;
  detail: string;
  /** Characters before `from` to replace too (the `.` before a key that needs brackets). */
  back?: number;
}

type Segment = { kind: "name"; name: string } | { kind: "index"; index: number };

interface PlainPath {
  root: "json" | "vars" | "node";
  node?: string;
  segments: Segment[];
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*/;

/** Parses `$json.a["b"][0]`, `$vars.x`, `$node["Name"].json.y` (and `$("Name")`); null otherwise. */
export function parsePlainPath(src: string): PlainPath | null {
  let s = src.trim();
  let path: PlainPath;
  if (s.startsWith("$json")) {
    path = { root: "json", segments: [] };
    s = s.slice(5);
  } else if (s.startsWith("$vars")) {
    path = { root: "vars", segments: [] };
    s = s.slice(5);
  } else {
    const m = /^(?:\$node\[\s*(["'])(.*?)\1\s*\]|\$\(\s*(["'])(.*?)\3\s*\))\.(?:json|item\.json)/.exec(s);
    if (!m) return null;
    path = { root: "node", node: m[2] ?? m[4] ?? "", segments: [] };
    s = s.slice(m[0].length);
  }
  while (s.length > 0) {
    if (s.startsWith(".")) {
      const m = IDENT.exec(s.slice(1));
      if (!m) return null;
      path.segments.push({ kind: "name", name: m[0] });
      s = s.slice(1 + m[0].length);
    } else if (s.startsWith("[")) {
      const m = /^\[\s*(?:(["'])(.*?)\1|(\d+))\s*\]/.exec(s);
      if (!m) return null;
      if (m[3] !== undefined) path.segments.push({ kind: "index", index: Number(m[3]) });
      else path.segments.push({ kind: "name", name: m[2] ?? "" });
      s = s.slice(m[0].length);
    } else {
      return null;
    }
  }
  return path;
}

function follow(value: unknown, segments: Segment[]): { found: boolean; value?: unknown } {
  let v = value;
  for (const seg of segments) {
    if (seg.kind === "name" && v && typeof v === "object" && !Array.isArray(v) && seg.name in v) {
      v = (v as Record<string, unknown>)[seg.name];
    } else if (seg.kind === "index" && Array.isArray(v) && seg.index < v.length) {
      v = v[seg.index];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: v };
}

function rootValue(path: PlainPath, scope: ExpressionScope): { known: boolean; value?: unknown } {
  if (path.root === "json") return scope.json === undefined ? { known: false } : { known: true, value: scope.json };
  if (path.root === "vars") return { known: true, value: scope.vars };
  const node = scope.nodes.find((n) => n.name === path.node);
  return node?.item === undefined ? { known: false } : { known: true, value: node.item };
}

export type Preview =
  | { kind: "value"; value: unknown }
  | { kind: "missing"; message: string }
  | { kind: "runtime"; message: string };

/** Splits a template into text and `{{ }}` sources; null when a `{{` is not closed. */
export function splitTemplate(src: string): ({ text: string } | { expr: string })[] | null {
  const parts: ({ text: string } | { expr: string })[] = [];
  let rest = 0;
  for (;;) {
    const open = src.indexOf("{{", rest);
    if (open < 0) break;
    if (open > rest) parts.push({ text: src.slice(rest, open) });
    const close = src.indexOf("}}", open + 2);
    if (close < 0) return null;
    parts.push({ expr: src.slice(open + 2, close).trim() });
    rest = close + 2;
  }
  if (rest < src.length) parts.push({ text: src.slice(rest) });
  return parts;
}

function asText(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "string") return v;
  if (typeof v === "object") return Array.isArray(v) ? v.map(asText).join(",") : "[object Object]";
  return String(v);
}

/** The value a template would have over the scope's sample data, as far as it can tell. */
export function previewTemplate(src: string, scope: ExpressionScope): Preview {
  const parts = splitTemplate(src);
  if (!parts) return { kind: "missing", message: "`{{` is never closed with `}}`" };
  const exprs = parts.filter((p) => "expr" in p);
  if (exprs.length === 0) return { kind: "value", value: src };
  const values: unknown[] = [];
  for (const p of exprs) {
    const path = parsePlainPath((p as { expr: string }).expr);
    if (!path) return { kind: "runtime", message: "evaluated at run time" };
    const root = rootValue(path, scope);
    if (!root.known) return { kind: "missing", message: "no sample data reaches this node yet" };
    const hit = follow(root.value, path.segments);
    values.push(hit.found ? hit.value : undefined);
  }
  const blank = parts.every((p) => "expr" in p || p.text.trim() === "");
  if (exprs.length === 1 && blank) return { kind: "value", value: values[0] };
  let i = 0;
  const text = parts.map((p) => ("expr" in p ? asText(values[i++]) : p.text)).join("");
  return { kind: "value", value: text };
}

function keysOf(v: unknown): string[] {
  return v && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : [];
}

function accessor(key: string): string {
  return IDENT.test(key) && IDENT.exec(key)?.[0] === key ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * Completions for the expression text before the caret (inside `{{`): after `$json.` the fields
 * of the input item, after `$node["Name"].json.` that node's, after `$vars.` the variables; at
 * the start of an expression the roots and upstream nodes.
 */
export function complete(beforeCaret: string, scope: ExpressionScope): { from: number; items: Completion[] } | null {
  const open = beforeCaret.lastIndexOf("{{");
  if (open < 0 || beforeCaret.indexOf("}}", open) >= 0) return null;
  const expr = beforeCaret.slice(open + 2);
  // The path being typed: a root and segments, ending in `.partial` or `.`.
  const m = /(\$json|\$vars|\$node\[\s*["'][^"']*["']\s*\]\.json|\$\(\s*["'][^"']*["']\s*\)\.(?:item\.)?json)((?:\.[A-Za-z_$][\w$]*|\[[^\]]*\])*)\.([A-Za-z_$][\w$]*)?$/.exec(expr);
  if (m) {
    const base = parsePlainPath(m[1] + (m[2] ?? ""));
    const partial = m[3] ?? "";
    if (!base) return null;
    let keys: string[];
    if (base.root === "json") {
      const hit = scope.json === undefined ? undefined : follow(scope.json, base.segments);
      keys = hit?.found ? keysOf(hit.value) : base.segments.length === 0 ? scope.jsonFields : [];
      if (base.segments.length === 0) keys = [...new Set([...keys, ...scope.jsonFields])];
    } else if (base.root === "vars") {
      const hit = follow(scope.vars, base.segments);
      keys = hit.found ? keysOf(hit.value) : [];
    } else {
      const node = scope.nodes.find((n) => n.name === base.node);
      const hit = node?.item === undefined ? undefined : follow(node.item, base.segments);
      keys = hit?.found ? keysOf(hit.value) : base.segments.length === 0 ? (node?.fields ?? []) : [];
    }
    const items = keys
      .filter((k) => k.toLowerCase().startsWith(partial.toLowerCase()))
      .map((k): Completion => {
        const a = accessor(k);
        return a.startsWith(".") ? { label: k, insert: a.slice(1), detail: "field" } : { label: k, insert: a, detail: "field", back: 1 };
      });
    return { from: beforeCaret.length - partial.length, items };
  }
  const word = /(\$?[\w]*)$/.exec(expr)?.[1] ?? "";
  const before = expr.slice(0, expr.length - word.length);
  if (!/(^|[\s(,+\-*/!?:&|=<>])$/.test(before)) return null;
  const roots: Completion[] = [
    { label: "$json", insert: "$json", detail: "the input item" },
    { label: "$vars", insert: "$vars", detail: "workflow variables" },
    { label: "$now", insert: "$now", detail: "the current time" },
    ...scope.nodes.map((n) => ({ label: `$node["${n.name}"].json`, insert: `$node["${n.name}"].json`, detail: "upstream node" })),
  ];
  return {
    from: beforeCaret.length - word.length,
    items: roots.filter((c) => c.label.toLowerCase().startsWith(word.toLowerCase())),
  };
}
