//! The PostgreSQL store against the server on loopback
//! (`postgres://postgres@127.0.0.1:5432/test`, or `TEMPORA_TEST_POSTGRES_URL`):
//! the conformance suite and the tests every server store shares
//! (`server/mod.rs`), each on tables of its own (a random prefix), then
//! what is PostgreSQL's own: URLs and logins refused by name, its tables,
//! upgrades, locks and timeouts, change notices that wake a scheduler. A
//! server that cannot be reached fails the tests: `scripts/services`
//! starts it.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "postgres")]

use std::time::{Duration, Instant};

use tempora::jiff::SignedDuration;
use tempora::store::JobStore;
use tempora_sql::{LeaseClock, PostgresStore, SqlOptions};
use tempora_testkit::Capabilities;
use tempora_testkit::jobs::{T0, at, ids, job};
use tempora_testkit::upgrade::{
    PREVIOUS_RUN_COLUMNS, PREVIOUS_RUN_INSERT, history_survives_the_upgrade,
    newer_schema_is_refused, newer_schema_statement,
};
use tempora_testkit::{StoreUnderTest, unique_prefix};

#[macro_use]
mod raw;
#[macro_use]
mod server;

server_store_tests! {
    store: PostgresStore,
    pool: sqlx::PgPool,
    url_variable: "TEMPORA_TEST_POSTGRES_URL",
    default_url: "postgres://postgres@127.0.0.1:5432/test",
    server: "PostgreSQL",
    update_job_json: "UPDATE {} SET job = $1 WHERE id = $2",
    select_job_json: "SELECT job FROM {} WHERE id = $1",
    columns_of_table: "SELECT column_name::text FROM information_schema.columns
        WHERE table_name = $1 ORDER BY ordinal_position",
    next_run_time_and_task_of_a: "SELECT next_run_time, job::jsonb ->> 'task' FROM {jobs} WHERE id = 'a'",
    previous_runs_table: "CREATE TABLE {runs} (job_id TEXT COLLATE \"C\" NOT NULL,
        scheduled_time BIGINT NOT NULL, node TEXT COLLATE \"C\" NOT NULL,
        fire_times BIGINT NOT NULL, status TEXT NOT NULL, started BIGINT, finished BIGINT,
        duration BIGINT, error TEXT, alive_until BIGINT,
        PRIMARY KEY (job_id, scheduled_time, node))",
    lock_every_table: [
        "BEGIN",
        "LOCK TABLE {prefix}jobs, {prefix}runs, {prefix}nodes, {prefix}schema IN SHARE MODE",
    ],
    unlock: "ROLLBACK",
    drop_also: ["DROP FUNCTION {prefix}jobs_notify()"],
}

#[tokio::test]
async fn bad_urls_and_refused_logins_name_the_url_without_the_password() {
    server::bad_urls_and_refused_logins_name_the_url_without_the_password(
        |url| async move { PostgresStore::connect(&url, &SqlOptions::new()).await },
        server::Refusals {
            scheme: "postgres",
            foreign_url: (
                "mysql://root@127.0.0.1/test",
                "url: \"mysql://root@127.0.0.1/test\" is not a postgres:// URL",
            ),
            unknown_user: "no_such_role_tempora",
            port: 5432,
        },
    )
    .await;

    // A server that does not answer is a store error naming its address.
    let error = PostgresStore::connect(
        "postgres://postgres@127.0.0.1:1/test",
        &SqlOptions::new().connect_timeout(Duration::from_secs(2)),
    )
    .await
    .unwrap_err();
    assert!(error.is_store(), "{error}");
    assert!(error.to_string().contains("127.0.0.1:1"), "{error}");
}

#[tokio::test]
async fn the_tables_are_what_the_docs_say() {
    let (store, raw, jobs, runs) = tables_as_the_docs_say().await;
    let notify_functions = || {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pg_proc WHERE proname = $1")
            .bind(format!("{jobs}_notify"))
            .fetch_one(&raw)
    };
    assert_eq!(notify_functions().await.unwrap(), 1);
    // Dropping the store leaves nothing of it behind.
    store.drop_tables().await.unwrap();
    assert_eq!(notify_functions().await.unwrap(), 0);
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name IN ($1, $2)",
    )
    .bind(&jobs)
    .bind(&runs)
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(tables, 0);
}

/// The jobs table as a release before `previous_fire_time` (and before the
/// schema version) created it, under `prefix`.
async fn previous_jobs_table(raw: &sqlx::PgPool, prefix: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {prefix}jobs (id TEXT COLLATE \"C\" PRIMARY KEY, next_run_time BIGINT,
         job TEXT NOT NULL, owner TEXT, lease_expires BIGINT, unrestorable TEXT)"
    )))
    .execute(raw)
    .await
    .unwrap();
}

