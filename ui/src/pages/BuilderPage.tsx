import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useEffect, useState } from "react";
import { Link, useBlocker, useParams } from "react-router";
import { Icon } from "../components/Icon";
import { Canvas, useAddItem } from "../builder/Canvas";
import { NodePalette } from "../builder/NodePalette";
import { NodePanel } from "../builder/NodePanel";
import { QuickAdd } from "../builder/QuickAdd";
import { VersionsPanel } from "../builder/VersionsPanel";
import { parseTestInput, formatDuration } from "../lib/runState";
import { useTestRun } from "../stores/testRun";
import { useVersions } from "../stores/versions";
import { useCatalog } from "../stores/catalog";
import { useEditor } from "../stores/editor";
import type { Alignment } from "../lib/layout";
import styles from "./BuilderPage.module.css";

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

export function BuilderPage() {
  const { id } = useParams();
  const load = useEditor((s) => s.load);
  const reset = useEditor((s) => s.reset);
  const loading = useEditor((s) => s.loading);
  const loadError = useEditor((s) => s.loadError);
  const catalogError = useCatalog((s) => s.error);
  useEffect(() => {
    if (id) void load(id);
    return () => {
      reset();
      useTestRun.getState().clear();
      useVersions.setState({ open: false, diff: null, items: [] });
    };
  }, [id, load, reset]);
  if (loadError) {
    return (
      <div className="empty" role="alert">
        <h2>Cannot open this workflow</h2>
        <p>{loadError}</p>
        <a href="/workflows">Back to workflows</a>
      </div>
    );
  }
  return (
    <ReactFlowProvider>
      {catalogError && <div className={styles.banner} role="alert">The node catalog could not be loaded: {catalogError}</div>}
      {loading ? <div className="empty"><span className="spinner" /> Opening…</div> : <Builder />}
    </ReactFlowProvider>
  );
}

