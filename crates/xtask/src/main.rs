//! `cargo xtask <task>`: project automation that would otherwise be shell scripts.
//!
//! - `test`: formatting, lints, and the whole test suite — exactly what CI runs.
//! - `bench [w1|w2|w3|s3|ui]`: the recorded benchmarks in release mode (W2 and W3 by default;
//!   W1 starts `weft serve` and loads it with wrk, see `w1.rs`; S3 is scale-out on
//!   PostgreSQL with 1, 2 and 4 workers, see `s3.rs`; UI runs `ui/scripts/bench.mjs` in
//!   Chromium, see `ui.rs`).
//! - `fuzz [SECONDS]`: the document parser/validator fuzz target (needs cargo-fuzz).
//! - `fuzz-api [EXAMPLES]`: schemathesis against a running `weft serve` (also run by `test`).
//! - `ui-test`: the web UI's type check, Vitest and end-to-end test in Chromium (also run by
//!   `test`; see `ui.rs`).

mod fuzz_api;
mod s3;
mod serve;
mod ui;
mod w1;

use std::env;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz(args.get(1).map(String::as_str).unwrap_or("60")),
        Some("ui-test") => run(
            cargo(&["build", "-p", "weft-cli", "--bin", "weft"]),
            "cargo build --bin weft",
        )
        .and_then(|()| ui::test(&target_dir().join("debug/weft"))),
        Some("fuzz-api") => match args.get(1).map(|n| n.parse::<u32>()) {
            None => fuzz_api(FUZZ_API_EXAMPLES),
            Some(Ok(n)) if n > 0 => fuzz_api(n),
            Some(_) => Err(format!(
                "fuzz-api takes a positive number of examples, not {:?}",
                args[1]
            )),
        },
        _ => {
            eprintln!(
                "usage: cargo xtask <test | ui-test | bench [w2|w3|s3|ui|w1 [--duration SECS] [--connections N] [--threads N] [--keep]] | fuzz [SECONDS] | fuzz-api [EXAMPLES]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A cargo command that reuses a target directory outside the clone when there is one, so CI
/// and fresh clones do not rebuild the world.
fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root()).args(args);
    if env::var_os("CARGO_TARGET_DIR").is_none()
        && let Some(home) = env::var_os("HOME")
    {
        cmd.env(
            "CARGO_TARGET_DIR",
            PathBuf::from(home).join(".cache/weft-target"),
        );
    }
    cmd
}

pub(crate) fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    eprintln!("==> {what}");
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn test() -> Result<(), String> {
    run(
        cargo(&["fmt", "--all", "--", "--check"]),
        "cargo fmt --check",
    )?;
    run(
        cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        "cargo clippy",
    )?;
    run(cargo(&["build", "--workspace", "--bins"]), "cargo build")?;
    run(
        cargo(&["test", "--workspace", "--no-fail-fast"]),
        "cargo test",
    )?;
    ui::test(&target_dir().join("debug/weft"))?;
    fuzz_api::run(&target_dir().join("debug/weft"), FUZZ_API_EXAMPLES)
}

/// Generated cases per operation and phase when CI fuzzes the API.
const FUZZ_API_EXAMPLES: u32 = 15;

fn fuzz_api(examples: u32) -> Result<(), String> {
    run(
        cargo(&["build", "-p", "weft-cli", "--bin", "weft"]),
        "cargo build --bin weft",
    )?;
    fuzz_api::run(&target_dir().join("debug/weft"), examples)
}

/// Where cargo puts what it builds for these tasks.
pub(crate) fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => match env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".cache/weft-target"),
            None => root().join("target"),
        },
    }
}

fn bench(args: &[String]) -> Result<(), String> {
    let workloads = match args.first().map(String::as_str) {
        None => vec!["w2", "w3"],
        Some("w1") => {
            return w1::run(&args[1..], || {
                run(
                    cargo(&["build", "--release", "-p", "weft-cli", "--bin", "weft"]),
                    "cargo build --release --bin weft",
                )
            });
        }
        Some("s3") if args.len() == 1 => {
            return s3::run(|| {
                run(
                    cargo(&["build", "--release", "-p", "weft-cli", "--bin", "weft"]),
                    "cargo build --release --bin weft",
                )
            });
        }
        Some("ui") if args.len() == 1 => {
            return run(
                cargo(&["build", "--release", "-p", "weft-cli", "--bin", "weft"]),
                "cargo build --release --bin weft",
            )
            .and_then(|()| ui::bench(&target_dir().join("release/weft")));
        }
        Some(w @ ("w2" | "w3")) if args.len() == 1 => vec![w],
        Some(other) => {
            return Err(format!(
                "unknown bench arguments {other:?}: w1, w2, w3, s3 or ui"
            ));
        }
    };
    for w in workloads {
        run(
            cargo(&["weft", "bench", w, "--iterations", "500"]),
            &format!("bench {w}"),
        )?;
    }
    Ok(())
}

fn fuzz(seconds: &str) -> Result<(), String> {
    std::fs::create_dir_all(root().join("fuzz/corpus/parse_validate"))
        .map_err(|e| format!("creating fuzz/corpus: {e}"))?;
    // The corpus grows in fuzz/corpus (git-ignored); the examples and the validation cases
    // seed it, read-only, and a dictionary of the format's words speeds up discovery.
    let mut cmd = cargo(&[
        "fuzz",
        "run",
        "parse_validate",
        "fuzz/corpus/parse_validate",
        "examples",
        "crates/weft-nodes/tests/validate",
        "--",
        "-dict=fuzz/weft.dict",
        "-max_len=65536",
        &format!("-max_total_time={seconds}"),
    ]);
    // cargo-fuzz needs nightly flags; the stable toolchain accepts them under RUSTC_BOOTSTRAP.
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .env_remove("CARGO_TARGET_DIR");
    run(cmd, "cargo fuzz run parse_validate")
}
