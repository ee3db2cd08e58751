//! Small query helpers shared by the control-plane modules.

use crate::rows::db;
use rusqlite::{Connection, Row};
use weft_store_api::StoreResult;

/// Runs `sql` with `params` and decodes every row with `decode`.
pub(crate) fn all<T, P: rusqlite::Params>(
    conn: &Connection,
    op: &'static str,
    sql: &str,
    params: P,
    decode: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db(op))?;
    let mut rows = stmt.query(params).map_err(db(op))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db(op))? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// Runs `sql` with `params` and decodes the first row, if any, with `decode`.
pub(crate) fn first<T, P: rusqlite::Params>(
    conn: &Connection,
    op: &'static str,
    sql: &str,
    params: P,
    decode: impl FnOnce(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db(op))?;
    let mut rows = stmt.query(params).map_err(db(op))?;
    match rows.next().map_err(db(op))? {
        Some(row) => decode(row).map(Some),
        None => Ok(None),
    }
}

/// Runs a `SELECT EXISTS (…)` query.
pub(crate) fn exists<P: rusqlite::Params>(
    conn: &Connection,
    op: &'static str,
    sql: &str,
    params: P,
) -> StoreResult<bool> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.query_row(params, |r| r.get(0)))
        .map_err(db(op))
}
