//! Integer calendar arithmetic on the proleptic Gregorian calendar.
//!
//! Triggers search for matching wall-clock times in "local seconds": the
//! number of seconds since 1970-01-01T00:00:00 on the wall clock of the
//! trigger's zone (a UTC timestamp plus the zone's offset at that instant).
//! Days are exactly 86,400 local seconds, so hour, minute and second fall out
//! of a division; only the date needs the conversions below (Howard
//! Hinnant's `days_from_civil` / `civil_from_days`).

/// Seconds in a civil day.
pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// The earliest year a trigger computes in.
pub(crate) const MIN_YEAR: i32 = 1;
/// The latest year a trigger computes in (jiff's upper bound).
pub(crate) const MAX_YEAR: i32 = 9999;

/// Days since 1970-01-01 of the given civil date.
pub(crate) const fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let year = year as i64 - (month <= 2) as i64;
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = month as i64;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date (year, month 1-12, day 1-31) of a count of days since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// True in a leap year of the Gregorian calendar.
pub(crate) fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` of `year`.
pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The weekday of a count of days since 1970-01-01: 0 = Monday … 6 = Sunday.
pub(crate) fn weekday_from_days(days: i64) -> u32 {
    // 1970-01-01 was a Thursday (3).
    (days + 3).rem_euclid(7) as u32
}

/// The ISO 8601 week number (1-53) of a count of days since 1970-01-01.
pub(crate) fn iso_week_from_days(days: i64) -> u32 {
    // The ISO week of a day is the week of the Thursday of its week.
    let thursday = days - i64::from(weekday_from_days(days)) + 3;
    let (year, _, _) = civil_from_days(thursday);
    let first_day = days_from_civil(year, 1, 1);
    ((thursday - first_day) / 7 + 1) as u32
}

/// Splits local seconds into the day count and the second of that day.
pub(crate) fn split_local(local: i64) -> (i64, u32) {
    (
        local.div_euclid(SECONDS_PER_DAY),
        local.rem_euclid(SECONDS_PER_DAY) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_across_eras() {
        for days in (-800_000..3_000_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
            assert!((1..=12).contains(&m));
            assert!(d >= 1 && d <= days_in_month(y, m));
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(weekday_from_days(days_from_civil(2026, 11, 25)), 2); // a Wednesday
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
    }

    #[test]
    fn iso_weeks_agree_with_jiff() {
        for days in (-1000..40_000).step_by(3) {
            let (y, m, d) = civil_from_days(days);
            let date = jiff::civil::Date::new(y as i16, m as i8, d as i8).unwrap();
            assert_eq!(
                iso_week_from_days(days),
                date.iso_week_date().week() as u32,
                "{date}"
            );
        }
    }
}
