//! `tempora next`: when does a schedule fire next?
//!
//! [`fire_times`] builds the trigger the arguments describe and lists its
//! fire times, each in RFC 3339 with the numeric offset of the trigger's zone;
//! [`run`] turns them into what the command prints: one per line, or a JSON
//! array. Both are plain functions of the arguments and of `now`, the time
//! `main` read once (used only when `--now` is not given).
//!
//! ```
//! use clap::Parser;
//! use tempora_cli::{Cli, Command, next};
//!
//! let cli = Cli::try_parse_from([
//!     "tempora", "next", "cron", "--day", "last", "--hour", "18",
//!     "--timezone", "America/New_York", "--now", "2026-01-31 18:00:01", "--count", "2",
//! ])?;
//! let Command::Next(args) = &cli.command else { unreachable!() };
//! let now = "2000-01-01T00:00:00Z".parse()?; // ignored: --now is given
//! assert_eq!(
//!     next::fire_times(args, now)?,
//!     ["2026-02-28T18:00:00-05:00", "2026-03-31T18:00:00-04:00"],
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use clap::{Args, Subcommand};
use jiff::Timestamp;
use tempora::Result;
use tempora::calendar::Exclusions;
use tempora::job::{JobBuilder, JobDefaults};
use tempora::trigger::Zone;
use tempora_api::actions::fire_times_from;

use crate::trigger_options::{
    CronFields, FieldFlags, IntervalFlags, TriggerCommon, TriggerFlags, TriggerKind, parse_time,
};

/// `tempora next`: a trigger — its flags, or its kind as a subcommand and
/// that kind's flags — and what to print, or `--job ID` for a job in the
/// daemon's store.
///
/// The trigger flags are those of `tempora jobs add`; see
/// [`TriggerFlags`] for how they choose the kind.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, arg_required_else_help = true)]
pub struct NextArgs {
    /// The kind of trigger, with only its own flags.
    #[command(subcommand)]
    pub kind: Option<KindCommand>,
    /// What to print.
    #[command(flatten)]
    pub output: NextOutput,
    /// A stored job instead of a trigger: its next run time, then its
    /// trigger's fire times after it (for a paused job, or with --now, the
    /// trigger's fire times from now).
    #[arg(long, value_name = "ID")]
    pub job: Option<String>,
    /// With --job: the store's URL, instead of the configuration file's.
    #[arg(long, value_name = "URL", requires = "job")]
    pub store: Option<String>,
    /// The trigger, by its flags alone: `tempora next --hour 9` (last: they
    /// have their own heading in `--help`).
    #[command(flatten)]
    pub trigger: TriggerFlags,
}

/// What `tempora next` prints, and from when. A time T is RFC 3339 with an
/// offset, or a local `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]` in the trigger's
/// zone.
#[derive(Debug, Clone, Args)]
pub struct NextOutput {
    /// The previous fire time (T): the first line is then the first fire time
    /// after it, even if that is before now (a missed run).
    #[arg(long, value_name = "T")]
    pub previous: Option<String>,
    /// The time to answer for (T; default: the current time).
    #[arg(long, value_name = "T")]
    pub now: Option<String>,
    /// How many fire times to print.
    // Negative numbers: `--count -1` is refused as a count, not taken for an option.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 5,
        allow_negative_numbers = true
    )]
    pub count: usize,
    /// Print a JSON array of the fire times instead of lines.
    #[arg(long)]
    pub json: bool,
    /// First print the schedule in words ("every 15 minutes from 09:00 to
    /// 17:45, Monday to Friday"), on the wall clock of the trigger's zone;
    /// with --json, print `{"description", "zone", "fire_times"}`.
    #[arg(long)]
    pub describe: bool,
    /// The daemon's configuration file: with --exclude, the one whose
    /// `[calendar.NAME]` tables define the calendars; with --job, the one
    /// naming the store [default: tempora.toml].
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
}

