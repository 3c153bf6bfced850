//! The engine's semantics: the jobs table.

use super::*;

#[test]
fn jobs_table_lists_id_name_trigger_and_next_run() {
    let env = env();
    env.add(
        JobBuilder::new("record", every(15))
            .id("tick")
            .name("quarter hour"),
    );
    env.add(JobBuilder::new("record", DateTrigger::new(at("2026-01-02T09:30:00Z"))).id("report"));
    env.add(
        JobBuilder::new(
            "record",
            CronTrigger::crontab("0 9 * * mon-fri")
                .timezone("UTC")
                .build()
                .unwrap(),
        )
        .id("weekday")
        .paused(),
    );
    let table = env.scheduler.jobs_table().unwrap();
    let expected = "\
id       name          trigger                                                                      next run
tick     quarter hour  interval[every 15m, start_date='2026-01-01T00:00:00+00:00', timezone='UTC']  2026-01-01T00:00:00+00:00
report   record        date[2026-01-02T09:30:00+00:00]                                              2026-01-02T09:30:00+00:00
weekday  record        cron['0 9 * * mon-fri', timezone='UTC', dst_gap='shift', dst_fold='auto']    paused
";
    assert_eq!(table, expected, "\n{table}");
}
