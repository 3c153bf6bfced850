//! Run history: what happened to each run of each job.
//!
//! A store keeps one [`RunRecord`] per run: the job, the fire time it ran
//! for, the scheduler (*node*) that ran it, when it started and finished,
//! how it ended ([`RunStatus`]), its error text and its duration. Records
//! are keyed by `(job_id, scheduled_time, node, attempt)`: a fire time
//! retried after a failure has one record per attempt (1, 2, …), and
//! [`RunHistory::record_run`](crate::store::RunHistory::record_run) inserts a
//! record or replaces the one with the same key.
//!
//! # The life of a record, and crash recovery
//!
//! 1. Before a run starts, the scheduler records it as
//!    [`RunStatus::Running`] with [`RunRecord::running`], vouching for it
//!    until `alive_until` (now plus its lease).
//! 2. While it runs, the scheduler extends that promise for all its running
//!    records at once with
//!    [`RunHistory::renew_runs`](crate::store::RunHistory::renew_runs).
//! 3. When it ends, the scheduler records it again, same key, with
//!    [`RunRecord::finish`]: success, error, panic or timeout.
//! 4. A run that will not happen (older than its misfire grace time) is
//!    recorded at once as [`RunRecord::missed`].
//!
//! If the scheduler dies in between, its records stay `running`.
//! [`RunHistory::interrupt_runs`](crate::store::RunHistory::interrupt_runs)
//! turns them into [`RunStatus::Interrupted`]: those of a node that restarts
//! under the same id (before it starts any run), and those whose
//! `alive_until` passed (a node that died, whatever its id). A store that
//! measures leases on the database's clock keeps `alive_until` on that
//! clock too, so a node whose clock is off neither takes another node's
//! live runs as interrupted nor undercounts them for `max_instances`.
//!
//! # Example
//!
//! ```
//! use tempora::history::{RunQuery, RunRecord, RunRetention, RunStatus};
//! use tempora::jiff::{SignedDuration, Timestamp};
//! use tempora::store::{JobStore, MemoryStore};
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let store = MemoryStore::with_history();
//! let history = store.history().expect("made with history");
//! let scheduled: Timestamp = "2026-01-01T09:00:00Z".parse()?;
//! let started: Timestamp = "2026-01-01T09:00:01Z".parse()?;
//! let lease = SignedDuration::from_secs(30);
//!
//! let run = RunRecord::running("report", scheduled, "node-a", started, started + lease);
//! history.record_run(&run).await?;
//! let finished = started + SignedDuration::from_secs(2);
//! let run = run.finish(RunStatus::Error, finished, Some(SignedDuration::from_secs(2)), Some("smtp: connection refused".into()));
//! history.record_run(&run).await?;
//!
//! let failed = history.list_runs(&RunQuery::new().job("report").failed_only()).await?;
//! assert_eq!(failed.len(), 1);
//! assert_eq!(failed[0].status, RunStatus::Error);
//! assert_eq!(failed[0].error.as_deref(), Some("smtp: connection refused"));
//!
//! // Keep at most 100 records per job, none older than 30 days.
//! let removed = history.prune_runs(&RunRetention::default(), finished).await?;
//! assert_eq!(removed, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a run ended, or that it is still running.
///
/// Stored as its lowercase name (`"success"`, `"interrupted"`, …), which
/// [`RunStatus::as_str`] gives and [`str::parse`] reads.
///
/// ```
/// use tempora::history::RunStatus;
///
/// let status: RunStatus = "timeout".parse()?;
/// assert_eq!(status, RunStatus::Timeout);
/// assert!(status.is_failure());
/// assert!(!RunStatus::Success.is_failure());
/// assert!(!RunStatus::Running.is_finished());
/// assert_eq!(
///     "exploded".parse::<RunStatus>().unwrap_err().to_string(),
///     "status: \"exploded\" is not one of running, success, error, panic, timeout, missed, interrupted"
/// );
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Started and not finished yet (or its scheduler died: see
    /// [`RunStatus::Interrupted`]).
    Running,
    /// The task returned successfully.
    Success,
    /// The task returned an error.
    Error,
    /// The task panicked, or its worker process crashed.
    Panic,
    /// The task ran longer than it was allowed and was cancelled.
    Timeout,
    /// The run never started: it was later than its misfire grace time.
    Missed,
    /// The run started, but its scheduler stopped (was killed, crashed,
    /// lost power) before it finished.
    Interrupted,
}

