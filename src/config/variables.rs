//! The one table of configuration variables. Each is declared here once, as a
//! [`Var`] constant; the list the environment and TOML readers accept is built
//! from the same table, and [`Source`](super::Source) answers only for a `Var`,
//! so the parser cannot read a variable that the readers would ignore.

use std::fmt;

/// A configuration variable. Its field is private to this module, so the
/// constants below are the only values there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Var(&'static str);

impl Var {
    pub(crate) const fn name(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Declares each variable as a constant and [`VARIABLES`] as the list of them.
macro_rules! variables {
    ($($(#[$attr:meta])* $ident:ident = $name:literal,)*) => {
        $($(#[$attr])* pub(crate) const $ident: Var = Var($name);)*

        /// Every variable the gateway reads, in the order of the table: what
        /// [`Source::load`](super::Source::load) takes from the environment and
        /// what the TOML file may set.
        pub(crate) const VARIABLES: &[&str] = &[$($name),*];
    };
}

variables! {
    LISTEN = "LOGWARD_LISTEN",
    WORKERS = "LOGWARD_WORKERS",
    TLS_CERT = "LOGWARD_TLS_CERT",
    TLS_KEY = "LOGWARD_TLS_KEY",
    DATABASE_URL = "LOGWARD_DATABASE_URL",
    /// The name other tools use; read when `LOGWARD_DATABASE_URL` is unset. A
    /// TOML key always maps to a `LOGWARD_` name, so the file cannot set it.
    DATABASE_URL_FALLBACK = "DATABASE_URL",
    DATABASE_MAX_CONNECTIONS = "LOGWARD_DATABASE_MAX_CONNECTIONS",
    JWT_HS256_SECRET = "LOGWARD_JWT_HS256_SECRET",
    JWT_PUBLIC_KEY_FILE = "LOGWARD_JWT_PUBLIC_KEY_FILE",
    JWT_JWKS_URL = "LOGWARD_JWT_JWKS_URL",
    JWT_JWKS_MIN_REFRESH_SECS = "LOGWARD_JWT_JWKS_MIN_REFRESH_SECS",
    JWT_LEEWAY_SECS = "LOGWARD_JWT_LEEWAY_SECS",
    JWT_ISSUER = "LOGWARD_JWT_ISSUER",
    JWT_AUDIENCE = "LOGWARD_JWT_AUDIENCE",
    JWT_MAX_LIFETIME_SECS = "LOGWARD_JWT_MAX_LIFETIME_SECS",
    JWT_TENANT_CLAIM = "LOGWARD_JWT_TENANT_CLAIM",
    ADMIN_TOKEN = "LOGWARD_ADMIN_TOKEN",
    ADMIN_ROLE_CLAIM = "LOGWARD_ADMIN_ROLE_CLAIM",
    TOKEN_KEY = "LOGWARD_TOKEN_KEY",
    MAX_QUERIES_PER_TENANT = "LOGWARD_MAX_QUERIES_PER_TENANT",
    MAX_TAILS_PER_TENANT = "LOGWARD_MAX_TAILS_PER_TENANT",
    TAIL_RECHECK_SECS = "LOGWARD_TAIL_RECHECK_SECS",
    MAX_TAIL_POLLERS = "LOGWARD_MAX_TAIL_POLLERS",
    MAX_STALENESS_SECS = "LOGWARD_MAX_STALENESS_SECS",
    RATE_LIMIT_PER_SEC = "LOGWARD_RATE_LIMIT_PER_SEC",
    RATE_LIMIT_BURST = "LOGWARD_RATE_LIMIT_BURST",
    KEY_RATE_LIMIT_PER_SEC = "LOGWARD_KEY_RATE_LIMIT_PER_SEC",
    KEY_RATE_LIMIT_BURST = "LOGWARD_KEY_RATE_LIMIT_BURST",
    UPSTREAM_MAX_INFLIGHT = "LOGWARD_UPSTREAM_MAX_INFLIGHT",
    UPSTREAM_CONCURRENCY = "LOGWARD_UPSTREAM_CONCURRENCY",
    CACHE_MAX_BYTES = "LOGWARD_CACHE_MAX_BYTES",
    METRICS_TOKEN = "LOGWARD_METRICS_TOKEN",
    AUDIT_RETENTION_DAYS = "LOGWARD_AUDIT_RETENTION_DAYS",
    AWS_ACCOUNT_ID = "LOGWARD_AWS_ACCOUNT_ID",
    UPSTREAM_CONNECT_TIMEOUT_MS = "LOGWARD_UPSTREAM_CONNECT_TIMEOUT_MS",
    UPSTREAM_TIMEOUT_MS = "LOGWARD_UPSTREAM_TIMEOUT_MS",
    UPSTREAM_MAX_ATTEMPTS = "LOGWARD_UPSTREAM_MAX_ATTEMPTS",
    UPSTREAM_QUOTAS = "LOGWARD_UPSTREAM_QUOTAS",
    UPSTREAM_QUOTA_SHARE = "LOGWARD_UPSTREAM_QUOTA_SHARE",
    UPSTREAM_QUEUE_WAIT_MS = "LOGWARD_UPSTREAM_QUEUE_WAIT_MS",
    AUDIT_BUFFER = "LOGWARD_AUDIT_BUFFER",
    AUDIT_FLUSH_MS = "LOGWARD_AUDIT_FLUSH_MS",
    CACHE_RELOAD_SECS = "LOGWARD_CACHE_RELOAD_SECS",
    LAMBDA_REFRESH_MS = "LOGWARD_LAMBDA_REFRESH_MS",
    SHUTDOWN_GRACE_SECS = "LOGWARD_SHUTDOWN_GRACE_SECS",
    LOG_FORMAT = "LOGWARD_LOG_FORMAT",
    LOG = "LOGWARD_LOG",
    PORTAL_ENABLED = "LOGWARD_PORTAL_ENABLED",
    PORTAL_FRAME_ANCESTORS = "LOGWARD_PORTAL_FRAME_ANCESTORS",
    CORS_ORIGINS = "LOGWARD_CORS_ORIGINS",
    SECRETS_KEY = "LOGWARD_SECRETS_KEY",
    SECRETS_KEY_PREVIOUS = "LOGWARD_SECRETS_KEY_PREVIOUS",
    PUBLIC_HOSTS = "LOGWARD_PUBLIC_HOSTS",
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// `LOGWARD_*` names in the README that are not gateway settings.
    const NOT_SETTINGS: &[&str] = &[
        // The demo's environment file (scripts/demo).
        "LOGWARD_URL",
        "LOGWARD_DEMO_MOTO_URL",
        // docker-compose.yml: the host port moto is published on.
        "LOGWARD_MOTO_PORT",
        // Regenerates the committed openapi.json in the test suite.
        "LOGWARD_UPDATE_OPENAPI",
    ];

    fn logward_names(text: &str) -> BTreeSet<&str> {
        let mut names = BTreeSet::new();
        let mut rest = text;
        while let Some(at) = rest.find("LOGWARD_") {
            let len = rest[at..]
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(rest.len() - at);
            let name = &rest[at..at + len];
            // "variable names without `LOGWARD_`" names the prefix, not a variable.
            if name != "LOGWARD_" {
                names.insert(name);
            }
            rest = &rest[at + len..];
        }
        names
    }

    fn table() -> BTreeSet<&'static str> {
        VARIABLES
            .iter()
            .copied()
            .filter(|v| v.starts_with("LOGWARD_"))
            .collect()
    }

    #[test]
    fn every_name_is_declared_once() {
        let unique: BTreeSet<_> = VARIABLES.iter().collect();
        assert_eq!(unique.len(), VARIABLES.len(), "a name is in the table twice");
        assert_eq!(DATABASE_URL.name(), "LOGWARD_DATABASE_URL");
        assert!(VARIABLES.contains(&DATABASE_URL_FALLBACK.name()));
    }

    #[test]
    fn the_readme_configuration_table_lists_exactly_the_variables() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("\n## Configuration\n")
            .expect("README has a Configuration section");
        let section = &readme[start + 1..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |end| end + 3)];
        let rows: String = section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| l.split('|').nth(1).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ");
        let documented = logward_names(&rows);
        let table = table();
        let undocumented: Vec<_> = table.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&table).collect();
        assert!(
            undocumented.is_empty(),
            "missing from README's configuration table: {undocumented:?}"
        );
        assert!(
            unknown.is_empty(),
            "in README's configuration table but not read: {unknown:?}"
        );
    }

    #[test]
    fn every_logward_variable_the_readme_names_is_in_the_table() {
        let table = table();
        let unknown: Vec<_> = logward_names(include_str!("../../README.md"))
            .into_iter()
            .filter(|name| !table.contains(name) && !NOT_SETTINGS.contains(name))
            .collect();
        assert!(
            unknown.is_empty(),
            "README names variables the gateway does not read: {unknown:?}"
        );
    }
}
