//! The options every SQL store takes besides its URL.

use std::time::Duration;

use tempora::store::backend::StoreOptions;
use tempora::{Error, Result};

/// The longest table prefix: PostgreSQL truncates identifiers at 63 bytes,
/// and the longest name made from the prefix is `{prefix}runs_scheduled_time`.
pub(crate) const MAX_PREFIX: usize = 40;

/// How long after the statement timeout the store gives up on a call.
const CALL_MARGIN: Duration = Duration::from_secs(5);

/// Options of a SQL store, besides its URL.
///
/// ```
/// use std::time::Duration;
/// use tempora_sql::{LeaseClock, SqlOptions};
///
/// let options = SqlOptions::new()
///     .prefix("billing_")
///     .name("billing")
///     .lease_clock(LeaseClock::Caller)
///     .max_connections(8)
///     .connect_timeout(Duration::from_secs(5))
///     .statement_timeout(Duration::from_secs(60));
/// assert_eq!(options.store.prefix, "billing_");
/// assert_eq!(options.store.name, "billing");
/// assert_eq!(SqlOptions::new().store.prefix, "tempora_");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqlOptions {
    /// The options every store takes: its name (default `"default"`),
    /// what its table names start with (default `tempora_`: the jobs live
    /// in `{prefix}jobs`, the run history in `{prefix}runs`; letters,
    /// digits and `_`, at most 40), and whose clock measures leases
    /// (`None` for the backend's default: the database's for PostgreSQL
    /// and MySQL, the caller's for SQLite).
    pub store: StoreOptions,
    /// The most connections the store's pool opens (default 4 for SQLite,
    /// 10 for the servers). SQLite's store holds one more connection, of its
    /// own, for every write.
    pub max_connections: Option<u32>,
    /// How long connecting, or waiting for a free connection, may take
    /// before a call fails (default 10 s).
    pub connect_timeout: Duration,
    /// How long one statement may run (default 30 s): the server cancels
    /// it then (PostgreSQL's `statement_timeout` unless the URL's
    /// `options` set one; MySQL's `innodb_lock_wait_timeout` and
    /// `lock_wait_timeout` for the locks it waits for), and the store
    /// gives up on a call 5 s later whatever the server does, closing its
    /// connection, so a connection that went silent (a dropped network
    /// path) fails the call instead of hanging it for the kernel's TCP
    /// timeout. A PostgreSQL transaction left idle this long is ended by
    /// the server (`idle_in_transaction_session_timeout`), releasing the
    /// row locks of a client that vanished.
    pub statement_timeout: Duration,
}

impl Default for SqlOptions {
    fn default() -> SqlOptions {
        SqlOptions {
            store: StoreOptions::new("tempora_"),
            max_connections: None,
            connect_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

tempora::store_options_methods!(
    SqlOptions,
    store,
    "What the store's table names start with (default `tempora_`): letters, digits and `_`, \
     at most 40."
);

impl SqlOptions {
    /// The default options.
    pub fn new() -> SqlOptions {
        SqlOptions::default()
    }

    /// The most connections the pool opens.
    pub fn max_connections(mut self, max: u32) -> SqlOptions {
        self.max_connections = Some(max);
        self
    }

    /// How long connecting may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> SqlOptions {
        self.connect_timeout = timeout;
        self
    }

    /// How long one statement may run.
    pub fn statement_timeout(mut self, timeout: Duration) -> SqlOptions {
        self.statement_timeout = timeout;
        self
    }

    /// How long the store waits for a call's answer before it gives up:
    /// the statement timeout and a margin for the server's own cancel.
    pub(crate) fn call_timeout(&self) -> Duration {
        self.statement_timeout.saturating_add(CALL_MARGIN)
    }

    /// Checks the prefix and the connection count.
    pub(crate) fn check(&self) -> Result<()> {
        if !self
            .store
            .prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Error::invalid(
                "prefix",
                format!(
                    "{:?} may hold only letters, digits and _",
                    self.store.prefix
                ),
            ));
        }
        if self.store.prefix.len() > MAX_PREFIX {
            return Err(Error::invalid(
                "prefix",
                format!(
                    "{:?} is longer than {MAX_PREFIX} characters",
                    self.store.prefix
                ),
            ));
        }
        if self.statement_timeout < Duration::from_secs(1) {
            return Err(Error::invalid(
                "statement_timeout",
                format!("{:?} is too short: at least 1 s", self.statement_timeout),
            ));
        }
        if self.max_connections == Some(0) {
            return Err(Error::invalid(
                "max_connections",
                "0 is not allowed: at least 1",
            ));
        }
        Ok(())
    }
}
