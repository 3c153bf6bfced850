//! The workloads on a persistent store: W4-add (durable adds per second),
//! W4-restart (from a fresh process to the first due run, 100,000 jobs
//! stored), W4-acquire (one claim of 1,000 due jobs) and W7-cluster (several
//! schedulers sharing one store), on a fresh SQLite file under `/tmp` (the
//! default) or, with `--store URL`, on a server: PostgreSQL
//! (`postgres://…`), MySQL or MariaDB (`mysql://…`, `mariadb://…`), Redis
//! (`redis://…`) or MongoDB (`mongodb://…`). Each run keeps its jobs under
//! a table, key or collection prefix of its own and removes them at the end,
//! so runs on one server never meet.
//!
//! Every line carries an extra `store` key: `sqlite`, `postgres`, `mysql`,
//! `redis` or `mongodb`.
//!
//! ```
//! use tempora_bench::persistent::Target;
//!
//! assert_eq!(Target::parse(None)?, Target::Sqlite);
//! let target = Target::parse(Some("postgres://postgres@127.0.0.1/test"))?;
//! assert_eq!(target.name(), "postgres");
//! assert_eq!(Target::parse(Some("redis://127.0.0.1/0"))?.name(), "redis");
//! assert_eq!(Target::parse(Some("mariadb://root@127.0.0.1/test"))?.name(), "mysql");
//! assert!(Target::parse(Some("oracle://db/orcl")).is_err());
//! # Ok::<(), tempora_bench::Error>(())
//! ```

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tempora::clock::{Clock, SystemClock};
use tempora::jiff::SignedDuration;
use tempora::job::{JobBuilder, JobDefaults, MisfireGraceTime};
use tempora::scheduler::{BackgroundScheduler, SchedulerBuilder};
use tempora::store::JobStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::{DateTrigger, IntervalTrigger};
use tempora_mongodb::MongoStore;
use tempora_redis::RedisStore;
use tempora_sql::{MySqlStore, PostgresStore, SqlOptions};

use crate::Error;
use crate::output::Line;
use crate::w1::TEMPORA_IMPL;

/// How many adds the setup of W4-restart and W4-acquire keeps in flight on
/// a server database (the timed part always adds one job at a time).
const SETUP_CONCURRENCY: usize = 16;

/// Where a W4 or W7 workload keeps its jobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A fresh SQLite file under `/tmp`, the store's defaults (WAL,
    /// `synchronous=NORMAL`).
    Sqlite,
    /// Fresh tables (a table prefix of the run's own, dropped at the end)
    /// on the PostgreSQL database of this URL.
    Postgres(String),
    /// Fresh tables (a table prefix of the run's own, dropped at the end)
    /// on the MySQL or MariaDB database of this URL.
    MySql(String),
    /// Fresh keys (a key prefix of the run's own, deleted at the end) on
    /// the Redis server of this URL.
    Redis(String),
    /// Fresh collections (a collection prefix of the run's own, dropped at
    /// the end) in the MongoDB database of this URL.
    MongoDb(String),
}

impl Target {
    /// The target of `--store URL`, or SQLite without one.
    ///
    /// # Errors
    ///
    /// A usage error for a URL whose scheme is none of `postgres://`
    /// (`postgresql://`), `mysql://`, `mariadb://`, `redis://` (`rediss://`)
    /// or `mongodb://` (`mongodb+srv://`); the message shows it without its
    /// password.
    pub fn parse(url: Option<&str>) -> Result<Target, Error> {
        let Some(url) = url else {
            return Ok(Target::Sqlite);
        };
        let owned = url.to_owned();
        match url.split_once("://").map(|(scheme, _)| scheme) {
            Some("postgres" | "postgresql") => Ok(Target::Postgres(owned)),
            Some("mysql" | "mariadb") => Ok(Target::MySql(owned)),
            Some("redis" | "rediss") => Ok(Target::Redis(owned)),
            Some("mongodb" | "mongodb+srv") => Ok(Target::MongoDb(owned)),
            _ => Err(Error::usage(format!(
                "--store: {:?} is not a postgres://, mysql://, mariadb://, redis:// or \
                 mongodb:// URL (SQLite is the default)",
                tempora::store::url::redact(url)
            ))),
        }
    }

