//! What the MongoDB store's test files share: the server's URL, a store on
//! it under a collection prefix, and its collections to look at.

#![allow(dead_code)]

use mongodb::bson::Document;
use tempora_mongodb::{LeaseClock, MongoStore};

/// The test server: 127.0.0.1:27017 unless `TEMPORA_MONGODB_URL` says
/// otherwise.
pub fn url() -> String {
    std::env::var("TEMPORA_MONGODB_URL")
        .unwrap_or_else(|_| "mongodb://127.0.0.1:27017/tempora_test".to_owned())
}

/// A store on the test server under `prefix`, leases on `clock`.
pub async fn open(prefix: &str, clock: LeaseClock) -> MongoStore {
    let builder = MongoStore::builder(url()).prefix(prefix).lease_clock(clock);
    tempora_testkit::connected(
        builder.connect().await,
        "a MongoDB server (crates/tempora-mongodb/scripts/start-secantusdb.sh starts one)",
    )
}

/// The collection `{prefix}{name}` of `store`'s database.
pub async fn raw_named(
    store: &MongoStore,
    prefix: &str,
    name: &str,
) -> mongodb::Collection<Document> {
    mongodb::Client::with_uri_str(url())
        .await
        .unwrap()
        .database(store.database())
        .collection(&format!("{prefix}{name}"))
}
