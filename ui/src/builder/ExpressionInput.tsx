// A text field that understands `{{ }}`: inside an expression it completes upstream field
// names (↑/↓, Enter or Tab to insert, Esc to close) and it previews the value over sample data.
import { useMemo, useRef, useState } from "react";
import { type Completion, type ExpressionScope, complete, previewTemplate } from "../lib/expressions";
import styles from "./ExpressionInput.module.css";

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  const s = JSON.stringify(v);
  return s === undefined ? "undefined" : s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

export function ExpressionInput({ id, label, value, onChange, scope, multiline = false, placeholder, invalid = false }: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  scope: ExpressionScope;
  multiline?: boolean;
  placeholder?: string | undefined;
  invalid?: boolean;
}) {
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [caret, setCaret] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const isExpr = value.includes("{{");
  const suggestions = useMemo(() => {
    if (caret === null || dismissed) return null;
    return complete(value.slice(0, caret), scope);
  }, [value, caret, scope, dismissed]);
  const items = suggestions?.items.slice(0, 12) ?? [];
  const preview = isExpr ? previewTemplate(value, scope) : null;
  const listId = `${id}-completions`;

  function insert(c: Completion) {
    if (!suggestions || caret === null) return;
    const start = suggestions.from - (c.back ?? 0);
    const next = value.slice(0, start) + c.insert + value.slice(caret);
    const pos = start + c.insert.length;
    onChange(next);
    setCaret(pos);
    requestAnimationFrame(() => ref.current?.setSelectionRange(pos, pos));
  }

  const common = {
    id,
    ref,
    value,
    placeholder,
    "aria-label": label,
    spellCheck: false,
    "aria-invalid": invalid,
    "aria-autocomplete": "list" as const,
    "aria-controls": items.length > 0 ? listId : undefined,
    "aria-expanded": items.length > 0,
    className: `${multiline ? "textarea" : "input"} ${isExpr ? styles.expr : ""}`,
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      onChange(e.target.value);
      setCaret(e.target.selectionStart);
      setDismissed(false);
      setActive(0);
    },
    onSelect: (e: React.SyntheticEvent<HTMLInputElement | HTMLTextAreaElement>) => setCaret(e.currentTarget.selectionStart),
    onBlur: () => setTimeout(() => setCaret(null), 120),
    onKeyDown: (e: React.KeyboardEvent) => {
      if (items.length === 0) return;
      if (e.key === "ArrowDown") { e.preventDefault(); setActive((a) => (a + 1) % items.length); }
      else if (e.key === "ArrowUp") { e.preventDefault(); setActive((a) => (a - 1 + items.length) % items.length); }
      else if (e.key === "Enter" || e.key === "Tab") {
        const c = items[active];
        if (c) { e.preventDefault(); insert(c); }
      } else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); setDismissed(true); }
    },
  };

  return (
    <div className={styles.wrap}>
      {multiline ? <textarea rows={3} {...common} /> : <input {...common} />}
      {items.length > 0 && (
        <ul id={listId} role="listbox" aria-label={`Completions for ${label}`} className={styles.list}>
          {items.map((c, i) => (
            <li
              key={c.label}
              role="option"
              aria-selected={i === active}
              className={`${styles.option} ${i === active ? styles.active : ""}`}
              onMouseDown={(e) => { e.preventDefault(); insert(c); }}
            >
              <span className={styles.optLabel}>{c.label}</span>
              <span className={styles.optDetail}>{c.detail}</span>
            </li>
          ))}
        </ul>
      )}
      {preview && (
        <div className={`${styles.preview} ${preview.kind === "value" ? "" : styles.previewMuted}`} aria-live="polite" data-testid="expression-preview">
          {preview.kind === "value" ? <>= <code>{show(preview.value)}</code></> : preview.message}
        </div>
      )}
    </div>
  );
}
