//! `LOGWARD_CORS_ORIGINS`: the browser origins that may call the API from
//! another site. Exact origins only (no wildcard): credentials travel in the
//! `Authorization` header, so an allowed origin can act for whoever's token a
//! page holds; each must be named.

use super::source::Source;
use super::variables as var;
use super::{ConfigError, invalid};

/// Reads the origin list (comma- or space-separated); empty when unset.
pub(super) fn origins(src: &Source) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = src.get(var::CORS_ORIGINS) else {
        return Ok(Vec::new());
    };
    let mut origins = Vec::new();
    for origin in raw.split([',', ' ']).map(str::trim).filter(|o| !o.is_empty()) {
        check(origin).map_err(|why| invalid(var::CORS_ORIGINS, format!("{origin:?} {why}")))?;
        if !origins.iter().any(|o| o == origin) {
            origins.push(origin.to_owned());
        }
    }
    Ok(origins)
}

/// An origin as browsers send it: `scheme://host[:port]`, lowercase host,
/// no path; `http://` only for a loopback host.
fn check(origin: &str) -> Result<(), &'static str> {
    let (scheme, rest) = origin
        .split_once("://")
        .ok_or("is not an origin like https://portal.example.com (no wildcard: name each origin)")?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (host, Some(port)),
        _ => (rest, None),
    };
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err("has an invalid port");
    }
    let labels_ok = !host.is_empty()
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if !labels_ok {
        return Err("must be scheme://host[:port]: a lowercase host name, no path, no wildcard");
    }
    match scheme {
        "https" => Ok(()),
        "http" if matches!(host, "localhost" | "127.0.0.1") => Ok(()),
        _ => Err("must use https:// (http:// only for localhost or 127.0.0.1)"),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn only_exact_https_origins_pass() {
        for ok in [
            "https://portal.example.com",
            "https://a.b:8443",
            "http://localhost:3000",
            "http://127.0.0.1",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for bad in [
            "*",
            "https://*.example.com",
            "https://portal.example.com/",
            "https://portal.example.com/app",
            "http://portal.example.com",
            "https://Portal.example.com",
            "https://portal.example.com:0",
            "portal.example.com",
            "null",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
