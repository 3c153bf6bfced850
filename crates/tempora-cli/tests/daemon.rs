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

/// `jobs add --overlap` keeps the policy (and refuses an unknown one);
/// `jobs backfill --dry-run` lists the fire times of a job's trigger in a
/// past range, in the file's zone, and changes nothing; a range that is
/// reversed, in the future or too long, and an unknown job, are refused
/// with a line naming the field and the value.
#[test]
fn jobs_backfill_dry_run_lists_the_fire_times_of_a_range() {
    let setup = Setup::new("backfill-dry-run", TICK);
    setup.ok(&[
        "jobs",
        "add",
        "report",
        "--cron",
        "0 */6 * * *",
        "--overlap",
        "buffer_all",
        "--shell",
        "true",
    ]);
    // The job as shown, without the seconds left to its next run (which
    // tick on between two calls).
    let shown = || {
        let mut job = setup.json(&["jobs", "show", "report"]);
        job.as_object_mut().unwrap().remove("next_run_in_seconds");
        job
    };
    let before = shown();
    assert_eq!(before["overlap"], "buffer_all");
    assert!(
        setup
            .ok(&["jobs", "show", "report"])
            .contains("overlap:        buffer_all\n")
    );
    let refused = setup.tempora(&[
        "jobs",
        "add",
        "x",
        "--interval",
        "1m",
        "--overlap",
        "queue",
        "--shell",
        "true",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(refused.stderr).unwrap(),
        "error: overlap: \"queue\" is not one of skip, buffer_one, buffer_all, cancel_other, allow_all\n"
    );
    let listed = setup.ok(&[
        "jobs",
        "backfill",
        "report",
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-01 18:00",
        "--dry-run",
    ]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(
        lines[0],
        "4 fire time(s) of report from 2025-03-01 00:00:00 UTC to 2025-03-01 18:00:00 UTC \
         (dry run: nothing runs)",
        "{listed}"
    );
    let times: Vec<&str> = lines[1..]
        .iter()
        .map(|line| line.trim().split(" (").next().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2025-03-01 00:00:00 UTC",
            "2025-03-01 06:00:00 UTC",
            "2025-03-01 12:00:00 UTC",
            "2025-03-01 18:00:00 UTC"
        ]
    );
    let json = setup.json(&[
        "jobs",
        "backfill",
        "report",
        "--from",
        "2025-03-01T05:00:00Z",
        "--to",
        "2025-03-01T12:00:00Z",
        "--dry-run",
    ]);
    assert_eq!(json["dry_run"], true);
    assert_eq!(
        json["fire_times"],
        serde_json::json!(["2025-03-01T06:00:00+00:00", "2025-03-01T12:00:00+00:00"])
    );
    // Nothing changed, nothing ran.
    assert_eq!(shown(), before);
    assert!(setup.runs("report").is_empty());

    for (args, message) in [
        (
            &["--from", "2025-03-02", "--to", "2025-03-01"][..],
            "error: from: 2025-03-02T00:00:00+00:00 is after to (2025-03-01T00:00:00+00:00)",
        ),
        (
            &["--from", "2025-03-01", "--to", "2999-01-01"][..],
            "error: to: 2999-01-01T00:00:00+00:00 is in the future",
        ),
        (
            &["--from", "2020-01-01", "--to", "2025-01-01"][..],
            "error: backfill: 7309 fire times from 2020-01-01T00:00:00+00:00 to \
             2025-01-01T00:00:00+00:00, more than the 1000 one backfill may run",
        ),
        (
            &["--from", "someday", "--to", "2025-01-01"][..],
            "error: from:",
        ),
    ] {
        let mut full = vec!["jobs", "backfill", "report"];
        full.extend_from_slice(args);
        full.push("--dry-run");
        let output = setup.tempora(&full);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let output = setup.tempora(&[
        "jobs",
        "backfill",
        "nope",
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-02",
        "--dry-run",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("error: job \"nope\" not found"),
        "{stderr}"
    );
}

/// Each overlap policy in the daemon, on a command that runs 2.5 s and
/// fires every second: `skip` drops fire times, `buffer_one` runs one late
/// and drops the others, `buffer_all` runs every one late, one at a time,
/// `cancel_other` stops the running command (SIGTERM) for the newer one,
/// `allow_all` runs them at once. Checked from the history: which fire
/// times ran, when, and whether two runs of a job overlapped.
#[test]
fn each_overlap_policy_holds_in_the_daemon() {
    let policies = [
        "skip",
        "buffer_one",
        "buffer_all",
        "cancel_other",
        "allow_all",
    ];
    let mut config = TICK.to_owned();
    for policy in policies {
        config.push_str(&format!(
            "\n[[job]]\nid = \"{policy}\"\ncommand = [\"sleep\", \"2.5\"]\n\
             interval = {{ seconds = 1 }}\noverlap = \"{policy}\"\n"
        ));
    }
    let setup = Setup::new("overlap", &config);
    let mut daemon = setup.start();
    setup.wait_until("each policy met an overlap", || {
        setup.count("skip", "missed") >= 2
            && setup.count("buffer_one", "success") >= 2
            && setup.count("buffer_all", "success") >= 2
            && setup.count("cancel_other", "interrupted") >= 1
            && setup.count("allow_all", "success") >= 2
    });
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());

    // The runs of `id` that ended on their own (not at the shutdown),
    // oldest first.
    let ended = |id: &str| -> Vec<Value> {
        let mut runs: Vec<Value> = setup
            .runs(id)
            .into_iter()
            .filter(|run| {
                !run["error"]
                    .as_str()
                    .is_some_and(|error| error.contains("the scheduler shut down"))
            })
            .collect();
        runs.reverse();
        runs
    };
    let ran = |runs: &[Value]| -> Vec<(jiff::Timestamp, jiff::Timestamp)> {
        runs.iter()
            .filter(|run| !run["started"].is_null() && !run["finished"].is_null())
            .map(|run| (timestamp(&run["started"]), timestamp(&run["finished"])))
            .collect()
    };
    let overlapped = |spans: &[(jiff::Timestamp, jiff::Timestamp)]| {
        let mut spans = spans.to_vec();
        spans.sort();
        spans.windows(2).any(|pair| pair[1].0 < pair[0].1)
    };
    let late = |run: &Value| {
        timestamp(&run["started"]).duration_since(timestamp(&run["scheduled_time"]))
            >= jiff::SignedDuration::from_millis(900)
    };

    let skip = ended("skip");
    assert!(
        skip.iter().any(|run| run["status"] == "missed"),
        "{skip:#?}"
    );
    assert!(!overlapped(&ran(&skip)), "{skip:#?}");

    let one = ended("buffer_one");
    assert!(one.iter().any(|run| run["status"] == "missed"), "{one:#?}");
    assert!(
        one.iter()
            .any(|run| run["status"] == "success" && late(run)),
        "a buffered fire time runs late: {one:#?}"
    );
    assert!(!overlapped(&ran(&one)), "{one:#?}");

    let all = ended("buffer_all");
    assert!(!all.iter().any(|run| run["status"] == "missed"), "{all:#?}");
    assert!(all.iter().any(late), "{all:#?}");
    assert!(!overlapped(&ran(&all)), "{all:#?}");
    let starts: Vec<jiff::Timestamp> = all
        .iter()
        .filter(|run| !run["started"].is_null())
        .map(|run| timestamp(&run["started"]))
        .collect();
    assert!(
        starts.windows(2).all(|pair| pair[0] <= pair[1]),
        "in the order of their fire times: {all:#?}"
    );

    let cancel = ended("cancel_other");
    let cancelled: Vec<&Value> = cancel
        .iter()
        .filter(|run| run["status"] == "interrupted")
        .collect();
    assert!(!cancelled.is_empty(), "{cancel:#?}");
    for run in &cancelled {
        let error = run["error"].as_str().unwrap();
        assert!(
            error.starts_with("cancelled: overlap = \"cancel_other\": the fire time ")
                && error.contains("SIGTERM"),
            "{error}"
        );
    }
    assert!(!overlapped(&ran(&cancel)), "{cancel:#?}");

    let allow = ended("allow_all");
    assert!(
        !allow.iter().any(|run| run["status"] == "missed"),
        "{allow:#?}"
    );
    assert!(overlapped(&ran(&allow)), "runs at once: {allow:#?}");

    // Nothing is left waiting in the store but pending runs of the
    // policies that keep them.
    for id in setup.job_ids() {
        assert!(
            policies.contains(&id.as_str())
                || id == "tick"
                || id.starts_with("buffer_one@")
                || id.starts_with("buffer_all@")
                || id.starts_with("cancel_other@"),
            "{id}"
        );
    }
}

/// `jobs backfill` queues a past range's fire times in the store; the
/// running daemon runs each once, recorded with its scheduled time, one
/// after the other, and the job's schedule does not move.
#[test]
fn jobs_backfill_runs_each_fire_time_of_a_range_once() {
    let setup = Setup::new("backfill", TICK);
    setup.ok(&[
        "jobs",
        "add",
        "report",
        "--cron",
        "0 */6 * * *",
        "--",
        "echo",
        "report",
    ]);
    let next = setup.json(&["jobs", "show", "report"])["next_run_time"].clone();
    // Two days ago: inside the history's retention (its age counts from
    // the scheduled time), so that the records are still there to count.
    let day = support::in_seconds(-48 * 3600)[..10].to_owned();
    let (from, to) = (day.clone(), format!("{day} 18:00"));
    let mut daemon = setup.start();
    let queued = setup.ok(&["jobs", "backfill", "report", "--from", &from, "--to", &to]);
    assert_eq!(
        queued,
        format!("queued 4 fire time(s) of report from {day} 00:00:00 UTC to {day} 18:00:00 UTC\n")
    );
    setup.wait_until("the four backfilled fire times ran", || {
        setup.count("report", "success") == 4
    });
    let mut scheduled: Vec<String> = setup
        .runs("report")
        .iter()
        .map(|run| run["scheduled_time"].as_str().unwrap().to_owned())
        .collect();
    scheduled.sort();
    assert_eq!(
        scheduled,
        ["00", "06", "12", "18"].map(|hour| format!("{day}T{hour}:00:00+00:00"))
    );
    setup.wait_until("no pending run is left", || {
        setup.job_ids() == BTreeSet::from(["report".into(), "tick".into()])
    });
    assert_eq!(
        setup.json(&["jobs", "show", "report"])["next_run_time"],
        next
    );
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    assert_eq!(setup.count("report", "success"), 4, "none ran twice");
}

#[test]
fn a_failing_command_is_retried_until_it_succeeds() {
    // The command fails twice, then succeeds: a counter file counts its runs.
    let config = format!(
        "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
         [[job]]\nid = \"flaky\"\nworking_dir = \"{{DIR}}\"\n\
         shell = 'n=$(cat count 2>/dev/null || echo 0); n=$((n + 1)); echo $n > count; echo run $n; [ $n -ge 3 ]'\n\
         date = \"{}\"\nretry = {{ attempts = 5, delay = \"1s\", factor = 2 }}\n",
        support::in_seconds(1)
    );
    let setup = Setup::new("retries", &config);
    let mut daemon = setup.start();
    setup.wait_until("the third attempt succeeds", || {
        setup.count("flaky", "success") == 1
    });
    let runs = setup.runs("flaky");
    let attempts: Vec<(u64, &str)> = runs
        .iter()
        .map(|run| {
            (
                run["attempt"].as_u64().unwrap(),
                run["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [(3, "success"), (2, "error"), (1, "error")],
        "{runs:#?}"
    );
    assert!(
        runs.iter()
            .all(|run| run["scheduled_time"] == runs[0]["scheduled_time"]),
        "three attempts of one fire time: {runs:#?}"
    );
    assert_eq!(setup.lines("count"), ["3"], "the command ran three times");
    let table = setup.ok(&["history", "flaky"]);
    assert!(table.contains("success (attempt 3)"), "{table}");
    assert!(table.contains("error (attempt 2)"), "{table}");
    // The one-off job and its retries are done: nothing is left pending.
    setup.wait_until("nothing is left", || setup.job_ids().is_empty());
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
}

#[test]
fn a_job_failing_in_a_row_is_paused_with_its_reason_and_jobs_add_takes_retries() {
    let config = "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
         [[job]]\nid = \"broken\"\nshell = \"echo no disk; exit 3\"\n\
         interval = { seconds = 1 }\npause_after_failures = 2\n";
    let setup = Setup::new("pause-after-failures", config);

    // `jobs add` takes the same settings as flags, checked.
    let added = setup.ok(&[
        "jobs",
        "add",
        "upload",
        "--interval",
        "1h",
        "--retry-attempts",
        "4",
        "--retry-delay",
        "1m",
        "--retry-factor",
        "3",
        "--retry-jitter",
        "10%",
        "--retry-on",
        "75",
        "--pause-after-failures",
        "5",
        "--",
        "true",
    ]);
    assert!(added.starts_with("added upload"), "{added}");
    let shown = setup.json(&["jobs", "show", "upload"]);
    assert_eq!(
        shown["retry"],
        serde_json::json!({"attempts": 4, "delay": "1m", "factor": 3.0, "jitter": "10%", "retry_on": [75]}),
        "{shown}"
    );
    assert_eq!(shown["pause_after_failures"], 5, "{shown}");
    let refused = setup.tempora(&[
        "jobs",
        "add",
        "bad",
        "--interval",
        "1h",
        "--retry-attempts",
        "3",
        "--retry-jitter",
        "150%",
        "--",
        "true",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("retry.jitter: 150% is out of range 0%-100%"),
        "{stderr}"
    );

    let mut daemon = setup.start();
    setup.wait_until("broken is paused", || {
        let shown = setup.tempora(&["jobs", "show", "broken", "--json"]);
        shown.status.success()
            && serde_json::from_slice::<Value>(&shown.stdout).unwrap()["paused"] == true
    });
    assert_eq!(
        setup.count("broken", "error"),
        2,
        "paused after two failures"
    );
    let shown = setup.json(&["jobs", "show", "broken"]);
    let reason = shown["paused_reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("2 failed run(s) in a row") && reason.contains("exited with status 3"),
        "{reason}"
    );
    let table = setup.ok(&["jobs"]);
    assert!(table.contains("yes (failures)"), "{table}");
    assert!(table.contains(&format!("broken: {reason}")), "{table}");
    assert!(
        setup.log().contains("paused: its last 2 run(s) failed"),
        "{}",
        setup.log()
    );
    // The reason survives a restart; resuming clears it.
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    let mut daemon = setup.start();
    setup.wait_until("the daemon is up", || {
        setup
            .json(&["nodes"])
            .as_array()
            .is_some_and(|nodes| !nodes.is_empty())
    });
    let shown = setup.json(&["jobs", "show", "broken"]);
    assert_eq!(shown["paused_reason"].as_str(), Some(reason.as_str()));
    setup.ok(&["jobs", "resume", "broken"]);
    assert_eq!(
        setup.json(&["jobs", "show", "broken"])["paused_reason"],
        Value::Null
    );
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
}

#[test]
fn a_failing_job_posts_its_notice_to_the_files_webhook_and_jobs_add_takes_notify_flags() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let hook = runtime.block_on(tempora_testkit::notify::Receiver::start());
    let config = format!(
        "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
         [notify]\nwebhook = \"{}\"\nsecret = \"k\"\non = [\"failure\"]\n\n\
         [[job]]\nid = \"broken\"\nshell = \"echo no disk; exit 3\"\n\
         interval = {{ seconds = 1 }}\npause_after_failures = 1\n",
        hook.url
    );
    let setup = Setup::new("notify", &config);

    // `jobs add` takes the notify settings as flags, checked.
    let added = setup.ok(&[
        "jobs",
        "add",
        "upload",
        "--interval",
        "1h",
        "--notify-webhook",
        &hook.url,
        "--notify-on",
        "stale,recovered",
        "--expect-success-within",
        "26h",
        "--",
        "true",
    ]);
    assert!(added.starts_with("added upload"), "{added}");
    let shown = setup.ok(&["jobs", "show", "upload"]);
    assert!(shown.contains("stale, recovered to http://"), "{shown}");
    assert!(shown.contains("within 26h"), "{shown}");
    assert!(
        setup.job_ids().contains("upload@stale:webhook"),
        "its stale check is armed: {:?}",
        setup.job_ids()
    );
    for (flags, message) in [
        (
            &["--notify-webhook", "ftp://example.com"][..],
            "notify.webhook: \"ftp://example.com\" is not an http or https URL",
        ),
        (
            &[
                "--notify-webhook",
                "http://example.com",
                "--notify-on",
                "sometimes",
            ][..],
            "notify.on: \"sometimes\" is not \"failure\", \"missed\", \"stale\" or \"recovered\"",
        ),
        (
            &["--expect-success-within", "soon"][..],
            "expect_success_within: \"soon\" is not a duration",
        ),
    ] {
        let mut args = vec!["jobs", "add", "bad", "--interval", "1h"];
        args.extend(flags);
        args.extend(["--", "true"]);
        let refused = setup.tempora(&args);
        assert_eq!(refused.status.code(), Some(2), "{flags:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(message), "{flags:?}: {stderr}");
    }

    // The file's `[notify]` is every job's default: the failure is posted.
    let mut daemon = setup.start();
    runtime.block_on(hook.until("the failure notice", |hook| {
        !hook
            .notices(tempora::notify::NoticeKind::Failure)
            .is_empty()
    }));
    let notices = hook.notices(tempora::notify::NoticeKind::Failure);
    let notice = &notices[0];
    assert_eq!(notice["job"], "broken");
    assert_eq!(notice["exit_status"], 3);
    assert!(
        notice["output_tail"].as_str().unwrap().contains("no disk"),
        "{notice}"
    );
    let request = &hook.received()[0];
    assert!(
        request
            .headers
            .iter()
            .any(|(name, value)| name == "tempora-signature" && value.starts_with("sha256=")),
        "{request:?}"
    );
    // Its delivery is in the history, as the notice job's run.
    let id = notice["id"].as_str().unwrap().to_owned();
    setup.wait_until("the delivery is recorded", || {
        setup.count(&id, "success") == 1
    });
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    assert_eq!(
        hook.notices(tempora::notify::NoticeKind::Failure).len(),
        1,
        "paused after one failure: one notice"
    );
}
