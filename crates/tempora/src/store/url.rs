//! Showing a store's URL in a message without its password, for every
//! backend crate (SQL, Redis, MongoDB) and the CLI: one set of rules, so a
//! password never shows in an error, a log line or a `Debug` output.
//!
//! ```
//! use tempora::store::url::{hide_secrets, redact};
//!
//! assert_eq!(redact("postgres://me:secret@db/app"), "postgres://me:***@db/app");
//! assert_eq!(
//!     hide_secrets("redis://:secret@cache/0", "auth failed for secret"),
//!     "auth failed for ***"
//! );
//! ```

/// The query parameters whose values are passwords, compared without
/// regard to case (MongoDB's options are case-insensitive): a password, a
/// TLS client key's password (PostgreSQL's `sslpassword`, MongoDB's
/// `tlsCertificateKeyFilePassword` and its older `sslPEMKeyPassword`).
const PASSWORD_PARAMETERS: [&str; 5] = [
    "pass",
    "password",
    "sslpassword",
    "tlscertificatekeyfilepassword",
    "sslpemkeypassword",
];

/// True when query parameter `key` holds a password.
fn is_password_parameter(key: &str) -> bool {
    PASSWORD_PARAMETERS
        .iter()
        .any(|known| known.eq_ignore_ascii_case(key))
}

/// `url` with its password replaced by `***`: the password of its user
/// information (`postgres://me:secret@host/db` becomes
/// `postgres://me:***@host/db`) and the values of the query parameters
/// that hold passwords: `pass=` and `password=` (Redis URLs of Unix
/// sockets, PostgreSQL key-value parameters carry the password so), and the
/// passwords of TLS client keys, PostgreSQL's `sslpassword=` and MongoDB's
/// `tlsCertificateKeyFilePassword=` (any case) and `sslPEMKeyPassword=`.
///
/// It does not need the URL to parse: a URL that does not is exactly the
/// one an error message shows. Everything between the first `:` after the
/// scheme's `//` and the last `@` counts as the password, so a password
/// holding `@` or `/` is hidden too; at worst a little more than the
/// password is hidden, never less. A file path is returned as it is.
///
/// ```
/// use tempora::store::url::redact;
///
/// assert_eq!(redact("mysql://root:secret@127.0.0.1:3306/test"), "mysql://root:***@127.0.0.1:3306/test");
/// assert_eq!(redact("redis://:secret@127.0.0.1/0"), "redis://:***@127.0.0.1/0");
/// assert_eq!(redact("mongodb://me:p@ss/w0rd@host/db"), "mongodb://me:***@host/db");
/// assert_eq!(
///     redact("redis+unix:///run/redis.sock?db=1&pass=secret"),
///     "redis+unix:///run/redis.sock?db=1&pass=***"
/// );
/// assert_eq!(
///     redact("postgres://me@db/app?sslmode=verify-full&sslpassword=keypass"),
///     "postgres://me@db/app?sslmode=verify-full&sslpassword=***"
/// );
/// assert_eq!(
///     redact("mongodb://db/app?tls=true&tlsCertificateKeyFilePassword=keypass"),
///     "mongodb://db/app?tls=true&tlsCertificateKeyFilePassword=***"
/// );
/// assert_eq!(redact("/var/lib/tempora/jobs.db"), "/var/lib/tempora/jobs.db");
/// ```
pub fn redact(url: &str) -> String {
    let start = authority_start(url);
    redact_query(&redact_userinfo(url, start))
}

/// `message` (a driver's error text, say) with every secret of `url` — its
/// password, the values of its `pass=` and `password=` parameters —
/// replaced by `***`: for wrapping a message that may quote the URL.
///
/// ```
/// use tempora::store::url::hide_secrets;
///
/// let url = "mongodb://me:hunter2@host/db";
/// assert_eq!(
///     hide_secrets(url, "bad url mongodb://me:hunter2@host/db: hunter2"),
///     "bad url mongodb://me:***@host/db: ***"
/// );
/// assert_eq!(hide_secrets("mongodb://host/db", "plain"), "plain");
/// ```
pub fn hide_secrets(url: &str, message: &str) -> String {
    secrets(url)
        .into_iter()
        .filter(|secret| !secret.is_empty())
        .fold(message.to_owned(), |message, secret| {
            message.replace(secret, "***")
        })
}

/// Where the user information would start: after the scheme's `://`.
fn authority_start(url: &str) -> usize {
    url.find("://").map_or(0, |scheme_end| scheme_end + 3)
}

