//! W1 cron-next: the cost of computing the next fire time, for Tempora and,
//! in the same process, on the same expression and N, for the `cron` and
//! `croner` crates.
//!
//! Every implementation runs the same chain ([`run_chain`]): from
//! [`S0`], N times "the first fire time strictly after t", restarting at
//! [`S0`] when t reaches the horizon [`HORIZON`]. The final t (`check`) and
//! the number of restarts (`wraps`) must match docs/workloads.md's table
//! ([`Expression::expected`]); a run that does not is reported with value
//! `null` and an `error`, as is one the implementation cannot express.

use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat};
use chrono_tz::Tz;
use jiff::Timestamp;
use tempora::trigger::{CronTrigger, Zone};

use crate::output::Line;

/// N when the command line gives none.
pub const DEFAULT_N: u64 = 1_000_000;

/// The zone every W1 expression is evaluated in.
pub const TIMEZONE: &str = "Europe/Berlin";

/// Where every chain starts, and restarts after reaching the horizon.
pub const S0: &str = "2026-03-01T00:00:00+01:00";

/// A chain that reaches this instant restarts at [`S0`].
pub const HORIZON: &str = "2099-01-01T00:00:00+01:00";

/// The `impl` name of Tempora: `tempora-<version>`.
pub const TEMPORA_IMPL: &str = concat!("tempora-", env!("CARGO_PKG_VERSION"));

/// The version of the `cron` crate that Cargo.lock resolves (a test checks it).
pub const CRON_VERSION: &str = "0.17.0";

/// The version of the `croner` crate that Cargo.lock resolves (a test checks it).
pub const CRONER_VERSION: &str = "4.0.3";

/// One of the three W1 expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expression {
    /// `second='*/5'`: every 5 seconds.
    A,
    /// `second=0, minute='*/15', hour='9-17', day_of_week='mon-fri'`.
    B,
    /// `second=0, minute=0, hour=0, day='last'`: midnight on the last day of each month.
    C,
}

/// The `check` and `wraps` that docs/workloads.md's table gives for an expression and N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The final t, RFC 3339 with offset.
    pub check: &'static str,
    /// How many times the chain restarted at [`S0`].
    pub wraps: u64,
}

impl Expression {
    /// A, B and C.
    pub const ALL: [Expression; 3] = [Expression::A, Expression::B, Expression::C];

