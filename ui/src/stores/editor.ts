// The builder's state: the canvas graph, undo/redo, validation (the TypeScript mirror at once,
// the server's verdict as the authority shortly after), connection checks, and saving.
import { type Connection, type EdgeChange, type NodeChange, applyEdgeChanges, applyNodeChanges } from "@xyflow/react";
import { create } from "zustand";
import { ApiError, api, call, etagOf, type Schemas } from "../api/client";
import {
  type CanvasEdge,
  type CanvasNode,
  type Clip,
  type DocMeta,
  type Graph,
  STICKY_PREFIX,
  TRIGGER_PREFIX,
  edgeId,
  freshId,
  freshName,
  fromDocument,
  pasteClip,
  takenIds,
  toDocument,
  triggerEdgeId,
} from "../lib/graph";
import { History } from "../lib/history";
import { type Alignment, align, autoLayout, snap } from "../lib/layout";
import {
  type Diagnostic,
  type DocNode,
  type DocTrigger,
  type NodeTypeEntry,
  type PortSpec,
  type ResolvedPorts,
  type TriggerKind,
  type WorkflowDocument,
  MAIN,
  typeName,
} from "../lib/model";
import { incompatibleMessage } from "../lib/ports";
import type { PinnedOutput } from "../lib/runState";
import { type MirrorCatalog, validateDocument } from "../validation/mirror";
import { defaultPorts, useCatalog } from "./catalog";
import { toastError, toastSuccess, useToasts } from "./toasts";

type Workflow = Schemas["WorkflowDto"];

interface Snapshot {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  meta: DocMeta;
}

export interface ConnectingFrom {
  nodeId: string;
  handleId: string;
  handleType: "source" | "target";
  portType: string;
}

export interface DiagnosticIndex {
  byNode: Map<string, Diagnostic[]>;
  byEdge: Map<string, Diagnostic[]>;
  all: Diagnostic[];
}

interface EditorState {
  workflow: Workflow | null;
  etag: string | undefined;
  loading: boolean;
  loadError: string | null;
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  meta: DocMeta;
  dirty: boolean;
  saving: boolean;
  canUndo: boolean;
  canRedo: boolean;
  /** Ports the server worked out per node, with the params they were worked out for. */
  serverPorts: Record<string, { key: string; ports: ResolvedPorts }>;
  /** The diagnostics shown: the server's when it answered for this document, else the mirror's. */
  diagnostics: DiagnosticIndex;
  /** Whether the shown diagnostics are the server's verdict on the current document. */
  verifiedByServer: boolean;
  connecting: ConnectingFrom | null;
  /** Sample output items per canvas node id (trigger samples now; run data later). */
  samples: Record<string, unknown[]>;
  /** Pinned outputs per node id (kept in the document's `ui.pinData`; sent with test runs). */
  pins: Record<string, PinnedOutput>;
  /** The saved document without its editor-only `ui`, to tell whether a test run needs a save. */
  savedKey: string;
  paletteOpen: boolean;
  quickAddOpen: boolean;

  load(id: string): Promise<void>;
  reset(): void;
  onNodesChange(changes: NodeChange<CanvasNode>[]): void;
  onEdgesChange(changes: EdgeChange<CanvasEdge>[]): void;
  /** Remembers the state before a drag, so one drag is one undo step. */
  beginDrag(): void;
  checkConnection(c: Connection | CanvasEdge): { ok: true; how?: string } | { ok: false; reason: string };
  connect(c: Connection): void;
  setConnecting(from: ConnectingFrom | null): void;
  addNode(entry: NodeTypeEntry, position: { x: number; y: number }): string;
  addTrigger(kind: TriggerKind, position: { x: number; y: number }): string;
  addSticky(position: { x: number; y: number }): string;
  updateNode(id: string, patch: Partial<DocNode>): void;
  updateTrigger(id: string, patch: Partial<DocTrigger>): void;
  updateSticky(id: string, text: string): void;
  updateMeta(patch: Partial<DocMeta>): void;
  setSample(nodeId: string, items: unknown[] | null): void;
  setPin(nodeId: string, pin: PinnedOutput | null): void;
  /** Whether what would run differs from the newest saved version (editor-only `ui` aside). */
  needsSave(): boolean;
  /** Takes a workflow the server answered with (publish, unpublish) without touching the canvas. */
  setWorkflow(workflow: Workflow, etag: string | undefined): void;
  deleteSelected(): void;
  selectAll(): void;
  selectOnly(id: string): void;
  copy(): void;
  paste(): void;
  undo(): void;
  redo(): void;
  layout(): void;
  alignSelected(how: Alignment): void;
  save(message: string): Promise<boolean>;
  document(): WorkflowDocument;
  portsOf(nodeId: string): ResolvedPorts;
  setPaletteOpen(open: boolean): void;
  setQuickAddOpen(open: boolean): void;
}

