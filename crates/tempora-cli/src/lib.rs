//! The `tempora` command: its arguments and what each command does.
//!
//! `main` only parses the command line, reads the clock once and calls
//! [`run`]; everything here is a plain function of its arguments, tested
//! without spawning a process.
//!
//! ```
//! use clap::Parser;
//! use tempora_cli::{Cli, run};
//!
//! let cli = Cli::try_parse_from([
//!     "tempora", "next", "crontab", "0 9 * * mon-fri",
//!     "--timezone", "Europe/Berlin", "--now", "2026-03-27 10:00", "--count", "2",
//! ])?;
//! let now = "2026-01-01T00:00:00Z".parse()?; // ignored: --now is given
//! assert_eq!(run(&cli, now)?, "2026-03-30T09:00:00+02:00\n2026-03-31T09:00:00+02:00\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod config;
pub mod daemon;

use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;
use tempora::Error;
use tempora::trigger::{
    CalendarIntervalTrigger, CronTrigger, DateTrigger, DstFold, DstGap, IntervalTrigger, Trigger,
    Zone,
};

/// What a command can fail with: a value refused by Tempora, or a located
/// mistake in a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A value was refused; the message names the field.
    #[error(transparent)]
    Invalid(#[from] Error),
    /// A configuration file has a mistake; the message names the place.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
}

impl CliError {
    /// The field named by a refused value, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            CliError::Invalid(error) => error.field(),
            CliError::Config(_) => None,
        }
    }
}

/// The result of a command.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

/// Tempora: a job scheduler. `tempora next` shows when a schedule fires.
#[derive(Debug, Parser)]
#[command(name = "tempora", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the next fire times of a trigger, one per line (RFC 3339 with
    /// the offset of the trigger's zone).
    Next(Box<NextArgs>),
    /// Run the scheduler in the foreground on the jobs of a configuration
    /// file. SIGINT/SIGTERM shut it down gracefully; SIGHUP reloads the file.
    Run(RunArgs),
    /// Check a configuration file: every key, trigger, duration and policy.
    /// A mistake is printed as FILE:LINE:COLUMN: what is wrong.
    Check(CheckArgs),
}

/// `tempora run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The configuration file.
    #[arg(long, short, default_value = "tempora.toml", value_name = "FILE")]
    pub config: std::path::PathBuf,
    /// The log's format, overriding the file's `log_format`: text or json.
    #[arg(long = "log-format", value_name = "FORMAT", value_parser = parse_log_format)]
    pub log_format: Option<config::LogFormat>,
}

fn parse_log_format(text: &str) -> std::result::Result<config::LogFormat, String> {
    match text {
        "text" => Ok(config::LogFormat::Text),
        "json" => Ok(config::LogFormat::Json),
        other => Err(format!(
            "{other:?} is not a log format; expected text or json"
        )),
    }
}

