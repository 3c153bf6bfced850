//! Tasks: the named functions that jobs call, and the context of one run.
//!
//! A persistent store keeps a task's *name*, never its code: a program that
//! restarts registers the same names with [`Tasks::register`] or
//! [`Tasks::register_async`] and its stored jobs come back. A job may also
//! hold a closure ([`JobTask::closure`]), but only in the memory store.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use jiff::{SignedDuration, Timestamp};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::sync::{lock, read, write};

mod command;
mod identity;

pub(crate) use self::command::exit_description;
pub(crate) use self::command::run as run_command;

/// What the [`COMMAND`] task's output tells the run history.
pub(crate) fn command_detail(output: &CommandOutput) -> RunDetail {
    serde_json::to_value(output)
        .map(|value| command::success_detail(&value))
        .unwrap_or_default()
}
pub use self::command::{
    BASE_ENV, CANCEL_GRACE, COMMAND, CommandArgs, CommandOutput, InheritEnv, PROCESS_WORKER_ENV,
};

/// What a run gives back: its return value as JSON, or its error.
pub type RunResult = std::result::Result<Value, RunError>;

/// What a run tells its history beyond its result: the exit status and the
/// end of the output of a program it ran (the [`COMMAND`] task fills it;
/// it is empty for other tasks). It ends up in
/// [`RunRecord::exit_status`](crate::history::RunRecord::exit_status) and
/// [`RunRecord::output`](crate::history::RunRecord::output).
///
/// ```
/// use tempora::task::RunDetail;
///
/// let detail = RunDetail::default().exit_status(3).output("disk full\n");
/// assert_eq!(detail.exit_status, Some(3));
/// assert_eq!(detail.output.as_deref(), Some("disk full\n"));
/// assert!(!RunDetail::default().is_some());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunDetail {
    /// The exit status of the program, when it exited (not when a signal
    /// killed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<i32>,
    /// The end of its output: the tail of its standard output, then the
    /// tail of its standard error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

impl RunDetail {
    /// The same detail with the program's exit status.
    pub fn exit_status(mut self, status: i32) -> RunDetail {
        self.exit_status = Some(status);
        self
    }

    /// The same detail with the end of the program's output.
    pub fn output(mut self, output: impl Into<String>) -> RunDetail {
        self.output = Some(output.into());
        self
    }

    /// True when it holds anything.
    pub fn is_some(&self) -> bool {
        self.exit_status.is_some() || self.output.is_some()
    }
}

/// How a run failed: its error text, whether it ran out of time, and what
/// the program it ran (if any) left behind.
///
/// A task's own error type becomes a `RunError` through its `Display`
/// text; the built-in [`COMMAND`] task also fills [`RunError::detail`] and
/// [`RunError::timed_out`], which the run history keeps.
///
/// ```
/// use tempora::task::{RunDetail, RunError};
///
/// let error = RunError::new("backup: disk full")
///     .with_detail(RunDetail::default().exit_status(1));
/// assert_eq!(error.to_string(), "backup: disk full");
/// assert_eq!(error.detail.exit_status, Some(1));
/// assert!(!error.timed_out);
/// assert!(RunError::new("too slow").timed_out().timed_out);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunError {
    /// The error text.
    pub message: String,
    /// True when the run was stopped for running past its time limit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// The program's exit status and output, for the run history.
    #[serde(default, skip_serializing_if = "is_empty_detail")]
    pub detail: RunDetail,
}

fn is_empty_detail(detail: &RunDetail) -> bool {
    !detail.is_some()
}

impl RunError {
    /// An error with this text and nothing more.
    pub fn new(message: impl Into<String>) -> RunError {
        RunError {
            message: message.into(),
            timed_out: false,
            detail: RunDetail::default(),
        }
    }

    /// The same error, marked as a run stopped at its time limit.
    pub fn timed_out(mut self) -> RunError {
        self.timed_out = true;
        self
    }

