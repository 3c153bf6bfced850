//! Exclusion calendars: named sets of times at which a job does not fire
//! (Quartz's calendars).
//!
//! A [`Calendar`] is one rule — explicit dates, dates every year, days of
//! the week, a daily range of wall-clock times, or a cron expression — in
//! a time zone. A job *excludes* calendars by name
//! ([`JobBuilder::exclude`](crate::job::JobBuilder::exclude)); a fire time
//! of its trigger that any of them excludes is skipped: it does not run,
//! and it is not missed either. The job's next run time is the first fire
//! time of its trigger that no calendar excludes.
//!
//! ```
//! use tempora::calendar::Calendar;
//! use tempora::job::{JobBuilder, JobDefaults};
//! use tempora::trigger::CronTrigger;
//!
//! let holidays = Calendar::dates(["2026-12-25"]).build()?;
//! let trigger = CronTrigger::crontab("0 9 * * *").timezone("Europe/London").build()?;
//! let job = JobBuilder::new("report", trigger)
//!     .exclude_calendar("holidays", holidays)
//!     .build_at(&JobDefaults::default(), "2026-12-24T10:00:00Z".parse()?)?;
//! // 2026-12-25 09:00 is excluded: the next run is on the 26th.
//! assert_eq!(job.next_run_time().unwrap().to_string(), "2026-12-26T09:00:00Z");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A calendar without a time zone takes the zone of the trigger of the job
//! that excludes it, when the job is built: a holiday is a day on the job's
//! own clock. The job keeps the calendars it excludes, resolved (name,
//! rule and zone), in its stored form, so every scheduler sharing the
//! store applies the same ones, whether or not it knows them by name.
//!
//! The search for a fire time that no calendar excludes is bounded: after
//! [`EXCLUSION_SEARCH_LIMIT`] excluded fire times in a row, or past
//! [`EXCLUSION_SEARCH_SPAN`] (100 years) of them, the job is taken to have
//! no more fire times, as Quartz gives up after a hundred years. A span of excluded time is passed in one step by interval
//! triggers without jitter and by cron triggers without jitter; other
//! triggers step through it one fire time at a time. Adding a job whose
//! trigger fires but whose fire times are all excluded that far ahead is
//! an error naming `exclude`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::trigger::{CronTrigger, Trigger, Zone};

/// How many excluded fire times in a row the search for a job's next fire
/// time passes before it takes the job to have no more fire times.
pub const EXCLUSION_SEARCH_LIMIT: u32 = 1_000_000;

/// How far past the first excluded fire time the search for a job's next
/// fire time goes before it takes the job to have no more fire times:
/// 100 years (of 365.25 days).
pub const EXCLUSION_SEARCH_SPAN: SignedDuration = SignedDuration::from_hours(100 * 8766);

/// A named rule of times at which jobs that exclude it do not fire.
///
/// | kind | built with | excludes | in a file |
/// |---|---|---|---|
/// | dates | [`Calendar::dates`] | whole days (holidays) | `dates = ["2026-12-25"]` |
/// | yearly | [`Calendar::yearly`] | a month-day every year | `yearly = ["12-25", "01-01"]` |
/// | weekdays | [`Calendar::weekdays`] | days of the week | `weekdays = ["sat", "sun"]` |
/// | daily | [`Calendar::daily`] | a range of wall-clock times every day, `[from, to)` | `daily = "02:00-04:30"` |
/// | cron | [`Calendar::cron`] | the minutes a crontab expression matches (the seconds, for one with a seconds field) | `cron = "* 22-23 * * fri"` |
///
/// Each may set `timezone`; without one it takes the zone of the trigger
/// of the job that excludes it (UTC for a calendar asked on its own). A
/// daily range whose `to` is before its `from` runs past midnight
/// (`"22:00-06:00"`); it compares wall-clock times, so on a day with a DST
/// change it covers the wall-clock times in it that exist that day (an
/// hour less or more of elapsed time).
///
/// It serializes as the settings written, the same keys in JSON as in a
/// configuration file's `[calendar.NAME]` table.
///
/// ```
/// use tempora::calendar::Calendar;
///
/// let weekends = Calendar::weekdays(["sat", "sun"]).timezone("Europe/Paris").build()?;
/// assert!(weekends.excludes("2026-11-28T12:00:00Z".parse()?)); // a Saturday
/// assert!(!weekends.excludes("2026-11-30T12:00:00Z".parse()?)); // a Monday
/// assert_eq!(
///     serde_json::to_string(&weekends)?,
///     r#"{"weekdays":["sat","sun"],"timezone":"Europe/Paris"}"#
/// );
/// let error = Calendar::weekdays(["saturday", "6"]).build().unwrap_err();
/// assert_eq!(error.to_string(), "weekdays: \"6\" is not a day name; write mon, tue, wed, thu, fri, sat or sun");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CalendarRecord", into = "CalendarRecord")]
pub struct Calendar {
    inner: Arc<CalendarInner>,
}

