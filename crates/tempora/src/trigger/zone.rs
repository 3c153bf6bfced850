//! The time zone a trigger computes in, with its UTC-offset windows cached.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::sync::lock;

/// Transitions are tabulated up to this instant (2200-01-01T00:00:00Z); later
/// instants ask jiff directly, which is correct but slower.
const TABLE_END: i64 = 7_258_118_400;

/// The index of windows by time starts here (1800-01-01T00:00:00Z).
const BUCKET_BASE: i64 = -5_364_662_400;
/// Each bucket of the index spans 2^23 seconds (about 97 days), so a bucket
/// holds at most a few offset changes.
const BUCKET_SHIFT: u32 = 23;

/// A time zone a trigger computes in: an IANA name (`Europe/Berlin`), `UTC`,
/// or a fixed offset (`+05:30`).
///
/// A `Zone` is cheap to clone (one reference count) and every zone of the same
/// name in a process shares one table of UTC-offset changes, so turning an
/// instant into wall-clock time is a binary search over a small array rather
/// than a walk through the time zone database. It serializes as its name.
///
/// # Example
///
/// ```
/// use tempora::trigger::Zone;
///
/// let berlin = Zone::new("Europe/Berlin")?;
/// let instant = berlin.parse_time("2026-03-29 03:30")?;
/// assert_eq!(berlin.format(instant), "2026-03-29T03:30:00+02:00");
/// assert_eq!(Zone::new("+05:30")?.name(), "+05:30");
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Clone)]
pub struct Zone {
    inner: Arc<ZoneRules>,
}

struct ZoneRules {
    name: String,
    time_zone: TimeZone,
    /// The UTC second at which each window starts; `starts[0]` is `i64::MIN`.
    starts: Box<[i64]>,
    /// The UTC offset in seconds of each window.
    offsets: Box<[i32]>,
    /// True when the table covers all time (a fixed offset or UTC).
    complete: bool,
    /// For each bucket of time from `BUCKET_BASE`, the index of the window
    /// that holds the bucket's first second; lookups scan on from there.
    buckets: Box<[u32]>,
}

/// A stretch of time during which a zone keeps one UTC offset, with the
/// offsets of its neighbours, so callers can tell DST gaps and folds apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    /// First UTC second of the window (`i64::MIN` for the first one).
    pub(crate) start: i64,
    /// First UTC second after the window (`i64::MAX` for the last one).
    pub(crate) end: i64,
    /// UTC offset in seconds during the window.
    pub(crate) offset: i64,
    /// UTC offset in seconds of the window before this one.
    pub(crate) previous_offset: i64,
    /// UTC offset in seconds of the window after this one.
    pub(crate) next_offset: i64,
}

