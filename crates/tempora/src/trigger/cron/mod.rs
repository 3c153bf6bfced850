//! Cron triggers: APScheduler's cron fields and standard crontab strings.

mod parse;
mod spec;

use std::fmt;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::trigger::dst::{DstFold, DstGap, first_instant_at_or_after};
use crate::trigger::jitter::{Jitter, random_seed};
use crate::trigger::zone::Zone;
use crate::trigger::{ceil_to_second, instant_from_second, threshold};

use self::parse::{FIELD_NAMES, compile_crontab, compile_fields};
pub(crate) use self::spec::CronSpec;

/// Fires on a calendar: APScheduler's `CronTrigger` fields, or a standard
/// crontab string. The grammar of both follows; it is the one copy, which
/// the manual (`docs/triggers.md`) links to.
///
#[doc = include_str!("grammar.md")]
///
/// # Examples
///
/// ```
/// use tempora::trigger::CronTrigger;
///
/// // At 00:00 on the third Friday of June, July, August, November, December.
/// let trigger = CronTrigger::builder()
///     .month("6-8,11-12")
///     .day("3rd fri")
///     .timezone("Europe/Helsinki")
///     .build()?;
/// let now = trigger.zone().parse_time("2026-01-01")?;
/// let next = trigger.next_fire_time(None, now).unwrap();
/// assert_eq!(trigger.zone().format(next), "2026-06-19T00:00:00+03:00");
/// # Ok::<(), tempora::Error>(())
/// ```
///
/// ```
/// use tempora::trigger::CronTrigger;
///
/// let trigger = CronTrigger::crontab("*/15 9-17 * * mon-fri").timezone("Europe/Berlin").build()?;
/// let now = trigger.zone().parse_time("2026-11-27 17:50")?; // a Friday
/// let next = trigger.next_fire_time(None, now).unwrap();
/// assert_eq!(trigger.zone().format(next), "2026-11-30T09:00:00+01:00");
/// # Ok::<(), tempora::Error>(())
/// ```
///
/// # Time zones and DST
///
/// The trigger matches wall-clock times in its [`Zone`]. A matching time that
/// does not exist (a DST gap) is handled by [`DstGap`], one that happens
/// twice (a DST fold) by [`DstFold`]; the fire times always strictly
/// increase.
#[derive(Clone, PartialEq)]
pub struct CronTrigger {
    inner: Arc<CronInner>,
}

#[derive(PartialEq)]
struct CronInner {
    expression: Expression,
    spec: CronSpec,
    zone: Zone,
    start_date: Option<Timestamp>,
    end_date: Option<Timestamp>,
    jitter: Option<Jitter>,
    dst_gap: DstGap,
    dst_fold: DstFold,
}

