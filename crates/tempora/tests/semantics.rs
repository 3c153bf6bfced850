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

// ---- run times, misfires, coalescing ---------------------------------------

#[test]
fn run_times_are_every_fire_time_up_to_now_since_the_next_run_time() {
    let env = env();
    let added = env.add(job("record", "tick", 10).coalesce(false));
    assert_eq!(added.next_run_time(), Some(t(0)));
    env.start();

    let wake = env.tick(35);
    let submitted = env.take(EventKind::JobSubmitted);
    let times: Vec<Vec<Timestamp>> = submitted
        .iter()
        .map(|event| event.scheduled_run_times.clone())
        .collect();
    assert_eq!(
        times,
        vec![vec![t(0)], vec![t(10)], vec![t(20)], vec![t(30)]]
    );
    assert_eq!(wake, Some(t(40)));
    assert_eq!(env.next_run_time("tick"), Some(t(40)));
    let executed = env.wait_n(EventKind::JobExecuted, 4);
    assert_eq!(
        executed
            .iter()
            .map(Event::scheduled_run_time)
            .collect::<Vec<_>>(),
        vec![Some(t(0)), Some(t(10)), Some(t(20)), Some(t(30))]
    );
}

#[test]
fn coalesce_makes_one_run_that_lists_every_due_time() {
    let env = env();
    env.add(job("record", "tick", 10).coalesce(true));
    env.start();

    env.tick(35);
    let submitted = env.take(EventKind::JobSubmitted);
    assert_eq!(submitted.len(), 1);
    let all = vec![t(0), t(10), t(20), t(30)];
    assert_eq!(submitted[0].scheduled_run_times, all);
    // The task sees every time it covers, latest last.
    let ran = env.ran();
    assert_eq!(ran.times, all);
    let executed = env.wait(EventKind::JobExecuted);
    assert_eq!(executed.scheduled_run_times, all);
    assert_eq!(executed.scheduled_run_time(), Some(t(30)));
    assert_eq!(env.next_run_time("tick"), Some(t(40)));
}

#[test]
fn without_coalesce_each_due_time_runs_once() {
    let env = env();
    env.add(job("record", "tick", 1).coalesce(false));
    env.start();

    env.tick(2);
    let mut ran: Vec<Ran> = (0..3).map(|_| env.ran()).collect();
    ran.sort_by_key(|run| run.times.clone());
    let times: Vec<Vec<Timestamp>> = ran.into_iter().map(|run| run.times).collect();
    assert_eq!(times, vec![vec![t(0)], vec![t(1)], vec![t(2)]]);
    assert_eq!(env.wait_n(EventKind::JobExecuted, 3).len(), 3);
    assert!(env.take(EventKind::JobMaxInstances).is_empty());
}

/// APScheduler 3 runs the due times of a job that does not coalesce one after
/// the other in *one* executor submission, which counts as one instance, so
/// with the default `max_instances = 1` every due time still runs.
#[test]
fn without_coalesce_each_due_time_runs_even_with_one_instance() {
    let env = env();
    env.add(
        JobBuilder::new("record", every(1))
            .id("tick")
            .coalesce(false)
            .max_instances(1),
    );
    env.start();

    env.tick(2);
    let skipped = env.take(EventKind::JobMaxInstances);
    assert!(
        skipped.is_empty(),
        "due times skipped: {:?}",
        skipped
            .iter()
            .map(|event| event.scheduled_run_times.clone())
            .collect::<Vec<_>>()
    );
    let executed = env.wait_n(EventKind::JobExecuted, 3);
    assert_eq!(executed.len(), 3);
}

#[test]
fn runs_later_than_the_grace_time_are_missed_with_an_event_saying_how_late() {
    let env = env();
    env.add(
        job("record", "tick", 1)
            .coalesce(false)
            .misfire_grace_time(MisfireGraceTime::Limit(secs(90))),
    );
    env.start();

    env.tick(3);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed.len(), 1);
    let missed = &missed[0];
    assert_eq!(missed.job_id.as_deref(), Some("tick"));
    assert_eq!(missed.store.as_deref(), Some("default"));
    assert_eq!(missed.scheduled_run_times, vec![t(0), t(1)]);
    assert_eq!(
        missed.error.as_deref(),
        Some("2 run(s) missed: the latest was 2m late, more than the misfire grace time of 1m 30s")
    );
    // The others (1 min and 0 min late) run, one each.
    let submitted = env.take(EventKind::JobSubmitted);
    let times: Vec<Vec<Timestamp>> = submitted
        .iter()
        .map(|event| event.scheduled_run_times.clone())
        .collect();
    assert_eq!(times, vec![vec![t(2)], vec![t(3)]]);
    assert_eq!(env.wait_n(EventKind::JobExecuted, 2).len(), 2);
    assert_eq!(env.next_run_time("tick"), Some(t(4)));
}