impl RunStatus {
    /// Every status, in the order of the declaration.
    pub const ALL: [RunStatus; 7] = [
        RunStatus::Running,
        RunStatus::Success,
        RunStatus::Error,
        RunStatus::Panic,
        RunStatus::Timeout,
        RunStatus::Missed,
        RunStatus::Interrupted,
    ];

    /// The statuses [`RunStatus::is_failure`] is true of.
    pub const FAILURES: [RunStatus; 5] = [
        RunStatus::Error,
        RunStatus::Panic,
        RunStatus::Timeout,
        RunStatus::Missed,
        RunStatus::Interrupted,
    ];

    /// The lowercase name, as stored.
    ///
    /// ```
    /// assert_eq!(tempora::history::RunStatus::Missed.as_str(), "missed");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Success => "success",
            RunStatus::Error => "error",
            RunStatus::Panic => "panic",
            RunStatus::Timeout => "timeout",
            RunStatus::Missed => "missed",
            RunStatus::Interrupted => "interrupted",
        }
    }

    /// True for a run that did not do its work: error, panic, timeout,
    /// missed, interrupted.
    pub fn is_failure(self) -> bool {
        RunStatus::FAILURES.contains(&self)
    }

    /// True unless the run is [`RunStatus::Running`].
    pub fn is_finished(self) -> bool {
        self != RunStatus::Running
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = Error;

    fn from_str(text: &str) -> Result<RunStatus> {
        RunStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = RunStatus::ALL.iter().map(|s| s.as_str()).collect();
                Error::invalid(
                    "status",
                    format!("{text:?} is not one of {}", names.join(", ")),
                )
            })
    }
}

