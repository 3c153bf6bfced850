//! What a finished run leaves for the loop to do, and pending runs: a
//! failed run's retry stored as a run job beside its job (see
//! [`crate::job::RunOf`]), a job paused after `pause_after_failures`
//! failed fire times in a row, and pending runs added through the API.
//!
//! A run's completion only queues its follow-up (it runs on an executor's
//! thread); the loop does the store work at its next turn, which the
//! completion wakes, and once more at shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;

use super::Engine;
use crate::error::Result;
use crate::event::{Event, EventKind};
use crate::history::{RunQuery, RunStatus};
use crate::job::{Job, PendingRunKind, RunOf};
use crate::store::JobStore;
use crate::sync::lock;

/// What one finished run leaves to do.
pub(super) enum FollowUp {
    /// Store attempt `attempt` of `job`'s fire time `scheduled`, due at
    /// `due`.
    Retry {
        store: Arc<str>,
        job: Job,
        scheduled: Timestamp,
        attempt: u32,
        due: Timestamp,
    },
    /// The fire time `scheduled` of `job` failed for good (its retries,
    /// if any, exhausted) with `error` at attempt `attempt`.
    Failed {
        store: Arc<str>,
        job: Job,
        scheduled: Timestamp,
        attempt: u32,
        error: String,
    },
    /// A run of `job` succeeded.
    Succeeded { store: Arc<str>, job: Job },
}

/// The follow-ups queued by finished runs, and the failed fire times in
/// a row of jobs whose store keeps no history (counted here instead).
#[derive(Default)]
pub(super) struct FollowUps {
    queue: Mutex<Vec<FollowUp>>,
    failures: Mutex<HashMap<StoreJob, u32>>,
}

/// A job by its store's name and its id.
type StoreJob = (Arc<str>, Arc<str>);

impl FollowUps {
    pub(super) fn push(&self, follow_up: FollowUp) {
        lock(&self.queue).push(follow_up);
    }

    fn take(&self) -> Vec<FollowUp> {
        std::mem::take(&mut *lock(&self.queue))
    }
}

impl Engine {
    /// Does what finished runs left to do. What a store could not take
    /// (it is down) is kept, and tried again at the next turn: a retry is
    /// not lost to an outage.
    pub(super) async fn follow_up(&self, now: Timestamp) {
        let mut again = Vec::new();
        for follow_up in self.follow_ups.take() {
            match follow_up {
                FollowUp::Retry {
                    store,
                    job,
                    scheduled,
                    attempt,
                    due,
                } => {
                    let run = RunOf::new(&*job.id, scheduled, attempt, PendingRunKind::Retry);
                    match self.store_pending_run(&store, &job, run, due).await {
                        Err(error) if self.store(&store).is_ok() => {
                            tracing::warn!(
                                job = %job.id,
                                %scheduled,
                                attempt,
                                %error,
                                "cannot store the retry of a failed run yet; trying again"
                            );
                            again.push(FollowUp::Retry {
                                store,
                                job,
                                scheduled,
                                attempt,
                                due,
                            });
                        }
                        Ok(()) => tracing::warn!(
                            job = %job.id,
                            %scheduled,
                            attempt,
                            due = %due,
                            "run failed: attempt {attempt} of {} due in {:#}",
                            job.retry().map_or(attempt, |retry| retry.max_attempts()),
                            due.duration_since(now).max(jiff::SignedDuration::ZERO)
                        ),
                        Err(error) => tracing::error!(
                            job = %job.id,
                            %scheduled,
                            attempt,
                            %error,
                            "cannot store the retry of a failed run: it is not retried"
                        ),
                    }
                }
                FollowUp::Failed {
                    store,
                    job,
                    scheduled,
                    attempt,
                    error,
                } => {
                    if let Err(failure) = self
                        .count_failure(&store, &job, scheduled, attempt, &error)
                        .await
                    {
                        if self.store(&store).is_ok() {
                            tracing::warn!(
                                job = %job.id,
                                error = %failure,
                                "cannot count the job's failed runs for pause_after_failures \
                                 yet; trying again"
                            );
                            again.push(FollowUp::Failed {
                                store,
                                job,
                                scheduled,
                                attempt,
                                error,
                            });
                        } else {
                            tracing::error!(
                                job = %job.id,
                                error = %failure,
                                "cannot count the job's failed runs for pause_after_failures"
                            );
                        }
                    }
                }
                FollowUp::Succeeded { store, job } => {
                    lock(&self.follow_ups.failures).remove(&(store, Arc::clone(&job.id)));
                }
            }
        }
        for follow_up in again {
            self.follow_ups.push(follow_up);
        }
    }

    /// Stores the run job of `run` (of `job`, in store `store_name`), due
    /// at `due`; one already stored under its id is left as it is.
    async fn store_pending_run(
        &self,
        store_name: &str,
        job: &Job,
        run: RunOf,
        due: Timestamp,
    ) -> Result<()> {
        let store = self.store(store_name)?;
        let run_job = job.pending_run(run, due);
        match store.add_job(run_job, false).await {
            Ok(()) => {}
            Err(error) if error.is_conflict() => return Ok(()),
            Err(error) => return Err(error),
        }
        self.wakeup.wake_for(Some(due));
        Ok(())
    }

