//! Typed settings, read once at start from `LOGWARD_*` environment variables and
//! optionally a TOML file (`--config`; the environment wins). Every value is
//! parsed and checked here so a bad one stops the process with a message naming
//! the variable; nothing later parses configuration.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::db::tenants::RateLimit;
use crate::domain::AccountId;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: {message}")]
    Invalid { var: String, message: String },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
}

fn invalid(var: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var: var.to_owned(),
        message: message.into(),
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// HTTP worker threads (each a single-threaded event loop).
    pub workers: usize,
    pub tls: Option<TlsSettings>,
    pub database: DatabaseSettings,
    pub jwt: JwtSettings,
    /// Bootstrap admin credential.
    pub admin_token: Option<SecretString>,
    /// JWT claim that marks an operator (value `admin`, or a list containing it).
    pub admin_role_claim: String,
    /// HMAC key for paging tokens; random per process when unset.
    pub token_key: Option<SecretString>,
    /// Logs Insights queries a tenant may have running at once.
    pub max_queries_per_tenant: i64,
    /// Live tails a tenant may have open at once (per instance).
    pub max_tails_per_tenant: usize,
    /// How often open tails re-check authorization (at most 10 s).
    pub tail_recheck: Duration,
    /// Upstream pollers (distinct tailed streams or group selections) per instance.
    pub max_tail_pollers: usize,
    /// Past this age without a successful directory refresh, data-plane
    /// requests fail closed with 503.
    pub max_staleness: Duration,
    /// Default token bucket of every tenant (a tenant may have its own).
    pub tenant_rate_limit: RateLimit,
    /// Token bucket of every API key, inside its tenant's.
    pub key_rate_limit: RateLimit,
    /// Bearer token that `GET /metrics` requires; open when unset.
    pub metrics_token: Option<SecretString>,
    pub upstream: UpstreamSettings,
    pub audit: AuditSettings,
    /// How often the tenant/policy cache is reloaded in full, besides the
    /// change notifications it listens to.
    pub cache_reload_interval: Duration,
    pub shutdown_grace: Duration,
    pub log: LogSettings,
}

#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub hs256_secret: Option<SecretString>,
    pub public_key_file: Option<PathBuf>,
    pub jwks_url: Option<String>,
    /// Floor between two JWKS fetches, however many unknown `kid`s arrive.
    pub jwks_min_refresh: Duration,
    pub leeway_secs: u64,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub tenant_claim: String,
}

#[derive(Debug, Clone)]
pub struct UpstreamSettings {
    /// Account id used in resource ARNs; looked up with STS when unset.
    pub account_id: Option<AccountId>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_attempts: u32,
    /// CloudWatch calls admitted at once (running or waiting), across all
    /// requests (503 beyond).
    pub max_inflight: usize,
    /// CloudWatch calls running at once, and so the most connections the
    /// shared client opens; further admitted calls wait for a slot.
    pub concurrency: usize,
}

