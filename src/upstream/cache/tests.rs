//! The cache against a stub upstream that counts its calls. Time is tokio's
//! paused clock: the tests move it, nothing sleeps.

use std::sync::Mutex;

use futures_util::FutureExt;
use tokio::sync::Semaphore;

mod stub;

use self::stub::Stub;
use super::ttl::LATE_ARRIVAL_MS;
use super::*;
use crate::domain::{LogGroupName, LogStreamName};

fn cached(stub: Stub, max_bytes: u64) -> (Arc<Stub>, CachedUpstream, Arc<Metrics>) {
    let stub = Arc::new(stub);
    let metrics = Arc::new(Metrics::new());
    let cache = CachedUpstream::new(stub.clone(), max_bytes, Default::default(), metrics.clone());
    (stub, cache, metrics)
}

const MIB: u64 = 1 << 20;

fn tenant(name: &str) -> Caller {
    Caller::Tenant(name.into())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn events(stream: &str, end_time: Option<i64>) -> GetLogEventsRequest {
    GetLogEventsRequest {
        group: LogGroupName::parse("/app").unwrap(),
        stream: LogStreamName::parse(stream).unwrap(),
        start_time: Some(0),
        end_time,
        limit: None,
        next_token: None,
        start_from_head: Some(true),
    }
}

/// The message of the first event: which stub call made the answer.
fn made_by(page: &GetLogEventsResponse) -> String {
    page.events[0].message.clone().unwrap()
}

fn lookups(metrics: &Metrics, operation: &'static str, outcome: &'static str) -> u64 {
    metrics
        .cache
        .lookups
        .get_or_create(&LookupLabels { operation, outcome })
        .get()
}

#[tokio::test]
async fn identical_concurrent_requests_make_one_call_and_everyone_gets_its_answer() {
    let stub = Stub {
        gate: Some(Semaphore::new(0)),
        ..Stub::new()
    };
    let (stub, cache, metrics) = cached(stub, 64 * MIB);
    // Eight tenants ask the same thing at once; the call is held open until
    // every one of them is waiting.
    let mut asks: Vec<_> = (0..8)
        .map(|i| cache.get_log_events(tenant(&format!("t{i}")), events("s", None)))
        .collect();
    for ask in &mut asks {
        assert!(ask.now_or_never().is_none(), "waits for the one call");
    }
    assert_eq!(stub.calls(), 1);
    stub.gate.as_ref().unwrap().add_permits(1);
    let answers = futures_util::future::join_all(asks).await;
    assert_eq!(stub.calls(), 1, "one upstream call for eight requests");
    for answer in answers {
        let page = answer.unwrap();
        assert_eq!(made_by(&page), "call-1");
        assert_eq!(page.next_forward_token.as_deref(), Some("f/1"));
    }
    assert_eq!(
        (
            lookups(&metrics, "GetLogEvents", "miss"),
            lookups(&metrics, "GetLogEvents", "coalesced")
        ),
        (1, 7)
    );
    let calls = metrics
        .cache
        .calls
        .get_or_create(&OperationLabels {
            operation: "GetLogEvents",
        })
        .get();
    let requests = metrics
        .cache
        .requests
        .get_or_create(&OperationLabels {
            operation: "GetLogEvents",
        })
        .get();
    assert_eq!((requests, calls), (8, 1));
}

#[tokio::test]
async fn different_requests_are_not_joined() {
    let (stub, cache, _) = cached(Stub::new(), 64 * MIB);
    let a = cache.get_log_events(tenant("a"), events("s1", None)).await.unwrap();
    let b = cache.get_log_events(tenant("a"), events("s2", None)).await.unwrap();
    let mut paged = events("s1", None);
    paged.next_token = Some("f/1".into());
    let c = cache.get_log_events(tenant("a"), paged).await.unwrap();
    assert_eq!(
        (made_by(&a), made_by(&b), made_by(&c)),
        ("call-1".into(), "call-2".into(), "call-3".into())
    );
    assert_eq!(stub.calls(), 3);
}

/// Asks `ask` once, then again just before `ttl` ends (kept: no call), then
/// just after (asked anew). Returns the calls made after each step.
async fn kept_for<F>(ttl: Duration, stub: &Stub, mut ask: F) -> [usize; 3]
where
    F: AsyncFnMut() -> (),
{
    ask().await;
    let first = stub.calls();
    tokio::time::advance(ttl - Duration::from_millis(1)).await;
    ask().await;
    let within = stub.calls();
    tokio::time::advance(Duration::from_millis(2)).await;
    ask().await;
    [first, within, stub.calls()]
}

#[tokio::test(start_paused = true)]
async fn event_ranges_are_kept_as_long_as_their_end_allows() {
    let cases = [
        ("settled", Some(now_ms() - LATE_ARRIVAL_MS - 86_400_000), 3_600),
        ("past", Some(now_ms() - 3_600_000), 30),
        ("open", None, 2),
        ("ends later", Some(now_ms() + 3_600_000), 2),
    ];
    for (what, end, secs) in cases {
        let (stub, cache, _) = cached(Stub::new(), 64 * MIB);
        let calls = kept_for(Duration::from_secs(secs), &stub, async || {
            cache.get_log_events(tenant("a"), events("s", end)).await.unwrap();
        })
        .await;
        assert_eq!(calls, [1, 1, 2], "{what}");
        // FilterLogEvents follows the same classes.
        let (stub, cache, _) = cached(Stub::new(), 64 * MIB);
        let filter = FilterLogEventsRequest {
            group: LogGroupName::parse("/app").unwrap(),
            streams: StreamSelection::All,
            filter_pattern: Some("ERROR".into()),
            start_time: Some(0),
            end_time: end,
            limit: None,
            next_token: None,
        };
        let calls = kept_for(Duration::from_secs(secs), &stub, async || {
            cache.filter_log_events(tenant("a"), filter.clone()).await.unwrap();
        })
        .await;
        assert_eq!(calls, [1, 1, 2], "filter {what}");
    }
}

#[tokio::test(start_paused = true)]
async fn listings_are_kept_fifteen_seconds() {
    let (stub, cache, _) = cached(Stub::new(), 64 * MIB);
    let groups = DescribeLogGroupsRequest {
        prefix: Some("/app".into()),
        limit: Some(50),
        next_token: None,
    };
    let calls = kept_for(Duration::from_secs(15), &stub, async || {
        cache.describe_log_groups(tenant("a"), groups.clone()).await.unwrap();
    })
    .await;
    assert_eq!(calls, [1, 1, 2]);
    let (stub, cache, _) = cached(Stub::new(), 64 * MIB);
    let streams = DescribeLogStreamsRequest {
        group: LogGroupName::parse("/app").unwrap(),
        prefix: None,
        order_by: Some(StreamOrder::LastEventTime),
        descending: Some(true),
        limit: None,
        next_token: None,
    };
    let calls = kept_for(Duration::from_secs(15), &stub, async || {
        cache.describe_log_streams(tenant("a"), streams.clone()).await.unwrap();
    })
    .await;
    assert_eq!(calls, [1, 1, 2]);
}

#[tokio::test(start_paused = true)]
async fn a_running_query_is_asked_about_once_a_second_and_a_finished_one_kept() {
    let (stub, cache, _) = cached(Stub::new(), 64 * MIB);
    let calls = kept_for(Duration::from_secs(1), &stub, async || {
        let r = cache.get_query_results(tenant("a"), "q-1".into()).await.unwrap();
        assert_eq!(r.status, "Running");
    })
    .await;
    assert_eq!(calls, [1, 1, 2]);
    *stub.status.lock().unwrap() = "Complete";
    tokio::time::advance(Duration::from_secs(1)).await;
    let calls = kept_for(Duration::from_secs(3_600), &stub, async || {
        let r = cache.get_query_results(tenant("b"), "q-1".into()).await.unwrap();
        assert_eq!(r.status, "Complete");
    })
    .await;
    assert_eq!(calls, [3, 3, 4]);
}

#[tokio::test(start_paused = true)]
async fn a_stop_forgets_what_was_kept_about_the_query() {
    let (stub, cache, _) = cached(Stub::new(), 64 * MIB);
    cache.get_query_results(tenant("a"), "q-1".into()).await.unwrap();
    assert!(cache.stop_query(tenant("a"), "q-1".into()).await.unwrap());
    *stub.status.lock().unwrap() = "Cancelled";
    let r = cache.get_query_results(tenant("a"), "q-1".into()).await.unwrap();
    assert_eq!((r.status.as_str(), stub.calls()), ("Cancelled", 3));
}

#[tokio::test(start_paused = true)]
async fn starts_and_stops_are_never_joined_nor_kept() {
    let (stub, cache, _) = cached(Stub::new(), 64 * MIB);
    let start = StartQueryRequest {
        groups: vec![LogGroupName::parse("/app").unwrap()],
        query_string: "fields @message".into(),
        start_time: 0,
        end_time: 1,
        limit: None,
    };
    let (a, b) = futures_util::join!(
        cache.start_query(tenant("a"), start.clone()),
        cache.start_query(tenant("a"), start.clone())
    );
    assert_ne!(a.unwrap(), b.unwrap(), "two starts, two queries");
    cache.stop_query(tenant("a"), "q".into()).await.unwrap();
    cache.stop_query(tenant("a"), "q".into()).await.unwrap();
    assert_eq!(stub.calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn errors_are_not_kept_and_a_not_found_only_for_a_second() {
    let (stub, cache, _) = cached(Stub::new(), 64 * MIB);
    let past = Some(now_ms() - 3_600_000);
    *stub.fail.lock().unwrap() = Some(UpstreamError::Throttled);
    let first = cache.get_log_events(tenant("a"), events("s", past)).await;
    assert!(matches!(first, Err(UpstreamError::Throttled)), "{first:?}");
    *stub.fail.lock().unwrap() = None;
    let second = cache.get_log_events(tenant("a"), events("s", past)).await.unwrap();
    assert_eq!(
        (made_by(&second), stub.calls()),
        ("call-2".into(), 2),
        "the error was not kept"
    );

    let (stub, cache, _) = cached(Stub::new(), 64 * MIB);
    *stub.fail.lock().unwrap() = Some(UpstreamError::NotFound("no such stream".into()));
    let calls = kept_for(Duration::from_secs(1), &stub, async || {
        let r = cache.get_log_events(tenant("a"), events("s", past)).await;
        assert!(matches!(r, Err(UpstreamError::NotFound(_))), "{r:?}");
    })
    .await;
    assert_eq!(calls, [1, 1, 2]);
}

#[tokio::test]
async fn an_error_reaches_every_caller_that_joined_the_call() {
    let stub = Stub {
        gate: Some(Semaphore::new(0)),
        fail: Mutex::new(Some(UpstreamError::Timeout)),
        ..Stub::new()
    };
    let (stub, cache, _) = cached(stub, 64 * MIB);
    let mut asks: Vec<_> = (0..3)
        .map(|_| cache.get_log_events(tenant("a"), events("s", None)))
        .collect();
    for ask in &mut asks {
        assert!(ask.now_or_never().is_none());
    }
    stub.gate.as_ref().unwrap().add_permits(1);
    for answer in futures_util::future::join_all(asks).await {
        assert!(matches!(answer, Err(UpstreamError::Timeout)), "{answer:?}");
    }
    assert_eq!(stub.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn with_no_memory_nothing_is_kept_but_identical_calls_still_join() {
    let stub = Stub {
        gate: Some(Semaphore::new(0)),
        ..Stub::new()
    };
    let (stub, cache, _) = cached(stub, 0);
    let past = Some(now_ms() - 3_600_000);
    let mut asks: Vec<_> = (0..4)
        .map(|_| cache.get_log_events(tenant("a"), events("s", past)))
        .collect();
    for ask in &mut asks {
        assert!(ask.now_or_never().is_none());
    }
    stub.gate.as_ref().unwrap().add_permits(100);
    futures_util::future::join_all(asks).await;
    assert_eq!(stub.calls(), 1);
    cache.get_log_events(tenant("a"), events("s", past)).await.unwrap();
    assert_eq!(stub.calls(), 2, "nothing was kept");
}

#[tokio::test]
async fn memory_stays_within_its_bound_by_evicting_answers() {
    // Answers of about 4 KiB in a 64 KiB cache: at most 16 fit.
    let stub = Stub {
        size: 4_000,
        ..Stub::new()
    };
    let (stub, cache, metrics) = cached(stub, 64 * 1024);
    let past = Some(now_ms() - 3_600_000);
    let streams: Vec<String> = (0..64).map(|i| format!("s{i}")).collect();
    for s in &streams {
        cache.get_log_events(tenant("a"), events(s, past)).await.unwrap();
    }
    cache.cache.run_pending_tasks().await;
    assert!(
        cache.cache.weighted_size() <= 64 * 1024,
        "{}",
        cache.cache.weighted_size()
    );
    let kept = cache.cache.entry_count() as usize;
    assert!((1..=16).contains(&kept), "{kept}");
    // Asking everything again finds at most what was kept.
    for s in &streams {
        cache.get_log_events(tenant("a"), events(s, past)).await.unwrap();
    }
    assert!(stub.calls() >= 128 - kept, "{} calls", stub.calls());
    assert!(lookups(&metrics, "GetLogEvents", "hit") <= kept as u64);
}

#[tokio::test]
async fn a_joiner_whose_leader_got_no_budget_turn_takes_its_own() {
    let stub = Stub {
        gate: Some(Semaphore::new(0)),
        ..Stub::new()
    };
    let (stub, cache, _) = cached(stub, 64 * MIB);
    let mut leader = cache.get_log_events(tenant("noisy"), events("s", None));
    let mut joiner = cache.get_log_events(tenant("quiet"), events("s", None));
    assert!((&mut leader).now_or_never().is_none());
    assert!((&mut joiner).now_or_never().is_none());
    // The leader's call is refused a turn (its tenant's queue is full)...
    *stub.fail.lock().unwrap() = Some(UpstreamError::OverBudget { retry_after_secs: 1 });
    stub.gate.as_ref().unwrap().add_permits(1);
    assert!(matches!(leader.await, Err(UpstreamError::OverBudget { .. })));
    // ...which is no answer for the joiner: it asks under its own name.
    *stub.fail.lock().unwrap() = None;
    stub.gate.as_ref().unwrap().add_permits(1);
    let page = joiner.await.unwrap();
    assert_eq!(made_by(&page), "call-2");
    assert_eq!(stub.calls(), 2);
}
