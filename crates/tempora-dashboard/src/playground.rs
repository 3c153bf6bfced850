//! The expression playground: a crontab string or cron fields, a zone and
//! DST policies, answered as you type with the description, the next fire
//! times, or the error's field and reason. The trigger is built by the
//! library's builders, as `tempora next` builds it.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::{Deserialize, Serialize};
use tempora::trigger::{CronTrigger, DstFold, DstGap, Trigger, Zone};

use crate::Dashboard;
use crate::pages::layout;
use crate::session::{require, session};
use crate::time::{dst_day, local};

/// The cron fields the playground offers, most significant first.
const FIELDS: [&str; 8] = [
    "year",
    "month",
    "day",
    "week",
    "day_of_week",
    "hour",
    "minute",
    "second",
];

/// What the playground asks: a crontab string, or fields.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ScheduleQuery {
    #[serde(default)]
    crontab: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    week: String,
    #[serde(default)]
    day_of_week: String,
    #[serde(default)]
    hour: String,
    #[serde(default)]
    minute: String,
    #[serde(default)]
    second: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    dst_gap: String,
    #[serde(default)]
    dst_fold: String,
    #[serde(default)]
    now: String,
    #[serde(default)]
    count: Option<usize>,
}

impl ScheduleQuery {
    fn field(&self, name: &str) -> &str {
        match name {
            "year" => &self.year,
            "month" => &self.month,
            "day" => &self.day,
            "week" => &self.week,
            "day_of_week" => &self.day_of_week,
            "hour" => &self.hour,
            "minute" => &self.minute,
            _ => &self.second,
        }
    }
}

/// One fire time as the playground shows it.
#[derive(Debug, Serialize)]
pub(crate) struct FireTime {
    /// RFC 3339 with the zone's offset.
    time: String,
    /// On the zone's wall clock, with its abbreviation.
    local: String,
    /// True when a DST transition falls on its day.
    dst: bool,
}

/// The answer: the description and fire times, or the error.
#[derive(Debug, Serialize)]
pub(crate) struct ScheduleAnswer {
    description: Option<String>,
    zone: Option<String>,
    fire_times: Vec<FireTime>,
    error: Option<ErrorAnswer>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ErrorAnswer {
    field: Option<String>,
    reason: String,
}

fn build(
    query: &ScheduleQuery,
    clock_now: jiff::Timestamp,
) -> tempora::Result<(Trigger, jiff::Timestamp, usize)> {
    let zone_name = match query.timezone.trim() {
        "" => "UTC",
        name => name,
    };
    let zone = Zone::new(zone_name)?;
    let mut builder = match query.crontab.trim() {
        "" => CronTrigger::builder(),
        crontab => CronTrigger::crontab(crontab),
    };
    if query.crontab.trim().is_empty() {
        let mut any = false;
        for name in FIELDS {
            let value = query.field(name).trim();
            if !value.is_empty() {
                builder = builder.field(name, value)?;
                any = true;
            }
        }
        if !any {
            return Err(tempora::Error::invalid(
                "crontab",
                "type a crontab string or at least one field",
            ));
        }
    }
    builder = builder.timezone(zone.name());
    if !query.dst_gap.trim().is_empty() {
        builder = builder.dst_gap(query.dst_gap.trim().parse::<DstGap>()?);
    }
    if !query.dst_fold.trim().is_empty() {
        builder = builder.dst_fold(query.dst_fold.trim().parse::<DstFold>()?);
    }
    let trigger: Trigger = builder.build()?.into();
    let now = match query.now.trim() {
        "" => None,
        text => Some(tempora_api::actions::parse_time(&zone, "now", text)?),
    };
    let count = query.count.unwrap_or(10);
    if !(1..=100).contains(&count) {
        return Err(tempora::Error::invalid(
            "count",
            format!("{count} is out of range 1-100"),
        ));
    }
    Ok((trigger, now.unwrap_or(clock_now), count))
}

/// The playground's answer for `query` at `now` (when the query gives
/// none).
pub(crate) fn answer(query: &ScheduleQuery, now: jiff::Timestamp) -> ScheduleAnswer {
    match build(query, now) {
        Ok((trigger, from, count)) => {
            let zone = trigger.zone().clone();
            ScheduleAnswer {
                description: Some(trigger.describe()),
                zone: Some(zone.name().to_owned()),
                fire_times: trigger
                    .fire_times(None, from)
                    .take(count)
                    .map(|time| FireTime {
                        time: zone.format(time),
                        local: local(&zone, time),
                        dst: dst_day(&zone, time),
                    })
                    .collect(),
                error: None,
            }
        }
        Err(error) => ScheduleAnswer {
            description: None,
            zone: None,
            fire_times: Vec::new(),
            error: Some(ErrorAnswer {
                field: error.field().map(str::to_owned),
                reason: error
                    .reason()
                    .map_or_else(|| error.to_string(), str::to_owned),
            }),
        },
    }
}

/// `GET /ui/api/schedule`: the playground's JSON.
pub(crate) async fn schedule(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Query(query): Query<ScheduleQuery>,
) -> Response {
    if session(&dashboard, &headers).is_none() {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    }
    let answer = answer(&query, dashboard.api.now());
    let status = if answer.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, Json(answer)).into_response()
}

