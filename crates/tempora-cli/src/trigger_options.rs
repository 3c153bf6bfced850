//! The trigger flags of the command line — one set, taken by `tempora next`
//! and `tempora jobs add` — and what every trigger of the CLI takes beside
//! its own fields (zone, bounds, DST policies, jitter), applied the one way
//! for the flags and for the configuration file's jobs.
//!
//! Which trigger the flags describe follows from the flags given:
//!
//! | flags | trigger |
//! |---|---|
//! | `--cron EXPR` | crontab string |
//! | `--year`, `--month`, `--day`, `--week`, `--day-of-week`, `--hour`, `--minute`, `--second` | cron fields (APScheduler's grammar) |
//! | `--interval DURATION`, `--weeks`, `--days`, `--hours`, `--minutes`, `--seconds` | fixed interval |
//! | `--years`, `--months`, or `--weeks`/`--days` with `--hour`/`--minute`/`--second` | calendar interval |
//! | `--run-date T` (or `--date T`) | once |
//!
//! `tempora next` also names the kind as a subcommand (`next cron --hour
//! 9`, `next crontab "0 9 * * *"`), which offers only that kind's flags.

use clap::Args;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use tempora::trigger::{
    CalendarIntervalTrigger, CalendarIntervalTriggerBuilder, CronTrigger, CronTriggerBuilder,
    DateTrigger, DstFold, DstGap, IntervalTrigger, IntervalTriggerBuilder, Trigger, Zone,
};
use tempora::{Error, Result};

/// The kinds of trigger the flags describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    /// Cron fields or a crontab string.
    Cron,
    /// A fixed interval of elapsed time.
    Interval,
    /// Years, months, weeks and days at a wall-clock time.
    CalendarInterval,
    /// Once.
    Date,
}

impl TriggerKind {
    /// The kind as a sentence names it.
    fn name(self) -> &'static str {
        match self {
            TriggerKind::Cron => "a cron trigger",
            TriggerKind::Interval => "an interval",
            TriggerKind::CalendarInterval => "a calendar interval",
            TriggerKind::Date => "a date trigger",
        }
    }
}

/// Cron fields, each an expression of APScheduler's grammar (day of week
/// 0 = Monday), passed as given to [`CronTriggerBuilder`]. `--hour`,
/// `--minute` and `--second` are also a calendar interval's time of day.
#[derive(Debug, Clone, Default, Args)]
pub struct CronFields {
    /// Cron field year: 4 digits, e.g. 2027, 2026-2030, */2.
    #[arg(long, value_name = "EXPR")]
    pub year: Option<String>,
    /// Cron field month: 1-12 or jan-dec, e.g. jun-aug.
    #[arg(long, value_name = "EXPR")]
    pub month: Option<String>,
    /// Cron field day of the month: 1-31, `last`, `3rd fri`, `last sun`.
    #[arg(long, value_name = "EXPR")]
    pub day: Option<String>,
    /// Cron field ISO week of the year: 1-53.
    #[arg(long, value_name = "EXPR")]
    pub week: Option<String>,
    /// Cron field day of the week: 0-6 (0 = Monday) or mon-sun, e.g. mon-fri.
    #[arg(long = "day-of-week", value_name = "EXPR")]
    pub day_of_week: Option<String>,
    /// Cron field hour: 0-23 (a calendar interval's hour of the day).
    #[arg(long, value_name = "EXPR", allow_negative_numbers = true)]
    pub hour: Option<String>,
    /// Cron field minute: 0-59 (a calendar interval's minute).
    #[arg(long, value_name = "EXPR", allow_negative_numbers = true)]
    pub minute: Option<String>,
    /// Cron field second: 0-59 (a calendar interval's second).
    #[arg(long, value_name = "EXPR", allow_negative_numbers = true)]
    pub second: Option<String>,
}

impl CronFields {
    /// The fields given, by name, most significant first.
    fn given(&self) -> impl Iterator<Item = (&'static str, &String)> {
        [
            ("year", &self.year),
            ("month", &self.month),
            ("day", &self.day),
            ("week", &self.week),
            ("day_of_week", &self.day_of_week),
            ("hour", &self.hour),
            ("minute", &self.minute),
            ("second", &self.second),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|value| (name, value)))
    }

    /// Gives `builder` the fields that were given; the others keep the
    /// builder's defaults.
    fn apply(&self, mut builder: CronTriggerBuilder) -> Result<CronTriggerBuilder> {
        for (name, value) in self.given() {
            builder = builder.field(name, value)?;
        }
        Ok(builder)
    }
}

