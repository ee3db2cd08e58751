//! Credential rows. The secret part arrives sealed; nothing here can read it.

use crate::rows::{db, req, sqlstate};
use crate::writer::Tx;
use chrono::{DateTime, Utc};
use sqlx_core::executor::Executor;
use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::{PgPool, PgRow, Postgres};
use weft_store_api::{CredentialInfo, NewCredential, StoreError, StoreResult, TenantScope};

/// SQLSTATE of a unique violation.
const UNIQUE_VIOLATION: &str = "23505";

/// The credential of the organization, other than `id`, that has `name`.
async fn name_holder<'e, E>(e: E, org: &str, name: &str, id: &str) -> StoreResult<Option<String>>
where
    E: Executor<'e, Database = Postgres>,
{
    query_scalar::<_, String>(
        "SELECT id FROM credentials WHERE org_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(org)
    .bind(name)
    .bind(id)
    .fetch_optional(e)
    .await
    .map_err(db("checking a credential name"))
}

/// Inserts or replaces a credential of the scope's organization (writer side).
///
/// A name used by another credential is refused before writing. Another process may take the
/// name between the check and the insert; the insert then runs under its own savepoint, so the
/// unique index's refusal becomes [`StoreError::NameTaken`] without aborting the write group.
pub(crate) async fn put(
    tx: &mut Tx,
    scope: &TenantScope,
    c: &NewCredential,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let taken = |other_id| StoreError::NameTaken {
        what: "credential",
        name: c.name.clone(),
        other_id,
    };
    if let Some(other) = name_holder(tx.conn(), &scope.org_id, &c.name, &c.id).await? {
        return Err(taken(other));
    }
    tx.conn()
        .execute("SAVEPOINT credential")
        .await
        .map_err(db("starting a savepoint"))?;
    let stored = query(
        "INSERT INTO credentials (id, org_id, team_id, name, kind, sealed, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (org_id, id) DO UPDATE SET
             name = excluded.name, kind = excluded.kind, sealed = excluded.sealed,
             updated_at = excluded.updated_at",
    )
    .bind(&c.id)
    .bind(&scope.org_id)
    .bind(&scope.team_id)
    .bind(&c.name)
    .bind(&c.kind)
    .bind(&c.sealed)
    .bind(now)
    .execute(tx.conn())
    .await;
    match stored {
        Ok(_) => tx
            .conn()
            .execute("RELEASE SAVEPOINT credential")
            .await
            .map(drop)
            .map_err(db("ending a savepoint")),
        Err(e) if sqlstate(&e).as_deref() == Some(UNIQUE_VIOLATION) => {
            tx.conn()
                .execute("ROLLBACK TO SAVEPOINT credential; RELEASE SAVEPOINT credential")
                .await
                .map_err(db("rolling back a savepoint"))?;
            match name_holder(tx.conn(), &scope.org_id, &c.name, &c.id).await? {
                Some(other) => Err(taken(other)),
                None => Err(db("storing a credential")(e)),
            }
        }
        Err(e) => Err(db("storing a credential")(e)),
    }
}

const COLUMNS: &str = "id, name, kind, created_at, updated_at";

fn info(row: &PgRow) -> StoreResult<CredentialInfo> {
    let what = "credential";
    Ok(CredentialInfo {
        id: req(row, 0, what, "id")?,
        name: req(row, 1, what, "name")?,
        kind: req(row, 2, what, "kind")?,
        created_at: req(row, 3, what, "created_at")?,
        updated_at: req(row, 4, what, "updated_at")?,
    })
}

/// A credential with its sealed secret.
pub(crate) async fn get(
    pool: &PgPool,
    org: &str,
    id: &str,
) -> StoreResult<Option<(CredentialInfo, Vec<u8>)>> {
    let row = query(&format!(
        "SELECT {COLUMNS}, sealed FROM credentials WHERE org_id = $1 AND id = $2"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(db("reading a credential"))?;
    row.map(|row| Ok((info(&row)?, req(&row, 5, "credential", "sealed")?)))
        .transpose()
}

/// The organization's credentials by name.
pub(crate) async fn list(pool: &PgPool, org: &str) -> StoreResult<Vec<CredentialInfo>> {
    query(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE org_id = $1 ORDER BY name COLLATE \"C\""
    ))
    .bind(org)
    .fetch_all(pool)
    .await
    .map_err(db("listing credentials"))?
    .iter()
    .map(info)
    .collect()
}

/// Deletes a credential; whether there was one (writer side).
pub(crate) async fn delete(tx: &mut Tx, org: &str, id: &str) -> StoreResult<bool> {
    query("DELETE FROM credentials WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(db("deleting a credential"))
        .map(|done| done.rows_affected() > 0)
}
