//! The four scheduler kinds are four faces of one engine, each usable the
//! way its kind promises:
//!
//! * a [`BackgroundScheduler`] handle is `Clone + Send + Sync` and works from
//!   any thread while its loop runs on a thread of its own;
//! * [`BlockingScheduler::start`] blocks until it is shut down: from another
//!   thread, from one of its jobs, or by SIGTERM (proven in a child process,
//!   which must print that it shut down gracefully and exit with 0);
//! * an [`AsyncScheduler`] runs inside `#[tokio::test]`, and the sync faces
//!   refuse to be called from async code rather than deadlock;
//! * a [`HostScheduler`] is driven by a plain (non-tokio) event loop through
//!   `run_pending(now) -> next wake-up` (see also `examples/host_loop.rs`).
//!
//! Every test but the SIGTERM one drives a manual clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use tempora::clock::ManualClock;
use tempora::event::{Event, EventKind, EventMask};
use tempora::job::JobBuilder;
use tempora::scheduler::{
    AsyncScheduler, BackgroundScheduler, BlockingScheduler, HostScheduler, SchedulerBuilder,
    SchedulerState, SyncScheduler,
};
use tempora::task::{JobContext, JobTask, Tasks};
use tempora::trigger::{DateTrigger, IntervalTrigger};

const PATIENCE: Duration = Duration::from_secs(10);

const T0: &str = "2026-01-01T00:00:00Z";

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// `T0` plus `minutes`.
fn t(minutes: i64) -> Timestamp {
    at(T0)
        .checked_add(SignedDuration::from_mins(minutes))
        .unwrap()
}

/// A registry with `record`: returns its job id and scheduled times.
fn tasks() -> Tasks {
    let tasks = Tasks::new();
    tasks.register("record", |context: JobContext, _: ()| {
        Ok::<_, String>(json!({
            "job": context.job_id(),
            "times": context.scheduled_run_times(),
        }))
    });
    tasks
}

fn builder(clock: &ManualClock) -> SchedulerBuilder {
    SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .tasks(tasks())
}

/// Every event of `mask`, sent to a channel.
fn listen(scheduler: &SyncScheduler, mask: EventMask) -> Receiver<Event> {
    let (sink, events) = mpsc::channel();
    scheduler.listeners().add(mask, move |event| {
        let _ = sink.send(event.clone());
    });
    events
}

fn next(events: &Receiver<Event>) -> Event {
    events
        .recv_timeout(PATIENCE)
        .expect("no event within the patience")
}

// ---- every handle can be shared ---------------------------------------------

fn assert_shareable<T: Clone + Send + Sync + 'static>() {}

#[test]
fn every_scheduler_handle_is_clone_send_and_sync() {
    assert_shareable::<BackgroundScheduler>();
    assert_shareable::<BlockingScheduler>();
    assert_shareable::<HostScheduler>();
    assert_shareable::<SyncScheduler>();
    assert_shareable::<AsyncScheduler>();
}

// ---- BackgroundScheduler ----------------------------------------------------

