//! The engine's semantics: run times, misfires, coalescing.

use super::*;

#[test]
fn run_times_are_every_fire_time_up_to_now_since_the_next_run_time() {
    let env = env();
    let added = env.add(job("record", "tick", 10).coalesce(false));
    assert_eq!(added.next_run_time(), Some(t(0)));
    env.start();

    let wake = env.tick(35);
    let submitted = env.take(EventKind::JobSubmitted);
    let times: Vec<Vec<Timestamp>> = submitted
        .iter()
        .map(|event| event.scheduled_run_times.clone())
        .collect();
    assert_eq!(
        times,
        vec![vec![t(0)], vec![t(10)], vec![t(20)], vec![t(30)]]
    );
    assert_eq!(wake, Some(t(40)));
    assert_eq!(env.next_run_time("tick"), Some(t(40)));
    let executed = env.wait_n(EventKind::JobExecuted, 4);
    assert_eq!(
        executed
            .iter()
            .map(Event::scheduled_run_time)
            .collect::<Vec<_>>(),
        vec![Some(t(0)), Some(t(10)), Some(t(20)), Some(t(30))]
    );
}

#[test]
fn coalesce_makes_one_run_that_lists_every_due_time() {
    let env = env();
    env.add(job("record", "tick", 10).coalesce(true));
    env.start();

    env.tick(35);
    let submitted = env.take(EventKind::JobSubmitted);
    assert_eq!(submitted.len(), 1);
    let all = vec![t(0), t(10), t(20), t(30)];
    assert_eq!(submitted[0].scheduled_run_times, all);
    // The task sees every time it covers, latest last.
    let ran = env.ran();
    assert_eq!(ran.times, all);
    let executed = env.wait(EventKind::JobExecuted);
    assert_eq!(executed.scheduled_run_times, all);
    assert_eq!(executed.scheduled_run_time(), Some(t(30)));
    assert_eq!(env.next_run_time("tick"), Some(t(40)));
}

#[test]
fn without_coalesce_each_due_time_runs_once() {
    let env = env();
    env.add(job("record", "tick", 1).coalesce(false));
    env.start();

    env.tick(2);
    let mut ran: Vec<Ran> = (0..3).map(|_| env.ran()).collect();
    ran.sort_by_key(|run| run.times.clone());
    let times: Vec<Vec<Timestamp>> = ran.into_iter().map(|run| run.times).collect();
    assert_eq!(times, vec![vec![t(0)], vec![t(1)], vec![t(2)]]);
    assert_eq!(env.wait_n(EventKind::JobExecuted, 3).len(), 3);
    assert!(env.take(EventKind::JobMaxInstances).is_empty());
}

/// APScheduler 3 runs the due times of a job that does not coalesce one after
/// the other in *one* executor submission, which counts as one instance, so
/// with the default `max_instances = 1` every due time still runs.
#[test]
fn without_coalesce_each_due_time_runs_even_with_one_instance() {
    let env = env();
    env.add(
        JobBuilder::new("record", every(1))
            .id("tick")
            .coalesce(false)
            .max_instances(1),
    );
    env.start();

    env.tick(2);
    let skipped = env.take(EventKind::JobMaxInstances);
    assert!(
        skipped.is_empty(),
        "due times skipped: {:?}",
        skipped
            .iter()
            .map(|event| event.scheduled_run_times.clone())
            .collect::<Vec<_>>()
    );
    let executed = env.wait_n(EventKind::JobExecuted, 3);
    assert_eq!(executed.len(), 3);
}

#[test]
fn runs_later_than_the_grace_time_are_missed_with_an_event_saying_how_late() {
    let env = env();
    env.add(
        job("record", "tick", 1)
            .coalesce(false)
            .misfire_grace_time(MisfireGraceTime::Limit(secs(90))),
    );
    env.start();

    env.tick(3);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed.len(), 1);
    let missed = &missed[0];
    assert_eq!(missed.job_id.as_deref(), Some("tick"));
    assert_eq!(missed.store.as_deref(), Some("default"));
    assert_eq!(missed.scheduled_run_times, vec![t(0), t(1)]);
    assert_eq!(
        missed.error.as_deref(),
        Some("2 run(s) missed: the latest was 2m late, more than the misfire grace time of 1m 30s")
    );
    // The others (1 min and 0 min late) run, one each.
    let submitted = env.take(EventKind::JobSubmitted);
    let times: Vec<Vec<Timestamp>> = submitted
        .iter()
        .map(|event| event.scheduled_run_times.clone())
        .collect();
    assert_eq!(times, vec![vec![t(2)], vec![t(3)]]);
    assert_eq!(env.wait_n(EventKind::JobExecuted, 2).len(), 2);
    assert_eq!(env.next_run_time("tick"), Some(t(4)));
}

#[test]
fn a_missed_run_does_not_run_and_the_schedule_moves_on() {
    let env = env();
    env.add(job("record", "tick", 1).misfire_grace_time(MisfireGraceTime::Limit(secs(10))));
    env.start();

    let wake = env.tick_at(t(0).checked_add(secs(30)).unwrap());
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].scheduled_run_times, vec![t(0)]);
    assert_eq!(
        missed[0].error.as_deref(),
        Some("1 run(s) missed: the latest was 30s late, more than the misfire grace time of 10s")
    );
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    assert_eq!(wake, Some(t(1)));

    // Exactly on time (0 s late) is within any grace time.
    env.tick(1);
    assert_eq!(env.take(EventKind::JobSubmitted).len(), 1);
    assert_eq!(env.ran().times, vec![t(1)]);
}