fn cache() -> &'static Mutex<HashMap<String, Zone>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Zone>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Zone {
    /// The zone named `name`: an IANA time zone name such as
    /// `America/New_York`, `UTC`, or a fixed offset such as `+05:30`, `-08`
    /// or `+0530`.
    ///
    /// # Errors
    ///
    /// An error naming the field `timezone` when the name is neither a known
    /// IANA zone nor an offset.
    ///
    /// ```
    /// let error = tempora::trigger::Zone::new("Europe/Atlantis").unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "timezone: \"Europe/Atlantis\" is not a known IANA time zone name, `UTC` or an offset like +05:30"
    /// );
    /// ```
    pub fn new(name: &str) -> Result<Zone> {
        let name = name.trim();
        let mut cache = lock(cache());
        if let Some(zone) = cache.get(name) {
            return Ok(zone.clone());
        }
        let zone = Zone::load(name)?;
        cache.insert(name.to_string(), zone.clone());
        Ok(zone)
    }

    /// UTC.
    ///
    /// ```
    /// assert_eq!(tempora::trigger::Zone::utc().name(), "UTC");
    /// ```
    pub fn utc() -> Zone {
        // OK because "UTC" never fails to load: it is built in.
        Zone::new("UTC").unwrap_or_else(|_| Zone::from_parts("UTC".into(), TimeZone::UTC))
    }

    /// The zone of this machine (`TZ`, `/etc/localtime`) when it has an IANA
    /// name, otherwise UTC.
    ///
    /// ```
    /// let zone = tempora::trigger::Zone::system();
    /// assert!(!zone.name().is_empty());
    /// ```
    pub fn system() -> Zone {
        match TimeZone::try_system()
            .ok()
            .and_then(|tz| tz.iana_name().map(str::to_string))
        {
            Some(name) => Zone::new(&name).unwrap_or_else(|_| Zone::utc()),
            None => Zone::utc(),
        }
    }

    fn load(name: &str) -> Result<Zone> {
        if name.eq_ignore_ascii_case("UTC") || name == "Z" {
            return Ok(Zone::from_parts("UTC".into(), TimeZone::UTC));
        }
        if name.starts_with(['+', '-']) {
            let offset = parse_offset(name).ok_or_else(|| {
                Error::invalid(
                    "timezone",
                    format!("{name:?} is not a UTC offset like +05:30, -08 or +0530"),
                )
            })?;
            return Ok(Zone::from_parts(name.to_string(), TimeZone::fixed(offset)));
        }
        let time_zone = jiff::tz::db().get(name).map_err(|_| {
            Error::invalid(
                "timezone",
                format!(
                    "{name:?} is not a known IANA time zone name, `UTC` or an offset like +05:30"
                ),
            )
        })?;
        Ok(Zone::from_parts(name.to_string(), time_zone))
    }

    fn from_parts(name: String, time_zone: TimeZone) -> Zone {
        let mut starts = vec![i64::MIN];
        let mut offsets = vec![time_zone.to_offset(Timestamp::MIN).seconds()];
        let mut complete = true;
        for transition in time_zone.following(Timestamp::MIN) {
            let at = transition.timestamp().as_second();
            let offset = transition.offset().seconds();
            if offsets.last() != Some(&offset) {
                starts.push(at);
                offsets.push(offset);
            }
            if at >= TABLE_END {
                complete = false;
                break;
            }
        }
        let buckets = if starts.len() > 1 {
            let count = ((TABLE_END - BUCKET_BASE) >> BUCKET_SHIFT) + 1;
            (0..count)
                .map(|bucket| {
                    let at = BUCKET_BASE + (bucket << BUCKET_SHIFT);
                    (starts.partition_point(|&start| start <= at) - 1) as u32
                })
                .collect()
        } else {
            Box::default()
        };
        Zone {
            inner: Arc::new(ZoneRules {
                name,
                time_zone,
                starts: starts.into_boxed_slice(),
                offsets: offsets.into_boxed_slice(),
                complete,
                buckets,
            }),
        }
    }

    /// The name this zone was created with.
    ///
    /// ```
    /// let zone = tempora::trigger::Zone::new("Australia/Sydney")?;
    /// assert_eq!(zone.name(), "Australia/Sydney");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The jiff time zone behind this zone.
    ///
    /// ```
    /// let zone = tempora::trigger::Zone::new("Europe/London")?;
    /// assert_eq!(zone.time_zone().iana_name(), Some("Europe/London"));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn time_zone(&self) -> &TimeZone {
        &self.inner.time_zone
    }

    /// The UTC offset of this zone at `instant`.
    ///
    /// ```
    /// let zone = tempora::trigger::Zone::new("Europe/Berlin")?;
    /// let summer: jiff::Timestamp = "2026-07-01T00:00:00Z".parse().unwrap();
    /// assert_eq!(zone.offset_at(summer).seconds(), 7200);
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn offset_at(&self, instant: Timestamp) -> Offset {
        let offset = self.window(instant.as_second()).offset;
        // OK because every offset in the table came from an `Offset`.
        Offset::from_seconds(offset as i32).unwrap_or(Offset::UTC)
    }

    /// `instant` as RFC 3339 with this zone's numeric offset, the form
    /// `tempora next` prints: `2009-01-05T00:00:00+01:00`.
    ///
    /// ```
    /// let zone = tempora::trigger::Zone::new("America/New_York")?;
    /// let instant: jiff::Timestamp = "2009-01-05T05:00:00Z".parse().unwrap();
    /// assert_eq!(zone.format(instant), "2009-01-05T00:00:00-05:00");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn format(&self, instant: Timestamp) -> String {
        instant
            .display_with_offset(self.offset_at(instant))
            .to_string()
    }

    /// Reads a point in time: RFC 3339 with an offset
    /// (`2026-03-29T02:30:00+01:00`), or a local `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]`
    /// (a `T` may stand for the space) read on this zone's wall clock. A local
    /// time that falls in a DST gap is moved forward by the length of the gap
    /// and one that happens twice means the first of the two, as a date
    /// trigger resolves it.
    ///
    /// # Errors
    ///
    /// An error naming the field `time` when `text` is neither form.
    ///
    /// ```
    /// use tempora::trigger::Zone;
    ///
    /// let new_york = Zone::new("America/New_York")?;
    /// // 02:30 does not exist on 2026-03-08 in New York: it is read as 03:30.
    /// let instant = new_york.parse_time("2026-03-08 02:30")?;
    /// assert_eq!(new_york.format(instant), "2026-03-08T03:30:00-04:00");
    /// assert!(new_york.parse_time("yesterday").is_err());
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn parse_time(&self, text: &str) -> Result<Timestamp> {
        let text = text.trim();
        if let Ok(instant) = text.parse::<Timestamp>() {
            return Ok(instant);
        }
        // Only the bare local forms: an offset or a zone annotation was
        // handled above (or is malformed), and must not be dropped silently.
        let time_part = text.get(10..).unwrap_or("");
        let bare = !time_part.contains(['[', 'Z', 'z', '+', '-']);
        let local = if !bare {
            None
        } else if text.len() == 10 {
            text.parse::<Date>()
                .ok()
                .map(|date| date.to_datetime(jiff::civil::Time::midnight()))
        } else {
            text.parse::<DateTime>().ok()
        };
        match local {
            Some(local) => self.resolve_local(local),
            None => Err(Error::invalid(
                "time",
                format!(
                    "{text:?} is neither RFC 3339 with an offset nor a local YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]"
                ),
            )),
        }
    }

    /// The instant of a wall-clock time on this zone: in a gap, moved forward
    /// by the length of the gap; in a fold, the first occurrence.
    pub(crate) fn resolve_local(&self, local: DateTime) -> Result<Timestamp> {
        self.time_zone()
            .to_ambiguous_timestamp(local)
            .compatible()
            .map_err(|_| Error::invalid("time", format!("{local} is outside the supported range")))
    }

    /// The offset window that contains the UTC second `utc`.
    pub(crate) fn window(&self, utc: i64) -> Window {
        let rules = &*self.inner;
        let bucket = utc.wrapping_sub(BUCKET_BASE) >> BUCKET_SHIFT;
        let index = match rules.buckets.get(bucket as usize) {
            Some(&first) if utc >= BUCKET_BASE => {
                let mut index = first as usize;
                while rules.starts.get(index + 1).is_some_and(|&next| next <= utc) {
                    index += 1;
                }
                index
            }
            _ => rules.starts.partition_point(|&start| start <= utc) - 1,
        };
        let last = rules.starts.len() - 1;
        if index < last || rules.complete {
            let offset = i64::from(rules.offsets[index]);
            return Window {
                start: rules.starts[index],
                end: rules.starts.get(index + 1).copied().unwrap_or(i64::MAX),
                offset,
                previous_offset: if index == 0 {
                    offset
                } else {
                    i64::from(rules.offsets[index - 1])
                },
                next_offset: rules
                    .offsets
                    .get(index + 1)
                    .map_or(offset, |&o| i64::from(o)),
            };
        }
        self.window_beyond_table(utc)
    }

    /// The window of an instant after the table, straight from jiff.
    fn window_beyond_table(&self, utc: i64) -> Window {
        let time_zone = self.time_zone();
        let instant = Timestamp::from_second(utc).unwrap_or(Timestamp::MAX);
        let offset = i64::from(time_zone.to_offset(instant).seconds());
        let mut start = i64::MIN;
        let mut previous_offset = offset;
        for transition in time_zone.preceding(
            instant
                .saturating_add(jiff::SignedDuration::from_nanos(1))
                .unwrap_or(instant),
        ) {
            let before = transition
                .timestamp()
                .saturating_sub(jiff::SignedDuration::from_nanos(1))
                .unwrap_or(Timestamp::MIN);
            let before_offset = i64::from(time_zone.to_offset(before).seconds());
            if before_offset != offset {
                start = transition.timestamp().as_second();
                previous_offset = before_offset;
                break;
            }
        }
        let mut end = i64::MAX;
        let mut next_offset = offset;
        for transition in time_zone.following(instant) {
            let after = i64::from(transition.offset().seconds());
            if after != offset {
                end = transition.timestamp().as_second();
                next_offset = after;
                break;
            }
        }
        Window {
            start,
            end,
            offset,
            previous_offset,
            next_offset,
        }
    }
}

