//! The engine keeps the run history: each run is recorded as running before
//! its job is released, and again when it ends (success, error, panic,
//! timeout, interrupted at shutdown), with its times, duration, error text
//! and — for the `command` task — the program's exit status and output;
//! missed fire times get one record; a node restarting under its id, and
//! any node taking over a dead one's expired records, mark them
//! interrupted; runs in flight are renewed; the retention prunes; the
//! scheduler lists the history of every store; a store that other
//! processes change is re-read within the poll interval; a store without
//! history still runs jobs.
//!
//! On a [`ManualClock`] and memory stores. Runs happen on executor threads
//! and their records are written in the background, so the tests poll the
//! history for what they expect, with a bounded deadline; nothing sleeps
//! for time to pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use tempora::clock::ManualClock;
use tempora::event::{Event, EventKind, EventMask};
use tempora::history::{RunQuery, RunRecord, RunRetention, RunStatus};
use tempora::job::OnInterrupted;
use tempora::job::{Job, JobBuilder, JobDefaults, MisfireGraceTime};
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::store::{
    Claimed, JobStore, MemoryStore, NodeRegistry, RunHistory, Settled, Settlement,
};
use tempora::task::{COMMAND, CommandArgs, JobContext, Tasks};
use tempora::trigger::{DateTrigger, IntervalTrigger};

// ---- helpers ---------------------------------------------------------------

/// How long a test waits for something that happens on another thread.
const PATIENCE: Duration = Duration::from_secs(10);

const LEASE: SignedDuration = SignedDuration::from_secs(30);

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn t(minutes: i64) -> Timestamp {
    t0() + SignedDuration::from_mins(minutes)
}

fn secs(seconds: i64) -> SignedDuration {
    SignedDuration::from_secs(seconds)
}

fn every(minutes: i64) -> IntervalTrigger {
    IntervalTrigger::builder()
        .minutes(minutes)
        .start_date(t0())
        .timezone("UTC")
        .build()
        .unwrap()
}

/// A gate the `block` task waits at until the test opens it.
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

    fn wait(&self) -> bool {
        let guard = self.open.lock().unwrap();
        let (guard, _) = self
            .opened
            .wait_timeout_while(guard, PATIENCE * 3, |open| !*open)
            .unwrap();
        *guard
    }
}

/// Tasks: `ok` (returns `"done"`), `fail` (the error `boom`), `panic`
/// (panics with `kaboom`), `block` (waits at the gate), and the built-in
/// `command`.
fn tasks(gate: &Arc<Gate>) -> Tasks {
    let tasks = Tasks::new();
    tasks.register("ok", |_: JobContext, _: ()| Ok::<_, String>("done"));
    tasks.register("fail", |_: JobContext, _: ()| Err::<(), _>("boom"));
    tasks.register("panic", |_: JobContext, _: ()| -> Result<(), String> {
        panic!("kaboom")
    });
    let shut = Arc::clone(gate);
    tasks.register("block", move |_: JobContext, _: ()| {
        if shut.wait() {
            Ok("released")
        } else {
            Err("the test never opened the gate")
        }
    });
    tasks
}

/// A host-driven scheduler of node `node-a` on a manual clock at `t0`,
/// whose default store is `store` (which the test also reads directly).
struct Env {
    clock: ManualClock,
    scheduler: HostScheduler,
    store: Arc<MemoryStore>,
    gate: Arc<Gate>,
    events: Receiver<Event>,
}

fn env() -> Env {
    env_with(
        SchedulerBuilder::new(),
        Arc::new(MemoryStore::with_history()),
    )
}

