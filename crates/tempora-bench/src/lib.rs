//! The benchmark workloads of `docs/workloads.md`, behind the
//! `tempora-bench` binary.
//!
//! ```text
//! tempora-bench W1 A|B|C [N]          # N defaults to 1,000,000
//! tempora-bench W2 N                  # 10000 or 100000
//! tempora-bench W3
//! tempora-bench W4-add [N] [--store URL]       # 10000
//! tempora-bench W4-restart [N] [--store URL]   # 100000
//! tempora-bench W4-acquire [N] [--store URL]   # 1000
//! tempora-bench W5
//! tempora-bench W6
//! tempora-bench W7-cluster NODES [N] [--store URL]   # 10000
//! tempora-bench API [N]                # 10000: the HTTP API on the memory store
//! tempora-bench API-sqlite [N]         # 10000: the same on SQLite
//! tempora-bench DASH-sqlite [N]        # 10000: the dashboard's jobs page on SQLite
//! tempora-bench repeat R <workload args…>
//! ```
//!
//! Each workload prints its results as JSON lines ([`output::Line`]). W1
//! ([`w1`]) measures Tempora's cron trigger and, in the same process, the
//! `cron` and `croner` crates on the same expression. W2, W3, W5 and W6
//! ([`engine`]) run the scheduler on the memory store, W4 and W7
//! ([`persistent`]) on the SQLite store, or with `--store URL` on
//! PostgreSQL, MySQL/MariaDB, Redis or MongoDB; W4-acquire times
//! one claim of N due jobs (Tempora's own workload, beside those of `docs/workloads.md`).
//! `repeat` ([`repeat`]) runs a workload in R fresh processes and prints the
//! medians.
//!
//! ```
//! let mut out = Vec::new();
//! tempora_bench::run(&["W1".into(), "B".into(), "100".into()], &mut out)?;
//! let text = String::from_utf8(out).unwrap();
//! assert_eq!(text.lines().count(), 3); // tempora, cron, croner
//! assert!(text.starts_with(r#"{"impl":"tempora-"#));
//! assert!(text.contains(r#""workload":"W1-B","value":"#));
//! # Ok::<(), tempora_bench::Error>(())
//! ```

pub mod api;
pub mod dashboard;
pub mod engine;
pub mod output;
pub mod persistent;
pub mod repeat;
pub mod w1;

use std::fmt;
use std::io::Write;

use output::Line;

/// The command-line synopsis, printed with a usage error.
pub const USAGE: &str = "\
usage: tempora-bench W1 A|B|C [N]        (N defaults to 1000000)
       tempora-bench W2 N                (10000 or 100000)
       tempora-bench W3
       tempora-bench W4-add [N] [--store URL]      (N defaults to 10000)
       tempora-bench W4-restart [N] [--store URL]  (N defaults to 100000)
       tempora-bench W4-acquire [N] [--store URL]  (N defaults to 1000)
                                 (URL: postgres://, mysql://, mariadb://,
                                  redis:// or mongodb://...; SQLite without one)
       tempora-bench W5
       tempora-bench W6
       tempora-bench W7-cluster NODES [N] [--store URL]  (N defaults to 10000)
       tempora-bench API [N]             (N defaults to 10000; memory store)
       tempora-bench API-sqlite [N]      (N defaults to 10000; SQLite store)
       tempora-bench DASH-sqlite [N]     (N defaults to 10000; SQLite store)
       tempora-bench repeat R <workload args...>";

/// What went wrong: a command line that does not parse, or a run that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
    usage: bool,
}