#[test]
fn a_background_scheduler_is_usable_from_other_threads() {
    let clock = ManualClock::new(at(T0));
    let scheduler = builder(&clock).background().unwrap();
    let events = listen(
        &scheduler,
        EventMask::JOB_SUBMITTED | EventMask::JOB_EXECUTED,
    );
    scheduler.start().unwrap();

    // Four threads add a job each.
    let adders: Vec<_> = (0..4)
        .map(|index| {
            let scheduler = scheduler.clone();
            std::thread::spawn(move || {
                scheduler
                    .add_job(
                        JobBuilder::new("record", DateTrigger::new(t(1)))
                            .id(format!("job-{index}")),
                    )
                    .unwrap()
            })
        })
        .collect();
    for adder in adders {
        adder.join().unwrap();
    }
    assert_eq!(scheduler.list_jobs(None).unwrap().len(), 4);

    // Another pauses one job and removes another.
    let elsewhere = scheduler.clone();
    std::thread::spawn(move || {
        elsewhere.pause_job("job-0").unwrap();
        elsewhere.remove_job("job-1").unwrap();
    })
    .join()
    .unwrap();

    clock.set(t(1));
    let mut ran = BTreeSet::new();
    while ran.len() < 2 {
        let event = next(&events);
        if event.kind == EventKind::JobExecuted {
            ran.insert(event.job_id.unwrap());
        }
    }
    assert_eq!(
        ran,
        BTreeSet::from(["job-2".to_owned(), "job-3".to_owned()])
    );

    // Pause and resume the scheduler from other threads.
    let elsewhere = scheduler.clone();
    std::thread::spawn(move || elsewhere.pause())
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(scheduler.state(), SchedulerState::Paused);
    let elsewhere = scheduler.clone();
    std::thread::spawn(move || elsewhere.resume())
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(scheduler.state(), SchedulerState::Running);

    // Shut down from another thread: it waits for the loop thread to end.
    let elsewhere = scheduler.clone();
    std::thread::spawn(move || elsewhere.shutdown(true))
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(scheduler.state(), SchedulerState::ShutDown);
    // Everything has been reported by now: the paused and the removed jobs
    // never ran.
    let submitted: BTreeSet<String> = events
        .try_iter()
        .filter(|event| event.kind == EventKind::JobSubmitted)
        .map(|event| event.job_id.unwrap())
        .collect();
    assert!(!submitted.contains("job-0"), "{submitted:?}");
    assert!(!submitted.contains("job-1"), "{submitted:?}");
    assert!(scheduler.get_job("job-0").unwrap().unwrap().is_paused());
}

#[test]
fn a_background_scheduler_wakes_for_a_job_added_or_moved_while_it_sleeps() {
    let clock = ManualClock::new(at(T0));
    let scheduler = builder(&clock).background().unwrap();
    let events = listen(&scheduler, EventMask::JOB_EXECUTED);
    scheduler.start().unwrap();

    // Nothing scheduled: the loop sleeps with no deadline. A job due now
    // wakes it without the clock moving.
    scheduler
        .add_job(JobBuilder::new("record", DateTrigger::new(t(0))).id("now"))
        .unwrap();
    let event = next(&events);
    assert_eq!(event.job_id.as_deref(), Some("now"));
    assert_eq!(event.scheduled_run_times, vec![t(0)]);

    // The loop sleeps until 60 min; moving the job to 5 min must shorten that.
    scheduler
        .add_job(JobBuilder::new("record", DateTrigger::new(t(60))).id("later"))
        .unwrap();
    scheduler
        .modify_job("later", tempora::job::JobChanges::new().next_run_time(t(5)))
        .unwrap();
    clock.set(t(5));
    let event = next(&events);
    assert_eq!(event.job_id.as_deref(), Some("later"));
    assert_eq!(event.scheduled_run_times, vec![t(5)]);
    scheduler.shutdown(true).unwrap();
}

#[test]
fn a_background_scheduler_started_paused_runs_nothing_until_resumed() {
    let clock = ManualClock::new(at(T0));
    let scheduler = builder(&clock).background().unwrap();
    // The state each run was submitted in: a run submitted while paused
    // would show it.
    let states = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&states);
    let observed = scheduler.clone();
    scheduler
        .listeners()
        .add(EventMask::JOB_SUBMITTED, move |event| {
            sink.lock().unwrap().push((
                event.job_id.clone().unwrap(),
                event.scheduled_run_times.clone(),
                observed.state(),
            ));
        });
    let executed = listen(&scheduler, EventMask::JOB_EXECUTED);
    scheduler
        .add_job(JobBuilder::new("record", DateTrigger::new(t(1))).id("once"))
        .unwrap();
    scheduler.start_paused().unwrap();
    assert_eq!(scheduler.state(), SchedulerState::Paused);
    clock.set(t(2));
    // Adding a job wakes the loop while it is paused; it must still run
    // nothing.
    scheduler
        .add_job(JobBuilder::new("record", DateTrigger::new(t(2))).id("twice"))
        .unwrap();
    scheduler.resume().unwrap();
    let mut ran = BTreeSet::new();
    while ran.len() < 2 {
        ran.insert(next(&executed).job_id.unwrap());
    }
    scheduler.shutdown(true).unwrap();
    let mut states = states.lock().unwrap().clone();
    states.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        states,
        [
            ("once".to_owned(), vec![t(1)], SchedulerState::Running),
            ("twice".to_owned(), vec![t(2)], SchedulerState::Running),
        ]
    );
}

