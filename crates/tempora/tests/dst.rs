//! DST changes in America/New_York, Europe/London and Australia/Sydney, for
//! every gap and fold policy and every wall-clock trigger kind (cron fields,
//! crontab strings, calendar intervals), and for intervals, which count
//! elapsed time. Each case lists the fire times as the zone shows them.
//!
//! The changes of 2026:
//!
//! | zone | gap (spring forward) | fold (fall back) |
//! |---|---|---|
//! | America/New_York | 03-08 02:00 → 03:00 (-05 → -04) | 11-01 02:00 → 01:00 (-04 → -05) |
//! | Europe/London | 03-29 01:00 → 02:00 (+00 → +01) | 10-25 02:00 → 01:00 (+01 → +00) |
//! | Australia/Sydney | 10-04 02:00 → 03:00 (+10 → +11) | 04-05 03:00 → 02:00 (+11 → +10) |

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tempora::trigger::{
    CalendarIntervalTrigger, CronTrigger, DstFold, DstGap, IntervalTrigger, Trigger, Zone,
};

const GAPS: [DstGap; 3] = [DstGap::Shift, DstGap::AtTransition, DstGap::Skip];
const FOLDS: [DstFold; 4] = [DstFold::Auto, DstFold::First, DstFold::Last, DstFold::Both];

/// The first `count` fire times at or after local `now`, as the zone shows
/// them; also checks that they strictly increase.
fn fires(trigger: impl Into<Trigger>, now: &str, count: usize) -> Vec<String> {
    let trigger = trigger.into();
    let zone = trigger.zone().clone();
    let now = zone.parse_time(now).unwrap();
    let times: Vec<_> = trigger.fire_times(None, now).take(count).collect();
    assert!(times.windows(2).all(|pair| pair[0] < pair[1]), "{times:?}");
    times.into_iter().map(|time| zone.format(time)).collect()
}

/// The three wall-clock trigger kinds for "every day at `hour:minute`".
fn daily(zone: &str, hour: i32, minute: i32, gap: DstGap, fold: DstFold) -> Vec<Trigger> {
    vec![
        CronTrigger::builder()
            .hour(hour)
            .minute(minute)
            .timezone(zone)
            .dst_gap(gap)
            .dst_fold(fold)
            .build()
            .unwrap()
            .into(),
        CronTrigger::crontab(format!("{minute} {hour} * * *"))
            .timezone(zone)
            .dst_gap(gap)
            .dst_fold(fold)
            .build()
            .unwrap()
            .into(),
        CalendarIntervalTrigger::builder()
            .days(1)
            .hour(hour)
            .minute(minute)
            .start_date("2026-01-01".parse().unwrap())
            .timezone(zone)
            .dst_gap(gap)
            .dst_fold(fold)
            .build()
            .unwrap()
            .into(),
    ]
}

/// A daily time inside the gap, under each gap policy; the fold policy
/// changes nothing there.
fn check_daily_gap(zone: &str, (hour, minute): (i32, i32), from: &str, expected: [[&str; 3]; 3]) {
    for (gap, expected) in GAPS.into_iter().zip(expected) {
        for fold in FOLDS {
            for trigger in daily(zone, hour, minute, gap, fold) {
                assert_eq!(fires(trigger.clone(), from, 3), expected, "{trigger}");
            }
        }
    }
}

/// A daily time inside the fold, under each fold policy; the gap policy
/// changes nothing there.
fn check_daily_fold(zone: &str, (hour, minute): (i32, i32), from: &str, expected: [&[&str]; 4]) {
    for (fold, expected) in FOLDS.into_iter().zip(expected) {
        for gap in GAPS {
            for trigger in daily(zone, hour, minute, gap, fold) {
                assert_eq!(
                    fires(trigger.clone(), from, expected.len()),
                    expected,
                    "{trigger}"
                );
            }
        }
    }
}

#[test]
fn new_york_daily_in_the_gap() {
    check_daily_gap(
        "America/New_York",
        (2, 30),
        "2026-03-07",
        [
            // shift: as far past the gap as 02:30 is into it.
            [
                "2026-03-07T02:30:00-05:00",
                "2026-03-08T03:30:00-04:00",
                "2026-03-09T02:30:00-04:00",
            ],
            // at-transition: the first instant after the gap.
            [
                "2026-03-07T02:30:00-05:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-09T02:30:00-04:00",
            ],
            // skip: not that day.
            [
                "2026-03-07T02:30:00-05:00",
                "2026-03-09T02:30:00-04:00",
                "2026-03-10T02:30:00-04:00",
            ],
        ],
    );
}

