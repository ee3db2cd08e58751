// A form model from a node type's params JSON Schema (2020-12): the node panel renders it.
// Strings, numbers, integers, booleans, enums and consts, objects with properties, maps
// (objects with free keys), arrays, oneOf/anyOf (a variant picker), $ref into $defs; anything
// else falls back to a JSON editor, so no schema is ever unusable.

type Json = Record<string, unknown>;

interface Base {
  key: string;
  label: string;
  description?: string;
  required: boolean;
  defaultValue?: unknown;
  /** Params marked `x-weft-raw` are taken as written (code), never as `{{ }}` templates. */
  raw: boolean;
}

export type Field =
  | (Base & { kind: "string"; multiline: boolean; format?: string; placeholder?: string; credential: boolean })
  | (Base & { kind: "enum"; options: (string | number | boolean)[] })
  | (Base & { kind: "number"; integer: boolean; minimum?: number; maximum?: number })
  | (Base & { kind: "boolean" })
  | (Base & { kind: "object"; fields: Field[] })
  | (Base & { kind: "map"; value: Field })
  | (Base & { kind: "array"; item: Field })
  | (Base & { kind: "oneOf"; variants: Variant[] })
  | (Base & { kind: "any" })
  | (Base & { kind: "json" });

export interface Variant {
  label: string;
  field: Field;
  schema: Json;
}

const MAX_DEPTH = 8;

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `fullName` → `Full name`, `max_items` → `Max items`. */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  const acronyms = new Set(["url", "id", "http", "https", "json", "api", "csv", "sql", "uri", "ip", "llm", "jwt", "hmac", "tls", "ttl"]);
  const out = words.split(" ").map((w) => (acronyms.has(w) ? w.toUpperCase() : w)).join(" ");
  return out.charAt(0).toUpperCase() + out.slice(1);
}

function resolve(schema: Json, root: Json): Json {
  let s = schema;
  for (let i = 0; i < 10 && typeof s["$ref"] === "string"; i++) {
    const ref = s["$ref"] as string;
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
    const defs = m ? (root[m[1] as string] as Json | undefined) : undefined;
    const target = m && defs ? defs[m[2] as string] : undefined;
    if (!isObj(target)) break;
    const { $ref: _r, ...rest } = s;
    s = { ...target, ...rest };
  }
  return s;
}

function typesOf(s: Json): string[] {
  const t = s["type"];
  if (typeof t === "string") return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === "string" && x !== "null");
  if (isObj(s["properties"])) return ["object"];
  if (Array.isArray(s["enum"])) return [];
  return [];
}

function variantLabel(s: Json, i: number): string {
  if (typeof s["title"] === "string") return s["title"];
  const props = isObj(s["properties"]) ? s["properties"] : undefined;
  const req = Array.isArray(s["required"]) ? (s["required"] as string[]) : [];
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (isObj(v) && "const" in v) return `${humanize(k)}: ${String(v["const"])}`;
    }
    if (req.length > 0) return req.map(humanize).join(", ");
  }
  const t = typesOf(s);
  if (t.length > 0) return humanize(t.join(" or "));
  return `Option ${i + 1}`;
}

/** The form field for one schema. */
export function fieldFor(schemaIn: unknown, key: string, required: boolean, root: Json, depth = 0): Field {
  const schema = isObj(schemaIn) ? resolve(schemaIn, root) : {};
  const base: Base = {
    key,
    label: typeof schema["title"] === "string" ? schema["title"] : humanize(key),
    required,
    raw: schema["x-weft-raw"] === true,
    ...(typeof schema["description"] === "string" ? { description: schema["description"] } : {}),
    ...("default" in schema ? { defaultValue: schema["default"] } : {}),
  };
  if (depth > MAX_DEPTH) return { ...base, kind: "json" };
  if ("const" in schema) return { ...base, kind: "enum", options: [schema["const"] as string] };
  if (Array.isArray(schema["enum"])) {
    const options = (schema["enum"] as unknown[]).filter(
      (v): v is string | number | boolean => ["string", "number", "boolean"].includes(typeof v),
    );
    return { ...base, kind: "enum", options };
  }
  const alternatives = (Array.isArray(schema["oneOf"]) ? schema["oneOf"] : Array.isArray(schema["anyOf"]) ? schema["anyOf"] : null) as unknown[] | null;
  if (alternatives && alternatives.length > 0) {
    // Keywords beside oneOf (e.g. shared properties) apply to every variant.
    const { oneOf: _o, anyOf: _a, ...shared } = schema;
    const variants: Variant[] = alternatives.map((alt, i) => {
      const merged = mergeSchemas(shared, isObj(alt) ? resolve(alt, root) : {});
      return { label: variantLabel(merged, i), schema: merged, field: fieldFor(merged, key, required, root, depth + 1) };
    });
    return { ...base, kind: "oneOf", variants };
  }
  const types = typesOf(schema);
  // No type, or several (a condition: a boolean or an expression): one text field whose text
  // is read as JSON when it is JSON (`true`, `3`, `[1]`) and kept as a string otherwise.
  if (types.length !== 1) return { ...base, kind: "any" };
  switch (types[0]) {
    case "string": {
      const format = typeof schema["format"] === "string" ? schema["format"] : undefined;
      const multiline = base.raw || format === "code" || schema["x-weft-multiline"] === true || (typeof schema["maxLength"] !== "number" && /body|template|query|code|script|prompt|text/i.test(key));
      return {
        ...base,
        kind: "string",
        multiline,
        credential: key === "credential" || schema["x-weft-credential"] === true,
        ...(format ? { format } : {}),
        ...(Array.isArray(schema["examples"]) && typeof schema["examples"][0] === "string" ? { placeholder: schema["examples"][0] } : {}),
      };
    }
    case "number":
    case "integer":
      return {
        ...base,
        kind: "number",
        integer: types[0] === "integer",
        ...(typeof schema["minimum"] === "number" ? { minimum: schema["minimum"] } : {}),
        ...(typeof schema["maximum"] === "number" ? { maximum: schema["maximum"] } : {}),
      };
    case "boolean":
      return { ...base, kind: "boolean" };
    case "array":
      return { ...base, kind: "array", item: fieldFor(schema["items"] ?? {}, "item", true, root, depth + 1) };
    case "object": {
      const props = isObj(schema["properties"]) ? schema["properties"] : null;
      if (props && Object.keys(props).length > 0) {
        const req = new Set(Array.isArray(schema["required"]) ? (schema["required"] as string[]) : []);
        return {
          ...base,
          kind: "object",
          fields: Object.entries(props).map(([k, v]) => fieldFor(v, k, req.has(k), root, depth + 1)),
        };
      }
      const additional = schema["additionalProperties"];
      if (additional === false) return { ...base, kind: "json" };
      return { ...base, kind: "map", value: fieldFor(isObj(additional) ? additional : {}, "value", true, root, depth + 1) };
    }
    default:
      return { ...base, kind: "json" };
  }
}

