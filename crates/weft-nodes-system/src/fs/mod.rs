//! `fs.file@1`: the FileSystem agent. Reads, writes, lists, deletes and inspects files under
//! one configured directory, the files root; see [`confined`] for how paths are kept inside it.

mod confined;

use async_trait::async_trait;
use base64::Engine as _;
use confined::{Encoding, ListRequest, RelPath, Root, WriteMode};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use weft_node_api::{
    Item, LogLevel, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity,
    ResolvedPorts, StepContext, StepResult,
};
use weft_nodes::common::{cancelled, main_in_main_out, node_info, object_schema, with_keyword};

pub use confined::MAX_LIST_DEPTH;

/// The environment variable the CLI reads to configure the files root.
pub const FILES_ROOT_ENV: &str = "WEFT_FILES_ROOT";
/// Default `maxBytes` of `read`: 10 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Largest `maxBytes` accepted: 1 GiB (the content travels inside a JSON item).
pub const MAX_MAX_BYTES: u64 = 1024 * 1024 * 1024;
/// Default `maxEntries` of `list`.
pub const DEFAULT_MAX_ENTRIES: usize = 1000;
/// Largest `maxEntries` accepted.
pub const MAX_MAX_ENTRIES: usize = 100_000;

/// `fs.file@1`: one file operation per input item (once with `$json = {}` when there is none),
/// confined to the files root. Without a root every step fails with `fs.no_root`.
#[derive(Debug)]
pub struct FileNode {
    configured: Option<PathBuf>,
    root: OnceLock<Root>,
}

impl FileNode {
    /// A node over this root (`None`: not configured). The root is canonicalized once, on first
    /// use, so a directory created after start-up still works.
    pub fn new(files_root: Option<PathBuf>) -> Self {
        FileNode {
            configured: files_root,
            root: OnceLock::new(),
        }
    }

    fn root(&self) -> Result<&Root, NodeError> {
        let Some(configured) = &self.configured else {
            return Err(NodeError::permanent(
                "fs.no_root",
                format!(
                    "the FileSystem node has no files root: set the environment variable {FILES_ROOT_ENV} \
                     to a directory (every path is then relative to it) and restart weft"
                ),
            ));
        };
        if let Some(root) = self.root.get() {
            return Ok(root);
        }
        let root = Root::open(configured)
            .map_err(|message| NodeError::permanent("fs.root_unavailable", message))?;
        Ok(self.root.get_or_init(|| root))
    }

