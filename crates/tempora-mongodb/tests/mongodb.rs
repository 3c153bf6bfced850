//! What is particular to the MongoDB store (the store contract itself is
//! proven by the conformance suite, in `conformance.rs`): its documents and
//! indexes, microsecond next run times, URLs and passwords, batched history
//! writes. Against the server on 127.0.0.1:27017 (override with
//! `TEMPORA_MONGODB_URL`): SecantusDB, which
//! `crates/tempora-mongodb/scripts/start-secantusdb.sh` installs and
//! starts, or a real MongoDB. Each test owns a random collection prefix, so
//! the tests run in parallel; a server that cannot be reached fails them,
//! never skips them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use mongodb::bson::{Bson, Document, doc};
use support::{open, url};
use tempora::history::RunRecord;
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::store::{JobStore, NodeRecord, Release, Settled, Settlement};
use tempora_mongodb::{LeaseClock, MongoStore};
use tempora_testkit::Capabilities;
use tempora_testkit::jobs::{T0, at, job_at as job, paused};
use tempora_testkit::urls::refused_without_password;

fn random_prefix() -> String {
    format!("t{}_", uuid::Uuid::new_v4().simple())
}

/// A store on a fresh prefix, leases on the caller's clock.
async fn store() -> MongoStore {
    open(&random_prefix(), LeaseClock::Caller).await
}

/// The store's jobs collection, for looking at the documents it wrote.
async fn raw(store: &MongoStore) -> mongodb::Collection<Document> {
    support::raw_named(store, store.prefix(), "jobs").await
}

/// The store's collection `{prefix}{name}`.
async fn raw_named(store: &MongoStore, name: &str) -> mongodb::Collection<Document> {
    support::raw_named(store, store.prefix(), name).await
}

/// Drops the store's collections.
async fn cleanup(store: &MongoStore) {
    for name in ["jobs", "runs", "nodes"] {
        raw_named(store, name).await.drop().await.unwrap();
    }
}

const LEASE: SignedDuration = SignedDuration::from_secs(30);

#[tokio::test]
async fn documents_hold_what_the_documentation_says() {
    let store = store().await;
    let next = at("2026-01-01T00:00:00.123456Z");
    store.add_job(job("a", next), false).await.unwrap();
    store.add_job(paused("p"), false).await.unwrap();
    store.acquire_due(next, 10, "node-1", LEASE).await.unwrap();
    let raw = raw(&store).await;
    let a = raw.find_one(doc! {"_id": "a"}).await.unwrap().unwrap();
    let value: serde_json::Value = serde_json::from_str(a.get_str("job").unwrap()).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["next_run_time"], "2026-01-01T00:00:00.123456Z");
    assert_eq!(a.get_i64("next_run_time").unwrap(), next.as_microsecond());
    assert_eq!(a.get_str("lease_owner").unwrap(), "node-1");
    assert_eq!(
        a.get_i64("lease_expires").unwrap(),
        (next + LEASE).as_microsecond()
    );
    assert_eq!(a.get("unrestorable"), Some(&Bson::Null));
    let p = raw.find_one(doc! {"_id": "p"}).await.unwrap().unwrap();
    assert_eq!(p.get("next_run_time"), Some(&Bson::Null));
    assert_eq!(p.get("lease_owner"), Some(&Bson::Null));
    let indexes = raw.list_index_names().await.unwrap();
    assert!(
        indexes.contains(&"next_run_time_1__id_1".to_owned()),
        "{indexes:?}"
    );
    // next_run_time is in microseconds rounded up, and the JSON keeps the
    // exact time: a job due 1 ns after T0 is claimed from T0 + 1 µs on.
    let due = at(T0) + SignedDuration::from_nanos(1);
    store.add_job(job("b", due), false).await.unwrap();
    let b = raw.find_one(doc! {"_id": "b"}).await.unwrap().unwrap();
    assert_eq!(
        b.get_i64("next_run_time").unwrap(),
        1 + at(T0).as_microsecond()
    );
    for (nanos, claimed) in [(999, 0), (1000, 1)] {
        let now = at(T0) + SignedDuration::from_nanos(nanos);
        let jobs = store.acquire_due(now, 10, "y", LEASE).await.unwrap();
        assert_eq!(jobs.len(), claimed, "at {now}");
        assert!(jobs.iter().all(|job| job.next_run_time() == Some(due)));
    }
    store.remove_all_jobs().await.unwrap();
    let left = raw.count_documents(doc! {}).await.unwrap();
    assert_eq!(left, 0, "remove_all_jobs leaves no document");
    cleanup(&store).await;
}

