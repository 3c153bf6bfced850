//! The cycle: the run loop and its tick — claim the due jobs of each
//! store, plan them (`scheduler::plan`, pure), settle them in one call, and
//! carry out the won plans — and the backoff when a store fails or a due
//! job is held elsewhere.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::contention::Comeback;
use super::lifecycle::{Handover, Staged};
use super::{Engine, SchedulerState, earliest};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::executor::RunTimes;
use crate::job::{Job, Overlap};
use crate::scheduler::plan::{
    Notice, Plan, Planning, Refusal, Severity, Start, plan_claimed, plan_pending_run,
};
use crate::store::JobStore;
use crate::sync::lock;

/// How many due jobs one claim takes from a store.
const CLAIM_BATCH: usize = 512;

tokio::task_local! {
    /// Set while the loop's cycle runs, on the task that runs it.
    static IN_CYCLE: ();
}

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

impl Engine {
    /// The loop of the async, background and blocking kinds: process what is
    /// due, then wait until the next run time or a wake-up.
    pub(crate) async fn run_loop(self: Arc<Engine>) {
        loop {
            if self.state() == SchedulerState::ShutDown {
                break;
            }
            self.watch_stores().await;
            let work = async { self.tick(self.clock.now()).await };
            self.wakeup
                .turn(work, |deadline| self.clock.sleep_until(deadline))
                .await;
        }
    }

    /// Processes due jobs at `now` if running; returns when to look again.
    ///
    /// One cycle at a time, under the cycle lock, which a waiting shutdown
    /// takes too: the jobs a cycle claimed are handed to their executors
    /// before the shutdown counts the runs in progress and closes the
    /// executors.
    pub(crate) async fn tick(&self, now: Timestamp) -> Option<Timestamp> {
        let _cycle = self.cycle.lock().await;
        IN_CYCLE.scope((), self.tick_locked(now)).await
    }

    /// Waits for the cycle under way, if any, to end: the next one sees
    /// the scheduler shut down. A shutdown asked from within the cycle (by
    /// a listener of an event it emits) does not wait for itself.
    pub(super) async fn finish_cycle(&self) {
        if IN_CYCLE.try_with(|()| ()).is_ok() {
            return;
        }
        drop(self.cycle.lock().await);
    }