/// The expression as the user wrote it, kept for display and storage.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expression {
    /// APScheduler's fields, as `(name, expression)`, most significant first.
    Fields(Vec<(&'static str, String)>),
    /// A crontab string.
    Crontab(String),
}

/// Builds a [`CronTrigger`]; every value is checked by [`build`](Self::build).
///
/// Field methods take anything that displays as the expression, so
/// `.hour(9)` and `.hour("9-17")` both work.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct CronTriggerBuilder {
    fields: Vec<(&'static str, String)>,
    crontab: Option<String>,
    timezone: Option<String>,
    start_date: Option<Timestamp>,
    end_date: Option<Timestamp>,
    jitter: Option<SignedDuration>,
    jitter_seed: Option<u64>,
    dst_gap: DstGap,
    dst_fold: DstFold,
}

macro_rules! field_setters {
    ($($name:ident),*) => {$(
        #[doc = concat!("Sets the `", stringify!($name), "` field expression.")]
        ///
        /// ```
        #[doc = concat!("let trigger = tempora::trigger::CronTrigger::builder().", stringify!($name), "(\"*\").timezone(\"UTC\").build()?;")]
        #[doc = concat!("assert!(trigger.to_string().contains(\"", stringify!($name), "='*'\"));")]
        /// # Ok::<(), tempora::Error>(())
        /// ```
        pub fn $name(mut self, expression: impl fmt::Display) -> CronTriggerBuilder {
            self.set_field(stringify!($name), expression.to_string());
            self
        }
    )*};
}

impl CronTriggerBuilder {
    fn set_field(&mut self, name: &'static str, expression: String) {
        self.fields.retain(|(given, _)| *given != name);
        self.fields.push((name, expression));
    }

    field_setters!(year, month, day, week, day_of_week, hour, minute, second);

    /// Sets the field named `name` — one of `year`, `month`, `day`,
    /// `week`, `day_of_week`, `hour`, `minute`, `second` — as its setter
    /// does: for fields that come by name, from a file or a command line.
    ///
    /// ```
    /// use tempora::trigger::CronTrigger;
    ///
    /// let trigger = CronTrigger::builder().field("day_of_week", "sat")?.timezone("UTC").build()?;
    /// assert!(trigger.to_string().contains("day_of_week='sat'"));
    /// let error = CronTrigger::builder().field("weekday", "sat").unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "cron: unknown field `weekday`, expected one of year, month, day, week, \
    ///      day_of_week, hour, minute, second"
    /// );
    /// # Ok::<(), tempora::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Field `cron` for a name that is not a cron field.
    pub fn field(
        mut self,
        name: &str,
        expression: impl fmt::Display,
    ) -> Result<CronTriggerBuilder> {
        let Some(known) = FIELD_NAMES.iter().find(|known| **known == name) else {
            return Err(Error::invalid(
                "cron",
                format!(
                    "unknown field `{name}`, expected one of {}",
                    FIELD_NAMES.join(", ")
                ),
            ));
        };
        self.set_field(known, expression.to_string());
        Ok(self)
    }

    /// The zone the fields are matched in: an IANA name, `UTC` or an offset
    /// such as `+05:30`. Defaults to the zone of the machine
    /// ([`Zone::system`]).
    ///
    /// ```
    /// let trigger = tempora::trigger::CronTrigger::builder().hour(3).timezone("+05:30").build()?;
    /// assert_eq!(trigger.zone().name(), "+05:30");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn timezone(mut self, name: impl Into<String>) -> CronTriggerBuilder {
        self.timezone = Some(name.into());
        self
    }

    /// No fire time before this instant.
    ///
    /// ```
    /// use tempora::trigger::CronTrigger;
    ///
    /// let start: jiff::Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    /// let trigger = CronTrigger::builder().hour(0).timezone("UTC").start_date(start).build()?;
    /// let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// assert_eq!(trigger.next_fire_time(None, now), Some(start));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn start_date(mut self, start: Timestamp) -> CronTriggerBuilder {
        self.start_date = Some(start);
        self
    }

    /// No fire time after this instant (inclusive).
    ///
    /// ```
    /// use tempora::trigger::CronTrigger;
    ///
    /// let end: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// let trigger = CronTrigger::builder().hour(0).timezone("UTC").end_date(end).build()?;
    /// assert_eq!(trigger.next_fire_time(None, end), Some(end));
    /// assert_eq!(trigger.next_fire_time(Some(end), end), None);
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn end_date(mut self, end: Timestamp) -> CronTriggerBuilder {
        self.end_date = Some(end);
        self
    }

    /// Moves each fire time by a pseudo-random offset in `[-jitter, +jitter]`
    /// (microsecond precision), never before the previous fire time.
    ///
    /// ```
    /// use tempora::trigger::CronTrigger;
    ///
    /// let trigger = CronTrigger::builder()
    ///     .minute(0)
    ///     .timezone("UTC")
    ///     .jitter(jiff::SignedDuration::from_secs(30))
    ///     .jitter_seed(7)
    ///     .build()?;
    /// let now: jiff::Timestamp = "2026-01-01T00:00:01Z".parse().unwrap();
    /// let next = trigger.next_fire_time(None, now).unwrap();
    /// let hour: jiff::Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();
    /// assert!(next.duration_since(hour).abs() <= jiff::SignedDuration::from_secs(30));
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn jitter(mut self, jitter: SignedDuration) -> CronTriggerBuilder {
        self.jitter = Some(jitter);
        self
    }

    /// Fixes the seed of the jitter, so that the offsets are reproducible
    /// (tests use this). Without it the seed is random.
    ///
    /// ```
    /// use tempora::trigger::CronTrigger;
    ///
    /// let build = || CronTrigger::builder().minute(0).timezone("UTC")
    ///     .jitter(jiff::SignedDuration::from_secs(30)).jitter_seed(42).build().unwrap();
    /// let now: jiff::Timestamp = "2026-01-01T00:00:01Z".parse().unwrap();
    /// assert_eq!(build().next_fire_time(None, now), build().next_fire_time(None, now));
    /// ```
    pub fn jitter_seed(mut self, seed: u64) -> CronTriggerBuilder {
        self.jitter_seed = Some(seed);
        self
    }

    /// What to do with a matching wall-clock time in a DST gap (default [`DstGap::Shift`]).
    ///
    /// ```
    /// use tempora::trigger::{CronTrigger, DstGap};
    ///
    /// let trigger = CronTrigger::builder().hour(2).minute(30).timezone("Europe/Berlin")
    ///     .dst_gap(DstGap::AtTransition).build()?;
    /// let now = trigger.zone().parse_time("2026-03-29 00:00")?;
    /// let next = trigger.next_fire_time(None, now).unwrap();
    /// assert_eq!(trigger.zone().format(next), "2026-03-29T03:00:00+02:00");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn dst_gap(mut self, policy: DstGap) -> CronTriggerBuilder {
        self.dst_gap = policy;
        self
    }

    /// What to do with a matching wall-clock time in a DST fold (default [`DstFold::Auto`]).
    ///
    /// ```
    /// use tempora::trigger::{CronTrigger, DstFold};
    ///
    /// let trigger = CronTrigger::builder().hour(1).minute(30).timezone("America/New_York")
    ///     .dst_fold(DstFold::Last).build()?;
    /// let now = trigger.zone().parse_time("2026-11-01 00:00")?;
    /// let next = trigger.next_fire_time(None, now).unwrap();
    /// assert_eq!(trigger.zone().format(next), "2026-11-01T01:30:00-05:00");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn dst_fold(mut self, policy: DstFold) -> CronTriggerBuilder {
        self.dst_fold = policy;
        self
    }

    /// Checks every value and builds the trigger.
    ///
    /// # Errors
    ///
    /// An error naming the field and the value for an expression that does
    /// not parse or is out of range, an unknown time zone, a start date after
    /// the end date, or a negative jitter.
    ///
    /// ```
    /// let error = tempora::trigger::CronTrigger::builder().day_of_week("mon-funday").build().unwrap_err();
    /// assert_eq!(error.field(), Some("day_of_week"));
    /// ```
    pub fn build(self) -> Result<CronTrigger> {
        let zone = match &self.timezone {
            Some(name) => Zone::new(name)?,
            None => Zone::system(),
        };
        let (expression, spec) = match self.crontab {
            Some(crontab) => {
                let spec = compile_crontab(&crontab)?;
                (Expression::Crontab(crontab.trim().to_string()), spec)
            }
            None => {
                let mut fields = self.fields;
                fields.sort_by_key(|(name, _)| FIELD_NAMES.iter().position(|n| n == name));
                let spec = compile_fields(&fields)?;
                (Expression::Fields(fields), spec)
            }
        };
        if let (Some(start), Some(end)) = (self.start_date, self.end_date)
            && start > end
        {
            return Err(Error::invalid(
                "end_date",
                format!(
                    "{} is before the start_date {}",
                    zone.format(end),
                    zone.format(start)
                ),
            ));
        }
        let jitter = checked_jitter(self.jitter, self.jitter_seed)?;
        Ok(CronTrigger {
            inner: Arc::new(CronInner {
                expression,
                spec,
                zone,
                start_date: self.start_date,
                end_date: self.end_date,
                jitter,
                dst_gap: self.dst_gap,
                dst_fold: self.dst_fold,
            }),
        })
    }
}

