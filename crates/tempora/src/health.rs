//! The health of a store's jobs, as a probe asks it: which jobs are
//! failing (their latest finished run failed) and which are stale (due
//! longer ago than a grace, so no scheduler is running them).
//!
//! [`check_health`] reads it from any store; `tempora health` prints it
//! and exits with a status a monitor reads, and an HTTP readiness route can
//! answer from it.
//!
//! ```
//! use tempora::health::{HealthOptions, check_health};
//! use tempora::history::{RunRecord, RunStatus};
//! use tempora::job::{JobBuilder, JobDefaults};
//! use tempora::jiff::{SignedDuration, Timestamp};
//! use tempora::store::{JobStore, MemoryStore};
//! use tempora::trigger::IntervalTrigger;
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let store = MemoryStore::with_history();
//! let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
//! let trigger = IntervalTrigger::builder().hours(1).start_date(start).timezone("UTC").build()?;
//! let job = JobBuilder::new("backup", trigger).id("backup").build_at(&JobDefaults::default(), start)?;
//! store.add_job(job, false).await?;
//!
//! // Due at 00:00 and nothing took it: stale at 00:05 (grace 1 minute).
//! let now: Timestamp = "2026-01-01T00:05:00Z".parse()?;
//! let report = check_health(&store, now, &HealthOptions::default()).await?;
//! assert!(!report.is_healthy());
//! assert_eq!(report.stale[0].job_id, "backup");
//! assert_eq!(report.stale[0].overdue, SignedDuration::from_mins(5));
//!
//! // Its latest run failed: failing too.
//! let history = store.history().expect("made with history");
//! let run = RunRecord::running("backup", start, "node-a", start, start)
//!     .finish(RunStatus::Error, start, None, Some("disk full".into()));
//! history.record_run(&run).await?;
//! let report = check_health(&store, now, &HealthOptions::default()).await?;
//! assert_eq!(report.failing[0].status, RunStatus::Error);
//! assert_eq!(report.failing[0].error.as_deref(), Some("disk full"));
//! assert_eq!(report.to_json()["status"], "unhealthy");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Result;
use crate::history::{RunQuery, RunStatus};
use crate::store::JobStore;

/// How [`check_health`] judges.
///
/// ```
/// use tempora::health::HealthOptions;
/// use tempora::jiff::SignedDuration;
///
/// let options = HealthOptions::default().grace(SignedDuration::from_mins(5));
/// assert_eq!(options.grace, SignedDuration::from_mins(5));
/// assert_eq!(HealthOptions::default().grace, SignedDuration::from_mins(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthOptions {
    /// How long past its due time a job may wait before it is stale:
    /// a scheduler that runs takes a due job within a second, or within
    /// its lease when the node that held it died.
    pub grace: SignedDuration,
    /// How long a node's last heartbeat may be old for it to count as
    /// live.
    pub lease: SignedDuration,
}

impl Default for HealthOptions {
    /// A grace of one minute, the default lease.
    fn default() -> HealthOptions {
        HealthOptions {
            grace: SignedDuration::from_mins(1),
            lease: crate::scheduler::DEFAULT_LEASE,
        }
    }
}

impl HealthOptions {
    /// The same options with a grace of `grace`.
    pub fn grace(mut self, grace: SignedDuration) -> HealthOptions {
        self.grace = grace;
        self
    }

    /// The same options with nodes live while their heartbeat is younger
    /// than `lease`.
    pub fn lease(mut self, lease: SignedDuration) -> HealthOptions {
        self.lease = lease;
        self
    }
}

/// A job whose latest finished run failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailingJob {
    /// The job's id.
    pub job_id: String,
    /// How its latest finished run ended: error, panic, timeout, missed or
    /// interrupted.
    pub status: RunStatus,
    /// The fire time that run was for.
    pub scheduled_time: Timestamp,
    /// When it ended.
    pub finished: Option<Timestamp>,
    /// Its error text.
    pub error: Option<String>,
}

