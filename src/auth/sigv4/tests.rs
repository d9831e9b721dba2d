//! The verifier's rules, one refusal each: requests are signed here as the
//! Rust SDK signs them (the `aws-sigv4` signer), then altered. That the
//! verifier agrees with other signers is shown by AWS's suite (`vectors`) and
//! by botocore (`botocore_tests`).

use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_smithy_runtime_api::client::identity::Identity;
use chrono::{DateTime, Duration, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::{Rules, SignedRequest, verify};
use crate::auth::AuthError;
use crate::auth::directory::AccessKeyEntry;
use crate::domain::TenantId;

pub(super) const KEY_ID: &str = "LWAK0123456789ABCDEF";
pub(super) const SECRET: &str = "lwSecretAccessKey0123456789abcdefghij/+Z";
const BODY: &str = r#"{"logGroupName":"/acme/app","logStreamName":"s"}"#;

pub(super) fn key(expires_at: Option<DateTime<Utc>>) -> AccessKeyEntry {
    AccessKeyEntry {
        id: KEY_ID.into(),
        tenant: TenantId::parse("acme").unwrap(),
        name: "ci".into(),
        secret: SecretString::from(SECRET.to_owned()),
        actions: None,
        expires_at,
    }
}

fn signed_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 1, 30, 0).unwrap()
}

/// A request to sign: everything a client chooses.
struct Draft {
    headers: Vec<(String, String)>,
    body: String,
    query: String,
    region: &'static str,
    service: &'static str,
    secret: &'static str,
    time: DateTime<Utc>,
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            headers: vec![
                ("Host".into(), "logs.example.com".into()),
                ("Content-Type".into(), "application/x-amz-json-1.1".into()),
                ("X-Amz-Target".into(), "Logs_20140328.GetLogEvents".into()),
            ],
            body: BODY.into(),
            query: String::new(),
            region: "eu-west-1",
            service: "logs",
            secret: SECRET,
            time: signed_at(),
        }
    }
}

impl Draft {
    /// The headers as sent: the draft's plus X-Amz-Date and Authorization.
    fn sign(mut self) -> Sent {
        let identity: Identity = Credentials::new(KEY_ID, self.secret, None, None, "test").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(SystemTime::from(self.time))
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let target = if self.query.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", self.query)
        };
        let signable = SignableRequest::new(
            "POST",
            target,
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(self.body.as_bytes()),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        for (name, value) in instructions.headers() {
            self.headers.push((name.to_owned(), value.to_owned()));
        }
        Sent {
            headers: self.headers,
            body: self.body,
            query: self.query,
        }
    }
}

/// A request as it arrives.
struct Sent {
    headers: Vec<(String, String)>,
    body: String,
    query: String,
}

impl Sent {
    fn set(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn verify_at(&self, now: DateTime<Utc>, rules: &Rules) -> Result<Arc<AccessKeyEntry>, AuthError> {
        let headers: Vec<(&str, &str)> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let request = SignedRequest {
            method: "POST",
            path: "/",
            query: &self.query,
            headers: &headers,
            body: self.body.as_bytes(),
        };
        let key = Arc::new(key(None));
        verify(&request, rules, now, |id| (id == KEY_ID).then(|| key.clone()))
    }

    fn verify(&self) -> Result<Arc<AccessKeyEntry>, AuthError> {
        self.verify_at(signed_at(), &Rules::logs("eu-west-1", &[]))
    }
}

fn refused(result: Result<Arc<AccessKeyEntry>, AuthError>, because: &str) {
    match result {
        Err(AuthError::InvalidSignature(why)) => assert!(why.contains(because), "{why:?} lacks {because:?}"),
        other => panic!("expected an invalid signature ({because}), got {other:?}"),
    }
}

#[test]
fn a_correctly_signed_request_verifies_and_names_its_key() {
    let key = Draft::default().sign().verify().unwrap();
    assert_eq!(key.id, KEY_ID);
    // Within the skew, on either side.
    let rules = Rules::logs("eu-west-1", &[]);
    for offset in [-14, 14] {
        Draft::default()
            .sign()
            .verify_at(signed_at() + Duration::minutes(offset), &rules)
            .unwrap();
    }
}

#[test]
fn a_wrong_secret_is_refused() {
    let sent = Draft {
        secret: "lwSecretAccessKey0123456789abcdefghij/+Y",
        ..Draft::default()
    }
    .sign();
    refused(sent.verify(), "does not match");
}

#[test]
fn an_altered_body_is_refused() {
    let mut sent = Draft::default().sign();
    sent.body = sent.body.replace("/acme/app", "/globex/app");
    refused(sent.verify(), "does not match");
}

#[test]
fn an_altered_signed_header_is_refused() {
    let sent = Draft::default()
        .sign()
        .set("X-Amz-Target", "Logs_20140328.FilterLogEvents");
    refused(sent.verify(), "does not match");
    let sent = Draft::default().sign().set("Content-Type", "application/json");
    refused(sent.verify(), "does not match");
}

#[test]
fn host_date_and_target_must_be_signed_and_so_must_every_x_amz_header() {
    let mut draft = Draft::default();
    draft.headers.retain(|(n, _)| n != "X-Amz-Target");
    let sent = draft.sign().set("X-Amz-Target", "Logs_20140328.GetLogEvents");
    refused(sent.verify(), "x-amz-target header must be signed");

    let sent = Draft::default().sign().set("X-Amz-Meta", "unsigned");
    refused(sent.verify(), "every x-amz-* header must be signed; x-amz-meta");

    // CloudFront's own request id is added after the client signed.
    let sent = Draft::default().sign().set("X-Amz-Cf-Id", "added-by-the-edge");
    assert!(sent.verify().is_ok());

    let sent = Draft::default().sign();
    let without_host = Sent {
        headers: sent.headers.into_iter().filter(|(n, _)| n != "Host").collect(),
        body: sent.body,
        query: sent.query,
    };
    refused(without_host.verify(), "signed header host is missing");
}

#[test]
fn an_old_or_future_date_beyond_the_skew_is_refused() {
    let rules = Rules::logs("eu-west-1", &[]);
    let sent = Draft::default().sign();
    refused(sent.verify_at(signed_at() + Duration::minutes(16), &rules), "expired");
    refused(
        sent.verify_at(signed_at() - Duration::minutes(16), &rules),
        "in the future",
    );
    // A date the scope does not match.
    let sent = Draft::default().sign().set("X-Amz-Date", "20261201T013500Z");
    refused(sent.verify(), "does not match");
    let sent = Draft::default().sign().set("X-Amz-Date", "20261202T013000Z");
    refused(
        sent.verify_at(signed_at() + Duration::days(1), &rules),
        "scope's date is not the X-Amz-Date day",
    );
    let sent = Draft::default().sign().set("X-Amz-Date", "2026-12-01T01:30:00Z");
    refused(sent.verify(), "YYYYMMDDTHHMMSSZ");
}

#[test]
fn a_scope_for_another_region_or_service_is_refused() {
    let sent = Draft {
        region: "us-east-1",
        ..Draft::default()
    }
    .sign();
    refused(sent.verify(), "region must be eu-west-1");
    let sent = Draft {
        service: "monitoring",
        ..Draft::default()
    }
    .sign();
    refused(sent.verify(), "service must be logs");
}

#[test]
fn an_unknown_key_id_is_an_unrecognized_client() {
    let sent = Draft::default().sign();
    let headers: Vec<(&str, &str)> = sent.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let request = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: sent.body.as_bytes(),
    };
    let result = verify(&request, &Rules::logs("eu-west-1", &[]), signed_at(), |_| None);
    assert!(matches!(result, Err(AuthError::UnknownAccessKey)), "{result:?}");
}

