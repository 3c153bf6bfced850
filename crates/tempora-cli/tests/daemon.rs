//! The daemon on its SQLite store, end to end: the real `tempora` binary
//! on a temporary configuration, driven by the `tempora jobs` and `tempora
//! history` commands, and by signals (SIGHUP, SIGTERM, SIGKILL). Jobs fire
//! every second on the real clock, so every check polls the store with a
//! generous deadline; no sleep is an assertion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use support::{Setup, signal, wait_exit};

fn timestamp(value: &Value) -> jiff::Timestamp {
    value.as_str().unwrap().parse().unwrap()
}

const TICK: &str = "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
    [[job]]\nid = \"tick\"\ncommand = [\"echo\", \"tick\"]\ninterval = { seconds = 1 }\n";

#[test]
fn jobs_commands_change_the_running_daemon() {
    let setup = Setup::new("jobs", TICK);
    let mut daemon = setup.start();
    setup.wait_until("tick runs", || setup.count("tick", "success") >= 1);
    // The store is the SQLite file beside the configuration.
    assert!(Path::new(&setup.dir.join("tempora.db")).exists());

    // `tempora nodes` lists the daemon: its id, host and pid, live.
    let nodes = setup.json(&["nodes"]);
    assert_eq!(nodes.as_array().map(Vec::len), Some(1), "{nodes}");
    assert_eq!(
        nodes[0]["id"],
        format!("tempora@{}", tempora::scheduler::host_name()),
        "{nodes}"
    );
    assert_eq!(nodes[0]["pid"], daemon.id(), "{nodes}");
    assert_eq!(nodes[0]["live"], true, "{nodes}");
    let table = setup.ok(&["nodes"]);
    assert!(table.starts_with("ID"), "{table}");
    assert!(table.contains("LAST HEARTBEAT"), "{table}");

    // A job added at run time runs within seconds.
    let added = setup.ok(&[
        "jobs",
        "add",
        "extra",
        "--interval",
        "1s",
        "--",
        "sh",
        "-c",
        "echo extra; exit 4",
    ]);
    assert!(added.starts_with("added extra: next run "), "{added}");
    setup.wait_until("extra runs", || setup.count("extra", "error") >= 1);
    let failed = setup.json(&["history", "extra", "--failed", "--limit", "1"]);
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("exited with status 4"),
        "{failed}"
    );
    // The exit status and the output's tail are kept in the history.
    assert_eq!(failed[0]["exit_status"], 4, "{failed}");
    assert_eq!(failed[0]["output"], "extra\n", "{failed}");

    // `jobs` lists both, with their origin and last outcome.
    let jobs = setup.json(&["jobs"]);
    let extra = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|job| job["id"] == "extra")
        .unwrap();
    assert_eq!(extra["origin"], "cli");
    assert_eq!(extra["paused"], false);
    assert_eq!(extra["last_run"]["status"], "error");
    let table = setup.ok(&["jobs"]);
    assert!(table.starts_with("ID"), "{table}");
    assert!(table.contains("extra"), "{table}");

    // Paused: no new run starts once the pause is seen (one may be in flight).
    setup.ok(&["jobs", "pause", "tick"]);
    assert_eq!(setup.json(&["jobs", "show", "tick"])["paused"], true);
    let at_pause = setup.runs("tick").len();
    let extra_at_pause = setup.runs("extra").len();
    setup.wait_until("extra runs 3 more times", || {
        setup.runs("extra").len() >= extra_at_pause + 3
    });
    assert!(setup.runs("tick").len() <= at_pause + 1);

    // A paused job is not run now; a resumed one runs again.
    let refused = setup.tempora(&["jobs", "run", "tick"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is paused; resume it first"),
        "{refused:?}"
    );
    setup.ok(&["jobs", "resume", "tick"]);
    let after_resume = setup.runs("tick").len();
    setup.wait_until("tick runs after resume", || {
        setup.runs("tick").len() > after_resume + 1
    });

    // `jobs run` runs an hourly job now, and keeps its schedule.
    setup.ok(&[
        "jobs",
        "add",
        "hourly",
        "--cron",
        "0 * * * *",
        "--shell",
        "echo hourly",
    ]);
    let next_before = setup.json(&["jobs", "show", "hourly"])["next_run_time"].clone();
    setup.ok(&["jobs", "run", "hourly"]);
    setup.wait_until("hourly runs now", || setup.count("hourly", "success") == 1);
    setup.wait_until("hourly goes back to its schedule", || {
        setup.json(&["jobs", "show", "hourly"])["next_run_time"] == next_before
    });

    // Removed: gone from the store, and the daemon stops running it.
    setup.ok(&["jobs", "remove", "extra"]);
    assert!(!setup.job_ids().contains("extra"));
    let extra_runs = setup.runs("extra").len();
    let ticks = setup.runs("tick").len();
    setup.wait_until("tick runs twice more", || {
        setup.runs("tick").len() >= ticks + 2
    });
    assert!(setup.runs("extra").len() <= extra_runs + 1);

    // A job that does not exist: one line, exit status 1.
    let missing = setup.tempora(&["jobs", "show", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&missing.stderr).lines().count(), 1);

    // SIGHUP: the file's jobs follow it; the jobs added at run time stay.
    // (Its [scheduler] table stays: changing it takes a restart.)
    std::fs::write(
        setup.config(),
        "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n[[job]]\nid = \"second\"\nshell = \"echo second\"\ninterval = { seconds = 1 }\n",
    )
    .unwrap();
    signal(&daemon, "HUP");
    setup.wait_until("the reload shows in `tempora jobs`", || {
        let ids = setup.job_ids();
        ids.contains("second") && !ids.contains("tick")
    });
    assert!(setup.job_ids().contains("hourly"));
    setup.wait_until("second runs", || setup.count("second", "success") >= 1);

    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    // It said it left: no node, not even a stopped one.
    assert_eq!(setup.json(&["nodes", "--all"]), serde_json::json!([]));
    assert_eq!(
        setup.ok(&["nodes"]),
        "no nodes: no scheduler uses this store\n"
    );
}

