//! See the catalogue in `main.rs`.
//!
//! A scheduler on a manual clock (a memory store with history) whose clock
//! jumps a day, then a week: a per-second interval job has 86,400, then
//! 604,800 missed fire times, and a per-second cron job as many. Deciding
//! them takes well under the lease, the history gets one `missed` record
//! with the count and the first and last time for the interval job (the
//! cron job's, stepped within a budget, a few records whose counts add up),
//! and every fire time is either run (counted inside the task) or counted
//! missed: none is lost silently.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tempora::clock::ManualClock;
use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::{JobBuilder, MisfireGraceTime};
use tempora::scheduler::HostScheduler;
use tempora::task::Tasks;
use tempora::trigger::{CronTrigger, IntervalTrigger};

use crate::support::{counting_task, on_manual_clock};

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;

fn t0() -> Timestamp {
    "2026-03-02T00:00:00Z".parse().unwrap()
}

fn at(seconds: i64, millis: i64) -> Timestamp {
    t0().checked_add(SignedDuration::from_secs(seconds) + SignedDuration::from_millis(millis))
        .unwrap()
}

/// Calls `run_pending` until nothing is due at `now`; returns how long
/// deciding took.
fn catch_up(scheduler: &HostScheduler, clock: &ManualClock, now: Timestamp) -> Duration {
    clock.set(now);
    let start = Instant::now();
    for _ in 0..100 {
        match scheduler.run_pending(now) {
            Some(next) if next <= now => continue,
            _ => return start.elapsed(),
        }
    }
    panic!("still due after 100 passes")
}

/// The finished records of job `id`, once the runs counted in `ran` are
/// recorded.
fn missed_records(scheduler: &HostScheduler, id: &str) -> Vec<RunRecord> {
    scheduler
        .list_runs(&RunQuery::new().job(id))
        .unwrap()
        .into_iter()
        .filter(|run| run.status == RunStatus::Missed)
        .collect()
}

#[test]
fn a_day_and_a_week_away_are_decided_cheaply_and_recorded_as_one_missed_record() {
    let clock = ManualClock::new(t0());
    let tasks = Tasks::new();
    let ran = [
        counting_task(&tasks, "interval"),
        counting_task(&tasks, "cron"),
    ];
    let scheduler = on_manual_clock(&clock, tasks).host_driven().unwrap();
    let grace = MisfireGraceTime::Limit(SignedDuration::from_secs(1));
    let every_second = IntervalTrigger::builder()
        .seconds(1)
        .start_date(t0())
        .timezone("UTC")
        .build()
        .unwrap();
    scheduler
        .add_job(
            JobBuilder::new("interval", every_second)
                .id("interval")
                .misfire_grace_time(grace),
        )
        .unwrap();
    let cron = CronTrigger::builder()
        .second("*")
        .timezone("UTC")
        .build()
        .unwrap();
    scheduler
        .add_job(
            JobBuilder::new("cron", cron)
                .id("cron")
                .misfire_grace_time(grace),
        )
        .unwrap();
    scheduler.start().unwrap();
    // Each step's runs end before the clock jumps again (a run still in
    // progress would make the next one a max_instances miss).
    let ran_each = |times: usize| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while ran.iter().any(|count| count.load(Ordering::SeqCst) < times) {
            assert!(Instant::now() < deadline, "runs: {ran:?}");
            std::thread::sleep(Duration::from_millis(5));
        }
        // The run's instance is freed just after its task returns.
        std::thread::sleep(Duration::from_millis(50));
    };
    catch_up(&scheduler, &clock, t0());
    ran_each(1);

    // A day away: t0 + 1 s … t0 + 86,400 s are more than 1 s late at
    // t0 + 86,401.5 s; t0 + 86,401 s runs.
    let day = catch_up(&scheduler, &clock, at(DAY + 1, 500));
    ran_each(2);
    // A week more.
    let week = catch_up(&scheduler, &clock, at(DAY + 1 + WEEK + 1, 500));
    eprintln!(
        "long_outage: deciding a day away took {:.1} ms, a week away {:.1} ms",
        day.as_secs_f64() * 1000.0,
        week.as_secs_f64() * 1000.0
    );
    let limit = Duration::from_secs(1);
    assert!(
        day < limit && week < limit,
        "a day: {day:?}, a week: {week:?}"
    );

    // The runs: t0, t0 + 86,401 s and t0 + 691,202 s, counted by the task.
    ran_each(3);

    // The interval job: one record per outage, with the count, the first
    // and the last fire time.
    let mut interval = missed_records(&scheduler, "interval");
    interval.sort_by_key(|run| run.scheduled_time);
    assert_eq!(interval.len(), 2, "{interval:#?}");
    assert_eq!(interval[0].fire_times, 86_400);
    assert_eq!(interval[0].first_scheduled_time, Some(at(1, 0)));
    assert_eq!(interval[0].scheduled_time, at(DAY, 0));
    assert_eq!(interval[1].fire_times, 604_800);
    assert_eq!(interval[1].first_scheduled_time, Some(at(DAY + 2, 0)));
    assert_eq!(interval[1].scheduled_time, at(DAY + 1 + WEEK, 0));

    // The cron job is stepped within a budget: its records add up to as
    // many, cover the same span, and never overlap.
    let mut cron = missed_records(&scheduler, "cron");
    cron.sort_by_key(|run| run.scheduled_time);
    let total: u64 = cron.iter().map(|run| u64::from(run.fire_times)).sum();
    assert_eq!(total, 86_400 + 604_800, "{} records", cron.len());
    assert_eq!(cron[0].first_scheduled_time, Some(at(1, 0)));
    assert_eq!(cron.last().unwrap().scheduled_time, at(DAY + 1 + WEEK, 0));
    for pair in cron.windows(2) {
        let next_first = pair[1]
            .first_scheduled_time
            .unwrap_or(pair[1].scheduled_time);
        assert!(pair[0].scheduled_time < next_first);
    }
    eprintln!(
        "long_outage: the cron job's misses are {} records",
        cron.len()
    );
    assert_eq!(ran[0].load(Ordering::SeqCst), 3);
    assert_eq!(ran[1].load(Ordering::SeqCst), 3);
    scheduler.shutdown(true).unwrap();
}
