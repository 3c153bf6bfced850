//! Prometheus metrics of a scheduler: its runs, its jobs' schedules, its
//! stores and its nodes (cargo feature `metrics`, on
//! [`prometheus-client`](https://docs.rs/prometheus-client)).
//!
//! A [`SchedulerMetrics`] is attached to one or more schedulers: it listens
//! to their run events, and at each scrape reads what only the scheduler
//! and its stores know now (the jobs' next run times, the runs in progress,
//! the live nodes). Wrap a store with [`SchedulerMetrics::meter_store`] to
//! time its calls and count its failures. Then either let it encode the
//! exposition format itself ([`SchedulerMetrics::encode`], for a `/metrics`
//! route), or register its metrics into the program's own
//! [`Registry`] ([`SchedulerMetrics::register`]) and call
//! [`SchedulerMetrics::refresh`] before each encoding.
//!
//! ```
//! use tempora::clock::ManualClock;
//! use tempora::job::JobBuilder;
//! use tempora::metrics::SchedulerMetrics;
//! use tempora::scheduler::SchedulerBuilder;
//! use tempora::store::MemoryStore;
//! use tempora::task::{JobContext, Tasks};
//! use tempora::trigger::IntervalTrigger;
//!
//! let tasks = Tasks::new();
//! tasks.register("report", |_: JobContext, _: ()| Ok::<(), String>(()));
//! let metrics = SchedulerMetrics::new();
//! let clock = ManualClock::new("2026-01-01T00:00:00Z".parse()?);
//! let scheduler = SchedulerBuilder::new()
//!     .clock(clock.clone())
//!     .tasks(tasks)
//!     .store("default", metrics.meter_store("default", MemoryStore::new()))
//!     .host_driven()?;
//! metrics.attach(&scheduler.to_async());
//! let trigger = IntervalTrigger::builder().minutes(10).timezone("UTC").build()?;
//! scheduler.add_job(JobBuilder::new("report", trigger).id("report"))?;
//! scheduler.start()?;
//! clock.set("2026-01-01T00:10:00Z".parse()?);
//! scheduler.run_pending(clock.now());
//! scheduler.shutdown(true)?; // waits for the run and its events
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! let text = runtime.block_on(metrics.encode())?;
//! assert!(text.contains("tempora_runs_total{job_id=\"report\",outcome=\"success\"} 1\n"));
//! assert!(text.contains("tempora_run_duration_seconds_count{job_id=\"report\"} 1\n"));
//! assert!(text.contains("tempora_job_next_run_timestamp_seconds{job_id=\"report\"} 1767226800.0\n"));
//! assert!(text.contains("tempora_store_operation_duration_seconds_count{store=\"default\",operation=\"acquire_due\"}"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The metrics
//!
//! | name | type | labels | what |
//! |---|---|---|---|
//! | `tempora_runs_total` | counter | `job_id`, `outcome` | runs that ended, by how (`success`, `error`, `panic`, `timeout`, `interrupted`, `missed`: the history's [`RunStatus`]) |
//! | `tempora_run_duration_seconds` | histogram | `job_id` | how long runs ran |
//! | `tempora_run_start_lateness_seconds` | histogram | `job_id` | from a run's scheduled time to its start |
//! | `tempora_missed_runs_total` | counter | `job_id` | fire times missed (later than the misfire grace time) |
//! | `tempora_retried_runs_total` | counter | `job_id` | runs that were retries (attempt 2 and on) |
//! | `tempora_job_last_success_timestamp_seconds` | gauge | `job_id` | when the job's latest successful run here ended (Unix time) |
//! | `tempora_job_next_run_timestamp_seconds` | gauge | `job_id` | when the job runs next (Unix time); paused jobs have none |
//! | `tempora_runs_in_progress` | gauge | | runs handed to an executor and not finished |
//! | `tempora_live_nodes` | gauge | | schedulers sharing the stores, live by their heartbeats |
//! | `tempora_store_errors_total` | counter | `store`, `operation` | store calls that failed |
//! | `tempora_store_operation_duration_seconds` | histogram | `store`, `operation` | store calls' round-trip time |
//!
//! Labels are bounded: job ids (never run ids or times), store names and
//! operation names. The job label is `job_id`, not `job`, which Prometheus
//! gives every scraped series (the scrape job's name). The run metrics
//! count this process's runs since it started; Prometheus adds the
//! `instance` label, and `sum by (job_id)` or `max by (job_id)` gives the
//! view of all nodes. The job and node gauges are the stores' view, the
//! same from every node.

