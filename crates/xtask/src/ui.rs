//! `cargo xtask ui-test` (also part of `test`): the web UI's own checks, then its end-to-end
//! test in a real browser against the `weft` debug binary.
//!
//! 1. Debian's Chromium at `/usr/bin/chromium`, installed with apt-get when missing.
//! 2. `npm ci` in `ui/` when `node_modules` does not match `package-lock.json` (the `weft-ui`
//!    build script does the same before `vite build`).
//! 3. `npm run check:api`: `src/api/schema.gen.ts` is what openapi-typescript makes of
//!    `src/api/openapi.json` (whose own freshness `cargo test -p weft-server` checks).
//! 4. `tsc --noEmit` (strict), 5. Vitest, 6. every end-to-end scenario `e2e/*.mjs` (but the
//!    shared `e2e/lib.mjs`), one after the other, with the debug `weft`.
//!
//! `bench` (`cargo xtask bench ui`): `scripts/bench.mjs` against the release `weft`: initial
//! load on loopback, JS shipped gzipped, opening and dragging on a 200-node canvas.

use crate::{root, run};
use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs every UI check; `weft` is the binary the end-to-end test starts.
pub(crate) fn test(weft: &Path) -> Result<(), String> {
    ensure_chromium()?;
    let ui = root().join("ui");
    ensure_npm_ci(&ui)?;
    run(
        npm(&ui, &["run", "--silent", "check:api"]),
        "ui: generated API types are current",
    )?;
    run(
        npx(&ui, &["tsc", "--noEmit", "-p", "."]),
        "ui: tsc --noEmit",
    )?;
    run(npx(&ui, &["vitest", "run"]), "ui: vitest")?;
    if !weft.exists() {
        return Err(format!(
            "{} is missing: build it with `cargo build --bin weft`",
            weft.display()
        ));
    }
    for scenario in e2e_scenarios(&ui.join("e2e"))? {
        let mut e2e = Command::new("node");
        e2e.current_dir(&ui)
            .arg(format!("e2e/{scenario}"))
            .arg("--weft")
            .arg(weft);
        run(
            e2e,
            &format!("ui: end-to-end {scenario} in Chromium (screenshots in ui/e2e/artifacts)"),
        )?;
    }
    Ok(())
}

/// The end-to-end scenarios: every `e2e/*.mjs` but the shared `lib.mjs`, in name order (run
/// one after the other: each starts its own `weft serve` and browser).
fn e2e_scenarios(dir: &Path) -> Result<Vec<String>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".mjs") && name != "lib.mjs" && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort();
    if names.is_empty() {
        return Err(format!(
            "no end-to-end scenario (*.mjs) in {}",
            dir.display()
        ));
    }
    Ok(names)
}

/// The UI benchmarks (recorded in BENCHMARKS.md, never asserted) against `weft`.
pub(crate) fn bench(weft: &Path) -> Result<(), String> {
    ensure_chromium()?;
    let ui = root().join("ui");
    ensure_npm_ci(&ui)?;
    let mut cmd = Command::new("node");
    cmd.current_dir(&ui)
        .arg("scripts/bench.mjs")
        .arg("--weft")
        .arg(weft)
        .arg("--json")
        .arg("e2e/artifacts/bench-ui.json");
    run(cmd, "bench ui: load, JS size, 200-node canvas")
}

fn ensure_chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    let install = || {
        let mut cmd = Command::new("apt-get");
        cmd.args(["install", "-y", "--no-install-recommends", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    if run(install(), "apt-get install chromium").is_err() {
        let mut update = Command::new("apt-get");
        update.arg("update");
        run(update, "apt-get update")?;
        run(install(), "apt-get install chromium")?;
    }
    if Path::new(CHROMIUM).exists() {
        Ok(())
    } else {
        Err(format!(
            "{CHROMIUM} is still missing after apt-get install chromium: install Debian's chromium package"
        ))
    }
}

fn ensure_npm_ci(ui: &Path) -> Result<(), String> {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = modified(&ui.join("node_modules/.package-lock.json"));
    let locked = modified(&ui.join("package-lock.json"));
    let current = ui.join("node_modules/playwright-core").exists()
        && matches!((installed, locked), (Some(i), Some(l)) if i >= l);
    if current {
        return Ok(());
    }
    run(
        npm(ui, &["ci", "--no-audit", "--no-fund", "--prefer-offline"]),
        "ui: npm ci",
    )
}

fn npm(ui: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("npm");
    cmd.current_dir(ui).args(args);
    cmd
}

/// A tool installed in `ui/node_modules/.bin` (never downloaded on the fly, as npx would).
fn npx(ui: &Path, args: &[&str]) -> Command {
    let (tool, rest) = args.split_first().unwrap_or((&"true", &[]));
    let mut cmd = Command::new(ui.join("node_modules/.bin").join(tool));
    cmd.current_dir(ui).args(rest);
    cmd
}
