import { describe, expect, it } from "vitest";
import {
  type FlowEdge,
  type JournalEntry,
  type StepView,
  assignLanes,
  axisTicks,
  buildTimeline,
  cellText,
  criticalPath,
  durationMs,
  parseTime,
  settleSteps,
  foldAttempts,
  formatDuration,
  formatStarted,
  inferTable,
  labelBefore,
  runTrigger,
  stepInput,
} from "./runs";

const edge = (from: string, to: string, fromPort?: string, toPort?: string): FlowEdge => ({
  from: fromPort ? { node: from, port: fromPort } : { node: from },
  to: toPort ? { node: to, port: toPort } : { node: to },
});
const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();
function step(node: string, start: number | null, end: number | null, extra: Partial<StepView> = {}): StepView {
  return {
    node,
    nodeType: "core.noop@1",
    status: end !== null ? "succeeded" : start !== null ? "running" : "pending",
    attempts: start !== null ? 1 : 0,
    startedAt: start === null ? null : at(start),
    finishedAt: end === null ? null : at(end),
    ...extra,
  };
}

describe("formatDuration", () => {
  it("picks a unit that reads well at every scale", () => {
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(0.3)).toBe("<1 ms");
    expect(formatDuration(340.4)).toBe("340 ms");
    expect(formatDuration(1240)).toBe("1.24 s");
    expect(formatDuration(12_540)).toBe("12.5 s");
    expect(formatDuration(185_000)).toBe("3 min 05 s");
    expect(formatDuration(2 * 3600_000 + 4 * 60_000 + 59_000)).toBe("2 h 04 min");
    expect(formatDuration(3 * 86_400_000 + 4 * 3600_000)).toBe("3 d 4 h");
  });
  it("shows a dash for unknown and clamps negatives", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(undefined)).toBe("—");
    expect(formatDuration(Number.NaN)).toBe("—");
    expect(formatDuration(-5)).toBe("0 ms");
  });
  it("keeps the microseconds the server writes", () => {
    expect(parseTime("2026-01-01T00:00:00.000250Z") - T0).toBeCloseTo(0.25, 3);
    expect(parseTime("2026-01-01T00:00:01.5Z") - T0).toBe(1500);
    expect(parseTime("2026-01-01T00:00:00Z")).toBe(T0);
    expect(parseTime("nope")).toBeNaN();
    expect(durationMs("2026-01-01T00:00:00.000100Z", "2026-01-01T00:00:00.000900Z")).toBeCloseTo(0.8, 3);
  });
  it("says when a run started, relative while recent", () => {
    expect(formatStarted(at(0), T0 + 10_000)).toBe("just now");
    expect(formatStarted(at(0), T0 + 5 * 60_000)).toBe("5 min ago");
    expect(formatStarted(at(0), T0 + 3 * 86_400_000)).toBe(new Date(T0).toLocaleString()); // another day: date and time
  });
  it("measures from start to end, or to now while open", () => {
    expect(durationMs(at(0), at(1500))).toBe(1500);
    expect(durationMs(at(0), null, T0 + 700)).toBe(700);
    expect(durationMs(null, at(5))).toBeNull();
    expect(durationMs("not a time", at(5))).toBeNull();
  });
});

