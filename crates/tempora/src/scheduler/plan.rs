//! The planning step of the cycle, pure: a batch of claimed jobs, "now"
//! and the runs in progress elsewhere in, each job's settlement (what the
//! store takes and keeps) and plan (what follows if the settlement is won)
//! out.
//!
//! Whether a job's runs can start (an instance taken, its executor there)
//! is asked of the caller, through the `start` argument of
//! [`plan_claimed`]; everything else here is a function of its inputs:
//! the decision (`decide`), the release, the missed and refused records
//! and their notices.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;

use super::decide::{DECISION_STEPS, Decision, decide_into};
use crate::event::{Event, EventKind};
use crate::executor::RunTimes;
use crate::history::{RunRecord, RunStatus};
use crate::job::{Job, Overlap};
use crate::store::{Release, Settlement};

/// The most trigger steps the decisions of one claimed batch take in all
/// (shared among its jobs, each getting at least [`MIN_JOB_STEPS`] and at
/// most [`DECISION_STEPS`]), so that deciding a batch stays well inside
/// the lease however long the scheduler was away; a job with more fire
/// times left is decided further at once, in the next batch.
const BATCH_STEPS: u64 = 1_000_000;

/// The fewest trigger steps one job's decision gets.
const MIN_JOB_STEPS: u64 = 1_000;

/// How loud a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    Warn,
    Error,
}

/// What to tell of a job once its decision stands: a log line and an
/// event.
#[derive(Debug)]
pub(crate) struct Notice {
    pub(crate) severity: Severity,
    pub(crate) line: String,
    pub(crate) event: Box<Event>,
}

/// Why runs could not start, for their history record.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// No such task, executor or runtime: recorded as an error.
    Failed { message: String, notice: Notice },
    /// `max_instances` reached on this node: recorded as missed.
    MaxInstances { message: String, notice: Notice },
    /// `max_instances` reached counting the other nodes' runs: recorded as
    /// missed.
    Elsewhere { message: String, notice: Notice },
}

/// Whether a job's runs can start, as the caller of [`plan_claimed`]
/// found: `S` is what it keeps of runs ready to start.
pub(crate) enum Start<S> {
    /// Ready (an instance taken), with their running records.
    Ready(S, Vec<RunRecord>),
    /// They cannot start.
    Refused(Refusal),
}

/// Where and when a batch is planned.
pub(crate) struct Planning<'a> {
    /// The name of the store the jobs were claimed from.
    pub(crate) store: &'a str,
    /// This node's id, for the records.
    pub(crate) node: &'a str,
    pub(crate) now: Timestamp,
    /// The store keeps this node's run records.
    pub(crate) keeps_history: bool,
}

/// One claimed job's part of a settlement: what follows if it is won.
pub(crate) struct Plan<S> {
    pub(crate) job_id: Arc<str>,
    /// The runs ready to start (an instance taken).
    pub(crate) staged: Option<S>,
    /// Their running records, which the settlement writes, to keep renewed.
    pub(crate) running: Vec<RunRecord>,
    /// What to tell: misses, runs refused.
    pub(crate) notices: Vec<Notice>,
    /// The job is removed: its trigger is exhausted.
    pub(crate) removed: bool,
    /// Fire times that came while the job ran its limit of runs, kept to
    /// run when a run ends (its overlap policy buffers them). Boxed: few
    /// plans have them, and a plan is moved several times on its way.
    pub(crate) buffered: Option<Box<Buffered>>,
}

/// Fire times of a job kept to run once a run of it ends, as its overlap
/// policy says ([`Overlap::BufferOne`], [`Overlap::BufferAll`],
/// [`Overlap::CancelOther`]).
#[derive(Debug)]
pub(crate) struct Buffered {
    /// The job as claimed: its run jobs are made from it.
    pub(crate) job: Job,
    pub(crate) policy: Overlap,
    /// The fire times kept, oldest first: one per run (a coalesced run's
    /// latest).
    pub(crate) times: Vec<Timestamp>,
}

/// How many trigger steps each job of a batch of `claimed` gets.
fn steps_per_job(claimed: usize) -> u64 {
    (BATCH_STEPS / claimed.max(1) as u64).clamp(MIN_JOB_STEPS, DECISION_STEPS)
}