// ---- BlockingScheduler -----------------------------------------------------

#[test]
fn blocking_start_blocks_until_another_thread_shuts_it_down() {
    let clock = ManualClock::new(at(T0));
    let scheduler = builder(&clock).blocking().unwrap();
    let events = listen(
        &scheduler,
        EventMask::SCHEDULER_STARTED | EventMask::JOB_EXECUTED,
    );
    scheduler
        .add_job(
            JobBuilder::new(
                "record",
                IntervalTrigger::builder()
                    .minutes(1)
                    .start_date(t(1))
                    .timezone("UTC")
                    .build()
                    .unwrap(),
            )
            .id("tick"),
        )
        .unwrap();

    let running = scheduler.clone();
    let blocked = std::thread::spawn(move || running.start());
    assert_eq!(next(&events).kind, EventKind::SchedulerStarted);
    assert_eq!(scheduler.state(), SchedulerState::Running);

    // The loop runs on the blocked thread.
    clock.set(t(1));
    let executed = next(&events);
    assert_eq!(executed.kind, EventKind::JobExecuted);
    assert_eq!(executed.scheduled_run_times, vec![t(1)]);
    assert!(!blocked.is_finished());

    scheduler.shutdown(true).unwrap();
    blocked.join().unwrap().unwrap();
    assert_eq!(scheduler.state(), SchedulerState::ShutDown);
    // Started twice is refused, even after.
    assert!(scheduler.start().unwrap_err().is_state());
}

#[test]
fn blocking_start_returns_when_one_of_its_jobs_shuts_it_down() {
    let clock = ManualClock::new(at(T0));
    let scheduler = builder(&clock).blocking().unwrap();
    let from_job = scheduler.clone();
    let task =
        JobTask::closure(move |_| from_job.shutdown(false).map_err(|error| error.to_string()));
    scheduler
        .add_job(JobBuilder::with_task(task, DateTrigger::new(t(1))).id("stop"))
        .unwrap();
    let running = scheduler.clone();
    let blocked = std::thread::spawn(move || running.start());
    clock.set(t(1));
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(blocked.join());
    });
    finished
        .recv_timeout(PATIENCE)
        .expect("start did not return after the job shut the scheduler down")
        .unwrap()
        .unwrap();
    assert_eq!(scheduler.state(), SchedulerState::ShutDown);
}

/// The environment variable that turns `sigterm_child_process` into the
/// child of `blocking_scheduler_shuts_down_gracefully_on_sigterm`.
const SIGTERM_CHILD: &str = "TEMPORA_TEST_SIGTERM_CHILD";

