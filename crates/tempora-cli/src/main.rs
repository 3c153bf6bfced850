//! The `tempora` command; see the `tempora_cli` library for what it does.

use std::process::ExitCode;

use clap::Parser;
use tempora::clock::{Clock, SystemClock};
use tempora_cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version exit 0; usage errors exit 2, as clap does.
        Err(error) => error.exit(),
    };
    match tempora_cli::run(&cli, SystemClock.now()) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
