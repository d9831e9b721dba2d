//! The audit trail. Requests hand events to [`AuditSink::record`], which never
//! waits: events go into a bounded queue and a background writer inserts them
//! in batches. When the database is down the writer keeps what it has and
//! retries; only when the buffer is full are new events dropped, counted and
//! logged. On shutdown the writer drains the queue and flushes.
//!
//! What counts as "down" is decided by where a write failed, not by a list of
//! error codes: any failure to get a connection, and any failure on one that
//! is not about the rows' content, keeps the rows. Only a row the database
//! refuses for its content (see [`crate::db::audit::WriteError`]) is dropped,
//! counted in [`AuditSink::refused`] (and in [`AuditSink::dropped`]) and logged.
//!
//! [`AuditSink::flush`] writes out everything recorded so far at once: the
//! Lambda mode calls it before it hands a response to the runtime, as an
//! execution environment may be frozen or reclaimed right after.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{Notify, mpsc, oneshot};

pub use crate::db::audit::AuditEvent;
use crate::db::audit::{self as db, WriteError};

const MAX_BATCH: usize = 500;

#[derive(Clone, Debug)]
pub struct AuditSink {
    tx: mpsc::Sender<AuditEvent>,
    /// Flush requests: each is answered once the writer has tried.
    flushes: mpsc::Sender<oneshot::Sender<bool>>,
    half_full: Arc<Notify>,
    dropped: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
}

impl AuditSink {
    pub fn record(&self, mut event: AuditEvent) {
        sanitize(&mut event);
        if self.tx.capacity() * 2 < self.tx.max_capacity() {
            self.half_full.notify_one();
        }
        if let Err(mpsc::error::TrySendError::Full(_) | mpsc::error::TrySendError::Closed(_)) = self.tx.try_send(event)
        {
            let total = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // Log the first drop and then every 1000th, not every one.
            if total == 1 || total.is_multiple_of(1000) {
                tracing::error!(dropped_total = total, "audit buffer full; dropping audit events");
            }
        }
    }

    /// Writes out every event recorded before this call (and any backlog
    /// kept from an outage) now. True when nothing is left unwritten; false
    /// when the database could not take them (they stay buffered for the
    /// next try) or the writer has stopped.
    pub async fn flush(&self) -> bool {
        let (reply, written) = oneshot::channel();
        if self.flushes.send(reply).await.is_err() {
            return false;
        }
        written.await.unwrap_or(false)
    }

