//! What the tests of the daemon share (`daemon.rs`, `run.rs`, `chaos.rs`
//! and the fault catalogue): a daemon on a temporary configuration, the
//! `tempora` commands against it, signals, and polling with a deadline.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempora::clock::ManualClock;
use tempora::scheduler::SchedulerBuilder;
use tempora::store::MemoryStore;
use tempora::task::{JobContext, Tasks};
use tempora_testkit::servers::PrivatePostgres;

/// How long a check polls before it fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A temporary directory with a configuration file in it, and the
/// daemons started on it.
pub struct Setup {
    pub dir: PathBuf,
}

impl Setup {
    /// A directory named for the test binary and the test, holding
    /// `config` as `tempora.toml` (see [`Setup::write_config`]).
    pub fn new(name: &str, config: &str) -> Setup {
        let dir = std::env::temp_dir().join(format!(
            "tempora-{}-{}-{name}",
            env!("CARGO_CRATE_NAME"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let setup = Setup { dir };
        setup.write_config(config);
        setup
    }

    pub fn config(&self) -> PathBuf {
        self.dir.join("tempora.toml")
    }

    /// Replaces the configuration file with `config`, in which `{DIR}`
    /// stands for the directory (a job's `working_dir`).
    pub fn write_config(&self, config: &str) {
        let config = config.replace("{DIR}", &self.dir.display().to_string());
        std::fs::write(self.config(), config).unwrap();
    }

    /// A path in the directory (for files the jobs write).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Starts `tempora run` on the configuration; its log (JSON lines) is
    /// appended to `daemon.log`.
    pub fn start(&self) -> Child {
        self.start_with(&[])
    }

    /// Starts `tempora run` with `env` added to its environment.
    pub fn start_with(&self, env: &[(&str, &str)]) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("daemon.log"))
            .unwrap();
        Command::new(env!("CARGO_BIN_EXE_tempora"))
            .args(["run", "--log-format", "json", "--config"])
            .arg(self.config())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    }

    /// Everything the daemons logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default()
    }

    /// Runs `tempora COMMAND --config FILE ARGS`.
    pub fn tempora(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tempora"))
            .arg(args[0])
            .arg("--config")
            .arg(self.config())
            .args(&args[1..])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.tempora(args);
        assert!(
            output.status.success(),
            "tempora {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a command with `--json`; returns what it printed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).unwrap()
    }

    /// Every recorded run of job `id`, newest first.
    pub fn runs(&self, id: &str) -> Vec<Value> {
        self.json(&["history", id, "--limit", "100000"])
            .as_array()
            .unwrap()
            .clone()
    }

    /// How many runs of `id` the history holds with `status`.
    pub fn count(&self, id: &str, status: &str) -> usize {
        self.runs(id)
            .iter()
            .filter(|run| run["status"] == status)
            .count()
    }

    /// The ids of the jobs the store holds.
    pub fn job_ids(&self) -> BTreeSet<String> {
        self.json(&["jobs"])
            .as_array()
            .unwrap()
            .iter()
            .map(|job| job["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The lines of a file a job appends to (one per execution): what
    /// actually ran. Missing file: none.
    pub fn lines(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.path(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits until `done` holds, polling; fails naming `what` after the
    /// deadline, with the daemons' log.
    pub fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < DEADLINE,
                "not within {DEADLINE:?}: {what}\n--- daemon log ---\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Sends signal `name` (`TERM`, `HUP`, `KILL`…) to `child`.
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for `child` to exit, at most the deadline.
pub fn wait_exit(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < DEADLINE, "the daemon did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// True while `child` has not exited.
pub fn is_running(child: &mut Child) -> bool {
    child.try_wait().unwrap().is_none()
}

/// The `[scheduler]` table of a daemon on a private PostgreSQL at `url`
/// that a test takes away: a 3 s lease, so that running records expire
/// during the outage, and a 5 s shutdown.
pub fn outage_scheduler(url: &str) -> String {
    format!("[scheduler]\nstore = \"{url}\"\nlease = \"3s\"\nshutdown_timeout = \"5s\"\n")
}

/// Stops `server` and keeps it down for `outage`, checking all the while
/// that `daemon` stays up.
pub fn outage(server: &mut PrivatePostgres, daemon: &mut Child, outage: Duration) {
    server.stop();
    let down = Instant::now();
    while down.elapsed() < outage {
        assert!(
            is_running(daemon),
            "the daemon exited while the store was down"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Kills `child` (SIGKILL) and reaps it; for the end of a test.
pub fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

impl Setup {
    /// Runs `tempora COMMAND --store STORE ARGS --json` without the
    /// configuration file (for when it has a mistake), in a directory with
    /// no `tempora.toml`; returns what it printed.
    pub fn json_on(&self, store: &str, args: &[&str]) -> Value {
        let output = Command::new(env!("CARGO_BIN_EXE_tempora"))
            .arg(args[0])
            .args(["--store", store])
            .args(&args[1..])
            .arg("--json")
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "tempora {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

/// A daemon killed (SIGKILL) and reaped when dropped, so that a test that
/// fails leaves none running; it derefs to its [`Child`] for [`signal`],
/// [`wait_exit`] and [`is_running`].
pub struct Daemon(pub Child);

impl std::ops::Deref for Daemon {
    type Target = Child;

    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Daemon {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A job `tick` that appends a line to `ticks` in the directory every
/// second, with an hour's misfire grace time: the daemon goes on while
/// `setup.lines("ticks")` grows.
pub const TICK_JOB: &str = r#"
[[job]]
id = "tick"
shell = "echo tick >> ticks"
working_dir = "{DIR}"
interval = { seconds = 1 }
misfire_grace_time = "1h"
"#;

/// A scheduler on `clock` for the tests that need no daemon: in UTC, as
/// node `node-a`, with `tasks` and a memory store that keeps the run
/// history.
pub fn on_manual_clock(clock: &ManualClock, tasks: Tasks) -> SchedulerBuilder {
    SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-a")
        .tasks(tasks)
        .store("default", MemoryStore::with_history())
}

/// Registers task `name`, which counts its executions, in `tasks`; the
/// count is what it returns.
pub fn counting_task(tasks: &Tasks, name: &str) -> Arc<AtomicUsize> {
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    tasks.register(name, move |_: JobContext, _: ()| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok::<_, String>(())
    });
    ran
}

/// An RFC 3339 instant `seconds` from now (for a `date` job or a
/// `start_date`): the tests run on the real clock.
#[allow(clippy::disallowed_methods)]
pub fn in_seconds(seconds: i64) -> String {
    jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap()
        .to_string()
}
