//! A job's trigger from its `[[job]]` keys: `cron` (a crontab string or a
//! table of APScheduler's fields), `interval`, `calendar_interval` or
//! `date`, with its zone, bounds, DST policies and jitter; each mistake
//! placed on the key that made it.

use std::ops::Range;

use tempora::trigger::{CronTrigger, DateTrigger, DstFold, DstGap, Trigger, Zone};
use toml::Spanned;

use crate::trigger_options::TriggerOptions;

use super::job::RawJob;
use super::{Located, duration, key_span, renamed};

/// The days of the week in the numbering of the cron table form
/// (APScheduler's, 0 = Monday), with their names.
const TABLE_FORM_DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// A warning for a `day_of_week` of the cron table form written with
/// numbers: they count from Monday = 0 there (APScheduler's fields), from
/// Sunday = 0 in a crontab string, so the same number means different days
/// in the two forms. The warning names the days meant and the names to
/// write instead; `None` when the value has no day numbers.
///
/// ```
/// use tempora_cli::config::numbered_day_of_week;
///
/// assert_eq!(
///     numbered_day_of_week(&toml::Value::Integer(1)).unwrap(),
///     "cron.day_of_week = 1 means Tuesday in the table form (APScheduler's numbering, \
///      0 = Monday); write \"tue\""
/// );
/// assert_eq!(
///     numbered_day_of_week(&toml::Value::String("0-4".into())).unwrap(),
///     "cron.day_of_week = \"0-4\" means Monday-Friday in the table form (APScheduler's \
///      numbering, 0 = Monday); write \"mon-fri\""
/// );
/// assert_eq!(numbered_day_of_week(&toml::Value::String("mon-fri".into())), None);
/// ```
pub fn numbered_day_of_week(value: &toml::Value) -> Option<String> {
    let (written, text) = match value {
        toml::Value::Integer(number) => (number.to_string(), number.to_string()),
        toml::Value::String(text) => (format!("{text:?}"), text.clone()),
        _ => return None,
    };
    let mut meant = Vec::new();
    let mut names = Vec::new();
    for part in text.split(',') {
        // A step (`*/2`, `0-4/2`) counts days, it does not name one.
        let (days, step) = match part.split_once('/') {
            Some((days, step)) => (days, Some(step)),
            None => (part, None),
        };
        let mut part_meant = Vec::new();
        let mut part_names = Vec::new();
        for day in days.split('-') {
            let day = day.trim();
            match day.parse::<usize>() {
                Ok(number) => {
                    let (name, full) = TABLE_FORM_DAYS.get(number)?;
                    part_meant.push(*full);
                    part_names.push((*name).to_owned());
                }
                Err(_) => {
                    part_meant.push(day);
                    part_names.push(day.to_owned());
                }
            }
        }
        let mut name = part_names.join("-");
        let mut full = part_meant.join("-");
        if let Some(step) = step {
            name = format!("{name}/{step}");
            full = format!("{full}/{step}");
        }
        names.push(name);
        meant.push(full);
    }
    let names = names.join(",");
    if names == text {
        return None;
    }
    Some(format!(
        "cron.day_of_week = {written} means {} in the table form (APScheduler's numbering, \
         0 = Monday); write {names:?}",
        meant.join(", ")
    ))
}

