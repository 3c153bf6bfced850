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
use tempora::trigger::{
    CalendarIntervalTrigger, CronTrigger, CronTriggerBuilder, DateTrigger, DstFold, DstGap,
    IntervalTrigger, Trigger, Zone,
};
use tempora::{Error, Result};

use crate::trigger_options::TriggerOptions;

/// `tempora next`: a trigger and the options every trigger takes, or
/// `--job ID` for a job in the daemon's store.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, arg_required_else_help = true)]
pub struct NextArgs {
    /// The kind of trigger.
    #[command(subcommand)]
    pub trigger: Option<TriggerArgs>,
    /// A stored job instead of a trigger: its next run time, then its
    /// trigger's fire times after it (for a paused job, or with --now, the
    /// trigger's fire times from now).
    #[arg(long, value_name = "ID")]
    pub job: Option<String>,
    /// With --job: the daemon's configuration file, naming the store
    /// [default: tempora.toml].
    #[arg(long, short, value_name = "FILE", requires = "job")]
    pub config: Option<std::path::PathBuf>,
    /// With --job: the store's URL, instead of the configuration file's.
    #[arg(long, value_name = "URL", requires = "job")]
    pub store: Option<String>,
    /// With --job: the time to answer for (T; default: the current time).
    #[arg(long, value_name = "T", requires = "job")]
    pub now: Option<String>,
    /// With --job: how many fire times to print.
    #[arg(long, value_name = "N", default_value_t = 5, requires = "job")]
    pub count: usize,
    /// With --job: print a JSON array.
    #[arg(long, requires = "job")]
    pub json: bool,
}

/// The fire times of the stored job `--job` names.
fn job_fire_times(args: &NextArgs, id: &str, now: Timestamp) -> crate::Result<Vec<String>> {
    let store = crate::jobs::StoreArgs {
        config: args.config.clone(),
        store: args.store.clone(),
        store_prefix: None,
        json: false,
    };
    let opened = store.open()?;
    let job = opened.job(id)?;
    let trigger = job.trigger();
    let given_now = args
        .now
        .as_deref()
        .map(|text| parse_time(trigger.zone(), "now", text))
        .transpose()?;
    let times: Vec<Timestamp> = match (job.next_run_time(), given_now) {
        (Some(next), None) => std::iter::once(next)
            .chain(trigger.fire_times(Some(next), next))
            .take(args.count)
            .collect(),
        (_, now_given) => trigger
            .fire_times(None, now_given.unwrap_or(now))
            .take(args.count)
            .collect(),
    };
    Ok(times
        .into_iter()
        .map(|time| trigger.zone().format(time))
        .collect())
}