/// The fire times of the stored job `--job` names.
fn job_fire_times(args: &NextArgs, id: &str, now: Timestamp) -> crate::Result<Schedule> {
    let store = crate::jobs::StoreArgs {
        config: args.output.config.clone(),
        store: args.store.clone(),
        store_prefix: None,
        json: false,
    };
    let opened = store.open()?;
    let job = opened.job(id)?;
    let trigger = job.trigger();
    let given_now = args
        .output
        .now
        .as_deref()
        .map(|text| parse_time(trigger.zone(), "now", text))
        .transpose()?;
    // The job's own fire times: its calendars' exclusions applied.
    let times: Vec<Timestamp> = match (job.next_run_time(), given_now) {
        (Some(next), None) => std::iter::once(next)
            .chain(fire_times_from(&job, Some(next), next))
            .take(args.output.count)
            .collect(),
        (_, now_given) => fire_times_from(&job, None, now_given.unwrap_or(now))
            .take(args.output.count)
            .collect(),
    };
    Ok(Schedule {
        description: trigger.describe(),
        zone: trigger.zone().name().to_owned(),
        fire_times: times
            .into_iter()
            .map(|time| trigger.zone().format(time))
            .collect(),
    })
}

/// A schedule as `tempora next --describe` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Schedule {
    /// The schedule in words ([`tempora::trigger::Trigger::describe`]).
    pub description: String,
    /// The trigger's zone, whose wall clock the description speaks of.
    pub zone: String,
    /// The fire times, RFC 3339 with the offset of the trigger's zone.
    pub fire_times: Vec<String>,
}

/// The calendars `--exclude` names, from the configuration file (`--config`,
/// default `tempora.toml`).
fn excluded_calendars(output: &NextOutput, names: &[String]) -> Result<Exclusions> {
    if names.is_empty() {
        return Ok(Exclusions::new());
    }
    let path = output
        .config
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from(crate::jobs::DEFAULT_CONFIG));
    let config = crate::daemon::load(&path).map_err(|error| {
        tempora::Error::invalid(
            "config",
            format!("the calendars of --exclude are read from it: {error}"),
        )
    })?;
    crate::jobs::resolve_calendars(names, &config.calendars).map_err(|error| match error {
        crate::CliError::Invalid(error) => error,
        other => tempora::Error::invalid("exclude", other.to_string()),
    })
}

/// The trigger kinds of `tempora next` as subcommands, each offering its own
/// flags of [`TriggerFlags`].
#[derive(Debug, Subcommand)]
pub enum KindCommand {
    /// Cron fields, APScheduler's grammar (day of week 0 = Monday).
    ///
    /// Fields above the least significant one given default to `*`, those
    /// below it to their minimum: `--hour 9` alone fires at 09:00:00 every day.
    /// Each field takes `*`, `*/a`, `a`, `a-b`, `a-b/c`, `a/c` and lists `x,y,z`;
    /// `--day` also takes `last`, `3rd fri`, `last sun`. The day and the day of
    /// the week must both match.
    Cron(Kind<CronFields>),
    /// A crontab string: `minute hour day month day_of_week`, with an
    /// optional leading second and trailing year, or `@daily` and friends
    /// (`--cron EXPR` without a subcommand).
    ///
    /// As in cron, the day of the week counts from Sunday (0 and 7 are Sunday,
    /// names sun-sat), and when both day fields are restricted a day matches
    /// if either does. `L`, `LW`, `15W`, `5L` and `fri#3` are understood.
    Crontab(Kind<Crontab>),
    /// Every fixed length of elapsed time (an hour is 3600 s across DST).
    ///
    /// The lengths add up: `--hours 1 --minutes 30` is every 90 minutes, as
    /// is `--interval 90m`. From `--start-date` (default: now), fire times
    /// are whole intervals apart in elapsed time, so `--hours 24` fires an
    /// hour later on the wall clock after clocks spring forward.
    #[command(mut_args(hiding(&["dst_gap", "dst_fold"])))]
    Interval(Kind<IntervalFlags>),
    /// Every so many years, months, weeks and days, at a wall-clock time
    /// (APScheduler 3.11's CalendarIntervalTrigger).
    ///
    /// Years and months keep the day of the month and skip months that lack
    /// it (the 31st fires in January, March, May...); then the weeks and days
    /// are added. It starts on the date of `--start-date` (default: today),
    /// at `--hour`, `--minute` and `--second` (default 00:00:00).
    #[command(
        mut_args(hiding(&[
            "year", "month", "day", "week", "day_of_week", "interval", "hours", "minutes",
            "seconds", "jitter",
        ])),
        mut_arg("hour", |arg| arg.help("The hour of the day it fires at, 0-23")),
        mut_arg("minute", |arg| arg.help("The minute it fires at, 0-59")),
        mut_arg("second", |arg| arg.help("The second it fires at, 0-59")),
        mut_arg("start_date", |arg| arg.help(
            "The first day it may fire (T; its date in the trigger's zone is used; default: today)"
        )),
        mut_arg("end_date", |arg| arg.help(
            "The last day it may fire (T; its date in the trigger's zone is used)"
        )),
    )]
    CalendarInterval(Kind<FieldFlags>),
    /// Once, at a given time (`--run-date T` without a subcommand).
    #[command(mut_args(hiding(&["dst_gap", "dst_fold", "start_date", "end_date", "jitter"])))]
    Date(Kind<RunDate>),
}

