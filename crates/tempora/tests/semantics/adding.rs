//! The engine's semantics: adding: ids, defaults, checks.

use super::*;

#[test]
fn a_duplicate_id_is_a_conflict_unless_replacing() {
    let env = env();
    env.add(job("record", "report", 1).name("first"));
    let error = env
        .scheduler
        .add_job(job("record", "report", 5).name("second"))
        .unwrap_err();
    assert!(error.is_conflict());
    assert_eq!(error.field(), Some("id"));
    assert_eq!(
        error.to_string(),
        "id: job \"report\" already exists; remove it first or add it with replace_existing"
    );
    assert_eq!(
        env.scheduler.get_job("report").unwrap().unwrap().name(),
        "first"
    );
    assert_eq!(env.take(EventKind::JobAdded).len(), 1);

    let replaced = env.add(
        job("record", "report", 5)
            .name("second")
            .replace_existing(true),
    );
    assert_eq!(replaced.name(), "second");
    let stored = env.scheduler.get_job("report").unwrap().unwrap();
    assert_eq!(stored.name(), "second");
    assert_eq!(stored.trigger(), &Trigger::from(every(5)));
    assert_eq!(env.ids(), ["report"]);
    assert_eq!(env.take(EventKind::JobAdded).len(), 1);
}

#[test]
fn generated_ids_are_unique() {
    let env = env();
    let mut ids = HashSet::new();
    for _ in 0..200 {
        let job = env.add(JobBuilder::new("record", every(1)));
        assert!(!job.id().is_empty());
        // The name defaults to the task's name.
        assert_eq!(job.name(), "record");
        assert!(ids.insert(job.id().to_owned()), "{} given twice", job.id());
    }
    assert_eq!(env.ids().len(), 200);
}

/// Generated ids grow in the order the jobs are added (UUIDv7), and jobs
/// due at one time are ordered by id: jobs added without ids and due
/// together are listed, and handed to their executor, in the order they
/// were added — as APScheduler's memory store orders them.
#[test]
fn jobs_added_without_ids_and_due_together_start_in_the_order_they_were_added() {
    let env = env();
    let added: Vec<String> = (0..100)
        .map(|_| env.add(JobBuilder::new("record", every(1))).id().to_owned())
        .collect();
    assert_eq!(env.ids(), added);

    env.start();
    env.tick(1);
    let submitted: Vec<String> = env
        .take(EventKind::JobSubmitted)
        .into_iter()
        .filter_map(|event| event.job_id)
        .collect();
    assert_eq!(submitted, added);
}

#[test]
fn tempora_job_defaults_are_unlimited_grace_coalesce_and_one_instance() {
    let defaults = JobDefaults::default();
    assert_eq!(defaults.misfire_grace_time, MisfireGraceTime::Unlimited);
    assert!(defaults.coalesce);
    assert_eq!(defaults.max_instances, 1);

    let env = env();
    let job = env.add(JobBuilder::new("record", every(1)).id("plain"));
    assert_eq!(job.misfire_grace_time(), MisfireGraceTime::Unlimited);
    assert!(job.coalesce());
    assert_eq!(job.max_instances(), 1);
    assert_eq!(job.executor(), "default");
    assert_eq!(job.store(), "default");
    assert_eq!(job.args(), &serde_json::Value::Null);
    assert_eq!(job.name(), "record");
    assert_eq!(job.task().name(), Some("record"));
}

#[test]
fn scheduler_job_defaults_fill_what_a_job_does_not_set() {
    let defaults = JobDefaults {
        misfire_grace_time: MisfireGraceTime::Limit(secs(30)),
        coalesce: false,
        max_instances: 3,
        on_interrupted: OnInterrupted::Retry,
        overlap: Some(Overlap::AllowAll),
    };
    let env = env_with(SchedulerBuilder::new().job_defaults(defaults));
    let job = env.add(JobBuilder::new("record", every(1)).id("plain"));
    assert_eq!(job.misfire_grace_time(), MisfireGraceTime::Limit(secs(30)));
    assert!(!job.coalesce());
    assert_eq!(job.max_instances(), 3);
    assert_eq!(job.on_interrupted(), OnInterrupted::Retry);
    assert_eq!(job.overlap(), Some(Overlap::AllowAll));
    assert_eq!(
        job.instance_limit(),
        3,
        "allow_all keeps max_instances set above 1"
    );

    let job = env.add(
        JobBuilder::new("record", every(1))
            .id("own")
            .misfire_grace_time(MisfireGraceTime::Unlimited)
            .coalesce(true)
            .max_instances(1)
            .overlap(Overlap::Skip),
    );
    assert_eq!(job.overlap(), Some(Overlap::Skip));
    assert_eq!(job.misfire_grace_time(), MisfireGraceTime::Unlimited);
    assert!(job.coalesce());
    assert_eq!(job.max_instances(), 1);

    // The defaults act: a run 2 min late is missed under a 30 s grace.
    env.start();
    env.tick(2);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].job_id.as_deref(), Some("plain"));
    assert_eq!(missed[0].scheduled_run_times, vec![t(0), t(1)]);
}

