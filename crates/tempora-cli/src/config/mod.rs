//! The daemon's configuration file: scheduler settings and `[[job]]` tables.
//!
//! ```toml
//! [scheduler]
//! timezone = "Europe/Berlin"
//!
//! [[job]]
//! id = "backup"
//! command = ["pg_dump", "-f", "/backups/app.sql", "app"]
//! cron = "0 3 * * *"
//! timeout = "30m"
//! ```
//!
//! [`DaemonConfig::parse`] reads and checks everything — unknown keys, every
//! trigger expression, durations, policies — and reports the first mistake
//! with the file, line and column, the key, and what is allowed:
//!
//! ```
//! use tempora_cli::config::DaemonConfig;
//!
//! let text = "[[job]]\nid = \"report\"\nshell = \"make report\"\ncron = \"0 24 * * *\"\n";
//! let error = DaemonConfig::parse(text, "tempora.toml").unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "tempora.toml:4:8: job \"report\": hour: 24 is out of range 0-23"
//! );
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use jiff::SignedDuration;
use serde::Deserialize;
use tempora::calendar::Calendar;
use tempora::config::{SchedulerConfig, line_column};
use tempora::notify::Notify;
use tempora::trigger::Zone;
use tempora_api::serve::ApiConfig;
use toml::Spanned;

mod job;
mod trigger;

pub use job::{
    JobConfig, ORIGIN, ORIGIN_CLI, ORIGIN_CONFIG, PAUSED_IN_CONFIG, PAUSED_UNTIL, job_from_json,
    job_from_toml, paused_until, unknown_calendar,
};
use job::{RawJob, check_job};
pub use trigger::numbered_day_of_week;

/// A mistake in a configuration file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, naming the key and what is allowed.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// How the daemon writes its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The `[scheduler]` table: the daemon's own keys, and every key of the
/// library's [`SchedulerConfig`]. A key of neither is refused, named, at
/// its place (see [`RawScheduler::check_unknown`]).
#[derive(Debug, Clone, Default, Deserialize)]
struct RawScheduler {
    store: Option<Spanned<String>>,
    store_prefix: Option<String>,
    log_format: Option<LogFormat>,
    shutdown_timeout: Option<Spanned<String>>,
    // Two keys of the library read here, so that a mistake in them is
    // located at its value.
    timezone: Option<Spanned<String>>,
    lease: Option<Spanned<String>>,
    #[serde(flatten)]
    library: SchedulerConfig,
    // What neither took: refused by `check_unknown`.
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

impl RawScheduler {
    /// The daemon's own keys.
    const DAEMON_KEYS: [&'static str; 4] =
        ["store", "store_prefix", "log_format", "shutdown_timeout"];

    /// Refuses the first key that is neither the daemon's nor the
    /// library's: where it is written in `text` (the table starts at
    /// `table`), and what the table takes.
    fn check_unknown(&self, text: &str, table: &Range<usize>) -> Result<(), Located> {
        let Some(key) = self.unknown.keys().next() else {
            return Ok(());
        };
        let rest = table.start..text.len();
        let span = key_span(text, &rest, key).unwrap_or_else(|| table.clone());
        let mut expected: Vec<&str> = Self::DAEMON_KEYS.to_vec();
        // `stores` is refused: the daemon has the one `store`.
        expected.extend(
            struct_keys::<SchedulerConfig>()
                .iter()
                .filter(|key| **key != "stores"),
        );
        expected.sort_unstable();
        expected.dedup();
        let expected: Vec<String> = expected.iter().map(|key| format!("`{key}`")).collect();
        Err((
            span,
            format!(
                "unknown field `{key}`, expected one of {}",
                expected.join(", ")
            ),
        ))
    }
}

/// The first value of the `[scheduler]` table that the library's
/// [`SchedulerConfig`] refuses, named and located: read with the rest of the
/// table, such a mistake carries no key and only the table's place.
fn library_mistake(text: &str) -> Option<Located> {
    let mut document: toml::Table = toml::from_str(text).ok()?;
    let toml::Value::Table(table) = document.remove("scheduler")? else {
        return None;
    };
    let span = 0..text.len();
    // The daemon's keys, and the two it reads itself, report their own
    // mistakes with their places.
    let read_here =
        |key: &str| RawScheduler::DAEMON_KEYS.contains(&key) || key == "timezone" || key == "lease";
    table
        .into_iter()
        .filter(|(key, _)| !read_here(key))
        .find_map(|(key, value)| {
            let alone = toml::Value::Table(toml::Table::from_iter([(key.clone(), value)]));
            let error = SchedulerConfig::deserialize(alone).err()?;
            let place = key_span(text, &span, &key).unwrap_or(span.clone());
            let message = error.message().trim_end();
            // A key that names itself in its message is not named twice.
            let message = if message.starts_with(&format!("{key}: ")) {
                message.to_owned()
            } else {
                format!("{key}: {message}")
            };
            Some((place, message))
        })
}

/// The keys of a struct that serde reads, as it names them: asked of its
/// `Deserialize` impl, so that a list in a message cannot go stale.
fn struct_keys<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    /// A deserializer that only notes the keys a struct asks for.
    struct Keys<'a>(&'a mut &'static [&'static str]);

    impl<'de> serde::Deserializer<'de> for Keys<'_> {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: serde::de::Visitor<'de>>(
            self,
            _: V,
        ) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(serde::de::Error::custom("keys noted"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }

    let mut keys: &'static [&'static str] = &[];
    // The error is the point: the keys were noted on the way.
    let _ = T::deserialize(Keys(&mut keys));
    keys
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    scheduler: Option<Spanned<RawScheduler>>,
    #[serde(default, rename = "calendar")]
    calendars: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default, rename = "job")]
    jobs: Vec<Spanned<RawJob>>,
    api: Option<Spanned<ApiConfig>>,
    /// Where the notices of jobs that set none go.
    notify: Option<Notify>,
}

