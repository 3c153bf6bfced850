//! The API over real HTTP on loopback, over a memory store and a manual
//! clock: every route, the tokens and roles, the errors, paging, TLS, and
//! every answer checked against the OpenAPI document the API serves.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::routing::get;
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use tempora::Error;
use tempora::clock::ManualClock;
use tempora::history::{RunRecord, RunStatus};
use tempora::job::{Job, JobBuilder, JobDefaults};
use tempora::notify::{Notify, parse_positive_duration, stale_check_id};
use tempora::store::{JobStore, MemoryStore, NodeRecord};
use tempora::trigger::{CronTrigger, IntervalTrigger, Trigger, Zone};
use tempora_api::{Access, ApiBuilder, ApiToken, Role, TokenHash, Tokens, route_table};

const NOW: &str = "2026-03-02T08:00:00Z";

/// A small `[[job]]` reader for these tests: `id`, `name`, `command`,
/// `max_instances`, `notify`, `expect_success_within`, and an `interval`
/// (`{ hours, minutes, seconds }`) or `cron` trigger. The daemon's real
/// reader is tested end to end with the `tempora` binary.
fn parse_job(table: &Map<String, Value>, now: Timestamp) -> tempora::Result<Job> {
    let mut trigger: Option<Trigger> = None;
    let mut builder_args = json!({ "program": "true", "args": [] });
    let (mut name, mut max_instances) = (None, None);
    let (mut notify, mut within) = (None, None);
    for (key, value) in table {
        match key.as_str() {
            "id" => {}
            "name" => name = value.as_str().map(str::to_owned),
            "command" => {
                let words: Vec<String> = serde_json::from_value(value.clone())
                    .map_err(|_| Error::invalid("command", format!("{value} is not a list")))?;
                builder_args = json!({ "program": words[0], "args": words[1..] });
            }
            "max_instances" => {
                let count = value.as_u64().unwrap_or_default() as u32;
                if count == 0 {
                    return Err(Error::invalid(
                        "max_instances",
                        "0 is not allowed: at least 1",
                    ));
                }
                max_instances = Some(count);
            }
            "interval" => {
                let part = |unit: &str| value.get(unit).and_then(Value::as_i64).unwrap_or(0);
                let built = IntervalTrigger::builder()
                    .hours(part("hours"))
                    .minutes(part("minutes"))
                    .seconds(part("seconds"))
                    .timezone("UTC")
                    .build()?;
                trigger = Some(built.into());
            }
            "cron" => {
                let text = value.as_str().unwrap_or_default();
                trigger = Some(CronTrigger::crontab(text).timezone("UTC").build()?.into());
            }
            "notify" => {
                let read: Notify = serde_json::from_value(value.clone())
                    .map_err(|error| Error::invalid("notify", error.to_string()))?;
                notify = Some(read);
            }
            "expect_success_within" => {
                let text = value.as_str().unwrap_or_default();
                within = Some(parse_positive_duration("expect_success_within", text)?);
            }
            other => return Err(Error::invalid(other, "unknown field")),
        }
    }
    let id = table.get("id").and_then(Value::as_str).unwrap_or_default();
    let trigger = trigger.ok_or_else(|| Error::invalid("trigger", "missing"))?;
    let mut builder = JobBuilder::new("command", trigger)
        .id(id)
        .args(&builder_args)
        .label("origin", "api");
    if let Some(name) = name {
        builder = builder.name(name);
    }
    if let Some(count) = max_instances {
        builder = builder.max_instances(count);
    }
    if let Some(notify) = notify {
        builder = builder.notify(notify);
    }
    if let Some(within) = within {
        builder = builder.expect_success_within(within);
    }
    builder.build_at(&JobDefaults::default(), now)
}

/// One answer the API gave.
#[derive(Debug, Clone)]
struct Answer {
    method: String,
    path: String,
    status: u16,
    body: Option<Value>,
}

