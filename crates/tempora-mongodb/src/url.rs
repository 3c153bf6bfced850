//! Showing a database URL in a message without its password (the same
//! rules as tempora-redis's copy of this file).

/// `url` with the password of its user information replaced by `***`:
/// `mongodb://user:secret@host/db` becomes `mongodb://user:***@host/db`.
///
/// A `pass=` or `password=` query parameter is hidden the same way.
///
/// It does not need the URL to parse: a URL that does not is exactly the
/// one an error message shows. Everything between the first `:` after the
/// scheme's `//` and the last `@` counts as the password, so a password
/// holding `@` or `/` is hidden too; at worst a little more than the
/// password is hidden, never less.
pub(crate) fn redact(url: &str) -> String {
    let start = url.find("://").map_or(0, |scheme_end| scheme_end + 3);
    redact_query(&redact_userinfo(url, start))
}

/// The secrets [`redact`] hides in `url`: the password of its user
/// information and the values of `pass=` and `password=` parameters.
pub(crate) fn secrets(url: &str) -> Vec<&str> {
    let mut secrets = Vec::new();
    let start = url.find("://").map_or(0, |scheme_end| scheme_end + 3);
    let rest = &url[start..];
    if let Some(at) = rest.rfind('@')
        && let Some(colon) = rest[..at].find(':')
    {
        secrets.push(&rest[colon + 1..at]);
    }
    if let Some(question) = url.find('?') {
        for param in url[question + 1..].split('&') {
            if let Some((key, value)) = param.split_once('=')
                && (key == "pass" || key == "password")
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
            Some((key, _)) if key == "pass" || key == "password" => format!("{key}=***"),
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
    use super::{redact, secrets};

    #[test]
    fn passwords_are_hidden() {
        let cases = [
            ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
            ("redis://:secret@127.0.0.1/0", "redis://:***@127.0.0.1/0"),
            (
                "redis://me:secret@host:6379/2",
                "redis://me:***@host:6379/2",
            ),
            ("redis://me@host/0", "redis://me@host/0"),
            ("redis://me:p@ss/w0rd@host/0", "redis://me:***@host/0"),
            ("rediss://me:s3cr:et@host", "rediss://me:***@host"),
            ("not a url :secret@x", "not a url :***@x"),
            ("", ""),
            (
                "redis+unix:///run/redis.sock?db=1&pass=secret",
                "redis+unix:///run/redis.sock?db=1&pass=***",
            ),
            (
                "unix:///run/redis.sock?password=secret",
                "unix:///run/redis.sock?password=***",
            ),
        ];
        for (url, shown) in cases {
            assert_eq!(redact(url), shown, "{url}");
            assert!(!redact(url).contains("secret"), "{url}");
            for secret in secrets(url) {
                assert!(!redact(url).contains(secret) || secret.is_empty(), "{url}");
            }
        }
        assert_eq!(
            secrets("mongodb://me:p@ss@host/db?password=x&w=1"),
            ["p@ss", "x"]
        );
    }
}
