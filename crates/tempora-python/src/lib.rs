//! `tempora._native`: the Rust half of the `tempora` Python package.
//!
//! The Python half (`python/tempora`) speaks APScheduler 3's API; this
//! module gives it Tempora's engine in two classes:
//!
//! * `Trigger`, a trigger checked and computed by Tempora, built from its
//!   JSON form (the one stores keep);
//! * `Scheduler`, Tempora's async scheduler with its stores and executors,
//!   driven from Python on one tokio runtime of the module. Every call that
//!   waits for the engine or a store lets go of the GIL first, so jobs on
//!   the thread pool run Python meanwhile.
//!
//! Jobs run Python callables through the engine's fallback task, which runs
//! every task name: it calls the Python dispatcher given to the scheduler
//! with the task's name, the job's id, its arguments as JSON and the run's
//! fire times, and the dispatcher finds the callable (by its
//! `"module:function"` reference, or the object kept for a memory-store
//! job). Nothing is registered per job, so a scheduler started on a store
//! of many jobs reads none of them to run them.
//!
//! Instants cross the boundary as integer microseconds since the Unix
//! epoch (UTC); jobs and events as JSON text or dictionaries.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde::Deserialize;
use serde_json::Value;
use tempora::event::{Event, EventKind, EventMask, ListenerId};
use tempora::executor::Executor;
use tempora::jiff::Timestamp;
use tempora::job::{Job, JobBuilder, JobChanges, JobDefaults, MisfireGraceTime};
use tempora::scheduler::{AsyncScheduler, SchedulerBuilder, SchedulerState};
use tempora::store::{JobStore, MemoryStore};
use tempora::task::JobContext;
use tempora::trigger::Trigger;

create_exception!(
    _native,
    TemporaError,
    PyRuntimeError,
    "An error of the engine."
);
create_exception!(
    _native,
    NotFoundError,
    TemporaError,
    "A job, store or executor not found."
);
create_exception!(
    _native,
    ConflictError,
    TemporaError,
    "A job id already taken."
);
create_exception!(
    _native,
    StateError,
    TemporaError,
    "The scheduler is not in a state to do it."
);
create_exception!(_native, StoreError, TemporaError, "A store failed.");

/// The Python exception for an engine error: `ValueError` for bad input,
/// the module's own classes for the rest.
fn to_py(error: tempora::Error) -> PyErr {
    let message = error.to_string();
    if error.is_not_found() {
        NotFoundError::new_err(message)
    } else if error.is_conflict() {
        ConflictError::new_err(message)
    } else if error.is_state() {
        StateError::new_err(message)
    } else if error.is_store() {
        StoreError::new_err(message)
    } else if error.is_invalid_input() {
        PyValueError::new_err(message)
    } else {
        TemporaError::new_err(message)
    }
}

fn json_error(what: &str, error: serde_json::Error) -> PyErr {
    PyValueError::new_err(format!("{what}: {error}"))
}

/// The module's tokio runtime: the engines' loops and the stores' drivers.
/// Made at the first scheduler, so a process that forks before it (a
/// pre-forking server) gives each child a runtime of its own.
fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("tempora")
        .enable_all()
        .build()
        .map_err(|error| TemporaError::new_err(format!("runtime: {error}")))?;
    Ok(RUNTIME.get_or_init(|| runtime))
}

fn micros(time: Timestamp) -> i64 {
    time.as_microsecond()
}

fn from_micros(field: &str, value: i64) -> PyResult<Timestamp> {
    Timestamp::from_microsecond(value).map_err(|error| {
        PyValueError::new_err(format!("{field}: {value} is out of range: {error}"))
    })
}

/// A trigger computed by Tempora.
#[pyclass(module = "tempora._native", frozen)]
struct NativeTrigger {
    trigger: Trigger,
}