    /// The same error with `detail`.
    pub fn with_detail(mut self, detail: RunDetail) -> RunError {
        self.detail = detail;
        self
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunError {}

impl From<String> for RunError {
    fn from(message: String) -> RunError {
        RunError::new(message)
    }
}

impl From<&str> for RunError {
    fn from(message: &str) -> RunError {
        RunError::new(message)
    }
}

/// A boxed future of a run's result, as async tasks return.
pub type RunFuture = Pin<Box<dyn Future<Output = RunResult> + Send + 'static>>;

type SyncFn = dyn Fn(JobContext, Value) -> RunResult + Send + Sync;
type AsyncFn = dyn Fn(JobContext, Value) -> RunFuture + Send + Sync;
type ArgsCheck = dyn Fn(&Value) -> std::result::Result<(), String> + Send + Sync;
type FallbackFn = dyn Fn(&str, JobContext, Value) -> RunResult + Send + Sync;

/// The context of one run, passed to the task: which job and fire times it
/// is for, which attempt, on which node, under which id, and whether it is
/// asked to stop.
///
/// ```
/// use tempora::task::JobContext;
///
/// let context = JobContext::new("nightly", vec!["2026-01-01T00:00:00Z".parse()?]);
/// assert_eq!(context.job_id(), "nightly");
/// assert_eq!(context.scheduled_run_time().map(|t| t.to_string()).as_deref(), Some("2026-01-01T00:00:00Z"));
/// assert_eq!(context.scheduled_time().to_string(), "2026-01-01T00:00:00Z");
/// assert_eq!(context.attempt(), 1);
/// assert_eq!(context.run_id().len(), 32);
/// assert!(!context.is_cancelled());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct JobContext {
    job_id: Arc<str>,
    scheduled_run_times: ScheduledTimes,
    attempt: u32,
    node: Arc<str>,
    /// The run's own scope, which also reaches the scheduler's signals.
    run: Arc<RunScope>,
}

/// The fire times a run covers, as its context keeps them: most runs cover
/// one, held in place (a context is made for every run, on the thread
/// that runs it); several are shared by the context's copies.
#[derive(Debug, Clone)]
enum ScheduledTimes {
    One([Timestamp; 1]),
    Many(Arc<[Timestamp]>),
}

impl ScheduledTimes {
    fn new(times: &[Timestamp]) -> ScheduledTimes {
        match times {
            [time] => ScheduledTimes::One([*time]),
            times => ScheduledTimes::Many(Arc::from(times)),
        }
    }

    fn as_slice(&self) -> &[Timestamp] {
        match self {
            ScheduledTimes::One(time) => time,
            ScheduledTimes::Many(times) => times,
        }
    }
}

/// What a scheduler asks of its runs, shared by all of them: to stop
/// (cancellation) and to finish soon (stopping).
#[derive(Debug, Default)]
pub(crate) struct RunSignals {
    pub(crate) cancellation: CancellationToken,
    pub(crate) stopping: CancellationToken,
}

/// What one run holds alone, shared by every copy of its context and by
/// the executor running it: its own cancellation (the scheduler's reaches
/// it too, so a shutdown cancels it; [`RunScope::cancel`] cancels this run
/// alone), its id, and whether it was stopped at its time limit.
///
/// Most runs are never cancelled and nothing waits for them to be: the
/// scope then takes no lock and makes no token (a token of its own, a child
/// of the scheduler's, is made the first time something waits).
#[derive(Debug, Default)]
pub(crate) struct RunScope {
    /// The scheduler's signals: its cancellation is this run's too.
    signals: Arc<RunSignals>,
    /// Set when this run alone is cancelled.
    cancelled: AtomicBool,
    /// The token that waits complete on, made at the first wait.
    token: Mutex<Option<CancellationToken>>,
    /// Made at the first ask: most runs never read it.
    run_id: OnceLock<Arc<str>>,
    /// The run's time limit, when it has one.
    timeout: Option<SignedDuration>,
    /// Set when the run was cancelled at its time limit.
    timed_out: AtomicBool,
    /// Why the run was cancelled alone, when the scheduler said (its job's
    /// overlap policy replaced it).
    cancelled_because: OnceLock<Arc<str>>,
}

impl RunScope {
    /// The scope of a run that the scheduler starts: cancelled with the
    /// scheduler's `signals`, with the job's time limit.
    pub(crate) fn child_of(signals: &Arc<RunSignals>, timeout: Option<SignedDuration>) -> RunScope {
        // Every field given: a default scope would make (and drop) tokens
        // of its own.
        RunScope {
            signals: Arc::clone(signals),
            cancelled: AtomicBool::new(false),
            token: Mutex::new(None),
            run_id: OnceLock::new(),
            timeout,
            timed_out: AtomicBool::new(false),
            cancelled_because: OnceLock::new(),
        }
    }

