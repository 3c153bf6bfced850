//! The store conformance suite (tempora-testkit) on the MongoDB server on
//! 127.0.0.1:27017 (`TEMPORA_MONGODB_URL` to change it): SecantusDB, which
//! `scripts/start-secantusdb.sh` in this crate installs and starts, or a
//! real MongoDB. Each case has collections of its own; leases are on the
//! server's clock (the default). A server that cannot be reached fails
//! every case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mongodb::bson::{Document, doc};
use tempora_mongodb::{LeaseClock, MongoStore};
use tempora_testkit::{StoreUnderTest, unique_prefix};

fn url() -> String {
    std::env::var("TEMPORA_MONGODB_URL")
        .unwrap_or_else(|_| "mongodb://127.0.0.1:27017/tempora_test".to_owned())
}

async fn open(prefix: String, clock: LeaseClock) -> MongoStore {
    MongoStore::builder(url())
        .prefix(prefix)
        .lease_clock(clock)
        .connect()
        .await
        .unwrap_or_else(|error| {
            panic!(
                "a MongoDB server at {} must be running for these tests \
                 (crates/tempora-mongodb/scripts/start-secantusdb.sh starts one): {error:?}",
                url()
            )
        })
}

async fn collection(store: &MongoStore, name: &str) -> mongodb::Collection<Document> {
    mongodb::Client::with_uri_str(url())
        .await
        .unwrap()
        .database(store.database())
        .collection(name)
}

async fn under_test(clock: LeaseClock) -> StoreUnderTest {
    let prefix = unique_prefix("suite");
    let store = open(prefix.clone(), clock).await;
    let neighbour_prefix = format!("{prefix}beside_");
    let mut collections = Vec::new();
    for prefix in [&prefix, &neighbour_prefix] {
        for name in ["jobs", "runs", "nodes"] {
            collections.push(collection(&store, &format!("{prefix}{name}")).await);
        }
    }
    let reopen_prefix = prefix.clone();
    let corrupt_jobs = collections[0].clone();
    StoreUnderTest::new(store)
        .measures_on(clock)
        .reopen(move || open(reopen_prefix.clone(), clock))
        .neighbour(move || open(neighbour_prefix.clone(), clock))
        .corrupt(move |id, json| {
            let jobs = corrupt_jobs.clone();
            async move {
                jobs.update_one(doc! {"_id": id}, doc! {"$set": {"job": json}})
                    .await
                    .unwrap();
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