#[test]
fn a_missed_run_does_not_run_and_the_schedule_moves_on() {
    let env = env();
    env.add(job("record", "tick", 1).misfire_grace_time(MisfireGraceTime::Limit(secs(10))));
    env.start();

    let wake = env.tick_at(t(0).checked_add(secs(30)).unwrap());
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].scheduled_run_times, vec![t(0)]);
    assert_eq!(
        missed[0].error.as_deref(),
        Some("1 run(s) missed: the latest was 30s late, more than the misfire grace time of 10s")
    );
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    assert_eq!(wake, Some(t(1)));

    // Exactly on time (0 s late) is within any grace time.
    env.tick(1);
    assert_eq!(env.take(EventKind::JobSubmitted).len(), 1);
    assert_eq!(env.ran().times, vec![t(1)]);
}

// ---- exclusion calendars ---------------------------------------------------

/// A scheduler whose calendar `"off"` excludes 00:10 to 00:20 every day (UTC).
fn env_with_off_calendar() -> Env {
    env_with(
        SchedulerBuilder::new().calendar(
            "off",
            Calendar::daily("00:10", "00:20")
                .timezone("UTC")
                .build()
                .unwrap(),
        ),
    )
}

#[test]
fn an_excluded_fire_time_is_skipped_and_the_next_one_runs() {
    let env = env_with_off_calendar();
    let added = env.add(job("record", "tick", 10).exclude(["off"]));
    assert_eq!(added.next_run_time(), Some(t(0)));
    env.start();

    // 00:00 runs; 00:10 is excluded, so the job waits for 00:20.
    let wake = env.tick(0);
    assert_eq!(env.ran().times, vec![t(0)]);
    assert_eq!(wake, Some(t(20)));
    assert_eq!(env.next_run_time("tick"), Some(t(20)));
    // At 00:10 nothing is due: nothing runs, nothing is missed.
    env.tick(10);
    assert_eq!(
        env.take(EventKind::JobSubmitted).len(),
        1,
        "only 00:00's run so far"
    );
    env.tick(20);
    assert_eq!(env.ran().times, vec![t(20)]);
    assert!(env.take(EventKind::JobMissed).is_empty());
    assert_eq!(env.next_run_time("tick"), Some(t(30)));
}

#[test]
fn modify_job_changes_the_calendars_a_job_excludes() {
    let env = env_with_off_calendar();
    env.add(job("record", "tick", 10));
    env.start();
    env.tick(0);
    assert_eq!(env.ran().times, vec![t(0)]);
    assert_eq!(env.next_run_time("tick"), Some(t(10)));

    // Excluding "off" moves the next run past 00:10, in the store too.
    let job = env
        .scheduler
        .modify_job("tick", JobChanges::new().exclude(["off"]))
        .unwrap();
    assert_eq!(job.next_run_time(), Some(t(20)));
    let stored = env.scheduler.get_job("tick").unwrap().unwrap();
    assert_eq!(
        stored.exclusions().keys().collect::<Vec<_>>(),
        ["off"],
        "kept with the job"
    );
    assert_eq!(stored.next_run_time(), Some(t(20)));
    env.tick(10);
    assert!(env.take(EventKind::JobMissed).is_empty());
    env.tick(20);
    assert_eq!(env.ran().times, vec![t(20)]);

    // An unknown name changes nothing and names the field and the value.
    let error = env
        .scheduler
        .modify_job("tick", JobChanges::new().exclude(["holydays"]))
        .unwrap_err();
    assert_eq!(error.field(), Some("exclude"));
    assert!(error.to_string().contains("\"holydays\""), "{error}");
    assert_eq!(
        env.scheduler
            .get_job("tick")
            .unwrap()
            .unwrap()
            .exclusions()
            .len(),
        1
    );

    // A calendar that excludes everything is refused; none clears them.
    let always = Calendar::cron("* * * * *").build().unwrap();
    let error = env
        .scheduler
        .modify_job("tick", JobChanges::new().exclude_calendar("always", always))
        .unwrap_err();
    assert_eq!(error.field(), Some("exclude"));
    assert!(
        error.to_string().contains("exclude every fire time"),
        "{error}"
    );
    let job = env
        .scheduler
        .modify_job("tick", JobChanges::new().exclude(Vec::<String>::new()))
        .unwrap();
    assert!(job.exclusions().is_empty());
    assert_eq!(job.next_run_time(), Some(t(30)));
}

