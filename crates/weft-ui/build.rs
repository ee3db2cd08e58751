//! Builds the web UI (`ui/` at the repository root) and embeds it.
//!
//! 1. `ui/node_modules` must be what `ui/package-lock.json` locks: when it is missing or was
//!    installed before the lock file last changed, this runs `npm ci` in `ui/`.
//! 2. `vite build` writes the app into `OUT_DIR/dist` (never into the source tree).
//! 3. Every file of `dist/` is gzip-compressed into `OUT_DIR`, and `OUT_DIR/embedded.rs`
//!    lists them with `include_bytes!`, their content type and a hash for their ETag.
//!
//! Cargo reruns this only when a file under `ui/src`, `ui/public` or one of the UI's config
//! files changes, so `cargo clippy` and `cargo test` do not rebuild the UI otherwise.
//!
//! `WEFT_UI_DIST=/path/to/dist` embeds an already built app instead (no npm, no Node.js).

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Instant, SystemTime};

/// Exactly what the failure message tells a person to run, and what this script runs.
const NPM_CI: &str = "npm ci --no-audit --no-fund --prefer-offline";

/// Files and folders of `ui/` whose change means the app must be built again.
const INPUTS: &[&str] = &[
    "package.json",
    "package-lock.json",
    "index.html",
    "vite.config.ts",
    "tsconfig.json",
    "src",
    "public",
];

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=WEFT_UI_DIST");
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // Cargo shows a failed build script's stderr; keep it the one thing to read.
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let ui = manifest_dir.join("../../ui");
    let ui = ui
        .canonicalize()
        .map_err(|e| format!("the UI sources are missing at {}: {e}", ui.display()))?;

    let dist = match std::env::var_os("WEFT_UI_DIST") {
        Some(dist) => {
            let dist = PathBuf::from(dist);
            println!("cargo:rerun-if-changed={}", dist.display());
            dist
        }
        None => {
            for input in INPUTS {
                println!("cargo:rerun-if-changed={}", ui.join(input).display());
            }
            ensure_installed(&ui)?;
            let dist = out_dir.join("dist");
            vite_build(&ui, &dist)?;
            dist
        }
    };
    embed(&dist, &out_dir)
}

/// Runs `npm ci` when `node_modules` does not hold what the lock file says.
fn ensure_installed(ui: &Path) -> Result<(), String> {
    if install_needed(ui).is_none() {
        return Ok(());
    }
    // Builds with different target directories may get here at once (clippy and test in two
    // terminals); npm ci deletes and rewrites node_modules, so only one may run it.
    let lock_file = std::env::temp_dir().join(format!(
        "weft-ui-npm-{}.lock",
        short_hash(ui.as_os_str().as_encoded_bytes())
    ));
    let lock = File::create(&lock_file)
        .map_err(|e| format!("cannot create {}: {e}", lock_file.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_file.display()))?;
    let Some(reason) = install_needed(ui) else {
        return Ok(());
    };
    println!(
        "cargo:warning=weft-ui: {reason}; running `{NPM_CI}` in {}",
        ui.display()
    );
    let started = Instant::now();
    let output = Command::new(npm())
        .args(NPM_CI.split(' ').skip(1))
        .current_dir(ui)
        .output();
    let how_to_fix = format!(
        "weft-ui embeds the web UI built from {ui} with Vite, so the build needs its npm packages \
         (pinned in package-lock.json) installed in {ui}/node_modules.\n\
         Run this once, with Node.js 20.19 or later and npm able to reach the npm registry, then build again:\n\n    \
         cd {ui} && {NPM_CI}\n\n\
         (Or build the UI elsewhere and point WEFT_UI_DIST at its dist/ folder.)",
        ui = ui.display(),
    );
    let output = output.map_err(|e| format!("could not start `npm`: {e}.\n{how_to_fix}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{NPM_CI}` failed ({}).\n--- npm stdout ---\n{}\n--- npm stderr ---\n{}\n{how_to_fix}",
            output.status,
            String::from_utf8_lossy(&output.stdout).trim_end(),
            String::from_utf8_lossy(&output.stderr).trim_end(),
        ));
    }
    println!(
        "cargo:warning=weft-ui: npm ci finished in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    match install_needed(ui) {
        None => Ok(()),
        Some(reason) => Err(format!("after `{NPM_CI}`: {reason}.\n{how_to_fix}")),
    }
}