#[pymethods]
impl NativeTrigger {
    /// Checks and builds the trigger of JSON form `spec`.
    #[new]
    fn new(spec: &str) -> PyResult<NativeTrigger> {
        let trigger: Trigger = serde_json::from_str(spec).map_err(|error| {
            PyValueError::new_err(
                error
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })?;
        Ok(NativeTrigger { trigger })
    }

    /// The next fire time after `previous` (or at or after `now` for the
    /// first), in microseconds; `None` when the trigger is done.
    #[pyo3(signature = (previous, now))]
    fn next_fire_time(&self, previous: Option<i64>, now: i64) -> PyResult<Option<i64>> {
        let previous = previous
            .map(|value| from_micros("previous", value))
            .transpose()?;
        let now = from_micros("now", now)?;
        Ok(self.trigger.next_fire_time(previous, now).map(micros))
    }

    /// The trigger's JSON form, as Tempora writes it.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.trigger).map_err(|error| json_error("trigger", error))
    }

    /// The IANA name (or offset) of the trigger's zone.
    fn zone(&self) -> String {
        self.trigger.zone().name().to_owned()
    }
}

/// A job to add, as the Python side sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobSpec {
    task: String,
    trigger: Trigger,
    id: Option<String>,
    name: Option<String>,
    #[serde(default)]
    args: Value,
    executor: Option<String>,
    store: Option<String>,
    misfire_grace_time: Option<MisfireGraceTime>,
    coalesce: Option<bool>,
    max_instances: Option<u32>,
    next_run_time: Option<i64>,
    #[serde(default)]
    paused: bool,
    #[serde(default)]
    replace_existing: bool,
}

impl JobSpec {
    fn builder(self) -> PyResult<JobBuilder> {
        let mut builder = JobBuilder::new(&self.task, self.trigger)
            .args(&self.args)
            .replace_existing(self.replace_existing);
        if let Some(id) = self.id {
            builder = builder.id(id);
        }
        if let Some(name) = self.name {
            builder = builder.name(name);
        }
        if let Some(executor) = self.executor {
            builder = builder.executor(executor);
        }
        if let Some(store) = self.store {
            builder = builder.store(store);
        }
        if let Some(grace) = self.misfire_grace_time {
            builder = builder.misfire_grace_time(grace);
        }
        if let Some(coalesce) = self.coalesce {
            builder = builder.coalesce(coalesce);
        }
        if let Some(max_instances) = self.max_instances {
            builder = builder.max_instances(max_instances);
        }
        if self.paused {
            builder = builder.paused();
        } else if let Some(next) = self.next_run_time {
            builder = builder.next_run_time(from_micros("next_run_time", next)?);
        }
        Ok(builder)
    }
}

/// Changes to a job, as the Python side sends them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangesSpec {
    name: Option<String>,
    args: Option<Value>,
    executor: Option<String>,
    misfire_grace_time: Option<MisfireGraceTime>,
    coalesce: Option<bool>,
    max_instances: Option<u32>,
    next_run_time: Option<i64>,
}

impl ChangesSpec {
    fn changes(self) -> PyResult<JobChanges> {
        let mut changes = JobChanges::new();
        if let Some(name) = self.name {
            changes = changes.name(name);
        }
        if let Some(args) = self.args {
            changes = changes.args(&args);
        }
        if let Some(executor) = self.executor {
            changes = changes.executor(executor);
        }
        if let Some(grace) = self.misfire_grace_time {
            changes = changes.misfire_grace_time(grace);
        }
        if let Some(coalesce) = self.coalesce {
            changes = changes.coalesce(coalesce);
        }
        if let Some(max_instances) = self.max_instances {
            changes = changes.max_instances(max_instances);
        }
        if let Some(next) = self.next_run_time {
            changes = changes.next_run_time(from_micros("next_run_time", next)?);
        }
        Ok(changes)
    }
}

/// A job as the Python side reads it: its stored JSON form, plus the
/// store that holds it.
fn job_json(job: &Job) -> PyResult<String> {
    let stored = job.to_stored().map_err(to_py)?;
    let mut value = serde_json::to_value(stored).map_err(|error| json_error("job", error))?;
    if let Value::Object(fields) = &mut value {
        fields.insert("store".to_owned(), Value::String(job.store().to_owned()));
    }
    Ok(value.to_string())
}

