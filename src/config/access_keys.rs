//! The settings of access keys and SigV4: `LOGWARD_SECRETS_KEY` (seals access
//! keys' secrets; without it access keys can be neither created nor used),
//! `LOGWARD_SECRETS_KEY_PREVIOUS` (still opens secrets during a rotation) and
//! `LOGWARD_PUBLIC_HOSTS` (the host names clients sign for, behind a proxy
//! that rewrites `Host`).

use secrecy::{ExposeSecret, SecretString};

use super::source::Source;
use super::variables as var;
use super::{ConfigError, invalid};
use crate::auth::sigv4::MAX_PUBLIC_HOSTS;

#[derive(Debug, Clone, Default)]
pub struct AccessKeySettings {
    pub(crate) secrets_key: Option<SecretString>,
    pub(crate) secrets_key_previous: Option<SecretString>,
    /// Lowercase `host` or `host:port` names; empty: whatever Host arrives.
    pub public_hosts: Vec<String>,
}

pub(super) fn access_keys(src: &Source) -> Result<AccessKeySettings, ConfigError> {
    let key = |v| {
        src.get(v)
            .map(|s| SecretString::from(s.to_owned()))
            .map(|s| {
                if s.expose_secret().len() < 32 {
                    Err(invalid(
                        v,
                        "must be at least 32 characters (use 32 random bytes, e.g. openssl rand -base64 32)",
                    ))
                } else {
                    Ok(s)
                }
            })
            .transpose()
    };
    let secrets_key = key(var::SECRETS_KEY)?;
    let secrets_key_previous = key(var::SECRETS_KEY_PREVIOUS)?;
    match (&secrets_key, &secrets_key_previous) {
        (None, Some(_)) => {
            return Err(invalid(
                var::SECRETS_KEY_PREVIOUS,
                format!("is only read together with {}", var::SECRETS_KEY),
            ));
        }
        (Some(current), Some(previous)) if current.expose_secret() == previous.expose_secret() => {
            return Err(invalid(
                var::SECRETS_KEY_PREVIOUS,
                format!("must differ from {}", var::SECRETS_KEY),
            ));
        }
        _ => {}
    }
    Ok(AccessKeySettings {
        secrets_key,
        secrets_key_previous,
        public_hosts: public_hosts(src)?,
    })
}

/// A comma- or space-separated list of `host[:port]`.
fn public_hosts(src: &Source) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = src.get(var::PUBLIC_HOSTS) else {
        return Ok(Vec::new());
    };
    let mut hosts: Vec<String> = Vec::new();
    for host in raw.split([',', ' ']).map(str::trim).filter(|h| !h.is_empty()) {
        let host = host.to_ascii_lowercase();
        if !valid_host(&host) {
            return Err(invalid(
                var::PUBLIC_HOSTS,
                format!(
                    "{host:?} is not a host name with an optional port (like logs.example.com or logs.example.com:8443)"
                ),
            ));
        }
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    if hosts.len() > MAX_PUBLIC_HOSTS {
        return Err(invalid(
            var::PUBLIC_HOSTS,
            format!("at most {MAX_PUBLIC_HOSTS} host names"),
        ));
    }
    Ok(hosts)
}

fn valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p != 0));
    let name_ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    port_ok && name_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<AccessKeySettings, String> {
        access_keys(&Source::from_pairs(pairs.iter().copied())).map_err(|e| e.to_string())
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn secrets_keys_are_checked() {
        assert!(read(&[]).unwrap().secrets_key.is_none());
        assert!(read(&[("LOGWARD_SECRETS_KEY", KEY)]).unwrap().secrets_key.is_some());
        assert!(
            read(&[("LOGWARD_SECRETS_KEY", "short")])
                .unwrap_err()
                .starts_with("LOGWARD_SECRETS_KEY:")
        );
        assert!(
            read(&[("LOGWARD_SECRETS_KEY_PREVIOUS", KEY)])
                .unwrap_err()
                .starts_with("LOGWARD_SECRETS_KEY_PREVIOUS:")
        );
        assert!(
            read(&[("LOGWARD_SECRETS_KEY", KEY), ("LOGWARD_SECRETS_KEY_PREVIOUS", KEY)])
                .unwrap_err()
                .contains("must differ")
        );
        let rotating = read(&[
            ("LOGWARD_SECRETS_KEY", KEY),
            ("LOGWARD_SECRETS_KEY_PREVIOUS", "another key of at least 32 characters"),
        ])
        .unwrap();
        assert!(rotating.secrets_key_previous.is_some());
        assert!(!format!("{rotating:?}").contains(KEY));
    }

    #[test]
    fn public_hosts_are_lowercase_host_names_with_optional_ports() {
        let s = read(&[(
            "LOGWARD_PUBLIC_HOSTS",
            "Logs.Example.com, logs.internal:8443 logs.example.com",
        )])
        .unwrap();
        assert_eq!(s.public_hosts, ["logs.example.com", "logs.internal:8443"]);
        for bad in [
            "https://logs.example.com",
            "logs.example.com/x",
            "logs..example.com",
            "h:0",
            "h:99999",
            "*.example.com",
        ] {
            assert!(
                read(&[("LOGWARD_PUBLIC_HOSTS", bad)])
                    .unwrap_err()
                    .starts_with("LOGWARD_PUBLIC_HOSTS:"),
                "{bad}"
            );
        }
    }
}