/// One run of one job, as a store keeps it.
///
/// Its key is `(job_id, scheduled_time, node, attempt)`: recording a
/// record with the key of a stored one replaces it. Stores keep times and durations to the
/// microsecond.
///
/// ```
/// use tempora::history::{RunRecord, RunStatus};
/// use tempora::jiff::{SignedDuration, Timestamp};
///
/// let scheduled: Timestamp = "2026-01-01T09:00:00Z".parse()?;
/// let run = RunRecord::running("backup", scheduled, "node-a", scheduled, scheduled + SignedDuration::from_secs(30));
/// assert_eq!(run.status, RunStatus::Running);
/// assert_eq!(run.key(), ("backup", scheduled, "node-a", 1));
/// assert_eq!(run.clone().with_attempt(2).key(), ("backup", scheduled, "node-a", 2));
///
/// let done = run.finish(RunStatus::Success, scheduled + SignedDuration::from_secs(5), Some(SignedDuration::from_secs(5)), None);
/// assert_eq!(done.status, RunStatus::Success);
/// assert_eq!(done.alive_until, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The job's id.
    pub job_id: String,
    /// The fire time the run is for: the latest one when it covers several
    /// (coalesced runs, a batch of missed ones).
    pub scheduled_time: Timestamp,
    /// The scheduler that ran it (or found it missed): its node id.
    pub node: String,
    /// How many fire times the run stands for: 1, or more after coalescing
    /// or for several missed fire times recorded at once.
    pub fire_times: u32,
    /// How it ended, or [`RunStatus::Running`].
    pub status: RunStatus,
    /// When it started; `None` for a run that never started (missed).
    pub started: Option<Timestamp>,
    /// When it ended, or was found missed or interrupted; `None` while
    /// running.
    pub finished: Option<Timestamp>,
    /// How long it ran, measured by the scheduler; `None` while running and
    /// for runs that never started or whose end was not seen.
    pub duration: Option<SignedDuration>,
    /// The error text: the task's error, the panic message, why it was
    /// missed or interrupted.
    pub error: Option<String>,
    /// The exit status of a program the run started (the `command` task),
    /// when it exited; `None` for other tasks and for a program killed by
    /// a signal.
    #[serde(default)]
    pub exit_status: Option<i32>,
    /// The tail of the output of a program the run started (the `command`
    /// task): the last lines of its stdout, then of its stderr; `None` for
    /// other tasks.
    #[serde(default)]
    pub output: Option<String>,
    /// While running: until when its node vouches that the run is alive.
    /// After that, [`RunHistory::interrupt_runs`](crate::store::RunHistory::interrupt_runs)
    /// takes the run as interrupted. `None` once finished.
    ///
    /// A store that measures leases on its own clock
    /// ([`LeaseClock::Database`](crate::store::LeaseClock::Database)) keeps
    /// it on that clock, so that every node's runs compare on one clock: it
    /// stores its own now plus the promise the node made (`alive_until -
    /// started`), and reads back that instant.
    pub alive_until: Option<Timestamp>,
    /// The first fire time the record stands for, when it covers several
    /// missed ones (`scheduled_time` is the latest): a long outage is one
    /// record with the count, the first and the last. `None` otherwise, and
    /// in records written before it was kept.
    #[serde(default)]
    pub first_scheduled_time: Option<Timestamp>,
    /// Which attempt at its fire time the run is: 1 for the fire time's
    /// run, 2 and on for its retries after failures (see
    /// [`Retry`](crate::job::Retry)). Records written before attempts were
    /// kept read as 1.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
}

/// The attempt of a record that does not say: the first.
fn first_attempt() -> u32 {
    1
}

impl RunRecord {
    /// A run of `job_id` for fire time `scheduled_time` that `node` starts
    /// at `started`, vouched for until `alive_until`.
    pub fn running(
        job_id: impl Into<String>,
        scheduled_time: Timestamp,
        node: impl Into<String>,
        started: Timestamp,
        alive_until: Timestamp,
    ) -> RunRecord {
        RunRecord {
            job_id: job_id.into(),
            scheduled_time,
            node: node.into(),
            fire_times: 1,
            status: RunStatus::Running,
            started: Some(started),
            finished: None,
            duration: None,
            error: None,
            exit_status: None,
            output: None,
            alive_until: Some(alive_until),
            first_scheduled_time: None,
            attempt: 1,
        }
    }