    /// Events queued and not yet taken by the writer.
    pub fn buffered(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Events lost for any reason: buffer full, backlog over capacity, or
    /// refused by the database.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// A sink whose events land in the returned receiver (unit tests).
    #[cfg(test)]
    pub(crate) fn channel(capacity: usize) -> (Self, mpsc::Receiver<AuditEvent>) {
        let (tx, rx) = mpsc::channel(capacity);
        let sink = Self {
            tx,
            flushes: mpsc::channel(1).0,
            half_full: Arc::new(Notify::new()),
            dropped: Arc::new(AtomicU64::new(0)),
            refused: Arc::new(AtomicU64::new(0)),
        };
        (sink, rx)
    }

    /// Events the database refused for their content (a subset of [`Self::dropped`]).
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// The writer's loss counters, shared with every [`AuditSink`].
#[derive(Clone, Default)]
struct Losses {
    dropped: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
}

impl Losses {
    fn refused_one(&self) -> u64 {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        self.refused.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// The writer's handle: ask it to flush and stop, and wait until it has.
pub struct AuditWriter {
    stop: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<()>,
}

impl AuditWriter {
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.done.await;
    }
}

pub fn start(pool: PgPool, capacity: usize, flush_every: Duration) -> (AuditSink, AuditWriter) {
    let (tx, rx) = mpsc::channel(capacity);
    let (flushes, flush_rx) = mpsc::channel(16);
    let (stop_tx, stop_rx) = oneshot::channel();
    let losses = Losses::default();
    let half_full = Arc::new(Notify::new());
    let done = tokio::spawn(run(
        pool,
        rx,
        Control {
            flushes: flush_rx,
            stop: stop_rx,
        },
        half_full.clone(),
        capacity,
        flush_every,
        losses.clone(),
    ));
    (
        AuditSink {
            tx,
            flushes,
            half_full,
            dropped: losses.dropped,
            refused: losses.refused,
        },
        AuditWriter { stop: stop_tx, done },
    )
}

/// What the writer is asked: flush now (answering whether all was written), or stop.
struct Control {
    flushes: mpsc::Receiver<oneshot::Sender<bool>>,
    stop: oneshot::Receiver<()>,
}

async fn run(
    pool: PgPool,
    mut rx: mpsc::Receiver<AuditEvent>,
    mut control: Control,
    half_full: Arc<Notify>,
    capacity: usize,
    flush_every: Duration,
    losses: Losses,
) {
    let mut pending: Vec<AuditEvent> = Vec::new();
    let mut ticker = tokio::time::interval(flush_every);
    loop {
        // The writer wakes on its timer or when the queue is half full, never
        // per event: a wake-up per request would cost every request a
        // cross-thread hand-off. (A flush request is asked for explicitly.)
        let reply = tokio::select! {
            _ = ticker.tick() => None,
            _ = half_full.notified() => None,
            Some(reply) = control.flushes.recv() => Some(reply),
            _ = &mut control.stop => break,
        };
        while let Ok(event) = rx.try_recv() {
            pending.push(event);
        }
        flush(&pool, &mut pending, &losses).await;
        // Bound what is held while the database is away.
        if pending.len() > capacity {
            let excess = pending.len() - capacity;
            pending.drain(..excess);
            let total = losses.dropped.fetch_add(excess as u64, Ordering::Relaxed) + excess as u64;
            tracing::error!(
                dropped_total = total,
                "audit backlog over capacity; dropped oldest events"
            );
        }
        if let Some(reply) = reply {
            let _ = reply.send(pending.is_empty());
        }
    }
    rx.close();
    while let Ok(event) = rx.try_recv() {
        pending.push(event);
    }
    for attempt in 0..5 {
        flush(&pool, &mut pending, &losses).await;
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
    }
    if !pending.is_empty() {
        tracing::error!(lost = pending.len(), "could not flush audit events before exit");
    }
}

/// Text Postgres cannot store (NUL) and control characters are replaced, so
/// that no caller-influenced value can make a whole batch fail.
fn sanitize(event: &mut AuditEvent) {
    let clean = |s: &mut String| {
        if s.chars().any(char::is_control) {
            *s = s.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
        }
    };
    clean(&mut event.action);
    for field in [
        &mut event.tenant_id,
        &mut event.principal,
        &mut event.resource,
        &mut event.request_id,
    ] {
        if let Some(s) = field.as_mut() {
            clean(s);
        }
    }
    if let Some(detail) = &event.detail
        && detail.to_string().contains("\\u0000")
    {
        event.detail = Some(serde_json::Value::String(
            "(detail dropped: it held a NUL character)".into(),
        ));
    }
}

/// Writes `pending` in batches on one connection; on failure keeps the rest
/// for the next try. A batch the database refuses for its content is retried
/// row by row, and only the rows it still refuses are dropped, so one bad row
/// never holds up the others.
async fn flush(pool: &PgPool, pending: &mut Vec<AuditEvent>, losses: &Losses) {
    if pending.is_empty() {
        return;
    }
    let mut conn = match db::connection(pool).await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, buffered = pending.len(), "audit database unavailable; will retry");
            return;
        }
    };
    while !pending.is_empty() {
        let n = pending.len().min(MAX_BATCH);
        match db::copy_rows(&mut conn, &pending[..n]).await {
            Ok(()) => {
                pending.drain(..n);
            }
            Err(WriteError::Refused(e)) => {
                tracing::warn!(error = %e, "audit batch refused; inserting row by row");
                let mut i = 0;
                while i < n {
                    match db::insert_one(&mut conn, &pending[i]).await {
                        Ok(()) => i += 1,
                        Err(WriteError::Refused(e)) => {
                            let total = losses.refused_one();
                            tracing::error!(error = %e, action = %pending[i].action, refused_total = total, "audit row refused by the database; dropped");
                            i += 1;
                        }
                        // Not the row's fault: keep it and the rest for later.
                        Err(e) => {
                            tracing::warn!(error = %e, buffered = pending.len() - i, "audit write failed; will retry");
                            conn.close_on_drop();
                            pending.drain(..i);
                            return;
                        }
                    }
                }
                pending.drain(..n);
            }
            Err(e) => {
                tracing::warn!(error = %e, buffered = pending.len(), "audit write failed; will retry");
                // The connection may be broken; the next try opens a fresh one.
                conn.close_on_drop();
                return;
            }
        }
    }
}

/// Audit records are built with these, never as literals: the kind, action
/// and decision first, the rest as it is known.
impl AuditEvent {
    /// A decision on a customer (data-plane) request.
    pub(crate) fn data(action: impl Into<String>, decision: &'static str, reason: &'static str) -> Self {
        Self::new("data", action.into(), decision, reason)
    }

    /// A request to the management API.
    pub(crate) fn admin(action: impl Into<String>, decision: &'static str, reason: &'static str) -> Self {
        Self::new("admin", action.into(), decision, reason)
    }

    fn new(kind: &'static str, action: String, decision: &'static str, reason: &'static str) -> Self {
        Self {
            at: chrono::Utc::now(),
            kind,
            tenant_id: None,
            principal: None,
            action,
            resource: None,
            decision,
            reason,
            http_status: 0,
            latency_ms: 0,
            request_id: None,
            detail: None,
        }
    }

    pub(crate) fn tenant(mut self, tenant: Option<String>) -> Self {
        self.tenant_id = tenant;
        self
    }

    pub(crate) fn principal(mut self, principal: Option<String>) -> Self {
        self.principal = principal;
        self
    }

    pub(crate) fn resource(mut self, resource: Option<String>) -> Self {
        self.resource = resource;
        self
    }

    pub(crate) fn status(mut self, status: u16) -> Self {
        self.http_status = i16::try_from(status).unwrap_or(i16::MAX);
        self
    }

    /// Latency since `started`, in whole milliseconds.
    pub(crate) fn since(mut self, started: std::time::Instant) -> Self {
        self.latency_ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
        self
    }

    pub(crate) fn request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    pub(crate) fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }
}