    /// The canonical files root, once it could be opened.
    pub fn files_root(&self) -> Option<&Path> {
        self.root.get().map(Root::path)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Operation {
    Read,
    Write,
    List,
    Delete,
    Stat,
    Exists,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
enum EncodingParam {
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "base64")]
    Base64,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
enum ModeParam {
    Create,
    #[default]
    Overwrite,
    Append,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileParams {
    operation: Operation,
    path: String,
    #[serde(default)]
    encoding: EncodingParam,
    #[serde(default = "default_max_bytes")]
    max_bytes: u64,
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    mode: ModeParam,
    #[serde(default)]
    create_parents: bool,
    #[serde(default = "yes")]
    atomic: bool,
    #[serde(default)]
    glob: Option<String>,
    #[serde(default)]
    recursive: bool,
    #[serde(default = "default_max_entries")]
    max_entries: usize,
    #[serde(default)]
    ignore_missing: bool,
}

fn default_max_bytes() -> u64 {
    DEFAULT_MAX_BYTES
}
fn default_max_entries() -> usize {
    DEFAULT_MAX_ENTRIES
}
fn yes() -> bool {
    true
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let read = json!({ "operation": "read", "path": "reports/{{ $json.name }}.csv", "maxBytes": 1048576 });
        let write = json!({
            "operation": "write",
            "path": "out/summary.txt",
            "content": "{{ $json.summary }}",
            "mode": "overwrite",
            "createParents": true,
        });
        let list = json!({ "operation": "list", "path": "inbox", "glob": "**/*.json", "recursive": true, "maxEntries": 500 });
        let delete = json!({ "operation": "delete", "path": "tmp/old", "recursive": true, "ignoreMissing": true });
        let binary = json!({ "operation": "read", "path": "images/logo.png", "encoding": "base64" });
        let stat = json!({ "operation": "exists", "path": "flags/ready" });
        let schema = object_schema(
            "fs.file params",
            json!({
                "operation": {
                    "type": "string",
                    "enum": ["read", "write", "list", "delete", "stat", "exists"],
                    "description": "read: a file's content; write: create, overwrite or append to a file; list: a directory's entries; delete: a file (or a directory with recursive); stat: size, type and modification time (exists: false when missing); exists: only whether the path exists.",
                },
                "path": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Path relative to the files root (WEFT_FILES_ROOT), e.g. \"reports/q1.csv\"; \".\" is the root itself. Absolute paths, `..` components, NUL bytes and symbolic links are refused. May be an expression.",
                },
                "encoding": {
                    "type": "string",
                    "enum": ["utf-8", "base64"],
                    "default": "utf-8",
                    "description": "How `content` is carried: utf-8 text, or base64 for binary files. read fails with fs.not_utf8 on a file that is not UTF-8 text.",
                },
                "maxBytes": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_MAX_BYTES,
                    "default": DEFAULT_MAX_BYTES,
                    "description": "read: largest file read, in bytes (default 10 MiB); a larger file fails the step with fs.too_large.",
                },
                "content": {
                    "description": "write: what to write. A string is written as is (decoded first when encoding is base64); any other JSON value is written as its JSON text.",
                },
                "mode": {
                    "type": "string",
                    "enum": ["create", "overwrite", "append"],
                    "default": "overwrite",
                    "description": "write: create fails with fs.exists when the file exists; overwrite replaces it; append adds to its end (creating it when missing).",
                },
                "createParents": {
                    "type": "boolean",
                    "default": false,
                    "description": "write: create missing parent directories.",
                },
                "atomic": {
                    "type": "boolean",
                    "default": true,
                    "description": "write with create/overwrite: write a temporary file in the same directory and rename it into place, so readers never see a half-written file. append always writes in place.",
                },
                "glob": {
                    "type": "string",
                    "minLength": 1,
                    "description": "list: keep entries whose path relative to the listed directory matches this glob; `*` stays within one directory, `**` crosses them (\"*.csv\", \"**/*.json\").",
                },
                "recursive": {
                    "type": "boolean",
                    "default": false,
                    "description": "list: descend into subdirectories (never through symbolic links). delete: required to delete a directory and everything in it.",
                },
                "maxEntries": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_MAX_ENTRIES,
                    "default": DEFAULT_MAX_ENTRIES,
                    "description": "list: most entries returned; the walk stops there and a warning goes to the step log.",
                },
                "ignoreMissing": {
                    "type": "boolean",
                    "default": false,
                    "description": "delete: succeed with deleted: false when the path does not exist.",
                },
            }),
            &["operation", "path"],
            vec![read, write.clone(), list, delete, binary, stat],
        );
        let schema = with_keyword(
            schema,
            "allOf",
            json!([{
                "if": { "properties": { "operation": { "const": "write" } }, "required": ["operation"] },
                "then": { "required": ["content"] },
            }]),
        );
        node_info(
            "fs.file",
            "FileSystem Agent",
            "Integration",
            &format!(
                "Reads, writes (atomically), lists, deletes and inspects files under the files root \
                 configured with WEFT_FILES_ROOT; every path is relative to it and nothing outside \
                 can be reached: absolute paths, `..` and symbolic links are refused \
                 (fs.outside_root, or fs.symlink for a link that stays inside). One operation per \
                 input item. Outputs: read {{path, encoding, content, size, modified}}; write \
                 {{path, mode, bytesWritten, size}}; list one item per entry {{name, path, size, \
                 modified, isDir, isSymlink}}; delete {{path, deleted, kind}}; stat {{path, exists, \
                 isDir, isFile, size, modified}}; exists {{path, exists}}. Example params: {write}"
            ),
            Purity::Effectful,
            schema,
        )
    })
}

/// The bytes to write: strings as text (or decoded base64), other values as JSON text.
fn content_bytes(content: Option<Value>, encoding: EncodingParam) -> Result<Vec<u8>, NodeError> {
    let Some(content) = content else {
        return Err(NodeError::invalid_params(
            "/params/content",
            "is required when operation is \"write\"",
        ));
    };
    match (content, encoding) {
        (Value::String(s), EncodingParam::Utf8) => Ok(s.into_bytes()),
        (Value::String(s), EncodingParam::Base64) => base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|e| {
                NodeError::invalid_params("/params/content", format!("is not base64: {e}"))
            }),
        (Value::Null, _) => Err(NodeError::invalid_params(
            "/params/content",
            "is null; write an empty string to create an empty file",
        )),
        (other, EncodingParam::Utf8) => Ok(other.to_string().into_bytes()),
        (_, EncodingParam::Base64) => Err(NodeError::invalid_params(
            "/params/content",
            "must be a base64 string when encoding is \"base64\"",
        )),
    }
}

