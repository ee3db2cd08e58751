// The docs page in a real browser: Debian's Chromium driven by playwright-core.
//
//   node e2e/docs.mjs [PAGE_URL]
//
// Without PAGE_URL it starts `cargo run -p weft-apidocs --example serve -- 0` and uses the
// URL that prints. The Rust test `browser::docs_page_works_in_chromium` (WEFT_BROWSER_TESTS=1)
// passes the URL of a server it started itself.
//
// Checks: the operation list renders; Authorize with a bearer token, then "Execute" on the
// protected operation gets 200 from the same origin; the token survives a reload
// (persistAuthorization); no request leaves the page's origin (all are recorded; any other is
// aborted, never sent); no console errors (CSP violations are console errors), page errors or
// failed requests. Writes a screenshot to $WEFT_E2E_SCREENSHOT (default
// /tmp/weft-apidocs.png).
//
// Environment: CHROMIUM (default /usr/bin/chromium), WEFT_E2E_TOKEN (the sample's token),
// WEFT_E2E_SCREENSHOT.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const token = process.env.WEFT_E2E_TOKEN ?? "weft-sample-token";
const screenshotPath = process.env.WEFT_E2E_SCREENSHOT ?? "/tmp/weft-apidocs.png";
const TIMEOUT_MS = 30_000;

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Starts the example server; resolves to { url, child } once it prints its URL. */
function startExample() {
  const child = spawn(
    "cargo",
    ["run", "-q", "-p", "weft-apidocs", "--example", "serve", "--", "0"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("example did not start in 10 minutes")), 600_000);
    child.on("exit", (code) => reject(new Error(`example exited with ${code}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const match = /^listening on (http:\/\/\S+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], child });
      }
    });
  });
}

async function main() {
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} is missing: apt-get install -y chromium`);
  }
  let pageUrl = process.argv[2];
  let server;
  if (!pageUrl) {
    server = await startExample();
    pageUrl = server.url;
  }
  const origin = new URL(pageUrl).origin;
  if (new URL(pageUrl).hostname !== "127.0.0.1") {
    throw new Error(`the page must be on 127.0.0.1, not ${origin}`);
  }

  const problems = [];
  const requests = [];
  const browser = await chromium.launch({ executablePath, args: FLAGS, headless: true });
  try {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 1000 },
      serviceWorkers: "block",
    });
    context.setDefaultTimeout(TIMEOUT_MS);
    // Every request the page makes passes here: same origin goes on, anything else is
    // recorded and aborted before it leaves the browser.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      requests.push(`${route.request().method()} ${url}`);
      if (new URL(url).origin === origin) {
        return route.continue();
      }
      problems.push(`request off the page's origin: ${url}`);
      return route.abort("blockedbyclient");
    });

    const page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") {
        problems.push(`console error: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) => {
      if (new URL(request.url()).origin === origin) {
        problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
      }
    });
    page.on("response", (response) => {
      // Nothing the page loads may fail (the protected call is made with the token).
      if (response.status() >= 400) {
        problems.push(`HTTP ${response.status()}: ${response.url()}`);
      }
    });

    const response = await page.goto(pageUrl);
    const csp = response?.headers()["content-security-policy"];
    check(csp?.includes("default-src 'self'"), `page CSP header: ${csp}`);
    check((await page.title()) === "Weft API", `title is ${await page.title()}`);

    // The operation list.
    const operation = page.locator(".opblock-get", { hasText: "/api/v1/whoami" });
    await operation.waitFor();
    check(
      (await page.locator(".opblock").count()) === 1,
      "one operation is listed",
    );
    await page.locator(".info .title", { hasText: "Weft API (sample)" }).waitFor();

    // Authorize with a bearer token.
    await page.locator(".auth-wrapper button.authorize").click();
    await page.locator("input[aria-label='auth-bearer-value']").fill(token);
    await page.locator(".auth-btn-wrapper button.authorize").click();
    await page.locator(".auth-btn-wrapper button.btn-done").click();
    await page.locator(".auth-wrapper button.authorize.locked").waitFor();

    // Try it out (enabled from the start) and Execute against the same origin.
    await operation.locator(".opblock-summary").click();
    const execute = operation.locator("button.execute");
    const [apiResponse] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${origin}/api/v1/whoami`),
      execute.click(),
    ]);
    check(apiResponse.status() === 200, `whoami answered ${apiResponse.status()}`);
    const sent = apiResponse.request().headers().authorization;
    check(sent === `Bearer ${token}`, `Authorization header sent: ${sent}`);
    await operation
      .locator(".live-responses-table .response-col_status", { hasText: "200" })
      .waitFor();
    await operation.locator(".live-responses-table", { hasText: "sample-user" }).waitFor();
    await page.screenshot({ path: screenshotPath, fullPage: true });

    // persistAuthorization: the token is still there after a reload.
    await page.reload();
    await page.locator(".opblock-get", { hasText: "/api/v1/whoami" }).waitFor();
    await page.locator(".auth-wrapper button.authorize.locked").waitFor();

    // The license notice is linked and served.
    const license = await page.request.get(`${origin}/api/docs/license`);
    check(license.ok() && (await license.text()).includes("Apache License"), "license notice");

    for (const request of requests) {
      const url = request.slice(request.indexOf(" ") + 1);
      check(new URL(url).origin === origin, `request left ${origin}: ${request}`);
    }
  } finally {
    await browser.close();
    server?.child.kill("SIGTERM");
    if (problems.length > 0) {
      console.error(`problems so far:\n  ${problems.join("\n  ")}`);
    }
  }

  console.log(`requests (${requests.length}):\n  ${requests.join("\n  ")}`);
  console.log(`screenshot: ${screenshotPath}`);
  if (problems.length > 0) {
    throw new Error(`${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  }
  console.log("docs page: ok");
}

function check(condition, what) {
  if (!condition) {
    throw new Error(`check failed: ${what}`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  process.exit(1);
});
