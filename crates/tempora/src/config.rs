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
//! How long the run history is kept, and how often the loop looks at
//! stores that other processes change:
//!
//! ```
//! use tempora::config::SchedulerConfig;
//! use tempora::jiff::SignedDuration;
//!
//! let config = SchedulerConfig::from_toml(r#"
//!     history_keep_per_job = 500        # or "unlimited"; default 100
//!     history_max_age = "2160h"         # 90 days; or "unlimited"; default 30 days
//!     store_poll_interval = "500ms"     # default 1s
//! "#)?;
//! let retention = config.history_retention();
//! assert_eq!(retention.per_job, Some(500));
//! assert_eq!(retention.max_age, Some(SignedDuration::from_hours(24 * 90)));
//! assert_eq!(config.store_poll_interval, Some(SignedDuration::from_millis(500)));
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
use crate::history::RunRetention;
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
    /// The longest the loop sleeps while a store that other processes may
    /// change is configured, e.g. `"1s"` (the default); see
    /// [`SchedulerBuilder::store_poll_interval`].
    pub store_poll_interval: Option<SignedDuration>,
    /// The run history keeps this many newest records of each job: a
    /// number, or `"unlimited"`. [`HistoryLimit::Default`] when not given
    /// (100).
    #[serde(default, deserialize_with = "keep_per_job")]
    pub history_keep_per_job: HistoryLimit<usize>,
    /// The run history drops records scheduled longer ago than this: a
    /// duration (`"720h"`), or `"unlimited"`. [`HistoryLimit::Default`]
    /// when not given (30 days).
    #[serde(default, deserialize_with = "max_age")]
    pub history_max_age: HistoryLimit<SignedDuration>,
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

/// One limit of the run history as a file sets it: `history_keep_per_job`
/// or `history_max_age`.
///
/// ```
/// use tempora::config::{HistoryLimit, SchedulerConfig};
///
/// let config = SchedulerConfig::from_toml("history_keep_per_job = \"unlimited\"")?;
/// assert_eq!(config.history_keep_per_job, HistoryLimit::Unlimited);
/// assert_eq!(config.history_max_age, HistoryLimit::Default);
/// let config = SchedulerConfig::from_toml("history_keep_per_job = 50")?;
/// assert_eq!(config.history_keep_per_job, HistoryLimit::Limit(50));
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HistoryLimit<T> {
    /// Not given: the limit of [`RunRetention::default`].
    #[default]
    Default,
    /// `"unlimited"`: no limit.
    Unlimited,
    /// At most this.
    Limit(T),
}

impl<T> HistoryLimit<T> {
    /// The limit to keep: `default` when none was given, `None` for no
    /// limit.
    fn or(self, default: Option<T>) -> Option<T> {
        match self {
            HistoryLimit::Default => default,
            HistoryLimit::Unlimited => None,
            HistoryLimit::Limit(limit) => Some(limit),
        }
    }
}

/// Reads `history_keep_per_job`: a number, or `"unlimited"`.
fn keep_per_job<'de, D>(deserializer: D) -> std::result::Result<HistoryLimit<usize>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    deserializer.deserialize_any(LimitVisitor::new(
        "history_keep_per_job",
        "a number of records",
    ))
}

/// Reads `history_max_age`: a duration, or `"unlimited"`.
fn max_age<'de, D>(deserializer: D) -> std::result::Result<HistoryLimit<SignedDuration>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    deserializer.deserialize_any(LimitVisitor::new("history_max_age", "a duration"))
}

/// Reads a [`HistoryLimit`]: `"unlimited"`, or what `T` reads; anything
/// else is refused naming the key, the value and what the key takes.
struct LimitVisitor<T> {
    key: &'static str,
    what: &'static str,
    limit: std::marker::PhantomData<T>,
}

impl<T> LimitVisitor<T> {
    fn new(key: &'static str, what: &'static str) -> LimitVisitor<T> {
        LimitVisitor {
            key,
            what,
            limit: std::marker::PhantomData,
        }
    }

    /// `given` (as the file writes it) is not a value of this key.
    fn refuse<E: serde::de::Error>(&self, given: impl std::fmt::Display) -> E {
        E::custom(format!(
            "{}: {given} is not {} or \"unlimited\"",
            self.key, self.what
        ))
    }

