import { describe, expect, it } from "vitest";
import { History } from "./history";

describe("undo/redo history", () => {
  it("undoes and redoes in order, and a new change clears what could be redone", () => {
    const h = new History<number>();
    let state = 0;
    const change = (to: number) => {
      h.record(state);
      state = to;
    };
    change(1);
    change(2);
    change(3);
    state = h.undo(state) ?? state;
    expect(state).toBe(2);
    state = h.undo(state) ?? state;
    expect(state).toBe(1);
    state = h.redo(state) ?? state;
    expect(state).toBe(2);
    expect(h.canRedo).toBe(true);
    change(9);
    expect(h.canRedo).toBe(false);
    expect(h.redo(state)).toBeUndefined();
    state = h.undo(state) ?? state;
    expect(state).toBe(2);
  });

  it("keeps at most its limit", () => {
    const h = new History<number>(3);
    for (let i = 0; i < 10; i++) h.record(i);
    expect(h.undo(10)).toBe(9);
    expect(h.undo(9)).toBe(8);
    expect(h.undo(8)).toBe(7);
    expect(h.undo(7)).toBeUndefined();
  });
});