/// A fixed interval's length; `--weeks` and `--days` are also a calendar
/// interval's. A configuration file's `interval = { minutes = 5 }` table
/// reads into it too.
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalFlags {
    /// Every fixed length of elapsed time, as a duration: "30s", "1h 30m"
    /// (added to --weeks … --seconds).
    #[arg(long, value_name = "DURATION")]
    #[serde(skip)]
    pub interval: Option<String>,
    /// Weeks between fires.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub weeks: Option<i64>,
    /// Days between fires (an interval's are 24 hours each, whatever the
    /// clocks do).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub days: Option<i64>,
    /// Hours between fires.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub hours: Option<i64>,
    /// Minutes between fires.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub minutes: Option<i64>,
    /// Seconds between fires.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub seconds: Option<i64>,
}

impl IntervalFlags {
    /// The interval of the lengths given (and of `--interval`).
    ///
    /// # Errors
    ///
    /// Field `interval` for a duration that does not read or is not a
    /// whole number of seconds.
    pub(crate) fn builder(&self) -> Result<IntervalTriggerBuilder> {
        let mut seconds = self.seconds.unwrap_or(0);
        if let Some(text) = &self.interval {
            let length = positive_duration("interval", text)?;
            if length.subsec_nanos() != 0 {
                return Err(Error::invalid(
                    "interval",
                    format!("{text:?} is not a whole number of seconds"),
                ));
            }
            seconds = seconds.saturating_add(length.as_secs());
        }
        Ok(IntervalTrigger::builder()
            .weeks(self.weeks.unwrap_or(0))
            .days(self.days.unwrap_or(0))
            .hours(self.hours.unwrap_or(0))
            .minutes(self.minutes.unwrap_or(0))
            .seconds(seconds))
    }
}

/// A calendar interval's fields, each zero when not given: what
/// `--years`, `--months`, `--weeks`, `--days`, `--hour`, `--minute` and
/// `--second` give it, and what a configuration file's
/// `calendar_interval = { months = 1, hour = 9 }` table reads into.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CalendarFields {
    years: Option<i32>,
    months: Option<i32>,
    weeks: Option<i32>,
    days: Option<i32>,
    hour: Option<i32>,
    minute: Option<i32>,
    second: Option<i32>,
}

impl CalendarFields {
    /// The calendar interval of these fields.
    pub(crate) fn builder(&self) -> CalendarIntervalTriggerBuilder {
        CalendarIntervalTrigger::builder()
            .years(self.years.unwrap_or(0))
            .months(self.months.unwrap_or(0))
            .weeks(self.weeks.unwrap_or(0))
            .days(self.days.unwrap_or(0))
            .hour(self.hour.unwrap_or(0))
            .minute(self.minute.unwrap_or(0))
            .second(self.second.unwrap_or(0))
    }
}

/// A calendar interval's years and months.
#[derive(Debug, Clone, Default, Args)]
pub struct CalendarFlags {
    /// Years between fires (a calendar interval).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub years: Option<i32>,
    /// Months between fires (a calendar interval; the 31st fires only in
    /// months that have one).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub months: Option<i32>,
}

/// The fields of cron triggers, intervals and calendar intervals: what
/// `tempora next calendar-interval` offers (some hidden), and part of
/// [`TriggerFlags`].
#[derive(Debug, Clone, Default, Args)]
pub struct FieldFlags {
    /// Cron fields (also a calendar interval's time of day).
    #[command(flatten)]
    pub cron: CronFields,
    /// A fixed interval (also a calendar interval's weeks and days).
    #[command(flatten)]
    pub every: IntervalFlags,
    /// A calendar interval's years and months.
    #[command(flatten)]
    pub calendar: CalendarFlags,
}

