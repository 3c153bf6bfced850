//! The run history in MongoDB: one document per run in `{prefix}runs`.
//!
//! | field | type | holds |
//! |---|---|---|
//! | `_id` | string | the run's key: the JSON array `[job id, scheduled time in microseconds, node]`, and the attempt after them for a retry (attempt 2 and on) |
//! | `job_id`, `node` | string | the job and the scheduler that ran it |
//! | `scheduled_time` | long | the fire time it ran for, microseconds since the Unix epoch (UTC) |
//! | `fire_times` | long | how many fire times it stands for |
//! | `status` | string | `running`, `success`, `error`, `panic`, `timeout`, `missed` or `interrupted` |
//! | `started`, `finished`, `alive_until` | long or null | microseconds since the Unix epoch |
//! | `duration` | long or null | microseconds |
//! | `error` | string or null | the error text |
//! | `exit_status` | int or null | the exit status of the program a `command` run started |
//! | `output` | string or null | the tail of that program's output |
//! | `first_scheduled_time` | long or null | the first of several missed fire times it stands for |
//! | `attempt` | long | which attempt at its fire time it is: 1, or 2 and on for retries |
//!
//! A document written before `exit_status`, `output` and
//! `first_scheduled_time` existed lacks them: it reads as `None` for each;
//! one written before `attempt` reads as attempt 1 (and its key is the
//! key of attempt 1).
//!
//! Times are kept to the microsecond, as the trait allows.
//!
//! With leases on the server's clock (the default), running records'
//! promises are kept on it too: `alive_until` is written as the server's
//! time (`hello.localTime`) plus the promise the node made (`alive_until -
//! started`, or `alive_until - now` for a renewal), and `interrupt_runs`
//! and `running_counts` compare with the server's time. An interruption
//! replaces a record only if its status and `alive_until` are still the
//! ones read, so a renewal that lands between the sweep's read and its
//! write wins.

use std::collections::HashMap;

