// Pure logic of the run monitor: durations, the Gantt timeline's lanes, the critical path, the
// per-attempt history folded from a run's journal, a step's input worked out from its
// upstream steps, and the columns of the table view. No React, no fetch: all of it is tested
// in runs.test.ts.

/** A step as `GET /api/v1/runs/{id}` shows it (engine `StepView`). */
export interface StepView {
  node: string;
  nodeType: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  output?: { ports: [string, unknown[]][] };
  error?: NodeErrorView;
  retriedErrors?: NodeErrorView[];
  logs?: LogLine[];
  wakeAt?: string;
  awaiting?: unknown;
}

export interface NodeErrorView {
  kind?: string;
  code: string;
  message: string;
  details?: unknown;
}

export interface LogLine {
  at_ms: number;
  level: string;
  message: string;
}

/** An edge of the workflow document, as far as the monitor needs it. */
export interface FlowEdge {
  from: { node: string; port?: string };
  to: { node: string; port?: string };
}

export const MAIN_PORT = "main";

// ---------------------------------------------------------------------------------------------
// Durations

/** A duration for people: `0 ms`, `340 ms`, `1.24 s`, `12.5 s`, `3 min 05 s`, `2 h 04 min`, `3 d 4 h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return "—";
  if (ms < 0) ms = 0;
  if (ms < 1) return ms === 0 ? "0 ms" : "<1 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const totalS = Math.floor(s);
  if (totalS < 3600) {
    const m = Math.floor(totalS / 60);
    return `${m} min ${String(totalS % 60).padStart(2, "0")} s`;
  }
  const totalM = Math.floor(totalS / 60);
  if (totalM < 24 * 60) {
    const h = Math.floor(totalM / 60);
    return `${h} h ${String(totalM % 60).padStart(2, "0")} min`;
  }
  const totalH = Math.floor(totalM / 60);
  return `${Math.floor(totalH / 24)} d ${totalH % 24} h`;
}

/**
 * An RFC 3339 time in milliseconds since the epoch, keeping the fraction of a millisecond the
 * server writes (steps a few microseconds apart stay in order). NaN when it is not a time.
 */
export function parseTime(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return ms;
  const frac = /\.(\d+)/.exec(iso)?.[1];
  if (!frac || frac.length <= 3) return ms;
  return ms + Number(`0.${frac.slice(3)}`);
}

