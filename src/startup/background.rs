//! The long-lived loops that keep a built state current: the tenant
//! directory refresher (NOTIFY plus periodic full reloads), the audit
//! retention pruner, the API-key last-use flusher, the Insights query
//! sweep, and the instance heartbeat.

use std::time::Duration;

use super::state::Built;
use crate::config::Settings;

pub(super) struct Background {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// This instance's id in the heartbeat table.
    pub(super) instance: String,
}

pub(super) fn start(built: &Built, settings: &Settings) -> Background {
    let refresher = tokio::spawn(crate::auth::directory::keep_current(
        built.state.auth.directory.clone(),
        built.pool.clone(),
        settings.cache_reload_interval,
    ));
    let pruner = tokio::spawn(crate::manage::audit::keep_pruning(
        built.pool.clone(),
        settings.audit.retention,
    ));
    let usage_flusher = tokio::spawn(crate::auth::key_usage::keep_flushing(
        built.state.auth.key_usage.clone(),
        built.pool.clone(),
        Duration::from_secs(10),
    ));
    let query_sweep = tokio::spawn(crate::query_ledger::keep_settled(
        built.state.gateway.clone(),
        built.pool.clone(),
    ));
    let instance = uuid::Uuid::new_v4().to_string();
    let heartbeat = tokio::spawn(super::heartbeat::keep_beating(
        built.budget.clone(),
        built.pool.clone(),
        instance.clone(),
        built.state.gateway.scope.prefix().to_owned(),
    ));
    Background {
        instance,
        tasks: vec![refresher, pruner, usage_flusher, query_sweep, heartbeat],
    }
}

impl Background {
    pub(super) fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}
