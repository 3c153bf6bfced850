//! See the catalogue in `main.rs`.

use std::time::{Duration, Instant};

use tempora_testkit::servers::PrivatePostgres;

use crate::support::{Daemon, Setup, is_running, signal, wait_exit};

fn config(url: &str) -> String {
    format!(
        "[scheduler]\nstore = \"{url}\"\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
         [[job]]\nid = \"tick\"\nshell = \"echo tick >> tick.txt\"\nworking_dir = \"{{DIR}}\"\n\
         interval = {{ seconds = 1 }}\n"
    )
}

/// The store is down when the daemon starts: it waits, one log line per
/// attempt (backoff capped at 5 s), never exits, and runs the per-second
/// job within seconds of the server's start. SIGTERM while it waits exits
/// cleanly.
#[test]
fn the_daemon_waits_for_a_store_that_is_down_at_start() {
    let mut server = PrivatePostgres::start();
    server.stop();
    let setup = Setup::new("store-down-at-start", &config(&server.url()));

    // SIGTERM while waiting: a clean exit.
    let mut early = Daemon(setup.start());
    setup.wait_until("the first attempt is logged", || {
        setup
            .log()
            .contains("the store cannot be reached; waiting for it")
    });
    signal(&early, "TERM");
    let asked = Instant::now();
    assert!(wait_exit(&mut early).success(), "{}", setup.log());
    assert!(asked.elapsed() < Duration::from_secs(3));

    let mut daemon = Daemon(setup.start());
    setup.wait_until("three attempts are logged", || {
        setup
            .log()
            .matches("the store cannot be reached; waiting for it")
            .count()
            >= 4
    });
    assert!(is_running(&mut daemon), "{}", setup.log());
    assert!(setup.lines("tick.txt").is_empty());

    server.start_again();
    let back = Instant::now();
    setup.wait_until("tick runs", || !setup.lines("tick.txt").is_empty());
    let recovered = back.elapsed();
    eprintln!("bounded_calls: the job ran {recovered:?} after the server was started again");
    // The backoff is at most 5 s; the job runs at its next second.
    assert!(recovered < Duration::from_secs(10), "took {recovered:?}");
    assert!(setup.log().contains("the store is reachable"));
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
}

// Store calls against a server that accepts connections and never answers,
// and a PostgreSQL connection that goes silent mid-use: every call ends
// with an error within its bound instead of hanging for the kernel's TCP
// timeout.

mod silent_servers {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use tempora::store::JobStore;
    use tempora_sql::SqlOptions;

    /// The longest any store call may take against a silent server.
    const BOUND: Duration = Duration::from_secs(40);