fn env_with(builder: SchedulerBuilder, store: Arc<MemoryStore>) -> Env {
    let clock = ManualClock::new(t0());
    let gate = Arc::new(Gate::default());
    let scheduler = builder
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-a")
        .lease(LEASE)
        .tasks(tasks(&gate))
        .store("default", Arc::clone(&store))
        .host_driven()
        .unwrap();
    let (sink, events) = mpsc::channel();
    scheduler.listeners().add(EventMask::ALL, move |event| {
        let _ = sink.send(event.clone());
    });
    Env {
        clock,
        scheduler,
        store,
        gate,
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

    #[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
    /// The history `query` asks for, once `done` holds of it.
    fn runs_when(&self, query: &RunQuery, done: impl Fn(&[RunRecord]) -> bool) -> Vec<RunRecord> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let runs = self.scheduler.list_runs(query).unwrap();
            if done(&runs) {
                return runs;
            }
            assert!(
                Instant::now() < deadline,
                "the history never got there; it holds {runs:#?}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The one record of job `id`, once it is finished.
    fn finished(&self, id: &str) -> RunRecord {
        let runs = self.runs_when(&RunQuery::new().job(id), |runs| {
            runs.len() == 1 && runs[0].status.is_finished()
        });
        runs.into_iter().next().unwrap()
    }

    #[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
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

fn command_job(id: &str, args: &CommandArgs) -> JobBuilder {
    JobBuilder::new(COMMAND, DateTrigger::new(t0()))
        .id(id)
        .args(args)
}

// ---- how runs end ----------------------------------------------------------

#[test]
fn a_run_is_recorded_running_before_it_starts_then_finished_with_its_duration() {
    let env = env();
    env.add(JobBuilder::new("block", DateTrigger::new(t0())).id("slow"));
    env.scheduler.start().unwrap();
    env.tick_at(t0());

    // Recorded before the run started, vouched for one lease.
    let running = env.scheduler.list_runs(&RunQuery::new()).unwrap();
    assert_eq!(running.len(), 1);
    let run = &running[0];
    assert_eq!(run.key(), ("slow", t0(), "node-a", 1));
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.started, Some(t0()));
    assert_eq!(run.alive_until, Some(t0() + LEASE));
    assert_eq!(run.fire_times, 1);
    assert_eq!(run.finished, None);

    env.clock.set(t0() + secs(2));
    env.gate.open();
    let run = env.finished("slow");
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!(run.started, Some(t0()));
    assert_eq!(run.finished, Some(t0() + secs(2)));
    assert!(run.duration.is_some_and(|d| d >= SignedDuration::ZERO));
    assert_eq!(run.error, None);
    assert_eq!(run.alive_until, None);
    assert_eq!((run.exit_status, run.output), (None, None));
}

#[test]
fn an_error_and_a_panic_are_recorded_with_their_text() {
    let env = env();
    env.add(JobBuilder::new("fail", DateTrigger::new(t0())).id("failing"));
    env.add(JobBuilder::new("panic", DateTrigger::new(t0())).id("panicking"));
    env.scheduler.start().unwrap();
    env.tick_at(t0());

    let failed = env.finished("failing");
    assert_eq!(failed.status, RunStatus::Error);
    assert_eq!(failed.error.as_deref(), Some("boom"));
    assert!(failed.duration.is_some());

    let panicked = env.finished("panicking");
    assert_eq!(panicked.status, RunStatus::Panic);
    assert_eq!(panicked.error.as_deref(), Some("panicked: kaboom"));
}

#[test]
fn a_job_whose_task_is_not_registered_is_recorded_as_an_error_that_never_started() {
    let env = env();
    env.add(JobBuilder::new("ok", DateTrigger::new(t0())).id("gone"));
    // A program that no longer registers the task (another registry).
    let other = SchedulerBuilder::new()
        .clock(env.clock.clone())
        .node_id("node-b")
        .store("default", Arc::clone(&env.store))
        .host_driven()
        .unwrap();
    other.start().unwrap();
    other.run_pending(t0());
    let runs = other.list_runs(&RunQuery::new().job("gone")).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Error);
    assert_eq!(runs[0].started, None);
    assert!(
        runs[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("run not started: task: \"ok\" is not registered"),
        "{:?}",
        runs[0].error
    );
}

#[test]
fn a_fallback_task_runs_stored_jobs_whose_names_the_program_never_registered() {
    let env = env();
    env.add(JobBuilder::new("ok", DateTrigger::new(t0())).id("kept"));
    // A program that registers no task by name, but resolves names when
    // their jobs run.
    let called = Arc::new(Mutex::new(Vec::new()));
    let tasks = Tasks::new();
    let seen = Arc::clone(&called);
    tasks.register_fallback(
        move |task: &str, context: JobContext, args: serde_json::Value| {
            seen.lock()
                .unwrap()
                .push((task.to_owned(), context.job_id().to_owned(), args));
            Ok::<(), String>(())
        },
    );
    let other = SchedulerBuilder::new()
        .clock(env.clock.clone())
        .node_id("node-b")
        .tasks(tasks)
        .store("default", Arc::clone(&env.store))
        .host_driven()
        .unwrap();
    // The fallback takes any name and any JSON arguments.
    other
        .add_job(
            JobBuilder::new("reports:weekly", DateTrigger::new(t0()))
                .id("weekly")
                .args(&serde_json::json!({"to": "ops"})),
        )
        .unwrap();
    other.start().unwrap();
    other.run_pending(t0());
    // Both stores' histories are one: the first program reads what ran.
    for id in ["kept", "weekly"] {
        let run = env.finished(id);
        assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
        assert_eq!(run.node, "node-b");
    }
    let mut called = called.lock().unwrap().clone();
    called.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        called,
        [
            ("ok".to_owned(), "kept".to_owned(), serde_json::Value::Null),
            (
                "reports:weekly".to_owned(),
                "weekly".to_owned(),
                serde_json::json!({"to": "ops"})
            ),
        ]
    );
}

#[test]
fn missed_fire_times_make_one_missed_record_saying_how_late() {
    let env = env();
    env.add(
        JobBuilder::new("ok", every(1))
            .id("minutely")
            .coalesce(false)
            .misfire_grace_time(MisfireGraceTime::Limit(secs(30))),
    );
    env.scheduler.start().unwrap();
    // Down from t0 to t3: t0, t1 and t2 are more than 30 s late.
    env.tick_at(t(3));

    let runs = env.runs_when(&RunQuery::new().job("minutely"), |runs| {
        runs.len() == 2 && runs.iter().all(|run| run.status.is_finished())
    });
    // Newest first: the run at t3, then the missed ones (keyed by the latest).
    assert_eq!(runs[0].scheduled_time, t(3));
    assert_eq!(runs[0].status, RunStatus::Success);
    let missed = &runs[1];
    assert_eq!(missed.status, RunStatus::Missed);
    assert_eq!(missed.scheduled_time, t(2));
    assert_eq!(missed.fire_times, 3);
    assert_eq!(missed.started, None);
    assert_eq!(missed.finished, Some(t(3)));
    assert_eq!(
        missed.error.as_deref(),
        Some("3 run(s) missed: the latest was 1m late, more than the misfire grace time of 30s")
    );
    let failed = env
        .scheduler
        .list_runs(&RunQuery::new().failed_only())
        .unwrap();
    assert_eq!(failed, vec![missed.clone()]);
}

#[test]
fn a_coalesced_run_records_every_fire_time_it_covers() {
    let env = env();
    env.add(
        JobBuilder::new("ok", every(1))
            .id("minutely")
            .coalesce(true),
    );
    env.scheduler.start().unwrap();
    env.tick_at(t(3));
    let run = env.finished("minutely");
    assert_eq!(run.scheduled_time, t(3));
    assert_eq!(run.fire_times, 4);
    assert_eq!(run.status, RunStatus::Success);
}

#[test]
fn a_run_skipped_at_max_instances_is_recorded_missed() {
    let env = env();
    env.add(
        JobBuilder::new("block", every(1))
            .id("one")
            .max_instances(1),
    );
    env.scheduler.start().unwrap();
    env.tick_at(t0());
    env.tick_at(t(1));
    let runs = env.runs_when(&RunQuery::new().job("one"), |runs| runs.len() == 2);
    assert_eq!(runs[0].scheduled_time, t(1));
    assert_eq!(runs[0].status, RunStatus::Missed);
    assert_eq!(
        runs[0].error.as_deref(),
        Some("run skipped: already running 1 instance(s), the maximum")
    );
    assert_eq!(runs[1].status, RunStatus::Running);
    env.gate.open();
    env.runs_when(&RunQuery::new().job("one"), |runs| {
        runs[1].status == RunStatus::Success
    });
}

#[test]
fn run_job_now_is_recorded_for_the_time_it_ran() {
    let env = env();
    env.add(JobBuilder::new("ok", every(10)).id("report"));
    env.scheduler.start().unwrap();
    env.clock.set(t(3));
    env.scheduler.run_job_now("report").unwrap();
    let run = env.finished("report");
    assert_eq!(run.scheduled_time, t(3));
    assert_eq!(run.status, RunStatus::Success);
}

// ---- the command task ------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_command_records_its_exit_status_and_output_tail_on_success_and_failure() {
    let env = env();
    let script = |code: i32| {
        CommandArgs::new("sh")
            .arg("-c")
            .arg(format!("echo out; echo err >&2; exit {code}"))
    };
    env.add(command_job("fine", &script(0)));
    env.add(command_job("broken", &script(3)));
    env.scheduler.start().unwrap();
    env.tick_at(t0());

    let fine = env.finished("fine");
    assert_eq!(fine.status, RunStatus::Success);
    assert_eq!(fine.exit_status, Some(0));
    assert_eq!(fine.output.as_deref(), Some("out\nerr\n"));

    let broken = env.finished("broken");
    assert_eq!(broken.status, RunStatus::Error);
    assert_eq!(broken.exit_status, Some(3));
    assert_eq!(broken.output.as_deref(), Some("out\nerr\n"));
    assert_eq!(
        broken.error.as_deref(),
        Some("command \"sh\" exited with status 3; stderr: err")
    );
}

