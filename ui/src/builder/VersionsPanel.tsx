// The versions drawer: history (number, message, author, time), publish state, compare two
// versions on the canvas, restore (rollback creates a new version), publish a version.
import { useEffect, useState } from "react";
import { Icon } from "../components/Icon";
import type { NodeDiff, ValueChange } from "../lib/versionDiff";
import { describeSummary } from "../lib/versionDiff";
import { useEditor } from "../stores/editor";
import { useSession } from "../stores/session";
import { useVersions } from "../stores/versions";
import styles from "./VersionsPanel.module.css";

function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function short(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? "undefined";
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}

export function VersionsPanel() {
  const items = useVersions((s) => s.items);
  const loading = useVersions((s) => s.loading);
  const error = useVersions((s) => s.error);
  const diff = useVersions((s) => s.diff);
  const versions = useVersions.getState;
  const workflow = useEditor((s) => s.workflow);
  const dirty = useEditor((s) => s.dirty);
  const me = useSession((s) => s.me);
  const author = (id: string) => (me && id === me.userId ? `${me.name || me.email} (you)` : id);
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);

  // Default comparison: the newest against the one before it.
  useEffect(() => {
    if (items.length >= 2 && (from === null || to === null)) {
      setTo(items[0]?.number ?? null);
      setFrom(items[1]?.number ?? null);
    }
  }, [items, from, to]);

  if (diff) return <DiffPanel />;
  const published = workflow?.publishedVersion ?? null;
  return (
    <aside className={styles.panel} aria-label="Versions" data-testid="versions-panel">
      <div className={styles.head}>
        <div className={styles.headRow}>
          <h3>Versions</h3>
          <button className="icon-btn" aria-label="Close versions" onClick={() => versions().setOpen(false)}><Icon name="close" size={14} /></button>
        </div>
        <div className={styles.publishState} data-testid="publish-state">
          {published != null ? (
            <>
              <span className="badge badge-success">Published v{published}</span>
              <span>live: webhooks, schedules, triggers</span>
              <button className="btn btn-sm" onClick={() => void versions().unpublish()}>Unpublish</button>
            </>
          ) : (
            <>
              <span className="badge">Not published</span>
              <span>triggers are off</span>
            </>
          )}
        </div>
      </div>
      {error && <p className="error-text" role="alert" style={{ padding: "0 12px" }}>{error}</p>}
      {loading && items.length === 0 ? <div className="empty"><span className="spinner" /></div> : (
        <ol className={styles.list} aria-label="Version history">
          {items.map((v, i) => (
            <li key={v.number} className={styles.item} data-testid={`version-${v.number}`} data-picked={v.number === from || v.number === to}>
              <div className={styles.itemHead}>
                <span className={styles.number}>v{v.number}</span>
                {i === 0 && <span className="badge badge-accent">current</span>}
                {v.number === published && <span className="badge badge-success">published</span>}
                <span className={styles.meta} style={{ marginLeft: "auto" }}>{when(v.createdAt)}</span>
              </div>
              <div className={styles.message}>{v.message}</div>
              <div className={styles.meta} title={v.author}>by {author(v.author)}</div>
              <div className={styles.actions}>
                {i + 1 < items.length && (
                  <button className="btn btn-sm" onClick={() => void versions().compare(items[i + 1]!.number, v.number)} aria-label={`Compare v${v.number} with the version before`}>
                    Changes
                  </button>
                )}
                {i > 0 && (
                  <button className="btn btn-sm" aria-label={`Restore v${v.number}`}
                    onClick={() => {
                      if (dirty && !window.confirm("Restoring discards your unsaved changes. Continue?")) return;
                      void versions().rollback(v.number);
                    }}>
                    Restore
                  </button>
                )}
                {v.number !== published && (
                  <button className="btn btn-sm" aria-label={`Publish v${v.number}`} onClick={() => void versions().publish(v.number)}>Publish</button>
                )}
              </div>
            </li>
          ))}
        </ol>
      )}
      {items.length >= 2 && (
        <div className={styles.compareBar}>
          <select className="select" aria-label="Compare from" value={from ?? ""} onChange={(e) => setFrom(Number(e.target.value))}>
            {items.map((v) => <option key={v.number} value={v.number}>v{v.number}</option>)}
          </select>
          <span>→</span>
          <select className="select" aria-label="Compare to" value={to ?? ""} onChange={(e) => setTo(Number(e.target.value))}>
            {items.map((v) => <option key={v.number} value={v.number}>v{v.number}</option>)}
          </select>
          <button className="btn btn-sm btn-primary" disabled={from === null || to === null || from === to} onClick={() => from !== null && to !== null && void versions().compare(from, to)}>
            Compare
          </button>
        </div>
      )}
    </aside>
  );
}

