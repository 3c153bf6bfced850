//! The run history in Redis.
//!
//! | key | type | holds |
//! |---|---|---|
//! | `{prefix}runs` | hash | run key → the [`RunRecord`] as JSON |
//! | `{prefix}runs_by_time` | sorted set | run key, scored by its scheduled time (microseconds) |
//! | `{prefix}runs_of:{job id}` | sorted set | the same, for one job's runs |
//! | `{prefix}runs_running` | set | the keys of the records still running |
//! | `{prefix}runs_jobs` | set | the ids of the jobs that have records |
//!
//! A run key is the JSON array `[job id, scheduled time, node]`, the
//! scheduled time in RFC 3339: `["backup","2026-01-01T09:00:00Z","node-a"]`;
//! a retry's (attempt 2 and on) adds the attempt:
//! `["backup","2026-01-01T09:00:00Z","node-a",2]`, so that the keys of
//! first attempts, and of records written before attempts were kept, are
//! the same.
//! Records are changed by compare-and-set on their JSON, so that a renewal
//! or an interruption never overwrites a run that ended meanwhile.
//!
//! A record is written by one script, `record_run` in
//! [`scripts`](crate::scripts), whether it comes from
//! [`RunHistory::record_run`](tempora::store::RunHistory::record_run), a batch
//! of [`record_runs`](tempora::store::RunHistory::record_runs) or a won
//! [`settle`](tempora::store::JobStore::settle). `running_counts` reads
//! `runs_running`, whose run keys name each record's job and node, and then
//! only the records of the jobs asked about on other nodes.
//!
//! With leases on the server's clock (the default), running records'
//! promises are kept on it too: a record's `alive_until` is written as the
//! server's `TIME` plus the promise its node made (`alive_until - started`,
//! or `alive_until - now` for a renewal), and `interrupt_runs` and
//! `running_counts` compare with the server's `TIME`. An interruption is a
//! compare-and-set on the record's JSON, so a renewal that lands between
//! the sweep's read and its write wins.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use redis::Script;
use tempora::Result;
use tempora::history::{RunQuery, RunRecord, RunRetention, RunStatus};
use tempora::jiff::Timestamp;
use tempora::store::backend::{from_micros, micros_floor, store_error};
use tempora::store::{RunHistory, promise_on_store_clock};

use crate::{LeaseClock, RedisStore, scripts};

/// How many records one call reads or changes at most.
const PAGE: usize = 500;

