//! `ml.onnx@1` "Custom ML Agent": runs an ONNX model from a file on each item's numbers (or on
//! all items as one batch), with tract — pure Rust, nothing to install.
//!
//! Models are read from a configured directory only (`WEFT_MODELS_ROOT` in the CLI): a path is
//! relative to it and may not leave it. Loaded models are cached by path, modification time and
//! input width.
#![warn(missing_docs)]

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;
use tract_onnx::prelude::*;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeRegistry, NodeType, NodeTypeInfo, PortSpec, PortType,
    Purity, ResolvedPorts, StepContext, StepResult,
};
use weft_nodes::common::{get_path, node_info, object_schema};

/// The environment variable the CLI reads for the models directory.
pub const MODELS_ROOT_ENV: &str = "WEFT_MODELS_ROOT";

/// Largest model file read.
pub const MAX_MODEL_BYTES: u64 = 512 * 1024 * 1024;

type Plan = Arc<TypedRunnableModel<TypedModel>>;

/// `ml.onnx@1`.
pub struct OnnxNode {
    root: Option<PathBuf>,
    cache: Mutex<HashMap<(PathBuf, SystemTime, usize), Plan>>,
}

impl std::fmt::Debug for OnnxNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxNode")
            .field("root", &self.root)
            .finish()
    }
}