    /// A server that accepts every connection and never sends a byte;
    /// it holds the sockets open. Gives its port.
    fn silent_server() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                held.push(stream);
            }
        });
        port
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// How long `connect` took to fail; fails the test if it succeeded.
    fn time_to_fail<T, F: std::future::Future<Output = tempora::Result<T>>>(
        what: &str,
        connect: F,
    ) -> Duration {
        let start = Instant::now();
        let outcome = runtime().block_on(async {
            // A hang fails the test rather than blocking it for good.
            tokio::time::timeout(BOUND * 2, connect).await
        });
        let took = start.elapsed();
        match outcome {
            Ok(Err(error)) => println!("{what} against a silent server: {error} after {took:?}"),
            Ok(Ok(_)) => panic!("{what}: connected to a server that never answers"),
            Err(_) => panic!("{what}: still waiting after {took:?}"),
        }
        assert!(took < BOUND, "{what} took {took:?}");
        took
    }

    #[test]
    fn postgres_gives_up_on_a_silent_server() {
        let url = format!("postgres://postgres@127.0.0.1:{}/test", silent_server());
        time_to_fail(
            "PostgreSQL",
            tempora_sql::PostgresStore::connect(&url, &SqlOptions::new()),
        );
    }

    #[test]
    fn mysql_gives_up_on_a_silent_server() {
        let url = format!("mysql://root@127.0.0.1:{}/test", silent_server());
        time_to_fail(
            "MySQL",
            tempora_sql::MySqlStore::connect(&url, &SqlOptions::new()),
        );
    }

    #[test]
    fn redis_gives_up_on_a_silent_server() {
        let url = format!("redis://127.0.0.1:{}/0", silent_server());
        time_to_fail("Redis", tempora_redis::RedisStore::connect(url));
    }

    #[test]
    fn mongodb_gives_up_on_a_silent_server() {
        let url = format!("mongodb://127.0.0.1:{}/tempora", silent_server());
        time_to_fail("MongoDB", tempora_mongodb::MongoStore::connect(url));
    }

    /// A TCP proxy to `upstream` that forwards both ways until `silent` is
    /// set, then forwards nothing (the network path dropped, without a
    /// reset) until it is cleared. Gives its port.
    fn proxy(upstream: u16, silent: Arc<AtomicBool>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let silent = Arc::clone(&silent);
                    std::thread::spawn(move || forward(from, to, &silent));
                }
            }
        });
        port
    }

    fn forward(mut from: TcpStream, mut to: TcpStream, silent: &AtomicBool) {
        from.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut buffer = [0; 16 * 1024];
        loop {
            if silent.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            match from.read(&mut buffer) {
                Ok(0) => return,
                Ok(read) => {
                    if to.write_all(&buffer[..read]).is_err() {
                        return;
                    }
                }
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return,
            }
        }
    }

    #[test]
    fn a_postgres_connection_that_goes_silent_fails_the_call_and_the_next_one_recovers() {
        let silent = Arc::new(AtomicBool::new(false));
        let port = proxy(5432, Arc::clone(&silent));
        // The URL's statement timeout (2 s) bounds the calls, server side
        // and client side.
        let url =
            format!("postgres://postgres@127.0.0.1:{port}/test?options[statement_timeout]=2s");
        let options = SqlOptions::new()
            .prefix(tempora_testkit::unique_prefix("silent"))
            .max_connections(2);
        runtime().block_on(async {
            let store = tempora_sql::PostgresStore::connect(&url, &options)
                .await
                .unwrap();
            store
                .add_job(
                    tempora_testkit::jobs::job("a", tempora_testkit::jobs::T0),
                    false,
                )
                .await
                .unwrap();
            silent.store(true, Ordering::SeqCst);
            // The forwarding threads see it within their 50 ms read.
            tokio::time::sleep(Duration::from_millis(200)).await;
            // Each call on a silent connection fails within the statement
            // timeout and its margin (7 s here), closing the connection.
            for _ in 0..3 {
                let start = Instant::now();
                let error = tokio::time::timeout(BOUND * 2, store.list_jobs())
                    .await
                    .expect("a call hung on a silent connection")
                    .unwrap_err();
                let took = start.elapsed();
                println!("a call on a silent connection: {error} after {took:?}");
                assert!(took < Duration::from_secs(15), "{took:?}");
            }
            silent.store(false, Ordering::SeqCst);
            // The pool is not left holding dead connections: once the path
            // is back, calls succeed on new ones.
            let start = Instant::now();
            let jobs = store.list_jobs().await.unwrap();
            assert_eq!(jobs.len(), 1);
            println!(
                "the next call after the path returned took {:?}",
                start.elapsed()
            );
            store.drop_tables().await.unwrap();
        });
    }

    #[test]
    fn a_mongodb_connection_that_goes_silent_fails_the_call() {
        let silent = Arc::new(AtomicBool::new(false));
        let port = proxy(27017, Arc::clone(&silent));
        let url = format!("mongodb://127.0.0.1:{port}/tempora_test?directConnection=true");
        runtime().block_on(async {
            let store = tempora_mongodb::MongoStore::builder(url)
                .prefix(tempora_testkit::unique_prefix("silent"))
                .connect()
                .await
                .unwrap();
            store
                .add_job(
                    tempora_testkit::jobs::job("a", tempora_testkit::jobs::T0),
                    false,
                )
                .await
                .unwrap();
            silent.store(true, Ordering::SeqCst);
            // The forwarding threads see it within their 50 ms read.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let start = Instant::now();
            let outcome = tokio::time::timeout(BOUND * 2, store.list_jobs()).await;
            let took = start.elapsed();
            println!("a MongoDB call on a silent connection: {outcome:?} after {took:?}");
            silent.store(false, Ordering::SeqCst);
            assert!(matches!(outcome, Ok(Err(_))), "{outcome:?}");
            assert!(took < BOUND, "{took:?}");
            // Once the path is back, calls succeed again.
            let start = Instant::now();
            tokio::time::timeout(BOUND * 2, store.remove_all_jobs())
                .await
                .expect("no answer after the path returned")
                .unwrap();
            println!(
                "the next call after the path returned took {:?}",
                start.elapsed()
            );
        });
    }
}
