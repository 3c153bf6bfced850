//! Overlap policies and backfill in the engine: the fire times a job's
//! policy keeps (`scheduler::plan` decides which) stored as pending runs
//! once their claim is won; the run that `cancel_other` replaces cancelled
//! — on this node at once, on the node that runs it at its next look; and
//! a backfill's fire times queued as pending runs.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::Timestamp;

use super::Engine;
use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::history::RunRecord;
use crate::job::{Job, Overlap, PendingRunKind, RunOf, pending_run_id};
use crate::scheduler::plan::{Buffered, PENDING_RUN_POSTPONED};
use crate::store::JobStore;
use crate::sync::lock;

/// The id of the one pending run that `buffer_one` and `cancel_other`
/// keep for job `job_id`: one id, so that the store keeps one at most,
/// whichever node keeps it.
pub(crate) fn buffered_run_id(job_id: &str) -> String {
    format!("{job_id}@buffered")
}

/// Why `cancel_other` cancels a run: the fire time that replaces it.
fn replaced_by(time: Timestamp) -> String {
    format!("overlap = \"cancel_other\": the fire time {time} replaces it")
}

impl Engine {
    /// Stores the fire times that the won plans of store `store_name`
    /// kept, as pending runs of their jobs, and tells each (`JobBuffered`);
    /// a fire time that finds one already kept under `buffer_one` or
    /// `cancel_other` is dropped instead (a missed record and
    /// `JobMaxInstances`). Under `cancel_other` the oldest run of the job
    /// on this node is cancelled.
    pub(super) async fn keep_buffered(
        &self,
        store_name: &str,
        store: &Arc<dyn JobStore>,
        kept: Vec<Buffered>,
        now: Timestamp,
    ) {
        // Due when the runs put off now are looked at again, not before
        // them: kept fire times then run in the order of their fire times.
        let due = now
            .checked_add(PENDING_RUN_POSTPONED)
            .unwrap_or(Timestamp::MAX);
        for Buffered { job, policy, times } in kept {
            for time in times {
                let run = RunOf::new(&*job.id, time, 1, PendingRunKind::Buffered);
                let mut run_job = job.pending_run(run, due);
                if policy != Overlap::BufferAll {
                    run_job.id = Arc::from(buffered_run_id(&job.id));
                }
                match store.add_job(run_job, false).await {
                    Ok(()) => {
                        tracing::info!(
                            job = %job.id,
                            scheduled = %time,
                            "run buffered: it runs once the runs of the job before it have ended \
                             (overlap = \"{policy}\")"
                        );
                        self.emit(
                            Event::new(EventKind::JobBuffered)
                                .with_job(&job.id, store_name)
                                .with_run_times(vec![time]),
                        );
                        if policy == Overlap::CancelOther {
                            self.note_replaceable(&job, store_name);
                            self.cancel_oldest_run(&job.id, &replaced_by(time));
                        }
                        self.wakeup.wake_for(Some(due));
                    }
                    Err(error) if error.is_conflict() && policy != Overlap::BufferAll => {
                        self.drop_buffered(store_name, store, &job, policy, time, now)
                            .await;
                    }
                    Err(error) if error.is_conflict() => {}
                    Err(error) => tracing::error!(
                        job = %job.id,
                        scheduled = %time,
                        %error,
                        "cannot keep a buffered fire time: it does not run"
                    ),
                }
            }
        }
    }

    /// The claimed jobs (of `store`) whose policy keeps fire times and
    /// that have one waiting to run: a new fire time of theirs does not
    /// start before it, even when the job is free — it is kept after it
    /// (`buffer_all`) or dropped (`buffer_one`, `cancel_other`). The
    /// waiting one is `buffer_one`'s and `cancel_other`'s one pending run,
    /// or `buffer_all`'s of the previous fire time (kept fire times run in
    /// order, so an older one waits only if that one does).
    pub(super) async fn waiting_behind_kept(
        &self,
        store: &Arc<dyn JobStore>,
        claimed: &[Job],
    ) -> HashSet<Arc<str>> {
        let mut waiting = HashSet::new();
        for job in claimed {
            let id = match job.overlap() {
                Some(Overlap::BufferOne | Overlap::CancelOther) => buffered_run_id(&job.id),
                Some(Overlap::BufferAll) => match job.previous_fire_time {
                    Some(previous) => pending_run_id(&job.id, previous, 1),
                    None => continue,
                },
                _ => continue,
            };
            match store.get_job(&id).await {
                Ok(Some(_)) => {
                    waiting.insert(Arc::clone(&job.id));
                }
                Ok(None) => {}
                Err(error) => tracing::debug!(
                    job = %job.id,
                    %error,
                    "cannot look for a kept fire time of the job"
                ),
            }
        }
        waiting
    }

