//! Executors: where runs execute.
//!
//! An [`Executor`] is one of a closed set: a pool of threads (the default,
//! for blocking work), tokio tasks (for async work), or a pool of worker
//! processes (for CPU-heavy or crash-prone work). A scheduler holds several
//! under names; a job picks one with its `executor` option.

mod thread_pool;

use std::fmt;
use std::panic::AssertUnwindSafe;

use jiff::Timestamp;
use serde_json::Value;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::task::{JobContext, RunResult, TaskFn};

use self::thread_pool::ThreadPool;

/// How one run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// The task returned this value (JSON).
    Success(Value),
    /// The task returned an error.
    Error(String),
    /// The task panicked (or its worker process crashed) with this message.
    Panic(String),
}

impl RunOutcome {
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
    pub(crate) job_id: String,
    pub(crate) store: String,
    pub(crate) executor: String,
    pub(crate) task: TaskFn,
    pub(crate) args: Value,
    pub(crate) run_times: Vec<Timestamp>,
    pub(crate) cancellation: CancellationToken,
    pub(crate) done: Completion,
}

/// Called with the report when a run ends, on the thread that ran it.
pub(crate) type Completion = Arc<dyn Fn(RunReport) + Send + Sync>;

/// What an executor reports when a run ends.
#[derive(Debug)]
pub(crate) struct RunReport {
    pub(crate) job_id: String,
    pub(crate) store: String,
    pub(crate) executor: String,
    pub(crate) run_times: Vec<Timestamp>,
    pub(crate) outcome: RunOutcome,
}

impl Run {
    fn context(&self) -> JobContext {
        JobContext::new(&self.job_id, self.run_times.clone())
            .with_cancellation(self.cancellation.clone())
    }

    fn finish(self, outcome: RunOutcome) {
        let report = RunReport {
            job_id: self.job_id,
            store: self.store,
            executor: self.executor,
            run_times: self.run_times,
            outcome,
        };
        (self.done)(report);
    }

    /// Runs a task on the current thread, catching a panic; async tasks are
    /// driven to completion on `runtime`.
    fn run_here(self, runtime: &tokio::runtime::Handle) {
        let context = self.context();
        let args = self.args.clone();
        let outcome = match &self.task {
            TaskFn::Sync(function) => {
                let function = function.clone();
                std::panic::catch_unwind(AssertUnwindSafe(move || function(context, args)))
            }
            TaskFn::Async(function) => {
                let future = function(context, args);
                std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(future)))
            }
        };
        let outcome = match outcome {
            Ok(result) => RunOutcome::from_result(result),
            Err(payload) => RunOutcome::from_panic(payload),
        };
        self.finish(outcome);
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
/// assert_eq!(Executor::thread_pool(0).unwrap_err().to_string(), "max_workers: 0 is not allowed: at least 1");
/// # Ok::<(), tempora::Error>(())
/// ```
pub struct Executor {
    kind: ExecutorKind,
}

enum ExecutorKind {
    ThreadPool(ThreadPool),
    AsyncTasks,
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
    /// # Errors
    ///
    /// Field `max_workers` when 0.
    pub fn thread_pool(max_workers: usize) -> Result<Executor> {
        if max_workers == 0 {
            return Err(crate::Error::invalid(
                "max_workers",
                "0 is not allowed: at least 1",
            ));
        }
        Ok(Executor {
            kind: ExecutorKind::ThreadPool(ThreadPool::new(max_workers)),
        })
    }

    /// Tokio tasks on the scheduler's runtime: async tasks run as tasks,
    /// sync tasks on tokio's blocking pool.
    pub fn async_tasks() -> Executor {
        Executor {
            kind: ExecutorKind::AsyncTasks,
        }
    }

    /// Starts `run`; its report arrives on the run's channel.
    pub(crate) fn submit(&self, run: Run, runtime: &tokio::runtime::Handle) {
        match &self.kind {
            ExecutorKind::ThreadPool(pool) => pool.submit(run, runtime),
            ExecutorKind::AsyncTasks => spawn_task(run, runtime),
        }
    }

    /// Stops taking runs; with `wait`, returns once the runs in progress
    /// have finished.
    pub(crate) fn shutdown(&self, wait: bool) {
        match &self.kind {
            ExecutorKind::ThreadPool(pool) => pool.shutdown(wait),
            ExecutorKind::AsyncTasks => {}
        }
    }
}

fn spawn_task(run: Run, runtime: &tokio::runtime::Handle) {
    let context = run.context();
    let args = run.args.clone();
    let handle = match &run.task {
        TaskFn::Sync(function) => {
            let function = function.clone();
            runtime.spawn_blocking(move || function(context, args))
        }
        TaskFn::Async(function) => runtime.spawn(function(context, args)),
    };
    runtime.spawn(async move {
        let outcome = match handle.await {
            Ok(result) => RunOutcome::from_result(result),
            Err(error) if error.is_panic() => RunOutcome::from_panic(error.into_panic()),
            Err(_) => RunOutcome::Error("the run was cancelled at shutdown".to_owned()),
        };
        run.finish(outcome);
    });
}
