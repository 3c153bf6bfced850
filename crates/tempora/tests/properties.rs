//! Property tests of the triggers against independent brute-force references.
//!
//! Cron expressions — APScheduler fields and crontab strings — are generated
//! in a structured form from valid pieces: `*`, numbers, ranges, steps
//! (`*/n`, `a-b/n`, `a/n`), lists, month and weekday names, and the day rules
//! (`last`, `3rd fri`, `last sun`; `L`, `LW`, `15W`, `5L`, `fri#3`, `?`).
//! The text given to Tempora is printed from that form; the reference never
//! parses it. Instead it walks every minute (or every second, for a
//! second-level expression over a few hours) of local wall-clock time with
//! jiff, decides from the structured form which wall times match, and turns
//! each into instants in the zone with jiff, as each DST policy says:
//!
//! - a wall time that exists once is that instant;
//! - in a gap: `skip` drops it, `shift` takes jiff's compatible reading (as
//!   far past the gap as the time is into it), `at-transition` takes the
//!   instant the gap ends;
//! - in a fold: `first`, `last` or both occurrences; `auto` both when the
//!   hour field matches all 24 hours, else the first;
//!
//! then sorts and deduplicates. Zones: UTC, New York, London, Sydney,
//! Kolkata (+05:30), St John's (-03:30/-02:30), Chatham (+12:45/+13:45) and
//! Lord Howe (a 30-minute DST). Start instants are random over 2024–2030,
//! most a few days before a DST change.
//!
//! What it proves:
//!
//! - every fire time matches the expression under the policy, the sequence
//!   strictly increases, and nothing is skipped: Tempora's fire times equal
//!   the reference exactly, for every gap × fold policy, over three weeks
//!   around a change (`cron_fire_times_equal_the_reference_near_dst_changes`)
//!   and, with `skip`/`both` (every existing matching instant), over months
//!   to two years (`cron_fire_times_equal_every_matching_instant_over_months`);
//! - the same at second resolution (`cron_seconds_equal_the_reference`);
//! - `next_fire_time(previous, now)` keeps its contract, and start and end
//!   dates bound the sequence;
//! - intervals fire at exactly `start + k × period` within `[start, end]`;
//! - calendar intervals fire on the dates APScheduler 3.11 steps to (years
//!   and months keeping the day of the month, skipping dates that do not
//!   exist), at the wall time resolved by the policies;
//! - a job excluding a calendar (a daily range or weekdays) fires at exactly
//!   its trigger's fire times whose wall-clock time the calendar does not
//!   hold (`excluded_fire_times_are_exactly_those_the_calendar_holds`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ToSpan};
use proptest::prelude::*;
use tempora::trigger::{
    CalendarIntervalTrigger, CronTrigger, DstFold, DstGap, IntervalTrigger, Trigger, Zone,
};

const ZONES: [&str; 8] = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
];

/// 2024-01-01T00:00:00Z.
const EPOCH_2024: i64 = 1_704_067_200;
/// Seven years of seconds: starts fall in 2024–2030.
const SEVEN_YEARS: i64 = 7 * 365 * 86_400;

// ---------------------------------------------------------------------------
// Numeric fields.

/// How a field's values may be named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Names {
    None,
    /// `jan`-`dec` = 1-12.
    Months,
    /// `mon`-`sun` = 0-6 (APScheduler).
    FromMonday,
    /// `sun`-`sat` = 0-6, and 7 is Sunday too (crontab).
    FromSunday,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const FROM_MONDAY: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FROM_SUNDAY: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One comma-free item of a numeric field.
#[derive(Clone, Copy, Debug)]
enum Item {
    /// `*`
    All,
    /// `*/s`: every s-th value from the field's minimum.
    Every(u32),
    /// `a`
    One(u32),
    /// `a-b`
    Range(u32, u32),
    /// `a-b/s`
    RangeStep(u32, u32, u32),
    /// `a/s`: every s-th value from a to the field's maximum.
    From(u32, u32),
}

/// A numeric field: a list of items, each maybe written with names.
#[derive(Clone, Debug)]
struct Field {
    min: u32,
    names: Names,
    items: Vec<(Item, bool)>,
}

impl Field {
    /// A field of one item, written with numbers.
    fn single(min: u32, item: Item) -> Field {
        Field {
            min,
            names: Names::None,
            items: vec![(item, false)],
        }
    }

    fn all(min: u32) -> Field {
        Field::single(min, Item::All)
    }

    fn one(value: u32) -> Field {
        Field::single(value, Item::One(value))
    }

    /// A value as text: a name when `named` and the field has one for it.
    fn show(&self, value: u32, named: bool, range_end_after: Option<u32>) -> String {
        if !named {
            return value.to_string();
        }
        match self.names {
            Names::None => value.to_string(),
            Names::Months => MONTHS[value as usize - 1].to_owned(),
            Names::FromMonday => FROM_MONDAY[value as usize].to_owned(),
            // 7 reads as `sun` only at the end of a range from Monday-
            // Saturday (`fri-sun`), where it means the Sunday after.
            Names::FromSunday if value == 7 => match range_end_after {
                Some(first) if first > 0 => "sun".to_owned(),
                _ => "7".to_owned(),
            },
            Names::FromSunday => FROM_SUNDAY[value as usize].to_owned(),
        }
    }

    fn item_text(&self, item: Item, named: bool) -> String {
        match item {
            Item::All => "*".to_owned(),
            Item::Every(step) => format!("*/{step}"),
            Item::One(value) => self.show(value, named, None),
            Item::Range(first, last) => format!(
                "{}-{}",
                self.show(first, named, None),
                self.show(last, named, Some(first))
            ),
            Item::RangeStep(first, last, step) => format!(
                "{}-{}/{step}",
                self.show(first, named, None),
                self.show(last, named, Some(first))
            ),
            Item::From(first, step) => format!("{first}/{step}"),
        }
    }

    fn text(&self) -> String {
        let texts: Vec<String> = self
            .items
            .iter()
            .map(|&(item, named)| self.item_text(item, named))
            .collect();
        texts.join(",")
    }

    fn contains(&self, value: u32) -> bool {
        let min = self.min;
        self.items.iter().any(|&(item, _)| match item {
            Item::All => true,
            Item::Every(step) => value >= min && (value - min).is_multiple_of(step),
            Item::One(one) => value == one,
            Item::Range(first, last) => (first..=last).contains(&value),
            Item::RangeStep(first, last, step) => {
                (first..=last).contains(&value) && (value - first).is_multiple_of(step)
            }
            Item::From(first, step) => value >= first && (value - first).is_multiple_of(step),
        })
    }
}

/// A valid item of a field with values `min..=max`.
fn item(min: u32, max: u32) -> impl Strategy<Value = Item> {
    prop_oneof![
        2 => Just(Item::All),
        1 => (1..=(max - min)).prop_map(Item::Every),
        3 => (min..=max).prop_map(Item::One),
        2 => (min..=max, min..=max).prop_map(|(a, b)| Item::Range(a.min(b), a.max(b))),
        2 => (min..max)
            .prop_flat_map(move |first| (Just(first), (first + 1)..=max))
            .prop_flat_map(|(first, last)| (Just(first), Just(last), 1..=(last - first)))
            .prop_map(|(first, last, step)| Item::RangeStep(first, last, step)),
        1 => (min..max)
            .prop_flat_map(move |first| (Just(first), 1..=(max - first)))
            .prop_map(|(first, step)| Item::From(first, step)),
    ]
}

