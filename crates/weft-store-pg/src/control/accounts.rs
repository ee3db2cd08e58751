//! Organizations, users and keys: the queries (any executor) and the mutations (writer).

use crate::rows::{db, get, req, req_parsed, ts};
use crate::writer::Tx;
use chrono::{DateTime, Utc};
use sqlx_core::executor::Executor;
use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::{PgPool, PgRow, Postgres};
use weft_store_api::control::{KeyInfo, KeyKind, NewKey, Org, Role, User};
use weft_store_api::{StoreError, StoreResult};

/// The columns [`user_from_row`] expects, in order.
const USER_COLUMNS: &str = "u.id, u.org_id, u.email, u.name, u.role, u.created_at";

/// The columns [`key_from_row`] expects, in order.
const KEY_COLUMNS: &str = "k.id, k.org_id, k.user_id, k.kind, k.name, k.prefix, k.scopes, \
     k.created_at, k.expires_at, k.revoked_at, k.last_used_at";

/// A key is usable at `$2` when this holds (for a `keys k` row).
const KEY_VALID: &str = "k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $2)";

/// Key of the transaction-level advisory lock `bootstrap` takes, so that of two processes
/// starting at once on an empty database exactly one creates the first organization
/// (`"weftboot"` in ASCII).
const BOOTSTRAP_LOCK: i64 = 0x7765_6674_626f_6f74;

fn org_from_row(row: &PgRow) -> StoreResult<Org> {
    let id: String = req(row, 0, "organization row", "id")?;
    let what = format!("organization {id}");
    Ok(Org {
        name: req(row, 1, &what, "name")?,
        created_at: req(row, 2, &what, "created_at")?,
        id,
    })
}

/// Decodes [`USER_COLUMNS`] starting at column `at`.
fn user_from_row(row: &PgRow, at: usize) -> StoreResult<User> {
    let id: String = req(row, at, "user row", "id")?;
    let what = format!("user {id}");
    let w = what.as_str();
    Ok(User {
        org_id: req(row, at + 1, w, "org_id")?,
        email: req(row, at + 2, w, "email")?,
        name: req(row, at + 3, w, "name")?,
        role: req_parsed(row, at + 4, w, "role", |s| {
            Role::parse(s).ok_or_else(|| format!("unknown role {s:?}"))
        })?,
        created_at: req(row, at + 5, w, "created_at")?,
        id,
    })
}

/// Decodes [`KEY_COLUMNS`] (columns 0 to 10).
fn key_from_row(row: &PgRow) -> StoreResult<KeyInfo> {
    let id: String = req(row, 0, "key row", "id")?;
    let what = format!("key {id}");
    let w = what.as_str();
    Ok(KeyInfo {
        org_id: req(row, 1, w, "org_id")?,
        user_id: req(row, 2, w, "user_id")?,
        kind: req_parsed(row, 3, w, "kind", |s| {
            KeyKind::parse(s).ok_or_else(|| format!("unknown key kind {s:?}"))
        })?,
        name: req(row, 4, w, "name")?,
        prefix: req(row, 5, w, "prefix")?,
        scopes: req(row, 6, w, "scopes")?,
        created_at: req(row, 7, w, "created_at")?,
        expires_at: get(row, 8, w, "expires_at")?,
        revoked_at: get(row, 9, w, "revoked_at")?,
        last_used_at: get(row, 10, w, "last_used_at")?,
        id,
    })
}

fn key_and_user(row: &PgRow) -> StoreResult<(KeyInfo, User)> {
    Ok((key_from_row(row)?, user_from_row(row, 11)?))
}

/// An organization.
pub(crate) async fn get_org(pool: &PgPool, id: &str) -> StoreResult<Option<Org>> {
    query("SELECT id, name, created_at FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db("reading an organization"))?
        .map(|row| org_from_row(&row))
        .transpose()
}

/// A user of the organization.
pub(crate) async fn get_user<'e, E>(e: E, org: &str, id: &str) -> StoreResult<Option<User>>
where
    E: Executor<'e, Database = Postgres>,
{
    query(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND u.org_id = $2"
    ))
    .bind(id)
    .bind(org)
    .fetch_optional(e)
    .await
    .map_err(db("reading a user"))?
    .map(|row| user_from_row(&row, 0))
    .transpose()
}

/// The organization's users by email.
pub(crate) async fn list_users(pool: &PgPool, org: &str) -> StoreResult<Vec<User>> {
    query(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 ORDER BY u.email"
    ))
    .bind(org)
    .fetch_all(pool)
    .await
    .map_err(db("listing users"))?
    .iter()
    .map(|row| user_from_row(row, 0))
    .collect()
}