#[derive(Debug, PartialEq)]
struct CalendarInner {
    record: CalendarRecord,
    rule: Rule,
    zone: Option<Zone>,
}

#[derive(Debug, PartialEq)]
enum Rule {
    /// Sorted.
    Dates(Vec<Date>),
    /// (month, day), sorted.
    Yearly(Vec<(i8, i8)>),
    /// Bit `n` for the weekday `n` days from Monday.
    Weekdays(u8),
    Daily {
        from: Time,
        to: Time,
    },
    Cron {
        trigger: CronTrigger,
        /// Matched a whole minute at a time (no seconds field).
        per_minute: bool,
    },
}

/// A calendar's settings as written: one kind, and maybe a zone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dates: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    yearly: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weekdays: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    daily: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cron: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timezone: Option<String>,
}

/// A calendar being described; [`CalendarBuilder::build`] checks it.
#[derive(Clone, Debug)]
pub struct CalendarBuilder {
    record: CalendarRecord,
}

impl CalendarBuilder {
    /// The zone the calendar's days and times are in: an IANA name, `UTC`
    /// or an offset (default: the zone of the trigger of the job that
    /// excludes it).
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    ///
    /// let calendar = Calendar::weekdays(["sun"]).timezone("Pacific/Auckland").build()?;
    /// assert_eq!(calendar.zone().map(|zone| zone.name()), Some("Pacific/Auckland"));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn timezone(mut self, name: impl Into<String>) -> CalendarBuilder {
        self.record.timezone = Some(name.into());
        self
    }

    /// The calendar.
    ///
    /// # Errors
    ///
    /// A value that does not parse, named by its field (`dates`, `yearly`,
    /// `weekdays`, `daily`, `cron`, `timezone`), or an empty list.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    ///
    /// let error = Calendar::daily("02:00", "25:00").build().unwrap_err();
    /// assert_eq!(error.to_string(), "daily: \"25:00\" is not a time of day like \"02:00\" or \"02:00:30\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<Calendar> {
        Calendar::try_from(self.record)
    }
}

fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    items
        .into_iter()
        .map(|item| item.as_ref().to_owned())
        .collect()
}

