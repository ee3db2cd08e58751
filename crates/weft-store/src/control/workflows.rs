//! Workflows and their numbered versions: the queries (any connection) and the mutations
//! (writer). The documents live in `workflow_versions`, stored with the same code as
//! [`weft_store_api::Store::put_workflow_version`].

use super::sql::{all, exists, first};
use crate::rows::{
    db, int, json_from_text, opt_int, parse_strings, parse_ts, req_parsed, req_text, strings_json,
    text, ts,
};
use crate::runs::insert_workflow_version;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::Value;
use weft_store_api::control::{NewWorkflow, VersionRecord, WorkflowFilter, WorkflowRecord};
use weft_store_api::{Page, StoreError, StoreResult, TenantScope};

/// The columns [`workflow_from_row`] expects, in order.
const WORKFLOW_COLUMNS: &str = "id, org_id, team_id, name, description, tags, latest_version, \
     published_version, revision, created_at, updated_at";

/// The columns [`version_from_row`] expects, in order.
const VERSION_COLUMNS: &str =
    "n.workflow_id, n.number, n.version_id, n.author, n.message, n.created_at";

/// A document already encoded on the caller's thread: its content-addressed id and JSON text.
pub(crate) struct EncodedDocument {
    /// [`crate::workflow_version_id`] of the document.
    pub(crate) id: String,
    /// The document's JSON text.
    pub(crate) text: String,
}

fn workflow_from_row(row: &Row<'_>) -> StoreResult<WorkflowRecord> {
    let id = req_text(row, 0, "workflow row", "id")?;
    let what = format!("workflow {id}");
    let w = what.as_str();
    Ok(WorkflowRecord {
        scope: TenantScope {
            org_id: req_text(row, 1, w, "org_id")?,
            team_id: text(row, 2, w, "team_id")?,
        },
        name: req_text(row, 3, w, "name")?,
        description: req_text(row, 4, w, "description")?,
        tags: req_parsed(row, 5, w, "tags", parse_strings)?,
        latest_version: int(row, 6, w, "latest_version")?,
        published_version: opt_int(row, 7, w, "published_version")?,
        revision: int(row, 8, w, "revision")?,
        created_at: req_parsed(row, 9, w, "created_at", parse_ts)?,
        updated_at: req_parsed(row, 10, w, "updated_at", parse_ts)?,
        id,
    })
}

fn version_from_row(row: &Row<'_>) -> StoreResult<VersionRecord> {
    let workflow_id = req_text(row, 0, "workflow version row", "workflow_id")?;
    let what = format!("versions of workflow {workflow_id}");
    let w = what.as_str();
    Ok(VersionRecord {
        number: int(row, 1, w, "number")?,
        version_id: req_text(row, 2, w, "version_id")?,
        author: req_text(row, 3, w, "author")?,
        message: req_text(row, 4, w, "message")?,
        created_at: req_parsed(row, 5, w, "created_at", parse_ts)?,
        workflow_id,
    })
}

/// Tags as stored: sorted and unique.
fn normalize_tags(mut tags: Vec<String>) -> Vec<String> {
    tags.sort();
    tags.dedup();
    tags
}

/// A workflow of the organization.
pub(crate) fn get_workflow(
    conn: &Connection,
    org: &str,
    id: &str,
) -> StoreResult<Option<WorkflowRecord>> {
    let sql = format!("SELECT {WORKFLOW_COLUMNS} FROM workflows WHERE id = ?1 AND org_id = ?2");
    first(
        conn,
        "reading a workflow",
        &sql,
        (id, org),
        workflow_from_row,
    )
}

/// Whether the organization has this workflow.
pub(crate) fn workflow_exists(conn: &Connection, org: &str, id: &str) -> StoreResult<bool> {
    exists(
        conn,
        "checking a workflow",
        "SELECT EXISTS (SELECT 1 FROM workflows WHERE id = ?1 AND org_id = ?2)",
        (id, org),
    )
}

/// Whether `w` passes the filter's search (already lowercased) and tags.
fn matches(w: &WorkflowRecord, needle: Option<&str>, tags: &[String]) -> bool {
    if !tags.iter().all(|t| w.tags.contains(t)) {
        return false;
    }
    match needle {
        None => true,
        Some(n) => {
            w.name.to_lowercase().contains(n)
                || w.description.to_lowercase().contains(n)
                || w.tags.iter().any(|t| t.to_lowercase().contains(n))
        }
    }
}

