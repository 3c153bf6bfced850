//! The one error type of the library.

/// A specialized [`Result`](std::result::Result) whose error is Tempora's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in Tempora.
///
/// Messages are lowercase, have no trailing period and name the field and
/// the value that caused them, for example `hour: 24 is out of range 0-23`.
/// Ask the error what it is with the predicates ([`Error::is_invalid_input`])
/// and [`Error::field`] rather than matching on its text.
///
/// # Example
///
/// ```
/// use tempora::trigger::CronTrigger;
///
/// let error = CronTrigger::builder().hour("24").timezone("UTC").build().unwrap_err();
/// assert!(error.is_invalid_input());
/// assert_eq!(error.field(), Some("hour"));
/// assert_eq!(error.to_string(), "hour: 24 is out of range 0-23");
/// ```
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Debug, thiserror::Error)]
enum ErrorKind {
    /// A value given by the user was refused.
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// No job, store or executor of that name.
    #[error("{what} {name:?} not found")]
    NotFound { what: &'static str, name: String },
    /// A job of that id exists already.
    #[error("id: job {id:?} already exists; remove it first or add it with replace_existing")]
    JobExists { id: String },
    /// The scheduler cannot do that in its current state.
    #[error("{message}")]
    State { message: String },
    /// A store does not offer an operation.
    #[error("store {store:?}: {what} is not supported by this backend")]
    Unsupported { store: String, what: String },
    /// A job store failed; the driver's error is the source.
    #[error("store {store:?}: {message}")]
    Store {
        store: String,
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// An error for a user-supplied `field` whose value was refused; `message`
    /// names the value and says what is allowed. For crates built on
    /// Tempora (stores, the CLI) that check values of their own.
    ///
    /// ```
    /// let error = tempora::Error::invalid("count", "-1 is negative");
    /// assert!(error.is_invalid_input());
    /// assert_eq!(error.to_string(), "count: -1 is negative");
    /// ```
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::InvalidField {
                field: field.into(),
                message: message.into(),
            },
        }
    }

    /// An error for a task name that no [`Tasks`](crate::task::Tasks) registry knows.
    pub(crate) fn task_not_registered(name: &str) -> Error {
        Error::invalid(
            "task",
            format!(
                "{name:?} is not registered; register it with Tasks::register \
                 (or register_async) before adding or restoring jobs that call it"
            ),
        )
    }

    /// An error for a job, store or executor that does not exist; for store
    /// implementations too.
    ///
    /// ```
    /// let error = tempora::Error::not_found("job", "nightly");
    /// assert!(error.is_not_found());
    /// assert_eq!(error.to_string(), "job \"nightly\" not found");
    /// ```
    pub fn not_found(what: &'static str, name: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::NotFound {
                what,
                name: name.into(),
            },
        }
    }

    /// An error for adding a job whose id is taken; for store
    /// implementations too.
    ///
    /// ```
    /// let error = tempora::Error::job_exists("nightly");
    /// assert!(error.is_conflict());
    /// assert_eq!(error.field(), Some("id"));
    /// ```
    pub fn job_exists(id: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::JobExists { id: id.into() },
        }
    }

    /// An error for an operation the scheduler's state does not allow.
    pub(crate) fn state(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::State {
                message: message.into(),
            },
        }
    }

    /// An error from store `store`, wrapping the driver's `source`.
    pub fn store(
        store: impl Into<String>,
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error {
            kind: ErrorKind::Store {
                store: store.into(),
                message: message.into(),
                source,
            },
        }
    }

    /// An error for an operation store `store` does not offer, such as run
    /// history on a store whose [`JobStore::history`](crate::store::JobStore::history)
    /// is `None`: a refusal to show the user, where an accessor answered
    /// `None`.
    ///
    /// ```
    /// let error = tempora::Error::unsupported("memory", "run history");
    /// assert!(error.is_unsupported());
    /// assert_eq!(error.to_string(), "store \"memory\": run history is not supported by this backend");
    /// ```
    pub fn unsupported(store: impl Into<String>, what: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Unsupported {
                store: store.into(),
                what: what.into(),
            },
        }
    }

    /// True when a store does not offer the operation asked for: retrying
    /// will not help.
    pub fn is_unsupported(&self) -> bool {
        matches!(self.kind, ErrorKind::Unsupported { .. })
    }

    /// True when no job, store or executor has the name asked for.
    ///
    /// ```
    /// use tempora::scheduler::HostScheduler;
    ///
    /// let scheduler = HostScheduler::new()?;
    /// let error = scheduler.remove_job("nope").unwrap_err();
    /// assert!(error.is_not_found());
    /// assert_eq!(error.to_string(), "job \"nope\" not found");
    /// # Ok::<(), tempora::Error>(())
    /// ```
    pub fn is_not_found(&self) -> bool {
        matches!(self.kind, ErrorKind::NotFound { .. })
    }

    /// True when a job of the same id exists already.
    pub fn is_conflict(&self) -> bool {
        matches!(self.kind, ErrorKind::JobExists { .. })
    }

    /// True when a job store failed (the database went away, a query
    /// failed): worth retrying later.
    pub fn is_store(&self) -> bool {
        matches!(self.kind, ErrorKind::Store { .. })
    }

    /// True when the scheduler's state refused the operation (not started,
    /// already running, shut down).
    pub fn is_state(&self) -> bool {
        matches!(self.kind, ErrorKind::State { .. })
    }

    /// True when the error was caused by a value the caller supplied (a
    /// trigger expression, a date, a time zone name) rather than by the
    /// environment.
    ///
    /// ```
    /// let error = tempora::trigger::Zone::new("Mars/Olympus_Mons").unwrap_err();
    /// assert!(error.is_invalid_input());
    /// ```
    pub fn is_invalid_input(&self) -> bool {
        matches!(self.kind, ErrorKind::InvalidField { .. })
    }

    /// The name of the field whose value was refused, when there is one.
    ///
    /// ```
    /// let error = tempora::trigger::Zone::new("Mars/Olympus_Mons").unwrap_err();
    /// assert_eq!(error.field(), Some("timezone"));
    /// ```
    pub fn field(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::InvalidField { field, .. } => Some(field),
            ErrorKind::JobExists { .. } => Some("id"),
            _ => None,
        }
    }

    /// What is wrong with a refused value, without the field's name: the
    /// message an error of [`Error::invalid`] was made with. `None` for the
    /// other kinds of error.
    ///
    /// A caller that names the value differently (a command-line option
    /// for the library's field) puts its own name in front of it, instead
    /// of cutting up the message.
    ///
    /// ```
    /// let error = tempora::trigger::CronTrigger::builder().hour("24").timezone("UTC").build().unwrap_err();
    /// assert_eq!(error.field(), Some("hour"));
    /// assert_eq!(error.reason(), Some("24 is out of range 0-23"));
    /// let renamed = tempora::Error::invalid("--hour", error.reason().unwrap_or_default());
    /// assert_eq!(renamed.to_string(), "--hour: 24 is out of range 0-23");
    /// assert_eq!(tempora::Error::not_found("job", "nightly").reason(), None);
    /// ```
    pub fn reason(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::InvalidField { message, .. } => Some(message),
            _ => None,
        }
    }
}
