//! Benchmark workloads from DESIGN.md, run against the real engine on embedded SQLite:
//! W2 forty-sequential (40 steps x + 1) and W3 fanout-100 (100 parallel x * x, then a sum).

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft_engine::{Engine, EngineConfig, StartOptions};
use weft_model::Workflow;
use weft_store_api::{RunStatus, Store, TenantScope};

/// Which workload.
#[derive(Clone, Copy, ValueEnum)]
pub enum Workload {
    /// 40 sequential steps, each x + 1.
    W2,
    /// 100 parallel steps x * x joined by a sum.
    W3,
}

/// `weft bench` arguments.
#[derive(Args)]
pub struct BenchArgs {
    /// The workload.
    workload: Workload,
    /// Measured runs.
    #[arg(long, default_value_t = 300)]
    iterations: usize,
    /// Unmeasured runs first.
    #[arg(long, default_value_t = 30)]
    warmup: usize,
    /// Database directory (default: a fresh temporary directory).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Print results as JSON.
    #[arg(long)]
    json: bool,
}

/// The W2 document: 40 chained set nodes, each adding one to `x`.
pub fn w2() -> Result<Workflow> {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for i in 0..40 {
        nodes.push(json!({"id": format!("s{i}"), "type": "core.set@1", "params": {"fields": {"x": "{{ $json.x + 1 }}"}}}));
        if i > 0 {
            edges.push(
                json!({"from": {"node": format!("s{}", i - 1)}, "to": {"node": format!("s{i}")}}),
            );
        }
    }
    Ok(serde_json::from_value(
        json!({"apiVersion": "weft/v1", "name": "W2 forty-sequential", "nodes": nodes, "edges": edges}),
    )?)
}

/// The W3 document: one entry, 100 parallel squares, one sum.
pub fn w3() -> Result<Workflow> {
    let mut nodes = vec![json!({"id": "start", "type": "core.noop@1"})];
    let mut edges = Vec::new();
    for i in 0..100 {
        let id = format!("sq{i}");
        nodes.push(json!({"id": id, "type": "core.set@1", "params": {"mode": "replace", "fields": {"y": format!("{{{{ ($json.x + {i}) * ($json.x + {i}) }}}}")}}}));
        edges.push(json!({"from": {"node": "start"}, "to": {"node": id}}));
        edges.push(json!({"from": {"node": id}, "to": {"node": "sum"}}));
    }
    nodes.push(json!({"id": "sum", "type": "core.aggregate@1", "params": {"fields": {"sum": "{{ $input.all().reduce((a, i) => a + i.json.y, 0) }}"}}}));
    Ok(serde_json::from_value(json!({
        "apiVersion": "weft/v1", "name": "W3 fanout-100",
        "settings": {"concurrency": 128},
        "nodes": nodes, "edges": edges
    }))?)
}

fn expected(workload: Workload, x: i64) -> Value {
    match workload {
        Workload::W2 => json!([{"x": x + 40}]),
        Workload::W3 => json!([{"sum": (0..100).map(|i| (x + i) * (x + i)).sum::<i64>()}]),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Runs a workload and prints median, p90, p99 and per-step overhead.
pub async fn run(args: BenchArgs) -> Result<ExitCode> {
    let tmp;
    let dir = match &args.data_dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile_dir()?;
            tmp.clone()
        }
    };
    let store: Arc<dyn Store> = weft_store::SqliteStore::open(&dir)?;
    let mut registry = weft_node_api::NodeRegistry::new();
    weft_nodes::register_builtins(&mut registry);
    let engine = Engine::new(store, Arc::new(registry), EngineConfig::default()).await?;
    let scope = TenantScope::default_org();
    let (workflow, steps) = match args.workload {
        Workload::W2 => (w2()?, 40),
        Workload::W3 => (w3()?, 102),
    };
    let version = engine.register_workflow(&scope, &workflow).await?;
    let mut samples = Vec::with_capacity(args.iterations);
    for i in 0..args.warmup + args.iterations {
        let x = (i % 1000) as i64;
        let t0 = Instant::now();
        let run = engine
            .start_run(&scope, &version, json!([{"x": x}]), StartOptions::default())
            .await?;
        let done = engine.wait_for(&scope, run.id).await?;
        let elapsed = t0.elapsed();
        if done.status != RunStatus::Succeeded
            || done.output.as_ref() != Some(&expected(args.workload, x))
        {
            bail!(
                "run {} ended {} with output {:?}, error {:?}",
                done.id,
                done.status,
                done.output,
                done.error
            );
        }
        if i >= args.warmup {
            samples.push(elapsed);
        }
    }
    engine.shutdown().await;
    drop(engine);
    samples.sort();
    let median = percentile(&samples, 0.5);
    let p90 = percentile(&samples, 0.9);
    let p99 = percentile(&samples, 0.99);
    let mean = samples.iter().sum::<Duration>() / samples.len().max(1) as u32;
    let per_step = median / steps;
    if args.json {
        println!(
            "{}",
            json!({
                "workload": match args.workload { Workload::W2 => "W2", Workload::W3 => "W3" },
                "iterations": samples.len(), "steps": steps,
                "medianMs": ms(median), "p90Ms": ms(p90), "p99Ms": ms(p99), "meanMs": ms(mean),
                "perStepUs": per_step.as_secs_f64() * 1e6,
            })
        );
    } else {
        println!(
            "{}: {} runs of {steps} steps, trigger → done (durable, SQLite WAL)\n  median {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  mean {:.3} ms\n  per-step overhead (median / steps): {:.1} µs",
            match args.workload {
                Workload::W2 => "W2 forty-sequential",
                Workload::W3 => "W3 fanout-100",
            },
            samples.len(),
            ms(median),
            ms(p90),
            ms(p99),
            ms(mean),
            per_step.as_secs_f64() * 1e6
        );
    }
    if args.data_dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(ExitCode::SUCCESS)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("weft-bench-{}", uuid_like()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}
