//! Overlap policies on the engine, on a [`ManualClock`]: what happens to a
//! fire time that comes while the job already runs its limit of runs —
//! which fire times ran, which were dropped (history records and events).
//!
//! Runs are held by the `hold` task until the test lets them go, one by
//! one; nothing sleeps for time to pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tempora::clock::ManualClock;
use tempora::event::{Event, EventKind, EventMask};
use tempora::executor::Executor;
use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::job::{Job, JobBuilder, JobChanges, JobDefaults, Overlap};
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::store::MemoryStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::IntervalTrigger;

/// How long a test waits for something another thread does before it
/// fails; never waited out when all is well.
const PATIENCE: Duration = Duration::from_secs(10);

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

/// `t0` plus `minutes`.
fn t(minutes: i64) -> Timestamp {
    t0() + SignedDuration::from_mins(minutes)
}

/// Every minute from `t0`, in UTC.
fn minutely() -> IntervalTrigger {
    IntervalTrigger::builder()
        .minutes(1)
        .start_date(t0())
        .timezone("UTC")
        .build()
        .unwrap()
}

/// Runs of `hold` wait for the test's release of their scheduled time.
#[derive(Default)]
struct Releases {
    released: Mutex<Vec<Timestamp>>,
    changed: Condvar,
}

impl Releases {
    fn release(&self, time: Timestamp) {
        self.released.lock().unwrap().push(time);
        self.changed.notify_all();
    }

    /// Waits until `time` is released, or until the context is cancelled;
    /// false when neither happened within three times the patience.
    fn wait(&self, time: Timestamp, context: &JobContext) -> Result<&'static str, &'static str> {
        let mut released = self.released.lock().unwrap();
        let deadline = Instant::now() + PATIENCE * 3;
        loop {
            if released.contains(&time) {
                return Ok("released");
            }
            if context.is_cancelled() {
                return Err("cancelled");
            }
            if Instant::now() > deadline {
                return Err("never released");
            }
            released = self
                .changed
                .wait_timeout(released, Duration::from_millis(5))
                .unwrap()
                .0;
        }
    }
}

/// A host-driven scheduler at `t0` on a memory store with history, with
/// the task `hold` (reports its scheduled time, then waits for its
/// release), a thread pool and a `tokio` executor, and every event kept.
struct Env {
    clock: ManualClock,
    scheduler: HostScheduler,
    releases: Arc<Releases>,
    started: Receiver<Timestamp>,
    events: Receiver<Event>,
    seen: Mutex<Vec<Event>>,
}

#[allow(clippy::disallowed_methods)] // real time: a patience limit
fn env() -> Env {
    let clock = ManualClock::new(t0());
    let releases = Arc::new(Releases::default());
    let (report, started) = mpsc::channel();
    let tasks = Tasks::new();
    let held = Arc::clone(&releases);
    tasks.register("hold", move |context: JobContext, _: ()| {
        let time = *context.scheduled_run_times().last().unwrap();
        let _ = report.send(time);
        held.wait(time, &context)
    });
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-a")
        .tasks(tasks)
        .store("default", MemoryStore::with_history())
        // Tokio's blocking pool starts a thread for each run at once.
        .executor("default", Executor::async_tasks())
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
        releases,
        started,
        events,
        seen: Mutex::new(Vec::new()),
    }
}

impl Env {
    fn add(&self, job: JobBuilder) -> Job {
        self.scheduler.add_job(job).unwrap()
    }

    /// Moves the clock to `t0 + minutes` and processes what is due.
    fn tick(&self, minutes: i64) {
        self.clock.set(t(minutes));
        self.scheduler.run_pending(t(minutes));
    }

    /// The scheduled time of the next run that started.
    fn started(&self) -> Timestamp {
        self.started
            .recv_timeout(PATIENCE)
            .expect("no run started within the patience")
    }

    /// Lets the run of `t0 + minutes` finish and waits for its
    /// `JobExecuted`.
    fn finish(&self, minutes: i64) {
        self.releases.release(t(minutes));
        let executed = self.wait_for(EventKind::JobExecuted, t(minutes));
        assert_eq!(executed.scheduled_run_times, vec![t(minutes)]);
    }

    /// The event of `kind` for fire time `time`, waiting for it.
    #[allow(clippy::disallowed_methods)] // real time: a patience limit
    fn wait_for(&self, kind: EventKind, time: Timestamp) -> Event {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(event) = self
                .seen(kind)
                .into_iter()
                .find(|event| event.scheduled_run_times.last() == Some(&time))
            {
                return event;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => self.seen.lock().unwrap().push(event),
                Err(_) => panic!("no {kind} event for {time} within {PATIENCE:?}"),
            }
        }
    }

    /// Every event of `kind` seen so far.
    fn seen(&self, kind: EventKind) -> Vec<Event> {
        let mut seen = self.seen.lock().unwrap();
        seen.extend(self.events.try_iter());
        seen.iter()
            .filter(|event| event.kind == kind)
            .cloned()
            .collect()
    }

    /// The scheduled times of the events of `kind` seen so far.
    fn times_of(&self, kind: EventKind) -> Vec<Timestamp> {
        let mut times: Vec<Timestamp> = self
            .seen(kind)
            .iter()
            .flat_map(|event| event.scheduled_run_times.clone())
            .collect();
        times.sort();
        times
    }

    /// The history of job `id`, oldest first.
    fn history(&self, id: &str) -> Vec<RunRecord> {
        let mut runs = self.scheduler.list_runs(&RunQuery::new().job(id)).unwrap();
        runs.reverse();
        runs
    }

    /// `(minutes after t0, status)` of each record of job `id`, oldest
    /// first, once `done` holds of them.
    #[allow(clippy::disallowed_methods)] // real time: a patience limit
    fn statuses_when(
        &self,
        id: &str,
        done: impl Fn(&[(i64, RunStatus)]) -> bool,
    ) -> Vec<(i64, RunStatus)> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let statuses: Vec<(i64, RunStatus)> = self
                .history(id)
                .iter()
                .map(|run| {
                    let minutes = run.scheduled_time.duration_since(t0()).as_mins();
                    (minutes, run.status)
                })
                .collect();
            if done(&statuses) {
                return statuses;
            }
            assert!(
                Instant::now() < deadline,
                "the history never got there: {statuses:?}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// `(minutes after t0, status)` of each record of job `id` once none
    /// is running.
    fn settled(&self, id: &str) -> Vec<(i64, RunStatus)> {
        self.statuses_when(id, |runs| {
            runs.iter().all(|(_, status)| status.is_finished())
        })
    }
}

