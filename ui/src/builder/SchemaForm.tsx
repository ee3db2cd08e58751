// Renders a form model (lib/schemaForm.ts) for a node's params. Text fields are expression
// fields unless the param is raw (code); `credential` params get the credential picker.
import { useEffect, useId, useState } from "react";
import type { ExpressionScope } from "../lib/expressions";
import { type Field, anyText, initialValue, parseAnyText, pickVariant, withKey } from "../lib/schemaForm";
import { CredentialPicker } from "./CredentialPicker";
import { ExpressionInput } from "./ExpressionInput";
import styles from "./SchemaForm.module.css";

interface Ctx {
  scope: ExpressionScope;
  /** Server/mirror messages by JSON pointer under the params (e.g. `/url`). */
  problems: Map<string, string[]>;
}

export function SchemaForm({ fields, value, onChange, scope, problems }: {
  fields: Field[];
  value: Record<string, unknown>;
  onChange: (v: Record<string, unknown>) => void;
  scope: ExpressionScope;
  problems: Map<string, string[]>;
}) {
  const ctx: Ctx = { scope, problems };
  return (
    <div className={styles.form}>
      {fields.map((f) =>
        f.kind === "oneOf" && f.key === "params" ? (
          <FieldEditor key="params" field={f} value={value} onChange={(v) => onChange((v as Record<string, unknown>) ?? {})} ctx={ctx} pointer="" />
        ) : (
          <FieldEditor
            key={f.key}
            field={f}
            value={value[f.key]}
            onChange={(v) => onChange(withKey(value, f.key, v))}
            ctx={ctx}
            pointer={`/${f.key}`}
          />
        ),
      )}
    </div>
  );
}

function Label({ field, htmlFor }: { field: Field; htmlFor?: string }) {
  return (
    <label className={styles.label} htmlFor={htmlFor}>
      {field.label}
      {field.required && <span className={styles.required} aria-hidden="true" title="required">*</span>}
    </label>
  );
}

function Problems({ list }: { list: string[] | undefined }) {
  if (!list || list.length === 0) return null;
  return (
    <div className={styles.problems} role="alert">
      {list.map((m, i) => <div key={i}>{m}</div>)}
    </div>
  );
}

function Description({ field }: { field: Field }) {
  return field.description ? <div className="hint">{field.description}</div> : null;
}

