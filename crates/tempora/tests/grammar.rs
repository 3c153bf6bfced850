//! Every item of both cron grammars fires when the grammar
//! (`src/trigger/cron/grammar.md`) says it does, and
//! every way to write a trigger wrongly is refused with an invalid-input
//! error that names the field and says what is allowed.
//!
//! One test per grammar item: APScheduler's cron fields (`fields`), crontab
//! strings (`crontab`), then the errors of the grammars and of every trigger
//! builder (`errors`). Each grammar test asserts a run of consecutive fire
//! times, worked out by hand from the calendar (the comments say how). All
//! times are in UTC so that no DST change gets in the way; the calendar
//! facts used most:
//!
//! ```text
//! 2026-01-01 is a Thursday.      Fridays in January 2026: 2 9 16 23 30.
//! 2026-02-01 and 03-01 are Sundays, 2026-08-01 a Saturday, 2026-05-31 a Sunday.
//! ISO week 1 of 2026 is Mon 2025-12-29 .. Sun 2026-01-04; 2026 has 53 ISO
//! weeks, the 53rd running to Sun 2027-01-03; week 1 of 2027 starts on 01-04.
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Debug;

use jiff::{SignedDuration, Timestamp};
use tempora::Error;
use tempora::trigger::{
    AllTrigger, AnyTrigger, CalendarIntervalTrigger, CronTrigger, CronTriggerBuilder, DateTrigger,
    DstFold, DstGap, IntervalTrigger, Trigger, Zone,
};

/// APScheduler's cron fields, in UTC.
fn fields() -> CronTriggerBuilder {
    CronTrigger::builder().timezone("UTC")
}

/// A crontab string, in UTC.
fn crontab(expression: &str) -> CronTrigger {
    CronTrigger::crontab(expression)
        .timezone("UTC")
        .build()
        .unwrap()
}

/// The first `count` fire times at or after `now` (a wall time in the
/// trigger's zone), shown with the zone's offset.
fn fires(trigger: impl Into<Trigger>, now: &str, count: usize) -> Vec<String> {
    let trigger = trigger.into();
    let zone = trigger.zone().clone();
    let now = zone.parse_time(now).unwrap();
    trigger
        .fire_times(None, now)
        .take(count)
        .map(|fire| zone.format(fire))
        .collect()
}

/// [`fires`] for a fields builder.
fn fields_fire(builder: CronTriggerBuilder, now: &str, count: usize) -> Vec<String> {
    fires(builder.build().unwrap(), now, count)
}

/// APScheduler's cron fields.
mod fields {
    use super::*;

    #[test]
    fn star_fires_on_every_value() {
        // `second='*'`: every field above it is `*` too, so every second.
        assert_eq!(
            fields_fire(fields().second("*"), "2026-01-01 00:00", 3),
            [
                "2026-01-01T00:00:00+00:00",
                "2026-01-01T00:00:01+00:00",
                "2026-01-01T00:00:02+00:00",
            ]
        );
        // `minute='*'`: every minute, at second 0 (the field below defaults
        // to its minimum).
        assert_eq!(
            fields_fire(fields().minute("*"), "2026-01-01 00:00:01", 3),
            [
                "2026-01-01T00:01:00+00:00",
                "2026-01-01T00:02:00+00:00",
                "2026-01-01T00:03:00+00:00",
            ]
        );
    }

