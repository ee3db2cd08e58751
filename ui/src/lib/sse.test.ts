import { describe, expect, it } from "vitest";
import { SseParser, openStream } from "./sse";

describe("SseParser", () => {
  it("parses named events with ids and remembers the last id", () => {
    const p = new SseParser();
    const evs = p.push('id: 1\nevent: stepStarted\ndata: {"seq":1}\n\nid: 2\nevent: runFinished\ndata: {"seq":2}\n\n');
    expect(evs).toEqual([
      { id: "1", event: "stepStarted", data: '{"seq":1}' },
      { id: "2", event: "runFinished", data: '{"seq":2}' },
    ]);
    expect(p.lastEventId).toBe("2");
  });
  it("joins lines split across chunks and multi-line data; defaults the name", () => {
    const p = new SseParser();
    expect(p.push("data: one\nda")).toEqual([]);
    expect(p.push("ta: two\r")).toEqual([]);
    expect(p.push("\n\r\n")).toEqual([{ id: null, event: "message", data: "one\ntwo" }]);
  });
  it("ignores comments and keep-alives and events without fields", () => {
    const p = new SseParser();
    expect(p.push(": keep-alive\n\n\n:x\nevent: end\ndata: {}\n\n")).toEqual([{ id: null, event: "end", data: "{}" }]);
    expect(p.lastEventId).toBeNull();
  });
  it("keeps values without a space after the colon and fields without a value", () => {
    const p = new SseParser();
    expect(p.push("event:x\ndata\n\n")).toEqual([{ id: null, event: "x", data: "" }]);
  });
});

describe("openStream", () => {
  it("reconnects after a drop with the Last-Event-ID it saw, and stops on request", async () => {
    const seen: (string | null)[] = [];
    const bodies = [
      "id: 1\nevent: stepStarted\ndata: {}\n\nid: 2\nevent: stepSucceeded\ndata: {}\n\n",
      ": keep-alive\n\nid: 3\nevent: runFinished\ndata: {}\n\nevent: end\ndata: {}\n\n",
    ];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (_url: string, init: RequestInit) => {
      seen.push(new Headers(init.headers).get("Last-Event-ID"));
      const body = bodies.shift() ?? "";
      return new Response(new ReadableStream({
        start(c) {
          // in two chunks, split inside a line
          const mid = Math.floor(body.length / 2);
          c.enqueue(new TextEncoder().encode(body.slice(0, mid)));
          c.enqueue(new TextEncoder().encode(body.slice(mid)));
          c.close();
        },
      }), { status: 200, headers: { "content-type": "text/event-stream" } });
    }) as typeof fetch;
    try {
      const events: string[] = [];
      await new Promise<void>((resolve) => {
        openStream("/api/v1/runs/r/events", {
          retryMs: 5,
          onEvent: (ev) => {
            events.push(`${ev.id ?? "-"}:${ev.event}`);
            if (ev.event === "end") resolve();
          },
          shouldStop: (ev) => ev.event === "end",
        });
      });
      expect(events).toEqual(["1:stepStarted", "2:stepSucceeded", "3:runFinished", "-:end"]);
      expect(seen).toEqual([null, "2"]);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it("gives up on 404 without retrying", async () => {
    let calls = 0;
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async () => {
      calls++;
      return new Response("{}", { status: 404 });
    }) as typeof fetch;
    try {
      const error = await new Promise<unknown>((resolve) => {
        openStream("/x", { retryMs: 1, onEvent: () => undefined, onError: resolve });
      });
      await new Promise((r) => setTimeout(r, 20));
      expect(String(error)).toContain("404");
      expect(calls).toBe(1);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});