impl Error {
    /// A command line that does not parse.
    ///
    /// ```
    /// assert!(tempora_bench::Error::usage("W9: unknown workload").is_usage());
    /// ```
    pub fn usage(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            usage: true,
        }
    }

    /// A run that failed.
    ///
    /// ```
    /// assert!(!tempora_bench::Error::run("child failed").is_usage());
    /// ```
    pub fn run(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            usage: false,
        }
    }

    /// Whether the command line was at fault (the binary then prints [`USAGE`]).
    ///
    /// ```
    /// let error = tempora_bench::Command::parse(&["W9".into()]).unwrap_err();
    /// assert!(error.is_usage());
    /// ```
    pub fn is_usage(&self) -> bool {
        self.usage
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `W1 A|B|C [N]`.
    W1 {
        /// Which expression.
        expression: w1::Expression,
        /// How many next-fire computations.
        n: u64,
    },
    /// `W2 N`.
    W2 {
        /// How many one-shot jobs.
        n: u64,
    },
    /// `W3`.
    W3,
    /// `W4-add [N] [--store URL]`.
    W4Add {
        /// How many jobs to add.
        n: u64,
        /// The store.
        target: persistent::Target,
    },
    /// `W4-restart [N] [--store URL]`.
    W4Restart {
        /// How many jobs in the store.
        n: u64,
        /// The store.
        target: persistent::Target,
    },
    /// The restarted process of W4-restart (internal): the store's place.
    W4RestartChild {
        /// The SQLite file or the PostgreSQL URL.
        location: String,
        /// The table prefix.
        prefix: String,
        /// The store.
        target: persistent::Target,
    },
    /// `W4-acquire [N] [--store URL]`.
    W4Acquire {
        /// How many due jobs one call claims.
        n: u64,
        /// The store.
        target: persistent::Target,
    },
    /// `W7-cluster NODES [N] [--store URL]`.
    W7Cluster {
        /// How many schedulers share the store.
        nodes: u64,
        /// How many due one-shot jobs they fire.
        n: u64,
        /// The store.
        target: persistent::Target,
    },
    /// `API [N]` and `API-sqlite [N]`.
    Api {
        /// How many jobs the store holds.
        n: u64,
        /// On SQLite rather than the memory store.
        sqlite: bool,
    },
    /// `DASH-sqlite [N]`.
    Dashboard {
        /// How many jobs the store holds.
        n: u64,
    },
    /// `W5`.
    W5,
    /// `W6`.
    W6,
    /// `repeat R <workload args…>`.
    Repeat {
        /// R, how many runs.
        count: usize,
        /// The workload's arguments, passed to each run.
        args: Vec<String>,
    },
}

impl Command {
    /// Parses the arguments after the program name.
    ///
    /// # Errors
    ///
    /// A usage error naming what does not parse.
    ///
    /// ```
    /// use tempora_bench::Command;
    /// use tempora_bench::persistent::Target;
    /// use tempora_bench::w1::Expression;
    ///
    /// let command = Command::parse(&["W1".into(), "C".into()])?;
    /// assert_eq!(command, Command::W1 { expression: Expression::C, n: 1_000_000 });
    /// let command = Command::parse(&["W2".into(), "100_000".into()])?;
    /// assert_eq!(command, Command::W2 { n: 100_000 });
    /// let command = Command::parse(&["W4-acquire".into(), "--store".into(), "postgres://db/test".into()])?;
    /// assert_eq!(
    ///     command,
    ///     Command::W4Acquire { n: 1000, target: Target::Postgres("postgres://db/test".into()) }
    /// );
    /// # Ok::<(), tempora_bench::Error>(())
    /// ```
    pub fn parse(args: &[String]) -> Result<Command, Error> {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        let store = take_store(&mut args)?;
        let w4 = |name: &str| -> Result<persistent::Target, Error> {
            match store {
                Some(_) if !(name.starts_with("W4") || name.starts_with("W7")) => {
                    Err(Error::usage(format!(
                        "{name}: --store is for the W4 and W7 workloads only"
                    )))
                }
                _ => persistent::Target::parse(store),
            }
        };
        if let Some(first) = args.first() {
            w4(first)?;
        }
        let command = match args.as_slice() {
            ["W1", expression, rest @ ..] if rest.len() <= 1 => Command::W1 {
                expression: w1::Expression::parse(expression)
                    .ok_or_else(|| Error::usage(format!("W1: {expression:?} is not A, B or C")))?,
                n: optional_n(rest, w1::DEFAULT_N)?,
            },
            ["W2", n] => Command::W2 { n: parse_n(n)? },
            ["W3"] => Command::W3,
            ["W4-add", rest @ ..] if rest.len() <= 1 => Command::W4Add {
                n: optional_n(rest, 10_000)?,
                target: w4("W4-add")?,
            },
            ["W4-restart", rest @ ..] if rest.len() <= 1 => Command::W4Restart {
                n: optional_n(rest, 100_000)?,
                target: w4("W4-restart")?,
            },
            ["W4-restart-child", location, prefix] => Command::W4RestartChild {
                location: location.to_string(),
                prefix: prefix.to_string(),
                target: w4("W4-restart-child")?,
            },
            ["W4-acquire", rest @ ..] if rest.len() <= 1 => Command::W4Acquire {
                n: optional_n(rest, 1_000)?,
                target: w4("W4-acquire")?,
            },
            ["W7-cluster", nodes, rest @ ..] if rest.len() <= 1 => Command::W7Cluster {
                nodes: parse_n(nodes)?,
                n: optional_n(rest, 10_000)?,
                target: w4("W7-cluster")?,
            },
            ["API", rest @ ..] if rest.len() <= 1 => Command::Api {
                n: optional_n(rest, 10_000)?,
                sqlite: false,
            },
            ["API-sqlite", rest @ ..] if rest.len() <= 1 => Command::Api {
                n: optional_n(rest, 10_000)?,
                sqlite: true,
            },
            ["DASH-sqlite", rest @ ..] if rest.len() <= 1 => Command::Dashboard {
                n: optional_n(rest, 10_000)?,
            },
            ["W5"] => Command::W5,
            ["W6"] => Command::W6,
            ["repeat", count, rest @ ..] if !rest.is_empty() => {
                let count = count
                    .parse::<usize>()
                    .ok()
                    .filter(|count| *count >= 1)
                    .ok_or_else(|| {
                        Error::usage(format!("repeat: R {count:?} is not a whole number >= 1"))
                    })?;
                let args: Vec<String> = rest.iter().map(|arg| arg.to_string()).collect();
                match Command::parse(&args)? {
                    Command::Repeat { .. } => {
                        return Err(Error::usage("repeat: the workload cannot be repeat"));
                    }
                    _ => Command::Repeat { count, args },
                }
            }
            [] => return Err(Error::usage("no workload given")),
            [first, ..] => {
                return Err(Error::usage(format!(
                    "{first:?}: unknown workload or wrong arguments: {}",
                    args.join(" ")
                )));
            }
        };
        Ok(command)
    }
}

