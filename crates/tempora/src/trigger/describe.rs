//! A trigger in words: [`Trigger::describe`].
//!
//! The description is read from the trigger's stored form (the fields as
//! the user wrote them), so it says what was asked for, in the wall-clock
//! time of the trigger's zone. Expressions too intricate to say shortly
//! (`15W`, `fri#3`) are named in words where a rule exists and quoted
//! otherwise.

use jiff::Timestamp;
use serde_json::Value;

use crate::trigger::{Trigger, Zone};

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const WEEKDAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const ORDINALS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];

impl Trigger {
    /// The schedule in words, its times on the wall clock of the
    /// trigger's [`zone`](Trigger::zone): what the dashboard, `tempora
    /// jobs` and `tempora next --describe` show.
    ///
    /// ```
    /// use tempora::trigger::{CronTrigger, IntervalTrigger, Trigger};
    ///
    /// let cron: Trigger = CronTrigger::crontab("*/15 9-17 * * mon-fri")
    ///     .timezone("Europe/Berlin")
    ///     .build()?
    ///     .into();
    /// assert_eq!(cron.describe(), "every 15 minutes from 09:00 to 17:45, Monday to Friday");
    ///
    /// let daily: Trigger = CronTrigger::crontab("30 3 * * *").timezone("UTC").build()?.into();
    /// assert_eq!(daily.describe(), "at 03:30 every day");
    ///
    /// let interval: Trigger = IntervalTrigger::builder().minutes(10).build()?.into();
    /// assert_eq!(interval.describe(), "every 10 minutes");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn describe(&self) -> String {
        let record = serde_json::to_value(self).unwrap_or(Value::Null);
        describe_record(&record, self)
    }
}

/// The description of a trigger's stored form.
fn describe_record(record: &Value, trigger: &Trigger) -> String {
    match trigger {
        Trigger::Cron(_) => describe_cron(record, trigger.zone()),
        Trigger::Interval(_) => describe_interval(record, trigger.zone()),
        Trigger::CalendarInterval(_) => describe_calendar_interval(record),
        Trigger::Date(date) => {
            let zone = date.zone();
            format!("once, on {}", local_minute(zone, date.run_date()))
        }
        Trigger::Any(any) => any
            .triggers()
            .iter()
            .map(Trigger::describe)
            .collect::<Vec<_>>()
            .join("; or "),
        Trigger::All(all) => format!(
            "when all of these fire together: {}",
            all.triggers()
                .iter()
                .map(Trigger::describe)
                .collect::<Vec<_>>()
                .join("; and ")
        ),
    }
}