    /// Reads `A`, `B` or `C` (either case).
    ///
    /// ```
    /// use tempora_bench::w1::Expression;
    /// assert_eq!(Expression::parse("b"), Some(Expression::B));
    /// assert_eq!(Expression::parse("D"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Expression> {
        match text {
            "A" | "a" => Some(Expression::A),
            "B" | "b" => Some(Expression::B),
            "C" | "c" => Some(Expression::C),
            _ => None,
        }
    }

    /// The workload id: `W1-A`, `W1-B` or `W1-C`.
    ///
    /// ```
    /// assert_eq!(tempora_bench::w1::Expression::C.workload(), "W1-C");
    /// ```
    pub fn workload(self) -> &'static str {
        match self {
            Expression::A => "W1-A",
            Expression::B => "W1-B",
            Expression::C => "W1-C",
        }
    }

    /// The APScheduler fields of the expression, as docs/workloads.md's table
    /// gives them; Tempora's trigger is built from these.
    ///
    /// ```
    /// let fields = tempora_bench::w1::Expression::A.fields();
    /// assert_eq!(fields, &[("second", "*/5")]);
    /// ```
    pub fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Expression::A => &[("second", "*/5")],
            Expression::B => &[
                ("second", "0"),
                ("minute", "*/15"),
                ("hour", "9-17"),
                ("day_of_week", "mon-fri"),
            ],
            Expression::C => &[
                ("second", "0"),
                ("minute", "0"),
                ("hour", "0"),
                ("day", "last"),
            ],
        }
    }

    /// The fields written as APScheduler would print them: `second='*/5'`.
    ///
    /// ```
    /// assert_eq!(
    ///     tempora_bench::w1::Expression::C.fields_text(),
    ///     "second='0', minute='0', hour='0', day='last'"
    /// );
    /// ```
    pub fn fields_text(self) -> String {
        self.fields()
            .iter()
            .map(|(name, value)| format!("{name}='{value}'"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Tempora's trigger for the expression, built from [`fields`](Self::fields)
    /// in [`TIMEZONE`].
    ///
    /// # Errors
    ///
    /// Tempora's error if it rejects a field.
    ///
    /// ```
    /// let trigger = tempora_bench::w1::Expression::B.tempora_trigger()?;
    /// assert_eq!(trigger.zone().name(), "Europe/Berlin");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn tempora_trigger(self) -> tempora::Result<CronTrigger> {
        let mut builder = CronTrigger::builder().timezone(TIMEZONE);
        for (name, value) in self.fields() {
            builder = match *name {
                "second" => builder.second(value),
                "minute" => builder.minute(value),
                "hour" => builder.hour(value),
                "day" => builder.day(value),
                "day_of_week" => builder.day_of_week(value),
                // The tables above name no other field.
                _ => builder,
            };
        }
        builder.build()
    }

    /// The crontab form for the `cron` crate: seconds first, and its day of
    /// week counts 1 = Sunday … 7 = Saturday, so Monday to Friday is written
    /// by name (`1-5` would mean Sunday to Thursday there).
    ///
    /// ```
    /// assert_eq!(tempora_bench::w1::Expression::B.cron_crate_expression(), "0 */15 9-17 * * Mon-Fri");
    /// ```
    pub fn cron_crate_expression(self) -> &'static str {
        match self {
            Expression::A => "*/5 * * * * *",
            Expression::B => "0 */15 9-17 * * Mon-Fri",
            Expression::C => "0 0 0 L * *",
        }
    }

    /// The crontab form for `croner`, parsed with seconds required; its day
    /// of week is POSIX (0 = Sunday, 1 = Monday).
    ///
    /// ```
    /// assert_eq!(tempora_bench::w1::Expression::B.croner_expression(), "0 */15 9-17 * * 1-5");
    /// ```
    pub fn croner_expression(self) -> &'static str {
        match self {
            Expression::A => "*/5 * * * * *",
            Expression::B => "0 */15 9-17 * * 1-5",
            Expression::C => "0 0 0 L * *",
        }
    }

    /// docs/workloads.md's `check` and `wraps` for `n`, known for 100,000 and 1,000,000.
    ///
    /// ```
    /// use tempora_bench::w1::Expression;
    /// assert_eq!(Expression::C.expected(100_000).map(|e| e.wraps), Some(114));
    /// assert_eq!(Expression::C.expected(5), None);
    /// ```
    pub fn expected(self, n: u64) -> Option<Expected> {
        let (check, wraps) = match (self, n) {
            (Expression::A, 100_000) => ("2026-03-06T18:53:20+01:00", 0),
            (Expression::B, 100_000) => ("2036-10-22T15:45:00+02:00", 0),
            (Expression::C, 100_000) => ("2046-12-31T00:00:00+01:00", 114),
            (Expression::A, 1_000_000) => ("2026-04-27T21:53:20+02:00", 0),
            (Expression::B, 1_000_000) => ("2059-10-17T15:30:00+02:00", 1),
            (Expression::C, 1_000_000) => ("2088-08-31T00:00:00+02:00", 1142),
            _ => return None,
        };
        Some(Expected { check, wraps })
    }
}

/// The outcome of a completed chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// Time spent in the N steps.
    pub elapsed: Duration,
    /// The final t, RFC 3339 with its offset in [`TIMEZONE`].
    pub check: String,
    /// How many times the chain restarted at [`S0`].
    pub wraps: u64,
}

/// Why a chain could not complete: the step that failed and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken<T, E> {
    /// The 0-based step that failed.
    pub step: u64,
    /// The t it was asked for the next fire time after.
    pub after: T,
    /// What the implementation answered.
    pub error: E,
}

/// Runs the W1 chain, timing only the N steps.
///
/// `next(t)` is the first fire time strictly after `t`. `T` is any instant
/// type that orders by instant.
///
/// # Errors
///
/// The first step at which `next` fails, with the failure.
///
/// ```
/// use tempora_bench::w1::run_chain;
///
/// // Every 10, with the horizon at 35: 10, 20, 30, (40 ≥ 35 →) 0, 10.
/// let (last, wraps, _) = run_chain(5, 0, 35, |t| Ok::<i64, ()>(t + 10)).unwrap();
/// assert_eq!((last, wraps), (10, 1));
/// ```
pub fn run_chain<T, E>(
    n: u64,
    s0: T,
    horizon: T,
    mut next: impl FnMut(T) -> Result<T, E>,
) -> Result<(T, u64, Duration), Broken<T, E>>
where
    T: Copy + PartialOrd,
{
    let mut t = s0;
    let mut wraps = 0_u64;
    let start = Instant::now();
    for step in 0..n {
        t = match next(black_box(t)) {
            Ok(fire) => fire,
            Err(error) => {
                return Err(Broken {
                    step,
                    after: t,
                    error,
                });
            }
        };
        if t >= horizon {
            t = s0;
            wraps += 1;
        }
    }
    let elapsed = start.elapsed();
    Ok((black_box(t), wraps, elapsed))
}

