//! Per-tenant and per-key request rate limits: token buckets (GCRA, from
//! `governor`) held in memory. One noisy tenant must not exhaust the
//! account-wide CloudWatch quotas every tenant shares. A tenant's own limit
//! (stored with the tenant) replaces the default; a changed limit starts a
//! fresh bucket.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use crate::domain::RateLimit;
use crate::metrics::{LimitLabels, Metrics, TenantLabels};

type Bucket = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

pub(crate) struct RateLimits {
    tenant_default: RateLimit,
    key_default: RateLimit,
    tenants: Mutex<HashMap<String, TenantBucket>>,
    keys: Mutex<HashMap<String, Arc<Bucket>>>,
    metrics: Arc<Metrics>,
    /// One clock: creating one calibrates it, far too slow per request.
    clock: DefaultClock,
}

/// A tenant's bucket with the limit it was made for and its metrics gauge,
/// looked up once so that a request allocates nothing here.
#[derive(Clone)]
struct TenantBucket {
    limit: RateLimit,
    bucket: Arc<Bucket>,
    remaining: prometheus_client::metrics::gauge::Gauge,
}

/// Which limit refused a request, and when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limited {
    pub(crate) scope: &'static str,
    pub(crate) retry_after: Duration,
}

fn bucket(limit: RateLimit, clock: &DefaultClock) -> Arc<Bucket> {
    let per_second = NonZeroU32::new(limit.per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::per_second(per_second).allow_burst(burst);
    Arc::new(RateLimiter::direct_with_clock(quota, clock.clone()).with_middleware())
}

impl RateLimits {
    pub(crate) fn new(tenant_default: RateLimit, key_default: RateLimit, metrics: Arc<Metrics>) -> Self {
        Self {
            tenant_default,
            key_default,
            tenants: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            metrics,
            clock: DefaultClock::default(),
        }
    }

    fn tenant_bucket(&self, tenant: &str, own: Option<RateLimit>) -> TenantBucket {
        let limit = own.unwrap_or(self.tenant_default);
        let mut tenants = self.tenants.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(b) = tenants.get(tenant)
            && b.limit == limit
        {
            return b.clone();
        }
        let b = TenantBucket {
            limit,
            bucket: bucket(limit, &self.clock),
            remaining: self.metrics.rate_limit_remaining.get_or_create_owned(&TenantLabels {
                tenant: tenant.to_owned(),
            }),
        };
        tenants.insert(tenant.to_owned(), b.clone());
        b
    }

    fn key_bucket(&self, key: &str) -> Arc<Bucket> {
        let mut keys = self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(b) = keys.get(key) {
            return b.clone();
        }
        let b = bucket(self.key_default, &self.clock);
        keys.insert(key.to_owned(), b.clone());
        b
    }

    /// Takes one request from the tenant's bucket and, for API keys, the key's.
    pub(crate) fn check(&self, tenant: &str, own: Option<RateLimit>, key: Option<&str>) -> Result<(), Limited> {
        let refused = |scope: &'static str, wait: Duration| {
            self.metrics
                .rate_limited
                .get_or_create(&LimitLabels {
                    scope: scope.to_owned(),
                    tenant: tenant.to_owned(),
                })
                .inc();
            Limited {
                scope,
                retry_after: wait,
            }
        };
        let now = self.clock.now();
        let tenant_bucket = self.tenant_bucket(tenant, own);
        match tenant_bucket.bucket.check() {
            Ok(snapshot) => {
                tenant_bucket
                    .remaining
                    .set(i64::from(snapshot.remaining_burst_capacity()));
            }
            Err(not_until) => return Err(refused("tenant", not_until.wait_time_from(now))),
        }
        if let Some(key) = key
            && let Err(not_until) = self.key_bucket(key).check()
        {
            return Err(refused("key", not_until.wait_time_from(now)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_second: u32, burst: u32) -> RateLimits {
        let l = RateLimit { per_second, burst };
        RateLimits::new(
            l,
            RateLimit {
                per_second: 1,
                burst: 2,
            },
            Arc::new(Metrics::new()),
        )
    }

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_wait() {
        let l = limits(1, 3);
        for _ in 0..3 {
            assert!(l.check("acme", None, None).is_ok());
        }
        let refused = l.check("acme", None, None).unwrap_err();
        assert_eq!(refused.scope, "tenant");
        assert!(refused.retry_after > Duration::ZERO && refused.retry_after <= Duration::from_secs(1));
        // Other tenants have their own buckets.
        assert!(l.check("globex", None, None).is_ok());
    }

    #[test]
    fn a_tenants_own_limit_replaces_the_default_and_keys_have_their_own() {
        let l = limits(1, 1);
        let own = Some(RateLimit {
            per_second: 1,
            burst: 5,
        });
        for _ in 0..5 {
            assert!(l.check("big", own, None).is_ok());
        }
        assert!(l.check("big", own, None).is_err());
        assert!(l.check("small", None, None).is_ok());
        assert!(l.check("small", None, None).is_err());

        let l = limits(100, 100);
        assert!(l.check("acme", None, Some("k1")).is_ok());
        assert!(l.check("acme", None, Some("k1")).is_ok());
        assert_eq!(l.check("acme", None, Some("k1")).unwrap_err().scope, "key");
        assert!(l.check("acme", None, Some("k2")).is_ok());
    }
}