/// Not a test by itself (it returns at once): the body of the child process
/// that the SIGTERM test starts by running this test binary again with
/// `--exact sigterm_child_process` and `SIGTERM_CHILD` set.
///
/// It runs a BlockingScheduler on the system clock with one job that prints
/// `job started`, works for a moment and prints `job finished`; after
/// `start` returns it prints `shut down`.
#[test]
fn sigterm_child_process() {
    if std::env::var_os(SIGTERM_CHILD).is_none() {
        return;
    }
    #[cfg(unix)]
    {
        // Tokio keeps a signal's handler installed for the life of the
        // process once anything listens for it. Listening here, before the
        // job prints `job started`, means the parent's SIGTERM can never
        // hit the default action (death) in the instant before `start`
        // listens; a `start` that did not listen at all would leave the
        // child running, and the parent would fail.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            drop(
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap(),
            );
        });
    }
    use tempora::clock::{Clock, SystemClock};
    let scheduler = SchedulerBuilder::new().timezone("UTC").blocking().unwrap();
    let task = JobTask::closure(|_| {
        println!("job started");
        // The job's own work, which a graceful shutdown lets finish.
        std::thread::sleep(Duration::from_millis(300));
        println!("job finished");
        Ok::<_, String>(())
    });
    scheduler
        .add_job(JobBuilder::with_task(task, DateTrigger::new(SystemClock.now())).id("work"))
        .unwrap();
    scheduler
        .listeners()
        .add(EventMask::SCHEDULER_SHUTDOWN, |_| {
            println!("scheduler_shutdown event")
        });
    let result = scheduler.start();
    println!("start returned {result:?}");
    result.unwrap();
    println!("shut down");
}

/// Kills the child and fails, showing what it printed.
#[cfg(unix)]
fn fail(child: &mut std::process::Child, seen: &[String], why: &str) -> ! {
    let _ = child.kill();
    let _ = child.wait();
    panic!("{why}; the child printed: {seen:#?}");
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
#[cfg(unix)]
#[test]
fn blocking_scheduler_shuts_down_gracefully_on_sigterm() {
    use std::process::{Command, Stdio};

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "sigterm_child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SIGTERM_CHILD, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (sink, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sink.send(line).is_err() {
                break;
            }
        }
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let mut seen: Vec<String> = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    // libtest prints `test sigterm_child_process ... ` before the first line.
    while !seen.iter().any(|line| line.ends_with("job started")) {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => seen.push(line),
            Err(_) => fail(&mut child, &seen, "the child never started its job"),
        }
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    // Read to the end of its output: it closes when the child exits.
    let deadline = Instant::now() + PATIENCE;
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => seen.push(line),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                fail(&mut child, &seen, "the child did not exit after SIGTERM")
            }
        }
    }
    let status = child.wait().unwrap();
    let stderr = errors.join().unwrap();
    assert!(
        status.success(),
        "the child exited with {status}; stdout: {seen:#?}; stderr: {stderr}"
    );
    let position = |wanted: &str| -> usize {
        seen.iter()
            .position(|line: &String| line.ends_with(wanted))
            .unwrap_or_else(|| panic!("the child never printed {wanted:?}: {seen:#?}"))
    };
    // Graceful: the run in progress finished before the scheduler shut
    // down, and `start` returned Ok.
    assert!(position("job started") < position("job finished"));
    assert!(position("job finished") < position("scheduler_shutdown event"));
    assert!(position("scheduler_shutdown event") < position("start returned Ok(())"));
    assert!(position("start returned Ok(())") < position("shut down"));
}

