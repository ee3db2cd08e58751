// End-to-end: versions and test runs in the builder, against the real `weft serve` in Debian's
// Chromium.
//
//   node e2e/versions.mjs [--weft PATH]
//
// Versions: v1 saved with a message; a node changed, one removed, one added and saved as v2
// with a message; the visual diff of v1 → v2 on the canvas (added, removed, changed, with the
// changed params listed); restore v1 (a new version); publish and unpublish.
// Test runs: input typed as JSON; every node finishes live on the canvas; a node's input and
// output in table and JSON view; a node made to fail shows its error on the canvas and in the
// inspector; a pinned output is used by the next run instead of executing the node.
// Screenshots (dark and light theme) in e2e/artifacts/versions-*.png.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { FLAGS, apiCall, artifacts, check, executablePath, progress, shot, signIn, startWeft, watchedPage, weftBinary } from "./lib.mjs";

const problems = [];
let currentPage = null;

const V1 = {
  apiVersion: "weft/v1",
  name: "Greetings",
  triggers: [{ id: "manual", type: "manual", node: "seed" }],
  nodes: [
    { id: "seed", type: "core.set@1", name: "Greet", params: { fields: { greeting: "Hello, {{ $json.name }}" } }, position: { x: 300, y: 200 } },
    { id: "fetch", type: "code.js@1", name: "Look up city", params: { mode: "eachItem", code: "const t = Date.now(); while (Date.now() - t < 700) {} return { ...$json, city: $json.name === 'Ada' ? 'London' : 'Lima' };" }, position: { x: 580, y: 200 } },
    { id: "shape", type: "core.set@1", name: "Shape", params: { fields: { summary: "{{ $json.greeting }} from {{ $json.city }}" } }, position: { x: 860, y: 200 } },
    { id: "legacy", type: "core.noop@1", name: "Legacy step", position: { x: 1140, y: 200 } },
  ],
  edges: [
    { from: { node: "seed", port: "main" }, to: { node: "fetch", port: "main" } },
    { from: { node: "fetch", port: "main" }, to: { node: "shape", port: "main" } },
    { from: { node: "shape", port: "main" }, to: { node: "legacy", port: "main" } },
  ],
};

const step = (s) => { progress.step = s; console.log(`- ${s}`); };

async function runStatus(page) {
  return page.getByTestId("run-status").getAttribute("data-status");
}

async function waitRun(page, status) {
  await page.waitForFunction(
    (s) => document.querySelector('[data-testid="run-status"]')?.getAttribute("data-status") === s,
    status,
    { timeout: 15_000 },
  ).catch(async () => check(false, `the test run ends ${status}; it is ${await runStatus(page)}`));
}

async function nodeRunStatus(page, id) {
  return page.locator(`[data-testid="node-${id}"]`).getAttribute("data-run-status");
}

async function startTest(page, input) {
  await page.getByTestId("test-button").click();
  if (input !== undefined) await page.getByRole("textbox", { name: /^Test input/ }).fill(input);
  await page.getByTestId("test-run").click();
  await page.getByTestId("test-run").waitFor({ state: "detached" });
}

async function openNode(page, id) {
  await page.locator(".react-flow__pane").click({ position: { x: 10, y: 10 } });
  await page.locator(`[data-testid="node-${id}"]`).click();
  await page.getByTestId("node-panel").waitFor();
}

