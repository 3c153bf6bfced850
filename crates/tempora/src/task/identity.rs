//! Who a [`COMMAND`](super::COMMAND) program runs as, and what it gets
//! from an environment file: [`CommandArgs::user`](super::CommandArgs),
//! `group`, `umask` and `env_file`.
//!
//! A program with a user or a group (or a umask) is started from a thread
//! of its own that takes the program's identity first: its supplementary
//! groups, group and user are set for that thread alone (Linux keeps
//! credentials per thread; the C library's `setuid` would change the whole
//! process), its umask in a file-system context of its own, and the
//! program inherits them when the thread starts it. The scheduler keeps
//! its own identity throughout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// The identity a program runs as: resolved from the user and group names
/// when its run starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// Supplementary groups (the user's, as `initgroups` gives them).
    pub(crate) groups: Vec<u32>,
    /// The user's home, login name and shell, for `HOME`, `USER`,
    /// `LOGNAME` and `SHELL` (with a user only).
    pub(crate) user: Option<(String, PathBuf, PathBuf)>,
}

/// Resolves `user` and `group` (names or numeric ids) into the identity a
/// program runs as; `euid` is the scheduler's effective user id. `Ok(None)`
/// when neither is given.
///
/// # Errors
///
/// A user or group that does not exist, or a scheduler that is not root
/// asked to run a program as someone else: a message naming the field and
/// the value.
pub(crate) fn resolve(
    user: Option<&str>,
    group: Option<&str>,
    euid: u32,
) -> Result<Option<Identity>, String> {
    if user.is_none() && group.is_none() {
        return Ok(None);
    }
    #[cfg(unix)]
    {
        resolve_unix(user, group, euid)
    }
    #[cfg(not(unix))]
    {
        let _ = euid;
        Err("user, group: are supported on unix only".to_owned())
    }
}

#[cfg(unix)]
fn resolve_unix(
    user: Option<&str>,
    group: Option<&str>,
    euid: u32,
) -> Result<Option<Identity>, String> {
    let account = match user {
        Some(name) => Some(lookup_user(name)?),
        None => None,
    };
    let group_id = match group {
        Some(name) => Some(lookup_group(name)?),
        None => None,
    };
    let (uid, gid, groups, user_info) = match &account {
        Some(account) => {
            let gid = group_id.unwrap_or(account.gid.as_raw());
            let mut groups = supplementary_groups(&account.name, account.gid.as_raw())?;
            if !groups.contains(&gid) {
                groups.insert(0, gid);
            }
            (
                account.uid.as_raw(),
                gid,
                groups,
                Some((
                    account.name.clone(),
                    account.dir.clone(),
                    account.shell.clone(),
                )),
            )
        }
        // A group alone: the scheduler's user, in that group only.
        None => {
            let gid = group_id.unwrap_or_default();
            (euid, gid, vec![gid], None)
        }
    };
    if euid != 0 {
        let (field, value) = match (user, group) {
            (Some(user), _) => ("user", user),
            (None, Some(group)) => ("group", group),
            (None, None) => return Ok(None),
        };
        // Only root may change who a program runs as; asking for oneself
        // is no change.
        if uid != euid || group.is_some() {
            return Err(format!(
                "{field}: {value:?} needs the scheduler to run as root to run a program as \
                 another user or group; it runs as uid {euid}"
            ));
        }
        return Ok(None);
    }
    Ok(Some(Identity {
        uid,
        gid,
        groups,
        user: user_info,
    }))
}

#[cfg(unix)]
fn lookup_user(name: &str) -> Result<nix::unistd::User, String> {
    let found = match name.parse::<u32>() {
        Ok(uid) => nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)),
        Err(_) => nix::unistd::User::from_name(name),
    };
    match found {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(format!("user: {name:?} is not a user on this system")),
        Err(error) => Err(format!("user: {name:?} cannot be looked up: {error}")),
    }
}

#[cfg(unix)]
fn lookup_group(name: &str) -> Result<u32, String> {
    if let Ok(gid) = name.parse::<u32>() {
        return Ok(gid);
    }
    match nix::unistd::Group::from_name(name) {
        Ok(Some(group)) => Ok(group.gid.as_raw()),
        Ok(None) => Err(format!("group: {name:?} is not a group on this system")),
        Err(error) => Err(format!("group: {name:?} cannot be looked up: {error}")),
    }
}

#[cfg(unix)]
fn supplementary_groups(user: &str, gid: u32) -> Result<Vec<u32>, String> {
    let name =
        std::ffi::CString::new(user).map_err(|_| format!("user: {user:?} holds a NUL byte"))?;
    nix::unistd::getgrouplist(&name, nix::unistd::Gid::from_raw(gid))
        .map(|groups| groups.into_iter().map(|gid| gid.as_raw()).collect())
        .map_err(|error| format!("user: the groups of {user:?} cannot be looked up: {error}"))
}

/// Parses `umask` as an octal mode: `"027"`, `"0077"`.
pub(crate) fn parse_umask(text: &str) -> Result<u32, String> {
    match u32::from_str_radix(text, 8) {
        Ok(mask) if mask <= 0o777 && !text.is_empty() => Ok(mask),
        _ => Err(format!(
            "umask: {text:?} is not an octal mode from 000 to 777, e.g. \"027\""
        )),
    }
}

/// Reads an environment file: `NAME=value` lines, `#` comments and blank
/// lines skipped, an optional `export ` before the name, a value in single
/// or double quotes unquoted (as systemd's `EnvironmentFile=` and
/// docker's `--env-file` read them, without variable expansion).
pub(crate) fn read_env_file(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("env_file: {path:?} cannot be read: {error}"))?;
    parse_env_file(&text).map_err(|(line, why)| format!("env_file: {path:?} line {line}: {why}"))
}

