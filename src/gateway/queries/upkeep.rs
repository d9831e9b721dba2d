//! Keeping the query ledger true. A query counts against its tenant's cap
//! until logward sees a final status, and a client that never asks for one
//! (a closed tab, a crashed script) would hold its slot until CloudWatch's
//! running window ends. So logward asks CloudWatch itself: for the tenant's
//! oldest open queries when a start finds the cap reached or the tenant lists
//! its queries, and for everyone's in a background sweep.

use std::time::Duration;

use super::{Call, Gateway, Parsed, QueryEntry, Reservation, Reserved, StatusCheck};
use crate::domain::{Action, LogGroupName, TenantId};
use crate::error::ApiError;
use crate::gateway::access;
use crate::gateway::call::Decided;
use crate::upstream::Caller;

/// On a client's behalf (a start finding the cap reached, a listing), any
/// open query may be asked about, but not again within 5 s: a tenant retrying
/// a refused start costs CloudWatch at most one status call per open query
/// per 5 s.
const ON_DEMAND: StatusCheck = StatusCheck {
    min_age: Duration::ZERO,
    quiet: Duration::from_secs(5),
};
/// The sweep leaves young queries to their clients and asks about each open
/// query at most every 5 minutes.
const SWEEP: StatusCheck = StatusCheck {
    min_age: Duration::from_secs(60),
    quiet: Duration::from_secs(300),
};
/// Status calls per sweep round, across all tenants. With a round every
/// [`SWEEP_INTERVAL`] that is at most a third of a GetQueryResults call a
/// second (CloudWatch allows 10 per account).
const SWEEP_BATCH: i64 = 10;
/// How often the background sweep runs.
pub(crate) const SWEEP_INTERVAL: Duration = Duration::from_secs(30);
/// Entries `GET /v1/queries` shows.
const LIST_LIMIT: i64 = 100;

/// The caller's queries as `GET /v1/queries` shows them.
#[derive(Debug)]
pub(crate) struct QueryList {
    /// Those the caller may read, newest first.
    pub(crate) entries: Vec<QueryEntry>,
    /// How many of all the tenant's queries count against its cap now
    /// (including ones the caller may not see).
    pub(crate) running: usize,
    pub(crate) cap: i64,
}

impl Gateway {
    /// Takes a slot for `reservation`. When every slot is taken, CloudWatch is
    /// asked whether the oldest of those queries have finished, and the
    /// reservation is tried once more if any had.
    pub(super) async fn reserve_slot(&self, reservation: &Reservation) -> Result<(), ApiError> {
        let running = match self.queries.reserve(reservation).await? {
            Reserved::Taken => return Ok(()),
            Reserved::Full { running } => running,
        };
        let tenant = &reservation.tenant;
        let running = match self.settle(Some(tenant), ON_DEMAND, reservation.cap).await {
            Ok(0) => running,
            Ok(_) => match self.queries.reserve(reservation).await? {
                Reserved::Taken => return Ok(()),
                Reserved::Full { running } => running,
            },
            Err(e) => {
                tracing::warn!(error = %e, %tenant, "could not check open Insights queries with CloudWatch");
                running
            }
        };
        Err(ApiError::throttled(
            format!(
                "tenant {tenant} has {running} Logs Insights queries running, its cap is {}; \
                 CloudWatch has not finished the oldest. List them (GET /v1/queries) and stop one \
                 (StopQuery), or retry later",
                reservation.cap
            ),
            10,
        ))
    }

    /// Asks CloudWatch about up to `limit` open queries (of `tenant`, or of
    /// anyone) that `check` selects, oldest first; marks
    /// finished those CloudWatch reports finished or no longer knows.
    /// Returns how many it marked.
    pub(crate) async fn settle(
        &self,
        tenant: Option<&TenantId>,
        check: StatusCheck,
        limit: i64,
    ) -> Result<usize, ApiError> {
        let tenant_asked = tenant.is_some();
        let claimed = self.queries.claim_unchecked(tenant, check, limit).await?;
        let checks = claimed.iter().map(|(tenant, id)| async move {
            // On a tenant's behalf when it asked (a start, a listing).
            let caller = match tenant_asked {
                true => Caller::Tenant(tenant.as_str().into()),
                false => Caller::Logward,
            };
            let finished = match self.upstream.get_query_results(caller, id.clone()).await {
                Ok(results) => results.is_finished(),
                // CloudWatch forgets queries; one it no longer knows is not running.
                Err(crate::upstream::UpstreamError::NotFound(_)) => true,
                Err(e) => {
                    tracing::debug!(error = %e, query_id = %id, "query status unknown; asked again later");
                    false
                }
            };
            if finished {
                self.queries.mark_finished(tenant, id).await.map(|()| 1)
            } else {
                Ok(0)
            }
        });
        let marked = futures_util::future::join_all(checks).await;
        marked.into_iter().sum()
    }

    /// One round of the background sweep; returns how many queries it found
    /// finished.
    pub(crate) async fn sweep_queries(&self) -> Result<usize, ApiError> {
        self.settle(None, SWEEP, SWEEP_BATCH).await
    }

    /// The caller's recent queries, newest first: those whose results the
    /// caller may read (`logs:GetQueryResults` on every group), with statuses
    /// brought up to date with CloudWatch first. Audited as a
    /// `logs:GetQueryResults` on `query/*`.
    pub(crate) async fn list_queries(&self, call: &Call, input: Parsed<()>) -> Result<QueryList, ApiError> {
        if let Err(e) = input {
            return self.finish(call, Action::GetQueryResults, Decided::invalid(e), 200);
        }
        // A key narrowed to other actions may not read results: refused
        // before anything is asked of CloudWatch.
        let verdict = access::credential_scope(&call.principal, Action::GetQueryResults, "query/*".to_owned());
        let result = match verdict.require() {
            Err(refused) => Err(refused),
            Ok(()) => self.listed(call).await,
        };
        self.finish(call, Action::GetQueryResults, Decided::new(verdict, result), 200)
    }

    /// The list, once the caller may read results at all.
    async fn listed(&self, call: &Call) -> Result<QueryList, ApiError> {
        let tenant = &call.principal.tenant.id;
        if let Err(e) = self
            .settle(Some(tenant), ON_DEMAND, self.limits.max_queries_per_tenant)
            .await
        {
            tracing::warn!(error = %e, %tenant, "could not check open Insights queries with CloudWatch");
        }
        let entries = self.queries.list(tenant, LIST_LIMIT).await?;
        Ok(QueryList {
            running: entries.iter().filter(|e| e.counts).count(),
            cap: self.limits.max_queries_per_tenant,
            entries: entries.into_iter().filter(|entry| self.may_read(call, entry)).collect(),
        })
    }

    fn may_read(&self, call: &Call, entry: &QueryEntry) -> bool {
        let groups: Result<Vec<_>, _> = entry.log_groups.iter().map(|g| LogGroupName::parse(g)).collect();
        groups.is_ok_and(|groups| {
            self.every_stream_of(call, Action::GetQueryResults, &groups)
                .is_allowed()
        })
    }
}
