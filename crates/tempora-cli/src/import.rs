//! `tempora import crontab`: a crontab converted into `[[job]]` tables.
//!
//! Both formats are read: a user's crontab (`crontab -l`: five time fields,
//! then the command) and the system's (`/etc/crontab`, `/etc/cron.d/*`: a
//! user column after the fields, which becomes the job's `user`). What
//! cron does with a line is kept:
//!
//! - comments are copied above the job that follows them;
//! - `NAME=value` lines set the environment of the jobs below them
//!   (`env`); `CRON_TZ` (and `TZ`) sets their `timezone`, `SHELL` the
//!   program that runs their command (`/bin/sh` unless set);
//! - in a command, the first `%` not escaped as `\%` ends the command: what
//!   follows is its standard input, each further `%` a newline (a here
//!   document of the job's `shell`); `\%` is a `%`;
//! - `@yearly` … `@hourly` are kept as they are (Tempora's crontab grammar
//!   reads them).
//!
//! `MAILTO=address` becomes a notification of the jobs below it: a failed
//! run is mailed (`notify = { on = ["failure"], command = ["mail", …] }`,
//! the notice as the body), where cron mails any output.
//!
//! What has no equivalent is reported with its line number, on standard
//! error and as a comment where the line was: `@reboot`, `MAILFROM`, lines
//! that are not crontab lines, schedules Tempora refuses.
//!
//! ```
//! use tempora_cli::import::convert_crontab;
//!
//! let crontab = "# nightly dump\nCRON_TZ=Europe/Berlin\n30 2 * * * pg_dump app > /tmp/app.sql\n@reboot /usr/bin/warm-cache\n";
//! let converted = convert_crontab(crontab, "crontab", false);
//! assert!(converted.toml.starts_with(
//!     "\x23 nightly dump\n[[job]]\nid = \"pg_dump-3\"\ncron = \"30 2 * * *\"\n\
//!      timezone = \"Europe/Berlin\"\nshell = \"pg_dump app > /tmp/app.sql\"\n"
//! ));
//! // What has no equivalent stays, commented out, where it was.
//! assert!(converted.toml.ends_with("\n\x23 @reboot /usr/bin/warm-cache\n\n"));
//! assert_eq!(converted.warnings, vec![
//!     "crontab:4: @reboot is not supported: Tempora has no trigger for the system's start; run it from a systemd unit instead".to_owned(),
//! ]);
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use clap::{Args, Subcommand};
use tempora::Error;
use tempora::trigger::CronTrigger;

/// `tempora import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What to import.
    #[command(subcommand)]
    pub source: ImportSource,
}

/// The formats `tempora import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// Print a crontab as `[[job]]` tables for the configuration file.
    ///
    /// Comments are kept, `VAR=value`, `CRON_TZ`, `TZ`, `SHELL` and
    /// `MAILTO` lines applied to the jobs below them (`MAILTO`: a failed
    /// run is mailed), `%` in a command handled as cron does (standard
    /// input, newlines, `\%`). Lines with no equivalent (`@reboot`,
    /// `MAILFROM`, a line that is not a crontab line) are
    /// reported on stderr as FILE:LINE: why, and as comments in the
    /// output. /etc/crontab and files under /etc/cron.d have a user column
    /// (--system), which becomes each job's `user`.
    Crontab(CrontabArgs),
}

/// `tempora import crontab`.
#[derive(Debug, Args)]
pub struct CrontabArgs {
    /// The crontab: a file, or - for standard input (`crontab -l |
    /// tempora import crontab -`).
    #[arg(default_value = "-", value_name = "FILE")]
    pub file: String,
    /// The system format: a user column after the five time fields.
    /// Default: on for /etc/crontab and files under /etc/cron.d.
    #[arg(long)]
    pub system: bool,
}

/// Runs `tempora import`: the tables on stdout, the reports on stderr.
///
/// # Errors
///
/// The file cannot be read.
pub fn run(args: &ImportArgs) -> crate::Result<String> {
    let ImportSource::Crontab(args) = &args.source;
    let (text, name) = if args.file == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|error| Error::invalid("file", format!("cannot read stdin: {error}")))?;
        (text, "-".to_owned())
    } else {
        let text = std::fs::read_to_string(&args.file).map_err(|error| {
            Error::invalid("file", format!("cannot read {:?}: {error}", args.file))
        })?;
        (text, args.file.clone())
    };
    let system = args.system || is_system_crontab(Path::new(&args.file));
    let converted = convert_crontab(&text, &name, system);
    for warning in &converted.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(converted.toml)
}

/// True for the system's crontabs, which have a user column.
fn is_system_crontab(path: &Path) -> bool {
    path == Path::new("/etc/crontab") || path.starts_with("/etc/cron.d")
}

