// The executions list and run detail (Gantt timeline, retry, approvals) come in the next
// phase of issue 5; the route exists so navigation and links are in place.
export function ExecutionsPage() {
  return (
    <div className="empty" style={{ paddingTop: 96 }}>
      <h2>Executions</h2>
      <p>The run monitor is being built. Meanwhile, runs are listed by the API at <code>GET /api/v1/runs</code>.</p>
      <a href="/api/docs" target="_blank" rel="noreferrer">Open the API docs</a>
    </div>
  );
}
