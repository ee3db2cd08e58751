//! `weft nodes`: the node catalog, the same data the API and the editor serve.

use anyhow::{Result, bail};
use clap::Subcommand;
use serde_json::Value;
use std::process::ExitCode;
use weft_model::{NodeCatalog, NodeTypeInfo, NodeTypeRef};
use weft_node_api::NodeRegistry;

/// What `weft nodes` prints.
#[derive(Subcommand, Debug)]
pub enum NodesCommand {
    /// One line per node type: type, category, purity, name (the default).
    List {
        /// The full catalog (with params schemas and default ports) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// One node type in full: its doc text with an example, ports and params schema.
    Show {
        /// `name@version`, or `name` for its newest version (e.g. `http.request`).
        #[arg(value_name = "TYPE")]
        type_name: String,
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The catalog entry of a type with the ports it has with default params.
fn entry(registry: &NodeRegistry, info: &NodeTypeInfo) -> Value {
    registry.catalog_entry(info)
}

/// Runs a `weft nodes` command (`None` is `list`).
pub fn run(registry: &NodeRegistry, command: Option<NodesCommand>, json: bool) -> Result<ExitCode> {
    match command.unwrap_or(NodesCommand::List { json }) {
        NodesCommand::List { json: list_json } => {
            if json || list_json {
                let all: Vec<Value> = registry
                    .all()
                    .into_iter()
                    .map(|i| entry(registry, i))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&all)?);
                return Ok(ExitCode::SUCCESS);
            }
            for info in registry.all() {
                println!(
                    "{:<24} {:<12} {:<10} {}",
                    info.type_ref.to_string(),
                    info.category,
                    format!("{:?}", info.purity).to_lowercase(),
                    info.display_name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        NodesCommand::Show {
            type_name,
            json: show_json,
        } => {
            let info = find(registry, &type_name)?;
            let entry = entry(registry, info);
            if json || show_json {
                println!("{}", serde_json::to_string_pretty(&entry)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("{} — {}", info.type_ref, info.display_name);
            println!(
                "category: {}   {}",
                info.category,
                format!("{:?}", info.purity).to_lowercase()
            );
            println!();
            println!("{}", info.description.trim_end());
            if let Ok(ports) = registry.ports(&info.type_ref, &Default::default()) {
                println!();
                println!("ports (with default params):");
                for p in &ports.inputs {
                    let required = if p.required { ", required" } else { "" };
                    println!("  in   {:<12} {}{required}", p.name, p.port_type);
                }
                for p in &ports.outputs {
                    println!("  out  {:<12} {}", p.name, p.port_type);
                }
                println!("  out  {:<12} error (when an edge leaves it)", "error");
            }
            println!();
            println!("params schema:");
            println!("{}", serde_json::to_string_pretty(&info.params_schema)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Looks a type up by `name@version` or by `name` (newest version).
fn find<'r>(registry: &'r NodeRegistry, wanted: &str) -> Result<&'r NodeTypeInfo> {
    let type_ref = if wanted.contains('@') {
        match wanted.parse::<NodeTypeRef>() {
            Ok(t) => Some(t),
            Err(e) => bail!("{wanted:?} is not a node type: {e}"),
        }
    } else {
        registry
            .versions(wanted)
            .last()
            .map(|&version| NodeTypeRef {
                name: wanted.to_string(),
                version,
            })
    };
    if let Some(info) = type_ref.as_ref().and_then(|t| registry.info(t)) {
        return Ok(info);
    }
    let name = wanted.split('@').next().unwrap_or(wanted);
    let versions = registry.versions(name);
    if !versions.is_empty() {
        let list: Vec<String> = versions.iter().map(|v| format!("{name}@{v}")).collect();
        bail!("there is no {wanted}; this build has {}", list.join(", "));
    }
    let close: Vec<String> = registry
        .all()
        .into_iter()
        .map(|i| i.type_ref.name.clone())
        .filter(|n| {
            n.contains(name)
                || name.contains(n.as_str())
                || n.ends_with(name.rsplit('.').next().unwrap_or(name))
        })
        .collect();
    if close.is_empty() {
        bail!("unknown node type {wanted:?}; `weft nodes list` shows them all")
    }
    bail!(
        "unknown node type {wanted:?} (did you mean {}?)",
        close.join(", ")
    )
}
