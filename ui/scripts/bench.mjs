// UI benchmarks (recorded in BENCHMARKS.md, never asserted): a real `weft serve` on loopback
// and Debian's Chromium (playwright-core).
//
//   node scripts/bench.mjs --weft PATH [--loads N] [--json FILE]     (cargo xtask bench ui)
//
// 1. Initial load: a signed-in, cold-cache load of /workflows until its heading shows (and the
//    browser's DOMContentLoaded, load and first contentful paint), N fresh browser contexts.
// 2. JS shipped, gzipped as served (encodedBodySize of every script the page loaded): the
//    initial page, and the builder chunk(s) fetched when a workflow is opened.
// 3. Opening a 200-node workflow: from the click to 200 nodes drawn.
// 4. Dragging a node on that 200-node canvas: requestAnimationFrame deltas while the mouse
//    moves the node for about two seconds.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { FLAGS, apiCall, executablePath, startWeft, weftBinary } from "../e2e/lib.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const LOADS = Number(arg("--loads", "15"));
const JSON_OUT = arg("--json", undefined);

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, median: pct(s, 50), p95: pct(s, 95), max: s[s.length - 1], mean };
}
const ms = (v) => `${v.toFixed(1)} ms`;
const kb = (v) => `${(v / 1024).toFixed(1)} KiB`;

/** 200 steps in 20 rows of 10, each row a chain, each row's head fed by the one above. */
function bigWorkflow() {
  const nodes = [];
  const edges = [];
  for (let r = 0; r < 20; r++) {
    for (let c = 0; c < 10; c++) {
      const id = `n${r}_${c}`;
      nodes.push(c % 2 === 0
        ? { id, type: "core.set@1", name: `Set ${r}.${c}`, params: { fields: { [`f${c}`]: `{{ $json.x + ${c} }}` } }, position: { x: c * 280, y: r * 160 } }
        : { id, type: "core.noop@1", name: `Pass ${r}.${c}`, position: { x: c * 280, y: r * 160 } });
      if (c > 0) edges.push({ from: { node: `n${r}_${c - 1}`, port: "main" }, to: { node: id, port: "main" } });
    }
    if (r > 0) edges.push({ from: { node: `n${r - 1}_0`, port: "main" }, to: { node: `n${r}_0`, port: "main" } });
  }
  return { apiVersion: "weft/v1", name: "Two hundred nodes", triggers: [{ id: "manual", type: "manual", node: "n0_0" }], nodes, edges };
}

async function scripts(page) {
  return page.evaluate(() =>
    performance.getEntriesByType("resource")
      .filter((e) => e.initiatorType === "script" || e.initiatorType === "link" || /\.js(\?|$)/.test(e.name))
      .filter((e) => /\.js(\?|$)/.test(e.name))
      .map((e) => ({ name: new URL(e.name).pathname, encoded: e.encodedBodySize, decoded: e.decodedBodySize })),
  );
}