describe("assignLanes", () => {
  it("keeps a chain on one lane and puts parallel steps side by side", () => {
    const { lanes, count } = assignLanes([
      { id: "a", start: 0, end: 10 },
      { id: "b", start: 10, end: 30 },
      { id: "c", start: 10, end: 20 },
      { id: "d", start: 12, end: 18 },
      { id: "e", start: 30, end: 40 },
    ]);
    expect(count).toBe(3);
    expect(lanes.get("a")).toBe(0);
    expect(lanes.get("b")).toBe(0); // starts when a ends: same lane
    expect(lanes.get("c")).toBe(1);
    expect(lanes.get("d")).toBe(2); // overlaps b and c
    expect(lanes.get("e")).toBe(0); // the first free lane again
  });
  it("does not depend on the input order", () => {
    const spans = [
      { id: "x", start: 5, end: 9 },
      { id: "y", start: 0, end: 6 },
      { id: "z", start: 0, end: 2 },
    ];
    const one = assignLanes(spans);
    const two = assignLanes([...spans].reverse());
    expect([...one.lanes.entries()].sort()).toEqual([...two.lanes.entries()].sort());
    expect(one.lanes.get("y")).toBe(0); // the longer of two that start together goes first
    expect(one.lanes.get("z")).toBe(1);
    expect(one.lanes.get("x")).toBe(1);
  });
  it("reserves room for labels of very short steps", () => {
    const spans = [
      { id: "a", start: 0, end: 1 },
      { id: "b", start: 1, end: 2 },
      { id: "c", start: 50, end: 51 },
    ];
    expect(assignLanes(spans).count).toBe(1);
    const roomy = assignLanes(spans, 20);
    expect(roomy.count).toBe(2);
    expect(roomy.lanes.get("b")).toBe(1);
    expect(roomy.lanes.get("c")).toBe(0);
  });
  it("lanes a bar at the end of the axis by its label drawn before it", () => {
    const spans = [
      { id: "a", start: 0, end: 85 },
      { id: "b", start: 95, end: 100 },
    ];
    // b's label is drawn over [75, 95]: it overlaps a.
    const { lanes, count } = assignLanes(spans, 20, 100);
    expect(count).toBe(2);
    expect(lanes.get("b")).toBe(1);
    expect(assignLanes(spans, 20).count).toBe(1);
  });
  it("puts the label before a bar at the end, and lanes by that", () => {
    expect(labelBefore(95, 20, 100)).toBe(true);
    expect(labelBefore(50, 20, 100)).toBe(false);
    expect(labelBefore(0, 200, 100)).toBe(false); // nothing before the start
    // c's label goes over [70, 90] before it: clear of a (ends 60) but not of b (ends 80).
    const { lanes, count } = assignLanes([{ id: "a", start: 0, end: 60 }, { id: "b", start: 60, end: 80 }, { id: "c", start: 90, end: 92 }], 20, 100);
    expect(lanes.get("b")).toBe(0);
    expect(lanes.get("c")).toBe(1);
    expect(count).toBe(2);
  });
  it("handles no spans", () => {
    expect(assignLanes([]).count).toBe(0);
  });
});

describe("criticalPath", () => {
  // start → fetch (slow) → enrich → merge, start → audit (fast) → merge
  const spans = [
    { id: "start", start: 0, end: 2 },
    { id: "fetch", start: 2, end: 80 },
    { id: "audit", start: 2, end: 10 },
    { id: "enrich", start: 80, end: 85 },
    { id: "merge", start: 85, end: 90 },
  ];
  const edges = [edge("start", "fetch"), edge("start", "audit"), edge("fetch", "enrich"), edge("enrich", "merge", "main", "in1"), edge("audit", "merge", "main", "in2")];
  it("follows the upstream step that finished last, back from the last step", () => {
    expect(criticalPath(spans, edges)).toEqual(["start", "fetch", "enrich", "merge"]);
  });
  it("switches branch when the other one is slower", () => {
    const slowAudit = spans.map((s) => (s.id === "audit" ? { ...s, end: 88 } : s.id === "merge" ? { ...s, start: 88, end: 92 } : s));
    expect(criticalPath(slowAudit, edges)).toEqual(["start", "audit", "merge"]);
  });
  it("prefers the later-starting step on a tie, so a zero-length last step ends the path", () => {
    const tie = [{ id: "a", start: 0, end: 5 }, { id: "z", start: 5, end: 5 }];
    expect(criticalPath(tie, [edge("a", "z")])).toEqual(["a", "z"]);
  });
  it("uses timing alone when the edges are unknown", () => {
    expect(criticalPath(spans, null)).toEqual(["start", "fetch", "enrich", "merge"]);
  });
  it("stops where an upstream step did not run and survives cycles", () => {
    const partial = spans.filter((s) => s.id !== "start");
    expect(criticalPath(partial, edges)).toEqual(["fetch", "enrich", "merge"]);
    const loop = [{ id: "a", start: 0, end: 5 }, { id: "b", start: 5, end: 9 }];
    expect(criticalPath(loop, [edge("a", "b"), edge("b", "a")])).toEqual(["a", "b"]);
    expect(criticalPath([], edges)).toEqual([]);
  });
});

