//! Whose clock measures a lease: the choice every persistent store offers.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;

use crate::error::{Error, Result};

/// Whose clock measures a lease: when a claim taken by
/// [`JobStore::acquire_due`](crate::store::JobStore::acquire_due) expires,
/// and so when another scheduler may take the job over.
///
/// Every persistent store offers the same choice under the same names; in
/// a configuration file it reads `"database"` or `"caller"`. Due jobs are
/// always those whose next run time is at or before the scheduler's `now`,
/// whichever clock measures the leases.
///
/// The same clock measures the promises of running runs
/// ([`RunRecord::alive_until`](crate::history::RunRecord::alive_until)):
/// under `Database` a store keeps them on the server's clock and compares
/// them with the server's now when it takes dead nodes' runs as
/// interrupted and when it counts the runs in progress for
/// `max_instances`, so a scheduler whose clock is off by seconds neither
/// interrupts another one's live run nor undercounts it.
///
/// ```
/// use tempora::store::LeaseClock;
///
/// assert_eq!(LeaseClock::default(), LeaseClock::Database);
/// assert_eq!("caller".parse::<LeaseClock>()?, LeaseClock::Caller);
/// assert_eq!(LeaseClock::Caller.to_string(), "caller");
/// assert_eq!(
///     "server".parse::<LeaseClock>().unwrap_err().to_string(),
///     "lease_clock: \"server\" is not \"database\" or \"caller\""
/// );
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LeaseClock {
    /// The database server's clock (PostgreSQL `clock_timestamp()`, MySQL
    /// `NOW(6)`, Redis `TIME`, MongoDB's `hello` reply): a lease lasts its
    /// duration on the server, whatever the schedulers' host clocks say, so
    /// a scheduler whose clock runs ahead cannot take over a job another
    /// one still holds. The default of the server databases. SQLite is
    /// embedded and has no clock of its own: there it means the caller's
    /// `now`.
    #[default]
    Database,
    /// The `now` the scheduler passes to
    /// [`acquire_due`](crate::store::JobStore::acquire_due): a lease taken
    /// at `now` for `d` has expired for a call made at `now + d`. SQLite's
    /// default, and what tests driving a manual clock want.
    Caller,
}

impl LeaseClock {
    /// Its name in a configuration file: `"database"` or `"caller"`.
    ///
    /// ```
    /// use tempora::store::LeaseClock;
    ///
    /// assert_eq!(LeaseClock::Database.as_str(), "database");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            LeaseClock::Database => "database",
            LeaseClock::Caller => "caller",
        }
    }
}

impl fmt::Display for LeaseClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LeaseClock {
    type Err = Error;

    fn from_str(text: &str) -> Result<LeaseClock> {
        match text {
            "database" => Ok(LeaseClock::Database),
            "caller" => Ok(LeaseClock::Caller),
            _ => Err(Error::invalid(
                "lease_clock",
                format!("{text:?} is not \"database\" or \"caller\""),
            )),
        }
    }
}

/// A running record's promise moved onto a store's clock: `alive_until`,
/// promised at `promised_at` on the caller's clock, becomes the same length
/// of time counted from `store_now`, the store's clock. What a store whose
/// [`LeaseClock`] is [`LeaseClock::Database`] writes when it records or
/// renews a run, so that a node whose clock is off neither shortens nor
/// stretches its promise. Saturates at [`Timestamp::MAX`].
///
/// ```
/// use tempora::jiff::Timestamp;
/// use tempora::store::promise_on_store_clock;
///
/// // A node 8 s ahead promises 10 s; the store's clock reads 8 s less.
/// let promised_at: Timestamp = "2026-01-01T00:00:08Z".parse()?;
/// let alive_until: Timestamp = "2026-01-01T00:00:18Z".parse()?;
/// let store_now: Timestamp = "2026-01-01T00:00:00Z".parse()?;
/// assert_eq!(
///     promise_on_store_clock(alive_until, promised_at, store_now).to_string(),
///     "2026-01-01T00:00:10Z"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn promise_on_store_clock(
    alive_until: Timestamp,
    promised_at: Timestamp,
    store_now: Timestamp,
) -> Timestamp {
    store_now
        .saturating_add(alive_until.duration_since(promised_at))
        .unwrap_or(Timestamp::MAX)
}
