//! Printing results: JSON with `--json`, otherwise short human-readable lines.

use serde::Serialize;

use crate::db::api_keys::KeyInfo;
use crate::db::policies::StoredPolicy;
use crate::db::tenants::Tenant;
use crate::manage::keys::CreatedKey;
use crate::manage::policies::Simulation;

pub(crate) struct Output {
    pub(crate) json: bool,
}

impl Output {
    fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        println!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    }

    pub(crate) fn tenant(&self, t: &Tenant) -> anyhow::Result<()> {
        if self.json {
            return self.json(t);
        }
        println!(
            "{}\t{}\t{}\tcreated {}",
            t.id,
            t.status.as_str(),
            t.name,
            t.created_at.to_rfc3339()
        );
        Ok(())
    }

    pub(crate) fn tenants(&self, list: &[Tenant]) -> anyhow::Result<()> {
        if self.json {
            return self.json(&list);
        }
        for t in list {
            self.tenant(t)?;
        }
        Ok(())
    }

    pub(crate) fn policy(&self, tenant: &str, p: &StoredPolicy) -> anyhow::Result<()> {
        if self.json {
            return self.json(
                &serde_json::json!({"tenantId": tenant, "version": p.version, "document": p.document,
                "createdBy": p.created_by, "createdAt": p.created_at}),
            );
        }
        println!(
            "# tenant {tenant}, version {} by {} at {}",
            p.version,
            p.created_by,
            p.created_at.to_rfc3339()
        );
        println!("{}", serde_json::to_string_pretty(&p.document)?);
        Ok(())
    }

    pub(crate) fn simulation(&self, s: &Simulation) -> anyhow::Result<()> {
        if self.json {
            return self.json(s);
        }
        let reason = serde_json::to_value(s.reason)?;
        println!("{} ({})", s.decision, reason.as_str().unwrap_or_default());
        println!("  check: {}", s.check);
        for m in &s.matched_statements {
            println!(
                "  matched Statement[{}]{} {:?}",
                m.index,
                m.sid.as_ref().map(|s| format!(" (Sid {s})")).unwrap_or_default(),
                m.effect
            );
        }
        Ok(())
    }

    pub(crate) fn created_key(&self, k: &CreatedKey) -> anyhow::Result<()> {
        if self.json {
            return self.json(k);
        }
        println!("{}", k.key);
        eprintln!("key {} ({}) created; the key above is shown only once", k.id, k.name);
        Ok(())
    }

    pub(crate) fn key(&self, k: &KeyInfo) -> anyhow::Result<()> {
        if self.json {
            return self.json(k);
        }
        let state = match (&k.revoked_at, &k.expires_at) {
            (Some(at), _) => format!("revoked {}", at.to_rfc3339()),
            (None, Some(at)) => format!("expires {}", at.to_rfc3339()),
            (None, None) => "active".to_owned(),
        };
        let actions = k
            .actions
            .as_ref()
            .map(|a| a.join(","))
            .unwrap_or_else(|| "policy".into());
        println!("{}\t{}\t{}\t{}\t{}", k.id, k.prefix, k.name, actions, state);
        Ok(())
    }

    pub(crate) fn keys(&self, list: &[KeyInfo]) -> anyhow::Result<()> {
        if self.json {
            return self.json(&list);
        }
        for k in list {
            self.key(k)?;
        }
        Ok(())
    }
}
