// Test runs from the editor: starts a run of the newest saved version through the API (with
// the editor's pinned outputs as `pinnedData`), follows it over the per-run SSE stream
// (`GET /api/v1/runs/{id}/events`: one event per journal entry, then `end`) and folds each
// entry into per-node state for the canvas and the inspector (lib/runState).
import { create } from "zustand";
import { api, call } from "../api/client";
import {
  IDLE_RUN, type RunView, type StreamEntry, applyEntry, applyLiveStart, finishView, parseTestInput, pinnedDataFor, startingView,
} from "../lib/runState";
import { useEditor } from "./editor";
import { toastError } from "./toasts";

const JOURNAL_EVENTS = [
  "runStarted", "stepStarted", "stepAttemptFailed", "stepSucceeded", "stepFailed", "stepSleeping",
  "runWaiting", "runPaused", "runResumed", "runFinished",
];

interface TestRunState {
  inputText: string;
  inputOpen: boolean;
  runId: string | null;
  runInput: unknown[];
  run: RunView;
  setInputText(text: string): void;
  setInputOpen(open: boolean): void;
  start(): Promise<boolean>;
  clear(): void;
}

let source: EventSource | null = null;

function stepIds(): string[] {
  return useEditor.getState().nodes.filter((n) => n.type === "step").map((n) => n.id);
}

export const useTestRun = create<TestRunState>((set, get) => {
  function follow(runId: string): void {
    source?.close();
    const es = new EventSource(`/api/v1/runs/${encodeURIComponent(runId)}/events`);
    source = es;
    const onEntry = (ev: MessageEvent<string>) => {
      if (get().runId !== runId) return;
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(ev.data) as Record<string, unknown>;
      } catch {
        return;
      }
      if (typeof data["seq"] === "number") {
        set({ run: applyEntry(get().run, data as unknown as StreamEntry) });
      } else if (ev.type === "stepStarted" && typeof data["node"] === "string") {
        // Live, without a seq: pure steps journal no start.
        const at = typeof data["at"] === "string" ? data["at"] : undefined;
        set({ run: applyLiveStart(get().run, data["node"], Number(data["attempt"] ?? 1), at) });
      }
    };
    for (const name of JOURNAL_EVENTS) es.addEventListener(name, onEntry as EventListener);
    es.addEventListener("end", () => {
      es.close();
      if (source === es) source = null;
      if (get().runId === runId) set({ run: finishView(get().run, stepIds()) });
    });
    // EventSource reconnects by itself with Last-Event-ID; a closed stream (404, 401) is final.
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED && source === es) source = null;
    };
  }

  return {
    inputText: '[\n  {}\n]',
    inputOpen: false,
    runId: null,
    runInput: [],
    run: IDLE_RUN,

    setInputText(text) {
      set({ inputText: text });
    },
    setInputOpen(open) {
      set({ inputOpen: open });
    },

    async start() {
      const editor = useEditor.getState();
      const wf = editor.workflow;
      if (!wf) return false;
      const parsed = parseTestInput(get().inputText);
      if (!parsed.ok) {
        toastError("Cannot start the test run", new Error(parsed.error));
        return false;
      }
      // Runs execute stored versions: what is on the canvas is saved first.
      if (editor.needsSave() && !(await editor.save("Saved for a test run"))) return false;
      const ids = stepIds();
      set({ run: startingView(ids), runId: null, runInput: parsed.value });
      try {
        const pinnedData = pinnedDataFor(useEditor.getState().pins, ids);
        const run = await call(api.POST("/api/v1/workflows/{id}/runs", {
          params: { path: { id: wf.id } },
          body: { input: parsed.value as unknown as Record<string, never>, ...(pinnedData ? { pinnedData: pinnedData as unknown as Record<string, never> } : {}) },
        }));
        set({ runId: run.id, run: { ...get().run, status: run.status as RunView["status"] } });
        follow(run.id);
        return true;
      } catch (e) {
        set({ run: IDLE_RUN });
        toastError("Could not start the test run", e);
        return false;
      }
    },

    clear() {
      source?.close();
      source = null;
      set({ runId: null, run: IDLE_RUN, runInput: [] });
    },
  };
});
