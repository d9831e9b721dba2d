//! Printing results: JSON with `--json`, otherwise short human-readable lines
//! (lists with a header row). Writes go through [`out`], so a closed pipe
//! comes back as an error (see `cli::is_broken_pipe`) instead of a panic.

use std::io::Write;

use serde::Serialize;

use crate::db::access_keys::AccessKeyInfo;
use crate::db::api_keys::KeyInfo;
use crate::db::policies::StoredPolicy;
use crate::db::tenants::Tenant;
use crate::gateway::queries::QueryEntry;
use crate::manage::access_keys::{CreatedAccessKey, Resealed};
use crate::manage::audit::AuditPage;
use crate::manage::keys::CreatedKey;
use crate::manage::policies::Simulation;

pub(crate) struct Output {
    pub(crate) json: bool,
}

/// One line to standard output; `println!` would panic on a closed pipe.
fn out(line: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_fmt(line)?;
    stdout.write_all(b"\n")?;
    Ok(())
}

macro_rules! outln {
    ($($arg:tt)*) => { out(format_args!($($arg)*)) };
}

const TENANT_HEADER: &str = "ID\tSTATUS\tNAME\tCREATED\tRATE_LIMIT";
const KEY_HEADER: &str = "ID\tPREFIX\tNAME\tACTIONS\tSTATE";
const QUERY_HEADER: &str = "QUERY_ID\tSTATE\tCOUNTS\tSTARTED\tSTARTED_BY\tLOG_GROUPS";
const ACCESS_KEY_HEADER: &str = "ACCESS_KEY_ID\tNAME\tACTIONS\tSTATE";