/// Replaces records whose JSON is still the one read. KEYS: runs, running.
/// ARGV: run key, old JSON, new JSON, running (`1`/`0`), repeated. Returns
/// the 1-based positions (in fours) of the records replaced.
const REPLACE: &str = r"
local replaced = {}
for i = 1, #ARGV, 4 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    if ARGV[i + 3] == '1' then
      redis.call('SADD', KEYS[2], ARGV[i])
    else
      redis.call('SREM', KEYS[2], ARGV[i])
    end
    replaced[#replaced + 1] = (i + 3) / 4
  end
end
return replaced
";

/// Removes finished records. KEYS: runs, by time, running, jobs, then the
/// runs key of each record's job. ARGV: run key, job id, repeated. Returns
/// how many it removed.
const REMOVE: &str = r"
local removed = 0
for i = 1, #ARGV, 2 do
  local job_runs = KEYS[4 + (i + 1) / 2]
  if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 0 and redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZREM', KEYS[2], ARGV[i])
    redis.call('ZREM', job_runs, ARGV[i])
    if redis.call('ZCARD', job_runs) == 0 then
      redis.call('SREM', KEYS[4], ARGV[i + 1])
    end
    removed = removed + 1
  end
end
return removed
";

/// The records of each job's newest scheduled time. KEYS: runs, then the
/// runs key of each job. Returns, per job, the JSON of the records whose
/// score is its highest (several when attempts or nodes share the fire
/// time; none for a job without records).
const LATEST: &str = r"
local latest = {}
for i = 2, #KEYS do
  local top = redis.call('ZREVRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  local found = {}
  if #top > 0 then
    local keys = redis.call('ZRANGEBYSCORE', KEYS[i], top[2], top[2])
    if #keys > 0 then
      found = redis.call('HMGET', KEYS[1], unpack(keys))
    end
  end
  latest[#latest + 1] = found
end
return latest
";

pub(crate) struct HistoryKeys {
    prefix: String,
    pub(crate) runs: String,
    pub(crate) by_time: String,
    pub(crate) running: String,
    pub(crate) jobs: String,
}

impl HistoryKeys {
    pub(crate) fn new(prefix: &str) -> HistoryKeys {
        HistoryKeys {
            prefix: prefix.to_owned(),
            runs: format!("{prefix}runs"),
            by_time: format!("{prefix}runs_by_time"),
            running: format!("{prefix}runs_running"),
            jobs: format!("{prefix}runs_jobs"),
        }
    }

    pub(crate) fn of_job(&self, job_id: &str) -> String {
        format!("{}runs_of:{job_id}", self.prefix)
    }
}

pub(crate) struct HistoryScripts {
    record: Script,
    latest: Script,
    replace: Script,
    remove: Script,
}

impl HistoryScripts {
    pub(crate) fn new() -> HistoryScripts {
        HistoryScripts {
            record: Script::new(scripts::RECORD_RUNS),
            latest: Script::new(LATEST),
            replace: Script::new(REPLACE),
            remove: Script::new(REMOVE),
        }
    }
}

/// The run key of `record`.
fn run_key(record: &RunRecord) -> String {
    let scheduled = record.scheduled_time.to_string();
    // OK because a tuple of strings and a number always serializes to JSON.
    if record.attempt > 1 {
        serde_json::to_string(&(&record.job_id, scheduled, &record.node, record.attempt))
    } else {
        serde_json::to_string(&(&record.job_id, scheduled, &record.node))
    }
    .unwrap_or_default()
}

/// The node named in a run key, without reading the record.
fn node_of(key: &str) -> Option<String> {
    job_and_node_of(key).map(|(_, node)| node)
}

/// The job id and the node named in a run key, without reading the record.
fn job_and_node_of(key: &str) -> Option<(String, String)> {
    serde_json::from_str::<(String, String, String)>(key)
        .ok()
        .map(|(job, _, node)| (job, node))
        .or_else(|| {
            serde_json::from_str::<(String, String, String, u32)>(key)
                .ok()
                .map(|(job, _, node, _)| (job, node))
        })
}

/// Newest first: scheduled time descending, then job id, then the latest
/// attempt, then node.
fn newest_first(a: &RunRecord, b: &RunRecord) -> std::cmp::Ordering {
    b.scheduled_time
        .cmp(&a.scheduled_time)
        .then_with(|| a.job_id.cmp(&b.job_id))
        .then_with(|| b.attempt.cmp(&a.attempt))
        .then_with(|| a.node.cmp(&b.node))
}

/// `record` with its promise counted from `server_now` (the server's
/// clock), when given and the record makes one.
pub(crate) fn on_server_clock(
    record: &RunRecord,
    server_now: Option<Timestamp>,
) -> Cow<'_, RunRecord> {
    match (server_now, record.alive_until) {
        (Some(server_now), Some(alive_until)) => {
            let promised_at = record.started.unwrap_or(alive_until);
            let mut moved = record.clone();
            moved.alive_until = Some(promise_on_store_clock(alive_until, promised_at, server_now));
            Cow::Owned(moved)
        }
        _ => Cow::Borrowed(record),
    }
}

impl RedisStore {
    fn history_keys(&self) -> &HistoryKeys {
        &self.inner.history_keys
    }

    /// The server's time (`TIME`) where running records' promises are
    /// measured on it; `None` where they are the caller's.
    pub(crate) async fn promise_clock(&self) -> Result<Option<Timestamp>> {
        match self.inner.lease_clock {
            LeaseClock::Caller => Ok(None),
            LeaseClock::Database => {
                let (seconds, micros): (i64, i64) = redis::cmd("TIME")
                    .query_async(&mut self.connection())
                    .await
                    .map_err(|error| self.failed("read the server's clock", error))?;
                Ok(Some(from_micros(
                    seconds.saturating_mul(1_000_000).saturating_add(micros),
                )))
            }
        }
    }

    /// The server's time if any of `records` makes a promise to keep on
    /// it (see [`RedisStore::promise_clock`]).
    pub(crate) async fn promise_clock_for<'r>(
        &self,
        mut records: impl Iterator<Item = &'r RunRecord>,
    ) -> Result<Option<Timestamp>> {
        if records.any(|record| record.alive_until.is_some()) {
            self.promise_clock().await
        } else {
            Ok(None)
        }
    }

    fn encode_run(&self, record: &RunRecord) -> Result<String> {
        serde_json::to_string(record).map_err(|error| {
            store_error(
                &self.inner.name,
                format_args!("write the run of job {:?} as JSON", record.job_id),
                Some(Box::new(error)),
            )
        })
    }

    /// The records stored under `keys`, with their JSON; records that are
    /// gone or do not read are left out (the latter logged).
    async fn read_runs(&self, keys: &[String]) -> Result<Vec<(String, String, RunRecord)>> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(PAGE) {
            let values: Vec<Option<String>> = redis::cmd("HMGET")
                .arg(&self.history_keys().runs)
                .arg(chunk)
                .query_async(&mut self.connection())
                .await
                .map_err(|error| self.failed("read the run history", error))?;
            for (key, json) in chunk.iter().zip(values) {
                let Some(json) = json else {
                    continue;
                };
                match serde_json::from_str::<RunRecord>(&json) {
                    Ok(record) => found.push((key.clone(), json, record)),
                    Err(error) => tracing::warn!(
                        store = %self.inner.name,
                        run = %key,
                        %error,
                        "run record skipped: it cannot be read"
                    ),
                }
            }
        }
        Ok(found)
    }

    /// Replaces each `(key, old JSON, new record)` whose JSON is still the
    /// old one; returns the new records it wrote.
    async fn replace_runs(
        &self,
        changes: Vec<(String, String, RunRecord)>,
    ) -> Result<Vec<RunRecord>> {
        let mut written = Vec::new();
        let mut changes = changes.into_iter().peekable();
        while changes.peek().is_some() {
            let batch: Vec<(String, String, RunRecord)> = changes.by_ref().take(PAGE).collect();
            let mut invocation = self.inner.history_scripts.replace.prepare_invoke();
            invocation
                .key(&self.history_keys().runs)
                .key(&self.history_keys().running);
            for (key, old, new) in &batch {
                invocation
                    .arg(key)
                    .arg(old)
                    .arg(self.encode_run(new)?)
                    .arg(if new.status.is_finished() { "0" } else { "1" });
            }
            let replaced: Vec<usize> = invocation
                .invoke_async(&mut self.connection())
                .await
                .map_err(|error| self.failed("update the run history", error))?;
            let replaced: HashSet<usize> = replaced.into_iter().collect();
            written.extend(
                batch
                    .into_iter()
                    .enumerate()
                    .filter(|(index, _)| replaced.contains(&(index + 1)))
                    .map(|(_, (_, _, new))| new),
            );
        }
        Ok(written)
    }

    /// The records still running.
    async fn running_runs(&self) -> Result<Vec<(String, String, RunRecord)>> {
        let keys: Vec<String> = redis::cmd("SMEMBERS")
            .arg(&self.history_keys().running)
            .query_async(&mut self.connection())
            .await
            .map_err(|error| self.failed("read the running runs", error))?;
        self.read_runs(&keys).await
    }

    /// Adds the arguments that record `record` to a script call (RECORD_RUNS
    /// or SETTLE): its `runs_of` key, then run key, JSON, score, running and
    /// job id, as [`scripts::RECORD_RUNS`] reads them. Its promise counts
    /// from `server_now` when given.
    pub(crate) fn record_args(
        &self,
        invocation: &mut redis::ScriptInvocation<'_>,
        record: &RunRecord,
        server_now: Option<Timestamp>,
    ) -> Result<()> {
        let json = self.encode_run(&on_server_clock(record, server_now))?;
        invocation
            .key(self.history_keys().of_job(&record.job_id))
            .arg(run_key(record))
            .arg(json)
            .arg(micros_floor(record.scheduled_time))
            .arg(if record.status.is_finished() {
                "0"
            } else {
                "1"
            })
            .arg(&record.job_id);
        Ok(())
    }
}

