// End-to-end: the run monitor, against the real `weft serve` in Debian's headless Chromium.
//
//   node e2e/executions.mjs [--weft PATH]      (default: $WEFT_BIN)
//
// Signs in; creates three workflows through the API with the API key: one whose HTTP step
// fails on the first run (the test serves the endpoint and answers 400 until it is "fixed"),
// one with an approval step and one that sleeps. The HTTP step retries once after a 503. Runs them; finds the runs in the executions
// list with filters (keyboard too); opens the failed run's timeline; inspects a step's input and
// output as JSON and as a table; fixes the endpoint and retries from the failed step until it
// succeeds; approves the waiting step until that run finishes, rejects another after
// confirming; sees a decision made through
// the API reach an open run page live; cancels the sleeping run after confirming; sees a
// refused retry explained in a toast. Dark and light theme. Fails on any console error, page error or 5xx.
// Screenshots: e2e/artifacts/executions-*.png.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { FLAGS, apiCall as callApi, artifacts, check, executablePath, freePort, progress, shot, signIn, startWeft, watchedPage, weftBinary } from "./lib.mjs";

const weftBin = weftBinary();
const problems = [];

/** The endpoint the HTTP step calls: 503 once, 400 until fixed, then the order lines. */
async function startOrdersApi() {
  const state = { fixed: false, calls: 0 };
  const port = await freePort();
  const server = createServer((req, res) => {
    state.calls++;
    if (state.calls === 1) {
      // The first attempt meets an outage (transient: retried), the second a permanent error.
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "maintenance" }));
      return;
    }
    if (!state.fixed) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "the shop's API key expired" }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify([{ sku: "A1", qty: 2 }, { sku: "B2", qty: 1 }]));
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, state, url: `http://127.0.0.1:${port}/orders` };
}

const ORDERS = [
  { customer: "Ada", amount: 30, country: "UK" },
  { customer: "Linus", amount: 12, country: "FI" },
  { customer: "Grace", amount: 54, country: "US" },
];

function ordersSync(url) {
  return {
    apiVersion: "weft/v1",
    name: "Orders sync",
    nodes: [
      { id: "start", type: "core.noop@1" },
      { id: "fetch", name: "Fetch order lines", type: "http.request@1", params: { url }, settings: { retry: { maxAttempts: 2, initialInterval: "150ms" } } },
      { id: "lines", type: "core.set@1", params: { mode: "replace", fields: { lines: "{{ $json.body }}" } } },
      { id: "audit", type: "core.set@1", params: { fields: { audited: true } } },
      { id: "merge", type: "core.merge@1" },
    ],
    edges: [
      { from: { node: "start" }, to: { node: "fetch" } },
      { from: { node: "fetch" }, to: { node: "lines" } },
      { from: { node: "start" }, to: { node: "audit" } },
      { from: { node: "lines" }, to: { node: "merge", port: "in1" } },
      { from: { node: "audit" }, to: { node: "merge", port: "in2" } },
    ],
  };
}

const REFUND = {
  apiVersion: "weft/v1",
  name: "Refund approval",
  nodes: [
    { id: "start", type: "core.noop@1" },
    { id: "approve", name: "Finance approval", type: "core.approval@1", params: { message: "Refund {{ $json.amount }} EUR to {{ $json.customer }}?", details: "{{ $json }}" } },
    { id: "refund", type: "core.set@1", params: { fields: { refunded: true } } },
  ],
  edges: [
    { from: { node: "start" }, to: { node: "approve" } },
    { from: { node: "approve", port: "approved" }, to: { node: "refund" } },
  ],
};

const SLOW = {
  apiVersion: "weft/v1",
  name: "Nightly report",
  nodes: [
    { id: "start", type: "core.noop@1" },
    { id: "pause", type: "core.wait@1", params: { duration: "10m" } },
    { id: "report", type: "core.set@1", params: { fields: { done: true } } },
  ],
  edges: [
    { from: { node: "start" }, to: { node: "pause" } },
    { from: { node: "pause" }, to: { node: "report" } },
  ],
};

