//! One operation's share of the account quota on this instance: a token
//! bucket whose rate adapts to CloudWatch's throttling (halved on a
//! ThrottlingException, recovering by a tenth of the quota a second), and
//! when calls must wait, fair queuing among callers: one queue per tenant
//! (and one for the tail pollers, one for logward's own calls), served
//! round-robin, one call per turn, so a flooding tenant waits behind itself;
//! a caller with nothing waiting goes to the front, so a quiet one waits for
//! the next turn only.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use super::super::Caller;

/// The budget never falls below this part of its configured rate.
const MIN_FACTOR: f64 = 0.05;
/// After a throttle, the next one halves the rate only once this has passed
/// (the calls already in flight throttle together).
const DECREASE_GAP: Duration = Duration::from_secs(1);
/// Each second without a throttle adds this part of the configured rate back.
const STEP: f64 = 0.1;

/// Why a call gets no turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoTurn {
    /// When trying again makes sense.
    pub(crate) retry_after: Duration,
}

pub(crate) struct Scheduler {
    /// Calls per second for all instances together (quota × share).
    account_rate: f64,
    /// How many instances share the account's quota (at least 1).
    instances: Arc<std::sync::atomic::AtomicU32>,
    max_wait: Duration,
    state: Mutex<State>,
    wake: Arc<Notify>,
}

struct State {
    factor: f64,
    last_decrease: Option<Instant>,
    last_step: Instant,
    tokens: f64,
    refilled: Instant,
    queues: HashMap<Caller, VecDeque<oneshot::Sender<()>>>,
    /// Callers with waiting calls, in the order they are served.
    turns: VecDeque<Caller>,
}

impl Scheduler {
    /// Starts the dispatcher that hands out turns; it ends when the
    /// scheduler is dropped.
    pub(crate) fn start(
        account_rate: f64,
        instances: Arc<std::sync::atomic::AtomicU32>,
        max_wait: Duration,
    ) -> Arc<Self> {
        let now = Instant::now();
        let scheduler = Arc::new(Self {
            account_rate,
            instances,
            max_wait,
            state: Mutex::new(State {
                factor: 1.0,
                last_decrease: None,
                last_step: now,
                tokens: 1.0,
                refilled: now,
                queues: HashMap::new(),
                turns: VecDeque::new(),
            }),
            wake: Arc::new(Notify::new()),
        });
        tokio::spawn(dispatch(Arc::downgrade(&scheduler), scheduler.wake.clone()));
        scheduler
    }

    /// Calls per second this instance may make now.
    pub(crate) fn rate(&self) -> f64 {
        let st = self.lock();
        self.rate_at(st.factor)
    }

    /// The adaptive factor (1: no throttling seen lately).
    pub(crate) fn factor(&self) -> f64 {
        self.lock().factor
    }

    fn rate_at(&self, factor: f64) -> f64 {
        let instances = self.instances.load(std::sync::atomic::Ordering::Relaxed).max(1);
        self.account_rate * factor / f64::from(instances)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a turn of `caller`: at once when the budget has room and
    /// nobody waits; otherwise in `caller`'s queue, for at most `max_wait`.
    pub(crate) async fn turn(&self, caller: &Caller) -> Result<(), NoTurn> {
        let waiting = {
            let mut st = self.lock();
            let rate = self.refill(&mut st);
            if st.turns.is_empty() && st.tokens >= 1.0 {
                st.tokens -= 1.0;
                return Ok(());
            }
            // A queue longer than the turns it can get within the wait is
            // refused at once instead of timing out later.
            let most = (rate * self.max_wait.as_secs_f64()).ceil().max(1.0) as usize;
            let queue = st.queues.entry(caller.clone()).or_default();
            queue.retain(|waiter| !waiter.is_closed());
            if queue.len() >= most {
                let retry_after = Duration::from_secs_f64(((queue.len() + 1) as f64 / rate).clamp(1.0, 60.0));
                return Err(NoTurn { retry_after });
            }
            let (tx, rx) = oneshot::channel();
            queue.push_back(tx);
            // A caller that had nothing waiting goes first: it has had no
            // turn while the busy ones took theirs (as in fair queuing, where
            // a newly active flow starts at the current virtual time), so a
            // quiet tenant waits for the next turn, not for every busy one.
            if !st.turns.contains(caller) {
                st.turns.push_front(caller.clone());
            }
            rx
        };
        self.wake.notify_one();
        match tokio::time::timeout(self.max_wait, waiting).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(NoTurn {
                retry_after: Duration::from_secs(1),
            }),
        }
    }

    /// CloudWatch throttled a call: halve the rate (at most once per
    /// [`DECREASE_GAP`]) and spend what was saved up.
    pub(crate) fn throttled(&self) {
        let now = Instant::now();
        let mut st = self.lock();
        // Recovery earned until now counts before the cut.
        self.refill(&mut st);
        if st.last_decrease.is_some_and(|at| now - at < DECREASE_GAP) {
            return;
        }
        st.factor = (st.factor / 2.0).max(MIN_FACTOR);
        st.last_decrease = Some(now);
        st.last_step = now;
        st.tokens = 0.0;
    }

    /// Adds the tokens earned since the last refill and the additive
    /// recovery; returns the current rate.
    fn refill(&self, st: &mut State) -> f64 {
        let now = Instant::now();
        let steps = ((now - st.last_step).as_secs_f64()).floor();
        if steps >= 1.0 {
            st.factor = (st.factor + STEP * steps).min(1.0);
            st.last_step += Duration::from_secs_f64(steps);
        }
        let rate = self.rate_at(st.factor);
        // Nothing is saved up beyond the next call: calls go out evenly
        // spaced, so no second ever holds more than the rate (rounded up).
        st.tokens = (st.tokens + rate * (now - st.refilled).as_secs_f64()).min(1.0);
        st.refilled = now;
        rate
    }

    /// Hands out every turn the budget allows now; returns how long until
    /// the next one, or `None` when nobody waits.
    fn hand_out(&self) -> Option<Duration> {
        let mut guard = self.lock();
        let st = &mut *guard;
        loop {
            let rate = self.refill(st);
            let caller = st.turns.pop_front()?;
            let Some(queue) = st.queues.get_mut(&caller) else {
                continue;
            };
            while queue.front().is_some_and(|w| w.is_closed()) {
                queue.pop_front();
            }
            if queue.is_empty() {
                st.queues.remove(&caller);
                continue;
            }
            if st.tokens < 1.0 {
                st.turns.push_front(caller);
                return Some(Duration::from_secs_f64((1.0 - st.tokens) / rate));
            }
            let granted = queue.pop_front().is_some_and(|waiter| waiter.send(()).is_ok());
            if queue.is_empty() {
                st.queues.remove(&caller);
            } else {
                st.turns.push_back(caller);
            }
            if granted {
                st.tokens -= 1.0;
            }
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

async fn dispatch(scheduler: Weak<Scheduler>, wake: Arc<Notify>) {
    loop {
        let next = match scheduler.upgrade() {
            Some(s) => s.hand_out(),
            None => return,
        };
        match next {
            Some(delay) => tokio::time::sleep(delay).await,
            None => wake.notified().await,
        }
    }
}
