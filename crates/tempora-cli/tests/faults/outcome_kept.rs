//! See the catalogue in `main.rs`.
//!
//! The store (a private PostgreSQL) stops for 20 s while a `sleep 8` job
//! runs, so the run ends while its outcome cannot be written, and its
//! running record expires (a 3 s lease) before the store returns. The
//! daemon keeps the outcome, writes it when the store answers, never takes
//! the run as interrupted (`on_interrupted = "retry"` would run it again),
//! and its per-second job fires again within seconds of the return.

use std::time::{Duration, Instant};

use tempora_testkit::servers::PrivatePostgres;

use crate::support::{
    Setup, TICK_JOB, in_seconds, is_running, kill, outage, outage_scheduler, signal, wait_exit,
};

#[test]
fn a_run_finishing_while_the_store_is_down_keeps_its_outcome_and_never_runs_again() {
    let mut server = PrivatePostgres::start();
    let setup = Setup::new("outcome-kept", "");
    let runs = setup.path("runs");
    setup.write_config(&format!(
        r#"{scheduler}
[[job]]
id = "sleeper"
shell = "echo run >> {runs}; sleep 8"
date = "{at}"
on_interrupted = "retry"
misfire_grace_time = "1h"
{TICK_JOB}"#,
        scheduler = outage_scheduler(&server.url()),
        runs = runs.display(),
        at = in_seconds(4),
    ));
    let mut daemon = setup.start();
    setup.wait_until("the sleeper starts", || setup.lines("runs").len() == 1);
    std::thread::sleep(Duration::from_secs(1));

    // The store goes away mid-run; the run ends (at 8 s) while it is down.
    outage(&mut server, &mut daemon, Duration::from_secs(20));
    let ticks_before = setup.lines("ticks").len();
    server.start_again();
    let back = Instant::now();
    setup.wait_until("the per-second job fires again", || {
        setup.lines("ticks").len() > ticks_before
    });
    let first_fire = back.elapsed();
    setup.wait_until("the per-second job fires on schedule again", || {
        setup.lines("ticks").len() > ticks_before + 2
    });
    let steady = back.elapsed();
    eprintln!(
        "outcome_kept: the per-second job fired {:.1} s after the store's return, \
         and three times within {:.1} s",
        first_fire.as_secs_f64(),
        steady.as_secs_f64()
    );
    assert!(
        first_fire < Duration::from_secs(5),
        "the per-second job fired {first_fire:?} after the store's return"
    );

    // Several leases and sweeps later: the sleeper ran once and its history
    // says how it ended.
    setup.wait_until("the sleeper's outcome is written", || {
        setup.count("sleeper", "success") == 1
    });
    std::thread::sleep(Duration::from_secs(8));
    assert!(is_running(&mut daemon), "the daemon exited");
    assert_eq!(setup.lines("runs").len(), 1, "the sleeper ran again");
    let history = setup.runs("sleeper");
    assert_eq!(history.len(), 1, "{history:#?}");
    let run = &history[0];
    assert_eq!(run["status"], "success", "{run:#}");
    assert_eq!(run["exit_status"], 0, "{run:#}");
    assert!(
        run["started"].is_string() && run["finished"].is_string(),
        "{run:#}"
    );
    assert!(run["duration_seconds"].as_f64().unwrap() >= 7.5, "{run:#}");
    assert!(
        !setup.log().contains("recorded as interrupted"),
        "a run was taken as interrupted:\n{}",
        setup.log()
    );

    signal(&daemon, "TERM");
    let status = wait_exit(&mut daemon);
    assert!(status.success(), "{status}");
    kill(daemon);
}
