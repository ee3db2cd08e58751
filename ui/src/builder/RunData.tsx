// The selected node's data in the current test run: status and duration, its input and its
// output (JSON, or a table for arrays of objects), the error with its details, logs; and its
// pinned output (pin the last output, edit the pin as JSON, unpin).
import { useMemo, useState } from "react";
import { Icon } from "../components/Icon";
import {
  type PinnedOutput, cellText, formatDuration, inputOf, outputPorts, parsePin, pinFromOutput, toTable,
} from "../lib/runState";
import { useEditor } from "../stores/editor";
import { useTestRun } from "../stores/testRun";
import styles from "./RunData.module.css";

function Items({ label, items, testid }: { label: string; items: unknown; testid: string }) {
  const table = useMemo(() => toTable(items), [items]);
  const [view, setView] = useState<"table" | "json">(table ? "table" : "json");
  const shown = view === "table" && table ? "table" : "json";
  const count = Array.isArray(items) ? items.length : undefined;
  return (
    <div className={styles.section} data-testid={testid}>
      <h4>
        {label} {count !== undefined && <span className="count">{count} item{count === 1 ? "" : "s"}</span>}
        <span className={styles.views} role="group" aria-label={`${label} view`}>
          <button aria-pressed={shown === "table"} disabled={!table} onClick={() => setView("table")}>Table</button>
          <button aria-pressed={shown === "json"} onClick={() => setView("json")}>JSON</button>
        </span>
      </h4>
      {shown === "table" && table ? (
        <div className={styles.tableWrap}>
          <table className={styles.table} data-testid={`${testid}-table`}>
            <thead><tr><th>#</th>{table.columns.map((c) => <th key={c}>{c}</th>)}</tr></thead>
            <tbody>
              {table.rows.slice(0, 200).map((r, i) => (
                <tr key={i}><td className={styles.num}>{i}</td>{r.map((v, j) => <td key={j} title={cellText(v)}>{cellText(v)}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <pre className={styles.json} data-testid={`${testid}-json`}>{JSON.stringify(items, null, 2)}</pre>
      )}
    </div>
  );
}

function PinEditor({ id, pin }: { id: string; pin: PinnedOutput | undefined }) {
  const setPin = useEditor((s) => s.setPin);
  const [text, setText] = useState(pin ? JSON.stringify(pin, null, 2) : "[\n  {}\n]");
  const [error, setError] = useState<string | null>(null);
  return (
    <div className={styles.pinBox}>
      <label className="field-label" htmlFor={`pin-${id}`}>Pinned output (JSON: items, or ports to items)</label>
      <textarea id={`pin-${id}`} className="textarea" rows={6} value={text} aria-invalid={!!error} onChange={(e) => { setText(e.target.value); setError(null); }} style={{ fontFamily: "var(--font-mono)", fontSize: "var(--fs-xs)" }} />
      {error && <span className="error-text" role="alert">{error}</span>}
      <div className={styles.pinRow}>
        <button className="btn btn-sm btn-primary" onClick={() => {
          const p = parsePin(text);
          if (!p.ok) setError(p.error);
          else setPin(id, p.value);
        }}>{pin ? "Update pin" : "Pin this data"}</button>
      </div>
    </div>
  );
}

export function RunData({ id }: { id: string }) {
  const state = useTestRun((s) => s.run.steps[id]);
  const runStatus = useTestRun((s) => s.run.status);
  const runInput = useTestRun((s) => s.runInput);
  const steps = useTestRun((s) => s.run.steps);
  const edges = useEditor((s) => s.edges);
  const pin = useEditor((s) => s.pins[id]);
  const setPin = useEditor((s) => s.setPin);
  const [editing, setEditing] = useState(false);
  const isEntry = useMemo(() => !edges.some((e) => e.target === id && !e.source.startsWith("trigger:")), [edges, id]);
  const input = useMemo(() => (state && state.status !== "queued" ? inputOf(id, edges, steps, runInput, isEntry) : undefined), [state, id, edges, steps, runInput, isEntry]);
  const ports = outputPorts(state?.output);
  const lastOutput = pinFromOutput(state?.output);

  return (
    <div className={styles.wrap} data-testid="run-data">
      <div className={styles.pinRow}>
        {pin ? (
          <>
            <span className="badge badge-accent"><Icon name="pin" size={11} /> Output pinned</span>
            <button className="btn btn-sm" onClick={() => setEditing((e) => !e)}>{editing ? "Close editor" : "Edit pin"}</button>
            <button className="btn btn-sm" onClick={() => setPin(id, null)}>Unpin</button>
          </>
        ) : (
          <>
            <button className="btn btn-sm" disabled={!lastOutput || state?.status !== "succeeded"} title="Later test runs use this output instead of running the node" onClick={() => lastOutput && setPin(id, lastOutput)}>
              <Icon name="pin" size={12} /> Pin output
            </button>
            <button className="btn btn-sm btn-ghost" onClick={() => setEditing((e) => !e)}>{editing ? "Close editor" : "Pin custom data…"}</button>
          </>
        )}
      </div>
      {editing && <PinEditor key={JSON.stringify(pin ?? null)} id={id} pin={pin} />}
      {pin && !editing && <p className="hint">Test runs use the pinned output instead of running this node. Production runs (webhooks, schedules) always run it.</p>}

      {!state || runStatus === "idle" ? (
        <p className="hint">No test run yet. Use <b>Test workflow</b> in the toolbar: each node's input and output show here.</p>
      ) : (
        <>
          <div className={styles.status} data-testid="run-data-status">
            <span className={`badge ${state.status === "succeeded" ? "badge-success" : state.status === "failed" ? "badge-danger" : state.status === "waiting" ? "badge-warning" : ""}`}>{state.status}</span>
            {state.pinned && <span className="badge badge-accent">pinned data</span>}
            {state.durationMs !== undefined && <span>{formatDuration(state.durationMs)}</span>}
            {state.attempt > 1 && <span>attempt {state.attempt}</span>}
          </div>
          {state.error && (
            <div className={styles.error} role="alert" data-testid="run-error">
              <span className={styles.errorCode}>{state.error.code}{state.error.kind ? ` · ${state.error.kind}` : ""}</span>
              <span className={styles.errorMsg}>{state.error.message}</span>
              {state.error.details !== undefined && state.error.details !== null && (
                <pre className={styles.json}>{JSON.stringify(state.error.details, null, 2)}</pre>
              )}
            </div>
          )}
          {state.retried.length > 0 && (
            <div className={styles.section}>
              <h4>Retried attempts</h4>
              <ul className={styles.logs}>{state.retried.map((e, i) => <li key={i}>{e?.code}: {e?.message}</li>)}</ul>
            </div>
          )}
          {input !== undefined && <Items label="Input" items={input} testid="run-input" />}
          {ports.length === 1 && ports[0] ? (
            <Items label={ports[0].port === "main" ? "Output" : `Output · ${ports[0].port}`} items={ports[0].items} testid="run-output" />
          ) : ports.length > 1 ? (
            ports.map((p) => <Items key={p.port} label={`Output · ${p.port}`} items={p.items} testid={`run-output-${p.port}`} />)
          ) : state.status === "succeeded" ? <p className="hint">No output port was taken.</p> : null}
          {state.logs.length > 0 && (
            <div className={styles.section}>
              <h4>Logs</h4>
              <ul className={styles.logs}>{state.logs.map((l, i) => <li key={i}>[{l.level}] {l.message}</li>)}</ul>
            </div>
          )}
        </>
      )}
    </div>
  );
}