/// `GET /ui/playground`.
pub(crate) async fn page(State(dashboard): State<Dashboard>, headers: HeaderMap) -> Response {
    let session = match require(&dashboard, &headers) {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    let zone = dashboard.api.zone().name().to_owned();
    let body = html! {
        main {
            h1 { "Expression playground" }
            p.muted { "A crontab string (" code { "minute hour day month day_of_week" } ", Sunday = 0) \
                       or APScheduler's cron fields (Monday = 0). Answers as you type, with the engine \
                       of " code { "tempora next" } "." }
            form #playground data-endpoint="/ui/api/schedule" {
                div.grid {
                    div.wide {
                        label for="crontab" { "Crontab string" }
                        input #crontab name="crontab" type="text" value="*/15 9-17 * * mon-fri"
                            autocomplete="off" spellcheck="false";
                    }
                    div {
                        label for="timezone" { "Zone" }
                        input #timezone name="timezone" type="text" value=(zone) autocomplete="off";
                    }
                    div {
                        label for="dst_gap" { "DST gap" }
                        select #dst_gap name="dst_gap" {
                            option value="shift" { "shift (later by the gap)" }
                            option value="at-transition" { "at the transition" }
                            option value="skip" { "skip" }
                        }
                    }
                    div {
                        label for="dst_fold" { "DST fold" }
                        select #dst_fold name="dst_fold" {
                            option value="auto" { "auto" }
                            option value="first" { "first" }
                            option value="last" { "last" }
                            option value="both" { "both" }
                        }
                    }
                    div {
                        label for="now" { "From (optional)" }
                        input #now name="now" type="text" placeholder="YYYY-MM-DD HH:MM" autocomplete="off";
                    }
                    div {
                        label for="count" { "How many" }
                        input #count name="count" type="number" min="1" max="100" value="10";
                    }
                }
                fieldset {
                    legend { "Or cron fields (used when the crontab string is empty)" }
                    div.grid {
                        @for name in FIELDS {
                            div {
                                label for={ "field-" (name) } { (name) }
                                input id={ "field-" (name) } name=(name) type="text" autocomplete="off" spellcheck="false";
                            }
                        }
                    }
                }
            }
            section aria-live="polite" #answer {
                p #description.lead {}
                p #error.error role="alert" hidden {}
                ol #times {}
            }
        }
    };
    layout("Playground", Some(&session), body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_out_of_range_names_the_field() {
        let query = ScheduleQuery {
            crontab: "61 * * * *".into(),
            ..ScheduleQuery::default()
        };
        let answer = answer(&query, "2026-01-01T00:00:00Z".parse().unwrap());
        let error = answer.error.unwrap();
        assert_eq!(error.field.as_deref(), Some("minute"));
        assert!(error.reason.contains("61"), "{}", error.reason);
    }

    #[test]
    fn a_time_in_the_spring_gap_shifts_past_it() {
        let query = ScheduleQuery {
            crontab: "30 2 * * *".into(),
            timezone: "Europe/Berlin".into(),
            now: "2026-03-28 12:00".into(),
            count: Some(2),
            ..ScheduleQuery::default()
        };
        let answer = answer(&query, "2026-01-01T00:00:00Z".parse().unwrap());
        let times: Vec<&str> = answer.fire_times.iter().map(|t| t.time.as_str()).collect();
        assert_eq!(
            times,
            ["2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"]
        );
        assert!(answer.fire_times[0].dst);
    }
}
