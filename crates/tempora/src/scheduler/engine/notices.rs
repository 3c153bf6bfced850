//! Notices (see [`crate::notify`]): what finished, missed and succeeding
//! runs leave to tell, and the notice jobs that tell it — added to the
//! job's store under ids that make each notice once across the nodes —
//! and the stale checks of jobs with `expect_success_within`, armed when
//! the job is added and moved on at each success.
//!
//! Runs only queue what they leave (they end on executors' threads); the
//! loop adds the notice jobs at its next turn, after the follow-ups.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;

use super::Engine;
use crate::error::Result;
use crate::event::EventKind;
use crate::history::RunStatus;
use crate::job::{Job, Retry};
use crate::notify::{
    CHANNELS, Delivery, NOTIFY, Notice, NoticeKind, Notify, delivery_of, notice_id, notice_job,
    notice_jobs, stale_check_id, stale_marker_id,
};
use crate::scheduler::plan;
use crate::store::{JobStore, Release};
use crate::sync::lock;
use crate::task::RunDetail;

/// What one run leaves to tell.
enum Pending {
    /// The fire time `scheduled` of `job` failed for good at attempt
    /// `attempt`.
    Failed {
        store: Arc<str>,
        job: Job,
        scheduled: Timestamp,
        attempt: u32,
        status: RunStatus,
        error: Option<String>,
        detail: RunDetail,
    },
    /// A run of `job` succeeded.
    Succeeded {
        store: Arc<str>,
        job: Job,
        scheduled: Timestamp,
        attempt: u32,
    },
    /// The fire times `run_times` of job `job_id` were missed, as
    /// `message` says; the job is looked up for its settings.
    Missed {
        store: Arc<str>,
        job_id: Arc<str>,
        job: Option<Job>,
        run_times: Vec<Timestamp>,
        message: Option<String>,
    },
    /// A stale check (`check`) delivered its notice, or gave up: its job
    /// is stale until it succeeds.
    Stale { store: Arc<str>, check: Job },
}

/// The scheduler's default notify settings, and what runs left to tell.
pub(super) struct Notices {
    default: Option<Notify>,
    queue: Mutex<Vec<Pending>>,
}

impl Notices {
    pub(super) fn new(default: Option<Notify>) -> Notices {
        Notices {
            default,
            queue: Mutex::new(Vec::new()),
        }
    }

    /// Where `job`'s notices go: its own settings, or the default; none
    /// for a notice job (a failed delivery is not told by another).
    fn notify_for<'a>(&'a self, job: &'a Job) -> Option<&'a Notify> {
        if job.task().name() == Some(NOTIFY) {
            return None;
        }
        job.notify().or(self.default.as_ref())
    }

    /// True when a finished run of `job` may leave something to tell, so
    /// that its run keeps a copy of the job.
    pub(super) fn watches(&self, job: &Job) -> bool {
        self.notify_for(job).is_some()
    }

