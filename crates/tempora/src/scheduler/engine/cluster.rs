//! The cluster: what this node shares with the others on a store — its
//! change notices (`watch_stores`), its node record and heartbeats, leaving
//! at shutdown — and telling when a failing store answers again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jiff::Timestamp;

use super::{Engine, SchedulerState, earliest};
use crate::error::Error;
use crate::store::{ChangeNotice, JobStore, NodeRecord};
use crate::sync::lock;

/// What a node keeps of its membership in the stores it shares with other
/// nodes.
#[derive(Default)]
pub(super) struct Membership {
    /// A token of this process, to tell it from another using its node id.
    instance: String,
    /// When the next heartbeat is due, per store name; absent before the
    /// first.
    next_beat: HashMap<String, Timestamp>,
    /// Stores asked for change notices (whatever the answer).
    asked: HashSet<String>,
    /// Stores whose change notices wake the loop.
    pub(super) watched: HashSet<String>,
}

impl Membership {
    /// A membership in no store yet, with a new token.
    pub(super) fn new() -> Membership {
        Membership {
            instance: uuid::Uuid::new_v4().simple().to_string(),
            ..Membership::default()
        }
    }
}

impl Engine {
    /// Asks each store not asked yet for its change notices, and lets
    /// every notice wake the loop when it comes before what it sleeps
    /// until.
    pub(super) async fn watch_stores(self: &Arc<Engine>) {
        for (name, store) in self.stores() {
            if store.locality().is_process() {
                continue;
            }
            let Some(changes) = store.changes() else {
                continue;
            };
            if !lock(&self.membership).asked.insert(name.clone()) {
                continue;
            }
            let mut feed = match changes.watch().await {
                Ok(feed) => feed,
                Err(error) => {
                    tracing::warn!(
                        store = %name,
                        %error,
                        "cannot listen for the store's change notices; re-reading it every poll interval"
                    );
                    continue;
                }
            };
            lock(&self.membership).watched.insert(name.clone());
            tracing::debug!(store = %name, "listening for the store's change notices");
            let engine = Arc::downgrade(self);
            tokio::spawn(async move {
                while let Some(notice) = feed.next().await {
                    let Some(engine) = engine.upgrade() else {
                        return;
                    };
                    if engine.state() == SchedulerState::ShutDown {
                        return;
                    }
                    match notice {
                        ChangeNotice::RunsAt(next) => engine.wakeup.wake_for(Some(next)),
                        ChangeNotice::Unknown => engine.wakeup.wake(),
                    }
                }
            });
        }
    }

    /// This node's record as of `now`.
    fn node_record(&self, now: Timestamp) -> NodeRecord {
        let started = lock(&self.started_at).unwrap_or(now);
        let instance = lock(&self.membership).instance.clone();
        let mut record = NodeRecord::new(
            self.node.clone(),
            crate::scheduler::host_name(),
            std::process::id(),
            instance,
            started,
        );
        record.last_heartbeat = now;
        record.running = u32::try_from(self.runs_in_progress()).unwrap_or(u32::MAX);
        record
    }

    /// Writes this node's heartbeat to each store other processes share,
    /// every third of the lease; returns when the next is due.
    pub(super) async fn heartbeats(
        &self,
        stores: &[(String, Arc<dyn JobStore>)],
        now: Timestamp,
    ) -> Option<Timestamp> {
        let interval = self.lease / 3;
        let mut wake_at = None;
        for (name, store) in stores {
            if store.locality().is_process() {
                continue;
            }
            let Some(nodes) = store.nodes() else {
                continue;
            };
            let due = lock(&self.membership).next_beat.get(name).copied();
            if let Some(due) = due
                && due > now
            {
                wake_at = earliest(wake_at, Some(due));
                continue;
            }
            let record = self.node_record(now);
            match nodes.heartbeat(&record).await {
                Ok(Some(previous))
                    if previous.instance != record.instance
                        && previous.is_live(now, self.lease)
                        && is_alive_elsewhere(&previous, &record) =>
                {
                    tracing::error!(
                        store = %name,
                        node = %self.node,
                        other_host = %previous.host,
                        other_pid = previous.pid,
                        "another live scheduler uses this node id ({} on {}, pid {}): give each scheduler its own node id",
                        self.node,
                        previous.host,
                        previous.pid
                    );
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(store = %name, %error, "cannot write this node's heartbeat");
                }
            }
            let next = now.checked_add(interval).ok();
            if let Some(next) = next {
                lock(&self.membership).next_beat.insert(name.clone(), next);
            }
            wake_at = earliest(wake_at, next);
        }
        wake_at
    }

    /// The live nodes of the stores other processes share (their last
    /// heartbeat younger than this node's lease, by each store's clock),
    /// by id, each once; `None` when no such store keeps node records.
    /// A store that fails is skipped (and logged).
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) async fn live_nodes(&self) -> Option<Vec<NodeRecord>> {
        let mut live: Option<Vec<NodeRecord>> = None;
        for (name, store) in self.stores() {
            if store.locality().is_process() {
                continue;
            }
            let Some(nodes) = store.nodes() else {
                continue;
            };
            let found = live.get_or_insert_with(Vec::new);
            match nodes.list_nodes(self.clock.now()).await {
                Ok((records, store_now)) => {
                    for record in records {
                        if record.is_live(store_now, self.lease)
                            && !found.iter().any(|known| known.id == record.id)
                        {
                            found.push(record);
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(store = %name, %error, "cannot list the store's nodes");
                }
            }
        }
        if let Some(found) = &mut live {
            found.sort_by(|a, b| a.id.cmp(&b.id));
        }
        live
    }

    /// Removes this node's record from the stores it wrote one to: it
    /// leaves.
    pub(super) async fn leave(&self) {
        let (instance, stores): (String, Vec<String>) = {
            let membership = lock(&self.membership);
            (
                membership.instance.clone(),
                membership.next_beat.keys().cloned().collect(),
            )
        };
        for name in stores {
            let Ok(store) = self.store(&name) else {
                continue;
            };
            let Some(nodes) = store.nodes() else {
                continue;
            };
            if let Err(error) = nodes.remove_node(&self.node, &instance).await {
                tracing::warn!(store = %name, %error, "cannot remove this node's record");
            }
        }
    }

    /// Says once that a store which failed answers again.
    pub(super) fn note_recoveries(
        &self,
        stores: &[(String, Arc<dyn JobStore>)],
        failed: &[(String, Error)],
    ) {
        let mut failing = lock(&self.failing);
        for (name, _) in stores {
            let fails = failed.iter().any(|(failed, _)| failed == name);
            if fails {
                failing.insert(name.clone());
            } else if failing.remove(name) {
                tracing::info!(store = %name, "store {name:?} answers again");
                self.recorder.store_answers();
            }
        }
        failing.retain(|name| stores.iter().any(|(store, _)| store == name));
    }
}

/// False when `previous`, a record of this node's id left by another
/// process, is of a process on this host that no longer runs (this node
/// restarted quickly): no other scheduler uses the id.
fn is_alive_elsewhere(previous: &NodeRecord, this: &NodeRecord) -> bool {
    if previous.host != this.host {
        return true;
    }
    previous.pid != this.pid && std::path::Path::new(&format!("/proc/{}", previous.pid)).exists()
}
