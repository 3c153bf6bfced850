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
//! | `one_off_runs_once` | restart and reload after a `date` job fired | it ran once; history is kept |
//! | `no_ddl_locks` | a long `pg_dump` holds ACCESS SHARE on every table | read commands and start take no exclusive lock; jobs keep firing |
//! | `liveness_by_store_clock` | a node's clock is off by seconds | no live run is interrupted or undercounted |
//! | `no_busy_loop` | a due job's row is locked by another transaction | the daemon backs off, then runs it |
//! | `graceful_shutdown` | SIGTERM while a command runs | the command sees TERM; the run is retried at the next start |
//! | `node_identity` | two daemons on one host, no `node_id` | never two runs at once, none marked interrupted |
//! | `bounded_calls` | the store is down at start, or a connection hangs | the daemon waits and logs; no call hangs |
//! | `long_outage` | a day (a week) away: 86,400 (604,800) missed fire times | deciding stays cheap; one `missed` record with the count, first and last |
//! | `bounded_resources` | a command floods its output; a grandchild keeps it open; a run waits for a busy worker | logs capped; no leak; past its grace it is missed, not run |
//! | `reload_atomic` | SIGHUP with a changed or broken file | all of it applies, or none |
//! | `secrets` | env values and passwords | shown as `***`; the daemon's env is not passed on |
//! | `mongodb_claims` | a crash between a claim and its record | one write: no fire time taken without a trace |
//! | `durability` | Redis without AOF restarts | a warning at connect; with AOF, jobs survive |

#![allow(clippy::unwrap_used, clippy::expect_used)]

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
mod secrets;
