//! `tempora run`: the scheduler in the foreground, on the store and the
//! jobs of a configuration file.
//!
//! The store is the file's `[scheduler] store` (default: the SQLite file
//! `tempora.db` beside the file); a database server that cannot be reached
//! at start is waited for. Before it takes its node id, the daemon checks
//! that no other live daemon holds it. The jobs of the file are synced into
//! the store at start and again at SIGHUP, all of the file or none of it:
//! added, changed in place, and removed when they leave the file; a one-off
//! job that fired is not added again. Jobs added at run time (`tempora jobs
//! add`) carry another [`ORIGIN`] label and are kept. Signal handlers are
//! installed first of all. SIGINT and SIGTERM shut the daemon down
//! gracefully: each running command's process group gets SIGTERM, the
//! daemon waits up to the file's `shutdown_timeout`, then cancels what is
//! left (its process group is killed); the runs cut short are recorded as
//! interrupted and retried at the next start under `on_interrupted =
//! "retry"`. Changes other processes make to the store
//! (the `tempora jobs` commands) are picked up within a second.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tempora::clock::{Clock, SystemClock};
use tempora::history::RunQuery;
use tempora::jiff::Timestamp;
use tempora::job::Job;
use tempora::metrics::SchedulerMetrics;
use tempora::scheduler::{BlockingScheduler, SchedulerBuilder, SchedulerState, SyncScheduler};
use tempora::store::{JobStore, NodeRecord};
use tempora::task::COMMAND;
use tempora::trigger::Trigger;

use crate::config::{
    DaemonConfig, JobConfig, LogFormat, ORIGIN, ORIGIN_CONFIG, PAUSED_IN_CONFIG, PAUSED_UNTIL,
    paused_until,
};
use crate::store::{Backend, StoreUrl};
use crate::{CliError, Result};
use tokio::sync::watch;

/// Reads and checks the configuration file at `path`.
///
/// # Errors
///
/// The file cannot be read (field `config`), or has a mistake (located).
pub fn load(path: &Path) -> Result<DaemonConfig> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| {
        tempora::Error::invalid("config", format!("cannot read {name:?}: {error}"))
    })?;
    Ok(DaemonConfig::parse(&text, &name)?)
}

/// Logs the configuration's warnings (see [`DaemonConfig::warnings`]).
fn log_warnings(config: &DaemonConfig) {
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
}

/// The directory relative store paths are read in: the configuration
/// file's own.
pub fn config_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// The store URL `config` (read from `path`) names, resolved.
///
/// # Errors
///
/// Field `store` for a URL of no supported kind.
pub fn store_url(config: &DaemonConfig, path: &Path) -> Result<StoreUrl> {
    Ok(StoreUrl::resolve(
        config.store.as_deref(),
        config_dir(path),
    )?)
}

/// Sends the log to stderr: human-readable lines, or one JSON object per
/// line. `RUST_LOG` overrides the level (default `info`). The span each
/// run executes in ([`tempora::executor::RUN_SPAN`]) is left out of the
/// lines: they name the job already.
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let lines = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let lines = match format {
        LogFormat::Text => lines.boxed(),
        LogFormat::Json => lines.json().boxed(),
    };
    let not_run_spans = tracing_subscriber::filter::filter_fn(|metadata| {
        !(metadata.is_span() && metadata.name() == tempora::executor::RUN_SPAN)
    });
    // A second initialisation (in tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(lines.with_filter(not_run_spans))
        .try_init();
}

/// The node id a daemon uses when the file sets none: `tempora@` and the
/// host name, the same across restarts, so that a daemon that was killed
/// finds its own unfinished runs when it starts again. A second daemon on
/// the same host (and store) must set its own `node_id`: one started under
/// an id a live daemon holds refuses to start (see `tempora run`).
pub fn default_node_id() -> String {
    format!("tempora@{}", tempora::scheduler::host_name())
}