fn field(min: u32, max: u32, names: Names) -> impl Strategy<Value = Field> {
    prop::collection::vec((item(min, max), any::<bool>()), 1..=3).prop_map(move |items| Field {
        min,
        names,
        items,
    })
}

/// Mostly `*`, so that most windows hold fire times.
fn mostly_all(min: u32, max: u32, names: Names) -> impl Strategy<Value = Field> {
    prop_oneof![3 => Just(Field::all(min)), 1 => field(min, max, names)]
}

/// A year field: `*`, a year or range of 2024–2031, or `*/n` from 1970.
fn year_field() -> impl Strategy<Value = Field> {
    let item = prop_oneof![
        2 => Just(Item::All),
        1 => (1u32..=3).prop_map(Item::Every),
        2 => (2024u32..=2031).prop_map(Item::One),
        2 => (2024u32..=2031, 2024u32..=2031).prop_map(|(a, b)| Item::Range(a.min(b), a.max(b))),
    ];
    prop::collection::vec(item, 1..=2).prop_map(|items| Field {
        min: 1970,
        names: Names::None,
        items: items.into_iter().map(|item| (item, false)).collect(),
    })
}

// ---------------------------------------------------------------------------
// Day fields.

const POSITIONS: [&str; 5] = ["1st", "2nd", "3rd", "4th", "5th"];

/// An item of APScheduler's day field.
#[derive(Clone, Copy, Debug)]
enum ApsDay {
    Number(Item),
    /// `last`: the last day of the month.
    Last,
    /// `3rd fri`: the n-th (1-5) weekday (0 = Monday) of the month.
    Nth(u32, u32),
    /// `last sun`: the last such weekday of the month.
    LastOf(u32),
}

/// An item of the crontab day-of-month field.
#[derive(Clone, Copy, Debug)]
enum CronDay {
    Number(Item),
    /// `L`
    Last,
    /// `LW`: the last Monday-Friday of the month.
    LastWorkday,
    /// `15W`: the Monday-Friday nearest the 15th, within the month.
    Nearest(u32),
}

/// An item of the crontab day-of-week field (0 = Sunday, 7 = Sunday).
#[derive(Clone, Copy, Debug)]
enum CronWeekday {
    Number(Item, bool),
    /// `5L` / `friL`: the last such weekday of the month.
    LastOf(u32, bool),
    /// `5#3` / `fri#3`: the n-th such weekday of the month.
    Nth(u32, u32, bool),
}

fn weekday_name_sunday(weekday: u32, named: bool) -> String {
    if named {
        FROM_SUNDAY[weekday as usize % 7].to_owned()
    } else {
        weekday.to_string()
    }
}

/// Day `day` of the month of `date`, if it exists.
fn day_of(date: Date, day: u32) -> Option<Date> {
    Date::new(date.year(), date.month(), day as i8).ok()
}

fn is_last_of_its_weekday(date: Date) -> bool {
    date.day() as u32 + 7 > date.days_in_month() as u32
}

fn position_in_month(date: Date) -> u32 {
    (date.day() as u32 - 1) / 7 + 1
}

/// Monday to Friday.
fn is_workday(date: Date) -> bool {
    date.weekday().to_monday_zero_offset() < 5
}

impl ApsDay {
    fn text(self) -> String {
        match self {
            ApsDay::Number(item) => Field::single(1, item).text(),
            ApsDay::Last => "last".to_owned(),
            ApsDay::Nth(nth, weekday) => {
                format!(
                    "{} {}",
                    POSITIONS[nth as usize - 1],
                    FROM_MONDAY[weekday as usize]
                )
            }
            ApsDay::LastOf(weekday) => format!("last {}", FROM_MONDAY[weekday as usize]),
        }
    }

    fn contains(self, date: Date) -> bool {
        let weekday = date.weekday().to_monday_zero_offset() as u32;
        match self {
            ApsDay::Number(item) => Field::single(1, item).contains(date.day() as u32),
            ApsDay::Last => date.day() == date.days_in_month(),
            ApsDay::Nth(nth, wanted) => weekday == wanted && position_in_month(date) == nth,
            ApsDay::LastOf(wanted) => weekday == wanted && is_last_of_its_weekday(date),
        }
    }
}

impl CronDay {
    fn text(self) -> String {
        match self {
            CronDay::Number(item) => Field::single(1, item).text(),
            CronDay::Last => "L".to_owned(),
            CronDay::LastWorkday => "LW".to_owned(),
            CronDay::Nearest(day) => format!("{day}W"),
        }
    }

    fn contains(self, date: Date) -> bool {
        match self {
            CronDay::Number(item) => Field::single(1, item).contains(date.day() as u32),
            CronDay::Last => date.day() == date.days_in_month(),
            CronDay::LastWorkday => {
                // The last day of the month that is Monday-Friday.
                let mut last = date.last_of_month();
                while !is_workday(last) {
                    last = last.yesterday().unwrap();
                }
                date == last
            }
            CronDay::Nearest(day) => {
                // Quartz's `W`: a Saturday moves to the Friday before, a
                // Sunday to the Monday after, never out of the month.
                let Some(target) = day_of(date, day) else {
                    return false;
                };
                let length = date.days_in_month() as u32;
                let nearest = match target.weekday().to_monday_zero_offset() {
                    5 if day == 1 => 3,
                    5 => day - 1,
                    6 if day == length => day - 2,
                    6 => day + 1,
                    _ => day,
                };
                date.day() as u32 == nearest
            }
        }
    }
}

impl CronWeekday {
    fn text(self) -> String {
        match self {
            CronWeekday::Number(item, named) => Field {
                min: 0,
                names: Names::FromSunday,
                items: vec![(item, named)],
            }
            .text(),
            CronWeekday::LastOf(weekday, named) => {
                format!("{}L", weekday_name_sunday(weekday, named))
            }
            CronWeekday::Nth(weekday, nth, named) => {
                format!("{}#{nth}", weekday_name_sunday(weekday, named))
            }
        }
    }

    fn contains(self, date: Date) -> bool {
        let weekday = date.weekday().to_sunday_zero_offset() as u32;
        let is = |wanted: u32| wanted % 7 == weekday;
        match self {
            CronWeekday::Number(item, _) => {
                let field = Field::single(0, item);
                // 0 and 7 are both Sunday.
                field.contains(weekday) || (weekday == 0 && field.contains(7))
            }
            CronWeekday::LastOf(wanted, _) => is(wanted) && is_last_of_its_weekday(date),
            CronWeekday::Nth(wanted, nth, _) => is(wanted) && position_in_month(date) == nth,
        }
    }
}

fn aps_day() -> impl Strategy<Value = Vec<ApsDay>> {
    let one = prop_oneof![
        5 => item(1, 31).prop_map(ApsDay::Number),
        1 => Just(ApsDay::Last),
        1 => (1u32..=5, 0u32..7).prop_map(|(nth, weekday)| ApsDay::Nth(nth, weekday)),
        1 => (0u32..7).prop_map(ApsDay::LastOf),
    ];
    prop::collection::vec(one, 1..=3)
}

