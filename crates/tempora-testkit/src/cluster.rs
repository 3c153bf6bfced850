//! Two schedulers sharing one store (nodes `node-a` and `node-b`): a job's
//! overlap policy, a backfill and retries hold across them — each fire time,
//! and each attempt of it, runs once, counted inside the task and in the
//! history.
//!
//! Overlap and backfill run on one manual clock, and the job's limit
//! (`max_instances`) holds across both: no two of its runs are ever in
//! progress at once, not even when the two schedulers claim two of its
//! runs at the same instant.
//! A backend's tests call [`buffered_and_backfilled_fire_times_run_once`]
//! and [`two_claims_at_one_instant_keep_the_limit`] with two connections to
//! one store whose leases are measured on the caller's clock
//! ([`LeaseClock::Caller`](tempora::store::LeaseClock)), so that the manual
//! clock is the only clock.
//!
//! Retries run on the real clock. A backend's tests call
//! [`retries_run_once_on_two_nodes`] and [`a_pending_retry_outlives_its_node`]
//! with a store of their own (a fresh prefix); the schedulers get clones of
//! it.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use tempora::clock::{Clock, ManualClock, SystemClock};
use tempora::event::{EventKind, EventMask};
use tempora::executor::Executor;
use tempora::history::{RunQuery, RunRecord, RunRetention, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::{JobBuilder, Overlap, Retry};
use tempora::scheduler::{AsyncScheduler, SchedulerBuilder};
use tempora::store::{
    ChangeNotices, Claimed, JobStore, Locality, NodeRegistry, RunHistory, Settled, Settlement,
    UnrestorableJob,
};
use tempora::task::{JobContext, Tasks};
use tempora::trigger::{DateTrigger, IntervalTrigger};

use crate::jobs::{T0, at};

/// How long the test waits, in real time, for what the schedulers do on
/// their threads; never waited out when all is well.
const PATIENCE: Duration = Duration::from_secs(20);

/// What ran: per fire time, how many runs started; how many are in
/// progress; which runs may end.
#[derive(Default)]
struct Ledger {
    state: Mutex<LedgerState>,
}

#[derive(Default)]
struct LedgerState {
    started: BTreeMap<Timestamp, u32>,
    running: u32,
    /// The most runs ever in progress at once.
    peak: u32,
    released: Vec<Timestamp>,
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, LedgerState> {
        match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The task: counts its start, waits for its release, counts its end.
    async fn run(&self, context: &JobContext) {
        let time = context.scheduled_time();
        {
            let mut state = self.lock();
            *state.started.entry(time).or_default() += 1;
            state.running += 1;
            state.peak = state.peak.max(state.running);
        }
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !self.lock().released.contains(&time) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        self.lock().running -= 1;
    }
}

/// `T0` plus `minutes`.
fn t(minutes: i64) -> Timestamp {
    at(T0) + SignedDuration::from_mins(minutes)
}

/// A scheduler named `node` on `store` and `clock`, with the ledger's task
/// `hold`.
fn scheduler(
    node: &str,
    store: Arc<dyn JobStore>,
    clock: &ManualClock,
    ledger: &Arc<Ledger>,
) -> AsyncScheduler {
    let tasks = Tasks::new();
    let ledger = Arc::clone(ledger);
    tasks.register_async("hold", move |context: JobContext, _: ()| {
        let ledger = Arc::clone(&ledger);
        async move {
            ledger.run(&context).await;
            Ok::<_, String>(())
        }
    });
    match SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id(node)
        .lease(SignedDuration::from_secs(600))
        .store_poll_interval(SignedDuration::from_secs(1))
        .store_recheck_interval(SignedDuration::from_secs(1))
        .tasks(tasks)
        .store("default", store)
        .executor("default", Executor::async_tasks())
        .asynchronous()
    {
        Ok(scheduler) => scheduler,
        Err(error) => panic!("scheduler {node}: {error}"),
    }
}

/// Waits, in real time, until `done` holds of the ledger.
async fn until(ledger: &Ledger, what: &str, done: impl Fn(&LedgerState) -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        {
            let state = ledger.lock();
            if done(&state) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not within {PATIENCE:?}: {what}; started {:?}",
                state.started
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Two schedulers, `a` and `b`, share a job every minute that runs one at a
/// time and keeps every fire time (`buffer_all`), and both are asked to
/// backfill the same three past fire times: the run of 00:00 holds while
/// 00:01 and 00:02 come (each kept on whichever node claims it); once it
/// ends, the kept and the backfilled fire times run on either node. Each
/// of the six ran once (counted inside the task), the history has one
/// successful record of each, and no pending run is left.
///
/// # Panics
///
/// When a fire time ran twice or not at all, or the history disagrees.
pub async fn buffered_and_backfilled_fire_times_run_once(
    a: Arc<dyn JobStore>,
    b: Arc<dyn JobStore>,
) {
    let clock = ManualClock::new(t(0));
    let ledger = Arc::new(Ledger::default());
    let nodes = [
        scheduler("node-a", Arc::clone(&a), &clock, &ledger),
        scheduler("node-b", b, &clock, &ledger),
    ];
    let buffered = Arc::new(Mutex::new(Vec::new()));
    for node in &nodes {
        let buffered = Arc::clone(&buffered);
        node.listeners().add(EventMask::JOB_BUFFERED, move |event| {
            if event.kind == EventKind::JobBuffered
                && let Ok(mut times) = buffered.lock()
            {
                times.extend(event.scheduled_run_times.iter().copied());
            }
        });
    }
    // Every minute since ten minutes before the clock: a past to backfill.
    let every_minute = match IntervalTrigger::builder()
        .minutes(1)
        .start_date(t(-10))
        .timezone("UTC")
        .build()
    {
        Ok(trigger) => trigger,
        Err(error) => panic!("{error}"),
    };
    if let Err(error) = nodes[0]
        .add_job(
            JobBuilder::new("hold", every_minute)
                .id("slow")
                .overlap(Overlap::BufferAll),
        )
        .await
    {
        panic!("add the job: {error}");
    }
    for node in &nodes {
        if let Err(error) = node.start().await {
            panic!("start: {error}");
        }
    }
    until(&ledger, "00:00 starts", |state| {
        state.started.contains_key(&t(0))
    })
    .await;
    for minute in [1, 2] {
        clock.set(t(minute));
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !buffered
            .lock()
            .map(|times| times.contains(&t(minute)))
            .unwrap_or(false)
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} is not kept",
                t(minute)
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let backfilled = [t(-3), t(-2), t(-1)];
    for node in &nodes {
        match node.backfill("slow", t(-3), t(-1)).await {
            Ok(times) => assert_eq!(times, backfilled),
            Err(error) => panic!("backfill: {error}"),
        }
    }
    let expected: Vec<Timestamp> = [t(-3), t(-2), t(-1), t(0), t(1), t(2)].to_vec();
    // Each run, once started, is let go; the clock moves a second at a
    // time, so that runs put off while another runs are looked at again.
    let mut now = t(2);
    while ledger.lock().started.len() < expected.len() || ledger.lock().running > 0 {
        {
            let mut state = ledger.lock();
            let started: Vec<Timestamp> = state.started.keys().copied().collect();
            state.released.extend(started);
        }
        now += SignedDuration::from_secs(1);
        assert!(
            now < t(3),
            "the kept and backfilled runs did not all run: {:?}",
            ledger.lock().started
        );
        clock.set(now);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for node in &nodes {
        if let Err(error) = node.shutdown(true).await {
            panic!("shutdown: {error}");
        }
    }
    let counts: Vec<(Timestamp, u32)> = ledger
        .lock()
        .started
        .iter()
        .map(|(time, runs)| (*time, *runs))
        .collect();
    assert_eq!(
        counts,
        expected.iter().map(|time| (*time, 1)).collect::<Vec<_>>(),
        "each fire time ran once"
    );
    assert_eq!(ledger.lock().peak, 1, "never two runs of the job at once");
    let Some(history) = a.history() else {
        return;
    };
    let runs = match history.list_runs(&RunQuery::new().job("slow")).await {
        Ok(runs) => runs,
        Err(error) => panic!("list the runs: {error}"),
    };
    let mut recorded: Vec<(Timestamp, RunStatus)> = runs
        .iter()
        .filter(|run| !gave_way(run))
        .map(|run| (run.scheduled_time, run.status))
        .collect();
    recorded.sort();
    assert_eq!(
        recorded,
        expected
            .iter()
            .map(|time| (*time, RunStatus::Success))
            .collect::<Vec<_>>(),
        "one successful record of each fire time (besides runs that gave way)"
    );
    let left = match a.list_jobs().await {
        Ok(jobs) => jobs,
        Err(error) => panic!("list the jobs: {error}"),
    };
    let ids: Vec<&str> = left.iter().map(|job| job.id()).collect();
    assert_eq!(ids, ["slow"], "no pending run is left");
}

/// How long a check on the real clock waits for the schedulers before it
/// fails (retries wait out their delays in real time).
const REAL_CLOCK_PATIENCE: Duration = Duration::from_secs(60);

/// The fire times task `fail` was called for, in order.
type Calls = Arc<Mutex<Vec<Timestamp>>>;

/// Node `node` on `store`, with task `fail` (always the error `down`)
/// counting its calls in `calls`.
fn node<S: JobStore + Clone>(store: &S, node: &str, calls: &Calls) -> AsyncScheduler {
    let tasks = Tasks::new();
    let seen = Arc::clone(calls);
    tasks.register("fail", move |ctx: JobContext, _: ()| {
        if let (Ok(mut seen), Some(time)) = (seen.lock(), ctx.scheduled_run_time()) {
            seen.push(time);
        }
        Err::<(), _>("down")
    });
    match SchedulerBuilder::new()
        .timezone("UTC")
        .node_id(node)
        .tasks(tasks)
        .store_poll_interval(SignedDuration::from_millis(200))
        .store("default", store.clone())
        .asynchronous()
    {
        Ok(scheduler) => scheduler,
        Err(error) => panic!("scheduler {node}: {error}"),
    }
}

/// The history of job `id` once `done` holds of it.
async fn history_when<S: JobStore>(
    store: &S,
    id: &str,
    done: impl Fn(&[RunRecord]) -> bool,
) -> Vec<RunRecord> {
    let history = match store.history() {
        Some(history) => history,
        None => panic!("the store keeps no history"),
    };
    let deadline = tokio::time::Instant::now() + REAL_CLOCK_PATIENCE;
    loop {
        let runs = match history.list_runs(&RunQuery::new().job(id)).await {
            Ok(runs) => runs,
            Err(error) => panic!("list the runs of {id}: {error}"),
        };
        if done(&runs) {
            return runs;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the history of {id} never got there: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The pending runs `store` holds.
async fn pending<S: JobStore>(store: &S) -> usize {
    match store.list_jobs().await {
        Ok(jobs) => jobs.iter().filter(|job| job.run_of().is_some()).count(),
        Err(error) => panic!("list the jobs: {error}"),
    }
}

fn start_error(error: tempora::Error) -> ! {
    panic!("start a scheduler: {error}")
}

/// A job that always fails, retried 3 times (4 attempts) 1 s apart, on two
/// schedulers sharing the store: each attempt runs exactly once — four
/// calls of the task, four records (attempts 4, 3, 2, 1) of one fire time
/// — and no pending run is left.
///
/// # Panics
///
/// When an attempt runs twice or never.
pub async fn retries_run_once_on_two_nodes<S: JobStore + Clone>(store: S) {
    let calls = Calls::default();
    let a = node(&store, "node-a", &calls);
    let b = node(&store, "node-b", &calls);
    for scheduler in [&a, &b] {
        scheduler.start().await.unwrap_or_else(|e| start_error(e));
    }
    let due = SystemClock.now() + SignedDuration::from_secs(1);
    let added = a
        .add_job(
            JobBuilder::new("fail", DateTrigger::new(due))
                .id("flaky")
                .retry(Retry::attempts(4).delay(SignedDuration::from_secs(1))),
        )
        .await;
    if let Err(error) = added {
        panic!("add the job: {error}");
    }
    let runs = history_when(&store, "flaky", |runs| {
        runs.len() >= 4 && runs.iter().all(|run| run.status.is_finished())
    })
    .await;
    // Time for a doubled attempt to show, had there been one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let runs_after = history_when(&store, "flaky", |_| true).await;
    assert_eq!(runs_after.len(), 4, "{runs_after:#?}");
    let attempts: Vec<(Timestamp, u32, RunStatus)> = runs
        .iter()
        .map(|run| (run.scheduled_time, run.attempt, run.status))
        .collect();
    let scheduled = runs[0].scheduled_time;
    assert_eq!(
        attempts,
        [4, 3, 2, 1].map(|attempt| (scheduled, attempt, RunStatus::Error)),
        "each attempt once, all of one fire time"
    );
    let called = calls.lock().map(|calls| calls.clone()).unwrap_or_default();
    assert_eq!(called, [scheduled; 4], "the task ran four times in all");
    assert_eq!(pending(&store).await, 0, "no retry is left");
    for scheduler in [a, b] {
        if let Err(error) = scheduler.shutdown(true).await {
            panic!("shut down: {error}");
        }
    }
}

/// A retry stored by `node-a`, which then stops before it is due, is run
/// by `node-b` started afterwards: attempt 2 is recorded by `node-b`.
///
/// # Panics
///
/// When the retry is lost or runs twice.
pub async fn a_pending_retry_outlives_its_node<S: JobStore + Clone>(store: S) {
    let calls = Calls::default();
    let a = node(&store, "node-a", &calls);
    a.start().await.unwrap_or_else(|e| start_error(e));
    let due = SystemClock.now() + SignedDuration::from_millis(500);
    let added = a
        .add_job(
            JobBuilder::new("fail", DateTrigger::new(due))
                .id("orphan")
                .retry(Retry::attempts(2).delay(SignedDuration::from_secs(3))),
        )
        .await;
    if let Err(error) = added {
        panic!("add the job: {error}");
    }
    history_when(&store, "orphan", |runs| {
        runs.len() == 1 && runs[0].status.is_finished()
    })
    .await;
    let deadline = tokio::time::Instant::now() + REAL_CLOCK_PATIENCE;
    while pending(&store).await == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no retry stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if let Err(error) = a.shutdown(true).await {
        panic!("shut down node-a: {error}");
    }
    let b = node(&store, "node-b", &calls);
    b.start().await.unwrap_or_else(|e| start_error(e));
    let runs = history_when(&store, "orphan", |runs| {
        runs.len() == 2 && runs.iter().all(|run| run.status.is_finished())
    })
    .await;
    let by: Vec<(u32, &str)> = runs
        .iter()
        .map(|run| (run.attempt, run.node.as_str()))
        .collect();
    assert_eq!(by, [(2, "node-b"), (1, "node-a")]);
    assert_eq!(runs[0].scheduled_time, runs[1].scheduled_time);
    assert_eq!(calls.lock().map(|calls| calls.len()).unwrap_or(0), 2);
    assert_eq!(pending(&store).await, 0);
    if let Err(error) = b.shutdown(true).await {
        panic!("shut down node-b: {error}");
    }
}

/// Whether `run` is the record of a run that gave way to a run of its job
/// claimed on another node at the same moment (it did not start).
fn gave_way(run: &RunRecord) -> bool {
    run.status == RunStatus::Missed
        && run
            .error
            .as_deref()
            .is_some_and(|error| error.contains("at the same moment"))
}

/// Where two schedulers meet: while armed, each one's count of a job's runs
/// in progress, once made, waits until the other's is made too (or
/// [`PATIENCE`] has passed), so that both count before either has settled
/// its claim.
#[derive(Default)]
struct Meeting {
    armed: AtomicBool,
    arrived: AtomicU32,
}

impl Meeting {
    async fn wait(&self) {
        if !self.armed.load(Ordering::Acquire) {
            return;
        }
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 >= 2 {
            self.armed.store(false, Ordering::Release);
            return;
        }
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.arrived.load(Ordering::Acquire) < 2 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn met(&self) -> bool {
        self.arrived.load(Ordering::Acquire) >= 2
    }
}

/// One scheduler's connection to the shared store, as the store answers
/// it, except that it claims one due job at a time (so that two due runs
/// go to two schedulers) and that its count of runs in progress waits at
/// the [`Meeting`]. The store is shared ([`Locality::Shared`]) whatever it
/// is: two of these on one memory store are two nodes on one store.
struct Crossing {
    inner: Arc<dyn JobStore>,
    meeting: Arc<Meeting>,
}

#[async_trait]
impl JobStore for Crossing {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn locality(&self) -> Locality {
        Locality::Shared
    }

    fn history(&self) -> Option<&dyn RunHistory> {
        self.inner.history().map(|_| self as &dyn RunHistory)
    }

    fn nodes(&self) -> Option<&dyn NodeRegistry> {
        self.inner.nodes()
    }

    fn changes(&self) -> Option<&dyn ChangeNotices> {
        self.inner.changes()
    }

    async fn store_now(&self, now: Timestamp) -> tempora::Result<Timestamp> {
        self.inner.store_now(now).await
    }

    async fn add_job(&self, job: tempora::job::Job, replace_existing: bool) -> tempora::Result<()> {
        self.inner.add_job(job, replace_existing).await
    }

    async fn update_job(&self, job: tempora::job::Job) -> tempora::Result<()> {
        self.inner.update_job(job).await
    }

    async fn remove_job(&self, id: &str) -> tempora::Result<()> {
        self.inner.remove_job(id).await
    }

    async fn remove_all_jobs(&self) -> tempora::Result<()> {
        self.inner.remove_all_jobs().await
    }

    async fn get_job(&self, id: &str) -> tempora::Result<Option<tempora::job::Job>> {
        self.inner.get_job(id).await
    }

    async fn list_jobs(&self) -> tempora::Result<Vec<tempora::job::Job>> {
        self.inner.list_jobs().await
    }

    async fn next_run_time(&self) -> tempora::Result<Option<Timestamp>> {
        self.inner.next_run_time().await
    }

    async fn acquire_due(
        &self,
        now: Timestamp,
        _limit: usize,
        owner: &str,
        lease: SignedDuration,
    ) -> tempora::Result<Vec<Claimed>> {
        self.inner.acquire_due(now, 1, owner, lease).await
    }

    async fn unrestorable_jobs(&self) -> tempora::Result<Vec<UnrestorableJob>> {
        self.inner.unrestorable_jobs().await
    }

    async fn settle(
        &self,
        owner: &str,
        settlements: &[Settlement],
        now: Timestamp,
    ) -> tempora::Result<Vec<Settled>> {
        self.inner.settle(owner, settlements, now).await
    }
}

#[async_trait]
impl RunHistory for Crossing {
    async fn record_runs(&self, records: &[RunRecord]) -> tempora::Result<()> {
        self.history()?.record_runs(records).await
    }

    async fn list_runs(&self, query: &RunQuery) -> tempora::Result<Vec<RunRecord>> {
        self.history()?.list_runs(query).await
    }

    async fn latest_runs(&self, job_ids: &[&str]) -> tempora::Result<HashMap<String, RunRecord>> {
        self.history()?.latest_runs(job_ids).await
    }

    async fn renew_runs(
        &self,
        node: &str,
        now: Timestamp,
        alive_until: Timestamp,
    ) -> tempora::Result<u64> {
        self.history()?.renew_runs(node, now, alive_until).await
    }

    async fn interrupt_runs(
        &self,
        now: Timestamp,
        node: Option<&str>,
    ) -> tempora::Result<Vec<RunRecord>> {
        self.history()?.interrupt_runs(now, node).await
    }

    async fn prune_runs(&self, retention: &RunRetention, now: Timestamp) -> tempora::Result<u64> {
        self.history()?.prune_runs(retention, now).await
    }

    async fn running_counts(
        &self,
        job_ids: &[&str],
        except_node: &str,
        now: Timestamp,
    ) -> tempora::Result<HashMap<String, u32>> {
        // Counted first, then the meeting: neither settles its claim
        // before both have counted.
        let counts = self
            .history()?
            .running_counts(job_ids, except_node, now)
            .await;
        self.meeting.wait().await;
        counts
    }
}

impl Crossing {
    /// The store's own history (a `Crossing` is made only over a store
    /// that keeps one).
    fn history(&self) -> tempora::Result<&dyn RunHistory> {
        self.inner
            .history()
            .ok_or_else(|| tempora::Error::invalid("store", "it keeps no run history"))
    }
}

/// Two schedulers, `a` and `b`, each claim one of two backfilled runs of a
/// job that runs one at a time (`max_instances = 1`), at the same instant:
/// both count the job's runs in progress before either has settled its
/// claim (they meet in the count), so both find it free. Still, the two
/// runs are never in progress at once: the claim that counts again last
/// gives way (its event, `JobMaxInstances`, says so; its record too,
/// until its run ends on the same node) and runs once the other has ended. Each
/// fire time runs once, and the history has one successful record of each.
///
/// `a` and `b` are two connections to one store that keeps a run history,
/// with leases measured on the caller's clock.
///
/// # Panics
///
/// When the two runs overlap, a fire time ran twice or not at all, the
/// schedulers did not meet, or the history disagrees.
pub async fn two_claims_at_one_instant_keep_the_limit(a: Arc<dyn JobStore>, b: Arc<dyn JobStore>) {
    let meeting = Arc::new(Meeting::default());
    let history_of_a = Arc::clone(&a);
    let crossing = |inner| -> Arc<dyn JobStore> {
        Arc::new(Crossing {
            inner,
            meeting: Arc::clone(&meeting),
        })
    };
    let start = t(0) + SignedDuration::from_secs(30);
    let clock = ManualClock::new(start);
    let ledger = Arc::new(Ledger::default());
    let nodes = [
        scheduler("node-a", crossing(a), &clock, &ledger),
        scheduler("node-b", crossing(b), &clock, &ledger),
    ];
    let gave_way_events = Arc::new(AtomicU32::new(0));
    for node in &nodes {
        let gave_way_events = Arc::clone(&gave_way_events);
        node.listeners()
            .add(EventMask::JOB_MAX_INSTANCES, move |event| {
                if event
                    .error
                    .as_deref()
                    .is_some_and(|error| error.contains("at the same moment"))
                {
                    gave_way_events.fetch_add(1, Ordering::AcqRel);
                }
            });
    }
    let every_minute = match IntervalTrigger::builder()
        .minutes(1)
        .start_date(t(-10))
        .timezone("UTC")
        .build()
    {
        Ok(trigger) => trigger,
        Err(error) => panic!("{error}"),
    };
    if let Err(error) = nodes[0]
        .add_job(JobBuilder::new("hold", every_minute).id("slow"))
        .await
    {
        panic!("add the job: {error}");
    }
    for node in &nodes {
        if let Err(error) = node.start().await {
            panic!("start: {error}");
        }
    }
    meeting.armed.store(true, Ordering::Release);
    let backfilled = [t(-3), t(-2)];
    match nodes[0].backfill("slow", t(-3), t(-2)).await {
        Ok(times) => assert_eq!(times, backfilled),
        Err(error) => panic!("backfill: {error}"),
    }
    // `a` claims one of the two runs and waits in its count; `b` looks at
    // the store a poll interval later and claims the other.
    let mut now = start;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !meeting.met() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the two schedulers never claimed a run each"
        );
        now += SignedDuration::from_secs(1);
        clock.set(now);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Both claims were counted before either was settled: either both
    // runs start (the limit broken), or one gives way.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while ledger.lock().started.len() < 2 && gave_way_events.load(Ordering::Acquire) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "neither did both runs start nor did one give way"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The one that gave way (or both) is stored again, due a moment later:
    // until the clock moves, nothing else starts.
    assert!(
        ledger.lock().started.len() < 2,
        "the two runs started together: {:?}",
        ledger.lock().started
    );
    // The clock moves a second at a time, as slowly as the store needs
    // (the job's own fire times, from 00:01, may run meanwhile).
    let both_ran = |state: &LedgerState| {
        backfilled
            .iter()
            .all(|time| state.started.contains_key(time))
    };
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !both_ran(&ledger.lock()) || ledger.lock().running > 0 {
        {
            let mut state = ledger.lock();
            let started: Vec<Timestamp> = state.started.keys().copied().collect();
            state.released.extend(started);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the backfilled runs did not both run: {:?}",
            ledger.lock().started
        );
        now += SignedDuration::from_secs(1);
        clock.set(now);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for node in &nodes {
        if let Err(error) = node.shutdown(true).await {
            panic!("shutdown: {error}");
        }
    }
    let (peak, counts): (u32, Vec<(Timestamp, u32)>) = {
        let state = ledger.lock();
        let counts = state
            .started
            .iter()
            .filter(|(time, _)| backfilled.contains(time))
            .map(|(t, n)| (*t, *n))
            .collect();
        (state.peak, counts)
    };
    assert_eq!(peak, 1, "never two runs of the job at once");
    assert_eq!(
        counts,
        backfilled.iter().map(|time| (*time, 1)).collect::<Vec<_>>(),
        "each fire time ran once"
    );
    let Some(history) = history_of_a.history() else {
        panic!("the store keeps no history");
    };
    let runs = match history.list_runs(&RunQuery::new().job("slow")).await {
        Ok(runs) => runs,
        Err(error) => panic!("list the runs: {error}"),
    };
    assert!(
        gave_way_events.load(Ordering::Acquire) >= 1,
        "a run gave way, and its event says so"
    );
    let runs: Vec<&RunRecord> = runs
        .iter()
        .filter(|run| backfilled.contains(&run.scheduled_time))
        .collect();
    let mut succeeded: Vec<Timestamp> = runs
        .iter()
        .filter(|run| run.status == RunStatus::Success)
        .map(|run| run.scheduled_time)
        .collect();
    succeeded.sort();
    assert_eq!(
        succeeded, backfilled,
        "one successful record of each fire time"
    );
    assert!(
        runs.iter()
            .all(|run| run.status == RunStatus::Success || gave_way(run)),
        "no other record: {runs:#?}"
    );
}
