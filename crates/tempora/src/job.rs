//! Jobs: a task, a trigger and the options that say how runs are handled.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::calendar::{Calendar, Exclusions, next_included};
use crate::error::{Error, Result};
use crate::notify::Notify;
use crate::task::JobTask;
use crate::trigger::Trigger;

mod backfill;
mod overlap;

pub use self::backfill::MAX_BACKFILL_RUNS;
pub use self::overlap::Overlap;
mod pending;
mod retry;

pub use pending::{PendingRunKind, RunOf, pending_run_id};
pub use retry::Retry;

/// How late a run may start and still run.
///
/// A run whose scheduled time is further in the past than this when the
/// scheduler gets to it is *missed*: it does not run, and the scheduler says
/// so with a [`JobMissed`](crate::event::EventKind::JobMissed) event and a
/// warning in the log.
///
/// Tempora's default is [`MisfireGraceTime::Unlimited`] with coalescing on:
/// a run that could not happen on time (the process was down, all workers
/// were busy) happens once, late, as Quartz's default "fire once now" does.
/// APScheduler's 1 s default silently dropped such runs.
///
/// ```
/// use tempora::job::MisfireGraceTime;
/// use tempora::jiff::SignedDuration;
///
/// let grace = MisfireGraceTime::Limit(SignedDuration::from_secs(30));
/// assert!(grace.allows(SignedDuration::from_secs(29)));
/// assert!(!grace.allows(SignedDuration::from_secs(31)));
/// assert!(MisfireGraceTime::Unlimited.allows(SignedDuration::from_hours(24 * 365)));
/// ```
///
/// In JSON and TOML it reads `null` or `"unlimited"`, a number of seconds
/// (as APScheduler's), or a duration such as `"30s"`, `"2m"` or `"PT30S"`;
/// it is written as `null` or an ISO 8601 duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(into = "Option<SignedDuration>")]
pub enum MisfireGraceTime {
    /// Every run starts however late it is.
    #[default]
    Unlimited,
    /// A run more than this late is missed.
    Limit(SignedDuration),
}

impl MisfireGraceTime {
    /// True when a run `lateness` late may still start.
    pub fn allows(self, lateness: SignedDuration) -> bool {
        match self {
            MisfireGraceTime::Unlimited => true,
            MisfireGraceTime::Limit(limit) => lateness <= limit,
        }
    }
}

impl<'de> Deserialize<'de> for MisfireGraceTime {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<MisfireGraceTime, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Seconds(f64),
            Text(String),
        }
        let given: Option<Given> = Option::deserialize(deserializer)?;
        let limit = match given {
            None => return Ok(MisfireGraceTime::Unlimited),
            Some(Given::Text(text)) if text == "unlimited" => {
                return Ok(MisfireGraceTime::Unlimited);
            }
            Some(Given::Text(text)) => text.parse::<SignedDuration>().map_err(|error| {
                serde::de::Error::custom(format!(
                    "misfire_grace_time: {text:?} is not a duration like \"30s\" or \"unlimited\": {error}"
                ))
            })?,
            Some(Given::Seconds(seconds)) => {
                SignedDuration::try_from_secs_f64(seconds).map_err(|_| {
                    serde::de::Error::custom(format!(
                        "misfire_grace_time: {seconds} is not a number of seconds"
                    ))
                })?
            }
        };
        if limit.is_negative() {
            return Err(serde::de::Error::custom(format!(
                "misfire_grace_time: {limit:#} is negative: give zero or more, or \"unlimited\""
            )));
        }
        Ok(MisfireGraceTime::Limit(limit))
    }
}

impl From<Option<SignedDuration>> for MisfireGraceTime {
    fn from(value: Option<SignedDuration>) -> MisfireGraceTime {
        value.map_or(MisfireGraceTime::Unlimited, MisfireGraceTime::Limit)
    }
}

impl From<MisfireGraceTime> for Option<SignedDuration> {
    fn from(value: MisfireGraceTime) -> Option<SignedDuration> {
        match value {
            MisfireGraceTime::Unlimited => None,
            MisfireGraceTime::Limit(limit) => Some(limit),
        }
    }
}

impl fmt::Display for MisfireGraceTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MisfireGraceTime::Unlimited => f.write_str("unlimited"),
            MisfireGraceTime::Limit(limit) => write!(f, "{limit:#}"),
        }
    }
}

/// Options every job gets unless it sets its own: APScheduler's
/// `job_defaults`.
///
/// | option | Tempora | APScheduler 3 |
/// |---|---|---|
/// | `misfire_grace_time` | unlimited | 1 s (runs later than that were dropped) |
/// | `coalesce` | true | true |
/// | `max_instances` | 1 | 1 |
/// | `overlap` | unset (skip) | skip |
///
/// ```
/// use tempora::job::{JobDefaults, MisfireGraceTime};
///
/// let defaults = JobDefaults::default();
/// assert_eq!(defaults.misfire_grace_time, MisfireGraceTime::Unlimited);
/// assert!(defaults.coalesce);
/// assert_eq!(defaults.max_instances, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobDefaults {
    /// How late a run may start; see [`MisfireGraceTime`].
    pub misfire_grace_time: MisfireGraceTime,
    /// Whether several due runs of one job collapse into one run.
    pub coalesce: bool,
    /// How many runs of one job may run at the same time, across every
    /// scheduler sharing its store.
    pub max_instances: u32,
    /// What happens to a run interrupted by its scheduler's death.
    pub on_interrupted: OnInterrupted,
    /// What happens to a fire time that comes while the job runs
    /// `max_instances` runs; see [`Overlap`]. Unset: it is skipped.
    pub overlap: Option<Overlap>,
}

impl Default for JobDefaults {
    fn default() -> JobDefaults {
        JobDefaults {
            misfire_grace_time: MisfireGraceTime::Unlimited,
            coalesce: true,
            max_instances: 1,
            on_interrupted: OnInterrupted::Skip,
            overlap: None,
        }
    }
}

/// What happens to a run that was interrupted: its scheduler died (was
/// killed, crashed, lost its machine) while the run was in progress, so it
/// may or may not have done its work.
///
/// The node that finds the interrupted run — another node sharing the
/// store once the run's lease passed, or the same node restarting under
/// its id — records it as [`RunStatus::Interrupted`](crate::history::RunStatus::Interrupted)
/// and then, by this policy, either leaves it ([`OnInterrupted::Skip`], the
/// default, as APScheduler and Quartz do unless asked) or runs it again
/// once, for the same fire time ([`OnInterrupted::Retry`], Quartz's
/// "requests recovery"). Only the one node whose marking won retries, so a
/// retry runs once however many nodes look; a retry that is itself
/// interrupted is retried again.
///
/// In JSON and TOML it reads `"skip"` or `"retry"`.
///
/// ```
/// use tempora::job::OnInterrupted;
///
/// assert_eq!(OnInterrupted::default(), OnInterrupted::Skip);
/// assert_eq!("retry".parse::<OnInterrupted>()?, OnInterrupted::Retry);
/// assert_eq!(OnInterrupted::Retry.to_string(), "retry");
/// assert_eq!(
///     "again".parse::<OnInterrupted>().unwrap_err().to_string(),
///     "on_interrupted: \"again\" is not \"skip\" or \"retry\""
/// );
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum OnInterrupted {
    /// Leave it: the fire time counts as run (at most once).
    #[default]
    Skip,
    /// Run it again, once, for the same fire time (at least once).
    Retry,
}

impl OnInterrupted {
    /// Its name in a configuration file: `"skip"` or `"retry"`.
    pub fn as_str(self) -> &'static str {
        match self {
            OnInterrupted::Skip => "skip",
            OnInterrupted::Retry => "retry",
        }
    }

    fn is_skip(&self) -> bool {
        *self == OnInterrupted::Skip
    }
}

impl fmt::Display for OnInterrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for OnInterrupted {
    type Error = Error;

    fn try_from(text: String) -> Result<OnInterrupted> {
        text.parse()
    }
}