/// One kind of `tempora next`: its own flags, the options every trigger
/// takes, and what to print.
#[derive(Debug, Args)]
pub struct Kind<T: Args> {
    /// The kind's own flags.
    #[command(flatten)]
    pub flags: T,
    /// Zone, bounds, policies, jitter.
    #[command(flatten)]
    pub common: TriggerCommon,
    /// What to print.
    #[command(flatten)]
    pub output: NextOutput,
}

/// `tempora next crontab EXPR`.
#[derive(Debug, Clone, Args)]
pub struct Crontab {
    /// The expression, quoted: "*/15 9-17 * * mon-fri".
    #[arg(value_name = "EXPR")]
    pub expression: String,
}

/// `tempora next date --run-date T`.
#[derive(Debug, Clone, Args)]
pub struct RunDate {
    /// When it fires (T; a local time in a DST gap moves forward by the
    /// gap, one in a fold is the first occurrence).
    #[arg(long = "run-date", value_name = "T")]
    pub run_date: String,
}

/// What one kind's own flags are among [`TriggerFlags`].
pub trait KindFlags: Args {
    /// The kind.
    const KIND: TriggerKind;
    /// Puts these flags into `flags`.
    fn put(&self, flags: &mut TriggerFlags);
}

impl KindFlags for CronFields {
    const KIND: TriggerKind = TriggerKind::Cron;
    fn put(&self, flags: &mut TriggerFlags) {
        flags.fields.cron = self.clone();
    }
}

impl KindFlags for Crontab {
    const KIND: TriggerKind = TriggerKind::Cron;
    fn put(&self, flags: &mut TriggerFlags) {
        flags.cron = Some(self.expression.clone());
    }
}

impl KindFlags for IntervalFlags {
    const KIND: TriggerKind = TriggerKind::Interval;
    fn put(&self, flags: &mut TriggerFlags) {
        flags.fields.every = self.clone();
    }
}

impl KindFlags for FieldFlags {
    const KIND: TriggerKind = TriggerKind::CalendarInterval;
    fn put(&self, flags: &mut TriggerFlags) {
        flags.fields = self.clone();
    }
}

impl KindFlags for RunDate {
    const KIND: TriggerKind = TriggerKind::Date;
    fn put(&self, flags: &mut TriggerFlags) {
        flags.run_date = Some(self.run_date.clone());
    }
}

impl<T: KindFlags> Kind<T> {
    /// The kind, its flags as [`TriggerFlags`], and what to print.
    pub fn parts(&self) -> (TriggerKind, TriggerFlags, &NextOutput) {
        let mut flags = TriggerFlags {
            common: self.common.clone(),
            ..TriggerFlags::default()
        };
        self.flags.put(&mut flags);
        (T::KIND, flags, &self.output)
    }
}

/// Hides the flags of [`TriggerFlags`] named in `names` from a kind's help:
/// they belong to other kinds (given anyway, they are refused, named).
fn hiding(names: &'static [&'static str]) -> impl FnMut(clap::Arg) -> clap::Arg {
    move |arg| {
        let hidden = names.contains(&arg.get_id().as_str());
        arg.hide(hidden)
    }
}

impl KindCommand {
    /// The kind, its flags as [`TriggerFlags`], and what to print.
    pub fn parts(&self) -> (TriggerKind, TriggerFlags, &NextOutput) {
        match self {
            KindCommand::Cron(kind) => kind.parts(),
            KindCommand::Crontab(kind) => kind.parts(),
            KindCommand::Interval(kind) => kind.parts(),
            KindCommand::CalendarInterval(kind) => kind.parts(),
            KindCommand::Date(kind) => kind.parts(),
        }
    }
}