#[async_trait]
impl RunHistory for RedisStore {
    // Up to `PAGE` records per script call.
    async fn record_runs(&self, records: &[RunRecord]) -> Result<()> {
        let keys = self.history_keys();
        let server_now = self.promise_clock_for(records.iter()).await?;
        for batch in records.chunks(PAGE) {
            let mut invocation = self.inner.history_scripts.record.prepare_invoke();
            invocation
                .key(&keys.runs)
                .key(&keys.by_time)
                .key(&keys.running)
                .key(&keys.jobs);
            for record in batch {
                self.record_args(&mut invocation, record, server_now)?;
            }
            let what = match batch {
                [record] => format!("record a run of job {:?}", record.job_id),
                _ => format!("record {} runs", batch.len()),
            };
            invocation
                .invoke_async::<i64>(&mut self.connection())
                .await
                .map_err(|error| self.failed(&what, error))?;
        }
        Ok(())
    }

    async fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRecord>> {
        let limit = query.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let index = match &query.job_id {
            Some(id) => self.history_keys().of_job(id),
            None => self.history_keys().by_time.clone(),
        };
        let mut found: Vec<RunRecord> = Vec::new();
        let mut offset = 0usize;
        loop {
            let page: Vec<(String, f64)> = redis::cmd("ZREVRANGE")
                .arg(&index)
                .arg(offset)
                .arg(offset + PAGE - 1)
                .arg("WITHSCORES")
                .query_async(&mut self.connection())
                .await
                .map_err(|error| self.failed("list the run history", error))?;
            let keys: Vec<String> = page.iter().map(|(key, _)| key.clone()).collect();
            found.extend(
                self.read_runs(&keys)
                    .await?
                    .into_iter()
                    .map(|(_, _, record)| record)
                    .filter(|record| query.matches(record)),
            );
            offset += page.len();
            if page.len() < PAGE {
                break;
            }
            // Enough, once every record not yet read is older than the
            // last one kept: scores are scheduled times, read newest first.
            if found.len() >= limit {
                found.sort_by(newest_first);
                found.truncate(limit);
                let last_kept = found
                    .last()
                    .map_or(i64::MIN, |record| micros_floor(record.scheduled_time));
                if page
                    .last()
                    .is_some_and(|(_, score)| *score < last_kept as f64)
                {
                    break;
                }
            }
        }
        found.sort_by(newest_first);
        found.truncate(limit);
        Ok(found)
    }

