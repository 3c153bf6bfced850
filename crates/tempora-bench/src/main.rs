//! `tempora-bench`: the workloads of docs/workloads.md; see the library's docs.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdout = std::io::stdout();
    match tempora_bench::run(&args, &mut stdout.lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is_usage() => {
            eprintln!("tempora-bench: {error}\n{}", tempora_bench::USAGE);
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("tempora-bench: {error}");
            ExitCode::FAILURE
        }
    }
}
