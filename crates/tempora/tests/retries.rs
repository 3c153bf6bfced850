//! Retries and pause on failure, and pending runs — the run of one fire
//! time that is not the trigger's next, kept in the store as a run job:
//! a failed run is retried after its delay (growing by its factor, capped
//! at its maximum) as attempt 2, 3, … of the same fire time, a success
//! ends the retries, the job's next fire time runs on time while a retry
//! waits, `retry_on` limits retries to some exit statuses, and a job whose
//! last `pause_after_failures` fire times failed is paused with its reason.
//!
//! On a [`ManualClock`] and a memory store with history, driven by hand
//! (`run_pending`). Runs happen on executor threads and their records are
//! written in the background, so the tests poll the history for what they
//! expect, with a bounded deadline; nothing sleeps for time to pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tempora::clock::ManualClock;
use tempora::event::{Event, EventKind, EventMask};
use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::job::{Job, JobBuilder, PendingRunKind, Retry, RunOf};
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::store::{JobStore, MemoryStore};
use tempora::task::{COMMAND, CommandArgs, JobContext, Tasks};
use tempora::trigger::{DateTrigger, IntervalTrigger};

/// How long a test waits for something that happens on another thread.
const PATIENCE: Duration = Duration::from_secs(10);

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn secs(seconds: i64) -> SignedDuration {
    SignedDuration::from_secs(seconds)
}

fn every_minutes(minutes: i64) -> IntervalTrigger {
    IntervalTrigger::builder()
        .minutes(minutes)
        .start_date(t0())
        .timezone("UTC")
        .build()
        .unwrap()
}

/// The calls of the tasks: the job id and the fire times of each.
type Calls = Arc<Mutex<Vec<(String, Vec<Timestamp>)>>>;

/// A scheduler on a manual clock at `t0` over a memory store with history,
/// with tasks `fail` (the error `boom`), `ok`, and `flaky` (fails its
/// first `fails` calls, then succeeds), counting every call by job id.
struct Env {
    clock: ManualClock,
    scheduler: HostScheduler,
    store: Arc<MemoryStore>,
    calls: Calls,
    events: Receiver<Event>,
}

fn env(fails: usize) -> Env {
    let clock = ManualClock::new(t0());
    let store = Arc::new(MemoryStore::with_history());
    let calls: Calls = Arc::default();
    let tasks = Tasks::new();
    let seen = Arc::clone(&calls);
    tasks.register("fail", move |ctx: JobContext, _: ()| {
        seen.lock()
            .unwrap()
            .push((ctx.job_id().to_owned(), ctx.scheduled_run_times().to_vec()));
        Err::<(), _>(format!("boom (attempt {})", ctx.attempt()))
    });
    let seen = Arc::clone(&calls);
    tasks.register("ok", move |ctx: JobContext, _: ()| {
        seen.lock()
            .unwrap()
            .push((ctx.job_id().to_owned(), ctx.scheduled_run_times().to_vec()));
        Ok::<_, String>(())
    });
    let seen = Arc::clone(&calls);
    let count = Arc::new(AtomicUsize::new(0));
    tasks.register("flaky", move |ctx: JobContext, _: ()| {
        seen.lock()
            .unwrap()
            .push((ctx.job_id().to_owned(), ctx.scheduled_run_times().to_vec()));
        if count.fetch_add(1, Ordering::SeqCst) < fails {
            Err("not yet")
        } else {
            Ok(())
        }
    });
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-a")
        .tasks(tasks)
        .store("default", Arc::clone(&store))
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
        store,
        calls,
        events,
    }
}

impl Env {
    fn add(&self, job: JobBuilder) -> Job {
        self.scheduler.add_job(job).unwrap()
    }

