//! The `instances` table: heartbeats of live logward instances.

use sqlx::PgExecutor;

use super::DbError;

/// Records that instance `id`, serving `scope`, is alive now.
pub(crate) async fn beat(db: impl PgExecutor<'_>, id: &str, scope: &str) -> Result<(), DbError> {
    sqlx::query!(
        "insert into instances (id, scope, seen_at) values ($1, $2, now())
         on conflict (id) do update set seen_at = now(), scope = $2",
        id,
        scope
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Instances serving `scope` seen within `live_secs`; forgets any instance
/// silent for ten times as long.
pub(crate) async fn live(db: impl PgExecutor<'_> + Copy, scope: &str, live_secs: f64) -> Result<i64, DbError> {
    sqlx::query!(
        "delete from instances where seen_at < now() - make_interval(secs => $1)",
        live_secs * 10.0
    )
    .execute(db)
    .await?;
    let n = sqlx::query_scalar!(
        r#"select count(*) as "n!" from instances where scope = $1 and seen_at > now() - make_interval(secs => $2)"#,
        scope,
        live_secs
    )
    .fetch_one(db)
    .await?;
    Ok(n)
}

/// Instance `id` is stopping.
pub(crate) async fn leave(db: impl PgExecutor<'_>, id: &str) -> Result<(), DbError> {
    sqlx::query!("delete from instances where id = $1", id)
        .execute(db)
        .await?;
    Ok(())
}
