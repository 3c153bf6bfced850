//! A pool of worker processes that run registered tasks.
//!
//! # Design
//!
//! A worker is the program itself, started again: the pool runs
//! [`std::env::current_exe`] with [`PROCESS_WORKER_ENV`] set, and the
//! program's `main`, having registered its tasks, calls
//! [`serve_process_worker`] first thing. There the call serves runs until
//! its input closes, then exits the process; in the scheduler's process it
//! returns at once. This is Python multiprocessing's "spawn" start method
//! (which imports the main module again) without `fork`: a forked copy of a
//! multi-threaded program (the scheduler's runtime, the pool's own threads)
//! is not safe to run Rust code in, and only the program can know its
//! tasks, so the program must be asked to serve. Only registered tasks can
//! run in a worker, since only a *name* crosses the process boundary.
//!
//! ## The protocol
//!
//! One JSON object per line, both ways, one run at a time per worker:
//!
//! ```text
//! worker → pool   {"ready":{"version":2,"pid":4242}}          once, at start
//! pool → worker   {"task":"crunch","args":10,"job_id":"j","run_times":["2026-01-01T00:00:00Z"],
//!                  "attempt":1,"run_id":"…","node":"n1"}
//! worker → pool   {"ok":55} | {"error":{"message":"text"}} | {"panic":"message"}
//! ```
//!
//! An error is a [`RunError`]: besides its `message`, the `command` task's
//! carries `timed_out` and a `detail` with the program's exit status and
//! output, for the run history.
//!
//! The requests go to the worker's standard input and the replies come from
//! its standard output, which `std::process` connects to pipes without any
//! help. Left there, anything a task prints (or a program it starts, which
//! inherits descriptors 0 to 2) would land in the middle of the replies, and
//! a task reading standard input would eat requests. So the worker's first
//! act is to move the protocol off them: it duplicates both pipes to new
//! close-on-exec descriptors (which programs it starts do not inherit),
//! then points descriptor 1 at standard error and descriptor 0 at
//! `/dev/null`. A dedicated pipe on a third descriptor would avoid the move,
//! but `std::process` cannot pass one to a child without `unsafe` code
//! between `fork` and `exec` (or clearing close-on-exec in the parent, where
//! every other process started meanwhile would inherit the pipe too and keep
//! it open past the worker's death, so that its end would never be seen).
//! The duplication is three safe system calls in the child, and the pool
//! still skips (and logs) any line that is not a protocol message, such as
//! something printed before `serve_process_worker` was called.
//!
//! ## Crashes, shutdown
//!
//! The pool keeps one thread per worker process, which writes a request and
//! blocks reading the reply. A task's panic is caught in the worker and
//! comes back as `{"panic": ...}`. A worker that dies instead (abort,
//! segfault, `exit`) closes its end: the thread reads end-of-file, reaps the
//! process, ends the run with [`RunOutcome::Panic`] naming the signal or the
//! exit status, and starts a fresh worker for its next run. A worker found
//! dead when a request is written to it (it died while idle) had not
//! started that run, which goes to a fresh worker instead.
//!
//! Shutting down without waiting kills every worker; their runs end with an
//! error. Shutting down with waiting (or dropping the pool) lets the queued
//! runs finish, then closes each worker's standard input, on which it exits.
//!
//! A program that does not call `serve_process_worker` runs its whole
//! `main` again in each worker; if that builds a process pool and runs
//! jobs on it, workers would start workers without end. So both building a
//! pool and starting a worker are refused in a process where
//! [`PROCESS_WORKER_ENV`] is set, and the pool reports a worker that exits
//! before it says it is ready with a hint to call `serve_process_worker`.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Run, RunOutcome, call_task};
use crate::sync::lock;
pub use crate::task::PROCESS_WORKER_ENV;
use crate::task::{JobContext, JobTask, RunError, RunScope, Tasks};

/// The version of the protocol, checked when a worker says it is ready.
const PROTOCOL_VERSION: u32 = 2;

const SHUT_DOWN: &str = "the executor is shut down";