#[test]
fn a_killed_daemon_restarts_without_losing_or_repeating_a_fire_time() {
    let setup = Setup::new(
        "crash",
        &format!(
            "{TICK}\n[[job]]\nid = \"slow\"\ncommand = [\"sleep\", \"30\"]\ninterval = {{ seconds = 1 }}\n"
        ),
    );
    let mut daemon = setup.start();
    setup.wait_until("a few ticks and a slow run in flight", || {
        setup.count("tick", "success") >= 3 && setup.count("slow", "running") == 1
    });
    signal(&daemon, "KILL");
    wait_exit(&mut daemon);

    let mut daemon = setup.start();
    // The run the kill cut short is interrupted; the job runs again.
    setup.wait_until("the killed slow run is interrupted", || {
        setup.count("slow", "interrupted") >= 1
    });
    setup.wait_until("slow runs again", || setup.count("slow", "running") == 1);
    let ticks = setup.count("tick", "success");
    setup.wait_until("tick runs after the restart", || {
        setup.count("tick", "success") >= ticks + 3
    });
    // Once more, killed between runs of tick.
    signal(&daemon, "KILL");
    wait_exit(&mut daemon);
    let mut daemon = setup.start();
    let ticks = setup.count("tick", "success");
    setup.wait_until("tick runs after the second restart", || {
        setup.count("tick", "success") >= ticks + 2
    });
    assert_eq!(
        setup.job_ids(),
        BTreeSet::from(["slow".into(), "tick".into()])
    );

    // No fire time twice, none lost: tick's runs, oldest first, each stand
    // for the fire times (1 s apart) since the one before.
    let mut runs = setup.runs("tick");
    runs.reverse();
    let mut seen = BTreeSet::new();
    for run in &runs {
        assert!(
            seen.insert(run["scheduled_time"].as_str().unwrap().to_owned()),
            "fire time run twice: {run}"
        );
    }
    for pair in runs.windows(2) {
        let gap = timestamp(&pair[1]["scheduled_time"]).as_second()
            - timestamp(&pair[0]["scheduled_time"]).as_second();
        assert_eq!(
            gap,
            pair[1]["fire_times"].as_i64().unwrap(),
            "fire times lost or repeated between {} and {}",
            pair[0],
            pair[1]
        );
    }

    // SIGTERM: the slow run in flight gets shutdown_timeout (1 s), then is
    // killed and recorded as interrupted; the daemon exits 0.
    setup.wait_until("slow in flight", || setup.count("slow", "running") == 1);
    let interrupted = setup.count("slow", "interrupted");
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    assert_eq!(setup.count("slow", "running"), 0);
    assert!(setup.count("slow", "interrupted") > interrupted);
}

