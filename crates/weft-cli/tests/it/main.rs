//! Tests of the `weft` binary: real processes, real data directories.

mod agent_kill;
mod cli;
mod credentials;
mod kill;
mod scaleout;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `weft` binary built for this test run.
pub fn weft() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weft"));
    cmd.env_remove("WEFT_DATA_DIR").env("WEFT_LOG", "warn");
    cmd
}

/// Runs `weft` with a data dir and returns its output.
pub fn weft_in(dir: &Path, args: &[&str]) -> Output {
    weft()
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("weft runs")
}

/// Runs `weft resume` on a data dir until everything unfinished has ended, and checks it
/// exited cleanly.
pub async fn resume_to_end(dir: &Path) {
    let dir = dir.to_path_buf();
    let status = tokio::task::spawn_blocking(move || {
        weft().args(["resume", "--data-dir"]).arg(&dir).status()
    })
    .await
    .expect("join")
    .expect("resume");
    assert!(status.success(), "weft resume: {status}");
}

/// The examples folder of the repository.
pub fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Writes a document into a temp dir and returns its path.
pub fn write_doc(dir: &Path, name: &str, doc: &serde_json::Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(doc).expect("json")).expect("write");
    path
}
