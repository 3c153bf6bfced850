//! What the PostgreSQL and MySQL stores' tests share (on top of
//! `raw/mod.rs`, which SQLite's share too): the server's URL, a
//! store on tables of its own, the conformance suite on it (on the
//! server's clock, and the lease case again on the caller's), and the
//! claim of a thousand due jobs at once. One macro call in each file
//! expands it for that server.

/// Expands, in the calling test file, to `url()`, `connect(&SqlOptions)`,
/// `schema_version(prefix)`, `tables_as_the_docs_say()`, the conformance suite and the tests every
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
        columns_of_table: $columns:literal,
        next_run_time_and_task_of_a: $next_and_task:literal,
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
            let opener = options.clone();
            let dropper = store.clone();
            let under_test = StoreUnderTest::new(store).measures_on(clock).open_with(
                move |prefix| {
                    let options = opener.clone().prefix(prefix);
                    async move { connect(&options).await }
                },
                &options.store.prefix,
                &beside.store.prefix,
            );
            with_raw_job_form!(
                under_test,
                $pool,
                url(),
                update: format!($update, jobs),
                select: format!($select, jobs),
            )
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
            raw_execute!($pool, url(), [
                format!($previous_runs, runs = runs),
                format!("INSERT INTO {runs} ({PREVIOUS_RUN_COLUMNS}) VALUES {PREVIOUS_RUN_INSERT}"),
            ]);
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

        /// A store on tables of its own holding job `a`, checked to be what
        /// the docs say (the jobs table's columns, the next run time in
        /// microseconds beside the job's JSON, the run history's 14
        /// columns), with a raw pool and the names of its jobs and runs
        /// tables, for the checks of the server's own.
        async fn tables_as_the_docs_say() -> ($store, $pool, String, String) {
            let options = SqlOptions::new().prefix(unique_prefix("t"));
            let store = connect(&options).await;
            let (jobs, runs) = store.tables();
            let (jobs, runs) = (jobs.to_owned(), runs.to_owned());
            store.add_job(job("a", T0), false).await.unwrap();
            // Connecting again leaves the tables and their rows as they are.
            let again = connect(&options).await;
            assert_eq!(ids(&again.list_jobs().await.unwrap()), ["a"]);
            let raw = <$pool>::connect(&url()).await.unwrap();
            let columns_of = |table: &str| {
                sqlx::query_scalar::<_, String>($columns)
                    .bind(table.to_owned())
                    .fetch_all(&raw)
            };
            assert_eq!(
                columns_of(&jobs).await.unwrap(),
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
            let (next, task): (i64, String) =
                sqlx::query_as(sqlx::AssertSqlSafe(format!($next_and_task, jobs = jobs)))
                    .fetch_one(&raw)
                    .await
                    .unwrap();
            assert_eq!(next, at(T0).as_microsecond());
            assert_eq!(task, "tick");
            assert_eq!(columns_of(&runs).await.unwrap().len(), 14);
            (store, raw, jobs, runs)
        }

        /// The schema version of the tables of `prefix`.
        async fn schema_version(prefix: &str) -> Option<i64> {
            raw_schema_version!($pool, url(), prefix)
        }
    };
}

/// How one server store words its refusals of URLs and logins.
pub struct Refusals {
    /// Its URL scheme, such as `postgres`.
    pub scheme: &'static str,
    /// Another backend's URL, and the whole message refusing it.
    pub foreign_url: (&'static str, &'static str),
    /// A user the test server does not know.
    pub unknown_user: &'static str,
    /// The test server's port.
    pub port: u16,
}

/// A server store refuses another backend's URL and a URL that does not
/// parse by field `url`, and a login the server refuses as a store error;
/// each names the URL, and none shows the password. `connect` connects to
/// a URL with the default options.
pub async fn bad_urls_and_refused_logins_name_the_url_without_the_password<S, F, Fut>(
    connect: F,
    refusals: Refusals,
) where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = tempora::Result<S>>,
{
    let refused = |url: String| {
        let connecting = connect(url.clone());
        async move {
            match connecting.await {
                Ok(_) => panic!("{url} must be refused"),
                Err(error) => error,
            }
        }
    };
    let Refusals {
        scheme,
        foreign_url: (foreign, says),
        unknown_user,
        port,
    } = refusals;
    let error = refused(foreign.to_owned()).await;
    assert_eq!(error.field(), Some("url"));
    assert_eq!(error.to_string(), says);
    let error = tempora_testkit::urls::refused_without_password(
        connect(format!("{scheme}://me:secret@127.0.0.1:notaport/test")).await,
        "me:***@",
        "secret",
    );
    assert_eq!(error.field(), Some("url"), "{error}");

    let error = refused(format!(
        "{scheme}://{unknown_user}:secret@127.0.0.1:{port}/test"
    ))
    .await;
    assert!(error.is_store(), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "store \"default\": cannot connect to the database \
             ({scheme}://{unknown_user}:***@127.0.0.1:{port}/test)"
        )
    );
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains(unknown_user), "{source}");
    assert!(!source.contains("secret"), "{source}");
}
