//! The compiled form of a cron expression and its wall-clock search.
//!
//! Every field is a bit set, so "the next allowed minute at or after m" is a
//! shift and a `trailing_zeros`. Days depend on the month (the last day, the
//! third Friday), so a month's allowed days are computed as one 32-bit mask
//! when the search reaches that month.

use crate::trigger::civil::{
    MAX_YEAR, MIN_YEAR, SECONDS_PER_DAY, civil_from_days, days_from_civil, days_in_month,
    iso_week_from_days, split_local, weekday_from_days,
};
use crate::trigger::dst::LocalSchedule;

/// A day rule whose days depend on the month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MonthRule {
    /// The last day of the month (`last`, `L`).
    LastDay,
    /// The n-th (1-5) given weekday (0 = Monday) of the month (`3rd fri`, `fri#3`).
    NthWeekday { nth: u8, weekday: u8 },
    /// The last given weekday of the month (`last sun`, `sunL`).
    LastWeekday { weekday: u8 },
    /// The weekday (Monday-Friday) nearest to the given day, within the month (`15W`).
    NearestWeekday { day: u8 },
    /// The last weekday (Monday-Friday) of the month (`LW`).
    LastWorkingDay,
}

impl MonthRule {
    /// The days (bit d for day d) this rule allows in a month whose first day
    /// is `first_weekday` and which has `length` days.
    fn days(self, first_weekday: u32, length: u32) -> u32 {
        let weekday_of = |day: u32| (first_weekday + day - 1) % 7;
        match self {
            MonthRule::LastDay => 1 << length,
            MonthRule::NthWeekday { nth, weekday } => {
                let first = 1 + (u32::from(weekday) + 7 - first_weekday) % 7;
                let day = first + 7 * (u32::from(nth) - 1);
                if day <= length { 1 << day } else { 0 }
            }
            MonthRule::LastWeekday { weekday } => {
                let last_weekday = weekday_of(length);
                1 << (length - (last_weekday + 7 - u32::from(weekday)) % 7)
            }
            MonthRule::NearestWeekday { day } => {
                let day = u32::from(day);
                if day > length {
                    return 0;
                }
                let nearest = match weekday_of(day) {
                    5 if day == 1 => day + 2, // Saturday the 1st: Monday the 3rd
                    5 => day - 1,
                    6 if day == length => day - 2, // Sunday the last: Friday before
                    6 => day + 1,
                    _ => day,
                };
                1 << nearest
            }
            MonthRule::LastWorkingDay => {
                let back = match weekday_of(length) {
                    5 => 1,
                    6 => 2,
                    _ => 0,
                };
                1 << (length - back)
            }
        }
    }
}

/// One side of the day match: the day-of-month or the day-of-week field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DaySet {
    /// True when the field allows every day (`*`).
    pub(crate) all: bool,
    /// Days of the month allowed outright (bit d for day d).
    pub(crate) days: u32,
    /// Weekdays allowed (bit w for weekday w, 0 = Monday).
    pub(crate) weekdays: u8,
    /// Month-dependent rules.
    pub(crate) rules: Vec<MonthRule>,
}

impl DaySet {
    pub(crate) fn all() -> DaySet {
        DaySet {
            all: true,
            ..DaySet::default()
        }
    }

    fn days_of_month(&self, first_weekday: u32, length: u32) -> u32 {
        let valid = ((1u64 << (length + 1)) - 2) as u32;
        if self.all {
            return valid;
        }
        let mut days = self.days;
        if self.weekdays != 0 {
            // Bit i of `week` is day i + 1, whose weekday is
            // (first_weekday + i) % 7: rotate the weekday set by the weekday
            // of the 1st, then repeat the week over the month.
            let doubled = u32::from(self.weekdays) | u32::from(self.weekdays) << 7;
            let week = ((doubled >> first_weekday) & 0x7f) << 1;
            days |= week | week << 7 | week << 14 | week << 21 | week << 28;
        }
        for rule in &self.rules {
            days |= rule.days(first_weekday, length);
        }
        days & valid
    }
}

/// How the day-of-month and day-of-week fields combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DayCombine {
    /// Both must match (APScheduler; cron when either field is `*`).
    And,
    /// Either may match (cron when both fields are restricted).
    Or,
}

