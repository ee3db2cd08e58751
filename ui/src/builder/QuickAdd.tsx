// Cmd/Ctrl+K: type to find a node type, Enter to add it.
import { useEffect, useRef, useState } from "react";
import { type PaletteItem, itemKey, itemTitle, usePaletteGroups } from "./NodePalette";
import styles from "./QuickAdd.module.css";

export function QuickAdd({ onAdd, onClose }: { onAdd: (item: PaletteItem) => void; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const groups = usePaletteGroups(query);
  // Best matches first: a title that starts with the query, then titles and type names that
  // contain it, then matches in descriptions only.
  const q = query.trim().toLowerCase();
  const score = (item: PaletteItem) => {
    const title = itemTitle(item).toLowerCase();
    const type = item.kind === "node" ? item.entry.type.toLowerCase() : "";
    if (q === "") return 0;
    if (title.startsWith(q)) return 3;
    if (title.includes(q) || type.startsWith(q)) return 2;
    if (q.split(/\s+/).every((w) => title.includes(w) || type.includes(w))) return 1;
    return 0;
  };
  const flat = groups
    .flatMap(([category, items]) => items.map((item) => ({ category, item, score: score(item) })))
    .sort((a, b) => b.score - a.score);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  useEffect(() => setActive(0), [query]);
  function choose(i: number) {
    const hit = flat[i];
    if (hit) {
      onAdd(hit.item);
      onClose();
    }
  }
  return (
    <div className="dialog-backdrop" onMouseDown={onClose}>
      <div className={`dialog ${styles.box}`} role="dialog" aria-modal="true" aria-label="Quick add a node" onMouseDown={(e) => e.stopPropagation()}>
        <input
          ref={input}
          className={styles.input}
          placeholder="Add a node…"
          aria-label="Node type"
          role="combobox"
          aria-expanded="true"
          aria-controls="quick-add-list"
          aria-activedescendant={flat[active] ? `qa-${active}` : undefined}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown") { e.preventDefault(); setActive((a) => Math.min(a + 1, flat.length - 1)); }
            else if (e.key === "ArrowUp") { e.preventDefault(); setActive((a) => Math.max(a - 1, 0)); }
            else if (e.key === "Enter") { e.preventDefault(); choose(active); }
            else if (e.key === "Escape") { e.preventDefault(); onClose(); }
          }}
        />
        <ul id="quick-add-list" role="listbox" className={styles.list}>
          {flat.map(({ category, item }, i) => (
            <li
              key={itemKey(item)}
              id={`qa-${i}`}
              role="option"
              aria-selected={i === active}
              className={`${styles.option} ${i === active ? styles.active : ""}`}
              onMouseEnter={() => setActive(i)}
              onClick={() => choose(i)}
            >
              <span>{itemTitle(item)}</span>
              <span className={styles.meta}>{item.kind === "node" ? item.entry.type : ""} · {category}</span>
            </li>
          ))}
          {flat.length === 0 && <li className={styles.none}>Nothing matches.</li>}
        </ul>
      </div>
    </div>
  );
}
