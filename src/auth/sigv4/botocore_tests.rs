//! Authentication of requests signed by botocore (boto3's and the AWS CLI's
//! signer, `SigV4Auth`), through [`Authenticator::tenant`] as a front door
//! calls it: the access key's tenant principal, and each refusal the AWS door
//! turns into an exception (revoked, expired, disabled tenant, no server key).
//! Needs the project's Python venv (scripts/venv.sh installs botocore with moto).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::tests::{KEY_ID, SECRET, key};
use super::{Rules, SignedRequest};
use crate::auth::admin::AdminToken;
use crate::auth::directory::{AccessKeyEntry, Directory, TenantEntry};
use crate::auth::secrets::SecretsKeys;
use crate::auth::{AuthError, Authenticator, Credential, Presented};
use crate::domain::{Action, CompiledPolicy, TenantId};

const SIGN: &str = r#"
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
r = json.load(sys.stdin)
request = AWSRequest(method="POST", url=r["url"], data=r["body"].encode(), headers={
    "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": r["target"]})
SigV4Auth(Credentials(r["id"], r["secret"]), "logs", r["region"]).add_auth(request)
print(json.dumps(list(request.headers.items())))
"#;

fn python() -> PathBuf {
    let python = std::env::var("LOGWARD_TEST_MOTO_SERVER")
        .map(|moto| PathBuf::from(moto).with_file_name("python"))
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    assert!(
        python.exists(),
        "python with botocore not found at {} - run the tests with ./scripts/test, which installs it",
        python.display()
    );
    python
}

/// A request as botocore signs it for `url`, with the `Host` header its HTTP
/// client sends.
struct Botocore {
    headers: Vec<(String, String)>,
    body: String,
}

impl Botocore {
    fn sign(url: &str, host: &str, region: &str, secret: &str) -> Self {
        let body = r#"{"logGroupName": "/acme/app", "logStreamName": "s"}"#.to_owned();
        let input = serde_json::json!({
            "url": url, "body": body, "target": "Logs_20140328.GetLogEvents",
            "id": KEY_ID, "secret": secret, "region": region,
        });
        let mut child = Command::new(python())
            .args(["-c", SIGN])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "botocore failed to sign");
        let mut headers: Vec<(String, String)> = serde_json::from_slice(&out.stdout).unwrap();
        headers.push(("Host".into(), host.into()));
        Self { headers, body }
    }

    fn headers(&self) -> Vec<(&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
    }
}

fn tenant(active: bool) -> TenantEntry {
    TenantEntry {
        id: TenantId::parse("acme").unwrap(),
        name: "Acme".into(),
        active,
        policy: CompiledPolicy::deny_all(),
        rate_limit: None,
    }
}

fn authenticator(tenant: TenantEntry, keys: Vec<AccessKeyEntry>, server_key: bool) -> Authenticator {
    let secrets = server_key.then(|| {
        Arc::new(SecretsKeys::new(
            &secrecy::SecretString::from("a server key of at least 32 characters".to_owned()),
            None,
        ))
    });
    let directory = Directory::of(vec![tenant], vec![]).with_access_keys(secrets, keys);
    let settings = crate::config::Settings::from_source(&crate::config::Source::from_pairs([(
        "LOGWARD_DATABASE_URL",
        "postgres://unused/x",
    )]))
    .unwrap();
    let metrics = Arc::new(crate::metrics::Metrics::new());
    Authenticator {
        directory: Arc::new(directory),
        jwt: crate::auth::jwt::JwtVerifier::new(&settings.jwt).unwrap(),
        admin_token: AdminToken::new(None),
        admin_role_claim: "role".into(),
        rate_limits: crate::rate_limit::RateLimits::new(settings.tenant_rate_limit, settings.key_rate_limit, metrics),
        key_usage: Default::default(),
        max_staleness: Duration::from_secs(60),
        jwt_leeway_secs: 0,
        sigv4: Rules::logs("eu-west-1", &["logs.example.com".to_owned()]),
    }
}

async fn authenticate(auth: &Authenticator, signed: &Botocore) -> Result<crate::auth::Principal, AuthError> {
    let headers = signed.headers();
    let request = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: signed.body.as_bytes(),
    };
    let presented = Presented::from_aws_request(request)?;
    assert!(matches!(presented, Presented::SigV4(_)));
    auth.tenant(presented).await.map_err(|(e, _)| e)
}