/// Checks a jitter and its seed (a random one when none is given).
pub(crate) fn checked_jitter(
    jitter: Option<SignedDuration>,
    seed: Option<u64>,
) -> Result<Option<Jitter>> {
    match jitter {
        Some(jitter) if jitter.is_negative() => Err(Error::invalid(
            "jitter",
            format!(
                "-{:#} is negative; expected a duration of zero or more",
                jitter.abs()
            ),
        )),
        Some(jitter) => Ok(Jitter::new(jitter, seed.unwrap_or_else(random_seed))),
        None => Ok(None),
    }
}

impl CronTrigger {
    /// A builder for APScheduler-style cron fields.
    ///
    /// ```
    /// use tempora::trigger::CronTrigger;
    ///
    /// let trigger = CronTrigger::builder().day_of_week("mon-fri").hour(9).timezone("UTC").build()?;
    /// assert_eq!(
    ///     trigger.to_string(),
    ///     "cron[day_of_week='mon-fri', hour='9', timezone='UTC', dst_gap='shift', dst_fold='auto']"
    /// );
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn builder() -> CronTriggerBuilder {
        CronTriggerBuilder::default()
    }

    /// A builder for a crontab string (see the type's documentation).
    ///
    /// ```
    /// use tempora::trigger::CronTrigger;
    ///
    /// let trigger = CronTrigger::crontab("@daily").timezone("Asia/Tokyo").build()?;
    /// let now = trigger.zone().parse_time("2026-05-05 12:00")?;
    /// let next = trigger.next_fire_time(None, now).unwrap();
    /// assert_eq!(trigger.zone().format(next), "2026-05-06T00:00:00+09:00");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn crontab(expression: impl Into<String>) -> CronTriggerBuilder {
        CronTriggerBuilder {
            crontab: Some(expression.into()),
            ..CronTriggerBuilder::default()
        }
    }

    /// The zone the trigger computes in.
    ///
    /// ```
    /// let trigger = tempora::trigger::CronTrigger::crontab("0 * * * *").timezone("UTC").build()?;
    /// assert_eq!(trigger.zone().name(), "UTC");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn zone(&self) -> &Zone {
        &self.inner.zone
    }

    /// The next fire time, with the contract of
    /// [`Trigger::next_fire_time`](crate::trigger::Trigger::next_fire_time).
    ///
    /// ```
    /// use tempora::trigger::CronTrigger;
    ///
    /// let trigger = CronTrigger::builder().second("*/5").timezone("UTC").build()?;
    /// let now: jiff::Timestamp = "2026-01-01T00:00:01Z".parse().unwrap();
    /// let first = trigger.next_fire_time(None, now).unwrap();
    /// assert_eq!(first.to_string(), "2026-01-01T00:00:05Z");
    /// let second = trigger.next_fire_time(Some(first), first).unwrap();
    /// assert_eq!(second.to_string(), "2026-01-01T00:00:10Z");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn next_fire_time(&self, previous: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
        match &self.inner.jitter {
            None => self.next_unjittered(previous, now),
            Some(jitter) => jitter.next(previous, now, self.inner.end_date, |previous, now| {
                self.next_unjittered(previous, now)
            }),
        }
    }

    /// Without jitter, the first fire time at or after `from`; `None` with
    /// jitter.
    pub(crate) fn first_at_or_after(&self, from: Timestamp) -> Option<Option<Timestamp>> {
        if self.inner.jitter.is_some() {
            return None;
        }
        let before = from.checked_sub(SignedDuration::from_nanos(1)).ok()?;
        Some(self.next_unjittered(Some(before), from))
    }

    fn next_unjittered(&self, previous: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
        let inner = &*self.inner;
        let mut from = threshold(previous, now);
        if let Some(start) = inner.start_date {
            from = from.max(start);
        }
        let second = first_instant_at_or_after(
            &inner.zone,
            &inner.spec,
            inner.dst_gap,
            inner.dst_fold,
            ceil_to_second(from),
        )?;
        let fire = instant_from_second(second)?;
        match inner.end_date {
            Some(end) if fire > end => None,
            _ => Some(fire),
        }
    }
}

