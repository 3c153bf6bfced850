//! The two cron grammars: APScheduler's fields and standard crontab strings.

use crate::error::{Error, Result};
use crate::trigger::civil::MAX_YEAR;
use crate::trigger::cron::spec::{ALL_WEEKS, CronSpec, DayCombine, DaySet, MonthRule, Years};

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
/// Weekday names in APScheduler's numbering, 0 = Monday.
const WEEKDAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The names of APScheduler's cron fields, most significant first.
pub(crate) const FIELD_NAMES: [&str; 8] = [
    "year",
    "month",
    "day",
    "week",
    "day_of_week",
    "hour",
    "minute",
    "second",
];

/// The value a field takes when a less significant field is given and it is not.
const FIELD_DEFAULTS: [&str; 8] = ["*", "1", "1", "*", "*", "0", "0", "0"];

/// Which names a field's values may be written with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Names {
    None,
    Months,
    /// Monday = 0 (APScheduler).
    WeekdaysFromMonday,
    /// Sunday = 0 and 7 (cron).
    WeekdaysFromSunday,
}

/// What a field allows, for parsing and for error messages.
#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: Names,
}

impl Field {
    const fn new(name: &'static str, min: u32, max: u32, names: Names) -> Field {
        Field {
            name,
            min,
            max,
            names,
        }
    }

    fn error(&self, message: String) -> Error {
        Error::invalid(self.name, message)
    }

    /// `?` means `*` in the crontab day fields, as in Quartz and croner.
    fn allows_question_mark(&self) -> bool {
        matches!(self.name, "day of month" | "day of week")
    }

    fn what(&self) -> String {
        let names = match self.names {
            Names::None => "",
            Names::Months => " or a name jan-dec",
            Names::WeekdaysFromMonday => " (0 = mon) or a name mon-sun",
            Names::WeekdaysFromSunday => " (0 and 7 = sun) or a name sun-sat",
        };
        format!("a number {}-{}{names}", self.min, self.max)
    }

    /// One value: a number in range or a name.
    fn value(&self, text: &str) -> Result<u32> {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            let value: u32 = text.parse().map_err(|_| {
                self.error(format!("{text} is out of range {}-{}", self.min, self.max))
            })?;
            if value < self.min || value > self.max {
                return Err(
                    self.error(format!("{value} is out of range {}-{}", self.min, self.max))
                );
            }
            return Ok(value);
        }
        let lower = text.to_ascii_lowercase();
        let position = |names: &[&str]| names.iter().position(|n| *n == lower).map(|i| i as u32);
        let named = match self.names {
            Names::None => None,
            Names::Months => position(&MONTH_NAMES).map(|i| i + 1),
            Names::WeekdaysFromMonday => position(&WEEKDAY_NAMES),
            Names::WeekdaysFromSunday => position(&WEEKDAY_NAMES).map(|i| (i + 1) % 7),
        };
        named.ok_or_else(|| self.error(format!("{text:?} is not {}", self.what())))
    }

    /// The values of one comma-separated item: `*`, `*/n`, `a`, `a-b`,
    /// `a-b/n` or `a/n` (a to the field's maximum).
    fn range_values(&self, item: &str) -> Result<Vec<u32>> {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let parsed: u32 = step.trim().parse().map_err(|_| {
                    self.error(format!(
                        "{step:?} in {item:?} is not a step; expected a whole number"
                    ))
                })?;
                (range.trim(), Some(parsed))
            }
            None => (item, None),
        };
        if range == "?" && !self.allows_question_mark() {
            return Err(self.error(format!(
                "\"?\" in {item:?} is only allowed in the day fields of a crontab; use \"*\""
            )));
        }
        let (first, last) = if range == "*" || range == "?" {
            (self.min, self.max)
        } else if let Some(value) = range.strip_prefix('-') {
            return Err(self.error(format!("-{value} is negative; expected {}", self.what())));
        } else if let Some((a, b)) = range.split_once('-') {
            let first = self.value(a.trim())?;
            let mut last = self.value(b.trim())?;
            if self.names == Names::WeekdaysFromSunday && last == 0 && first > 0 {
                last = 7; // "fri-sun" runs to the Sunday at the end of the week.
            }
            if first > last {
                return Err(self.error(format!(
                    "range {range:?} is reversed; its first value must not be higher than its last"
                )));
            }
            (first, last)
        } else {
            let first = self.value(range)?;
            (first, if step.is_some() { self.max } else { first })
        };
        let step = match step {
            Some(0) => return Err(self.error(format!("step 0 in {item:?} must be at least 1"))),
            Some(step) if step > self.max - self.min => {
                return Err(self.error(format!(
                    "step {step} in {item:?} is larger than the range {}-{} allows",
                    self.min, self.max
                )));
            }
            Some(step) if last > first && step > last - first => {
                return Err(self.error(format!(
                    "step {step} in {item:?} is larger than its range {first}-{last}, \
                     which it would never step through"
                )));
            }
            Some(step) => step,
            None => 1,
        };
        Ok((first..=last).step_by(step as usize).collect())
    }

    /// A mask of all the values of a comma-separated expression.
    fn mask(&self, expression: &str) -> Result<u64> {
        let mut mask = 0u64;
        for item in items(self, expression)? {
            for value in self.range_values(item)? {
                mask |= 1 << value;
            }
        }
        Ok(mask)
    }
}

