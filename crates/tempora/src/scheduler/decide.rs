//! The pure part of the engine: given a due job and "now", what happens.
//!
//! Deciding stays cheap however long the scheduler was away: an interval
//! trigger's missed fire times are counted by arithmetic (a per-second job
//! a week late is one division, not 604,800 steps), other triggers are
//! stepped within a budget of steps per decision — a job with more fire
//! times than that is decided in parts, one after the other, each taking
//! its fire times for good — and at most [`MAX_LISTED_RUN_TIMES`] fire
//! times are kept in memory.

use std::collections::VecDeque;

use jiff::{SignedDuration, Timestamp};

use crate::executor::RunTimes;
use crate::job::{Job, MisfireGraceTime};

/// The most run times one decision lists; a job overdue by more fire times
/// than this (a per-second job after a week down) is still decided
/// correctly, but lists only the most recent ones.
pub(crate) const MAX_LISTED_RUN_TIMES: usize = 1000;

/// The most trigger steps one decision takes by default (see
/// [`decide_into`]).
pub(crate) const DECISION_STEPS: u64 = 100_000;

/// What to do with one due job at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Runs to start, each with the fire times it covers (one, or several
    /// when coalesced), oldest first. A run of one fire time holds it in
    /// place: it takes no memory of its own.
    pub(crate) runs: Vec<RunTimes>,
    /// Fire times too late to run (beyond the misfire grace time): the
    /// latest ones, at most [`MAX_LISTED_RUN_TIMES`], oldest first.
    pub(crate) missed: Vec<Timestamp>,
    /// How many missed fire times in all, when more than are listed.
    pub(crate) missed_count: usize,
    /// The first missed fire time (listed or not).
    pub(crate) first_missed: Option<Timestamp>,
    /// The latest fire time decided (run or missed): the store takes every
    /// fire time through it.
    pub(crate) takes_through: Option<Timestamp>,
    /// The next run time after the fire times decided: after now, or at or
    /// before now when the step budget ran out first (the job is decided
    /// further at once); `None` when the trigger is exhausted.
    pub(crate) next_run_time: Option<Timestamp>,
}

/// Some fire times passed over: how many, the first, and the latest ones
/// (at most [`MAX_LISTED_RUN_TIMES`]).
#[derive(Default)]
struct Span {
    count: usize,
    first: Option<Timestamp>,
    latest: VecDeque<Timestamp>,
}

impl Span {
    fn push(&mut self, time: Timestamp) {
        self.count = self.count.saturating_add(1);
        self.first.get_or_insert(time);
        if self.latest.len() == MAX_LISTED_RUN_TIMES {
            self.latest.pop_front();
        }
        self.latest.push_back(time);
    }
}

/// Walks a job's fire times (those of its trigger that none of its
/// calendars excludes) from its next run time on, counting its steps.
struct Walk<'a> {
    job: &'a Job,
    now: Timestamp,
    /// The next fire time not decided yet.
    next: Option<Timestamp>,
    /// The latest fire time decided.
    last: Option<Timestamp>,
    /// Steps left.
    steps: u64,
    fixed: Option<(SignedDuration, Option<Timestamp>)>,
}