async function main() {
  const weftBin = weftBinary();
  check(weftBin && existsSync(weftBin), `the weft binary (--weft or WEFT_BIN) exists: ${weftBin}`);
  check(existsSync(executablePath), `${executablePath} exists (apt-get install -y chromium)`);
  mkdirSync(artifacts, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "weft-e2e-versions-"));
  const weft = await startWeft(weftBin, dataDir);
  const origin = weft.origin;
  console.log(`weft serve on ${origin}`);
  const browser = await chromium.launch({ executablePath, headless: true, args: FLAGS });
  try {
    const { context, page } = await watchedPage(browser, origin, (text) => problems.push(text));
    currentPage = page;

    step("sign in; v1 saved with a message");
    await signIn(page, weft);
    const wf = await apiCall(weft, "POST", "/api/v1/workflows", { document: V1, message: "First draft: greet, look up, shape" });
    check(wf.latestVersion === 1, `version 1 created: ${wf.latestVersion}`);
    await page.goto(`${origin}/workflows/${wf.id}`);
    await page.getByTestId("canvas").waitFor();
    await page.locator('[data-testid="node-legacy"]').waitFor();

    step("change a node, remove one, add one; save v2 with a message");
    await openNode(page, "seed");
    const greeting = page.getByLabel("Fields: greeting");
    await greeting.fill("Good day, {{ $json.name }}");
    await page.locator(".react-flow__pane").click({ position: { x: 10, y: 10 } });
    await page.locator('[data-testid="node-legacy"]').click();
    await page.keyboard.press("Delete");
    await page.locator('[data-testid="node-legacy"]').waitFor({ state: "detached" });
    const paletteItem = page.locator("[data-palette-item='core.noop@1']");
    await paletteItem.scrollIntoViewIfNeeded();
    await paletteItem.dragTo(page.getByTestId("canvas"), { targetPosition: { x: 760, y: 640 } });
    await page.locator('[data-testid="node-noop"]').waitFor();
    await page.keyboard.press("Control+s");
    await page.getByLabel("What changed?").fill("Friendlier greeting; log instead of the legacy step");
    await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Unsaved changes" }).waitFor({ state: "detached" });
    await page.locator(".badge", { hasText: "v2" }).first().waitFor();

    step("the history lists both versions with their messages");
    await page.getByTestId("versions-button").click();
    await page.getByTestId("version-2").waitFor();
    check((await page.getByTestId("version-1").textContent()).includes("First draft: greet, look up, shape"), "v1 shows its message");
    check((await page.getByTestId("version-2").textContent()).includes("Friendlier greeting"), "v2 shows its message");
    check((await page.getByTestId("version-1").textContent()).includes("Admin (you)"), "the author is named");
    check((await page.getByTestId("publish-state").textContent()).includes("Not published"), "not published yet");
    await shot(page, "versions-01-history");

    step("the visual diff of v1 → v2");
    await page.getByRole("button", { name: "Compare v2 with the version before" }).click();
    await page.getByTestId("diff-canvas").waitFor();
    await page.getByTestId("diff-panel").waitFor();
    check(await page.locator('[data-testid="diff-node-seed"]').getAttribute("data-diff") === "changed", "seed is changed");
    check(await page.locator('[data-testid="diff-node-legacy"]').getAttribute("data-diff") === "removed", "legacy is removed (ghosted)");
    check(await page.locator('[data-testid="diff-node-noop"]').getAttribute("data-diff") === "added", "noop is added");
    check(await page.locator('[data-testid="diff-node-fetch"]').getAttribute("data-diff") === "unchanged", "fetch is unchanged");
    const seedChange = await page.getByTestId("diff-change-seed").textContent();
    check(seedChange.includes("/params/fields/greeting") && seedChange.includes("Good day, {{ $json.name }}") && seedChange.includes("Hello, {{ $json.name }}"), `the changed param is listed with both values: ${seedChange}`);
    check((await page.getByTestId("diff-summary").textContent()) === "1 changed, 1 added, 1 removed, 1 connection changed", `summary: ${await page.getByTestId("diff-summary").textContent()}`);
    check(await page.locator(".react-flow__edge.diff-edge-removed").count() === 1, "the removed connection is drawn red");
    await page.locator('[data-testid="diff-node-seed"]').click();
    await page.locator('[data-testid="diff-change-seed"][data-focused="true"]').waitFor();
    await shot(page, "versions-02-diff-dark");
    await page.getByRole("button", { name: "Light theme" }).click();
    await shot(page, "versions-03-diff-light");
    await page.getByRole("button", { name: "Dark theme" }).click();
    await page.getByRole("button", { name: "Exit the comparison" }).click();
    await page.getByTestId("versions-panel").waitFor();

    step("roll back to v1: a new version v3");
    await page.getByRole("button", { name: "Restore v1" }).click();
    await page.getByTestId("version-3").waitFor();
    check((await page.getByTestId("version-3").textContent()).includes("Rolled back to version 1"), "v3 says it rolled back");
    await page.locator('[data-testid="node-legacy"]').waitFor();
    check(await page.locator('[data-testid="node-noop"]').count() === 0, "the added node is gone again");
    const back = await apiCall(weft, "GET", `/api/v1/workflows/${wf.id}`);
    check(back.latestVersion === 3, `latest is v3: ${back.latestVersion}`);
    check(back.document.nodes.find((n) => n.id === "seed").params.fields.greeting === "Hello, {{ $json.name }}", "v3 has v1's greeting");

    step("publish v3, then unpublish");
    await page.getByRole("button", { name: "Publish v3" }).click();
    await page.getByTestId("publish-state").filter({ hasText: "Published v3" }).waitFor();
    await page.locator(".badge", { hasText: /^published v3$/ }).waitFor();
    await shot(page, "versions-04-published");
    await page.getByTestId("publish-state").getByRole("button", { name: "Unpublish" }).click();
    await page.getByTestId("publish-state").filter({ hasText: "Not published" }).waitFor();
    check((await apiCall(weft, "GET", `/api/v1/workflows/${wf.id}`)).publishedVersion === null, "the server says unpublished");
    await page.getByRole("button", { name: "Close versions" }).click();

    step("test run with input: every node finishes live");
    await startTest(page, '[{"name": "Ada"}, {"name": "Bob"}]');
    // The lookup takes a while: the canvas shows it running while the first node is done.
    await page.locator('[data-testid="node-fetch"][data-run-status="running"]').waitFor({ timeout: 10_000 });
    check(await nodeRunStatus(page, "seed") === "succeeded", `seed is done while fetch runs: ${await nodeRunStatus(page, "seed")}`);
    check(["queued", undefined, null].includes(await nodeRunStatus(page, "shape")) || await nodeRunStatus(page, "shape") === "queued", "shape waits");
    await shot(page, "versions-05a-running");
    await waitRun(page, "succeeded");
    for (const id of ["seed", "fetch", "shape", "legacy"]) {
      check(await nodeRunStatus(page, id) === "succeeded", `${id} succeeded: ${await nodeRunStatus(page, id)}`);
    }
    const badge = await page.locator('[data-testid="node-fetch"] [data-testid="run-badge"]').textContent();
    check(/Succeeded\s*\d+(\.\d+)? (ms|s)\s*2 items/.test(badge), `the node shows its duration and item count: ${badge}`);
    check((await apiCall(weft, "GET", `/api/v1/workflows/${wf.id}`)).latestVersion === 3, "nothing unsaved: the test ran v3 without a new save");
    await shot(page, "versions-05-test-run");

    step("inspect a node's input and output as a table and as JSON");
    await openNode(page, "shape");
    await page.getByTestId("run-data").waitFor();
    const table = page.getByTestId("run-output-table");
    await table.waitFor();
    const headers = await table.locator("th").allTextContents();
    check(["name", "greeting", "city", "summary"].every((h) => headers.includes(h)), `output columns: ${headers}`);
    check((await table.textContent()).includes("Hello, Ada from London"), "the table shows the computed field");
    check((await page.getByTestId("run-input-table").textContent()).includes("London"), "the input table shows what fetch emitted");
    await shot(page, "versions-06-output-table");
    await page.getByTestId("run-output").getByRole("button", { name: "JSON" }).click();
    const json = JSON.parse(await page.getByTestId("run-output-json").textContent());
    check(json.length === 2 && json[1].summary === "Hello, Bob from Lima", `the JSON view: ${JSON.stringify(json)}`);
    await shot(page, "versions-07-output-json");

    step("make a node fail: the error shows on the node and in the inspector");
    await openNode(page, "fetch");
    await page.getByRole("tab", { name: "Parameters" }).click();
    await page.getByLabel(/^Code/).fill("throw new Error('the city service is down');");
    await startTest(page);
    await waitRun(page, "failed");
    check((await apiCall(weft, "GET", `/api/v1/workflows/${wf.id}`)).latestVersion === 4, "the changed code was saved as v4 before the run");
    check(await nodeRunStatus(page, "fetch") === "failed", "fetch failed");
    check(await nodeRunStatus(page, "seed") === "succeeded", "seed succeeded before it");
    check(await nodeRunStatus(page, "shape") === "skipped", `shape never ran: ${await nodeRunStatus(page, "shape")}`);
    await openNode(page, "fetch");
    await page.getByTestId("tab-data").click();
    const err = await page.getByTestId("run-error").textContent();
    check(err.includes("the city service is down"), `the inspector shows the error: ${err}`);
    check((await page.locator('[data-testid="node-fetch"] [data-testid="run-badge"]').getAttribute("title") ?? "") !== null, "badge present");
    await shot(page, "versions-08-node-failed");

    step("pin the failing node's output; the next run uses it");
    await page.getByRole("button", { name: "Pin custom data…" }).click();
    await page.getByLabel(/^Pinned output/).fill('[{"name": "Ada", "greeting": "Hi Ada", "city": "Oslo"}]');
    await page.getByRole("button", { name: "Pin this data" }).click();
    await page.locator('[data-testid="node-fetch"] [data-testid="run-badge"]', { hasText: "pinned" }).waitFor();
    await startTest(page);
    await waitRun(page, "succeeded");
    check((await apiCall(weft, "GET", `/api/v1/workflows/${wf.id}`)).latestVersion === 4, "a pin alone needs no save before a test run");
    check(await nodeRunStatus(page, "fetch") === "succeeded", "the pinned node succeeded without running");
    await openNode(page, "shape");
    await page.getByTestId("tab-data").click();
    const pinnedOut = await page.getByTestId("run-output-table").textContent();
    check(pinnedOut.includes("Hi Ada from Oslo"), `shape read the pinned items: ${pinnedOut}`);
    await openNode(page, "fetch");
    await page.getByTestId("tab-data").click();
    check((await page.getByTestId("run-data-status").textContent()).includes("pinned data"), "the inspector says the data was pinned");
    await shot(page, "versions-09-pinned-dark");
    await page.getByRole("button", { name: "Light theme" }).click();
    await shot(page, "versions-10-pinned-light");
    await page.getByRole("button", { name: "Dark theme" }).click();

    step("the pin is kept in the workflow document when saved");
    await page.keyboard.press("Control+s");
    await page.getByLabel("What changed?").fill("Pin the city lookup");
    await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Unsaved changes" }).waitFor({ state: "detached" });
    const saved = await apiCall(weft, "GET", `/api/v1/workflows/${wf.id}`);
    check(saved.document.ui?.pinData?.fetch?.[0]?.city === "Oslo", `ui.pinData saved: ${JSON.stringify(saved.document.ui)}`);

    step("unpin: the node runs again (and fails, as its code throws)");
    await openNode(page, "fetch");
    await page.getByTestId("tab-data").click();
    await page.getByRole("button", { name: "Unpin" }).click();
    await page.locator('[data-testid="node-fetch"] [data-testid="run-badge"]', { hasText: "pinned" }).waitFor({ state: "detached" });
    await startTest(page);
    await waitRun(page, "failed");
    check(await nodeRunStatus(page, "fetch") === "failed", "without the pin the node ran and failed");

    step("the API docs are linked from the shell and render");
    const [docs] = await Promise.all([
      context.waitForEvent("page"),
      page.getByRole("link", { name: "API docs" }).click(),
    ]);
    docs.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error (API docs): ${m.text()}`);
    });
    await docs.waitForURL(/\/api\/docs/);
    await docs.locator(".opblock-summary-path", { hasText: "/api/v1/workflows/{id}/runs" }).first().waitFor();
    await shot(docs, "versions-11-api-docs");
    await docs.close();
  } catch (e) {
    if (currentPage) await currentPage.screenshot({ path: join(artifacts, "versions-failure.png") }).catch(() => undefined);
    throw e;
  } finally {
    await browser.close();
    weft.child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (problems.length > 0) throw new Error(`${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  console.log("e2e versions: 1 passed, 0 failed");
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  if (problems.length > 0) console.error(`problems so far:\n  ${problems.join("\n  ")}`);
  console.log("e2e versions: 0 passed, 1 failed");
  process.exit(1);
});
