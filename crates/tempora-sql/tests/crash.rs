//! Crash recovery, proven by killing real scheduler processes.
//!
//! This test binary plays two parts. Run by `cargo test`, it is the
//! *operator*: for SQLite (a file) and PostgreSQL (tables of their own) it
//! starts a scheduler process, lets jobs run, kills the process with
//! SIGKILL while a run is in flight, starts a new one on the same store,
//! kills that one under a new node id, and finally stops one with SIGTERM.
//! Started with `TEMPORA_CRASH_SCHEDULER` set, it is the *scheduler
//! process*: a blocking scheduler on the store, with two jobs.
//!
//! - `quick`, every second, appends `scheduled time` to a completion file
//!   once its run is done;
//! - `slow`, every second, at most one instance, runs for a minute (it is
//!   always in flight when the process is killed).
//!
//! What it checks, from the store's run history and the completion file:
//! no fire time that completed ran again; every fire time of `quick` is
//! accounted for exactly once (run, coalesced into a later run, missed or
//! interrupted), so none is lost; the runs in flight at each kill are
//! recorded as interrupted; both jobs are still stored at the end.
//!
//! A test harness of its own (`harness = false`): the scheduler process is
//! this same binary, so no program outside the test is needed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::jiff::SignedDuration;
use tempora::job::JobBuilder;
use tempora::scheduler::SchedulerBuilder;
use tempora::store::JobStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::IntervalTrigger;
use tempora_sql::SqlOptions;
use tempora_testkit::Capabilities;

/// The variable that makes this binary a scheduler process; its value is
/// the process's settings as JSON.
const SCHEDULER: &str = "TEMPORA_CRASH_SCHEDULER";

/// Each wait for the scheduler process to show progress is bounded by this.
const PATIENCE: Duration = Duration::from_secs(60);

/// The scheduler processes' lease: how soon a dead node's runs are taken
/// as interrupted by another node.
const LEASE_MS: i64 = 2_000;

fn main() -> ExitCode {
    if let Ok(settings) = std::env::var(SCHEDULER) {
        scheduler_process(&serde_json::from_str(&settings).expect("settings"));
        return ExitCode::SUCCESS;
    }
    let cases: [(&str, fn()); 2] = [
        ("sqlite_survives_sigkill_and_sigterm", sqlite),
        ("postgres_survives_sigkill_and_sigterm", postgres),
    ];
    tempora_testkit::harness::run(&cases, &tempora_testkit::harness::filters())
}

// --- the scheduler process ---------------------------------------------

/// Runs a blocking scheduler on the store in `settings` until SIGTERM.
fn scheduler_process(settings: &Value) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let store = runtime
        .block_on(tempora_sql::connect(
            settings["url"].as_str().expect("url"),
            &SqlOptions::new().prefix(settings["prefix"].as_str().expect("prefix")),
        ))
        .expect("the store opens");
    let completions = PathBuf::from(settings["completions"].as_str().expect("completions"));

    let tasks = Tasks::new();
    tasks.register("quick", move |context: JobContext, _: Value| {
        let scheduled = context.scheduled_run_time().expect("a scheduled time");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&completions)
            .map_err(|error| error.to_string())?;
        // One write per line, so a kill cannot leave half a line.
        file.write_all(format!("{scheduled}\n").as_bytes())
            .map_err(|error| error.to_string())
    });
    tasks.register("slow", |context: JobContext, _: Value| {
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            if context.is_cancelled() {
                return Err("cancelled by the shutdown".to_owned());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    });

    let scheduler = SchedulerBuilder::new()
        .timezone("UTC")
        .tasks(tasks)
        .node_id(settings["node"].as_str().expect("node"))
        .lease(SignedDuration::from_millis(LEASE_MS))
        .shutdown_timeout(SignedDuration::from_millis(500))
        .store("default", Arc::clone(&store))
        .blocking()
        .expect("the scheduler builds");
    for (id, max_instances) in [("quick", 1), ("slow", 1)] {
        if scheduler.get_job(id).expect("get_job").is_some() {
            continue; // Stored by an earlier process: keep its next run time.
        }
        let every_second = IntervalTrigger::builder()
            .seconds(1)
            .build()
            .expect("trigger");
        scheduler
            .add_job(
                JobBuilder::new(id, every_second)
                    .id(id)
                    .max_instances(max_instances),
            )
            .expect("add_job");
    }
    scheduler.start().expect("the scheduler runs until SIGTERM");
}

// --- the operator -------------------------------------------------------

