//! Executors: where runs execute.
//!
//! An [`Executor`] is one of a closed set: a pool of threads (the default,
//! for blocking work), tokio tasks (for async work), or a pool of worker
//! processes (for CPU-heavy or crash-prone work, see
//! [`Executor::process_pool`] and [`serve_process_worker`]). A scheduler
//! holds several under names; a job picks one with its `executor` option.

mod process_pool;
mod thread_pool;

use std::fmt;
use std::panic::AssertUnwindSafe;

use jiff::Timestamp;
use serde_json::Value;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::Result;
use crate::sync::lock;
use crate::task::{
    JobContext, RunError, RunFuture, RunResult, RunScope, RunSignals, TaskCall, TaskFn,
};

use self::process_pool::ProcessPool;
use self::thread_pool::ThreadPool;

pub use self::process_pool::{PROCESS_WORKER_ENV, serve_process_worker};

/// The name of the span each run's task executes in: its fields are
/// `job_id`, `run_id`, `scheduled_time` (RFC 3339), `attempt` and `node`.
/// An OpenTelemetry layer (`tracing-opentelemetry`) makes each run a span
/// of a trace; a log that already names the job on each line can leave it
/// out by this name.
///
/// ```
/// assert_eq!(tempora::executor::RUN_SPAN, "tempora.run");
/// ```
pub const RUN_SPAN: &str = "tempora.run";

/// How one run ended.
///
/// ```
/// use tempora::executor::RunOutcome;
/// use tempora::task::RunError;
///
/// let outcome = RunOutcome::Error(RunError::new("boom"));
/// assert_ne!(outcome, RunOutcome::Success(serde_json::json!(null)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// The task returned this value (JSON).
    Success(Value),
    /// The task returned an error.
    Error(RunError),
    /// The task panicked (or its worker process crashed) with this message.
    Panic(String),
}

impl RunOutcome {
    /// An error with this text and nothing more.
    pub(crate) fn error(message: impl Into<String>) -> RunOutcome {
        RunOutcome::Error(RunError::new(message))
    }

    fn from_result(result: RunResult) -> RunOutcome {
        match result {
            Ok(value) => RunOutcome::Success(value),
            Err(error) => RunOutcome::Error(error),
        }
    }

    fn from_panic(payload: Box<dyn std::any::Any + Send>) -> RunOutcome {
        let message = if let Some(text) = payload.downcast_ref::<&str>() {
            (*text).to_owned()
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text.clone()
        } else {
            "a panic without a message".to_owned()
        };
        RunOutcome::Panic(message)
    }
}

/// One run handed to an executor.
pub(crate) struct Run {
    pub(crate) job_id: Arc<str>,
    /// Where the run goes and what it calls, shared with the other runs of
    /// its batch that go to the same place.
    pub(crate) target: Arc<RunTarget>,
    pub(crate) args: Value,
    pub(crate) run_times: RunTimes,
    /// The latest start its misfire grace time allows, checked when a
    /// worker takes it from the queue; `None`: any time.
    pub(crate) start_by: Option<StartBy>,
    /// Which attempt at its fire time the run is: 1 for a first run.
    pub(crate) attempt: u32,
    /// The run's own cancellation, id and time limit, shared with its
    /// context ([`Run::scope`]): made by the worker that runs it, unless
    /// given when the run is made (a run noted among the runs in
    /// progress), so that the thread handing runs over neither makes nor
    /// frees it.
    pub(crate) scope: OnceLock<Arc<RunScope>>,
    /// The run's time limit, for its scope.
    pub(crate) timeout: Option<jiff::SignedDuration>,
    pub(crate) done: Arc<dyn Completion>,
}

/// The fire times one run covers, oldest first. Most runs cover one, held
/// in place: a run's times then take no memory of their own (which the
/// thread that prepared the run would allocate and a worker free).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunTimes {
    One(Timestamp),
    Many(Vec<Timestamp>),
}

impl From<Vec<Timestamp>> for RunTimes {
    fn from(times: Vec<Timestamp>) -> RunTimes {
        match *times {
            [time] => RunTimes::One(time),
            _ => RunTimes::Many(times),
        }
    }
}

impl std::ops::Deref for RunTimes {
    type Target = [Timestamp];

    fn deref(&self) -> &[Timestamp] {
        match self {
            RunTimes::One(time) => std::slice::from_ref(time),
            RunTimes::Many(times) => times,
        }
    }
}

