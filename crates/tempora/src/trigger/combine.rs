//! Combinations of triggers: any of them (APScheduler's `OrTrigger`) and all
//! of them at once (`AndTrigger`).

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::trigger::zone::Zone;
use crate::trigger::{Trigger, threshold};

/// How many rounds [`AllTrigger`] searches for a time on which all of its
/// triggers agree before it gives up and reports the combination exhausted.
pub const COMBINATION_SEARCH_LIMIT: usize = 10_000;

/// Fires whenever any of its triggers fires; a time on which several agree
/// fires once. Exhausted when all of them are.
///
/// ```
/// use tempora::trigger::{AnyTrigger, CronTrigger, Trigger};
///
/// let weekdays = CronTrigger::crontab("0 9 * * mon-fri").timezone("UTC").build()?;
/// let weekends = CronTrigger::crontab("0 11 * * sat,sun").timezone("UTC").build()?;
/// let trigger = AnyTrigger::new(vec![weekdays.into(), weekends.into()])?;
/// let now: jiff::Timestamp = "2026-11-27T10:00:00Z".parse().unwrap(); // a Friday
/// let next = trigger.next_fire_time(None, now).unwrap();
/// assert_eq!(next.to_string(), "2026-11-28T11:00:00Z");
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CombinationRecord", into = "CombinationRecord")]
pub struct AnyTrigger {
    triggers: Arc<[Trigger]>,
}

/// Fires at the times on which all of its triggers fire at once.
///
/// Triggers may never agree (a cron on Mondays and one on Tuesdays): the
/// search gives up after [`COMBINATION_SEARCH_LIMIT`] rounds and answers
/// `None`, as if the combination were exhausted, rather than looping for
/// ever as APScheduler's `AndTrigger` can. Each round asks every trigger for
/// its first fire time at or after the latest time seen so far, so members
/// should be anchored in time (an interval needs a `start_date`).
///
/// ```
/// use tempora::trigger::{AllTrigger, CronTrigger, Trigger};
///
/// let fridays = CronTrigger::builder().day_of_week("fri").timezone("UTC").build()?;
/// let thirteenth = CronTrigger::builder().day(13).timezone("UTC").build()?;
/// let trigger = AllTrigger::new(vec![fridays.into(), thirteenth.into()])?;
/// let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
/// assert_eq!(trigger.next_fire_time(None, now).unwrap().to_string(), "2026-02-13T00:00:00Z");
///
/// let mondays = CronTrigger::builder().day_of_week("mon").timezone("UTC").build()?;
/// let tuesdays = CronTrigger::builder().day_of_week("tue").timezone("UTC").build()?;
/// let never = AllTrigger::new(vec![mondays.into(), tuesdays.into()])?;
/// assert_eq!(never.next_fire_time(None, now), None);
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CombinationRecord", into = "CombinationRecord")]
pub struct AllTrigger {
    triggers: Arc<[Trigger]>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CombinationRecord {
    triggers: Vec<Trigger>,
}

fn checked(triggers: Vec<Trigger>) -> Result<Arc<[Trigger]>> {
    if triggers.is_empty() {
        return Err(Error::invalid(
            "triggers",
            "the list is empty; expected at least one trigger",
        ));
    }
    Ok(triggers.into())
}

macro_rules! combination_common {
    ($kind:ident, $tag:literal) => {
        impl $kind {
            /// Combines `triggers`.
            ///
            /// # Errors
            ///
            /// An error naming `triggers` when the list is empty.
            ///
            /// ```
            #[doc = concat!("let error = tempora::trigger::", stringify!($kind), "::new(vec![]).unwrap_err();")]
            /// assert_eq!(error.field(), Some("triggers"));
            /// ```
            pub fn new(triggers: Vec<Trigger>) -> Result<$kind> {
                Ok($kind { triggers: checked(triggers)? })
            }

            /// The combined triggers.
            ///
            /// ```
            /// let date = tempora::trigger::DateTrigger::new("2026-01-01T00:00:00Z".parse().unwrap());
            #[doc = concat!("let trigger = tempora::trigger::", stringify!($kind), "::new(vec![date.into()])?;")]
            /// assert_eq!(trigger.triggers().len(), 1);
            /// # Ok::<(), tempora::Error>(())
            /// ```
            pub fn triggers(&self) -> &[Trigger] {
                &self.triggers
            }

            /// The zone of the first trigger.
            ///
            /// ```
            /// let date = tempora::trigger::DateTrigger::new("2026-01-01T00:00:00Z".parse().unwrap());
            #[doc = concat!("let trigger = tempora::trigger::", stringify!($kind), "::new(vec![date.into()])?;")]
            /// assert_eq!(trigger.zone().name(), "UTC");
            /// # Ok::<(), tempora::Error>(())
            /// ```
            pub fn zone(&self) -> &Zone {
                self.triggers[0].zone()
            }
        }

        impl TryFrom<CombinationRecord> for $kind {
            type Error = Error;

            fn try_from(record: CombinationRecord) -> Result<$kind> {
                $kind::new(record.triggers)
            }
        }

        impl From<$kind> for CombinationRecord {
            fn from(trigger: $kind) -> CombinationRecord {
                CombinationRecord { triggers: trigger.triggers.to_vec() }
            }
        }

        impl fmt::Display for $kind {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!($tag, "["))?;
                for (index, trigger) in self.triggers.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{trigger}")?;
                }
                f.write_str("]")
            }
        }

        impl fmt::Debug for $kind {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($kind))
            }
        }
    };
}

