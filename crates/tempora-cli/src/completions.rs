//! `tempora completions SHELL` and `tempora man`: shell completion scripts
//! and manual pages, generated from the command line's definition (clap),
//! so they never disagree with `--help`.
//!
//! ```
//! use clap::Parser;
//! use tempora_cli::{Cli, run};
//!
//! let now = "2026-01-01T00:00:00Z".parse()?;
//! let bash = run(&Cli::try_parse_from(["tempora", "completions", "bash"])?, now)?;
//! assert!(bash.contains("complete -F _tempora"));
//! let page = run(&Cli::try_parse_from(["tempora", "man", "import", "crontab"])?, now)?;
//! assert!(page.starts_with(".ie \\n(.g .ds Aq \\(aq"));
//! assert!(page.contains(".TH tempora-import-crontab 1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::PathBuf;

use clap::{Args, CommandFactory, ValueEnum};
use tempora::Error;

use crate::Cli;

/// The shells `tempora completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// Bash (`/usr/share/bash-completion/completions/tempora`).
    Bash,
    /// Zsh (`/usr/share/zsh/vendor-completions/_tempora`).
    Zsh,
    /// Fish (`/usr/share/fish/vendor_completions.d/tempora.fish`).
    Fish,
}

/// `tempora completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh or fish.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `tempora man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (`tempora man jobs add`); none: the
    /// page of `tempora` itself.
    pub command: Vec<String>,
    /// Write every page (tempora.1, tempora-run.1, tempora-jobs-add.1, …)
    /// into this directory instead, one per command and subcommand.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

/// The completion script for `args.shell`.
pub fn completions(args: &CompletionsArgs) -> crate::Result<String> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tempora", &mut script);
    Ok(String::from_utf8_lossy(&script).into_owned())
}

/// Every command and subcommand, with the name of its page: `tempora`,
/// `tempora-jobs`, `tempora-jobs-add`, ….
fn pages(command: &clap::Command, prefix: &str, out: &mut Vec<(String, clap::Command)>) {
    let name = if prefix.is_empty() {
        command.get_name().to_owned()
    } else {
        format!("{prefix}-{}", command.get_name())
    };
    // The page's title is its full name; its usage line shows the words.
    let page = command
        .clone()
        .name(name.clone())
        .display_name(name.replace('-', " "));
    out.push((name.clone(), page));
    for sub in command.get_subcommands() {
        if sub.get_name() != "help" {
            pages(sub, &name, out);
        }
    }
}

fn render(command: clap::Command) -> crate::Result<String> {
    let mut page = Vec::new();
    let title = command.get_name().to_owned();
    clap_mangen::Man::new(command)
        .title(title)
        .render(&mut page)
        .map_err(|error| Error::invalid("man", error.to_string()))?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

/// `tempora man`: one page on stdout, or all of them into `--dir`.
///
/// # Errors
///
/// A command that does not exist, a directory that cannot be written.
pub fn man(args: &ManArgs) -> crate::Result<String> {
    let mut root = Cli::command();
    root.build();
    let mut all = Vec::new();
    pages(&root, "", &mut all);
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).map_err(|error| {
            Error::invalid("dir", format!("cannot create {}: {error}", dir.display()))
        })?;
        let mut written = String::new();
        for (name, command) in all {
            let path = dir.join(format!("{name}.1"));
            std::fs::write(&path, render(command)?).map_err(|error| {
                Error::invalid("dir", format!("cannot write {}: {error}", path.display()))
            })?;
            written.push_str(&format!("{}\n", path.display()));
        }
        return Ok(written);
    }
    let wanted = std::iter::once("tempora")
        .chain(args.command.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("-");
    match all.into_iter().find(|(name, _)| *name == wanted) {
        Some((_, command)) => render(command),
        None => Err(Error::invalid(
            "command",
            format!("{:?} is not a tempora command", args.command.join(" ")),
        )
        .into()),
    }
}