/// What every trigger takes beside its own fields. A time T is RFC 3339
/// with an offset, or a local `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]` in the
/// trigger's zone.
#[derive(Debug, Clone, Default, Args)]
pub struct TriggerCommon {
    /// The trigger's zone: an IANA name, UTC, or an offset like +05:30
    /// (default: the configuration's, else this machine's zone, or UTC if it
    /// has no IANA name).
    // Hyphen values: `--timezone -08:00` is an offset, not an option.
    #[arg(long, value_name = "TZ", allow_hyphen_values = true)]
    pub timezone: Option<String>,
    /// The first instant it may fire (T).
    #[arg(long = "start-date", value_name = "T")]
    pub start_date: Option<String>,
    /// The last instant it may fire (T), inclusive.
    #[arg(long = "end-date", value_name = "T")]
    pub end_date: Option<String>,
    /// A wall time that does not exist (clocks jump forward): shift,
    /// at-transition or skip.
    ///
    /// shift (default): the same distance past the gap, 02:30 becomes 03:30.
    /// at-transition: the first instant after the gap, 02:30 becomes 03:00.
    /// skip: no fire that day. Only for cron and calendar intervals.
    #[arg(long = "dst-gap", value_name = "POLICY")]
    pub dst_gap: Option<String>,
    /// A wall time that happens twice (clocks fall back): auto, first, last
    /// or both.
    ///
    /// auto (default): once, at the first occurrence, unless the hour field
    /// is `*`, then in both passes. first: the first occurrence. last: the
    /// second occurrence. both: both occurrences. Only for cron and calendar
    /// intervals.
    #[arg(long = "dst-fold", value_name = "POLICY")]
    pub dst_fold: Option<String>,
    /// Move each fire time by a random amount up to this much either way
    /// ("30s"); for cron triggers and intervals.
    #[arg(long, value_name = "DURATION")]
    pub jitter: Option<String>,
    /// Skip the fire times the calendar NAME of the configuration file
    /// (its `[calendar.NAME]` table) excludes; repeat for several.
    #[arg(long, value_name = "NAME")]
    pub exclude: Vec<String>,
}

/// The trigger flags `tempora next` and `tempora jobs add` share.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Trigger (the kind follows from the flags given)")]
pub struct TriggerFlags {
    /// A crontab string: "*/15 9-17 * * mon-fri", "0 3 * * *", "@daily".
    ///
    /// As in cron, the day of the week counts from Sunday (0 and 7 are
    /// Sunday, names sun-sat), and when both day fields are restricted a day
    /// matches if either does. An optional leading second and trailing year;
    /// `L`, `LW`, `15W`, `5L` and `fri#3` are understood.
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
    /// Cron fields, an interval's lengths, a calendar interval's.
    #[command(flatten)]
    pub fields: FieldFlags,
    /// Once, at T (a local time in a DST gap moves forward by the gap, one
    /// in a fold is the first occurrence).
    #[arg(long = "run-date", visible_alias = "date", value_name = "T")]
    pub run_date: Option<String>,
    /// Zone, bounds, policies, jitter.
    #[command(flatten)]
    pub common: TriggerCommon,
}

impl TriggerFlags {
    /// The kind the flags describe: one of the table in the module's
    /// documentation.
    ///
    /// # Errors
    ///
    /// Field `trigger` when no kind's flags are given, or flags of two kinds.
    pub fn kind(&self) -> Result<TriggerKind> {
        let fields = &self.fields.cron;
        let every = &self.fields.every;
        let time = fields.hour.is_some() || fields.minute.is_some() || fields.second.is_some();
        let cron_only = fields.year.is_some()
            || fields.month.is_some()
            || fields.day.is_some()
            || fields.week.is_some()
            || fields.day_of_week.is_some();
        let span = every.weeks.is_some() || every.days.is_some();
        let calendar =
            self.fields.calendar.years.is_some() || self.fields.calendar.months.is_some();
        let elapsed = every.interval.is_some()
            || every.hours.is_some()
            || every.minutes.is_some()
            || every.seconds.is_some();
        let candidates = [
            (
                TriggerKind::Cron,
                self.cron.is_some() || cron_only || (time && !span && !calendar),
            ),
            (
                TriggerKind::Interval,
                elapsed || (span && !time && !calendar),
            ),
            (TriggerKind::CalendarInterval, calendar || (span && time)),
            (TriggerKind::Date, self.run_date.is_some()),
        ];
        let mut kinds = candidates
            .into_iter()
            .filter_map(|(kind, given)| given.then_some(kind));
        match (kinds.next(), kinds.next()) {
            (Some(kind), None) => Ok(kind),
            (None, _) => Err(Error::invalid(
                "trigger",
                "missing; give --cron EXPR, cron fields (--hour 9 …), --interval DURATION \
                 (or --hours N …), a calendar interval (--months N …) or --run-date T",
            )),
            (Some(first), Some(second)) => Err(Error::invalid(
                "trigger",
                format!(
                    "the flags describe both {} and {}; a job has one trigger",
                    first.name(),
                    second.name()
                ),
            )),
        }
    }