/// Builds the scheduler the configuration describes, on `store`.
///
/// # Errors
///
/// A setting the scheduler refuses (an executor, a zone).
pub fn build(config: &DaemonConfig, store: Arc<dyn JobStore>) -> Result<BlockingScheduler> {
    let scheduler = &config.scheduler;
    let mut builder = SchedulerBuilder::new()
        .configure(scheduler)?
        .shutdown_timeout(config.shutdown_timeout)
        .lease(config.lease())
        .node_id(scheduler.node_id.clone().unwrap_or_else(default_node_id))
        .store(tempora::job::DEFAULT, store);
    if scheduler.timezone.is_none() {
        builder = builder.timezone(tempora::trigger::Zone::system().name());
    }
    if let Some(notify) = &config.notify {
        builder = builder.notify(notify.clone());
    }
    Ok(builder.blocking()?)
}

/// Builds the scheduler the configuration describes, as [`build`] does,
/// with its metrics: its store metered (each call timed, each failure
/// counted) and its runs counted, for the API's `GET /metrics`.
///
/// ```
/// use std::sync::Arc;
/// use tempora::store::MemoryStore;
/// use tempora_cli::config::DaemonConfig;
/// use tempora_cli::daemon::build_metered;
///
/// let config = DaemonConfig::parse("[scheduler]\ntimezone = \"UTC\"\n", "tempora.toml")?;
/// let (scheduler, metrics) = build_metered(&config, Arc::new(MemoryStore::new()))?;
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let text = runtime.block_on(metrics.encode())?;
/// assert!(text.contains("tempora_runs_in_progress 0\n"));
/// # drop(scheduler);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`build`].
pub fn build_metered(
    config: &DaemonConfig,
    store: Arc<dyn JobStore>,
) -> Result<(BlockingScheduler, SchedulerMetrics)> {
    let metrics = SchedulerMetrics::new();
    let store: Arc<dyn JobStore> = Arc::new(metrics.meter_store(tempora::job::DEFAULT, store));
    let scheduler = build(config, store)?;
    metrics.attach(&scheduler.to_async());
    Ok((scheduler, metrics))
}

/// What a sync of the configuration file changed in the store, for the
/// log.
///
/// ```
/// use tempora_cli::daemon::SyncReport;
///
/// let mut report = SyncReport::default();
/// assert_eq!(report.to_string(), "nothing changed");
/// report.added.push("backup".into());
/// report.changed.push(("report".into(), vec!["env".into(), "timeout".into()]));
/// report.fired.push("migrate".into());
/// assert_eq!(
///     report.to_string(),
///     "added backup; changed report (env, timeout); not added again, already fired: migrate"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Jobs added to the store.
    pub added: Vec<String>,
    /// Jobs replaced, each with the keys that changed.
    pub changed: Vec<(String, Vec<String>)>,
    /// Jobs removed: they left the file.
    pub removed: Vec<String>,
    /// One-off (`date`) jobs of the file not added again: the store's
    /// history says they fired.
    pub fired: Vec<String>,
}

impl SyncReport {
    /// True when the store already matched the file.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if !self.added.is_empty() {
            parts.push(format!("added {}", self.added.join(", ")));
        }
        if !self.changed.is_empty() {
            let changed: Vec<String> = self
                .changed
                .iter()
                .map(|(id, keys)| format!("{id} ({})", keys.join(", ")))
                .collect();
            parts.push(format!("changed {}", changed.join(", ")));
        }
        if !self.removed.is_empty() {
            parts.push(format!("removed {}", self.removed.join(", ")));
        }
        if self.is_empty() {
            parts.insert(0, "nothing changed".to_owned());
        }
        if !self.fired.is_empty() {
            parts.push(format!(
                "not added again, already fired: {}",
                self.fired.join(", ")
            ));
        }
        f.write_str(&parts.join("; "))
    }
}

