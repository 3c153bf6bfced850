//! Schedulers: the conductor, in four kinds over one engine.
//!
//! | kind | runs its loop | API |
//! |---|---|---|
//! | [`BlockingScheduler`] | on the thread that calls `start`, until shutdown or SIGINT/SIGTERM | sync |
//! | [`BackgroundScheduler`] | on a thread of its own | sync, from any thread |
//! | [`AsyncScheduler`] | as a task of the tokio runtime you are in | async |
//! | [`HostScheduler`] | not at all: your event loop calls [`HostScheduler::run_pending`] | sync |
//!
//! All four are thin faces over the same engine, built by one
//! [`SchedulerBuilder`]; the sync ones share their API through
//! [`SyncScheduler`].
//!
//! ```
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::sync::Arc;
//! use tempora::clock::ManualClock;
//! use tempora::job::JobBuilder;
//! use tempora::scheduler::SchedulerBuilder;
//! use tempora::task::{JobContext, Tasks};
//! use tempora::trigger::IntervalTrigger;
//!
//! let runs = Arc::new(AtomicU32::new(0));
//! let tasks = Tasks::new();
//! let counter = Arc::clone(&runs);
//! tasks.register("count", move |_: JobContext, _: ()| {
//!     counter.fetch_add(1, Ordering::SeqCst);
//!     Ok::<(), String>(())
//! });
//!
//! let clock = ManualClock::new("2026-01-01T00:00:00Z".parse()?);
//! let scheduler = SchedulerBuilder::new()
//!     .clock(clock.clone())
//!     .timezone("UTC")
//!     .tasks(tasks)
//!     .host_driven()?;
//! let trigger = IntervalTrigger::builder().minutes(10).timezone("UTC").build()?;
//! scheduler.add_job(JobBuilder::new("count", trigger).id("counter"))?;
//! scheduler.start()?;
//!
//! // Nothing is due yet; the answer says when to call again.
//! let wake_at = scheduler.run_pending(clock.now());
//! assert_eq!(wake_at, Some("2026-01-01T00:10:00Z".parse()?));
//! clock.set(wake_at.unwrap());
//! scheduler.run_pending(clock.now());
//! scheduler.shutdown(true)?;
//! assert_eq!(runs.load(Ordering::SeqCst), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod api;
mod block_on;
mod decide;
pub(crate) mod engine;
mod plan;
mod recorder;

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

use self::engine::{Engine, Parts};
use crate::calendar::{Calendar, Exclusions};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::event::Listeners;
use crate::executor::Executor;
use crate::history::RunRetention;
use crate::job::{DEFAULT, JobDefaults};
use crate::store::{JobStore, MemoryStore};
use crate::sync::lock;
use crate::task::Tasks;
use crate::trigger::Zone;

pub use self::engine::SchedulerState;

/// The default lease on claimed jobs, and how long a node may stay silent
/// before the others take over its jobs and runs: ten seconds.
///
/// ```
/// use tempora::jiff::SignedDuration;
/// use tempora::scheduler::DEFAULT_LEASE;
///
/// assert_eq!(DEFAULT_LEASE, SignedDuration::from_secs(10));
/// ```
pub const DEFAULT_LEASE: SignedDuration = SignedDuration::from_secs(10);

/// The shortest lease a scheduler accepts: one second. A shorter one would
/// expire while a store answers a slow call, and have every node renew and
/// sweep many times a second.
///
/// ```
/// use tempora::jiff::SignedDuration;
/// use tempora::scheduler::{MIN_LEASE, SchedulerBuilder};
///
/// assert_eq!(MIN_LEASE, SignedDuration::from_secs(1));
/// let error = SchedulerBuilder::new()
///     .lease(SignedDuration::from_millis(500))
///     .host_driven()
///     .unwrap_err();
/// assert_eq!(error.to_string(), "lease: 500ms is shorter than the minimum of 1s");
/// ```
pub const MIN_LEASE: SignedDuration = SignedDuration::from_secs(1);

/// The default of [`SchedulerBuilder::store_recheck_interval`]: thirty
/// seconds.
///
/// ```
/// use tempora::jiff::SignedDuration;
/// use tempora::scheduler::DEFAULT_STORE_RECHECK_INTERVAL;
///
/// assert_eq!(DEFAULT_STORE_RECHECK_INTERVAL, SignedDuration::from_secs(30));
/// ```
pub const DEFAULT_STORE_RECHECK_INTERVAL: SignedDuration = SignedDuration::from_secs(30);

