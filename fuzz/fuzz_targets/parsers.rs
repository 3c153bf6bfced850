//! Fuzzes both cron parsers: APScheduler's field grammar and crontab strings.
//!
//! Input: the first byte picks the grammar and the DST policies, the rest is
//! text — a whole crontab string, or eight newline-separated field values
//! (year, month, day, week, day_of_week, hour, minute, second). Any input must
//! give either an error that names a field or a trigger whose fire times
//! strictly increase and which survives a JSON round trip unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora::jiff::Timestamp;
use tempora::trigger::{CronTrigger, DstFold, DstGap, Trigger};

const ZONES: [&str; 4] = ["UTC", "America/New_York", "Australia/Lord_Howe", "+05:30"];
const GAPS: [DstGap; 3] = [DstGap::Shift, DstGap::AtTransition, DstGap::Skip];
const FOLDS: [DstFold; 4] = [DstFold::Auto, DstFold::First, DstFold::Last, DstFold::Both];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let builder = if selector & 1 == 0 {
        CronTrigger::crontab(text)
    } else {
        let mut fields = text.split('\n');
        let mut builder = CronTrigger::builder();
        let setters: [fn(_, &str) -> _; 8] = [
            |b: tempora::trigger::CronTriggerBuilder, v| b.year(v),
            |b, v| b.month(v),
            |b, v| b.day(v),
            |b, v| b.week(v),
            |b, v| b.day_of_week(v),
            |b, v| b.hour(v),
            |b, v| b.minute(v),
            |b, v| b.second(v),
        ];
        for setter in setters {
            match fields.next() {
                Some("") | None => {}
                Some(value) => builder = setter(builder, value),
            }
        }
        builder
    };
    let index = usize::from(selector >> 1);
    let builder = builder
        .timezone(ZONES[index % ZONES.len()])
        .dst_gap(GAPS[(index / 4) % GAPS.len()])
        .dst_fold(FOLDS[(index / 12) % FOLDS.len()]);
    let trigger = match builder.build() {
        Ok(trigger) => Trigger::from(trigger),
        Err(error) => {
            assert!(error.is_invalid_input(), "{error}");
            assert!(error.field().is_some(), "{error}");
            return;
        }
    };
    let _ = trigger.to_string();
    let json = serde_json::to_string(&trigger).expect("a trigger serializes");
    let restored: Trigger = serde_json::from_str(&json).expect("a stored trigger restores");
    assert_eq!(restored, trigger);

    let now: Timestamp = "2026-03-01T00:00:00Z".parse().expect("a valid instant");
    let mut previous: Option<Timestamp> = None;
    for fire in trigger.fire_times(None, now).take(8) {
        assert!(fire >= now);
        if let Some(previous) = previous {
            assert!(fire > previous, "{previous} then {fire} for {trigger}");
        }
        previous = Some(fire);
    }
});
