//! `weft`: run, validate and inspect durable workflows on an embedded database.

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod bench;
mod credentials;
mod load;
mod nodes;
mod progress;
mod serve;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand};
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use weft_engine::{Engine, EngineConfig, StartOptions, WorkerMode};
use weft_model::{Severity, validate};
use weft_node_api::NodeRegistry;
use weft_store_api::{ControlRequest, RunFilter, RunId, RunStatus, Store, TenantScope};

/// Exit codes: what a script can rely on.
mod exit {
    pub const FAILED: u8 = 1;
    pub const INVALID: u8 = 2;
    pub const CANCELLED: u8 = 3;
    pub const INTERNAL: u8 = 70;
}

#[derive(Parser)]
#[command(
    name = "weft",
    version,
    about = "Durable workflow automation and AI-agent orchestration"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub(crate) struct DataDir {
    /// Where the embedded database lives.
    #[arg(long, env = "WEFT_DATA_DIR", global = true)]
    pub(crate) data_dir: Option<PathBuf>,
}

impl DataDir {
    pub(crate) fn path(&self) -> PathBuf {
        if let Some(d) = &self.data_dir {
            return d.clone();
        }
        match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".weft"),
            None => PathBuf::from(".weft"),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run a workflow file and print its output.
    Run(RunArgs),
    /// Check workflow files and print every problem found.
    Validate {
        /// Files to check (JSON or YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print diagnostics as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Inspect and control stored runs.
    Runs {
        #[command(subcommand)]
        command: RunsCommand,
        #[command(flatten)]
        data: DataDir,
    },
    /// Drive every unfinished run in the data directory to completion (including runs left by
    /// a crashed process, and timers).
    Resume {
        #[command(flatten)]
        data: DataDir,
        /// Keep running and pick up new runs until interrupted.
        #[arg(long)]
        watch: bool,
    },
    /// The node types this build knows: `weft nodes list`, `weft nodes show TYPE`.
    Nodes {
        #[command(subcommand)]
        command: Option<nodes::NodesCommand>,
        /// Print the full catalog (with params schemas) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of the weft/v1 document format.
    Schema,
    /// Show the next fire times of a workflow's cron triggers (in their time zones).
    Schedule {
        /// The workflow file.
        file: PathBuf,
        /// How many fire times per trigger.
        #[arg(long, default_value_t = 5)]
        count: usize,
    },
    /// Store, list and delete encrypted credentials.
    Credentials {
        #[command(subcommand)]
        command: credentials::CredentialsCommand,
        #[command(flatten)]
        data: DataDir,
    },
    /// Run a benchmark workload (W2 forty-sequential, W3 fanout-100) and print timings.
    Bench(bench::BenchArgs),
    /// Run the server: the REST API, webhooks, the scheduler and workers, on
    /// http://127.0.0.1:8080 by default. The first start creates an organization and prints
    /// an API key and a sign-in link.
    Serve(serve::ServeArgs),
    /// Run workers only: drive runs from the shared database (PostgreSQL) with other processes.
    Worker(serve::WorkerArgs),
    /// Administration: recover access.
    Admin {
        #[command(subcommand)]
        command: serve::AdminCommand,
    },
}

#[derive(Args)]
struct RunArgs {
    /// The workflow file (JSON or YAML).
    file: PathBuf,
    /// Input: a JSON value, or @path to read it from a file. An array gives several items.
    #[arg(long, short)]
    input: Option<String>,
    /// Stream machine-readable events as JSON lines on stdout.
    #[arg(long)]
    json: bool,
    /// Print only the output.
    #[arg(long, short)]
    quiet: bool,
    /// Record the run and return its id without executing it (`weft resume` executes it).
    #[arg(long)]
    detach: bool,
    /// A second run with the same key returns the first run.
    #[arg(long)]
    idempotency_key: Option<String>,
    #[command(flatten)]
    data: DataDir,
}

#[derive(Subcommand)]
enum RunsCommand {
    /// List runs, newest first.
    List {
        /// Only runs with this status.
        #[arg(long)]
        status: Vec<String>,
        /// Only runs of this workflow name.
        #[arg(long)]
        workflow: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Continue after this cursor.
        #[arg(long)]
        cursor: Option<String>,
        /// Include child runs of sub-workflows and maps.
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one run with its steps.
    Show {
        /// Run id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Cancel a run.
    Cancel {
        /// Run id.
        id: String,
    },
    /// Pause a run: running steps finish, nothing new starts.
    Pause {
        /// Run id.
        id: String,
    },
    /// Resume a paused run.
    Resume {
        /// Run id.
        id: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Servers log at info, as JSON lines by default (WEFT_LOG_FORMAT=text for people);
    // one-shot commands log warnings as text.
    let server = matches!(cli.command, Command::Serve(_) | Command::Worker(_));
    let filter = tracing_subscriber::EnvFilter::try_from_env("WEFT_LOG")
        .unwrap_or_else(|_| if server { "info" } else { "warn" }.into());
    let json = server && std::env::var("WEFT_LOG_FORMAT").map_or(true, |f| f != "text");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder.init();
    }
    // `weft nodes list | head` must end quietly when the reader goes away, as Unix tools do,
    // instead of panicking on a failed print. Network writes never raise SIGPIPE (the
    // standard library sends with MSG_NOSIGNAL). A server keeps the default of ignoring it:
    // whoever reads its stdout going away must not kill it (its prints ignore the error).
    if !server {
        // SAFETY: called before any thread starts; restores the signal's default disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(exit::INTERNAL);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::INTERNAL)
        }
    }
}

pub(crate) fn registry() -> Arc<NodeRegistry> {
    let mut r = NodeRegistry::new();
    weft_nodes::register_builtins(&mut r);
    weft_nodes_data::register(&mut r);
    weft_nodes_items::register(&mut r);
    // The FileSystem Agent works inside WEFT_FILES_ROOT only; without it, it refuses to run.
    let files_root = std::env::var_os(weft_nodes_system::FILES_ROOT_ENV).map(PathBuf::from);
    weft_nodes_system::register(&mut r, &weft_nodes_system::SystemConfig { files_root });
    weft_nodes_db::register(&mut r);
    let models_root = std::env::var_os(weft_nodes_ml::MODELS_ROOT_ENV).map(PathBuf::from);
    weft_nodes_ml::register(&mut r, models_root);
    // A bad WEFT_LLM_MODE is reported when an AI node runs, not when weft starts.
    let mode = weft_nodes_ai::LlmMode::from_env().unwrap_or_else(|e| {
        eprintln!("warning: {e}; AI nodes call their endpoints live");
        weft_nodes_ai::LlmMode::Live
    });
    weft_nodes_ai::register(&mut r, mode.clone());
    weft_agents::register(&mut r, mode);
    Arc::new(r)
}

async fn open_engine(data: &DataDir) -> Result<Engine> {
    let dir = data.path();
    let store = weft_store::SqliteStore::open(&dir)
        .with_context(|| format!("cannot open the database in {}", dir.display()))?;
    let store: Arc<dyn Store> = store;
    // Expressions see only the environment variables named in WEFT_ENV_ALLOWLIST ($env).
    let allow: Vec<String> = std::env::var("WEFT_ENV_ALLOWLIST")
        .unwrap_or_default()
        .split(',')
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    let config = EngineConfig {
        vault: Some(credentials::load_vault(&dir)?),
        env_allowlist: Arc::new(allow),
        ..EngineConfig::default()
    };
    Ok(Engine::new(store, registry(), config).await?)
}

async fn open_store(data: &DataDir) -> Result<Arc<dyn Store>> {
    let dir = data.path();
    let store = weft_store::SqliteStore::open(&dir)
        .with_context(|| format!("cannot open the database in {}", dir.display()))?;
    Ok(store)
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run(args).await,
        Command::Validate { files, json } => Ok(validate_files(&files, json)),
        Command::Runs { command, data } => runs(command, &data).await,
        Command::Resume { data, watch } => resume(&data, watch).await,
        Command::Nodes { command, json } => nodes::run(&registry(), command, json),
        Command::Schema => {
            println!("{}", include_str!("../../../schemas/weft-v1.schema.json"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => bench::run(args).await,
        Command::Schedule { file, count } => schedule_preview(&file, count),
        Command::Serve(args) => serve::serve(args).await,
        Command::Worker(args) => serve::worker(args).await,
        Command::Admin { command } => serve::admin(command).await,
        Command::Credentials { command, data } => {
            credentials::run(command, open_store(&data).await?, &data.path()).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn schedule_preview(file: &std::path::Path, count: usize) -> Result<ExitCode> {
    let wf = load::load_workflow(file)?;
    let crons: Vec<_> = wf
        .triggers
        .iter()
        .filter(|t| t.kind == weft_model::TriggerKind::Cron)
        .collect();
    if crons.is_empty() {
        eprintln!("{}: no cron triggers", file.display());
        return Ok(ExitCode::SUCCESS);
    }
    let now = chrono::Utc::now();
    let mut failed = false;
    for t in crons {
        let expression = t
            .params
            .get("expression")
            .and_then(Value::as_str)
            .unwrap_or("");
        let zone = t
            .params
            .get("timezone")
            .and_then(Value::as_str)
            .unwrap_or("UTC");
        match weft_schedule::Schedule::parse(expression, zone) {
            Ok(s) => {
                println!("{} ({expression}, {zone}):", t.id);
                for at in s.upcoming(now, count) {
                    println!(
                        "  {}  ({})",
                        at.with_timezone(&s.time_zone())
                            .format("%Y-%m-%d %H:%M:%S %Z"),
                        at.format("%Y-%m-%dT%H:%M:%SZ")
                    );
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("{}: {e}", t.id);
            }
        }
    }
    Ok(if failed {
        ExitCode::from(exit::INVALID)
    } else {
        ExitCode::SUCCESS
    })
}

fn parse_input(input: Option<&str>) -> Result<Value> {
    let Some(raw) = input else {
        return Ok(Value::Array(Vec::new()));
    };
    let text = match raw.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read input file {path}"))?,
        None => raw.to_string(),
    };
    serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "--input is not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        )
    })
}

async fn run(args: RunArgs) -> Result<ExitCode> {
    let workflow = match load::load_workflow(&args.file) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(exit::INVALID));
        }
    };
    let input = match parse_input(args.input.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(exit::INVALID));
        }
    };
    let engine = open_engine(&args.data).await?;
    let scope = TenantScope::default_org();
    let version = match engine.register_workflow(&scope, &workflow).await {
        Ok(v) => v,
        Err(weft_engine::EngineError::InvalidWorkflow(inv)) => {
            for d in &inv.0 {
                eprintln!("{}: {d}", args.file.display());
            }
            return Ok(ExitCode::from(exit::INVALID));
        }
        Err(e) => return Err(e.into()),
    };
    let mut events = engine.subscribe();
    // Runs left unfinished by an earlier process continue alongside this one. A detached
    // start only enqueues: a worker loop here would claim the new run (its creation wakes the
    // loop) and start driving it in a process that is about to exit.
    let worker = (!args.detach).then(|| {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run_worker(WorkerMode::Forever).await })
    });
    let record = engine
        .start_run(
            &scope,
            &version,
            input,
            StartOptions {
                idempotency_key: args.idempotency_key.clone(),
                detach: args.detach,
                ..Default::default()
            },
        )
        .await?;
    if args.detach {
        println!("{}", record.id);
        engine.shutdown().await;
        return Ok(ExitCode::SUCCESS);
    }
    let mut progress = progress::Progress::new(args.json, args.quiet);
    progress.follow(record.id);
    let wait = engine.wait_for(&scope, record.id);
    tokio::pin!(wait);
    let ends_the_run = |ev: &weft_engine::RunEvent| {
        ev.run_id == record.id && matches!(ev.kind, weft_engine::RunEventKind::RunFinished { .. })
    };
    let (saw_any, saw_end) = (std::cell::Cell::new(false), std::cell::Cell::new(false));
    let show = |ev: &weft_engine::RunEvent, progress: &mut progress::Progress| {
        saw_any.set(saw_any.get() || ev.run_id == record.id);
        saw_end.set(saw_end.get() || ends_the_run(ev));
        progress.show(ev);
    };
    let finished = loop {
        tokio::select! {
            ev = events.recv() => {
                if let Ok(ev) = ev { show(&ev, &mut progress); }
            }
            r = &mut wait => break r?,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("interrupted: the run stays unfinished and continues at the next `weft run` or `weft resume`");
                engine.shutdown().await;
                return Ok(ExitCode::from(130));
            }
        }
    };
    while let Ok(ev) = events.try_recv() {
        show(&ev, &mut progress);
    }
    // The store can say "finished" a moment before the run's last events are sent (they follow
    // the commit): when this process drove the run, show them all, up to its end.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
    while saw_any.get() && !saw_end.get() {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(ev)) => show(&ev, &mut progress),
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(_)) | Err(_) => break,
        }
    }
    // Let runs resumed alongside this one finish their current work rather than stop mid-way.
    while engine.active_runs() > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    engine.shutdown().await;
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    if !args.json {
        match finished.status {
            RunStatus::Succeeded => println!(
                "{}",
                serde_json::to_string_pretty(finished.output.as_ref().unwrap_or(&Value::Null))?
            ),
            _ => {
                let err = finished.error.clone().unwrap_or(Value::Null);
                let msg = err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no error recorded");
                eprintln!("run {} {}: {msg}", finished.id, finished.status);
            }
        }
    }
    Ok(match finished.status {
        RunStatus::Succeeded => ExitCode::SUCCESS,
        RunStatus::Cancelled => ExitCode::from(exit::CANCELLED),
        _ => ExitCode::from(exit::FAILED),
    })
}

