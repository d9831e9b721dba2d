//! Logs Insights: StartQuery, GetQueryResults, StopQuery.
//!
//! Query ids are account-wide in CloudWatch, so the gateway records which
//! tenant started each query ([`QueryLedger`]) and answers 404 to everyone
//! else. The query text may not widen its scope (`domain::insights`), every
//! group must be readable in full, and reading results re-checks that. A
//! per-tenant cap on running queries protects the account-wide limit: a slot
//! is reserved (and the reservation committed) before CloudWatch is called,
//! so no transaction or lock is ever held across the network call, and a
//! tenant's burst is gated in memory before it touches the database.

mod ledger;
mod upkeep;

use super::access::{self, Verdict};
use super::call::Decided;
use super::{Call, Gateway, Parsed};
use crate::domain::{Action, LogGroupName};
use crate::error::ApiError;
use crate::upstream::{QueryResults, StartQueryRequest};
pub(crate) use upkeep::SWEEP_INTERVAL;

pub(crate) use ledger::{OwnedQuery, QueryEntry, QueryLedger, Reservation, Reserved, StartGate, StatusCheck};

/// A validated StartQuery request.
#[derive(Debug, Clone)]
pub(crate) struct StartQuery {
    /// 1-50 groups.
    pub(crate) groups: Vec<LogGroupName>,
    /// Passed `domain::insights::check_query`.
    pub(crate) query_string: String,
    /// Epoch seconds.
    pub(crate) start_time: i64,
    pub(crate) end_time: i64,
    pub(crate) limit: Option<i32>,
}

/// What StopQuery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stopped {
    /// Whether a running query was stopped (false: it had finished).
    pub(crate) stopped: bool,
}

impl Gateway {
    /// Requires StartQuery on every stream of every group; returns the query id.
    pub(crate) async fn start_query(&self, call: &Call, input: Parsed<StartQuery>) -> Result<String, ApiError> {
        let decided = match input {
            Err(e) => Decided::invalid(e),
            Ok(input) => {
                let verdict = self.every_stream_of(call, Action::StartQuery, &input.groups);
                let result = self.start(call, &verdict, input).await;
                let verdict = match &result {
                    Ok(id) => verdict.on(format!("query/{id}")),
                    Err(_) => verdict,
                };
                Decided::new(verdict, result)
            }
        };
        self.finish(call, Action::StartQuery, decided, 201)
    }

    /// Status and results of the caller's own query.
    pub(crate) async fn get_query_results(
        &self,
        call: &Call,
        query_id: Parsed<String>,
    ) -> Result<(String, QueryResults), ApiError> {
        self.on_own_query(
            call,
            Action::GetQueryResults,
            query_id,
            async |verdict, id, finished| self.results(call, verdict, id, finished).await,
        )
        .await
    }

    /// Stops the caller's own query (a finished one is left alone).
    pub(crate) async fn stop_query(
        &self,
        call: &Call,
        query_id: Parsed<String>,
    ) -> Result<(String, Stopped), ApiError> {
        self.on_own_query(call, Action::StopQuery, query_id, async |verdict, id, finished| {
            self.stop(call, verdict, id, finished).await
        })
        .await
    }

    /// Runs `work` on the caller's query `query_id` once it is found and
    /// re-authorized for `action` (404 for anyone else's), and audits it.
    async fn on_own_query<T>(
        &self,
        call: &Call,
        action: Action,
        query_id: Parsed<String>,
        work: impl AsyncFnOnce(&Verdict, &str, bool) -> Result<T, ApiError>,
    ) -> Result<(String, T), ApiError> {
        let about = query_id.as_ref().ok().map(|id| format!("query/{id}"));
        let decided = match query_id {
            Err(e) => Decided::invalid(e),
            Ok(id) => match self.owned_query(call, action, &id).await {
                Err(e) => Decided::invalid(e),
                Ok((verdict, finished)) => {
                    let result = work(&verdict, &id, finished).await.map(|r| (id, r));
                    Decided::new(verdict, result)
                }
            },
        };
        self.finish_about(call, action, decided, 200, about.as_deref())
    }

