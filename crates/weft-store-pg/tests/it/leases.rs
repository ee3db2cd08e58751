//! Ownership between processes: leases, heartbeats, takeover after a hang or `kill -9`, and
//! claim races.

use crate::{TestResult, create, database, open, open_with, scope, short_lease, stats, until};
use chrono::Utc;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft_store_api::{RunId, Store};
use weft_store_pg::PgStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_a_lease_alive_past_its_length() -> TestResult {
    let db = database().await;
    let options = weft_store_pg::PgOptions {
        lease: Duration::from_millis(1000),
        heartbeat: Duration::from_millis(100),
        ..weft_store_pg::PgOptions::default()
    };
    let holder = open_with(&db, options).await?;
    let other = open(&db).await?;
    let id = create(&holder).await?;
    let (mine, theirs) = (
        holder.register_owner().await?,
        other.register_owner().await?,
    );
    assert!(holder.claim_run(&mine, id).await?);
    // Three lease lengths: without the heartbeat the lease would have run out long ago.
    let end = Instant::now() + Duration::from_millis(3000);
    while Instant::now() < end {
        assert!(
            !other.claim_run(&theirs, id).await?,
            "took a live owner's run"
        );
        assert!(other.claimable_runs(Utc::now(), 10).await?.is_empty());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_owner_loses_its_runs_when_its_lease_runs_out() -> TestResult {
    const LEASE: Duration = Duration::from_millis(1000);
    let db = database().await;
    let holder = open_with(&db, short_lease(LEASE.as_millis() as u64)).await?;
    let other = open(&db).await?;
    let id = create(&holder).await?;
    let (mine, theirs) = (
        holder.register_owner().await?,
        other.register_owner().await?,
    );
    assert!(holder.claim_run(&mine, id).await?);
    holder.stop_heartbeat();
    let stopped = Instant::now();
    assert!(!other.claim_run(&theirs, id).await?);
    until(Duration::from_secs(10), || async {
        matches!(other.claim_run(&theirs, id).await, Ok(true))
    })
    .await?;
    let took = stopped.elapsed();
    eprintln!("a hung owner's run was taken over {took:?} after its last heartbeat");
    // The last renewal was at most one heartbeat before `stopped`.
    assert!(took >= LEASE - LEASE / 5, "taken over too early: {took:?}");
    // The old owner is refused now, and its journal writes would conflict.
    assert!(!holder.claim_run(&mine, id).await?);
    Ok(())
}

const HOLD_URL: &str = "WEFT_PG_TEST_HOLD_URL";
const HOLD_RUN: &str = "WEFT_PG_TEST_HOLD_RUN";
/// Printed by the helper once it holds the run (libtest may print on the same line).
const READY: &str = "weft-store-pg-holder-ready";
const HELPER_LEASE: Duration = Duration::from_millis(1000);

/// Not a test on its own: when started by `a_killed_process_loses_its_runs_after_its_lease`
/// (with the environment set), connects, claims the run, prints [`READY`] and sleeps.
#[test]
fn hold_owner_helper() -> TestResult {
    let (Ok(url), Ok(run)) = (std::env::var(HOLD_URL), std::env::var(HOLD_RUN)) else {
        return Ok(());
    };
    let run_id: RunId = run.parse()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = PgStore::connect(&url, short_lease(HELPER_LEASE.as_millis() as u64)).await?;
        let owner = store.register_owner().await?;
        if !store.claim_run(&owner, run_id).await? {
            return Err("the helper could not claim the run".into());
        }
        println!("{READY}");
        std::io::stdout().flush()?;
        tokio::time::sleep(Duration::from_secs(120)).await;
        Ok(())
    })
}

/// Kills the helper process when the test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_its_runs_after_its_lease() -> TestResult {
    let db = database().await;
    let store = open(&db).await?;
    let id = create(&store).await?;
    let child = Command::new(std::env::current_exe()?)
        .args([
            "leases::hold_owner_helper",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLD_URL, db.url())
        .env(HOLD_RUN, id.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().ok_or("no stdout")?;
    let ready = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains(READY))
    })
    .await?;
    assert!(ready, "the helper exited before claiming the run");

    let me = store.register_owner().await?;
    assert!(!store.claim_run(&me, id).await?, "the helper holds the run");
    assert!(store.claimable_runs(Utc::now(), 10).await?.is_empty());

    child.0.kill()?; // SIGKILL on Unix: no cleanup, the owner row stays
    child.0.wait()?;
    let killed = Instant::now();
    until(Duration::from_secs(10), || async {
        matches!(store.claimable_runs(Utc::now(), 10).await, Ok(found) if found.len() == 1)
    })
    .await?;
    assert!(store.claim_run(&me, id).await?);
    let took = killed.elapsed();
    eprintln!(
        "a killed process's run was taken over {took:?} after the kill (lease {HELPER_LEASE:?})"
    );
    assert!(
        took <= HELPER_LEASE + Duration::from_secs(2),
        "took {took:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_claims_of_one_run_from_two_processes_have_one_winner() -> TestResult {
    const CLAIMERS: usize = 32;
    const ROUNDS: usize = 20;
    let db = database().await;
    let stores = [open(&db).await?, open(&db).await?];
    let mut owners = Vec::new();
    for i in 0..CLAIMERS {
        let store = Arc::clone(&stores[i % 2]);
        let owner = store.register_owner().await?;
        owners.push((store, owner));
    }
    let mut latencies = Vec::new();
    for round in 0..ROUNDS {
        let id = create(&stores[round % 2]).await?;
        let barrier = Arc::new(tokio::sync::Barrier::new(CLAIMERS));
        let tasks: Vec<_> = owners
            .iter()
            .map(|(store, owner)| {
                let (store, owner, barrier) =
                    (Arc::clone(store), owner.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let start = Instant::now();
                    let won = store.claim_run(&owner, id).await;
                    (won, start.elapsed())
                })
            })
            .collect();
        let mut winners = 0;
        for task in futures::future::join_all(tasks).await {
            let (won, took) = task?;
            winners += usize::from(won?);
            latencies.push(took);
        }
        assert_eq!(winners, 1, "round {round}");
        assert_eq!(
            stores[0].get_run(&scope(), id).await?.map(|r| r.status),
            Some(weft_store_api::RunStatus::Queued)
        );
    }
    let (p50, p95, max) = stats(latencies);
    eprintln!(
        "contended claim_run ({CLAIMERS} at once, 2 processes): p50 {p50:.2} ms, p95 {p95:.2} ms, max {max:.2} ms"
    );
    Ok(())
}

#[tokio::test]
async fn uncontended_claim_and_release_latency() -> TestResult {
    let db = database().await;
    let store = open(&db).await?;
    let owner = store.register_owner().await?;
    let id = create(&store).await?;
    let (mut claims, mut releases) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        let start = Instant::now();
        assert!(store.claim_run(&owner, id).await?);
        claims.push(start.elapsed());
        let start = Instant::now();
        store.release_run(&owner, id).await?;
        releases.push(start.elapsed());
    }
    let (c50, c95, _) = stats(claims);
    let (r50, r95, _) = stats(releases);
    eprintln!(
        "claim_run p50 {c50:.2} ms p95 {c95:.2} ms; release_run p50 {r50:.2} ms p95 {r95:.2} ms"
    );
    Ok(())
}
