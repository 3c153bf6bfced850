//! Two claims of one job's runs at the same instant: the job's limit
//! (`max_instances`) held across schedulers.
//!
//! A scheduler counts a job's runs in progress on the other nodes before
//! it settles its claim, and the settlement writes its own running records.
//! Two schedulers that claim two runs of one job at once — two pending runs
//! (kept, backfilled, retried), or a pending run and a regular fire time —
//! may each count before the other's settlement, and both find the job
//! free. So each counts again once its settlement is in the store: of two
//! such claims, the one that counts last sees both, and gives way. (Both
//! may give way; each tries again a moment later, at a time of its own.)
//!
//! Giving way: the run does not start; its running record becomes a
//! missed one saying why; a pending run is stored again, due a moment
//! later; a fire time that the job's overlap policy keeps is kept as when
//! the job was found busy, and otherwise it is skipped as then.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::Engine;
use super::lifecycle::Staged;
use crate::event::Event;
use crate::history::RunRecord;
use crate::job::{Job, Overlap};
use crate::scheduler::plan::{Buffered, PENDING_RUN_POSTPONED, Plan};
use crate::store::{JobStore, RunHistory, Settled};
use crate::trigger::DateTrigger;

/// The most a pending run that gave way waits beyond
/// [`PENDING_RUN_POSTPONED`]: each node waits its own share of it, so
/// that two nodes that gave way to each other do not meet again.
const STAGGER_MILLIS: u64 = 500;

/// What a run that gives way needs to be tried again: the claimed run job
/// of a pending run, or the job whose overlap policy keeps its fire times.
pub(super) enum Comeback {
    /// A pending run: stored again.
    Pending(Job),
    /// A fire time of a job whose policy keeps it.
    Kept(Job, Overlap),
}

impl Engine {
    /// The won plans (by index) whose runs would take their job past its
    /// limit, counted again now that this node's settlement is in the
    /// store. When the count fails, the runs start, as they would have.
    pub(super) async fn crowded(
        &self,
        history: &dyn RunHistory,
        plans: &[Plan<Staged>],
        outcomes: &[Settled],
        now: Timestamp,
    ) -> HashSet<usize> {
        let starting: Vec<(usize, &Arc<str>, u32)> = plans
            .iter()
            .zip(outcomes)
            .enumerate()
            .filter(|(_, (_, outcome))| outcome.is_won())
            .filter_map(|(index, (plan, _))| {
                let staged = plan.staged.as_ref()?;
                Some((index, staged.job_id(), staged.limit()))
            })
            .collect();
        if starting.is_empty() {
            return HashSet::new();
        }
        let mut ids: Vec<&str> = starting.iter().map(|(_, id, _)| &***id).collect();
        ids.sort_unstable();
        ids.dedup();
        let elsewhere: HashMap<String, u32> =
            match history.running_counts(&ids, &self.node, now).await {
                Ok(counts) => counts,
                Err(error) => {
                    tracing::debug!(
                        %error,
                        "cannot count the runs in progress again; the runs claimed start"
                    );
                    return HashSet::new();
                }
            };
        starting
            .into_iter()
            .filter(|(_, id, limit)| {
                let others = elsewhere.get(&***id).copied().unwrap_or(0);
                others.saturating_add(self.running.count(id)) > *limit
            })
            .map(|(index, _, _)| index)
            .collect()
    }

    /// The runs of won plan `plan` give way (see the module's docs): they
    /// do not start, their records say why, and `comeback` says how they
    /// are tried again (kept fire times go to `kept`).
    pub(super) async fn give_way(
        &self,
        store_name: &str,
        store: &Arc<dyn JobStore>,
        plan: &mut Plan<Staged>,
        comeback: Option<Comeback>,
        kept: &mut Vec<Buffered>,
        now: Timestamp,
    ) {
        let Some(staged) = plan.staged.take() else {
            return;
        };
        let job_id = Arc::clone(staged.job_id());
        let limit = staged.limit();
        staged.call_off();
        let retried = matches!(comeback, Some(Comeback::Pending(_) | Comeback::Kept(..)));
        let message = format!(
            "run put off: another node started a run of the job at the same moment \
             (max_instances = {limit}){}",
            if retried { "; it runs later" } else { "" }
        );
        let mut times = Vec::new();
        for record in plan.running.drain(..) {
            times.push(record.scheduled_time);
            let missed = RunRecord::missed(
                &*record.job_id,
                record.scheduled_time,
                self.recorder.node(),
                now,
                record.fire_times,
                &message,
            )
            .with_attempt(record.attempt);
            self.recorder
                .write(store_name, store.as_ref(), &missed)
                .await;
        }
        tracing::warn!(job = %job_id, scheduled = ?times, "{message}");
        self.emit(Event::runs_refused(
            &job_id,
            store_name,
            times.clone(),
            message,
        ));
        match comeback {
            Some(Comeback::Pending(run_job)) => {
                let due = now
                    .checked_add(PENDING_RUN_POSTPONED + self.stagger(&job_id))
                    .unwrap_or(Timestamp::MAX);
                let again = Job {
                    trigger: DateTrigger::new(due).into(),
                    next_run_time: Some(due),
                    ..run_job
                };
                let id = Arc::clone(&again.id);
                match store.add_job(again, false).await {
                    Ok(()) => self.wakeup.wake_for(Some(due)),
                    Err(error) => tracing::error!(
                        job = %job_id,
                        pending_run = %id,
                        %error,
                        "cannot store the pending run again: it does not run"
                    ),
                }
            }
            Some(Comeback::Kept(job, policy)) => kept.push(Buffered { job, policy, times }),
            None => {}
        }
    }

    /// This node's share of [`STAGGER_MILLIS`] for job `job_id`.
    fn stagger(&self, job_id: &str) -> SignedDuration {
        let hash = foldhash::fast::FixedState::with_seed(0).hash_one((&*self.node, job_id));
        // The remainder is below STAGGER_MILLIS, so the cast is lossless.
        SignedDuration::from_millis((hash % STAGGER_MILLIS) as i64)
    }
}
