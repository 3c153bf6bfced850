//! The engine's semantics: max_instances.

use super::*;

#[test]
fn max_instances_reached_skips_the_run_with_an_event() {
    let env = env();
    env.add(JobBuilder::new("block", every(1)).id("slow"));
    env.start();

    env.tick(0);
    assert_eq!(env.ran().times, vec![t(0)]); // running, held at the gate

    env.tick(1);
    let skipped = env.take(EventKind::JobMaxInstances);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].job_id.as_deref(), Some("slow"));
    assert_eq!(skipped[0].scheduled_run_times, vec![t(1)]);
    assert_eq!(
        skipped[0].error.as_deref(),
        Some("already running 1 instance(s), the maximum")
    );
    assert_eq!(env.take(EventKind::JobSubmitted).len(), 1); // only the first
    // The schedule moves on all the same, as in APScheduler.
    assert_eq!(env.next_run_time("slow"), Some(t(2)));

    env.gate.open();
    let executed = env.wait(EventKind::JobExecuted);
    assert_eq!(executed.scheduled_run_times, vec![t(0)]);
    assert_eq!(executed.return_value, Some(json!("released")));
}

#[test]
fn max_instances_above_one_lets_that_many_run_at_once() {
    // Tokio's blocking pool, not the thread pool: see
    // `a_run_never_waits_in_the_queue_while_the_pool_has_room`.
    let env = env_with(SchedulerBuilder::new().executor("tokio", Executor::async_tasks()));
    env.add(
        JobBuilder::new("block", every(1))
            .id("slow")
            .executor("tokio")
            .max_instances(2),
    );
    env.start();

    env.tick(0);
    env.tick(1);
    env.tick(2);
    let mut started = vec![env.ran().times, env.ran().times];
    started.sort();
    assert_eq!(started, vec![vec![t(0)], vec![t(1)]]);
    let skipped = env.take(EventKind::JobMaxInstances);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].scheduled_run_times, vec![t(2)]);
    env.gate.open();
    assert_eq!(env.wait_n(EventKind::JobExecuted, 2).len(), 2);
}

/// A pool of 10 threads with one thread held by a blocked run must start the
/// next run on another thread at once, however the submission interleaves
/// with the first worker picking up its run. Repeated because the window is
/// small.
#[test]
fn a_run_never_waits_in_the_queue_while_the_pool_has_room() {
    for round in 0..2000 {
        let env = env();
        env.add(
            JobBuilder::new("block", every(1))
                .id("slow")
                .max_instances(2),
        );
        env.start();
        env.tick(0);
        env.tick(1);
        let mut started = Vec::new();
        for _ in 0..2 {
            match env.runs.recv_timeout(PATIENCE) {
                Ok(ran) => started.extend(ran.times),
                Err(_) => panic!(
                    "round {round}: only {started:?} started; the other run waits in the queue behind the blocked one"
                ),
            }
        }
        started.sort();
        assert_eq!(started, vec![t(0), t(1)]);
        env.gate.open();
        env.scheduler.shutdown(true).unwrap();
    }
}

/// APScheduler 3 counts a run as ended before it dispatches
/// `EVENT_JOB_EXECUTED`, so a listener reacting to that event may start the
/// job again.
#[test]
fn a_listener_of_job_executed_sees_the_instance_released() {
    let env = env();
    env.add(
        JobBuilder::new("record", every(60))
            .id("once-more")
            .max_instances(1),
    );
    let again = env.scheduler.clone();
    let done = Arc::new(AtomicBool::new(false));
    let (verdict, verdicts) = mpsc::channel();
    env.scheduler
        .listeners()
        .add(EventMask::JOB_EXECUTED, move |_| {
            if !done.swap(true, Ordering::SeqCst) {
                let _ = verdict.send(again.run_job_now("once-more"));
            }
        });
    env.start();

    env.tick(0);
    verdicts.recv_timeout(PATIENCE).unwrap().unwrap();
    assert!(
        env.take(EventKind::JobMaxInstances).is_empty(),
        "the run started from the listener was skipped: the first run still counted as running"
    );
    assert_eq!(env.wait_n(EventKind::JobExecuted, 2).len(), 2);
}