/// The keys of the file that differ between the `stored` job and the job
/// the file now describes (`wanted`, built as the scheduler would); empty
/// when the stored job is the file's.
fn differences(stored: &Job, wanted: &Job) -> Vec<String> {
    let mut keys = Vec::new();
    let mut check = |key: &str, same: bool| {
        if !same && !keys.iter().any(|known| known == key) {
            keys.push(key.to_owned());
        }
    };
    check("origin", stored.label(ORIGIN) == wanted.label(ORIGIN));
    check("name", stored.name() == wanted.name());
    check("trigger", stored.trigger() == wanted.trigger());
    check("exclude", stored.exclusions() == wanted.exclusions());
    check("command", stored.task().name() == wanted.task().name());
    match (stored.args().as_object(), wanted.args().as_object()) {
        (Some(before), Some(after)) => {
            for key in before.keys().chain(after.keys()) {
                let name = match key.as_str() {
                    "program" | "args" => "command",
                    other => other,
                };
                check(name, before.get(key) == after.get(key));
            }
        }
        _ => check("command", stored.args() == wanted.args()),
    }
    check("timeout", stored.timeout() == wanted.timeout());
    check("executor", stored.executor() == wanted.executor());
    check(
        "misfire_grace_time",
        stored.misfire_grace_time() == wanted.misfire_grace_time(),
    );
    check("coalesce", stored.coalesce() == wanted.coalesce());
    check(
        "max_instances",
        stored.max_instances() == wanted.max_instances(),
    );
    check(
        "on_interrupted",
        stored.on_interrupted() == wanted.on_interrupted(),
    );
    check("overlap", stored.overlap() == wanted.overlap());
    check("retry", stored.retry() == wanted.retry());
    check("notify", stored.notify() == wanted.notify());
    check(
        "expect_success_within",
        stored.expect_success_within() == wanted.expect_success_within(),
    );
    check(
        "pause_after_failures",
        stored.pause_after_failures() == wanted.pause_after_failures(),
    );
    check(
        "paused",
        stored.label(PAUSED_IN_CONFIG) == wanted.label(PAUSED_IN_CONFIG),
    );
    keys
}

/// For a one-off (`date`) job of the file that is not in the store: why it
/// is not added again, when it already fired. The store's history tells:
/// the record of its run date is written in the same atomic step that
/// takes the fire time and removes the exhausted job, so a record for
/// (id, run date) means the fire time was taken — run, missed or refused.
/// A run date further back than the history is kept (`kept`, the file's
/// `history_max_age`) counts as fired too: its record may have been
/// pruned.
fn already_fired(
    scheduler: &SyncScheduler,
    wanted: &JobConfig,
    now: Timestamp,
    kept: Option<tempora::jiff::SignedDuration>,
) -> Result<Option<String>> {
    let Trigger::Date(date) = &wanted.trigger else {
        return Ok(None);
    };
    let run_date = date.run_date();
    let runs = scheduler.list_runs(&RunQuery::new().job(&wanted.id))?;
    if let Some(run) = runs.iter().find(|run| run.scheduled_time == run_date) {
        return Ok(Some(format!(
            "its run at {run_date} is in the history ({})",
            run.status
        )));
    }
    if let Some(kept) = kept
        && now.duration_since(run_date) > kept
    {
        return Ok(Some(format!(
            "its run date {run_date} is older than the history kept ({kept:#})"
        )));
    }
    Ok(None)
}

/// True for a failure worth trying again: the store could not be reached
/// or failed; false for a refusal (a job or setting the scheduler refuses).
pub fn is_store_failure(error: &CliError) -> bool {
    matches!(error, CliError::Invalid(error) if error.is_store())
}