#[test]
fn new_york_daily_in_the_fold() {
    let first = "2026-11-01T01:30:00-04:00";
    let second = "2026-11-01T01:30:00-05:00";
    let next_day = "2026-11-02T01:30:00-05:00";
    check_daily_fold(
        "America/New_York",
        (1, 30),
        "2026-11-01",
        [
            &[first, next_day],         // auto: a fixed hour fires once
            &[first, next_day],         // first
            &[second, next_day],        // last
            &[first, second, next_day], // both
        ],
    );
}

#[test]
fn london_daily_in_the_gap() {
    check_daily_gap(
        "Europe/London",
        (1, 30),
        "2026-03-28",
        [
            [
                "2026-03-28T01:30:00+00:00",
                "2026-03-29T02:30:00+01:00",
                "2026-03-30T01:30:00+01:00",
            ],
            [
                "2026-03-28T01:30:00+00:00",
                "2026-03-29T02:00:00+01:00",
                "2026-03-30T01:30:00+01:00",
            ],
            [
                "2026-03-28T01:30:00+00:00",
                "2026-03-30T01:30:00+01:00",
                "2026-03-31T01:30:00+01:00",
            ],
        ],
    );
}

#[test]
fn london_daily_in_the_fold() {
    let first = "2026-10-25T01:30:00+01:00";
    let second = "2026-10-25T01:30:00+00:00";
    let next_day = "2026-10-26T01:30:00+00:00";
    check_daily_fold(
        "Europe/London",
        (1, 30),
        "2026-10-25",
        [
            &[first, next_day],
            &[first, next_day],
            &[second, next_day],
            &[first, second, next_day],
        ],
    );
}

#[test]
fn sydney_daily_in_the_gap() {
    // Spring comes in October in the southern hemisphere.
    check_daily_gap(
        "Australia/Sydney",
        (2, 30),
        "2026-10-03",
        [
            [
                "2026-10-03T02:30:00+10:00",
                "2026-10-04T03:30:00+11:00",
                "2026-10-05T02:30:00+11:00",
            ],
            [
                "2026-10-03T02:30:00+10:00",
                "2026-10-04T03:00:00+11:00",
                "2026-10-05T02:30:00+11:00",
            ],
            [
                "2026-10-03T02:30:00+10:00",
                "2026-10-05T02:30:00+11:00",
                "2026-10-06T02:30:00+11:00",
            ],
        ],
    );
}

#[test]
fn sydney_daily_in_the_fold() {
    let first = "2026-04-05T02:30:00+11:00";
    let second = "2026-04-05T02:30:00+10:00";
    let next_day = "2026-04-06T02:30:00+10:00";
    check_daily_fold(
        "Australia/Sydney",
        (2, 30),
        "2026-04-05",
        [
            &[first, next_day],
            &[first, next_day],
            &[second, next_day],
            &[first, second, next_day],
        ],
    );
}

/// "Every hour at :30", as fields and as a crontab string.
fn hourly(zone: &str, gap: DstGap, fold: DstFold) -> Vec<Trigger> {
    vec![
        CronTrigger::builder()
            .hour("*")
            .minute(30)
            .timezone(zone)
            .dst_gap(gap)
            .dst_fold(fold)
            .build()
            .unwrap()
            .into(),
        CronTrigger::crontab("30 * * * *")
            .timezone(zone)
            .dst_gap(gap)
            .dst_fold(fold)
            .build()
            .unwrap()
            .into(),
    ]
}

#[test]
fn hourly_across_the_new_york_fold() {
    let both = [
        "2026-11-01T00:30:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-01T02:30:00-05:00",
    ];
    for gap in GAPS {
        for (fold, expected) in [
            // auto: the hour field is `*`, so both passes, one run per
            // elapsed hour, as Vixie cron.
            (DstFold::Auto, &both[..]),
            (
                DstFold::First,
                &[
                    "2026-11-01T00:30:00-04:00",
                    "2026-11-01T01:30:00-04:00",
                    "2026-11-01T02:30:00-05:00",
                ],
            ),
            (
                DstFold::Last,
                &[
                    "2026-11-01T00:30:00-04:00",
                    "2026-11-01T01:30:00-05:00",
                    "2026-11-01T02:30:00-05:00",
                ],
            ),
            (DstFold::Both, &both[..]),
        ] {
            for trigger in hourly("America/New_York", gap, fold) {
                assert_eq!(
                    fires(trigger.clone(), "2026-11-01 00:00", expected.len()),
                    expected,
                    "{trigger}"
                );
            }
        }
    }
}