    /// The flags given that `kind` does not take, by field name.
    fn foreign(&self, kind: TriggerKind) -> Option<(&'static str, String)> {
        let fields = self
            .fields
            .cron
            .given()
            .map(|(name, value)| (name, value.clone()));
        let text = |name: &'static str, value: &Option<String>| {
            value.as_ref().map(|value| (name, value.clone()))
        };
        let number =
            |name: &'static str, value: Option<i64>| value.map(|value| (name, value.to_string()));
        let mut given: Vec<(&'static str, String)> = Vec::new();
        given.extend(text("cron", &self.cron));
        given.extend(fields);
        given.extend(text("interval", &self.fields.every.interval));
        given.extend(number("weeks", self.fields.every.weeks));
        given.extend(number("days", self.fields.every.days));
        given.extend(number("hours", self.fields.every.hours));
        given.extend(number("minutes", self.fields.every.minutes));
        given.extend(number("seconds", self.fields.every.seconds));
        given.extend(number("years", self.fields.calendar.years.map(i64::from)));
        given.extend(number("months", self.fields.calendar.months.map(i64::from)));
        given.extend(text("run_date", &self.run_date));
        given.extend(text("jitter", &self.common.jitter));
        let takes = |field: &str| match kind {
            TriggerKind::Cron => matches!(
                field,
                "cron"
                    | "year"
                    | "month"
                    | "day"
                    | "week"
                    | "day_of_week"
                    | "hour"
                    | "minute"
                    | "second"
                    | "jitter"
            ),
            TriggerKind::Interval => matches!(
                field,
                "interval" | "weeks" | "days" | "hours" | "minutes" | "seconds" | "jitter"
            ),
            TriggerKind::CalendarInterval => matches!(
                field,
                "years" | "months" | "weeks" | "days" | "hour" | "minute" | "second"
            ),
            TriggerKind::Date => field == "run_date",
        };
        given.into_iter().find(|(field, _)| !takes(field))
    }

