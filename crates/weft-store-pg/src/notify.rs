//! Waking idle workers: `LISTEN weft_work` on a dedicated connection, which also receives
//! `weft_done` (a run finished somewhere) and `weft_events` (live events, see `relay`).
//!
//! Every transaction that makes work available (a run created, released, due on a timer or
//! asked to change) sends `NOTIFY weft_work` as it commits (see `writer`). PostgreSQL delivers
//! it to every listening session after the commit, so a woken worker finds the change.

use crate::relay::{EVENTS_CHANNEL, PgRelay};
use crate::rows::db;
use crate::writer::{DONE_CHANNEL, WORK_CHANNEL};
use sqlx_postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use weft_store_api::StoreResult;

/// How long the listener waits before trying again after the database was unreachable.
const RETRY: Duration = Duration::from_secs(1);

/// Where notifications are turned into wake-ups.
#[derive(Default)]
pub(crate) struct WorkSignal {
    notify: Notify,
}

impl WorkSignal {
    /// Wakes every current waiter, and the next one to come if nobody is waiting: a
    /// notification that arrives between a worker's look for work and its wait is not lost
    /// (at the price of one early return).
    pub(crate) fn wake(&self) {
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// Waits for a wake-up or `timeout`.
    pub(crate) async fn wait(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.notify.notified()).await;
    }
}

/// Connects the listener (its own one-connection pool, so it never takes one of the store's)
/// and starts the task that forwards notifications to `signal`.
pub(crate) async fn listen(
    options: PgConnectOptions,
    signal: Arc<WorkSignal>,
    done: Arc<WorkSignal>,
    relay: Arc<PgRelay>,
) -> StoreResult<JoinHandle<()>> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(options);
    let mut listener = PgListener::connect_with(&pool)
        .await
        .map_err(db("connecting the work listener"))?;
    listener.ignore_pool_close_event(true);
    listener
        .listen_all([WORK_CHANNEL, DONE_CHANNEL, EVENTS_CHANNEL])
        .await
        .map_err(db("listening for work"))?;
    Ok(tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(first)) => {
                    // One wake-up per channel for a burst.
                    let (mut work, mut finished) = (false, false);
                    let mut note = |n: &sqlx_postgres::PgNotification| match n.channel() {
                        DONE_CHANNEL => finished = true,
                        EVENTS_CHANNEL => relay.received(n.payload()),
                        _ => work = true,
                    };
                    note(&first);
                    while let Some(n) = listener.next_buffered() {
                        note(&n);
                    }
                    if work {
                        signal.wake();
                    }
                    if finished {
                        done.wake();
                    }
                }
                Ok(None) => {
                    tracing::info!("the work listener reconnected; notifications may be lost");
                    signal.wake();
                    done.wake();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the work listener failed; retrying");
                    tokio::time::sleep(RETRY).await;
                    signal.wake();
                    done.wake();
                }
            }
        }
    }))
}
