//! Organizations, users and keys: the queries (any connection) and the mutations (writer).

use super::sql::{all, first};
use crate::rows::{db, parse_strings, parse_ts, parsed, req_parsed, req_text, strings_json, ts};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};
use weft_store_api::control::{KeyInfo, KeyKind, NewKey, Org, Role, User};
use weft_store_api::{StoreError, StoreResult};

/// The columns [`user_from_row`] expects, in order.
const USER_COLUMNS: &str = "u.id, u.org_id, u.email, u.name, u.role, u.created_at";

/// The columns [`key_from_row`] expects, in order.
const KEY_COLUMNS: &str = "k.id, k.org_id, k.user_id, k.kind, k.name, k.prefix, k.scopes, \
     k.created_at, k.expires_at, k.revoked_at, k.last_used_at";

/// A key is usable at `?now` when this holds (for a `keys k` row).
const KEY_VALID: &str = "k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?2)";

fn org_from_row(row: &Row<'_>) -> StoreResult<Org> {
    let id = req_text(row, 0, "organization row", "id")?;
    let what = format!("organization {id}");
    Ok(Org {
        name: req_text(row, 1, &what, "name")?,
        created_at: req_parsed(row, 2, &what, "created_at", parse_ts)?,
        id,
    })
}

/// Decodes [`USER_COLUMNS`] starting at column `at`.
fn user_from_row(row: &Row<'_>, at: usize) -> StoreResult<User> {
    let id = req_text(row, at, "user row", "id")?;
    let what = format!("user {id}");
    let w = what.as_str();
    Ok(User {
        org_id: req_text(row, at + 1, w, "org_id")?,
        email: req_text(row, at + 2, w, "email")?,
        name: req_text(row, at + 3, w, "name")?,
        role: req_parsed(row, at + 4, w, "role", |s| {
            Role::parse(s).ok_or_else(|| format!("unknown role {s:?}"))
        })?,
        created_at: req_parsed(row, at + 5, w, "created_at", parse_ts)?,
        id,
    })
}

/// Decodes [`KEY_COLUMNS`] (columns 0 to 10).
fn key_from_row(row: &Row<'_>) -> StoreResult<KeyInfo> {
    let id = req_text(row, 0, "key row", "id")?;
    let what = format!("key {id}");
    let w = what.as_str();
    Ok(KeyInfo {
        org_id: req_text(row, 1, w, "org_id")?,
        user_id: req_text(row, 2, w, "user_id")?,
        kind: req_parsed(row, 3, w, "kind", |s| {
            KeyKind::parse(s).ok_or_else(|| format!("unknown key kind {s:?}"))
        })?,
        name: req_text(row, 4, w, "name")?,
        prefix: req_text(row, 5, w, "prefix")?,
        scopes: req_parsed(row, 6, w, "scopes", parse_strings)?,
        created_at: req_parsed(row, 7, w, "created_at", parse_ts)?,
        expires_at: parsed(row, 8, w, "expires_at", parse_ts)?,
        revoked_at: parsed(row, 9, w, "revoked_at", parse_ts)?,
        last_used_at: parsed(row, 10, w, "last_used_at", parse_ts)?,
        id,
    })
}

/// An organization.
pub(crate) fn get_org(conn: &Connection, id: &str) -> StoreResult<Option<Org>> {
    first(
        conn,
        "reading an organization",
        "SELECT id, name, created_at FROM orgs WHERE id = ?1",
        [id],
        org_from_row,
    )
}

/// A user of the organization.
pub(crate) fn get_user(conn: &Connection, org: &str, id: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1 AND u.org_id = ?2");
    first(conn, "reading a user", &sql, (id, org), |r| {
        user_from_row(r, 0)
    })
}

/// The organization's users by email.
pub(crate) fn list_users(conn: &Connection, org: &str) -> StoreResult<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = ?1 ORDER BY u.email");
    all(conn, "listing users", &sql, [org], |r| user_from_row(r, 0))
}

