//! Triggers decide when a job fires.
//!
//! Every trigger answers one question, [`Trigger::next_fire_time`]: given the
//! scheduled time of the previous fire (if any) and the current time, when
//! does it fire next? Triggers are pure (they never read the clock), cheap to
//! clone, `Send + Sync`, and round-trip through serde unchanged, because job
//! stores persist them.
//!
//! | kind | type | fires |
//! |---|---|---|
//! | date | [`DateTrigger`] | once |
//! | interval | [`IntervalTrigger`] | every fixed length of elapsed time |
//! | cron | [`CronTrigger`] | on a calendar: APScheduler's fields or a crontab string |
//! | calendar interval | [`CalendarIntervalTrigger`] | every n years, months, weeks or days at a fixed wall-clock time |
//! | any / all | [`AnyTrigger`], [`AllTrigger`] | when any / all of several triggers fire |
//!
//! ```
//! use tempora::trigger::{CronTrigger, Trigger};
//!
//! let trigger: Trigger = CronTrigger::crontab("0 9 * * mon-fri").timezone("Europe/London").build()?.into();
//! let json = serde_json::to_string(&trigger).unwrap();
//! assert_eq!(json, r#"{"type":"cron","crontab":"0 9 * * mon-fri","timezone":"Europe/London","dst_gap":"shift","dst_fold":"auto"}"#);
//! let restored: Trigger = serde_json::from_str(&json).unwrap();
//! assert_eq!(restored, trigger);
//! # Ok::<(), tempora::Error>(())
//! ```

mod calendar_interval;
mod civil;
mod combine;
mod cron;
mod date;
mod describe;
mod dst;
mod interval;
pub(crate) mod jitter;
mod zone;

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

pub use self::calendar_interval::{CalendarIntervalTrigger, CalendarIntervalTriggerBuilder};
pub use self::combine::{AllTrigger, AnyTrigger, COMBINATION_SEARCH_LIMIT};
pub use self::cron::{CronTrigger, CronTriggerBuilder};
pub use self::date::DateTrigger;
pub use self::dst::{DstFold, DstGap};
pub use self::interval::{IntervalTrigger, IntervalTriggerBuilder};
pub use self::zone::Zone;

/// Any trigger: the closed set of kinds a job can be scheduled with.
///
/// The serialized form is a JSON object tagged with `type` (`date`,
/// `interval`, `cron`, `calendar_interval`, `any`, `all`), with the
/// trigger's settings as written by the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// Fires once.
    Date(DateTrigger),
    /// Fires every fixed length of elapsed time.
    Interval(IntervalTrigger),
    /// Fires on a calendar expression.
    Cron(CronTrigger),
    /// Fires every n years, months, weeks or days at a fixed wall-clock time.
    CalendarInterval(CalendarIntervalTrigger),
    /// Fires whenever any of its triggers fires.
    Any(AnyTrigger),
    /// Fires when all of its triggers fire at the same time.
    All(AllTrigger),
}