/// The comma-separated items of an expression, trimmed; refuses empty ones.
fn items<'a>(field: &Field, expression: &'a str) -> Result<Vec<&'a str>> {
    let items: Vec<&str> = expression.split(',').map(str::trim).collect();
    if items.iter().any(|item| item.is_empty()) {
        return Err(field.error(format!(
            "{expression:?} has an empty item; expected {}",
            field.what()
        )));
    }
    Ok(items)
}

const YEAR: Field = Field::new("year", 1970, MAX_YEAR as u32, Names::None);
const MONTH: Field = Field::new("month", 1, 12, Names::Months);
const DAY: Field = Field::new("day", 1, 31, Names::None);
const WEEK: Field = Field::new("week", 1, 53, Names::None);
const DAY_OF_WEEK: Field = Field::new("day_of_week", 0, 6, Names::WeekdaysFromMonday);
const HOUR: Field = Field::new("hour", 0, 23, Names::None);
const MINUTE: Field = Field::new("minute", 0, 59, Names::None);
const SECOND: Field = Field::new("second", 0, 59, Names::None);

fn years(field: &Field, expression: &str) -> Result<Years> {
    let mut ranges = Vec::new();
    for item in items(field, expression)? {
        let values = field.range_values(item)?;
        if values.len() == (field.max - field.min + 1) as usize {
            return Ok(Years::all());
        }
        let first = values.first().copied().unwrap_or(field.min) as i32;
        let last = values.last().copied().unwrap_or(field.min) as i32;
        let step = if values.len() > 1 {
            (values[1] - values[0]) as i32
        } else {
            1
        };
        ranges.push((first, last, step));
    }
    Ok(Years::from_ranges(ranges))
}

fn weekday_name(field: &Field, text: &str) -> Result<u8> {
    WEEKDAY_NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
        .map(|i| i as u8)
        .ok_or_else(|| field.error(format!("{text:?} is not a weekday name mon-sun")))
}

/// APScheduler's day field: numbers and ranges, `last`, `xth y`, `last y`.
fn apscheduler_day(expression: &str) -> Result<DaySet> {
    if expression.trim() == "*" {
        return Ok(DaySet::all());
    }
    let mut set = DaySet::default();
    for item in items(&DAY, expression)? {
        let lower = item.to_ascii_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        match words.as_slice() {
            ["last"] => set.rules.push(MonthRule::LastDay),
            [position, weekday] => {
                let weekday = weekday_name(&DAY, weekday)?;
                let rule = match *position {
                    "last" => MonthRule::LastWeekday { weekday },
                    "1st" | "2nd" | "3rd" | "4th" | "5th" => MonthRule::NthWeekday {
                        nth: position.as_bytes()[0] - b'0',
                        weekday,
                    },
                    _ => {
                        return Err(DAY.error(format!(
                            "{item:?} is not a weekday position; expected 1st, 2nd, 3rd, 4th, 5th or last before a weekday name"
                        )));
                    }
                };
                set.rules.push(rule);
            }
            _ => {
                for value in DAY.range_values(item).map_err(|error| {
                    if item.contains(char::is_alphabetic) {
                        DAY.error(format!(
                            "{item:?} is not a day; expected a number 1-31, a range, last, or a weekday position like 3rd fri or last sun"
                        ))
                    } else {
                        error
                    }
                })? {
                    set.days |= 1 << value;
                }
            }
        }
    }
    Ok(set)
}

