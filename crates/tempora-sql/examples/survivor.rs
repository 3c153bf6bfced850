//! A scheduler that survives being killed: its jobs and their history live
//! in a SQLite file (or any SQL URL given as the first argument).
//!
//! ```text
//! cargo run -p tempora-sql --example survivor                 # survivor.db here
//! cargo run -p tempora-sql --example survivor -- postgres://postgres@127.0.0.1/test
//! ```
//!
//! Kill it however you like (`kill -9`, Ctrl-C, pull the plug) and start it
//! again: it prints what happened to the last runs — the one that was in
//! flight shows as `interrupted` — and carries on from where it stopped.
//! Fire times that completed are not run again; those missed while it was
//! down run once (coalesced), as the job's misfire settings say.

use std::sync::Arc;
use std::time::Duration;

use tempora::clock::{Clock, SystemClock};
use tempora::history::RunQuery;
use tempora::jiff::SignedDuration;
use tempora::job::JobBuilder;
use tempora::scheduler::SchedulerBuilder;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::IntervalTrigger;
use tempora_sql::SqlOptions;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sqlite://survivor.db".to_owned());
    let runtime = tokio::runtime::Runtime::new()?;
    let store = runtime.block_on(tempora_sql::connect(&url, &SqlOptions::new()))?;

    // The scheduler does this itself as it starts; done here first so that
    // the list below shows what became of the runs a killed process left.
    let node = "survivor";
    let history = store.history().ok_or("every SQL store keeps run history")?;
    runtime.block_on(history.interrupt_runs(SystemClock.now(), Some(node)))?;
    println!("the last runs in {url}:");
    for run in runtime.block_on(history.list_runs(&RunQuery::new().limit(5)))? {
        println!(
            "  {:<8} {}  {:<11} {}",
            run.job_id,
            run.scheduled_time,
            run.status,
            run.error.as_deref().unwrap_or("")
        );
    }

    let tasks = Tasks::new();
    tasks.register("work", |context: JobContext, seconds: u64| {
        let scheduled = context.scheduled_run_time();
        println!("working for {seconds} s on the run due at {scheduled:?}");
        std::thread::sleep(Duration::from_secs(seconds));
        println!("done with the run due at {scheduled:?}");
        Ok::<(), String>(())
    });
    let scheduler = SchedulerBuilder::new()
        .tasks(tasks)
        .node_id(node)
        .lease(SignedDuration::from_secs(10))
        .store("default", Arc::clone(&store))
        .blocking()?;
    // Added once; a restart keeps the stored job and its next run time.
    if scheduler.get_job("work")?.is_none() {
        let every_five_seconds = IntervalTrigger::builder().seconds(5).build()?;
        scheduler.add_job(
            JobBuilder::new("work", every_five_seconds)
                .id("work")
                .args(&3_u64),
        )?;
    }
    println!("running; kill me and start me again");
    scheduler.start()?;
    Ok(())
}
