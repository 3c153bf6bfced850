//! What Tempora promises under faults, one test per fault, each named for
//! what a user relies on. Each test breaks the world — stops a database it
//! started itself, holds its locks, skews a node's clock, kills and
//! restarts the daemon — and checks from what actually ran (executions
//! counted inside the job), not from the scheduler's own bookkeeping.
//!
//! Tests that stop a server start a private one
//! ([`tempora_testkit::servers`]): their own port and data directory,
//! never the shared servers the other tests use.
//!
//! | module | the fault | what holds |
//! |---|---|---|
//! | `outcome_kept` | the store goes away while a run finishes | the outcome is written when it returns; the run never runs again |
//! | `retry_kept` | the store goes away while a run with retries fails | its retry is stored when the store returns, and runs once |
//! | `one_off_runs_once` | SIGHUP and restart after a `date` job fired | it ran once (counted in a file); its history, and a removed job's, is kept |
//! | `no_ddl_locks` | a long `pg_dump` holds ACCESS SHARE on every table | read commands and start take no exclusive lock; jobs keep firing; a read-only login reads; a newer schema is refused |
//! | `liveness_by_store_clock` | a node's clock is 8 s ahead or behind; a renewal lands between a sweep's read and its write | no live run is interrupted or undercounted; the renewal wins (PostgreSQL, MySQL) |
//! | `stale_by_store_clock` | a node's clock is 30 s ahead of PostgreSQL's | a job's `stale` notice is never sent before its deadline by the database's clock, and is sent once |
//! | `no_busy_loop` | a due job's row is locked by another transaction | the daemon backs off, then runs it |
//! | `graceful_shutdown` | SIGTERM while a command runs | the command sees TERM; the run is retried at the next start |
//! | `node_identity` | two daemons on one host, no `node_id` | the second refuses to start, naming the id, the first's pid and `node_id`; never two runs at once, none interrupted; a killed daemon's id is taken back at once |
//! | `bounded_calls` | the store is down at start, or a connection hangs | the daemon waits and logs; no call hangs |
//! | `long_outage` | a day (a week) away: 86,400 (604,800) missed fire times | deciding stays cheap; one `missed` record with the count, first and last |
//! | `bounded_resources` | a command floods its output; a grandchild keeps it open; a run waits for a busy worker | logs capped; no leak; past its grace it is missed, not run |
//! | `reload_atomic` | SIGHUP with a changed or broken file, or during start-up | every change applies (env, a removed key, a removed job, `paused`), or none (a mistake, a `[scheduler]` change); the log says which; the daemon lives |
//! | `secrets` | env values, store URL passwords (`sslpassword` too), the daemon's `PGPASSWORD` | shown as `***` in `jobs`, `check`, errors and the log unless asked; the daemon's env reaches a job only when it asks |
//! | `mongodb_claims` | a settlement cut short at any point | one transaction: the fire time is taken with its running record, or neither |
//! | `durability` | Redis without AOF restarts | a warning at connect; with AOF, jobs survive |

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod bounded_calls;
mod bounded_resources;
mod durability;
mod graceful_shutdown;
mod liveness_by_store_clock;
mod long_outage;
mod mongodb_claims;
mod no_busy_loop;
mod no_ddl_locks;
mod node_identity;
mod one_off_runs_once;
mod outcome_kept;
mod reload_atomic;
mod retry_kept;
mod secrets;
mod stale_by_store_clock;