#[test]
fn adding_checks_the_task_args_executor_and_store() {
    let env = env();

    let error = env
        .scheduler
        .add_job(JobBuilder::new("nope", every(1)))
        .unwrap_err();
    assert!(error.is_invalid_input());
    assert_eq!(error.field(), Some("task"));
    assert!(
        error.to_string().contains("\"nope\" is not registered"),
        "{error}"
    );

    let error = env
        .scheduler
        .add_job(JobBuilder::new("double", every(1)).args(&json!({"m": 1})))
        .unwrap_err();
    assert_eq!(error.field(), Some("args"));
    let error = env
        .scheduler
        .add_job(JobBuilder::new("double", every(1)).args(&json!({"n": "two"})))
        .unwrap_err();
    assert_eq!(error.field(), Some("args"));
    let error = env
        .scheduler
        .add_job(JobBuilder::new("double", every(1)))
        .unwrap_err();
    assert_eq!(error.field(), Some("args"), "null does not fit {{n}}");

    let error = env
        .scheduler
        .add_job(JobBuilder::new("record", every(1)).executor("gpu"))
        .unwrap_err();
    assert_eq!(error.field(), Some("executor"));
    assert_eq!(
        error.to_string(),
        "executor: \"gpu\" is not configured; configured: \"default\""
    );

    let error = env
        .scheduler
        .add_job(JobBuilder::new("record", every(1)).store("disk"))
        .unwrap_err();
    assert_eq!(error.field(), Some("store"));
    assert_eq!(
        error.to_string(),
        "store: \"disk\" is not configured; configured: \"default\""
    );

    let error = env
        .scheduler
        .add_job(JobBuilder::new("record", every(1)).max_instances(0))
        .unwrap_err();
    assert_eq!(error.field(), Some("max_instances"));
    let error = env
        .scheduler
        .add_job(JobBuilder::new("record", every(1)).id(""))
        .unwrap_err();
    assert_eq!(error.field(), Some("id"));

    assert!(env.ids().is_empty());
    assert!(env.take(EventKind::JobAdded).is_empty());
}

#[test]
fn a_closure_job_runs_from_the_memory_store() {
    let env = env();
    let task =
        JobTask::closure(|context| Ok::<_, String>(format!("hello from {}", context.job_id())));
    let job = env.add(JobBuilder::with_task(task, DateTrigger::new(t(1))).id("inline"));
    assert_eq!(job.task().name(), None);
    assert_eq!(job.name(), "inline"); // no task name: the id
    let task = JobTask::async_closure(|context| async move {
        Ok::<_, String>(context.scheduled_run_times().len())
    });
    env.add(JobBuilder::with_task(task, DateTrigger::new(t(1))).id("inline-async"));
    env.start();

    env.tick(1);
    let mut executed = [
        env.wait(EventKind::JobExecuted),
        env.wait(EventKind::JobExecuted),
    ];
    executed.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    assert_eq!(executed[0].job_id.as_deref(), Some("inline"));
    assert_eq!(executed[0].return_value, Some(json!("hello from inline")));
    assert_eq!(executed[1].job_id.as_deref(), Some("inline-async"));
    assert_eq!(executed[1].return_value, Some(json!(1)));
}

#[test]
fn a_closure_job_has_no_stored_form() {
    let env = env();
    let task = JobTask::closure(|_| Ok::<_, String>(()));
    let job = env.add(JobBuilder::with_task(task, every(1)).id("inline"));
    let error = job.to_stored().unwrap_err();
    assert_eq!(error.field(), Some("task"));
    let message = error.to_string();
    assert!(message.contains("\"inline\" holds a closure"), "{message}");
    assert!(
        message.contains("register the function by name with Tasks::register"),
        "{message}"
    );
    assert!(message.contains("JobTask::named"), "{message}");

    // A named job has one.
    let job = env.add(job_named_stored());
    let stored = job.to_stored().unwrap();
    assert_eq!(stored.task, "record");
    assert_eq!(stored.id, "named");
}

fn job_named_stored() -> JobBuilder {
    JobBuilder::new("record", every(1)).id("named")
}

#[test]
fn a_store_that_cannot_keep_closures_refuses_a_closure_job() {
    let env = env_with(SchedulerBuilder::new().store("disk", SharedMemory::default()));
    let task = JobTask::closure(|_| Ok::<_, String>(()));
    let error = env
        .scheduler
        .add_job(
            JobBuilder::with_task(task, every(1))
                .id("inline")
                .store("disk"),
        )
        .unwrap_err();
    assert_eq!(error.field(), Some("task"));
    assert!(error.to_string().contains("Tasks::register"), "{error}");
    // A named task is fine there.
    env.add(
        JobBuilder::new("record", every(1))
            .id("named")
            .store("disk"),
    );
    assert_eq!(env.ids(), ["named"]);
}