/// The API served on a loopback port over a memory store.
struct Served {
    base: String,
    client: reqwest::Client,
    store: Arc<dyn JobStore>,
    clock: Arc<ManualClock>,
    answers: Mutex<Vec<Answer>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

const READ: &str = "read-token";
const OPERATE: &str = "operate-token";
const ADMIN: &str = "admin-token";
const METRICS: &str = "metrics-token";

fn tokens() -> Tokens {
    let token = |name: &str, role: Role, token: &str| ApiToken {
        name: name.to_owned(),
        role,
        sha256: TokenHash::of(token),
    };
    Tokens::new()
        .with(token("reader", Role::Read, READ))
        .with(token("operator", Role::Operate, OPERATE))
        .with(token("admin", Role::Admin, ADMIN))
        .with_metrics_token(TokenHash::of(METRICS))
}

async fn serve() -> Served {
    let store: Arc<dyn JobStore> = Arc::new(MemoryStore::with_history());
    let clock = Arc::new(ManualClock::new(NOW.parse().unwrap()));
    let router = ApiBuilder::new(Arc::clone(&store))
        .zone(Zone::new("UTC").unwrap())
        .clock(clock.clone())
        .tokens(tokens())
        .job_parser(Arc::new(parse_job))
        .route("/metrics", get(|| async { "# metrics\n" }), Access::Metrics)
        .build();
    let settings = tempora_api::serve::ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls: None,
    };
    let listener = tempora_api::serve::bind(&settings).await.unwrap();
    let base = format!("http://{}", listener.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(listener.serve(router, async move {
        let _ = stopped.await;
    }));
    Served {
        base,
        client: reqwest::Client::new(),
        store,
        clock,
        answers: Mutex::new(Vec::new()),
        _stop: stop,
    }
}

impl Served {
    /// `method path` with `token` and a JSON `body`; the status, headers
    /// and JSON body (recorded for the OpenAPI check).
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let is_json = headers
            .get("content-type")
            .is_some_and(|kind| kind.to_str().unwrap().starts_with("application/json"));
        let text = response.text().await.unwrap();
        let body = is_json.then(|| serde_json::from_str::<Value>(&text).unwrap());
        self.answers.lock().unwrap().push(Answer {
            method: method.to_string(),
            path: path.to_owned(),
            status: status.as_u16(),
            body: body.clone(),
        });
        (status, headers, body.unwrap_or(Value::String(text)))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.call(Method::GET, path, Some(ADMIN), None).await;
        (status, body)
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (status, _, body) = self.call(Method::POST, path, Some(ADMIN), Some(body)).await;
        (status, body)
    }

