//! One `[[job]]` table: its keys, their checks, and the job they make —
//! for the file, for `tempora jobs add` (TOML) and for the API (JSON).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use jiff::SignedDuration;
use serde::Deserialize;
use tempora::calendar::Calendar;
use tempora::job::{JobBuilder, MisfireGraceTime, OnInterrupted, Overlap, Retry};
use tempora::notify::Notify;
use tempora::task::{COMMAND, CommandArgs, InheritEnv};
use tempora::trigger::Trigger;
use toml::Spanned;

use crate::trigger_options::{CalendarFields, IntervalFlags};

use super::trigger::{check_trigger, numbered_day_of_week};
use super::{Located, duration};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJob {
    pub(super) id: Spanned<String>,
    pub(super) name: Option<String>,
    pub(super) command: Option<Spanned<Vec<String>>>,
    pub(super) shell: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) env: BTreeMap<String, String>,
    pub(super) inherit_env: Option<Spanned<toml::Value>>,
    pub(super) working_dir: Option<PathBuf>,
    pub(super) user: Option<Spanned<String>>,
    pub(super) group: Option<Spanned<String>>,
    pub(super) umask: Option<Spanned<String>>,
    pub(super) env_file: Option<PathBuf>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) cron: Option<Spanned<toml::Value>>,
    pub(super) interval: Option<Spanned<IntervalFlags>>,
    pub(super) calendar_interval: Option<Spanned<CalendarFields>>,
    pub(super) date: Option<Spanned<String>>,
    pub(super) timezone: Option<Spanned<String>>,
    pub(super) start_date: Option<Spanned<String>>,
    pub(super) end_date: Option<Spanned<String>>,
    pub(super) dst_gap: Option<Spanned<String>>,
    pub(super) dst_fold: Option<Spanned<String>>,
    pub(super) jitter: Option<Spanned<String>>,
    pub(super) misfire_grace_time: Option<MisfireGraceTime>,
    pub(super) coalesce: Option<bool>,
    pub(super) max_instances: Option<Spanned<u32>>,
    pub(super) on_interrupted: Option<OnInterrupted>,
    pub(super) exclude: Option<Spanned<Vec<String>>>,
    pub(super) overlap: Option<Overlap>,
    pub(super) retry: Option<Spanned<Retry>>,
    pub(super) retry_on: Option<Spanned<Vec<i32>>>,
    pub(super) pause_after_failures: Option<Spanned<u32>>,
    pub(super) notify: Option<Notify>,
    pub(super) expect_success_within: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) paused: bool,
}

/// One `[[job]]`, checked: what the daemon adds to its store.
#[derive(Debug, Clone)]
pub struct JobConfig {
    /// The job's id, unique in the file.
    pub id: String,
    /// The job's readable name, if given.
    pub name: Option<String>,
    /// The program, its arguments, environment and directory.
    pub command: CommandArgs,
    /// When it fires.
    pub trigger: Trigger,
    /// How late a run may start, if set.
    pub misfire_grace_time: Option<MisfireGraceTime>,
    /// Whether due runs coalesce, if set.
    pub coalesce: Option<bool>,
    /// Concurrent runs allowed (across every node sharing the store), if
    /// set.
    pub max_instances: Option<u32>,
    /// What happens to a run interrupted by its node's death, if set.
    pub on_interrupted: Option<OnInterrupted>,
    /// The calendars whose times the job skips, by name (`exclude`), as
    /// the file's `[calendar.NAME]` tables define them.
    pub exclude: BTreeMap<String, Calendar>,
    /// How long a run may take before its program is killed and the run
    /// recorded as `timeout` (the job's
    /// [`timeout`](tempora::job::JobBuilder::timeout), kept with the job
    /// in the store), if set.
    pub timeout: Option<SignedDuration>,
    /// What happens to a fire time while the job runs `max_instances`
    /// runs, if set.
    pub overlap: Option<Overlap>,
    /// How failed runs are retried (`retry`, with `retry_on`), if set.
    pub retry: Option<Retry>,
    /// After how many failed fire times in a row the job is paused, if set.
    pub pause_after_failures: Option<u32>,
    /// Where the job's notices go (`notify`), if set; otherwise the file's
    /// top-level `[notify]`, if any.
    pub notify: Option<Notify>,
    /// How long the job may go without a success before a `stale` notice
    /// (`expect_success_within`), if set.
    pub expect_success_within: Option<SignedDuration>,
    /// Added paused.
    pub paused: bool,
}

