//! The API's routes: their paths, methods, the role each needs, and the
//! handlers. Each handler does what the `tempora` command of the same name
//! does (through [`crate::actions`]) and answers with the same JSON (the
//! [`crate::views`]).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::{MethodRouter, delete, get, patch, post};
use axum::{Extension, Json};
use serde_json::{Map, Value};
use tempora::Error;
use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::job::{Job, StoredJob};
use tempora::store::JobStore;

use crate::actions::{self, Resumed};
use crate::auth::{Access, Caller, Role};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::health;
use crate::router::ApiState;
use crate::views::{
    BackfillView, ChangedView, JobView, NodeView, PAUSED_UNTIL, RemovedView, RunView,
};

/// One route: its method, path, handler and access.
pub(crate) type Route = (&'static str, &'static str, MethodRouter<ApiState>, Access);

/// Every route of the API, with the access it needs.
pub(crate) fn api_routes() -> Vec<Route> {
    let read = Access::Role(Role::Read);
    let operate = Access::Role(Role::Operate);
    let admin = Access::Role(Role::Admin);
    vec![
        ("GET", "/healthz", get(health::healthz), Access::Public),
        ("GET", "/readyz", get(health::readyz), Access::Public),
        ("GET", "/v1/openapi.json", get(openapi_json), read),
        ("GET", "/v1/jobs", get(list_jobs), read),
        ("POST", "/v1/jobs", post(add_job), admin),
        ("GET", "/v1/jobs/{id}", get(show_job), read),
        ("PATCH", "/v1/jobs/{id}", patch(modify_job), admin),
        ("DELETE", "/v1/jobs/{id}", delete(remove_job), admin),
        ("GET", "/v1/jobs/{id}/runs", get(job_runs), read),
        ("GET", "/v1/jobs/{id}/next", get(next_times), read),
        ("POST", "/v1/jobs/{id}/pause", post(pause_job), operate),
        ("POST", "/v1/jobs/{id}/resume", post(resume_job), operate),
        ("POST", "/v1/jobs/{id}/run", post(run_job), operate),
        (
            "POST",
            "/v1/jobs/{id}/backfill",
            post(backfill_job),
            operate,
        ),
        ("GET", "/v1/runs", get(list_runs), read),
        ("GET", "/v1/nodes", get(list_nodes), read),
    ]
}

/// The API's routes: method, path (axum's `{id}` form, as in the OpenAPI
/// document) and who may call each.
///
/// ```
/// use tempora_api::{Access, Role, route_table};
///
/// assert!(route_table().contains(&("POST", "/v1/jobs/{id}/run", Access::Role(Role::Operate))));
/// ```
pub fn route_table() -> Vec<(&'static str, &'static str, Access)> {
    api_routes()
        .into_iter()
        .map(|(method, path, _, access)| (method, path, access))
        .collect()
}

/// Refuses a query parameter not in `known`, naming it.
fn check_params(params: &BTreeMap<String, String>, known: &[&str]) -> ApiResult<()> {
    match params.keys().find(|key| !known.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(ApiError::invalid(
            key,
            format!(
                "unknown query parameter; expected one of {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        )),
    }
}

/// The non-negative number a query parameter `field` gives, if any.
fn count_param(params: &BTreeMap<String, String>, field: &str) -> ApiResult<Option<usize>> {
    params
        .get(field)
        .map(|text| {
            text.parse::<usize>().map_err(|_| {
                ApiError::invalid(field, format!("{text:?} is not a number of 0 or more"))
            })
        })
        .transpose()
}

/// A true/false query parameter.
fn flag_param(params: &BTreeMap<String, String>, field: &str) -> ApiResult<bool> {
    match params.get(field).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true" | "") => Ok(true),
        Some(other) => Err(ApiError::invalid(
            field,
            format!("{other:?} is not true or false"),
        )),
    }
}

/// The JSON object of a request body (an empty body is an empty object),
/// refusing keys not in `known` when given.
fn body_object(body: &Bytes, known: Option<&[&str]>) -> ApiResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| ApiError::invalid("body", format!("not JSON: {error}")))?;
    let Value::Object(object) = value else {
        return Err(ApiError::invalid("body", "not a JSON object"));
    };
    if let Some(known) = known
        && let Some(key) = object.keys().find(|key| !known.contains(&key.as_str()))
    {
        return Err(ApiError::invalid(
            key,
            format!("unknown field; expected one of {}", known.join(", ")),
        ));
    }
    Ok(object)
}