#[derive(Debug, Clone)]
pub struct AuditSettings {
    pub buffer: usize,
    pub flush_interval: Duration,
    /// Audit rows older than this are pruned in the background.
    pub retention: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

/// Every variable the gateway reads, for the TOML key check and the docs.
pub const VARIABLES: &[&str] = &[
    "LOGWARD_LISTEN",
    "LOGWARD_WORKERS",
    "LOGWARD_TLS_CERT",
    "LOGWARD_TLS_KEY",
    "LOGWARD_DATABASE_URL",
    "LOGWARD_DATABASE_MAX_CONNECTIONS",
    "LOGWARD_JWT_HS256_SECRET",
    "LOGWARD_JWT_PUBLIC_KEY_FILE",
    "LOGWARD_JWT_JWKS_URL",
    "LOGWARD_JWT_JWKS_MIN_REFRESH_SECS",
    "LOGWARD_JWT_LEEWAY_SECS",
    "LOGWARD_JWT_ISSUER",
    "LOGWARD_JWT_AUDIENCE",
    "LOGWARD_JWT_TENANT_CLAIM",
    "LOGWARD_ADMIN_TOKEN",
    "LOGWARD_ADMIN_ROLE_CLAIM",
    "LOGWARD_TOKEN_KEY",
    "LOGWARD_MAX_QUERIES_PER_TENANT",
    "LOGWARD_MAX_TAILS_PER_TENANT",
    "LOGWARD_TAIL_RECHECK_SECS",
    "LOGWARD_MAX_TAIL_POLLERS",
    "LOGWARD_MAX_STALENESS_SECS",
    "LOGWARD_RATE_LIMIT_PER_SEC",
    "LOGWARD_RATE_LIMIT_BURST",
    "LOGWARD_KEY_RATE_LIMIT_PER_SEC",
    "LOGWARD_KEY_RATE_LIMIT_BURST",
    "LOGWARD_UPSTREAM_MAX_INFLIGHT",
    "LOGWARD_UPSTREAM_CONCURRENCY",
    "LOGWARD_METRICS_TOKEN",
    "LOGWARD_AUDIT_RETENTION_DAYS",
    "LOGWARD_AWS_ACCOUNT_ID",
    "LOGWARD_UPSTREAM_CONNECT_TIMEOUT_MS",
    "LOGWARD_UPSTREAM_TIMEOUT_MS",
    "LOGWARD_UPSTREAM_MAX_ATTEMPTS",
    "LOGWARD_AUDIT_BUFFER",
    "LOGWARD_AUDIT_FLUSH_MS",
    "LOGWARD_CACHE_RELOAD_SECS",
    "LOGWARD_SHUTDOWN_GRACE_SECS",
    "LOGWARD_LOG_FORMAT",
    "LOGWARD_LOG",
];

/// Raw key/value source: the TOML file overlaid with the environment.
pub struct Source {
    values: BTreeMap<String, String>,
}

impl Source {
    /// Reads the optional TOML file, then the process environment on top.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut values = match config_file {
            Some(path) => read_toml(path)?,
            None => BTreeMap::new(),
        };
        for var in VARIABLES.iter().copied().chain(["DATABASE_URL"]) {
            if let Ok(value) = std::env::var(var) {
                values.insert(var.to_owned(), value);
            }
        }
        Ok(Self { values })
    }

    /// A source from explicit pairs (tests, tools).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            values: pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
        }
    }

    fn get(&self, var: &str) -> Option<&str> {
        self.values
            .get(var)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn parse<T: std::str::FromStr>(&self, var: &str, default: T, what: &str) -> Result<T, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| invalid(var, format!("must be {what}, got {raw:?}"))),
        }
    }

    fn ranged(&self, var: &str, default: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
        let v = self.parse(var, default, "a whole number")?;
        if !(min..=max).contains(&v) {
            return Err(invalid(var, format!("must be between {min} and {max}, got {v}")));
        }
        Ok(v)
    }
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

fn read_toml(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let file_err = |message: String| ConfigError::File {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| file_err(e.to_string()))?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        // `jwt_leeway_secs = 10` in the file is LOGWARD_JWT_LEEWAY_SECS.
        let var = format!("LOGWARD_{}", key.to_ascii_uppercase());
        if !VARIABLES.contains(&var.as_str()) {
            return Err(file_err(format!("unknown key {key:?}")));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => {
                return Err(file_err(format!("{key}: must be a string, integer or boolean")));
            }
        };
        values.insert(var, value);
    }
    Ok(values)
}

