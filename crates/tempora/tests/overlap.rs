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
    /// an error when neither happened within three times the patience.
    #[allow(clippy::disallowed_methods)] // real time: a patience limit
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

// ---- buffer_one, buffer_all ------------------------------------------------

/// The scheduler looks at a buffered run again a second after it was put
/// off: the next tick after `t0 + minutes` that finds it due.
fn soon_after(minutes: i64) -> Timestamp {
    t(minutes) + SignedDuration::from_secs(1)
}

impl Env {
    /// Moves the clock to `now` and processes what is due.
    fn tick_at(&self, now: Timestamp) {
        self.clock.set(now);
        self.scheduler.run_pending(now);
    }
}

#[test]
fn buffer_one_runs_one_fire_time_after_the_run_and_drops_the_others() {
    let env = env();
    env.add(held("job", Some(Overlap::BufferOne)));
    env.tick(0);
    assert_eq!(env.started(), t(0));
    env.tick(1);
    // Kept: a JobBuffered event, a pending run waiting in the store.
    assert_eq!(env.times_of(EventKind::JobBuffered), [t(1)]);
    env.tick(2);
    env.tick(3);
    // Dropped while one is buffered.
    assert_eq!(env.times_of(EventKind::JobMaxInstances), [t(2), t(3)]);
    let skipped = env.seen(EventKind::JobMaxInstances);
    assert!(
        skipped[0]
            .error
            .as_deref()
            .unwrap()
            .contains("a fire time is buffered already (overlap = \"buffer_one\")"),
        "{skipped:?}"
    );
    env.finish(0);
    // It starts right after the run ended (the next look, within a second).
    env.tick_at(soon_after(3));
    assert_eq!(env.started(), t(1));
    // A fire time while the buffered run runs is buffered again.
    env.tick(4);
    assert_eq!(env.times_of(EventKind::JobBuffered), [t(1), t(4)]);
    env.finish(1);
    env.tick_at(soon_after(4));
    assert_eq!(env.started(), t(4));
    env.finish(4);
    use RunStatus::{Missed, Success};
    assert_eq!(
        env.settled("job"),
        [
            (0, Success),
            (1, Success),
            (2, Missed),
            (3, Missed),
            (4, Success)
        ]
    );
    // The buffered run started late, after the run before it.
    let buffered = &env.history("job")[1];
    assert_eq!(buffered.started, Some(soon_after(3)));
    // Nothing is left waiting.
    assert_eq!(env.scheduler.list_jobs(None).unwrap().len(), 1);
}

/// A fire time that comes when the job has just become free, while the
/// fire time kept earlier has not been looked at again yet, does not run
/// before it: under `buffer_one` it is dropped, under `buffer_all` kept
/// after it.
#[test]
fn a_new_fire_time_never_starts_before_a_kept_one() {
    for (policy, later) in [
        (Overlap::BufferOne, RunStatus::Missed),
        (Overlap::BufferAll, RunStatus::Success),
    ] {
        let env = env();
        env.add(held("job", Some(policy)));
        env.tick(0);
        assert_eq!(env.started(), t(0));
        env.tick(1);
        // Looked at half a second before 00:02, still busy: put off until
        // half a second after.
        let half = SignedDuration::from_millis(500);
        env.tick_at(t(2) - half);
        env.finish(0);
        env.tick(2);
        env.tick_at(t(2) + half);
        assert_eq!(env.started(), t(1), "{policy}: the kept fire time first");
        env.finish(1);
        if later == RunStatus::Success {
            env.tick_at(t(2) + half * 3);
            assert_eq!(env.started(), t(2), "{policy}");
            env.finish(2);
        }
        assert_eq!(
            env.settled("job"),
            [(0, RunStatus::Success), (1, RunStatus::Success), (2, later)],
            "{policy}"
        );
    }
}

#[test]
fn buffer_all_runs_every_fire_time_in_order() {
    let env = env();
    env.add(held("job", Some(Overlap::BufferAll)));
    for minute in 0..4 {
        env.tick(minute);
    }
    assert_eq!(env.started(), t(0));
    assert_eq!(env.times_of(EventKind::JobBuffered), [t(1), t(2), t(3)]);
    assert!(env.seen(EventKind::JobMaxInstances).is_empty());
    let mut now = t(3);
    for minute in 0..3 {
        env.finish(minute);
        now += SignedDuration::from_secs(1);
        env.tick_at(now);
        assert_eq!(env.started(), t(minute + 1), "one at a time, in order");
    }
    env.finish(3);
    assert_eq!(
        env.settled("job"),
        (0..4)
            .map(|minute| (minute, RunStatus::Success))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        env.times_of(EventKind::JobExecuted),
        [t(0), t(1), t(2), t(3)]
    );
}