    /// The scope of a run whose id was made elsewhere (a process pool's
    /// worker receives it with the run).
    pub(crate) fn with_id(run_id: Option<String>, timeout: Option<SignedDuration>) -> RunScope {
        let scope = RunScope {
            timeout,
            ..RunScope::default()
        };
        if let Some(run_id) = run_id {
            // A new cell is empty: the set cannot fail.
            let _ = scope.run_id.set(Arc::from(run_id));
        }
        scope
    }

    /// The run's id, made at the first ask (a random UUID, 32 hex digits).
    pub(crate) fn run_id(&self) -> &Arc<str> {
        self.run_id.get_or_init(|| {
            let mut text = [0; uuid::fmt::Simple::LENGTH];
            Arc::from(&*uuid::Uuid::new_v4().simple().encode_lower(&mut text))
        })
    }

    /// The run's time limit.
    pub(crate) fn timeout(&self) -> Option<SignedDuration> {
        self.timeout
    }

    /// True once this run is asked to stop, alone or with every run.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst) || self.signals.cancellation.is_cancelled()
    }

    /// Completes when this run is asked to stop, alone or with every run.
    pub(crate) async fn cancelled(&self) {
        let token = lock(&self.token)
            .get_or_insert_with(|| self.signals.cancellation.child_token())
            .clone();
        // Read after the token is in place: a cancellation that came
        // before found no token to cancel, and is seen here instead.
        if self.cancelled.load(Ordering::SeqCst) {
            return;
        }
        token.cancelled().await;
    }

    /// Asks this run alone to stop.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        if let Some(token) = &*lock(&self.token) {
            token.cancel();
        }
    }

    /// Asks this run to stop because it reached its time limit.
    pub(crate) fn cancel_timed_out(&self) {
        self.timed_out.store(true, Ordering::SeqCst);
        self.cancel();
    }

    /// True once the run was cancelled at its time limit.
    pub(crate) fn is_timed_out(&self) -> bool {
        self.timed_out.load(Ordering::SeqCst)
    }

    /// Asks this run alone to stop, saying why (the first reason given
    /// stays).
    pub(crate) fn cancel_because(&self, reason: &str) {
        let _ = self.cancelled_because.set(Arc::from(reason));
        self.cancel();
    }

    /// Why the run was cancelled alone, if [`RunScope::cancel_because`]
    /// said.
    pub(crate) fn cancel_reason(&self) -> Option<&Arc<str>> {
        self.cancelled_because.get()
    }
}

impl JobContext {
    /// A context for job `job_id` covering `scheduled_run_times`; useful for
    /// calling a task directly in a test. It is a first attempt, on node
    /// `""`, with a run id of its own, and nothing cancels it.
    pub fn new(job_id: &str, scheduled_run_times: Vec<Timestamp>) -> JobContext {
        JobContext::for_run(
            Arc::from(job_id),
            &scheduled_run_times,
            Arc::from(""),
            Arc::default(),
        )
    }

    /// The context of a run the scheduler starts on node `node`, with the
    /// run's own `run` scope (which reaches the scheduler's signals); a
    /// first attempt until [`JobContext::with_attempt`] says otherwise.
    pub(crate) fn for_run(
        job_id: Arc<str>,
        scheduled_run_times: &[Timestamp],
        node: Arc<str>,
        run: Arc<RunScope>,
    ) -> JobContext {
        JobContext {
            job_id,
            scheduled_run_times: ScheduledTimes::new(scheduled_run_times),
            attempt: 1,
            node,
            run,
        }
    }

    /// The same context for attempt `attempt` (1 for a first run, 2 for
    /// the first retry, ...); 0 counts as 1.
    pub(crate) fn with_attempt(mut self, attempt: u32) -> JobContext {
        self.attempt = attempt.max(1);
        self
    }

    /// The id of the job this run belongs to.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// The scheduled fire times this run covers, oldest first: one, or
    /// several when the job coalesces missed runs into one.
    pub fn scheduled_run_times(&self) -> &[Timestamp] {
        self.scheduled_run_times.as_slice()
    }