#[cfg(unix)]
#[test]
fn a_command_past_its_timeout_is_recorded_as_timeout_with_its_output() {
    let env = env();
    let args = CommandArgs::new("sh")
        .arg("-c")
        .arg("echo started; exec sleep 30")
        .timeout(SignedDuration::from_millis(200));
    env.add(command_job("slow", &args));
    env.scheduler.start().unwrap();
    env.tick_at(t0());

    let run = env.finished("slow");
    assert_eq!(run.status, RunStatus::Timeout);
    assert!(
        run.error
            .as_deref()
            .unwrap()
            .starts_with("command \"sh\" timed out after"),
        "{:?}",
        run.error
    );
    // Killed by a signal: no exit status, but what it said is kept.
    assert_eq!(run.exit_status, None);
    assert_eq!(run.output.as_deref(), Some("started\n"));
}

#[cfg(unix)]
#[test]
fn runs_cut_short_by_the_shutdown_timeout_are_recorded_interrupted() {
    let env = env_with(
        SchedulerBuilder::new().shutdown_timeout(SignedDuration::from_millis(50)),
        Arc::new(MemoryStore::with_history()),
    );
    let args = CommandArgs::new("sh")
        .arg("-c")
        .arg("echo working; exec sleep 30");
    env.add(command_job("long", &args));
    env.scheduler.start().unwrap();
    env.tick_at(t0());
    env.wait_event(EventKind::JobSubmitted);
    env.runs_when(&RunQuery::new(), |runs| runs.len() == 1);

    // Returns once the run was cancelled and its record written.
    env.scheduler.shutdown(true).unwrap();
    let runs = env.scheduler.list_runs(&RunQuery::new()).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Interrupted);
    let error = runs[0].error.as_deref().unwrap();
    assert!(
        error.starts_with("interrupted: the scheduler shut down: command \"sh\" was killed"),
        "{error}"
    );
}

