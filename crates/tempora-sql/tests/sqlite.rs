//! The SQLite store: the conformance suite, each case on a database file of
//! its own, then what is SQLite's own: WAL mode, file paths and URLs, the
//! upgrade of the first release's table, and a scheduler on top.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "sqlite")]

use std::path::{Path, PathBuf};

use tempora::history::RunQuery;
use tempora::job::JobBuilder;
use tempora::store::JobStore;
use tempora::trigger::IntervalTrigger;
use tempora_sql::{SqlOptions, SqliteStore};
use tempora_testkit::Capabilities;
use tempora_testkit::StoreUnderTest;
use tempora_testkit::jobs::{T0, at, ids, job};
use tempora_testkit::upgrade::{
    PREVIOUS_RUN_COLUMNS, PREVIOUS_RUN_INSERT, history_survives_the_upgrade,
    newer_schema_is_refused, newer_schema_statement,
};

#[macro_use]
mod raw;

/// A fresh directory of this test's own.
fn directory() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("tempora-sqlite-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path.to_str().unwrap(), "").await.unwrap()
}

async fn sqlite() -> StoreUnderTest {
    let dir = directory();
    let path = dir.join("jobs.db");
    let store = open(&path).await;
    let reopen_path = path.clone();
    let neighbour_path = path.clone();
    let under_test = StoreUnderTest::new(store)
        .reopen(move || {
            let path = reopen_path.clone();
            async move { open(&path).await }
        })
        .neighbour(move || {
            let path = neighbour_path.clone();
            async move {
                SqliteStore::open(path.to_str().unwrap(), "beside_")
                    .await
                    .unwrap()
            }
        });
    with_raw_job_form!(
        under_test,
        sqlx::SqlitePool,
        format!("sqlite://{}", path.display()),
        update: "UPDATE jobs SET job = ? WHERE id = ?".to_owned(),
        select: "SELECT job FROM jobs WHERE id = ?".to_owned(),
    )
    .cleanup(move || async move {
        let _ = std::fs::remove_dir_all(&dir);
    })
}

tempora_testkit::store_conformance_tests!(sqlite);