impl Calendar {
    /// Excludes whole days: each given as `YYYY-MM-DD` (holidays).
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    ///
    /// let holidays = Calendar::dates(["2026-12-25", "2027-01-01"]).timezone("America/New_York").build()?;
    /// assert!(holidays.excludes("2026-12-25T23:30:00-05:00".parse()?));
    /// assert!(!holidays.excludes("2026-12-26T00:00:00-05:00".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dates<I, S>(dates: I) -> CalendarBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        CalendarBuilder {
            record: CalendarRecord {
                dates: Some(strings(dates)),
                ..CalendarRecord::default()
            },
        }
    }

    /// Excludes a day every year: each given as `MM-DD` (`02-29` only in
    /// leap years).
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    ///
    /// let christmas = Calendar::yearly(["12-25"]).timezone("UTC").build()?;
    /// assert!(christmas.excludes("2031-12-25T08:00:00Z".parse()?));
    /// assert!(!christmas.excludes("2031-12-24T08:00:00Z".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn yearly<I, S>(month_days: I) -> CalendarBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        CalendarBuilder {
            record: CalendarRecord {
                yearly: Some(strings(month_days)),
                ..CalendarRecord::default()
            },
        }
    }

    /// Excludes days of the week, by name: `mon`, `tue`, `wed`, `thu`,
    /// `fri`, `sat`, `sun` (or the full English names). Numbers are
    /// refused: crontab and APScheduler number the days differently.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    ///
    /// let weekends = Calendar::weekdays(["sat", "sun"]).timezone("UTC").build()?;
    /// assert!(weekends.excludes("2026-11-29T10:00:00Z".parse()?)); // a Sunday
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn weekdays<I, S>(days: I) -> CalendarBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        CalendarBuilder {
            record: CalendarRecord {
                weekdays: Some(strings(days)),
                ..CalendarRecord::default()
            },
        }
    }

    /// Excludes the wall-clock times from `from` up to (not including)
    /// `to`, every day: `HH:MM` or `HH:MM:SS`. When `to` is before `from`
    /// the range runs past midnight.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    ///
    /// let maintenance = Calendar::daily("02:00", "04:00").timezone("UTC").build()?;
    /// assert!(maintenance.excludes("2026-06-01T02:00:00Z".parse()?));
    /// assert!(maintenance.excludes("2026-06-01T03:59:59Z".parse()?));
    /// assert!(!maintenance.excludes("2026-06-01T04:00:00Z".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn daily(from: &str, to: &str) -> CalendarBuilder {
        CalendarBuilder {
            record: CalendarRecord {
                daily: Some(format!("{from}-{to}")),
                ..CalendarRecord::default()
            },
        }
    }

    /// Excludes the times a crontab expression matches (the grammar of
    /// [`CronTrigger::crontab`]): a fire time is excluded when the minute
    /// it falls in is one the expression fires on, or, for an expression
    /// with a seconds field, the second.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    ///
    /// // Friday nights from 22:00 to midnight.
    /// let window = Calendar::cron("* 22-23 * * fri").timezone("UTC").build()?;
    /// assert!(window.excludes("2026-11-27T22:30:15Z".parse()?));
    /// assert!(!window.excludes("2026-11-28T22:30:00Z".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cron(expression: impl Into<String>) -> CalendarBuilder {
        CalendarBuilder {
            record: CalendarRecord {
                cron: Some(expression.into()),
                ..CalendarRecord::default()
            },
        }
    }

    /// The calendar's zone; `None` when it takes the zone of the trigger
    /// of the job that excludes it.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    ///
    /// assert!(Calendar::yearly(["12-25"]).build()?.zone().is_none());
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn zone(&self) -> Option<&Zone> {
        self.inner.zone.as_ref()
    }

    /// The calendar in `zone` when it has no zone of its own; itself
    /// otherwise.
    pub(crate) fn in_zone_unless_set(&self, zone: &Zone) -> Calendar {
        if self.inner.zone.is_some() {
            return self.clone();
        }
        let mut record = self.inner.record.clone();
        record.timezone = Some(zone.name().to_owned());
        // A record already checked, with a zone that loaded: it builds
        // again; keep the calendar as it was if it ever did not.
        Calendar::try_from(record).unwrap_or_else(|_| self.clone())
    }

    /// True when the calendar excludes `time`, in its zone (UTC when it
    /// has none: a job's calendars always have one).
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    ///
    /// let new_year = Calendar::dates(["2027-01-01"]).build()?;
    /// assert!(new_year.excludes("2027-01-01T23:59:59Z".parse()?));
    /// assert!(!new_year.excludes("2027-01-02T00:00:00Z".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn excludes(&self, time: Timestamp) -> bool {
        self.excluded_until(time).is_some()
    }

    /// When `time` is excluded, an instant after it up to which the
    /// calendar excludes every time (the end of the excluded day, range or
    /// minute, or the zone's next change of offset if that comes first, or
    /// just after `time` when that is not known); `None` when `time` is not
    /// excluded.
    pub(crate) fn excluded_until(&self, time: Timestamp) -> Option<Timestamp> {
        let inner = &*self.inner;
        let zone = inner.zone.clone().unwrap_or_else(Zone::utc);
        let tz = zone.time_zone();
        let local = tz.to_datetime(time);
        let date = local.date();
        let next_day = || {
            date.tomorrow().ok().and_then(|day| {
                tz.to_timestamp(DateTime::from_parts(day, Time::midnight()))
                    .ok()
            })
        };
        let until = match &inner.rule {
            Rule::Dates(dates) => {
                dates.binary_search(&date).ok()?;
                next_day()
            }
            Rule::Yearly(days) => {
                days.binary_search(&(date.month(), date.day())).ok()?;
                next_day()
            }
            Rule::Weekdays(mask) => {
                if mask & (1 << date.weekday().to_monday_zero_offset()) == 0 {
                    return None;
                }
                next_day()
            }
            Rule::Daily { from, to } => {
                let wall = local.time();
                let end_date = if from < to {
                    if wall < *from || wall >= *to {
                        return None;
                    }
                    Some(date)
                } else if wall >= *from {
                    date.tomorrow().ok()
                } else if wall < *to {
                    Some(date)
                } else {
                    return None;
                };
                end_date.and_then(|day| tz.to_timestamp(DateTime::from_parts(day, *to)).ok())
            }
            Rule::Cron {
                trigger,
                per_minute,
            } => {
                let unit = if *per_minute { 60 } else { 1 };
                let second = time.as_second().div_euclid(unit) * unit;
                let start = Timestamp::from_second(second).ok()?;
                let limit = start
                    .checked_add(SignedDuration::from_secs(unit - 1))
                    .ok()?;
                let fire = trigger.next_fire_time(None, start)?;
                if fire > limit {
                    return None;
                }
                start.checked_add(SignedDuration::from_secs(unit)).ok()
            }
        };
        // No further than the zone's next change of offset: a fold may take
        // the wall clock back out of the excluded day or range.
        let until = match (until, tz.following(time).next()) {
            (Some(until), Some(change)) => Some(until.min(change.timestamp())),
            (until, _) => until,
        };
        // Always after `time`, so that a search moves on.
        let after = time
            .checked_add(SignedDuration::from_nanos(1))
            .unwrap_or(Timestamp::MAX);
        Some(until.map_or(after, |until| until.max(after)))
    }
}

