//! Triggers round-trip through JSON unchanged: the stored form is the user's
//! own settings, and a restored trigger answers exactly as the original.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::{SignedDuration, Timestamp};
use tempora::trigger::{
    AllTrigger, AnyTrigger, CalendarIntervalTrigger, CronTrigger, DateTrigger, DstFold, DstGap,
    IntervalTrigger, Trigger,
};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Serializes `trigger`, checks the JSON, restores it and checks that the
/// restored trigger is equal and gives the same next fire times.
fn round_trip(trigger: impl Into<Trigger>, expected_json: &str) {
    let trigger = trigger.into();
    let json = serde_json::to_string(&trigger).unwrap();
    assert_eq!(json, expected_json);
    let restored: Trigger = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, trigger);
    assert_eq!(restored.to_string(), trigger.to_string());
    let now = at("2026-03-01T00:00:00Z");
    let original: Vec<Timestamp> = trigger.fire_times(None, now).take(20).collect();
    let again: Vec<Timestamp> = restored.fire_times(None, now).take(20).collect();
    assert_eq!(original, again);
    assert!(!original.is_empty());
}

#[test]
fn cron_fields_with_every_option() {
    let trigger = CronTrigger::builder()
        .day_of_week("mon-fri")
        .hour("9-17")
        .minute("*/15")
        .timezone("Europe/Berlin")
        .start_date(at("2026-01-01T00:00:00Z"))
        .end_date(at("2030-01-01T00:00:00Z"))
        .jitter(SignedDuration::from_secs(30))
        .jitter_seed(42)
        .dst_gap(DstGap::Skip)
        .dst_fold(DstFold::Both)
        .build()
        .unwrap();
    round_trip(
        trigger,
        r#"{"type":"cron","day_of_week":"mon-fri","hour":"9-17","minute":"*/15","timezone":"Europe/Berlin","start_date":"2026-01-01T00:00:00Z","end_date":"2030-01-01T00:00:00Z","jitter":"PT30S","jitter_seed":42,"dst_gap":"skip","dst_fold":"both"}"#,
    );
}

#[test]
fn crontab() {
    let trigger = CronTrigger::crontab("0 0 L * *")
        .timezone("+05:30")
        .build()
        .unwrap();
    round_trip(
        trigger,
        r#"{"type":"cron","crontab":"0 0 L * *","timezone":"+05:30","dst_gap":"shift","dst_fold":"auto"}"#,
    );
}

