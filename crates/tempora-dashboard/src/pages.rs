//! The pages: jobs, one job (settings, fire times, history, chart,
//! actions), timeline and nodes; the layout they share; and the actions'
//! form handler.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{SignedDuration, Timestamp};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use serde_json::Value;
use tempora::history::{RunQuery, RunRecord};
use tempora::job::Job;
use tempora::trigger::Trigger;
use tempora_api::Role;
use tempora_api::actions::{self, Resumed};
use tempora_api::views::{paused_until, shown_args};

use crate::Dashboard;
use crate::session::{Session, check_form, require};
use crate::time::{dst_day, local, relative, transitions};

/// Jobs on one page of the jobs table.
pub(crate) const PAGE_SIZE: usize = 50;

/// The page around `body`: head, navigation (when signed in), main.
pub(crate) fn layout(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Tempora" }
                link rel="stylesheet" href="/ui/assets/dashboard.css";
                script src="/ui/assets/dashboard.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/ui/" { "Tempora" }
                    @if let Some(session) = session {
                        nav aria-label="Main" {
                            a href="/ui/" { "Jobs" }
                            a href="/ui/timeline" { "Timeline" }
                            a href="/ui/nodes" { "Nodes" }
                            a href="/ui/playground" { "Playground" }
                        }
                        form.signout method="post" action="/ui/logout" {
                            span.who { (session.name) " (" (session.role) ")" }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                div #main tabindex="-1" { (body) }
            }
        }
    }
}

/// An error of the store as a page.
fn failure(error: &tempora::Error) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        layout(
            "Error",
            None,
            html! { main { h1 { "The store failed" } p.error role="alert" { (error) } } },
        ),
    )
        .into_response()
}

/// The schedule as written: the crontab string, or the trigger in short.
pub(crate) fn written(trigger: &Trigger) -> String {
    if let Trigger::Cron(_) = trigger
        && let Ok(Value::Object(spec)) = serde_json::to_value(trigger)
        && let Some(Value::String(crontab)) = spec.get("crontab")
    {
        return crontab.clone();
    }
    trigger
        .to_string()
        .replace(", dst_gap='shift'", "")
        .replace(", dst_fold='auto'", "")
}

/// A time cell: local (in `zone`), relative, and a DST mark.
fn time_cell(zone: &tempora::trigger::Zone, instant: Timestamp, now: Timestamp) -> Markup {
    html! {
        time datetime=(instant.to_string()) { (local(zone, instant)) }
        " "
        span.muted { "(" (relative(instant, now)) ")" }
        @if dst_day(zone, instant) {
            " " abbr.dst title="a DST transition falls on this day" { "DST" }
        }
    }
}

fn outcome_badge(status: &str) -> Markup {
    let class = match status {
        "success" => "ok",
        "running" => "running",
        "missed" | "interrupted" => "warn",
        _ => "bad",
    };
    html! { span class={ "badge " (class) } { (status) } }
}

fn duration_text(run: &RunRecord) -> String {
    run.duration
        .map(|duration| {
            let seconds = duration.as_secs_f64();
            if seconds < 10.0 {
                format!("{seconds:.2} s")
            } else {
                format!("{seconds:.0} s")
            }
        })
        .unwrap_or_else(|| "–".to_owned())
}

#[derive(Deserialize, Default)]
pub(crate) struct JobsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    notice: Option<String>,
}

fn state_matches(job: &Job, state: &str, now: Timestamp) -> bool {
    let paused = job.is_paused() || paused_until(job, now).is_some();
    match state {
        "paused" => paused,
        "scheduled" => !paused && job.run_of().is_none(),
        "pending" => job.run_of().is_some(),
        _ => true,
    }
}