/// A whole configuration file, checked.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// The library's settings, as `[scheduler]` gives them: every key of
    /// [`SchedulerConfig`] — `timezone` (the zone jobs are shown in and
    /// triggers default to), `node_id`, `lease`, `store_poll_interval`,
    /// `history_keep_per_job`, `history_max_age`, `job_defaults`,
    /// `executors`. `node_id` defaults to `tempora@` and the host name: a
    /// daemon that restarts under the same id finds its unfinished runs and
    /// records them as interrupted at once; one started while another live
    /// daemon holds the id refuses to start.
    pub scheduler: SchedulerConfig,
    /// The store URL (default: `tempora.db` beside the file); see
    /// [`crate::store`].
    pub store: Option<String>,
    /// The prefix of the store's tables, keys or collections (each
    /// backend's default, `tempora_`, when `None`).
    pub store_prefix: Option<String>,
    /// How the log is written.
    pub log_format: LogFormat,
    /// How long shutdown waits for running jobs before killing them.
    pub shutdown_timeout: SignedDuration,
    /// The calendars of the `[calendar.NAME]` tables, by name.
    pub calendars: BTreeMap<String, Calendar>,
    /// The jobs, in file order.
    pub jobs: Vec<JobConfig>,
    /// Where the notices of jobs that set no `notify` of their own go: the
    /// top-level `[notify]` table (see [`tempora::notify`]).
    pub notify: Option<Notify>,
    /// The `[api]` table: the HTTP API the daemon serves, when given
    /// (checked: [`ApiConfig::check`] accepts it).
    pub api: Option<ApiConfig>,
    /// What the file says that is allowed but likely not meant, one line
    /// each (`job "x": cron.day_of_week = 1 means Tuesday …`): `tempora
    /// check` prints them, the daemon logs them.
    pub warnings: Vec<String>,
}

impl DaemonConfig {
    /// How long shutdown waits for running jobs by default.
    pub const DEFAULT_SHUTDOWN_TIMEOUT: SignedDuration = SignedDuration::from_secs(30);

    /// The zone jobs are shown in and triggers default to, if the file sets
    /// one.
    pub fn timezone(&self) -> Option<&str> {
        self.scheduler.timezone.as_deref()
    }

    /// How long this daemon may stay silent before the others sharing its
    /// store take over its jobs and runs (default
    /// [`DEFAULT_LEASE`](tempora::scheduler::DEFAULT_LEASE), 10 s).
    ///
    /// ```
    /// use tempora_cli::config::DaemonConfig;
    ///
    /// let config = DaemonConfig::parse("[scheduler]\nlease = \"5s\"\n", "t.toml")?;
    /// assert_eq!(config.lease(), tempora::jiff::SignedDuration::from_secs(5));
    /// assert_eq!(DaemonConfig::parse("", "t.toml")?.lease(), tempora::scheduler::DEFAULT_LEASE);
    /// # Ok::<(), tempora_cli::config::ConfigError>(())
    /// ```
    pub fn lease(&self) -> SignedDuration {
        self.scheduler
            .lease
            .unwrap_or(tempora::scheduler::DEFAULT_LEASE)
    }

