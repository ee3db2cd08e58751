// What the end-to-end scenarios (e2e/*.mjs) share: the command line, starting the real
// `weft serve` on a temp data dir and a free port, the Chromium flags, screenshots and the
// sign-in with the one-time link. `cargo xtask ui-test` runs every scenario but this file.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const artifacts = join(here, "artifacts");
export const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const argWeft = process.argv.indexOf("--weft");
export const weftBin = argWeft > 0 ? process.argv[argWeft + 1] : process.env.WEFT_BIN;
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
export async function startWeft(dataDir) {
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

export async function shot(page, name) {
  const path = join(artifacts, `${name}.png`);
  await page.screenshot({ path });
  console.log(`  screenshot: ${path}`);
}

/** Opens the one-time sign-in link; resolves with its response once the workflows page shows. */
export async function signIn(page, weft) {
  const response = await page.goto(weft.loginUrl);
  await page.waitForURL(/\/workflows$/);
  return response;
}