    /// Notes how a run of `job` (of store `store`) for `scheduled` ended
    /// as attempt `attempt`: `retried` when it is tried again.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run_ended(
        &self,
        store: &Arc<str>,
        job: &Job,
        scheduled: Timestamp,
        attempt: u32,
        status: RunStatus,
        error: Option<&str>,
        detail: &RunDetail,
        retried: bool,
    ) {
        let failed = matches!(
            status,
            RunStatus::Error | RunStatus::Panic | RunStatus::Timeout
        );
        if retried || !(failed || status == RunStatus::Success) {
            return;
        }
        if is_stale_check(job) {
            self.push(Pending::Stale {
                store: Arc::clone(store),
                check: job.clone(),
            });
            return;
        }
        let Some(notify) = self.notify_for(job) else {
            return;
        };
        if status == RunStatus::Success {
            if job.expect_success_within().is_some() {
                self.push(Pending::Succeeded {
                    store: Arc::clone(store),
                    job: job.clone(),
                    scheduled,
                    attempt,
                });
            }
        } else if notify.sends(NoticeKind::Failure) {
            self.push(Pending::Failed {
                store: Arc::clone(store),
                job: job.clone(),
                scheduled,
                attempt,
                status,
                error: error.map(str::to_owned),
                detail: detail.clone(),
            });
        }
    }

    /// Notes the fire times `run_times` of `job` missed while waiting for
    /// a free worker.
    pub(super) fn missed_in_queue(
        &self,
        store: &Arc<str>,
        job: &Job,
        run_times: &[Timestamp],
        message: &str,
    ) {
        if self
            .notify_for(job)
            .is_some_and(|notify| notify.sends(NoticeKind::Missed))
        {
            self.push(Pending::Missed {
                store: Arc::clone(store),
                job_id: Arc::clone(&job.id),
                job: Some(job.clone()),
                run_times: run_times.to_vec(),
                message: Some(message.to_owned()),
            });
        }
    }

    /// Notes the misses among `notices`, told of job `job_id` of store
    /// `store` by the node that won its settlement; `job` is the job as
    /// claimed when the settlement removed it (its trigger done), else it
    /// is read from the store when the notice is sent.
    pub(super) fn missed(
        &self,
        store: &str,
        job_id: &Arc<str>,
        job: Option<Job>,
        notices: &[plan::Notice],
    ) {
        for notice in notices {
            if notice.event.kind == EventKind::JobMissed {
                self.push(Pending::Missed {
                    store: Arc::from(store),
                    job_id: Arc::clone(job_id),
                    job: job.clone(),
                    run_times: notice.event.scheduled_run_times.clone(),
                    message: notice.event.error.clone(),
                });
            }
        }
    }

    fn push(&self, pending: Pending) {
        lock(&self.queue).push(pending);
    }

    fn take(&self) -> Vec<Pending> {
        std::mem::take(&mut *lock(&self.queue))
    }
}

/// True when `job` is a stale check.
fn is_stale_check(job: &Job) -> bool {
    stale_deadline(job).is_some()
}

/// When `job`, a stale check, comes due by the store's clock: its job's
/// last success (or its adding) plus its `expect_success_within`. `None`
/// when `job` is not a stale check.
fn stale_deadline(job: &Job) -> Option<Timestamp> {
    // Most jobs are not notice jobs: their arguments are not read.
    if job.label("notice") != Some(NoticeKind::Stale.as_str()) {
        return None;
    }
    let delivery = delivery_of(job)?;
    let notice = &delivery.notice;
    if notice.kind != NoticeKind::Stale
        || job.id() != stale_check_id(&notice.job, delivery.to.name())
    {
        return None;
    }
    let deadline = match (notice.no_success_since, notice.expect_success_within) {
        (Some(since), Some(within)) => since.checked_add(within).unwrap_or(Timestamp::MAX),
        _ => notice.time,
    };
    Some(deadline)
}

impl Engine {
    /// Adds the notice jobs that the runs finished since the last turn
    /// left to send.
    pub(super) async fn send_notices(&self, now: Timestamp) {
        for pending in self.notices.take() {
            let result = match pending {
                Pending::Failed {
                    store,
                    job,
                    scheduled,
                    attempt,
                    status,
                    error,
                    detail,
                } => {
                    let mut notice = Notice::new(NoticeKind::Failure, job.id(), &self.node, now);
                    notice.job_name = job.name().to_owned();
                    notice.scheduled_time = Some(scheduled);
                    notice.outcome = Some(status.as_str().to_owned());
                    notice.error = error;
                    notice.exit_status = detail.exit_status;
                    notice.output_tail = detail.output;
                    notice.attempt = Some(attempt);
                    self.add_notice(&store, &job, notice, now, |channel| {
                        notice_id(job.id(), NoticeKind::Failure, scheduled, attempt, channel)
                    })
                    .await
                }
                Pending::Missed {
                    store,
                    job_id,
                    job,
                    run_times,
                    message,
                } => {
                    self.send_missed(&store, &job_id, job, &run_times, message, now)
                        .await
                }
                Pending::Succeeded {
                    store,
                    job,
                    scheduled,
                    attempt,
                } => self.succeeded(&store, &job, scheduled, attempt, now).await,
                Pending::Stale { store, check } => self.mark_stale(&store, &check).await,
            };
            if let Err(error) = result {
                tracing::error!(%error, "cannot store a notice: it is not sent");
            }
        }
    }

