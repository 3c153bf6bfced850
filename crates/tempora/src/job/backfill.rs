//! Backfill: the fire times of a job's trigger in a past range, which a
//! scheduler then runs once each (see the scheduler's `backfill`).

use jiff::{SignedDuration, Timestamp};

use super::Job;
use crate::error::{Error, Result};
use crate::trigger::Trigger;

/// The most fire times one backfill may run, as Temporal's buffer holds at
/// most 1000 actions: a longer range is refused, naming its count, and can
/// be backfilled in parts.
pub const MAX_BACKFILL_RUNS: usize = 1000;

/// How many fire times past [`MAX_BACKFILL_RUNS`] a refused backfill
/// counts to name its size; beyond, it says "more than".
const COUNT_LIMIT: usize = 100_000;

impl Job {
    /// The fire times of the job's trigger from `from` through `to`, both
    /// included, oldest first: what a backfill of that range runs, with
    /// the trigger's jitter, zone and calendar as it has them.
    ///
    /// An interval trigger without a start date keeps the grid of the
    /// job's own fire times (its next run time, else its previous fire
    /// time), extended back into the range.
    ///
    /// ```
    /// use tempora::job::{JobBuilder, JobDefaults};
    /// use tempora::trigger::CronTrigger;
    /// use tempora::jiff::Timestamp;
    ///
    /// let trigger = CronTrigger::crontab("0 */6 * * *").timezone("UTC").build()?;
    /// let now: Timestamp = "2026-03-10T12:00:00Z".parse()?;
    /// let job = JobBuilder::new("report", trigger).build_at(&JobDefaults::default(), now)?;
    /// let times = job.backfill_times("2026-03-09T00:00:00Z".parse()?, "2026-03-09T12:00:00Z".parse()?, now)?;
    /// let shown: Vec<String> = times.iter().map(|t| t.to_string()).collect();
    /// assert_eq!(shown, ["2026-03-09T00:00:00Z", "2026-03-09T06:00:00Z", "2026-03-09T12:00:00Z"]);
    ///
    /// let error = job.backfill_times("2026-03-09T00:00:00Z".parse()?, "2026-03-11T00:00:00Z".parse()?, now).unwrap_err();
    /// assert_eq!(error.field(), Some("to"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Field `from` when it is after `to`; field `to` when it is after
    /// `now` (a backfill runs fire times that have passed; the schedule
    /// runs the others); field `backfill` when the range holds more than
    /// [`MAX_BACKFILL_RUNS`] fire times, naming how many.
    pub fn backfill_times(
        &self,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        let zone = self.trigger.zone();
        if from > to {
            return Err(Error::invalid(
                "from",
                format!(
                    "{} is after to ({}): give from at or before to",
                    zone.format(from),
                    zone.format(to)
                ),
            ));
        }
        if to > now {
            return Err(Error::invalid(
                "to",
                format!(
                    "{} is in the future (now is {}): a backfill runs fire times that have \
                     passed, the schedule runs the others",
                    zone.format(to),
                    zone.format(now)
                ),
            ));
        }
        let mut times = Vec::new();
        let mut count = 0usize;
        for time in self.fire_times_from(from) {
            if time > to || count > COUNT_LIMIT {
                break;
            }
            if time < from {
                continue;
            }
            count += 1;
            if times.len() < MAX_BACKFILL_RUNS {
                times.push(time);
            }
        }
        if count > MAX_BACKFILL_RUNS {
            let counted = if count > COUNT_LIMIT {
                format!("more than {COUNT_LIMIT}")
            } else {
                count.to_string()
            };
            return Err(Error::invalid(
                "backfill",
                format!(
                    "{counted} fire times from {} to {}, more than the {MAX_BACKFILL_RUNS} one \
                     backfill may run: backfill a shorter range, in parts",
                    zone.format(from),
                    zone.format(to)
                ),
            ));
        }
        Ok(times)
    }

    /// The trigger's fire times from `from` on (none before it, except a
    /// date trigger's one, which the caller filters out).
    fn fire_times_from(&self, from: Timestamp) -> impl Iterator<Item = Timestamp> + '_ {
        let previous = match &self.trigger {
            Trigger::Interval(interval) if interval.start().is_none() => self
                .next_run_time
                .or(self.previous_fire_time)
                .and_then(|anchor| grid_point_before(anchor, interval.period(), from)),
            _ => None,
        };
        let first = match previous {
            Some(previous) => self.trigger.next_fire_time(Some(previous), from),
            None => self.trigger.next_fire_time(None, from),
        };
        let trigger = &self.trigger;
        let mut next = first;
        std::iter::from_fn(move || {
            let current = next?;
            next = current
                .checked_add(SignedDuration::from_nanos(1))
                .ok()
                .and_then(|after| trigger.next_fire_time(Some(current), after))
                .filter(|following| *following > current);
            Some(current)
        })
    }
}