/// The crontab day-of-month field; `None` is `?`.
fn cron_day() -> impl Strategy<Value = Option<Vec<CronDay>>> {
    let one = prop_oneof![
        5 => item(1, 31).prop_map(CronDay::Number),
        1 => Just(CronDay::Last),
        1 => Just(CronDay::LastWorkday),
        1 => prop_oneof![Just(1u32), 1u32..=31, 28u32..=31].prop_map(CronDay::Nearest),
    ];
    prop_oneof![
        1 => Just(None),
        8 => prop::collection::vec(one, 1..=3).prop_map(Some),
    ]
}

/// The crontab day-of-week field; `None` is `?`.
fn cron_weekday() -> impl Strategy<Value = Option<Vec<CronWeekday>>> {
    let one = prop_oneof![
        6 => (item(0, 7), any::<bool>()).prop_map(|(item, named)| CronWeekday::Number(item, named)),
        1 => (0u32..=7, any::<bool>()).prop_map(|(weekday, named)| CronWeekday::LastOf(weekday, named)),
        1 => (0u32..=7, 1u32..=5, any::<bool>())
            .prop_map(|(weekday, nth, named)| CronWeekday::Nth(weekday, nth, named)),
    ];
    prop_oneof![
        1 => Just(None),
        8 => prop::collection::vec(one, 1..=3).prop_map(Some),
    ]
}

// ---------------------------------------------------------------------------
// Expressions.

/// APScheduler's fields; `None` is a field not given.
#[derive(Clone, Debug)]
struct Aps {
    year: Option<Field>,
    month: Option<Field>,
    day: Option<Vec<ApsDay>>,
    week: Option<Field>,
    day_of_week: Option<Field>,
    hour: Option<Field>,
    minute: Option<Field>,
    second: Option<Field>,
}

/// A crontab string: 5 fields, 6 with a leading second, 7 with a trailing
/// year too.
#[derive(Clone, Debug)]
struct Crontab {
    second: Option<Field>,
    minute: Field,
    hour: Field,
    /// `None` is `?`.
    day: Option<Vec<CronDay>>,
    month: Field,
    /// `None` is `?`.
    day_of_week: Option<Vec<CronWeekday>>,
    year: Option<Field>,
}

#[derive(Clone, Debug)]
enum Expression {
    Aps(Aps),
    Crontab(Crontab),
}

impl Aps {
    fn given(&self) -> [bool; 8] {
        [
            self.year.is_some(),
            self.month.is_some(),
            self.day.is_some(),
            self.week.is_some(),
            self.day_of_week.is_some(),
            self.hour.is_some(),
            self.minute.is_some(),
            self.second.is_some(),
        ]
    }

    /// The field as it applies: as given, or by the documented default —
    /// the minimum below the least significant field given, `*` above it;
    /// `week` and `day_of_week` always `*`.
    fn effective(&self, index: usize, given: &Option<Field>, min: u32) -> Field {
        let least = self.given().iter().rposition(|given| *given).unwrap();
        match given {
            Some(field) => field.clone(),
            None if index > least && index != 3 && index != 4 => Field::one(min),
            None => Field::all(min),
        }
    }

    fn day_matches(&self, date: Date) -> bool {
        match &self.day {
            Some(items) => items.iter().any(|item| item.contains(date)),
            None => self.effective(2, &None, 1).contains(date.day() as u32),
        }
    }

    fn text(&self) -> String {
        let mut parts = Vec::new();
        for (name, field) in [
            ("year", &self.year),
            ("month", &self.month),
            ("week", &self.week),
            ("day_of_week", &self.day_of_week),
            ("hour", &self.hour),
            ("minute", &self.minute),
            ("second", &self.second),
        ] {
            if let Some(field) = field {
                parts.push(format!("{name}='{}'", field.text()));
            }
        }
        if let Some(day) = &self.day {
            parts.push(format!("day='{}'", aps_day_text(day)));
        }
        parts.join(" ")
    }
}

fn aps_day_text(items: &[ApsDay]) -> String {
    let texts: Vec<String> = items.iter().map(|item| item.text()).collect();
    texts.join(",")
}

impl Crontab {
    fn text(&self) -> String {
        let day = match &self.day {
            None => "?".to_owned(),
            Some(items) => {
                let texts: Vec<String> = items.iter().map(|item| item.text()).collect();
                texts.join(",")
            }
        };
        let day_of_week = match &self.day_of_week {
            None => "?".to_owned(),
            Some(items) => {
                let texts: Vec<String> = items.iter().map(|item| item.text()).collect();
                texts.join(",")
            }
        };
        let mut fields = Vec::new();
        if let Some(second) = &self.second {
            fields.push(second.text());
        }
        fields.extend([
            self.minute.text(),
            self.hour.text(),
            day,
            self.month.text(),
            day_of_week,
        ]);
        if let Some(year) = &self.year {
            fields.push(year.text());
        }
        fields.join(" ")
    }

    /// Vixie's rule: when both day fields are restricted (neither starts
    /// with `*` or `?`), a day matches if either does; otherwise both must.
    fn date_matches(&self, date: Date) -> bool {
        let (day, day_star) = match &self.day {
            None => (true, true),
            Some(items) => (
                items.iter().any(|item| item.contains(date)),
                matches!(items[0], CronDay::Number(Item::All | Item::Every(_))),
            ),
        };
        let (weekday, weekday_star) = match &self.day_of_week {
            None => (true, true),
            Some(items) => (
                items.iter().any(|item| item.contains(date)),
                matches!(items[0], CronWeekday::Number(Item::All | Item::Every(_), _)),
            ),
        };
        if day_star || weekday_star {
            day && weekday
        } else {
            day || weekday
        }
    }
}

impl Expression {
    fn trigger(&self, zone: &str, gap: DstGap, fold: DstFold) -> CronTrigger {
        self.bounded_trigger(zone, gap, fold, None, None)
    }

    fn bounded_trigger(
        &self,
        zone: &str,
        gap: DstGap,
        fold: DstFold,
        start: Option<Timestamp>,
        end: Option<Timestamp>,
    ) -> CronTrigger {
        let mut builder = match self {
            Expression::Crontab(crontab) => CronTrigger::crontab(crontab.text()),
            Expression::Aps(aps) => {
                let mut builder = CronTrigger::builder();
                if let Some(field) = &aps.year {
                    builder = builder.year(field.text());
                }
                if let Some(field) = &aps.month {
                    builder = builder.month(field.text());
                }
                if let Some(day) = &aps.day {
                    builder = builder.day(aps_day_text(day));
                }
                if let Some(field) = &aps.week {
                    builder = builder.week(field.text());
                }
                if let Some(field) = &aps.day_of_week {
                    builder = builder.day_of_week(field.text());
                }
                if let Some(field) = &aps.hour {
                    builder = builder.hour(field.text());
                }
                if let Some(field) = &aps.minute {
                    builder = builder.minute(field.text());
                }
                if let Some(field) = &aps.second {
                    builder = builder.second(field.text());
                }
                builder
            }
        };
        if let Some(start) = start {
            builder = builder.start_date(start);
        }
        if let Some(end) = end {
            builder = builder.end_date(end);
        }
        builder
            .timezone(zone)
            .dst_gap(gap)
            .dst_fold(fold)
            .build()
            .unwrap_or_else(|error| panic!("{self}: {error}"))
    }

