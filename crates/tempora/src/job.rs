//! Jobs: a task, a trigger and the options that say how runs are handled.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::calendar::{Exclusions, next_included};
use crate::error::{Error, Result};
use crate::notify::Notify;
use crate::task::JobTask;
use crate::trigger::Trigger;

mod backfill;
mod builder;
mod changes;
mod overlap;
mod stored;

pub use self::backfill::MAX_BACKFILL_RUNS;
pub use self::overlap::Overlap;
mod pending;
mod retry;

pub use builder::{FirstRun, JobBuilder};
pub use changes::JobChanges;
pub use pending::{PendingRunKind, RunOf, pending_run_id};
pub use retry::Retry;
pub use stored::StoredJob;

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
