//! Run ownership between store instances and processes, claimable runs, control requests.

use crate::{TestResult, at, batch, create, open, org, reopen};
use chrono::Utc;
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use weft_store_api::{RunId, RunStatus, RunUpdate, Store};

fn claimable_ids(list: &[weft_store_api::Claimable]) -> Vec<RunId> {
    list.iter().map(|c| c.run_id).collect()
}

#[tokio::test]
async fn a_live_owner_keeps_its_runs_until_its_store_is_dropped() -> TestResult {
    let (dir, store_a) = open()?;
    let store_b = reopen(dir.path())?;
    let scope = org("a");
    let id = create(&store_a, &scope).await?;
    assert_eq!(
        claimable_ids(&store_b.claimable_runs(Utc::now(), 10).await?),
        vec![id]
    );

    let a = store_a.register_owner().await?;
    let b = store_b.register_owner().await?;
    assert_ne!(a, b);
    assert!(store_a.claim_run(&a, id).await?);
    assert!(
        store_a.claim_run(&a, id).await?,
        "claiming my own run again succeeds"
    );
    assert!(!store_b.claim_run(&b, id).await?, "a live owner holds it");
    assert!(store_b.claimable_runs(Utc::now(), 10).await?.is_empty());
    assert!(store_a.claimable_runs(Utc::now(), 10).await?.is_empty());
    // Releasing by someone else does nothing.
    store_b.release_run(&b, id).await?;
    assert!(!store_b.claim_run(&b, id).await?);

    drop(store_a);
    assert_eq!(
        claimable_ids(&store_b.claimable_runs(Utc::now(), 10).await?),
        vec![id]
    );
    assert!(store_b.claim_run(&b, id).await?);
    assert!(store_b.claimable_runs(Utc::now(), 10).await?.is_empty());
    store_b.release_run(&b, id).await?;
    assert_eq!(
        claimable_ids(&store_b.claimable_runs(Utc::now(), 10).await?),
        vec![id]
    );

    // Finished runs are never claimable.
    let done = RunUpdate {
        status: Some(RunStatus::Failed),
        ..RunUpdate::default()
    };
    store_b.write(batch(id, 1, 1, Some(done))).wait().await?;
    assert!(!store_b.claim_run(&b, id).await?);
    assert!(store_b.claimable_runs(Utc::now(), 10).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn due_waiting_runs_are_claimable_whatever_their_owner() -> TestResult {
    let (_dir, store) = open()?;
    let scope = org("a");
    let owner = store.register_owner().await?;
    let (due, later, idle) = (
        create(&store, &scope).await?,
        create(&store, &scope).await?,
        create(&store, &scope).await?,
    );
    for (id, wake) in [(due, Some(at(10))), (later, Some(at(100))), (idle, None)] {
        assert!(store.claim_run(&owner, id).await?);
        let wait = RunUpdate {
            status: Some(RunStatus::Waiting),
            wake_at: Some(wake),
            ..RunUpdate::default()
        };
        store.write(batch(id, 1, 1, Some(wait))).wait().await?;
    }
    assert_eq!(store.next_wake_at().await?, Some(at(10)));
    let found = store.claimable_runs(at(50), 10).await?;
    assert_eq!(claimable_ids(&found), vec![due]);
    assert_eq!(
        (found[0].status, found[0].wake_at, &found[0].scope),
        (RunStatus::Waiting, Some(at(10)), &scope)
    );
    assert_eq!(
        claimable_ids(&store.claimable_runs(at(100), 10).await?),
        vec![due, later]
    );
    assert_eq!(store.claimable_runs(at(100), 1).await?.len(), 1);
    Ok(())
}

const HOLD_DIR: &str = "WEFT_STORE_TEST_HOLD_DIR";
const HOLD_RUN: &str = "WEFT_STORE_TEST_HOLD_RUN";
/// Printed by the helper once it holds the run (libtest may print on the same line).
const READY: &str = "weft-store-holder-ready";

/// Not a test on its own: when started by `a_killed_process_loses_its_runs_at_once` (with the
/// environment set), registers an owner, claims a run, prints [`READY`] and sleeps.
#[test]
fn hold_owner_helper() -> TestResult {
    let (Ok(dir), Ok(run)) = (std::env::var(HOLD_DIR), std::env::var(HOLD_RUN)) else {
        return Ok(());
    };
    let run_id: RunId = run.parse()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = weft_store::SqliteStore::open(Path::new(&dir))?;
        let owner = store.register_owner().await?;
        if !store.claim_run(&owner, run_id).await? {
            return Err("the helper could not claim the run".into());
        }
        println!("{READY}");
        std::io::stdout().flush()?;
        tokio::time::sleep(std::time::Duration::from_secs(120)).await;
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

#[tokio::test]
async fn a_killed_process_loses_its_runs_at_once() -> TestResult {
    let (dir, store) = open()?;
    let scope = org("a");
    let id = create(&store, &scope).await?;
    let child = Command::new(std::env::current_exe()?)
        .args([
            "owners::hold_owner_helper",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLD_DIR, dir.path())
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

    child.0.kill()?; // SIGKILL on Unix
    child.0.wait()?;
    assert_eq!(
        claimable_ids(&store.claimable_runs(Utc::now(), 10).await?),
        vec![id]
    );
    assert!(store.claim_run(&me, id).await?);
    // The dead owner's lock file is gone; only ours is left.
    let locks = std::fs::read_dir(dir.path().join("owners"))?.count();
    assert_eq!(locks, 1);
    Ok(())
}
