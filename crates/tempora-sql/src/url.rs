//! Showing a database URL in a message without its password.

/// `url` with the password of its user information replaced by `***`:
/// `postgres://me:secret@host/db` becomes `postgres://me:***@host/db`. A
/// `password=` query parameter is hidden the same way.
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
            Some((key, _)) if key == "password" || key == "pass" => format!("{key}=***"),
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
            (
                "postgres://127.0.0.1:5432/test",
                "postgres://127.0.0.1:5432/test",
            ),
            ("postgres://me:secret@host/db", "postgres://me:***@host/db"),
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
            ("not a url :secret@x", "not a url :***@x"),
            ("/var/lib/tempora/jobs.db", "/var/lib/tempora/jobs.db"),
            ("", ""),
        ];
        for (url, shown) in cases {
            assert_eq!(redact(url), shown, "{url}");
            assert!(!redact(url).contains("secret"), "{url}");
        }
    }
}
