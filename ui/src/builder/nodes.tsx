// The canvas's node views: a step with its typed ports and diagnostics, a trigger, a sticky note.
import { Handle, NodeResizer, type NodeProps, Position } from "@xyflow/react";
import { memo, useEffect, useState } from "react";
import { Icon } from "../components/Icon";
import type { StepNode, StickyNode, TriggerNode } from "../lib/graph";
import { type NodeRunState, formatDuration } from "../lib/runState";
import type { DiffCanvasNode } from "../lib/versionDiff";
import { useTestRun } from "../stores/testRun";
import type { Diagnostic, PortSpec } from "../lib/model";
import { defaultPorts, useCatalog } from "../stores/catalog";
import { useEditor } from "../stores/editor";
import styles from "./nodes.module.css";

const CATEGORY_COLOURS: Record<string, string> = {
  Flow: "#5b6cff",
  Data: "#12a594",
  Integration: "#f5a524",
  AI: "#ab4aba",
  Utilities: "#8b8d98",
  Code: "#d6409f",
};

export function categoryColour(category: string | undefined): string {
  return CATEGORY_COLOURS[category ?? ""] ?? "#8b8d98";
}

/** How a handle fits the connection being drawn: exact, with a conversion, or not at all. */
function useFit(nodeId: string, port: PortSpec, side: "source" | "target"): "exact" | "coerce" | "bad" | undefined {
  return useEditor((s) => {
    const c = s.connecting;
    if (!c || c.nodeId === nodeId || c.handleType === side) return undefined;
    const coercions = useCatalog.getState().coercions;
    const [from, to] = side === "target" ? [c.portType, port.type] : [port.type, c.portType];
    const fit = coercions.check(from as PortSpec["type"], to as PortSpec["type"]);
    return fit.kind === "exact" ? "exact" : fit.kind === "coerce" ? "coerce" : "bad";
  });
}

/** Ports sit in rows below the node's header, so their labels never cover the title. */
export const HEADER_PX = 48;
export const ROW_PX = 22;

function PortHandle({ nodeId, port, side, index, total, top: fixedTop }: { nodeId: string; port: PortSpec; side: "source" | "target"; index: number; total: number; top?: string }) {
  const fit = useFit(nodeId, port, side);
  const top = fixedTop ?? `${HEADER_PX + index * ROW_PX + ROW_PX / 2}px`;
  return (
    <>
      <Handle
        type={side}
        id={port.name}
        position={side === "target" ? Position.Left : Position.Right}
        className={`${styles.handle} ${fit ? styles[`fit_${fit}`] : ""}`}
        style={{ top, background: `var(--port-${port.type})` }}
        title={`${port.name}: ${port.type}${port.required ? " (required)" : ""}${port.description ? ` — ${port.description}` : ""}`}
        aria-label={`${side === "target" ? "input" : "output"} ${port.name} (${port.type})`}
        data-port={port.name}
        data-port-type={port.type}
        data-fit={fit}
      />
      <span className={side === "target" ? styles.inLabel : styles.outLabel} style={{ top }}>
        {port.name !== "main" || total > 1 ? port.name : ""}
        <span className={styles.portType}>{port.type}</span>
      </span>
    </>
  );
}

function DiagnosticsBadge({ list }: { list: Diagnostic[] }) {
  const errors = list.filter((d) => d.severity === "error");
  const shown = errors.length > 0 ? errors : list;
  return (
    <div className={`${styles.diag} ${errors.length > 0 ? styles.diagError : styles.diagWarning}`} role="note" aria-label={`${shown.length} problem${shown.length === 1 ? "" : "s"}`}>
      <Icon name="warning" size={12} /> {shown.length}
      <div className={styles.diagPopup}>
        {shown.map((d, i) => (
          <div key={i} className={styles.diagLine} data-code={d.code}>
            <span className={styles.diagCode}>{d.code}</span> {d.message}
          </div>
        ))}
      </div>
    </div>
  );
}

const RUN_LABELS: Record<NodeRunState["status"], string> = {
  queued: "Queued", running: "Running", succeeded: "Succeeded", failed: "Failed", waiting: "Waiting", skipped: "Skipped",
};

/** Time since a running step started, ticking (only running nodes mount it). */
function Elapsed({ since }: { since: string }) {
  const start = Date.parse(since);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(t);
  }, []);
  return Number.isFinite(start) ? <span className={styles.runTime}>{formatDuration(Math.max(0, now - start))}</span> : null;
}