/// `2026-03-29 02:30` (seconds when not zero) on `zone`'s wall clock.
fn local_minute(zone: &Zone, instant: Timestamp) -> String {
    let civil = zone.time_zone().to_datetime(instant);
    if civil.second() == 0 {
        civil.strftime("%Y-%m-%d %H:%M").to_string()
    } else {
        civil.strftime("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// The start, end and jitter of a trigger's record, as a suffix.
fn bounds(record: &Value, zone: &Zone) -> String {
    let mut out = String::new();
    let instant = |key: &str| {
        record
            .get(key)
            .and_then(Value::as_str)
            .map(|text| match text.parse::<Timestamp>() {
                Ok(instant) => local_minute(zone, instant),
                Err(_) => text.to_owned(),
            })
    };
    if let Some(start) = instant("start_date") {
        out.push_str(&format!(", from {start}"));
    }
    if let Some(end) = instant("end_date") {
        out.push_str(&format!(", until {end}"));
    }
    if let Some(jitter) = record.get("jitter").and_then(Value::as_str) {
        let jitter = jitter
            .parse::<jiff::SignedDuration>()
            .map_or_else(|_| jitter.to_owned(), |d| format!("{d:#}"));
        out.push_str(&format!(", up to {jitter} late (jitter)"));
    }
    out
}

/// `1 hour`, `15 minutes`.
fn quantity(count: i64, unit: &str) -> String {
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

/// `every hour`, `every 15 minutes`, `every 1 hour 30 minutes`.
fn every(parts: &[(i64, &str)]) -> String {
    let given: Vec<&(i64, &str)> = parts.iter().filter(|(count, _)| *count != 0).collect();
    match given.as_slice() {
        [] => "every instant".to_owned(),
        [(1, unit)] => format!("every {unit}"),
        _ => format!(
            "every {}",
            given
                .iter()
                .map(|(count, unit)| quantity(*count, unit))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

fn number(record: &Value, key: &str) -> i64 {
    record.get(key).and_then(Value::as_i64).unwrap_or(0)
}

fn describe_interval(record: &Value, zone: &Zone) -> String {
    let parts = [
        (number(record, "weeks"), "week"),
        (number(record, "days"), "day"),
        (number(record, "hours"), "hour"),
        (number(record, "minutes"), "minute"),
        (number(record, "seconds"), "second"),
    ];
    format!("{}{}", every(&parts), bounds(record, zone))
}

fn describe_calendar_interval(record: &Value) -> String {
    let parts = [
        (number(record, "years"), "year"),
        (number(record, "months"), "month"),
        (number(record, "weeks"), "week"),
        (number(record, "days"), "day"),
    ];
    let mut out = format!(
        "{} at {}",
        every(&parts),
        clock(
            number(record, "hour"),
            number(record, "minute"),
            number(record, "second")
        )
    );
    if let Some(start) = record.get("start_date").and_then(Value::as_str) {
        out.push_str(&format!(", from {start}"));
    }
    if let Some(end) = record.get("end_date").and_then(Value::as_str) {
        out.push_str(&format!(", until {end}"));
    }
    out
}

/// `09:30`, or `09:30:15`.
fn clock(hour: i64, minute: i64, second: i64) -> String {
    if second == 0 {
        format!("{hour:02}:{minute:02}")
    } else {
        format!("{hour:02}:{minute:02}:{second:02}")
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The values a simple field expression allows, sorted; `None` for an
/// expression with month rules (`L`, `15W`, `fri#3`) or one that does not
/// read.
fn values(
    expression: &str,
    min: u32,
    max: u32,
    names: &[&str],
    name_base: u32,
) -> Option<Vec<u32>> {
    let value = |text: &str| -> Option<u32> {
        let lower = text.to_ascii_lowercase();
        if let Some(index) = names.iter().position(|name| *name == lower) {
            return u32::try_from(index).ok().map(|index| index + name_base);
        }
        text.parse::<u32>().ok()
    };
    let mut out = Vec::new();
    for part in expression.split(',') {
        let part = part.trim();
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (low, high) = if range == "*" || range == "?" {
            (min, max)
        } else if let Some((low, high)) = range.split_once('-') {
            (value(low)?, value(high)?)
        } else {
            let low = value(range)?;
            (low, if part.contains('/') { max } else { low })
        };
        if low > high || low < min || high > max {
            return None;
        }
        out.extend((low..=high).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// The step of evenly spaced `values` (at least 2 of them), if they are.
fn progression(values: &[u32]) -> Option<u32> {
    let step = values.get(1)?.checked_sub(values[0])?;
    values
        .windows(2)
        .all(|pair| pair[1] - pair[0] == step)
        .then_some(step)
}

/// The cron fields of a trigger's record, in the fields' own numbering:
/// `(second, minute, hour, day, month, day_of_week, year, week,
/// weekday base, days combine with "or")`.
struct CronFields {
    second: String,
    minute: String,
    hour: String,
    day: String,
    month: String,
    day_of_week: String,
    year: String,
    week: String,
    /// True for crontab numbering of weekdays (0 and 7 = Sunday).
    sunday_zero: bool,
    /// True when a day matches if either day field does (crontab with
    /// both restricted).
    either_day: bool,
}

fn cron_fields(record: &Value) -> Option<CronFields> {
    if let Some(crontab) = record.get("crontab").and_then(Value::as_str) {
        let expanded = match crontab.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => other,
        };
        let parts: Vec<&str> = expanded.split_whitespace().collect();
        let (second, rest, year) = match parts.len() {
            5 => ("0", &parts[..], "*"),
            6 => (parts[0], &parts[1..], "*"),
            7 => (parts[0], &parts[1..6], parts[6]),
            _ => return None,
        };
        let restricted = |field: &str| !field.starts_with('*') && field != "?";
        return Some(CronFields {
            second: second.to_owned(),
            minute: rest[0].to_owned(),
            hour: rest[1].to_owned(),
            day: rest[2].to_owned(),
            month: rest[3].to_owned(),
            day_of_week: rest[4].to_owned(),
            year: year.to_owned(),
            week: "*".to_owned(),
            sunday_zero: true,
            either_day: restricted(rest[2]) && restricted(rest[4]),
        });
    }
    // APScheduler's fields: those above the least significant one given
    // default to `*`, those below to their minimum; week and day_of_week
    // stay `*`.
    let order = [
        ("year", "*"),
        ("month", "1"),
        ("day", "1"),
        ("week", "*"),
        ("day_of_week", "*"),
        ("hour", "0"),
        ("minute", "0"),
        ("second", "0"),
    ];
    let least = order
        .iter()
        .rposition(|(name, _)| record.get(*name).is_some_and(|v| !v.is_null()))?;
    let field = |index: usize| -> String {
        let (name, minimum) = order[index];
        match record.get(name).and_then(Value::as_str) {
            Some(text) => text.to_owned(),
            None if index > least && name != "week" && name != "day_of_week" => minimum.to_owned(),
            None => "*".to_owned(),
        }
    };
    Some(CronFields {
        year: field(0),
        month: field(1),
        day: field(2),
        week: field(3),
        day_of_week: field(4),
        hour: field(5),
        minute: field(6),
        second: field(7),
        sunday_zero: false,
        either_day: false,
    })
}

fn describe_cron(record: &Value, zone: &Zone) -> String {
    let Some(fields) = cron_fields(record) else {
        return record.get("crontab").and_then(Value::as_str).map_or_else(
            || "on a cron schedule".to_owned(),
            |c| format!("cron {c:?}"),
        );
    };
    let times = describe_times(&fields);
    let days = describe_days(&fields);
    let mut out = times.text;
    match days {
        None if times.starts_with_at => out.push_str(" every day"),
        None => {}
        Some(days) => {
            out.push_str(", ");
            out.push_str(&days);
        }
    }
    out.push_str(&bounds(record, zone));
    out
}

struct Times {
    text: String,
    /// True for "at 09:00": "every day" reads well after it.
    starts_with_at: bool,
}

fn describe_times(fields: &CronFields) -> Times {
    let seconds = values(&fields.second, 0, 59, &[], 0);
    let minutes = values(&fields.minute, 0, 59, &[], 0);
    let hours = values(&fields.hour, 0, 23, &[], 0);
    let (Some(seconds), Some(minutes), Some(hours)) = (seconds, minutes, hours) else {
        return Times {
            text: format!(
                "at second {:?}, minute {:?}, hour {:?}",
                fields.second, fields.minute, fields.hour
            ),
            starts_with_at: false,
        };
    };
    let all_hours = hours.len() == 24;
    let all_minutes = minutes.len() == 60;
    let plain = |text: String| Times {
        text,
        starts_with_at: false,
    };
    // Sub-minute schedules.
    if seconds != [0] {
        if all_minutes && all_hours {
            let text = match progression(&seconds) {
                _ if seconds.len() == 60 => "every second".to_owned(),
                Some(step) if seconds[0] == 0 && 60 % step == 0 => {
                    format!("every {step} seconds")
                }
                _ => format!("at seconds {} of every minute", list(&seconds)),
            };
            return plain(text);
        }
        if minutes.len() * hours.len() * seconds.len() <= 6 {
            return at_times(&hours, &minutes, &seconds);
        }
        return plain(format!(
            "at seconds {} of minutes {} past hours {}",
            list(&seconds),
            list(&minutes),
            list(&hours)
        ));
    }
    let minute_step = if all_minutes {
        Some(1)
    } else {
        progression(&minutes).filter(|step| minutes[0] < *step && 60 % step == 0)
    };
    if all_hours {
        let text = match (minute_step, minutes.as_slice()) {
            (Some(1), _) => "every minute".to_owned(),
            (Some(step), [0, ..]) => format!("every {step} minutes"),
            (Some(step), [first, ..]) => {
                format!("every {step} minutes from minute {first} of every hour")
            }
            (None, [0]) => "every hour".to_owned(),
            (None, [minute]) => format!("every hour at minute {minute}"),
            _ => format!("at minutes {} of every hour", list(&minutes)),
        };
        return plain(text);
    }
    let first_hour = hours[0];
    let last_hour = hours[hours.len() - 1];
    let hour_step = progression(&hours);
    let first_minute = minutes[0];
    let last_minute = minutes[minutes.len() - 1];
    if let Some(step) = minute_step
        && hour_step == Some(1)
    {
        let every = if step == 1 {
            "every minute".to_owned()
        } else {
            format!("every {step} minutes")
        };
        return plain(format!(
            "{every} from {} to {}",
            clock(first_hour.into(), first_minute.into(), 0),
            clock(last_hour.into(), last_minute.into(), 0)
        ));
    }
    if minutes.len() == 1
        && let Some(step) = hour_step
        && hours.len() > 2
    {
        let every = if step == 1 {
            "every hour".to_owned()
        } else {
            format!("every {step} hours")
        };
        return plain(format!(
            "{every} from {} to {}",
            clock(first_hour.into(), first_minute.into(), 0),
            clock(last_hour.into(), first_minute.into(), 0)
        ));
    }
    if minutes.len() * hours.len() <= 6 {
        return at_times(&hours, &minutes, &[0]);
    }
    plain(format!(
        "at minutes {} past hours {}",
        list(&minutes),
        list(&hours)
    ))
}

/// `at 09:00 and 17:30`: every combination of the values.
fn at_times(hours: &[u32], minutes: &[u32], seconds: &[u32]) -> Times {
    let mut times = Vec::new();
    for hour in hours {
        for minute in minutes {
            for second in seconds {
                times.push(clock((*hour).into(), (*minute).into(), (*second).into()));
            }
        }
    }
    Times {
        text: format!("at {}", and_list(&times)),
        starts_with_at: true,
    }
}

/// `0, 20 and 45`; runs of 3 or more as `1-5`.
fn list(values: &[u32]) -> String {
    let mut items = Vec::new();
    let mut index = 0;
    while index < values.len() {
        let mut end = index;
        while end + 1 < values.len() && values[end + 1] == values[end] + 1 {
            end += 1;
        }
        if end >= index + 2 {
            items.push(format!("{}-{}", values[index], values[end]));
        } else {
            for value in &values[index..=end] {
                items.push(value.to_string());
            }
        }
        index = end + 1;
    }
    and_list(&items)
}

/// Names of `values` (indexes into `names`), ranges of 3 or more as
/// `Monday to Friday`.
fn named_list(values: &[usize], names: &[&str]) -> String {
    let mut items = Vec::new();
    let mut index = 0;
    while index < values.len() {
        let mut end = index;
        while end + 1 < values.len() && values[end + 1] == values[end] + 1 {
            end += 1;
        }
        if end >= index + 2 {
            items.push(format!(
                "{} to {}",
                names[values[index]], names[values[end]]
            ));
        } else {
            for value in &values[index..=end] {
                items.push(names[*value].to_owned());
            }
        }
        index = end + 1;
    }
    and_list(&items)
}

/// The weekday (0 = Monday) of a weekday name or number in the field's
/// numbering.
fn weekday(text: &str, sunday_zero: bool) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    if let Some(index) = WEEKDAY_NAMES.iter().position(|name| *name == lower) {
        return Some(index);
    }
    let number = lower.parse::<usize>().ok()?;
    if sunday_zero {
        (number <= 7).then(|| (number + 6) % 7)
    } else {
        (number <= 6).then_some(number)
    }
}

/// A day-of-month rule in words: `L`, `LW`, `15W`, `last`, `last fri`,
/// `3rd fri`.
fn day_rule(text: &str, sunday_zero: bool) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    if lower == "l" || lower == "last" {
        return Some("on the last day of the month".to_owned());
    }
    if lower == "lw" {
        return Some("on the last weekday of the month".to_owned());
    }
    if let Some(day) = lower.strip_suffix('w')
        && let Ok(day) = day.parse::<u32>()
    {
        return Some(format!("on the weekday nearest day {day} of the month"));
    }
    if let Some(name) = lower.strip_prefix("last ") {
        return Some(format!(
            "on the last {} of the month",
            WEEKDAYS[weekday(name, sunday_zero)?]
        ));
    }
    let (nth, name) = lower.split_once(' ')?;
    let nth = nth.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let nth = nth.parse::<usize>().ok().filter(|n| (1..=5).contains(n))?;
    Some(format!(
        "on the {} {} of the month",
        ORDINALS[nth - 1],
        WEEKDAYS[weekday(name, sunday_zero)?]
    ))
}

/// A day-of-week rule in words: `fri#3`, `5#3`, `friL`, `5L`.
fn weekday_rule(text: &str, sunday_zero: bool) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    if let Some((name, nth)) = lower.split_once('#') {
        let nth = nth.parse::<usize>().ok().filter(|n| (1..=5).contains(n))?;
        return Some(format!(
            "on the {} {} of the month",
            ORDINALS[nth - 1],
            WEEKDAYS[weekday(name, sunday_zero)?]
        ));
    }
    let name = lower.strip_suffix('l')?;
    Some(format!(
        "on the last {} of the month",
        WEEKDAYS[weekday(name, sunday_zero)?]
    ))
}

fn describe_days(fields: &CronFields) -> Option<String> {
    let mut parts = Vec::new();
    let unrestricted = |text: &str| text == "*" || text == "?";
    // The day fields.
    let mut day_parts = Vec::new();
    if !unrestricted(&fields.day) {
        let text = match values(&fields.day, 1, 31, &[], 0) {
            Some(days) if days.len() == 1 => format!("on day {} of the month", days[0]),
            Some(days) => format!("on days {} of the month", list(&days)),
            None => fields
                .day
                .split(',')
                .map(|part| {
                    day_rule(part, fields.sunday_zero)
                        .unwrap_or_else(|| format!("on day {:?}", part.trim()))
                })
                .collect::<Vec<_>>()
                .join(" and "),
        };
        day_parts.push(text);
    }
    if !unrestricted(&fields.day_of_week) {
        let (min, max, base) = if fields.sunday_zero {
            (0, 7, 1)
        } else {
            (0, 6, 0)
        };
        let names: Vec<&str> = if fields.sunday_zero {
            // Names in crontab numbering: sun = 0, mon = 1, …
            vec!["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        } else {
            WEEKDAY_NAMES.to_vec()
        };
        let _ = base;
        let text = match values(&fields.day_of_week, min, max, &names, 0) {
            Some(numbers) => {
                let mut weekdays: Vec<usize> = numbers
                    .iter()
                    .filter_map(|n| weekday(&n.to_string(), fields.sunday_zero))
                    .collect();
                weekdays.sort_unstable();
                weekdays.dedup();
                if weekdays.len() == 7 {
                    String::new()
                } else if weekdays.len() >= 3 && progression_usize(&weekdays) == Some(1) {
                    named_list(&weekdays, &WEEKDAYS)
                } else {
                    format!("on {}", named_list(&weekdays, &WEEKDAYS))
                }
            }
            None => fields
                .day_of_week
                .split(',')
                .map(|part| {
                    weekday_rule(part, fields.sunday_zero)
                        .or_else(|| day_rule(part, fields.sunday_zero))
                        .unwrap_or_else(|| format!("on weekday {:?}", part.trim()))
                })
                .collect::<Vec<_>>()
                .join(" and "),
        };
        if !text.is_empty() {
            day_parts.push(text);
        }
    }
    if !day_parts.is_empty() {
        let joiner = if fields.either_day { " or " } else { ", " };
        parts.push(day_parts.join(joiner));
    }
    if !unrestricted(&fields.week) {
        parts.push(format!("in ISO week {}", fields.week));
    }
    if !unrestricted(&fields.month) {
        let text = match values(&fields.month, 1, 12, &MONTH_NAMES, 1) {
            Some(months) if months.len() == 12 => String::new(),
            Some(months) => {
                let indexes: Vec<usize> = months.iter().map(|m| (*m as usize) - 1).collect();
                format!("in {}", named_list(&indexes, &MONTHS))
            }
            None => format!("in month {:?}", fields.month),
        };
        if !text.is_empty() {
            parts.push(text);
        }
    }
    if !unrestricted(&fields.year) {
        parts.push(format!("in {}", fields.year.replace(',', ", ")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn progression_usize(values: &[usize]) -> Option<usize> {
    let step = values.get(1)?.checked_sub(values[0])?;
    values
        .windows(2)
        .all(|pair| pair[1] - pair[0] == step)
        .then_some(step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trigger::{
        AllTrigger, AnyTrigger, CalendarIntervalTrigger, CronTrigger, DateTrigger, IntervalTrigger,
    };

    fn crontab(expression: &str) -> String {
        Trigger::from(
            CronTrigger::crontab(expression)
                .timezone("Europe/Berlin")
                .build()
                .unwrap(),
        )
        .describe()
    }

    #[test]
    fn crontab_strings_read_as_words() {
        for (expression, words) in [
            (
                "*/15 9-17 * * mon-fri",
                "every 15 minutes from 09:00 to 17:45, Monday to Friday",
            ),
            ("* * * * *", "every minute"),
            ("*/5 * * * *", "every 5 minutes"),
            ("0 * * * *", "every hour"),
            ("30 * * * *", "every hour at minute 30"),
            ("0 9 * * *", "at 09:00 every day"),
            ("0 9,17 * * *", "at 09:00 and 17:00 every day"),
            ("30 2 * * 0", "at 02:30, on Sunday"),
            ("0 0 1 * *", "at 00:00, on day 1 of the month"),
            ("0 0 1,15 * *", "at 00:00, on days 1 and 15 of the month"),
            ("0 */2 * * *", "every 2 hours from 00:00 to 22:00"),
            ("0 3 L * *", "at 03:00, on the last day of the month"),
            (
                "0 3 * * fri#3",
                "at 03:00, on the third Friday of the month",
            ),
            ("0 3 * * 5L", "at 03:00, on the last Friday of the month"),
            (
                "0 3 15W * *",
                "at 03:00, on the weekday nearest day 15 of the month",
            ),
            (
                "0 3 1 * mon",
                "at 03:00, on day 1 of the month or on Monday",
            ),
            ("0 0 1 1 *", "at 00:00, on day 1 of the month, in January"),
            (
                "0 12 * jun-aug sat,sun",
                "at 12:00, on Saturday and Sunday, in June to August",
            ),
            ("@daily", "at 00:00 every day"),
            ("*/10 * * * * *", "every 10 seconds"),
            ("0 0 12 * * * 2027", "at 12:00, in 2027"),
        ] {
            assert_eq!(crontab(expression), words, "{expression}");
        }
    }

    #[test]
    fn cron_fields_default_as_the_scheduler_reads_them() {
        let trigger: Trigger = CronTrigger::builder()
            .hour(9)
            .day_of_week("mon-fri")
            .timezone("UTC")
            .build()
            .unwrap()
            .into();
        assert_eq!(trigger.describe(), "at 09:00, Monday to Friday");
        let trigger: Trigger = CronTrigger::builder()
            .day("last sun")
            .hour(4)
            .timezone("UTC")
            .build()
            .unwrap()
            .into();
        assert_eq!(
            trigger.describe(),
            "at 04:00, on the last Sunday of the month"
        );
    }

    #[test]
    fn intervals_calendar_intervals_and_dates_read_as_words() {
        let interval: Trigger = IntervalTrigger::builder()
            .hours(1)
            .minutes(30)
            .build()
            .unwrap()
            .into();
        assert_eq!(interval.describe(), "every 1 hour 30 minutes");
        let hourly: Trigger = IntervalTrigger::builder().hours(1).build().unwrap().into();
        assert_eq!(hourly.describe(), "every hour");
        let monthly: Trigger = CalendarIntervalTrigger::builder()
            .months(1)
            .hour(9)
            .minute(30)
            .timezone("Europe/Berlin")
            .build()
            .unwrap()
            .into();
        assert_eq!(monthly.describe(), "every month at 09:30");
        let once: Trigger = DateTrigger::at_local("2026-03-29 03:30", "Europe/Berlin")
            .unwrap()
            .into();
        assert_eq!(once.describe(), "once, on 2026-03-29 03:30");
    }

    #[test]
    fn combinations_join_their_triggers() {
        let morning: Trigger = CronTrigger::crontab("0 9 * * *")
            .timezone("UTC")
            .build()
            .unwrap()
            .into();
        let evening: Trigger = CronTrigger::crontab("0 18 * * sat")
            .timezone("UTC")
            .build()
            .unwrap()
            .into();
        let any: Trigger = AnyTrigger::new(vec![morning.clone(), evening.clone()])
            .unwrap()
            .into();
        assert_eq!(
            any.describe(),
            "at 09:00 every day; or at 18:00, on Saturday"
        );
        let all: Trigger = AllTrigger::new(vec![morning, evening]).unwrap().into();
        assert!(
            all.describe()
                .starts_with("when all of these fire together: at 09:00")
        );
    }
}