use std::fmt;
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind, EventMask};
use crate::history::{RunQuery, RunRecord, RunRetention, RunStatus};
use crate::job::Job;
use crate::scheduler::AsyncScheduler;
use crate::scheduler::engine::Engine;
use crate::store::{
    ChangeFeed, ChangeNotices, Claimed, JobStore, Locality, NodeRecord, NodeRegistry, Release,
    RunHistory, Settled, Settlement, UnrestorableJob,
};
use crate::sync::lock;

/// The `prometheus-client` crate these metrics are made with, for a
/// program that registers them into its own registry.
pub use prometheus_client;

/// The media type of what [`SchedulerMetrics::encode`] returns: the
/// OpenMetrics text format, which Prometheus reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The buckets of run durations, in seconds: 10 ms to an hour.
const DURATION_BUCKETS: [f64; 16] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
    3600.0,
];

/// The buckets of start lateness, in seconds: 1 ms to 5 minutes.
const LATENESS_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// The buckets of store round trips, in seconds: half a millisecond to
/// 10 s.
const STORE_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

fn lateness_histogram() -> Histogram {
    Histogram::new(LATENESS_BUCKETS)
}

fn store_histogram() -> Histogram {
    Histogram::new(STORE_BUCKETS)
}

/// A gauge of seconds (Unix time).
type SecondsGauge = Gauge<f64, AtomicU64>;

/// The labels of a job's series.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job_id: String,
}

/// The labels of a job's runs by outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    job_id: String,
    outcome: &'static str,
}

/// The labels of a store's calls.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    store: String,
    operation: &'static str,
}

/// What run events update.
#[derive(Debug)]
struct RunMetrics {
    runs: Family<OutcomeLabels, Counter>,
    duration: Family<JobLabels, Histogram, fn() -> Histogram>,
    lateness: Family<JobLabels, Histogram, fn() -> Histogram>,
    missed: Family<JobLabels, Counter>,
    retried: Family<JobLabels, Counter>,
    last_success: Family<JobLabels, SecondsGauge>,
}

impl RunMetrics {
    fn new() -> RunMetrics {
        RunMetrics {
            runs: Family::default(),
            duration: Family::new_with_constructor(duration_histogram),
            lateness: Family::new_with_constructor(lateness_histogram),
            missed: Family::default(),
            retried: Family::default(),
            last_success: Family::default(),
        }
    }

    /// Counts what `event` tells of a run.
    fn observe(&self, event: &Event) {
        let Some(job_id) = &event.job_id else {
            return;
        };
        let job = JobLabels {
            job_id: job_id.clone(),
        };
        let status = match event.kind {
            EventKind::JobMissed => {
                let fire_times = event.fire_times.max(event.scheduled_run_times.len()).max(1);
                self.missed
                    .get_or_create(&job)
                    .inc_by(u64::try_from(fire_times).unwrap_or(u64::MAX));
                RunStatus::Missed
            }
            EventKind::JobExecuted => event.status.unwrap_or(RunStatus::Success),
            EventKind::JobError => event.status.unwrap_or(RunStatus::Error),
            _ => return,
        };
        self.runs
            .get_or_create(&OutcomeLabels {
                job_id: job_id.clone(),
                outcome: status.as_str(),
            })
            .inc();
        if event.attempt > 1 {
            self.retried.get_or_create(&job).inc();
        }
        if let Some(duration) = event.duration {
            self.duration
                .get_or_create(&job)
                .observe(seconds(duration).max(0.0));
        }
        if let (Some(started), Some(scheduled)) = (event.started, event.scheduled_run_time()) {
            self.lateness
                .get_or_create(&job)
                .observe(seconds(started.duration_since(scheduled)).max(0.0));
        }
        if status == RunStatus::Success
            && let Some(started) = event.started
        {
            let ended = started
                .checked_add(event.duration.unwrap_or_default())
                .unwrap_or(started);
            self.last_success
                .get_or_create(&job)
                .set(unix_seconds(ended));
        }
    }
}