const history = new History<Snapshot>(200);
let clip: Clip | null = null;
let validateTimer: ReturnType<typeof setTimeout> | undefined;
let validateSeq = 0;
let lastEdit: { id: string; at: number } | null = null;

const EMPTY_INDEX: DiagnosticIndex = { byNode: new Map(), byEdge: new Map(), all: [] };

function paramsKey(node: DocNode): string {
  return JSON.stringify(node.params ?? {});
}

function snapshot(s: Snapshot): Snapshot {
  return { nodes: s.nodes.map((n) => ({ ...n, selected: false })), edges: s.edges.map((e) => ({ ...e, selected: false })), meta: s.meta };
}

/** Maps diagnostics to the canvas: by pointer (/nodes/i, /edges/i, /triggers/i) and node id. */
export function indexDiagnostics(doc: WorkflowDocument, diags: Diagnostic[]): DiagnosticIndex {
  const byNode = new Map<string, Diagnostic[]>();
  const byEdge = new Map<string, Diagnostic[]>();
  const add = (m: Map<string, Diagnostic[]>, k: string, d: Diagnostic) => {
    const list = m.get(k);
    if (list) list.push(d);
    else m.set(k, [d]);
  };
  for (const d of diags) {
    const m = /^\/(nodes|edges|triggers)\/(\d+)/.exec(d.pointer);
    const i = m ? Number(m[2]) : -1;
    if (m?.[1] === "nodes" && doc.nodes[i]) add(byNode, doc.nodes[i].id, d);
    else if (m?.[1] === "edges" && doc.edges?.[i]) {
      const e = doc.edges[i];
      add(byEdge, edgeId(e), d);
      if (d.nodeId) add(byNode, d.nodeId, d);
    } else if (m?.[1] === "triggers" && doc.triggers?.[i]) add(byNode, TRIGGER_PREFIX + doc.triggers[i].id, d);
    else if (d.nodeId) add(byNode, d.nodeId, d);
  }
  return { byNode, byEdge, all: diags };
}

function sameList(a: Diagnostic[] | undefined, b: Diagnostic[]): boolean {
  return !!a && a.length === b.length && a.every((d, i) => {
    const e = b[i] as Diagnostic;
    return d.code === e.code && d.pointer === e.pointer && d.message === e.message && d.severity === e.severity && d.nodeId === e.nodeId;
  });
}

/** The new index, with each node's and edge's list kept from the old one when it did not change,
 * so revalidating after a drag re-renders only the nodes whose problems changed. */
export function keepSame(prev: DiagnosticIndex, next: DiagnosticIndex): DiagnosticIndex {
  const reuse = (old: Map<string, Diagnostic[]>, fresh: Map<string, Diagnostic[]>) => {
    for (const [k, list] of fresh) {
      const o = old.get(k);
      if (o && sameList(o, list)) fresh.set(k, o);
    }
  };
  reuse(prev.byNode, next.byNode);
  reuse(prev.byEdge, next.byEdge);
  return next;
}

function mirrorCatalog(get: () => EditorState): MirrorCatalog {
  const catalog = useCatalog.getState();
  return {
    info: (t) => catalog.byType.get(t),
    versions: (name) =>
      catalog.types
        .filter((t) => typeName(t.type) === name)
        .map((t) => Number(t.type.split("@")[1] ?? 0))
        .sort((a, b) => a - b),
    ports: (node, entry) => {
      const sp = get().serverPorts[node.id];
      // Stale-while-revalidate: the last ports the server gave stand until it answers again.
      if (sp) return sp.ports;
      return defaultPorts(entry);
    },
  };
}