async function main() {
  check(weftBin && existsSync(weftBin), `the weft binary (--weft or WEFT_BIN) exists: ${weftBin}`);
  check(existsSync(executablePath), `${executablePath} exists (apt-get install -y chromium)`);
  mkdirSync(artifacts, { recursive: true });
  rmSync(join(artifacts, "executions-failure.png"), { force: true });
  const dataDir = mkdtempSync(join(tmpdir(), "weft-e2e-runs-"));
  const weft = await startWeft(weftBin, dataDir);
  const origin = weft.origin;
  const shop = await startOrdersApi();
  console.log(`weft serve on ${origin}; the orders endpoint on ${shop.url}`);
  const browser = await chromium.launch({ executablePath, headless: true, args: FLAGS });
  let page = null;

  /** The public API with the API key, as a script would call it. */
  const apiCall = (method, path, body) => callApi(weft, method, path, body);
  async function waitForRun(id, statuses) {
    for (let i = 0; i < 200; i++) {
      const d = await apiCall("GET", `/api/v1/runs/${id}`);
      if (statuses.includes(d.run.status)) return d;
      await new Promise((r) => setTimeout(r, 50));
    }
    check(false, `run ${id} reaches ${statuses.join(" or ")}`);
  }

  try {
    ({ page } = await watchedPage(browser, origin, (text) => problems.push({ step: progress.step, text }), {
      viewport: { width: 1440, height: 960 },
    }));

    progress.step = "sign in";
    await signIn(page, weft);

    progress.step = "an empty executions page explains itself";
    await page.getByRole("link", { name: "Executions" }).click();
    await page.getByTestId("runs-empty").filter({ hasText: "No runs yet" }).waitFor();
    await page.getByTestId("live-status").filter({ hasText: "Live" }).waitFor();

    progress.step = "create workflows and run them through the API";
    const orders = await apiCall("POST", "/api/v1/workflows", { document: ordersSync(shop.url), tags: ["sales"], message: "e2e" });
    const refund = await apiCall("POST", "/api/v1/workflows", { document: REFUND, tags: ["finance"], message: "e2e" });
    const slow = await apiCall("POST", "/api/v1/workflows", { document: SLOW, tags: ["reports"], message: "e2e" });
    const failing = await apiCall("POST", `/api/v1/workflows/${orders.id}/runs`, { input: ORDERS });
    const approval = await apiCall("POST", `/api/v1/workflows/${refund.id}/runs`, { input: [{ customer: "Ada", amount: 30 }] });
    const sleeping = await apiCall("POST", `/api/v1/workflows/${slow.id}/runs`, { input: [{ day: "2026-12-06" }] });
    await waitForRun(failing.id, ["failed"]);
    await waitForRun(approval.id, ["waiting"]);
    await waitForRun(sleeping.id, ["waiting"]);

    progress.step = "the list shows the runs live";
    const rows = page.locator("tbody tr[data-run-id]");
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-run-id]").length === 3);
    check((await rows.count()) === 3, "three runs listed");
    await shot(page, "executions-01-list");

    progress.step = "filter by status";
    await page.getByRole("group", { name: "Filter by status" }).getByRole("button", { name: "failed" }).click();
    await page.waitForURL(/status=failed/);
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-run-id]").length === 1);
    check((await rows.first().getAttribute("data-run-id")) === failing.id, "the failed run is the one left");
    await page.getByRole("group", { name: "Filter by status" }).getByRole("button", { name: "failed" }).click();

    progress.step = "filter by workflow and by tag";
    await page.getByLabel("Filter by workflow").selectOption({ label: "Refund approval" });
    await page.waitForURL(new RegExp(`workflow=${refund.id}`));
    await page.waitForFunction((id) => {
      const r = document.querySelectorAll("tbody tr[data-run-id]");
      return r.length === 1 && r[0].getAttribute("data-run-id") === id;
    }, approval.id);
    await page.getByLabel("Filter by workflow").selectOption({ label: "All workflows" });
    await page.getByLabel("Filter by tag").selectOption("reports");
    await page.waitForFunction((id) => {
      const r = document.querySelectorAll("tbody tr[data-run-id]");
      return r.length === 1 && r[0].getAttribute("data-run-id") === id;
    }, sleeping.id);
    await page.getByLabel("Time range").selectOption("1h");
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-run-id]").length === 1);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-run-id]").length === 3);

    progress.step = "open the failed run from the keyboard";
    await rows.first().focus();
    await page.keyboard.press("ArrowDown");
    check((await page.evaluate(() => document.activeElement?.getAttribute("data-run-id"))) === (await rows.nth(1).getAttribute("data-run-id")), "ArrowDown moves to the next run");
    await page.keyboard.press("End");
    check((await page.evaluate(() => document.activeElement?.getAttribute("data-run-id"))) === failing.id, "End moves to the last run (the oldest, the failed one)");
    await page.goto(`${origin}/executions?workflow=${orders.id}`);
    await page.getByText(`Runs of`).waitFor();
    await page.locator(`tr[data-run-id="${failing.id}"]`).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`/executions/${failing.id}`));
    await page.getByTestId("run-status").filter({ hasText: "failed" }).waitFor();
    await page.getByTestId("timeline").waitFor();
    await page.getByTestId("workflow-link").filter({ hasText: "v1" }).waitFor();

    progress.step = "the timeline: failed step, parallel lanes, critical path";
    const fetchBar = page.getByTestId("bar-fetch");
    check((await fetchBar.getAttribute("data-critical")) === "true", "the failed HTTP step is on the critical path");
    check((await page.getByTestId("bar-start").getAttribute("data-critical")) === "true", "so is the step before it");
    const fetchBox = await fetchBar.boundingBox();
    const auditBox = await page.getByTestId("bar-audit").boundingBox();
    check(fetchBox && auditBox && Math.abs(fetchBox.y - auditBox.y) > 10, "the parallel steps are on separate lanes");
    await page.getByRole("group", { name: /critical path: start → fetch/ }).waitFor();
    await page.getByTestId("critical-path").filter({ hasText: "start → Fetch order lines" }).waitFor();
    await page.getByText("Did not run:").waitFor();
    // The failed step is selected: its error and the attempt that failed.
    const panel = page.getByTestId("step-panel");
    await panel.getByRole("heading", { name: "Fetch order lines" }).waitFor();
    await panel.getByRole("alert").filter({ hasText: "answered HTTP 400" }).waitFor();
    const attemptRows = panel.getByTestId("attempts").locator("tbody tr");
    await attemptRows.nth(1).waitFor();
    check((await attemptRows.count()) === 2, "two attempts");
    check((await attemptRows.nth(0).textContent()).includes("retried") && (await attemptRows.nth(0).textContent()).includes("503"), `the first attempt was retried after the 503: ${await attemptRows.nth(0).textContent()}`);
    check((await attemptRows.nth(1).textContent()).includes("failed") && (await attemptRows.nth(1).textContent()).includes("400"), `the second failed for good: ${await attemptRows.nth(1).textContent()}`);
    check((await fetchBar.locator("[data-attempt]").count()) === 2, "the bar shows both attempts");
    await panel.getByRole("tab", { name: /Logs/ }).click();
    await panel.getByText(/answered 400/).waitFor();
    await shot(page, "executions-02-timeline-failed");

    progress.step = "a step's output and input, as JSON and as a table";
    await page.getByTestId("bar-audit").click();
    await panel.getByRole("heading", { name: "audit" }).waitFor();
    await panel.getByRole("tab", { name: "Output" }).click();
    const json = panel.getByTestId("json-view");
    await json.filter({ hasText: '"audited": true' }).waitFor();
    await panel.getByRole("group", { name: "Step output: view as" }).getByRole("button", { name: "Table" }).click();
    const table = panel.getByTestId("table-view");
    const headers = await table.locator("th").allTextContents();
    check(JSON.stringify(headers) === JSON.stringify(["#", "customer", "amount", "country", "audited"]), `the table's columns: ${headers}`);
    check((await table.locator("tbody tr").count()) === 3, "one row per item");
    await table.getByRole("cell", { name: "Grace" }).waitFor();
    await panel.getByRole("tab", { name: "Input" }).click();
    await panel.getByRole("group", { name: "Step input: view as" }).getByRole("button", { name: "Table" }).click();
    check(JSON.stringify(await panel.getByTestId("table-view").locator("th").allTextContents()) === JSON.stringify(["#", "customer", "amount", "country"]), "the input is what the run received");
    await shot(page, "executions-03-step-table");
    await panel.getByRole("group", { name: "Step input: view as" }).getByRole("button", { name: "JSON" }).click();
    await panel.getByTestId("json-view").filter({ hasText: '"customer": "Linus"' }).waitFor();

    progress.step = "fix the cause, retry from the failed step";
    shop.state.fixed = true;
    const callsBefore = shop.state.calls;
    await page.getByRole("button", { name: "Retry from Fetch order lines" }).click();
    const dialog = page.getByRole("dialog", { name: "Retry this run" });
    check(await dialog.getByRole("radio", { name: /From the failed step/ }).isChecked(), "from the failed step is the default");
    check(await dialog.getByRole("radio", { name: /The same version/ }).isChecked(), "on the same version");
    await dialog.getByRole("button", { name: "Retry" }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/executions/") && !u.pathname.endsWith(failing.id));
    const retryId = new URL(page.url()).pathname.split("/").pop();
    await page.getByTestId("run-status").filter({ hasText: "succeeded" }).waitFor();
    await page.getByTestId("bar-merge").waitFor();
    check((await page.getByTestId("bar-audit").getAttribute("data-reused")) === "true", "the step that succeeded kept its result");
    check((await page.getByTestId("bar-fetch").getAttribute("data-reused")) === "false", "the failed step ran again");
    check((await page.getByTestId("bar-merge").getAttribute("data-critical")) === "true", "the last step ends the critical path");
    await page.getByTestId("bar-lines").click();
    await panel.getByRole("heading", { name: "lines" }).waitFor();
    await panel.getByRole("tab", { name: "Output" }).click();
    await panel.getByTestId("json-view").filter({ hasText: '"sku": "B2"' }).waitFor();
    check(shop.state.calls > callsBefore, `the retry called the endpoint again (${shop.state.calls} calls)`);
    await shot(page, "executions-04-retried");
    const retried = await apiCall("GET", `/api/v1/runs/${retryId}`);
    check(retried.run.status === "succeeded", "the API agrees the retry succeeded");

    progress.step = "approve the waiting step";
    await page.goto(`${origin}/executions?status=waiting`);
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-run-id]").length === 2);
    await page.locator(`tr[data-run-id="${approval.id}"]`).click();
    await page.getByTestId("run-status").filter({ hasText: "waiting" }).waitFor();
    const box = page.getByTestId("approval");
    await box.getByText("Refund 30 EUR to Ada?").waitFor();
    await page.getByRole("status").filter({ hasText: "is waiting for a decision" }).waitFor();
    await page.getByRole("button", { name: "Switch to light theme" }).click();
    await shot(page, "executions-05-approval-light");
    await box.getByLabel("Comment (optional)").fill("Customer is right");
    await box.getByRole("button", { name: "Approve" }).click();
    await page.getByTestId("run-status").filter({ hasText: "succeeded" }).waitFor();
    await page.getByTestId("bar-refund").click();
    await panel.getByRole("tab", { name: "Output" }).click();
    await panel.getByTestId("json-view").filter({ hasText: '"refunded": true' }).waitFor();
    await panel.getByTestId("json-view").filter({ hasText: "Customer is right" }).waitFor();
    await shot(page, "executions-06-approved-light");

    progress.step = "an open run page follows the run live";
    // A decision made elsewhere (here: the API) reaches the page through the run's stream.
    const second = await apiCall("POST", `/api/v1/workflows/${refund.id}/runs`, { input: [{ customer: "Linus", amount: 12 }] });
    await waitForRun(second.id, ["waiting"]);
    await page.goto(`${origin}/executions/${second.id}`);
    await page.getByTestId("approval").getByText("Refund 12 EUR to Linus?").waitFor();
    await apiCall("POST", `/api/v1/runs/${second.id}/steps/approve/reject`, { comment: "duplicate" });
    await page.getByTestId("run-status").filter({ hasText: "succeeded" }).waitFor();
    await page.getByTestId("approval").waitFor({ state: "detached" });
    await page.getByTestId("bar-approve").click();
    await panel.getByTestId("json-view").filter({ hasText: '"decision": "rejected"' }).waitFor();
    check((await page.getByTestId("bar-refund").count()) === 0, "the approved branch did not run");

    progress.step = "reject a waiting step, after confirming";
    const third = await apiCall("POST", `/api/v1/workflows/${refund.id}/runs`, { input: [{ customer: "Grace", amount: 54 }] });
    await waitForRun(third.id, ["waiting"]);
    await page.goto(`${origin}/executions/${third.id}`);
    const box3 = page.getByTestId("approval");
    await box3.getByText("Refund 54 EUR to Grace?").waitFor();
    await box3.getByLabel("Comment (optional)").fill("Outside the refund window");
    await box3.getByRole("button", { name: "Reject" }).click();
    const sure = page.getByRole("alertdialog", { name: "Reject “Finance approval”?" });
    await sure.getByRole("button", { name: "Reject" }).click();
    await page.getByRole("status").filter({ hasText: "Finance approval rejected" }).waitFor();
    await page.getByTestId("run-status").filter({ hasText: "succeeded" }).waitFor();
    const decided = await apiCall("GET", `/api/v1/runs/${third.id}`);
    const approvalOut = decided.steps.find((st) => st.node === "approve").output.ports;
    check(approvalOut.length === 1 && approvalOut[0][0] === "rejected" && approvalOut[0][1][0].approval.comment === "Outside the refund window", `the items left through rejected with the comment: ${JSON.stringify(approvalOut)}`);

    progress.step = "cancel the sleeping run, after confirming";
    await page.goto(`${origin}/executions/${sleeping.id}`);
    await page.getByTestId("run-status").filter({ hasText: "waiting" }).waitFor();
    await page.getByTestId("step-status").filter({ hasText: "sleeping" }).waitFor();
    await page.getByRole("button", { name: "Cancel run" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Cancel this run?" });
    await confirm.getByRole("button", { name: "Keep running" }).click();
    await confirm.waitFor({ state: "detached" });
    check((await apiCall("GET", `/api/v1/runs/${sleeping.id}`)).run.status === "waiting", "keeping it running changes nothing");
    await page.getByRole("button", { name: "Cancel run" }).click();
    await confirm.getByRole("button", { name: "Cancel run" }).click();
    await page.getByTestId("run-status").filter({ hasText: "cancelled" }).waitFor();
    await page.getByTestId("step-status").filter({ hasText: "cancelled" }).waitFor();
    await page.getByRole("button", { name: /Retry/ }).first().waitFor();
    await shot(page, "executions-07-cancelled-light");

    progress.step = "a refused action shows the server's message";
    // The workflow is deleted behind the page's back (its runs stay): a retry on its newest
    // version is refused with 404, and the toast says why.
    await apiCall("DELETE", `/api/v1/workflows/${slow.id}`);
    await page.reload();
    await page.getByTestId("run-status").filter({ hasText: "cancelled" }).waitFor();
    await page.getByRole("button", { name: "Retry…" }).click();
    const again = page.getByRole("dialog", { name: "Retry this run" });
    await again.getByRole("radio", { name: /The newest version/ }).check();
    await again.getByRole("button", { name: "Retry" }).click();
    await page.getByRole("alert").filter({ hasText: "Could not retry" }).filter({ hasText: "not found" }).waitFor();
    await again.getByRole("alert").filter({ hasText: "not found" }).waitFor();
    await again.getByRole("button", { name: "Cancel" }).click();
    await page.goto(`${origin}/executions/01a00000-0000-7000-8000-000000000000`);
    await page.getByRole("alert").filter({ hasText: "Could not load run" }).filter({ hasText: "not found" }).waitFor();
    await page.getByRole("button", { name: "Switch to dark theme" }).click();

    progress.step = "the list in the end, dark";
    await page.goto(`${origin}/executions`);
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-run-id]").length === 6);
    for (const [id, status] of [[failing.id, "failed"], [retryId, "succeeded"], [approval.id, "succeeded"], [second.id, "succeeded"], [third.id, "succeeded"], [sleeping.id, "cancelled"]]) {
      const s = await page.locator(`tr[data-run-id="${id}"] [data-status]`).getAttribute("data-status");
      check(s === status, `run ${id} is listed as ${status} (${s})`);
    }
    await shot(page, "executions-08-list-final");
    progress.step = "the workflows page links to a workflow's runs";
    await page.getByRole("link", { name: "Workflows" }).first().click();
    await page.getByRole("link", { name: "Runs", description: "Orders sync" }).click();
    await page.waitForURL(new RegExp(`/executions\\?workflow=${orders.id}`));
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-run-id]").length === 2);

    progress.step = "page through many runs with the API's cursors";
    const ping = await apiCall("POST", "/api/v1/workflows", { document: { apiVersion: "weft/v1", name: "Ping", nodes: [{ id: "pong", type: "core.noop@1" }] }, message: "e2e" });
    const started = [];
    for (let i = 0; i < 53; i += 10) {
      const batch = Array.from({ length: Math.min(10, 53 - i) }, (_, j) => apiCall("POST", `/api/v1/workflows/${ping.id}/runs`, { input: [{ n: i + j }] }));
      started.push(...(await Promise.all(batch)));
    }
    await Promise.all(started.map((r) => waitForRun(r.id, ["succeeded"])));
    await page.goto(`${origin}/executions?workflow=${ping.id}`);
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-run-id]").length === 50);
    const firstPage = await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-run-id")));
    await page.getByRole("button", { name: "Older" }).click();
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-run-id]").length === 3);
    await page.getByTestId("live-status").filter({ hasText: "older page" }).waitFor();
    check((await page.getByRole("button", { name: "Older" }).isDisabled()), "the last page has no older one");
    const secondPage = await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-run-id")));
    check(new Set([...firstPage, ...secondPage]).size === 53, "the two pages hold every run once");
    await page.getByRole("button", { name: "Newer" }).click();
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-run-id]").length === 50);
    await page.getByTestId("live-status").filter({ hasText: "Live" }).waitFor();
    await page.getByRole("button", { name: "Switch to light theme" }).click();
    await page.getByRole("group", { name: "Filter by status" }).getByRole("button", { name: "succeeded" }).click();
    await page.waitForURL(/status=succeeded/);
    await shot(page, "executions-09-list-light");
  } catch (e) {
    if (page) await page.screenshot({ path: join(artifacts, "executions-failure.png") }).catch(() => undefined);
    throw e;
  } finally {
    await browser.close();
    shop.server.close();
    weft.child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
  // The browser logs every failed response: the 404s of the deleted workflow are provoked on
  // purpose in one step. Anything else is a problem.
  const real = problems
    .filter((p) => !(p.step === "a refused action shows the server's message" && /status of 404 \(Not Found\)/.test(p.text)))
    .map((p) => `${p.step}: ${p.text}`);
  if (real.length > 0) throw new Error(`${real.length} problem(s):\n  ${real.join("\n  ")}`);
  console.log("e2e executions: 1 passed, 0 failed");
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  if (problems.length > 0) console.error(`problems so far:\n  ${problems.map((p) => `${p.step}: ${p.text}`).join("\n  ")}`);
  console.log("e2e executions: 0 passed, 1 failed");
  process.exit(1);
});
