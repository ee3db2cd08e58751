// Server-Sent Events over fetch, so a stream carries the session cookie, can be resumed with an
// explicit `Last-Event-ID`, and delivers every event name (EventSource only hands out the
// names one subscribes to). The parser is pure and tested in sse.test.ts.

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * An incremental `text/event-stream` parser: feed it chunks of text as they arrive, get the
 * complete events back. Handles CRLF, LF and CR line ends, comments (keep-alives), multi-line
 * data and lines split across chunks.
 */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | null = null;
  private sawField = false;
  /** The last `id:` seen (what a reconnect sends as `Last-Event-ID`). */
  lastEventId: string | null = null;

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A lone CR at the end may be the first half of a CRLF: wait for more.
      if (m[0] === "\r" && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === "") {
      if (!this.sawField) return null;
      const ev: SseEvent = { id: this.id, event: this.event || "message", data: this.data.join("\n") };
      this.data = [];
      this.event = "";
      this.id = null;
      this.sawField = false;
      return ev;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        this.sawField = true;
        break;
      case "event":
        this.event = value;
        this.sawField = true;
        break;
      case "id":
        if (!value.includes("\0")) {
          this.id = value;
          this.lastEventId = value;
        }
        this.sawField = true;
        break;
      default:
        break;
    }
    return null;
  }
}

export interface StreamOptions {
  onEvent(ev: SseEvent): void;
  /** Called when the stream is (re)connected, with the Last-Event-ID sent. */
  onOpen?(lastEventId: string | null): void;
  /** Called when a connection fails; the stream tries again unless it was closed. */
  onError?(error: unknown): void;
  /** The stream is over for good (`end` event, 404, 401): no more reconnects. */
  shouldStop?(ev: SseEvent): boolean;
  lastEventId?: string | null;
  /** First reconnect delay in ms (doubles up to 10 s); 1000 by default. */
  retryMs?: number;
}

/**
 * Opens a stream that reconnects with `Last-Event-ID` (1 s, 2 s … up to 10 s apart) until it is
 * closed or `shouldStop` says so. Returns the function that closes it.
 */
export function openStream(url: string, opts: StreamOptions): () => void {
  const abort = new AbortController();
  let lastId = opts.lastEventId ?? null;
  let closed = false;
  const firstDelay = opts.retryMs ?? 1000;
  let delay = firstDelay;
  const run = async () => {
    while (!closed) {
      try {
        const headers: Record<string, string> = { Accept: "text/event-stream" };
        if (lastId) headers["Last-Event-ID"] = lastId;
        const res = await fetch(url, { headers, credentials: "same-origin", signal: abort.signal });
        if (res.status === 401 || res.status === 403 || res.status === 404) {
          opts.onError?.(new Error(`the event stream answered ${res.status}`));
          return;
        }
        if (!res.ok || !res.body) throw new Error(`the event stream answered ${res.status}`);
        opts.onOpen?.(lastId);
        delay = firstDelay;
        const parser = new SseParser();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const ev of parser.push(value)) {
            if (ev.id !== null) lastId = ev.id;
            opts.onEvent(ev);
            if (opts.shouldStop?.(ev)) {
              closed = true;
              abort.abort();
              return;
            }
          }
        }
      } catch (e) {
        if (closed || abort.signal.aborted) return;
        opts.onError?.(e);
      }
      if (closed) return;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void run();
  return () => {
    closed = true;
    abort.abort();
  };
}