export function FieldEditor({ field, value, onChange, ctx, pointer, compact = false }: {
  field: Field;
  value: unknown;
  onChange: (v: unknown) => void;
  ctx: Ctx;
  pointer: string;
  compact?: boolean;
}) {
  const id = useId();
  const problems = ctx.problems.get(pointer);
  const invalid = problems !== undefined && problems.length > 0;
  const wrap = (control: React.ReactNode, inlineLabel = false) => (
    <div className={styles.field} data-field={pointer}>
      {!compact && !inlineLabel && <Label field={field} htmlFor={id} />}
      {control}
      {!compact && <Description field={field} />}
      <Problems list={problems} />
    </div>
  );
  // A `{{ }}` value in a non-text field: edit it as an expression, with a way back.
  const isExpression = typeof value === "string" && value.includes("{{");
  if (isExpression && field.kind !== "string" && field.kind !== "any") {
    return wrap(
      <div className={styles.row}>
        <ExpressionInput id={id} label={field.label} value={value} onChange={onChange} scope={ctx.scope} invalid={invalid} />
        <button className="btn btn-sm btn-ghost" onClick={() => onChange(initialValue(field))} title="Use a fixed value">Fixed</button>
      </div>,
    );
  }
  switch (field.kind) {
    case "string":
      if (field.credential) {
        return wrap(<CredentialPicker id={id} value={typeof value === "string" ? value : ""} onChange={(v) => onChange(v === "" ? undefined : v)} />);
      }
      if (field.raw) {
        return wrap(
          <textarea id={id} className="textarea" rows={8} spellCheck={false} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)} aria-invalid={invalid} />,
        );
      }
      return wrap(
        <ExpressionInput
          id={id}
          label={field.label}
          value={typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value)}
          onChange={(v) => onChange(v === "" && !field.required ? undefined : v)}
          scope={ctx.scope}
          multiline={field.multiline}
          placeholder={field.placeholder ?? (field.defaultValue !== undefined ? String(field.defaultValue) : undefined)}
          invalid={invalid}
        />,
      );
    case "enum":
      return wrap(
        <select
          id={id}
          className="select"
          value={value === undefined ? "" : JSON.stringify(value)}
          onChange={(e) => onChange(e.target.value === "" ? undefined : JSON.parse(e.target.value))}
          aria-invalid={invalid}
        >
          {(!field.required || value === undefined) && <option value="">{field.defaultValue !== undefined ? `Default (${String(field.defaultValue)})` : "—"}</option>}
          {field.options.map((o) => (
            <option key={JSON.stringify(o)} value={JSON.stringify(o)}>{String(o)}</option>
          ))}
        </select>,
      );
    case "number":
      return wrap(
        <div className={styles.row}>
          <NumberInput id={id} value={value} integer={field.integer} onChange={onChange} invalid={invalid} placeholder={field.defaultValue !== undefined ? String(field.defaultValue) : ""} />
          <button className="btn btn-sm btn-ghost" title="Use an expression" onClick={() => onChange("{{ $json }}")}>{"{{ }}"}</button>
        </div>,
      );
    case "boolean":
      return wrap(
        <label className="checkbox">
          <input id={id} type="checkbox" checked={value === undefined ? field.defaultValue === true : value === true} onChange={(e) => onChange(e.target.checked)} />
          {compact ? field.label : field.label}
          {field.defaultValue !== undefined && value === undefined && <span className="hint">(default)</span>}
        </label>,
        true,
      );
    case "object":
      return (
        <fieldset className={styles.group} data-field={pointer}>
          <legend className={styles.legend}>{field.label}{field.required && <span className={styles.required}>*</span>}</legend>
          <Description field={field} />
          {field.fields.map((f) => (
            <FieldEditor
              key={f.key}
              field={f}
              value={(value as Record<string, unknown> | undefined)?.[f.key]}
              onChange={(v) => onChange(withKey(value as Record<string, unknown> | undefined, f.key, v))}
              ctx={ctx}
              pointer={`${pointer}/${f.key}`}
            />
          ))}
          <Problems list={problems} />
        </fieldset>
      );
    case "map":
      return wrap(<MapEditor field={field} value={value} onChange={onChange} ctx={ctx} pointer={pointer} />);
    case "array":
      return wrap(<ArrayEditor field={field} value={value} onChange={onChange} ctx={ctx} pointer={pointer} />);
    case "oneOf": {
      const i = pickVariant(field.variants, value);
      const variant = field.variants[i];
      return (
        <div className={styles.field} data-field={pointer}>
          {field.key !== "params" && <Label field={field} htmlFor={id} />}
          <select
            id={id}
            className="select"
            aria-label={`${field.label}: kind`}
            value={i}
            onChange={(e) => {
              const next = field.variants[Number(e.target.value)];
              if (next) onChange(initialValue(next.field));
            }}
          >
            {field.variants.map((v, k) => <option key={k} value={k}>{v.label}</option>)}
          </select>
          {variant && variant.field.kind === "object" ? (
            variant.field.fields.map((f) => (
              <FieldEditor
                key={f.key}
                field={f}
                value={(value as Record<string, unknown> | undefined)?.[f.key]}
                onChange={(v) => onChange(withKey(value as Record<string, unknown> | undefined, f.key, v))}
                ctx={ctx}
                pointer={`${pointer}/${f.key}`}
              />
            ))
          ) : variant ? (
            <FieldEditor field={{ ...variant.field, label: field.label }} value={value} onChange={onChange} ctx={ctx} pointer={pointer} compact />
          ) : null}
          <Description field={field} />
          <Problems list={problems} />
        </div>
      );
    }
    case "any":
      return wrap(
        <ExpressionInput
          id={id}
          label={field.label}
          value={anyText(value)}
          onChange={(t) => onChange(parseAnyText(t))}
          scope={ctx.scope}
          placeholder={field.defaultValue !== undefined ? anyText(field.defaultValue) : "a value or {{ expression }}"}
          invalid={invalid}
        />,
      );
    case "json":
      return wrap(<JsonEditor id={id} value={value} onChange={onChange} invalid={invalid} />);
  }
}

