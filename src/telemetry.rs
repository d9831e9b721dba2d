//! Logging set-up: human-readable text or JSON lines on stderr.
//!
//! Lines are written by a background thread (tracing-appender), so a request
//! never waits on a write to stderr and many lines go out in one write. If
//! the writer falls more than [`QUEUED_LINES`] behind, new lines are dropped
//! and counted (`logward_log_lines_dropped_total`) rather than stalling
//! requests; the audit trail is in Postgres, not in these lines.

use std::io::IsTerminal;
use std::sync::OnceLock;

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

const QUEUED_LINES: usize = 16_384;

static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// Keeps the log writer running; dropping it writes out what is queued.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: WorkerGuard,
}

/// Installs the global subscriber. Safe to call more than once (later calls
/// install nothing, and their guard only owns an idle writer).
pub fn init(settings: &LogSettings) -> LogGuard {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("logward-log")
        .finish(std::io::stderr());
    let counter = writer.error_counter();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let installed = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if installed.is_ok() {
        let _ = DROPPED.set(counter);
    }
    LogGuard { _writer: guard }
}

/// Log lines dropped because the writer fell behind.
pub(crate) fn dropped_lines() -> u64 {
    DROPPED.get().map_or(0, |c| c.dropped_lines() as u64)
}
