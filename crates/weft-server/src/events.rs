//! Live events as Server-Sent Events.
//!
//! - `GET /api/v1/runs/{id}/events`: one run. Durable: events are the run's journal entries, the
//!   SSE id is the journal seq, so a client that reconnects with `Last-Event-ID` gets exactly
//!   what it missed, even from another server process. The stream ends with an `end` event when
//!   the run has finished.
//! - `GET /api/v1/events`: the organization's live run and step events from this process. Each
//!   has a process-local id; a reconnect with `Last-Event-ID` replays what the ring buffer still
//!   holds and, if the gap is older than the buffer, starts with a `reset` event so the client
//!   knows to reload.
//!
//! [`pump`] feeds the hub from the engine and records metrics. (Run-completed triggers fire
//! from the engine, in whichever process finishes the run: see [`crate::run_completed`].)

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, Path};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde_json::json;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use weft_engine::RunEvent;
use weft_store_api::{RelayedEvent, RunId};

/// One event in the hub: an event of this process's engine (serialized once, when a subscriber
/// first needs it), or one relayed from another process sharing the database.
#[derive(Debug)]
pub struct HubEvent {
    /// Process-local, increasing.
    pub id: u64,
    origin: Origin,
    data: std::sync::OnceLock<String>,
}

#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "local events are nearly all of them; boxing would allocate once more per event"
)]
enum Origin {
    Local(RunEvent),
    Relayed(Arc<RelayedEvent>),
}

impl HubEvent {
    /// The organization.
    pub fn org_id(&self) -> &str {
        match &self.origin {
            Origin::Local(e) => &e.org_id,
            Origin::Relayed(e) => &e.org_id,
        }
    }
    /// The run.
    pub fn run_id(&self) -> RunId {
        match &self.origin {
            Origin::Local(e) => e.run_id,
            Origin::Relayed(e) => e.run_id,
        }
    }
    /// The SSE event name (`runStarted`, `stepSucceeded`, …).
    pub fn name(&self) -> &str {
        match &self.origin {
            Origin::Local(e) => e.kind.name(),
            Origin::Relayed(e) => &e.name,
        }
    }
    /// The event as JSON text.
    pub fn data(&self) -> &str {
        match &self.origin {
            Origin::Local(e) => self
                .data
                .get_or_init(|| serde_json::to_string(e).unwrap_or_default()),
            Origin::Relayed(e) => &e.data,
        }
    }
    /// True for an event of this process's engine.
    pub fn is_local(&self) -> bool {
        matches!(self.origin, Origin::Local(_))
    }
}

struct Ring {
    next_id: u64,
    events: VecDeque<Arc<HubEvent>>,
}

/// Fan-out of live events with a bounded replay buffer.
pub struct EventHub {
    tx: broadcast::Sender<Arc<HubEvent>>,
    ring: Mutex<Ring>,
    capacity: usize,
}

impl EventHub {
    /// A hub keeping the last `capacity` events for resumption.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(16));
        EventHub {
            tx,
            ring: Mutex::new(Ring {
                next_id: 1,
                events: VecDeque::with_capacity(capacity),
            }),
            capacity,
        }
    }

    /// Publishes an event of this process's engine.
    pub fn publish(&self, event: RunEvent) -> Arc<HubEvent> {
        self.push(Origin::Local(event))
    }

    /// Publishes an event relayed from another process.
    pub fn publish_relayed(&self, event: Arc<RelayedEvent>) -> Arc<HubEvent> {
        self.push(Origin::Relayed(event))
    }

    fn push(&self, origin: Origin) -> Arc<HubEvent> {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let ev = Arc::new(HubEvent {
            id: ring.next_id,
            origin,
            data: std::sync::OnceLock::new(),
        });
        ring.next_id += 1;
        if ring.events.len() == self.capacity {
            ring.events.pop_front();
        }
        ring.events.push_back(ev.clone());
        let _ = self.tx.send(ev.clone());
        ev
    }

    /// Subscribes; with `after`, also returns the buffered events after that id and whether
    /// some were already dropped from the buffer (a gap).
    pub fn subscribe(
        &self,
        after: Option<u64>,
    ) -> (Vec<Arc<HubEvent>>, bool, broadcast::Receiver<Arc<HubEvent>>) {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let rx = self.tx.subscribe();
        let Some(after) = after else {
            return (Vec::new(), false, rx);
        };
        let oldest = ring.events.front().map(|e| e.id).unwrap_or(ring.next_id);
        let gap = after + 1 < oldest && after < ring.next_id;
        let backlog = ring
            .events
            .iter()
            .filter(|e| e.id > after)
            .cloned()
            .collect();
        (backlog, gap, rx)
    }

    /// A receiver of events from now on.
    pub fn receiver(&self) -> broadcast::Receiver<Arc<HubEvent>> {
        self.tx.subscribe()
    }

    /// A receiver of events from now on, and the buffered events of one run named `name`
    /// that came before it (none lost or repeated in between).
    pub fn receiver_with_recent(
        &self,
        run_id: weft_store_api::RunId,
        name: &str,
    ) -> (Vec<Arc<HubEvent>>, broadcast::Receiver<Arc<HubEvent>>) {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let rx = self.tx.subscribe();
        let recent = ring
            .events
            .iter()
            .filter(|e| e.run_id() == run_id && e.name() == name)
            .cloned()
            .collect();
        (recent, rx)
    }
}

