//! Record/replay of LLM exchanges, for deterministic tests and demos.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Where completions come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LlmMode {
    /// From the endpoint.
    #[default]
    Live,
    /// From the endpoint, and every exchange is written to this directory.
    Record(PathBuf),
    /// Only from this directory; a request that was not recorded fails.
    Replay(PathBuf),
}

impl LlmMode {
    /// From `WEFT_LLM_MODE` (`live`, `record`, `replay`) and `WEFT_LLM_CASSETTES` (a directory).
    pub fn from_env() -> Result<Self, String> {
        let mode = std::env::var("WEFT_LLM_MODE").unwrap_or_default();
        let dir = std::env::var_os("WEFT_LLM_CASSETTES").map(PathBuf::from);
        match (mode.as_str(), dir) {
            ("" | "live", _) => Ok(LlmMode::Live),
            ("record", Some(d)) => Ok(LlmMode::Record(d)),
            ("replay", Some(d)) => Ok(LlmMode::Replay(d)),
            ("record" | "replay", None) => {
                Err(format!("WEFT_LLM_MODE={mode} needs WEFT_LLM_CASSETTES=DIR"))
            }
            (other, _) => Err(format!(
                "WEFT_LLM_MODE={other:?} is not one of live, record, replay"
            )),
        }
    }
}

/// The key of a request: what the model sees, not where it is served.
pub(crate) fn key(path: &str, request: &Value) -> String {
    let canonical = json!({ "path": path, "request": request }).to_string();
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn file(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

/// A recorded response: status and body.
pub(crate) fn load(dir: &Path, key: &str) -> Result<Option<(u16, Value)>, String> {
    let path = file(dir, key);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| format!("cassette {} is damaged: {e}", path.display()))?;
            let status = v["response"]["status"].as_u64().unwrap_or(200) as u16;
            Ok(Some((status, v["response"]["body"].clone())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read cassette {}: {e}", path.display())),
    }
}

/// Stores an exchange (the request without credentials).
pub(crate) fn save(
    dir: &Path,
    key: &str,
    request: &Value,
    status: u16,
    body: &Value,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let text = serde_json::to_string_pretty(&json!({
        "request": request,
        "response": { "status": status, "body": body },
    }))
    .map_err(|e| e.to_string())?;
    let path = file(dir, key);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