impl std::str::FromStr for OnInterrupted {
    type Err = Error;

    fn from_str(text: &str) -> Result<OnInterrupted> {
        match text {
            "skip" => Ok(OnInterrupted::Skip),
            "retry" => Ok(OnInterrupted::Retry),
            _ => Err(Error::invalid(
                "on_interrupted",
                format!("{text:?} is not \"skip\" or \"retry\""),
            )),
        }
    }
}

/// The name of the default executor and of the default store.
pub const DEFAULT: &str = "default";

/// A scheduled job: a task, its arguments, a trigger and how its runs are
/// handled. Jobs are values: the scheduler hands out copies, and changes go
/// through the scheduler's API.
///
/// A copy is cheap: the id, name, task and trigger are shared, and so are
/// the options, which most jobs of a scheduler have in common.
///
/// A job's `next_run_time` is `None` while it is paused.
#[derive(Debug, Clone)]
pub struct Job {
    pub(crate) id: Arc<str>,
    pub(crate) name: Arc<str>,
    pub(crate) task: JobTask,
    /// The arguments; `None` for `null`, the arguments of most jobs.
    pub(crate) args: Option<Arc<Value>>,
    pub(crate) trigger: Trigger,
    pub(crate) options: Arc<JobOptions>,
    pub(crate) next_run_time: Option<Timestamp>,
    /// The latest fire time a run took (or missed): kept by the store
    /// beside the job, never in its JSON.
    pub(crate) previous_fire_time: Option<Timestamp>,
    /// What the job stands for when it is a run job (a pending run of
    /// another job); `None` for a job of its own.
    pub(crate) run_of: Option<Arc<RunOf>>,
    /// Why the scheduler paused the job (after failed runs); `None` when
    /// it runs, or was paused by hand. A thin pointer: every job carries
    /// the field, few have a reason.
    pub(crate) paused_reason: Option<Arc<String>>,
}

/// A job's arguments as it keeps them: nothing for `null`.
fn shared_args(args: Value) -> Option<Arc<Value>> {
    (!args.is_null()).then(|| Arc::new(args))
}

/// How a job's runs are handled: the part of a job that jobs mostly have
/// in common, kept once for all the jobs that share it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JobOptions {
    pub(crate) executor: Arc<str>,
    pub(crate) store: String,
    pub(crate) misfire_grace_time: MisfireGraceTime,
    pub(crate) coalesce: bool,
    pub(crate) max_instances: u32,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) on_interrupted: OnInterrupted,
    pub(crate) exclusions: Exclusions,
    pub(crate) timeout: Option<SignedDuration>,
    pub(crate) overlap: Option<Overlap>,
    pub(crate) retry: Option<Retry>,
    pub(crate) pause_after_failures: Option<u32>,
    /// Where its notices go; `None`: the scheduler's default, if any.
    pub(crate) notify: Option<Box<Notify>>,
    /// How long it may go without a success before a `stale` notice.
    pub(crate) expect_success_within: Option<SignedDuration>,
}

/// The options of the latest job added, so that the next job with equal
/// options shares them instead of keeping its own copy.
#[derive(Debug, Default)]
pub(crate) struct SharedOptions {
    latest: Mutex<Option<Arc<JobOptions>>>,
}

impl SharedOptions {
    /// Equal options already in use, or `options` (remembered).
    pub(crate) fn share(&self, options: Arc<JobOptions>) -> Arc<JobOptions> {
        // Only an `Option<Arc<_>>` is assigned under the lock: a poisoned
        // lock still holds a sound value.
        let mut latest = crate::sync::lock(&self.latest);
        match &*latest {
            Some(shared) if **shared == *options => Arc::clone(shared),
            _ => {
                *latest = Some(Arc::clone(&options));
                options
            }
        }
    }
}

impl Job {
    /// The job's id, unique within its scheduler.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The job's readable name (the task's name unless given).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the job calls.
    pub fn task(&self) -> &JobTask {
        &self.task
    }

    /// The arguments passed to the task, as JSON.
    pub fn args(&self) -> &Value {
        static NULL: Value = Value::Null;
        self.args.as_deref().unwrap_or(&NULL)
    }

