//! DST changes in America/New_York, Europe/London and Australia/Sydney, for
//! every gap policy × every fold policy (all twelve pairs) and every trigger
//! kind that takes them — cron fields, crontab strings, calendar intervals —
//! and for intervals, which count elapsed time and take no policy.
//!
//! Each case lists the fire times as the zone shows them (RFC 3339 with the
//! offset of the moment), so a reader sees which pass of a fold, or which
//! side of a gap, a time belongs to. Every sequence is checked to strictly
//! increase. The cases cover: a daily time in the gap and in the fold and at
//! their edges; hourly (`hour='*'`, `30 * * * *`) through each change; a
//! second-level expression every 15 minutes and every 15 seconds; `*/20 1-3
//! * * *`; calendar intervals starting on the change day; the `auto` fold
//! rule ("fires every hour" means the hour field matches all 24 hours, as
//! `DstFold::Auto` documents, so `0-23` counts); start dates given as local
//! times in a gap or fold; the `next_fire_time` contract inside a fold; and
//! that `Display` and serde keep the policies.
//!
//! The changes of 2026 (checked against jiff by the first test):
//!
//! | zone | gap (spring forward) | fold (fall back) |
//! |---|---|---|
//! | America/New_York | 03-08 02:00 → 03:00 (-05 → -04) | 11-01 02:00 → 01:00 (-04 → -05) |
//! | Europe/London | 03-29 01:00 → 02:00 (+00 → +01) | 10-25 02:00 → 01:00 (+01 → +00) |
//! | Australia/Sydney | 10-04 02:00 → 03:00 (+10 → +11) | 04-05 03:00 → 02:00 (+11 → +10) |

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tempora::trigger::{
    CalendarIntervalTrigger, CronTrigger, DstFold, DstGap, IntervalTrigger, Trigger, Zone,
};

const GAPS: [DstGap; 3] = [DstGap::Shift, DstGap::AtTransition, DstGap::Skip];
const FOLDS: [DstFold; 4] = [DstFold::Auto, DstFold::First, DstFold::Last, DstFold::Both];

const NEW_YORK: &str = "America/New_York";
const LONDON: &str = "Europe/London";
const SYDNEY: &str = "Australia/Sydney";

/// The first `count` fire times at or after `now` (a local time on the
/// trigger's wall clock, or RFC 3339), as the zone shows them; also checks
/// that they strictly increase.
fn fires(trigger: impl Into<Trigger>, now: &str, count: usize) -> Vec<String> {
    let trigger = trigger.into();
    let zone = trigger.zone().clone();
    let now = zone.parse_time(now).unwrap();
    let times: Vec<_> = trigger.fire_times(None, now).take(count).collect();
    assert!(
        times.windows(2).all(|pair| pair[0] < pair[1]),
        "{trigger}: {times:?} do not strictly increase"
    );
    times.into_iter().map(|time| zone.format(time)).collect()
}

/// Checks, for all twelve policy pairs, that every trigger `triggers(gap,
/// fold)` fires at `expected(gap, fold)` from `now`.
fn check_every_policy(
    now: &str,
    triggers: impl Fn(DstGap, DstFold) -> Vec<Trigger>,
    expected: impl Fn(DstGap, DstFold) -> Vec<&'static str>,
) {
    for gap in GAPS {
        for fold in FOLDS {
            let expected = expected(gap, fold);
            for trigger in triggers(gap, fold) {
                assert_eq!(
                    fires(trigger.clone(), now, expected.len()),
                    expected,
                    "{trigger} from {now}"
                );
            }
        }
    }
}

/// A cron trigger from APScheduler fields.
fn fields(zone: &str, given: &[(&str, &str)], gap: DstGap, fold: DstFold) -> Trigger {
    let mut builder = CronTrigger::builder();
    for &(name, value) in given {
        builder = match name {
            "year" => builder.year(value),
            "month" => builder.month(value),
            "day" => builder.day(value),
            "week" => builder.week(value),
            "day_of_week" => builder.day_of_week(value),
            "hour" => builder.hour(value),
            "minute" => builder.minute(value),
            "second" => builder.second(value),
            _ => panic!("no field {name}"),
        };
    }
    builder
        .timezone(zone)
        .dst_gap(gap)
        .dst_fold(fold)
        .build()
        .unwrap()
        .into()
}

/// A cron trigger from a crontab string.
fn crontab(zone: &str, expression: &str, gap: DstGap, fold: DstFold) -> Trigger {
    CronTrigger::crontab(expression)
        .timezone(zone)
        .dst_gap(gap)
        .dst_fold(fold)
        .build()
        .unwrap()
        .into()
}

/// A calendar interval of one day at `hour:minute`, from 2026-01-01.
fn calendar_daily(zone: &str, hour: i32, minute: i32, gap: DstGap, fold: DstFold) -> Trigger {
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
        .into()
}

/// The three wall-clock trigger kinds for "every day at `hour:minute`".
fn daily(zone: &str, hour: i32, minute: i32, gap: DstGap, fold: DstFold) -> Vec<Trigger> {
    vec![
        fields(
            zone,
            &[("hour", &hour.to_string()), ("minute", &minute.to_string())],
            gap,
            fold,
        ),
        crontab(zone, &format!("{minute} {hour} * * *"), gap, fold),
        calendar_daily(zone, hour, minute, gap, fold),
    ]
}

/// "Every hour at :30", as fields and as a crontab string.
fn hourly(zone: &str, gap: DstGap, fold: DstFold) -> Vec<Trigger> {
    vec![
        fields(zone, &[("hour", "*"), ("minute", "30")], gap, fold),
        crontab(zone, "30 * * * *", gap, fold),
    ]
}

