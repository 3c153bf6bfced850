//! Pending runs: a run of one fire time of a job that is not the
//! trigger's next — a retry after a failure, a fire time buffered while
//! the job was busy, a backfilled one — kept in the job store as a
//! one-shot *run job* beside its parent, so that every scheduler sharing
//! the store sees it and exactly one runs it.
//!
//! A run job is an ordinary stored job with a [`RunOf`]: its id is derived
//! from the parent's id, the fire time and the attempt
//! ([`pending_run_id`]), so adding it twice adds it once; its trigger is a
//! date trigger at the time it is due. Stores claim and settle it like any
//! job. When it fires, the scheduler runs the *parent's* task with the
//! parent's current arguments and options (its executor, `max_instances`,
//! retries), and records the run under the parent's id, for the original
//! fire time, as attempt [`RunOf::attempt`]. The run job keeps a copy of
//! the parent's task, arguments and options from when it was added, which
//! serves when the parent is gone by itself — a one-shot job whose trigger
//! is done, retried after its only run failed. Removing the parent
//! through a scheduler (or `tempora jobs remove`) removes its run jobs.

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Job, JobOptions, MisfireGraceTime};
use crate::trigger::DateTrigger;

/// Why a pending run exists.
///
/// In JSON it reads `"retry"`, `"buffered"` or `"backfill"`.
///
/// ```
/// use tempora::job::PendingRunKind;
///
/// assert_eq!(PendingRunKind::Retry.to_string(), "retry");
/// assert_eq!(serde_json::to_string(&PendingRunKind::Backfill)?, "\"backfill\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PendingRunKind {
    /// A failed run tried again (see [`Retry`](super::Retry)).
    Retry,
    /// A fire time that came while the job was running, run after it.
    Buffered,
    /// A past fire time run on request.
    Backfill,
}

impl PendingRunKind {
    /// The lowercase name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            PendingRunKind::Retry => "retry",
            PendingRunKind::Buffered => "buffered",
            PendingRunKind::Backfill => "backfill",
        }
    }
}

impl fmt::Display for PendingRunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a run job stands for: a run of job `job` for fire time
/// `scheduled_time`, as attempt `attempt`.
///
/// ```
/// use tempora::job::{PendingRunKind, RunOf};
///
/// let run = RunOf::new("report", "2026-01-01T09:00:00Z".parse()?, 2, PendingRunKind::Retry);
/// assert_eq!(run.job, "report");
/// assert_eq!(run.attempt, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOf {
    /// The parent job's id: whose task runs, and under whose id the run
    /// is recorded.
    pub job: String,
    /// The fire time the run is for, as its record keeps it.
    pub scheduled_time: Timestamp,
    /// The attempt: 1 for a first run (buffered, backfill), 2 and on for
    /// retries.
    pub attempt: u32,
    /// Why it exists.
    pub kind: PendingRunKind,
}

impl RunOf {
    /// A run of job `job` for `scheduled_time`, attempt `attempt`.
    pub fn new(
        job: impl Into<String>,
        scheduled_time: Timestamp,
        attempt: u32,
        kind: PendingRunKind,
    ) -> RunOf {
        RunOf {
            job: job.into(),
            scheduled_time,
            attempt,
            kind,
        }
    }
}

/// The id of the run job of attempt `attempt` of `parent`'s fire time
/// `scheduled_time`: the same for the same three, so that adding the run
/// job twice (by two nodes, or again after a crash) adds it once.
///
/// ```
/// use tempora::job::pending_run_id;
///
/// let id = pending_run_id("report", "2026-01-01T09:00:00Z".parse()?, 2);
/// assert_eq!(id, "report@2026-01-01T09:00:00Z#2");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pending_run_id(parent: &str, scheduled_time: Timestamp, attempt: u32) -> String {
    format!("{parent}@{scheduled_time}#{attempt}")
}

impl Job {
    /// The run job of a pending run of this job: `run` (whose `job` must
    /// be this job's id), due at `due`. Add it to the job's store with
    /// `add_job(run_job, false)`, taking an "exists" error
    /// ([`Error::is_conflict`](crate::Error::is_conflict)) as done; a
    /// scheduler's [`add_pending_run`](crate::scheduler::AsyncScheduler::add_pending_run)
    /// does both.
    ///
    /// The run job keeps a copy of the parent's task, arguments and
    /// options (but its labels), used only when the parent is gone when
    /// it fires: otherwise the scheduler runs the parent as it is then. It
    /// is never missed however late it fires.
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults, PendingRunKind, RunOf};
    /// use tempora::trigger::IntervalTrigger;
    /// use tempora::jiff::{SignedDuration, Timestamp};
    ///
    /// let now: Timestamp = "2026-01-01T09:00:00Z".parse()?;
    /// let trigger = IntervalTrigger::builder().hours(1).timezone("UTC").build()?;
    /// let job = JobBuilder::new("report", trigger).id("report").build_at(&JobDefaults::default(), now)?;
    /// let due = now + SignedDuration::from_secs(30);
    /// let run = job.pending_run(RunOf::new("report", now, 2, PendingRunKind::Retry), due);
    /// assert_eq!(run.id(), "report@2026-01-01T09:00:00Z#2");
    /// assert_eq!(run.next_run_time(), Some(due));
    /// assert_eq!(run.run_of().map(|run| run.attempt), Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pending_run(&self, run: RunOf, due: Timestamp) -> Job {
        let options = JobOptions {
            misfire_grace_time: MisfireGraceTime::Unlimited,
            coalesce: true,
            labels: Default::default(),
            ..(*self.options).clone()
        };
        Job {
            id: Arc::from(pending_run_id(&run.job, run.scheduled_time, run.attempt)),
            name: Arc::clone(&self.name),
            task: self.task.clone(),
            args: self.args.clone(),
            trigger: DateTrigger::new(due).into(),
            options: Arc::new(options),
            next_run_time: Some(due),
            previous_fire_time: None,
            run_of: Some(Arc::new(run)),
            paused_reason: None,
        }
    }

    /// The parent a run job stands in for when the parent is gone: the
    /// copy of its task, arguments and options, under its id.
    pub(crate) fn stand_in_parent(&self) -> Option<Job> {
        let run = self.run_of.as_deref()?;
        Some(Job {
            id: Arc::from(run.job.as_str()),
            run_of: None,
            ..self.clone()
        })
    }

    /// What this job stands for when it is a run job: the pending run of
    /// another job; `None` for a job of its own.
    pub fn run_of(&self) -> Option<&RunOf> {
        self.run_of.as_deref()
    }
}