#[test]
fn excluded_fire_times_are_not_missed_when_the_scheduler_is_late() {
    let env = env_with_off_calendar();
    env.add(
        job("record", "tick", 10)
            .exclude(["off"])
            .coalesce(false)
            .misfire_grace_time(MisfireGraceTime::Limit(secs(60))),
    );
    env.start();

    // 25 minutes late: 00:00 and 00:20 are missed; 00:10 was never due.
    env.tick(25);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].scheduled_run_times, vec![t(0), t(20)]);
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    assert_eq!(env.next_run_time("tick"), Some(t(30)));
}

#[test]
fn calendars_are_named_at_add_resumed_jobs_skip_their_times() {
    let env = env();
    let error = env
        .scheduler
        .add_job(job("record", "tick", 10).exclude(["off"]))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "exclude: \"off\" is not a calendar of the scheduler; known: none"
    );
    env.scheduler
        .add_calendar(
            "off",
            Calendar::daily("00:10", "00:50")
                .timezone("UTC")
                .build()
                .unwrap(),
        )
        .unwrap();
    env.add(job("record", "tick", 10).exclude(["off"]).paused());
    env.start();
    env.tick(5);
    let resumed = env.scheduler.resume_job("tick").unwrap().unwrap();
    assert_eq!(resumed.next_run_time(), Some(t(50)));
    let rescheduled = env.scheduler.reschedule_job("tick", every(20)).unwrap();
    assert_eq!(rescheduled.next_run_time(), Some(t(60)));
    assert!(rescheduled.exclusions().contains_key("off"));
}

#[test]
fn coalesce_and_misfire_together_drop_the_late_times_and_coalesce_the_rest() {
    let env = env();
    env.add(
        job("record", "tick", 1)
            .coalesce(true)
            .misfire_grace_time(MisfireGraceTime::Limit(secs(90))),
    );
    env.start();

    env.tick(3);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed[0].scheduled_run_times, vec![t(0), t(1)]);
    assert_eq!(env.ran().times, vec![t(2), t(3)]);
}

// ---- max_instances ---------------------------------------------------------

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

// ---- errors, panics, exhausted triggers ------------------------------------

#[test]
fn a_job_that_fails_keeps_its_schedule() {
    let env = env();
    env.add(job("fail", "flaky", 1));
    env.start();

    env.tick(0);
    let error = env.wait(EventKind::JobError);
    assert_eq!(error.job_id.as_deref(), Some("flaky"));
    assert_eq!(error.error.as_deref(), Some("boom"));
    assert_eq!(error.scheduled_run_times, vec![t(0)]);
    assert_eq!(error.return_value, None);
    assert_eq!(env.next_run_time("flaky"), Some(t(1)));

    env.tick(1);
    assert_eq!(
        env.wait(EventKind::JobError).scheduled_run_times,
        vec![t(1)]
    );
    assert_eq!(env.next_run_time("flaky"), Some(t(2)));
}

#[test]
fn a_job_that_panics_keeps_its_schedule() {
    let env = env();
    env.add(job("panic", "crashy", 1));
    env.start();

    env.tick(0);
    let error = env.wait(EventKind::JobError);
    assert_eq!(error.error.as_deref(), Some("panicked: kaboom"));
    assert_eq!(env.next_run_time("crashy"), Some(t(1)));

    env.tick(1);
    let error = env.wait(EventKind::JobError);
    assert_eq!(error.scheduled_run_times, vec![t(1)]);
    assert_eq!(env.scheduler.state(), SchedulerState::Running);
}