    /// The latest scheduled fire time this run covers.
    pub fn scheduled_run_time(&self) -> Option<Timestamp> {
        self.scheduled_run_times.as_slice().last().copied()
    }

    /// The logical time of the run: the latest scheduled fire time it
    /// covers (a run of several coalesced fire times stands for the
    /// latest), the same on every node and every attempt, so a task can
    /// use it to be idempotent per fire time. A run now
    /// ([`run_job_now`](crate::scheduler::AsyncScheduler::run_job_now)) is
    /// scheduled at the time it was asked for. The Unix epoch for a
    /// context built by [`JobContext::new`] with no fire times.
    ///
    /// ```
    /// use tempora::task::JobContext;
    ///
    /// let times = vec!["2026-01-01T00:00:00Z".parse()?, "2026-01-01T00:05:00Z".parse()?];
    /// let context = JobContext::new("sync", times);
    /// assert_eq!(context.scheduled_time().to_string(), "2026-01-01T00:05:00Z");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scheduled_time(&self) -> Timestamp {
        self.scheduled_run_time().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Which attempt at this fire time the run is: 1 for a first run,
    /// more when it is a retry.
    ///
    /// ```
    /// use tempora::task::JobContext;
    ///
    /// assert_eq!(JobContext::new("sync", vec![]).attempt(), 1);
    /// ```
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The id of this run: a random UUID as 32 lowercase hex digits,
    /// different for every run (every attempt too), the same for every
    /// copy of the context. Logs and outside systems can tell runs apart
    /// by it; for a key that is the same on every retry, use the job id
    /// and [`JobContext::scheduled_time`].
    ///
    /// ```
    /// use tempora::task::JobContext;
    ///
    /// let context = JobContext::new("sync", vec![]);
    /// assert_eq!(context.run_id(), context.clone().run_id());
    /// assert_ne!(context.run_id(), JobContext::new("sync", vec![]).run_id());
    /// assert!(context.run_id().chars().all(|c| c.is_ascii_hexdigit()));
    /// ```
    pub fn run_id(&self) -> &str {
        self.run.run_id()
    }

    /// The node id of the scheduler running this run
    /// ([`SchedulerBuilder::node_id`](crate::scheduler::SchedulerBuilder::node_id));
    /// empty for a context built by [`JobContext::new`].
    ///
    /// ```
    /// use tempora::task::JobContext;
    ///
    /// assert_eq!(JobContext::new("sync", vec![]).node(), "");
    /// ```
    pub fn node(&self) -> &str {
        &self.node
    }

    /// True once this run is asked to stop: at shutdown, at its job's
    /// time limit (`timeout`), or when the scheduler cancels this run
    /// alone. Each run has a cancellation of its own, a child of the
    /// scheduler's. Tasks that run long should check it and return early;
    /// a sync task cannot be stopped otherwise.
    ///
    /// ```
    /// use tempora::task::JobContext;
    ///
    /// let context = JobContext::new("sync", vec![]);
    /// assert!(!context.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.run.is_cancelled()
    }

    /// Completes when this run is asked to stop (see
    /// [`JobContext::is_cancelled`]).
    ///
    /// ```
    /// use tempora::task::JobContext;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let context = JobContext::new("sync", vec![]);
    /// tokio::select! {
    ///     () = context.cancelled() => unreachable!("nothing cancels this context"),
    ///     () = std::future::ready(()) => {}
    /// }
    /// # });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses nothing.
    pub async fn cancelled(&self) {
        self.run.cancelled().await;
    }

    /// True once this run was cancelled because it reached its job's
    /// time limit (`timeout`).
    ///
    /// ```
    /// use tempora::task::JobContext;
    ///
    /// assert!(!JobContext::new("sync", vec![]).is_timed_out());
    /// ```
    pub fn is_timed_out(&self) -> bool {
        self.run.is_timed_out()
    }

    /// The run's own scope: its cancellation and time limit.
    pub(crate) fn scope(&self) -> &Arc<RunScope> {
        &self.run
    }

    /// True once the scheduler itself (not this run alone) is cancelling
    /// its runs: a shutdown.
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.run.signals.cancellation.is_cancelled()
    }

    /// True once the scheduler is shutting down with a time limit
    /// ([`SchedulerBuilder::shutdown_timeout`](crate::scheduler::SchedulerBuilder::shutdown_timeout)):
    /// the run should finish soon, before it is cancelled at that limit.
    /// The [`COMMAND`] task sends its program's process group `SIGTERM`
    /// then. A run that ends after this is recorded as interrupted, and
    /// retried at the scheduler's next start when its job says
    /// `on_interrupted = "retry"`.
    ///
    /// ```
    /// use tempora::task::JobContext;
    ///
    /// let context = JobContext::new("nightly", vec![]);
    /// assert!(!context.is_stopping());
    /// ```
    pub fn is_stopping(&self) -> bool {
        self.run.signals.stopping.is_cancelled()
    }

    /// Completes when the scheduler asks this run to finish soon (see
    /// [`JobContext::is_stopping`]).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses nothing.
    pub async fn stopping(&self) {
        self.run.signals.stopping.cancelled().await;
    }
}

