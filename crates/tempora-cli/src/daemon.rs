//! `tempora run`: the scheduler in the foreground, on the jobs of a
//! configuration file.
//!
//! The jobs of the file are synced into the scheduler at start and again at
//! SIGHUP: added, changed in place, and removed when they leave the file.
//! SIGINT and SIGTERM shut it down gracefully, waiting for running jobs up
//! to the file's `shutdown_timeout`, then cancelling them (a command job's
//! process group is killed).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tempora::config::SchedulerConfig;
use tempora::scheduler::{BlockingScheduler, SchedulerBuilder, SyncScheduler};

use crate::config::{DaemonConfig, LogFormat};
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

/// Builds the scheduler the configuration describes.
///
/// # Errors
///
/// A setting the scheduler refuses (an executor, a zone).
pub fn build(config: &DaemonConfig) -> Result<BlockingScheduler> {
    let mut settings = SchedulerConfig::default();
    settings.timezone = config.timezone.clone();
    settings.job_defaults = config.job_defaults;
    settings.executors = config.executors.clone();
    let mut builder = SchedulerBuilder::new()
        .configure(&settings)?
        .shutdown_timeout(config.shutdown_timeout);
    if config.timezone.is_none() {
        builder = builder.timezone(tempora::trigger::Zone::system().name());
    }
    if let Some(store) = &config.store {
        tracing::warn!(
            store = %store,
            "persistent stores are not available in this release; jobs are kept in memory"
        );
    }
    Ok(builder.blocking()?)
}

/// The ids of the jobs that came from the configuration file, so that a
/// reload removes the ones that left it and keeps jobs added at run time.
#[derive(Debug, Default, Clone)]
pub struct ManagedJobs {
    ids: Arc<Mutex<BTreeSet<String>>>,
}

/// Makes the scheduler's jobs match the file: adds new jobs, replaces
/// changed ones (an unchanged job keeps its next run time), removes the
/// ones the file no longer has.
///
/// # Errors
///
/// A job the scheduler refuses, a store failure.
pub fn sync(scheduler: &SyncScheduler, config: &DaemonConfig, managed: &ManagedJobs) -> Result<()> {
    let mut ids = managed.ids.lock().unwrap_or_else(PoisonError::into_inner);
    let wanted: BTreeSet<String> = config.jobs.iter().map(|job| job.id.clone()).collect();
    for gone in ids.difference(&wanted) {
        match scheduler.remove_job(gone) {
            Ok(()) => tracing::info!(job = %gone, "job removed: it left the configuration"),
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(CliError::from(error)),
        }
    }
    for job in &config.jobs {
        let args = serde_json::to_value(&job.command)
            .map_err(|error| tempora::Error::invalid("command", error.to_string()))?;
        if let Some(existing) = scheduler.get_job(&job.id)?
            && existing.trigger() == &job.trigger
            && existing.args() == &args
            && job
                .name
                .as_deref()
                .is_none_or(|name| name == existing.name())
        {
            continue;
        }
        let added = scheduler.add_job(job.to_builder())?;
        tracing::info!(job = %added.id(), trigger = %added.trigger(), "job synced from the configuration");
    }
    *ids = wanted;
    Ok(())
}

/// `tempora run`: runs until SIGINT or SIGTERM; SIGHUP reloads the file.
///
/// # Errors
///
/// A bad configuration file, a refused setting or job.
pub fn run(path: PathBuf, log_format: Option<LogFormat>) -> Result<()> {
    let config = load(&path)?;
    init_logging(log_format.unwrap_or(config.log_format));
    let scheduler = build(&config)?;
    let managed = ManagedJobs::default();
    sync(&scheduler, &config, &managed)?;
    reload_on_hangup(path.clone(), (*scheduler).clone(), managed)?;
    tracing::info!(config = %path.display(), jobs = config.jobs.len(), "tempora running");
    scheduler.start()?;
    tracing::info!("tempora stopped");
    Ok(())
}

/// Listens for SIGHUP on a thread of its own and reloads the file each time;
/// a file with a mistake is logged and the running jobs are kept.
fn reload_on_hangup(path: PathBuf, scheduler: SyncScheduler, managed: ManagedJobs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| tempora::Error::invalid("signal", error.to_string()))?;
    #[cfg(unix)]
    let mut hangups = {
        let _guard = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).map_err(|error| {
            tempora::Error::invalid("signal", format!("cannot listen for SIGHUP: {error}"))
        })?
    };
    std::thread::Builder::new()
        .name("tempora-reload".to_owned())
        .spawn(move || {
            #[cfg(unix)]
            while runtime.block_on(hangups.recv()).is_some() {
                tracing::info!(config = %path.display(), "SIGHUP: reloading the configuration");
                let outcome = load(&path).and_then(|config| sync(&scheduler, &config, &managed));
                if let Err(error) = outcome {
                    tracing::error!(%error, "the configuration was not reloaded; the jobs stay as they were");
                }
            }
            #[cfg(not(unix))]
            let _ = (runtime, path, scheduler, managed);
        })
        .map_err(|error| tempora::Error::invalid("signal", error.to_string()))?;
    Ok(())
}