    /// Adds job `id` firing every `minutes`.
    async fn add(&self, id: &str, minutes: i64) {
        let (status, body) = self
            .post(
                "/v1/jobs",
                json!({ "id": id, "command": ["echo", id], "interval": { "minutes": minutes } }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    /// Records a finished run of `id` scheduled `minutes_ago` before now.
    async fn record(&self, id: &str, minutes_ago: i64, status: RunStatus) {
        let now: Timestamp = NOW.parse().unwrap();
        let scheduled = now - SignedDuration::from_mins(minutes_ago);
        let run = RunRecord::running(id, scheduled, "node-a", scheduled, now).finish(
            status,
            scheduled + SignedDuration::from_secs(2),
            Some(SignedDuration::from_secs(2)),
            None,
        );
        self.store
            .history()
            .unwrap()
            .record_run(&run)
            .await
            .unwrap();
    }

    /// Every answer so far, checked against the document the API serves.
    async fn check_answers_against_the_document(&self) {
        let (status, document) = self.get("/v1/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        let answers = self.answers.lock().unwrap().clone();
        for answer in &answers {
            tempora_testkit::openapi::check_answer(
                &document,
                &answer.method,
                &answer.path,
                answer.status,
                answer.body.as_ref(),
            )
            .unwrap_or_else(|error| panic!("{error}"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_as_the_openapi_document_says() {
    let api = serve().await;
    let (status, document) = api.get("/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    // Every route of the router is in the document.
    for (method, path, _) in route_table() {
        assert!(
            document["paths"][path][method.to_ascii_lowercase()].is_object(),
            "{method} {path} is not in the document"
        );
    }

    // The schemas list every key, and require every key always present.
    let job_schema = &document["components"]["schemas"]["JobView"];
    let required = job_schema["required"].as_array().unwrap();
    assert!(required.contains(&json!("next_run_time")) && required.contains(&json!("last_run")));
    assert!(
        !required.contains(&json!("runs")),
        "only `GET /v1/jobs/{{id}}` has runs"
    );
    assert_eq!(job_schema["properties"].as_object().unwrap().len(), 25);

    assert_eq!(
        api.get("/healthz").await,
        (StatusCode::OK, json!({ "status": "ok", "reason": null }))
    );
    assert_eq!(api.get("/readyz").await.0, StatusCode::OK);

    api.add("backup", 60).await;
    api.add("report", 30).await;
    let (status, jobs) = api.get("/v1/jobs").await;
    assert_eq!(status, StatusCode::OK);
    let mut jobs = jobs.as_array().unwrap().clone();
    jobs.sort_by_key(|job| job["id"].as_str().unwrap().to_owned());
    let ids: Vec<&str> = jobs.iter().map(|job| job["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["backup", "report"]);
    assert_eq!(jobs[0]["next_run_time"], "2026-03-02T09:00:00+00:00");
    assert_eq!(jobs[0]["next_run_in_seconds"], 3600);
    assert_eq!(jobs[0]["origin"], "api");

    api.record("backup", 120, RunStatus::Success).await;
    api.record("backup", 60, RunStatus::Error).await;
    let (_, shown) = api.get("/v1/jobs/backup").await;
    assert_eq!(shown["last_run"]["status"], "error");
    assert_eq!(shown["runs"].as_array().unwrap().len(), 2);

    let (_, runs) = api.get("/v1/jobs/backup/runs").await;
    assert_eq!(runs.as_array().unwrap().len(), 2);
    let (_, failed) = api.get("/v1/runs?outcome=failed").await;
    assert_eq!(failed.as_array().unwrap().len(), 1);

    let (_, next) = api.get("/v1/jobs/report/next?count=3").await;
    assert_eq!(
        next,
        json!([
            "2026-03-02T08:30:00+00:00",
            "2026-03-02T09:00:00+00:00",
            "2026-03-02T09:30:00+00:00"
        ])
    );

    // Modify: a new trigger reschedules the job.
    let (status, _, changed) = api
        .call(
            Method::PATCH,
            "/v1/jobs/report",
            Some(ADMIN),
            Some(json!({ "interval": { "minutes": 10 }, "name": "Report" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], "Report");
    assert_eq!(changed["next_run_time"], "2026-03-02T08:10:00+00:00");
    assert_eq!(changed["args"]["program"], "echo", "the command stays");

    // Pause until an instant, resume, run now.
    let (status, paused) = api
        .post(
            "/v1/jobs/report/pause",
            json!({ "until": "2026-03-02T09:05:00Z" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["paused_until"], "2026-03-02T09:05:00+00:00");
    // An interval counts from the instant it is asked from.
    assert_eq!(paused["next_run_time"], "2026-03-02T09:15:00+00:00");
    let (_, paused) = api.post("/v1/jobs/report/pause", json!({})).await;
    assert_eq!(paused["paused"], true);
    let (_, resumed) = api.post("/v1/jobs/report/resume", json!({})).await;
    assert_eq!(resumed["paused"], false);
    assert_eq!(resumed["next_run_time"], "2026-03-02T08:10:00+00:00");
    let (_, ran) = api.post("/v1/jobs/report/run", json!({})).await;
    assert_eq!(ran["next_run_time"], "2026-03-02T08:00:00+00:00");

    // Backfill: dry, then queued once.
    let range =
        json!({ "from": "2026-03-02T06:00:00Z", "to": "2026-03-02T07:00:00Z", "dry_run": true });
    let (status, dry) = api.post("/v1/jobs/backup/backfill", range).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["fire_times"].as_array().unwrap().len(), 2);
    assert_eq!(dry["queued"], 0);
    let range = json!({ "from": "2026-03-02T06:00:00Z", "to": "2026-03-02T07:00:00Z" });
    let (_, queued) = api.post("/v1/jobs/backup/backfill", range.clone()).await;
    assert_eq!(queued["queued"], 2);
    let (_, again) = api.post("/v1/jobs/backup/backfill", range).await;
    assert_eq!(again["queued"], 0, "queued once");

    // Nodes.
    let registry = api.store.nodes().unwrap();
    let now: Timestamp = NOW.parse().unwrap();
    registry
        .heartbeat(&NodeRecord::new("node-a", "host-a", 42, "i-1", now))
        .await
        .unwrap();
    let (_, nodes) = api.get("/v1/nodes").await;
    assert_eq!(nodes[0]["id"], "node-a");
    assert_eq!(nodes[0]["live"], true);
    api.clock.advance(SignedDuration::from_mins(5));
    assert_eq!(api.get("/v1/nodes").await.1, json!([]));
    assert_eq!(api.get("/v1/nodes?all=true").await.1[0]["live"], false);

    // Delete takes the pending backfill runs with the job.
    let (status, _, removed) = api
        .call(Method::DELETE, "/v1/jobs/backup", Some(ADMIN), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        removed,
        json!({ "id": "backup", "removed": true, "origin": "api" })
    );
    let (_, jobs) = api.get("/v1/jobs").await;
    assert_eq!(jobs.as_array().unwrap().len(), 1, "{jobs}");

    // Errors are documented too.
    assert_eq!(api.get("/v1/jobs/nope").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.get("/v1/runs?outcome=meh").await.0,
        StatusCode::BAD_REQUEST
    );
    api.check_answers_against_the_document().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_roles_decide_who_may_call_what() {
    let api = serve().await;
    api.add("job", 60).await;
    for (method, path, access) in route_table() {
        let path = path.replace("{id}", "job");
        let method: Method = method.parse().unwrap();
        let body = (method == Method::POST).then(|| json!({}));
        // No token, and an unknown one: 401 with the challenge.
        for token in [None, Some("guess")] {
            let (status, headers, body) =
                api.call(method.clone(), &path, token, body.clone()).await;
            if access == Access::Public {
                assert_eq!(status, StatusCode::OK, "{method} {path}");
                continue;
            }
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {token:?}"
            );
            assert_eq!(headers["www-authenticate"], "Bearer");
            assert_eq!(body["error"]["field"], "authorization");
        }
        let Access::Role(needed) = access else {
            continue;
        };
        for (token, role) in [(READ, Role::Read), (OPERATE, Role::Operate)] {
            let (status, _, answer) = api
                .call(method.clone(), &path, Some(token), body.clone())
                .await;
            if role.allows(needed) {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{method} {path} as {role}: {status} {answer}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} as {role}");
                assert!(
                    answer["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains(&format!("this needs {needed}"))
                );
            }
        }
    }
    // Admin may call everything; the matrix ends with the job deleted.
    let (status, _, _) = api
        .call(Method::DELETE, "/v1/jobs/job", Some(ADMIN), None)
        .await;
    assert!(status == StatusCode::OK || status == StatusCode::NOT_FOUND);
    api.check_answers_against_the_document().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_route_needs_the_metrics_token_or_a_read_token() {
    let api = serve().await;
    let (status, headers, _) = api.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    for token in [METRICS, READ] {
        let (status, _, body) = api.call(Method::GET, "/metrics", Some(token), None).await;
        assert_eq!((status, body), (StatusCode::OK, json!("# metrics\n")));
    }
    // The metrics token opens nothing else.
    let (status, _, _) = api.call(Method::GET, "/v1/jobs", Some(METRICS), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_settings_are_added_and_changed_with_the_jobs_stale_checks() {
    let api = serve().await;
    let now: Timestamp = NOW.parse().unwrap();
    let hours = SignedDuration::from_hours;
    let (status, added) = api
        .post(
            "/v1/jobs",
            json!({
                "id": "backup",
                "command": ["true"],
                "interval": { "hours": 24 },
                "expect_success_within": "26h",
                "notify": { "webhook": "https://hooks.example.com/a", "on": ["stale"] },
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let check = |channel| stale_check_id("backup", channel);
    // When the stale check of `channel` is due, if there is one.
    let due = async |channel| {
        let job = api.store.get_job(&check(channel)).await.unwrap();
        job.map(|job| job.next_run_time())
    };
    assert_eq!(
        due("webhook").await,
        Some(Some(now + hours(26))),
        "armed when added"
    );

    // An hour later, a command instead of the webhook: the check follows,
    // due when it was.
    api.clock.set(now + hours(1));
    let patch = async |body: Value| {
        let (status, _, answer) = api
            .call(Method::PATCH, "/v1/jobs/backup", Some(ADMIN), Some(body))
            .await;
        (status, answer)
    };
    let (status, changed) = patch(json!({
        "notify": { "command": ["page-ops"], "on": ["stale", "recovered"] }
    }))
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let job = api.store.get_job("backup").await.unwrap().unwrap();
    let notify = job.notify().unwrap();
    assert_eq!(notify.command_line().unwrap(), ["page-ops"]);
    assert_eq!(notify.webhook_url(), None);
    assert_eq!(due("webhook").await, None);
    assert_eq!(due("command").await, Some(Some(now + hours(26))));

    // A longer expect_success_within counts from the same start.
    let (status, changed) = patch(json!({ "expect_success_within": "50h" })).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(due("command").await, Some(Some(now + hours(50))));

    // A bad setting changes nothing.
    let (status, refused) = patch(json!({ "notify": { "webhook": "ftp://x" } })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"]["field"], "notify", "{refused}");
    assert_eq!(due("command").await, Some(Some(now + hours(50))));

    // null: no notify settings of its own, and so no stale checks.
    let (status, changed) = patch(json!({ "notify": null })).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let job = api.store.get_job("backup").await.unwrap().unwrap();
    assert_eq!(job.notify(), None);
    assert_eq!(job.expect_success_within(), Some(hours(50)));
    assert_eq!(due("command").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_400_naming_the_field_unknown_jobs_404_and_taken_ids_409() {
    let api = serve().await;
    api.add("a", 60).await;
    let cases: Vec<(Method, &str, Option<Value>, StatusCode, &str)> = vec![
        (
            Method::POST,
            "/v1/jobs",
            Some(json!({ "id": "a", "interval": { "minutes": 5 } })),
            StatusCode::CONFLICT,
            "id",
        ),
        (
            Method::POST,
            "/v1/jobs",
            Some(json!({ "id": "b", "cron": "0 24 * * *" })),
            StatusCode::BAD_REQUEST,
            "hour",
        ),
        (
            Method::POST,
            "/v1/jobs",
            Some(json!({ "id": "b", "interval": { "minutes": 5 }, "max_instances": 0 })),
            StatusCode::BAD_REQUEST,
            "max_instances",
        ),
        (
            Method::POST,
            "/v1/jobs",
            Some(json!([1])),
            StatusCode::BAD_REQUEST,
            "body",
        ),
        (
            Method::POST,
            "/v1/jobs?replace=maybe",
            Some(json!({})),
            StatusCode::BAD_REQUEST,
            "replace",
        ),
        (
            Method::PATCH,
            "/v1/jobs/a",
            Some(json!({ "id": "z" })),
            StatusCode::BAD_REQUEST,
            "id",
        ),
        (
            Method::PATCH,
            "/v1/jobs/a",
            Some(json!({ "paused": true })),
            StatusCode::BAD_REQUEST,
            "paused",
        ),
        (
            Method::PATCH,
            "/v1/jobs/nope",
            Some(json!({ "name": "x" })),
            StatusCode::NOT_FOUND,
            "id",
        ),
        (
            Method::POST,
            "/v1/jobs/a/pause",
            Some(json!({ "until": "yesterday" })),
            StatusCode::BAD_REQUEST,
            "until",
        ),
        (
            Method::POST,
            "/v1/jobs/a/pause",
            Some(json!({ "until": "2020-01-01T00:00:00Z" })),
            StatusCode::BAD_REQUEST,
            "until",
        ),
        (
            Method::POST,
            "/v1/jobs/a/pause",
            Some(json!({ "untill": "x" })),
            StatusCode::BAD_REQUEST,
            "untill",
        ),
        (
            Method::POST,
            "/v1/jobs/a/backfill",
            Some(json!({ "to": "2026-03-02T07:00:00Z" })),
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            Method::POST,
            "/v1/jobs/a/backfill",
            Some(
                json!({ "from": "2026-03-02T06:00:00Z", "to": "2026-03-02T07:00:00Z", "dry_run": "yes" }),
            ),
            StatusCode::BAD_REQUEST,
            "dry_run",
        ),
        (
            Method::POST,
            "/v1/jobs/nope/run",
            None,
            StatusCode::NOT_FOUND,
            "id",
        ),
        (
            Method::POST,
            "/v1/jobs/nope/resume",
            None,
            StatusCode::NOT_FOUND,
            "id",
        ),
        (
            Method::DELETE,
            "/v1/jobs/nope",
            None,
            StatusCode::NOT_FOUND,
            "id",
        ),
        (
            Method::GET,
            "/v1/jobs/nope/runs",
            None,
            StatusCode::NOT_FOUND,
            "id",
        ),
        (
            Method::GET,
            "/v1/jobs/nope/next",
            None,
            StatusCode::NOT_FOUND,
            "id",
        ),
        (
            Method::GET,
            "/v1/jobs/a/next?count=x",
            None,
            StatusCode::BAD_REQUEST,
            "count",
        ),
        (
            Method::GET,
            "/v1/runs?limit=0",
            None,
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            Method::GET,
            "/v1/runs?since=soon",
            None,
            StatusCode::BAD_REQUEST,
            "since",
        ),
        (
            Method::GET,
            "/v1/runs?jobb=a",
            None,
            StatusCode::BAD_REQUEST,
            "jobb",
        ),
        (
            Method::GET,
            "/v1/jobs?verbose=1",
            None,
            StatusCode::BAD_REQUEST,
            "verbose",
        ),
    ];
    for (method, path, body, expected, field) in cases {
        let (status, _, answer) = api.call(method.clone(), path, Some(ADMIN), body).await;
        assert_eq!(status, expected, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{method} {path}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        if expected == StatusCode::NOT_FOUND {
            assert_eq!(message, "job \"nope\" not found");
        } else {
            assert!(message.contains(field), "{answer}");
        }
    }
    let (_, _, taken) = api
        .call(
            Method::POST,
            "/v1/jobs",
            Some(ADMIN),
            Some(json!({ "id": "a", "interval": { "minutes": 5 } })),
        )
        .await;
    assert_eq!(taken["error"]["value"], "a");
    let (_, _, unknown) = api
        .call(Method::GET, "/v1/jobs/nope", Some(ADMIN), None)
        .await;
    assert_eq!(
        unknown,
        json!({ "error": { "field": "id", "value": "nope", "message": "job \"nope\" not found" } })
    );
    api.check_answers_against_the_document().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_filtered_and_paged_with_a_link_to_the_next_page() {
    let api = serve().await;
    api.add("a", 60).await;
    api.add("b", 60).await;
    for minutes_ago in 1..=5 {
        api.record(
            "a",
            minutes_ago * 10,
            if minutes_ago == 3 {
                RunStatus::Timeout
            } else {
                RunStatus::Success
            },
        )
        .await;
        api.record("b", minutes_ago * 10 + 1, RunStatus::Success)
            .await;
    }
    let (status, headers, page) = api
        .call(Method::GET, "/v1/runs?job=a&limit=2", Some(READ), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let times = |page: &Value| -> Vec<String> {
        page.as_array()
            .unwrap()
            .iter()
            .map(|run| run["scheduled_time"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        times(&page),
        ["2026-03-02T07:50:00+00:00", "2026-03-02T07:40:00+00:00"]
    );
    let link = headers["link"].to_str().unwrap();
    assert_eq!(link, "</v1/runs?job=a&limit=2&offset=2>; rel=\"next\"");
    let (_, headers, page) = api
        .call(
            Method::GET,
            "/v1/runs?job=a&limit=2&offset=2",
            Some(READ),
            None,
        )
        .await;
    assert_eq!(
        times(&page),
        ["2026-03-02T07:30:00+00:00", "2026-03-02T07:20:00+00:00"]
    );
    assert!(headers.contains_key("link"));
    let (_, headers, page) = api
        .call(
            Method::GET,
            "/v1/runs?job=a&limit=2&offset=4",
            Some(READ),
            None,
        )
        .await;
    assert_eq!(times(&page), ["2026-03-02T07:10:00+00:00"]);
    assert!(!headers.contains_key("link"), "the last page");

    let (_, _, timeouts) = api
        .call(Method::GET, "/v1/runs?outcome=timeout", Some(READ), None)
        .await;
    assert_eq!(times(&timeouts), ["2026-03-02T07:30:00+00:00"]);
    let (_, _, recent) = api
        .call(
            Method::GET,
            "/v1/runs?since=2026-03-02T07:35:00Z",
            Some(READ),
            None,
        )
        .await;
    assert_eq!(recent.as_array().unwrap().len(), 4, "{recent}");
    let (_, headers, page) = api
        .call(
            Method::GET,
            "/v1/jobs/b/runs?limit=4&since=2026-03-02T07:00:00Z",
            Some(READ),
            None,
        )
        .await;
    assert_eq!(page.as_array().unwrap().len(), 4);
    assert_eq!(
        headers["link"].to_str().unwrap(),
        "</v1/jobs/b/runs?limit=4&since=2026-03-02T07%3A00%3A00Z&offset=4>; rel=\"next\""
    );
    api.check_answers_against_the_document().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_certificate_the_client_trusts() {
    let dir = std::env::temp_dir().join(format!("tempora-api-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();

    let settings = tempora_api::serve::ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls: Some((cert.clone(), key.clone())),
    };
    let listener = tempora_api::serve::bind(&settings).await.unwrap();
    assert!(listener.is_tls());
    let port = listener.local_addr().port();
    let router = ApiBuilder::new(Arc::new(MemoryStore::new()))
        .tokens(tokens())
        .build();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(listener.serve(router, async move {
        let _ = stopped.await;
    }));

    let trusted = reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(trusted)
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let response = client
        .get(format!("https://localhost:{port}/v1/jobs"))
        .bearer_auth(READ)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), json!([]));
    // Plain HTTP to the TLS port gets no answer.
    assert!(
        reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_err()
    );
    // A client that does not trust the certificate is refused.
    let untrusting = reqwest::Client::builder()
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let refused = untrusting
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await;
    assert!(refused.unwrap_err().is_connect());

    // Shutdown ends the server.
    stop.send(()).unwrap();
    served.await.unwrap().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