    fn every_stream_of(&self, call: &Call, action: Action, groups: &[LogGroupName]) -> Verdict {
        access::all(
            groups.iter().map(|group| {
                access::every_stream(
                    &call.principal,
                    action,
                    &self.scope.streams_prefix(group, ""),
                    &format!("all streams of {group}"),
                )
            }),
            groups
                .first()
                .map(|g| format!("{}*", self.scope.streams_prefix(g, "")))
                .unwrap_or_default(),
        )
    }

    async fn start(&self, call: &Call, verdict: &Verdict, input: StartQuery) -> Result<String, ApiError> {
        verdict.require()?;
        let tenant = &call.principal.tenant.id;
        let cap = self.limits.max_queries_per_tenant;
        let _gate = self.starting.enter(tenant.as_str(), cap).ok_or_else(|| {
            ApiError::throttled(
                format!("{cap} Logs Insights queries of tenant {tenant} are being started at once; retry"),
                1,
            )
        })?;
        let reservation = Reservation {
            id: format!("reserved:{}", uuid::Uuid::new_v4().simple()),
            tenant: tenant.clone(),
            log_groups: input.groups.iter().map(|g| g.as_str().to_owned()).collect(),
            started_by: call.principal.name.clone(),
            cap,
        };
        self.reserve_slot(&reservation).await?;
        let started = self
            .upstream
            .start_query(
                call.caller(),
                StartQueryRequest {
                    groups: input.groups,
                    query_string: input.query_string,
                    start_time: input.start_time,
                    end_time: input.end_time,
                    limit: input.limit,
                },
            )
            .await;
        let query_id = match started {
            Ok(id) => id,
            Err(e) => {
                // Only an answer that proves nothing started frees the slot. A
                // timeout or failure may have started a query nobody can see:
                // it keeps counting for CloudWatch's whole running window.
                let outcome = if e.proves_nothing_started() {
                    self.queries.release(&reservation).await
                } else {
                    let unknown = format!("unconfirmed:{}", uuid::Uuid::new_v4().simple());
                    self.queries.confirm(&reservation, &unknown).await
                };
                if let Err(ledger) = outcome {
                    tracing::warn!(error = %ledger, "could not settle an Insights reservation; it expires by itself");
                }
                return Err(e.into());
            }
        };
        if let Err(e) = self.queries.confirm(&reservation, &query_id).await {
            // Untracked, nobody could read it; do not leave it running.
            let _ = self.upstream.stop_query(call.caller(), query_id).await;
            let _ = self.queries.release(&reservation).await;
            return Err(e);
        }
        Ok(query_id)
    }

    /// The caller's query with this id, re-authorized for `action` on every
    /// group; and whether it had finished.
    async fn owned_query(&self, call: &Call, action: Action, id: &str) -> Result<(Verdict, bool), ApiError> {
        let tenant = &call.principal.tenant.id;
        let query = self
            .queries
            .find(tenant, id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no query {id}")))?;
        let groups = query
            .log_groups
            .iter()
            .map(|name| LogGroupName::parse(name))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::not_found(format!("no query {id}")))?;
        let verdict = self.every_stream_of(call, action, &groups);
        let verdict = if verdict.is_allowed() {
            verdict.on(format!("query/{id}"))
        } else {
            verdict
        };
        Ok((verdict, query.finished))
    }

    async fn results(
        &self,
        call: &Call,
        verdict: &Verdict,
        id: &str,
        finished: bool,
    ) -> Result<QueryResults, ApiError> {
        verdict.require()?;
        let results = self.upstream.get_query_results(call.caller(), id.to_owned()).await?;
        if results.is_finished() && !finished {
            self.queries.mark_finished(&call.principal.tenant.id, id).await?;
        }
        Ok(results)
    }

    async fn stop(&self, call: &Call, verdict: &Verdict, id: &str, finished: bool) -> Result<Stopped, ApiError> {
        verdict.require()?;
        let stopped = if finished {
            false
        } else {
            self.upstream.stop_query(call.caller(), id.to_owned()).await?
        };
        self.queries.mark_finished(&call.principal.tenant.id, id).await?;
        Ok(Stopped { stopped })
    }
}
