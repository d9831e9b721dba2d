//! The budget under a paused clock: turns are counted, never timed.

use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use futures_util::future::join_all;

use super::super::Caller;
use super::Scheduler;

fn tenant(id: &str) -> Caller {
    Caller::Tenant(id.into())
}

#[tokio::test(start_paused = true)]
async fn a_flooding_tenant_waits_behind_itself_and_a_quiet_one_is_served() {
    // 10 calls a second, waits of at most 1 s.
    let scheduler = Scheduler::start(10.0, Arc::new(AtomicU32::new(1)), Duration::from_secs(1));
    let noisy = tenant("noisy");
    let quiet = tenant("quiet");
    // The noisy tenant asks for 100 turns at once, then the quiet one for 3.
    let floods = join_all((0..100).map(|_| scheduler.turn(&noisy)));
    let quiet_turns = async {
        tokio::task::yield_now().await;
        join_all((0..3).map(|_| scheduler.turn(&quiet))).await
    };
    let (floods, quiet_turns) = tokio::join!(floods, quiet_turns);
    assert!(quiet_turns.iter().all(Result::is_ok), "{quiet_turns:?}");
    let granted = floods.iter().filter(|r| r.is_ok()).count();
    // In the one second it may wait, the noisy tenant gets what is left of
    // about 10-12 turns; the rest are refused, most of them at once.
    assert!((5..=12).contains(&granted), "noisy granted {granted}");
    assert!(
        floods
            .iter()
            .filter_map(|r| r.err())
            .all(|e| e.retry_after >= Duration::from_secs(1))
    );
}

#[tokio::test(start_paused = true)]
async fn no_second_holds_more_turns_than_the_rate() {
    let scheduler = Scheduler::start(20.0, Arc::new(AtomicU32::new(1)), Duration::from_secs(10));
    let caller = tenant("a");
    let start = tokio::time::Instant::now();
    let results = join_all((0..60).map(|_| async { scheduler.turn(&caller).await.map(|()| start.elapsed()) })).await;
    let times: Vec<Duration> = results.into_iter().map(Result::unwrap).collect();
    // Any one-second window holds at most 20 turns.
    for t in &times {
        let window = times
            .iter()
            .filter(|u| **u >= *t && **u < *t + Duration::from_secs(1))
            .count();
        assert!(window <= 20, "{window} turns in the second from {t:?}");
    }
    assert!(
        *times.iter().max().unwrap() >= Duration::from_secs(2),
        "60 turns at 20/s take about 3 s"
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_halves_the_rate_and_it_recovers_step_by_step() {
    let scheduler = Scheduler::start(10.0, Arc::new(AtomicU32::new(1)), Duration::from_secs(1));
    scheduler.throttled();
    assert_eq!(scheduler.rate(), 5.0);
    // Throttles of calls already in flight count once.
    scheduler.throttled();
    assert_eq!(scheduler.rate(), 5.0);
    // A second later it has recovered a tenth (0.6) when the next throttle
    // halves it.
    tokio::time::advance(Duration::from_millis(1100)).await;
    scheduler.throttled();
    assert!((scheduler.rate() - 3.0).abs() < 1e-9, "{}", scheduler.rate());
    // No throttle for 3 s: three steps of a tenth of the configured rate.
    tokio::time::advance(Duration::from_secs(3)).await;
    let _ = scheduler.turn(&tenant("a")).await;
    assert!((scheduler.factor() - 0.6).abs() < 1e-9, "{}", scheduler.factor());
    tokio::time::advance(Duration::from_secs(10)).await;
    let _ = scheduler.turn(&tenant("a")).await;
    assert_eq!(scheduler.factor(), 1.0);
}

#[tokio::test(start_paused = true)]
async fn instances_divide_the_budget() {
    let instances = Arc::new(AtomicU32::new(1));
    let scheduler = Scheduler::start(10.0, instances.clone(), Duration::from_secs(1));
    assert_eq!(scheduler.rate(), 10.0);
    instances.store(4, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(scheduler.rate(), 2.5);
}

#[tokio::test(start_paused = true)]
async fn a_quiet_caller_gets_the_next_turn_however_long_a_busy_queue_is() {
    let scheduler = Scheduler::start(10.0, Arc::new(AtomicU32::new(1)), Duration::from_secs(2));
    let order = std::sync::Mutex::new(Vec::new());
    let noisy = tenant("noisy");
    let quiet = tenant("quiet");
    let take = |caller: &Caller, name: &'static str| {
        let (scheduler, order) = (&scheduler, &order);
        let caller = caller.clone();
        async move {
            scheduler.turn(&caller).await.unwrap();
            order.lock().unwrap().push(name);
        }
    };
    // The noisy tenant's six calls queue first (the first takes the token).
    let busy = join_all((0..6).map(|_| take(&noisy, "noisy")));
    let late = async {
        tokio::task::yield_now().await;
        take(&quiet, "quiet").await;
    };
    tokio::join!(busy, late);
    let order = order.into_inner().unwrap();
    let at = order.iter().position(|n| *n == "quiet").unwrap();
    // After the call that found the token, the very next turn is the quiet one.
    assert_eq!(at, 1, "{order:?}");
}