impl fmt::Display for CronTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.write_str("cron[")?;
        match &inner.expression {
            Expression::Fields(fields) => {
                for (name, value) in fields {
                    write!(f, "{name}='{value}', ")?;
                }
            }
            Expression::Crontab(expression) => write!(f, "'{expression}', ")?,
        }
        write!(f, "timezone='{}'", inner.zone)?;
        if let Some(start) = inner.start_date {
            write!(f, ", start_date='{}'", inner.zone.format(start))?;
        }
        if let Some(end) = inner.end_date {
            write!(f, ", end_date='{}'", inner.zone.format(end))?;
        }
        if let Some(jitter) = &inner.jitter {
            write!(f, ", jitter='{:#}'", jitter.max())?;
        }
        write!(
            f,
            ", dst_gap='{}', dst_fold='{}']",
            inner.dst_gap, inner.dst_fold
        )
    }
}

impl fmt::Debug for CronTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronTrigger({self})")
    }
}

/// The stored form of a cron trigger: `crontab` or the fields as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CronRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crontab: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    year: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    month: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    day: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    week: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    day_of_week: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hour: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    minute: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    second: Option<String>,
    timezone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jitter: Option<SignedDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jitter_seed: Option<u64>,
    #[serde(default)]
    dst_gap: DstGap,
    #[serde(default)]
    dst_fold: DstFold,
}