    fn date_matches(&self, date: Date) -> bool {
        match self {
            Expression::Crontab(crontab) => {
                crontab.month.contains(date.month() as u32)
                    && crontab
                        .year
                        .as_ref()
                        .is_none_or(|year| year.contains(date.year() as u32))
                    && crontab.date_matches(date)
            }
            Expression::Aps(aps) => {
                aps.effective(0, &aps.year, 1970)
                    .contains(date.year() as u32)
                    && aps
                        .effective(1, &aps.month, 1)
                        .contains(date.month() as u32)
                    && aps.day_matches(date)
                    && aps
                        .effective(3, &aps.week, 1)
                        .contains(date.iso_week_date().week() as u32)
                    && aps
                        .effective(4, &aps.day_of_week, 0)
                        .contains(date.weekday().to_monday_zero_offset() as u32)
            }
        }
    }

    /// The hour, minute and second fields as they apply.
    fn time_fields(&self) -> [Field; 3] {
        match self {
            Expression::Crontab(crontab) => [
                crontab.hour.clone(),
                crontab.minute.clone(),
                crontab.second.clone().unwrap_or(Field::one(0)),
            ],
            Expression::Aps(aps) => [
                aps.effective(5, &aps.hour, 0),
                aps.effective(6, &aps.minute, 0),
                aps.effective(7, &aps.second, 0),
            ],
        }
    }

    /// "Fires every hour": the hour field matches all 24 hours.
    fn every_hour(&self) -> bool {
        let [hours, _, _] = self.time_fields();
        (0..24).all(|hour| hours.contains(hour))
    }
}

impl std::fmt::Display for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expression::Crontab(crontab) => write!(f, "crontab '{}'", crontab.text()),
            Expression::Aps(aps) => write!(f, "fields {}", aps.text()),
        }
    }
}

/// APScheduler fields at minute resolution: the second is 0, given or by
/// default (some field is always given).
fn aps_minutes() -> impl Strategy<Value = Aps> {
    (
        prop::option::weighted(0.1, year_field()),
        prop::option::weighted(0.3, field(1, 12, Names::Months)),
        prop::option::weighted(0.5, aps_day()),
        prop::option::weighted(0.05, field(1, 53, Names::None)),
        prop::option::weighted(0.4, field(0, 6, Names::FromMonday)),
        prop::option::weighted(0.7, hours_near_changes()),
        prop::option::weighted(0.8, field(0, 59, Names::None)),
        any::<bool>(),
    )
        .prop_map(
            |(year, month, day, week, day_of_week, hour, minute, second)| {
                let mut aps = Aps {
                    year,
                    month,
                    day,
                    week,
                    day_of_week,
                    hour,
                    minute,
                    second: second.then(|| Field::one(0)),
                };
                if !aps.given().contains(&true) {
                    aps.second = Some(Field::one(0));
                }
                aps
            },
        )
}

/// Crontab strings at minute resolution: five fields, or six or seven with
/// a second of 0.
fn crontab_minutes() -> impl Strategy<Value = Crontab> {
    (
        prop_oneof![2 => Just(None), 1 => Just(Some(Field::one(0)))],
        field(0, 59, Names::None),
        hours_near_changes(),
        cron_day(),
        mostly_all(1, 12, Names::Months),
        cron_weekday(),
        prop::option::weighted(0.2, year_field()),
    )
        .prop_map(|(second, minute, hour, day, month, day_of_week, year)| {
            // A year needs the leading second (seven fields).
            let second = if year.is_some() {
                Some(Field::one(0))
            } else {
                second
            };
            Crontab {
                second,
                minute,
                hour,
                day,
                month,
                day_of_week,
                year,
            }
        })
}

/// APScheduler fields down to the day at most: they fire at midnight, and
/// the hour, minute and second take their defaults (0).
fn aps_days() -> impl Strategy<Value = Aps> {
    (
        prop::option::weighted(0.2, year_field()),
        prop::option::weighted(0.4, field(1, 12, Names::Months)),
        prop::option::weighted(0.6, aps_day()),
        prop::option::weighted(0.2, field(1, 53, Names::None)),
        prop::option::weighted(0.5, field(0, 6, Names::FromMonday)),
    )
        .prop_map(|(year, month, day, week, day_of_week)| {
            let mut aps = Aps {
                year,
                month,
                day,
                week,
                day_of_week,
                hour: None,
                minute: None,
                second: None,
            };
            if !aps.given().contains(&true) {
                aps.day = Some(vec![ApsDay::Last]);
            }
            aps
        })
}

fn minute_expression() -> impl Strategy<Value = Expression> {
    prop_oneof![
        1 => aps_days().prop_map(Expression::Aps),
        4 => aps_minutes().prop_map(Expression::Aps),
        5 => crontab_minutes().prop_map(Expression::Crontab),
    ]
}

impl Expression {
    /// The same times of day on every day, so that the day of a DST change
    /// is one of them.
    fn every_day(self) -> Expression {
        match self {
            Expression::Aps(mut aps) => {
                (aps.year, aps.month, aps.day, aps.week, aps.day_of_week) =
                    (None, None, None, None, None);
                if !aps.given().contains(&true) {
                    aps.second = Some(Field::one(0));
                }
                Expression::Aps(aps)
            }
            Expression::Crontab(crontab) => Expression::Crontab(Crontab {
                day: Some(vec![CronDay::Number(Item::All)]),
                month: Field::all(1),
                day_of_week: Some(vec![CronWeekday::Number(Item::All, false)]),
                year: None,
                ..crontab
            }),
        }
    }
}

/// Half the time every day, so that more windows fire on a change day.
fn minute_expression_near_changes() -> impl Strategy<Value = Expression> {
    prop_oneof![
        1 => minute_expression(),
        2 => minute_expression().prop_map(Expression::every_day),
    ]
}

/// Hours that often meet a DST change: `*`, a range within 0-4, or any.
fn hours_near_changes() -> impl Strategy<Value = Field> {
    prop_oneof![
        2 => Just(Field::all(0)),
        2 => (0u32..=4, 0u32..=4).prop_map(|(a, b)| Field {
            min: 0,
            names: Names::None,
            items: vec![(Item::Range(a.min(b), a.max(b)), false)],
        }),
        1 => field(0, 23, Names::None),
    ]
}

/// Expressions with a second field, every day.
fn second_expression() -> impl Strategy<Value = Expression> {
    (
        field(0, 59, Names::None),
        mostly_all(0, 59, Names::None),
        hours_near_changes(),
        any::<bool>(),
    )
        .prop_map(|(second, minute, hour, crontab)| {
            if crontab {
                Expression::Crontab(Crontab {
                    second: Some(second),
                    minute,
                    hour,
                    day: Some(vec![CronDay::Number(Item::All)]),
                    month: Field::all(1),
                    day_of_week: Some(vec![CronWeekday::Number(Item::All, false)]),
                    year: None,
                })
            } else {
                Expression::Aps(Aps {
                    year: None,
                    month: None,
                    day: None,
                    week: None,
                    day_of_week: None,
                    hour: Some(hour),
                    minute: Some(minute),
                    second: Some(second),
                })
            }
        })
}

