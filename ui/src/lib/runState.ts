// A test run as the canvas shows it: the run's journal events (from the per-run SSE stream,
// `GET /api/v1/runs/{id}/events`) folded into one state per node — status, timings, input,
// output, error, logs — plus the helpers the inspector needs (ports of an output, a table view
// of an array of objects) and the pinned data a test run sends (`pinnedData`).

export type StepRunStatus = "queued" | "running" | "succeeded" | "failed" | "waiting" | "skipped";

export interface LogLine { atMs: number; level: string; message: string }

export interface NodeRunError { code?: string; message?: string; kind?: string; details?: unknown }

/** The engine's `NodeOutput`: items per emitted port, as `[port, items]` pairs. */
export interface PortsOutput { ports: [string, unknown[]][] }

export interface NodeRunState {
  status: StepRunStatus;
  attempt: number;
  startedAt?: string;
  finishedAt?: string;
  /** Milliseconds from start to finish (or to now, by the caller, while running). */
  durationMs?: number;
  output?: PortsOutput;
  error?: NodeRunError;
  /** Errors of attempts that were retried. */
  retried: NodeRunError[];
  logs: LogLine[];
  /** The output was pinned: the step did not run. */
  pinned: boolean;
  waitUntil?: string;
}

export interface RunView {
  status: "idle" | "starting" | "queued" | "running" | "waiting" | "paused" | "succeeded" | "failed" | "cancelled";
  steps: Record<string, NodeRunState>;
  output?: unknown;
  error?: { code?: string; message?: string; node?: string } | null;
  lastSeq: number;
}

export const IDLE_RUN: RunView = { status: "idle", steps: {}, lastSeq: 0 };

/** One journal event as the run stream carries it: `{seq, at, event: {type, …}}`. */
export interface StreamEntry { seq: number; at?: string; event: { type: string; [k: string]: unknown } }

function ms(a?: string, b?: string): number | undefined {
  if (!a || !b) return undefined;
  const d = Date.parse(b) - Date.parse(a);
  return Number.isFinite(d) ? Math.max(0, d) : undefined;
}

function step(view: RunView, node: string): NodeRunState {
  return view.steps[node] ?? { status: "queued", attempt: 0, retried: [], logs: [], pinned: false };
}

function asLogs(v: unknown): LogLine[] {
  return Array.isArray(v) ? (v as LogLine[]) : [];
}

/** Folds one journal entry into the view (pure: returns a new view; unchanged steps keep their identity). */
export function applyEntry(view: RunView, entry: StreamEntry): RunView {
  if (entry.seq <= view.lastSeq) return view; // a replay after a reconnect
  const e = entry.event;
  const node = typeof e["node"] === "string" ? e["node"] : undefined;
  const next: RunView = { ...view, lastSeq: entry.seq };
  const put = (s: NodeRunState) => {
    if (node) next.steps = { ...view.steps, [node]: s };
  };
  switch (e.type) {
    case "runStarted":
      next.status = "running";
      break;
    case "stepStarted": {
      if (!node) break;
      const s = step(view, node);
      put({ ...s, status: "running", attempt: Number(e["attempt"] ?? s.attempt + 1), startedAt: String(e["startedAt"] ?? e["at"] ?? entry.at ?? ""), finishedAt: undefined, durationMs: undefined, waitUntil: undefined });
      if (next.status === "idle" || next.status === "starting" || next.status === "queued") next.status = "running";
      break;
    }
    case "stepAttemptFailed": {
      if (!node) break;
      const s = step(view, node);
      put({ ...s, status: "queued", retried: [...s.retried, e["error"] as NodeRunError], logs: [...s.logs, ...asLogs(e["logs"])] });
      break;
    }
    case "stepSucceeded": {
      if (!node) break;
      const s = step(view, node);
      const logs = asLogs(e["logs"]);
      const startedAt = e["startedAt"] as string | undefined;
      const finishedAt = e["finishedAt"] as string | undefined;
      put({
        ...s, status: "succeeded", attempt: Number(e["attempt"] ?? s.attempt), startedAt, finishedAt,
        durationMs: ms(startedAt, finishedAt), output: e["output"] as PortsOutput, error: undefined,
        logs: [...s.logs, ...logs], pinned: logs.some((l) => /^pinned output/.test(l.message)), waitUntil: undefined,
      });
      break;
    }
    case "stepFailed": {
      if (!node) break;
      const s = step(view, node);
      const startedAt = e["startedAt"] as string | undefined;
      const finishedAt = e["finishedAt"] as string | undefined;
      put({ ...s, status: "failed", attempt: Number(e["attempt"] ?? s.attempt), startedAt, finishedAt, durationMs: ms(startedAt, finishedAt), error: e["error"] as NodeRunError, logs: [...s.logs, ...asLogs(e["logs"])] });
      break;
    }
    case "stepSleeping": {
      if (!node) break;
      const s = step(view, node);
      put({ ...s, status: "waiting", startedAt: e["startedAt"] as string | undefined, output: e["output"] as PortsOutput, waitUntil: e["until"] as string | undefined });
      break;
    }
    case "runWaiting":
      next.status = "waiting";
      break;
    case "runPaused":
      next.status = "paused";
      break;
    case "runResumed":
      next.status = "running";
      break;
    case "runFinished": {
      const status = String(e["status"] ?? "failed");
      next.status = (["succeeded", "failed", "cancelled"].includes(status) ? status : "failed") as RunView["status"];
      next.output = e["output"];
      next.error = (e["error"] as RunView["error"]) ?? null;
      break;
    }
    default:
      break;
  }
  return next;
}