/// Plans a batch of claimed jobs at `at.now`: decides each (within its
/// share of the batch's trigger steps), asks `start` whether its runs can
/// start (given its runs in progress on other nodes, from `elsewhere`),
/// and appends the settlements and plans to `settlements` and `plans`, in
/// the order of `claimed` (the caller keeps them from batch to batch, so
/// that their memory is taken once). `start` takes the runs it starts out
/// of the runs it is given, and leaves those it refuses.
pub(crate) fn plan_claimed<S>(
    claimed: Vec<Job>,
    elsewhere: &HashMap<String, u32>,
    at: &Planning<'_>,
    mut start: impl FnMut(&Job, &mut Vec<RunTimes>, u32) -> Start<S>,
    settlements: &mut Vec<Settlement>,
    plans: &mut Vec<Plan<S>>,
) {
    let count = claimed.len();
    let steps = steps_per_job(count);
    settlements.reserve(count);
    plans.reserve(count);
    // The vector of runs goes from decision to decision: `start` takes
    // the runs it starts out of it, and leaves its memory.
    let mut spare = Vec::new();
    for job in claimed {
        let others = elsewhere.get(&*job.id).copied().unwrap_or(0);
        let mut decision = decide_into(&job, at.now, steps, spare);
        let started = if decision.runs.is_empty() {
            None
        } else {
            Some(start(&job, &mut decision.runs, others))
        };
        plans.push(plan_job(at, job, &decision, started, settlements));
        spare = decision.runs;
    }
}

/// How long a pending run waits when its job already runs
/// `max_instances` times, before it is looked at again.
pub(crate) const PENDING_RUN_POSTPONED: jiff::SignedDuration = jiff::SignedDuration::from_secs(1);

/// Plans a claimed run job (a pending run of `parent`, see
/// [`crate::job::RunOf`]) at `at.now`: the parent's run for the pending
/// fire time and attempt, asked of `start` (given the parent's runs in
/// progress on other nodes, `others`); when the parent is gone, the run
/// job's copy of it runs. The run job is removed when its run starts or
/// cannot start at all, and when its parent is paused; it is put off by
/// [`PENDING_RUN_POSTPONED`] while the parent runs `max_instances` times.
pub(crate) fn plan_pending_run<S>(
    claimed: Job,
    parent: Option<&Job>,
    others: u32,
    at: &Planning<'_>,
    start: impl FnOnce(&Job, &mut Vec<RunTimes>, u32, u32) -> Start<S>,
) -> (Settlement, Plan<S>) {
    let due = claimed.next_run_time;
    let mut plan = Plan {
        job_id: Arc::clone(&claimed.id),
        staged: None,
        running: Vec::new(),
        notices: Vec::new(),
        removed: false,
        buffered: None,
    };
    let stand_in = match parent {
        Some(_) => None,
        None => claimed.stand_in_parent(),
    };
    let (Some(run_of), Some(parent)) = (claimed.run_of.clone(), parent.or(stand_in.as_ref()))
    else {
        return (Settlement::new(claimed, due, Release::Remove), plan);
    };
    if parent.is_paused() {
        tracing::info!(
            job = %parent.id,
            scheduled = %run_of.scheduled_time,
            attempt = run_of.attempt,
            "pending run ({}) dropped: its job is paused",
            run_of.kind
        );
        return (Settlement::new(claimed, due, Release::Remove), plan);
    }
    let mut runs = vec![RunTimes::One(run_of.scheduled_time)];
    match start(parent, &mut runs, others, run_of.attempt) {
        Start::Ready(staged, running) => {
            plan.staged = Some(staged);
            let mut settlement = Settlement::new(claimed, due, Release::Remove);
            if at.keeps_history {
                settlement.records = running.clone();
                plan.running = running;
            }
            (settlement, plan)
        }
        Start::Refused(Refusal::MaxInstances { .. } | Refusal::Elsewhere { .. }) => {
            tracing::debug!(
                job = %parent.id,
                scheduled = %run_of.scheduled_time,
                attempt = run_of.attempt,
                "pending run put off: the job runs its maximum number of instances"
            );
            let later = at
                .now
                .checked_add(PENDING_RUN_POSTPONED)
                .unwrap_or(Timestamp::MAX);
            (
                Settlement::new(claimed, None, Release::Reschedule(later)),
                plan,
            )
        }
        Start::Refused(refusal) => {
            let (record, notice) = refused(at.node, parent, &runs, refusal, at.now);
            plan.notices.push(notice);
            let mut settlement = Settlement::new(claimed, due, Release::Remove);
            if at.keeps_history {
                settlement.records.push(record.with_attempt(run_of.attempt));
            }
            (settlement, plan)
        }
    }
}

