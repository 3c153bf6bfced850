//! The workloads on the SQLite store: W4-add (durable adds per second) and
//! W4-restart (from a fresh process to the first due run, 100,000 jobs
//! stored).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use tempora::clock::{Clock, SystemClock};
use tempora::jiff::SignedDuration;
use tempora::job::{JobBuilder, JobDefaults, MisfireGraceTime};
use tempora::scheduler::{BackgroundScheduler, SchedulerBuilder};
use tempora::store::JobStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::{DateTrigger, IntervalTrigger};
use tempora_sql::SqliteStore;

use crate::output::Line;
use crate::w1::TEMPORA_IMPL;

/// A fresh SQLite file under `/tmp`, as WORKLOADS.md asks.
fn fresh_file(name: &str) -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("tempora-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
    Ok(dir.join("jobs.db"))
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())
}

fn scheduler(store: SqliteStore, tasks: Tasks) -> Result<BackgroundScheduler, String> {
    SchedulerBuilder::new()
        .timezone("UTC")
        .tasks(tasks)
        .job_defaults(JobDefaults {
            misfire_grace_time: MisfireGraceTime::Unlimited,
            ..JobDefaults::default()
        })
        .store("default", store)
        .background()
        .map_err(|error| error.to_string())
}

fn hourly() -> Result<IntervalTrigger, String> {
    IntervalTrigger::builder()
        .hours(1)
        .timezone("UTC")
        .build()
        .map_err(|error| error.to_string())
}

/// W4-add: `n` interval jobs added one call at a time to a running
/// scheduler, each durable when its call returns.
pub fn w4_add(n: u64, emit: &mut dyn FnMut(Line)) {
    let line = Line::new(TEMPORA_IMPL, "W4-add", "jobs/s", n);
    match w4_add_run(n) {
        Ok(elapsed) => emit(line.value(n as f64 / elapsed).with("elapsed_s", elapsed)),
        Err(error) => emit(line.error(error)),
    }
}

fn w4_add_run(n: u64) -> Result<f64, String> {
    let path = fresh_file("add")?;
    let store = runtime()?
        .block_on(SqliteStore::open(&path.to_string_lossy(), ""))
        .map_err(|error| error.to_string())?;
    let tasks = Tasks::new();
    tasks.register("noop", |_: JobContext, _: ()| Ok::<(), String>(()));
    let scheduler = scheduler(store, tasks)?;
    scheduler.start().map_err(|error| error.to_string())?;
    let trigger = hourly()?;
    let start = Instant::now();
    for _ in 0..n {
        scheduler
            .add_job(JobBuilder::new("noop", trigger.clone()))
            .map_err(|error| error.to_string())?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let _ = scheduler.shutdown(false);
    let _ = std::fs::remove_dir_all(path.parent().unwrap_or(&path));
    Ok(elapsed)
}

/// W4-restart: sets up a file of `n` hourly jobs and one sentinel due a
/// second ago, then times a fresh process from opening the store to the
/// sentinel's run.
pub fn w4_restart(n: u64, emit: &mut dyn FnMut(Line)) {
    let line = Line::new(TEMPORA_IMPL, "W4-restart", "s", n);
    let setup = Instant::now();
    let path = match w4_restart_setup(n) {
        Ok(path) => path,
        Err(error) => return emit(line.error(error)),
    };
    let setup_s = setup.elapsed().as_secs_f64();
    let child = std::env::current_exe().and_then(|exe| {
        std::process::Command::new(exe)
            .arg("W4-restart-child")
            .arg(&path)
            .output()
    });
    let _ = std::fs::remove_dir_all(path.parent().unwrap_or(&path));
    let output = match child {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            return emit(line.error(format!(
                "the restarted process failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Err(error) => return emit(line.error(format!("cannot restart: {error}"))),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let mut numbers = text
        .split_whitespace()
        .filter_map(|n| n.parse::<f64>().ok());
    match (numbers.next(), numbers.next()) {
        (Some(until_run), Some(start_returned)) => emit(
            line.value(until_run)
                .with("start_returned_s", start_returned)
                .with("setup_s", setup_s),
        ),
        _ => emit(line.error(format!("the restarted process printed {text:?}"))),
    }
}

fn w4_restart_setup(n: u64) -> Result<std::path::PathBuf, String> {
    let path = fresh_file("restart")?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let store = SqliteStore::open(&path.to_string_lossy(), "")
            .await
            .map_err(|error| error.to_string())?;
        let now = SystemClock.now();
        let defaults = JobDefaults::default();
        let trigger = hourly()?;
        for _ in 0..n {
            let job = JobBuilder::new("noop", trigger.clone())
                .build_at(&defaults, now)
                .map_err(|error| error.to_string())?;
            store
                .add_job(job, false)
                .await
                .map_err(|error| error.to_string())?;
        }
        let second_ago = now
            .checked_sub(SignedDuration::from_secs(1))
            .map_err(|error| error.to_string())?;
        let sentinel = JobBuilder::new("sentinel", DateTrigger::new(second_ago))
            .id("sentinel")
            .build_at(&defaults, now)
            .map_err(|error| error.to_string())?;
        store
            .add_job(sentinel, false)
            .await
            .map_err(|error| error.to_string())
    })?;
    Ok(path)
}

/// The restarted process of W4-restart: prints the seconds until the
/// sentinel ran and until `start()` returned.
pub fn w4_restart_child(path: &str) -> Result<String, String> {
    let (ran, sentinel_ran) = mpsc::channel::<Instant>();
    let ran = std::sync::Mutex::new(ran);
    let tasks = Tasks::new();
    tasks.register("noop", |_: JobContext, _: ()| Ok::<(), String>(()));
    tasks.register("sentinel", move |_: JobContext, _: ()| {
        let now = Instant::now();
        if let Ok(ran) = ran.lock() {
            let _ = ran.send(now);
        }
        Ok::<(), String>(())
    });
    let start = Instant::now();
    let store = runtime()?
        .block_on(SqliteStore::open(path, ""))
        .map_err(|error| error.to_string())?;
    let scheduler = scheduler(store, tasks)?;
    scheduler.start().map_err(|error| error.to_string())?;
    let start_returned = start.elapsed().as_secs_f64();
    let when = sentinel_ran
        .recv_timeout(Duration::from_secs(60))
        .map_err(|_| "the sentinel did not run within 60 s".to_owned())?;
    let until_run = when.duration_since(start).as_secs_f64();
    let _ = scheduler.shutdown(false);
    Ok(format!("{until_run} {start_returned}"))
}
