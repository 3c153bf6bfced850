//! The `tempora` command; see the `tempora_cli` library for what it does.

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use tempora::clock::{Clock, SystemClock};
use tempora_cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => match error.kind() {
            // Help and version as clap prints them: status 0, or 2 for the
            // help shown when a command is missing.
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
            // A usage mistake: one line and status 2, like any bad input.
            _ => {
                eprintln!("{}", tempora_cli::usage_error_line(&error));
                return ExitCode::from(2);
            }
        },
    };
    // The one place the command reads the clock, once: through the library's
    // `SystemClock`, the only code allowed to call `Timestamp::now`.
    let now = SystemClock.now();
    match tempora_cli::execute(&cli, now) {
        Ok(outcome) => {
            print!("{}", outcome.stdout);
            ExitCode::from(outcome.status)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
