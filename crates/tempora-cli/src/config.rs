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
use std::path::PathBuf;

use jiff::SignedDuration;
use serde::Deserialize;
use tempora::calendar::Calendar;
use tempora::config::{SchedulerConfig, line_column};
use tempora::job::{JobBuilder, MisfireGraceTime, OnInterrupted, Overlap, Retry};
use tempora::notify::Notify;
use tempora::task::{COMMAND, CommandArgs, InheritEnv};
use tempora::trigger::{CronTrigger, DateTrigger, DstFold, DstGap, Trigger, Zone};
use tempora_api::serve::ApiConfig;
use toml::Spanned;

use crate::trigger_options::{CalendarFields, IntervalFlags, TriggerOptions};

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    id: Spanned<String>,
    name: Option<String>,
    command: Option<Spanned<Vec<String>>>,
    shell: Option<Spanned<String>>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    inherit_env: Option<Spanned<toml::Value>>,
    working_dir: Option<PathBuf>,
    user: Option<Spanned<String>>,
    group: Option<Spanned<String>>,
    umask: Option<Spanned<String>>,
    env_file: Option<PathBuf>,
    timeout: Option<Spanned<String>>,
    cron: Option<Spanned<toml::Value>>,
    interval: Option<Spanned<IntervalFlags>>,
    calendar_interval: Option<Spanned<CalendarFields>>,
    date: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    start_date: Option<Spanned<String>>,
    end_date: Option<Spanned<String>>,
    dst_gap: Option<Spanned<String>>,
    dst_fold: Option<Spanned<String>>,
    jitter: Option<Spanned<String>>,
    misfire_grace_time: Option<MisfireGraceTime>,
    coalesce: Option<bool>,
    max_instances: Option<Spanned<u32>>,
    on_interrupted: Option<OnInterrupted>,
    exclude: Option<Spanned<Vec<String>>>,
    overlap: Option<Overlap>,
    retry: Option<Spanned<Retry>>,
    retry_on: Option<Spanned<Vec<i32>>>,
    pause_after_failures: Option<Spanned<u32>>,
    notify: Option<Notify>,
    expect_success_within: Option<Spanned<String>>,
    #[serde(default)]
    paused: bool,
}

/// One `[[job]]`, checked: what the daemon adds to its store.
#[derive(Debug, Clone)]
pub struct JobConfig {
    /// The job's id, unique in the file.
    pub id: String,
    /// The job's readable name, if given.
    pub name: Option<String>,
    /// The program, its arguments, environment and directory.
    pub command: CommandArgs,
    /// When it fires.
    pub trigger: Trigger,
    /// How late a run may start, if set.
    pub misfire_grace_time: Option<MisfireGraceTime>,
    /// Whether due runs coalesce, if set.
    pub coalesce: Option<bool>,
    /// Concurrent runs allowed (across every node sharing the store), if
    /// set.
    pub max_instances: Option<u32>,
    /// What happens to a run interrupted by its node's death, if set.
    pub on_interrupted: Option<OnInterrupted>,
    /// The calendars whose times the job skips, by name (`exclude`), as
    /// the file's `[calendar.NAME]` tables define them.
    pub exclude: BTreeMap<String, Calendar>,
    /// How long a run may take before its program is killed and the run
    /// recorded as `timeout` (the job's
    /// [`timeout`](tempora::job::JobBuilder::timeout), kept with the job
    /// in the store), if set.
    pub timeout: Option<SignedDuration>,
    /// What happens to a fire time while the job runs `max_instances`
    /// runs, if set.
    pub overlap: Option<Overlap>,
    /// How failed runs are retried (`retry`, with `retry_on`), if set.
    pub retry: Option<Retry>,
    /// After how many failed fire times in a row the job is paused, if set.
    pub pause_after_failures: Option<u32>,
    /// Where the job's notices go (`notify`), if set; otherwise the file's
    /// top-level `[notify]`, if any.
    pub notify: Option<Notify>,
    /// How long the job may go without a success before a `stale` notice
    /// (`expect_success_within`), if set.
    pub expect_success_within: Option<SignedDuration>,
    /// Added paused.
    pub paused: bool,
}

impl JobConfig {
    /// The job as a scheduler adds it: the built-in `command` task with
    /// this job's arguments.
    /// It carries the label [`ORIGIN`] = `origin`, which tells the daemon's
    /// sync whose job it is.
    pub fn to_builder(&self, origin: &str) -> JobBuilder {
        let mut builder = JobBuilder::new(COMMAND, self.trigger.clone())
            .id(&self.id)
            .args(&self.command)
            .label(ORIGIN, origin)
            .replace_existing(true);
        set_given!(builder;
            &self.name => name,
            self.misfire_grace_time => misfire_grace_time,
            self.coalesce => coalesce,
            self.max_instances => max_instances,
            self.on_interrupted => on_interrupted,
            self.timeout => timeout,
            self.overlap => overlap,
            self.retry.clone() => retry,
            self.pause_after_failures => pause_after_failures,
            self.notify.clone() => notify,
            self.expect_success_within => expect_success_within,
        );
        for (name, calendar) in &self.exclude {
            builder = builder.exclude_calendar(name, calendar.clone());
        }
        if self.paused {
            builder = builder.label(PAUSED_IN_CONFIG, "true").paused();
        }
        builder
    }
}

pub use tempora_api::views::{ORIGIN, PAUSED_UNTIL, paused_until};

/// [`ORIGIN`] of a job from the configuration file.
pub const ORIGIN_CONFIG: &str = "config";
/// [`ORIGIN`] of a job added with `tempora jobs add`.
pub const ORIGIN_CLI: &str = "cli";
/// The label set to `true` on a job of the configuration file whose
/// `[[job]]` says `paused = true`. A sync compares it with the file: when
/// the file's `paused` changed, the job is paused or resumed as the file
/// now says; when it did not, a pause or resume made at run time
/// (`tempora jobs pause`) is kept.
pub const PAUSED_IN_CONFIG: &str = "paused_in_config";