    /// When the job fires.
    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }

    /// The name of the executor its runs go to.
    pub fn executor(&self) -> &str {
        &self.options.executor
    }

    /// The name of the store that keeps it.
    pub fn store(&self) -> &str {
        &self.options.store
    }

    /// How late a run may start.
    pub fn misfire_grace_time(&self) -> MisfireGraceTime {
        self.options.misfire_grace_time
    }

    /// Whether several due runs collapse into one.
    pub fn coalesce(&self) -> bool {
        self.options.coalesce
    }

    /// How many runs may run at the same time, as set; see
    /// [`Job::instance_limit`] for the limit its overlap policy makes of it.
    pub fn max_instances(&self) -> u32 {
        self.options.max_instances
    }

    /// What happens to a fire time that comes while the job runs its
    /// limit of runs; `None` when unset (the fire time is skipped, as
    /// under [`Overlap::Skip`]).
    pub fn overlap(&self) -> Option<Overlap> {
        self.options.overlap
    }

    /// How many runs of the job may run at once, across every scheduler
    /// sharing its store: `max_instances`, or no limit (`u32::MAX`) under
    /// [`Overlap::AllowAll`] with `max_instances` left at 1.
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults, Overlap};
    /// use tempora::trigger::IntervalTrigger;
    ///
    /// let trigger = IntervalTrigger::builder().minutes(1).timezone("UTC").build()?;
    /// let now = "2026-01-01T00:00:00Z".parse()?;
    /// let defaults = JobDefaults::default();
    /// let job = JobBuilder::new("tick", trigger.clone()).build_at(&defaults, now)?;
    /// assert_eq!(job.instance_limit(), 1);
    /// let job = JobBuilder::new("tick", trigger.clone()).overlap(Overlap::AllowAll).build_at(&defaults, now)?;
    /// assert_eq!(job.instance_limit(), u32::MAX);
    /// let job = JobBuilder::new("tick", trigger).overlap(Overlap::AllowAll).max_instances(5).build_at(&defaults, now)?;
    /// assert_eq!(job.instance_limit(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn instance_limit(&self) -> u32 {
        self.options
            .overlap
            .unwrap_or(Overlap::Skip)
            .instance_limit(self.options.max_instances)
    }

    /// When it runs next; `None` while paused.
    pub fn next_run_time(&self) -> Option<Timestamp> {
        self.next_run_time
    }

    /// The calendars whose times the job does not fire at, by name, each
    /// in its zone; see [`crate::calendar`].
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::CronTrigger;
    ///
    /// let trigger = CronTrigger::crontab("0 9 * * *").timezone("Asia/Tokyo").build()?;
    /// let job = JobBuilder::new("report", trigger)
    ///     .exclude_calendar("holidays", Calendar::dates(["2027-01-01"]).build()?)
    ///     .build_at(&JobDefaults::default(), "2026-12-01T00:00:00Z".parse()?)?;
    /// // A calendar without a zone takes the trigger's.
    /// let zone = job.exclusions()["holidays"].zone().map(|zone| zone.name());
    /// assert_eq!(zone, Some("Asia/Tokyo"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exclusions(&self) -> &Exclusions {
        &self.options.exclusions
    }

    /// The next fire time of the job's trigger that none of its calendars
    /// excludes, with the contract of [`Trigger::next_fire_time`]: what the
    /// scheduler gives the job as its next run time.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::CronTrigger;
    ///
    /// let trigger = CronTrigger::crontab("0 12 * * *").timezone("UTC").build()?;
    /// let job = JobBuilder::new("lunch", trigger)
    ///     .exclude_calendar("weekends", Calendar::weekdays(["sat", "sun"]).build()?)
    ///     .build_at(&JobDefaults::default(), "2026-11-27T13:00:00Z".parse()?)?; // a Friday
    /// let friday = "2026-11-27T12:00:00Z".parse()?;
    /// assert_eq!(job.next_fire_time(Some(friday), friday).unwrap().to_string(), "2026-11-30T12:00:00Z");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_fire_time(&self, previous: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
        next_included(&self.trigger, &self.options.exclusions, previous, now)
    }

    /// What happens to a run of it that is interrupted; see
    /// [`OnInterrupted`].
    pub fn on_interrupted(&self) -> OnInterrupted {
        self.options.on_interrupted
    }

    /// How long a run may take before it is stopped and recorded as
    /// [`RunStatus::Timeout`](crate::history::RunStatus::Timeout); `None`:
    /// no limit. See [`JobBuilder::timeout`].
    pub fn timeout(&self) -> Option<SignedDuration> {
        self.options.timeout
    }

    /// The latest fire time a scheduler has taken for it — run, or recorded
    /// missed — as its store keeps it; `None` before the first (Quartz's
    /// "previous fire time").
    ///
    /// It is what makes a fire time run once across schedulers: a
    /// scheduler takes fire times only after it, and only while it holds
    /// the job (see [`JobStore::settle`](crate::store::JobStore::settle)).
    pub fn previous_fire_time(&self) -> Option<Timestamp> {
        self.previous_fire_time
    }

    /// The job with its previous fire time set: for store implementations,
    /// which keep it beside the job's stored form and give it back with
    /// the job.
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::IntervalTrigger;
    /// use tempora::jiff::Timestamp;
    ///
    /// let now: Timestamp = "2026-01-01T00:00:00Z".parse()?;
    /// let trigger = IntervalTrigger::builder().minutes(5).timezone("UTC").build()?;
    /// let job = JobBuilder::new("tick", trigger).build_at(&JobDefaults::default(), now)?;
    /// assert_eq!(job.previous_fire_time(), None);
    /// assert_eq!(job.with_previous_fire_time(Some(now)).previous_fire_time(), Some(now));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_previous_fire_time(mut self, previous: Option<Timestamp>) -> Job {
        self.previous_fire_time = previous;
        self
    }

    /// True while the job is paused.
    pub fn is_paused(&self) -> bool {
        self.next_run_time.is_none()
    }

    /// How its failed runs are retried; `None`: they are not.
    pub fn retry(&self) -> Option<&Retry> {
        self.options.retry.as_ref()
    }

    /// After how many failed fire times in a row the scheduler pauses it;
    /// `None`: never. A fire time counts as failed once its retries are
    /// exhausted.
    pub fn pause_after_failures(&self) -> Option<u32> {
        self.options.pause_after_failures
    }

    /// Where its notices go (see [`crate::notify`]); `None`: to the
    /// scheduler's default, if it has one.
    pub fn notify(&self) -> Option<&Notify> {
        self.options.notify.as_deref()
    }

    /// How long it may go without a success before a `stale` notice is
    /// sent; `None`: it is not watched.
    pub fn expect_success_within(&self) -> Option<SignedDuration> {
        self.options.expect_success_within
    }

    /// Why the scheduler paused it (naming the failures and the last
    /// error); `None` while it runs, or when paused by hand. Resuming
    /// clears it.
    pub fn paused_reason(&self) -> Option<&str> {
        self.paused_reason.as_deref().map(String::as_str)
    }

    /// The job's labels: free-form `key = value` pairs stored with the job
    /// and never read by the scheduler; see [`JobBuilder::label`].
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.options.labels
    }

    /// The value of label `key`, if set.
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::IntervalTrigger;
    ///
    /// let trigger = IntervalTrigger::builder().minutes(5).timezone("UTC").build()?;
    /// let job = JobBuilder::new("tick", trigger)
    ///     .label("origin", "config")
    ///     .build_at(&JobDefaults::default(), "2026-01-01T00:00:00Z".parse()?)?;
    /// assert_eq!(job.label("origin"), Some("config"));
    /// assert_eq!(job.label("team"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn label(&self, key: &str) -> Option<&str> {
        self.options.labels.get(key).map(String::as_str)
    }

    /// The job's stored form: versioned JSON that a persistent store writes.
    ///
    /// # Errors
    ///
    /// A job that holds a closure has no stored form: field `task`, asking
    /// for a task registered by name.
    pub fn to_stored(&self) -> Result<StoredJob> {
        let Some(task) = self.task.name() else {
            return Err(Error::invalid(
                "task",
                format!(
                    "job {:?} holds a closure, which only the memory store can keep; \
                     register the function by name with Tasks::register and use JobTask::named",
                    self.id
                ),
            ));
        };
        let options = &*self.options;
        Ok(StoredJob {
            version: StoredJob::VERSION,
            id: self.id.to_string(),
            name: self.name.to_string(),
            task: task.to_owned(),
            args: self.args().clone(),
            trigger: self.trigger.clone(),
            executor: options.executor.to_string(),
            misfire_grace_time: options.misfire_grace_time,
            coalesce: options.coalesce,
            max_instances: options.max_instances,
            next_run_time: self.next_run_time,
            labels: options.labels.clone(),
            on_interrupted: options.on_interrupted,
            exclude: options.exclusions.clone(),
            timeout: options.timeout,
            overlap: options.overlap,
            retry: options.retry.clone(),
            pause_after_failures: options.pause_after_failures,
            notify: options.notify.as_deref().cloned(),
            expect_success_within: options.expect_success_within,
            paused_reason: self.paused_reason.as_deref().cloned(),
            run_of: self.run_of.as_deref().cloned(),
        })
    }

    /// The job a persistent store restores from its stored form, in store
    /// `store`.
    pub fn from_stored(stored: StoredJob, store: &str) -> Job {
        Job {
            id: Arc::from(stored.id),
            name: Arc::from(stored.name),
            task: JobTask::named(stored.task),
            args: shared_args(stored.args),
            trigger: stored.trigger,
            options: Arc::new(JobOptions {
                executor: Arc::from(stored.executor),
                store: store.to_owned(),
                misfire_grace_time: stored.misfire_grace_time,
                coalesce: stored.coalesce,
                max_instances: stored.max_instances,
                labels: stored.labels,
                on_interrupted: stored.on_interrupted,
                exclusions: stored.exclude,
                timeout: stored.timeout,
                overlap: stored.overlap,
                retry: stored.retry,
                pause_after_failures: stored.pause_after_failures,
                notify: stored.notify.map(Box::new),
                expect_success_within: stored.expect_success_within,
            }),
            next_run_time: stored.next_run_time,
            previous_fire_time: None,
            run_of: stored.run_of.map(Arc::new),
            paused_reason: stored.paused_reason.map(Arc::new),
        }
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (trigger: {}, ", self.id, self.trigger)?;
        match self.next_run_time {
            Some(next) => write!(f, "next run at: {})", self.trigger.zone().format(next)),
            None => f.write_str("paused)"),
        }
    }
}

