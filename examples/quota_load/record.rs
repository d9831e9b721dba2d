//! What a scenario records: statuses and a latency histogram of fixed size
//! (log buckets 1 % wide), so memory does not grow with the run.

use std::collections::BTreeMap;
use std::time::Duration;

/// Bucket `i` holds latencies in [GROWTH^i, GROWTH^(i+1)) µs.
const GROWTH: f64 = 1.01;
/// 1.01^1900 µs is about 160 s, beyond any client timeout.
const BUCKETS: usize = 1900;

pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: Duration,
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            max: Duration::ZERO,
        }
    }

    pub(crate) fn record(&mut self, latency: Duration) {
        let us = latency.as_micros().max(1) as f64;
        let i = ((us.ln() / GROWTH.ln()) as usize).min(BUCKETS - 1);
        self.counts[i] += 1;
        self.total += 1;
        self.max = self.max.max(latency);
    }

    /// The upper bound of the bucket holding quantile `q` (so never optimistic
    /// by more than 1 %), capped at the largest latency seen.
    pub(crate) fn quantile(&self, q: f64) -> Option<Duration> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let upper = Duration::from_micros(GROWTH.powi(i as i32 + 1) as u64);
                return Some(upper.min(self.max));
            }
        }
        Some(self.max)
    }
}

/// How one request ended.
#[derive(Clone, Copy)]
pub(crate) enum Outcome {
    Status(u16),
    /// No response within the timeout, or the connection failed.
    TransportError,
}

/// The tally of one group of requests (one scenario, or one tenant of E2).
pub(crate) struct Tally {
    pub(crate) latency: Histogram,
    pub(crate) statuses: BTreeMap<u16, u64>,
    pub(crate) transport_errors: u64,
    /// 429 answers that carried `Retry-After`.
    pub(crate) retry_after: u64,
    /// Requests the generator did not send because its in-flight bound was reached.
    pub(crate) shed: u64,
}

impl Tally {
    pub(crate) fn new() -> Self {
        Self {
            latency: Histogram::new(),
            statuses: BTreeMap::new(),
            transport_errors: 0,
            retry_after: 0,
            shed: 0,
        }
    }

    /// Latency counts for every request sent, answered or not (a timeout counts
    /// as its full wait).
    pub(crate) fn record(&mut self, outcome: Outcome, latency: Duration, retry_after: bool) {
        self.latency.record(latency);
        match outcome {
            Outcome::Status(s) => *self.statuses.entry(s).or_default() += 1,
            Outcome::TransportError => self.transport_errors += 1,
        }
        if retry_after {
            self.retry_after += 1;
        }
    }

    pub(crate) fn sent(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.transport_errors
    }

    pub(crate) fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    pub(crate) fn ok(&self) -> u64 {
        self.statuses.range(200..300).map(|(_, n)| n).sum()
    }

    /// 2xx over every request sent (non-2xx and transport errors fail).
    pub(crate) fn success_rate(&self) -> f64 {
        match self.sent() {
            0 => 0.0,
            n => self.ok() as f64 / n as f64,
        }
    }

    pub(crate) fn statuses_text(&self) -> String {
        let mut parts: Vec<String> = self.statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        if self.transport_errors > 0 {
            parts.push(format!("no answer: {}", self.transport_errors));
        }
        parts.join(", ")
    }
}

pub(crate) fn ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0))
}

pub(crate) fn percent(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

pub(crate) fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_one_percent_above_the_true_value() {
        let mut h = Histogram::new();
        for ms in 1..=1000 {
            h.record(Duration::from_millis(ms));
        }
        let p99 = h.quantile(0.99).unwrap().as_secs_f64() * 1000.0;
        assert!((990.0..=990.0 * 1.01).contains(&p99), "{p99}");
        assert_eq!(h.quantile(1.0), Some(Duration::from_millis(1000)));
        assert!(Histogram::new().quantile(0.5).is_none());
    }

    #[test]
    fn only_2xx_succeeds_and_every_request_counts() {
        let mut t = Tally::new();
        t.record(Outcome::Status(200), Duration::from_millis(5), false);
        t.record(Outcome::Status(429), Duration::from_millis(1), true);
        t.record(Outcome::TransportError, Duration::from_secs(15), false);
        assert_eq!((t.sent(), t.ok(), t.count(429), t.retry_after), (3, 1, 1, 1));
        assert!((t.success_rate() - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(t.statuses_text(), "200: 1, 429: 1, no answer: 1");
    }
}
