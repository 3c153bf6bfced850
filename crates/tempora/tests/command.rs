//! The built-in `command` task, run through a real scheduler (host-driven,
//! on a manual clock, on the default thread pool) and awaited through its
//! events:
//!
//! * exit 0 returns the exit status, the tails of both outputs (the last
//!   4 KiB) and the duration;
//! * a non-zero exit, a signal, a timeout (which kills the whole process
//!   group, grandchildren included), a program that cannot start and a
//!   working directory that does not exist end the run with an error that
//!   names the program, says what happened and ends with its stderr;
//! * `env`, `clear_env` and `working_dir` reach the program;
//! * the run's context reaches it as `TEMPORA_*` variables, over `env`;
//! * bad arguments (an unknown field, an empty program, a timeout that is
//!   not positive) are refused when the job is added, as field `args`.
//!
//! The programs are the POSIX shell and its utilities, so this runs on unix.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempora::clock::ManualClock;
use tempora::event::{Event, EventKind, EventMask};
use tempora::jiff::SignedDuration;
use tempora::job::JobBuilder;
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::task::{COMMAND, CommandArgs, CommandOutput};
use tempora::trigger::DateTrigger;

/// How long a test waits for a run; never used up when all is well.
const PATIENCE: Duration = Duration::from_secs(30);

struct Env {
    clock: ManualClock,
    scheduler: HostScheduler,
    events: Receiver<Event>,
    early: RefCell<HashMap<String, Event>>,
}

fn env() -> Env {
    let clock = ManualClock::new("2026-01-01T00:00:00Z".parse().unwrap());
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-c")
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
    Env {
        clock,
        scheduler,
        events,
        early: RefCell::default(),
    }
}

impl Env {
    /// Adds job `id` running the command `args` now.
    fn add(&self, id: &str, args: &Value) -> tempora::Result<()> {
        let when = DateTrigger::new(self.clock.now());
        self.scheduler
            .add_job(JobBuilder::new(COMMAND, when).id(id).args(args))
            .map(drop)
    }

    #[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
    /// Runs the command `args` as job `id` and waits for its result.
    fn run(&self, id: &str, args: &CommandArgs) -> Event {
        self.add(id, &serde_json::to_value(args).unwrap()).unwrap();
        self.scheduler.run_pending(self.clock.now());
        self.result(id)
    }

    #[allow(clippy::disallowed_methods)] // real time, measured: a patience limit
    /// The result of job `id`'s run.
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

    fn output(&self, id: &str, args: &CommandArgs) -> CommandOutput {
        let event = self.run(id, args);
        assert_eq!(event.kind, EventKind::JobExecuted, "{event}");
        serde_json::from_value(event.return_value.unwrap()).unwrap()
    }

    fn error(&self, id: &str, args: &CommandArgs) -> String {
        let event = self.run(id, args);
        assert_eq!(event.kind, EventKind::JobError, "{event:?}");
        event.error.unwrap()
    }
}

fn sh(script: &str) -> CommandArgs {
    CommandArgs::new("sh").arg("-c").arg(script)
}

/// A directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tempora-command-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn exit_0_returns_the_status_and_the_tails_of_both_outputs() {
    let env = env();
    let output = env.output("echo", &sh("echo out; echo err >&2"));
    assert_eq!(output.exit_status, 0);
    assert_eq!(output.stdout_tail, "out\n");
    assert_eq!(output.stderr_tail, "err\n");
    let quick = env.output("true", &CommandArgs::new("true"));
    assert_eq!(quick.stdout_tail, "");
    assert!(quick.duration_ms < 30_000);

    // 10000 bytes of "a" then "END": the tail is the last 4 KiB.
    let long = env.output(
        "long",
        &sh("i=0; while [ $i -lt 100 ]; do printf '%0100d' 0 | tr 0 a; i=$((i+1)); done; echo END"),
    );
    assert_eq!(long.stdout_tail.len(), CommandOutput::TAIL_BYTES);
    assert!(long.stdout_tail.ends_with("aaaaEND\n"));
    env.scheduler.shutdown(true).unwrap();
}

#[test]
fn a_non_zero_exit_is_an_error_with_the_stderr_tail() {
    let env = env();
    assert_eq!(
        env.error("false", &CommandArgs::new("false")),
        "command \"false\" exited with status 1"
    );
    assert_eq!(
        env.error("three", &sh("echo working; echo 'disk full' >&2; exit 3")),
        "command \"sh\" exited with status 3; stderr: disk full"
    );
    env.scheduler.shutdown(true).unwrap();
}

#[test]
fn a_signal_is_an_error_naming_it() {
    let env = env();
    assert_eq!(
        env.error("term", &sh("kill -TERM $$")),
        "command \"sh\" was killed by signal 15 (SIGTERM)"
    );
    env.scheduler.shutdown(true).unwrap();
}

/// True once process `pid` is gone or a zombie.
fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