impl<'a> IntoIterator for &'a RunTimes {
    type Item = &'a Timestamp;
    type IntoIter = std::slice::Iter<'a, Timestamp>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq<Vec<Timestamp>> for RunTimes {
    fn eq(&self, other: &Vec<Timestamp>) -> bool {
        **self == **other
    }
}

impl RunTimes {
    pub(crate) fn into_vec(self) -> Vec<Timestamp> {
        match self {
            RunTimes::One(time) => vec![time],
            RunTimes::Many(times) => times,
        }
    }
}

/// What the runs of one claimed batch that call one task on one executor
/// share: held once for them all, so that handing a run over and ending it
/// touch one shared count, not one per part.
pub(crate) struct RunTarget {
    /// The name of the store its jobs are in.
    pub(crate) store: Arc<str>,
    /// The executor's name, and the executor.
    pub(crate) executor_name: Arc<str>,
    pub(crate) executor: Arc<Executor>,
    /// The runtime async tasks run on.
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) task: TaskFn,
    /// The scheduler's requests to its runs: to stop (cancellation), and
    /// to finish soon (stopping: a shutdown with a time limit).
    pub(crate) signals: Arc<RunSignals>,
    /// The scheduler's node id, for the runs' contexts.
    pub(crate) node: Arc<str>,
    /// The scheduler's clock, which measures the runs' time limits.
    pub(crate) clock: Arc<dyn crate::clock::Clock>,
}

impl fmt::Debug for RunTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunTarget")
            .field("store", &self.store)
            .field("executor", &self.executor_name)
            .field("task", &self.task)
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

/// The latest instant a queued run may start, by the scheduler's clock;
/// past it the run is not started and `too_late` is set (it ends with an
/// error the scheduler records as missed).
pub(crate) struct StartBy {
    pub(crate) deadline: jiff::Timestamp,
    pub(crate) clock: std::sync::Arc<dyn crate::clock::Clock>,
    pub(crate) too_late: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// What is told when a run ends, on the thread that ran it.
pub(crate) trait Completion: Send + Sync {
    /// Takes the report of a run that ended — or, when
    /// [`RunReport::still_running`], of a sync run whose time limit passed
    /// while its thread still runs it: [`Completion::returned_late`]
    /// follows when the thread returns.
    fn complete(self: Arc<Self>, report: RunReport);

    /// The thread of a run reported at its time limit has returned; what
    /// it returned (`report`) came too late and is discarded.
    fn returned_late(self: Arc<Self>, report: RunReport);
}

/// What an executor reports when a run ends.
#[derive(Debug)]
pub(crate) struct RunReport {
    pub(crate) job_id: Arc<str>,
    /// The run's store, executor and task.
    pub(crate) target: Arc<RunTarget>,
    pub(crate) run_times: RunTimes,
    pub(crate) outcome: RunOutcome,
    /// The outcome is a time-out reported at the limit while the run's
    /// thread still runs it (it cannot be stopped from outside).
    pub(crate) still_running: bool,
}

impl Run {
    /// The run's scope, made at the first ask: a child of the scheduler's
    /// signals, with the run's time limit.
    pub(crate) fn scope(&self) -> &Arc<RunScope> {
        self.scope
            .get_or_init(|| Arc::new(RunScope::child_of(&self.target.signals, self.timeout)))
    }

    fn context(&self) -> JobContext {
        JobContext::for_run(
            Arc::clone(&self.job_id),
            &self.run_times,
            Arc::clone(&self.target.node),
            Arc::clone(self.scope()),
        )
        .with_attempt(self.attempt)
    }

    /// The span the run's task executes in, `tempora.run`: its job, its
    /// id, its scheduled time (RFC 3339), its attempt and its node. Its
    /// fields are read (and the run's id made) only when a subscriber
    /// takes the span, or a logger writes it: tracing hands a disabled
    /// span's fields to the `log` crate when no subscriber is set, and
    /// the run's id is made only when they are written.
    pub(crate) fn span(&self) -> tracing::Span {
        tracing::info_span!(
            RUN_SPAN,
            job_id = %self.job_id,
            run_id = %RunIdField(self.scope()),
            scheduled_time = self.run_times.last().map(tracing::field::display),
            attempt = self.attempt,
            node = %self.target.node,
        )
    }

