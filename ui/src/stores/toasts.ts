// Messages in the corner: what worked, and every API error with its code and message.
import { create } from "zustand";
import { ApiError } from "../api/client";

export interface Toast {
  id: number;
  kind: "info" | "success" | "error";
  title: string;
  detail?: string;
}

interface ToastState {
  toasts: Toast[];
  push(t: Omit<Toast, "id">): void;
  dismiss(id: number): void;
}

let next = 1;

export const useToasts = create<ToastState>((set, get) => ({
  toasts: [],
  push(t) {
    const id = next++;
    set({ toasts: [...get().toasts.slice(-4), { ...t, id }] });
    const ttl = t.kind === "error" ? 9000 : 4000;
    setTimeout(() => get().dismiss(id), ttl);
  },
  dismiss(id) {
    set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },
}));

/** Shows an error (an ApiError with its code) as a toast. */
export function toastError(title: string, e: unknown): void {
  const detail = e instanceof ApiError
    ? `${e.message}${e.code && !e.code.startsWith("http_") ? ` (${e.code})` : ""}`
    : e instanceof Error ? e.message : String(e);
  useToasts.getState().push({ kind: "error", title, detail });
}

export function toastSuccess(title: string, detail?: string): void {
  useToasts.getState().push(detail === undefined ? { kind: "success", title } : { kind: "success", title, detail });
}
