//! Real boto3 against a [`TestApp`]: runs a scenario of
//! `tests/api/boto/scenarios.py` with the venv's Python (the one
//! `scripts/venv.sh` makes for moto, which depends on boto3) and returns the
//! JSON it prints.

use std::path::PathBuf;

use serde_json::Value;

use super::app::TestApp;
use super::moto::{REGION, moto};

/// `$LOGWARD_TEST_PYTHON`, else the Python beside `$LOGWARD_TEST_MOTO_SERVER`,
/// else the repository's `.venv`.
fn python() -> PathBuf {
    if let Ok(python) = std::env::var("LOGWARD_TEST_PYTHON") {
        return PathBuf::from(python);
    }
    let moto_server = std::env::var("LOGWARD_TEST_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server"));
    moto_server.with_file_name("python")
}

impl TestApp {
    /// Runs the AWS CLI (awscli from the venv) against this gateway, signing
    /// as the access key `id` / `secret`; returns whether it succeeded, its
    /// standard output and its standard error.
    pub async fn aws_cli(&self, (id, secret): (&str, &str), args: &[&str]) -> (bool, String, String) {
        let out = tokio::process::Command::new(python().with_file_name("aws"))
            .args(["--endpoint-url", &self.address, "--region", REGION, "--output", "json"])
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            // No credentials or config of the machine's own may leak in.
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_MAX_ATTEMPTS", "1")
            .output()
            .await
            .expect("run the AWS CLI (see scripts/venv.sh)");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs `scenario` with boto3 reading through this gateway as `token`
    /// (`other_token`: a second tenant, for scenarios that need one).
    pub async fn boto(&self, scenario: &str, token: &str, other_token: &str, args: Value) -> Value {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/api/boto");
        let out = tokio::process::Command::new(python())
            .arg(dir.join("scenarios.py"))
            .arg(scenario)
            .current_dir(&dir)
            .env("LOGWARD_URL", &self.address)
            .env("LOGWARD_TOKEN", token)
            .env("LOGWARD_OTHER_TOKEN", other_token)
            .env("LOGWARD_UPSTREAM_URL", &moto().url)
            .env("LOGWARD_REGION", REGION)
            .env("SCENARIO_ARGS", args.to_string())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            // No credentials or config of the machine's own may leak in.
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
            .output()
            .await
            .expect("run python (see scripts/venv.sh)");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "boto3 scenario {scenario} failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("scenario {scenario} printed no JSON ({e}): {stdout}"))
    }
}