fn last_event_id(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn sse_from(
    rx: mpsc::Receiver<Event>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + Send + 'static> {
    let stream =
        futures::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
        );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// One Server-Sent Event as a client parses it (the `text/event-stream` schema).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SseFrame {
    /// The event id: a journal seq on run streams, a sequence number on the organization's.
    pub id: Option<String>,
    /// The event type, e.g. `runStarted`, `stepSucceeded`, `runFinished`, `end`.
    pub event: Option<String>,
    /// The event as JSON text.
    pub data: String,
    /// Reconnection delay in milliseconds, when the server sets one.
    pub retry: Option<u64>,
}

/// The organization's live events.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this event")),
    responses((status = 200, content_type = "text/event-stream", body = SseFrame,
        description = "Server-Sent Events: runStarted, stepStarted, stepSucceeded, stepFailed, runFinished, …")),
    security(("bearer" = [])))]
pub async fn org_stream(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
) -> ApiResult<impl axum::response::IntoResponse> {
    p.require("runs:read")?;
    let (backlog, gap, mut live) = state.hub.subscribe(last_event_id(&headers));
    let (tx, rx) = mpsc::channel::<Event>(256);
    let org = p.scope.org_id.clone();
    let shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        if gap
            && tx
                .send(
                    Event::default()
                        .event("reset")
                        .data("{\"reason\":\"events were missed; reload\"}"),
                )
                .await
                .is_err()
        {
            return;
        }
        let mut last = 0;
        for e in backlog.into_iter().filter(|e| e.org_id() == org) {
            last = e.id;
            let ev = Event::default()
                .id(e.id.to_string())
                .event(e.name())
                .data(e.data());
            if tx.send(ev).await.is_err() {
                return;
            }
        }
        loop {
            let e = tokio::select! {
                r = live.recv() => r,
                () = shutdown.cancelled() => return,
                () = tx.closed() => return,
            };
            match e {
                Ok(e) if e.org_id() == org && e.id > last => {
                    let ev = Event::default()
                        .id(e.id.to_string())
                        .event(e.name())
                        .data(e.data());
                    if tx.send(ev).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    let data = json!({ "reason": format!("{n} events were missed; reload") });
                    if tx
                        .send(Event::default().event("reset").data(data.to_string()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    Ok(sse_from(rx))
}

/// The live events a step sends while it works (`RunEventKind::StepProgress`, `LlmCall`,
/// `BudgetThreshold`): not journaled, forwarded to the run's stream as they happen.
const LIVE_EVENTS: &[&str] = &["stepProgress", "llmCall", "budgetThreshold"];

/// The live event of a step starting (`RunEventKind::StepStarted`). Pure steps journal no start
/// (only their end), so without it a watcher could not tell a long pure step is running.
const STARTED_EVENT: &str = "stepStarted";

/// One run's events: its journal, then live entries as they are written, with the live
/// `stepProgress` events of its steps (tokens as a model streams them) and live `stepStarted`
/// events (pure steps journal no start); live events are not in the journal, carry no id and
/// are not replayed on reconnect. Ends when the run has finished.
#[utoipa::path(get, path = "/api/v1/runs/{id}/events", tag = "events",
    params(("id" = String, Path, description = "Run id"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this journal seq")),
    responses((status = 200, content_type = "text/event-stream", body = SseFrame,
        description = "Server-Sent Events: one per journal entry (id = seq), live `stepProgress` and `stepStarted` events (no id), then `end`"),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn run_stream(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<impl axum::response::IntoResponse> {
    p.require("runs:read")?;
    let run = crate::api::runs::get_run(&state, &p, &id).await?;
    let mut after = last_event_id(&headers).unwrap_or(0);
    let (tx, rx) = mpsc::channel::<Event>(256);
    let scope = p.scope.clone();
    let run_id = run.id;
    tokio::spawn(async move {
        // Steps that started before this subscription: their live starts come first (a client
        // sees a long pure step running even when it subscribed after the step began; the
        // journal replay that follows ends the ones that are done).
        let (recent, mut live) = state.hub.receiver_with_recent(run_id, STARTED_EVENT);
        let mut recent = Some(recent);
        loop {
            // Read the status before the journal: if the run was finished then, the journal
            // read after it is complete.
            let finished = match state.store.get_run(&scope, run_id).await {
                Ok(Some(r)) => r.status.is_terminal(),
                _ => return,
            };
            // Of a finished run the journal tells everything.
            for e in recent.take().filter(|_| !finished).unwrap_or_default() {
                let ev = Event::default().event(e.name()).data(e.data());
                if tx.send(ev).await.is_err() {
                    return;
                }
            }
            let Ok(entries) = state.store.load_journal(&scope, run_id).await else {
                return;
            };
            let from = after;
            for entry in entries.into_iter().filter(|e| e.seq > from) {
                after = entry.seq;
                /// Just the tag of a journal event.
                #[derive(serde::Deserialize)]
                struct Tag {
                    #[serde(rename = "type")]
                    kind: String,
                }
                let name = serde_json::from_str::<Tag>(entry.event.get())
                    .map(|t| t.kind)
                    .unwrap_or_else(|_| "event".to_string());
                let data = json!({ "seq": entry.seq, "at": entry.at, "event": entry.event });
                let ev = Event::default()
                    .id(entry.seq.to_string())
                    .event(name)
                    .data(data.to_string());
                if tx.send(ev).await.is_err() {
                    return;
                }
            }
            if finished {
                let _ = tx
                    .send(
                        Event::default()
                            .event("end")
                            .data(json!({ "runId": run_id }).to_string()),
                    )
                    .await;
                return;
            }
            // Wake on this process's events for the run, or look again in a moment (the run
            // may be driven by another process).
            let deadline = tokio::time::sleep(Duration::from_millis(500));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    r = live.recv() => match r {
                        // Progress (tokens streaming from a model) is live only: passed on
                        // without an id, so it never moves `Last-Event-ID`, and without
                        // reading the journal again.
                        Ok(e) if e.run_id() == run_id && LIVE_EVENTS.contains(&e.name()) => {
                            let ev = Event::default().event(e.name()).data(e.data());
                            if tx.send(ev).await.is_err() {
                                return;
                            }
                        }
                        Ok(e) if e.run_id() == run_id => {
                            if e.name() == STARTED_EVENT {
                                // Live (no id): a journaled start of an effectful step
                                // follows with its seq; a client keeps whichever is newer.
                                let ev = Event::default().event(e.name()).data(e.data());
                                if tx.send(ev).await.is_err() {
                                    return;
                                }
                            }
                            // The executor keeps pure steps' results back for a few
                            // milliseconds; someone is watching this run: write them now.
                            state.engine.flush(run_id).await;
                            break;
                        }
                        Ok(_) => continue,
                        Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    () = &mut deadline => break,
                    () = tx.closed() => return,
                    () = state.shutdown.cancelled() => return,
                }
            }
        }
    });
    Ok(sse_from(rx))
}

/// Feeds engine events to the hub and metrics, and to the other processes sharing the
/// database when the store relays events.
pub async fn pump(state: AppState) {
    let relay = state.store.event_relay();
    let mut rx = state.engine.subscribe();
    loop {
        let event: RunEvent = tokio::select! {
            r = rx.recv() => match r {
                Ok(e) => e,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "the event pump fell behind");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            () = state.shutdown.cancelled() => return,
        };
        state.metrics.observe(&event);
        let ev = state.hub.publish(event);
        if let Some(relay) = &relay {
            relay.publish(RelayedEvent {
                org_id: ev.org_id().to_string(),
                run_id: ev.run_id(),
                name: ev.name().to_string(),
                data: relayable(ev.data()),
            });
        }
    }
}

/// Sends the engine's events to the other processes sharing the database, in a process
/// without a hub (`weft worker`), until the engine stops.
pub async fn relay_out(engine: weft_engine::Engine, relay: Arc<dyn weft_store_api::EventRelay>) {
    let mut rx = engine.subscribe();
    loop {
        match rx.recv().await {
            Ok(e) => {
                let data = serde_json::to_string(&e).unwrap_or_default();
                relay.publish(RelayedEvent {
                    org_id: e.org_id.to_string(),
                    run_id: e.run_id,
                    name: e.kind.name().to_string(),
                    data: relayable(&data),
                });
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "relaying live events fell behind");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Feeds the events of runs other processes drive into the hub (`weft serve` with workers
/// elsewhere).
pub async fn relay_in(state: AppState, relay: Arc<dyn weft_store_api::EventRelay>) {
    let mut rx = relay.subscribe();
    loop {
        tokio::select! {
            r = rx.recv() => match r {
                Ok(e) => {
                    state.hub.publish_relayed(e);
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "relayed live events fell behind");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            () = state.shutdown.cancelled() => return,
        }
    }
}

/// The longest string kept in an event too large to relay whole.
const RELAY_STRING_LIMIT: usize = 512;

/// An event's JSON as relayed: whole when it fits a notification, else with its long strings
/// (an error message, a streamed text) cut and `"truncated": true` added.
fn relayable(data: &str) -> String {
    if data.len() <= RELAY_LIMIT {
        return data.to_string();
    }
    fn cut(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) if s.len() > RELAY_STRING_LIMIT => {
                let mut end = RELAY_STRING_LIMIT;
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                s.truncate(end);
                s.push('…');
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(cut),
            serde_json::Value::Object(o) => o.values_mut().for_each(cut),
            _ => {}
        }
    }
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(data) else {
        return data.to_string();
    };
    cut(&mut value);
    if let Some(o) = value.as_object_mut() {
        o.insert("truncated".into(), true.into());
    }
    value.to_string()
}

/// What fits a relayed notification beside its header (PostgreSQL's limit is 8000 bytes).
const RELAY_LIMIT: usize = 7_000;
