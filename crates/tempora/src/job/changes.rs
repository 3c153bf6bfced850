//! A change to an existing job ([`JobChanges`]), checked before it applies.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::Value;

use crate::calendar::{Calendar, Exclusions, next_included};
use crate::error::{Error, Result};
use crate::notify::Notify;

use super::{
    Job, MisfireGraceTime, OnInterrupted, Overlap, Retry, check_pause_after_failures,
    check_timeout, shared_args, unknown_calendar,
};

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

    /// A new time limit for its runs (see [`JobBuilder::timeout`](super::JobBuilder::timeout));
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
    /// `stale` notice (see [`JobBuilder::expect_success_within`](super::JobBuilder::expect_success_within)), or none
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
    /// scheduler knows them by (see [`JobBuilder::exclude`](super::JobBuilder::exclude)): they replace
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
