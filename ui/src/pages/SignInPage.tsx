import { type FormEvent, useEffect, useState } from "react";
import { Navigate, useSearchParams } from "react-router";
import { ApiError } from "../api/client";
import { useSession } from "../stores/session";
import styles from "./SignInPage.module.css";

/** Sign in with an API key (the one-time link signs in on its own and lands on /). */
export function SignInPage() {
  const status = useSession((s) => s.status);
  const signIn = useSession((s) => s.signInWithKey);
  const [params] = useSearchParams();
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(
    params.get("error") === "link" ? "That sign-in link was already used or has expired. Ask an admin for a new one (weft admin login-link), or sign in with an API key." : null,
  );
  const [busy, setBusy] = useState(false);
  const next = params.get("next");
  const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/workflows";

  useEffect(() => {
    document.title = "Sign in · Weft";
  }, []);

  if (status === "signedIn") return <Navigate to={target} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(key.trim());
      setKey("");
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Cannot reach the server.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className={styles.page}>
      <form className={styles.card} onSubmit={submit} aria-labelledby="signin-title">
        <div className={styles.brand}>
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span>Weft</span>
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p className={styles.lead}>
          Open the sign-in link that <code>weft serve</code> printed on its first start, or paste an API key.
        </p>
        <div className="field">
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            className="input"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="weft_…"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={error !== null}
            aria-describedby={error ? "signin-error" : undefined}
          />
        </div>
        {error && (
          <div id="signin-error" className="error-text" role="alert">
            {error}
          </div>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy || key.trim() === ""}>
          {busy ? <span className="spinner" /> : null} Sign in
        </button>
        <p className={styles.foot}>
          Lost the link? <code>weft admin login-link</code> prints a new one. · <a href="/api/docs">API docs</a>
        </p>
      </form>
    </div>
  );
}