/// The default of [`SchedulerBuilder::store_poll_interval`]: one second.
///
/// ```
/// use tempora::jiff::SignedDuration;
/// use tempora::scheduler::DEFAULT_STORE_POLL_INTERVAL;
///
/// assert_eq!(DEFAULT_STORE_POLL_INTERVAL, SignedDuration::from_secs(1));
/// ```
pub const DEFAULT_STORE_POLL_INTERVAL: SignedDuration = SignedDuration::from_secs(1);

/// Builds any kind of scheduler. Whatever is not set has a default: the
/// system clock and zone, an empty task registry, a memory store and a
/// pool of 10 threads, both named `"default"`.
///
/// ```
/// use tempora::executor::Executor;
/// use tempora::job::{JobDefaults, MisfireGraceTime};
/// use tempora::scheduler::SchedulerBuilder;
/// use tempora::store::MemoryStore;
///
/// let scheduler = SchedulerBuilder::new()
///     .timezone("Europe/Berlin")
///     .store("volatile", MemoryStore::new())
///     .executor("cpu", Executor::thread_pool(2)?)
///     .job_defaults(JobDefaults { max_instances: 3, ..JobDefaults::default() })
///     .background()?;
/// assert_eq!(scheduler.timezone().name(), "Europe/Berlin");
/// # Ok::<(), tempora::Error>(())
/// ```
pub struct SchedulerBuilder {
    clock: Arc<dyn Clock>,
    timezone: Result<Zone>,
    tasks: Tasks,
    defaults: JobDefaults,
    node: Option<String>,
    lease: SignedDuration,
    shutdown_timeout: Option<SignedDuration>,
    retention: RunRetention,
    store_poll_interval: SignedDuration,
    store_recheck_interval: SignedDuration,
    stores: Vec<(String, Arc<dyn JobStore>)>,
    executors: Vec<(String, Executor)>,
    calendars: Exclusions,
    notify: Option<crate::notify::Notify>,
}

impl fmt::Debug for SchedulerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchedulerBuilder")
            .field("timezone", &self.timezone.as_ref().map(Zone::name).ok())
            .field("defaults", &self.defaults)
            .finish_non_exhaustive()
    }
}

impl Default for SchedulerBuilder {
    fn default() -> SchedulerBuilder {
        SchedulerBuilder::new()
    }
}

impl SchedulerBuilder {
    /// A builder with every default.
    pub fn new() -> SchedulerBuilder {
        SchedulerBuilder {
            clock: Arc::new(SystemClock),
            timezone: Ok(Zone::system()),
            tasks: Tasks::new(),
            defaults: JobDefaults::default(),
            node: None,
            lease: DEFAULT_LEASE,
            shutdown_timeout: None,
            retention: RunRetention::default(),
            store_poll_interval: DEFAULT_STORE_POLL_INTERVAL,
            store_recheck_interval: DEFAULT_STORE_RECHECK_INTERVAL,
            stores: Vec::new(),
            executors: Vec::new(),
            calendars: Exclusions::new(),
            notify: None,
        }
    }

    /// Where "now" comes from; a [`ManualClock`](crate::clock::ManualClock)
    /// in tests.
    pub fn clock(mut self, clock: impl Clock) -> SchedulerBuilder {
        self.clock = Arc::new(clock);
        self
    }

    /// The zone jobs are shown in (an IANA name, `UTC` or an offset).
    /// Triggers keep their own zones.
    pub fn timezone(mut self, name: &str) -> SchedulerBuilder {
        self.timezone = Zone::new(name);
        self
    }

    /// The registry of named tasks that jobs call.
    pub fn tasks(mut self, tasks: Tasks) -> SchedulerBuilder {
        self.tasks = tasks;
        self
    }

    /// Options for jobs that do not set their own.
    pub fn job_defaults(mut self, defaults: JobDefaults) -> SchedulerBuilder {
        self.defaults = defaults;
        self
    }