// ---------------------------------------------------------------------------
// The reference.

/// The instants of the wall time `wall` in `tz` under the policies, as
/// documented.
fn resolve(
    tz: &TimeZone,
    wall: DateTime,
    gap: DstGap,
    fold: DstFold,
    every_hour: bool,
) -> Vec<Timestamp> {
    let ambiguous = tz.to_ambiguous_timestamp(wall);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => vec![ambiguous.compatible().unwrap()],
        AmbiguousOffset::Gap { .. } => match gap {
            DstGap::Skip => vec![],
            // As far past the gap as the wall time is into it.
            DstGap::Shift => vec![ambiguous.compatible().unwrap()],
            // The instant the gap ends: the transition after the wall time
            // read with the later offset (which is before the transition).
            DstGap::AtTransition => {
                let before = ambiguous.earlier().unwrap();
                vec![tz.following(before).next().unwrap().timestamp()]
            }
        },
        AmbiguousOffset::Fold { .. } => {
            let first = ambiguous.earlier().unwrap();
            let second = ambiguous.later().unwrap();
            match fold {
                DstFold::First => vec![first],
                DstFold::Last => vec![second],
                DstFold::Both => vec![first, second],
                DstFold::Auto if every_hour => vec![first, second],
                DstFold::Auto => vec![first],
            }
        }
    }
}

/// The reference fire times in `[low, high]`, found by walking the wall
/// clock day by day, minute by minute (second by second where the second
/// field allows more than second 0).
///
/// With `limit`, the walk stops two days after `limit` times are found; the
/// second value is then the instant before which the list is complete.
fn reference(
    expression: &Expression,
    tz: &TimeZone,
    (gap, fold): (DstGap, DstFold),
    (low, high): (Timestamp, Timestamp),
    limit: Option<usize>,
) -> (Vec<Timestamp>, Timestamp) {
    let every_hour = expression.every_hour();
    let [hours, minutes, seconds] = expression.time_fields();
    let seconds: Vec<i8> = (0..60)
        .filter(|second| seconds.contains(*second))
        .map(|second| second as i8)
        .collect();
    let first_day = tz.to_datetime(low).date().yesterday().unwrap();
    let last_day = tz.to_datetime(high).date().tomorrow().unwrap();
    let mut times = Vec::new();
    let mut complete_until = high.checked_add(SignedDuration::from_nanos(1)).unwrap();
    let mut extra_days = None;
    let mut day = first_day;
    while day <= last_day {
        if expression.date_matches(day) {
            for hour in (0..24).filter(|hour| hours.contains(*hour)) {
                for minute in (0..60).filter(|minute| minutes.contains(*minute)) {
                    for &second in &seconds {
                        let wall = day.at(hour as i8, minute as i8, second, 0);
                        times.extend(
                            resolve(tz, wall, gap, fold, every_hour)
                                .into_iter()
                                .filter(|time| (low..=high).contains(time)),
                        );
                    }
                }
            }
        }
        if let Some(limit) = limit {
            match extra_days {
                None if times.len() >= limit => extra_days = Some(2),
                Some(0) => {
                    // Walls of later days are at least a day past the start
                    // of the day before this one, whatever the offsets do.
                    let safe = tz
                        .to_ambiguous_timestamp(day.yesterday().unwrap().at(0, 0, 0, 0))
                        .compatible()
                        .unwrap();
                    complete_until = complete_until.min(safe);
                    break;
                }
                Some(left) => extra_days = Some(left - 1),
                None => {}
            }
        }
        day = day.tomorrow().unwrap();
    }
    times.sort();
    times.dedup();
    times.retain(|time| *time < complete_until);
    (times, complete_until)
}

/// Tempora's fire times from `from` on, before `until`; at most `cap`.
fn tempora_times(
    trigger: &Trigger,
    from: Timestamp,
    until: Timestamp,
    cap: usize,
) -> Vec<Timestamp> {
    trigger
        .fire_times(None, from)
        .take_while(|time| *time < until)
        .take(cap)
        .collect()
}

/// Explains where two sequences part, or `Ok` when they are equal.
fn compare(zone: &Zone, actual: &[Timestamp], expected: &[Timestamp]) -> Result<(), String> {
    if !actual.windows(2).all(|pair| pair[0] < pair[1]) {
        let at = actual
            .windows(2)
            .position(|pair| pair[0] >= pair[1])
            .unwrap();
        return Err(format!(
            "not strictly increasing: {} then {}",
            zone.format(actual[at]),
            zone.format(actual[at + 1])
        ));
    }
    if actual == expected {
        return Ok(());
    }
    let at = actual
        .iter()
        .zip(expected)
        .take_while(|(a, e)| a == e)
        .count();
    let show = |list: &[Timestamp]| -> String {
        let mut text = String::new();
        for time in list.iter().skip(at.saturating_sub(2)).take(5) {
            let _ = write!(text, "{} ", zone.format(*time));
        }
        text
    };
    let what = match (actual.get(at), expected.get(at)) {
        (Some(a), Some(e)) if a < e => {
            format!("fires at {}, which does not match", zone.format(*a))
        }
        (Some(_), Some(e)) | (None, Some(e)) => format!("skips {}", zone.format(*e)),
        (Some(a), None) => format!("fires at {}, which does not match", zone.format(*a)),
        (None, None) => unreachable!(),
    };
    Err(format!(
        "{what}; {} fire times, {} expected; from index {}: actual [{}], expected [{}]",
        actual.len(),
        expected.len(),
        at.saturating_sub(2),
        show(actual),
        show(expected)
    ))
}

fn gap_policy() -> impl Strategy<Value = DstGap> {
    prop_oneof![
        Just(DstGap::Shift),
        Just(DstGap::AtTransition),
        Just(DstGap::Skip)
    ]
}

fn fold_policy() -> impl Strategy<Value = DstFold> {
    prop_oneof![
        Just(DstFold::Auto),
        Just(DstFold::First),
        Just(DstFold::Last),
        Just(DstFold::Both)
    ]
}

/// A start instant in 2024–2030: `(seconds after 2024, nanoseconds, how far
/// before the next DST change)`; with the last `None`, anywhere.
fn start() -> impl Strategy<Value = (i64, i32, Option<i64>)> {
    (
        0..SEVEN_YEARS,
        prop_oneof![3 => Just(0i32), 1 => 1..1_000_000_000i32],
        prop::option::weighted(0.9, 0i64..(4 * 86_400)),
    )
}

/// The instant of `start()`, moved to `before` seconds before the zone's next
/// change (if it has one in 2024–2030).
fn start_instant(tz: &TimeZone, (offset, nanos, before): (i64, i32, Option<i64>)) -> Timestamp {
    let instant = Timestamp::new(EPOCH_2024 + offset, nanos).unwrap();
    let Some(before) = before else {
        return instant;
    };
    match tz.following(instant).next() {
        Some(change) if change.timestamp().as_second() < EPOCH_2024 + SEVEN_YEARS => change
            .timestamp()
            .checked_sub(SignedDuration::new(before, nanos))
            .unwrap(),
        _ => instant,
    }
}