impl JobConfig {
    /// The job as a scheduler adds it: the built-in `command` task with
    /// this job's arguments.
    /// It carries the label [`ORIGIN`] = `origin`, which tells the daemon's
    /// sync whose job it is.
    pub fn to_builder(&self, origin: &str) -> JobBuilder {
        let mut builder = JobBuilder::new(COMMAND, self.trigger.clone())
            .id(&self.id)
            .args(&self.command)
            .label(ORIGIN, origin)
            .replace_existing(true);
        set_given!(builder;
            &self.name => name,
            self.misfire_grace_time => misfire_grace_time,
            self.coalesce => coalesce,
            self.max_instances => max_instances,
            self.on_interrupted => on_interrupted,
            self.timeout => timeout,
            self.overlap => overlap,
            self.retry.clone() => retry,
            self.pause_after_failures => pause_after_failures,
            self.notify.clone() => notify,
            self.expect_success_within => expect_success_within,
        );
        for (name, calendar) in &self.exclude {
            builder = builder.exclude_calendar(name, calendar.clone());
        }
        if self.paused {
            builder = builder.label(PAUSED_IN_CONFIG, "true").paused();
        }
        builder
    }
}

pub use tempora_api::views::{ORIGIN, PAUSED_UNTIL, paused_until};

/// [`ORIGIN`] of a job from the configuration file.
pub const ORIGIN_CONFIG: &str = "config";
/// [`ORIGIN`] of a job added with `tempora jobs add`.
pub const ORIGIN_CLI: &str = "cli";
/// The label set to `true` on a job of the configuration file whose
/// `[[job]]` says `paused = true`. A sync compares it with the file: when
/// the file's `paused` changed, the job is paused or resumed as the file
/// now says; when it did not, a pause or resume made at run time
/// (`tempora jobs pause`) is kept.
pub const PAUSED_IN_CONFIG: &str = "paused_in_config";

/// Reads one job from the body of a `[[job]]` table, as `tempora jobs add`
/// builds it from its options; triggers default to `default_zone` (the
/// machine's zone when `None`). A mistake is its message without a place:
/// it names the key.
///
/// ```
/// use tempora_cli::config::job_from_toml;
///
/// let job = job_from_toml("id = \"a\"\nshell = \"true\"\ncron = \"*/5 * * * *\"\n", Some("UTC"))?;
/// assert_eq!(job.id, "a");
/// let error = job_from_toml("id = \"a\"\nshell = \"true\"\ncron = \"0 24 * * *\"\n", None).unwrap_err();
/// assert_eq!(error, "hour: 24 is out of range 0-23");
/// # Ok::<(), String>(())
/// ```
///
/// # Errors
///
/// The first mistake, as for a `[[job]]` of a file.
pub fn job_from_toml(text: &str, default_zone: Option<&str>) -> Result<JobConfig, String> {
    let job: RawJob =
        toml::from_str(text).map_err(|error| error.message().trim_end().to_owned())?;
    let mut warnings = Vec::new();
    check_job(
        text,
        job,
        0..text.len(),
        default_zone,
        &BTreeMap::new(),
        &mut warnings,
    )
    .map_err(|(_, message)| message)
}