    /// Where the notices of jobs that set none of their own go (see
    /// [`crate::notify`]); checked when the scheduler is built.
    ///
    /// ```
    /// use tempora::notify::{NoticeKind, Notify};
    /// use tempora::scheduler::SchedulerBuilder;
    ///
    /// let scheduler = SchedulerBuilder::new()
    ///     .notify(Notify::new().webhook("https://hooks.example.com/t").on([NoticeKind::Failure]))
    ///     .host_driven()?;
    /// let error = SchedulerBuilder::new()
    ///     .notify(Notify::new().webhook("hooks.example.com"))
    ///     .host_driven()
    ///     .unwrap_err();
    /// assert_eq!(error.field(), Some("notify.webhook"));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn notify(mut self, notify: crate::notify::Notify) -> SchedulerBuilder {
        self.notify = Some(notify);
        self
    }

    /// This scheduler's name as the owner of claimed jobs (default: a random
    /// one).
    pub fn node_id(mut self, node: impl Into<String>) -> SchedulerBuilder {
        self.node = Some(node.into());
        self
    }

    /// How long a claim on due jobs holds before another scheduler may take
    /// them over (default [`DEFAULT_LEASE`]; at least [`MIN_LEASE`], which
    /// building checks).
    pub fn lease(mut self, lease: SignedDuration) -> SchedulerBuilder {
        self.lease = lease;
        self
    }

    /// How long `shutdown(wait = true)` — and a blocking scheduler's
    /// SIGINT/SIGTERM — waits for runs in progress before it cancels them
    /// (their context's cancellation; the `command` task then kills its
    /// process group). Default: no limit. With a limit, the runs are asked
    /// to finish when the wait begins
    /// ([`JobContext::is_stopping`](crate::task::JobContext::is_stopping);
    /// the `command` task sends its process group `SIGTERM`), and the runs
    /// cut short are recorded interrupted, then retried at this node's next
    /// start when their job says `on_interrupted = "retry"`. The limit is
    /// measured on the scheduler's [`clock`](SchedulerBuilder::clock), like
    /// every wait of the scheduler's: on a `ManualClock` it passes when the
    /// clock is moved past it.
    ///
    /// ```
    /// use tempora::jiff::SignedDuration;
    /// use tempora::scheduler::SchedulerBuilder;
    ///
    /// let scheduler = SchedulerBuilder::new()
    ///     .shutdown_timeout(SignedDuration::from_secs(30))
    ///     .blocking()?;
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn shutdown_timeout(mut self, timeout: SignedDuration) -> SchedulerBuilder {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// How much run history the stores keep (default
    /// [`RunRetention::default`]: the 100 newest records of each job, none
    /// older than 30 days). The scheduler prunes every lease, and at start.
    ///
    /// ```
    /// use tempora::history::RunRetention;
    /// use tempora::jiff::SignedDuration;
    /// use tempora::scheduler::SchedulerBuilder;
    ///
    /// let week = RunRetention::keep_all().per_job(50).max_age(SignedDuration::from_hours(24 * 7));
    /// let scheduler = SchedulerBuilder::new().history_retention(week).background()?;
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn history_retention(mut self, retention: RunRetention) -> SchedulerBuilder {
        self.retention = retention;
        self
    }

    /// The longest the loop sleeps while a store that other processes may
    /// change is configured (a database: see
    /// [`Locality::Shared`](crate::store::Locality::Shared)), so that a job another process adds
    /// or changes there runs on time, at most this late. Default
    /// [`DEFAULT_STORE_POLL_INTERVAL`] (1 s). With only memory stores the
    /// loop sleeps until the next run time, however far.
    ///
    /// ```
    /// use tempora::jiff::SignedDuration;
    /// use tempora::scheduler::SchedulerBuilder;
    ///
    /// let scheduler = SchedulerBuilder::new()
    ///     .store_poll_interval(SignedDuration::from_millis(250))
    ///     .background()?;
    /// let error = SchedulerBuilder::new().store_poll_interval(SignedDuration::ZERO).background().unwrap_err();
    /// assert_eq!(error.to_string(), "store_poll_interval: 0s is not positive");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn store_poll_interval(mut self, interval: SignedDuration) -> SchedulerBuilder {
        self.store_poll_interval = interval;
        self
    }

    /// The longest the loop sleeps on a store that sends change notices
    /// ([`ChangeNotices::watch`](crate::store::ChangeNotices::watch): PostgreSQL's `LISTEN`/`NOTIFY`, Redis pub/sub)
    /// instead of the poll interval: a notice wakes it at once, and the
    /// re-check only covers a notice lost while its connection was down.
    /// Default [`DEFAULT_STORE_RECHECK_INTERVAL`] (30 s).
    ///
    /// ```
    /// use tempora::jiff::SignedDuration;
    /// use tempora::scheduler::SchedulerBuilder;
    ///
    /// let scheduler = SchedulerBuilder::new()
    ///     .store_recheck_interval(SignedDuration::from_secs(10))
    ///     .background()?;
    /// let error = SchedulerBuilder::new()
    ///     .store_recheck_interval(SignedDuration::ZERO)
    ///     .background()
    ///     .unwrap_err();
    /// assert_eq!(error.to_string(), "store_recheck_interval: 0s is not positive");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn store_recheck_interval(mut self, interval: SignedDuration) -> SchedulerBuilder {
        self.store_recheck_interval = interval;
        self
    }

    /// Adds a job store under `name`; `"default"` replaces the memory store.
    pub fn store(mut self, name: impl Into<String>, store: impl JobStore) -> SchedulerBuilder {
        self.stores.push((name.into(), Arc::new(store)));
        self
    }

    /// Adds an executor under `name`; `"default"` replaces the thread pool.
    pub fn executor(mut self, name: impl Into<String>, executor: Executor) -> SchedulerBuilder {
        self.executors.push((name.into(), executor));
        self
    }

    /// Adds the calendar `name`, which jobs exclude by name
    /// ([`JobBuilder::exclude`](crate::job::JobBuilder::exclude)); a
    /// calendar without a zone takes that of the job's trigger. A name
    /// given again replaces the calendar.
    ///
    /// ```
    /// use tempora::calendar::Calendar;
    /// use tempora::job::JobBuilder;
    /// use tempora::scheduler::SchedulerBuilder;
    /// use tempora::task::{JobContext, Tasks};
    /// use tempora::trigger::CronTrigger;
    ///
    /// let tasks = Tasks::new();
    /// tasks.register("sync", |_: JobContext, _: ()| Ok::<_, String>(()));
    /// let scheduler = SchedulerBuilder::new()
    ///     .tasks(tasks)
    ///     .calendar("weekends", Calendar::weekdays(["sat", "sun"]).build()?)
    ///     .calendar("maintenance-window", Calendar::daily("02:00", "04:00").timezone("UTC").build()?)
    ///     .host_driven()?;
    /// let trigger = CronTrigger::crontab("*/30 * * * *").timezone("UTC").build()?;
    /// let job = scheduler.add_job(
    ///     JobBuilder::new("sync", trigger).exclude(["weekends", "maintenance-window"]),
    /// )?;
    /// assert_eq!(job.exclusions().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn calendar(mut self, name: impl Into<String>, calendar: Calendar) -> SchedulerBuilder {
        self.calendars.insert(name.into(), calendar);
        self
    }

    fn parts(mut self) -> Result<Parts> {
        let timezone = self.timezone?;
        if self.lease < MIN_LEASE {
            return Err(Error::invalid(
                "lease",
                format!(
                    "{:#} is shorter than the minimum of {MIN_LEASE:#}",
                    self.lease
                ),
            ));
        }
        if self.store_poll_interval <= SignedDuration::ZERO {
            return Err(Error::invalid(
                "store_poll_interval",
                format!("{:#} is not positive", self.store_poll_interval),
            ));
        }
        if self.store_recheck_interval <= SignedDuration::ZERO {
            return Err(Error::invalid(
                "store_recheck_interval",
                format!("{:#} is not positive", self.store_recheck_interval),
            ));
        }
        if let Some(notify) = &self.notify {
            notify.validate()?;
        }
        check_unique("store", self.stores.iter().map(|(name, _)| name.as_str()))?;
        check_unique(
            "executor",
            self.executors.iter().map(|(name, _)| name.as_str()),
        )?;
        if !self.stores.iter().any(|(name, _)| name == DEFAULT) {
            self.stores
                .insert(0, (DEFAULT.to_owned(), Arc::new(MemoryStore::new())));
        }
        if !self.executors.iter().any(|(name, _)| name == DEFAULT) {
            self.executors
                .push((DEFAULT.to_owned(), Executor::default()));
        }
        Ok(Parts {
            clock: self.clock,
            timezone,
            tasks: self.tasks,
            listeners: Listeners::new(),
            defaults: self.defaults,
            node: self
                .node
                .unwrap_or_else(|| format!("node-{}", uuid::Uuid::new_v4().simple())),
            lease: self.lease,
            shutdown_timeout: self.shutdown_timeout,
            retention: self.retention,
            store_poll_interval: self.store_poll_interval,
            store_recheck_interval: self.store_recheck_interval,
            stores: self.stores,
            executors: self.executors,
            calendars: self.calendars,
            notify: self.notify,
        })
    }

    fn sync(self) -> Result<SyncScheduler> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tempora-scheduler")
            .enable_all()
            .build()
            .map_err(|error| {
                Error::state(format!("cannot start the scheduler's runtime: {error}"))
            })?;
        Ok(SyncScheduler {
            inner: AsyncScheduler {
                engine: Engine::new(self.parts()?),
            },
            runtime: Arc::new(OwnedRuntime(Some(runtime))),
            loop_thread: Arc::new(Mutex::new(None)),
        })
    }

    /// A scheduler whose `start` runs on the calling thread until shutdown.
    ///
    /// # Errors
    ///
    /// A bad timezone or lease, a name given twice.
    pub fn blocking(self) -> Result<BlockingScheduler> {
        Ok(BlockingScheduler { sync: self.sync()? })
    }

    /// A scheduler running on a thread of its own.
    ///
    /// # Errors
    ///
    /// As [`SchedulerBuilder::blocking`].
    pub fn background(self) -> Result<BackgroundScheduler> {
        Ok(BackgroundScheduler { sync: self.sync()? })
    }

    /// A scheduler that a host event loop drives with
    /// [`HostScheduler::run_pending`].
    ///
    /// # Errors
    ///
    /// As [`SchedulerBuilder::blocking`].
    pub fn host_driven(self) -> Result<HostScheduler> {
        Ok(HostScheduler { sync: self.sync()? })
    }

    /// A scheduler for a tokio program, with an async API.
    ///
    /// # Errors
    ///
    /// As [`SchedulerBuilder::blocking`].
    pub fn asynchronous(self) -> Result<AsyncScheduler> {
        Ok(AsyncScheduler {
            engine: Engine::new(self.parts()?),
        })
    }
}

