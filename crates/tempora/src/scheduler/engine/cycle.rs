//! The cycle: the run loop and its tick — claim the due jobs of each store,
//! decide them (`plan`), settle them in one call, and carry out the won
//! plans — and the backoff when a store fails or a due job is held
//! elsewhere.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::lifecycle::{Notice, Staged};
use super::{Engine, SchedulerState, earliest, lock};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::history::RunRecord;
use crate::job::Job;
use crate::scheduler::decide::{DECISION_STEPS, decide_within};
use crate::store::{JobStore, Release, Settlement};

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

impl Engine {
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
