//! The process pool runs registered tasks in worker processes that are this
//! very test binary, started again: so the binary has its own `main`
//! (`harness = false` in Cargo.toml), which first calls
//! `serve_process_worker` as every program using a process pool must, then
//! runs the cases below and reports them as libtest does.
//!
//! Runs go through a real scheduler (host-driven, on a manual clock) and are
//! awaited through their `JobExecuted` / `JobError` events:
//!
//! * a task's value, error, panic (the worker lives on) come back; async
//!   tasks run; what a task prints does not corrupt the protocol;
//! * a worker that aborts, segfaults or exits ends its run as a panic naming
//!   the signal or status, and the next run gets a fresh worker;
//! * a closure is refused; a task registered only in the scheduler's process
//!   is reported as unknown to the worker; at most `max_workers` processes
//!   serve; the `command` task runs in a worker, and its program does not
//!   think it is a worker;
//! * shutdown without waiting kills the workers, with waiting lets the run
//!   finish; a pool dropped without a shutdown closes its workers' input,
//!   and they exit.
//!
//! Nothing here sleeps for timing: a case waits for events with a generous
//! patience that is never used up when all is well.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempora::clock::ManualClock;
use tempora::event::{Event, EventKind, EventMask};
use tempora::executor::{Executor, serve_process_worker};
use tempora::job::JobBuilder;
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::task::{COMMAND, CommandArgs, CommandOutput, JobContext, JobTask, Tasks};
use tempora::trigger::DateTrigger;

/// How long a case waits for something another process does.
const PATIENCE: Duration = Duration::from_secs(30);

const POOL: &str = "processes";

/// The tasks, registered the same way in the scheduler's process and in
/// every worker.
fn tasks() -> Tasks {
    let tasks = Tasks::new();
    tasks.register("add", |_: JobContext, (a, b): (i64, i64)| {
        Ok::<i64, String>(a + b)
    });
    tasks.register_async(
        "add_later",
        |_: JobContext, (a, b): (i64, i64)| async move {
            tokio::task::yield_now().await;
            Ok::<i64, String>(a + b)
        },
    );
    tasks.register("context", |context: JobContext, (): ()| {
        Ok::<Value, String>(json!({
            "job_id": context.job_id(),
            "run_times": context.scheduled_run_times(),
            "scheduled_time": context.scheduled_time(),
            "attempt": context.attempt(),
            "node": context.node(),
            "run_id": context.run_id(),
        }))
    });
    tasks.register("pid", |_: JobContext, (): ()| {
        Ok::<u32, String>(std::process::id())
    });
    tasks.register("fail", |_: JobContext, (): ()| Err::<(), _>("no luck"));
    tasks.register("boom", |_: JobContext, (): ()| -> Result<(), String> {
        panic!("kaboom")
    });
    tasks.register("print", |_: JobContext, (): ()| {
        // Lines that look like replies, on the worker's standard output.
        println!("{{\"ok\":666}}");
        println!("not json at all");
        print!("{{\"error\":\"no newline\"");
        Ok::<i64, String>(42)
    });
    tasks.register("abort", |_: JobContext, (): ()| -> Result<(), String> {
        no_core_dump();
        std::process::abort()
    });
    tasks.register("exit", |_: JobContext, code: i32| -> Result<(), String> {
        std::process::exit(code)
    });
    tasks.register("segfault", |_: JobContext, (): ()| -> Result<(), String> {
        segfault()
    });
    tasks.register(
        "park",
        |_: JobContext, marker: String| -> Result<(), String> {
            std::fs::write(&marker, std::process::id().to_string()).map_err(|e| e.to_string())?;
            loop {
                std::thread::park();
            }
        },
    );
    tasks.register("nap", |_: JobContext, millis: u64| {
        std::thread::sleep(Duration::from_millis(millis));
        Ok::<&str, String>("rested")
    });
    tasks
}

#[cfg(unix)]
fn no_core_dump() {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let _ = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    );
}

#[cfg(not(unix))]
fn no_core_dump() {}

/// Dies of SIGSEGV. std's handler for stack overflows swallows the first
/// SIGSEGV that is not a fault (resetting the default action), so send it
/// until it takes.
#[cfg(unix)]
fn segfault() -> Result<(), String> {
    use rustix::process::{Signal, getpid, kill_process};
    no_core_dump();
    loop {
        kill_process(getpid(), Signal::SEGV).map_err(|e| e.to_string())?;
        std::thread::yield_now();
    }
}