fn check_unique<'a>(field: &str, names: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(Error::invalid(field, format!("{name:?} is given twice")));
        }
    }
    Ok(())
}

/// A tokio runtime that may be dropped anywhere, even inside async code.
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl OwnedRuntime {
    fn handle(&self) -> Result<&tokio::runtime::Handle> {
        self.0
            .as_ref()
            .map(tokio::runtime::Runtime::handle)
            .ok_or_else(|| Error::state("the scheduler's runtime is gone"))
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> Result<F::Output> {
        let handle = self.handle()?;
        match tokio::runtime::Handle::try_current() {
            Err(_) => Ok(block_on::block_on(handle, future)),
            // Inside a multi-threaded runtime (the scheduler's own, when a
            // listener or a job on the async executor calls back): step out
            // of async context for the call.
            Ok(current)
                if current.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread =>
            {
                Ok(tokio::task::block_in_place(|| handle.block_on(future)))
            }
            Ok(_) => Err(Error::state(
                "a sync scheduler method was called from async code on a current-thread \
                 runtime; use AsyncScheduler (or SyncScheduler::to_async) there",
            )),
        }
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// A scheduler's `Debug`: its kind, state and zone.
fn describe(engine: &Engine, kind: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.debug_struct(kind)
        .field("state", &engine.state())
        .field("timezone", &engine.timezone.name())
        .finish_non_exhaustive()
}

/// The sync API shared by [`BlockingScheduler`], [`BackgroundScheduler`]
/// and [`HostScheduler`]: `Clone + Send + Sync`, callable from any thread
/// that is not inside async code (there, use [`SyncScheduler::to_async`]).
///
/// Each method waits for [`AsyncScheduler`]'s method of the same name on
/// the scheduler's own runtime: the two APIs are one list.
///
/// The run history of a job that failed:
///
/// ```
/// use tempora::clock::ManualClock;
/// use tempora::history::{RunQuery, RunStatus};
/// use tempora::job::JobBuilder;
/// use tempora::scheduler::SchedulerBuilder;
/// use tempora::store::MemoryStore;
/// use tempora::task::JobTask;
/// use tempora::trigger::DateTrigger;
///
/// let clock = ManualClock::new("2026-01-01T00:00:00Z".parse()?);
/// let scheduler = SchedulerBuilder::new()
///     .clock(clock.clone())
///     .store("default", MemoryStore::with_history()) // a history kept in memory
///     .host_driven()?;
/// let task = JobTask::closure(|_| Err::<(), _>("smtp: connection refused"));
/// scheduler.add_job(JobBuilder::with_task(task, DateTrigger::new(clock.now())).id("mail"))?;
/// scheduler.start()?;
/// scheduler.run_pending(clock.now());
/// scheduler.shutdown(true)?; // waits for the run and its record
///
/// let failed = scheduler.list_runs(&RunQuery::new().job("mail").failed_only())?;
/// assert_eq!(failed.len(), 1);
/// assert_eq!(failed[0].status, RunStatus::Error);
/// assert_eq!(failed[0].error.as_deref(), Some("smtp: connection refused"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// No store here keeps a job it cannot restore:
///
/// ```
/// use tempora::scheduler::SchedulerBuilder;
///
/// let scheduler = SchedulerBuilder::new().host_driven()?;
/// assert!(scheduler.unrestorable_jobs()?.is_empty());
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Clone)]
pub struct SyncScheduler {
    inner: AsyncScheduler,
    runtime: Arc<OwnedRuntime>,
    loop_thread: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

impl fmt::Debug for SyncScheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        describe(&self.inner.engine, "SyncScheduler", f)
    }
}

