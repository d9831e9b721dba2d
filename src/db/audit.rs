//! The `audit_events` table.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgExecutor, PgPool, Postgres};

use super::DbError;

/// One audit row as the writer batches it.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub tenant_id: Option<String>,
    pub principal: Option<String>,
    pub action: String,
    pub resource: Option<String>,
    pub decision: &'static str,
    pub reason: &'static str,
    pub http_status: i16,
    pub latency_ms: i32,
    pub request_id: Option<String>,
    pub detail: Option<serde_json::Value>,
}

const COPY_AUDIT: &str = "copy audit_events
    (at, kind, tenant_id, principal, action, resource, decision, reason,
     http_status, latency_ms, request_id, detail)
    from stdin";

/// Why the audit writer could not store rows, told by *where* it failed: the
/// writer may drop a row only when an established connection refused that
/// row's content. Everything else keeps the rows for a retry.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// No connection: taking one from the pool or opening one failed, for any
    /// reason, including what the server says while a connection starts
    /// (authentication failed, no such database, not accepting connections).
    /// Nothing is known about the rows.
    #[error("no connection to the audit database: {0}")]
    NoConnection(#[source] sqlx::Error),
    /// On an established connection, the server refused the rows' content.
    #[error("the database refused the audit rows: {0}")]
    Refused(#[source] sqlx::Error),
    /// On an established connection, anything else: the connection broke, the
    /// server is shutting down, the table is not there yet (migrations still
    /// to run), a permission is missing. Not the rows' fault.
    #[error("audit write failed: {0}")]
    Failed(#[source] sqlx::Error),
}

/// A connection for the audit writer; any failure here is [`WriteError::NoConnection`].
pub(crate) async fn connection(pool: &PgPool) -> Result<PoolConnection<Postgres>, WriteError> {
    pool.acquire().await.map_err(WriteError::NoConnection)
}

/// Classifies an error from a statement on an established connection. Only
/// SQLSTATE classes that blame the data refuse rows: 22 data exception
/// (bad encoding, malformed COPY text or JSON), 23 integrity constraint
/// violation, 54 program limit exceeded (a value too large).
fn on_connection(err: sqlx::Error) -> WriteError {
    match &err {
        sqlx::Error::Database(db)
            if db
                .code()
                .is_some_and(|code| matches!(code.get(..2), Some("22" | "23" | "54"))) =>
        {
            WriteError::Refused(err)
        }
        _ => WriteError::Failed(err),
    }
}

/// Writes a batch with `COPY` (text format): about half the database CPU of
/// [`insert_batch`] for the same rows, which keeps the audit writer's bursts
/// short on a machine the gateway shares with its database.
pub async fn copy_batch(pool: &PgPool, events: &[AuditEvent]) -> Result<(), WriteError> {
    let mut conn = connection(pool).await?;
    copy_rows(&mut conn, events).await
}

/// [`copy_batch`] on a connection the caller holds.
pub(crate) async fn copy_rows(conn: &mut PgConnection, events: &[AuditEvent]) -> Result<(), WriteError> {
    let mut data = String::with_capacity(events.len() * 256);
    for event in events {
        encode_row(&mut data, event);
    }
    let mut copy = conn.copy_in_raw(COPY_AUDIT).await.map_err(on_connection)?;
    if let Err(e) = copy.send(data.as_bytes()).await {
        let _ = copy.abort("audit batch not sent").await;
        return Err(on_connection(e));
    }
    copy.finish().await.map_err(on_connection)?;
    Ok(())
}

/// Inserts one row with [`insert_batch`]'s statement, for the writer's
/// row-by-row retry after a refused `COPY`.
pub(crate) async fn insert_one(conn: &mut PgConnection, event: &AuditEvent) -> Result<(), WriteError> {
    insert_rows(conn, std::slice::from_ref(event))
        .await
        .map_err(on_connection)
}

/// One row of `COPY ... FROM STDIN` text format: tab-separated, `\N` for
/// NULL, with backslash, tab, newline and carriage return escaped in values.
fn encode_row(out: &mut String, e: &AuditEvent) {
    out.push_str(&e.at.to_rfc3339_opts(SecondsFormat::Micros, true));
    let field = |out: &mut String, value: Option<&str>| {
        out.push('\t');
        match value {
            None => out.push_str("\\N"),
            Some(v) => {
                for c in v.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
        }
    };
    field(out, Some(e.kind));
    field(out, e.tenant_id.as_deref());
    field(out, e.principal.as_deref());
    field(out, Some(&e.action));
    field(out, e.resource.as_deref());
    field(out, Some(e.decision));
    field(out, Some(e.reason));
    let _ = write!(out, "\t{}\t{}", e.http_status, e.latency_ms);
    field(out, e.request_id.as_deref());
    match &e.detail {
        None | Some(serde_json::Value::Null) => field(out, None),
        Some(detail) => field(out, Some(&detail.to_string())),
    }
    out.push('\n');
}

/// Inserts a batch in one statement (inside a caller's transaction).
pub(crate) async fn insert_batch(db: impl PgExecutor<'_>, events: &[AuditEvent]) -> Result<(), DbError> {
    Ok(insert_rows(db, events).await?)
}

async fn insert_rows(db: impl PgExecutor<'_>, events: &[AuditEvent]) -> Result<(), sqlx::Error> {
    let mut at = Vec::with_capacity(events.len());
    let mut kind = Vec::with_capacity(events.len());
    let mut tenant = Vec::with_capacity(events.len());
    let mut principal = Vec::with_capacity(events.len());
    let mut action = Vec::with_capacity(events.len());
    let mut resource = Vec::with_capacity(events.len());
    let mut decision = Vec::with_capacity(events.len());
    let mut reason = Vec::with_capacity(events.len());
    let mut status = Vec::with_capacity(events.len());
    let mut latency = Vec::with_capacity(events.len());
    let mut request_id = Vec::with_capacity(events.len());
    let mut detail = Vec::with_capacity(events.len());
    for e in events {
        at.push(e.at);
        kind.push(e.kind.to_owned());
        tenant.push(e.tenant_id.clone());
        principal.push(e.principal.clone());
        action.push(e.action.clone());
        resource.push(e.resource.clone());
        decision.push(e.decision.to_owned());
        reason.push(e.reason.to_owned());
        status.push(e.http_status);
        latency.push(e.latency_ms);
        request_id.push(e.request_id.clone());
        detail.push(e.detail.clone().unwrap_or(serde_json::Value::Null));
    }
    sqlx::query!(
        "insert into audit_events
            (at, kind, tenant_id, principal, action, resource, decision, reason,
             http_status, latency_ms, request_id, detail)
         select at, kind, tenant_id, principal, action, resource, decision, reason,
                http_status, latency_ms, request_id, nullif(detail, 'null'::jsonb)
           from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[],
                       $6::text[], $7::text[], $8::text[], $9::smallint[], $10::integer[],
                       $11::text[], $12::jsonb[])
             as t(at, kind, tenant_id, principal, action, resource, decision, reason,
                  http_status, latency_ms, request_id, detail)",
        &at,
        &kind,
        &tenant as &[Option<String>],
        &principal as &[Option<String>],
        &action,
        &resource as &[Option<String>],
        &decision,
        &reason,
        &status,
        &latency,
        &request_id as &[Option<String>],
        &detail
    )
    .execute(db)
    .await?;
    Ok(())
}

/// An audit row as read back.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuditRow {
    pub(crate) id: i64,
    pub(crate) at: DateTime<Utc>,
    pub(crate) kind: String,
    pub(crate) tenant_id: Option<String>,
    pub(crate) principal: Option<String>,
    pub(crate) action: String,
    pub(crate) resource: Option<String>,
    pub(crate) decision: String,
    pub(crate) reason: String,
    pub(crate) http_status: i16,
    pub(crate) latency_ms: i32,
    pub(crate) request_id: Option<String>,
    pub(crate) detail: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct AuditFilter {
    pub(crate) tenant: Option<String>,
    pub(crate) principal: Option<String>,
    pub(crate) decision: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) since: Option<DateTime<Utc>>,
    pub(crate) until: Option<DateTime<Utc>>,
    /// Cursor: only rows with a smaller id.
    pub(crate) after: Option<i64>,
    pub(crate) limit: i64,
}

/// Rows matching `filter`, newest first.
pub(crate) async fn query(db: impl PgExecutor<'_>, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    let rows = sqlx::query_as!(
        AuditRow,
        "select id, at, kind, tenant_id, principal, action, resource, decision, reason,
                http_status, latency_ms, request_id, detail
           from audit_events
          where ($1::text is null or tenant_id = $1)
            and ($2::text is null or principal = $2)
            and ($3::text is null or decision = $3)
            and ($4::text is null or kind = $4)
            and ($5::timestamptz is null or at >= $5)
            and ($6::timestamptz is null or at < $6)
            and ($7::bigint is null or id < $7)
          order by id desc
          limit $8",
        f.tenant.as_deref(),
        f.principal.as_deref(),
        f.decision.as_deref(),
        f.kind.as_deref(),
        f.since,
        f.until,
        f.after,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Deletes up to `batch` rows older than `cutoff`; returns how many.
pub(crate) async fn delete_older_than(
    db: impl PgExecutor<'_>,
    cutoff: DateTime<Utc>,
    batch: i64,
) -> Result<u64, DbError> {
    let result = sqlx::query!(
        "delete from audit_events where id in (select id from audit_events where at < $1 limit $2)",
        cutoff,
        batch
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}
