// Port compatibility from the server's one coercion table (GET /api/v1/nodes/port-types,
// weft_model::ports::COERCIONS): never retyped here.
import type { PortType } from "./model";

export interface Coercion { from: string; to: string; how: string }

export type Compatibility =
  | { kind: "exact" }
  | { kind: "coerce"; how: string }
  | { kind: "incompatible" };

export class CoercionTable {
  private readonly rows: Map<string, string>;
  constructor(coercions: Coercion[]) {
    this.rows = new Map(coercions.map((c) => [`${c.from}>${c.to}`, c.how]));
  }
  /** Whether an output of type `from` may feed an input of type `to`, as weft_model::coercion. */
  check(from: PortType, to: PortType): Compatibility {
    if (from === to || from === "any" || to === "any") return { kind: "exact" };
    const how = this.rows.get(`${from}>${to}`);
    return how === undefined ? { kind: "incompatible" } : { kind: "coerce", how };
  }
}

/** The message the server gives for an incompatible edge (edge.type.incompatible). */
export function incompatibleMessage(
  fromNode: string, fromPort: string, fromType: string, toNode: string, toPort: string, toType: string,
): string {
  return `${fromNode}.${fromPort} emits ${fromType} but ${toNode}.${toPort} takes ${toType}; no conversion exists between them`;
}