/// What is read at each scrape.
#[derive(Debug, Default)]
struct ScrapedMetrics {
    next_run: Family<JobLabels, SecondsGauge>,
    in_progress: Gauge,
    live_nodes: Gauge,
}

/// What metered stores update.
#[derive(Debug)]
struct StoreMetrics {
    errors: Family<StoreLabels, Counter>,
    duration: Family<StoreLabels, Histogram, fn() -> Histogram>,
}

/// The metrics of one or more schedulers and their stores; clones share
/// them. See the [module](self) for the metrics and an example.
#[derive(Clone)]
pub struct SchedulerMetrics {
    shared: Arc<Shared>,
}

struct Shared {
    runs: Arc<RunMetrics>,
    scraped: ScrapedMetrics,
    stores: Arc<StoreMetrics>,
    /// The schedulers attached, not kept alive by the metrics.
    schedulers: Mutex<Vec<Weak<Engine>>>,
    /// Every metric, for [`SchedulerMetrics::encode`].
    registry: Registry,
}

impl fmt::Debug for SchedulerMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchedulerMetrics")
            .field("schedulers", &lock(&self.shared.schedulers).len())
            .finish_non_exhaustive()
    }
}

impl Default for SchedulerMetrics {
    fn default() -> SchedulerMetrics {
        SchedulerMetrics::new()
    }
}

impl SchedulerMetrics {
    /// Metrics attached to nothing yet.
    pub fn new() -> SchedulerMetrics {
        let runs = Arc::new(RunMetrics::new());
        let scraped = ScrapedMetrics::default();
        let stores = Arc::new(StoreMetrics {
            errors: Family::default(),
            duration: Family::new_with_constructor(store_histogram),
        });
        let mut registry = Registry::default();
        register_all(&mut registry, &runs, &scraped, &stores);
        SchedulerMetrics {
            shared: Arc::new(Shared {
                runs,
                scraped,
                stores,
                schedulers: Mutex::new(Vec::new()),
                registry,
            }),
        }
    }

    /// Counts the runs of `scheduler` from now on (through a listener of
    /// its events), and reads its jobs, runs in progress and nodes at each
    /// [`SchedulerMetrics::refresh`]. A sync scheduler attaches through
    /// [`SyncScheduler::to_async`](crate::scheduler::SyncScheduler::to_async).
    /// The metrics do not keep the scheduler alive.
    ///
    /// Listening makes the scheduler build an event for each run that
    /// ends, and each updates a few counters: cheap beside a run, but not
    /// free for a scheduler that runs a hundred thousand tiny runs a
    /// second.
    pub fn attach(&self, scheduler: &AsyncScheduler) {
        let runs = Arc::clone(&self.shared.runs);
        scheduler.listeners().add(
            EventMask::JOB_EXECUTED | EventMask::JOB_ERROR | EventMask::JOB_MISSED,
            move |event| runs.observe(event),
        );
        lock(&self.shared.schedulers).push(scheduler.engine());
    }