/** The node's state in the current test run: a coloured ring, and a badge with status and duration. */
function RunBadge({ state, pinned }: { state: NodeRunState | undefined; pinned: boolean }) {
  if (!state && !pinned) return null;
  const items = state?.output?.ports?.reduce((n, [, items]) => n + items.length, 0);
  return (
    <div className={styles.runBar} data-testid="run-badge" data-run-status={state?.status ?? "none"}>
      {pinned && <span className={styles.pinned} title="Output pinned: test runs use it instead of running this node"><Icon name="pin" size={11} /> pinned</span>}
      {state && (
        <span className={`${styles.runStatus} ${styles[`run_${state.status}`] ?? ""}`} title={state.error?.message ?? RUN_LABELS[state.status]}>
          {state.status === "running" ? <span className={styles.runSpin} /> : <span className={styles.runDot} />}
          {RUN_LABELS[state.status]}
          {state.durationMs !== undefined && <span className={styles.runTime}>{formatDuration(state.durationMs)}</span>}
          {state.status === "running" && state.startedAt && <Elapsed since={state.startedAt} />}
          {items !== undefined && state.status === "succeeded" && <span className={styles.runTime}>{items} item{items === 1 ? "" : "s"}</span>}
        </span>
      )}
    </div>
  );
}

export const StepNodeView = memo(function StepNodeView({ id, data, selected }: NodeProps<StepNode>) {
  const entry = useCatalog((s) => s.byType.get(data.node.type));
  // O(1) per store change: with 200 nodes, a selector that searched the node list ran 200 × 200
  // times per frame of a drag.
  const serverPorts = useEditor((s) => s.serverPorts[id]);
  const ports = serverPorts && !serverPorts.ports.error ? serverPorts.ports : defaultPorts(entry);
  const diags = useEditor((s) => s.diagnostics.byNode.get(id));
  const run = useTestRun((s) => s.run.steps[id]);
  const pinned = useEditor((s) => s.pins[id] !== undefined);
  const hasError = diags?.some((d) => d.severity === "error");
  const rows = Math.max(ports.inputs.length, ports.outputs.length + 1, 1);
  const subtitle = entry && data.node.name !== entry.displayName ? entry.displayName : data.node.type;
  return (
    <div
      className={`${styles.step} ${selected ? styles.selected : ""} ${hasError ? styles.invalid : ""} ${data.node.disabled ? styles.disabled : ""} ${run ? styles[`ring_${run.status}`] ?? "" : ""}`}
      style={{ minHeight: HEADER_PX + rows * ROW_PX + 6, ["--cat" as string]: categoryColour(entry?.category) }}
      data-testid={`node-${id}`}
      data-invalid={hasError ? "true" : "false"}
      data-run-status={run?.status}
      role="group"
      aria-label={`${data.node.name ?? id} (${data.node.type})${hasError ? ", has problems" : ""}${run ? `, ${run.status}` : ""}`}
    >
      <div className={styles.stripe} />
      <RunBadge state={run} pinned={pinned} />
      <div className={styles.head}>
        <div className={styles.title}>{data.node.name ?? id}</div>
        <div className={styles.type}>{subtitle}</div>
      </div>
      {data.node.notes && <div className={styles.notes}>{data.node.notes}</div>}
      {diags && diags.length > 0 && <DiagnosticsBadge list={diags} />}
      {ports.inputs.map((p, i) => (
        <PortHandle key={`in-${p.name}`} nodeId={id} port={p} side="target" index={i} total={ports.inputs.length} />
      ))}
      {[...ports.outputs, { name: "error", type: "error" as const, description: "the step's error, when an edge leaves this port" }].map((p, i, all) => (
        <PortHandle key={`out-${p.name}`} nodeId={id} port={p} side="source" index={i} total={all.length} />
      ))}
    </div>
  );
});

const TRIGGER_TITLES: Record<string, string> = {
  manual: "Manual trigger",
  webhook: "Webhook",
  cron: "Schedule",
  runCompleted: "When a run completes",
  error: "Error trigger",
};

