//! The `instances` table: heartbeats of live logward instances.

use sqlx::PgExecutor;

use super::DbError;

/// Records that instance `id` is alive now.
pub(crate) async fn beat(db: impl PgExecutor<'_>, id: &str) -> Result<(), DbError> {
    sqlx::query!(
        "insert into instances (id, seen_at) values ($1, now())
         on conflict (id) do update set seen_at = now()",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Instances seen within `live_secs`; forgets those silent for ten times as long.
pub(crate) async fn live(db: impl PgExecutor<'_> + Copy, live_secs: f64) -> Result<i64, DbError> {
    sqlx::query!(
        "delete from instances where seen_at < now() - make_interval(secs => $1)",
        live_secs * 10.0
    )
    .execute(db)
    .await?;
    let n = sqlx::query_scalar!(
        r#"select count(*) as "n!" from instances where seen_at > now() - make_interval(secs => $1)"#,
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