/// One run, from the pool to a worker.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    task: String,
    args: Value,
    job_id: String,
    run_times: Vec<Timestamp>,
    /// Which attempt the run is (1 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attempt: Option<u32>,
    /// The run's id, so that the task sees the one the scheduler knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run_id: Option<String>,
    /// The scheduler's node id.
    #[serde(default)]
    node: String,
}

/// A message from a worker to the pool.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply {
    /// The worker serves, speaking protocol `version`.
    Ready { version: u32, pid: u32 },
    /// The task returned this value.
    Ok(Value),
    /// The task returned this error (or the request could not be served).
    Error(RunError),
    /// The task panicked with this message.
    Panic(String),
}

/// Serves runs when this process is a worker of a process pool, then exits
/// the process; returns at once otherwise.
///
/// Call it at the start of `main`, right after registering the tasks and
/// before anything else (before starting a scheduler, parsing arguments or
/// printing): see [`Executor::process_pool`](super::Executor::process_pool)
/// for why and how. In a worker it never returns: it exits with status 0
/// once the pool closes its input, or with status 70 (after a message on
/// standard error) when the pool's pipes fail.
///
/// ```
/// use tempora::executor::serve_process_worker;
/// use tempora::task::{JobContext, Tasks};
///
/// let tasks = Tasks::new();
/// tasks.register("add", |_: JobContext, (a, b): (i64, i64)| Ok::<i64, String>(a + b));
/// serve_process_worker(&tasks); // this process is not a worker: returns
/// ```
pub fn serve_process_worker(tasks: &Tasks) {
    if std::env::var_os(PROCESS_WORKER_ENV).is_none() {
        return;
    }
    let code = match serve_pipes(tasks) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!(
                "tempora worker process {}: the pool's pipes failed: {error}",
                std::process::id()
            );
            70
        }
    };
    std::process::exit(code);
}

/// Moves the protocol off descriptors 0 and 1 (see the module docs), then
/// serves on it.
#[cfg(unix)]
fn serve_pipes(tasks: &Tasks) -> io::Result<()> {
    use rustix::io::fcntl_dupfd_cloexec;

    // Whatever the program printed before is still in std's buffer: let it
    // out before descriptor 1 becomes the protocol's (the pool skips it).
    io::stdout().flush()?;
    let input = fcntl_dupfd_cloexec(io::stdin(), 3)?;
    let output = fcntl_dupfd_cloexec(io::stdout(), 3)?;
    rustix::stdio::dup2_stdout(io::stderr())?;
    let null = std::fs::File::open("/dev/null")?;
    rustix::stdio::dup2_stdin(&null)?;
    serve(
        tasks,
        BufReader::new(std::fs::File::from(input)),
        std::fs::File::from(output),
    )
}

/// Serves on standard input and output as they are: what tasks print there
/// lands among the replies (and is skipped by the pool).
#[cfg(not(unix))]
fn serve_pipes(tasks: &Tasks) -> io::Result<()> {
    serve(tasks, io::stdin().lock(), io::stdout().lock())
}

/// Says it is ready, then answers each request line with a reply line,
/// until `input` ends.
fn serve(tasks: &Tasks, mut input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    write_reply(
        &mut output,
        &Reply::Ready {
            version: PROTOCOL_VERSION,
            pid: std::process::id(),
        },
    )?;
    let mut runtime = None;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Request>(&line) {
            Ok(request) => run_request(tasks, request, &mut runtime),
            Err(error) => Reply::Error(RunError::new(format!(
                "protocol: cannot read the request: {error}"
            ))),
        };
        write_reply(&mut output, &reply)?;
    }
}

fn write_reply(output: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let mut line = serde_json::to_string(reply).map_err(io::Error::other)?;
    line.push('\n');
    output.write_all(line.as_bytes())?;
    output.flush()
}

