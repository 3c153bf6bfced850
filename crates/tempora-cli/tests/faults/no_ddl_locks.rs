//! See the catalogue in `main.rs`.
//!
//! A `pg_dump` holds ACCESS SHARE on every table of the database for as
//! long as it runs. A statement that wants an exclusive lock (any DDL:
//! `ALTER TABLE`, `CREATE TRIGGER`) waits behind it, and every later
//! query of that table waits behind the DDL: one `tempora history` that
//! ran DDL on connect would stall every node's claims until the dump
//! ends. Connecting to tables of the current schema version runs no DDL
//! and writes nothing, so a read-only login can run the read commands.

use std::time::{Duration, Instant};

use sqlx::postgres::PgPool;
use tempora_testkit::servers::PrivatePostgres;

use crate::support::{Setup, kill};

/// How long the dump holds its locks.
const DUMP: Duration = Duration::from_secs(25);

/// A daemon on `url` with a job that appends a line to `ticks` every
/// second.
fn config(setup_dir: &std::path::Path, url: &str) -> String {
    let ticks = setup_dir.join("ticks");
    format!(
        "[scheduler]\nstore = \"{url}\"\ntimezone = \"UTC\"\n\n[[job]]\nid = \"tick\"\n\
         shell = \"echo x >> {}\"\ninterval = {{ seconds = 1 }}\n",
        ticks.display()
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `statements` on `url`, one after the other.
fn sql(url: &str, statements: &[&str]) {
    runtime().block_on(async {
        let pool = PgPool::connect(url).await.unwrap();
        for statement in statements {
            sqlx::query(sqlx::AssertSqlSafe(*statement))
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;
    });
}

#[test]
fn a_long_dump_stalls_neither_jobs_nor_read_commands() {
    let server = PrivatePostgres::start();
    let setup = Setup::new("no-ddl-dump", "");
    setup.write_config(&config(&setup.dir, &server.url()));
    let daemon = setup.start();
    setup.wait_until("tick runs", || setup.lines("ticks").len() >= 2);

    let runtime = runtime();
    let pool = runtime.block_on(PgPool::connect(&server.url())).unwrap();
    let mut dump = runtime.block_on(pool.begin()).unwrap();
    runtime
        .block_on(
            sqlx::query(
                "LOCK TABLE tempora_jobs, tempora_runs, tempora_nodes, tempora_schema \
                 IN ACCESS SHARE MODE",
            )
            .execute(&mut *dump),
        )
        .unwrap();
    let start = Instant::now();
    let before = setup.lines("ticks").len();
    let mut slowest = Duration::ZERO;
    let mut commands = 0;
    while start.elapsed() < DUMP - Duration::from_secs(3) {
        for args in [
            &["history", "--limit", "5"][..],
            &["jobs"],
            &["nodes"],
            &["next", "--job", "tick"],
        ] {
            let started = Instant::now();
            setup.ok(args);
            slowest = slowest.max(started.elapsed());
            commands += 1;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    std::thread::sleep(DUMP.saturating_sub(start.elapsed()));
    let during = setup.lines("ticks").len() - before;
    let held = start.elapsed();
    runtime.block_on(dump.rollback()).unwrap();
    runtime.block_on(pool.close());
    println!(
        "while the dump held its locks for {held:?}: tick ran {during} times; \
         {commands} read commands, the slowest took {slowest:?}"
    );
    assert!(during >= 15, "tick ran {during} times in {held:?}");
    assert!(slowest < Duration::from_secs(5), "{slowest:?}");
    kill(daemon);
}

#[test]
fn a_read_only_login_runs_the_read_commands_and_a_newer_schema_is_refused() {
    let server = PrivatePostgres::start();
    let setup = Setup::new("no-ddl-read-only", "");
    setup.write_config(&config(&setup.dir, &server.url()));
    let daemon = setup.start();
    setup.wait_until("tick runs", || setup.lines("ticks").len() >= 2);
    kill(daemon);
    sql(
        &server.url(),
        &[
            "CREATE ROLE reader LOGIN",
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader",
        ],
    );
    let reader = server.url().replace("postgres@", "reader@");
    let store = ["--store", reader.as_str()];
    let jobs = setup.ok(&["jobs", store[0], store[1]]);
    assert!(jobs.contains("tick"), "{jobs}");
    let history = setup.ok(&["history", store[0], store[1]]);
    assert!(history.contains("success"), "{history}");
    setup.ok(&["nodes", "--all", store[0], store[1]]);
    setup.ok(&["next", "--job", "tick", store[0], store[1]]);
    // Writing is refused by the database, not by the tool.
    let pause = setup.tempora(&["jobs", "pause", "tick", store[0], store[1]]);
    assert!(!pause.status.success());

    // Tables of a newer release: every command refuses them, saying why.
    sql(
        &server.url(),
        &["UPDATE tempora_schema SET version = 999 WHERE id = 1"],
    );
    let refused = setup.tempora(&["jobs"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("schema version 999")
            && stderr.contains(&format!("newer than {}", tempora_sql::SCHEMA_VERSION))
            && stderr.contains(&format!("127.0.0.1:{}", server.port())),
        "{stderr}"
    );
    println!("{}", stderr.trim());
}