function mergeSchemas(a: Json, b: Json): Json {
  const out: Json = { ...a, ...b };
  if (isObj(a["properties"]) || isObj(b["properties"])) {
    out["properties"] = { ...(isObj(a["properties"]) ? a["properties"] : {}), ...(isObj(b["properties"]) ? b["properties"] : {}) };
  }
  const req = [
    ...(Array.isArray(a["required"]) ? (a["required"] as string[]) : []),
    ...(Array.isArray(b["required"]) ? (b["required"] as string[]) : []),
  ];
  if (req.length > 0) out["required"] = [...new Set(req)];
  if (out["type"] === undefined && isObj(out["properties"])) out["type"] = "object";
  return out;
}

/** The fields of a node type's params form (its schema is an object with properties). */
export function paramsForm(schema: Json): Field[] {
  const f = fieldFor(schema, "params", true, schema);
  if (f.kind === "object") return f.fields;
  if (f.kind === "oneOf") return [f];
  return [f];
}

/** Which variant of a oneOf a value is: the first whose required keys and consts it has. */
export function pickVariant(variants: Variant[], value: unknown): number {
  if (value === undefined) return 0;
  let best = -1;
  let bestScore = -1;
  variants.forEach((v, i) => {
    const s = v.schema;
    const t = typesOf(s);
    if (t.length > 0 && !t.some((x) => matchesType(x, value))) return;
    let score = 0;
    if (isObj(value) && isObj(s["properties"])) {
      const props = s["properties"];
      const req = Array.isArray(s["required"]) ? (s["required"] as string[]) : [];
      if (req.some((k) => !(k in value))) return;
      for (const [k, p] of Object.entries(props)) {
        if (isObj(p) && "const" in p) {
          if (value[k] !== p["const"]) return;
          score += 10;
        }
        if (k in value) score += 1;
      }
      if (s["additionalProperties"] === false && Object.keys(value).some((k) => !(k in props))) return;
    }
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  });
  return best < 0 ? 0 : best;
}

function matchesType(t: string, v: unknown): boolean {
  switch (t) {
    case "string": return typeof v === "string";
    case "number": return typeof v === "number";
    case "integer": return typeof v === "number" && Number.isInteger(v);
    case "boolean": return typeof v === "boolean";
    case "array": return Array.isArray(v);
    case "object": return isObj(v);
    default: return true;
  }
}

/** A starting value for a new field (array item, map entry, variant switch). */
export function initialValue(f: Field): unknown {
  if (f.defaultValue !== undefined) return structuredClone(f.defaultValue);
  switch (f.kind) {
    case "string": return "";
    case "enum": return f.options[0];
    case "number": return f.minimum ?? 0;
    case "boolean": return false;
    case "object": {
      const o: Record<string, unknown> = {};
      for (const c of f.fields) if (c.required) o[c.key] = initialValue(c);
      return o;
    }
    case "map": return {};
    case "array": return [];
    case "oneOf": return f.variants[0] ? initialValue(f.variants[0].field) : undefined;
    case "any": return "";
    case "json": return null;
  }
}

/** The value of an `any` field's text: JSON when it parses (not a bare string), else the text. */
export function parseAnyText(text: string): unknown {
  const t = text.trim();
  if (t === "") return undefined;
  if (t.includes("{{")) return text;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

/** The text an `any` field shows for a value. */
export function anyText(value: unknown): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Sets `value` at `key` of `obj` (removing the key for undefined), without mutating `obj`. */
export function withKey(obj: Record<string, unknown> | undefined, key: string, value: unknown): Record<string, unknown> {
  const out = { ...(obj ?? {}) };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
}