/// Tempora's chain for `expression`.
///
/// # Errors
///
/// What went wrong, as the `error` of the output line.
///
/// ```
/// use tempora_bench::w1::{Expression, tempora_chain};
/// let chain = tempora_chain(Expression::A, 3)?;
/// assert_eq!(chain.check, "2026-03-01T00:00:15+01:00");
/// # Ok::<(), String>(())
/// ```
pub fn tempora_chain(expression: Expression, n: u64) -> Result<Chain, String> {
    let trigger = expression
        .tempora_trigger()
        .map_err(|error| format!("tempora rejects {}: {error}", expression.fields_text()))?;
    let zone = trigger.zone().clone();
    let s0 = parse_tempora(&zone, S0)?;
    let horizon = parse_tempora(&zone, HORIZON)?;
    let trigger = black_box(&trigger);
    let (last, wraps, elapsed) = run_chain(n, s0, horizon, |t| {
        trigger
            .next_fire_time(Some(t), t)
            .ok_or("no next fire time")
    })
    .map_err(|broken| {
        format!(
            "next_fire_time(Some(t), t) at step {} after {}: {}",
            broken.step,
            zone.format(broken.after),
            broken.error
        )
    })?;
    Ok(Chain {
        elapsed,
        check: zone.format(last),
        wraps,
    })
}

fn parse_tempora(zone: &Zone, text: &str) -> Result<Timestamp, String> {
    zone.parse_time(text)
        .map_err(|error| format!("tempora cannot read {text}: {error}"))
}

/// The `cron` crate's chain for `expression`: `Schedule::from_str` and
/// `schedule.after(&t).next()` on a chrono-tz `DateTime` in [`TIMEZONE`].
///
/// # Errors
///
/// What went wrong, as the `error` of the output line; for example that
/// the crate does not parse the expression.
///
/// ```
/// use tempora_bench::w1::{Expression, cron_chain};
/// let chain = cron_chain(Expression::A, 3)?;
/// assert_eq!(chain.check, "2026-03-01T00:00:15+01:00");
/// assert!(cron_chain(Expression::C, 3).unwrap_err().contains("cannot parse"));
/// # Ok::<(), String>(())
/// ```
pub fn cron_chain(expression: Expression, n: u64) -> Result<Chain, String> {
    let text = expression.cron_crate_expression();
    let schedule = cron::Schedule::from_str(text).map_err(|error| {
        // The crate's message repeats the expression and a caret line
        // above the reason: keep the reason.
        let error = error.to_string();
        let reason = error.lines().last().unwrap_or_default().trim();
        format!("cron-{CRON_VERSION} cannot parse {text:?}: {reason}")
    })?;
    let (s0, horizon) = chrono_bounds()?;
    let schedule = black_box(&schedule);
    let (last, wraps, elapsed) = run_chain(n, s0, horizon, |t| {
        schedule.after(&t).next().ok_or("the iterator ended")
    })
    .map_err(|broken| {
        format!(
            "schedule.after(&t).next() at step {} after {}: {}",
            broken.step,
            format_chrono(&broken.after),
            broken.error
        )
    })?;
    Ok(Chain {
        elapsed,
        check: format_chrono(&last),
        wraps,
    })
}

