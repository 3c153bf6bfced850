//! See the catalogue in `main.rs`.

use std::process::{Command, Stdio};

use tempora_testkit::unique_prefix;

use crate::support::{Daemon, Setup, signal, wait_exit};

/// Every secret of the test: none may show anywhere but where asked.
const SECRETS: [&str; 3] = ["url-pass-8c1f", "key-pass-27d0", "env-value-5e9a"];

/// Env values print as `***` unless asked; the store URL's password and
/// `sslpassword` are hidden in `check`, in the commands' errors and in the
/// daemon's log; the daemon's own environment (`PGPASSWORD`) reaches only
/// the job that asks for it, and a job still finds its programs on `PATH`.
#[test]
fn secrets_are_shown_only_when_asked_and_passed_only_when_asked() {
    let url = format!(
        "postgres://postgres:{}@127.0.0.1:5432/test?sslpassword={}",
        SECRETS[0], SECRETS[1]
    );
    let prefix = format!("{}_", unique_prefix("secrets"));
    let setup = Setup::new("secrets", "");
    let dir = setup.dir.display().to_string();
    setup.write_config(&format!(
        r#"[scheduler]
store = "{url}"
store_prefix = "{prefix}"
timezone = "UTC"
shutdown_timeout = "1s"

[[job]]
id = "plain"
command = ["sh", "-c", "env > plain.txt"]
working_dir = "{dir}"
env = {{ TOKEN = "{token}" }}
interval = {{ seconds = 1 }}

[[job]]
id = "asks"
shell = "echo \"pg=$PGPASSWORD\" > asks.txt"
working_dir = "{dir}"
inherit_env = ["PGPASSWORD"]
interval = {{ seconds = 1 }}
"#,
        token = SECRETS[2],
    ));

    // `tempora check` and a command that cannot reach the store.
    let check = setup.ok(&["check"]);
    let unreachable = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(["jobs", "--store", &url.replace(":5432", ":1")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(1));
    let unreachable = String::from_utf8_lossy(&unreachable.stderr).into_owned();
    assert!(unreachable.contains("postgres:***@"), "{unreachable}");
    assert!(unreachable.contains("sslpassword=***"), "{unreachable}");

    let mut daemon = Daemon(setup.start_with(&[("PGPASSWORD", "pg-env-3b77")]));
    setup.wait_until("both jobs run", || {
        !setup.lines("plain.txt").is_empty() && !setup.lines("asks.txt").is_empty()
    });

    // The daemon's environment: not passed on by default; passed when asked.
    let plain = setup.lines("plain.txt");
    assert!(
        !plain.iter().any(|line| line.contains("pg-env-3b77")),
        "{plain:?}"
    );
    assert!(
        plain.contains(&format!("TOKEN={}", SECRETS[2])),
        "{plain:?}"
    );
    assert!(
        plain.iter().any(|line| line.starts_with("PATH=")),
        "{plain:?}"
    );
    assert_eq!(setup.lines("asks.txt"), ["pg=pg-env-3b77"]);

    // Env values: hidden in `jobs show`, `--json` and `jobs`, unless asked.
    let shown = setup.ok(&["jobs", "show", "plain"]);
    assert!(shown.contains("TOKEN=***"), "{shown}");
    let json = setup.json(&["jobs", "show", "plain"]);
    assert_eq!(json["args"]["env"]["TOKEN"], "***", "{json}");
    let listed = setup.json(&["jobs"]).to_string();
    let asked = setup.json(&["jobs", "show", "plain", "--show-secrets"]);
    assert_eq!(asked["args"]["env"]["TOKEN"], SECRETS[2], "{asked}");
    let asked = setup.ok(&["jobs", "show", "plain", "--show-secrets"]);
    assert!(asked.contains(&format!("TOKEN={}", SECRETS[2])), "{asked}");

    // `jobs add` takes the same choice; what it prints hides env values.
    let added = setup.json(&[
        "jobs",
        "add",
        "later",
        "--interval",
        "1h",
        "--inherit-env",
        "PGPASSWORD",
        "--env",
        "K=added-value",
        "--shell",
        "true",
    ]);
    assert_eq!(
        added["args"]["inherit_env"],
        serde_json::json!(["PGPASSWORD"]),
        "{added}"
    );
    assert_eq!(added["args"]["env"]["K"], "***", "{added}");
    let all = setup.json(&[
        "jobs",
        "add",
        "all",
        "--interval",
        "1h",
        "--inherit-all-env",
        "--shell",
        "true",
    ]);
    // All is the command task's default: not written in its arguments.
    assert!(all["args"].get("inherit_env").is_none(), "{all}");
    let shown_all = setup.ok(&["jobs", "show", "all"]);
    assert!(shown_all.contains("inherit env:    all"), "{shown_all}");

    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    let log = setup.log();
    assert!(
        log.contains("postgres:***@127.0.0.1:5432/test?sslpassword=***"),
        "{log}"
    );
    for secret in SECRETS {
        for (place, text) in [
            ("check", &check),
            ("an error", &unreachable),
            ("jobs show", &shown),
            ("jobs --json", &listed),
            ("the log", &log),
        ] {
            assert!(!text.contains(secret), "{secret} shows in {place}: {text}");
        }
    }
}