/** When a run started, for the list: relative while recent, the time today, else date and time. */
export function formatStarted(iso: string, now = Date.now()): string {
  const d = new Date(iso);
  const s = (now - d.getTime()) / 1000;
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

/** Milliseconds between two RFC 3339 times; `end` missing means `now`. */
export function durationMs(start: string | null | undefined, end: string | null | undefined, now: number = Date.now()): number | null {
  if (!start) return null;
  const a = parseTime(start);
  const b = end ? parseTime(end) : now;
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  return Math.max(0, b - a);
}

// ---------------------------------------------------------------------------------------------
// Timeline

/** A bar of the timeline, in milliseconds from the run's start. */
export interface Span {
  id: string;
  start: number;
  end: number;
}

/**
 * Puts spans on lanes: a span goes on the first lane whose last span ended by the time it
 * starts, so parallel steps sit on separate lanes side by side and a chain shares one lane.
 * `minWidth` reserves room for a label: a span occupies at least that much time when lanes
 * are compared (a 1 ms step still needs its name to be readable). Spans are taken in start
 * order (ties: the longer first, then by id), so the result does not depend on input order.
 * A label that would pass `axisEnd` goes before its bar (as the timeline draws it).
 * Returns the lane of every span id and the number of lanes.
 */
export function assignLanes(spans: Span[], minWidth = 0, axisEnd = Number.POSITIVE_INFINITY): { lanes: Map<string, number>; count: number } {
  const order = [...spans].sort((a, b) => a.start - b.start || (b.end - b.start) - (a.end - a.start) || a.id.localeCompare(b.id));
  const laneEnds: number[] = [];
  const lanes = new Map<string, number>();
  for (const s of order) {
    // A label that would pass the end of the axis is drawn before the bar instead.
    const flip = labelBefore(s.start, minWidth, axisEnd);
    const from = flip ? Math.max(0, s.start - minWidth) : s.start;
    const occupiedUntil = flip ? s.end : Math.max(s.end, s.start + minWidth);
    let lane = laneEnds.findIndex((end) => end <= from);
    if (lane < 0) {
      lane = laneEnds.length;
      laneEnds.push(occupiedUntil);
    } else {
      laneEnds[lane] = occupiedUntil;
    }
    lanes.set(s.id, lane);
  }
  return { lanes, count: laneEnds.length };
}

/** Whether a bar starting at `start` has its label before it (no room after it on the axis). */
export function labelBefore(start: number, labelWidth: number, axisEnd: number): boolean {
  return start + labelWidth > axisEnd && start > 0;
}

/**
 * The critical path of an executed run: the chain of steps that decided when it finished.
 * Starting from the step that finished last, it walks back to the predecessor that released
 * each step, i.e. the upstream step (by the workflow's edges) that finished last. Without
 * edges for a step (a run whose document is unknown), any step that finished by the time it
 * started counts as a predecessor. Steps without both times take no part. Returns node ids
 * from the first step to the last.
 */
export function criticalPath(spans: Span[], edges: FlowEdge[] | null): string[] {
  const byId = new Map(spans.map((s) => [s.id, s]));
  if (byId.size === 0) return [];
  const upstream = new Map<string, string[]>();
  for (const e of edges ?? []) {
    if (e.from.node === e.to.node) continue;
    const list = upstream.get(e.to.node) ?? [];
    if (!list.includes(e.from.node)) list.push(e.from.node);
    upstream.set(e.to.node, list);
  }
  // The one that finished last; on a tie the one that started last (a zero-length step after
  // its upstream), then by id.
  const later = (s: Span, best: Span) => s.end > best.end || (s.end === best.end && (s.start > best.start || (s.start === best.start && s.id < best.id)));
  const latest = (candidates: Span[]): Span | undefined =>
    candidates.reduce<Span | undefined>((best, s) => (!best || later(s, best) ? s : best), undefined);
  let current = latest([...byId.values()]);
  const path: string[] = [];
  const seen = new Set<string>();
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    path.push(current.id);
    const cur: Span = current;
    const declared = edges ? upstream.get(cur.id) : undefined;
    const candidates = declared
      ? declared.map((id) => byId.get(id)).filter((s): s is Span => s !== undefined && !seen.has(s.id))
      : [...byId.values()].filter((s) => !seen.has(s.id) && s.end <= cur.start);
    current = latest(candidates);
  }
  return path.reverse();
}

/** What the timeline draws for one step. */
export interface TimelineBar {
  node: string;
  status: string;
  /** Milliseconds from the run's start. */
  start: number;
  end: number;
  /** Still going (running, sleeping, awaiting): `end` is now. */
  open: boolean;
  /** Kept from the run this one retried: it did not run in this run. */
  reused: boolean;
  lane: number;
  critical: boolean;
}

export interface Timeline {
  bars: TimelineBar[];
  lanes: number;
  /** Length of the axis, in milliseconds. */
  span: number;
  /** Steps that never started (pending, not run). */
  notStarted: StepView[];
  criticalPath: string[];
}

/**
 * Lays the steps of a run out on a time axis that starts with the run (`runStart`) and ends
 * when it finished or now. Steps kept from a retried run started before this run did: they
 * are drawn at the start, marked `reused`, and take no part in the critical path.
 * `labelFraction` is the part of the axis a label needs (see {@link assignLanes}).
 */
export function buildTimeline(
  steps: StepView[],
  edges: FlowEdge[] | null,
  runStart: string | null,
  runEnd: string | null,
  now: number,
  labelFraction = 0.16,
): Timeline {
  const started = steps.filter((s) => s.startedAt);
  const notStarted = steps.filter((s) => !s.startedAt);
  const t0 = runStart ? parseTime(runStart) : Math.min(...started.map((s) => parseTime(s.startedAt as string)));
  const raw = started.map((s) => {
    const a = parseTime(s.startedAt as string);
    const open = !s.finishedAt;
    const b = s.finishedAt ? parseTime(s.finishedAt) : now;
    const reused = Number.isFinite(t0) && a < t0;
    return { s, start: reused ? 0 : a - t0, end: reused ? 0 : Math.max(a, b) - t0, open, reused };
  });
  const runEndMs = runEnd ? parseTime(runEnd) - t0 : now - t0;
  const span = Math.max(1, runEndMs, ...raw.map((r) => r.end));
  const spans: Span[] = raw.map((r) => ({ id: r.s.node, start: r.start, end: r.end }));
  const { lanes, count } = assignLanes(spans, span * labelFraction, span);
  const path = criticalPath(spans.filter((_, i) => !raw[i]?.reused), edges);
  const onPath = new Set(path);
  return {
    bars: raw.map((r) => ({
      node: r.s.node,
      status: r.s.status,
      start: r.start,
      end: r.end,
      open: r.open,
      reused: r.reused,
      lane: lanes.get(r.s.node) ?? 0,
      critical: onPath.has(r.s.node),
    })),
    lanes: count,
    span,
    notStarted,
    criticalPath: path,
  };
}