/// `GET /ui/`: the jobs table, filtered, sorted by next run, paged.
pub(crate) async fn jobs(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Query(query): Query<JobsQuery>,
) -> Response {
    let session = match require(&dashboard, &headers) {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    let now = dashboard.api.now();
    let all = match dashboard.list_jobs().await {
        Ok(jobs) => jobs,
        Err(error) => return failure(&error),
    };
    let needle = query.q.trim().to_lowercase();
    let mut selected: Vec<&Job> = all
        .iter()
        .filter(|job| {
            needle.is_empty()
                || job.id().to_lowercase().contains(&needle)
                || job.name().to_lowercase().contains(&needle)
        })
        .filter(|job| state_matches(job, &query.state, now))
        .collect();
    selected.sort_by(|a, b| {
        (a.next_run_time().is_none(), a.next_run_time(), a.id()).cmp(&(
            b.next_run_time().is_none(),
            b.next_run_time(),
            b.id(),
        ))
    });
    let total = selected.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let shown = &selected[(page - 1) * PAGE_SIZE..(page * PAGE_SIZE).min(total)];
    let ids: Vec<&str> = shown.iter().map(|job| job.id()).collect();
    let latest = latest_runs(&dashboard, &ids).await;
    let link = |page: usize| {
        let mut params = vec![format!("page={page}")];
        if !query.q.is_empty() {
            params.push(format!("q={}", encode(&query.q)));
        }
        if !query.state.is_empty() {
            params.push(format!("state={}", encode(&query.state)));
        }
        format!("/ui/?{}", params.join("&"))
    };
    let body = html! {
        main {
            h1 { "Jobs" }
            @if let Some(notice) = &query.notice {
                p.notice role="status" { (notice) }
            }
            form.filters method="get" action="/ui/" role="search" {
                label for="q" { "Filter" }
                input #q type="search" name="q" value=(query.q) placeholder="id or name";
                label for="state" { "State" }
                select #state name="state" {
                    @for (value, text) in [("", "all"), ("scheduled", "scheduled"), ("paused", "paused"), ("pending", "pending runs")] {
                        option value=(value) selected[query.state == value] { (text) }
                    }
                }
                button type="submit" { "Apply" }
            }
            p.muted #jobs-count {
                (total) " jobs, sorted by next run; page " (page) " of " (pages)
                " · times in each job's zone"
            }
            div.table-wrap {
                table #jobs {
                    caption.muted { "Last runs and runs in progress update by themselves every "
                        (ROWS_EVERY_MS / 1000) " seconds." }
                    thead {
                        tr {
                            th scope="col" { "Job" }
                            th scope="col" { "Schedule" }
                            th scope="col" { "Next run" }
                            th scope="col" { "Last run" }
                            th scope="col" { "Paused" }
                            th scope="col" { "Running on" }
                        }
                    }
                    tbody data-poll=(rows_path(&ids)) data-every=(ROWS_EVERY_MS) {
                        @for job in shown {
                            (job_row(job, latest.get(job.id()), now))
                        }
                    }
                }
            }
            nav.pager aria-label="Pages" {
                @if page > 1 { a rel="prev" href=(link(page - 1)) { "← Previous" } }
                @if page < pages { a rel="next" href=(link(page + 1)) { "Next →" } }
            }
        }
    };
    layout("Jobs", Some(&session), body).into_response()
}

/// How often the jobs table asks for its rows again, in milliseconds.
const ROWS_EVERY_MS: u64 = 3000;

/// The most rows `/ui/rows` renders at once.
const MAX_ROWS: usize = 200;

/// The latest run of each of `ids` that has one (pending runs of other
/// jobs have none of their own), read at once; none without history or
/// when the store fails (the page shows the jobs all the same).
async fn latest_runs(dashboard: &Dashboard, ids: &[&str]) -> HashMap<String, RunRecord> {
    match dashboard.api.store().history() {
        Some(history) => history.latest_runs(ids).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "dashboard: the latest runs could not be read");
            HashMap::new()
        }),
        None => HashMap::new(),
    }
}

/// Where the jobs table's script asks for the rows of `ids`.
fn rows_path(ids: &[&str]) -> String {
    let query: Vec<String> = ids.iter().map(|id| format!("id={}", encode(id))).collect();
    format!("/ui/rows?{}", query.join("&"))
}