fn sqlite() {
    let dir = std::env::temp_dir().join(format!("tempora-crash-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("jobs.db").display());
    survives_sigkill_and_sigterm(&url, "crash_", &dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn postgres() {
    let url = std::env::var("TEMPORA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let dir = std::env::temp_dir().join(format!("tempora-crash-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = format!("crash_{}_", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    survives_sigkill_and_sigterm(&url, &prefix, &dir);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let raw = sqlx::PgPool::connect(&url).await.unwrap();
        for table in ["jobs", "runs"] {
            let statement = format!("DROP TABLE IF EXISTS {prefix}{table}");
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&raw)
                .await
                .unwrap();
        }
        raw.close().await;
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A scheduler process on `url` (tables prefixed `prefix`), started and
/// stopped four times: SIGKILL, SIGKILL under a new node id, SIGTERM, and
/// a last start to see that nothing is lost after a clean shutdown.
fn survives_sigkill_and_sigterm(url: &str, prefix: &str, dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime
        .block_on(tempora_sql::connect(url, &SqlOptions::new().prefix(prefix)))
        .unwrap();
    let completions = dir.join("completions.txt");
    let start = |node: &str| {
        let settings = json!({
            "url": url,
            "prefix": prefix,
            "node": node,
            "completions": completions.display().to_string(),
        });
        Command::new(std::env::current_exe().unwrap())
            .env(SCHEDULER, settings.to_string())
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap()
    };
    let history = || {
        runtime
            .block_on(store.run_history().list_runs(&RunQuery::new()))
            .unwrap()
    };
    let successes = |records: &[RunRecord]| {
        records
            .iter()
            .filter(|r| r.job_id == "quick" && r.status == RunStatus::Success)
            .count()
    };

    // 1. Killed while `slow` runs, under node-a.
    let mut process = start("node-a");
    wait_for("3 runs of quick and slow in flight", &history, |records| {
        successes(records) >= 3 && running(records, "slow", "node-a")
    });
    kill(&mut process);
    let before = successes(&history());

    // 2. The same node id again: it marks its own leftovers interrupted
    //    before it starts anything, and resumes.
    let mut process = start("node-a");
    wait_for(
        "node-a's slow run interrupted, and 3 more runs of quick",
        &history,
        |records| interrupted(records, "slow", "node-a") >= 1 && successes(records) >= before + 3,
    );
    wait_for("slow in flight again", &history, |records| {
        running(records, "slow", "node-a")
    });
    kill(&mut process);
    let before = successes(&history());

    // 3. A new node id: node-a's run is taken as interrupted once its
    //    lease has passed; the new node resumes the jobs.
    let mut process = start("node-b");
    wait_for(
        "node-a's second slow run interrupted, and 3 more runs of quick",
        &history,
        |records| interrupted(records, "slow", "node-a") >= 2 && successes(records) >= before + 3,
    );
    wait_for("slow in flight on node-b", &history, |records| {
        running(records, "slow", "node-b")
    });

    // 4. SIGTERM: a clean shutdown cancels slow (shutdown timeout 0.5 s)
    //    and records it as interrupted; the process exits 0.
    terminate(&mut process);
    let records = history();
    assert!(
        !records.iter().any(|r| r.status == RunStatus::Running),
        "a clean shutdown leaves nothing running: {records:#?}"
    );
    assert!(interrupted(&records, "slow", "node-b") >= 1, "{records:#?}");
    let before = successes(&records);

    // 5. After the clean shutdown, the jobs resume.
    let mut process = start("node-b");
    wait_for("3 more runs of quick", &history, |records| {
        successes(records) >= before + 3
    });
    terminate(&mut process);

    // Both jobs are still stored.
    let jobs = runtime.block_on(store.list_jobs()).unwrap();
    let mut ids: Vec<&str> = jobs.iter().map(|job| job.id()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["quick", "slow"]);

    // No completed fire time ran again: the completion file (written by
    // the task itself) has each scheduled time once.
    let mut seen = BTreeMap::new();
    for line in std::fs::read_to_string(&completions).unwrap().lines() {
        *seen.entry(line.to_owned()).or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "fire times that ran twice: {twice:?}");

    // Every fire time of quick is accounted for exactly once.
    assert_every_fire_time_accounted_for(&history());
}

/// The records of `quick`, oldest first, must cover its fire times — one a
/// second from the first — without overlap and without a hole: each record
/// stands for its `fire_times` fire times ending at its scheduled time.
fn assert_every_fire_time_accounted_for(records: &[RunRecord]) {
    let mut quick: Vec<&RunRecord> = records.iter().filter(|r| r.job_id == "quick").collect();
    quick.sort_by_key(|r| r.scheduled_time);
    let keys: Vec<_> = quick.iter().map(|r| r.scheduled_time).collect();
    let mut unique = keys.clone();
    unique.dedup();
    assert_eq!(keys, unique, "a fire time of quick was recorded twice");
    let second = SignedDuration::from_secs(1);
    let mut expected = quick[0].scheduled_time;
    let mut first = true;
    for record in quick {
        let covered = i64::from(record.fire_times);
        let earliest = record.scheduled_time - second * (covered - 1) as i32;
        if first {
            first = false;
        } else {
            assert_eq!(
                earliest, expected,
                "fire times of quick before {} were lost or counted twice: {record:?}",
                record.scheduled_time
            );
        }
        assert!(
            matches!(
                record.status,
                RunStatus::Success | RunStatus::Missed | RunStatus::Interrupted
            ),
            "{record:?}"
        );
        expected = record.scheduled_time + second;
    }
}

fn running(records: &[RunRecord], job: &str, node: &str) -> bool {
    records
        .iter()
        .any(|r| r.job_id == job && r.node == node && r.status == RunStatus::Running)
}

fn interrupted(records: &[RunRecord], job: &str, node: &str) -> usize {
    records
        .iter()
        .filter(|r| r.job_id == job && r.node == node && r.status == RunStatus::Interrupted)
        .count()
}

/// Polls the history until `done` holds; fails after [`PATIENCE`].
fn wait_for(what: &str, history: &dyn Fn() -> Vec<RunRecord>, done: impl Fn(&[RunRecord]) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let records = history();
        if done(&records) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited {PATIENCE:?} for {what}; the history: {records:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn kill(process: &mut Child) {
    process.kill().unwrap(); // SIGKILL
    process.wait().unwrap();
}

fn terminate(process: &mut Child) {
    let pid = process.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = process.try_wait().unwrap() {
            assert!(status.success(), "the scheduler exited with {status}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no exit {PATIENCE:?} after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