/// A job as persistent stores keep it: JSON with a format version.
///
/// ```
/// use tempora::job::StoredJob;
///
/// let json = r#"{"version":1,"id":"a","name":"a","task":"t","args":null,
///   "trigger":{"type":"date","run_date":"2026-01-01T00:00:00Z","timezone":"UTC"},
///   "executor":"default","misfire_grace_time":null,"coalesce":true,"max_instances":1,
///   "next_run_time":"2026-01-01T00:00:00Z"}"#;
/// let stored: StoredJob = serde_json::from_str(json)?;
/// assert_eq!(stored.task, "t");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredJob {
    /// The format version, [`StoredJob::VERSION`] when written by this release.
    pub version: u32,
    /// The job's id.
    pub id: String,
    /// The job's name.
    pub name: String,
    /// The registered task's name.
    pub task: String,
    /// The task's arguments.
    pub args: Value,
    /// The trigger with its zone and DST policies.
    pub trigger: Trigger,
    /// The executor's name.
    pub executor: String,
    /// How late a run may start (`null` for unlimited).
    pub misfire_grace_time: MisfireGraceTime,
    /// Whether due runs coalesce.
    pub coalesce: bool,
    /// Concurrent runs allowed.
    pub max_instances: u32,
    /// The next run time, `null` while paused.
    pub next_run_time: Option<Timestamp>,
    /// The job's labels ([`Job::labels`]); left out of the JSON when there
    /// are none, and empty when absent, so older stored jobs still read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// What happens to an interrupted run; left out of the JSON when
    /// `skip` (the default), so older stored jobs still read.
    #[serde(default, skip_serializing_if = "OnInterrupted::is_skip")]
    pub on_interrupted: OnInterrupted,
    /// The calendars the job excludes ([`Job::exclusions`]), by name, with
    /// their rules and zones, so that a scheduler that does not know them
    /// by name applies them too; left out of the JSON when there are none,
    /// and empty when absent, so older stored jobs still read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exclude: Exclusions,
    /// How long a run may take (an ISO 8601 duration such as `"PT30S"`);
    /// left out of the JSON when there is no limit, and no limit when
    /// absent, so older stored jobs still read. A limit of zero or less
    /// does not read.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "positive_timeout"
    )]
    pub timeout: Option<SignedDuration>,
    /// The overlap policy ([`Job::overlap`]); left out of the JSON when
    /// unset, so older stored jobs still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap: Option<Overlap>,
    /// How failed runs are retried ([`Job::retry`]); left out when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    /// After how many failed fire times in a row the job is paused
    /// ([`Job::pause_after_failures`]); left out when never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_after_failures: Option<u32>,
    /// Where the job's notices go ([`Job::notify`]); left out when unset,
    /// so older stored jobs still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<Notify>,
    /// How long the job may go without a success
    /// ([`Job::expect_success_within`]), as `"26h"`; left out when unset.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "jiff::fmt::serde::duration::friendly::compact::optional"
    )]
    pub expect_success_within: Option<SignedDuration>,
    /// Why the scheduler paused the job ([`Job::paused_reason`]); left out
    /// when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_reason: Option<String>,
    /// The pending run of another job this run job stands for
    /// ([`Job::run_of`]); left out for a job of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_of: Option<RunOf>,
}

/// A stored `timeout`, refused unless more than zero.
fn positive_timeout<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<SignedDuration>, D::Error> {
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let timeout: SignedDuration = text.parse().map_err(|error| {
        serde::de::Error::custom(format!(
            "timeout: {text:?} is not a duration like \"PT30S\" or \"30s\": {error}"
        ))
    })?;
    check_timeout(timeout).map_err(serde::de::Error::custom)?;
    Ok(Some(timeout))
}

impl StoredJob {
    /// The stored format written by this release.
    pub const VERSION: u32 = 1;
}

/// When a new job runs first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FirstRun {
    /// The trigger's first fire time at or after now (the default).
    #[default]
    FromTrigger,
    /// At this instant, then by the trigger.
    At(Timestamp),
    /// Not until resumed: the job is added paused.
    Paused,
}

/// A new job's description, given to a scheduler's `add_job`. Anything not
/// set comes from the scheduler's [`JobDefaults`].
///
/// ```
/// use tempora::job::JobBuilder;
/// use tempora::trigger::IntervalTrigger;
///
/// let job = JobBuilder::new("send_report", IntervalTrigger::builder().hours(1).timezone("UTC").build()?)
///     .id("hourly-report")
///     .args(&serde_json::json!({"to": "ops"}))
///     .max_instances(2);
/// assert_eq!(job.job_id(), Some("hourly-report"));
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct JobBuilder {
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) task: JobTask,
    pub(crate) args: std::result::Result<Value, String>,
    pub(crate) trigger: Trigger,
    pub(crate) executor: Option<String>,
    pub(crate) store: Option<String>,
    pub(crate) misfire_grace_time: Option<MisfireGraceTime>,
    pub(crate) coalesce: Option<bool>,
    pub(crate) max_instances: Option<u32>,
    pub(crate) first_run: FirstRun,
    pub(crate) replace_existing: bool,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) on_interrupted: Option<OnInterrupted>,
    /// Calendars named, to be found among the scheduler's.
    pub(crate) exclude: Vec<String>,
    /// Calendars given, or found.
    pub(crate) exclusions: Exclusions,
    pub(crate) timeout: Option<SignedDuration>,
    pub(crate) overlap: Option<Overlap>,
    pub(crate) retry: Option<Retry>,
    pub(crate) pause_after_failures: Option<u32>,
    pub(crate) notify: Option<Notify>,
    pub(crate) expect_success_within: Option<SignedDuration>,
}

impl JobBuilder {
    /// A job calling the task registered under `task` when `trigger` fires.
    pub fn new(task: impl AsRef<str>, trigger: impl Into<Trigger>) -> JobBuilder {
        JobBuilder::with_task(JobTask::named(task), trigger)
    }

    /// A job calling `task` (named or a closure) when `trigger` fires.
    pub fn with_task(task: JobTask, trigger: impl Into<Trigger>) -> JobBuilder {
        JobBuilder {
            id: None,
            name: None,
            task,
            args: Ok(Value::Null),
            trigger: trigger.into(),
            executor: None,
            store: None,
            misfire_grace_time: None,
            coalesce: None,
            max_instances: None,
            first_run: FirstRun::FromTrigger,
            replace_existing: false,
            labels: BTreeMap::new(),
            on_interrupted: None,
            exclude: Vec::new(),
            exclusions: Exclusions::new(),
            timeout: None,
            overlap: None,
            retry: None,
            pause_after_failures: None,
            notify: None,
            expect_success_within: None,
        }
    }

    /// The job's id; a random UUID when not given.
    pub fn id(mut self, id: impl Into<String>) -> JobBuilder {
        self.id = Some(id.into());
        self
    }

    /// The id given, if any.
    pub fn job_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// A readable name; the task's name when not given.
    pub fn name(mut self, name: impl Into<String>) -> JobBuilder {
        self.name = Some(name.into());
        self
    }

    /// The task's arguments, serialized to JSON now; a value that cannot be
    /// serialized makes `add_job` fail with field `args`.
    pub fn args<A: Serialize + ?Sized>(mut self, args: &A) -> JobBuilder {
        self.args = serde_json::to_value(args).map_err(|error| error.to_string());
        self
    }

    /// The executor's name (default: `"default"`).
    pub fn executor(mut self, name: impl Into<String>) -> JobBuilder {
        self.executor = Some(name.into());
        self
    }

    /// The store's name (default: `"default"`).
    pub fn store(mut self, name: impl Into<String>) -> JobBuilder {
        self.store = Some(name.into());
        self
    }

    /// How late a run may start; see [`MisfireGraceTime`].
    pub fn misfire_grace_time(mut self, grace: MisfireGraceTime) -> JobBuilder {
        self.misfire_grace_time = Some(grace);
        self
    }

    /// Whether several due runs collapse into one.
    pub fn coalesce(mut self, coalesce: bool) -> JobBuilder {
        self.coalesce = Some(coalesce);
        self
    }

    /// How many runs may run at the same time (at least 1), counted
    /// across every scheduler sharing the job's store.
    pub fn max_instances(mut self, max_instances: u32) -> JobBuilder {
        self.max_instances = Some(max_instances);
        self
    }

    /// What happens to a run interrupted by its scheduler's death; see
    /// [`OnInterrupted`].
    pub fn on_interrupted(mut self, policy: OnInterrupted) -> JobBuilder {
        self.on_interrupted = Some(policy);
        self
    }

