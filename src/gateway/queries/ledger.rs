//! Where query ownership is kept ([`QueryLedger`]: Postgres in production)
//! and the in-memory gate in front of it ([`StartGate`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use crate::domain::TenantId;
use crate::error::ApiError;

/// Who owns which query, kept outside the process (Postgres in production).
pub(crate) trait QueryLedger: Send + Sync + 'static {
    /// Reserves one of the tenant's `cap` running-query slots for a query
    /// about to start, or reports them all taken. Commits before returning:
    /// nothing stays locked.
    fn reserve<'a>(&'a self, start: &'a Reservation) -> BoxFuture<'a, Result<Reserved, ApiError>>;
    /// The reservation became CloudWatch's query `query_id`.
    fn confirm<'a>(&'a self, start: &'a Reservation, query_id: &'a str) -> BoxFuture<'a, Result<(), ApiError>>;
    /// The start failed: the slot is free again.
    fn release<'a>(&'a self, start: &'a Reservation) -> BoxFuture<'a, Result<(), ApiError>>;
    /// The tenant's query with this id; `None` for unknown ids and for other
    /// tenants' queries alike.
    fn find<'a>(
        &'a self,
        tenant: &'a TenantId,
        query_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<OwnedQuery>, ApiError>>;
    fn mark_finished<'a>(&'a self, tenant: &'a TenantId, query_id: &'a str) -> BoxFuture<'a, Result<(), ApiError>>;
    /// Claims up to `limit` open queries with a CloudWatch id (the tenant's,
    /// or anyone's) that `check` selects, oldest first, for a status check;
    /// another instance does not get the same ones.
    fn claim_unchecked<'a>(
        &'a self,
        tenant: Option<&'a TenantId>,
        check: StatusCheck,
        limit: i64,
    ) -> BoxFuture<'a, Result<Vec<(TenantId, String)>, ApiError>>;
    /// The tenant's `limit` most recent queries, newest first.
    fn list<'a>(&'a self, tenant: &'a TenantId, limit: i64) -> BoxFuture<'a, Result<Vec<QueryEntry>, ApiError>>;
}

/// Which open queries a status check asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatusCheck {
    /// Started at least this long ago.
    pub(crate) min_age: Duration,
    /// Not asked about for this long.
    pub(crate) quiet: Duration,
}

/// What a reservation got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reserved {
    Taken,
    /// Every slot is taken by this many queries.
    Full {
        running: i64,
    },
}

/// A query in the tenant's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryEntry {
    /// CloudWatch's id, or a placeholder (`reserved:…` while it starts,
    /// `unconfirmed:…` when the start's outcome is unknown).
    pub(crate) query_id: String,
    pub(crate) log_groups: Vec<String>,
    pub(crate) started_by: String,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
    pub(crate) checked_at: Option<DateTime<Utc>>,
    /// Whether it counts against the tenant's cap now.
    pub(crate) counts: bool,
}

impl QueryEntry {
    /// Whether the id is CloudWatch's (not a placeholder).
    pub(crate) fn has_cloudwatch_id(&self) -> bool {
        !self.query_id.contains(':')
    }

    /// `running`, `starting`, `unconfirmed` (its start may or may not have
    /// reached CloudWatch), `finished`, or `expired` (no final status seen,
    /// past the window in which it could still run).
    pub(crate) fn state(&self) -> &'static str {
        if self.finished_at.is_some() {
            "finished"
        } else if !self.counts {
            "expired"
        } else if self.query_id.starts_with("reserved:") {
            "starting"
        } else if self.query_id.starts_with("unconfirmed:") {
            "unconfirmed"
        } else {
            "running"
        }
    }
}

/// A slot being taken for a query about to start.
#[derive(Debug, Clone)]
pub(crate) struct Reservation {
    /// A placeholder id, never a CloudWatch query id (those are UUIDs).
    pub(crate) id: String,
    pub(crate) tenant: TenantId,
    pub(crate) log_groups: Vec<String>,
    pub(crate) started_by: String,
    /// Running queries the tenant may have.
    pub(crate) cap: i64,
}

/// A query as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnedQuery {
    pub(crate) log_groups: Vec<String>,
    pub(crate) finished: bool,
}

/// Query starts in progress per tenant on this instance: a tenant's burst is
/// refused here, before it can queue on the database pool.
#[derive(Debug, Default)]
pub(crate) struct StartGate {
    starting: Mutex<HashMap<String, i64>>,
}

pub(super) struct GateSlot<'a> {
    gate: &'a StartGate,
    tenant: String,
}

impl StartGate {
    pub(super) fn enter(&self, tenant: &str, cap: i64) -> Option<GateSlot<'_>> {
        let mut starting = self.starting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = starting.entry(tenant.to_owned()).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(GateSlot {
            gate: self,
            tenant: tenant.to_owned(),
        })
    }
}

impl Drop for GateSlot<'_> {
    fn drop(&mut self) {
        let mut starting = self
            .gate
            .starting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = starting.get_mut(&self.tenant) {
            *n -= 1;
            if *n <= 0 {
                starting.remove(&self.tenant);
            }
        }
    }
}