describe("buildTimeline", () => {
  const edges = [edge("start", "fetch"), edge("start", "audit"), edge("fetch", "merge"), edge("audit", "merge")];
  it("places bars from the run's start, lanes parallel ones and marks the critical path", () => {
    const steps = [step("start", 1, 3), step("fetch", 3, 60), step("audit", 3, 20), step("merge", 60, 100), step("later", null, null, { status: "not run" })];
    const t = buildTimeline(steps, edges, at(0), at(100), T0 + 500, 0);
    expect(t.span).toBe(100);
    const bar = (n: string) => t.bars.find((b) => b.node === n);
    expect(bar("fetch")).toMatchObject({ start: 3, end: 60, open: false, reused: false, critical: true });
    expect(bar("audit")?.critical).toBe(false);
    expect(bar("audit")?.lane).not.toBe(bar("fetch")?.lane);
    expect(t.criticalPath).toEqual(["start", "fetch", "merge"]);
    expect(t.notStarted.map((s) => s.node)).toEqual(["later"]);
  });
  it("draws a running step up to now and steps kept from a retried run at the start", () => {
    const steps = [step("start", -5000, -4990), step("fetch", 10, null)];
    const t = buildTimeline(steps, edges, at(0), null, T0 + 250, 0);
    expect(t.span).toBe(250);
    expect(t.bars.find((b) => b.node === "fetch")).toMatchObject({ start: 10, end: 250, open: true, critical: true });
    expect(t.bars.find((b) => b.node === "start")).toMatchObject({ start: 0, end: 0, reused: true, critical: false });
  });
});