impl Output {
    pub(crate) fn queries(&self, list: &[QueryEntry]) -> anyhow::Result<()> {
        if self.json {
            let items: Vec<_> = list
                .iter()
                .map(|q| {
                    serde_json::json!({"queryId": q.query_id, "state": q.state(), "countsTowardCap": q.counts,
                        "logGroupNames": q.log_groups, "startedBy": q.started_by, "startedAt": q.started_at,
                        "finishedAt": q.finished_at, "lastCheckedAt": q.checked_at})
                })
                .collect();
            return self.json(&items);
        }
        outln!("{QUERY_HEADER}")?;
        list.iter().try_for_each(|q| {
            outln!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                q.query_id,
                q.state(),
                if q.counts { "yes" } else { "no" },
                q.started_at.to_rfc3339(),
                q.started_by,
                q.log_groups.join(",")
            )
        })
    }

    pub(crate) fn cleared(&self, ids: &[String]) -> anyhow::Result<()> {
        if self.json {
            return self.json(&serde_json::json!({ "cleared": ids }));
        }
        if ids.is_empty() {
            return outln!("no open queries");
        }
        ids.iter().try_for_each(|id| outln!("cleared {id}"))
    }

    fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        outln!("{}", serde_json::to_string_pretty(value)?)
    }

    /// `items` as JSON, or a header row and a line each.
    fn rows<T: Serialize>(
        &self,
        items: &[T],
        header: &str,
        line: impl Fn(&T) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if self.json {
            return self.json(&items);
        }
        outln!("{header}")?;
        items.iter().try_for_each(line)
    }

    /// One item as JSON, or under the header of its list.
    fn row<T: Serialize>(&self, item: &T, header: &str, line: impl Fn(&T) -> anyhow::Result<()>) -> anyhow::Result<()> {
        if self.json {
            return self.json(item);
        }
        outln!("{header}")?;
        line(item)
    }

    pub(crate) fn tenant(&self, t: &Tenant) -> anyhow::Result<()> {
        self.row(t, TENANT_HEADER, tenant_row)
    }

    pub(crate) fn tenants(&self, list: &[Tenant]) -> anyhow::Result<()> {
        self.rows(list, TENANT_HEADER, tenant_row)
    }

    pub(crate) fn policy(&self, tenant: &str, p: &StoredPolicy) -> anyhow::Result<()> {
        if self.json {
            return self.json(
                &serde_json::json!({"tenantId": tenant, "version": p.version, "document": p.document,
                "createdBy": p.created_by, "createdAt": p.created_at}),
            );
        }
        outln!(
            "# tenant {tenant}, version {} by {} at {}",
            p.version,
            p.created_by,
            p.created_at.to_rfc3339()
        )?;
        outln!("{}", serde_json::to_string_pretty(&p.document)?)
    }

    pub(crate) fn simulation(&self, s: &Simulation) -> anyhow::Result<()> {
        if self.json {
            return self.json(s);
        }
        let reason = serde_json::to_value(s.reason)?;
        outln!("{} ({})", s.decision, reason.as_str().unwrap_or_default())?;
        outln!("  check: {}", s.check)?;
        for m in &s.matched_statements {
            outln!(
                "  matched Statement[{}]{} {:?}",
                m.index,
                m.sid.as_ref().map(|s| format!(" (Sid {s})")).unwrap_or_default(),
                m.effect
            )?;
        }
        Ok(())
    }

    pub(crate) fn created_key(&self, k: &CreatedKey) -> anyhow::Result<()> {
        if self.json {
            return self.json(k);
        }
        outln!("{}", k.key)?;
        eprintln!("key {} ({}) created; the key above is shown only once", k.id, k.name);
        Ok(())
    }

    pub(crate) fn key(&self, k: &KeyInfo) -> anyhow::Result<()> {
        self.row(k, KEY_HEADER, key_row)
    }

    pub(crate) fn keys(&self, list: &[KeyInfo]) -> anyhow::Result<()> {
        self.rows(list, KEY_HEADER, key_row)
    }

    /// The id and the secret on standard output (for `read id secret`), the
    /// note on standard error.
    pub(crate) fn created_access_key(&self, k: &CreatedAccessKey) -> anyhow::Result<()> {
        if self.json {
            return self.json(k);
        }
        outln!("{}\t{}", k.access_key_id, k.secret_access_key)?;
        eprintln!(
            "access key {} ({}) created; the secret access key above is shown only once",
            k.access_key_id, k.name
        );
        Ok(())
    }

    pub(crate) fn access_key(&self, k: &AccessKeyInfo) -> anyhow::Result<()> {
        self.row(k, ACCESS_KEY_HEADER, access_key_row)
    }

    pub(crate) fn access_keys(&self, list: &[AccessKeyInfo]) -> anyhow::Result<()> {
        self.rows(list, ACCESS_KEY_HEADER, access_key_row)
    }

    pub(crate) fn resealed(&self, r: &Resealed) -> anyhow::Result<()> {
        if self.json {
            return self.json(r);
        }
        outln!("resealed {}, already current {}", r.resealed, r.current)?;
        for id in &r.unreadable {
            eprintln!("access key {id} is sealed under no configured key (it cannot be used): revoke it");
        }
        Ok(())
    }

    pub(crate) fn audit(&self, page: &AuditPage) -> anyhow::Result<()> {
        if self.json {
            return self.json(page);
        }
        outln!("ID\tAT\tKIND\tTENANT\tPRINCIPAL\tACTION\tRESOURCE\tDECISION\tREASON\tSTATUS")?;
        for e in &page.items {
            outln!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                e.id,
                e.at.to_rfc3339(),
                e.kind,
                e.tenant_id.as_deref().unwrap_or("-"),
                e.principal.as_deref().unwrap_or("-"),
                e.action,
                e.resource.as_deref().unwrap_or("-"),
                e.decision,
                e.reason,
                e.http_status
            )?;
        }
        if let Some(cursor) = page.next_cursor {
            eprintln!("more: --after {cursor}");
        }
        Ok(())
    }
}

fn tenant_row(t: &Tenant) -> anyhow::Result<()> {
    let rate = t
        .rate_limit
        .map(|r| format!("{}/s burst {}", r.per_second, r.burst))
        .unwrap_or_else(|| "default".to_owned());
    outln!(
        "{}\t{}\t{}\t{}\t{rate}",
        t.id,
        t.status.as_str(),
        t.name,
        t.created_at.to_rfc3339()
    )
}

fn key_state(
    revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    match (revoked_at, expires_at) {
        (Some(at), _) => format!("revoked {}", at.to_rfc3339()),
        (None, Some(at)) => format!("expires {}", at.to_rfc3339()),
        (None, None) => "active".to_owned(),
    }
}

fn access_key_row(k: &AccessKeyInfo) -> anyhow::Result<()> {
    let state = key_state(k.revoked_at, k.expires_at);
    let actions = k
        .actions
        .as_ref()
        .map(|a| a.join(","))
        .unwrap_or_else(|| "policy".into());
    outln!("{}\t{}\t{}\t{}", k.access_key_id, k.name, actions, state)
}

fn key_row(k: &KeyInfo) -> anyhow::Result<()> {
    let state = key_state(k.revoked_at, k.expires_at);
    let actions = k
        .actions
        .as_ref()
        .map(|a| a.join(","))
        .unwrap_or_else(|| "policy".into());
    outln!("{}\t{}\t{}\t{}\t{}", k.id, k.prefix, k.name, actions, state)
}
