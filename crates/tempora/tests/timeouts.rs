//! A job's `timeout` stops its runs on every executor and for every kind
//! of task, and records them as [`RunStatus::Timeout`]: an async task's
//! future is dropped, a sync task's run is cancelled and recorded at the
//! limit while its thread keeps the job's instance until it returns, a
//! command is killed as at its own timeout. A run within its limit ends
//! as usual. A timeout of zero is refused, naming the field. (The process
//! pool's case is in `tests/process_pool.rs`.)
//!
//! On a [`ManualClock`]: the time limit passes when the test moves the
//! clock, never by waiting. Runs happen on executor threads, so the tests
//! wait for what they expect with a bounded patience.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tempora::clock::ManualClock;
use tempora::event::{Event, EventKind, EventMask};
use tempora::executor::Executor;
use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::job::JobBuilder;
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::store::MemoryStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::{DateTrigger, IntervalTrigger};

/// Every hour from `start` (a job that stays after its first run).
fn hourly_from(start: Timestamp) -> IntervalTrigger {
    IntervalTrigger::builder()
        .hours(1)
        .start_date(start)
        .timezone("UTC")
        .build()
        .unwrap()
}

/// How long a test waits for something that happens on another thread.
const PATIENCE: Duration = Duration::from_secs(10);

const LIMIT: SignedDuration = SignedDuration::from_secs(5);

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

/// Sends `"dropped"` when dropped: proves an async task's future went.
struct DropSignal(Sender<&'static str>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send("dropped");
    }
}

/// Tasks:
/// - `hang`, async: says `"started"`, then waits forever holding a
///   [`DropSignal`];
/// - `wait_cancel`, sync: says `"started"`, waits until its run is
///   cancelled, says `"cancelled"` (or `"timed out"` when the cancellation
///   was its time limit), then waits for the test's `"return"` before it
///   returns `"late"`;
/// - `quick`, sync: says `"started"`, waits for the test's `"return"`, and
///   returns `"done"`.
fn tasks(said: &Sender<&'static str>, told: Receiver<&'static str>) -> Tasks {
    let tasks = Tasks::new();
    let say = Mutex::new(said.clone());
    tasks.register_async("hang", move |_: JobContext, (): ()| {
        let say = say.lock().unwrap().clone();
        async move {
            let _signal = DropSignal(say.clone());
            let _ = say.send("started");
            std::future::pending::<()>().await;
            Ok::<(), String>(())
        }
    });
    let told = Arc::new(Mutex::new(told));
    let say = Mutex::new(said.clone());
    let listen = Arc::clone(&told);
    tasks.register("wait_cancel", move |context: JobContext, (): ()| {
        let say = say.lock().unwrap().clone();
        let _ = say.send("started");
        wait_until(|| context.is_cancelled());
        let _ = say.send(if context.is_timed_out() {
            "timed out"
        } else {
            "cancelled"
        });
        let _ = listen.lock().unwrap().recv_timeout(PATIENCE * 3);
        Ok::<_, String>("late")
    });
    let say = Mutex::new(said.clone());
    tasks.register("quick", move |_: JobContext, (): ()| {
        let say = say.lock().unwrap().clone();
        let _ = say.send("started");
        let _ = told.lock().unwrap().recv_timeout(PATIENCE * 3);
        Ok::<_, String>("done")
    });
    tasks
}

#[allow(clippy::disallowed_methods)] // real time, measured: a patience limit
/// Waits (a bounded while) until `done` holds.
fn wait_until(done: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "waited in vain");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A host-driven scheduler on a manual clock at `t0`, with history, the
/// default thread pool and an `async` executor of tokio tasks.
struct Env {
    clock: ManualClock,
    scheduler: HostScheduler,
    said: Receiver<&'static str>,
    tell: Sender<&'static str>,
    events: Receiver<Event>,
}

fn env() -> Env {
    let clock = ManualClock::new(t0());
    let (say, said) = mpsc::channel();
    let (tell, told) = mpsc::channel();
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-a")
        .tasks(tasks(&say, told))
        .executor("async", Executor::async_tasks())
        .store("default", Arc::new(MemoryStore::with_history()))
        .host_driven()
        .unwrap();
    let (sink, events) = mpsc::channel();
    scheduler.listeners().add(EventMask::ALL, move |event| {
        let _ = sink.send(event.clone());
    });
    scheduler.start().unwrap();
    Env {
        clock,
        scheduler,
        said,
        tell,
        events,
    }
}