combination_common!(AnyTrigger, "any");
combination_common!(AllTrigger, "all");

impl AnyTrigger {
    /// The earliest of its triggers' next fire times.
    ///
    /// ```
    /// use tempora::trigger::{AnyTrigger, DateTrigger};
    ///
    /// let early = DateTrigger::new("2026-01-01T00:00:00Z".parse().unwrap());
    /// let late = DateTrigger::new("2026-06-01T00:00:00Z".parse().unwrap());
    /// let trigger = AnyTrigger::new(vec![late.into(), early.clone().into()])?;
    /// assert_eq!(trigger.next_fire_time(None, early.run_date()), Some(early.run_date()));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn next_fire_time(&self, previous: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
        self.triggers
            .iter()
            .filter_map(|trigger| match trigger {
                // The previous fire may have been another member's: a date
                // member still fires if its time is yet to come (APScheduler's
                // `OrTrigger` loses it here).
                Trigger::Date(date) => {
                    let run_date = date.run_date();
                    previous
                        .is_none_or(|previous| run_date > previous)
                        .then_some(run_date)
                }
                _ => trigger.next_fire_time(previous, now),
            })
            .filter(|&next| previous.is_none_or(|previous| next > previous || now < previous))
            .min()
    }
}

impl AllTrigger {
    /// The first time at or after the threshold on which all of its triggers
    /// fire, or `None` after [`COMBINATION_SEARCH_LIMIT`] rounds without one.
    ///
    /// ```
    /// use tempora::trigger::{AllTrigger, CronTrigger};
    ///
    /// let even_hours = CronTrigger::builder().hour("*/2").timezone("UTC").build()?;
    /// let every_third_hour = CronTrigger::builder().hour("*/3").timezone("UTC").build()?;
    /// let trigger = AllTrigger::new(vec![even_hours.into(), every_third_hour.into()])?;
    /// let now: jiff::Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();
    /// assert_eq!(trigger.next_fire_time(None, now).unwrap().to_string(), "2026-01-01T06:00:00Z");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn next_fire_time(&self, previous: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
        let mut candidate = threshold(previous, now);
        for _ in 0..COMBINATION_SEARCH_LIMIT {
            let mut earliest = Timestamp::MAX;
            let mut latest = Timestamp::MIN;
            for trigger in self.triggers.iter() {
                let next = trigger.next_fire_time(None, candidate)?;
                earliest = earliest.min(next);
                latest = latest.max(next);
            }
            if earliest == latest {
                return Some(earliest);
            }
            candidate = latest;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trigger::{CronTrigger, DateTrigger};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_date_member_fires_after_another_member_did() {
        let daily = CronTrigger::crontab("0 12 * * *")
            .timezone("UTC")
            .build()
            .unwrap();
        let once = DateTrigger::new(at("2026-01-02T06:00:00Z"));
        let any = AnyTrigger::new(vec![daily.into(), once.into()]).unwrap();
        let times: Vec<String> = Trigger::from(any)
            .fire_times(None, at("2026-01-01T00:00:00Z"))
            .take(4)
            .map(|t| t.to_string())
            .collect();
        assert_eq!(
            times,
            [
                "2026-01-01T12:00:00Z",
                "2026-01-02T06:00:00Z",
                "2026-01-02T12:00:00Z",
                "2026-01-03T12:00:00Z"
            ]
        );
    }

    #[test]
    fn agreeing_members_fire_once() {
        let hourly = CronTrigger::crontab("0 * * * *")
            .timezone("UTC")
            .build()
            .unwrap();
        let noon = CronTrigger::crontab("0 12 * * *")
            .timezone("UTC")
            .build()
            .unwrap();
        let any = AnyTrigger::new(vec![hourly.into(), noon.into()]).unwrap();
        let times: Vec<String> = Trigger::from(any)
            .fire_times(None, at("2026-01-01T11:30:00Z"))
            .take(2)
            .map(|t| t.to_string())
            .collect();
        assert_eq!(times, ["2026-01-01T12:00:00Z", "2026-01-01T13:00:00Z"]);
    }
}
