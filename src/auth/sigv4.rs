//! SigV4 verification, independent of any transport: a front door hands over
//! the request as it arrived ([`SignedRequest`]) and [`verify`] decides whether
//! one of the gateway's access keys signed it, as AWS would:
//!
//! - the `Authorization` header's `AWS4-HMAC-SHA256` form only (presigned
//!   query-string requests are refused), and no session token;
//! - a credential scope whose date is the `X-Amz-Date` day, for a region the
//!   gateway serves, for service `logs`, ending in `aws4_request`;
//! - `X-Amz-Date` within 15 minutes of the server clock;
//! - `host`, `x-amz-date` and `x-amz-target` signed, and every `x-amz-*`
//!   header present signed too;
//! - the payload hash computed here over the (size-capped) body; an
//!   `x-amz-content-sha256` header, when present, must equal it, and
//!   `UNSIGNED-PAYLOAD` or streaming payloads are refused;
//! - the signature recomputed with the `aws-sigv4` crate and compared in
//!   constant time.
//!
//! Behind a proxy that rewrites `Host`, the host the client signed is not the
//! one received: with `LOGWARD_PUBLIC_HOSTS` set, the signed host must be one
//! of those names, and each is tried when the received one is not among them.

mod authorization;
#[cfg(test)]
mod botocore_tests;
mod signature;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use self::authorization::{Authorization, parse_amz_date};
use self::signature::Signing;
use super::AuthError;
use super::directory::AccessKeyEntry;

/// The service name in credential scopes.
pub(crate) const SERVICE: &str = "logs";
/// Largest body whose hash is computed; CloudWatch Logs read requests are far smaller.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// Most clock skew tolerated between a signature and the server, as AWS.
const MAX_SKEW_SECS: i64 = 15 * 60;
/// Most public host names tried for one request.
pub(crate) const MAX_PUBLIC_HOSTS: usize = 16;

/// A request as it arrived, before anything is verified: the raw path and
/// query as sent (still percent-encoded, query without `?`), every header
/// received in order (a door must not drop any: one whose value is not UTF-8
/// refuses the request instead), and the body.
#[derive(Clone, Copy)]
pub(crate) struct SignedRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a [(&'a str, &'a str)],
    pub(crate) body: &'a [u8],
}

impl std::fmt::Debug for SignedRequest<'_> {
    /// Names only: values (the signature among them) and the body stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<'a> SignedRequest<'a> {
    /// The one value of header `name`; `None` when absent, an error when repeated.
    pub(crate) fn single(&self, name: &str) -> Result<Option<&'a str>, AuthError> {
        let mut values = self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let first = values.next().map(|(_, v)| *v);
        if values.next().is_some() {
            return Err(AuthError::InvalidSignature(format!(
                "the {name} header appears more than once"
            )));
        }
        Ok(first)
    }

    fn has(&self, name: &str) -> bool {
        self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

/// What a correct signature must also satisfy; in service, [`Rules::logs`].
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    pub(crate) service: String,
    /// Regions a credential scope may name (the region the gateway serves).
    pub(crate) regions: Vec<String>,
    /// Headers every signature must cover.
    pub(crate) must_sign: Vec<&'static str>,
    /// `LOGWARD_PUBLIC_HOSTS`: when not empty, the host names a client may
    /// have signed (lowercase, with a port where one is used).
    pub(crate) public_hosts: Vec<String>,
}

impl Rules {
    pub(crate) fn logs(region: &str, public_hosts: &[String]) -> Self {
        Self {
            service: SERVICE.to_owned(),
            regions: vec![region.to_owned()],
            must_sign: vec!["host", "x-amz-date", "x-amz-target"],
            public_hosts: public_hosts.iter().take(MAX_PUBLIC_HOSTS).cloned().collect(),
        }
    }
}

pub(super) fn bad(reason: &str) -> AuthError {
    AuthError::InvalidSignature(reason.to_owned())
}

/// The access key that signed `req`, if the signature is correct and follows
/// `rules` at time `now`. `lookup` finds usable keys by id. Expiry, the tenant
/// and narrowed actions are the caller's to check.
pub(crate) fn verify(
    req: &SignedRequest<'_>,
    rules: &Rules,
    now: DateTime<Utc>,
    lookup: impl Fn(&str) -> Option<Arc<AccessKeyEntry>>,
) -> Result<Arc<AccessKeyEntry>, AuthError> {
    refuse_presigned(req.query)?;
    let auth = Authorization::parse(req.single("authorization")?.ok_or(AuthError::Missing)?)?;
    let amz_date = req
        .single("x-amz-date")?
        .ok_or_else(|| bad("the X-Amz-Date header is required"))?;
    let signed_at = parse_amz_date(amz_date)?;
    check_scope(&auth, amz_date, rules)?;
    let skew = (now - signed_at).num_seconds();
    if skew > MAX_SKEW_SECS {
        return Err(bad(
            "the signature expired: X-Amz-Date is more than 15 minutes in the past",
        ));
    }
    if skew < -MAX_SKEW_SECS {
        return Err(bad("X-Amz-Date is more than 15 minutes in the future"));
    }
    check_headers(req, &auth, rules)?;
    let body_hash = check_payload(req)?;
    let key = lookup(auth.access_key_id).ok_or(AuthError::UnknownAccessKey)?;
    let received = req.single("host")?.ok_or_else(|| bad("the Host header is required"))?;
    for host in host_candidates(received, &rules.public_hosts) {
        let signing = Signing {
            secret: &key.secret,
            time: signed_at.into(),
            host,
            body_hash: &body_hash,
        };
        if signature::matches(req, &auth, &signing)? {
            return Ok(key);
        }
    }
    Err(bad("the signature does not match"))
}

