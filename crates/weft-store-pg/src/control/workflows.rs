//! Workflows and their numbered versions: the queries (any executor) and the mutations
//! (writer). The documents live in `workflow_versions`, stored with the same code as
//! [`weft_store_api::Store::put_workflow_version`].

use crate::rows::{db, get, parse_json, req, req_parsed, sqlstate, ts};
use crate::runs::insert_workflow_version;
use crate::writer::Tx;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde_json::Value;
use sqlx_core::executor::Executor;
use sqlx_core::query::query;
use sqlx_core::query_builder::QueryBuilder;
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::{PgPool, PgRow, Postgres};
use weft_store_api::control::{NewWorkflow, VersionRecord, WorkflowFilter, WorkflowRecord};
use weft_store_api::{Page, StoreError, StoreResult, TenantScope};

/// The columns [`workflow_from_row`] expects, in order.
const WORKFLOW_COLUMNS: &str = "w.id, w.org_id, w.team_id, w.name, w.description, w.tags, \
     w.latest_version, w.published_version, w.revision, w.created_at, w.updated_at";

/// The columns [`version_from_row`] expects, in order.
const VERSION_COLUMNS: &str =
    "n.workflow_id, n.number, n.version_id, n.author, n.message, n.created_at";

/// SQLSTATE of a unique violation.
const UNIQUE_VIOLATION: &str = "23505";

/// A document already encoded on the caller's task: its content-addressed id and JSON text.
pub(crate) struct EncodedDocument {
    /// [`crate::workflow_version_id`] of the document.
    pub(crate) id: String,
    /// The document's JSON text.
    pub(crate) text: String,
}

fn workflow_from_row(row: &PgRow) -> StoreResult<WorkflowRecord> {
    let id: String = req(row, 0, "workflow row", "id")?;
    let what = format!("workflow {id}");
    let w = what.as_str();
    Ok(WorkflowRecord {
        scope: TenantScope {
            org_id: req(row, 1, w, "org_id")?,
            team_id: get(row, 2, w, "team_id")?,
        },
        name: req(row, 3, w, "name")?,
        description: req(row, 4, w, "description")?,
        tags: req(row, 5, w, "tags")?,
        latest_version: req(row, 6, w, "latest_version")?,
        published_version: get(row, 7, w, "published_version")?,
        revision: req(row, 8, w, "revision")?,
        created_at: req(row, 9, w, "created_at")?,
        updated_at: req(row, 10, w, "updated_at")?,
        id,
    })
}

fn version_from_row(row: &PgRow) -> StoreResult<VersionRecord> {
    let workflow_id: String = req(row, 0, "workflow version row", "workflow_id")?;
    let what = format!("versions of workflow {workflow_id}");
    let w = what.as_str();
    Ok(VersionRecord {
        number: req(row, 1, w, "number")?,
        version_id: req(row, 2, w, "version_id")?,
        author: req(row, 3, w, "author")?,
        message: req(row, 4, w, "message")?,
        created_at: req(row, 5, w, "created_at")?,
        workflow_id,
    })
}

/// Tags as stored: sorted (bytewise) and unique.
fn normalize_tags(tags: &[String]) -> Vec<String> {
    let mut tags = tags.to_vec();
    tags.sort();
    tags.dedup();
    tags
}

/// A workflow of the organization; with `lock`, its row stays locked until the write
/// commits, so concurrent changes from other processes take turns (and see each other's
/// revision).
pub(crate) async fn get_workflow<'e, E>(
    e: E,
    org: &str,
    id: &str,
    lock: bool,
) -> StoreResult<Option<WorkflowRecord>>
where
    E: Executor<'e, Database = Postgres>,
{
    let lock = if lock { " FOR UPDATE" } else { "" };
    query(&format!(
        "SELECT {WORKFLOW_COLUMNS} FROM workflows w WHERE w.id = $1 AND w.org_id = $2{lock}"
    ))
    .bind(id)
    .bind(org)
    .fetch_optional(e)
    .await
    .map_err(db("reading a workflow"))?
    .map(|row| workflow_from_row(&row))
    .transpose()
}

/// Whether the organization has this workflow.
pub(crate) async fn workflow_exists<'e, E>(e: E, org: &str, id: &str) -> StoreResult<bool>
where
    E: Executor<'e, Database = Postgres>,
{
    query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM workflows WHERE id = $1 AND org_id = $2)")
        .bind(id)
        .bind(org)
        .fetch_one(e)
        .await
        .map_err(db("checking a workflow"))
}

