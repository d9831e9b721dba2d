//! One open tail session: delivers what its poller fans out, re-checks the
//! credential and the policy on every heartbeat with the sign-in rules, and
//! audits why it ended.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::super::filter::Selection;
use super::super::{Call, Gateway};
use super::{Scope, TailChunk};
use crate::audit::AuditEvent;
use crate::domain::Action;
use crate::tail::{Poller, TailEvent, TailSlot};

const MAX_SENT_IDS: usize = 10_000;

/// One open tail: pull [`TailChunk`]s with [`next`](Self::next) until `None`.
pub(crate) struct TailSession {
    pub(super) gateway: Arc<Gateway>,
    pub(super) call: Call,
    pub(super) action: Action,
    pub(super) resource: String,
    pub(super) scope: Scope,
    /// For group tails: each event's stream is re-authorized on delivery.
    pub(super) group: Option<Selection>,
    pub(super) rx: broadcast::Receiver<TailEvent>,
    pub(super) _poller: Arc<Poller>,
    pub(super) _slot: TailSlot,
    pub(super) pending: VecDeque<TailChunk>,
    pub(super) sent: HashSet<String>,
    pub(super) heartbeat: tokio::time::Interval,
    pub(super) closing: tokio::sync::watch::Receiver<bool>,
    pub(super) opened: Instant,
    pub(super) delivered: u64,
    pub(super) ended: bool,
}

impl TailSession {
    /// The next chunk; `None` once the session has ended.
    pub(crate) async fn next(&mut self) -> Option<TailChunk> {
        if self.ended {
            return None;
        }
        if let Some(chunk) = self.pending.pop_front() {
            return Some(self.count(chunk));
        }
        loop {
            tokio::select! {
                received = self.rx.recv() => match received {
                    Ok(event) if event.stopped => return Some(self.end("poller_stopped", &event.data)),
                    Ok(event) => {
                        if self.deliverable(&event) {
                            return Some(self.count(TailChunk::Event { id: event.id, data: event.data }));
                        }
                    }
                    Err(RecvError::Lagged(n)) => return Some(TailChunk::Dropped(n)),
                    Err(RecvError::Closed) => return Some(self.end("poller_stopped", "the tail stopped")),
                },
                _ = self.heartbeat.tick() => {
                    return Some(match self.recheck() {
                        Ok(()) => TailChunk::Keepalive,
                        Err((word, reason)) => self.end(word, &reason),
                    });
                }
                _ = self.closing.changed() => return Some(self.end("shutdown", "the server is shutting down")),
            }
        }
    }

    fn count(&mut self, chunk: TailChunk) -> TailChunk {
        if matches!(chunk, TailChunk::Event { .. }) {
            self.delivered += 1;
        }
        chunk
    }

    /// `Err((word, reason))` when the tail must end: the sign-in rules, then
    /// the policy as it is now.
    fn recheck(&self) -> Result<(), (&'static str, String)> {
        let principal = &self.call.principal;
        let tenant = self
            .gateway
            .auth
            .still_valid(principal.tenant.id.as_str(), &principal.credential)
            .map_err(|e| (e.reason(), e.to_string()))?;
        let policy = &tenant.policy;
        let allowed = principal.credential_allows(self.action)
            && match &self.scope {
                Scope::Stream(arn) => policy.authorize(self.action, arn).is_allowed(),
                Scope::Streams(arns) => arns.iter().all(|a| policy.authorize(self.action, a).is_allowed()),
                Scope::Prefix(p) => policy.authorize_stream_prefix(self.action, p).is_allowed(),
            };
        if allowed {
            Ok(())
        } else {
            Err(("policy_changed", "the policy no longer allows this tail".to_owned()))
        }
    }

    /// Whether a broadcast event may go to this client.
    fn deliverable(&mut self, event: &TailEvent) -> bool {
        if self.sent.contains(&event.id) {
            return false;
        }
        // Every event is checked against the credential and the policy as
        // they are now, not only at the next heartbeat.
        let Ok(tenant) = self
            .gateway
            .auth
            .still_valid(self.call.tenant_id(), &self.call.principal.credential)
        else {
            return false;
        };
        let allowed = match (&self.group, &self.scope) {
            (Some(selection), _) => event.stream.as_deref().is_some_and(|stream| {
                let arn = self.gateway.scope.stream_arn_raw(&selection.group, stream);
                tenant.policy.authorize(self.action, &arn).is_allowed()
            }),
            (None, Scope::Stream(arn)) => tenant.policy.authorize(self.action, arn).is_allowed(),
            (None, _) => false,
        };
        if !allowed {
            return false;
        }
        if self.sent.len() >= MAX_SENT_IDS {
            self.sent.clear();
        }
        self.sent.insert(event.id.clone());
        true
    }

    /// Ends the session and audits why.
    fn end(&mut self, word: &'static str, reason: &str) -> TailChunk {
        self.record_end(word, reason);
        TailChunk::End(reason.to_owned())
    }

    fn record_end(&mut self, word: &'static str, reason: &str) {
        if self.ended {
            return;
        }
        self.ended = true;
        let decision = match word {
            "client_gone" | "shutdown" | "poller_stopped" => "allow",
            _ => "deny",
        };
        let principal = &self.call.principal;
        self.gateway.audit.record(
            AuditEvent::data("logward:EndTail", decision, word)
                .tenant(Some(principal.tenant.id.to_string()))
                .principal(Some(principal.name.clone()))
                .resource(Some(self.resource.clone()))
                .status(200)
                .since(self.opened)
                .request_id(self.call.request_id.clone())
                .detail(serde_json::json!({
                    "action": self.action.iam_name(),
                    "reason": reason,
                    "events": self.delivered,
                })),
        );
    }
}

impl Drop for TailSession {
    /// A session dropped before it ended: the client went away.
    fn drop(&mut self) {
        self.record_end("client_gone", "the client closed the connection");
    }
}