function Builder() {
  const workflow = useEditor((s) => s.workflow);
  const name = useEditor((s) => s.meta.name);
  const dirty = useEditor((s) => s.dirty);
  const saving = useEditor((s) => s.saving);
  const canUndo = useEditor((s) => s.canUndo);
  const canRedo = useEditor((s) => s.canRedo);
  const diagnostics = useEditor((s) => s.diagnostics.all);
  const verified = useEditor((s) => s.verifiedByServer);
  const selectedCount = useEditor((s) => s.nodes.filter((n) => n.selected).length);
  const paletteOpen = useEditor((s) => s.paletteOpen);
  const quickAddOpen = useEditor((s) => s.quickAddOpen);
  const versionsOpen = useVersions((s) => s.open);
  const diffActive = useVersions((s) => s.diff !== null);
  const testInputOpen = useTestRun((s) => s.inputOpen);
  const editor = useEditor.getState;
  const [saveOpen, setSaveOpen] = useState(false);
  const [problemsOpen, setProblemsOpen] = useState(false);
  const [alignOpen, setAlignOpen] = useState(false);
  const flow = useReactFlow();
  const addItem = useAddItem();
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;

  useEffect(() => {
    document.title = `${name || "Workflow"} · Weft`;
  }, [name]);

  // Leaving with unsaved changes asks first (in-app navigation and closing the tab).
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (blocker.state === "blocked") {
      if (window.confirm("You have unsaved changes. Leave without saving?")) blocker.proceed();
      else blocker.reset();
    }
  }, [blocker]);
  useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (useEditor.getState().dirty) e.preventDefault();
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, []);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const mod = e.metaKey || e.ctrlKey;
      const key = e.key.toLowerCase();
      if (mod && key === "s") {
        e.preventDefault();
        setSaveOpen(true);
        return;
      }
      if (mod && key === "k") {
        e.preventDefault();
        editor().setQuickAddOpen(true);
        return;
      }
      if (isTyping(e.target) || saveOpen || editor().quickAddOpen) return;
      if (mod && key === "z" && !e.shiftKey) { e.preventDefault(); editor().undo(); }
      else if ((mod && key === "z" && e.shiftKey) || (mod && key === "y")) { e.preventDefault(); editor().redo(); }
      else if (mod && key === "a") { e.preventDefault(); editor().selectAll(); }
      else if (mod && key === "c") { editor().copy(); }
      else if (mod && key === "v") { e.preventDefault(); editor().paste(); }
      else if (key === "delete" || key === "backspace") { e.preventDefault(); editor().deleteSelected(); }
      else if (e.shiftKey && key === "l") { e.preventDefault(); editor().layout(); requestAnimationFrame(() => void flow.fitView({ padding: 0.25, duration: 200 })); }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [editor, flow, saveOpen]);

  const alignments: [Alignment, string, string][] = [
    ["left", "Align left", "alignLeft"],
    ["center", "Align centres", "alignCenter"],
    ["top", "Align top", "alignTop"],
    ["middle", "Align middles", "alignMiddle"],
    ["distribute-h", "Distribute horizontally", "alignCenter"],
    ["distribute-v", "Distribute vertically", "alignMiddle"],
  ];

  return (
    <div className={styles.page}>
      <div className={styles.toolbar} role="toolbar" aria-label="Workflow">
        <button className="icon-btn" aria-pressed={paletteOpen} aria-label="Show the node palette" title="Node palette" onClick={() => editor().setPaletteOpen(!paletteOpen)}>
          <Icon name="palette" />
        </button>
        <div className={styles.name}>
          <a href="/workflows" className={styles.crumb}>Workflows</a>
          <span className={styles.sep}>/</span>
          <input
            className={styles.nameInput}
            aria-label="Workflow name"
            value={name}
            onChange={(e) => editor().updateMeta({ name: e.target.value })}
          />
          {workflow && <span className="badge" title="Newest saved version">v{workflow.latestVersion}</span>}
          {workflow?.publishedVersion != null && <span className="badge badge-success">published v{workflow.publishedVersion}</span>}
          {dirty && <span className={styles.unsaved} role="status">Unsaved changes</span>}
        </div>
        <div className={styles.group}>
          <button className="icon-btn" aria-label="Undo" title="Undo (Ctrl+Z)" disabled={!canUndo} onClick={() => editor().undo()}><Icon name="undo" /></button>
          <button className="icon-btn" aria-label="Redo" title="Redo (Ctrl+Shift+Z)" disabled={!canRedo} onClick={() => editor().redo()}><Icon name="redo" /></button>
        </div>
        <div className={styles.group}>
          <button className="btn btn-sm btn-ghost" aria-label="Auto-layout" title="Auto-layout (Shift+L)" onClick={() => { editor().layout(); requestAnimationFrame(() => void flow.fitView({ padding: 0.25, duration: 200 })); }}>
            <Icon name="layout" size={14} /> Layout
          </button>
          <div className={styles.menuWrap}>
            <button className="btn btn-sm btn-ghost" aria-haspopup="menu" aria-expanded={alignOpen} disabled={selectedCount < 2} onClick={() => setAlignOpen((o) => !o)} title="Align the selected nodes">
              <Icon name="alignLeft" size={14} /> Align
            </button>
            {alignOpen && (
              <div className={styles.menu} role="menu" onMouseLeave={() => setAlignOpen(false)}>
                {alignments.map(([how, label, icon]) => (
                  <button key={how} role="menuitem" className={styles.menuItem} onClick={() => { editor().alignSelected(how); setAlignOpen(false); }}>
                    <Icon name={icon} size={14} /> {label}
                  </button>
                ))}
              </div>
            )}
          </div>
          <button className="btn btn-sm btn-ghost" onClick={() => addItem({ kind: "sticky" })} aria-label="Add a sticky note" title="Sticky note">
            <Icon name="note" size={14} /> Note
          </button>
          <button className="btn btn-sm btn-ghost" onClick={() => void flow.fitView({ padding: 0.25, duration: 200 })} aria-label="Fit the view" title="Fit view">
            <Icon name="fit" size={14} />
          </button>
        </div>
        {workflow && (
          <Link className="btn btn-sm btn-ghost" to={`/executions?workflow=${encodeURIComponent(workflow.id)}`} title="Runs of this workflow">
            <Icon name="bolt" size={14} /> Executions
          </Link>
        )}
        <button
          className={`btn btn-sm ${styles.status} ${errors > 0 ? styles.statusError : warnings > 0 ? styles.statusWarning : styles.statusOk}`}
          onClick={() => setProblemsOpen((o) => !o)}
          aria-expanded={problemsOpen}
          data-testid="validation-status"
          title={verified ? "Checked by the server" : "Checked in the browser; the server is checking"}
        >
          <Icon name={errors + warnings > 0 ? "warning" : "check"} size={14} />
          {errors > 0 ? `${errors} error${errors === 1 ? "" : "s"}` : warnings > 0 ? `${warnings} warning${warnings === 1 ? "" : "s"}` : "Valid"}
          {!verified && <span className={styles.pending} aria-label="checking" />}
        </button>
        <button className="btn btn-sm" aria-pressed={versionsOpen} onClick={() => useVersions.getState().setOpen(!versionsOpen)} title="Version history, compare, restore, publish" data-testid="versions-button">
          <Icon name="history" size={14} /> Versions
        </button>
        <div className={styles.menuWrap}>
          <button className="btn btn-sm" onClick={() => useTestRun.getState().setInputOpen(!testInputOpen)} aria-expanded={testInputOpen} disabled={diffActive} data-testid="test-button" title="Run the workflow now with test input; pinned outputs are used">
            <Icon name="play" size={14} /> Test workflow
          </button>
          {testInputOpen && <TestInput />}
        </div>
        <RunStatus />
        <button className="btn btn-primary btn-sm" onClick={() => setSaveOpen(true)} disabled={saving || diffActive} title="Save (Ctrl+S)">
          <Icon name="save" size={14} /> Save
        </button>
      </div>
      {problemsOpen && <ProblemsList onClose={() => setProblemsOpen(false)} />}
      <div className={styles.body}>
        {paletteOpen && <NodePalette onAdd={(item) => addItem(item)} />}
        <Canvas />
        {versionsOpen ? <VersionsPanel /> : !diffActive && <NodePanel />}
      </div>
      {quickAddOpen && <QuickAdd onAdd={(item) => addItem(item)} onClose={() => editor().setQuickAddOpen(false)} />}
      {saveOpen && <SaveDialog onClose={() => setSaveOpen(false)} />}
    </div>
  );
}

