//! The engine's semantics: exclusion calendars.

use super::*;

/// A scheduler whose calendar `"off"` excludes 00:10 to 00:20 every day (UTC).
fn env_with_off_calendar() -> Env {
    env_with(
        SchedulerBuilder::new().calendar(
            "off",
            Calendar::daily("00:10", "00:20")
                .timezone("UTC")
                .build()
                .unwrap(),
        ),
    )
}

#[test]
fn an_excluded_fire_time_is_skipped_and_the_next_one_runs() {
    let env = env_with_off_calendar();
    let added = env.add(job("record", "tick", 10).exclude(["off"]));
    assert_eq!(added.next_run_time(), Some(t(0)));
    env.start();

    // 00:00 runs; 00:10 is excluded, so the job waits for 00:20.
    let wake = env.tick(0);
    assert_eq!(env.ran().times, vec![t(0)]);
    assert_eq!(wake, Some(t(20)));
    assert_eq!(env.next_run_time("tick"), Some(t(20)));
    // At 00:10 nothing is due: nothing runs, nothing is missed.
    env.tick(10);
    assert_eq!(
        env.take(EventKind::JobSubmitted).len(),
        1,
        "only 00:00's run so far"
    );
    env.tick(20);
    assert_eq!(env.ran().times, vec![t(20)]);
    assert!(env.take(EventKind::JobMissed).is_empty());
    assert_eq!(env.next_run_time("tick"), Some(t(30)));
}

#[test]
fn modify_job_changes_the_calendars_a_job_excludes() {
    let env = env_with_off_calendar();
    env.add(job("record", "tick", 10));
    env.start();
    env.tick(0);
    assert_eq!(env.ran().times, vec![t(0)]);
    assert_eq!(env.next_run_time("tick"), Some(t(10)));

    // Excluding "off" moves the next run past 00:10, in the store too.
    let job = env
        .scheduler
        .modify_job("tick", JobChanges::new().exclude(["off"]))
        .unwrap();
    assert_eq!(job.next_run_time(), Some(t(20)));
    let stored = env.scheduler.get_job("tick").unwrap().unwrap();
    assert_eq!(
        stored.exclusions().keys().collect::<Vec<_>>(),
        ["off"],
        "kept with the job"
    );
    assert_eq!(stored.next_run_time(), Some(t(20)));
    env.tick(10);
    assert!(env.take(EventKind::JobMissed).is_empty());
    env.tick(20);
    assert_eq!(env.ran().times, vec![t(20)]);

    // An unknown name changes nothing and names the field and the value.
    let error = env
        .scheduler
        .modify_job("tick", JobChanges::new().exclude(["holydays"]))
        .unwrap_err();
    assert_eq!(error.field(), Some("exclude"));
    assert!(error.to_string().contains("\"holydays\""), "{error}");
    assert_eq!(
        env.scheduler
            .get_job("tick")
            .unwrap()
            .unwrap()
            .exclusions()
            .len(),
        1
    );

    // A calendar that excludes everything is refused; none clears them.
    let always = Calendar::cron("* * * * *").build().unwrap();
    let error = env
        .scheduler
        .modify_job("tick", JobChanges::new().exclude_calendar("always", always))
        .unwrap_err();
    assert_eq!(error.field(), Some("exclude"));
    assert!(
        error.to_string().contains("exclude every fire time"),
        "{error}"
    );
    let job = env
        .scheduler
        .modify_job("tick", JobChanges::new().exclude(Vec::<String>::new()))
        .unwrap();
    assert!(job.exclusions().is_empty());
    assert_eq!(job.next_run_time(), Some(t(30)));
}

#[test]
fn excluded_fire_times_are_not_missed_when_the_scheduler_is_late() {
    let env = env_with_off_calendar();
    env.add(
        job("record", "tick", 10)
            .exclude(["off"])
            .coalesce(false)
            .misfire_grace_time(MisfireGraceTime::Limit(secs(60))),
    );
    env.start();

    // 25 minutes late: 00:00 and 00:20 are missed; 00:10 was never due.
    env.tick(25);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].scheduled_run_times, vec![t(0), t(20)]);
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    assert_eq!(env.next_run_time("tick"), Some(t(30)));
}

#[test]
fn calendars_are_named_at_add_resumed_jobs_skip_their_times() {
    let env = env();
    let error = env
        .scheduler
        .add_job(job("record", "tick", 10).exclude(["off"]))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "exclude: \"off\" is not a calendar of the scheduler; known: none"
    );
    env.scheduler
        .add_calendar(
            "off",
            Calendar::daily("00:10", "00:50")
                .timezone("UTC")
                .build()
                .unwrap(),
        )
        .unwrap();
    env.add(job("record", "tick", 10).exclude(["off"]).paused());
    env.start();
    env.tick(5);
    let resumed = env.scheduler.resume_job("tick").unwrap().unwrap();
    assert_eq!(resumed.next_run_time(), Some(t(50)));
    let rescheduled = env.scheduler.reschedule_job("tick", every(20)).unwrap();
    assert_eq!(rescheduled.next_run_time(), Some(t(60)));
    assert!(rescheduled.exclusions().contains_key("off"));
}

#[test]
fn coalesce_and_misfire_together_drop_the_late_times_and_coalesce_the_rest() {
    let env = env();
    env.add(
        job("record", "tick", 1)
            .coalesce(true)
            .misfire_grace_time(MisfireGraceTime::Limit(secs(90))),
    );
    env.start();

    env.tick(3);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed[0].scheduled_run_times, vec![t(0), t(1)]);
    assert_eq!(env.ran().times, vec![t(2), t(3)]);
}
