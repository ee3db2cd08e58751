// The `weft/v1` document as the editor handles it. The server reads and validates documents
// (weft_model); these types describe the JSON it stores, and the corpus test
// (validation/mirror.test.ts) round-trips the server's own parsed documents through them.

export type PortType =
  | "any" | "string" | "number" | "boolean" | "object" | "array" | "binary" | "table" | "message" | "error";

export interface Position { x: number; y: number }

export interface DocNode {
  id: string;
  type: string;
  name?: string;
  params?: Record<string, unknown>;
  position?: Position;
  settings?: Record<string, unknown>;
  notes?: string;
  disabled?: boolean;
}

export interface Endpoint { node: string; port?: string }
export interface DocEdge { from: Endpoint; to: Endpoint }

export type TriggerKind = "manual" | "webhook" | "cron" | "runCompleted" | "error";
export interface DocTrigger {
  id: string;
  type: TriggerKind;
  node: string;
  params?: Record<string, unknown>;
}

/** A sticky note, kept in the document's free-form `ui` section. */
export interface Sticky {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  text: string;
  color?: string;
}

/** What the editor keeps in `ui`: sticky notes, trigger positions and the viewport. */
export interface EditorUi {
  stickies?: Sticky[];
  triggers?: Record<string, Position>;
  viewport?: { x: number; y: number; zoom: number };
  [key: string]: unknown;
}

export interface WorkflowDocument {
  apiVersion: string;
  name: string;
  description?: string;
  tags?: string[];
  variables?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  triggers?: DocTrigger[];
  nodes: DocNode[];
  edges?: DocEdge[];
  ui?: EditorUi | null;
}

export interface PortSpec {
  name: string;
  type: PortType;
  required?: boolean;
  description?: string;
}

export interface ResolvedPorts {
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** Set when the node's params do not give ports (the node type's message). */
  error?: string;
}

/** A node type as the catalog serves it. */
export interface NodeTypeEntry {
  type: string;
  displayName: string;
  category: string;
  description: string;
  purity: string;
  paramsSchema: Record<string, unknown>;
  ports?: { inputs: PortSpec[]; outputs: PortSpec[] } | null;
}

export interface Diagnostic {
  severity: "error" | "warning";
  code: string;
  pointer: string;
  nodeId?: string;
  message: string;
}

export const MAIN = "main";
export const ERROR_PORT = "error";

export function typeName(typeRef: string): string {
  const at = typeRef.indexOf("@");
  return at < 0 ? typeRef : typeRef.slice(0, at);
}

export function typeVersion(typeRef: string): number | undefined {
  const at = typeRef.indexOf("@");
  if (at < 0) return undefined;
  const v = Number(typeRef.slice(at + 1));
  return Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** Escapes one JSON-pointer token (RFC 6901). */
export function escapePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}
