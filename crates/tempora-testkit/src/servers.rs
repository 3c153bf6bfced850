//! Database servers of a test's own: a private PostgreSQL, Redis or
//! MariaDB on a spare loopback port, with its own data directory, that the
//! test may stop, kill and start again without touching the shared
//! servers the other tests use.
//!
//! A fault test breaks the world and checks what a user relies on; the
//! world it breaks must be its own. Each server here is started by the
//! test, lives in a temporary directory, and is killed and removed when
//! the value is dropped (a panicking test leaves nothing running).
//!
//! As root (CI, the development machines), PostgreSQL and MariaDB run as
//! their system users (`postgres`, `mysql`) through `runuser`, as their
//! tools refuse root.
//!
//! ```no_run
//! use tempora_testkit::servers::PrivatePostgres;
//!
//! let mut server = PrivatePostgres::start();
//! let url = server.url(); // postgres://postgres@127.0.0.1:<port>/postgres
//! server.stop();          // the database is down ...
//! server.start_again();   // ... and back, with what it held
//! # drop(url);
//! ```

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server gets to answer after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A loopback port nobody listens on now.
///
/// # Panics
///
/// When no port can be bound (a test helper: a broken machine).
pub fn spare_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("cannot find a spare loopback port: {error}"))
}

fn is_root() -> bool {
    // `id -u` rather than libc: the testkit has no unsafe code.
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// `program args…`, run as `user` through `runuser` when this process is
/// root, else as this user.
fn command_as(user: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", user, "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run {what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A fresh directory under the system's temporary directory, owned by
/// `user` when this process is root.
fn private_dir(kind: &str, port: u16, user: Option<&str>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tempora-{kind}-{port}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
    if let Some(user) = user
        && is_root()
    {
        run(
            Command::new("chown")
                .arg(format!("{user}:{user}"))
                .arg(&dir),
            "chown",
        );
    }
    dir
}

/// Waits until something accepts connections on `port`.
fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not answer on port {port} within {START_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until nothing accepts connections on `port` any more.
fn wait_for_port_closed(port: u16, what: &str) {
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "{what} still answers on port {port} after {START_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The directory of PostgreSQL's server programs (`initdb`, `pg_ctl`).
fn postgres_bindir() -> PathBuf {
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if dir.join("initdb").exists() {
            return dir;
        }
    }
    // Debian's layout: /usr/lib/postgresql/<major>/bin, the newest.
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    versions.sort_by_key(|path| {
        path.file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions
        .pop()
        .map(|version| version.join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .unwrap_or_else(|| {
            panic!("PostgreSQL's initdb is not installed (apt-get install postgresql)")
        })
}

/// A PostgreSQL server of the test's own: `initdb` on a temporary
/// directory, `pg_ctl` on a spare port, trust authentication for
/// `postgres` on loopback. Stopped (immediately) and removed when
/// dropped.
pub struct PrivatePostgres {
    port: u16,
    dir: PathBuf,
    bindir: PathBuf,
    running: bool,
}

impl PrivatePostgres {
    /// Creates the cluster and starts it.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is not installed or does not start.
    pub fn start() -> PrivatePostgres {
        let port = spare_port();
        let dir = private_dir("postgres", port, Some("postgres"));
        let bindir = postgres_bindir();
        run(
            command_as("postgres", bindir.join("initdb"))
                .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
                .arg(dir.join("data")),
            "initdb",
        );
        let mut server = PrivatePostgres {
            port,
            dir,
            bindir,
            running: false,
        };
        server.start_again();
        server
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Its data directory (`postgresql.conf` is there).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Starts the server (again), with what it held, and waits until it
    /// answers.
    ///
    /// # Panics
    ///
    /// When it does not start.
    pub fn start_again(&mut self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        run(
            command_as("postgres", self.bindir.join("pg_ctl"))
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.dir.join("server.log"))
                .args(["-o", &options, "-w", "-t", "60", "start"]),
            "pg_ctl start",
        );
        self.running = true;
        wait_for_port(self.port, "PostgreSQL");
    }

    /// Stops the server (fast shutdown: connections are closed at once)
    /// and waits until it is down.
    ///
    /// # Panics
    ///
    /// When `pg_ctl stop` fails.
    pub fn stop(&mut self) {
        self.pg_ctl_stop("fast");
        wait_for_port_closed(self.port, "PostgreSQL");
    }

    fn pg_ctl_stop(&mut self, mode: &str) {
        if !self.running {
            return;
        }
        run(
            command_as("postgres", self.bindir.join("pg_ctl"))
                .arg("-D")
                .arg(self.data_dir())
                .args(["-m", mode, "-w", "-t", "60", "stop"]),
            "pg_ctl stop",
        );
        self.running = false;
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if self.running {
            let _ = command_as("postgres", self.bindir.join("pg_ctl"))
                .arg("-D")
                .arg(self.data_dir())
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `redis-server` of the test's own on a spare port, in a temporary
/// directory; killed and removed when dropped.
pub struct PrivateRedis {
    port: u16,
    dir: PathBuf,
    append_only: bool,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts a server that keeps nothing on disk (`appendonly no`, no
    /// snapshots): the default of many installs.
    ///
    /// # Panics
    ///
    /// When `redis-server` is not installed or does not start.
    pub fn start() -> PrivateRedis {
        PrivateRedis::launch(false)
    }

    /// Starts a server with an append-only file (`appendonly yes`,
    /// `appendfsync always`): what it holds survives its restart.
    ///
    /// # Panics
    ///
    /// When `redis-server` is not installed or does not start.
    pub fn start_append_only() -> PrivateRedis {
        PrivateRedis::launch(true)
    }

    fn launch(append_only: bool) -> PrivateRedis {
        let port = spare_port();
        let mut server = PrivateRedis {
            port,
            dir: private_dir("redis", port, None),
            append_only,
            child: None,
        };
        server.start_again();
        server
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts the server (again) and waits until it answers.
    ///
    /// # Panics
    ///
    /// When it does not start.
    pub fn start_again(&mut self) {
        if self.child.is_some() {
            return;
        }
        let append_only = if self.append_only { "yes" } else { "no" };
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", append_only])
            .args(["--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start redis-server (apt-get install redis-server): {error}")
            });
        self.child = Some(child);
        wait_for_port(self.port, "redis-server");
    }

    /// Kills the server (SIGKILL: what it did not write is lost) and waits
    /// until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        wait_for_port_closed(self.port, "redis-server");
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A MariaDB server of the test's own: `mariadb-install-db` on a
/// temporary directory, `mariadbd` on a spare port without grant tables
/// (anyone on loopback is root), with a `test` database. Killed and
/// removed when dropped.
pub struct PrivateMariaDb {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl PrivateMariaDb {
    /// Creates the data directory and starts the server.
    ///
    /// # Panics
    ///
    /// When MariaDB is not installed or does not start.
    pub fn start() -> PrivateMariaDb {
        let port = spare_port();
        let dir = private_dir("mariadb", port, Some("mysql"));
        let mut install = command_as("mysql", "mariadb-install-db");
        install
            .arg(format!("--datadir={}", dir.join("data").display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        run(&mut install, "mariadb-install-db");
        let mut server = PrivateMariaDb {
            port,
            dir,
            child: None,
        };
        server.start_again();
        std::fs::create_dir_all(server.dir.join("data").join("test")).ok();
        if is_root() {
            run(
                Command::new("chown")
                    .arg("mysql:mysql")
                    .arg(server.dir.join("data").join("test")),
                "chown",
            );
        }
        server
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `mysql://root@127.0.0.1:<port>/test`.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/test", self.port)
    }

    /// Starts the server (again) and waits until it answers.
    ///
    /// # Panics
    ///
    /// When it does not start.
    pub fn start_again(&mut self) {
        if self.child.is_some() {
            return;
        }
        let data = self.dir.join("data");
        let mut command = Command::new(mariadbd());
        command
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!(
                "--socket={}",
                self.dir.join("mysqld.sock").display()
            ))
            .arg(format!(
                "--pid-file={}",
                self.dir.join("mysqld.pid").display()
            ))
            .arg(format!("--port={}", self.port))
            .args(["--bind-address=127.0.0.1", "--skip-grant-tables"])
            .arg("--skip-log-error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if is_root() {
            command.arg("--user=mysql");
        }
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start mariadbd: {error}"));
        self.child = Some(child);
        wait_for_port(self.port, "mariadbd");
    }

    /// Kills the server (SIGKILL) and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        wait_for_port_closed(self.port, "mariadbd");
    }
}

fn mariadbd() -> &'static Path {
    ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"]
        .into_iter()
        .map(Path::new)
        .find(|path| path.exists())
        .unwrap_or(Path::new("mariadbd"))
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
