//! The dashboard in a real browser: Debian's headless `chromium`, driven
//! through `chromedriver` (WebDriver) by fantoccini, against the real
//! `tempora` daemon (SQLite store, `[api]` on a spare loopback port,
//! tokens made by `tempora api token`). Each page is saved as a PNG under
//! `target/dashboard-screenshots/`. `scripts/browser` installs chromium
//! and its driver (`./scripts/test` calls it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use jiff::Timestamp;
use serde_json::{Value, json};

use support::{DEADLINE, Setup};

/// A token of `role` made by `tempora api token`, and its `[[api.token]]`
/// lines.
fn token(role: &str) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(["api", "token", "--role", role, "--name", role])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let token = text.lines().next().unwrap().to_owned();
    let table = text[text.find("[[api.token]]").unwrap()..].to_owned();
    (token, table)
}

/// Where the screenshots go: `target/dashboard-screenshots/`.
fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/dashboard-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// chromedriver on a spare port; killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Driver {
    let port = tempora_testkit::servers::spare_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is not installed: run scripts/browser");
    Driver { child, port }
}

async fn browser(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,900"],
        }),
    );
    let start = Instant::now();
    loop {
        let connected =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{}", driver.port))
                .await;
        match connected {
            Ok(client) => return client,
            Err(error) => {
                assert!(start.elapsed() < DEADLINE, "chromedriver: {error}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn sign_in(client: &Client, base: &str, token: &str) {
    client.goto(&format!("{base}/")).await.unwrap();
    // `/` leads to the sign-in page; the token goes in a form, not a URL.
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/ui/login")
    );
    let field = client.find(Locator::Id("token")).await.unwrap();
    field.send_keys(token).await.unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(DEADLINE)
        .for_element(Locator::Id("jobs"))
        .await
        .unwrap();
    assert!(!client.current_url().await.unwrap().as_str().contains(token));
}

async fn sign_out(client: &Client) {
    client
        .find(Locator::Css("form.signout button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(DEADLINE)
        .for_element(Locator::Id("token"))
        .await
        .unwrap();
}

/// Polls `check` until it gives a value.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "{what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The mark a test left on the page (`window.tempora_test_mark`): gone
/// when the page was loaded again.
async fn same_page(client: &Client) -> Value {
    client
        .execute("return window.tempora_test_mark || null;", vec![])
        .await
        .unwrap()
}

async fn text_of(client: &Client, css: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Replaces the playground's crontab string and waits for the answer to
/// change.
async fn type_expression(client: &Client, id: &str, text: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_a_browser_shows_jobs_playground_history_and_roles() {
    let (read, read_lines) = token("read");
    let (operate, operate_lines) = token("operate");
    let (admin, admin_lines) = token("admin");
    let port = tempora_testkit::servers::spare_port();
    let config = format!(
        "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
         [api]\nlisten = \"127.0.0.1:{port}\"\n\n{read_lines}\n{operate_lines}\n{admin_lines}\n\
         [[job]]\nid = \"nightly\"\ncommand = [\"echo\", \"nightly\"]\ncron = \"0 3 * * *\"\n\n\
         [[job]]\nid = \"office\"\ncommand = [\"echo\", \"office\"]\n\
         cron = \"*/15 9-17 * * mon-fri\"\ntimezone = \"Europe/Berlin\"\n\n\
         [[job]]\nid = \"hello\"\ncommand = [\"echo\", \"hello from tempora\"]\n\
         interval = {{ hours = 6 }}\n"
    );
    let setup = Setup::new("dashboard", &config);
    let mut daemon = setup.start();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    eventually("the daemon's API answers", || async {
        http.get(format!("{base}/healthz")).send().await.ok()
    })
    .await;
    let driver = chromedriver();
    let client = browser(&driver).await;

    // Sign in with the read token; the jobs table lists the store's jobs.
    client.goto(&format!("{base}/")).await.unwrap();
    screenshot(&client, "login").await;
    sign_in(&client, &base, &read).await;
    let listed: Vec<String> = {
        let mut ids = Vec::new();
        for row in client
            .find_all(Locator::Css("#jobs tbody tr"))
            .await
            .unwrap()
        {
            ids.push(row.attr("data-job").await.unwrap().unwrap_or_default());
        }
        ids.sort();
        ids
    };
    assert_eq!(listed, ["hello", "nightly", "office"]);
    // The right next run: 03:00 UTC, today or tomorrow; the store agrees.
    let shown: Timestamp = client
        .find(Locator::Css("tr[data-job=nightly] td.next time"))
        .await
        .unwrap()
        .attr("datetime")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    // The daemon runs on the real clock: so does the expectation.
    #[allow(clippy::disallowed_methods)]
    let now = Timestamp::now();
    let today = now
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .at(3, 0, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp();
    let expected = if today > now {
        today
    } else {
        today + jiff::SignedDuration::from_hours(24)
    };
    assert_eq!(shown, expected);
    let office = text_of(&client, "tr[data-job=office]").await;
    assert!(
        office.contains("every 15 minutes from 09:00 to 17:45, Monday to Friday"),
        "{office}"
    );
    assert!(office.contains("*/15 9-17 * * mon-fri"), "{office}");
    screenshot(&client, "jobs").await;

    // A read token sees the job and its history, and no action.
    client.goto(&format!("{base}/ui/jobs/hello")).await.unwrap();
    client.find(Locator::Id("history")).await.unwrap();
    for action in [
        "#run-now",
        "#pause",
        "#resume",
        "#backfill",
        "#remove",
        ".actions",
    ] {
        assert!(
            client.find(Locator::Css(action)).await.is_err(),
            "a read token sees {action}"
        );
    }
    screenshot(&client, "job-read").await;

    // The playground: the error of `61 * * * *`, named by field.
    client.goto(&format!("{base}/ui/playground")).await.unwrap();
    eventually("the playground's first answer", || async {
        let text = text_of(&client, "#description").await;
        text.contains("every 15 minutes").then_some(())
    })
    .await;
    type_expression(&client, "crontab", "61 * * * *").await;
    let error = eventually("the playground's error", || async {
        let text = text_of(&client, "#error").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert!(error.starts_with("minute: "), "{error}");
    assert!(error.contains("61"), "{error}");
    screenshot(&client, "playground-error").await;
    // A DST case: 02:30 daily in Berlin, across the spring-forward night.
    type_expression(&client, "crontab", "30 2 * * *").await;
    type_expression(&client, "timezone", "Europe/Berlin").await;
    type_expression(&client, "now", "2026-03-28 12:00").await;
    type_expression(&client, "count", "3").await;
    let times = eventually("the DST fire times", || async {
        let mut times = Vec::new();
        for item in client.find_all(Locator::Css("#times time")).await.ok()? {
            times.push(item.attr("datetime").await.ok()??);
        }
        (times.len() == 3 && times[0].starts_with("2026-03-29")).then_some(times)
    })
    .await;
    assert_eq!(
        times,
        [
            "2026-03-29T03:30:00+02:00",
            "2026-03-30T02:30:00+02:00",
            "2026-03-31T02:30:00+02:00",
        ]
    );
    assert_eq!(text_of(&client, "#error").await, "");
    screenshot(&client, "playground-dst").await;

    // The timeline and the nodes page (the daemon's own node, live).
    client.goto(&format!("{base}/ui/timeline")).await.unwrap();
    client.find(Locator::Css("svg.timeline")).await.unwrap();
    screenshot(&client, "timeline").await;
    client.goto(&format!("{base}/ui/nodes")).await.unwrap();
    eventually("the daemon's node", || async {
        text_of(&client, "#nodes tbody")
            .await
            .contains("live")
            .then_some(())
    })
    .await;
    screenshot(&client, "nodes").await;

    // Operate: "run now" in the page; the run appears without a reload.
    sign_out(&client).await;
    sign_in(&client, &base, &operate).await;
    client.goto(&format!("{base}/ui/jobs/hello")).await.unwrap();
    assert!(
        client
            .find_all(Locator::Css("#history tr.run"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        client
            .find_all(Locator::Css("#chart rect.bar"))
            .await
            .unwrap()
            .is_empty(),
        "no run, no bar in the chart"
    );
    // A mark on this page: gone if the page were loaded again.
    client
        .execute(
            "window.tempora_test_mark = 'same page'; return null;",
            vec![],
        )
        .await
        .unwrap();
    client
        .find(Locator::Id("run-now"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    eventually("the run in the history", || async {
        let rows = client
            .find_all(Locator::Css("#history tr.run[data-status=success]"))
            .await
            .ok()?;
        (!rows.is_empty()).then_some(())
    })
    .await;
    let mark = client
        .execute("return window.tempora_test_mark || null;", vec![])
        .await
        .unwrap();
    assert_eq!(mark, Value::from("same page"), "the page was reloaded");
    assert_eq!(
        text_of(&client, "#action-status").await,
        "Queued to run now."
    );
    // Its output, on click.
    client
        .find(Locator::Css("#history tr.run details summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let output = text_of(&client, "#history tr.run details pre").await;
    assert!(output.contains("hello from tempora"), "{output}");
    // The chart of durations has the run's bar, without a reload either.
    eventually("the run's bar in the chart", || async {
        let bars = client
            .find_all(Locator::Css("#chart rect.bar.success"))
            .await
            .ok()?;
        (!bars.is_empty()).then_some(())
    })
    .await;
    assert_eq!(
        same_page(&client).await,
        "same page",
        "the page was reloaded"
    );
    screenshot(&client, "job-operate").await;

    // Operate may not remove; admin may, after confirming.
    assert!(client.find(Locator::Id("remove")).await.is_err());

    // The jobs table is live: a run started elsewhere (the API) shows in
    // its job's row as running, on the daemon's node, then as ended.
    let added = http
        .post(format!("{base}/v1/jobs"))
        .bearer_auth(&admin)
        .json(&json!({"id": "slow", "command": ["sleep", "6"], "cron": "0 0 1 1 *"}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), reqwest::StatusCode::CREATED);
    client.goto(&format!("{base}/ui/")).await.unwrap();
    assert_eq!(text_of(&client, "tr[data-job=slow] td.last").await, "–");
    client
        .execute(
            "window.tempora_test_mark = 'same page'; return null;",
            vec![],
        )
        .await
        .unwrap();
    let ran = http
        .post(format!("{base}/v1/jobs/slow/run"))
        .bearer_auth(&operate)
        .send()
        .await
        .unwrap();
    assert!(ran.status().is_success(), "{}", ran.status());
    let node = eventually("the run in progress in the jobs table", || async {
        let last = text_of(&client, "tr[data-job=slow] td.last").await;
        let node = text_of(&client, "tr[data-job=slow] td.node").await;
        (last.starts_with("running") && node != "–" && !node.is_empty()).then_some(node)
    })
    .await;
    screenshot(&client, "jobs-live-running").await;
    let last = eventually("the ended run in the jobs table", || async {
        let last = text_of(&client, "tr[data-job=slow] td.last").await;
        last.starts_with("success").then_some(last)
    })
    .await;
    assert!(last.contains("ended"), "{last}");
    assert_eq!(text_of(&client, "tr[data-job=slow] td.node").await, "–");
    assert_eq!(
        same_page(&client).await,
        "same page",
        "the page was reloaded"
    );
    screenshot(&client, "jobs-live").await;
    // The node it ran on is the daemon's.
    client.goto(&format!("{base}/ui/nodes")).await.unwrap();
    assert!(
        text_of(&client, "#nodes tbody").await.contains(&node),
        "{node} is not on the nodes page"
    );

    // Pause with "until": the job says until when, in its zone, and so
    // does its row in the jobs table.
    let day = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let until = day.checked_add(jiff::Span::new().days(3)).unwrap();
    client
        .goto(&format!("{base}/ui/jobs/office"))
        .await
        .unwrap();
    let field = client.find(Locator::Id("until")).await.unwrap();
    field.send_keys(&format!("{until} 12:00")).await.unwrap();
    client
        .find(Locator::Id("pause"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = eventually("the pause's notice", || async {
        let text = text_of(&client, "p.notice[role=status]").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert_eq!(notice, "Paused.");
    let shown_until = until
        .at(12, 0, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .with_time_zone(jiff::tz::TimeZone::get("Europe/Berlin").unwrap())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string();
    let page = text_of(&client, "main").await;
    assert!(
        page.contains(&format!("Paused until {shown_until}.")),
        "{page}"
    );
    assert!(client.find(Locator::Id("resume")).await.is_ok());
    assert!(
        client
            .find(Locator::Id("run-now"))
            .await
            .unwrap()
            .attr("disabled")
            .await
            .unwrap()
            .is_some(),
        "run now is offered to a paused job"
    );
    screenshot(&client, "job-paused-until").await;
    client.goto(&format!("{base}/ui/")).await.unwrap();
    let paused = text_of(&client, "tr[data-job=office] td[data-label=Paused]").await;
    assert_eq!(paused, format!("until {shown_until}"));

    // Backfill a range: three past nights of `nightly` (03:00 UTC), each
    // queued once and then run, in the job's history.
    let from = day.checked_sub(jiff::Span::new().days(3)).unwrap();
    client
        .goto(&format!("{base}/ui/jobs/nightly"))
        .await
        .unwrap();
    for (id, text) in [
        ("from", format!("{from} 00:00")),
        ("to", format!("{day} 00:00")),
    ] {
        let field = client.find(Locator::Id(id)).await.unwrap();
        field.send_keys(&text).await.unwrap();
    }
    client
        .find(Locator::Id("backfill"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = eventually("the backfill's notice", || async {
        let text = text_of(&client, "p.notice[role=status]").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert_eq!(notice, "Backfill: 3 fire times, 3 queued.");
    let nights: Vec<String> = (1..=3)
        .rev()
        .map(|back| {
            day.checked_sub(jiff::Span::new().days(back))
                .unwrap()
                .at(3, 0, 0, 0)
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp()
                .to_string()
        })
        .collect();
    let backfilled = eventually("the backfilled runs in the history", || async {
        let mut scheduled = Vec::new();
        for row in client
            .find_all(Locator::Css("#history tr.run[data-status=success]"))
            .await
            .ok()?
        {
            let time = row.find(Locator::Css("td time")).await.ok()?;
            scheduled.push(time.attr("datetime").await.ok()??);
        }
        scheduled.sort();
        (scheduled.len() == 3).then_some(scheduled)
    })
    .await;
    assert_eq!(backfilled, nights);
    client
        .execute(
            "document.getElementById('history-title').scrollIntoView(); return null;",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "job-backfilled").await;
    sign_out(&client).await;
    sign_in(&client, &base, &admin).await;
    client
        .goto(&format!("{base}/ui/jobs/nightly"))
        .await
        .unwrap();
    client
        .find(Locator::Id("confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("remove"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        client.get_alert_text().await.unwrap(),
        "Remove job nightly and its pending runs?"
    );
    client.accept_alert().await.unwrap();
    let notice = eventually("the removal's notice", || async {
        let text = text_of(&client, "p.notice").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert_eq!(notice, "Removed nightly.");
    assert!(
        client
            .find(Locator::Css("tr[data-job=nightly]"))
            .await
            .is_err()
    );
    assert!(
        client
            .find(Locator::Css("tr[data-job=office]"))
            .await
            .is_ok()
    );

    // On a phone's width.
    client.set_window_size(390, 844).await.unwrap();
    client.goto(&format!("{base}/ui/")).await.unwrap();
    screenshot(&client, "jobs-phone").await;

    client.close().await.unwrap();
    support::signal(&daemon, "TERM");
    support::wait_exit(&mut daemon);
}

/// The page timings with 10,000 jobs: the jobs page's server time (over
/// HTTP, signed in) and the time until it is usable in the browser
/// (navigation start to `DOMContentLoaded`). Printed, not asserted (the
/// machine decides them); run by hand with
/// `cargo test -p tempora-cli --test dashboard -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run by hand"]
async fn ten_thousand_jobs_page_timings() {
    let (read, read_lines) = token("read");
    let port = tempora_testkit::servers::spare_port();
    let mut config = format!(
        "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
         [api]\nlisten = \"127.0.0.1:{port}\"\n\n{read_lines}\n"
    );
    for index in 0..10_000 {
        config.push_str(&format!(
            "[[job]]\nid = \"job-{index:05}\"\ncommand = [\"true\"]\ncron = \"{} {} * * *\"\n\n",
            index % 60,
            index / 60 % 24
        ));
    }
    let setup = Setup::new("dashboard-10k", &config);
    let mut daemon = setup.start();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    eventually("the daemon's API answers", || async {
        http.get(format!("{base}/healthz")).send().await.ok()
    })
    .await;
    let cookie = format!("tempora_token={read}");
    let mut server = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let page = http
            .get(format!("{base}/ui/"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        server.push(start.elapsed());
        assert!(
            page.contains("10000 jobs"),
            "{}",
            &page[..page.len().min(400)]
        );
    }
    let driver = chromedriver();
    let client = browser(&driver).await;
    sign_in(&client, &base, &read).await;
    let mut usable = Vec::new();
    for _ in 0..5 {
        client.goto(&format!("{base}/ui/?page=2")).await.unwrap();
        client.find(Locator::Id("jobs")).await.unwrap();
        let timing = client
            .execute(
                "const t = performance.getEntriesByType('navigation')[0]; \
                 return [t.responseEnd - t.startTime, t.domContentLoadedEventEnd - t.startTime];",
                vec![],
            )
            .await
            .unwrap();
        usable.push(timing);
    }
    screenshot(&client, "jobs-10000").await;
    client.goto(&format!("{base}/ui/timeline")).await.unwrap();
    let timeline = client
        .execute(
            "const t = performance.getEntriesByType('navigation')[0]; \
             return t.domContentLoadedEventEnd - t.startTime;",
            vec![],
        )
        .await
        .unwrap();
    println!("jobs page, server (HTTP round trip): {server:?}");
    println!("jobs page, browser [response end, DOMContentLoaded] ms: {usable:?}");
    println!("timeline, browser DOMContentLoaded ms: {timeline}");
    client.close().await.unwrap();
    support::signal(&daemon, "TERM");
    support::wait_exit(&mut daemon);
}
