//! The one engine under every scheduler kind: the `Engine` itself, what it
//! is built from (`Parts`), its state (`SchedulerState`) and the moves
//! between states (start, pause, resume, shutdown).
//!
//! It keeps the stores, executors, tasks and listeners, answers the job API,
//! and processes due jobs: claim them from their store with a lease, decide
//! (purely, in `decide`), hand runs to executors, release the jobs with
//! their next run time. The async loop around it only waits: until the
//! earliest next run time, or until something wakes it.
//!
//! One file per concern; each uses only what this file and the files
//! listed after it define, so a change to one is read against those alone:
//!
//! - `cycle.rs`: the loop and its tick — claim, plan, settle, carry out;
//! - `api.rs`: the job API (add, change, pause, remove, list, run now);
//! - `lifecycle.rs`: a run from its instance taken to its outcome told,
//!   the notices of runs missed or refused, interrupted runs retried;
//! - `follow_up.rs`: what a finished run leaves to do — its retry stored
//!   as a pending run, its job paused after failures — and pending runs
//!   added through the API;
//! - `notices.rs`: notices (failure, missed, stale, recovered) added as
//!   notice jobs, and stale checks armed and moved on;
//! - `cluster.rs`: change feeds, this node's record and heartbeats, stores
//!   answering again;
//! - `registry.rs`: stores, executors and listeners, looked up by name;
//! - `overlap.rs`: fire times kept by a job's overlap policy, runs that
//!   `cancel_other` replaces, backfills;
//! - `wakeup.rs`: what the loop sleeps until, and waking it.

mod api;
mod cluster;
mod contention;
mod cycle;
mod follow_up;
mod lifecycle;
mod notices;
mod overlap;
mod registry;
mod running;
mod wakeup;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use jiff::{SignedDuration, Timestamp};

use self::cluster::Membership;
use self::follow_up::FollowUps;
use self::running::RunCounts;
use self::wakeup::Wakeup;
use super::recorder::{Recorder, SHUT_DOWN};
use crate::calendar::Exclusions;
use crate::clock::{self, Clock};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind, Listeners};
use crate::executor::Executor;
use crate::history::RunRetention;
use crate::job::{JobDefaults, SharedOptions};
use crate::store::JobStore;
use crate::sync::{lock, read};
use crate::task::{RunSignals, Tasks};
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

/// How long a shutdown waits for the runs' outcomes to be written while
/// their store does not answer; those still held then are logged.
const OUTCOME_WAIT_AT_SHUTDOWN: SignedDuration = SignedDuration::from_secs(10);

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
    pub(crate) calendars: Exclusions,
    pub(crate) notify: Option<crate::notify::Notify>,
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
    /// back (a [`Locality::Shared`](crate::store::Locality::Shared) store).
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
    /// The calendars jobs exclude by name.
    calendars: RwLock<Exclusions>,
    state: Mutex<SchedulerState>,
    /// Wakes the loop: a job added or changed, a state change.
    wakeup: Arc<Wakeup>,
    /// What finished runs leave for the loop to do: retries to store,
    /// failures that may pause their job.
    follow_ups: Arc<FollowUps>,
    /// Runs in progress per job id.
    running: Arc<RunCounts>,
    runtime: Mutex<Option<tokio::runtime::Handle>>,
    /// What the runs are asked, shared with each: to stop (cancellation),
    /// and to finish soon (stopping, cancelled at the start of a shutdown
    /// with a time limit: commands get `SIGTERM`).
    signals: Arc<RunSignals>,
    /// Held by the loop's cycle while it claims, decides and hands over
    /// due jobs; a waiting shutdown takes it to let the cycle end first.
    cycle: tokio::sync::Mutex<()>,
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
    /// The latest job's options, which the next job shares when equal.
    shared_options: SharedOptions,
    /// When the scheduler started, by its clock.
    started_at: Mutex<Option<Timestamp>>,
    /// Jobs under `cancel_other` with runs here, by id, with their store's
    /// name: a fire time kept elsewhere to replace one is looked for.
    replaceable: Mutex<HashMap<Arc<str>, Arc<str>>>,
    /// Where the notices of jobs that set none go, and the notices that
    /// runs left to send.
    notices: Arc<notices::Notices>,
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
            membership: Mutex::new(Membership::new()),
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
            calendars: RwLock::new(parts.calendars),
            state: Mutex::new(SchedulerState::Stopped),
            wakeup: Arc::new(Wakeup::new()),
            follow_ups: Arc::default(),
            running: Arc::default(),
            runtime: Mutex::new(None),
            signals: Arc::default(),
            cycle: tokio::sync::Mutex::new(()),
            failures: Mutex::new(0),
            stalls: Mutex::new(0),
            added_before_start: Mutex::new(Vec::new()),
            shared_triggers: Mutex::new(HashMap::new()),
            shared_options: SharedOptions::default(),
            started_at: Mutex::new(None),
            replaceable: Mutex::new(HashMap::new()),
            notices: Arc::new(notices::Notices::new(parts.notify)),
        })
    }

    pub(crate) fn state(&self) -> SchedulerState {
        *lock(&self.state)
    }

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
        self.wakeup.wake();
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
            self.wakeup.wake();
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
        self.wakeup.wake();
        if wait {
            if self.shutdown_timeout.is_some() {
                if self.running.active() > 0 {
                    tracing::info!(
                        runs = self.running.active(),
                        "asking the runs in progress to finish (commands get SIGTERM)"
                    );
                }
                self.signals.stopping.cancel();
            }
            // A cycle under way may have claimed jobs it has not handed
            // over yet: they run before the executors close.
            let finished = async {
                self.finish_cycle().await;
                self.running.wait_idle().await;
            };
            let waited = match self.shutdown_timeout {
                None => {
                    finished.await;
                    true
                }
                Some(limit) => clock::timeout(&*self.clock, limit, finished)
                    .await
                    .is_some(),
            };
            if !waited {
                tracing::warn!(
                    timeout = %format!("{:#}", self.shutdown_timeout.unwrap_or_default()),
                    "runs still in progress at the shutdown timeout: cancelling them"
                );
                self.signals.cancellation.cancel();
                let grace = SignedDuration::from_secs(5);
                if clock::timeout(&*self.clock, grace, self.running.wait_idle())
                    .await
                    .is_none()
                {
                    self.recorder
                        .interrupt_in_flight(&format!("{SHUT_DOWN} before the run finished"))
                        .await;
                }
            }
            self.follow_up(self.clock.now()).await;
            self.send_notices(self.clock.now()).await;
            self.recorder
                .wait_written_for(OUTCOME_WAIT_AT_SHUTDOWN)
                .await;
        } else {
            self.signals.cancellation.cancel();
        }
        let executors: Vec<Arc<Executor>> = read(&self.executors).values().cloned().collect();
        for executor in executors {
            executor.shutdown(wait);
        }
        self.leave().await;
        tracing::info!(node = %self.node, "scheduler shut down");
        self.emit(Event::new(EventKind::SchedulerShutdown));
        Ok(())
    }

    /// How many submissions are in progress.
    pub(crate) fn runs_in_progress(&self) -> usize {
        self.running.active()
    }
}

/// The earlier of two optional instants.
fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
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