fn secs(seconds: i64) -> SignedDuration {
    SignedDuration::from_secs(seconds)
}

/// A probe of `next_fire_time(previous, now)`: `previous` a random instant
/// of the window or one of the fire times, `now` that plus up to two hours
/// either way (before it: a clock set back).
#[derive(Clone, Copy, Debug)]
struct Probe {
    at_fire_time: bool,
    /// Thousandths of the window, or of the list of fire times.
    fraction: u32,
    now_offset: i64,
}

fn probe() -> impl Strategy<Value = Probe> {
    (
        any::<bool>(),
        0u32..1000,
        prop_oneof![Just(0i64), Just(1), Just(-1), -7_200i64..7_200],
    )
        .prop_map(|(at_fire_time, fraction, now_offset)| Probe {
            at_fire_time,
            fraction,
            now_offset,
        })
}

/// Checks `next_fire_time` at the probes against the reference list
/// `expected`, which is complete in `[low, high)`.
fn check_contract(
    trigger: &Trigger,
    expected: &[Timestamp],
    (low, high): (Timestamp, Timestamp),
    probes: &[Probe],
) -> Result<(), String> {
    let span = high.duration_since(low).as_secs();
    let zone = trigger.zone();
    for probe in probes {
        let previous = if probe.at_fire_time {
            expected[expected.len() * probe.fraction as usize / 1000]
        } else {
            low.checked_add(secs(span * i64::from(probe.fraction) / 1000))
                .unwrap()
        };
        let now = previous.checked_add(secs(probe.now_offset)).unwrap();
        // The reference knows an answer when it lies in the window: it is
        // complete there.
        let show = |time: Option<Timestamp>| time.map(|time| zone.format(time));
        let wanted = if now < previous {
            expected.iter().find(|time| **time >= now)
        } else {
            expected.iter().find(|time| **time > previous)
        };
        if now.min(previous) >= low && wanted.is_some() {
            let answer = trigger.next_fire_time(Some(previous), now);
            if answer.as_ref() != wanted {
                return Err(format!(
                    "next_fire_time(Some({}), {}) = {:?}, expected {:?}",
                    zone.format(previous),
                    zone.format(now),
                    show(answer),
                    show(wanted.copied()),
                ));
            }
        }
        let wanted = expected.iter().find(|time| **time >= now);
        if now >= low && wanted.is_some() {
            let answer = trigger.next_fire_time(None, now);
            if answer.as_ref() != wanted {
                return Err(format!(
                    "next_fire_time(None, {}) = {:?}, expected {:?}",
                    zone.format(now),
                    show(answer),
                    show(wanted.copied()),
                ));
            }
        }
    }
    Ok(())
}

