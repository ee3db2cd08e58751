// Who is signed in. The session itself is an HttpOnly cookie the page cannot read: the UI
// only knows what GET /api/v1/me says.
import { create } from "zustand";
import { ApiError, api, call, onUnauthorized, type Schemas } from "../api/client";

export type Me = Schemas["Me"];

interface SessionState {
  status: "unknown" | "signedOut" | "signedIn";
  me: Me | null;
  /** Asks the server who we are (after load, or after signing in). */
  refresh(): Promise<void>;
  /** Exchanges an API key for a session cookie. */
  signInWithKey(apiKey: string): Promise<void>;
  signOut(): Promise<void>;
}

export const useSession = create<SessionState>((set) => ({
  status: "unknown",
  me: null,
  async refresh() {
    try {
      const me = await call(api.GET("/api/v1/me"));
      set({ status: "signedIn", me });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) set({ status: "signedOut", me: null });
      else throw e;
    }
  },
  async signInWithKey(apiKey) {
    const me = await call(api.POST("/api/v1/auth/session", { body: { apiKey } }));
    set({ status: "signedIn", me });
  },
  async signOut() {
    try {
      await call(api.POST("/api/v1/auth/logout"));
    } finally {
      set({ status: "signedOut", me: null });
    }
  },
}));

onUnauthorized(() => {
  if (useSession.getState().status === "signedIn") useSession.setState({ status: "signedOut", me: null });
});
