//! Property tests against an independent brute-force reference.
//!
//! Random APScheduler-field and crontab expressions are generated in a
//! structured form; the reference walks every minute of every local day of a
//! window of weeks (crossing DST changes in zones with odd offsets and
//! half-hour DST), decides from the structured form — not by parsing the
//! text — which wall times match, and turns each into instants with jiff,
//! as each DST policy says. Tempora's sequence must equal it exactly: every
//! time matches, the sequence strictly increases, and nothing is skipped.
//! Intervals and calendar intervals have references of their own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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

/// One comma-free part of a numeric field.
#[derive(Debug, Clone)]
enum Part {
    All,
    EveryStep(u32),
    One(u32),
    Range(u32, u32),
    Step(u32, u32, u32),
}

impl Part {
    fn text(&self) -> String {
        match self {
            Part::All => "*".to_owned(),
            Part::EveryStep(step) => format!("*/{step}"),
            Part::One(value) => value.to_string(),
            Part::Range(first, last) => format!("{first}-{last}"),
            Part::Step(first, last, step) => format!("{first}-{last}/{step}"),
        }
    }

    fn contains(&self, min: u32, value: u32) -> bool {
        match *self {
            Part::All => true,
            Part::EveryStep(step) => (value - min) % step == 0,
            Part::One(one) => value == one,
            Part::Range(first, last) => (first..=last).contains(&value),
            Part::Step(first, last, step) => {
                (first..=last).contains(&value) && (value - first) % step == 0
            }
        }
    }
}

/// A numeric field: a list of parts.
#[derive(Debug, Clone)]
struct Field {
    min: u32,
    parts: Vec<Part>,
}

impl Field {
    fn text(&self) -> String {
        let texts: Vec<String> = self.parts.iter().map(Part::text).collect();
        texts.join(",")
    }

    fn contains(&self, value: u32) -> bool {
        self.parts.iter().any(|part| part.contains(self.min, value))
    }
}

fn part(min: u32, max: u32) -> impl Strategy<Value = Part> {
    prop_oneof![
        2 => Just(Part::All),
        1 => (1..=(max - min)).prop_map(Part::EveryStep),
        3 => (min..=max).prop_map(Part::One),
        2 => (min..max).prop_flat_map(move |first| (Just(first), (first + 1)..=max))
            .prop_map(|(first, last)| Part::Range(first, last)),
        2 => (min..max)
            .prop_flat_map(move |first| (Just(first), (first + 1)..=max))
            .prop_flat_map(|(first, last)| (Just(first), Just(last), 1..=(last - first)))
            .prop_map(|(first, last, step)| Part::Step(first, last, step)),
    ]
}

fn field(min: u32, max: u32) -> impl Strategy<Value = Field> {
    prop::collection::vec(part(min, max), 1..=3).prop_map(move |parts| Field { min, parts })
}