/**
 * A live `stepStarted` (no seq: pure steps journal no start). It only moves a queued step to
 * running: arriving late, after the step's journaled end, it changes nothing.
 */
export function applyLiveStart(view: RunView, node: string, attempt: number, at?: string): RunView {
  const s = view.steps[node];
  if (s && s.status !== "queued") return view;
  if (s && attempt <= s.attempt) return view;
  const base = s ?? { status: "queued" as const, attempt: 0, retried: [], logs: [], pinned: false };
  const status = view.status === "starting" || view.status === "queued" ? "running" : view.status;
  return { ...view, status, steps: { ...view.steps, [node]: { ...base, status: "running", attempt, startedAt: at } } };
}

/** After the run finished: steps that never started were skipped (a branch not taken, or after a failure). */
export function finishView(view: RunView, nodeIds: string[]): RunView {
  if (!["succeeded", "failed", "cancelled"].includes(view.status)) return view;
  let steps = view.steps;
  for (const id of nodeIds) {
    const s = steps[id];
    if (!s || s.status === "queued") {
      steps = { ...steps, [id]: { ...(s ?? { attempt: 0, retried: [], logs: [], pinned: false }), status: "skipped" } };
    }
  }
  return steps === view.steps ? view : { ...view, steps };
}

/** A fresh view for a run about to start: every node queued. */
export function startingView(nodeIds: string[]): RunView {
  const steps: Record<string, NodeRunState> = {};
  for (const id of nodeIds) steps[id] = { status: "queued", attempt: 0, retried: [], logs: [], pinned: false };
  return { status: "starting", steps, lastSeq: 0 };
}

/** The items a node received: the outputs of its upstream nodes on the edges into it. */
export function inputOf(
  node: string,
  edges: { source: string; sourceHandle?: string | null; target: string }[],
  steps: Record<string, NodeRunState>,
  runInput: unknown,
  entry: boolean,
): unknown[] {
  const incoming = edges.filter((e) => e.target === node && !e.source.startsWith("trigger:"));
  if (incoming.length === 0) return entry && Array.isArray(runInput) ? runInput : [];
  const out: unknown[] = [];
  for (const e of incoming) {
    const items = portItems(steps[e.source]?.output, e.sourceHandle ?? "main");
    if (items) out.push(...items);
  }
  return out;
}

/** The items of one port of an output, or undefined when that port was not emitted. */
export function portItems(output: PortsOutput | undefined, port: string): unknown[] | undefined {
  const found = output?.ports?.find(([name]) => name === port);
  return found ? found[1] : undefined;
}

/** All items of an output, port by port. */
export function outputPorts(output: PortsOutput | undefined): { port: string; items: unknown[] }[] {
  return (output?.ports ?? []).map(([port, items]) => ({ port, items }));
}

export interface Table { columns: string[]; rows: unknown[][] }

/**
 * A table of an array of objects: one column per key in first-seen order, one row per item.
 * Null when the value is not a non-empty array of plain objects (the JSON view shows it).
 */
export function toTable(items: unknown): Table | null {
  if (!Array.isArray(items) || items.length === 0) return null;
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const it of items) {
    if (!it || typeof it !== "object" || Array.isArray(it)) return null;
    for (const k of Object.keys(it)) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
  }
  const rows = items.map((it) => columns.map((c) => (it as Record<string, unknown>)[c]));
  return { columns, rows };
}

/** How a cell shows: strings as is, everything else as compact JSON; missing is empty. */
export function cellText(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** A pinned output: the `main` port's items, or items per output port. */
export type PinnedOutput = unknown[] | Record<string, unknown[]>;

/** The pin for a step's output: `main` alone pins as an array, several ports as an object. */
export function pinFromOutput(output: PortsOutput | undefined): PinnedOutput | undefined {
  const ports = output?.ports ?? [];
  if (ports.length === 0) return undefined;
  if (ports.length === 1 && ports[0]?.[0] === "main") return ports[0][1];
  return Object.fromEntries(ports);
}

/** Checks a pin typed by hand (JSON text): an array of items or an object of ports to arrays. */
export function parsePin(text: string): { ok: true; value: PinnedOutput } | { ok: false; error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (Array.isArray(v)) return { ok: true, value: v };
  if (v && typeof v === "object" && Object.keys(v).length > 0 && Object.values(v).every(Array.isArray)) {
    return { ok: true, value: v as Record<string, unknown[]> };
  }
  return { ok: false, error: "Pin an array of items, or an object of output ports to arrays of items" };
}

/** Pins as the start-run body sends them: only nodes that still exist; undefined when none. */
export function pinnedDataFor(pins: Record<string, PinnedOutput> | undefined, nodeIds: string[]): Record<string, PinnedOutput> | undefined {
  if (!pins) return undefined;
  const ids = new Set(nodeIds);
  const out: Record<string, PinnedOutput> = {};
  for (const [k, v] of Object.entries(pins)) if (ids.has(k) && v && typeof v === "object") out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Parses the test-input editor: an array of items or one object; a clear message otherwise. */
export function parseTestInput(text: string): { ok: true; value: unknown[] } | { ok: false; error: string } {
  const t = text.trim();
  if (t === "") return { ok: true, value: [] };
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (Array.isArray(v)) return { ok: true, value: v };
  if (v && typeof v === "object") return { ok: true, value: [v] };
  return { ok: false, error: "The input is an array of items or one object" };
}

/** "412 ms", "1.3 s", "2 min 5 s". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}