/** Round tick marks for an axis of `span` ms: about `target` of them, at 1-2-5 steps. */
export function axisTicks(span: number, target = 6): number[] {
  if (!(span > 0)) return [0];
  const rough = span / target;
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? 10 * pow;
  const ticks: number[] = [];
  for (let t = 0; t <= span + step * 1e-9; t += step) ticks.push(Math.round(t * 1e6) / 1e6);
  return ticks;
}

/**
 * Steps as they ended: once a run has finished, a step still shown running, sleeping, awaiting
 * or pending was stopped with it (`cancelled` when the run was cancelled, else `interrupted`)
 * and ends when the run ended.
 */
export function settleSteps(steps: StepView[], runStatus: string, runFinishedAt: string | null): StepView[] {
  if (!isTerminal(runStatus)) return steps;
  const stopped = runStatus === "cancelled" ? "cancelled" : "interrupted";
  return steps.map((s) => {
    if (s.status === "pending") return { ...s, status: "not run" };
    if (s.status !== "running" && s.status !== "sleeping" && s.status !== "awaiting") return s;
    const { wakeAt: _wake, awaiting: _awaiting, ...rest } = s;
    return { ...rest, status: stopped, finishedAt: s.finishedAt ?? runFinishedAt };
  });
}

// ---------------------------------------------------------------------------------------------
// Attempts, from the journal

/** A journal entry as the run's event stream sends it: `{seq, at, event: {type, …}}`. */
export interface JournalEntry {
  seq: number;
  at: string;
  event: { type: string; node?: string; attempt?: number; [k: string]: unknown };
}

export interface Attempt {
  attempt: number;
  status: "running" | "retried" | "succeeded" | "failed" | "sleeping" | "awaiting" | "cancelled" | "interrupted";
  startedAt: string | null;
  finishedAt: string | null;
  error?: NodeErrorView;
  /** For a retried attempt, when the next one was due. */
  retryAt?: string;
}

/**
 * Every attempt of every step, folded from the run's journal. Pure steps are journaled only
 * when they finish, so their one attempt gets its start from that entry.
 */
