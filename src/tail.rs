//! Live tail: pollers that follow a stream (GetLogEvents) or a group
//! (FilterLogEvents) and fan new events out to every open tail of the same
//! thing, so a hundred viewers of one stream cost one upstream poll loop, not
//! a hundred. A poller starts with its first subscriber and stops when the
//! last one leaves, or when it keeps failing (its subscribers are told).
//! Polls back off while nothing arrives. Pollers cost upstream quota, so an
//! instance runs a bounded number, and one tenant may start at most a fair
//! share of them ([`TailHub::share`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{broadcast, watch};

use crate::domain::{LogGroupName, LogStreamName};
use crate::upstream::SharedUpstream;

mod poll;

use self::poll::poll;
pub(crate) use self::poll::stream_event_id;

const CHANNEL_CAPACITY: usize = 1024;
/// How far before its opening a tail starts, by event timestamp.
const LOOK_BACK_MS: i64 = 2_000;

/// What is being tailed. Equal keys share one poller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TailKey {
    Stream {
        group: LogGroupName,
        stream: LogStreamName,
    },
    Group {
        group: LogGroupName,
        streams: Vec<LogStreamName>,
        filter_pattern: Option<String>,
    },
}

/// One event as sent to clients: an SSE id and the JSON for the data line.
/// A poller that gives up sends one last event with `stopped` set and the
/// reason as `data`.
#[derive(Debug, Clone)]
pub(crate) struct TailEvent {
    pub(crate) id: String,
    pub(crate) timestamp: i64,
    pub(crate) stream: Option<String>,
    pub(crate) data: Arc<str>,
    pub(crate) stopped: bool,
}

/// A running poller; dropping the last handle stops it.
pub(crate) struct Poller {
    tx: broadcast::Sender<TailEvent>,
    task: tokio::task::JoinHandle<()>,
    /// The tenant whose tail started it (counted against its share).
    tenant: String,
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Poller {
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<TailEvent> {
        self.tx.subscribe()
    }

    fn alive(&self) -> bool {
        !self.task.is_finished()
    }
}

/// Why no poller could be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoPoller {
    /// The instance runs as many pollers as it may.
    InstanceFull,
    /// The tenant started its share of them.
    TenantShare,
}

pub struct TailHub {
    upstream: SharedUpstream,
    /// Pollers this instance runs at most: each costs upstream quota.
    max_pollers: usize,
    pollers: Mutex<HashMap<TailKey, Weak<Poller>>>,
    open: Mutex<HashMap<String, usize>>,
    closing: watch::Sender<bool>,
}

/// Counts an open tail against its tenant's cap until dropped.
pub(crate) struct TailSlot {
    hub: Arc<TailHub>,
    tenant: String,
}

impl Drop for TailSlot {
    fn drop(&mut self) {
        let mut open = self.hub.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.tenant);
            }
        }
    }
}

impl TailHub {
    pub(crate) fn new(upstream: SharedUpstream, max_pollers: usize) -> Arc<Self> {
        Arc::new(Self {
            upstream,
            max_pollers,
            pollers: Mutex::new(HashMap::new()),
            open: Mutex::new(HashMap::new()),
            closing: watch::channel(false).0,
        })
    }

    /// Reserves a tail for `tenant`, or `None` when it has `max` open already.
    pub(crate) fn reserve(self: &Arc<Self>, tenant: &str, max: usize) -> Option<TailSlot> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(tenant.to_owned()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(TailSlot {
            hub: self.clone(),
            tenant: tenant.to_owned(),
        })
    }

    /// The running poller for `key`, if any.
    pub(crate) fn running(&self, key: &TailKey) -> Option<Arc<Poller>> {
        let pollers = self.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pollers.get(key).and_then(Weak::upgrade).filter(|p| p.alive())
    }

    /// Pollers one tenant may start: a tenth of the instance's, at least one,
    /// so that a few tenants cannot take them all.
    pub(crate) fn share(&self) -> usize {
        (self.max_pollers / 10).max(1)
    }

    /// The poller for `key`, started for `tenant` if none is running.
    pub(crate) fn poller(&self, key: TailKey, tenant: &str) -> Result<Arc<Poller>, NoPoller> {
        let mut pollers = self.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pollers.retain(|_, p| p.upgrade().is_some_and(|p| p.alive()));
        if let Some(p) = pollers.get(&key).and_then(Weak::upgrade) {
            return Ok(p);
        }
        if pollers.len() >= self.max_pollers {
            return Err(NoPoller::InstanceFull);
        }
        let started_by_tenant = pollers
            .values()
            .filter_map(Weak::upgrade)
            .filter(|p| p.tenant == tenant)
            .count();
        if started_by_tenant >= self.share() {
            return Err(NoPoller::TenantShare);
        }
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        // The start is fixed now, before the first subscriber gets its answer,
        // so nothing written after the tail opened can fall before it. A short
        // look-back catches events whose timestamps trail their arrival.
        let start_ms = chrono::Utc::now().timestamp_millis() - LOOK_BACK_MS;
        let task = tokio::spawn(poll(self.upstream.clone(), key.clone(), tx.clone(), start_ms));
        let poller = Arc::new(Poller {
            tx,
            task,
            tenant: tenant.to_owned(),
        });
        pollers.insert(key, Arc::downgrade(&poller));
        Ok(poller)
    }

    /// Tails open now, all tenants.
    pub(crate) fn open(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .sum()
    }

    /// Pollers running now.
    pub fn active_pollers(&self) -> usize {
        let pollers = self.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pollers.values().filter_map(Weak::upgrade).filter(|p| p.alive()).count()
    }

    /// Resolves when the hub is closing (shutdown).
    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Asks every open tail to end (graceful shutdown).
    pub(crate) fn close_all(&self) {
        let _ = self.closing.send(true);
    }
}
