//! The engine's semantics: errors, panics, exhausted triggers.

use super::*;

#[test]
fn a_job_that_fails_keeps_its_schedule() {
    let env = env();
    env.add(job("fail", "flaky", 1));
    env.start();

    env.tick(0);
    let error = env.wait(EventKind::JobError);
    assert_eq!(error.job_id.as_deref(), Some("flaky"));
    assert_eq!(error.error.as_deref(), Some("boom"));
    assert_eq!(error.scheduled_run_times, vec![t(0)]);
    assert_eq!(error.return_value, None);
    assert_eq!(env.next_run_time("flaky"), Some(t(1)));

    env.tick(1);
    assert_eq!(
        env.wait(EventKind::JobError).scheduled_run_times,
        vec![t(1)]
    );
    assert_eq!(env.next_run_time("flaky"), Some(t(2)));
}

#[test]
fn a_job_that_panics_keeps_its_schedule() {
    let env = env();
    env.add(job("panic", "crashy", 1));
    env.start();

    env.tick(0);
    let error = env.wait(EventKind::JobError);
    assert_eq!(error.error.as_deref(), Some("panicked: kaboom"));
    assert_eq!(env.next_run_time("crashy"), Some(t(1)));

    env.tick(1);
    let error = env.wait(EventKind::JobError);
    assert_eq!(error.scheduled_run_times, vec![t(1)]);
    assert_eq!(env.scheduler.state(), SchedulerState::Running);
}

#[test]
fn an_exhausted_trigger_removes_its_job_with_an_event() {
    let env = env();
    let trigger = IntervalTrigger::builder()
        .minutes(1)
        .start_date(t(0))
        .end_date(t(2))
        .timezone("UTC")
        .build()
        .unwrap();
    env.add(
        JobBuilder::new("record", trigger)
            .id("short")
            .max_instances(10),
    );
    env.start();

    assert_eq!(env.tick(0), Some(t(1)));
    assert_eq!(env.tick(1), Some(t(2)));
    assert!(env.take(EventKind::JobRemoved).is_empty());
    assert_eq!(env.tick(2), None);
    let removed = env.take(EventKind::JobRemoved);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].job_id.as_deref(), Some("short"));
    assert_eq!(removed[0].store.as_deref(), Some("default"));
    let mut times: Vec<Timestamp> = (0..3).map(|_| env.ran().times[0]).collect();
    times.sort();
    assert_eq!(times, vec![t(0), t(1), t(2)]);
    assert!(env.scheduler.get_job("short").unwrap().is_none());
}

#[test]
fn a_date_job_runs_once_and_is_gone() {
    let env = env();
    let added = env.add(JobBuilder::new("record", DateTrigger::new(t(5))).id("once"));
    assert_eq!(added.next_run_time(), Some(t(5)));
    env.start();

    assert_eq!(env.tick(4), Some(t(5)));
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    assert_eq!(env.tick(5), None);
    assert_eq!(env.take(EventKind::JobSubmitted).len(), 1);
    assert_eq!(
        env.ran(),
        Ran {
            job: "once".to_owned(),
            times: vec![t(5)]
        }
    );
    assert_eq!(env.take(EventKind::JobRemoved).len(), 1);
    assert!(env.scheduler.get_job("once").unwrap().is_none());
    assert!(env.ids().is_empty());
    assert_eq!(env.tick(600), None);
    assert!(env.take(EventKind::JobSubmitted).is_empty());
}

#[test]
fn a_date_job_added_after_its_time_runs_at_once_with_unlimited_grace() {
    let env = env();
    env.clock.set(t(30));
    env.add(JobBuilder::new("record", DateTrigger::new(t(5))).id("late"));
    env.start();
    assert_eq!(env.tick(30), None);
    assert_eq!(env.ran().times, vec![t(5)]);
}

#[test]
fn a_missed_date_job_is_reported_and_removed() {
    let env = env();
    env.add(
        JobBuilder::new("record", DateTrigger::new(t(1)))
            .id("once")
            .misfire_grace_time(MisfireGraceTime::Limit(secs(30))),
    );
    env.start();
    assert_eq!(env.tick(5), None);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].scheduled_run_times, vec![t(1)]);
    assert_eq!(
        missed[0].error.as_deref(),
        Some("1 run(s) missed: the latest was 4m late, more than the misfire grace time of 30s")
    );
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    assert_eq!(env.take(EventKind::JobRemoved).len(), 1);
    assert!(env.scheduler.get_job("once").unwrap().is_none());
}

#[test]
fn a_job_that_panics_on_tokio_tasks_is_reported_too() {
    let env = env_with(SchedulerBuilder::new().executor("tokio", Executor::async_tasks()));
    env.add(
        JobBuilder::new("panic", DateTrigger::new(t(1)))
            .id("crashy")
            .executor("tokio"),
    );
    env.add(
        JobBuilder::new("fail", DateTrigger::new(t(1)))
            .id("flaky")
            .executor("tokio"),
    );
    env.start();
    env.tick(1);
    let mut errors: Vec<(Option<String>, Option<String>)> = (0..2)
        .map(|_| env.wait(EventKind::JobError))
        .map(|event| (event.job_id, event.error))
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            (
                Some("crashy".to_owned()),
                Some("panicked: kaboom".to_owned())
            ),
            (Some("flaky".to_owned()), Some("boom".to_owned())),
        ]
    );
}

/// APScheduler 3 listeners commonly act on the scheduler (pause a job that
/// missed, look a job up when it is added). Tempora calls listeners on the
/// thread that emits; for the events a sync call emits (JobAdded,
/// JobModified, JobRemoved) or a tick emits (JobSubmitted, JobMissed,
/// JobMaxInstances) that thread is inside the scheduler's runtime, where
/// every sync method refuses to run.
#[test]
fn a_listener_may_call_the_scheduler() {
    let env = env();
    let scheduler = env.scheduler.clone();
    let (sink, results) = mpsc::channel();
    env.scheduler
        .listeners()
        .add(EventMask::JOB_ADDED | EventMask::JOB_MISSED, move |event| {
            let id = event.job_id.clone().unwrap();
            let result = match event.kind {
                EventKind::JobAdded => scheduler.get_job(&id).map(|job| job.is_some()),
                _ => scheduler.pause_job(&id).map(|job| job.is_paused()),
            };
            let _ = sink.send((event.kind, result.map_err(|error| error.to_string())));
        });
    env.add(job("record", "tick", 1).misfire_grace_time(MisfireGraceTime::Limit(secs(10))));
    env.start();
    env.tick(5);
    let seen: Vec<_> = results.try_iter().collect();
    assert_eq!(
        seen,
        [
            (EventKind::JobAdded, Ok(true)),
            (EventKind::JobMissed, Ok(true))
        ]
    );
    assert!(env.scheduler.get_job("tick").unwrap().unwrap().is_paused());
}