/// A page of the organization's workflows by name, after `cursor` (the last name of the
/// previous page). `limit` is at least one.
///
/// The search and tag filters are applied here rather than in SQL: Unicode-aware case folding
/// (SQLite's `lower` only folds ASCII) and no dependence on the JSON functions. The scan walks
/// the `(org_id, name)` index and stops after one match past the page.
pub(crate) fn list_workflows(
    conn: &Connection,
    org: &str,
    filter: &WorkflowFilter,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<Page<WorkflowRecord>> {
    let limit = limit.max(1);
    let mut sql = format!("SELECT {WORKFLOW_COLUMNS} FROM workflows WHERE org_id = ?");
    let mut params = vec![SqlValue::Text(org.to_owned())];
    if let Some(after) = cursor {
        sql.push_str(" AND name > ?");
        params.push(SqlValue::Text(after.to_owned()));
    }
    match filter.published {
        Some(true) => sql.push_str(" AND published_version IS NOT NULL"),
        Some(false) => sql.push_str(" AND published_version IS NULL"),
        None => {}
    }
    sql.push_str(" ORDER BY name");
    let needle = filter.search.as_deref().map(str::to_lowercase);

    let op = "listing workflows";
    let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(db(op))?;
    let mut items = Vec::new();
    let mut more = false;
    while let Some(row) = rows.next().map_err(db(op))? {
        let w = workflow_from_row(row)?;
        if !matches(&w, needle.as_deref(), &filter.tags) {
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
pub(crate) fn list_versions(
    conn: &Connection,
    org: &str,
    workflow_id: &str,
) -> StoreResult<Vec<VersionRecord>> {
    if !workflow_exists(conn, org, workflow_id)? {
        return Err(StoreError::NotFound {
            what: "workflow",
            id: workflow_id.to_owned(),
        });
    }
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM workflow_version_numbers n
         WHERE n.workflow_id = ?1 ORDER BY n.number DESC"
    );
    all(
        conn,
        "listing workflow versions",
        &sql,
        [workflow_id],
        version_from_row,
    )
}

/// One version of a workflow of the organization, with its document.
pub(crate) fn get_version(
    conn: &Connection,
    org: &str,
    workflow_id: &str,
    number: i64,
) -> StoreResult<Option<(VersionRecord, Value)>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS}, d.document
         FROM workflow_version_numbers n
         JOIN workflows w ON w.id = n.workflow_id
         JOIN workflow_versions d ON d.id = n.version_id
         WHERE n.workflow_id = ?1 AND n.number = ?2 AND w.org_id = ?3"
    );
    first(
        conn,
        "reading a workflow version",
        &sql,
        (workflow_id, number, org),
        |row| {
            let version = version_from_row(row)?;
            let what = format!("workflow {workflow_id} version {number}");
            let doc = req_text(row, 6, &what, "document")?;
            Ok((version, json_from_text(&doc, &what, "document")?))
        },
    )
}

/// The document id of a version of a workflow (already known to be in the organization).
pub(crate) fn version_id(
    conn: &Connection,
    workflow_id: &str,
    number: i64,
) -> StoreResult<Option<String>> {
    conn.prepare_cached(
        "SELECT version_id FROM workflow_version_numbers WHERE workflow_id = ?1 AND number = ?2",
    )
    .and_then(|mut s| s.query_row((workflow_id, number), |r| r.get(0)).optional())
    .map_err(db("reading a workflow version's document id"))
}

