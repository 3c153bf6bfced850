//! The MySQL store against the MariaDB server on loopback
//! (`mysql://root@127.0.0.1:3306/test`, or `TEMPORA_TEST_MYSQL_URL`): the
//! conformance suite and the tests every server store shares
//! (`server/mod.rs`), each on tables of its own (a random prefix), then
//! what is MySQL's own: URLs and logins refused by name, ids longer than
//! the key column, its tables, upgrades and locks. A server that cannot be
//! reached fails the tests: `scripts/services` starts it.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "mysql")]

use std::time::{Duration, Instant};

use tempora::jiff::SignedDuration;
use tempora::store::JobStore;
use tempora_sql::{LeaseClock, MySqlStore, SqlOptions};
use tempora_testkit::jobs::{T0, at, ids, job};
use tempora_testkit::upgrade::{
    PREVIOUS_RUN_COLUMNS, PREVIOUS_RUN_INSERT, history_survives_the_upgrade,
    newer_schema_is_refused, newer_schema_statement, schema_version_query,
};
use tempora_testkit::{StoreUnderTest, unique_prefix};

#[macro_use]
mod server;

server_store_tests! {
    store: MySqlStore,
    pool: sqlx::MySqlPool,
    url_variable: "TEMPORA_TEST_MYSQL_URL",
    default_url: "mysql://root@127.0.0.1:3306/test",
    server: "MariaDB (or MySQL)",
    update_job_json: "UPDATE {} SET job = ? WHERE id = ?",
}

#[tokio::test]
async fn bad_urls_and_refused_logins_name_the_url_without_the_password() {
    let error = MySqlStore::connect("postgres://me:secret@127.0.0.1/test", &SqlOptions::new())
        .await
        .unwrap_err();
    assert_eq!(error.field(), Some("url"));
    assert_eq!(
        error.to_string(),
        "url: \"postgres://me:***@127.0.0.1/test\" is not a mysql:// or mariadb:// URL"
    );
    let error = MySqlStore::connect(
        "mysql://me:secret@127.0.0.1:notaport/test",
        &SqlOptions::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(error.field(), Some("url"), "{error}");
    assert!(error.to_string().contains("me:***@"), "{error}");
    assert!(!error.to_string().contains("secret"), "{error}");

    let refused = "mysql://no_such_user_tempora:secret@127.0.0.1:3306/test";
    let error = MySqlStore::connect(refused, &SqlOptions::new())
        .await
        .unwrap_err();
    assert!(error.is_store(), "{error}");
    assert_eq!(
        error.to_string(),
        "store \"default\": cannot connect to the database (mysql://no_such_user_tempora:***@127.0.0.1:3306/test)"
    );
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains("no_such_user_tempora"), "{source}");
    assert!(!source.contains("secret"), "{source}");

    // mariadb:// is the same as mysql://.
    let url = url().replacen("mysql://", "mariadb://", 1);
    let store = MySqlStore::connect(&url, &SqlOptions::new().prefix(unique_prefix("t")))
        .await
        .unwrap();
    assert_eq!(store.backend(), "mysql");
    store.drop_tables().await.unwrap();
}

#[tokio::test]
async fn ids_longer_than_the_key_column_are_refused_by_name() {
    let options = SqlOptions::new().prefix(unique_prefix("t"));
    let store = connect(&options).await;
    let long = "é".repeat(255);
    store.add_job(job(&long, T0), false).await.unwrap();
    assert_eq!(store.get_job(&long).await.unwrap().unwrap().id(), long);
    let error = store
        .add_job(job(&format!("{long}x"), T0), false)
        .await
        .unwrap_err();
    assert_eq!(error.field(), Some("id"), "{error}");
    assert!(
        error.to_string().contains("longer than 255 characters"),
        "{error}"
    );
    store.drop_tables().await.unwrap();
}

