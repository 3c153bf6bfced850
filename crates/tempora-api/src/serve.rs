//! Serving a router on an address: plain HTTP, or HTTPS through rustls
//! when a certificate and key are given, until a shutdown future
//! completes. [`ApiConfig`] is the `[api]` table of the daemon's
//! configuration file; [`ApiConfig::check`] turns it into
//! [`ServeSettings`] and [`Tokens`].

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use serde::Deserialize;
use tempora::Error;

use crate::auth::{ApiToken, Role, TokenHash, Tokens};

/// The `[api]` table: where the API listens, its TLS files, and the
/// tokens it accepts.
///
/// ```
/// use tempora_api::serve::ApiConfig;
///
/// let config: ApiConfig = toml::from_str(r#"
///     listen = "127.0.0.1:8080"
///     [[token]]
///     name = "ci"
///     role = "operate"
///     sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
/// "#)?;
/// let (settings, tokens) = config.check()?;
/// assert_eq!(settings.listen.port(), 8080);
/// assert!(tokens.caller("test").is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// The address to listen on: `127.0.0.1:8080`.
    pub listen: String,
    /// The certificate chain (PEM) to serve HTTPS with.
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// The SHA-256 (hex) of the token `/metrics` needs; open without.
    pub metrics_token_sha256: Option<String>,
    /// The tokens accepted: `[[api.token]]` tables.
    #[serde(default)]
    pub token: Vec<TokenConfig>,
}

/// One `[[api.token]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// A name for the log.
    pub name: String,
    /// `read`, `operate` or `admin`.
    pub role: String,
    /// The token's SHA-256 (hex); never the token itself.
    pub sha256: String,
}

/// Where and how to serve, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeSettings {
    /// The address.
    pub listen: SocketAddr,
    /// The certificate chain and key (PEM files) for HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl ApiConfig {
    /// The settings and tokens of the table, checked.
    ///
    /// # Errors
    ///
    /// Field `api.listen` for an address that does not read, or one that
    /// is not loopback while no token is configured; `api.tls_cert` /
    /// `api.tls_key` for one given without the other; `api.token.role`,
    /// `api.token.sha256` or `api.token.name` (a duplicate) for a bad
    /// token; `api.metrics_token_sha256`.
    ///
    /// ```
    /// use tempora_api::serve::ApiConfig;
    ///
    /// let open: ApiConfig = toml::from_str("listen = \"0.0.0.0:8080\"")?;
    /// assert_eq!(
    ///     open.check().unwrap_err().to_string(),
    ///     "api.listen: 0.0.0.0:8080 is not a loopback address and no [[api.token]] is configured; \
    ///      add one (tempora api token) or listen on 127.0.0.1"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self) -> tempora::Result<(ServeSettings, Tokens)> {
        let listen: SocketAddr = self.listen.parse().map_err(|_| {
            Error::invalid(
                "api.listen",
                format!(
                    "{:?} is not an address like \"127.0.0.1:8080\"",
                    self.listen
                ),
            )
        })?;
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::invalid(
                    "api.tls_key",
                    "missing; tls_cert needs the key of its certificate",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid(
                    "api.tls_cert",
                    "missing; tls_key needs its certificate",
                ));
            }
        };
        let mut tokens = Tokens::new();
        let mut names = std::collections::BTreeSet::new();
        for token in &self.token {
            let role: Role = token.role.parse().map_err(|error: Error| {
                Error::invalid("api.token.role", error.reason().unwrap_or_default())
            })?;
            let sha256: TokenHash = token.sha256.parse().map_err(|error: Error| {
                Error::invalid("api.token.sha256", error.reason().unwrap_or_default())
            })?;
            if !names.insert(token.name.as_str()) {
                return Err(Error::invalid(
                    "api.token.name",
                    format!("{:?} is given twice; names must be unique", token.name),
                ));
            }
            tokens = tokens.with(ApiToken {
                name: token.name.clone(),
                role,
                sha256,
            });
        }
        if let Some(hash) = &self.metrics_token_sha256 {
            let hash: TokenHash = hash.parse().map_err(|error: Error| {
                Error::invalid(
                    "api.metrics_token_sha256",
                    error.reason().unwrap_or_default(),
                )
            })?;
            tokens = tokens.with_metrics_token(hash);
        }
        if tokens.is_empty() && !listen.ip().is_loopback() {
            return Err(Error::invalid(
                "api.listen",
                format!(
                    "{listen} is not a loopback address and no [[api.token]] is configured; \
                     add one (tempora api token) or listen on 127.0.0.1"
                ),
            ));
        }
        Ok((ServeSettings { listen, tls }, tokens))
    }
}

/// How long a graceful shutdown lets requests in flight finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// An address bound, with its TLS settings loaded: ready to serve.
#[derive(Debug)]
pub struct Listener {
    listener: std::net::TcpListener,
    address: SocketAddr,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
}

/// Binds the address `settings` give and reads their certificate and
/// key, so that a mistake is found before anything is served.
///
/// # Errors
///
/// Field `api.listen` when the address cannot be bound; `api.tls_cert`
/// when the certificate or key cannot be read.
pub async fn bind(settings: &ServeSettings) -> tempora::Result<Listener> {
    let listen = settings.listen;
    let cannot_bind = |error: std::io::Error| {
        Error::invalid("api.listen", format!("cannot listen on {listen}: {error}"))
    };
    let listener = std::net::TcpListener::bind(listen).map_err(cannot_bind)?;
    listener.set_nonblocking(true).map_err(cannot_bind)?;
    let address = listener.local_addr().map_err(cannot_bind)?;
    let tls = match &settings.tls {
        None => None,
        Some((cert, key)) => {
            // One process-wide provider; a second install is refused and
            // the first kept.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|error| {
                    Error::invalid(
                        "api.tls_cert",
                        format!(
                            "cannot read {} with key {}: {error}",
                            cert.display(),
                            key.display()
                        ),
                    )
                })?;
            Some(config)
        }
    };
    Ok(Listener {
        listener,
        address,
        tls,
    })
}

impl Listener {
    /// The address bound (with the port chosen for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// True when it serves HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves `router` until `shutdown` completes, then lets the requests
    /// in flight finish (at most [`SHUTDOWN_GRACE`]).
    ///
    /// # Errors
    ///
    /// Field `api.listen` when serving fails.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future stops serving at once; complete `shutdown`
    /// instead for a graceful end.
    pub async fn serve(
        self,
        router: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> tempora::Result<()> {
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
        });
        let address = self.address;
        let failed =
            |error: std::io::Error| Error::invalid("api.listen", format!("{address}: {error}"));
        let service = router.into_make_service();
        match self.tls {
            None => axum_server::from_tcp(self.listener)
                .handle(handle)
                .serve(service)
                .await
                .map_err(failed),
            Some(tls) => axum_server::from_tcp_rustls(self.listener, tls)
                .handle(handle)
                .serve(service)
                .await
                .map_err(failed),
        }
    }
}