/// The latest instant `anchor + k × period` (k any whole number) before
/// `from`: the previous fire time on the anchor's grid.
fn grid_point_before(
    anchor: Timestamp,
    period: SignedDuration,
    from: Timestamp,
) -> Option<Timestamp> {
    let period = period.as_nanos();
    if period <= 0 {
        return None;
    }
    // The largest k with anchor + k × period < from, i.e. ≤ from - 1 ns.
    let gap = from.as_nanosecond() - 1 - anchor.as_nanosecond();
    let steps = gap.div_euclid(period);
    Timestamp::from_nanosecond(anchor.as_nanosecond() + steps * period).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobBuilder, JobDefaults};
    use crate::trigger::{DateTrigger, IntervalTrigger};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn times(job: &Job, from: &str, to: &str, now: &str) -> Result<Vec<String>> {
        Ok(job
            .backfill_times(at(from), at(to), at(now))?
            .iter()
            .map(Timestamp::to_string)
            .collect())
    }

    #[test]
    fn an_interval_without_start_keeps_the_grid_of_the_job() {
        let trigger = IntervalTrigger::builder()
            .minutes(10)
            .timezone("UTC")
            .build()
            .unwrap();
        // Added at 12:03: it fires at 12:13, 12:23, …
        let job = JobBuilder::new("t", trigger)
            .build_at(&JobDefaults::default(), at("2026-01-01T12:03:00Z"))
            .unwrap();
        assert_eq!(
            times(
                &job,
                "2026-01-01T10:00:00Z",
                "2026-01-01T10:33:00Z",
                "2026-01-01T12:05:00Z"
            )
            .unwrap(),
            [
                "2026-01-01T10:03:00Z",
                "2026-01-01T10:13:00Z",
                "2026-01-01T10:23:00Z",
                "2026-01-01T10:33:00Z"
            ]
        );
        // A paused job keeps the grid of its previous fire time.
        let mut paused = job.with_previous_fire_time(Some(at("2026-01-01T12:13:00Z")));
        paused.next_run_time = None;
        assert_eq!(
            times(
                &paused,
                "2026-01-01T12:20:00Z",
                "2026-01-01T12:40:00Z",
                "2026-01-01T13:00:00Z"
            )
            .unwrap(),
            ["2026-01-01T12:23:00Z", "2026-01-01T12:33:00Z"]
        );
    }

    #[test]
    fn a_date_trigger_backfills_its_one_time_when_in_range() {
        let job = JobBuilder::new("t", DateTrigger::new(at("2026-01-01T09:00:00Z")))
            .build_at(&JobDefaults::default(), at("2026-01-01T08:00:00Z"))
            .unwrap();
        let now = "2026-01-02T00:00:00Z";
        assert_eq!(
            times(&job, "2026-01-01T00:00:00Z", "2026-01-01T23:00:00Z", now).unwrap(),
            ["2026-01-01T09:00:00Z"]
        );
        assert!(
            times(&job, "2026-01-01T10:00:00Z", "2026-01-01T23:00:00Z", now)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_range_is_refused_reversed_in_the_future_or_too_long() {
        let trigger = IntervalTrigger::builder()
            .seconds(1)
            .start_date(at("2026-01-01T00:00:00Z"))
            .timezone("UTC")
            .build()
            .unwrap();
        let job = JobBuilder::new("t", trigger)
            .build_at(&JobDefaults::default(), at("2026-01-01T00:00:00Z"))
            .unwrap();
        let now = "2026-01-03T00:00:00Z";
        let error = times(&job, "2026-01-01T01:00:00Z", "2026-01-01T00:00:00Z", now).unwrap_err();
        assert_eq!(
            error.to_string(),
            "from: 2026-01-01T01:00:00+00:00 is after to (2026-01-01T00:00:00+00:00): give from at or before to"
        );
        let error = times(&job, "2026-01-02T00:00:00Z", "2026-01-04T00:00:00Z", now).unwrap_err();
        assert_eq!(error.field(), Some("to"));
        assert!(error.to_string().contains("is in the future"), "{error}");
        // 1001 fire times: one too many, counted.
        let error = times(&job, "2026-01-01T00:00:00Z", "2026-01-01T00:16:40Z", now).unwrap_err();
        assert_eq!(
            error.to_string(),
            "backfill: 1001 fire times from 2026-01-01T00:00:00+00:00 to 2026-01-01T00:16:40+00:00, \
             more than the 1000 one backfill may run: backfill a shorter range, in parts"
        );
        // 1000 are allowed.
        let allowed = times(&job, "2026-01-01T00:00:00Z", "2026-01-01T00:16:39Z", now).unwrap();
        assert_eq!(allowed.len(), MAX_BACKFILL_RUNS);
        // Far too many: counted up to a limit.
        let error = times(&job, "2026-01-01T00:00:00Z", "2026-01-01T12:00:00Z", now).unwrap_err();
        assert!(
            error.to_string().starts_with("backfill: 43201 fire times"),
            "{error}"
        );
        let error = times(&job, "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z", now).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("backfill: more than 100000 fire times"),
            "{error}"
        );
    }
}