    /// Wraps `store` so that each of its calls is timed and its failures
    /// counted under the store's name `name`; give the wrapped store to
    /// the scheduler.
    ///
    /// ```
    /// use tempora::metrics::SchedulerMetrics;
    /// use tempora::store::{JobStore, MemoryStore};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let metrics = SchedulerMetrics::new();
    /// let store = metrics.meter_store("default", MemoryStore::new());
    /// assert_eq!(store.backend(), "memory");
    /// assert!(store.list_jobs().await?.is_empty());
    /// let text = metrics.encode().await?;
    /// assert!(text.contains("tempora_store_operation_duration_seconds_count{store=\"default\",operation=\"list_jobs\"} 1\n"));
    /// # Ok::<(), tempora::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn meter_store(&self, name: &str, store: impl JobStore) -> MeteredStore {
        MeteredStore {
            inner: Arc::new(store),
            name: name.to_owned(),
            metrics: Arc::clone(&self.shared.stores),
        }
    }

    /// Registers every metric into `registry`, under the prefix `tempora_`,
    /// for a program that exports its own metrics. Call
    /// [`SchedulerMetrics::refresh`] before each encoding of the registry.
    ///
    /// ```
    /// use prometheus_client::registry::Registry;
    /// use tempora::metrics::SchedulerMetrics;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let metrics = SchedulerMetrics::new();
    /// let mut registry = Registry::default();
    /// metrics.register(&mut registry);
    /// metrics.refresh().await;
    /// let mut text = String::new();
    /// prometheus_client::encoding::text::encode(&mut text, &registry)?;
    /// assert!(text.contains("# TYPE tempora_runs_in_progress gauge\n"));
    /// assert!(text.contains("tempora_runs_in_progress 0\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register(&self, registry: &mut Registry) {
        register_all(
            registry,
            &self.shared.runs,
            &self.shared.scraped,
            &self.shared.stores,
        );
    }

    /// Reads what the metrics show as it is now: each attached scheduler's
    /// jobs' next run times (pending runs and paused jobs left out), its
    /// runs in progress, and the live nodes of the stores it shares with
    /// other processes (a scheduler whose stores are its own counts as
    /// one node while it runs). A store that fails is logged and leaves
    /// its jobs' gauges as they were.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a refresh cut short leaves the gauges it had not
    /// reached as they were.
    pub async fn refresh(&self) {
        let engines: Vec<Arc<Engine>> = {
            let mut schedulers = lock(&self.shared.schedulers);
            schedulers.retain(|engine| engine.strong_count() > 0);
            schedulers.iter().filter_map(Weak::upgrade).collect()
        };
        let scraped = &self.shared.scraped;
        let mut in_progress = 0;
        let mut next_runs: Vec<(String, Timestamp)> = Vec::new();
        let mut listed = true;
        let mut nodes: Vec<String> = Vec::new();
        let mut alone = 0;
        for engine in engines {
            in_progress += engine.runs_in_progress();
            match engine.list_jobs(None).await {
                Ok(jobs) => next_runs.extend(jobs.iter().filter_map(scheduled)),
                Err(error) => {
                    tracing::warn!(%error, "metrics: cannot list the jobs");
                    listed = false;
                }
            }
            match engine.live_nodes().await {
                Some(live) => nodes.extend(live.into_iter().map(|node| node.id)),
                None if matches!(
                    engine.state(),
                    crate::scheduler::SchedulerState::Running
                        | crate::scheduler::SchedulerState::Paused
                ) =>
                {
                    alone += 1;
                }
                None => {}
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        scraped
            .in_progress
            .set(i64::try_from(in_progress).unwrap_or(i64::MAX));
        scraped
            .live_nodes
            .set(i64::try_from(nodes.len() + alone).unwrap_or(i64::MAX));
        if listed {
            scraped.next_run.clear();
            for (job_id, next) in next_runs {
                scraped
                    .next_run
                    .get_or_create(&JobLabels { job_id })
                    .set(unix_seconds(next));
            }
        }
    }

    /// [Refreshes](SchedulerMetrics::refresh) the metrics and encodes them
    /// in the text format Prometheus scrapes (OpenMetrics; serve it as
    /// [`CONTENT_TYPE`]).
    ///
    /// # Errors
    ///
    /// None in practice: the encoder writes to a string.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`SchedulerMetrics::refresh`].
    pub async fn encode(&self) -> Result<String> {
        self.refresh().await;
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.shared.registry)
            .map_err(|error| Error::state(format!("metrics: cannot encode: {error}")))?;
        Ok(text)
    }
}

/// A job's id and next run time, unless it is a pending run or has none.
fn scheduled(job: &Job) -> Option<(String, Timestamp)> {
    if job.run_of().is_some() {
        return None;
    }
    job.next_run_time().map(|next| (job.id().to_owned(), next))
}