// ---- crash recovery, renewal, retention ------------------------------------

#[test]
fn a_node_restarting_under_its_id_marks_its_leftover_runs_interrupted() {
    let store = Arc::new(MemoryStore::with_history());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // What a node-a that died left behind, still promised alive for an
    // hour, and a live run of node-b.
    let earlier = t0() - secs(60);
    let leftover = RunRecord::running("backup", earlier, "node-a", earlier, t(60));
    let other = RunRecord::running("backup", t0() - secs(30), "node-b", earlier, t(60));
    rt.block_on(store.record_run(&leftover)).unwrap();
    rt.block_on(store.record_run(&other)).unwrap();

    let env = env_with(SchedulerBuilder::new(), Arc::clone(&store));
    env.scheduler.start().unwrap();
    env.tick_at(t0());

    let runs = env.scheduler.list_runs(&RunQuery::new()).unwrap();
    let mine = runs.iter().find(|run| run.node == "node-a").unwrap();
    assert_eq!(mine.status, RunStatus::Interrupted);
    assert_eq!(mine.finished, Some(t0()));
    assert_eq!(
        mine.error.as_deref(),
        Some("interrupted: node \"node-a\" stopped before the run finished")
    );
    let theirs = runs.iter().find(|run| run.node == "node-b").unwrap();
    assert_eq!(theirs.status, RunStatus::Running);
}

#[test]
fn an_expired_run_of_another_node_is_taken_over_as_interrupted() {
    let store = Arc::new(MemoryStore::with_history());
    let dead = RunRecord::running("backup", t0(), "node-b", t0(), t0() + LEASE);
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(store.record_run(&dead))
        .unwrap();
    let env = env_with(SchedulerBuilder::new(), store);
    env.scheduler.start().unwrap();

    // Promised alive until t0 + lease: left alone until then.
    env.tick_at(t0());
    let runs = env.scheduler.list_runs(&RunQuery::new()).unwrap();
    assert_eq!(runs[0].status, RunStatus::Running);

    // Node-b never renewed it; the next sweep (a lease later) takes it over.
    env.tick_at(t0() + LEASE + secs(1));
    let runs = env.scheduler.list_runs(&RunQuery::new()).unwrap();
    assert_eq!(runs[0].status, RunStatus::Interrupted);
    assert_eq!(runs[0].finished, Some(t0() + LEASE + secs(1)));
}