/// Reads `+05:30`, `-08`, `+0530`, `+05:30:15`.
fn parse_offset(text: &str) -> Option<Offset> {
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let parts: Vec<&str> = if digits.contains(':') {
        digits.split(':').collect()
    } else if digits.len() == 4 {
        vec![&digits[..2], &digits[2..]]
    } else {
        vec![digits]
    };
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let number = |i: usize| parts.get(i).map_or(Some(0), |p| p.parse::<i32>().ok());
    let (hours, minutes, seconds) = (number(0)?, number(1)?, number(2)?);
    if hours > 25 || minutes > 59 || seconds > 59 {
        return None;
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60 + seconds)).ok()
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Zone").field(&self.inner.name).finish()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.name)
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.inner.name == other.inner.name
    }
}

impl Eq for Zone {}

impl std::str::FromStr for Zone {
    type Err = Error;

    fn from_str(name: &str) -> Result<Zone> {
        Zone::new(name)
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Zone, D::Error> {
        let name = String::deserialize(deserializer)?;
        Zone::new(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn windows_agree_with_jiff_in_and_beyond_the_table() {
        for name in [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Sydney",
            "Australia/Lord_Howe",
            "UTC",
            "+05:30",
        ] {
            let zone = Zone::new(name).unwrap();
            let mut utc = ts("1960-01-01T00:00:00Z");
            while utc < ts("2260-01-01T00:00:00Z") {
                let window = zone.window(utc);
                let expected = zone
                    .time_zone()
                    .to_offset(Timestamp::from_second(utc).unwrap())
                    .seconds();
                assert_eq!(window.offset, i64::from(expected), "{name} at {utc}");
                assert!(
                    window.start <= utc && utc < window.end,
                    "{name} at {utc}: {window:?}"
                );
                utc += 86_400 * 7 + 3_601;
            }
        }
    }

    #[test]
    fn every_transition_is_a_window_boundary() {
        for name in [
            "Europe/Berlin",
            "America/Santiago",
            "Australia/Lord_Howe",
            "Asia/Kolkata",
        ] {
            let zone = Zone::new(name).unwrap();
            let from = Timestamp::from_second(ts("1850-01-01T00:00:00Z")).unwrap();
            for transition in zone
                .time_zone()
                .following(from)
                .take_while(|t| t.timestamp().as_second() < ts("2210-01-01T00:00:00Z"))
            {
                let at = transition.timestamp().as_second();
                let after = zone.window(at);
                let before = zone.window(at - 1);
                if before.offset != after.offset {
                    assert_eq!(after.start, at, "{name} at {at}");
                    assert_eq!(before.end, at, "{name} at {at}");
                    assert_eq!(after.previous_offset, before.offset, "{name} at {at}");
                    assert_eq!(before.next_offset, after.offset, "{name} at {at}");
                }
            }
        }
    }

    #[test]
    fn window_neighbours_describe_gaps_and_folds() {
        let berlin = Zone::new("Europe/Berlin").unwrap();
        // Summer time starts 2026-03-29 at 01:00 UTC.
        let summer = berlin.window(ts("2026-04-01T00:00:00Z"));
        assert_eq!(summer.start, ts("2026-03-29T01:00:00Z"));
        assert_eq!(summer.end, ts("2026-10-25T01:00:00Z"));
        assert_eq!(
            (summer.previous_offset, summer.offset, summer.next_offset),
            (3600, 7200, 3600)
        );
        let far = berlin.window(ts("2250-07-01T00:00:00Z"));
        assert_eq!(
            (far.previous_offset, far.offset, far.next_offset),
            (3600, 7200, 3600)
        );
        assert_eq!(far.start, ts("2250-03-31T01:00:00Z"));
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+05:30").unwrap().seconds(), 19_800);
        assert_eq!(parse_offset("-08").unwrap().seconds(), -28_800);
        assert_eq!(parse_offset("+0530").unwrap().seconds(), 19_800);
        assert!(parse_offset("+5:30").is_none());
        assert!(parse_offset("+99:00").is_none());
        assert_eq!(Zone::new("+5").unwrap_err().field(), Some("timezone"));
    }

    #[test]
    fn local_times_read_in_the_zone() {
        let london = Zone::new("Europe/London").unwrap();
        let instant = london.parse_time("2026-07-01").unwrap();
        assert_eq!(london.format(instant), "2026-07-01T00:00:00+01:00");
        let instant = london.parse_time("2026-10-25T01:30:00.25").unwrap();
        assert_eq!(london.format(instant), "2026-10-25T01:30:00.25+01:00");
        let instant = london.parse_time("2026-10-25T01:30:00Z").unwrap();
        assert_eq!(london.format(instant), "2026-10-25T01:30:00+00:00");
        assert!(london.parse_time("2026-13-01").is_err());
        assert!(london.parse_time("2026-01-01 25:00").is_err());
    }
}