    fn tick_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.clock.set(now);
        self.scheduler.run_pending(now)
    }

    #[allow(clippy::disallowed_methods)] // real time: a patience limit
    /// The history of job `id` once it holds `count` finished records,
    /// newest first.
    fn finished_runs(&self, id: &str, count: usize) -> Vec<RunRecord> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let runs = self.scheduler.list_runs(&RunQuery::new().job(id)).unwrap();
            if runs.len() == count && runs.iter().all(|run| run.status.is_finished()) {
                return runs;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} never had {count} finished runs; it has {runs:#?}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The pending runs (run jobs) the store holds, with when each is due.
    fn pending(&self) -> Vec<(RunOf, Timestamp)> {
        let jobs = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(self.store.list_jobs())
            .unwrap();
        jobs.iter()
            .filter_map(|job| Some((job.run_of()?.clone(), job.next_run_time()?)))
            .collect()
    }

    /// Ticks at `now` once the run just finished has left its follow-up
    /// (a tick takes it), and returns what the store then holds pending.
    fn follow_up_at(&self, now: Timestamp) -> Vec<(RunOf, Timestamp)> {
        self.tick_at(now);
        self.pending()
    }

    #[allow(clippy::disallowed_methods)] // real time: a patience limit
    fn wait_event(&self, kind: EventKind) -> Event {
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
}

fn attempts(runs: &[RunRecord]) -> Vec<(Timestamp, u32, RunStatus)> {
    runs.iter()
        .map(|run| (run.scheduled_time, run.attempt, run.status))
        .collect()
}

// ---- pending runs ----------------------------------------------------------

#[test]
fn a_pending_run_runs_its_jobs_task_once_recorded_under_the_job() {
    let env = env(0);
    let first = t0() + SignedDuration::from_hours(1);
    env.add(
        JobBuilder::new("ok", DateTrigger::new(first))
            .id("report")
            .args(&()),
    );
    let missed = t0() - SignedDuration::from_hours(1);
    let run = RunOf::new("report", missed, 1, PendingRunKind::Backfill);
    env.scheduler
        .add_pending_run(run.clone(), t0() + secs(10))
        .unwrap();
    env.scheduler
        .add_pending_run(run.clone(), t0() + secs(10))
        .unwrap();
    assert_eq!(
        env.pending(),
        [(run.clone(), t0() + secs(10))],
        "added once"
    );
    assert_eq!(env.tick_at(t0()), Some(t0() + secs(10)));
    let wake = env.tick_at(t0() + secs(10));
    let runs = env.finished_runs("report", 1);
    assert_eq!(attempts(&runs), [(missed, 1, RunStatus::Success)]);
    assert_eq!(
        *env.calls.lock().unwrap(),
        [("report".to_owned(), vec![missed])],
        "the job's task ran for the pending fire time, under the job's id"
    );
    assert!(env.pending().is_empty(), "the run job is gone once run");
    assert_eq!(wake, Some(first), "the job's own fire time is untouched");
    // A pending run of a removed job goes with it.
    env.scheduler
        .add_pending_run(
            RunOf::new("report", missed, 2, PendingRunKind::Retry),
            t0() + secs(20),
        )
        .unwrap();
    env.scheduler.remove_job("report").unwrap();
    assert!(env.pending().is_empty());
}

// ---- retries ---------------------------------------------------------------

#[test]
fn a_failed_run_is_retried_after_growing_delays_as_attempts_of_its_fire_time() {
    let env = env(0);
    env.add(
        JobBuilder::new("fail", DateTrigger::new(t0()))
            .id("flaky")
            .retry(
                Retry::attempts(4)
                    .delay(secs(30))
                    .factor(3.0)
                    .max_delay(secs(120)),
            ),
    );
    env.tick_at(t0());
    env.finished_runs("flaky", 1);
    // Its instance is free once its event is out.
    env.wait_event(EventKind::JobError);
    // Attempt 2 after 30 s, 3 after 90 s more, 4 after 270 s capped to 120 s.
    let mut now = t0();
    for (attempt, delay) in [(2, 30), (3, 90), (4, 120)] {
        let pending = env.follow_up_at(now);
        let due = now + secs(delay);
        assert_eq!(
            pending,
            [(
                RunOf::new("flaky", t0(), attempt, PendingRunKind::Retry),
                due
            )],
            "attempt {attempt} waits {delay} s"
        );
        assert_eq!(
            env.tick_at(due - secs(1)),
            Some(due),
            "not before it is due"
        );
        assert_eq!(
            env.finished_runs("flaky", attempt as usize - 1).len(),
            attempt as usize - 1
        );
        now = due;
        env.tick_at(now);
        // The events say which attempt failed.
        while env.wait_event(EventKind::JobError).attempt != attempt {}
        env.finished_runs("flaky", attempt as usize);
    }
    assert!(env.follow_up_at(now).is_empty(), "4 attempts in all");
    let runs = env.finished_runs("flaky", 4);
    assert_eq!(
        attempts(&runs),
        [
            (t0(), 4, RunStatus::Error),
            (t0(), 3, RunStatus::Error),
            (t0(), 2, RunStatus::Error),
            (t0(), 1, RunStatus::Error),
        ]
    );
    assert_eq!(runs[1].started, Some(t0() + secs(120)));
    // The task knew which attempt it was (JobContext::attempt).
    let errors: Vec<&str> = runs.iter().filter_map(|run| run.error.as_deref()).collect();
    assert_eq!(
        errors,
        [
            "boom (attempt 4)",
            "boom (attempt 3)",
            "boom (attempt 2)",
            "boom (attempt 1)"
        ]
    );
    assert_eq!(env.calls.lock().unwrap().len(), 4);
}

#[test]
fn a_success_ends_the_retries() {
    let env = env(1);
    env.add(
        JobBuilder::new("flaky", DateTrigger::new(t0()))
            .id("flaky")
            .retry(Retry::attempts(5).delay(secs(10))),
    );
    env.tick_at(t0());
    env.finished_runs("flaky", 1);
    env.wait_event(EventKind::JobError);
    env.follow_up_at(t0());
    env.tick_at(t0() + secs(10));
    let runs = env.finished_runs("flaky", 2);
    assert_eq!(
        attempts(&runs),
        [(t0(), 2, RunStatus::Success), (t0(), 1, RunStatus::Error)]
    );
    assert!(env.follow_up_at(t0() + secs(10)).is_empty());
    assert_eq!(
        env.tick_at(t0() + secs(3600)),
        None,
        "nothing is left to run"
    );
    assert_eq!(env.calls.lock().unwrap().len(), 2);
}

#[test]
fn the_next_fire_time_runs_on_time_while_a_retry_waits() {
    let env = env(0);
    env.add(
        JobBuilder::new("fail", every_minutes(1))
            .id("minutely")
            .retry(Retry::attempts(2).delay(secs(300))),
    );
    env.tick_at(t0());
    env.finished_runs("minutely", 1);
    env.wait_event(EventKind::JobError);
    let pending = env.follow_up_at(t0());
    assert_eq!(pending.len(), 1);
    let next = t0() + secs(60);
    env.tick_at(next);
    let runs = env.finished_runs("minutely", 2);
    assert_eq!(
        attempts(&runs),
        [(next, 1, RunStatus::Error), (t0(), 1, RunStatus::Error)],
        "the fire time after the failure ran on time, its retry still waiting"
    );
    assert_eq!(runs[0].started, Some(next));
    let pending = env.follow_up_at(next);
    assert_eq!(
        pending
            .iter()
            .map(|(run, due)| (run.scheduled_time, *due))
            .collect::<Vec<_>>(),
        [(t0(), t0() + secs(300)), (next, next + secs(300))]
    );
}

#[test]
fn retry_on_retries_only_the_exit_statuses_it_names() {
    let env = env(0);
    let command = |id: &str, status: i32| {
        JobBuilder::new(COMMAND, DateTrigger::new(t0()))
            .id(id)
            .args(
                &CommandArgs::new("sh")
                    .arg("-c")
                    .arg(format!("exit {status}")),
            )
            .retry(Retry::attempts(3).delay(secs(60)).retry_on([75]))
    };
    env.add(command("temporary", 75));
    env.add(command("permanent", 3));
    env.tick_at(t0());
    env.finished_runs("temporary", 1);
    env.finished_runs("permanent", 1);
    let pending = env.follow_up_at(t0());
    assert_eq!(
        pending
            .iter()
            .map(|(run, _)| (run.job.as_str(), run.attempt))
            .collect::<Vec<_>>(),
        [("temporary", 2)],
        "exit 75 is retried, exit 3 is not"
    );
}

// ---- pause on failure ------------------------------------------------------

#[test]
fn a_job_is_paused_after_its_last_fire_times_failed() {
    let env = env(0);
    env.add(
        JobBuilder::new("fail", every_minutes(1))
            .id("broken")
            .pause_after_failures(2),
    );
    env.tick_at(t0());
    env.finished_runs("broken", 1);
    env.wait_event(EventKind::JobError);
    env.tick_at(t0());
    assert!(
        !env.scheduler
            .get_job("broken")
            .unwrap()
            .unwrap()
            .is_paused()
    );
    env.tick_at(t0() + secs(60));
    env.finished_runs("broken", 2);
    env.tick_at(t0() + secs(60));
    let event = env.wait_event(EventKind::JobPaused);
    assert_eq!(event.job_id.as_deref(), Some("broken"));
    let job = env.scheduler.get_job("broken").unwrap().unwrap();
    assert!(job.is_paused());
    let reason = job.paused_reason().unwrap_or_default();
    assert!(
        reason.contains("2 failed run(s) in a row") && reason.contains("boom (attempt 1)"),
        "{reason}"
    );
    assert_eq!(event.error.as_deref(), Some(reason));
    assert_eq!(
        env.tick_at(t0() + secs(120)),
        None,
        "a paused job does not run"
    );
    let resumed = env.scheduler.resume_job("broken").unwrap().unwrap();
    assert_eq!(resumed.paused_reason(), None, "resuming clears the reason");
}

#[test]
fn a_retry_waits_while_its_job_runs_its_maximum_of_instances() {
    let env = env(0);
    env.add(
        JobBuilder::new("fail", every_minutes(10))
            .id("busy")
            .retry(Retry::attempts(2).delay(secs(30))),
    );
    env.tick_at(t0());
    env.finished_runs("busy", 1);
    env.wait_event(EventKind::JobError);
    let due = t0() + secs(30);
    assert_eq!(
        env.follow_up_at(t0()),
        [(RunOf::new("busy", t0(), 2, PendingRunKind::Retry), due)]
    );
    // A second pending run of the job comes due with the retry: with
    // max_instances = 1, one starts and the other must wait for it.
    env.scheduler
        .add_pending_run(
            RunOf::new("busy", t0() - secs(600), 1, PendingRunKind::Backfill),
            due,
        )
        .unwrap();
    let wake = env.tick_at(due);
    // One of the two started; the other waits a second, not dropped.
    assert_eq!(wake, Some(due + secs(1)));
    assert_eq!(env.pending().len(), 1, "one run waits");
    env.finished_runs("busy", 2);
    env.wait_event(EventKind::JobError);
    env.tick_at(due + secs(1));
    let runs = env.finished_runs("busy", 3);
    let mut kept = attempts(&runs);
    kept.sort();
    assert_eq!(
        kept,
        [
            (t0() - secs(600), 1, RunStatus::Error),
            (t0(), 1, RunStatus::Error),
            (t0(), 2, RunStatus::Error),
        ],
        "neither was lost or refused: {runs:#?}"
    );
}

#[test]
fn retry_settings_are_checked_and_changed_through_the_api() {
    let env = env(0);
    let error = env
        .scheduler
        .add_job(
            JobBuilder::new("fail", every_minutes(1))
                .id("checked")
                .retry(Retry::attempts(3).factor(0.5)),
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "retry.factor: 0.5 is not allowed: at least 1"
    );
    let error = env
        .scheduler
        .add_job(
            JobBuilder::new("fail", every_minutes(1))
                .id("checked")
                .pause_after_failures(0),
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "pause_after_failures: 0 is not allowed: at least 1"
    );
    env.add(JobBuilder::new("fail", every_minutes(1)).id("changed"));
    let retry = Retry::attempts(2).delay(secs(5));
    let changed = env
        .scheduler
        .modify_job(
            "changed",
            tempora::job::JobChanges::new()
                .retry(Some(retry.clone()))
                .pause_after_failures(Some(4)),
        )
        .unwrap();
    assert_eq!(changed.retry(), Some(&retry));
    assert_eq!(changed.pause_after_failures(), Some(4));
    let error = env
        .scheduler
        .modify_job(
            "changed",
            tempora::job::JobChanges::new().retry(Some(Retry::attempts(0))),
        )
        .unwrap_err();
    assert_eq!(error.field(), Some("retry.attempts"));
    let stored = env.scheduler.get_job("changed").unwrap().unwrap();
    assert_eq!(
        stored.retry(),
        Some(&retry),
        "a refused change changes nothing"
    );
}
