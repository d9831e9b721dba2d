//! moto as CloudWatch Logs: one server per test binary, a client for seeding
//! it, and the fake region and account the tests' ARNs use.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_sdk_cloudwatchlogs::config::{Credentials, Region};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;

use super::servers::free_port;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

pub struct Moto {
    pub url: String,
    _child: Mutex<Child>,
}

/// One moto server for the whole test binary. It is started through a shell
/// that kills it when our stdin closes, i.e. when the test process exits.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let bin = std::env::var("LOGWARD_TEST_MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server"));
        assert!(
            bin.exists(),
            "moto_server not found at {} - run the tests with ./scripts/test, which installs it",
            bin.display()
        );
        let port = free_port();
        let child = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 & pid=$!; read _ignored; kill $pid"#)
            .arg(&bin)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .spawn()
            .expect("start moto");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto {
            url: format!("http://127.0.0.1:{port}"),
            _child: Mutex::new(child),
        }
    })
}

/// The SDK configuration for a CloudWatch at `endpoint` with test credentials.
pub(super) fn sdk_config(endpoint: &str) -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
}

/// A CloudWatch Logs client pointed at moto, for seeding and for direct reads.
pub async fn logs_client() -> aws_sdk_cloudwatchlogs::Client {
    let sdk = sdk_config(&moto().url)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    aws_sdk_cloudwatchlogs::Client::new(&sdk)
}

/// A unique prefix so tests sharing one moto never see each other's groups.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Creates group and stream and writes `messages` with current timestamps
/// (moto refuses events older than 14 days).
pub async fn seed(logs: &aws_sdk_cloudwatchlogs::Client, group: &str, stream: &str, messages: &[String]) {
    let _ = logs.create_log_group().log_group_name(group).send().await;
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .expect("create stream");
    if messages.is_empty() {
        return;
    }
    let base = now_ms() - 60_000;
    let events = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            InputLogEvent::builder()
                .timestamp(base + i as i64)
                .message(m)
                .build()
                .unwrap()
        })
        .collect::<Vec<_>>();
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .expect("put events");
}