impl SyncScheduler {
    /// An async handle on the same scheduler, for use inside async code.
    pub fn to_async(&self) -> AsyncScheduler {
        self.inner.clone()
    }

    /// Shuts the scheduler down. With `wait`, returns once the runs in
    /// progress have finished (do not call it with `wait` from inside a job:
    /// it would wait for itself); without, asks them to stop through their
    /// context's cancellation and returns at once.
    ///
    /// # Errors
    ///
    /// The scheduler was never started.
    pub fn shutdown(&self, wait: bool) -> Result<()> {
        self.runtime.block_on(self.inner.shutdown(wait))??;
        let thread = lock(&self.loop_thread).take();
        if let Some(thread) = thread
            && thread.thread().id() != std::thread::current().id()
        {
            // The loop ends at its next turn; it catches nothing to report.
            let _ = thread.join();
        }
        Ok(())
    }

    fn start_engine(&self, paused: bool) -> Result<()> {
        self.inner
            .engine
            .start(self.runtime.handle()?.clone(), paused)
    }
}

macro_rules! sync_face {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            sync: SyncScheduler,
        }

        impl $name {
            /// A scheduler with every default; see [`SchedulerBuilder`].
            ///
            /// # Errors
            ///
            /// The runtime could not start.
            pub fn new() -> Result<$name> {
                SchedulerBuilder::new().build_face()
            }
        }

        impl Deref for $name {
            type Target = SyncScheduler;

            fn deref(&self) -> &SyncScheduler {
                &self.sync
            }
        }
    };
}

