//! The date trigger: fires once.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::trigger::zone::Zone;

/// Fires once, at `run_date`.
///
/// ```
/// use tempora::trigger::DateTrigger;
///
/// let trigger = DateTrigger::at_local("2026-07-06 16:30:05", "Europe/Helsinki")?;
/// assert_eq!(trigger.to_string(), "date[2026-07-06T16:30:05+03:00]");
/// let now = trigger.run_date();
/// assert_eq!(trigger.next_fire_time(None, now), Some(trigger.run_date()));
/// assert_eq!(trigger.next_fire_time(Some(trigger.run_date()), now), None);
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateTrigger {
    run_date: Timestamp,
    #[serde(default = "Zone::utc")]
    timezone: Zone,
}

impl DateTrigger {
    /// Fires once at `run_date`, shown in UTC.
    ///
    /// ```
    /// let run_date: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// let trigger = tempora::trigger::DateTrigger::new(run_date);
    /// assert_eq!(trigger.run_date(), run_date);
    /// ```
    pub fn new(run_date: Timestamp) -> DateTrigger {
        DateTrigger {
            run_date,
            timezone: Zone::utc(),
        }
    }

    /// Fires once at `run_date`, shown in `zone`.
    ///
    /// ```
    /// use tempora::trigger::{DateTrigger, Zone};
    ///
    /// let zone = Zone::new("Asia/Kolkata")?;
    /// let trigger = DateTrigger::in_zone("2026-01-01T00:00:00Z".parse().unwrap(), zone);
    /// assert_eq!(trigger.to_string(), "date[2026-01-01T05:30:00+05:30]");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn in_zone(run_date: Timestamp, zone: Zone) -> DateTrigger {
        DateTrigger {
            run_date,
            timezone: zone,
        }
    }

    /// Fires once at `time`, read as [`Zone::parse_time`] reads it: RFC 3339
    /// with an offset, or a local date and time on the wall clock of
    /// `timezone` (moved forward in a DST gap, the first occurrence in a fold).
    ///
    /// # Errors
    ///
    /// An error naming `timezone` or `time` when either does not parse.
    ///
    /// ```
    /// let trigger = tempora::trigger::DateTrigger::at_local("2026-03-29 02:30", "Europe/Berlin")?;
    /// assert_eq!(trigger.to_string(), "date[2026-03-29T03:30:00+02:00]");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn at_local(time: &str, timezone: &str) -> Result<DateTrigger> {
        let zone = Zone::new(timezone)?;
        let run_date = zone.parse_time(time)?;
        Ok(DateTrigger {
            run_date,
            timezone: zone,
        })
    }

    /// The instant it fires at.
    ///
    /// ```
    /// let trigger = tempora::trigger::DateTrigger::at_local("2026-01-01T00:00:00Z", "UTC")?;
    /// assert_eq!(trigger.run_date().to_string(), "2026-01-01T00:00:00Z");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn run_date(&self) -> Timestamp {
        self.run_date
    }

    /// The zone its time is shown in.
    ///
    /// ```
    /// let trigger = tempora::trigger::DateTrigger::at_local("2026-01-01", "Europe/Paris")?;
    /// assert_eq!(trigger.zone().name(), "Europe/Paris");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn zone(&self) -> &Zone {
        &self.timezone
    }

    /// `run_date` until the trigger has fired (even if it lies before `now`,
    /// so a scheduler sees a late job), then `None`.
    ///
    /// ```
    /// let trigger = tempora::trigger::DateTrigger::at_local("2020-01-01", "UTC")?;
    /// let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// assert_eq!(trigger.next_fire_time(None, now), Some(trigger.run_date()));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn next_fire_time(
        &self,
        previous: Option<Timestamp>,
        _now: Timestamp,
    ) -> Option<Timestamp> {
        match previous {
            None => Some(self.run_date),
            Some(_) => None,
        }
    }
}

impl fmt::Display for DateTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "date[{}]", self.timezone.format(self.run_date))
    }
}
