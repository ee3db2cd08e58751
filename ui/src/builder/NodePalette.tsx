// The palette: every node type of the catalog by category, searchable; drag an entry onto the
// canvas, or press Enter on it to add it at the centre. Triggers and sticky notes come first.
import { type DragEvent, useMemo, useState } from "react";
import type { NodeTypeEntry, TriggerKind } from "../lib/model";
import { newestTypes, useCatalog } from "../stores/catalog";
import { categoryColour } from "./nodes";
import styles from "./NodePalette.module.css";

export const DRAG_MIME = "application/x-weft-palette";

export type PaletteItem =
  | { kind: "node"; entry: NodeTypeEntry }
  | { kind: "trigger"; trigger: TriggerKind; title: string; description: string }
  | { kind: "sticky" };

export const TRIGGER_ITEMS: PaletteItem[] = [
  { kind: "trigger", trigger: "manual", title: "Manual trigger", description: "Start runs by hand, from the CLI or the API." },
  { kind: "trigger", trigger: "webhook", title: "Webhook", description: "Start a run on an HTTP request to /webhook/<path>." },
  { kind: "trigger", trigger: "cron", title: "Schedule", description: "Start runs on a cron schedule (time zone aware)." },
  { kind: "trigger", trigger: "runCompleted", title: "When a run completes", description: "Start when another workflow's run ends." },
];

export function itemKey(item: PaletteItem): string {
  return item.kind === "node" ? item.entry.type : item.kind === "trigger" ? `trigger:${item.trigger}` : "sticky";
}

export function itemTitle(item: PaletteItem): string {
  return item.kind === "node" ? item.entry.displayName : item.kind === "trigger" ? item.title : "Sticky note";
}

export function itemText(item: PaletteItem): string {
  return item.kind === "node"
    ? `${item.entry.displayName} ${item.entry.type} ${item.entry.category} ${item.entry.description}`
    : item.kind === "trigger" ? `${item.title} trigger ${item.description}` : "sticky note comment annotation";
}

/** Every item, grouped by category in palette order. */
export function usePaletteGroups(query: string): [string, PaletteItem[]][] {
  const types = useCatalog((s) => s.types);
  return useMemo(() => {
    const q = query.trim().toLowerCase();
    const match = (item: PaletteItem) => q === "" || q.split(/\s+/).every((w) => itemText(item).toLowerCase().includes(w));
    const groups = new Map<string, PaletteItem[]>();
    groups.set("Triggers", TRIGGER_ITEMS.filter(match));
    for (const entry of newestTypes(types).sort((a, b) => a.displayName.localeCompare(b.displayName))) {
      const item: PaletteItem = { kind: "node", entry };
      if (!match(item)) continue;
      const list = groups.get(entry.category) ?? [];
      list.push(item);
      groups.set(entry.category, list);
    }
    const sticky: PaletteItem = { kind: "sticky" };
    groups.set("Canvas", match(sticky) ? [sticky] : []);
    return [...groups.entries()].filter(([, items]) => items.length > 0);
  }, [types, query]);
}

export function NodePalette({ onAdd }: { onAdd: (item: PaletteItem) => void }) {
  const [query, setQuery] = useState("");
  const groups = usePaletteGroups(query);
  const status = useCatalog((s) => s.status);
  function onDragStart(e: DragEvent, item: PaletteItem) {
    e.dataTransfer.setData(DRAG_MIME, itemKey(item));
    e.dataTransfer.effectAllowed = "move";
  }
  return (
    <aside className={styles.palette} aria-label="Node palette">
      <div className={styles.search}>
        <input
          className="input"
          type="search"
          placeholder="Search nodes…"
          aria-label="Search nodes"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <div className={styles.hint}><span className="kbd">Ctrl</span> <span className="kbd">K</span> quick add</div>
      </div>
      <div className={styles.list}>
        {status === "loading" && <div className={styles.empty}><span className="spinner" /> Loading the catalog…</div>}
        {groups.map(([category, items]) => (
          <section key={category} aria-label={category}>
            <h3 className={styles.category}>{category}</h3>
            <ul className={styles.items}>
              {items.map((item) => (
                <li key={itemKey(item)}>
                  <button
                    className={styles.item}
                    draggable
                    onDragStart={(e) => onDragStart(e, item)}
                    onClick={() => onAdd(item)}
                    data-palette-item={itemKey(item)}
                    title={item.kind === "node" ? item.entry.description : item.kind === "trigger" ? item.description : "A note on the canvas"}
                  >
                    <span className={styles.swatch} style={{ background: item.kind === "node" ? categoryColour(item.entry.category) : "var(--accent)" }} />
                    <span className={styles.itemText}>
                      <span className={styles.itemTitle}>{itemTitle(item)}</span>
                      <span className={styles.itemType}>{item.kind === "node" ? item.entry.type : item.kind === "trigger" ? "trigger" : "note"}</span>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ))}
        {groups.length === 0 && status === "ready" && <div className={styles.empty}>No node matches “{query}”.</div>}
      </div>
    </aside>
  );
}