#[tokio::test]
async fn the_tables_are_what_the_docs_say() {
    let options = SqlOptions::new().prefix(unique_prefix("t"));
    let store = connect(&options).await;
    let (jobs, runs) = store.tables();
    let (jobs, runs) = (jobs.to_owned(), runs.to_owned());
    store.add_job(job("a", T0), false).await.unwrap();
    // Connecting again leaves the tables and their rows as they are.
    let again = connect(&options).await;
    assert_eq!(ids(&again.list_jobs().await.unwrap()), ["a"]);
    let raw = sqlx::MySqlPool::connect(&url()).await.unwrap();
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(column_name AS CHAR) FROM information_schema.columns
         WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
    )
    .bind(&jobs)
    .fetch_all(&raw)
    .await
    .unwrap();
    assert_eq!(
        columns,
        [
            "id",
            "next_run_time",
            "job",
            "owner",
            "lease_expires",
            "unrestorable",
            "previous_fire_time"
        ]
    );
    let (next, task): (i64, String) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT next_run_time, JSON_UNQUOTE(JSON_EXTRACT(job, '$.task')) FROM {jobs} WHERE id = 'a'"
    )))
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(next, at(T0).as_microsecond());
    assert_eq!(task, "tick");
    let columns: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.columns
             WHERE table_schema = DATABASE() AND table_name = ?",
    )
    .bind(&runs)
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(columns, 13);
    store.drop_tables().await.unwrap();
}

#[tokio::test]
async fn the_previous_runs_table_gains_exit_status_and_output() {
    let options = SqlOptions::new().prefix(unique_prefix("t"));
    let runs = format!("{}runs", options.store.prefix);
    // The run history as the previous release created it, with a row.
    let raw = sqlx::MySqlPool::connect(&url()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {runs} (job_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
         scheduled_time BIGINT NOT NULL,
         node VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
         fire_times BIGINT NOT NULL, status VARCHAR(16) CHARACTER SET ascii NOT NULL,
         started BIGINT NULL, finished BIGINT NULL, duration BIGINT NULL,
         error MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, alive_until BIGINT NULL,
         PRIMARY KEY (job_id, scheduled_time, node)
         ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin"
    )))
    .execute(&raw)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {runs} ({PREVIOUS_RUN_COLUMNS}) VALUES {PREVIOUS_RUN_INSERT}"
    )))
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;
    let store = connect(&options).await;
    history_survives_the_upgrade(&store).await;
    assert_eq!(
        schema_version(&options.store.prefix).await,
        Some(tempora_sql::SCHEMA_VERSION)
    );
    // Upgraded tables are left as they are.
    connect(&options).await.drop_tables().await.unwrap();
}

#[tokio::test]
async fn current_tables_are_opened_without_ddl_or_writes_and_newer_ones_refused() {
    let options = SqlOptions::new().prefix(unique_prefix("t"));
    let prefix = options.store.prefix.clone();
    let store = connect(&options).await;
    store.add_job(job("a", T0), false).await.unwrap();
    store.close().await;
    assert_eq!(
        schema_version(&prefix).await,
        Some(tempora_sql::SCHEMA_VERSION)
    );
    // Another session holds READ locks on every table, which every write
    // and every DDL statement waits for: connecting to current tables,
    // and reading them, waits for nothing.
    let raw = sqlx::MySqlPool::connect(&url()).await.unwrap();
    let mut locking = raw.acquire().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "LOCK TABLES {prefix}jobs READ, {prefix}runs READ, {prefix}nodes READ, {prefix}schema READ"
    )))
    .execute(&mut *locking)
    .await
    .unwrap();
    let started = Instant::now();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let store = connect(&options).await;
        let jobs = store.list_jobs().await.unwrap();
        let runs = store
            .list_runs(&tempora::history::RunQuery::new())
            .await
            .unwrap();
        store.close().await;
        (ids(&jobs).join(","), runs.len())
    })
    .await
    .expect("connecting waited for a lock");
    assert_eq!(read, ("a".to_owned(), 0));
    println!(
        "connected and read under READ locks in {:?}",
        started.elapsed()
    );
    sqlx::query("UNLOCK TABLES")
        .execute(&mut *locking)
        .await
        .unwrap();
    drop(locking);
    // A newer release's tables are refused, naming the store and both
    // versions.
    sqlx::query(sqlx::AssertSqlSafe(newer_schema_statement(&prefix)))
        .execute(&raw)
        .await
        .unwrap();
    let error = MySqlStore::connect(&url(), &options).await.unwrap_err();
    newer_schema_is_refused(&error, tempora_sql::SCHEMA_VERSION);
    println!("{error}");
    for table in ["jobs", "runs", "nodes", "schema"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {prefix}{table}")))
            .execute(&raw)
            .await
            .unwrap();
    }
    raw.close().await;
}
