//! The engine's semantics: pausing.

use super::*;

#[test]
fn a_paused_job_does_not_run_and_resumes_from_now() {
    let env = env();
    env.add(job("record", "tick", 1));
    env.start();
    let paused = env.scheduler.pause_job("tick").unwrap();
    assert!(paused.is_paused());
    assert_eq!(paused.next_run_time(), None);
    assert_eq!(env.take(EventKind::JobModified).len(), 1);

    // Nothing is scheduled while it is paused.
    assert_eq!(env.tick(5), None);
    assert!(env.take(EventKind::JobSubmitted).is_empty());

    // Resumed at 5 m 30 s: the trigger's next fire time from now, not the
    // five it skipped.
    env.clock.set(t(5).checked_add(secs(30)).unwrap());
    let resumed = env.scheduler.resume_job("tick").unwrap().unwrap();
    assert_eq!(resumed.next_run_time(), Some(t(6)));
    assert_eq!(env.take(EventKind::JobModified).len(), 1);
    assert_eq!(env.scheduler.run_pending(env.clock.now()), Some(t(6)));
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    env.tick(6);
    assert_eq!(env.ran().times, vec![t(6)]);
}

#[test]
fn a_job_added_paused_waits_for_resume() {
    let env = env();
    let added = env.add(job("record", "later", 1).paused());
    assert!(added.is_paused());
    env.start();
    assert_eq!(env.tick(3), None);
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    let resumed = env.scheduler.resume_job("later").unwrap().unwrap();
    assert_eq!(resumed.next_run_time(), Some(t(3)));
}

#[test]
fn resuming_a_job_whose_trigger_is_done_removes_it() {
    let env = env();
    env.add(
        JobBuilder::new("record", DateTrigger::new(t(1)))
            .id("once")
            .paused(),
    );
    env.start();
    env.clock.set(t(2));
    // A date trigger that never fired still answers its run date.
    let resumed = env.scheduler.resume_job("once").unwrap();
    assert_eq!(resumed.map(|job| job.next_run_time()), Some(Some(t(1))));

    let trigger = IntervalTrigger::builder()
        .minutes(1)
        .start_date(t(0))
        .end_date(t(1))
        .timezone("UTC")
        .build()
        .unwrap();
    env.add(JobBuilder::new("record", trigger).id("ended").paused());
    assert!(env.scheduler.resume_job("ended").unwrap().is_none());
    let removed = env.take(EventKind::JobRemoved);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].job_id.as_deref(), Some("ended"));
    assert!(env.scheduler.get_job("ended").unwrap().is_none());
}

#[test]
fn a_paused_scheduler_runs_nothing_and_resume_catches_up() {
    let env = env();
    env.add(job("record", "tick", 1));
    env.start();
    env.tick(0);
    assert_eq!(env.take(EventKind::JobSubmitted).len(), 1);
    assert_eq!(env.ran().times, vec![t(0)]);

    env.scheduler.pause().unwrap();
    assert_eq!(env.scheduler.state(), SchedulerState::Paused);
    assert_eq!(env.take(EventKind::SchedulerPaused).len(), 1);
    for minute in 1..=3 {
        assert_eq!(env.tick(minute), None);
    }
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    // Jobs can still be managed while paused.
    assert_eq!(env.next_run_time("tick"), Some(t(1)));

    env.scheduler.resume().unwrap();
    assert_eq!(env.scheduler.state(), SchedulerState::Running);
    assert_eq!(env.take(EventKind::SchedulerResumed).len(), 1);
    assert_eq!(env.tick(3), Some(t(4)));
    // The runs due while paused, coalesced (the default) into one.
    assert_eq!(env.ran().times, vec![t(1), t(2), t(3)]);
}

/// APScheduler 3's `pause()` dispatches `EVENT_SCHEDULER_PAUSED` only when it
/// changes the state; pausing a paused scheduler is a no-op.
#[test]
fn pausing_twice_emits_one_event() {
    let env = env();
    env.start();
    env.scheduler.pause().unwrap();
    env.scheduler.pause().unwrap();
    assert_eq!(env.take(EventKind::SchedulerPaused).len(), 1);
    env.scheduler.resume().unwrap();
    env.scheduler.resume().unwrap();
    assert_eq!(env.take(EventKind::SchedulerResumed).len(), 1);
}