export const useEditor = create<EditorState>((set, get) => {
  /** Applies a change as one undo step, then revalidates. */
  function commit(next: Partial<Snapshot>, opts: { record?: boolean } = {}): void {
    const s = get();
    if (opts.record !== false) history.record(snapshot(s));
    set({ ...next, dirty: true, canUndo: history.canUndo, canRedo: history.canRedo });
    revalidate();
  }

  function revalidate(): void {
    const s = get();
    const doc = s.document();
    const diags = validateDocument(doc, mirrorCatalog(get), useCatalog.getState().coercions);
    set({ diagnostics: keepSame(s.diagnostics, indexDiagnostics(doc, diags)), verifiedByServer: false });
    clearTimeout(validateTimer);
    validateTimer = setTimeout(() => void askServer(doc), 350);
  }

  async function askServer(doc: WorkflowDocument): Promise<void> {
    const seq = ++validateSeq;
    let result: Schemas["ValidateResult"];
    try {
      result = await call(api.POST("/api/v1/workflows/validate", { body: { document: doc as unknown as Record<string, never> } }));
    } catch {
      return; // the mirror's verdict stands; a save will report the server's
    }
    if (seq !== validateSeq) return;
    const serverPorts: EditorState["serverPorts"] = {};
    const before = get().serverPorts;
    for (const n of doc.nodes) {
      const p = result.ports[n.id];
      if (!p) continue;
      // The same ports keep their identity: a node re-renders only when its own ports changed.
      const prev = before[n.id];
      const key = paramsKey(n);
      serverPorts[n.id] = prev && prev.key === key && JSON.stringify(prev.ports) === JSON.stringify(p) ? prev : { key, ports: p as ResolvedPorts };
    }
    // Edges to ports that no longer exist (a switch lost a case) stay on the canvas: the
    // validator flags them (edge.port.unknown) and the user decides.
    set({ serverPorts });
    const current = get().document();
    if (JSON.stringify(current) === JSON.stringify(doc)) {
      set({ diagnostics: keepSame(get().diagnostics, indexDiagnostics(doc, result.diagnostics as Diagnostic[])), verifiedByServer: true });
    }
  }

  function nodeById(id: string): CanvasNode | undefined {
    return get().nodes.find((n) => n.id === id);
  }

  function portType(nodeId: string, handle: string, output: boolean): PortSpec | undefined {
    const n = nodeById(nodeId);
    if (!n) return undefined;
    if (n.type === "trigger") return output && handle === MAIN ? { name: MAIN, type: "any" } : undefined;
    if (n.type !== "step") return undefined;
    const ports = get().portsOf(nodeId);
    const list = output ? ports.outputs : ports.inputs;
    const found = list.find((p) => p.name === handle);
    if (found) return found;
    if (output && handle === "error") return { name: "error", type: "error" };
    return undefined;
  }

  return {
    workflow: null,
    etag: undefined,
    loading: false,
    loadError: null,
    nodes: [],
    edges: [],
    meta: { apiVersion: "weft/v1", name: "" },
    dirty: false,
    saving: false,
    canUndo: false,
    canRedo: false,
    serverPorts: {},
    diagnostics: EMPTY_INDEX,
    verifiedByServer: false,
    connecting: null,
    samples: {},
    pins: {},
    savedKey: "",
    paletteOpen: true,
    quickAddOpen: false,

    async load(id) {
      set({ loading: true, loadError: null });
      await useCatalog.getState().load();
      try {
        const { data, error, response } = await api.GET("/api/v1/workflows/{id}", { params: { path: { id } } });
        if (!response.ok || !data) throw error ? new ApiError(response.status, (error as { code?: string }).code ?? "error", (error as { message?: string }).message ?? `HTTP ${response.status}`) : new Error(`HTTP ${response.status}`);
        const doc = data.document as unknown as WorkflowDocument;
        const graph: Graph = fromDocument(doc);
        history.clear();
        const samples: Record<string, unknown[]> = {};
        const saved = (doc.ui as { samples?: Record<string, unknown[]> } | null | undefined)?.samples;
        if (saved && typeof saved === "object") Object.assign(samples, saved);
        const pinData = (doc.ui as { pinData?: Record<string, PinnedOutput> } | null | undefined)?.pinData;
        const pins: Record<string, PinnedOutput> = pinData && typeof pinData === "object" ? { ...pinData } : {};
        set({
          workflow: data,
          etag: etagOf(response),
          loading: false,
          nodes: graph.nodes,
          edges: graph.edges,
          meta: graph.meta,
          dirty: false,
          canUndo: false,
          canRedo: false,
          serverPorts: {},
          samples,
          pins,
        });
        // Compared as the canvas writes it back (key order, explicit ports), not as fetched.
        set({ savedKey: runKey(get().document()) });
        revalidate();
      } catch (e) {
        set({ loading: false, loadError: e instanceof Error ? e.message : String(e) });
      }
    },

    reset() {
      history.clear();
      clearTimeout(validateTimer);
      set({ workflow: null, nodes: [], edges: [], dirty: false, diagnostics: EMPTY_INDEX, serverPorts: {}, samples: {}, pins: {}, savedKey: "" });
    },

    onNodesChange(changes) {
      const s = get();
      const structural = changes.some((c) => c.type === "remove" || c.type === "add");
      if (structural) history.record(snapshot(s));
      const removed = new Set(changes.filter((c) => c.type === "remove").map((c) => (c as { id: string }).id));
      const nodes = applyNodeChanges(changes, s.nodes);
      const moved = changes.some((c) => c.type === "position" && c.dragging === false);
      const resized = changes.some((c) => c.type === "dimensions" && (c as { resizing?: boolean }).resizing === false);
      const edges = removed.size > 0 ? s.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target)) : s.edges;
      set({ nodes, edges, canUndo: history.canUndo });
      if (structural || moved || resized) {
        set({ dirty: true });
        revalidate();
      }
    },

    onEdgesChange(changes) {
      const s = get();
      const structural = changes.some((c) => c.type === "remove" || c.type === "add");
      if (structural) history.record(snapshot(s));
      set({ edges: applyEdgeChanges(changes, s.edges), canUndo: history.canUndo });
      if (structural) {
        set({ dirty: true });
        revalidate();
      }
    },

    beginDrag() {
      history.record(snapshot(get()));
      set({ canUndo: true, canRedo: false });
    },

    checkConnection(c) {
      const { source, target } = c;
      const sourceHandle = c.sourceHandle ?? MAIN;
      const targetHandle = c.targetHandle ?? MAIN;
      if (!source || !target) return { ok: false, reason: "drop the connection on a port" };
      if (source === target) return { ok: false, reason: "a node cannot feed itself" };
      const t = nodeById(target);
      if (t?.type !== "step") return { ok: false, reason: "only steps take input" };
      const out = portType(source, sourceHandle, true);
      const inp = portType(target, targetHandle, false);
      if (!out || !inp) return { ok: false, reason: "that port does not exist" };
      if (get().edges.some((e) => e.source === source && e.target === target && (e.sourceHandle ?? MAIN) === sourceHandle && (e.targetHandle ?? MAIN) === targetHandle)) {
        return { ok: false, reason: "these ports are already connected" };
      }
      const compat = useCatalog.getState().coercions.check(out.type, inp.type);
      if (compat.kind === "incompatible") {
        const name = (id: string) => {
          const n = nodeById(id);
          return n?.type === "step" ? n.id : n?.type === "trigger" ? n.data.trigger.id : id;
        };
        return { ok: false, reason: incompatibleMessage(name(source), sourceHandle, out.type, name(target), targetHandle, inp.type) };
      }
      return compat.kind === "coerce" ? { ok: true, how: compat.how } : { ok: true };
    },

    connect(c) {
      const check = get().checkConnection(c);
      if (!check.ok) {
        useToasts.getState().push({ kind: "error", title: "Connection refused", detail: check.reason });
        return;
      }
      const s = get();
      const source = c.source;
      const sourceHandle = c.sourceHandle ?? MAIN;
      const targetHandle = c.targetHandle ?? MAIN;
      let edges = s.edges;
      let edge: CanvasEdge;
      if (source.startsWith(TRIGGER_PREFIX)) {
        // A trigger feeds one node: a new connection replaces the old one.
        const tid = source.slice(TRIGGER_PREFIX.length);
        edges = edges.filter((e) => e.source !== source);
        edge = { id: triggerEdgeId(tid), source, sourceHandle: MAIN, target: c.target, targetHandle: MAIN };
      } else {
        edge = {
          id: edgeId({ from: { node: source, port: sourceHandle }, to: { node: c.target, port: targetHandle } }),
          source, sourceHandle, target: c.target, targetHandle,
        };
      }
      commit({ edges: [...edges, edge] });
      if (check.how) useToasts.getState().push({ kind: "info", title: "Connected with a conversion", detail: check.how });
    },

    setConnecting(from) {
      set({ connecting: from });
    },

    addNode(entry, position) {
      const s = get();
      const taken = takenIds(s.nodes);
      const id = freshId(typeName(entry.type), taken);
      const names = new Set(s.nodes.filter((n) => n.type === "step").map((n) => (n.type === "step" ? n.data.node.name ?? n.id : "")));
      const name = freshName(entry.displayName, names);
      const node: DocNode = { id, type: entry.type, name, params: initialParams(entry) };
      const canvasNode: CanvasNode = {
        id, type: "step", position: { x: snap(position.x), y: snap(position.y) }, selected: true,
        data: { node },
      };
      commit({ nodes: [...s.nodes.map((n) => ({ ...n, selected: false })), canvasNode] });
      return id;
    },

    addTrigger(kind, position) {
      const s = get();
      const tid = freshId(kind, takenIds(s.nodes));
      const params: Record<string, unknown> = kind === "webhook"
        ? { path: `${(s.meta.name || "workflow").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "hook"}`, method: "POST" }
        : kind === "cron" ? { expression: "0 9 * * MON-FRI", timezone: "UTC" } : {};
      const trigger: DocTrigger = { id: tid, type: kind, node: "", params };
      const node: CanvasNode = {
        id: TRIGGER_PREFIX + tid, type: "trigger", position: { x: snap(position.x), y: snap(position.y) }, selected: true,
        data: { trigger },
      };
      commit({ nodes: [...s.nodes.map((n) => ({ ...n, selected: false })), node] });
      return node.id;
    },

    addSticky(position) {
      const s = get();
      const sid = freshId("note", takenIds(s.nodes));
      const node: CanvasNode = {
        id: STICKY_PREFIX + sid, type: "sticky", position: { x: snap(position.x), y: snap(position.y) },
        width: 240, height: 140, zIndex: -1,
        data: { sticky: { id: sid, x: position.x, y: position.y, width: 240, height: 140, text: "" } },
      };
      commit({ nodes: [...s.nodes, node] });
      return node.id;
    },

    updateNode(id, patch) {
      const s = get();
      // Typing in one field is one undo step, not one per key.
      const now = Date.now();
      const coalesce = lastEdit?.id === id && now - lastEdit.at < 1200;
      lastEdit = { id, at: now };
      let renamed: string | null = null;
      const nodes = s.nodes.map((n) => {
        if (n.id !== id || n.type !== "step") return n;
        const node = { ...n.data.node, ...patch };
        for (const k of Object.keys(patch) as (keyof DocNode)[]) if (patch[k] === undefined) delete node[k];
        if (patch.id && patch.id !== id) renamed = patch.id;
        return { ...n, id: node.id, data: { node } };
      });
      let edges = s.edges;
      if (renamed) {
        const to = renamed;
        edges = edges.map((e) => {
          const source = e.source === id ? to : e.source;
          const target = e.target === id ? to : e.target;
          if (source === e.source && target === e.target) return e;
          const next = { ...e, source, target };
          return source.startsWith(TRIGGER_PREFIX) ? next : { ...next, id: edgeId({ from: { node: source, port: e.sourceHandle ?? MAIN }, to: { node: target, port: e.targetHandle ?? MAIN } }) };
        });
      }
      commit({ nodes, edges }, { record: !coalesce });
    },

    updateTrigger(id, patch) {
      const s = get();
      const nodes = s.nodes.map((n) => (n.id === id && n.type === "trigger" ? { ...n, data: { trigger: { ...n.data.trigger, ...patch } } } : n));
      commit({ nodes });
    },

    updateSticky(id, text) {
      const s = get();
      const now = Date.now();
      const coalesce = lastEdit?.id === id && now - lastEdit.at < 1200;
      lastEdit = { id, at: now };
      const nodes = s.nodes.map((n) => (n.id === id && n.type === "sticky" ? { ...n, data: { sticky: { ...n.data.sticky, text } } } : n));
      commit({ nodes }, { record: !coalesce });
    },

    updateMeta(patch) {
      commit({ meta: { ...get().meta, ...patch } });
    },

    setSample(nodeId, items) {
      const samples = { ...get().samples };
      if (items === null) delete samples[nodeId];
      else samples[nodeId] = items;
      const ui = { ...(get().meta.ui ?? {}) } as Record<string, unknown>;
      if (Object.keys(samples).length > 0) ui["samples"] = samples;
      else delete ui["samples"];
      set({ samples });
      commit({ meta: { ...get().meta, ui: Object.keys(ui).length > 0 ? ui : null } });
    },

    setPin(nodeId, pin) {
      const pins = { ...get().pins };
      if (pin === null) delete pins[nodeId];
      else pins[nodeId] = pin;
      const ui = { ...(get().meta.ui ?? {}) } as Record<string, unknown>;
      if (Object.keys(pins).length > 0) ui["pinData"] = pins;
      else delete ui["pinData"];
      set({ pins });
      commit({ meta: { ...get().meta, ui: Object.keys(ui).length > 0 ? ui : null } });
    },

    needsSave() {
      return runKey(get().document()) !== get().savedKey;
    },

    setWorkflow(workflow, etag) {
      set({ workflow, etag });
    },

    deleteSelected() {
      const s = get();
      const gone = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
      const goneEdges = new Set(s.edges.filter((e) => e.selected).map((e) => e.id));
      if (gone.size === 0 && goneEdges.size === 0) return;
      commit({
        nodes: s.nodes.filter((n) => !gone.has(n.id)),
        edges: s.edges.filter((e) => !goneEdges.has(e.id) && !gone.has(e.source) && !gone.has(e.target)),
      });
    },

    selectAll() {
      const s = get();
      set({ nodes: s.nodes.map((n) => ({ ...n, selected: true })), edges: s.edges.map((e) => ({ ...e, selected: true })) });
    },

    selectOnly(id) {
      const s = get();
      set({ nodes: s.nodes.map((n) => ({ ...n, selected: n.id === id })), edges: s.edges.map((e) => ({ ...e, selected: false })) });
    },

    copy() {
      const s = get();
      const nodes = s.nodes.filter((n) => n.selected);
      if (nodes.length === 0) return;
      const ids = new Set(nodes.map((n) => n.id));
      clip = { nodes: structuredClone(nodes), edges: s.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
      const text = JSON.stringify({ weftClipboard: 1, ...clip });
      void navigator.clipboard?.writeText(text).catch(() => undefined);
      toastSuccess(`Copied ${nodes.length} node${nodes.length === 1 ? "" : "s"}`);
    },

    paste() {
      if (!clip) return;
      const s = get();
      const pasted = pasteClip(clip, s.nodes, { x: 40, y: 40 });
      // Paste again moves further along.
      clip = { nodes: pasted.nodes.map((n) => ({ ...n, selected: false })), edges: pasted.edges };
      commit({
        nodes: [...s.nodes.map((n) => ({ ...n, selected: false })), ...pasted.nodes],
        edges: [...s.edges.map((e) => ({ ...e, selected: false })), ...pasted.edges],
      });
    },

    undo() {
      const s = get();
      const prev = history.undo(snapshot(s));
      if (!prev) return;
      lastEdit = null;
      set({ ...prev, ...fromUi(prev.meta), dirty: true, canUndo: history.canUndo, canRedo: history.canRedo });
      revalidate();
    },

    redo() {
      const s = get();
      const next = history.redo(snapshot(s));
      if (!next) return;
      lastEdit = null;
      set({ ...next, ...fromUi(next.meta), dirty: true, canUndo: history.canUndo, canRedo: history.canRedo });
      revalidate();
    },

    layout() {
      const s = get();
      const positions = autoLayout(s.nodes, s.edges);
      commit({ nodes: s.nodes.map((n) => (positions.has(n.id) ? { ...n, position: positions.get(n.id) as { x: number; y: number } } : n)) });
    },

    alignSelected(how) {
      const s = get();
      const positions = align(s.nodes.filter((n) => n.selected), how);
      if (positions.size === 0) return;
      commit({ nodes: s.nodes.map((n) => (positions.has(n.id) ? { ...n, position: positions.get(n.id) as { x: number; y: number } } : n)) });
    },

    async save(message) {
      const s = get();
      if (!s.workflow) return false;
      set({ saving: true });
      try {
        const doc = s.document();
        // If-Match: a save based on an older revision is refused (412), never lost silently.
        const { data, error, response } = await api.PATCH("/api/v1/workflows/{id}", {
          params: { path: { id: s.workflow.id }, header: s.etag ? { "If-Match": s.etag } : {} },
          body: { document: doc as unknown as Record<string, never>, message },
        });
        if (!response.ok || !data) {
          const err = error as { code?: string; message?: string; details?: { diagnostics?: Diagnostic[] } } | undefined;
          if (err?.details?.diagnostics) {
            set({ diagnostics: indexDiagnostics(doc, err.details.diagnostics), verifiedByServer: true });
          }
          throw new ApiError(response.status, err?.code ?? "error", err?.message ?? `HTTP ${response.status}`);
        }
        set({ workflow: data, etag: etagOf(response), dirty: false, saving: false, savedKey: runKey(doc) });
        const version = data.latestVersion;
        toastSuccess(`Saved version ${version}`, message || undefined);
        return true;
      } catch (e) {
        set({ saving: false });
        toastError("Could not save", e);
        return false;
      }
    },

    document() {
      const s = get();
      return toDocument({ nodes: s.nodes, edges: s.edges, meta: s.meta });
    },

    portsOf(nodeId) {
      const s = get();
      const n = s.nodes.find((x) => x.id === nodeId);
      if (!n || n.type !== "step") return { inputs: [], outputs: [] };
      const sp = s.serverPorts[nodeId];
      if (sp && !sp.ports.error) return sp.ports;
      const entry = useCatalog.getState().byType.get(n.data.node.type);
      return defaultPorts(entry);
    },

    setPaletteOpen(open) {
      set({ paletteOpen: open });
    },
    setQuickAddOpen(open) {
      set({ quickAddOpen: open });
    },
  };
});