    /// Adds the notice jobs sending `notice` about `job` through each
    /// channel of its settings, due now, with ids `id_of` makes; one
    /// already there (another node added it) is left as it is.
    async fn add_notice(
        &self,
        store_name: &str,
        job: &Job,
        notice: Notice,
        now: Timestamp,
        id_of: impl Fn(&str) -> String,
    ) -> Result<()> {
        let Some(notify) = self.notices.notify_for(job) else {
            return Ok(());
        };
        if !notify.sends(notice.kind) {
            return Ok(());
        }
        let store = self.store(store_name)?;
        for notice_job in notice_jobs(notify, &notice, now, store_name, id_of) {
            add_once(store.as_ref(), notice_job).await?;
        }
        self.wakeup.wake_for(Some(now));
        Ok(())
    }

    /// Sends the notice of the missed fire times `run_times` of job
    /// `job_id`.
    async fn send_missed(
        &self,
        store_name: &str,
        job_id: &str,
        job: Option<Job>,
        run_times: &[Timestamp],
        message: Option<String>,
        now: Timestamp,
    ) -> Result<()> {
        let Some(scheduled) = run_times.last().copied() else {
            return Ok(());
        };
        let job = match job {
            Some(job) => job,
            None => match self.store(store_name)?.get_job(job_id).await? {
                Some(job) => job,
                // Removed since (by hand): nothing says where its
                // notices go.
                None => return Ok(()),
            },
        };
        let mut notice = Notice::new(NoticeKind::Missed, job_id, &self.node, now);
        notice.job_name = job.name().to_owned();
        notice.scheduled_time = Some(scheduled);
        notice.outcome = Some(RunStatus::Missed.as_str().to_owned());
        notice.error = message;
        self.add_notice(store_name, &job, notice, now, |channel| {
            notice_id(job_id, NoticeKind::Missed, scheduled, 1, channel)
        })
        .await
    }

    /// Arms the stale checks of `job` (just added, of store `store`), due
    /// its `expect_success_within` from now by the store's clock, unless
    /// they are armed already (the job added again, or by another node).
    pub(super) async fn arm_stale_checks(
        &self,
        store: &dyn JobStore,
        job: &Job,
        now: Timestamp,
    ) -> Result<()> {
        if self.stale_checks(job, now).is_empty() {
            return Ok(());
        }
        let since = store.store_now(now).await?;
        for check in self.stale_checks(job, since) {
            add_once(store, check).await?;
        }
        Ok(())
    }

    /// Takes out of `claimed` (jobs of `store` claimed at `now`) the stale
    /// checks that are not due yet by the store's clock — claimed early by
    /// this node, whose clock runs ahead of the store's — and puts each off
    /// by the time it still has to wait; the rest are returned, to run.
    /// The store is asked its time only when a stale check is among them.
    pub(super) async fn hold_early_stale_checks(
        &self,
        store: &dyn JobStore,
        claimed: Vec<Job>,
        now: Timestamp,
    ) -> Result<Vec<Job>> {
        if !claimed.iter().any(is_stale_check) {
            return Ok(claimed);
        }
        let store_now = store.store_now(now).await?;
        let mut due = Vec::with_capacity(claimed.len());
        for job in claimed {
            match stale_deadline(&job) {
                Some(deadline) if deadline > store_now => {
                    let early = deadline.duration_since(store_now);
                    let at = now.checked_add(early).unwrap_or(Timestamp::MAX);
                    tracing::debug!(
                        job = %job.id,
                        early = %format!("{early:#}"),
                        "stale check claimed before its deadline by the store's clock: put off"
                    );
                    store
                        .release(&self.node, &job, Release::Reschedule(at), now)
                        .await?;
                }
                _ => due.push(job),
            }
        }
        Ok(due)
    }