/// A command gets its run's context in its environment (the file's job
/// and one added with `tempora jobs add`); a job's `timeout` stops a run
/// that takes longer, recorded as `timeout`, and is kept with the job.
#[test]
fn commands_get_their_runs_context_and_jobs_stop_at_their_timeout() {
    let config = "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
        [[job]]\nid = \"ctx\"\nshell = \"env | grep ^TEMPORA_ | sort > ctx.$$.tmp && mv ctx.$$.tmp ctx.$$.env\"\n\
        working_dir = \"{DIR}\"\ninterval = { seconds = 1 }\n\n\
        [[job]]\nid = \"slow\"\nshell = \"echo started; exec sleep 60\"\n\
        interval = { seconds = 1 }\ntimeout = \"1s\"\n";
    let setup = Setup::new("context", config);
    let mut daemon = setup.start();
    setup.wait_until("ctx runs", || setup.count("ctx", "success") >= 1);
    setup.wait_until("slow times out", || setup.count("slow", "timeout") >= 1);
    setup.ok(&[
        "jobs",
        "add",
        "added",
        "--interval",
        "1h",
        "--timeout",
        "90s",
        "--shell",
        "true",
    ]);
    let shown = setup.json(&["jobs", "show", "added"]);
    assert_eq!(shown["timeout"], "1m 30s", "{shown}");
    assert_eq!(setup.json(&["jobs", "show", "slow"])["timeout"], "1s");
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());

    // One file per run (named by the shell's pid): each run's context.
    let runs: Vec<_> = std::fs::read_dir(&setup.dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "env"))
        .collect();
    assert!(!runs.is_empty());
    let node = format!("tempora@{}", tempora::scheduler::host_name());
    let recorded: Vec<jiff::Timestamp> = setup
        .runs("ctx")
        .iter()
        .map(|record| timestamp(&record["scheduled_time"]))
        .collect();
    let mut run_ids = BTreeSet::new();
    for run in &runs {
        let text = std::fs::read_to_string(run).unwrap();
        let vars: std::collections::HashMap<&str, &str> = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .collect();
        assert_eq!(vars["TEMPORA_JOB_ID"], "ctx", "{text}");
        assert_eq!(vars["TEMPORA_ATTEMPT"], "1", "{text}");
        assert_eq!(vars["TEMPORA_NODE"], node, "{text}");
        let scheduled: jiff::Timestamp = vars["TEMPORA_SCHEDULED_TIME"].parse().unwrap();
        // The logical time: the fire time the history keeps the run under.
        assert!(recorded.contains(&scheduled), "{text}");
        assert!(run_ids.insert(vars["TEMPORA_RUN_ID"].to_owned()), "{text}");
    }

    let runs = setup.runs("slow");
    let timed_out = runs.iter().find(|run| run["status"] == "timeout").unwrap();
    assert_eq!(
        timed_out["error"], "command \"/bin/sh\" timed out after 1s and was killed",
        "{timed_out}"
    );
    assert_eq!(timed_out["output"], "started\n", "{timed_out}");
}

#[test]
fn commands_refuse_bad_input_with_status_2() {
    let setup = Setup::new("usage", TICK);
    for (args, message) in [
        (
            &[
                "jobs",
                "add",
                "x",
                "--cron",
                "0 24 * * *",
                "--shell",
                "true",
            ][..],
            "error: hour: 24 is out of range 0-23",
        ),
        (
            &["jobs", "add", "x", "--shell", "true"][..],
            "error: trigger: missing; give --cron EXPR, cron fields (--hour 9 …), \
             --interval DURATION (or --hours N …), a calendar interval (--months N …) or \
             --run-date T",
        ),
        (
            &["jobs", "pause", "tick", "--until", "someday"][..],
            "error: until:",
        ),
        (
            &[
                "jobs",
                "add",
                "x",
                "--interval",
                "1m",
                "--timeout",
                "0s",
                "--shell",
                "true",
            ][..],
            "error: timeout: \"0s\" must be longer than zero",
        ),
        (
            &[
                "jobs",
                "add",
                "x",
                "--interval",
                "1m",
                "--timeout",
                "soon",
                "--shell",
                "true",
            ][..],
            "error: timeout: \"soon\" is not a duration",
        ),
        (&["history", "--limit", "x"][..], "error: invalid value 'x'"),
        (
            &["jobs", "frobnicate"][..],
            "error: unrecognized subcommand",
        ),
    ] {
        let output = setup.tempora(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(output.stdout.is_empty());
    }
    // A bad store URL is named, without its password.
    let output = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(["jobs", "--store", "oracle://scott:tiger@db/orcl"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("oracle://scott:***@db/orcl"), "{stderr}");
    assert!(!stderr.contains("tiger"));
}

/// README's first command runs the daemon on the shipped example, and a
/// newcomer sees a job fire within seconds (here on a copy of the example,
/// so that its database lands in a temporary directory).
#[test]
fn the_readme_first_command_runs_the_example_and_jobs_fire() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let section = &readme[readme.find("## Two commands").unwrap()..];
    let first = section
        .lines()
        .find(|line| line.starts_with("cargo run -p tempora-cli -- "))
        .unwrap();
    assert_eq!(
        first,
        "cargo run -p tempora-cli -- run --config examples/tempora.toml"
    );
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/tempora.toml"
    ))
    .unwrap();
    let setup = Setup::new("example", &example);
    let mut daemon = setup.start();
    let started = Instant::now();
    setup.wait_until("heartbeat fires", || {
        setup.count("heartbeat", "success") >= 1
    });
    assert!(started.elapsed() < Duration::from_secs(15));
    let runs = setup.runs("heartbeat");
    assert_eq!(
        runs[0]["node"].as_str().map(|n| n.starts_with("tempora@")),
        Some(true)
    );
    assert_eq!(
        setup.job_ids(),
        BTreeSet::from([
            "heartbeat".into(),
            "disk-usage".into(),
            "monthly-report".into(),
            "invoices".into()
        ])
    );
    signal(&daemon, "INT");
    assert!(wait_exit(&mut daemon).success());
}