impl Walk<'_> {
    /// The fire time after `time`, one step (excluded fire times are
    /// passed over within it: they are neither run nor missed); `None` when
    /// the trigger is exhausted or does not move forward (a trigger that
    /// does not is exhausted rather than looping for ever).
    fn after(&mut self, time: Timestamp) -> Option<Timestamp> {
        self.steps = self.steps.saturating_sub(1);
        self.job
            .next_fire_time(Some(time), self.now)
            .filter(|following| *following > time)
    }

    /// Decides `time` (the next one) and moves past it.
    fn take(&mut self, time: Timestamp) {
        self.last = Some(time);
        self.next = self.after(time);
    }

    /// Passes over the fire times before `limit` (and not after now),
    /// adding them to `span` when given.
    fn skip_before(&mut self, limit: Timestamp, mut span: Option<&mut Span>) {
        while let Some(time) = self.next {
            if time >= limit || time > self.now || self.steps == 0 {
                return;
            }
            if let Some(count) = self.skip_by_arithmetic(time, limit, span.as_deref_mut())
                && count > 0
            {
                continue;
            }
            if let Some(span) = span.as_deref_mut() {
                span.push(time);
            }
            self.take(time);
        }
    }

    /// For an interval trigger without jitter or calendars: passes over the fire times
    /// from `time` (the next one) before `limit` at once, after checking
    /// with one step that `time` is on the trigger's grid. How many it
    /// passed over; `None` when it cannot.
    fn skip_by_arithmetic(
        &mut self,
        time: Timestamp,
        limit: Timestamp,
        span: Option<&mut Span>,
    ) -> Option<usize> {
        let (period, end) = self.fixed?;
        let period_ns = period.as_nanos();
        if period_ns <= 0 {
            return None;
        }
        let following = self.after(time)?;
        if following.as_nanosecond() - time.as_nanosecond() != period_ns {
            // Not on the grid (yet): step instead.
            self.fixed = None;
            return None;
        }
        let mut bound = limit
            .as_nanosecond()
            .saturating_sub(1)
            .min(self.now.as_nanosecond());
        if let Some(end) = end {
            bound = bound.min(end.as_nanosecond());
        }
        let from = time.as_nanosecond();
        if bound < from {
            return Some(0);
        }
        let steps = (bound - from) / period_ns;
        let count = usize::try_from(steps.saturating_add(1)).ok()?;
        let at = |k: i128| Timestamp::from_nanosecond(from + k * period_ns).ok();
        let last = at(steps)?;
        if let Some(span) = span {
            span.count = span.count.saturating_add(count);
            span.first.get_or_insert(time);
            let listed = steps.min(MAX_LISTED_RUN_TIMES as i128 - 1);
            for k in (steps - listed)..=steps {
                if span.latest.len() == MAX_LISTED_RUN_TIMES {
                    span.latest.pop_front();
                }
                span.latest.push_back(at(k)?);
            }
        }
        self.last = Some(last);
        self.next = at(steps + 1).filter(|next| end.is_none_or(|end| *next <= end));
        Some(count)
    }

    /// How many fire times from the next one to now, by arithmetic;
    /// `None` when it cannot tell (not an interval trigger without jitter).
    fn due_by_arithmetic(&self) -> Option<i128> {
        let (period, end) = self.fixed?;
        let time = self.next?;
        let period_ns = period.as_nanos();
        let mut bound = self.now.as_nanosecond();
        if let Some(end) = end {
            bound = bound.min(end.as_nanosecond());
        }
        if period_ns <= 0 || bound < time.as_nanosecond() {
            return None;
        }
        Some((bound - time.as_nanosecond()) / period_ns + 1)
    }
}

/// [`decide_into`] with the default budget, [`DECISION_STEPS`], listing the
/// runs in a new vector.
#[cfg(test)]
pub(crate) fn decide(job: &Job, now: Timestamp) -> Decision {
    decide_within(job, now, DECISION_STEPS)
}