/// A job due longer ago than the grace: no scheduler is running it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleJob {
    /// The job's id.
    pub job_id: String,
    /// When it was due.
    pub due: Timestamp,
    /// How long ago that is.
    #[serde(rename = "overdue_seconds", serialize_with = "whole_seconds")]
    pub overdue: SignedDuration,
}

fn whole_seconds<S: serde::Serializer>(
    duration: &SignedDuration,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_i64(duration.as_secs())
}

/// What [`check_health`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthReport {
    /// When it was checked.
    pub checked_at: Timestamp,
    /// How many jobs the store has (pending runs left out).
    pub jobs: usize,
    /// The jobs whose latest finished run failed, by id.
    pub failing: Vec<FailingJob>,
    /// The jobs due longer ago than the grace, by id.
    pub stale: Vec<StaleJob>,
    /// The live nodes, when the store keeps node records.
    pub live_nodes: Option<usize>,
    /// False when the store keeps no run history: failures cannot be
    /// seen.
    pub history: bool,
}

impl HealthReport {
    /// True when no job is failing or stale.
    pub fn is_healthy(&self) -> bool {
        self.failing.is_empty() && self.stale.is_empty()
    }

    /// The report as JSON: `status` (`healthy` or `unhealthy`),
    /// `checked_at`, `jobs`, `failing` (`job_id`, `status`,
    /// `scheduled_time`, `finished`, `error`), `stale` (`job_id`, `due`,
    /// `overdue_seconds`), `live_nodes` and `history`.
    pub fn to_json(&self) -> Value {
        json!({
            "status": if self.is_healthy() { "healthy" } else { "unhealthy" },
            "checked_at": self.checked_at,
            "jobs": self.jobs,
            "failing": self.failing,
            "stale": self.stale,
            "live_nodes": self.live_nodes,
            "history": self.history,
        })
    }
}

/// How many of a job's newest records are read to find its latest
/// finished one (retries and runs in progress come first).
const RECORDS_READ: usize = 10;

/// The health of `store`'s jobs at `now`: each job (pending runs left out)
/// is failing when its latest finished run in the history failed
/// ([`RunStatus::is_failure`]), and stale when it is not paused and its
/// next run time is more than `options.grace` before `now`. Reads the job
/// list, a few history records per job, and the node records.
///
/// # Errors
///
/// A store error: the store cannot be reached, or failed.
///
/// # Cancel safety
///
/// Cancel safe: it only reads.
pub async fn check_health(
    store: &dyn JobStore,
    now: Timestamp,
    options: &HealthOptions,
) -> Result<HealthReport> {
    let jobs: Vec<_> = store
        .list_jobs()
        .await?
        .into_iter()
        .filter(|job| job.run_of().is_none())
        .collect();
    let mut stale = Vec::new();
    for job in &jobs {
        if job.is_paused() {
            continue;
        }
        if let Some(due) = job.next_run_time() {
            let overdue = now.duration_since(due);
            if overdue > options.grace {
                stale.push(StaleJob {
                    job_id: job.id().to_owned(),
                    due,
                    overdue,
                });
            }
        }
    }
    let mut failing = Vec::new();
    if let Some(history) = store.history() {
        for job in &jobs {
            let records = history
                .list_runs(&RunQuery::new().job(job.id()).limit(RECORDS_READ))
                .await?;
            let latest = records.into_iter().find(|run| run.status.is_finished());
            if let Some(run) = latest.filter(|run| run.status.is_failure()) {
                failing.push(FailingJob {
                    job_id: run.job_id,
                    status: run.status,
                    scheduled_time: run.scheduled_time,
                    finished: run.finished,
                    error: run.error,
                });
            }
        }
    }
    let live_nodes = match store.nodes() {
        Some(nodes) if !store.locality().is_process() => {
            let (records, store_now) = nodes.list_nodes(now).await?;
            Some(
                records
                    .iter()
                    .filter(|node| node.is_live(store_now, options.lease))
                    .count(),
            )
        }
        _ => None,
    };
    failing.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    stale.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    Ok(HealthReport {
        checked_at: now,
        jobs: jobs.len(),
        failing,
        stale,
        live_nodes,
        history: store.history().is_some(),
    })
}
