//! The engine's semantics: removing, listing.

use super::*;

#[test]
fn remove_job_and_remove_all_jobs_emit_events() {
    let env = env();
    env.add(job("record", "a", 1));
    env.add(job("record", "b", 1));
    env.add(job("record", "c", 1));

    env.scheduler.remove_job("b").unwrap();
    let removed = env.take(EventKind::JobRemoved);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].job_id.as_deref(), Some("b"));
    assert_eq!(removed[0].store.as_deref(), Some("default"));
    assert!(env.scheduler.get_job("b").unwrap().is_none());
    let error = env.scheduler.remove_job("b").unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.to_string(), "job \"b\" not found");

    env.scheduler.remove_all_jobs(None).unwrap();
    let all = env.take(EventKind::AllJobsRemoved);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].store, None);
    assert!(env.ids().is_empty());

    env.add(job("record", "d", 1));
    env.scheduler.remove_all_jobs(Some("default")).unwrap();
    assert_eq!(
        env.take(EventKind::AllJobsRemoved)[0].store.as_deref(),
        Some("default")
    );
    assert!(env.ids().is_empty());
    assert!(
        env.scheduler
            .remove_all_jobs(Some("nope"))
            .unwrap_err()
            .is_not_found()
    );

    env.start();
    assert_eq!(env.tick(5), None);
    assert!(env.take(EventKind::JobSubmitted).is_empty());
}

#[test]
fn list_jobs_orders_by_next_run_time_with_paused_jobs_last() {
    let env = env_with(SchedulerBuilder::new().store("other", MemoryStore::new()));
    env.add(JobBuilder::new("record", DateTrigger::new(t(30))).id("a"));
    env.add(JobBuilder::new("record", DateTrigger::new(t(10))).id("b"));
    env.add(
        JobBuilder::new("record", DateTrigger::new(t(10)))
            .id("e")
            .paused(),
    );
    env.add(JobBuilder::new("record", DateTrigger::new(t(20))).id("d"));
    env.add(
        JobBuilder::new("record", DateTrigger::new(t(5)))
            .id("c")
            .paused(),
    );
    env.add(
        JobBuilder::new("record", DateTrigger::new(t(1)))
            .id("z")
            .store("other"),
    );

    let default: Vec<String> = env
        .scheduler
        .list_jobs(Some("default"))
        .unwrap()
        .iter()
        .map(|job| job.id().to_owned())
        .collect();
    assert_eq!(default, ["b", "d", "a", "c", "e"]);
    let other = env.scheduler.list_jobs(Some("other")).unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].store(), "other");
    // Every store, each store's jobs in turn.
    assert_eq!(env.ids(), ["b", "d", "a", "c", "e", "z"]);
    assert!(
        env.scheduler
            .list_jobs(Some("nope"))
            .unwrap_err()
            .is_not_found()
    );

    let job = env.scheduler.get_job("z").unwrap().unwrap();
    assert_eq!(job.store(), "other");
    assert_eq!(job.next_run_time(), Some(t(1)));
    assert!(env.scheduler.get_job("nope").unwrap().is_none());

    // The wake-up is the earliest over every store.
    env.start();
    assert_eq!(env.scheduler.run_pending(t(0)), Some(t(1)));
}