fn validate_files(files: &[PathBuf], json: bool) -> ExitCode {
    let reg = registry();
    let mut errors = 0usize;
    let mut report = Vec::new();
    for file in files {
        let diags = match load::load_workflow(file) {
            Ok(wf) => validate(&wf, &*reg),
            Err(e) => {
                errors += 1;
                if json {
                    report.push(serde_json::json!({"file": file, "error": format!("{e:#}")}));
                } else {
                    eprintln!("{}: error: {e:#}", file.display());
                }
                continue;
            }
        };
        errors += diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        if json {
            report.push(serde_json::json!({"file": file, "diagnostics": diags}));
        } else if diags.is_empty() {
            println!("{}: ok", file.display());
        } else {
            for d in &diags {
                println!("{}: {d}", file.display());
            }
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    }
    if errors > 0 {
        ExitCode::from(exit::INVALID)
    } else {
        ExitCode::SUCCESS
    }
}

fn parse_run_id(id: &str) -> Result<RunId> {
    id.parse()
        .map_err(|_| anyhow!("{id:?} is not a run id (expected a UUID such as 0193a5c4-…)"))
}

async fn runs(command: RunsCommand, data: &DataDir) -> Result<ExitCode> {
    let scope = TenantScope::default_org();
    match command {
        RunsCommand::List {
            status,
            workflow,
            limit,
            cursor,
            all,
            json,
        } => {
            let store = open_store(data).await?;
            let statuses = status
                .iter()
                .map(|s| s.parse::<RunStatus>().map_err(|e| anyhow!(e)))
                .collect::<Result<Vec<_>>>()?;
            let filter = RunFilter {
                statuses,
                workflow_name: workflow,
                top_level_only: !all,
                parent_run_id: None,
                ..RunFilter::default()
            };
            let page = store
                .list_runs(&scope, &filter, cursor.as_deref(), limit.clamp(1, 1000))
                .await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"runs": page.items, "nextCursor": page.next_cursor})
                    )?
                );
            } else {
                println!(
                    "{:<36}  {:<9}  {:<24}  {:<20}  DURATION",
                    "RUN", "STATUS", "WORKFLOW", "CREATED"
                );
                for r in &page.items {
                    let duration = match (r.started_at, r.finished_at) {
                        (Some(s), Some(f)) => format!("{} ms", (f - s).num_milliseconds()),
                        _ => "-".into(),
                    };
                    println!(
                        "{:<36}  {:<9}  {:<24}  {:<20}  {}",
                        r.id,
                        r.status,
                        truncate(&r.workflow_name, 24),
                        r.created_at.format("%Y-%m-%d %H:%M:%S"),
                        duration
                    );
                }
                if let Some(c) = page.next_cursor {
                    println!("more: weft runs list --cursor {c}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RunsCommand::Show { id, json } => {
            let store = open_store(data).await?;
            let run_id = parse_run_id(&id)?;
            let Some(details) = weft_engine::run_details(&*store, &scope, run_id).await? else {
                eprintln!("error: run {id} not found");
                return Ok(ExitCode::from(exit::INVALID));
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&details)?);
            } else {
                print_details(&details);
            }
            Ok(ExitCode::SUCCESS)
        }
        RunsCommand::Cancel { id } => control(data, &id, ControlRequest::Cancel).await,
        RunsCommand::Pause { id } => control(data, &id, ControlRequest::Pause).await,
        RunsCommand::Resume { id } => control(data, &id, ControlRequest::Resume).await,
    }
}

