//! The `audit_events` table.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

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

/// Inserts a batch in one statement.
pub async fn insert_batch(db: impl PgExecutor<'_>, events: &[AuditEvent]) -> Result<(), DbError> {
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
