//! What every persistent store shares, written once: the options each
//! backend takes besides its URL ([`StoreOptions`]), a job's stored form
//! written and read back ([`encode_job`], [`decode_job`]), instants as
//! microseconds since the Unix epoch ([`micros_ceil`], [`micros_floor`],
//! [`from_micros`], [`duration_micros`]), the shape of a store's errors
//! ([`store_error`]: `store "<name>": cannot …`; [`located_error`] adds
//! where), and what a store does with them: restore a job
//! ([`restore_job`]), report one it cannot ([`log_unrestorable`],
//! [`log_mark_failure`]), and release one ([`rescheduled_json`],
//! [`RELEASE_ATTEMPTS`], [`release_changing_error`]).
//!
//! A new backend builds on these rather than writing its own, so that every
//! store reads the same jobs the same way and speaks of its failures alike.

use std::fmt;

use jiff::{SignedDuration, Timestamp};

use crate::error::{Error, Result};
use crate::job::{DEFAULT, Job, StoredJob};
use crate::store::{LeaseClock, UnrestorableJob};

/// The options every persistent store takes: its name, the prefix of its
/// tables, keys or collections, and whose clock measures its leases.
/// Backends' own options embed it and add their own.
///
/// ```
/// use tempora::store::LeaseClock;
/// use tempora::store::backend::StoreOptions;
///
/// let options = StoreOptions::new("tempora_").name("billing").lease_clock(LeaseClock::Caller);
/// assert_eq!(options.prefix, "tempora_");
/// assert_eq!(options.name, "billing");
/// assert_eq!(options.lease_clock_or(LeaseClock::Database), LeaseClock::Caller);
/// assert_eq!(StoreOptions::new("x").lease_clock_or(LeaseClock::Database), LeaseClock::Database);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// The store's name in the scheduler (default `"default"`): the jobs
    /// read from it carry it, and its error messages name it.
    pub name: String,
    /// What the store's table, key or collection names start with. Stores
    /// with different prefixes on one database do not see each other.
    pub prefix: String,
    /// Whose clock measures leases; `None` for the backend's default.
    pub lease_clock: Option<LeaseClock>,
}

impl StoreOptions {
    /// Options with `prefix`, the name `"default"` and the backend's lease
    /// clock.
    pub fn new(prefix: impl Into<String>) -> StoreOptions {
        StoreOptions {
            name: DEFAULT.to_owned(),
            prefix: prefix.into(),
            lease_clock: None,
        }
    }

    /// The store's name.
    pub fn name(mut self, name: impl Into<String>) -> StoreOptions {
        self.name = name.into();
        self
    }

    /// The prefix of the store's names.
    pub fn prefix(mut self, prefix: impl Into<String>) -> StoreOptions {
        self.prefix = prefix.into();
        self
    }

    /// Whose clock measures leases.
    pub fn lease_clock(mut self, clock: LeaseClock) -> StoreOptions {
        self.lease_clock = Some(clock);
        self
    }

    /// The lease clock chosen, or the backend's `default`.
    pub fn lease_clock_or(&self, default: LeaseClock) -> LeaseClock {
        self.lease_clock.unwrap_or(default)
    }
}

/// Gives a backend's options type the three builder methods of
/// [`StoreOptions`] — `prefix`, `name` and `lease_clock` — over its field
/// holding them, with the prefix documented as `$prefix_doc` says.
///
/// ```
/// use tempora::store::backend::StoreOptions;
///
/// /// Options of a store.
/// #[derive(Debug)]
/// pub struct MyOptions {
///     store: StoreOptions,
/// }
///
/// tempora::store_options_methods!(MyOptions, store, "The prefix of the store's keys.");
///
/// let options = MyOptions { store: StoreOptions::new("my_") }.prefix("app_").name("billing");
/// assert_eq!(options.store.prefix, "app_");
/// assert_eq!(options.store.name, "billing");
/// ```
#[macro_export]
macro_rules! store_options_methods {
    ($options:ty, $field:ident, $prefix_doc:literal) => {
        impl $options {
            #[doc = $prefix_doc]
            pub fn prefix(mut self, prefix: impl Into<String>) -> $options {
                self.$field.prefix = prefix.into();
                self
            }

            /// The store's name in the scheduler (default `"default"`):
            /// restored jobs carry it, and error messages name it.
            pub fn name(mut self, name: impl Into<String>) -> $options {
                self.$field.name = name.into();
                self
            }

            /// Whose clock measures leases (default: the backend's, see
            /// [`LeaseClock`]($crate::store::LeaseClock)).
            pub fn lease_clock(mut self, clock: $crate::store::LeaseClock) -> $options {
                self.$field.lease_clock = Some(clock);
                self
            }
        }
    };
}