async function main() {
  const weftBin = weftBinary();
  if (!weftBin) throw new Error("--weft PATH is required");
  const dataDir = mkdtempSync(join(tmpdir(), "weft-bench-ui-"));
  const weft = await startWeft(weftBin, dataDir);
  const browser = await chromium.launch({ executablePath, headless: true, args: FLAGS });
  const results = { machine: `${process.platform} ${process.arch}, node ${process.version}`, weft: weftBin };
  try {
    // Sign in once; every measured load starts from a fresh context with that cookie.
    const first = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const p0 = await first.newPage();
    await p0.goto(weft.loginUrl);
    await p0.waitForURL(/\/workflows$/);
    const storageState = await first.storageState();
    await first.close();
    const big = await apiCall(weft, "POST", "/api/v1/workflows", { document: bigWorkflow(), message: "bench" });

    // 1 + 2a: cold loads of the workflows page.
    const loads = [];
    const dcl = [];
    const loadEv = [];
    const fcp = [];
    let initialJs = [];
    for (let i = 0; i < LOADS + 2; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 }, storageState });
      const page = await ctx.newPage();
      const t0 = performance.now();
      await page.goto(`${weft.origin}/workflows`);
      await page.getByRole("heading", { name: "Workflows", exact: true }).waitFor();
      const t = performance.now() - t0;
      const nav = await page.evaluate(() => {
        const n = performance.getEntriesByType("navigation")[0];
        const p = performance.getEntriesByName("first-contentful-paint")[0];
        return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, fcp: p ? p.startTime : NaN };
      });
      if (i >= 2) { // two warm-up loads (the server's first requests, the browser's caches of code)
        loads.push(t);
        dcl.push(nav.dcl);
        loadEv.push(nav.load);
        if (!Number.isNaN(nav.fcp)) fcp.push(nav.fcp);
      }
      if (i === LOADS + 1) {
        initialJs = await scripts(page);
        // 2b + 3: open the 200-node workflow by a client-side navigation.
        const before = new Set(initialJs.map((s) => s.name));
        const o0 = performance.now();
        await page.getByRole("link", { name: "Two hundred nodes" }).first().click();
        await page.waitForFunction(() => document.querySelectorAll(".react-flow__node-step").length === 200, undefined, { timeout: 30_000 });
        await page.waitForFunction(() => document.querySelectorAll(".react-flow__edge").length >= 200, undefined, { timeout: 30_000 });
        results.open200Ms = performance.now() - o0;
        const after = await scripts(page);
        results.builderJs = after.filter((s) => !before.has(s.name));

        // 4: drag a node on the 200-node canvas, recording frame deltas.
        await page.waitForTimeout(500);
        const node = page.locator('[data-testid="node-n10_4"]');
        await node.scrollIntoViewIfNeeded();
        const box = await node.boundingBox();
        const x = box.x + 40;
        const y = box.y + 15;
        await page.mouse.move(x, y);
        await page.mouse.down();
        await page.evaluate(() => {
          const w = window;
          w.__frames = [];
          w.__recording = true;
          let last = performance.now();
          const tick = (now) => {
            w.__frames.push(now - last);
            last = now;
            if (w.__recording) requestAnimationFrame(tick);
          };
          requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
        });
        const d0 = performance.now();
        for (let k = 1; k <= 120; k++) {
          await page.mouse.move(x + Math.sin(k / 10) * 200 + k, y + Math.cos(k / 12) * 120);
          await page.waitForTimeout(16);
        }
        const dragWall = performance.now() - d0;
        const frames = await page.evaluate(() => {
          const w = window;
          w.__recording = false;
          return w.__frames;
        });
        await page.mouse.up();
        const moved = await page.evaluate(() => {
          const el = document.querySelector('[data-testid="node-n10_4"]')?.closest(".react-flow__node");
          return el ? el.style.transform : "";
        });
        results.drag = { ...stats(frames), frames: frames.length, wallMs: dragWall, over16_7: frames.filter((f) => f > 16.7).length, over33: frames.filter((f) => f > 33.4).length, transform: moved };
      }
      await ctx.close();
    }
    results.load = { heading: stats(loads), domContentLoaded: stats(dcl), loadEvent: stats(loadEv), firstContentfulPaint: stats(fcp) };
    results.initialJs = initialJs;
    const sum = (list, k) => list.reduce((a, s) => a + s[k], 0);
    results.initialJsGzip = sum(initialJs, "encoded");
    results.initialJsRaw = sum(initialJs, "decoded");
    results.builderJsGzip = sum(results.builderJs, "encoded");
    results.builderJsRaw = sum(results.builderJs, "decoded");
  } finally {
    await browser.close();
    weft.child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }

  const r = results;
  console.log(`UI benchmarks (${r.machine}; weft ${r.weft})`);
  console.log(`initial load of /workflows, signed in, cold cache, loopback (${r.load.heading.n} loads):`);
  for (const [label, s] of [["until the page heading shows", r.load.heading], ["DOMContentLoaded", r.load.domContentLoaded], ["load event", r.load.loadEvent], ["first contentful paint", r.load.firstContentfulPaint]]) {
    console.log(`  ${label.padEnd(30)} median ${ms(s.median)}  p95 ${ms(s.p95)}  max ${ms(s.max)}`);
  }
  console.log(`JS shipped (gzip as served / uncompressed):`);
  console.log(`  initial page      ${kb(r.initialJsGzip)} / ${kb(r.initialJsRaw)}  (${r.initialJs.map((s) => s.name).join(", ")})`);
  console.log(`  builder chunk(s)  ${kb(r.builderJsGzip)} / ${kb(r.builderJsRaw)}  (${r.builderJs.map((s) => s.name).join(", ")})`);
  console.log(`open a 200-node workflow (click to 200 nodes and their edges drawn): ${ms(r.open200Ms)}`);
  const d = r.drag;
  console.log(`drag one node on the 200-node canvas (${d.frames} frames in ${ms(d.wallMs)}):`);
  console.log(`  frame time median ${ms(d.median)}  p95 ${ms(d.p95)}  max ${ms(d.max)}  mean ${ms(d.mean)} (${(1000 / d.mean).toFixed(0)} fps); frames > 16.7 ms: ${d.over16_7}, > 33.4 ms: ${d.over33}`);
  if (JSON_OUT) {
    mkdirSync(join(JSON_OUT, ".."), { recursive: true });
    writeFileSync(JSON_OUT, JSON.stringify(r, null, 2));
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