/// Runs one request in this (worker) process; async tasks run on a
/// current-thread runtime, built at the first one.
fn run_request(
    tasks: &Tasks,
    request: Request,
    runtime: &mut Option<tokio::runtime::Runtime>,
) -> Reply {
    let Ok(task) = tasks.resolve(&JobTask::named(&request.task)) else {
        return Reply::Error(RunError::new(format!(
            "task: {:?} is not registered in the worker process; register it before \
             calling serve_process_worker",
            request.task
        )));
    };
    let context = JobContext::for_run(
        Arc::from(request.job_id),
        &request.run_times,
        Arc::from(request.node),
        Arc::new(RunScope::with_id(request.run_id, None)),
    )
    .with_attempt(request.attempt.unwrap_or(1));
    let outcome = call_task(&task, context, request.args, |future| {
        if runtime.is_none() {
            let built = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| {
                    format!("the worker process cannot start a runtime for async tasks: {error}")
                })?;
            *runtime = Some(built);
        }
        match runtime {
            Some(runtime) => runtime.block_on(future),
            None => Err(RunError::new(
                "the worker process has no runtime for async tasks",
            )),
        }
    });
    match outcome {
        RunOutcome::Success(value) => Reply::Ok(value),
        RunOutcome::Error(error) => Reply::Error(error),
        RunOutcome::Panic(message) => Reply::Panic(message),
    }
}

// ---- the pool, in the scheduler's process -----------------------------------

pub(crate) struct ProcessPool {
    max_workers: usize,
    state: Mutex<PoolState>,
    shared: Arc<Shared>,
}

struct PoolState {
    sender: Option<Sender<Run>>,
    receiver: Receiver<Run>,
    threads: Vec<JoinHandle<()>>,
}

/// What the pool and its threads share.
#[derive(Default)]
struct Shared {
    /// Threads waiting for a run; a new one starts only when none is.
    idle: AtomicUsize,
    /// Set by a shutdown without waiting: no worker starts any more, and
    /// the runs still queued end with an error.
    killed: AtomicBool,
    /// Each thread's worker process, for a shutdown to kill.
    slots: Mutex<Vec<Slot>>,
}

type Slot = Arc<Mutex<Option<Child>>>;

impl ProcessPool {
    pub(crate) fn new(max_workers: usize) -> ProcessPool {
        let (sender, receiver) = crossbeam_channel::unbounded();
        ProcessPool {
            max_workers,
            state: Mutex::new(PoolState {
                sender: Some(sender),
                receiver,
                threads: Vec::new(),
            }),
            shared: Arc::default(),
        }
    }

    pub(crate) fn max_workers(&self) -> usize {
        self.max_workers
    }

    pub(crate) fn submit(&self, run: Run) {
        if run.target.task.name().is_none() {
            let message = format!(
                "a closure cannot run in executor {:?}, a process pool: only a task's name \
                 reaches its worker processes; register the task by name with \
                 Tasks::register and add the job with JobBuilder::new(name, trigger)",
                run.target.executor_name
            );
            run.finish(RunOutcome::error(message));
            return;
        }
        let mut state = lock(&self.state);
        let Some(sender) = state.sender.clone() else {
            drop(state);
            run.finish(RunOutcome::error(SHUT_DOWN));
            return;
        };
        let queued = sender.len();
        if state.threads.len() < self.max_workers
            && self.shared.idle.load(Ordering::Acquire) <= queued
        {
            let index = state.threads.len();
            let slot = Slot::default();
            let worker = Worker {
                index,
                shared: Arc::clone(&self.shared),
                slot: Arc::clone(&slot),
                io: None,
            };
            let receiver = state.receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("tempora-process-{index}"))
                .spawn(move || worker.serve(&receiver));
            match spawned {
                Ok(thread) => {
                    state.threads.push(thread);
                    lock(&self.shared.slots).push(slot);
                }
                Err(error) => {
                    tracing::error!(%error, "cannot start a thread for a worker process");
                }
            }
        }
        drop(state);
        if let Err(rejected) = sender.send(run) {
            rejected.0.finish(RunOutcome::error(SHUT_DOWN));
        }
    }

    pub(crate) fn shutdown(&self, wait: bool) {
        let threads = {
            let mut state = lock(&self.state);
            state.sender = None;
            std::mem::take(&mut state.threads)
        };
        if !wait {
            self.shared.killed.store(true, Ordering::SeqCst);
            let slots = lock(&self.shared.slots).clone();
            for slot in slots {
                if let Some(child) = lock(&slot).as_mut() {
                    // It may have exited already; there is nothing else to do.
                    let _ = child.kill();
                }
            }
            return;
        }
        for thread in threads {
            // A pool thread catches nothing that could panic; a join error
            // cannot carry anything to report.
            let _ = thread.join();
        }
    }
}

