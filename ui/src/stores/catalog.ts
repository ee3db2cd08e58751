// The node catalog and the port-type coercion table, both from the server.
import { create } from "zustand";
import { api, call } from "../api/client";
import type { NodeTypeEntry, PortSpec } from "../lib/model";
import { typeName, typeVersion } from "../lib/model";
import { CoercionTable, type Coercion } from "../lib/ports";

interface CatalogState {
  status: "idle" | "loading" | "ready" | "failed";
  error: string | null;
  types: NodeTypeEntry[];
  byType: Map<string, NodeTypeEntry>;
  portTypes: string[];
  coercionRows: Coercion[];
  coercions: CoercionTable;
  load(): Promise<void>;
}

export const useCatalog = create<CatalogState>((set, get) => ({
  status: "idle",
  error: null,
  types: [],
  byType: new Map(),
  portTypes: [],
  coercionRows: [],
  coercions: new CoercionTable([]),
  async load() {
    if (get().status === "loading" || get().status === "ready") return;
    set({ status: "loading", error: null });
    try {
      const [catalog, ports] = await Promise.all([
        call(api.GET("/api/v1/nodes")),
        call(api.GET("/api/v1/nodes/port-types")),
      ]);
      const types = catalog.items as unknown as NodeTypeEntry[];
      set({
        status: "ready",
        types,
        byType: new Map(types.map((t) => [t.type, t])),
        portTypes: ports.types,
        coercionRows: ports.coercions,
        coercions: new CoercionTable(ports.coercions),
      });
    } catch (e) {
      set({ status: "failed", error: e instanceof Error ? e.message : String(e) });
    }
  },
}));

/** The newest version of each type name, for the palette. */
export function newestTypes(types: NodeTypeEntry[]): NodeTypeEntry[] {
  const best = new Map<string, NodeTypeEntry>();
  for (const t of types) {
    const name = typeName(t.type);
    const cur = best.get(name);
    if (!cur || (typeVersion(t.type) ?? 0) > (typeVersion(cur.type) ?? 0)) best.set(name, t);
  }
  return [...best.values()];
}

/** Until the server works out a node's ports from its params: main in, main out. */
const MAIN_IN_MAIN_OUT: { inputs: PortSpec[]; outputs: PortSpec[] } = Object.freeze({
  inputs: [{ name: "main", type: "any" }],
  outputs: [{ name: "main", type: "any" }],
}) as { inputs: PortSpec[]; outputs: PortSpec[] };

/** Ports of a type with default params (one shared object per type: stable for React). */
export function defaultPorts(entry: NodeTypeEntry | undefined): { inputs: PortSpec[]; outputs: PortSpec[] } {
  return entry?.ports ?? MAIN_IN_MAIN_OUT;
}
