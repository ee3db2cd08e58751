//! `weft serve` (API + scheduler + workers), `weft worker` (workers only) and
//! `weft admin login-link`.

use crate::{DataDir, credentials, registry};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use weft_engine::{Engine, EngineConfig, WorkerMode};
use weft_server::{AppState, Leadership, ServerConfig};
use weft_store_api::control::{ControlPlane, Role};
use weft_store_api::{Store, TenantScope};

/// Where the data lives.
#[derive(Args, Clone)]
pub struct DatabaseArgs {
    /// `postgres://user@host/db` to share the work with other processes; by default the
    /// embedded SQLite database in the data directory.
    #[arg(long, env = "WEFT_DATABASE")]
    pub database: Option<String>,
    #[command(flatten)]
    pub data: DataDir,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on. The default only accepts connections from this machine.
    #[arg(long, env = "WEFT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The URL people and webhooks reach this server at (default: http://<listen>).
    #[arg(long, env = "WEFT_PUBLIC_URL")]
    public_url: Option<String>,
    /// How long running steps may take to finish when stopping.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    shutdown_grace: Duration,
    /// Do not drive runs in this process (API and scheduler only).
    #[arg(long)]
    no_workers: bool,
    #[command(flatten)]
    db: DatabaseArgs,
}

#[derive(Args)]
pub struct WorkerArgs {
    /// Serve `/healthz`, `/readyz` and Prometheus `/metrics` on this address (off by default:
    /// several workers may share a machine).
    #[arg(long, env = "WEFT_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// How long running steps may take to finish when stopping.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    shutdown_grace: Duration,
    #[command(flatten)]
    db: DatabaseArgs,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Print a new one-time sign-in link for the first admin (or the user with --email).
    LoginLink {
        /// The user's email.
        #[arg(long)]
        email: Option<String>,
        /// The server's public URL.
        #[arg(long, env = "WEFT_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// An opened backend: the engine-facing store, the control plane, and leadership.
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub control: Arc<dyn ControlPlane>,
    pub leadership: Option<Arc<dyn Leadership>>,
}

/// Scheduler leadership among processes sharing one SQLite data directory: a lock file the
/// kernel releases when the holder dies.
struct FileLeadership(std::path::PathBuf);

#[async_trait::async_trait]
impl Leadership for FileLeadership {
    async fn try_acquire(&self, name: &str) -> Option<Box<dyn Send + Sync>> {
        let path = self.0.join(format!("{name}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .ok()?;
        match file.try_lock() {
            Ok(()) => Some(Box::new(file)),
            Err(_) => None,
        }
    }
}

pub async fn open_backend(db: &DatabaseArgs) -> Result<Backend> {
    match db.database.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            open_postgres(url).await
        }
        Some(other) if !other.is_empty() => bail!(
            "--database {other:?} is not a postgres:// URL; leave it out to use the embedded SQLite database in the data directory"
        ),
        _ => {
            let dir = db.data.path();
            let store = tokio::task::spawn_blocking(move || weft_store::SqliteStore::open(&dir))
                .await?
                .with_context(|| {
                    format!("cannot open the database in {}", db.data.path().display())
                })?;
            Ok(Backend {
                control: store.clone(),
                leadership: Some(Arc::new(FileLeadership(db.data.path()))),
                store,
            })
        }
    }
}

async fn open_postgres(url: &str) -> Result<Backend> {
    let mut options = weft_store_pg::PgOptions::default();
    // How long a dead process's runs wait before another may claim them.
    if let Ok(lease) = std::env::var("WEFT_PG_LEASE") {
        let lease = humantime::parse_duration(&lease)
            .with_context(|| format!("WEFT_PG_LEASE={lease:?} is not a duration like 15s"))?;
        options.lease = lease;
        options.heartbeat = lease / 3;
    }
    let store = weft_store_pg::PgStore::connect(url, options)
        .await
        .with_context(|| format!("cannot open the PostgreSQL database {}", redact_url(url)))?;
    Ok(Backend {
        control: store.clone(),
        leadership: Some(Arc::new(PgLeadership(store.clone()))),
        store,
    })
}

/// Leadership between replicas sharing one PostgreSQL database: a session advisory lock.
struct PgLeadership(Arc<weft_store_pg::PgStore>);

#[async_trait::async_trait]
impl Leadership for PgLeadership {
    async fn try_acquire(&self, name: &str) -> Option<Box<dyn Send + Sync>> {
        match self.0.try_acquire_leader(name).await {
            Ok(Some(guard)) => Some(Box::new(guard)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, name, "could not try to become the leader");
                None
            }
        }
    }
}

/// A database URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

fn env_allowlist() -> Arc<Vec<String>> {
    Arc::new(
        std::env::var("WEFT_ENV_ALLOWLIST")
            .unwrap_or_default()
            .split(',')
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect(),
    )
}