/// Creates another organization. `NameTaken` when its id is used.
pub(crate) fn create_org(conn: &Connection, org: Org) -> StoreResult<Org> {
    let taken: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM orgs WHERE id = ?1)")
        .and_then(|mut s| s.query_row([&org.id], |r| r.get(0)))
        .map_err(db("checking an organization id"))?;
    if taken {
        return Err(StoreError::NameTaken {
            what: "organization",
            name: org.id.clone(),
            other_id: org.id,
        });
    }
    conn.prepare_cached("INSERT INTO orgs (id, name, created_at) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute((&org.id, &org.name, ts(&org.created_at))))
        .map_err(db("creating an organization"))?;
    Ok(org)
}

/// The user with this email or, without one, the first admin of the oldest organization.
pub(crate) fn find_user(conn: &Connection, email: Option<&str>) -> StoreResult<Option<User>> {
    match email {
        Some(e) => {
            let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = ?1");
            first(conn, "finding a user", &sql, [e], |r| user_from_row(r, 0))
        }
        None => {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users u JOIN orgs o ON o.id = u.org_id \
                 WHERE u.role = 'admin' ORDER BY o.created_at, u.created_at LIMIT 1"
            );
            first(conn, "finding the first admin", &sql, [], |r| {
                user_from_row(r, 0)
            })
        }
    }
}

/// Creates the first organization and its admin, unless an organization exists.
pub(crate) fn bootstrap(
    conn: &Connection,
    org: Org,
    admin: User,
) -> StoreResult<Option<(Org, User)>> {
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM orgs)")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(db("checking for an organization"))?;
    if exists {
        return Ok(None);
    }
    conn.prepare_cached("INSERT INTO orgs (id, name, created_at) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute((&org.id, &org.name, ts(&org.created_at))))
        .map_err(db("creating an organization"))?;
    let admin = insert_user(conn, &org.id, admin)?;
    Ok(Some((org, admin)))
}

/// Creates a user in `org` (whatever `user.org_id` says). `NameTaken` for a used email.
pub(crate) fn insert_user(conn: &Connection, org: &str, mut user: User) -> StoreResult<User> {
    user.org_id = org.to_owned();
    let holder: Option<String> = conn
        .prepare_cached("SELECT id FROM users WHERE email = ?1")
        .and_then(|mut s| s.query_row([&user.email], |r| r.get(0)).optional())
        .map_err(db("checking a user's email"))?;
    if let Some(other_id) = holder {
        return Err(StoreError::NameTaken {
            what: "user",
            name: user.email,
            other_id,
        });
    }
    conn.prepare_cached(
        "INSERT INTO users (id, org_id, email, name, role, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute((
            &user.id,
            &user.org_id,
            &user.email,
            &user.name,
            user.role.as_str(),
            ts(&user.created_at),
        ))
    })
    .map_err(db("creating a user"))?;
    Ok(user)
}

/// Stores a key for a user of `org`; `NotFound` when the user is not in it.
pub(crate) fn create_key(conn: &Connection, org: &str, key: NewKey) -> StoreResult<KeyInfo> {
    if get_user(conn, org, &key.user_id)?.is_none() {
        return Err(StoreError::NotFound {
            what: "user",
            id: key.user_id,
        });
    }
    conn.prepare_cached(
        "INSERT INTO keys (id, org_id, user_id, kind, name, prefix, secret_hash, scopes,
                           created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut s| {
        s.execute((
            &key.id,
            org,
            &key.user_id,
            key.kind.as_str(),
            &key.name,
            &key.prefix,
            &key.secret_hash,
            strings_json(&key.scopes),
            ts(&key.created_at),
            key.expires_at.as_ref().map(ts),
        ))
    })
    .map_err(db("storing a key"))?;
    Ok(KeyInfo {
        id: key.id,
        org_id: org.to_owned(),
        user_id: key.user_id,
        kind: key.kind,
        name: key.name,
        prefix: key.prefix,
        scopes: key.scopes,
        created_at: key.created_at,
        expires_at: key.expires_at,
        revoked_at: None,
        last_used_at: None,
    })
}

