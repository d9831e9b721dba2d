//! Tenants: create, list, show, update (name/status), delete.

use serde_json::json;

use super::{Actor, ManageError, record_change, validate_name};
use crate::db::tenants::{self, RateLimit, Tenant, TenantStatus};
use crate::domain::TenantId;

pub(crate) const MAX_PAGE: i64 = 500;

fn not_found(id: &TenantId) -> ManageError {
    ManageError::NotFound(format!("no tenant {id}"))
}

pub(crate) async fn create(
    pool: &sqlx::PgPool,
    actor: &Actor,
    id: &TenantId,
    name: &str,
) -> Result<Tenant, ManageError> {
    validate_name("name", name)?;
    let mut tx = pool.begin().await.map_err(crate::db::DbError::from)?;
    let tenant = tenants::insert(&mut *tx, id, name).await?;
    record_change(
        &mut tx,
        actor,
        "tenant.create",
        201,
        Some(id),
        format!("tenant/{id}"),
        json!({"after": tenant}),
    )
    .await?;
    tx.commit().await.map_err(crate::db::DbError::from)?;
    Ok(tenant)
}

pub(crate) async fn show(pool: &sqlx::PgPool, id: &TenantId) -> Result<Tenant, ManageError> {
    tenants::find(pool, id).await?.ok_or_else(|| not_found(id))
}

/// One page, ordered by id; `after` is the last id of the previous page.
pub(crate) async fn list(
    pool: &sqlx::PgPool,
    status: Option<TenantStatus>,
    after: Option<&TenantId>,
    limit: i64,
) -> Result<Vec<Tenant>, ManageError> {
    Ok(tenants::list(pool, status, after, limit.clamp(1, MAX_PAGE)).await?)
}

pub(crate) async fn update(
    pool: &sqlx::PgPool,
    actor: &Actor,
    id: &TenantId,
    name: Option<&str>,
    status: Option<TenantStatus>,
    rate_limit: Option<Option<RateLimit>>,
) -> Result<Tenant, ManageError> {
    if name.is_none() && status.is_none() && rate_limit.is_none() {
        return Err(super::invalid("body", "give at least one of name, status, rateLimit"));
    }
    if let Some(Some(limit)) = rate_limit
        && !((1..=100_000).contains(&limit.per_second) && (1..=100_000).contains(&limit.burst))
    {
        return Err(super::invalid(
            "rateLimit",
            "perSecond and burst must be between 1 and 100000",
        ));
    }
    if let Some(name) = name {
        validate_name("name", name)?;
    }
    let mut tx = pool.begin().await.map_err(crate::db::DbError::from)?;
    let before = tenants::find_for_update(&mut *tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let after = tenants::update(&mut *tx, id, name, status, rate_limit)
        .await?
        .ok_or_else(|| not_found(id))?;
    record_change(
        &mut tx,
        actor,
        "tenant.update",
        200,
        Some(id),
        format!("tenant/{id}"),
        json!({"before": before, "after": after}),
    )
    .await?;
    tx.commit().await.map_err(crate::db::DbError::from)?;
    Ok(after)
}

/// Deletes the tenant with its policy versions and keys; the audit trail stays.
pub(crate) async fn delete(pool: &sqlx::PgPool, actor: &Actor, id: &TenantId) -> Result<Tenant, ManageError> {
    let mut tx = pool.begin().await.map_err(crate::db::DbError::from)?;
    let deleted = tenants::delete(&mut *tx, id).await?.ok_or_else(|| not_found(id))?;
    record_change(
        &mut tx,
        actor,
        "tenant.delete",
        204,
        Some(id),
        format!("tenant/{id}"),
        json!({"before": deleted}),
    )
    .await?;
    tx.commit().await.map_err(crate::db::DbError::from)?;
    Ok(deleted)
}