/// A crontab converted: the `[[job]]` tables, and what could not be
/// converted as `NAME:LINE: why` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// The tables (TOML), comments included.
    pub toml: String,
    /// One line per line of the crontab that has no equivalent.
    pub warnings: Vec<String>,
}

/// One job read from a crontab line.
#[derive(Debug)]
struct CronJob {
    line: usize,
    schedule: String,
    user: Option<String>,
    command: String,
    stdin: Option<String>,
}

/// Converts the crontab `text` (named `name` in the reports); `system`
/// reads a user column after the time fields.
pub fn convert_crontab(text: &str, name: &str, system: bool) -> Conversion {
    let mut out = String::new();
    let mut warnings = Vec::new();
    let mut comments: Vec<String> = Vec::new();
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut zone: Option<String> = None;
    let mut shell: Option<String> = None;
    let mut mail_to: Option<String> = None;
    let mut report =
        |out: &mut String, comments: &mut Vec<String>, line: usize, why: String, raw: &str| {
            warnings.push(format!("{name}:{line}: {why}"));
            flush(out, comments);
            out.push_str(&format!(
                "# tempora import: line {line}: {why}\n# {raw}\n\n"
            ));
        };
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let raw = raw.trim_end_matches('\r');
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('#') {
            comments.push(trimmed.to_owned());
            continue;
        }
        if let Some((var, value)) = environment_line(trimmed) {
            match var.as_str() {
                "CRON_TZ" => zone = Some(value),
                "TZ" => {
                    zone = Some(value.clone());
                    env.insert(var, value);
                }
                "SHELL" => shell = Some(value),
                // Cron mails a job's output; here a failed run is mailed,
                // its notice (JSON) as the body.
                "MAILTO" => mail_to = Some(value).filter(|to| !to.is_empty()),
                "MAILFROM" => report(
                    &mut out,
                    &mut comments,
                    line,
                    "MAILFROM is not supported: a notice's mail comes from the daemon's user"
                        .to_owned(),
                    raw,
                ),
                "RANDOM_DELAY" => report(
                    &mut out,
                    &mut comments,
                    line,
                    "RANDOM_DELAY is not converted: give the jobs a `jitter` instead".to_owned(),
                    raw,
                ),
                _ => {
                    env.insert(var, value);
                }
            }
            continue;
        }
        let job = match job_line(trimmed, line, system) {
            Ok(job) => job,
            Err(why) => {
                report(&mut out, &mut comments, line, why, raw);
                continue;
            }
        };
        let mut trigger = CronTrigger::crontab(&job.schedule);
        if let Some(zone) = &zone {
            trigger = trigger.timezone(zone);
        }
        if let Err(error) = trigger.build() {
            report(
                &mut out,
                &mut comments,
                line,
                format!("the schedule is refused: {error}"),
                raw,
            );
            continue;
        }
        flush(&mut out, &mut comments);
        write_job(&mut out, &job, zone.as_deref(), shell.as_deref(), &env);
        if let Some(to) = &mail_to {
            // Before the blank line that ends the table.
            out.pop();
            out.push_str(&format!(
                "notify = {{ on = [\"failure\"], command = [\"mail\", \"-s\", {}, {}] }}\n\n",
                quoted(&format!("tempora: {} failed", job_id(&job))),
                quoted(to)
            ));
        }
    }
    flush(&mut out, &mut comments);
    Conversion {
        toml: out,
        warnings,
    }
}

/// Writes the comments gathered so far.
fn flush(out: &mut String, comments: &mut Vec<String>) {
    for comment in comments.drain(..) {
        out.push_str(&comment);
        out.push('\n');
    }
}

/// `NAME=value` (cron allows spaces around `=` and quotes around the
/// value): the name and the value unquoted.
fn environment_line(line: &str) -> Option<(String, String)> {
    let (name, value) = line.split_once('=')?;
    let name = name.trim();
    let mut chars = name.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    let value = value.trim();
    let value = match value.as_bytes() {
        [b'"', .., b'"'] | [b'\'', .., b'\''] if value.len() >= 2 => &value[1..value.len() - 1],
        _ => value,
    };
    Some((name.to_owned(), value.to_owned()))
}

/// The next whitespace-separated field of `rest`, and what follows it.
fn field(rest: &str) -> Option<(&str, &str)> {
    let rest = rest.trim_start();
    if rest.is_empty() {
        return None;
    }
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some((&rest[..end], &rest[end..]))
}