    // One script call per `PAGE` jobs: each job's records of its newest
    // scheduled time, the latest of them kept.
    async fn latest_runs(&self, job_ids: &[&str]) -> Result<HashMap<String, RunRecord>> {
        let mut latest: HashMap<String, RunRecord> = HashMap::new();
        let keys = self.history_keys();
        for batch in job_ids.chunks(PAGE) {
            let mut invocation = self.inner.history_scripts.latest.prepare_invoke();
            invocation.key(&keys.runs);
            for id in batch {
                invocation.key(keys.of_job(id));
            }
            let found: Vec<Vec<Option<String>>> = invocation
                .invoke_async(&mut self.connection())
                .await
                .map_err(|error| self.failed("read the latest runs of the jobs", error))?;
            for (id, records) in batch.iter().zip(found) {
                let newest = records
                    .into_iter()
                    .flatten()
                    .filter_map(|json| match serde_json::from_str::<RunRecord>(&json) {
                        Ok(record) => Some(record),
                        Err(error) => {
                            tracing::warn!(
                                store = %self.inner.name,
                                job = %id,
                                %error,
                                "run record skipped: it cannot be read"
                            );
                            None
                        }
                    })
                    .filter(|record| record.job_id == *id)
                    .min_by(newest_first);
                if let Some(record) = newest {
                    latest.insert((*id).to_owned(), record);
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
        let keys: Vec<String> = redis::cmd("SMEMBERS")
            .arg(&self.history_keys().running)
            .query_async(&mut self.connection())
            .await
            .map_err(|error| self.failed("read the running runs", error))?;
        let mine: Vec<String> = keys
            .into_iter()
            .filter(|key| node_of(key).as_deref() == Some(node))
            .collect();
        let changes: Vec<(String, String, RunRecord)> = self
            .read_runs(&mine)
            .await?
            .into_iter()
            .filter(|(_, _, record)| record.node == node && record.status == RunStatus::Running)
            .map(|(key, json, mut record)| {
                record.alive_until = Some(alive_until);
                (key, json, record)
            })
            .collect();
        let renewed = self.replace_runs(changes).await?;
        Ok(u64::try_from(renewed.len()).unwrap_or(u64::MAX))
    }

    async fn interrupt_runs(&self, now: Timestamp, node: Option<&str>) -> Result<Vec<RunRecord>> {
        // Promises pass on the server's clock where they are kept on it;
        // the interrupted records say when by the caller's.
        let expiry = self.promise_clock().await?.unwrap_or(now);
        let changes: Vec<(String, String, RunRecord)> = self
            .running_runs()
            .await?
            .into_iter()
            .filter(|(_, _, record)| record.is_abandoned(expiry, node))
            .map(|(key, json, record)| (key, json, record.interrupted(now)))
            .collect();
        self.replace_runs(changes).await
    }

    async fn prune_runs(&self, retention: &RunRetention, now: Timestamp) -> Result<u64> {
        let keys = self.history_keys();
        // (run key, job id) of every record to remove.
        let mut doomed: Vec<(String, String)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        if let Some(keep) = retention.per_job {
            let jobs: Vec<String> = redis::cmd("SMEMBERS")
                .arg(&keys.jobs)
                .query_async(&mut self.connection())
                .await
                .map_err(|error| self.failed("read the run history", error))?;
            for job in jobs {
                let job_runs = keys.of_job(&job);
                let count: usize = redis::cmd("ZCARD")
                    .arg(&job_runs)
                    .query_async(&mut self.connection())
                    .await
                    .map_err(|error| self.failed("read the run history", error))?;
                if count <= keep {
                    continue;
                }
                let run_keys: Vec<String> = redis::cmd("ZRANGE")
                    .arg(&job_runs)
                    .arg(0)
                    .arg(-1)
                    .query_async(&mut self.connection())
                    .await
                    .map_err(|error| self.failed("read the run history", error))?;
                let mut finished: Vec<(String, RunRecord)> = self
                    .read_runs(&run_keys)
                    .await?
                    .into_iter()
                    .filter(|(_, _, record)| record.status.is_finished())
                    .map(|(key, _, record)| (key, record))
                    .collect();
                finished.sort_by(|a, b| newest_first(&a.1, &b.1));
                for (key, record) in finished.into_iter().skip(keep) {
                    if seen.insert(key.clone()) {
                        doomed.push((key, record.job_id));
                    }
                }
            }
        }
        if let Some(cutoff) = retention.cutoff(now) {
            let run_keys: Vec<String> = redis::cmd("ZRANGEBYSCORE")
                .arg(&keys.by_time)
                .arg("-inf")
                .arg(micros_floor(cutoff))
                .query_async(&mut self.connection())
                .await
                .map_err(|error| self.failed("read the run history", error))?;
            for (key, _, record) in self.read_runs(&run_keys).await? {
                if record.status.is_finished()
                    && record.scheduled_time < cutoff
                    && seen.insert(key.clone())
                {
                    doomed.push((key, record.job_id));
                }
            }
        }
        let mut removed = 0u64;
        for batch in doomed.chunks(PAGE) {
            let mut invocation = self.inner.history_scripts.remove.prepare_invoke();
            invocation
                .key(&keys.runs)
                .key(&keys.by_time)
                .key(&keys.running)
                .key(&keys.jobs);
            for (key, job) in batch {
                invocation.key(keys.of_job(job)).arg(key).arg(job);
            }
            let count: u64 = invocation
                .invoke_async(&mut self.connection())
                .await
                .map_err(|error| self.failed("prune the run history", error))?;
            removed += count;
        }
        Ok(removed)
    }

    /// How many records of each of `job_ids` run on nodes other than
    /// `except_node` and are vouched for after `now`. Reads the keys of the
    /// running records (`runs_running`, which names each record's job and
    /// node), then only the records of those jobs and other nodes.
    async fn running_counts(
        &self,
        job_ids: &[&str],
        except_node: &str,
        now: Timestamp,
    ) -> Result<HashMap<String, u32>> {
        let mut counts: HashMap<String, u32> = HashMap::new();
        if job_ids.is_empty() {
            return Ok(counts);
        }
        let wanted: HashSet<&str> = job_ids.iter().copied().collect();
        let now = self.promise_clock().await?.unwrap_or(now);
        let keys: Vec<String> = redis::cmd("SMEMBERS")
            .arg(&self.history_keys().running)
            .query_async(&mut self.connection())
            .await
            .map_err(|error| self.failed("read the running runs", error))?;
        let candidates: Vec<String> = keys
            .into_iter()
            .filter(|key| {
                job_and_node_of(key)
                    .is_some_and(|(job, node)| wanted.contains(job.as_str()) && node != except_node)
            })
            .collect();
        for (_, _, record) in self.read_runs(&candidates).await? {
            let live = !record.status.is_finished()
                && record.node != except_node
                && record.alive_until.is_some_and(|alive| alive > now)
                && wanted.contains(record.job_id.as_str());
            if live {
                let count = counts.entry(record.job_id).or_insert(0);
                *count = count.saturating_add(1);
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempora::jiff::SignedDuration;

    #[test]
    fn run_keys_name_the_job_time_and_node() {
        let at: Timestamp = "2026-01-01T09:00:00Z".parse().unwrap();
        let record = RunRecord::running(
            "back\"up",
            at,
            "node|a",
            at,
            at + SignedDuration::from_secs(1),
        );
        let key = run_key(&record);
        assert_eq!(key, r#"["back\"up","2026-01-01T09:00:00Z","node|a"]"#);
        assert_eq!(node_of(&key).as_deref(), Some("node|a"));
        assert_eq!(node_of("garbage"), None);
        let retry = run_key(&record.with_attempt(2));
        assert_eq!(retry, r#"["back\"up","2026-01-01T09:00:00Z","node|a",2]"#);
        assert_eq!(
            job_and_node_of(&retry),
            Some(("back\"up".to_owned(), "node|a".to_owned()))
        );
    }
}