/// A store error of store `store`: `store "<store>": cannot <what>`, with
/// the driver's error as its source when there is one. The one shape every
/// backend's errors take.
///
/// ```
/// use tempora::store::backend::store_error;
///
/// let error = store_error("default", "read job \"a\" (redis at redis://127.0.0.1/0)", None);
/// assert!(error.is_store());
/// assert_eq!(
///     error.to_string(),
///     "store \"default\": cannot read job \"a\" (redis at redis://127.0.0.1/0)"
/// );
/// ```
pub fn store_error(
    store: &str,
    what: impl fmt::Display,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::store(store, format!("cannot {what}"), source)
}

/// A store error of store `store` on the database at `location` (such as
/// `redis at redis://127.0.0.1/0`, the URL shown without its password):
/// `store "<store>": cannot <what> (<location>)`, with the driver's error
/// as its source when there is one.
///
/// ```
/// use tempora::store::backend::located_error;
///
/// let error = located_error("default", "redis at redis://127.0.0.1/0", "list jobs", None);
/// assert_eq!(
///     error.to_string(),
///     "store \"default\": cannot list jobs (redis at redis://127.0.0.1/0)"
/// );
/// ```
pub fn located_error(
    store: &str,
    location: &str,
    what: impl fmt::Display,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    store_error(store, format_args!("{what} ({location})"), source)
}

/// The error of reading job `id`, which store `store` keeps but cannot
/// restore (see [`decode_job`]): the job is not missing, and is listed by
/// `unrestorable_jobs`.
///
/// ```
/// use tempora::store::backend::unrestorable_error;
///
/// let error = unrestorable_error("default", "a", "its JSON does not read");
/// assert!(error.is_store());
/// assert_eq!(
///     error.to_string(),
///     "store \"default\": job \"a\" cannot be restored: its JSON does not read; \
///      it is kept, and listed by unrestorable_jobs"
/// );
/// ```
pub fn unrestorable_error(store: &str, id: &str, reason: &str) -> Error {
    let job = UnrestorableJob {
        id: id.to_owned(),
        reason: reason.to_owned(),
    };
    Error::store(
        store,
        format!("{job}; it is kept, and listed by unrestorable_jobs"),
        None,
    )
}

/// The stored form of `job` as JSON ([`StoredJob`], with its format
/// version), for store `store`.
///
/// # Errors
///
/// Field `task` for a job that holds a closure (see [`Job::to_stored`]);
/// a store error when the job cannot be written as JSON.
///
/// ```
/// use tempora::job::{JobBuilder, JobDefaults};
/// use tempora::store::backend::{decode_job, encode_job};
/// use tempora::trigger::IntervalTrigger;
/// use tempora::jiff::Timestamp;
///
/// let now: Timestamp = "2026-01-01T00:00:00Z".parse()?;
/// let trigger = IntervalTrigger::builder().minutes(5).start_date(now).timezone("UTC").build()?;
/// let job = JobBuilder::new("tick", trigger).id("a").build_at(&JobDefaults::default(), now)?;
/// let json = encode_job("default", &job)?;
/// assert_eq!(decode_job("a", json.as_bytes())?.id, "a");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_job(store: &str, job: &Job) -> Result<String> {
    let stored = job.to_stored()?;
    serde_json::to_string(&stored).map_err(|error| {
        store_error(
            store,
            format_args!("write job {:?} as JSON", job.id()),
            Some(Box::new(error)),
        )
    })
}