/// One pool thread and its worker process.
struct Worker {
    index: usize,
    shared: Arc<Shared>,
    /// The process, where a shutdown can kill it.
    slot: Slot,
    /// The pipes to the process, while it runs.
    io: Option<WorkerIo>,
}

struct WorkerIo {
    pid: u32,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn serve(mut self, receiver: &Receiver<Run>) {
        loop {
            self.shared.idle.fetch_add(1, Ordering::AcqRel);
            let next = receiver.recv();
            self.shared.idle.fetch_sub(1, Ordering::AcqRel);
            let Ok(run) = next else { break };
            let outcome = if self.shared.killed.load(Ordering::SeqCst) {
                RunOutcome::error(SHUT_DOWN)
            } else {
                run.span().in_scope(|| self.execute(&run))
            };
            run.finish(outcome);
        }
        // The queue is closed: closing the worker's input makes it exit.
        if self.io.is_some() {
            let status = self.reap();
            tracing::debug!(worker = self.index, %status, "worker process stopped");
        }
    }

    fn execute(&mut self, run: &Run) -> RunOutcome {
        let Some(task) = run.target.task.name() else {
            return RunOutcome::error("a closure cannot run in a process pool");
        };
        let request = Request {
            task: task.to_owned(),
            args: run.args.clone(),
            job_id: run.job_id.to_string(),
            run_times: run.run_times.to_vec(),
            attempt: Some(run.attempt),
            run_id: Some(run.scope().run_id().to_string()),
            node: run.target.node.to_string(),
        };
        let mut line = match serde_json::to_string(&request) {
            Ok(line) => line,
            Err(error) => {
                return RunOutcome::error(format!(
                    "args: cannot be sent to a worker process: {error}"
                ));
            }
        };
        line.push('\n');
        // A worker that died while idle had not started this run: one more
        // try on a fresh worker.
        let mut tries = 0;
        loop {
            if let Err(message) = self.start() {
                return RunOutcome::error(message);
            }
            match self.send(&line) {
                Ok(()) => break,
                Err(error) => {
                    let status = self.reap();
                    tracing::warn!(worker = self.index, %status, %error, "worker process found dead");
                    tries += 1;
                    if tries == 2 {
                        return RunOutcome::error(format!(
                            "cannot hand the run to a worker process: {error} (worker {status})"
                        ));
                    }
                }
            }
        }
        let limit = self.watch_limit(run);
        let reply = self.receive();
        let timed_out = limit.is_some_and(|(killed, watcher)| {
            watcher.abort();
            killed.load(Ordering::SeqCst)
        });
        if timed_out && reply.is_none() {
            let status = self.reap();
            tracing::warn!(worker = self.index, %status, job = %run.job_id, "worker process killed at the run's timeout");
            let mut error = super::timed_out(run.timeout);
            error.message.push_str(" (its worker process was killed)");
            return RunOutcome::Error(error);
        }
        match reply {
            Some(Reply::Ok(value)) => RunOutcome::Success(value),
            Some(Reply::Error(error)) => RunOutcome::Error(error),
            Some(Reply::Panic(message)) => RunOutcome::Panic(message),
            Some(Reply::Ready { .. }) => {
                self.kill();
                let status = self.reap();
                RunOutcome::error(format!(
                    "protocol: the worker process said it was ready again (worker {status})"
                ))
            }
            None => {
                let status = self.reap();
                if self.shared.killed.load(Ordering::SeqCst) {
                    RunOutcome::error(
                        "the run was interrupted: the executor shut down and killed its \
                         worker process",
                    )
                } else {
                    tracing::warn!(worker = self.index, %status, job = %run.job_id, "worker process died during a run");
                    RunOutcome::Panic(format!("worker process exited: {status}"))
                }
            }
        }
    }