    #[test]
    fn star_step_counts_from_the_minimum() {
        // Minutes 0, 20, 40.
        assert_eq!(
            fields_fire(fields().minute("*/20"), "2026-01-01 00:05", 4),
            [
                "2026-01-01T00:20:00+00:00",
                "2026-01-01T00:40:00+00:00",
                "2026-01-01T01:00:00+00:00",
                "2026-01-01T01:20:00+00:00",
            ]
        );
        // Hours 0, 5, 10, 15, 20, then 0 the next day (not 1).
        assert_eq!(
            fields_fire(fields().hour("*/5"), "2026-01-01 00:00", 6),
            [
                "2026-01-01T00:00:00+00:00",
                "2026-01-01T05:00:00+00:00",
                "2026-01-01T10:00:00+00:00",
                "2026-01-01T15:00:00+00:00",
                "2026-01-01T20:00:00+00:00",
                "2026-01-02T00:00:00+00:00",
            ]
        );
        // Days 1, 11, 21, 31 (the minimum of `day` is 1); February has no 31st.
        assert_eq!(
            fields_fire(fields().day("*/10"), "2026-01-02", 5),
            [
                "2026-01-11T00:00:00+00:00",
                "2026-01-21T00:00:00+00:00",
                "2026-01-31T00:00:00+00:00",
                "2026-02-01T00:00:00+00:00",
                "2026-02-11T00:00:00+00:00",
            ]
        );
        // Months 1, 5, 9.
        assert_eq!(
            fields_fire(fields().month("*/4"), "2026-01-02", 3),
            [
                "2026-05-01T00:00:00+00:00",
                "2026-09-01T00:00:00+00:00",
                "2027-01-01T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn a_value() {
        // At or after `now`: 09:00 itself fires.
        assert_eq!(
            fields_fire(fields().hour(9), "2026-01-01 09:00", 3),
            [
                "2026-01-01T09:00:00+00:00",
                "2026-01-02T09:00:00+00:00",
                "2026-01-03T09:00:00+00:00",
            ]
        );
        assert_eq!(
            fields_fire(fields().hour("9"), "2026-01-01 09:00:01", 1),
            ["2026-01-02T09:00:00+00:00"]
        );
    }

    #[test]
    fn a_range() {
        assert_eq!(
            fields_fire(fields().hour("9-11"), "2026-01-01", 4),
            [
                "2026-01-01T09:00:00+00:00",
                "2026-01-01T10:00:00+00:00",
                "2026-01-01T11:00:00+00:00",
                "2026-01-02T09:00:00+00:00",
            ]
        );
    }

    #[test]
    fn a_range_with_a_step() {
        // Minutes 10, 25, 40 (55 is past the end of the range).
        assert_eq!(
            fields_fire(fields().minute("10-40/15"), "2026-01-01", 4),
            [
                "2026-01-01T00:10:00+00:00",
                "2026-01-01T00:25:00+00:00",
                "2026-01-01T00:40:00+00:00",
                "2026-01-01T01:10:00+00:00",
            ]
        );
    }

    #[test]
    fn a_value_with_a_step_runs_to_the_maximum() {
        // Minutes 50, 54, 58.
        assert_eq!(
            fields_fire(fields().minute("50/4"), "2026-01-01", 4),
            [
                "2026-01-01T00:50:00+00:00",
                "2026-01-01T00:54:00+00:00",
                "2026-01-01T00:58:00+00:00",
                "2026-01-01T01:50:00+00:00",
            ]
        );
        // Days 25, 28, 31: February stops at the 28th.
        assert_eq!(
            fields_fire(fields().day("25/3"), "2026-01-01", 6),
            [
                "2026-01-25T00:00:00+00:00",
                "2026-01-28T00:00:00+00:00",
                "2026-01-31T00:00:00+00:00",
                "2026-02-25T00:00:00+00:00",
                "2026-02-28T00:00:00+00:00",
                "2026-03-25T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn a_list() {
        assert_eq!(
            fields_fire(fields().hour("1,5,23"), "2026-01-01", 4),
            [
                "2026-01-01T01:00:00+00:00",
                "2026-01-01T05:00:00+00:00",
                "2026-01-01T23:00:00+00:00",
                "2026-01-02T01:00:00+00:00",
            ]
        );
        // Items of every kind, out of order: 1, 2, 7, 20, 40.
        assert_eq!(
            fields_fire(fields().minute("20/20, 7,1-2"), "2026-01-01", 6),
            [
                "2026-01-01T00:01:00+00:00",
                "2026-01-01T00:02:00+00:00",
                "2026-01-01T00:07:00+00:00",
                "2026-01-01T00:20:00+00:00",
                "2026-01-01T00:40:00+00:00",
                "2026-01-01T01:01:00+00:00",
            ]
        );
    }

    #[test]
    fn the_xth_weekday_of_the_month() {
        // Mondays of 2026: Jan 5, Feb 2, Mar 2 are the first.
        assert_eq!(
            fields_fire(fields().day("1st mon"), "2026-01-01", 3),
            [
                "2026-01-05T00:00:00+00:00",
                "2026-02-02T00:00:00+00:00",
                "2026-03-02T00:00:00+00:00",
            ]
        );
        // Tuesdays: Jan 6, 13; Feb 3, 10; Mar 3, 10.
        assert_eq!(
            fields_fire(fields().day("2nd tue"), "2026-01-01", 3),
            [
                "2026-01-13T00:00:00+00:00",
                "2026-02-10T00:00:00+00:00",
                "2026-03-10T00:00:00+00:00",
            ]
        );
        // Wednesdays: Jan 7, 14, 21; Feb 4, 11, 18; Mar 4, 11, 18.
        assert_eq!(
            fields_fire(fields().day("3rd wed"), "2026-01-01", 3),
            [
                "2026-01-21T00:00:00+00:00",
                "2026-02-18T00:00:00+00:00",
                "2026-03-18T00:00:00+00:00",
            ]
        );
        // Thursdays: Jan 1, 8, 15, 22; Feb 5 .. 26; Mar 5 .. 26.
        assert_eq!(
            fields_fire(fields().day("4th thu"), "2026-01-01", 3),
            [
                "2026-01-22T00:00:00+00:00",
                "2026-02-26T00:00:00+00:00",
                "2026-03-26T00:00:00+00:00",
            ]
        );
        // Names and positions in any case.
        assert_eq!(
            fields_fire(fields().day("3rd FRI"), "2026-01-01", 2),
            ["2026-01-16T00:00:00+00:00", "2026-02-20T00:00:00+00:00"]
        );
    }

    #[test]
    fn the_5th_weekday_skips_months_without_one() {
        // Fridays of 2026: January has five (2 .. 30); February, March and
        // April four; May five (1 .. 29); June four; July five (3 .. 31);
        // August, September four; October five (2 .. 30).
        assert_eq!(
            fields_fire(fields().day("5th fri"), "2026-01-01", 4),
            [
                "2026-01-30T00:00:00+00:00",
                "2026-05-29T00:00:00+00:00",
                "2026-07-31T00:00:00+00:00",
                "2026-10-30T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn last_weekday_of_the_month() {
        // Sundays: Jan 25, Feb 22, Mar 29, Apr 26 are the last.
        assert_eq!(
            fields_fire(fields().day("last sun"), "2026-01-01", 4),
            [
                "2026-01-25T00:00:00+00:00",
                "2026-02-22T00:00:00+00:00",
                "2026-03-29T00:00:00+00:00",
                "2026-04-26T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn last_day_of_the_month() {
        // 2028 is a leap year.
        assert_eq!(
            fields_fire(fields().day("last"), "2028-01-01", 4),
            [
                "2028-01-31T00:00:00+00:00",
                "2028-02-29T00:00:00+00:00",
                "2028-03-31T00:00:00+00:00",
                "2028-04-30T00:00:00+00:00",
            ]
        );
        // In a list with a number.
        assert_eq!(
            fields_fire(fields().day("1,last"), "2026-01-01", 4),
            [
                "2026-01-01T00:00:00+00:00",
                "2026-01-31T00:00:00+00:00",
                "2026-02-01T00:00:00+00:00",
                "2026-02-28T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn month_names() {
        assert_eq!(
            fields_fire(fields().month("jun-aug"), "2026-01-01", 4),
            [
                "2026-06-01T00:00:00+00:00",
                "2026-07-01T00:00:00+00:00",
                "2026-08-01T00:00:00+00:00",
                "2027-06-01T00:00:00+00:00",
            ]
        );
        assert_eq!(
            fields_fire(fields().month("JAN,mar"), "2026-01-02", 3),
            [
                "2026-03-01T00:00:00+00:00",
                "2027-01-01T00:00:00+00:00",
                "2027-03-01T00:00:00+00:00",
            ]
        );
        // February, July, December.
        assert_eq!(
            fields_fire(fields().month("feb-dec/5"), "2026-01-01", 3),
            [
                "2026-02-01T00:00:00+00:00",
                "2026-07-01T00:00:00+00:00",
                "2026-12-01T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn weekday_names_and_numbers() {
        // Weekend days after Thursday 2026-01-01: Sat 3, Sun 4, Sat 10, Sun 11.
        assert_eq!(
            fields_fire(fields().day_of_week("sat,sun"), "2026-01-01", 4),
            [
                "2026-01-03T00:00:00+00:00",
                "2026-01-04T00:00:00+00:00",
                "2026-01-10T00:00:00+00:00",
                "2026-01-11T00:00:00+00:00",
            ]
        );
        // 0 is Monday and 6 is Sunday.
        assert_eq!(
            fields_fire(fields().day_of_week(0), "2026-01-01", 2),
            ["2026-01-05T00:00:00+00:00", "2026-01-12T00:00:00+00:00"]
        );
        assert_eq!(
            fields_fire(fields().day_of_week(6), "2026-01-01", 2),
            ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]
        );
    }

    #[test]
    fn weekday_ranges_with_steps() {
        // mon-fri/2 is Monday, Wednesday, Friday.
        assert_eq!(
            fields_fire(fields().day_of_week("mon-fri/2"), "2026-01-01", 5),
            [
                "2026-01-02T00:00:00+00:00",
                "2026-01-05T00:00:00+00:00",
                "2026-01-07T00:00:00+00:00",
                "2026-01-09T00:00:00+00:00",
                "2026-01-12T00:00:00+00:00",
            ]
        );
        // */2 is 0, 2, 4, 6: Monday, Wednesday, Friday, Sunday.
        assert_eq!(
            fields_fire(fields().day_of_week("*/2"), "2026-01-01", 4),
            [
                "2026-01-02T00:00:00+00:00",
                "2026-01-04T00:00:00+00:00",
                "2026-01-05T00:00:00+00:00",
                "2026-01-07T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn fields_below_the_least_significant_given_default_to_their_minimum() {
        // `day=1`: midnight on the 1st.
        assert_eq!(
            fields_fire(fields().day(1), "2026-01-01 00:00:01", 2),
            ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"]
        );
        // `minute=30`: every hour (above: `*`) at :30:00 (below: 0).
        assert_eq!(
            fields_fire(fields().minute(30), "2026-01-01", 3),
            [
                "2026-01-01T00:30:00+00:00",
                "2026-01-01T01:30:00+00:00",
                "2026-01-01T02:30:00+00:00",
            ]
        );
    }

    #[test]
    fn fields_above_the_least_significant_given_default_to_star() {
        // `day=15, minute=30`: the hour lies between them, above the least
        // significant field given, so it is `*`: every hour of the 15th.
        let trigger = fields().minute(30).day(15).build().unwrap();
        // Fields are shown most significant first, as given.
        assert_eq!(
            trigger.to_string(),
            "cron[day='15', minute='30', timezone='UTC', dst_gap='shift', dst_fold='auto']"
        );
        assert_eq!(
            fires(trigger, "2026-01-01", 3),
            [
                "2026-01-15T00:30:00+00:00",
                "2026-01-15T01:30:00+00:00",
                "2026-01-15T02:30:00+00:00",
            ]
        );
    }

    #[test]
    fn week_and_day_of_week_stay_star() {
        // `year=2027` alone: month and day default to 1, hour, minute and
        // second to 0 — but not week (to 1) nor day_of_week (to Monday):
        // 2027-01-01 is a Friday in ISO week 53 of 2026, and it fires, once.
        assert_eq!(
            fields_fire(fields().year(2027), "2026-01-01", 2),
            ["2027-01-01T00:00:00+00:00"]
        );
        // `month=2`: 1 February, a Sunday in 2026, a Monday in 2027.
        assert_eq!(
            fields_fire(fields().month(2), "2026-01-01", 2),
            ["2026-02-01T00:00:00+00:00", "2027-02-01T00:00:00+00:00"]
        );
    }

    #[test]
    fn day_and_day_of_week_must_both_match() {
        // The Monday among days 1-7: the first Monday.
        assert_eq!(
            fields_fire(fields().day("1-7").day_of_week("mon"), "2026-01-01", 4),
            [
                "2026-01-05T00:00:00+00:00",
                "2026-02-02T00:00:00+00:00",
                "2026-03-02T00:00:00+00:00",
                "2026-04-06T00:00:00+00:00",
            ]
        );
        // Friday the 13th: in 2026 February, March and November.
        assert_eq!(
            fields_fire(fields().day(13).day_of_week("fri"), "2026-01-01", 3),
            [
                "2026-02-13T00:00:00+00:00",
                "2026-03-13T00:00:00+00:00",
                "2026-11-13T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn iso_week() {
        // Week 1: the days of 2026 in it (Jan 1-4), then Monday 2027-01-04
        // (2026-12-28 .. 2027-01-03 is week 53).
        assert_eq!(
            fields_fire(fields().week(1), "2026-01-01", 5),
            [
                "2026-01-01T00:00:00+00:00",
                "2026-01-02T00:00:00+00:00",
                "2026-01-03T00:00:00+00:00",
                "2026-01-04T00:00:00+00:00",
                "2027-01-04T00:00:00+00:00",
            ]
        );
        // `year` is the calendar year: the days of 2027 in week 53 (of 2026).
        // 2027 has only 52 weeks, so nothing follows.
        assert_eq!(
            fields_fire(fields().year(2027).week(53), "2026-01-01", 4),
            [
                "2027-01-01T00:00:00+00:00",
                "2027-01-02T00:00:00+00:00",
                "2027-01-03T00:00:00+00:00",
            ]
        );
        // Wednesday of week 15 (2026-04-06 .. 04-12).
        assert_eq!(
            fields_fire(
                fields().year(2026).week(15).day_of_week("wed"),
                "2026-01-01",
                2
            ),
            ["2026-04-08T00:00:00+00:00"]
        );
    }

    #[test]
    fn year() {
        assert_eq!(
            fields_fire(fields().year("2027/2"), "2026-01-01", 3),
            [
                "2027-01-01T00:00:00+00:00",
                "2029-01-01T00:00:00+00:00",
                "2031-01-01T00:00:00+00:00",
            ]
        );
        assert_eq!(
            fields_fire(
                fields().year("2026-2027").month(12).day(25),
                "2026-01-01",
                3
            ),
            ["2026-12-25T00:00:00+00:00", "2027-12-25T00:00:00+00:00"]
        );
    }

    #[test]
    fn question_mark_is_not_part_of_the_fields_grammar() {
        let error = fields().hour("?").build().unwrap_err();
        assert!(error.is_invalid_input());
        assert_eq!(error.field(), Some("hour"));
    }
}

/// Crontab strings.
mod crontab {
    use super::*;

    #[test]
    fn a_star_inside_a_weekday_list_means_every_weekday() {
        // Found by the property tests: `*` as one item of a list.
        assert_eq!(
            fires(crontab("0 0 * * *,1"), "2024-01-01", 2),
            ["2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00"]
        );
        assert_eq!(
            fires(crontab("0 0 * * *,*"), "2024-01-01", 2),
            ["2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00"]
        );
    }

    #[test]
    fn five_fields() {
        // minute hour day month day_of_week
        assert_eq!(
            fires(crontab("30 9 * * *"), "2026-01-01", 2),
            ["2026-01-01T09:30:00+00:00", "2026-01-02T09:30:00+00:00"]
        );
    }

    #[test]
    fn six_fields_lead_with_the_second() {
        assert_eq!(
            fires(crontab("15 30 9 * * *"), "2026-01-01", 2),
            ["2026-01-01T09:30:15+00:00", "2026-01-02T09:30:15+00:00"]
        );
        assert_eq!(
            fires(crontab("*/20 * * * * *"), "2026-01-01", 4),
            [
                "2026-01-01T00:00:00+00:00",
                "2026-01-01T00:00:20+00:00",
                "2026-01-01T00:00:40+00:00",
                "2026-01-01T00:01:00+00:00",
            ]
        );
    }

    #[test]
    fn seven_fields_end_with_the_year() {
        assert_eq!(
            fires(crontab("0 0 12 1 1 * 2027-2028"), "2026-01-01", 3),
            ["2027-01-01T12:00:00+00:00", "2028-01-01T12:00:00+00:00"]
        );
    }

    #[test]
    fn sunday_is_0_and_7() {
        // Sundays after Thursday 2026-01-01: 4, 11, 18.
        let sundays = [
            "2026-01-04T00:00:00+00:00",
            "2026-01-11T00:00:00+00:00",
            "2026-01-18T00:00:00+00:00",
        ];
        assert_eq!(fires(crontab("0 0 * * 0"), "2026-01-01", 3), sundays);
        assert_eq!(fires(crontab("0 0 * * 7"), "2026-01-01", 3), sundays);
        assert_eq!(fires(crontab("0 0 * * SUN"), "2026-01-01", 3), sundays);
        // So 1 is Monday.
        assert_eq!(
            fires(crontab("0 0 * * 1"), "2026-01-01", 1),
            ["2026-01-05T00:00:00+00:00"]
        );
    }

    #[test]
    fn names() {
        // Mondays of January and July.
        assert_eq!(
            fires(crontab("0 12 * jan,JUL mon"), "2026-01-01", 5),
            [
                "2026-01-05T12:00:00+00:00",
                "2026-01-12T12:00:00+00:00",
                "2026-01-19T12:00:00+00:00",
                "2026-01-26T12:00:00+00:00",
                "2026-07-06T12:00:00+00:00",
            ]
        );
        assert_eq!(
            fires(crontab("0 0 1 jun-aug *"), "2026-01-01", 4),
            [
                "2026-06-01T00:00:00+00:00",
                "2026-07-01T00:00:00+00:00",
                "2026-08-01T00:00:00+00:00",
                "2027-06-01T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn a_weekday_range_may_end_on_sunday() {
        // fri-sun and 5-0 run to the Sunday at the end of the week, like 5-7.
        let weekends = [
            "2026-01-02T00:00:00+00:00",
            "2026-01-03T00:00:00+00:00",
            "2026-01-04T00:00:00+00:00",
            "2026-01-09T00:00:00+00:00",
        ];
        assert_eq!(fires(crontab("0 0 * * fri-sun"), "2026-01-01", 4), weekends);
        assert_eq!(fires(crontab("0 0 * * 5-0"), "2026-01-01", 4), weekends);
        assert_eq!(fires(crontab("0 0 * * 5-7"), "2026-01-01", 4), weekends);
        // mon-fri/2: Monday, Wednesday, Friday.
        assert_eq!(
            fires(crontab("0 0 * * mon-fri/2"), "2026-01-01", 4),
            [
                "2026-01-02T00:00:00+00:00",
                "2026-01-05T00:00:00+00:00",
                "2026-01-07T00:00:00+00:00",
                "2026-01-09T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn either_day_field_matches_when_both_are_restricted() {
        // Vixie cron: the 13th, or any Friday. March 2026: Fridays 6, 13
        // (also the 13th), 20, 27; April: Fridays 3, 10, 17; Monday the 13th.
        assert_eq!(
            fires(crontab("0 0 13 * fri"), "2026-03-01", 8),
            [
                "2026-03-06T00:00:00+00:00",
                "2026-03-13T00:00:00+00:00",
                "2026-03-20T00:00:00+00:00",
                "2026-03-27T00:00:00+00:00",
                "2026-04-03T00:00:00+00:00",
                "2026-04-10T00:00:00+00:00",
                "2026-04-13T00:00:00+00:00",
                "2026-04-17T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn a_day_field_starting_with_star_is_unrestricted() {
        // `*/2` in the day field starts with `*`, so both must match: the
        // odd days that are Fridays (Jan 9, 23; Feb 13, 27; Mar 13, 27).
        assert_eq!(
            fires(crontab("0 0 */2 * fri"), "2026-01-01", 6),
            [
                "2026-01-09T00:00:00+00:00",
                "2026-01-23T00:00:00+00:00",
                "2026-02-13T00:00:00+00:00",
                "2026-02-27T00:00:00+00:00",
                "2026-03-13T00:00:00+00:00",
                "2026-03-27T00:00:00+00:00",
            ]
        );
        // `*/2` in day_of_week is Sunday, Tuesday, Thursday, Saturday: the
        // 1st of the month on one of those. 2026: Jan 1 (Thu), Feb 1 and
        // Mar 1 (Sun); April to July start on Wed, Fri, Mon, Wed; Aug 1 (Sat).
        assert_eq!(
            fires(crontab("0 0 1 * */2"), "2026-01-01", 4),
            [
                "2026-01-01T00:00:00+00:00",
                "2026-02-01T00:00:00+00:00",
                "2026-03-01T00:00:00+00:00",
                "2026-08-01T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn macros() {
        let from = "2026-01-01 00:30";
        for (macro_, expected) in [
            (
                "@yearly",
                ["2027-01-01T00:00:00+00:00", "2028-01-01T00:00:00+00:00"],
            ),
            (
                "@annually",
                ["2027-01-01T00:00:00+00:00", "2028-01-01T00:00:00+00:00"],
            ),
            (
                "@monthly",
                ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"],
            ),
            // Sundays at midnight.
            (
                "@weekly",
                ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"],
            ),
            (
                "@daily",
                ["2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"],
            ),
            (
                "@midnight",
                ["2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"],
            ),
            (
                "@hourly",
                ["2026-01-01T01:00:00+00:00", "2026-01-01T02:00:00+00:00"],
            ),
        ] {
            assert_eq!(fires(crontab(macro_), from, 2), expected, "{macro_}");
        }
        // In any case; shown as written.
        let trigger = crontab("@DAILY");
        assert_eq!(
            trigger.to_string(),
            "cron['@DAILY', timezone='UTC', dst_gap='shift', dst_fold='auto']"
        );
        assert_eq!(fires(trigger, from, 1), ["2026-01-02T00:00:00+00:00"]);
    }

    #[test]
    fn question_mark_is_star_in_the_day_fields() {
        let mondays = ["2026-01-05T00:00:00+00:00", "2026-01-12T00:00:00+00:00"];
        assert_eq!(fires(crontab("0 0 ? * mon"), "2026-01-01", 2), mondays);
        assert_eq!(fires(crontab("0 0 * * mon"), "2026-01-01", 2), mondays);
        assert_eq!(
            fires(crontab("0 0 15 * ?"), "2026-01-01", 2),
            ["2026-01-15T00:00:00+00:00", "2026-02-15T00:00:00+00:00"]
        );
    }

    #[test]
    fn last_day_of_the_month() {
        assert_eq!(
            fires(crontab("0 0 L * *"), "2026-01-01", 4),
            [
                "2026-01-31T00:00:00+00:00",
                "2026-02-28T00:00:00+00:00",
                "2026-03-31T00:00:00+00:00",
                "2026-04-30T00:00:00+00:00",
            ]
        );
        assert_eq!(
            fires(crontab("0 0 L 2 *"), "2028-01-01", 1),
            ["2028-02-29T00:00:00+00:00"]
        );
    }

    #[test]
    fn last_weekday_of_the_month_with_n_l() {
        // Fridays: Jan 30, Feb 27, Mar 27, Apr 24 are the last.
        let last_fridays = [
            "2026-01-30T00:00:00+00:00",
            "2026-02-27T00:00:00+00:00",
            "2026-03-27T00:00:00+00:00",
            "2026-04-24T00:00:00+00:00",
        ];
        assert_eq!(fires(crontab("0 0 * * 5L"), "2026-01-01", 4), last_fridays);
        assert_eq!(
            fires(crontab("0 0 * * friL"), "2026-01-01", 4),
            last_fridays
        );
        // Sunday is 0L and 7L: Jan 25, Feb 22, Mar 29.
        let last_sundays = [
            "2026-01-25T00:00:00+00:00",
            "2026-02-22T00:00:00+00:00",
            "2026-03-29T00:00:00+00:00",
        ];
        assert_eq!(fires(crontab("0 0 * * 0L"), "2026-01-01", 3), last_sundays);
        assert_eq!(fires(crontab("0 0 * * 7L"), "2026-01-01", 3), last_sundays);
    }

    #[test]
    fn nth_weekday_of_the_month_with_hash() {
        // Third Fridays: Jan 16, Feb 20, Mar 20, Apr 17.
        let third_fridays = [
            "2026-01-16T00:00:00+00:00",
            "2026-02-20T00:00:00+00:00",
            "2026-03-20T00:00:00+00:00",
            "2026-04-17T00:00:00+00:00",
        ];
        assert_eq!(
            fires(crontab("0 0 * * 5#3"), "2026-01-01", 4),
            third_fridays
        );
        assert_eq!(
            fires(crontab("0 0 * * fri#3"), "2026-01-01", 4),
            third_fridays
        );
        // Fifth Mondays, only in months with five: Mar 30, Jun 29, Aug 31.
        assert_eq!(
            fires(crontab("0 0 * * 1#5"), "2026-01-01", 3),
            [
                "2026-03-30T00:00:00+00:00",
                "2026-06-29T00:00:00+00:00",
                "2026-08-31T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn last_working_day_of_the_month() {
        // Jan 31 and Feb 28 are Saturdays, Mar 31 a Tuesday, Apr 30 a
        // Thursday, May 31 a Sunday.
        assert_eq!(
            fires(crontab("0 0 LW * *"), "2026-01-01", 5),
            [
                "2026-01-30T00:00:00+00:00",
                "2026-02-27T00:00:00+00:00",
                "2026-03-31T00:00:00+00:00",
                "2026-04-30T00:00:00+00:00",
                "2026-05-29T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn nearest_weekday() {
        // The 15th: a Thursday in January; a Sunday in February and March
        // (so Monday the 16th); Wed, Fri, Mon, Wed from April to July; a
        // Saturday in August (so Friday the 14th).
        assert_eq!(
            fires(crontab("0 0 15W * *"), "2026-01-01", 8),
            [
                "2026-01-15T00:00:00+00:00",
                "2026-02-16T00:00:00+00:00",
                "2026-03-16T00:00:00+00:00",
                "2026-04-15T00:00:00+00:00",
                "2026-05-15T00:00:00+00:00",
                "2026-06-15T00:00:00+00:00",
                "2026-07-15T00:00:00+00:00",
                "2026-08-14T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn nearest_weekday_stays_in_the_month() {
        // Quartz: "if you specify 1W as the value for day-of-month, and the
        // 1st is a Saturday, the trigger will fire on Monday the 3rd, as it
        // will not 'jump' over the boundary of a month's days." 2026-08-01 is
        // a Saturday: Monday 08-03, not Friday 07-31. Feb 1 and Mar 1 are
        // Sundays: Monday the 2nd.
        assert_eq!(
            fires(crontab("0 0 1W * *"), "2026-01-01", 8),
            [
                "2026-01-01T00:00:00+00:00",
                "2026-02-02T00:00:00+00:00",
                "2026-03-02T00:00:00+00:00",
                "2026-04-01T00:00:00+00:00",
                "2026-05-01T00:00:00+00:00",
                "2026-06-01T00:00:00+00:00",
                "2026-07-01T00:00:00+00:00",
                "2026-08-03T00:00:00+00:00",
            ]
        );
        // The 31st: a Saturday in January (Friday the 30th); none in
        // February or April; a Sunday in May (Friday the 29th, not Monday
        // June 1st); a Friday in July; a Monday in August.
        assert_eq!(
            fires(crontab("0 0 31W * *"), "2026-01-01", 5),
            [
                "2026-01-30T00:00:00+00:00",
                "2026-03-31T00:00:00+00:00",
                "2026-05-29T00:00:00+00:00",
                "2026-07-31T00:00:00+00:00",
                "2026-08-31T00:00:00+00:00",
            ]
        );
    }

    /// The day forms checked against the expected values of `test_crontab.py`
    /// on a branch of APScheduler (a Quartz-style `CronTabTrigger`:
    /// `second minute hour day month day_of_week year`, as Tempora's seven
    /// fields), in Europe/Berlin from 2021-09-19. Weekdays are written as
    /// names, since Quartz counts them from 1 = Sunday.
    #[test]
    fn day_forms_agree_with_a_quartz_style_reference() {
        let check = |expression: &str, now: &str, expected: &[&str]| {
            let trigger = CronTrigger::crontab(expression)
                .timezone("Europe/Berlin")
                .build()
                .unwrap();
            assert_eq!(
                fires(trigger, now, expected.len()),
                expected,
                "{expression}"
            );
        };
        check(
            "0 0 0 L * ? *",
            "2021-09-19",
            &[
                "2021-09-30T00:00:00+02:00",
                "2021-10-31T00:00:00+02:00",
                "2021-11-30T00:00:00+01:00",
                "2021-12-31T00:00:00+01:00",
                "2022-01-31T00:00:00+01:00",
                "2022-02-28T00:00:00+01:00",
            ],
        );
        check(
            "0 0 0 LW * ? *",
            "2021-09-19",
            &[
                "2021-09-30T00:00:00+02:00",
                "2021-10-29T00:00:00+02:00",
                "2021-11-30T00:00:00+01:00",
                "2021-12-31T00:00:00+01:00",
                "2022-01-31T00:00:00+01:00",
                "2022-02-28T00:00:00+01:00",
                "2022-03-31T00:00:00+02:00",
                "2022-04-29T00:00:00+02:00",
            ],
        );
        check(
            "0 0 0 2W * ? *",
            "2021-09-19",
            &[
                "2021-10-01T00:00:00+02:00",
                "2021-11-02T00:00:00+01:00",
                "2021-12-02T00:00:00+01:00",
                "2022-01-03T00:00:00+01:00",
                "2022-02-02T00:00:00+01:00",
                "2022-03-02T00:00:00+01:00",
                "2022-04-01T00:00:00+02:00",
                "2022-05-02T00:00:00+02:00",
            ],
        );
        check(
            "0 0 0 15W,2W * ? *",
            "2021-09-19",
            &[
                "2021-10-01T00:00:00+02:00",
                "2021-10-15T00:00:00+02:00",
                "2021-11-02T00:00:00+01:00",
                "2021-11-15T00:00:00+01:00",
                "2021-12-02T00:00:00+01:00",
                "2021-12-15T00:00:00+01:00",
                "2022-01-03T00:00:00+01:00",
                "2022-01-14T00:00:00+01:00",
            ],
        );
        check(
            "0 0 0 ? * thuL *",
            "2021-09-18",
            &[
                "2021-09-30T00:00:00+02:00",
                "2021-10-28T00:00:00+02:00",
                "2021-11-25T00:00:00+01:00",
                "2021-12-30T00:00:00+01:00",
            ],
        );
        check(
            "0 0 0 ? * wed#2 *",
            "2021-09-18",
            &[
                "2021-10-13T00:00:00+02:00",
                "2021-11-10T00:00:00+01:00",
                "2021-12-08T00:00:00+01:00",
                "2022-01-12T00:00:00+01:00",
            ],
        );
    }

    #[test]
    fn question_mark_with_a_step_is_refused_outside_the_day_fields() {
        let error = CronTrigger::crontab("?/20 * * * *")
            .timezone("UTC")
            .build()
            .unwrap_err();
        assert!(error.is_invalid_input());
        assert_eq!(error.field(), Some("minute"));
    }
}

/// Every way to write a trigger wrongly: an invalid-input error naming the
/// field, with a lowercase message that names the value.
mod errors {
    use super::*;

    #[track_caller]
    fn refused<T: Debug>(result: Result<T, Error>, field: &str, message: &str) {
        let error = result.unwrap_err();
        assert!(error.is_invalid_input(), "{error}");
        assert_eq!(error.field(), Some(field), "{error}");
        assert_eq!(error.to_string(), format!("{field}: {message}"));
    }

    fn utc(text: &str) -> Timestamp {
        Zone::utc().parse_time(text).unwrap()
    }

    #[test]
    fn fields_out_of_range() {
        for (builder, field, message) in [
            (
                fields().year(1969),
                "year",
                "1969 is out of range 1970-9999",
            ),
            (
                fields().year(10000),
                "year",
                "10000 is out of range 1970-9999",
            ),
            (fields().month(0), "month", "0 is out of range 1-12"),
            (fields().month(13), "month", "13 is out of range 1-12"),
            (fields().day(0), "day", "0 is out of range 1-31"),
            (fields().day(32), "day", "32 is out of range 1-31"),
            (fields().week(0), "week", "0 is out of range 1-53"),
            (fields().week(54), "week", "54 is out of range 1-53"),
            (
                fields().day_of_week(7),
                "day_of_week",
                "7 is out of range 0-6",
            ),
            (fields().hour(24), "hour", "24 is out of range 0-23"),
            (fields().minute(60), "minute", "60 is out of range 0-59"),
            (fields().second(60), "second", "60 is out of range 0-59"),
            // In a range, a list or before a step.
            (fields().hour("20-24"), "hour", "24 is out of range 0-23"),
            (fields().minute("5,60"), "minute", "60 is out of range 0-59"),
            (fields().day("32/2"), "day", "32 is out of range 1-31"),
            // Too large for any number type.
            (
                fields().hour("99999999999"),
                "hour",
                "99999999999 is out of range 0-23",
            ),
        ] {
            refused(builder.build(), field, message);
        }
    }

    #[test]
    fn a_negative_value_is_named() {
        let error = fields().hour("-1").build().unwrap_err();
        assert!(error.is_invalid_input());
        assert_eq!(error.field(), Some("hour"));
        assert!(error.to_string().contains("-1"), "{error}");
    }

    #[test]
    fn fields_not_a_number_or_name() {
        for (builder, field, message) in [
            (
                fields().hour("nine"),
                "hour",
                "\"nine\" is not a number 0-23",
            ),
            // A month name is no hour, a weekday name no month.
            (fields().hour("jan"), "hour", "\"jan\" is not a number 0-23"),
            (
                fields().month("mon"),
                "month",
                "\"mon\" is not a number 1-12 or a name jan-dec",
            ),
            (
                fields().month("janu"),
                "month",
                "\"janu\" is not a number 1-12 or a name jan-dec",
            ),
            (
                fields().day_of_week("funday"),
                "day_of_week",
                "\"funday\" is not a number 0-6 (0 = mon) or a name mon-sun",
            ),
            (
                fields().day_of_week("mon-funday"),
                "day_of_week",
                "\"funday\" is not a number 0-6 (0 = mon) or a name mon-sun",
            ),
            (fields().week("1st"), "week", "\"1st\" is not a number 1-53"),
            (
                fields().year("2009-fault"),
                "year",
                "\"fault\" is not a number 1970-9999",
            ),
        ] {
            refused(builder.build(), field, message);
        }
    }

    #[test]
    fn fields_bad_steps() {
        for (builder, field, message) in [
            (
                fields().hour("*/x"),
                "hour",
                "\"x\" in \"*/x\" is not a step; expected a whole number",
            ),
            (
                fields().minute("*/-5"),
                "minute",
                "\"-5\" in \"*/-5\" is not a step; expected a whole number",
            ),
            (
                fields().minute("*/"),
                "minute",
                "\"\" in \"*/\" is not a step; expected a whole number",
            ),
            (
                fields().minute("*/0"),
                "minute",
                "step 0 in \"*/0\" must be at least 1",
            ),
            (
                fields().minute("10-20/0"),
                "minute",
                "step 0 in \"10-20/0\" must be at least 1",
            ),
            (
                fields().minute("*/60"),
                "minute",
                "step 60 in \"*/60\" is larger than the range 0-59 allows",
            ),
            (
                fields().day("*/31"),
                "day",
                "step 31 in \"*/31\" is larger than the range 1-31 allows",
            ),
            (
                fields().day_of_week("*/7"),
                "day_of_week",
                "step 7 in \"*/7\" is larger than the range 0-6 allows",
            ),
        ] {
            refused(builder.build(), field, message);
        }
        // The largest step the range allows is fine: minutes 0 and 59.
        assert_eq!(
            fields_fire(fields().minute("*/59"), "2026-01-01", 3),
            [
                "2026-01-01T00:00:00+00:00",
                "2026-01-01T00:59:00+00:00",
                "2026-01-01T01:00:00+00:00",
            ]
        );
    }

    #[test]
    fn fields_reversed_ranges() {
        for (builder, field, message) in [
            (
                fields().hour("17-9"),
                "hour",
                "range \"17-9\" is reversed; its first value must not be higher than its last",
            ),
            (
                fields().month("dec-jan"),
                "month",
                "range \"dec-jan\" is reversed; its first value must not be higher than its last",
            ),
            (
                fields().day_of_week("fri-mon"),
                "day_of_week",
                "range \"fri-mon\" is reversed; its first value must not be higher than its last",
            ),
        ] {
            refused(builder.build(), field, message);
        }
    }

    #[test]
    fn fields_empty() {
        refused(fields().hour("").build(), "hour", "the expression is empty");
        refused(fields().day("  ").build(), "day", "the expression is empty");
        refused(
            fields().hour("1,,2").build(),
            "hour",
            "\"1,,2\" has an empty item; expected a number 0-23",
        );
        refused(
            fields().month("jan,").build(),
            "month",
            "\"jan,\" has an empty item; expected a number 1-12 or a name jan-dec",
        );
    }

    #[test]
    fn fields_bad_day_forms() {
        for (expression, message) in [
            (
                "6th fri",
                "\"6th fri\" is not a weekday position; expected 1st, 2nd, 3rd, 4th, 5th or last before a weekday name",
            ),
            (
                "first fri",
                "\"first fri\" is not a weekday position; expected 1st, 2nd, 3rd, 4th, 5th or last before a weekday name",
            ),
            ("3rd funday", "\"funday\" is not a weekday name mon-sun"),
            ("last 5", "\"5\" is not a weekday name mon-sun"),
            (
                "fri",
                "\"fri\" is not a day; expected a number 1-31, a range, last, or a weekday position like 3rd fri or last sun",
            ),
            (
                "lastt",
                "\"lastt\" is not a day; expected a number 1-31, a range, last, or a weekday position like 3rd fri or last sun",
            ),
            (
                "1st fri sat",
                "\"1st fri sat\" is not a day; expected a number 1-31, a range, last, or a weekday position like 3rd fri or last sun",
            ),
        ] {
            refused(fields().day(expression).build(), "day", message);
        }
    }

    #[test]
    fn crontab_field_count() {
        let expected = "expected 5 (minute hour day month day_of_week), 6 (with a leading second) or 7 (and a trailing year)";
        for (expression, count) in [("", 0), ("* * * *", 4), ("0 0 0 * * * * *", 8)] {
            refused(
                CronTrigger::crontab(expression).timezone("UTC").build(),
                "crontab",
                &format!("{expression:?} has {count} fields; {expected}"),
            );
        }
    }

    #[test]
    fn crontab_unknown_macro() {
        for expression in ["@fortnightly", "@reboot", "@"] {
            refused(
                CronTrigger::crontab(expression).timezone("UTC").build(),
                "crontab",
                &format!(
                    "{expression:?} is not a known macro; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
                ),
            );
        }
    }

    #[test]
    fn crontab_out_of_range() {
        for (expression, field, message) in [
            ("60 * * * * *", "second", "60 is out of range 0-59"),
            ("60 * * * *", "minute", "60 is out of range 0-59"),
            ("* 24 * * *", "hour", "24 is out of range 0-23"),
            ("* * 0 * *", "day of month", "0 is out of range 1-31"),
            ("* * 32 * *", "day of month", "32 is out of range 1-31"),
            ("* * * 0 *", "month", "0 is out of range 1-12"),
            ("* * * 13 *", "month", "13 is out of range 1-12"),
            ("* * * * 8", "day of week", "8 is out of range 0-7"),
            ("0 * * * * * 1969", "year", "1969 is out of range 1970-9999"),
            ("0 0 32W * *", "day of month", "32 is out of range 1-31"),
            ("0 0 0W * *", "day of month", "0 is out of range 1-31"),
            ("0 0 * * 8L", "day of week", "8 is out of range 0-7"),
            ("0 0 * * 8#1", "day of week", "8 is out of range 0-7"),
        ] {
            refused(
                CronTrigger::crontab(expression).timezone("UTC").build(),
                field,
                message,
            );
        }
    }

    #[test]
    fn crontab_bad_names_and_forms() {
        for (expression, field, message) in [
            (
                "0 0 * * funday",
                "day of week",
                "\"funday\" is not a number 0-7 (0 and 7 = sun) or a name sun-sat",
            ),
            (
                "0 0 * foo *",
                "month",
                "\"foo\" is not a number 1-12 or a name jan-dec",
            ),
            ("0 0 L-5 * *", "day of month", "\"L\" is not a number 1-31"),
            (
                "0 0 * * L",
                "day of week",
                "\"L\" is not a number 0-7 (0 and 7 = sun) or a name sun-sat",
            ),
            (
                "0 0 * * fri#6",
                "day of week",
                "\"fri#6\": \"6\" is not a weekday position; expected 1-5 after #",
            ),
            (
                "0 0 * * fri#0",
                "day of week",
                "\"fri#0\": \"0\" is not a weekday position; expected 1-5 after #",
            ),
            (
                "0 0 * * fri#x",
                "day of week",
                "\"fri#x\": \"x\" is not a weekday position; expected 1-5 after #",
            ),
            (
                "0 0 * * funday#2",
                "day of week",
                "\"funday\" is not a number 0-7 (0 and 7 = sun) or a name sun-sat",
            ),
            (
                "0 0 * * 5-1",
                "day of week",
                "range \"5-1\" is reversed; its first value must not be higher than its last",
            ),
            (
                "*/0 * * * *",
                "minute",
                "step 0 in \"*/0\" must be at least 1",
            ),
            (
                "0 */x * * *",
                "hour",
                "\"x\" in \"*/x\" is not a step; expected a whole number",
            ),
            (
                "0 0 1,,2 * *",
                "day of month",
                "\"1,,2\" has an empty item; expected a number 1-31",
            ),
        ] {
            refused(
                CronTrigger::crontab(expression).timezone("UTC").build(),
                field,
                message,
            );
        }
    }

    #[test]
    fn crontab_bad_nearest_weekday_is_named_as_written() {
        let error = CronTrigger::crontab("0 0 xW * *")
            .timezone("UTC")
            .build()
            .unwrap_err();
        assert!(error.is_invalid_input());
        assert_eq!(error.field(), Some("day of month"));
        assert_eq!(
            error.to_string(),
            "day of month: \"x\" is not a number 1-31"
        );
    }

    #[test]
    fn crontab_question_mark_outside_the_day_fields() {
        for (expression, field) in [
            ("? * * * *", "minute"),
            ("0 ? * * *", "hour"),
            ("0 0 * ? *", "month"),
            ("? 0 0 * * *", "second"),
            ("0 0 0 * * * ?", "year"),
        ] {
            refused(
                CronTrigger::crontab(expression).timezone("UTC").build(),
                field,
                "\"?\" is only allowed in the day fields",
            );
        }
    }

    #[test]
    fn time_zones() {
        refused(
            fields().hour(1).timezone("Mars/Base").build(),
            "timezone",
            "\"Mars/Base\" is not a known IANA time zone name, `UTC` or an offset like +05:30",
        );
        refused(
            fields().hour(1).timezone("+5:30").build(),
            "timezone",
            "\"+5:30\" is not a UTC offset like +05:30, -08 or +0530",
        );
        refused(
            fields().hour(1).timezone("+99:00").build(),
            "timezone",
            "\"+99:00\" is not a UTC offset like +05:30, -08 or +0530",
        );
        refused(
            IntervalTrigger::builder()
                .hours(1)
                .timezone("Europe/Atlantis")
                .build(),
            "timezone",
            "\"Europe/Atlantis\" is not a known IANA time zone name, `UTC` or an offset like +05:30",
        );
        refused(
            CalendarIntervalTrigger::builder()
                .days(1)
                .timezone("Nowhere")
                .build(),
            "timezone",
            "\"Nowhere\" is not a known IANA time zone name, `UTC` or an offset like +05:30",
        );
        refused(
            DateTrigger::at_local("2026-01-01", "Nowhere"),
            "timezone",
            "\"Nowhere\" is not a known IANA time zone name, `UTC` or an offset like +05:30",
        );
        refused(
            Zone::new("Mars/Base"),
            "timezone",
            "\"Mars/Base\" is not a known IANA time zone name, `UTC` or an offset like +05:30",
        );
    }

    #[test]
    fn times() {
        let expected =
            "is neither RFC 3339 with an offset nor a local YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]";
        for text in [
            "yesterday",
            "2026-13-01",
            "2026-01-01 25:00",
            "2026-7-6",
            "2026-01-01T00:00:00+0100x",
        ] {
            refused(
                Zone::utc().parse_time(text),
                "time",
                &format!("{text:?} {expected}"),
            );
        }
        refused(
            DateTrigger::at_local("soon", "UTC"),
            "time",
            &format!("\"soon\" {expected}"),
        );
    }

    #[test]
    fn end_date_before_start_date() {
        let (start, end) = (utc("2026-01-02"), utc("2026-01-01"));
        let message =
            "2026-01-01T00:00:00+00:00 is before the start_date 2026-01-02T00:00:00+00:00";
        refused(
            fields().hour(1).start_date(start).end_date(end).build(),
            "end_date",
            message,
        );
        refused(
            IntervalTrigger::builder()
                .hours(1)
                .start_date(start)
                .end_date(end)
                .timezone("UTC")
                .build(),
            "end_date",
            message,
        );
        refused(
            CalendarIntervalTrigger::builder()
                .days(1)
                .start_date("2026-01-02".parse().unwrap())
                .end_date("2026-01-01".parse().unwrap())
                .timezone("UTC")
                .build(),
            "end_date",
            "2026-01-01 is before the start_date 2026-01-02",
        );
        // An end equal to the start is fine: one fire at most.
        let trigger = fields().hour(0).start_date(start).end_date(start).build();
        assert_eq!(
            fires(trigger.unwrap(), "2026-01-01", 2),
            ["2026-01-02T00:00:00+00:00"]
        );
    }

    #[test]
    fn negative_jitter() {
        let jitter = SignedDuration::from_secs(-5);
        for result in [
            fields().hour(1).jitter(jitter).build().map(Trigger::from),
            IntervalTrigger::builder()
                .hours(1)
                .jitter(jitter)
                .timezone("UTC")
                .build()
                .map(Trigger::from),
        ] {
            let error = result.unwrap_err();
            assert!(error.is_invalid_input());
            assert_eq!(error.field(), Some("jitter"));
            assert_eq!(
                error.to_string(),
                "jitter: -5s is negative; expected a duration of zero or more"
            );
        }
    }

    #[test]
    fn negative_jitter_is_named_as_given() {
        let error = fields()
            .hour(1)
            .jitter(SignedDuration::from_secs(-5))
            .build()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "jitter: -5s is negative; expected a duration of zero or more"
        );
    }

    #[test]
    fn intervals() {
        refused(
            IntervalTrigger::builder().timezone("UTC").build(),
            "interval",
            "weeks, days, hours, minutes and seconds are all zero; the interval must be longer than zero",
        );
        for (builder, field) in [
            (IntervalTrigger::builder().weeks(-1), "weeks"),
            (IntervalTrigger::builder().days(-1), "days"),
            (IntervalTrigger::builder().hours(-1), "hours"),
            (IntervalTrigger::builder().minutes(-1), "minutes"),
            (IntervalTrigger::builder().seconds(-1).minutes(5), "seconds"),
        ] {
            refused(
                builder.timezone("UTC").build(),
                field,
                "-1 is negative; expected zero or more",
            );
        }
        refused(
            IntervalTrigger::builder()
                .weeks(20_000)
                .timezone("UTC")
                .build(),
            "interval",
            "12096000000 seconds is too long; expected at most 10000000000 seconds",
        );
    }

    #[test]
    fn calendar_intervals() {
        let calendar = || CalendarIntervalTrigger::builder().timezone("UTC");
        refused(
            calendar().hour(9).build(),
            "interval",
            "years, months, weeks and days are all zero; the interval must be at least one day",
        );
        for (builder, field, message) in [
            (calendar().years(-1), "years", "-1 is out of range 0-10000"),
            (
                calendar().months(10_001),
                "months",
                "10001 is out of range 0-10000",
            ),
            (calendar().weeks(-2), "weeks", "-2 is out of range 0-10000"),
            (calendar().days(-1), "days", "-1 is out of range 0-10000"),
            (
                calendar().days(1).hour(24),
                "hour",
                "24 is out of range 0-23",
            ),
            (
                calendar().days(1).hour(-1),
                "hour",
                "-1 is out of range 0-23",
            ),
            (
                calendar().days(1).minute(60),
                "minute",
                "60 is out of range 0-59",
            ),
            (
                calendar().days(1).second(60),
                "second",
                "60 is out of range 0-59",
            ),
        ] {
            refused(builder.build(), field, message);
        }
    }

    #[test]
    fn empty_combinations() {
        let message = "the list is empty; expected at least one trigger";
        refused(AnyTrigger::new(vec![]), "triggers", message);
        refused(AllTrigger::new(vec![]), "triggers", message);
    }

    #[test]
    fn dst_policies() {
        refused(
            "sometimes".parse::<DstGap>(),
            "dst_gap",
            "\"sometimes\" is not a policy; expected shift, at-transition or skip",
        );
        refused(
            "twice".parse::<DstFold>(),
            "dst_fold",
            "\"twice\" is not a policy; expected auto, first, last or both",
        );
        // Both read their names in any case, and dst_gap takes `_` for `-`.
        assert_eq!(
            "AT_TRANSITION".parse::<DstGap>().unwrap(),
            DstGap::AtTransition
        );
        assert_eq!(" Both ".parse::<DstFold>().unwrap(), DstFold::Both);
    }
}
