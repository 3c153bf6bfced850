//! The built-in `command` task: runs a program, as a crontab line does.
//!
//! It lives with the tasks, not the executors, because it *is* a task: a
//! registered name with typed arguments that any executor runs (including a
//! process pool's workers) and any store keeps; the daemon's jobs are jobs
//! of this task.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use super::{JobContext, RunDetail, RunError, identity};
use crate::clock::{self, Clock, SystemClock};
use crate::sync::lock;

/// How long a program whose run was cancelled alone (not by a shutdown)
/// has to exit after `SIGTERM` before its process group gets `SIGKILL`:
/// ten seconds, as `docker stop` gives.
pub const CANCEL_GRACE: SignedDuration = SignedDuration::from_secs(10);

/// The name of the built-in task that runs a program; its arguments are
/// [`CommandArgs`] and it returns a [`CommandOutput`]. Every
/// [`Tasks::new`](super::Tasks::new) registry holds it.
///
/// The program runs directly, without a shell, with its standard input
/// closed, in a process group of its own (on unix), with the scheduler's
/// environment (all of it, or the part [`CommandArgs::inherit_env`] lets
/// through) plus [`CommandArgs::env`]. The run succeeds when the program
/// exits with status 0. It fails, with an error that names the program,
/// says what happened and ends with the last of its standard error, when
/// the program cannot start, exits with another status, is killed by a
/// signal or runs past its [`CommandArgs::timeout`]; at the timeout (and
/// when the scheduler shuts down without waiting) its whole process group
/// is killed, so what it started dies with it. A shutdown with a time limit
/// sends the group `SIGTERM` first, and kills it at the limit. A job's own
/// [`timeout`](crate::job::JobBuilder::timeout) kills the group the same
/// way: whichever of the two limits comes first applies. A run cancelled
/// alone (its job's overlap policy `cancel_other` replaced it) sends the
/// group `SIGTERM`, and `SIGKILL` after [`CANCEL_GRACE`] if it is still
/// there.
///
/// The program also gets its run's context in its environment, so that a
/// script can log which run it is, or do its work once per fire time
/// (a retry has the same job id and scheduled time):
///
/// | variable | value |
/// |---|---|
/// | `TEMPORA_JOB_ID` | the job's id ([`JobContext::job_id`]) |
/// | `TEMPORA_RUN_ID` | the run's own id ([`JobContext::run_id`]) |
/// | `TEMPORA_SCHEDULED_TIME` | the run's logical time, RFC 3339 in UTC, e.g. `2026-01-01T09:00:00Z` ([`JobContext::scheduled_time`]) |
/// | `TEMPORA_ATTEMPT` | `1` for a first run, more for a retry ([`JobContext::attempt`]) |
/// | `TEMPORA_NODE` | the scheduler's node id ([`JobContext::node`]) |
///
/// They are set last, over the inherited environment and over
/// [`CommandArgs::env`] (a variable of the same name set there is
/// replaced, since a stale value would make a script act on the wrong
/// run), and even with [`CommandArgs::clear_env`].
///
/// Each line of its output is logged with the job's id, up to the first
/// and the last 100 lines of each stream per run (a line says how many were
/// left out between them). The run ends when the program exits: output that
/// processes it left behind write is read for a second more, then the
/// pipes are closed.
///
/// Its run history keeps, on success and on failure alike, the exit status
/// ([`RunRecord::exit_status`](crate::history::RunRecord::exit_status)) and
/// the tail of standard output then standard error
/// ([`RunRecord::output`](crate::history::RunRecord::output)); a run past
/// its timeout is recorded as
/// [`RunStatus::Timeout`](crate::history::RunStatus::Timeout).
///
/// ```
/// use tempora::clock::ManualClock;
/// use tempora::event::EventMask;
/// use tempora::job::JobBuilder;
/// use tempora::scheduler::SchedulerBuilder;
/// use tempora::task::{COMMAND, CommandArgs, CommandOutput};
/// use tempora::trigger::DateTrigger;
///
/// let clock = ManualClock::new("2026-01-01T00:00:00Z".parse()?);
/// let scheduler = SchedulerBuilder::new().clock(clock.clone()).host_driven()?;
/// let (sender, receiver) = std::sync::mpsc::channel();
/// scheduler.listeners().add(EventMask::JOB_EXECUTED | EventMask::JOB_ERROR, move |event| {
///     let _ = sender.send(event.clone());
/// });
/// let greet = CommandArgs::new("echo").arg("hello");
/// let when = DateTrigger::new(clock.now());
/// scheduler.add_job(JobBuilder::new(COMMAND, when).id("greet").args(&greet))?;
/// scheduler.start()?;
/// scheduler.run_pending(clock.now());
///
/// let event = receiver.recv_timeout(std::time::Duration::from_secs(30))?;
/// let output: CommandOutput = serde_json::from_value(event.return_value.unwrap())?;
/// assert_eq!(output.exit_status, 0);
/// assert_eq!(output.stdout_tail, "hello\n");
/// scheduler.shutdown(true)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const COMMAND: &str = "command";