/// Runs that hold their workers get every worker of the pool: ten runs
/// that each wait until all ten have started all start. The pool keeps
/// the runs in progress to one fewer than the machine's processors while
/// they are short; a worker watching the runs left waiting takes one
/// whenever none is taken for a while, so that runs held by long runs
/// still start (one more each millisecond).
#[test]
fn runs_that_hold_their_workers_get_every_worker_of_the_pool() {
    const RUNS: usize = 10;
    let started = Arc::new((Mutex::new(0usize), Condvar::new()));
    let (sink, met) = mpsc::channel();
    let tasks = Tasks::new();
    {
        let started = Arc::clone(&started);
        let sink = Mutex::new(sink);
        tasks.register("rendezvous", move |_: JobContext, _: ()| {
            let (count, all) = &*started;
            let mut count = count.lock().unwrap();
            *count += 1;
            all.notify_all();
            let (count, _) = all
                .wait_timeout_while(count, PATIENCE, |count| *count < RUNS)
                .unwrap();
            let _ = sink.lock().unwrap().send(*count);
            Ok::<(), String>(())
        });
    }
    let _scheduler = run_due_together(tasks, "rendezvous", RUNS, RUNS);
    for _ in 0..RUNS {
        let seen = met.recv_timeout(PATIENCE).expect("a run never ended");
        assert_eq!(seen, RUNS, "a run gave up waiting: not every run started");
    }
}

/// Short runs that wait on I/O (here a millisecond's sleep each) get every
/// worker too: the queue does not run empty while they wait, so the pool's
/// limit of runs in progress rises, a worker a millisecond, until all ten
/// run at once. (A limit that rose only when no run at all was taken kept
/// these to three at once.)
#[test]
fn short_runs_that_wait_on_io_get_every_worker_of_the_pool() {
    const WORKERS: usize = 10;
    const RUNS: usize = 300;
    // (in progress now, most at once)
    let in_progress = Arc::new(Mutex::new((0usize, 0usize)));
    let (sink, ended) = mpsc::channel();
    let tasks = Tasks::new();
    {
        let in_progress = Arc::clone(&in_progress);
        let sink = Mutex::new(sink);
        tasks.register("wait_on_io", move |_: JobContext, _: ()| {
            {
                let mut counts = in_progress.lock().unwrap();
                counts.0 += 1;
                counts.1 = counts.1.max(counts.0);
            }
            std::thread::sleep(Duration::from_millis(1));
            in_progress.lock().unwrap().0 -= 1;
            let _ = sink.lock().unwrap().send(());
            Ok::<(), String>(())
        });
    }
    let _scheduler = run_due_together(tasks, "wait_on_io", RUNS, WORKERS);
    for _ in 0..RUNS {
        ended.recv_timeout(PATIENCE).expect("a run never ended");
    }
    assert_eq!(in_progress.lock().unwrap().1, WORKERS);
}

/// A host-driven scheduler with `tasks` and a thread pool of `workers`,
/// started with `runs` one-shot jobs of task `task` due at once, and
/// driven once: their runs are handed to the pool.
fn run_due_together(tasks: Tasks, task: &str, runs: usize, workers: usize) -> HostScheduler {
    let scheduler = SchedulerBuilder::new()
        .clock(ManualClock::new(at(T0)))
        .timezone("UTC")
        .tasks(tasks)
        .executor("default", Executor::thread_pool(workers).unwrap())
        .host_driven()
        .unwrap();
    for _ in 0..runs {
        scheduler
            .add_job(JobBuilder::new(task, DateTrigger::new(t(0))))
            .unwrap();
    }
    scheduler.start().unwrap();
    scheduler.run_pending(t(0));
    scheduler
}