/// Makes the store's jobs match the file, all of it or none of it: every
/// job of the file is built and checked first, and nothing is written when
/// one is refused. Then it adds new jobs, replaces changed ones (any key:
/// trigger, command, env, timeout, `paused`, a key removed from the file,
/// which falls back to its default), and removes the jobs of the file that
/// left it. An unchanged job keeps its next run time and a pause made at
/// run time; see [`PAUSED_IN_CONFIG`] for how `paused` is followed. A
/// one-off (`date`) job that already fired is not added again (its history
/// says so). Jobs of another origin (added with `tempora jobs add`) are
/// kept, unless the file now has a job of the same id: the file wins, with
/// a warning.
///
/// The writes are not one transaction: when the store fails midway, part
/// of the change is written. Syncing again (it is idempotent) completes
/// it; the daemon does so until it succeeds.
///
/// # Errors
///
/// A job the scheduler refuses (nothing written), a store failure
/// ([`is_store_failure`]).
pub fn sync(scheduler: &SyncScheduler, config: &DaemonConfig) -> Result<SyncReport> {
    let now = SystemClock.now();
    let defaults = config.scheduler.job_defaults.unwrap_or_default();
    let kept = config.scheduler.history_retention().max_age;
    let stored = scheduler.list_jobs(None)?;
    let mut report = SyncReport::default();
    let mut puts = Vec::new();
    for wanted in &config.jobs {
        let refused = |error: tempora::Error| {
            CliError::from(tempora::Error::invalid(
                "job",
                format!("{:?}: {error}", wanted.id),
            ))
        };
        let mut builder = wanted.to_builder(ORIGIN_CONFIG);
        let job = builder.clone().build_at(&defaults, now).map_err(refused)?;
        scheduler
            .tasks()
            .check_args(COMMAND, job.args())
            .map_err(refused)?;
        match stored.iter().find(|stored| stored.id() == wanted.id) {
            Some(existing) => {
                let changed = differences(existing, &job);
                if changed.is_empty() {
                    continue;
                }
                if existing.label(ORIGIN) != Some(ORIGIN_CONFIG) {
                    tracing::warn!(
                        job = %wanted.id,
                        "a job added at run time has the id of a job of the configuration; the configuration's replaces it"
                    );
                }
                // A pause or resume made at run time stays while the
                // file's `paused` does not change.
                let pause_changed = changed.iter().any(|key| key == "paused");
                if !pause_changed && existing.is_paused() && !wanted.paused {
                    builder = builder.paused();
                } else if !pause_changed
                    && let Some(until) = paused_until(existing, now)
                    && let Some(next) = job.next_fire_time(None, until)
                {
                    // A `jobs pause --until` stays too.
                    builder = builder
                        .label(PAUSED_UNTIL, until.to_string())
                        .next_run_time(next);
                }
                report.changed.push((wanted.id.clone(), changed));
            }
            None => {
                if let Some(why) = already_fired(scheduler, wanted, now, kept)? {
                    tracing::info!(job = %wanted.id, "one-off job not added again: {why}");
                    report.fired.push(wanted.id.clone());
                    continue;
                }
                report.added.push(wanted.id.clone());
            }
        }
        puts.push(builder);
    }
    for job in &stored {
        let from_file = job.label(ORIGIN) == Some(ORIGIN_CONFIG);
        if from_file && !config.jobs.iter().any(|wanted| wanted.id == job.id()) {
            report.removed.push(job.id().to_owned());
        }
    }
    for id in &report.removed {
        match scheduler.remove_job(id) {
            Ok(()) => tracing::info!(job = %id, "job removed: it left the configuration"),
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(CliError::from(error)),
        }
    }
    for builder in puts {
        let added = scheduler.add_job(builder)?;
        tracing::info!(job = %added.id(), trigger = %added.trigger(), "job synced from the configuration");
    }
    Ok(report)
}

/// The longest wait between two attempts to reach the store.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// The wait after the `attempt`th failed try (1-based): half a second,
/// doubled each time, at most [`MAX_RETRY`].
fn backoff(attempt: u32) -> Duration {
    let doubled = Duration::from_millis(500).saturating_mul(1 << attempt.saturating_sub(1).min(8));
    doubled.min(MAX_RETRY)
}

/// The signals the daemon listens for from the start, before it opens its
/// store: SIGINT and SIGTERM stop it (during start-up at once, cleanly;
/// once running, the scheduler shuts down gracefully), SIGHUP reloads the
/// file (one received during start-up is handled once it runs).
struct Signals {
    /// Becomes true at SIGINT or SIGTERM.
    stop: watch::Receiver<bool>,
    /// SIGHUP, for the reload thread.
    #[cfg(unix)]
    hangups: tokio::signal::unix::Signal,
    /// The scheduler, once built: a stop signal that comes after the
    /// start-up checked for one but before the scheduler listens itself
    /// shuts it down.
    scheduler: Arc<OnceLock<SyncScheduler>>,
}