    /// Builds the trigger of `kind` (or of the kind the flags describe) in
    /// `zone`.
    ///
    /// # Errors
    ///
    /// An error naming the field for a value the trigger refuses, a time
    /// that does not parse, a flag that does not apply to the kind, or no
    /// kind at all.
    pub fn build(&self, kind: Option<TriggerKind>, zone: &Zone) -> Result<Trigger> {
        let kind = match kind {
            Some(kind) => kind,
            None => self.kind()?,
        };
        let common = &self.common;
        let refuse_dst = |why: &str| -> Result<()> {
            for (field, given) in [("dst_gap", &common.dst_gap), ("dst_fold", &common.dst_fold)] {
                if let Some(value) = given {
                    return Err(Error::invalid(
                        field,
                        format!(
                            "{value:?} does not apply: {why}; DST policies are for cron, \
                             crontab and calendar-interval"
                        ),
                    ));
                }
            }
            Ok(())
        };
        match kind {
            TriggerKind::Interval => {
                refuse_dst("an interval counts elapsed time, not the wall clock")?;
            }
            TriggerKind::Date => {
                refuse_dst(
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
            }
            TriggerKind::Cron | TriggerKind::CalendarInterval => {}
        }
        if let Some((field, value)) = self.foreign(kind) {
            return Err(Error::invalid(
                field,
                format!("{value:?} does not apply to {}", kind.name()),
            ));
        }
        let options = TriggerOptions {
            zone,
            timezone: zone.name(),
            start: time_flag(zone, "start_date", &common.start_date)?,
            end: time_flag(zone, "end_date", &common.end_date)?,
            gap: common.dst_gap.as_deref().map(str::parse).transpose()?,
            fold: common.dst_fold.as_deref().map(str::parse).transpose()?,
            jitter: common
                .jitter
                .as_deref()
                .map(|text| positive_duration("jitter", text))
                .transpose()?,
        };
        let trigger = match kind {
            TriggerKind::Cron => {
                let builder = match &self.cron {
                    Some(expression) => {
                        if let Some((field, _)) = self.fields.cron.given().next() {
                            return Err(Error::invalid(
                                field,
                                "does not apply with --cron: give a crontab string or cron \
                                 fields, not both",
                            ));
                        }
                        CronTrigger::crontab(expression)
                    }
                    None => self.fields.cron.apply(CronTrigger::builder())?,
                };
                options.cron(builder).build()?.into()
            }
            TriggerKind::Interval => options
                .interval(self.fields.every.builder()?)
                .build()?
                .into(),
            TriggerKind::CalendarInterval => {
                let narrow = |field: &str, value: Option<i64>| -> Result<Option<i32>> {
                    value
                        .map(|value| {
                            i32::try_from(value).map_err(|_| {
                                Error::invalid(field, format!("{value} is out of range"))
                            })
                        })
                        .transpose()
                };
                let time = |field: &str, value: &Option<String>| -> Result<Option<i32>> {
                    value
                        .as_deref()
                        .map(|text| {
                            text.trim().parse().map_err(|_| {
                                Error::invalid(
                                    field,
                                    format!(
                                        "{text:?} is not a number; a calendar interval fires at \
                                         one time of day"
                                    ),
                                )
                            })
                        })
                        .transpose()
                };
                let fields = CalendarFields {
                    years: self.fields.calendar.years,
                    months: self.fields.calendar.months,
                    weeks: narrow("weeks", self.fields.every.weeks)?,
                    days: narrow("days", self.fields.every.days)?,
                    hour: time("hour", &self.fields.cron.hour)?,
                    minute: time("minute", &self.fields.cron.minute)?,
                    second: time("second", &self.fields.cron.second)?,
                };
                options.calendar_interval(fields.builder()).build()?.into()
            }
            TriggerKind::Date => {
                let Some(text) = &self.run_date else {
                    return Err(Error::invalid("run_date", "missing; give --run-date T"));
                };
                DateTrigger::in_zone(parse_time(zone, "run_date", text)?, zone.clone()).into()
            }
        };
        Ok(trigger)
    }
}

/// A duration flag that must be longer than zero, naming `field` when it
/// is not.
pub(crate) fn positive_duration(field: &str, text: &str) -> Result<SignedDuration> {
    let parsed: SignedDuration = text.parse().map_err(|_| {
        Error::invalid(
            field,
            format!("{text:?} is not a duration; write e.g. \"30s\", \"5m\", \"1h 30m\""),
        )
    })?;
    if parsed <= SignedDuration::ZERO {
        return Err(Error::invalid(
            field,
            format!("{text:?} must be longer than zero"),
        ));
    }
    Ok(parsed)
}

/// Reads a time T on `zone`'s wall clock; a mistake names `field`, the
/// option it was given to, rather than the library's generic `time`.
pub(crate) fn parse_time(zone: &Zone, field: &str, text: &str) -> Result<Timestamp> {
    zone.parse_time(text).map_err(|error| match error.reason() {
        Some(reason) => Error::invalid(field, reason),
        None => error,
    })
}

/// [`parse_time`] of an optional flag.
fn time_flag(zone: &Zone, field: &str, text: &Option<String>) -> Result<Option<Timestamp>> {
    text.as_deref()
        .map(|text| parse_time(zone, field, text))
        .transpose()
}

/// The options every calendar trigger of the CLI shares; `None` leaves the
/// trigger's own default.
pub(crate) struct TriggerOptions<'a> {
    /// The zone, for the calendar date of a calendar interval's bounds.
    pub(crate) zone: &'a Zone,
    /// The zone's name as the trigger stores it.
    pub(crate) timezone: &'a str,
    pub(crate) start: Option<Timestamp>,
    pub(crate) end: Option<Timestamp>,
    pub(crate) gap: Option<DstGap>,
    pub(crate) fold: Option<DstFold>,
    pub(crate) jitter: Option<SignedDuration>,
}