    /// The `[scheduler]` keys whose values differ between `self` and
    /// `other`: settings a running daemon cannot change (they take a
    /// restart), so a reload that changes one is refused as a whole.
    ///
    /// ```
    /// use tempora_cli::config::DaemonConfig;
    ///
    /// let before = DaemonConfig::parse("[scheduler]\nlease = \"10s\"\n", "t.toml")?;
    /// let after = DaemonConfig::parse("[scheduler]\nlease = \"5s\"\n", "t.toml")?;
    /// assert_eq!(before.scheduler_changes(&after), ["lease"]);
    /// assert!(before.scheduler_changes(&before).is_empty());
    /// # Ok::<(), tempora_cli::config::ConfigError>(())
    /// ```
    pub fn scheduler_changes(&self, other: &DaemonConfig) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut check = |key: &'static str, same: bool| {
            if !same {
                changed.push(key);
            }
        };
        let (mine, theirs) = (&self.scheduler, &other.scheduler);
        check("timezone", mine.timezone == theirs.timezone);
        check("store", self.store == other.store);
        check("store_prefix", self.store_prefix == other.store_prefix);
        check("node_id", mine.node_id == theirs.node_id);
        check("log_format", self.log_format == other.log_format);
        check(
            "shutdown_timeout",
            self.shutdown_timeout == other.shutdown_timeout,
        );
        check("lease", self.lease() == other.lease());
        check(
            "store_poll_interval",
            mine.store_poll_interval == theirs.store_poll_interval,
        );
        check(
            "history_keep_per_job",
            mine.history_keep_per_job == theirs.history_keep_per_job,
        );
        check(
            "history_max_age",
            mine.history_max_age == theirs.history_max_age,
        );
        check("job_defaults", mine.job_defaults == theirs.job_defaults);
        check("executors", mine.executors == theirs.executors);
        check("notify", self.notify == other.notify);
        changed
    }

    /// Reads and checks `text`, the contents of the file `file`.
    ///
    /// # Errors
    ///
    /// The first mistake, located: TOML syntax, an unknown key, a value of
    /// the wrong type, a bad trigger expression, duration, zone or policy, a
    /// job without a command or a trigger, a duplicate id.
    pub fn parse(text: &str, file: &str) -> Result<DaemonConfig, ConfigError> {
        let at = |span: Range<usize>, message: String| {
            let (line, column) = line_column(text, span.start);
            ConfigError {
                file: file.to_owned(),
                line,
                column,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            let (span, message) = library_mistake(text).unwrap_or_else(|| {
                (
                    error.span().unwrap_or(0..0),
                    error.message().trim_end().to_owned(),
                )
            });
            at(span, message)
        })?;
        let table_span = raw.scheduler.as_ref().map_or(0..0, Spanned::span);
        let scheduler = raw.scheduler.map(Spanned::into_inner).unwrap_or_default();
        scheduler
            .check_unknown(text, &table_span)
            .map_err(|(span, message)| at(span, message))?;
        let default_zone = match &scheduler.timezone {
            Some(name) => {
                Zone::new(name.get_ref()).map_err(|error| at(name.span(), error.to_string()))?;
                Some(name.get_ref().clone())
            }
            None => None,
        };
        let shutdown_timeout = match &scheduler.shutdown_timeout {
            Some(given) => duration("shutdown_timeout", given).map_err(|(span, m)| at(span, m))?,
            None => DaemonConfig::DEFAULT_SHUTDOWN_TIMEOUT,
        };
        let lease = match &scheduler.lease {
            Some(given) => {
                let lease = duration("lease", given).map_err(|(span, m)| at(span, m))?;
                if lease < tempora::scheduler::MIN_LEASE {
                    return Err(at(
                        given.span(),
                        format!(
                            "lease: {:?} is shorter than the minimum of {:#}",
                            given.get_ref(),
                            tempora::scheduler::MIN_LEASE
                        ),
                    ));
                }
                Some(lease)
            }
            None => None,
        };
        let mut library = scheduler.library;
        library.timezone = default_zone.clone();
        library.lease = lease;
        if !library.stores.is_empty() {
            return Err(at(
                table_span.clone(),
                "stores: the daemon keeps its jobs in the one store `store` names; \
                 give store = URL"
                    .to_owned(),
            ));
        }
        // What the library checks when it builds the scheduler, checked now:
        // a reload or `tempora check` finds it, not the next start.
        tempora::scheduler::SchedulerBuilder::new()
            .configure(&library)
            .map_err(|error| {
                // The table's span is its header: its keys follow it.
                let rest = table_span.start..text.len();
                let span = error
                    .field()
                    .and_then(|field| key_span(text, &rest, field))
                    .unwrap_or_else(|| table_span.clone());
                at(span, error.to_string())
            })?;
        if let Some(store) = &scheduler.store {
            crate::store::StoreUrl::resolve(Some(store.get_ref()), std::path::Path::new("."))
                .map_err(|error| at(store.span(), error.to_string()))?;
        }
        let mut calendars = BTreeMap::new();
        for (name, table) in raw.calendars {
            let span = table.span();
            let calendar = Calendar::deserialize(table.into_inner()).map_err(|error| {
                let message = error.message().trim_end().to_owned();
                let field = message.split(':').next().unwrap_or_default();
                // The table's span is its header: its keys follow it.
                let rest = span.start..text.len();
                let place = key_span(text, &rest, field).unwrap_or(span);
                at(place, format!("calendar {name:?}: {message}"))
            })?;
            calendars.insert(name, calendar);
        }
        let mut ids = BTreeSet::new();
        let mut jobs = Vec::new();
        let mut warnings = Vec::new();
        for job in raw.jobs {
            let span = job.span();
            let job = job.into_inner();
            if !ids.insert(job.id.get_ref().clone()) {
                return Err(at(
                    job.id.span(),
                    format!(
                        "id: job {:?} is defined twice; ids must be unique",
                        job.id.get_ref()
                    ),
                ));
            }
            let id = job.id.get_ref().clone();
            let mut found = Vec::new();
            let checked = check_job(
                text,
                job,
                span,
                default_zone.as_deref(),
                &calendars,
                &mut found,
            )
            .map_err(|(span, message)| at(span, format!("job {id:?}: {message}")))?;
            warnings.extend(
                found
                    .into_iter()
                    .map(|found| format!("job {id:?}: {found}")),
            );
            jobs.push(checked);
        }
        let api = match raw.api {
            None => None,
            Some(api) => {
                let span = api.span();
                let api = api.into_inner();
                api.check().map_err(|error| {
                    // `api.token.sha256` is written as `sha256` in its table.
                    let key = error
                        .field()
                        .and_then(|field| field.rsplit('.').next())
                        .unwrap_or_default();
                    let rest = span.start..text.len();
                    let place = key_span(text, &rest, key).unwrap_or(span);
                    at(place, error.to_string())
                })?;
                Some(api)
            }
        };
        Ok(DaemonConfig {
            api,
            scheduler: library,
            store: scheduler.store.map(Spanned::into_inner),
            store_prefix: scheduler.store_prefix,
            log_format: scheduler.log_format.unwrap_or_default(),
            shutdown_timeout,
            calendars,
            jobs,
            notify: raw.notify,
            warnings,
        })
    }
}