/// `croner`'s chain for `expression`: parsed with seconds required, and
/// `find_next_occurrence(&t, false)` on a chrono-tz `DateTime` in [`TIMEZONE`].
///
/// # Errors
///
/// What went wrong, as the `error` of the output line.
///
/// ```
/// use tempora_bench::w1::{Expression, croner_chain};
/// let chain = croner_chain(Expression::C, 2)?;
/// assert_eq!(chain.check, "2026-04-30T00:00:00+02:00");
/// # Ok::<(), String>(())
/// ```
pub fn croner_chain(expression: Expression, n: u64) -> Result<Chain, String> {
    use croner::parser::{CronParser, Seconds};

    let text = expression.croner_expression();
    let cron = CronParser::builder()
        .seconds(Seconds::Required)
        .build()
        .parse(text)
        .map_err(|error| format!("croner-{CRONER_VERSION} cannot parse {text:?}: {error}"))?;
    let (s0, horizon) = chrono_bounds()?;
    let cron = black_box(&cron);
    let (last, wraps, elapsed) =
        run_chain(n, s0, horizon, |t| cron.find_next_occurrence(&t, false)).map_err(|broken| {
            format!(
                "find_next_occurrence(&t, false) at step {} after {}: {}",
                broken.step,
                format_chrono(&broken.after),
                broken.error
            )
        })?;
    Ok(Chain {
        elapsed,
        check: format_chrono(&last),
        wraps,
    })
}

/// [`S0`] and [`HORIZON`] as chrono-tz times in [`TIMEZONE`].
fn chrono_bounds() -> Result<(DateTime<Tz>, DateTime<Tz>), String> {
    let zone = Tz::from_str(TIMEZONE)
        .map_err(|error| format!("chrono-tz does not know {TIMEZONE}: {error}"))?;
    let parse = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&zone))
            .map_err(|error| format!("chrono cannot read {text}: {error}"))
    };
    Ok((parse(S0)?, parse(HORIZON)?))
}

fn format_chrono(time: &DateTime<Tz>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Turns a chain's outcome into the output line: value = elapsed ns / N,
/// or `null` with an `error` when the chain broke or its `check` or `wraps`
/// differ from docs/workloads.md's table.
///
/// ```
/// use std::time::Duration;
/// use tempora_bench::w1::{Chain, Expression, line};
///
/// let chain = Chain { elapsed: Duration::from_micros(25), check: "2026".into(), wraps: 0 };
/// let line = line("x-1", Expression::A, 100, "e", Ok(chain));
/// assert_eq!(line.value, Some(250.0));
/// ```
pub fn line(
    impl_name: &str,
    expression: Expression,
    n: u64,
    text: &str,
    outcome: Result<Chain, String>,
) -> Line {
    let line = Line::new(impl_name, expression.workload(), "ns/op", n);
    let chain = match outcome {
        Ok(chain) => chain,
        Err(error) => return line.error(error).with("expr", text),
    };
    let ns_per_op = if n == 0 {
        0.0
    } else {
        chain.elapsed.as_nanos() as f64 / n as f64
    };
    let ns_per_op = (ns_per_op * 1000.0).round() / 1000.0;
    let line = line
        .value(ns_per_op)
        .with("check", chain.check.as_str())
        .with("wraps", chain.wraps)
        .with("expr", text);
    match expression.expected(n) {
        Some(expected) if (expected.check, expected.wraps) != (&*chain.check, chain.wraps) => {
            line.with("measured_ns_per_op", ns_per_op).error(format!(
                "wrong result: check {} with wraps {}, docs/workloads.md expects {} with wraps {}",
                chain.check, chain.wraps, expected.check, expected.wraps
            ))
        }
        _ => line,
    }
}

/// Runs W1 for `expression` and N = `n`: Tempora, then the `cron` crate,
/// then `croner`, calling `emit` with each line as soon as it is ready.
///
/// ```
/// use tempora_bench::w1::{Expression, TEMPORA_IMPL, measure};
///
/// let mut lines = Vec::new();
/// measure(Expression::A, 10, &mut |line| lines.push(line));
/// let impls: Vec<_> = lines.iter().map(|line| line.impl_name.as_str()).collect();
/// assert_eq!(impls, [TEMPORA_IMPL, "cron-0.17.0", "croner-4.0.3"]);
/// ```
pub fn measure(expression: Expression, n: u64, emit: &mut dyn FnMut(Line)) {
    emit(line(
        TEMPORA_IMPL,
        expression,
        n,
        &expression.fields_text(),
        tempora_chain(expression, n),
    ));
    emit(line(
        &format!("cron-{CRON_VERSION}"),
        expression,
        n,
        expression.cron_crate_expression(),
        cron_chain(expression, n),
    ));
    emit(line(
        &format!("croner-{CRONER_VERSION}"),
        expression,
        n,
        expression.croner_expression(),
        croner_chain(expression, n),
    ));
}