/// The arguments of the [`COMMAND`] task. As JSON, only `program` is
/// required, and a field it does not know is refused (when the job is
/// added, as field `args`):
///
/// ```json
/// {
///   "program": "pg_dump",
///   "args": ["--format=custom", "--file=/backups/app.dump", "app"],
///   "env": {"PGHOST": "db.internal"},
///   "clear_env": false,
///   "inherit_env": ["PGPASSWORD"],
///   "working_dir": "/backups",
///   "timeout": "30m"
/// }
/// ```
///
/// ```
/// use tempora::jiff::SignedDuration;
/// use tempora::task::{COMMAND, CommandArgs, Tasks};
///
/// let args = CommandArgs::new("pg_dump")
///     .args(["--format=custom", "app"])
///     .env("PGHOST", "db.internal")
///     .working_dir("/backups")
///     .timeout(SignedDuration::from_mins(30));
/// let json = serde_json::to_value(&args)?;
/// assert_eq!(json["timeout"], "30m");
/// assert_eq!(serde_json::from_value::<CommandArgs>(json)?, args);
///
/// let tasks = Tasks::new();
/// let error = tasks.check_args(COMMAND, &serde_json::json!({"program": "ls", "shell": true})).unwrap_err();
/// assert_eq!(error.field(), Some("args"));
/// assert!(error.to_string().contains("unknown field `shell`"));
/// let error = tasks.check_args(COMMAND, &serde_json::json!({"program": "ls", "timeout": "0s"})).unwrap_err();
/// assert!(error.to_string().ends_with("timeout: 0s is not positive"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCommandArgs")]
#[non_exhaustive]
pub struct CommandArgs {
    /// The program: a path, or a name looked up in `PATH`. It runs
    /// directly, not through a shell: to use a shell's features, run
    /// `sh` with `args` `["-c", "..."]`. Not empty.
    pub program: String,
    /// Its arguments (default: none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment variables to set for it, over the scheduler's own
    /// (default: none). Names are not empty and hold no `=`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Start from an empty environment instead of the scheduler's, so that
    /// the program sees only `env` (default: false).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub clear_env: bool,
    /// Which of the scheduler's own environment variables the program sees
    /// (default [`InheritEnv::All`]); `env` is set over them. As JSON:
    /// `true` (all), `false` (the base ones, [`BASE_ENV`]) or a list of
    /// names (the base ones and these). Ignored with `clear_env`.
    #[serde(skip_serializing_if = "InheritEnv::is_all")]
    pub inherit_env: InheritEnv,
    /// The directory it runs in (default: the scheduler's). It must exist
    /// when the run starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<PathBuf>,
    /// How long it may run before its process group is killed and the run
    /// fails (default: no limit), in jiff's friendly format (`"90s"`,
    /// `"1h 30m"`) or ISO 8601 (`"PT90S"`). Positive. It is measured on the
    /// real clock: a program takes real time, whatever the scheduler's
    /// clock says.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "jiff::fmt::serde::duration::friendly::compact::optional"
    )]
    pub timeout: Option<SignedDuration>,
    /// The user it runs as (a name or a numeric id; default: the
    /// scheduler's), with that user's groups, and `HOME`, `USER`, `LOGNAME`
    /// and `SHELL` from its account (set before [`CommandArgs::env`]); it
    /// runs in the user's home unless `working_dir` says otherwise (`/`
    /// when the home does not exist). Only a scheduler running as root may
    /// run a program as another user: otherwise the run fails with an
    /// error naming `user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The group it runs as (a name or a numeric id; default: the user's
    /// primary group, or the scheduler's). Needs root, as `user` does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Its umask (default: the scheduler's); as JSON an octal string,
    /// `"027"`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_umask"
    )]
    pub umask: Option<u32>,
    /// A file of `NAME=value` lines read when each run starts (so secrets
    /// need not sit in the job), set over the inherited environment and
    /// under [`CommandArgs::env`]: `#` comments, blank lines, `export ` and
    /// quotes as systemd's `EnvironmentFile=` takes them, no expansion. A
    /// file that cannot be read fails the run, naming `env_file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env_file: Option<PathBuf>,
}

fn serialize_umask<S: serde::Serializer>(
    umask: &Option<u32>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match umask {
        Some(mask) => serializer.serialize_str(&format!("{mask:03o}")),
        None => serializer.serialize_none(),
    }
}

/// The JSON form of [`CommandArgs`], checked into it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommandArgs {
    program: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    clear_env: bool,
    #[serde(default)]
    inherit_env: InheritEnv,
    #[serde(default)]
    working_dir: Option<PathBuf>,
    #[serde(default)]
    timeout: Option<SignedDuration>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    umask: Option<String>,
    #[serde(default)]
    env_file: Option<PathBuf>,
}

impl TryFrom<RawCommandArgs> for CommandArgs {
    type Error = String;