type Located = (Range<usize>, String);

fn duration(key: &str, text: &Spanned<String>) -> Result<SignedDuration, Located> {
    let parsed: SignedDuration = text.get_ref().parse().map_err(|_| {
        (
            text.span(),
            format!(
                "{key}: {:?} is not a duration; write e.g. \"30s\", \"5m\", \"1h 30m\"",
                text.get_ref()
            ),
        )
    })?;
    if parsed <= SignedDuration::ZERO {
        return Err((
            text.span(),
            format!("{key}: {:?} must be longer than zero", text.get_ref()),
        ));
    }
    Ok(parsed)
}

/// Where the key `field` is written in the part `span` of `text`; its first
/// dotted part for a field like `executors.cpu.max_workers`.
fn key_span(text: &str, span: &Range<usize>, field: &str) -> Option<Range<usize>> {
    let field = field.split('.').next().unwrap_or(field);
    let table = text.get(span.clone())?;
    let mut from = 0;
    while let Some(found) = table[from..].find(field) {
        let start = from + found;
        let before = table[..start].chars().next_back();
        let after = table[start + field.len()..].trim_start();
        let starts_key = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if starts_key
            && (after.starts_with('=') || after.starts_with('.') || after.starts_with(']'))
        {
            return Some(span.start + start..span.start + start + field.len());
        }
        from = start + field.len();
    }
    None
}

/// The message of `error` with `key` as its field: the library reads a
/// time as `time`, the file names its key.
fn renamed(error: &tempora::Error, key: &str) -> String {
    match error.reason() {
        Some(reason) => format!("{key}: {reason}"),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests;
