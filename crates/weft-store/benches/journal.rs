//! Crude journal write benchmark: `cargo bench -p weft-store --bench journal`.
//!
//! Times runs of 40 single-entry write batches (the engine's shape: one write per step, only
//! the last commit awaited), sequentially and with several runs in flight, and the round trip
//! of a write whose commit is awaited every time.

use chrono::Utc;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft_store::SqliteStore;
use weft_store_api::{
    JournalEntry, NewRun, RunId, RunStatus, RunUpdate, Store, StoreResult, TenantScope, WriteBatch,
};

const RUNS: usize = 1000;
const STEPS: u64 = 40;

fn step_batch(run_id: RunId, seq: u64) -> WriteBatch {
    let update = match seq {
        1 => Some(RunUpdate {
            status: Some(RunStatus::Running),
            started_at: Some(Utc::now()),
            ..Default::default()
        }),
        STEPS => Some(RunUpdate {
            status: Some(RunStatus::Succeeded),
            output: Some(json!([{"ok": true}])),
            finished_at: Some(Utc::now()),
            release_owner: true,
            ..Default::default()
        }),
        _ => None,
    };
    let event = json!({
        "type": "step_completed",
        "step": format!("step_{seq}"),
        "attempt": 1,
        "output": [{"id": seq, "name": "an item of moderate size", "tags": ["a", "b", "c"], "score": 0.75}],
    });
    WriteBatch {
        run_id,
        entries: vec![JournalEntry {
            seq,
            at: Utc::now(),
            event: weft_store_api::encode_event(&event).expect("encode"),
        }],
        update,
    }
}

async fn create(store: &SqliteStore, scope: &TenantScope, version: &str) -> StoreResult<RunId> {
    let run = NewRun {
        id: RunId::new(),
        workflow_version_id: version.to_owned(),
        workflow_id: None,
        workflow_name: "bench".into(),
        input: json!([{"n": 1}]),
        parent: None,
        idempotency_key: None,
        deadline_at: None,
        created_at: Utc::now(),
    };
    Ok(store.create_run(scope, run).await?.0.id)
}

/// Writes one run's 40 batches, awaiting only the last commit; returns the time spent.
async fn journal_run(store: &SqliteStore, run_id: RunId) -> StoreResult<Duration> {
    let start = Instant::now();
    let mut last = None;
    for seq in 1..=STEPS {
        last = Some(store.write(step_batch(run_id, seq)));
    }
    if let Some(commit) = last {
        commit.wait().await?;
    }
    Ok(start.elapsed())
}

fn report(name: &str, runs: usize, elapsed: Duration, per_run: &mut [Duration]) {
    let batches = (runs as u64 * STEPS) as f64;
    per_run.sort();
    let pct = |p: f64| {
        per_run
            .get(((per_run.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{name}: {runs} runs x {STEPS} batches in {:.1} ms: {:.2} µs/batch, {:.0} batches/s; \
         per run p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / batches,
        batches / elapsed.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        pct(1.0).as_secs_f64() * 1e3,
    );
}

async fn bench() -> StoreResult<()> {
    let dir =
        tempfile::tempdir().map_err(|e| weft_store_api::StoreError::Database(e.to_string()))?;
    let store = SqliteStore::open(dir.path())?;
    let scope = TenantScope::default_org();
    let version = store
        .put_workflow_version(&scope, "bench", &json!({"name": "bench"}))
        .await?;

    // Warm-up.
    for _ in 0..50 {
        let id = create(&store, &scope, &version).await?;
        journal_run(&store, id).await?;
    }

    // 1. Sequential runs: create (awaited, not timed), then 40 writes, await the last.
    let mut per_run = Vec::with_capacity(RUNS);
    let mut total = Duration::ZERO;
    for _ in 0..RUNS {
        let id = create(&store, &scope, &version).await?;
        let d = journal_run(&store, id).await?;
        total += d;
        per_run.push(d);
    }
    report("sequential", RUNS, total, &mut per_run);

    // 2. Eight runs in flight at a time.
    let ids = {
        let mut ids = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            ids.push(create(&store, &scope, &version).await?);
        }
        ids
    };
    let start = Instant::now();
    let mut per_run = Vec::with_capacity(RUNS);
    for chunk in ids.chunks(8) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|&id| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { journal_run(&store, id).await })
            })
            .collect();
        for t in tasks {
            per_run.push(
                t.await
                    .map_err(|e| weft_store_api::StoreError::Database(e.to_string()))??,
            );
        }
    }
    report("8 in flight", RUNS, start.elapsed(), &mut per_run);

    // 3. Every commit awaited (worst case: no batching at all).
    let id = create(&store, &scope, &version).await?;
    let n = 2000u64;
    let start = Instant::now();
    for seq in 1..=n {
        let mut b = step_batch(id, seq);
        b.update = None;
        store.write(b).wait().await?;
    }
    let d = start.elapsed();
    println!(
        "awaited one by one: {n} batches: {:.2} µs/commit round trip",
        d.as_secs_f64() * 1e6 / n as f64
    );

    // 4. Creating runs (awaited each).
    let start = Instant::now();
    for _ in 0..RUNS {
        create(&store, &scope, &version).await?;
    }
    println!(
        "create_run: {:.2} µs each",
        start.elapsed().as_secs_f64() * 1e6 / RUNS as f64
    );
    let db_size = std::fs::metadata(store.db_path())
        .map(|m| m.len())
        .unwrap_or(0);
    let wal = std::fs::metadata(store.db_path().with_extension("db-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "database {:.1} MiB, WAL {:.1} MiB",
        db_size as f64 / 1048576.0,
        wal as f64 / 1048576.0
    );
    Ok(())
}

fn main() {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(bench()) {
        eprintln!("benchmark failed: {e}");
        std::process::exit(1);
    }
}