    fn try_from(raw: RawCommandArgs) -> Result<CommandArgs, String> {
        if raw.program.is_empty() {
            return Err("program: must not be empty".to_owned());
        }
        if raw.program.contains('\0') {
            return Err(format!("program: {:?} holds a NUL byte", raw.program));
        }
        for name in raw.env.keys() {
            if name.is_empty() || name.contains(['=', '\0']) {
                return Err(format!(
                    "env: {name:?} is not a variable name: it must not be empty or hold '=' or NUL"
                ));
            }
        }
        if let InheritEnv::Base(names) = &raw.inherit_env {
            for name in names {
                if name.is_empty() || name.contains(['=', '\0']) {
                    return Err(format!(
                        "inherit_env: {name:?} is not a variable name: it must not be empty or hold '=' or NUL"
                    ));
                }
            }
        }
        if let Some(timeout) = raw.timeout
            && timeout <= SignedDuration::ZERO
        {
            use jiff::fmt::friendly::{Designator, Direction, SpanPrinter};
            let printer = SpanPrinter::new()
                .designator(Designator::Compact)
                .direction(Direction::Sign);
            return Err(format!(
                "timeout: {} is not positive",
                printer.duration_to_string(&timeout)
            ));
        }
        for (field, value) in [("user", &raw.user), ("group", &raw.group)] {
            if let Some(value) = value
                && (value.is_empty() || value.contains('\0'))
            {
                return Err(format!("{field}: {value:?} is not a name or an id"));
            }
        }
        let umask = match &raw.umask {
            Some(text) => Some(super::identity::parse_umask(text)?),
            None => None,
        };
        Ok(CommandArgs {
            user: raw.user,
            group: raw.group,
            umask,
            env_file: raw.env_file,
            program: raw.program,
            args: raw.args,
            env: raw.env,
            clear_env: raw.clear_env,
            inherit_env: raw.inherit_env,
            working_dir: raw.working_dir,
            timeout: raw.timeout,
        })
    }
}

impl CommandArgs {
    /// Runs `program` with no arguments, no time limit, in the scheduler's
    /// directory and environment.
    pub fn new(program: impl Into<String>) -> CommandArgs {
        CommandArgs {
            program: program.into(),
            args: Vec::new(),
            env: BTreeMap::new(),
            clear_env: false,
            inherit_env: InheritEnv::All,
            working_dir: None,
            timeout: None,
            user: None,
            group: None,
            umask: None,
            env_file: None,
        }
    }

    /// Runs the program as `user` (a name or a numeric id); see
    /// [`CommandArgs::user`](#structfield.user).
    pub fn user(mut self, user: impl Into<String>) -> CommandArgs {
        self.user = Some(user.into());
        self
    }

    /// Runs the program in `group` (a name or a numeric id).
    pub fn group(mut self, group: impl Into<String>) -> CommandArgs {
        self.group = Some(group.into());
        self
    }

    /// Runs the program with `umask` (e.g. `0o027`).
    pub fn umask(mut self, umask: u32) -> CommandArgs {
        self.umask = Some(umask & 0o777);
        self
    }

    /// Reads variables from `path` when each run starts.
    pub fn env_file(mut self, path: impl Into<PathBuf>) -> CommandArgs {
        self.env_file = Some(path.into());
        self
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> CommandArgs {
        self.args.push(arg.into());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> CommandArgs
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the program.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> CommandArgs {
        self.env.insert(name.into(), value.into());
        self
    }

    /// Starts from an empty environment: the program sees only
    /// [`CommandArgs::env`].
    pub fn clear_env(mut self, clear: bool) -> CommandArgs {
        self.clear_env = clear;
        self
    }

    /// Which of the scheduler's environment variables the program sees;
    /// see [`InheritEnv`].
    pub fn inherit_env(mut self, inherit: InheritEnv) -> CommandArgs {
        self.inherit_env = inherit;
        self
    }

    /// Runs the program in `dir`.
    pub fn working_dir(mut self, dir: impl Into<PathBuf>) -> CommandArgs {
        self.working_dir = Some(dir.into());
        self
    }

    /// Kills the program (its whole process group) after `timeout`.
    pub fn timeout(mut self, timeout: SignedDuration) -> CommandArgs {
        self.timeout = Some(timeout);
        self
    }
}

/// The environment variable that marks a process as a worker of a process
/// pool; [`serve_process_worker`](crate::executor::serve_process_worker)
/// serves when it is set. It is one of the variables a program never
/// sees: the built-in [`COMMAND`] task removes it from the programs it
/// starts.
///
/// A task of your own that starts *this same program* again from a worker
/// process should remove it from the child's environment
/// ([`Command::env_remove`](std::process::Command::env_remove)), or the
/// child serves runs instead of doing its work.
///
/// ```
/// assert_eq!(tempora::executor::PROCESS_WORKER_ENV, "TEMPORA_PROCESS_WORKER");
/// ```
pub const PROCESS_WORKER_ENV: &str = "TEMPORA_PROCESS_WORKER";

/// The variables of the scheduler's environment a program always sees
/// under [`InheritEnv::Base`]: what a login gives and programs need to find
/// programs, files and the locale, and nothing that usually holds a
/// secret. Every `LC_*` locale variable is kept too.
pub const BASE_ENV: [&str; 9] = [
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR",
];

/// Which of the scheduler's own environment variables a program started
/// by the [`COMMAND`] task sees ([`CommandArgs::inherit_env`]). A scheduler
/// started with a database password in its environment (`PGPASSWORD`, …)
/// passes it on to every program under [`InheritEnv::All`]; under
/// [`InheritEnv::Base`] only the base variables ([`BASE_ENV`]) and the
/// names a job lists reach it. The `tempora` daemon gives its jobs
/// `Base` unless a job asks for more.
///
/// ```
/// use tempora::task::{CommandArgs, InheritEnv};
///
/// let args = CommandArgs::new("psql").inherit_env(InheritEnv::Base(vec!["PGPASSWORD".into()]));
/// let json = serde_json::to_value(&args)?;
/// assert_eq!(json["inherit_env"], serde_json::json!(["PGPASSWORD"]));
/// assert_eq!(serde_json::from_value::<CommandArgs>(json)?, args);
///
/// // Written before the field existed: everything, as then.
/// let old: CommandArgs = serde_json::from_value(serde_json::json!({"program": "ls"}))?;
/// assert_eq!(old.inherit_env, InheritEnv::All);
/// let base: CommandArgs = serde_json::from_value(serde_json::json!({"program": "ls", "inherit_env": false}))?;
/// assert_eq!(base.inherit_env, InheritEnv::Base(vec![]));
/// assert!(base.inherit_env.passes("PATH") && base.inherit_env.passes("LC_TIME"));
/// assert!(!base.inherit_env.passes("PGPASSWORD"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InheritEnv {
    /// All of them (the default: a library's program sees what its
    /// scheduler sees, as a child process does).
    #[default]
    All,
    /// The base variables ([`BASE_ENV`], `LC_*`) and these names.
    Base(Vec<String>),
}

impl InheritEnv {
    /// True for [`InheritEnv::All`].
    pub fn is_all(&self) -> bool {
        matches!(self, InheritEnv::All)
    }