#[test]
fn interval_date_calendar_and_combinations() {
    let interval = IntervalTrigger::builder()
        .hours(1)
        .minutes(30)
        .start_date(at("2026-02-01T00:00:00Z"))
        .jitter(SignedDuration::from_millis(1500))
        .jitter_seed(7)
        .timezone("America/New_York")
        .build()
        .unwrap();
    round_trip(
        interval.clone(),
        r#"{"type":"interval","hours":1,"minutes":30,"start_date":"2026-02-01T00:00:00Z","timezone":"America/New_York","jitter":"PT1.5S","jitter_seed":7}"#,
    );
    let date = DateTrigger::at_local("2026-07-06 16:30", "Europe/Helsinki").unwrap();
    round_trip(
        date.clone(),
        r#"{"type":"date","run_date":"2026-07-06T13:30:00Z","timezone":"Europe/Helsinki"}"#,
    );
    let calendar = CalendarIntervalTrigger::builder()
        .months(1)
        .hour(9)
        .start_date("2026-01-31".parse().unwrap())
        .timezone("Australia/Sydney")
        .dst_fold(DstFold::Last)
        .build()
        .unwrap();
    round_trip(
        calendar.clone(),
        r#"{"type":"calendar_interval","months":1,"hour":9,"minute":0,"second":0,"start_date":"2026-01-31","timezone":"Australia/Sydney","dst_gap":"shift","dst_fold":"last"}"#,
    );
    let any = AnyTrigger::new(vec![date.into(), calendar.into()]).unwrap();
    let any_json = serde_json::to_string(&Trigger::from(any.clone())).unwrap();
    assert!(any_json.starts_with(r#"{"type":"any","triggers":[{"type":"date","#));
    let restored: Trigger = serde_json::from_str(&any_json).unwrap();
    assert_eq!(restored, Trigger::from(any.clone()));
    let all = AllTrigger::new(vec![interval.into(), any.into()]).unwrap();
    let all_json = serde_json::to_string(&Trigger::from(all.clone())).unwrap();
    let restored: Trigger = serde_json::from_str(&all_json).unwrap();
    assert_eq!(restored, Trigger::from(all));
}

#[test]
fn a_stored_trigger_with_bad_settings_is_refused_with_the_field() {
    let refused = |json: &str| {
        serde_json::from_str::<Trigger>(json)
            .unwrap_err()
            .to_string()
    };
    let error = refused(r#"{"type":"cron","hour":"25","timezone":"UTC"}"#);
    assert!(error.contains("hour: 25 is out of range 0-23"), "{error}");
    let error = refused(r#"{"type":"cron","hour":"1","timezone":"Nowhere/City"}"#);
    assert!(error.contains("timezone: \"Nowhere/City\""), "{error}");
    let error = refused(r#"{"type":"interval","timezone":"UTC"}"#);
    assert!(error.contains("interval:"), "{error}");
    let error = refused(r#"{"type":"cron","hours":"1","timezone":"UTC"}"#);
    assert!(error.contains("unknown field `hours`"), "{error}");
    let error = refused(r#"{"type":"cron","crontab":"* * * * *","hour":"1","timezone":"UTC"}"#);
    assert!(
        error.contains("hour: a crontab trigger takes no separate fields"),
        "{error}"
    );
}

#[test]
fn triggers_are_cheap_to_share_between_threads() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Trigger>();
    shareable::<tempora::trigger::Zone>();
    fn sendable<T: Send + Sync + std::error::Error + 'static>() {}
    sendable::<tempora::Error>();
}

#[test]
fn a_job_keeps_its_calendars_in_its_stored_form_and_older_jobs_read_without() {
    use tempora::calendar::Calendar;
    use tempora::job::{Job, JobBuilder, JobDefaults, StoredJob};

    let trigger = CronTrigger::crontab("0 9 * * *")
        .timezone("Europe/Paris")
        .build()
        .unwrap();
    let job = JobBuilder::new("report", trigger)
        .id("report")
        .exclude_calendar(
            "weekends",
            Calendar::weekdays(["sat", "sun"]).build().unwrap(),
        )
        .build_at(&JobDefaults::default(), at("2026-11-27T12:00:00Z"))
        .unwrap();
    let json = serde_json::to_value(job.to_stored().unwrap()).unwrap();
    // The calendar is stored resolved: in the trigger's zone.
    assert_eq!(
        json["exclude"],
        serde_json::json!({"weekends": {"weekdays": ["sat", "sun"], "timezone": "Europe/Paris"}})
    );
    let stored: StoredJob = serde_json::from_value(json).unwrap();
    let back = Job::from_stored(stored, "default");
    assert_eq!(back.exclusions(), job.exclusions());
    assert_eq!(back.next_run_time(), Some(at("2026-11-30T08:00:00Z")));

    // A job stored before calendars existed reads with none.
    let older = r#"{"version":1,"id":"a","name":"a","task":"t","args":null,
      "trigger":{"type":"date","run_date":"2026-01-01T00:00:00Z","timezone":"UTC"},
      "executor":"default","misfire_grace_time":null,"coalesce":true,"max_instances":1,
      "next_run_time":"2026-01-01T00:00:00Z"}"#;
    let stored: StoredJob = serde_json::from_str(older).unwrap();
    assert!(stored.exclude.is_empty());
    let without = Job::from_stored(stored, "default");
    assert!(without.exclusions().is_empty());
    // And a job without calendars writes no `exclude` key.
    let json = serde_json::to_value(without.to_stored().unwrap()).unwrap();
    assert!(json.get("exclude").is_none(), "{json}");
}

#[test]
fn a_job_whose_every_fire_time_is_excluded_is_refused() {
    use tempora::calendar::Calendar;
    use tempora::job::{JobBuilder, JobDefaults};

    let trigger = CronTrigger::crontab("0 9 * * sat")
        .timezone("UTC")
        .build()
        .unwrap();
    let error = JobBuilder::new("report", trigger)
        .exclude_calendar(
            "weekends",
            Calendar::weekdays(["sat", "sun"]).build().unwrap(),
        )
        .build_at(&JobDefaults::default(), at("2026-01-01T00:00:00Z"))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "exclude: the calendars \"weekends\" exclude every fire time of the trigger \
         from 2026-01-03T09:00:00+00:00 on"
    );
}

/// A stored job as an earlier release wrote it (no `timeout`), with
/// `extra` fields added.
fn stored_job_json(extra: &str) -> String {
    format!(
        r#"{{"version":1,"id":"a","name":"a","task":"t","args":null,
        "trigger":{{"type":"date","run_date":"2026-01-01T00:00:00Z","timezone":"UTC"}},
        "executor":"default","misfire_grace_time":null,"coalesce":true,"max_instances":1,
        "next_run_time":"2026-01-01T00:00:00Z"{extra}}}"#
    )
}

#[test]
fn a_stored_jobs_timeout_reads_and_is_absent_in_older_jobs() {
    use tempora::job::{Job, StoredJob};
    let older: StoredJob = serde_json::from_str(&stored_job_json("")).unwrap();
    assert_eq!(older.timeout, None);
    assert_eq!(Job::from_stored(older, "default").timeout(), None);

    let limited: StoredJob =
        serde_json::from_str(&stored_job_json(r#","timeout":"PT1M30S""#)).unwrap();
    assert_eq!(limited.timeout, Some(SignedDuration::from_secs(90)));
    let job = Job::from_stored(limited.clone(), "default");
    assert_eq!(job.timeout(), Some(SignedDuration::from_secs(90)));
    let written = serde_json::to_value(job.to_stored().unwrap()).unwrap();
    assert_eq!(written["timeout"], "PT1M30S");
    assert_eq!(job.to_stored().unwrap(), limited);

    for (timeout, says) in [
        ("PT0S", "timeout: 0s is not positive"),
        ("-PT5S", "timeout: 5s ago is not positive"),
        ("soon", "timeout: \"soon\" is not a duration"),
    ] {
        let json = stored_job_json(&format!(r#","timeout":"{timeout}""#));
        let error = serde_json::from_str::<StoredJob>(&json).unwrap_err();
        assert!(error.to_string().contains(says), "{timeout}: {error}");
    }
}