#[cfg(not(unix))]
fn segfault() -> Result<(), String> {
    Err("no SIGSEGV here".to_owned())
}

/// A host-driven scheduler with a process pool of `max_workers` as
/// executor `"processes"`, started, its run events collected.
struct Pool {
    clock: ManualClock,
    scheduler: HostScheduler,
    events: Receiver<Event>,
    early: RefCell<HashMap<String, Event>>,
}

fn pool(max_workers: usize) -> Pool {
    let clock = ManualClock::new("2026-01-01T00:00:00Z".parse().unwrap());
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-p")
        .tasks(tasks())
        .executor(POOL, Executor::process_pool(max_workers).unwrap())
        .host_driven()
        .unwrap();
    let (sink, events) = mpsc::channel();
    scheduler.listeners().add(
        EventMask::JOB_EXECUTED | EventMask::JOB_ERROR,
        move |event| {
            let _ = sink.send(event.clone());
        },
    );
    scheduler.start().unwrap();
    Pool {
        clock,
        scheduler,
        events,
        early: RefCell::default(),
    }
}

impl Pool {
    /// Adds job `id` of `task` with `args` on the pool, due now, and submits
    /// it.
    fn submit(&self, id: &str, task: &str, args: &Value) {
        let when = DateTrigger::new(self.clock.now());
        self.scheduler
            .add_job(JobBuilder::new(task, when).id(id).executor(POOL).args(args))
            .unwrap();
        self.scheduler.run_pending(self.clock.now());
    }

    #[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
    /// The result event of job `id`.
    fn result(&self, id: &str) -> Event {
        if let Some(event) = self.early.borrow_mut().remove(id) {
            return event;
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .events
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no result for job {id:?} within {PATIENCE:?}"));
            match event.job_id.as_deref() {
                Some(job) if job == id => return event,
                Some(job) => {
                    self.early.borrow_mut().insert(job.to_owned(), event);
                }
                None => {}
            }
        }
    }

    /// Runs job `id` and waits for its result.
    fn run(&self, id: &str, task: &str, args: &Value) -> Event {
        self.submit(id, task, args);
        self.result(id)
    }

    /// Runs job `id` and returns its value; fails on an error.
    fn value(&self, id: &str, task: &str, args: &Value) -> Value {
        let event = self.run(id, task, args);
        assert_eq!(event.kind, EventKind::JobExecuted, "{event}");
        event.return_value.unwrap()
    }

    /// Runs job `id` and returns its error; fails on a success.
    fn error(&self, id: &str, task: &str, args: &Value) -> String {
        let event = self.run(id, task, args);
        assert_eq!(event.kind, EventKind::JobError, "{event:?}");
        event.error.unwrap()
    }
}

// ---- the cases ---------------------------------------------------------------

fn a_tasks_value_comes_back() {
    let pool = pool(2);
    assert_eq!(pool.value("add", "add", &json!([2, 3])), json!(5));
    assert_eq!(pool.value("async", "add_later", &json!([4, 5])), json!(9));
    let context = pool.value("context", "context", &Value::Null);
    assert_eq!(context["job_id"], "context");
    assert_eq!(context["run_times"], json!(["2026-01-01T00:00:00Z"]));
    // The worker's context is the run's: its logical time, attempt, node
    // and id cross the process boundary.
    assert_eq!(context["scheduled_time"], "2026-01-01T00:00:00Z");
    assert_eq!(context["attempt"], 1);
    assert_eq!(context["node"], "node-p");
    assert_eq!(context["run_id"].as_str().map(str::len), Some(32));
    let worker = pool.value("pid", "pid", &Value::Null);
    assert_ne!(
        worker,
        json!(std::process::id()),
        "the task ran in another process"
    );
    pool.scheduler.shutdown(true).unwrap();
}

fn an_error_comes_back() {
    let pool = pool(1);
    assert_eq!(pool.error("fail", "fail", &Value::Null), "no luck");
    pool.scheduler.shutdown(true).unwrap();
}

fn a_panic_comes_back_and_the_worker_lives_on() {
    let pool = pool(1);
    let before = pool.value("pid_before", "pid", &Value::Null);
    assert_eq!(pool.error("boom", "boom", &Value::Null), "panicked: kaboom");
    let after = pool.value("pid_after", "pid", &Value::Null);
    assert_eq!(before, after, "the same worker serves after a panic");
    pool.scheduler.shutdown(true).unwrap();
}