    /// A run of `job_id` for fire time `scheduled_time` (the latest of
    /// `fire_times` missed ones) that `node` found missed at `found`:
    /// later than the misfire grace time allows.
    ///
    /// ```
    /// use tempora::history::{RunRecord, RunStatus};
    /// use tempora::jiff::Timestamp;
    ///
    /// let due: Timestamp = "2026-01-01T09:00:00Z".parse()?;
    /// let found: Timestamp = "2026-01-01T12:00:00Z".parse()?;
    /// let run = RunRecord::missed("backup", due, "node-a", found, 3, "3 run(s) missed: 3h late");
    /// assert_eq!(run.status, RunStatus::Missed);
    /// assert_eq!(run.started, None);
    /// assert_eq!(run.finished, Some(found));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn missed(
        job_id: impl Into<String>,
        scheduled_time: Timestamp,
        node: impl Into<String>,
        found: Timestamp,
        fire_times: u32,
        reason: impl Into<String>,
    ) -> RunRecord {
        RunRecord {
            job_id: job_id.into(),
            scheduled_time,
            node: node.into(),
            fire_times,
            status: RunStatus::Missed,
            started: None,
            finished: Some(found),
            duration: None,
            error: Some(reason.into()),
            exit_status: None,
            output: None,
            alive_until: None,
            first_scheduled_time: None,
            attempt: 1,
        }
    }

    /// The same run covering `fire_times` fire times (after coalescing).
    pub fn with_fire_times(mut self, fire_times: u32) -> RunRecord {
        self.fire_times = fire_times;
        self
    }

    /// The same run as attempt `attempt` (1 for a fire time's first run,
    /// more for its retries).
    pub fn with_attempt(mut self, attempt: u32) -> RunRecord {
        self.attempt = attempt;
        self
    }

    /// The same record, standing for fire times from `first` through its
    /// scheduled time (several missed ones).
    ///
    /// ```
    /// use tempora::history::RunRecord;
    /// use tempora::jiff::Timestamp;
    ///
    /// let first: Timestamp = "2026-01-01T00:00:00Z".parse()?;
    /// let last: Timestamp = "2026-01-01T23:59:59Z".parse()?;
    /// let found: Timestamp = "2026-01-02T00:00:00Z".parse()?;
    /// let run = RunRecord::missed("tick", last, "node-a", found, 86_400, "86400 run(s) missed")
    ///     .with_first_scheduled_time(first);
    /// assert_eq!(run.first_scheduled_time, Some(first));
    /// assert_eq!(run.fire_times, 86_400);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_first_scheduled_time(mut self, first: Timestamp) -> RunRecord {
        self.first_scheduled_time = Some(first);
        self
    }

    /// The same run, ended at `finished` with `status`, having run for
    /// `duration`, with `error` text for a failure.
    pub fn finish(
        mut self,
        status: RunStatus,
        finished: Timestamp,
        duration: Option<SignedDuration>,
        error: Option<String>,
    ) -> RunRecord {
        self.status = status;
        self.finished = Some(finished);
        self.duration = duration;
        self.error = error;
        self.alive_until = None;
        self
    }

    /// The record's key: `(job_id, scheduled_time, node, attempt)`.
    pub fn key(&self) -> (&str, Timestamp, &str, u32) {
        (&self.job_id, self.scheduled_time, &self.node, self.attempt)
    }

    /// What [`RunHistory::interrupt_runs`](crate::store::RunHistory::interrupt_runs)
    /// makes of a running record at `now`: interrupted, with a reason
    /// naming the node. Stores call it so that every backend writes the
    /// same record.
    ///
    /// ```
    /// use tempora::history::{RunRecord, RunStatus};
    /// use tempora::jiff::{SignedDuration, Timestamp};
    ///
    /// let start: Timestamp = "2026-01-01T09:00:00Z".parse()?;
    /// let run = RunRecord::running("backup", start, "node-a", start, start + SignedDuration::from_secs(30));
    /// let later = start + SignedDuration::from_secs(60);
    /// let interrupted = run.interrupted(later);
    /// assert_eq!(interrupted.status, RunStatus::Interrupted);
    /// assert_eq!(interrupted.finished, Some(later));
    /// assert_eq!(
    ///     interrupted.error.as_deref(),
    ///     Some("interrupted: node \"node-a\" stopped before the run finished")
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn interrupted(self, now: Timestamp) -> RunRecord {
        let reason = format!(
            "interrupted: node {:?} stopped before the run finished",
            self.node
        );
        self.finish(RunStatus::Interrupted, now, None, Some(reason))
    }

    /// True when [`RunHistory::interrupt_runs`](crate::store::RunHistory::interrupt_runs)
    /// called with `now` and `node` takes this record as interrupted: it is
    /// running, and it is `node`'s or its `alive_until` is at or before
    /// `now`.
    pub fn is_abandoned(&self, now: Timestamp, node: Option<&str>) -> bool {
        self.status == RunStatus::Running
            && (node == Some(self.node.as_str()) || self.alive_until.is_some_and(|t| t <= now))
    }
}