#[test]
fn payload_hashes_must_match_and_unsigned_or_streaming_payloads_are_refused() {
    let digest: String = <sha2::Sha256 as sha2::Digest>::digest(BODY.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut draft = Draft::default();
    draft.headers.push(("X-Amz-Content-Sha256".into(), digest.clone()));
    draft.sign().verify().unwrap();

    for (claimed, because) in [
        ("UNSIGNED-PAYLOAD", "unsigned and streaming"),
        ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "unsigned and streaming"),
        (&"0".repeat(64), "does not match the body"),
    ] {
        let mut draft = Draft::default();
        draft.headers.push(("X-Amz-Content-Sha256".into(), claimed.to_owned()));
        refused(draft.sign().verify(), because);
    }
    let mut draft = Draft::default();
    draft.headers.push(("X-Amz-Decoded-Content-Length".into(), "10".into()));
    refused(draft.sign().verify(), "streaming payloads");
    let mut sent = Draft::default().sign();
    sent.body = "x".repeat(super::MAX_BODY + 1);
    refused(sent.verify(), "too large");
}

#[test]
fn presigned_requests_and_session_tokens_are_refused() {
    let sent = Draft {
        query: "X-Amz-Signature=abc".into(),
        ..Draft::default()
    }
    .sign();
    refused(sent.verify(), "presigned");
    let mut draft = Draft::default();
    draft.headers.push(("X-Amz-Security-Token".into(), "token".into()));
    refused(draft.sign().verify(), "session tokens");
    let sent = Draft::default().sign();
    let auth = sent
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .unwrap()
        .1
        .clone();
    let twice = sent.set("X-Amz-Date", "20261201T013000Z");
    let mut twice = twice;
    twice.headers.push(("authorization".into(), auth));
    refused(twice.verify(), "more than once");
}

#[test]
fn behind_a_proxy_the_signed_host_must_be_a_public_host() {
    let public = vec!["logs.example.com".to_owned(), "logs.example.net:8443".to_owned()];
    let rules = Rules::logs("eu-west-1", &public);
    // The proxy forwards to logward under another Host.
    let rewritten = Draft::default().sign().set("Host", "logward.internal:8080");
    rewritten.verify_at(signed_at(), &rules).unwrap();
    // Without the list, the received Host is what is verified.
    refused(rewritten.verify(), "does not match");
    // A client that signed a name not listed is refused.
    let mut draft = Draft::default();
    draft.headers[0].1 = "logs.attacker.example".into();
    let elsewhere = draft.sign().set("Host", "logward.internal:8080");
    refused(elsewhere.verify_at(signed_at(), &rules), "does not match");
    // A listed name received as such verifies.
    Draft::default().sign().verify_at(signed_at(), &rules).unwrap();
}

#[test]
fn debug_output_shows_no_header_values() {
    let sent = Draft::default().sign();
    let headers: Vec<(&str, &str)> = sent.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let request = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: sent.body.as_bytes(),
    };
    let shown = format!("{request:?}");
    assert!(
        shown.contains("authorization") && !shown.contains("Signature="),
        "{shown}"
    );
    let shown = format!("{:?}", key(None));
    assert!(!shown.contains(SECRET), "{shown}");
    assert_eq!(key(None).secret.expose_secret(), SECRET);
}
