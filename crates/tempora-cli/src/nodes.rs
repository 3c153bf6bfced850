//! `tempora nodes`: the schedulers sharing the store, as their heartbeats
//! left them.
//!
//! One row per live node: its id, host, process id, when it started, its
//! last heartbeat, and the runs it had in progress then. A node is live
//! while its last heartbeat is younger than the lease (the configuration's
//! `lease`, 10 s unless set); `--all` lists the stopped ones too (killed,
//! or cut off: a node that shuts down removes its record). `--json` prints
//! every field.

use clap::Args;
use jiff::Timestamp;
use serde_json::Value;
use tempora::store::NodeRecord;
use tempora_api::views::NodeView;

use crate::Result;
use crate::config::DaemonConfig;
use crate::jobs::StoreArgs;
use crate::output::{local, relative, table};

/// `tempora nodes`.
#[derive(Debug, Args)]
pub struct NodesArgs {
    /// List the stopped nodes too: those whose last heartbeat is older than
    /// the lease.
    #[arg(long)]
    pub all: bool,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The columns of the nodes table.
pub const HEADER: [&str; 7] = [
    "ID",
    "HOST",
    "PID",
    "STARTED",
    "LAST HEARTBEAT",
    "RUNNING",
    "STATE",
];

/// Runs `tempora nodes` at `now`; returns what to print.
///
/// # Errors
///
/// A store that cannot be opened, or keeps no node records.
pub fn run(args: &NodesArgs, now: Timestamp) -> Result<String> {
    let opened = args.store.open()?;
    let lease = opened
        .config
        .as_ref()
        .map_or(tempora::scheduler::DEFAULT_LEASE, DaemonConfig::lease);
    let (nodes, store_now) = opened.block_on(opened.nodes()?.list_nodes(now))?;
    let shown: Vec<(&NodeRecord, bool)> = nodes
        .iter()
        .map(|node| (node, node.is_live(store_now, lease)))
        .filter(|(_, live)| args.all || *live)
        .collect();
    if args.store.json {
        let zone = &opened.zone;
        let views: Vec<NodeView> = shown
            .iter()
            .map(|(node, live)| NodeView::new(zone, node, *live))
            .collect();
        let values = serde_json::to_value(views).unwrap_or(Value::Null);
        return Ok(format!("{values}\n"));
    }
    if shown.is_empty() {
        return Ok(if nodes.is_empty() {
            "no nodes: no scheduler uses this store\n".to_owned()
        } else {
            format!(
                "no live nodes ({} stopped; --all lists them)\n",
                nodes.len()
            )
        });
    }
    let rows: Vec<[String; 7]> = shown
        .iter()
        .map(|(node, live)| {
            [
                node.id.clone(),
                node.host.clone(),
                node.pid.to_string(),
                local(&opened.zone, node.started),
                relative(node.last_heartbeat, store_now),
                node.running.to_string(),
                if *live { "live" } else { "stopped" }.to_owned(),
            ]
        })
        .collect();
    Ok(table(HEADER, &rows))
}
