//! The daemon's messages to its service manager: systemd's notify protocol
//! (`sd_notify`), for a unit of `Type=notify`.
//!
//! When `NOTIFY_SOCKET` is set (systemd sets it for such a unit), the
//! daemon sends `READY=1` once its store is open, the file's jobs are
//! synced and the scheduler starts; `RELOADING=1` when a SIGHUP makes it
//! read the file again, and `READY=1` when that reload is done (applied
//! or refused); `STOPPING=1` at SIGTERM or SIGINT. When `WATCHDOG_USEC`
//! is set too (`WatchdogSec=` in the unit), a thread sends `WATCHDOG=1`
//! every half of that interval while the scheduler runs, so systemd
//! restarts a daemon whose scheduler stopped without exiting. Without
//! `NOTIFY_SOCKET` every function here does nothing.
//!
//! ```
//! // Outside systemd (no NOTIFY_SOCKET) these are no-ops.
//! tempora_cli::systemd::ready("tempora running");
//! tempora_cli::systemd::stopping();
//! assert!(tempora_cli::systemd::watchdog_interval().is_none() || std::env::var_os("WATCHDOG_USEC").is_some());
//! ```

use std::time::Duration;

use sd_notify::NotifyState;

/// Sends `states` to the service manager, if there is one; a failure to
/// send is logged, never fatal (the daemon works without a manager).
fn send(states: &[NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(error) = sd_notify::notify(false, states) {
        tracing::warn!(%error, "cannot notify the service manager (NOTIFY_SOCKET)");
    }
}

/// `READY=1` with a status line: the daemon runs its jobs.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// `RELOADING=1`: a SIGHUP came and the file is being read again; the
/// daemon sends [`ready`] when the reload is done.
pub fn reloading() {
    let mut states = vec![NotifyState::Reloading];
    // systemd 253+ wants the time of the reload with it (`Type=notify-reload`);
    // older ones ignore it.
    if let Ok(now) = NotifyState::monotonic_usec_now() {
        states.push(now);
    }
    send(&states);
}

/// `STOPPING=1`: a stop signal came; running jobs are being ended.
pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, when systemd
/// asked for a watchdog for this process.
/// As libsystemd's `sd_watchdog_enabled` reads them: `WATCHDOG_PID`, when
/// set, must be this process (a child that inherited them pings nothing).
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// Sends `WATCHDOG=1` every [`watchdog_interval`] from a thread of its
/// own while `alive()` holds; does nothing without a watchdog.
///
/// # Errors
///
/// The thread cannot be started.
pub fn spawn_watchdog(alive: impl Fn() -> bool + Send + 'static) -> std::io::Result<()> {
    let Some(interval) = watchdog_interval() else {
        return Ok(());
    };
    tracing::info!(interval = ?interval, "systemd watchdog: pinging");
    std::thread::Builder::new()
        .name("tempora-watchdog".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                if alive() {
                    send(&[NotifyState::Watchdog]);
                }
            }
        })?;
    Ok(())
}
