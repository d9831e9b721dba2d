//! CloudWatch-like per-operation quotas (a sliding one-second window of
//! accepted calls) and the counters the load generator reads at the end.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde::Serialize;

const WINDOW: Duration = Duration::from_secs(1);
/// Arrivals remembered for the "calls in any one second" figure: far above
/// any rate this machine can send, so the deque stays bounded.
const MAX_ARRIVALS: usize = 100_000;

/// What the quota says about one call.
pub(crate) enum Verdict {
    Accepted,
    Throttled,
}

#[derive(Default)]
struct Operation {
    /// Calls per second allowed; `None`: no quota (answered, counted).
    quota: Option<usize>,
    /// Accepted calls of the last second (at most `quota` entries).
    accepted: VecDeque<Instant>,
    /// Every call of the last second, accepted or not.
    arrivals: VecDeque<Instant>,
    stats: OperationStats,
}

#[derive(Default, Clone, Serialize)]
pub(crate) struct OperationStats {
    quota: Option<usize>,
    /// Every call received, throttled or not.
    calls: u64,
    throttled: u64,
    /// The most calls received in any sliding one-second window: the rate the
    /// gateway sent at, whatever the quota let through.
    max_calls_in_1s: usize,
    /// The most calls accepted in any one-second window (at most the quota).
    max_accepted_in_1s: usize,
}

pub(crate) struct Quotas {
    operations: BTreeMap<String, Operation>,
    since: Instant,
}

#[derive(Serialize)]
pub(crate) struct Snapshot {
    seconds: f64,
    operations: BTreeMap<String, OperationStats>,
}

fn expire(window: &mut VecDeque<Instant>, now: Instant) {
    while window.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
        window.pop_front();
    }
}

impl Quotas {
    pub(crate) fn new(quotas: &[(String, usize)]) -> Self {
        let mut operations = BTreeMap::new();
        for (name, quota) in quotas {
            let op = Operation {
                quota: Some(*quota),
                ..Operation::default()
            };
            operations.insert(name.clone(), op);
        }
        Self {
            operations,
            since: Instant::now(),
        }
    }

    /// Counts one call of `operation` and says whether its quota lets it through.
    pub(crate) fn admit(&mut self, operation: &str, now: Instant) -> Verdict {
        let op = self.operations.entry(operation.to_owned()).or_default();
        expire(&mut op.arrivals, now);
        expire(&mut op.accepted, now);
        if op.arrivals.len() < MAX_ARRIVALS {
            op.arrivals.push_back(now);
        }
        op.stats.calls += 1;
        op.stats.max_calls_in_1s = op.stats.max_calls_in_1s.max(op.arrivals.len());
        if op.quota.is_some_and(|q| op.accepted.len() >= q) {
            op.stats.throttled += 1;
            return Verdict::Throttled;
        }
        op.accepted.push_back(now);
        op.stats.max_accepted_in_1s = op.stats.max_accepted_in_1s.max(op.accepted.len());
        Verdict::Accepted
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let operations = self
            .operations
            .iter()
            .map(|(name, op)| {
                let mut stats = op.stats.clone();
                stats.quota = op.quota;
                (name.clone(), stats)
            })
            .collect();
        Snapshot {
            seconds: self.since.elapsed().as_secs_f64(),
            operations,
        }
    }

    /// Zeroes the counters (the windows stay, so the quota holds across a reset).
    pub(crate) fn reset(&mut self) {
        for op in self.operations.values_mut() {
            op.stats = OperationStats::default();
        }
        self.since = Instant::now();
    }
}

/// `GetLogEvents=25,FilterLogEvents=25`.
pub(crate) fn parse_quotas(text: &str) -> Result<Vec<(String, usize)>, String> {
    text.split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("expected OPERATION=CALLS_PER_SECOND, got {item:?}"))?;
            let value: usize = value
                .trim()
                .parse()
                .map_err(|_| format!("not a whole number of calls per second: {item:?}"))?;
            Ok((name.trim().to_owned(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_admits_n_calls_per_sliding_second_and_counts_the_rest() {
        let mut q = Quotas::new(&parse_quotas("GetLogEvents=3").unwrap());
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let verdicts: Vec<bool> = [0, 100, 200, 300, 999, 1000, 1150]
            .into_iter()
            .map(|ms| matches!(q.admit("GetLogEvents", at(ms)), Verdict::Accepted))
            .collect();
        // 0, 100, 200 fill the window; 300 and 999 are over; at 1000 the call of
        // 0 has left it, at 1150 the one of 100 has.
        assert_eq!(verdicts, [true, true, true, false, false, true, true]);
        let stats = &q.snapshot().operations["GetLogEvents"];
        assert_eq!((stats.calls, stats.throttled, stats.max_accepted_in_1s), (7, 2, 3));
        assert_eq!(stats.max_calls_in_1s, 5);
        assert!(matches!(q.admit("DescribeLogGroups", at(1200)), Verdict::Accepted));
    }

    #[test]
    fn quotas_parse_and_reject_what_is_not_a_rate() {
        assert_eq!(
            parse_quotas("GetLogEvents=25, FilterLogEvents=10").unwrap(),
            [("GetLogEvents".to_owned(), 25), ("FilterLogEvents".to_owned(), 10)]
        );
        assert!(parse_quotas("GetLogEvents").is_err());
        assert!(parse_quotas("GetLogEvents=fast").is_err());
    }
}