impl Serialize for CronTrigger {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let inner = &*self.inner;
        let mut record = CronRecord {
            crontab: None,
            year: None,
            month: None,
            day: None,
            week: None,
            day_of_week: None,
            hour: None,
            minute: None,
            second: None,
            timezone: inner.zone.name().to_string(),
            start_date: inner.start_date,
            end_date: inner.end_date,
            jitter: inner.jitter.map(|j| j.max()),
            jitter_seed: inner.jitter.map(|j| j.seed()),
            dst_gap: inner.dst_gap,
            dst_fold: inner.dst_fold,
        };
        match &inner.expression {
            Expression::Crontab(expression) => record.crontab = Some(expression.clone()),
            Expression::Fields(fields) => {
                for (name, value) in fields {
                    let slot = match *name {
                        "year" => &mut record.year,
                        "month" => &mut record.month,
                        "day" => &mut record.day,
                        "week" => &mut record.week,
                        "day_of_week" => &mut record.day_of_week,
                        "hour" => &mut record.hour,
                        "minute" => &mut record.minute,
                        _ => &mut record.second,
                    };
                    *slot = Some(value.clone());
                }
            }
        }
        record.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CronTrigger {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<CronTrigger, D::Error> {
        let record = CronRecord::deserialize(deserializer)?;
        let mut builder = match record.crontab {
            Some(crontab) => CronTrigger::crontab(crontab),
            None => CronTrigger::builder(),
        };
        for (name, value) in [
            ("year", record.year),
            ("month", record.month),
            ("day", record.day),
            ("week", record.week),
            ("day_of_week", record.day_of_week),
            ("hour", record.hour),
            ("minute", record.minute),
            ("second", record.second),
        ] {
            if let Some(value) = value {
                if builder.crontab.is_some() {
                    return Err(serde::de::Error::custom(format!(
                        "{name}: a crontab trigger takes no separate fields"
                    )));
                }
                let name = FIELD_NAMES
                    .iter()
                    .find(|n| **n == name)
                    .copied()
                    .unwrap_or("second");
                builder.set_field(name, value);
            }
        }
        builder.timezone = Some(record.timezone);
        builder.start_date = record.start_date;
        builder.end_date = record.end_date;
        builder.jitter = record.jitter;
        builder.jitter_seed = record.jitter_seed;
        builder.dst_gap = record.dst_gap;
        builder.dst_fold = record.dst_fold;
        builder.build().map_err(serde::de::Error::custom)
    }
}
