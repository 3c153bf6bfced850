//! The pure part of the engine: given a due job and "now", what happens.

use jiff::Timestamp;

use crate::job::Job;

/// The most run times one decision lists; a job overdue by more fire times
/// than this (a per-second job after a week down) is still decided
/// correctly, but lists only the most recent ones.
pub(crate) const MAX_LISTED_RUN_TIMES: usize = 1000;

/// What to do with one due job at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Runs to start, each with the fire times it covers (one, or several
    /// when coalesced), oldest first.
    pub(crate) runs: Vec<Vec<Timestamp>>,
    /// Fire times too late to run (beyond the misfire grace time).
    pub(crate) missed: Vec<Timestamp>,
    /// How many missed fire times in all, when more than are listed.
    pub(crate) missed_count: usize,
    /// The next run time after now; `None` when the trigger is exhausted.
    pub(crate) next_run_time: Option<Timestamp>,
}

/// Decides what a job whose next run time is due does at `now`, as
/// APScheduler 3 documents it: the run times are every fire time at or
/// before now since the job's next run time; those later than the misfire
/// grace time are missed; with `coalesce` the rest make one run, otherwise
/// one run each.
///
/// Fire times at or before the job's previous fire time were taken already
/// (by this node or another sharing the store) and are passed over: a fire
/// time runs once.
pub(crate) fn decide(job: &Job, now: Timestamp) -> Decision {
    let mut due: Vec<Timestamp> = Vec::new();
    let mut due_count = 0usize;
    let mut next = job.next_run_time;
    while let Some(time) = next {
        if time > now {
            break;
        }
        if job.previous_fire_time.is_some_and(|taken| time <= taken) {
            next = job.trigger.next_fire_time(Some(time), now);
            if next.is_some_and(|following| following <= time) {
                next = None;
            }
            continue;
        }
        due_count += 1;
        if due.len() == MAX_LISTED_RUN_TIMES {
            due.remove(0);
        }
        due.push(time);
        next = job.trigger.next_fire_time(Some(time), now);
        if next.is_some_and(|following| following <= time) {
            // A trigger must move forward; one that does not is exhausted
            // rather than looping for ever.
            next = None;
        }
    }
    let grace = job.misfire_grace_time;
    let lateness = |time: &Timestamp| now.duration_since(*time);
    let dropped = due_count - due.len();
    let (missed, on_time): (Vec<Timestamp>, Vec<Timestamp>) = due
        .into_iter()
        .partition(|time| !grace.allows(lateness(time)));
    // Fire times beyond the listed window are older than every listed one,
    // so a limited grace time misses them too; unlimited grace runs them
    // coalesced into the oldest listed run.
    let missed_count = if matches!(grace, crate::job::MisfireGraceTime::Unlimited) {
        missed.len()
    } else {
        missed.len() + dropped
    };
    let runs = if on_time.is_empty() {
        Vec::new()
    } else if job.coalesce {
        vec![on_time]
    } else {
        on_time.into_iter().map(|time| vec![time]).collect()
    };
    Decision {
        runs,
        missed,
        missed_count,
        next_run_time: next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobBuilder, JobDefaults, MisfireGraceTime};
    use crate::trigger::IntervalTrigger;
    use jiff::SignedDuration;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn minutely(coalesce: bool, grace: MisfireGraceTime) -> Job {
        let start = at("2026-01-01T00:00:00Z");
        let trigger = IntervalTrigger::builder()
            .minutes(1)
            .start_date(start)
            .timezone("UTC")
            .build()
            .unwrap();
        JobBuilder::new("t", trigger)
            .coalesce(coalesce)
            .misfire_grace_time(grace)
            .build_at(&JobDefaults::default(), start)
            .unwrap()
    }

    #[test]
    fn on_time_job_runs_once_and_moves_on() {
        let job = minutely(true, MisfireGraceTime::Unlimited);
        let decision = decide(&job, at("2026-01-01T00:00:00Z"));
        assert_eq!(decision.runs, vec![vec![at("2026-01-01T00:00:00Z")]]);
        assert!(decision.missed.is_empty());
        assert_eq!(decision.next_run_time, Some(at("2026-01-01T00:01:00Z")));
    }

    #[test]
    fn late_job_coalesces_every_due_time_into_one_run() {
        let job = minutely(true, MisfireGraceTime::Unlimited);
        let decision = decide(&job, at("2026-01-01T00:02:30Z"));
        assert_eq!(
            decision.runs,
            vec![vec![
                at("2026-01-01T00:00:00Z"),
                at("2026-01-01T00:01:00Z"),
                at("2026-01-01T00:02:00Z")
            ]]
        );
        assert_eq!(decision.next_run_time, Some(at("2026-01-01T00:03:00Z")));
    }

    #[test]
    fn late_job_without_coalesce_runs_each_due_time() {
        let job = minutely(false, MisfireGraceTime::Unlimited);
        let decision = decide(&job, at("2026-01-01T00:01:00Z"));
        assert_eq!(
            decision.runs,
            vec![
                vec![at("2026-01-01T00:00:00Z")],
                vec![at("2026-01-01T00:01:00Z")]
            ]
        );
    }

    #[test]
    fn fire_times_beyond_the_grace_time_are_missed() {
        let grace = MisfireGraceTime::Limit(SignedDuration::from_secs(90));
        let job = minutely(false, grace);
        let decision = decide(&job, at("2026-01-01T00:03:00Z"));
        assert_eq!(
            decision.missed,
            vec![at("2026-01-01T00:00:00Z"), at("2026-01-01T00:01:00Z")]
        );
        assert_eq!(decision.missed_count, 2);
        assert_eq!(
            decision.runs,
            vec![
                vec![at("2026-01-01T00:02:00Z")],
                vec![at("2026-01-01T00:03:00Z")]
            ]
        );
    }

    #[test]
    fn a_long_outage_lists_the_latest_fire_times_and_counts_the_rest() {
        let grace = MisfireGraceTime::Limit(SignedDuration::from_secs(30));
        let job = minutely(true, grace);
        // 2000 minutes late: 2001 fire times due, all but the last missed.
        let decision = decide(&job, at("2026-01-02T09:20:00Z"));
        assert_eq!(decision.runs, vec![vec![at("2026-01-02T09:20:00Z")]]);
        assert_eq!(decision.missed.len(), MAX_LISTED_RUN_TIMES - 1);
        assert_eq!(decision.missed_count, 2000);
        assert_eq!(decision.missed.last(), Some(&at("2026-01-02T09:19:00Z")));
    }

    #[test]
    fn fire_times_already_taken_are_passed_over() {
        let job = minutely(false, MisfireGraceTime::Unlimited)
            .with_previous_fire_time(Some(at("2026-01-01T00:01:00Z")));
        let decision = decide(&job, at("2026-01-01T00:02:00Z"));
        assert_eq!(decision.runs, vec![vec![at("2026-01-01T00:02:00Z")]]);
        assert_eq!(decision.next_run_time, Some(at("2026-01-01T00:03:00Z")));
        // All taken: nothing runs, the job moves on.
        let decision = decide(&job, at("2026-01-01T00:01:30Z"));
        assert!(decision.runs.is_empty() && decision.missed.is_empty());
        assert_eq!(decision.next_run_time, Some(at("2026-01-01T00:02:00Z")));
    }
}
