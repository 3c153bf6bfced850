//! The engine's semantics: shutdown and the lifecycle.

use super::*;

#[test]
fn shutdown_with_wait_returns_after_the_running_jobs_finish() {
    let env = env();
    env.add(JobBuilder::new("block", DateTrigger::new(t(1))).id("slow"));
    env.start();
    env.tick(1);
    env.ran(); // the run is in progress, held at the gate

    let order = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&order);
    env.scheduler.listeners().add(
        EventMask::JOB_EXECUTED | EventMask::SCHEDULER_SHUTDOWN,
        move |event| {
            sink.lock().unwrap().push(event.kind.to_string());
        },
    );
    let scheduler = env.scheduler.clone();
    let sink = Arc::clone(&order);
    let shutting_down = std::thread::spawn(move || {
        let result = scheduler.shutdown(true);
        sink.lock().unwrap().push("shutdown returned".to_owned());
        result
    });
    // Shutdown has begun (the state changes first) but cannot end while
    // the run is held.
    wait_until(|| env.scheduler.state() == SchedulerState::ShutDown);
    assert!(order.lock().unwrap().is_empty());
    assert!(!shutting_down.is_finished());

    env.gate.open();
    shutting_down.join().unwrap().unwrap();
    assert_eq!(
        *order.lock().unwrap(),
        ["job_executed", "scheduler_shutdown", "shutdown returned"]
    );
    // Nothing runs after shutdown.
    assert_eq!(env.scheduler.run_pending(t(100)), None);
}

#[test]
fn shutdown_without_wait_cancels_the_running_jobs() {
    let env = env();
    env.add(JobBuilder::new("until_cancelled", DateTrigger::new(t(1))).id("long"));
    env.start();
    env.tick(1);
    env.ran(); // running, polling its cancellation

    env.scheduler.shutdown(false).unwrap();
    assert_eq!(env.scheduler.state(), SchedulerState::ShutDown);
    let executed = env.wait(EventKind::JobExecuted);
    assert_eq!(executed.job_id.as_deref(), Some("long"));
    assert_eq!(executed.return_value, Some(json!("cancelled")));
}

#[test]
fn lifecycle_errors_and_state_transitions() {
    let env = env();
    let scheduler = &env.scheduler;
    assert_eq!(scheduler.state(), SchedulerState::Stopped);
    env.add(job("record", "tick", 1));

    // Before start.
    let error = scheduler.shutdown(true).unwrap_err();
    assert!(error.is_state());
    assert_eq!(error.to_string(), "the scheduler is not running");
    assert!(scheduler.pause().unwrap_err().is_state());
    assert!(scheduler.resume().unwrap_err().is_state());
    assert!(scheduler.run_job_now("tick").unwrap_err().is_state());
    // Not started: nothing runs.
    assert_eq!(scheduler.run_pending(t(5)), None);
    assert!(env.take(EventKind::JobSubmitted).is_empty());

    scheduler.start().unwrap();
    assert_eq!(scheduler.state(), SchedulerState::Running);
    let error = scheduler.start().unwrap_err();
    assert!(error.is_state());
    assert_eq!(error.to_string(), "the scheduler is already running");

    scheduler.pause().unwrap();
    assert_eq!(scheduler.state(), SchedulerState::Paused);
    assert!(scheduler.start().unwrap_err().is_state());
    scheduler.resume().unwrap();
    assert_eq!(scheduler.state(), SchedulerState::Running);

    scheduler.shutdown(true).unwrap();
    assert_eq!(scheduler.state(), SchedulerState::ShutDown);
    let error = scheduler.start().unwrap_err();
    assert!(error.is_state());
    assert_eq!(
        error.to_string(),
        "the scheduler was shut down; build a new one to start again"
    );
    assert!(scheduler.pause().unwrap_err().is_state());
    let error = scheduler.add_job(job("record", "late", 1)).unwrap_err();
    assert!(error.is_state());
    // A second shutdown is harmless.
    scheduler.shutdown(true).unwrap();

    let kinds: Vec<EventKind> = {
        env.pull();
        env.buffer
            .borrow()
            .iter()
            .map(|event| event.kind)
            .filter(|kind| *kind != EventKind::JobAdded)
            .collect()
    };
    assert_eq!(
        kinds,
        [
            EventKind::SchedulerStarted,
            EventKind::SchedulerPaused,
            EventKind::SchedulerResumed,
            EventKind::SchedulerShutdown
        ]
    );
}

#[test]
fn a_host_scheduler_started_paused_runs_nothing_until_resumed() {
    let env = env();
    env.add(job("record", "tick", 1));
    env.scheduler.start_paused().unwrap();
    assert_eq!(env.scheduler.state(), SchedulerState::Paused);
    assert_eq!(env.tick(2), None);
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    env.scheduler.resume().unwrap();
    assert_eq!(env.tick(2), Some(t(3)));
    assert_eq!(env.ran().times, vec![t(0), t(1), t(2)]);
}

/// APScheduler 3 adds a job given before `start` "tentatively": its first
/// run time is computed when the scheduler starts, so fire times that passed
/// before the start are not runs it missed.
#[test]
fn a_job_added_before_start_is_scheduled_from_the_start() {
    let env = env();
    let crontab = CronTrigger::crontab("0 * * * *")
        .timezone("UTC")
        .build()
        .unwrap();
    env.clock.set(t(30));
    env.add(JobBuilder::new("record", crontab).id("hourly"));
    env.clock.set(t(150)); // 02:30
    env.start();
    assert_eq!(env.scheduler.run_pending(t(150)), Some(t(180)));
    assert!(
        env.take(EventKind::JobSubmitted).is_empty(),
        "the 01:00 and 02:00 fire times, before the start, ran at the start"
    );
}