#[test]
fn an_exhausted_trigger_removes_its_job_with_an_event() {
    let env = env();
    let trigger = IntervalTrigger::builder()
        .minutes(1)
        .start_date(t(0))
        .end_date(t(2))
        .timezone("UTC")
        .build()
        .unwrap();
    env.add(
        JobBuilder::new("record", trigger)
            .id("short")
            .max_instances(10),
    );
    env.start();

    assert_eq!(env.tick(0), Some(t(1)));
    assert_eq!(env.tick(1), Some(t(2)));
    assert!(env.take(EventKind::JobRemoved).is_empty());
    assert_eq!(env.tick(2), None);
    let removed = env.take(EventKind::JobRemoved);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].job_id.as_deref(), Some("short"));
    assert_eq!(removed[0].store.as_deref(), Some("default"));
    let mut times: Vec<Timestamp> = (0..3).map(|_| env.ran().times[0]).collect();
    times.sort();
    assert_eq!(times, vec![t(0), t(1), t(2)]);
    assert!(env.scheduler.get_job("short").unwrap().is_none());
}

#[test]
fn a_date_job_runs_once_and_is_gone() {
    let env = env();
    let added = env.add(JobBuilder::new("record", DateTrigger::new(t(5))).id("once"));
    assert_eq!(added.next_run_time(), Some(t(5)));
    env.start();

    assert_eq!(env.tick(4), Some(t(5)));
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    assert_eq!(env.tick(5), None);
    assert_eq!(env.take(EventKind::JobSubmitted).len(), 1);
    assert_eq!(
        env.ran(),
        Ran {
            job: "once".to_owned(),
            times: vec![t(5)]
        }
    );
    assert_eq!(env.take(EventKind::JobRemoved).len(), 1);
    assert!(env.scheduler.get_job("once").unwrap().is_none());
    assert!(env.ids().is_empty());
    assert_eq!(env.tick(600), None);
    assert!(env.take(EventKind::JobSubmitted).is_empty());
}

#[test]
fn a_date_job_added_after_its_time_runs_at_once_with_unlimited_grace() {
    let env = env();
    env.clock.set(t(30));
    env.add(JobBuilder::new("record", DateTrigger::new(t(5))).id("late"));
    env.start();
    assert_eq!(env.tick(30), None);
    assert_eq!(env.ran().times, vec![t(5)]);
}

#[test]
fn a_missed_date_job_is_reported_and_removed() {
    let env = env();
    env.add(
        JobBuilder::new("record", DateTrigger::new(t(1)))
            .id("once")
            .misfire_grace_time(MisfireGraceTime::Limit(secs(30))),
    );
    env.start();
    assert_eq!(env.tick(5), None);
    let missed = env.take(EventKind::JobMissed);
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].scheduled_run_times, vec![t(1)]);
    assert_eq!(
        missed[0].error.as_deref(),
        Some("1 run(s) missed: the latest was 4m late, more than the misfire grace time of 30s")
    );
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    assert_eq!(env.take(EventKind::JobRemoved).len(), 1);
    assert!(env.scheduler.get_job("once").unwrap().is_none());
}

#[test]
fn a_job_that_panics_on_tokio_tasks_is_reported_too() {
    let env = env_with(SchedulerBuilder::new().executor("tokio", Executor::async_tasks()));
    env.add(
        JobBuilder::new("panic", DateTrigger::new(t(1)))
            .id("crashy")
            .executor("tokio"),
    );
    env.add(
        JobBuilder::new("fail", DateTrigger::new(t(1)))
            .id("flaky")
            .executor("tokio"),
    );
    env.start();
    env.tick(1);
    let mut errors: Vec<(Option<String>, Option<String>)> = (0..2)
        .map(|_| env.wait(EventKind::JobError))
        .map(|event| (event.job_id, event.error))
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            (
                Some("crashy".to_owned()),
                Some("panicked: kaboom".to_owned())
            ),
            (Some("flaky".to_owned()), Some("boom".to_owned())),
        ]
    );
}