impl fmt::Display for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let record = &self.inner.record;
        let list = |items: &[String]| items.join(", ");
        if let Some(dates) = &record.dates {
            write!(f, "dates[{}]", list(dates))?;
        } else if let Some(days) = &record.yearly {
            write!(f, "yearly[{}]", list(days))?;
        } else if let Some(days) = &record.weekdays {
            write!(f, "weekdays[{}]", list(days))?;
        } else if let Some(range) = &record.daily {
            write!(f, "daily[{range}]")?;
        } else if let Some(expression) = &record.cron {
            write!(f, "cron['{expression}']")?;
        }
        if let Some(zone) = &record.timezone {
            write!(f, " in {zone}")?;
        }
        Ok(())
    }
}

impl From<Calendar> for CalendarRecord {
    fn from(calendar: Calendar) -> CalendarRecord {
        calendar.inner.record.clone()
    }
}

impl TryFrom<CalendarRecord> for Calendar {
    type Error = Error;

    fn try_from(record: CalendarRecord) -> Result<Calendar> {
        let zone = record.timezone.as_deref().map(Zone::new).transpose()?;
        let given: Vec<&str> = [
            ("dates", record.dates.is_some()),
            ("yearly", record.yearly.is_some()),
            ("weekdays", record.weekdays.is_some()),
            ("daily", record.daily.is_some()),
            ("cron", record.cron.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, given)| given.then_some(key))
        .collect();
        let kinds = "dates, yearly, weekdays, daily or cron";
        match given.as_slice() {
            [] => {
                return Err(Error::invalid(
                    "calendar",
                    format!("no rule given; give one of {kinds}"),
                ));
            }
            [_] => {}
            [first, second, ..] => {
                return Err(Error::invalid(
                    "calendar",
                    format!("{first} and {second} given; a calendar has one rule: one of {kinds}"),
                ));
            }
        }
        let non_empty = |field: &str, items: &[String]| {
            if items.is_empty() {
                Err(Error::invalid(field, "the list is empty"))
            } else {
                Ok(())
            }
        };
        let rule = if let Some(dates) = &record.dates {
            non_empty("dates", dates)?;
            let mut parsed = dates
                .iter()
                .map(|text| {
                    text.trim().parse::<Date>().map_err(|_| {
                        Error::invalid(
                            "dates",
                            format!("{text:?} is not a date like \"2026-12-25\""),
                        )
                    })
                })
                .collect::<Result<Vec<Date>>>()?;
            parsed.sort_unstable();
            parsed.dedup();
            Rule::Dates(parsed)
        } else if let Some(days) = &record.yearly {
            non_empty("yearly", days)?;
            let mut parsed = days
                .iter()
                .map(|text| month_day(text))
                .collect::<Result<Vec<(i8, i8)>>>()?;
            parsed.sort_unstable();
            parsed.dedup();
            Rule::Yearly(parsed)
        } else if let Some(days) = &record.weekdays {
            non_empty("weekdays", days)?;
            let mut mask = 0u8;
            for text in days {
                mask |= 1 << weekday(text)?.to_monday_zero_offset();
            }
            Rule::Weekdays(mask)
        } else if let Some(range) = &record.daily {
            let refused = |part: &str| {
                Error::invalid(
                    "daily",
                    format!("{part:?} is not a time of day like \"02:00\" or \"02:00:30\""),
                )
            };
            let Some((from, to)) = range.split_once('-') else {
                return Err(Error::invalid(
                    "daily",
                    format!("{range:?} is not a range of times like \"02:00-04:30\""),
                ));
            };
            let from = time_of_day(from.trim()).ok_or_else(|| refused(from.trim()))?;
            let to = time_of_day(to.trim()).ok_or_else(|| refused(to.trim()))?;
            if from == to {
                return Err(Error::invalid(
                    "daily",
                    format!("{range:?} is empty: from and to are the same time"),
                ));
            }
            Rule::Daily { from, to }
        } else if let Some(expression) = &record.cron {
            let zone_name = zone.as_ref().map_or("UTC", Zone::name);
            let trigger = CronTrigger::crontab(expression.clone())
                .timezone(zone_name)
                .build()
                .map_err(|error| match error.reason() {
                    Some(reason) => Error::invalid(
                        "cron",
                        format!(
                            "{expression:?}: {}: {reason}",
                            error.field().unwrap_or("cron")
                        ),
                    ),
                    None => Error::invalid("cron", format!("{expression:?}: {error}")),
                })?;
            let trimmed = expression.trim();
            let per_minute = trimmed.starts_with('@') || trimmed.split_whitespace().count() <= 5;
            Rule::Cron {
                trigger,
                per_minute,
            }
        } else {
            return Err(Error::invalid(
                "calendar",
                format!("no rule given; give one of {kinds}"),
            ));
        };
        Ok(Calendar {
            inner: Arc::new(CalendarInner { record, rule, zone }),
        })
    }
}

