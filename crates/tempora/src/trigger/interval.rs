//! The interval trigger: fires every fixed length of elapsed time.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::trigger::cron::checked_jitter;
use crate::trigger::jitter::Jitter;
use crate::trigger::threshold;
use crate::trigger::zone::Zone;

/// Fires at `start_date + k × interval`, in elapsed time: an hour is 3600
/// seconds even across a DST change, as in APScheduler 3.
///
/// Without a `start_date` the first fire is one interval after `now`, and
/// each later one an interval after the previous (APScheduler sets the start
/// date to "now + interval" when the trigger is made; a Tempora trigger never
/// reads the clock, so it anchors on the times it is given). The end date is
/// inclusive.
///
/// ```
/// use tempora::trigger::IntervalTrigger;
///
/// let zone = tempora::trigger::Zone::new("America/New_York")?;
/// let start = zone.parse_time("2026-03-07 23:30")?;
/// let trigger = IntervalTrigger::builder().hours(1).start_date(start).timezone("America/New_York").build()?;
/// let times: Vec<String> = tempora::trigger::Trigger::from(trigger)
///     .fire_times(None, start)
///     .skip(2)
///     .take(2)
///     .map(|t| zone.format(t))
///     .collect();
/// // 02:30 does not exist on 2026-03-08: one hour after 01:30 is 03:30.
/// assert_eq!(times, ["2026-03-08T01:30:00-05:00", "2026-03-08T03:30:00-04:00"]);
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "IntervalRecord", into = "IntervalRecord")]
pub struct IntervalTrigger {
    /// Shared: clones (one per stored job) stay small.
    inner: std::sync::Arc<IntervalInner>,
}

/// The interval as written and as computed with.
#[derive(PartialEq)]
struct IntervalInner {
    record: IntervalRecord,
    period: SignedDuration,
    jitter: Option<Jitter>,
    zone: Zone,
}

/// The stored form: the interval as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IntervalRecord {
    #[serde(default, skip_serializing_if = "is_zero")]
    weeks: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    days: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    hours: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    minutes: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_date: Option<Timestamp>,
    timezone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jitter: Option<SignedDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jitter_seed: Option<u64>,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

/// Builds an [`IntervalTrigger`]; every value is checked by [`build`](Self::build).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct IntervalTriggerBuilder {
    weeks: i64,
    days: i64,
    hours: i64,
    minutes: i64,
    seconds: i64,
    start_date: Option<Timestamp>,
    end_date: Option<Timestamp>,
    timezone: Option<String>,
    jitter: Option<SignedDuration>,
    jitter_seed: Option<u64>,
}

macro_rules! length_setters {
    ($($name:ident),*) => {$(
        #[doc = concat!("Adds this many ", stringify!($name), " to the interval.")]
        ///
        /// ```
        #[doc = concat!("let trigger = tempora::trigger::IntervalTrigger::builder().", stringify!($name), "(2).timezone(\"UTC\").build()?;")]
        /// assert!(trigger.to_string().starts_with("interval[every 2"));
        /// # Ok::<(), tempora::Error>(())
        /// ```
        pub fn $name(mut self, count: i64) -> IntervalTriggerBuilder {
            self.$name = count;
            self
        }
    )*};
}

impl IntervalTriggerBuilder {
    length_setters!(weeks, days, hours, minutes, seconds);