    fn finish(self, outcome: RunOutcome) {
        let (report, done) = self.into_report(outcome);
        done.complete(report);
    }

    /// The report of the run's end with `outcome`, and whom to tell.
    fn into_report(self, outcome: RunOutcome) -> (RunReport, Arc<dyn Completion>) {
        let report = RunReport {
            job_id: self.job_id,
            target: self.target,
            run_times: self.run_times,
            outcome,
            still_running: false,
        };
        (report, self.done)
    }

    /// The instant past which the run is stopped, by the scheduler's
    /// clock, counted from now (when it starts); `None` without a limit.
    fn deadline(&self) -> Option<Timestamp> {
        let limit = self.timeout?;
        let now = self.target.clock.now();
        Some(now.saturating_add(limit).unwrap_or(Timestamp::MAX))
    }

    /// Starts watching the time limit of a run whose task runs on a thread
    /// (which cannot be stopped from outside): at the limit its context is
    /// cancelled and its outcome reported as a time-out, while the thread
    /// runs on. `None` when it has no limit.
    fn watch_thread(&self, runtime: &tokio::runtime::Handle) -> Option<ThreadWatch> {
        let deadline = self.deadline()?;
        let reported = Arc::new(Mutex::new(Reported::Not));
        let early = RunReport {
            job_id: Arc::clone(&self.job_id),
            target: Arc::clone(&self.target),
            run_times: self.run_times.clone(),
            outcome: RunOutcome::Error(timed_out(self.timeout)),
            still_running: true,
        };
        let (scope, done) = (Arc::clone(self.scope()), Arc::clone(&self.done));
        let clock = Arc::clone(&self.target.clock);
        let first = Arc::clone(&reported);
        let watcher = runtime.spawn(async move {
            crate::clock::sleep_until(&*clock, deadline).await;
            scope.cancel_timed_out();
            // Held while the outcome is told, so that a thread returning
            // meanwhile tells its late return only after it.
            let mut reported = lock(&first);
            if *reported == Reported::Not {
                *reported = Reported::AtTheLimit;
                done.complete(early);
            }
        });
        Some(ThreadWatch { reported, watcher })
    }

    /// Ends a run whose thread returned `outcome`: reports it, unless its
    /// time limit reported it already (then the outcome came too late).
    fn finish_watched(self, watch: Option<ThreadWatch>, outcome: RunOutcome) {
        let Some(watch) = watch else {
            return self.finish(outcome);
        };
        watch.watcher.abort();
        let at_the_limit = {
            let mut reported = lock(&watch.reported);
            let before = *reported;
            *reported = Reported::Returned;
            before == Reported::AtTheLimit
        };
        if !at_the_limit {
            return self.finish(outcome);
        }
        let (report, done) = self.into_report(outcome);
        done.returned_late(report);
    }

    /// Runs a task on the current thread, catching a panic; async tasks are
    /// driven to completion on `runtime`.
    fn run_here(self, runtime: &tokio::runtime::Handle) {
        if let Some(start_by) = &self.start_by
            && start_by.clock.now() > start_by.deadline
        {
            start_by
                .too_late
                .store(true, std::sync::atomic::Ordering::SeqCst);
            self.finish(RunOutcome::error(
                "not started: it waited for a free worker past its misfire grace time",
            ));
            return;
        }
        let watch = match self.target.task.call {
            TaskCall::Sync(_) => self.watch_thread(runtime),
            TaskCall::Async(_) => None,
        };
        let deadline = self.deadline();
        let outcome = self.span().in_scope(|| {
            call_task(
                &self.target.task,
                self.context(),
                self.args.clone(),
                |future| runtime.block_on(self.within_limit(future, deadline)),
            )
        });
        self.finish_watched(watch, outcome);
    }

    /// `future` (an async task's run), stopped at `deadline`: its context
    /// is cancelled, and the future dropped — or, for a task that
    /// [stops itself](TaskFn::stops_itself), awaited as it ends.
    /// Without a deadline, `future` as it is.
    fn within_limit(&self, future: RunFuture, deadline: Option<Timestamp>) -> RunFuture {
        let Some(deadline) = deadline else {
            return future;
        };
        let scope = Arc::clone(self.scope());
        let clock = Arc::clone(&self.target.clock);
        let stops_itself = self.target.task.stops_itself;
        Box::pin(async move {
            let mut future = future;
            tokio::select! {
                biased;
                result = &mut future => result,
                () = crate::clock::sleep_until(&*clock, deadline) => {
                    scope.cancel_timed_out();
                    if stops_itself {
                        future.await
                    } else {
                        Err(timed_out(scope.timeout()))
                    }
                }
            }
        })
    }
}

/// A run's id as a span field: made (a random UUID) when it is written,
/// not when the span is made.
struct RunIdField<'a>(&'a RunScope);

