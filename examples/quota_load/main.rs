//! The load generator of `bench/quota.sh` (issue 13's benchmark): drives
//! logward's REST API with simulated tenants and reads the stub CloudWatch's
//! counters (`examples/quota_stub`) to say how many upstream calls the
//! traffic cost. Prints a Markdown report on stdout, progress on stderr.
//!
//! - E1, efficiency: portal users polling the head of Zipf-popular streams
//!   every 2 s, plus historical paging; U = upstream calls per 1,000 client requests.
//! - E2, isolation: a quiet tenant at 1 request/s, alone and then beside a
//!   noisy tenant at 10x the upstream budget, every request a cache miss.
//!
//! Latency is from sending a request to having read its whole body; any
//! non-2xx answer, and any request without an answer in `--timeout-secs`,
//! is a failure (E2's noisy tenant expects 429s and reports them). Every
//! scenario has a bound on requests in flight; memory does not grow with
//! the duration.
//!
//!     HS_SECRET=... cargo run --release --example quota_load -- \
//!         --url http://127.0.0.1:8080 --stub http://127.0.0.1:9600 --secret-env HS_SECRET

mod e1;
mod e2;
mod record;
mod upstream;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Parser;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use record::{Outcome, Tally};

#[derive(Parser, Clone)]
pub(crate) struct Args {
    /// logward's base URL.
    #[arg(long)]
    url: String,
    /// The stub's base URL (its `/__stats` counters).
    #[arg(long)]
    stub: String,
    /// Environment variable holding logward's HS256 secret (tokens are minted here).
    #[arg(long, default_value = "HS_SECRET")]
    secret_env: String,
    /// e1, e2 or all.
    #[arg(long, default_value = "all")]
    scenario: String,
    #[arg(long, default_value_t = 180)]
    e1_secs: u64,
    #[arg(long, default_value_t = 60)]
    e2_secs: u64,
    /// E1: simulated portal users.
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// E1: tenants (`tenant-01`..); stream rank r belongs to tenant r mod this.
    #[arg(long, default_value_t = 10)]
    tenants: usize,
    /// E1: streams the users are spread over (Zipf by rank).
    #[arg(long, default_value_t = 20)]
    streams: usize,
    /// E1: Zipf exponent of stream popularity.
    #[arg(long, default_value_t = 1.0)]
    zipf: f64,
    /// E1: each user's polling interval.
    #[arg(long, default_value_t = 2.0)]
    poll_secs: f64,
    /// E1: share of requests that page through history instead of polling the head.
    #[arg(long, default_value_t = 0.2)]
    history_share: f64,
    /// E1: pages a history session follows at most (nextForwardToken).
    #[arg(long, default_value_t = 5)]
    history_pages: usize,
    /// E2: logward's GetLogEvents budget in calls/s (quota x share), what
    /// the noisy tenant's rate and the upstream's peak are measured against.
    #[arg(long, default_value_t = 18.75)]
    budget: f64,
    /// E2: the noisy tenant's rate, as a multiple of the budget.
    #[arg(long, default_value_t = 10.0)]
    noisy_factor: f64,
    /// E2: the quiet tenant's rate, requests/s.
    #[arg(long, default_value_t = 1.0)]
    quiet_rate: f64,
    /// Pause between phases, so one phase's back-log does not bleed into the next.
    #[arg(long, default_value_t = 5)]
    settle_secs: u64,
    #[arg(long, default_value_t = 15)]
    timeout_secs: u64,
    /// Requests in flight at most per open-loop sender (E2).
    #[arg(long, default_value_t = 512)]
    max_inflight: usize,
    #[arg(long, default_value_t = 13)]
    seed: u64,
}

/// splitmix64: small, seeded, good enough to draw users and ranges.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Draws ranks 0..n with P(r) proportional to 1/(r+1)^s.
pub(crate) struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub(crate) fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                total += 1.0 / ((r + 1) as f64).powf(s);
                total
            })
            .collect();
        Self { cumulative }
    }

    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let x = rng.unit() * self.cumulative.last().copied().unwrap_or(0.0);
        self.cumulative
            .partition_point(|c| *c <= x)
            .min(self.cumulative.len() - 1)
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A tenant's HS256 token, as the tenant's identity provider would mint it.
pub(crate) fn mint(secret: &[u8], tenant: &str, sub: &str) -> anyhow::Result<String> {
    let now = now_ms() / 1000;
    let claims = serde_json::json!({"sub": sub, "tenant": tenant, "iat": now, "exp": now + 4 * 3600});
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )?)
}

/// One answered (or failed) request.
pub(crate) struct Reply {
    pub(crate) outcome: Outcome,
    pub(crate) latency: Duration,
    pub(crate) retry_after: bool,
    pub(crate) body: Option<Vec<u8>>,
}

impl Reply {
    pub(crate) fn record(&self, tally: &std::sync::Mutex<Tally>) {
        if let Ok(mut t) = tally.lock() {
            t.record(self.outcome, self.latency, self.retry_after);
        }
    }
}

/// GET `url` with a bearer token; the latency ends when the whole body is in.
pub(crate) async fn get(client: &reqwest::Client, url: &str, token: &str) -> Reply {
    let start = Instant::now();
    let sent = client.get(url).bearer_auth(token).send().await;
    let (outcome, retry_after, body) = match sent {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let retry_after = status == 429 && resp.headers().contains_key(reqwest::header::RETRY_AFTER);
            match resp.bytes().await {
                Ok(body) => (Outcome::Status(status), retry_after, Some(body.to_vec())),
                Err(_) => (Outcome::TransportError, false, None),
            }
        }
        Err(_) => (Outcome::TransportError, false, None),
    };
    Reply {
        outcome,
        latency: start.elapsed(),
        retry_after,
        body,
    }
}

pub(crate) fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let secret = std::env::var(&args.secret_env).with_context(|| format!("{} is not set", args.secret_env))?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout_secs))
        .pool_max_idle_per_host(1024)
        .build()?;
    let stub = upstream::Stub::new(client.clone(), &args.stub);
    if matches!(args.scenario.as_str(), "e1" | "all") {
        let report = e1::run(&args, &client, &stub, secret.as_bytes()).await?;
        println!("{report}");
    }
    if args.scenario == "all" {
        tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
    }
    if matches!(args.scenario.as_str(), "e2" | "all") {
        let report = e2::run(&args, &client, &stub, secret.as_bytes()).await?;
        println!("{report}");
    }
    if !matches!(args.scenario.as_str(), "e1" | "e2" | "all") {
        anyhow::bail!("--scenario must be e1, e2 or all");
    }
    Ok(())
}
