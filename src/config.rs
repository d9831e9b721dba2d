//! Typed settings, read once at start from `LOGWARD_*` environment variables and
//! optionally a TOML file (`--config`; the environment wins). Every value is
//! parsed and checked here so a bad one stops the process with a message naming
//! the variable; nothing later parses configuration.

mod access_keys;
mod cors;
mod parse;
mod portal;
mod quota;
mod source;
mod variables;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::domain::AccountId;
use crate::domain::RateLimit;

pub use access_keys::AccessKeySettings;
pub use portal::{FrameAncestors, PortalSettings};
pub use quota::QuotaSettings;
pub use source::Source;
use variables::Var;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: {message}")]
    Invalid { var: String, message: String },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
}

fn invalid(var: Var, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var: var.name().to_owned(),
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
    /// How the account's CloudWatch quotas are shared.
    pub quota: QuotaSettings,
    pub audit: AuditSettings,
    /// How often the tenant/policy cache is reloaded in full, besides the
    /// change notifications it listens to.
    pub cache_reload_interval: Duration,
    /// Lambda mode: before an invocation, the tenant directory is re-read
    /// when older than this (a frozen process cannot follow notifications).
    pub lambda_refresh: Duration,
    pub shutdown_grace: Duration,
    pub log: LogSettings,
    /// The log viewer at `/portal/`.
    pub portal: PortalSettings,
    /// Browser origins allowed to call the API cross-site (CORS); none when empty.
    pub cors_origins: Vec<String>,
    /// Access keys' server key(s) and the host names SigV4 clients sign for.
    pub access_keys: AccessKeySettings,
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
    pub(crate) hs256_secret: Option<SecretString>,
    pub public_key_file: Option<PathBuf>,
    pub jwks_url: Option<String>,
    /// Floor between two JWKS fetches, however many unknown `kid`s arrive.
    pub jwks_min_refresh: Duration,
    pub leeway_secs: u64,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// Longest lifetime (`exp` minus `iat`, or minus now without `iat`) a
    /// customer token may have; 0: no limit.
    pub max_lifetime_secs: u64,
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
    /// Bytes of CloudWatch answers kept for reuse (approximate); 0 keeps
    /// none, identical calls in flight are still joined.
    pub cache_max_bytes: u64,
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
    fn the_lambda_refresh_must_come_before_requests_fail_closed() {
        let stale = [("LOGWARD_CACHE_RELOAD_SECS", "1"), ("LOGWARD_MAX_STALENESS_SECS", "3")];
        let ok = [DB, stale[0], stale[1], ("LOGWARD_LAMBDA_REFRESH_MS", "2999")];
        assert!(Settings::from_source(&Source::from_pairs(ok)).is_ok());
        let e = err(&[DB, stale[0], stale[1], ("LOGWARD_LAMBDA_REFRESH_MS", "3000")]);
        assert!(e.starts_with("LOGWARD_LAMBDA_REFRESH_MS:"), "{e}");
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
    fn messages_naming_another_variable_read_as_before() {
        assert_eq!(
            err(&[DB, ("LOGWARD_TLS_CERT", "c.pem")]),
            "LOGWARD_TLS_KEY: must be set when LOGWARD_TLS_CERT is"
        );
        assert_eq!(
            err(&[DB, ("LOGWARD_TLS_KEY", "k.pem")]),
            "LOGWARD_TLS_CERT: must be set when LOGWARD_TLS_KEY is"
        );
        assert_eq!(err(&[]), "LOGWARD_DATABASE_URL: is required (or DATABASE_URL)");
        assert_eq!(
            err(&[
                DB,
                ("LOGWARD_UPSTREAM_MAX_INFLIGHT", "8"),
                ("LOGWARD_UPSTREAM_CONCURRENCY", "9")
            ]),
            "LOGWARD_UPSTREAM_CONCURRENCY: must not exceed LOGWARD_UPSTREAM_MAX_INFLIGHT (8), got 9"
        );
        assert_eq!(
            err(&[DB, ("LOGWARD_CACHE_RELOAD_SECS", "60")]),
            "LOGWARD_MAX_STALENESS_SECS: must be longer than LOGWARD_CACHE_RELOAD_SECS (the full reload is what \
             keeps the directory fresh)"
        );
        assert_eq!(
            err(&[DB, ("LOGWARD_WORKERS", "0")]),
            "LOGWARD_WORKERS: must be between 1 and 256, got 0"
        );
    }
}