impl fmt::Display for RunIdField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.run_id())
    }
}

/// A sync run's watch over its time limit.
struct ThreadWatch {
    /// Who reported the run first: the watcher at the limit, or the
    /// thread returning.
    reported: Arc<Mutex<Reported>>,
    watcher: tokio::task::JoinHandle<()>,
}

/// Whether a watched sync run was reported, and by whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reported {
    Not,
    /// At its time limit, while its thread runs on.
    AtTheLimit,
    /// When its thread returned.
    Returned,
}

/// The error of a run stopped at its job's time limit `limit`.
fn timed_out(limit: Option<jiff::SignedDuration>) -> RunError {
    let limit = limit.unwrap_or_default();
    RunError::new(format!(
        "timed out after {limit:#}: the run was stopped at its job's timeout"
    ))
    .timed_out()
}

/// Calls `task` on the current thread, catching a panic; an async task's
/// future is driven to completion by `block_on`.
fn call_task(
    task: &TaskFn,
    context: JobContext,
    args: Value,
    block_on: impl FnOnce(RunFuture) -> RunResult,
) -> RunOutcome {
    let outcome = match &task.call {
        TaskCall::Sync(function) => {
            std::panic::catch_unwind(AssertUnwindSafe(|| function(context, args)))
        }
        TaskCall::Async(function) => {
            std::panic::catch_unwind(AssertUnwindSafe(|| block_on(function(context, args))))
        }
    };
    match outcome {
        Ok(result) => RunOutcome::from_result(result),
        Err(payload) => RunOutcome::from_panic(payload),
    }
}

/// Where runs execute.
///
/// ```
/// use tempora::executor::Executor;
///
/// let threads = Executor::thread_pool(4)?;
/// assert_eq!(threads.to_string(), "thread_pool(max_workers=4)");
/// assert_eq!(Executor::default().to_string(), "thread_pool(max_workers=10)");
/// assert_eq!(Executor::async_tasks().to_string(), "async_tasks");
/// assert_eq!(Executor::process_pool(2)?.to_string(), "process_pool(max_workers=2)");
/// assert_eq!(Executor::thread_pool(0).unwrap_err().to_string(), "max_workers: 0 is not allowed: at least 1");
/// # Ok::<(), tempora::Error>(())
/// ```
pub struct Executor {
    kind: ExecutorKind,
}

enum ExecutorKind {
    ThreadPool(ThreadPool),
    AsyncTasks,
    ProcessPool(ProcessPool),
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Executor({self})")
    }
}

impl fmt::Display for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExecutorKind::ThreadPool(pool) => {
                write!(f, "thread_pool(max_workers={})", pool.max_workers())
            }
            ExecutorKind::AsyncTasks => f.write_str("async_tasks"),
            ExecutorKind::ProcessPool(pool) => {
                write!(f, "process_pool(max_workers={})", pool.max_workers())
            }
        }
    }
}

impl Default for Executor {
    /// A pool of [`Executor::DEFAULT_MAX_WORKERS`] threads, as APScheduler.
    fn default() -> Executor {
        Executor {
            kind: ExecutorKind::ThreadPool(ThreadPool::new(Executor::DEFAULT_MAX_WORKERS)),
        }
    }
}

impl Executor {
    /// The default size of a thread pool.
    pub const DEFAULT_MAX_WORKERS: usize = 10;

    /// A pool of at most `max_workers` threads, started as runs arrive.
    /// Sync tasks run on a pool thread; an async task is driven to
    /// completion on the pool thread.
    ///
    /// It keeps the runs in progress to a limit that starts at one fewer
    /// than the machine's processors (at least one), so that the
    /// scheduler's loop keeps a processor of its own while runs are short;
    /// when runs have waited a millisecond without the queue running empty
    /// (the runs in progress are long, or wait on I/O), the limit rises by
    /// one, each millisecond, up to `max_workers`, and a worker that finds
    /// nothing to run lowers it again.
    ///
    /// # Errors
    ///
    /// Field `max_workers` when 0.
    pub fn thread_pool(max_workers: usize) -> Result<Executor> {
        check_max_workers(max_workers)?;
        Ok(Executor {
            kind: ExecutorKind::ThreadPool(ThreadPool::new(max_workers)),
        })
    }

