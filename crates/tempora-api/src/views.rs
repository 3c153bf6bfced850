//! The JSON shapes of jobs, runs and nodes: what the API answers and what
//! the `tempora` command prints with `--json`, from the same types, so
//! that the two cannot drift apart. Times are RFC 3339 with the offset of
//! the zone they are shown in; durations of runs are seconds.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use tempora::history::RunRecord;
use tempora::job::{Job, Overlap};
use tempora::store::NodeRecord;
use tempora::trigger::Zone;
use utoipa::ToSchema;

/// The label that says who manages a job: `config` for the jobs of the
/// daemon's configuration file, `cli` for those added with `tempora jobs
/// add`, `api` for those added with `POST /v1/jobs`.
pub const ORIGIN: &str = "origin";
/// [`ORIGIN`] of a job added through the API.
pub const ORIGIN_API: &str = "api";
/// The label a pause until an instant sets: the instant (RFC 3339) before
/// which the job's fire times are skipped.
pub const PAUSED_UNTIL: &str = "paused_until";
/// What a value hidden from the output (an environment variable's value)
/// prints as.
pub const HIDDEN: &str = "***";

/// The `paused_until` label of `job`, while it is still ahead of `now`.
pub fn paused_until(job: &Job, now: Timestamp) -> Option<Timestamp> {
    job.label(PAUSED_UNTIL)
        .and_then(|text| text.parse::<Timestamp>().ok())
        .filter(|until| *until > now)
}

/// A job's arguments as they are shown: the values of a command's `env`
/// as [`HIDDEN`] unless `show_secrets`.
pub fn shown_args(args: &Value, show_secrets: bool) -> Value {
    let mut shown = args.clone();
    if !show_secrets && let Some(env) = shown.get_mut("env").and_then(Value::as_object_mut) {
        for value in env.values_mut() {
            *value = Value::from(HIDDEN);
        }
    }
    shown
}

/// A job: `GET /v1/jobs` (a list), `GET /v1/jobs/{id}` (with `runs`),
/// `tempora jobs --json`, `tempora jobs show ID --json`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct JobView {
    /// The job's id.
    pub id: String,
    /// Its readable name.
    pub name: String,
    /// Who manages it: `config`, `cli`, `api`, or `null`.
    #[schema(required = true)]
    pub origin: Option<String>,
    /// The task it calls (`command` for the daemon's jobs).
    #[schema(required = true)]
    pub task: Option<String>,
    /// The task's arguments; the values of a command's `env` as `***`
    /// unless shown.
    pub args: Value,
    /// The trigger, in short: `cron['0 3 * * *', timezone='UTC']`.
    pub trigger: String,
    /// The trigger, in full, as stored.
    pub trigger_spec: Value,
    /// The calendars it skips, by name.
    pub exclude: Value,
    /// Its next run time; `null` while paused.
    #[schema(required = true)]
    pub next_run_time: Option<String>,
    /// Seconds from now to its next run time.
    #[schema(required = true)]
    pub next_run_in_seconds: Option<i64>,
    /// True while paused (no next run time).
    pub paused: bool,
    /// The instant its fire times are skipped until, while ahead.
    #[schema(required = true)]
    pub paused_until: Option<String>,
    /// How late a run may start: a duration, or `unlimited`.
    pub misfire_grace_time: String,
    /// Whether due runs coalesce into one.
    pub coalesce: bool,
    /// How many runs may overlap.
    pub max_instances: u32,
    /// How long a run may take: `30m`.
    #[schema(required = true)]
    pub timeout: Option<String>,
    /// The overlap policy.
    #[schema(required = true)]
    pub overlap: Option<String>,
    /// How failed runs are retried.
    #[schema(required = true)]
    pub retry: Option<Value>,
    /// After how many failed fire times in a row it is paused.
    #[schema(required = true)]
    pub pause_after_failures: Option<u32>,
    /// Why the scheduler paused it.
    #[schema(required = true)]
    pub paused_reason: Option<String>,
    /// For a pending run (a retry, a buffered or backfill run): the run.
    #[schema(required = true)]
    pub run_of: Option<RunOfView>,
    /// The executor it runs on.
    pub executor: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its latest run.
    #[schema(required = true)]
    pub last_run: Option<RunView>,
    /// Its latest runs, newest first (one job only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<Vec<RunView>>,
}