/// The day field of APScheduler's grammar: numbers, or a month rule.
#[derive(Debug, Clone)]
enum DayField {
    Numbers(Field),
    Last,
    Nth(u32, u32),
    LastWeekday(u32),
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl DayField {
    fn text(&self) -> String {
        match self {
            DayField::Numbers(field) => field.text(),
            DayField::Last => "last".to_owned(),
            DayField::Nth(nth, weekday) => {
                let suffix = ["st", "nd", "rd", "th", "th"][*nth as usize - 1];
                format!("{nth}{suffix} {}", WEEKDAYS[*weekday as usize])
            }
            DayField::LastWeekday(weekday) => format!("last {}", WEEKDAYS[*weekday as usize]),
        }
    }

    fn contains(&self, date: Date) -> bool {
        let day = date.day() as u32;
        let weekday = date.weekday().to_monday_zero_offset() as u32;
        match self {
            DayField::Numbers(field) => field.contains(day),
            DayField::Last => day == date.days_in_month() as u32,
            DayField::Nth(nth, wanted) => weekday == *wanted && (day - 1) / 7 + 1 == *nth,
            DayField::LastWeekday(wanted) => {
                weekday == *wanted && day + 7 > date.days_in_month() as u32
            }
        }
    }
}

fn day_field() -> impl Strategy<Value = DayField> {
    prop_oneof![
        6 => field(1, 31).prop_map(DayField::Numbers),
        1 => Just(DayField::Last),
        1 => (1u32..=5, 0u32..7).prop_map(|(nth, weekday)| DayField::Nth(nth, weekday)),
        1 => (0u32..7).prop_map(DayField::LastWeekday),
    ]
}

/// An expression with minute resolution (the second is 0).
#[derive(Debug, Clone)]
struct Expression {
    minute: Field,
    hour: Field,
    day: DayField,
    month: Field,
    /// 0 = Monday.
    day_of_week: Field,
    /// As a crontab string (Vixie OR of the day fields) or as fields (AND).
    crontab: bool,
}

fn expression() -> impl Strategy<Value = Expression> {
    (
        field(0, 59),
        field(0, 23),
        day_field(),
        // Mostly every month, so that most windows hold fire times.
        prop_oneof![
            3 => Just(Field { min: 1, parts: vec![Part::All] }),
            1 => field(1, 12),
        ],
        field(0, 6),
        any::<bool>(),
    )
        .prop_map(|(minute, hour, day, month, day_of_week, crontab)| {
            // Crontab strings have no `3rd fri` day form: use `L` there.
            let day = match (&day, crontab) {
                (DayField::Nth(..) | DayField::LastWeekday(..), true) => DayField::Last,
                _ => day,
            };
            // Crontab's `*/n` steps weekdays from Sunday, the fields' from
            // Monday: spell it as a range from Monday instead.
            let day_of_week = if crontab {
                Field {
                    min: 0,
                    parts: day_of_week
                        .parts
                        .into_iter()
                        .map(|part| match part {
                            Part::EveryStep(step) => Part::Step(0, 6, step),
                            other => other,
                        })
                        .collect(),
                }
            } else {
                day_of_week
            };
            Expression {
                minute,
                hour,
                day,
                month,
                day_of_week,
                crontab,
            }
        })
}

impl Expression {
    fn trigger(&self, zone: &str, gap: DstGap, fold: DstFold) -> CronTrigger {
        let builder = if self.crontab {
            let day = match &self.day {
                DayField::Last => "L".to_owned(),
                other => other.text(),
            };
            // Crontab weekdays count from Sunday: shift each number.
            let day_of_week = Field {
                min: 0,
                parts: self
                    .day_of_week
                    .parts
                    .iter()
                    .map(|part| match *part {
                        Part::All => Part::All,
                        Part::EveryStep(step) => Part::EveryStep(step),
                        Part::One(one) => Part::One(one + 1),
                        Part::Range(first, last) => Part::Range(first + 1, last + 1),
                        Part::Step(first, last, step) => Part::Step(first + 1, last + 1, step),
                    })
                    .collect(),
            };
            CronTrigger::crontab(format!(
                "{} {} {} {} {}",
                self.minute.text(),
                self.hour.text(),
                day,
                self.month.text(),
                day_of_week.text()
            ))
        } else {
            CronTrigger::builder()
                .second(0)
                .minute(self.minute.text())
                .hour(self.hour.text())
                .day(self.day.text())
                .month(self.month.text())
                .day_of_week(self.day_of_week.text())
        };
        builder
            .timezone(zone)
            .dst_gap(gap)
            .dst_fold(fold)
            .build()
            .unwrap()
    }

    fn matches_date(&self, date: Date) -> bool {
        if !self.month.contains(date.month() as u32) {
            return false;
        }
        let weekday = date.weekday().to_monday_zero_offset() as u32;
        let day = self.day.contains(date);
        let day_of_week = self.day_of_week.contains(weekday);
        if self.crontab {
            // `*/n` counts as restricted unless it is plain `*`: Vixie looks
            // at whether the field starts with `*`.
            let day_star = self.day.text().starts_with('*');
            let dow_star = self.day_of_week.text().starts_with('*');
            if day_star || dow_star {
                day && day_of_week
            } else {
                day || day_of_week
            }
        } else {
            day && day_of_week
        }
    }

