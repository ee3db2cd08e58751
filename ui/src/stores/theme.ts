// Dark and light themes: a switch of <html data-theme>, remembered in localStorage; the
// first visit follows the system's preference.
import { create } from "zustand";

export type Theme = "dark" | "light";
const KEY = "weft.theme";

function stored(): Theme {
  try {
    const v = localStorage.getItem(KEY);
    if (v === "dark" || v === "light") return v;
  } catch {
    // storage blocked: follow the system
  }
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: light)").matches ? "light" : "dark";
}

export function applyStoredTheme(): void {
  document.documentElement.dataset["theme"] = stored();
}

interface ThemeState {
  theme: Theme;
  toggle(): void;
}

export const useTheme = create<ThemeState>((set, get) => ({
  theme: typeof document === "undefined" ? "dark" : stored(),
  toggle() {
    const theme: Theme = get().theme === "dark" ? "light" : "dark";
    document.documentElement.dataset["theme"] = theme;
    try {
      localStorage.setItem(KEY, theme);
    } catch {
      // not remembered; still applied
    }
    set({ theme });
  },
}));