/// The callable part of a task: sync or async, with its arguments as JSON,
/// and the name it is registered under (`None` for a closure), which a
/// process pool sends to its worker processes instead of the code.
#[derive(Clone)]
pub(crate) struct TaskFn {
    name: Option<Arc<str>>,
    pub(crate) call: TaskCall,
    /// What a successful run's return value tells the run history (the
    /// [`COMMAND`] task's exit status and output); `None` for tasks whose
    /// value tells nothing.
    success_detail: Option<fn(&Value) -> RunDetail>,
    /// The task ends itself soon after its run is cancelled and reports a
    /// time-out itself (the [`COMMAND`] task kills its program and keeps
    /// its output): at the time limit its future is cancelled and awaited,
    /// not dropped.
    pub(crate) stops_itself: bool,
}

/// How a task is called.
#[derive(Clone)]
pub(crate) enum TaskCall {
    /// Runs on a thread (the thread pool, or tokio's blocking pool).
    Sync(Arc<SyncFn>),
    /// Runs as a future.
    Async(Arc<AsyncFn>),
}

impl fmt::Debug for TaskFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.call {
            TaskCall::Sync(_) => "sync",
            TaskCall::Async(_) => "async",
        };
        match &self.name {
            Some(name) => write!(f, "TaskFn({name:?}, {kind})"),
            None => write!(f, "TaskFn(<closure>, {kind})"),
        }
    }
}

fn output<R: Serialize, E: fmt::Display>(result: std::result::Result<R, E>) -> RunResult {
    match result {
        Ok(value) => return_value(value),
        Err(error) => Err(RunError::new(error.to_string())),
    }
}

fn return_value<R: Serialize>(value: R) -> RunResult {
    serde_json::to_value(value)
        .map_err(|error| RunError::new(format!("return value: cannot be serialized: {error}")))
}

fn parse_args<A: DeserializeOwned>(args: Value) -> std::result::Result<A, RunError> {
    serde_json::from_value(args).map_err(|error| RunError::new(format!("args: {error}")))
}

impl TaskFn {
    fn unnamed(call: TaskCall) -> TaskFn {
        TaskFn {
            name: None,
            call,
            success_detail: None,
            stops_itself: false,
        }
    }

    /// The name the task is registered under; `None` for a closure.
    pub(crate) fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// What the return value `value` of a successful run tells the run
    /// history.
    pub(crate) fn success_detail(&self, value: &Value) -> RunDetail {
        self.success_detail
            .map(|detail| detail(value))
            .unwrap_or_default()
    }

    /// The built-in [`NOTIFY`](crate::notify::NOTIFY) task, which delivers
    /// a notice: its result says what the receiver answered.
    fn notify() -> TaskFn {
        TaskFn {
            name: Some(Arc::from(crate::notify::NOTIFY)),
            call: TaskCall::Async(Arc::new(|context, args| {
                Box::pin(crate::notify::deliver(context, args))
            })),
            success_detail: Some(crate::notify::success_detail),
            stops_itself: false,
        }
    }

    /// The built-in [`COMMAND`] task: its error carries the program's exit
    /// status and output, and so does its return value.
    fn command() -> TaskFn {
        TaskFn {
            name: None,
            call: TaskCall::Async(Arc::new(|context, args| {
                Box::pin(async move {
                    let args: CommandArgs = parse_args(args)?;
                    return_value(command::run(context, args).await?)
                })
            })),
            success_detail: Some(command::success_detail),
            stops_itself: true,
        }
    }

