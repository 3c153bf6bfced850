//! Who may call what: bearer tokens, kept as SHA-256 hashes, each with a
//! [`Role`]; and the layer that checks them in front of each route.
//!
//! A token is never stored or logged: the configuration holds its SHA-256
//! (hex), and a request's `Authorization: Bearer TOKEN` is hashed and
//! looked up. No token, or one that is not known, is answered 401 with
//! `WWW-Authenticate: Bearer`; a known token whose role is too weak for
//! the route, 403.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tempora::Error;

use crate::error::ApiError;

/// What a token may do; roles are ordered, each allowing what the weaker
/// ones allow: `admin` ⊇ `operate` ⊇ `read`.
///
/// ```
/// use tempora_api::Role;
///
/// assert!(Role::Admin.allows(Role::Operate));
/// assert!(!Role::Read.allows(Role::Operate));
/// assert_eq!("operate".parse::<Role>()?, Role::Operate);
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Every `GET`: jobs, runs, nodes, fire times.
    Read,
    /// `read`, and pause, resume, run now and backfill.
    Operate,
    /// `operate`, and add, modify and delete jobs.
    Admin,
}

impl Role {
    /// True when this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }

    /// The role's name: `read`, `operate` or `admin`.
    ///
    /// ```
    /// assert_eq!(tempora_api::Role::Admin.as_str(), "admin");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Operate => "operate",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(text: &str) -> Result<Role, Error> {
        match text {
            "read" => Ok(Role::Read),
            "operate" => Ok(Role::Operate),
            "admin" => Ok(Role::Admin),
            other => Err(Error::invalid(
                "role",
                format!("{other:?} is not a role; expected read, operate or admin"),
            )),
        }
    }
}

/// The SHA-256 of a token, as the configuration holds it.
///
/// ```
/// use tempora_api::TokenHash;
///
/// let hash = TokenHash::of("test");
/// assert_eq!(hash.to_string(), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
/// assert_eq!(hash.to_string().parse::<TokenHash>()?, hash);
/// assert!("9f86".parse::<TokenHash>().is_err());
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of `token`.
    pub fn of(token: &str) -> TokenHash {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }
}

impl fmt::Display for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({self})")
    }
}

impl FromStr for TokenHash {
    type Err = Error;

    /// Reads 64 hex digits (either case).
    fn from_str(text: &str) -> Result<TokenHash, Error> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| {
            Error::invalid(
                "sha256",
                format!(
                    "{text:?} is not a SHA-256 in hex (64 digits); `tempora api token` prints one"
                ),
            )
        })?;
        Ok(TokenHash(bytes))
    }
}

/// One token the API accepts: a name (for the log), a role and the
/// token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// A name for the log and the error messages; never the token.
    pub name: String,
    /// What the token may do.
    pub role: Role,
    /// The token's SHA-256.
    pub sha256: TokenHash,
}

/// A new random token: 64 hex digits from the operating system's
/// randomness (two version-4 UUIDs, 244 random bits).
///
/// ```
/// let token = tempora_api::new_token();
/// assert_eq!(token.len(), 64);
/// assert_ne!(token, tempora_api::new_token());
/// ```
pub fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The caller a request was authenticated as, put in the request's
/// extensions by the auth layer: handlers may log its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name.
    pub name: String,
    /// The token's role.
    pub role: Role,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token (`/healthz`, `/readyz`).
    Public,
    /// A token of this role or a stronger one.
    Role(Role),
    /// The metrics token when one is configured (any API token of role
    /// `read` is accepted too); anyone when none is.
    Metrics,
}

/// The tokens a router checks, and the optional metrics token.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    by_hash: HashMap<TokenHash, Caller>,
    metrics: Option<TokenHash>,
}

impl Tokens {
    /// No tokens: every route that needs one answers 401.
    pub fn new() -> Tokens {
        Tokens::default()
    }

    /// Accepts `token`.
    ///
    /// ```
    /// use tempora_api::{ApiToken, Role, TokenHash, Tokens};
    ///
    /// let tokens = Tokens::new().with(ApiToken {
    ///     name: "ci".into(),
    ///     role: Role::Operate,
    ///     sha256: TokenHash::of("secret"),
    /// });
    /// assert_eq!(tokens.caller("secret").map(|caller| caller.role), Some(Role::Operate));
    /// assert!(tokens.caller("guess").is_none());
    /// ```
    pub fn with(mut self, token: ApiToken) -> Tokens {
        self.by_hash.insert(
            token.sha256,
            Caller {
                name: token.name,
                role: token.role,
            },
        );
        self
    }

    /// Protects `/metrics` (and any route of [`Access::Metrics`]) with the
    /// token of hash `hash`.
    pub fn with_metrics_token(mut self, hash: TokenHash) -> Tokens {
        self.metrics = Some(hash);
        self
    }

    /// True when no API token is configured.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The caller `token` belongs to, if it is known.
    pub fn caller(&self, token: &str) -> Option<&Caller> {
        self.by_hash.get(&TokenHash::of(token))
    }

    /// Whether a request bearing `token` (if any) may call a route of
    /// `access`: the caller, or the refusal to answer with.
    ///
    /// # Errors
    ///
    /// 401 for no token or an unknown one, 403 for a role too weak.
    pub fn check(&self, access: Access, token: Option<&str>) -> Result<Option<Caller>, ApiError> {
        match access {
            Access::Public => Ok(None),
            Access::Metrics => match (self.metrics, token) {
                (None, _) => Ok(None),
                (Some(hash), Some(token)) if TokenHash::of(token) == hash => Ok(Some(Caller {
                    name: "metrics".to_owned(),
                    role: Role::Read,
                })),
                (Some(_), token) => self.check(Access::Role(Role::Read), token),
            },
            Access::Role(needed) => {
                let Some(token) = token else {
                    return Err(ApiError::unauthorized(
                        "missing; send Authorization: Bearer TOKEN",
                    ));
                };
                let Some(caller) = self.caller(token) else {
                    return Err(ApiError::unauthorized("the token is not known"));
                };
                if !caller.role.allows(needed) {
                    return Err(ApiError::forbidden(format!(
                        "token {:?} has role {}; this needs {needed}",
                        caller.name, caller.role
                    )));
                }
                Ok(Some(caller.clone()))
            }
        }
    }
}

/// The token of an `Authorization: Bearer TOKEN` header, if there is one.
fn bearer(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// What the auth layer of one route knows: the tokens and the route's
/// access.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    pub(crate) tokens: Arc<Tokens>,
    pub(crate) access: Access,
}

/// The auth layer: answers 401/403 or passes the request on with its
/// [`Caller`] in the extensions.
pub(crate) async fn authorize(
    State(guard): State<Guard>,
    mut request: Request,
    next: Next,
) -> Response {
    match guard.tokens.check(guard.access, bearer(&request)) {
        Ok(caller) => {
            if let Some(caller) = caller {
                request.extensions_mut().insert(caller);
            }
            next.run(request).await
        }
        Err(error) => {
            let challenge = error.status() == StatusCode::UNAUTHORIZED;
            let mut response = error.into_response();
            if challenge {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            response
        }
    }
}