function NumberInput({ id, value, integer, onChange, invalid, placeholder }: { id: string; value: unknown; integer: boolean; onChange: (v: unknown) => void; invalid: boolean; placeholder: string }) {
  const [text, setText] = useState(value === undefined ? "" : String(value));
  useEffect(() => setText(value === undefined ? "" : String(value)), [value]);
  return (
    <input
      id={id}
      className="input"
      inputMode={integer ? "numeric" : "decimal"}
      value={text}
      placeholder={placeholder}
      aria-invalid={invalid}
      onChange={(e) => {
        setText(e.target.value);
        const t = e.target.value.trim();
        if (t === "") onChange(undefined);
        else if (!Number.isNaN(Number(t))) onChange(Number(t));
      }}
    />
  );
}

function JsonEditor({ id, value, onChange, invalid }: { id: string; value: unknown; onChange: (v: unknown) => void; invalid: boolean }) {
  const [text, setText] = useState(value === undefined ? "" : JSON.stringify(value, null, 2));
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <textarea
        id={id}
        className="textarea"
        rows={5}
        spellCheck={false}
        value={text}
        aria-invalid={invalid || error !== null}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === "") {
            setError(null);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(e.target.value));
            setError(null);
          } catch (err) {
            setError(err instanceof Error ? err.message : "not JSON");
          }
        }}
      />
      {error && <div className="error-text">JSON: {error}</div>}
    </>
  );
}

function MapEditor({ field, value, onChange, ctx, pointer }: { field: Extract<Field, { kind: "map" }>; value: unknown; onChange: (v: unknown) => void; ctx: Ctx; pointer: string }) {
  const obj = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const entries = Object.entries(obj);
  const rename = (from: string, to: string) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[k === from ? to : k] = v;
    onChange(out);
  };
  return (
    <div className={styles.map}>
      {entries.map(([k, v], i) => (
        <div key={i} className={styles.mapRow}>
          <input className={`input ${styles.mapKey}`} aria-label={`${field.label}: name ${i + 1}`} value={k} placeholder="name" onChange={(e) => rename(k, e.target.value)} />
          <div className={styles.mapValue}>
            <FieldEditor field={{ ...field.value, label: `${field.label}: ${k || "value"}` }} value={v} onChange={(nv) => onChange(withKey(obj, k, nv))} ctx={ctx} pointer={`${pointer}/${k}`} compact />
          </div>
          <button className="icon-btn" aria-label={`Remove ${k}`} onClick={() => onChange(withKey(obj, k, undefined))}>×</button>
        </div>
      ))}
      <button
        className="btn btn-sm"
        onClick={() => {
          let name = "field";
          for (let n = 2; name in obj; n++) name = `field${n}`;
          onChange({ ...obj, [name]: initialValue(field.value) });
        }}
      >
        + Add {field.label.toLowerCase().replace(/s$/, "")}
      </button>
    </div>
  );
}

function ArrayEditor({ field, value, onChange, ctx, pointer }: { field: Extract<Field, { kind: "array" }>; value: unknown; onChange: (v: unknown) => void; ctx: Ctx; pointer: string }) {
  const list = Array.isArray(value) ? value : [];
  return (
    <div className={styles.array}>
      {list.map((item, i) => (
        <div key={i} className={styles.arrayItem}>
          <div className={styles.arrayBody}>
            <FieldEditor
              field={{ ...field.item, label: `${field.label} ${i + 1}` }}
              value={item}
              onChange={(v) => onChange(list.map((x, k) => (k === i ? v : x)))}
              ctx={ctx}
              pointer={`${pointer}/${i}`}
              compact={field.item.kind !== "object" && field.item.kind !== "oneOf"}
            />
          </div>
          <button className="icon-btn" aria-label={`Remove ${field.label} ${i + 1}`} onClick={() => onChange(list.filter((_, k) => k !== i))}>×</button>
        </div>
      ))}
      <button className="btn btn-sm" onClick={() => onChange([...list, initialValue(field.item)])}>+ Add</button>
    </div>
  );
}