    fn sync<A, R, E, F>(function: F) -> TaskFn
    where
        A: DeserializeOwned,
        R: Serialize,
        E: fmt::Display,
        F: Fn(JobContext, A) -> std::result::Result<R, E> + Send + Sync + 'static,
    {
        TaskFn::unnamed(TaskCall::Sync(Arc::new(move |context, args| {
            output(function(context, parse_args(args)?))
        })))
    }

    fn asynchronous<A, R, E, F, Fut>(function: F) -> TaskFn
    where
        A: DeserializeOwned,
        R: Serialize,
        E: fmt::Display,
        F: Fn(JobContext, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<R, E>> + Send + 'static,
    {
        let function = Arc::new(function);
        TaskFn::unnamed(TaskCall::Async(Arc::new(move |context, args| {
            let function = Arc::clone(&function);
            let future = parse_args(args).map(|args| function(context, args));
            Box::pin(async move { output(future?.await) })
        })))
    }
}

/// What a job calls: a registered task by name, or a closure (memory store
/// only).
///
/// ```
/// use tempora::task::JobTask;
///
/// let named = JobTask::named("send_report");
/// assert_eq!(named.name(), Some("send_report"));
///
/// let inline = JobTask::closure(|context| {
///     println!("running {}", context.job_id());
///     Ok::<(), String>(())
/// });
/// assert_eq!(inline.name(), None);
/// ```
#[derive(Clone)]
pub struct JobTask {
    kind: JobTaskKind,
}

#[derive(Clone)]
enum JobTaskKind {
    Named(Arc<str>),
    /// Shared, so that a job (and a copy of it) stays small.
    Closure(Arc<TaskFn>),
}

impl fmt::Debug for JobTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            JobTaskKind::Named(name) => write!(f, "JobTask::named({name:?})"),
            JobTaskKind::Closure(_) => f.write_str("JobTask::closure(..)"),
        }
    }
}

impl fmt::Display for JobTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            JobTaskKind::Named(name) => f.write_str(name),
            JobTaskKind::Closure(_) => f.write_str("<closure>"),
        }
    }
}

impl JobTask {
    /// The task registered under `name`.
    pub fn named(name: impl AsRef<str>) -> JobTask {
        JobTask {
            kind: JobTaskKind::Named(Arc::from(name.as_ref())),
        }
    }

    /// A plain closure, run on a thread. Only the memory store can hold it:
    /// a persistent store refuses the job and asks for a registered task.
    pub fn closure<R, E, F>(function: F) -> JobTask
    where
        R: Serialize,
        E: fmt::Display,
        F: Fn(JobContext) -> std::result::Result<R, E> + Send + Sync + 'static,
    {
        JobTask {
            kind: JobTaskKind::Closure(Arc::new(TaskFn::unnamed(TaskCall::Sync(Arc::new(
                move |context, _| output(function(context)),
            ))))),
        }
    }

    /// An async closure, run as a future. Memory store only, as
    /// [`JobTask::closure`].
    pub fn async_closure<R, E, F, Fut>(function: F) -> JobTask
    where
        R: Serialize,
        E: fmt::Display,
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<R, E>> + Send + 'static,
    {
        let function = Arc::new(function);
        JobTask {
            kind: JobTaskKind::Closure(Arc::new(TaskFn::unnamed(TaskCall::Async(Arc::new(
                move |context, _| {
                    let function = Arc::clone(&function);
                    Box::pin(async move { output(function(context).await) })
                },
            ))))),
        }
    }

    /// The registered name, or `None` for a closure.
    pub fn name(&self) -> Option<&str> {
        self.shared_name().map(|name| &**name)
    }

    /// The registered name as shared with every copy of the task.
    pub(crate) fn shared_name(&self) -> Option<&Arc<str>> {
        match &self.kind {
            JobTaskKind::Named(name) => Some(name),
            JobTaskKind::Closure(_) => None,
        }
    }
}