fn what_a_task_prints_does_not_corrupt_the_protocol() {
    let pool = pool(1);
    assert_eq!(pool.value("print", "print", &Value::Null), json!(42));
    assert_eq!(pool.value("after_print", "add", &json!([1, 1])), json!(2));
    pool.scheduler.shutdown(true).unwrap();
}

/// Runs `task`, which kills its worker; checks the run's error, then that
/// the next run gets a fresh worker.
fn check_worker_death(task: &str, args: &Value, expected: &str) {
    let pool = pool(1);
    let before = pool.value("pid_before", "pid", &Value::Null);
    let error = pool.error(task, task, args);
    assert_eq!(
        error,
        format!("panicked: worker process exited: {expected}")
    );
    let after = pool.value("pid_after", "pid", &Value::Null);
    assert_ne!(before, after, "a fresh worker serves after a crash");
    assert_eq!(
        pool.value("still_works", "add", &json!([20, 22])),
        json!(42)
    );
    pool.scheduler.shutdown(true).unwrap();
}

fn a_worker_that_aborts_is_replaced() {
    check_worker_death("abort", &Value::Null, "signal 6 (SIGABRT)");
}

fn a_worker_that_segfaults_is_replaced() {
    check_worker_death("segfault", &Value::Null, "signal 11 (SIGSEGV)");
}

fn a_worker_that_exits_is_replaced() {
    check_worker_death("exit", &json!(3), "exit status 3");
}

fn a_closure_is_refused() {
    let pool = pool(1);
    let task = JobTask::closure(|_| Ok::<_, String>("never"));
    let when = DateTrigger::new(pool.clock.now());
    let added = pool.scheduler.add_job(
        JobBuilder::with_task(task, when)
            .id("closure")
            .executor(POOL),
    );
    match added {
        // Refused when added, once the engine checks it there.
        Err(error) => assert_eq!(error.field(), Some("task"), "{error}"),
        // Refused when run.
        Ok(_) => {
            pool.scheduler.run_pending(pool.clock.now());
            let event = pool.result("closure");
            assert_eq!(event.kind, EventKind::JobError);
            let error = event.error.unwrap();
            assert!(
                error.starts_with("a closure cannot run in executor \"processes\", a process pool")
                    && error.contains("register the task by name with Tasks::register"),
                "{error}"
            );
        }
    }
    pool.scheduler.shutdown(true).unwrap();
}

fn a_task_the_worker_does_not_know_is_an_error() {
    let pool = pool(1);
    pool.scheduler
        .tasks()
        .register("parent_only", |_: JobContext, (): ()| Ok::<(), String>(()));
    let error = pool.error("parent_only", "parent_only", &Value::Null);
    assert!(
        error.starts_with("task: \"parent_only\" is not registered in the worker process"),
        "{error}"
    );
    pool.scheduler.shutdown(true).unwrap();
}

fn at_most_max_workers_serve() {
    let pool = pool(2);
    let ids: Vec<String> = (0..8).map(|n| format!("pid_{n}")).collect();
    for id in &ids {
        pool.submit(id, "pid", &Value::Null);
    }
    let pids: BTreeSet<u64> = ids
        .iter()
        .map(|id| {
            let event = pool.result(id);
            assert_eq!(event.kind, EventKind::JobExecuted, "{event}");
            event.return_value.unwrap().as_u64().unwrap()
        })
        .collect();
    assert!((1..=2).contains(&pids.len()), "{pids:?}");
    pool.scheduler.shutdown(true).unwrap();
}

fn the_command_task_runs_in_a_worker() {
    let pool = pool(1);
    let args = CommandArgs::new("sh")
        .arg("-c")
        .arg("echo \"worker=${TEMPORA_PROCESS_WORKER:-unset}\"");
    let value = pool.value("command", COMMAND, &serde_json::to_value(&args).unwrap());
    let output: CommandOutput = serde_json::from_value(value).unwrap();
    assert_eq!(output.stdout_tail, "worker=unset\n");
    pool.scheduler.shutdown(true).unwrap();
}