/// A string field of a body, if given.
fn string_field<'a>(object: &'a Map<String, Value>, field: &str) -> ApiResult<Option<&'a str>> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(ApiError::invalid(field, format!("{other} is not a string"))),
    }
}

/// The name of the token a request came with, for the log (never the
/// token).
fn token_name(caller: &Option<Extension<Caller>>) -> &str {
    caller
        .as_ref()
        .map_or("-", |Extension(caller)| caller.name.as_str())
}

/// The job `id`, or 404 naming it.
async fn job_or_404(store: &dyn JobStore, id: &str) -> ApiResult<Job> {
    match store.get_job(id).await? {
        Some(job) => Ok(job),
        None => Err(ApiError::job_not_found(id)),
    }
}

/// An action's error, with a job not found as 404 naming the id.
fn refused(id: &str) -> impl Fn(Error) -> ApiError + '_ {
    move |error| {
        if error.is_not_found() {
            ApiError::job_not_found(id)
        } else {
            error.into()
        }
    }
}

/// The latest run of each of `ids` that has one, read at once; none from
/// a store without history.
async fn latest_runs(
    store: &dyn JobStore,
    ids: &[&str],
) -> ApiResult<std::collections::HashMap<String, RunRecord>> {
    match store.history() {
        Some(history) => Ok(history.latest_runs(ids).await?),
        None => Ok(std::collections::HashMap::new()),
    }
}

/// `GET /v1/openapi.json`.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", body = Object)))]
pub(crate) async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi())
}

/// `GET /v1/jobs`: every job with its latest run, as `tempora jobs --json`.
#[utoipa::path(get, path = "/v1/jobs", tag = "jobs", security(("bearer" = [])),
    responses(
        (status = 200, description = "The jobs", body = Vec<JobView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
pub(crate) async fn list_jobs(
    State(state): State<ApiState>,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<Vec<JobView>>> {
    check_params(&params, &[])?;
    let store = state.store().as_ref();
    let now = state.now();
    let jobs = store.list_jobs().await?;
    // A pending run of another job has no history of its own.
    let ids: Vec<&str> = jobs
        .iter()
        .filter(|job| job.run_of().is_none())
        .map(Job::id)
        .collect();
    let mut latest = latest_runs(store, &ids).await?;
    let views = jobs
        .iter()
        .map(|job| {
            let last = match job.run_of() {
                Some(_) => None,
                None => latest.remove(job.id()),
            };
            JobView::new(job, last.as_ref(), state.zone(), now, false)
        })
        .collect();
    Ok(Json(views))
}

/// `GET /v1/jobs/{id}`: one job with its latest runs, as `tempora jobs
/// show ID --json`.
#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job and its 5 latest runs", body = JobView),
        (status = 404, body = ErrorBody), (status = 401, body = ErrorBody),
    ))]
pub(crate) async fn show_job(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    let store = state.store().as_ref();
    let job = job_or_404(store, &id).await?;
    let runs = match store.history() {
        Some(history) => {
            history
                .list_runs(&RunQuery::new().job(&id).limit(5))
                .await?
        }
        None => Vec::new(),
    };
    let mut view = JobView::new(&job, runs.first(), state.zone(), state.now(), false);
    view.runs = Some(
        runs.iter()
            .map(|run| RunView::new(state.zone(), run))
            .collect(),
    );
    Ok(Json(view))
}

/// The statuses `outcome` may name: a run status, or `failed` for every
/// failure.
fn outcome_filter(text: &str) -> ApiResult<Option<RunStatus>> {
    if text == "failed" {
        return Ok(None);
    }
    let known = [
        RunStatus::Running,
        RunStatus::Success,
        RunStatus::Error,
        RunStatus::Panic,
        RunStatus::Timeout,
        RunStatus::Missed,
        RunStatus::Interrupted,
    ];
    known
        .into_iter()
        .find(|status| status.as_str() == text)
        .map(Some)
        .ok_or_else(|| {
            let names: Vec<&str> = known.iter().map(|status| status.as_str()).collect();
            ApiError::invalid(
                "outcome",
                format!(
                    "{text:?} is not an outcome; expected failed, {}",
                    names.join(", ")
                ),
            )
        })
}