fn parse_env_file(text: &str) -> Result<BTreeMap<String, String>, (usize, String)> {
    let mut vars = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((name, value)) = line.split_once('=') else {
            return Err((index + 1, format!("{line:?} is not NAME=value")));
        };
        let name = name.trim();
        if name.is_empty()
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || name.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err((index + 1, format!("{name:?} is not a variable name")));
        }
        let value = value.trim();
        let value = match value.as_bytes() {
            [b'"', .., b'"'] | [b'\'', .., b'\''] if value.len() >= 2 => &value[1..value.len() - 1],
            _ => value,
        };
        vars.insert(name.to_owned(), value.to_owned());
    }
    Ok(vars)
}

/// Starts `command` as `identity` with `umask`, from a thread that takes
/// them first (see the module's comment); with neither, as the scheduler.
#[cfg(target_os = "linux")]
pub(crate) fn spawn(
    command: &mut Command,
    identity: Option<&Identity>,
    umask: Option<u32>,
) -> std::io::Result<Child> {
    if identity.is_none() && umask.is_none() {
        return command.spawn();
    }
    std::thread::scope(|scope| {
        let starter = std::thread::Builder::new()
            .name("tempora-command-start".to_owned())
            .spawn_scoped(scope, move || {
                if let Some(mask) = umask {
                    // The umask belongs to the file-system context that
                    // the threads share: this thread takes its own first.
                    // OK without `unsafe`: the deprecated safe form is
                    // unsound only with `CLONE_FILES` (file descriptors),
                    // which is not asked for. Its replacement,
                    // `unshare_unsafe`, is an `unsafe fn`, which the
                    // workspace's `forbid(unsafe_code)` rules out.
                    #[allow(deprecated)]
                    rustix::thread::unshare(rustix::thread::UnshareFlags::FS)?;
                    rustix::process::umask(rustix::fs::Mode::from_raw_mode(mask));
                }
                if let Some(identity) = identity {
                    let groups: Vec<rustix::process::Gid> = identity
                        .groups
                        .iter()
                        .map(|gid| rustix::process::Gid::from_raw(*gid))
                        .collect();
                    rustix::thread::set_thread_groups(&groups)?;
                    let gid = rustix::process::Gid::from_raw(identity.gid);
                    rustix::thread::set_thread_res_gid(gid, gid, gid)?;
                    let uid = rustix::process::Uid::from_raw(identity.uid);
                    rustix::thread::set_thread_res_uid(uid, uid, uid)?;
                }
                command.spawn()
            })?;
        starter
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the thread starting it panicked")))
    })
}

/// Elsewhere only the user and group are supported (no supplementary
/// groups, no umask).
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) fn spawn(
    command: &mut Command,
    identity: Option<&Identity>,
    umask: Option<u32>,
) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    if umask.is_some() {
        return Err(std::io::Error::other("umask: is supported on Linux only"));
    }
    if let Some(identity) = identity {
        command.uid(identity.uid).gid(identity.gid);
    }
    command.spawn()
}

/// Windows has no users to switch to.
#[cfg(not(unix))]
pub(crate) fn spawn(
    command: &mut Command,
    identity: Option<&Identity>,
    umask: Option<u32>,
) -> std::io::Result<Child> {
    if identity.is_some() || umask.is_some() {
        return Err(std::io::Error::other(
            "user, group, umask: are supported on unix only",
        ));
    }
    command.spawn()
}

/// The scheduler's effective user id.
#[cfg(unix)]
pub(crate) fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Not unix: no user ids; reported as not root.
#[cfg(not(unix))]
pub(crate) fn effective_uid() -> u32 {
    u32::MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_are_read_as_systemd_reads_them() {
        let vars = parse_env_file(
            "# secrets\n\nexport PGPASSWORD='s3cret'\nAPI_KEY = \"a b\"\nPLAIN=x=y\n",
        )
        .unwrap();
        assert_eq!(vars["PGPASSWORD"], "s3cret");
        assert_eq!(vars["API_KEY"], "a b");
        assert_eq!(vars["PLAIN"], "x=y");
        assert_eq!(
            parse_env_file("A=1\nnot a line\n").unwrap_err(),
            (2, "\"not a line\" is not NAME=value".to_owned())
        );
        assert_eq!(
            parse_env_file("1A=1\n").unwrap_err(),
            (1, "\"1A\" is not a variable name".to_owned())
        );
    }

    #[test]
    fn umasks_are_octal() {
        assert_eq!(parse_umask("027"), Ok(0o27));
        assert_eq!(parse_umask("0077"), Ok(0o77));
        assert!(
            parse_umask("999")
                .unwrap_err()
                .starts_with("umask: \"999\"")
        );
        assert!(parse_umask("1777").is_err());
        assert!(parse_umask("").is_err());
    }

    #[test]
    fn another_user_needs_root() {
        let error = resolve(Some("root"), None, 1000).unwrap_err();
        assert_eq!(
            error,
            "user: \"root\" needs the scheduler to run as root to run a program as another \
             user or group; it runs as uid 1000"
        );
        let error = resolve(None, Some("0"), 1000).unwrap_err();
        assert!(error.starts_with("group: \"0\" needs the scheduler to run as root"));
        assert_eq!(resolve(Some("0"), None, 0).unwrap().unwrap().uid, 0);
        assert!(
            resolve(Some("no-such-user-tempora"), None, 0)
                .unwrap_err()
                .starts_with("user: \"no-such-user-tempora\" is not a user")
        );
    }
}