    /// How long a run may take (more than zero): past it the run is
    /// stopped and recorded as
    /// [`RunStatus::Timeout`](crate::history::RunStatus::Timeout), with a
    /// `JobError` event saying so. The limit counts from when the run
    /// starts on its executor (not from its fire time), on the
    /// scheduler's clock, and is kept in the job's stored form.
    ///
    /// How a run is stopped depends on how it runs:
    ///
    /// * an async task's future is dropped at the limit;
    /// * a sync task (a thread) cannot be stopped from outside: its
    ///   context is cancelled ([`JobContext::is_cancelled`](crate::task::JobContext::is_cancelled))
    ///   and its outcome is recorded as a timeout at the limit; the job's
    ///   instance stays taken until the thread returns, and what it
    ///   returns then is logged and discarded;
    /// * a run in a process pool's worker process is killed with the
    ///   worker and its process group, and the worker is replaced for the
    ///   next run (a program the task started in a process group of its
    ///   own, as the [`COMMAND`](crate::task::COMMAND) task does, is not
    ///   reached: give it its own
    ///   [`CommandArgs::timeout`](crate::task::CommandArgs::timeout) too);
    /// * the [`COMMAND`](crate::task::COMMAND) task's program is killed
    ///   with its process group, as at its own
    ///   [`CommandArgs::timeout`](crate::task::CommandArgs::timeout): the
    ///   smaller of the two applies, and the output tail is kept.
    ///
    /// ```
    /// use tempora::jiff::SignedDuration;
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::IntervalTrigger;
    ///
    /// let trigger = IntervalTrigger::builder().hours(1).timezone("UTC").build()?;
    /// let now = "2026-01-01T00:00:00Z".parse()?;
    /// let job = JobBuilder::new("report", trigger.clone())
    ///     .timeout(SignedDuration::from_secs(30))
    ///     .build_at(&JobDefaults::default(), now)?;
    /// assert_eq!(job.timeout(), Some(SignedDuration::from_secs(30)));
    /// assert_eq!(serde_json::to_value(job.to_stored()?)?["timeout"], "PT30S");
    ///
    /// let error = JobBuilder::new("report", trigger)
    ///     .timeout(SignedDuration::ZERO)
    ///     .build_at(&JobDefaults::default(), now)
    ///     .unwrap_err();
    /// assert_eq!(error.to_string(), "timeout: 0s is not positive");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeout(mut self, timeout: SignedDuration) -> JobBuilder {
        self.timeout = Some(timeout);
        self
    }

    /// What happens to a fire time that comes while the job already runs
    /// `max_instances` runs (across every scheduler sharing its store):
    /// skipped, buffered, the running one cancelled, or run anyway; see
    /// [`Overlap`].
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults, Overlap};
    /// use tempora::trigger::IntervalTrigger;
    ///
    /// let trigger = IntervalTrigger::builder().minutes(5).timezone("UTC").build()?;
    /// let job = JobBuilder::new("sync", trigger)
    ///     .overlap(Overlap::BufferOne)
    ///     .build_at(&JobDefaults::default(), "2026-01-01T00:00:00Z".parse()?)?;
    /// assert_eq!(job.overlap(), Some(Overlap::BufferOne));
    /// assert_eq!(serde_json::to_value(job.to_stored()?)?["overlap"], "buffer_one");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn overlap(mut self, policy: Overlap) -> JobBuilder {
        self.overlap = Some(policy);
        self
    }

    /// Retries failed runs as `retry` says (see [`Retry`]).
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults, Retry};
    /// use tempora::trigger::IntervalTrigger;
    /// use tempora::jiff::SignedDuration;
    ///
    /// let trigger = IntervalTrigger::builder().hours(1).timezone("UTC").build()?;
    /// let job = JobBuilder::new("report", trigger)
    ///     .retry(Retry::attempts(3).delay(SignedDuration::from_secs(30)).factor(2.0))
    ///     .build_at(&JobDefaults::default(), "2026-01-01T00:00:00Z".parse()?)?;
    /// assert_eq!(job.retry().map(Retry::max_attempts), Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry(mut self, retry: Retry) -> JobBuilder {
        self.retry = Some(retry);
        self
    }

    /// Pauses the job after `failures` failed fire times in a row (a fire
    /// time fails once its retries are exhausted), with a
    /// [`JobPaused`](crate::event::EventKind::JobPaused) event, an error in
    /// the log naming the job, the count and the last error, and the
    /// reason kept with the job ([`Job::paused_reason`]) until it is
    /// resumed.
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::IntervalTrigger;
    ///
    /// let trigger = IntervalTrigger::builder().hours(1).timezone("UTC").build()?;
    /// let job = JobBuilder::new("report", trigger)
    ///     .pause_after_failures(5)
    ///     .build_at(&JobDefaults::default(), "2026-01-01T00:00:00Z".parse()?)?;
    /// assert_eq!(job.pause_after_failures(), Some(5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pause_after_failures(mut self, failures: u32) -> JobBuilder {
        self.pause_after_failures = Some(failures);
        self
    }

    /// Sends the job's notices (failures, misses, stale, recovered) as
    /// `notify` says, instead of the scheduler's default; see
    /// [`crate::notify`].
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::notify::{NoticeKind, Notify};
    /// use tempora::trigger::IntervalTrigger;
    ///
    /// let trigger = IntervalTrigger::builder().hours(1).timezone("UTC").build()?;
    /// let job = JobBuilder::new("report", trigger)
    ///     .notify(Notify::new().webhook("https://hooks.example.com/t").on([NoticeKind::Failure]))
    ///     .build_at(&JobDefaults::default(), "2026-01-01T00:00:00Z".parse()?)?;
    /// assert_eq!(job.notify().and_then(Notify::webhook_url), Some("https://hooks.example.com/t"));
    /// let stored = serde_json::to_value(job.to_stored()?)?;
    /// assert_eq!(stored["notify"]["on"], serde_json::json!(["failure"]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn notify(mut self, notify: Notify) -> JobBuilder {
        self.notify = Some(notify);
        self
    }

    /// Sends one `stale` notice when the job has not succeeded for
    /// `within` (since its last success, or since it was added), and a
    /// `recovered` notice at its next success: a dead man's switch. More
    /// than zero.
    ///
    /// ```
    /// use tempora::jiff::SignedDuration;
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::IntervalTrigger;
    ///
    /// let trigger = IntervalTrigger::builder().hours(24).timezone("UTC").build()?;
    /// let now = "2026-01-01T00:00:00Z".parse()?;
    /// let job = JobBuilder::new("backup", trigger.clone())
    ///     .expect_success_within(SignedDuration::from_hours(26))
    ///     .build_at(&JobDefaults::default(), now)?;
    /// assert_eq!(job.expect_success_within(), Some(SignedDuration::from_hours(26)));
    /// assert_eq!(serde_json::to_value(job.to_stored()?)?["expect_success_within"], "26h");
    ///
    /// let error = JobBuilder::new("backup", trigger)
    ///     .expect_success_within(SignedDuration::ZERO)
    ///     .build_at(&JobDefaults::default(), now)
    ///     .unwrap_err();
    /// assert_eq!(error.to_string(), "expect_success_within: 0s is not positive");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expect_success_within(mut self, within: SignedDuration) -> JobBuilder {
        self.expect_success_within = Some(within);
        self
    }

    /// The first run time, instead of the trigger's first fire time
    /// (APScheduler's `next_run_time`).
    pub fn next_run_time(mut self, first: Timestamp) -> JobBuilder {
        self.first_run = FirstRun::At(first);
        self
    }

    /// Adds the job paused (APScheduler's `next_run_time=None`).
    pub fn paused(mut self) -> JobBuilder {
        self.first_run = FirstRun::Paused;
        self
    }

    /// Replaces a job of the same id instead of failing.
    pub fn replace_existing(mut self, replace: bool) -> JobBuilder {
        self.replace_existing = replace;
        self
    }

    /// Sets label `key` to `value`: free-form metadata stored with the job
    /// (in its JSON) and never read by the scheduler — who manages the job,
    /// a team, a ticket. The `tempora` daemon labels the jobs it adds with
    /// `origin` (`config` for its file's jobs, `cli` for `tempora jobs
    /// add`), so that syncing the file removes only its own jobs.
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::IntervalTrigger;
    ///
    /// let trigger = IntervalTrigger::builder().hours(1).timezone("UTC").build()?;
    /// let job = JobBuilder::new("report", trigger)
    ///     .label("origin", "cli")
    ///     .label("team", "ops")
    ///     .build_at(&JobDefaults::default(), "2026-01-01T00:00:00Z".parse()?)?;
    /// let stored = serde_json::to_value(job.to_stored()?)?;
    /// assert_eq!(stored["labels"], serde_json::json!({"origin": "cli", "team": "ops"}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> JobBuilder {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Excludes the calendars the scheduler knows by these names (see
    /// [`SchedulerBuilder::calendar`](crate::scheduler::SchedulerBuilder::calendar)):
    /// the job does not fire at the times they hold. The job keeps their
    /// definitions, so changing a scheduler's calendar later does not
    /// change the jobs added before.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    /// use tempora::job::JobBuilder;
    /// use tempora::scheduler::SchedulerBuilder;
    /// use tempora::task::{JobContext, Tasks};
    /// use tempora::trigger::CronTrigger;
    ///
    /// let tasks = Tasks::new();
    /// tasks.register("report", |_: JobContext, _: ()| Ok::<_, String>(()));
    /// let scheduler = SchedulerBuilder::new()
    ///     .tasks(tasks)
    ///     .calendar("holidays", Calendar::dates(["2026-12-25", "2027-01-01"]).build()?)
    ///     .host_driven()?;
    /// let trigger = CronTrigger::crontab("0 9 * * *").timezone("UTC").build()?;
    /// let job = scheduler.add_job(JobBuilder::new("report", trigger).exclude(["holidays"]))?;
    /// assert_eq!(job.exclusions().keys().collect::<Vec<_>>(), ["holidays"]);
    ///
    /// let unknown = JobBuilder::new("report", CronTrigger::crontab("0 9 * * *").timezone("UTC").build()?)
    ///     .exclude(["holydays"]);
    /// assert_eq!(
    ///     scheduler.add_job(unknown).unwrap_err().to_string(),
    ///     "exclude: \"holydays\" is not a calendar of the scheduler; known: \"holidays\""
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exclude<I, S>(mut self, names: I) -> JobBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exclude.extend(names.into_iter().map(Into::into));
        self
    }

    /// Excludes `calendar` under `name`, given here rather than known to
    /// the scheduler: for a job built with [`JobBuilder::build_at`] and put
    /// straight into a store.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::IntervalTrigger;
    ///
    /// let trigger = IntervalTrigger::builder().hours(1).timezone("UTC").build()?;
    /// let night = Calendar::daily("22:00", "06:00").build()?;
    /// let job = JobBuilder::new("poll", trigger)
    ///     .exclude_calendar("night", night)
    ///     .build_at(&JobDefaults::default(), "2026-06-01T21:30:00Z".parse()?)?;
    /// assert_eq!(job.next_run_time().unwrap().to_string(), "2026-06-02T06:30:00Z");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exclude_calendar(mut self, name: impl Into<String>, calendar: Calendar) -> JobBuilder {
        self.exclusions.insert(name.into(), calendar);
        self
    }

    /// Finds the calendars named with [`JobBuilder::exclude`] among
    /// `known`.
    pub(crate) fn find_calendars(mut self, known: &Exclusions) -> Result<JobBuilder> {
        for name in std::mem::take(&mut self.exclude) {
            let Some(calendar) = known.get(&name) else {
                return Err(unknown_calendar(&name, known));
            };
            self.exclusions.insert(name, calendar.clone());
        }
        Ok(self)
    }

    /// Builds the job as a scheduler would at `now`, filling what is unset
    /// from `defaults`. Schedulers call it in `add_job`; call it yourself to
    /// put a job straight into a store.
    ///
    /// # Errors
    ///
    /// Field `args` when the arguments could not be serialized, `id` when it
    /// is empty, `max_instances` when 0, `misfire_grace_time` when negative,
    /// `timeout` when zero or negative, `retry.*` when a retry setting is
    /// out of range ([`Retry::validate`]), `pause_after_failures` when 0;
    /// `exclude` when a calendar is named with [`JobBuilder::exclude`] (only
    /// a scheduler knows those: give it with [`JobBuilder::exclude_calendar`]),
    /// or when the calendars exclude every fire time of a trigger that has
    /// some (see [`crate::calendar`]).
    pub fn build_at(self, defaults: &JobDefaults, now: Timestamp) -> Result<Job> {
        if let Some(name) = self.exclude.first() {
            return Err(Error::invalid(
                "exclude",
                format!(
                    "{name:?} is a calendar name, which only a scheduler resolves; \
                     give the calendar with JobBuilder::exclude_calendar"
                ),
            ));
        }
        let args = self.args.map_err(|message| {
            Error::invalid("args", format!("cannot be serialized to JSON: {message}"))
        })?;
        if let Some(timeout) = self.timeout {
            check_timeout(timeout)?;
        }
        let max_instances = self.max_instances.unwrap_or(defaults.max_instances);
        if max_instances == 0 {
            return Err(Error::invalid(
                "max_instances",
                "0 is not allowed: at least 1",
            ));
        }
        if let Some(retry) = &self.retry {
            retry.validate()?;
        }
        check_pause_after_failures(self.pause_after_failures)?;
        if let Some(notify) = &self.notify {
            notify.validate()?;
        }
        if let Some(within) = self.expect_success_within
            && !within.is_positive()
        {
            return Err(Error::invalid(
                "expect_success_within",
                format!("{within:#} is not positive"),
            ));
        }
        let misfire_grace_time = self
            .misfire_grace_time
            .unwrap_or(defaults.misfire_grace_time);
        if let MisfireGraceTime::Limit(limit) = misfire_grace_time
            && limit.is_negative()
        {
            return Err(Error::invalid(
                "misfire_grace_time",
                format!("{limit:#} is negative: give zero or more, or unlimited"),
            ));
        }
        let id: Arc<str> = match self.id {
            Some(id) if id.is_empty() => {
                return Err(Error::invalid("id", "\"\" is empty: give a non-empty id"));
            }
            Some(id) => Arc::from(id),
            None => {
                let mut text = [0; uuid::fmt::Simple::LENGTH];
                Arc::from(&*uuid::Uuid::new_v4().simple().encode_lower(&mut text))
            }
        };
        // The task's name, when it names the job, is shared with the task.
        let name = match self.name {
            Some(name) => Arc::from(name),
            None => Arc::clone(self.task.shared_name().unwrap_or(&id)),
        };
        let zone = self.trigger.zone();
        let exclusions: Exclusions = self
            .exclusions
            .iter()
            .map(|(name, calendar)| (name.clone(), calendar.in_zone_unless_set(zone)))
            .collect();
        let next_run_time = match self.first_run {
            FirstRun::FromTrigger => {
                let next = next_included(&self.trigger, &exclusions, None, now);
                if next.is_none()
                    && !exclusions.is_empty()
                    && let Some(first) = self.trigger.next_fire_time(None, now)
                {
                    let names: Vec<String> =
                        exclusions.keys().map(|name| format!("{name:?}")).collect();
                    return Err(Error::invalid(
                        "exclude",
                        format!(
                            "the calendars {} exclude every fire time of the trigger from {} on",
                            names.join(", "),
                            zone.format(first)
                        ),
                    ));
                }
                next
            }
            FirstRun::At(first) => Some(first),
            FirstRun::Paused => None,
        };
        Ok(Job {
            id,
            name,
            task: self.task,
            args: shared_args(args),
            trigger: self.trigger,
            options: Arc::new(JobOptions {
                executor: Arc::from(self.executor.as_deref().unwrap_or(DEFAULT)),
                store: self.store.unwrap_or_else(|| DEFAULT.to_owned()),
                misfire_grace_time,
                coalesce: self.coalesce.unwrap_or(defaults.coalesce),
                max_instances,
                labels: self.labels,
                on_interrupted: self.on_interrupted.unwrap_or(defaults.on_interrupted),
                exclusions,
                timeout: self.timeout,
                overlap: self.overlap.or(defaults.overlap),
                retry: self.retry,
                pause_after_failures: self.pause_after_failures,
                notify: self.notify.map(Box::new),
                expect_success_within: self.expect_success_within,
            }),
            next_run_time,
            previous_fire_time: None,
            run_of: None,
            paused_reason: None,
        })
    }
}