    async fn tick_locked(&self, now: Timestamp) -> Option<Timestamp> {
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
        // Retries of runs that failed since the last turn are stored
        // before the stores are processed, so that one due now runs now.
        self.follow_up(now).await;
        self.send_notices(now).await;
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
        self.cancel_replaced().await;
        wake_at = earliest(wake_at, self.heartbeats(&answering, now).await);
        // A failing store is retried with backoff, not at the poll interval.
        for (name, store) in &answering {
            if store.locality().is_process() {
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

    /// Gives a job added before start its first run time as of the start.
    async fn first_run_at_start(&self, store: &str, id: &str, now: Timestamp) -> Result<()> {
        let store = self.store(store)?;
        let Some(mut job) = store.get_job(id).await? else {
            return Ok(());
        };
        if job.next_run_time.is_none() {
            return Ok(());
        }
        job.next_run_time = job.next_fire_time(None, now);
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
        let history = store.history();
        let keeps_history = history.is_some();
        let shared = !store.locality().is_process();
        // Kept from batch to batch, so that their memory is taken once.
        let mut plans = Vec::new();
        let mut settlements = Vec::new();
        // The won runs go to their executors together.
        let mut handover = Handover::default();
        loop {
            let claimed = store
                .acquire_due(now, CLAIM_BATCH, &self.node, self.lease)
                .await?;
            let count = claimed.len();
            if count == 0 {
                return Ok(progress);
            }
            // Pending runs (run jobs) run their parent's task: the parents
            // as the store keeps them now.
            // Most batches have none: their claimed vector is kept as it is.
            let (mut pending, claimed): (Vec<Job>, Vec<Job>) =
                if claimed.iter().any(|job| job.run_of.is_some()) {
                    claimed.into_iter().partition(|job| job.run_of.is_some())
                } else {
                    (Vec::new(), claimed)
                };
            // Stale checks wait for their deadline by the store's clock.
            let claimed = self
                .hold_early_stale_checks(store.as_ref(), claimed, now)
                .await?;
            let parents = self.parents_of(store, &pending).await?;
            // max_instances counts the runs of every node sharing the store.
            let elsewhere = match history {
                Some(history) if shared => {
                    let ids: Vec<&str> = claimed
                        .iter()
                        .map(|job| &*job.id)
                        .chain(parents.keys().map(String::as_str))
                        .collect();
                    history.running_counts(&ids, &self.node, now).await?
                }
                _ => HashMap::new(),
            };
            let planning = Planning {
                store: name,
                node: self.recorder.node(),
                now,
                keeps_history,
            };
            let mut batch = self.batch(name, keeps_history);
            // What a run needs to be tried again if it gives way to a run
            // of its job claimed on another node at the same moment
            // (`contention`), by the index of its plan.
            let watch_contention = shared && keeps_history;
            let mut comebacks: HashMap<usize, Comeback> = HashMap::new();
            // Pending runs first, oldest fire time first: a kept fire time
            // starts before a newer one of its job that comes in the same
            // batch (which then finds the job at its limit and is kept in
            // turn).
            pending.sort_by_key(|run_job| run_job.run_of.as_ref().map(|run| run.scheduled_time));
            for run_job in pending {
                let parent = run_job
                    .run_of
                    .as_ref()
                    .and_then(|run_of| parents.get(&run_of.job));
                if watch_contention {
                    comebacks.insert(plans.len(), Comeback::Pending(run_job.clone()));
                }
                let others = parent
                    .and_then(|parent| elsewhere.get(&*parent.id))
                    .copied()
                    .unwrap_or(0);
                let (settlement, plan) = plan_pending_run(
                    run_job,
                    parent,
                    others,
                    &planning,
                    |job, runs, others, attempt| {
                        let running = if keeps_history {
                            runs.iter()
                                .filter_map(|run_times| {
                                    self.recorder.running(&job.id, run_times, attempt)
                                })
                                .collect()
                        } else {
                            Vec::new()
                        };
                        match self.prepare(&mut batch, job, runs, others, attempt) {
                            Ok(staged) => Start::Ready(staged, running),
                            Err(refusal) => Start::Refused(refusal),
                        }
                    },
                );
                settlements.push(settlement);
                plans.push(plan);
            }
            let waiting = self.waiting_behind_kept(store, &claimed).await;
            let first_claimed = plans.len();
            let mut keeping: HashMap<Arc<str>, (Job, Overlap)> = HashMap::new();
            plan_claimed(
                claimed,
                &elsewhere,
                &planning,
                |job, runs, others| {
                    if waiting.contains(&*job.id) {
                        return Start::Refused(behind_kept(job, name, runs));
                    }
                    // Their running records, kept if they start; none for a
                    // store that keeps no history.
                    let running = if keeps_history {
                        runs.iter()
                            .filter_map(|run_times| self.recorder.running(&job.id, run_times, 1))
                            .collect()
                    } else {
                        Vec::new()
                    };
                    match self.prepare(&mut batch, job, runs, others, 1) {
                        Ok(staged) => {
                            if watch_contention
                                && let Some(
                                    policy @ (Overlap::BufferOne
                                    | Overlap::BufferAll
                                    | Overlap::CancelOther),
                                ) = job.overlap()
                            {
                                keeping.insert(Arc::clone(&job.id), (job.clone(), policy));
                            }
                            Start::Ready(staged, running)
                        }
                        Err(refusal) => Start::Refused(refusal),
                    }
                },
                &mut settlements,
                &mut plans,
            );
            // (Most batches keep none: their plans are not looked up.)
            for (index, plan) in plans.iter().enumerate().skip(first_claimed) {
                if keeping.is_empty() {
                    break;
                }
                if let Some((job, policy)) = keeping.remove(&plan.job_id) {
                    comebacks.insert(index, Comeback::Kept(job, policy));
                }
            }
            // A job whose trigger is done goes in its settlement: its
            // misses are told from the job as claimed.
            let mut gone: HashMap<usize, Job> = HashMap::new();
            for (index, (plan, settlement)) in plans.iter().zip(&settlements).enumerate() {
                if plan.removed
                    && !plan.notices.is_empty()
                    && self.notices.watches(&settlement.claimed)
                {
                    gone.insert(index, settlement.claimed.clone());
                }
            }
            let settled = store.settle(&self.node, &settlements, now).await;
            settlements.clear();
            let outcomes = match settled {
                Ok(outcomes) => outcomes,
                Err(error) => {
                    for mut plan in plans.drain(..) {
                        plan.call_off();
                    }
                    return Err(error);
                }
            };
            let crowded = match history {
                Some(history) if watch_contention => {
                    self.crowded(history, &plans, &outcomes, now).await
                }
                _ => Default::default(),
            };
            let runtime = lock(&self.runtime).clone();
            let mut kept = Vec::new();
            // The plans are carried out where they are (not moved out of
            // their vector one by one), and dropped together.
            for (index, (plan, outcome)) in plans.iter_mut().zip(outcomes).enumerate() {
                if outcome.is_won() {
                    progress = true;
                    kept.extend(plan.buffered.take().map(|buffered| *buffered));
                    if crowded.contains(&index) {
                        let comeback = comebacks.remove(&index);
                        self.give_way(name, store, plan, comeback, &mut kept, now)
                            .await;
                    }
                    let job = if gone.is_empty() {
                        None
                    } else {
                        gone.remove(&index)
                    };
                    self.carry_out(name, store, plan, job, runtime.as_ref(), &mut handover);
                } else {
                    tracing::debug!(
                        job = %plan.job_id,
                        "job lost: another node holds it now; nothing started"
                    );
                    plan.call_off();
                }
            }
            plans.clear();
            handover.flush();
            if !kept.is_empty() {
                self.keep_buffered(name, store, kept, now).await;
            }
            if count < CLAIM_BATCH {
                return Ok(progress);
            }
        }
    }

    /// The parents of the claimed run jobs `pending`, by id, as `store`
    /// keeps them now (a parent removed meanwhile is left out).
    async fn parents_of(
        &self,
        store: &Arc<dyn JobStore>,
        pending: &[Job],
    ) -> Result<HashMap<String, Job>> {
        let mut parents = HashMap::new();
        for run_job in pending {
            let Some(run_of) = &run_job.run_of else {
                continue;
            };
            if parents.contains_key(&run_of.job) {
                continue;
            }
            if let Some(parent) = store.get_job(&run_of.job).await? {
                parents.insert(run_of.job.clone(), parent);
            }
        }
        Ok(parents)
    }

    /// A won plan: tracks its running records, tells its notices and
    /// starts its runs. `gone` is the job as claimed when the settlement
    /// removed it and it has misses to tell.
    fn carry_out(
        &self,
        store_name: &str,
        store: &Arc<dyn JobStore>,
        plan: &mut Plan<Staged>,
        gone: Option<Job>,
        runtime: Option<&tokio::runtime::Handle>,
        handover: &mut Handover,
    ) {
        if let Some(runtime) = runtime {
            for record in plan.running.drain(..) {
                self.recorder.track(runtime, store_name, store, record);
            }
        }
        if !plan.notices.is_empty() {
            self.notices
                .missed(store_name, &plan.job_id, gone, &plan.notices);
            self.announce(&plan.job_id, std::mem::take(&mut plan.notices));
        }
        if let Some(staged) = plan.staged.take() {
            staged.go_with(handover);
        }
        if plan.removed {
            tracing::debug!(job = %plan.job_id, "job removed: its trigger is exhausted");
            if self.listeners.wants(EventKind::JobRemoved) {
                self.emit(Event::new(EventKind::JobRemoved).with_job(&plan.job_id, store_name));
            }
        }
    }
}

impl Plan<Staged> {
    /// Not won (lost, or the settlement failed): frees the instance taken,
    /// starts and tells nothing.
    fn call_off(&mut self) {
        if let Some(staged) = self.staged.take() {
            staged.call_off();
        }
    }
}

/// Why the runs of `job` (of store `store`) wait: a fire time its overlap
/// policy kept earlier is still to run, and goes first.
fn behind_kept(job: &Job, store: &str, runs: &[RunTimes]) -> Refusal {
    let message = format!(
        "a fire time kept earlier is waiting to run (overlap = \"{}\")",
        job.overlap().map_or("", Overlap::as_str)
    );
    let event = Event::runs_refused(
        &job.id,
        store,
        runs.iter().flatten().copied().collect(),
        message.clone(),
    );
    Refusal::MaxInstances {
        notice: Notice {
            severity: Severity::Warn,
            line: format!("run skipped: {message}"),
            event: Box::new(event),
        },
        message: format!("run skipped: {message}"),
    }
}
