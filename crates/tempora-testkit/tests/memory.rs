//! The conformance suite against the memory store. It cannot be reopened
//! (nothing outlives the instance) and holds no stored form to corrupt or
//! read, so those cases are skipped with that reason.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tempora::store::MemoryStore;
use tempora_testkit::StoreUnderTest;

async fn memory() -> StoreUnderTest {
    StoreUnderTest::new(MemoryStore::with_history())
        .neighbour(|| async { MemoryStore::with_history() })
        .no_reopen("the memory store keeps its jobs in the instance: nothing survives a restart")
        .no_corrupt(
            "the memory store holds jobs as values, not a stored form that could be unreadable",
        )
        .no_stored_form("the memory store holds jobs as values, not a stored form to read")
}

tempora_testkit::store_conformance_tests!(memory);

/// Two schedulers on one memory store, each claiming one of two runs of a
/// job at the same instant: the job's limit holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_claims_at_one_instant_keep_the_limit() {
    let store = std::sync::Arc::new(MemoryStore::with_history());
    tempora_testkit::cluster::two_claims_at_one_instant_keep_the_limit(store.clone(), store).await;
}
