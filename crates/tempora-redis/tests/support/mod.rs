//! What the Redis store's test files share: the server's URL, a store on
//! it under a key prefix, and a plain connection to look at the keys.

#![allow(dead_code)]

use tempora_redis::{LeaseClock, RedisStore};

/// The test server: 127.0.0.1:6379 unless `TEMPORA_REDIS_URL` says
/// otherwise.
pub fn url() -> String {
    std::env::var("TEMPORA_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned())
}

/// A store on the test server under `prefix`, leases on `clock`.
pub async fn open(prefix: &str, clock: LeaseClock) -> RedisStore {
    let connecting = RedisStore::builder(url()).prefix(prefix).lease_clock(clock);
    tempora_testkit::connected(
        connecting.connect().await,
        "the Redis server (scripts/services starts it)",
    )
}

/// A plain connection to the test server.
pub async fn raw() -> redis::aio::MultiplexedConnection {
    redis::Client::open(url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Deletes every key under `prefix`: a test's own keys, once it is done.
pub async fn delete_keys(prefix: &str) {
    let mut connection = raw().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection)
        .await
        .unwrap();
    if !keys.is_empty() {
        redis::cmd("DEL")
            .arg(keys)
            .query_async::<()>(&mut connection)
            .await
            .unwrap();
    }
}
