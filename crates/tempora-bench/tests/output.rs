//! The output protocol and the `repeat` summary, without spawning processes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use tempora_bench::output::Line;
use tempora_bench::repeat::{median, parse_lines, summarize};

#[test]
fn a_line_is_one_json_object_with_the_required_keys_first() {
    let line = Line::new("tempora-0.1.0", "W1-B", "ns/op", 1_000_000)
        .value(61.25)
        .with("check", "2059-10-17T15:30:00+02:00")
        .with("wraps", 1);
    let text = line.to_string();
    assert!(!text.contains('\n'));
    let object: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(object["impl"], "tempora-0.1.0");
    assert_eq!(object["workload"], "W1-B");
    assert_eq!(object["value"], 61.25);
    assert_eq!(object["unit"], "ns/op");
    assert_eq!(object["n"], 1_000_000);
    assert_eq!(object["check"], "2059-10-17T15:30:00+02:00");
    assert_eq!(object["wraps"], 1);
    assert!(text.starts_with(
        r#"{"impl":"tempora-0.1.0","workload":"W1-B","value":61.25,"unit":"ns/op","n":1000000,"#
    ));
}

#[test]
fn strings_are_escaped_and_a_non_finite_value_is_null() {
    let line = Line::new("x-1", "W1-C", "ns/op", 1)
        .value(f64::NAN)
        .with("error", "line one\n\"two\"");
    let text = line.to_string();
    assert!(!text.contains('\n'));
    let parsed = Line::parse(&text).unwrap();
    assert_eq!(parsed.value, None);
    assert_eq!(parsed.get("error"), Some(&json!("line one\n\"two\"")));
}

#[test]
fn an_extra_key_cannot_shadow_a_required_one() {
    let line = Line::new("x-1", "W6", "cpu_s", 1).with("value", 3);
    let object: serde_json::Map<String, Value> = serde_json::from_str(&line.to_string()).unwrap();
    assert_eq!(object["value"], Value::Null);
}

#[test]
fn parse_rejects_lines_without_the_required_keys() {
    for text in [
        "{}",
        r#"{"impl":"x","workload":"W","value":"fast","unit":"s","n":1}"#,
        r#"{"impl":"x","workload":"W","value":1,"unit":"s","n":-1}"#,
        r#"{"impl":"x","workload":"W","value":1,"unit":"s"}"#,
        "{not json",
    ] {
        assert!(Line::parse(text).is_err(), "{text}");
    }
}

#[test]
fn parse_lines_ignores_lines_not_starting_with_a_brace() {
    let stdout = "warming up\n{\"impl\":\"x-1\",\"workload\":\"W5\",\"value\":12.5,\"unit\":\"bytes/job\",\"n\":100000}\n  {indented}\n";
    let lines = parse_lines(stdout).unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].value, Some(12.5));
}

#[test]
fn median_of_odd_even_and_empty() {
    assert_eq!(median(&[3.0]), Some(3.0));
    assert_eq!(median(&[9.0, 1.0, 5.0, 7.0, 3.0]), Some(5.0));
    assert_eq!(median(&[10.0, 1.0]), Some(5.5));
    assert_eq!(median(&[]), None);
}

fn w1(impl_name: &str, value: Option<f64>) -> Line {
    let line = Line::new(impl_name, "W1-A", "ns/op", 1000).with("check", "c");
    match value {
        Some(value) => line.value(value),
        None => line.error("broke"),
    }
}

#[test]
fn summarize_gives_one_line_per_impl_and_workload_in_first_seen_order() {
    let runs = vec![
        vec![w1("a-1", Some(30.0)), w1("b-1", Some(300.0))],
        vec![w1("a-1", Some(10.0)), w1("b-1", Some(100.0))],
        vec![w1("a-1", Some(20.0)), w1("b-1", Some(200.0))],
    ];
    let summary = summarize(&runs);
    assert_eq!(summary.len(), 2);
    assert_eq!(
        summary[0].to_string(),
        r#"{"impl":"a-1","workload":"W1-A","value":20.0,"unit":"ns/op","n":1000,"check":"c","runs":3,"values":[30.0,10.0,20.0]}"#
    );
    assert_eq!(summary[1].impl_name, "b-1");
    assert_eq!(summary[1].value, Some(200.0));
}

#[test]
fn summarize_takes_the_median_of_the_runs_with_a_value() {
    let runs = vec![
        vec![w1("a-1", None)],
        vec![w1("a-1", Some(10.0))],
        vec![w1("a-1", Some(20.0))],
    ];
    let summary = &summarize(&runs)[0];
    assert_eq!(summary.value, Some(15.0));
    assert_eq!(summary.get("error"), None);
    assert_eq!(summary.get("nulls"), Some(&json!(1)));
    assert_eq!(summary.get("null_error"), Some(&json!("broke")));
    assert_eq!(summary.get("values"), Some(&json!([null, 10.0, 20.0])));
}

#[test]
fn summarize_keeps_null_and_the_error_when_no_run_has_a_value() {
    let runs = vec![vec![w1("a-1", None)], vec![w1("a-1", None)]];
    let summary = &summarize(&runs)[0];
    assert_eq!(summary.value, None);
    assert_eq!(summary.get("error"), Some(&json!("broke")));
    assert_eq!(summary.get("runs"), Some(&json!(2)));
    assert_eq!(summary.get("nulls"), None);
}
