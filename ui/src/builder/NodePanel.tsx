// The panel of the selected node: name, the params form generated from the node type's JSON
// Schema, execution settings, notes, and the node's problems; for a trigger, its settings and
// sample input (used to preview expressions downstream).
import { memo, useMemo, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import type { ExpressionScope } from "../lib/expressions";
import type { CanvasEdge, CanvasNode } from "../lib/graph";
import { type Diagnostic, type DocNode, MAIN } from "../lib/model";
import { paramsForm } from "../lib/schemaForm";
import { useCatalog } from "../stores/catalog";
import { useEditor } from "../stores/editor";
import { Icon } from "../components/Icon";
import { SchemaForm } from "./SchemaForm";
import { RunData } from "./RunData";
import { useTestRun } from "../stores/testRun";
import styles from "./NodePanel.module.css";

const NO_VARS: Record<string, unknown> = {};

const PASS_THROUGH = ["core.if@", "core.switch@", "core.noop@", "core.set@", "core.merge@", "core.wait@", "items.sort@", "items.limit@", "items.dedupe@", "util.log@"];

/** What expressions in `nodeId` can see: upstream nodes, their samples, known field names. */
export function scopeFor(nodeId: string, nodes: CanvasNode[], edges: CanvasEdge[], samples: Record<string, unknown[]>, vars: Record<string, unknown>): ExpressionScope {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const fieldsOf = (id: string): string[] => {
    const n = byId.get(id);
    const keys = new Set<string>();
    const sample = samples[id]?.[0];
    if (sample && typeof sample === "object" && !Array.isArray(sample)) for (const k of Object.keys(sample)) keys.add(k);
    if (n?.type === "step") {
      const fields = n.data.node.params?.["fields"];
      if (n.data.node.type.startsWith("core.set@") && fields && typeof fields === "object") {
        for (const k of Object.keys(fields)) keys.add(k.split(".")[0] ?? k);
      }
    }
    return [...keys];
  };
  // Walk upstream: the nearest known sample is what reaches this node unchanged, as far as
  // the editor can tell without running (a set node adds fields, which complete by name).
  const upstream: string[] = [];
  const seen = new Set<string>([nodeId]);
  const queue = [nodeId];
  while (queue.length > 0) {
    const cur = queue.shift() as string;
    for (const e of edges) {
      if (e.target === cur && !seen.has(e.source)) {
        seen.add(e.source);
        upstream.push(e.source);
        queue.push(e.source);
      }
    }
  }
  const direct = edges.find((e) => e.target === nodeId && ((e.targetHandle ?? MAIN) === MAIN || (e.targetHandle ?? "").startsWith("in")))?.source;
  let json: unknown;
  const jsonFields = new Set<string>();
  let walker = direct;
  const visited = new Set<string>();
  while (walker && !visited.has(walker)) {
    visited.add(walker);
    for (const f of fieldsOf(walker)) jsonFields.add(f);
    if (samples[walker]?.length) {
      json = samples[walker]?.[0];
      break;
    }
    // Only nodes that keep their items' shape let the sample through (a filter, a merge, a
    // set); an HTTP call or a parser makes new items, known only from a run.
    const from: string = walker;
    const n = byId.get(from);
    if (n?.type !== "step" || !PASS_THROUGH.some((t) => n.data.node.type.startsWith(t))) break;
    walker = edges.find((e) => e.target === from)?.source;
  }
  return {
    ...(json !== undefined ? { json } : {}),
    jsonFields: [...jsonFields],
    vars,
    nodes: upstream
      .map((id) => byId.get(id))
      .filter((n): n is CanvasNode => n?.type === "step")
      .map((n) => ({
        name: n.type === "step" ? n.data.node.name ?? n.id : n.id,
        ...(samples[n.id]?.[0] !== undefined ? { item: samples[n.id]?.[0] } : {}),
        fields: fieldsOf(n.id),
      })),
  };
}

function problemsUnder(diags: Diagnostic[] | undefined, prefix: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const d of diags ?? []) {
    if (!d.pointer.startsWith(prefix)) continue;
    const rest = d.pointer.slice(prefix.length);
    const list = m.get(rest) ?? [];
    list.push(d.message);
    m.set(rest, list);
  }
  return m;
}

