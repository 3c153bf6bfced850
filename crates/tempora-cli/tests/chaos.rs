//! Chaos: three scheduler processes share one store; one is killed with
//! SIGKILL and restarted; every fire time still runs exactly once.
//!
//! This test binary plays two parts. Run by `cargo test`, it is the
//! *operator*: for PostgreSQL and Redis (each on a table or key prefix of
//! its own) it adds 500 jobs firing every second for 60 s, starts three
//! scheduler processes on the store, kills one with SIGKILL at 20 s and
//! starts it again (same node id) at 40 s, stops all three with SIGTERM
//! once the window is over, and reads the run history. Started with
//! `TEMPORA_CHAOS_NODE` set, it is a *scheduler process*: a blocking
//! scheduler whose task only notes its job and fire time in the process's
//! own executions file, until SIGTERM.
//!
//! What it checks: from the executions files (once is counted where it
//! happens), no (job, fire time) executed twice, on one node or two, and
//! every fire time of the window executed, but for a run the kill cut
//! short before its task began (recorded `interrupted`); from the history,
//! one record per fire time and none started later than
//! the lease plus a second after its fire time (the jobs the killed node
//! held are taken over when its lease expires). It prints the counts per
//! node and the worst lateness.
//!
//! A test harness of its own (`harness = false`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, ExitCode};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempora::clock::{Clock, SystemClock};
use tempora::history::{RunQuery, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::{JobBuilder, JobDefaults};
use tempora::scheduler::SchedulerBuilder;
use tempora::store::JobStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::IntervalTrigger;
use tempora_cli::store::StoreUrl;
use tempora_testkit::Capabilities;
use tempora_testkit::unique_prefix;

use support::{signal, wait_exit};

/// The variable that makes this binary a scheduler process; its value is
/// the process's settings as JSON.
const NODE: &str = "TEMPORA_CHAOS_NODE";

const JOBS: usize = 500;
const WINDOW_SECONDS: i64 = 60;
const KILL_AT: u64 = 20;
const RESTART_AT: u64 = 40;
/// The nodes' lease: how soon the others take over a dead node's jobs.
const LEASE_MS: i64 = 5_000;

fn main() -> ExitCode {
    if let Ok(settings) = std::env::var(NODE) {
        node_process(&serde_json::from_str(&settings).expect("settings"));
        return ExitCode::SUCCESS;
    }
    let cases: [(&str, fn()); 2] = [
        (
            "postgres_three_nodes_one_killed_every_fire_time_once",
            || {
                chaos(&url_of(
                    "TEMPORA_POSTGRES_URL",
                    "postgres://postgres@127.0.0.1:5432/test",
                ));
            },
        ),
        ("redis_three_nodes_one_killed_every_fire_time_once", || {
            chaos(&url_of("TEMPORA_REDIS_URL", "redis://127.0.0.1:6379/0"));
        }),
    ];
    tempora_testkit::harness::run(&cases, &tempora_testkit::harness::filters())
}

/// The URL in the variable `name`, or `default`.
fn url_of(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

async fn open(url: &str, prefix: &str) -> std::sync::Arc<dyn JobStore> {
    StoreUrl::resolve(Some(url), Path::new("."))
        .expect("the URL")
        .open(Some(prefix))
        .await
        .unwrap_or_else(|error| panic!("the store at {url} must be running: {error}"))
}

fn node_process(settings: &Value) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let store = runtime.block_on(open(
        settings["url"].as_str().expect("url"),
        settings["prefix"].as_str().expect("prefix"),
    ));
    // One line per execution, written (unbuffered) as the task begins, in
    // a file of this process's own.
    let executions = Path::new(settings["executions"].as_str().expect("executions")).join(format!(
        "{}-{}.log",
        settings["node"].as_str().expect("node"),
        std::process::id()
    ));
    let file = Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(executions)
            .expect("the executions file"),
    );
    let tasks = Tasks::new();
    tasks.register("noop", move |context: JobContext, _: ()| {
        let scheduled = context.scheduled_run_time().ok_or("no fire time")?;
        let line = format!("{} {}\n", context.job_id(), scheduled.as_microsecond());
        file.lock()
            .map_err(|_| "poisoned")?
            .write_all(line.as_bytes())
            .map_err(|error| error.to_string())
    });
    let scheduler = SchedulerBuilder::new()
        .timezone("UTC")
        .tasks(tasks)
        .node_id(settings["node"].as_str().expect("node"))
        .lease(SignedDuration::from_millis(LEASE_MS))
        .shutdown_timeout(SignedDuration::from_secs(5))
        .store("default", store)
        .blocking()
        .expect("the scheduler builds");
    scheduler.start().expect("the scheduler runs until SIGTERM");
}

