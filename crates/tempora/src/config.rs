//! Configuration from a file: APScheduler's `configure()`, as TOML.
//!
//! ```
//! use tempora::config::SchedulerConfig;
//! use tempora::scheduler::SchedulerBuilder;
//!
//! let config = SchedulerConfig::from_toml(r#"
//!     timezone = "Europe/Berlin"
//!
//!     [job_defaults]
//!     misfire_grace_time = "30s"
//!     coalesce = false
//!     max_instances = 3
//!
//!     [executors.default]
//!     type = "thread_pool"
//!     max_workers = 20
//!
//!     [executors.io]
//!     type = "async"
//!
//!     [stores.default]
//!     type = "memory"
//! "#)?;
//! let scheduler = SchedulerBuilder::new().configure(&config)?.background()?;
//! assert_eq!(scheduler.timezone().name(), "Europe/Berlin");
//! # Ok::<(), tempora::Error>(())
//! ```
//!
//! Every key is checked: a misspelt one is an error that names it, with the
//! line and column.
//!
//! ```
//! use tempora::config::SchedulerConfig;
//!
//! let error = SchedulerConfig::from_toml("timezon = \"UTC\"").unwrap_err();
//! assert_eq!(error.field(), Some("config"));
//! assert!(error.to_string().contains("unknown field `timezon`"), "{error}");
//! ```

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::job::JobDefaults;
use crate::scheduler::SchedulerBuilder;
use crate::store::MemoryStore;

/// A scheduler's settings, as read from a TOML file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SchedulerConfig {
    /// The zone jobs are shown in: an IANA name, `UTC` or an offset.
    pub timezone: Option<String>,
    /// This scheduler's name as the owner of claimed jobs.
    pub node_id: Option<String>,
    /// How long a claim on due jobs holds, e.g. `"30s"`.
    pub lease: Option<SignedDuration>,
    /// Options for jobs that do not set their own.
    #[serde(default)]
    pub job_defaults: Option<JobDefaults>,
    /// Executors by name.
    #[serde(default)]
    pub executors: BTreeMap<String, ExecutorConfig>,
    /// Job stores by name.
    #[serde(default)]
    pub stores: BTreeMap<String, StoreConfig>,
}

/// One executor's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ExecutorConfig {
    /// A pool of threads ([`Executor::thread_pool`]).
    ThreadPool {
        /// At most this many threads (default 10).
        #[serde(default = "default_max_workers")]
        max_workers: usize,
    },
    /// Tokio tasks ([`Executor::async_tasks`]).
    Async,
    /// Worker processes ([`Executor::process_pool`]).
    ProcessPool {
        /// At most this many processes (default 10).
        #[serde(default = "default_max_workers")]
        max_workers: usize,
    },
}

fn default_max_workers() -> usize {
    Executor::DEFAULT_MAX_WORKERS
}

/// One job store's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum StoreConfig {
    /// Jobs in memory ([`MemoryStore`]).
    Memory,
}

impl SchedulerConfig {
    /// Reads a configuration from TOML text.
    ///
    /// # Errors
    ///
    /// Field `config`, with the line, the column and what is wrong: an
    /// unknown key, a value of the wrong type, a bad duration.
    pub fn from_toml(text: &str) -> Result<SchedulerConfig> {
        toml::from_str(text).map_err(|error| {
            let message = error.message();
            match error.span().map(|span| line_column(text, span.start)) {
                Some((line, column)) => {
                    Error::invalid("config", format!("line {line}, column {column}: {message}"))
                }
                None => Error::invalid("config", message.to_owned()),
            }
        })
    }
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

impl SchedulerBuilder {
    /// Applies `config`: what it sets replaces what the builder had.
    ///
    /// # Errors
    ///
    /// A bad timezone (field `timezone`), a bad executor setting.
    pub fn configure(mut self, config: &SchedulerConfig) -> Result<SchedulerBuilder> {
        if let Some(timezone) = &config.timezone {
            crate::trigger::Zone::new(timezone)?;
            self = self.timezone(timezone);
        }
        if let Some(node) = &config.node_id {
            self = self.node_id(node.clone());
        }
        if let Some(lease) = config.lease {
            self = self.lease(lease);
        }
        if let Some(defaults) = config.job_defaults {
            self = self.job_defaults(defaults);
        }
        for (name, executor) in &config.executors {
            let executor = match executor {
                ExecutorConfig::ThreadPool { max_workers } => Executor::thread_pool(*max_workers)
                    .map_err(|error| {
                    Error::invalid(
                        format!("executors.{name}.max_workers"),
                        error.to_string().replace("max_workers: ", ""),
                    )
                })?,
                ExecutorConfig::Async => Executor::async_tasks(),
                ExecutorConfig::ProcessPool { max_workers } => Executor::process_pool(*max_workers)
                    .map_err(|error| {
                        Error::invalid(
                            format!("executors.{name}.max_workers"),
                            error.to_string().replace("max_workers: ", ""),
                        )
                    })?,
            };
            self = self.executor(name.clone(), executor);
        }
        for (name, store) in &config.stores {
            match store {
                StoreConfig::Memory => self = self.store(name.clone(), MemoryStore::new()),
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::MisfireGraceTime;

    #[test]
    fn job_defaults_read_durations_numbers_and_unlimited() {
        let config = SchedulerConfig::from_toml(
            "[job_defaults]\nmisfire_grace_time = \"2m\"\nmax_instances = 4\n",
        )
        .unwrap();
        let defaults = config.job_defaults.unwrap();
        assert_eq!(
            defaults.misfire_grace_time,
            MisfireGraceTime::Limit(SignedDuration::from_secs(120))
        );
        assert_eq!(defaults.max_instances, 4);
        assert!(defaults.coalesce);

        let config =
            SchedulerConfig::from_toml("[job_defaults]\nmisfire_grace_time = 30\n").unwrap();
        assert_eq!(
            config.job_defaults.unwrap().misfire_grace_time,
            MisfireGraceTime::Limit(SignedDuration::from_secs(30))
        );
        let config =
            SchedulerConfig::from_toml("[job_defaults]\nmisfire_grace_time = \"unlimited\"\n")
                .unwrap();
        assert_eq!(
            config.job_defaults.unwrap().misfire_grace_time,
            MisfireGraceTime::Unlimited
        );
    }

    #[test]
    fn unknown_keys_are_named_with_their_place() {
        let error = SchedulerConfig::from_toml(
            "timezone = \"UTC\"\n\n[executors.default]\ntype = \"thread_pool\"\nmax_worker = 3\n",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "config: line 3, column 1: unknown field `max_worker`, expected `max_workers`"
        );
        let error =
            SchedulerConfig::from_toml("[stores.default]\ntype = \"postgres\"\n").unwrap_err();
        assert!(
            error.to_string().contains("unknown variant `postgres`"),
            "{error}"
        );
    }

    #[test]
    fn a_bad_time_zone_or_pool_size_names_the_field() {
        let config = SchedulerConfig::from_toml("timezone = \"Mars/Base\"").unwrap();
        let error = SchedulerBuilder::new().configure(&config).unwrap_err();
        assert_eq!(error.field(), Some("timezone"));
        let config =
            SchedulerConfig::from_toml("[executors.cpu]\ntype = \"thread_pool\"\nmax_workers = 0")
                .unwrap();
        let error = SchedulerBuilder::new().configure(&config).unwrap_err();
        assert_eq!(
            error.to_string(),
            "executors.cpu.max_workers: 0 is not allowed: at least 1"
        );
    }
}