trait BuildFace<T> {
    fn build_face(self) -> Result<T>;
}

impl BuildFace<BlockingScheduler> for SchedulerBuilder {
    fn build_face(self) -> Result<BlockingScheduler> {
        self.blocking()
    }
}

impl BuildFace<BackgroundScheduler> for SchedulerBuilder {
    fn build_face(self) -> Result<BackgroundScheduler> {
        self.background()
    }
}

impl BuildFace<HostScheduler> for SchedulerBuilder {
    fn build_face(self) -> Result<HostScheduler> {
        self.host_driven()
    }
}

sync_face! {
    /// A scheduler whose [`BlockingScheduler::start`] runs the loop on the
    /// calling thread until it is shut down — from another thread, a job,
    /// or SIGINT/SIGTERM, which shut it down gracefully (waiting for the
    /// runs in progress). APScheduler's `BlockingScheduler`.
    BlockingScheduler
}

sync_face! {
    /// A scheduler whose loop runs on a thread of its own; every method
    /// works from any thread, and clones share the scheduler.
    /// APScheduler's `BackgroundScheduler`.
    ///
    /// ```
    /// use tempora::scheduler::{BackgroundScheduler, SchedulerState};
    ///
    /// let scheduler = BackgroundScheduler::new()?;
    /// scheduler.start()?;
    /// let elsewhere = scheduler.clone();
    /// std::thread::spawn(move || elsewhere.pause()).join().unwrap()?;
    /// assert_eq!(scheduler.state(), SchedulerState::Paused);
    /// scheduler.shutdown(true)?;
    /// # Ok::<(), tempora::Error>(())
    /// ```
    BackgroundScheduler
}

sync_face! {
    /// A scheduler driven by a host event loop (a GUI, a game, a non-tokio
    /// reactor): call [`HostScheduler::run_pending`] with the time, and call
    /// it again by the instant it returns, or sooner after adding jobs.
    /// Runs go to the executors as usual. The Rust answer to APScheduler's
    /// Qt, Tornado, Twisted and Gevent schedulers.
    HostScheduler
}

