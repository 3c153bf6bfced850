//! The node records in MongoDB: one document per scheduler sharing the
//! store, in `{prefix}nodes`.
//!
//! | field | type | holds |
//! |---|---|---|
//! | `_id` | string | the node id |
//! | `host` | string | the host it runs on |
//! | `pid` | long | its process id there |
//! | `instance` | string | the token of this start of its process |
//! | `started` | long | when it started using the store, nanoseconds since the Unix epoch (UTC) |
//! | `last_heartbeat` | long | its latest heartbeat by the store's lease clock, nanoseconds |
//! | `running` | long | how many runs it had in progress then |
//!
//! Node times are kept to the nanosecond, unlike the jobs' and runs'
//! microseconds: a node's `started` reads back exactly as it was given,
//! which is how a scheduler recognises its own record. They can therefore
//! be between the years 1677 and 2262 only (a 64-bit count of
//! nanoseconds); a node time outside is refused.

use async_trait::async_trait;
use mongodb::Collection;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ReturnDocument;
use tempora::jiff::Timestamp;
use tempora::store::{NodeRecord, NodeRegistry};
use tempora::{Error, Result};

use crate::{MongoStore, id_of};

/// `time` in nanoseconds since the Unix epoch, for field `field`.
fn nanos(field: &str, time: Timestamp) -> Result<i64> {
    i64::try_from(time.as_nanosecond()).map_err(|_| {
        Error::invalid(
            field,
            format!("{time} is outside the years 1677 to 2262 a node record can hold"),
        )
    })
}

fn to_document(node: &NodeRecord) -> Result<Document> {
    Ok(doc! {
        "_id": &node.id,
        "host": &node.host,
        "pid": i64::from(node.pid),
        "instance": &node.instance,
        "started": nanos("started", node.started)?,
        "last_heartbeat": nanos("last_heartbeat", node.last_heartbeat)?,
        "running": i64::from(node.running),
    })
}

fn from_document(document: &Document) -> std::result::Result<NodeRecord, String> {
    let text = |field: &str| {
        document
            .get_str(field)
            .map(str::to_owned)
            .map_err(|_| format!("field {field} is not a string"))
    };
    let count = |field: &str| {
        match document.get(field) {
            Some(Bson::Int64(count)) => u32::try_from(*count).ok(),
            Some(Bson::Int32(count)) => u32::try_from(*count).ok(),
            _ => None,
        }
        .ok_or_else(|| format!("field {field} is not a count"))
    };
    let time = |field: &str| {
        document
            .get_i64(field)
            .ok()
            .and_then(|nanos| Timestamp::from_nanosecond(i128::from(nanos)).ok())
            .ok_or_else(|| format!("field {field} is not nanoseconds since the epoch"))
    };
    Ok(NodeRecord {
        id: id_of(document),
        host: text("host")?,
        pid: count("pid")?,
        instance: text("instance")?,
        started: time("started")?,
        last_heartbeat: time("last_heartbeat")?,
        running: count("running")?,
    })
}

impl MongoStore {
    fn node_documents(&self) -> &Collection<Document> {
        &self.inner.nodes
    }

    /// The node of `document`, or `None` (logged) when it does not read.
    fn read_node(&self, document: &Document) -> Option<NodeRecord> {
        match from_document(document) {
            Ok(node) => Some(node),
            Err(reason) => {
                tracing::warn!(
                    store = %self.inner.name,
                    node = %id_of(document),
                    reason,
                    "node record skipped: it cannot be read"
                );
                None
            }
        }
    }
}

#[async_trait]
impl NodeRegistry for MongoStore {
    async fn heartbeat(&self, node: &NodeRecord) -> Result<Option<NodeRecord>> {
        let beat = NodeRecord {
            last_heartbeat: self.now_on_lease_clock(node.last_heartbeat).await?,
            ..node.clone()
        };
        let previous = self
            .node_documents()
            .find_one_and_replace(doc! {"_id": &node.id}, to_document(&beat)?)
            .upsert(true)
            .return_document(ReturnDocument::Before)
            .await
            .map_err(|error| {
                self.failed_to(&format!("write the record of node {:?}", node.id), error)
            })?;
        Ok(previous.and_then(|document| self.read_node(&document)))
    }

    async fn list_nodes(&self, now: Timestamp) -> Result<(Vec<NodeRecord>, Timestamp)> {
        let what = "list the nodes";
        let cursor = self
            .node_documents()
            .find(doc! {})
            .sort(doc! {"_id": 1})
            .await
            .map_err(|error| self.failed_to(what, error))?;
        let nodes = self
            .documents(cursor, what)
            .await?
            .iter()
            .filter_map(|document| self.read_node(document))
            .collect();
        Ok((nodes, self.now_on_lease_clock(now).await?))
    }

    async fn remove_node(&self, id: &str, instance: &str) -> Result<()> {
        self.node_documents()
            .delete_one(doc! {"_id": id, "instance": instance})
            .await
            .map_err(|error| self.failed_to(&format!("remove the record of node {id:?}"), error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_round_trip_through_documents_to_the_nanosecond() {
        let started: Timestamp = "2026-01-01T09:00:00.123456789Z".parse().unwrap();
        let mut node = NodeRecord::new("tempora@web-1", "web-1", 4242, "3f2a9c", started);
        node.running = 7;
        let document = to_document(&node).unwrap();
        assert_eq!(document.get_str("_id").unwrap(), "tempora@web-1");
        assert_eq!(from_document(&document).unwrap(), node);
        let mut broken = document.clone();
        broken.insert("pid", "many");
        assert!(from_document(&broken).unwrap_err().contains("pid"));
    }

    #[test]
    fn node_times_beyond_2262_are_refused() {
        let far: Timestamp = "2300-01-01T00:00:00Z".parse().unwrap();
        let node = NodeRecord::new("n", "h", 1, "i", far);
        let error = to_document(&node).unwrap_err();
        assert_eq!(error.field(), Some("started"));
    }
}
