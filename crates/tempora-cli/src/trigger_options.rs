//! What the CLI's triggers take beside their own fields — zone, bounds,
//! DST policies, jitter — applied the one way for `tempora next` and for
//! the configuration file's jobs.

use jiff::{SignedDuration, Timestamp};
use tempora::trigger::{
    CalendarIntervalTriggerBuilder, CronTriggerBuilder, DstFold, DstGap, IntervalTriggerBuilder,
    Zone,
};

/// The options every calendar trigger of the CLI shares; `None` leaves the
/// trigger's own default.
pub(crate) struct TriggerOptions<'a> {
    /// The zone, for the calendar date of a calendar interval's bounds.
    pub(crate) zone: &'a Zone,
    /// The zone's name as the trigger stores it.
    pub(crate) timezone: &'a str,
    pub(crate) start: Option<Timestamp>,
    pub(crate) end: Option<Timestamp>,
    pub(crate) gap: Option<DstGap>,
    pub(crate) fold: Option<DstFold>,
    pub(crate) jitter: Option<SignedDuration>,
}

impl TriggerOptions<'_> {
    /// A cron or crontab trigger's zone, bounds, policies and jitter.
    pub(crate) fn cron(&self, mut builder: CronTriggerBuilder) -> CronTriggerBuilder {
        builder = builder.timezone(self.timezone);
        if let Some(start) = self.start {
            builder = builder.start_date(start);
        }
        if let Some(end) = self.end {
            builder = builder.end_date(end);
        }
        if let Some(gap) = self.gap {
            builder = builder.dst_gap(gap);
        }
        if let Some(fold) = self.fold {
            builder = builder.dst_fold(fold);
        }
        if let Some(jitter) = self.jitter {
            builder = builder.jitter(jitter);
        }
        builder
    }

    /// An interval's zone, bounds and jitter (it counts elapsed time, so no
    /// DST policy applies).
    pub(crate) fn interval(&self, mut builder: IntervalTriggerBuilder) -> IntervalTriggerBuilder {
        builder = builder.timezone(self.timezone);
        if let Some(start) = self.start {
            builder = builder.start_date(start);
        }
        if let Some(end) = self.end {
            builder = builder.end_date(end);
        }
        if let Some(jitter) = self.jitter {
            builder = builder.jitter(jitter);
        }
        builder
    }

    /// A calendar interval's zone, bounds and policies. It counts whole
    /// days, so its bounds are the calendar dates of the given instants on
    /// the zone's wall clock.
    pub(crate) fn calendar_interval(
        &self,
        mut builder: CalendarIntervalTriggerBuilder,
    ) -> CalendarIntervalTriggerBuilder {
        builder = builder.timezone(self.timezone);
        let date = |instant: Timestamp| self.zone.time_zone().to_datetime(instant).date();
        if let Some(start) = self.start {
            builder = builder.start_date(date(start));
        }
        if let Some(end) = self.end {
            builder = builder.end_date(date(end));
        }
        if let Some(gap) = self.gap {
            builder = builder.dst_gap(gap);
        }
        if let Some(fold) = self.fold {
            builder = builder.dst_fold(fold);
        }
        builder
    }
}
