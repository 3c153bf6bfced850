//! The daemon and its service manager: the real `tempora run` with
//! `NOTIFY_SOCKET` set to a datagram socket the test binds (as systemd
//! does for a `Type=notify` unit) says READY=1 once it runs, RELOADING=1
//! then READY=1 around a SIGHUP, WATCHDOG=1 while it runs when
//! `WATCHDOG_USEC` asks for it, and STOPPING=1 at SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use support::{Daemon, Setup, signal, wait_exit};

const CONFIG: &str = "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
    [[job]]\nid = \"tick\"\ncommand = [\"true\"]\ninterval = { seconds = 1 }\n";

/// Reads messages until one holds `wanted` (a line of the protocol);
/// returns everything read up to it.
fn receive_until(socket: &UnixDatagram, wanted: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = socket
            .recv(&mut buffer)
            .unwrap_or_else(|error| panic!("no {wanted:?} ({error}); got {seen:?}"));
        let message = String::from_utf8_lossy(&buffer[..read]).into_owned();
        let done = message.lines().any(|line| line == wanted);
        seen.push(message);
        if done {
            return seen;
        }
    }
}

#[test]
fn the_daemon_tells_its_service_manager_what_it_does() {
    let setup = Setup::new("notify", CONFIG);
    let socket_path = setup.path("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    // Only so that a daemon that never says READY fails the test instead
    // of hanging it.
    socket.set_read_timeout(Some(support::DEADLINE)).unwrap();
    let mut daemon = Daemon(setup.start_with(&[
        ("NOTIFY_SOCKET", socket_path.to_str().unwrap()),
        // A watchdog of 400 ms: a ping every 200 ms.
        ("WATCHDOG_USEC", "400000"),
    ]));

    let ready = receive_until(&socket, "READY=1");
    // Nothing before READY: the store is open and the jobs synced then.
    assert_eq!(ready.len(), 1, "{ready:?}");
    assert!(ready[0].contains("STATUS=running 1 job(s)"), "{ready:?}");
    // The scheduler runs its job once READY is said.
    setup.wait_until("tick runs", || setup.count("tick", "success") >= 1);
    receive_until(&socket, "WATCHDOG=1");

    signal(&daemon, "HUP");
    let reload = receive_until(&socket, "RELOADING=1");
    assert!(
        reload.last().unwrap().contains("MONOTONIC_USEC="),
        "{reload:?}"
    );
    let after = receive_until(&socket, "READY=1");
    assert!(
        after.last().unwrap().contains("STATUS=reloaded"),
        "{after:?}"
    );

    signal(&daemon, "TERM");
    receive_until(&socket, "STOPPING=1");
    assert!(wait_exit(&mut daemon).success());
    // The daemon exited: no one writes to the socket any more.
    socket
        .set_read_timeout(Some(Duration::from_millis(10)))
        .unwrap();
}
