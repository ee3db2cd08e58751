//! Live events between processes: `NOTIFY weft_events`.
//!
//! Each process publishes the run and step events its engine emits; every other process
//! sharing the database receives them on the store's listener connection (see `notify`) and
//! hands them to its server's event hub, so `weft serve --no-workers` streams the runs its
//! workers drive. Delivery is best effort and outside the journal's transactions: the journal
//! is the record, a relayed event only makes a live view live.
//!
//! A payload is `origin \t org \t run \t name \t data` (the JSON `data` last: it never holds a
//! raw tab). PostgreSQL refuses payloads of 8000 bytes or more; larger events are not relayed
//! (the emitting server trims the ones that can be, see `weft-server`'s events module).

use sqlx_core::query::query;
use sqlx_postgres::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;
use weft_store_api::{EventRelay, RelayedEvent, RunId};

/// The channel.
pub(crate) const EVENTS_CHANNEL: &str = "weft_events";

/// The largest payload sent; PostgreSQL's limit is 8000 bytes.
pub const MAX_PAYLOAD: usize = 7_900;

/// Events waiting to be sent; more are dropped (and counted) rather than blocking the engine.
const QUEUE: usize = 8_192;

/// Events sent in one statement.
const BATCH: usize = 256;

/// Events received and not yet taken by a slow subscriber.
const RECEIVED: usize = 4_096;

/// The relay of one store.
pub(crate) struct PgRelay {
    origin: String,
    queue: mpsc::Sender<String>,
    received: broadcast::Sender<Arc<RelayedEvent>>,
    dropped: AtomicU64,
}

impl PgRelay {
    /// Starts the task that sends queued events on `pool`.
    pub(crate) fn start(pool: PgPool) -> (Arc<PgRelay>, tokio::task::JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(QUEUE);
        let (received, _) = broadcast::channel(RECEIVED);
        let relay = Arc::new(PgRelay {
            origin: Uuid::now_v7().simple().to_string(),
            queue,
            received,
            dropped: AtomicU64::new(0),
        });
        (relay, tokio::spawn(send_loop(pool, rx)))
    }

    /// A notification arrived on [`EVENTS_CHANNEL`].
    pub(crate) fn received(&self, payload: &str) {
        let Some(event) = parse(payload, &self.origin) else {
            return;
        };
        // Nobody subscribed is fine.
        let _ = self.received.send(Arc::new(event));
    }
}

impl EventRelay for PgRelay {
    fn publish(&self, event: RelayedEvent) {
        let payload = format!(
            "{}\t{}\t{}\t{}\t{}",
            self.origin, event.org_id, event.run_id, event.name, event.data
        );
        if payload.len() > MAX_PAYLOAD {
            tracing::debug!(
                run = %event.run_id,
                event = event.name,
                bytes = payload.len(),
                "a live event too large to relay was not relayed"
            );
            return;
        }
        if self.queue.try_send(payload).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(
                    dropped = n,
                    "live events are coming faster than they can be relayed; some were dropped"
                );
            }
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<RelayedEvent>> {
        self.received.subscribe()
    }
}

/// An event from another process; `None` for this process's own and for malformed payloads.
fn parse(payload: &str, own_origin: &str) -> Option<RelayedEvent> {
    let mut parts = payload.splitn(5, '\t');
    let origin = parts.next()?;
    if origin == own_origin {
        return None;
    }
    let org_id = parts.next()?;
    let run_id: RunId = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let data = parts.next()?;
    Some(RelayedEvent {
        org_id: org_id.to_string(),
        run_id,
        name: name.to_string(),
        data: data.to_string(),
    })
}

/// Sends what is queued, up to [`BATCH`] events per statement, until the store is dropped.
async fn send_loop(pool: PgPool, mut rx: mpsc::Receiver<String>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let sent = query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
            .bind(EVENTS_CHANNEL)
            .bind(&batch)
            .execute(&pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, events = batch.len(), "relaying live events failed");
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_skip_their_origin() {
        let run = RunId(Uuid::now_v7());
        let payload = format!("me\torg_1\t{run}\tstepSucceeded\t{{\"a\":\"x\\ty\"}}");
        assert_eq!(parse(&payload, "me"), None);
        let e = parse(&payload, "other").expect("parsed");
        assert_eq!(e.org_id, "org_1");
        assert_eq!(e.run_id, run);
        assert_eq!(e.name, "stepSucceeded");
        assert_eq!(e.data, r#"{"a":"x\ty"}"#);
        assert_eq!(parse("other\torg\tnot-a-uuid\tx\t{}", "me"), None);
        assert_eq!(parse("truncated", "me"), None);
    }
}
