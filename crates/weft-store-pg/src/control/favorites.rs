//! Favourite workflows per user (migration 3).

use crate::rows::db;
use crate::writer::Tx;
use chrono::{DateTime, Utc};
use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::PgPool;
use weft_store_api::{StoreError, StoreResult};

/// Marks or unmarks `workflow` as a favourite of `user`. `NotFound` when the organization has
/// no such workflow.
pub(crate) async fn set(
    tx: &mut Tx,
    org: &str,
    user: &str,
    workflow: &str,
    favorite: bool,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let known = query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM workflows WHERE id = $1 AND org_id = $2)",
    )
    .bind(workflow)
    .bind(org)
    .fetch_one(tx.conn())
    .await
    .map_err(db("checking a workflow"))?;
    if !known {
        return Err(StoreError::NotFound {
            what: "workflow",
            id: workflow.to_owned(),
        });
    }
    if favorite {
        query(
            "INSERT INTO workflow_favorites (org_id, user_id, workflow_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(org)
        .bind(user)
        .bind(workflow)
        .bind(at)
        .execute(tx.conn())
        .await
        .map_err(db("marking a favourite"))?;
    } else {
        query(
            "DELETE FROM workflow_favorites WHERE org_id = $1 AND user_id = $2 AND workflow_id = $3",
        )
        .bind(org)
        .bind(user)
        .bind(workflow)
        .execute(tx.conn())
        .await
        .map_err(db("unmarking a favourite"))?;
    }
    Ok(())
}

/// The ids of `user`'s favourite workflows, sorted.
pub(crate) async fn list(pool: &PgPool, org: &str, user: &str) -> StoreResult<Vec<String>> {
    query_scalar::<_, String>(
        "SELECT workflow_id FROM workflow_favorites WHERE org_id = $1 AND user_id = $2 \
         ORDER BY workflow_id",
    )
    .bind(org)
    .bind(user)
    .fetch_all(pool)
    .await
    .map_err(db("listing favourites"))
}
