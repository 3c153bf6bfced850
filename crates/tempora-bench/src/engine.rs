//! The workloads that run Tempora's scheduler: W2 (dispatch throughput),
//! W3 (timer precision), W5 (memory per job) and W6 (idle CPU).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use tempora::clock::{Clock, SystemClock};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::{JobBuilder, JobDefaults, MisfireGraceTime};
use tempora::scheduler::{BackgroundScheduler, SchedulerBuilder};
use tempora::task::{JobContext, Tasks};
use tempora::trigger::{CronTrigger, DateTrigger, IntervalTrigger};

use crate::output::Line;
use crate::w1::TEMPORA_IMPL;

/// Job defaults for the workloads: nothing missed, nothing skipped.
fn unlimited() -> JobDefaults {
    JobDefaults {
        misfire_grace_time: MisfireGraceTime::Unlimited,
        coalesce: false,
        max_instances: 1_000,
        ..JobDefaults::default()
    }
}

fn scheduler(tasks: Tasks) -> Result<BackgroundScheduler, String> {
    SchedulerBuilder::new()
        .timezone("UTC")
        .tasks(tasks)
        .job_defaults(unlimited())
        .background()
        .map_err(|error| error.to_string())
}

/// `10k` for 10,000, `100k` for 100,000; other sizes as they are.
///
/// ```
/// assert_eq!(tempora_bench::engine::size_label(100_000), "100k");
/// assert_eq!(tempora_bench::engine::size_label(1_234), "1234");
/// ```
pub fn size_label(n: u64) -> String {
    if n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// W2: N one-shot jobs due at once, from resume to the last run's end.
pub fn w2(n: u64, emit: &mut dyn FnMut(Line)) {
    let line = Line::new(TEMPORA_IMPL, format!("W2-{}", size_label(n)), "jobs/s", n);
    match w2_run(n) {
        Ok((elapsed, added, cpu)) => emit(
            line.value(n as f64 / elapsed)
                .with("elapsed_s", elapsed)
                .with("add_s", added)
                .with("cpu_s", cpu)
                .with("executor", "thread_pool(max_workers=10)"),
        ),
        Err(error) => emit(line.error(error)),
    }
}

/// W2's elapsed and adding times, and the CPU time (all threads) the
/// dispatch took: a figure that a busy machine disturbs less than the
/// elapsed time.
fn w2_run(n: u64) -> Result<(f64, f64, f64), String> {
    let counter = Arc::new(AtomicU64::new(0));
    let (done, finished) = mpsc::channel::<Instant>();
    let done = Mutex::new(done);
    let tasks = Tasks::new();
    let count = Arc::clone(&counter);
    tasks.register("count", move |_: JobContext, _: ()| {
        if count.fetch_add(1, Ordering::AcqRel) + 1 == n {
            let end = Instant::now();
            if let Ok(done) = done.lock() {
                let _ = done.send(end);
            }
        }
        Ok::<(), String>(())
    });
    let scheduler = scheduler(tasks)?;
    scheduler
        .start_paused()
        .map_err(|error| error.to_string())?;
    let now = SystemClock.now();
    let adding = Instant::now();
    for _ in 0..n {
        scheduler
            .add_job(JobBuilder::new("count", DateTrigger::new(now)))
            .map_err(|error| error.to_string())?;
    }
    let added = adding.elapsed().as_secs_f64();
    let cpu_before = cpu_seconds()?;
    let start = Instant::now();
    scheduler.resume().map_err(|error| error.to_string())?;
    let end = finished
        .recv_timeout(Duration::from_secs(600))
        .map_err(|_| {
            format!(
                "only {} of {n} jobs ran within 600 s",
                counter.load(Ordering::Acquire)
            )
        })?;
    let elapsed = end.duration_since(start).as_secs_f64();
    let cpu = cpu_seconds()? - cpu_before;
    let _ = scheduler.shutdown(false);
    Ok((elapsed, added, cpu))
}

/// The nearest-rank percentile `p` (0–100) of `sorted` samples: the
/// `ceil(p/100 · n)`-th smallest.
///
/// ```
/// use tempora_bench::engine::percentile;
///
/// let samples = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
/// assert_eq!(percentile(&samples, 50.0), Some(5.0));
/// assert_eq!(percentile(&samples, 99.0), Some(10.0));
/// assert_eq!(percentile(&samples, 100.0), Some(10.0));
/// assert_eq!(percentile(&[], 50.0), None);
/// ```
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// W3: lateness of 1,000 interval jobs firing once a second each, spread
/// over the second, for 20 seconds.
pub fn w3(emit: &mut dyn FnMut(Line)) {
    const JOBS: usize = 1_000;
    const FIRES: usize = 20;
    let lines = |error: Option<&str>| {
        ["W3-p50", "W3-p99", "W3-max"].map(|workload| {
            let line = Line::new(TEMPORA_IMPL, workload, "ms", (JOBS * FIRES) as u64)
                .with("expected", JOBS * FIRES);
            match error {
                Some(error) => line.error(error),
                None => line,
            }
        })
    };
    let samples = match w3_run(JOBS, FIRES) {
        Ok(samples) => samples,
        Err(error) => {
            for line in lines(Some(&error)) {
                emit(line);
            }
            return;
        }
    };
    let mut sorted = samples.clone();
    sorted.sort_by(f64::total_cmp);
    let min = sorted.first().copied().unwrap_or(f64::NAN);
    for (line, p) in lines(None).into_iter().zip([50.0, 99.0, 100.0]) {
        let line = line.with("min_ms", min);
        let line = Line {
            n: sorted.len() as u64,
            ..line
        };
        match percentile(&sorted, p) {
            Some(value) if sorted.len() == JOBS * FIRES => emit(line.value(value)),
            _ => emit(line.error(format!(
                "{} samples of {} expected",
                sorted.len(),
                JOBS * FIRES
            ))),
        }
    }
}

fn w3_run(jobs: usize, fires: usize) -> Result<Vec<f64>, String> {
    let records: Arc<Vec<Mutex<Vec<Timestamp>>>> =
        Arc::new((0..jobs).map(|_| Mutex::new(Vec::new())).collect());
    let tasks = Tasks::new();
    let sink = Arc::clone(&records);
    tasks.register("record", move |_: JobContext, index: usize| {
        let now = SystemClock.now();
        if let Some(list) = sink.get(index)
            && let Ok(mut list) = list.lock()
        {
            list.push(now);
        }
        Ok::<(), String>(())
    });
    let scheduler = scheduler(tasks)?;
    scheduler.start().map_err(|error| error.to_string())?;
    let now = SystemClock.now();
    let t0 = Timestamp::from_second(now.as_second() + 2).map_err(|error| error.to_string())?;
    let mut starts = Vec::with_capacity(jobs);
    for index in 0..jobs {
        let start = t0
            .checked_add(SignedDuration::from_millis(index as i64))
            .map_err(|error| error.to_string())?;
        let trigger = IntervalTrigger::builder()
            .seconds(1)
            .start_date(start)
            .timezone("UTC")
            .build()
            .map_err(|error| error.to_string())?;
        scheduler
            .add_job(JobBuilder::new("record", trigger).args(&index))
            .map_err(|error| error.to_string())?;
        starts.push(start);
    }
    let until = t0
        .checked_add(SignedDuration::from_millis(fires as i64 * 1000 + 1500))
        .map_err(|error| error.to_string())?;
    let wait = until.duration_since(SystemClock.now());
    std::thread::sleep(Duration::try_from(wait).unwrap_or_default());
    let _ = scheduler.shutdown(true);
    let mut samples = Vec::with_capacity(jobs * fires);
    for (index, start) in starts.iter().enumerate() {
        let list = records[index]
            .lock()
            .map_err(|_| "a job panicked".to_owned())?;
        for (k, ran) in list.iter().take(fires).enumerate() {
            let fire = start
                .checked_add(SignedDuration::from_secs(k as i64))
                .map_err(|error| error.to_string())?;
            samples.push(ran.duration_since(fire).as_secs_f64() * 1000.0);
        }
    }
    Ok(samples)
}

/// The resident set size of this process, in bytes.
fn rss() -> Result<u64, String> {
    let statm = std::fs::read_to_string("/proc/self/statm").map_err(|error| error.to_string())?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .ok_or("/proc/self/statm has no resident field")?;
    Ok(pages * 4096)
}

/// W5: the memory of 100,000 cron jobs (expression B) in the memory store.
pub fn w5(emit: &mut dyn FnMut(Line)) {
    const JOBS: u64 = 100_000;
    let line = Line::new(TEMPORA_IMPL, "W5", "bytes/job", JOBS);
    match w5_run(JOBS) {
        Ok((rss0, rss1)) => emit(
            line.value((rss1 as f64 - rss0 as f64) / JOBS as f64)
                .with("rss0", rss0)
                .with("rss1", rss1),
        ),
        Err(error) => emit(line.error(error)),
    }
}

fn w5_run(jobs: u64) -> Result<(u64, u64), String> {
    let tasks = Tasks::new();
    tasks.register("noop", |_: JobContext, _: ()| Ok::<(), String>(()));
    let scheduler = scheduler(tasks)?;
    scheduler
        .start_paused()
        .map_err(|error| error.to_string())?;
    std::thread::sleep(Duration::from_millis(200));
    let rss0 = rss()?;
    for _ in 0..jobs {
        let trigger = CronTrigger::builder()
            .second(0)
            .minute("*/15")
            .hour("9-17")
            .day_of_week("mon-fri")
            .timezone("Europe/Berlin")
            .build()
            .map_err(|error| error.to_string())?;
        scheduler
            .add_job(JobBuilder::new("noop", trigger))
            .map_err(|error| error.to_string())?;
    }
    std::thread::sleep(Duration::from_millis(200));
    let rss1 = rss()?;
    let _ = scheduler.shutdown(false);
    Ok((rss0, rss1))
}

/// CPU time of this process so far (all threads), in seconds, from the
/// scheduler statistics of each thread (nanosecond resolution).
fn cpu_seconds() -> Result<f64, String> {
    let mut total: u64 = 0;
    let threads = std::fs::read_dir("/proc/self/task").map_err(|error| error.to_string())?;
    for thread in threads.flatten() {
        let Ok(text) = std::fs::read_to_string(thread.path().join("schedstat")) else {
            continue; // The thread ended meanwhile.
        };
        if let Some(nanos) = text
            .split_whitespace()
            .next()
            .and_then(|f| f.parse::<u64>().ok())
        {
            total += nanos;
        }
    }
    Ok(total as f64 / 1e9)
}

/// W6: the CPU a started scheduler with 10,000 far-off cron jobs uses in
/// 10 s of idling.
pub fn w6(emit: &mut dyn FnMut(Line)) {
    const JOBS: u64 = 10_000;
    let line = Line::new(TEMPORA_IMPL, "W6", "cpu_s", JOBS);
    match w6_run(JOBS) {
        Ok((cpu, wall)) => emit(line.value(cpu).with("wall_s", wall)),
        Err(error) => emit(line.error(error)),
    }
}

fn w6_run(jobs: u64) -> Result<(f64, f64), String> {
    let tasks = Tasks::new();
    tasks.register("noop", |_: JobContext, _: ()| Ok::<(), String>(()));
    let scheduler = scheduler(tasks)?;
    scheduler.start().map_err(|error| error.to_string())?;
    let hour = (SystemClock.now().as_second().div_euclid(3600) + 2).rem_euclid(24);
    for _ in 0..jobs {
        let trigger = CronTrigger::builder()
            .second(0)
            .minute(0)
            .hour(hour)
            .timezone("UTC")
            .build()
            .map_err(|error| error.to_string())?;
        scheduler
            .add_job(JobBuilder::new("noop", trigger))
            .map_err(|error| error.to_string())?;
    }
    std::thread::sleep(Duration::from_secs(2));
    let c0 = cpu_seconds()?;
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(10));
    let c1 = cpu_seconds()?;
    let wall = start.elapsed().as_secs_f64();
    let _ = scheduler.shutdown(false);
    Ok((c1 - c0, wall))
}