impl NextArgs {
    /// The trigger's kind (when a subcommand names it), its flags, and what
    /// to print.
    fn parts(&self) -> (Option<TriggerKind>, TriggerFlags, &NextOutput) {
        match &self.kind {
            Some(command) => {
                let (kind, flags, output) = command.parts();
                (Some(kind), flags, output)
            }
            None => (None, self.trigger.clone(), &self.output),
        }
    }
}

/// The fire times of the trigger `args` describes, as `tempora next` prints
/// them: RFC 3339 with the numeric offset of the trigger's zone. The first is
/// `next_fire_time(previous, now)`, each further one the next after the one
/// before; at most `--count`, fewer when the trigger is exhausted.
///
/// `now` is used when `--now` is not given; `--timezone` defaults to
/// [`Zone::system`].
///
/// # Errors
///
/// An error naming the field for a bad zone, time, trigger field or policy,
/// or an option that does not apply to the trigger's kind.
///
/// ```
/// use clap::Parser;
/// use tempora_cli::{Cli, Command, next};
///
/// let cli = Cli::try_parse_from([
///     "tempora", "next", "interval", "--hours", "24", "--timezone", "+05:30",
///     "--start-date", "2026-01-01 09:00", "--end-date", "2026-01-02 09:00", "--now", "2026-01-01",
/// ])?;
/// let Command::Next(args) = &cli.command else { unreachable!() };
/// let now = "2000-01-01T00:00:00Z".parse()?;
/// assert_eq!(
///     next::fire_times(args, now)?,
///     ["2026-01-01T09:00:00+05:30", "2026-01-02T09:00:00+05:30"], // then the end date
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fire_times(args: &NextArgs, now: Timestamp) -> Result<Vec<String>> {
    schedule(args, now).map(|schedule| schedule.fire_times)
}

/// The trigger `args` describes, in words, with its [`fire_times`].
///
/// # Errors
///
/// Those of [`fire_times`].
///
/// ```
/// use clap::Parser;
/// use tempora_cli::{Cli, Command, next};
///
/// let cli = Cli::try_parse_from([
///     "tempora", "next", "--cron", "*/15 9-17 * * mon-fri", "--timezone", "Europe/Berlin",
///     "--now", "2026-11-27 17:50", "--count", "1",
/// ])?;
/// let Command::Next(args) = &cli.command else { unreachable!() };
/// let schedule = next::schedule(args, "2000-01-01T00:00:00Z".parse()?)?;
/// assert_eq!(schedule.description, "every 15 minutes from 09:00 to 17:45, Monday to Friday");
/// assert_eq!(schedule.fire_times, ["2026-11-30T09:00:00+01:00"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn schedule(args: &NextArgs, now: Timestamp) -> Result<Schedule> {
    let (kind, flags, output) = args.parts();
    let zone = match &flags.common.timezone {
        Some(name) => Zone::new(name)?,
        None => Zone::system(),
    };
    let trigger = flags.build(kind, &zone)?;
    let now = match &output.now {
        Some(text) => parse_time(&zone, "now", text)?,
        None => now,
    };
    let previous = output
        .previous
        .as_deref()
        .map(|text| parse_time(&zone, "previous", text))
        .transpose()?;
    let exclusions = excluded_calendars(output, &flags.common.exclude)?;
    let description = trigger.describe();
    let zone = trigger.zone().name().to_owned();
    if exclusions.is_empty() {
        let fire_times = trigger
            .fire_times(previous, now)
            .take(output.count)
            .map(|time| trigger.zone().format(time))
            .collect();
        return Ok(Schedule {
            description,
            zone,
            fire_times,
        });
    }
    // A job of the trigger and calendars, as `jobs add` would store it.
    let mut builder = JobBuilder::new("next", trigger.clone()).paused();
    for (name, calendar) in exclusions {
        builder = builder.exclude_calendar(name, calendar);
    }
    let job = builder.build_at(&JobDefaults::default(), now)?;
    let fire_times = fire_times_from(&job, previous, now)
        .take(output.count)
        .map(|time| trigger.zone().format(time))
        .collect();
    Ok(Schedule {
        description: format!(
            "{description}, except the days of {}",
            flags.common.exclude.join(", ")
        ),
        zone,
        fire_times,
    })
}

