// Shared helpers of the end-to-end tests: a real `weft serve` on a temp data dir and a free
// port, Debian's Chromium through playwright-core, screenshots and checks.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const artifacts = join(here, "artifacts");
export const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const TIMEOUT_MS = 20_000;
export const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The weft binary: `--weft PATH` or $WEFT_BIN. */
export function weftBinary() {
  const arg = process.argv.indexOf("--weft");
  return arg > 0 ? process.argv[arg + 1] : process.env.WEFT_BIN;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts weft serve; resolves once it listens, with the sign-in link and API key it printed. */
export async function startWeft(weftBin, dataDir) {
  const port = await freePort();
  const child = spawn(weftBin, ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--shutdown-grace", "2s"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  const out = { loginUrl: null, apiKey: null };
  const log = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`weft serve did not start in 60 s:\n${log.join("\n")}`)), 60_000);
    child.on("exit", (code) => reject(new Error(`weft serve exited with ${code}:\n${log.join("\n")}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      log.push(line);
      const key = /API key \(shown once, keep it safe\): (\S+)/.exec(line);
      if (key) out.apiKey = key[1];
      const link = /Sign in \(one use, 24 hours\):\s+(\S+)/.exec(line);
      if (link) out.loginUrl = link[1];
    });
    createInterface({ input: child.stderr }).on("line", (line) => {
      log.push(line);
      if (line.includes("weft is listening on")) {
        const wait = setInterval(() => {
          if (out.loginUrl) {
            clearInterval(wait);
            clearTimeout(timer);
            resolve({ child, origin: `http://127.0.0.1:${port}`, ...out, log });
          }
        }, 20);
      }
    });
  });
}

/** The step a test is at, for failure messages. */
export const progress = { step: "start" };

export function check(condition, what) {
  if (!condition) throw new Error(`check failed (${progress.step}): ${what}`);
}

export async function shot(page, name) {
  const path = join(artifacts, `${name}.png`);
  await page.screenshot({ path });
  console.log(`  screenshot: ${path}`);
}

/** Signs in with the one-time link and waits for the workflows page. */
export async function signIn(page, weft) {
  const response = await page.goto(weft.loginUrl);
  check(response.ok(), `the link lands on the UI (${response.status()})`);
  await page.waitForURL(/\/workflows$/);
}

/**
 * A page in a fresh browser context that may only reach `origin`; every console error, page
 * error, off-origin request and 5xx response is passed to `report` as text.
 */
export async function watchedPage(browser, origin, report, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, colorScheme: "dark", ...options });
  context.setDefaultTimeout(TIMEOUT_MS);
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    report(`request off the origin: ${url}`);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") report(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => report(`page error: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 500) report(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { context, page };
}

/** Calls the API with the admin key (for setting up what a test is not about). */
export async function apiCall(weft, method, path, body) {
  const r = await fetch(`${weft.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${weft.apiKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
  return json;
}