/// Why `npm ci` must run, or `None` when node_modules is current.
fn install_needed(ui: &Path) -> Option<String> {
    if !ui.join("node_modules/vite/package.json").exists() {
        return Some("ui/node_modules is missing".into());
    }
    // npm writes node_modules/.package-lock.json last, at the end of every install.
    let installed_at = modified(&ui.join("node_modules/.package-lock.json"));
    let locked_at = modified(&ui.join("package-lock.json"));
    match (installed_at, locked_at) {
        (Some(installed_at), Some(locked_at)) if installed_at >= locked_at => None,
        _ => Some("ui/node_modules is older than ui/package-lock.json".into()),
    }
}

fn vite_build(ui: &Path, dist: &Path) -> Result<(), String> {
    let started = Instant::now();
    let output = Command::new("node")
        .arg("node_modules/vite/bin/vite.js")
        .args(["build", "--logLevel", "warn", "--emptyOutDir", "--outDir"])
        .arg(dist)
        .current_dir(ui)
        .output()
        .map_err(|e| {
            format!(
                "could not start `node` to build the web UI: {e}.\n\
                 Install Node.js 20.19 or later, or set WEFT_UI_DIST to a built dist/ folder."
            )
        })?;
    if !output.status.success() {
        return Err(format!(
            "building the web UI failed: `vite build` in {} exited with {}.\n\
             --- stdout ---\n{}\n--- stderr ---\n{}\n\
             Reproduce it with: cd {} && npx vite build",
            ui.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout).trim_end(),
            String::from_utf8_lossy(&output.stderr).trim_end(),
            ui.display(),
        ));
    }
    println!(
        "cargo:warning=weft-ui: vite build finished in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Writes the gzip files and `embedded.rs`, the table `include!`d by `src/assets.rs`.
fn embed(dist: &Path, out_dir: &Path) -> Result<(), String> {
    let mut files = Vec::new();
    walk(dist, dist, &mut files)?;
    files.sort();
    if !files.iter().any(|f| f == "index.html") {
        return Err(format!("{} has no index.html", dist.display()));
    }
    let gz_dir = out_dir.join("gz");
    fs::create_dir_all(&gz_dir).map_err(|e| format!("cannot create {}: {e}", gz_dir.display()))?;
    let mut table = String::from(
        "// Generated by build.rs from the built web UI; do not edit.\n\
         pub(crate) static EMBEDDED: &[Embedded] = &[\n",
    );
    for (i, name) in files.iter().enumerate() {
        let bytes = fs::read(dist.join(name))
            .map_err(|e| format!("cannot read {}: {e}", dist.join(name).display()))?;
        let gz_name = format!("{i}.gz");
        let gz_len = write_gzip(&gz_dir.join(&gz_name), &bytes)?;
        writeln!(
            table,
            "    // {len} bytes, {gz_len} gzipped\n    Embedded {{ path: {name:?}, content_type: {ct:?}, hash: {hash:?}, \
             gzip: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/gz/{gz_name}\")) }},",
            len = bytes.len(),
            ct = content_type(name),
            hash = short_hash(&bytes),
        )
        .map_err(|e| e.to_string())?;
    }
    table.push_str("];\n");
    fs::write(out_dir.join("embedded.rs"), table).map_err(|e| {
        format!(
            "cannot write {}: {e}",
            out_dir.join("embedded.rs").display()
        )
    })
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else {
            let rel = path
                .strip_prefix(root)
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
    Ok(())
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Writes `bytes` gzip-compressed (no timestamp or name in the header, so the output depends
/// on the input only) and returns the compressed size.
fn write_gzip(path: &Path, bytes: &[u8]) -> Result<usize, String> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder
        .write_all(bytes)
        .map_err(|e| format!("gzip {}: {e}", path.display()))?;
    let gz = encoder
        .finish()
        .map_err(|e| format!("gzip {}: {e}", path.display()))?;
    fs::write(path, &gz).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(gz.len())
}

/// The first 16 hex digits of the SHA-256 of `bytes`.
fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn npm() -> &'static str {
    if cfg!(windows) { "npm.cmd" } else { "npm" }
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).ok()?.modified().ok()
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| format!("{name}: {e}"))
}
