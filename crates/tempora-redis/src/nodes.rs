//! The node records: the schedulers sharing the store, in the hash
//! `{prefix}nodes`, node id → the record as JSON:
//!
//! ```text
//! {"id":"tempora@web-1","host":"web-1","pid":4242,"instance":"3f2a9c",
//!  "started":"2026-01-01T09:00:00Z","running":0,"last_heartbeat":1767258000000000}
//! ```
//!
//! `last_heartbeat` is in microseconds since the Unix epoch and always the
//! last field: the heartbeat script writes it, from the server's clock
//! (`TIME`) when leases are measured there.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tempora::Result;
use tempora::jiff::Timestamp;
use tempora::store::backend::{from_micros, store_error};
use tempora::store::{NodeRecord, NodeRegistry};

use crate::{LeaseClock, RedisStore};

/// A node record as written, without its heartbeat (the script adds it).
#[derive(Serialize)]
struct Written<'a> {
    id: &'a str,
    host: &'a str,
    pid: u32,
    instance: &'a str,
    started: Timestamp,
    running: u32,
}

/// A node record as read.
#[derive(Deserialize)]
struct Stored {
    id: String,
    host: String,
    pid: u32,
    instance: String,
    started: Timestamp,
    running: u32,
    last_heartbeat: i64,
}

impl From<Stored> for NodeRecord {
    fn from(stored: Stored) -> NodeRecord {
        NodeRecord {
            id: stored.id,
            host: stored.host,
            pid: stored.pid,
            instance: stored.instance,
            started: stored.started,
            last_heartbeat: from_micros(stored.last_heartbeat),
            running: stored.running,
        }
    }
}

impl RedisStore {
    /// Reads a stored node record; one that does not read is logged and
    /// left out (the next heartbeat of its node rewrites it).
    fn read_node(&self, id: &str, json: &str) -> Option<NodeRecord> {
        match serde_json::from_str::<Stored>(json) {
            Ok(stored) => Some(stored.into()),
            Err(error) => {
                tracing::warn!(
                    store = %self.inner.name,
                    node = %id,
                    %error,
                    "node record skipped: it cannot be read"
                );
                None
            }
        }
    }
}

#[async_trait]
impl NodeRegistry for RedisStore {
    async fn heartbeat(&self, node: &NodeRecord) -> Result<Option<NodeRecord>> {
        let written = Written {
            id: &node.id,
            host: &node.host,
            pid: node.pid,
            instance: &node.instance,
            started: node.started,
            running: node.running,
        };
        let mut head = serde_json::to_string(&written).map_err(|error| {
            store_error(
                &self.inner.name,
                format_args!("write the record of node {:?} as JSON", node.id),
                Some(Box::new(error)),
            )
        })?;
        // `{...}` becomes `{...,"last_heartbeat":`, which the script ends.
        head.pop();
        head.push_str(",\"last_heartbeat\":");
        let clock = self.lease_clock_now(node.last_heartbeat);
        let replaced: Option<String> = self
            .inner
            .scripts
            .heartbeat
            .key(&self.inner.keys.nodes)
            .arg(&node.id)
            .arg(head)
            .arg(clock)
            .invoke_async(&mut self.connection())
            .await
            .map_err(|error| {
                self.failed(&format!("write the heartbeat of node {:?}", node.id), error)
            })?;
        Ok(replaced.and_then(|json| self.read_node(&node.id, &json)))
    }

    async fn list_nodes(&self, now: Timestamp) -> Result<(Vec<NodeRecord>, Timestamp)> {
        let nodes = &self.inner.keys.nodes;
        let (entries, store_now): (Vec<(String, String)>, Timestamp) = match self.inner.lease_clock
        {
            LeaseClock::Database => {
                let ((seconds, micros), entries): ((i64, i64), Vec<(String, String)>) =
                    redis::pipe()
                        .atomic()
                        .cmd("TIME")
                        .cmd("HGETALL")
                        .arg(nodes)
                        .query_async(&mut self.connection())
                        .await
                        .map_err(|error| self.failed("list the nodes", error))?;
                let server_now = seconds.saturating_mul(1_000_000).saturating_add(micros);
                (entries, from_micros(server_now))
            }
            LeaseClock::Caller => {
                let entries: Vec<(String, String)> = redis::cmd("HGETALL")
                    .arg(nodes)
                    .query_async(&mut self.connection())
                    .await
                    .map_err(|error| self.failed("list the nodes", error))?;
                (entries, now)
            }
        };
        let mut records: Vec<NodeRecord> = entries
            .iter()
            .filter_map(|(id, json)| self.read_node(id, json))
            .collect();
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok((records, store_now))
    }

    async fn remove_node(&self, id: &str, instance: &str) -> Result<()> {
        self.inner
            .scripts
            .remove_node
            .key(&self.inner.keys.nodes)
            .arg(id)
            .arg(instance)
            .invoke_async::<i64>(&mut self.connection())
            .await
            .map_err(|error| self.failed(&format!("remove the record of node {id:?}"), error))?;
        Ok(())
    }
}