impl Signals {
    fn listen(runtime: &tokio::runtime::Runtime) -> Result<Signals> {
        let cannot = |error: std::io::Error| {
            CliError::from(tempora::Error::invalid(
                "signal",
                format!("cannot listen for signals: {error}"),
            ))
        };
        let (sender, stop) = watch::channel(false);
        let scheduler: Arc<OnceLock<SyncScheduler>> = Arc::new(OnceLock::new());
        let _guard = runtime.enter();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let hangups = signal(SignalKind::hangup()).map_err(cannot)?;
            let mut terminate = signal(SignalKind::terminate()).map_err(cannot)?;
            let mut interrupt = signal(SignalKind::interrupt()).map_err(cannot)?;
            let started = Arc::clone(&scheduler);
            runtime.spawn(async move {
                loop {
                    let name = tokio::select! {
                        Some(()) = terminate.recv() => "SIGTERM",
                        Some(()) = interrupt.recv() => "SIGINT",
                        else => return,
                    };
                    if !*sender.borrow() {
                        tracing::info!(signal = name, "stopping");
                        crate::systemd::stopping();
                    }
                    sender.send_replace(true);
                    if let Some(scheduler) = started.get().cloned() {
                        // Running: the scheduler heard it too, unless it
                        // came before it listened; then stop it here.
                        std::thread::spawn(move || {
                            std::thread::sleep(Duration::from_millis(300));
                            let state = scheduler.state();
                            if matches!(state, SchedulerState::Running | SchedulerState::Paused) {
                                let _ = scheduler.shutdown(true);
                            }
                        });
                    }
                }
            });
            Ok(Signals {
                stop,
                hangups,
                scheduler,
            })
        }
        #[cfg(not(unix))]
        {
            let _ = (cannot, sender);
            Ok(Signals { stop, scheduler })
        }
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Waits `delay`; false when a stop signal came first.
    async fn sleep(&mut self, delay: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(delay) => true,
            _ = self.stop.wait_for(|stop| *stop) => false,
        }
    }
}

/// Opens the store, waiting for a database server that cannot be reached
/// yet: one log line per attempt, retried with a growing delay (at most
/// [`MAX_RETRY`]). `None` when a stop signal came first. An SQLite file is
/// not waited for: its failure is final.
async fn open_store(
    url: &StoreUrl,
    prefix: Option<&str>,
    signals: &mut Signals,
) -> Result<Option<Arc<dyn JobStore>>> {
    let mut attempt = 1;
    loop {
        let opened = tokio::select! {
            opened = url.open(prefix) => opened,
            _ = signals.stop.wait_for(|stop| *stop) => return Ok(None),
        };
        let error = match opened {
            Ok(store) => {
                if attempt > 1 {
                    tracing::info!(store = %url, attempts = attempt, "the store is reachable");
                }
                return Ok(Some(store));
            }
            Err(error) if error.is_store() && url.backend() != Backend::Sqlite => error,
            Err(error) => return Err(error.into()),
        };
        let delay = backoff(attempt);
        tracing::warn!(
            store = %url,
            attempt,
            retry_in = %format!("{:?}", delay),
            %error,
            "the store cannot be reached; waiting for it"
        );
        if !signals.sleep(delay).await {
            return Ok(None);
        }
        attempt += 1;
    }
}

/// True when process `pid` runs on this host (in this pid namespace).
fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// The refusal of a node id that another live daemon holds.
fn node_id_in_use(node: &str, other: &NodeRecord) -> CliError {
    tempora::Error::invalid(
        "node_id",
        format!(
            "another live daemon uses node id {node:?} (host {}, pid {}); stop it, or give this \
             daemon its own id: [scheduler] node_id = \"...\" in its configuration file",
            other.host, other.pid
        ),
    )
    .into()
}