/// Refuses a time limit of zero or less.
pub(crate) fn check_timeout(timeout: SignedDuration) -> Result<()> {
    if timeout.is_positive() {
        return Ok(());
    }
    Err(Error::invalid(
        "timeout",
        format!("{timeout:#} is not positive"),
    ))
}

/// `pause_after_failures` must be at least 1 when set.
fn check_pause_after_failures(failures: Option<u32>) -> Result<()> {
    if failures == Some(0) {
        return Err(Error::invalid(
            "pause_after_failures",
            "0 is not allowed: at least 1",
        ));
    }
    Ok(())
}

/// A change to an existing job, for a scheduler's `modify_job`: only what is
/// set changes.
///
/// ```
/// use tempora::job::JobChanges;
///
/// let changes = JobChanges::new().name("nightly export").max_instances(3);
/// assert!(!changes.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct JobChanges {
    pub(crate) name: Option<String>,
    pub(crate) args: Option<std::result::Result<Value, String>>,
    pub(crate) executor: Option<String>,
    pub(crate) misfire_grace_time: Option<MisfireGraceTime>,
    pub(crate) coalesce: Option<bool>,
    pub(crate) max_instances: Option<u32>,
    pub(crate) next_run_time: Option<Timestamp>,
    pub(crate) on_interrupted: Option<OnInterrupted>,
    pub(crate) timeout: Option<Option<SignedDuration>>,
    pub(crate) overlap: Option<Overlap>,
    pub(crate) retry: Option<Option<Retry>>,
    pub(crate) pause_after_failures: Option<Option<u32>>,
    pub(crate) notify: Option<Option<Notify>>,
    pub(crate) expect_success_within: Option<Option<SignedDuration>>,
    /// The scheduler's calendars named to exclude, found by `modify_job`.
    pub(crate) exclude: Vec<String>,
    /// The calendars the job excludes from now on, when they change.
    pub(crate) exclusions: Option<Exclusions>,
}

