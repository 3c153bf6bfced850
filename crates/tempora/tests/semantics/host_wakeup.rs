//! The engine's semantics: the host scheduler's wake-up.

use super::*;

#[test]
fn run_pending_answers_the_earliest_next_run_time() {
    let env = env();
    env.start();
    assert_eq!(env.scheduler.run_pending(t(0)), None);
    env.add(JobBuilder::new("record", DateTrigger::new(t(30))).id("a"));
    assert_eq!(env.scheduler.run_pending(t(0)), Some(t(30)));
    env.add(
        JobBuilder::new("record", every(7))
            .id("b")
            .next_run_time(t(7)),
    );
    assert_eq!(env.scheduler.run_pending(t(0)), Some(t(7)));
    assert_eq!(env.tick(7), Some(t(14)));
    assert_eq!(env.tick(28), Some(t(30))); // b ran (7→28 coalesced), next 35
    assert_eq!(env.tick(30), Some(t(35)));
    env.scheduler.pause_job("b").unwrap();
    assert_eq!(env.scheduler.run_pending(t(30)), None);
}
