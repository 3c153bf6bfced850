//! The dashboard's router without a browser: sign-in and its cookie, the
//! pages a signed-out request is sent away from, the role and form checks
//! of the actions, and the playground's JSON. The browser tests are in
//! `crates/tempora-cli/tests/dashboard.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use jiff::Timestamp;
use tempora::clock::ManualClock;
use tempora::job::{JobBuilder, JobDefaults};
use tempora::store::{JobStore, MemoryStore};
use tempora::trigger::CronTrigger;
use tempora_api::{ApiBuilder, ApiToken, Role, TokenHash, Tokens};
use tower::ServiceExt;

const NOW: &str = "2026-03-28T12:00:00Z";

async fn app() -> (axum::Router, Arc<dyn JobStore>) {
    let store: Arc<dyn JobStore> = Arc::new(MemoryStore::new());
    let now: Timestamp = NOW.parse().unwrap();
    let trigger = CronTrigger::crontab("30 2 * * *")
        .timezone("Europe/Berlin")
        .build()
        .unwrap();
    let job = JobBuilder::new("nightly", trigger)
        .id("nightly")
        .build_at(&JobDefaults::default(), now)
        .unwrap();
    store.add_job(job, false).await.unwrap();
    let tokens = Tokens::new()
        .with(ApiToken {
            name: "viewer".into(),
            role: Role::Read,
            sha256: TokenHash::of("read-secret"),
        })
        .with(ApiToken {
            name: "ops".into(),
            role: Role::Operate,
            sha256: TokenHash::of("operate-secret"),
        });
    let api = ApiBuilder::new(Arc::clone(&store))
        .tokens(tokens)
        .clock(Arc::new(ManualClock::new(now)));
    (tempora_dashboard::mount(api).build(), store)
}

