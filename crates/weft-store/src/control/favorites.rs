//! Favourite workflows per user (migration 5).

use super::sql::{all, exists};
use crate::rows::{db, text};
use rusqlite::Connection;
use weft_store_api::{StoreError, StoreResult};

/// Marks or unmarks `workflow` as a favourite of `user`. `NotFound` when the organization has
/// no such workflow.
pub(crate) fn set(
    conn: &Connection,
    org: &str,
    user: &str,
    workflow: &str,
    favorite: bool,
    at: &str,
) -> StoreResult<()> {
    let known = exists(
        conn,
        "checking a workflow",
        "SELECT EXISTS (SELECT 1 FROM workflows WHERE id = ?1 AND org_id = ?2)",
        [workflow, org],
    )?;
    if !known {
        return Err(StoreError::NotFound {
            what: "workflow",
            id: workflow.to_owned(),
        });
    }
    if favorite {
        conn.prepare_cached(
            "INSERT INTO workflow_favorites (org_id, user_id, workflow_id, created_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut s| s.execute([org, user, workflow, at]))
        .map_err(db("marking a favourite"))?;
    } else {
        conn.prepare_cached(
            "DELETE FROM workflow_favorites WHERE org_id = ?1 AND user_id = ?2 AND workflow_id = ?3",
        )
        .and_then(|mut s| s.execute([org, user, workflow]))
        .map_err(db("unmarking a favourite"))?;
    }
    Ok(())
}

/// The ids of `user`'s favourite workflows, sorted.
pub(crate) fn list(conn: &Connection, org: &str, user: &str) -> StoreResult<Vec<String>> {
    all(
        conn,
        "listing favourites",
        "SELECT workflow_id FROM workflow_favorites WHERE org_id = ?1 AND user_id = ?2 \
         ORDER BY workflow_id",
        [org, user],
        |r| Ok(text(r, 0, "favourite", "workflow_id")?.unwrap_or_default()),
    )
}