/// Opens the store `url` names under `name`: a SQLite path or `sqlite://`,
/// `postgres://`, `mysql://`/`mariadb://`, `redis://` or `mongodb://` URL.
async fn open_store(
    name: &str,
    url: &str,
    prefix: Option<&str>,
) -> tempora::Result<Arc<dyn JobStore>> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some("redis" | "rediss" | "redis+unix") => {
            let mut builder = tempora_redis::RedisStore::builder(url).name(name);
            if let Some(prefix) = prefix {
                builder = builder.prefix(prefix);
            }
            Ok(Arc::new(builder.connect().await?))
        }
        Some("mongodb" | "mongodb+srv") => {
            let mut builder = tempora_mongodb::MongoStore::builder(url).name(name);
            if let Some(prefix) = prefix {
                builder = builder.prefix(prefix);
            }
            Ok(Arc::new(builder.connect().await?))
        }
        _ => {
            let mut options = tempora_sql::SqlOptions::new().name(name);
            if let Some(prefix) = prefix {
                options = options.prefix(prefix);
            }
            tempora_sql::connect(url, &options).await
        }
    }
}

/// How the scheduler is built, as the Python side sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchedulerSpec {
    timezone: Option<String>,
    #[serde(default)]
    job_defaults: Option<JobDefaults>,
    #[serde(default)]
    stores: Vec<StoreSpec>,
    #[serde(default)]
    executors: Vec<ExecutorSpec>,
    node_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreSpec {
    name: String,
    url: Option<String>,
    prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecutorSpec {
    name: String,
    max_workers: usize,
}

/// Tempora's scheduler, driven from Python.
#[pyclass(module = "tempora._native", frozen)]
struct NativeScheduler {
    scheduler: AsyncScheduler,
    /// The memory stores by name: a scheduler built after this one shut
    /// down takes them over, jobs and all, as APScheduler's restarted
    /// scheduler keeps its memory store.
    memory: Mutex<HashMap<String, MemoryStore>>,
    /// The Python listener, registered for the event kinds the Python side
    /// asks for (none: no listener, and no event takes the GIL).
    listener: Mutex<Option<ListenerId>>,
    /// The jobs the engine removed whose last run may still be to come or
    /// in progress; kept without the GIL.
    removed: Arc<Mutex<HashSet<String>>>,
}

/// Locks `mutex`, recovering the data of a holder that panicked.
fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The mask of the event kinds named in `kinds` (`"job_executed"`, …).
fn mask_of(kinds: &[String]) -> PyResult<EventMask> {
    let mut mask = EventMask::NONE;
    for name in kinds {
        let kind = EventKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.to_string() == *name)
            .ok_or_else(|| {
                PyValueError::new_err(format!("kinds: {name:?} is not an event kind"))
            })?;
        mask |= kind.mask();
    }
    Ok(mask)
}

impl NativeScheduler {
    /// Waits for `future` on the module's runtime with the GIL let go.
    fn wait<T: Send>(
        py: Python<'_>,
        future: impl std::future::Future<Output = tempora::Result<T>> + Send,
    ) -> PyResult<T> {
        let runtime = runtime()?;
        py.detach(|| {
            // A listener that calls the scheduler runs on the thread that
            // emitted the event, which may be one of the runtime's own.
            if tokio::runtime::Handle::try_current().is_ok() {
                tokio::task::block_in_place(|| runtime.block_on(future))
            } else {
                runtime.block_on(future)
            }
        })
        .map_err(to_py)
    }
}