/// One row of the jobs table: `job` with its latest run `last`.
fn job_row(job: &Job, last: Option<&RunRecord>, now: Timestamp) -> Markup {
    // A pending run of another job has no history of its own.
    let last = last.filter(|_| job.run_of().is_none());
    let running = last.filter(|run| !run.status.is_finished());
    html! {
        tr data-job=(job.id()) {
            td {
                a href={ "/ui/jobs/" (encode(job.id())) } { (job.id()) }
                @if job.name() != job.id() && Some(job.name()) != job.task().name() {
                    br; span.muted { (job.name()) }
                }
            }
            td data-label="Schedule" {
                (job.trigger().describe())
                br;
                code { (written(job.trigger())) }
                " " span.muted { (job.trigger().zone().name()) }
            }
            td.next data-label="Next run" {
                @match job.next_run_time() {
                    Some(next) => (time_cell(job.trigger().zone(), next, now)),
                    None => "–",
                }
            }
            td.last data-label="Last run" {
                @match last {
                    Some(run) => {
                        (outcome_badge(run.status.as_str()))
                        @if run.status.is_finished() { " " (duration_text(run)) }
                        @let when = run.finished.or(run.started).unwrap_or(run.scheduled_time);
                        br;
                        span.muted {
                            @if run.status.is_finished() { "ended " } @else { "started " }
                            time datetime=(when.to_string()) { (relative(when, now)) }
                        }
                    }
                    None => "–",
                }
            }
            td data-label="Paused" {
                @if let Some(until) = paused_until(job, now) {
                    "until " (local(job.trigger().zone(), until))
                } @else if job.is_paused() {
                    "paused"
                    @if let Some(reason) = job.paused_reason() { br; span.muted { (reason) } }
                } @else { "–" }
            }
            td.node data-label="Running on" {
                @match running {
                    Some(run) => (run.node),
                    None => "–",
                }
            }
        }
    }
}

