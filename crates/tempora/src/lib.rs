//! Tempora is a job scheduler: a program embeds it to run its own functions
//! later, once, at intervals or on a calendar, correct across time zones and
//! DST changes.
//!
//! This release holds the part everything else stands on: [`trigger`]s,
//! which answer "when does this fire next?".
//!
//! ```
//! use tempora::trigger::CronTrigger;
//!
//! // Every 15 minutes from 09:00 to 17:45, Monday to Friday, Berlin time.
//! let trigger = CronTrigger::crontab("*/15 9-17 * * mon-fri").timezone("Europe/Berlin").build()?;
//! let zone = trigger.zone();
//! let now = zone.parse_time("2026-03-27 17:50")?; // a Friday
//! let next = trigger.next_fire_time(None, now).unwrap();
//! assert_eq!(zone.format(next), "2026-03-30T09:00:00+02:00"); // summer time began on Sunday
//! # Ok::<(), tempora::Error>(())
//! ```
//!
//! # Concepts
//!
//! * A **trigger** is a pure value: [`trigger::Trigger::next_fire_time`]
//!   takes the previous fire time and "now", and never reads a clock. That
//!   makes every schedule testable to the second across years of DST changes.
//! * A **zone** ([`trigger::Zone`]) is where a trigger's wall clock hangs:
//!   an IANA name, `UTC`, or a fixed offset.
//! * **DST policies** ([`trigger::DstGap`], [`trigger::DstFold`]) say what a
//!   wall-clock trigger does with a time that does not exist or happens twice.
//! * **Errors** are one type, [`Error`], whose messages name the field and
//!   the value: `hour: 24 is out of range 0-23`.
//!
//! # Cookbook
//!
//! Every weekday at 09:30 in New York, from APScheduler-style fields:
//!
//! ```
//! use tempora::trigger::CronTrigger;
//!
//! let trigger = CronTrigger::builder()
//!     .day_of_week("mon-fri")
//!     .hour(9)
//!     .minute(30)
//!     .timezone("America/New_York")
//!     .build()?;
//! # Ok::<(), tempora::Error>(())
//! ```
//!
//! Every 90 minutes of elapsed time, from a fixed start:
//!
//! ```
//! use tempora::trigger::{IntervalTrigger, Zone};
//!
//! let start = Zone::utc().parse_time("2026-01-01 00:00")?;
//! let trigger = IntervalTrigger::builder().hours(1).minutes(30).start_date(start).timezone("UTC").build()?;
//! # Ok::<(), tempora::Error>(())
//! ```

#![deny(missing_docs)]

pub mod clock;
pub mod config;
mod error;
pub mod event;
pub mod executor;
pub mod job;
pub mod scheduler;
pub mod store;
pub mod task;
pub mod trigger;

pub use crate::error::{Error, Result};
pub use jiff;
