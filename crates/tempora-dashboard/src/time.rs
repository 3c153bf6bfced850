//! Times as the pages show them: local, relative, and whether a day has a
//! DST transition.

use jiff::{SignedDuration, Timestamp};
use tempora::trigger::Zone;

/// `2026-03-29 03:00 CEST` on `zone`'s wall clock.
pub(crate) fn local(zone: &Zone, instant: Timestamp) -> String {
    instant
        .to_zoned_datetime(zone.time_zone().clone())
        .strftime("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
        .replacen(":00 ", " ", 1)
}

/// `in 5m`, `3h ago`.
pub(crate) fn relative(instant: Timestamp, now: Timestamp) -> String {
    let seconds = instant.as_second() - now.as_second();
    let magnitude = seconds.unsigned_abs();
    let text = if magnitude < 60 {
        format!("{magnitude}s")
    } else if magnitude < 3600 {
        format!("{}m", magnitude / 60)
    } else if magnitude < 86_400 {
        format!("{}h {}m", magnitude / 3600, magnitude % 3600 / 60)
    } else {
        format!("{}d {}h", magnitude / 86_400, magnitude % 86_400 / 3600)
    };
    if seconds >= 0 {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// True when the local day of `instant` on `zone` has a DST transition
/// (its first and last instants have different offsets).
pub(crate) fn dst_day(zone: &Zone, instant: Timestamp) -> bool {
    let zoned = instant.to_zoned_datetime(zone.time_zone().clone());
    let Ok(start) = zoned.start_of_day() else {
        return false;
    };
    let Ok(next) = start.tomorrow().and_then(|day| day.start_of_day()) else {
        return false;
    };
    let end = next.timestamp() - SignedDuration::from_secs(1);
    zone.offset_at(start.timestamp()) != zone.offset_at(end)
}

/// The instants of `zone`'s offset changes between `from` and `to`, each
/// to the minute, with the offsets before and after.
pub(crate) fn transitions(zone: &Zone, from: Timestamp, to: Timestamp) -> Vec<(Timestamp, String)> {
    let mut found = Vec::new();
    let step = SignedDuration::from_mins(15);
    let mut at = from;
    let mut offset = zone.offset_at(at);
    while at < to {
        let next = at + step;
        let next_offset = zone.offset_at(next);
        if next_offset != offset {
            // Narrow to the minute.
            let mut low = at;
            while low < next {
                let probe = low + SignedDuration::from_mins(1);
                if zone.offset_at(probe) != offset {
                    found.push((probe, format!("{offset} → {next_offset}")));
                    break;
                }
                low = probe;
            }
            offset = next_offset;
        }
        at = next;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spring_forward_day_is_a_dst_day() {
        let zone = Zone::new("Europe/Berlin").unwrap();
        let on = zone.parse_time("2026-03-29 12:00").unwrap();
        let before = zone.parse_time("2026-03-28 12:00").unwrap();
        assert!(dst_day(&zone, on));
        assert!(!dst_day(&zone, before));
        let found = transitions(&zone, before, on);
        assert_eq!(found.len(), 1);
        assert_eq!(zone.format(found[0].0), "2026-03-29T03:00:00+02:00");
    }

    #[test]
    fn relative_times_read_both_ways() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(relative(now + SignedDuration::from_mins(5), now), "in 5m");
        assert_eq!(
            relative(now - SignedDuration::from_hours(3), now),
            "3h 0m ago"
        );
    }
}
