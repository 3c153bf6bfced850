//! `tempora api token`: a new token for the daemon's HTTP API, and the
//! lines of the configuration file that accept it.
//!
//! The token is printed once, on the first line; the file keeps only its
//! SHA-256, so whoever reads the file cannot call the API with it.

use clap::{Args, Subcommand};
use tempora_api::{Role, TokenHash, new_token};

use crate::Result;

/// `tempora api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ApiCommand,
}

/// The `tempora api` commands.
#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Print a new random token (first line), then the `[[api.token]]`
    /// lines to paste into the configuration file, which hold its SHA-256,
    /// never the token.
    ///
    /// tempora api token --role operate --name ci
    Token {
        /// What the token may do: read (every GET), operate (read, and
        /// pause, resume, run, backfill) or admin (operate, and add,
        /// modify, delete).
        #[arg(long, default_value = "read", value_name = "ROLE")]
        role: String,
        /// A name for the log.
        #[arg(long, default_value = "token", value_name = "NAME")]
        name: String,
    },
}

/// Runs `tempora api`; returns what to print.
///
/// ```
/// use clap::Parser;
/// use tempora_cli::{Cli, Command, api};
///
/// let cli = Cli::try_parse_from(["tempora", "api", "token", "--role", "operate", "--name", "ci"])?;
/// let Command::Api(args) = &cli.command else { unreachable!() };
/// let out = api::run(args)?;
/// let token = out.lines().next().unwrap();
/// let hash = tempora_api::TokenHash::of(token).to_string();
/// assert!(out.contains("[[api.token]]\nname = \"ci\"\nrole = \"operate\"\n"));
/// assert!(out.contains(&format!("sha256 = \"{hash}\"")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// Field `role` for a role that is not read, operate or admin.
pub fn run(args: &ApiArgs) -> Result<String> {
    match &args.command {
        ApiCommand::Token { role, name } => {
            let role: Role = role.parse()?;
            let token = new_token();
            let hash = TokenHash::of(&token);
            let name = toml::Value::String(name.clone());
            Ok(format!(
                "{token}\n\n\
                 # Paste into the configuration file's [api] table; keep the token above\n\
                 # secret: it is printed once, and the file holds only its SHA-256.\n\
                 [[api.token]]\n\
                 name = {name}\n\
                 role = \"{role}\"\n\
                 sha256 = \"{hash}\"\n"
            ))
        }
    }
}
