//! Signing in and out: the token in an `HttpOnly`, `SameSite=Strict`
//! cookie, checked against the API's tokens on each request; and the
//! checks every changing form passes (a token derived from the session,
//! and the request's `Origin`).

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tempora_api::Role;

use crate::Dashboard;
use crate::pages::layout;

/// The cookie that holds the token.
const COOKIE: &str = "tempora_token";

/// Who is signed in.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The token's name.
    pub(crate) name: String,
    /// The token's role.
    pub(crate) role: Role,
    /// The value every changing form must carry.
    pub(crate) csrf: String,
}

impl Session {
    /// True when the role allows `needed`.
    pub(crate) fn may(&self, needed: Role) -> bool {
        self.role.allows(needed)
    }
}

/// The form token of a session: derived from its token, so that a page of
/// another site, which cannot read the cookie, cannot forge it.
fn csrf_of(token: &str) -> String {
    let digest = Sha256::digest(format!("tempora-dashboard-form:{token}").as_bytes());
    hex::encode(&digest[..16])
}

/// The cookie's token, if the request has one.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The session of a request, if its cookie holds a known token.
pub(crate) fn session(dashboard: &Dashboard, headers: &HeaderMap) -> Option<Session> {
    let token = cookie_token(headers)?;
    let caller = dashboard.tokens.caller(&token)?;
    Some(Session {
        name: caller.name.clone(),
        role: caller.role,
        csrf: csrf_of(&token),
    })
}

/// The session, or the redirect to the sign-in page.
pub(crate) fn require(dashboard: &Dashboard, headers: &HeaderMap) -> Result<Session, Response> {
    session(dashboard, headers).ok_or_else(|| Redirect::to("/ui/login").into_response())
}

/// Refuses a changing request whose form token is not the session's, or
/// whose `Origin` is not this server's.
pub(crate) fn check_form(
    session: &Session,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(), Response> {
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|origin| origin.to_str().ok());
    let same_origin = match (origin, host) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority == host),
        (Some(_), None) => false,
    };
    if !same_origin || csrf != session.csrf {
        return Err((
            StatusCode::FORBIDDEN,
            "refused: the form came from another page; reload the dashboard and try again",
        )
            .into_response());
    }
    Ok(())
}

/// `GET /ui/login`.
pub(crate) async fn login_page() -> Markup {
    login_markup(None)
}

fn login_markup(error: Option<&str>) -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            main.narrow {
                h1 { "Sign in to Tempora" }
                p { "Paste an API token (" code { "tempora api token --role read" } " makes one). \
                     It is kept in a cookie this site alone can read, never in a URL." }
                @if let Some(error) = error {
                    p.error role="alert" { (error) }
                }
                form method="post" action="/ui/login" {
                    label for="token" { "Token" }
                    input #token type="password" name="token" autocomplete="current-password"
                        required autofocus;
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    token: String,
}

/// `POST /ui/login`: checks the token, sets the cookie.
pub(crate) async fn login(
    State(dashboard): State<Dashboard>,
    Form(form): Form<LoginForm>,
) -> Response {
    let token = form.token.trim();
    let Some(caller) = dashboard.tokens.caller(token) else {
        return (
            StatusCode::UNAUTHORIZED,
            login_markup(Some("That token is not known.")),
        )
            .into_response();
    };
    tracing::info!(token = %caller.name, role = %caller.role, "dashboard sign-in");
    let cookie = format!("{COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=43200");
    let mut response = Redirect::to("/ui/").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /ui/logout`: clears the cookie.
pub(crate) async fn logout() -> Response {
    let mut response = Redirect::to("/ui/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("tempora_token=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}