#[pymethods]
impl NativeScheduler {
    /// Builds a scheduler from JSON `spec` (zone, job defaults, stores by
    /// URL, thread-pool executors); `dispatch` is called for every run as
    /// `dispatch(task, job_id, args_json, run_times)` and returns the run's
    /// value as JSON text; `forget(job_id)` after the last run of a job the
    /// engine removed. The memory stores of `previous` (a scheduler that
    /// was shut down) are taken over by name, with their jobs.
    #[new]
    #[pyo3(signature = (spec, dispatch, forget, previous=None))]
    fn new(
        py: Python<'_>,
        spec: &str,
        dispatch: Py<PyAny>,
        forget: Py<PyAny>,
        previous: Option<&NativeScheduler>,
    ) -> PyResult<NativeScheduler> {
        let spec: SchedulerSpec =
            serde_json::from_str(spec).map_err(|error| json_error("scheduler", error))?;
        let runtime = runtime()?;
        let mut builder = SchedulerBuilder::new();
        if let Some(zone) = &spec.timezone {
            builder = builder.timezone(zone);
        }
        if let Some(defaults) = spec.job_defaults {
            builder = builder.job_defaults(defaults);
        }
        if let Some(node) = spec.node_id {
            builder = builder.node_id(node);
        }
        for executor in &spec.executors {
            builder = builder.executor(
                &executor.name,
                Executor::thread_pool(executor.max_workers).map_err(to_py)?,
            );
        }
        let mut kept = previous
            .map(|previous| std::mem::take(&mut *guard(&previous.memory)))
            .unwrap_or_default();
        let mut memory = HashMap::new();
        for store in &spec.stores {
            match &store.url {
                None => {
                    let kept_store = kept.remove(&store.name).unwrap_or_default();
                    builder = builder.store(&store.name, kept_store.clone());
                    memory.insert(store.name.clone(), kept_store);
                }
                Some(url) => {
                    let opened = py
                        .detach(|| {
                            runtime.block_on(open_store(&store.name, url, store.prefix.as_deref()))
                        })
                        .map_err(to_py)?;
                    builder = builder.store(&store.name, opened);
                }
            }
        }
        let scheduler = builder.asynchronous().map_err(to_py)?;
        let removed = Arc::new(Mutex::new(HashSet::new()));
        register_dispatch(&scheduler, dispatch, forget, Arc::clone(&removed));
        let seen = Arc::clone(&removed);
        scheduler
            .listeners()
            .add(EventMask::JOB_REMOVED, move |event: &Event| {
                if let Some(id) = &event.job_id {
                    guard(&seen).insert(id.to_string());
                }
            });
        Ok(NativeScheduler {
            scheduler,
            memory: Mutex::new(memory),
            listener: Mutex::new(None),
            removed,
        })
    }

    /// Calls `callback(event)`, `event` a dictionary, for the events of
    /// the kinds named in `kinds` (`"job_executed"`, …), in place of the
    /// kinds and callback set before. No kinds: no callback at all, and the
    /// engine builds no event for Python.
    fn set_listener(&self, callback: Py<PyAny>, kinds: Vec<String>) -> PyResult<()> {
        let mask = mask_of(&kinds)?;
        let listeners = self.scheduler.listeners();
        let mut current = guard(&self.listener);
        if let Some(id) = current.take() {
            listeners.remove(id);
        }
        if mask != EventMask::NONE {
            *current = Some(listeners.add(mask, move |event: &Event| {
                Python::attach(|py| {
                    let result = event_dict(py, event).and_then(|dict| callback.call1(py, (dict,)));
                    if let Err(error) = result {
                        error.print(py);
                    }
                });
            }));
        }
        Ok(())
    }

    /// Starts the engine (`paused`: not processing jobs until resumed).
    fn start(&self, py: Python<'_>, paused: bool) -> PyResult<()> {
        let scheduler = &self.scheduler;
        Self::wait(py, async move {
            if paused {
                scheduler.start_paused().await
            } else {
                scheduler.start().await
            }
        })
    }

    /// Shuts the engine down, waiting for running jobs when `wait`.
    fn shutdown(&self, py: Python<'_>, wait: bool) -> PyResult<()> {
        Self::wait(py, self.scheduler.shutdown(wait))
    }

    fn pause(&self) -> PyResult<()> {
        self.scheduler.pause().map_err(to_py)
    }

    fn resume(&self) -> PyResult<()> {
        self.scheduler.resume().map_err(to_py)
    }