    /// The first fire time; later ones are whole intervals after it.
    ///
    /// ```
    /// let start: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// let trigger = tempora::trigger::IntervalTrigger::builder().hours(1).start_date(start).timezone("UTC").build()?;
    /// assert_eq!(trigger.next_fire_time(None, "2025-01-01T00:00:00Z".parse().unwrap()), Some(start));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn start_date(mut self, start: Timestamp) -> IntervalTriggerBuilder {
        self.start_date = Some(start);
        self
    }

    /// No fire time after this instant (inclusive).
    ///
    /// ```
    /// let start: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// let end: jiff::Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();
    /// let trigger = tempora::trigger::IntervalTrigger::builder().hours(1)
    ///     .start_date(start).end_date(end).timezone("UTC").build()?;
    /// assert_eq!(trigger.next_fire_time(Some(start), start), Some(end));
    /// assert_eq!(trigger.next_fire_time(Some(end), end), None);
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn end_date(mut self, end: Timestamp) -> IntervalTriggerBuilder {
        self.end_date = Some(end);
        self
    }

    /// The zone fire times are shown in (an interval counts elapsed time, so
    /// the zone does not change when it fires). Defaults to [`Zone::system`].
    ///
    /// ```
    /// let trigger = tempora::trigger::IntervalTrigger::builder().days(1).timezone("Europe/Rome").build()?;
    /// assert_eq!(trigger.zone().name(), "Europe/Rome");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn timezone(mut self, name: impl Into<String>) -> IntervalTriggerBuilder {
        self.timezone = Some(name.into());
        self
    }

    /// Moves each fire time by a pseudo-random offset in `[-jitter, +jitter]`.
    /// With a start date the offsets do not accumulate: each fire time is
    /// its grid point plus its own offset.
    ///
    /// ```
    /// let start: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// let trigger = tempora::trigger::IntervalTrigger::builder().hours(1).start_date(start)
    ///     .jitter(jiff::SignedDuration::from_secs(60)).jitter_seed(1).timezone("UTC").build()?;
    /// let next = trigger.next_fire_time(None, start).unwrap();
    /// assert!(next.duration_since(start).abs() <= jiff::SignedDuration::from_secs(60));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn jitter(mut self, jitter: SignedDuration) -> IntervalTriggerBuilder {
        self.jitter = Some(jitter);
        self
    }

    /// Fixes the jitter's seed so that its offsets are reproducible.
    ///
    /// ```
    /// let trigger = tempora::trigger::IntervalTrigger::builder().hours(1)
    ///     .jitter(jiff::SignedDuration::from_secs(60)).jitter_seed(1).timezone("UTC").build()?;
    /// assert!(trigger.to_string().contains("jitter"));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn jitter_seed(mut self, seed: u64) -> IntervalTriggerBuilder {
        self.jitter_seed = Some(seed);
        self
    }

    /// Checks every value and builds the trigger.
    ///
    /// # Errors
    ///
    /// An error naming the field for a negative length, an interval of zero,
    /// an unknown time zone, an end date before the start date, or a negative jitter.
    ///
    /// ```
    /// let error = tempora::trigger::IntervalTrigger::builder().timezone("UTC").build().unwrap_err();
    /// assert_eq!(error.to_string(), "interval: weeks, days, hours, minutes and seconds are all zero; the interval must be longer than zero");
    /// let error = tempora::trigger::IntervalTrigger::builder().minutes(-5).build().unwrap_err();
    /// assert_eq!(error.to_string(), "minutes: -5 is negative; expected zero or more");
    /// ```
    pub fn build(self) -> Result<IntervalTrigger> {
        let timezone = match self.timezone {
            Some(name) => name,
            None => Zone::system().name().to_string(),
        };
        IntervalTrigger::try_from(IntervalRecord {
            weeks: self.weeks,
            days: self.days,
            hours: self.hours,
            minutes: self.minutes,
            seconds: self.seconds,
            start_date: self.start_date,
            end_date: self.end_date,
            timezone,
            jitter: self.jitter,
            jitter_seed: self
                .jitter_seed
                .or_else(|| self.jitter.map(|_| super::jitter::random_seed())),
        })
    }
}

impl TryFrom<IntervalRecord> for IntervalTrigger {
    type Error = Error;

    fn try_from(record: IntervalRecord) -> Result<IntervalTrigger> {
        let mut seconds: i128 = 0;
        for (name, count, unit) in [
            ("weeks", record.weeks, 604_800),
            ("days", record.days, 86_400),
            ("hours", record.hours, 3_600),
            ("minutes", record.minutes, 60),
            ("seconds", record.seconds, 1),
        ] {
            if count < 0 {
                return Err(Error::invalid(
                    name,
                    format!("{count} is negative; expected zero or more"),
                ));
            }
            seconds += i128::from(count) * unit;
        }
        if seconds == 0 {
            return Err(Error::invalid(
                "interval",
                "weeks, days, hours, minutes and seconds are all zero; the interval must be longer than zero",
            ));
        }
        // About 300 years: longer intervals would overflow time arithmetic.
        if seconds > 10_000_000_000 {
            return Err(Error::invalid(
                "interval",
                format!("{seconds} seconds is too long; expected at most 10000000000 seconds"),
            ));
        }
        let zone = Zone::new(&record.timezone)?;
        if let (Some(start), Some(end)) = (record.start_date, record.end_date)
            && start > end
        {
            return Err(Error::invalid(
                "end_date",
                format!(
                    "{} is before the start_date {}",
                    zone.format(end),
                    zone.format(start)
                ),
            ));
        }
        let jitter = checked_jitter(record.jitter, record.jitter_seed)?;
        Ok(IntervalTrigger {
            inner: std::sync::Arc::new(IntervalInner {
                period: SignedDuration::from_secs(seconds as i64),
                jitter,
                zone,
                record,
            }),
        })
    }
}