/// Reads one job from the JSON form of a `[[job]]` table (the body of the
/// API's `POST /v1/jobs`), as the configuration file reads it: triggers
/// default to `default_zone`, `exclude` names calendars of `calendars`.
/// A `null` value is a key not given.
///
/// ```
/// use std::collections::BTreeMap;
/// use tempora_cli::config::job_from_json;
///
/// let table = serde_json::json!({ "id": "a", "shell": "true", "cron": "*/5 * * * *" });
/// let job = job_from_json(table.as_object().unwrap(), Some("UTC"), &BTreeMap::new())?;
/// assert_eq!(job.id, "a");
/// let table = serde_json::json!({ "id": "a", "shell": "true", "cron": { "hour": 24 } });
/// let error = job_from_json(table.as_object().unwrap(), None, &BTreeMap::new()).unwrap_err();
/// assert_eq!(error.field(), Some("hour"));
/// assert_eq!(error.to_string(), "hour: 24 is out of range 0-23");
/// # Ok::<(), tempora::Error>(())
/// ```
///
/// # Errors
///
/// The first mistake, as for a `[[job]]` of a file, as an error naming the
/// key.
pub fn job_from_json(
    table: &serde_json::Map<String, serde_json::Value>,
    default_zone: Option<&str>,
    calendars: &BTreeMap<String, Calendar>,
) -> Result<JobConfig, tempora::Error> {
    let table: serde_json::Map<String, serde_json::Value> = table
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let refused = |message: String| {
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some((key, _)) = rest.split_once('`')
        {
            return tempora::Error::invalid(key, message.clone());
        }
        if let Some(rest) = message.strip_prefix("missing field `")
            && let Some((key, _)) = rest.split_once('`')
        {
            return tempora::Error::invalid(key, "missing");
        }
        match message.split_once(": ") {
            Some((field, reason)) if !field.contains(' ') => tempora::Error::invalid(field, reason),
            _ => tempora::Error::invalid("job", message),
        }
    };
    let value = toml::Value::try_from(serde_json::Value::Object(table))
        .map_err(|error| refused(error.to_string()))?;
    let text = toml::to_string(&value).map_err(|error| refused(error.to_string()))?;
    let job: RawJob =
        toml::from_str(&text).map_err(|error| refused(error.message().trim_end().to_owned()))?;
    let mut warnings = Vec::new();
    check_job(
        &text,
        job,
        0..text.len(),
        default_zone,
        calendars,
        &mut warnings,
    )
    .map_err(|(_, message)| refused(message))
}