    /// A pool of at most `max_workers` worker processes, started as runs
    /// arrive and reused from run to run: for CPU-heavy work that should not
    /// compete with the scheduler's threads, or for code that may crash the
    /// process it runs in.
    ///
    /// # How it works
    ///
    /// A worker process is *this same program*: the pool starts
    /// [`std::env::current_exe`] with the environment variable
    /// [`PROCESS_WORKER_ENV`] set, as Python's multiprocessing "spawn"
    /// starts the interpreter again on the main module. So the program's
    /// `main` must register its tasks and then call
    /// [`serve_process_worker`] before anything else: in a worker process
    /// that call serves runs and exits, never returning; in the scheduler's
    /// process it returns at once.
    ///
    /// ```
    /// use tempora::executor::{Executor, serve_process_worker};
    /// use tempora::scheduler::SchedulerBuilder;
    /// use tempora::task::{JobContext, Tasks};
    ///
    /// fn tasks() -> Tasks {
    ///     let tasks = Tasks::new();
    ///     tasks.register("crunch", |_: JobContext, n: u64| Ok::<u64, String>((1..=n).sum()));
    ///     tasks
    /// }
    ///
    /// fn main() -> Result<(), tempora::Error> {
    ///     let tasks = tasks();
    ///     serve_process_worker(&tasks); // in a worker process, never returns
    ///     let scheduler = SchedulerBuilder::new()
    ///         .tasks(tasks)
    ///         .executor("processes", Executor::process_pool(4)?)
    ///         .background()?;
    ///     // ... add jobs with `.executor("processes")`, start, ...
    ///     # drop(scheduler);
    ///     Ok(())
    /// }
    /// ```
    ///
    /// Each run goes to a worker as one line of JSON on its standard input
    /// (the task's *name*, the arguments, the job id and the run times) and
    /// comes back as one line on its standard output (`{"ok": value}`,
    /// `{"error": {"message": text, ...}}` or `{"panic": message}`). Before it serves, the
    /// worker moves that channel to private descriptors and points its own
    /// standard output at standard error and its standard input at
    /// `/dev/null`, so whatever tasks print (or programs they start) cannot
    /// corrupt it.
    ///
    /// * Only registered tasks can run here: a job holding a closure ends
    ///   with an error that says to register the task by name
    ///   ([`Executor::runs_closures`] is false).
    /// * A task that panics in the worker ends its run with
    ///   [`RunOutcome::Panic`]; the worker lives on.
    /// * A worker that dies during a run (`abort`, a segfault, `exit`) ends
    ///   the run with [`RunOutcome::Panic`] saying how it died (`worker
    ///   process exited: signal 11 (SIGSEGV)`); the next run starts a fresh
    ///   worker. The scheduler goes on.
    /// * Async tasks run on a current-thread tokio runtime in the worker.
    /// * Workers sit in process groups of their own, so that a Ctrl-C at the
    ///   terminal reaches the scheduler (which shuts down gracefully) but
    ///   not the runs in progress. A worker exits when its standard input
    ///   closes, so workers of a scheduler that died go away once their run
    ///   ends.
    /// * At shutdown without waiting, the workers are killed and their runs
    ///   end with an error; with waiting, the runs in progress finish first.
    ///   A pool dropped without a shutdown closes its workers' standard
    ///   input once its queue is done, and they exit.
    /// * A task in a worker never sees its context cancelled; at its job's
    ///   [`timeout`](crate::job::JobBuilder::timeout) the worker process
    ///   is killed, with its process group, and replaced for the next run.
    /// * A program that forgot to serve would run its whole `main` again in
    ///   each worker. To keep that from multiplying processes, a process
    ///   started as a worker refuses to build a process pool (and a pool
    ///   refuses to start workers from one); the pool reports the worker's
    ///   exit before it said it was ready as the run's error.
    ///
    /// # Errors
    ///
    /// Field `max_workers` when 0; a state error in a process that was
    /// started as a worker ([`PROCESS_WORKER_ENV`] is set).
    ///
    /// ```
    /// use tempora::executor::Executor;
    ///
    /// let error = Executor::process_pool(0).unwrap_err();
    /// assert_eq!(error.to_string(), "max_workers: 0 is not allowed: at least 1");
    /// ```
    pub fn process_pool(max_workers: usize) -> Result<Executor> {
        check_max_workers(max_workers)?;
        if std::env::var_os(PROCESS_WORKER_ENV).is_some() {
            return Err(crate::Error::state(format!(
                "process_pool: this process was started as a worker of a process pool \
                 ({PROCESS_WORKER_ENV} is set); the program must call \
                 tempora::executor::serve_process_worker(&tasks) at the start of main"
            )));
        }
        Ok(Executor {
            kind: ExecutorKind::ProcessPool(ProcessPool::new(max_workers)),
        })
    }