#[test]
fn hourly_across_the_london_gap() {
    for fold in FOLDS {
        for (gap, expected) in [
            // 01:30 does not exist; shifted it is 02:30, which fires anyway:
            // once.
            (
                DstGap::Shift,
                &[
                    "2026-03-29T00:30:00+00:00",
                    "2026-03-29T02:30:00+01:00",
                    "2026-03-29T03:30:00+01:00",
                ][..],
            ),
            (
                DstGap::AtTransition,
                &[
                    "2026-03-29T00:30:00+00:00",
                    "2026-03-29T02:00:00+01:00",
                    "2026-03-29T02:30:00+01:00",
                    "2026-03-29T03:30:00+01:00",
                ],
            ),
            (
                DstGap::Skip,
                &[
                    "2026-03-29T00:30:00+00:00",
                    "2026-03-29T02:30:00+01:00",
                    "2026-03-29T03:30:00+01:00",
                ],
            ),
        ] {
            for trigger in hourly("Europe/London", gap, fold) {
                assert_eq!(
                    fires(trigger.clone(), "2026-03-29 00:00", expected.len()),
                    expected,
                    "{trigger}"
                );
            }
        }
    }
}

#[test]
fn auto_fires_both_passes_only_when_every_hour_matches() {
    // `0-23` is every hour too; `1` and `0-22` are not.
    let fold_of = |hours: &str| {
        let trigger = CronTrigger::builder()
            .hour(hours)
            .minute(30)
            .timezone("America/New_York")
            .build()
            .unwrap();
        fires(trigger, "2026-11-01 01:00", 2)
    };
    let both = ["2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"];
    assert_eq!(fold_of("*"), both);
    assert_eq!(fold_of("0-23"), both);
    assert_eq!(
        fold_of("1"),
        ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]
    );
    assert_eq!(
        fold_of("0-22"),
        ["2026-11-01T01:30:00-04:00", "2026-11-01T02:30:00-05:00"]
    );
}

#[test]
fn every_twenty_minutes_through_the_sydney_gap_and_fold() {
    let trigger = |gap, fold| {
        CronTrigger::crontab("*/20 1-3 * * *")
            .timezone("Australia/Sydney")
            .dst_gap(gap)
            .dst_fold(fold)
            .build()
            .unwrap()
    };
    // The gap: 02:00-02:59 does not exist on 10-04.
    assert_eq!(
        fires(trigger(DstGap::Skip, DstFold::Auto), "2026-10-04 01:00", 7),
        [
            "2026-10-04T01:00:00+10:00",
            "2026-10-04T01:20:00+10:00",
            "2026-10-04T01:40:00+10:00",
            "2026-10-04T03:00:00+11:00",
            "2026-10-04T03:20:00+11:00",
            "2026-10-04T03:40:00+11:00",
            "2026-10-05T01:00:00+11:00",
        ]
    );
    // shift: 02:00, 02:20, 02:40 become 03:00, 03:20, 03:40, which fire
    // anyway: each once.
    assert_eq!(
        fires(trigger(DstGap::Shift, DstFold::Auto), "2026-10-04 01:00", 7),
        fires(trigger(DstGap::Skip, DstFold::Auto), "2026-10-04 01:00", 7)
    );
    // at-transition: the three gap times all land on 03:00.
    assert_eq!(
        fires(
            trigger(DstGap::AtTransition, DstFold::Auto),
            "2026-10-04 01:00",
            7
        ),
        fires(trigger(DstGap::Skip, DstFold::Auto), "2026-10-04 01:00", 7)
    );
    // The fold: 02:00-02:59 happens twice on 04-05; the hour field is not
    // `*`, so auto fires the first pass only.
    let first_pass = [
        "2026-04-05T01:40:00+11:00",
        "2026-04-05T02:00:00+11:00",
        "2026-04-05T02:20:00+11:00",
        "2026-04-05T02:40:00+11:00",
        "2026-04-05T03:00:00+10:00",
    ];
    assert_eq!(
        fires(trigger(DstGap::Shift, DstFold::Auto), "2026-04-05 01:40", 5),
        first_pass
    );
    assert_eq!(
        fires(
            trigger(DstGap::Shift, DstFold::First),
            "2026-04-05 01:40",
            5
        ),
        first_pass
    );
    assert_eq!(
        fires(trigger(DstGap::Shift, DstFold::Last), "2026-04-05 01:40", 5),
        [
            "2026-04-05T01:40:00+11:00",
            "2026-04-05T02:00:00+10:00",
            "2026-04-05T02:20:00+10:00",
            "2026-04-05T02:40:00+10:00",
            "2026-04-05T03:00:00+10:00",
        ]
    );
    assert_eq!(
        fires(trigger(DstGap::Shift, DstFold::Both), "2026-04-05 01:40", 8),
        [
            "2026-04-05T01:40:00+11:00",
            "2026-04-05T02:00:00+11:00",
            "2026-04-05T02:20:00+11:00",
            "2026-04-05T02:40:00+11:00",
            "2026-04-05T02:00:00+10:00",
            "2026-04-05T02:20:00+10:00",
            "2026-04-05T02:40:00+10:00",
            "2026-04-05T03:00:00+10:00",
        ]
    );
}

