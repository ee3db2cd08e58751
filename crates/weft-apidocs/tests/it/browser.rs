//! The page in a real browser: `web/e2e/docs.mjs` drives Debian's Chromium through
//! playwright-core against the sample server. Runs only with `WEFT_BROWSER_TESTS=1` (it needs
//! `/usr/bin/chromium` and Node.js); then a missing piece is a failure, not a skip.

use crate::sample;
use anyhow::{Context, Result, ensure};
use std::path::{Path, PathBuf};

const CHROMIUM: &str = "/usr/bin/chromium";

#[tokio::test]
async fn docs_page_works_in_chromium() -> Result<()> {
    if std::env::var("WEFT_BROWSER_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set WEFT_BROWSER_TESTS=1 to run the browser check");
        return Ok(());
    }
    ensure!(
        Path::new(CHROMIUM).exists(),
        "WEFT_BROWSER_TESTS=1 but {CHROMIUM} is missing: install Debian's chromium \
         (apt-get install -y chromium)"
    );
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    ensure!(
        web.join("node_modules/playwright-core").exists(),
        "web/node_modules/playwright-core is missing: run `npm ci --ignore-scripts` in {}",
        web.display()
    );
    let screenshot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("weft-apidocs.png");

    let addr = sample::start(0).await?;
    let status = tokio::process::Command::new("node")
        .arg("e2e/docs.mjs")
        .arg(format!("http://{addr}/api/docs"))
        .current_dir(&web)
        .env("WEFT_E2E_SCREENSHOT", &screenshot)
        .env("WEFT_E2E_TOKEN", sample::TOKEN)
        .kill_on_drop(true)
        .status()
        .await
        .context("cannot start node")?;
    ensure!(status.success(), "web/e2e/docs.mjs failed ({status})");
    ensure!(
        screenshot.exists(),
        "no screenshot at {}",
        screenshot.display()
    );
    eprintln!("screenshot: {}", screenshot.display());
    Ok(())
}
