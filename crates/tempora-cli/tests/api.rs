//! The daemon's HTTP API end to end: the real `tempora` binary with an
//! `[api]` table, on SQLite and on PostgreSQL, called over real HTTP with
//! tokens made by `tempora api token`. Every route, the 401/403 matrix of
//! every role, bad input (400 naming the field), 404 and 409; each answer
//! checked against the OpenAPI document the daemon serves; the API's JSON
//! compared with `tempora jobs --json`; a graceful stop. Jobs fire on the
//! real clock, so checks poll with a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempora_api::{Access, Role, route_table};

use support::{DEADLINE, Setup, signal, wait_exit};

/// The tokens of each role, made by `tempora api token`, and the
/// `[[api.token]]` lines it printed.
struct Tokens {
    read: String,
    operate: String,
    admin: String,
    lines: String,
}

fn make_tokens() -> Tokens {
    let mut tokens = Vec::new();
    let mut lines = String::new();
    for role in ["read", "operate", "admin"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tempora"))
            .args([
                "api",
                "token",
                "--role",
                role,
                "--name",
                &format!("{role}-token"),
            ])
            .output()
            .unwrap();
        assert!(output.status.success());
        let text = String::from_utf8(output.stdout).unwrap();
        let token = text.lines().next().unwrap().to_owned();
        assert_eq!(token.len(), 64);
        let table = &text[text.find("[[api.token]]").unwrap()..];
        assert!(!table.contains(&token), "the file never holds the token");
        lines.push_str(table);
        tokens.push(token);
    }
    let [read, operate, admin] = <[String; 3]>::try_from(tokens).unwrap();
    Tokens {
        read,
        operate,
        admin,
        lines,
    }
}

/// A configuration with `store` (if any), the API on `port` and one job
/// firing every second.
fn config(store: Option<(&str, &str)>, port: u16, tokens: &Tokens) -> String {
    let store = match store {
        Some((url, prefix)) => format!("store = \"{url}\"\nstore_prefix = \"{prefix}\"\n"),
        None => String::new(),
    };
    format!(
        "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n{store}\n\
         [api]\nlisten = \"127.0.0.1:{port}\"\n\n{}\n\
         [[job]]\nid = \"tick\"\ncommand = [\"echo\", \"tick\"]\ninterval = {{ seconds = 1 }}\n",
        tokens.lines
    )
}

/// A client of the daemon's API that keeps every answer.
struct Client {
    base: String,
    http: reqwest::Client,
    answers: Vec<(String, String, u16, Option<Value>)>,
}

