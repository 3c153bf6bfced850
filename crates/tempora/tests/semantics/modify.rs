//! The engine's semantics: run_job_now, reschedule, modify.

use super::*;

#[test]
fn run_job_now_runs_once_more_without_moving_the_schedule() {
    let env = env();
    env.add(job("record", "report", 10));
    env.start();
    env.tick(0);
    env.ran();
    assert_eq!(env.next_run_time("report"), Some(t(10)));

    env.clock.set(t(3));
    env.scheduler.run_job_now("report").unwrap();
    assert_eq!(
        env.ran(),
        Ran {
            job: "report".to_owned(),
            times: vec![t(3)]
        }
    );
    let submitted = env.take(EventKind::JobSubmitted);
    assert_eq!(submitted.last().unwrap().scheduled_run_times, vec![t(3)]);
    assert_eq!(env.next_run_time("report"), Some(t(10)));
    assert_eq!(env.scheduler.run_pending(t(3)), Some(t(10)));
    assert!(env.take(EventKind::JobSubmitted).is_empty());

    // A paused job can be run now too; it stays paused.
    env.scheduler.pause_job("report").unwrap();
    env.scheduler.run_job_now("report").unwrap();
    env.ran();
    assert!(
        env.scheduler
            .get_job("report")
            .unwrap()
            .unwrap()
            .is_paused()
    );

    assert!(
        env.scheduler
            .run_job_now("nope")
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn reschedule_job_gives_a_new_trigger_from_now() {
    let env = env();
    env.add(job("record", "report", 60));
    env.start();
    env.clock.set(t(1));

    let crontab = CronTrigger::crontab("*/5 * * * *")
        .timezone("UTC")
        .build()
        .unwrap();
    let job = env
        .scheduler
        .reschedule_job("report", crontab.clone())
        .unwrap();
    assert_eq!(job.next_run_time(), Some(t(5)));
    assert_eq!(job.trigger(), &Trigger::from(crontab));
    let modified = env.take(EventKind::JobModified);
    assert_eq!(modified.len(), 1);
    assert_eq!(modified[0].job_id.as_deref(), Some("report"));
    assert_eq!(env.scheduler.run_pending(t(1)), Some(t(5)));
    env.tick(5);
    assert_eq!(env.ran().times, vec![t(5)]);

    // Rescheduling a paused job resumes it, as in APScheduler.
    env.scheduler.pause_job("report").unwrap();
    let job = env.scheduler.reschedule_job("report", every(7)).unwrap();
    assert_eq!(job.next_run_time(), Some(t(7)));

    // A trigger with nothing left removes the job.
    let ended = IntervalTrigger::builder()
        .minutes(1)
        .start_date(t(0))
        .end_date(t(1))
        .timezone("UTC")
        .build()
        .unwrap();
    env.scheduler.reschedule_job("report", ended).unwrap();
    assert_eq!(env.take(EventKind::JobRemoved).len(), 1);
    assert!(env.scheduler.get_job("report").unwrap().is_none());

    assert!(
        env.scheduler
            .reschedule_job("nope", every(1))
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn modify_job_changes_the_name_args_and_executor() {
    let env =
        env_with(SchedulerBuilder::new().executor("other", Executor::thread_pool(1).unwrap()));
    env.add(
        JobBuilder::new("double", every(1))
            .id("math")
            .args(&json!({"n": 2}))
            .max_instances(10),
    );
    env.start();
    env.tick(0);
    assert_eq!(
        env.wait(EventKind::JobExecuted).return_value,
        Some(json!(4))
    );

    let job = env
        .scheduler
        .modify_job(
            "math",
            JobChanges::new()
                .name("math, renamed")
                .args(&json!({"n": 21}))
                .executor("other"),
        )
        .unwrap();
    assert_eq!(job.name(), "math, renamed");
    assert_eq!(job.args(), &json!({"n": 21}));
    assert_eq!(job.executor(), "other");
    assert_eq!(env.take(EventKind::JobModified).len(), 1);
    let stored = env.scheduler.get_job("math").unwrap().unwrap();
    assert_eq!(stored.name(), "math, renamed");
    assert_eq!(stored.next_run_time(), Some(t(1)));

    env.tick(1);
    let submitted = env.take(EventKind::JobSubmitted);
    assert_eq!(submitted.len(), 2); // the run at 0 min, then this one
    assert_eq!(submitted[0].executor.as_deref(), Some("default"));
    assert_eq!(submitted[1].executor.as_deref(), Some("other"));
    let executed = env.wait(EventKind::JobExecuted);
    assert_eq!(executed.return_value, Some(json!(42)));
    assert_eq!(executed.executor.as_deref(), Some("other"));
}

#[test]
fn modify_job_changes_how_runs_are_handled() {
    let env = env();
    env.add(job("record", "tick", 1));
    env.start();

    let job = env
        .scheduler
        .modify_job(
            "tick",
            JobChanges::new()
                .coalesce(false)
                .misfire_grace_time(MisfireGraceTime::Limit(secs(90)))
                .max_instances(4),
        )
        .unwrap();
    assert!(!job.coalesce());
    assert_eq!(job.misfire_grace_time(), MisfireGraceTime::Limit(secs(90)));
    assert_eq!(job.max_instances(), 4);

    // 3 min late and 2 min late are missed; the other two run one each.
    env.tick(3);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed[0].scheduled_run_times, vec![t(0), t(1)]);
    assert_eq!(env.take(EventKind::JobSubmitted).len(), 2);
    let mut ran = vec![env.ran().times, env.ran().times];
    ran.sort();
    assert_eq!(ran, vec![vec![t(2)], vec![t(3)]]);

    env.scheduler
        .modify_job("tick", JobChanges::new().coalesce(true))
        .unwrap();
    env.tick(6);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed[0].scheduled_run_times, vec![t(4)]);
    assert_eq!(env.ran().times, vec![t(5), t(6)]);
}

#[test]
fn modify_job_next_run_time_moves_the_next_run_and_resumes_a_paused_job() {
    let env = env();
    env.add(job("record", "tick", 10));
    env.start();
    env.scheduler.pause_job("tick").unwrap();
    let job = env
        .scheduler
        .modify_job("tick", JobChanges::new().next_run_time(t(3)))
        .unwrap();
    assert_eq!(job.next_run_time(), Some(t(3)));
    assert!(!job.is_paused());
    assert_eq!(env.scheduler.run_pending(t(0)), Some(t(3)));
    assert_eq!(env.tick(3), Some(t(10)));
    assert_eq!(env.ran().times, vec![t(3)]);
}

#[test]
fn modify_job_refuses_bad_changes_and_keeps_the_job() {
    let env = env();
    env.add(
        JobBuilder::new("double", every(1))
            .id("math")
            .args(&json!({"n": 1})),
    );

    let error = env
        .scheduler
        .modify_job("math", JobChanges::new().max_instances(0))
        .unwrap_err();
    assert_eq!(error.field(), Some("max_instances"));

    let error = env
        .scheduler
        .modify_job("math", JobChanges::new().executor("gpu"))
        .unwrap_err();
    assert_eq!(error.field(), Some("executor"));
    assert!(error.to_string().contains("\"gpu\""), "{error}");

    let error = env
        .scheduler
        .modify_job("math", JobChanges::new().args(&json!({"m": 1})))
        .unwrap_err();
    assert_eq!(error.field(), Some("args"));

    let error = env
        .scheduler
        .modify_job("nope", JobChanges::new().name("x"))
        .unwrap_err();
    assert!(error.is_not_found());

    let job = env.scheduler.get_job("math").unwrap().unwrap();
    assert_eq!(job.max_instances(), 1);
    assert_eq!(job.executor(), "default");
    assert_eq!(job.args(), &json!({"n": 1}));
    assert!(env.take(EventKind::JobModified).is_empty());
}

/// `JobBuilder::build_at` refuses a negative misfire grace time with field
/// `misfire_grace_time`; `modify_job` must refuse it the same way.
#[test]
fn modify_job_refuses_a_negative_grace_time() {
    let env = env();
    env.add(job("record", "tick", 1));
    let negative = MisfireGraceTime::Limit(secs(-5));
    let error = env
        .scheduler
        .add_job(job("record", "other", 1).misfire_grace_time(negative))
        .unwrap_err();
    assert_eq!(error.field(), Some("misfire_grace_time"));
    let error = env
        .scheduler
        .modify_job("tick", JobChanges::new().misfire_grace_time(negative))
        .unwrap_err();
    assert_eq!(error.field(), Some("misfire_grace_time"));
}