/// Whether `w` passes the filter's search (already lowercased).
fn matches(w: &WorkflowRecord, needle: Option<&str>) -> bool {
    match needle {
        None => true,
        Some(n) => {
            w.name.to_lowercase().contains(n)
                || w.description.to_lowercase().contains(n)
                || w.tags.iter().any(|t| t.to_lowercase().contains(n))
        }
    }
}

/// A page of the organization's workflows by name (bytewise), after `cursor` (the last name
/// of the previous page). `limit` is at least one.
///
/// Tags (`@>`) and the published state filter in SQL; the search filters here, with Unicode
/// case folding as in SQLite (PostgreSQL's `lower` depends on the database's locale). Rows
/// stream in name order and the scan stops one match past the page.
pub(crate) async fn list_workflows(
    pool: &PgPool,
    org: &str,
    filter: &WorkflowFilter,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<Page<WorkflowRecord>> {
    let limit = limit.max(1);
    let mut sql = QueryBuilder::<Postgres>::new(format!(
        "SELECT {WORKFLOW_COLUMNS} FROM workflows w WHERE w.org_id = "
    ));
    sql.push_bind(org.to_owned());
    if let Some(after) = cursor {
        sql.push(" AND w.name > ").push_bind(after.to_owned());
    }
    match filter.published {
        Some(true) => {
            sql.push(" AND w.published_version IS NOT NULL");
        }
        Some(false) => {
            sql.push(" AND w.published_version IS NULL");
        }
        None => {}
    }
    if !filter.tags.is_empty() {
        sql.push(" AND w.tags @> ").push_bind(filter.tags.clone());
    }
    sql.push(" ORDER BY w.name");
    let needle = filter.search.as_deref().map(str::to_lowercase);

    let op = "listing workflows";
    let built = sql.build();
    let mut rows = built.fetch(pool);
    let mut items = Vec::new();
    let mut more = false;
    while let Some(row) = rows.try_next().await.map_err(db(op))? {
        let w = workflow_from_row(&row)?;
        if !matches(&w, needle.as_deref()) {
            continue;
        }
        if items.len() == limit {
            more = true;
            break;
        }
        items.push(w);
    }
    let next_cursor = if more {
        items.last().map(|w: &WorkflowRecord| w.name.clone())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// The workflow's versions, newest first; `NotFound` when the organization has no such
/// workflow.
pub(crate) async fn list_versions(
    pool: &PgPool,
    org: &str,
    workflow_id: &str,
) -> StoreResult<Vec<VersionRecord>> {
    if !workflow_exists(pool, org, workflow_id).await? {
        return Err(StoreError::NotFound {
            what: "workflow",
            id: workflow_id.to_owned(),
        });
    }
    query(&format!(
        "SELECT {VERSION_COLUMNS} FROM workflow_version_numbers n
         WHERE n.workflow_id = $1 ORDER BY n.number DESC"
    ))
    .bind(workflow_id)
    .fetch_all(pool)
    .await
    .map_err(db("listing workflow versions"))?
    .iter()
    .map(version_from_row)
    .collect()
}

/// One version of a workflow of the organization, with its document.
pub(crate) async fn get_version(
    pool: &PgPool,
    org: &str,
    workflow_id: &str,
    number: i64,
) -> StoreResult<Option<(VersionRecord, Value)>> {
    let row = query(&format!(
        "SELECT {VERSION_COLUMNS}, d.document::text
         FROM workflow_version_numbers n
         JOIN workflows w ON w.id = n.workflow_id
         JOIN workflow_versions d ON d.id = n.version_id
         WHERE n.workflow_id = $1 AND n.number = $2 AND w.org_id = $3"
    ))
    .bind(workflow_id)
    .bind(number)
    .bind(org)
    .fetch_optional(pool)
    .await
    .map_err(db("reading a workflow version"))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let version = version_from_row(&row)?;
    let what = format!("workflow {workflow_id} version {number}");
    let doc = req_parsed(&row, 6, &what, "document", parse_json)?;
    Ok(Some((version, doc)))
}

/// The document id of a version of a workflow (already known to be in the organization).
pub(crate) async fn version_id(
    tx: &mut Tx,
    workflow_id: &str,
    number: i64,
) -> StoreResult<Option<String>> {
    query_scalar::<_, String>(
        "SELECT version_id FROM workflow_version_numbers WHERE workflow_id = $1 AND number = $2",
    )
    .bind(workflow_id)
    .bind(number)
    .fetch_optional(tx.conn())
    .await
    .map_err(db("reading a workflow version's document id"))
}

/// The workflow, locked, checked to exist in the organization and to be at `expected`
/// revision.
pub(crate) async fn current(
    tx: &mut Tx,
    org: &str,
    id: &str,
    expected: Option<i64>,
) -> StoreResult<WorkflowRecord> {
    let Some(w) = get_workflow(tx.conn(), org, id, true).await? else {
        return Err(StoreError::NotFound {
            what: "workflow",
            id: id.to_owned(),
        });
    };
    match expected {
        Some(expected) if expected != w.revision => Err(StoreError::RevisionMismatch {
            what: "workflow",
            id: id.to_owned(),
            expected,
            actual: w.revision,
        }),
        _ => Ok(w),
    }
}

/// The other workflow of the organization that has `name`.
async fn name_holder(
    tx: &mut Tx,
    org: &str,
    name: &str,
    except_id: &str,
) -> StoreResult<Option<String>> {
    query_scalar::<_, String>(
        "SELECT id FROM workflows WHERE org_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(org)
    .bind(name)
    .bind(except_id)
    .fetch_optional(tx.conn())
    .await
    .map_err(db("checking a workflow name"))
}

fn name_taken(name: &str, other_id: String) -> StoreError {
    StoreError::NameTaken {
        what: "workflow",
        name: name.to_owned(),
        other_id,
    }
}

/// `NameTaken` when another workflow of the organization has `name`.
async fn check_name(tx: &mut Tx, org: &str, name: &str, except_id: &str) -> StoreResult<()> {
    match name_holder(tx, org, name, except_id).await? {
        Some(other_id) => Err(name_taken(name, other_id)),
        None => Ok(()),
    }
}

/// Stores the document (if new) and numbers it as version `w.latest_version` of the workflow,
/// created at `w.updated_at` (the caller has already moved both).
async fn insert_version(
    tx: &mut Tx,
    w: &WorkflowRecord,
    doc: &EncodedDocument,
    author: &str,
    message: &str,
) -> StoreResult<VersionRecord> {
    insert_workflow_version(tx, &w.scope, &doc.id, &w.name, &doc.text, w.updated_at).await?;
    let row = query(&format!(
        "INSERT INTO workflow_version_numbers AS n
             (workflow_id, number, version_id, author, message, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING {VERSION_COLUMNS}"
    ))
    .bind(&w.id)
    .bind(w.latest_version)
    .bind(&doc.id)
    .bind(author)
    .bind(message)
    .bind(w.updated_at)
    .fetch_one(tx.conn())
    .await
    .map_err(db("numbering a workflow version"))?;
    version_from_row(&row)
}

/// Creates a workflow and its version 1. A name taken by another process at the same moment
/// is `NameTaken` too: the insert waits for that process's write and then does nothing.
pub(crate) async fn create_workflow(
    tx: &mut Tx,
    scope: &TenantScope,
    wf: &NewWorkflow,
    doc: &EncodedDocument,
) -> StoreResult<(WorkflowRecord, VersionRecord)> {
    let org = scope.org_id.as_str();
    check_name(tx, org, &wf.name, &wf.id).await?;
    let id_used = query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM workflows WHERE id = $1)")
        .bind(&wf.id)
        .fetch_one(tx.conn())
        .await
        .map_err(db("checking a workflow id"))?;
    if id_used {
        return Err(StoreError::Database(format!(
            "creating a workflow: the id {} is already used",
            wf.id
        )));
    }
    let row = query(&format!(
        "INSERT INTO workflows AS w (id, org_id, team_id, name, description, tags,
                                     latest_version, published_version, revision,
                                     created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, NULL, 1, $7, $7)
         ON CONFLICT DO NOTHING
         RETURNING {WORKFLOW_COLUMNS}"
    ))
    .bind(&wf.id)
    .bind(org)
    .bind(&scope.team_id)
    .bind(&wf.name)
    .bind(&wf.description)
    .bind(normalize_tags(&wf.tags))
    .bind(ts(&wf.created_at))
    .fetch_optional(tx.conn())
    .await
    .map_err(db("creating a workflow"))?;
    let Some(row) = row else {
        return Err(match name_holder(tx, org, &wf.name, &wf.id).await? {
            Some(other_id) => name_taken(&wf.name, other_id),
            None => StoreError::Database(format!(
                "creating a workflow: the id {} is already used",
                wf.id
            )),
        });
    };
    let record = workflow_from_row(&row)?;
    let version = insert_version(tx, &record, doc, &wf.author, &wf.message).await?;
    Ok((record, version))
}

/// What [`update_workflow`] applies, with the new version's document already encoded.
pub(crate) struct EncodedUpdate {
    /// New name.
    pub(crate) name: Option<String>,
    /// New description.
    pub(crate) description: Option<String>,
    /// New tags.
    pub(crate) tags: Option<Vec<String>>,
    /// A version to append: the document, author and message.
    pub(crate) version: Option<(EncodedDocument, String, String)>,
    /// Time of the change.
    pub(crate) at: DateTime<Utc>,
}

/// Changes a workflow of the organization, appending a version if one is given. Every
/// successful call is a change: the revision goes up by one.
///
/// A rename runs its `UPDATE` under a savepoint: another process may take the name between
/// the check and the update, and the unique index's refusal must become `NameTaken` without
/// aborting the whole write group.
pub(crate) async fn update_workflow(
    tx: &mut Tx,
    org: &str,
    id: &str,
    expected: Option<i64>,
    update: &EncodedUpdate,
) -> StoreResult<(WorkflowRecord, Option<VersionRecord>)> {
    let mut w = current(tx, org, id, expected).await?;
    let renamed = update.name.as_ref().filter(|n| **n != w.name).cloned();
    if let Some(name) = &renamed {
        check_name(tx, org, name, id).await?;
        w.name = name.clone();
    }
    if let Some(description) = &update.description {
        w.description = description.clone();
    }
    if let Some(tags) = &update.tags {
        w.tags = normalize_tags(tags);
    }
    w.revision += 1;
    w.updated_at = ts(&update.at);
    if renamed.is_some() {
        tx.conn()
            .execute("SAVEPOINT rename")
            .await
            .map_err(db("starting a savepoint"))?;
    }
    let updated = query(
        "UPDATE workflows SET name = $2, description = $3, tags = $4, latest_version = $5,
                              revision = $6, updated_at = $7
         WHERE id = $1",
    )
    .bind(id)
    .bind(&w.name)
    .bind(&w.description)
    .bind(&w.tags)
    .bind(w.latest_version + i64::from(update.version.is_some()))
    .bind(w.revision)
    .bind(w.updated_at)
    .execute(tx.conn())
    .await;
    match updated {
        Ok(_) if renamed.is_some() => {
            tx.conn()
                .execute("RELEASE SAVEPOINT rename")
                .await
                .map_err(db("ending a savepoint"))?;
        }
        Ok(_) => {}
        Err(e) if renamed.is_some() && sqlstate(&e).as_deref() == Some(UNIQUE_VIOLATION) => {
            tx.conn()
                .execute("ROLLBACK TO SAVEPOINT rename; RELEASE SAVEPOINT rename")
                .await
                .map_err(db("rolling back a savepoint"))?;
            return Err(match name_holder(tx, org, &w.name, id).await? {
                Some(other_id) => name_taken(&w.name, other_id),
                None => db("updating a workflow")(e),
            });
        }
        Err(e) => return Err(db("updating a workflow")(e)),
    }
    let version = match &update.version {
        Some((doc, author, message)) => {
            w.latest_version += 1;
            Some(insert_version(tx, &w, doc, author, message).await?)
        }
        None => None,
    };
    Ok((w, version))
}

/// Deletes a workflow of the organization with its version numbers and trigger rows (the
/// documents and runs stay). False when not found.
pub(crate) async fn delete_workflow(
    tx: &mut Tx,
    org: &str,
    id: &str,
    expected: Option<i64>,
) -> StoreResult<bool> {
    match current(tx, org, id, expected).await {
        Err(StoreError::NotFound { .. }) => return Ok(false),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    super::triggers::remove_all(tx, id).await?;
    query("DELETE FROM workflow_version_numbers WHERE workflow_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(db("deleting a workflow's versions"))?;
    query("DELETE FROM workflows WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(db("deleting a workflow"))?;
    Ok(true)
}

/// Sets the published version (or none) and counts the change.
pub(crate) async fn set_published(
    tx: &mut Tx,
    w: &mut WorkflowRecord,
    version: Option<i64>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    w.published_version = version;
    w.revision += 1;
    w.updated_at = ts(&at);
    query(
        "UPDATE workflows SET published_version = $2, revision = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(&w.id)
    .bind(version)
    .bind(w.revision)
    .bind(w.updated_at)
    .execute(tx.conn())
    .await
    .map_err(db("publishing a workflow"))
    .map(drop)
}
