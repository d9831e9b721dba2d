//! The Postgres ledger of Logs Insights query ownership: the gateway's
//! [`QueryLedger`] over the `insights_queries` table (`db::queries`), and
//! the loop that keeps it true ([`keep_settled`]).

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::PgPool;

use crate::db::{self, DbError};
use crate::domain::TenantId;
use crate::error::ApiError;
use crate::gateway::Gateway;
use crate::gateway::queries::{
    OwnedQuery, QueryEntry, QueryLedger, Reservation, Reserved, SWEEP_INTERVAL, StatusCheck,
};

pub(crate) struct PgQueryLedger {
    pool: PgPool,
}

impl PgQueryLedger {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    async fn try_reserve(&self, start: &Reservation) -> Result<Result<(), i64>, DbError> {
        let mut tx = self.pool.begin().await?;
        // The tenant row is locked only from the count to the insert, inside
        // this short transaction, and never waited on for long.
        db::queries::bound_lock_wait(&mut *tx).await?;
        db::tenants::find_for_update(&mut *tx, &start.tenant).await?;
        let running = db::queries::running_count(&mut *tx, &start.tenant).await?;
        if running >= start.cap {
            return Ok(Err(running));
        }
        db::queries::insert(&mut *tx, &start.tenant, &start.id, &start.log_groups, &start.started_by).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }
}

impl QueryLedger for PgQueryLedger {
    fn reserve<'a>(&'a self, start: &'a Reservation) -> BoxFuture<'a, Result<Reserved, ApiError>> {
        Box::pin(async move {
            match self.try_reserve(start).await {
                Ok(Ok(())) => Ok(Reserved::Taken),
                Ok(Err(running)) => Ok(Reserved::Full { running }),
                Err(DbError::Busy) => Err(ApiError::throttled(
                    format!(
                        "too many Logs Insights queries of tenant {} are starting at once; retry",
                        start.tenant
                    ),
                    1,
                )),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn confirm<'a>(&'a self, start: &'a Reservation, query_id: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            db::queries::rename(&self.pool, &start.tenant, &start.id, query_id)
                .await
                .map_err(Into::into)
        })
    }

    fn release<'a>(&'a self, start: &'a Reservation) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            db::queries::delete(&self.pool, &start.tenant, &start.id)
                .await
                .map_err(Into::into)
        })
    }

    fn find<'a>(
        &'a self,
        tenant: &'a TenantId,
        query_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<OwnedQuery>, ApiError>> {
        Box::pin(async move {
            let found = db::queries::find(&self.pool, tenant, query_id).await?;
            Ok(found.map(|q| OwnedQuery {
                log_groups: q.log_groups,
                finished: q.finished,
            }))
        })
    }

    fn mark_finished<'a>(&'a self, tenant: &'a TenantId, query_id: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            db::queries::mark_finished(&self.pool, tenant, query_id)
                .await
                .map_err(Into::into)
        })
    }

    fn claim_unchecked<'a>(
        &'a self,
        tenant: Option<&'a TenantId>,
        check: StatusCheck,
        limit: i64,
    ) -> BoxFuture<'a, Result<Vec<(TenantId, String)>, ApiError>> {
        Box::pin(async move {
            let claimed = db::queries::claim_unchecked(
                &self.pool,
                tenant,
                check.min_age.as_secs_f64(),
                check.quiet.as_secs_f64(),
                limit,
            )
            .await?;
            // Tenant ids come from rows whose foreign key holds only valid ids.
            Ok(claimed
                .into_iter()
                .filter_map(|(tenant, id)| TenantId::parse(&tenant).ok().map(|t| (t, id)))
                .collect())
        })
    }

    fn list<'a>(&'a self, tenant: &'a TenantId, limit: i64) -> BoxFuture<'a, Result<Vec<QueryEntry>, ApiError>> {
        Box::pin(async move {
            let rows = db::queries::list(&self.pool, tenant, limit).await?;
            Ok(rows.into_iter().map(entry).collect())
        })
    }
}

pub(crate) fn entry(row: db::queries::QueryRow) -> QueryEntry {
    QueryEntry {
        query_id: row.query_id,
        log_groups: row.log_groups,
        started_by: row.started_by,
        started_at: row.started_at,
        finished_at: row.finished_at,
        checked_at: row.checked_at,
        counts: row.counts,
    }
}

/// CloudWatch keeps a query's results for 7 days; its row is kept as long.
const KEEP_DAYS: i32 = 7;

/// Every [`SWEEP_INTERVAL`], asks CloudWatch about open queries whose
/// clients went away (`Gateway::sweep_queries`); hourly, forgets queries
/// whose results CloudWatch no longer keeps.
pub(crate) async fn keep_settled(gateway: Arc<Gateway>, pool: PgPool) {
    let mut ticker = tokio::time::interval(SWEEP_INTERVAL);
    let mut last_prune: Option<tokio::time::Instant> = None;
    loop {
        ticker.tick().await;
        match gateway.sweep_queries().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(finished = n, "found abandoned Insights queries finished"),
            Err(e) => tracing::warn!(error = %e, "Insights query sweep failed"),
        }
        if last_prune.is_none_or(|at| at.elapsed() >= Duration::from_secs(3600)) {
            last_prune = Some(tokio::time::Instant::now());
            match db::queries::prune(&pool, KEEP_DAYS).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "forgot Insights queries older than {KEEP_DAYS} days"),
                Err(e) => tracing::warn!(error = %e, "Insights query pruning failed"),
            }
        }
    }
}
