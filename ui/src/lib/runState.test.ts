import { describe, expect, it } from "vitest";
import {
  applyEntry, applyLiveStart, cellText, parsePin, pinFromOutput, finishView, formatDuration, inputOf, outputPorts, parseTestInput, pinnedDataFor,
  portItems, startingView, toTable, type RunView, type StreamEntry,
} from "./runState";

function fold(entries: StreamEntry["event"][], start: RunView = startingView(["a", "b", "c"])): RunView {
  return entries.reduce((v, event, i) => applyEntry(v, { seq: i + 1, event }), start);
}

describe("applyEntry", () => {
  it("follows a run from start to finish with durations", () => {
    const v = fold([
      { type: "runStarted", at: "2026-01-01T00:00:00.000Z" },
      { type: "stepStarted", node: "a", attempt: 1, startedAt: "2026-01-01T00:00:00.000Z" },
      { type: "stepSucceeded", node: "a", attempt: 1, output: { ports: [["main", [{ x: 1 }]]] }, startedAt: "2026-01-01T00:00:00.000Z", finishedAt: "2026-01-01T00:00:00.250Z" },
      { type: "stepStarted", node: "b", attempt: 1 },
    ]);
    expect(v.status).toBe("running");
    expect(v.steps["a"]?.status).toBe("succeeded");
    expect(v.steps["a"]?.durationMs).toBe(250);
    expect(portItems(v.steps["a"]?.output, "main")).toEqual([{ x: 1 }]);
    expect(v.steps["b"]?.status).toBe("running");
    expect(v.steps["c"]?.status).toBe("queued");
  });

  it("records failures, retried attempts, pins and the run's end; unstarted steps end skipped", () => {
    const v = fold([
      { type: "stepSucceeded", node: "a", attempt: 1, output: { ports: [["main", []]] }, startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:00Z", logs: [{ atMs: 1, level: "info", message: "pinned output: the step did not run" }] },
      { type: "stepStarted", node: "b", attempt: 1 },
      { type: "stepAttemptFailed", node: "b", attempt: 1, error: { code: "http.timeout", message: "slow" } },
      { type: "stepStarted", node: "b", attempt: 2 },
      { type: "stepFailed", node: "b", attempt: 2, error: { code: "http.status", message: "500" }, startedAt: "2026-01-01T00:00:01Z", finishedAt: "2026-01-01T00:00:02.5Z" },
      { type: "runFinished", status: "failed", error: { code: "http.status", message: "node \"b\" failed: 500", node: "b" } },
    ]);
    expect(v.steps["a"]?.pinned).toBe(true);
    expect(v.steps["b"]?.status).toBe("failed");
    expect(v.steps["b"]?.attempt).toBe(2);
    expect(v.steps["b"]?.retried).toEqual([{ code: "http.timeout", message: "slow" }]);
    expect(v.steps["b"]?.error?.message).toBe("500");
    expect(v.steps["b"]?.durationMs).toBe(1500);
    expect(v.status).toBe("failed");
    expect(v.error?.node).toBe("b");
    const done = finishView(v, ["a", "b", "c"]);
    expect(done.steps["c"]?.status).toBe("skipped");
    expect(done.steps["a"]).toBe(v.steps["a"]);
  });

  it("ignores entries it has seen (a reconnect replays them) and keeps untouched steps' identity", () => {
    const v = fold([{ type: "stepStarted", node: "a", attempt: 1 }]);
    expect(applyEntry(v, { seq: 1, event: { type: "stepFailed", node: "a" } })).toBe(v);
    const w = applyEntry(v, { seq: 2, event: { type: "stepStarted", node: "b", attempt: 1 } });
    expect(w.steps["a"]).toBe(v.steps["a"]);
    expect(w.steps["b"]).not.toBe(v.steps["b"]);
  });

  it("shows a sleeping step as waiting", () => {
    const v = fold([{ type: "stepSleeping", node: "c", attempt: 1, until: "2026-01-01T01:00:00Z", output: { ports: [] }, startedAt: "2026-01-01T00:00:00Z" }, { type: "runWaiting", wakeAt: "2026-01-01T01:00:00Z" }]);
    expect(v.steps["c"]?.status).toBe("waiting");
    expect(v.status).toBe("waiting");
  });
});

describe("applyLiveStart", () => {
  it("shows a queued step running, and never undoes a step's end", () => {
    const v = startingView(["a", "b"]);
    const running = applyLiveStart(v, "a", 1, "2026-01-01T00:00:00Z");
    expect(running.steps["a"]?.status).toBe("running");
    expect(running.status).toBe("running");
    expect(running.steps["b"]).toBe(v.steps["b"]);
    const done = applyEntry(running, { seq: 1, event: { type: "stepSucceeded", node: "a", attempt: 1, output: { ports: [] } } });
    expect(applyLiveStart(done, "a", 1)).toBe(done);
    // A retried attempt's start after a journaled attempt failure.
    const retry = applyEntry(running, { seq: 1, event: { type: "stepAttemptFailed", node: "a", attempt: 1, error: { message: "x" } } });
    expect(applyLiveStart(retry, "a", 1)).toBe(retry);
    expect(applyLiveStart(retry, "a", 2).steps["a"]?.status).toBe("running");
  });
});

describe("inputs and outputs", () => {
  const steps = fold([
    { type: "stepSucceeded", node: "a", output: { ports: [["true", [{ ok: 1 }]], ["false", [{ ok: 0 }]]] } },
    { type: "stepSucceeded", node: "b", output: { ports: [["main", [{ b: 1 }]]] } },
  ]).steps;
  const edges = [
    { source: "a", sourceHandle: "true", target: "c" },
    { source: "b", sourceHandle: "main", target: "c" },
    { source: "trigger:t", sourceHandle: "main", target: "a" },
  ];
  it("gathers a node's input from the ports wired into it; an entry node gets the run's input", () => {
    expect(inputOf("c", edges, steps, [], false)).toEqual([{ ok: 1 }, { b: 1 }]);
    expect(inputOf("a", edges, steps, [{ in: 1 }], true)).toEqual([{ in: 1 }]);
    expect(outputPorts(steps["a"]?.output).map((p) => p.port)).toEqual(["true", "false"]);
  });
});

describe("toTable", () => {
  it("makes columns of keys in first-seen order", () => {
    expect(toTable([{ a: 1, b: "x" }, { b: "y", c: { d: 1 } }])).toEqual({
      columns: ["a", "b", "c"],
      rows: [[1, "x", undefined], [undefined, "y", { d: 1 }]],
    });
    expect(cellText({ d: 1 })).toBe('{"d":1}');
    expect(cellText(undefined)).toBe("");
    expect(cellText("s")).toBe("s");
  });
  it("refuses what is not an array of objects", () => {
    expect(toTable([])).toBeNull();
    expect(toTable([1, 2])).toBeNull();
    expect(toTable({ a: 1 })).toBeNull();
    expect(toTable([{ a: 1 }, [1]])).toBeNull();
  });
});

describe("pins and input", () => {
  it("sends only pins of nodes that still exist", () => {
    expect(pinnedDataFor({ a: [{ x: 1 }], gone: [] }, ["a", "b"])).toEqual({ a: [{ x: 1 }] });
    expect(pinnedDataFor({ gone: [] }, ["a"])).toBeUndefined();
    expect(pinnedDataFor(undefined, ["a"])).toBeUndefined();
  });
  it("pins an output: main alone as an array, several ports as an object; hand-typed pins are checked", () => {
    expect(pinFromOutput({ ports: [["main", [{ a: 1 }]]] })).toEqual([{ a: 1 }]);
    expect(pinFromOutput({ ports: [["true", [{ a: 1 }]], ["false", []]] })).toEqual({ true: [{ a: 1 }], false: [] });
    expect(pinFromOutput(undefined)).toBeUndefined();
    expect(parsePin('[{"a":1}]')).toEqual({ ok: true, value: [{ a: 1 }] });
    expect(parsePin('{"true":[]}')).toEqual({ ok: true, value: { true: [] } });
    expect(parsePin('{"a":1}').ok).toBe(false);
    expect(parsePin("{}").ok).toBe(false);
    expect(parsePin("nope").ok).toBe(false);
  });
  it("parses the test input", () => {
    expect(parseTestInput('[{"a":1}]')).toEqual({ ok: true, value: [{ a: 1 }] });
    expect(parseTestInput('{"a":1}')).toEqual({ ok: true, value: [{ a: 1 }] });
    expect(parseTestInput("")).toEqual({ ok: true, value: [] });
    expect(parseTestInput("3")).toEqual({ ok: false, error: "The input is an array of items or one object" });
    const bad = parseTestInput("{oops");
    expect(bad.ok).toBe(false);
  });
  it("formats durations", () => {
    expect(formatDuration(412)).toBe("412 ms");
    expect(formatDuration(1340)).toBe("1.3 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(undefined)).toBe("");
  });
});