/// The default and largest page of runs.
const DEFAULT_RUNS_LIMIT: usize = 20;
const MAX_RUNS_LIMIT: usize = 1000;

/// The runs of the history that `params` select, newest first, one page;
/// with the `Link` header of the next page.
async fn runs_page(
    state: &ApiState,
    path: &str,
    job: Option<&str>,
    params: &BTreeMap<String, String>,
) -> ApiResult<(HeaderMap, Json<Vec<RunView>>)> {
    let limit = count_param(params, "limit")?.unwrap_or(DEFAULT_RUNS_LIMIT);
    if limit == 0 || limit > MAX_RUNS_LIMIT {
        return Err(ApiError::invalid(
            "limit",
            format!("{limit} is out of range 1-{MAX_RUNS_LIMIT}"),
        ));
    }
    let offset = count_param(params, "offset")?.unwrap_or(0);
    let outcome = params
        .get("outcome")
        .map(|text| outcome_filter(text))
        .transpose()?;
    let since = params
        .get("since")
        .map(|text| actions::parse_time(state.zone(), "since", text))
        .transpose()?;
    let store = state.store();
    let history = store
        .history()
        .ok_or_else(|| Error::unsupported(store.backend(), "run history"))?;
    let mut query = RunQuery::new();
    if let Some(job) = job {
        query = query.job(job);
    }
    if outcome == Some(None) {
        query = query.failed_only();
    }
    // One more than the page tells whether a next page exists; filters
    // the store does not apply are applied here, on all the records.
    let filtered_here = since.is_some() || matches!(outcome, Some(Some(_)));
    if !filtered_here {
        query = query.limit(offset + limit + 1);
    }
    let runs: Vec<RunRecord> = history
        .list_runs(&query)
        .await?
        .into_iter()
        .filter(|run| match outcome {
            Some(Some(status)) => run.status == status,
            _ => true,
        })
        .filter(|run| since.is_none_or(|since| run.scheduled_time >= since))
        .skip(offset)
        .take(limit + 1)
        .collect();
    let mut headers = HeaderMap::new();
    if runs.len() > limit {
        let mut next: Vec<String> = params
            .iter()
            .filter(|(key, _)| key.as_str() != "offset")
            .map(|(key, value)| format!("{key}={}", encode(value)))
            .collect();
        next.push(format!("offset={}", offset + limit));
        let link = format!("<{path}?{}>; rel=\"next\"", next.join("&"));
        if let Ok(value) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, value);
        }
    }
    let views = runs
        .iter()
        .take(limit)
        .map(|run| RunView::new(state.zone(), run))
        .collect();
    Ok((headers, Json(views)))
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// `GET /v1/runs`: the recorded runs, newest first, as `tempora history
/// --json`; paged by `offset` and `limit`, the next page in the `Link`
/// header (`rel="next"`).
#[utoipa::path(get, path = "/v1/runs", tag = "runs", security(("bearer" = [])),
    params(
        ("job" = Option<String>, Query, description = "Only this job's runs"),
        ("outcome" = Option<String>, Query, description = "Only runs that ended so: failed (any failure), running, success, error, panic, timeout, missed, interrupted"),
        ("since" = Option<String>, Query, description = "Only runs scheduled at or after this time (RFC 3339, or local YYYY-MM-DD[ HH:MM[:SS]])"),
        ("limit" = Option<usize>, Query, description = "At most this many runs (1-1000, default 20)"),
        ("offset" = Option<usize>, Query, description = "Skip this many runs (the next page's offset is in the Link header)"),
    ),
    responses(
        (status = 200, description = "One page of runs; header Link: <…>; rel=\"next\" when more follow", body = Vec<RunView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    ))]