/// What `tempora next` prints on stdout: the [`fire_times`] one per line, or
/// with `--json` as a JSON array on one line; with `--describe`, the
/// schedule in words first (with `--json`, the [`Schedule`] as an object).
///
/// # Errors
///
/// Those of [`fire_times`].
///
/// ```
/// use clap::Parser;
/// use tempora_cli::{Cli, Command, next};
///
/// let cli = Cli::try_parse_from([
///     "tempora", "next", "date", "--run-date", "2026-07-06 16:30", "--timezone", "Europe/Helsinki",
///     "--now", "2026-07-01", "--json",
/// ])?;
/// let Command::Next(args) = &cli.command else { unreachable!() };
/// let now = "2000-01-01T00:00:00Z".parse()?;
/// assert_eq!(next::run(args, now)?, "[\"2026-07-06T16:30:00+03:00\"]\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run(args: &NextArgs, now: Timestamp) -> crate::Result<String> {
    let (schedule, output) = match &args.job {
        Some(id) => (job_fire_times(args, id, now)?, &args.output),
        None => (schedule(args, now)?, args.parts().2),
    };
    let (json, describe) = (output.json, output.describe || args.output.describe);
    match (json, describe) {
        (true, true) => Ok(format!(
            "{}\n",
            serde_json::to_value(&schedule).unwrap_or_default()
        )),
        (true, false) => Ok(format!(
            "{}\n",
            serde_json::Value::from(schedule.fire_times)
        )),
        (false, describe) => {
            let mut out = String::new();
            if describe {
                out.push_str(&format!("{} ({})\n", schedule.description, schedule.zone));
            }
            for line in &schedule.fire_times {
                out.push_str(&format!("{line}\n"));
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    /// The clock `main` would have read; every case that does not pass
    /// `--now` answers for this instant.
    const CLOCK: &str = "2026-01-01T00:00:00Z";

    /// `tempora next ARGS` answered at [`CLOCK`].
    fn next(args: &[&str]) -> Result<Vec<String>> {
        let argv = ["tempora", "next"].iter().chain(args);
        let cli = Cli::try_parse_from(argv).unwrap();
        let Command::Next(next) = cli.command else {
            panic!("not `next`: {args:?}")
        };
        fire_times(&next, CLOCK.parse().unwrap())
    }

    /// Rows of (arguments, the lines printed).
    #[test]
    fn fire_times_of_every_kind() {
        for (args, expected) in [
            (
                &[
                    "interval",
                    "--hours",
                    "1",
                    "--timezone",
                    "UTC",
                    "--count",
                    "2",
                ][..],
                &["2026-01-01T01:00:00+00:00", "2026-01-01T02:00:00+00:00"][..],
            ),
            (
                &[
                    "cron",
                    "--hour",
                    "9",
                    "--day-of-week",
                    "sat",
                    "--timezone",
                    "Europe/Berlin",
                    "--count",
                    "2",
                ],
                &["2026-01-03T09:00:00+01:00", "2026-01-10T09:00:00+01:00"],
            ),
            (
                &[
                    "crontab",
                    "0 0 1 */6 *",
                    "--timezone",
                    "-03:00",
                    "--count",
                    "2",
                ],
                &["2026-01-01T00:00:00-03:00", "2026-07-01T00:00:00-03:00"],
            ),
            (
                &[
                    "calendar-interval",
                    "--weeks",
                    "2",
                    "--hour",
                    "6",
                    "--timezone",
                    "UTC",
                    "--start-date",
                    "2026-01-05",
                    "--count",
                    "2",
                ],
                &["2026-01-05T06:00:00+00:00", "2026-01-19T06:00:00+00:00"],
            ),
            (
                &[
                    "date",
                    "--run-date",
                    "2026-02-01T12:00:00Z",
                    "--timezone",
                    "Asia/Tokyo",
                ],
                &["2026-02-01T21:00:00+09:00"],
            ),
            // Exhausted: a date after it has fired, and a count of zero.
            (
                &[
                    "date",
                    "--run-date",
                    "2026-02-01",
                    "--timezone",
                    "UTC",
                    "--previous",
                    "2026-02-01",
                ],
                &[],
            ),
            (
                &["crontab", "@hourly", "--timezone", "UTC", "--count", "0"],
                &[],
            ),
        ] {
            assert_eq!(next(args).unwrap(), expected, "{args:?}");
        }
    }

    #[test]
    fn a_calendar_interval_takes_the_date_of_its_start_in_its_zone() {
        let out = next(&[
            "calendar-interval",
            "--months",
            "1",
            "--hour",
            "9",
            "--timezone",
            "Europe/Berlin",
            "--start-date",
            "2026-01-31T23:30:00+00:00",
            "--end-date",
            "2026-03-31T22:30:00Z",
            "--now",
            "2026-01-01",
        ]);
        // 23:30 UTC on the 31st is already February 1st in Berlin, and 22:30
        // UTC on March 31st is already April 1st.
        assert_eq!(
            out.unwrap(),
            [
                "2026-02-01T09:00:00+01:00",
                "2026-03-01T09:00:00+01:00",
                "2026-04-01T09:00:00+02:00"
            ]
        );
    }

    #[test]
    fn mistakes_name_the_field() {
        for (args, field) in [
            (&["cron", "--hour", "24", "--timezone", "UTC"][..], "hour"),
            (&["cron", "--day-of-week", "funday"], "day_of_week"),
            (&["crontab", "* * *", "--timezone", "UTC"], "crontab"),
            (
                &["crontab", "@daily", "--timezone", "Mars/Base"],
                "timezone",
            ),
            (
                &["crontab", "@daily", "--timezone", "UTC", "--now", "later"],
                "now",
            ),
            (
                &["crontab", "@daily", "--previous", "2026-02-30"],
                "previous",
            ),
            (&["crontab", "@daily", "--start-date", "soon"], "start_date"),
            (
                &["interval", "--hours", "1", "--end-date", "2026"],
                "end_date",
            ),
            (&["date", "--run-date", "2026-13-01"], "run_date"),
            (
                &["interval", "--hours", "1", "--dst-gap", "skip"],
                "dst_gap",
            ),
            (
                &["interval", "--hours", "1", "--dst-fold", "both"],
                "dst_fold",
            ),
            (
                &["date", "--run-date", "2026-05-01", "--dst-fold", "both"],
                "dst_fold",
            ),
            (
                &[
                    "date",
                    "--run-date",
                    "2026-05-01",
                    "--start-date",
                    "2026-01-01",
                ],
                "start_date",
            ),
            (
                &[
                    "date",
                    "--run-date",
                    "2026-05-01",
                    "--end-date",
                    "2026-12-01",
                ],
                "end_date",
            ),
            (&["crontab", "@daily", "--dst-gap", "later"], "dst_gap"),
            (
                &["calendar-interval", "--days", "1", "--dst-fold", "twice"],
                "dst_fold",
            ),
            (&["interval", "--timezone", "UTC"], "interval"),
            (&["interval", "--minutes", "-5"], "minutes"),
            (
                &["calendar-interval", "--days", "1", "--minute", "60"],
                "minute",
            ),
        ] {
            let error = next(args).unwrap_err();
            assert_eq!(error.field(), Some(field), "{args:?}: {error}");
            assert!(error.is_invalid_input(), "{args:?}");
            let message = error.to_string();
            assert!(message.starts_with(&format!("{field}: ")), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }

    #[test]
    fn json_is_an_array_of_the_same_strings() {
        let args = |json: bool| {
            let mut argv = vec!["tempora", "next", "crontab", "@daily", "--timezone", "UTC"];
            argv.extend(["--count", "2"]);
            if json {
                argv.push("--json");
            }
            let Command::Next(next) = Cli::try_parse_from(argv).unwrap().command else {
                unreachable!()
            };
            run(&next, CLOCK.parse().unwrap()).unwrap()
        };
        assert_eq!(
            args(false),
            "2026-01-01T00:00:00+00:00\n2026-01-02T00:00:00+00:00\n"
        );
        assert_eq!(
            args(true),
            "[\"2026-01-01T00:00:00+00:00\",\"2026-01-02T00:00:00+00:00\"]\n"
        );
    }
}
