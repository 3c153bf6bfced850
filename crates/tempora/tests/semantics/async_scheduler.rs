//! The engine's semantics: the async scheduler.

use super::*;

/// An async scheduler on a manual clock at `T0` with the test tasks.
fn async_env() -> (ManualClock, AsyncScheduler, Arc<Gate>, Receiver<Ran>) {
    let clock = ManualClock::new(at(T0));
    let gate = Arc::new(Gate::default());
    let (sink, runs) = mpsc::channel();
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .tasks(tasks(sink, &gate))
        .asynchronous()
        .unwrap();
    (clock, scheduler, gate, runs)
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
async fn next_of(stream: &mut tempora::event::EventStream) -> Event {
    tokio::time::timeout(PATIENCE, stream.recv())
        .await
        .expect("no event within the patience")
        .expect("the stream ended")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_scheduler_runs_a_job_when_the_clock_reaches_it() {
    let (clock, scheduler, _gate, _runs) = async_env();
    let mut events = scheduler
        .listeners()
        .subscribe(EventMask::JOB_EXECUTED | EventMask::JOB_ERROR);
    scheduler
        .add_job(
            JobBuilder::new("double", every(10))
                .id("math")
                .args(&json!({"n": 3}))
                .max_instances(10),
        )
        .await
        .unwrap();
    scheduler.start().await.unwrap();
    let first = next_of(&mut events).await;
    assert_eq!(first.scheduled_run_times, vec![t(0)]);
    assert_eq!(first.return_value, Some(json!(6)));

    clock.set(t(10));
    let second = next_of(&mut events).await;
    assert_eq!(second.scheduled_run_times, vec![t(10)]);
    assert_eq!(
        scheduler
            .get_job("math")
            .await
            .unwrap()
            .unwrap()
            .next_run_time(),
        Some(t(20))
    );
    scheduler.shutdown(true).await.unwrap();
    assert_eq!(scheduler.state(), SchedulerState::ShutDown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_scheduler_coalesces_and_misses_after_a_clock_jump() {
    let (clock, scheduler, _gate, _runs) = async_env();
    let mut events = scheduler
        .listeners()
        .subscribe(EventMask::JOB_EXECUTED | EventMask::JOB_MISSED);
    scheduler
        .add_job(
            JobBuilder::new("record", every(1))
                .id("tick")
                .next_run_time(t(1))
                .misfire_grace_time(MisfireGraceTime::Limit(secs(150))),
        )
        .await
        .unwrap();
    scheduler.start().await.unwrap();
    clock.set(t(5));
    let missed = next_of(&mut events).await;
    assert_eq!(missed.kind, EventKind::JobMissed);
    assert_eq!(missed.scheduled_run_times, vec![t(1), t(2)]);
    let executed = next_of(&mut events).await;
    assert_eq!(executed.kind, EventKind::JobExecuted);
    assert_eq!(executed.scheduled_run_times, vec![t(3), t(4), t(5)]);
    scheduler.shutdown(true).await.unwrap();
}

#[tokio::test]
async fn async_scheduler_pause_and_resume_on_a_current_thread_runtime() {
    let (clock, scheduler, _gate, _runs) = async_env();
    let mut events = scheduler.listeners().subscribe(
        EventMask::SCHEDULER_PAUSED | EventMask::SCHEDULER_RESUMED | EventMask::JOB_SUBMITTED,
    );
    scheduler
        .add_job(
            JobBuilder::new("record", every(1))
                .id("tick")
                .next_run_time(t(1)),
        )
        .await
        .unwrap();
    scheduler.start().await.unwrap();
    scheduler.pause().unwrap();
    assert_eq!(scheduler.state(), SchedulerState::Paused);
    clock.set(t(3));
    tokio::task::yield_now().await;
    scheduler.resume().unwrap();

    assert_eq!(next_of(&mut events).await.kind, EventKind::SchedulerPaused);
    assert_eq!(next_of(&mut events).await.kind, EventKind::SchedulerResumed);
    // Nothing was submitted while paused; after resuming, one coalesced run.
    let submitted = next_of(&mut events).await;
    assert_eq!(submitted.kind, EventKind::JobSubmitted);
    assert_eq!(submitted.scheduled_run_times, vec![t(1), t(2), t(3)]);
    scheduler.shutdown(true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_scheduler_shutdown_waits_for_a_blocked_run() {
    let (clock, scheduler, gate, runs) = async_env();
    let mut events = scheduler
        .listeners()
        .subscribe(EventMask::JOB_EXECUTED | EventMask::SCHEDULER_SHUTDOWN);
    scheduler
        .add_job(JobBuilder::new("block", DateTrigger::new(t(1))).id("slow"))
        .await
        .unwrap();
    scheduler.start().await.unwrap();
    clock.set(t(1));
    tokio::task::spawn_blocking(move || runs.recv_timeout(PATIENCE))
        .await
        .unwrap()
        .unwrap();
    let shutting_down = tokio::spawn({
        let scheduler = scheduler.clone();
        async move { scheduler.shutdown(true).await }
    });
    while scheduler.state() != SchedulerState::ShutDown {
        tokio::task::yield_now().await;
    }
    assert!(!shutting_down.is_finished());
    gate.open();
    shutting_down.await.unwrap().unwrap();
    assert_eq!(next_of(&mut events).await.kind, EventKind::JobExecuted);
    assert_eq!(
        next_of(&mut events).await.kind,
        EventKind::SchedulerShutdown
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_shutdown_runs_the_jobs_a_cycle_under_way_has_claimed() {
    let clock = ManualClock::new(at(T0));
    let gate = Arc::new(Gate::default());
    let (sink, runs) = mpsc::channel();
    let store = Arc::new(SharedMemory::default());
    store.armed.store(true, Ordering::SeqCst);
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .tasks(tasks(sink, &gate))
        .store("default", Arc::clone(&store) as Arc<dyn JobStore>)
        .asynchronous()
        .unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    scheduler
        .listeners()
        .add(EventMask::ALL, move |event: &Event| {
            seen.lock().unwrap().push(event.kind);
        });
    scheduler
        .add_job(JobBuilder::new("record", DateTrigger::new(at(T0))).id("due"))
        .await
        .unwrap();
    scheduler.start().await.unwrap();
    // The loop has claimed the due job and is held before handing it over.
    store.claiming.notified().await;

    let mut shutdown = std::pin::pin!(scheduler.shutdown(true));
    // The shutdown gets as far as it can while the cycle is held.
    let mut result = None;
    for _ in 0..1_000 {
        result = std::future::poll_fn(|context| {
            std::task::Poll::Ready(match shutdown.as_mut().poll(context) {
                std::task::Poll::Ready(result) => Some(result),
                std::task::Poll::Pending => None,
            })
        })
        .await;
        if result.is_some() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(scheduler.state(), SchedulerState::ShutDown);
    store.release.notify_one();
    match result {
        Some(result) => result.unwrap(),
        None => shutdown.await.unwrap(),
    }

    // The claimed job ran before the shutdown ended, and was not refused
    // by an executor already closed.
    assert_eq!(runs.try_recv().unwrap().job, "due");
    let events = events.lock().unwrap().clone();
    assert!(!events.contains(&EventKind::JobError), "{events:?}");
    let executed = events
        .iter()
        .position(|kind| *kind == EventKind::JobExecuted)
        .expect("the claimed job ran");
    let shut_down = events
        .iter()
        .position(|kind| *kind == EventKind::SchedulerShutdown)
        .unwrap();
    assert!(executed < shut_down, "{events:?}");
}