impl JobChanges {
    /// No changes yet.
    pub fn new() -> JobChanges {
        JobChanges::default()
    }

    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.args.is_none()
            && self.executor.is_none()
            && self.misfire_grace_time.is_none()
            && self.coalesce.is_none()
            && self.max_instances.is_none()
            && self.next_run_time.is_none()
            && self.on_interrupted.is_none()
            && self.timeout.is_none()
            && self.overlap.is_none()
            && self.retry.is_none()
            && self.exclusions.is_none()
            && self.pause_after_failures.is_none()
            && self.notify.is_none()
            && self.expect_success_within.is_none()
    }

    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> JobChanges {
        self.name = Some(name.into());
        self
    }

    /// New arguments.
    pub fn args<A: Serialize + ?Sized>(mut self, args: &A) -> JobChanges {
        self.args = Some(serde_json::to_value(args).map_err(|error| error.to_string()));
        self
    }

    /// A new executor.
    pub fn executor(mut self, name: impl Into<String>) -> JobChanges {
        self.executor = Some(name.into());
        self
    }

    /// A new misfire grace time.
    pub fn misfire_grace_time(mut self, grace: MisfireGraceTime) -> JobChanges {
        self.misfire_grace_time = Some(grace);
        self
    }

    /// Coalesce or not.
    pub fn coalesce(mut self, coalesce: bool) -> JobChanges {
        self.coalesce = Some(coalesce);
        self
    }

    /// A new limit of concurrent runs (at least 1).
    pub fn max_instances(mut self, max_instances: u32) -> JobChanges {
        self.max_instances = Some(max_instances);
        self
    }

    /// A new next run time (resumes a paused job).
    pub fn next_run_time(mut self, next: Timestamp) -> JobChanges {
        self.next_run_time = Some(next);
        self
    }

    /// A new policy for interrupted runs.
    pub fn on_interrupted(mut self, policy: OnInterrupted) -> JobChanges {
        self.on_interrupted = Some(policy);
        self
    }

    /// A new time limit for its runs (see [`JobBuilder::timeout`]);
    /// `None` removes the limit.
    pub fn timeout(mut self, timeout: Option<SignedDuration>) -> JobChanges {
        self.timeout = Some(timeout);
        self
    }

    /// A new overlap policy; see [`Overlap`].
    pub fn overlap(mut self, policy: Overlap) -> JobChanges {
        self.overlap = Some(policy);
        self
    }

    /// A new retry policy, or none (`None`: failed runs are not retried).
    pub fn retry(mut self, retry: Option<Retry>) -> JobChanges {
        self.retry = Some(retry);
        self
    }

    /// A new count of failed fire times in a row that pauses the job, or
    /// none (`None`: never paused).
    pub fn pause_after_failures(mut self, failures: Option<u32>) -> JobChanges {
        self.pause_after_failures = Some(failures);
        self
    }

    /// New notify settings (see [`crate::notify`]), or none (`None`: the
    /// job's notices go where the scheduler's default sends them, if
    /// anywhere). The job's stale checks (with `expect_success_within`)
    /// move onto the new settings, still due when they were, as a
    /// scheduler's `modify_job` re-arms them.
    ///
    /// ```
    /// use tempora::clock::ManualClock;
    /// use tempora::job::{JobBuilder, JobChanges};
    /// use tempora::notify::{NoticeKind, Notify};
    /// use tempora::scheduler::SchedulerBuilder;
    /// use tempora::task::{JobContext, Tasks};
    /// use tempora::trigger::IntervalTrigger;
    ///
    /// let tasks = Tasks::new();
    /// tasks.register("backup", |_: JobContext, _: ()| Ok::<_, String>(()));
    /// let clock = ManualClock::new("2026-06-05T10:00:00Z".parse()?);
    /// let scheduler = SchedulerBuilder::new().tasks(tasks).clock(clock).host_driven()?;
    /// let daily = IntervalTrigger::builder().hours(24).timezone("UTC").build()?;
    /// scheduler.add_job(JobBuilder::new("backup", daily).id("backup"))?;
    ///
    /// let page = Notify::new().command(["page-ops"]).on([NoticeKind::Failure]);
    /// let job = scheduler.modify_job("backup", JobChanges::new().notify(Some(page.clone())))?;
    /// assert_eq!(job.notify(), Some(&page));
    ///
    /// let wrong = Notify::new().webhook("ftp://example.com");
    /// let error = scheduler.modify_job("backup", JobChanges::new().notify(Some(wrong)));
    /// assert_eq!(
    ///     error.unwrap_err().to_string(),
    ///     r#"notify.webhook: "ftp://example.com" is not an http or https URL"#
    /// );
    ///
    /// let job = scheduler.modify_job("backup", JobChanges::new().notify(None))?;
    /// assert_eq!(job.notify(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn notify(mut self, notify: Option<Notify>) -> JobChanges {
        self.notify = Some(notify);
        self
    }

    /// A new longest time the job may go without a success before its
    /// `stale` notice (see [`JobBuilder::expect_success_within`]), or none
    /// (`None`: no stale checks). The quiet spell under way keeps its
    /// start: the job's stale checks come due this long after its last
    /// success (or its adding), as a scheduler's `modify_job` re-arms
    /// them.
    ///
    /// ```
    /// use tempora::jiff::SignedDuration;
    /// use tempora::job::JobChanges;
    ///
    /// let changes = JobChanges::new().expect_success_within(Some(SignedDuration::from_hours(50)));
    /// assert!(!changes.is_empty());
    /// ```
    pub fn expect_success_within(mut self, within: Option<SignedDuration>) -> JobChanges {
        self.expect_success_within = Some(within);
        self
    }

    /// True when the changes touch what the job's stale checks are made
    /// of: its notify settings or its `expect_success_within`.
    pub(crate) fn changes_stale_checks(&self) -> bool {
        self.notify.is_some() || self.expect_success_within.is_some()
    }

    /// The calendars the job excludes from now on, by the names a
    /// scheduler knows them by (see [`JobBuilder::exclude`]): they replace
    /// the calendars it excluded (none: it excludes nothing). The job's
    /// next run time moves past the fire times they exclude.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    /// use tempora::clock::ManualClock;
    /// use tempora::job::{JobBuilder, JobChanges};
    /// use tempora::scheduler::SchedulerBuilder;
    /// use tempora::task::{JobContext, Tasks};
    /// use tempora::trigger::CronTrigger;
    ///
    /// let tasks = Tasks::new();
    /// tasks.register("report", |_: JobContext, _: ()| Ok::<_, String>(()));
    /// // Friday 2026-06-05, 10:00 UTC.
    /// let clock = ManualClock::new("2026-06-05T10:00:00Z".parse()?);
    /// let scheduler = SchedulerBuilder::new()
    ///     .tasks(tasks)
    ///     .clock(clock)
    ///     .calendar("weekends", Calendar::weekdays(["sat", "sun"]).build()?)
    ///     .host_driven()?;
    /// scheduler.start()?;
    /// let daily = CronTrigger::crontab("0 9 * * *").timezone("UTC").build()?;
    /// let job = scheduler.add_job(JobBuilder::new("report", daily).id("report"))?;
    /// assert_eq!(job.next_run_time().unwrap().to_string(), "2026-06-06T09:00:00Z");
    ///
    /// let job = scheduler.modify_job("report", JobChanges::new().exclude(["weekends"]))?;
    /// assert!(job.exclusions().contains_key("weekends"));
    /// assert_eq!(job.next_run_time().unwrap().to_string(), "2026-06-08T09:00:00Z");
    ///
    /// let job = scheduler.modify_job("report", JobChanges::new().exclude(["holidays"]));
    /// assert_eq!(
    ///     job.unwrap_err().to_string(),
    ///     "exclude: \"holidays\" is not a calendar of the scheduler; known: \"weekends\""
    /// );
    ///
    /// let job = scheduler.modify_job("report", JobChanges::new().exclude(Vec::<String>::new()))?;
    /// assert!(job.exclusions().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exclude<I, S>(mut self, names: I) -> JobChanges
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exclude = names.into_iter().map(Into::into).collect();
        self.exclusions.get_or_insert_with(Exclusions::new);
        self
    }

    /// Adds calendar `calendar`, under `name`, to the calendars the job
    /// excludes from now on (which replace those it excluded, as with
    /// [`JobChanges::exclude`]): a calendar the scheduler does not know by
    /// name.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    /// use tempora::job::JobChanges;
    ///
    /// let changes = JobChanges::new().exclude_calendar("night", Calendar::daily("22:00", "06:00").build()?);
    /// assert!(!changes.is_empty());
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn exclude_calendar(mut self, name: impl Into<String>, calendar: Calendar) -> JobChanges {
        self.exclusions
            .get_or_insert_with(Exclusions::new)
            .insert(name.into(), calendar);
        self
    }

    /// Finds the calendars named with [`JobChanges::exclude`] among
    /// `known`.
    pub(crate) fn find_calendars(mut self, known: &Exclusions) -> Result<JobChanges> {
        for name in std::mem::take(&mut self.exclude) {
            let Some(calendar) = known.get(&name) else {
                return Err(unknown_calendar(&name, known));
            };
            self.exclusions
                .get_or_insert_with(Exclusions::new)
                .insert(name, calendar.clone());
        }
        Ok(self)
    }

    /// Applies the changes to `job`, all or none.
    pub(crate) fn apply(self, job: &mut Job) -> Result<()> {
        let mut changed = job.clone();
        self.apply_each(&mut changed)?;
        *job = changed;
        Ok(())
    }

    fn apply_each(self, job: &mut Job) -> Result<()> {
        if let Some(max_instances) = self.max_instances {
            if max_instances == 0 {
                return Err(Error::invalid(
                    "max_instances",
                    "0 is not allowed: at least 1",
                ));
            }
            Arc::make_mut(&mut job.options).max_instances = max_instances;
        }
        if let Some(args) = self.args {
            job.args = shared_args(args.map_err(|message| {
                Error::invalid("args", format!("cannot be serialized to JSON: {message}"))
            })?);
        }
        if let Some(name) = self.name {
            job.name = Arc::from(name);
        }
        if let Some(executor) = self.executor {
            Arc::make_mut(&mut job.options).executor = Arc::from(executor);
        }
        if let Some(grace) = self.misfire_grace_time {
            if let MisfireGraceTime::Limit(limit) = grace
                && limit.is_negative()
            {
                return Err(Error::invalid(
                    "misfire_grace_time",
                    format!("{limit:#} is negative: give zero or more, or unlimited"),
                ));
            }
            Arc::make_mut(&mut job.options).misfire_grace_time = grace;
        }
        if let Some(coalesce) = self.coalesce {
            Arc::make_mut(&mut job.options).coalesce = coalesce;
        }
        if let Some(next) = self.next_run_time {
            job.next_run_time = Some(next);
            job.paused_reason = None;
        }
        if let Some(retry) = self.retry {
            if let Some(retry) = &retry {
                retry.validate()?;
            }
            Arc::make_mut(&mut job.options).retry = retry;
        }
        if let Some(failures) = self.pause_after_failures {
            check_pause_after_failures(failures)?;
            Arc::make_mut(&mut job.options).pause_after_failures = failures;
        }
        if let Some(policy) = self.on_interrupted {
            Arc::make_mut(&mut job.options).on_interrupted = policy;
        }
        if let Some(notify) = self.notify {
            if let Some(notify) = &notify {
                notify.validate()?;
            }
            Arc::make_mut(&mut job.options).notify = notify.map(Box::new);
        }
        if let Some(within) = self.expect_success_within {
            if let Some(within) = within
                && !within.is_positive()
            {
                return Err(Error::invalid(
                    "expect_success_within",
                    format!("{within:#} is not positive"),
                ));
            }
            Arc::make_mut(&mut job.options).expect_success_within = within;
        }
        if let Some(timeout) = self.timeout {
            if let Some(timeout) = timeout {
                check_timeout(timeout)?;
            }
            Arc::make_mut(&mut job.options).timeout = timeout;
        }
        if let Some(policy) = self.overlap {
            Arc::make_mut(&mut job.options).overlap = Some(policy);
        }
        if let Some(name) = self.exclude.first() {
            return Err(Error::invalid(
                "exclude",
                format!(
                    "{name:?} names a scheduler's calendar, and no scheduler looked it up: \
                     give the calendar with JobChanges::exclude_calendar"
                ),
            ));
        }
        if let Some(exclusions) = self.exclusions {
            let zone = job.trigger.zone();
            let exclusions: Exclusions = exclusions
                .into_iter()
                .map(|(name, calendar)| {
                    let calendar = calendar.in_zone_unless_set(zone);
                    (name, calendar)
                })
                .collect();
            if let Some(next) = job.next_run_time {
                let included =
                    next_included(&job.trigger, &exclusions, job.previous_fire_time, next);
                if included.is_none() && !exclusions.is_empty() {
                    let names: Vec<String> =
                        exclusions.keys().map(|name| format!("{name:?}")).collect();
                    return Err(Error::invalid(
                        "exclude",
                        format!(
                            "the calendars {} exclude every fire time of the trigger from {} on",
                            names.join(", "),
                            zone.format(next)
                        ),
                    ));
                }
                job.next_run_time = included;
            }
            Arc::make_mut(&mut job.options).exclusions = exclusions;
        }
        Ok(())
    }
}

/// The error for calendar `name`, which is none of the scheduler's `known`.
fn unknown_calendar(name: &str, known: &Exclusions) -> Error {
    let names: Vec<String> = known.keys().map(|name| format!("{name:?}")).collect();
    let known = if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    };
    Error::invalid(
        "exclude",
        format!("{name:?} is not a calendar of the scheduler; known: {known}"),
    )
}
