//! The calendar interval trigger: every n years, months, weeks or days at a
//! fixed wall-clock time.

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::trigger::civil::{
    MAX_YEAR, SECONDS_PER_DAY, civil_from_days, days_from_civil, days_in_month,
};
use crate::trigger::dst::{DstFold, DstGap, LocalSchedule, first_instant_at_or_after};
use crate::trigger::zone::Zone;
use crate::trigger::{ceil_to_second, instant_from_second, threshold};

/// Fires every `years`, `months`, `weeks` and `days` at the wall-clock time
/// `hour:minute:second`, as APScheduler 3.11's `CalendarIntervalTrigger`.
///
/// From one fire date the next is found by adding the years and months while
/// keeping the day of the month, repeating until that date exists (so the
/// 31st with `months = 1` skips the months without one), then adding the
/// weeks and days. The first fire date is `start_date` (by default the date
/// of `now` in the trigger's zone); without a previous fire time the trigger
/// steps from it to the first fire time at or after `now`. A wall-clock time
/// in a DST gap or fold follows [`DstGap`] and [`DstFold`] (APScheduler skips
/// the day in a gap and takes the first time in a fold).
///
/// ```
/// use tempora::trigger::CalendarIntervalTrigger;
///
/// let trigger = CalendarIntervalTrigger::builder()
///     .months(1)
///     .hour(9)
///     .start_date("2026-01-31".parse().unwrap())
///     .timezone("Europe/Paris")
///     .build()?;
/// let zone = trigger.zone().clone();
/// let times: Vec<String> = tempora::trigger::Trigger::from(trigger)
///     .fire_times(None, zone.parse_time("2026-01-01")?)
///     .take(3)
///     .map(|t| zone.format(t))
///     .collect();
/// assert_eq!(times, ["2026-01-31T09:00:00+01:00", "2026-03-31T09:00:00+02:00", "2026-05-31T09:00:00+02:00"]);
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CalendarRecord", into = "CalendarRecord")]
pub struct CalendarIntervalTrigger {
    inner: Arc<CalendarInner>,
}

#[derive(PartialEq)]
struct CalendarInner {
    record: CalendarRecord,
    zone: Zone,
    second_of_day: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarRecord {
    #[serde(default, skip_serializing_if = "is_zero")]
    years: i32,
    #[serde(default, skip_serializing_if = "is_zero")]
    months: i32,
    #[serde(default, skip_serializing_if = "is_zero")]
    weeks: i32,
    #[serde(default, skip_serializing_if = "is_zero")]
    days: i32,
    #[serde(default)]
    hour: i32,
    #[serde(default)]
    minute: i32,
    #[serde(default)]
    second: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_date: Option<Date>,
    timezone: String,
    #[serde(default)]
    dst_gap: DstGap,
    #[serde(default)]
    dst_fold: DstFold,
}

fn is_zero(value: &i32) -> bool {
    *value == 0
}

/// Builds a [`CalendarIntervalTrigger`]; every value is checked by [`build`](Self::build).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct CalendarIntervalTriggerBuilder {
    record: CalendarRecord,
    timezone: Option<String>,
}

macro_rules! calendar_setters {
    ($($name:ident: $what:literal),*) => {$(
        #[doc = $what]
        ///
        /// ```
        #[doc = concat!("let trigger = tempora::trigger::CalendarIntervalTrigger::builder().days(1).", stringify!($name), "(1).timezone(\"UTC\").build()?;")]
        #[doc = concat!("assert!(trigger.to_string().contains(\"calendar_interval[\"));")]
        /// # Ok::<(), tempora::Error>(())
        /// ```
        pub fn $name(mut self, value: i32) -> CalendarIntervalTriggerBuilder {
            self.record.$name = value;
            self
        }
    )*};
}

impl CalendarIntervalTriggerBuilder {
    calendar_setters!(
        years: "Years between fire dates.",
        months: "Months between fire dates.",
        weeks: "Weeks between fire dates.",
        days: "Days between fire dates.",
        hour: "The hour of the day it fires at (0-23).",
        minute: "The minute it fires at (0-59).",
        second: "The second it fires at (0-59)."
    );

