//! A command job's `user`, `group`, `umask` and `env_file` keys: read from
//! its `[[job]]` table into the [`CommandArgs`] the library runs, and the
//! daemon's start-up check that it may honour them (only root may run a
//! program as another user).
//!
//! ```toml
//! [[job]]
//! id = "backup"
//! shell = "pg_dump app > /backups/app.sql"
//! cron = "0 3 * * *"
//! user = "backup"                      # with its home and groups
//! group = "backup"                     # default: the user's primary group
//! umask = "077"
//! env_file = "/etc/tempora/backup.env" # read when each run starts
//! ```

use std::ops::Range;
use std::path::PathBuf;

use tempora::task::CommandArgs;
use toml::Spanned;

use crate::config::DaemonConfig;

/// Sets the keys that are given on `command`.
///
/// # Errors
///
/// An empty user or group, a umask that is not octal from 000 to 777, or
/// a relative `env_file`: the key's place and a message naming it.
pub(crate) fn apply(
    mut command: CommandArgs,
    user: &Option<Spanned<String>>,
    group: &Option<Spanned<String>>,
    umask: &Option<Spanned<String>>,
    env_file: &Option<PathBuf>,
) -> Result<CommandArgs, (Range<usize>, String)> {
    for (field, value) in [("user", user), ("group", group)] {
        if let Some(value) = value
            && value.get_ref().is_empty()
        {
            return Err((
                value.span(),
                format!("{field}: is empty; give a name or a numeric id"),
            ));
        }
    }
    if let Some(user) = user {
        command = command.user(user.get_ref());
    }
    if let Some(group) = group {
        command = command.group(group.get_ref());
    }
    if let Some(umask) = umask {
        let text = umask.get_ref();
        match u32::from_str_radix(text, 8) {
            Ok(mask) if mask <= 0o777 && !text.is_empty() => command = command.umask(mask),
            _ => {
                return Err((
                    umask.span(),
                    format!("umask: {text:?} is not an octal mode from 000 to 777, e.g. \"027\""),
                ));
            }
        }
    }
    if let Some(path) = env_file {
        command = command.env_file(path);
    }
    Ok(command)
}

/// Refuses a configuration whose jobs ask for another user or group when
/// the daemon does not run as root (`euid`): the first such job, naming
/// the key and its value.
///
/// ```
/// use tempora_cli::config::DaemonConfig;
/// use tempora_cli::run_as::check_privileges;
///
/// let text = "[[job]]\nid = \"backup\"\nshell = \"true\"\ncron = \"@daily\"\nuser = \"backup\"\n";
/// let config = DaemonConfig::parse(text, "tempora.toml")?;
/// assert_eq!(
///     check_privileges(&config, 1000).unwrap_err().to_string(),
///     "user: \"backup\" (job \"backup\") needs the daemon to run as root to run a job as \
///      another user or group; it runs as uid 1000"
/// );
/// assert!(check_privileges(&config, 0).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The first job with `user` or `group` when `euid` is not 0.
pub fn check_privileges(config: &DaemonConfig, euid: u32) -> Result<(), tempora::Error> {
    if euid == 0 {
        return Ok(());
    }
    for job in &config.jobs {
        let asked = [("user", &job.command.user), ("group", &job.command.group)];
        if let Some((field, Some(value))) = asked.into_iter().find(|(_, value)| value.is_some()) {
            // A user that is the daemon's own is no change.
            if field == "user" && value.parse::<u32>().ok() == Some(euid) {
                continue;
            }
            return Err(tempora::Error::invalid(
                field,
                format!(
                    "{value:?} (job {:?}) needs the daemon to run as root to run a job \
                     as another user or group; it runs as uid {euid}",
                    job.id
                ),
            ));
        }
    }
    Ok(())
}

/// The daemon's effective user id.
#[cfg(unix)]
pub fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Not unix: never root.
#[cfg(not(unix))]
pub fn effective_uid() -> u32 {
    u32::MAX
}

#[cfg(test)]
mod tests {
    use crate::config::DaemonConfig;

    fn job(keys: &str) -> Result<DaemonConfig, String> {
        let text = format!("[[job]]\nid = \"backup\"\nshell = \"true\"\ncron = \"@daily\"\n{keys}");
        DaemonConfig::parse(&text, "t.toml").map_err(|error| error.to_string())
    }

    #[test]
    fn the_keys_reach_the_command() {
        let config = job(
            "user = \"backup\"\ngroup = \"disk\"\numask = \"027\"\nenv_file = \"/etc/tempora/backup.env\"\n",
        )
        .unwrap();
        let command = &config.jobs[0].command;
        assert_eq!(command.user.as_deref(), Some("backup"));
        assert_eq!(command.group.as_deref(), Some("disk"));
        assert_eq!(command.umask, Some(0o27));
        assert_eq!(
            command.env_file.as_deref(),
            Some(std::path::Path::new("/etc/tempora/backup.env"))
        );
    }

    #[test]
    fn mistakes_are_located_and_named() {
        assert_eq!(
            job("umask = \"999\"\n").unwrap_err(),
            "t.toml:5:9: job \"backup\": umask: \"999\" is not an octal mode from 000 to 777, e.g. \"027\""
        );
        assert_eq!(
            job("user = \"\"\n").unwrap_err(),
            "t.toml:5:8: job \"backup\": user: is empty; give a name or a numeric id"
        );
    }
}
