import { useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useNavigate } from "react-router";
import { useSession } from "../stores/session";
import { useTheme } from "../stores/theme";
import { toastError } from "../stores/toasts";
import { Icon } from "./Icon";
import styles from "./AppShell.module.css";

export function AppShell() {
  const me = useSession((s) => s.me);
  const signOut = useSession((s) => s.signOut);
  const { theme, toggle } = useTheme();
  const [menuOpen, setMenuOpen] = useState(false);
  const navigate = useNavigate();
  const userRef = useRef<HTMLDivElement>(null);
  // The menu closes on Escape and on a click anywhere else.
  useEffect(() => {
    if (!menuOpen) return;
    const onDown = (e: MouseEvent) => {
      if (!userRef.current?.contains(e.target as Node)) setMenuOpen(false);
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setMenuOpen(false);
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [menuOpen]);
  return (
    <div className={styles.shell}>
      <header className={styles.topbar}>
        <a href="/workflows" className={styles.brand} aria-label="Weft home">
          <img src="/favicon.svg" alt="" width={20} height={20} />
          <span>Weft</span>
        </a>
        <nav className={styles.nav} aria-label="Main">
          <NavLink to="/workflows" className={({ isActive }) => (isActive ? `${styles.link} ${styles.active}` : styles.link)}>
            Workflows
          </NavLink>
          <NavLink to="/executions" className={({ isActive }) => (isActive ? `${styles.link} ${styles.active}` : styles.link)}>
            Executions
          </NavLink>
        </nav>
        <div className={styles.right}>
          <a className={`btn btn-ghost btn-sm ${styles.docs}`} href="/api/docs" target="_blank" rel="noreferrer">
            <Icon name="docs" size={14} /> API docs
          </a>
          <button
            className="icon-btn"
            onClick={toggle}
            aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
            title={theme === "dark" ? "Light theme" : "Dark theme"}
          >
            <Icon name={theme === "dark" ? "sun" : "moon"} />
          </button>
          <div className={styles.user} ref={userRef}>
            <button
              className={styles.avatar}
              aria-haspopup="menu"
              aria-expanded={menuOpen}
              aria-label={`Account: ${me?.name ?? ""}`}
              onClick={() => setMenuOpen((o) => !o)}
            >
              {(me?.name || me?.email || "?").slice(0, 1).toUpperCase()}
            </button>
            {menuOpen && (
              <div className={styles.menu} role="menu">
                <div className={styles.who}>
                  <div className={styles.name} data-testid="signed-in-user">{me?.name}</div>
                  <div className={styles.email}>{me?.email}</div>
                  <div className={styles.meta}>
                    <span className="badge">{me?.role}</span> <span>{me?.orgName}</span>
                  </div>
                </div>
                <button
                  role="menuitem"
                  className={styles.item}
                  autoFocus
                  onClick={() => {
                    setMenuOpen(false);
                    signOut()
                      .catch((e) => toastError("Sign-out failed", e))
                      .finally(() => navigate("/signin"));
                  }}
                >
                  Sign out
                </button>
              </div>
            )}
          </div>
        </div>
      </header>
      <main className={styles.main}>
        <Outlet />
      </main>
    </div>
  );
}