fn weekday_set(field: &Field, expression: &str, from_sunday: bool) -> Result<DaySet> {
    let trimmed = expression.trim();
    if trimmed == "*" || trimmed == "?" {
        return Ok(DaySet::all());
    }
    Ok(DaySet {
        weekdays: weekday_bits(field, expression, from_sunday)?,
        ..DaySet::default()
    })
}

/// The weekdays of `expression` as bits, 0 = Monday.
fn weekday_bits(field: &Field, expression: &str, from_sunday: bool) -> Result<u8> {
    let mask = field.mask(expression)?;
    let mut bits = 0u8;
    for value in 0..=7u8 {
        if mask & (1 << value) != 0 {
            let weekday = if from_sunday { (value + 6) % 7 } else { value };
            bits |= 1 << weekday;
        }
    }
    Ok(bits)
}

/// Compiles APScheduler's `CronTrigger` fields, given as `(name, expression)`
/// in any order. Fields above the least significant one given default to
/// `*`, those below it to their minimum; `week` and `day_of_week` stay `*`.
pub(crate) fn compile_fields(given: &[(&'static str, String)]) -> Result<CronSpec> {
    let least_significant = FIELD_NAMES
        .iter()
        .rposition(|name| given.iter().any(|(given_name, _)| given_name == name));
    let expression = |index: usize| -> String {
        let name = FIELD_NAMES[index];
        match given.iter().find(|(given_name, _)| *given_name == name) {
            Some((_, value)) => value.trim().to_string(),
            None if least_significant.is_some_and(|least| index > least) => {
                FIELD_DEFAULTS[index].to_string()
            }
            None => "*".to_string(),
        }
    };
    for (name, value) in given {
        if value.trim().is_empty() {
            return Err(Error::invalid(*name, "the expression is empty"));
        }
    }
    let spec = CronSpec {
        years: years(&YEAR, &expression(0))?,
        months: MONTH.mask(&expression(1))? as u16,
        day_of_month: apscheduler_day(&expression(2))?,
        weeks: {
            let week = expression(3);
            if week == "*" {
                ALL_WEEKS
            } else {
                WEEK.mask(&week)?
            }
        },
        day_of_week: weekday_set(&DAY_OF_WEEK, &expression(4), false)?,
        hours: HOUR.mask(&expression(5))? as u32,
        minutes: MINUTE.mask(&expression(6))?,
        seconds: SECOND.mask(&expression(7))?,
        combine: DayCombine::And,
    };
    Ok(spec)
}

const CRON_MINUTE: Field = Field::new("minute", 0, 59, Names::None);
const CRON_HOUR: Field = Field::new("hour", 0, 23, Names::None);
const CRON_DAY: Field = Field::new("day of month", 1, 31, Names::None);
const CRON_MONTH: Field = Field::new("month", 1, 12, Names::Months);
const CRON_DAY_OF_WEEK: Field = Field::new("day of week", 0, 7, Names::WeekdaysFromSunday);
const CRON_SECOND: Field = Field::new("second", 0, 59, Names::None);
const CRON_YEAR: Field = Field::new("year", 1970, MAX_YEAR as u32, Names::None);

/// Expands the `@` macros of Vixie cron.
fn expand_macro(expression: &str) -> Result<&str> {
    Ok(match expression.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => {
            return Err(Error::invalid(
                "crontab",
                format!(
                    "{expression:?} is not a known macro; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
                ),
            ));
        }
    })
}

/// The crontab day-of-month field: numbers and ranges, `?`, `L`, `LW`, `nW`.
fn crontab_day(expression: &str) -> Result<DaySet> {
    let trimmed = expression.trim();
    if trimmed == "*" || trimmed == "?" {
        return Ok(DaySet::all());
    }
    let mut set = DaySet::default();
    for item in items(&CRON_DAY, expression)? {
        let upper = item.to_ascii_uppercase();
        if upper == "L" {
            set.rules.push(MonthRule::LastDay);
        } else if upper == "LW" {
            set.rules.push(MonthRule::LastWorkingDay);
        } else if upper.ends_with('W') {
            let day = CRON_DAY.value(&item[..item.len() - 1])? as u8;
            set.rules.push(MonthRule::NearestWeekday { day });
        } else {
            for value in CRON_DAY.range_values(item)? {
                set.days |= 1 << value;
            }
        }
    }
    Ok(set)
}

/// The crontab day-of-week field: numbers, names, ranges, `?`, `nL`, `n#k`.
fn crontab_day_of_week(expression: &str) -> Result<DaySet> {
    let trimmed = expression.trim();
    if trimmed == "*" || trimmed == "?" {
        return Ok(DaySet::all());
    }
    let mut set = DaySet::default();
    let monday_based =
        |text: &str| -> Result<u8> { Ok(((CRON_DAY_OF_WEEK.value(text)? + 6) % 7) as u8) };
    for item in items(&CRON_DAY_OF_WEEK, expression)? {
        if let Some((weekday, nth)) = item.split_once('#') {
            let weekday = monday_based(weekday.trim())?;
            let nth = match nth.trim().parse::<u8>() {
                Ok(nth @ 1..=5) => nth,
                _ => {
                    return Err(CRON_DAY_OF_WEEK.error(format!(
                        "{item:?}: {nth:?} is not a weekday position; expected 1-5 after #"
                    )));
                }
            };
            set.rules.push(MonthRule::NthWeekday { nth, weekday });
        } else if item.len() > 1 && (item.ends_with('L') || item.ends_with('l')) {
            let weekday = monday_based(&item[..item.len() - 1])?;
            set.rules.push(MonthRule::LastWeekday { weekday });
        } else {
            // An item of a list: `*` in `*,1` means every weekday too.
            set.weekdays |= weekday_bits(&CRON_DAY_OF_WEEK, item, true)?;
        }
    }
    Ok(set)
}

/// Compiles a crontab string: 5 fields (`minute hour day month
/// day_of_week`), 6 with a leading second, 7 with a trailing year, or an `@`
/// macro. When both day fields are restricted a day matches if either does.
pub(crate) fn compile_crontab(expression: &str) -> Result<CronSpec> {
    let trimmed = expression.trim();
    let text = if trimmed.starts_with('@') {
        expand_macro(trimmed)?
    } else {
        trimmed
    };
    let fields: Vec<&str> = text.split_whitespace().collect();
    let (second, rest, year) = match fields.len() {
        5 => ("0", &fields[..], "*"),
        6 => (fields[0], &fields[1..], "*"),
        7 => (fields[0], &fields[1..6], fields[6]),
        count => {
            return Err(Error::invalid(
                "crontab",
                format!(
                    "{expression:?} has {count} fields; expected 5 (minute hour day month day_of_week), 6 (with a leading second) or 7 (and a trailing year)"
                ),
            ));
        }
    };
    let (minute, hour, day, month, day_of_week) = (rest[0], rest[1], rest[2], rest[3], rest[4]);
    let restricted = |field: &str| !field.starts_with(['*', '?']);
    let combine = if restricted(day) && restricted(day_of_week) {
        DayCombine::Or
    } else {
        DayCombine::And
    };
    for (field, value) in [
        (&CRON_SECOND, second),
        (&CRON_MINUTE, minute),
        (&CRON_HOUR, hour),
        (&CRON_MONTH, month),
        (&CRON_YEAR, year),
    ] {
        if value == "?" {
            return Err(field.error("\"?\" is only allowed in the day fields".to_string()));
        }
    }
    let spec = CronSpec {
        seconds: CRON_SECOND.mask(second)?,
        minutes: CRON_MINUTE.mask(minute)?,
        hours: CRON_HOUR.mask(hour)? as u32,
        day_of_month: crontab_day(day)?,
        months: CRON_MONTH.mask(month)? as u16,
        day_of_week: crontab_day_of_week(day_of_week)?,
        years: years(&CRON_YEAR, year)?,
        weeks: ALL_WEEKS,
        combine,
    };
    Ok(spec)
}
