//! W1: every implementation's chain gives docs/workloads.md's `check` and `wraps`
//! for N = 100,000, so the peers are compared on the same work; what a peer
//! cannot express is reported, not measured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::time::Duration;

use tempora_bench::w1::{
    CRON_VERSION, CRONER_VERSION, Chain, Expression, cron_chain, croner_chain, line, tempora_chain,
};

const N: u64 = 100_000;

/// Asserts that `chain` ran the 100,000 steps to docs/workloads.md's table values.
fn check(who: &str, expression: Expression, chain: Result<Chain, String>) {
    let expected = expression.expected(N).unwrap();
    let chain = chain.unwrap_or_else(|error| panic!("{who} {expression:?}: {error}"));
    assert_eq!(
        (chain.check.as_str(), chain.wraps),
        (expected.check, expected.wraps),
        "{who} {expression:?}"
    );
}

#[test]
fn tempora_matches_the_table() {
    for expression in Expression::ALL {
        check("tempora", expression, tempora_chain(expression, N));
    }
}

#[test]
fn cron_crate_matches_the_table_where_it_can_express_the_expression() {
    check("cron", Expression::A, cron_chain(Expression::A, N));
    check("cron", Expression::B, cron_chain(Expression::B, N));
    // The crate has no `L` (last day of the month).
    let error = cron_chain(Expression::C, N).unwrap_err();
    assert!(
        error.starts_with("cron-0.17.0 cannot parse \"0 0 0 L * *\": "),
        "{error}"
    );
    assert!(!error.contains('\n'), "{error}");
}

#[test]
fn croner_matches_the_table() {
    for expression in Expression::ALL {
        check("croner", expression, croner_chain(expression, N));
    }
}

/// The `cron` crate counts weekdays from 1 = Sunday: `1-5` would be Sunday to
/// Thursday, which is why B is written `Mon-Fri` for it.
#[test]
fn cron_crate_weekday_numbers_start_on_sunday() {
    let by_number = cron::Schedule::from_str("0 0 12 * * 1-5").unwrap();
    let by_name = cron::Schedule::from_str("0 0 12 * * Mon-Fri").unwrap();
    let friday = chrono::DateTime::parse_from_rfc3339("2026-03-06T13:00:00+01:00").unwrap();
    let next_by_number = by_number.after(&friday).next().unwrap();
    let next_by_name = by_name.after(&friday).next().unwrap();
    assert_eq!(next_by_number.to_rfc3339(), "2026-03-08T12:00:00+01:00"); // Sunday
    assert_eq!(next_by_name.to_rfc3339(), "2026-03-09T12:00:00+01:00"); // Monday
}

/// The peers' version strings are the versions Cargo.lock resolves.
#[test]
fn peer_versions_match_cargo_lock() {
    let lock =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock")).unwrap();
    let version = |name: &str| {
        let entry = format!("[[package]]\nname = \"{name}\"\nversion = \"");
        let start = lock
            .find(&entry)
            .unwrap_or_else(|| panic!("{name} not in Cargo.lock"))
            + entry.len();
        lock[start..].split('"').next().unwrap().to_string()
    };
    assert_eq!(version("cron"), CRON_VERSION);
    assert_eq!(version("croner"), CRONER_VERSION);
}

#[test]
fn line_reports_ns_per_op_check_and_wraps() {
    let chain = Chain {
        elapsed: Duration::from_millis(50),
        check: "2026-03-06T18:53:20+01:00".into(),
        wraps: 0,
    };
    let line = line("x-1", Expression::A, N, "*/5 * * * * *", Ok(chain));
    assert_eq!(
        line.to_string(),
        r#"{"impl":"x-1","workload":"W1-A","value":500.0,"unit":"ns/op","n":100000,"check":"2026-03-06T18:53:20+01:00","wraps":0,"expr":"*/5 * * * * *"}"#
    );
}

#[test]
fn line_is_null_when_the_check_differs_from_the_table() {
    let chain = Chain {
        elapsed: Duration::from_millis(50),
        check: "2036-10-23T15:45:00+02:00".into(),
        wraps: 0,
    };
    let line = line("x-1", Expression::B, N, "e", Ok(chain));
    assert_eq!(line.value, None);
    assert_eq!(
        line.get("measured_ns_per_op"),
        Some(&serde_json::json!(500.0))
    );
    assert_eq!(
        line.get("error").and_then(|error| error.as_str()),
        Some(
            "wrong result: check 2036-10-23T15:45:00+02:00 with wraps 0, \
             docs/workloads.md expects 2036-10-22T15:45:00+02:00 with wraps 0"
        )
    );
}

#[test]
fn line_is_null_when_wraps_differ_from_the_table() {
    let chain = Chain {
        elapsed: Duration::from_millis(50),
        check: "2046-12-31T00:00:00+01:00".into(),
        wraps: 113,
    };
    let line = line("x-1", Expression::C, N, "e", Ok(chain));
    assert_eq!(line.value, None);
    assert!(line.get("error").is_some());
}

#[test]
fn line_is_null_when_the_chain_breaks() {
    let line = line(
        "x-1",
        Expression::C,
        10,
        "0 0 0 L * *",
        Err("cannot parse".into()),
    );
    assert_eq!(
        line.to_string(),
        r#"{"impl":"x-1","workload":"W1-C","value":null,"unit":"ns/op","n":10,"error":"cannot parse","expr":"0 0 0 L * *"}"#
    );
}

#[test]
fn other_sizes_are_measured_without_a_table_value() {
    for expression in Expression::ALL {
        let tempora = tempora_chain(expression, 1000).unwrap();
        let croner = croner_chain(expression, 1000).unwrap();
        assert_eq!(tempora.check, croner.check, "{expression:?}");
        let line = line("x-1", expression, 1000, "e", Ok(tempora));
        assert!(line.value.is_some());
    }
}
