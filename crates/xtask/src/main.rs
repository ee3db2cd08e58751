//! `cargo xtask <task>`: project automation that would otherwise be shell scripts.
//!
//! - `test`: formatting, lints, and the whole test suite — exactly what CI runs.
//! - `bench`: the recorded benchmarks (W2, W3) in release mode.
//! - `fuzz [SECONDS]`: the document parser/validator fuzz target (needs cargo-fuzz).

use std::env;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("bench") => bench(),
        Some("fuzz") => fuzz(args.get(1).map(String::as_str).unwrap_or("60")),
        _ => {
            eprintln!("usage: cargo xtask <test|bench|fuzz [SECONDS]>");
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

fn root() -> PathBuf {
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

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
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
    Ok(())
}

fn bench() -> Result<(), String> {
    for w in ["w2", "w3"] {
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