// ---- AsyncScheduler ----------------------------------------------------------

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_scheduler_runs_inside_a_tokio_test() {
    let clock = ManualClock::new(at(T0));
    let scheduler = builder(&clock).asynchronous().unwrap();
    let mut events = scheduler.listeners().subscribe(EventMask::JOB_EXECUTED);
    let task = JobTask::async_closure(|context| async move {
        tokio::task::yield_now().await;
        Ok::<_, String>(format!("async {}", context.job_id()))
    });
    scheduler
        .add_job(
            JobBuilder::with_task(task, DateTrigger::new(t(1)))
                .id("a")
                .executor("tokio"),
        )
        .await
        .unwrap_err(); // no executor of that name yet
    scheduler
        .add_executor("tokio", tempora::executor::Executor::async_tasks())
        .unwrap();
    let task = JobTask::async_closure(|context| async move {
        tokio::task::yield_now().await;
        Ok::<_, String>(format!("async {}", context.job_id()))
    });
    scheduler
        .add_job(
            JobBuilder::with_task(task, DateTrigger::new(t(1)))
                .id("a")
                .executor("tokio"),
        )
        .await
        .unwrap();
    scheduler
        .add_job(JobBuilder::new("record", DateTrigger::new(t(1))).id("b"))
        .await
        .unwrap();
    scheduler.start().await.unwrap();
    assert_eq!(scheduler.state(), SchedulerState::Running);
    clock.set(t(1));

    let mut results = Vec::new();
    for _ in 0..2 {
        let event = tokio::time::timeout(PATIENCE, events.recv())
            .await
            .unwrap()
            .unwrap();
        results.push((
            event.job_id.unwrap(),
            event.executor.unwrap(),
            event.return_value.unwrap(),
        ));
    }
    results.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        results,
        [
            ("a".to_owned(), "tokio".to_owned(), json!("async a")),
            (
                "b".to_owned(),
                "default".to_owned(),
                json!({"job": "b", "times": ["2026-01-01T00:01:00Z"]})
            ),
        ]
    );
    assert!(scheduler.list_jobs(None).await.unwrap().is_empty());
    scheduler.shutdown(true).await.unwrap();
}

#[tokio::test]
async fn sync_faces_refuse_to_block_inside_async_code_and_offer_to_async() {
    let clock = ManualClock::new(at(T0));
    let scheduler = builder(&clock).host_driven().unwrap();
    let error = scheduler
        .add_job(JobBuilder::new("record", DateTrigger::new(t(1))).id("a"))
        .unwrap_err();
    assert!(error.is_state());
    assert!(error.to_string().contains("to_async"), "{error}");

    // The async handle on the same scheduler works here.
    let handle = scheduler.to_async();
    handle
        .add_job(JobBuilder::new("record", DateTrigger::new(t(1))).id("a"))
        .await
        .unwrap();
    assert_eq!(handle.list_jobs(None).await.unwrap().len(), 1);
}

#[test]
fn an_async_scheduler_refuses_to_start_outside_a_runtime() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let scheduler = SchedulerBuilder::new()
        .clock(ManualClock::new(at(T0)))
        .timezone("UTC")
        .asynchronous()
        .unwrap();
    let mut start = std::pin::pin!(scheduler.start());
    let mut context = Context::from_waker(Waker::noop());
    match start.as_mut().poll(&mut context) {
        Poll::Ready(result) => {
            let error = result.unwrap_err();
            assert!(error.is_state());
            assert_eq!(
                error.to_string(),
                "AsyncScheduler::start must be called inside a tokio runtime"
            );
        }
        Poll::Pending => panic!("start waited for something"),
    }
    assert_eq!(scheduler.state(), SchedulerState::Stopped);
}

// ---- HostScheduler -----------------------------------------------------------

enum Message {
    Add(Box<JobBuilder>),
    Done,
}