export function foldAttempts(entries: JournalEntry[]): Map<string, Attempt[]> {
  const out = new Map<string, Attempt[]>();
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  for (const { at, event: e } of sorted) {
    if (typeof e.node !== "string") continue;
    const n = typeof e.attempt === "number" ? e.attempt : 1;
    const list = out.get(e.node) ?? [];
    out.set(e.node, list);
    let a = list.find((x) => x.attempt === n);
    if (!a) {
      a = { attempt: n, status: "running", startedAt: null, finishedAt: null };
      list.push(a);
      list.sort((x, y) => x.attempt - y.attempt);
    }
    const str = (k: string) => (typeof e[k] === "string" ? (e[k] as string) : null);
    switch (e.type) {
      case "stepStarted":
        a.status = "running";
        a.startedAt = str("at") ?? at;
        break;
      case "stepAttemptFailed":
        a.status = "retried";
        a.finishedAt = at;
        a.error = e.error as NodeErrorView;
        a.retryAt = str("retryAt") ?? undefined;
        break;
      case "stepSucceeded":
        a.status = "succeeded";
        a.startedAt = str("startedAt") ?? a.startedAt;
        a.finishedAt = str("finishedAt") ?? at;
        break;
      case "stepFailed":
        a.status = "failed";
        a.startedAt = str("startedAt") ?? a.startedAt;
        a.finishedAt = str("finishedAt") ?? at;
        a.error = e.error as NodeErrorView;
        break;
      case "stepSleeping":
        a.status = e.awaiting ? "awaiting" : "sleeping";
        a.startedAt = str("startedAt") ?? a.startedAt;
        break;
      default:
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Step input

/** The items a step emitted on a port, or undefined when the port was not taken. */
export function portItems(step: StepView | undefined, port: string): unknown[] | undefined {
  return step?.output?.ports.find(([p]) => p === port)?.[1];
}

/** All items a step emitted, port by port. */
export function outputByPort(step: StepView | undefined): Record<string, unknown[]> {
  return Object.fromEntries(step?.output?.ports ?? []);
}

/**
 * What arrived at a step: for each of its input ports, the items of the upstream ports wired
 * to it (in edge order). A step without incoming edges received the run's input on `main`.
 * Ports whose upstream was not taken or has not run are left out.
 */
export function stepInput(node: string, steps: StepView[], edges: FlowEdge[] | null, runInput: unknown): Record<string, unknown[]> {
  const incoming = (edges ?? []).filter((e) => e.to.node === node);
  if (incoming.length === 0) {
    return { [MAIN_PORT]: Array.isArray(runInput) ? runInput : runInput == null ? [] : [runInput] };
  }
  const byNode = new Map(steps.map((s) => [s.node, s]));
  const out: Record<string, unknown[]> = {};
  for (const e of incoming) {
    const items = portItems(byNode.get(e.from.node), e.from.port ?? MAIN_PORT);
    if (!items) continue;
    const port = e.to.port ?? MAIN_PORT;
    out[port] = [...(out[port] ?? []), ...items];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Table view

export interface TableShape {
  columns: string[];
  rows: Record<string, unknown>[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The table view of a value: an array whose elements are all objects becomes rows, with the
 * union of their keys as columns in order of first appearance. Anything else has no table
 * view (null). An empty array has a table with no columns.
 */
export function inferTable(value: unknown, maxColumns = 40): TableShape | null {
  if (!Array.isArray(value) || !value.every(isPlainObject)) return null;
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of value) {
    for (const k of Object.keys(row)) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
  }
  return { columns: columns.slice(0, maxColumns), rows: value };
}

/** A cell's text: strings as they are, nested values as compact JSON, missing as empty. */
export function cellText(v: unknown, max = 120): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v.length > max ? v.slice(0, max - 1) + "…" : v;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

// ---------------------------------------------------------------------------------------------
// Statuses

export const RUN_STATUSES = ["queued", "running", "waiting", "paused", "succeeded", "failed", "cancelled"] as const;

export function isTerminal(status: string): boolean {
  return status === "succeeded" || status === "failed" || status === "cancelled";
}

/** The badge class of a run or step status. */
export function statusTone(status: string): "success" | "danger" | "warning" | "accent" | "neutral" {
  switch (status) {
    case "succeeded":
      return "success";
    case "failed":
    case "interrupted":
      return "danger";
    case "waiting":
    case "paused":
    case "sleeping":
    case "awaiting":
    case "retried":
      return "warning";
    case "running":
    case "queued":
      return "accent";
    default:
      return "neutral";
  }
}

// ---------------------------------------------------------------------------------------------
// Triggers

export type TriggerKind = "schedule" | "webhook" | "afterRun" | "subWorkflow" | "manual";

/**
 * How a run started, as far as its record tells: schedules, webhooks (with an idempotency key)
 * and run-completed triggers prefix the idempotency key they set; a sub-workflow child has a
 * parent; a webhook without a key is known by the shape of its one input item. Everything
 * else was started by hand or through the API.
 */
export function runTrigger(run: { parentRunId?: string | null; idempotencyKey?: string | null; input?: unknown }): TriggerKind {
  const key = run.idempotencyKey ?? "";
  if (run.parentRunId) return "subWorkflow";
  if (key.startsWith("schedule/")) return "schedule";
  if (key.startsWith("webhook/")) return "webhook";
  if (key.startsWith("after/")) return "afterRun";
  const input = run.input;
  if (Array.isArray(input) && input.length === 1 && isPlainObject(input[0])) {
    const item = input[0];
    if (["method", "path", "headers", "query", "body"].every((k) => k in item)) return "webhook";
  }
  return "manual";
}

export const TRIGGER_LABEL: Record<TriggerKind, string> = {
  schedule: "Schedule",
  webhook: "Webhook",
  afterRun: "After a run",
  subWorkflow: "Sub-workflow",
  manual: "Manual / API",
};