#[tokio::test]
async fn settlements_and_nodes_are_stored_as_the_documentation_says() {
    let store = store().await;
    let next = at("2026-01-01T00:00:00.123456Z");
    store.add_job(job("a", next), false).await.unwrap();
    let raw = raw(&store).await;
    let a = raw.find_one(doc! {"_id": "a"}).await.unwrap().unwrap();
    assert_eq!(a.get("previous_fire_time"), Some(&Bson::Null));
    let claimed = store.acquire_due(next, 10, "node-1", LEASE).await.unwrap();
    let won = store
        .settle(
            "node-1",
            &[Settlement::new(
                claimed[0].clone(),
                Some(next),
                Release::Reschedule(next + SignedDuration::from_mins(1)),
            )],
            next,
        )
        .await
        .unwrap();
    assert_eq!(won, [Settled::Won]);
    let a = raw.find_one(doc! {"_id": "a"}).await.unwrap().unwrap();
    // Beside the job's JSON, in microseconds, never inside it.
    assert_eq!(
        a.get_i64("previous_fire_time").unwrap(),
        next.as_microsecond()
    );
    let value: serde_json::Value = serde_json::from_str(a.get_str("job").unwrap()).unwrap();
    assert!(value.get("previous_fire_time").is_none(), "{value}");
    assert_eq!(a.get("lease_owner"), Some(&Bson::Null));

    let started = at("2026-01-01T09:00:00.123456789Z");
    let node = NodeRecord::new("tempora@web-1", "web-1", 4242, "3f2a9c", started);
    assert_eq!(store.node_registry().heartbeat(&node).await.unwrap(), None);
    let nodes = raw_named(&store, "nodes").await;
    let document = nodes
        .find_one(doc! {"_id": "tempora@web-1"})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        document,
        doc! {
            "_id": "tempora@web-1",
            "host": "web-1",
            "pid": 4242_i64,
            "instance": "3f2a9c",
            "started": 1_767_258_000_123_456_789_i64,
            // The caller's clock: the heartbeat's own time.
            "last_heartbeat": 1_767_258_000_123_456_789_i64,
            "running": 0_i64,
        }
    );
    cleanup(&store).await;
}

#[tokio::test]
async fn settle_measures_leases_on_the_callers_clock() {
    let store = store().await;
    store.add_job(job("a", at(T0)), false).await.unwrap();
    let claimed = store.acquire_due(at(T0), 10, "x", LEASE).await.unwrap();
    let late = at(T0) + LEASE;
    let run = RunRecord::running("a", at(T0), "x", late, late + LEASE);
    let settlement = Settlement::new(
        claimed[0].clone(),
        Some(at(T0)),
        Release::Reschedule(at(T0) + SignedDuration::from_mins(1)),
    )
    .record(run.clone());
    // At the end of the lease it is over: lost, nothing kept, the
    // expired lease dropped.
    assert_eq!(
        store
            .settle("x", std::slice::from_ref(&settlement), late)
            .await
            .unwrap(),
        [Settled::Lost]
    );
    let a = raw(&store)
        .await
        .find_one(doc! {"_id": "a"})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.get("lease_owner"), Some(&Bson::Null));
    assert_eq!(a.get("previous_fire_time"), Some(&Bson::Null));
    assert!(
        store
            .run_history()
            .list_runs(&tempora::history::RunQuery::new())
            .await
            .unwrap()
            .is_empty()
    );
    // Claimed again, and settled within its lease: won.
    let claimed = store.acquire_due(late, 10, "x", LEASE).await.unwrap();
    let settlement = Settlement {
        claimed: claimed[0].clone(),
        ..settlement
    };
    assert_eq!(
        store.settle("x", &[settlement], late).await.unwrap(),
        [Settled::Won]
    );
    assert_eq!(
        store
            .run_history()
            .list_runs(&tempora::history::RunQuery::new())
            .await
            .unwrap(),
        [run]
    );
    cleanup(&store).await;
}

#[tokio::test]
async fn a_job_stored_before_previous_fire_times_settles() {
    let store = store().await;
    store.add_job(job("old", at(T0)), false).await.unwrap();
    // As the previous release wrote it: no previous_fire_time field.
    raw(&store)
        .await
        .update_one(
            doc! {"_id": "old"},
            doc! {"$unset": {"previous_fire_time": ""}},
        )
        .await
        .unwrap();
    let claimed = store.acquire_due(at(T0), 10, "x", LEASE).await.unwrap();
    assert_eq!(claimed[0].previous_fire_time(), None);
    let settlement = Settlement::new(
        claimed[0].clone(),
        Some(at(T0)),
        Release::Reschedule(at(T0) + SignedDuration::from_mins(1)),
    );
    assert_eq!(
        store.settle("x", &[settlement], at(T0)).await.unwrap(),
        [Settled::Won]
    );
    let old = store.get_job("old").await.unwrap().unwrap();
    assert_eq!(old.previous_fire_time(), Some(at(T0)));
    cleanup(&store).await;
}

#[tokio::test]
async fn a_bad_url_is_refused_without_its_password() {
    let error = refused_without_password(
        MongoStore::connect("mongodb://me:hunter2@[bad host/db").await,
        "mongodb://me:***@[bad host/db",
        "hunter2",
    );
    assert!(error.is_invalid_input(), "{error}");
    assert_eq!(error.field(), Some("url"));

    let error = MongoStore::connect("http://127.0.0.1/db")
        .await
        .unwrap_err();
    assert!(error.is_invalid_input(), "{error}");
}