#[test]
fn runs_in_flight_are_renewed_every_half_lease() {
    let env = env();
    env.add(JobBuilder::new("block", DateTrigger::new(t0())).id("slow"));
    env.scheduler.start().unwrap();
    env.tick_at(t0());
    let runs = env.scheduler.list_runs(&RunQuery::new()).unwrap();
    assert_eq!(runs[0].alive_until, Some(t0() + LEASE));

    env.clock.set(t0() + LEASE / 2);
    env.runs_when(&RunQuery::new(), |runs| {
        runs[0].alive_until == Some(t0() + LEASE / 2 + LEASE)
    });
    // Still running a lease after it started: never taken as interrupted.
    env.tick_at(t0() + LEASE + secs(1));
    assert_eq!(
        env.scheduler.list_runs(&RunQuery::new()).unwrap()[0].status,
        RunStatus::Running
    );
    env.gate.open();
    assert_eq!(env.finished("slow").status, RunStatus::Success);
}

#[test]
fn the_retention_prunes_the_history_at_start_and_every_lease() {
    let store = Arc::new(MemoryStore::with_history());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for minutes in 0..5 {
        let at = t(minutes);
        let record = RunRecord::running("old", at, "node-z", at, at + LEASE).finish(
            RunStatus::Success,
            at,
            Some(SignedDuration::ZERO),
            None,
        );
        rt.block_on(store.record_run(&record)).unwrap();
    }
    let retention = RunRetention::keep_all()
        .per_job(3)
        .max_age(SignedDuration::from_hours(1));
    let env = env_with(
        SchedulerBuilder::new().history_retention(retention),
        Arc::clone(&store),
    );
    env.scheduler.start().unwrap();

    env.tick_at(t(5));
    let runs = env.scheduler.list_runs(&RunQuery::new()).unwrap();
    let times: Vec<Timestamp> = runs.iter().map(|run| run.scheduled_time).collect();
    assert_eq!(times, [t(4), t(3), t(2)]);

    // An hour later, the oldest go by age.
    env.tick_at(t(62) + secs(30));
    let runs = env.scheduler.list_runs(&RunQuery::new()).unwrap();
    let times: Vec<Timestamp> = runs.iter().map(|run| run.scheduled_time).collect();
    assert_eq!(times, [t(4), t(3)]);
}

// ---- the scheduler's history API -------------------------------------------

#[test]
fn list_runs_merges_every_store_newest_first_with_filters_and_limit() {
    let env = env();
    env.scheduler
        .add_store("second", MemoryStore::with_history())
        .unwrap();
    env.add(JobBuilder::new("ok", every(1)).id("a"));
    env.add(JobBuilder::new("fail", every(1)).id("b").store("second"));
    env.scheduler.start().unwrap();
    for minute in 0..3 {
        env.tick_at(t(minute));
        env.runs_when(&RunQuery::new(), |runs| {
            runs.len() == 2 * (minute as usize + 1) && runs.iter().all(|r| r.status.is_finished())
        });
    }
    let all = env.scheduler.list_runs(&RunQuery::new()).unwrap();
    let keys: Vec<(String, Timestamp)> = all
        .iter()
        .map(|run| (run.job_id.clone(), run.scheduled_time))
        .collect();
    let expected: Vec<(String, Timestamp)> = [2, 1, 0]
        .into_iter()
        .flat_map(|m| [("a".to_owned(), t(m)), ("b".to_owned(), t(m))])
        .collect();
    assert_eq!(keys, expected);

    let a = env.scheduler.list_runs(&RunQuery::new().job("a")).unwrap();
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|run| run.job_id == "a"));

    let failed = env
        .scheduler
        .list_runs(&RunQuery::new().failed_only())
        .unwrap();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|run| run.status == RunStatus::Error));

    let newest = env.scheduler.list_runs(&RunQuery::new().limit(3)).unwrap();
    assert_eq!(newest, all[..3]);
    assert!(env.scheduler.unrestorable_jobs().unwrap().is_empty());
}

// ---- a store others change, a store without history ------------------------

