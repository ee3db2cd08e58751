import { type ChangeEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { ApiError, api, call, type Schemas } from "../api/client";
import { Icon } from "../components/Icon";
import { toastError, toastSuccess } from "../stores/toasts";
import styles from "./WorkflowsPage.module.css";

type Workflow = Schemas["WorkflowDto"];
type Status = "all" | "published" | "draft";

function relativeTime(iso: string): string {
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 86400 * 30) return `${Math.floor(s / 86400)} d ago`;
  return new Date(iso).toLocaleDateString();
}

export function WorkflowsPage() {
  const navigate = useNavigate();
  const [items, setItems] = useState<Workflow[] | null>(null);
  const [allTags, setAllTags] = useState<string[]>([]);
  const [favorites, setFavorites] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState("");
  const [status, setStatus] = useState<Status>("all");
  const [onlyFavorites, setOnlyFavorites] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = "Workflows · Weft";
  }, []);

  const load = useCallback(async () => {
    try {
      const query: { search?: string; tag?: string; published?: boolean; limit: number } = { limit: 500 };
      if (search.trim()) query.search = search.trim();
      if (tag) query.tag = tag;
      if (status !== "all") query.published = status === "published";
      const [page, favs] = await Promise.all([
        call(api.GET("/api/v1/workflows", { params: { query } })),
        call(api.GET("/api/v1/workflows/favorites")),
      ]);
      setItems(page.items);
      setFavorites(new Set(favs.ids));
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : String(e));
    }
  }, [search, tag, status]);

  const loadTags = useCallback(async () => {
    try {
      const page = await call(api.GET("/api/v1/workflows", { params: { query: { limit: 500 } } }));
      setAllTags([...new Set(page.items.flatMap((w) => w.tags))].sort());
    } catch {
      // the tag filter just stays empty
    }
  }, []);

  useEffect(() => {
    const t = setTimeout(() => void load(), search ? 200 : 0);
    return () => clearTimeout(t);
  }, [load, search]);
  useEffect(() => void loadTags(), [loadTags]);

  const shown = useMemo(() => {
    const list = (items ?? []).filter((w) => !onlyFavorites || favorites.has(w.id));
    // Favourites first, then by name (the server's order).
    return [...list.filter((w) => favorites.has(w.id)), ...list.filter((w) => !favorites.has(w.id))];
  }, [items, favorites, onlyFavorites]);

  const allSelected = shown.length > 0 && shown.every((w) => selected.has(w.id));

  async function toggleFavorite(w: Workflow) {
    const on = !favorites.has(w.id);
    const next = new Set(favorites);
    if (on) next.add(w.id);
    else next.delete(w.id);
    setFavorites(next);
    try {
      if (on) await call(api.PUT("/api/v1/workflows/{id}/favorite", { params: { path: { id: w.id } } }));
      else await call(api.DELETE("/api/v1/workflows/{id}/favorite", { params: { path: { id: w.id } } }));
    } catch (e) {
      toastError("Could not change the favourite", e);
      void load();
    }
  }

  async function duplicateSelected() {
    const ids = [...selected];
    let done = 0;
    for (const id of ids) {
      try {
        await call(api.POST("/api/v1/workflows/{id}/duplicate", { params: { path: { id } }, body: {} }));
        done++;
      } catch (e) {
        toastError("Could not duplicate", e);
      }
    }
    if (done > 0) toastSuccess(`Duplicated ${done} workflow${done === 1 ? "" : "s"}`);
    setSelected(new Set());
    void load();
  }

  async function exportSelected() {
    try {
      const file = await call(api.POST("/api/v1/workflows/export", { body: { ids: [...selected] } }));
      const blob = new Blob([JSON.stringify(file, null, 2) + "\n"], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = `weft-export-${new Date().toISOString().slice(0, 10)}.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      toastSuccess(`Exported ${file.workflows.length} workflow${file.workflows.length === 1 ? "" : "s"}`);
    } catch (e) {
      toastError("Could not export", e);
    }
  }

  async function deleteSelected() {
    setConfirmDelete(false);
    try {
      const r = await call(api.POST("/api/v1/workflows/bulk-delete", { body: { ids: [...selected] } }));
      toastSuccess(`Deleted ${r.done.length} workflow${r.done.length === 1 ? "" : "s"}`);
      setSelected(new Set());
      void load();
      void loadTags();
    } catch (e) {
      toastError("Could not delete", e);
    }
  }

  async function importFile(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    const text = await file.text();
    try {
      let exportFile: unknown = null;
      try {
        const json: unknown = JSON.parse(text);
        if (json && typeof json === "object" && (json as { format?: unknown }).format === "weft-export/v1") exportFile = json;
      } catch {
        // not JSON: a YAML document, read by the server
      }
      if (exportFile) {
        const r = await call(api.POST("/api/v1/workflows/import", { body: { file: exportFile as Schemas["ExportFile"], onConflict: "rename" } }));
        toastSuccess(`Imported ${r.created.length} workflow${r.created.length === 1 ? "" : "s"}`, r.skipped.length ? `Skipped: ${r.skipped.join(", ")}` : undefined);
      } else {
        // One weft/v1 document, JSON or YAML: sent as text, parsed and validated by the server.
        const w = await call(api.POST("/api/v1/workflows", { body: { document: text as unknown as Record<string, never>, message: `Imported from ${file.name}` } }));
        toastSuccess(`Imported “${w.name}”`);
      }
      void load();
      void loadTags();
    } catch (err) {
      toastError(`Could not import ${file.name}`, err);
    }
  }

  return (
    <div className={styles.page}>
      <div className={styles.header}>
        <h1>Workflows</h1>
        <div className={styles.actions}>
          <input ref={fileInput} type="file" accept=".json,.yaml,.yml,application/json" hidden onChange={importFile} aria-label="Import file" data-testid="import-file" />
          <button className="btn" onClick={() => fileInput.current?.click()}>
            <Icon name="upload" size={14} /> Import
          </button>
          <button className="btn btn-primary" onClick={() => setCreating(true)}>
            <Icon name="plus" size={14} /> New workflow
          </button>
        </div>
      </div>

      <div className={styles.toolbar} role="search">
        <div className={styles.searchBox}>
          <Icon name="search" size={14} />
          <input
            className={styles.searchInput}
            type="search"
            placeholder="Search name, description or tag"
            aria-label="Search workflows"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        <select className="select" style={{ width: 160 }} aria-label="Filter by tag" value={tag} onChange={(e) => setTag(e.target.value)}>
          <option value="">All tags</option>
          {allTags.map((t) => (
            <option key={t} value={t}>{t}</option>
          ))}
        </select>
        <div className={styles.segmented} role="group" aria-label="Filter by status">
          {(["all", "published", "draft"] as Status[]).map((s) => (
            <button key={s} className={styles.segment} aria-pressed={status === s} onClick={() => setStatus(s)}>
              {s === "all" ? "All" : s === "published" ? "Published" : "Draft"}
            </button>
          ))}
        </div>
        <button className={styles.segment} aria-pressed={onlyFavorites} onClick={() => setOnlyFavorites((v) => !v)}>
          <Icon name="star" size={13} /> Favourites
        </button>
      </div>

      {selected.size > 0 && (
        <div className={styles.bulk} role="toolbar" aria-label="Bulk actions">
          <span>{selected.size} selected</span>
          <button className="btn btn-sm" onClick={duplicateSelected}><Icon name="copy" size={13} /> Duplicate</button>
          <button className="btn btn-sm" onClick={exportSelected}><Icon name="download" size={13} /> Export</button>
          <button className="btn btn-sm btn-danger" onClick={() => setConfirmDelete(true)}><Icon name="trash" size={13} /> Delete</button>
          <button className="btn btn-sm btn-ghost" onClick={() => setSelected(new Set())}>Clear</button>
        </div>
      )}

      {error && <div className={styles.error} role="alert">Could not load workflows: {error}</div>}

      {items === null && !error ? (
        <div className="empty"><span className="spinner" /> Loading workflows…</div>
      ) : shown.length === 0 && !error ? (
        <div className="empty">
          <h2>{items && items.length === 0 && !search && !tag && status === "all" ? "No workflows yet" : "No workflow matches"}</h2>
          <p>Create one, or import a weft/v1 JSON or YAML file.</p>
        </div>
      ) : (
        <table className={styles.table}>
          <thead>
            <tr>
              <th className={styles.checkCol}>
                <input
                  type="checkbox"
                  aria-label="Select all workflows"
                  checked={allSelected}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(shown.map((w) => w.id)))}
                />
              </th>
              <th className={styles.starCol}><span className="visually-hidden">Favourite</span></th>
              <th>Name</th>
              <th>Tags</th>
              <th>Status</th>
              <th>Version</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((w) => (
              <tr key={w.id} className={selected.has(w.id) ? styles.selectedRow : undefined}>
                <td className={styles.checkCol}>
                  <input
                    type="checkbox"
                    aria-label={`Select ${w.name}`}
                    checked={selected.has(w.id)}
                    onChange={() => {
                      const next = new Set(selected);
                      if (next.has(w.id)) next.delete(w.id);
                      else next.add(w.id);
                      setSelected(next);
                    }}
                  />
                </td>
                <td className={styles.starCol}>
                  <button
                    className={`${styles.star} ${favorites.has(w.id) ? styles.starOn : ""}`}
                    aria-pressed={favorites.has(w.id)}
                    aria-label={favorites.has(w.id) ? `Remove ${w.name} from favourites` : `Add ${w.name} to favourites`}
                    onClick={() => void toggleFavorite(w)}
                  >
                    <Icon name="star" size={15} />
                  </button>
                </td>
                <td>
                  <a className={styles.name} id={`wf-name-${w.id}`} href={`/workflows/${w.id}`} onClick={(e) => { e.preventDefault(); navigate(`/workflows/${w.id}`); }}>
                    {w.name}
                  </a>
                  {w.description && <div className={styles.description}>{w.description}</div>}
                </td>
                <td>
                  <div className={styles.tags}>
                    {w.tags.map((t) => (
                      <button key={t} className={styles.tag} onClick={() => setTag(t)} aria-label={`Filter by tag ${t}`}>{t}</button>
                    ))}
                  </div>
                </td>
                <td>
                  {w.publishedVersion != null ? (
                    <span className="badge badge-success">Published v{w.publishedVersion}</span>
                  ) : (
                    <span className="badge">Draft</span>
                  )}
                </td>
                <td className={styles.muted}>
                  v{w.latestVersion}
                  <a className={styles.runsLink} href={`/executions?workflow=${w.id}`} onClick={(e) => { e.preventDefault(); navigate(`/executions?workflow=${encodeURIComponent(w.id)}`); }} aria-describedby={`wf-name-${w.id}`} title="Executions of this workflow">
                    <Icon name="bolt" size={13} /> Runs
                  </a>
                </td>
                <td className={styles.muted} title={new Date(w.updatedAt).toLocaleString()}>{relativeTime(w.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {creating && <NewWorkflowDialog onClose={() => setCreating(false)} onCreated={(id) => navigate(`/workflows/${id}`)} />}
      {confirmDelete && (
        <div className="dialog-backdrop" onClick={() => setConfirmDelete(false)}>
          <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="del-title" onClick={(e) => e.stopPropagation()}>
            <div className="dialog-header"><h2 id="del-title">Delete {selected.size} workflow{selected.size === 1 ? "" : "s"}?</h2></div>
            <div className="dialog-body">Their runs stay in the history; the workflows and their versions are removed.</div>
            <div className="dialog-footer">
              <button className="btn" onClick={() => setConfirmDelete(false)} autoFocus>Cancel</button>
              <button className="btn btn-primary" onClick={() => void deleteSelected()}>Delete</button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}

function NewWorkflowDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (id: string) => void }) {
  const [name, setName] = useState("");
  const [tags, setTags] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function create() {
    setBusy(true);
    setError(null);
    try {
      const document = { apiVersion: "weft/v1", name: name.trim(), nodes: [] };
      const w = await call(
        api.POST("/api/v1/workflows", {
          body: {
            document: document as unknown as Record<string, never>,
            tags: tags.split(",").map((t) => t.trim()).filter(Boolean),
            message: "Created",
          },
        }),
      );
      onCreated(w.id);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setBusy(false);
    }
  }
  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="new-title"
        onClick={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
        onKeyDown={(e) => e.key === "Escape" && onClose()}
      >
        <div className="dialog-header"><h2 id="new-title">New workflow</h2></div>
        <div className="dialog-body">
          <div className="field">
            <label htmlFor="wf-name">Name</label>
            <input id="wf-name" className="input" autoFocus value={name} onChange={(e) => setName(e.target.value)} aria-invalid={error !== null} />
          </div>
          <div className="field">
            <label htmlFor="wf-tags">Tags</label>
            <input id="wf-tags" className="input" placeholder="sales, etl" value={tags} onChange={(e) => setTags(e.target.value)} />
            <span className="hint">Comma-separated.</span>
          </div>
          {error && <div className="error-text" role="alert">{error}</div>}
        </div>
        <div className="dialog-footer">
          <button type="button" className="btn" onClick={onClose}>Cancel</button>
          <button type="submit" className="btn btn-primary" disabled={busy || name.trim() === ""}>Create</button>
        </div>
      </form>
    </div>
  );
}