pub(super) fn check_trigger(
    text: &str,
    job: &RawJob,
    span: Range<usize>,
    default_zone: Option<&str>,
) -> Result<Trigger, Located> {
    let given: Vec<(&str, Range<usize>)> = [
        ("cron", job.cron.as_ref().map(Spanned::span)),
        ("interval", job.interval.as_ref().map(Spanned::span)),
        (
            "calendar_interval",
            job.calendar_interval.as_ref().map(Spanned::span),
        ),
        ("date", job.date.as_ref().map(Spanned::span)),
    ]
    .into_iter()
    .filter_map(|(key, span)| span.map(|span| (key, span)))
    .collect();
    match given.as_slice() {
        [] => {
            return Err((
                span,
                "trigger: missing; give one of cron, interval, calendar_interval or date"
                    .to_owned(),
            ));
        }
        [_] => {}
        [_, (second, span), ..] => {
            return Err((
                span.clone(),
                format!(
                    "{second}: a job has one trigger; give only one of cron, interval, calendar_interval or date"
                ),
            ));
        }
    }
    let zone_name = match &job.timezone {
        Some(name) => {
            Zone::new(name.get_ref()).map_err(|error| (name.span(), error.to_string()))?;
            name.get_ref().clone()
        }
        None => default_zone.map_or_else(|| Zone::system().name().to_owned(), str::to_owned),
    };
    let zone = Zone::new(&zone_name).map_err(|error| (span.clone(), error.to_string()))?;
    let time =
        |text: &Option<Spanned<String>>, key: &str| -> Result<Option<jiff::Timestamp>, Located> {
            text.as_ref()
                .map(|text| {
                    zone.parse_time(text.get_ref())
                        .map_err(|error| (text.span(), renamed(&error, key)))
                })
                .transpose()
        };
    let start = time(&job.start_date, "start_date")?;
    let end = time(&job.end_date, "end_date")?;
    let policy =
        |text: &Option<Spanned<String>>| text.as_ref().map(|t| (t.span(), t.get_ref().clone()));
    let gap = policy(&job.dst_gap)
        .map(|(span, text)| {
            text.parse::<DstGap>()
                .map_err(|error| (span, error.to_string()))
        })
        .transpose()?;
    let fold = policy(&job.dst_fold)
        .map(|(span, text)| {
            text.parse::<DstFold>()
                .map_err(|error| (span, error.to_string()))
        })
        .transpose()?;
    let jitter = job
        .jitter
        .as_ref()
        .map(|given| duration("jitter", given))
        .transpose()?;
    let elapsed_only = |kind: &str| -> Result<(), Located> {
        for (key, given) in [("dst_gap", &job.dst_gap), ("dst_fold", &job.dst_fold)] {
            if let Some(given) = given {
                return Err((
                    given.span(),
                    format!("{key}: does not apply to {kind} triggers, which count elapsed time"),
                ));
            }
        }
        Ok(())
    };

    let options = TriggerOptions {
        zone: &zone,
        timezone: &zone_name,
        start,
        end,
        gap,
        fold,
        jitter,
    };
    if let Some(cron) = &job.cron {
        let builder = match cron.get_ref() {
            toml::Value::String(expression) => CronTrigger::crontab(expression),
            toml::Value::Table(fields) => {
                let mut builder = CronTrigger::builder();
                for (name, value) in fields {
                    let value = match value {
                        toml::Value::String(text) => text.clone(),
                        toml::Value::Integer(number) => number.to_string(),
                        other => {
                            return Err((
                                field_span(text, cron, name),
                                format!(
                                    "{name}: {other} is not a cron expression; give a string like \"9-17\" or a number"
                                ),
                            ));
                        }
                    };
                    builder = builder
                        .field(name, value)
                        .map_err(|error| (field_span(text, cron, name), error.to_string()))?;
                }
                builder
            }
            other => {
                return Err((
                    cron.span(),
                    format!(
                        "cron: {} is neither a crontab string nor a table of fields",
                        other.type_str()
                    ),
                ));
            }
        };
        return options
            .cron(builder)
            .build()
            .map(Trigger::from)
            .map_err(|error| {
                let span = match (cron.get_ref(), error.field()) {
                    (toml::Value::Table(_), Some(field)) => field_span(text, cron, field),
                    _ => cron.span(),
                };
                (span, error.to_string())
            });
    }
    if let Some(interval) = &job.interval {
        elapsed_only("interval")?;
        let builder = interval
            .get_ref()
            .builder()
            .map_err(|error| (interval.span(), error.to_string()))?;
        return options
            .interval(builder)
            .build()
            .map(Trigger::from)
            .map_err(|error| (interval.span(), error.to_string()));
    }
    if let Some(calendar) = &job.calendar_interval {
        let builder = calendar.get_ref().builder();
        return options
            .calendar_interval(builder)
            .build()
            .map(Trigger::from)
            .map_err(|error| (calendar.span(), error.to_string()));
    }
    let Some(date) = &job.date else {
        return Err((span, "trigger: missing".to_owned()));
    };
    elapsed_only("date")?;
    let run_date = zone
        .parse_time(date.get_ref())
        .map_err(|error| (date.span(), renamed(&error, "date")))?;
    Ok(DateTrigger::in_zone(run_date, zone).into())
}

/// Where the key `field` is written inside the cron table, or the whole
/// table when it cannot be found (TOML values carry no places of their own).
fn field_span(text: &str, cron: &Spanned<toml::Value>, field: &str) -> Range<usize> {
    key_span(text, &cron.span(), field).unwrap_or_else(|| cron.span())
}