    /// The first fire date (default: the date of `now` in the trigger's zone).
    ///
    /// ```
    /// let trigger = tempora::trigger::CalendarIntervalTrigger::builder().days(2)
    ///     .start_date("2026-05-01".parse().unwrap()).timezone("UTC").build()?;
    /// let now: jiff::Timestamp = "2026-05-02T00:00:00Z".parse().unwrap();
    /// assert_eq!(trigger.next_fire_time(None, now).unwrap().to_string(), "2026-05-03T00:00:00Z");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn start_date(mut self, date: Date) -> CalendarIntervalTriggerBuilder {
        self.record.start_date = Some(date);
        self
    }

    /// The last date it may fire on (inclusive).
    ///
    /// ```
    /// let trigger = tempora::trigger::CalendarIntervalTrigger::builder().days(1)
    ///     .start_date("2026-05-01".parse().unwrap()).end_date("2026-05-01".parse().unwrap())
    ///     .timezone("UTC").build()?;
    /// let first = trigger.next_fire_time(None, "2026-04-01T00:00:00Z".parse().unwrap()).unwrap();
    /// assert_eq!(trigger.next_fire_time(Some(first), first), None);
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn end_date(mut self, date: Date) -> CalendarIntervalTriggerBuilder {
        self.record.end_date = Some(date);
        self
    }

    /// The zone whose wall clock it fires on (default [`Zone::system`]).
    ///
    /// ```
    /// let trigger = tempora::trigger::CalendarIntervalTrigger::builder().days(1).timezone("Asia/Tokyo").build()?;
    /// assert_eq!(trigger.zone().name(), "Asia/Tokyo");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn timezone(mut self, name: impl Into<String>) -> CalendarIntervalTriggerBuilder {
        self.timezone = Some(name.into());
        self
    }

    /// What to do when the time of day does not exist on a fire date (default [`DstGap::Shift`]).
    ///
    /// ```
    /// use tempora::trigger::{CalendarIntervalTrigger, DstGap};
    ///
    /// let trigger = CalendarIntervalTrigger::builder().days(1).hour(2).minute(30)
    ///     .start_date("2026-03-29".parse().unwrap()).timezone("Europe/Berlin").dst_gap(DstGap::Skip).build()?;
    /// let next = trigger.next_fire_time(None, trigger.zone().parse_time("2026-03-29")?).unwrap();
    /// assert_eq!(trigger.zone().format(next), "2026-03-30T02:30:00+02:00");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn dst_gap(mut self, policy: DstGap) -> CalendarIntervalTriggerBuilder {
        self.record.dst_gap = policy;
        self
    }

    /// What to do when the time of day happens twice on a fire date (default [`DstFold::Auto`]: the first).
    ///
    /// ```
    /// use tempora::trigger::{CalendarIntervalTrigger, DstFold};
    ///
    /// let trigger = CalendarIntervalTrigger::builder().days(1).hour(1).minute(30)
    ///     .timezone("America/New_York").dst_fold(DstFold::Both).build()?;
    /// let zone = trigger.zone().clone();
    /// let first = trigger.next_fire_time(None, zone.parse_time("2026-11-01")?).unwrap();
    /// let second = trigger.next_fire_time(Some(first), first).unwrap();
    /// assert_eq!(zone.format(first), "2026-11-01T01:30:00-04:00");
    /// assert_eq!(zone.format(second), "2026-11-01T01:30:00-05:00");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn dst_fold(mut self, policy: DstFold) -> CalendarIntervalTriggerBuilder {
        self.record.dst_fold = policy;
        self
    }

    /// Checks every value and builds the trigger.
    ///
    /// # Errors
    ///
    /// An error naming the field for a negative or all-zero interval, a time
    /// of day out of range, an unknown zone, or an end date before the start date.
    ///
    /// ```
    /// let error = tempora::trigger::CalendarIntervalTrigger::builder().days(1).hour(24).build().unwrap_err();
    /// assert_eq!(error.to_string(), "hour: 24 is out of range 0-23");
    /// ```
    pub fn build(mut self) -> Result<CalendarIntervalTrigger> {
        self.record.timezone = match self.timezone {
            Some(name) => name,
            None => Zone::system().name().to_string(),
        };
        CalendarIntervalTrigger::try_from(self.record)
    }
}