impl BlockingScheduler {
    /// Runs the scheduler on this thread until it is shut down, by
    /// [`SyncScheduler::shutdown`] from elsewhere or by SIGINT/SIGTERM.
    ///
    /// # Errors
    ///
    /// The scheduler was started before, or a signal handler could not be
    /// installed.
    pub fn start(&self) -> Result<()> {
        self.start_engine(false)?;
        let engine = Arc::clone(&self.inner.engine);
        self.runtime.block_on(async move {
            let signals = shutdown_signal();
            tokio::pin!(signals);
            tokio::select! {
                () = Arc::clone(&engine).run_loop() => Ok(()),
                received = &mut signals => {
                    let name = received?;
                    tracing::info!(signal = name, "shutting down");
                    engine.shutdown(true).await
                }
            }
        })?
    }
}

/// Completes with the signal's name at SIGINT or SIGTERM.
async fn shutdown_signal() -> Result<&'static str> {
    let cannot =
        |error: std::io::Error| Error::state(format!("cannot listen for signals: {error}"));
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).map_err(cannot)?;
        let mut interrupt = signal(SignalKind::interrupt()).map_err(cannot)?;
        tokio::select! {
            _ = terminate.recv() => Ok("SIGTERM"),
            _ = interrupt.recv() => Ok("SIGINT"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(cannot)?;
        Ok("ctrl-c")
    }
}

impl BackgroundScheduler {
    /// Starts the loop on its own thread and returns.
    ///
    /// # Errors
    ///
    /// The scheduler was started before, or the thread could not start.
    pub fn start(&self) -> Result<()> {
        self.start_with(false)
    }

    /// Starts paused: jobs are kept but nothing runs until
    /// [`SyncScheduler::resume`].
    ///
    /// # Errors
    ///
    /// As [`BackgroundScheduler::start`].
    pub fn start_paused(&self) -> Result<()> {
        self.start_with(true)
    }

    fn start_with(&self, paused: bool) -> Result<()> {
        self.start_engine(paused)?;
        let engine = Arc::clone(&self.inner.engine);
        let runtime = Arc::clone(&self.runtime);
        let thread = std::thread::Builder::new()
            .name("tempora-loop".to_owned())
            .spawn(move || {
                if let Ok(handle) = runtime.handle() {
                    handle.block_on(engine.run_loop());
                }
            })
            .map_err(|error| Error::state(format!("cannot start the scheduler thread: {error}")))?;
        *lock(&self.loop_thread) = Some(thread);
        Ok(())
    }
}

impl HostScheduler {
    /// Marks the scheduler started; nothing runs until
    /// [`HostScheduler::run_pending`].
    ///
    /// # Errors
    ///
    /// The scheduler was started before.
    pub fn start(&self) -> Result<()> {
        self.start_engine(false)
    }

    /// Starts paused.
    ///
    /// # Errors
    ///
    /// The scheduler was started before.
    pub fn start_paused(&self) -> Result<()> {
        self.start_engine(true)
    }

    /// Submits every run due at `now` to the executors and returns when to
    /// call again: the earliest next run time, `None` when no job is
    /// scheduled — but no later than `now` plus the
    /// [`store_poll_interval`](SchedulerBuilder::store_poll_interval) when a
    /// store may be changed by other processes. Call again sooner after
    /// adding or changing jobs. A store failure is logged and answered with
    /// a retry time.
    ///
    /// Called from async code on a current-thread runtime, where it cannot
    /// run, it logs an error and returns `None`.
    pub fn run_pending(&self, now: Timestamp) -> Option<Timestamp> {
        match self.runtime.block_on(self.inner.engine.tick(now)) {
            Ok(wake_at) => wake_at,
            Err(error) => {
                tracing::error!(%error, "run_pending could not run");
                None
            }
        }
    }
}

