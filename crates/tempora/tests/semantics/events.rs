//! The engine's semantics: events and listeners.

use super::*;

#[test]
fn events_carry_the_job_the_run_times_and_the_outcome() {
    let env = env();
    env.add(
        JobBuilder::new("double", DateTrigger::new(t(1)))
            .id("math")
            .args(&json!({"n": 5})),
    );
    env.add(JobBuilder::new("fail", DateTrigger::new(t(1))).id("flaky"));
    let added = env.take(EventKind::JobAdded);
    let ids: Vec<_> = added.iter().map(|event| event.job_id.as_deref()).collect();
    assert_eq!(ids, [Some("math"), Some("flaky")]);
    assert!(
        added
            .iter()
            .all(|event| event.store.as_deref() == Some("default"))
    );

    env.start();
    assert_eq!(env.take(EventKind::SchedulerStarted).len(), 1);
    env.tick(1);
    let submitted = env.take(EventKind::JobSubmitted);
    assert_eq!(submitted.len(), 2);
    for event in &submitted {
        assert_eq!(event.executor.as_deref(), Some("default"));
        assert_eq!(event.scheduled_run_times, vec![t(1)]);
    }

    let executed = env.wait(EventKind::JobExecuted);
    assert_eq!(executed.job_id.as_deref(), Some("math"));
    assert_eq!(executed.store.as_deref(), Some("default"));
    assert_eq!(executed.executor.as_deref(), Some("default"));
    assert_eq!(executed.scheduled_run_time(), Some(t(1)));
    assert_eq!(executed.return_value, Some(json!(10)));
    assert_eq!(executed.error, None);
    assert_eq!(
        executed.to_string(),
        "job_executed job=math store=default executor=default scheduled=2026-01-01T00:01:00Z"
    );

    let error = env.wait(EventKind::JobError);
    assert_eq!(error.job_id.as_deref(), Some("flaky"));
    assert_eq!(error.scheduled_run_time(), Some(t(1)));
    assert_eq!(error.error.as_deref(), Some("boom"));
    assert_eq!(error.return_value, None);

    // Both date jobs are done.
    let mut removed: Vec<_> = env
        .take(EventKind::JobRemoved)
        .into_iter()
        .map(|event| event.job_id)
        .collect();
    removed.sort();
    assert_eq!(removed, [Some("flaky".to_owned()), Some("math".to_owned())]);
}

#[test]
fn listeners_get_only_the_kinds_in_their_mask_until_removed() {
    let env = env();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let id = env.scheduler.listeners().add(
        EventMask::JOB_ADDED | EventMask::JOB_REMOVED,
        move |event| {
            sink.lock()
                .unwrap()
                .push((event.kind, event.job_id.clone()))
        },
    );
    // A listener that panics is contained.
    env.scheduler
        .listeners()
        .add(EventMask::JOB_ADDED, |_| panic!("a listener's bug"));

    env.add(job("record", "a", 1));
    env.scheduler.pause_job("a").unwrap(); // JobModified: not in the mask
    env.scheduler.remove_job("a").unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            (EventKind::JobAdded, Some("a".to_owned())),
            (EventKind::JobRemoved, Some("a".to_owned()))
        ]
    );

    assert!(env.scheduler.listeners().remove(id));
    assert!(!env.scheduler.listeners().remove(id));
    env.add(job("record", "b", 1));
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
#[test]
fn an_event_stream_delivers_the_kinds_in_its_mask_in_order() {
    let env = env();
    let mut stream = env
        .scheduler
        .listeners()
        .subscribe(EventMask::JOB_ADDED | EventMask::JOB_EXECUTED);
    env.add(JobBuilder::new("record", DateTrigger::new(t(1))).id("once"));
    env.start();
    env.tick(1);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let kinds = runtime.block_on(async {
        let mut kinds = Vec::new();
        for _ in 0..2 {
            let event = tokio::time::timeout(PATIENCE, stream.recv())
                .await
                .expect("no event within the patience")
                .expect("the stream ended");
            assert_eq!(event.job_id.as_deref(), Some("once"));
            kinds.push(event.kind);
        }
        kinds
    });
    assert_eq!(kinds, [EventKind::JobAdded, EventKind::JobExecuted]);
    // Nothing else was in the mask (SchedulerStarted, JobSubmitted, JobRemoved).
    env.scheduler.shutdown(true).unwrap();
    assert_eq!(stream.try_recv(), None);
}