fn register_all(
    registry: &mut Registry,
    runs: &RunMetrics,
    scraped: &ScrapedMetrics,
    stores: &StoreMetrics,
) {
    let registry = registry.sub_registry_with_prefix("tempora");
    registry.register(
        "runs",
        "Runs that ended, by job and outcome (the run history's status)",
        runs.runs.clone(),
    );
    registry.register_with_unit(
        "run_duration",
        "How long runs ran",
        Unit::Seconds,
        runs.duration.clone(),
    );
    registry.register_with_unit(
        "run_start_lateness",
        "Time from a run's scheduled time to its start",
        Unit::Seconds,
        runs.lateness.clone(),
    );
    registry.register(
        "missed_runs",
        "Fire times missed: later than the job's misfire grace time",
        runs.missed.clone(),
    );
    registry.register(
        "retried_runs",
        "Runs that were retries of a failed run (attempt 2 and on)",
        runs.retried.clone(),
    );
    registry.register_with_unit(
        "job_last_success_timestamp",
        "When the job's latest successful run on this node ended, as Unix time",
        Unit::Seconds,
        runs.last_success.clone(),
    );
    registry.register_with_unit(
        "job_next_run_timestamp",
        "When the job runs next, as Unix time; paused jobs have none",
        Unit::Seconds,
        scraped.next_run.clone(),
    );
    registry.register(
        "runs_in_progress",
        "Runs handed to an executor and not finished",
        scraped.in_progress.clone(),
    );
    registry.register(
        "live_nodes",
        "Schedulers sharing the stores, live by their heartbeats",
        scraped.live_nodes.clone(),
    );
    registry.register(
        "store_errors",
        "Store calls that failed, by store and operation",
        stores.errors.clone(),
    );
    registry.register_with_unit(
        "store_operation_duration",
        "Round-trip time of store calls, by store and operation",
        Unit::Seconds,
        stores.duration.clone(),
    );
}

fn seconds(duration: SignedDuration) -> f64 {
    duration.as_secs_f64()
}

fn unix_seconds(time: Timestamp) -> f64 {
    seconds(time.duration_since(Timestamp::UNIX_EPOCH))
}

/// A store whose calls are timed and whose failures are counted, from
/// [`SchedulerMetrics::meter_store`]. It is the store it wraps in every
/// other way: the same backend, locality, history, node records and change
/// notices.
pub struct MeteredStore {
    inner: Arc<dyn JobStore>,
    name: String,
    metrics: Arc<StoreMetrics>,
}

impl fmt::Debug for MeteredStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeteredStore")
            .field("name", &self.name)
            .field("backend", &self.inner.backend())
            .finish_non_exhaustive()
    }
}

impl MeteredStore {
    /// Times `call` as `operation` and counts its failure (a store error:
    /// [`Error::is_store`]; a job not found or an id taken is an answer,
    /// not a failure).
    async fn time<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let started = SystemClock.monotonic();
        let result = call.await;
        let took = SystemClock.monotonic() - started;
        let labels = StoreLabels {
            store: self.name.clone(),
            operation,
        };
        self.metrics
            .duration
            .get_or_create(&labels)
            .observe(seconds(took).max(0.0));
        if let Err(error) = &result
            && error.is_store()
        {
            self.metrics.errors.get_or_create(&labels).inc();
        }
        result
    }

    fn unsupported(&self, what: &str) -> Error {
        Error::unsupported(self.inner.backend(), what)
    }
}

#[async_trait]
impl JobStore for MeteredStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn locality(&self) -> Locality {
        self.inner.locality()
    }

    fn history(&self) -> Option<&dyn RunHistory> {
        self.inner.history().map(|_| self as &dyn RunHistory)
    }

    fn nodes(&self) -> Option<&dyn NodeRegistry> {
        self.inner.nodes().map(|_| self as &dyn NodeRegistry)
    }

    fn changes(&self) -> Option<&dyn ChangeNotices> {
        self.inner.changes().map(|_| self as &dyn ChangeNotices)
    }

    async fn store_now(&self, now: Timestamp) -> Result<Timestamp> {
        self.time("store_now", self.inner.store_now(now)).await
    }

    async fn add_job(&self, job: Job, replace_existing: bool) -> Result<()> {
        self.time("add_job", self.inner.add_job(job, replace_existing))
            .await
    }

    async fn update_job(&self, job: Job) -> Result<()> {
        self.time("update_job", self.inner.update_job(job)).await
    }

    async fn remove_job(&self, id: &str) -> Result<()> {
        self.time("remove_job", self.inner.remove_job(id)).await
    }

    async fn remove_all_jobs(&self) -> Result<()> {
        self.time("remove_all_jobs", self.inner.remove_all_jobs())
            .await
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        self.time("get_job", self.inner.get_job(id)).await
    }

    async fn list_jobs(&self) -> Result<Vec<Job>> {
        self.time("list_jobs", self.inner.list_jobs()).await
    }

    async fn next_run_time(&self) -> Result<Option<Timestamp>> {
        self.time("next_run_time", self.inner.next_run_time()).await
    }

    async fn acquire_due(
        &self,
        now: Timestamp,
        limit: usize,
        owner: &str,
        lease: SignedDuration,
    ) -> Result<Vec<Claimed>> {
        self.time(
            "acquire_due",
            self.inner.acquire_due(now, limit, owner, lease),
        )
        .await
    }

    async fn release(
        &self,
        owner: &str,
        claimed: &Claimed,
        release: Release,
        now: Timestamp,
    ) -> Result<Settled> {
        self.time("release", self.inner.release(owner, claimed, release, now))
            .await
    }

    async fn unrestorable_jobs(&self) -> Result<Vec<UnrestorableJob>> {
        self.time("unrestorable_jobs", self.inner.unrestorable_jobs())
            .await
    }

    async fn settle(
        &self,
        owner: &str,
        settlements: &[Settlement],
        now: Timestamp,
    ) -> Result<Vec<Settled>> {
        self.time("settle", self.inner.settle(owner, settlements, now))
            .await
    }
}

