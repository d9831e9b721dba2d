//! E2, isolation: a quiet tenant at `--quiet-rate` requests/s, first alone,
//! then beside a noisy tenant at `--noisy-factor` times the GetLogEvents
//! budget. Both send open-loop (at a fixed rate, whatever the answers) and
//! every request asks for a range no other request asks for, so no cache can
//! answer it: each one needs its own upstream call.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::time::MissedTickBehavior;

use crate::record::{Tally, met, ms, percent};
use crate::upstream::Snapshot;
use crate::{Args, Rng, enc, get, mint, now_ms};

struct Sender {
    tenant: &'static str,
    rate: f64,
    seed: u64,
}

/// Sends at `rate` for `duration`, at most `max_inflight` at once (a request
/// due when the bound is reached is not sent and counts as shed), then waits
/// for the ones in flight.
async fn send(
    args: &Args,
    client: &reqwest::Client,
    secret: &[u8],
    who: &Sender,
    duration: Duration,
) -> anyhow::Result<Tally> {
    let token = mint(secret, who.tenant, "e2")?;
    let events = format!(
        "{}/v1/log-groups/{}/log-streams/web-01/events",
        args.url,
        enc(&format!("/{}/app", who.tenant))
    );
    let tally = Arc::new(Mutex::new(Tally::new()));
    let inflight = Arc::new(Semaphore::new(args.max_inflight));
    let mut rng = Rng::new(who.seed);
    let deadline = Instant::now() + duration;
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / who.rate));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    loop {
        ticks.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        let Ok(permit) = inflight.clone().try_acquire_owned() else {
            if let Ok(mut t) = tally.lock() {
                t.shed += 1;
            }
            continue;
        };
        // A one-minute range starting at a random millisecond of the last hour.
        let from = now_ms() - 3_600_000 + rng.below(3_000_000) as i64;
        let url = format!(
            "{events}?startTime={from}&endTime={}&startFromHead=true&limit=20",
            from + 60_000
        );
        let (client, token, tally) = (client.clone(), token.clone(), tally.clone());
        tokio::spawn(async move {
            get(&client, &url, &token).await.record(&tally);
            drop(permit);
        });
    }
    // Every permit back: every request has been answered or timed out.
    let _all = inflight.acquire_many(args.max_inflight as u32).await?;
    let mut tally = tally.lock().map_err(|_| anyhow::anyhow!("a request task panicked"))?;
    Ok(std::mem::replace(&mut *tally, Tally::new()))
}

fn row(out: &mut String, name: &str, t: &Tally) -> std::fmt::Result {
    writeln!(
        out,
        "| {name} | {} | {} | {} | {} | {} | {} | {} |",
        t.sent(),
        percent(t.success_rate()),
        ms(t.latency.quantile(0.5)),
        ms(t.latency.quantile(0.99)),
        ms(t.latency.quantile(1.0)),
        t.statuses_text(),
        t.shed
    )
}

pub(crate) async fn run(
    args: &Args,
    client: &reqwest::Client,
    stub: &crate::upstream::Stub,
    secret: &[u8],
) -> anyhow::Result<String> {
    let duration = Duration::from_secs(args.e2_secs);
    let quiet = Sender {
        tenant: "quiet",
        rate: args.quiet_rate,
        seed: args.seed ^ 0x5151,
    };
    let noisy = Sender {
        tenant: "noisy",
        rate: args.budget * args.noisy_factor,
        seed: args.seed ^ 0xa0a0,
    };

    eprintln!("quota_load: E2, the quiet tenant alone for {} s", args.e2_secs);
    stub.reset().await?;
    let alone = send(args, client, secret, &quiet, duration).await?;
    let upstream_alone = stub.read().await?;

    tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
    eprintln!(
        "quota_load: E2, quiet and noisy ({:.0}/s) for {} s",
        noisy.rate, args.e2_secs
    );
    stub.reset().await?;
    let (with_noisy, flood) = tokio::join!(
        send(args, client, secret, &quiet, duration),
        send(args, client, secret, &noisy, duration)
    );
    let (with_noisy, flood) = (with_noisy?, flood?);
    let upstream: Snapshot = stub.read().await?;

    let gle = upstream.op("GetLogEvents");
    let quota = gle.quota.map_or_else(|| "none".to_owned(), |q| q.to_string());
    let p99_alone = alone.latency.quantile(0.99).unwrap_or_default();
    let p99_with = with_noisy.latency.quantile(0.99).unwrap_or(Duration::MAX);
    let allowed = args.budget.ceil() as usize;

    let mut out = String::new();
    writeln!(out, "### E2, isolation\n")?;
    writeln!(
        out,
        "GetLogEvents budget {} calls/s (stub quota {quota}/s). Quiet tenant at {} request/s for {} s, \
         alone and then beside the noisy tenant at {:.1} requests/s ({}x the budget). Every request \
         is a one-minute range no other request asks for (no cache can answer it). Open loop, at most \
         {} requests in flight per tenant (shed: due but not sent at that bound).\n",
        args.budget, args.quiet_rate, args.e2_secs, noisy.rate, args.noisy_factor, args.max_inflight
    )?;
    writeln!(
        out,
        "| tenant | requests | success (2xx) | p50 ms | p99 ms | max ms | statuses | shed |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---|---:|")?;
    row(&mut out, "quiet, alone", &alone)?;
    row(&mut out, "quiet, beside noisy", &with_noisy)?;
    row(&mut out, "noisy", &flood)?;
    writeln!(out)?;
    writeln!(out, "| upstream | quiet alone | quiet and noisy |\n|---|---|---|")?;
    writeln!(out, "| calls | {} | {} |", upstream_alone.text(), upstream.text())?;
    writeln!(
        out,
        "| most GetLogEvents calls in any 1 s | {} | {} |",
        upstream_alone.op("GetLogEvents").max_calls_in_1s,
        gle.max_calls_in_1s
    )?;
    writeln!(
        out,
        "| noisy 429s with Retry-After | | {} of {} |",
        flood.retry_after,
        flood.count(429)
    )?;
    writeln!(out, "\n| target | result | |\n|---|---|---|")?;
    writeln!(
        out,
        "| quiet ≥ 99.9 % success beside noisy | {} | {} |",
        percent(with_noisy.success_rate()),
        met(with_noisy.sent() > 0 && with_noisy.success_rate() >= 0.999)
    )?;
    writeln!(
        out,
        "| quiet p99 within 100 ms of alone (every request, failures at the time they came) | {} vs {} ms | {} |",
        ms(Some(p99_with)),
        ms(Some(p99_alone)),
        met(p99_with <= p99_alone + Duration::from_millis(100))
    )?;
    writeln!(
        out,
        "| noisy gets 429s | {} | {} |",
        flood.count(429),
        met(flood.count(429) > 0)
    )?;
    writeln!(
        out,
        "| upstream never over the budget | at most {} GetLogEvents calls in any 1 s (budget {}, quota {quota}), {} throttled | {} |",
        gle.max_calls_in_1s,
        args.budget,
        gle.throttled,
        met(gle.max_calls_in_1s <= allowed && gle.throttled == 0)
    )?;
    if with_noisy.sent() < 100 {
        writeln!(
            out,
            "\n(The quiet tenant's p99 rests on {} requests: it is close to its maximum.)",
            with_noisy.sent()
        )?;
    }
    Ok(out)
}
