//! See the catalogue in `main.rs`.
//!
//! A command floods its output (200 MB): the daemon's memory stays small,
//! the log keeps the first and last lines of the run and says how many it
//! left out, and the history keeps a bounded tail. A command whose
//! background grandchild keeps stdout open ends when the command exits,
//! and the daemon's threads and descriptors do not grow run after run. A
//! run queued behind a busy worker checks its misfire grace time again
//! when it starts: too late, it is recorded missed, not run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use tempora::clock::ManualClock;
use tempora::executor::Executor;
use tempora::history::{RunQuery, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::{JobBuilder, MisfireGraceTime};
use tempora::task::{JobContext, Tasks};
use tempora::trigger::DateTrigger;

use crate::support::{Setup, counting_task, in_seconds, kill, on_manual_clock, signal, wait_exit};

/// A field of `/proc/<pid>/status` (`VmRSS`, `Threads`), as a number.
fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .and_then(|value| value.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap()
}

fn open_descriptors(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count() as u64
}

/// The fewest threads and descriptors `pid` had over a job's period (2 s):
/// its idle level, between runs.
fn idle_level(pid: u32) -> (u64, u64) {
    let start = Instant::now();
    let mut level = (u64::MAX, u64::MAX);
    while start.elapsed() < Duration::from_millis(2200) {
        level.0 = level.0.min(status_field(pid, "Threads"));
        level.1 = level.1.min(open_descriptors(pid));
        std::thread::sleep(Duration::from_millis(20));
    }
    level
}

#[test]
fn a_command_printing_200_mb_leaves_the_daemon_small_and_its_log_capped() {
    let setup = Setup::new("flood", "");
    setup.write_config(&format!(
        r#"
[scheduler]
shutdown_timeout = "5s"

[[job]]
id = "flood"
shell = "yes | head -c 200000000; echo the-end"
interval = {{ hours = 1 }}
start_date = "{start}"
"#,
        start = in_seconds(2),
    ));
    let mut daemon = setup.start();
    let pid = daemon.id();
    let mut peak_rss_kb = 0;
    let started = Instant::now();
    setup.wait_until("the flood is over", || {
        peak_rss_kb = peak_rss_kb.max(status_field(pid, "VmRSS"));
        setup.log().contains("\"outcome\":\"success\"")
    });
    let took = started.elapsed();
    let log = setup.log();
    let flood_lines = log
        .lines()
        .filter(|line| line.contains("\"job\":\"flood\"") && line.contains("\"stream\":\"stdout\""))
        .count();
    let runs = setup.runs("flood");
    let output = runs[0]["output"].as_str().unwrap();
    eprintln!(
        "bounded_resources: 200 MB of output in {:.1} s; daemon peak RSS {} MB; {flood_lines} \
         log lines for the run; history output {} bytes",
        took.as_secs_f64(),
        peak_rss_kb / 1024,
        output.len()
    );
    assert!(peak_rss_kb < 100 * 1024, "peak RSS {peak_rss_kb} kB");
    // The first and last lines, and one saying how many were left out.
    assert!(flood_lines <= 201, "{flood_lines} lines logged");
    assert!(log.contains("line(s) of stdout not logged"), "{log}");
    assert!(log.contains("the-end"), "the last line is logged");
    assert!(output.len() <= 2 * tempora::task::CommandOutput::TAIL_BYTES + 1);
    assert!(output.ends_with("the-end\n"), "{output:?}");
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    kill(daemon);
}

#[test]
fn a_grandchild_holding_stdout_open_leaks_no_threads_or_descriptors() {
    let setup = Setup::new("grandchild", "");
    setup.write_config(
        r#"
[scheduler]
shutdown_timeout = "5s"

[[job]]
id = "linger"
shell = "sleep 20 & echo done"
interval = { seconds = 2 }
"#,
    );
    let mut daemon = setup.start();
    let pid = daemon.id();
    let finished = |setup: &Setup| setup.count("linger", "success");
    setup.wait_until("three runs", || finished(&setup) >= 3);
    // A leak costs two threads and two descriptors a run (twelve each over
    // six runs); the daemon's own pools may grow by a few, once.
    let (threads_before, fds_before) = idle_level(pid);
    let runs_before = finished(&setup);
    setup.wait_until("six more runs", || finished(&setup) >= runs_before + 6);
    let (threads_after, fds_after) = idle_level(pid);
    let longest = setup
        .runs("linger")
        .iter()
        .filter_map(|run| run["duration_seconds"].as_f64())
        .fold(0.0, f64::max);
    eprintln!(
        "bounded_resources: runs whose grandchild holds stdout took at most {longest:.2} s; \
         threads {threads_before} -> {threads_after}, descriptors {fds_before} -> {fds_after} \
         over six runs"
    );
    assert!(longest < 3.0, "a run took {longest} s");
    assert!(
        threads_after <= threads_before + 4,
        "{threads_before} -> {threads_after}"
    );
    assert!(fds_after <= fds_before + 4, "{fds_before} -> {fds_after}");
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    kill(daemon);
}

#[test]
fn a_run_queued_behind_a_busy_worker_past_its_grace_time_is_missed_not_run() {
    let t0: Timestamp = "2026-03-02T00:00:00Z".parse().unwrap();
    let clock = ManualClock::new(t0);
    let tasks = Tasks::new();
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let busy = Arc::new(AtomicBool::new(false));
    let started = Arc::clone(&busy);
    tasks.register("block", move |_: JobContext, _: ()| {
        started.store(true, Ordering::SeqCst);
        let _ = released
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(30));
        Ok::<_, String>(())
    });
    let ran = counting_task(&tasks, "count");
    let scheduler = on_manual_clock(&clock, tasks)
        .executor("default", Executor::thread_pool(1).unwrap())
        .host_driven()
        .unwrap();
    scheduler
        .add_job(JobBuilder::new("block", DateTrigger::new(t0)).id("a-block"))
        .unwrap();
    scheduler
        .add_job(
            JobBuilder::new("count", DateTrigger::new(t0))
                .id("b-late")
                .misfire_grace_time(MisfireGraceTime::Limit(SignedDuration::from_secs(10))),
        )
        .unwrap();
    scheduler.start().unwrap();
    scheduler.run_pending(t0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !busy.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the blocking run never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The worker is busy for a minute; then the queued run comes up.
    clock.set(t0.checked_add(SignedDuration::from_secs(60)).unwrap());
    release.send(()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let record = loop {
        let runs = scheduler.list_runs(&RunQuery::new().job("b-late")).unwrap();
        if let Some(run) = runs.into_iter().find(|run| run.status.is_finished()) {
            break run;
        }
        assert!(
            Instant::now() < deadline,
            "the queued run was never recorded"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(record.status, RunStatus::Missed, "{record:#?}");
    assert_eq!(record.started, None);
    assert!(
        record
            .error
            .as_deref()
            .unwrap()
            .contains("waited for a free worker until 1m late"),
        "{record:#?}"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0, "the late run ran");
    scheduler.shutdown(true).unwrap();
}
