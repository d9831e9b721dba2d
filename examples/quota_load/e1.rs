//! E1, efficiency: portal users polling the head of Zipf-popular streams,
//! with a share of requests paging through past ranges. Each stream belongs to
//! one tenant (stream rank r is `web-NN` of tenant r mod tenants), so no data
//! is shared across tenants. U is the stub's call count per 1,000 client
//! requests. Next to it, floors: the calls an ideal cache would have made
//! holding every distinct request for a fixed 1 s or 2 s window, and holding
//! head reads 2 s but past ranges for the whole run.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::time::MissedTickBehavior;

use crate::record::{Tally, met, ms, percent};
use crate::{Args, Rng, Zipf, enc, get, mint, now_ms};

const DAY_MS: i64 = 86_400_000;
const RANGE_MS: i64 = 300_000;
const HEAD_LIMIT: u32 = 50;
const PAGE_LIMIT: u32 = 100;

/// Distinct request URLs per fixed window of `width`: the calls an ideal
/// coalescing cache with that lifetime would have made.
struct Floor {
    width: Duration,
    window: u64,
    seen: HashSet<String>,
    distinct: u64,
}

impl Floor {
    fn new(width: Duration) -> Self {
        Self {
            width,
            window: 0,
            seen: HashSet::new(),
            distinct: 0,
        }
    }

    fn note(&mut self, since_start: Duration, url: &str) {
        let window = (since_start.as_secs_f64() / self.width.as_secs_f64()) as u64;
        if window != self.window {
            self.window = window;
            self.seen.clear();
        }
        if self.seen.insert(url.to_owned()) {
            self.distinct += 1;
        }
    }
}

struct Floors {
    all: [Floor; 2],
    head: Floor,
    /// Distinct past-range requests of the whole run (a few thousand at most:
    /// ranges are drawn from a small set, as real users look at the same incidents).
    history: HashSet<String>,
}

struct Shared {
    tally: Mutex<Tally>,
    floors: Mutex<Floors>,
    head: AtomicU64,
    history: AtomicU64,
    start: Instant,
}

/// A user's walk through a past range, page by page.
struct Session {
    url: String,
    token: Option<String>,
    pages: usize,
}

/// A past range: half within the last hour (5-minute windows, recent ones more
/// popular), half in incident windows 15-24 days ago (older than CloudWatch's
/// 14-day late-arrival window, so they can never change).
fn past_range(rng: &mut Rng, recent: &Zipf, old: &Zipf) -> (i64, i64) {
    let now = now_ms();
    let start = if rng.unit() < 0.5 {
        now / RANGE_MS * RANGE_MS - (recent.sample(rng) as i64 + 1) * RANGE_MS
    } else {
        now / DAY_MS * DAY_MS - (15 + old.sample(rng) as i64) * DAY_MS + 10 * 3_600_000
    };
    (start, start + RANGE_MS)
}

fn next_forward_token(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("nextForwardToken")?.as_str().map(str::to_owned)
}