    /// Every wall time in `[first_day, last_day)` that matches.
    fn wall_times(&self, first_day: Date, days: i64) -> Vec<DateTime> {
        let mut times = Vec::new();
        for offset in 0..days {
            let date = first_day.checked_add(offset.days()).unwrap();
            if !self.matches_date(date) {
                continue;
            }
            for hour in 0..24 {
                for minute in 0..60 {
                    if self.hour.contains(hour) && self.minute.contains(minute) {
                        times.push(date.at(hour as i8, minute as i8, 0, 0));
                    }
                }
            }
        }
        times
    }
}

/// The instants of `wall` under the policies, as documented.
fn resolve(
    tz: &TimeZone,
    wall: DateTime,
    gap: DstGap,
    fold: DstFold,
    hourly: bool,
) -> Vec<Timestamp> {
    let ambiguous = tz.to_ambiguous_timestamp(wall);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => vec![ambiguous.compatible().unwrap()],
        AmbiguousOffset::Gap { .. } => match gap {
            DstGap::Skip => vec![],
            // As far past the gap as the wall time is into it.
            DstGap::Shift => vec![ambiguous.compatible().unwrap()],
            DstGap::AtTransition => {
                let a = ambiguous.earlier().unwrap();
                let b = ambiguous.later().unwrap();
                let transition = tz.following(a.min(b)).next().unwrap().timestamp();
                vec![transition]
            }
        },
        AmbiguousOffset::Fold { .. } => {
            let first = ambiguous.earlier().unwrap();
            let second = ambiguous.later().unwrap();
            match fold {
                DstFold::First => vec![first],
                DstFold::Last => vec![second],
                DstFold::Both => vec![first, second],
                DstFold::Auto if hourly => vec![first, second],
                DstFold::Auto => vec![first],
            }
        }
    }
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

/// A first day: anywhere in 2024–2030, or a few days before one of the
/// zone's DST changes, so that most windows cross one.
fn first_day() -> impl Strategy<Value = (i64, bool)> {
    (0i64..(7 * 365), any::<bool>())
}

/// Tempora's fire times in `[from, until)`.
fn tempora_times(trigger: &Trigger, from: Timestamp, until: Timestamp) -> Vec<Timestamp> {
    trigger
        .fire_times(None, from)
        .take_while(|time| *time < until)
        .collect()
}

fn start_of(tz: &TimeZone, date: Date) -> Timestamp {
    tz.to_ambiguous_timestamp(date.at(0, 0, 0, 0))
        .compatible()
        .unwrap()
}

const WINDOW_DAYS: i64 = 21;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn cron_fire_times_are_exactly_the_matching_wall_times(
        expression in expression(),
        zone_index in 0..ZONES.len(),
        (day_offset, near_change) in first_day(),
        gap in gap_policy(),
        fold in fold_policy(),
    ) {
        let zone_name = ZONES[zone_index];
        let tz = TimeZone::get(zone_name).unwrap();
        let mut first: Date = Date::new(2024, 1, 1).unwrap().checked_add(day_offset.days()).unwrap();
        if near_change {
            // Move to three days before the next transition, if any.
            let start = start_of(&tz, first);
            if let Some(transition) = tz.following(start).next() {
                let day = tz.to_datetime(transition.timestamp()).date();
                if day.year() <= 2030 {
                    first = day.checked_sub(3.days()).unwrap();
                }
            }
        }
        let last = first.checked_add(WINDOW_DAYS.days()).unwrap();
        let (from, until) = (start_of(&tz, first), start_of(&tz, last));

        // "Fires every hour": the hour field matches all 24 hours.
        let hourly = (0..24).all(|hour| expression.hour.contains(hour));
        let mut expected: Vec<Timestamp> = expression
            .wall_times(first.checked_sub(1.days()).unwrap(), WINDOW_DAYS + 2)
            .into_iter()
            .flat_map(|wall| resolve(&tz, wall, gap, fold, hourly))
            .filter(|time| *time >= from && *time < until)
            .collect();
        expected.sort();
        expected.dedup();

        let trigger = Trigger::from(expression.trigger(zone_name, gap, fold));
        let actual = tempora_times(&trigger, from, until);
        prop_assert!(actual.windows(2).all(|pair| pair[0] < pair[1]));
        if actual != expected {
            // Say where they part, not thousands of instants.
            let at = actual.iter().zip(&expected).take_while(|(a, e)| a == e).count();
            prop_assert!(
                false,
                "{trigger} from {from}: {} fire times, {} expected; first difference at {at}: \
                 {:?} instead of {:?}",
                actual.len(),
                expected.len(),
                actual.get(at),
                expected.get(at),
            );
        }
    }