impl TryFrom<CalendarRecord> for CalendarIntervalTrigger {
    type Error = Error;

    fn try_from(record: CalendarRecord) -> Result<CalendarIntervalTrigger> {
        for (name, value) in [
            ("years", record.years),
            ("months", record.months),
            ("weeks", record.weeks),
            ("days", record.days),
        ] {
            if !(0..=10_000).contains(&value) {
                return Err(Error::invalid(
                    name,
                    format!("{value} is out of range 0-10000"),
                ));
            }
        }
        if record.years == 0 && record.months == 0 && record.weeks == 0 && record.days == 0 {
            return Err(Error::invalid(
                "interval",
                "years, months, weeks and days are all zero; the interval must be at least one day",
            ));
        }
        for (name, value, max) in [
            ("hour", record.hour, 23),
            ("minute", record.minute, 59),
            ("second", record.second, 59),
        ] {
            if !(0..=max).contains(&value) {
                return Err(Error::invalid(
                    name,
                    format!("{value} is out of range 0-{max}"),
                ));
            }
        }
        if let (Some(start), Some(end)) = (record.start_date, record.end_date)
            && start > end
        {
            return Err(Error::invalid(
                "end_date",
                format!("{end} is before the start_date {start}"),
            ));
        }
        let zone = Zone::new(&record.timezone)?;
        let second_of_day = (record.hour * 3600 + record.minute * 60 + record.second) as u32;
        Ok(CalendarIntervalTrigger {
            inner: Arc::new(CalendarInner {
                record,
                zone,
                second_of_day,
            }),
        })
    }
}

impl From<CalendarIntervalTrigger> for CalendarRecord {
    fn from(trigger: CalendarIntervalTrigger) -> CalendarRecord {
        trigger.inner.record.clone()
    }
}

/// The local seconds of one fire date, as a schedule with a single match,
/// so that the shared DST search resolves it.
struct OneLocalTime(i64);

impl LocalSchedule for OneLocalTime {
    fn next_local(&self, local: i64) -> Option<i64> {
        (local <= self.0).then_some(self.0)
    }

    fn fires_every_hour(&self) -> bool {
        false
    }
}

fn day_count(date: Date) -> i64 {
    days_from_civil(
        i32::from(date.year()),
        date.month() as u32,
        date.day() as u32,
    )
}