#[tokio::test]
async fn the_database_runs_in_wal_mode() {
    let dir = directory();
    let path = dir.join("jobs.db");
    let store = open(&path).await;
    store.add_job(job("a", T0), false).await.unwrap();
    assert!(
        dir.join("jobs.db-wal").exists(),
        "a write-ahead log is kept"
    );
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_path_and_a_url_open_the_same_database_and_prefixes_separate_stores() {
    let dir = directory();
    let path = dir.join("jobs.db");
    let by_path = SqliteStore::connect(path.to_str().unwrap(), &SqlOptions::new())
        .await
        .unwrap();
    by_path.add_job(job("a", T0), false).await.unwrap();
    let url = format!("sqlite://{}", path.display());
    let by_url = tempora_sql::connect(&url, &SqlOptions::new())
        .await
        .unwrap();
    assert_eq!(by_url.backend(), "sqlite");
    assert_eq!(ids(&by_url.list_jobs().await.unwrap()), ["a"]);
    let other = SqliteStore::connect(&url, &SqlOptions::new().prefix("other_"))
        .await
        .unwrap();
    assert_eq!(other.tables(), ("other_jobs", "other_runs"));
    assert!(other.list_jobs().await.unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn bad_locations_and_options_are_refused_by_name() {
    let error = SqliteStore::connect("/tmp/x.db", &SqlOptions::new().prefix("bad-prefix"))
        .await
        .unwrap_err();
    assert_eq!(error.field(), Some("prefix"));
    assert_eq!(
        error.to_string(),
        "prefix: \"bad-prefix\" may hold only letters, digits and _"
    );
    let error = SqliteStore::connect("postgres://me:secret@host/db", &SqlOptions::new())
        .await
        .unwrap_err();
    assert_eq!(error.field(), Some("url"));
    assert!(!error.to_string().contains("secret"), "{error}");
    // A directory that does not exist: the error names the path.
    let error = SqliteStore::connect("/nonexistent/dir/jobs.db", &SqlOptions::new())
        .await
        .unwrap_err();
    assert!(error.is_store(), "{error}");
    assert!(
        error.to_string().contains("/nonexistent/dir/jobs.db"),
        "{error}"
    );
}

#[tokio::test]
async fn the_first_release_table_is_upgraded_and_its_jobs_kept() {
    let dir = directory();
    let path = dir.join("jobs.db");
    {
        // The table as the first release created it, with one job.
        let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .unwrap();
        sqlx::query(
            "CREATE TABLE jobs (id TEXT PRIMARY KEY NOT NULL, next_run_time INTEGER,
             job TEXT NOT NULL, owner TEXT, lease_expires INTEGER)",
        )
        .execute(&raw)
        .await
        .unwrap();
        let old = job("old", T0);
        sqlx::query("INSERT INTO jobs (id, next_run_time, job) VALUES ('old', ?, ?)")
            .bind(at(T0).as_microsecond())
            .bind(serde_json::to_string(&old.to_stored().unwrap()).unwrap())
            .execute(&raw)
            .await
            .unwrap();
        raw.close().await;
    }
    let store = open(&path).await;
    assert_eq!(ids(&store.list_jobs().await.unwrap()), ["old"]);
    assert_eq!(
        schema_version(&path).await,
        Some(tempora_sql::SCHEMA_VERSION)
    );
    let claimed = store
        .acquire_due(
            at(T0),
            10,
            "n",
            tempora::jiff::SignedDuration::from_secs(30),
        )
        .await
        .unwrap();
    assert_eq!(ids(&claimed), ["old"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_previous_runs_table_gains_exit_status_and_output() {
    let dir = directory();
    let path = dir.join("jobs.db");
    {
        // The run history as the previous release created it, with a row.
        raw_execute!(
            sqlx::SqlitePool,
            create(&path),
            [
                "CREATE TABLE runs (job_id TEXT NOT NULL, scheduled_time INTEGER NOT NULL,
             node TEXT NOT NULL, fire_times INTEGER NOT NULL, status TEXT NOT NULL,
             started INTEGER, finished INTEGER, duration INTEGER, error TEXT,
             alive_until INTEGER, PRIMARY KEY (job_id, scheduled_time, node))",
                format!("INSERT INTO runs ({PREVIOUS_RUN_COLUMNS}) VALUES {PREVIOUS_RUN_INSERT}"),
            ]
        );
    }
    let store = open(&path).await;
    history_survives_the_upgrade(&store).await;
    store.close().await;
    // Opening the upgraded file again changes nothing.
    let again = open(&path).await;
    assert_eq!(
        again
            .run_history()
            .list_runs(&RunQuery::new())
            .await
            .unwrap()
            .len(),
        3
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn version_1_tables_gain_the_attempt_in_the_run_key() {
    let dir = directory();
    let path = dir.join("jobs.db");
    {
        // The run history and schema version as version 1 left them.
        raw_execute!(
            sqlx::SqlitePool,
            create(&path),
            [
                "CREATE TABLE schema (id INTEGER NOT NULL PRIMARY KEY, version INTEGER NOT NULL)",
                "INSERT INTO schema (id, version) VALUES (1, 1)",
                "CREATE TABLE runs (job_id TEXT NOT NULL, scheduled_time INTEGER NOT NULL,
             node TEXT NOT NULL, fire_times INTEGER NOT NULL, status TEXT NOT NULL,
             started INTEGER, finished INTEGER, duration INTEGER, error TEXT,
             alive_until INTEGER, exit_status INTEGER, output TEXT,
             first_scheduled_time INTEGER, PRIMARY KEY (job_id, scheduled_time, node))",
                format!("INSERT INTO runs ({PREVIOUS_RUN_COLUMNS}) VALUES {PREVIOUS_RUN_INSERT}"),
            ]
        );
    }
    let store = open(&path).await;
    assert_eq!(schema_version(&path).await, Some(2));
    // The earlier record reads as attempt 1; a retry of its fire time is
    // kept beside it.
    history_survives_the_upgrade(&store).await;
    let runs = store
        .run_history()
        .list_runs(&RunQuery::new())
        .await
        .unwrap();
    let attempts: Vec<u32> = runs.iter().map(|run| run.attempt).collect();
    assert_eq!(attempts, [2, 1, 1]);
    store.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The schema version the database at `path` holds.
async fn schema_version(path: &Path) -> Option<i64> {
    raw_schema_version!(sqlx::SqlitePool, format!("sqlite://{}", path.display()), "")
}

/// The URL of a raw pool on the database at `path`, creating it if missing.
fn create(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

#[tokio::test]
async fn current_tables_are_opened_without_a_write_and_newer_ones_refused() {
    let dir = directory();
    let path = dir.join("jobs.db");
    open(&path).await.close().await;
    assert_eq!(
        schema_version(&path).await,
        Some(tempora_sql::SCHEMA_VERSION)
    );
    // Another process holds the write lock: opening current tables needs
    // none, so it does not wait for it.
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mut writing = raw.begin_with("BEGIN IMMEDIATE").await.unwrap();
    let started = std::time::Instant::now();
    let store = open(&path).await;
    assert!(store.list_jobs().await.unwrap().is_empty());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    store.close().await;
    sqlx::query(sqlx::AssertSqlSafe(newer_schema_statement("")))
        .execute(&mut *writing)
        .await
        .unwrap();
    writing.commit().await.unwrap();
    raw.close().await;
    let error = SqliteStore::open(path.to_str().unwrap(), "")
        .await
        .unwrap_err();
    newer_schema_is_refused(&error, tempora_sql::SCHEMA_VERSION);
    assert!(
        error.to_string().contains(path.to_str().unwrap()),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scheduler_runs_its_jobs_from_sqlite() {
    use tempora::clock::ManualClock;
    use tempora::event::EventMask;
    use tempora::scheduler::SchedulerBuilder;
    use tempora::task::{JobContext, Tasks};

    let dir = directory();
    let path = dir.join("jobs.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime.block_on(open(&path));
    let tasks = Tasks::new();
    tasks.register("tick", |_: JobContext, _: ()| Ok::<(), String>(()));
    let clock = ManualClock::new(at(T0));
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .tasks(tasks)
        .store("default", store)
        // Another process may change a database behind the scheduler's
        // back: it looks again at least this often (1 s by default).
        .store_poll_interval(tempora::jiff::SignedDuration::from_secs(3600))
        // It also writes its heartbeat every third of its lease.
        .lease(tempora::jiff::SignedDuration::from_secs(3600))
        .host_driven()
        .unwrap();
    let (sink, executed) = std::sync::mpsc::channel();
    let sink = std::sync::Mutex::new(sink);
    scheduler
        .listeners()
        .add(EventMask::JOB_EXECUTED, move |event| {
            let _ = sink.lock().unwrap().send(event.scheduled_run_time());
        });
    let trigger = IntervalTrigger::builder()
        .minutes(5)
        .start_date(at(T0))
        .timezone("UTC")
        .build()
        .unwrap();
    scheduler
        .add_job(JobBuilder::new("tick", trigger).id("five"))
        .unwrap();
    scheduler.start().unwrap();
    clock.set(at("2026-01-01T00:05:00Z"));
    let wake = scheduler.run_pending(clock.now());
    assert_eq!(wake, Some(at("2026-01-01T00:10:00Z")));
    let ran = executed
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert_eq!(ran, Some(at("2026-01-01T00:05:00Z")));
    scheduler.shutdown(true).unwrap();
    // The next run time is on disk.
    let reopened = runtime.block_on(open(&path));
    let job = runtime.block_on(reopened.get_job("five")).unwrap().unwrap();
    assert_eq!(job.next_run_time(), Some(at("2026-01-01T00:10:00Z")));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Two schedulers on one SQLite file claim two runs of one job at the same
/// instant: the job's limit holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_claims_at_one_instant_keep_the_limit() {
    let dir = directory();
    let path = dir.join("jobs.db");
    let options = SqlOptions::new().lease_clock(tempora::store::LeaseClock::Caller);
    let a = SqliteStore::connect(path.to_str().unwrap(), &options)
        .await
        .unwrap();
    let b = SqliteStore::connect(path.to_str().unwrap(), &options)
        .await
        .unwrap();
    tempora_testkit::cluster::two_claims_at_one_instant_keep_the_limit(
        std::sync::Arc::new(a),
        std::sync::Arc::new(b),
    )
    .await;
    std::fs::remove_dir_all(dir).unwrap();
}