/// A handle on a store that other processes also write to, as a database
/// is: the jobs live in a shared [`MemoryStore`], and the handle says that
/// changes may come from elsewhere. With `history` false it keeps no run
/// history, as a backend without one.
struct Shared {
    inner: Arc<MemoryStore>,
    history: bool,
}

#[async_trait]
impl JobStore for Shared {
    fn backend(&self) -> &'static str {
        "shared"
    }

    fn history(&self) -> Option<&dyn RunHistory> {
        if self.history {
            self.inner.history()
        } else {
            None
        }
    }

    fn nodes(&self) -> Option<&dyn NodeRegistry> {
        self.inner.nodes()
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
        self.inner.acquire_due(now, limit, owner, lease).await
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
#[test]
fn the_loop_re_reads_a_shared_store_within_the_poll_interval() {
    let inner = Arc::new(MemoryStore::with_history());
    let clock = ManualClock::new(t0());
    let gate = Arc::new(Gate::default());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let scheduler = SchedulerBuilder::new()
            .clock(clock.clone())
            .tasks(tasks(&gate))
            .store_poll_interval(secs(1))
            .store(
                "default",
                Shared {
                    inner: Arc::clone(&inner),
                    history: true,
                },
            )
            .asynchronous()
            .unwrap();
        let mut executed = scheduler.listeners().subscribe(EventMask::JOB_EXECUTED);
        scheduler.start().await.unwrap();

        // Another process adds a job to the database: this scheduler is not
        // told, and has nothing scheduled.
        let job = JobBuilder::new("ok", DateTrigger::new(t0()))
            .id("elsewhere")
            .build_at(&JobDefaults::default(), t0())
            .unwrap();
        inner.add_job(job, false).await.unwrap();

        // Within one poll interval, it runs.
        clock.set(t0() + secs(1));
        let event = tokio::time::timeout(PATIENCE, executed.recv())
            .await
            .expect("the job written elsewhere never ran")
            .unwrap();
        assert_eq!(event.job_id.as_deref(), Some("elsewhere"));
        scheduler.shutdown(true).await.unwrap();
    });
}

#[test]
fn host_driven_wakes_are_capped_by_the_poll_interval_only_for_shared_stores() {
    // Memory only: nothing scheduled, no wake-up.
    let env = env();
    env.scheduler.start().unwrap();
    assert_eq!(env.tick_at(t0()), None);

    let inner = Arc::new(MemoryStore::with_history());
    let scheduler = SchedulerBuilder::new()
        .clock(ManualClock::new(t0()))
        .store_poll_interval(secs(2))
        .store(
            "db",
            Shared {
                inner: Arc::clone(&inner),
                history: true,
            },
        )
        .host_driven()
        .unwrap();
    scheduler.start().unwrap();
    assert_eq!(scheduler.run_pending(t0()), Some(t0() + secs(2)));
}

#[test]
fn a_store_without_history_still_runs_jobs_and_lists_no_runs() {
    let clock = ManualClock::new(t0());
    let gate = Arc::new(Gate::default());
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .tasks(tasks(&gate))
        .store(
            "default",
            Shared {
                inner: Arc::new(MemoryStore::with_history()),
                history: false,
            },
        )
        .host_driven()
        .unwrap();
    let (sink, executed) = mpsc::channel();
    scheduler
        .listeners()
        .add(EventMask::JOB_EXECUTED, move |event| {
            let _ = sink.send(event.clone());
        });
    scheduler
        .add_job(JobBuilder::new("ok", every(1)).id("tick"))
        .unwrap();
    scheduler.start().unwrap();
    for minute in 0..3 {
        clock.set(t(minute));
        scheduler.run_pending(t(minute));
        let event = executed.recv_timeout(PATIENCE).unwrap();
        assert_eq!(event.scheduled_run_time(), Some(t(minute)));
    }
    assert!(scheduler.list_runs(&RunQuery::new()).unwrap().is_empty());
    scheduler.shutdown(true).unwrap();
}

// ---- several nodes on one store --------------------------------------------