// ---- cancel_other ----------------------------------------------------------

#[test]
fn cancel_other_cancels_the_run_and_starts_the_new_fire_time_after_it() {
    let env = env();
    env.add(held("job", Some(Overlap::CancelOther)));
    env.tick(0);
    assert_eq!(env.started(), t(0));
    env.tick(1);
    // The run of 00:00 is asked to stop (its context is cancelled), and
    // ends; the fire time of 00:01 waits for it.
    let ended = env.wait_for(EventKind::JobError, t(0));
    assert_eq!(ended.error.as_deref(), Some("cancelled"));
    assert_eq!(env.times_of(EventKind::JobBuffered), [t(1)]);
    env.tick_at(soon_after(1));
    assert_eq!(env.started(), t(1));
    env.finish(1);
    use RunStatus::{Interrupted, Success};
    assert_eq!(env.settled("job"), [(0, Interrupted), (1, Success)]);
    let cancelled = &env.history("job")[0];
    assert_eq!(
        cancelled.error.as_deref(),
        Some(
            "cancelled: overlap = \"cancel_other\": the fire time 2026-01-01T00:01:00Z replaces it: \
             cancelled"
        )
    );
}

// ---- backfill --------------------------------------------------------------

#[test]
fn backfill_runs_each_fire_time_of_the_range_once_without_moving_the_schedule() {
    let env = env();
    env.tick(10);
    let job = env.add(held("job", None).next_run_time(t(30)));
    let times = env.scheduler.backfill("job", t(2), t(4)).unwrap();
    assert_eq!(times, [t(2), t(3), t(4)]);
    // Asked again, each still runs once.
    assert_eq!(
        env.scheduler.backfill("job", t(3), t(4)).unwrap(),
        [t(3), t(4)]
    );
    // Told once each: the second asking found them waiting.
    assert_eq!(env.times_of(EventKind::JobBuffered), [t(2), t(3), t(4)]);
    // The job's limit holds: one at a time, oldest first.
    let mut now = t(10);
    env.tick_at(now);
    let mut started = vec![env.started()];
    for _ in 0..2 {
        let last = *started.last().unwrap();
        env.releases.release(last);
        env.wait_for(EventKind::JobExecuted, last);
        now += SignedDuration::from_secs(1);
        env.tick_at(now);
        started.push(env.started());
    }
    assert_eq!(started, [t(2), t(3), t(4)]);
    env.releases.release(t(4));
    assert_eq!(
        env.settled("job"),
        [2, 3, 4].map(|minute| (minute, RunStatus::Success))
    );
    // The regular schedule is where it was, and nothing is left waiting.
    let after = env.scheduler.get_job("job").unwrap().unwrap();
    assert_eq!(after.next_run_time(), job.next_run_time());
    env.tick_at(now + SignedDuration::from_secs(1));
    assert_eq!(env.scheduler.list_jobs(None).unwrap().len(), 1);
    assert!(env.started.try_recv().is_err(), "nothing ran twice");
}

#[test]
fn backfill_refuses_an_unknown_job_and_a_bad_range() {
    let env = env();
    env.tick(2100);
    env.add(held("job", None));
    let unknown = env.scheduler.backfill("nope", t(0), t(1)).unwrap_err();
    assert!(unknown.is_not_found(), "{unknown}");
    let reversed = env.scheduler.backfill("job", t(2), t(1)).unwrap_err();
    assert_eq!(reversed.field(), Some("from"));
    let future = env.scheduler.backfill("job", t(2), t(2101)).unwrap_err();
    assert_eq!(future.field(), Some("to"));
    env.scheduler.pause_job("job").unwrap();
    let paused = env.scheduler.backfill("job", t(2), t(4)).unwrap_err();
    assert_eq!(paused.field(), Some("id"));
    env.scheduler.resume_job("job").unwrap();
    let long = env.scheduler.backfill("job", t(0), t(2000)).unwrap_err();
    assert_eq!(
        long.to_string(),
        "backfill: 2001 fire times from 2026-01-01T00:00:00+00:00 to 2026-01-02T09:20:00+00:00, \
         more than the 1000 one backfill may run: backfill a shorter range, in parts"
    );
    assert_eq!(
        env.scheduler.list_jobs(None).unwrap().len(),
        1,
        "nothing added"
    );
}

