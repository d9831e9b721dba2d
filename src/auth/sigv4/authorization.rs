//! Reading the parts of a SigV4 request that say who signed it and when: the
//! `Authorization` header and `X-Amz-Date`. Strict: anything not exactly in
//! AWS's form is refused, never guessed at.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::bad;
use crate::auth::AuthError;

pub(super) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Longest access key id read from a credential scope (AWS's are 16-128).
const MAX_KEY_ID_LEN: usize = 128;

/// `AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/<service>/aws4_request,
/// SignedHeaders=<a;b;c>, Signature=<64 hex>`.
#[derive(Debug)]
pub(super) struct Authorization<'a> {
    pub(super) access_key_id: &'a str,
    pub(super) date: &'a str,
    pub(super) region: &'a str,
    pub(super) service: &'a str,
    pub(super) terminator: &'a str,
    /// Lowercase, sorted, distinct: the order the canonical request lists them in.
    pub(super) signed_headers: Vec<&'a str>,
    pub(super) signature: &'a str,
}

impl<'a> Authorization<'a> {
    pub(super) fn parse(value: &'a str) -> Result<Self, AuthError> {
        let rest = value
            .strip_prefix(ALGORITHM)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(|| bad("the Authorization header must use AWS4-HMAC-SHA256"))?;
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (name, value) = part
                .trim_start_matches(' ')
                .split_once('=')
                .ok_or_else(|| bad("the Authorization header is malformed"))?;
            let slot = match name {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed,
                "Signature" => &mut signature,
                _ => return Err(bad("the Authorization header has an unknown component")),
            };
            if slot.replace(value).is_some() {
                return Err(bad("the Authorization header repeats a component"));
            }
        }
        let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
            return Err(bad(
                "the Authorization header needs Credential, SignedHeaders and Signature",
            ));
        };
        let scope: Vec<&str> = credential.split('/').collect();
        let [access_key_id, date, region, service, terminator] = scope[..] else {
            return Err(bad(
                "the credential must be <access key id>/<date>/<region>/<service>/aws4_request",
            ));
        };
        if access_key_id.is_empty()
            || access_key_id.len() > MAX_KEY_ID_LEN
            || !access_key_id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(bad("the credential's access key id is malformed"));
        }
        let signed_headers: Vec<&str> = signed.split(';').collect();
        let well_formed = signed_headers.iter().all(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        // Strictly ascending: sorted, as the canonical request requires, and no repeats.
        if !well_formed || !signed_headers.windows(2).all(|w| w[0] < w[1]) {
            return Err(bad(
                "SignedHeaders must list distinct lowercase header names in sorted order",
            ));
        }
        if signature.len() != 64
            || !signature
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad("the signature must be 64 lowercase hexadecimal digits"));
        }
        Ok(Self {
            access_key_id,
            date,
            region,
            service,
            terminator,
            signed_headers,
            signature,
        })
    }

    pub(super) fn signs(&self, header: &str) -> bool {
        self.signed_headers.iter().any(|h| h.eq_ignore_ascii_case(header))
    }
}

/// `X-Amz-Date`, exactly `YYYYMMDDTHHMMSSZ`.
pub(super) fn parse_amz_date(value: &str) -> Result<DateTime<Utc>, AuthError> {
    let malformed = || bad("X-Amz-Date must be in the form YYYYMMDDTHHMMSSZ");
    if value.len() != 16 || !value.is_ascii() {
        return Err(malformed());
    }
    let time = value.strip_suffix('Z').ok_or_else(malformed)?;
    NaiveDateTime::parse_from_str(time, "%Y%m%dT%H%M%S")
        .map(|t| t.and_utc())
        .map_err(|_| malformed())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=LWAK0123456789ABCDEF/20261201/eu-west-1/logs/aws4_request, \
                        SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
                        Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_well_formed_header_is_read() {
        let a = Authorization::parse(GOOD).unwrap();
        assert_eq!(
            (a.access_key_id, a.date, a.region, a.service, a.terminator),
            ("LWAK0123456789ABCDEF", "20261201", "eu-west-1", "logs", "aws4_request")
        );
        assert_eq!(a.signed_headers, ["content-type", "host", "x-amz-date", "x-amz-target"]);
        assert!(a.signs("X-Amz-Target"));
        assert!(!a.signs("x-amz-content-sha256"));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let sig = "0123456789abcdef".repeat(4);
        for bad_value in [
            GOOD.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
            GOOD.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256"),
            GOOD.replace("/aws4_request", ""),
            GOOD.replace("host;x-amz-date", "x-amz-date;host"),
            GOOD.replace("host;", "host;host;"),
            GOOD.replace("content-type", "Content-Type"),
            GOOD.replace(&sig, &sig.to_uppercase()),
            GOOD.replace(&sig, &sig[1..]),
            GOOD.replace("Signature=", "Signature=x, Signature="),
            GOOD.replace(", Signature=", ", Sig="),
            GOOD.replace("LWAK0123456789ABCDEF", ""),
            GOOD.replace("LWAK0123456789ABCDEF", "LWAK%2F"),
            format!("{GOOD}, Extra=1"),
            "Bearer abc".to_owned(),
        ] {
            assert!(
                matches!(Authorization::parse(&bad_value), Err(AuthError::InvalidSignature(_))),
                "{bad_value}"
            );
        }
    }

    #[test]
    fn only_the_basic_date_format_is_accepted() {
        assert_eq!(
            parse_amz_date("20261201T013000Z").unwrap().to_rfc3339(),
            "2026-12-01T01:30:00+00:00"
        );
        for bad_value in [
            "",
            "2026-12-01T01:30:00Z",
            "20261201T013000",
            "20261201T013000+",
            "20261301T013000Z",
            "Tue, 01 Dec 2026 01:30:00 GMT",
        ] {
            assert!(parse_amz_date(bad_value).is_err(), "{bad_value}");
        }
    }
}
