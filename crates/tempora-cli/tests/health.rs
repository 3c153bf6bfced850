//! `tempora health`, end to end: the real binary's exit status and output
//! on a SQLite store that is healthy, that holds a job whose run really
//! failed (the daemon ran it), and on a store URL nothing listens on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Output, Stdio};

use serde_json::Value;

use support::{Daemon, Setup};

const HOURLY: &str = "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
    [[job]]\nid = \"hourly\"\ncommand = [\"true\"]\ninterval = { hours = 1 }\n";

const FAILING: &str = "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
    [[job]]\nid = \"broken\"\nshell = \"echo disk full >&2; exit 3\"\ninterval = { seconds = 1 }\n\
    misfire_grace_time = \"1h\"\n";

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("JSON: {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn a_store_whose_jobs_run_is_healthy_exit_0() {
    let setup = Setup::new("healthy", HOURLY);
    let mut daemon = Daemon(setup.start());
    setup.wait_until("the daemon syncs its job", || {
        setup.job_ids().contains("hourly")
    });
    let text = setup.tempora(&["health"]);
    assert_eq!(text.status.code(), Some(0), "{text:?}");
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(
        stdout.starts_with("OK: 1 job(s), none failing or stale; 1 live node\n"),
        "{stdout}"
    );

    let output = setup.tempora(&["health", "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    assert_eq!(report["status"], "healthy");
    assert_eq!(report["jobs"], 1);
    assert_eq!(report["failing"], Value::Array(Vec::new()));
    assert_eq!(report["stale"], Value::Array(Vec::new()));
    assert_eq!(report["live_nodes"], 1);
    assert_eq!(report["history"], true);
    assert!(
        report["checked_at"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok()
    );
    support::signal(&daemon, "TERM");
    support::wait_exit(&mut daemon);
}

#[test]
fn a_job_whose_latest_run_failed_is_unhealthy_exit_1() {
    let setup = Setup::new("failing", FAILING);
    let daemon = Daemon(setup.start());
    setup.wait_until("broken fails once", || setup.count("broken", "error") >= 1);
    drop(daemon);

    let output = setup.tempora(&["health", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report = json(&output);
    assert_eq!(report["status"], "unhealthy");
    let failing = report["failing"].as_array().unwrap();
    assert_eq!(failing.len(), 1, "{report}");
    assert_eq!(failing[0]["job_id"], "broken");
    assert_eq!(failing[0]["status"], "error");
    assert!(failing[0]["scheduled_time"].is_string());
    assert!(failing[0]["finished"].is_string());
    assert!(
        failing[0]["error"].as_str().unwrap().contains("3"),
        "the error names the exit status: {report}"
    );

    let text = setup.tempora(&["health"]);
    assert_eq!(text.status.code(), Some(1));
    let stdout = String::from_utf8(text.stdout).unwrap();
    let mut lines = stdout.lines();
    assert!(
        lines.next().unwrap().starts_with("UNHEALTHY: 1 failing, "),
        "{stdout}"
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("failing broken: its run of "),
        "{stdout}"
    );
}

/// A loopback port nothing listens on: one the system just gave out and
/// took back.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_store_that_cannot_be_reached_is_exit_2() {
    let url = format!(
        "postgres://postgres:hunter2@127.0.0.1:{}/tempora",
        closed_port()
    );
    let health = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tempora"))
            .args(["health", "--store", &url, "--timeout", "2s"])
            .args(args)
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let text = health(&[]);
    assert_eq!(text.status.code(), Some(2), "{text:?}");
    assert!(
        String::from_utf8(text.stdout)
            .unwrap()
            .starts_with("UNREACHABLE: "),
    );

    let output = health(&["--json"]);
    assert_eq!(output.status.code(), Some(2));
    let report = json(&output);
    assert_eq!(report["status"], "unreachable");
    assert!(
        report["error"]
            .as_str()
            .is_some_and(|error| !error.is_empty())
    );
    assert!(
        !report["error"].as_str().unwrap().contains("hunter2"),
        "no password in the error: {report}"
    );
}

#[test]
fn bad_options_are_refused_naming_them() {
    let setup = Setup::new("options", HOURLY);
    let output = setup.tempora(&["health", "--grace", "soon"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "error: grace: \"soon\" is not a duration longer than zero like \"30s\" or \"5m\"\n"
    );
}