/// A job of `hold` every minute with `policy` (or none).
fn held(id: &str, policy: Option<Overlap>) -> JobBuilder {
    let job = JobBuilder::new("hold", minutely()).id(id);
    match policy {
        Some(policy) => job.overlap(policy),
        None => job,
    }
}

// ---- skip (and unset) ------------------------------------------------------

#[test]
fn skip_and_unset_drop_a_fire_time_that_comes_while_the_job_runs() {
    for policy in [None, Some(Overlap::Skip)] {
        let env = env();
        let job = env.add(held("job", policy));
        assert_eq!(job.overlap(), policy);
        assert_eq!(job.instance_limit(), 1);

        env.tick(0);
        assert_eq!(env.started(), t(0));
        env.tick(1);
        env.tick(2);
        // Dropped, each with a missed record and a JobMaxInstances event.
        assert_eq!(env.times_of(EventKind::JobMaxInstances), [t(1), t(2)]);
        let skipped = env.seen(EventKind::JobMaxInstances);
        assert_eq!(
            skipped[0].error.as_deref(),
            Some("already running 1 instance(s), the maximum")
        );
        env.finish(0);
        env.tick(3);
        assert_eq!(env.started(), t(3));
        env.finish(3);
        use RunStatus::{Missed, Success};
        assert_eq!(
            env.settled("job"),
            [(0, Success), (1, Missed), (2, Missed), (3, Success)],
            "{policy:?}"
        );
        let missed = &env.history("job")[1];
        assert_eq!(
            missed.error.as_deref(),
            Some("run skipped: already running 1 instance(s), the maximum")
        );
        assert_eq!(env.times_of(EventKind::JobExecuted), [t(0), t(3)]);
    }
}

#[test]
fn skip_with_max_instances_runs_that_many_at_once() {
    let env = env();
    env.add(held("job", Some(Overlap::Skip)).max_instances(2));
    env.tick(0);
    env.tick(1);
    env.tick(2);
    let mut started = vec![env.started(), env.started()];
    started.sort();
    assert_eq!(started, [t(0), t(1)]);
    assert_eq!(env.times_of(EventKind::JobMaxInstances), [t(2)]);
    env.finish(0);
    env.finish(1);
    use RunStatus::{Missed, Success};
    assert_eq!(
        env.settled("job"),
        [(0, Success), (1, Success), (2, Missed)]
    );
}

// ---- allow_all -------------------------------------------------------------

#[test]
fn allow_all_starts_every_fire_time_however_many_run() {
    let env = env();
    let job = env.add(held("job", Some(Overlap::AllowAll)));
    assert_eq!(job.instance_limit(), u32::MAX);
    for minute in 0..5 {
        env.tick(minute);
        assert_eq!(env.started(), t(minute));
    }
    assert!(env.seen(EventKind::JobMaxInstances).is_empty());
    for minute in (0..5).rev() {
        env.finish(minute);
    }
    assert_eq!(
        env.settled("job"),
        (0..5)
            .map(|minute| (minute, RunStatus::Success))
            .collect::<Vec<_>>()
    );
}

#[test]
fn allow_all_with_max_instances_set_keeps_that_limit() {
    let env = env();
    let job = env.add(held("job", Some(Overlap::AllowAll)).max_instances(3));
    assert_eq!(job.instance_limit(), 3);
    for minute in 0..4 {
        env.tick(minute);
    }
    let mut started = vec![env.started(), env.started(), env.started()];
    started.sort();
    assert_eq!(started, [t(0), t(1), t(2)]);
    assert_eq!(env.times_of(EventKind::JobMaxInstances), [t(3)]);
    for minute in 0..3 {
        env.finish(minute);
    }
}

#[test]
fn the_policy_comes_from_the_job_defaults_and_changes_with_modify_job() {
    let env = env();
    let defaults = JobDefaults {
        overlap: Some(Overlap::BufferAll),
        ..JobDefaults::default()
    };
    let job = JobBuilder::new("hold", minutely())
        .id("job")
        .build_at(&defaults, t0())
        .unwrap();
    assert_eq!(job.overlap(), Some(Overlap::BufferAll));
    let own = JobBuilder::new("hold", minutely())
        .overlap(Overlap::Skip)
        .build_at(&defaults, t0())
        .unwrap();
    assert_eq!(own.overlap(), Some(Overlap::Skip));

    env.add(held("job", None));
    let changed = env
        .scheduler
        .modify_job("job", JobChanges::new().overlap(Overlap::AllowAll))
        .unwrap();
    assert_eq!(changed.overlap(), Some(Overlap::AllowAll));
    let stored = env.scheduler.get_job("job").unwrap().unwrap();
    assert_eq!(stored.overlap(), Some(Overlap::AllowAll));
    assert_eq!(stored.instance_limit(), u32::MAX);
}