/// The task of a job compares by name; two closures are never equal.
impl PartialEq for JobTask {
    fn eq(&self, other: &JobTask) -> bool {
        match (&self.kind, &other.kind) {
            (JobTaskKind::Named(a), JobTaskKind::Named(b)) => a == b,
            (JobTaskKind::Closure(_), JobTaskKind::Closure(_)) => false,
            _ => false,
        }
    }
}

struct Registered {
    function: TaskFn,
    check_args: Arc<ArgsCheck>,
}

/// The registry of named tasks. Clones share one registry.
///
/// A new registry holds the built-in [`COMMAND`] task, which runs a program
/// (see [`CommandArgs`]); registering another task under that name
/// replaces it.
///
/// ```
/// use serde::Deserialize;
/// use tempora::task::{JobContext, Tasks};
///
/// #[derive(Deserialize)]
/// struct Report {
///     to: String,
/// }
///
/// let tasks = Tasks::new();
/// tasks.register("send_report", |_context: JobContext, report: Report| {
///     println!("sending to {}", report.to);
///     Ok::<(), String>(())
/// });
/// assert!(tasks.contains("send_report"));
/// // Arguments are checked against the task's type when a job is added.
/// assert!(tasks.check_args("send_report", &serde_json::json!({"to": "ops"})).is_ok());
/// let error = tasks.check_args("send_report", &serde_json::json!({"too": 1})).unwrap_err();
/// assert_eq!(error.field(), Some("args"));
/// assert_eq!(tasks.names(), ["command", "send_report"]);
/// ```
#[derive(Clone)]
pub struct Tasks {
    registered: Arc<RwLock<HashMap<String, Registered>>>,
    /// Runs the jobs whose task has no registration, given its name.
    fallback: Arc<RwLock<Option<Arc<FallbackFn>>>>,
}

impl fmt::Debug for Tasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let registered = read(&self.registered);
        let mut names: Vec<&String> = registered.keys().collect();
        names.sort();
        f.debug_struct("Tasks")
            .field("names", &names)
            .field("fallback", &read(&self.fallback).is_some())
            .finish()
    }
}

fn args_check<A: DeserializeOwned>() -> Arc<ArgsCheck> {
    Arc::new(|args: &Value| {
        A::deserialize(args)
            .map(drop)
            .map_err(|error| error.to_string())
    })
}

impl Default for Tasks {
    /// The same as [`Tasks::new`]: the built-in tasks only.
    fn default() -> Tasks {
        Tasks::new()
    }
}

impl Tasks {
    /// A registry holding the built-in tasks only: [`COMMAND`].
    pub fn new() -> Tasks {
        let tasks = Tasks {
            registered: Arc::default(),
            fallback: Arc::default(),
        };
        tasks.insert(
            COMMAND.to_owned(),
            TaskFn::command(),
            args_check::<CommandArgs>(),
        );
        tasks
    }

    /// Registers a sync task under `name`, replacing any task of that name.
    /// It takes the run's [`JobContext`] and its arguments, deserialized
    /// from the job's JSON `args` into `A`; what it returns is serialized
    /// into the run's result.
    pub fn register<A, R, E, F>(&self, name: impl Into<String>, function: F)
    where
        A: DeserializeOwned + 'static,
        R: Serialize,
        E: fmt::Display,
        F: Fn(JobContext, A) -> std::result::Result<R, E> + Send + Sync + 'static,
    {
        self.insert(name.into(), TaskFn::sync(function), args_check::<A>());
    }

