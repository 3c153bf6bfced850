//! The one engine under every scheduler kind.
//!
//! It keeps the stores, executors, tasks and listeners, answers the job API,
//! and processes due jobs: claim them from their store with a lease, decide
//! (purely, in `decide`), hand runs to executors, release the jobs with
//! their next run time. The async loop around it only waits: until the
//! earliest next run time, or until something wakes it.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::decide::{DECISION_STEPS, Decision, decide_within};
use super::recorder::{self, Recorder, SHUT_DOWN};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::event::{Event, EventKind, Listeners};
use crate::executor::{Completion, Executor, Run, RunOutcome, RunReport};
use crate::history::{RunQuery, RunRecord, RunRetention, RunStatus};
use crate::job::{Job, JobBuilder, JobChanges, JobDefaults, OnInterrupted};
use crate::store::{JobStore, NodeRecord, Release, Settlement, UnrestorableJob};
use crate::task::Tasks;
use crate::trigger::{Trigger, Zone};

/// What a scheduler is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedulerState {
    /// Built, not started yet.
    Stopped,
    /// Processing jobs.
    Running,
    /// Started, but not processing jobs until resumed.
    Paused,
    /// Shut down for good.
    ShutDown,
}

/// How many due jobs one claim takes from a store.
const CLAIM_BATCH: usize = 512;

/// The most trigger steps the decisions of one claimed batch take in all
/// (shared among its jobs, each getting at least [`MIN_JOB_STEPS`] and at
/// most [`DECISION_STEPS`]), so that deciding a batch stays well inside
/// the lease however long the scheduler was away; a job with more fire
/// times left is decided further at once, in the next batch.
const BATCH_STEPS: u64 = 1_000_000;

/// The fewest trigger steps one job's decision gets.
const MIN_JOB_STEPS: u64 = 1_000;

/// The longest wait after a store failed before trying again: short, so
/// that jobs fire again within seconds of the store's return.
const MAX_RETRY_DELAY: SignedDuration = SignedDuration::from_secs(2);

/// The first wait before looking again at a job that is due but could not
/// be taken (its row locked by another transaction, its claim or
/// settlement lost); it doubles up to [`MAX_STALL_DELAY`].
const FIRST_STALL_DELAY: SignedDuration = SignedDuration::from_millis(100);

/// The longest wait before looking again at a due job that could not be
/// taken: the job runs within about this long once it can be.
const MAX_STALL_DELAY: SignedDuration = SignedDuration::from_secs(1);

/// How long a shutdown waits for the runs' outcomes to be written while
/// their store does not answer; those still held then are logged.
const OUTCOME_WAIT_AT_SHUTDOWN: std::time::Duration = std::time::Duration::from_secs(10);

/// Everything a scheduler is made of.
pub(crate) struct Parts {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) timezone: Zone,
    pub(crate) tasks: Tasks,
    pub(crate) listeners: Listeners,
    pub(crate) defaults: JobDefaults,
    pub(crate) node: String,
    pub(crate) lease: SignedDuration,
    pub(crate) shutdown_timeout: Option<SignedDuration>,
    pub(crate) retention: RunRetention,
    pub(crate) store_poll_interval: SignedDuration,
    pub(crate) store_recheck_interval: SignedDuration,
    pub(crate) stores: Vec<(String, Arc<dyn JobStore>)>,
    pub(crate) executors: Vec<(String, Executor)>,
}

pub(crate) struct Engine {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) timezone: Zone,
    pub(crate) tasks: Tasks,
    pub(crate) listeners: Listeners,
    defaults: JobDefaults,
    node: String,
    lease: SignedDuration,
    /// How long a waiting shutdown waits before cancelling the runs.
    shutdown_timeout: Option<SignedDuration>,
    /// The longest the loop sleeps while a store may change behind its
    /// back (see [`JobStore::notifies_changes`]).
    store_poll_interval: SignedDuration,
    /// The longest the loop sleeps on a store whose change notices it
    /// receives.
    store_recheck_interval: SignedDuration,
    /// This process's node record, as its heartbeats write it.
    membership: Mutex<Membership>,
    /// The run history.
    recorder: Arc<Recorder>,
    /// Stores whose last attempt failed, to say when they answer again.
    failing: Mutex<HashSet<String>>,
    stores: RwLock<Vec<(String, Arc<dyn JobStore>)>>,
    executors: RwLock<HashMap<String, Arc<Executor>>>,
    state: Mutex<SchedulerState>,
    /// Wakes the loop: a job added or changed, a state change.
    wake: Notify,
    /// Runs in progress per job id.
    running: Arc<RunCounts>,
    runtime: Mutex<Option<tokio::runtime::Handle>>,
    cancellation: CancellationToken,
    /// Cancelled at the start of a shutdown with a time limit: runs are
    /// asked to finish (commands get `SIGTERM`).
    stopping: CancellationToken,
    /// Consecutive store failures, for the retry backoff.
    failures: Mutex<u32>,
    /// Consecutive ticks that found a job due and could not take it, for
    /// their backoff.
    stalls: Mutex<u32>,
    /// Jobs added before the scheduler started, whose first run time is
    /// computed again when it starts (APScheduler's pending jobs).
    added_before_start: Mutex<Vec<(String, String)>>,
    /// Wall-clock triggers by their stored form, so that jobs with equal
    /// triggers share one (a cron trigger's compiled form is its largest
    /// part); bounded, cleared when full.
    shared_triggers: Mutex<HashMap<String, Trigger>>,
    /// What the loop waits for: `Some(deadline)` (`Some(None)`: nothing
    /// scheduled) while it sleeps, `None` while it works or before it runs.
    sleeping_until: Mutex<Option<Option<Timestamp>>>,
    /// When the scheduler started, by its clock.
    started_at: Mutex<Option<Timestamp>>,
}

/// What a node keeps of its membership in the stores it shares with other
/// nodes.
#[derive(Default)]
struct Membership {
    /// A token of this process, to tell it from another using its node id.
    instance: String,
    /// When the next heartbeat is due, per store name; absent before the
    /// first.
    next_beat: HashMap<String, Timestamp>,
    /// Stores that keep no node records.
    no_nodes: HashSet<String>,
    /// Stores asked for change notices (whatever the answer).
    asked: HashSet<String>,
    /// Stores whose change notices wake the loop.
    watched: HashSet<String>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every critical section here only assigns plain values, so a panic
    // elsewhere cannot leave the data half-updated.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Engine {
    pub(crate) fn new(parts: Parts) -> Arc<Engine> {
        let recorder = Recorder::new(
            parts.node.clone(),
            Arc::clone(&parts.clock),
            parts.lease,
            parts.retention,
        );
        Arc::new(Engine {
            recorder,
            failing: Mutex::new(HashSet::new()),
            store_poll_interval: parts.store_poll_interval,
            store_recheck_interval: parts.store_recheck_interval,
            membership: Mutex::new(Membership {
                instance: uuid::Uuid::new_v4().simple().to_string(),
                ..Membership::default()
            }),
            clock: parts.clock,
            timezone: parts.timezone,
            tasks: parts.tasks,
            listeners: parts.listeners,
            defaults: parts.defaults,
            node: parts.node,
            lease: parts.lease,
            shutdown_timeout: parts.shutdown_timeout,
            stores: RwLock::new(parts.stores),
            executors: RwLock::new(
                parts
                    .executors
                    .into_iter()
                    .map(|(name, executor)| (name, Arc::new(executor)))
                    .collect(),
            ),
            state: Mutex::new(SchedulerState::Stopped),
            wake: Notify::new(),
            running: Arc::default(),
            runtime: Mutex::new(None),
            cancellation: CancellationToken::new(),
            stopping: CancellationToken::new(),
            failures: Mutex::new(0),
            stalls: Mutex::new(0),
            added_before_start: Mutex::new(Vec::new()),
            shared_triggers: Mutex::new(HashMap::new()),
            started_at: Mutex::new(None),
            sleeping_until: Mutex::new(None),
        })
    }