/// [`decide_into`] with runs listed in a new vector.
#[cfg(test)]
pub(crate) fn decide_within(job: &Job, now: Timestamp, steps: u64) -> Decision {
    decide_into(job, now, steps, Vec::new())
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
///
/// At most `steps` trigger steps are taken (interval triggers without
/// jitter count their missed fire times in a few): when they run out, the
/// decision covers the fire times walked so far, and its next run time,
/// still due, is where the next decision goes on.
///
/// The runs are listed in `runs` (emptied first): a caller deciding job
/// after job hands back the runs of the previous decision, so that their
/// memory is taken once.
pub(crate) fn decide_into(
    job: &Job,
    now: Timestamp,
    steps: u64,
    mut runs: Vec<RunTimes>,
) -> Decision {
    runs.clear();
    let mut walk = Walk {
        job,
        now,
        next: job.next_run_time,
        last: None,
        steps: steps.max(1),
        // Calendars leave gaps in the grid: those fire times are stepped.
        fixed: job
            .exclusions()
            .is_empty()
            .then(|| job.trigger.fixed_steps())
            .flatten(),
    };
    if let Some(taken) = job.previous_fire_time {
        let after = taken
            .checked_add(SignedDuration::from_nanos(1))
            .unwrap_or(Timestamp::MAX);
        walk.skip_before(after, None);
        // Nothing of these is decided here: they were taken before.
        walk.last = None;
    }
    let mut missed = Span::default();
    let grace = job.misfire_grace_time();
    if let MisfireGraceTime::Limit(limit) = grace {
        // Missed: later than the grace allows, `now - time > limit`.
        if let Ok(horizon) = now.checked_sub(limit) {
            walk.skip_before(horizon, Some(&mut missed));
        }
    }
    // Fire times beyond the listed window are older than every listed one:
    // under a limited grace time they count as missed; under an unlimited
    // one they are passed over (the oldest listed run stands for them).
    let mut dropped = Span::default();
    if matches!(grace, MisfireGraceTime::Unlimited)
        && let Some(due) = walk.due_by_arithmetic()
        && due > MAX_LISTED_RUN_TIMES as i128
        && let (Some((period, _)), Some(next)) = (walk.fixed, walk.next)
    {
        let skip = due - MAX_LISTED_RUN_TIMES as i128;
        if let Ok(limit) =
            Timestamp::from_nanosecond(next.as_nanosecond() + skip * period.as_nanos())
        {
            walk.skip_before(limit, Some(&mut dropped));
        }
    }
    // The first on-time fire time is held apart, so that a decision with
    // one (nearly every decision) takes no memory for its list.
    let mut first_on_time: Option<Timestamp> = None;
    let mut on_time: VecDeque<Timestamp> = VecDeque::new();
    while let Some(time) = walk.next {
        if time > now || walk.steps == 0 {
            break;
        }
        if first_on_time.is_none() && on_time.is_empty() {
            first_on_time = Some(time);
            walk.take(time);
            continue;
        }
        if let Some(first) = first_on_time.take() {
            on_time.push_back(first);
        }
        if on_time.len() == MAX_LISTED_RUN_TIMES
            && let Some(oldest) = on_time.pop_front()
        {
            dropped.push(oldest);
        }
        on_time.push_back(time);
        walk.take(time);
    }
    let (missed_count, first_missed, missed_listed) = match grace {
        MisfireGraceTime::Unlimited => (missed.count, missed.first, missed.latest),
        MisfireGraceTime::Limit(_) => {
            let mut listed = missed.latest;
            for time in dropped.latest {
                if listed.len() == MAX_LISTED_RUN_TIMES {
                    listed.pop_front();
                }
                listed.push_back(time);
            }
            (
                missed.count.saturating_add(dropped.count),
                missed.first.or(dropped.first),
                listed,
            )
        }
    };
    if let Some(first) = first_on_time {
        runs.push(RunTimes::One(first));
    } else if job.coalesce() && !on_time.is_empty() {
        runs.push(RunTimes::from(on_time.into_iter().collect::<Vec<_>>()));
    } else {
        runs.extend(on_time.into_iter().map(RunTimes::One));
    }
    Decision {
        runs,
        missed: missed_listed.into_iter().collect(),
        missed_count,
        first_missed,
        takes_through: walk.last,
        next_run_time: walk.next,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::job::{JobBuilder, JobDefaults, MisfireGraceTime};
    use crate::trigger::{IntervalTrigger, Trigger};
    use jiff::SignedDuration;

    pub(in crate::scheduler) fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// A job every minute from midnight, 2026-01-01, created then.
    pub(in crate::scheduler) fn minutely(coalesce: bool, grace: MisfireGraceTime) -> Job {
        minutely_builder(coalesce, grace)
            .build_at(&JobDefaults::default(), at("2026-01-01T00:00:00Z"))
            .unwrap()
    }

    /// [`minutely`]'s job, still to be built.
    fn minutely_builder(coalesce: bool, grace: MisfireGraceTime) -> JobBuilder {
        let trigger = IntervalTrigger::builder()
            .minutes(1)
            .start_date(at("2026-01-01T00:00:00Z"))
            .timezone("UTC")
            .build()
            .unwrap();
        JobBuilder::new("t", trigger)
            .coalesce(coalesce)
            .misfire_grace_time(grace)
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
        // The listed missed times are the latest ones, at most the limit.
        assert_eq!(decision.missed.len(), MAX_LISTED_RUN_TIMES);
        assert_eq!(decision.missed_count, 2000);
        assert_eq!(decision.missed.last(), Some(&at("2026-01-02T09:19:00Z")));
        assert_eq!(decision.first_missed, Some(at("2026-01-01T00:00:00Z")));
        assert_eq!(decision.takes_through, Some(at("2026-01-02T09:20:00Z")));
    }

    fn per_second(trigger: Trigger, grace: MisfireGraceTime) -> Job {
        JobBuilder::new("t", trigger)
            .misfire_grace_time(grace)
            .build_at(&JobDefaults::default(), at("2026-01-01T00:00:00Z"))
            .unwrap()
    }

    fn every_second() -> Trigger {
        IntervalTrigger::builder()
            .seconds(1)
            .start_date(at("2026-01-01T00:00:00Z"))
            .timezone("UTC")
            .build()
            .unwrap()
            .into()
    }

    #[test]
    fn a_week_late_per_second_interval_is_counted_not_walked() {
        let job = per_second(
            every_second(),
            MisfireGraceTime::Limit(SignedDuration::from_secs(1)),
        );
        let now = at("2026-01-08T00:00:00Z");
        // Four steps at most: a check of the grid and the on-time ones.
        let decision = decide_within(&job, now, 10);
        assert_eq!(decision.missed_count, 604_799);
        assert_eq!(decision.first_missed, Some(at("2026-01-01T00:00:00Z")));
        assert_eq!(decision.missed.last(), Some(&at("2026-01-07T23:59:58Z")));
        assert_eq!(decision.missed.len(), MAX_LISTED_RUN_TIMES);
        assert_eq!(
            decision.runs,
            vec![vec![at("2026-01-07T23:59:59Z"), at("2026-01-08T00:00:00Z")]]
        );
        assert_eq!(decision.takes_through, Some(now));
        assert_eq!(decision.next_run_time, Some(at("2026-01-08T00:00:01Z")));
    }

    #[test]
    fn an_unlimited_grace_lists_the_latest_fire_times_without_walking_them_all() {
        let job = per_second(every_second(), MisfireGraceTime::Unlimited);
        let now = at("2026-01-02T00:00:00Z");
        let decision = decide_within(&job, now, 5_000);
        assert_eq!(decision.missed_count, 0);
        assert_eq!(decision.runs.len(), 1);
        assert_eq!(decision.runs[0].len(), MAX_LISTED_RUN_TIMES);
        assert_eq!(decision.runs[0].last(), Some(&now));
        assert_eq!(decision.next_run_time, Some(at("2026-01-02T00:00:01Z")));
    }

    #[test]
    fn a_trigger_stepped_past_its_budget_is_decided_in_parts() {
        let cron: Trigger = crate::trigger::CronTrigger::crontab("* * * * *")
            .timezone("UTC")
            .build()
            .unwrap()
            .into();
        let job = per_second(cron, MisfireGraceTime::Limit(SignedDuration::from_secs(30)));
        // A day of minutes: 1441 fire times, in parts of 500 steps.
        let now = at("2026-01-02T00:00:00Z");
        let mut job = job;
        let mut missed = 0;
        let mut parts = 0;
        loop {
            let decision = decide_within(&job, now, 500);
            parts += 1;
            missed += decision.missed_count;
            if let Some(through) = decision.takes_through {
                job = job.with_previous_fire_time(Some(through));
            }
            job.next_run_time = decision.next_run_time;
            if !decision.runs.is_empty() {
                assert_eq!(decision.runs, vec![vec![now]]);
                break;
            }
            assert!(decision.next_run_time.is_some_and(|next| next <= now));
        }
        assert_eq!(missed, 1440);
        assert_eq!(parts, 3);
    }

    #[test]
    fn excluded_fire_times_are_neither_run_nor_missed() {
        use crate::calendar::Calendar;
        let grace = MisfireGraceTime::Limit(SignedDuration::from_secs(150));
        let job = minutely_builder(false, grace)
            .exclude_calendar("odd", Calendar::cron("1-59/2 * * * *").build().unwrap())
            .build_at(&JobDefaults::default(), at("2026-01-01T00:00:00Z"))
            .unwrap();
        // 00:00 to 00:06: the odd minutes are excluded; 00:00 and 00:02 are
        // missed (beyond 150 s), 00:04 and 00:06 run.
        let decision = decide(&job, at("2026-01-01T00:06:00Z"));
        assert_eq!(
            decision.missed,
            vec![at("2026-01-01T00:00:00Z"), at("2026-01-01T00:02:00Z")]
        );
        assert_eq!(
            decision.runs,
            vec![
                vec![at("2026-01-01T00:04:00Z")],
                vec![at("2026-01-01T00:06:00Z")]
            ]
        );
        assert_eq!(decision.next_run_time, Some(at("2026-01-01T00:08:00Z")));
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