    /// True when the variable `name` of the scheduler's environment is
    /// passed on.
    pub fn passes(&self, name: &str) -> bool {
        match self {
            InheritEnv::All => true,
            InheritEnv::Base(names) => {
                BASE_ENV.contains(&name)
                    || name.starts_with("LC_")
                    || names.iter().any(|listed| listed == name)
            }
        }
    }
}

impl Serialize for InheritEnv {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            InheritEnv::All => serializer.serialize_bool(true),
            InheritEnv::Base(names) if names.is_empty() => serializer.serialize_bool(false),
            InheritEnv::Base(names) => names.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for InheritEnv {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            All(bool),
            Names(Vec<String>),
        }
        match Given::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom(
                "inherit_env: give true (all), false (the base variables) or a list of variable names",
            )
        })? {
            Given::All(true) => Ok(InheritEnv::All),
            Given::All(false) => Ok(InheritEnv::Base(Vec::new())),
            Given::Names(names) => Ok(InheritEnv::Base(names)),
        }
    }
}

/// What the [`COMMAND`] task returns when the program exits with status 0:
/// the run's return value (in [`Event::return_value`](crate::event::Event)
/// as JSON).
///
/// ```
/// use tempora::task::CommandOutput;
///
/// let output: CommandOutput = serde_json::from_value(serde_json::json!({
///     "exit_status": 0, "stdout_tail": "done\n", "stderr_tail": "", "duration_ms": 12,
/// }))?;
/// assert_eq!(output.stdout_tail, "done\n");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommandOutput {
    /// The exit status: 0.
    pub exit_status: i32,
    /// The last [`CommandOutput::TAIL_BYTES`] bytes of its standard output
    /// (invalid UTF-8 replaced).
    pub stdout_tail: String,
    /// The last [`CommandOutput::TAIL_BYTES`] bytes of its standard error.
    pub stderr_tail: String,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
}

impl CommandOutput {
    /// How much of the end of each output stream is kept: 4 KiB.
    pub const TAIL_BYTES: usize = 4096;
}

/// Output that processes the program left behind may still write once it
/// has exited: how long to keep reading it.
const DRAIN: SignedDuration = SignedDuration::from_secs(1);

/// The end of an output stream: its last `limit` bytes.
struct Tail {
    bytes: std::collections::VecDeque<u8>,
    truncated: bool,
    limit: usize,
}

impl Default for Tail {
    fn default() -> Tail {
        Tail::with_capacity(CommandOutput::TAIL_BYTES)
    }
}