    /// `sqlite`, `postgres`, `mysql`, `redis` or `mongodb`: the `store` key
    /// of the lines.
    pub fn name(&self) -> &'static str {
        match self {
            Target::Sqlite => "sqlite",
            Target::Postgres(_) => "postgres",
            Target::MySql(_) => "mysql",
            Target::Redis(_) => "redis",
            Target::MongoDb(_) => "mongodb",
        }
    }

    /// The server's URL; `None` for SQLite.
    fn url(&self) -> Option<&str> {
        match self {
            Target::Sqlite => None,
            Target::Postgres(url)
            | Target::MySql(url)
            | Target::Redis(url)
            | Target::MongoDb(url) => Some(url),
        }
    }

    /// The arguments that give this target on a command line.
    fn args(&self) -> Vec<String> {
        match self.url() {
            None => Vec::new(),
            Some(url) => vec!["--store".to_owned(), url.to_owned()],
        }
    }
}

/// A store on a target's fresh location, and how to find it again.
struct Place {
    /// The SQLite file, or the server's URL.
    location: String,
    /// The table, key or collection prefix.
    prefix: String,
    target: Target,
}

impl Place {
    /// A fresh place for `workload`: a new file, or a new prefix on the
    /// server.
    fn fresh(target: &Target, workload: &str) -> Result<Place, String> {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let (location, prefix) = match target.url() {
            None => {
                let dir = std::env::temp_dir().join(format!("tempora-bench-{workload}-{unique}"));
                std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
                (
                    dir.join("jobs.db").to_string_lossy().into_owned(),
                    String::new(),
                )
            }
            Some(url) if matches!(target, Target::Redis(_)) => {
                (url.to_owned(), format!("tempora-bench:{unique}:"))
            }
            Some(url) => (url.to_owned(), format!("bench_{unique}_")),
        };
        Ok(Place {
            location,
            prefix,
            target: target.clone(),
        })
    }

    /// Opens the store on the place (creating its file, tables or
    /// collections).
    async fn open(&self) -> Result<Arc<dyn JobStore>, String> {
        let store: Arc<dyn JobStore> = match &self.target {
            Target::Sqlite | Target::Postgres(_) | Target::MySql(_) => {
                let options = SqlOptions::new().prefix(self.prefix.clone());
                // A file path opens SQLite, a URL its server.
                tempora_sql::connect(&self.location, &options)
                    .await
                    .map_err(|error| chain(&error))?
            }
            Target::Redis(_) => Arc::new(self.redis().await.map_err(|error| chain(&error))?),
            Target::MongoDb(_) => Arc::new(self.mongodb().await.map_err(|error| chain(&error))?),
        };
        Ok(store)
    }

    async fn redis(&self) -> tempora::Result<RedisStore> {
        RedisStore::builder(self.location.as_str())
            .prefix(self.prefix.clone())
            .connect()
            .await
    }

    async fn mongodb(&self) -> tempora::Result<MongoStore> {
        MongoStore::builder(self.location.as_str())
            .prefix(self.prefix.clone())
            .connect()
            .await
    }

