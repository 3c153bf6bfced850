//! The capabilities a case needs of the store under test.

use tempora::store::{JobStore, NodeRegistry, RunHistory};

/// The capability traits of a store, for a test that needs them: a store
/// that lacks one fails the test with its name, instead of skipping it.
///
/// ```
/// use tempora::history::RunQuery;
/// use tempora::store::MemoryStore;
/// use tempora_testkit::Capabilities;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let store = MemoryStore::with_history();
/// assert!(store.run_history().list_runs(&RunQuery::new()).await?.is_empty());
/// assert!(store.node_registry().list_nodes(tempora::jiff::Timestamp::UNIX_EPOCH).await?.0.is_empty());
/// # Ok::<(), tempora::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Capabilities {
    /// The store's [`RunHistory`].
    ///
    /// # Panics
    ///
    /// When the store keeps no run history.
    fn run_history(&self) -> &dyn RunHistory;

    /// The store's [`NodeRegistry`].
    ///
    /// # Panics
    ///
    /// When the store keeps no node records.
    fn node_registry(&self) -> &dyn NodeRegistry;
}

impl<S: JobStore + ?Sized> Capabilities for S {
    fn run_history(&self) -> &dyn RunHistory {
        self.history()
            .unwrap_or_else(|| panic!("store {:?} keeps no run history", self.backend()))
    }

    fn node_registry(&self) -> &dyn NodeRegistry {
        self.nodes()
            .unwrap_or_else(|| panic!("store {:?} keeps no node records", self.backend()))
    }
}