/// Checks that no other live daemon holds the node id `node` in `store`,
/// before this one takes it: two processes under one id would take each
/// other's runs for their own leftovers (marking live runs interrupted)
/// and each count only its own runs against `max_instances`.
///
/// The store's node records tell (see [`NodeRecord`]): no record, or one
/// whose heartbeat is older than a lease, is free; a record of this host
/// whose process still runs is another live daemon: refused. A record of
/// this host whose process is gone is this daemon's killed predecessor
/// under the same id: taken at once, so that its unfinished runs are
/// recorded as interrupted without waiting for a lease. A live record of
/// another host is watched for a third of a lease and a second (a live
/// daemon writes its heartbeat every third of its lease): refused when it
/// advances, taken when it does not (that node died). Returns false when
/// a stop signal came meanwhile.
///
/// # Errors
///
/// Field `node_id` when the id is held; a store failure.
async fn check_node_id(
    store: &dyn JobStore,
    node: &str,
    lease: tempora::jiff::SignedDuration,
    signals: &mut Signals,
) -> Result<bool> {
    let find = |nodes: Vec<NodeRecord>| nodes.into_iter().find(|record| record.id == node);
    let Some(registry) = store.nodes() else {
        return Ok(true);
    };
    let (nodes, now) = registry.list_nodes(SystemClock.now()).await?;
    let Some(other) = find(nodes) else {
        return Ok(true);
    };
    if !other.is_live(now, lease) {
        return Ok(true);
    }
    let host = tempora::scheduler::host_name();
    if other.host == host {
        if other.pid == std::process::id() || !pid_alive(other.pid) {
            tracing::info!(
                node,
                pid = other.pid,
                "this node id was last used by a process of this host that no longer runs: taking it over"
            );
            return Ok(true);
        }
        return Err(node_id_in_use(node, &other));
    }
    let watch = Duration::try_from(lease / 3).unwrap_or_default() + Duration::from_secs(1);
    tracing::info!(
        node,
        other_host = %other.host,
        other_pid = other.pid,
        "this node id was alive moments ago on another host: watching its heartbeat for {watch:?} before taking it over"
    );
    let deadline = std::time::Instant::now() + watch;
    while std::time::Instant::now() < deadline {
        if !signals.sleep(Duration::from_millis(500)).await {
            return Ok(false);
        }
        let (nodes, _) = registry.list_nodes(SystemClock.now()).await?;
        match find(nodes) {
            None => return Ok(true),
            Some(now_seen)
                if now_seen.instance != other.instance
                    || now_seen.last_heartbeat > other.last_heartbeat =>
            {
                return Err(node_id_in_use(node, &now_seen));
            }
            Some(_) => {}
        }
    }
    Ok(true)
}