    /// Removes the file, drops the tables or collections, deletes the keys.
    async fn remove(&self) {
        let options = SqlOptions::new().prefix(self.prefix.clone());
        match &self.target {
            Target::Sqlite => {
                if let Some(dir) = std::path::Path::new(&self.location).parent() {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
            Target::Postgres(_) => {
                if let Ok(store) = PostgresStore::connect(&self.location, &options).await {
                    let _ = store.drop_tables().await;
                    store.close().await;
                }
            }
            Target::MySql(_) => {
                if let Ok(store) = MySqlStore::connect(&self.location, &options).await {
                    let _ = store.drop_tables().await;
                    store.close().await;
                }
            }
            Target::Redis(_) => {
                let _ = self.remove_redis_keys().await;
            }
            Target::MongoDb(_) => {
                let _ = self.drop_mongodb_collections().await;
            }
        }
    }

    /// Deletes every key under the prefix.
    async fn remove_redis_keys(&self) -> redis::RedisResult<()> {
        let mut connection = redis::Client::open(self.location.as_str())?
            .get_multiplexed_async_connection()
            .await?;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query_async(&mut connection)
            .await?;
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(keys)
                .query_async::<()>(&mut connection)
                .await?;
        }
        Ok(())
    }

    /// Drops every collection under the prefix, in the store's database.
    async fn drop_mongodb_collections(&self) -> Result<(), String> {
        let database = self
            .mongodb()
            .await
            .map_err(|error| error.to_string())?
            .database()
            .to_owned();
        let client = mongodb::Client::with_uri_str(&self.location)
            .await
            .map_err(|error| error.to_string())?;
        let database = client.database(&database);
        let names = database
            .list_collection_names()
            .await
            .map_err(|error| error.to_string())?;
        for name in names.iter().filter(|name| name.starts_with(&self.prefix)) {
            database
                .collection::<mongodb::bson::Document>(name)
                .drop()
                .await
                .map_err(|error| error.to_string())?;
        }
        Ok(())
    }
}

/// The runtime the store is opened on. Its own worker thread drives the
/// connections' I/O, so the scheduler (on its own runtime) can use them;
/// it must live as long as the store.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|error| error.to_string())
}

/// `error` with its sources, for the `error` key.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn scheduler(store: Arc<dyn JobStore>, tasks: Tasks) -> Result<BackgroundScheduler, String> {
    SchedulerBuilder::new()
        .timezone("UTC")
        .tasks(tasks)
        .job_defaults(JobDefaults {
            misfire_grace_time: MisfireGraceTime::Unlimited,
            ..JobDefaults::default()
        })
        .store("default", store)
        .background()
        .map_err(|error| error.to_string())
}

fn hourly() -> Result<IntervalTrigger, String> {
    IntervalTrigger::builder()
        .hours(1)
        .timezone("UTC")
        .build()
        .map_err(|error| error.to_string())
}

/// Adds `n` hourly jobs (next run ~1 h ahead) through the store, several
/// at a time on a server.
async fn fill(store: &Arc<dyn JobStore>, target: &Target, n: u64) -> Result<(), String> {
    let now = SystemClock.now();
    let defaults = JobDefaults::default();
    let trigger = hourly()?;
    let in_flight = match target {
        Target::Sqlite => 1,
        _ => SETUP_CONCURRENCY,
    };
    let mut pending = tokio::task::JoinSet::new();
    for _ in 0..n {
        let job = JobBuilder::new("noop", trigger.clone())
            .build_at(&defaults, now)
            .map_err(|error| error.to_string())?;
        let store = Arc::clone(store);
        pending.spawn(async move { store.add_job(job, false).await });
        if pending.len() >= in_flight {
            finish_one(&mut pending).await?;
        }
    }
    while !pending.is_empty() {
        finish_one(&mut pending).await?;
    }
    Ok(())
}

async fn finish_one(pending: &mut tokio::task::JoinSet<tempora::Result<()>>) -> Result<(), String> {
    match pending.join_next().await {
        Some(Ok(Ok(()))) | None => Ok(()),
        Some(Ok(Err(error))) => Err(error.to_string()),
        Some(Err(error)) => Err(error.to_string()),
    }
}

/// W4-add: `n` interval jobs added one call at a time to a running
/// scheduler, each durable when its call returns.
pub fn w4_add(n: u64, target: &Target, emit: &mut dyn FnMut(Line)) {
    let line = Line::new(TEMPORA_IMPL, "W4-add", "jobs/s", n).with("store", target.name());
    match w4_add_run(n, target) {
        Ok(elapsed) => emit(line.value(n as f64 / elapsed).with("elapsed_s", elapsed)),
        Err(error) => emit(line.error(error)),
    }
}

