import { describe, expect, it } from "vitest";
import { SseParser } from "./sse";

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