#[test]
fn calendars_of_the_file_skip_fire_times_on_every_job_that_excludes_them() {
    let setup = Setup::new(
        "calendars",
        "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
         [calendar.even-seconds]\ncron = \"*/2 * * * * *\"\n\n\
         [[job]]\nid = \"odd\"\ncommand = [\"echo\", \"odd\"]\ninterval = { seconds = 1 }\n\
         exclude = [\"even-seconds\"]\n\n\
         [[job]]\nid = \"weekly\"\nshell = \"true\"\ncron = { day_of_week = 1, hour = 3 }\n",
    );
    let mut daemon = setup.start();
    // A job added at run time names the file's calendar too.
    setup.ok(&[
        "jobs",
        "add",
        "odd-too",
        "--interval",
        "1s",
        "--exclude",
        "even-seconds",
        "--shell",
        "echo odd too",
    ]);
    let unknown = setup.tempora(&[
        "jobs",
        "add",
        "nope",
        "--interval",
        "1s",
        "--exclude",
        "odd-seconds",
        "--shell",
        "true",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("exclude: \"odd-seconds\" is not a calendar of the configuration file"),
        "{unknown:?}"
    );
    // `jobs show` says what a job excludes.
    let shown = setup.json(&["jobs", "show", "odd-too"]);
    assert_eq!(
        shown["exclude"],
        serde_json::json!({"even-seconds": {"cron": "*/2 * * * * *", "timezone": "UTC"}}),
        "{shown}"
    );
    let shown = setup.ok(&["jobs", "show", "odd"]);
    assert!(
        shown.lines().any(|line| line.starts_with("exclude:")
            && line.ends_with(" even-seconds: cron['*/2 * * * * *'] in UTC")),
        "{shown}"
    );
    for id in ["odd", "odd-too"] {
        setup.wait_until("three runs", || setup.count(id, "success") >= 3);
        // Every run is on an odd second; the even ones were skipped, not
        // recorded as missed.
        for run in setup.runs(id) {
            let second = timestamp(&run["scheduled_time"]).as_second();
            assert_eq!(second.rem_euclid(2), 1, "{id}: {run}");
            assert_ne!(run["status"], "missed", "{id}: {run}");
        }
    }
    // `tempora next --job` shows the job's schedule with its calendar.
    let shown = setup.ok(&["next", "--job", "odd-too", "--count", "4"]);
    assert_eq!(shown.lines().count(), 4, "{shown}");
    for line in shown.lines() {
        let second = line.parse::<jiff::Timestamp>().unwrap().as_second();
        assert_eq!(second.rem_euclid(2), 1, "{shown}");
    }
    // A reload with a changed calendar changes the jobs of the file that
    // exclude it; a job added at run time keeps the calendar it was added
    // with.
    setup.write_config(
        &std::fs::read_to_string(setup.config())
            .unwrap()
            .replace("*/2 * * * * *", "1-59/2 * * * * *"),
    );
    signal(&daemon, "HUP");
    setup.wait_until("the reload is applied", || {
        setup
            .log()
            .contains("the configuration was reloaded: changed odd (exclude)")
    });
    let even = |id: &str| {
        setup
            .runs(id)
            .iter()
            .filter(|run| timestamp(&run["scheduled_time"]).as_second().rem_euclid(2) == 0)
            .count()
    };
    setup.wait_until("odd runs on even seconds", || even("odd") >= 2);
    assert_eq!(even("odd-too"), 0);
    // The daemon logs the file's warnings when it loads it.
    let warning = "job \"weekly\": cron.day_of_week = 1 means Tuesday in the table form \
                   (APScheduler's numbering, 0 = Monday); write \"tue\"";
    let log = setup.log();
    assert!(
        log.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .any(|line| line["level"] == "WARN" && line["fields"]["message"] == warning),
        "{log}"
    );
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
}