/// Reads the stored form of the job kept under `id` (its key, row id or
/// document id), or says why it cannot be restored: its JSON does not read,
/// its format version is newer than this release reads, or it names
/// another id than the one it is kept under. A job that cannot be restored
/// is kept and reported ([`UnrestorableJob`]),
/// never deleted.
///
/// # Errors
///
/// The reason, as [`UnrestorableJob::reason`](crate::store::UnrestorableJob::reason)
/// shows it.
///
/// ```
/// use tempora::store::backend::decode_job;
///
/// assert!(decode_job("a", b"not json").unwrap_err().starts_with("its JSON does not read"));
/// let newer = br#"{"version":2,"id":"a","name":"a","task":"t","args":null,
///   "trigger":{"type":"date","run_date":"2026-01-01T00:00:00Z","timezone":"UTC"},
///   "executor":"default","misfire_grace_time":null,"coalesce":true,"max_instances":1,
///   "next_run_time":null}"#;
/// assert_eq!(
///     decode_job("a", newer).unwrap_err(),
///     "its format version 2 is newer than 1, the one this release reads"
/// );
/// let current = String::from_utf8_lossy(newer).replace("\"version\":2", "\"version\":1");
/// assert_eq!(
///     decode_job("b", current.as_bytes()).unwrap_err(),
///     "its JSON has id \"a\", not \"b\", the id it is kept under"
/// );
/// assert_eq!(decode_job("a", current.as_bytes()).unwrap().task, "t");
/// ```
pub fn decode_job(id: &str, json: &[u8]) -> std::result::Result<StoredJob, String> {
    let stored: StoredJob =
        serde_json::from_slice(json).map_err(|error| format!("its JSON does not read: {error}"))?;
    if stored.version > StoredJob::VERSION {
        return Err(format!(
            "its format version {} is newer than {}, the one this release reads",
            stored.version,
            StoredJob::VERSION
        ));
    }
    if stored.id != id {
        return Err(format!(
            "its JSON has id {:?}, not {id:?}, the id it is kept under",
            stored.id
        ));
    }
    Ok(stored)
}

/// The job kept under `id` in store `store`, restored from its stored JSON
/// (see [`decode_job`]), or why it cannot be restored. A store that keeps
/// the job's previous fire time beside its JSON adds it with
/// [`Job::with_previous_fire_time`].
///
/// # Errors
///
/// The reason, as [`decode_job`] gives it.
///
/// ```
/// use tempora::job::{JobBuilder, JobDefaults};
/// use tempora::store::backend::{encode_job, restore_job};
/// use tempora::trigger::IntervalTrigger;
/// use tempora::jiff::Timestamp;
///
/// let now: Timestamp = "2026-01-01T00:00:00Z".parse()?;
/// let trigger = IntervalTrigger::builder().minutes(5).start_date(now).timezone("UTC").build()?;
/// let job = JobBuilder::new("tick", trigger).id("a").build_at(&JobDefaults::default(), now)?;
/// let json = encode_job("billing", &job)?;
/// let restored = restore_job("billing", "a", json.as_bytes())?;
/// assert_eq!((restored.id(), restored.store()), ("a", "billing"));
/// assert!(restore_job("billing", "a", b"{}").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn restore_job(store: &str, id: &str, json: &[u8]) -> std::result::Result<Job, String> {
    Ok(Job::from_stored(decode_job(id, json)?, store))
}

/// Logs, at error level, that store `store` keeps job `id` but skips it,
/// since it cannot be restored for `reason`: what a store says each time
/// it first finds such a job.
///
/// ```
/// tempora::store::backend::log_unrestorable("default", "a", "its JSON does not read");
/// ```
pub fn log_unrestorable(store: &str, id: &str, reason: &str) {
    tracing::error!(
        store,
        job = id,
        reason,
        "job kept but skipped: it cannot be restored"
    );
}

/// Logs, at error level, that store `store` could not mark job `id` as
/// one it cannot restore, for `error`: the job stays skipped, and is found
/// again the next time it is read.
///
/// ```
/// tempora::store::backend::log_mark_failure("default", "a", &"the server is gone");
/// ```
pub fn log_mark_failure(store: &str, id: &str, error: &dyn fmt::Display) {
    tracing::error!(
        store,
        job = id,
        error = %error,
        "cannot mark the job as unrestorable"
    );
}

/// How many times a store tries a release again when the job changes
/// between reading it and writing it; then it fails with
/// [`release_changing_error`].
pub const RELEASE_ATTEMPTS: usize = 16;