    /// Moves the stale checks of `job` (of store `store`, its notify
    /// settings just changed) onto its settings (see
    /// [`crate::notify::rearm_stale_checks`]).
    pub(super) async fn rearm_stale_checks(
        &self,
        store: &dyn JobStore,
        job: &Job,
        now: Timestamp,
    ) -> Result<()> {
        crate::notify::rearm_stale_checks(
            store,
            job,
            self.notices.default.as_ref(),
            &self.node,
            now,
        )
        .await
    }

    /// The stale checks of `job`, one per channel, due its
    /// `expect_success_within` after `since`.
    fn stale_checks(&self, job: &Job, since: Timestamp) -> Vec<Job> {
        crate::notify::stale_checks(job, self.notices.default.as_ref(), &self.node, since)
    }

    /// A run of `job` with `expect_success_within` succeeded: its stale
    /// checks move on, and if it was stale, `recovered` is sent (by the one
    /// node that removes the mark).
    async fn succeeded(
        &self,
        store_name: &str,
        job: &Job,
        scheduled: Timestamp,
        attempt: u32,
        now: Timestamp,
    ) -> Result<()> {
        let store = self.store(store_name)?;
        for channel in CHANNELS {
            let marker_id = stale_marker_id(job.id(), channel);
            let Some(marker) = store.get_job(&marker_id).await? else {
                continue;
            };
            match store.remove_job(&marker_id).await {
                Ok(()) => {}
                // Another node's success removed it: that node tells.
                Err(error) if error.is_not_found() => continue,
                Err(error) => return Err(error),
            }
            let Some(Delivery {
                notice: stale,
                to: _,
            }) = delivery_of(&marker)
            else {
                continue;
            };
            let mut notice = Notice::new(NoticeKind::Recovered, job.id(), &self.node, now);
            notice.job_name = job.name().to_owned();
            notice.scheduled_time = Some(scheduled);
            notice.outcome = Some(RunStatus::Success.as_str().to_owned());
            notice.attempt = Some(attempt);
            notice.no_success_since = stale.no_success_since;
            let Some(notify) = self.notices.notify_for(job) else {
                continue;
            };
            if !notify.sends(NoticeKind::Recovered) {
                continue;
            }
            let id = notice_id(job.id(), NoticeKind::Recovered, scheduled, attempt, channel);
            for recovered in notice_jobs(notify, &notice, now, store_name, |_| id.clone())
                .into_iter()
                .filter(|recovered| {
                    delivery_of(recovered).is_some_and(|delivery| delivery.to.name() == channel)
                })
            {
                add_once(store.as_ref(), recovered).await?;
            }
            self.wakeup.wake_for(Some(now));
        }
        if !self.stale_checks(job, now).is_empty() {
            let since = store.store_now(now).await?;
            for check in self.stale_checks(job, since) {
                store.add_job(check, true).await?;
            }
        }
        Ok(())
    }

    /// The stale check `check` fired: its job is marked stale (a paused
    /// marker job keeping the notice), until a success removes the mark.
    async fn mark_stale(&self, store_name: &str, check: &Job) -> Result<()> {
        let Some(delivery) = delivery_of(check) else {
            return Ok(());
        };
        let id = stale_marker_id(&delivery.notice.job, delivery.to.name());
        let marker = notice_job(id, &Retry::attempts(1), delivery, None, store_name);
        add_once(self.store(store_name)?.as_ref(), marker).await
    }
}

/// Adds `job` to `store` unless a job of its id is there.
async fn add_once(store: &dyn JobStore, job: Job) -> Result<()> {
    match store.add_job(job, false).await {
        Err(error) if error.is_conflict() => Ok(()),
        other => other,
    }
}