/// The secrets [`redact`] hides in `url`.
fn secrets(url: &str) -> Vec<&str> {
    let mut secrets = Vec::new();
    let rest = &url[authority_start(url)..];
    if let Some(at) = rest.rfind('@')
        && let Some(colon) = rest[..at].find(':')
    {
        secrets.push(&rest[colon + 1..at]);
    }
    if let Some(question) = url.find('?') {
        for param in url[question + 1..].split('&') {
            if let Some((key, value)) = param.split_once('=')
                && is_password_parameter(key)
            {
                secrets.push(value);
            }
        }
    }
    secrets
}

fn redact_query(url: &str) -> String {
    let Some(question) = url.find('?') else {
        return url.to_owned();
    };
    let (base, query) = url.split_at(question + 1);
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _)) if is_password_parameter(key) => format!("{key}=***"),
            _ => param.to_owned(),
        })
        .collect();
    format!("{base}{}", params.join("&"))
}

fn redact_userinfo(url: &str, start: usize) -> String {
    let rest = &url[start..];
    let Some(at) = rest.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &rest[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_owned();
    };
    format!("{}{}:***{}", &url[..start], &userinfo[..colon], &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::{hide_secrets, redact, secrets};

    #[test]
    fn passwords_are_hidden() {
        let cases = [
            (
                "postgres://127.0.0.1:5432/test",
                "postgres://127.0.0.1:5432/test",
            ),
            ("postgres://me:secret@host/db", "postgres://me:***@host/db"),
            (
                "postgresql://me:secret@host/db?sslmode=require",
                "postgresql://me:***@host/db?sslmode=require",
            ),
            (
                "mysql://root:secret@127.0.0.1:3306/test",
                "mysql://root:***@127.0.0.1:3306/test",
            ),
            ("mysql://root@127.0.0.1/test", "mysql://root@127.0.0.1/test"),
            (
                "postgres://me:p@ss/w0rd@host/db",
                "postgres://me:***@host/db",
            ),
            (
                "postgres://host/db?user=me&password=secret&sslmode=require",
                "postgres://host/db?user=me&password=***&sslmode=require",
            ),
            ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
            ("redis://:secret@127.0.0.1/0", "redis://:***@127.0.0.1/0"),
            (
                "redis://me:secret@host:6379/2",
                "redis://me:***@host:6379/2",
            ),
            ("redis://me@host/0", "redis://me@host/0"),
            ("rediss://me:s3cr:et@host", "rediss://me:***@host"),
            (
                "redis+unix:///run/redis.sock?db=1&pass=secret",
                "redis+unix:///run/redis.sock?db=1&pass=***",
            ),
            (
                "unix:///run/redis.sock?password=secret",
                "unix:///run/redis.sock?password=***",
            ),
            (
                "mongodb://me:secret@a:27017,b:27017/db?replicaSet=rs",
                "mongodb://me:***@a:27017,b:27017/db?replicaSet=rs",
            ),
            (
                "postgres://me:secret@host/db?sslmode=require&sslpassword=secret",
                "postgres://me:***@host/db?sslmode=require&sslpassword=***",
            ),
            (
                "mongodb://host/db?tls=true&tlsCertificateKeyFilePassword=secret&w=1",
                "mongodb://host/db?tls=true&tlsCertificateKeyFilePassword=***&w=1",
            ),
            (
                "mongodb://host/db?TLSCERTIFICATEKEYFILEPASSWORD=secret",
                "mongodb://host/db?TLSCERTIFICATEKEYFILEPASSWORD=***",
            ),
            (
                "mongodb://host/db?ssl=true&sslPEMKeyPassword=secret",
                "mongodb://host/db?ssl=true&sslPEMKeyPassword=***",
            ),
            ("not a url :secret@x", "not a url :***@x"),
            ("/var/lib/tempora/jobs.db", "/var/lib/tempora/jobs.db"),
            ("sqlite::memory:", "sqlite::memory:"),
            ("", ""),
        ];
        for (url, shown) in cases {
            assert_eq!(redact(url), shown, "{url}");
            assert!(!redact(url).contains("secret"), "{url}");
            assert!(!hide_secrets(url, url).contains("secret"), "{url}");
            for secret in secrets(url) {
                assert!(secret.is_empty() || !redact(url).contains(secret), "{url}");
            }
        }
        assert_eq!(
            secrets("mongodb://me:p@ss@host/db?password=x&w=1"),
            ["p@ss", "x"]
        );
    }
}
