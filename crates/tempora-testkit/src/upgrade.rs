//! Upgrades: a store opened on tables (or documents) an earlier release
//! wrote keeps what they hold and gains what this release stores.
//!
//! A backend's upgrade test writes the earlier shape by hand — for SQL,
//! the run history table before `exit_status` and `output`, holding the
//! row [`PREVIOUS_RUN_INSERT`] inserts — then opens the store and calls
//! [`history_survives_the_upgrade`].
//!
//! ```
//! use tempora::store::MemoryStore;
//! use tempora_testkit::Capabilities;
//! use tempora_testkit::upgrade::{history_survives_the_upgrade, previous_run};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async {
//! // The memory store has no earlier shape: only the check runs.
//! let store = MemoryStore::with_history();
//! store.run_history().record_run(&previous_run()).await?;
//! history_survives_the_upgrade(&store).await;
//! # Ok::<(), tempora::Error>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::jiff::SignedDuration;
use tempora::store::JobStore;

use crate::Capabilities;
use crate::jobs::{T0, at};

/// The columns of the run history before `exit_status` and `output`, in
/// the order of [`PREVIOUS_RUN_INSERT`]'s values.
pub const PREVIOUS_RUN_COLUMNS: &str = "job_id, scheduled_time, node, fire_times, status, \
                                        started, finished, duration, error, alive_until";

/// The values of the row an earlier release wrote: [`previous_run`] in the
/// earlier columns ([`PREVIOUS_RUN_COLUMNS`]), times in microseconds since
/// the Unix epoch. Plain literals, valid in SQLite, PostgreSQL and MySQL:
/// `format!("INSERT INTO {runs} ({PREVIOUS_RUN_COLUMNS}) VALUES {PREVIOUS_RUN_INSERT}")`.
pub const PREVIOUS_RUN_INSERT: &str = "('nightly-été', 1767225600000000, 'old-node', 2, 'error', \
     1767225601000000, 1767225603000000, 2000000, 'disk full ✗', NULL)";

/// The run the row of [`PREVIOUS_RUN_INSERT`] holds, as this release reads
/// it: no exit status, no output.
///
/// ```
/// use tempora_testkit::upgrade::previous_run;
///
/// assert_eq!(previous_run().exit_status, None);
/// assert_eq!(previous_run().output, None);
/// ```
pub fn previous_run() -> RunRecord {
    let scheduled = at(T0);
    let second = SignedDuration::from_secs(1);
    RunRecord::running(
        "nightly-été",
        scheduled,
        "old-node",
        scheduled + second,
        scheduled + second * 60,
    )
    .with_fire_times(2)
    .finish(
        RunStatus::Error,
        scheduled + second * 3,
        Some(second * 2),
        Some("disk full ✗".to_owned()),
    )
}

/// Checks a store opened on an earlier release's history: the earlier
/// run ([`previous_run`]) reads as it was (attempt 1), a new run keeps its
/// exit status and several KB of output, recording the earlier run's key
/// again with both fields replaces it, and a second attempt of the
/// earlier run's fire time (a retry) is kept beside it, not over it: the
/// history's key gained the attempt.
///
/// # Panics
///
/// When the store loses or changes a record.
pub async fn history_survives_the_upgrade(store: &dyn JobStore) {
    let listed = |what: &'static str| async move {
        match store.run_history().list_runs(&RunQuery::new()).await {
            Ok(runs) => runs,
            Err(error) => panic!("{what}: {error}"),
        }
    };
    let record = |run: RunRecord| async move {
        if let Err(error) = store.run_history().record_run(&run).await {
            panic!("record {:?}: {error}", run.key());
        }
    };
    let old = previous_run();
    assert_eq!(
        listed("list the earlier history").await,
        std::slice::from_ref(&old),
        "the earlier run reads as it was"
    );
    let mut new = old.clone();
    new.job_id = "report".to_owned();
    new.exit_status = Some(3);
    new.output = Some("ligne ✓ 日本\n".repeat(400));
    record(new.clone()).await;
    let mut again = old.clone();
    again.exit_status = Some(-1);
    again.output = Some(String::new());
    record(again.clone()).await;
    assert_eq!(
        listed("list the upgraded history").await,
        [again.clone(), new.clone()],
        "new records keep exit_status and output"
    );
    let retry = again.clone().with_attempt(2);
    record(retry.clone()).await;
    assert_eq!(
        listed("list the history with a retry").await,
        [retry.clone(), again, new],
        "a retry of the earlier fire time is a record of its own, listed first"
    );
    if let Err(error) = store
        .run_history()
        .prune_runs(
            &tempora::history::RunRetention::keep_all(),
            retry.scheduled_time,
        )
        .await
    {
        panic!("prune the upgraded history: {error}");
    }
}

/// A schema version no release knows, for the check that a store refuses
/// tables newer than it reads ([`newer_schema_is_refused`]).
pub const NEWER_SCHEMA_VERSION: i64 = 999;

/// The SQL statement reading a SQL store's schema version, from its
/// `{prefix}schema` table (valid in SQLite, PostgreSQL and MySQL).
///
/// ```
/// use tempora_testkit::upgrade::schema_version_query;
///
/// assert_eq!(
///     schema_version_query("t_"),
///     "SELECT version FROM t_schema WHERE id = 1"
/// );
/// ```
pub fn schema_version_query(prefix: &str) -> String {
    format!("SELECT version FROM {prefix}schema WHERE id = 1")
}

/// The SQL statement setting a SQL store's schema version to
/// [`NEWER_SCHEMA_VERSION`], as a newer release would.
///
/// ```
/// use tempora_testkit::upgrade::newer_schema_statement;
///
/// assert_eq!(
///     newer_schema_statement("t_"),
///     "UPDATE t_schema SET version = 999 WHERE id = 1"
/// );
/// ```
pub fn newer_schema_statement(prefix: &str) -> String {
    format!("UPDATE {prefix}schema SET version = {NEWER_SCHEMA_VERSION} WHERE id = 1")
}

/// Checks the error of a store connecting to tables of
/// [`NEWER_SCHEMA_VERSION`]: a store error that names the store, the
/// version found and `supported`, the version this release reads.
///
/// ```
/// use tempora_testkit::upgrade::newer_schema_is_refused;
///
/// let error = tempora::Error::store(
///     "postgres://db/app",
///     "the tables t_* have schema version 999, newer than 1, the version this release \
///      of tempora supports; upgrade tempora to use them",
///     None,
/// );
/// newer_schema_is_refused(&error, 1);
/// ```
///
/// # Panics
///
/// When the error says otherwise.
pub fn newer_schema_is_refused(error: &tempora::Error, supported: i64) {
    let message = error.to_string();
    assert!(error.is_store(), "{message}");
    assert!(message.starts_with("store \""), "{message}");
    assert!(
        message.contains(&format!("schema version {NEWER_SCHEMA_VERSION}")),
        "{message}"
    );
    assert!(
        message.contains(&format!("newer than {supported}, the version this release")),
        "{message}"
    );
}