/// `tempora check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The configuration file.
    #[arg(long, short, default_value = "tempora.toml", value_name = "FILE")]
    pub config: std::path::PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tempora next`: a trigger and the common options.
#[derive(Debug, Args)]
pub struct NextArgs {
    /// The kind of trigger.
    #[command(subcommand)]
    pub trigger: TriggerArgs,
}

/// The trigger kinds of `tempora next`.
#[derive(Debug, Subcommand)]
pub enum TriggerArgs {
    /// Cron fields, APScheduler's grammar (day_of_week 0 = Monday).
    Cron {
        /// Year: 4 digits, ranges, lists, steps.
        #[arg(long)]
        year: Option<String>,
        /// Month: 1-12 or jan-dec.
        #[arg(long)]
        month: Option<String>,
        /// Day of the month: 1-31, `last`, `3rd fri`, `last sun`.
        #[arg(long)]
        day: Option<String>,
        /// ISO week: 1-53.
        #[arg(long)]
        week: Option<String>,
        /// Weekday: 0-6 (0 = Monday) or mon-sun.
        #[arg(long = "day-of-week")]
        day_of_week: Option<String>,
        /// Hour: 0-23.
        #[arg(long)]
        hour: Option<String>,
        /// Minute: 0-59.
        #[arg(long)]
        minute: Option<String>,
        /// Second: 0-59.
        #[arg(long)]
        second: Option<String>,
        /// Options every trigger takes.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// A crontab string: `minute hour day month day_of_week`, with an
    /// optional leading second and trailing year, or `@daily` and friends.
    Crontab {
        /// The expression, quoted: "*/15 9-17 * * mon-fri".
        expression: String,
        /// Options every trigger takes.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Every fixed length of elapsed time (an hour is 3600 s across DST).
    Interval {
        /// Weeks between fires.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        weeks: i64,
        /// Days between fires.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        days: i64,
        /// Hours between fires.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        hours: i64,
        /// Minutes between fires.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        minutes: i64,
        /// Seconds between fires.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        seconds: i64,
        /// Options every trigger takes.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Every so many years, months, weeks and days, at a wall-clock time
    /// (APScheduler 3.11's CalendarIntervalTrigger).
    CalendarInterval {
        /// Years between fires.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        years: i32,
        /// Months between fires.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        months: i32,
        /// Weeks between fires.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        weeks: i32,
        /// Days between fires.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        days: i32,
        /// The hour of the day it fires at.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        hour: i32,
        /// The minute.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        minute: i32,
        /// The second.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        second: i32,
        /// Options every trigger takes.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Once, at a given time.
    Date {
        /// When it fires (T).
        #[arg(long = "run-date", value_name = "T")]
        run_date: String,
        /// Options every trigger takes.
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// The options of every `tempora next` trigger. A time T is RFC 3339 with an
/// offset, or a local `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]` in the trigger's zone.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// The trigger's zone: an IANA name, UTC, or an offset like +05:30
    /// (default: this machine's zone).
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// The first instant it may fire (T).
    #[arg(long = "start-date", value_name = "T")]
    pub start_date: Option<String>,
    /// The last instant it may fire (T).
    #[arg(long = "end-date", value_name = "T")]
    pub end_date: Option<String>,
    /// A wall time that does not exist: shift, at-transition or skip.
    #[arg(long = "dst-gap", value_name = "POLICY")]
    pub dst_gap: Option<String>,
    /// A wall time that happens twice: auto, first, last or both.
    #[arg(long = "dst-fold", value_name = "POLICY")]
    pub dst_fold: Option<String>,
    /// The previous fire time (T); the first line is then the first fire
    /// time after it.
    #[arg(long, value_name = "T")]
    pub previous: Option<String>,
    /// The time to answer for (T; default: now).
    #[arg(long, value_name = "T")]
    pub now: Option<String>,
    /// How many fire times to print.
    #[arg(long, default_value_t = 5)]
    pub count: usize,
    /// Print a JSON array instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// Runs `cli` with `now` as the current time (used when `--now` is not
/// given); returns what to print on stdout.
///
/// # Errors
///
/// Any bad value, as an error naming the field and the value.
pub fn run(cli: &Cli, now: Timestamp) -> Result<String> {
    match &cli.command {
        Command::Next(next) => Ok(run_next(&next.trigger, now)?),
        Command::Check(check) => run_check(check),
        Command::Run(args) => {
            daemon::run(args.config.clone(), args.log_format)?;
            Ok(String::new())
        }
    }
}

/// `tempora check`: reads and checks the file, summing it up.
fn run_check(args: &CheckArgs) -> Result<String> {
    let name = args.config.display().to_string();
    let text = std::fs::read_to_string(&args.config)
        .map_err(|error| Error::invalid("config", format!("cannot read {name:?}: {error}")))?;
    let config = config::DaemonConfig::parse(&text, &name)?;
    let ids: Vec<&str> = config.jobs.iter().map(|job| job.id.as_str()).collect();
    if args.json {
        let summary = serde_json::json!({ "file": name, "ok": true, "jobs": ids });
        return Ok(format!("{summary}\n"));
    }
    Ok(format!(
        "{name}: ok, {} job(s): {}\n",
        ids.len(),
        ids.join(", ")
    ))
}

/// `tempora next`: the trigger's fire times as lines or a JSON array.
fn run_next(args: &TriggerArgs, clock_now: Timestamp) -> tempora::Result<String> {
    let common = args.common();
    let zone = match &common.timezone {
        Some(name) => Zone::new(name)?,
        None => Zone::system(),
    };
    let trigger = build_trigger(args, &zone)?;
    let parse = |text: &Option<String>| text.as_deref().map(|t| zone.parse_time(t)).transpose();
    let now = parse(&common.now)?.unwrap_or(clock_now);
    let previous = parse(&common.previous)?;
    let times: Vec<String> = trigger
        .fire_times(previous, now)
        .take(common.count)
        .map(|time| trigger.zone().format(time))
        .collect();
    if common.json {
        let json = serde_json::to_string(&times)
            .map_err(|error| Error::invalid("json", error.to_string()))?;
        return Ok(format!("{json}\n"));
    }
    Ok(times.iter().map(|line| format!("{line}\n")).collect())
}

impl TriggerArgs {
    fn common(&self) -> &CommonArgs {
        match self {
            TriggerArgs::Cron { common, .. }
            | TriggerArgs::Crontab { common, .. }
            | TriggerArgs::Interval { common, .. }
            | TriggerArgs::CalendarInterval { common, .. }
            | TriggerArgs::Date { common, .. } => common,
        }
    }
}

/// Refuses DST policies for a trigger that counts elapsed time.
fn refuse_dst_policies(common: &CommonArgs, kind: &str) -> tempora::Result<()> {
    for (option, given) in [("dst_gap", &common.dst_gap), ("dst_fold", &common.dst_fold)] {
        if let Some(value) = given {
            return Err(Error::invalid(
                option,
                format!(
                    "{value:?} does not apply: {kind} triggers count elapsed time, \
                     not the wall clock; DST policies are for cron, crontab and calendar-interval"
                ),
            ));
        }
    }
    Ok(())
}

fn build_trigger(args: &TriggerArgs, zone: &Zone) -> tempora::Result<Trigger> {
    let common = args.common();
    let time = |field: &str, text: &Option<String>| -> tempora::Result<Option<Timestamp>> {
        text.as_deref()
            .map(|t| {
                zone.parse_time(t)
                    .map_err(|error| Error::invalid(field, format!("{t:?} is not a time: {error}")))
            })
            .transpose()
    };
    let start = time("start_date", &common.start_date)?;
    let end = time("end_date", &common.end_date)?;
    let gap: Option<DstGap> = common.dst_gap.as_deref().map(str::parse).transpose()?;
    let fold: Option<DstFold> = common.dst_fold.as_deref().map(str::parse).transpose()?;
    let trigger = match args {
        TriggerArgs::Cron {
            year,
            month,
            day,
            week,
            day_of_week,
            hour,
            minute,
            second,
            ..
        } => {
            let mut builder = CronTrigger::builder();
            for (value, set) in [
                (year, CronTriggerSetter::Year),
                (month, CronTriggerSetter::Month),
                (day, CronTriggerSetter::Day),
                (week, CronTriggerSetter::Week),
                (day_of_week, CronTriggerSetter::DayOfWeek),
                (hour, CronTriggerSetter::Hour),
                (minute, CronTriggerSetter::Minute),
                (second, CronTriggerSetter::Second),
            ] {
                if let Some(value) = value {
                    builder = set.apply(builder, value);
                }
            }
            cron_options(builder, zone, start, end, gap, fold)
                .build()?
                .into()
        }
        TriggerArgs::Crontab { expression, .. } => cron_options(
            CronTrigger::crontab(expression),
            zone,
            start,
            end,
            gap,
            fold,
        )
        .build()?
        .into(),
        TriggerArgs::Interval {
            weeks,
            days,
            hours,
            minutes,
            seconds,
            ..
        } => {
            refuse_dst_policies(common, "interval")?;
            let mut builder = IntervalTrigger::builder()
                .weeks(*weeks)
                .days(*days)
                .hours(*hours)
                .minutes(*minutes)
                .seconds(*seconds)
                .timezone(zone.name());
            if let Some(start) = start {
                builder = builder.start_date(start);
            }
            if let Some(end) = end {
                builder = builder.end_date(end);
            }
            builder.build()?.into()
        }
        TriggerArgs::CalendarInterval {
            years,
            months,
            weeks,
            days,
            hour,
            minute,
            second,
            ..
        } => {
            let mut builder = CalendarIntervalTrigger::builder()
                .years(*years)
                .months(*months)
                .weeks(*weeks)
                .days(*days)
                .hour(*hour)
                .minute(*minute)
                .second(*second)
                .timezone(zone.name());
            let date = |instant: Timestamp| zone.time_zone().to_datetime(instant).date();
            if let Some(start) = start {
                builder = builder.start_date(date(start));
            }
            if let Some(end) = end {
                builder = builder.end_date(date(end));
            }
            if let Some(gap) = gap {
                builder = builder.dst_gap(gap);
            }
            if let Some(fold) = fold {
                builder = builder.dst_fold(fold);
            }
            builder.build()?.into()
        }
        TriggerArgs::Date { run_date, .. } => {
            refuse_dst_policies(common, "date")?;
            if common.start_date.is_some() || common.end_date.is_some() {
                let field = if common.start_date.is_some() {
                    "start_date"
                } else {
                    "end_date"
                };
                return Err(Error::invalid(
                    field,
                    "does not apply: a date trigger fires once, at --run-date",
                ));
            }
            let run_date = time("run_date", &Some(run_date.clone()))?
                .ok_or_else(|| Error::invalid("run_date", "is required"))?;
            DateTrigger::in_zone(run_date, zone.clone()).into()
        }
    };
    Ok(trigger)
}

/// The cron builder's field setters, to apply the given ones in a loop.
#[derive(Clone, Copy)]
enum CronTriggerSetter {
    Year,
    Month,
    Day,
    Week,
    DayOfWeek,
    Hour,
    Minute,
    Second,
}

impl CronTriggerSetter {
    fn apply(
        self,
        builder: tempora::trigger::CronTriggerBuilder,
        value: &str,
    ) -> tempora::trigger::CronTriggerBuilder {
        match self {
            CronTriggerSetter::Year => builder.year(value),
            CronTriggerSetter::Month => builder.month(value),
            CronTriggerSetter::Day => builder.day(value),
            CronTriggerSetter::Week => builder.week(value),
            CronTriggerSetter::DayOfWeek => builder.day_of_week(value),
            CronTriggerSetter::Hour => builder.hour(value),
            CronTriggerSetter::Minute => builder.minute(value),
            CronTriggerSetter::Second => builder.second(value),
        }
    }
}

fn cron_options(
    mut builder: tempora::trigger::CronTriggerBuilder,
    zone: &Zone,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
    gap: Option<DstGap>,
    fold: Option<DstFold>,
) -> tempora::trigger::CronTriggerBuilder {
    builder = builder.timezone(zone.name());
    if let Some(start) = start {
        builder = builder.start_date(start);
    }
    if let Some(end) = end {
        builder = builder.end_date(end);
    }
    if let Some(gap) = gap {
        builder = builder.dst_gap(gap);
    }
    if let Some(fold) = fold {
        builder = builder.dst_fold(fold);
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(args: &[&str]) -> Result<String> {
        let mut argv = vec!["tempora", "next"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).unwrap();
        run(&cli, "2026-01-01T00:00:00Z".parse().unwrap())
    }

    #[test]
    fn the_clock_is_used_when_now_is_not_given() {
        let out = next(&[
            "interval",
            "--hours",
            "1",
            "--timezone",
            "UTC",
            "--count",
            "1",
        ]);
        assert_eq!(out.unwrap(), "2026-01-01T01:00:00+00:00\n");
    }

    #[test]
    fn dst_policies_are_refused_for_elapsed_time_triggers() {
        let error = next(&["interval", "--hours", "1", "--dst-gap", "skip"]).unwrap_err();
        assert_eq!(error.field(), Some("dst_gap"));
        let error = next(&["date", "--run-date", "2026-05-01", "--dst-fold", "both"]).unwrap_err();
        assert_eq!(error.field(), Some("dst_fold"));
    }

    #[test]
    fn a_calendar_interval_takes_the_date_of_its_start() {
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
            "--now",
            "2026-01-01",
            "--count",
            "3",
        ]);
        // 23:30 UTC on the 31st is already February 1st in Berlin.
        assert_eq!(
            out.unwrap(),
            "2026-02-01T09:00:00+01:00\n2026-03-01T09:00:00+01:00\n2026-04-01T09:00:00+02:00\n"
        );
    }
}