impl Tail {
    fn with_capacity(limit: usize) -> Tail {
        Tail {
            bytes: std::collections::VecDeque::with_capacity(limit),
            truncated: false,
            limit,
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        let chunk = match chunk.len().checked_sub(self.limit) {
            Some(skip) => {
                self.truncated |= skip > 0 || !self.bytes.is_empty();
                self.bytes.clear();
                &chunk[skip..]
            }
            None => chunk,
        };
        self.bytes.extend(chunk);
        let excess = self.bytes.len().saturating_sub(self.limit);
        if excess > 0 {
            self.bytes.drain(..excess);
            self.truncated = true;
        }
    }

    fn text(&self) -> String {
        let bytes: Vec<u8> = self.bytes.iter().copied().collect();
        // A cut may fall inside a character: drop its continuation bytes.
        let start = if self.truncated {
            bytes
                .iter()
                .take(3)
                .take_while(|byte| **byte & 0xC0 == 0x80)
                .count()
        } else {
            0
        };
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }
}

type SharedTail = Arc<Mutex<Tail>>;

fn snapshot(tail: &SharedTail) -> String {
    lock(tail).text()
}

/// How many lines of each output stream of a run are logged from its start,
/// and how many of its end: a program that prints gigabytes logs these,
/// and a line saying how many were left out between them.
pub(crate) const LOGGED_HEAD_LINES: usize = 100;

/// See [`LOGGED_HEAD_LINES`].
pub(crate) const LOGGED_LAST_LINES: usize = 100;

/// How often a reader waiting for output looks whether it is to stop.
const READER_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// The most bytes of a stream's end kept for logging its last lines.
const LOGGED_LAST_BYTES: usize = 32 * 1024;

/// A line longer than this is logged in pieces.
const MAX_LINE: usize = 8192;

/// What a reader logs of one stream: the first lines as they come, the
/// last ones at the end, and how many were left out between them. Past
/// the first lines it only counts line ends and keeps the stream's last
/// bytes, so a flood costs no allocation per line.
struct LineLog {
    job_id: String,
    name: &'static str,
    /// Lines logged as they came.
    head: usize,
    /// The line being read, while the first lines are logged.
    line: Vec<u8>,
    /// Line ends seen after the first lines.
    later: usize,
    /// The last bytes after the first lines.
    end: Tail,
}

impl LineLog {
    fn new(job_id: &str, name: &'static str) -> LineLog {
        LineLog {
            job_id: job_id.to_owned(),
            name,
            head: 0,
            line: Vec::new(),
            later: 0,
            end: Tail::with_capacity(LOGGED_LAST_BYTES),
        }
    }

    fn log(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        tracing::info!(job = %self.job_id, stream = self.name, "{}", text.trim_end());
    }

    fn chunk(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        while self.head < LOGGED_HEAD_LINES {
            let Some((&byte, after)) = rest.split_first() else {
                return;
            };
            rest = after;
            self.line.push(byte);
            if byte == b'\n' || self.line.len() >= MAX_LINE {
                self.log(&self.line);
                self.line.clear();
                self.head += 1;
            }
        }
        if !rest.is_empty() {
            self.later += rest.iter().filter(|byte| **byte == b'\n').count();
            self.end.push(rest);
        }
    }

    fn end(self) {
        if self.head < LOGGED_HEAD_LINES {
            if !self.line.is_empty() {
                self.log(&self.line);
            }
            return;
        }
        let text = self.end.text();
        let mut lines: Vec<&str> = text.lines().collect();
        // The first line of a cut end is a piece of one.
        if self.end.truncated && !lines.is_empty() {
            lines.remove(0);
        }
        let total = self.later + usize::from(!text.is_empty() && !text.ends_with('\n'));
        let keep = lines.len().min(LOGGED_LAST_LINES);
        let left_out = total.saturating_sub(keep);
        if left_out > 0 {
            tracing::warn!(
                job = %self.job_id,
                stream = self.name,
                lines = self.head + total,
                left_out,
                "{left_out} line(s) of {} not logged: the first {LOGGED_HEAD_LINES} and the last {keep} are",
                self.name
            );
        }
        for line in &lines[lines.len() - keep..] {
            tracing::info!(job = %self.job_id, stream = self.name, "{}", line.trim_end());
        }
    }
}

/// An output pipe of the program.
#[cfg(unix)]
trait Pipe: Read + std::os::fd::AsFd + Send + 'static {}
#[cfg(unix)]
impl<T: Read + std::os::fd::AsFd + Send + 'static> Pipe for T {}
#[cfg(not(unix))]
trait Pipe: Read + Send + 'static {}
#[cfg(not(unix))]
impl<T: Read + Send + 'static> Pipe for T {}

/// True when `stream` has something to read (or is closed); false when
/// `stop` was set while waiting.
#[cfg(unix)]
fn wait_readable(stream: &impl Pipe, stop: &AtomicBool) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: i64::from(READER_POLL.subsec_nanos()),
    };
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let mut fds = [PollFd::new(stream, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) | Err(rustix::io::Errno::INTR) => {}
            Ok(_) | Err(_) => return true,
        }
    }
}

#[cfg(not(unix))]
fn wait_readable(_stream: &impl Pipe, stop: &AtomicBool) -> bool {
    !stop.load(Ordering::Relaxed)
}

