//! Conversation threads (agent memory): appended in order, replaced per source, windowed,
//! summarized forward only, deleted, scoped to the organization, numbered without collisions
//! when processes append at once.

use super::{BoxError, CheckResult, Fixture, at, race};
use serde_json::{Value, json};
use std::sync::Arc;
use weft_store_api::{Store, TenantScope, ThreadQuery, ThreadRecord};

fn msg(role: &str, text: &str) -> Value {
    json!({ "role": role, "content": text, "nested": { "z": 1, "a": [true, null] } })
}

fn contents(t: &ThreadRecord) -> Vec<String> {
    t.messages
        .iter()
        .map(|m| m.message["content"].as_str().unwrap_or("?").to_owned())
        .collect()
}

async fn load(
    store: &Arc<dyn Store>,
    scope: &TenantScope,
    id: &str,
    query: ThreadQuery,
) -> Result<ThreadRecord, BoxError> {
    Ok(store
        .load_thread(scope, id, &query)
        .await?
        .ok_or_else(|| format!("thread {id} not found"))?)
}

/// Messages are numbered in order per thread and read back exactly; a source's second append
/// replaces its first; `last` windows and `exclude_source` filters; summaries only move
/// forward and hide what they cover; delete removes the thread.
pub async fn threads_append_replace_window_summarize_delete(store: Arc<dyn Store>) -> CheckResult {
    let org = TenantScope::org("acme");
    assert!(
        store
            .load_thread(&org, "t1", &ThreadQuery::default())
            .await?
            .is_none()
    );
    let last = store
        .append_thread(
            &org,
            "t1",
            "run-a/agent/0",
            vec![msg("user", "hi"), msg("assistant", "hello")],
            at(1),
        )
        .await?;
    assert_eq!(last, 2);
    let last = store
        .append_thread(
            &org,
            "t1",
            "run-b/agent/0",
            vec![msg("user", "weather?"), msg("assistant", "sunny")],
            at(2),
        )
        .await?;
    assert_eq!(last, 4);
    let t = load(&store, &org, "t1", ThreadQuery::default()).await?;
    assert_eq!(contents(&t), ["hi", "hello", "weather?", "sunny"]);
    assert_eq!(
        t.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(
        t.messages[0].message,
        msg("user", "hi"),
        "read back exactly"
    );
    assert_eq!(t.messages[2].source, "run-b/agent/0");
    assert_eq!(t.messages[0].created_at, at(1));
    assert_eq!((t.last_seq, t.summarized_through), (4, 0));
    assert_eq!(t.summary, None);
    assert_eq!((t.created_at, t.updated_at), (at(1), at(2)));

    // A repeated step replaces its own messages (now at the end), never duplicates them.
    let last = store
        .append_thread(
            &org,
            "t1",
            "run-a/agent/0",
            vec![msg("user", "hi again")],
            at(3),
        )
        .await?;
    assert_eq!(last, 5);
    let t = load(&store, &org, "t1", ThreadQuery::default()).await?;
    assert_eq!(contents(&t), ["weather?", "sunny", "hi again"]);

    // Windows and exclusions.
    let t = load(
        &store,
        &org,
        "t1",
        ThreadQuery {
            last: Some(2),
            ..Default::default()
        },
    )
    .await?;
    assert_eq!(contents(&t), ["sunny", "hi again"]);
    let t = load(
        &store,
        &org,
        "t1",
        ThreadQuery {
            exclude_source: Some("run-a/agent/0".into()),
            last: None,
        },
    )
    .await?;
    assert_eq!(contents(&t), ["weather?", "sunny"]);

    // Summaries move forward only, never past the last message, and hide what they cover.
    assert!(
        store
            .summarize_thread(&org, "t1", "they talked weather", 4, at(4))
            .await?
    );
    assert!(
        !store
            .summarize_thread(&org, "t1", "older", 3, at(5))
            .await?
    );
    assert!(
        !store
            .summarize_thread(&org, "t1", "future", 9, at(5))
            .await?
    );
    assert!(!store.summarize_thread(&org, "nope", "x", 1, at(5)).await?);
    let t = load(&store, &org, "t1", ThreadQuery::default()).await?;
    assert_eq!(t.summary.as_deref(), Some("they talked weather"));
    assert_eq!(t.summarized_through, 4);
    assert_eq!(contents(&t), ["hi again"]);

    // An empty append creates the thread without messages.
    assert_eq!(
        store
            .append_thread(&org, "t2", "s", Vec::new(), at(6))
            .await?,
        0
    );
    assert!(
        load(&store, &org, "t2", ThreadQuery::default())
            .await?
            .messages
            .is_empty()
    );

    assert!(store.delete_thread(&org, "t1").await?);
    assert!(!store.delete_thread(&org, "t1").await?);
    assert!(
        store
            .load_thread(&org, "t1", &ThreadQuery::default())
            .await?
            .is_none()
    );
    // A new thread under a deleted id starts again from 1.
    assert_eq!(
        store
            .append_thread(&org, "t1", "s", vec![msg("user", "x")], at(7))
            .await?,
        1
    );
    Ok(())
}

/// Another organization's thread with the same id is a different thread, invisible here.
pub async fn threads_of_one_org_are_invisible_to_another(store: Arc<dyn Store>) -> CheckResult {
    let (a, b) = (TenantScope::org("org-a"), TenantScope::org("org-b"));
    store
        .append_thread(
            &a,
            "shared-id",
            "s",
            vec![msg("user", "secret of a")],
            at(1),
        )
        .await?;
    assert!(
        store
            .load_thread(&b, "shared-id", &ThreadQuery::default())
            .await?
            .is_none()
    );
    assert!(
        !store
            .summarize_thread(&b, "shared-id", "x", 1, at(2))
            .await?
    );
    assert!(!store.delete_thread(&b, "shared-id").await?);
    store
        .append_thread(&b, "shared-id", "s", vec![msg("user", "of b")], at(3))
        .await?;
    let ta = load(&store, &a, "shared-id", ThreadQuery::default()).await?;
    assert_eq!(contents(&ta), ["secret of a"]);
    let tb = load(&store, &b, "shared-id", ThreadQuery::default()).await?;
    assert_eq!(contents(&tb), ["of b"]);
    Ok(())
}

/// Two handles (processes) appending to one thread at once number their messages without
/// collisions or gaps.
pub async fn concurrent_appends_to_one_thread_get_distinct_seqs(
    fixture: &dyn Fixture,
) -> CheckResult {
    let stores = [fixture.open().await?, fixture.open().await?];
    let org = TenantScope::org("acme");
    let n = 16;
    let results = race(n, |i| {
        let (store, org) = (Arc::clone(&stores[i % 2]), org.clone());
        async move {
            store
                .append_thread(
                    &org,
                    "busy",
                    &format!("step-{i}"),
                    vec![
                        msg("user", &format!("q{i}")),
                        msg("assistant", &format!("a{i}")),
                    ],
                    at(i as i64),
                )
                .await
        }
    })
    .await?;
    let mut lasts = results.clone();
    lasts.sort_unstable();
    lasts.dedup();
    assert_eq!(
        lasts.len(),
        n,
        "every append got its own range: {results:?}"
    );
    let t = load(&stores[0], &org, "busy", ThreadQuery::default()).await?;
    let seqs: Vec<u64> = t.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=2 * n as u64).collect::<Vec<_>>());
    // Each append's two messages are adjacent and in order.
    for pair in t.messages.chunks(2) {
        assert_eq!(pair[0].source, pair[1].source);
        assert_eq!(pair[0].message["role"], "user");
        assert_eq!(pair[1].message["role"], "assistant");
    }
    Ok(())
}