impl Env {
    /// Adds job `id` of `task` on `executor`, due now and every hour, with
    /// `timeout`, and starts its run.
    fn start(&self, id: &str, task: &str, executor: &str, timeout: SignedDuration) {
        let now = self.clock.now();
        self.scheduler
            .add_job(
                JobBuilder::new(task, hourly_from(now))
                    .id(id)
                    .executor(executor)
                    .timeout(timeout),
            )
            .unwrap();
        self.scheduler.run_pending(now);
    }

    fn heard(&self) -> &'static str {
        self.said
            .recv_timeout(PATIENCE)
            .expect("the task said nothing")
    }

    #[allow(clippy::disallowed_methods)] // real time, measured: a patience limit
    /// The next event of `kind`.
    fn event(&self, kind: EventKind) -> Event {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .events
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {kind} event within {PATIENCE:?}"));
            if event.kind == kind {
                return event;
            }
        }
    }

    /// The records of job `id`, once `done` holds of them.
    fn runs_when(&self, id: &str, done: impl Fn(&[RunRecord]) -> bool) -> Vec<RunRecord> {
        let query = RunQuery::new().job(id);
        wait_until(|| done(&self.scheduler.list_runs(&query).unwrap()));
        self.scheduler.list_runs(&query).unwrap()
    }

    /// The one record of job `id`, once finished.
    fn finished(&self, id: &str) -> RunRecord {
        let runs = self.runs_when(id, |runs| runs.len() == 1 && runs[0].status.is_finished());
        runs.into_iter().next().unwrap()
    }
}

fn check_async_task_dropped(executor: &str) {
    let env = env();
    env.start("hangs", "hang", executor, LIMIT);
    assert_eq!(env.heard(), "started");

    env.clock.advance(LIMIT);
    let error = env.event(EventKind::JobError);
    assert_eq!(error.job_id.as_deref(), Some("hangs"));
    let message = error.error.unwrap();
    assert!(message.starts_with("timed out after 5s"), "{message}");
    assert_eq!(env.heard(), "dropped", "the task's future was dropped");
    let run = env.finished("hangs");
    assert_eq!(run.status, RunStatus::Timeout);
    assert_eq!(run.error.as_deref(), Some(message.as_str()));
    assert_eq!(run.finished, Some(t0() + LIMIT));
    env.scheduler.shutdown(true).unwrap();
}

#[test]
fn an_async_task_past_its_timeout_is_dropped_and_recorded_timeout_on_the_thread_pool() {
    check_async_task_dropped("default");
}

#[test]
fn an_async_task_past_its_timeout_is_dropped_and_recorded_timeout_on_tokio_tasks() {
    check_async_task_dropped("async");
}

fn check_sync_task_cancelled(executor: &str) {
    let env = env();
    env.start("waits", "wait_cancel", executor, LIMIT);
    assert_eq!(env.heard(), "started");

    env.clock.advance(LIMIT);
    assert_eq!(env.heard(), "timed out", "the task saw its run cancelled");
    // Recorded at the limit while the thread still runs the task.
    let run = env.finished("waits");
    assert_eq!(run.status, RunStatus::Timeout);
    assert_eq!(run.finished, Some(t0() + LIMIT));
    let error = env.event(EventKind::JobError);
    assert!(error.error.unwrap().starts_with("timed out after 5s"));

    // The thread still holds the job's one instance.
    env.clock.advance(SignedDuration::from_secs(1));
    env.scheduler.run_job_now("waits").unwrap();
    let refused = env.event(EventKind::JobMaxInstances);
    assert_eq!(refused.job_id.as_deref(), Some("waits"));

    // It returns: what it returned is discarded, the instance is free.
    env.tell.send("return").unwrap();
    env.clock.advance(SignedDuration::from_secs(1));
    wait_until(|| {
        env.scheduler.run_job_now("waits").unwrap();
        let started = env.said.recv_timeout(Duration::from_millis(20)) == Ok("started");
        if !started {
            env.clock.advance(SignedDuration::from_secs(1));
        }
        started
    });
    let runs = env
        .scheduler
        .list_runs(&RunQuery::new().job("waits"))
        .unwrap();
    let first = runs.iter().find(|run| run.scheduled_time == t0()).unwrap();
    assert_eq!(
        first.status,
        RunStatus::Timeout,
        "the late result is discarded"
    );
    env.clock.advance(LIMIT);
    assert_eq!(env.heard(), "timed out");
    env.tell.send("return").unwrap();
    env.scheduler.shutdown(true).unwrap();
}

