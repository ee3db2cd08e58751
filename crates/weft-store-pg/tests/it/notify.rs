//! `wait_for_work`: woken by other processes' creates, releases, timers and control
//! requests through LISTEN/NOTIFY; otherwise it sleeps its whole timeout.

use crate::{TestResult, create, database, open, scope, stats};
use chrono::Utc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft_store_api::{ControlRequest, RunStatus, RunUpdate, Store, WriteBatch};
use weft_store_pg::PgStore;

/// How long a woken wait may take at most (the timeout is far longer).
const PROMPT: Duration = Duration::from_secs(2);
const LONG: Duration = Duration::from_secs(30);

/// Clears a wake-up left over from earlier notifications.
async fn settle(store: &PgStore) {
    store.wait_for_work(Duration::from_millis(100)).await;
    store.wait_for_work(Duration::from_millis(100)).await;
}

/// Starts a `wait_for_work(LONG)` on `waiter`, runs `act`, and returns how long after `act`
/// started the wait ended (the wake-up often comes before the acting call has returned: the
/// notification leaves with the commit).
async fn wake_latency<F, Fut>(waiter: &Arc<PgStore>, act: F) -> Result<Duration, String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let w = Arc::clone(waiter);
    let wait = tokio::spawn(async move {
        let _ = started_tx.send(());
        w.wait_for_work(LONG).await;
        Instant::now()
    });
    started_rx.await.map_err(|e| e.to_string())?;
    tokio::task::yield_now().await;
    let acted = Instant::now();
    act().await;
    let woke = tokio::time::timeout(LONG, wait)
        .await
        .map_err(|_| "never woke".to_owned())?
        .map_err(|e| e.to_string())?;
    Ok(woke.saturating_duration_since(acted))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_processs_create_run_wakes_a_waiting_worker_promptly() -> TestResult {
    let db = database().await;
    let (worker, api) = (open(&db).await?, open(&db).await?);
    settle(&worker).await;
    let mut samples = Vec::new();
    for _ in 0..30 {
        let api = Arc::clone(&api);
        let took = wake_latency(&worker, || async move {
            create(&api).await.expect("create_run");
        })
        .await?;
        assert!(took < PROMPT, "woke {took:?} after create_run");
        samples.push(took);
        settle(&worker).await;
    }
    let (p50, p95, max) = stats(samples);
    eprintln!(
        "wake-up from the start of another process's create_run (which includes its commit): \
         p50 {p50:.2} ms, p95 {p95:.2} ms, max {max:.2} ms"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_timers_and_control_requests_wake_workers() -> TestResult {
    let db = database().await;
    let (worker, driver) = (open(&db).await?, open(&db).await?);
    let owner = driver.register_owner().await?;
    let id = create(&driver).await?;
    assert!(driver.claim_run(&owner, id).await?);
    settle(&worker).await;

    let d = Arc::clone(&driver);
    let o = owner.clone();
    let took = wake_latency(&worker, || async move {
        d.release_run(&o, id).await.expect("release");
    })
    .await?;
    assert!(took < PROMPT, "release: {took:?}");

    assert!(driver.claim_run(&owner, id).await?);
    settle(&worker).await;
    let d = Arc::clone(&driver);
    let took = wake_latency(&worker, || async move {
        let wait = RunUpdate {
            status: Some(RunStatus::Waiting),
            wake_at: Some(Some(Utc::now() + chrono::TimeDelta::hours(1))),
            release_owner: true,
            ..RunUpdate::default()
        };
        let batch = WriteBatch {
            run_id: id,
            entries: vec![],
            update: Some(wait),
        };
        d.write(batch).wait().await.expect("write");
    })
    .await?;
    assert!(took < PROMPT, "waiting on a timer: {took:?}");
    assert!(worker.next_wake_at().await?.is_some());

    settle(&worker).await;
    let d = Arc::clone(&driver);
    let took = wake_latency(&worker, || async move {
        assert!(
            d.request_control(&scope(), id, ControlRequest::Cancel)
                .await
                .expect("request")
        );
    })
    .await?;
    assert!(took < PROMPT, "control request: {took:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_that_make_no_work_do_not_wake_anybody() -> TestResult {
    let db = database().await;
    let (worker, driver) = (open(&db).await?, open(&db).await?);
    let owner = driver.register_owner().await?;
    let id = create(&driver).await?;
    assert!(driver.claim_run(&owner, id).await?);
    settle(&worker).await;
    let start = Instant::now();
    let waiting = {
        let w = Arc::clone(&worker);
        tokio::spawn(async move { w.wait_for_work(Duration::from_millis(800)).await })
    };
    // Journal progress of an owned run, a refused batch, a version: nothing for others.
    let running = RunUpdate {
        status: Some(RunStatus::Running),
        ..RunUpdate::default()
    };
    driver
        .write(WriteBatch {
            run_id: id,
            entries: vec![],
            update: Some(running),
        })
        .wait()
        .await?;
    driver.write(crate::batch(id, 1)).wait().await?;
    assert!(driver.write(crate::batch(id, 5)).wait().await.is_err());
    waiting.await?;
    let slept = start.elapsed();
    assert!(slept >= Duration::from_millis(790), "woke after {slept:?}");
    Ok(())
}

/// A run finished by one process wakes another that waits for finished runs (a webhook
/// answering at the last node of a run a worker drove); progress that finishes nothing does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_finished_elsewhere_wakes_those_waiting_for_it() -> TestResult {
    let db = database().await;
    let (api, driver) = (open(&db).await?, open(&db).await?);
    let id = create(&driver).await?;
    let me = driver.register_owner().await?;
    assert!(driver.claim_run(&me, id).await?);
    // Settle any wake-up left over from the create.
    api.wait_for_finished_runs(Duration::from_millis(100)).await;
    api.wait_for_finished_runs(Duration::from_millis(100)).await;

    let quiet = {
        let a = Arc::clone(&api);
        tokio::spawn(async move {
            let t = Instant::now();
            a.wait_for_finished_runs(Duration::from_millis(800)).await;
            t.elapsed()
        })
    };
    let running = RunUpdate {
        status: Some(RunStatus::Running),
        ..RunUpdate::default()
    };
    driver
        .write(WriteBatch {
            run_id: id,
            entries: vec![],
            update: Some(running),
        })
        .wait()
        .await?;
    let waited = quiet.await.map_err(|e| e.to_string())?;
    assert!(
        waited >= Duration::from_millis(700),
        "woke after {waited:?} for mere progress"
    );

    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let a = Arc::clone(&api);
    let wait = tokio::spawn(async move {
        let _ = started_tx.send(());
        a.wait_for_finished_runs(LONG).await;
        Instant::now()
    });
    started_rx.await.map_err(|e| e.to_string())?;
    tokio::task::yield_now().await;
    let acted = Instant::now();
    let done = RunUpdate {
        status: Some(RunStatus::Succeeded),
        finished_at: Some(Utc::now()),
        release_owner: true,
        ..RunUpdate::default()
    };
    driver
        .write(WriteBatch {
            run_id: id,
            entries: vec![],
            update: Some(done),
        })
        .wait()
        .await?;
    let woke = tokio::time::timeout(LONG, wait)
        .await
        .map_err(|_| "never woke".to_owned())?
        .map_err(|e| e.to_string())?;
    let took = woke.saturating_duration_since(acted);
    assert!(took < PROMPT, "woke {took:?} after the run finished");
    Ok(())
}