/// APScheduler 3 listeners commonly act on the scheduler (pause a job that
/// missed, look a job up when it is added). Tempora calls listeners on the
/// thread that emits; for the events a sync call emits (JobAdded,
/// JobModified, JobRemoved) or a tick emits (JobSubmitted, JobMissed,
/// JobMaxInstances) that thread is inside the scheduler's runtime, where
/// every sync method refuses to run.
#[test]
fn a_listener_may_call_the_scheduler() {
    let env = env();
    let scheduler = env.scheduler.clone();
    let (sink, results) = mpsc::channel();
    env.scheduler
        .listeners()
        .add(EventMask::JOB_ADDED | EventMask::JOB_MISSED, move |event| {
            let id = event.job_id.clone().unwrap();
            let result = match event.kind {
                EventKind::JobAdded => scheduler.get_job(&id).map(|job| job.is_some()),
                _ => scheduler.pause_job(&id).map(|job| job.is_paused()),
            };
            let _ = sink.send((event.kind, result.map_err(|error| error.to_string())));
        });
    env.add(job("record", "tick", 1).misfire_grace_time(MisfireGraceTime::Limit(secs(10))));
    env.start();
    env.tick(5);
    let seen: Vec<_> = results.try_iter().collect();
    assert_eq!(
        seen,
        [
            (EventKind::JobAdded, Ok(true)),
            (EventKind::JobMissed, Ok(true))
        ]
    );
    assert!(env.scheduler.get_job("tick").unwrap().unwrap().is_paused());
}

// ---- pausing ---------------------------------------------------------------

#[test]
fn a_paused_job_does_not_run_and_resumes_from_now() {
    let env = env();
    env.add(job("record", "tick", 1));
    env.start();
    let paused = env.scheduler.pause_job("tick").unwrap();
    assert!(paused.is_paused());
    assert_eq!(paused.next_run_time(), None);
    assert_eq!(env.take(EventKind::JobModified).len(), 1);

    // Nothing is scheduled while it is paused.
    assert_eq!(env.tick(5), None);
    assert!(env.take(EventKind::JobSubmitted).is_empty());

    // Resumed at 5 m 30 s: the trigger's next fire time from now, not the
    // five it skipped.
    env.clock.set(t(5).checked_add(secs(30)).unwrap());
    let resumed = env.scheduler.resume_job("tick").unwrap().unwrap();
    assert_eq!(resumed.next_run_time(), Some(t(6)));
    assert_eq!(env.take(EventKind::JobModified).len(), 1);
    assert_eq!(env.scheduler.run_pending(env.clock.now()), Some(t(6)));
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    env.tick(6);
    assert_eq!(env.ran().times, vec![t(6)]);
}

#[test]
fn a_job_added_paused_waits_for_resume() {
    let env = env();
    let added = env.add(job("record", "later", 1).paused());
    assert!(added.is_paused());
    env.start();
    assert_eq!(env.tick(3), None);
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    let resumed = env.scheduler.resume_job("later").unwrap().unwrap();
    assert_eq!(resumed.next_run_time(), Some(t(3)));
}

#[test]
fn resuming_a_job_whose_trigger_is_done_removes_it() {
    let env = env();
    env.add(
        JobBuilder::new("record", DateTrigger::new(t(1)))
            .id("once")
            .paused(),
    );
    env.start();
    env.clock.set(t(2));
    // A date trigger that never fired still answers its run date.
    let resumed = env.scheduler.resume_job("once").unwrap();
    assert_eq!(resumed.map(|job| job.next_run_time()), Some(Some(t(1))));

    let trigger = IntervalTrigger::builder()
        .minutes(1)
        .start_date(t(0))
        .end_date(t(1))
        .timezone("UTC")
        .build()
        .unwrap();
    env.add(JobBuilder::new("record", trigger).id("ended").paused());
    assert!(env.scheduler.resume_job("ended").unwrap().is_none());
    let removed = env.take(EventKind::JobRemoved);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].job_id.as_deref(), Some("ended"));
    assert!(env.scheduler.get_job("ended").unwrap().is_none());
}