#[tokio::test]
async fn an_unreachable_server_or_a_refused_login_names_the_url_without_its_password() {
    // Nothing listens on port 1.
    let unreachable = MongoStore::builder("mongodb://me:hunter2@127.0.0.1:1/db")
        .server_selection_timeout(Duration::from_millis(500))
        .connect()
        .await;
    let error = refused_without_password(unreachable, "mongodb://me:***@127.0.0.1:1/db", "hunter2");
    assert!(error.is_store(), "{error}");

    // No such user on the test server: the login is refused.
    let refused = url().replacen("mongodb://", "mongodb://someone:hunter2@", 1);
    let error = refused_without_password(
        MongoStore::connect(refused).await,
        "someone:***@",
        "hunter2",
    );
    assert!(error.is_store(), "{error}");
}

#[tokio::test]
async fn names_prefix_and_collection_are_shown() {
    let prefix = random_prefix();
    let store = MongoStore::builder(url())
        .prefix(&prefix)
        .name("main")
        .connect()
        .await
        .unwrap();
    assert_eq!(store.backend(), "mongodb");
    assert!(!store.locality().is_process());
    assert_eq!(store.name(), "main");
    assert_eq!(store.prefix(), prefix);
    assert_eq!(store.collection(), format!("{prefix}jobs"));
    assert_eq!(store.database(), "tempora_test");
    assert!(format!("{store:?}").contains(&prefix));
    let restored = {
        store.add_job(job("a", at(T0)), true).await.unwrap();
        store.get_job("a").await.unwrap().unwrap()
    };
    assert_eq!(restored.store(), "main");
    cleanup(&store).await;
}

mod history {
    use super::*;
    use tempora::history::{RunQuery, RunRecord, RunStatus};

    fn running(job: &str, scheduled: Timestamp, node: &str) -> RunRecord {
        RunRecord::running(job, scheduled, node, scheduled, scheduled + LEASE)
    }

    fn done(job: &str, scheduled: Timestamp, status: RunStatus) -> RunRecord {
        running(job, scheduled, "n").finish(
            status,
            scheduled + SignedDuration::from_secs(1),
            Some(SignedDuration::from_secs(1)),
            status.is_failure().then(|| "boom ✗".to_owned()),
        )
    }

    #[tokio::test]
    async fn record_runs_writes_in_batches_and_a_later_record_of_a_key_wins() {
        let store = store().await;
        let mut records: Vec<RunRecord> = (0..2500)
            .map(|i| running("a", at(T0) + SignedDuration::from_secs(i), "n"))
            .collect();
        let last = done("a", at(T0), RunStatus::Success);
        records.push(last.clone());
        store.run_history().record_runs(&records).await.unwrap();
        let kept = store
            .run_history()
            .list_runs(&RunQuery::new())
            .await
            .unwrap();
        assert_eq!(kept.len(), 2500);
        assert_eq!(kept.last(), Some(&last), "the later record of its key");
        store.run_history().record_runs(&[]).await.unwrap();
        cleanup(&store).await;
    }

    #[tokio::test]
    async fn running_counts_skip_jobs_without_live_runs() {
        let store = store().await;
        store
            .run_history()
            .record_runs(&[
                running("a", at(T0), "n"),
                running("a", at(T0) + LEASE, "m"),
                running("b", at(T0), "n"),
            ])
            .await
            .unwrap();
        let counts = store
            .run_history()
            .running_counts(&["a", "b", "c"], "m", at(T0))
            .await
            .unwrap();
        assert_eq!(counts.len(), 2, "{counts:?}");
        assert_eq!((counts["a"], counts["b"]), (1, 1));
        // At the end of their lease they are vouched for no more.
        assert!(
            store
                .run_history()
                .running_counts(&["a", "b"], "m", at(T0) + LEASE)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .run_history()
                .running_counts(&[], "m", at(T0))
                .await
                .unwrap()
                .is_empty()
        );
        cleanup(&store).await;
    }

    #[tokio::test]
    async fn a_run_written_before_exit_status_and_output_still_reads() {
        use tempora_testkit::upgrade::{history_survives_the_upgrade, previous_run};

        let store = store().await;
        let runs: mongodb::Collection<Document> = mongodb::Client::with_uri_str(url())
            .await
            .unwrap()
            .database(store.database())
            .collection(&format!("{}runs", store.prefix()));
        // The document as the previous release wrote it: no exit_status,
        // no output.
        let old = previous_run();
        let micros = |time: Timestamp| Bson::Int64(time.as_microsecond());
        runs.insert_one(doc! {
            "_id": serde_json::to_string(&(&old.job_id, old.scheduled_time.as_microsecond(), &old.node)).unwrap(),
            "job_id": &old.job_id,
            "scheduled_time": old.scheduled_time.as_microsecond(),
            "node": &old.node,
            "fire_times": i64::from(old.fire_times),
            "status": old.status.as_str(),
            "started": micros(old.started.unwrap()),
            "finished": micros(old.finished.unwrap()),
            "duration": 2_000_000_i64,
            "error": old.error.as_deref().unwrap(),
            "alive_until": Bson::Null,
        })
        .await
        .unwrap();
        history_survives_the_upgrade(&store).await;
        cleanup(&store).await;
    }
}