    /// Tokio tasks on the scheduler's runtime: async tasks run as tasks,
    /// sync tasks on tokio's blocking pool.
    pub fn async_tasks() -> Executor {
        Executor {
            kind: ExecutorKind::AsyncTasks,
        }
    }

    /// True when this executor can run a closure
    /// ([`JobTask::closure`](crate::task::JobTask::closure)); false for a
    /// process pool, which sends the task's name to another process.
    ///
    /// ```
    /// use tempora::executor::Executor;
    ///
    /// assert!(Executor::default().runs_closures());
    /// assert!(Executor::async_tasks().runs_closures());
    /// assert!(!Executor::process_pool(1)?.runs_closures());
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn runs_closures(&self) -> bool {
        match &self.kind {
            ExecutorKind::ThreadPool(_) | ExecutorKind::AsyncTasks => true,
            ExecutorKind::ProcessPool(_) => false,
        }
    }

    /// Starts `run`; its report arrives on the run's channel.
    pub(crate) fn submit(&self, run: Run, runtime: &tokio::runtime::Handle) {
        match &self.kind {
            ExecutorKind::ThreadPool(pool) => pool.submit_all([run], runtime),
            ExecutorKind::AsyncTasks => spawn_task(run, runtime),
            ExecutorKind::ProcessPool(pool) => pool.submit(run),
        }
    }

    /// Starts the runs of `runs`, queued together (one lock) where the
    /// executor queues, leaving it empty (with memory for the next batch):
    /// a thread pool whose queue is empty takes the whole buffer as its
    /// queue.
    pub(crate) fn submit_batch(&self, runs: &mut Vec<Run>, runtime: &tokio::runtime::Handle) {
        match &self.kind {
            ExecutorKind::ThreadPool(pool) => pool.submit_batch(runs, runtime),
            ExecutorKind::AsyncTasks | ExecutorKind::ProcessPool(_) => {
                for run in runs.drain(..) {
                    self.submit(run, runtime);
                }
            }
        }
    }

    /// Stops taking runs; with `wait`, returns once the runs in progress
    /// have finished.
    pub(crate) fn shutdown(&self, wait: bool) {
        match &self.kind {
            ExecutorKind::ThreadPool(pool) => pool.shutdown(wait),
            ExecutorKind::AsyncTasks => {}
            ExecutorKind::ProcessPool(pool) => pool.shutdown(wait),
        }
    }
}

fn check_max_workers(max_workers: usize) -> Result<()> {
    if max_workers == 0 {
        return Err(crate::Error::invalid(
            "max_workers",
            "0 is not allowed: at least 1",
        ));
    }
    Ok(())
}

fn spawn_task(run: Run, runtime: &tokio::runtime::Handle) {
    let context = run.context();
    let args = run.args.clone();
    let (handle, watch) = match &run.target.task.call {
        TaskCall::Sync(function) => {
            let function = function.clone();
            let watch = run.watch_thread(runtime);
            let span = run.span();
            (
                runtime.spawn_blocking(move || span.in_scope(|| function(context, args))),
                watch,
            )
        }
        TaskCall::Async(function) => {
            use tracing::Instrument;
            let deadline = run.deadline();
            let span = run.span();
            let future = run.within_limit(function(context, args), deadline);
            (runtime.spawn(future.instrument(span)), None)
        }
    };
    runtime.spawn(async move {
        let outcome = match handle.await {
            Ok(result) => RunOutcome::from_result(result),
            Err(error) if error.is_panic() => RunOutcome::from_panic(error.into_panic()),
            Err(_) => RunOutcome::error("the run was cancelled at shutdown"),
        };
        run.finish_watched(watch, outcome);
    });
}