describe("axisTicks", () => {
  it("uses round steps", () => {
    expect(axisTicks(100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(axisTicks(1234, 5)).toEqual([0, 500, 1000]);
    expect(axisTicks(0)).toEqual([0]);
  });
});

describe("foldAttempts", () => {
  const entries: JournalEntry[] = [
    { seq: 1, at: at(0), event: { type: "runStarted", at: at(0) } },
    { seq: 2, at: at(1), event: { type: "stepStarted", node: "fetch", attempt: 1, at: at(1) } },
    { seq: 3, at: at(40), event: { type: "stepAttemptFailed", node: "fetch", attempt: 1, error: { code: "http.status", message: "503" }, retryAt: at(140) } },
    { seq: 5, at: at(300), event: { type: "stepSucceeded", node: "fetch", attempt: 2, startedAt: at(141), finishedAt: at(300), output: { ports: [] } } },
    { seq: 4, at: at(141), event: { type: "stepStarted", node: "fetch", attempt: 2, at: at(141) } },
    { seq: 6, at: at(310), event: { type: "stepSucceeded", node: "pure", attempt: 1, startedAt: at(300), finishedAt: at(305), output: { ports: [] } } },
    { seq: 7, at: at(320), event: { type: "stepSleeping", node: "ask", attempt: 1, startedAt: at(311), until: at(9999), awaiting: { request: {} }, output: { ports: [] } } },
  ];
  it("gives every attempt its status, times and error, in attempt order", () => {
    const a = foldAttempts(entries);
    expect(a.get("fetch")).toEqual([
      { attempt: 1, status: "retried", startedAt: at(1), finishedAt: at(40), error: { code: "http.status", message: "503" }, retryAt: at(140) },
      { attempt: 2, status: "succeeded", startedAt: at(141), finishedAt: at(300) },
    ]);
    expect(a.get("pure")).toEqual([{ attempt: 1, status: "succeeded", startedAt: at(300), finishedAt: at(305) }]);
    expect(a.get("ask")?.[0]).toMatchObject({ status: "awaiting", startedAt: at(311), finishedAt: null });
    expect(a.has("runStarted")).toBe(false);
  });
  it("records the final failure", () => {
    const a = foldAttempts([{ seq: 1, at: at(9), event: { type: "stepFailed", node: "x", attempt: 3, error: { code: "c", message: "m" }, startedAt: at(2), finishedAt: at(9) } }]);
    expect(a.get("x")).toEqual([{ attempt: 3, status: "failed", startedAt: at(2), finishedAt: at(9), error: { code: "c", message: "m" } }]);
  });
});

describe("stepInput", () => {
  const steps = [
    step("start", 0, 1, { output: { ports: [["main", [{ id: 1 }]]] } }),
    step("if", 1, 2, { output: { ports: [["true", [{ id: 1 }]]] } }),
    step("a", 2, 3, { output: { ports: [["main", [{ a: 1 }]]] } }),
    step("b", 2, 3, { output: { ports: [["main", [{ b: 2 }]]] } }),
  ];
  const edges = [edge("start", "if"), edge("if", "yes", "true"), edge("if", "no", "false"), edge("a", "merge", "main", "in1"), edge("b", "merge", "main", "in2"), edge("start", "merge", "main", "in1")];
  it("collects the items of the upstream ports wired to each input port", () => {
    expect(stepInput("if", steps, edges, [])).toEqual({ main: [{ id: 1 }] });
    expect(stepInput("yes", steps, edges, [])).toEqual({ main: [{ id: 1 }] });
    expect(stepInput("no", steps, edges, [])).toEqual({}); // the false port was not taken
    expect(stepInput("merge", steps, edges, [])).toEqual({ in1: [{ a: 1 }, { id: 1 }], in2: [{ b: 2 }] });
  });
  it("gives a first step the run's input", () => {
    expect(stepInput("start", steps, edges, [{ x: 1 }])).toEqual({ main: [{ x: 1 }] });
    expect(stepInput("start", steps, null, { x: 1 })).toEqual({ main: [{ x: 1 }] });
    expect(stepInput("start", steps, edges, null)).toEqual({ main: [] });
  });
});

describe("inferTable", () => {
  it("makes rows of an array of objects with the union of keys in first-seen order", () => {
    const t = inferTable([{ sku: "A1", qty: 2 }, { sku: "B2", price: 20 }, { qty: 1, tags: ["x"] }]);
    expect(t?.columns).toEqual(["sku", "qty", "price", "tags"]);
    expect(t?.rows).toHaveLength(3);
  });
  it("has no table view for anything else", () => {
    expect(inferTable({ a: 1 })).toBeNull();
    expect(inferTable([1, 2])).toBeNull();
    expect(inferTable([{ a: 1 }, null])).toBeNull();
    expect(inferTable([{ a: 1 }, [1]])).toBeNull();
    expect(inferTable("text")).toBeNull();
    expect(inferTable([])).toEqual({ columns: [], rows: [] });
  });
  it("caps the number of columns", () => {
    const wide = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`c${i}`, i]));
    expect(inferTable([wide], 10)?.columns).toHaveLength(10);
  });
  it("shows cells as text", () => {
    expect(cellText("plain")).toBe("plain");
    expect(cellText(undefined)).toBe("");
    expect(cellText(null)).toBe("null");
    expect(cellText({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(cellText("x".repeat(200), 10)).toBe("xxxxxxxxx…");
  });
});

describe("runTrigger", () => {
  it("reads the trigger from the idempotency key, the parent or the webhook item", () => {
    expect(runTrigger({ idempotencyKey: "schedule/s1/2026-01-01T00:00:00Z" })).toBe("schedule");
    expect(runTrigger({ idempotencyKey: "webhook/wf/abc" })).toBe("webhook");
    expect(runTrigger({ idempotencyKey: "after/r/wf/t" })).toBe("afterRun");
    expect(runTrigger({ parentRunId: "p", idempotencyKey: "schedule/x" })).toBe("subWorkflow");
    expect(runTrigger({ input: [{ method: "POST", path: "/x", params: {}, query: {}, headers: {}, body: null }] })).toBe("webhook");
    expect(runTrigger({ input: [{ method: "POST" }] })).toBe("manual");
    expect(runTrigger({ idempotencyKey: "mine", input: [] })).toBe("manual");
    expect(runTrigger({})).toBe("manual");
  });
});

describe("settleSteps", () => {
  const steps = [
    step("a", 0, 5),
    step("b", 5, null, { status: "sleeping", wakeAt: at(60_000) }),
    step("c", 5, null, { status: "awaiting", awaiting: { message: "ok?" } }),
    step("d", null, null, { status: "pending" }),
  ];
  it("leaves an unfinished run alone", () => {
    expect(settleSteps(steps, "waiting", null)).toBe(steps);
  });
  it("ends the open steps of a cancelled run with it", () => {
    const s = settleSteps(steps, "cancelled", at(900));
    expect(s.map((x) => x.status)).toEqual(["succeeded", "cancelled", "cancelled", "not run"]);
    expect(s[1]).toMatchObject({ finishedAt: at(900) });
    expect(s[1]?.wakeAt).toBeUndefined();
    expect(s[2]?.awaiting).toBeUndefined();
    expect(settleSteps(steps, "failed", at(900))[1]?.status).toBe("interrupted");
  });
});