    /// Drops fire time `time` of `job`: one is kept already.
    async fn drop_buffered(
        &self,
        store_name: &str,
        store: &Arc<dyn JobStore>,
        job: &Job,
        policy: Overlap,
        time: Timestamp,
        now: Timestamp,
    ) {
        let message =
            format!("run skipped: a fire time is buffered already (overlap = \"{policy}\")");
        tracing::warn!(job = %job.id, scheduled = %time, "{message}");
        self.emit(Event::runs_refused(
            &job.id,
            store_name,
            vec![time],
            message.clone(),
        ));
        if store.history().is_some() {
            let record = RunRecord::missed(&*job.id, time, self.recorder.node(), now, 1, message);
            self.recorder
                .write(store_name, store.as_ref(), &record)
                .await;
        }
    }

    /// Notes that job `job` (of store `store_name`) runs here under
    /// `cancel_other`, so that a fire time kept on another node to
    /// replace its run is found ([`Engine::cancel_replaced`]).
    pub(super) fn note_replaceable(&self, job: &Job, store_name: &str) {
        lock(&self.replaceable).insert(Arc::clone(&job.id), Arc::from(store_name));
    }

    /// Cancels the oldest run here of each `cancel_other` job for which a
    /// fire time waits to replace it (kept by any node).
    pub(super) async fn cancel_replaced(&self) {
        let watched: Vec<(Arc<str>, Arc<str>)> = lock(&self.replaceable)
            .iter()
            .map(|(job, store)| (Arc::clone(job), Arc::clone(store)))
            .collect();
        for (job, store_name) in watched {
            if !self.runs_here(&job) {
                lock(&self.replaceable).remove(&job);
                continue;
            }
            let Ok(store) = self.store(&store_name) else {
                continue;
            };
            match store.get_job(&buffered_run_id(&job)).await {
                Ok(Some(waiting)) => {
                    if let Some(run) = waiting.run_of()
                        && self.cancel_oldest_run(&job, &replaced_by(run.scheduled_time))
                    {
                        tracing::info!(
                            job = %job,
                            replaced_by = %run.scheduled_time,
                            "run cancelled: a newer fire time replaces it (overlap = \"cancel_other\")"
                        );
                    }
                }
                Ok(None) => {}
                Err(error) => tracing::debug!(
                    job = %job,
                    %error,
                    "cannot look for a fire time replacing the job's run"
                ),
            }
        }
    }

    /// Queues each fire time of job `id` from `from` through `to` as a
    /// pending backfill run; returns the fire times.
    pub(crate) async fn backfill(
        &self,
        id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        let (store_name, store, job) = self.find(id).await?;
        if job.run_of().is_some() {
            return Err(Error::invalid(
                "id",
                format!("{id:?} is a pending run itself: give the id of its job"),
            ));
        }
        if job.is_paused() {
            return Err(Error::invalid(
                "id",
                format!("job {id:?} is paused: resume it first, or its backfill runs are dropped"),
            ));
        }
        let now = self.clock.now();
        let times = job.backfill_times(from, to, now)?;
        let mut queued = 0usize;
        for time in &times {
            let run = RunOf::new(id, *time, 1, PendingRunKind::Backfill);
            match store.add_job(job.pending_run(run, now), false).await {
                Ok(()) => {
                    queued += 1;
                    self.emit(
                        Event::new(EventKind::JobBuffered)
                            .with_job(id, &store_name)
                            .with_run_times(vec![*time]),
                    );
                }
                Err(error) if error.is_conflict() => {}
                Err(error) => return Err(error),
            }
        }
        tracing::info!(
            job = %id,
            from = %from,
            to = %to,
            fire_times = times.len(),
            queued,
            "backfill queued"
        );
        self.wakeup.wake_for(Some(now));
        Ok(times)
    }
}