#[tokio::test]
async fn processes_upgrading_at_once_upgrade_once() {
    let options = SqlOptions::new().prefix(unique_prefix("t"));
    let prefix = options.store.prefix.clone();
    let raw = sqlx::PgPool::connect(&url()).await.unwrap();
    previous_jobs_table(&raw, &prefix).await;
    let connecting: Vec<_> = (0..6)
        .map(|_| {
            let options = options.clone();
            tokio::spawn(async move { PostgresStore::connect(&url(), &options).await })
        })
        .collect();
    let mut stores = Vec::new();
    for connecting in connecting {
        stores.push(connecting.await.unwrap().unwrap());
    }
    assert_eq!(
        schema_version(&prefix).await,
        Some(tempora_sql::SCHEMA_VERSION)
    );
    let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {prefix}schema"
    )))
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(rows, 1);
    stores[0].add_job(job("a", T0), false).await.unwrap();
    assert_eq!(ids(&stores[5].list_jobs().await.unwrap()), ["a"]);
    stores[0].drop_tables().await.unwrap();
    raw.close().await;
}

#[tokio::test]
async fn an_upgrade_behind_a_dump_gives_up_after_the_lock_timeout() {
    let options = SqlOptions::new().prefix(unique_prefix("t"));
    let prefix = options.store.prefix.clone();
    // Tables of a release that kept no schema version, read by a dump.
    let raw = sqlx::PgPool::connect(&url()).await.unwrap();
    previous_jobs_table(&raw, &prefix).await;
    let mut dump = raw.begin().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "LOCK TABLE {prefix}jobs IN ACCESS SHARE MODE"
    )))
    .execute(&mut *dump)
    .await
    .unwrap();
    let started = Instant::now();
    let error = PostgresStore::connect(&url(), &options).await.unwrap_err();
    let took = started.elapsed();
    println!(
        "{error} ({:?}) after {took:?}",
        std::error::Error::source(&error)
    );
    assert!(error.is_store(), "{error}");
    assert!(
        error.to_string().contains(&format!(
            "up to schema version {} (found none)",
            tempora_sql::SCHEMA_VERSION
        )),
        "{error}"
    );
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(20),
        "{took:?}"
    );
    dump.rollback().await.unwrap();
    // Once the dump is over, the upgrade goes through.
    connect(&options).await.drop_tables().await.unwrap();
    raw.close().await;
}

#[tokio::test]
async fn a_statement_waiting_on_a_lock_ends_at_the_statement_timeout() {
    for (url, options) in [
        // The options' timeout, or the URL's.
        (
            url(),
            SqlOptions::new().statement_timeout(Duration::from_secs(1)),
        ),
        (
            format!("{}?options[statement_timeout]=1s", url()),
            SqlOptions::new(),
        ),
    ] {
        let options = options.prefix(unique_prefix("t"));
        let store = PostgresStore::connect(&url, &options).await.unwrap();
        store.add_job(job("a", T0), false).await.unwrap();
        let raw = sqlx::PgPool::connect(&url).await.unwrap();
        let mut holding = raw.begin().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM {}jobs WHERE id = 'a' FOR UPDATE",
            options.store.prefix
        )))
        .execute(&mut *holding)
        .await
        .unwrap();
        let started = Instant::now();
        let error = store.remove_job("a").await.unwrap_err();
        let took = started.elapsed();
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(source.contains("statement timeout"), "{source}");
        assert!(took < Duration::from_secs(5), "{took:?}");
        holding.rollback().await.unwrap();
        raw.close().await;
        store.drop_tables().await.unwrap();
    }
}