/// Which records [`RunHistory::list_runs`](crate::store::RunHistory::list_runs)
/// returns: newest first (by scheduled time, then job id, then node, then
/// the latest attempt first).
///
/// ```
/// use tempora::history::RunQuery;
///
/// let query = RunQuery::new().job("backup").failed_only().limit(20);
/// assert_eq!(query.job_id.as_deref(), Some("backup"));
/// assert!(query.failed_only);
/// assert_eq!(query.limit, Some(20));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunQuery {
    /// Only this job's runs; every job's when `None`.
    pub job_id: Option<String>,
    /// Only failures ([`RunStatus::is_failure`]).
    pub failed_only: bool,
    /// At most this many records; all when `None`.
    pub limit: Option<usize>,
}

impl RunQuery {
    /// Every record of every job.
    pub fn new() -> RunQuery {
        RunQuery::default()
    }

    /// Only the runs of job `id`.
    pub fn job(mut self, id: impl Into<String>) -> RunQuery {
        self.job_id = Some(id.into());
        self
    }

    /// Only failures.
    pub fn failed_only(mut self) -> RunQuery {
        self.failed_only = true;
        self
    }

    /// At most `limit` records.
    pub fn limit(mut self, limit: usize) -> RunQuery {
        self.limit = Some(limit);
        self
    }

    /// True when `record` passes the job and failure filters (the limit
    /// aside).
    pub fn matches(&self, record: &RunRecord) -> bool {
        self.job_id.as_ref().is_none_or(|id| *id == record.job_id)
            && (!self.failed_only || record.status.is_failure())
    }
}

/// How much history [`RunHistory::prune_runs`](crate::store::RunHistory::prune_runs)
/// keeps. Records still running are never pruned, and do not count.
///
/// The default keeps the 100 newest records of each job, none scheduled
/// more than 30 days ago.
///
/// ```
/// use tempora::history::RunRetention;
/// use tempora::jiff::SignedDuration;
///
/// let default = RunRetention::default();
/// assert_eq!(default.per_job, Some(100));
/// assert_eq!(default.max_age, Some(SignedDuration::from_hours(24 * 30)));
///
/// let week = RunRetention::keep_all().max_age(SignedDuration::from_hours(24 * 7));
/// assert_eq!(week.per_job, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunRetention {
    /// The newest records kept per job (by scheduled time); all when `None`.
    pub per_job: Option<usize>,
    /// Records scheduled longer ago than this are removed; none when `None`.
    pub max_age: Option<SignedDuration>,
}

impl Default for RunRetention {
    fn default() -> RunRetention {
        RunRetention {
            per_job: Some(100),
            max_age: Some(SignedDuration::from_hours(24 * 30)),
        }
    }
}

impl RunRetention {
    /// Keeps every record.
    pub fn keep_all() -> RunRetention {
        RunRetention {
            per_job: None,
            max_age: None,
        }
    }

    /// Keeps the `count` newest records of each job.
    pub fn per_job(mut self, count: usize) -> RunRetention {
        self.per_job = Some(count);
        self
    }

    /// Removes records scheduled more than `age` before now.
    pub fn max_age(mut self, age: SignedDuration) -> RunRetention {
        self.max_age = Some(age);
        self
    }

    /// The scheduled time before which records are removed at `now`, if
    /// any.
    ///
    /// ```
    /// use tempora::history::RunRetention;
    /// use tempora::jiff::{SignedDuration, Timestamp};
    ///
    /// let now: Timestamp = "2026-01-31T00:00:00Z".parse()?;
    /// let retention = RunRetention::keep_all().max_age(SignedDuration::from_hours(24));
    /// assert_eq!(retention.cutoff(now), Some("2026-01-30T00:00:00Z".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cutoff(&self, now: Timestamp) -> Option<Timestamp> {
        self.max_age
            .map(|age| now.saturating_sub(age).unwrap_or(Timestamp::MIN))
    }
}