/// A host loop as a GUI or game would write it, on a plain thread with no
/// tokio: it handles its own messages (here, requests to add jobs from
/// another thread), calls `run_pending` after each, and otherwise lets
/// (simulated) time pass up to the wake-up it was given.
#[test]
fn a_host_scheduler_is_driven_by_a_plain_event_loop() {
    let clock = ManualClock::new(at(T0));
    let scheduler = builder(&clock).host_driven().unwrap();
    let executed = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&executed);
    scheduler
        .listeners()
        .add(EventMask::JOB_EXECUTED, move |event| {
            sink.lock().unwrap().push((
                event.job_id.clone().unwrap(),
                event.scheduled_run_times.clone(),
            ));
        });
    let (done, all_done) = mpsc::channel();
    scheduler
        .listeners()
        .add(EventMask::JOB_EXECUTED, move |_| {
            let _ = done.send(());
        });
    scheduler.start().unwrap();

    let (requests, inbox) = mpsc::channel();
    let producer = std::thread::spawn(move || {
        for minute in [3, 1, 2] {
            let job =
                JobBuilder::new("record", DateTrigger::new(t(minute))).id(format!("at-{minute}"));
            requests.send(Message::Add(Box::new(job))).unwrap();
        }
        let ticks = IntervalTrigger::builder()
            .minutes(2)
            .start_date(t(2))
            .end_date(t(4))
            .timezone("UTC")
            .build()
            .unwrap();
        // Simulated time jumps at once, so the run at 2 min may still be
        // running when 4 min is due: allow two at a time.
        let job = JobBuilder::new("record", ticks)
            .id("every-2")
            .max_instances(2);
        requests.send(Message::Add(Box::new(job))).unwrap();
        requests.send(Message::Done).unwrap();
    });

    let mut wake = scheduler.run_pending(clock.now());
    assert_eq!(wake, None);
    let mut wakes = Vec::new();
    let mut open = true;
    loop {
        if open {
            match inbox.recv_timeout(PATIENCE).unwrap() {
                Message::Add(job) => {
                    scheduler.add_job(*job).unwrap();
                }
                Message::Done => open = false,
            }
            wake = scheduler.run_pending(clock.now());
            continue;
        }
        // No message left: time passes to the wake-up.
        let Some(instant) = wake else { break };
        wakes.push(instant);
        clock.set(instant);
        wake = scheduler.run_pending(instant);
    }
    producer.join().unwrap();
    assert_eq!(wakes, [t(1), t(2), t(3), t(4)]);

    for _ in 0..5 {
        all_done.recv_timeout(PATIENCE).unwrap();
    }
    let mut executed = executed.lock().unwrap().clone();
    executed.sort();
    assert_eq!(
        executed,
        [
            ("at-1".to_owned(), vec![t(1)]),
            ("at-2".to_owned(), vec![t(2)]),
            ("at-3".to_owned(), vec![t(3)]),
            ("every-2".to_owned(), vec![t(2)]),
            ("every-2".to_owned(), vec![t(4)]),
        ]
    );
    assert!(scheduler.list_jobs(None).unwrap().is_empty());
    scheduler.shutdown(true).unwrap();
}

/// A waiting shutdown gives runs `shutdown_timeout`, then cancels them: a
/// run that only ends when asked to stop sees the request, and shutdown
/// returns.
#[test]
fn a_waiting_shutdown_cancels_runs_at_its_timeout() {
    let clock = ManualClock::new("2026-01-01T00:00:00Z".parse().unwrap());
    let (saw_cancel, cancelled) = mpsc::channel();
    let saw_cancel = Mutex::new(saw_cancel);
    let task = JobTask::closure(move |context: JobContext| {
        while !context.is_cancelled() {
            std::thread::yield_now();
        }
        saw_cancel.lock().unwrap().send(()).unwrap();
        Ok::<(), String>(())
    });
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .shutdown_timeout(SignedDuration::from_millis(50))
        .host_driven()
        .unwrap();
    let when = DateTrigger::new("2026-01-01T00:00:00Z".parse().unwrap());
    scheduler
        .add_job(JobBuilder::with_task(task, when).id("stubborn"))
        .unwrap();
    scheduler.start().unwrap();
    scheduler.run_pending(clock.now());
    // The shutdown timeout passes on the scheduler's clock: moved on until
    // the shutdown returns.
    let shut_down = Arc::new(AtomicBool::new(false));
    let mover = {
        let (clock, shut_down) = (clock.clone(), Arc::clone(&shut_down));
        std::thread::spawn(move || {
            while !shut_down.load(Ordering::SeqCst) {
                clock.advance(SignedDuration::from_millis(10));
                std::thread::yield_now();
            }
        })
    };
    scheduler.shutdown(true).unwrap();
    shut_down.store(true, Ordering::SeqCst);
    mover.join().unwrap();
    cancelled.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(scheduler.state(), SchedulerState::ShutDown);
}