/** The test input editor: JSON items for the run; starting saves unsaved changes first. */
function TestInput() {
  const text = useTestRun((s) => s.inputText);
  const setText = useTestRun((s) => s.setInputText);
  const pins = useEditor((s) => Object.keys(s.pins).length);
  const needsSave = useEditor((s) => s.dirty) && useEditor.getState().needsSave();
  const [busy, setBusy] = useState(false);
  const parsed = parseTestInput(text);
  const run = () => {
    setBusy(true);
    void useTestRun.getState().start().then((ok) => {
      setBusy(false);
      if (ok) useTestRun.getState().setInputOpen(false);
    });
  };
  return (
    <div className={`${styles.menu} ${styles.testMenu}`} role="dialog" aria-label="Test input" onKeyDown={(e) => {
      if (e.key === "Escape") useTestRun.getState().setInputOpen(false);
      // Ctrl/Cmd+Enter runs, as in a code editor.
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && parsed.ok && !busy) {
        e.preventDefault();
        run();
      }
    }}>
      <label className="field-label" htmlFor="test-input">Test input (JSON: an array of items, or one object)</label>
      <textarea id="test-input" className="textarea" rows={8} value={text} onChange={(e) => setText(e.target.value)} aria-invalid={!parsed.ok} spellCheck={false} />
      {!parsed.ok && <span className="error-text" role="alert">{parsed.error}</span>}
      {pins > 0 && <span className="hint">{pins} pinned node{pins === 1 ? "" : "s"} will not run: their pinned output is used.</span>}
      {needsSave && <span className="hint">Unsaved changes are saved as a new version first.</span>}
      <div className={styles.testActions}>
        <button className="btn btn-sm" onClick={() => useTestRun.getState().setInputOpen(false)}>Cancel</button>
        <button className="btn btn-sm btn-primary" disabled={!parsed.ok || busy} data-testid="test-run" onClick={run} title="Run (Ctrl+Enter)">
          {busy ? <span className="spinner" /> : <Icon name="play" size={12} />} Run test
        </button>
      </div>
    </div>
  );
}

