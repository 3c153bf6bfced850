//! Opening the daemon's job store from a URL: the `store` key of the
//! configuration file, or `--store` on the command line.
//!
//! | URL | store |
//! |---|---|
//! | a file path, `sqlite://path`, `sqlite:path` | SQLite (embedded; the file is created if missing) |
//! | `postgres://user:password@host:5432/db` | PostgreSQL |
//! | `mysql://…`, `mariadb://…` | MySQL 8, MariaDB 10.6 |
//! | `redis://host:6379/0` | Redis |
//! | `mongodb://host:27017/db` | MongoDB |
//!
//! A relative SQLite path is read beside the configuration file, so
//! `store = "tempora.db"` (the default) is the same file whichever
//! directory the daemon starts in. A URL that names none of these is one
//! error naming it, without its password:
//!
//! ```
//! use std::path::Path;
//! use tempora_cli::store::StoreUrl;
//!
//! let url = StoreUrl::resolve(Some("tempora.db"), Path::new("/etc/tempora"))?;
//! assert_eq!(url.location(), "/etc/tempora/tempora.db");
//! let error = StoreUrl::resolve(Some("oracle://scott:tiger@db/orcl"), Path::new(".")).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "store: \"oracle://scott:***@db/orcl\" is not a SQLite file path or a sqlite://, \
//!      postgres://, mysql://, mariadb://, redis:// or mongodb:// URL"
//! );
//! # Ok::<(), tempora::Error>(())
//! ```

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use tempora::store::url::redact;

use tempora::Error;
use tempora::store::JobStore;

/// The file the store defaults to, beside the configuration file.
pub const DEFAULT_SQLITE_FILE: &str = "tempora.db";

/// Which kind of database a store URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file (embedded).
    Sqlite,
    /// PostgreSQL, MySQL or MariaDB through `tempora-sql`.
    SqlServer,
    /// Redis.
    Redis,
    /// MongoDB.
    MongoDb,
}

/// A store URL, checked and with a relative SQLite path resolved.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreUrl {
    backend: Backend,
    location: String,
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreUrl")
            .field("backend", &self.backend)
            .field("location", &redact(&self.location))
            .finish()
    }
}

impl fmt::Display for StoreUrl {
    /// The URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.location))
    }
}

impl StoreUrl {
    /// Checks `url` (the default SQLite file when `None`), reading a
    /// relative SQLite path beside `base` (the configuration file's
    /// directory).
    ///
    /// # Errors
    ///
    /// Field `store` when the URL's scheme is none of the supported ones or
    /// it is empty; the message shows it without its password.
    pub fn resolve(url: Option<&str>, base: &Path) -> tempora::Result<StoreUrl> {
        let url = url.unwrap_or(DEFAULT_SQLITE_FILE).trim();
        if url.is_empty() {
            return Err(Error::invalid(
                "store",
                "is empty; give a SQLite file path or a database URL",
            ));
        }
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        let backend = match scheme {
            None | Some("sqlite") => Backend::Sqlite,
            Some("postgres" | "postgresql" | "mysql" | "mariadb") => Backend::SqlServer,
            Some("redis" | "rediss") => Backend::Redis,
            Some("mongodb" | "mongodb+srv") => Backend::MongoDb,
            Some(_) => {
                return Err(Error::invalid(
                    "store",
                    format!(
                        "{:?} is not a SQLite file path or a sqlite://, postgres://, mysql://, \
                         mariadb://, redis:// or mongodb:// URL",
                        redact(url)
                    ),
                ));
            }
        };
        let location = if backend == Backend::Sqlite {
            sqlite_location(url, base)
        } else {
            url.to_owned()
        };
        Ok(StoreUrl { backend, location })
    }

    /// The kind of database.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What is given to the driver: the URL, or the SQLite file's path.
    /// It may hold a password: show the URL with `Display` instead.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Connects, creating the store's tables (or keys, or collections) with
    /// `prefix` when given (each backend's default, `tempora_`, otherwise).
    ///
    /// # Errors
    ///
    /// The database cannot be reached or opened: a store error naming the
    /// URL without its password.
    pub async fn open(&self, prefix: Option<&str>) -> tempora::Result<Arc<dyn JobStore>> {
        match self.backend {
            Backend::Sqlite | Backend::SqlServer => {
                let mut options = tempora_sql::SqlOptions::new();
                if let Some(prefix) = prefix {
                    options = options.prefix(prefix);
                }
                tempora_sql::connect(&self.location, &options).await
            }
            Backend::Redis => {
                let mut builder = tempora_redis::RedisStore::builder(self.location.as_str());
                if let Some(prefix) = prefix {
                    builder = builder.prefix(prefix);
                }
                Ok(Arc::new(builder.connect().await?))
            }
            Backend::MongoDb => {
                let mut builder = tempora_mongodb::MongoStore::builder(self.location.as_str());
                if let Some(prefix) = prefix {
                    builder = builder.prefix(prefix);
                }
                Ok(Arc::new(builder.connect().await?))
            }
        }
    }
}

/// The SQLite file a path or `sqlite:` URL names, a relative path read
/// beside `base`. A URL with query parameters, or `sqlite::memory:`, is
/// kept as written.
fn sqlite_location(url: &str, base: &Path) -> String {
    if url.contains('?') || url.contains(":memory:") {
        return url.to_owned();
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = Path::new(path);
    if path.is_absolute() {
        path.display().to_string()
    } else {
        base.join(path).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_by_scheme() {
        let base = Path::new("/srv/cron");
        for (url, backend, location) in [
            (None, Backend::Sqlite, "/srv/cron/tempora.db"),
            (Some("jobs.db"), Backend::Sqlite, "/srv/cron/jobs.db"),
            (
                Some("sqlite://jobs.db"),
                Backend::Sqlite,
                "/srv/cron/jobs.db",
            ),
            (
                Some("sqlite:///var/jobs.db"),
                Backend::Sqlite,
                "/var/jobs.db",
            ),
            (Some("/var/jobs.db"), Backend::Sqlite, "/var/jobs.db"),
            (Some("sqlite::memory:"), Backend::Sqlite, "sqlite::memory:"),
            (
                Some("postgres://u:p@h/db"),
                Backend::SqlServer,
                "postgres://u:p@h/db",
            ),
            (Some("mariadb://h/db"), Backend::SqlServer, "mariadb://h/db"),
            (Some("redis://h:6379/0"), Backend::Redis, "redis://h:6379/0"),
            (Some("mongodb://h/db"), Backend::MongoDb, "mongodb://h/db"),
        ] {
            let resolved = StoreUrl::resolve(url, base).unwrap();
            assert_eq!(resolved.backend(), backend, "{url:?}");
            assert_eq!(resolved.location(), location, "{url:?}");
        }
        let shown = StoreUrl::resolve(Some("postgres://u:secret@h/db"), base).unwrap();
        assert_eq!(shown.to_string(), "postgres://u:***@h/db");
        assert!(!format!("{shown:?}").contains("secret"));
        assert_eq!(
            StoreUrl::resolve(Some(" "), base).unwrap_err().to_string(),
            "store: is empty; give a SQLite file path or a database URL"
        );
    }
}