/// Removes `--store URL` from `args`, giving the URL.
fn take_store<'a>(args: &mut Vec<&'a str>) -> Result<Option<&'a str>, Error> {
    // After `repeat R`, the workload's own arguments are passed on as they are.
    if args.first() == Some(&"repeat") {
        return Ok(None);
    }
    let Some(at) = args.iter().position(|arg| *arg == "--store") else {
        return Ok(None);
    };
    if at + 1 >= args.len() {
        return Err(Error::usage("--store: a URL must follow"));
    }
    let url = args.remove(at + 1);
    args.remove(at);
    Ok(Some(url))
}

fn optional_n(rest: &[&str], default: u64) -> Result<u64, Error> {
    match rest {
        [n] => parse_n(n),
        _ => Ok(default),
    }
}

/// Reads a work size: a whole number >= 1, `_` or `,` allowed between digits.
fn parse_n(text: &str) -> Result<u64, Error> {
    text.replace(['_', ','], "")
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| Error::usage(format!("N: {text:?} is not a whole number >= 1")))
}

/// Runs the command line `args` (without the program name), writing each
/// result line to `out` as soon as it is ready.
///
/// # Errors
///
/// A usage error, a failed `repeat` child, or a failure to write to `out`.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<(), Error> {
    let command = Command::parse(args)?;
    if let Command::W4RestartChild {
        location,
        prefix,
        target,
    } = &command
    {
        let timings = persistent::w4_restart_child(location, prefix, target).map_err(Error::run)?;
        return writeln!(out, "{timings}")
            .map_err(|error| Error::run(format!("cannot write the results: {error}")));
    }
    let mut write_error = None;
    let mut emit = |line: Line| {
        if write_error.is_none()
            && let Err(error) = writeln!(out, "{line}").and_then(|()| out.flush())
        {
            write_error = Some(error);
        }
    };
    match command {
        Command::W1 { expression, n } => w1::measure(expression, n, &mut emit),
        Command::W2 { n } => engine::w2(n, &mut emit),
        Command::W3 => engine::w3(&mut emit),
        Command::W5 => engine::w5(&mut emit),
        Command::Api { n, sqlite } => api::measure(n, sqlite, &mut emit),
        Command::Dashboard { n } => dashboard::measure(n, &mut emit),
        Command::W6 => engine::w6(&mut emit),
        Command::W4Add { n, target } => persistent::w4_add(n, &target, &mut emit),
        Command::W4Restart { n, target } => persistent::w4_restart(n, &target, &mut emit),
        Command::W4Acquire { n, target } => persistent::w4_acquire(n, &target, &mut emit),
        Command::W7Cluster { nodes, n, target } => {
            persistent::w7_cluster(nodes, n, &target, &mut emit);
        }
        Command::W4RestartChild { .. } => {}
        Command::Repeat { count, args } => {
            for line in repeat::repeat(count, &args)? {
                emit(line);
            }
        }
    }
    match write_error {
        Some(error) => Err(Error::run(format!("cannot write the results: {error}"))),
        None => Ok(()),
    }
}
