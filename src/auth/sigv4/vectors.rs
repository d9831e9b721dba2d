//! AWS's published SigV4 test suite (`tests/data/aws-signing-test-suite`, see
//! its README for the source and the cases left out): every signed request in
//! it verifies with its credentials, scope and time, and fails once its
//! signature or secret is changed. The suite's requests sign `host` and
//! `x-amz-date` but no `x-amz-target` (they are not CloudWatch calls), so they
//! are checked under the same rules with only those two required.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::{Rules, SignedRequest, verify};
use crate::auth::AuthError;
use crate::auth::directory::AccessKeyEntry;
use crate::domain::TenantId;

struct Case {
    name: String,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    key: Arc<AccessKeyEntry>,
    rules: Rules,
    now: DateTime<Utc>,
    /// The case signs with a session token, which logward never issues.
    session_token: bool,
}

impl Case {
    fn load(dir: &Path) -> Self {
        let context: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("context.json")).unwrap()).unwrap();
        let raw = std::fs::read(dir.join("header-signed-request.txt")).unwrap();
        let split = raw.windows(2).position(|w| w == b"\n\n").unwrap_or(raw.len());
        let head = std::str::from_utf8(&raw[..split]).unwrap();
        let body = raw.get(split + 2..).unwrap_or_default().to_vec();
        let mut lines = head.lines();
        let request_line: Vec<&str> = lines.next().unwrap().split(' ').collect();
        let (method, target) = (request_line[0], request_line[1]);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let headers = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.to_owned(), value.to_owned())
            })
            .collect();
        let credentials = &context["credentials"];
        let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
        Self {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
            key: Arc::new(AccessKeyEntry {
                id: text(&credentials["access_key_id"]),
                tenant: TenantId::parse("vectors").unwrap(),
                name: "vectors".into(),
                secret: SecretString::from(text(&credentials["secret_access_key"])),
                actions: None,
                expires_at: None,
            }),
            rules: Rules {
                service: text(&context["service"]),
                regions: vec![text(&context["region"])],
                must_sign: vec!["host", "x-amz-date"],
                public_hosts: Vec::new(),
            },
            now: DateTime::parse_from_rfc3339(context["timestamp"].as_str().unwrap())
                .unwrap()
                .with_timezone(&Utc),
            session_token: credentials.get("token").is_some(),
        }
    }

    fn verify_with(&self, headers: &[(String, String)], key: &Arc<AccessKeyEntry>) -> Result<(), AuthError> {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let request = SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        verify(&request, &self.rules, self.now, |id| {
            (id == key.id).then(|| key.clone())
        })
        .map(|_| ())
    }
}

fn cases() -> Vec<Case> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/aws-signing-test-suite/v4");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    dirs.iter().map(|d| Case::load(d)).collect()
}

#[test]
fn every_signed_request_of_the_aws_suite_verifies() {
    let cases = cases();
    assert!(cases.len() >= 20, "the vectors are missing: {}", cases.len());
    for case in cases.iter().filter(|c| !c.session_token) {
        if let Err(e) = case.verify_with(&case.headers, &case.key) {
            panic!("{}: {e}", case.name);
        }
    }
}

#[test]
fn the_suite_fails_with_another_signature_or_secret() {
    for case in cases().iter().filter(|c| !c.session_token) {
        let altered: Vec<(String, String)> = case
            .headers
            .iter()
            .map(|(n, v)| {
                if n.eq_ignore_ascii_case("authorization") {
                    let flipped = if v.ends_with('0') { '1' } else { '0' };
                    (n.clone(), format!("{}{flipped}", &v[..v.len() - 1]))
                } else {
                    (n.clone(), v.clone())
                }
            })
            .collect();
        assert!(
            matches!(
                case.verify_with(&altered, &case.key),
                Err(AuthError::InvalidSignature(_))
            ),
            "{}",
            case.name
        );
        let other_secret = Arc::new(AccessKeyEntry {
            id: case.key.id.clone(),
            tenant: case.key.tenant.clone(),
            name: case.key.name.clone(),
            secret: SecretString::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ".to_owned()),
            actions: None,
            expires_at: None,
        });
        assert!(
            matches!(
                case.verify_with(&case.headers, &other_secret),
                Err(AuthError::InvalidSignature(_))
            ),
            "{}",
            case.name
        );
    }
}

#[test]
fn the_suites_session_token_cases_are_refused() {
    let cases = cases();
    let with_token: Vec<&Case> = cases.iter().filter(|c| c.session_token).collect();
    assert!(!with_token.is_empty());
    for case in with_token {
        assert!(
            matches!(case.verify_with(&case.headers, &case.key), Err(AuthError::InvalidSignature(ref why)) if why.contains("session token") || why.contains("x-amz-security-token")),
            "{}",
            case.name
        );
    }
}