/// `tempora run`: runs until SIGINT or SIGTERM; SIGHUP reloads the file.
///
/// Its signal handlers are installed first, so a SIGHUP or SIGTERM during
/// start-up neither kills it nor is lost. A database server that cannot be
/// reached is waited for (a log line per attempt), at start and while the
/// file's jobs are synced; SIGINT or SIGTERM meanwhile exits cleanly.
///
/// # Errors
///
/// A bad configuration file, a store that cannot be opened (an SQLite
/// file, a refused URL), a refused setting or job.
pub fn run(path: PathBuf, log_format: Option<LogFormat>) -> Result<()> {
    // The store's connections live on this runtime, for the daemon's life:
    // a multi-threaded one drives their I/O whoever calls the store.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("tempora-store")
        .enable_all()
        .build()
        .map_err(|error| tempora::Error::invalid("runtime", error.to_string()))?;
    let mut signals = Signals::listen(&runtime)?;
    let config = load(&path)?;
    crate::run_as::check_privileges(&config, crate::run_as::effective_uid())?;
    let url = store_url(&config, &path)?;
    init_logging(log_format.unwrap_or(config.log_format));
    log_warnings(&config);
    let Some(store) = runtime.block_on(open_store(
        &url,
        config.store_prefix.as_deref(),
        &mut signals,
    ))?
    else {
        tracing::info!("tempora stopped before it started");
        return Ok(());
    };
    let node = config
        .scheduler
        .node_id
        .clone()
        .unwrap_or_else(default_node_id);
    if !runtime.block_on(check_node_id(
        store.as_ref(),
        &node,
        config.lease(),
        &mut signals,
    ))? {
        tracing::info!("tempora stopped before it started");
        return Ok(());
    }
    let (scheduler, metrics) = build_metered(&config, Arc::clone(&store))?;
    let mut attempt = 1;
    loop {
        match sync(&scheduler, &config) {
            Ok(report) => {
                tracing::info!("configuration synced: {report}");
                break;
            }
            Err(error) if is_store_failure(&error) => {
                let delay = backoff(attempt);
                tracing::warn!(
                    attempt,
                    retry_in = %format!("{:?}", delay),
                    %error,
                    "the configuration's jobs cannot be synced: the store failed; retrying"
                );
                if !runtime.block_on(signals.sleep(delay)) {
                    tracing::info!("tempora stopped before it started");
                    return Ok(());
                }
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
    let _ = signals.scheduler.set((*scheduler).clone());
    if signals.stopping() {
        tracing::info!("tempora stopped before it started");
        return Ok(());
    }
    if let Some(api) = &config.api {
        serve_api(api, &config, store, &scheduler, metrics, &runtime, &signals)?;
    }
    #[cfg(unix)]
    reload_on_hangup(
        path.clone(),
        config.clone(),
        runtime.handle().clone(),
        signals.hangups,
        (*scheduler).clone(),
    )?;
    tracing::info!(
        config = %path.display(),
        store = %url,
        jobs = config.jobs.len(),
        "tempora running"
    );
    let watched = (*scheduler).clone();
    crate::systemd::spawn_watchdog(move || {
        matches!(
            watched.state(),
            SchedulerState::Running | SchedulerState::Paused
        )
    })
    .map_err(|error| tempora::Error::invalid("watchdog", error.to_string()))?;
    crate::systemd::ready(&format!("running {} job(s)", config.jobs.len()));
    scheduler.start()?;
    tracing::info!("tempora stopped");
    Ok(())
}

/// Serves the HTTP API of the `[api]` table on the daemon's runtime, over
/// the daemon's store, until a stop signal; then it lets the requests in
/// flight finish. `POST /v1/jobs` reads a `[[job]]` table as the file
/// does, with the file's zone, calendars and job defaults, and adds the
/// job with origin `api` (kept by the sync, like `tempora jobs add`).
/// `GET /metrics` serves the scheduler's `metrics`, behind the table's
/// metrics token when it sets one.
///
/// # Errors
///
/// The address cannot be bound (field `api.listen`), the certificate or
/// key cannot be read (`api.tls_cert`).
fn serve_api(
    api: &tempora_api::serve::ApiConfig,
    config: &DaemonConfig,
    store: Arc<dyn JobStore>,
    scheduler: &SyncScheduler,
    metrics: SchedulerMetrics,
    runtime: &tokio::runtime::Runtime,
    signals: &Signals,
) -> Result<()> {
    let (settings, tokens) = api.check()?;
    let token_count = config.api.as_ref().map_or(0, |api| api.token.len());
    let listener = runtime.block_on(tempora_api::serve::bind(&settings))?;
    let zone = match config.timezone() {
        Some(name) => tempora::trigger::Zone::new(name)?,
        None => tempora::trigger::Zone::system(),
    };
    let default_zone = zone.name().to_owned();
    let calendars = config.calendars.clone();
    let defaults = config.scheduler.job_defaults.unwrap_or_default();
    let tasks = scheduler.clone();
    let parser = move |table: &serde_json::Map<String, serde_json::Value>, now: Timestamp| {
        let job = crate::config::job_from_json(table, Some(&default_zone), &calendars)?;
        let job = job
            .to_builder(tempora_api::views::ORIGIN_API)
            .build_at(&defaults, now)?;
        tasks.tasks().check_args(COMMAND, job.args())?;
        Ok(job)
    };
    let mut api = tempora_api::ApiBuilder::new(store)
        .zone(zone)
        .lease(config.lease())
        .tokens(tokens)
        .job_parser(Arc::new(parser))
        .metrics(metrics);
    if let Some(notify) = &config.notify {
        api = api.notify(notify.clone());
    }
    // The dashboard's pages under /ui, beside the API's /v1.
    let router = tempora_dashboard::mount(api).build();
    let mut stop = signals.stop.clone();
    let shutdown = async move {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    let dashboard = format!(
        "{}://{}{}/",
        if listener.is_tls() { "https" } else { "http" },
        listener.local_addr(),
        tempora_dashboard::PREFIX
    );
    tracing::info!(
        listen = %listener.local_addr(),
        tls = listener.is_tls(),
        tokens = token_count,
        %dashboard,
        "the API listens; the dashboard is at {dashboard}"
    );
    runtime.spawn(async move {
        if let Err(error) = listener.serve(router, shutdown).await {
            tracing::error!(%error, "the API stopped");
        }
    });
    Ok(())
}

/// Listens for SIGHUP on a thread of its own and reloads the file each
/// time, all of it or none of it. A file with a mistake, a job the
/// scheduler refuses or a changed `[scheduler]` setting (which takes a
/// restart) is refused as a whole and logged, and the jobs stay as they
/// were. A reload the store fails to write is tried again every two
/// seconds until it is (or until the next SIGHUP replaces it). The log
/// says which: `the configuration was reloaded: …` with what changed
/// (field `reload = "applied"`), or `the configuration was not reloaded;
/// the jobs stay as they were` with why (`reload = "refused"`, `reason`).
#[cfg(unix)]
fn reload_on_hangup(
    path: PathBuf,
    started: DaemonConfig,
    handle: tokio::runtime::Handle,
    mut hangups: tokio::signal::unix::Signal,
    scheduler: SyncScheduler,
) -> Result<()> {
    const RETRY: Duration = Duration::from_secs(2);
    let refused = |reason: &str| {
        tracing::error!(
            reload = "refused",
            reason,
            "the configuration was not reloaded; the jobs stay as they were"
        );
    };
    std::thread::Builder::new()
        .name("tempora-reload".to_owned())
        .spawn(move || {
            // A reload whose writes the store failed, to try again.
            let mut pending: Option<DaemonConfig> = None;
            loop {
                let hangup = handle.block_on(async {
                    if pending.is_some() {
                        tokio::select! {
                            received = hangups.recv() => received.map(|()| true),
                            () = tokio::time::sleep(RETRY) => Some(false),
                        }
                    } else {
                        hangups.recv().await.map(|()| true)
                    }
                });
                match hangup {
                    None => return,
                    Some(true) => {
                        tracing::info!(config = %path.display(), "SIGHUP: reloading the configuration");
                        crate::systemd::reloading();
                        match load(&path) {
                            Err(error) => {
                                refused(&error.to_string());
                                crate::systemd::ready("reload refused: the jobs stay as they were");
                                continue;
                            }
                            Ok(config) => {
                                log_warnings(&config);
                                if let Err(error) = crate::run_as::check_privileges(
                                    &config,
                                    crate::run_as::effective_uid(),
                                ) {
                                    refused(&error.to_string());
                                    crate::systemd::ready("reload refused: the jobs stay as they were");
                                    continue;
                                }
                                let changed = started.scheduler_changes(&config);
                                if !changed.is_empty() {
                                    refused(&format!(
                                        "[scheduler] {} changed, which takes a restart",
                                        changed.join(", ")
                                    ));
                                    crate::systemd::ready("reload refused: the jobs stay as they were");
                                    continue;
                                }
                                if config.api != started.api {
                                    tracing::warn!(
                                        "[api] changed, which takes a restart: the API keeps \
                                         the address, TLS files and tokens it started with"
                                    );
                                }
                                pending = Some(config);
                            }
                        }
                    }
                    Some(false) => {}
                }
                let Some(config) = &pending else {
                    continue;
                };
                match sync(&scheduler, config) {
                    Ok(report) => {
                        tracing::info!(reload = "applied", "the configuration was reloaded: {report}");
                        crate::systemd::ready("reloaded");
                        pending = None;
                    }
                    Err(error) if is_store_failure(&error) => {
                        tracing::warn!(
                            reload = "incomplete",
                            %error,
                            "the configuration was reloaded in part: the store failed; trying again in {RETRY:?}"
                        );
                        crate::systemd::ready("reload incomplete: the store failed; retrying");
                    }
                    Err(error) => {
                        refused(&error.to_string());
                        crate::systemd::ready("reload refused: the jobs stay as they were");
                        pending = None;
                    }
                }
            }
        })
        .map_err(|error| tempora::Error::invalid("signal", error.to_string()))?;
    Ok(())
}