/// A host-driven scheduler of node `node` on `clock`, sharing `inner` as a
/// database is shared.
fn node_on(
    node: &str,
    clock: &ManualClock,
    inner: &Arc<MemoryStore>,
    gate: &Arc<Gate>,
) -> HostScheduler {
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id(node)
        .lease(LEASE)
        .tasks(tasks(gate))
        .store(
            "default",
            Shared {
                inner: Arc::clone(inner),
                history: true,
            },
        )
        .host_driven()
        .unwrap();
    scheduler.start().unwrap();
    scheduler
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
/// The records of `inner`, once `done` holds of them.
fn stored_runs_when(inner: &MemoryStore, done: impl Fn(&[RunRecord]) -> bool) -> Vec<RunRecord> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let runs = rt.block_on(inner.list_runs(&RunQuery::new())).unwrap();
        if done(&runs) {
            return runs;
        }
        assert!(
            Instant::now() < deadline,
            "the history never got there; it holds {runs:#?}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
#[test]
fn three_nodes_ticking_at_once_run_every_fire_time_exactly_once() {
    let inner = Arc::new(MemoryStore::with_history());
    let clock = ManualClock::new(t0());
    let gate = Arc::new(Gate::default());
    let nodes: Vec<HostScheduler> = ["node-a", "node-b", "node-c"]
        .iter()
        .map(|node| node_on(node, &clock, &inner, &gate))
        .collect();
    // Once is counted where it happens: each execution notes its job and
    // fire time, whichever node runs it.
    let executions: Arc<Mutex<Vec<(String, Timestamp)>>> = Arc::default();
    for node in &nodes {
        let executions = Arc::clone(&executions);
        node.tasks()
            .register("count", move |context: JobContext, _: ()| {
                let scheduled = context.scheduled_run_time().ok_or("no fire time")?;
                executions
                    .lock()
                    .unwrap()
                    .push((context.job_id().to_owned(), scheduled));
                Ok::<_, &str>(())
            });
    }
    let jobs = 40;
    for n in 0..jobs {
        nodes[0]
            .add_job(JobBuilder::new("count", every(1)).id(format!("job-{n:02}")))
            .unwrap();
    }
    // A run's instance is freed before its JobExecuted event: counting the
    // events tells when every node can start the next minute's runs.
    let executed = Arc::new(AtomicUsize::new(0));
    for node in &nodes {
        let executed = Arc::clone(&executed);
        node.listeners().add(EventMask::JOB_EXECUTED, move |_| {
            executed.fetch_add(1, Ordering::SeqCst);
        });
    }
    let minutes = 6;
    for minute in 0..minutes {
        let now = t(minute);
        clock.set(now);
        std::thread::scope(|scope| {
            for node in &nodes {
                scope.spawn(move || node.run_pending(now));
            }
        });
        // Each minute's runs end before the next minute's.
        let ran = jobs * usize::try_from(minute + 1).unwrap();
        let deadline = Instant::now() + PATIENCE;
        while executed.load(Ordering::SeqCst) < ran {
            assert!(
                Instant::now() < deadline,
                "minute {minute}: not every run ended"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        stored_runs_when(&inner, |runs| {
            runs.iter().all(|run| run.status.is_finished())
        });
    }
    let expected = jobs * usize::try_from(minutes).unwrap();
    let runs = stored_runs_when(&inner, |runs| {
        runs.len() >= expected && runs.iter().all(|run| run.status.is_finished())
    });
    let mut fire_times = executions.lock().unwrap().clone();
    fire_times.sort();
    let before = fire_times.len();
    fire_times.dedup();
    assert_eq!(before, fire_times.len(), "a fire time ran twice");
    assert_eq!(fire_times.len(), expected, "every fire time ran");
    // The history agrees: one record per fire time.
    assert_eq!(runs.len(), expected);
    assert!(runs.iter().all(|run| run.status == RunStatus::Success));
    let mut by_node: Vec<&str> = runs.iter().map(|run| run.node.as_str()).collect();
    by_node.sort_unstable();
    by_node.dedup();
    assert!(!by_node.is_empty());
}

#[test]
fn max_instances_counts_the_runs_of_every_node() {
    let inner = Arc::new(MemoryStore::with_history());
    let clock = ManualClock::new(t0());
    let gate = Arc::new(Gate::default());
    let a = node_on("node-a", &clock, &inner, &gate);
    let b = node_on("node-b", &clock, &inner, &gate);
    let every_ten_seconds = IntervalTrigger::builder()
        .seconds(10)
        .start_date(t0())
        .timezone("UTC")
        .build()
        .unwrap();
    a.add_job(
        JobBuilder::new("block", every_ten_seconds)
            .id("one")
            .max_instances(1),
    )
    .unwrap();
    // Node a runs t0 (and blocks); node b finds t0 + 10 s due while it
    // runs (node a's record is vouched for until t0 + lease).
    a.run_pending(t0());
    stored_runs_when(&inner, |runs| runs.len() == 1);
    let next = t0() + secs(10);
    clock.set(next);
    b.run_pending(next);
    let runs = stored_runs_when(&inner, |runs| runs.len() == 2);
    let skipped = &runs[0];
    assert_eq!(
        (
            skipped.scheduled_time,
            skipped.node.as_str(),
            skipped.status
        ),
        (next, "node-b", RunStatus::Missed)
    );
    assert_eq!(
        skipped.error.as_deref(),
        Some("run skipped: already running 1 instance(s), the maximum, 1 of them on other nodes")
    );
    assert_eq!(runs[1].status, RunStatus::Running);
    gate.open();
    stored_runs_when(&inner, |runs| runs[1].status == RunStatus::Success);
}

#[test]
fn an_interrupted_run_is_retried_once_when_its_job_says_retry() {
    let inner = Arc::new(MemoryStore::with_history());
    let clock = ManualClock::new(t0());
    let gate = Arc::new(Gate::default());
    let survivor = node_on("survivor", &clock, &inner, &gate);
    let later = DateTrigger::new(t(60));
    survivor
        .add_job(
            JobBuilder::new("ok", later.clone())
                .id("retried")
                .on_interrupted(OnInterrupted::Retry),
        )
        .unwrap();
    survivor
        .add_job(JobBuilder::new("ok", later).id("skipped"))
        .unwrap();
    // A node died running both: its records were promised until t0 + 1 s.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for id in ["retried", "skipped"] {
        let record = RunRecord::running(id, t0(), "dead", t0(), t0() + secs(1));
        rt.block_on(inner.record_run(&record)).unwrap();
    }
    clock.set(t0() + secs(5));
    survivor.run_pending(t0() + secs(5));
    let runs = stored_runs_when(&inner, |runs| {
        runs.len() == 3 && runs.iter().all(|run| run.status.is_finished())
    });
    let mut seen: Vec<(&str, &str, RunStatus)> = runs
        .iter()
        .map(|run| (run.job_id.as_str(), run.node.as_str(), run.status))
        .collect();
    seen.sort_unstable_by_key(|(job, node, _)| (job.to_string(), node.to_string()));
    assert_eq!(
        seen,
        [
            ("retried", "dead", RunStatus::Interrupted),
            ("retried", "survivor", RunStatus::Success),
            ("skipped", "dead", RunStatus::Interrupted),
        ]
    );
    let retry = runs.iter().find(|run| run.node == "survivor").unwrap();
    assert_eq!(retry.scheduled_time, t0(), "retried for its own fire time");
    // Once: the next sweep finds nothing more to retry.
    clock.set(t0() + LEASE + secs(10));
    survivor.run_pending(t0() + LEASE + secs(10));
    assert_eq!(
        rt.block_on(inner.list_runs(&RunQuery::new()))
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_node_heartbeats_into_a_shared_store_and_leaves_at_shutdown() {
    let inner = Arc::new(MemoryStore::with_history());
    let clock = ManualClock::new(t0());
    let gate = Arc::new(Gate::default());
    let node = node_on("node-a", &clock, &inner, &gate);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // The first tick writes the record; the loop is told when to beat next.
    let wake = node.run_pending(t0());
    assert!(
        wake.is_some_and(|wake| wake <= t0() + LEASE / 3),
        "{wake:?}"
    );
    let (nodes, _) = rt.block_on(inner.list_nodes(t0())).unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(
        (nodes[0].id.as_str(), nodes[0].pid, nodes[0].last_heartbeat),
        ("node-a", std::process::id(), t0())
    );
    assert_eq!(nodes[0].host, tempora::scheduler::host_name());
    // Not again before a third of the lease; then again.
    node.run_pending(t0() + secs(1));
    let (nodes, _) = rt.block_on(inner.list_nodes(t0())).unwrap();
    assert_eq!(nodes[0].last_heartbeat, t0());
    clock.set(t0() + LEASE / 3);
    node.run_pending(t0() + LEASE / 3);
    let (nodes, _) = rt.block_on(inner.list_nodes(t0())).unwrap();
    assert_eq!(nodes[0].last_heartbeat, t0() + LEASE / 3);
    node.shutdown(true).unwrap();
    let (nodes, _) = rt.block_on(inner.list_nodes(t0())).unwrap();
    assert!(nodes.is_empty(), "a node that shuts down says so");
}