function ChangeList({ changes }: { changes: ValueChange[] }) {
  return (
    <ul className={styles.params}>
      {changes.map((c) => (
        <li key={c.path}>
          <code className={styles.path}>{c.path || "/"}</code>{" "}
          {c.kind !== "added" && <code className={styles.before}>{short(c.before)}</code>}{" "}
          {c.kind !== "removed" && <code className={styles.after}>{short(c.after)}</code>}
        </li>
      ))}
    </ul>
  );
}

function DiffPanel() {
  const diff = useVersions((s) => s.diff)!;
  const exit = useVersions((s) => s.exitDiff);
  const focused = useVersions((s) => s.focused);
  const flow = useVersions((s) => s.flow);
  useEffect(() => {
    if (focused) document.querySelector(`[data-testid="diff-change-${CSS.escape(focused)}"]`)?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }, [focused]);
  const d = diff.diff;
  const focus = (n: NodeDiff) => {
    useVersions.getState().focus(n.id);
    void flow?.setCenter(n.position.x + 110, n.position.y + 40, { zoom: 1, duration: 250 });
  };
  const groups: [string, NodeDiff[]][] = [
    ["Changed", d.nodes.filter((n) => n.status === "changed")],
    ["Added", d.nodes.filter((n) => n.status === "added")],
    ["Removed", d.nodes.filter((n) => n.status === "removed")],
  ];
  return (
    <aside className={styles.panel} aria-label="Changes between versions" data-testid="diff-panel">
      <div className={styles.head}>
        <div className={styles.headRow}>
          <h3>v{diff.from} → v{diff.to}</h3>
          <button className="btn btn-sm" onClick={exit} aria-label="Exit the comparison">Back to editing</button>
        </div>
        <div className={styles.publishState} data-testid="diff-summary">{describeSummary(d.summary)}</div>
        <div className={styles.legend}>
          <span><span className={`${styles.sw} ${styles.swAdded}`} />added</span>
          <span><span className={`${styles.sw} ${styles.swRemoved}`} />removed</span>
          <span><span className={`${styles.sw} ${styles.swChanged}`} />changed</span>
        </div>
      </div>
      <div className={styles.diffBody}>
        {d.workflow.length > 0 && (
          <div className={styles.group}>
            <h4>Workflow</h4>
            <div className={styles.change} data-status="changed"><ChangeList changes={d.workflow} /></div>
          </div>
        )}
        {groups.map(([title, list]) => list.length > 0 && (
          <div key={title} className={styles.group}>
            <h4>{title} ({list.length})</h4>
            {list.map((n) => (
              <button key={n.id} className={styles.change} data-status={n.status} data-testid={`diff-change-${n.id}`} data-focused={focused === n.id} onClick={() => focus(n)}>
                <div className={styles.changeTitle}>{n.name} <code>{n.id} · {n.type}</code></div>
                {n.status === "changed" && <ChangeList changes={n.changes} />}
              </button>
            ))}
          </div>
        ))}
        {(d.summary.edgesAdded > 0 || d.summary.edgesRemoved > 0) && (
          <div className={styles.group}>
            <h4>Connections</h4>
            {d.edges.filter((e) => e.status !== "unchanged").map((e) => (
              <div key={e.id} className={styles.change} data-status={e.status}>
                <div className={styles.changeTitle}>{e.status === "added" ? "+" : "−"} {e.source}<code>{e.sourcePort}</code> → {e.target}<code>{e.targetPort}</code></div>
              </div>
            ))}
          </div>
        )}
      </div>
    </aside>
  );
}