/// `GET /ui/rows?id=…&id=…`: the jobs table's rows of those jobs, as they
/// are now, for the page's polling (a job removed meanwhile has no row).
pub(crate) async fn rows_fragment(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    if let Err(redirect) = require(&dashboard, &headers) {
        return redirect;
    }
    let mut ids: Vec<&str> = Vec::new();
    for (name, value) in &params {
        if name != "id" {
            return (
                StatusCode::BAD_REQUEST,
                format!("{name}: unknown query parameter; expected id"),
            )
                .into_response();
        }
        ids.push(value.as_str());
    }
    if ids.len() > MAX_ROWS {
        return (
            StatusCode::BAD_REQUEST,
            format!("id: {} ids given; at most {MAX_ROWS}", ids.len()),
        )
            .into_response();
    }
    let store = dashboard.api.store();
    let mut jobs = Vec::with_capacity(ids.len());
    for id in &ids {
        match store.get_job(id).await {
            Ok(Some(job)) => jobs.push(job),
            Ok(None) => {}
            Err(error) => {
                return (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response();
            }
        }
    }
    let latest = latest_runs(&dashboard, &ids).await;
    let now = dashboard.api.now();
    html! {
        @for job in &jobs { (job_row(job, latest.get(job.id()), now)) }
    }
    .into_response()
}

/// Percent-encodes a query or path value.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[derive(Deserialize, Default)]
pub(crate) struct NoticeQuery {
    #[serde(default)]
    notice: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// The runs of a job, newest first (none without history).
async fn runs_of(dashboard: &Dashboard, id: &str, limit: usize) -> Vec<RunRecord> {
    match dashboard.api.store().history() {
        Some(history) => history
            .list_runs(&RunQuery::new().job(id).limit(limit))
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

fn history_rows(dashboard: &Dashboard, runs: &[RunRecord]) -> Markup {
    let zone = dashboard.api.zone();
    html! {
        @if runs.is_empty() {
            tr { td colspan="8" { "No runs yet." } }
        }
        @for (index, run) in runs.iter().enumerate() {
            tr.run data-status=(run.status.as_str()) {
                td { time datetime=(run.scheduled_time.to_string()) { (local(zone, run.scheduled_time)) } }
                td { @match run.started { Some(started) => (local(zone, started)), None => "–" } }
                td { (duration_text(run)) }
                td { (outcome_badge(run.status.as_str())) }
                td { @match run.exit_status { Some(status) => (status), None => "–" } }
                td { (run.node) }
                td { (run.attempt) }
                td {
                    @if run.output.is_some() || run.error.is_some() {
                        details {
                            summary { "Output" span.visually-hidden { " of run " (index + 1) } }
                            @if let Some(error) = &run.error { p.error { (error) } }
                            @if let Some(output) = &run.output { pre { (output) } }
                        }
                    } @else { "–" }
                }
            }
        }
    }
}

/// How many runs the chart of a job's page shows.
const CHART_RUNS: usize = 30;

/// A bar per run (oldest left): height by duration, colour by outcome.
fn chart(runs: &[RunRecord]) -> Markup {
    let longest = runs
        .iter()
        .filter_map(|run| run.duration)
        .map(|duration| duration.as_secs_f64())
        .fold(0.0f64, f64::max)
        .max(0.001);
    let width = 12.0;
    let height = 60.0;
    // A slot per run the chart can show, filled from the left: a bar keeps
    // its width however few runs there are.
    let slots = CHART_RUNS.max(runs.len());
    let counted = match runs.len() {
        1 => "the last run".to_owned(),
        count => format!("the last {count} runs"),
    };
    html! {
        figure.chart {
            svg role="img" aria-labelledby="chart-title" viewBox={ "0 0 " ((slots as f64) * width) " " (height) }
                preserveAspectRatio="none" {
                title #chart-title {
                    @if runs.is_empty() { "No runs yet" } @else { "Durations and outcomes of " (counted) }
                }
                @for (index, run) in runs.iter().rev().enumerate() {
                    @let seconds = run.duration.map(|d| d.as_secs_f64()).unwrap_or(0.0);
                    @let bar = (seconds / longest * (height - 4.0)).max(3.0);
                    rect class={ "bar " (run.status.as_str()) }
                        x=(index as f64 * width + 1.0) y=(height - bar) width=(width - 2.0) height=(bar) {
                        title { (run.status.as_str()) ", " (duration_text(run)) }
                    }
                }
            }
            figcaption.muted {
                @if runs.is_empty() {
                    "No runs yet: each run adds a bar, height by duration, colour by outcome."
                } @else {
                    (counted[..1].to_uppercase()) (counted[1..]) ", oldest first; height = duration (longest "
                    (format!("{longest:.2}")) " s); "
                    span.key.success { "success" } " " span.key.failed { "failed" } " " span.key.other { "other" }
                }
            }
        }
    }
}

/// `GET /ui/jobs/{id}`.
pub(crate) async fn job(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let session = match require(&dashboard, &headers) {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    let store = dashboard.api.store();
    let job = match store.get_job(&id).await {
        Ok(Some(job)) => job,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                layout(
                    "Not found",
                    Some(&session),
                    html! { main { h1 { "No job " code { (id) } } p { a href="/ui/" { "All jobs" } } } },
                ),
            )
                .into_response();
        }
        Err(error) => return failure(&error),
    };
    let now = dashboard.api.now();
    let zone = job.trigger().zone().clone();
    let fire_times = actions::next_fire_times(&job, 20, now);
    let runs = runs_of(&dashboard, &id, CHART_RUNS).await;
    let args = shown_args(job.args(), false);
    let paused = job.is_paused() || paused_until(&job, now).is_some();
    let path = format!("/ui/jobs/{}", encode(&id));
    let settings: Vec<(&str, String)> = vec![
        ("Name", job.name().to_owned()),
        ("Trigger", written(job.trigger())),
        ("Zone", zone.name().to_owned()),
        ("Misfire grace", job.misfire_grace_time().to_string()),
        ("Coalesce", job.coalesce().to_string()),
        ("Max instances", job.max_instances().to_string()),
        (
            "Timeout",
            job.timeout()
                .map_or("none".to_owned(), |timeout| format!("{timeout:#}")),
        ),
        (
            "Overlap",
            job.overlap()
                .map_or("default".to_owned(), |overlap| overlap.as_str().to_owned()),
        ),
        (
            "Retry",
            job.retry().map_or("none".to_owned(), |retry| {
                serde_json::to_string(retry).unwrap_or_default()
            }),
        ),
        (
            "Pause after failures",
            job.pause_after_failures()
                .map_or("never".to_owned(), |count| count.to_string()),
        ),
        ("Executor", job.executor().to_owned()),
    ];
    let body = html! {
        main {
            p { a href="/ui/" { "← Jobs" } }
            h1 { "Job " code { (job.id()) } }
            @if let Some(notice) = &query.notice { p.notice role="status" { (notice) } }
            @if let Some(error) = &query.error { p.error role="alert" { (error) } }
            p.lead { (job.trigger().describe()) " " span.muted { "(" (zone.name()) ")" } }
            @if paused {
                p.notice {
                    @if let Some(until) = paused_until(&job, now) { "Paused until " (local(&zone, until)) "." }
                    @else { "Paused." }
                    @if let Some(reason) = job.paused_reason() { " " (reason) }
                }
            }
            @if session.may(Role::Operate) {
                section.actions aria-labelledby="actions-title" {
                    h2 #actions-title { "Actions" }
                    p #action-status role="status" hidden {}
                    div.action-row {
                        form method="post" action={ (path) "/run" } data-async {
                            input type="hidden" name="csrf" value=(session.csrf);
                            button #run-now type="submit" disabled[paused] { "Run now" }
                        }
                        @if paused {
                            form method="post" action={ (path) "/resume" } {
                                input type="hidden" name="csrf" value=(session.csrf);
                                button #resume type="submit" { "Resume" }
                            }
                        } @else {
                            form.inline method="post" action={ (path) "/pause" } {
                                input type="hidden" name="csrf" value=(session.csrf);
                                label for="until" { "Pause until (optional)" }
                                input #until type="text" name="until" placeholder="YYYY-MM-DD HH:MM";
                                button #pause type="submit" { "Pause" }
                            }
                        }
                    }
                    form.inline method="post" action={ (path) "/backfill" } {
                        input type="hidden" name="csrf" value=(session.csrf);
                        label for="from" { "Backfill from" }
                        input #from type="text" name="from" placeholder="YYYY-MM-DD HH:MM" required;
                        label for="to" { "to" }
                        input #to type="text" name="to" placeholder="YYYY-MM-DD HH:MM" required;
                        button #backfill type="submit" { "Backfill" }
                    }
                    @if session.may(Role::Admin) {
                        form.inline.danger method="post" action={ (path) "/remove" } data-confirm={ "Remove job " (job.id()) " and its pending runs?" } {
                            input type="hidden" name="csrf" value=(session.csrf);
                            input #confirm type="checkbox" name="confirm" value="yes" required;
                            label for="confirm" { "I mean to remove this job" }
                            button #remove type="submit" { "Remove" }
                        }
                    }
                }
            }
            div.columns {
                section aria-labelledby="settings-title" {
                    h2 #settings-title { "Settings" }
                    dl.settings {
                        @for (name, value) in &settings { dt { (name) } dd { (value) } }
                        dt { "Command" }
                        dd { pre { (serde_json::to_string_pretty(&args).unwrap_or_default()) } }
                        @for (name, value) in job.labels() { dt { "Label " (name) } dd { (value) } }
                    }
                }
                section aria-labelledby="next-title" {
                    h2 #next-title { "Next 20 fire times" }
                    ol #fire-times {
                        @for time in &fire_times { li { (time_cell(&zone, *time, now)) } }
                    }
                    @if fire_times.is_empty() { p { "None: the trigger is exhausted." } }
                }
            }
            section aria-labelledby="history-title" {
                h2 #history-title { "History" }
                div #chart data-poll={ (path) "/chart" } data-every="2000" { (chart(&runs)) }
                div.table-wrap {
                    table #history {
                        caption.muted { "Newest first; updates by itself every 2 seconds." }
                        thead { tr {
                            th scope="col" { "Scheduled" } th scope="col" { "Started" }
                            th scope="col" { "Duration" } th scope="col" { "Outcome" }
                            th scope="col" { "Exit" } th scope="col" { "Node" }
                            th scope="col" { "Attempt" } th scope="col" { "Output" }
                        } }
                        tbody data-poll={ (path) "/history" } data-every="2000" {
                            (history_rows(&dashboard, &runs[..runs.len().min(20)]))
                        }
                    }
                }
            }
        }
    };
    layout(&format!("Job {id}"), Some(&session), body).into_response()
}