/** The current test run: live status, then the result and its duration. */
function RunStatus() {
  const status = useTestRun((s) => s.run.status);
  const runId = useTestRun((s) => s.runId);
  const steps = useTestRun((s) => s.run.steps);
  const error = useTestRun((s) => s.run.error);
  if (status === "idle") return null;
  const list = Object.values(steps);
  const done = list.filter((s) => s.status === "succeeded" || s.status === "failed" || s.status === "skipped").length;
  const starts = list.map((s) => s.startedAt).filter(Boolean).map((t) => Date.parse(t as string));
  const ends = list.map((s) => s.finishedAt).filter(Boolean).map((t) => Date.parse(t as string));
  const total = starts.length && ends.length ? Math.max(...ends) - Math.min(...starts) : undefined;
  const cls = status === "succeeded" ? "badge-success" : status === "failed" || status === "cancelled" ? "badge-danger" : status === "waiting" ? "badge-warning" : "badge-accent";
  return (
    <span className={`badge ${cls}`} role="status" data-testid="run-status" data-status={status} title={error?.message ?? (runId ? `run ${runId}` : "")}>
      {status === "running" || status === "starting" || status === "queued" ? `Running ${done}/${list.length}` : status === "succeeded" ? `Test succeeded${total !== undefined ? ` · ${formatDuration(total)}` : ""}` : status === "failed" ? "Test failed" : status}
      {["succeeded", "failed", "cancelled"].includes(status) && (
        <button className="icon-btn" style={{ width: 16, height: 16, marginLeft: 4 }} aria-label="Clear the test run" onClick={() => useTestRun.getState().clear()}><Icon name="close" size={10} /></button>
      )}
    </span>
  );
}

function ProblemsList({ onClose }: { onClose: () => void }) {
  const diagnostics = useEditor((s) => s.diagnostics.all);
  const selectOnly = useEditor((s) => s.selectOnly);
  const doc = useEditor((s) => s.document);
  const flow = useReactFlow();
  return (
    <div className={styles.problems} role="region" aria-label="Problems">
      <div className={styles.problemsHead}>
        <h3>Problems</h3>
        <button className="icon-btn" aria-label="Close problems" onClick={onClose}><Icon name="close" size={14} /></button>
      </div>
      {diagnostics.length === 0 ? <p className="hint">No problems: the workflow is valid.</p> : (
        <ul>
          {diagnostics.map((d, i) => {
            const m = /^\/nodes\/(\d+)/.exec(d.pointer);
            const nodeId = d.nodeId ?? (m ? doc().nodes[Number(m[1])]?.id : undefined);
            return (
              <li key={i}>
                <button
                  className={styles.problem}
                  onClick={() => {
                    if (!nodeId) return;
                    selectOnly(nodeId);
                    const n = flow.getNode(nodeId);
                    if (n) void flow.setCenter(n.position.x + 110, n.position.y + 40, { zoom: 1, duration: 250 });
                  }}
                >
                  <span className={d.severity === "error" ? styles.sevError : styles.sevWarning}>{d.severity}</span>
                  <span>{d.message}</span>
                  <code>{d.pointer}</code>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

function SaveDialog({ onClose }: { onClose: () => void }) {
  const save = useEditor((s) => s.save);
  const saving = useEditor((s) => s.saving);
  const errors = useEditor((s) => s.diagnostics.all.filter((d) => d.severity === "error").length);
  const [message, setMessage] = useState("");
  return (
    <div className="dialog-backdrop" onMouseDown={onClose}>
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="save-title"
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.key === "Escape" && onClose()}
        onSubmit={(e) => {
          e.preventDefault();
          void save(message.trim()).then((ok) => ok && onClose());
        }}
      >
        <div className="dialog-header"><h2 id="save-title">Save a new version</h2></div>
        <div className="dialog-body">
          <div className="field">
            <label htmlFor="save-message">What changed?</label>
            <input id="save-message" className="input" autoFocus value={message} onChange={(e) => setMessage(e.target.value)} placeholder="e.g. Retry the HTTP call three times" />
            <span className="hint">Every save is an immutable version with its author and message.</span>
          </div>
          {errors > 0 && <div className="error-text" role="alert">The workflow has {errors} error{errors === 1 ? "" : "s"}: the server will refuse it until they are fixed.</div>}
        </div>
        <div className="dialog-footer">
          <button type="button" className="btn" onClick={onClose}>Cancel</button>
          <button type="submit" className="btn btn-primary" disabled={saving}>{saving ? <span className="spinner" /> : null} Save</button>
        </div>
      </form>
    </div>
  );
}