impl Settings {
    pub fn from_source(src: &Source) -> Result<Self, ConfigError> {
        let listen = src.parse(
            "LOGWARD_LISTEN",
            SocketAddr::from(([127, 0, 0, 1], 8080)),
            "an address like 127.0.0.1:8080",
        )?;
        let tls = match (src.get("LOGWARD_TLS_CERT"), src.get("LOGWARD_TLS_KEY")) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some(TlsSettings {
                cert: cert.into(),
                key: key.into(),
            }),
            (Some(_), None) => {
                return Err(invalid("LOGWARD_TLS_KEY", "must be set when LOGWARD_TLS_CERT is"));
            }
            (None, Some(_)) => {
                return Err(invalid("LOGWARD_TLS_CERT", "must be set when LOGWARD_TLS_KEY is"));
            }
        };
        let url = src
            .get("LOGWARD_DATABASE_URL")
            .or_else(|| src.get("DATABASE_URL"))
            .ok_or_else(|| invalid("LOGWARD_DATABASE_URL", "is required (or DATABASE_URL)"))?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid("LOGWARD_DATABASE_URL", "must be a postgres:// URL"));
        }
        let database = DatabaseSettings {
            url: SecretString::from(url.to_owned()),
            max_connections: src.ranged("LOGWARD_DATABASE_MAX_CONNECTIONS", 10, 1, 1000)? as u32,
        };

        let hs256_secret = src
            .get("LOGWARD_JWT_HS256_SECRET")
            .map(|s| SecretString::from(s.to_owned()));
        if let Some(secret) = &hs256_secret
            && secret.expose_secret().len() < 32
        {
            return Err(invalid(
                "LOGWARD_JWT_HS256_SECRET",
                "must be at least 32 bytes (HS256 needs a 256-bit key)",
            ));
        }
        let jwks_url = src.get("LOGWARD_JWT_JWKS_URL").map(str::to_owned);
        if let Some(url) = &jwks_url
            && !(url.starts_with("https://") || is_loopback_http(url))
        {
            // Keys fetched in the clear could be swapped on the way: anyone
            // could then mint tokens for every tenant.
            return Err(invalid(
                "LOGWARD_JWT_JWKS_URL",
                "must be an https:// URL (plain http only for 127.0.0.1, [::1] or localhost)",
            ));
        }
        let tenant_claim = src.get("LOGWARD_JWT_TENANT_CLAIM").unwrap_or("tenant").to_owned();
        let jwt = JwtSettings {
            hs256_secret,
            public_key_file: src.get("LOGWARD_JWT_PUBLIC_KEY_FILE").map(PathBuf::from),
            jwks_url,
            jwks_min_refresh: Duration::from_secs(src.ranged("LOGWARD_JWT_JWKS_MIN_REFRESH_SECS", 30, 1, 86_400)?),
            leeway_secs: src.ranged("LOGWARD_JWT_LEEWAY_SECS", 30, 0, 300)?,
            issuer: src.get("LOGWARD_JWT_ISSUER").map(str::to_owned),
            audience: src.get("LOGWARD_JWT_AUDIENCE").map(str::to_owned),
            tenant_claim,
        };

        let admin_token = src.get("LOGWARD_ADMIN_TOKEN").map(|s| SecretString::from(s.to_owned()));
        if let Some(token) = &admin_token
            && token.expose_secret().len() < 32
        {
            return Err(invalid("LOGWARD_ADMIN_TOKEN", "must be at least 32 characters"));
        }

        let token_key = src.get("LOGWARD_TOKEN_KEY").map(|s| SecretString::from(s.to_owned()));
        if let Some(key) = &token_key
            && key.expose_secret().len() < 32
        {
            return Err(invalid("LOGWARD_TOKEN_KEY", "must be at least 32 characters"));
        }

        let account_id = src
            .get("LOGWARD_AWS_ACCOUNT_ID")
            .map(|raw| AccountId::parse(raw.trim()).map_err(|e| invalid("LOGWARD_AWS_ACCOUNT_ID", e.to_string())))
            .transpose()?;
        let max_inflight = src.ranged("LOGWARD_UPSTREAM_MAX_INFLIGHT", 256, 1, 100_000)? as usize;
        // 32 calls at once, at CloudWatch's tens of milliseconds per call, is
        // far above its per-account quotas (GetLogEvents 25/s, FilterLogEvents
        // 5/s by default); each running call may hold a connection per worker.
        let concurrency = src.ranged("LOGWARD_UPSTREAM_CONCURRENCY", 32.min(max_inflight as u64), 1, 100_000)? as usize;
        if concurrency > max_inflight {
            return Err(invalid(
                "LOGWARD_UPSTREAM_CONCURRENCY",
                format!("must not exceed LOGWARD_UPSTREAM_MAX_INFLIGHT ({max_inflight}), got {concurrency}"),
            ));
        }
        let upstream = UpstreamSettings {
            account_id,
            connect_timeout: Duration::from_millis(src.ranged(
                "LOGWARD_UPSTREAM_CONNECT_TIMEOUT_MS",
                2_000,
                10,
                60_000,
            )?),
            request_timeout: Duration::from_millis(src.ranged("LOGWARD_UPSTREAM_TIMEOUT_MS", 10_000, 10, 300_000)?),
            max_attempts: src.ranged("LOGWARD_UPSTREAM_MAX_ATTEMPTS", 3, 1, 10)? as u32,
            max_inflight,
            concurrency,
        };
        let audit = AuditSettings {
            buffer: src.ranged("LOGWARD_AUDIT_BUFFER", 10_000, 10, 10_000_000)? as usize,
            flush_interval: Duration::from_millis(src.ranged("LOGWARD_AUDIT_FLUSH_MS", 100, 10, 60_000)?),
            retention: Duration::from_secs(86_400 * src.ranged("LOGWARD_AUDIT_RETENTION_DAYS", 90, 1, 36_500)?),
        };
        let cache_reload_interval = Duration::from_secs(src.ranged("LOGWARD_CACHE_RELOAD_SECS", 30, 1, 3_600)?);
        let max_staleness = Duration::from_secs(src.ranged("LOGWARD_MAX_STALENESS_SECS", 60, 2, 86_400)?);
        if max_staleness <= cache_reload_interval {
            return Err(invalid(
                "LOGWARD_MAX_STALENESS_SECS",
                "must be longer than LOGWARD_CACHE_RELOAD_SECS (the full reload is what keeps the directory fresh)",
            ));
        }
        let format = match src.get("LOGWARD_LOG_FORMAT").unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(invalid(
                    "LOGWARD_LOG_FORMAT",
                    format!("must be text or json, got {other:?}"),
                ));
            }
        };
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as u64;
        Ok(Self {
            listen,
            workers: src.ranged("LOGWARD_WORKERS", cores, 1, 256)? as usize,
            tls,
            database,
            jwt,
            admin_token,
            admin_role_claim: src.get("LOGWARD_ADMIN_ROLE_CLAIM").unwrap_or("logward_role").to_owned(),
            token_key,
            max_queries_per_tenant: src.ranged("LOGWARD_MAX_QUERIES_PER_TENANT", 5, 1, 100)? as i64,
            max_tails_per_tenant: src.ranged("LOGWARD_MAX_TAILS_PER_TENANT", 10, 1, 10_000)? as usize,
            tail_recheck: Duration::from_secs(src.ranged("LOGWARD_TAIL_RECHECK_SECS", 5, 1, 10)?),
            max_staleness,
            max_tail_pollers: src.ranged("LOGWARD_MAX_TAIL_POLLERS", 50, 1, 10_000)? as usize,
            tenant_rate_limit: RateLimit {
                per_second: src.ranged("LOGWARD_RATE_LIMIT_PER_SEC", 50, 1, 100_000)? as u32,
                burst: src.ranged("LOGWARD_RATE_LIMIT_BURST", 100, 1, 100_000)? as u32,
            },
            key_rate_limit: RateLimit {
                per_second: src.ranged("LOGWARD_KEY_RATE_LIMIT_PER_SEC", 20, 1, 100_000)? as u32,
                burst: src.ranged("LOGWARD_KEY_RATE_LIMIT_BURST", 40, 1, 100_000)? as u32,
            },
            metrics_token: src
                .get("LOGWARD_METRICS_TOKEN")
                .map(|s| SecretString::from(s.to_owned())),
            upstream,
            audit,
            cache_reload_interval,
            shutdown_grace: Duration::from_secs(src.ranged("LOGWARD_SHUTDOWN_GRACE_SECS", 30, 0, 3_600)?),
            log: LogSettings {
                format,
                filter: src.get("LOGWARD_LOG").unwrap_or("info").to_owned(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: (&str, &str) = ("LOGWARD_DATABASE_URL", "postgres://postgres@127.0.0.1/x");

    fn err(pairs: &[(&str, &str)]) -> String {
        Settings::from_source(&Source::from_pairs(pairs.iter().copied()))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_are_sane() {
        let s = Settings::from_source(&Source::from_pairs([DB])).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.jwt.leeway_secs, 30);
        assert_eq!(s.jwt.tenant_claim, "tenant");
        assert!(s.tls.is_none());
    }

    #[test]
    fn database_url_falls_back_to_database_url() {
        assert!(Settings::from_source(&Source::from_pairs([("DATABASE_URL", "postgres://h/db")])).is_ok());
        assert!(err(&[]).starts_with("LOGWARD_DATABASE_URL"));
    }

    #[test]
    fn upstream_concurrency_defaults_to_32_within_the_in_flight_cap() {
        let s = Settings::from_source(&Source::from_pairs([DB])).unwrap();
        assert_eq!((s.upstream.concurrency, s.upstream.max_inflight), (32, 256));
        let s = Settings::from_source(&Source::from_pairs([DB, ("LOGWARD_UPSTREAM_MAX_INFLIGHT", "8")])).unwrap();
        assert_eq!(s.upstream.concurrency, 8);
        let e = err(&[
            DB,
            ("LOGWARD_UPSTREAM_MAX_INFLIGHT", "8"),
            ("LOGWARD_UPSTREAM_CONCURRENCY", "9"),
        ]);
        assert!(e.starts_with("LOGWARD_UPSTREAM_CONCURRENCY:"), "{e}");
    }

    #[test]
    fn errors_name_the_variable() {
        assert!(err(&[DB, ("LOGWARD_LISTEN", "nope")]).starts_with("LOGWARD_LISTEN:"));
        assert!(err(&[DB, ("LOGWARD_JWT_LEEWAY_SECS", "-1")]).starts_with("LOGWARD_JWT_LEEWAY_SECS:"));
        assert!(err(&[DB, ("LOGWARD_JWT_LEEWAY_SECS", "9999")]).starts_with("LOGWARD_JWT_LEEWAY_SECS:"));
        assert!(err(&[DB, ("LOGWARD_TLS_CERT", "c.pem")]).starts_with("LOGWARD_TLS_KEY:"));
        assert!(err(&[DB, ("LOGWARD_JWT_HS256_SECRET", "short")]).starts_with("LOGWARD_JWT_HS256_SECRET:"));
        assert!(err(&[DB, ("LOGWARD_AWS_ACCOUNT_ID", "12")]).starts_with("LOGWARD_AWS_ACCOUNT_ID:"));
        assert!(err(&[DB, ("LOGWARD_LOG_FORMAT", "xml")]).starts_with("LOGWARD_LOG_FORMAT:"));
        assert!(err(&[DB, ("LOGWARD_JWT_JWKS_URL", "http://idp.example/jwks")]).starts_with("LOGWARD_JWT_JWKS_URL:"));
        assert!(
            err(&[DB, ("LOGWARD_JWT_JWKS_URL", "http://127.0.0.1.evil.example/j")])
                .starts_with("LOGWARD_JWT_JWKS_URL:")
        );
        for ok in [
            "https://idp.example/jwks",
            "http://127.0.0.1:9/j",
            "http://localhost/j",
            "http://[::1]:8/j",
        ] {
            assert!(
                Settings::from_source(&Source::from_pairs([DB, ("LOGWARD_JWT_JWKS_URL", ok)])).is_ok(),
                "{ok}"
            );
        }
    }

    #[test]
    fn toml_file_is_overridden_by_environment_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logward.toml");
        std::fs::write(&path, "database_url = \"postgres://h/db\"\njwt_leeway_secs = 5\n").unwrap();
        let mut src = Source {
            values: read_toml(&path).unwrap(),
        };
        assert_eq!(Settings::from_source(&src).unwrap().jwt.leeway_secs, 5);
        src.values.insert("LOGWARD_JWT_LEEWAY_SECS".into(), "7".into());
        assert_eq!(Settings::from_source(&src).unwrap().jwt.leeway_secs, 7);
        std::fs::write(&path, "databse_url = \"x\"\n").unwrap();
        assert!(
            read_toml(&path)
                .unwrap_err()
                .to_string()
                .contains("unknown key \"databse_url\"")
        );
    }
}
