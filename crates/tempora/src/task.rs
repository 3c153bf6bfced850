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
use std::sync::{Arc, PoisonError, RwLock};

use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

mod command;

pub(crate) use self::command::exit_description;
pub use self::command::{COMMAND, CommandArgs, CommandOutput};

/// What a run gives back: its return value as JSON, or its error as text.
pub type RunResult = std::result::Result<Value, String>;

/// A boxed future of a run's result, as async tasks return.
pub type RunFuture = Pin<Box<dyn Future<Output = RunResult> + Send + 'static>>;

type SyncFn = dyn Fn(JobContext, Value) -> RunResult + Send + Sync;
type AsyncFn = dyn Fn(JobContext, Value) -> RunFuture + Send + Sync;
type ArgsCheck = dyn Fn(&Value) -> std::result::Result<(), String> + Send + Sync;

/// The context of one run, passed to the task.
///
/// ```
/// use tempora::task::JobContext;
///
/// let context = JobContext::new("nightly", vec!["2026-01-01T00:00:00Z".parse()?]);
/// assert_eq!(context.job_id(), "nightly");
/// assert_eq!(context.scheduled_run_time().map(|t| t.to_string()).as_deref(), Some("2026-01-01T00:00:00Z"));
/// assert!(!context.is_cancelled());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct JobContext {
    job_id: Arc<str>,
    scheduled_run_times: Arc<[Timestamp]>,
    cancellation: CancellationToken,
}

impl JobContext {
    /// A context for job `job_id` covering `scheduled_run_times`; useful for
    /// calling a task directly in a test.
    pub fn new(job_id: &str, scheduled_run_times: Vec<Timestamp>) -> JobContext {
        JobContext {
            job_id: Arc::from(job_id),
            scheduled_run_times: Arc::from(scheduled_run_times),
            cancellation: CancellationToken::new(),
        }
    }

    pub(crate) fn with_cancellation(mut self, cancellation: CancellationToken) -> JobContext {
        self.cancellation = cancellation;
        self
    }

    /// The id of the job this run belongs to.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// The scheduled fire times this run covers, oldest first: one, or
    /// several when the job coalesces missed runs into one.
    pub fn scheduled_run_times(&self) -> &[Timestamp] {
        &self.scheduled_run_times
    }

    /// The latest scheduled fire time this run covers.
    pub fn scheduled_run_time(&self) -> Option<Timestamp> {
        self.scheduled_run_times.last().copied()
    }

    /// True once the scheduler asks this run to stop (at shutdown). Tasks
    /// that run long should check it and return early.
    pub fn is_cancelled(&self) -> bool {
        self.cancellation.is_cancelled()
    }

    /// Completes when the scheduler asks this run to stop.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses nothing.
    pub async fn cancelled(&self) {
        self.cancellation.cancelled().await;
    }
}

/// The callable part of a task: sync or async, with its arguments as JSON,
/// and the name it is registered under (`None` for a closure), which a
/// process pool sends to its worker processes instead of the code.
#[derive(Clone)]
pub(crate) struct TaskFn {
    name: Option<Arc<str>>,
    pub(crate) call: TaskCall,
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
        Ok(value) => serde_json::to_value(value)
            .map_err(|error| format!("return value: cannot be serialized: {error}")),
        Err(error) => Err(error.to_string()),
    }
}

fn parse_args<A: DeserializeOwned>(args: Value) -> std::result::Result<A, String> {
    serde_json::from_value(args).map_err(|error| format!("args: {error}"))
}

impl TaskFn {
    fn unnamed(call: TaskCall) -> TaskFn {
        TaskFn { name: None, call }
    }

    /// The name the task is registered under; `None` for a closure.
    pub(crate) fn name(&self) -> Option<&str> {
        self.name.as_deref()
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
    Closure(TaskFn),
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
            kind: JobTaskKind::Closure(TaskFn::unnamed(TaskCall::Sync(Arc::new(
                move |context, _| output(function(context)),
            )))),
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
            kind: JobTaskKind::Closure(TaskFn::unnamed(TaskCall::Async(Arc::new(
                move |context, _| {
                    let function = Arc::clone(&function);
                    Box::pin(async move { output(function(context).await) })
                },
            )))),
        }
    }

    /// The registered name, or `None` for a closure.
    pub fn name(&self) -> Option<&str> {
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
}

impl fmt::Debug for Tasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let registered = self
            .registered
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let mut names: Vec<&String> = registered.keys().collect();
        names.sort();
        f.debug_struct("Tasks").field("names", &names).finish()
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
        };
        tasks.register_async(COMMAND, command::run);
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

    fn insert(&self, name: String, function: TaskFn, check_args: Arc<ArgsCheck>) {
        self.registered
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                name,
                Registered {
                    function,
                    check_args,
                },
            );
    }

    /// True when a task is registered under `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.registered
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .registered
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// Checks that `args` deserialize into the arguments of task `name`.
    ///
    /// # Errors
    ///
    /// Field `task` when no task has that name; field `args` when the
    /// arguments do not fit the task's type.
    pub fn check_args(&self, name: &str, args: &Value) -> Result<()> {
        let registered = self
            .registered
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(task) = registered.get(name) else {
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
            JobTaskKind::Closure(function) => Ok(function.clone()),
            JobTaskKind::Named(name) => self
                .registered
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&**name)
                .map(|registered| TaskFn {
                    name: Some(Arc::clone(name)),
                    call: registered.function.call.clone(),
                })
                .ok_or_else(|| Error::task_not_registered(name)),
        }
    }
}
