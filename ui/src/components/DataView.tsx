// Shows a JSON value two ways: as highlighted JSON, and as a table when it is an array of
// objects (run and step input and output are usually arrays of items).
import { type ReactNode, useMemo, useState } from "react";
import { cellText, inferTable, statusTone } from "../lib/runs";
import styles from "./DataView.module.css";

const MAX_JSON_CHARS = 200_000;
const MAX_ROWS = 500;

export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  const tone = statusTone(status);
  const cls = tone === "neutral" ? "badge" : `badge badge-${tone}`;
  return (
    <span className={`${cls} ${styles.status}`} data-status={status} data-testid={testId}>
      <span className={styles.dot} aria-hidden />
      {status}
    </span>
  );
}

const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/** JSON text with keys, strings, numbers and literals coloured. */
export function JsonText({ value }: { value: unknown }) {
  const parts = useMemo(() => {
    let text = JSON.stringify(value, null, 2) ?? "undefined";
    const cut = text.length > MAX_JSON_CHARS;
    if (cut) text = text.slice(0, MAX_JSON_CHARS);
    const out: ReactNode[] = [];
    let last = 0;
    let i = 0;
    for (const m of text.matchAll(TOKEN)) {
      const at = m.index ?? 0;
      if (at > last) out.push(text.slice(last, at));
      const cls = m[1] !== undefined ? (m[2] !== undefined ? styles.key : styles.string) : m[3] !== undefined ? styles.literal : styles.number;
      out.push(<span key={i++} className={cls}>{m[1] !== undefined ? m[1] : m[0]}</span>);
      if (m[2] !== undefined) out.push(m[2]);
      last = at + m[0].length;
    }
    if (last < text.length) out.push(text.slice(last));
    if (cut) out.push(`\n… (cut at ${MAX_JSON_CHARS.toLocaleString()} characters)`);
    return out;
  }, [value]);
  return <pre className={styles.json} data-testid="json-view">{parts}</pre>;
}

export function TableView({ value }: { value: unknown }) {
  const table = inferTable(value);
  if (!table) return <p className={styles.note}>No table view: this is not a list of objects.</p>;
  if (table.rows.length === 0) return <p className={styles.note}>No items.</p>;
  const rows = table.rows.slice(0, MAX_ROWS);
  return (
    <div className={styles.tableWrap}>
      <table className={styles.table} data-testid="table-view">
        <thead>
          <tr>
            <th scope="col" className={styles.index}>#</th>
            {table.columns.map((c) => <th key={c} scope="col">{c}</th>)}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              <td className={styles.index}>{i + 1}</td>
              {table.columns.map((c) => {
                const v = row[c];
                return (
                  <td key={c} className={typeof v === "number" ? styles.num : typeof v === "object" && v !== null ? styles.nested : undefined} title={typeof v === "object" && v !== null ? JSON.stringify(v) : undefined}>
                    {cellText(v)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {table.rows.length > MAX_ROWS && <p className={styles.note}>Showing {MAX_ROWS} of {table.rows.length} items.</p>}
    </div>
  );
}

/** A value with a JSON / Table switch (Table is offered for arrays of objects). */
export function DataView({ value, label, empty = "Nothing here." }: { value: unknown; label: string; empty?: string }) {
  const tableable = inferTable(value) !== null;
  const [mode, setMode] = useState<"json" | "table">("json");
  const shown = tableable ? mode : "json";
  if (value === undefined || value === null) return <p className={styles.note}>{empty}</p>;
  const count = Array.isArray(value) ? `${value.length} item${value.length === 1 ? "" : "s"}` : null;
  return (
    <div className={styles.view}>
      <div className={styles.bar}>
        {count && <span className={styles.count}>{count}</span>}
        <div className={styles.switch} role="group" aria-label={`${label}: view as`}>
          <button type="button" aria-pressed={shown === "json"} onClick={() => setMode("json")}>JSON</button>
          <button type="button" aria-pressed={shown === "table"} disabled={!tableable} title={tableable ? undefined : "Only lists of objects have a table view"} onClick={() => setMode("table")}>Table</button>
        </div>
      </div>
      {shown === "json" ? <JsonText value={value} /> : <TableView value={value} />}
    </div>
  );
}