async fn control(data: &DataDir, id: &str, request: ControlRequest) -> Result<ExitCode> {
    let store = open_store(data).await?;
    let run_id = parse_run_id(id)?;
    if store
        .request_control(&TenantScope::default_org(), run_id, request)
        .await?
    {
        println!("{} requested for run {run_id}", request.as_str());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: run {id} is not found or already finished");
        Ok(ExitCode::from(exit::INVALID))
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn print_details(d: &weft_engine::RunDetails) {
    let r = &d.run;
    println!("run       {}", r.id);
    println!(
        "workflow  {} (version {})",
        r.workflow_name,
        &r.workflow_version_id[..r.workflow_version_id.len().min(12)]
    );
    println!("status    {}", r.status);
    println!("created   {}", r.created_at.to_rfc3339());
    if let (Some(s), Some(f)) = (r.started_at, r.finished_at) {
        println!("duration  {} ms", (f - s).num_milliseconds());
    }
    if let Some(p) = &r.parent {
        println!("parent    {} ({})", p.run_id, p.key);
    }
    println!("\nsteps:");
    for s in &d.steps {
        let dur = match (s.started_at, s.finished_at) {
            (Some(a), Some(b)) => format!("{} ms", (b - a).num_milliseconds()),
            _ => String::new(),
        };
        let attempts = if s.attempts > 1 {
            format!(" ({} attempts)", s.attempts)
        } else {
            String::new()
        };
        println!("  {:<24} {:<10} {dur}{attempts}", s.node, s.status);
        if let Some(e) = &s.error {
            println!("      error [{}] {}", e.code, e.message);
        }
        for l in &s.logs {
            println!("      log {:?}: {}", l.level, l.message);
        }
    }
    if let Some(out) = &r.output {
        println!(
            "\noutput:\n{}",
            serde_json::to_string_pretty(out).unwrap_or_default()
        );
    }
    if let Some(err) = &r.error {
        println!(
            "\nerror:\n{}",
            serde_json::to_string_pretty(err).unwrap_or_default()
        );
    }
}

async fn resume(data: &DataDir, watch: bool) -> Result<ExitCode> {
    let engine = open_engine(data).await?;
    let mode = if watch {
        WorkerMode::Forever
    } else {
        WorkerMode::UntilIdle
    };
    let worker = engine.run_worker(mode);
    tokio::pin!(worker);
    tokio::select! {
        r = &mut worker => r?,
        _ = tokio::signal::ctrl_c() => {}
    }
    engine.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
