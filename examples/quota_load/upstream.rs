//! The stub CloudWatch's counters: reset before a phase, read after it.

use std::collections::BTreeMap;

use anyhow::Context;
use serde::Deserialize;

#[derive(Deserialize, Clone, Default)]
pub(crate) struct OperationStats {
    pub(crate) quota: Option<usize>,
    pub(crate) calls: u64,
    pub(crate) throttled: u64,
    pub(crate) max_calls_in_1s: usize,
}

#[derive(Deserialize)]
pub(crate) struct Snapshot {
    pub(crate) operations: BTreeMap<String, OperationStats>,
}

impl Snapshot {
    pub(crate) fn calls(&self) -> u64 {
        self.operations.values().map(|o| o.calls).sum()
    }

    pub(crate) fn throttled(&self) -> u64 {
        self.operations.values().map(|o| o.throttled).sum()
    }

    pub(crate) fn op(&self, name: &str) -> OperationStats {
        self.operations.get(name).cloned().unwrap_or_default()
    }

    /// "GetLogEvents 123 (2 throttled), ..." for every operation called.
    pub(crate) fn text(&self) -> String {
        let parts: Vec<String> = self
            .operations
            .iter()
            .filter(|(_, o)| o.calls > 0)
            .map(|(name, o)| format!("{name} {} ({} throttled)", o.calls, o.throttled))
            .collect();
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

pub(crate) struct Stub {
    client: reqwest::Client,
    base: String,
}

impl Stub {
    pub(crate) fn new(client: reqwest::Client, base: &str) -> Self {
        Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    pub(crate) async fn reset(&self) -> anyhow::Result<()> {
        self.client
            .post(format!("{}/__stats/reset", self.base))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .context("resetting the stub's counters")?;
        Ok(())
    }

    pub(crate) async fn read(&self) -> anyhow::Result<Snapshot> {
        let resp = self
            .client
            .get(format!("{}/__stats", self.base))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .context("reading the stub's counters")?;
        Ok(resp.json().await?)
    }
}
