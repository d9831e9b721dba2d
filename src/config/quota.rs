//! The account's CloudWatch read quotas as logward shares them:
//! `LOGWARD_UPSTREAM_QUOTAS` (overrides of the shipped per-region table),
//! `LOGWARD_UPSTREAM_QUOTA_SHARE` (how much of it logward may use) and
//! `LOGWARD_UPSTREAM_QUEUE_WAIT_MS` (how long a call may wait for its turn).

use std::time::Duration;

use super::source::Source;
use super::variables as var;
use super::{ConfigError, invalid};
use crate::domain::Action;

/// Highest quota accepted, in calls per second.
const MAX_QUOTA: f64 = 10_000.0;

#[derive(Debug, Clone, PartialEq)]
pub struct QuotaSettings {
    /// Calls per second the account may make, per operation, where the
    /// operator overrides the shipped table.
    pub(crate) overrides: Vec<(Action, f64)>,
    /// The part of each quota logward's instances may use together (0-1].
    pub share: f64,
    /// The longest a call waits for its turn before the client gets 429.
    pub max_wait: Duration,
}

pub(super) fn quota(src: &Source) -> Result<QuotaSettings, ConfigError> {
    let share = match src.get(var::UPSTREAM_QUOTA_SHARE) {
        None => 0.75,
        Some(raw) => match raw.trim().parse::<f64>() {
            Ok(v) if v > 0.0 && v <= 1.0 => v,
            _ => {
                return Err(invalid(
                    var::UPSTREAM_QUOTA_SHARE,
                    format!("must be a number above 0 and at most 1, got {raw:?}"),
                ));
            }
        },
    };
    Ok(QuotaSettings {
        overrides: overrides(src)?,
        share,
        max_wait: Duration::from_millis(src.ranged(var::UPSTREAM_QUEUE_WAIT_MS, 1_000, 0, 60_000)?),
    })
}

/// `GetLogEvents=25,FilterLogEvents=10` (comma- or space-separated).
fn overrides(src: &Source) -> Result<Vec<(Action, f64)>, ConfigError> {
    let Some(raw) = src.get(var::UPSTREAM_QUOTAS) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<(Action, f64)> = Vec::new();
    for item in raw.split([',', ' ']).map(str::trim).filter(|i| !i.is_empty()) {
        let bad = |why: String| invalid(var::UPSTREAM_QUOTAS, format!("{item:?} {why}"));
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| bad("must be OPERATION=CALLS_PER_SECOND".into()))?;
        let action = Action::ALL
            .into_iter()
            .find(|a| a.operation().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let known: Vec<_> = Action::ALL.iter().map(|a| a.operation()).collect();
                bad(format!("names no operation logward calls ({})", known.join(", ")))
            })?;
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| *v > 0.0 && *v <= MAX_QUOTA)
            .ok_or_else(|| bad(format!("needs calls per second above 0 and at most {MAX_QUOTA}")))?;
        if out.iter().any(|(a, _)| *a == action) {
            return Err(bad("names an operation twice".into()));
        }
        out.push((action, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<QuotaSettings, ConfigError> {
        quota(&Source::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_and_overrides() {
        let s = read(&[]).unwrap();
        assert_eq!(
            (s.overrides.len(), s.share, s.max_wait),
            (0, 0.75, Duration::from_secs(1))
        );
        let s = read(&[
            ("LOGWARD_UPSTREAM_QUOTAS", "GetLogEvents=30, filterlogevents=2.5"),
            ("LOGWARD_UPSTREAM_QUOTA_SHARE", "0.5"),
        ])
        .unwrap();
        assert_eq!(
            s.overrides,
            [(Action::GetLogEvents, 30.0), (Action::FilterLogEvents, 2.5)]
        );
        assert_eq!(s.share, 0.5);
    }

    #[test]
    fn bad_values_name_the_variable_and_the_item() {
        for (var, value, says) in [
            ("LOGWARD_UPSTREAM_QUOTAS", "PutLogEvents=5", "names no operation"),
            ("LOGWARD_UPSTREAM_QUOTAS", "GetLogEvents", "OPERATION=CALLS_PER_SECOND"),
            ("LOGWARD_UPSTREAM_QUOTAS", "GetLogEvents=0", "above 0"),
            ("LOGWARD_UPSTREAM_QUOTAS", "GetLogEvents=1,GetLogEvents=2", "twice"),
            ("LOGWARD_UPSTREAM_QUOTA_SHARE", "1.5", "at most 1"),
            ("LOGWARD_UPSTREAM_QUOTA_SHARE", "0", "above 0"),
        ] {
            let e = read(&[(var, value)]).unwrap_err().to_string();
            assert!(e.starts_with(var) && e.contains(says), "{var}={value}: {e}");
        }
    }
}