    /// Watches the time limit of `run`, which its worker process runs now:
    /// at the limit the worker is killed, with its process group (what the
    /// task started), and the flag returned is set. `None` without a
    /// limit.
    fn watch_limit(&self, run: &Run) -> Option<(Arc<AtomicBool>, tokio::task::JoinHandle<()>)> {
        let deadline = run.deadline()?;
        let killed = Arc::new(AtomicBool::new(false));
        let (slot, scope) = (Arc::clone(&self.slot), Arc::clone(run.scope()));
        let clock = Arc::clone(&run.target.clock);
        let flag = Arc::clone(&killed);
        let watcher = run.target.runtime.spawn(async move {
            crate::clock::sleep_until(&*clock, deadline).await;
            flag.store(true, Ordering::SeqCst);
            scope.cancel_timed_out();
            if let Some(child) = lock(&slot).as_mut() {
                kill_group(child);
            }
        });
        Some((killed, watcher))
    }

    /// Starts the worker process unless it runs, and waits until it is
    /// ready.
    fn start(&mut self) -> std::result::Result<(), String> {
        if self.io.is_some() {
            return Ok(());
        }
        if std::env::var_os(PROCESS_WORKER_ENV).is_some() {
            // A worker whose main did not serve, and went on to run a
            // scheduler: starting workers from it would multiply processes
            // without end.
            return Err(format!(
                "this process was started as a worker of a process pool ({PROCESS_WORKER_ENV} \
                 is set) but runs a scheduler: the program must call \
                 tempora::executor::serve_process_worker(&tasks) at the start of main"
            ));
        }
        let program = std::env::current_exe().map_err(|error| {
            format!("cannot find this program's executable to start a worker process: {error}")
        })?;
        {
            let mut slot = lock(&self.slot);
            if self.shared.killed.load(Ordering::SeqCst) {
                return Err(SHUT_DOWN.to_owned());
            }
            let mut command = Command::new(&program);
            command
                .env(PROCESS_WORKER_ENV, "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit());
            #[cfg(unix)]
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            let mut child = command.spawn().map_err(|error| {
                format!(
                    "cannot start a worker process ({}): {error}",
                    program.display()
                )
            })?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                let _ = child.kill();
                let _ = child.wait();
                return Err("a worker process started without its pipes".to_owned());
            };
            self.io = Some(WorkerIo {
                pid: child.id(),
                stdin,
                stdout: BufReader::new(stdout),
            });
            *slot = Some(child);
        }
        // Until it serves, the worker's output is the program's: what it
        // printed before calling serve_process_worker is skipped, even when
        // it looks like a reply.
        loop {
            match self.receive() {
                Some(Reply::Ready { version, pid }) if version == PROTOCOL_VERSION => {
                    tracing::debug!(worker = self.index, pid, "worker process ready");
                    return Ok(());
                }
                Some(Reply::Ready { version, .. }) => {
                    self.kill();
                    let status = self.reap();
                    return Err(format!(
                        "the worker process speaks protocol version {version}, not \
                         {PROTOCOL_VERSION} (worker {status})"
                    ));
                }
                Some(reply) => {
                    tracing::warn!(
                        worker = self.index,
                        ?reply,
                        "worker process printed a reply before it was ready; skipped"
                    );
                }
                None => {
                    let status = self.reap();
                    if self.shared.killed.load(Ordering::SeqCst) {
                        return Err(SHUT_DOWN.to_owned());
                    }
                    return Err(format!(
                        "the worker process exited before it was ready ({status}): the \
                         program must call tempora::executor::serve_process_worker(&tasks) \
                         at the start of main"
                    ));
                }
            }
        }
    }