#[test]
fn the_changes_of_2026_are_where_these_tests_say() {
    // Each change as (the instant, the wall clock just before it, the wall
    // clock from it on), read from jiff's copy of the time zone database.
    let changes = |zone: &str| -> Vec<String> {
        let tz = TimeZone::get(zone).unwrap();
        let from: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        tz.following(from)
            .take(2)
            .map(|change| {
                let at = change.timestamp();
                let before = tz.to_offset(at - jiff::SignedDuration::from_secs(1));
                format!(
                    "{} → {}",
                    at.display_with_offset(before),
                    at.display_with_offset(change.offset())
                )
            })
            .collect()
    };
    assert_eq!(
        changes(NEW_YORK),
        [
            "2026-03-08T02:00:00-05:00 → 2026-03-08T03:00:00-04:00",
            "2026-11-01T02:00:00-04:00 → 2026-11-01T01:00:00-05:00",
        ]
    );
    assert_eq!(
        changes(LONDON),
        [
            "2026-03-29T01:00:00+00:00 → 2026-03-29T02:00:00+01:00",
            "2026-10-25T02:00:00+01:00 → 2026-10-25T01:00:00+00:00",
        ]
    );
    // The southern hemisphere: the fold comes first in the year.
    assert_eq!(
        changes(SYDNEY),
        [
            "2026-04-05T03:00:00+11:00 → 2026-04-05T02:00:00+10:00",
            "2026-10-04T02:00:00+10:00 → 2026-10-04T03:00:00+11:00",
        ]
    );
}

// A daily time in the gap: the gap policy decides, the fold policy changes
// nothing.

#[test]
fn new_york_daily_in_the_gap() {
    check_every_policy(
        "2026-03-07",
        |gap, fold| daily(NEW_YORK, 2, 30, gap, fold),
        |gap, _| match gap {
            // shift: 02:30 is half an hour into the gap, so half an hour past
            // its end.
            DstGap::Shift => vec![
                "2026-03-07T02:30:00-05:00",
                "2026-03-08T03:30:00-04:00",
                "2026-03-09T02:30:00-04:00",
            ],
            // at-transition: the first instant after the gap.
            DstGap::AtTransition => vec![
                "2026-03-07T02:30:00-05:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-09T02:30:00-04:00",
            ],
            // skip: no run on the 8th.
            DstGap::Skip => vec![
                "2026-03-07T02:30:00-05:00",
                "2026-03-09T02:30:00-04:00",
                "2026-03-10T02:30:00-04:00",
            ],
        },
    );
}

#[test]
fn london_daily_in_the_gap() {
    // London's gap is 01:00-02:00.
    check_every_policy(
        "2026-03-28",
        |gap, fold| daily(LONDON, 1, 30, gap, fold),
        |gap, _| match gap {
            DstGap::Shift => vec![
                "2026-03-28T01:30:00+00:00",
                "2026-03-29T02:30:00+01:00",
                "2026-03-30T01:30:00+01:00",
            ],
            DstGap::AtTransition => vec![
                "2026-03-28T01:30:00+00:00",
                "2026-03-29T02:00:00+01:00",
                "2026-03-30T01:30:00+01:00",
            ],
            DstGap::Skip => vec![
                "2026-03-28T01:30:00+00:00",
                "2026-03-30T01:30:00+01:00",
                "2026-03-31T01:30:00+01:00",
            ],
        },
    );
}

#[test]
fn sydney_daily_in_the_gap() {
    // Spring comes in October in the southern hemisphere.
    check_every_policy(
        "2026-10-03",
        |gap, fold| daily(SYDNEY, 2, 30, gap, fold),
        |gap, _| match gap {
            DstGap::Shift => vec![
                "2026-10-03T02:30:00+10:00",
                "2026-10-04T03:30:00+11:00",
                "2026-10-05T02:30:00+11:00",
            ],
            DstGap::AtTransition => vec![
                "2026-10-03T02:30:00+10:00",
                "2026-10-04T03:00:00+11:00",
                "2026-10-05T02:30:00+11:00",
            ],
            DstGap::Skip => vec![
                "2026-10-03T02:30:00+10:00",
                "2026-10-05T02:30:00+11:00",
                "2026-10-06T02:30:00+11:00",
            ],
        },
    );
}

#[test]
fn new_york_daily_at_the_edges_of_the_gap() {
    // The first fire time from midnight on the day of the gap, for a daily
    // time just before, at the start of, at the end of, and just after the
    // missing hour 02:00-02:59.
    for (time, expected) in [
        // 01:59 exists: every policy fires at it.
        ((1, 59), ["2026-03-08T01:59:00-05:00"; 3]),
        // 02:00 is the first missing minute: shifted by the gap it is 03:00,
        // which is also the transition.
        (
            (2, 0),
            [
                "2026-03-08T03:00:00-04:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-09T02:00:00-04:00",
            ],
        ),
        // 02:59 is the last missing minute.
        (
            (2, 59),
            [
                "2026-03-08T03:59:00-04:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-09T02:59:00-04:00",
            ],
        ),
        // 03:00 exists.
        ((3, 0), ["2026-03-08T03:00:00-04:00"; 3]),
    ] {
        check_every_policy(
            "2026-03-08",
            |gap, fold| daily(NEW_YORK, time.0, time.1, gap, fold),
            |gap, _| vec![expected[GAPS.iter().position(|g| *g == gap).unwrap()]],
        );
    }
}

// A daily time in the fold: the fold policy decides, the gap policy changes
// nothing.

/// The expected fire times of a daily time in a fold, by fold policy: the
/// first pass, the second, and the next day.
fn fold_days(
    first: &'static str,
    second: &'static str,
    next_day: &'static str,
) -> [Vec<&'static str>; 4] {
    [
        vec![first, next_day],         // auto: a fixed hour fires once, at the first
        vec![first, next_day],         // first
        vec![second, next_day],        // last
        vec![first, second, next_day], // both
    ]
}

fn by_fold<T: Clone>(table: &[T; 4], fold: DstFold) -> T {
    table[FOLDS.iter().position(|f| *f == fold).unwrap()].clone()
}

