// One run: header with status, workflow and version, timings, actions (cancel, pause/resume,
// retry); a Gantt timeline of its steps with the critical path; the selected step's attempts,
// logs, input and output; approvals. Live while the run is unfinished: the run's event stream
// (its journal, resumable with Last-Event-ID) drives a reload of the run.
import { type CSSProperties, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError, api, call, type Schemas } from "../api/client";
import { DataView, JsonText, StatusBadge } from "../components/DataView";
import { Icon } from "../components/Icon";
import {
  type Attempt,
  type FlowEdge,
  type JournalEntry,
  type StepView,
  TRIGGER_LABEL,
  axisTicks,
  buildTimeline,
  durationMs,
  foldAttempts,
  formatDuration,
  isTerminal,
  labelBefore,
  outputByPort,
  parseTime,
  settleSteps,
  runTrigger,
  stepInput,
} from "../lib/runs";
import { openStream } from "../lib/sse";
import { toastError, toastSuccess } from "../stores/toasts";
import styles from "./Executions.module.css";

type Run = Schemas["RunDto"];
interface DocNode { id: string; name?: string; type?: string }
interface Doc { nodes?: DocNode[]; edges?: FlowEdge[] }

/** The part of the axis a bar's label needs (lanes are packed with it). */
const LABEL_PERCENT = 16;

const BAR_COLORS: Record<string, [string, string]> = {
  succeeded: ["var(--success)", "var(--success-bg)"],
  failed: ["var(--danger)", "var(--danger-bg)"],
  running: ["var(--accent)", "var(--accent-bg)"],
  sleeping: ["var(--warning)", "var(--warning-bg)"],
  awaiting: ["var(--warning)", "var(--warning-bg)"],
};

/** How much of the critical path's time its steps were working (the rest is waiting between them). */
function criticalBusy(t: { bars: { node: string; start: number; end: number; critical: boolean }[] }): number {
  return t.bars.filter((b) => b.critical).reduce((sum, b) => sum + (b.end - b.start), 0);
}

function time(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "—";
}