/// `MM-DD`, checked against a leap year.
fn month_day(text: &str) -> Result<(i8, i8)> {
    let refused = || {
        Error::invalid(
            "yearly",
            format!("{text:?} is not a month and day like \"12-25\""),
        )
    };
    let (month, day) = text.trim().split_once('-').ok_or_else(refused)?;
    let month: i8 = month.parse().map_err(|_| refused())?;
    let day: i8 = day.parse().map_err(|_| refused())?;
    Date::new(2000, month, day).map_err(|_| refused())?;
    Ok((month, day))
}

/// A day of the week by name.
fn weekday(text: &str) -> Result<Weekday> {
    let day = match text.trim().to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Monday,
        "tue" | "tuesday" => Weekday::Tuesday,
        "wed" | "wednesday" => Weekday::Wednesday,
        "thu" | "thursday" => Weekday::Thursday,
        "fri" | "friday" => Weekday::Friday,
        "sat" | "saturday" => Weekday::Saturday,
        "sun" | "sunday" => Weekday::Sunday,
        _ => {
            return Err(Error::invalid(
                "weekdays",
                format!("{text:?} is not a day name; write mon, tue, wed, thu, fri, sat or sun"),
            ));
        }
    };
    Ok(day)
}

/// `HH:MM` or `HH:MM:SS`.
fn time_of_day(text: &str) -> Option<Time> {
    let mut parts = text.split(':');
    let mut next = |required: bool| -> Option<i8> {
        match parts.next() {
            Some(part) if (1..=2).contains(&part.len()) => part.parse().ok(),
            None if !required => Some(0),
            _ => None,
        }
    };
    let hour = next(true)?;
    let minute = next(true)?;
    let second = next(false)?;
    if parts.next().is_some() {
        return None;
    }
    Time::new(hour, minute, second, 0).ok()
}