impl OnnxNode {
    /// A node that reads models under `root` (none: the node refuses to run).
    pub fn new(root: Option<PathBuf>) -> Self {
        OnnxNode {
            root,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

/// Registers `ml.onnx@1`.
pub fn register(registry: &mut NodeRegistry, models_root: Option<PathBuf>) {
    registry.register(Arc::new(OnnxNode::new(models_root)));
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    model: String,
    #[serde(default = "default_input")]
    input_field: String,
    #[serde(default = "default_output")]
    output_field: String,
    #[serde(default)]
    argmax_field: Option<String>,
}

fn default_input() -> String {
    "features".into()
}
fn default_output() -> String {
    "prediction".into()
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({ "model": "iris/classifier.onnx", "inputField": "features", "outputField": "scores", "argmaxField": "class" });
        let schema = object_schema(
            "ml.onnx params",
            json!({
                "model": { "type": "string", "minLength": 1, "description": "Path of the .onnx file, relative to the models directory (WEFT_MODELS_ROOT)." },
                "inputField": { "type": "string", "minLength": 1, "default": "features", "description": "Dotted path of each item's input: an array of numbers (one row), or an array of equal-length arrays (several rows)." },
                "outputField": { "type": "string", "minLength": 1, "default": "prediction", "description": "Field that receives the model's first output for the item (an array of numbers, or of arrays for several rows)." },
                "argmaxField": { "type": "string", "minLength": 1, "description": "Also store the index of the largest output value here (a class label)." },
            }),
            &["model"],
            vec![example.clone(), json!({ "model": "regressor.onnx" })],
        );
        node_info(
            "ml.onnx",
            "Custom ML Agent",
            "AI",
            &format!(
                "Runs an ONNX model (pure-Rust inference) on each item's numbers and adds its \
                 output to the item. The model's first input must take float32 rows [N, F]. \
                 Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

fn model_path(root: &Path, rel: &str) -> Result<PathBuf, NodeError> {
    let p = Path::new(rel);
    if p.is_absolute() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(NodeError::permanent(
            "ml.outside_root",
            format!("model path {rel:?} must be relative to the models directory, without `..`"),
        ));
    }
    let full = root.join(p);
    let canonical_root = root.canonicalize().map_err(|e| {
        NodeError::permanent(
            "ml.no_root",
            format!("the models directory is not usable: {e}"),
        )
    })?;
    let canonical = full
        .canonicalize()
        .map_err(|e| NodeError::permanent("ml.not_found", format!("model {rel:?}: {e}")))?;
    if !canonical.starts_with(&canonical_root) {
        return Err(NodeError::permanent(
            "ml.outside_root",
            format!("model path {rel:?} leads outside the models directory"),
        ));
    }
    Ok(canonical)
}

/// The rows of an item's input: one row, or several.
fn rows(v: &Value, field: &str, item: usize) -> Result<(Vec<Vec<f32>>, bool), NodeError> {
    let bad =
        |what: String| NodeError::permanent("ml.input", format!("item {item}: `{field}` {what}"));
    let num = |x: &Value| x.as_f64().map(|f| f as f32);
    let Some(Value::Array(a)) = get_path(v, field) else {
        return Err(bad("is missing or not an array of numbers".into()));
    };
    if a.iter().all(Value::is_number) {
        return Ok((vec![a.iter().filter_map(num).collect()], false));
    }
    let mut out = Vec::new();
    for (r, row) in a.iter().enumerate() {
        let Value::Array(cells) = row else {
            return Err(bad(format!("row {r} is not an array of numbers")));
        };
        let parsed: Option<Vec<f32>> = cells.iter().map(num).collect();
        out.push(parsed.ok_or_else(|| bad(format!("row {r} holds something other than numbers")))?);
    }
    if out.is_empty() || out.iter().any(|r| r.len() != out[0].len()) {
        return Err(bad("rows are empty or of different lengths".into()));
    }
    Ok((out, true))
}

impl OnnxNode {
    fn plan(&self, path: &Path, width: usize) -> Result<Plan, NodeError> {
        let meta = std::fs::metadata(path)
            .map_err(|e| NodeError::permanent("ml.not_found", format!("model: {e}")))?;
        if meta.len() > MAX_MODEL_BYTES {
            return Err(NodeError::permanent(
                "ml.too_large",
                format!(
                    "the model file is {} bytes, more than {MAX_MODEL_BYTES}",
                    meta.len()
                ),
            ));
        }
        let key = (
            path.to_path_buf(),
            meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            width,
        );
        if let Some(p) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(p.clone());
        }
        let invalid = |e: TractError| {
            NodeError::permanent("ml.model", format!("the model cannot be used: {e:#}"))
        };
        let plan = tract_onnx::onnx()
            .model_for_path(path)
            .map_err(invalid)?
            .with_input_fact(0, f32::fact([1, width]).into())
            .map_err(invalid)?
            .into_optimized()
            .map_err(invalid)?
            .into_runnable()
            .map_err(invalid)?;
        let plan = Arc::new(plan);
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, plan.clone());
        Ok(plan)
    }
}

fn argmax(v: &[f32]) -> Option<usize> {
    v.iter()
        .enumerate()
        .filter(|(_, x)| !x.is_nan())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
}

#[async_trait]
impl NodeType for OnnxNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(ResolvedPorts {
            inputs: vec![PortSpec::new("main", PortType::Object).required()],
            outputs: vec![PortSpec::new("main", PortType::Object)],
        })
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let Some(root) = &self.root else {
            return Err(NodeError::permanent(
                "ml.no_root",
                format!(
                    "no models directory is configured; set {MODELS_ROOT_ENV} to the folder holding .onnx files"
                ),
            ));
        };
        let items = input.main_items().to_vec();
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let p: Params = ctx.params_for(&items, i)?;
            let path = model_path(root, &p.model)?;
            let (input_rows, many) = rows(item, &p.input_field, i)?;
            let plan = self.plan(&path, input_rows[0].len())?;
            let mut results: Vec<Vec<f32>> = Vec::with_capacity(input_rows.len());
            for row in &input_rows {
                let width = row.len();
                let tensor = tract_ndarray::Array2::from_shape_vec((1, width), row.clone())
                    .map_err(|e| NodeError::permanent("ml.input", format!("item {i}: {e}")))?
                    .into_tensor();
                let outputs = plan.run(tvec!(tensor.into())).map_err(|e| {
                    NodeError::permanent("ml.run", format!("item {i}: inference failed: {e:#}"))
                })?;
                let first = outputs[0].cast_to::<f32>().map_err(|e| {
                    NodeError::permanent(
                        "ml.run",
                        format!("item {i}: output is not numeric: {e:#}"),
                    )
                })?;
                let values: Vec<f32> = first
                    .as_slice::<f32>()
                    .map_err(|e| NodeError::permanent("ml.run", format!("{e:#}")))?
                    .to_vec();
                results.push(values);
            }
            let mut obj = match item {
                Value::Object(m) => m.clone(),
                other => {
                    let mut m = Map::new();
                    m.insert("value".into(), other.clone());
                    m
                }
            };
            let to_json = |r: &Vec<f32>| json!(r.iter().map(|x| *x as f64).collect::<Vec<_>>());
            let prediction = if many {
                Value::Array(results.iter().map(to_json).collect())
            } else {
                to_json(&results[0])
            };
            obj.insert(p.output_field.clone(), prediction);
            if let Some(f) = &p.argmax_field {
                let labels: Vec<Value> = results.iter().map(|r| json!(argmax(r))).collect();
                obj.insert(
                    f.clone(),
                    if many {
                        Value::Array(labels)
                    } else {
                        labels[0].clone()
                    },
                );
            }
            out.push(Value::Object(obj));
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