#[test]
fn intervals_count_elapsed_time() {
    let interval = |zone: &str, hours: i64, start: &str| {
        IntervalTrigger::builder()
            .hours(hours)
            .start_date(Zone::new(zone).unwrap().parse_time(start).unwrap())
            .timezone(zone)
            .build()
            .unwrap()
    };
    // 24 hours across New York's gap: 10:00 the next day on the wall clock.
    assert_eq!(
        fires(
            interval("America/New_York", 24, "2026-03-07 09:00"),
            "2026-03-07",
            3
        ),
        [
            "2026-03-07T09:00:00-05:00",
            "2026-03-08T10:00:00-04:00",
            "2026-03-09T10:00:00-04:00"
        ]
    );
    // Hourly across London's fold: 01:00 twice, an hour apart.
    assert_eq!(
        fires(
            interval("Europe/London", 1, "2026-10-25 00:00"),
            "2026-10-25",
            4
        ),
        [
            "2026-10-25T00:00:00+01:00",
            "2026-10-25T01:00:00+01:00",
            "2026-10-25T01:00:00+00:00",
            "2026-10-25T02:00:00+00:00"
        ]
    );
    // Hourly across Sydney's gap: 02:00 never shows.
    assert_eq!(
        fires(
            interval("Australia/Sydney", 1, "2026-10-04 00:00"),
            "2026-10-04",
            3
        ),
        [
            "2026-10-04T00:00:00+10:00",
            "2026-10-04T01:00:00+10:00",
            "2026-10-04T03:00:00+11:00"
        ]
    );
}

#[test]
fn a_local_start_in_a_gap_or_fold_reads_as_a_date_trigger_would() {
    let zone = Zone::new("America/New_York").unwrap();
    // In the gap: moved forward by the gap.
    assert_eq!(
        zone.format(zone.parse_time("2026-03-08 02:30").unwrap()),
        "2026-03-08T03:30:00-04:00"
    );
    // In the fold: the first occurrence.
    assert_eq!(
        zone.format(zone.parse_time("2026-11-01 01:30").unwrap()),
        "2026-11-01T01:30:00-04:00"
    );
    let trigger = CronTrigger::builder()
        .minute("*/30")
        .start_date(zone.parse_time("2026-11-01 01:30").unwrap())
        .timezone("America/New_York")
        .build()
        .unwrap();
    assert_eq!(
        fires(trigger, "2026-11-01 00:00", 3),
        [
            "2026-11-01T01:30:00-04:00",
            "2026-11-01T01:00:00-05:00",
            "2026-11-01T01:30:00-05:00"
        ]
    );
}

#[test]
fn the_policies_are_shown_and_stored() {
    for gap in GAPS {
        for fold in FOLDS {
            for trigger in daily("Europe/London", 1, 30, gap, fold) {
                let text = trigger.to_string();
                assert!(text.contains(&format!("dst_gap='{gap}'")), "{text}");
                assert!(text.contains(&format!("dst_fold='{fold}'")), "{text}");
                let json = serde_json::to_string(&trigger).unwrap();
                let restored: Trigger = serde_json::from_str(&json).unwrap();
                assert_eq!(restored, trigger);
            }
        }
    }
}