/// One job's plan, from its decision (its misses among it) and whether
/// its runs start; its settlement goes to `settlements` (the job moves
/// into it once, not through a value returned and pushed).
fn plan_job<S>(
    at: &Planning<'_>,
    job: Job,
    decision: &Decision,
    started: Option<Start<S>>,
    settlements: &mut Vec<Settlement>,
) -> Plan<S> {
    let release = match decision.next_run_time {
        Some(next) => Release::Reschedule(next),
        None => Release::Remove,
    };
    let mut records = Vec::new();
    let mut notices = Vec::new();
    let mut running = Vec::new();
    let mut buffered = None;
    if let Some((record, notice)) = missed(at, &job, decision) {
        records.push(record);
        notices.push(notice);
    }
    let staged = match started {
        None => None,
        Some(Start::Ready(staged, records)) => {
            running = records;
            Some(staged)
        }
        Some(Start::Refused(refusal)) => {
            let (kept, dropped, refusal) = buffer(&job, &decision.runs, refusal);
            if let Some(policy) = job.overlap()
                && !kept.is_empty()
            {
                buffered = Some(Box::new(Buffered {
                    job: job.clone(),
                    policy,
                    times: kept,
                }));
            }
            if !dropped.is_empty() {
                let (record, notice) = refused(at.node, &job, &dropped, refusal, at.now);
                records.push(record);
                notices.push(notice);
            }
            None
        }
    };
    if at.keeps_history {
        records.extend(running.iter().cloned());
    } else {
        records.clear();
        running.clear();
    }
    let plan = Plan {
        job_id: Arc::clone(&job.id),
        staged,
        running,
        notices,
        removed: release == Release::Remove,
        buffered,
    };
    settlements.push(Settlement {
        claimed: job,
        takes_through: decision.takes_through,
        records,
        release,
    });
    plan
}

/// What the overlap policy of `job` keeps of `runs` refused at its limit
/// of runs: the fire times it buffers (one per run: a coalesced run's
/// latest), the runs it drops, and the refusal to record them with (its
/// message saying why they were dropped).
///
/// `buffer_all` keeps every run; `buffer_one` the oldest (later ones are
/// dropped, as are fire times that come while one is buffered);
/// `cancel_other` the latest, which replaces the run in progress. Other
/// policies keep none.
fn buffer(
    job: &Job,
    runs: &[RunTimes],
    refusal: Refusal,
) -> (Vec<Timestamp>, Vec<RunTimes>, Refusal) {
    let latest = |run: &RunTimes| run.last().copied();
    let (kept, dropped): (Vec<Timestamp>, Vec<RunTimes>) = match (job.overlap(), &refusal) {
        (
            Some(policy @ (Overlap::BufferOne | Overlap::BufferAll | Overlap::CancelOther)),
            Refusal::MaxInstances { .. } | Refusal::Elsewhere { .. },
        ) => {
            let keep = match policy {
                Overlap::BufferAll => runs.len(),
                _ => 1,
            };
            let (kept, dropped) = match policy {
                // The latest replaces the run in progress.
                Overlap::CancelOther => {
                    let split = runs.len().saturating_sub(keep);
                    let (dropped, kept) = runs.split_at(split);
                    (kept, dropped)
                }
                _ => runs.split_at(keep.min(runs.len())),
            };
            (kept.iter().filter_map(latest).collect(), dropped.to_vec())
        }
        _ => (Vec::new(), runs.to_vec()),
    };
    if kept.is_empty() || dropped.is_empty() {
        return (kept, dropped, refusal);
    }
    // Some are kept (so the refusal is the limit's): the others are
    // dropped for that.
    let (message, mut notice) = match refusal {
        Refusal::MaxInstances { message, notice } | Refusal::Elsewhere { message, notice } => {
            (message, notice)
        }
        failed @ Refusal::Failed { .. } => return (kept, dropped, failed),
    };
    notice.event.scheduled_run_times = dropped.iter().flatten().copied().collect();
    let policy = job.overlap().map_or("", Overlap::as_str);
    let message = format!("{message}; overlap = \"{policy}\" keeps one fire time of these");
    (kept, dropped, Refusal::MaxInstances { message, notice })
}

