//! A test harness for test binaries that are also the processes they start
//! (`harness = false`): the crash and chaos tests run scheduler processes
//! that are the test binary itself, so that binary has its own `main`.
//!
//! ```
//! use std::process::ExitCode;
//!
//! fn passes() {}
//!
//! let code = tempora_testkit::harness::run(&[("passes", passes)], &[]);
//! assert_eq!(code, ExitCode::SUCCESS);
//! ```

use std::process::ExitCode;
use std::time::Instant;

/// Runs each case whose name contains one of `filters` (all without
/// filters), printing `test NAME ... ok (S s)` or `... FAILED`; a case
/// fails by panicking. Success when none failed.
pub fn run(cases: &[(&str, fn())], filters: &[String]) -> ExitCode {
    let mut failed = 0;
    for (name, case) in cases {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        println!("test {name} ...");
        let started = Instant::now();
        match std::panic::catch_unwind(case) {
            Ok(()) => println!(
                "test {name} ... ok ({:.1} s)",
                started.elapsed().as_secs_f64()
            ),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed += 1;
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The test-name filters of this process's command line: its arguments
/// that are not options.
pub fn filters() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect()
}