use async_trait::async_trait;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use tempora::history::{RunQuery, RunRecord, RunRetention, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::store::backend::{from_micros, micros_floor, store_error};
use tempora::store::{LeaseClock, RunHistory, promise_on_store_clock};
use tempora::{Error, Result};

use crate::{MongoStore, score};

/// At most this many records go in one `update` command (the server takes
/// up to 100,000).
const RUNS_PER_COMMAND: usize = 1000;

/// At most this many jobs' latest runs are read by one aggregation.
const JOBS_PER_AGGREGATION: usize = 200;

/// A batch of records is cut before it reaches about this many bytes,
/// well within the 16 MiB a command may hold.
const BYTES_PER_COMMAND: usize = 8 << 20;

/// About how many bytes `record` takes in an `update` command.
fn estimated_size(record: &RunRecord) -> usize {
    512 + 2 * (record.job_id.len() + record.node.len())
        + record.error.as_ref().map_or(0, String::len)
        + record.output.as_ref().map_or(0, String::len)
}

/// The indexes of the runs collection: listing newest first, one job's
/// runs, the running ones.
pub(crate) fn indexes() -> Vec<IndexModel> {
    let index = |keys: Document, name: &str| {
        IndexModel::builder()
            .keys(keys)
            .options(IndexOptions::builder().name(name.to_owned()).build())
            .build()
    };
    vec![
        index(
            doc! {"scheduled_time": -1, "job_id": 1, "attempt": -1, "node": 1},
            "newest_first_by_attempt",
        ),
        index(doc! {"job_id": 1, "scheduled_time": -1}, "by_job"),
        index(doc! {"status": 1, "node": 1}, "by_status"),
    ]
}

fn micros(time: Option<Timestamp>) -> Bson {
    time.map_or(Bson::Null, |time| Bson::Int64(micros_floor(time)))
}

fn time_field(document: &Document, field: &str) -> Option<Timestamp> {
    document.get_i64(field).ok().map(from_micros)
}

/// The key of a run, its scheduled time to the microsecond; a retry's
/// with its attempt.
fn run_id(job_id: &str, scheduled_time: Timestamp, node: &str, attempt: u32) -> String {
    let micros = micros_floor(scheduled_time);
    // OK because a tuple of strings and integers always serializes.
    if attempt > 1 {
        serde_json::to_string(&(job_id, micros, node, attempt))
    } else {
        serde_json::to_string(&(job_id, micros, node))
    }
    .unwrap_or_default()
}

/// `record` with its promise counted from `server_now` (the server's
/// clock), when given and the record makes one.
pub(crate) fn on_server_clock(record: &RunRecord, server_now: Option<Timestamp>) -> RunRecord {
    let mut moved = record.clone();
    if let (Some(server_now), Some(alive_until)) = (server_now, record.alive_until) {
        let promised_at = record.started.unwrap_or(alive_until);
        moved.alive_until = Some(promise_on_store_clock(alive_until, promised_at, server_now));
    }
    moved
}

fn to_document(record: &RunRecord) -> Document {
    doc! {
        "_id": run_id(&record.job_id, record.scheduled_time, &record.node, record.attempt),
        "job_id": &record.job_id,
        "scheduled_time": micros_floor(record.scheduled_time),
        "node": &record.node,
        "fire_times": i64::from(record.fire_times),
        "status": record.status.as_str(),
        "started": micros(record.started),
        "finished": micros(record.finished),
        "duration": record.duration.map_or(Bson::Null, |duration| {
            Bson::Int64(i64::try_from(duration.as_micros()).unwrap_or(i64::MAX))
        }),
        "error": record.error.as_deref().map_or(Bson::Null, |error| Bson::String(error.to_owned())),
        "alive_until": micros(record.alive_until),
        "exit_status": record.exit_status.map_or(Bson::Null, Bson::Int32),
        "output": record.output.as_deref().map_or(Bson::Null, |output| Bson::String(output.to_owned())),
        "first_scheduled_time": micros(record.first_scheduled_time),
        "attempt": i64::from(record.attempt),
    }
}

fn from_document(document: &Document) -> std::result::Result<RunRecord, String> {
    let text = |field: &str| {
        document
            .get_str(field)
            .map(str::to_owned)
            .map_err(|_| format!("field {field} is not a string"))
    };
    let status: RunStatus = text("status")?
        .parse()
        .map_err(|error: Error| error.to_string())?;
    Ok(RunRecord {
        job_id: text("job_id")?,
        scheduled_time: time_field(document, "scheduled_time")
            .ok_or("field scheduled_time is not a long")?,
        node: text("node")?,
        fire_times: document
            .get_i64("fire_times")
            .ok()
            .and_then(|count| u32::try_from(count).ok())
            .unwrap_or(1),
        status,
        started: time_field(document, "started"),
        finished: time_field(document, "finished"),
        duration: document
            .get_i64("duration")
            .ok()
            .map(SignedDuration::from_micros),
        error: document.get_str("error").ok().map(str::to_owned),
        exit_status: match document.get("exit_status") {
            Some(Bson::Int32(status)) => Some(*status),
            Some(Bson::Int64(status)) => Some(i32::try_from(*status).unwrap_or(i32::MIN)),
            _ => None,
        },
        output: document.get_str("output").ok().map(str::to_owned),
        alive_until: time_field(document, "alive_until"),
        first_scheduled_time: time_field(document, "first_scheduled_time"),
        attempt: document
            .get_i64("attempt")
            .ok()
            .and_then(|attempt| u32::try_from(attempt).ok())
            .unwrap_or(1),
    })
}

impl MongoStore {
    fn runs(&self) -> &Collection<Document> {
        &self.inner.runs
    }

    /// The server's time where running records' promises are measured on
    /// it; `None` where they are the caller's.
    pub(crate) async fn promise_clock(&self) -> Result<Option<Timestamp>> {
        match self.inner.lease_clock {
            LeaseClock::Caller => Ok(None),
            LeaseClock::Database => self
                .lease_now(Timestamp::UNIX_EPOCH)
                .await
                .map(|now| Some(from_micros(now))),
        }
    }

    /// The server's time if any of `records` makes a promise to keep on
    /// it (see [`MongoStore::promise_clock`]).
    pub(crate) async fn promise_clock_for(
        &self,
        records: &[&RunRecord],
    ) -> Result<Option<Timestamp>> {
        if records.iter().any(|record| record.alive_until.is_some()) {
            self.promise_clock().await
        } else {
            Ok(None)
        }
    }

    /// The records `filter` finds, in `sort` order, at most `limit`; those
    /// that do not read are logged and left out.
    async fn find_runs(
        &self,
        filter: Document,
        sort: Document,
        limit: Option<usize>,
    ) -> Result<Vec<(Document, RunRecord)>> {
        let what = "read the run history";
        let mut find = self.runs().find(filter).sort(sort);
        if let Some(limit) = limit {
            find = find.limit(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        let cursor = find.await.map_err(|error| self.failed_to(what, error))?;
        let mut found = Vec::new();
        for document in self.documents(cursor, what).await? {
            match from_document(&document) {
                Ok(record) => found.push((document, record)),
                Err(reason) => tracing::warn!(
                    store = %self.inner.name,
                    run = ?document.get("_id"),
                    reason,
                    "run record skipped: it cannot be read"
                ),
            }
        }
        Ok(found)
    }

    /// Writes `record` (its promise counted from `server_now` when given)
    /// in `session`'s transaction.
    pub(crate) async fn record_run_in(
        &self,
        record: &RunRecord,
        server_now: Option<Timestamp>,
        session: &mut mongodb::ClientSession,
    ) -> Result<()> {
        let document = to_document(&on_server_clock(record, server_now));
        let id = document.get("_id").cloned().unwrap_or(Bson::Null);
        self.runs()
            .replace_one(doc! {"_id": id}, document)
            .upsert(true)
            .session(session)
            .await
            .map_err(|error| {
                self.failed_to(&format!("record a run of job {:?}", record.job_id), error)
            })?;
        Ok(())
    }

    /// Records `records` as [`RunHistory::record_run`] does each, in
    /// order, with as few `update` commands as their size allows: each is
    /// a batch of upserting replacements (ordered, so a later record of
    /// one key replaces an earlier one).
    pub(crate) async fn record_runs_impl(&self, records: &[&RunRecord]) -> Result<()> {
        let server_now = self.promise_clock_for(records).await?;
        let mut batch: Vec<Document> = Vec::new();
        let mut bytes = 0;
        for record in records {
            let size = estimated_size(record);
            if !batch.is_empty()
                && (batch.len() >= RUNS_PER_COMMAND || bytes + size > BYTES_PER_COMMAND)
            {
                self.replace_runs(std::mem::take(&mut batch)).await?;
                bytes = 0;
            }
            let document = to_document(&on_server_clock(record, server_now));
            let id = document.get("_id").cloned().unwrap_or(Bson::Null);
            batch.push(doc! {"q": {"_id": id}, "u": document, "upsert": true});
            bytes += size;
        }
        if !batch.is_empty() {
            self.replace_runs(batch).await?;
        }
        Ok(())
    }

    /// One `update` command of `statements`, its write errors turned into
    /// a store error.
    async fn replace_runs(&self, statements: Vec<Document>) -> Result<()> {
        let what = format!("record {} runs", statements.len());
        let reply = self
            .inner
            .database
            .run_command(doc! {
                "update": self.runs().name(),
                "updates": statements,
                "ordered": true,
            })
            .await
            .map_err(|error| self.failed_to(&what, error))?;
        let refusal = reply
            .get_array("writeErrors")
            .ok()
            .and_then(|errors| errors.first())
            .and_then(Bson::as_document)
            .or_else(|| reply.get_document("writeConcernError").ok());
        match refusal {
            None => Ok(()),
            Some(refusal) => Err(store_error(
                &self.inner.name,
                format_args!(
                    "{what} (mongodb at {}): the server answered code {}: {}",
                    self.inner.url,
                    refusal
                        .get("code")
                        .map_or_else(String::new, Bson::to_string),
                    refusal.get_str("errmsg").unwrap_or("no message"),
                ),
                None,
            )),
        }
    }
}

#[async_trait]
impl RunHistory for MongoStore {
    async fn record_runs(&self, records: &[RunRecord]) -> Result<()> {
        let records: Vec<&RunRecord> = records.iter().collect();
        self.record_runs_impl(&records).await
    }

    async fn record_run(&self, record: &RunRecord) -> Result<()> {
        let server_now = self.promise_clock_for(&[record]).await?;
        let document = to_document(&on_server_clock(record, server_now));
        let id = document.get("_id").cloned().unwrap_or(Bson::Null);
        self.runs()
            .replace_one(doc! {"_id": id}, document)
            .upsert(true)
            .await
            .map_err(|error| {
                self.failed_to(&format!("record a run of job {:?}", record.job_id), error)
            })?;
        Ok(())
    }

    async fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRecord>> {
        if query.limit == Some(0) {
            return Ok(Vec::new());
        }
        let mut filter = Document::new();
        if let Some(id) = &query.job_id {
            filter.insert("job_id", id);
        }
        if query.failed_only {
            let failures: Vec<&str> = RunStatus::FAILURES.iter().map(|s| s.as_str()).collect();
            filter.insert("status", doc! {"$in": failures});
        }
        let found = self
            .find_runs(
                filter,
                doc! {"scheduled_time": -1, "job_id": 1, "attempt": -1, "node": 1},
                query.limit,
            )
            .await?;
        Ok(found.into_iter().map(|(_, record)| record).collect())
    }

    // One aggregation per `JOBS_PER_AGGREGATION` jobs: each job's records
    // sorted as list_runs sorts them, the first of each group kept.
    async fn latest_runs(&self, job_ids: &[&str]) -> Result<HashMap<String, RunRecord>> {
        let what = "read the latest runs of the jobs";
        let mut latest = HashMap::new();
        for batch in job_ids.chunks(JOBS_PER_AGGREGATION) {
            let pipeline = [
                doc! {"$match": {"job_id": {"$in": batch}}},
                doc! {"$sort": {"job_id": 1, "scheduled_time": -1, "attempt": -1, "node": 1}},
                doc! {"$group": {"_id": "$job_id", "run": {"$first": "$$ROOT"}}},
            ];
            let cursor = self
                .runs()
                .aggregate(pipeline)
                // The sort holds every record of the batch's jobs (up to
                // the retention's 100 each, with their output).
                .allow_disk_use(true)
                .await
                .map_err(|error| self.failed_to(what, error))?;
            for document in self.documents(cursor, what).await? {
                let Ok(run) = document.get_document("run") else {
                    continue;
                };
                match from_document(run) {
                    Ok(record) => {
                        latest.insert(record.job_id.clone(), record);
                    }
                    Err(reason) => tracing::warn!(
                        store = %self.inner.name,
                        run = ?run.get("_id"),
                        reason,
                        "run record skipped: it cannot be read"
                    ),
                }
            }
        }
        Ok(latest)
    }

    async fn renew_runs(&self, node: &str, now: Timestamp, alive_until: Timestamp) -> Result<u64> {
        let alive_until = match self.promise_clock().await? {
            Some(server_now) => promise_on_store_clock(alive_until, now, server_now),
            None => alive_until,
        };
        let renewed = self
            .runs()
            .update_many(
                doc! {"node": node, "status": RunStatus::Running.as_str()},
                doc! {"$set": {"alive_until": micros_floor(alive_until)}},
            )
            .await
            .map_err(|error| self.failed_to("renew the running runs", error))?;
        Ok(renewed.matched_count)
    }

    async fn interrupt_runs(&self, now: Timestamp, node: Option<&str>) -> Result<Vec<RunRecord>> {
        let running = RunStatus::Running.as_str();
        // Promises pass on the server's clock where they are kept on it;
        // the interrupted records say when by the caller's.
        let expiry = self.promise_clock().await?.unwrap_or(now);
        let expired = doc! {"alive_until": {"$lte": micros_floor(expiry)}};
        let filter = match node {
            Some(node) => doc! {"status": running, "$or": [{"node": node}, expired]},
            None => {
                let mut filter = expired;
                filter.insert("status", running);
                filter
            }
        };
        let mut changed = Vec::new();
        for (document, record) in self.find_runs(filter, doc! {"_id": 1}, None).await? {
            if !record.is_abandoned(expiry, node) {
                continue;
            }
            let interrupted = record.interrupted(now);
            // Only if it is still the record read: a run that ended
            // meanwhile keeps its end.
            let id = document.get("_id").cloned().unwrap_or(Bson::Null);
            let alive_until = document.get("alive_until").cloned().unwrap_or(Bson::Null);
            let replaced = self
                .runs()
                .replace_one(
                    doc! {"_id": id, "status": running, "alive_until": alive_until},
                    to_document(&interrupted),
                )
                .await
                .map_err(|error| self.failed_to("interrupt abandoned runs", error))?;
            if replaced.modified_count > 0 {
                changed.push(interrupted);
            }
        }
        Ok(changed)
    }

    async fn prune_runs(&self, retention: &RunRetention, now: Timestamp) -> Result<u64> {
        let what = "prune the run history";
        let running = RunStatus::Running.as_str();
        let mut removed = 0;
        if let Some(keep) = retention.per_job {
            let finished = self
                .find_runs(
                    doc! {"status": {"$ne": running}},
                    doc! {"job_id": 1, "scheduled_time": -1, "attempt": -1, "node": 1},
                    None,
                )
                .await?;
            let mut ranks: HashMap<String, usize> = HashMap::new();
            let mut doomed: Vec<Bson> = Vec::new();
            for (document, record) in finished {
                let rank = ranks.entry(record.job_id).or_default();
                if *rank >= keep {
                    doomed.push(document.get("_id").cloned().unwrap_or(Bson::Null));
                }
                *rank += 1;
            }
            for batch in doomed.chunks(500) {
                removed += self
                    .runs()
                    .delete_many(doc! {"_id": {"$in": batch}, "status": {"$ne": running}})
                    .await
                    .map_err(|error| self.failed_to(what, error))?
                    .deleted_count;
            }
        }
        if let Some(cutoff) = retention.cutoff(now) {
            // Kept to the microsecond: before the cutoff means before its
            // microsecond, rounded up.
            removed += self
                .runs()
                .delete_many(doc! {
                    "status": {"$ne": running},
                    "scheduled_time": {"$lt": score(Some(cutoff))},
                })
                .await
                .map_err(|error| self.failed_to(what, error))?
                .deleted_count;
        }
        Ok(removed)
    }

    async fn running_counts(
        &self,
        job_ids: &[&str],
        except_node: &str,
        now: Timestamp,
    ) -> Result<HashMap<String, u32>> {
        let mut counts = HashMap::new();
        if job_ids.is_empty() {
            return Ok(counts);
        }
        let what = "count the runs in progress";
        let now = self.promise_clock().await?.unwrap_or(now);
        let pipeline = [
            doc! {"$match": {
                "job_id": {"$in": job_ids},
                "status": RunStatus::Running.as_str(),
                "node": {"$ne": except_node},
                // Vouched for after `now`: the complement of what
                // interrupt_runs takes as abandoned.
                "alive_until": {"$gt": score(Some(now))},
            }},
            doc! {"$group": {"_id": "$job_id", "running": {"$sum": 1}}},
        ];
        let cursor = self
            .runs()
            .aggregate(pipeline)
            .await
            .map_err(|error| self.failed_to(what, error))?;
        for document in self.documents(cursor, what).await? {
            let Ok(id) = document.get_str("_id") else {
                continue;
            };
            let running = match document.get("running") {
                Some(Bson::Int32(count)) => i64::from(*count),
                Some(Bson::Int64(count)) => *count,
                _ => 0,
            };
            if running > 0 {
                counts.insert(id.to_owned(), u32::try_from(running).unwrap_or(u32::MAX));
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_documents() {
        let at: Timestamp = "2026-01-01T09:00:00.123456Z".parse().unwrap();
        let record = RunRecord::running("a", at, "n", at, at + SignedDuration::from_secs(30))
            .finish(
                RunStatus::Error,
                at + SignedDuration::from_secs(2),
                Some(SignedDuration::from_micros(1_500_000)),
                Some("boom".to_owned()),
            )
            .with_fire_times(3);
        let document = to_document(&record);
        assert_eq!(
            document.get_str("_id").unwrap(),
            r#"["a",1767258000123456,"n"]"#
        );
        assert_eq!(from_document(&document).unwrap(), record);
        let mut broken = document.clone();
        broken.insert("status", "exploded");
        assert!(from_document(&broken).unwrap_err().contains("exploded"));
    }
}
