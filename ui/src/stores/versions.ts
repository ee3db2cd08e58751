// Versions of the open workflow: the history (newest first), the visual diff between two of
// them (both documents fetched, compared by lib/versionDiff), rollback and publish/unpublish.
import { create } from "zustand";
import { api, call, etagOf, toApiError, type Schemas } from "../api/client";
import type { WorkflowDocument } from "../lib/model";
import { type DiffCanvasNode, type VersionDiff, diffCanvas, diffDocuments } from "../lib/versionDiff";
import type { Edge, ReactFlowInstance } from "@xyflow/react";
import { useEditor } from "./editor";
import { toastError, toastSuccess } from "./toasts";

type Version = Schemas["VersionDto"];

export interface ActiveDiff {
  from: number;
  to: number;
  diff: VersionDiff;
  nodes: DiffCanvasNode[];
  edges: Edge[];
}

interface VersionsState {
  open: boolean;
  items: Version[];
  loading: boolean;
  error: string | null;
  diff: ActiveDiff | null;
  diffLoading: boolean;
  /** The diff node clicked on the canvas: its entry in the changes panel is shown. */
  focused: string | null;
  focus(id: string | null): void;
  /** The diff canvas's flow (its own store), to move it from the changes panel. */
  flow: ReactFlowInstance<DiffCanvasNode, Edge> | null;
  setFlow(flow: ReactFlowInstance<DiffCanvasNode, Edge> | null): void;
  setOpen(open: boolean): void;
  refresh(): Promise<void>;
  compare(from: number, to: number): Promise<void>;
  exitDiff(): void;
  rollback(version: number): Promise<boolean>;
  publish(version: number): Promise<boolean>;
  unpublish(): Promise<boolean>;
}

const documents = new Map<string, WorkflowDocument>();

async function versionDocument(id: string, n: number): Promise<WorkflowDocument> {
  const key = `${id}/${n}`;
  const cached = documents.get(key);
  if (cached) return cached;
  const v = await call(api.GET("/api/v1/workflows/{id}/versions/{number}", { params: { path: { id, number: n } } }));
  const doc = v.document as unknown as WorkflowDocument;
  documents.set(key, doc); // versions are immutable
  return doc;
}

/** Publish, unpublish and rollback answer the workflow with a new ETag. */
async function change(request: Promise<{ data?: Schemas["WorkflowDto"]; error?: unknown; response: Response }>): Promise<void> {
  const { data, error, response } = await request;
  if (!response.ok || !data) throw toApiError(response.status, error);
  useEditor.getState().setWorkflow(data, etagOf(response));
}

export const useVersions = create<VersionsState>((set, get) => ({
  open: false,
  items: [],
  loading: false,
  error: null,
  diff: null,
  diffLoading: false,
  focused: null,
  flow: null,

  setFlow(flow) {
    set({ flow });
  },

  focus(id) {
    set({ focused: id });
  },

  setOpen(open) {
    set({ open });
    if (open) void get().refresh();
    else set({ diff: null });
  },

  async refresh() {
    const wf = useEditor.getState().workflow;
    if (!wf) return;
    set({ loading: true, error: null });
    try {
      const list = await call(api.GET("/api/v1/workflows/{id}/versions", { params: { path: { id: wf.id } } }));
      set({ items: list.items, loading: false });
    } catch (e) {
      set({ loading: false, error: e instanceof Error ? e.message : String(e) });
    }
  },

  async compare(from, to) {
    const wf = useEditor.getState().workflow;
    if (!wf) return;
    set({ diffLoading: true });
    try {
      const [a, b] = await Promise.all([versionDocument(wf.id, from), versionDocument(wf.id, to)]);
      const diff = diffDocuments(a, b);
      set({ diff: { from, to, diff, ...diffCanvas(diff) }, diffLoading: false, focused: null });
    } catch (e) {
      set({ diffLoading: false });
      toastError("Could not compare the versions", e);
    }
  },

  exitDiff() {
    set({ diff: null, flow: null });
  },

  async rollback(version) {
    const editor = useEditor.getState();
    const wf = editor.workflow;
    if (!wf) return false;
    try {
      await change(api.POST("/api/v1/workflows/{id}/rollback", {
        params: { path: { id: wf.id }, header: editor.etag ? { "If-Match": editor.etag } : {} },
        body: { version },
      }));
      set({ diff: null });
      await useEditor.getState().load(wf.id);
      toastSuccess(`Restored version ${version}`, `Saved as version ${useEditor.getState().workflow?.latestVersion ?? "?"}`);
      await get().refresh();
      return true;
    } catch (e) {
      toastError("Could not roll back", e);
      return false;
    }
  },

  async publish(version) {
    const editor = useEditor.getState();
    const wf = editor.workflow;
    if (!wf) return false;
    try {
      await change(api.POST("/api/v1/workflows/{id}/publish", {
        params: { path: { id: wf.id }, header: editor.etag ? { "If-Match": editor.etag } : {} },
        body: { version },
      }));
      toastSuccess(`Published version ${version}`, "Its webhooks, schedules and triggers are live.");
      return true;
    } catch (e) {
      toastError("Could not publish", e);
      return false;
    }
  },

  async unpublish() {
    const editor = useEditor.getState();
    const wf = editor.workflow;
    if (!wf) return false;
    try {
      await change(api.POST("/api/v1/workflows/{id}/unpublish", {
        params: { path: { id: wf.id }, header: editor.etag ? { "If-Match": editor.etag } : {} },
      }));
      toastSuccess("Unpublished", "Webhooks answer 404 and schedules stop.");
      return true;
    } catch (e) {
      toastError("Could not unpublish", e);
      return false;
    }
  },
}));