/// Under `cancel_other` the `command` task's program gets SIGTERM (its
/// whole process group), and its run is recorded interrupted with why and
/// how the program ended.
#[test]
#[cfg(unix)]
fn cancel_other_sends_a_command_sigterm() {
    use tempora::task::{COMMAND, CommandArgs};

    let env = env();
    let dir = std::env::temp_dir().join(format!("tempora-overlap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let started = dir.join("started");
    let _ = std::fs::remove_file(&started);
    let script = format!(
        "trap 'exit 3' TERM; touch {}; sleep 30 & wait",
        started.display()
    );
    let command = CommandArgs::new("/bin/sh").args(["-c", &script]);
    env.add(
        JobBuilder::new(COMMAND, minutely())
            .id("cmd")
            .args(&command)
            .overlap(Overlap::CancelOther),
    );
    env.tick(0);
    wait_for_file(&started);
    env.tick(1);
    let ended = env.wait_for(EventKind::JobError, t(0));
    assert_eq!(
        ended.error.as_deref(),
        Some(
            "command \"/bin/sh\" was stopped: its run was cancelled and it got SIGTERM; \
             it exited with status 3"
        )
    );
    let records = env.statuses_when("cmd", |runs| {
        runs.first() == Some(&(0, RunStatus::Interrupted))
    });
    assert_eq!(records[0], (0, RunStatus::Interrupted));
    let cancelled = &env.history("cmd")[0];
    assert_eq!(cancelled.exit_status, Some(3));
    assert!(
        cancelled
            .error
            .as_deref()
            .unwrap()
            .starts_with("cancelled: overlap = \"cancel_other\": the fire time 2026-01-01T00:01:00Z replaces it: command"),
        "{cancelled:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    env.scheduler.shutdown(false).unwrap();
}

/// A program that ignores SIGTERM gets SIGKILL, its whole process group,
/// `CANCEL_GRACE` (10 s of real time: the grace is the operating system's
/// business, not the scheduler's clock) after its run was cancelled under
/// `cancel_other`; the replacing fire time then runs.
#[test]
#[cfg(unix)]
fn cancel_other_kills_a_command_that_ignores_sigterm() {
    use tempora::task::{CANCEL_GRACE, COMMAND, CommandArgs};

    let env = env();
    let dir = std::env::temp_dir().join(format!("tempora-overlap-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let started = dir.join("started");
    let _ = std::fs::remove_file(&started);
    // The shell and its `sleep` both ignore SIGTERM.
    let script = format!(
        "trap '' TERM; touch {}; sleep 60 & wait; sleep 60",
        started.display()
    );
    let command = CommandArgs::new("/bin/sh").args(["-c", &script]);
    env.add(
        JobBuilder::new(COMMAND, minutely())
            .id("stubborn")
            .args(&command)
            .overlap(Overlap::CancelOther),
    );
    env.tick(0);
    wait_for_file(&started);
    std::fs::remove_file(&started).unwrap();
    env.tick(1);
    // SIGTERM is ignored: 8 s on, the program still runs.
    let grace = Duration::from_secs(CANCEL_GRACE.as_secs().unsigned_abs());
    #[allow(clippy::disallowed_methods)] // real time: the grace is the system's
    std::thread::sleep(grace - Duration::from_secs(2));
    assert!(
        env.seen(EventKind::JobError).is_empty(),
        "the run ended before its grace was out"
    );
    let ended = env.wait_for(EventKind::JobError, t(0));
    assert_eq!(
        ended.error.as_deref(),
        Some(
            "command \"/bin/sh\" was killed: its run was cancelled and it did not exit \
             within 10s of SIGTERM"
        )
    );
    let records = env.statuses_when("stubborn", |runs| {
        runs.first() == Some(&(0, RunStatus::Interrupted))
    });
    assert_eq!(records[0], (0, RunStatus::Interrupted));
    // The fire time that replaced it runs once the program is gone.
    env.tick_at(soon_after(1));
    wait_for_file(&started);
    let _ = std::fs::remove_dir_all(&dir);
    env.scheduler.shutdown(false).unwrap();
}

#[allow(clippy::disallowed_methods)] // real time: a patience limit
fn wait_for_file(path: &std::path::Path) {
    let deadline = Instant::now() + PATIENCE;
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