/// A scheduler for tokio programs: its loop is a task on the runtime you
/// are in, and its API is async. Clones share the scheduler.
///
/// ```
/// use tempora::clock::ManualClock;
/// use tempora::event::{EventKind, EventMask};
/// use tempora::job::JobBuilder;
/// use tempora::scheduler::SchedulerBuilder;
/// use tempora::task::JobTask;
/// use tempora::trigger::DateTrigger;
///
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async {
/// let clock = ManualClock::new("2026-01-01T00:00:00Z".parse()?);
/// let scheduler = SchedulerBuilder::new().clock(clock.clone()).timezone("UTC").asynchronous()?;
/// let mut events = scheduler.listeners().subscribe(EventMask::JOB_EXECUTED);
/// let task = JobTask::async_closure(|_context| async { Ok::<_, String>("done") });
/// let when = DateTrigger::new("2026-01-01T00:05:00Z".parse()?);
/// scheduler.add_job(JobBuilder::with_task(task, when).id("once")).await?;
/// scheduler.start().await?;
/// clock.set("2026-01-01T00:05:00Z".parse()?);
/// let event = events.recv().await.unwrap();
/// assert_eq!(event.job_id.as_deref(), Some("once"));
/// assert_eq!(event.return_value, Some(serde_json::json!("done")));
/// scheduler.shutdown(true).await?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Its methods are the scheduler's API; [`SyncScheduler`] wraps each of
/// them for sync code. The run history of a job: a run and its record
/// happen in the background, so this example waits for them.
///
/// ```
/// use tempora::clock::ManualClock;
/// use tempora::history::{RunQuery, RunStatus};
/// use tempora::job::JobBuilder;
/// use tempora::scheduler::SchedulerBuilder;
/// use tempora::store::MemoryStore;
/// use tempora::task::JobTask;
/// use tempora::trigger::DateTrigger;
///
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async {
/// let clock = ManualClock::new("2026-01-01T00:00:00Z".parse()?);
/// let scheduler = SchedulerBuilder::new()
///     .clock(clock.clone())
///     .store("default", MemoryStore::with_history()) // a history kept in memory
///     .asynchronous()?;
/// let task = JobTask::closure(|_| Ok::<_, String>("sent"));
/// scheduler.add_job(JobBuilder::with_task(task, DateTrigger::new(clock.now())).id("mail")).await?;
/// scheduler.start().await?;
/// // The run and its record happen in the background: wait for them.
/// let runs = loop {
///     let runs = scheduler.list_runs(&RunQuery::new().job("mail")).await?;
///     if runs.first().is_some_and(|run| run.status.is_finished()) {
///         break runs;
///     }
///     tokio::task::yield_now().await;
/// };
/// assert_eq!(runs[0].status, RunStatus::Success);
/// assert!(runs[0].duration.is_some());
/// scheduler.shutdown(true).await?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// No store here keeps a job it cannot restore:
///
/// ```
/// use tempora::scheduler::AsyncScheduler;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let scheduler = AsyncScheduler::new()?;
/// assert!(scheduler.unrestorable_jobs().await?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AsyncScheduler {
    engine: Arc<Engine>,
}

impl fmt::Debug for AsyncScheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        describe(&self.engine, "AsyncScheduler", f)
    }
}

impl AsyncScheduler {
    /// A scheduler with every default; see [`SchedulerBuilder`].
    ///
    /// # Errors
    ///
    /// Never with the defaults; kept for symmetry with the builder.
    pub fn new() -> Result<AsyncScheduler> {
        SchedulerBuilder::new().asynchronous()
    }

    /// Starts the loop as a task on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// The scheduler was started before; not inside a tokio runtime.
    pub async fn start(&self) -> Result<()> {
        self.start_with(false)
    }

    /// Starts paused: nothing runs until [`AsyncScheduler::resume`].
    ///
    /// # Errors
    ///
    /// As [`AsyncScheduler::start`].
    pub async fn start_paused(&self) -> Result<()> {
        self.start_with(true)
    }

    fn start_with(&self, paused: bool) -> Result<()> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::state("AsyncScheduler::start must be called inside a tokio runtime")
        })?;
        self.engine.start(runtime.clone(), paused)?;
        runtime.spawn(Arc::clone(&self.engine).run_loop());
        Ok(())
    }

    /// The engine, not kept alive by the holder (for the metrics).
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn engine(&self) -> std::sync::Weak<Engine> {
        Arc::downgrade(&self.engine)
    }

    /// Shuts down; see [`SyncScheduler::shutdown`].
    ///
    /// # Errors
    ///
    /// The scheduler was never started.
    ///
    /// # Cancel safety
    ///
    /// The scheduler is shut down at the first poll; dropping the future
    /// only stops waiting for the runs in progress.
    pub async fn shutdown(&self, wait: bool) -> Result<()> {
        self.engine.shutdown(wait).await
    }
}

/// The name of this host, as node records show it.
///
/// ```
/// assert!(!tempora::scheduler::host_name().is_empty());
/// ```
pub fn host_name() -> String {
    #[cfg(unix)]
    let name = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    #[cfg(not(unix))]
    let name = std::env::var("COMPUTERNAME").unwrap_or_default();
    if name.is_empty() {
        "localhost".to_owned()
    } else {
        name
    }
}
