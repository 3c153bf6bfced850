//! `tempora run`: the scheduler in the foreground, on the store and the
//! jobs of a configuration file.
//!
//! The store is the file's `[scheduler] store` (default: the SQLite file
//! `tempora.db` beside the file). The jobs of the file are synced into it at
//! start and again at SIGHUP: added, changed in place, and removed when they
//! leave the file. Jobs added at run time (`tempora jobs add`) carry another
//! [`ORIGIN`] label and are kept. SIGINT and SIGTERM shut the daemon down
//! gracefully: each running command's process group gets SIGTERM, the
//! daemon waits up to the file's `shutdown_timeout`, then cancels what is
//! left (its process group is killed); the runs cut short are recorded as
//! interrupted and retried at the next start under `on_interrupted =
//! "retry"`. Changes other processes make to the store
//! (the `tempora jobs` commands) are picked up within a second.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempora::config::SchedulerConfig;
use tempora::job::Job;
use tempora::scheduler::{BlockingScheduler, SchedulerBuilder, SyncScheduler};
use tempora::store::JobStore;

use crate::config::{DaemonConfig, JobConfig, LogFormat, ORIGIN, ORIGIN_CONFIG};
use crate::store::StoreUrl;
use crate::{CliError, Result};

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
/// line. `RUST_LOG` overrides the level (default `info`).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    // A second initialisation (in tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The node id a daemon uses when the file sets none: `tempora@` and the
/// host name, the same across restarts, so that a daemon that was killed
/// finds its own unfinished runs when it starts again.
pub fn default_node_id() -> String {
    format!("tempora@{}", tempora::scheduler::host_name())
}

/// Builds the scheduler the configuration describes, on `store`.
///
/// # Errors
///
/// A setting the scheduler refuses (an executor, a zone).
pub fn build(config: &DaemonConfig, store: Arc<dyn JobStore>) -> Result<BlockingScheduler> {
    let mut settings = SchedulerConfig::default();
    settings.timezone = config.timezone.clone();
    settings.job_defaults = config.job_defaults;
    settings.executors = config.executors.clone();
    let mut builder = SchedulerBuilder::new()
        .configure(&settings)?
        .shutdown_timeout(config.shutdown_timeout)
        .lease(config.lease)
        .node_id(config.node_id.clone().unwrap_or_else(default_node_id))
        .store(tempora::job::DEFAULT, store);
    if config.timezone.is_none() {
        builder = builder.timezone(tempora::trigger::Zone::system().name());
    }
    Ok(builder.blocking()?)
}

/// True when the stored `job` is what `wanted` from the file describes, so
/// that a sync leaves it (and its next run time, or its pause) alone.
fn unchanged(job: &Job, wanted: &JobConfig) -> bool {
    let Ok(args) = serde_json::to_value(&wanted.command) else {
        return false;
    };
    job.label(ORIGIN) == Some(ORIGIN_CONFIG)
        && job.trigger() == &wanted.trigger
        && job.args() == &args
        && wanted.name.as_deref().is_none_or(|name| name == job.name())
        && wanted
            .misfire_grace_time
            .is_none_or(|grace| grace == job.misfire_grace_time())
        && wanted.coalesce.is_none_or(|c| c == job.coalesce())
        && wanted
            .max_instances
            .is_none_or(|m| m == job.max_instances())
        && wanted
            .on_interrupted
            .is_none_or(|policy| policy == job.on_interrupted())
}

/// Makes the store's jobs match the file: adds new jobs, replaces changed
/// ones (an unchanged job keeps its next run time and its pause), removes
/// the jobs of the file that left it. Jobs of another origin (added with
/// `tempora jobs add`) are kept, unless the file now has a job of the same
/// id: the file wins, with a warning.
///
/// # Errors
///
/// A job the scheduler refuses, a store failure.
pub fn sync(scheduler: &SyncScheduler, config: &DaemonConfig) -> Result<()> {
    let stored = scheduler.list_jobs(None)?;
    for job in &stored {
        let from_file = job.label(ORIGIN) == Some(ORIGIN_CONFIG);
        if from_file && !config.jobs.iter().any(|wanted| wanted.id == job.id()) {
            match scheduler.remove_job(job.id()) {
                Ok(()) => tracing::info!(job = %job.id(), "job removed: it left the configuration"),
                Err(error) if error.is_not_found() => {}
                Err(error) => return Err(CliError::from(error)),
            }
        }
    }
    for wanted in &config.jobs {
        let existing = stored.iter().find(|job| job.id() == wanted.id);
        if let Some(job) = existing {
            if unchanged(job, wanted) {
                continue;
            }
            if job.label(ORIGIN) != Some(ORIGIN_CONFIG) {
                tracing::warn!(
                    job = %wanted.id,
                    "a job added at run time has the id of a job of the configuration; the configuration's replaces it"
                );
            }
        }
        let added = scheduler.add_job(wanted.to_builder(ORIGIN_CONFIG))?;
        tracing::info!(job = %added.id(), trigger = %added.trigger(), "job synced from the configuration");
    }
    Ok(())
}

/// `tempora run`: runs until SIGINT or SIGTERM; SIGHUP reloads the file.
///
/// # Errors
///
/// A bad configuration file, a store that cannot be opened, a refused
/// setting or job.
pub fn run(path: PathBuf, log_format: Option<LogFormat>) -> Result<()> {
    let config = load(&path)?;
    let url = store_url(&config, &path)?;
    init_logging(log_format.unwrap_or(config.log_format));
    // The store's connections live on this runtime, for the daemon's life:
    // a multi-threaded one drives their I/O whoever calls the store.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("tempora-store")
        .enable_all()
        .build()
        .map_err(|error| tempora::Error::invalid("runtime", error.to_string()))?;
    let store = runtime.block_on(url.open(config.store_prefix.as_deref()))?;
    let scheduler = build(&config, store)?;
    sync(&scheduler, &config)?;
    reload_on_hangup(path.clone(), &runtime, (*scheduler).clone())?;
    tracing::info!(
        config = %path.display(),
        store = %url,
        jobs = config.jobs.len(),
        "tempora running"
    );
    scheduler.start()?;
    tracing::info!("tempora stopped");
    Ok(())
}

/// Listens for SIGHUP on a thread of its own and reloads the file each time;
/// a file with a mistake is logged and the jobs are kept. The store is not
/// changed by a reload: a new `store` takes a restart.
fn reload_on_hangup(
    path: PathBuf,
    runtime: &tokio::runtime::Runtime,
    scheduler: SyncScheduler,
) -> Result<()> {
    #[cfg(unix)]
    {
        let mut hangups = {
            let _guard = runtime.enter();
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).map_err(
                |error| {
                    tempora::Error::invalid("signal", format!("cannot listen for SIGHUP: {error}"))
                },
            )?
        };
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("tempora-reload".to_owned())
            .spawn(move || {
                while handle.block_on(hangups.recv()).is_some() {
                    tracing::info!(config = %path.display(), "SIGHUP: reloading the configuration");
                    let outcome = load(&path).and_then(|config| sync(&scheduler, &config));
                    if let Err(error) = outcome {
                        tracing::error!(%error, "the configuration was not reloaded; the jobs stay as they were");
                    }
                }
            })
            .map_err(|error| tempora::Error::invalid("signal", error.to_string()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, runtime, scheduler);
    Ok(())
}