    fn send(&mut self, line: &str) -> io::Result<()> {
        let Some(io) = self.io.as_mut() else {
            return Err(io::Error::new(io::ErrorKind::NotConnected, "no worker"));
        };
        io.stdin.write_all(line.as_bytes())?;
        io.stdin.flush()
    }

    /// The next protocol message, `None` when the worker's output ended (it
    /// died); lines that are not a message are logged and skipped.
    fn receive(&mut self) -> Option<Reply> {
        let io = self.io.as_mut()?;
        let mut line = String::new();
        loop {
            line.clear();
            match io.stdout.read_line(&mut line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let text = line.trim_end();
            match serde_json::from_str::<Reply>(text) {
                Ok(reply) => return Some(reply),
                Err(_) => {
                    tracing::warn!(worker = self.index, pid = io.pid, line = %text, "worker process printed to its protocol channel; skipped");
                }
            }
        }
    }

    fn kill(&mut self) {
        if let Some(child) = lock(&self.slot).as_mut() {
            let _ = child.kill();
        }
    }

    /// Closes the pipes and waits for the process to exit; says how it
    /// ended.
    fn reap(&mut self) -> String {
        self.io = None;
        let child = lock(&self.slot).take();
        match child {
            Some(mut child) => match child.wait() {
                Ok(status) => crate::task::exit_description(status),
                Err(error) => format!("status unknown: {error}"),
            },
            None => "status unknown".to_owned(),
        }
    }
}

/// Kills a worker process and its process group (it leads one): the
/// programs its task started go with it.
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        // It may have exited already; the kill below reports nothing else.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_lines(tasks: &Tasks, requests: &[Value]) -> Vec<Value> {
        let mut input = String::new();
        for request in requests {
            input.push_str(&request.to_string());
            input.push('\n');
        }
        let mut output = Vec::new();
        serve(tasks, input.as_bytes(), &mut output).unwrap();
        String::from_utf8(output)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn request(task: &str, args: Value) -> Value {
        serde_json::json!({
            "task": task,
            "args": args,
            "job_id": "j",
            "run_times": ["2026-01-01T00:00:00Z"],
        })
    }

    #[test]
    fn a_worker_says_ready_then_answers_each_request() {
        let tasks = Tasks::new();
        tasks.register("add", |_: JobContext, (a, b): (i64, i64)| {
            Ok::<i64, String>(a + b)
        });
        tasks.register("fail", |_: JobContext, (): ()| Err::<(), _>("no luck"));
        tasks.register("boom", |_: JobContext, (): ()| -> Result<(), String> {
            panic!("kaboom")
        });
        tasks.register_async("later", |context: JobContext, (): ()| async move {
            tokio::task::yield_now().await;
            Ok::<String, String>(context.job_id().to_owned())
        });
        let replies = serve_lines(
            &tasks,
            &[
                request("add", serde_json::json!([2, 3])),
                request("fail", Value::Null),
                request("boom", Value::Null),
                request("later", Value::Null),
                request("nope", Value::Null),
                request("add", serde_json::json!("x")),
                serde_json::json!({"bad": 1}),
            ],
        );
        assert_eq!(replies[0]["ready"]["version"], PROTOCOL_VERSION);
        assert_eq!(replies[1], serde_json::json!({"ok": 5}));
        assert_eq!(
            replies[2],
            serde_json::json!({"error": {"message": "no luck"}})
        );
        assert_eq!(replies[3], serde_json::json!({"panic": "kaboom"}));
        assert_eq!(replies[4], serde_json::json!({"ok": "j"}));
        let unknown = replies[5]["error"]["message"].as_str().unwrap();
        assert!(unknown.starts_with("task: \"nope\" is not registered in the worker process"));
        assert!(
            replies[6]["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("args: ")
        );
        assert!(
            replies[7]["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("protocol: cannot read the request")
        );
        assert_eq!(replies.len(), 8);
    }

    #[test]
    fn serve_process_worker_returns_at_once_outside_a_worker() {
        // The test process is not a worker (the variable is not set).
        assert!(std::env::var_os(PROCESS_WORKER_ENV).is_none());
        serve_process_worker(&Tasks::new());
    }
}
