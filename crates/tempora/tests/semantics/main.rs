//! The engine keeps APScheduler 3's documented semantics, and its job API
//! does what it says, proven on a [`HostScheduler`] (and a few times on an
//! [`AsyncScheduler`]) driven by a [`ManualClock`]:
//!
//! * the run times of a due job are every fire time at or before now since
//!   its next run time; those later than the misfire grace time are missed
//!   (a `JobMissed` event saying how late); the rest coalesce into one run
//!   or run one each; `max_instances` skips a run with `JobMaxInstances`;
//! * a failing or panicking job keeps its schedule; an exhausted trigger
//!   removes its job; paused jobs and a paused scheduler run nothing;
//! * the job API (add with its checks and defaults, get, list, modify,
//!   reschedule, pause, resume, run now, remove), the events and listeners,
//!   the jobs table, shutdown with and without waiting, the lifecycle;
//! * a cron job across a DST gap and fold runs as its trigger says;
//! * a job skips the fire times of the calendars it excludes: not run, not
//!   missed, and its next run time is the next one they leave.
//!
//! Nothing here sleeps to wait for time: the clock moves when the test says,
//! and runs (on executor threads) are awaited through their events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::json;
use tempora::calendar::Calendar;
use tempora::clock::ManualClock;
use tempora::event::{Event, EventKind, EventMask};
use tempora::executor::Executor;
use tempora::job::{
    Job, JobBuilder, JobChanges, JobDefaults, MisfireGraceTime, OnInterrupted, Overlap,
};
use tempora::scheduler::{AsyncScheduler, HostScheduler, SchedulerBuilder, SchedulerState};
use tempora::store::{Claimed, JobStore, MemoryStore, Settled, Settlement};
use tempora::task::{JobContext, JobTask, Tasks};
use tempora::trigger::{CronTrigger, DateTrigger, IntervalTrigger, Trigger};

mod adding;
mod async_scheduler;
mod calendars;
mod dst;
mod errors;
mod events;
mod host_wakeup;
mod jobs_table;
mod lifecycle;
mod max_instances;
mod misfires;
mod modify;
mod pausing;
mod removing;

// ---- helpers ---------------------------------------------------------------

/// How long a test waits for something that happens on another thread
/// before it fails. Generous: it is never waited out when all is well.
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

fn secs(seconds: i64) -> SignedDuration {
    SignedDuration::from_secs(seconds)
}

/// Every `minutes` from `T0`, in UTC.
fn every(minutes: i64) -> IntervalTrigger {
    IntervalTrigger::builder()
        .minutes(minutes)
        .start_date(at(T0))
        .timezone("UTC")
        .build()
        .unwrap()
}

/// One run seen by the `record` task.
#[derive(Debug, Clone, PartialEq)]
struct Ran {
    job: String,
    times: Vec<Timestamp>,
}

/// A gate tasks wait at until the test opens it.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }

    /// Waits until open; false when it stayed shut for three times
    /// `PATIENCE` (longer than any test waits for a run to start, so that a
    /// run stuck behind a held one is seen as stuck).
    fn wait(&self) -> bool {
        let guard = self.open.lock().unwrap();
        let (guard, _) = self
            .opened
            .wait_timeout_while(guard, PATIENCE * 3, |open| !*open)
            .unwrap();
        *guard
    }
}

#[derive(Deserialize)]
struct Double {
    n: i64,
}