impl Trigger {
    /// The next fire time.
    ///
    /// `previous` is the scheduled time of the last fire, `None` before the
    /// first. Without one, the answer is the first fire time at or after
    /// `now`. With one, it is the first fire time after `previous` — or, when
    /// `now` is earlier than `previous` (a clock set back), the first at or
    /// after `now` (interval and calendar interval triggers without a start
    /// date have no fire times before `previous` to go back to, and answer
    /// the first after it). So the answer may lie before `now`, which lets a
    /// scheduler see the runs it missed. `None` means the trigger will never
    /// fire again.
    ///
    /// The exception is [`DateTrigger`], which answers its `run_date` until it
    /// has fired, even when that is in the past, so that a scheduler can run
    /// or report a late one-off job.
    ///
    /// ```
    /// use tempora::trigger::{IntervalTrigger, Trigger};
    ///
    /// let zone = tempora::trigger::Zone::utc();
    /// let start = zone.parse_time("2026-01-01 00:00")?;
    /// let trigger: Trigger = IntervalTrigger::builder().minutes(10).start_date(start).timezone("UTC").build()?.into();
    /// let now = zone.parse_time("2026-01-01 00:25")?;
    /// // The first fire time at or after now:
    /// assert_eq!(zone.format(trigger.next_fire_time(None, now).unwrap()), "2026-01-01T00:30:00+00:00");
    /// // After a previous fire at 00:10, the next is 00:20, before now: a missed run.
    /// let previous = zone.parse_time("2026-01-01 00:10")?;
    /// assert_eq!(zone.format(trigger.next_fire_time(Some(previous), now).unwrap()), "2026-01-01T00:20:00+00:00");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn next_fire_time(&self, previous: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
        match self {
            Trigger::Date(trigger) => trigger.next_fire_time(previous, now),
            Trigger::Interval(trigger) => trigger.next_fire_time(previous, now),
            Trigger::Cron(trigger) => trigger.next_fire_time(previous, now),
            Trigger::CalendarInterval(trigger) => trigger.next_fire_time(previous, now),
            Trigger::Any(trigger) => trigger.next_fire_time(previous, now),
            Trigger::All(trigger) => trigger.next_fire_time(previous, now),
        }
    }

    /// For an interval trigger without jitter, its period and end date:
    /// fire times a decision may count by arithmetic instead of one step
    /// at a time.
    pub(crate) fn fixed_steps(&self) -> Option<(SignedDuration, Option<Timestamp>)> {
        match self {
            Trigger::Interval(trigger) => trigger.fixed_steps(),
            _ => None,
        }
    }

    /// The first fire time at or after `from`, given `current`, a fire time
    /// before `from`, when the trigger can tell without stepping through the
    /// fire times between (an interval without jitter, by arithmetic; a
    /// cron trigger without jitter, by its search); `None` when it cannot.
    /// The answer itself is `None` when no fire time is left.
    pub(crate) fn first_at_or_after(
        &self,
        current: Timestamp,
        from: Timestamp,
    ) -> Option<Option<Timestamp>> {
        match self {
            Trigger::Interval(trigger) => {
                let (period, end) = trigger.fixed_steps()?;
                let period_ns = period.as_nanos();
                if period_ns <= 0 || from <= current {
                    return None;
                }
                let gap = from.as_nanosecond() - current.as_nanosecond();
                let steps = (gap + period_ns - 1) / period_ns;
                let fire = Timestamp::from_nanosecond(current.as_nanosecond() + steps * period_ns)
                    .ok()
                    .filter(|fire| end.is_none_or(|end| *fire <= end));
                Some(fire)
            }
            Trigger::Cron(trigger) => trigger.first_at_or_after(from),
            _ => None,
        }
    }

    /// The zone the trigger computes in and shows its times in (the first
    /// trigger's zone for a combination).
    ///
    /// ```
    /// use tempora::trigger::{DateTrigger, Trigger};
    ///
    /// let run_date: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// let trigger: Trigger = DateTrigger::new(run_date).into();
    /// assert_eq!(trigger.zone().name(), "UTC");
    /// ```
    pub fn zone(&self) -> &Zone {
        match self {
            Trigger::Date(trigger) => trigger.zone(),
            Trigger::Interval(trigger) => trigger.zone(),
            Trigger::Cron(trigger) => trigger.zone(),
            Trigger::CalendarInterval(trigger) => trigger.zone(),
            Trigger::Any(trigger) => trigger.zone(),
            Trigger::All(trigger) => trigger.zone(),
        }
    }

    /// The fire times from `now` on, each after the one before: the first is
    /// `next_fire_time(previous, now)`. Ends when the trigger is exhausted.
    ///
    /// ```
    /// use tempora::trigger::{CronTrigger, Trigger};
    ///
    /// let trigger: Trigger = CronTrigger::crontab("0 12 * * *").timezone("UTC").build()?.into();
    /// let now: jiff::Timestamp = "2026-01-01T13:00:00Z".parse().unwrap();
    /// let times: Vec<String> = trigger.fire_times(None, now).take(2).map(|t| t.to_string()).collect();
    /// assert_eq!(times, ["2026-01-02T12:00:00Z", "2026-01-03T12:00:00Z"]);
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn fire_times(
        &self,
        previous: Option<Timestamp>,
        now: Timestamp,
    ) -> impl Iterator<Item = Timestamp> + '_ {
        let mut next = self.next_fire_time(previous, now);
        std::iter::from_fn(move || {
            let current = next?;
            next = current
                .checked_add(SignedDuration::from_nanos(1))
                .ok()
                .and_then(|after| self.next_fire_time(Some(current), after));
            Some(current)
        })
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Date(trigger) => trigger.fmt(f),
            Trigger::Interval(trigger) => trigger.fmt(f),
            Trigger::Cron(trigger) => trigger.fmt(f),
            Trigger::CalendarInterval(trigger) => trigger.fmt(f),
            Trigger::Any(trigger) => trigger.fmt(f),
            Trigger::All(trigger) => trigger.fmt(f),
        }
    }
}

macro_rules! into_trigger {
    ($($kind:ident => $variant:ident),*) => {$(
        impl From<$kind> for Trigger {
            fn from(trigger: $kind) -> Trigger {
                Trigger::$variant(trigger)
            }
        }
    )*};
}

into_trigger!(
    DateTrigger => Date,
    IntervalTrigger => Interval,
    CronTrigger => Cron,
    CalendarIntervalTrigger => CalendarInterval,
    AnyTrigger => Any,
    AllTrigger => All
);

/// The earliest instant the next fire time may be: `now` without a previous
/// fire; with one, just after `previous`, or `now` when that is earlier than
/// `previous` (APScheduler's `min(now, previous + ε)`, bumped past
/// `previous` when `now` equals it).
pub(crate) fn threshold(previous: Option<Timestamp>, now: Timestamp) -> Timestamp {
    match previous {
        Some(previous) if now < previous => now,
        Some(previous) => previous
            .checked_add(SignedDuration::from_nanos(1))
            .unwrap_or(Timestamp::MAX),
        None => now,
    }
}

/// The first whole UTC second at or after `instant`.
pub(crate) fn ceil_to_second(instant: Timestamp) -> i64 {
    let second = instant.as_second();
    if instant.subsec_nanosecond() > 0 {
        second + 1
    } else {
        second
    }
}

/// The instant of a whole UTC second, if jiff can represent it.
pub(crate) fn instant_from_second(second: i64) -> Option<Timestamp> {
    Timestamp::from_second(second).ok()
}
