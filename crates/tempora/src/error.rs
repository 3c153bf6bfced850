//! The one error type of the library.

use std::fmt;

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
#[error("{kind}")]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    /// A value given by the user was refused.
    InvalidField { field: String, message: String },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::InvalidField { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

impl Error {
    /// An error for a user-supplied `field` whose value was refused; `message`
    /// names the value and says what is allowed.
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::InvalidField {
                field: field.into(),
                message: message.into(),
            },
        }
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
        }
    }
}
