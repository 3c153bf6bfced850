//! SQL behind the stores' backs, which every SQL store's tests write alike:
//! statements run on a connection pool of their own (`$pool`, such as
//! `sqlx::PgPool`, at `$url`), to write what an earlier release or an
//! operator wrote, and to read what the store wrote.

/// Runs `statements` (each a `String` or `&str`), in order, on a pool of
/// their own.
macro_rules! raw_execute {
    ($pool:ty, $url:expr, [$($statement:expr),* $(,)?]) => {{
        let raw = <$pool>::connect(&$url).await.unwrap();
        $(
            sqlx::query(sqlx::AssertSqlSafe(String::from($statement)))
                .execute(&raw)
                .await
                .unwrap();
        )*
        raw.close().await;
    }};
}

/// The schema version the tables of `$prefix` hold (an `Option<i64>`).
macro_rules! raw_schema_version {
    ($pool:ty, $url:expr, $prefix:expr) => {{
        let raw = <$pool>::connect(&$url).await.unwrap();
        let version: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(
            tempora_testkit::upgrade::schema_version_query($prefix),
        ))
        .fetch_optional(&raw)
        .await
        .unwrap();
        raw.close().await;
        version
    }};
}

/// `$under_test` (a `StoreUnderTest`) told how to write a stored job's JSON
/// (`$update`, binding the JSON, then the id; it must change one row) and
/// how to read it back as written (`$select`, binding the id).
macro_rules! with_raw_job_form {
    ($under_test:expr, $pool:ty, $url:expr, update: $update:expr, select: $select:expr $(,)?) => {{
        let url: String = $url;
        let (update, select): (String, String) = ($update, $select);
        let read_url = url.clone();
        $under_test
            .corrupt(move |id, json| {
                let (url, statement) = (url.clone(), update.clone());
                async move {
                    let raw = <$pool>::connect(&url).await.unwrap();
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
                let (url, statement) = (read_url.clone(), select.clone());
                async move {
                    let raw = <$pool>::connect(&url).await.unwrap();
                    let json: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(statement))
                        .bind(id)
                        .fetch_optional(&raw)
                        .await
                        .unwrap();
                    raw.close().await;
                    json
                }
            })
    }};
}
