//! The store conformance suite (tempora-testkit) on the Redis server on
//! 127.0.0.1:6379 (`TEMPORA_REDIS_URL` to change it), each case on a key
//! prefix of its own, leases on the server's clock (the default). A server
//! that cannot be reached fails every case. Then two schedulers sharing
//! one store (`tempora_testkit::cluster`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{delete_keys, open, raw};
use tempora_redis::LeaseClock;
use tempora_testkit::{StoreUnderTest, unique_prefix};

async fn under_test(clock: LeaseClock) -> StoreUnderTest {
    let prefix = format!("tempora-test:{}:", unique_prefix("suite"));
    let store = open(&prefix, clock).await;
    // Under the store's prefix, so that the cleanup removes its keys too.
    let neighbour_prefix = format!("{prefix}beside:");
    let corrupt_prefix = prefix.clone();
    let read_prefix = prefix.clone();
    StoreUnderTest::new(store)
        .measures_on(clock)
        .open_with(
            move |prefix| async move { open(&prefix, clock).await },
            &prefix,
            &neighbour_prefix,
        )
        .corrupt(move |id, json| {
            let jobs = format!("{corrupt_prefix}jobs");
            async move {
                redis::cmd("HSET")
                    .arg(jobs)
                    .arg(id)
                    .arg(json)
                    .query_async::<()>(&mut raw().await)
                    .await
                    .unwrap();
            }
        })
        .stored_form(move |id| {
            let jobs = format!("{read_prefix}jobs");
            async move {
                redis::cmd("HGET")
                    .arg(jobs)
                    .arg(id)
                    .query_async::<Option<String>>(&mut raw().await)
                    .await
                    .unwrap()
            }
        })
        .cleanup(move || async move {
            delete_keys(&prefix).await;
        })
}

/// Leases on the Redis server's clock, the default.
async fn database_clock() -> StoreUnderTest {
    under_test(LeaseClock::Database).await
}

/// Leases on the caller's clock.
async fn caller_clock() -> StoreUnderTest {
    under_test(LeaseClock::Caller).await
}

tempora_testkit::store_conformance_tests!(database_clock);

/// The whole suite again with leases on the caller's `now`.
mod caller {
    use super::caller_clock;

    tempora_testkit::store_conformance_tests!(caller_clock);
}

/// Two schedulers on one Redis store (leases on the caller's clock, the
/// schedulers' manual one): a job's buffered fire times and a backfill,
/// asked of both, run once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn buffered_and_backfilled_fire_times_run_once_across_two_schedulers() {
    let prefix = format!("tempora-test:{}:", unique_prefix("overlap"));
    let a = open(&prefix, LeaseClock::Caller).await;
    let b = open(&prefix, LeaseClock::Caller).await;
    tempora_testkit::cluster::buffered_and_backfilled_fire_times_run_once(
        std::sync::Arc::new(a),
        std::sync::Arc::new(b),
    )
    .await;
    delete_keys(&prefix).await;
}

/// Two schedulers on one Redis store claim two runs of one job at the same
/// instant: the job's limit holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_claims_at_one_instant_keep_the_limit() {
    let prefix = format!("tempora-test:{}:", unique_prefix("contention"));
    let a = open(&prefix, LeaseClock::Caller).await;
    let b = open(&prefix, LeaseClock::Caller).await;
    tempora_testkit::cluster::two_claims_at_one_instant_keep_the_limit(
        std::sync::Arc::new(a),
        std::sync::Arc::new(b),
    )
    .await;
    delete_keys(&prefix).await;
}