    pub(crate) fn state(&self) -> SchedulerState {
        *lock(&self.state)
    }

    fn emit(&self, event: Event) {
        self.listeners.emit(event);
    }

    fn stores(&self) -> Vec<(String, Arc<dyn JobStore>)> {
        self.stores
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn store(&self, name: &str) -> Result<Arc<dyn JobStore>> {
        self.stores
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(alias, _)| alias == name)
            .map(|(_, store)| Arc::clone(store))
            .ok_or_else(|| Error::not_found("store", name))
    }

    fn executor(&self, name: &str) -> Option<Arc<Executor>> {
        self.executors
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    // ---- lifecycle -------------------------------------------------------

    /// Marks the scheduler started on `runtime`; the caller runs the loop
    /// (or drives it by hand).
    pub(crate) fn start(&self, runtime: tokio::runtime::Handle, paused: bool) -> Result<()> {
        {
            let mut state = lock(&self.state);
            match *state {
                SchedulerState::Stopped => {}
                SchedulerState::ShutDown => {
                    return Err(Error::state(
                        "the scheduler was shut down; build a new one to start again",
                    ));
                }
                SchedulerState::Running | SchedulerState::Paused => {
                    return Err(Error::state("the scheduler is already running"));
                }
            }
            *state = if paused {
                SchedulerState::Paused
            } else {
                SchedulerState::Running
            };
        }
        *lock(&self.runtime) = Some(runtime);
        *lock(&self.started_at) = Some(self.clock.now());
        tracing::info!(node = %self.node, paused, "scheduler started");
        self.emit(Event::new(EventKind::SchedulerStarted));
        self.wake.notify_one();
        Ok(())
    }

    pub(crate) fn pause(&self) -> Result<()> {
        if self.change_state(SchedulerState::Running, SchedulerState::Paused)? {
            self.emit(Event::new(EventKind::SchedulerPaused));
        }
        Ok(())
    }

    pub(crate) fn resume(&self) -> Result<()> {
        if self.change_state(SchedulerState::Paused, SchedulerState::Running)? {
            self.emit(Event::new(EventKind::SchedulerResumed));
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Moves from `from` to `to`; false when already in `to`.
    fn change_state(&self, from: SchedulerState, to: SchedulerState) -> Result<bool> {
        let mut state = lock(&self.state);
        if *state == to {
            return Ok(false);
        }
        if *state != from {
            return Err(Error::state(format!(
                "the scheduler is {}, not {}",
                describe(*state),
                describe(from)
            )));
        }
        *state = to;
        Ok(true)
    }

    /// Stops processing; with `wait`, returns once the runs in progress
    /// have finished, otherwise asks them to stop (their context's
    /// cancellation) and returns at once.
    pub(crate) async fn shutdown(&self, wait: bool) -> Result<()> {
        {
            let mut state = lock(&self.state);
            match *state {
                SchedulerState::Stopped => {
                    return Err(Error::state("the scheduler is not running"));
                }
                SchedulerState::ShutDown => return Ok(()),
                SchedulerState::Running | SchedulerState::Paused => {}
            }
            *state = SchedulerState::ShutDown;
        }
        self.wake.notify_one();
        if wait {
            if self.shutdown_timeout.is_some() {
                if self.running.active() > 0 {
                    tracing::info!(
                        runs = self.running.active(),
                        "asking the runs in progress to finish (commands get SIGTERM)"
                    );
                }
                self.stopping.cancel();
            }
            let waited = match self.shutdown_timeout {
                None => {
                    self.running.wait_idle().await;
                    true
                }
                Some(limit) => {
                    let limit = std::time::Duration::try_from(limit).unwrap_or_default();
                    tokio::time::timeout(limit, self.running.wait_idle())
                        .await
                        .is_ok()
                }
            };
            if !waited {
                tracing::warn!(
                    timeout = %format!("{:#}", self.shutdown_timeout.unwrap_or_default()),
                    "runs still in progress at the shutdown timeout: cancelling them"
                );
                self.cancellation.cancel();
                let grace = std::time::Duration::from_secs(5);
                if tokio::time::timeout(grace, self.running.wait_idle())
                    .await
                    .is_err()
                {
                    self.recorder
                        .interrupt_in_flight(&format!("{SHUT_DOWN} before the run finished"))
                        .await;
                }
            }
            self.recorder
                .wait_written_for(OUTCOME_WAIT_AT_SHUTDOWN)
                .await;
        } else {
            self.cancellation.cancel();
        }
        let executors: Vec<Arc<Executor>> = self
            .executors
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for executor in executors {
            executor.shutdown(wait);
        }
        self.leave().await;
        tracing::info!(node = %self.node, "scheduler shut down");
        self.emit(Event::new(EventKind::SchedulerShutdown));
        Ok(())
    }

    /// The loop of the async, background and blocking kinds: process what is
    /// due, then wait until the next run time or a wake-up.
    pub(crate) async fn run_loop(self: Arc<Engine>) {
        loop {
            if self.state() == SchedulerState::ShutDown {
                break;
            }
            self.watch_stores().await;
            // Working: every change wakes the loop again (a permit is kept),
            // so none is missed between reading the store and sleeping.
            *lock(&self.sleeping_until) = None;
            let wake_at = self.tick(self.clock.now()).await;
            *lock(&self.sleeping_until) = Some(wake_at);
            let sleep = match wake_at {
                Some(deadline) => self.clock.sleep_until(deadline),
                None => Box::pin(std::future::pending()),
            };
            tokio::select! {
                () = sleep => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// Processes due jobs at `now` if running; returns when to look again.
    pub(crate) async fn tick(&self, now: Timestamp) -> Option<Timestamp> {
        if self.state() != SchedulerState::Running {
            return None;
        }
        let pending = std::mem::take(&mut *lock(&self.added_before_start));
        let started_at = lock(&self.started_at).unwrap_or(now);
        for (store, id) in pending {
            if let Err(error) = self.first_run_at_start(&store, &id, started_at).await {
                tracing::error!(job = %id, %error, "cannot set the first run time");
            }
        }
        let stores = self.stores();
        let (mut wake_at, failed, stalled) = self.process_due(&stores, now).await;
        self.note_recoveries(&stores, &failed);
        if stalled {
            // A job is due and could not be taken: look again soon, not at
            // once (that would spin while another transaction holds it).
            let stalls = {
                let mut stalls = lock(&self.stalls);
                *stalls = stalls.saturating_add(1);
                *stalls
            };
            let delay = FIRST_STALL_DELAY
                .saturating_mul(1 << (stalls - 1).min(10))
                .min(MAX_STALL_DELAY);
            tracing::debug!(
                retry_in = %format!("{delay:#}"),
                "a due job could not be taken (held elsewhere); looking again in {delay:#}"
            );
            wake_at = earliest(wake_at, now.checked_add(delay).ok());
        } else {
            *lock(&self.stalls) = 0;
        }
        if failed.is_empty() {
            *lock(&self.failures) = 0;
        } else {
            let failures = {
                let mut failures = lock(&self.failures);
                *failures = failures.saturating_add(1);
                *failures
            };
            let delay = SignedDuration::from_millis(100)
                .saturating_mul(1 << failures.min(10))
                .min(MAX_RETRY_DELAY);
            // Every attempt of a long outage is not worth a line: the
            // first few are, then one in thirty.
            if failures <= 5 || failures % 30 == 0 {
                for (name, error) in &failed {
                    tracing::error!(
                        store = %name,
                        %error,
                        failures,
                        retry_in = %format!("{delay:#}"),
                        "store {name:?}: cannot process due jobs, retrying in {delay:#}"
                    );
                }
            }
            wake_at = earliest(wake_at, now.checked_add(delay).ok());
        }
        let answering: Vec<(String, Arc<dyn JobStore>)> = stores
            .iter()
            .filter(|(name, _)| !failed.iter().any(|(failed, _)| failed == name))
            .cloned()
            .collect();
        self.recorder.sweep(&answering, now).await;
        self.retry_interrupted(now).await;
        wake_at = earliest(wake_at, self.heartbeats(&answering, now).await);
        // A failing store is retried with backoff, not at the poll interval.
        for (name, store) in &answering {
            if store.notifies_changes() {
                continue;
            }
            let interval = if lock(&self.membership).watched.contains(name) {
                self.store_recheck_interval
            } else {
                self.store_poll_interval
            };
            wake_at = earliest(wake_at, now.checked_add(interval).ok());
        }
        wake_at
    }

    /// Asks each store not asked yet for its change notices, and lets
    /// every notice wake the loop when it comes before what it sleeps
    /// until.
    async fn watch_stores(self: &Arc<Engine>) {
        for (name, store) in self.stores() {
            if store.notifies_changes() || !lock(&self.membership).asked.insert(name.clone()) {
                continue;
            }
            let mut feed = match store.watch().await {
                Ok(Some(feed)) => feed,
                Ok(None) => continue,
                Err(error) => {
                    tracing::warn!(
                        store = %name,
                        %error,
                        "cannot listen for the store's change notices; re-reading it every poll interval"
                    );
                    continue;
                }
            };
            lock(&self.membership).watched.insert(name.clone());
            tracing::debug!(store = %name, "listening for the store's change notices");
            let engine = Arc::downgrade(self);
            tokio::spawn(async move {
                while let Some(notice) = feed.next().await {
                    let Some(engine) = engine.upgrade() else {
                        return;
                    };
                    if engine.state() == SchedulerState::ShutDown {
                        return;
                    }
                    match notice {
                        Some(next) => engine.wake_for(Some(next)),
                        None => engine.wake.notify_one(),
                    }
                }
            });
        }
    }

    /// This node's record as of `now`.
    fn node_record(&self, now: Timestamp) -> NodeRecord {
        let started = lock(&self.started_at).unwrap_or(now);
        let instance = lock(&self.membership).instance.clone();
        let mut record = NodeRecord::new(
            self.node.clone(),
            super::host_name(),
            std::process::id(),
            instance,
            started,
        );
        record.last_heartbeat = now;
        record.running = u32::try_from(self.running.active()).unwrap_or(u32::MAX);
        record
    }

    /// Writes this node's heartbeat to each store other processes share,
    /// every third of the lease; returns when the next is due.
    async fn heartbeats(
        &self,
        stores: &[(String, Arc<dyn JobStore>)],
        now: Timestamp,
    ) -> Option<Timestamp> {
        let interval = self.lease / 3;
        let mut wake_at = None;
        for (name, store) in stores {
            if store.notifies_changes() {
                continue;
            }
            let due = {
                let membership = lock(&self.membership);
                if membership.no_nodes.contains(name) {
                    continue;
                }
                membership.next_beat.get(name).copied()
            };
            if let Some(due) = due
                && due > now
            {
                wake_at = earliest(wake_at, Some(due));
                continue;
            }
            let record = self.node_record(now);
            match store.heartbeat(&record).await {
                Ok(Some(previous))
                    if previous.instance != record.instance
                        && previous.is_live(now, self.lease)
                        && is_alive_elsewhere(&previous, &record) =>
                {
                    tracing::error!(
                        store = %name,
                        node = %self.node,
                        other_host = %previous.host,
                        other_pid = previous.pid,
                        "another live scheduler uses this node id ({} on {}, pid {}): give each scheduler its own node id",
                        self.node,
                        previous.host,
                        previous.pid
                    );
                }
                Ok(_) => {}
                Err(error) if error.is_unsupported() => {
                    lock(&self.membership).no_nodes.insert(name.clone());
                    continue;
                }
                Err(error) => {
                    tracing::warn!(store = %name, %error, "cannot write this node's heartbeat");
                }
            }
            let next = now.checked_add(interval).ok();
            if let Some(next) = next {
                lock(&self.membership).next_beat.insert(name.clone(), next);
            }
            wake_at = earliest(wake_at, next);
        }
        wake_at
    }

    /// Removes this node's record from the stores it wrote one to: it
    /// leaves.
    async fn leave(&self) {
        let (instance, stores): (String, Vec<String>) = {
            let membership = lock(&self.membership);
            (
                membership.instance.clone(),
                membership.next_beat.keys().cloned().collect(),
            )
        };
        for name in stores {
            let Ok(store) = self.store(&name) else {
                continue;
            };
            if let Err(error) = store.remove_node(&self.node, &instance).await {
                tracing::warn!(store = %name, %error, "cannot remove this node's record");
            }
        }
    }

    /// Runs again, once, the interrupted runs this node found whose job
    /// says `on_interrupted = "retry"`.
    async fn retry_interrupted(&self, now: Timestamp) {
        for (name, record) in self.recorder.take_interrupted() {
            let Ok(store) = self.store(&name) else {
                continue;
            };
            let job = match store.get_job(&record.job_id).await {
                Ok(Some(job)) => job,
                Ok(None) => continue,
                Err(error) => {
                    tracing::error!(
                        job = %record.job_id,
                        store = %name,
                        %error,
                        "cannot read the job of an interrupted run: it is not retried"
                    );
                    continue;
                }
            };
            if job.on_interrupted != OnInterrupted::Retry || job.is_paused() {
                continue;
            }
            if self
                .recorder
                .knows_outcome(&name, &record.job_id, record.scheduled_time)
            {
                tracing::debug!(
                    job = %job.id,
                    scheduled = %record.scheduled_time,
                    "an interrupted record of a run this node ran to its end: not retried"
                );
                continue;
            }
            tracing::warn!(
                job = %job.id,
                scheduled = %record.scheduled_time,
                interrupted_on = %record.node,
                "retrying an interrupted run (on_interrupted = \"retry\")"
            );
            let runs = vec![vec![record.scheduled_time]];
            if let Some(staged) = self.stage(&name, &store, &job, runs, now).await {
                staged.go();
            }
        }
    }

    /// Says once that a store which failed answers again.
    fn note_recoveries(&self, stores: &[(String, Arc<dyn JobStore>)], failed: &[(String, Error)]) {
        let mut failing = lock(&self.failing);
        for (name, _) in stores {
            let fails = failed.iter().any(|(failed, _)| failed == name);
            if fails {
                failing.insert(name.clone());
            } else if failing.remove(name) {
                tracing::info!(store = %name, "store {name:?} answers again");
                self.recorder.store_answers();
            }
        }
        failing.retain(|name| stores.iter().any(|(store, _)| store == name));
    }

    /// Gives a job added before start its first run time as of the start.
    async fn first_run_at_start(&self, store: &str, id: &str, now: Timestamp) -> Result<()> {
        let store = self.store(store)?;
        let Some(mut job) = store.get_job(id).await? else {
            return Ok(());
        };
        if job.next_run_time.is_none() {
            return Ok(());
        }
        job.next_run_time = job.trigger.next_fire_time(None, now);
        match job.next_run_time {
            Some(_) => store.update_job(job).await,
            None => store.remove_job(id).await,
        }
    }

    /// Processes every store; returns the earliest next run time of those
    /// that answered (leaving out the due jobs none could be taken of),
    /// the failures of those that did not, and whether a store has a job
    /// due that could not be taken.
    async fn process_due(
        &self,
        stores: &[(String, Arc<dyn JobStore>)],
        now: Timestamp,
    ) -> (Option<Timestamp>, Vec<(String, Error)>, bool) {
        let mut failed = Vec::new();
        let mut wake_at: Option<Timestamp> = None;
        let mut stalled = false;
        for (name, store) in stores {
            let next = match self.process_store(name, store, now).await {
                Ok(progress) => store.next_run_time().await.map(|next| (progress, next)),
                Err(error) => Err(error),
            };
            match next {
                // Due still, and nothing taken this time: held elsewhere.
                Ok((false, Some(next))) if next <= now => stalled = true,
                Ok((_, next)) => wake_at = earliest(wake_at, next),
                Err(error) => failed.push((name.clone(), error)),
            }
        }
        (wake_at, failed, stalled)
    }

    /// Claims the due jobs of one store, decides each (its runs, misses,
    /// next run time), and settles them all in one call: the store takes
    /// the fire times, keeps the runs' running records and the misses, and
    /// releases the jobs — only for the jobs this node still holds under a
    /// live lease. Only then do the won runs start and their events go
    /// out; a lost job (this node stalled past its lease and another took
    /// it over) starts nothing. A crash in between loses no fire time
    /// silently: its running record is found interrupted.
    ///
    /// True when a settlement was won: the store moved on.
    async fn process_store(
        &self,
        name: &str,
        store: &Arc<dyn JobStore>,
        now: Timestamp,
    ) -> Result<bool> {
        let mut progress = false;
        self.recorder.start_store(name, store.as_ref()).await?;
        let keeps_history = self.recorder.keeps_history(name, store.as_ref());
        let shared = !store.notifies_changes();
        loop {
            let claimed = store
                .acquire_due(now, CLAIM_BATCH, &self.node, self.lease)
                .await?;
            let count = claimed.len();
            if count == 0 {
                return Ok(progress);
            }
            // max_instances counts the runs of every node sharing the store.
            let elsewhere = if shared && keeps_history {
                let ids: Vec<&str> = claimed.iter().map(|job| &*job.id).collect();
                store.running_counts(&ids, &self.node, now).await?
            } else {
                HashMap::new()
            };
            let mut plans = Vec::with_capacity(count);
            let mut settlements = Vec::with_capacity(count);
            let steps = (BATCH_STEPS / count.max(1) as u64).clamp(MIN_JOB_STEPS, DECISION_STEPS);
            for job in claimed {
                let others = elsewhere.get(&*job.id).copied().unwrap_or(0);
                let (settlement, plan) = self.plan(name, job, now, others, keeps_history, steps);
                settlements.push(settlement);
                plans.push(plan);
            }
            let outcomes = match store.settle(&self.node, &settlements, now).await {
                Ok(outcomes) => outcomes,
                Err(error) => {
                    for plan in plans {
                        plan.call_off();
                    }
                    return Err(error);
                }
            };
            let runtime = lock(&self.runtime).clone();
            for (plan, outcome) in plans.into_iter().zip(outcomes) {
                if outcome.is_won() {
                    progress = true;
                    self.carry_out(name, store, plan, runtime.as_ref());
                } else {
                    tracing::debug!(
                        job = %plan.job_id,
                        "job lost: another node holds it now; nothing started"
                    );
                    plan.call_off();
                }
            }
            if count < CLAIM_BATCH {
                return Ok(progress);
            }
        }
    }

    /// Decides one claimed job at `now` (`others`: its runs in progress on
    /// other nodes), within `steps` trigger steps, into its settlement and
    /// what follows if it is won.
    fn plan(
        &self,
        store_name: &str,
        job: Job,
        now: Timestamp,
        others: u32,
        keeps_history: bool,
        steps: u64,
    ) -> (Settlement, Plan) {
        let decision = decide_within(&job, now, steps);
        let takes_through = decision.takes_through;
        let release = match decision.next_run_time {
            Some(next) => Release::Reschedule(next),
            None => Release::Remove,
        };
        let mut records = Vec::new();
        let mut notices = Vec::new();
        let mut running = Vec::new();
        if let Some((record, notice)) = self.missed(store_name, &job, &decision, now) {
            records.push(record);
            notices.push(notice);
        }
        let prepared = if decision.runs.is_empty() {
            None
        } else {
            Some(self.prepare(store_name, &job, decision.runs.clone(), others))
        };
        let staged = match prepared {
            None => None,
            Some(Ok(staged)) => {
                running = decision
                    .runs
                    .iter()
                    .filter_map(|run_times| self.recorder.running(&job.id, run_times))
                    .collect();
                Some(staged)
            }
            Some(Err(refusal)) => {
                let (record, notice) = self.refused(&job, &decision.runs, refusal, now);
                records.push(record);
                notices.push(notice);
                None
            }
        };
        if keeps_history {
            records.extend(running.iter().cloned());
        } else {
            records.clear();
            running.clear();
        }
        let plan = Plan {
            job_id: job.id.to_string(),
            staged,
            running,
            notices,
            removed: release == Release::Remove,
        };
        let mut settlement = Settlement::new(job, takes_through, release);
        settlement.records = records;
        (settlement, plan)
    }

    /// A won plan: tracks its running records, tells its notices and
    /// starts its runs.
    fn carry_out(
        &self,
        store_name: &str,
        store: &Arc<dyn JobStore>,
        plan: Plan,
        runtime: Option<&tokio::runtime::Handle>,
    ) {
        if let Some(runtime) = runtime {
            for record in plan.running {
                self.recorder.track(runtime, store_name, store, record);
            }
        }
        self.announce(&plan.job_id, plan.notices);
        if let Some(staged) = plan.staged {
            staged.go();
        }
        if plan.removed {
            tracing::debug!(job = %plan.job_id, "job removed: its trigger is exhausted");
            if self.listeners.wants(EventKind::JobRemoved) {
                self.emit(Event::new(EventKind::JobRemoved).with_job(&plan.job_id, store_name));
            }
        }
    }

    /// Logs and emits `notices` of job `job_id`.
    fn announce(&self, job_id: &str, notices: Vec<Notice>) {
        for notice in notices {
            match notice.severity {
                Severity::Warn => tracing::warn!(job = %job_id, "{}", notice.line),
                Severity::Error => tracing::error!(job = %job_id, "{}", notice.line),
            }
            self.emit(*notice.event);
        }
    }

    /// The misses of a decision: one missed record covering them all, and
    /// its event and log line.
    fn missed(
        &self,
        store_name: &str,
        job: &Job,
        decision: &Decision,
        now: Timestamp,
    ) -> Option<(RunRecord, Notice)> {
        let latest = decision.missed.last()?;
        let late = now.duration_since(*latest);
        let message = format!(
            "{} run(s) missed: the latest was {late:#} late, more than the misfire grace time of {}",
            decision.missed_count, job.misfire_grace_time
        );
        let mut event = Event::new(EventKind::JobMissed)
            .with_job(&job.id, store_name)
            .with_run_times(decision.missed.clone());
        event.error = Some(message.clone());
        let notice = Notice {
            severity: Severity::Warn,
            line: format!("run missed: {message}"),
            event: Box::new(event),
        };
        let record = RunRecord::missed(
            &*job.id,
            *latest,
            self.recorder.node(),
            now,
            u32::try_from(decision.missed_count).unwrap_or(u32::MAX),
            message,
        );
        let record = match decision.first_missed {
            Some(first) if first < *latest => record.with_first_scheduled_time(first),
            _ => record,
        };
        Some((record, notice))
    }

    /// The record and notice of runs that cannot start.
    fn refused(
        &self,
        job: &Job,
        runs: &[Vec<Timestamp>],
        refusal: Refusal,
        now: Timestamp,
    ) -> (RunRecord, Notice) {
        let latest = runs.iter().flatten().max().copied().unwrap_or(now);
        let fire_times =
            u32::try_from(runs.iter().map(Vec::len).sum::<usize>()).unwrap_or(u32::MAX);
        match refusal {
            Refusal::Failed { message, notice } => {
                let mut record =
                    RunRecord::running(&*job.id, latest, self.recorder.node(), now, now)
                        .with_fire_times(fire_times)
                        .finish(RunStatus::Error, now, None, Some(message));
                // It never started.
                record.started = None;
                (record, notice)
            }
            Refusal::MaxInstances { message, notice } | Refusal::Elsewhere { message, notice } => {
                let record = RunRecord::missed(
                    &*job.id,
                    latest,
                    self.recorder.node(),
                    now,
                    fire_times,
                    message,
                );
                (record, notice)
            }
        }
    }

    /// Gets the runs of `job` ready to start at once, outside a claim (a
    /// run now, the retry of an interrupted run): takes an instance and
    /// records each run as running. When they cannot start, reports why —
    /// events, a log line, a history record — and returns `None`.
    async fn stage(
        &self,
        store_name: &str,
        store: &Arc<dyn JobStore>,
        job: &Job,
        runs: Vec<Vec<Timestamp>>,
        now: Timestamp,
    ) -> Option<Staged> {
        match self.prepare(store_name, job, runs.clone(), 0) {
            Ok(staged) => {
                for run_times in &runs {
                    if let Some(record) = self.recorder.running(&job.id, run_times) {
                        self.recorder
                            .take_off(&staged.submission.runtime, store_name, store, record)
                            .await;
                    }
                }
                Some(staged)
            }
            Err(refusal) => {
                let (record, notice) = self.refused(job, &runs, refusal, now);
                self.announce(&job.id, vec![notice]);
                self.recorder
                    .write(store_name, store.as_ref(), &record)
                    .await;
                None
            }
        }
    }

    /// Readies the runs of `job` for its executor as one submission (one
    /// instance), unless the job already runs `max_instances` times — here
    /// and, `others`, on the other nodes sharing its store — or cannot run
    /// at all. Several runs (due times not coalesced) run one after the
    /// other, as APScheduler's executors do. Nothing is told yet: the
    /// refusal carries its notice, the staged runs their events.
    fn prepare(
        &self,
        store: &str,
        job: &Job,
        runs: Vec<Vec<Timestamp>>,
        others: u32,
    ) -> std::result::Result<Staged, Refusal> {
        let all_times: Vec<Timestamp> = runs.iter().flatten().copied().collect();
        let fail = |message: String| {
            let mut event = Event::new(EventKind::JobError)
                .with_job(&job.id, store)
                .with_run_times(all_times.clone());
            event.error = Some(message.clone());
            Refusal::Failed {
                notice: Notice {
                    severity: Severity::Error,
                    line: format!("run not started: {message}"),
                    event: Box::new(event),
                },
                message: format!("run not started: {message}"),
            }
        };
        let task = match self.tasks.resolve(&job.task) {
            Ok(task) => task,
            Err(error) => return Err(fail(error.to_string())),
        };
        let Some(executor) = self.executor(&job.executor) else {
            return Err(fail(format!(
                "executor: {:?} is not configured",
                job.executor
            )));
        };
        let Some(runtime) = lock(&self.runtime).clone() else {
            return Err(fail(
                "the scheduler has no runtime: it was not started".to_owned(),
            ));
        };
        let mut runs = std::collections::VecDeque::from(runs);
        let Some(first) = runs.pop_front() else {
            return Err(fail("no run times".to_owned()));
        };
        let here = job.max_instances.saturating_sub(others);
        if !self.running.try_start(&job.id, here) {
            let (message, line) = if others > 0 {
                (
                    format!(
                        "already running {} instance(s), the maximum, {others} of them on other nodes",
                        job.max_instances
                    ),
                    "run skipped: the job is already running its maximum number of instances across the nodes",
                )
            } else {
                (
                    format!(
                        "already running {} instance(s), the maximum",
                        job.max_instances
                    ),
                    "run skipped: the job is already running its maximum number of instances",
                )
            };
            let mut event = Event::new(EventKind::JobMaxInstances)
                .with_job(&job.id, store)
                .with_run_times(all_times);
            event.error = Some(message.clone());
            let notice = Notice {
                severity: Severity::Warn,
                line: format!("{line} (max_instances = {})", job.max_instances),
                event: Box::new(event),
            };
            let message = format!("run skipped: {message}");
            return Err(if others > 0 {
                Refusal::Elsewhere { message, notice }
            } else {
                Refusal::MaxInstances { message, notice }
            });
        }
        let submitted = if self.listeners.wants(EventKind::JobSubmitted) {
            std::iter::once(&first)
                .chain(runs.iter())
                .map(|run_times| {
                    let mut event = Event::new(EventKind::JobSubmitted)
                        .with_job(&job.id, store)
                        .with_run_times(run_times.clone());
                    event.executor = Some(job.executor.clone());
                    event
                })
                .collect()
        } else {
            Vec::new()
        };
        let submission = Arc::new(Submission {
            job_id: job.id.clone(),
            store: store.to_owned(),
            executor_name: job.executor.clone(),
            executor,
            runtime,
            task,
            args: job.args.clone(),
            cancellation: self.cancellation.clone(),
            stopping: self.stopping.clone(),
            grace: job.misfire_grace_time,
            too_late: Arc::default(),
            listeners: self.listeners.clone(),
            running: Arc::clone(&self.running),
            remaining: Mutex::new(runs),
            started: Mutex::new(None),
            clock: Arc::clone(&self.clock),
            recorder: Arc::clone(&self.recorder),
        });
        Ok(Staged {
            submission,
            first,
            submitted,
        })
    }
}

/// How loud a notice is.
enum Severity {
    Warn,
    Error,
}

/// What to tell of a job once its decision stands: a log line and an
/// event.
struct Notice {
    severity: Severity,
    line: String,
    event: Box<Event>,
}

/// One claimed job's part of a settlement: what follows if it is won.
struct Plan {
    job_id: String,
    /// The runs ready to start (an instance taken).
    staged: Option<Staged>,
    /// Their running records, which the settlement writes, to keep renewed.
    running: Vec<RunRecord>,
    /// What to tell: misses, runs refused.
    notices: Vec<Notice>,
    /// The job is removed: its trigger is exhausted.
    removed: bool,
}

impl Plan {
    /// Not won (lost, or the settlement failed): frees the instance taken,
    /// starts and tells nothing.
    fn call_off(self) {
        if let Some(staged) = self.staged {
            staged.call_off();
        }
    }
}

/// Why runs could not start, for their history record.
enum Refusal {
    /// No such task, executor or runtime: recorded as an error.
    Failed { message: String, notice: Notice },
    /// `max_instances` reached on this node: recorded as missed.
    MaxInstances { message: String, notice: Notice },
    /// `max_instances` reached counting the other nodes' runs: recorded as
    /// missed.
    Elsewhere { message: String, notice: Notice },
}

/// Runs ready to start: an instance taken.
struct Staged {
    submission: Arc<Submission>,
    first: Vec<Timestamp>,
    /// Their submitted events, told when they start.
    submitted: Vec<Event>,
}

impl Staged {
    /// Tells the runs submitted and hands the first to the executor.
    fn go(self) {
        for event in self.submitted {
            self.submission.listeners.emit(event);
        }
        self.submission.start(self.first);
    }

    /// The runs will not start and were never recorded: frees the
    /// instance.
    fn call_off(self) {
        let submission = self.submission;
        submission.running.instance_finished(&submission.job_id);
        submission.running.submission_ended();
    }
}

/// False when `previous`, a record of this node's id left by another
/// process, is of a process on this host that no longer runs (this node
/// restarted quickly): no other scheduler uses the id.
fn is_alive_elsewhere(previous: &NodeRecord, this: &NodeRecord) -> bool {
    if previous.host != this.host {
        return true;
    }
    previous.pid != this.pid && std::path::Path::new(&format!("/proc/{}", previous.pid)).exists()
}

/// The earlier of two optional instants.
fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// One submission: the runs of one job that one instance executes, one
/// after the other.
struct Submission {
    job_id: String,
    store: String,
    executor_name: String,
    executor: Arc<Executor>,
    runtime: tokio::runtime::Handle,
    task: crate::task::TaskFn,
    args: serde_json::Value,
    cancellation: CancellationToken,
    stopping: CancellationToken,
    /// The job's misfire grace time, checked again when a queued run
    /// starts.
    grace: crate::job::MisfireGraceTime,
    /// The current run waited in the queue past its grace time.
    too_late: Arc<std::sync::atomic::AtomicBool>,
    listeners: Listeners,
    running: Arc<RunCounts>,
    remaining: Mutex<std::collections::VecDeque<Vec<Timestamp>>>,
    /// When the current run was handed over: on a monotonic clock for its
    /// duration, and by the scheduler's clock for its record.
    started: Mutex<Option<(std::time::Instant, Timestamp)>>,
    /// The clock, for how late each run starts.
    clock: Arc<dyn Clock>,
    /// The run history.
    recorder: Arc<Recorder>,
}

impl Submission {
    fn start(self: Arc<Submission>, run_times: Vec<Timestamp>) {
        let now = self.clock.now();
        if let Some(scheduled) = run_times.last() {
            let late = now.duration_since(*scheduled);
            tracing::info!(
                job = %self.job_id,
                scheduled = %scheduled,
                late_ms = late.as_millis(),
                runs_covered = run_times.len(),
                "run started"
            );
        }
        *lock(&self.started) = Some((std::time::Instant::now(), now));
        self.too_late
            .store(false, std::sync::atomic::Ordering::SeqCst);
        // A run queued behind busy workers checks its grace time again
        // when it is taken from the queue.
        let start_by = match (self.grace, run_times.last()) {
            (crate::job::MisfireGraceTime::Limit(grace), Some(scheduled)) => scheduled
                .checked_add(grace)
                .ok()
                .map(|deadline| crate::executor::StartBy {
                    deadline,
                    clock: Arc::clone(&self.clock),
                    too_late: Arc::clone(&self.too_late),
                }),
            _ => None,
        };
        let this = Arc::clone(&self);
        let done: Completion =
            Arc::new(move |report: RunReport| Arc::clone(&this).finished(report));
        self.executor.submit(
            Run {
                job_id: self.job_id.clone(),
                store: self.store.clone(),
                executor: self.executor_name.clone(),
                task: self.task.clone(),
                args: self.args.clone(),
                run_times,
                cancellation: self.cancellation.clone(),
                stopping: self.stopping.clone(),
                start_by,
                done,
            },
            &self.runtime,
        );
    }

    /// Records the run for `run_times` (not started, or cut short)
    /// interrupted with `reason`.
    fn interrupted(&self, run_times: &[Timestamp], reason: &str) {
        let Some(scheduled) = run_times.last() else {
            return;
        };
        let now = self.clock.now();
        self.recorder.landed(
            &self.runtime,
            &self.store,
            &self.job_id,
            *scheduled,
            |record| record.finish(RunStatus::Interrupted, now, None, Some(reason.to_owned())),
        );
    }

    /// Records how the run of `report` ended, in the background.
    fn record(&self, report: &RunReport, started: Option<(std::time::Instant, Timestamp)>) {
        let Some(scheduled) = report.run_times.last() else {
            return;
        };
        if let Some(message) = self.missed_in_queue(report) {
            let now = self.clock.now();
            self.recorder.landed(
                &self.runtime,
                &self.store,
                &self.job_id,
                *scheduled,
                |record| {
                    let mut record = record.finish(RunStatus::Missed, now, None, Some(message));
                    record.started = None;
                    record
                },
            );
            return;
        }
        let (status, error, detail) = match &report.outcome {
            RunOutcome::Success(value) => {
                (RunStatus::Success, None, self.task.success_detail(value))
            }
            RunOutcome::Error(error)
                if self.cancellation.is_cancelled() || self.stopping.is_cancelled() =>
            {
                (
                    RunStatus::Interrupted,
                    Some(format!("{SHUT_DOWN}: {}", error.message)),
                    error.detail.clone(),
                )
            }
            RunOutcome::Error(error) => (
                if error.timed_out {
                    RunStatus::Timeout
                } else {
                    RunStatus::Error
                },
                Some(error.message.clone()),
                error.detail.clone(),
            ),
            RunOutcome::Panic(message) => (
                RunStatus::Panic,
                Some(format!("panicked: {message}")),
                crate::task::RunDetail::default(),
            ),
        };
        let now = self.clock.now();
        let duration =
            started.and_then(|(instant, _)| SignedDuration::try_from(instant.elapsed()).ok());
        self.recorder.landed(
            &self.runtime,
            &self.store,
            &self.job_id,
            *scheduled,
            |mut record| {
                if let Some((_, at)) = started {
                    record.started = Some(at);
                }
                let mut record = record.finish(status, now, duration, error);
                record.exit_status = detail.exit_status;
                record.output = detail.output;
                record
            },
        );
    }

    /// Why the run of `report` was not started, when it waited in the
    /// executor's queue past its misfire grace time.
    fn missed_in_queue(&self, report: &RunReport) -> Option<String> {
        if !self.too_late.load(std::sync::atomic::Ordering::SeqCst) {
            return None;
        }
        let late = report
            .run_times
            .last()
            .map(|scheduled| self.clock.now().duration_since(*scheduled))
            .unwrap_or_default();
        Some(format!(
            "1 run(s) missed: it waited for a free worker until {late:#} late, more than the \
             misfire grace time of {}",
            self.grace
        ))
    }

    fn finished(self: Arc<Submission>, report: RunReport) {
        let started = lock(&self.started).take();
        if let Some(message) = self.missed_in_queue(&report) {
            self.record(&report, started);
            tracing::warn!(job = %report.job_id, "run missed: {message}");
            let next = lock(&self.remaining).pop_front();
            if next.is_none() {
                self.running.instance_finished(&self.job_id);
            }
            if self.listeners.wants(EventKind::JobMissed) {
                let mut event = Event::new(EventKind::JobMissed)
                    .with_job(&report.job_id, &report.store)
                    .with_run_times(report.run_times);
                event.error = Some(message);
                self.listeners.emit(event);
            }
            self.go_on(next);
            return;
        }
        // Recorded (in the background) before the instance is freed, so
        // that a waiting shutdown also waits for the record.
        self.record(&report, started);
        let next = lock(&self.remaining).pop_front();
        if next.is_none() {
            // Free the instance before telling listeners, so that a job
            // started from a listener (or the next tick) is not refused.
            self.running.instance_finished(&self.job_id);
        }
        let kind = match &report.outcome {
            RunOutcome::Success(_) => EventKind::JobExecuted,
            RunOutcome::Error(_) | RunOutcome::Panic(_) => EventKind::JobError,
        };
        let duration_ms = started.map_or(0, |(started, _)| started.elapsed().as_millis());
        let scheduled = report
            .run_times
            .last()
            .map(ToString::to_string)
            .unwrap_or_default();
        match &report.outcome {
            RunOutcome::Success(_) => tracing::info!(
                job = %report.job_id,
                %scheduled,
                duration_ms,
                outcome = "success",
                "run finished"
            ),
            RunOutcome::Error(error) => tracing::error!(
                job = %report.job_id,
                %scheduled,
                duration_ms,
                outcome = if error.timed_out { "timeout" } else { "error" },
                %error,
                "run finished"
            ),
            RunOutcome::Panic(message) => tracing::error!(
                job = %report.job_id,
                %scheduled,
                duration_ms,
                outcome = "panic",
                panic = %message,
                "run finished"
            ),
        }
        if self.listeners.wants(kind) {
            let mut event = Event::new(kind)
                .with_job(&report.job_id, &report.store)
                .with_run_times(report.run_times);
            event.executor = Some(report.executor);
            match report.outcome {
                RunOutcome::Success(value) => event.return_value = Some(value),
                RunOutcome::Error(error) => event.error = Some(error.message),
                RunOutcome::Panic(message) => event.error = Some(format!("panicked: {message}")),
            }
            self.listeners.emit(event);
        }
        self.go_on(next);
    }

    /// Starts the next of the submission's runs, or ends it.
    fn go_on(self: Arc<Submission>, next: Option<Vec<Timestamp>>) {
        match next {
            Some(run_times) if !self.cancellation.is_cancelled() => self.start(run_times),
            Some(run_times) => {
                let queued: Vec<Vec<Timestamp>> = lock(&self.remaining).drain(..).collect();
                for run_times in std::iter::once(run_times).chain(queued) {
                    self.interrupted(&run_times, &format!("{SHUT_DOWN} before the run started"));
                }
                self.running.instance_finished(&self.job_id);
                self.running.submission_ended();
            }
            None => self.running.submission_ended(),
        }
    }
}

impl Engine {
    // ---- the job API ---------------------------------------------------

    pub(crate) async fn add_job(&self, builder: JobBuilder) -> Result<Job> {
        if self.state() == SchedulerState::ShutDown {
            return Err(Error::state("the scheduler was shut down"));
        }
        let replace_existing = builder.replace_existing;
        let from_trigger = builder.first_run == crate::job::FirstRun::FromTrigger;
        let mut job = builder.build_at(&self.defaults, self.clock.now())?;
        job.trigger = self.share_trigger(job.trigger);
        let store = self.store(&job.store).map_err(|_| {
            Error::invalid(
                "store",
                format!(
                    "{:?} is not configured; configured: {}",
                    job.store,
                    self.store_names()
                ),
            )
        })?;
        self.check_job(&job, store.as_ref())?;
        store.add_job(job.clone(), replace_existing).await?;
        if from_trigger && self.state() == SchedulerState::Stopped {
            lock(&self.added_before_start).push((job.store.clone(), job.id.clone()));
        }
        tracing::info!(job = %job.id, trigger = %job.trigger, "job added");
        self.emit(Event::new(EventKind::JobAdded).with_job(&job.id, &job.store));
        self.wake_for(job.next_run_time);
        Ok(job)
    }

    /// Wakes the loop when a job's next run time `next` comes before what
    /// the loop sleeps until; a job that runs later, or is paused, needs no
    /// wake-up (host-driven schedulers are asked by their host anyway).
    fn wake_for(&self, next: Option<Timestamp>) {
        let Some(next) = next else {
            return;
        };
        let earlier = match *lock(&self.sleeping_until) {
            Some(Some(deadline)) => next < deadline,
            Some(None) | None => true,
        };
        if earlier {
            self.wake.notify_one();
        }
    }

    /// The most distinct triggers kept for sharing.
    const SHARED_TRIGGERS: usize = 4096;

    /// An equal trigger already in use, or `trigger` itself (remembered).
    fn share_trigger(&self, trigger: Trigger) -> Trigger {
        if !matches!(trigger, Trigger::Cron(_) | Trigger::CalendarInterval(_)) {
            return trigger;
        }
        let Ok(key) = serde_json::to_string(&trigger) else {
            return trigger;
        };
        let mut shared = lock(&self.shared_triggers);
        if let Some(existing) = shared.get(&key) {
            return existing.clone();
        }
        if shared.len() >= Engine::SHARED_TRIGGERS {
            shared.clear();
        }
        shared.insert(key, trigger.clone());
        trigger
    }

    fn store_names(&self) -> String {
        let stores = self.stores.read().unwrap_or_else(PoisonError::into_inner);
        let names: Vec<String> = stores.iter().map(|(name, _)| format!("{name:?}")).collect();
        names.join(", ")
    }

    /// Checks what a store would otherwise keep but could never run.
    fn check_job(&self, job: &Job, store: &dyn JobStore) -> Result<()> {
        if let Some(executor) = self.executor(&job.executor)
            && job.task.name().is_none()
            && !executor.runs_closures()
        {
            return Err(Error::invalid(
                "task",
                format!(
                    "a closure cannot run in executor {:?}, a process pool: register the task \
                     by name with Tasks::register and add the job with JobBuilder::new(name, trigger)",
                    job.executor
                ),
            ));
        }
        if self.executor(&job.executor).is_none() {
            let mut names: Vec<String> = self
                .executors
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .keys()
                .map(|name| format!("{name:?}"))
                .collect();
            names.sort();
            return Err(Error::invalid(
                "executor",
                format!(
                    "{:?} is not configured; configured: {}",
                    job.executor,
                    names.join(", ")
                ),
            ));
        }
        match job.task.name() {
            Some(name) => self.tasks.check_args(name, &job.args)?,
            None if !store.keeps_closures() => {
                job.to_stored()?;
            }
            None => {}
        }
        Ok(())
    }

    /// The job `id` and the name of its store.
    async fn find(&self, id: &str) -> Result<(String, Arc<dyn JobStore>, Job)> {
        for (name, store) in self.stores() {
            if let Some(job) = store.get_job(id).await? {
                return Ok((name, store, job));
            }
        }
        Err(Error::not_found("job", id))
    }

    pub(crate) async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        match self.find(id).await {
            Ok((_, _, job)) => Ok(Some(job)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub(crate) async fn list_jobs(&self, store: Option<&str>) -> Result<Vec<Job>> {
        let mut jobs = Vec::new();
        for (name, each) in self.stores() {
            if store.is_none_or(|wanted| wanted == name) {
                jobs.extend(each.list_jobs().await?);
            }
        }
        if let Some(wanted) = store {
            self.store(wanted)?;
        }
        Ok(jobs)
    }

    pub(crate) async fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRecord>> {
        recorder::list_runs(&self.stores(), query).await
    }

    pub(crate) async fn unrestorable_jobs(&self) -> Result<Vec<UnrestorableJob>> {
        recorder::unrestorable_jobs(&self.stores()).await
    }

    /// A job changed or removed through the API keeps what was asked for,
    /// rather than getting its first run time again at start.
    fn forget_added_before_start(&self, id: &str) {
        lock(&self.added_before_start).retain(|(_, pending)| pending != id);
    }

    async fn update(&self, store_name: &str, store: &dyn JobStore, job: Job) -> Result<Job> {
        self.forget_added_before_start(&job.id);
        store.update_job(job.clone()).await?;
        self.emit(Event::new(EventKind::JobModified).with_job(&job.id, store_name));
        self.wake_for(job.next_run_time);
        Ok(job)
    }

    pub(crate) async fn modify_job(&self, id: &str, changes: JobChanges) -> Result<Job> {
        let (name, store, mut job) = self.find(id).await?;
        changes.apply(&mut job)?;
        self.check_job(&job, store.as_ref())?;
        self.update(&name, store.as_ref(), job).await
    }

    pub(crate) async fn reschedule_job(&self, id: &str, trigger: Trigger) -> Result<Job> {
        let (name, store, mut job) = self.find(id).await?;
        job.next_run_time = trigger.next_fire_time(None, self.clock.now());
        job.trigger = trigger;
        if job.next_run_time.is_none() {
            self.forget_added_before_start(id);
            store.remove_job(id).await?;
            self.emit(Event::new(EventKind::JobRemoved).with_job(id, &name));
            return Ok(job);
        }
        self.update(&name, store.as_ref(), job).await
    }

    pub(crate) async fn pause_job(&self, id: &str) -> Result<Job> {
        let (name, store, mut job) = self.find(id).await?;
        job.next_run_time = None;
        self.update(&name, store.as_ref(), job).await
    }

    /// Resumes job `id` from the trigger's next fire time; a job whose
    /// trigger has nothing left is removed and `None` returned.
    pub(crate) async fn resume_job(&self, id: &str) -> Result<Option<Job>> {
        let (name, store, mut job) = self.find(id).await?;
        if job.next_run_time.is_some() {
            return Ok(Some(job));
        }
        job.next_run_time = job.trigger.next_fire_time(None, self.clock.now());
        if job.next_run_time.is_none() {
            store.remove_job(id).await?;
            self.emit(Event::new(EventKind::JobRemoved).with_job(id, &name));
            return Ok(None);
        }
        self.update(&name, store.as_ref(), job).await.map(Some)
    }

    pub(crate) async fn remove_job(&self, id: &str) -> Result<()> {
        let (name, store, _) = self.find(id).await?;
        self.forget_added_before_start(id);
        store.remove_job(id).await?;
        tracing::info!(job = %id, "job removed");
        self.emit(Event::new(EventKind::JobRemoved).with_job(id, &name));
        Ok(())
    }

    pub(crate) async fn remove_all_jobs(&self, store: Option<&str>) -> Result<()> {
        if let Some(wanted) = store {
            self.store(wanted)?;
        }
        for (name, each) in self.stores() {
            if store.is_none_or(|wanted| wanted == name) {
                each.remove_all_jobs().await?;
            }
        }
        let mut event = Event::new(EventKind::AllJobsRemoved);
        event.store = store.map(str::to_owned);
        self.emit(event);
        Ok(())
    }

    /// One extra run of job `id` now; its schedule stays as it is.
    pub(crate) async fn run_job_now(&self, id: &str) -> Result<()> {
        if !matches!(
            self.state(),
            SchedulerState::Running | SchedulerState::Paused
        ) {
            return Err(Error::state("the scheduler is not running"));
        }
        let (name, store, job) = self.find(id).await?;
        let now = self.clock.now();
        if let Some(staged) = self.stage(&name, &store, &job, vec![vec![now]], now).await {
            staged.go();
        }
        Ok(())
    }

    /// A printable table of the jobs: id, name, trigger, next run in the
    /// scheduler's zone.
    pub(crate) async fn jobs_table(&self) -> Result<String> {
        let mut rows = vec![[
            "id".to_owned(),
            "name".to_owned(),
            "trigger".to_owned(),
            "next run".to_owned(),
        ]];
        for (name, store) in self.stores() {
            for job in store.list_jobs().await? {
                let next = match job.next_run_time {
                    Some(next) => self.timezone.format(next),
                    None => "paused".to_owned(),
                };
                let _ = &name;
                rows.push([job.id, job.name, job.trigger.to_string(), next]);
            }
        }
        let mut widths = [0usize; 4];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut table = String::new();
        for row in &rows {
            let line = format!(
                "{:w0$}  {:w1$}  {:w2$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
            );
            let _ = writeln!(table, "{}", line.trim_end());
        }
        Ok(table)
    }

    // ---- stores and executors --------------------------------------------

    pub(crate) fn add_store(&self, name: &str, store: Arc<dyn JobStore>) -> Result<()> {
        {
            let mut stores = self.stores.write().unwrap_or_else(PoisonError::into_inner);
            if stores.iter().any(|(alias, _)| alias == name) {
                return Err(Error::invalid(
                    "store",
                    format!("{name:?} is already configured"),
                ));
            }
            stores.push((name.to_owned(), store));
        }
        self.recorder.forget_store(name);
        let mut event = Event::new(EventKind::StoreAdded);
        event.store = Some(name.to_owned());
        self.emit(event);
        self.wake.notify_one();
        Ok(())
    }

    pub(crate) fn remove_store(&self, name: &str) -> Result<()> {
        {
            let mut stores = self.stores.write().unwrap_or_else(PoisonError::into_inner);
            let before = stores.len();
            stores.retain(|(alias, _)| alias != name);
            if stores.len() == before {
                return Err(Error::not_found("store", name));
            }
        }
        let mut event = Event::new(EventKind::StoreRemoved);
        event.store = Some(name.to_owned());
        self.emit(event);
        Ok(())
    }

    pub(crate) fn add_executor(&self, name: &str, executor: Executor) -> Result<()> {
        {
            let mut executors = self
                .executors
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if executors.contains_key(name) {
                return Err(Error::invalid(
                    "executor",
                    format!("{name:?} is already configured"),
                ));
            }
            executors.insert(name.to_owned(), Arc::new(executor));
        }
        let mut event = Event::new(EventKind::ExecutorAdded);
        event.executor = Some(name.to_owned());
        self.emit(event);
        Ok(())
    }

    pub(crate) fn remove_executor(&self, name: &str) -> Result<()> {
        let removed = self
            .executors
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name)
            .ok_or_else(|| Error::not_found("executor", name))?;
        removed.shutdown(false);
        let mut event = Event::new(EventKind::ExecutorRemoved);
        event.executor = Some(name.to_owned());
        self.emit(event);
        Ok(())
    }
}

/// Runs in progress, shared with the completion callbacks: per job (for
/// `max_instances`) and in all (for shutdown to wait on).
#[derive(Default)]
struct RunCounts {
    per_job: Mutex<HashMap<String, u32>>,
    active: Mutex<usize>,
    /// Signalled when a submission has ended and its events are delivered.
    ended: Notify,
}

impl RunCounts {
    /// Counts one more instance of `job` unless it already runs `max`.
    fn try_start(&self, job: &str, max: u32) -> bool {
        let mut per_job = lock(&self.per_job);
        let count = per_job.entry(job.to_owned()).or_insert(0);
        if *count >= max {
            return false;
        }
        *count += 1;
        *lock(&self.active) += 1;
        true
    }

    /// The instance of `job` has finished its work; a new one may start.
    fn instance_finished(&self, job: &str) {
        let mut per_job = lock(&self.per_job);
        if let Some(count) = per_job.get_mut(job) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                per_job.remove(job);
            }
        }
    }

    /// A submission has ended and its events were delivered.
    fn submission_ended(&self) {
        {
            let mut active = lock(&self.active);
            *active = active.saturating_sub(1);
        }
        self.ended.notify_waiters();
    }

    /// How many submissions are in progress.
    fn active(&self) -> usize {
        *lock(&self.active)
    }

    async fn wait_idle(&self) {
        loop {
            let ended = self.ended.notified();
            if *lock(&self.active) == 0 {
                return;
            }
            ended.await;
        }
    }
}

fn describe(state: SchedulerState) -> &'static str {
    match state {
        SchedulerState::Stopped => "not started",
        SchedulerState::Running => "running",
        SchedulerState::Paused => "paused",
        SchedulerState::ShutDown => "shut down",
    }
}
