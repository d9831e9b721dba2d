//! Running the management commands against the database.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::output::Output;
use super::{
    AccessKeyCommand, AdminKeyCommand, AuditArgs, Command, DecisionArg, KeyCommand, KindArg, NewKeyArgs, PolicyCommand,
    QueryCommand, StatusArg, TenantCommand,
};
use crate::auth::secrets::SecretsKeys;
use crate::config::Settings;
use crate::db::audit::AuditFilter;
use crate::db::tenants::{RateLimit, TenantStatus};
use crate::domain::policy::StrictJson;
use crate::domain::{PolicyError, TenantId};
use crate::manage::keys::NewKeyRequest;
use crate::manage::{self, Actor, ManageError};

/// Runs a management command. Errors come back as one line for the caller to print.
pub async fn run_management(settings: &Settings, command: Command, json: bool) -> anyhow::Result<()> {
    let pool = crate::db::connect_lazy(&settings.database.url, settings.database.max_connections)?;
    crate::db::MIGRATOR.run(&pool).await.context("database")?;
    let out = Output { json };
    let actor = Actor {
        name: format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into())),
        request_id: None,
    };
    let result = match command {
        Command::Tenant(c) => tenant(&pool, &actor, &out, c).await,
        Command::Policy(c) => policy(&pool, &actor, &out, c).await,
        Command::Key(c) => key(&pool, &actor, &out, c).await,
        Command::AdminKey(c) => admin_key(&pool, &actor, &out, c).await,
        Command::Query(c) => query(&pool, &actor, &out, c).await,
        Command::AccessKey(c) => access_key(&pool, settings, &actor, &out, c).await,
        Command::Audit(args) => audit(&pool, &out, args).await,
        Command::Serve | Command::Lambda | Command::Migrate => Ok(()),
    };
    pool.close().await;
    result
}

fn tenant_id(raw: &str) -> anyhow::Result<TenantId> {
    TenantId::parse(raw).map_err(|e| anyhow::anyhow!("tenant id {raw:?} {e}"))
}

fn described(err: ManageError) -> anyhow::Error {
    anyhow::anyhow!("{err}")
}

async fn tenant(pool: &sqlx::PgPool, actor: &Actor, out: &Output, command: TenantCommand) -> anyhow::Result<()> {
    use manage::tenants;
    match command {
        TenantCommand::Create { id, name } => out.tenant(
            &tenants::create(pool, actor, &tenant_id(&id)?, &name)
                .await
                .map_err(described)?,
        ),
        TenantCommand::List { status, limit, after } => {
            let after = after.as_deref().map(tenant_id).transpose()?;
            let status = status.map(|s| match s {
                StatusArg::Active => TenantStatus::Active,
                StatusArg::Disabled => TenantStatus::Disabled,
            });
            out.tenants(
                &tenants::list(pool, status, after.as_ref(), limit)
                    .await
                    .map_err(described)?,
            )
        }
        TenantCommand::Show { id } => out.tenant(&tenants::show(pool, &tenant_id(&id)?).await.map_err(described)?),
        TenantCommand::Disable { id } => out.tenant(
            &tenants::update(pool, actor, &tenant_id(&id)?, None, Some(TenantStatus::Disabled), None)
                .await
                .map_err(described)?,
        ),
        TenantCommand::Enable { id } => out.tenant(
            &tenants::update(pool, actor, &tenant_id(&id)?, None, Some(TenantStatus::Active), None)
                .await
                .map_err(described)?,
        ),
        TenantCommand::Delete { id, yes } => {
            let id = tenant_id(&id)?;
            if !yes {
                confirm_delete(&id)?;
            }
            let deleted = tenants::delete(pool, actor, &id).await.map_err(described)?;
            if !out.json {
                eprintln!("deleted tenant {}", deleted.id);
                return Ok(());
            }
            out.tenant(&deleted)
        }
        TenantCommand::RateLimit {
            id,
            per_second,
            burst,
            default: _,
        } => {
            // clap lets through either both numbers or --default alone.
            let limit = per_second
                .zip(burst)
                .map(|(per_second, burst)| RateLimit { per_second, burst });
            out.tenant(
                &tenants::update(pool, actor, &tenant_id(&id)?, None, None, Some(limit))
                    .await
                    .map_err(described)?,
            )
        }
    }
}