    /// The limit `value` gives, as `T` reads it, or the refusal of `given`.
    fn read<'de, V, E>(&self, value: V, given: impl std::fmt::Display) -> Result<HistoryLimit<T>, E>
    where
        T: Deserialize<'de>,
        V: serde::de::IntoDeserializer<'de, serde::de::value::Error>,
        E: serde::de::Error,
    {
        T::deserialize(value.into_deserializer())
            .map(HistoryLimit::Limit)
            .map_err(|_| self.refuse(given))
    }
}

impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for LimitVisitor<T> {
    type Value = HistoryLimit<T>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} or \"unlimited\"", self.what)
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
        if text == "unlimited" {
            return Ok(HistoryLimit::Unlimited);
        }
        self.read(text, format_args!("{text:?}"))
    }

    fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Self::Value, E> {
        self.read(number, number)
    }

    fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Self::Value, E> {
        self.read(number, number)
    }

    fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<Self::Value, E> {
        Err(self.refuse(number))
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Err(self.refuse(value))
    }
}

impl SchedulerConfig {
    /// The run history's retention: [`RunRetention::default`] with what
    /// `history_keep_per_job` and `history_max_age` set.
    ///
    /// ```
    /// use tempora::config::SchedulerConfig;
    /// use tempora::history::RunRetention;
    ///
    /// let config = SchedulerConfig::from_toml("history_keep_per_job = \"unlimited\"")?;
    /// assert_eq!(config.history_retention().per_job, None);
    /// assert_eq!(config.history_retention().max_age, RunRetention::default().max_age);
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn history_retention(&self) -> RunRetention {
        let mut retention = RunRetention::default();
        retention.per_job = self.history_keep_per_job.or(retention.per_job);
        retention.max_age = self.history_max_age.or(retention.max_age);
        retention
    }

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

/// The 1-based line and column of byte `offset` in `text`, as an error
/// about a configuration file names its place (TOML's own errors give byte
/// offsets).
///
/// ```
/// use tempora::config::line_column;
///
/// let text = "timezone = \"UTC\"\nlease = \"soon\"\n";
/// assert_eq!(line_column(text, text.find("soon").unwrap()), (2, 10));
/// ```
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
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
    /// A bad timezone (field `timezone`), a bad executor setting, a
    /// negative `history_max_age`, a `lease` shorter than
    /// [`MIN_LEASE`](crate::scheduler::MIN_LEASE).
    pub fn configure(mut self, config: &SchedulerConfig) -> Result<SchedulerBuilder> {
        if let HistoryLimit::Limit(age) = config.history_max_age
            && age < SignedDuration::ZERO
        {
            use jiff::fmt::friendly::{Designator, Direction, SpanPrinter};
            let printer = SpanPrinter::new()
                .designator(Designator::Compact)
                .direction(Direction::Sign);
            return Err(Error::invalid(
                "history_max_age",
                format!("{} is negative", printer.duration_to_string(&age)),
            ));
        }
        if config.history_keep_per_job != HistoryLimit::Default
            || config.history_max_age != HistoryLimit::Default
        {
            self = self.history_retention(config.history_retention());
        }
        if let Some(interval) = config.store_poll_interval {
            self = self.store_poll_interval(interval);
        }
        if let Some(timezone) = &config.timezone {
            crate::trigger::Zone::new(timezone)?;
            self = self.timezone(timezone);
        }
        if let Some(node) = &config.node_id {
            self = self.node_id(node.clone());
        }
        if let Some(lease) = config.lease {
            if lease < crate::scheduler::MIN_LEASE {
                return Err(Error::invalid(
                    "lease",
                    format!(
                        "{lease:#} is shorter than the minimum of {:#}",
                        crate::scheduler::MIN_LEASE
                    ),
                ));
            }
            self = self.lease(lease);
        }
        if let Some(defaults) = config.job_defaults {
            self = self.job_defaults(defaults);
        }
        for (name, executor) in &config.executors {
            // A refused pool size, named as the file's key.
            let in_executor = |error: Error| match (error.field(), error.reason()) {
                (Some(field), Some(reason)) => {
                    Error::invalid(format!("executors.{name}.{field}"), reason)
                }
                _ => error,
            };
            let executor = match executor {
                ExecutorConfig::ThreadPool { max_workers } => {
                    Executor::thread_pool(*max_workers).map_err(in_executor)?
                }
                ExecutorConfig::Async => Executor::async_tasks(),
                ExecutorConfig::ProcessPool { max_workers } => {
                    Executor::process_pool(*max_workers).map_err(in_executor)?
                }
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
            "[job_defaults]\nmisfire_grace_time = \"2m\"\nmax_instances = 4\noverlap = \"buffer_all\"\n",
        )
        .unwrap();
        let defaults = config.job_defaults.unwrap();
        assert_eq!(defaults.overlap, Some(crate::job::Overlap::BufferAll));
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
    fn history_and_polling_settings_read_values_and_unlimited() {
        let config = SchedulerConfig::from_toml(
            "history_keep_per_job = 7\nhistory_max_age = \"unlimited\"\nstore_poll_interval = \"2s\"\n",
        )
        .unwrap();
        let retention = config.history_retention();
        assert_eq!(retention.per_job, Some(7));
        assert_eq!(retention.max_age, None);
        assert_eq!(
            config.store_poll_interval,
            Some(SignedDuration::from_secs(2))
        );
        assert_eq!(
            SchedulerConfig::default().history_retention(),
            RunRetention::default()
        );

        let error = SchedulerConfig::from_toml("history_keep_per_job = \"lots\"").unwrap_err();
        assert_eq!(
            error.to_string(),
            "config: line 1, column 24: history_keep_per_job: \"lots\" is not a number of \
             records or \"unlimited\""
        );
        let config = SchedulerConfig::from_toml("store_poll_interval = \"0s\"").unwrap();
        let error = SchedulerBuilder::new()
            .configure(&config)
            .unwrap()
            .host_driven()
            .unwrap_err();
        assert_eq!(error.to_string(), "store_poll_interval: 0s is not positive");
        let config = SchedulerConfig::from_toml("history_max_age = \"-1h\"").unwrap();
        let error = SchedulerBuilder::new().configure(&config).unwrap_err();
        assert_eq!(error.to_string(), "history_max_age: -1h is negative");
    }

    #[test]
    fn a_bad_history_limit_names_the_key_the_value_and_what_it_takes() {
        let refused = |text: &str| SchedulerConfig::from_toml(text).unwrap_err().to_string();
        assert_eq!(
            refused("history_max_age = 5"),
            "config: line 1, column 19: history_max_age: 5 is not a duration or \"unlimited\""
        );
        assert_eq!(
            refused("history_max_age = \"forever\""),
            "config: line 1, column 19: history_max_age: \"forever\" is not a duration or \
             \"unlimited\""
        );
        assert_eq!(
            refused("history_keep_per_job = -3"),
            "config: line 1, column 24: history_keep_per_job: -3 is not a number of records or \
             \"unlimited\""
        );
        assert_eq!(
            refused("history_keep_per_job = true"),
            "config: line 1, column 24: history_keep_per_job: true is not a number of records \
             or \"unlimited\""
        );
        assert_eq!(
            refused("history_keep_per_job = 2.5"),
            "config: line 1, column 24: history_keep_per_job: 2.5 is not a number of records \
             or \"unlimited\""
        );
        let config =
            SchedulerConfig::from_toml("history_keep_per_job = 0\nhistory_max_age = \"24h\"")
                .unwrap();
        assert_eq!(config.history_keep_per_job, HistoryLimit::Limit(0));
        assert_eq!(
            config.history_max_age,
            HistoryLimit::Limit(SignedDuration::from_hours(24))
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

    #[test]
    fn a_lease_shorter_than_a_second_is_refused() {
        let config = SchedulerConfig::from_toml("lease = \"500ms\"").unwrap();
        let error = SchedulerBuilder::new().configure(&config).unwrap_err();
        assert_eq!(
            error.to_string(),
            "lease: 500ms is shorter than the minimum of 1s"
        );
        let config = SchedulerConfig::from_toml("lease = \"1s\"").unwrap();
        assert!(SchedulerBuilder::new().configure(&config).is_ok());
    }
}