/// The allowed years, as ranges with steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Years {
    /// `(first, last, step)`; empty means every year.
    ranges: Vec<(i32, i32, i32)>,
}

impl Years {
    pub(crate) fn all() -> Years {
        Years { ranges: Vec::new() }
    }

    pub(crate) fn from_ranges(ranges: Vec<(i32, i32, i32)>) -> Years {
        Years { ranges }
    }

    fn is_all(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The first allowed year at or after `year`.
    fn next(&self, year: i32) -> Option<i32> {
        if self.is_all() {
            return (year <= MAX_YEAR).then_some(year);
        }
        self.ranges
            .iter()
            .filter_map(|&(first, last, step)| {
                if year <= first {
                    Some(first)
                } else if year > last {
                    None
                } else {
                    let next = first + (year - first + step - 1) / step * step;
                    (next <= last).then_some(next)
                }
            })
            .min()
    }
}

/// A compiled cron expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CronSpec {
    pub(crate) seconds: u64,
    pub(crate) minutes: u64,
    pub(crate) hours: u32,
    /// Bit m for month m (1-12).
    pub(crate) months: u16,
    pub(crate) years: Years,
    /// Bit w for ISO week w (1-53); all ones when unrestricted.
    pub(crate) weeks: u64,
    pub(crate) day_of_month: DaySet,
    pub(crate) day_of_week: DaySet,
    pub(crate) combine: DayCombine,
}

const ALL_MONTHS: u16 = 0b1_1111_1111_1110;
pub(crate) const ALL_WEEKS: u64 = ((1u64 << 54) - 1) & !1;
const ALL_HOURS: u32 = (1 << 24) - 1;

/// The first set bit of `mask` at or after `from`.
fn next_bit(mask: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let rest = mask >> from;
    (rest != 0).then(|| from + rest.trailing_zeros())
}

impl CronSpec {
    /// True when the spec has no restriction on the date at all.
    fn every_day(&self) -> bool {
        self.months == ALL_MONTHS
            && self.years.is_all()
            && self.weeks == ALL_WEEKS
            && self.day_of_month.all
            && self.day_of_week.all
    }

    /// The days that match in the month that starts on `first_day` and has `length` days.
    fn days_of(&self, first_day: i64, length: u32) -> u32 {
        let first_weekday = weekday_from_days(first_day);
        let by_month = self.day_of_month.days_of_month(first_weekday, length);
        let by_week = self.day_of_week.days_of_month(first_weekday, length);
        let mut days = match self.combine {
            DayCombine::And => by_month & by_week,
            DayCombine::Or => by_month | by_week,
        };
        if self.weeks != ALL_WEEKS {
            let mut day_bits = days;
            while day_bits != 0 {
                let day = day_bits.trailing_zeros();
                day_bits &= day_bits - 1;
                let week = iso_week_from_days(first_day + i64::from(day) - 1);
                if self.weeks & (1 << week) == 0 {
                    days &= !(1 << day);
                }
            }
        }
        days
    }

    /// The first matching day (in days since 1970-01-01) at or after `day`.
    fn next_day(&self, day: i64) -> Option<i64> {
        const FIRST_DAY: i64 = days_from_civil(MIN_YEAR, 1, 1);
        const LAST_DAY: i64 = days_from_civil(MAX_YEAR, 12, 31);
        if day > LAST_DAY {
            return None;
        }
        if self.every_day() {
            return Some(day.max(FIRST_DAY));
        }
        let (mut year, mut month, mut from_day) = civil_from_days(day);
        // Day count of the 1st of (year, month), carried along as the search
        // moves month by month, so that dates are converted only on jumps.
        let mut first_day = day - i64::from(from_day) + 1;
        if year < MIN_YEAR {
            (year, month, from_day, first_day) = (MIN_YEAR, 1, 1, FIRST_DAY);
        }
        loop {
            let allowed_year = self.years.next(year)?;
            if allowed_year != year {
                (year, month, from_day) = (allowed_year, 1, 1);
                first_day = days_from_civil(year, 1, 1);
            }
            match next_bit(u64::from(self.months), month) {
                Some(allowed_month) if allowed_month <= 12 => {
                    if allowed_month != month {
                        (month, from_day) = (allowed_month, 1);
                        first_day = days_from_civil(year, month, 1);
                    }
                }
                _ => {
                    (year, month, from_day) = (year + 1, 1, 1);
                    if year > MAX_YEAR {
                        return None;
                    }
                    first_day = days_from_civil(year, 1, 1);
                    continue;
                }
            }
            let length = days_in_month(year, month);
            let days = self.days_of(first_day, length);
            if let Some(found) = next_bit(u64::from(days), from_day) {
                return Some(first_day + i64::from(found) - 1);
            }
            first_day += i64::from(length);
            from_day = 1;
            if month == 12 {
                (year, month) = (year + 1, 1);
                if year > MAX_YEAR {
                    return None;
                }
            } else {
                month += 1;
            }
        }
    }