/// Reads `stream` on a thread of its own, keeping its tail and logging its
/// lines with the job's id (the first and last ones, see
/// [`LOGGED_HEAD_LINES`]; the tail goes to the run's result), until its end
/// or until `stop` is set (a process the program left behind keeps it
/// open); the receiver completes then and the stream is closed.
fn read_tail<S: Pipe>(
    stream: Option<S>,
    name: &'static str,
    job_id: &str,
    stop: &Arc<AtomicBool>,
) -> std::io::Result<(SharedTail, oneshot::Receiver<()>)> {
    let tail = SharedTail::default();
    let (done, finished) = oneshot::channel();
    if let Some(mut stream) = stream {
        let sink = Arc::clone(&tail);
        let stop = Arc::clone(stop);
        let mut log = LineLog::new(job_id, name);
        std::thread::Builder::new()
            .name(format!("tempora-command-{name}"))
            .spawn(move || {
                let mut buffer = vec![0u8; 64 * 1024];
                while wait_readable(&stream, &stop) {
                    match stream.read(&mut buffer) {
                        Ok(0) => break,
                        Ok(read) => {
                            let chunk = &buffer[..read];
                            lock(&sink).push(chunk);
                            log.chunk(chunk);
                        }
                        Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                drop(stream);
                log.end();
                let _ = done.send(());
            })?;
    } else {
        let _ = done.send(());
    }
    Ok((tail, finished))
}

/// How the wait for the program ended.
enum Ending {
    Exited,
    /// It exited after the scheduler asked it to stop (`SIGTERM`).
    Stopped,
    TimedOut(SignedDuration),
    /// The scheduler shut down.
    Cancelled,
    /// Its run was cancelled alone: it got `SIGTERM`, then `SIGKILL`
    /// after [`CANCEL_GRACE`] (`killed`) or exited before.
    CancelledAlone {
        killed: bool,
    },
}

/// Why the run's context was cancelled when not for this run alone: its
/// job's time limit, or a shutdown.
fn cancelled(context: &JobContext) -> Ending {
    if context.is_timed_out() {
        Ending::TimedOut(context.scope().timeout().unwrap_or_default())
    } else {
        Ending::Cancelled
    }
}

/// The tail of the output for the run history: standard output, then
/// standard error, on a line of its own.
fn history_output(stdout_tail: &str, stderr_tail: &str) -> String {
    let mut output = stdout_tail.to_owned();
    if !output.is_empty() && !stderr_tail.is_empty() && !output.ends_with('\n') {
        output.push('\n');
    }
    output.push_str(stderr_tail);
    output
}

/// What a successful run's [`CommandOutput`] tells the run history.
pub(super) fn success_detail(value: &serde_json::Value) -> RunDetail {
    match CommandOutput::deserialize(value) {
        Ok(output) => RunDetail::default()
            .exit_status(output.exit_status)
            .output(history_output(&output.stdout_tail, &output.stderr_tail)),
        Err(_) => RunDetail::default(),
    }
}

/// The environment variables that tell a program its run's context.
pub(super) fn run_env(context: &JobContext) -> [(&'static str, String); 5] {
    [
        ("TEMPORA_JOB_ID", context.job_id().to_owned()),
        ("TEMPORA_RUN_ID", context.run_id().to_owned()),
        (
            "TEMPORA_SCHEDULED_TIME",
            context.scheduled_time().to_string(),
        ),
        ("TEMPORA_ATTEMPT", context.attempt().to_string()),
        ("TEMPORA_NODE", context.node().to_owned()),
    ]
}

/// The task itself.
pub(crate) async fn run(context: JobContext, args: CommandArgs) -> Result<CommandOutput, RunError> {
    let program = args.program.as_str();
    if let Some(dir) = &args.working_dir
        && !dir.is_dir()
    {
        return Err(RunError::new(format!(
            "command {program:?}: working_dir: {dir:?} is not a directory"
        )));
    }
    let identity = identity::resolve(
        args.user.as_deref(),
        args.group.as_deref(),
        identity::effective_uid(),
    )
    .map_err(|why| RunError::new(format!("command {program:?}: {why}")))?;
    let file_env = match &args.env_file {
        Some(path) => identity::read_env_file(path)
            .map_err(|why| RunError::new(format!("command {program:?}: {why}")))?,
        None => BTreeMap::new(),
    };
    let mut command = std::process::Command::new(program);
    command.args(&args.args);
    if args.clear_env {
        command.env_clear();
    } else if !args.inherit_env.is_all() {
        command.env_clear();
        command.envs(std::env::vars_os().filter(|(name, _)| {
            name.to_str()
                .is_some_and(|name| args.inherit_env.passes(name))
        }));
    }
    // A program started from a process pool's worker is not a worker.
    command.env_remove(PROCESS_WORKER_ENV);
    // The user's account, as a login (and cron) gives it.
    if let Some((name, home, shell)) = identity
        .as_ref()
        .and_then(|identity| identity.user.as_ref())
    {
        command
            .env("HOME", home)
            .env("USER", name)
            .env("LOGNAME", name)
            .env("SHELL", shell);
        if args.working_dir.is_none() {
            command.current_dir(if home.is_dir() {
                home.as_path()
            } else {
                std::path::Path::new("/")
            });
        }
    }
    command.envs(&file_env);
    command.envs(&args.env);
    // The run's context, over anything of the same name.
    command.envs(run_env(&context));
    if let Some(dir) = &args.working_dir {
        command.current_dir(dir);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);

    // A program takes real time: its timeout and duration are measured on
    // the system's clock, whatever the scheduler's clock says.
    let started = SystemClock.monotonic();
    let mut child = identity::spawn(&mut command, identity.as_ref(), args.umask)
        .map_err(|error| RunError::new(format!("command {program:?}: cannot start: {error}")))?;
    let pid = child.id();
    let cannot_watch = |error: std::io::Error| {
        kill_group(pid);
        RunError::new(format!(
            "command {program:?}: cannot start a thread to watch it: {error}"
        ))
    };
    let stop_reading = Arc::new(AtomicBool::new(false));
    let (stdout, stdout_done) = read_tail(
        child.stdout.take(),
        "stdout",
        context.job_id(),
        &stop_reading,
    )
    .map_err(cannot_watch)?;
    let (stderr, stderr_done) = read_tail(
        child.stderr.take(),
        "stderr",
        context.job_id(),
        &stop_reading,
    )
    .map_err(cannot_watch)?;
    let (exited, mut exit) = oneshot::channel();
    std::thread::Builder::new()
        .name("tempora-command-wait".to_owned())
        .spawn(move || {
            let _ = exited.send(child.wait());
        })
        .map_err(cannot_watch)?;

    let deadline = async {
        match args.timeout {
            Some(timeout) => clock::sleep(&SystemClock, timeout).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    let mut asked_to_stop = false;
    // Armed when the run alone is cancelled: SIGKILL once it is over.
    let mut cancelled_alone = false;
    let mut grace: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> =
        Box::pin(std::future::pending());
    let (ending, exit) = loop {
        tokio::select! {
            status = &mut exit => {
                let ending = if cancelled_alone {
                    Ending::CancelledAlone { killed: false }
                } else if asked_to_stop {
                    Ending::Stopped
                } else {
                    Ending::Exited
                };
                break (ending, status);
            }
            () = &mut deadline => break (Ending::TimedOut(args.timeout.unwrap_or_default()), {
                kill_group(pid);
                exit.await
            }),
            () = context.cancelled(), if !cancelled_alone => {
                if context.is_shutting_down() || context.is_timed_out() {
                    break (cancelled(&context), {
                        kill_group(pid);
                        exit.await
                    });
                }
                // This run alone is cancelled: SIGTERM, and SIGKILL after
                // the grace period.
                cancelled_alone = true;
                terminate_group(pid);
                grace = Box::pin(clock::sleep(&SystemClock, CANCEL_GRACE));
            }
            () = &mut grace => break (Ending::CancelledAlone { killed: true }, {
                kill_group(pid);
                exit.await
            }),
            // The scheduler shuts down: the program gets SIGTERM and until
            // the shutdown timeout (then the cancellation) to exit.
            () = context.stopping(), if !asked_to_stop => {
                asked_to_stop = true;
                terminate_group(pid);
            }
        }
    };
    // The thread that waits always sends, unless it panicked.
    let status = match exit {
        Ok(Ok(status)) => status,
        Ok(Err(error)) => {
            return Err(RunError::new(format!(
                "command {program:?}: cannot wait for it: {error}"
            )));
        }
        Err(_) => {
            return Err(RunError::new(format!(
                "command {program:?}: lost track of it"
            )));
        }
    };
    let duration = SystemClock.monotonic() - started;
    // Its output ends when every process holding the pipes is gone, which
    // is at once unless it left some running.
    let (mut stdout_done, mut stderr_done) = (stdout_done, stderr_done);
    let drained = clock::timeout(&SystemClock, DRAIN, async {
        let _ = (&mut stdout_done).await;
        let _ = (&mut stderr_done).await;
    })
    .await;
    if drained.is_none() {
        // Something it left behind holds the pipes: the run ends now, and
        // the readers stop (closing their ends) instead of waiting for it.
        stop_reading.store(true, Ordering::Relaxed);
        let _ = stdout_done.await;
        let _ = stderr_done.await;
    }
    let stdout_tail = snapshot(&stdout);
    let stderr_tail = snapshot(&stderr);
    let stderr_suffix = match stderr_tail.trim_end() {
        "" => String::new(),
        text => format!("; stderr: {text}"),
    };
    let mut detail = RunDetail::default().output(history_output(&stdout_tail, &stderr_tail));
    if let Some(code) = status.code() {
        detail = detail.exit_status(code);
    }
    let failed = |message: String| Err(RunError::new(message).with_detail(detail.clone()));
    match ending {
        Ending::TimedOut(timeout) => Err(RunError::new(format!(
            "command {program:?} timed out after {timeout:#} and was killed{stderr_suffix}"
        ))
        .timed_out()
        .with_detail(detail)),
        Ending::Cancelled => failed(format!(
            "command {program:?} was killed: the scheduler shut down{stderr_suffix}"
        )),
        Ending::CancelledAlone { killed: true } => failed(format!(
            "command {program:?} was killed: its run was cancelled and it did not exit within \
             {CANCEL_GRACE:#} of SIGTERM{stderr_suffix}"
        )),
        Ending::CancelledAlone { killed: false } => match status.code() {
            Some(code) => failed(format!(
                "command {program:?} was stopped: its run was cancelled and it got SIGTERM; \
                 it exited with status {code}{stderr_suffix}"
            )),
            None => failed(format!(
                "command {program:?} was killed by {}: its run was cancelled{stderr_suffix}",
                exit_description(status)
            )),
        },
        Ending::Stopped => match status.code() {
            Some(code) => failed(format!(
                "command {program:?} was stopped: the scheduler shut down and sent it SIGTERM; \
                 it exited with status {code}{stderr_suffix}"
            )),
            None => failed(format!(
                "command {program:?} was killed by {}: the scheduler shut down{stderr_suffix}",
                exit_description(status)
            )),
        },
        Ending::Exited if status.success() => Ok(CommandOutput {
            exit_status: 0,
            stdout_tail,
            stderr_tail,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        }),
        Ending::Exited => match status.code() {
            Some(code) => failed(format!(
                "command {program:?} exited with status {code}{stderr_suffix}"
            )),
            None => failed(format!(
                "command {program:?} was killed by {}{stderr_suffix}",
                exit_description(status)
            )),
        },
    }
}

/// Kills the process group that the program leads (it was started as the
/// leader of a new one). The program is not reaped before this: only the
/// thread that waits for it reaps it, and a kill that loses that race finds
/// the group empty or holding what the program left behind, never another
/// program's group (a group's id is not reused while a member lives).
#[cfg(unix)]
fn kill_group(pid: u32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    if let Err(error) = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL)
        && error != rustix::io::Errno::SRCH
    {
        tracing::warn!(%error, pid = pid.as_raw_nonzero(), "cannot kill a command's process group");
    }
}

/// Sends `SIGTERM` to the process group the program leads: the scheduler
/// shuts down and asks it to finish.
#[cfg(unix)]
fn terminate_group(pid: u32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    if let Err(error) = rustix::process::kill_process_group(pid, rustix::process::Signal::TERM)
        && error != rustix::io::Errno::SRCH
    {
        tracing::warn!(%error, pid = pid.as_raw_nonzero(), "cannot signal a command's process group");
    }
}

/// Windows has no `SIGTERM`: the program is left to the cancellation.
#[cfg(not(unix))]
fn terminate_group(_pid: u32) {}

/// Kills the program and what it started (`taskkill /T`).
#[cfg(not(unix))]
fn kill_group(pid: u32) {
    let killed = std::process::Command::new("taskkill")
        .args(["/F", "/T", "/PID", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(error) = killed {
        tracing::warn!(%error, pid, "cannot kill a command's process tree");
    }
}

/// How a process ended: `exit status 1`, `signal 11 (SIGSEGV)`.
pub(crate) fn exit_description(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return match signal_name(signal) {
                Some(name) => format!("signal {signal} ({name})"),
                None => format!("signal {signal}"),
            };
        }
    }
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => status.to_string(),
    }
}

/// The usual name of a signal that ends processes.
#[cfg(unix)]
fn signal_name(signal: i32) -> Option<&'static str> {
    use rustix::process::Signal;
    [
        (Signal::HUP, "SIGHUP"),
        (Signal::INT, "SIGINT"),
        (Signal::QUIT, "SIGQUIT"),
        (Signal::ILL, "SIGILL"),
        (Signal::TRAP, "SIGTRAP"),
        (Signal::ABORT, "SIGABRT"),
        (Signal::BUS, "SIGBUS"),
        (Signal::FPE, "SIGFPE"),
        (Signal::KILL, "SIGKILL"),
        (Signal::USR1, "SIGUSR1"),
        (Signal::SEGV, "SIGSEGV"),
        (Signal::USR2, "SIGUSR2"),
        (Signal::PIPE, "SIGPIPE"),
        (Signal::ALARM, "SIGALRM"),
        (Signal::TERM, "SIGTERM"),
    ]
    .into_iter()
    .find(|(known, _)| known.as_raw() == signal)
    .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_keeps_the_last_bytes_and_whole_characters() {
        let mut tail = Tail::default();
        tail.push(b"abc");
        assert_eq!(tail.text(), "abc");
        let mut tail = Tail::default();
        tail.push("é".repeat(CommandOutput::TAIL_BYTES).as_bytes());
        tail.push(b"x");
        let text = tail.text();
        assert!(text.ends_with("éx"));
        assert!(!text.contains('\u{fffd}'));
        assert!(text.len() <= CommandOutput::TAIL_BYTES);
        assert_eq!(text.len(), CommandOutput::TAIL_BYTES - 1);
    }

    #[cfg(unix)]
    #[test]
    fn exits_are_described_by_status_or_signal() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            exit_description(ExitStatus::from_raw(1 << 8)),
            "exit status 1"
        );
        assert_eq!(
            exit_description(ExitStatus::from_raw(11)),
            "signal 11 (SIGSEGV)"
        );
        assert_eq!(
            exit_description(ExitStatus::from_raw(6)),
            "signal 6 (SIGABRT)"
        );
    }
}
