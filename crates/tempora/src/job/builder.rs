//! A new job's description ([`JobBuilder`]) and its checks.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::Value;

use crate::calendar::{Calendar, Exclusions, next_included};
use crate::error::{Error, Result};
use crate::notify::Notify;
use crate::task::JobTask;
use crate::trigger::Trigger;

use super::{
    DEFAULT, Job, JobDefaults, JobOptions, MisfireGraceTime, OnInterrupted, Overlap, Retry,
    check_pause_after_failures, check_timeout, shared_args, unknown_calendar,
};

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

    /// The job's id. When not given, a UUID of version 7 (32 hex digits):
    /// the ids a program makes grow in the order its jobs are added, so
    /// that jobs due at the same time, which a store orders by id, run in
    /// the order they were added (as in APScheduler), and a database's
    /// index of ids takes each new one at its end.
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
                Arc::from(&*uuid::Uuid::now_v7().simple().encode_lower(&mut text))
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