#[test]
fn a_paused_scheduler_runs_nothing_and_resume_catches_up() {
    let env = env();
    env.add(job("record", "tick", 1));
    env.start();
    env.tick(0);
    assert_eq!(env.take(EventKind::JobSubmitted).len(), 1);
    assert_eq!(env.ran().times, vec![t(0)]);

    env.scheduler.pause().unwrap();
    assert_eq!(env.scheduler.state(), SchedulerState::Paused);
    assert_eq!(env.take(EventKind::SchedulerPaused).len(), 1);
    for minute in 1..=3 {
        assert_eq!(env.tick(minute), None);
    }
    assert!(env.take(EventKind::JobSubmitted).is_empty());
    // Jobs can still be managed while paused.
    assert_eq!(env.next_run_time("tick"), Some(t(1)));

    env.scheduler.resume().unwrap();
    assert_eq!(env.scheduler.state(), SchedulerState::Running);
    assert_eq!(env.take(EventKind::SchedulerResumed).len(), 1);
    assert_eq!(env.tick(3), Some(t(4)));
    // The runs due while paused, coalesced (the default) into one.
    assert_eq!(env.ran().times, vec![t(1), t(2), t(3)]);
}

/// APScheduler 3's `pause()` dispatches `EVENT_SCHEDULER_PAUSED` only when it
/// changes the state; pausing a paused scheduler is a no-op.
#[test]
fn pausing_twice_emits_one_event() {
    let env = env();
    env.start();
    env.scheduler.pause().unwrap();
    env.scheduler.pause().unwrap();
    assert_eq!(env.take(EventKind::SchedulerPaused).len(), 1);
    env.scheduler.resume().unwrap();
    env.scheduler.resume().unwrap();
    assert_eq!(env.take(EventKind::SchedulerResumed).len(), 1);
}

// ---- run_job_now, reschedule, modify ---------------------------------------

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

// ---- removing, listing ----------------------------------------------------

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

// ---- adding: ids, defaults, checks -----------------------------------------

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

/// A store that keeps jobs as a persistent store would: no closures. It
/// delegates to a memory store, so only `keeps_closures` differs.
struct NoClosures(MemoryStore);

#[async_trait]
impl JobStore for NoClosures {
    fn backend(&self) -> &'static str {
        "no-closures"
    }

    async fn add_job(&self, job: Job, replace_existing: bool) -> tempora::Result<()> {
        self.0.add_job(job, replace_existing).await
    }

    async fn update_job(&self, job: Job) -> tempora::Result<()> {
        self.0.update_job(job).await
    }

    async fn remove_job(&self, id: &str) -> tempora::Result<()> {
        self.0.remove_job(id).await
    }

    async fn remove_all_jobs(&self) -> tempora::Result<()> {
        self.0.remove_all_jobs().await
    }

    async fn get_job(&self, id: &str) -> tempora::Result<Option<Job>> {
        self.0.get_job(id).await
    }

    async fn list_jobs(&self) -> tempora::Result<Vec<Job>> {
        self.0.list_jobs().await
    }

    async fn next_run_time(&self) -> tempora::Result<Option<Timestamp>> {
        self.0.next_run_time().await
    }

    async fn acquire_due(
        &self,
        now: Timestamp,
        limit: usize,
        owner: &str,
        lease: SignedDuration,
    ) -> tempora::Result<Vec<Claimed>> {
        self.0.acquire_due(now, limit, owner, lease).await
    }

    async fn settle(
        &self,
        owner: &str,
        settlements: &[Settlement],
        now: Timestamp,
    ) -> tempora::Result<Vec<Settled>> {
        self.0.settle(owner, settlements, now).await
    }
}