fn glob_matcher(glob: &str) -> Result<globset::GlobMatcher, NodeError> {
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| NodeError::invalid_params("/params/glob", format!("is not a valid glob: {e}")))
}

/// Runs blocking file work on the blocking pool; gives up waiting when the step is cancelled
/// (the work itself finishes in the background: a rename is never left half done).
async fn blocking<T: Send + 'static>(
    ctx: &StepContext,
    work: impl FnOnce() -> Result<T, NodeError> + Send + 'static,
) -> Result<T, NodeError> {
    let task = tokio::task::spawn_blocking(work);
    tokio::select! {
        joined = task => joined.map_err(|e| NodeError::permanent("fs.io", format!("the file operation failed: {e}")))?,
        () = ctx.cancel.cancelled() => Err(cancelled()),
    }
}

impl FileNode {
    async fn one(
        &self,
        ctx: &StepContext,
        root: &Root,
        p: FileParams,
        out: &mut Vec<Item>,
    ) -> Result<(), NodeError> {
        let rel = RelPath::parse(&p.path)?;
        let root = root.clone();
        match p.operation {
            Operation::Read => {
                if p.max_bytes > MAX_MAX_BYTES {
                    return Err(NodeError::invalid_params(
                        "/params/maxBytes",
                        format!("must be at most {MAX_MAX_BYTES}"),
                    ));
                }
                let encoding = match p.encoding {
                    EncodingParam::Utf8 => Encoding::Utf8,
                    EncodingParam::Base64 => Encoding::Base64,
                };
                out.push(blocking(ctx, move || root.read(&rel, encoding, p.max_bytes)).await?);
            }
            Operation::Write => {
                let bytes = content_bytes(p.content, p.encoding)?;
                let mode = match p.mode {
                    ModeParam::Create => WriteMode::Create,
                    ModeParam::Overwrite => WriteMode::Overwrite,
                    ModeParam::Append => WriteMode::Append,
                };
                let (parents, atomic) = (p.create_parents, p.atomic);
                out.push(
                    blocking(ctx, move || root.write(&rel, &bytes, mode, parents, atomic)).await?,
                );
            }
            Operation::List => {
                if p.max_entries == 0 || p.max_entries > MAX_MAX_ENTRIES {
                    return Err(NodeError::invalid_params(
                        "/params/maxEntries",
                        format!("must be between 1 and {MAX_MAX_ENTRIES}"),
                    ));
                }
                let glob = p.glob.as_deref().map(glob_matcher).transpose()?;
                let cancel = ctx.cancel.clone();
                let (recursive, max_entries) = (p.recursive, p.max_entries);
                let listing = blocking(ctx, move || {
                    root.list(&ListRequest {
                        path: &rel,
                        glob: glob.as_ref(),
                        recursive,
                        max_entries,
                        cancel: &cancel,
                    })
                })
                .await?;
                if listing.truncated {
                    ctx.log(
                        LogLevel::Warn,
                        format!(
                            "list {:?}: stopped at maxEntries = {max_entries}; more entries exist",
                            p.path
                        ),
                    );
                }
                if listing.too_deep > 0 {
                    ctx.log(
                        LogLevel::Warn,
                        format!(
                            "list {:?}: {} directories deeper than {MAX_LIST_DEPTH} levels were not entered",
                            p.path, listing.too_deep
                        ),
                    );
                }
                out.extend(listing.entries);
            }
            Operation::Delete => {
                let (recursive, missing_ok) = (p.recursive, p.ignore_missing);
                out.push(blocking(ctx, move || root.delete(&rel, recursive, missing_ok)).await?);
            }
            Operation::Stat => out.push(blocking(ctx, move || root.stat(&rel)).await?),
            Operation::Exists => {
                let mut st = blocking(ctx, move || root.stat(&rel)).await?;
                if let Value::Object(m) = &mut st {
                    m.retain(|k, _| k == "path" || k == "exists");
                }
                out.push(st);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl NodeType for FileNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let root = self.root()?;
        let items = input.main_items();
        let count = items.len().max(1);
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            if ctx.cancel.is_cancelled() {
                return Err(cancelled());
            }
            let p: FileParams = ctx.params_for(items, i)?;
            self.one(ctx, root, p, &mut out).await?;
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}

/// The node over a configured root, ready to register.
pub(crate) fn node(config: Option<PathBuf>) -> Arc<FileNode> {
    Arc::new(FileNode::new(config))
}