/// `expected`, the stored JSON of job `id` in store `store`, with its next
/// run time set to `next`: what a release that reschedules the job writes,
/// leaving every other field as it finds it.
///
/// # Errors
///
/// A store error when `expected` is not a job's JSON, or the job cannot be
/// written back.
///
/// ```
/// use tempora::job::{JobBuilder, JobDefaults};
/// use tempora::store::backend::{decode_job, encode_job, rescheduled_json};
/// use tempora::trigger::IntervalTrigger;
/// use tempora::jiff::Timestamp;
///
/// let now: Timestamp = "2026-01-01T00:00:00Z".parse()?;
/// let trigger = IntervalTrigger::builder().minutes(5).start_date(now).timezone("UTC").build()?;
/// let job = JobBuilder::new("tick", trigger).id("a").build_at(&JobDefaults::default(), now)?;
/// let later: Timestamp = "2026-01-01T00:05:00Z".parse()?;
/// let json = rescheduled_json("default", "a", &encode_job("default", &job)?, later)?;
/// assert_eq!(decode_job("a", json.as_bytes())?.next_run_time, Some(later));
/// let error = rescheduled_json("default", "a", "not json", later).unwrap_err();
/// assert!(error.to_string().starts_with("store \"default\": cannot read job \"a\" back"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rescheduled_json(store: &str, id: &str, expected: &str, next: Timestamp) -> Result<String> {
    let mut rescheduled: StoredJob = serde_json::from_str(expected).map_err(|error| {
        store_error(
            store,
            format_args!("read job {id:?} back"),
            Some(Box::new(error)),
        )
    })?;
    rescheduled.next_run_time = Some(next);
    serde_json::to_string(&rescheduled).map_err(|error| {
        store_error(
            store,
            format_args!("write job {id:?} as JSON"),
            Some(Box::new(error)),
        )
    })
}

/// The error of a release of job `id` in store `store` that found the job
/// changed at each of its [`RELEASE_ATTEMPTS`] tries.
///
/// ```
/// use tempora::store::backend::release_changing_error;
///
/// assert_eq!(
///     release_changing_error("default", "a").to_string(),
///     "store \"default\": cannot release job \"a\": it changed 16 times while being released"
/// );
/// ```
pub fn release_changing_error(store: &str, id: &str) -> Error {
    store_error(
        store,
        format_args!(
            "release job {id:?}: it changed {RELEASE_ATTEMPTS} times while being released"
        ),
        None,
    )
}

/// `time` in microseconds since the Unix epoch, rounded up: a next run time
/// stored this way is never earlier than asked, so a job is never claimed
/// before it is due.
///
/// ```
/// use tempora::jiff::Timestamp;
/// use tempora::store::backend::micros_ceil;
///
/// let t: Timestamp = "1970-01-01T00:00:00.0000001Z".parse()?;
/// assert_eq!(micros_ceil(t), 1);
/// let t: Timestamp = "1969-12-31T23:59:59.9999999Z".parse()?;
/// assert_eq!(micros_ceil(t), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn micros_ceil(time: Timestamp) -> i64 {
    let nanos = time.as_nanosecond();
    let micros = nanos.div_euclid(1000) + i128::from(nanos.rem_euclid(1000) != 0);
    // OK because jiff's timestamps (years -9999 to 9999) are about 3.2e17
    // microseconds either side of the epoch, well within i64.
    i64::try_from(micros).unwrap_or(i64::MAX)
}

/// `time` in microseconds since the Unix epoch, rounded down: "now" for a
/// lease or a due check.
///
/// ```
/// use tempora::jiff::Timestamp;
/// use tempora::store::backend::micros_floor;
///
/// let t: Timestamp = "1969-12-31T23:59:59.9999999Z".parse()?;
/// assert_eq!(micros_floor(t), -1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn micros_floor(time: Timestamp) -> i64 {
    i64::try_from(time.as_nanosecond().div_euclid(1000)).unwrap_or(i64::MAX)
}

/// The instant `micros` microseconds after the Unix epoch, saturating at
/// [`Timestamp::MIN`] and [`Timestamp::MAX`].
///
/// ```
/// use tempora::jiff::Timestamp;
/// use tempora::store::backend::{from_micros, micros_floor};
///
/// let t: Timestamp = "2026-03-29T01:30:00.123456Z".parse()?;
/// assert_eq!(from_micros(micros_floor(t)), t);
/// assert_eq!(from_micros(i64::MAX), Timestamp::MAX);
/// assert_eq!(from_micros(i64::MIN), Timestamp::MIN);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_micros(micros: i64) -> Timestamp {
    Timestamp::from_microsecond(micros).unwrap_or(if micros < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// `duration` in microseconds, saturating at `i64`'s bounds.
///
/// ```
/// use tempora::jiff::SignedDuration;
/// use tempora::store::backend::duration_micros;
///
/// assert_eq!(duration_micros(SignedDuration::from_secs(2)), 2_000_000);
/// assert_eq!(duration_micros(SignedDuration::MIN), i64::MIN);
/// ```
pub fn duration_micros(duration: SignedDuration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(if duration.is_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}