#[test]
fn a_store_that_cannot_keep_closures_refuses_a_closure_job() {
    let env = env_with(SchedulerBuilder::new().store("disk", NoClosures(MemoryStore::new())));
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

// ---- events and listeners --------------------------------------------------

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

// ---- the jobs table --------------------------------------------------------

#[test]
fn jobs_table_lists_id_name_trigger_and_next_run() {
    let env = env();
    env.add(
        JobBuilder::new("record", every(15))
            .id("tick")
            .name("quarter hour"),
    );
    env.add(JobBuilder::new("record", DateTrigger::new(at("2026-01-02T09:30:00Z"))).id("report"));
    env.add(
        JobBuilder::new(
            "record",
            CronTrigger::crontab("0 9 * * mon-fri")
                .timezone("UTC")
                .build()
                .unwrap(),
        )
        .id("weekday")
        .paused(),
    );
    let table = env.scheduler.jobs_table().unwrap();
    let expected = "\
id       name          trigger                                                                      next run
tick     quarter hour  interval[every 15m, start_date='2026-01-01T00:00:00+00:00', timezone='UTC']  2026-01-01T00:00:00+00:00
report   record        date[2026-01-02T09:30:00+00:00]                                              2026-01-02T09:30:00+00:00
weekday  record        cron['0 9 * * mon-fri', timezone='UTC', dst_gap='shift', dst_fold='auto']    paused
";
    assert_eq!(table, expected, "\n{table}");
}

// ---- shutdown and the lifecycle --------------------------------------------

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

// ---- the host scheduler's wake-up ------------------------------------------

#[test]
fn run_pending_answers_the_earliest_next_run_time() {
    let env = env();
    env.start();
    assert_eq!(env.scheduler.run_pending(t(0)), None);
    env.add(JobBuilder::new("record", DateTrigger::new(t(30))).id("a"));
    assert_eq!(env.scheduler.run_pending(t(0)), Some(t(30)));
    env.add(
        JobBuilder::new("record", every(7))
            .id("b")
            .next_run_time(t(7)),
    );
    assert_eq!(env.scheduler.run_pending(t(0)), Some(t(7)));
    assert_eq!(env.tick(7), Some(t(14)));
    assert_eq!(env.tick(28), Some(t(30))); // b ran (7→28 coalesced), next 35
    assert_eq!(env.tick(30), Some(t(35)));
    env.scheduler.pause_job("b").unwrap();
    assert_eq!(env.scheduler.run_pending(t(30)), None);
}

// ---- DST -------------------------------------------------------------------

#[test]
fn a_cron_job_in_a_dst_gap_runs_once_shifted_past_the_gap() {
    // 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT; 02:30 does not
    // exist, and the default policy shifts it to 03:30 EDT (07:30 UTC).
    let clock_start = at("2026-03-07T17:00:00Z"); // 12:00 EST the day before
    let env = env();
    env.clock.set(clock_start);
    let trigger = CronTrigger::builder()
        .hour(2)
        .minute(30)
        .timezone("America/New_York")
        .build()
        .unwrap();
    let job = env.add(JobBuilder::new("record", trigger).id("nightly"));
    assert_eq!(job.next_run_time(), Some(at("2026-03-08T07:30:00Z")));
    env.start();

    // Walk the clock through the night in 10-minute steps.
    let mut now = at("2026-03-08T05:00:00Z");
    while now <= at("2026-03-08T10:00:00Z") {
        env.tick_at(now);
        now = now.checked_add(SignedDuration::from_mins(10)).unwrap();
    }
    let submitted = env.take(EventKind::JobSubmitted);
    assert_eq!(submitted.len(), 1);
    assert_eq!(
        submitted[0].scheduled_run_times,
        vec![at("2026-03-08T07:30:00Z")]
    );
    assert_eq!(env.ran().times, vec![at("2026-03-08T07:30:00Z")]);
    // The next night is EDT: 02:30 EDT is 06:30 UTC.
    assert_eq!(
        env.next_run_time("nightly"),
        Some(at("2026-03-09T06:30:00Z"))
    );
}

#[test]
fn a_cron_job_in_a_dst_fold_runs_once_at_the_first_pass() {
    // 2026-11-01 in New York: 02:00 EDT falls back to 01:00 EST; 01:30
    // happens at 05:30 and again at 06:30 UTC. The default policy fires once.
    let env = env();
    env.clock.set(at("2026-10-31T16:00:00Z"));
    let trigger = CronTrigger::builder()
        .hour(1)
        .minute(30)
        .timezone("America/New_York")
        .build()
        .unwrap();
    env.add(JobBuilder::new("record", trigger).id("nightly"));
    env.start();

    let mut now = at("2026-11-01T04:00:00Z");
    while now <= at("2026-11-01T08:00:00Z") {
        env.tick_at(now);
        now = now.checked_add(SignedDuration::from_mins(10)).unwrap();
    }
    let submitted = env.take(EventKind::JobSubmitted);
    assert_eq!(submitted.len(), 1);
    assert_eq!(
        submitted[0].scheduled_run_times,
        vec![at("2026-11-01T05:30:00Z")]
    );
    assert_eq!(
        env.next_run_time("nightly"),
        Some(at("2026-11-02T06:30:00Z"))
    );
}

// ---- the async scheduler ---------------------------------------------------

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