#[cfg(unix)]
fn is_gone(pid: u32) -> bool {
    let pid = rustix::process::Pid::from_raw(i32::try_from(pid).unwrap()).unwrap();
    rustix::process::test_kill_process(pid).is_err()
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
#[cfg(unix)]
fn shutdown_without_waiting_kills_the_workers() {
    let pool = pool(1);
    let marker =
        std::env::temp_dir().join(format!("tempora-process-pool-{}-park", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    pool.submit("park", "park", &json!(marker));
    // The run has started once the worker wrote its pid.
    let deadline = Instant::now() + PATIENCE;
    let worker: u32 = loop {
        if let Ok(text) = std::fs::read_to_string(&marker)
            && let Ok(pid) = text.parse()
        {
            break pid;
        }
        assert!(Instant::now() < deadline, "the parked run never started");
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = std::fs::remove_file(&marker);
    pool.scheduler.shutdown(false).unwrap();
    let event = pool.result("park");
    assert_eq!(event.kind, EventKind::JobError);
    assert_eq!(
        event.error.as_deref(),
        Some("the run was interrupted: the executor shut down and killed its worker process")
    );
    // The pool reaped it before reporting.
    assert!(is_gone(worker), "worker {worker} still runs");
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
#[cfg(unix)]
fn dropping_the_scheduler_lets_the_workers_exit() {
    let pool = pool(1);
    let worker = pool.value("pid", "pid", &Value::Null).as_u64().unwrap();
    let worker = u32::try_from(worker).unwrap();
    assert!(!is_gone(worker));
    // No shutdown: the pool closes the worker's input, and it exits.
    drop(pool);
    let deadline = Instant::now() + PATIENCE;
    while !is_gone(worker) {
        assert!(
            Instant::now() < deadline,
            "worker {worker} outlived its pool"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn shutdown_with_waiting_lets_the_run_finish() {
    let pool = pool(1);
    pool.submit("nap", "nap", &json!(50));
    pool.scheduler.shutdown(true).unwrap();
    let event = pool.result("nap");
    assert_eq!(event.kind, EventKind::JobExecuted, "{event}");
    assert_eq!(event.return_value, Some(json!("rested")));
}

// ---- the runner ----------------------------------------------------------------

type Case = (&'static str, fn());

fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = vec![
        ("a_tasks_value_comes_back", a_tasks_value_comes_back),
        ("an_error_comes_back", an_error_comes_back),
        (
            "a_panic_comes_back_and_the_worker_lives_on",
            a_panic_comes_back_and_the_worker_lives_on,
        ),
        (
            "what_a_task_prints_does_not_corrupt_the_protocol",
            what_a_task_prints_does_not_corrupt_the_protocol,
        ),
        (
            "a_worker_that_aborts_is_replaced",
            a_worker_that_aborts_is_replaced,
        ),
        (
            "a_worker_that_exits_is_replaced",
            a_worker_that_exits_is_replaced,
        ),
        ("a_closure_is_refused", a_closure_is_refused),
        (
            "a_task_the_worker_does_not_know_is_an_error",
            a_task_the_worker_does_not_know_is_an_error,
        ),
        ("at_most_max_workers_serve", at_most_max_workers_serve),
        (
            "the_command_task_runs_in_a_worker",
            the_command_task_runs_in_a_worker,
        ),
        (
            "shutdown_with_waiting_lets_the_run_finish",
            shutdown_with_waiting_lets_the_run_finish,
        ),
    ];
    #[cfg(unix)]
    cases.extend([
        (
            "a_worker_that_segfaults_is_replaced",
            a_worker_that_segfaults_is_replaced as fn(),
        ),
        (
            "shutdown_without_waiting_kills_the_workers",
            shutdown_without_waiting_kills_the_workers as fn(),
        ),
        (
            "dropping_the_scheduler_lets_the_workers_exit",
            dropping_the_scheduler_lets_the_workers_exit as fn(),
        ),
    ]);
    cases
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
/// Runs the cases whose names contain one of the arguments that are not
/// flags (all without such arguments), as libtest does, and prints its kind
/// of report.
fn main() {
    let tasks = tasks();
    // In a worker process, this serves runs and exits.
    serve_process_worker(&tasks);

    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let all = cases();
    if arguments.iter().any(|argument| argument == "--list") {
        for (name, _) in &all {
            println!("{name}: test");
        }
        return;
    }
    let filters: Vec<&String> = arguments.iter().filter(|a| !a.starts_with('-')).collect();
    let selected: Vec<&Case> = all
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    let started = Instant::now();
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for (name, case) in &selected {
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(case));
        match outcome {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(*name);
            }
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        selected.len() - failed.len(),
        failed.len(),
        all.len() - selected.len(),
        started.elapsed().as_secs_f64(),
    );
    if !failed.is_empty() {
        std::process::exit(101);
    }
}