pub(crate) async fn list_runs(
    State(state): State<ApiState>,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult<(HeaderMap, Json<Vec<RunView>>)> {
    check_params(&params, &["job", "outcome", "since", "limit", "offset"])?;
    let job = params.get("job").cloned();
    runs_page(&state, "/v1/runs", job.as_deref(), &params).await
}

/// `GET /v1/jobs/{id}/runs`: the runs of one job, as `GET /v1/runs?job=ID`.
#[utoipa::path(get, path = "/v1/jobs/{id}/runs", tag = "runs", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The job's id"),
        ("outcome" = Option<String>, Query, description = "As for /v1/runs"),
        ("since" = Option<String>, Query, description = "As for /v1/runs"),
        ("limit" = Option<usize>, Query, description = "As for /v1/runs"),
        ("offset" = Option<usize>, Query, description = "As for /v1/runs"),
    ),
    responses(
        (status = 200, description = "One page of runs", body = Vec<RunView>),
        (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn job_runs(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult<(HeaderMap, Json<Vec<RunView>>)> {
    check_params(&params, &["outcome", "since", "limit", "offset"])?;
    job_or_404(state.store().as_ref(), &id).await?;
    let path = format!("/v1/jobs/{}/runs", encode(&id));
    runs_page(&state, &path, Some(&id), &params).await
}

/// `GET /v1/nodes`: the live schedulers sharing the store (`all=true`
/// adds the stopped), as `tempora nodes --json`.
#[utoipa::path(get, path = "/v1/nodes", tag = "nodes", security(("bearer" = [])),
    params(
        ("all" = Option<bool>, Query, description = "List the stopped nodes too"),
        ("lease" = Option<String>, Query, description = "The lease nodes are judged by (default the daemon's)"),
    ),
    responses((status = 200, description = "The nodes", body = Vec<NodeView>)))]
pub(crate) async fn list_nodes(
    State(state): State<ApiState>,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<Vec<NodeView>>> {
    check_params(&params, &["all"])?;
    let all = flag_param(&params, "all")?;
    let store = state.store();
    let registry = store
        .nodes()
        .ok_or_else(|| Error::unsupported(store.backend(), "node records"))?;
    let (nodes, store_now) = registry.list_nodes(state.now()).await?;
    Ok(Json(
        nodes
            .iter()
            .map(|node| (node, node.is_live(store_now, state.lease())))
            .filter(|(_, live)| all || *live)
            .map(|(node, live)| NodeView::new(state.zone(), node, live))
            .collect(),
    ))
}

/// `GET /v1/jobs/{id}/next?count=N`: the job's next fire times, as
/// `tempora next --job ID --json`.
#[utoipa::path(get, path = "/v1/jobs/{id}/next", tag = "jobs", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The job's id"),
        ("count" = Option<usize>, Query, description = "How many (default 5, at most 1000)"),
    ),
    responses(
        (status = 200, description = "Fire times, RFC 3339 in the trigger's zone", body = Vec<String>),
        (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn next_times(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<Vec<String>>> {
    check_params(&params, &["count"])?;
    let count = count_param(&params, "count")?.unwrap_or(5);
    if count > 1000 {
        return Err(ApiError::invalid(
            "count",
            format!("{count} is out of range 0-1000"),
        ));
    }
    let job = job_or_404(state.store().as_ref(), &id).await?;
    let zone = job.trigger().zone();
    Ok(Json(
        actions::next_fire_times(&job, count, state.now())
            .into_iter()
            .map(|time| zone.format(time))
            .collect(),
    ))
}

/// The parser, or 501.
fn parser(state: &ApiState) -> ApiResult<&std::sync::Arc<dyn crate::JobParser>> {
    state.parser().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            crate::ErrorDetail {
                field: None,
                value: None,
                reason: None,
                message: "this server reads no job tables: it was built without a job parser"
                    .to_owned(),
            },
        )
    })
}

/// JSON `null`s left out: a key set to `null` is a key not given.
fn without_nulls(object: &Map<String, Value>) -> Map<String, Value> {
    object
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// `POST /v1/jobs`: adds the job the body describes, the JSON form of a
/// configuration file's `[[job]]` table; `replace=true` replaces a job of
/// the same id instead of answering 409.
#[utoipa::path(post, path = "/v1/jobs", tag = "jobs", security(("bearer" = [])),
    params(("replace" = Option<bool>, Query, description = "Replace a job of the same id")),
    request_body(content = Object, description = "A [[job]] table as JSON: {\"id\": \"backup\", \"command\": [\"pg_dump\", \"app\"], \"cron\": \"0 3 * * *\"}"),
    responses(
        (status = 201, description = "The job added", body = JobView),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
pub(crate) async fn add_job(
    State(state): State<ApiState>,
    caller: Option<Extension<Caller>>,
    Query(params): Query<BTreeMap<String, String>>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    check_params(&params, &["replace"])?;
    let replace = flag_param(&params, "replace")?;
    let table = without_nulls(&body_object(&body, None)?);
    let now = state.now();
    let job = parser(&state)?.parse_job(&table, now)?;
    state.store().add_job(job.clone(), replace).await?;
    arm_stale_checks(&state, &job, now).await?;
    tracing::info!(job = %job.id(), token = %token_name(&caller), "job added through the API");
    let view = JobView::new(&job, None, state.zone(), now, false);
    Ok((StatusCode::CREATED, Json(view)))
}

/// Arms the stale checks of `job`, just added, as a scheduler adding it
/// would: due its `expect_success_within` from now by the store's clock,
/// unless armed already.
async fn arm_stale_checks(state: &ApiState, job: &Job, now: jiff::Timestamp) -> ApiResult<()> {
    let default = state.default_notify();
    if tempora::notify::stale_checks(job, default, NODE, now).is_empty() {
        return Ok(());
    }
    let since = state.store().store_now(now).await?;
    for check in tempora::notify::stale_checks(job, default, NODE, since) {
        match state.store().add_job(check, false).await {
            Err(error) if !error.is_conflict() => return Err(error.into()),
            _ => {}
        }
    }
    Ok(())
}

/// The node the API names in the notices it arms.
const NODE: &str = "api";

/// The keys of a `[[job]]` table that make its trigger.
const TRIGGER_KEYS: [&str; 4] = ["cron", "interval", "calendar_interval", "date"];
/// The keys that modify a trigger, given with it.
const TRIGGER_OPTIONS: [&str; 7] = [
    "timezone",
    "start_date",
    "end_date",
    "dst_gap",
    "dst_fold",
    "jitter",
    "exclude",
];
/// The keys that make the command's arguments, and the keys of the
/// stored arguments each sets.
const COMMAND_KEYS: [(&str, &[&str]); 5] = [
    ("command", &["program", "args"]),
    ("shell", &["program", "args"]),
    ("env", &["env"]),
    ("inherit_env", &["inherit_env"]),
    ("working_dir", &["working_dir"]),
];

/// `PATCH /v1/jobs/{id}`: changes the keys the body gives, as they would
/// read in the job's `[[job]]` table; the others stay. A key set to `null`
/// returns to its default. A new trigger reschedules the job: its next run
/// time is the new trigger's first fire time from now (a paused job stays
/// paused).
#[utoipa::path(patch, path = "/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    request_body(content = Object, description = "Keys of a [[job]] table as JSON: {\"cron\": \"0 4 * * *\", \"timeout\": \"10m\"}"),
    responses(
        (status = 200, description = "The job as changed", body = JobView),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn modify_job(
    State(state): State<ApiState>,
    caller: Option<Extension<Caller>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<JobView>> {
    let patch = body_object(&body, None)?;
    let parser = parser(&state)?;
    if let Some(given) = string_field(&patch, "id")?
        && given != id
    {
        return Err(ApiError::invalid(
            "id",
            format!("{given:?} is not the job's id {id:?}; ids do not change"),
        ));
    }
    if patch.contains_key("paused") {
        return Err(ApiError::invalid(
            "paused",
            "not changed here: POST /v1/jobs/{id}/pause or /resume",
        ));
    }
    let store = state.store().as_ref();
    let job = job_or_404(store, &id).await?;
    if job.run_of().is_some() {
        return Err(ApiError::invalid(
            "id",
            format!("{id:?} is a pending run: change its job instead"),
        ));
    }
    let new_trigger = TRIGGER_KEYS.iter().any(|key| patch.contains_key(*key));
    if !new_trigger
        && let Some(option) = TRIGGER_OPTIONS.iter().find(|key| patch.contains_key(**key))
    {
        return Err(ApiError::invalid(
            option,
            "give it with the whole trigger: cron, interval, calendar_interval or date",
        ));
    }
    // The patch as a whole table: what it does not give is filled in, to
    // be left out again below.
    let mut table = without_nulls(&patch);
    table.insert("id".to_owned(), Value::from(id.clone()));
    if !table.contains_key("command") && !table.contains_key("shell") {
        table.insert("command".to_owned(), serde_json::json!(["true"]));
    }
    if !new_trigger {
        table.insert("interval".to_owned(), serde_json::json!({ "hours": 1 }));
    }
    let now = state.now();
    let parsed = parser.parse_job(&table, now)?.to_stored()?;
    let mut stored = job.to_stored()?;
    apply_patch(&patch, &parsed, &mut stored, new_trigger);
    if new_trigger && stored.next_run_time.is_some() {
        let from = paused_until_stored(&stored, now).unwrap_or(now);
        let rebuilt = Job::from_stored(stored.clone(), job.store());
        let Some(next) = rebuilt.next_fire_time(None, from) else {
            return Err(ApiError::invalid(
                "trigger",
                "has no fire time from now on; remove the job instead",
            ));
        };
        stored.next_run_time = Some(next);
    }
    let changed = Job::from_stored(stored, job.store());
    store
        .update_job(changed.clone())
        .await
        .map_err(refused(&id))?;
    if patch.contains_key("notify") || patch.contains_key("expect_success_within") {
        tempora::notify::rearm_stale_checks(store, &changed, state.default_notify(), NODE, now)
            .await?;
    }
    tracing::info!(job = %id, token = %token_name(&caller), "job modified through the API");
    Ok(Json(JobView::new(&changed, None, state.zone(), now, false)))
}

/// The instant of a stored job's `paused_until` label, while ahead.
fn paused_until_stored(stored: &StoredJob, now: jiff::Timestamp) -> Option<jiff::Timestamp> {
    stored
        .labels
        .get(PAUSED_UNTIL)
        .and_then(|text| text.parse().ok())
        .filter(|until| *until > now)
}

/// Copies into `stored` what the keys of `patch` set in `parsed`.
fn apply_patch(
    patch: &Map<String, Value>,
    parsed: &StoredJob,
    stored: &mut StoredJob,
    new_trigger: bool,
) {
    let given = |key: &str| patch.contains_key(key);
    if given("name") {
        stored.name = parsed.name.clone();
    }
    for (key, stored_keys) in COMMAND_KEYS {
        if !given(key) {
            continue;
        }
        if let (Some(target), Some(source)) = (stored.args.as_object_mut(), parsed.args.as_object())
        {
            for stored_key in stored_keys {
                match source.get(*stored_key) {
                    Some(value) => {
                        target.insert((*stored_key).to_owned(), value.clone());
                    }
                    None => {
                        target.remove(*stored_key);
                    }
                }
            }
        }
    }
    if new_trigger {
        stored.trigger = parsed.trigger.clone();
        stored.exclude = parsed.exclude.clone();
    }
    if given("misfire_grace_time") {
        stored.misfire_grace_time = parsed.misfire_grace_time;
    }
    if given("coalesce") {
        stored.coalesce = parsed.coalesce;
    }
    if given("max_instances") {
        stored.max_instances = parsed.max_instances;
    }
    if given("on_interrupted") {
        stored.on_interrupted = parsed.on_interrupted;
    }
    if given("timeout") {
        stored.timeout = parsed.timeout;
    }
    if given("overlap") {
        stored.overlap = parsed.overlap;
    }
    if given("retry") || given("retry_on") {
        stored.retry = parsed.retry.clone();
    }
    if given("pause_after_failures") {
        stored.pause_after_failures = parsed.pause_after_failures;
    }
    if given("notify") {
        stored.notify = parsed.notify.clone();
    }
    if given("expect_success_within") {
        stored.expect_success_within = parsed.expect_success_within;
    }
}

/// `DELETE /v1/jobs/{id}`: removes the job and its pending runs.
#[utoipa::path(delete, path = "/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job removed", body = RemovedView),
        (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn remove_job(
    State(state): State<ApiState>,
    caller: Option<Extension<Caller>>,
    Path(id): Path<String>,
) -> ApiResult<Json<RemovedView>> {
    let removed = actions::remove(state.store().as_ref(), &id)
        .await
        .map_err(refused(&id))?;
    tracing::info!(job = %id, token = %token_name(&caller), "job removed through the API");
    Ok(Json(removed))
}

/// `POST /v1/jobs/{id}/pause`: pauses the job; with `{"until": T}`, skips
/// its fire times before T.
#[utoipa::path(post, path = "/v1/jobs/{id}/pause", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    request_body(content = Object, description = "Optional: {\"until\": \"2026-03-30T09:00:00+02:00\"}"),
    responses(
        (status = 200, description = "The job as paused", body = JobView),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn pause_job(
    State(state): State<ApiState>,
    caller: Option<Extension<Caller>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<JobView>> {
    let body = body_object(&body, Some(&["until"]))?;
    let until_text = string_field(&body, "until")?;
    let until = until_text
        .map(|text| actions::parse_time(state.zone(), "until", text).map(|time| (text, time)))
        .transpose()?;
    let now = state.now();
    let job = actions::pause(state.store().as_ref(), &id, until, now)
        .await
        .map_err(refused(&id))?;
    tracing::info!(job = %id, token = %token_name(&caller), "job paused through the API");
    Ok(Json(JobView::new(&job, None, state.zone(), now, false)))
}

/// `POST /v1/jobs/{id}/resume`: resumes the job at its next fire time
/// from now; a job with no more fire times is removed.
#[utoipa::path(post, path = "/v1/jobs/{id}/resume", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job as resumed, or its removal", body = ChangedView),
        (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn resume_job(
    State(state): State<ApiState>,
    caller: Option<Extension<Caller>>,
    Path(id): Path<String>,
) -> ApiResult<Json<ChangedView>> {
    let now = state.now();
    let resumed = actions::resume(state.store().as_ref(), &id, now)
        .await
        .map_err(refused(&id))?;
    tracing::info!(job = %id, token = %token_name(&caller), "job resumed through the API");
    Ok(Json(match resumed {
        Resumed::Job(job) => {
            ChangedView::Job(Box::new(JobView::new(&job, None, state.zone(), now, false)))
        }
        Resumed::Removed(removed) => ChangedView::Removed(removed),
    }))
}

/// `POST /v1/jobs/{id}/run`: runs the job now, then by its trigger.
#[utoipa::path(post, path = "/v1/jobs/{id}/run", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job, due now", body = JobView),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn run_job(
    State(state): State<ApiState>,
    caller: Option<Extension<Caller>>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    let now = state.now();
    let job = actions::run_now(state.store().as_ref(), &id, now)
        .await
        .map_err(refused(&id))?;
    tracing::info!(job = %id, token = %token_name(&caller), "job run now through the API");
    Ok(Json(JobView::new(&job, None, state.zone(), now, false)))
}

/// `POST /v1/jobs/{id}/backfill`: queues each fire time from `from`
/// through `to` once (or lists them, `dry_run`).
#[utoipa::path(post, path = "/v1/jobs/{id}/backfill", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    request_body(content = Object, description = "{\"from\": T, \"to\": T, \"dry_run\": false}"),
    responses(
        (status = 200, description = "The fire times queued", body = BackfillView),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn backfill_job(
    State(state): State<ApiState>,
    caller: Option<Extension<Caller>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<BackfillView>> {
    let body = body_object(&body, Some(&["from", "to", "dry_run"]))?;
    let zone = state.zone();
    let from = string_field(&body, "from")?
        .ok_or_else(|| ApiError::invalid("from", "missing; give the first instant of the range"))?;
    let to = string_field(&body, "to")?
        .ok_or_else(|| ApiError::invalid("to", "missing; give the last instant of the range"))?;
    let dry_run = match body.get("dry_run") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(dry)) => *dry,
        Some(other) => {
            return Err(ApiError::invalid(
                "dry_run",
                format!("{other} is not true or false"),
            ));
        }
    };
    let from = actions::parse_time(zone, "from", from)?;
    let to = actions::parse_time(zone, "to", to)?;
    let now = state.now();
    let done = actions::backfill(state.store().as_ref(), &id, from, to, dry_run, now)
        .await
        .map_err(refused(&id))?;
    if !dry_run {
        tracing::info!(job = %id, token = %token_name(&caller), queued = done.queued, "backfill queued through the API");
    }
    Ok(Json(BackfillView {
        id: id.clone(),
        from: zone.format(from),
        to: zone.format(to),
        dry_run,
        fire_times: done.times.iter().map(|time| zone.format(*time)).collect(),
        queued: done.queued,
    }))
}