export function NodePanel() {
  // Only the id and kind: a drag moves the node (a new object per frame) without re-rendering the panel.
  const selected = useEditor((s) => {
    let found: string | undefined;
    for (const n of s.nodes) {
      if (!n.selected || n.type === "sticky") continue;
      if (found !== undefined) return undefined;
      found = `${n.type}\u0000${n.id}`;
    }
    return found;
  });
  if (!selected) return null;
  const [kind, id] = selected.split("\u0000") as [string, string];
  return (
    <aside className={styles.panel} aria-label="Node settings" data-testid="node-panel">
      {kind === "step" ? <StepPanelFor id={id} /> : kind === "trigger" ? <TriggerPanel id={id} /> : null}
    </aside>
  );
}

function StepPanelFor({ id }: { id: string }) {
  const node = useEditor((s) => {
    const n = s.nodes.find((x) => x.id === id);
    return n?.type === "step" ? n.data.node : undefined;
  });
  return node ? <StepPanel id={id} node={node} /> : null;
}

const StepPanel = memo(function StepPanel({ id, node }: { id: string; node: DocNode }) {
  const entry = useCatalog((s) => s.byType.get(node.type));
  const update = useEditor((s) => s.updateNode);
  // What expressions can see depends on the nodes' data, not on where they sit.
  const structure = useEditor(useShallow((s) => s.nodes.map((n) => n.data)));
  const nodes = useMemo(() => useEditor.getState().nodes, [structure]); // eslint-disable-line react-hooks/exhaustive-deps
  const edges = useEditor((s) => s.edges);
  const samples = useEditor((s) => s.samples);
  const vars = useEditor((s) => s.meta.variables ?? NO_VARS);
  const diags = useEditor((s) => s.diagnostics.byNode.get(id));
  const doc = useEditor((s) => s.document);
  const hasRun = useTestRun((s) => s.run.steps[id] !== undefined && s.run.status !== "idle");
  const [tab, setTab] = useState<"params" | "settings" | "data">(() => (useTestRun.getState().run.steps[id]?.status ?? "queued") !== "queued" ? "data" : "params");
  const fields = useMemo(() => (entry ? paramsForm(entry.paramsSchema) : []), [entry]);
  const scope = useMemo(() => scopeFor(id, nodes, edges, samples, vars), [id, nodes, edges, samples, vars]);
  const index = doc().nodes.findIndex((n) => n.id === id);
  const problems = useMemo(() => problemsUnder(diags, `/nodes/${index}/params`), [diags, index]);
  const settings = node.settings ?? {};
  const retry = settings["retry"] as { maxAttempts?: number } | undefined;
  const setSetting = (key: string, value: unknown) => {
    const next = { ...settings };
    if (value === undefined) delete next[key];
    else next[key] = value;
    update(id, { settings: Object.keys(next).length > 0 ? next : undefined });
  };
  return (
    <>
      <div className={styles.header}>
        <input
          className={styles.title}
          aria-label="Node name"
          value={node.name ?? ""}
          placeholder={id}
          onChange={(e) => update(id, { name: e.target.value === "" ? undefined : e.target.value })}
        />
        <div className={styles.subtitle}>
          <code>{node.type}</code> · id <code>{id}</code> {entry && <span className="badge">{entry.purity}</span>}
        </div>
        {entry && <p className={styles.doc}>{entry.description.split(" Example params:")[0]}</p>}
        {!entry && <p className="error-text">Unknown node type {node.type}.</p>}
      </div>
      {diags && diags.length > 0 && (
        <ul className={styles.diags} aria-label="Problems">
          {diags.map((d, i) => (
            <li key={i} className={d.severity === "error" ? styles.diagError : styles.diagWarning}>
              <Icon name="warning" size={12} /> <span>{d.message}</span> <code className={styles.code}>{d.code}</code>
            </li>
          ))}
        </ul>
      )}
      <div className={styles.tabs} role="tablist">
        <button role="tab" aria-selected={tab === "params"} className={styles.tab} onClick={() => setTab("params")}>Parameters</button>
        <button role="tab" aria-selected={tab === "settings"} className={styles.tab} onClick={() => setTab("settings")}>Settings</button>
        <button role="tab" aria-selected={tab === "data"} className={styles.tab} onClick={() => setTab("data")} data-testid="tab-data">
          Run data{hasRun ? " •" : ""}
        </button>
      </div>
      <div className={styles.body} role="tabpanel">
        {tab === "data" ? <RunData id={id} /> : tab === "params" ? (
          fields.length > 0 ? (
            <SchemaForm fields={fields} value={node.params ?? {}} onChange={(params) => update(id, { params })} scope={scope} problems={problems} />
          ) : (
            <p className="hint">This node has no parameters.</p>
          )
        ) : (
          <div className={styles.settings}>
            <div className="field">
              <label htmlFor="s-retry">Attempts (retries on transient errors)</label>
              <input id="s-retry" className="input" type="number" min={1} value={retry?.maxAttempts ?? ""} placeholder="1"
                onChange={(e) => setSetting("retry", e.target.value === "" ? undefined : { ...(retry ?? {}), maxAttempts: Number(e.target.value) })} />
            </div>
            <div className="field">
              <label htmlFor="s-timeout">Timeout per attempt</label>
              <input id="s-timeout" className="input" value={typeof settings["timeout"] === "string" || typeof settings["timeout"] === "number" ? String(settings["timeout"]) : ""} placeholder="e.g. 30s"
                onChange={(e) => setSetting("timeout", e.target.value === "" ? undefined : /^\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="s-concurrency">Concurrency limit (steps of this node at once)</label>
              <input id="s-concurrency" className="input" type="number" min={1} value={typeof settings["concurrency"] === "number" ? settings["concurrency"] : ""} placeholder="unlimited"
                onChange={(e) => setSetting("concurrency", e.target.value === "" ? undefined : Number(e.target.value))} />
            </div>
            <div className="field">
              <label htmlFor="s-join">Join (when several inputs arrive)</label>
              <select id="s-join" className="select" value={(settings["join"] as { mode?: string } | undefined)?.mode ?? ""}
                onChange={(e) => {
                  const mode = e.target.value;
                  const prev = settings["join"] as { n?: number } | undefined;
                  setSetting("join", mode === "" ? undefined : mode === "first" ? { mode, n: prev?.n ?? 1 } : { mode });
                }}>
                <option value="">Default (all)</option>
                <option value="all">All: wait for every input</option>
                <option value="any">Any: start on the first</option>
                <option value="first">First N</option>
                <option value="quorum">Quorum (majority)</option>
              </select>
            </div>
            {(settings["join"] as { mode?: string } | undefined)?.mode === "first" && (
              <div className="field">
                <label htmlFor="s-join-n">Inputs to wait for</label>
                <input id="s-join-n" className="input" type="number" min={1} value={(settings["join"] as { n?: number }).n ?? 1}
                  onChange={(e) => setSetting("join", { mode: "first", n: Number(e.target.value) })} />
              </div>
            )}
            <label className="checkbox">
              <input type="checkbox" checked={settings["cacheable"] === true} disabled={entry?.purity !== "pure"} onChange={(e) => setSetting("cacheable", e.target.checked || undefined)} />
              Cache results (pure nodes: same params and input, same output)
            </label>
            <label className="checkbox">
              <input type="checkbox" checked={settings["continueOnFail"] === true} onChange={(e) => setSetting("continueOnFail", e.target.checked || undefined)} />
              Continue on failure (emit the error as an item)
            </label>
            <label className="checkbox">
              <input type="checkbox" checked={node.disabled === true} onChange={(e) => update(id, { disabled: e.target.checked || undefined })} />
              Disabled (pass items through)
            </label>
            <div className="field">
              <label htmlFor="s-notes">Notes</label>
              <textarea id="s-notes" className="textarea" value={node.notes ?? ""} onChange={(e) => update(id, { notes: e.target.value === "" ? undefined : e.target.value })} />
            </div>
          </div>
        )}
      </div>
    </>
  );
});

const METHODS = ["POST", "GET", "PUT", "PATCH", "DELETE", "HEAD", "ANY"];

function TriggerPanel({ id }: { id: string }) {
  const node = useEditor((s) => s.nodes.find((n) => n.id === id));
  const update = useEditor((s) => s.updateTrigger);
  const sample = useEditor((s) => s.samples[id]);
  const setSample = useEditor((s) => s.setSample);
  const diags = useEditor((s) => s.diagnostics.byNode.get(id));
  const [sampleText, setSampleText] = useState(sample ? JSON.stringify(sample, null, 2) : "");
  const [sampleError, setSampleError] = useState<string | null>(null);
  if (node?.type !== "trigger") return null;
  const t = node.data.trigger;
  const params = t.params ?? {};
  const set = (key: string, value: unknown) => {
    const next = { ...params };
    if (value === undefined || value === "") delete next[key];
    else next[key] = value;
    update(id, { params: next });
  };
  return (
    <>
      <div className={styles.header}>
        <div className={styles.title}>{t.type === "webhook" ? "Webhook" : t.type === "cron" ? "Schedule" : t.type === "manual" ? "Manual trigger" : t.type}</div>
        <div className={styles.subtitle}>trigger <code>{t.id}</code>{t.node ? <> → <code>{t.node}</code></> : " (not connected)"}</div>
      </div>
      {diags && diags.length > 0 && (
        <ul className={styles.diags} aria-label="Problems">
          {diags.map((d, i) => (
            <li key={i} className={d.severity === "error" ? styles.diagError : styles.diagWarning}><Icon name="warning" size={12} /> {d.message}</li>
          ))}
        </ul>
      )}
      <div className={styles.body}>
        <div className={styles.settings}>
          {t.type === "webhook" && (
            <>
              <div className="field">
                <label htmlFor="t-path">Path</label>
                <input id="t-path" className="input" value={String(params["path"] ?? "")} onChange={(e) => set("path", e.target.value)} />
                <span className="hint">Served at <code>/webhook/{String(params["path"] ?? "")}</code> once published; <code>:name</code> segments are parameters.</span>
              </div>
              <div className="field">
                <label htmlFor="t-method">Method</label>
                <select id="t-method" className="select" value={String(params["method"] ?? "POST")} onChange={(e) => set("method", e.target.value)}>
                  {METHODS.map((m) => <option key={m}>{m}</option>)}
                </select>
              </div>
              <div className="field">
                <label htmlFor="t-mode">Respond</label>
                <select id="t-mode" className="select" value={String(params["responseMode"] ?? "immediately")} onChange={(e) => set("responseMode", e.target.value === "immediately" ? undefined : e.target.value)}>
                  <option value="immediately">Immediately (202 with the run id)</option>
                  <option value="lastNode">With the last node's output</option>
                  <option value="respondNode">With a Respond node's output</option>
                </select>
              </div>
            </>
          )}
          {t.type === "cron" && (
            <>
              <div className="field">
                <label htmlFor="t-cron">Cron expression</label>
                <input id="t-cron" className="input mono" value={String(params["expression"] ?? "")} onChange={(e) => set("expression", e.target.value)} />
                <span className="hint">5 or 6 fields, e.g. <code>0 9 * * MON-FRI</code>.</span>
              </div>
              <div className="field">
                <label htmlFor="t-tz">Time zone</label>
                <input id="t-tz" className="input" value={String(params["timezone"] ?? "")} placeholder="UTC" onChange={(e) => set("timezone", e.target.value)} />
              </div>
            </>
          )}
          {t.type === "runCompleted" && (
            <div className="field">
              <label htmlFor="t-wf">Watched workflow id</label>
              <input id="t-wf" className="input" value={String(params["workflow"] ?? "")} onChange={(e) => set("workflow", e.target.value)} />
            </div>
          )}
          <div className="field">
            <label htmlFor="t-sample">Sample input (JSON items)</label>
            <textarea
              id="t-sample"
              className="textarea"
              rows={6}
              spellCheck={false}
              placeholder='[{ "name": "Ada" }]'
              value={sampleText}
              aria-invalid={sampleError !== null}
              onChange={(e) => {
                setSampleText(e.target.value);
                if (e.target.value.trim() === "") {
                  setSampleError(null);
                  setSample(id, null);
                  return;
                }
                try {
                  const v: unknown = JSON.parse(e.target.value);
                  setSample(id, Array.isArray(v) ? v : [v]);
                  setSampleError(null);
                } catch (err) {
                  setSampleError(err instanceof Error ? err.message : "not JSON");
                }
              }}
            />
            {sampleError ? <span className="error-text">{sampleError}</span> : <span className="hint">Used to complete field names and preview expressions downstream. Saved with the workflow.</span>}
          </div>
        </div>
      </div>
    </>
  );
}