    /// `stopped`, `running`, `paused` or `shut_down`.
    fn state(&self) -> &'static str {
        match self.scheduler.state() {
            SchedulerState::Stopped => "stopped",
            SchedulerState::Running => "running",
            SchedulerState::Paused => "paused",
            SchedulerState::ShutDown => "shut_down",
        }
    }

    /// The scheduler's zone name.
    fn timezone(&self) -> String {
        self.scheduler.timezone().name().to_owned()
    }

    /// Adds the job of JSON `spec`; returns it as stored (JSON).
    fn add_job(&self, py: Python<'_>, spec: &str) -> PyResult<String> {
        let spec: JobSpec = serde_json::from_str(spec).map_err(|error| json_error("job", error))?;
        if let Some(id) = &spec.id {
            // A job of this id that the engine removed is over: the new one
            // keeps what the Python side holds for the id.
            guard(&self.removed).remove(id);
        }
        let builder = spec.builder()?;
        let job = Self::wait(py, self.scheduler.add_job(builder))?;
        job_json(&job)
    }

    fn get_job(&self, py: Python<'_>, id: &str) -> PyResult<Option<String>> {
        Self::wait(py, self.scheduler.get_job(id))?
            .as_ref()
            .map(job_json)
            .transpose()
    }

    #[pyo3(signature = (store=None))]
    fn list_jobs(&self, py: Python<'_>, store: Option<&str>) -> PyResult<Vec<String>> {
        let jobs = Self::wait(py, self.scheduler.list_jobs(store))?;
        jobs.iter()
            .filter(|job| job.run_of().is_none())
            .map(job_json)
            .collect()
    }

    fn modify_job(&self, py: Python<'_>, id: &str, changes: &str) -> PyResult<String> {
        let changes: ChangesSpec =
            serde_json::from_str(changes).map_err(|error| json_error("changes", error))?;
        let changes = changes.changes()?;
        job_json(&Self::wait(py, self.scheduler.modify_job(id, changes))?)
    }

    /// Gives job `id` the trigger of JSON form `trigger`; `None` when the
    /// trigger has nothing left (the job is removed).
    fn reschedule_job(&self, py: Python<'_>, id: &str, trigger: &str) -> PyResult<Option<String>> {
        let trigger: Trigger =
            serde_json::from_str(trigger).map_err(|error| json_error("trigger", error))?;
        match Self::wait(py, self.scheduler.reschedule_job(id, trigger)) {
            Ok(job) => job_json(&job).map(Some),
            Err(error) if error.is_instance_of::<NotFoundError>(py) => {
                // The trigger had nothing left: the engine removed the job.
                match Self::wait(py, self.scheduler.get_job(id))? {
                    None => Ok(None),
                    Some(_) => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    fn pause_job(&self, py: Python<'_>, id: &str) -> PyResult<String> {
        job_json(&Self::wait(py, self.scheduler.pause_job(id))?)
    }

    fn resume_job(&self, py: Python<'_>, id: &str) -> PyResult<Option<String>> {
        Self::wait(py, self.scheduler.resume_job(id))?
            .as_ref()
            .map(job_json)
            .transpose()
    }

    fn remove_job(&self, py: Python<'_>, id: &str) -> PyResult<()> {
        let result = Self::wait(py, self.scheduler.remove_job(id));
        // Removed by the program, not by the engine: the Python side lets
        // the job go itself.
        guard(&self.removed).remove(id);
        result
    }

    #[pyo3(signature = (store=None))]
    fn remove_all_jobs(&self, py: Python<'_>, store: Option<&str>) -> PyResult<()> {
        let result = Self::wait(py, self.scheduler.remove_all_jobs(store));
        if store.is_none() {
            guard(&self.removed).clear();
        }
        result
    }

    /// Adds the store `url` names (`None`: a memory store) under `name`.
    #[pyo3(signature = (name, url=None, prefix=None))]
    fn add_store(
        &self,
        py: Python<'_>,
        name: &str,
        url: Option<&str>,
        prefix: Option<&str>,
    ) -> PyResult<()> {
        match url {
            None => {
                let store = MemoryStore::new();
                self.scheduler
                    .add_store(name, store.clone())
                    .map_err(to_py)?;
                guard(&self.memory).insert(name.to_owned(), store);
                Ok(())
            }
            Some(url) => {
                let store = Self::wait(py, open_store(name, url, prefix))?;
                self.scheduler.add_store(name, store).map_err(to_py)
            }
        }
    }

    fn remove_store(&self, name: &str) -> PyResult<()> {
        self.scheduler.remove_store(name).map_err(to_py)?;
        guard(&self.memory).remove(name);
        Ok(())
    }

    /// Adds a thread pool of `max_workers` under `name`.
    fn add_executor(&self, name: &str, max_workers: usize) -> PyResult<()> {
        let executor = Executor::thread_pool(max_workers).map_err(to_py)?;
        self.scheduler.add_executor(name, executor).map_err(to_py)
    }

    fn remove_executor(&self, name: &str) -> PyResult<()> {
        self.scheduler.remove_executor(name).map_err(to_py)
    }
}

/// Makes the dispatcher run every task of `scheduler`: each run calls
/// `dispatch(task, job_id, args_json, run_times)`, then `forget(job_id)`
/// when it was the last run of a job the engine removed.
fn register_dispatch(
    scheduler: &AsyncScheduler,
    dispatch: Py<PyAny>,
    forget: Py<PyAny>,
    removed: Arc<Mutex<HashSet<String>>>,
) {
    scheduler.tasks().register_fallback(
        move |task: &str, context: JobContext, args: Value| -> Result<Value, String> {
            let times: Vec<i64> = context
                .scheduled_run_times()
                .iter()
                .copied()
                .map(micros)
                .collect();
            Python::attach(|py| {
                let value = dispatch.call1(py, (task, context.job_id(), args.to_string(), times));
                // The engine removes a job before its last run: once that
                // run is over, the Python side may let the job go.
                if guard(&removed).remove(context.job_id())
                    && let Err(error) = forget.call1(py, (context.job_id(),))
                {
                    error.print(py);
                }
                let value = value.map_err(|error| error.to_string())?;
                let text: String = value
                    .extract(py)
                    .map_err(|error: PyErr| error.to_string())?;
                serde_json::from_str(&text).map_err(|error| format!("return value: {error}"))
            })
        },
    );
}

/// An event as a dictionary: `kind`, `job_id`, `store`, `executor`,
/// `scheduled_run_times` (microseconds), `return_value` (JSON text),
/// `error`, `attempt`.
fn event_dict<'py>(py: Python<'py>, event: &Event) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("kind", event.kind.to_string())?;
    dict.set_item("job_id", event.job_id.as_deref())?;
    dict.set_item("store", event.store.as_deref())?;
    dict.set_item("executor", event.executor.as_deref())?;
    let times: Vec<i64> = event
        .scheduled_run_times
        .iter()
        .copied()
        .map(micros)
        .collect();
    dict.set_item("scheduled_run_times", PyList::new(py, times)?)?;
    dict.set_item(
        "return_value",
        event.return_value.as_ref().map(Value::to_string),
    )?;
    dict.set_item("error", event.error.as_deref())?;
    dict.set_item("attempt", event.attempt)?;
    Ok(dict)
}

/// The zone of this machine (`TZ`, `/etc/localtime`) when it has an IANA
/// name, otherwise `UTC`: the default zone of schedulers and triggers.
#[pyfunction]
fn system_timezone() -> String {
    tempora::trigger::Zone::system().name().to_owned()
}

/// The module.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add_class::<NativeTrigger>()?;
    module.add_function(wrap_pyfunction!(system_timezone, module)?)?;
    module.add_class::<NativeScheduler>()?;
    module.add("TemporaError", py.get_type::<TemporaError>())?;
    module.add("NotFoundError", py.get_type::<NotFoundError>())?;
    module.add("ConflictError", py.get_type::<ConflictError>())?;
    module.add("StateError", py.get_type::<StateError>())?;
    module.add("StoreError", py.get_type::<StoreError>())?;
    Ok(())
}