async fn insert_org(tx: &mut Tx, org: &Org) -> StoreResult<Option<Org>> {
    query(
        "INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO NOTHING RETURNING id, name, created_at",
    )
    .bind(&org.id)
    .bind(&org.name)
    .bind(ts(&org.created_at))
    .fetch_optional(tx.conn())
    .await
    .map_err(db("creating an organization"))?
    .map(|row| org_from_row(&row))
    .transpose()
}

/// Creates another organization. `NameTaken` when its id is used.
pub(crate) async fn create_org(tx: &mut Tx, org: &Org) -> StoreResult<Org> {
    insert_org(tx, org)
        .await?
        .ok_or_else(|| StoreError::NameTaken {
            what: "organization",
            name: org.id.clone(),
            other_id: org.id.clone(),
        })
}

/// The user with this email or, without one, the first admin of the oldest organization.
pub(crate) async fn find_user(pool: &PgPool, email: Option<&str>) -> StoreResult<Option<User>> {
    let row = match email {
        Some(e) => query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1"
        ))
        .bind(e)
        .fetch_optional(pool)
        .await
        .map_err(db("finding a user"))?,
        None => query(&format!(
            "SELECT {USER_COLUMNS} FROM users u JOIN orgs o ON o.id = u.org_id
             WHERE u.role = 'admin' ORDER BY o.created_at, u.created_at LIMIT 1"
        ))
        .fetch_optional(pool)
        .await
        .map_err(db("finding the first admin"))?,
    };
    row.map(|row| user_from_row(&row, 0)).transpose()
}

/// Creates the first organization and its admin, unless an organization exists. Processes
/// starting at once take turns on an advisory lock held until the write commits, so the
/// second one sees the first one's organization.
pub(crate) async fn bootstrap(
    tx: &mut Tx,
    org: &Org,
    admin: &User,
) -> StoreResult<Option<(Org, User)>> {
    query("SELECT pg_advisory_xact_lock($1)")
        .bind(BOOTSTRAP_LOCK)
        .execute(tx.conn())
        .await
        .map_err(db("taking the bootstrap lock"))?;
    let exists = query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM orgs)")
        .fetch_one(tx.conn())
        .await
        .map_err(db("checking for an organization"))?;
    if exists {
        return Ok(None);
    }
    // Refusals come before writes (see `Writer::call`).
    if let Some(other_id) = email_holder(tx, &admin.email).await? {
        return Err(StoreError::NameTaken {
            what: "user",
            name: admin.email.clone(),
            other_id,
        });
    }
    let org = insert_org(tx, org)
        .await?
        .ok_or_else(|| StoreError::Database("creating the first organization".into()))?;
    match insert_user(tx, &org.id, admin).await {
        Ok(admin) => Ok(Some((org, admin))),
        // The email was taken a moment ago, after the organization was written: a database
        // error makes the writer roll back and apply this again, and then the check above
        // refuses it before writing.
        Err(e @ StoreError::Database(_)) => Err(e),
        Err(e) => Err(StoreError::Database(format!(
            "creating the first organization's admin: {e}"
        ))),
    }
}