/// The misses of a decision: one missed record covering them all, and
/// its event and log line.
fn missed(at: &Planning<'_>, job: &Job, decision: &Decision) -> Option<(RunRecord, Notice)> {
    let latest = decision.missed.last()?;
    let late = at.now.duration_since(*latest);
    let message = format!(
        "{} run(s) missed: the latest was {late:#} late, more than the misfire grace time of {}",
        decision.missed_count,
        job.misfire_grace_time()
    );
    let mut event = Event::new(EventKind::JobMissed)
        .with_job(&job.id, at.store)
        .with_run_times(decision.missed.clone());
    event.error = Some(message.clone());
    event.status = Some(crate::history::RunStatus::Missed);
    event.fire_times = decision.missed_count.max(decision.missed.len());
    let notice = Notice {
        severity: Severity::Warn,
        line: format!("run missed: {message}"),
        event: Box::new(event),
    };
    let record = RunRecord::missed(
        &*job.id,
        *latest,
        at.node,
        at.now,
        u32::try_from(decision.missed_count).unwrap_or(u32::MAX),
        message,
    );
    let record = match decision.first_missed {
        Some(first) if first < *latest => record.with_first_scheduled_time(first),
        _ => record,
    };
    Some((record, notice))
}

/// The record (kept by node `node`) and notice of runs that cannot start.
pub(crate) fn refused(
    node: &str,
    job: &Job,
    runs: &[RunTimes],
    refusal: Refusal,
    now: Timestamp,
) -> (RunRecord, Notice) {
    let latest = runs.iter().flatten().max().copied().unwrap_or(now);
    let fire_times =
        u32::try_from(runs.iter().map(|run| run.len()).sum::<usize>()).unwrap_or(u32::MAX);
    match refusal {
        Refusal::Failed { message, notice } => {
            let mut record = RunRecord::running(&*job.id, latest, node, now, now)
                .with_fire_times(fire_times)
                .finish(RunStatus::Error, now, None, Some(message));
            // It never started.
            record.started = None;
            (record, notice)
        }
        Refusal::MaxInstances { message, notice } | Refusal::Elsewhere { message, notice } => {
            let record = RunRecord::missed(&*job.id, latest, node, now, fire_times, message);
            (record, notice)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::MisfireGraceTime;
    use crate::scheduler::decide::tests::{at, minutely};
    use crate::trigger::DateTrigger;
    use jiff::SignedDuration;

    /// Job `id`, every minute from midnight, with a grace time of 30 s.
    fn job(id: &str) -> Job {
        let mut job = minutely(
            false,
            MisfireGraceTime::Limit(SignedDuration::from_secs(30)),
        );
        job.id = Arc::from(id);
        job
    }

    /// Plans `claimed` into new buffers.
    fn plan<S>(
        claimed: Vec<Job>,
        elsewhere: &HashMap<String, u32>,
        at: &Planning<'_>,
        start: impl FnMut(&Job, &mut Vec<RunTimes>, u32) -> Start<S>,
    ) -> (Vec<Settlement>, Vec<Plan<S>>) {
        let (mut settlements, mut plans) = (Vec::new(), Vec::new());
        plan_claimed(claimed, elsewhere, at, start, &mut settlements, &mut plans);
        (settlements, plans)
    }

    fn planning(now: &str, keeps_history: bool) -> Planning<'static> {
        Planning {
            store: "default",
            node: "n1",
            now: at(now),
            keeps_history,
        }
    }

    /// What `start` answers in a case.
    #[derive(Clone, Copy)]
    enum Answer {
        Ready,
        Failed,
        MaxInstances,
        Elsewhere,
    }

    fn answer(answer: Answer, job: &Job, runs: &[RunTimes]) -> Start<&'static str> {
        let running = || {
            let at = |times: &RunTimes| *times.last().unwrap();
            let record =
                |times| RunRecord::running(&*job.id, at(times), "n1", at(times), at(times));
            runs.iter().map(record).collect()
        };
        let notice = |severity, kind| Notice {
            severity,
            line: "line".to_owned(),
            event: Box::new(Event::new(kind)),
        };
        let message = "refused".to_owned();
        Start::Refused(match answer {
            Answer::Ready => return Start::Ready("staged", running()),
            Answer::Failed => Refusal::Failed {
                message,
                notice: notice(Severity::Error, EventKind::JobError),
            },
            Answer::MaxInstances => Refusal::MaxInstances {
                message,
                notice: notice(Severity::Warn, EventKind::JobMaxInstances),
            },
            Answer::Elsewhere => Refusal::Elsewhere {
                message,
                notice: notice(Severity::Warn, EventKind::JobMaxInstances),
            },
        })
    }

    /// One claimed job planned at `now` and what comes out: the statuses
    /// of the records its settlement keeps, its notices, whether its runs
    /// start, its release.
    struct Case {
        name: &'static str,
        job: Job,
        now: &'static str,
        answer: Answer,
        keeps_history: bool,
        records: &'static [RunStatus],
        notices: &'static [(Severity, EventKind)],
        release: Release,
    }

    impl Case {
        /// Job `a` planned on time, `start` answering `answer`, with history.
        fn new(name: &'static str, answer: Answer) -> Case {
            Case {
                name,
                job: job("a"),
                now: "2026-01-01T00:00:00Z",
                answer,
                keeps_history: true,
                records: &[],
                notices: &[],
                release: Release::Reschedule(at("2026-01-01T00:01:00Z")),
            }
        }

        fn expect(
            mut self,
            records: &'static [RunStatus],
            notices: &'static [(Severity, EventKind)],
        ) -> Case {
            self.records = records;
            self.notices = notices;
            self
        }
    }

    #[test]
    fn each_claimed_job_becomes_a_settlement_and_a_plan() {
        use EventKind::{JobError, JobMaxInstances, JobMissed};
        use RunStatus::{Error, Missed, Running};
        use Severity::Warn;
        let cases = [
            Case::new("on time: one run starts, recorded running", Answer::Ready)
                .expect(&[Running], &[]),
            Case {
                keeps_history: false,
                ..Case::new(
                    "no history: the run starts, nothing recorded",
                    Answer::Ready,
                )
            },
            Case {
                now: "2026-01-01T00:05:10Z",
                release: Release::Reschedule(at("2026-01-01T00:06:00Z")),
                ..Case::new(
                    "late past the grace time: missed, the latest runs",
                    Answer::Ready,
                )
                .expect(&[Missed, Running], &[(Warn, JobMissed)])
            },
            Case::new(
                "no task or executor: an error, never started",
                Answer::Failed,
            )
            .expect(&[Error], &[(Severity::Error, JobError)]),
            Case::new("max_instances here: missed", Answer::MaxInstances)
                .expect(&[Missed], &[(Warn, JobMaxInstances)]),
            Case::new("max_instances on the nodes: missed", Answer::Elsewhere)
                .expect(&[Missed], &[(Warn, JobMaxInstances)]),
            Case {
                job: {
                    let mut once = job("a");
                    once.trigger = DateTrigger::new(at("2026-01-01T00:00:00Z")).into();
                    once
                },
                release: Release::Remove,
                ..Case::new(
                    "the last fire time: runs, the job is removed",
                    Answer::Ready,
                )
                .expect(&[Running], &[])
            },
        ];
        for case in cases {
            let at = planning(case.now, case.keeps_history);
            let (settlements, plans) =
                plan(vec![case.job], &HashMap::new(), &at, |job, runs, _| {
                    answer(case.answer, job, runs)
                });
            let (settlement, plan) = (&settlements[0], &plans[0]);
            let name = case.name;
            let statuses: Vec<RunStatus> = settlement.records.iter().map(|r| r.status).collect();
            assert_eq!(statuses, case.records, "{name}");
            let notices: Vec<(Severity, EventKind)> = plan
                .notices
                .iter()
                .map(|notice| (notice.severity, notice.event.kind))
                .collect();
            assert_eq!(notices, case.notices, "{name}");
            let starts = matches!(case.answer, Answer::Ready);
            assert_eq!(plan.staged.is_some(), starts, "{name}");
            let running = usize::from(starts && case.keeps_history);
            assert_eq!(plan.running.len(), running, "{name}");
            assert_eq!(settlement.release, case.release, "{name}");
            assert_eq!(plan.removed, case.release == Release::Remove, "{name}");
            assert_eq!(&*plan.job_id, "a", "{name}");
        }
    }

    #[test]
    fn a_miss_is_one_record_covering_every_missed_fire_time() {
        let at_late = planning("2026-01-01T00:05:10Z", true);
        let (settlements, plans) =
            plan(vec![job("a")], &HashMap::new(), &at_late, |job, runs, _| {
                answer(Answer::Ready, job, runs)
            });
        let missed = &settlements[0].records[0];
        assert_eq!(missed.status, RunStatus::Missed);
        assert_eq!(missed.scheduled_time, at("2026-01-01T00:04:00Z"));
        assert_eq!(
            missed.first_scheduled_time,
            Some(at("2026-01-01T00:00:00Z"))
        );
        assert_eq!(missed.fire_times, 5);
        assert_eq!(missed.node, "n1");
        let event = &plans[0].notices[0].event;
        assert_eq!(event.store.as_deref(), Some("default"));
        assert_eq!(event.scheduled_run_times.len(), 5);
        assert_eq!(
            settlements[0].takes_through,
            Some(at("2026-01-01T00:05:00Z"))
        );
    }

    #[test]
    fn start_is_asked_only_for_runs_with_the_runs_elsewhere() {
        let not_due = {
            let mut job = job("later");
            job.next_run_time = Some(at("2026-01-01T00:01:00Z"));
            job
        };
        let elsewhere = HashMap::from([("a".to_owned(), 2)]);
        let mut asked = Vec::new();
        let at_half_past = planning("2026-01-01T00:00:30Z", true);
        let (settlements, _) = plan(
            vec![job("a"), not_due],
            &elsewhere,
            &at_half_past,
            |job, runs, others| {
                let times: Vec<Vec<Timestamp>> = runs.iter().map(|run| run.to_vec()).collect();
                asked.push((job.id.to_string(), times, others));
                answer(Answer::Ready, job, runs)
            },
        );
        let first = vec![vec![at("2026-01-01T00:00:00Z")]];
        assert_eq!(asked, vec![("a".to_owned(), first, 2)]);
        assert_eq!(settlements.len(), 2);
        assert_eq!(settlements[1].takes_through, None);
        let later = Release::Reschedule(at("2026-01-01T00:01:00Z"));
        assert_eq!(settlements[1].release, later);
    }

    #[test]
    fn a_policy_that_buffers_keeps_fire_times_refused_at_the_limit() {
        use RunStatus::Missed;
        // Five fire times due, not coalesced: five runs refused at the limit.
        let at_late = planning("2026-01-01T00:04:10Z", true);
        let times = |minutes: &[i64]| -> Vec<Timestamp> {
            minutes
                .iter()
                .map(|minute| at("2026-01-01T00:00:00Z") + SignedDuration::from_mins(*minute))
                .collect()
        };
        for (policy, kept, dropped) in [
            (None, vec![], 5),
            (Some(Overlap::Skip), vec![], 5),
            (Some(Overlap::BufferAll), times(&[0, 1, 2, 3, 4]), 0),
            (Some(Overlap::BufferOne), times(&[0]), 4),
            (Some(Overlap::CancelOther), times(&[4]), 4),
        ] {
            let mut job = job("a");
            job.options = Arc::new(crate::job::JobOptions {
                misfire_grace_time: MisfireGraceTime::Unlimited,
                overlap: policy,
                ..(*job.options).clone()
            });
            let (settlements, plans) =
                plan(vec![job], &HashMap::new(), &at_late, |job, runs, _| {
                    answer(Answer::MaxInstances, job, runs)
                });
            let buffered = plans[0]
                .buffered
                .as_ref()
                .map(|buffered| buffered.times.clone())
                .unwrap_or_default();
            assert_eq!(buffered, kept, "{policy:?}");
            let statuses: Vec<RunStatus> =
                settlements[0].records.iter().map(|r| r.status).collect();
            let expected: &[RunStatus] = if dropped > 0 { &[Missed] } else { &[] };
            assert_eq!(statuses, expected, "{policy:?}");
            if dropped > 0 {
                assert_eq!(settlements[0].records[0].fire_times, dropped, "{policy:?}");
            }
            if dropped > 0 && !kept.is_empty() {
                // The notice lists the fire times dropped, not those kept.
                let event = &plans[0].notices[0].event;
                assert_eq!(
                    event.scheduled_run_times.len(),
                    dropped as usize,
                    "{policy:?}"
                );
            }
            // Every fire time is taken either way: the schedule moves on.
            assert_eq!(
                settlements[0].takes_through,
                Some(at("2026-01-01T00:04:00Z")),
                "{policy:?}"
            );
        }
    }

    #[test]
    fn a_batch_shares_its_trigger_steps() {
        for (claimed, steps) in [
            (0, DECISION_STEPS),
            (1, DECISION_STEPS),
            (10, DECISION_STEPS),
            (512, BATCH_STEPS / 512),
            (1_000, MIN_JOB_STEPS),
            (100_000, MIN_JOB_STEPS),
        ] {
            assert_eq!(steps_per_job(claimed), steps, "{claimed} jobs");
        }
    }
}