impl JobView {
    /// `job` shown at `now` in `zone`, with its latest run `last`.
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::{IntervalTrigger, Zone};
    /// use tempora_api::views::JobView;
    ///
    /// let now = "2026-01-01T00:00:00Z".parse()?;
    /// let job = JobBuilder::new("tick", IntervalTrigger::builder().minutes(5).build()?)
    ///     .id("t")
    ///     .build_at(&JobDefaults::default(), now)?;
    /// let view = JobView::new(&job, None, &Zone::new("UTC")?, now, false);
    /// assert_eq!(view.next_run_in_seconds, Some(300));
    /// assert_eq!(serde_json::to_value(&view)?["paused"], false);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        job: &Job,
        last: Option<&RunRecord>,
        zone: &Zone,
        now: Timestamp,
        show_secrets: bool,
    ) -> JobView {
        JobView {
            id: job.id().to_owned(),
            name: job.name().to_owned(),
            origin: job.label(ORIGIN).map(str::to_owned),
            task: job.task().name().map(str::to_owned),
            args: shown_args(job.args(), show_secrets),
            trigger: job.trigger().to_string(),
            trigger_spec: serde_json::to_value(job.trigger()).unwrap_or(Value::Null),
            exclude: serde_json::to_value(job.exclusions()).unwrap_or(Value::Null),
            next_run_time: job.next_run_time().map(|next| zone.format(next)),
            next_run_in_seconds: job
                .next_run_time()
                .map(|next| next.as_second() - now.as_second()),
            paused: job.is_paused(),
            paused_until: paused_until(job, now).map(|until| zone.format(until)),
            misfire_grace_time: job.misfire_grace_time().to_string(),
            coalesce: job.coalesce(),
            max_instances: job.max_instances(),
            timeout: job.timeout().map(|timeout| format!("{timeout:#}")),
            overlap: job.overlap().map(Overlap::as_str).map(str::to_owned),
            retry: job
                .retry()
                .map(|retry| serde_json::to_value(retry).unwrap_or(Value::Null)),
            pause_after_failures: job.pause_after_failures(),
            paused_reason: job.paused_reason().map(str::to_owned),
            run_of: job.run_of().map(|run| RunOfView {
                job: run.job.clone(),
                scheduled_time: zone.format(run.scheduled_time),
                attempt: run.attempt,
                kind: run.kind.as_str().to_owned(),
            }),
            executor: job.executor().to_owned(),
            labels: job.labels().clone(),
            last_run: last.map(|run| RunView::new(zone, run)),
            runs: None,
        }
    }
}

/// The run a pending job stands for.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RunOfView {
    /// The job it is a run of.
    pub job: String,
    /// The fire time it runs.
    pub scheduled_time: String,
    /// Which attempt it is, from 1.
    pub attempt: u32,
    /// `retry`, `buffered` or `backfill`.
    pub kind: String,
}

/// A recorded run: `GET /v1/runs`, `GET /v1/jobs/{id}/runs`, `tempora
/// history --json`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RunView {
    /// The job's id.
    pub job_id: String,
    /// The fire time it ran for.
    pub scheduled_time: String,
    /// The node that ran it.
    pub node: String,
    /// How many fire times it covered.
    pub fire_times: u32,
    /// Which attempt of its fire time it was, from 1.
    pub attempt: u32,
    /// `running`, `success`, `error`, `panic`, `timeout`, `missed` or
    /// `interrupted`.
    pub status: String,
    /// When it started.
    #[schema(required = true)]
    pub started: Option<String>,
    /// When it finished.
    #[schema(required = true)]
    pub finished: Option<String>,
    /// How long it took, in seconds.
    #[schema(required = true)]
    pub duration_seconds: Option<f64>,
    /// Why it failed.
    #[schema(required = true)]
    pub error: Option<String>,
    /// The program's exit status.
    #[schema(required = true)]
    pub exit_status: Option<i32>,
    /// The tail of the program's output.
    #[schema(required = true)]
    pub output: Option<String>,
}

impl RunView {
    /// `run` with its times in `zone`.
    pub fn new(zone: &Zone, run: &RunRecord) -> RunView {
        RunView {
            job_id: run.job_id.clone(),
            scheduled_time: zone.format(run.scheduled_time),
            node: run.node.clone(),
            fire_times: run.fire_times,
            attempt: run.attempt,
            status: run.status.as_str().to_owned(),
            started: run.started.map(|time| zone.format(time)),
            finished: run.finished.map(|time| zone.format(time)),
            duration_seconds: run.duration.map(|duration| duration.as_secs_f64()),
            error: run.error.clone(),
            exit_status: run.exit_status,
            output: run.output.clone(),
        }
    }
}

/// A scheduler node sharing the store: `GET /v1/nodes`, `tempora nodes
/// --json`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NodeView {
    /// The node's id.
    pub id: String,
    /// Its host.
    pub host: String,
    /// Its process id.
    pub pid: u32,
    /// This start of the node.
    pub instance: String,
    /// When it started.
    pub started: String,
    /// Its last heartbeat.
    pub last_heartbeat: String,
    /// The runs it had in progress at its last heartbeat.
    pub running: u32,
    /// True while its last heartbeat is younger than the lease.
    pub live: bool,
}

impl NodeView {
    /// `node` with its times in `zone`; `live` as the lease judges it.
    pub fn new(zone: &Zone, node: &NodeRecord, live: bool) -> NodeView {
        NodeView {
            id: node.id.clone(),
            host: node.host.clone(),
            pid: node.pid,
            instance: node.instance.clone(),
            started: zone.format(node.started),
            last_heartbeat: zone.format(node.last_heartbeat),
            running: node.running,
            live,
        }
    }
}

/// What a backfill queued (or, dry, would queue): `POST
/// /v1/jobs/{id}/backfill`, `tempora jobs backfill --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BackfillView {
    /// The job's id.
    pub id: String,
    /// The first instant of the range.
    pub from: String,
    /// The last instant of the range.
    pub to: String,
    /// True when nothing was queued.
    pub dry_run: bool,
    /// The fire times of the range.
    pub fire_times: Vec<String>,
    /// How many were queued now (the others were queued already).
    pub queued: usize,
}

/// A job removed: `DELETE /v1/jobs/{id}`, and a resume of a job whose
/// trigger has no more fire times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RemovedView {
    /// The job's id.
    pub id: String,
    /// Always true.
    pub removed: bool,
    /// Who managed it.
    #[schema(required = true)]
    pub origin: Option<String>,
}

/// What a change answers: the job as it now is, or, for a resume of a job
/// with no more fire times, its removal.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ChangedView {
    /// The job as changed.
    Job(Box<JobView>),
    /// The job was removed.
    Removed(RemovedView),
}