/// The user holding `email`, if any.
async fn email_holder(tx: &mut Tx, email: &str) -> StoreResult<Option<String>> {
    query_scalar::<_, String>("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(tx.conn())
        .await
        .map_err(db("checking a user's email"))
}

/// Creates a user in `org` (whatever `user.org_id` says). `NameTaken` for a used email, also
/// when another process takes it at the same moment (the insert then does nothing).
pub(crate) async fn insert_user(tx: &mut Tx, org: &str, user: &User) -> StoreResult<User> {
    let taken = |other_id| StoreError::NameTaken {
        what: "user",
        name: user.email.clone(),
        other_id,
    };
    if let Some(other_id) = email_holder(tx, &user.email).await? {
        return Err(taken(other_id));
    }
    let row = query(&format!(
        "INSERT INTO users AS u (id, org_id, email, name, role, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING RETURNING {USER_COLUMNS}"
    ))
    .bind(&user.id)
    .bind(org)
    .bind(&user.email)
    .bind(&user.name)
    .bind(user.role.as_str())
    .bind(ts(&user.created_at))
    .fetch_optional(tx.conn())
    .await
    .map_err(db("creating a user"))?;
    match row {
        Some(row) => user_from_row(&row, 0),
        None => match email_holder(tx, &user.email).await? {
            Some(other_id) => Err(taken(other_id)),
            None => Err(StoreError::Database(format!(
                "creating a user: the id {} is already used",
                user.id
            ))),
        },
    }
}

/// Stores a key for a user of `org`; `NotFound` when the user is not in it.
pub(crate) async fn create_key(tx: &mut Tx, org: &str, key: &NewKey) -> StoreResult<KeyInfo> {
    if get_user(tx.conn(), org, &key.user_id).await?.is_none() {
        return Err(StoreError::NotFound {
            what: "user",
            id: key.user_id.clone(),
        });
    }
    let row = query(&format!(
        "INSERT INTO keys AS k (id, org_id, user_id, kind, name, prefix, secret_hash, scopes,
                                created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING {KEY_COLUMNS}"
    ))
    .bind(&key.id)
    .bind(org)
    .bind(&key.user_id)
    .bind(key.kind.as_str())
    .bind(&key.name)
    .bind(&key.prefix)
    .bind(&key.secret_hash)
    .bind(&key.scopes)
    .bind(ts(&key.created_at))
    .bind(key.expires_at.as_ref().map(ts))
    .fetch_one(tx.conn())
    .await
    .map_err(db("storing a key"))?;
    key_from_row(&row)
}

/// The usable key with this secret hash at `now`, and its user.
pub(crate) async fn valid_key(
    pool: &PgPool,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(KeyInfo, User)>> {
    query(&format!(
        "SELECT {KEY_COLUMNS}, {USER_COLUMNS} FROM keys k JOIN users u ON u.id = k.user_id
         WHERE k.secret_hash = $1 AND {KEY_VALID}"
    ))
    .bind(secret_hash)
    .bind(ts(&now))
    .fetch_optional(pool)
    .await
    .map_err(db("authenticating"))?
    .map(|row| key_and_user(&row))
    .transpose()
}

/// Consumes a one-time login key: marks it revoked if it is still usable at `now`, and returns
/// it (as now stored) with its user; `None` when another caller consumed it first. Concurrent
/// updates of the row wait for each other and recheck the condition, so one wins.
pub(crate) async fn consume_login(
    tx: &mut Tx,
    key_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(KeyInfo, User)>> {
    let changed = query(
        "UPDATE keys SET revoked_at = $2
         WHERE id = $1 AND kind = 'login' AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(key_id)
    .bind(ts(&now))
    .execute(tx.conn())
    .await
    .map_err(db("consuming a sign-in link"))?;
    if changed.rows_affected() == 0 {
        return Ok(None);
    }
    query(&format!(
        "SELECT {KEY_COLUMNS}, {USER_COLUMNS} FROM keys k JOIN users u ON u.id = k.user_id
         WHERE k.id = $1"
    ))
    .bind(key_id)
    .fetch_optional(tx.conn())
    .await
    .map_err(db("reading a consumed sign-in link"))?
    .map(|row| key_and_user(&row))
    .transpose()
}

/// When a key was last used (`None` for an unknown key).
pub(crate) async fn last_used(
    pool: &PgPool,
    key_id: &str,
) -> StoreResult<Option<Option<DateTime<Utc>>>> {
    query_scalar::<_, Option<DateTime<Utc>>>("SELECT last_used_at FROM keys WHERE id = $1")
        .bind(key_id)
        .fetch_optional(pool)
        .await
        .map_err(db("reading a key's last use"))
}

/// Records a use at `at` unless one was recorded at or after `stale_before`.
pub(crate) async fn touch_key(
    tx: &mut Tx,
    key_id: &str,
    at: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> StoreResult<()> {
    query(
        "UPDATE keys SET last_used_at = $2
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(key_id)
    .bind(ts(&at))
    .bind(ts(&stale_before))
    .execute(tx.conn())
    .await
    .map_err(db("recording a key's use"))
    .map(drop)
}

/// A key of the organization.
pub(crate) async fn get_key(pool: &PgPool, org: &str, id: &str) -> StoreResult<Option<KeyInfo>> {
    query(&format!(
        "SELECT {KEY_COLUMNS} FROM keys k WHERE k.id = $1 AND k.org_id = $2"
    ))
    .bind(id)
    .bind(org)
    .fetch_optional(pool)
    .await
    .map_err(db("reading a key"))?
    .map(|row| key_from_row(&row))
    .transpose()
}

/// The organization's keys of `kind` (only `user_id`'s when given), newest first.
pub(crate) async fn list_keys(
    pool: &PgPool,
    org: &str,
    kind: KeyKind,
    user_id: Option<&str>,
) -> StoreResult<Vec<KeyInfo>> {
    query(&format!(
        "SELECT {KEY_COLUMNS} FROM keys k
         WHERE k.org_id = $1 AND k.kind = $2 AND ($3::text IS NULL OR k.user_id = $3)
         ORDER BY k.created_at DESC, k.id DESC"
    ))
    .bind(org)
    .bind(kind.as_str())
    .bind(user_id)
    .fetch_all(pool)
    .await
    .map_err(db("listing keys"))?
    .iter()
    .map(key_from_row)
    .collect()
}

/// Revokes a key of the organization; false when not found or already revoked.
pub(crate) async fn revoke_key(
    tx: &mut Tx,
    org: &str,
    id: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    query("UPDATE keys SET revoked_at = $3 WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL")
        .bind(id)
        .bind(org)
        .bind(ts(&at))
        .execute(tx.conn())
        .await
        .map_err(db("revoking a key"))
        .map(|done| done.rows_affected() > 0)
}
