//! What a store's refusal of a URL or a login must say: the URL, as the
//! store shows it, and never its password.

/// The error `connecting` ended with, refusing a URL whose password is
/// `password`: checked to name `shown` (the URL, or the part of it, as the
/// store shows it, the password starred) in its message, and to show the
/// password neither there nor in its `Debug` form, which shows its
/// sources. The caller checks what kind of error it is.
///
/// ```
/// let refused = Err::<(), _>(tempora::Error::invalid("url", "\"redis://me:***@[bad\" does not parse"));
/// let error = tempora_testkit::urls::refused_without_password(refused, "me:***@", "hunter2");
/// assert_eq!(error.field(), Some("url"));
/// ```
///
/// # Panics
///
/// When `connecting` succeeded, or its error does not name `shown` or
/// shows the password.
pub fn refused_without_password<S>(
    connecting: tempora::Result<S>,
    shown: &str,
    password: &str,
) -> tempora::Error {
    let error = match connecting {
        Ok(_) => panic!("a URL with password {password:?} must be refused"),
        Err(error) => error,
    };
    let message = error.to_string();
    assert!(message.contains(shown), "{message} does not name {shown}");
    assert!(!message.contains(password), "{message} shows the password");
    assert!(
        !format!("{error:?}").contains(password),
        "{error:?} shows the password"
    );
    error
}