async fn engine(
    backend: &Backend,
    data_dir: &Path,
    drive: bool,
) -> Result<(Engine, Arc<weft_secrets::Vault>)> {
    let vault = credentials::load_vault(data_dir)?;
    let engine = Engine::new(
        backend.store.clone(),
        registry(),
        EngineConfig {
            vault: Some(vault.clone()),
            env_allowlist: env_allowlist(),
            drive_started_runs: drive,
            ..EngineConfig::default()
        },
    )
    .await?;
    Ok((engine, vault))
}

async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

pub async fn serve(args: ServeArgs) -> Result<ExitCode> {
    let backend = open_backend(&args.db).await?;
    let data_dir = args.db.data.path();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let (engine, vault) = engine(&backend, &data_dir, !args.no_workers).await?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.listen));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    if let Some(b) = weft_server::bootstrap(backend.control.as_ref(), &public_url).await? {
        // One write, and no panic if nobody reads stdout any more: the server must go on.
        let text = format!(
            "Weft is set up: organization {:?} with admin {}.\n\n  \
             API key (shown once, keep it safe): {}\n  \
             Sign in (one use, 24 hours):       {}\n\n\
             A new sign-in link: weft admin login-link\n",
            b.org.name, b.admin.email, b.api_key, b.login_url
        );
        let mut out = std::io::stdout().lock();
        let _ = std::io::Write::write_all(&mut out, text.as_bytes());
        let _ = std::io::Write::flush(&mut out);
    }
    let mut state = AppState::new(
        engine,
        backend.control.clone(),
        Some(vault),
        ServerConfig {
            public_url: public_url.clone(),
            shutdown_grace: args.shutdown_grace,
            workers: !args.no_workers,
            scheduler: true,
            ..ServerConfig::default()
        },
    );
    state.leadership = backend.leadership.clone();
    eprintln!("weft is listening on {public_url} (API docs: {public_url}/api/docs)");
    weft_server::serve(state, listener, stop_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn worker(args: WorkerArgs) -> Result<ExitCode> {
    let backend = open_backend(&args.db).await?;
    let data_dir = args.db.data.path();
    let (engine, _vault) = engine(&backend, &data_dir, true).await?;
    // Runs this worker finishes start their run-completed listeners here.
    engine.on_run_completed(Arc::new(
        weft_server::run_completed::RunCompletedTriggers::new(
            backend.control.clone(),
            Arc::default(),
            None,
        ),
    ));
    let shutdown = tokio_util::sync::CancellationToken::new();
    let ops_task = match args.metrics_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening for metrics on {addr}"))?;
            let ops = weft_server::health::Ops {
                engine: engine.clone(),
                store: backend.store.clone(),
                metrics: Arc::new(weft_server::metrics::Metrics::new()),
                shutdown: shutdown.clone(),
            };
            eprintln!(
                "weft worker metrics on http://{}/metrics",
                listener.local_addr()?
            );
            Some(tokio::spawn(weft_server::health::serve_operations(
                ops, listener,
            )))
        }
        None => None,
    };
    // `weft serve` streams the events of the runs this worker drives.
    let relay_task = backend
        .store
        .event_relay()
        .map(|relay| tokio::spawn(weft_server::events::relay_out(engine.clone(), relay)));
    tracing::info!("weft worker started");
    let worker = engine.clone();
    let loop_task = tokio::spawn(async move { worker.run_worker(WorkerMode::Forever).await });
    stop_signal().await;
    // Not ready from now on; metrics stay up while the in-flight steps finish.
    shutdown.cancel();
    tracing::info!(
        "stopping: no new work, running steps get {:?}",
        args.shutdown_grace
    );
    if !engine.drain(args.shutdown_grace).await {
        tracing::warn!("steps still running after the grace period; their runs resume elsewhere");
    }
    loop_task.abort();
    if let Some(task) = ops_task {
        task.abort();
    }
    if let Some(task) = relay_task {
        task.abort();
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn admin(command: AdminCommand) -> Result<ExitCode> {
    match command {
        AdminCommand::LoginLink {
            email,
            public_url,
            db,
        } => {
            let backend = open_backend(&db).await?;
            let Some(link) =
                admin_link(backend.control.as_ref(), email.as_deref(), &public_url).await?
            else {
                bail!("no such user; `weft serve` creates the first admin on its first start");
            };
            println!("{link}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn admin_link(
    control: &dyn ControlPlane,
    email: Option<&str>,
    public_url: &str,
) -> Result<Option<String>> {
    // The bootstrap organization is the oldest; its users are listed by email.
    let Some(user) = control.find_user_by_email(email).await? else {
        return Ok(None);
    };
    if email.is_none() && user.role != Role::Admin {
        return Ok(None);
    }
    let scope = TenantScope::org(user.org_id.clone());
    Ok(Some(
        weft_server::login_link(control, &scope, &user, public_url).await?,
    ))
}