/// The trigger kinds of `tempora next`, each with its own fields.
#[derive(Debug, Subcommand)]
pub enum TriggerArgs {
    /// Cron fields, APScheduler's grammar (day of week 0 = Monday).
    ///
    /// Fields above the least significant one given default to `*`, those
    /// below it to their minimum: `--hour 9` alone fires at 09:00:00 every day.
    /// Each field takes `*`, `*/a`, `a`, `a-b`, `a-b/c`, `a/c` and lists `x,y,z`;
    /// `--day` also takes `last`, `3rd fri`, `last sun`. The day and the day of
    /// the week must both match.
    Cron {
        /// The fields.
        #[command(flatten)]
        fields: CronFieldArgs,
        /// The DST policies.
        #[command(flatten)]
        dst: DstArgs,
        /// Options every trigger takes.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// A crontab string: `minute hour day month day_of_week`, with an
    /// optional leading second and trailing year, or `@daily` and friends.
    ///
    /// As in cron, the day of the week counts from Sunday (0 and 7 are Sunday,
    /// names sun-sat), and when both day fields are restricted a day matches
    /// if either does. `L`, `LW`, `15W`, `5L` and `fri#3` are understood.
    Crontab {
        /// The expression, quoted: "*/15 9-17 * * mon-fri".
        #[arg(value_name = "EXPR")]
        expression: String,
        /// The DST policies.
        #[command(flatten)]
        dst: DstArgs,
        /// Options every trigger takes.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Every fixed length of elapsed time (an hour is 3600 s across DST).
    ///
    /// The lengths add up: `--hours 1 --minutes 30` is every 90 minutes. From
    /// `--start-date` (default: now), fire times are whole intervals apart in
    /// elapsed time, so `--hours 24` fires an hour later on the wall clock
    /// after clocks spring forward.
    #[command(
        mut_arg("dst_gap", |arg| arg.hide(true)),
        mut_arg("dst_fold", |arg| arg.hide(true)),
    )]
    Interval {
        /// Weeks between fires.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        weeks: i64,
        /// Days between fires (24 hours each, whatever the clocks do).
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        days: i64,
        /// Hours between fires.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        hours: i64,
        /// Minutes between fires.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        minutes: i64,
        /// Seconds between fires.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        seconds: i64,
        /// Refused: DST policies are for wall-clock triggers.
        #[command(flatten)]
        dst: DstArgs,
        /// Options every trigger takes.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Every so many years, months, weeks and days, at a wall-clock time
    /// (APScheduler 3.11's CalendarIntervalTrigger).
    ///
    /// Years and months keep the day of the month and skip months that lack
    /// it (the 31st fires in January, March, May...); then the weeks and days
    /// are added. It starts on the date of `--start-date` (default: today).
    #[command(
        mut_arg("start_date", |arg| arg.help(
            "The first day it may fire (T; its date in the trigger's zone is used; default: today)"
        )),
        mut_arg("end_date", |arg| arg.help(
            "The last day it may fire (T; its date in the trigger's zone is used)"
        )),
    )]
    CalendarInterval {
        /// Years between fires.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        years: i32,
        /// Months between fires.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        months: i32,
        /// Weeks between fires.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        weeks: i32,
        /// Days between fires.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        days: i32,
        /// The hour of the day it fires at, 0-23.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        hour: i32,
        /// The minute it fires at, 0-59.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        minute: i32,
        /// The second it fires at, 0-59.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        second: i32,
        /// The DST policies.
        #[command(flatten)]
        dst: DstArgs,
        /// Options every trigger takes.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Once, at a given time.
    #[command(
        mut_arg("dst_gap", |arg| arg.hide(true)),
        mut_arg("dst_fold", |arg| arg.hide(true)),
        mut_arg("start_date", |arg| arg.hide(true)),
        mut_arg("end_date", |arg| arg.hide(true)),
    )]
    Date {
        /// When it fires (T; a local time in a DST gap moves forward by the
        /// gap, one in a fold is the first occurrence).
        #[arg(long = "run-date", value_name = "T")]
        run_date: String,
        /// Refused: DST policies are for wall-clock triggers.
        #[command(flatten)]
        dst: DstArgs,
        /// Options every trigger takes.
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// The fields of `tempora next cron`, each an expression of APScheduler's
/// grammar, passed as given to [`CronTriggerBuilder`].
#[derive(Debug, Args)]
pub struct CronFieldArgs {
    /// Year: 4 digits, e.g. 2027, 2026-2030, */2.
    #[arg(long, value_name = "EXPR")]
    pub year: Option<String>,
    /// Month: 1-12 or jan-dec, e.g. jun-aug.
    #[arg(long, value_name = "EXPR")]
    pub month: Option<String>,
    /// Day of the month: 1-31, `last`, `3rd fri`, `last sun`.
    #[arg(long, value_name = "EXPR")]
    pub day: Option<String>,
    /// ISO week of the year: 1-53.
    #[arg(long, value_name = "EXPR")]
    pub week: Option<String>,
    /// Day of the week: 0-6 (0 = Monday) or mon-sun, e.g. mon-fri.
    #[arg(long = "day-of-week", value_name = "EXPR")]
    pub day_of_week: Option<String>,
    /// Hour: 0-23.
    #[arg(long, value_name = "EXPR")]
    pub hour: Option<String>,
    /// Minute: 0-59.
    #[arg(long, value_name = "EXPR")]
    pub minute: Option<String>,
    /// Second: 0-59.
    #[arg(long, value_name = "EXPR")]
    pub second: Option<String>,
}

impl CronFieldArgs {
    /// Gives `builder` the fields that were given; the others keep the
    /// builder's defaults.
    fn apply(&self, mut builder: CronTriggerBuilder) -> CronTriggerBuilder {
        type Setter = fn(CronTriggerBuilder, &String) -> CronTriggerBuilder;
        let setters: [(&Option<String>, Setter); 8] = [
            (&self.year, |b, v| b.year(v)),
            (&self.month, |b, v| b.month(v)),
            (&self.day, |b, v| b.day(v)),
            (&self.week, |b, v| b.week(v)),
            (&self.day_of_week, |b, v| b.day_of_week(v)),
            (&self.hour, |b, v| b.hour(v)),
            (&self.minute, |b, v| b.minute(v)),
            (&self.second, |b, v| b.second(v)),
        ];
        for (value, set) in setters {
            if let Some(value) = value {
                builder = set(builder, value);
            }
        }
        builder
    }
}

/// What a wall-clock trigger does when daylight saving time moves the clocks.
#[derive(Debug, Args)]
pub struct DstArgs {
    /// A wall time that does not exist (clocks jump forward): shift,
    /// at-transition or skip.
    ///
    /// shift (default): the same distance past the gap, 02:30 becomes 03:30.
    /// at-transition: the first instant after the gap, 02:30 becomes 03:00.
    /// skip: no fire that day. Only for cron, crontab and calendar-interval.
    #[arg(long = "dst-gap", value_name = "POLICY")]
    pub dst_gap: Option<String>,
    /// A wall time that happens twice (clocks fall back): auto, first, last
    /// or both.
    ///
    /// auto (default): once, at the first occurrence, unless the hour field
    /// is `*`, then in both passes. first: the first occurrence. last: the
    /// second occurrence. both: both occurrences. Only for cron, crontab and
    /// calendar-interval.
    #[arg(long = "dst-fold", value_name = "POLICY")]
    pub dst_fold: Option<String>,
}

impl DstArgs {
    /// The policies given, read.
    fn policies(&self) -> Result<(Option<DstGap>, Option<DstFold>)> {
        let gap = self.dst_gap.as_deref().map(str::parse).transpose()?;
        let fold = self.dst_fold.as_deref().map(str::parse).transpose()?;
        Ok((gap, fold))
    }

    /// Refuses any policy, for a trigger that does not fire by the wall
    /// clock; `why` says what it does instead.
    fn refuse(&self, why: &str) -> Result<()> {
        for (field, given) in [("dst_gap", &self.dst_gap), ("dst_fold", &self.dst_fold)] {
            if let Some(value) = given {
                return Err(Error::invalid(
                    field,
                    format!(
                        "{value:?} does not apply: {why}; DST policies are for cron, crontab \
                         and calendar-interval"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The options of every `tempora next` trigger. A time T is RFC 3339 with an
/// offset, or a local `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]` in the trigger's zone.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// The trigger's zone: an IANA name, UTC, or an offset like +05:30
    /// (default: this machine's zone, or UTC if it has no IANA name).
    // Hyphen values: `--timezone -08:00` is an offset, not an option.
    #[arg(long, value_name = "TZ", allow_hyphen_values = true)]
    pub timezone: Option<String>,
    /// The first instant it may fire (T).
    #[arg(long = "start-date", value_name = "T")]
    pub start_date: Option<String>,
    /// The last instant it may fire (T), inclusive.
    #[arg(long = "end-date", value_name = "T")]
    pub end_date: Option<String>,
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
}

impl TriggerArgs {
    /// The options every trigger takes.
    pub fn common(&self) -> &CommonArgs {
        match self {
            TriggerArgs::Cron { common, .. }
            | TriggerArgs::Crontab { common, .. }
            | TriggerArgs::Interval { common, .. }
            | TriggerArgs::CalendarInterval { common, .. }
            | TriggerArgs::Date { common, .. } => common,
        }
    }

    /// Builds the trigger in `zone`.
    ///
    /// # Errors
    ///
    /// An error naming the field for a value the trigger refuses, a time
    /// that does not parse, or an option that does not apply to the kind.
    pub fn build(&self, zone: &Zone) -> Result<Trigger> {
        let common = self.common();
        let start = common
            .start_date
            .as_deref()
            .map(|text| parse_time(zone, "start_date", text))
            .transpose()?;
        let end = common
            .end_date
            .as_deref()
            .map(|text| parse_time(zone, "end_date", text))
            .transpose()?;
        let options = |dst: &DstArgs| -> Result<TriggerOptions<'_>> {
            let (gap, fold) = dst.policies()?;
            Ok(TriggerOptions {
                zone,
                timezone: zone.name(),
                start,
                end,
                gap,
                fold,
                jitter: None,
            })
        };
        let trigger = match self {
            TriggerArgs::Cron { fields, dst, .. } => options(dst)?
                .cron(fields.apply(CronTrigger::builder()))
                .build()?
                .into(),
            TriggerArgs::Crontab {
                expression, dst, ..
            } => options(dst)?
                .cron(CronTrigger::crontab(expression))
                .build()?
                .into(),
            TriggerArgs::Interval {
                weeks,
                days,
                hours,
                minutes,
                seconds,
                dst,
                ..
            } => {
                dst.refuse("an interval counts elapsed time, not the wall clock")?;
                let builder = IntervalTrigger::builder()
                    .weeks(*weeks)
                    .days(*days)
                    .hours(*hours)
                    .minutes(*minutes)
                    .seconds(*seconds);
                options(dst)?.interval(builder).build()?.into()
            }
            TriggerArgs::CalendarInterval {
                years,
                months,
                weeks,
                days,
                hour,
                minute,
                second,
                dst,
                ..
            } => {
                let builder = CalendarIntervalTrigger::builder()
                    .years(*years)
                    .months(*months)
                    .weeks(*weeks)
                    .days(*days)
                    .hour(*hour)
                    .minute(*minute)
                    .second(*second);
                options(dst)?.calendar_interval(builder).build()?.into()
            }
            TriggerArgs::Date { run_date, dst, .. } => {
                dst.refuse(
                    "a date fires at one instant; to pick one side of a DST change, \
                     give --run-date an offset",
                )?;
                for (field, given) in [
                    ("start_date", &common.start_date),
                    ("end_date", &common.end_date),
                ] {
                    if let Some(value) = given {
                        return Err(Error::invalid(
                            field,
                            format!(
                                "{value:?} does not apply: a date trigger fires once, at --run-date"
                            ),
                        ));
                    }
                }
                let run_date = parse_time(zone, "run_date", run_date)?;
                DateTrigger::in_zone(run_date, zone.clone()).into()
            }
        };
        Ok(trigger)
    }
}

/// Reads a time T on `zone`'s wall clock; a mistake names `field`, the
/// option it was given to, rather than the library's generic `time`.
fn parse_time(zone: &Zone, field: &str, text: &str) -> Result<Timestamp> {
    zone.parse_time(text).map_err(|error| {
        let message = error.to_string();
        let reason = error
            .field()
            .and_then(|inner| message.strip_prefix(inner))
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or(&message);
        Error::invalid(field, reason)
    })
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
    let Some(trigger_args) = &args.trigger else {
        return Err(Error::invalid(
            "trigger",
            "give a trigger kind (cron, crontab, interval, calendar-interval, date) or --job ID",
        ));
    };
    let common = trigger_args.common();
    let zone = match &common.timezone {
        Some(name) => Zone::new(name)?,
        None => Zone::system(),
    };
    let trigger = trigger_args.build(&zone)?;
    let now = match &common.now {
        Some(text) => parse_time(&zone, "now", text)?,
        None => now,
    };
    let previous = common
        .previous
        .as_deref()
        .map(|text| parse_time(&zone, "previous", text))
        .transpose()?;
    Ok(trigger
        .fire_times(previous, now)
        .take(common.count)
        .map(|time| trigger.zone().format(time))
        .collect())
}

/// What `tempora next` prints on stdout: the [`fire_times`] one per line, or
/// with `--json` as a JSON array on one line.
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
    let (times, json) = match (&args.job, &args.trigger) {
        (Some(id), _) => (job_fire_times(args, id, now)?, args.json),
        (None, trigger) => (
            fire_times(args, now)?,
            trigger
                .as_ref()
                .is_some_and(|trigger| trigger.common().json),
        ),
    };
    if json {
        return Ok(format!("{}\n", serde_json::Value::from(times)));
    }
    Ok(times.iter().map(|line| format!("{line}\n")).collect())
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
    fn a_bad_time_names_its_option_once() {
        let error = next(&[
            "crontab",
            "@daily",
            "--timezone",
            "UTC",
            "--now",
            "yesterday",
        ]);
        assert_eq!(
            error.unwrap_err().to_string(),
            "now: \"yesterday\" is neither RFC 3339 with an offset nor a local \
             YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]"
        );
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
