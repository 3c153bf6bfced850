//! The one job store conformance suite: every Tempora store backend, the
//! memory store included, runs the same test bodies (as tokio's
//! `rt_common.rs` runs one body on every runtime flavour).
//!
//! A backend's test file gives a *factory*, an async function returning a
//! [`StoreUnderTest`]: a fresh store of its own (its own table prefix, key
//! prefix, database file), plus what the backend can do for the tests that
//! need more than the [`JobStore`](tempora::store::JobStore) trait — open a second instance on the
//! same database ([`StoreUnderTest::reopen`]), write a job this release
//! cannot read ([`StoreUnderTest::corrupt`]) and read it back as written
//! ([`StoreUnderTest::stored_form`]), drop what the test created
//! ([`StoreUnderTest::cleanup`]). Then one macro call expands to one
//! `#[tokio::test]` per case:
//!
//! ```
//! use tempora::store::MemoryStore;
//! use tempora_testkit::StoreUnderTest;
//!
//! async fn memory() -> StoreUnderTest {
//!     StoreUnderTest::new(MemoryStore::new())
//!         .no_reopen("the memory store keeps nothing across instances")
//!         .no_corrupt("the memory store holds jobs, not a stored form")
//!         .no_stored_form("the memory store holds jobs, not a stored form")
//! }
//!
//! // In tests/memory.rs: one #[tokio::test] per case of the suite.
//! // tempora_testkit::store_conformance_tests!(memory);
//!
//! // A case can also be run alone:
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async {
//! tempora_testkit::suite::add_get_and_list(memory().await).await;
//! # });
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Cases that a backend cannot run (a memory store cannot be reopened) are
//! skipped only with the reason the factory gives, printed in the test's
//! output; a factory that says nothing fails those cases.
//!
//! New store behaviour goes into the suite first; a backend's own tests
//! cover only its dialect (its URL, its schema, what an operator reads).

#![deny(missing_docs)]

mod capabilities;
pub mod cluster;
mod fixture;
pub mod harness;
pub mod jobs;
pub mod notify;
pub mod openapi;
pub mod servers;
pub mod suite;
pub mod upgrade;
pub mod urls;

pub use crate::capabilities::Capabilities;
pub use crate::fixture::{
    StoreFuture, StoreUnderTest, StoredFuture, UnitFuture, connected, unique_prefix,
};

/// One `#[tokio::test]` (multi-threaded) per case of [`suite`], each
/// calling the factory given (a path to an `async fn() -> StoreUnderTest`)
/// for a fresh store.
///
/// The calling crate needs `tokio` (with `macros` and `rt-multi-thread`)
/// among its dev-dependencies. See the [crate docs](crate) for an example.
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:path) => {
        $crate::store_conformance_tests!(@cases $factory;
            add_get_and_list,
            add_refuses_a_taken_id_unless_replacing,
            update_replaces_a_stored_job,
            remove_and_remove_all,
            list_orders_by_next_run_time_then_id_paused_last,
            paused_jobs_are_kept_but_never_due,
            next_run_time_is_the_earliest_unclaimed,
            acquire_due_claims_due_jobs_earliest_first_within_the_limit,
            a_claimed_job_is_not_claimed_again_under_a_live_lease,
            an_expired_lease_is_taken_over,
            release_reschedules_or_removes,
            release_after_a_concurrent_change_keeps_the_change,
            release_of_a_removed_job_does_nothing,
            concurrent_claims_never_share_a_job,
            odd_and_big_payloads_round_trip,
            a_job_with_calendars_round_trips,
            a_closure_job_is_refused_unless_the_store_keeps_closures,
            run_history_records_and_updates,
            run_history_keeps_exit_status_and_output,
            run_history_lists_with_filters_newest_first,
            run_history_renews_and_interrupts_abandoned_runs,
            run_promises_are_kept_on_the_stores_clock,
            a_renewal_racing_a_sweep_wins_or_finds_nothing,
            run_history_prunes_by_count_and_age,
            an_unreadable_job_is_kept_skipped_and_listed,
            a_job_that_cannot_be_read_is_kept_as_written_and_reported,
            a_new_instance_sees_everything_after_a_restart,
            settle_takes_fire_times_keeps_records_and_releases,
            a_stalled_owner_loses_its_settlement,
            a_stale_claim_of_the_same_owner_loses,
            racing_owners_win_each_fire_time_once,
            previous_fire_time_survives_updates_and_restarts,
            running_counts_count_live_runs_of_other_nodes,
            a_won_settlement_is_counted_by_other_nodes_at_once,
            node_records_heartbeat_list_and_remove,
            removing_a_job_keeps_its_run_history,
            due_times_are_kept_to_the_microsecond_rounded_up,
            a_zero_lease_claims_each_job_once_per_call,
            extreme_times_are_ordered,
            remove_all_jobs_empties_only_its_own_prefix,
            a_job_fixed_by_hand_is_restored,
            leases_are_measured_on_the_stores_clock,
            store_now_reads_the_stores_clock,
            record_runs_keeps_the_last_of_two_records_of_one_key,
            a_change_made_elsewhere_reaches_the_watch_feed,
            only_a_change_that_makes_a_job_due_sooner_is_noticed,
            a_release_applies_on_top_of_a_change_to_other_fields,
            a_jobs_timeout_round_trips_and_older_jobs_have_none,
            a_settlement_keeps_a_change_made_while_the_job_was_claimed,
            a_lost_settlement_drops_its_lease,
            next_run_time_counts_a_claimed_job_at_its_lease_expiry,
            a_long_history_lists_through_pages_and_prunes,
            the_overlap_policy_round_trips,
            retry_options_and_pending_runs_round_trip,
            attempts_of_one_fire_time_are_separate_records,
            latest_runs_answer_the_newest_record_of_each_job,
        );
    };
    (@cases $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let under_test = $factory().await;
                $crate::suite::$case(under_test).await;
            }
        )*
    };
}