pub(super) fn check_job(
    text: &str,
    job: RawJob,
    span: Range<usize>,
    default_zone: Option<&str>,
    calendars: &BTreeMap<String, Calendar>,
    warnings: &mut Vec<String>,
) -> Result<JobConfig, Located> {
    if job.id.get_ref().is_empty() {
        return Err((
            job.id.span(),
            "id: is empty; give a non-empty id".to_owned(),
        ));
    }
    let mut command = match (&job.command, &job.shell) {
        (Some(command), None) => {
            let Some((program, args)) = command.get_ref().split_first() else {
                return Err((
                    command.span(),
                    "command: is empty; give the program and its arguments, e.g. [\"ls\", \"-l\"]"
                        .to_owned(),
                ));
            };
            CommandArgs::new(program).args(args)
        }
        (None, Some(shell)) => CommandArgs::new("/bin/sh").args(["-c", shell.get_ref()]),
        (Some(_), Some(shell)) => {
            return Err((
                shell.span(),
                "shell: give either command (a program and its arguments) or shell (a string for /bin/sh), not both"
                    .to_owned(),
            ));
        }
        (None, None) => {
            return Err((
                span,
                "command: missing; give command = [\"program\", \"arg\", ...] or shell = \"...\""
                    .to_owned(),
            ));
        }
    };
    for (name, value) in &job.env {
        command = command.env(name, value);
    }
    command = command.inherit_env(inherit_env(job.inherit_env.as_ref())?);
    if let Some(dir) = &job.working_dir {
        command = command.working_dir(dir);
    }
    command = crate::run_as::apply(command, &job.user, &job.group, &job.umask, &job.env_file)?;
    let timeout = match &job.timeout {
        Some(timeout) => Some(duration("timeout", timeout)?),
        None => None,
    };
    if let Some(max) = &job.max_instances
        && *max.get_ref() == 0
    {
        return Err((
            max.span(),
            "max_instances: 0 is not allowed: at least 1".to_owned(),
        ));
    }
    if let Some(failures) = &job.pause_after_failures
        && *failures.get_ref() == 0
    {
        return Err((
            failures.span(),
            "pause_after_failures: 0 is not allowed: at least 1".to_owned(),
        ));
    }
    let trigger = check_trigger(text, &job, span, default_zone)?;
    if let Some(cron) = &job.cron
        && let toml::Value::Table(fields) = cron.get_ref()
        && let Some(day_of_week) = fields.get("day_of_week")
        && let Some(warning) = numbered_day_of_week(day_of_week)
    {
        warnings.push(warning);
    }
    let mut exclude = BTreeMap::new();
    if let Some(names) = &job.exclude {
        for name in names.get_ref() {
            let Some(calendar) = calendars.get(name) else {
                return Err((names.span(), unknown_calendar(name, calendars)));
            };
            exclude.insert(name.clone(), calendar.clone());
        }
    }
    let expect_success_within = match &job.expect_success_within {
        Some(within) => Some(duration("expect_success_within", within)?),
        None => None,
    };
    let mut retry = job.retry.map(Spanned::into_inner);
    if let Some(statuses) = job.retry_on {
        let span = statuses.span();
        retry = match retry {
            Some(retry) => Some(retry.retry_on(statuses.into_inner())),
            None => {
                return Err((
                    span,
                    "retry_on: needs retry, e.g. retry = { attempts = 3, delay = \"30s\" }"
                        .to_owned(),
                ));
            }
        };
    }
    Ok(JobConfig {
        id: job.id.into_inner(),
        name: job.name,
        command,
        trigger,
        misfire_grace_time: job.misfire_grace_time,
        coalesce: job.coalesce,
        max_instances: job.max_instances.map(Spanned::into_inner),
        on_interrupted: job.on_interrupted,
        exclude,
        timeout,
        overlap: job.overlap,
        retry,
        pause_after_failures: job.pause_after_failures.map(Spanned::into_inner),
        notify: job.notify,
        expect_success_within,
        paused: job.paused,
    })
}

/// The message for an `exclude` naming a calendar the file does not define.
pub fn unknown_calendar(name: &str, calendars: &BTreeMap<String, Calendar>) -> String {
    let defined: Vec<String> = calendars.keys().map(|name| format!("{name:?}")).collect();
    let defined = if defined.is_empty() {
        "none".to_owned()
    } else {
        defined.join(", ")
    };
    format!(
        "exclude: {name:?} is not a calendar of the configuration file \
         (defined: {defined}); define it in a [calendar.{name}] table"
    )
}

/// The daemon's jobs see only the base variables of its environment
/// ([`tempora::task::BASE_ENV`]) unless they ask: `inherit_env = true` for
/// all, or a list of names.
fn inherit_env(given: Option<&Spanned<toml::Value>>) -> Result<InheritEnv, Located> {
    let Some(given) = given else {
        return Ok(InheritEnv::Base(Vec::new()));
    };
    let refused = || {
        (
            given.span(),
            "inherit_env: give true (all of the daemon's environment), false (only PATH, HOME, \
             LANG and the like) or a list of variable names"
                .to_owned(),
        )
    };
    match given.get_ref() {
        toml::Value::Boolean(true) => Ok(InheritEnv::All),
        toml::Value::Boolean(false) => Ok(InheritEnv::Base(Vec::new())),
        toml::Value::Array(names) => {
            let mut listed = Vec::new();
            for name in names {
                match name.as_str() {
                    Some(name) if !name.is_empty() && !name.contains(['=', '\0']) => {
                        listed.push(name.to_owned());
                    }
                    _ => return Err(refused()),
                }
            }
            Ok(InheritEnv::Base(listed))
        }
        _ => Err(refused()),
    }
}
