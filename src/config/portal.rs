//! The log viewer's settings (`LOGWARD_PORTAL_*`): whether `/portal/` is
//! served, and which origins may frame it, checked so that nothing but plain
//! origins can reach the Content-Security-Policy header.

use std::fmt;

use super::variables as var;
use super::{ConfigError, Source, invalid};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSettings {
    /// Serve the viewer at `/portal/`; when false those routes answer 404.
    pub enabled: bool,
    /// Origins that may embed the viewer in a frame; empty: nobody may.
    pub frame_ancestors: FrameAncestors,
}

impl Default for PortalSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            frame_ancestors: FrameAncestors(Vec::new()),
        }
    }
}

/// A list of CSP `frame-ancestors` sources, each `'self'` or an
/// `https://host[:port]` origin (`http://` only for loopback hosts; the host
/// may start with `*.`). Anything else, such as a path, a `;` or a bare `*`,
/// is refused at start, so the header cannot be widened or split by
/// configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameAncestors(Vec<String>);

impl FrameAncestors {
    fn parse(raw: &str) -> Result<Self, String> {
        let sources = raw
            .split_ascii_whitespace()
            .map(|s| check_source(s).map(|()| s.to_owned()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(sources))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The directive's value: the sources, or `'none'`.
impl fmt::Display for FrameAncestors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("'none'");
        }
        f.write_str(&self.0.join(" "))
    }
}

fn check_source(source: &str) -> Result<(), String> {
    if source == "'self'" {
        return Ok(());
    }
    let bad = |why: &str| format!("{source:?} {why}");
    let (scheme, rest) = source
        .split_once("://")
        .ok_or_else(|| bad("is not an origin like https://portal.example.com or 'self'"))?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(bad("has an invalid port"));
    }
    let name = host.strip_prefix("*.").unwrap_or(host);
    let labels_ok = !name.is_empty()
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !labels_ok {
        return Err(bad(
            "must be scheme://host[:port] with a plain host name (no path, no wildcard but a leading *.)",
        ));
    }
    match scheme {
        "https" => Ok(()),
        "http" if matches!(host, "localhost" | "127.0.0.1") => Ok(()),
        _ => Err(bad("must use https:// (http:// only for localhost or 127.0.0.1)")),
    }
}

pub(super) fn portal(src: &Source) -> Result<PortalSettings, ConfigError> {
    let enabled = match src.get(var::PORTAL_ENABLED).map(str::trim) {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(invalid(
                var::PORTAL_ENABLED,
                format!("must be true or false, got {other:?}"),
            ));
        }
    };
    let frame_ancestors = match src.get(var::PORTAL_FRAME_ANCESTORS) {
        None => FrameAncestors(Vec::new()),
        Some(raw) => FrameAncestors::parse(raw).map_err(|e| invalid(var::PORTAL_FRAME_ANCESTORS, e))?,
    };
    Ok(PortalSettings {
        enabled,
        frame_ancestors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    const DB: (&str, &str) = ("LOGWARD_DATABASE_URL", "postgres://postgres@127.0.0.1/x");

    fn settings(pairs: &[(&str, &str)]) -> Result<PortalSettings, String> {
        let mut all = vec![DB];
        all.extend_from_slice(pairs);
        Settings::from_source(&Source::from_pairs(all))
            .map(|s| s.portal)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_viewer_is_on_and_unframeable_by_default() {
        let p = settings(&[]).unwrap();
        assert!(p.enabled);
        assert!(p.frame_ancestors.is_empty());
        assert_eq!(p.frame_ancestors.to_string(), "'none'");
        assert!(!settings(&[("LOGWARD_PORTAL_ENABLED", "false")]).unwrap().enabled);
        let e = settings(&[("LOGWARD_PORTAL_ENABLED", "no")]).unwrap_err();
        assert_eq!(e, "LOGWARD_PORTAL_ENABLED: must be true or false, got \"no\"");
    }

    #[test]
    fn frame_ancestors_accept_origins_and_self() {
        let p = settings(&[(
            "LOGWARD_PORTAL_FRAME_ANCESTORS",
            " https://portal.example.com  https://*.acme.example:8443 'self' http://localhost:3000",
        )])
        .unwrap();
        assert_eq!(
            p.frame_ancestors.to_string(),
            "https://portal.example.com https://*.acme.example:8443 'self' http://localhost:3000"
        );
    }

    #[test]
    fn frame_ancestors_refuse_anything_that_could_widen_or_split_the_policy() {
        for bad in [
            "*",
            "https://*",
            "https:",
            "'unsafe-inline'",
            "https://a.example; script-src *",
            "https://a.example;",
            "https://a.example,https://b.example",
            "https://a.example/path",
            "http://portal.example.com",
            "data:",
            "https://a.example:0",
            "https://a.example:99999",
            "https://a..example",
            "javascript://a.example",
        ] {
            let e = settings(&[("LOGWARD_PORTAL_FRAME_ANCESTORS", bad)]).unwrap_err();
            assert!(e.starts_with("LOGWARD_PORTAL_FRAME_ANCESTORS: "), "{bad}: {e}");
        }
    }
}