/// `GET /ui/jobs/{id}/history`: the history table's rows, for the page's
/// polling.
pub(crate) async fn history_fragment(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(redirect) = require(&dashboard, &headers) {
        return redirect;
    }
    let runs = runs_of(&dashboard, &id, 20).await;
    history_rows(&dashboard, &runs).into_response()
}

/// `GET /ui/jobs/{id}/chart`: the chart of the job's last runs, for the
/// page's polling.
pub(crate) async fn chart_fragment(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(redirect) = require(&dashboard, &headers) {
        return redirect;
    }
    let runs = runs_of(&dashboard, &id, CHART_RUNS).await;
    chart(&runs).into_response()
}

#[derive(Deserialize)]
pub(crate) struct ActionForm {
    csrf: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /ui/jobs/{id}/{action}`: pause, resume, run, backfill, remove;
/// through the API's actions, with the role each needs.
pub(crate) async fn action(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let session = match require(&dashboard, &headers) {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    if let Err(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let needed = if action == "remove" {
        Role::Admin
    } else {
        Role::Operate
    };
    if !session.may(needed) {
        return (
            StatusCode::FORBIDDEN,
            format!(
                "token {:?} has role {}; this needs {needed}",
                session.name, session.role
            ),
        )
            .into_response();
    }
    let store = dashboard.api.store().as_ref();
    let now = dashboard.api.now();
    let zone = dashboard.api.zone();
    let path = format!("/ui/jobs/{}", encode(&id));
    let done: tempora::Result<String> = match action.as_str() {
        "run" => actions::run_now(store, &id, now)
            .await
            .map(|_| "Queued to run now.".to_owned()),
        "resume" => actions::resume(store, &id, now)
            .await
            .map(|resumed| match resumed {
                Resumed::Job(_) => "Resumed.".to_owned(),
                Resumed::Removed(_) => "It had no fire times left: removed.".to_owned(),
            }),
        "pause" => {
            let until = form.until.trim();
            match until {
                "" => actions::pause(store, &id, None, now).await,
                text => match actions::parse_time(zone, "until", text) {
                    Ok(instant) => actions::pause(store, &id, Some((text, instant)), now).await,
                    Err(error) => Err(error),
                },
            }
            .map(|_| "Paused.".to_owned())
        }
        "backfill" => {
            let range = actions::parse_time(zone, "from", form.from.trim()).and_then(|from| {
                actions::parse_time(zone, "to", form.to.trim()).map(|to| (from, to))
            });
            match range {
                Ok((from, to)) => actions::backfill(store, &id, from, to, false, now)
                    .await
                    .map(|done| {
                        format!(
                            "Backfill: {} fire times, {} queued.",
                            done.times.len(),
                            done.queued
                        )
                    }),
                Err(error) => Err(error),
            }
        }
        "remove" if form.confirm == "yes" => {
            let removed = actions::remove(store, &id).await;
            dashboard.forget_jobs();
            return match removed {
                Ok(_) => {
                    tracing::info!(token = %session.name, job = %id, "dashboard: removed");
                    Redirect::to(&format!(
                        "/ui/?notice={}",
                        encode(&format!("Removed {id}."))
                    ))
                    .into_response()
                }
                Err(error) => Redirect::to(&format!("{path}?error={}", encode(&error.to_string())))
                    .into_response(),
            };
        }
        "remove" => Err(tempora::Error::invalid(
            "confirm",
            "tick the box to confirm the removal",
        )),
        other => {
            return (StatusCode::NOT_FOUND, format!("no action {other:?}")).into_response();
        }
    };
    dashboard.forget_jobs();
    match done {
        Ok(notice) => {
            tracing::info!(token = %session.name, job = %id, action = %action, "dashboard action");
            Redirect::to(&format!("{path}?notice={}", encode(&notice))).into_response()
        }
        Err(error) => {
            Redirect::to(&format!("{path}?error={}", encode(&error.to_string()))).into_response()
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct TimelineQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    range: String,
}

/// Jobs drawn on the timeline at most, and fire times counted per job.
const TIMELINE_ROWS: usize = 60;
const TIMELINE_TIMES: usize = 2000;

/// `GET /ui/timeline`: the fire times of the (filtered) jobs over the next
/// 24 hours or 7 days, a count per hour (where runs pile up), and the DST
/// transitions.
pub(crate) async fn timeline(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Query(query): Query<TimelineQuery>,
) -> Response {
    let session = match require(&dashboard, &headers) {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    let jobs = match dashboard.list_jobs().await {
        Ok(jobs) => jobs,
        Err(error) => return failure(&error),
    };
    let now = dashboard.api.now();
    let zone = dashboard.api.zone();
    let week = query.range == "7d";
    let span = if week {
        SignedDuration::from_hours(24 * 7)
    } else {
        SignedDuration::from_hours(24)
    };
    let end = now + span;
    let bucket = if week {
        SignedDuration::from_hours(6)
    } else {
        SignedDuration::from_hours(1)
    };
    let buckets = (span.as_secs() / bucket.as_secs()) as usize;
    let needle = query.q.trim().to_lowercase();
    let mut counts = vec![0usize; buckets];
    let mut rows: Vec<(String, Vec<Timestamp>)> = Vec::new();
    let mut matched = 0usize;
    for job in jobs.iter().filter(|job| job.run_of().is_none()) {
        if !needle.is_empty()
            && !job.id().to_lowercase().contains(&needle)
            && !job.name().to_lowercase().contains(&needle)
        {
            continue;
        }
        matched += 1;
        // Lazily: the fire times stop at the window's end.
        let times: Vec<Timestamp> = match job.next_run_time() {
            Some(next) => std::iter::once(next)
                .chain(actions::fire_times_from(job, Some(next), next))
                .take_while(|time| *time <= end)
                .filter(|time| *time >= now)
                .take(TIMELINE_TIMES)
                .collect(),
            None => Vec::new(),
        };
        for time in &times {
            let index = ((*time - now).as_secs() / bucket.as_secs()) as usize;
            if let Some(count) = counts.get_mut(index) {
                *count += 1;
            }
        }
        if rows.len() < TIMELINE_ROWS {
            rows.push((job.id().to_owned(), times));
        }
    }
    let width = 1000.0;
    let x = |time: Timestamp| ((time - now).as_secs_f64() / span.as_secs_f64()) * width;
    let busiest = counts.iter().copied().max().unwrap_or(0).max(1);
    let dst = transitions(zone, now, end);
    let row_height = 18.0;
    let top = 70.0;
    let height = top + row_height * rows.len() as f64 + 10.0;
    let label_every = if week { 4 } else { 3 };
    let body = html! {
        main {
            h1 { "Timeline" }
            form.filters method="get" action="/ui/timeline" role="search" {
                label for="q" { "Filter" }
                input #q type="search" name="q" value=(query.q) placeholder="id or name";
                label for="range" { "Range" }
                select #range name="range" {
                    option value="24h" selected[!week] { "next 24 hours" }
                    option value="7d" selected[week] { "next 7 days" }
                }
                button type="submit" { "Apply" }
            }
            p.muted {
                (matched) " jobs; " (rows.len()) " drawn; bars count fire times per "
                @if week { "6 hours" } @else { "hour" } " (busiest: " (busiest) "). Times in " (zone.name()) "."
                @for (at, change) in &dst { " DST: " (local(zone, *at)) " (" (change) ")." }
            }
            div.timeline-wrap {
                svg.timeline role="img" aria-labelledby="timeline-title" viewBox={ "0 0 " (width + 160.0) " " (height) } {
                    title #timeline-title { "Fire times of the next " @if week { "7 days" } @else { "24 hours" } }
                    g transform="translate(150,0)" {
                        @for (index, count) in counts.iter().enumerate() {
                            @let bar = (*count as f64 / busiest as f64) * 40.0;
                            rect.load x=(index as f64 * width / buckets as f64) y=(50.0 - bar)
                                width=(width / buckets as f64 - 1.0) height=(bar) {
                                title { (count) " fire times from " (local(zone, now + bucket * index as i32)) }
                            }
                            @if index % label_every == 0 {
                                text.axis x=(index as f64 * width / buckets as f64) y="62" {
                                    (hour_label(zone, now + bucket * index as i32, week))
                                }
                            }
                        }
                        @for (at, change) in &dst {
                            line.dst x1=(x(*at)) x2=(x(*at)) y1="0" y2=(height) {}
                            text.dst x=(x(*at) + 3.0) y="10" { "DST " (change) }
                        }
                        @for (row, (id, times)) in rows.iter().enumerate() {
                            @let y = top + row as f64 * row_height;
                            text.label x="-146" y=(y + 12.0) { (id) }
                            line.lane x1="0" x2=(width) y1=(y + 9.0) y2=(y + 9.0) {}
                            @for time in times {
                                rect.tick x=(x(*time) - 1.0) y=(y + 3.0) width="2" height="12" {
                                    title { (id) ": " (local(zone, *time)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout("Timeline", Some(&session), body).into_response()
}

fn hour_label(zone: &tempora::trigger::Zone, at: Timestamp, week: bool) -> String {
    let zoned = at.to_zoned_datetime(zone.time_zone().clone());
    if week {
        zoned.strftime("%a %H:%M").to_string()
    } else {
        zoned.strftime("%H:%M").to_string()
    }
}

fn nodes_rows(dashboard: &Dashboard, nodes: &[tempora_api::views::NodeView]) -> Markup {
    let zone = dashboard.api.zone();
    let now = dashboard.api.now();
    // The view's times are RFC 3339: shown local, the heartbeat also relative.
    let shown = |text: &str, with_relative: bool| match text.parse::<Timestamp>() {
        Ok(instant) if with_relative => {
            format!("{} ({})", local(zone, instant), relative(instant, now))
        }
        Ok(instant) => local(zone, instant),
        Err(_) => text.to_owned(),
    };
    html! {
        @if nodes.is_empty() { tr { td colspan="6" { "No nodes." } } }
        @for node in nodes {
            tr {
                td { (node.id) }
                td { (node.host) " (pid " (node.pid) ")" }
                td { (shown(&node.started, false)) }
                td { (shown(&node.last_heartbeat, true)) }
                td { (node.running) }
                td { @if node.live { span.badge.ok { "live" } } @else { span.badge.warn { "stopped" } } }
            }
        }
    }
}

async fn node_views(dashboard: &Dashboard) -> Result<Vec<tempora_api::views::NodeView>, String> {
    let store = dashboard.api.store();
    let Some(registry) = store.nodes() else {
        return Err(format!(
            "the {} store keeps no node records",
            store.backend()
        ));
    };
    let (nodes, store_now) = registry
        .list_nodes(dashboard.api.now())
        .await
        .map_err(|error| error.to_string())?;
    Ok(nodes
        .iter()
        .map(|node| {
            let live = node.is_live(store_now, dashboard.api.lease());
            tempora_api::views::NodeView::new(dashboard.api.zone(), node, live)
        })
        .collect())
}

/// `GET /ui/nodes`: the schedulers on the store and their heartbeats.
pub(crate) async fn nodes(State(dashboard): State<Dashboard>, headers: HeaderMap) -> Response {
    let session = match require(&dashboard, &headers) {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    let nodes = node_views(&dashboard).await;
    let body = html! {
        main {
            h1 { "Nodes" }
            @match &nodes {
                Err(reason) => p.notice { (reason) },
                Ok(nodes) => {
                    div.table-wrap {
                        table #nodes {
                            caption.muted { "Updates by itself every 5 seconds." }
                            thead { tr {
                                th scope="col" { "Node" } th scope="col" { "Host" }
                                th scope="col" { "Started" } th scope="col" { "Last heartbeat" }
                                th scope="col" { "Running" } th scope="col" { "State" }
                            } }
                            tbody data-poll="/ui/nodes/fragment" data-every="5000" { (nodes_rows(&dashboard, nodes)) }
                        }
                    }
                }
            }
        }
    };
    layout("Nodes", Some(&session), body).into_response()
}

/// `GET /ui/nodes/fragment`: the nodes table's rows.
pub(crate) async fn nodes_fragment(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
) -> Response {
    if let Err(redirect) = require(&dashboard, &headers) {
        return redirect;
    }
    match node_views(&dashboard).await {
        Ok(nodes) => nodes_rows(&dashboard, &nodes).into_response(),
        Err(reason) => html! { tr { td colspan="6" { (reason) } } }.into_response(),
    }
}