/// The usable key with this secret hash at `now`, and its user.
pub(crate) fn valid_key(
    conn: &Connection,
    secret_hash: &str,
    now: &DateTime<Utc>,
) -> StoreResult<Option<(KeyInfo, User)>> {
    let sql = format!(
        "SELECT {KEY_COLUMNS}, {USER_COLUMNS} FROM keys k JOIN users u ON u.id = k.user_id
         WHERE k.secret_hash = ?1 AND {KEY_VALID}"
    );
    first(conn, "authenticating", &sql, (secret_hash, ts(now)), |r| {
        Ok((key_from_row(r)?, user_from_row(r, 11)?))
    })
}

/// Consumes a one-time login key: marks it revoked if it is still usable at `now`, and returns
/// it (as now stored) with its user; `None` when another caller consumed it first.
pub(crate) fn consume_login(
    conn: &Connection,
    key_id: &str,
    now: &DateTime<Utc>,
) -> StoreResult<Option<(KeyInfo, User)>> {
    let changed = conn
        .prepare_cached(
            "UPDATE keys SET revoked_at = ?2
             WHERE id = ?1 AND kind = 'login' AND revoked_at IS NULL
               AND (expires_at IS NULL OR expires_at > ?2)",
        )
        .and_then(|mut s| s.execute((key_id, ts(now))))
        .map_err(db("consuming a sign-in link"))?;
    if changed == 0 {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {KEY_COLUMNS}, {USER_COLUMNS} FROM keys k JOIN users u ON u.id = k.user_id
         WHERE k.id = ?1"
    );
    first(
        conn,
        "reading a consumed sign-in link",
        &sql,
        [key_id],
        |r| Ok((key_from_row(r)?, user_from_row(r, 11)?)),
    )
}

/// When a key was last used (`None` for an unknown key).
pub(crate) fn last_used(conn: &Connection, key_id: &str) -> StoreResult<Option<Option<String>>> {
    conn.prepare_cached("SELECT last_used_at FROM keys WHERE id = ?1")
        .and_then(|mut s| s.query_row([key_id], |r| r.get(0)).optional())
        .map_err(db("reading a key's last use"))
}

/// Records a use at `at` unless one was recorded after `stale_before` (both stored timestamps).
pub(crate) fn touch_key(
    conn: &Connection,
    key_id: &str,
    at: &str,
    stale_before: &str,
) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE keys SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
    )
    .and_then(|mut s| s.execute((key_id, at, stale_before)))
    .map_err(db("recording a key's use"))
    .map(|_| ())
}

/// A key of the organization.
pub(crate) fn get_key(conn: &Connection, org: &str, id: &str) -> StoreResult<Option<KeyInfo>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM keys k WHERE k.id = ?1 AND k.org_id = ?2");
    first(conn, "reading a key", &sql, (id, org), key_from_row)
}

/// The organization's keys of `kind` (only `user_id`'s when given), newest first.
pub(crate) fn list_keys(
    conn: &Connection,
    org: &str,
    kind: KeyKind,
    user_id: Option<&str>,
) -> StoreResult<Vec<KeyInfo>> {
    let op = "listing keys";
    match user_id {
        Some(user) => {
            let sql = format!(
                "SELECT {KEY_COLUMNS} FROM keys k
                 WHERE k.user_id = ?1 AND k.kind = ?2 AND k.org_id = ?3
                 ORDER BY k.created_at DESC, k.id DESC"
            );
            all(conn, op, &sql, (user, kind.as_str(), org), key_from_row)
        }
        None => {
            let sql = format!(
                "SELECT {KEY_COLUMNS} FROM keys k WHERE k.org_id = ?1 AND k.kind = ?2
                 ORDER BY k.created_at DESC, k.id DESC"
            );
            all(conn, op, &sql, (org, kind.as_str()), key_from_row)
        }
    }
}

/// Revokes a key of the organization; false when not found or already revoked.
pub(crate) fn revoke_key(conn: &Connection, org: &str, id: &str, at: &str) -> StoreResult<bool> {
    conn.prepare_cached(
        "UPDATE keys SET revoked_at = ?3 WHERE id = ?1 AND org_id = ?2 AND revoked_at IS NULL",
    )
    .and_then(|mut s| s.execute((id, org, at)))
    .map_err(db("revoking a key"))
    .map(|n| n > 0)
}