/// Reads one job from the body of a `[[job]]` table, as `tempora jobs add`
/// builds it from its options; triggers default to `default_zone` (the
/// machine's zone when `None`). A mistake is its message without a place:
/// it names the key.
///
/// ```
/// use tempora_cli::config::job_from_toml;
///
/// let job = job_from_toml("id = \"a\"\nshell = \"true\"\ncron = \"*/5 * * * *\"\n", Some("UTC"))?;
/// assert_eq!(job.id, "a");
/// let error = job_from_toml("id = \"a\"\nshell = \"true\"\ncron = \"0 24 * * *\"\n", None).unwrap_err();
/// assert_eq!(error, "hour: 24 is out of range 0-23");
/// # Ok::<(), String>(())
/// ```
///
/// # Errors
///
/// The first mistake, as for a `[[job]]` of a file.
pub fn job_from_toml(text: &str, default_zone: Option<&str>) -> Result<JobConfig, String> {
    let job: RawJob =
        toml::from_str(text).map_err(|error| error.message().trim_end().to_owned())?;
    let mut warnings = Vec::new();
    check_job(
        text,
        job,
        0..text.len(),
        default_zone,
        &BTreeMap::new(),
        &mut warnings,
    )
    .map_err(|(_, message)| message)
}

/// Reads one job from the JSON form of a `[[job]]` table (the body of the
/// API's `POST /v1/jobs`), as the configuration file reads it: triggers
/// default to `default_zone`, `exclude` names calendars of `calendars`.
/// A `null` value is a key not given.
///
/// ```
/// use std::collections::BTreeMap;
/// use tempora_cli::config::job_from_json;
///
/// let table = serde_json::json!({ "id": "a", "shell": "true", "cron": "*/5 * * * *" });
/// let job = job_from_json(table.as_object().unwrap(), Some("UTC"), &BTreeMap::new())?;
/// assert_eq!(job.id, "a");
/// let table = serde_json::json!({ "id": "a", "shell": "true", "cron": { "hour": 24 } });
/// let error = job_from_json(table.as_object().unwrap(), None, &BTreeMap::new()).unwrap_err();
/// assert_eq!(error.field(), Some("hour"));
/// assert_eq!(error.to_string(), "hour: 24 is out of range 0-23");
/// # Ok::<(), tempora::Error>(())
/// ```
///
/// # Errors
///
/// The first mistake, as for a `[[job]]` of a file, as an error naming the
/// key.
pub fn job_from_json(
    table: &serde_json::Map<String, serde_json::Value>,
    default_zone: Option<&str>,
    calendars: &BTreeMap<String, Calendar>,
) -> Result<JobConfig, tempora::Error> {
    let table: serde_json::Map<String, serde_json::Value> = table
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let refused = |message: String| {
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some((key, _)) = rest.split_once('`')
        {
            return tempora::Error::invalid(key, message.clone());
        }
        if let Some(rest) = message.strip_prefix("missing field `")
            && let Some((key, _)) = rest.split_once('`')
        {
            return tempora::Error::invalid(key, "missing");
        }
        match message.split_once(": ") {
            Some((field, reason)) if !field.contains(' ') => tempora::Error::invalid(field, reason),
            _ => tempora::Error::invalid("job", message),
        }
    };
    let value = toml::Value::try_from(serde_json::Value::Object(table))
        .map_err(|error| refused(error.to_string()))?;
    let text = toml::to_string(&value).map_err(|error| refused(error.to_string()))?;
    let job: RawJob =
        toml::from_str(&text).map_err(|error| refused(error.message().trim_end().to_owned()))?;
    let mut warnings = Vec::new();
    check_job(
        &text,
        job,
        0..text.len(),
        default_zone,
        calendars,
        &mut warnings,
    )
    .map_err(|(_, message)| refused(message))
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

fn check_job(
    text: &str,
    job: RawJob,
    span: Range<usize>,
    default_zone: Option<&str>,
    calendars: &BTreeMap<String, Calendar>,
    warnings: &mut Vec<String>,
) -> Result<JobConfig, Located> {
    if job.id.get_ref().is_empty() {
        return Err((
            job.id.span(),
            "id: is empty; give a non-empty id".to_owned(),
        ));
    }
    let mut command = match (&job.command, &job.shell) {
        (Some(command), None) => {
            let Some((program, args)) = command.get_ref().split_first() else {
                return Err((
                    command.span(),
                    "command: is empty; give the program and its arguments, e.g. [\"ls\", \"-l\"]"
                        .to_owned(),
                ));
            };
            CommandArgs::new(program).args(args)
        }
        (None, Some(shell)) => CommandArgs::new("/bin/sh").args(["-c", shell.get_ref()]),
        (Some(_), Some(shell)) => {
            return Err((
                shell.span(),
                "shell: give either command (a program and its arguments) or shell (a string for /bin/sh), not both"
                    .to_owned(),
            ));
        }
        (None, None) => {
            return Err((
                span,
                "command: missing; give command = [\"program\", \"arg\", ...] or shell = \"...\""
                    .to_owned(),
            ));
        }
    };
    for (name, value) in &job.env {
        command = command.env(name, value);
    }
    command = command.inherit_env(inherit_env(job.inherit_env.as_ref())?);
    if let Some(dir) = &job.working_dir {
        command = command.working_dir(dir);
    }
    command = crate::run_as::apply(command, &job.user, &job.group, &job.umask, &job.env_file)?;
    let timeout = match &job.timeout {
        Some(timeout) => Some(duration("timeout", timeout)?),
        None => None,
    };
    if let Some(max) = &job.max_instances
        && *max.get_ref() == 0
    {
        return Err((
            max.span(),
            "max_instances: 0 is not allowed: at least 1".to_owned(),
        ));
    }
    if let Some(failures) = &job.pause_after_failures
        && *failures.get_ref() == 0
    {
        return Err((
            failures.span(),
            "pause_after_failures: 0 is not allowed: at least 1".to_owned(),
        ));
    }
    let trigger = check_trigger(text, &job, span, default_zone)?;
    if let Some(cron) = &job.cron
        && let toml::Value::Table(fields) = cron.get_ref()
        && let Some(day_of_week) = fields.get("day_of_week")
        && let Some(warning) = numbered_day_of_week(day_of_week)
    {
        warnings.push(warning);
    }
    let mut exclude = BTreeMap::new();
    if let Some(names) = &job.exclude {
        for name in names.get_ref() {
            let Some(calendar) = calendars.get(name) else {
                return Err((names.span(), unknown_calendar(name, calendars)));
            };
            exclude.insert(name.clone(), calendar.clone());
        }
    }
    let expect_success_within = match &job.expect_success_within {
        Some(within) => Some(duration("expect_success_within", within)?),
        None => None,
    };
    let mut retry = job.retry.map(Spanned::into_inner);
    if let Some(statuses) = job.retry_on {
        let span = statuses.span();
        retry = match retry {
            Some(retry) => Some(retry.retry_on(statuses.into_inner())),
            None => {
                return Err((
                    span,
                    "retry_on: needs retry, e.g. retry = { attempts = 3, delay = \"30s\" }"
                        .to_owned(),
                ));
            }
        };
    }
    Ok(JobConfig {
        id: job.id.into_inner(),
        name: job.name,
        command,
        trigger,
        misfire_grace_time: job.misfire_grace_time,
        coalesce: job.coalesce,
        max_instances: job.max_instances.map(Spanned::into_inner),
        on_interrupted: job.on_interrupted,
        exclude,
        timeout,
        overlap: job.overlap,
        retry,
        pause_after_failures: job.pause_after_failures.map(Spanned::into_inner),
        notify: job.notify,
        expect_success_within,
        paused: job.paused,
    })
}

/// The message for an `exclude` naming a calendar the file does not define.
pub fn unknown_calendar(name: &str, calendars: &BTreeMap<String, Calendar>) -> String {
    let defined: Vec<String> = calendars.keys().map(|name| format!("{name:?}")).collect();
    let defined = if defined.is_empty() {
        "none".to_owned()
    } else {
        defined.join(", ")
    };
    format!(
        "exclude: {name:?} is not a calendar of the configuration file \
         (defined: {defined}); define it in a [calendar.{name}] table"
    )
}

/// The days of the week in the numbering of the cron table form
/// (APScheduler's, 0 = Monday), with their names.
const TABLE_FORM_DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// A warning for a `day_of_week` of the cron table form written with
/// numbers: they count from Monday = 0 there (APScheduler's fields), from
/// Sunday = 0 in a crontab string, so the same number means different days
/// in the two forms. The warning names the days meant and the names to
/// write instead; `None` when the value has no day numbers.
///
/// ```
/// use tempora_cli::config::numbered_day_of_week;
///
/// assert_eq!(
///     numbered_day_of_week(&toml::Value::Integer(1)).unwrap(),
///     "cron.day_of_week = 1 means Tuesday in the table form (APScheduler's numbering, \
///      0 = Monday); write \"tue\""
/// );
/// assert_eq!(
///     numbered_day_of_week(&toml::Value::String("0-4".into())).unwrap(),
///     "cron.day_of_week = \"0-4\" means Monday-Friday in the table form (APScheduler's \
///      numbering, 0 = Monday); write \"mon-fri\""
/// );
/// assert_eq!(numbered_day_of_week(&toml::Value::String("mon-fri".into())), None);
/// ```
pub fn numbered_day_of_week(value: &toml::Value) -> Option<String> {
    let (written, text) = match value {
        toml::Value::Integer(number) => (number.to_string(), number.to_string()),
        toml::Value::String(text) => (format!("{text:?}"), text.clone()),
        _ => return None,
    };
    let mut meant = Vec::new();
    let mut names = Vec::new();
    for part in text.split(',') {
        // A step (`*/2`, `0-4/2`) counts days, it does not name one.
        let (days, step) = match part.split_once('/') {
            Some((days, step)) => (days, Some(step)),
            None => (part, None),
        };
        let mut part_meant = Vec::new();
        let mut part_names = Vec::new();
        for day in days.split('-') {
            let day = day.trim();
            match day.parse::<usize>() {
                Ok(number) => {
                    let (name, full) = TABLE_FORM_DAYS.get(number)?;
                    part_meant.push(*full);
                    part_names.push((*name).to_owned());
                }
                Err(_) => {
                    part_meant.push(day);
                    part_names.push(day.to_owned());
                }
            }
        }
        let mut name = part_names.join("-");
        let mut full = part_meant.join("-");
        if let Some(step) = step {
            name = format!("{name}/{step}");
            full = format!("{full}/{step}");
        }
        names.push(name);
        meant.push(full);
    }
    let names = names.join(",");
    if names == text {
        return None;
    }
    Some(format!(
        "cron.day_of_week = {written} means {} in the table form (APScheduler's numbering, \
         0 = Monday); write {names:?}",
        meant.join(", ")
    ))
}

/// The daemon's jobs see only the base variables of its environment
/// ([`tempora::task::BASE_ENV`]) unless they ask: `inherit_env = true` for
/// all, or a list of names.
fn inherit_env(given: Option<&Spanned<toml::Value>>) -> Result<InheritEnv, Located> {
    let Some(given) = given else {
        return Ok(InheritEnv::Base(Vec::new()));
    };
    let refused = || {
        (
            given.span(),
            "inherit_env: give true (all of the daemon's environment), false (only PATH, HOME, \
             LANG and the like) or a list of variable names"
                .to_owned(),
        )
    };
    match given.get_ref() {
        toml::Value::Boolean(true) => Ok(InheritEnv::All),
        toml::Value::Boolean(false) => Ok(InheritEnv::Base(Vec::new())),
        toml::Value::Array(names) => {
            let mut listed = Vec::new();
            for name in names {
                match name.as_str() {
                    Some(name) if !name.is_empty() && !name.contains(['=', '\0']) => {
                        listed.push(name.to_owned());
                    }
                    _ => return Err(refused()),
                }
            }
            Ok(InheritEnv::Base(listed))
        }
        _ => Err(refused()),
    }
}

fn check_trigger(
    text: &str,
    job: &RawJob,
    span: Range<usize>,
    default_zone: Option<&str>,
) -> Result<Trigger, Located> {
    let given: Vec<(&str, Range<usize>)> = [
        ("cron", job.cron.as_ref().map(Spanned::span)),
        ("interval", job.interval.as_ref().map(Spanned::span)),
        (
            "calendar_interval",
            job.calendar_interval.as_ref().map(Spanned::span),
        ),
        ("date", job.date.as_ref().map(Spanned::span)),
    ]
    .into_iter()
    .filter_map(|(key, span)| span.map(|span| (key, span)))
    .collect();
    match given.as_slice() {
        [] => {
            return Err((
                span,
                "trigger: missing; give one of cron, interval, calendar_interval or date"
                    .to_owned(),
            ));
        }
        [_] => {}
        [_, (second, span), ..] => {
            return Err((
                span.clone(),
                format!(
                    "{second}: a job has one trigger; give only one of cron, interval, calendar_interval or date"
                ),
            ));
        }
    }
    let zone_name = match &job.timezone {
        Some(name) => {
            Zone::new(name.get_ref()).map_err(|error| (name.span(), error.to_string()))?;
            name.get_ref().clone()
        }
        None => default_zone.map_or_else(|| Zone::system().name().to_owned(), str::to_owned),
    };
    let zone = Zone::new(&zone_name).map_err(|error| (span.clone(), error.to_string()))?;
    let time =
        |text: &Option<Spanned<String>>, key: &str| -> Result<Option<jiff::Timestamp>, Located> {
            text.as_ref()
                .map(|text| {
                    zone.parse_time(text.get_ref())
                        .map_err(|error| (text.span(), renamed(&error, key)))
                })
                .transpose()
        };
    let start = time(&job.start_date, "start_date")?;
    let end = time(&job.end_date, "end_date")?;
    let policy =
        |text: &Option<Spanned<String>>| text.as_ref().map(|t| (t.span(), t.get_ref().clone()));
    let gap = policy(&job.dst_gap)
        .map(|(span, text)| {
            text.parse::<DstGap>()
                .map_err(|error| (span, error.to_string()))
        })
        .transpose()?;
    let fold = policy(&job.dst_fold)
        .map(|(span, text)| {
            text.parse::<DstFold>()
                .map_err(|error| (span, error.to_string()))
        })
        .transpose()?;
    let jitter = job
        .jitter
        .as_ref()
        .map(|given| duration("jitter", given))
        .transpose()?;
    let elapsed_only = |kind: &str| -> Result<(), Located> {
        for (key, given) in [("dst_gap", &job.dst_gap), ("dst_fold", &job.dst_fold)] {
            if let Some(given) = given {
                return Err((
                    given.span(),
                    format!("{key}: does not apply to {kind} triggers, which count elapsed time"),
                ));
            }
        }
        Ok(())
    };

    let options = TriggerOptions {
        zone: &zone,
        timezone: &zone_name,
        start,
        end,
        gap,
        fold,
        jitter,
    };
    if let Some(cron) = &job.cron {
        let builder = match cron.get_ref() {
            toml::Value::String(expression) => CronTrigger::crontab(expression),
            toml::Value::Table(fields) => {
                let mut builder = CronTrigger::builder();
                for (name, value) in fields {
                    let value = match value {
                        toml::Value::String(text) => text.clone(),
                        toml::Value::Integer(number) => number.to_string(),
                        other => {
                            return Err((
                                field_span(text, cron, name),
                                format!(
                                    "{name}: {other} is not a cron expression; give a string like \"9-17\" or a number"
                                ),
                            ));
                        }
                    };
                    builder = builder
                        .field(name, value)
                        .map_err(|error| (field_span(text, cron, name), error.to_string()))?;
                }
                builder
            }
            other => {
                return Err((
                    cron.span(),
                    format!(
                        "cron: {} is neither a crontab string nor a table of fields",
                        other.type_str()
                    ),
                ));
            }
        };
        return options
            .cron(builder)
            .build()
            .map(Trigger::from)
            .map_err(|error| {
                let span = match (cron.get_ref(), error.field()) {
                    (toml::Value::Table(_), Some(field)) => field_span(text, cron, field),
                    _ => cron.span(),
                };
                (span, error.to_string())
            });
    }
    if let Some(interval) = &job.interval {
        elapsed_only("interval")?;
        let builder = interval
            .get_ref()
            .builder()
            .map_err(|error| (interval.span(), error.to_string()))?;
        return options
            .interval(builder)
            .build()
            .map(Trigger::from)
            .map_err(|error| (interval.span(), error.to_string()));
    }
    if let Some(calendar) = &job.calendar_interval {
        let builder = calendar.get_ref().builder();
        return options
            .calendar_interval(builder)
            .build()
            .map(Trigger::from)
            .map_err(|error| (calendar.span(), error.to_string()));
    }
    let Some(date) = &job.date else {
        return Err((span, "trigger: missing".to_owned()));
    };
    elapsed_only("date")?;
    let run_date = zone
        .parse_time(date.get_ref())
        .map_err(|error| (date.span(), renamed(&error, "date")))?;
    Ok(DateTrigger::in_zone(run_date, zone).into())
}

/// Where the key `field` is written inside the cron table, or the whole
/// table when it cannot be found (TOML values carry no places of their own).
fn field_span(text: &str, cron: &Spanned<toml::Value>, field: &str) -> Range<usize> {
    key_span(text, &cron.span(), field).unwrap_or_else(|| cron.span())
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
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        DaemonConfig::parse(text, "t.toml").unwrap_err().to_string()
    }

    #[test]
    fn every_trigger_form_is_read() {
        let config = DaemonConfig::parse(
            r#"
[scheduler]
timezone = "Europe/Berlin"
shutdown_timeout = "1m"

[[job]]
id = "a"
command = ["echo", "a"]
cron = "*/15 9-17 * * mon-fri"

[[job]]
id = "b"
shell = "echo b"
cron = { hour = 3, minute = "30" }
dst_gap = "skip"

[[job]]
id = "c"
command = ["true"]
interval = { minutes = 5 }
jitter = "10s"

[[job]]
id = "d"
command = ["true"]
calendar_interval = { months = 1, hour = 8 }
start_date = "2026-01-31"

[[job]]
id = "e"
command = ["true"]
date = "2030-01-01 12:00"
timezone = "UTC"
"#,
            "t.toml",
        )
        .unwrap();
        assert_eq!(config.shutdown_timeout, SignedDuration::from_secs(60));
        let shown: Vec<String> = config
            .jobs
            .iter()
            .map(|job| job.trigger.to_string())
            .collect();
        assert_eq!(
            shown[0],
            "cron['*/15 9-17 * * mon-fri', timezone='Europe/Berlin', dst_gap='shift', dst_fold='auto']"
        );
        assert!(shown[1].contains("hour='3', minute='30'"), "{}", shown[1]);
        assert!(shown[1].contains("dst_gap='skip'"), "{}", shown[1]);
        assert!(shown[2].starts_with("interval[every 5m"), "{}", shown[2]);
        assert!(
            shown[3].starts_with("calendar_interval[months=1"),
            "{}",
            shown[3]
        );
        assert_eq!(shown[4], "date[2030-01-01T12:00:00+00:00]");
        assert_eq!(config.jobs[1].command.program, "/bin/sh");
        assert_eq!(config.jobs[1].command.args, ["-c", "echo b"]);
    }

    #[test]
    fn calendars_are_defined_once_and_excluded_by_name() {
        let config = DaemonConfig::parse(
            r#"
[scheduler]
timezone = "America/New_York"

[calendar.holidays]
dates = ["2026-12-25", "2027-01-01"]

[calendar.maintenance-window]
daily = "02:00-04:00"
timezone = "UTC"

[[job]]
id = "report"
shell = "make report"
cron = "0 9 * * *"
exclude = ["holidays", "maintenance-window"]

[[job]]
id = "plain"
shell = "true"
cron = "0 9 * * *"
"#,
            "t.toml",
        )
        .unwrap();
        assert_eq!(
            config.calendars.keys().collect::<Vec<_>>(),
            ["holidays", "maintenance-window"]
        );
        let report = &config.jobs[0];
        assert_eq!(
            report.exclude.keys().collect::<Vec<_>>(),
            ["holidays", "maintenance-window"]
        );
        assert!(config.jobs[1].exclude.is_empty());
        // The job built from the file skips Christmas, in its own zone (the
        // holidays calendar has none of its own).
        let job = report
            .to_builder(ORIGIN_CONFIG)
            .build_at(
                &tempora::job::JobDefaults::default(),
                "2026-12-24T15:00:00Z".parse().unwrap(),
            )
            .unwrap();
        assert_eq!(
            job.next_run_time().unwrap().to_string(),
            "2026-12-26T14:00:00Z"
        );
        assert_eq!(
            job.exclusions()["holidays"].zone().map(Zone::name),
            Some("America/New_York")
        );
        assert!(config.warnings.is_empty());
    }

    #[test]
    fn calendar_mistakes_are_located_and_named() {
        for (text, expected) in [
            (
                "[calendar.holidays]\ndates = [\"2026-12-25\"]\n\n[[job]]\nid = \"r\"\nshell = \"true\"\ncron = \"@daily\"\nexclude = [\"holydays\"]\n",
                "t.toml:8:11: job \"r\": exclude: \"holydays\" is not a calendar of the configuration file \
                 (defined: \"holidays\"); define it in a [calendar.holydays] table",
            ),
            (
                "[calendar.holidays]\ndates = [\"2026-13-25\"]\n",
                "t.toml:2:1: calendar \"holidays\": dates: \"2026-13-25\" is not a date like \"2026-12-25\"",
            ),
            (
                "[calendar.night]\ndaily = \"22:00-25:00\"\n",
                "t.toml:2:1: calendar \"night\": daily: \"25:00\" is not a time of day like \"02:00\" or \"02:00:30\"",
            ),
            (
                "[calendar.weekend]\nweekdays = [\"sat\", \"7\"]\n",
                "t.toml:2:1: calendar \"weekend\": weekdays: \"7\" is not a day name; write mon, tue, wed, thu, fri, sat or sun",
            ),
            (
                "[calendar.off]\ncron = \"0 25 * * *\"\ntimezone = \"UTC\"\n",
                "t.toml:2:1: calendar \"off\": cron: \"0 25 * * *\": hour: 25 is out of range 0-23",
            ),
            (
                "[calendar.off]\nweekdays = [\"sat\"]\ntimezone = \"Mars/Base\"\n",
                "t.toml:3:1: calendar \"off\": timezone: \"Mars/Base\" is not a known IANA time zone name, `UTC` or an offset like +05:30",
            ),
            (
                "[calendar.off]\nholidays = [\"2026-12-25\"]\n",
                "unknown field `holidays`",
            ),
        ] {
            let message = refused(text);
            assert!(
                message.contains(expected),
                "{message}\nexpected: {expected}"
            );
        }
    }

    #[test]
    fn retry_and_pause_after_failures_are_read_and_checked() {
        let config = DaemonConfig::parse(
            r#"
[[job]]
id = "upload"
shell = "rsync -a /srv/exports/ backup:/exports/"
cron = "0 * * * *"
retry = { attempts = 4, delay = "1m", factor = 3, max_delay = "30m", jitter = "10%" }
retry_on = [10, 12, 30, 35]
pause_after_failures = 24
"#,
            "t.toml",
        )
        .unwrap();
        let job = &config.jobs[0];
        let retry = job.retry.as_ref().unwrap();
        assert_eq!(retry.max_attempts(), 4);
        assert_eq!(retry.first_delay(), SignedDuration::from_mins(1));
        assert_eq!(retry.delay_factor(), 3.0);
        assert_eq!(retry.longest_delay(), Some(SignedDuration::from_mins(30)));
        assert!((retry.jitter_fraction() - 0.1).abs() < 1e-9);
        assert_eq!(retry.retried_statuses(), [10, 12, 30, 35]);
        assert_eq!(job.pause_after_failures, Some(24));
        let built = job
            .to_builder(ORIGIN_CONFIG)
            .build_at(&Default::default(), "2026-01-01T00:00:00Z".parse().unwrap())
            .unwrap();
        assert_eq!(built.retry(), Some(retry));
        assert_eq!(built.pause_after_failures(), Some(24));
        let job = |keys: &str| {
            format!(
                "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ninterval = {{ seconds = 1 }}\n{keys}\n"
            )
        };
        for (keys, error) in [
            (
                "retry = { attempts = 0 }",
                "retry.attempts: 0 is not allowed: at least 1",
            ),
            (
                "retry = { attempts = 3, delay = \"soon\" }",
                "retry.delay: \"soon\" is not a duration",
            ),
            (
                "retry = { attempts = 3, factor = 0.5 }",
                "retry.factor: 0.5 is not allowed: at least 1",
            ),
            (
                "retry = { attempts = 3, jitter = \"150%\" }",
                "retry.jitter: 150% is out of range 0%-100%",
            ),
            (
                "retry = { attempts = 3, tries = 2 }",
                "unknown field `tries`",
            ),
            ("retry_on = [1]", "retry_on: needs retry"),
            (
                "pause_after_failures = 0",
                "pause_after_failures: 0 is not allowed: at least 1",
            ),
        ] {
            let refused = refused(&job(keys));
            assert!(refused.contains(error), "{keys}: {refused}");
            assert!(refused.starts_with("t.toml:5:"), "{keys}: {refused}");
        }
    }

    #[test]
    fn a_numbered_day_of_week_in_the_table_form_is_warned_about() {
        let config = DaemonConfig::parse(
            r#"
[[job]]
id = "x"
shell = "true"
cron = { day_of_week = 1, hour = 3 }

[[job]]
id = "y"
shell = "true"
cron = { day_of_week = "0-4,6", hour = 3 }

[[job]]
id = "named"
shell = "true"
cron = { day_of_week = "tue", hour = 3 }

[[job]]
id = "crontab"
shell = "true"
cron = "0 3 * * 1"
"#,
            "t.toml",
        )
        .unwrap();
        assert_eq!(
            config.warnings,
            [
                "job \"x\": cron.day_of_week = 1 means Tuesday in the table form \
                 (APScheduler's numbering, 0 = Monday); write \"tue\"",
                "job \"y\": cron.day_of_week = \"0-4,6\" means Monday-Friday, Sunday in the \
                 table form (APScheduler's numbering, 0 = Monday); write \"mon-fri,sun\"",
            ]
        );
    }

    #[test]
    fn cluster_settings_are_read_and_checked() {
        let config = DaemonConfig::parse(
            r#"
[scheduler]
node_id = "web-1"
lease = "5s"

[scheduler.job_defaults]
on_interrupted = "retry"

[[job]]
id = "a"
command = ["true"]
interval = { seconds = 1 }
on_interrupted = "skip"
max_instances = 2
overlap = "buffer_one"
"#,
            "t.toml",
        )
        .unwrap();
        assert_eq!(config.scheduler.node_id.as_deref(), Some("web-1"));
        assert_eq!(config.lease(), SignedDuration::from_secs(5));
        assert_eq!(
            config
                .scheduler
                .job_defaults
                .map(|defaults| defaults.on_interrupted),
            Some(OnInterrupted::Retry)
        );
        assert_eq!(config.jobs[0].on_interrupted, Some(OnInterrupted::Skip));
        assert_eq!(config.jobs[0].overlap, Some(Overlap::BufferOne));
        assert_eq!(
            config.jobs[0]
                .to_builder("config")
                .build_at(&Default::default(), jiff::Timestamp::UNIX_EPOCH)
                .unwrap()
                .overlap(),
            Some(Overlap::BufferOne)
        );
        let defaulted = DaemonConfig::parse("", "t.toml").unwrap();
        assert_eq!(defaulted.lease(), tempora::scheduler::DEFAULT_LEASE);
        assert_eq!(
            refused("[scheduler]\nlease = \"0s\"\n"),
            "t.toml:2:9: lease: \"0s\" must be longer than zero"
        );
        assert_eq!(
            refused("[scheduler]\nlease = \"500ms\"\n"),
            "t.toml:2:9: lease: \"500ms\" is shorter than the minimum of 1s"
        );
        assert!(
            refused("[[job]]\nid = \"a\"\ncommand = [\"x\"]\ninterval = { seconds = 1 }\non_interrupted = \"again\"\n")
                .contains("on_interrupted"),
        );
        assert_eq!(
            refused(
                "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ninterval = { seconds = 1 }\noverlap = \"queue\"\n"
            ),
            "t.toml:5:11: overlap: \"queue\" is not one of skip, buffer_one, buffer_all, cancel_other, allow_all"
        );
    }

    /// A `[scheduler]` table with keys of the library and of the daemon.
    const LIBRARY_AND_DAEMON: &str = "[scheduler]\ntimezone = \"UTC\"\nstore = \"jobs.db\"\n\
        history_keep_per_job = 500\nhistory_max_age = \"unlimited\"\nstore_poll_interval = \"250ms\"\n\
        [scheduler.executors.default]\ntype = \"thread_pool\"\nmax_workers = 4\n";

    #[test]
    fn the_scheduler_table_takes_every_key_of_the_library() {
        let config = DaemonConfig::parse(LIBRARY_AND_DAEMON, "t.toml").unwrap();
        let retention = config.scheduler.history_retention();
        assert_eq!(retention.per_job, Some(500));
        assert_eq!(retention.max_age, None);
        assert_eq!(
            config.scheduler.store_poll_interval,
            Some(SignedDuration::from_millis(250))
        );
        assert_eq!(config.timezone(), Some("UTC"));
        assert_eq!(config.store.as_deref(), Some("jobs.db"));
        assert_eq!(config.scheduler.executors.len(), 1);
        let other = DaemonConfig::parse(
            "[scheduler]\nhistory_keep_per_job = 5\nstore_poll_interval = \"1s\"\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(
            config.scheduler_changes(&other),
            [
                "timezone",
                "store",
                "store_poll_interval",
                "history_keep_per_job",
                "history_max_age",
                "executors"
            ]
        );
    }

    #[test]
    fn a_misspelt_or_refused_scheduler_key_is_named() {
        assert_eq!(
            refused("[scheduler]\ntimezone = \"UTC\"\nhistory_keep = 5\n"),
            "t.toml:3:1: unknown field `history_keep`, expected one of `executors`, \
             `history_keep_per_job`, `history_max_age`, `job_defaults`, `lease`, `log_format`, \
             `node_id`, `shutdown_timeout`, `store`, `store_poll_interval`, `store_prefix`, \
             `timezone`"
        );
        assert_eq!(
            refused("[scheduler]\ntimezone = \"UTC\"\nhistory_max_age = \"-1h\"\n"),
            "t.toml:3:1: history_max_age: -1h is negative"
        );
        assert_eq!(
            refused("[scheduler.executors.cpu]\ntype = \"thread_pool\"\nmax_workers = 0\n"),
            "t.toml:1:12: executors.cpu.max_workers: 0 is not allowed: at least 1"
        );
        assert!(refused("[scheduler]\nhistory_max_age = \"forever\"\n").contains("forever"));
        assert_eq!(
            refused("[scheduler]\nhistory_max_age = 5\n"),
            "t.toml:2:1: history_max_age: 5 is not a duration or \"unlimited\""
        );
        assert_eq!(
            refused("[scheduler]\nhistory_keep_per_job = \"all\"\n"),
            "t.toml:2:1: history_keep_per_job: \"all\" is not a number of records or \"unlimited\""
        );
        // A value of the library's keys is named and located at its key.
        let error = refused("[scheduler]\ntimezone = \"UTC\"\nstore_poll_interval = \"soon\"\n");
        assert!(
            error.starts_with("t.toml:3:1: store_poll_interval: "),
            "{error}"
        );
        let error = refused("[scheduler.job_defaults]\nmax_instance = 2\n");
        assert!(
            error.starts_with("t.toml:1:12: job_defaults: unknown field `max_instance`"),
            "{error}"
        );
        assert!(
            refused("[scheduler.stores.default]\ntype = \"memory\"\n")
                .contains("stores: the daemon keeps its jobs in the one store"),
        );
    }

    #[test]
    fn notify_settings_are_read_per_job_and_as_the_default_and_checked() {
        let config = DaemonConfig::parse(
            "[notify]\nwebhook = \"https://hooks.example.com/all\"\non = [\"failure\"]\n\n\
             [[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\n\
             expect_success_within = \"26h\"\n\
             notify = { on = [\"stale\", \"recovered\"], webhook = \"https://hooks.example.com/a\", \
             secret = \"k\", command = [\"notify-send\", \"tempora\"], timeout = \"5s\", \
             retry = { attempts = 3, delay = \"1m\" } }\n",
            "t.toml",
        )
        .unwrap();
        let default = config.notify.as_ref().unwrap();
        assert_eq!(default.webhook_url(), Some("https://hooks.example.com/all"));
        assert_eq!(default.kinds(), [tempora::notify::NoticeKind::Failure]);
        let job = &config.jobs[0];
        assert_eq!(
            job.expect_success_within,
            Some(SignedDuration::from_hours(26))
        );
        let notify = job.notify.as_ref().unwrap();
        assert_eq!(notify.webhook_url(), Some("https://hooks.example.com/a"));
        assert!(notify.is_signed());
        assert_eq!(notify.command_line().unwrap(), ["notify-send", "tempora"]);
        assert_eq!(notify.delivery_timeout(), SignedDuration::from_secs(5));
        assert_eq!(notify.delivery_retry().max_attempts(), 3);
        let built = job
            .to_builder(ORIGIN_CONFIG)
            .build_at(
                &tempora::job::JobDefaults::default(),
                "2026-01-01T00:00:00Z".parse().unwrap(),
            )
            .unwrap();
        assert_eq!(built.notify(), Some(notify));
        assert_eq!(
            built.expect_success_within(),
            Some(SignedDuration::from_hours(26))
        );
        let job = |line: &str| {
            format!("[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\n{line}\n")
        };
        for (line, message) in [
            (
                "notify = { on = [\"failures\"], webhook = \"https://h.example.com\" }",
                "notify.on: \"failures\" is not \"failure\", \"missed\", \"stale\" or \"recovered\"",
            ),
            (
                "notify = { webhook = \"ftp://h.example.com\" }",
                "notify.webhook: \"ftp://h.example.com\" is not an http or https URL",
            ),
            (
                "notify = { on = [\"failure\"] }",
                "notify: gives neither a webhook nor a command",
            ),
            (
                "notify = { webhook = \"https://h.example.com\", timeout = \"soon\" }",
                "notify.timeout: \"soon\" is not a duration",
            ),
            (
                "notify = { webhook = \"https://h.example.com\", hook = 1 }",
                "unknown field `hook`",
            ),
            (
                "expect_success_within = \"a day\"",
                "job \"a\": expect_success_within: \"a day\" is not a duration",
            ),
            (
                "expect_success_within = \"0s\"",
                "job \"a\": expect_success_within: \"0s\" must be longer than zero",
            ),
        ] {
            let error = refused(&job(line));
            assert!(error.contains(message), "{line}: {error}");
        }
        let error = refused("[notify]\nwebhook = \"localhost:8080\"\n");
        assert!(
            error.contains("notify.webhook: \"localhost:8080\" is not an http or https URL"),
            "{error}"
        );
    }

    #[test]
    fn a_jobs_timeout_is_the_jobs_own_and_must_be_positive() {
        let config = DaemonConfig::parse(
            "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\ntimeout = \"1h 30m\"\n",
            "t.toml",
        )
        .unwrap();
        let job = &config.jobs[0];
        assert_eq!(job.timeout, Some(SignedDuration::from_mins(90)));
        assert_eq!(job.command.timeout, None, "the job's, not the command's");
        let built = job
            .to_builder(ORIGIN_CONFIG)
            .build_at(
                &tempora::job::JobDefaults::default(),
                "2026-01-01T00:00:00Z".parse().unwrap(),
            )
            .unwrap();
        assert_eq!(built.timeout(), Some(SignedDuration::from_mins(90)));
        assert_eq!(
            refused(
                "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\ntimeout = \"0s\"\n"
            ),
            "t.toml:5:11: job \"a\": timeout: \"0s\" must be longer than zero"
        );
    }

    #[test]
    fn the_api_table_is_read_and_its_mistakes_named() {
        let hash = tempora_api::TokenHash::of("t").to_string();
        let config = DaemonConfig::parse(
            &format!(
                "[api]\nlisten = \"127.0.0.1:8080\"\n[[api.token]]\nname = \"ci\"\nrole = \"operate\"\nsha256 = \"{hash}\"\n"
            ),
            "t.toml",
        )
        .unwrap();
        let api = config.api.unwrap();
        assert_eq!(api.listen, "127.0.0.1:8080");
        assert_eq!(api.token[0].role, "operate");
        assert!(DaemonConfig::parse("", "t.toml").unwrap().api.is_none());
        assert_eq!(
            refused("[api]\nlisten = \"127.0.0.1:8080\"\nlisen = 1\n"),
            "t.toml:3:1: unknown field `lisen`, expected one of `listen`, `tls_cert`, `tls_key`, \
             `metrics_token_sha256`, `token`"
        );
        assert_eq!(
            refused("[api]\nlisten = \"0.0.0.0:8080\"\n"),
            "t.toml:2:1: api.listen: 0.0.0.0:8080 is not a loopback address and no [[api.token]] \
             is configured; add one (tempora api token) or listen on 127.0.0.1"
        );
        assert_eq!(
            refused("[api]\nlisten = \"localhost\"\n"),
            "t.toml:2:1: api.listen: \"localhost\" is not an address like \"127.0.0.1:8080\""
        );
        assert_eq!(
            refused(
                "[api]\nlisten = \"127.0.0.1:1\"\n[[api.token]]\nname = \"a\"\nrole = \"root\"\nsha256 = \"00\"\n"
            ),
            "t.toml:5:1: api.token.role: \"root\" is not a role; expected read, operate or admin"
        );
        assert!(
            refused(
                "[api]\nlisten = \"127.0.0.1:1\"\n[[api.token]]\nname = \"a\"\nrole = \"read\"\nsha256 = \"00\"\n"
            )
            .starts_with("t.toml:6:1: api.token.sha256: \"00\" is not a SHA-256 in hex")
        );
        assert_eq!(
            refused("[api]\nlisten = \"127.0.0.1:1\"\ntls_cert = \"c.pem\"\n"),
            "t.toml:1:1: api.tls_key: missing; tls_cert needs the key of its certificate"
        );
        assert!(refused("[apii]\n").starts_with("t.toml:1:2: unknown field `apii`, expected one of `scheduler`, `calendar`, `job`, `api`"));
    }

    #[test]
    fn mistakes_are_located_and_named() {
        assert_eq!(
            refused("[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = { hour = 24 }\n"),
            "t.toml:4:10: job \"a\": hour: 24 is out of range 0-23"
        );
        assert_eq!(
            refused("[[job]]\nid = \"a\"\ncomand = [\"x\"]\n"),
            "t.toml:3:1: unknown field `comand`, expected one of `id`, `name`, `command`, \
             `shell`, `env`, `inherit_env`, `working_dir`, `user`, `group`, `umask`, `env_file`, `timeout`, `cron`, `interval`, `calendar_interval`, \
             `date`, `timezone`, `start_date`, `end_date`, `dst_gap`, `dst_fold`, `jitter`, \
             `misfire_grace_time`, `coalesce`, `max_instances`, `on_interrupted`, `exclude`, \
             `overlap`, `retry`, `retry_on`, `pause_after_failures`, `notify`, \
             `expect_success_within`, `paused`"
        );
        assert_eq!(
            refused("[[job]]\nid = \"a\"\ncommand = [\"x\"]\n"),
            "t.toml:1:1: job \"a\": trigger: missing; give one of cron, interval, calendar_interval or date"
        );
        assert_eq!(
            refused(
                "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ninterval = { hours = 1 }\ndst_fold = \"both\"\n"
            ),
            "t.toml:5:12: job \"a\": dst_fold: does not apply to interval triggers, which count elapsed time"
        );
        assert_eq!(
            refused(
                "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\ntimeout = \"soon\"\n"
            ),
            "t.toml:5:11: job \"a\": timeout: \"soon\" is not a duration; write e.g. \"30s\", \"5m\", \"1h 30m\""
        );
        assert_eq!(
            refused(
                "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\n[[job]]\nid = \"a\"\nshell = \"y\"\ncron = \"@daily\"\n"
            ),
            "t.toml:6:6: id: job \"a\" is defined twice; ids must be unique"
        );
        assert_eq!(
            refused("[scheduler]\ntimezone = \"Mars/Base\"\n"),
            "t.toml:2:12: timezone: \"Mars/Base\" is not a known IANA time zone name, `UTC` or an offset like +05:30"
        );
    }
}