fn w4_add_run(n: u64, target: &Target) -> Result<f64, String> {
    let place = Place::fresh(target, "add")?;
    let runtime = runtime()?;
    let store = runtime.block_on(place.open())?;
    let tasks = Tasks::new();
    tasks.register("noop", |_: JobContext, _: ()| Ok::<(), String>(()));
    let scheduler = scheduler(store, tasks)?;
    let timed = (|| {
        scheduler.start().map_err(|error| error.to_string())?;
        let trigger = hourly()?;
        let start = Instant::now();
        for _ in 0..n {
            scheduler
                .add_job(JobBuilder::new("noop", trigger.clone()))
                .map_err(|error| chain(&error))?;
        }
        Ok(start.elapsed().as_secs_f64())
    })();
    let _ = scheduler.shutdown(false);
    runtime.block_on(place.remove());
    timed
}

/// W4-restart: sets up a store of `n` hourly jobs and one sentinel due a
/// second ago, then times a fresh process from opening the store to the
/// sentinel's run.
pub fn w4_restart(n: u64, target: &Target, emit: &mut dyn FnMut(Line)) {
    let line = Line::new(TEMPORA_IMPL, "W4-restart", "s", n).with("store", target.name());
    let setup = Instant::now();
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => return emit(line.error(error)),
    };
    let place = match runtime.block_on(w4_restart_setup(n, target)) {
        Ok(place) => place,
        Err(error) => return emit(line.error(error)),
    };
    let setup_s = setup.elapsed().as_secs_f64();
    let child = std::env::current_exe().and_then(|exe| {
        std::process::Command::new(exe)
            .arg("W4-restart-child")
            .arg(&place.location)
            .arg(&place.prefix)
            .args(target.args())
            .output()
    });
    runtime.block_on(place.remove());
    let output = match child {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            return emit(line.error(format!(
                "the restarted process failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Err(error) => return emit(line.error(format!("cannot restart: {error}"))),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let mut numbers = text
        .split_whitespace()
        .filter_map(|n| n.parse::<f64>().ok());
    match (numbers.next(), numbers.next()) {
        (Some(until_run), Some(start_returned)) => emit(
            line.value(until_run)
                .with("start_returned_s", start_returned)
                .with("setup_s", setup_s),
        ),
        _ => emit(line.error(format!("the restarted process printed {text:?}"))),
    }
}

async fn w4_restart_setup(n: u64, target: &Target) -> Result<Place, String> {
    let place = Place::fresh(target, "restart")?;
    let store = place.open().await?;
    fill(&store, target, n).await?;
    let now = SystemClock.now();
    let second_ago = now
        .checked_sub(SignedDuration::from_secs(1))
        .map_err(|error| error.to_string())?;
    let sentinel = JobBuilder::new("sentinel", DateTrigger::new(second_ago))
        .id("sentinel")
        .build_at(&JobDefaults::default(), now)
        .map_err(|error| error.to_string())?;
    store
        .add_job(sentinel, false)
        .await
        .map_err(|error| error.to_string())?;
    Ok(place)
}

/// The restarted process of W4-restart: prints the seconds until the
/// sentinel ran and until `start()` returned.
///
/// # Errors
///
/// The store cannot be opened, or the sentinel did not run within 60 s.
pub fn w4_restart_child(location: &str, prefix: &str, target: &Target) -> Result<String, String> {
    let (ran, sentinel_ran) = mpsc::channel::<Instant>();
    let ran = std::sync::Mutex::new(ran);
    let tasks = Tasks::new();
    tasks.register("noop", |_: JobContext, _: ()| Ok::<(), String>(()));
    tasks.register("sentinel", move |_: JobContext, _: ()| {
        let now = Instant::now();
        if let Ok(ran) = ran.lock() {
            let _ = ran.send(now);
        }
        Ok::<(), String>(())
    });
    let place = Place {
        location: location.to_owned(),
        prefix: prefix.to_owned(),
        target: target.clone(),
    };
    let start = Instant::now();
    let runtime = runtime()?;
    let store = runtime.block_on(place.open())?;
    let scheduler = scheduler(store, tasks)?;
    scheduler.start().map_err(|error| error.to_string())?;
    let start_returned = start.elapsed().as_secs_f64();
    let when = sentinel_ran
        .recv_timeout(Duration::from_secs(60))
        .map_err(|_| "the sentinel did not run within 60 s".to_owned())?;
    let until_run = when.duration_since(start).as_secs_f64();
    let _ = scheduler.shutdown(false);
    Ok(format!("{until_run} {start_returned}"))
}

/// W4-acquire: `n` jobs due now in a fresh store; one
/// [`acquire_due`](JobStore::acquire_due) call claims all of them. Value:
/// its duration in ms. Extra: `claimed`, `setup_s`.
pub fn w4_acquire(n: u64, target: &Target, emit: &mut dyn FnMut(Line)) {
    let line = Line::new(TEMPORA_IMPL, "W4-acquire", "ms", n).with("store", target.name());
    let outcome = runtime().and_then(|runtime| runtime.block_on(w4_acquire_run(n, target)));
    match outcome {
        Ok((ms, claimed, setup_s)) if claimed == n => emit(
            line.value(ms)
                .with("claimed", claimed)
                .with("setup_s", setup_s),
        ),
        Ok((_, claimed, _)) => emit(
            line.with("claimed", claimed)
                .error(format!("claimed {claimed} of {n} due jobs")),
        ),
        Err(error) => emit(line.error(error)),
    }
}

async fn w4_acquire_run(n: u64, target: &Target) -> Result<(f64, u64, f64), String> {
    let setup = Instant::now();
    let place = Place::fresh(target, "acquire")?;
    let store = place.open().await?;
    let outcome = async {
        fill(&store, target, n).await?;
        let setup_s = setup.elapsed().as_secs_f64();
        // Due in an hour: claim as the scheduler would then.
        let later = SystemClock
            .now()
            .checked_add(SignedDuration::from_secs(2 * 3600))
            .map_err(|error| error.to_string())?;
        let limit = usize::try_from(n).unwrap_or(usize::MAX);
        let lease = SignedDuration::from_secs(60);
        let start = Instant::now();
        let claimed = store
            .acquire_due(later, limit, "bench", lease)
            .await
            .map_err(|error| error.to_string())?;
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        Ok((ms, claimed.len() as u64, setup_s))
    }
    .await;
    drop(store);
    place.remove().await;
    outcome
}

/// W7-cluster: `nodes` schedulers (each with its own connections, as
/// processes would have) share a fresh store holding `n` one-shot jobs, all
/// due; times from starting them to the last run. Value: fires per second.
/// Once is counted where it happens: each execution notes its job inside
/// the task, and the value is `null` unless every job executed exactly
/// once. Extra: `nodes`, `executions` (counted in the task), `runs` (the
/// runs recorded), `per_node` (runs by node, smallest to largest).
pub fn w7_cluster(nodes: u64, n: u64, target: &Target, emit: &mut dyn FnMut(Line)) {
    let line = Line::new(TEMPORA_IMPL, "W7-cluster", "fires/s", n)
        .with("store", target.name())
        .with("nodes", nodes);
    match w7_cluster_run(nodes, n, target) {
        Ok(cluster) if cluster.once == n && cluster.executions == n && cluster.runs == n => emit(
            line.value(n as f64 / cluster.elapsed)
                .with("elapsed_s", cluster.elapsed)
                .with("executions", cluster.executions)
                .with("runs", cluster.runs)
                .with("per_node", cluster.per_node),
        ),
        Ok(cluster) => emit(
            line.with("executions", cluster.executions)
                .with("runs", cluster.runs)
                .error(format!(
                    "{} executions of {} jobs ({} ran exactly once) and {} runs recorded for {n} \
                     fire times",
                    cluster.executions, cluster.distinct, cluster.once, cluster.runs
                )),
        ),
        Err(error) => emit(line.error(error)),
    }
}

/// What one W7-cluster run measured.
struct Cluster {
    elapsed: f64,
    /// Executions counted inside the task.
    executions: u64,
    /// Jobs that executed at least once.
    distinct: u64,
    /// Jobs that executed exactly once.
    once: u64,
    /// Run records in the history.
    runs: u64,
    per_node: String,
}

fn w7_cluster_run(nodes: u64, n: u64, target: &Target) -> Result<Cluster, String> {
    let place = Place::fresh(target, "cluster")?;
    let runtime = runtime()?;
    let outcome = (|| {
        let store = runtime.block_on(place.open())?;
        let due = SystemClock
            .now()
            .checked_sub(SignedDuration::from_secs(1))
            .map_err(|error| error.to_string())?;
        runtime.block_on(async {
            let defaults = JobDefaults::default();
            let mut pending = tokio::task::JoinSet::new();
            for _ in 0..n {
                let job = JobBuilder::new("noop", DateTrigger::new(due))
                    .build_at(&defaults, due)
                    .map_err(|error| error.to_string())?;
                let store = Arc::clone(&store);
                pending.spawn(async move { store.add_job(job, false).await });
                if pending.len() >= SETUP_CONCURRENCY {
                    finish_one(&mut pending).await?;
                }
            }
            while !pending.is_empty() {
                finish_one(&mut pending).await?;
            }
            Ok::<(), String>(())
        })?;
        let (done, fired) = mpsc::channel();
        let count = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let executed: Arc<std::sync::Mutex<std::collections::HashMap<String, u64>>> =
            Arc::default();
        let mut schedulers = Vec::new();
        for node in 0..nodes {
            let tasks = Tasks::new();
            let count = Arc::clone(&count);
            let executed = Arc::clone(&executed);
            let done = done.clone();
            tasks.register("noop", move |context: JobContext, _: ()| {
                *executed
                    .lock()
                    .map_err(|_| "a task panicked holding the count")?
                    .entry(context.job_id().to_owned())
                    .or_default() += 1;
                if count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1 == n {
                    let _ = done.send(());
                }
                Ok::<(), String>(())
            });
            let store = runtime.block_on(place.open())?;
            let scheduler = SchedulerBuilder::new()
                .timezone("UTC")
                .node_id(format!("node-{node}"))
                .tasks(tasks)
                .store("default", store)
                .background()
                .map_err(|error| error.to_string())?;
            schedulers.push(scheduler);
        }
        let start = Instant::now();
        for scheduler in &schedulers {
            scheduler.start().map_err(|error| error.to_string())?;
        }
        let waited = fired.recv_timeout(Duration::from_secs(300));
        let elapsed = start.elapsed().as_secs_f64();
        // After a timeout the runs (or the store) may never finish: do not
        // wait for them.
        for scheduler in &schedulers {
            let _ = scheduler.shutdown(waited.is_ok());
        }
        waited.map_err(|_| {
            format!(
                "only {} of {n} runs within 300 s",
                count.load(std::sync::atomic::Ordering::Relaxed)
            )
        })?;
        let history = store
            .history()
            .ok_or_else(|| format!("store {:?} keeps no run history", store.backend()))?;
        let runs = runtime
            .block_on(history.list_runs(&tempora::history::RunQuery::new()))
            .map_err(|error| error.to_string())?;
        let mut per_node: std::collections::BTreeMap<String, u64> =
            std::collections::BTreeMap::new();
        for run in &runs {
            *per_node.entry(run.node.clone()).or_default() += 1;
        }
        let mut counts: Vec<u64> = per_node.into_values().collect();
        counts.sort_unstable();
        let counts: Vec<String> = counts.iter().map(u64::to_string).collect();
        let executed = executed
            .lock()
            .map_err(|_| "a task panicked holding the count")?;
        Ok(Cluster {
            elapsed,
            executions: executed.values().sum(),
            distinct: executed.len() as u64,
            once: executed.values().filter(|&&times| times == 1).count() as u64,
            runs: runs.len() as u64,
            per_node: counts.join("/"),
        })
    })();
    runtime.block_on(place.remove());
    outcome
}
