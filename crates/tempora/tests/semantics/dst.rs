//! The engine's semantics: DST.

use super::*;

#[test]
fn a_cron_job_in_a_dst_gap_runs_once_shifted_past_the_gap() {
    // 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT; 02:30 does not
    // exist, and the default policy shifts it to 03:30 EDT (07:30 UTC).
    let clock_start = at("2026-03-07T17:00:00Z"); // 12:00 EST the day before
    let env = env();
    env.clock.set(clock_start);
    let trigger = CronTrigger::builder()
        .hour(2)
        .minute(30)
        .timezone("America/New_York")
        .build()
        .unwrap();
    let job = env.add(JobBuilder::new("record", trigger).id("nightly"));
    assert_eq!(job.next_run_time(), Some(at("2026-03-08T07:30:00Z")));
    env.start();

    // Walk the clock through the night in 10-minute steps.
    let mut now = at("2026-03-08T05:00:00Z");
    while now <= at("2026-03-08T10:00:00Z") {
        env.tick_at(now);
        now = now.checked_add(SignedDuration::from_mins(10)).unwrap();
    }
    let submitted = env.take(EventKind::JobSubmitted);
    assert_eq!(submitted.len(), 1);
    assert_eq!(
        submitted[0].scheduled_run_times,
        vec![at("2026-03-08T07:30:00Z")]
    );
    assert_eq!(env.ran().times, vec![at("2026-03-08T07:30:00Z")]);
    // The next night is EDT: 02:30 EDT is 06:30 UTC.
    assert_eq!(
        env.next_run_time("nightly"),
        Some(at("2026-03-09T06:30:00Z"))
    );
}

#[test]
fn a_cron_job_in_a_dst_fold_runs_once_at_the_first_pass() {
    // 2026-11-01 in New York: 02:00 EDT falls back to 01:00 EST; 01:30
    // happens at 05:30 and again at 06:30 UTC. The default policy fires once.
    let env = env();
    env.clock.set(at("2026-10-31T16:00:00Z"));
    let trigger = CronTrigger::builder()
        .hour(1)
        .minute(30)
        .timezone("America/New_York")
        .build()
        .unwrap();
    env.add(JobBuilder::new("record", trigger).id("nightly"));
    env.start();

    let mut now = at("2026-11-01T04:00:00Z");
    while now <= at("2026-11-01T08:00:00Z") {
        env.tick_at(now);
        now = now.checked_add(SignedDuration::from_mins(10)).unwrap();
    }
    let submitted = env.take(EventKind::JobSubmitted);
    assert_eq!(submitted.len(), 1);
    assert_eq!(
        submitted[0].scheduled_run_times,
        vec![at("2026-11-01T05:30:00Z")]
    );
    assert_eq!(
        env.next_run_time("nightly"),
        Some(at("2026-11-02T06:30:00Z"))
    );
}