async fn user(args: Arc<Args>, client: reqwest::Client, shared: Arc<Shared>, events: String, token: String, seed: u64) {
    let mut rng = Rng::new(seed);
    let (recent, old) = (Zipf::new(12, 1.0), Zipf::new(10, 1.0));
    let period = Duration::from_secs_f64(args.poll_secs);
    let first = shared.start + period.mul_f64(rng.unit());
    let deadline = shared.start + Duration::from_secs(args.e1_secs);
    let mut ticks = tokio::time::interval_at(first.into(), period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut session: Option<Session> = None;
    loop {
        ticks.tick().await;
        if Instant::now() >= deadline {
            return;
        }
        let history = rng.unit() < args.history_share;
        let url = if history {
            if session.as_ref().is_none_or(|s| s.pages >= args.history_pages) {
                let (from, to) = past_range(&mut rng, &recent, &old);
                let url = format!("{events}?startTime={from}&endTime={to}&startFromHead=true&limit={PAGE_LIMIT}");
                session = Some(Session {
                    url,
                    token: None,
                    pages: 0,
                });
            }
            match session.as_ref() {
                Some(Session {
                    url, token: Some(t), ..
                }) => format!("{url}&nextToken={}", enc(t)),
                Some(s) => s.url.clone(),
                None => continue,
            }
        } else {
            format!("{events}?limit={HEAD_LIMIT}")
        };
        if let Ok(mut floors) = shared.floors.lock() {
            let since = shared.start.elapsed();
            floors.all.iter_mut().for_each(|f| f.note(since, &url));
            if history {
                floors.history.insert(url.clone());
            } else {
                floors.head.note(since, &url);
            }
        }
        let reply = get(&client, &url, &token).await;
        reply.record(&shared.tally);
        let counter = if history { &shared.history } else { &shared.head };
        counter.fetch_add(1, Ordering::Relaxed);
        if history && let Some(s) = session.as_mut() {
            let ok = matches!(reply.outcome, crate::record::Outcome::Status(200..=299));
            match reply.body.as_deref().filter(|_| ok).and_then(next_forward_token) {
                Some(next) if s.token.as_deref() != Some(next.as_str()) => {
                    s.token = Some(next);
                    s.pages += 1;
                }
                _ => session = None, // the end of the range, or an error: start afresh
            }
        }
    }
}

pub(crate) async fn run(
    args: &Args,
    client: &reqwest::Client,
    stub: &crate::upstream::Stub,
    secret: &[u8],
) -> anyhow::Result<String> {
    let zipf = Zipf::new(args.streams, args.zipf);
    let shared = Arc::new(Shared {
        tally: Mutex::new(Tally::new()),
        floors: Mutex::new(Floors {
            all: [Floor::new(Duration::from_secs(1)), Floor::new(Duration::from_secs(2))],
            head: Floor::new(Duration::from_secs(2)),
            history: HashSet::new(),
        }),
        head: AtomicU64::new(0),
        history: AtomicU64::new(0),
        start: Instant::now() + Duration::from_millis(200),
    });
    let shared_args = Arc::new(args.clone());
    let mut users = Vec::with_capacity(args.users);
    let mut per_tenant = vec![0usize; args.tenants];
    for u in 0..args.users {
        let mut rng = Rng::new(args.seed.wrapping_mul(1_000_003).wrapping_add(u as u64));
        let rank = zipf.sample(&mut rng);
        per_tenant[rank % args.tenants] += 1;
        let tenant = format!("tenant-{:02}", rank % args.tenants + 1);
        let stream = format!("web-{:02}", rank / args.tenants + 1);
        let events = format!(
            "{}/v1/log-groups/{}/log-streams/{stream}/events",
            args.url,
            enc(&format!("/{tenant}/app"))
        );
        let token = mint(secret, &tenant, &format!("user-{u:03}"))?;
        users.push((events, token, rng.next_u64()));
    }
    stub.reset().await?;
    eprintln!("quota_load: E1, {} users for {} s", args.users, args.e1_secs);
    let tasks: Vec<_> = users
        .into_iter()
        .map(|(events, token, seed)| {
            tokio::spawn(user(
                shared_args.clone(),
                client.clone(),
                shared.clone(),
                events,
                token,
                seed,
            ))
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    let elapsed = shared.start.elapsed().as_secs_f64();
    let upstream = stub.read().await?;
    let tally = shared
        .tally
        .lock()
        .map_err(|_| anyhow::anyhow!("a user task panicked"))?;
    let floors = shared
        .floors
        .lock()
        .map_err(|_| anyhow::anyhow!("a user task panicked"))?;
    let sent = tally.sent();
    let per_1000 = |calls: u64| {
        if sent == 0 {
            f64::NAN
        } else {
            calls as f64 * 1000.0 / sent as f64
        }
    };
    let u = per_1000(upstream.calls());
    let (head, history) = (
        shared.head.load(Ordering::Relaxed),
        shared.history.load(Ordering::Relaxed),
    );

    let mut out = String::new();
    writeln!(out, "### E1, efficiency\n")?;
    writeln!(
        out,
        "{} users over {} tenants (users per tenant: {per_tenant:?}), Zipf s = {} over {} streams, \
         each polling every {} s for {} s; {:.0} % of requests page through past ranges \
         (up to {} pages of {PAGE_LIMIT}), the rest read the head of the stream ({HEAD_LIMIT} newest events).\n",
        args.users,
        args.tenants,
        args.zipf,
        args.streams,
        args.poll_secs,
        args.e1_secs,
        args.history_share * 100.0,
        args.history_pages
    )?;
    writeln!(out, "| measure | value |\n|---|---|")?;
    writeln!(
        out,
        "| client requests | {sent} ({:.1}/s; head {head}, history {history}) |",
        sent as f64 / elapsed
    )?;
    writeln!(out, "| statuses | {} |", tally.statuses_text())?;
    writeln!(out, "| success (2xx) | {} |", percent(tally.success_rate()))?;
    writeln!(
        out,
        "| latency p50 / p99 / max, ms | {} / {} / {} |",
        ms(tally.latency.quantile(0.5)),
        ms(tally.latency.quantile(0.99)),
        ms(tally.latency.quantile(1.0))
    )?;
    writeln!(out, "| upstream calls | {} ({}) |", upstream.calls(), upstream.text())?;
    writeln!(out, "| **U**, upstream calls per 1,000 client requests | **{u:.1}** |")?;
    writeln!(
        out,
        "| U of an ideal cache holding every distinct request 1 s / 2 s | {:.1} / {:.1} |",
        per_1000(floors.all[0].distinct),
        per_1000(floors.all[1].distinct)
    )?;
    writeln!(
        out,
        "| U of an ideal cache holding head reads 2 s, past ranges all run | {:.1} (head {:.1} + history {:.1}) |",
        per_1000(floors.head.distinct + floors.history.len() as u64),
        per_1000(floors.head.distinct),
        per_1000(floors.history.len() as u64)
    )?;
    writeln!(out, "| throttles received by logward | {} |", upstream.throttled())?;
    writeln!(out, "\n| target | result | |\n|---|---|---|")?;
    writeln!(out, "| U ≤ 50 | {u:.1} | {} |", met(u <= 50.0))?;
    writeln!(
        out,
        "| no upstream throttling | {} throttles | {} |",
        upstream.throttled(),
        met(upstream.throttled() == 0)
    )?;
    writeln!(
        out,
        "| ≥ 99.9 % success | {} | {} |",
        percent(tally.success_rate()),
        met(sent > 0 && tally.success_rate() >= 0.999)
    )?;
    Ok(out)
}