export function RunPage() {
  const { runId = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const navigate = useNavigate();
  const [run, setRun] = useState<Run | null>(null);
  const [steps, setSteps] = useState<StepView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [doc, setDoc] = useState<{ doc: Doc; version: number } | null>(null);
  // Whether the document is still being fetched: the critical path waits for its edges.
  const [docLoading, setDocLoading] = useState(false);
  const [journal, setJournal] = useState<JournalEntry[]>([]);
  const [progress, setProgress] = useState<Record<string, string>>({});
  const [now, setNow] = useState(Date.now());
  const [confirm, setConfirm] = useState<null | "cancel">(null);
  const [retryOpen, setRetryOpen] = useState(false);
  const [streamState, setStreamState] = useState<"live" | "reconnecting" | "ended">("live");
  const selected = search.get("step");

  const load = useCallback(async () => {
    try {
      const d = await call(api.GET("/api/v1/runs/{id}", { params: { path: { id: runId } } }));
      setRun(d.run);
      setSteps(settleSteps(d.steps as unknown as StepView[], d.run.status, d.run.finishedAt ?? null));
      setError(null);
      setNow(Date.now());
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }, [runId]);

  useEffect(() => {
    setRun(null);
    setSteps([]);
    setJournal([]);
    setDoc(null);
    setDocLoading(false);
    setProgress({});
    void load();
  }, [load]);

  useEffect(() => {
    document.title = run ? `${run.workflowName} · run ${run.id.slice(0, 8)} · Weft` : "Run · Weft";
  }, [run]);

  // The document of the executed version: edges for the critical path and the input of each
  // step, node names, and the version number.
  const workflowId = run?.workflowId ?? null;
  const versionId = run?.workflowVersionId ?? null;
  useEffect(() => {
    if (!workflowId || !versionId) return;
    let cancelled = false;
    setDocLoading(true);
    (async () => {
      const list = await call(api.GET("/api/v1/workflows/{id}/versions", { params: { path: { id: workflowId } } }));
      const v = list.items.find((x) => x.versionId === versionId);
      if (!v) return;
      const one = await call(api.GET("/api/v1/workflows/{id}/versions/{number}", { params: { path: { id: workflowId, number: v.number } } }));
      if (!cancelled) setDoc({ doc: (one.document ?? {}) as Doc, version: v.number });
    })()
      .catch(() => undefined) // a deleted workflow: no names, timing-only critical path
      .finally(() => {
        if (!cancelled) setDocLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [workflowId, versionId]);

  // The run's journal, then live entries; a reconnect resumes after the last seq it saw.
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const reload = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void loadRef.current();
      }, 120);
    };
    const close = openStream(`/api/v1/runs/${encodeURIComponent(runId)}/events`, {
      onOpen: () => setStreamState("live"),
      onError: () => setStreamState("reconnecting"),
      shouldStop: (ev) => ev.event === "end",
      onEvent: (ev) => {
        if (ev.event === "end") {
          setStreamState("ended");
          reload();
          return;
        }
        let data: unknown;
        try {
          data = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (ev.event === "stepProgress") {
          // {node, attempt, data: {type: "token", text}} (the engine's RunEvent, flattened)
          const p = data as { node?: string; data?: { text?: unknown } };
          const node = p.node;
          const text = p.data?.text;
          if (node && typeof text === "string") setProgress((old) => ({ ...old, [node]: ((old[node] ?? "") + text).slice(-4000) }));
          return;
        }
        const entry = data as JournalEntry;
        if (typeof entry.seq !== "number") return;
        setJournal((old) => (old.some((e) => e.seq === entry.seq) ? old : [...old, entry]));
        reload();
      },
    });
    return () => {
      close();
      if (timer) clearTimeout(timer);
    };
  }, [runId]);

  const open = run ? !isTerminal(run.status) : false;
  useEffect(() => {
    if (!open) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [open]);

  const attempts = useMemo(() => foldAttempts(journal), [journal]);
  const edges = doc?.doc.edges ?? null;
  const names = useMemo(() => new Map((doc?.doc.nodes ?? []).map((n) => [n.id, n.name ?? n.id])), [doc]);
  // A step's bar starts with its first attempt (the view keeps the last attempt's start).
  const timelineSteps = useMemo(
    () =>
      steps.map((s) => {
        const first = attempts.get(s.node)?.[0]?.startedAt;
        return first && s.startedAt && first < s.startedAt ? { ...s, startedAt: first } : s;
      }),
    [steps, attempts],
  );
  const timeline = useMemo(() => {
    if (!run) return null;
    const t = buildTimeline(timelineSteps, edges, run.startedAt ?? run.createdAt, run.finishedAt ?? null, now, LABEL_PERCENT / 100);
    // Until the edges are known, no path is drawn rather than a guessed one.
    return docLoading ? { ...t, criticalPath: [], bars: t.bars.map((b) => ({ ...b, critical: false })) } : t;
  }, [timelineSteps, edges, run, now, docLoading]);

  const selectStep = (node: string | null) => {
    const next = new URLSearchParams(search);
    if (node) next.set("step", node);
    else next.delete("step");
    setSearch(next, { replace: true });
  };
  const failedStep = steps.find((s) => s.status === "failed");
  const awaitingSteps = steps.filter((s) => s.status === "awaiting");
  // Nothing chosen: the step that needs attention, else the last one that ran.
  const current = steps.find((s) => s.node === selected)
    ?? awaitingSteps[0]
    ?? failedStep
    ?? steps.find((s) => s.status === "sleeping" || s.status === "running")
    ?? [...steps].filter((s) => s.finishedAt).sort((a, b) => parseTime(a.finishedAt as string) - parseTime(b.finishedAt as string)).pop()
    ?? steps[0];

  async function control(what: "cancel" | "pause" | "resume") {
    setConfirm(null);
    try {
      const path = what === "cancel" ? "/api/v1/runs/{id}/cancel" : what === "pause" ? "/api/v1/runs/{id}/pause" : "/api/v1/runs/{id}/resume";
      const r = await call(api.POST(path, { params: { path: { id: runId } } }));
      setRun(r.run);
      toastSuccess(what === "cancel" ? "Cancellation requested" : what === "pause" ? "Pause requested" : "Resumed");
      void load();
    } catch (e) {
      toastError(`Could not ${what} the run`, e);
    }
  }

  if (error && !run) {
    return (
      <div className={styles.page}>
        <div className={styles.crumbs}><a href="/executions" onClick={(e) => { e.preventDefault(); navigate("/executions"); }}>Executions</a></div>
        <div className={styles.error} role="alert">
          Could not load run {runId}: {error}
          <button className="btn btn-sm" onClick={() => void load()}>Try again</button>
        </div>
      </div>
    );
  }
  if (!run || !timeline) return <div className="empty" role="status"><span className="spinner" /> Loading run…</div>;

  const trigger = TRIGGER_LABEL[runTrigger(run)];
  const duration = run.startedAt ? durationMs(run.startedAt, run.finishedAt, now) : null;
  const ticks = axisTicks(timeline.span);
  const runError = run.error as { code?: string; message?: string; node?: string } | null | undefined;

  return (
    <div className={styles.page}>
      <div className={styles.crumbs}>
        <a href="/executions" onClick={(e) => { e.preventDefault(); navigate("/executions"); }}>Executions</a>
        {run.workflowId && (
          <>
            <span>/</span>
            <a href={`/executions?workflow=${run.workflowId}`} onClick={(e) => { e.preventDefault(); navigate(`/executions?workflow=${run.workflowId}`); }}>{run.workflowName}</a>
          </>
        )}
        <span>/</span>
        <span className={styles.mono}>{run.id}</span>
      </div>

      <div className={styles.header}>
        <div style={{ display: "flex", flexDirection: "column", gap: 10 }}>
          <div className={styles.titleRow}>
            <h1>{run.workflowName}</h1>
            <StatusBadge status={run.status} testId="run-status" />
            {run.pendingControl && <span className="badge badge-warning">{run.pendingControl} requested</span>}
            {open && <span className={styles.live} role="status">{streamState === "live" ? "● live" : "reconnecting…"}</span>}
          </div>
          <dl className={styles.facts}>
            <div>
              <dt>Workflow</dt>
              <dd>
                {run.workflowId ? (
                  <a href={`/workflows/${run.workflowId}`} onClick={(e) => { e.preventDefault(); navigate(`/workflows/${run.workflowId}`); }} data-testid="workflow-link">
                    {run.workflowName}{doc ? ` · v${doc.version}` : ""}
                  </a>
                ) : (
                  <span title={run.workflowVersionId}>{run.workflowName} (not stored)</span>
                )}
              </dd>
            </div>
            <div><dt>Trigger</dt><dd>{trigger}</dd></div>
            <div><dt>Created</dt><dd>{time(run.createdAt)}</dd></div>
            <div><dt>Started</dt><dd>{time(run.startedAt)}</dd></div>
            <div><dt>Finished</dt><dd>{time(run.finishedAt)}</dd></div>
            <div><dt>Duration</dt><dd className={styles.mono} data-testid="run-duration">{formatDuration(duration)}</dd></div>
            {run.wakeAt && !run.wakeAt.startsWith("9999") && <div><dt>Wakes</dt><dd>{time(run.wakeAt)}</dd></div>}
            {run.deadlineAt && <div><dt>Deadline</dt><dd>{time(run.deadlineAt)}</dd></div>}
            {run.parentRunId && (
              <div><dt>Parent run</dt><dd><a href={`/executions/${run.parentRunId}`} onClick={(e) => { e.preventDefault(); navigate(`/executions/${run.parentRunId}`); }} className={styles.mono}>{run.parentRunId.slice(0, 8)}</a></dd></div>
            )}
          </dl>
        </div>
        <div className={styles.actions}>
          {(run.status === "running" || run.status === "waiting" || run.status === "queued") && (
            <button className="btn btn-sm" onClick={() => void control("pause")}>Pause</button>
          )}
          {run.status === "paused" && <button className="btn btn-sm" onClick={() => void control("resume")}>Resume</button>}
          {open && (
            <button className="btn btn-sm btn-danger" onClick={() => setConfirm("cancel")}>
              <Icon name="close" size={13} /> Cancel run
            </button>
          )}
          {!open && (
            <button className="btn btn-sm btn-primary" onClick={() => setRetryOpen(true)}>
              <Icon name="redo" size={13} /> Retry…
            </button>
          )}
        </div>
      </div>

      {awaitingSteps.map((s) => (
        <div key={s.node} className={styles.banner} role="status">
          <Icon name="warning" size={16} />
          <span>Step <strong>{names.get(s.node) ?? s.node}</strong> is waiting for a decision.</span>
          {current?.node !== s.node && <button className="btn btn-sm" onClick={() => selectStep(s.node)}>Review</button>}
        </div>
      ))}
      {run.status === "failed" && runError && (
        <div className={`${styles.banner} ${styles.bannerDanger}`} role="alert">
          <Icon name="warning" size={16} />
          <span>
            {runError.message ?? "The run failed."}
            {runError.code && <span className={styles.mono}> ({runError.code})</span>}
          </span>
          {failedStep && <button className="btn btn-sm" onClick={() => setRetryOpen(true)}>Retry from {names.get(failedStep.node) ?? failedStep.node}</button>}
        </div>
      )}

      <section className={styles.card} aria-labelledby="timeline-title">
        <div className={styles.cardHead}>
          <h2 id="timeline-title">Timeline</h2>
          <div className={styles.legend}>
            <span><i className={styles.swatch} style={{ background: "var(--success)" }} /> succeeded</span>
            <span><i className={styles.swatch} style={{ background: "var(--danger)" }} /> failed</span>
            <span><i className={styles.swatch} style={{ background: "var(--accent)" }} /> running</span>
            <span><i className={styles.swatch} style={{ background: "var(--warning)" }} /> waiting</span>
            <span><i className={styles.swatch} style={{ boxShadow: "0 0 0 2px var(--critical)", background: "transparent" }} /> critical path</span>
            <span><i className={styles.swatch} style={{ border: "1px dashed var(--text-muted)" }} /> kept from the retried run</span>
          </div>
        </div>
        {timeline.bars.length === 0 ? (
          <p className={styles.muted} style={{ margin: 0 }}>{open ? "No step has started yet." : "No step ran."}</p>
        ) : (
          <div className={styles.timeline} data-testid="timeline" role="group" aria-label={`Steps on a time axis of ${formatDuration(timeline.span)}; critical path: ${timeline.criticalPath.join(" → ")}`}>
            <div className={styles.axis} aria-hidden>
              {ticks.map((t) => (
                <div key={t} className={styles.tick} style={{ left: `${(t / timeline.span) * 100}%` }}>
                  {t / timeline.span < 0.94 && <span>{formatDuration(t)}</span>}
                </div>
              ))}
              {open && <div className={styles.nowLine} style={{ left: "100%" }} />}
            </div>
            {Array.from({ length: timeline.lanes }, (_, lane) => (
              <div key={lane} className={styles.lane}>
                {timeline.bars.filter((b) => b.lane === lane).map((b) => {
                  const [bar, bg] = BAR_COLORS[b.status] ?? ["var(--text-faint)", "var(--bg-active)"];
                  const left = (b.start / timeline.span) * 100;
                  const width = ((b.end - b.start) / timeline.span) * 100;
                  // The button holds the bar and its label: after the bar, or before it when
                  // there is no room left on the axis.
                  const flip = labelBefore(left, LABEL_PERCENT, 100);
                  const boxLeft = flip ? Math.max(0, left - LABEL_PERCENT) : left;
                  const boxWidth = flip ? left + width - boxLeft : Math.max(width, LABEL_PERCENT);
                  const label = names.get(b.node) ?? b.node;
                  const stepAttempts = attempts.get(b.node) ?? [];
                  const d = b.reused ? "kept" : formatDuration(b.end - b.start);
                  return (
                    <button
                      key={b.node}
                      className={styles.barBtn}
                      style={{ left: `${boxLeft}%`, width: `${boxWidth}%`, "--bar": bar, "--bar-bg": bg } as CSSProperties}
                      data-critical={b.critical}
                      data-open={b.open}
                      data-reused={b.reused}
                      data-testid={`bar-${b.node}`}
                      aria-pressed={current?.node === b.node}
                      aria-label={`${label}: ${b.status}, ${b.reused ? "kept from the retried run" : `${formatDuration(b.end - b.start)} from ${formatDuration(b.start)}`}${b.critical ? ", on the critical path" : ""}`}
                      title={`${label} (${b.status}) ${d}`}
                      onClick={() => selectStep(b.node)}
                    >
                      <span className={styles.fill} style={{ left: `${((left - boxLeft) / boxWidth) * 100}%`, width: `${(width / boxWidth) * 100}%` }}>
                        {stepAttempts.length > 1 && !b.reused && b.end > b.start && stepAttempts.map((a) => {
                          const s = a.startedAt ? parseTime(a.startedAt) : NaN;
                          const e = a.finishedAt ? parseTime(a.finishedAt) : now;
                          const t0 = parseTime(run.startedAt ?? run.createdAt) + b.start;
                          if (Number.isNaN(s)) return null;
                          return (
                            <span
                              key={a.attempt}
                              data-attempt={a.attempt}
                              title={`attempt ${a.attempt}: ${a.status}`}
                              className={`${styles.attemptSeg} ${a.status === "retried" ? styles.attemptRetried : ""}`}
                              style={{ marginLeft: 0, width: `${Math.max(0, ((e - s) / (b.end - b.start)) * 100)}%`, flex: "none", position: "absolute", left: `${Math.max(0, ((s - t0) / (b.end - b.start)) * 100)}%` }}
                            />
                          );
                        })}
                      </span>
                      <span className={styles.barLabel} style={flip ? { width: `${((left - boxLeft) / boxWidth) * 100}%`, textAlign: "right", paddingRight: 6 } : undefined}>
                        {label}
                        <small>{d}</small>
                      </span>
                    </button>
                  );
                })}
              </div>
            ))}
          </div>
        )}
        {timeline.criticalPath.length > 1 && (
          <p className={styles.notStarted} data-testid="critical-path">
            <span>Critical path:</span>
            <span>{timeline.criticalPath.map((n) => names.get(n) ?? n).join(" → ")}</span>
            <span className={styles.mono}>
              ({formatDuration(criticalBusy(timeline))} of work in {formatDuration(timeline.span)})
            </span>
          </p>
        )}
        {timeline.notStarted.length > 0 && (
          <div className={styles.notStarted}>
            <span>{open ? "Not started yet:" : "Did not run:"}</span>
            {timeline.notStarted.map((s) => (
              <button key={s.node} className={styles.chip} aria-pressed={current?.node === s.node} onClick={() => selectStep(s.node)}>
                {names.get(s.node) ?? s.node}
              </button>
            ))}
          </div>
        )}
      </section>

      <div className={styles.columns}>
        {current ? (
          <StepPanel
            key={current.node}
            run={run}
            step={current}
            name={names.get(current.node) ?? current.node}
            attempts={attempts.get(current.node) ?? []}
            input={stepInput(current.node, steps, edges, run.input)}
            progress={progress[current.node]}
            onChanged={() => void load()}
            onRetry={() => setRetryOpen(true)}
            now={now}
          />
        ) : (
          <section className={styles.card}><p className={styles.muted}>This run has no steps.</p></section>
        )}
        <RunData key={run.status} run={run} />
      </div>

      {confirm === "cancel" && (
        <ConfirmDialog
          title="Cancel this run?"
          body="Running steps are stopped and nothing new starts. A cancelled run can be retried later."
          action="Cancel run"
          keep="Keep running"
          onConfirm={() => void control("cancel")}
          onClose={() => setConfirm(null)}
        />
      )}
      {retryOpen && (
        <RetryDialog
          run={run}
          failedStep={failedStep ? names.get(failedStep.node) ?? failedStep.node : null}
          version={doc?.version ?? null}
          onClose={() => setRetryOpen(false)}
          onRetried={(id) => {
            setRetryOpen(false);
            navigate(`/executions/${id}`);
          }}
        />
      )}
    </div>
  );
}

function RunData({ run }: { run: Run }) {
  const [tab, setTab] = useState<"input" | "output" | "error">(run.error ? "error" : run.output != null ? "output" : "input");
  const tabs: ["input" | "output" | "error", string][] = [["input", "Input"], ["output", "Output"]];
  if (run.error) tabs.push(["error", "Error"]);
  return (
    <section className={styles.card} aria-labelledby="run-data-title">
      <div className={styles.cardHead}><h2 id="run-data-title">Run data</h2></div>
      <div className={styles.tabs} role="tablist" aria-label="Run data">
        {tabs.map(([k, label]) => (
          <button key={k} role="tab" id={`run-tab-${k}`} aria-controls="run-tabpanel" aria-selected={tab === k} className={styles.tab} onClick={() => setTab(k)}>{label}</button>
        ))}
      </div>
      <div role="tabpanel" id="run-tabpanel" aria-labelledby={`run-tab-${tab}`}>
        {tab === "input" && <DataView value={run.input} label="Run input" />}
        {tab === "output" && <DataView value={run.output} label="Run output" empty={isTerminal(run.status) ? "No output: the run did not succeed." : "No output yet."} />}
        {tab === "error" && <JsonText value={run.error} />}
      </div>
    </section>
  );
}

type StepTab = "output" | "input" | "attempts" | "logs";

const NO_OUTPUT: Record<string, string> = {
  failed: "No output: the step failed.",
  succeeded: "No output: no port was taken.",
  cancelled: "No output: the step was stopped when the run was cancelled.",
  interrupted: "No output: the step was stopped when the run ended.",
  "not run": "No output: the step did not run.",
};

function StepPanel(props: {
  run: Run;
  step: StepView;
  name: string;
  attempts: Attempt[];
  input: Record<string, unknown[]>;
  progress: string | undefined;
  onChanged(): void;
  onRetry(): void;
  now: number;
}) {
  const { run, step, name, attempts, input, progress, now } = props;
  const [tab, setTab] = useState<StepTab>(step.status === "failed" ? "attempts" : "output");
  const output = outputByPort(step);
  const outPorts = Object.keys(output);
  const inPorts = Object.keys(input);
  const [outPort, setOutPort] = useState(outPorts[0] ?? "main");
  const [inPort, setInPort] = useState(inPorts[0] ?? "main");
  const logs = step.logs ?? [];
  // An attempt still open in the journal of a finished run was stopped with the run.
  const stopped: "cancelled" | "interrupted" | null = step.status === "cancelled" || step.status === "interrupted" ? step.status : null;
  const settled = stopped
    ? attempts.map((a) => (a.finishedAt === null ? { ...a, status: stopped, finishedAt: step.finishedAt } : a))
    : attempts;
  const shownAttempts: Attempt[] = settled.length > 0 ? settled : step.attempts > 0
    ? [{ attempt: step.attempts, status: step.status === "succeeded" ? "succeeded" : step.status === "failed" ? "failed" : "running", startedAt: step.startedAt, finishedAt: step.finishedAt, ...(step.error ? { error: step.error } : {}) }]
    : [];
  const reused = step.startedAt !== null && parseTime(step.startedAt) < parseTime(run.startedAt ?? run.createdAt);
  const tabs: [StepTab, string][] = [
    ["output", "Output"],
    ["input", "Input"],
    ["attempts", `Attempts (${shownAttempts.length})`],
    ["logs", `Logs (${logs.length})`],
  ];
  return (
    <section className={styles.card} aria-labelledby="step-title" data-testid="step-panel">
      <div className={styles.stepTitle}>
        <h2 id="step-title">{name}</h2>
        <StatusBadge status={step.status} testId="step-status" />
        <span className={styles.type}>{step.node !== name ? `${step.node} · ` : ""}{step.nodeType}</span>
        <span className={styles.muted} style={{ marginLeft: "auto" }}>
          {reused ? "kept from the retried run" : step.startedAt ? formatDuration(durationMs(shownAttempts[0]?.startedAt ?? step.startedAt, step.finishedAt, now)) : ""}
          {!reused && shownAttempts.length > 1 ? ` over ${shownAttempts.length} attempts` : ""}
        </span>
      </div>
      {step.error && (
        <div className={styles.errorBox} role="alert">
          <strong>{step.error.code}{step.error.kind ? ` · ${step.error.kind}` : ""}</strong>
          <p>{step.error.message}</p>
          {isTerminal(run.status) && step.status === "failed" && (
            <div><button className="btn btn-sm" onClick={props.onRetry}><Icon name="redo" size={13} /> Retry from this step…</button></div>
          )}
        </div>
      )}
      {step.status === "awaiting" && <ApprovalBox runId={run.id} step={step} name={name} onDecided={props.onChanged} />}
      {step.status === "sleeping" && <WaitBox runId={run.id} step={step} onDone={props.onChanged} />}
      {progress && step.status === "running" && <pre className={styles.logs} aria-live="polite">{progress}</pre>}
      <div className={styles.tabs} role="tablist" aria-label="Step details">
        {tabs.map(([k, label]) => (
          <button key={k} role="tab" id={`step-tab-${k}`} aria-controls="step-tabpanel" aria-selected={tab === k} className={styles.tab} onClick={() => setTab(k)}>{label}</button>
        ))}
      </div>
      <div role="tabpanel" id="step-tabpanel" aria-labelledby={`step-tab-${tab}`}>
        {tab === "output" && (
          outPorts.length === 0 ? (
            <p className={styles.muted}>{NO_OUTPUT[step.status] ?? "No output yet."}</p>
          ) : (
            <>
              {outPorts.length > 1 && <PortPicker label="Output port" ports={outPorts} value={outPort} onChange={setOutPort} />}
              <DataView key={`out-${outPort}`} value={output[outPort] ?? output[outPorts[0] as string]} label="Step output" />
            </>
          )
        )}
        {tab === "input" && (
          inPorts.length === 0 ? (
            <p className={styles.muted}>Nothing arrived: the steps before it did not emit on the connected ports.</p>
          ) : (
            <>
              {inPorts.length > 1 && <PortPicker label="Input port" ports={inPorts} value={inPort} onChange={setInPort} />}
              <DataView key={`in-${inPort}`} value={input[inPort] ?? input[inPorts[0] as string]} label="Step input" />
            </>
          )
        )}
        {tab === "attempts" && (
          shownAttempts.length === 0 ? <p className={styles.muted}>No attempt yet.</p> : (
            <table className={styles.attempts} data-testid="attempts">
              <thead><tr><th scope="col">#</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Error</th></tr></thead>
              <tbody>
                {shownAttempts.map((a) => (
                  <tr key={a.attempt}>
                    <td>{a.attempt}</td>
                    <td><StatusBadge status={a.status} /></td>
                    <td className={styles.muted}>{a.startedAt ? new Date(a.startedAt).toLocaleTimeString() : "—"}</td>
                    <td className={styles.mono}>{a.startedAt ? formatDuration(durationMs(a.startedAt, a.finishedAt, now)) : "—"}</td>
                    <td>
                      {a.error ? <><span className={styles.mono}>{a.error.code}</span>: {a.error.message}</> : ""}
                      {a.retryAt && <div className={styles.muted}>retried at {new Date(a.retryAt).toLocaleTimeString()}</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        )}
        {tab === "logs" && (
          logs.length === 0 ? <p className={styles.muted}>No log lines.</p> : (
            <ol className={styles.logs}>
              {logs.map((l, i) => (
                <li key={i}>
                  <time dateTime={new Date(l.at_ms).toISOString()}>{new Date(l.at_ms).toLocaleTimeString()}</time>
                  <span className={styles.level} data-level={l.level}>{l.level}</span>
                  <span>{l.message}</span>
                </li>
              ))}
            </ol>
          )
        )}
      </div>
    </section>
  );
}

function PortPicker({ label, ports, value, onChange }: { label: string; ports: string[]; value: string; onChange(p: string): void }) {
  return (
    <label className={styles.portPick}>
      {label}
      <select className="select" style={{ width: 160, height: 26 }} value={value} onChange={(e) => onChange(e.target.value)}>
        {ports.map((p) => <option key={p} value={p}>{p}</option>)}
      </select>
    </label>
  );
}

function ApprovalBox({ runId, step, name, onDecided }: { runId: string; step: StepView; name: string; onDecided(): void }) {
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirmReject, setConfirmReject] = useState(false);
  const request = (step.awaiting ?? {}) as { message?: string; details?: unknown };
  async function decide(how: "approve" | "reject") {
    setConfirmReject(false);
    setBusy(true);
    try {
      const path = how === "approve" ? "/api/v1/runs/{id}/steps/{node}/approve" : "/api/v1/runs/{id}/steps/{node}/reject";
      const body = comment.trim() ? { comment: comment.trim() } : {};
      const r = await call(api.POST(path, { params: { path: { id: runId, node: step.node } }, body }));
      toastSuccess(`${name} ${r.decision}`, `by ${r.by}`);
      onDecided();
    } catch (e) {
      toastError(`Could not ${how}`, e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className={styles.approval} data-testid="approval">
      <h3><Icon name="warning" size={14} /> Waiting for a decision</h3>
      <p style={{ margin: 0 }}>{request.message ?? "Approve or reject this step."}</p>
      {request.details !== undefined && request.details !== null && <JsonText value={request.details} />}
      {step.wakeAt && <p className={styles.muted} style={{ margin: 0 }}>Decided automatically at {new Date(step.wakeAt).toLocaleString()} if nobody decides.</p>}
      <div className="field">
        <label htmlFor="decision-comment">Comment (optional)</label>
        <textarea id="decision-comment" className="textarea" maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} />
      </div>
      <div className={styles.row2}>
        <button className="btn btn-danger" disabled={busy} onClick={() => setConfirmReject(true)}>Reject</button>
        <button className="btn btn-primary" disabled={busy} onClick={() => void decide("approve")}><Icon name="check" size={14} /> Approve</button>
      </div>
      {confirmReject && (
        <ConfirmDialog
          title={`Reject “${name}”?`}
          body="Its items leave through the rejected port; this cannot be undone."
          action="Reject"
          keep="Back"
          onConfirm={() => void decide("reject")}
          onClose={() => setConfirmReject(false)}
        />
      )}
    </div>
  );
}

function WaitBox({ runId, step, onDone }: { runId: string; step: StepView; onDone(): void }) {
  const [busy, setBusy] = useState(false);
  async function resume() {
    setBusy(true);
    try {
      await call(api.POST("/api/v1/runs/{id}/steps/{node}/resume", { params: { path: { id: runId, node: step.node } } }));
      toastSuccess("Timer ended");
      onDone();
    } catch (e) {
      toastError("Could not end the timer", e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className={styles.approval}>
      <p style={{ margin: 0 }}>Sleeping until {step.wakeAt ? new Date(step.wakeAt).toLocaleString() : "its timer fires"}.</p>
      <div className={styles.row2}><button className="btn btn-sm" disabled={busy} onClick={() => void resume()}>Continue now</button></div>
    </div>
  );
}

function ConfirmDialog(props: { title: string; body: string; action: string; keep: string; onConfirm(): void; onClose(): void }) {
  return (
    <div className="dialog-backdrop" onClick={props.onClose}>
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-body" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.key === "Escape" && props.onClose()}>
        <div className="dialog-header"><h2 id="confirm-title">{props.title}</h2></div>
        <div className="dialog-body" id="confirm-body">{props.body}</div>
        <div className="dialog-footer">
          <button className="btn" onClick={props.onClose} autoFocus>{props.keep}</button>
          <button className="btn btn-primary" onClick={props.onConfirm}>{props.action}</button>
        </div>
      </div>
    </div>
  );
}

function RetryDialog(props: { run: Run; failedStep: string | null; version: number | null; onClose(): void; onRetried(id: string): void }) {
  const { run } = props;
  const [mode, setMode] = useState<"fromFailure" | "whole">(props.failedStep ? "fromFailure" : "whole");
  const [version, setVersion] = useState<"same" | "latest">("same");
  const [latest, setLatest] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!run.workflowId) return;
    call(api.GET("/api/v1/workflows/{id}", { params: { path: { id: run.workflowId } } }))
      .then((w) => setLatest(w.latestVersion))
      .catch(() => setLatest(null));
  }, [run.workflowId]);
  async function retry() {
    setBusy(true);
    setError(null);
    try {
      const r = await call(api.POST("/api/v1/runs/{id}/retry", { params: { path: { id: run.id } }, body: { mode, version } }));
      toastSuccess("Retry started", `run ${r.id.slice(0, 8)}`);
      props.onRetried(r.id);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      toastError("Could not retry", e);
      setBusy(false);
    }
  }
  return (
    <div className="dialog-backdrop" onClick={props.onClose}>
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="retry-title"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.key === "Escape" && props.onClose()}
        onSubmit={(e) => {
          e.preventDefault();
          void retry();
        }}
      >
        <div className="dialog-header"><h2 id="retry-title">Retry this run</h2></div>
        <div className="dialog-body">
          <fieldset className={styles.radio}>
            <legend>What runs again</legend>
            <label>
              <input type="radio" name="mode" checked={mode === "fromFailure"} onChange={() => setMode("fromFailure")} disabled={run.status === "succeeded"} autoFocus={mode === "fromFailure"} />
              <span>From the failed step{props.failedStep ? ` (${props.failedStep})` : ""}<small>Steps that succeeded keep their results; the failed ones and everything after them run again.</small></span>
            </label>
            <label>
              <input type="radio" name="mode" checked={mode === "whole"} onChange={() => setMode("whole")} autoFocus={mode === "whole"} />
              <span>The whole run<small>Every step runs again with the same input.</small></span>
            </label>
          </fieldset>
          <fieldset className={styles.radio}>
            <legend>Workflow version</legend>
            <label>
              <input type="radio" name="version" checked={version === "same"} onChange={() => setVersion("same")} />
              <span>The same version{props.version ? ` (v${props.version})` : ""}<small>Exactly what this run executed.</small></span>
            </label>
            <label>
              <input type="radio" name="version" checked={version === "latest"} onChange={() => setVersion("latest")} disabled={!run.workflowId} />
              <span>The newest version{latest ? ` (v${latest})` : ""}<small>With the fixes saved since; steps that changed run again.</small></span>
            </label>
          </fieldset>
          {error && <div className="error-text" role="alert">{error}</div>}
        </div>
        <div className="dialog-footer">
          <button type="button" className="btn" onClick={props.onClose}>Cancel</button>
          <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? <span className="spinner" /> : <Icon name="redo" size={13} />} Retry</button>
        </div>
      </form>
    </div>
  );
}