/// The workflow, checked to exist in the organization and to be at `expected` revision.
pub(crate) fn current(
    conn: &Connection,
    org: &str,
    id: &str,
    expected: Option<i64>,
) -> StoreResult<WorkflowRecord> {
    let Some(w) = get_workflow(conn, org, id)? else {
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

/// `NameTaken` when another workflow of the organization has `name`.
fn check_name(conn: &Connection, org: &str, name: &str, except_id: &str) -> StoreResult<()> {
    let holder: Option<String> = conn
        .prepare_cached("SELECT id FROM workflows WHERE org_id = ?1 AND name = ?2 AND id <> ?3")
        .and_then(|mut s| s.query_row((org, name, except_id), |r| r.get(0)).optional())
        .map_err(db("checking a workflow name"))?;
    match holder {
        Some(other_id) => Err(StoreError::NameTaken {
            what: "workflow",
            name: name.to_owned(),
            other_id,
        }),
        None => Ok(()),
    }
}

/// Stores the document (if new) and numbers it as version `w.latest_version` of the workflow,
/// created at `w.updated_at` (the caller has already moved both).
fn insert_version(
    conn: &Connection,
    w: &WorkflowRecord,
    doc: &EncodedDocument,
    author: String,
    message: String,
) -> StoreResult<VersionRecord> {
    let at = ts(&w.updated_at);
    insert_workflow_version(conn, &w.scope, &doc.id, &w.name, &doc.text, &at)?;
    conn.prepare_cached(
        "INSERT INTO workflow_version_numbers
             (workflow_id, number, version_id, author, message, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| s.execute((&w.id, w.latest_version, &doc.id, &author, &message, &at)))
    .map_err(db("numbering a workflow version"))?;
    Ok(VersionRecord {
        workflow_id: w.id.clone(),
        number: w.latest_version,
        version_id: doc.id.clone(),
        author,
        message,
        created_at: w.updated_at,
    })
}

/// Creates a workflow and its version 1.
pub(crate) fn create_workflow(
    conn: &Connection,
    scope: &TenantScope,
    wf: NewWorkflow,
    doc: &EncodedDocument,
) -> StoreResult<(WorkflowRecord, VersionRecord)> {
    let org = scope.org_id.as_str();
    check_name(conn, org, &wf.name, &wf.id)?;
    if exists(
        conn,
        "checking a workflow id",
        "SELECT EXISTS (SELECT 1 FROM workflows WHERE id = ?1)",
        [&wf.id],
    )? {
        return Err(StoreError::Database(format!(
            "creating a workflow: the id {} is already used",
            wf.id
        )));
    }
    let tags = normalize_tags(wf.tags);
    let created = ts(&wf.created_at);
    conn.prepare_cached(
        "INSERT INTO workflows (id, org_id, team_id, name, description, tags, latest_version,
                                published_version, revision, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, NULL, 1, ?7, ?7)",
    )
    .and_then(|mut s| {
        s.execute((
            &wf.id,
            org,
            &scope.team_id,
            &wf.name,
            &wf.description,
            strings_json(&tags),
            &created,
        ))
    })
    .map_err(db("creating a workflow"))?;
    let record = WorkflowRecord {
        id: wf.id,
        scope: scope.clone(),
        name: wf.name,
        description: wf.description,
        tags,
        latest_version: 1,
        published_version: None,
        revision: 1,
        created_at: wf.created_at,
        updated_at: wf.created_at,
    };
    let version = insert_version(conn, &record, doc, wf.author, wf.message)?;
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
    pub(crate) at: chrono::DateTime<chrono::Utc>,
}

/// Changes a workflow of the organization, appending a version if one is given. Every
/// successful call is a change: the revision goes up by one.
pub(crate) fn update_workflow(
    conn: &Connection,
    org: &str,
    id: &str,
    expected: Option<i64>,
    update: EncodedUpdate,
) -> StoreResult<(WorkflowRecord, Option<VersionRecord>)> {
    let mut w = current(conn, org, id, expected)?;
    if let Some(name) = update.name {
        check_name(conn, org, &name, id)?;
        w.name = name;
    }
    if let Some(description) = update.description {
        w.description = description;
    }
    if let Some(tags) = update.tags {
        w.tags = normalize_tags(tags);
    }
    w.revision += 1;
    w.updated_at = update.at;
    let version = match update.version {
        Some((doc, author, message)) => {
            w.latest_version += 1;
            Some(insert_version(conn, &w, &doc, author, message)?)
        }
        None => None,
    };
    conn.prepare_cached(
        "UPDATE workflows SET name = ?2, description = ?3, tags = ?4, latest_version = ?5,
                              revision = ?6, updated_at = ?7
         WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute((
            id,
            &w.name,
            &w.description,
            strings_json(&w.tags),
            w.latest_version,
            w.revision,
            ts(&w.updated_at),
        ))
    })
    .map_err(db("updating a workflow"))?;
    Ok((w, version))
}

/// Deletes a workflow of the organization with its version numbers and trigger rows (the
/// documents and runs stay). False when not found.
pub(crate) fn delete_workflow(
    conn: &Connection,
    org: &str,
    id: &str,
    expected: Option<i64>,
) -> StoreResult<bool> {
    match current(conn, org, id, expected) {
        Err(StoreError::NotFound { .. }) => return Ok(false),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    super::triggers::remove_all(conn, id)?;
    conn.prepare_cached("DELETE FROM workflow_version_numbers WHERE workflow_id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map_err(db("deleting a workflow's versions"))?;
    conn.prepare_cached("DELETE FROM workflows WHERE id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map_err(db("deleting a workflow"))?;
    Ok(true)
}

/// Sets the published version (or none) and counts the change.
pub(crate) fn set_published(
    conn: &Connection,
    w: &mut WorkflowRecord,
    version: Option<i64>,
    at: chrono::DateTime<chrono::Utc>,
) -> StoreResult<()> {
    w.published_version = version;
    w.revision += 1;
    w.updated_at = at;
    conn.prepare_cached(
        "UPDATE workflows SET published_version = ?2, revision = ?3, updated_at = ?4 WHERE id = ?1",
    )
    .and_then(|mut s| s.execute((&w.id, version, w.revision, ts(&at))))
    .map_err(db("publishing a workflow"))
    .map(|_| ())
}