/// Deleting a tenant cannot be undone: the operator types its id. Without a
/// terminal (a script) the answer is read from standard input the same way,
/// so a script must pass --yes or pipe the id in on purpose.
fn confirm_delete(id: &TenantId) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "Delete tenant {id} with its policy and API keys? This cannot be undone. Type the tenant id to confirm: "
        );
        std::io::stderr().flush().ok();
    }
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .context("reading the confirmation")?;
    if answer.trim() == id.as_str() {
        Ok(())
    } else {
        anyhow::bail!("tenant {id} not deleted: confirm by typing its id, or pass --yes")
    }
}

async fn audit(pool: &sqlx::PgPool, out: &Output, args: AuditArgs) -> anyhow::Result<()> {
    let time = |flag: &str, raw: Option<&str>| {
        raw.map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| anyhow::anyhow!("--{flag} {raw:?} is not an RFC 3339 time (like 2027-01-31T00:00:00Z)"))
        })
        .transpose()
    };
    if !(1..=manage::audit::MAX_PAGE).contains(&args.limit) {
        anyhow::bail!("--limit must be between 1 and {}", manage::audit::MAX_PAGE);
    }
    let filter = AuditFilter {
        tenant: args.tenant,
        principal: args.principal,
        decision: args.decision.map(|d| {
            match d {
                DecisionArg::Allow => "allow",
                DecisionArg::Deny => "deny",
            }
            .to_owned()
        }),
        kind: args.kind.map(|k| {
            match k {
                KindArg::Data => "data",
                KindArg::Admin => "admin",
            }
            .to_owned()
        }),
        since: time("since", args.since.as_deref())?,
        until: time("until", args.until.as_deref())?,
        after: args.after,
        limit: args.limit,
    };
    out.audit(&manage::audit::query(pool, &filter).await.map_err(described)?)
}

/// Reads a policy document file strictly: a key repeated in one object is
/// refused, as it is over HTTP.
fn read_policy_file(path: &Path) -> anyhow::Result<serde_json::Value> {
    let mut text = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut text)
            .context("reading standard input")?;
    } else {
        text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    }
    StrictJson::from_slice(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?
        .into_value()
        .map_err(|duplicate| anyhow::anyhow!("{}: {}", path.display(), PolicyError::from(duplicate)))
}

async fn policy(pool: &sqlx::PgPool, actor: &Actor, out: &Output, command: PolicyCommand) -> anyhow::Result<()> {
    use manage::policies;
    match command {
        PolicyCommand::Put { tenant, file, if_match } => {
            let id = tenant_id(&tenant)?;
            let if_match = if_match.map(policies::IfMatch::Version);
            let stored = policies::put(pool, actor, &id, read_policy_file(&file)?, if_match)
                .await
                .map_err(described)?;
            out.policy(id.as_str(), &stored)
        }
        PolicyCommand::Get { tenant } => {
            let id = tenant_id(&tenant)?;
            out.policy(id.as_str(), &policies::current(pool, &id).await.map_err(described)?)
        }
        PolicyCommand::Simulate {
            tenant,
            action,
            resource,
            file,
        } => {
            let id = tenant_id(&tenant)?;
            let draft = file.as_deref().map(read_policy_file).transpose()?;
            let policy = policies::policy_for_simulation(pool, &id, draft)
                .await
                .map_err(described)?;
            out.simulation(&policies::simulate(&policy, &action, &resource).map_err(described)?)
        }
    }
}

fn expiry(args: &NewKeyArgs) -> anyhow::Result<Option<DateTime<Utc>>> {
    args.expires_at
        .as_deref()
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    anyhow::anyhow!("--expires-at {raw:?} is not an RFC 3339 time (like 2027-01-31T00:00:00Z)")
                })
        })
        .transpose()
}