#[allow(clippy::disallowed_methods)] // real time, measured: a run's own duration or a patience limit
#[test]
fn a_timeout_kills_the_whole_process_group() {
    let env = env();
    let dir = scratch("timeout");
    let pid_file = dir.join("grandchild.pid");
    // The shell starts a grandchild that would sleep for 2 minutes (and holds
    // the output pipe), then waits for it.
    let script = format!("sleep 120 & echo $! > '{}'; wait", pid_file.display());
    let started = Instant::now();
    let error = env.error(
        "slow",
        &sh(&script).timeout(SignedDuration::from_millis(200)),
    );
    assert_eq!(error, "command \"sh\" timed out after 200ms and was killed");
    // Had the grandchild lived, its pipe would have held the run open.
    assert!(started.elapsed() < Duration::from_secs(25));
    let grandchild: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    if cfg!(target_os = "linux") {
        // It died with its group; give the kernel a moment to say so.
        let deadline = Instant::now() + PATIENCE;
        while !is_dead(grandchild) {
            assert!(
                Instant::now() < deadline,
                "grandchild {grandchild} outlived the timeout"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    env.scheduler.shutdown(true).unwrap();
}

#[test]
fn env_and_working_dir_reach_the_program() {
    let env = env();
    let dir = scratch("cwd");
    let args = sh("echo \"$GREETING\"; pwd -P")
        .env("GREETING", "hello there")
        .working_dir(&dir);
    let output = env.output("env", &args);
    let expected = format!("hello there\n{}\n", dir.canonicalize().unwrap().display());
    assert_eq!(output.stdout_tail, expected);

    // With clear_env, only the given variables (and the run's context).
    let only = CommandArgs::new("/usr/bin/env")
        .env("ONLY", "1")
        .clear_env(true);
    let stdout = env.output("clear_env", &only).stdout_tail;
    let given: Vec<&str> = stdout
        .lines()
        .filter(|line| !line.starts_with("TEMPORA_"))
        .collect();
    assert_eq!(given, ["ONLY=1"]);
    assert!(stdout.contains("TEMPORA_JOB_ID=clear_env\n"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
    env.scheduler.shutdown(true).unwrap();
}

/// The variables of `file`, a program's `env` output, whose names start
/// with `TEMPORA_`.
fn tempora_vars(file: &std::path::Path) -> HashMap<String, String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(name, _)| name.starts_with("TEMPORA_"))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

#[test]
fn the_program_gets_its_runs_context_in_its_environment() {
    let env = env();
    let dir = scratch("context");
    let file = dir.join("env");
    // A late run (the clock is past the fire time): the logical time is
    // the fire time. A variable set in `env` is replaced by the run's.
    let fire = env.clock.now();
    env.clock.advance(SignedDuration::from_secs(42));
    let args = sh("env > \"$1\"")
        .arg("sh")
        .arg(file.to_str().unwrap())
        .env("TEMPORA_JOB_ID", "set by hand")
        .env("OTHER", "kept");
    let when = DateTrigger::new(fire);
    env.scheduler
        .add_job(
            JobBuilder::new(COMMAND, when)
                .id("ctx")
                .args(&args)
                .next_run_time(fire),
        )
        .unwrap();
    env.scheduler.run_pending(env.clock.now());
    let event = env.result("ctx");
    assert_eq!(event.kind, EventKind::JobExecuted, "{event}");
    let first = tempora_vars(&file);
    assert_eq!(first["TEMPORA_JOB_ID"], "ctx");
    assert_eq!(first["TEMPORA_SCHEDULED_TIME"], "2026-01-01T00:00:00Z");
    assert_eq!(first["TEMPORA_ATTEMPT"], "1");
    assert_eq!(first["TEMPORA_NODE"], "node-c");
    let run_id = &first["TEMPORA_RUN_ID"];
    assert_eq!(run_id.len(), 32, "{run_id}");
    assert!(run_id.chars().all(|c| c.is_ascii_hexdigit()), "{run_id}");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("OTHER=kept\n")
    );

    let _ = std::fs::remove_dir_all(&dir);
    env.scheduler.shutdown(true).unwrap();
}

#[test]
fn a_program_that_cannot_start_is_an_error() {
    let env = env();
    let error = env.error("nope", &CommandArgs::new("tempora-no-such-program"));
    assert!(
        error.starts_with(
            "command \"tempora-no-such-program\": cannot start: No such file or directory"
        ),
        "{error}"
    );
    let error = env.error(
        "nowhere",
        &CommandArgs::new("true").working_dir("/tempora/no/such/dir"),
    );
    assert_eq!(
        error,
        "command \"true\": working_dir: \"/tempora/no/such/dir\" is not a directory"
    );
    env.scheduler.shutdown(true).unwrap();
}

#[test]
fn bad_arguments_are_refused_when_the_job_is_added() {
    let env = env();
    let cases = [
        (
            json!({"program": "ls", "shell": true}),
            "unknown field `shell`",
        ),
        (json!({"args": ["-l"]}), "missing field `program`"),
        (json!({"program": ""}), "program: must not be empty"),
        (
            json!({"program": "ls", "timeout": "0s"}),
            "timeout: 0s is not positive",
        ),
        (
            json!({"program": "ls", "timeout": "-5s"}),
            "timeout: -5s is not positive",
        ),
        (json!({"program": "ls", "timeout": "soon"}), "soon"),
        (
            json!({"program": "ls", "env": {"A=B": "1"}}),
            "env: \"A=B\" is not a variable name",
        ),
        (json!("ls"), "expected struct"),
    ];
    for (n, (args, expected)) in cases.into_iter().enumerate() {
        let error = env.add(&format!("bad_{n}"), &args).unwrap_err();
        assert_eq!(error.field(), Some("args"), "{error}");
        let message = error.to_string();
        assert!(
            message.starts_with("args: ") && message.contains(expected),
            "{args}: {message}"
        );
    }
    assert!(env.scheduler.list_jobs(None).unwrap().is_empty());
    // Every field, as JSON, is accepted.
    env.add(
        "full",
        &json!({
            "program": "true",
            "args": [],
            "env": {"A": "1"},
            "clear_env": false,
            "working_dir": "/",
            "timeout": "PT5S",
        }),
    )
    .unwrap();
    env.scheduler.shutdown(true).unwrap();
}