fn is_x_amz(name: &str) -> bool {
    name.as_bytes()
        .get(..6)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"x-amz-"))
}

/// Whether the query carries SigV4 parameters (a presigned URL).
pub(crate) fn presigned(query: &str) -> bool {
    form_urlencoded::parse(query.as_bytes()).any(|(name, _)| {
        ["x-amz-signature", "x-amz-credential", "x-amz-algorithm"]
            .iter()
            .any(|p| name.eq_ignore_ascii_case(p))
    })
}

/// Presigned URLs carry the signature in the query; they are not accepted.
fn refuse_presigned(query: &str) -> Result<(), AuthError> {
    if presigned(query) {
        return Err(bad(
            "presigned (query-string) requests are not accepted; sign the Authorization header",
        ));
    }
    Ok(())
}

fn check_scope(auth: &Authorization<'_>, amz_date: &str, rules: &Rules) -> Result<(), AuthError> {
    if auth.date != &amz_date[..8] {
        return Err(bad("the credential scope's date is not the X-Amz-Date day"));
    }
    if !rules.regions.iter().any(|r| r == auth.region) {
        return Err(AuthError::InvalidSignature(format!(
            "the credential scope's region must be {}",
            rules.regions.join(" or ")
        )));
    }
    if auth.service != rules.service {
        return Err(AuthError::InvalidSignature(format!(
            "the credential scope's service must be {}",
            rules.service
        )));
    }
    if auth.terminator != "aws4_request" {
        return Err(bad("the credential scope must end in aws4_request"));
    }
    Ok(())
}

fn check_headers(req: &SignedRequest<'_>, auth: &Authorization<'_>, rules: &Rules) -> Result<(), AuthError> {
    for name in &rules.must_sign {
        if !auth.signs(name) {
            return Err(AuthError::InvalidSignature(format!("the {name} header must be signed")));
        }
    }
    // CloudFront (and edge-optimised API Gateway) add X-Amz-Cf-Id on the
    // way in; no client can sign it, and logward reads nothing from it.
    let unsigned = |name: &str| is_x_amz(name) && !name.eq_ignore_ascii_case("x-amz-cf-id") && !auth.signs(name);
    if let Some((name, _)) = req.headers.iter().find(|(name, _)| unsigned(name)) {
        return Err(AuthError::InvalidSignature(format!(
            "every x-amz-* header must be signed; {} is not",
            name.to_ascii_lowercase()
        )));
    }
    if let Some(missing) = auth.signed_headers.iter().find(|h| !req.has(h)) {
        return Err(AuthError::InvalidSignature(format!(
            "the signed header {missing} is missing"
        )));
    }
    if req.has("x-amz-security-token") {
        return Err(bad(
            "session tokens are not accepted: sign with an access key logward issued",
        ));
    }
    Ok(())
}

/// Checks the payload rules and returns the body's SHA-256, hex-encoded
/// (computed once, whatever the number of hosts tried).
fn check_payload(req: &SignedRequest<'_>) -> Result<String, AuthError> {
    if req.body.len() > MAX_BODY {
        return Err(bad("the body is too large to verify"));
    }
    let streaming = req.has("x-amz-decoded-content-length")
        || req
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("content-encoding") && v.to_ascii_lowercase().contains("aws-chunked"));
    if streaming {
        return Err(bad("streaming payloads are not accepted"));
    }
    let actual = Sha256::digest(req.body);
    if let Some(claimed) = req.single("x-amz-content-sha256")? {
        if claimed == "UNSIGNED-PAYLOAD" || claimed.starts_with("STREAMING-") {
            return Err(bad("unsigned and streaming payloads are not accepted"));
        }
        let matches = claimed.len() == 64
            && claimed.as_bytes().chunks(2).zip(actual.iter()).all(|(hex, byte)| {
                std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    == Some(*byte)
            });
        if !matches {
            return Err(bad("x-amz-content-sha256 does not match the body"));
        }
    }
    Ok(actual.iter().map(|b| format!("{b:02x}")).collect())
}

/// The `Host` values to try: the received one, unless public host names are
/// configured and it is not one of them; then each of those.
fn host_candidates<'a>(received: &'a str, public_hosts: &'a [String]) -> Vec<&'a str> {
    if public_hosts.is_empty() {
        return vec![received];
    }
    let received_trimmed = received.trim();
    if public_hosts.iter().any(|h| h.eq_ignore_ascii_case(received_trimmed)) {
        return vec![received];
    }
    public_hosts.iter().map(String::as_str).collect()
}