impl From<IntervalTrigger> for IntervalRecord {
    fn from(trigger: IntervalTrigger) -> IntervalRecord {
        match std::sync::Arc::try_unwrap(trigger.inner) {
            Ok(inner) => inner.record,
            Err(shared) => shared.record.clone(),
        }
    }
}

impl IntervalTrigger {
    /// A builder; give at least one of weeks, days, hours, minutes, seconds.
    ///
    /// ```
    /// let trigger = tempora::trigger::IntervalTrigger::builder().hours(1).minutes(30).timezone("UTC").build()?;
    /// assert_eq!(trigger.to_string(), "interval[every 1h 30m, timezone='UTC']");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn builder() -> IntervalTriggerBuilder {
        IntervalTriggerBuilder::default()
    }

    /// The length of the interval.
    ///
    /// ```
    /// let trigger = tempora::trigger::IntervalTrigger::builder().days(1).timezone("UTC").build()?;
    /// assert_eq!(trigger.period(), jiff::SignedDuration::from_hours(24));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn period(&self) -> SignedDuration {
        self.inner.period
    }

    /// The start date, when given: fire times are on its grid; without one,
    /// on the grid of the previous fire time.
    pub(crate) fn start(&self) -> Option<Timestamp> {
        self.inner.record.start_date
    }

    /// The period and end date of a trigger without jitter: its fire times
    /// after one on its grid are that one plus whole periods, up to the end
    /// date. `None` with jitter (each fire time moves on its own).
    pub(crate) fn fixed_steps(&self) -> Option<(SignedDuration, Option<Timestamp>)> {
        match self.inner.jitter {
            None => Some((self.inner.period, self.inner.record.end_date)),
            Some(_) => None,
        }
    }

    /// The zone fire times are shown in.
    ///
    /// ```
    /// let trigger = tempora::trigger::IntervalTrigger::builder().days(1).timezone("UTC").build()?;
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
    /// let start: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// let trigger = tempora::trigger::IntervalTrigger::builder().minutes(15).start_date(start).timezone("UTC").build()?;
    /// let now: jiff::Timestamp = "2026-01-01T00:20:00Z".parse().unwrap();
    /// assert_eq!(trigger.next_fire_time(None, now).unwrap().to_string(), "2026-01-01T00:30:00Z");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn next_fire_time(&self, previous: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
        match &self.inner.jitter {
            None => self.next_unjittered(previous, now),
            Some(jitter) => jitter.next(
                previous,
                now,
                self.inner.record.end_date,
                |previous, now| self.next_unjittered(previous, now),
            ),
        }
    }

    fn next_unjittered(&self, previous: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
        let from = threshold(previous, now);
        let fire = match (self.inner.record.start_date, previous) {
            (Some(start), _) if from <= start => start,
            (Some(start), _) => {
                // The first start + k × period at or after `from`.
                let elapsed = from.duration_since(start).as_nanos();
                let period = self.inner.period.as_nanos();
                let steps = (elapsed + period - 1) / period;
                let offset = i64::try_from(steps * (period / 1_000_000_000)).ok()?;
                start.checked_add(SignedDuration::from_secs(offset)).ok()?
            }
            // `from` is at most just after `previous`, so this is after it.
            (None, Some(previous)) => previous.checked_add(self.inner.period).ok()?,
            (None, None) => now.checked_add(self.inner.period).ok()?,
        };
        match self.inner.record.end_date {
            Some(end) if fire > end => None,
            _ => Some(fire),
        }
    }
}

impl fmt::Display for IntervalTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let record = &self.inner.record;
        f.write_str("interval[every")?;
        for (count, unit) in [
            (record.weeks, "w"),
            (record.days, "d"),
            (record.hours, "h"),
            (record.minutes, "m"),
            (record.seconds, "s"),
        ] {
            if count != 0 {
                write!(f, " {count}{unit}")?;
            }
        }
        if let Some(start) = record.start_date {
            write!(f, ", start_date='{}'", self.inner.zone.format(start))?;
        }
        if let Some(end) = record.end_date {
            write!(f, ", end_date='{}'", self.inner.zone.format(end))?;
        }
        write!(f, ", timezone='{}'", self.inner.zone)?;
        if let Some(jitter) = &self.inner.jitter {
            write!(f, ", jitter='{:#}'", jitter.max())?;
        }
        f.write_str("]")
    }
}

impl fmt::Debug for IntervalTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IntervalTrigger({self})")
    }
}