#[async_trait]
impl RunHistory for MeteredStore {
    async fn record_runs(&self, records: &[RunRecord]) -> Result<()> {
        let history = self
            .inner
            .history()
            .ok_or_else(|| self.unsupported("run history"))?;
        self.time("record_runs", history.record_runs(records)).await
    }

    async fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRecord>> {
        let history = self
            .inner
            .history()
            .ok_or_else(|| self.unsupported("run history"))?;
        self.time("list_runs", history.list_runs(query)).await
    }

    async fn latest_runs(
        &self,
        job_ids: &[&str],
    ) -> Result<std::collections::HashMap<String, RunRecord>> {
        let history = self
            .inner
            .history()
            .ok_or_else(|| self.unsupported("run history"))?;
        self.time("latest_runs", history.latest_runs(job_ids)).await
    }

    async fn renew_runs(&self, node: &str, now: Timestamp, alive_until: Timestamp) -> Result<u64> {
        let history = self
            .inner
            .history()
            .ok_or_else(|| self.unsupported("run history"))?;
        self.time("renew_runs", history.renew_runs(node, now, alive_until))
            .await
    }

    async fn interrupt_runs(&self, now: Timestamp, node: Option<&str>) -> Result<Vec<RunRecord>> {
        let history = self
            .inner
            .history()
            .ok_or_else(|| self.unsupported("run history"))?;
        self.time("interrupt_runs", history.interrupt_runs(now, node))
            .await
    }

    async fn prune_runs(&self, retention: &RunRetention, now: Timestamp) -> Result<u64> {
        let history = self
            .inner
            .history()
            .ok_or_else(|| self.unsupported("run history"))?;
        self.time("prune_runs", history.prune_runs(retention, now))
            .await
    }

    async fn running_counts(
        &self,
        job_ids: &[&str],
        except_node: &str,
        now: Timestamp,
    ) -> Result<std::collections::HashMap<String, u32>> {
        let history = self
            .inner
            .history()
            .ok_or_else(|| self.unsupported("run history"))?;
        self.time(
            "running_counts",
            history.running_counts(job_ids, except_node, now),
        )
        .await
    }
}

#[async_trait]
impl NodeRegistry for MeteredStore {
    async fn heartbeat(&self, node: &NodeRecord) -> Result<Option<NodeRecord>> {
        let nodes = self
            .inner
            .nodes()
            .ok_or_else(|| self.unsupported("node records"))?;
        self.time("heartbeat", nodes.heartbeat(node)).await
    }

    async fn list_nodes(&self, now: Timestamp) -> Result<(Vec<NodeRecord>, Timestamp)> {
        let nodes = self
            .inner
            .nodes()
            .ok_or_else(|| self.unsupported("node records"))?;
        self.time("list_nodes", nodes.list_nodes(now)).await
    }

    async fn remove_node(&self, id: &str, instance: &str) -> Result<()> {
        let nodes = self
            .inner
            .nodes()
            .ok_or_else(|| self.unsupported("node records"))?;
        self.time("remove_node", nodes.remove_node(id, instance))
            .await
    }
}

#[async_trait]
impl ChangeNotices for MeteredStore {
    async fn watch(&self) -> Result<ChangeFeed> {
        let changes = self
            .inner
            .changes()
            .ok_or_else(|| self.unsupported("change notices"))?;
        self.time("watch", changes.watch()).await
    }
}
