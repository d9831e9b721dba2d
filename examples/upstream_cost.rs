//! CPU cost of one upstream call, without the gateway around it: builds the
//! same CloudWatch client logward uses and calls GetLogEvents against a stub.
//!
//!     AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=http://127.0.0.1:9500 \
//!     cargo run --release --example upstream_cost -- [calls] [concurrency]

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use logward::config::UpstreamSettings;
use logward::domain::names::{LogGroupName, LogStreamName};
use logward::upstream::cloudwatch::CloudWatchUpstream;
use logward::upstream::{GetLogEventsRequest, LogsUpstream};

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    let upstream = CloudWatchUpstream::new(
        &sdk,
        &UpstreamSettings {
            account_id: None,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            max_attempts: 3,
            max_inflight: 4096,
            concurrency: 4096,
            cache_max_bytes: 0,
        },
    );
    let group = LogGroupName::parse("/bench/app")?;
    let stream = LogStreamName::parse("web-1")?;
    let one = || {
        upstream.get_log_events(
            logward::upstream::Caller::Logward,
            GetLogEventsRequest {
                group: group.clone(),
                stream: stream.clone(),
                start_time: None,
                end_time: None,
                limit: Some(10),
                next_token: None,
                start_from_head: Some(true),
            },
        )
    };
    for _ in 0..1000 {
        one().await?;
    }
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    let mut done = futures_util::stream::iter(0..calls)
        .map(|_| one())
        .buffer_unordered(concurrency);
    while let Some(result) = done.next().await {
        result?;
    }
    let (cpu, wall) = (cpu_seconds() - cpu0, t0.elapsed().as_secs_f64());
    println!(
        "{calls} calls, {concurrency} at once: {:.0} calls/s, {:.1} µs CPU per call",
        calls as f64 / wall,
        cpu * 1e6 / calls as f64
    );
    Ok(())
}