impl Client {
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response.text().await.unwrap();
        let body: Option<Value> = serde_json::from_str(&text).ok();
        self.answers.push((
            method.to_string(),
            path.to_owned(),
            status.as_u16(),
            body.clone(),
        ));
        (status, headers, body.unwrap_or(Value::String(text)))
    }

    /// Polls `path` with `token` until `done` holds of its body.
    async fn wait_for(
        &mut self,
        what: &str,
        path: &str,
        token: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let start = Instant::now();
        loop {
            let (status, _, body) = self.call(Method::GET, path, Some(token), None).await;
            if status == StatusCode::OK && done(&body) {
                return body;
            }
            assert!(start.elapsed() < DEADLINE, "{what}: still {status} {body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Waits until the daemon's API answers `/healthz`.
async fn wait_listening(base: &str) {
    let start = Instant::now();
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(
            start.elapsed() < DEADLINE,
            "the API does not answer at {base}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every route of the API against the daemon on `store`.
async fn every_route_every_role(name: &str, store: Option<(&str, &str)>) {
    let tokens = make_tokens();
    let port = tempora_testkit::servers::spare_port();
    let setup = Setup::new(name, &config(store, port, &tokens));
    let mut daemon = setup.start();
    let base = format!("http://127.0.0.1:{port}");
    wait_listening(&base).await;
    let mut api = Client {
        base,
        http: reqwest::Client::new(),
        answers: Vec::new(),
    };
    let (read, operate, admin) = (
        tokens.read.as_str(),
        tokens.operate.as_str(),
        tokens.admin.as_str(),
    );

    // Health without a token.
    let (status, _, body) = api.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({ "status": "ok", "reason": null }))
    );
    let (status, _, _) = api.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK);

    // The file's job runs, and the API shows it as `tempora jobs` does.
    let runs = api
        .wait_for(
            "tick runs",
            "/v1/runs?job=tick&outcome=success",
            read,
            |runs| runs.as_array().is_some_and(|runs| !runs.is_empty()),
        )
        .await;
    assert_eq!(runs[0]["output"], "tick\n");
    let (_, _, jobs) = api.call(Method::GET, "/v1/jobs", Some(read), None).await;
    let cli = setup.json(&["jobs"]);
    let keys =
        |value: &Value| -> Vec<String> { value.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(
        keys(&jobs[0]),
        keys(&cli[0]),
        "one schema for the CLI and the API"
    );
    assert_eq!(jobs[0]["id"], "tick");
    assert_eq!(jobs[0]["origin"], "config");
    assert_eq!(jobs[0]["trigger"], cli[0]["trigger"]);
    let (_, _, shown) = api
        .call(Method::GET, "/v1/jobs/tick", Some(read), None)
        .await;
    let cli_shown = setup.json(&["jobs", "show", "tick"]);
    assert_eq!(keys(&shown), keys(&cli_shown));
    let (_, _, history) = api
        .call(Method::GET, "/v1/jobs/tick/runs?limit=1", Some(read), None)
        .await;
    assert_eq!(
        keys(&history[0]),
        keys(&setup.json(&["history", "tick"])[0])
    );
    let (_, _, nodes) = api.call(Method::GET, "/v1/nodes", Some(read), None).await;
    let cli_nodes = setup.json(&["nodes"]);
    assert_eq!(keys(&nodes[0]), keys(&cli_nodes[0]));
    assert_eq!(nodes[0]["id"], cli_nodes[0]["id"]);
    assert_eq!(nodes[0]["pid"], daemon.id());
    assert_eq!(nodes[0]["live"], true);
    let (_, _, next) = api
        .call(Method::GET, "/v1/jobs/tick/next?count=2", Some(read), None)
        .await;
    assert_eq!(next.as_array().unwrap().len(), 2);

    // Add a job as a configuration file's [[job]] table, in JSON; it runs.
    let table = json!({
        "id": "added",
        "shell": "echo added",
        "interval": { "seconds": 1 },
        "timeout": "10s",
        "env": { "SECRET": "hunter2" },
    });
    let (status, _, added) = api
        .call(Method::POST, "/v1/jobs", Some(admin), Some(table.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["origin"], "api");
    assert_eq!(added["timeout"], "10s");
    assert_eq!(
        added["args"]["env"]["SECRET"], "***",
        "secrets are not shown"
    );
    api.wait_for("added runs", "/v1/runs?job=added", read, |runs| {
        runs.as_array()
            .is_some_and(|runs| runs.iter().any(|run| run["status"] == "success"))
    })
    .await;
    // 409 for the same id; replace=true replaces it.
    let (status, _, taken) = api
        .call(Method::POST, "/v1/jobs", Some(admin), Some(table.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(taken["error"]["field"], "id");
    assert_eq!(taken["error"]["value"], "added");
    let (status, _, _) = api
        .call(
            Method::POST,
            "/v1/jobs?replace=true",
            Some(admin),
            Some(table),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Bad input names the field, as the configuration file's reader does.
    for (body, field, reason) in [
        (
            json!({ "id": "x", "shell": "true", "cron": { "hour": 24 } }),
            "hour",
            "24 is out of range 0-23",
        ),
        (
            json!({ "id": "x", "comand": ["true"], "cron": "@daily" }),
            "comand",
            "",
        ),
        (json!({ "id": "x", "shell": "true" }), "trigger", "missing"),
        (
            json!({ "id": "x", "shell": "true", "cron": "@daily", "timeout": "soon" }),
            "timeout",
            "not a duration",
        ),
        (
            json!({ "id": "x", "shell": "true", "cron": "@daily", "exclude": ["holidays"] }),
            "exclude",
            "holidays",
        ),
    ] {
        let (status, _, refused) = api
            .call(Method::POST, "/v1/jobs", Some(admin), Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {refused}");
        assert_eq!(refused["error"]["field"], field, "{body}: {refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{refused}"
        );
    }

    // Modify: a new trigger reschedules; the command stays.
    let (status, _, changed) = api
        .call(
            Method::PATCH,
            "/v1/jobs/added",
            Some(admin),
            Some(json!({ "interval": { "hours": 1 }, "timeout": null })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let ahead = changed["next_run_in_seconds"].as_i64().unwrap();
    assert!((3500..=3600).contains(&ahead), "{changed}");
    assert_eq!(
        changed["timeout"],
        Value::Null,
        "null returns a key to its default"
    );
    assert_eq!(changed["args"]["args"], json!(["-c", "echo added"]));
    let (status, _, refused) = api
        .call(
            Method::PATCH,
            "/v1/jobs/added",
            Some(admin),
            Some(json!({ "timezone": "UTC" })),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("timezone"))
    );

    // Pause, resume, run now, backfill: as `tempora jobs` does them.
    let (status, _, paused) = api
        .call(Method::POST, "/v1/jobs/added/pause", Some(operate), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(paused["paused"], true);
    assert_eq!(setup.json(&["jobs", "show", "added"])["paused"], true);
    let (status, _, refused) = api
        .call(Method::POST, "/v1/jobs/added/run", Some(operate), None)
        .await;
    assert_eq!(
        (status, refused["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("id"))
    );
    let (_, _, resumed) = api
        .call(Method::POST, "/v1/jobs/added/resume", Some(operate), None)
        .await;
    assert_eq!(resumed["paused"], false);
    let (_, _, ran) = api
        .call(Method::POST, "/v1/jobs/added/run", Some(operate), None)
        .await;
    assert!(ran["next_run_in_seconds"].as_i64().unwrap() <= 0, "{ran}");
    let (status, _, until) = api
        .call(
            Method::POST,
            "/v1/jobs/tick/pause",
            Some(operate),
            Some(json!({ "until": "2020-01-01 00:00" })),
        )
        .await;
    assert_eq!(
        (status, until["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("until"))
    );
    let (status, _, backfill) = api
        .call(
            Method::POST,
            "/v1/jobs/added/backfill",
            Some(operate),
            Some(json!({ "from": "2026-01-01 00:00", "to": "2026-01-01 03:00", "dry_run": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{backfill}");
    assert_eq!(backfill["dry_run"], true);
    assert_eq!(backfill["queued"], 0);

    // The role matrix: every route, no token and an unknown one (401),
    // each role (403 when too weak).
    for (method, path, access) in route_table() {
        let path = path.replace("{id}", "added");
        let method: Method = method.parse().unwrap();
        for token in [None, Some("not-a-token")] {
            let (status, headers, _) = api.call(method.clone(), &path, token, None).await;
            if access == Access::Public {
                assert_eq!(status, StatusCode::OK, "{method} {path}");
            } else {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
                assert_eq!(headers["www-authenticate"], "Bearer");
            }
        }
        let Access::Role(needed) = access else {
            continue;
        };
        for (token, role) in [
            (read, Role::Read),
            (operate, Role::Operate),
            (admin, Role::Admin),
        ] {
            if role.allows(needed) && method == Method::DELETE {
                continue; // deleted below, once
            }
            let (status, _, body) = api.call(method.clone(), &path, Some(token), None).await;
            if role.allows(needed) {
                assert!(
                    ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status),
                    "{method} {path} as {role}: {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} as {role}: {body}"
                );
            }
        }
    }

    // Delete; then 404.
    let (status, _, removed) = api
        .call(Method::DELETE, "/v1/jobs/added", Some(admin), None)
        .await;
    assert_eq!(
        (status, removed),
        (
            StatusCode::OK,
            json!({ "id": "added", "removed": true, "origin": "api" })
        )
    );
    assert!(!setup.job_ids().contains("added"));
    for (method, path) in [
        (Method::GET, "/v1/jobs/added"),
        (Method::DELETE, "/v1/jobs/added"),
        (Method::POST, "/v1/jobs/added/run"),
    ] {
        let (status, _, missing) = api.call(method, path, Some(admin), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(missing["error"]["value"], "added");
    }

    // Every answer of the run, against the document the daemon serves.
    let (_, _, document) = api
        .call(Method::GET, "/v1/openapi.json", Some(read), None)
        .await;
    for (method, path, status, body) in &api.answers {
        tempora_testkit::openapi::check_answer(&document, method, path, *status, body.as_ref())
            .unwrap_or_else(|error| panic!("{error}"));
    }

    // SIGTERM stops the API with the daemon.
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    assert!(reqwest::get(format!("{}/healthz", api.base)).await.is_err());
    assert!(setup.log().contains("the API listens"));
    assert!(!setup.log().contains(admin), "tokens are never logged");
    assert!(
        setup.log().contains("\"token\":\"admin-token\""),
        "changes name their token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_and_role_on_sqlite() {
    every_route_every_role("api-sqlite", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_and_role_on_postgres() {
    let url = std::env::var("TEMPORA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let prefix = tempora_testkit::unique_prefix("api");
    every_route_every_role("api-postgres", Some((&url, &prefix))).await;
}

#[test]
fn an_open_address_without_a_token_is_refused_at_start() {
    let setup = Setup::new("api-open", "[api]\nlisten = \"0.0.0.0:18080\"\n");
    let mut daemon = setup.start();
    let status = wait_exit(&mut daemon);
    assert_eq!(status.code(), Some(2));
    let log = setup.log();
    assert!(
        log.contains(
            "api.listen: 0.0.0.0:18080 is not a loopback address and no [[api.token]] is configured"
        ),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_with_the_reason_while_the_store_is_down() {
    let mut server = tempora_testkit::servers::PrivatePostgres::start();
    let tokens = make_tokens();
    let port = tempora_testkit::servers::spare_port();
    let setup = Setup::new(
        "api-readyz",
        &config(Some((&server.url(), "tempora_")), port, &tokens),
    );
    let mut daemon = setup.start();
    let base = format!("http://127.0.0.1:{port}");
    wait_listening(&base).await;
    let ready = |base: String| async move {
        let response = reqwest::get(format!("{base}/readyz")).await.unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(ready(base.clone()).await.0, StatusCode::OK);

    server.stop();
    let (status, body) = ready(base.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert!(body["reason"].as_str().unwrap().contains("store"), "{body}");
    // The process still answers.
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    server.start_again();
    let start = Instant::now();
    while ready(base.clone()).await.0 != StatusCode::OK {
        assert!(start.elapsed() < DEADLINE, "not ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    signal(&daemon, "TERM");
    wait_exit(&mut daemon);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_serves_https_with_the_files_of_its_api_table() {
    let tokens = make_tokens();
    let port = tempora_testkit::servers::spare_port();
    let setup = Setup::new("api-tls", "");
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(setup.path("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(setup.path("key.pem"), certified.key_pair.serialize_pem()).unwrap();
    let plain = config(None, port, &tokens);
    setup.write_config(&plain.replace(
        "[api]\n",
        "[api]\ntls_cert = \"{DIR}/cert.pem\"\ntls_key = \"{DIR}/key.pem\"\n",
    ));
    let mut daemon = setup.start();
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        )
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let start = Instant::now();
    let response = loop {
        match client
            .get(format!("https://localhost:{port}/v1/jobs"))
            .bearer_auth(&tokens.read)
            .send()
            .await
        {
            Ok(response) => break response,
            Err(error) => assert!(start.elapsed() < DEADLINE, "no HTTPS answer: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()[0]["id"], "tick");
    assert!(setup.log().contains("\"tls\":true"), "{}", setup.log());
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
}
