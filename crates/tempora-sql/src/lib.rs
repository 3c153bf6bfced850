//! SQL job stores for Tempora, through sqlx.
//!
//! [`SqliteStore`] keeps jobs in a SQLite file: the embedded default of the
//! `tempora` daemon. Each job is one row: its [`StoredJob`](tempora::job::StoredJob)
//! JSON, its next run time as an indexed UTC column, and its claim (owner
//! and lease expiry), so an operator can read the table with `sqlite3`:
//!
//! ```text
//! sqlite3 tempora.db "SELECT id, datetime(next_run_time / 1000000, 'unixepoch'), owner FROM jobs"
//! ```

mod sqlite;

pub use crate::sqlite::SqliteStore;