    #[test]
    fn interval_fire_times_are_start_plus_whole_periods(
        seconds in 1i64..(3 * 86_400),
        start_offset in 0i64..(6 * 365 * 86_400),
        now_offset in -86_400i64..(30 * 86_400),
        length in 0i64..(60 * 86_400),
        zone_index in 0..ZONES.len(),
    ) {
        let start = Timestamp::from_second(1_704_067_200 + start_offset).unwrap();
        let end = start.checked_add(SignedDuration::from_secs(length)).unwrap();
        let now = start.checked_add(SignedDuration::from_secs(now_offset)).unwrap();
        let trigger = Trigger::from(
            IntervalTrigger::builder()
                .seconds(seconds)
                .start_date(start)
                .end_date(end)
                .timezone(ZONES[zone_index])
                .build()
                .unwrap(),
        );
        let actual: Vec<Timestamp> = trigger.fire_times(None, now).take(50).collect();
        // Reference: every start + k × period in [max(start, now), end].
        let mut expected = Vec::new();
        let mut k = 0i64;
        while expected.len() < 50 {
            let time = start.checked_add(SignedDuration::from_secs(k * seconds)).unwrap();
            if time > end {
                break;
            }
            if time >= now {
                expected.push(time);
            }
            k += 1;
        }
        prop_assert_eq!(actual, expected);
    }

    #[test]
    fn calendar_interval_fire_times_step_existing_dates(
        (years, months, weeks, days) in (0i32..2, 0i32..4, 0i32..3, 0i32..10)
            .prop_filter("a non-zero interval", |(y, m, w, d)| y + m + w + d > 0),
        (hour, minute) in (0i32..24, prop_oneof![Just(0i32), Just(30), 0i32..60]),
        start_offset in 0i64..(6 * 365),
        zone_index in 0..ZONES.len(),
    ) {
        let zone_name = ZONES[zone_index];
        let zone = Zone::new(zone_name).unwrap();
        let tz = TimeZone::get(zone_name).unwrap();
        let start: Date = Date::new(2024, 1, 1).unwrap().checked_add(start_offset.days()).unwrap();
        let trigger = Trigger::from(
            CalendarIntervalTrigger::builder()
                .years(years)
                .months(months)
                .weeks(weeks)
                .days(days)
                .hour(hour)
                .minute(minute)
                .start_date(start)
                .timezone(zone_name)
                .dst_gap(DstGap::Skip)
                .dst_fold(DstFold::First)
                .build()
                .unwrap(),
        );
        let from = zone.parse_time(&start.to_string()).unwrap();
        let actual: Vec<Timestamp> = trigger.fire_times(None, from).take(12).collect();

        // Reference: APScheduler 3.11's stepping — years and months keeping
        // the day of the month, repeated until that date exists, then weeks
        // and days — each date at the wall time, skipped when it falls in a
        // gap, at its first occurrence in a fold.
        let mut expected = Vec::new();
        let mut date = start;
        let mut guard = 0;
        while expected.len() < 12 && guard < 1000 {
            guard += 1;
            let wall = date.at(hour as i8, minute as i8, 0, 0);
            expected.extend(resolve(&tz, wall, DstGap::Skip, DstFold::First, false));
            let (mut year, mut month) = (date.year() as i32, date.month() as i32);
            let day = date.day();
            if years != 0 || months != 0 {
                loop {
                    let total = month - 1 + months;
                    year += years + total.div_euclid(12);
                    month = total.rem_euclid(12) + 1;
                    if let Ok(next) = Date::new(year as i16, month as i8, day) {
                        date = next;
                        break;
                    }
                }
            }
            date = date.checked_add((i64::from(weeks) * 7 + i64::from(days)).days()).unwrap();
        }
        expected.truncate(12);
        prop_assert_eq!(actual, expected);
    }
}