/// A host-driven scheduler on a manual clock at `T0`, in UTC, with the test
/// tasks registered and every event collected.
///
/// Tasks: `record` (reports its run, returns `"recorded"`), `fail` (returns
/// the error `boom`), `panic` (panics with `kaboom`), `double` (args
/// `{"n": i64}`, returns `2n`), `block` (reports its run, then waits at the
/// gate), `until_cancelled` (reports its run, then polls its context until
/// cancelled and returns `"cancelled"`).
struct Env {
    clock: ManualClock,
    scheduler: HostScheduler,
    gate: Arc<Gate>,
    runs: Receiver<Ran>,
    events: Receiver<Event>,
    buffer: RefCell<Vec<Event>>,
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
fn tasks(runs: mpsc::Sender<Ran>, gate: &Arc<Gate>) -> Tasks {
    let tasks = Tasks::new();
    let sink = runs.clone();
    tasks.register("record", move |context: JobContext, _: ()| {
        let _ = sink.send(Ran {
            job: context.job_id().to_owned(),
            times: context.scheduled_run_times().to_vec(),
        });
        Ok::<_, String>("recorded")
    });
    tasks.register("fail", |_: JobContext, _: ()| Err::<(), _>("boom"));
    tasks.register("panic", |_: JobContext, _: ()| -> Result<(), String> {
        panic!("kaboom")
    });
    tasks.register("double", |_: JobContext, args: Double| {
        Ok::<_, String>(args.n * 2)
    });
    let sink = runs.clone();
    let shut = Arc::clone(gate);
    tasks.register("block", move |context: JobContext, _: ()| {
        let _ = sink.send(Ran {
            job: context.job_id().to_owned(),
            times: context.scheduled_run_times().to_vec(),
        });
        if shut.wait() {
            Ok("released")
        } else {
            Err("the test never opened the gate")
        }
    });
    let sink = runs;
    tasks.register("until_cancelled", move |context: JobContext, _: ()| {
        let _ = sink.send(Ran {
            job: context.job_id().to_owned(),
            times: context.scheduled_run_times().to_vec(),
        });
        let deadline = Instant::now() + PATIENCE;
        while !context.is_cancelled() {
            if Instant::now() > deadline {
                return Err("never cancelled");
            }
            // The job's own work: it checks for cancellation now and then.
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok("cancelled")
    });
    tasks
}

fn env() -> Env {
    env_with(SchedulerBuilder::new())
}

fn env_with(builder: SchedulerBuilder) -> Env {
    let clock = ManualClock::new(at(T0));
    let gate = Arc::new(Gate::default());
    let (run_sink, runs) = mpsc::channel();
    let scheduler = builder
        .clock(clock.clone())
        .timezone("UTC")
        .tasks(tasks(run_sink, &gate))
        .host_driven()
        .unwrap();
    let (sink, events) = mpsc::channel();
    scheduler.listeners().add(EventMask::ALL, move |event| {
        let _ = sink.send(event.clone());
    });
    Env {
        clock,
        scheduler,
        gate,
        runs,
        events,
        buffer: RefCell::new(Vec::new()),
    }
}

impl Env {
    fn add(&self, job: JobBuilder) -> Job {
        self.scheduler.add_job(job).unwrap()
    }

    fn start(&self) {
        self.scheduler.start().unwrap();
    }

    /// Moves the clock to `now` and processes what is due.
    fn tick_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.clock.set(now);
        self.scheduler.run_pending(now)
    }

    /// Moves the clock to `T0 + minutes` and processes what is due.
    fn tick(&self, minutes: i64) -> Option<Timestamp> {
        self.tick_at(t(minutes))
    }

    fn pull(&self) {
        let mut buffer = self.buffer.borrow_mut();
        buffer.extend(self.events.try_iter());
    }

    /// The events of `kind` emitted so far (not yet taken), taken. Use it for
    /// the events emitted on the calling thread: everything but run results.
    fn take(&self, kind: EventKind) -> Vec<Event> {
        self.pull();
        let mut buffer = self.buffer.borrow_mut();
        let (taken, kept) = buffer.drain(..).partition(|event| event.kind == kind);
        *buffer = kept;
        taken
    }

    #[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
    /// The next event of `kind`, waiting for it.
    fn wait(&self, kind: EventKind) -> Event {
        let deadline = Instant::now() + PATIENCE;
        loop {
            self.pull();
            {
                let mut buffer = self.buffer.borrow_mut();
                if let Some(index) = buffer.iter().position(|event| event.kind == kind) {
                    return buffer.remove(index);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => self.buffer.borrow_mut().push(event),
                Err(RecvTimeoutError::Timeout) => panic!("no {kind} event within {PATIENCE:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("the scheduler is gone"),
            }
        }
    }

    /// The next `count` events of `kind`, ordered by scheduled time.
    fn wait_n(&self, kind: EventKind, count: usize) -> Vec<Event> {
        let mut events: Vec<Event> = (0..count).map(|_| self.wait(kind)).collect();
        events.sort_by_key(Event::scheduled_run_time);
        events
    }

    /// The next run a task reported.
    fn ran(&self) -> Ran {
        self.runs
            .recv_timeout(PATIENCE)
            .expect("no run within the patience")
    }

    fn next_run_time(&self, id: &str) -> Option<Timestamp> {
        self.scheduler.get_job(id).unwrap().unwrap().next_run_time()
    }

    fn ids(&self) -> Vec<String> {
        self.scheduler
            .list_jobs(None)
            .unwrap()
            .iter()
            .map(|job| job.id().to_owned())
            .collect()
    }
}

/// A memory store seen as a store other processes share, as a database
/// is: it keeps no closures. Its claim, once `armed`, stops until
/// `release`d: the moment a cycle has claimed its due jobs and not yet
/// handed them over.
#[derive(Default)]
struct SharedMemory {
    inner: MemoryStore,
    armed: AtomicBool,
    claiming: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

#[async_trait]
impl JobStore for SharedMemory {
    fn backend(&self) -> &'static str {
        "shared-memory"
    }

    async fn add_job(&self, job: Job, replace_existing: bool) -> tempora::Result<()> {
        self.inner.add_job(job, replace_existing).await
    }

    async fn update_job(&self, job: Job) -> tempora::Result<()> {
        self.inner.update_job(job).await
    }

    async fn remove_job(&self, id: &str) -> tempora::Result<()> {
        self.inner.remove_job(id).await
    }

    async fn remove_all_jobs(&self) -> tempora::Result<()> {
        self.inner.remove_all_jobs().await
    }

    async fn get_job(&self, id: &str) -> tempora::Result<Option<Job>> {
        self.inner.get_job(id).await
    }

    async fn list_jobs(&self) -> tempora::Result<Vec<Job>> {
        self.inner.list_jobs().await
    }

    async fn next_run_time(&self) -> tempora::Result<Option<Timestamp>> {
        self.inner.next_run_time().await
    }

    async fn acquire_due(
        &self,
        now: Timestamp,
        limit: usize,
        owner: &str,
        lease: SignedDuration,
    ) -> tempora::Result<Vec<Claimed>> {
        let claimed = self.inner.acquire_due(now, limit, owner, lease).await?;
        if !claimed.is_empty() && self.armed.swap(false, Ordering::SeqCst) {
            self.claiming.notify_one();
            self.release.notified().await;
        }
        Ok(claimed)
    }

    async fn settle(
        &self,
        owner: &str,
        settlements: &[Settlement],
        now: Timestamp,
    ) -> tempora::Result<Vec<Settled>> {
        self.inner.settle(owner, settlements, now).await
    }
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
/// Spins (yielding) until `condition` holds; fails after `PATIENCE`.
fn wait_until(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "condition not met within {PATIENCE:?}"
        );
        std::thread::yield_now();
    }
}

/// A job of `task` every `minutes` from `T0`, with room for several runs at
/// once. (Tests that run a job again right after its previous run ended use
/// this: see `a_listener_of_job_executed_sees_the_instance_released` for
/// why `max_instances(1)` races there.)
fn job(task: &str, id: &str, minutes: i64) -> JobBuilder {
    JobBuilder::new(task, every(minutes))
        .id(id)
        .max_instances(10)
}