impl TriggerOptions<'_> {
    /// A cron or crontab trigger's zone, bounds, policies and jitter.
    pub(crate) fn cron(&self, mut builder: CronTriggerBuilder) -> CronTriggerBuilder {
        builder = builder.timezone(self.timezone);
        set_given!(builder;
            self.start => start_date,
            self.end => end_date,
            self.gap => dst_gap,
            self.fold => dst_fold,
            self.jitter => jitter,
        );
        builder
    }

    /// An interval's zone, bounds and jitter (it counts elapsed time, so no
    /// DST policy applies).
    pub(crate) fn interval(&self, mut builder: IntervalTriggerBuilder) -> IntervalTriggerBuilder {
        builder = builder.timezone(self.timezone);
        set_given!(builder;
            self.start => start_date,
            self.end => end_date,
            self.jitter => jitter,
        );
        builder
    }

    /// A calendar interval's zone, bounds and policies. It counts whole
    /// days, so its bounds are the calendar dates of the given instants on
    /// the zone's wall clock.
    pub(crate) fn calendar_interval(
        &self,
        mut builder: CalendarIntervalTriggerBuilder,
    ) -> CalendarIntervalTriggerBuilder {
        builder = builder.timezone(self.timezone);
        let date = |instant: Timestamp| self.zone.time_zone().to_datetime(instant).date();
        set_given!(builder;
            self.start.map(date) => start_date,
            self.end.map(date) => end_date,
            self.gap => dst_gap,
            self.fold => dst_fold,
        );
        builder
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::jobs::JobsCommand;
    use crate::{Cli, Command};

    /// The trigger `tempora next FLAGS` shows, and the one `tempora jobs
    /// add x FLAGS` stores, both in UTC.
    fn both(flags: &[&str]) -> (tempora::Result<String>, tempora::Result<String>) {
        let now = "2026-01-01T00:00:00Z".parse().unwrap();
        let next: Vec<&str> = ["tempora", "next", "--timezone", "UTC", "--count", "1"]
            .into_iter()
            .chain(flags.iter().copied())
            .collect();
        let Command::Next(next) = Cli::try_parse_from(next).unwrap().command else {
            unreachable!()
        };
        let shown = crate::next::fire_times(&next, now).map(|times| times.join(" "));
        let add: Vec<&str> = ["tempora", "jobs", "add", "x", "--shell", "true"]
            .into_iter()
            .chain(flags.iter().copied())
            .collect();
        let Command::Jobs(jobs) = Cli::try_parse_from(add).unwrap().command else {
            unreachable!()
        };
        let Some(JobsCommand::Add(add)) = &jobs.command else {
            unreachable!()
        };
        let stored = match add.to_job("UTC", &Default::default()) {
            Ok(job) => Ok(job
                .trigger
                .next_fire_time(None, now)
                .map(|time| job.trigger.zone().format(time))
                .unwrap_or_default()),
            Err(crate::CliError::Invalid(error)) => Err(error),
            Err(other) => panic!("{other}"),
        };
        (shown, stored)
    }

    #[test]
    fn next_and_jobs_add_read_the_same_flags_the_same_way() {
        for (flags, expected) in [
            (
                &["--cron", "0 9 * * mon-fri"][..],
                "2026-01-01T09:00:00+00:00",
            ),
            (
                &["--hour", "9", "--day-of-week", "sat"],
                "2026-01-03T09:00:00+00:00",
            ),
            (
                &["--day", "last", "--hour", "18"],
                "2026-01-31T18:00:00+00:00",
            ),
            (
                &["--interval", "90m", "--start-date", "2026-01-01"],
                "2026-01-01T00:00:00+00:00",
            ),
            (
                &[
                    "--hours",
                    "1",
                    "--minutes",
                    "30",
                    "--start-date",
                    "2026-01-01 00:10",
                ],
                "2026-01-01T00:10:00+00:00",
            ),
            (
                &["--months", "1", "--hour", "9", "--start-date", "2026-01-31"],
                "2026-01-31T09:00:00+00:00",
            ),
            (
                &["--weeks", "2", "--hour", "6", "--start-date", "2026-01-05"],
                "2026-01-05T06:00:00+00:00",
            ),
            (
                &["--run-date", "2026-02-01 12:00"],
                "2026-02-01T12:00:00+00:00",
            ),
            (&["--date", "2026-02-01 12:00"], "2026-02-01T12:00:00+00:00"),
        ] {
            let (shown, stored) = both(flags);
            assert_eq!(shown.unwrap(), expected, "next {flags:?}");
            assert_eq!(stored.unwrap(), expected, "jobs add {flags:?}");
        }
    }

    #[test]
    fn flags_of_two_triggers_or_of_none_are_refused_by_both() {
        for (flags, field) in [
            (&["--cron", "@daily", "--interval", "1h"][..], "trigger"),
            (&["--hour", "9", "--hours", "2"], "trigger"),
            (&["--cron", "@daily", "--hour", "9"], "hour"),
            (&["--run-date", "2026-02-01", "--jitter", "5s"], "jitter"),
            (&["--months", "1", "--hour", "9-17"], "hour"),
            (&["--interval", "1h", "--dst-gap", "skip"], "dst_gap"),
            (&["--interval", "soon"], "interval"),
            (&["--hour", "24"], "hour"),
            (&["--start-date", "2026-01-01"], "trigger"),
        ] {
            let (shown, stored) = both(flags);
            let (shown, stored) = (shown.unwrap_err(), stored.unwrap_err());
            assert_eq!(shown.field(), Some(field), "next {flags:?}: {shown}");
            assert_eq!(shown.to_string(), stored.to_string(), "{flags:?}");
        }
    }
}
