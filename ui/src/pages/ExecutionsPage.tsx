// The executions list: every run of the organization, newest first, filtered by status,
// workflow, tag and time range (all kept in the URL, so `/executions?workflow=ID` is a link),
// paged with the API's cursors and kept current by the organization's live event stream.
import { type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { ApiError, api, call, type Schemas } from "../api/client";
import { StatusBadge } from "../components/DataView";
import { Icon } from "../components/Icon";
import { RUN_STATUSES, TRIGGER_LABEL, durationMs, formatDuration, formatStarted, runTrigger } from "../lib/runs";
import { openStream } from "../lib/sse";
import styles from "./Executions.module.css";

type Run = Schemas["RunDto"];
type Workflow = Schemas["WorkflowDto"];

const PAGE_SIZE = 50;
const RANGES: [string, string, number][] = [
  ["", "Any time", 0],
  ["1h", "Last hour", 3600_000],
  ["24h", "Last 24 hours", 86_400_000],
  ["7d", "Last 7 days", 7 * 86_400_000],
  ["30d", "Last 30 days", 30 * 86_400_000],
  ["custom", "Custom range…", 0],
];
/** Events after which the list may have changed. */
const LIST_EVENTS = new Set(["runStarted", "runFinished", "runWaiting", "runPaused", "runResumed", "stepAwaiting", "reset"]);

function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function ExecutionsPage() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const statuses = useMemo(() => (params.get("status") ?? "").split(",").filter(Boolean), [params]);
  const workflowId = params.get("workflow") ?? "";
  const tag = params.get("tag") ?? "";
  const range = params.get("range") ?? "";
  const customFrom = params.get("from");
  const customTo = params.get("to");
  // The cursors of the pages visited, the first page (null) first; the last one is shown.
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const cursor = stack[stack.length - 1] ?? null;
  const [page, setPage] = useState<{ items: Run[]; next: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [workflows, setWorkflows] = useState<Workflow[]>([]);
  const [live, setLive] = useState<"connecting" | "live" | "offline">("connecting");
  const [now, setNow] = useState(Date.now());
  const tbody = useRef<HTMLTableSectionElement>(null);

  useEffect(() => {
    document.title = "Executions · Weft";
  }, []);

  const setParam = useCallback(
    (changes: Record<string, string | null>) => {
      const next = new URLSearchParams(params);
      for (const [k, v] of Object.entries(changes)) {
        if (v) next.set(k, v);
        else next.delete(k);
      }
      setParams(next, { replace: true });
      setStack([null]);
    },
    [params, setParams],
  );

  const load = useCallback(async () => {
    try {
      const query: { limit: number; status?: string; workflowId?: string; tag?: string; from?: string; to?: string; cursor?: string } = { limit: PAGE_SIZE };
      if (statuses.length) query.status = statuses.join(",");
      if (workflowId) query.workflowId = workflowId;
      if (tag) query.tag = tag;
      const preset = RANGES.find(([k]) => k === range);
      if (preset && preset[2] > 0) query.from = new Date(Date.now() - preset[2]).toISOString();
      if (range === "custom") {
        if (customFrom) query.from = customFrom;
        if (customTo) query.to = customTo;
      }
      if (cursor) query.cursor = cursor;
      const r = await call(api.GET("/api/v1/runs", { params: { query } }));
      setPage({ items: r.items, next: r.nextCursor ?? null });
      setError(null);
      setNow(Date.now());
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message}${e.code.startsWith("http_") ? "" : ` (${e.code})`}` : String(e));
    }
  }, [statuses, workflowId, tag, range, customFrom, customTo, cursor]);

  useEffect(() => void load(), [load]);

  // The workflows for the filters; read again when a run of a workflow not seen yet shows up.
  const [workflowsStamp, setWorkflowsStamp] = useState(0);
  useEffect(() => {
    call(api.GET("/api/v1/workflows", { params: { query: { limit: 500 } } }))
      .then((p) => setWorkflows(p.items))
      .catch(() => setWorkflows([]));
  }, [workflowsStamp]);
  const unknownWorkflow = page?.items.some((r) => r.workflowId && !workflows.some((w) => w.id === r.workflowId)) ?? false;
  useEffect(() => {
    if (unknownWorkflow) setWorkflowsStamp((n) => n + 1);
  }, [unknownWorkflow]);

  // Live: the organization's events reload the first page (at most every 700 ms); later pages
  // stay put while one reads them. Durations of unfinished runs tick every second.
  const loadRef = useRef(load);
  loadRef.current = load;
  const onFirstPage = cursor === null;
  useEffect(() => {
    if (!onFirstPage) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const close = openStream("/api/v1/events", {
      onOpen: () => setLive("live"),
      onError: () => setLive("offline"),
      onEvent: (ev) => {
        if (!LIST_EVENTS.has(ev.event) || timer) return;
        timer = setTimeout(() => {
          timer = null;
          void loadRef.current();
        }, 700);
      },
    });
    return () => {
      close();
      if (timer) clearTimeout(timer);
    };
  }, [onFirstPage]);
  const anyOpen = page?.items.some((r) => !r.finishedAt) ?? false;
  useEffect(() => {
    if (!anyOpen) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [anyOpen]);

  const tags = useMemo(() => [...new Set(workflows.flatMap((w) => w.tags))].sort(), [workflows]);
  const filtered = statuses.length > 0 || workflowId || tag || range;
  const workflowName = workflows.find((w) => w.id === workflowId)?.name;

  function toggleStatus(s: string) {
    const next = statuses.includes(s) ? statuses.filter((x) => x !== s) : [...statuses, s];
    setParam({ status: next.join(",") || null });
  }

  function onRowKey(e: KeyboardEvent<HTMLTableRowElement>, run: Run) {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      navigate(`/executions/${run.id}`);
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const row = e.key === "ArrowDown" ? e.currentTarget.nextElementSibling : e.currentTarget.previousElementSibling;
      (row as HTMLElement | null)?.focus();
    } else if (e.key === "Home" || e.key === "End") {
      e.preventDefault();
      const rows = tbody.current?.rows;
      (rows?.[e.key === "Home" ? 0 : rows.length - 1] as HTMLElement | undefined)?.focus();
    }
  }

  return (
    <div className={styles.page}>
      <div className={styles.header}>
        <div>
          <h1>Executions</h1>
          {workflowId && (
            <p className={styles.subtitle}>
              Runs of <a href={`/workflows/${workflowId}`} onClick={(e) => { e.preventDefault(); navigate(`/workflows/${workflowId}`); }}>{workflowName ?? workflowId}</a>
            </p>
          )}
        </div>
        <div className={styles.actions}>
          <span className={`${styles.live} ${live === "live" && onFirstPage ? styles.liveOn : ""}`} role="status" data-testid="live-status">
            <span className={styles.liveDot} aria-hidden />
            {!onFirstPage ? "Paused on an older page" : live === "live" ? "Live" : live === "connecting" ? "Connecting…" : "Reconnecting…"}
          </span>
          <button className="btn btn-sm" onClick={() => void load()} aria-label="Refresh the list">
            <Icon name="redo" size={13} /> Refresh
          </button>
        </div>
      </div>

      <div className={styles.toolbar} role="search" aria-label="Filter runs">
        <div className={styles.segmented} role="group" aria-label="Filter by status">
          {RUN_STATUSES.map((s) => (
            <button key={s} className={styles.segment} aria-pressed={statuses.includes(s)} onClick={() => toggleStatus(s)} data-status={s}>
              {s}
            </button>
          ))}
        </div>
        <select className="select" style={{ width: 200 }} aria-label="Filter by workflow" value={workflowId} onChange={(e) => setParam({ workflow: e.target.value || null })}>
          <option value="">All workflows</option>
          {workflowId && !workflowName && <option value={workflowId}>{workflowId}</option>}
          {workflows.map((w) => <option key={w.id} value={w.id}>{w.name}</option>)}
        </select>
        <select className="select" style={{ width: 140 }} aria-label="Filter by tag" value={tag} onChange={(e) => setParam({ tag: e.target.value || null })}>
          <option value="">All tags</option>
          {tag && !tags.includes(tag) && <option value={tag}>{tag}</option>}
          {tags.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
        <select className="select" style={{ width: 160 }} aria-label="Time range" value={range} onChange={(e) => setParam({ range: e.target.value || null, from: null, to: null })}>
          {RANGES.map(([k, label]) => <option key={k} value={k}>{label}</option>)}
        </select>
        {range === "custom" && (
          <>
            <input className="input" style={{ width: 190 }} type="datetime-local" aria-label="Created from" value={toLocalInput(customFrom)} onChange={(e) => setParam({ from: e.target.value ? new Date(e.target.value).toISOString() : null })} />
            <input className="input" style={{ width: 190 }} type="datetime-local" aria-label="Created before" value={toLocalInput(customTo)} onChange={(e) => setParam({ to: e.target.value ? new Date(e.target.value).toISOString() : null })} />
          </>
        )}
        {filtered && (
          <button className="btn btn-sm btn-ghost" onClick={() => setParam({ status: null, workflow: null, tag: null, range: null, from: null, to: null })}>
            Clear filters
          </button>
        )}
      </div>

      {error && (
        <div className={styles.error} role="alert">
          Could not load runs: {error}
          <button className="btn btn-sm" onClick={() => void load()}>Try again</button>
        </div>
      )}

      {page === null && !error ? (
        <div className="empty"><span className="spinner" /> Loading runs…</div>
      ) : page && page.items.length === 0 ? (
        <div className="empty" data-testid="runs-empty">
          <h2>{filtered ? "No run matches these filters" : "No runs yet"}</h2>
          <p>{filtered ? "Change or clear the filters." : "Run a workflow from the builder, the API, a webhook or a schedule; its runs show up here live."}</p>
        </div>
      ) : page ? (
        <>
          <table className={styles.table} aria-label="Runs">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Workflow</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col">Trigger</th>
                <th scope="col">Run</th>
              </tr>
            </thead>
            <tbody ref={tbody}>
              {page.items.map((r) => {
                const started = r.startedAt ?? r.createdAt;
                const trigger = TRIGGER_LABEL[runTrigger(r)];
                return (
                  <tr
                    key={r.id}
                    tabIndex={0}
                    className={styles.row}
                    data-run-id={r.id}
                    aria-label={`${r.workflowName}, ${r.status}, started ${new Date(started).toLocaleString()}`}
                    onClick={(e) => {
                      if ((e.target as HTMLElement).closest("a")) return;
                      navigate(`/executions/${r.id}`);
                    }}
                    onKeyDown={(e) => onRowKey(e, r)}
                  >
                    <td><StatusBadge status={r.status} /></td>
                    <td className={styles.wfName}>
                      {r.workflowName}
                      {r.pendingControl && <span className="badge badge-warning" style={{ marginLeft: 6 }}>{r.pendingControl} requested</span>}
                    </td>
                    <td className={styles.muted} title={new Date(started).toLocaleString()}>{formatStarted(started, now)}</td>
                    <td className={styles.mono}>{r.startedAt ? formatDuration(durationMs(r.startedAt, r.finishedAt, now)) : "queued"}</td>
                    <td className={styles.muted}>{trigger}</td>
                    <td>
                      <a className={styles.mono} href={`/executions/${r.id}`} tabIndex={-1} title={r.id} onClick={(e) => { e.preventDefault(); navigate(`/executions/${r.id}`); }}>
                        …{r.id.slice(-8)}
                      </a>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div className={styles.pager}>
            <span className={styles.muted}>{page.items.length} run{page.items.length === 1 ? "" : "s"} on this page</span>
            <button className="btn btn-sm" disabled={stack.length < 2} onClick={() => setStack(stack.slice(0, -1))}>Newer</button>
            <button className="btn btn-sm" disabled={!page.next} onClick={() => page.next && setStack([...stack, page.next])}>Older</button>
          </div>
        </>
      ) : null}
    </div>
  );
}
