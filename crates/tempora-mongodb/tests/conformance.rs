//! The store conformance suite (tempora-testkit) on the MongoDB server on
//! 127.0.0.1:27017 (`TEMPORA_MONGODB_URL` to change it): SecantusDB, which
//! `scripts/start-secantusdb.sh` in this crate installs and starts, or a
//! real MongoDB. Each case has collections of its own; leases are on the
//! server's clock (the default). A server that cannot be reached fails
//! every case. Then two schedulers sharing one store
//! (`tempora_testkit::cluster`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use mongodb::bson::doc;
use support::{open, raw_named};
use tempora_mongodb::LeaseClock;
use tempora_testkit::{StoreUnderTest, unique_prefix};

async fn under_test(clock: LeaseClock) -> StoreUnderTest {
    let prefix = unique_prefix("suite");
    let store = open(&prefix, clock).await;
    let neighbour_prefix = format!("{prefix}beside_");
    let mut collections = Vec::new();
    for prefix in [&prefix, &neighbour_prefix] {
        for name in ["jobs", "runs", "nodes"] {
            collections.push(raw_named(&store, prefix, name).await);
        }
    }
    let corrupt_jobs = collections[0].clone();
    let read_jobs = collections[0].clone();
    StoreUnderTest::new(store)
        .measures_on(clock)
        .open_with(
            move |prefix| async move { open(&prefix, clock).await },
            &prefix,
            &neighbour_prefix,
        )
        .corrupt(move |id, json| {
            let jobs = corrupt_jobs.clone();
            async move {
                jobs.update_one(doc! {"_id": id}, doc! {"$set": {"job": json}})
                    .await
                    .unwrap();
            }
        })
        .stored_form(move |id| {
            let jobs = read_jobs.clone();
            async move {
                let document = jobs.find_one(doc! {"_id": id}).await.unwrap()?;
                Some(document.get_str("job").unwrap().to_owned())
            }
        })
        .cleanup(move || async move {
            for collection in collections {
                collection.drop().await.unwrap();
            }
        })
}

/// Leases on the server's clock, the default.
async fn database_clock() -> StoreUnderTest {
    under_test(LeaseClock::Database).await
}

tempora_testkit::store_conformance_tests!(database_clock);

/// A job that cannot be read, again with leases on the caller's clock:
/// the next run time is then exactly the good job's lease expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_that_cannot_be_read_is_reported_on_the_callers_clock() {
    tempora_testkit::suite::a_job_that_cannot_be_read_is_kept_as_written_and_reported(
        under_test(LeaseClock::Caller).await,
    )
    .await;
}

/// Two schedulers on one MongoDB store (leases on the caller's clock, the
/// schedulers' manual one): a job's buffered fire times and a backfill,
/// asked of both, run once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn buffered_and_backfilled_fire_times_run_once_across_two_schedulers() {
    let prefix = unique_prefix("overlap");
    let a = open(&prefix, LeaseClock::Caller).await;
    let b = open(&prefix, LeaseClock::Caller).await;
    let mut collections = Vec::new();
    for name in ["jobs", "runs", "nodes"] {
        collections.push(raw_named(&a, &prefix, name).await);
    }
    tempora_testkit::cluster::buffered_and_backfilled_fire_times_run_once(
        std::sync::Arc::new(a),
        std::sync::Arc::new(b),
    )
    .await;
    for collection in collections {
        collection.drop().await.unwrap();
    }
}