async fn send(
    app: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

fn post(path: &str, cookie: &str, origin: Option<&str>, form: &str) -> Request<Body> {
    let mut request = Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    request.body(Body::from(form.to_owned())).unwrap()
}

/// The form token of the page at `path`, as the signed-in `cookie` sees it.
async fn csrf(app: &axum::Router, cookie: &str, path: &str) -> String {
    let (_, _, page) = send(app, get(path, Some(cookie))).await;
    let start = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    page[start..start + 32].to_owned()
}

#[tokio::test]
async fn signing_in_sets_an_http_only_same_site_cookie_and_never_a_url() {
    let (app, _) = app().await;
    let (status, headers, _) = send(&app, get("/ui/", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/ui/login");

    let login = Request::post("/ui/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("token=read-secret"))
        .unwrap();
    let (status, headers, _) = send(&app, login).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/ui/");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("tempora_token=read-secret;"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");

    let wrong = Request::post("/ui/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("token=guess"))
        .unwrap();
    let (status, headers, page) = send(&app, wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get(header::SET_COOKIE).is_none());
    assert!(page.contains("That token is not known."));
}

#[tokio::test]
async fn the_jobs_page_shows_the_schedule_in_words_and_the_next_run_with_a_dst_mark() {
    let (app, _) = app().await;
    let (status, _, page) = send(&app, get("/ui/", Some("tempora_token=read-secret"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("at 02:30 every day"), "{page}");
    assert!(page.contains("<code>30 2 * * *</code>"), "{page}");
    // 02:30 does not exist on 2026-03-29 in Berlin: shifted by the gap.
    assert!(page.contains("2026-03-29 03:30 CEST"), "{page}");
    assert!(page.contains(">DST</abbr>"), "{page}");
    // A read token: no form that changes anything.
    let (_, _, job) = send(
        &app,
        get("/ui/jobs/nightly", Some("tempora_token=read-secret")),
    )
    .await;
    assert!(!job.contains("name=\"csrf\""), "{job}");
}

#[tokio::test]
async fn actions_need_the_role_the_form_token_and_the_same_origin() {
    let (app, store) = app().await;
    let operate = "tempora_token=operate-secret";
    let read = "tempora_token=read-secret";
    let token = csrf(&app, operate, "/ui/jobs/nightly").await;

    // Another site's page, or a form without the session's token: refused.
    let (status, _, _) = send(
        &app,
        post(
            "/ui/jobs/nightly/pause",
            operate,
            Some("https://evil.example"),
            &format!("csrf={token}"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(
        &app,
        post("/ui/jobs/nightly/pause", operate, None, "csrf=0"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        store
            .get_job("nightly")
            .await
            .unwrap()
            .unwrap()
            .next_run_time()
            .is_some()
    );

    // A read token cannot act, even with its own form token.
    let read_token = {
        let digest = {
            use sha2::Digest;
            sha2::Sha256::digest(b"tempora-dashboard-form:read-secret")
        };
        hex::encode(&digest[..16])
    };
    let (status, _, _) = send(
        &app,
        post(
            "/ui/jobs/nightly/pause",
            read,
            Some("http://127.0.0.1:8080"),
            &format!("csrf={read_token}"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Operate pauses, and removing needs admin.
    let (status, headers, _) = send(
        &app,
        post(
            "/ui/jobs/nightly/pause",
            operate,
            Some("http://127.0.0.1:8080"),
            &format!("csrf={token}"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/ui/jobs/nightly?notice=Paused.");
    assert!(
        store
            .get_job("nightly")
            .await
            .unwrap()
            .unwrap()
            .next_run_time()
            .is_none()
    );
    let (status, _, _) = send(
        &app,
        post(
            "/ui/jobs/nightly/remove",
            operate,
            None,
            &format!("csrf={token}&confirm=yes"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(store.get_job("nightly").await.unwrap().is_some());
}

#[tokio::test]
async fn the_playground_answers_fire_times_or_the_field_in_error() {
    let (app, _) = app().await;
    let cookie = Some("tempora_token=read-secret");
    let (status, _, body) = send(&app, get("/ui/api/schedule?crontab=61+*+*+*+*", cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["error"]["field"], "minute");

    let (status, _, body) = send(
        &app,
        get(
            "/ui/api/schedule?crontab=*%2F15+9-17+*+*+mon-fri&timezone=Europe%2FBerlin&now=2026-11-27+17%3A50&count=1",
            cookie,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer["description"],
        "every 15 minutes from 09:00 to 17:45, Monday to Friday"
    );
    assert_eq!(answer["fire_times"][0]["time"], "2026-11-30T09:00:00+01:00");

    let (status, _, _) = send(&app, get("/ui/api/schedule?crontab=*+*+*+*+*", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The jobs table's rows and a job's chart as the pages poll them: each
/// job's latest run (outcome, duration, the node of a run in progress) as
/// it is at each request, for the jobs the page shows.
#[tokio::test]
async fn the_polled_rows_and_chart_show_each_jobs_latest_run_as_it_is_now() {
    use tempora::history::{RunRecord, RunStatus};
    use tempora::jiff::SignedDuration;

    let store: Arc<dyn JobStore> = Arc::new(MemoryStore::with_history());
    let now: Timestamp = NOW.parse().unwrap();
    for id in ["backup", "report"] {
        let trigger = CronTrigger::crontab("0 3 * * *")
            .timezone("UTC")
            .build()
            .unwrap();
        let job = JobBuilder::new("tick", trigger)
            .id(id)
            .build_at(&JobDefaults::default(), now)
            .unwrap();
        store.add_job(job, false).await.unwrap();
    }
    let tokens = Tokens::new().with(ApiToken {
        name: "viewer".into(),
        role: Role::Read,
        sha256: TokenHash::of("read-secret"),
    });
    let api = ApiBuilder::new(Arc::clone(&store))
        .tokens(tokens)
        .clock(Arc::new(ManualClock::new(now)));
    let app = tempora_dashboard::mount(api).build();
    let cookie = Some("tempora_token=read-secret");
    let history = store.history().unwrap();
    let second = SignedDuration::from_secs(1);
    let at = now - SignedDuration::from_hours(1);
    let done = RunRecord::running("backup", at, "node-1", at, at + second).finish(
        RunStatus::Success,
        at + second * 2,
        Some(second * 2),
        None,
    );
    history.record_run(&done).await.unwrap();
    history
        .record_run(&RunRecord::running(
            "report",
            at,
            "node-7",
            at,
            now + second * 60,
        ))
        .await
        .unwrap();

    // The page polls the rows of the jobs it shows.
    let (status, _, page) = send(&app, get("/ui/", cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"data-poll="/ui/rows?id=backup&amp;id=report""#),
        "{page}"
    );
    let (status, _, rows) = send(&app, get("/ui/rows?id=backup&id=report", cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows.matches("<tr ").count(), 2, "{rows}");
    let (backup, report) = rows.split_at(rows.find(r#"data-job="report""#).unwrap());
    assert!(backup.contains(">success</span> 2.00 s"), "{backup}");
    assert!(backup.contains("ended <time"), "{backup}");
    assert!(report.contains(">running</span>"), "{report}");
    assert!(
        report.contains(r#"<td class="node" data-label="Running on">node-7</td>"#),
        "{report}"
    );

    // A run that ends and another that fails: the next poll shows them.
    let later = now - SignedDuration::from_mins(10);
    let failed = RunRecord::running("backup", later, "node-1", later, later + second).finish(
        RunStatus::Error,
        later + second * 5,
        Some(second * 5),
        Some("disk full".into()),
    );
    history.record_run(&failed).await.unwrap();
    let ended = RunRecord::running("report", at, "node-7", at, now + second * 60).finish(
        RunStatus::Success,
        at + second,
        Some(second),
        None,
    );
    history.record_run(&ended).await.unwrap();
    let (_, _, rows) = send(&app, get("/ui/rows?id=backup&id=report", cookie)).await;
    let (backup, report) = rows.split_at(rows.find(r#"data-job="report""#).unwrap());
    assert!(backup.contains(">error</span> 5.00 s"), "{backup}");
    assert!(report.contains(">success</span> 1.00 s"), "{report}");
    assert!(
        report.contains(r#"<td class="node" data-label="Running on">–</td>"#),
        "{report}"
    );

    // The chart of a job's page: a bar per run, oldest first.
    let (status, _, chart) = send(&app, get("/ui/jobs/backup/chart", cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let success = chart.find(r#"class="bar success""#).unwrap();
    let error = chart.find(r#"class="bar error""#).unwrap();
    assert!(success < error, "{chart}");

    // A removed job has no row; a parameter not known is refused, named;
    // signed out, the rows are not given.
    store.remove_job("report").await.unwrap();
    let (_, _, rows) = send(&app, get("/ui/rows?id=backup&id=report", cookie)).await;
    assert_eq!(rows.matches("<tr ").count(), 1, "{rows}");
    let (status, _, refused) = send(&app, get("/ui/rows?job=backup", cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused, "job: unknown query parameter; expected id");
    let (status, _, _) = send(&app, get("/ui/rows?id=backup", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}
