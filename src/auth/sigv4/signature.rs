//! Recomputing a request's SigV4 signature with the `aws-sigv4` crate (the
//! AWS SDK's own signer, already in the tree): it builds the canonical request
//! (path normalisation and double encoding as for every service but S3,
//! sorted encoded query, trimmed header values joined per name), the string to
//! sign and the signing key. Verification hands it exactly what the client
//! signed and compares the result in constant time.

use std::borrow::Cow;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_smithy_runtime_api::client::identity::Identity;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::authorization::Authorization;
use super::{SignedRequest, bad};
use crate::auth::AuthError;

/// What a signature is computed over besides the request: the key, the
/// signing time, and the `Host` value to put in the canonical request.
pub(super) struct Signing<'a> {
    pub(super) secret: &'a SecretString,
    pub(super) time: SystemTime,
    pub(super) host: &'a str,
    /// The body's SHA-256, hex, as `check_payload` computed it.
    pub(super) body_hash: &'a str,
}

/// Whether `auth.signature` is the signature of `req` under `signing`.
pub(super) fn matches(
    req: &SignedRequest<'_>,
    auth: &Authorization<'_>,
    signing: &Signing<'_>,
) -> Result<bool, AuthError> {
    let expected = compute(req, auth, signing)?;
    Ok(expected.as_bytes().ct_eq(auth.signature.as_bytes()).into())
}

fn compute(req: &SignedRequest<'_>, auth: &Authorization<'_>, signing: &Signing<'_>) -> Result<String, AuthError> {
    // Exactly the signed headers, every value in the order received (the
    // canonical request joins a repeated header's values with commas). The
    // signer adds `x-amz-date` from the signing time, which was read from the
    // header in the same format, so it is the client's value.
    let headers = req
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("host") && auth.signs(name))
        .copied()
        .chain(std::iter::once(("host", signing.host)));
    let identity: Identity = Credentials::new(
        auth.access_key_id,
        signing.secret.expose_secret(),
        None,
        None,
        "logward",
    )
    .into();
    let mut settings = SigningSettings::default();
    // The signer leaves a few headers out by default (user-agent, ...); the
    // client decided what it signed, and SignedHeaders says what that is.
    settings.excluded_headers = None;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(auth.region)
        .name(auth.service)
        .time(signing.time)
        .settings(settings)
        .build()
        .map_err(|_| bad("the credential scope cannot be used for signing"))?
        .into();
    let target = if req.query.is_empty() {
        Cow::Borrowed(req.path)
    } else {
        Cow::Owned(format!("{}?{}", req.path, req.query))
    };
    let signable = SignableRequest::new(
        req.method,
        target,
        headers,
        SignableBody::Precomputed(signing.body_hash.to_owned()),
    )
    .map_err(|_| bad("the request target cannot be canonicalised"))?;
    let output = sign(signable, &params).map_err(|_| bad("the signed headers cannot be canonicalised"))?;
    Ok(output.signature().to_owned())
}