/// Calendars by name: those a scheduler knows, or those a job excludes
/// (each with its zone resolved).
///
/// ```
/// use tempora::calendar::{Calendar, Exclusions};
///
/// let exclusions = Exclusions::from([("weekends".to_owned(), Calendar::weekdays(["sat", "sun"]).build()?)]);
/// assert!(exclusions.contains_key("weekends"));
/// # Ok::<(), tempora::Error>(())
/// ```
pub type Exclusions = BTreeMap<String, Calendar>;

/// The first of `exclusions` that excludes `time`, with the instant up to
/// which it does.
fn excluded_until(exclusions: &Exclusions, time: Timestamp) -> Option<Timestamp> {
    exclusions
        .values()
        .find_map(|calendar| calendar.excluded_until(time))
}

/// The next fire time of `trigger` (with the contract of
/// [`Trigger::next_fire_time`]) that no calendar of `exclusions` excludes;
/// `None` when the trigger has none, or when [`EXCLUSION_SEARCH_LIMIT`]
/// excluded ones, or [`EXCLUSION_SEARCH_SPAN`] of them, come first.
pub(crate) fn next_included(
    trigger: &Trigger,
    exclusions: &Exclusions,
    previous: Option<Timestamp>,
    now: Timestamp,
) -> Option<Timestamp> {
    let mut time = trigger.next_fire_time(previous, now)?;
    if exclusions.is_empty() {
        return Some(time);
    }
    let give_up = time
        .checked_add(EXCLUSION_SEARCH_SPAN)
        .unwrap_or(Timestamp::MAX);
    for _ in 0..EXCLUSION_SEARCH_LIMIT {
        if time > give_up {
            return None;
        }
        let Some(until) = excluded_until(exclusions, time) else {
            return Some(time);
        };
        let following = match trigger.first_at_or_after(time, until) {
            Some(jumped) => jumped,
            None => trigger.next_fire_time(Some(time), time),
        };
        time = following.filter(|following| *following > time)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trigger::IntervalTrigger;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// `(calendar, instant, excluded)` rows.
    fn check(calendar: &Calendar, rows: &[(&str, bool)]) {
        for (time, excluded) in rows {
            assert_eq!(
                calendar.excludes(at(time)),
                *excluded,
                "{calendar} at {time}"
            );
        }
    }

    #[test]
    fn dates_exclude_whole_days_in_their_zone() {
        let holidays = Calendar::dates(["2026-12-25", "2027-01-01"])
            .timezone("America/New_York")
            .build()
            .unwrap();
        check(
            &holidays,
            &[
                ("2026-12-25T05:00:00Z", true), // 00:00 in New York
                ("2026-12-25T04:59:59Z", false),
                ("2026-12-26T04:59:59Z", true),
                ("2026-12-26T05:00:00Z", false),
                ("2027-01-01T12:00:00Z", true),
                ("2027-12-25T12:00:00Z", false),
            ],
        );
        assert_eq!(
            holidays.excluded_until(at("2026-12-25T12:00:00Z")),
            Some(at("2026-12-26T05:00:00Z"))
        );
    }

    #[test]
    fn yearly_dates_exclude_every_year() {
        let days = Calendar::yearly(["12-25", "02-29"])
            .timezone("UTC")
            .build()
            .unwrap();
        check(
            &days,
            &[
                ("2026-12-25T00:00:00Z", true),
                ("2099-12-25T23:59:59Z", true),
                ("2026-12-26T00:00:00Z", false),
                ("2028-02-29T10:00:00Z", true),
                ("2027-03-01T10:00:00Z", false),
            ],
        );
    }

    #[test]
    fn weekdays_exclude_by_name() {
        let weekends = Calendar::weekdays(["Saturday", "sun"])
            .timezone("Asia/Tokyo")
            .build()
            .unwrap();
        check(
            &weekends,
            &[
                // Friday 23:00 UTC is Saturday 08:00 in Tokyo.
                ("2026-11-27T23:00:00Z", true),
                ("2026-11-27T14:59:59Z", false),
                ("2026-11-29T14:59:59Z", true),
                ("2026-11-29T15:00:00Z", false),
            ],
        );
    }

    #[test]
    fn a_daily_range_compares_wall_clock_times_and_may_wrap() {
        let night = Calendar::daily("22:00", "06:00")
            .timezone("UTC")
            .build()
            .unwrap();
        check(
            &night,
            &[
                ("2026-06-01T21:59:59Z", false),
                ("2026-06-01T22:00:00Z", true),
                ("2026-06-02T05:59:59Z", true),
                ("2026-06-02T06:00:00Z", false),
                ("2026-06-02T12:00:00Z", false),
            ],
        );
        assert_eq!(
            night.excluded_until(at("2026-06-01T23:00:00Z")),
            Some(at("2026-06-02T06:00:00Z"))
        );
    }

    #[test]
    fn a_daily_range_on_new_york_dst_days() {
        let range = Calendar::daily("01:30", "03:30")
            .timezone("America/New_York")
            .build()
            .unwrap();
        check(
            &range,
            &[
                // 2026-03-08: 02:00 EST jumps to 03:00 EDT. The range holds
                // the wall times 01:30-01:59 EST and 03:00-03:29 EDT: one
                // hour of elapsed time.
                ("2026-03-08T06:29:59Z", false), // 01:29:59 EST
                ("2026-03-08T06:30:00Z", true),  // 01:30 EST
                ("2026-03-08T07:00:00Z", true),  // 03:00 EDT
                ("2026-03-08T07:29:59Z", true),  // 03:29:59 EDT
                ("2026-03-08T07:30:00Z", false), // 03:30 EDT
                // 2026-11-01: 02:00 EDT falls back to 01:00 EST. 01:30-01:59
                // happens twice, both excluded, and 01:00-01:29 EST between
                // them is not: two and a half hours of elapsed time.
                ("2026-11-01T05:29:59Z", false), // 01:29:59 EDT
                ("2026-11-01T05:30:00Z", true),  // 01:30 EDT
                ("2026-11-01T05:59:59Z", true),  // 01:59:59 EDT
                ("2026-11-01T06:00:00Z", false), // 01:00 EST
                ("2026-11-01T06:29:59Z", false), // 01:29:59 EST
                ("2026-11-01T06:30:00Z", true),  // 01:30 EST, in range again
                ("2026-11-01T08:29:59Z", true),  // 03:29:59 EST
                ("2026-11-01T08:30:00Z", false), // 03:30 EST
            ],
        );
        // A span is known to last up to the zone's change of offset, then
        // to the end of the range: on the spring day, 03:00 EDT, then
        // 03:30 EDT. On the autumn day a search stops at the fall back and
        // finds 01:00-01:29 EST included.
        assert_eq!(
            range.excluded_until(at("2026-03-08T06:45:00Z")),
            Some(at("2026-03-08T07:00:00Z"))
        );
        assert_eq!(
            range.excluded_until(at("2026-03-08T07:00:00Z")),
            Some(at("2026-03-08T07:30:00Z"))
        );
        let every_ten: Trigger = CronTrigger::crontab("*/10 * * * *")
            .timezone("America/New_York")
            .build()
            .unwrap()
            .into();
        let exclusions = Exclusions::from([("range".to_owned(), range.clone())]);
        let previous = at("2026-11-01T05:20:00Z"); // 01:20 EDT
        assert_eq!(
            next_included(&every_ten, &exclusions, Some(previous), previous),
            Some(at("2026-11-01T06:00:00Z")), // 01:00 EST
        );
    }

    #[test]
    fn a_cron_calendar_excludes_the_minutes_it_matches() {
        let window = Calendar::cron("* 22-23 * * fri")
            .timezone("Europe/Berlin")
            .build()
            .unwrap();
        check(
            &window,
            &[
                ("2026-11-27T21:00:00Z", true), // Friday 22:00 in Berlin
                ("2026-11-27T22:59:59Z", true),
                ("2026-11-27T23:00:00Z", false), // Saturday 00:00
                ("2026-11-27T20:59:59Z", false),
                ("2026-11-26T21:30:00Z", false), // a Thursday
            ],
        );
        assert_eq!(
            window.excluded_until(at("2026-11-27T21:10:30Z")),
            Some(at("2026-11-27T21:11:00Z"))
        );
    }

    #[test]
    fn mistakes_name_the_field_and_the_value() {
        for (built, expected) in [
            (
                Calendar::dates(["2026-02-30"]).build(),
                "dates: \"2026-02-30\" is not a date like \"2026-12-25\"",
            ),
            (
                Calendar::dates(Vec::<String>::new()).build(),
                "dates: the list is empty",
            ),
            (
                Calendar::yearly(["13-01"]).build(),
                "yearly: \"13-01\" is not a month and day like \"12-25\"",
            ),
            (
                Calendar::weekdays(["1"]).build(),
                "weekdays: \"1\" is not a day name; write mon, tue, wed, thu, fri, sat or sun",
            ),
            (
                Calendar::daily("02:00", "02:00").build(),
                "daily: \"02:00-02:00\" is empty: from and to are the same time",
            ),
            (
                Calendar::cron("0 24 * * *").build(),
                "cron: \"0 24 * * *\": hour: 24 is out of range 0-23",
            ),
            (
                Calendar::weekdays(["sat"]).timezone("Mars/Olympus").build(),
                "timezone: \"Mars/Olympus\" is not a known IANA time zone name, `UTC` or an offset like +05:30",
            ),
        ] {
            assert_eq!(built.unwrap_err().to_string(), expected);
        }
        let both: std::result::Result<Calendar, _> =
            serde_json::from_str(r#"{"dates":["2026-12-25"],"weekdays":["sat"]}"#);
        assert_eq!(
            both.unwrap_err().to_string(),
            "calendar: dates and weekdays given; a calendar has one rule: one of dates, yearly, weekdays, daily or cron"
        );
    }

    #[test]
    fn calendars_round_trip_through_json_as_written() {
        for json in [
            r#"{"dates":["2026-12-25"],"timezone":"America/New_York"}"#,
            r#"{"yearly":["12-25","01-01"]}"#,
            r#"{"weekdays":["sat","sun"],"timezone":"UTC"}"#,
            r#"{"daily":"22:00-06:00"}"#,
            r#"{"cron":"* 3 * * *","timezone":"Europe/Berlin"}"#,
        ] {
            let calendar: Calendar = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&calendar).unwrap(), json);
        }
    }

    #[test]
    fn a_calendar_without_a_zone_takes_the_one_given() {
        let weekends = Calendar::weekdays(["sat"]).build().unwrap();
        let tokyo = Zone::new("Asia/Tokyo").unwrap();
        let resolved = weekends.in_zone_unless_set(&tokyo);
        assert_eq!(resolved.zone(), Some(&tokyo));
        // Friday 20:00 UTC is Saturday 05:00 in Tokyo.
        assert!(!weekends.excludes(at("2026-11-27T20:00:00Z")));
        assert!(resolved.excludes(at("2026-11-27T20:00:00Z")));
        let paris = Calendar::weekdays(["sat"])
            .timezone("Europe/Paris")
            .build()
            .unwrap();
        assert_eq!(paris.in_zone_unless_set(&tokyo), paris);
    }

    #[test]
    fn the_next_included_fire_time_passes_excluded_spans() {
        let minutely: Trigger = IntervalTrigger::builder()
            .minutes(1)
            .start_date(at("2026-11-27T00:00:00Z"))
            .timezone("UTC")
            .build()
            .unwrap()
            .into();
        let exclusions = Exclusions::from([(
            "weekends".to_owned(),
            Calendar::weekdays(["sat", "sun"])
                .timezone("UTC")
                .build()
                .unwrap(),
        )]);
        // From Friday 23:59, the next minute is Saturday: Monday 00:00.
        let previous = at("2026-11-27T23:59:00Z");
        assert_eq!(
            next_included(&minutely, &exclusions, Some(previous), previous),
            Some(at("2026-11-30T00:00:00Z"))
        );
        // Everything excluded: no more fire times, after a bounded search.
        let always = Exclusions::from([(
            "always".to_owned(),
            Calendar::daily("00:00", "23:59:59")
                .timezone("UTC")
                .build()
                .unwrap(),
        )]);
        let cron: Trigger = CronTrigger::crontab("30 23 * * *")
            .timezone("UTC")
            .build()
            .unwrap()
            .into();
        assert_eq!(next_included(&cron, &always, None, previous), None);
        assert_eq!(
            next_included(&minutely, &always, Some(previous), previous),
            None
        );
    }
}