fn chaos(url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let prefix = format!("{}_", unique_prefix("chaos"));
    let store = runtime.block_on(open(url, &prefix));
    let executions = std::env::temp_dir().join(format!("tempora-{prefix}executions"));
    std::fs::create_dir_all(&executions).unwrap();
    // The window starts on a whole second a few seconds ahead, so that the
    // three nodes are up for its first fire time.
    let now = SystemClock.now();
    let first = Timestamp::from_second(now.as_second() + 4).unwrap();
    let last = first + SignedDuration::from_secs(WINDOW_SECONDS);
    let defaults = JobDefaults {
        coalesce: false,
        max_instances: 2,
        ..JobDefaults::default()
    };
    for n in 0..JOBS {
        let trigger = IntervalTrigger::builder()
            .seconds(1)
            .start_date(first)
            .end_date(last)
            .timezone("UTC")
            .build()
            .unwrap();
        let job = JobBuilder::new("noop", trigger)
            .id(format!("job-{n:03}"))
            .build_at(&defaults, now)
            .unwrap();
        runtime.block_on(store.add_job(job, false)).unwrap();
    }
    let spawn = |node: &str| -> Child {
        let settings = json!({
            "url": url,
            "prefix": prefix,
            "node": node,
            "executions": executions,
        });
        Command::new(std::env::current_exe().unwrap())
            .env(NODE, settings.to_string())
            .env("RUST_LOG", "error")
            .spawn()
            .unwrap()
    };
    let started = Instant::now();
    let mut a = spawn("node-a");
    let mut b = spawn("node-b");
    let mut c = spawn("node-c");
    let until = |seconds: u64| {
        let at = started + Duration::from_secs(4 + seconds);
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
    };
    until(KILL_AT);
    c.kill().unwrap();
    c.wait().unwrap();
    until(RESTART_AT);
    let mut c = spawn("node-c");
    // The window is over once every job's trigger is exhausted: removed.
    let deadline =
        Instant::now() + Duration::from_secs(u64::try_from(WINDOW_SECONDS).unwrap() + 60);
    while !runtime.block_on(store.list_jobs()).unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the jobs never ran to their end");
        std::thread::sleep(Duration::from_millis(200));
    }
    for node in [&mut a, &mut b, &mut c] {
        terminate(node);
    }

    let runs = runtime
        .block_on(store.run_history().list_runs(&RunQuery::new()))
        .unwrap();
    let mut per_fire: BTreeMap<(String, Timestamp), Vec<String>> = BTreeMap::new();
    let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut worst = SignedDuration::ZERO;
    for run in &runs {
        assert_eq!(run.fire_times, 1, "not coalesced: {run:?}");
        per_fire
            .entry((run.job_id.clone(), run.scheduled_time))
            .or_default()
            .push(run.node.clone());
        *per_node.entry(run.node.clone()).or_default() += 1;
        *statuses.entry(run.status.to_string()).or_default() += 1;
        if let Some(started) = run.started {
            worst = worst.max(started.duration_since(run.scheduled_time));
        }
    }
    let twice: Vec<_> = per_fire
        .iter()
        .filter(|(_, nodes)| nodes.len() > 1)
        .collect();
    let executed = read_executions(&executions);
    let _ = std::fs::remove_dir_all(&executions);
    let executed_twice: Vec<_> = executed.iter().filter(|(_, times)| **times > 1).collect();
    let fire_times = usize::try_from(WINDOW_SECONDS + 1).unwrap();
    println!(
        "  {} executions of {} (job, fire time) pairs, {} runs recorded for {} pairs, of {} \
         expected; per node {per_node:?}; statuses {statuses:?}; worst lateness {worst:#}",
        executed.values().sum::<usize>(),
        executed.len(),
        runs.len(),
        per_fire.len(),
        JOBS * fire_times
    );
    assert!(
        executed_twice.is_empty(),
        "executed twice: {:?}",
        &executed_twice[..executed_twice.len().min(5)]
    );
    assert!(
        twice.is_empty(),
        "recorded twice: {:?}",
        &twice[..twice.len().min(5)]
    );
    assert_eq!(
        per_fire.len(),
        JOBS * fire_times,
        "every fire time has its record"
    );
    // Every fire time executed, but for a run the kill cut short before its
    // task began: that one is recorded interrupted.
    let cut_short = runs
        .iter()
        .filter(|run| run.status == RunStatus::Interrupted)
        .filter(|run| {
            !executed.contains_key(&(run.job_id.clone(), run.scheduled_time.as_microsecond()))
        })
        .count();
    assert_eq!(
        executed.len() + cut_short,
        JOBS * fire_times,
        "every fire time executed"
    );
    assert!(
        runs.iter()
            .all(|run| matches!(run.status, RunStatus::Success | RunStatus::Interrupted)),
        "only successes, and runs cut by the kill: {statuses:?}"
    );
    for node in ["node-a", "node-b", "node-c"] {
        assert!(
            per_node.get(node).is_some_and(|n| *n > 0),
            "{node} ran nothing: {per_node:?}"
        );
    }
    let bound = SignedDuration::from_millis(LEASE_MS + 1_000);
    assert!(
        worst <= bound,
        "a run started {worst:#} late, more than {bound:#}"
    );
    runtime.block_on(async {
        let (nodes, _) = store
            .node_registry()
            .list_nodes(SystemClock.now())
            .await
            .unwrap();
        // node-c's first process was killed: the second replaced its
        // record, and every process removed its own at SIGTERM.
        assert!(nodes.is_empty(), "nodes left: {nodes:?}");
    });
}

/// The executions the scheduler processes noted in `dir`, counted by
/// (job, fire time in microseconds).
fn read_executions(dir: &Path) -> BTreeMap<(String, i64), usize> {
    let mut executed = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let (job, scheduled) = line.split_once(' ').unwrap();
            *executed
                .entry((job.to_owned(), scheduled.parse().unwrap()))
                .or_default() += 1;
        }
    }
    executed
}

fn terminate(process: &mut Child) {
    signal(process, "TERM");
    let status = wait_exit(process);
    assert!(status.success(), "a node exited with {status}");
}
