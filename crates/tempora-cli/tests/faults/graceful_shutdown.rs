//! See the catalogue in `main.rs`.
//!
//! SIGTERM reaches the daemon while a command runs: the command's process
//! group gets SIGTERM at once (the command traps it and says so), the
//! daemon waits for it (up to `shutdown_timeout`) and exits; the run is
//! recorded as interrupted, and the next start retries it under
//! `on_interrupted = "retry"`.

use std::time::{Duration, Instant};

use crate::support::{Setup, in_seconds, kill, signal, wait_exit};

#[test]
fn a_command_gets_sigterm_at_shutdown_and_its_run_is_retried_at_the_next_start() {
    let setup = Setup::new("graceful-shutdown", "");
    let file = setup.path("trace");
    setup.write_config(&format!(
        r#"
[scheduler]
shutdown_timeout = "20s"

[[job]]
id = "trap"
shell = "trap 'echo got-term >> {file}; exit 0' TERM; echo start >> {file}; sleep 30 & wait"
interval = {{ hours = 1 }}
start_date = "{start}"
on_interrupted = "retry"
"#,
        file = file.display(),
        start = in_seconds(2),
    ));
    let mut daemon = setup.start();
    setup.wait_until("the command starts", || setup.lines("trace") == ["start"]);
    std::thread::sleep(Duration::from_millis(300));

    let stopping = Instant::now();
    signal(&daemon, "TERM");
    let status = wait_exit(&mut daemon);
    let stopped_in = stopping.elapsed();
    assert!(status.success(), "{status}");
    assert_eq!(setup.lines("trace"), ["start", "got-term"]);
    // It exited when the command did, not at the shutdown timeout.
    assert!(stopped_in < Duration::from_secs(10), "{stopped_in:?}");
    let runs = setup.runs("trap");
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["status"], "interrupted", "{runs:#?}");
    eprintln!(
        "graceful_shutdown: the daemon exited {:.2} s after SIGTERM; the run: {}",
        stopped_in.as_secs_f64(),
        runs[0]["error"]
    );

    // The next start retries the run the shutdown cut short.
    let restarted = Instant::now();
    let mut daemon = setup.start();
    setup.wait_until("the interrupted run is retried", || {
        setup
            .lines("trace")
            .iter()
            .filter(|line| *line == "start")
            .count()
            == 2
    });
    eprintln!(
        "graceful_shutdown: retried {:.2} s after the restart",
        restarted.elapsed().as_secs_f64()
    );
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    assert_eq!(
        setup.lines("trace"),
        ["start", "got-term", "start", "got-term"]
    );
    kill(daemon);
}
