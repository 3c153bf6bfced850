//! A [`HostScheduler`] driven by a hand-written event loop, without tokio.
//!
//! A GUI, a game or a non-tokio reactor already owns its thread and waits on
//! its own queue. It drives Tempora like this:
//!
//! 1. call [`HostScheduler::run_pending`] with the time: it hands every run
//!    that is due to the executors (runs happen on their threads, never on
//!    the loop's) and answers when to call again;
//! 2. wait for the next message, but no longer than that wake-up;
//! 3. after handling a message that adds or changes jobs, go back to 1.
//!
//! Here the loop's messages are requests to add a job, sent from another
//! thread, and notes from the jobs that they ran. A heartbeat job runs every
//! second; two one-off jobs are requested from another thread. The program
//! stops after five runs, in about three seconds.
//!
//! ```text
//! cargo run --example host_loop
//! ```

use std::error::Error;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use tempora::clock::{Clock, SystemClock};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::JobBuilder;
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::task::{JobContext, Tasks};
use tempora::trigger::{DateTrigger, IntervalTrigger};

/// What the loop is asked to do.
enum Message {
    /// Add this job (from any thread: only the loop touches the scheduler).
    AddJob(Box<JobBuilder>),
    /// A job ran (sent by the task, on an executor thread).
    Ran(String),
}

/// How many runs the example waits for before it stops.
const RUNS: usize = 5;

/// The longest the loop waits when no job is scheduled.
const IDLE_WAIT: Duration = Duration::from_secs(60);

fn main() -> Result<(), Box<dyn Error>> {
    let (sender, inbox) = mpsc::channel::<Message>();

    // The task tells the loop that it ran, through the loop's own queue.
    let tasks = Tasks::new();
    let to_loop = sender.clone();
    tasks.register("say", move |context: JobContext, text: String| {
        println!("[{}] {text}", context.job_id());
        let _ = to_loop.send(Message::Ran(context.job_id().to_owned()));
        Ok::<(), String>(())
    });

    let clock = SystemClock;
    let scheduler: HostScheduler = SchedulerBuilder::new()
        .clock(clock)
        .timezone("UTC")
        .tasks(tasks)
        .host_driven()?;
    let every_second = IntervalTrigger::builder()
        .seconds(1)
        .timezone("UTC")
        .build()?;
    scheduler.add_job(
        JobBuilder::new("say", every_second)
            .id("heartbeat")
            .args("tick"),
    )?;
    scheduler.start()?;

    // Another part of the program asks for two one-off jobs.
    let requests = sender.clone();
    let requester = std::thread::spawn(move || {
        for (index, delay) in [(1, 300), (2, 600)] {
            let when = after(clock.now(), delay);
            let job = JobBuilder::new("say", DateTrigger::new(when))
                .id(format!("once-{index}"))
                .args(&format!("one-off #{index}"));
            if requests.send(Message::AddJob(Box::new(job))).is_err() {
                return;
            }
        }
    });
    drop(sender);

    let mut runs = 0;
    let mut wake = scheduler.run_pending(clock.now());
    while runs < RUNS {
        let timeout = match wake {
            Some(instant) => until(clock.now(), instant),
            None => IDLE_WAIT,
        };
        match inbox.recv_timeout(timeout) {
            Ok(Message::AddJob(job)) => {
                let job = scheduler.add_job(*job)?;
                println!("added {job}");
            }
            Ok(Message::Ran(id)) => {
                runs += 1;
                println!("the loop saw {id} run ({runs}/{RUNS})");
            }
            // The wake-up is here: fall through to run_pending.
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        wake = scheduler.run_pending(clock.now());
    }

    let _ = requester.join();
    // Wait for any run still in progress.
    scheduler.shutdown(true)?;
    println!("done after {runs} runs");
    Ok(())
}

/// `now` plus `millis` milliseconds.
fn after(now: Timestamp, millis: i64) -> Timestamp {
    now.saturating_add(SignedDuration::from_millis(millis))
        .unwrap_or(now)
}

/// How long from `now` until `instant`; zero when it has passed.
fn until(now: Timestamp, instant: Timestamp) -> Duration {
    Duration::try_from(instant.duration_since(now)).unwrap_or_default()
}