/// Fewer than this many fire times in a window are compared in full; more
/// are compared up to this many.
const CAP: usize = 6_000;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every policy pair, three weeks from a random instant (most a few days
    /// before a DST change); then `next_fire_time(previous, now)` at random
    /// instants and around fire times, and start and end dates at (or a
    /// nanosecond off) fire times.
    #[test]
    fn cron_fire_times_equal_the_reference_near_dst_changes(
        expression in minute_expression_near_changes(),
        zone_index in 0..ZONES.len(),
        start_at in start(),
        gap in gap_policy(),
        fold in fold_policy(),
        probes in prop::collection::vec(probe(), 6),
        bounds in ((0u32..1000, 0u32..1000), (0i64..3, 0i64..3)),
    ) {
        let zone_name = ZONES[zone_index];
        let zone = Zone::new(zone_name).unwrap();
        let tz = TimeZone::get(zone_name).unwrap();
        let from = start_instant(&tz, start_at);
        let until = from.checked_add(secs(21 * 86_400)).unwrap();
        let last = until.checked_sub(SignedDuration::from_nanos(1)).unwrap();
        let (expected, _) = reference(&expression, &tz, (gap, fold), (from, last), None);
        let trigger = Trigger::from(expression.trigger(zone_name, gap, fold));
        let actual = tempora_times(&trigger, from, until, CAP);
        if let Err(message) = compare(&zone, &actual, &expected[..expected.len().min(CAP)]) {
            prop_assert!(false, "{trigger} from {}: {message}", zone.format(from));
        }
        if expected.is_empty() || expected.len() >= CAP {
            return Ok(());
        }
        if let Err(message) = check_contract(&trigger, &expected, (from, until), &probes) {
            prop_assert!(false, "{trigger}: {message}");
        }

        // Start and end dates: at fire times, or a nanosecond after the
        // start one / before the end one.
        let ((first, second), (start_nudge, end_nudge)) = bounds;
        let pick = |fraction: u32| expected[expected.len() * fraction as usize / 1000];
        let nudge = |kind: i64| match kind {
            0 => SignedDuration::ZERO,
            1 => SignedDuration::from_nanos(1),
            _ => SignedDuration::from_millis(500),
        };
        let (start_date, end_date) = (pick(first.min(second)), pick(first.max(second)));
        let start_date = start_date.checked_add(nudge(start_nudge)).unwrap();
        let end_date = end_date.checked_sub(nudge(end_nudge)).unwrap();
        if start_date <= end_date {
            let bounded = Trigger::from(
                expression.bounded_trigger(zone_name, gap, fold, Some(start_date), Some(end_date)),
            );
            let wanted: Vec<Timestamp> = expected
                .iter()
                .copied()
                .filter(|time| (start_date..=end_date).contains(time))
                .collect();
            let actual = tempora_times(&bounded, from, until, CAP);
            if let Err(message) = compare(&zone, &actual, &wanted) {
                prop_assert!(false, "{bounded} from {}: {message}", zone.format(from));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// `skip` and `both`: every existing local instant that matches, over
    /// two months to two years (the first few thousand fire times of dense
    /// expressions).
    #[test]
    fn cron_fire_times_equal_every_matching_instant_over_months(
        expression in minute_expression_near_changes(),
        zone_index in 0..ZONES.len(),
        start_at in start(),
        days in 60i64..=730,
    ) {
        let (gap, fold) = (DstGap::Skip, DstFold::Both);
        let zone_name = ZONES[zone_index];
        let zone = Zone::new(zone_name).unwrap();
        let tz = TimeZone::get(zone_name).unwrap();
        let from = start_instant(&tz, start_at);
        let until = from.checked_add(secs(days * 86_400)).unwrap();
        let (expected, complete_until) = reference(
            &expression,
            &tz,
            (gap, fold),
            (from, until.checked_sub(SignedDuration::from_nanos(1)).unwrap()),
            Some(4_000),
        );
        let trigger = Trigger::from(expression.trigger(zone_name, gap, fold));
        let actual = tempora_times(&trigger, from, complete_until, usize::MAX);
        if let Err(message) = compare(&zone, &actual, &expected) {
            prop_assert!(false, "{trigger} from {}: {message}", zone.format(from));
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Second-level expressions, every policy pair, over four hours (most
    /// around a DST change).
    #[test]
    fn cron_seconds_equal_the_reference(
        expression in second_expression(),
        zone_index in 0..ZONES.len(),
        (offset, nanos, before) in start(),
        gap in gap_policy(),
        fold in fold_policy(),
    ) {
        let zone_name = ZONES[zone_index];
        let zone = Zone::new(zone_name).unwrap();
        let tz = TimeZone::get(zone_name).unwrap();
        // Up to three hours before a change (so it falls in the window).
        let from = start_instant(&tz, (offset, nanos, before.map(|before| before % (3 * 3_600))));
        let until = from.checked_add(secs(4 * 3_600)).unwrap();
        let (expected, _) = reference(
            &expression,
            &tz,
            (gap, fold),
            (from, until.checked_sub(SignedDuration::from_nanos(1)).unwrap()),
            None,
        );
        let trigger = Trigger::from(expression.trigger(zone_name, gap, fold));
        let actual = tempora_times(&trigger, from, until, usize::MAX);
        if let Err(message) = compare(&zone, &actual, &expected) {
            prop_assert!(false, "{trigger} from {}: {message}", zone.format(from));
        }
    }
}

// ---------------------------------------------------------------------------
// Intervals.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// From a start date: exactly `start + k × period` (an hour is 3600 s,
    /// whatever the zone), within `[start, end]`; `next_fire_time` from any
    /// previous fire time and now keeps the contract.
    #[test]
    fn interval_fire_times_are_start_plus_whole_periods(
        (weeks, days, hours, minutes, seconds) in (0i64..2, 0i64..3, 0i64..30, 0i64..90, 0i64..120)
            .prop_filter("a non-zero interval", |(w, d, h, m, s)| w + d + h + m + s > 0),
        start_offset in 0..SEVEN_YEARS,
        start_nanos in prop_oneof![Just(0i32), 0..1_000_000_000i32],
        now_offset in -86_400i64..(30 * 86_400),
        previous_offset in -86_400i64..(30 * 86_400),
        length in prop::option::weighted(0.7, 0i64..(60 * 86_400)),
        zone_index in 0..ZONES.len(),
    ) {
        let period = (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds;
        let start = Timestamp::new(EPOCH_2024 + start_offset, start_nanos).unwrap();
        let end = length.map(|length| start.checked_add(secs(length)).unwrap());
        let now = start.checked_add(secs(now_offset)).unwrap();
        let mut builder = IntervalTrigger::builder()
            .weeks(weeks)
            .days(days)
            .hours(hours)
            .minutes(minutes)
            .seconds(seconds)
            .start_date(start)
            .timezone(ZONES[zone_index]);
        if let Some(end) = end {
            builder = builder.end_date(end);
        }
        let interval = builder.build().unwrap();
        prop_assert_eq!(interval.period(), secs(period));
        let trigger = Trigger::from(interval);

        // Reference: every start + k × period in [max(start, now), end].
        let grid = |k: i64| start.checked_add(secs(k * period)).unwrap();
        let in_bounds = |time: &Timestamp| end.is_none_or(|end| *time <= end);
        let expected: Vec<Timestamp> = (0..)
            .map(grid)
            .filter(|time| *time >= now)
            .take_while(in_bounds)
            .take(50)
            .collect();
        let actual: Vec<Timestamp> = trigger.fire_times(None, now).take(50).collect();
        prop_assert_eq!(&actual, &expected);

        // The contract from an arbitrary previous fire time.
        let previous = start.checked_add(secs(previous_offset)).unwrap();
        let wanted = (0..)
            .map(grid)
            .find(|time| if now < previous { *time >= now } else { *time > previous })
            .filter(in_bounds);
        prop_assert_eq!(trigger.next_fire_time(Some(previous), now), wanted);
    }

    /// Without a start date: one period after now, then one after the
    /// previous fire time.
    #[test]
    fn interval_without_a_start_date_counts_from_now_then_from_the_previous(
        seconds in 1i64..(3 * 86_400),
        now_offset in 0..SEVEN_YEARS,
        late in 0i64..(10 * 86_400),
        zone_index in 0..ZONES.len(),
    ) {
        let trigger = Trigger::from(
            IntervalTrigger::builder().seconds(seconds).timezone(ZONES[zone_index]).build().unwrap(),
        );
        let now = Timestamp::from_second(EPOCH_2024 + now_offset).unwrap();
        let first = trigger.next_fire_time(None, now).unwrap();
        prop_assert_eq!(first, now.checked_add(secs(seconds)).unwrap());
        // Asked late, the next is still one period after the previous.
        let later = first.checked_add(secs(late)).unwrap();
        prop_assert_eq!(
            trigger.next_fire_time(Some(first), later),
            Some(first.checked_add(secs(seconds)).unwrap())
        );
    }
}

// ---------------------------------------------------------------------------
// Calendar intervals.

/// APScheduler 3.11's next fire date: add years and months keeping the day
/// of the month, repeating until that date exists, then weeks and days.
fn next_calendar_date(date: Date, (years, months, weeks, days): (i32, i32, i32, i32)) -> Date {
    let mut date_after = date;
    if years != 0 || months != 0 {
        let mut step = 1;
        loop {
            // jiff's month arithmetic clamps the day: accept only an exact hit.
            let candidate = Date::new(date.year(), date.month(), 1)
                .unwrap()
                .checked_add((years * step).years().months(months * step))
                .unwrap();
            if let Some(exact) = day_of(candidate, date.day() as u32) {
                date_after = exact;
                break;
            }
            step += 1;
        }
    }
    date_after
        .checked_add((i64::from(weeks) * 7 + i64::from(days)).days())
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every policy pair; start dates in 2024–2030, most a few days before a
    /// DST change with the time of day near the change's hour; `now` before
    /// or after the start, with or without a start date and an end date.
    #[test]
    fn calendar_interval_fire_times_step_existing_dates(
        interval in (0i32..2, 0i32..4, 0i32..3, 0i32..10)
            .prop_filter("a non-zero interval", |(y, m, w, d)| y + m + w + d > 0),
        (hour, minute, second) in (
            prop_oneof![2 => 0i32..24, 3 => 0i32..4],
            prop_oneof![Just(0i32), Just(30), Just(45), 0i32..60],
            prop_oneof![3 => Just(0i32), 1 => 0i32..60],
        ),
        start_at in start(),
        now_days in -40i64..400,
        given_start in prop::bool::weighted(0.85),
        end_days in prop::option::weighted(0.3, 0i64..400),
        zone_index in 0..ZONES.len(),
        gap in gap_policy(),
        fold in fold_policy(),
        probe in (0u32..1000, prop_oneof![Just(0i64), Just(1), 0i64..(3 * 86_400)]),
    ) {
        let zone_name = ZONES[zone_index];
        let zone = Zone::new(zone_name).unwrap();
        let tz = TimeZone::get(zone_name).unwrap();
        // A few days before a change, most of the time.
        let anchor = start_instant(&tz, (start_at.0, 0, start_at.2.map(|before| before * 3)));
        let start = tz.to_datetime(anchor).date();
        let now = if given_start {
            anchor.checked_add(secs(now_days * 86_400)).unwrap()
        } else {
            anchor
        };
        let end = end_days.map(|days| start.checked_add(days.days()).unwrap());
        let (years, months, weeks, days) = interval;
        let mut builder = CalendarIntervalTrigger::builder()
            .years(years)
            .months(months)
            .weeks(weeks)
            .days(days)
            .hour(hour)
            .minute(minute)
            .second(second)
            .timezone(zone_name)
            .dst_gap(gap)
            .dst_fold(fold);
        if given_start {
            builder = builder.start_date(start);
        }
        if let Some(end) = end {
            builder = builder.end_date(end);
        }
        let trigger = Trigger::from(builder.build().unwrap());
        let actual: Vec<Timestamp> = trigger.fire_times(None, now).take(12).collect();

        // Reference: the dates from the start date (the date of `now`
        // without one), each at the wall time resolved by the policies,
        // from `now` on, up to the end date.
        let mut expected = Vec::new();
        let mut date = if given_start { start } else { tz.to_datetime(now).date() };
        while expected.len() < 12 && end.is_none_or(|end| date <= end) && date.year() < 2100 {
            let wall = date.at(hour as i8, minute as i8, second as i8, 0);
            expected.extend(
                resolve(&tz, wall, gap, fold, false).into_iter().filter(|time| *time >= now),
            );
            date = next_calendar_date(date, interval);
        }
        expected.truncate(12);
        if let Err(message) = compare(&zone, &actual, &expected) {
            prop_assert!(false, "{trigger} from {}: {message}", zone.format(now));
        }

        // After a fire time, asked at it or later (a late scheduler), the
        // next is the one after it.
        if expected.len() >= 2 {
            let index = (probe.0 as usize) % (expected.len() - 1);
            let previous = expected[index];
            let now = previous.checked_add(secs(probe.1)).unwrap();
            prop_assert_eq!(
                trigger.next_fire_time(Some(previous), now),
                Some(expected[index + 1]),
                "{} after {} at {}", trigger, zone.format(previous), zone.format(now)
            );
        }
    }
}

/// Found by the contract probes: with a previous fire time and a `now`
/// before it (a clock set back), `Trigger::next_fire_time` documents "the
/// first fire time at or after `now`", which cron triggers and interval and
/// calendar interval triggers with a start date answer (APScheduler 3.11's
/// calendar interval answers the first after `previous`).
#[test]
fn calendar_interval_with_a_clock_set_back_answers_at_or_after_now() {
    let zone = Zone::utc();
    let at = |text: &str| zone.parse_time(text).unwrap();
    let calendar = CalendarIntervalTrigger::builder()
        .days(1)
        .hour(9)
        .start_date("2026-01-01".parse().unwrap())
        .timezone("UTC")
        .build()
        .unwrap();
    let cron = CronTrigger::crontab("0 9 * * *")
        .timezone("UTC")
        .build()
        .unwrap();
    let previous = at("2026-01-05 09:00");
    let now = at("2026-01-03 12:00");
    let wanted = Some(at("2026-01-04 09:00"));
    assert_eq!(cron.next_fire_time(Some(previous), now), wanted);
    assert_eq!(calendar.next_fire_time(Some(previous), now), wanted);
}

/// A calendar of the exclusion property, with an independent reference of
/// what it excludes: a daily range of wall-clock minutes `[from, to)`
/// (wrapping past midnight when `to < from`), or a set of weekdays.
#[derive(Debug, Clone)]
enum Excluded {
    Daily { from: u32, to: u32 },
    Weekdays(u8),
}

impl Excluded {
    fn calendar(&self, zone: &str) -> tempora::calendar::Calendar {
        use tempora::calendar::Calendar;
        let builder = match self {
            Excluded::Daily { from, to } => Calendar::daily(
                &format!("{:02}:{:02}", from / 60, from % 60),
                &format!("{:02}:{:02}", to / 60, to % 60),
            ),
            Excluded::Weekdays(mask) => Calendar::weekdays(
                ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                    .into_iter()
                    .enumerate()
                    .filter(|(day, _)| mask & (1 << day) != 0)
                    .map(|(_, name)| name),
            ),
        };
        builder.timezone(zone).build().unwrap()
    }

    /// Whether the wall-clock time of `instant` in `tz` is excluded, by
    /// jiff alone.
    fn excludes(&self, tz: &TimeZone, instant: Timestamp) -> bool {
        let wall = tz.to_datetime(instant);
        match self {
            Excluded::Daily { from, to } => {
                let minute = u32::try_from(wall.hour()).unwrap() * 60
                    + u32::try_from(wall.minute()).unwrap();
                if from < to {
                    (*from..*to).contains(&minute)
                } else {
                    minute >= *from || minute < *to
                }
            }
            Excluded::Weekdays(mask) => mask & (1 << wall.weekday().to_monday_zero_offset()) != 0,
        }
    }
}

fn excluded() -> impl Strategy<Value = Excluded> {
    prop_oneof![
        // At least an hour included each day, so that every trigger of the
        // property (a period of an hour at most) has fire times left.
        (0u32..1440, 0u32..1440)
            .prop_filter("an hour included", |(from, to)| {
                from != to && (i64::from(*from) - i64::from(*to)).rem_euclid(1440) >= 60
            })
            .prop_map(|(from, to)| Excluded::Daily { from, to }),
        (1u8..127).prop_map(Excluded::Weekdays),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A job's fire times with a calendar excluded are exactly its
    /// trigger's fire times that the calendar does not exclude, judged by
    /// jiff from the wall clock: the search's jumps over excluded spans
    /// (interval arithmetic, cron searches, the end of a day or range, a
    /// zone's change of offset) never pass over an included fire time,
    /// around DST changes too.
    #[test]
    fn excluded_fire_times_are_exactly_those_the_calendar_holds(
        zone_index in 0..ZONES.len(),
        start in start(),
        excluded in excluded(),
        minutes in prop::sample::select(vec![1i64, 7, 15, 30, 60]),
        cron in any::<bool>(),
    ) {
        use tempora::job::{JobBuilder, JobDefaults};
        let name = ZONES[zone_index];
        let zone = Zone::new(name).unwrap();
        let tz = zone.time_zone().clone();
        let now = start_instant(&tz, start);
        let trigger: Trigger = if cron {
            let expression = match minutes {
                60 => "0 * * * *".to_owned(),
                minutes => format!("*/{minutes} * * * *"),
            };
            CronTrigger::crontab(expression)
                .timezone(name)
                .build()
                .unwrap()
                .into()
        } else {
            IntervalTrigger::builder()
                .minutes(minutes)
                .start_date(now)
                .timezone(name)
                .build()
                .unwrap()
                .into()
        };
        let job = JobBuilder::new("t", trigger.clone())
            .exclude_calendar("excluded", excluded.calendar(name))
            .build_at(&JobDefaults::default(), now)
            .unwrap();
        let expected: Vec<Timestamp> = trigger
            .fire_times(None, now)
            .filter(|time| !excluded.excludes(&tz, *time))
            .take(40)
            .collect();
        let mut found = Vec::new();
        let mut next = job.next_run_time();
        while let Some(time) = next {
            if found.len() == expected.len() {
                break;
            }
            found.push(time);
            next = job.next_fire_time(Some(time), time);
        }
        prop_assert_eq!(found, expected, "{} excluding {:?} in {}", trigger, excluded, name);
    }
}