#[test]
fn a_sync_task_past_its_timeout_sees_its_run_cancelled_and_is_recorded_timeout() {
    check_sync_task_cancelled("default");
}

#[test]
fn a_sync_task_on_tokio_tasks_past_its_timeout_is_recorded_timeout() {
    check_sync_task_cancelled("async");
}

#[test]
fn a_run_within_its_timeout_succeeds() {
    let env = env();
    env.start("quick", "quick", "default", LIMIT);
    assert_eq!(env.heard(), "started");
    env.clock.advance(LIMIT - SignedDuration::from_secs(1));
    env.tell.send("return").unwrap();
    let run = env.finished("quick");
    assert_eq!(run.status, RunStatus::Success);
    let executed = env.event(EventKind::JobExecuted);
    assert_eq!(executed.return_value, Some(serde_json::json!("done")));
    env.scheduler.shutdown(true).unwrap();
}

#[cfg(unix)]
#[test]
fn a_command_is_killed_at_its_jobs_timeout_when_it_is_the_smaller() {
    use tempora::task::{COMMAND, CommandArgs};
    let env = env();
    let marker = std::env::temp_dir().join(format!("tempora-timeout-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let args = CommandArgs::new("sh")
        .arg("-c")
        .arg("echo started; : > \"$1\"; exec sleep 30")
        .arg("sh")
        .arg(marker.to_str().unwrap())
        .timeout(SignedDuration::from_secs(60));
    env.scheduler
        .add_job(
            JobBuilder::new(COMMAND, DateTrigger::new(t0()))
                .id("slow")
                .args(&args)
                .timeout(LIMIT),
        )
        .unwrap();
    env.scheduler.run_pending(t0());
    // Running (it made its marker); the clock passes the job's limit.
    wait_until(|| marker.exists());
    env.clock.advance(LIMIT);
    let run = env.finished("slow");
    let _ = std::fs::remove_file(&marker);
    assert_eq!(run.status, RunStatus::Timeout);
    assert_eq!(
        run.error.as_deref(),
        Some("command \"sh\" timed out after 5s and was killed")
    );
    assert_eq!(run.output.as_deref(), Some("started\n"));
    env.scheduler.shutdown(true).unwrap();
}

#[test]
fn a_jobs_timeout_is_changed_removed_and_refused_when_not_positive() {
    use tempora::job::JobChanges;
    let env = env();
    let added = env
        .scheduler
        .add_job(
            JobBuilder::new("quick", hourly_from(t0() + SignedDuration::from_hours(1)))
                .id("job")
                .timeout(LIMIT),
        )
        .unwrap();
    assert_eq!(added.timeout(), Some(LIMIT));
    let minute = SignedDuration::from_mins(1);
    let changed = env
        .scheduler
        .modify_job("job", JobChanges::new().timeout(Some(minute)))
        .unwrap();
    assert_eq!(changed.timeout(), Some(minute));
    let error = env
        .scheduler
        .modify_job("job", JobChanges::new().timeout(Some(SignedDuration::ZERO)))
        .unwrap_err();
    assert_eq!(error.to_string(), "timeout: 0s is not positive");
    assert_eq!(
        env.scheduler.get_job("job").unwrap().unwrap().timeout(),
        Some(minute)
    );
    let removed = env
        .scheduler
        .modify_job("job", JobChanges::new().timeout(None))
        .unwrap();
    assert_eq!(removed.timeout(), None);
    let refused = env
        .scheduler
        .add_job(
            JobBuilder::new("quick", hourly_from(t0()))
                .id("zero")
                .timeout(SignedDuration::ZERO),
        )
        .unwrap_err();
    assert_eq!(refused.field(), Some("timeout"));
    env.scheduler.shutdown(true).unwrap();
}
