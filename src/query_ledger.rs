//! The Postgres ledger of Logs Insights query ownership: the gateway's
//! [`QueryLedger`] over the `insights_queries` table (`db::queries`).

use futures_util::future::BoxFuture;
use sqlx::PgPool;

use crate::db::{self, DbError};
use crate::domain::TenantId;
use crate::error::ApiError;
use crate::gateway::queries::{OwnedQuery, QueryLedger, Reservation};

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
    fn reserve<'a>(&'a self, start: &'a Reservation) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            match self.try_reserve(start).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(running)) => Err(ApiError::throttled(
                    format!(
                        "tenant {} already has {running} Logs Insights queries running; wait for one to finish or stop one",
                        start.tenant
                    ),
                    10,
                )),
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
}