#[tokio::test]
async fn a_botocore_signed_request_is_the_access_keys_tenant_until_the_key_is_revoked() {
    let signed = Botocore::sign("https://logs.example.com/", "logs.example.com", "eu-west-1", SECRET);
    let auth = authenticator(tenant(true), vec![key(None)], true);
    let principal = authenticate(&auth, &signed).await.unwrap();
    assert_eq!(principal.tenant.id.as_str(), "acme");
    assert_eq!(principal.name, format!("access-key:{KEY_ID}"));
    assert!(matches!(principal.credential, Credential::AccessKey(ref k) if k.id == KEY_ID));
    assert_eq!(principal.key_id(), Some(KEY_ID));
    auth.still_valid("acme", &principal.credential).unwrap();

    // Revoked: the directory no longer holds the key.
    let revoked = authenticator(tenant(true), vec![], true);
    let result = authenticate(&revoked, &signed).await;
    assert!(matches!(result, Err(AuthError::UnknownAccessKey)), "{result:?}");
    // And a principal verified before the revocation is no longer valid.
    let result = revoked.still_valid("acme", &principal.credential);
    assert!(matches!(result, Err(AuthError::UnknownAccessKey)), "{result:?}");
}

#[tokio::test]
async fn botocore_signs_non_default_ports_into_the_host_it_signs() {
    let signed = Botocore::sign("http://127.0.0.1:8080/", "127.0.0.1:8080", "eu-west-1", SECRET);
    let mut auth = authenticator(tenant(true), vec![key(None)], true);
    auth.sigv4 = Rules::logs("eu-west-1", &[]);
    authenticate(&auth, &signed).await.unwrap();
    // With public hosts configured, only those may have been signed.
    auth.sigv4 = Rules::logs("eu-west-1", &["logs.example.com".to_owned()]);
    let result = authenticate(&auth, &signed).await;
    assert!(matches!(result, Err(AuthError::InvalidSignature(_))), "{result:?}");
}

#[tokio::test]
async fn a_botocore_signature_with_another_secret_or_region_is_refused() {
    let auth = authenticator(tenant(true), vec![key(None)], true);
    let wrong = Botocore::sign(
        "https://logs.example.com/",
        "logs.example.com",
        "eu-west-1",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    );
    let result = authenticate(&auth, &wrong).await;
    assert!(matches!(result, Err(AuthError::InvalidSignature(_))), "{result:?}");
    let elsewhere = Botocore::sign("https://logs.example.com/", "logs.example.com", "us-east-1", SECRET);
    let result = authenticate(&auth, &elsewhere).await;
    assert!(matches!(result, Err(AuthError::InvalidSignature(_))), "{result:?}");
}

#[tokio::test]
async fn an_expired_key_a_disabled_tenant_or_no_server_key_refuses_a_good_signature() {
    let signed = Botocore::sign("https://logs.example.com/", "logs.example.com", "eu-west-1", SECRET);
    let expired = authenticator(
        tenant(true),
        vec![key(Some(Utc::now() - chrono::Duration::seconds(1)))],
        true,
    );
    let result = authenticate(&expired, &signed).await;
    assert!(matches!(result, Err(AuthError::ExpiredAccessKey)), "{result:?}");

    let disabled = authenticator(tenant(false), vec![key(None)], true);
    let result = authenticate(&disabled, &signed).await;
    assert!(matches!(result, Err(AuthError::DisabledTenant(_))), "{result:?}");

    let no_server_key = authenticator(tenant(true), vec![key(None)], false);
    let result = authenticate(&no_server_key, &signed).await;
    assert!(matches!(result, Err(AuthError::AccessKeysDisabled)), "{result:?}");
}

#[tokio::test]
async fn a_narrowed_access_key_allows_only_its_actions() {
    let signed = Botocore::sign("https://logs.example.com/", "logs.example.com", "eu-west-1", SECRET);
    let narrowed = AccessKeyEntry {
        actions: Some(Action::GetLogEvents.bit()),
        ..key(None)
    };
    let auth = authenticator(tenant(true), vec![narrowed], true);
    let principal = authenticate(&auth, &signed).await.unwrap();
    assert!(principal.credential_allows(Action::GetLogEvents));
    assert!(!principal.credential_allows(Action::FilterLogEvents));
}

#[test]
fn bearer_credentials_still_come_through_the_aws_door() {
    let headers = [("Authorization", "Bearer abc")];
    let request = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: b"",
    };
    assert!(matches!(
        Presented::from_aws_request(request),
        Ok(Presented::Bearer("abc"))
    ));
    let request = SignedRequest {
        headers: &[],
        ..request
    };
    assert!(matches!(Presented::from_aws_request(request), Err(AuthError::Missing)));
    // A presigned query is a SigV4 request, refused as such.
    let presigned = SignedRequest {
        query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00",
        ..request
    };
    assert!(matches!(
        Presented::from_aws_request(presigned),
        Ok(Presented::SigV4(_))
    ));
}
