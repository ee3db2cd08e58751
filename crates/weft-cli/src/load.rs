//! Loading workflow files: JSON or YAML, with `workflowFile` params of sub-workflow and map
//! nodes and `settings.errorWorkflowFile` inlined so that a stored run never depends on files on
//! disk.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};
use weft_model::Workflow;
use weft_model::parse::{DocumentFormat, ParseLimits, parse_value, workflow_from_value};

const MAX_INCLUDE_DEPTH: usize = 8;

/// Reads a workflow file and inlines the files it refers to.
pub fn load_workflow(path: &Path) -> Result<Workflow> {
    let value = load_value(path, &mut Vec::new())?;
    workflow_from_value(value, &ParseLimits::default())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Reads a document as a generic value, with includes resolved.
pub fn load_value(path: &Path, stack: &mut Vec<PathBuf>) -> Result<Value> {
    let canonical = path
        .canonicalize()
        .with_context(|| format!("cannot open {}", path.display()))?;
    if stack.contains(&canonical) {
        bail!("{} includes itself through workflowFile", path.display());
    }
    if stack.len() >= MAX_INCLUDE_DEPTH {
        bail!(
            "{}: sub-workflow files nest deeper than {MAX_INCLUDE_DEPTH} levels",
            path.display()
        );
    }
    let limits = ParseLimits::default();
    let meta =
        std::fs::metadata(&canonical).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() as usize > limits.max_bytes {
        bail!(
            "{}: document is {} bytes, more than the limit of {} bytes",
            path.display(),
            meta.len(),
            limits.max_bytes
        );
    }
    let bytes =
        std::fs::read(&canonical).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not UTF-8 text (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let format = DocumentFormat::detect(path.file_name().and_then(|n| n.to_str()), &text);
    let mut value = parse_value(&text, format, &limits)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    stack.push(canonical.clone());
    let base = canonical
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    if let Some(settings) = value.get_mut("settings").and_then(Value::as_object_mut)
        && let Some(file) = settings.remove("errorWorkflowFile")
    {
        let Value::String(file) = file else {
            bail!(
                "{}: /settings/errorWorkflowFile must be a path string",
                path.display()
            );
        };
        let handler = load_value(&base.join(&file), stack)
            .with_context(|| format!("{}: /settings/errorWorkflowFile", path.display()))?;
        settings.insert("errorWorkflow".into(), handler);
    }
    if let Some(Value::Array(nodes)) = value.get_mut("nodes") {
        for (i, node) in nodes.iter_mut().enumerate() {
            let Some(params) = node.get_mut("params").and_then(Value::as_object_mut) else {
                continue;
            };
            let Some(file) = params.get("workflowFile").cloned() else {
                continue;
            };
            let Value::String(file) = file else {
                bail!(
                    "{}: /nodes/{i}/params/workflowFile must be a path string",
                    path.display()
                );
            };
            let child = load_value(&base.join(&file), stack)
                .with_context(|| format!("{}: /nodes/{i}/params/workflowFile", path.display()))?;
            params.remove("workflowFile");
            params.insert("workflow".into(), child);
        }
    }
    stack.pop();
    Ok(value)
}
