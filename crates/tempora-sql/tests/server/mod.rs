//! What the PostgreSQL and MySQL stores' tests share: the server's URL, a
//! store on tables of its own, the conformance suite on it (on the
//! server's clock, and the lease case again on the caller's), and the
//! claim of a thousand due jobs at once. One macro call in each file
//! expands it for that server.

/// Expands, in the calling test file, to `url()`, `connect(&SqlOptions)`,
/// `schema_version(prefix)`, the conformance suite and the tests every
/// server store runs alike.
macro_rules! server_store_tests {
    (
        store: $store:ident,
        pool: $pool:ty,
        url_variable: $variable:literal,
        default_url: $default:literal,
        server: $server:literal,
        update_job_json: $update:literal,
        select_job_json: $select:literal,
        previous_runs_table: $previous_runs:literal,
        lock_every_table: [$($lock:literal),* $(,)?],
        unlock: $unlock:literal,
        drop_also: [$($drop:literal),* $(,)?] $(,)?
    ) => {
        fn url() -> String {
            std::env::var($variable).unwrap_or_else(|_| $default.to_owned())
        }

        async fn connect(options: &SqlOptions) -> $store {
            match $store::connect(&url(), options).await {
                Ok(store) => store,
                Err(error) => panic!(
                    "{} must run for these tests (scripts/services starts it): {error}: {:?}",
                    $server,
                    std::error::Error::source(&error)
                ),
            }
        }

        /// A store on tables of its own, leases on `clock`; its neighbour
        /// has tables of its own beside them.
        async fn under_test_on(clock: LeaseClock) -> StoreUnderTest {
            let options = SqlOptions::new()
                .prefix(unique_prefix("t"))
                .lease_clock(clock);
            let beside = options
                .clone()
                .prefix(format!("{}b_", options.store.prefix));
            let store = connect(&options).await;
            let jobs = store.tables().0.to_owned();
            let read = format!($select, jobs);
            let opener = options.clone();
            let dropper = store.clone();
            StoreUnderTest::new(store)
                .measures_on(clock)
                .open_with(
                    move |prefix| {
                        let options = opener.clone().prefix(prefix);
                        async move { connect(&options).await }
                    },
                    &options.store.prefix,
                    &beside.store.prefix,
                )
                .corrupt(move |id, json| {
                    let statement = format!($update, jobs);
                    async move {
                        let raw = <$pool>::connect(&url()).await.unwrap();
                        let done = sqlx::query(sqlx::AssertSqlSafe(statement))
                            .bind(json)
                            .bind(id)
                            .execute(&raw)
                            .await
                            .unwrap();
                        assert_eq!(done.rows_affected(), 1);
                        raw.close().await;
                    }
                })
                .stored_form(move |id| {
                    let statement = read.clone();
                    async move {
                        let raw = <$pool>::connect(&url()).await.unwrap();
                        let json = sqlx::query_scalar(sqlx::AssertSqlSafe(statement))
                            .bind(id)
                            .fetch_optional(&raw)
                            .await
                            .unwrap();
                        raw.close().await;
                        json
                    }
                })
                .cleanup(move || async move {
                    dropper.drop_tables().await.unwrap();
                    dropper.close().await;
                    let beside = connect(&beside).await;
                    beside.drop_tables().await.unwrap();
                    beside.close().await;
                })
        }

        /// Leases on the server's clock, the default.
        async fn under_test() -> StoreUnderTest {
            under_test_on(LeaseClock::Database).await
        }

        tempora_testkit::store_conformance_tests!(under_test);

        #[tokio::test]
        async fn leases_are_measured_on_the_callers_clock_when_told() {
            tempora_testkit::suite::leases_are_measured_on_the_stores_clock(
                under_test_on(LeaseClock::Caller).await,
            )
            .await;
        }

        /// Two schedulers on the store: a job's buffered fire times and a
        /// backfill, asked of both, run once each.
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn buffered_and_backfilled_fire_times_run_once_across_two_schedulers() {
            let options = SqlOptions::new()
                .prefix(unique_prefix("o"))
                .lease_clock(LeaseClock::Caller);
            let a = connect(&options).await;
            let b = connect(&options).await;
            tempora_testkit::cluster::buffered_and_backfilled_fire_times_run_once(
                std::sync::Arc::new(a.clone()),
                std::sync::Arc::new(b),
            )
            .await;
            a.drop_tables().await.unwrap();
        }

        /// Two schedulers on the store claim two runs of one job at the
        /// same instant: the job's limit holds.
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn two_claims_at_one_instant_keep_the_limit() {
            let options = SqlOptions::new()
                .prefix(unique_prefix("c"))
                .lease_clock(LeaseClock::Caller);
            let a = connect(&options).await;
            let b = connect(&options).await;
            tempora_testkit::cluster::two_claims_at_one_instant_keep_the_limit(
                std::sync::Arc::new(a.clone()),
                std::sync::Arc::new(b),
            )
            .await;
            a.drop_tables().await.unwrap();
        }

        #[tokio::test]
        async fn a_thousand_due_jobs_are_claimed_at_once() {
            let options = SqlOptions::new()
                .prefix(unique_prefix("t"))
                .lease_clock(LeaseClock::Caller);
            let store = connect(&options).await;
            for index in 0..1000 {
                store
                    .add_job(job(&format!("job-{index:04}"), T0), false)
                    .await
                    .unwrap();
            }
            let lease = SignedDuration::from_secs(60);
            for round in 0..3 {
                let now = at(T0)
                    .checked_add(SignedDuration::from_secs(120 * round))
                    .unwrap();
                let claimed = store.acquire_due(now, 1000, "n", lease).await.unwrap();
                assert_eq!(claimed.len(), 1000);
            }
            store.drop_tables().await.unwrap();
        }

        #[tokio::test]
        async fn the_previous_runs_table_gains_exit_status_and_output() {
            let options = SqlOptions::new().prefix(unique_prefix("t"));
            let runs = format!("{}runs", options.store.prefix);
            // The run history as the previous release created it, with a row.
            let raw = <$pool>::connect(&url()).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!($previous_runs, runs = runs)))
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
            // Another session holds locks on every table that every write
            // and every DDL statement waits for: connecting to current
            // tables, and reading them, waits for nothing.
            let raw = <$pool>::connect(&url()).await.unwrap();
            let mut locking = raw.acquire().await.unwrap();
            for statement in [$($lock),*] {
                sqlx::query(sqlx::AssertSqlSafe(statement.replace("{prefix}", &prefix)))
                    .execute(&mut *locking)
                    .await
                    .unwrap();
            }
            let started = std::time::Instant::now();
            let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                let store = connect(&options).await;
                let jobs = store.list_jobs().await.unwrap();
                let runs = store
                    .history().expect("the store keeps run history")
                    .list_runs(&tempora::history::RunQuery::new())
                    .await
                    .unwrap();
                store.close().await;
                (ids(&jobs).join(","), runs.len())
            })
            .await
            .expect("connecting waited for a lock");
            assert_eq!(read, ("a".to_owned(), 0));
            println!("connected and read under locks in {:?}", started.elapsed());
            sqlx::query($unlock).execute(&mut *locking).await.unwrap();
            drop(locking);
            // A newer release's tables are refused, naming the store, its
            // database and both versions.
            sqlx::query(sqlx::AssertSqlSafe(newer_schema_statement(&prefix)))
                .execute(&raw)
                .await
                .unwrap();
            let error = $store::connect(&url(), &options).await.unwrap_err();
            newer_schema_is_refused(&error, tempora_sql::SCHEMA_VERSION);
            let shown = tempora::store::url::redact(&url());
            assert!(error.to_string().contains(&shown), "{error}");
            println!("{error}");
            for table in ["jobs", "runs", "nodes", "schema"] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {prefix}{table}")))
                    .execute(&raw)
                    .await
                    .unwrap();
            }
            let drop_also: &[&str] = &[$($drop),*];
            for statement in drop_also {
                sqlx::query(sqlx::AssertSqlSafe(statement.replace("{prefix}", &prefix)))
                    .execute(&raw)
                    .await
                    .unwrap();
            }
            raw.close().await;
        }

        /// The schema version of the tables of `prefix`.
        async fn schema_version(prefix: &str) -> Option<i64> {
            let raw = <$pool>::connect(&url()).await.unwrap();
            let version = sqlx::query_scalar(sqlx::AssertSqlSafe(schema_version_query(prefix)))
                .fetch_optional(&raw)
                .await
                .unwrap();
            raw.close().await;
            version
        }
    };
}