    /// Registers an async task under `name`, as [`Tasks::register`].
    ///
    /// ```
    /// use tempora::task::{JobContext, Tasks};
    ///
    /// let tasks = Tasks::new();
    /// tasks.register_async("ping", |_context: JobContext, host: String| async move {
    ///     Ok::<String, String>(format!("pinged {host}"))
    /// });
    /// assert!(tasks.contains("ping"));
    /// ```
    pub fn register_async<A, R, E, F, Fut>(&self, name: impl Into<String>, function: F)
    where
        A: DeserializeOwned + 'static,
        R: Serialize,
        E: fmt::Display,
        F: Fn(JobContext, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<R, E>> + Send + 'static,
    {
        self.insert(
            name.into(),
            TaskFn::asynchronous(function),
            args_check::<A>(),
        );
    }

    /// Registers the fallback task: it runs every job whose task has no
    /// registration, and is given the task's name with the run's context
    /// and the job's arguments as JSON. It replaces the fallback set
    /// before.
    ///
    /// This is how a program resolves task names it cannot list in
    /// advance, as APScheduler resolves a `"package.module:function"`
    /// reference when a stored job runs: a scheduler restarted on a store
    /// of many jobs need not read them all to register their tasks. With a
    /// fallback, [`Tasks::contains`] is true for every name and
    /// [`Tasks::check_args`] accepts any arguments for a name without a
    /// registration.
    ///
    /// ```
    /// use serde_json::{Value, json};
    /// use tempora::task::{JobContext, Tasks};
    ///
    /// let tasks = Tasks::new();
    /// assert!(!tasks.contains("reports:weekly"));
    /// tasks.register_fallback(|task: &str, _context: JobContext, args: Value| {
    ///     match task.split_once(':') {
    ///         Some((module, function)) => Ok(json!({"called": [module, function], "with": args})),
    ///         None => Err(format!("task: {task:?} is not a \"module:function\" reference")),
    ///     }
    /// });
    /// assert!(tasks.contains("reports:weekly"));
    /// assert!(tasks.check_args("reports:weekly", &json!([1, 2])).is_ok());
    /// // Registered names are listed; what the fallback runs is not.
    /// assert_eq!(tasks.names(), ["command"]);
    /// ```
    pub fn register_fallback<R, E, F>(&self, function: F)
    where
        R: Serialize,
        E: fmt::Display,
        F: Fn(&str, JobContext, Value) -> std::result::Result<R, E> + Send + Sync + 'static,
    {
        let fallback: Arc<FallbackFn> =
            Arc::new(move |task: &str, context, args| output(function(task, context, args)));
        *write(&self.fallback) = Some(fallback);
    }

    fn insert(&self, name: String, function: TaskFn, check_args: Arc<ArgsCheck>) {
        write(&self.registered).insert(
            name,
            Registered {
                function,
                check_args,
            },
        );
    }

    /// True when a task is registered under `name`, `name` is the
    /// built-in [`NOTIFY`](crate::notify::NOTIFY) task (which every
    /// registry knows without listing it), or a fallback task
    /// ([`Tasks::register_fallback`]) runs every name.
    pub fn contains(&self, name: &str) -> bool {
        name == crate::notify::NOTIFY
            || read(&self.registered).contains_key(name)
            || read(&self.fallback).is_some()
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = read(&self.registered).keys().cloned().collect();
        names.sort();
        names
    }

    /// Checks that `args` deserialize into the arguments of task `name`.
    ///
    /// # Errors
    ///
    /// Field `task` when no task has that name and no fallback is
    /// registered; field `args` when the arguments do not fit the task's
    /// type.
    pub fn check_args(&self, name: &str, args: &Value) -> Result<()> {
        let registered = read(&self.registered);
        let Some(task) = registered.get(name) else {
            if read(&self.fallback).is_some() {
                // The fallback takes any JSON.
                return Ok(());
            }
            return Err(Error::task_not_registered(name));
        };
        (task.check_args)(args).map_err(|message| {
            Error::invalid(
                "args",
                format!("{args} does not fit task {name:?}: {message}"),
            )
        })
    }

    pub(crate) fn resolve(&self, task: &JobTask) -> Result<TaskFn> {
        match &task.kind {
            JobTaskKind::Closure(function) => Ok(TaskFn::clone(function)),
            JobTaskKind::Named(name) => match read(&self.registered).get(&**name) {
                Some(registered) => Ok(TaskFn {
                    name: Some(Arc::clone(name)),
                    ..registered.function.clone()
                }),
                // Built in below the registry: every scheduler delivers
                // notices, whatever its program registered.
                None if **name == *crate::notify::NOTIFY => Ok(TaskFn::notify()),
                None => match read(&self.fallback).as_ref() {
                    Some(fallback) => {
                        let fallback = Arc::clone(fallback);
                        let task = Arc::clone(name);
                        Ok(TaskFn {
                            name: Some(Arc::clone(name)),
                            ..TaskFn::unnamed(TaskCall::Sync(Arc::new(move |context, args| {
                                fallback(&task, context, args)
                            })))
                        })
                    }
                    None => Err(Error::task_not_registered(name)),
                },
            },
        }
    }
}
