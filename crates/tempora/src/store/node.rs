//! The schedulers ("nodes") that share a store, as they announce
//! themselves: what `tempora nodes` lists.

use jiff::Timestamp;

/// One scheduler sharing a store, as its latest heartbeat left it.
///
/// A scheduler writes its record with
/// [`NodeRegistry::heartbeat`](crate::store::NodeRegistry::heartbeat) when it starts
/// using a store and then every third of its lease, and removes it when it
/// shuts down; a record whose heartbeat is older than a lease belongs to a
/// scheduler that stopped without saying so (killed, or cut off).
///
/// ```
/// use tempora::store::NodeRecord;
/// use tempora::jiff::Timestamp;
///
/// let started: Timestamp = "2026-01-01T09:00:00Z".parse()?;
/// let node = NodeRecord::new("tempora@web-1", "web-1", 4242, "3f2a9c", started);
/// assert_eq!(node.last_heartbeat, started);
/// assert_eq!(node.running, 0);
/// assert!(node.is_live("2026-01-01T09:00:05Z".parse()?, tempora::jiff::SignedDuration::from_secs(10)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRecord {
    /// The scheduler's node id, the owner of its leases and the `node` of
    /// its run records.
    pub id: String,
    /// The host it runs on.
    pub host: String,
    /// Its process id on that host.
    pub pid: u32,
    /// A random token of this start of the process: two records of one id
    /// with different instances are two processes using one node id.
    pub instance: String,
    /// When it started using the store.
    pub started: Timestamp,
    /// When it last said it is alive (by the store's lease clock).
    pub last_heartbeat: Timestamp,
    /// How many runs it had in progress then.
    pub running: u32,
}

impl NodeRecord {
    /// The record of a node starting at `started`: its first heartbeat is
    /// then, with no run in progress.
    pub fn new(
        id: impl Into<String>,
        host: impl Into<String>,
        pid: u32,
        instance: impl Into<String>,
        started: Timestamp,
    ) -> NodeRecord {
        NodeRecord {
            id: id.into(),
            host: host.into(),
            pid,
            instance: instance.into(),
            started,
            last_heartbeat: started,
            running: 0,
        }
    }

    /// True when its last heartbeat is less than `within` before `now`.
    pub fn is_live(&self, now: Timestamp, within: jiff::SignedDuration) -> bool {
        now.duration_since(self.last_heartbeat) < within
    }
}
