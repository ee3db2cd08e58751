import { Suspense, lazy, useEffect } from "react";
import { Navigate, Outlet, RouterProvider, createBrowserRouter, useLocation } from "react-router";
import { AppShell } from "./components/AppShell";
import { Toasts } from "./components/Toasts";
import { ExecutionsPage } from "./pages/ExecutionsPage";
import { SignInPage } from "./pages/SignInPage";
import { WorkflowsPage } from "./pages/WorkflowsPage";
import { useSession } from "./stores/session";
import { toastError } from "./stores/toasts";

// The builder (React Flow, dagre, the schema validator) loads when a workflow is opened, so
// signing in and the workflows list stay small.
const RunPage = lazy(() => import("./pages/RunPage").then((m) => ({ default: m.RunPage })));
const BuilderPage = lazy(() => import("./pages/BuilderPage").then((m) => ({ default: m.BuilderPage })));

function Loading() {
  return (
    <div className="empty" role="status" aria-live="polite">
      <span className="spinner" /> Loading…
    </div>
  );
}

/** Pages behind sign-in: an unknown session is asked for, a missing one goes to /signin. */
function RequireSession() {
  const status = useSession((s) => s.status);
  const location = useLocation();
  if (status === "unknown") {
    return (
      <div className="empty" role="status" aria-live="polite">
        <span className="spinner" /> Loading…
      </div>
    );
  }
  if (status === "signedOut") {
    const next = location.pathname + location.search;
    return <Navigate to={`/signin${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`} replace />;
  }
  return <Outlet />;
}

const router = createBrowserRouter([
  { path: "/signin", element: <SignInPage /> },
  {
    element: <RequireSession />,
    children: [
      {
        element: <AppShell />,
        children: [
          { path: "/", element: <Navigate to="/workflows" replace /> },
          { path: "/workflows", element: <WorkflowsPage /> },
          { path: "/workflows/:id", element: <Suspense fallback={<Loading />}><BuilderPage /></Suspense> },
          { path: "/executions", element: <ExecutionsPage /> },
          { path: "/executions/:runId", element: <Suspense fallback={<Loading />}><RunPage /></Suspense> },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
  },
]);

export function App() {
  useEffect(() => {
    useSession.getState().refresh().catch((e) => {
      useSession.setState({ status: "signedOut" });
      toastError("Cannot reach the server", e);
    });
  }, []);
  return (
    <>
      <RouterProvider router={router} />
      <Toasts />
    </>
  );
}

function NotFound() {
  return (
    <div className="empty">
      <h2>Nothing here</h2>
      <a href="/workflows">Go to workflows</a>
    </div>
  );
}