impl CalendarIntervalTrigger {
    /// A builder; give at least one of years, months, weeks, days.
    ///
    /// ```
    /// let trigger = tempora::trigger::CalendarIntervalTrigger::builder().weeks(2).hour(8).timezone("UTC").build()?;
    /// assert_eq!(trigger.to_string(), "calendar_interval[weeks=2, at 08:00:00, timezone='UTC', dst_gap='shift', dst_fold='auto']");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn builder() -> CalendarIntervalTriggerBuilder {
        CalendarIntervalTriggerBuilder::default()
    }

    /// The zone whose wall clock it fires on.
    ///
    /// ```
    /// let trigger = tempora::trigger::CalendarIntervalTrigger::builder().days(1).timezone("UTC").build()?;
    /// assert_eq!(trigger.zone().name(), "UTC");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn zone(&self) -> &Zone {
        &self.inner.zone
    }

    /// The next fire time, with the contract of
    /// [`Trigger::next_fire_time`](crate::trigger::Trigger::next_fire_time).
    ///
    /// ```
    /// let trigger = tempora::trigger::CalendarIntervalTrigger::builder().years(1).hour(12)
    ///     .start_date("2024-02-29".parse().unwrap()).timezone("UTC").build()?;
    /// let first = trigger.next_fire_time(None, "2024-01-01T00:00:00Z".parse().unwrap()).unwrap();
    /// // February 29 exists again only in 2028.
    /// assert_eq!(trigger.next_fire_time(Some(first), first).unwrap().to_string(), "2028-02-29T12:00:00Z");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn next_fire_time(&self, previous: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
        let inner = &*self.inner;
        // A clock set back before `previous`: the dates run on from the
        // start date again, so the answer is the first at or after `now`.
        // Without a start date the dates are anchored on `previous` alone.
        let previous =
            previous.filter(|previous| now >= *previous || inner.record.start_date.is_none());
        let from = ceil_to_second(threshold(previous, now));
        let zone = &inner.zone;
        let (mut day, lower) = match previous {
            Some(previous) => {
                // Fire dates run on from the date that gave the previous
                // fire time; the same date may still fire again in a fold.
                // That date is the previous fire time's own local date,
                // unless a DST gap pushed the day before's time past
                // midnight (23:30 in a 23:00-00:00 gap fires at 00:30).
                let second = previous.as_second();
                let local_day = (second + zone.window(second).offset).div_euclid(SECONDS_PER_DAY);
                let day_before = (local_day - 1) * SECONDS_PER_DAY + i64::from(inner.second_of_day);
                let pushed_past_midnight = first_instant_at_or_after(
                    zone,
                    &OneLocalTime(day_before),
                    inner.record.dst_gap,
                    inner.record.dst_fold,
                    second,
                ) == Some(second);
                (
                    if pushed_past_midnight {
                        local_day - 1
                    } else {
                        local_day
                    },
                    ceil_to_second(
                        previous
                            .checked_add(jiff::SignedDuration::from_nanos(1))
                            .ok()?,
                    ),
                )
            }
            None => {
                let start = match inner.record.start_date {
                    Some(start) => day_count(start),
                    None => (from + zone.window(from).offset).div_euclid(SECONDS_PER_DAY),
                };
                (start, from)
            }
        };
        let end = inner.record.end_date.map(day_count);
        let last_day = days_from_civil(MAX_YEAR, 12, 31);
        loop {
            if end.is_some_and(|end| day > end) || day > last_day {
                return None;
            }
            let local = day * SECONDS_PER_DAY + i64::from(inner.second_of_day);
            // Resolve the wall-clock time of this date, searching from a day
            // before it so that both passes of a fold are seen.
            let search_from = lower.max(local - 2 * SECONDS_PER_DAY);
            if let Some(second) = first_instant_at_or_after(
                zone,
                &OneLocalTime(local),
                inner.record.dst_gap,
                inner.record.dst_fold,
                search_from,
            ) && second >= lower
            {
                return instant_from_second(second);
            }
            day = self.step(day)?;
        }
    }

    /// The fire date after `day`: add years and months keeping the day of
    /// the month until that date exists, then weeks and days.
    fn step(&self, day: i64) -> Option<i64> {
        let record = &self.inner.record;
        let (mut year, mut month, day_of_month) = civil_from_days(day);
        let mut next = day;
        if record.years != 0 || record.months != 0 {
            loop {
                let months = i64::from(month) - 1 + i64::from(record.months);
                year = year
                    .checked_add(record.years)?
                    .checked_add(months.div_euclid(12) as i32)?;
                month = (months.rem_euclid(12) + 1) as u32;
                if year > MAX_YEAR {
                    return None;
                }
                if day_of_month <= days_in_month(year, month) {
                    next = days_from_civil(year, month, day_of_month);
                    break;
                }
            }
        }
        Some(next + i64::from(record.weeks) * 7 + i64::from(record.days))
    }
}

impl fmt::Display for CalendarIntervalTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let record = &self.inner.record;
        f.write_str("calendar_interval[")?;
        for (name, value) in [
            ("years", record.years),
            ("months", record.months),
            ("weeks", record.weeks),
            ("days", record.days),
        ] {
            if value != 0 {
                write!(f, "{name}={value}, ")?;
            }
        }
        write!(
            f,
            "at {:02}:{:02}:{:02}",
            record.hour, record.minute, record.second
        )?;
        if let Some(start) = record.start_date {
            write!(f, ", start_date='{start}'")?;
        }
        if let Some(end) = record.end_date {
            write!(f, ", end_date='{end}'")?;
        }
        write!(
            f,
            ", timezone='{}', dst_gap='{}', dst_fold='{}']",
            self.inner.zone, record.dst_gap, record.dst_fold
        )
    }
}

impl fmt::Debug for CalendarIntervalTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CalendarIntervalTrigger({self})")
    }
}
