//! Credential rows. The secret part arrives sealed; nothing here can read it.

use crate::rows::{db, opt_ts_from_row};
use rusqlite::{Connection, OptionalExtension, Row};
use weft_store_api::{CredentialInfo, NewCredential, StoreError, StoreResult, TenantScope};

/// Inserts or replaces a credential of the scope's organization.
pub(crate) fn put(
    conn: &Connection,
    scope: &TenantScope,
    c: &NewCredential,
    now: &str,
) -> StoreResult<()> {
    let holder: Option<String> = conn
        .prepare_cached("SELECT id FROM credentials WHERE org_id = ?1 AND name = ?2 AND id <> ?3")
        .and_then(|mut s| {
            s.query_row((&scope.org_id, &c.name, &c.id), |r| r.get(0))
                .optional()
        })
        .map_err(db("checking a credential name"))?;
    if let Some(other_id) = holder {
        return Err(StoreError::NameTaken {
            what: "credential",
            name: c.name.clone(),
            other_id,
        });
    }
    conn.prepare_cached(
        "INSERT INTO credentials (id, org_id, team_id, name, kind, sealed, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT (org_id, id) DO UPDATE SET
             name = excluded.name, kind = excluded.kind, sealed = excluded.sealed,
             updated_at = excluded.updated_at",
    )
    .and_then(|mut s| {
        s.execute((
            &c.id,
            &scope.org_id,
            &scope.team_id,
            &c.name,
            &c.kind,
            &c.sealed,
            now,
        ))
    })
    .map_err(db("storing a credential"))
    .map(|_| ())
}

const COLUMNS: &str = "id, name, kind, created_at, updated_at";

fn info(row: &Row<'_>) -> StoreResult<CredentialInfo> {
    let what = "credential";
    let get = |i: usize, name: &str| {
        row.get::<_, String>(i)
            .map_err(|e| StoreError::Database(format!("reading {what} column {name}: {e}")))
    };
    let ts = |i: usize, name: &str| {
        opt_ts_from_row(row, i, what, name)?
            .ok_or_else(|| StoreError::Database(format!("{what} column {name} is empty")))
    };
    Ok(CredentialInfo {
        id: get(0, "id")?,
        name: get(1, "name")?,
        kind: get(2, "kind")?,
        created_at: ts(3, "created_at")?,
        updated_at: ts(4, "updated_at")?,
    })
}

/// A credential with its sealed secret.
pub(crate) fn get(
    conn: &Connection,
    org: &str,
    id: &str,
) -> StoreResult<Option<(CredentialInfo, Vec<u8>)>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, sealed FROM credentials WHERE org_id = ?1 AND id = ?2"
        ))
        .map_err(db("reading a credential"))?;
    let mut rows = stmt.query((org, id)).map_err(db("reading a credential"))?;
    match rows.next().map_err(db("reading a credential"))? {
        None => Ok(None),
        Some(row) => {
            let sealed: Vec<u8> = row.get(5).map_err(db("reading a credential"))?;
            Ok(Some((info(row)?, sealed)))
        }
    }
}

/// The organization's credentials by name.
pub(crate) fn list(conn: &Connection, org: &str) -> StoreResult<Vec<CredentialInfo>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM credentials WHERE org_id = ?1 ORDER BY name"
        ))
        .map_err(db("listing credentials"))?;
    let mut rows = stmt.query([org]).map_err(db("listing credentials"))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db("listing credentials"))? {
        out.push(info(row)?);
    }
    Ok(out)
}

/// Deletes a credential; whether there was one.
pub(crate) fn delete(conn: &Connection, org: &str, id: &str) -> StoreResult<bool> {
    conn.prepare_cached("DELETE FROM credentials WHERE org_id = ?1 AND id = ?2")
        .and_then(|mut s| s.execute((org, id)))
        .map_err(db("deleting a credential"))
        .map(|n| n > 0)
}