#[test]
fn new_york_daily_in_the_fold() {
    let table = fold_days(
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-02T01:30:00-05:00",
    );
    check_every_policy(
        "2026-11-01",
        |gap, fold| daily(NEW_YORK, 1, 30, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

#[test]
fn london_daily_in_the_fold() {
    let table = fold_days(
        "2026-10-25T01:30:00+01:00",
        "2026-10-25T01:30:00+00:00",
        "2026-10-26T01:30:00+00:00",
    );
    check_every_policy(
        "2026-10-25",
        |gap, fold| daily(LONDON, 1, 30, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

#[test]
fn sydney_daily_in_the_fold() {
    // Sydney's fold is 02:00-03:00, in April.
    let table = fold_days(
        "2026-04-05T02:30:00+11:00",
        "2026-04-05T02:30:00+10:00",
        "2026-04-06T02:30:00+10:00",
    );
    check_every_policy(
        "2026-04-05",
        |gap, fold| daily(SYDNEY, 2, 30, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

#[test]
fn new_york_daily_at_the_edges_of_the_fold() {
    // 00:59 and 02:00 happen once; 01:00 and 01:59 twice.
    let once = |time: &'static str| [vec![time], vec![time], vec![time], vec![time]];
    for ((hour, minute), table) in [
        ((0, 59), once("2026-11-01T00:59:00-04:00")),
        (
            (1, 0),
            fold_days(
                "2026-11-01T01:00:00-04:00",
                "2026-11-01T01:00:00-05:00",
                "2026-11-02T01:00:00-05:00",
            ),
        ),
        (
            (1, 59),
            fold_days(
                "2026-11-01T01:59:00-04:00",
                "2026-11-01T01:59:00-05:00",
                "2026-11-02T01:59:00-05:00",
            ),
        ),
        // 02:00 daylight time never shows: the clocks go back at it.
        ((2, 0), once("2026-11-01T02:00:00-05:00")),
    ] {
        check_every_policy(
            "2026-11-01",
            |gap, fold| daily(NEW_YORK, hour, minute, gap, fold),
            |_, fold| by_fold(&table, fold),
        );
    }
}

// Hourly at :30 through each change. In a gap, shift moves the missing :30
// onto the next hour's :30, which fires anyway, so it fires once; in a fold
// `auto` fires in both passes because the hour field is `*`.

#[test]
fn hourly_across_the_new_york_gap() {
    check_every_policy(
        "2026-03-08 00:00",
        |gap, fold| hourly(NEW_YORK, gap, fold),
        |gap, _| match gap {
            DstGap::Shift | DstGap::Skip => vec![
                "2026-03-08T00:30:00-05:00",
                "2026-03-08T01:30:00-05:00",
                "2026-03-08T03:30:00-04:00",
                "2026-03-08T04:30:00-04:00",
            ],
            DstGap::AtTransition => vec![
                "2026-03-08T00:30:00-05:00",
                "2026-03-08T01:30:00-05:00",
                "2026-03-08T03:00:00-04:00", // 02:30, at the transition
                "2026-03-08T03:30:00-04:00",
            ],
        },
    );
}

#[test]
fn hourly_across_the_new_york_fold() {
    let both = vec![
        "2026-11-01T00:30:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-01T02:30:00-05:00",
    ];
    let table = [
        // auto: the hour field is `*`: both passes, one run per elapsed hour.
        both.clone(),
        vec![
            "2026-11-01T00:30:00-04:00",
            "2026-11-01T01:30:00-04:00",
            "2026-11-01T02:30:00-05:00",
        ],
        vec![
            "2026-11-01T00:30:00-04:00",
            "2026-11-01T01:30:00-05:00",
            "2026-11-01T02:30:00-05:00",
        ],
        both,
    ];
    check_every_policy(
        "2026-11-01 00:00",
        |gap, fold| hourly(NEW_YORK, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

#[test]
fn hourly_across_the_london_gap() {
    check_every_policy(
        "2026-03-29 00:00",
        |gap, fold| hourly(LONDON, gap, fold),
        |gap, _| match gap {
            DstGap::Shift | DstGap::Skip => vec![
                "2026-03-29T00:30:00+00:00",
                "2026-03-29T02:30:00+01:00",
                "2026-03-29T03:30:00+01:00",
            ],
            DstGap::AtTransition => vec![
                "2026-03-29T00:30:00+00:00",
                "2026-03-29T02:00:00+01:00", // 01:30, at the transition
                "2026-03-29T02:30:00+01:00",
                "2026-03-29T03:30:00+01:00",
            ],
        },
    );
}

#[test]
fn hourly_across_the_london_fold() {
    let both = vec![
        "2026-10-25T00:30:00+01:00",
        "2026-10-25T01:30:00+01:00",
        "2026-10-25T01:30:00+00:00",
        "2026-10-25T02:30:00+00:00",
    ];
    let table = [
        both.clone(),
        vec![
            "2026-10-25T00:30:00+01:00",
            "2026-10-25T01:30:00+01:00",
            "2026-10-25T02:30:00+00:00",
        ],
        vec![
            "2026-10-25T00:30:00+01:00",
            "2026-10-25T01:30:00+00:00",
            "2026-10-25T02:30:00+00:00",
        ],
        both,
    ];
    check_every_policy(
        "2026-10-25 00:00",
        |gap, fold| hourly(LONDON, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

#[test]
fn hourly_across_the_sydney_gap() {
    check_every_policy(
        "2026-10-04 00:00",
        |gap, fold| hourly(SYDNEY, gap, fold),
        |gap, _| match gap {
            DstGap::Shift | DstGap::Skip => vec![
                "2026-10-04T00:30:00+10:00",
                "2026-10-04T01:30:00+10:00",
                "2026-10-04T03:30:00+11:00",
                "2026-10-04T04:30:00+11:00",
            ],
            DstGap::AtTransition => vec![
                "2026-10-04T00:30:00+10:00",
                "2026-10-04T01:30:00+10:00",
                "2026-10-04T03:00:00+11:00",
                "2026-10-04T03:30:00+11:00",
            ],
        },
    );
}

#[test]
fn hourly_across_the_sydney_fold() {
    let both = vec![
        "2026-04-05T01:30:00+11:00",
        "2026-04-05T02:30:00+11:00",
        "2026-04-05T02:30:00+10:00",
        "2026-04-05T03:30:00+10:00",
    ];
    let table = [
        both.clone(),
        vec![
            "2026-04-05T01:30:00+11:00",
            "2026-04-05T02:30:00+11:00",
            "2026-04-05T03:30:00+10:00",
        ],
        vec![
            "2026-04-05T01:30:00+11:00",
            "2026-04-05T02:30:00+10:00",
            "2026-04-05T03:30:00+10:00",
        ],
        both,
    ];
    check_every_policy(
        "2026-04-05 01:00",
        |gap, fold| hourly(SYDNEY, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

// Second-level expressions.

/// Every 15 minutes at second 30, as fields (the hour defaults to `*`) and
/// as a six-field crontab string with a leading second.
fn quarter_hours_at_second_30(zone: &str, gap: DstGap, fold: DstFold) -> Vec<Trigger> {
    vec![
        fields(zone, &[("minute", "*/15"), ("second", "30")], gap, fold),
        crontab(zone, "30 */15 * * * *", gap, fold),
    ]
}

#[test]
fn every_fifteen_minutes_at_second_30_across_the_new_york_gap() {
    check_every_policy(
        "2026-03-08 01:30",
        |gap, fold| quarter_hours_at_second_30(NEW_YORK, gap, fold),
        |gap, _| match gap {
            // 02:00:30-02:45:30 shifted are 03:00:30-03:45:30, which fire
            // anyway: each once.
            DstGap::Shift | DstGap::Skip => vec![
                "2026-03-08T01:30:30-05:00",
                "2026-03-08T01:45:30-05:00",
                "2026-03-08T03:00:30-04:00",
                "2026-03-08T03:15:30-04:00",
            ],
            // The four missing times all land on the transition: once.
            DstGap::AtTransition => vec![
                "2026-03-08T01:30:30-05:00",
                "2026-03-08T01:45:30-05:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-08T03:00:30-04:00",
                "2026-03-08T03:15:30-04:00",
            ],
        },
    );
}

#[test]
fn every_fifteen_minutes_at_second_30_across_the_new_york_fold() {
    let both = vec![
        "2026-11-01T01:30:30-04:00",
        "2026-11-01T01:45:30-04:00",
        "2026-11-01T01:00:30-05:00",
        "2026-11-01T01:15:30-05:00",
        "2026-11-01T01:30:30-05:00",
        "2026-11-01T01:45:30-05:00",
        "2026-11-01T02:00:30-05:00",
    ];
    let table = [
        // auto: every hour matches: both passes.
        both.clone(),
        vec![
            "2026-11-01T01:30:30-04:00",
            "2026-11-01T01:45:30-04:00",
            "2026-11-01T02:00:30-05:00",
        ],
        // last: from 01:30 of the first pass, the first fire is in the
        // second pass, from its start.
        vec![
            "2026-11-01T01:00:30-05:00",
            "2026-11-01T01:15:30-05:00",
            "2026-11-01T01:30:30-05:00",
            "2026-11-01T01:45:30-05:00",
            "2026-11-01T02:00:30-05:00",
        ],
        both,
    ];
    check_every_policy(
        // The first occurrence of 01:30.
        "2026-11-01 01:30",
        |gap, fold| quarter_hours_at_second_30(NEW_YORK, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

#[test]
fn every_fifteen_minutes_at_second_30_across_the_sydney_gap_and_fold() {
    check_every_policy(
        "2026-10-04 01:45",
        |gap, fold| quarter_hours_at_second_30(SYDNEY, gap, fold),
        |gap, _| match gap {
            DstGap::Shift | DstGap::Skip => {
                vec!["2026-10-04T01:45:30+10:00", "2026-10-04T03:00:30+11:00"]
            }
            DstGap::AtTransition => vec![
                "2026-10-04T01:45:30+10:00",
                "2026-10-04T03:00:00+11:00",
                "2026-10-04T03:00:30+11:00",
            ],
        },
    );
    let table = [
        vec![
            "2026-04-05T02:45:30+11:00",
            "2026-04-05T02:00:30+10:00",
            "2026-04-05T02:15:30+10:00",
        ],
        vec!["2026-04-05T02:45:30+11:00", "2026-04-05T03:00:30+10:00"],
        vec!["2026-04-05T02:00:30+10:00", "2026-04-05T02:15:30+10:00"],
        vec![
            "2026-04-05T02:45:30+11:00",
            "2026-04-05T02:00:30+10:00",
            "2026-04-05T02:15:30+10:00",
        ],
    ];
    check_every_policy(
        "2026-04-05 02:45",
        |gap, fold| quarter_hours_at_second_30(SYDNEY, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

/// Every 15 seconds, as a field and as a six-field crontab string.
fn every_fifteen_seconds(zone: &str, gap: DstGap, fold: DstFold) -> Vec<Trigger> {
    vec![
        fields(zone, &[("second", "*/15")], gap, fold),
        crontab(zone, "*/15 * * * * *", gap, fold),
    ]
}

#[test]
fn every_fifteen_seconds_across_the_london_gap() {
    // The 240 missing times 01:00:00-01:59:45: shifted they are
    // 02:00:00-02:59:45, which fire anyway; at the transition they are all
    // 02:00:00. Either way each instant fires once.
    check_every_policy(
        "2026-03-29 00:59:30",
        |gap, fold| every_fifteen_seconds(LONDON, gap, fold),
        |_, _| {
            vec![
                "2026-03-29T00:59:30+00:00",
                "2026-03-29T00:59:45+00:00",
                "2026-03-29T02:00:00+01:00",
                "2026-03-29T02:00:15+01:00",
            ]
        },
    );
}

#[test]
fn every_fifteen_seconds_across_the_london_fold() {
    let both = vec![
        "2026-10-25T01:59:30+01:00",
        "2026-10-25T01:59:45+01:00",
        "2026-10-25T01:00:00+00:00",
        "2026-10-25T01:00:15+00:00",
    ];
    let table = [
        both.clone(),
        vec![
            "2026-10-25T01:59:30+01:00",
            "2026-10-25T01:59:45+01:00",
            "2026-10-25T02:00:00+00:00",
            "2026-10-25T02:00:15+00:00",
        ],
        vec![
            "2026-10-25T01:00:00+00:00",
            "2026-10-25T01:00:15+00:00",
            "2026-10-25T01:00:30+00:00",
        ],
        both,
    ];
    check_every_policy(
        "2026-10-25 01:59:30",
        |gap, fold| every_fifteen_seconds(LONDON, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

// Every 20 minutes from 01:00 to 03:40: several times in each gap and fold,
// with an hour field that is not every hour, so `auto` fires once.

fn every_twenty_minutes_from_1_to_3(zone: &str, gap: DstGap, fold: DstFold) -> Vec<Trigger> {
    vec![
        crontab(zone, "*/20 1-3 * * *", gap, fold),
        fields(zone, &[("hour", "1-3"), ("minute", "*/20")], gap, fold),
    ]
}

#[test]
fn every_twenty_minutes_across_the_gaps() {
    // In each zone the missing times shifted by the (one-hour) gap are times
    // that fire anyway, and at the transition they land on one that does:
    // every policy gives the same instants, each once.
    for (zone, now, expected) in [
        (
            NEW_YORK,
            "2026-03-08 01:00",
            [
                "2026-03-08T01:00:00-05:00",
                "2026-03-08T01:20:00-05:00",
                "2026-03-08T01:40:00-05:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-08T03:20:00-04:00",
                "2026-03-08T03:40:00-04:00",
                "2026-03-09T01:00:00-04:00",
            ],
        ),
        (
            // 01:00-01:40 are missing.
            LONDON,
            "2026-03-29 00:00",
            [
                "2026-03-29T02:00:00+01:00",
                "2026-03-29T02:20:00+01:00",
                "2026-03-29T02:40:00+01:00",
                "2026-03-29T03:00:00+01:00",
                "2026-03-29T03:20:00+01:00",
                "2026-03-29T03:40:00+01:00",
                "2026-03-30T01:00:00+01:00",
            ],
        ),
        (
            SYDNEY,
            "2026-10-04 01:00",
            [
                "2026-10-04T01:00:00+10:00",
                "2026-10-04T01:20:00+10:00",
                "2026-10-04T01:40:00+10:00",
                "2026-10-04T03:00:00+11:00",
                "2026-10-04T03:20:00+11:00",
                "2026-10-04T03:40:00+11:00",
                "2026-10-05T01:00:00+11:00",
            ],
        ),
    ] {
        check_every_policy(
            now,
            |gap, fold| every_twenty_minutes_from_1_to_3(zone, gap, fold),
            |_, _| expected.to_vec(),
        );
    }
}

#[test]
fn every_twenty_minutes_across_the_new_york_fold() {
    let table = [
        // auto: hours 1-3 are not every hour: the first pass only.
        vec![
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T01:20:00-04:00",
            "2026-11-01T01:40:00-04:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T02:20:00-05:00",
        ],
        vec![
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T01:20:00-04:00",
            "2026-11-01T01:40:00-04:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T02:20:00-05:00",
        ],
        vec![
            "2026-11-01T01:00:00-05:00",
            "2026-11-01T01:20:00-05:00",
            "2026-11-01T01:40:00-05:00",
            "2026-11-01T02:00:00-05:00",
        ],
        vec![
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T01:20:00-04:00",
            "2026-11-01T01:40:00-04:00",
            "2026-11-01T01:00:00-05:00",
            "2026-11-01T01:20:00-05:00",
            "2026-11-01T01:40:00-05:00",
            "2026-11-01T02:00:00-05:00",
        ],
    ];
    check_every_policy(
        "2026-11-01 00:00",
        |gap, fold| every_twenty_minutes_from_1_to_3(NEW_YORK, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

#[test]
fn every_twenty_minutes_across_the_london_fold() {
    let table = [
        vec![
            "2026-10-25T01:00:00+01:00",
            "2026-10-25T01:20:00+01:00",
            "2026-10-25T01:40:00+01:00",
            "2026-10-25T02:00:00+00:00",
        ],
        vec![
            "2026-10-25T01:00:00+01:00",
            "2026-10-25T01:20:00+01:00",
            "2026-10-25T01:40:00+01:00",
            "2026-10-25T02:00:00+00:00",
        ],
        vec![
            "2026-10-25T01:00:00+00:00",
            "2026-10-25T01:20:00+00:00",
            "2026-10-25T01:40:00+00:00",
            "2026-10-25T02:00:00+00:00",
        ],
        vec![
            "2026-10-25T01:00:00+01:00",
            "2026-10-25T01:20:00+01:00",
            "2026-10-25T01:40:00+01:00",
            "2026-10-25T01:00:00+00:00",
            "2026-10-25T01:20:00+00:00",
            "2026-10-25T01:40:00+00:00",
            "2026-10-25T02:00:00+00:00",
        ],
    ];
    check_every_policy(
        "2026-10-25 00:00",
        |gap, fold| every_twenty_minutes_from_1_to_3(LONDON, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

#[test]
fn every_twenty_minutes_across_the_sydney_fold() {
    // 02:00-02:59 happens twice on 04-05.
    let table = [
        vec![
            "2026-04-05T01:40:00+11:00",
            "2026-04-05T02:00:00+11:00",
            "2026-04-05T02:20:00+11:00",
            "2026-04-05T02:40:00+11:00",
            "2026-04-05T03:00:00+10:00",
        ],
        vec![
            "2026-04-05T01:40:00+11:00",
            "2026-04-05T02:00:00+11:00",
            "2026-04-05T02:20:00+11:00",
            "2026-04-05T02:40:00+11:00",
            "2026-04-05T03:00:00+10:00",
        ],
        vec![
            "2026-04-05T01:40:00+11:00",
            "2026-04-05T02:00:00+10:00",
            "2026-04-05T02:20:00+10:00",
            "2026-04-05T02:40:00+10:00",
            "2026-04-05T03:00:00+10:00",
        ],
        vec![
            "2026-04-05T01:40:00+11:00",
            "2026-04-05T02:00:00+11:00",
            "2026-04-05T02:20:00+11:00",
            "2026-04-05T02:40:00+11:00",
            "2026-04-05T02:00:00+10:00",
            "2026-04-05T02:20:00+10:00",
            "2026-04-05T02:40:00+10:00",
            "2026-04-05T03:00:00+10:00",
        ],
    ];
    check_every_policy(
        "2026-04-05 01:40",
        |gap, fold| every_twenty_minutes_from_1_to_3(SYDNEY, gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

// Calendar intervals whose fire dates fall on the change days.

fn calendar(
    zone: &str,
    (weeks, days): (i32, i32),
    (hour, minute): (i32, i32),
    start: &str,
    gap: DstGap,
    fold: DstFold,
) -> Vec<Trigger> {
    vec![
        CalendarIntervalTrigger::builder()
            .weeks(weeks)
            .days(days)
            .hour(hour)
            .minute(minute)
            .start_date(start.parse().unwrap())
            .timezone(zone)
            .dst_gap(gap)
            .dst_fold(fold)
            .build()
            .unwrap()
            .into(),
    ]
}

#[test]
fn a_calendar_interval_starting_in_the_gap() {
    // The first fire date is the day of the gap itself.
    check_every_policy(
        "2026-03-08",
        |gap, fold| calendar(NEW_YORK, (0, 1), (2, 30), "2026-03-08", gap, fold),
        |gap, _| match gap {
            DstGap::Shift => vec!["2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"],
            DstGap::AtTransition => {
                vec!["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]
            }
            // The start date has no 02:30: the first run is on the next date.
            DstGap::Skip => vec!["2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"],
        },
    );
}

#[test]
fn a_weekly_calendar_interval_through_the_london_fold() {
    let table = fold_days(
        "2026-10-25T01:30:00+01:00",
        "2026-10-25T01:30:00+00:00",
        // A week later.
        "2026-11-01T01:30:00+00:00",
    );
    check_every_policy(
        "2026-10-19",
        |gap, fold| calendar(LONDON, (1, 0), (1, 30), "2026-10-18", gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

#[test]
fn a_calendar_interval_asked_between_the_two_passes_of_the_sydney_fold() {
    // At 02:45 of the first pass, 02:30 of the first pass is over; the second
    // pass is still to come, for the policies that fire in it.
    let table = [
        vec!["2026-04-06T02:30:00+10:00"],
        vec!["2026-04-06T02:30:00+10:00"],
        vec!["2026-04-05T02:30:00+10:00", "2026-04-06T02:30:00+10:00"],
        vec!["2026-04-05T02:30:00+10:00", "2026-04-06T02:30:00+10:00"],
    ];
    check_every_policy(
        "2026-04-05T02:45:00+11:00",
        |gap, fold| calendar(SYDNEY, (0, 1), (2, 30), "2026-04-01", gap, fold),
        |_, fold| by_fold(&table, fold),
    );
}

// The `auto` fold rule.

#[test]
fn auto_fires_both_passes_only_when_the_hour_field_matches_every_hour() {
    // `DstFold::Auto` fires both passes when "the hour field matches all
    // hours": any spelling of all 24 hours counts, not only `*`.
    let first = "2026-11-01T01:30:00-04:00";
    let second = "2026-11-01T01:30:00-05:00";
    let at = |trigger: Trigger| fires(trigger, "2026-11-01 01:00", 2);
    let auto = DstFold::Auto;
    for hours in [
        "*",
        "0-23",
        "*/1",
        "0/1",
        "0-23/1",
        "0-11,12-23",
        "0-5,6,7-23",
    ] {
        let trigger = fields(
            NEW_YORK,
            &[("hour", hours), ("minute", "30")],
            DstGap::Shift,
            auto,
        );
        assert_eq!(at(trigger), [first, second], "hour='{hours}'");
        let trigger = crontab(NEW_YORK, &format!("30 {hours} * * *"), DstGap::Shift, auto);
        assert_eq!(at(trigger), [first, second], "'30 {hours} * * *'");
    }
    // Fields below the hour do not matter: every minute of every hour.
    assert_eq!(
        fires(
            crontab(NEW_YORK, "* * * * *", DstGap::Shift, auto),
            "2026-11-01 01:59",
            2
        ),
        ["2026-11-01T01:59:00-04:00", "2026-11-01T01:00:00-05:00"]
    );
    // Not every hour: the first pass only.
    for (hours, after) in [
        ("1", "2026-11-02T01:30:00-05:00"),
        ("1-23", "2026-11-01T02:30:00-05:00"),
        ("0-22", "2026-11-01T02:30:00-05:00"),
        ("0,1", "2026-11-02T00:30:00-05:00"),
    ] {
        let trigger = fields(
            NEW_YORK,
            &[("hour", hours), ("minute", "30")],
            DstGap::Shift,
            auto,
        );
        assert_eq!(at(trigger), [first, after], "hour='{hours}'");
        let trigger = crontab(NEW_YORK, &format!("30 {hours} * * *"), DstGap::Shift, auto);
        assert_eq!(at(trigger), [first, after], "'30 {hours} * * *'");
    }
    // Sydney's fold is at 02:00: `*/2` fires at 02:30, but not every hour.
    assert_eq!(
        fires(
            crontab(SYDNEY, "30 */2 * * *", DstGap::Shift, auto),
            "2026-04-05 02:00",
            2
        ),
        ["2026-04-05T02:30:00+11:00", "2026-04-05T04:30:00+10:00"]
    );
    // A calendar interval fires at one time of day: once.
    assert_eq!(
        fires(
            calendar_daily(NEW_YORK, 1, 30, DstGap::Shift, auto),
            "2026-11-01 01:00",
            2
        ),
        [first, "2026-11-02T01:30:00-05:00"]
    );
}

// Intervals count elapsed time: an hour is 3600 seconds whatever the clocks
// do, and they take no DST policy.

fn interval(zone: &str, hours: i64, start: &str) -> IntervalTrigger {
    IntervalTrigger::builder()
        .hours(hours)
        .start_date(Zone::new(zone).unwrap().parse_time(start).unwrap())
        .timezone(zone)
        .build()
        .unwrap()
}

#[test]
fn intervals_count_elapsed_time() {
    for (trigger, expected) in [
        // 24 hours across New York's gap: 10:00 the next day on the wall clock.
        (
            interval(NEW_YORK, 24, "2026-03-07 09:00"),
            &[
                "2026-03-07T09:00:00-05:00",
                "2026-03-08T10:00:00-04:00",
                "2026-03-09T10:00:00-04:00",
            ][..],
        ),
        // 24 hours across New York's fold: 08:00 the next day.
        (
            interval(NEW_YORK, 24, "2026-10-31 09:00"),
            &[
                "2026-10-31T09:00:00-04:00",
                "2026-11-01T08:00:00-05:00",
                "2026-11-02T08:00:00-05:00",
            ],
        ),
        // Hourly across New York's gap: 02:00 never shows.
        (
            interval(NEW_YORK, 1, "2026-03-08 00:00"),
            &[
                "2026-03-08T00:00:00-05:00",
                "2026-03-08T01:00:00-05:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-08T04:00:00-04:00",
            ],
        ),
        // Hourly across New York's fold: 01:00 shows twice.
        (
            interval(NEW_YORK, 1, "2026-11-01 00:00"),
            &[
                "2026-11-01T00:00:00-04:00",
                "2026-11-01T01:00:00-04:00",
                "2026-11-01T01:00:00-05:00",
                "2026-11-01T02:00:00-05:00",
            ],
        ),
        // Hourly across London's gap: 01:00 never shows.
        (
            interval(LONDON, 1, "2026-03-29 00:00"),
            &[
                "2026-03-29T00:00:00+00:00",
                "2026-03-29T02:00:00+01:00",
                "2026-03-29T03:00:00+01:00",
            ],
        ),
        // Hourly across London's fold: 01:00 twice.
        (
            interval(LONDON, 1, "2026-10-25 00:00"),
            &[
                "2026-10-25T00:00:00+01:00",
                "2026-10-25T01:00:00+01:00",
                "2026-10-25T01:00:00+00:00",
                "2026-10-25T02:00:00+00:00",
            ],
        ),
        // Hourly across Sydney's gap and fold.
        (
            interval(SYDNEY, 1, "2026-10-04 00:00"),
            &[
                "2026-10-04T00:00:00+10:00",
                "2026-10-04T01:00:00+10:00",
                "2026-10-04T03:00:00+11:00",
            ],
        ),
        (
            interval(SYDNEY, 1, "2026-04-05 01:00"),
            &[
                "2026-04-05T01:00:00+11:00",
                "2026-04-05T02:00:00+11:00",
                "2026-04-05T02:00:00+10:00",
                "2026-04-05T03:00:00+10:00",
            ],
        ),
    ] {
        let zone = trigger.zone().clone();
        let start = trigger.next_fire_time(None, Timestamp::MIN).unwrap();
        let times: Vec<Timestamp> = Trigger::from(trigger.clone())
            .fire_times(None, start)
            .take(expected.len())
            .collect();
        // Exactly one period apart, in elapsed time.
        for pair in times.windows(2) {
            assert_eq!(
                pair[1].duration_since(pair[0]),
                trigger.period(),
                "{trigger}"
            );
        }
        let shown: Vec<String> = times.iter().map(|time| zone.format(*time)).collect();
        assert_eq!(shown, expected, "{trigger}");
        // No policy to show.
        assert!(!trigger.to_string().contains("dst_"), "{trigger}");
    }
}

// Start dates given as local times in a gap or a fold, read with
// `Zone::parse_time`: a gap time moves forward by the gap, a fold time is the
// first occurrence.

#[test]
fn local_times_in_a_gap_or_fold_read_as_documented() {
    for (zone, local, instant) in [
        (NEW_YORK, "2026-03-08 02:30", "2026-03-08T03:30:00-04:00"),
        (NEW_YORK, "2026-03-08 02:00", "2026-03-08T03:00:00-04:00"),
        (NEW_YORK, "2026-11-01 01:30", "2026-11-01T01:30:00-04:00"),
        (LONDON, "2026-03-29 01:15", "2026-03-29T02:15:00+01:00"),
        (LONDON, "2026-10-25 01:15", "2026-10-25T01:15:00+01:00"),
        (SYDNEY, "2026-10-04 02:15", "2026-10-04T03:15:00+11:00"),
        (SYDNEY, "2026-04-05 02:15", "2026-04-05T02:15:00+11:00"),
    ] {
        let zone = Zone::new(zone).unwrap();
        assert_eq!(
            zone.format(zone.parse_time(local).unwrap()),
            instant,
            "{local}"
        );
    }
}

/// A cron trigger every half hour (fields and crontab) from a start date
/// given as a local time.
fn half_hourly_from(zone: &str, start: &str, gap: DstGap, fold: DstFold) -> Vec<Trigger> {
    let start = Zone::new(zone).unwrap().parse_time(start).unwrap();
    let build = |builder: tempora::trigger::CronTriggerBuilder| -> Trigger {
        builder
            .start_date(start)
            .timezone(zone)
            .dst_gap(gap)
            .dst_fold(fold)
            .build()
            .unwrap()
            .into()
    };
    vec![
        build(CronTrigger::builder().minute("*/30")),
        build(CronTrigger::crontab("*/30 * * * *")),
    ]
}

#[test]
fn a_start_date_in_the_gap() {
    // 02:30 reads as 03:30 daylight time. The missing 02:00 and 02:30 would
    // fire at 03:00 or 03:30 (shift) or 03:00 (at-transition), none before
    // the start: every policy starts at 03:30.
    check_every_policy(
        "2026-03-08 00:00",
        |gap, fold| half_hourly_from(NEW_YORK, "2026-03-08 02:30", gap, fold),
        |_, _| {
            vec![
                "2026-03-08T03:30:00-04:00",
                "2026-03-08T04:00:00-04:00",
                "2026-03-08T04:30:00-04:00",
            ]
        },
    );
    // In Sydney 02:15 reads as 03:15: the next half hour is 03:30.
    check_every_policy(
        "2026-10-04 00:00",
        |gap, fold| half_hourly_from(SYDNEY, "2026-10-04 02:15", gap, fold),
        |_, _| vec!["2026-10-04T03:30:00+11:00", "2026-10-04T04:00:00+11:00"],
    );
    // An interval's start is its first fire time, one hour apart after it.
    let trigger = interval(LONDON, 1, "2026-03-29 01:30");
    assert_eq!(
        fires(trigger, "2026-03-29 00:00", 2),
        ["2026-03-29T02:30:00+01:00", "2026-03-29T03:30:00+01:00"]
    );
}

#[test]
fn a_start_date_in_the_fold() {
    // 01:30 reads as its first occurrence, daylight time.
    let both = vec![
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-01T02:00:00-05:00",
    ];
    let table = [
        // auto: the hour field is `*`: both passes.
        both.clone(),
        vec![
            "2026-11-01T01:30:00-04:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T02:30:00-05:00",
        ],
        // last: the first pass does not fire, even at the start date.
        vec![
            "2026-11-01T01:00:00-05:00",
            "2026-11-01T01:30:00-05:00",
            "2026-11-01T02:00:00-05:00",
        ],
        both,
    ];
    check_every_policy(
        "2026-11-01 00:00",
        |gap, fold| half_hourly_from(NEW_YORK, "2026-11-01 01:30", gap, fold),
        |_, fold| by_fold(&table, fold),
    );
    // An hourly interval from 01:30 of the first pass: the second 01:30 is
    // an hour later.
    let trigger = interval(NEW_YORK, 1, "2026-11-01 01:30");
    assert_eq!(
        fires(trigger, "2026-11-01 00:00", 3),
        [
            "2026-11-01T01:30:00-04:00",
            "2026-11-01T01:30:00-05:00",
            "2026-11-01T02:30:00-05:00"
        ]
    );
}

#[test]
fn next_fire_time_inside_a_fold() {
    let zone = Zone::new(NEW_YORK).unwrap();
    let at = |text: &str| zone.parse_time(text).unwrap();
    let show = |time: Option<Timestamp>| time.map(|time| zone.format(time));
    let both = crontab(NEW_YORK, "30 1 * * *", DstGap::Shift, DstFold::Both);
    let first = at("2026-11-01T01:30:00-04:00");
    let second = at("2026-11-01T01:30:00-05:00");
    // No previous: the first at or after now.
    assert_eq!(both.next_fire_time(None, first), Some(first));
    // After the first pass: the second.
    assert_eq!(both.next_fire_time(Some(first), first), Some(second));
    // After the second: the next day.
    assert_eq!(
        show(both.next_fire_time(Some(second), second)),
        Some("2026-11-02T01:30:00-05:00".to_owned())
    );
    // Asked late, the run after the previous one is still the answer: a
    // missed run, before now.
    assert_eq!(
        both.next_fire_time(Some(first), at("2026-11-03")),
        Some(second)
    );
    // A clock set back below the previous fire time: the first at or after
    // now — 01:10 of the second pass gives 01:30 of the second pass.
    assert_eq!(
        both.next_fire_time(Some(second), at("2026-11-01T01:10:00-05:00")),
        Some(second)
    );
    // last: from before the fold, the second pass.
    let last = crontab(NEW_YORK, "30 1 * * *", DstGap::Shift, DstFold::Last);
    assert_eq!(
        last.next_fire_time(None, at("2026-11-01 00:00")),
        Some(second)
    );
    // first: from between the passes, the next day.
    let only_first = crontab(NEW_YORK, "30 1 * * *", DstGap::Shift, DstFold::First);
    assert_eq!(
        show(only_first.next_fire_time(None, at("2026-11-01T01:10:00-05:00"))),
        Some("2026-11-02T01:30:00-05:00".to_owned())
    );
}

// The policies are part of the trigger: shown, stored and restored.

#[test]
fn display_shows_the_policies() {
    let trigger = fields(
        NEW_YORK,
        &[("hour", "2"), ("minute", "30")],
        DstGap::AtTransition,
        DstFold::Both,
    );
    assert_eq!(
        trigger.to_string(),
        "cron[hour='2', minute='30', timezone='America/New_York', dst_gap='at-transition', dst_fold='both']"
    );
    let trigger = crontab(LONDON, "30 2 * * *", DstGap::Skip, DstFold::Last);
    assert_eq!(
        trigger.to_string(),
        "cron['30 2 * * *', timezone='Europe/London', dst_gap='skip', dst_fold='last']"
    );
    let trigger = calendar_daily(SYDNEY, 2, 30, DstGap::Shift, DstFold::First);
    assert_eq!(
        trigger.to_string(),
        "calendar_interval[days=1, at 02:30:00, start_date='2026-01-01', timezone='Australia/Sydney', dst_gap='shift', dst_fold='first']"
    );
    // The defaults are shown too.
    let trigger = CronTrigger::crontab("30 2 * * *")
        .timezone(NEW_YORK)
        .build()
        .unwrap();
    assert_eq!(
        trigger.to_string(),
        "cron['30 2 * * *', timezone='America/New_York', dst_gap='shift', dst_fold='auto']"
    );
}

#[test]
fn the_policies_are_shown_and_stored_for_every_pair() {
    for gap in GAPS {
        for fold in FOLDS {
            let mut triggers = daily(LONDON, 1, 30, gap, fold);
            triggers.extend(quarter_hours_at_second_30(LONDON, gap, fold));
            for trigger in triggers {
                let text = trigger.to_string();
                assert!(
                    text.ends_with(&format!("dst_gap='{gap}', dst_fold='{fold}']")),
                    "{text}"
                );
                let json = serde_json::to_string(&trigger).unwrap();
                let restored: Trigger = serde_json::from_str(&json).unwrap();
                assert_eq!(restored, trigger);
                assert_eq!(restored.to_string(), text);
            }
        }
    }
}