export const TriggerNodeView = memo(function TriggerNodeView({ id, data, selected }: NodeProps<TriggerNode>) {
  const diags = useEditor((s) => s.diagnostics.byNode.get(id));
  const t = data.trigger;
  const detail = t.type === "webhook"
    ? `${String(t.params?.["method"] ?? "POST")} /webhook/${String(t.params?.["path"] ?? "")}`
    : t.type === "cron" ? String(t.params?.["expression"] ?? "") : t.id;
  const hasError = diags?.some((d) => d.severity === "error");
  return (
    <div
      className={`${styles.trigger} ${selected ? styles.selected : ""} ${hasError ? styles.invalid : ""}`}
      data-testid={`node-${id}`}
      data-invalid={hasError ? "true" : "false"}
      role="group"
      aria-label={`${TRIGGER_TITLES[t.type] ?? t.type} trigger${hasError ? ", has problems" : ""}`}
    >
      <div className={styles.triggerIcon}><Icon name="bolt" size={16} /></div>
      <div className={styles.head}>
        <div className={styles.title}>{TRIGGER_TITLES[t.type] ?? t.type}</div>
        <div className={styles.type}>{detail}</div>
      </div>
      {diags && diags.length > 0 && <DiagnosticsBadge list={diags} />}
      <PortHandle nodeId={id} port={{ name: "main", type: "any" }} side="source" index={0} total={1} top="50%" />
    </div>
  );
});

export const StickyNoteView = memo(function StickyNoteView({ id, data, selected }: NodeProps<StickyNode>) {
  const update = useEditor((s) => s.updateSticky);
  return (
    <div className={`${styles.sticky} ${selected ? styles.stickySelected : ""}`} data-testid={`node-${id}`}>
      <NodeResizer isVisible={selected ?? false} minWidth={140} minHeight={80} lineClassName={styles.resizeLine} handleClassName={styles.resizeHandle} />
      <textarea
        className={`${styles.stickyText} nodrag`}
        aria-label="Sticky note"
        placeholder="Write a note…"
        value={data.sticky.text}
        onChange={(e) => update(id, e.target.value)}
      />
    </div>
  );
});

const DIFF_LABELS = { added: "Added", removed: "Removed", changed: "Changed", unchanged: "" } as const;

/** A node in the visual diff: read-only, coloured by what happened to it between two versions. */
export const DiffNodeView = memo(function DiffNodeView({ data, selected }: NodeProps<DiffCanvasNode>) {
  const d = data.diff;
  const entry = useCatalog((s) => s.byType.get(d.type));
  const rowTop = (i: number, n: number) => (n <= 1 ? "50%" : `${((i + 1) * 100) / (n + 1)}%`);
  return (
    <div
      className={`${d.kind === "trigger" ? styles.trigger : styles.step} ${styles[`diff_${d.status}`] ?? ""} ${selected ? styles.selected : ""}`}
      style={{ minHeight: 64, ["--cat" as string]: categoryColour(entry?.category) }}
      data-testid={`diff-node-${d.id}`}
      data-diff={d.status}
      role="group"
      aria-label={`${d.name} ${d.status}`}
    >
      {d.kind === "step" && <div className={styles.stripe} />}
      {d.kind === "trigger" && <div className={styles.triggerIcon}><Icon name="bolt" size={16} /></div>}
      <div className={styles.head}>
        <div className={styles.title}>{d.kind === "trigger" ? TRIGGER_TITLES[d.type] ?? d.type : d.name}</div>
        <div className={styles.type}>{d.kind === "trigger" ? d.name : entry?.displayName ?? d.type}</div>
      </div>
      {d.status !== "unchanged" && (
        <div className={`${styles.diffTag} ${styles[`diffTag_${d.status}`] ?? ""}`}>
          {DIFF_LABELS[d.status]}{d.status === "changed" ? ` · ${d.changes.length}` : ""}
        </div>
      )}
      {d.moved && d.status === "unchanged" && <div className={`${styles.diffTag} ${styles.diffTag_moved}`}>Moved</div>}
      {data.inPorts.map((p, i) => (
        <Handle key={`in-${p}`} type="target" id={p} position={Position.Left} isConnectable={false} className={styles.handle} style={{ top: rowTop(i, data.inPorts.length), background: "var(--port-any)" }} />
      ))}
      {data.outPorts.map((p, i) => (
        <Handle key={`out-${p}`} type="source" id={p} position={Position.Right} isConnectable={false} className={styles.handle} style={{ top: rowTop(i, data.outPorts.length), background: "var(--port-any)" }} />
      ))}
    </div>
  );
});

export const nodeTypes = { step: StepNodeView, trigger: TriggerNodeView, sticky: StickyNoteView };
export const diffNodeTypes = { diff: DiffNodeView };
