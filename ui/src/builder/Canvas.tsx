// The canvas: React Flow over the editor store. Pan, zoom, minimap, grid snapping, box and
// Shift/Ctrl multi-select, drop from the palette, typed connections checked as they are drawn.
import {
  Background,
  BackgroundVariant,
  type Connection,
  ConnectionLineType,
  Controls,
  type FinalConnectionState,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from "@xyflow/react";
import "@xyflow/react/dist/base.css";
import { type DragEvent, useCallback, useMemo, useState } from "react";
import type { CanvasEdge, CanvasNode } from "../lib/graph";
import { MAIN } from "../lib/model";
import { useEditor } from "../stores/editor";
import { useToasts } from "../stores/toasts";
import { DRAG_MIME, type PaletteItem, itemKey } from "./NodePalette";
import { diffNodeTypes, nodeTypes } from "./nodes";
import { type ActiveDiff, useVersions } from "../stores/versions";
import styles from "./Canvas.module.css";
import { useCatalog } from "../stores/catalog";
import { GRID } from "../lib/layout";

export function useAddItem() {
  const flow = useReactFlow();
  return useCallback(
    (item: PaletteItem, at?: { x: number; y: number }) => {
      const editor = useEditor.getState();
      let position = at;
      if (!position) {
        const pane = document.querySelector(".react-flow")?.getBoundingClientRect();
        const centre = pane ? { x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 } : { x: 400, y: 300 };
        position = flow.screenToFlowPosition(centre);
        // Several adds in a row do not pile up on one spot.
        const taken = editor.nodes.filter((n) => Math.abs(n.position.x - position!.x) < 40 && Math.abs(n.position.y - position!.y) < 40).length;
        position = { x: position.x - 110 + taken * 40, y: position.y - 40 + taken * 40 };
      }
      if (item.kind === "node") editor.addNode(item.entry, position);
      else if (item.kind === "trigger") editor.addTrigger(item.trigger, position);
      else editor.addSticky(position);
    },
    [flow],
  );
}

function findItem(key: string): PaletteItem | undefined {
  if (key === "sticky") return { kind: "sticky" };
  if (key.startsWith("trigger:")) {
    const trigger = key.slice(8) as "manual" | "webhook" | "cron" | "runCompleted";
    return { kind: "trigger", trigger, title: trigger, description: "" };
  }
  const entry = useCatalog.getState().byType.get(key);
  return entry ? { kind: "node", entry } : undefined;
}

export function Canvas() {
  const diff = useVersions((s) => s.diff);
  return diff ? <DiffCanvas key={`${diff.from}-${diff.to}`} diff={diff} /> : <EditCanvas />;
}

/** Two versions drawn at once, read-only: added green, removed red and ghosted, changed amber.
 * A flow store of its own (its own provider), so it fits its nodes when it opens and leaves
 * the editor's viewport as it was; the changes panel moves it through `useVersions().flow`. */
function DiffCanvas({ diff }: { diff: ActiveDiff }) {
  return (
    <div className={styles.canvas} data-testid="diff-canvas">
      <div className={styles.diffBanner} role="status">Comparing v{diff.from} → v{diff.to} · read-only</div>
      <ReactFlowProvider>
        <ReactFlow
          nodes={diff.nodes}
          edges={diff.edges}
          nodeTypes={diffNodeTypes}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable
          onInit={(flow) => useVersions.getState().setFlow(flow)}
          onNodeClick={(_, n) => useVersions.getState().focus(n.id)}
          onPaneClick={() => useVersions.getState().focus(null)}
          deleteKeyCode={null}
          minZoom={0.1}
          maxZoom={2}
          fitView
          fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        >
          <Background variant={BackgroundVariant.Dots} gap={GRID} size={1.2} color="var(--canvas-dot)" />
          <Controls className={styles.controls} showInteractive={false} />
        </ReactFlow>
      </ReactFlowProvider>
    </div>
  );
}

function EditCanvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const byEdge = useEditor((s) => s.diagnostics.byEdge);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const connect = useEditor((s) => s.connect);
  const flow = useReactFlow();
  const addItem = useAddItem();
  // Fit an opened workflow to the screen; an empty one keeps the default view, so the first
  // node dropped stays where it was dropped.
  const [fitOnOpen] = useState(() => nodes.length > 0);

  // Dragging changes nodes only: the edges keep their identity, so React Flow redraws none.
  const shownEdges: CanvasEdge[] = useMemo(() => edges.map((e) =>
    byEdge.has(e.id) ? { ...e, className: styles.invalidEdge, ariaLabel: byEdge.get(e.id)?.[0]?.message } : e,
  ), [edges, byEdge]);
  const onNodeDragStart = useCallback(() => useEditor.getState().beginDrag(), []);

  const isValidConnection = useCallback((c: Connection | CanvasEdge) => useEditor.getState().checkConnection(c).ok, []);

  const onConnectStart = useCallback((_: unknown, params: { nodeId: string | null; handleId: string | null; handleType: "source" | "target" | null }) => {
    const editor = useEditor.getState();
    if (!params.nodeId || !params.handleType) return;
    const handle = params.handleId ?? MAIN;
    const ports = editor.portsOf(params.nodeId);
    const node = editor.nodes.find((n) => n.id === params.nodeId);
    let portType = "any";
    if (node?.type === "step") {
      const list = params.handleType === "source" ? [...ports.outputs, { name: "error", type: "error" as const }] : ports.inputs;
      portType = list.find((p) => p.name === handle)?.type ?? "any";
    }
    editor.setConnecting({ nodeId: params.nodeId, handleId: handle, handleType: params.handleType, portType });
  }, []);

  const onConnectEnd = useCallback((_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    const editor = useEditor.getState();
    editor.setConnecting(null);
    // Dropped on a port that refused it: say why.
    if (!state.isValid && state.toHandle && state.fromHandle) {
      const fromSource = state.fromHandle.type === "source";
      const source = fromSource ? state.fromHandle : state.toHandle;
      const target = fromSource ? state.toHandle : state.fromHandle;
      const check = editor.checkConnection({
        source: source.nodeId, sourceHandle: source.id ?? MAIN, target: target.nodeId, targetHandle: target.id ?? MAIN,
      });
      if (!check.ok) useToasts.getState().push({ kind: "error", title: "Connection refused", detail: check.reason });
    }
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(DRAG_MIME)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
    }
  }, []);

  const onDrop = useCallback((e: DragEvent) => {
    const key = e.dataTransfer.getData(DRAG_MIME);
    if (!key) return;
    e.preventDefault();
    const item = findItem(key);
    if (!item) return;
    const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    addItem(item, { x: p.x - 110, y: p.y - 30 });
    void itemKey;
  }, [flow, addItem]);

  return (
    <div className={styles.canvas} onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<CanvasNode, CanvasEdge>
        nodes={nodes}
        edges={shownEdges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={connect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeDragStart={onNodeDragStart}
        onSelectionDragStart={onNodeDragStart}
        snapToGrid
        snapGrid={[GRID, GRID]}
        connectionLineType={ConnectionLineType.SmoothStep}
        defaultEdgeOptions={{ type: "smoothstep" }}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control"]}
        selectionOnDrag={false}
        panOnScroll={false}
        minZoom={0.1}
        maxZoom={2}
        fitView={fitOnOpen}
        fitViewOptions={{ padding: 0.25, maxZoom: 1 }}
      >
        <Background variant={BackgroundVariant.Dots} gap={GRID} size={1.2} color="var(--canvas-dot)" />
        <MiniMap pannable zoomable ariaLabel="Minimap" className={styles.minimap} nodeColor={(n) => (n.type === "sticky" ? "var(--sticky-bg)" : n.type === "trigger" ? "var(--accent)" : "var(--border-strong)")} />
        <Controls className={styles.controls} showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
