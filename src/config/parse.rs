//! `Settings::from_source`: one small function per section, each reading its
//! variables from the table and checking them. Sections run in a fixed order,
//! so with several bad values the first one reported stays the same.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::variables::{self as var, Var};
use super::{
    AuditSettings, ConfigError, DatabaseSettings, JwtSettings, LogFormat, LogSettings, Settings, Source, TlsSettings,
    UpstreamSettings, invalid,
};
use crate::domain::AccountId;
use crate::domain::RateLimit;

impl Settings {
    pub fn from_source(src: &Source) -> Result<Self, ConfigError> {
        let listen = src.parse(
            var::LISTEN,
            SocketAddr::from(([127, 0, 0, 1], 8080)),
            "an address like 127.0.0.1:8080",
        )?;
        let tls = tls(src)?;
        let database = database(src)?;
        let jwt = jwt(src)?;
        let admin_token = secret(src, var::ADMIN_TOKEN, "must be at least 32 characters")?;
        let token_key = secret(src, var::TOKEN_KEY, "must be at least 32 characters")?;
        let upstream = upstream(src)?;
        let audit = audit(src)?;
        let (cache_reload_interval, max_staleness) = directory(src)?;
        let log_format = log_format(src)?;
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as u64;
        let workers = src.ranged(var::WORKERS, cores, 1, 256)? as usize;
        let limits = limits(src)?;
        let portal = super::portal::portal(src)?;
        Ok(Self {
            listen,
            workers,
            tls,
            database,
            jwt,
            admin_token,
            admin_role_claim: src.get(var::ADMIN_ROLE_CLAIM).unwrap_or("logward_role").to_owned(),
            token_key,
            max_queries_per_tenant: limits.max_queries_per_tenant,
            max_tails_per_tenant: limits.max_tails_per_tenant,
            tail_recheck: limits.tail_recheck,
            max_staleness,
            max_tail_pollers: limits.max_tail_pollers,
            tenant_rate_limit: limits.tenant_rate_limit,
            key_rate_limit: limits.key_rate_limit,
            metrics_token: src.get(var::METRICS_TOKEN).map(|s| SecretString::from(s.to_owned())),
            upstream,
            audit,
            cache_reload_interval,
            lambda_refresh: lambda_refresh(src, max_staleness)?,
            shutdown_grace: Duration::from_secs(src.ranged(var::SHUTDOWN_GRACE_SECS, 30, 0, 3_600)?),
            log: LogSettings {
                format: log_format,
                filter: src.get(var::LOG).unwrap_or("info").to_owned(),
            },
            portal,
            cors_origins: super::cors::origins(src)?,
            quota: super::quota::quota(src)?,
            access_keys: super::access_keys::access_keys(src)?,
        })
    }
}

fn tls(src: &Source) -> Result<Option<TlsSettings>, ConfigError> {
    match (src.get(var::TLS_CERT), src.get(var::TLS_KEY)) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(TlsSettings {
            cert: cert.into(),
            key: key.into(),
        })),
        (Some(_), None) => Err(invalid(var::TLS_KEY, format!("must be set when {} is", var::TLS_CERT))),
        (None, Some(_)) => Err(invalid(var::TLS_CERT, format!("must be set when {} is", var::TLS_KEY))),
    }
}

fn database(src: &Source) -> Result<DatabaseSettings, ConfigError> {
    let url = src
        .get(var::DATABASE_URL)
        .or_else(|| src.get(var::DATABASE_URL_FALLBACK))
        .ok_or_else(|| {
            invalid(
                var::DATABASE_URL,
                format!("is required (or {})", var::DATABASE_URL_FALLBACK),
            )
        })?;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(invalid(var::DATABASE_URL, "must be a postgres:// URL"));
    }
    Ok(DatabaseSettings {
        url: SecretString::from(url.to_owned()),
        max_connections: src.ranged(var::DATABASE_MAX_CONNECTIONS, 10, 1, 1000)? as u32,
    })
}

/// An optional secret of at least 32 bytes.
fn secret(src: &Source, var: Var, too_short: &str) -> Result<Option<SecretString>, ConfigError> {
    let secret = src.get(var).map(|s| SecretString::from(s.to_owned()));
    if let Some(s) = &secret
        && s.expose_secret().len() < 32
    {
        return Err(invalid(var, too_short));
    }
    Ok(secret)
}

fn jwt(src: &Source) -> Result<JwtSettings, ConfigError> {
    let hs256_secret = secret(
        src,
        var::JWT_HS256_SECRET,
        "must be at least 32 bytes (HS256 needs a 256-bit key)",
    )?;
    let jwks_url = src.get(var::JWT_JWKS_URL).map(str::to_owned);
    if let Some(url) = &jwks_url
        && !(url.starts_with("https://") || is_loopback_http(url))
    {
        // Keys fetched in the clear could be swapped on the way: anyone
        // could then mint tokens for every tenant.
        return Err(invalid(
            var::JWT_JWKS_URL,
            "must be an https:// URL (plain http only for 127.0.0.1, [::1] or localhost)",
        ));
    }
    Ok(JwtSettings {
        hs256_secret,
        public_key_file: src.get(var::JWT_PUBLIC_KEY_FILE).map(PathBuf::from),
        jwks_url,
        jwks_min_refresh: Duration::from_secs(src.ranged(var::JWT_JWKS_MIN_REFRESH_SECS, 30, 1, 86_400)?),
        leeway_secs: src.ranged(var::JWT_LEEWAY_SECS, 30, 0, 300)?,
        issuer: src.get(var::JWT_ISSUER).map(str::to_owned),
        audience: src.get(var::JWT_AUDIENCE).map(str::to_owned),
        max_lifetime_secs: src.ranged(var::JWT_MAX_LIFETIME_SECS, 0, 0, 31_536_000)?,
        tenant_claim: src.get(var::JWT_TENANT_CLAIM).unwrap_or("tenant").to_owned(),
    })
}

fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn upstream(src: &Source) -> Result<UpstreamSettings, ConfigError> {
    let account_id = src
        .get(var::AWS_ACCOUNT_ID)
        .map(|raw| AccountId::parse(raw.trim()).map_err(|e| invalid(var::AWS_ACCOUNT_ID, e.to_string())))
        .transpose()?;
    let max_inflight = src.ranged(var::UPSTREAM_MAX_INFLIGHT, 256, 1, 100_000)? as usize;
    // 32 calls at once, at CloudWatch's tens of milliseconds per call, is
    // far above its per-account quotas (GetLogEvents 25/s, FilterLogEvents
    // 5/s by default); each running call may hold a connection per worker.
    let concurrency = src.ranged(var::UPSTREAM_CONCURRENCY, 32.min(max_inflight as u64), 1, 100_000)? as usize;
    if concurrency > max_inflight {
        return Err(invalid(
            var::UPSTREAM_CONCURRENCY,
            format!(
                "must not exceed {} ({max_inflight}), got {concurrency}",
                var::UPSTREAM_MAX_INFLIGHT
            ),
        ));
    }
    Ok(UpstreamSettings {
        account_id,
        connect_timeout: Duration::from_millis(src.ranged(var::UPSTREAM_CONNECT_TIMEOUT_MS, 2_000, 10, 60_000)?),
        request_timeout: Duration::from_millis(src.ranged(var::UPSTREAM_TIMEOUT_MS, 10_000, 10, 300_000)?),
        max_attempts: src.ranged(var::UPSTREAM_MAX_ATTEMPTS, 3, 1, 10)? as u32,
        max_inflight,
        concurrency,
        // 64 MiB by default; at most 64 GiB.
        cache_max_bytes: src.ranged(var::CACHE_MAX_BYTES, 64 << 20, 0, 68_719_476_736)?,
    })
}

fn audit(src: &Source) -> Result<AuditSettings, ConfigError> {
    Ok(AuditSettings {
        buffer: src.ranged(var::AUDIT_BUFFER, 10_000, 10, 10_000_000)? as usize,
        flush_interval: Duration::from_millis(src.ranged(var::AUDIT_FLUSH_MS, 100, 10, 60_000)?),
        retention: Duration::from_secs(86_400 * src.ranged(var::AUDIT_RETENTION_DAYS, 90, 1, 36_500)?),
    })
}

/// The tenant directory's full-reload interval and the staleness bound past
/// which requests fail closed.
/// How old the directory may be before a Lambda invocation re-reads it:
/// shorter than the age at which requests fail closed, or every request
/// between the two would get 503.
fn lambda_refresh(src: &Source, max_staleness: Duration) -> Result<Duration, ConfigError> {
    let refresh = Duration::from_millis(src.ranged(var::LAMBDA_REFRESH_MS, 1_000, 0, 60_000)?);
    if refresh >= max_staleness {
        return Err(invalid(
            var::LAMBDA_REFRESH_MS,
            format!("must be shorter than {} ({max_staleness:?})", var::MAX_STALENESS_SECS),
        ));
    }
    Ok(refresh)
}

fn directory(src: &Source) -> Result<(Duration, Duration), ConfigError> {
    let cache_reload_interval = Duration::from_secs(src.ranged(var::CACHE_RELOAD_SECS, 30, 1, 3_600)?);
    let max_staleness = Duration::from_secs(src.ranged(var::MAX_STALENESS_SECS, 60, 2, 86_400)?);
    if max_staleness <= cache_reload_interval {
        return Err(invalid(
            var::MAX_STALENESS_SECS,
            format!(
                "must be longer than {} (the full reload is what keeps the directory fresh)",
                var::CACHE_RELOAD_SECS
            ),
        ));
    }
    Ok((cache_reload_interval, max_staleness))
}

fn log_format(src: &Source) -> Result<LogFormat, ConfigError> {
    match src.get(var::LOG_FORMAT).unwrap_or("text") {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(invalid(var::LOG_FORMAT, format!("must be text or json, got {other:?}"))),
    }
}

/// Per-tenant and per-key limits.
struct Limits {
    max_queries_per_tenant: i64,
    max_tails_per_tenant: usize,
    tail_recheck: Duration,
    max_tail_pollers: usize,
    tenant_rate_limit: RateLimit,
    key_rate_limit: RateLimit,
}

fn limits(src: &Source) -> Result<Limits, ConfigError> {
    Ok(Limits {
        max_queries_per_tenant: src.ranged(var::MAX_QUERIES_PER_TENANT, 5, 1, 100)? as i64,
        max_tails_per_tenant: src.ranged(var::MAX_TAILS_PER_TENANT, 10, 1, 10_000)? as usize,
        tail_recheck: Duration::from_secs(src.ranged(var::TAIL_RECHECK_SECS, 5, 1, 10)?),
        max_tail_pollers: src.ranged(var::MAX_TAIL_POLLERS, 50, 1, 10_000)? as usize,
        tenant_rate_limit: RateLimit {
            per_second: src.ranged(var::RATE_LIMIT_PER_SEC, 50, 1, 100_000)? as u32,
            burst: src.ranged(var::RATE_LIMIT_BURST, 100, 1, 100_000)? as u32,
        },
        key_rate_limit: RateLimit {
            per_second: src.ranged(var::KEY_RATE_LIMIT_PER_SEC, 20, 1, 100_000)? as u32,
            burst: src.ranged(var::KEY_RATE_LIMIT_BURST, 40, 1, 100_000)? as u32,
        },
    })
}