/** Samples and pins as the document's `ui` holds them (after an undo or redo brings an older `ui` back). */
function fromUi(meta: DocMeta): { samples: Record<string, unknown[]>; pins: Record<string, PinnedOutput> } {
  const ui = (meta.ui ?? {}) as { samples?: Record<string, unknown[]>; pinData?: Record<string, PinnedOutput> };
  return {
    samples: ui.samples && typeof ui.samples === "object" ? { ...ui.samples } : {},
    pins: ui.pinData && typeof ui.pinData === "object" ? { ...ui.pinData } : {},
  };
}

/** What a run of the document depends on: everything but the editor-only `ui` and positions. */
export function runKey(doc: WorkflowDocument): string {
  const { ui: _ui, ...rest } = doc;
  return stableJson({ ...rest, nodes: rest.nodes.map(({ position: _p, ...n }) => n) });
}

/** JSON with object keys sorted, so equal documents give equal text. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** Params a new node starts with: the schema's defaults for required params. */
function initialParams(entry: NodeTypeEntry): Record<string, unknown> {
  const schema = entry.paramsSchema as { properties?: Record<string, { default?: unknown }>; required?: string[] };
  const out: Record<string, unknown> = {};
  for (const key of schema.required ?? []) {
    const d = schema.properties?.[key]?.default;
    if (d !== undefined) out[key] = structuredClone(d);
  }
  return out;
}