    /// The first matching second of the day at or after `second_of_day`.
    fn next_time_of_day(&self, second_of_day: u32) -> Option<u32> {
        let hour = second_of_day / 3600;
        let minute = second_of_day / 60 % 60;
        let second = second_of_day % 60;
        let first_second = next_bit(self.seconds, 0)?;
        let first_minute = next_bit(self.minutes, 0)?;
        if self.hours & (1 << hour) != 0 {
            if self.minutes & (1 << minute) != 0
                && let Some(s) = next_bit(self.seconds, second)
            {
                return Some(hour * 3600 + minute * 60 + s);
            }
            if let Some(m) = next_bit(self.minutes, minute + 1) {
                return Some(hour * 3600 + m * 60 + first_second);
            }
        }
        let h = next_bit(u64::from(self.hours), hour + 1)?;
        Some(h * 3600 + first_minute * 60 + first_second)
    }
}

impl LocalSchedule for CronSpec {
    fn next_local(&self, local: i64) -> Option<i64> {
        let (day, second_of_day) = split_local(local);
        // The rest of this day first: when no time of day is left, the day
        // itself need not be looked at.
        if let Some(time) = self.next_time_of_day(second_of_day) {
            let found = self.next_day(day)?;
            let time = if found == day {
                time
            } else {
                self.next_time_of_day(0)?
            };
            return Some(found * SECONDS_PER_DAY + i64::from(time));
        }
        let found = self.next_day(day + 1)?;
        Some(found * SECONDS_PER_DAY + i64::from(self.next_time_of_day(0)?))
    }

    fn fires_every_hour(&self) -> bool {
        self.hours == ALL_HOURS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_rules() {
        // November 2026 starts on a Sunday (6) and has 30 days.
        let (sunday, length) = (6, 30);
        assert_eq!(MonthRule::LastDay.days(sunday, length), 1 << 30);
        assert_eq!(
            MonthRule::NthWeekday { nth: 3, weekday: 4 }.days(sunday, length),
            1 << 20
        );
        assert_eq!(
            MonthRule::NthWeekday { nth: 5, weekday: 0 }.days(sunday, length),
            1 << 30
        );
        assert_eq!(
            MonthRule::NthWeekday { nth: 5, weekday: 1 }.days(sunday, length),
            0
        );
        assert_eq!(
            MonthRule::LastWeekday { weekday: 6 }.days(sunday, length),
            1 << 29
        );
        assert_eq!(
            MonthRule::NearestWeekday { day: 1 }.days(sunday, length),
            1 << 2
        );
        assert_eq!(
            MonthRule::NearestWeekday { day: 14 }.days(sunday, length),
            1 << 13
        );
        assert_eq!(
            MonthRule::NearestWeekday { day: 31 }.days(sunday, length),
            0
        );
        assert_eq!(MonthRule::LastWorkingDay.days(sunday, length), 1 << 30);
        // August 2026 starts on a Saturday (5), has 31 days, ends on a Monday.
        assert_eq!(MonthRule::NearestWeekday { day: 1 }.days(5, 31), 1 << 3);
        // May 2026 ends on Sunday the 31st.
        assert_eq!(MonthRule::LastWorkingDay.days(4, 31), 1 << 29);
        assert_eq!(MonthRule::NearestWeekday { day: 31 }.days(4, 31), 1 << 29);
    }

    #[test]
    fn years_with_steps() {
        let years = Years::from_ranges(vec![(2020, 2030, 4), (2050, 2050, 1)]);
        assert_eq!(years.next(2000), Some(2020));
        assert_eq!(years.next(2021), Some(2024));
        assert_eq!(years.next(2029), Some(2050));
        assert_eq!(years.next(2051), None);
    }
}