/// Reads a job line: its schedule, user (system format) and command.
fn job_line(line: &str, number: usize, system: bool) -> Result<CronJob, String> {
    let (schedule, rest) = if line.starts_with('@') {
        let Some((macro_name, rest)) = field(line) else {
            return Err("not a crontab line".to_owned());
        };
        match macro_name {
            "@reboot" => {
                return Err(
                    "@reboot is not supported: Tempora has no trigger for the system's start; \
                     run it from a systemd unit instead"
                        .to_owned(),
                );
            }
            "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight"
            | "@hourly" => (macro_name.to_owned(), rest),
            other => return Err(format!("{other} is not a schedule cron knows")),
        }
    } else {
        let mut fields = Vec::new();
        let mut rest = line;
        for _ in 0..5 {
            let Some((value, after)) = field(rest) else {
                return Err(
                    "not a crontab line: five time fields and a command expected".to_owned(),
                );
            };
            fields.push(value);
            rest = after;
        }
        (fields.join(" "), rest)
    };
    let (user, rest) = if system {
        match field(rest) {
            Some((user, after)) => (Some(user.to_owned()), after),
            None => return Err("no user and command after the schedule".to_owned()),
        }
    } else {
        (None, rest)
    };
    let (command, stdin) = split_percent(rest.trim_start());
    if command.trim().is_empty() {
        return Err("no command after the schedule".to_owned());
    }
    Ok(CronJob {
        line: number,
        schedule,
        user,
        command,
        stdin,
    })
}

/// Cron's `%`: the first one not escaped ends the command and starts its
/// standard input, in which each further one is a newline; `\%` is `%`.
fn split_percent(text: &str) -> (String, Option<String>) {
    let mut command = String::new();
    let mut stdin: Option<String> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let target = stdin.as_mut().unwrap_or(&mut command);
        match c {
            '\\' if chars.peek() == Some(&'%') => {
                chars.next();
                target.push('%');
            }
            '%' => match &mut stdin {
                Some(input) => input.push('\n'),
                None => stdin = Some(String::new()),
            },
            c => target.push(c),
        }
    }
    (command, stdin)
}

/// A job id from the command's program and the line: `pg_dump-3`.
fn job_id(job: &CronJob) -> String {
    let program = job.command.split_whitespace().next().unwrap_or("job");
    let base = program.rsplit('/').next().unwrap_or(program);
    let mut id: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let trimmed = id.trim_matches('-').to_owned();
    id = if trimmed.is_empty() {
        "job".to_owned()
    } else {
        trimmed
    };
    format!("{id}-{}", job.line)
}

/// A TOML string: quoted and escaped.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn write_job(
    out: &mut String,
    job: &CronJob,
    zone: Option<&str>,
    shell: Option<&str>,
    env: &BTreeMap<String, String>,
) {
    out.push_str("[[job]]\n");
    out.push_str(&format!("id = {}\n", quoted(&job_id(job))));
    out.push_str(&format!("cron = {}\n", quoted(&job.schedule)));
    if let Some(zone) = zone {
        out.push_str(&format!("timezone = {}\n", quoted(zone)));
    }
    let script = match &job.stdin {
        // A here document gives the whole command its input, ending in a
        // newline as cron's does.
        Some(input) => {
            let mut delimiter = "TEMPORA_STDIN".to_owned();
            while input.lines().any(|line| line == delimiter) {
                delimiter.push('_');
            }
            format!(
                "( {}\n) <<'{delimiter}'\n{input}\n{delimiter}",
                job.command.trim_end()
            )
        }
        None => job.command.trim_end().to_owned(),
    };
    match shell {
        Some(shell) if shell != "/bin/sh" => out.push_str(&format!(
            "command = [{}, \"-c\", {}]\n",
            quoted(shell),
            quoted(&script)
        )),
        _ => out.push_str(&format!("shell = {}\n", quoted(&script))),
    }
    if !env.is_empty() {
        let pairs: Vec<String> = env
            .iter()
            .map(|(name, value)| format!("{} = {}", bare_or_quoted_key(name), quoted(value)))
            .collect();
        out.push_str(&format!("env = {{ {} }}\n", pairs.join(", ")));
    }
    if let Some(user) = &job.user {
        out.push_str(&format!("user = {}\n", quoted(user)));
    }
    out.push('\n');
}

fn bare_or_quoted_key(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_owned()
    } else {
        quoted(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_signs_are_read_as_cron_reads_them() {
        assert_eq!(split_percent("date +\\%F"), ("date +%F".to_owned(), None));
        assert_eq!(
            split_percent("mail -s hi root%line one%line \\% two"),
            (
                "mail -s hi root".to_owned(),
                Some("line one\nline % two".to_owned())
            )
        );
        assert_eq!(
            split_percent("cat%"),
            ("cat".to_owned(), Some(String::new()))
        );
    }

    #[test]
    fn environment_lines_take_spaces_and_quotes() {
        assert_eq!(
            environment_line("PATH = \"/usr/bin:/bin\""),
            Some(("PATH".to_owned(), "/usr/bin:/bin".to_owned()))
        );
        assert_eq!(environment_line("* * * * * x=1"), None);
        assert_eq!(environment_line("1X=1"), None);
    }
}
