// Picks a stored credential by id. Lists names and kinds only: secret values are write-only and
// never leave the server.
import { useEffect, useState } from "react";
import { api, call, type Schemas } from "../api/client";

type Credential = Schemas["CredentialDto"];

let cache: Promise<Credential[]> | null = null;

export function CredentialPicker({ id, value, onChange }: { id: string; value: string; onChange: (v: string) => void }) {
  const [items, setItems] = useState<Credential[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    cache ??= call(api.GET("/api/v1/credentials")).then((r) => r.items);
    cache.then(setItems).catch((e) => {
      cache = null;
      setError(e instanceof Error ? e.message : String(e));
    });
  }, []);
  const known = items?.some((c) => c.id === value);
  const kinds = [...new Set((items ?? []).map((c) => c.kind))].sort();
  return (
    <>
      <select id={id} className="select" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">No credential</option>
        {value && !known && <option value={value}>{value} (not found)</option>}
        {kinds.map((kind) => (
          <optgroup key={kind} label={kind}>
            {(items ?? []).filter((c) => c.kind === kind).map((c) => (
              <option key={c.id} value={c.id}>{c.name}</option>
            ))}
          </optgroup>
        ))}
      </select>
      {error && <div className="error-text">Cannot list credentials: {error}</div>}
      {items && items.length === 0 && <div className="hint">No credentials yet: add one with <code>weft credentials add</code> or the API.</div>}
    </>
  );
}