    /// Adds the pending run `run` of its job, due at `due`, stored beside
    /// the job so that one scheduler sharing its store runs it (once,
    /// however often it is added).
    pub(crate) async fn add_pending_run(&self, run: RunOf, due: Timestamp) -> Result<()> {
        let (name, _, job) = self.find(&run.job).await?;
        if job.run_of.is_some() {
            return Err(crate::Error::invalid(
                "job",
                format!(
                    "{:?} is a pending run itself: give the id of its job",
                    run.job
                ),
            ));
        }
        if run.attempt == 0 {
            return Err(crate::Error::invalid(
                "attempt",
                "0 is not allowed: at least 1",
            ));
        }
        self.store_pending_run(&name, &job, run, due).await
    }

    /// Counts the failed fire time `scheduled` of `job`, and pauses the
    /// job when its last `pause_after_failures` fire times failed.
    async fn count_failure(
        &self,
        store_name: &str,
        job: &Job,
        scheduled: Timestamp,
        attempt: u32,
        error: &str,
    ) -> Result<()> {
        let Some(limit) = job.pause_after_failures() else {
            return Ok(());
        };
        let store = self.store(store_name)?;
        let failures = match store.history() {
            Some(history) => {
                self.recorder.flush_store(store_name).await;
                // This fire time, and the failed ones before it up to the
                // latest success.
                let query = RunQuery::new().job(&*job.id).limit(
                    usize::try_from(limit)
                        .unwrap_or(usize::MAX)
                        .saturating_mul(
                            job.retry().map_or(1, |retry| retry.max_attempts() as usize),
                        )
                        .saturating_add(16),
                );
                let runs = history.list_runs(&query).await?;
                1 + failed_in_a_row(&runs, job, scheduled)
            }
            None => {
                let mut failures = lock(&self.follow_ups.failures);
                let count = failures
                    .entry((Arc::from(store_name), Arc::clone(&job.id)))
                    .or_default();
                *count += 1;
                *count
            }
        };
        if failures < limit {
            return Ok(());
        }
        self.pause_after_failures(store.as_ref(), store_name, job, limit, attempt, error)
            .await
    }

    /// Pauses `job` after `limit` failed fire times in a row, the last
    /// with `error`: the reason kept with the job, an event and a log line.
    async fn pause_after_failures(
        &self,
        store: &dyn JobStore,
        store_name: &str,
        job: &Job,
        limit: u32,
        attempt: u32,
        error: &str,
    ) -> Result<()> {
        let Some(mut current) = store.get_job(&job.id).await? else {
            return Ok(());
        };
        if current.is_paused() {
            return Ok(());
        }
        let tries = if attempt > 1 {
            format!(" (after {attempt} attempts)")
        } else {
            String::new()
        };
        let reason = format!(
            "paused after {limit} failed run(s) in a row (pause_after_failures = {limit}); \
             last error{tries}: {error}"
        );
        current.next_run_time = None;
        current.paused_reason = Some(Arc::new(reason.clone()));
        store.update_job(current).await?;
        lock(&self.follow_ups.failures).remove(&(Arc::from(store_name), Arc::clone(&job.id)));
        tracing::error!(
            job = %job.id,
            failures = limit,
            last_error = %error,
            "job {:?} paused: its last {limit} run(s) failed (pause_after_failures = {limit}); last error: {error}",
            &*job.id
        );
        let mut event = Event::new(EventKind::JobPaused).with_job(&job.id, store_name);
        event.error = Some(reason);
        event.attempt = attempt;
        self.emit(event);
        Ok(())
    }
}

/// How many fire times of `job` before `scheduled` failed in a row, from
/// its records `runs` (newest first): each fire time's latest attempt
/// failed and is not retried; fire times still running, retried, missed
/// or interrupted are passed over; a success ends the count.
fn failed_in_a_row(runs: &[crate::history::RunRecord], job: &Job, scheduled: Timestamp) -> u32 {
    let mut count = 0;
    let mut index = 0;
    while index < runs.len() {
        let time = runs[index].scheduled_time;
        let end = runs[index..]
            .iter()
            .position(|run| run.scheduled_time != time)
            .map_or(runs.len(), |offset| index + offset);
        let group = &runs[index..end];
        index = end;
        if time >= scheduled {
            continue;
        }
        if group.iter().any(|run| run.status == RunStatus::Success) {
            break;
        }
        let Some(last) = group.iter().max_by_key(|run| run.attempt) else {
            continue;
        };
        let failed = matches!(
            last.status,
            RunStatus::Error | RunStatus::Panic | RunStatus::Timeout
        ) && !job
            .retry()
            .is_some_and(|retry| retry.retries(last.attempt, last.status, last.exit_status));
        if failed {
            count += 1;
        }
    }
    count
}
