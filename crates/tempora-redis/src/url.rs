//! Showing a database URL in a message without its password.

/// `url` with the password of its user information replaced by `***`:
/// `redis://user:secret@host/0` becomes `redis://user:***@host/0`.
///
/// A `pass=` or `password=` query parameter (Redis URLs of Unix sockets
/// carry the password so) is hidden the same way.
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
    use super::redact;

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
        }
    }
}