async fn key(pool: &sqlx::PgPool, actor: &Actor, out: &Output, command: KeyCommand) -> anyhow::Result<()> {
    use manage::keys;
    match command {
        KeyCommand::Create { tenant, key, actions } => {
            let id = tenant_id(&tenant)?;
            let request = NewKeyRequest {
                name: &key.name,
                expires_at: expiry(&key)?,
                actions: actions.as_deref(),
            };
            out.created_key(
                &keys::create_tenant_key(pool, actor, &id, request)
                    .await
                    .map_err(described)?,
            )
        }
        KeyCommand::List { tenant } => out.keys(
            &keys::list_tenant_keys(pool, &tenant_id(&tenant)?)
                .await
                .map_err(described)?,
        ),
        KeyCommand::Revoke { tenant, key_id } => out.key(
            &keys::revoke_tenant_key(pool, actor, &tenant_id(&tenant)?, &key_id)
                .await
                .map_err(described)?,
        ),
    }
}

async fn query(pool: &sqlx::PgPool, actor: &Actor, out: &Output, command: QueryCommand) -> anyhow::Result<()> {
    use manage::queries;
    match command {
        QueryCommand::List { tenant } => {
            out.queries(&queries::list(pool, &tenant_id(&tenant)?).await.map_err(described)?)
        }
        QueryCommand::Clear { tenant, query_id, .. } => {
            if let Some(id) = query_id.as_deref().filter(|id| !queries::valid_query_id(id)) {
                anyhow::bail!("query id {id:?} is not one `query list` shows");
            }
            out.cleared(
                &queries::clear(pool, actor, &tenant_id(&tenant)?, query_id.as_deref())
                    .await
                    .map_err(described)?,
            )
        }
    }
}

async fn admin_key(pool: &sqlx::PgPool, actor: &Actor, out: &Output, command: AdminKeyCommand) -> anyhow::Result<()> {
    use manage::keys;
    match command {
        AdminKeyCommand::Create { key } => {
            let request = NewKeyRequest {
                name: &key.name,
                expires_at: expiry(&key)?,
                actions: None,
            };
            out.created_key(&keys::create_admin_key(pool, actor, request).await.map_err(described)?)
        }
        AdminKeyCommand::List => out.keys(&keys::list_admin_keys(pool).await.map_err(described)?),
        AdminKeyCommand::Revoke { key_id } => {
            out.key(&keys::revoke_admin_key(pool, actor, &key_id).await.map_err(described)?)
        }
    }
}

async fn access_key(
    pool: &sqlx::PgPool,
    settings: &Settings,
    actor: &Actor,
    out: &Output,
    command: AccessKeyCommand,
) -> anyhow::Result<()> {
    use manage::access_keys;
    let secrets = settings
        .access_keys
        .secrets_key
        .as_ref()
        .map(|current| SecretsKeys::new(current, settings.access_keys.secrets_key_previous.as_ref()));
    match command {
        AccessKeyCommand::Create { tenant, key, actions } => {
            let id = tenant_id(&tenant)?;
            let request = NewKeyRequest {
                name: &key.name,
                expires_at: expiry(&key)?,
                actions: actions.as_deref(),
            };
            out.created_access_key(
                &access_keys::create(pool, secrets.as_ref(), actor, &id, request)
                    .await
                    .map_err(described)?,
            )
        }
        AccessKeyCommand::List { tenant } => {
            out.access_keys(&access_keys::list(pool, &tenant_id(&tenant)?).await.map_err(described)?)
        }
        AccessKeyCommand::Revoke { tenant, access_key_id } => out.access_key(
            &access_keys::revoke(pool, actor, &tenant_id(&tenant)?, &access_key_id)
                .await
                .map_err(described)?,
        ),
        AccessKeyCommand::Reseal => out.resealed(
            &access_keys::reseal(pool, secrets.as_ref(), actor)
                .await
                .map_err(described)?,
        ),
    }
}
