// The one way the UI talks to the server: openapi-fetch over the types generated from the
// server's OpenAPI document (schema.gen.ts; `npm run gen:api`). Requests carry the browser
// session cookie (HttpOnly, SameSite=Strict) and, on writes, the X-Weft-CSRF header the server
// demands of cookie-authenticated writes (a cross-site form cannot set a header).
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.gen";

export type Schemas = components["schemas"];

/** An error answered by the server (`{code, message, details}`) or by the network. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Reads the server's error body; tolerates `{error: {...}}` and non-JSON bodies. */
export function toApiError(status: number, body: unknown): ApiError {
  const outer = body as { error?: unknown } | null | undefined;
  const inner = (outer && typeof outer === "object" && outer.error && typeof outer.error === "object"
    ? outer.error
    : outer) as { code?: unknown; message?: unknown; details?: unknown } | null | undefined;
  if (inner && typeof inner === "object" && typeof inner.message === "string") {
    return new ApiError(status, typeof inner.code === "string" ? inner.code : "error", inner.message, inner.details);
  }
  return new ApiError(status, "http_" + status, `the server answered ${status}`);
}

const unauthorizedListeners = new Set<() => void>();
/** Called whenever the server answers 401 (the session ended or was revoked). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      request.headers.set("X-Weft-CSRF", "1");
    }
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.includes("/api/v1/auth/")) {
      for (const l of unauthorizedListeners) l();
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrf);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits an openapi-fetch call and returns its data, or throws an {@link ApiError}. */
export async function call<T>(request: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await request;
  } catch (e) {
    throw new ApiError(0, "network", `cannot reach the server: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!result.response.ok) {
    throw toApiError(result.response.status, result.error);
  }
  return result.data as T;
}

/** The ETag of a response, for If-Match on the next change. */
export function etagOf(response: Response): string | undefined {
  return response.headers.get("etag") ?? undefined;
}
