//! The MySQL store against the MariaDB server on loopback
//! (`mysql://root@127.0.0.1:3306/test`, or `TEMPORA_TEST_MYSQL_URL`): the
//! conformance suite and the tests every server store shares
//! (`server/mod.rs`), each on tables of its own (a random prefix), then
//! what is MySQL's own: URLs and logins refused by name, ids longer than
//! the key column, its tables, upgrades and locks. A server that cannot be
//! reached fails the tests: `scripts/services` starts it.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "mysql")]

use tempora::jiff::SignedDuration;
use tempora::store::JobStore;
use tempora_sql::{LeaseClock, MySqlStore, SqlOptions};
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
    store: MySqlStore,
    pool: sqlx::MySqlPool,
    url_variable: "TEMPORA_TEST_MYSQL_URL",
    default_url: "mysql://root@127.0.0.1:3306/test",
    server: "MariaDB (or MySQL)",
    update_job_json: "UPDATE {} SET job = ? WHERE id = ?",
    select_job_json: "SELECT job FROM {} WHERE id = ?",
    columns_of_table: "SELECT CAST(column_name AS CHAR) FROM information_schema.columns
        WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
    next_run_time_and_task_of_a: "SELECT next_run_time, JSON_UNQUOTE(JSON_EXTRACT(job, '$.task'))
        FROM {jobs} WHERE id = 'a'",
    previous_runs_table: "CREATE TABLE {runs} (
        job_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        scheduled_time BIGINT NOT NULL,
        node VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        fire_times BIGINT NOT NULL, status VARCHAR(16) CHARACTER SET ascii NOT NULL,
        started BIGINT NULL, finished BIGINT NULL, duration BIGINT NULL,
        error MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, alive_until BIGINT NULL,
        PRIMARY KEY (job_id, scheduled_time, node)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
    lock_every_table: [
        "LOCK TABLES {prefix}jobs READ, {prefix}runs READ, {prefix}nodes READ, {prefix}schema READ",
    ],
    unlock: "UNLOCK TABLES",
    drop_also: [],
}

#[tokio::test]
async fn bad_urls_and_refused_logins_name_the_url_without_the_password() {
    server::bad_urls_and_refused_logins_name_the_url_without_the_password(
        |url| async move { MySqlStore::connect(&url, &SqlOptions::new()).await },
        server::Refusals {
            scheme: "mysql",
            foreign_url: (
                "postgres://me:secret@127.0.0.1/test",
                "url: \"postgres://me:***@127.0.0.1/test\" is not a mysql:// or mariadb:// URL",
            ),
            unknown_user: "no_such_user_tempora",
            port: 3306,
        },
    )
    .await;

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
    let (store, _, _, _) = tables_as_the_docs_say().await;
    store.drop_tables().await.unwrap();
}