#[tokio::test]
async fn a_nul_in_a_programs_output_is_kept_as_a_replacement_character() {
    use tempora::history::{RunQuery, RunRecord, RunStatus};

    let options = SqlOptions::new().prefix(unique_prefix("t"));
    let store = connect(&options).await;
    let started = at(T0);
    let mut run = RunRecord::running("binary", started, "node-a", started, started).finish(
        RunStatus::Error,
        started,
        None,
        Some("bad\0byte".into()),
    );
    run.output = Some("before\0after\n".into());
    store.run_history().record_run(&run).await.unwrap();
    let runs = store
        .run_history()
        .list_runs(&RunQuery::new())
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].output.as_deref(), Some("before\u{FFFD}after\n"));
    assert_eq!(runs[0].error.as_deref(), Some("bad\u{FFFD}byte"));
    store.drop_tables().await.unwrap();
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_wakes_a_scheduler_that_would_not_look_for_an_hour() {
    use tempora::clock::{Clock, SystemClock};
    use tempora::event::EventMask;
    use tempora::job::{JobBuilder, JobDefaults};
    use tempora::scheduler::SchedulerBuilder;
    use tempora::task::{JobContext, Tasks};
    use tempora::trigger::DateTrigger;

    let options = SqlOptions::new().prefix(unique_prefix("w"));
    let store = connect(&options).await;
    let elsewhere = connect(&options).await;
    let tasks = Tasks::new();
    tasks.register("ok", |_: JobContext, _: ()| Ok::<_, String>(()));
    // Nothing makes it look before an hour but a notice: polls, re-checks
    // and heartbeats are all that far apart.
    let hour = SignedDuration::from_secs(3600);
    let scheduler = SchedulerBuilder::new()
        .timezone("UTC")
        .tasks(tasks)
        .lease(hour)
        .store_poll_interval(hour)
        .store_recheck_interval(hour)
        .store("default", store.clone())
        .asynchronous()
        .unwrap();
    let mut executed = scheduler.listeners().subscribe(EventMask::JOB_EXECUTED);
    scheduler.start().await.unwrap();
    // A first job of its own: once it ran, the loop has been listening and
    // goes to sleep for the hour.
    let now = SystemClock.now();
    scheduler
        .add_job(JobBuilder::new("ok", DateTrigger::new(now)).id("own"))
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(20), executed.recv())
        .await
        .expect("its own job never ran")
        .unwrap();
    assert_eq!(event.job_id.as_deref(), Some("own"));
    // Its heartbeat is the last thing a tick writes before the loop
    // sleeps: once it is there, the store is not read again for the hour.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while store
        .node_registry()
        .list_nodes(SystemClock.now())
        .await
        .unwrap()
        .0
        .is_empty()
    {
        assert!(std::time::Instant::now() < deadline, "no heartbeat");
        tokio::task::yield_now().await;
    }
    let now = SystemClock.now();
    let job = JobBuilder::new("ok", DateTrigger::new(now))
        .id("from-elsewhere")
        .build_at(&JobDefaults::default(), now)
        .unwrap();
    elsewhere.add_job(job, false).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(20), executed.recv())
        .await
        .expect("the notice never woke the scheduler")
        .unwrap();
    assert_eq!(event.job_id.as_deref(), Some("from-elsewhere"));
    scheduler.shutdown(true).await.unwrap();
    store.drop_tables().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_run_once_on_two_schedulers() {
    let store = connect(&SqlOptions::new().prefix(unique_prefix("r"))).await;
    tempora_testkit::cluster::retries_run_once_on_two_nodes(store.clone()).await;
    store.drop_tables().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn notices_are_sent_once_by_three_schedulers() {
    let store = connect(&SqlOptions::new().prefix(unique_prefix("n"))).await;
    tempora_testkit::notify::notices_are_sent_once_by_three_nodes(store.clone()).await;
    store.drop_tables().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_pending_when_its_node_stops_is_run_by_another() {
    let store = connect(&SqlOptions::new().prefix(unique_prefix("r"))).await;
    tempora_testkit::cluster::a_pending_retry_outlives_its_node(store.clone()).await;
    store.drop_tables().await.unwrap();
}

#[tokio::test]
async fn version_1_tables_gain_the_attempt_in_the_run_key() {
    let options = SqlOptions::new().prefix(unique_prefix("v"));
    let prefix = options.store.prefix.clone();
    // The schema version and run history as version 1 left them.
    let raw = sqlx::PgPool::connect(&url()).await.unwrap();
    for statement in [
        format!(
            "CREATE TABLE {prefix}schema (id BIGINT NOT NULL PRIMARY KEY, version BIGINT NOT NULL)"
        ),
        format!("INSERT INTO {prefix}schema (id, version) VALUES (1, 1)"),
        format!(
            "CREATE TABLE {prefix}runs (job_id TEXT COLLATE \"C\" NOT NULL,
             scheduled_time BIGINT NOT NULL, node TEXT COLLATE \"C\" NOT NULL,
             fire_times BIGINT NOT NULL, status TEXT NOT NULL, started BIGINT,
             finished BIGINT, duration BIGINT, error TEXT, alive_until BIGINT,
             exit_status BIGINT, output TEXT, first_scheduled_time BIGINT,
             PRIMARY KEY (job_id, scheduled_time, node))"
        ),
        format!("INSERT INTO {prefix}runs ({PREVIOUS_RUN_COLUMNS}) VALUES {PREVIOUS_RUN_INSERT}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&raw)
            .await
            .unwrap();
    }
    let store = connect(&options).await;
    assert_eq!(schema_version(&prefix).await, Some(2));
    // The earlier record reads as attempt 1; a retry of its fire time is
    // kept beside it (the key gained the attempt).
    history_survives_the_upgrade(&store).await;
    let attempts: Vec<u32> = store
        .run_history()
        .list_runs(&tempora::history::RunQuery::new())
        .await
        .unwrap()
        .iter()
        .map(|run| run.attempt)
        .collect();
    assert_eq!(attempts, [2, 1, 1]);
    store.drop_tables().await.unwrap();
    raw.close().await;
}
