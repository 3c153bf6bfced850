//! See the catalogue in `main.rs`: on MongoDB a settlement takes its fire
//! times and writes its running records in one transaction, so a
//! settlement cut short at any point leaves both or neither, and a won
//! settlement's run is seen at once by every node (history, and
//! `running_counts` for `max_instances`).
//!
//! The tests run on the shared MongoDB-wire server (SecantusDB, a replica
//! set of one, which takes transactions), in collections of their own.

use std::time::Duration;

use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::{JobBuilder, JobDefaults};
use tempora::store::{JobStore, Release, Settled, Settlement};
use tempora::trigger::IntervalTrigger;
use tempora_mongodb::MongoStore;
use tempora_testkit::Capabilities;
use tempora_testkit::unique_prefix;

fn url() -> String {
    std::env::var("TEMPORA_MONGODB_URL")
        .unwrap_or_else(|_| "mongodb://127.0.0.1:27017/tempora_test".to_owned())
}

async fn store(prefix: &str) -> MongoStore {
    MongoStore::builder(url())
        .prefix(prefix)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("the MongoDB server must run for this test: {error}"))
}

async fn drop_collections(store: &MongoStore) {
    let client = mongodb::Client::with_uri_str(url()).await.unwrap();
    let database = client.database(store.database());
    for name in ["jobs", "runs", "nodes"] {
        database
            .collection::<mongodb::bson::Document>(&format!("{}{name}", store.prefix()))
            .drop()
            .await
            .unwrap();
    }
}

/// A job `id` due at `due`, every minute.
fn job(id: &str, due: Timestamp) -> tempora::job::Job {
    let trigger = IntervalTrigger::builder()
        .minutes(1)
        .start_date(due)
        .timezone("UTC")
        .build()
        .unwrap();
    JobBuilder::new("noop", trigger)
        .id(id)
        .build_at(&JobDefaults::default(), due)
        .unwrap()
}

/// Claims job `id` for node "a" and makes its settlement: the fire time
/// `due` taken, a running record kept.
async fn claim(store: &MongoStore, id: &str, due: Timestamp) -> (Settlement, RunRecord) {
    store.add_job(job(id, due), false).await.unwrap();
    let claimed = store
        .acquire_due(due, 1, "a", SignedDuration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "job {id} is claimed");
    let running = RunRecord::running(id, due, "a", due, due + SignedDuration::from_secs(600));
    let settlement = Settlement::new(
        claimed[0].clone(),
        Some(due),
        Release::Reschedule(due + SignedDuration::from_secs(60)),
    )
    .record(running.clone());
    (settlement, running)
}

/// Settlements cut short (their future dropped, as a crash or a cancelled
/// task does) after 0, 1, 2, … ms: each leaves the fire time taken with
/// its running record, or neither — never a fire time taken without a
/// trace. Some are cut before they wrote, some complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_settlement_cut_short_takes_its_fire_time_with_its_record_or_not_at_all() {
    let prefix = unique_prefix("faults_claims");
    let store = store(&prefix).await;
    assert!(
        store.uses_transactions(),
        "the test server is a replica set: it takes transactions"
    );
    let due: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let (mut neither, mut both, mut completed) = (0, 0, 0);
    for step in 0..200u64 {
        let id = format!("job-{step:03}");
        let (settlement, running) = claim(&store, &id, due).await;
        let cut = tokio::time::timeout(
            Duration::from_millis(step),
            store.settle("a", std::slice::from_ref(&settlement), due),
        )
        .await;
        match cut {
            Ok(outcome) => {
                assert_eq!(outcome.unwrap(), [Settled::Won]);
                completed += 1;
            }
            Err(_) => {
                // Cut short: whatever the dropped transaction held is
                // aborted; give the server a moment.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let taken = store
            .get_job(&id)
            .await
            .unwrap()
            .and_then(|job| job.previous_fire_time())
            == Some(due);
        let records = store
            .run_history()
            .list_runs(&RunQuery::new().job(&id))
            .await
            .unwrap();
        match (taken, records.as_slice()) {
            (false, []) => neither += 1,
            (true, [record]) => {
                assert_eq!(record.key(), running.key());
                assert_eq!(record.status, RunStatus::Running);
                both += 1;
            }
            (taken, records) => panic!(
                "step {step} ms: fire time taken: {taken}, records: {records:?} — \
                 a settlement cut short left one without the other"
            ),
        }
        if completed >= 5 {
            break;
        }
    }
    eprintln!(
        "settlements cut short: {neither} wrote nothing; {both} wrote both ({completed} completed)"
    );
    assert!(neither > 0, "no settlement was cut before it wrote");
    assert!(both >= 5, "settlements completed: {both}");
    drop_collections(&store).await;
}

/// A won settlement's running record is in the store the moment the
/// settlement returns: listed in the history, and counted by another node
/// enforcing `max_instances`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_won_settlement_is_seen_by_every_node_at_once() {
    let prefix = unique_prefix("faults_claims");
    let store = store(&prefix).await;
    let other = self::store(&prefix).await;
    let due = Timestamp::from_second(
        tempora::clock::Clock::now(&tempora::clock::SystemClock).as_second(),
    )
    .unwrap();
    for n in 0..10 {
        let id = format!("won-{n}");
        let (settlement, running) = claim(&store, &id, due).await;
        assert_eq!(
            store.settle("a", &[settlement], due).await.unwrap(),
            [Settled::Won]
        );
        let counts = other
            .run_history()
            .running_counts(&[&id], "b", due)
            .await
            .unwrap();
        assert_eq!(counts.get(&id).copied(), Some(1), "{id}: {counts:?}");
        let listed = other
            .run_history()
            .list_runs(&RunQuery::new().job(&id))
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "{id}: {listed:?}");
        assert_eq!(listed[0].key(), running.key());
    }
    drop_collections(&store).await;
}
