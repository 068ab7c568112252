//! The command line as clap parses it: the program, the options every command takes, one
//! variant per subcommand (each with its file's `Args`), and the output formats several
//! commands share.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use super::manifests;
use super::usage_error::UsageError;
use super::{
    CliError, apply, auth, completions, destroy, drift, emulator, fmt, import, init, man, org, plan, reference,
};
use super::{render, schema, show, state, status, validate, version, watch};

/// Salesforce Data 360 connections and data streams as code.
#[derive(Debug, Parser)]
#[command(name = "d360", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct GlobalArgs {
    /// Org profile to use: a name from d360.yaml, `env`, or `local` (the built-in emulator).
    /// `plan`, `drift`, `validate`, `status` and `watch` take it more than once, and `all`
    /// (every profile of d360.yaml, in promotion order).
    #[arg(long, global = true, env = "D360_ORG", action = clap::ArgAction::Append, value_name = "NAME")]
    pub(crate) org: Vec<String>,
    /// Configuration file (default: ./d360.yaml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace). `RUST_LOG` also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// No ANSI colour (also when `NO_COLOR` is set or output is not a terminal).
    #[arg(long, global = true)]
    pub(crate) no_color: bool,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// AWS Secrets Manager reads in flight at once (`fromAwsSecret`).
    #[arg(long, global = true, env = "D360_AWS_PARALLELISM", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N")]
    pub(crate) aws_parallelism: u16,
}

impl GlobalArgs {
    /// How a command that plans loads manifests: for the `--org` given (its `${org.…}`
    /// values), fetching AWS inventories and secrets.
    pub(crate) fn manifests_to_plan(&self) -> manifests::Load {
        self.manifests_for(self.org.first().map(String::as_str), self.aws_secrets())
    }

    /// What a command that plans fetches from AWS: inventories and secrets, at most
    /// `--aws-parallelism` reads at a time.
    pub(crate) fn aws_secrets(&self) -> manifests::Aws {
        manifests::Aws::Secrets {
            parallelism: usize::from(self.aws_parallelism),
        }
    }

    /// How to load manifests for `org` (`None`: the default, `local`), fetching `aws`.
    pub(crate) fn manifests_for(&self, org: Option<&str>, aws: manifests::Aws) -> manifests::Load {
        manifests::Load {
            aws,
            org: org.map(str::to_owned),
            config: self.config.clone(),
        }
    }

    /// The one org `--org` names (`None`: the default); refused when given more than once.
    pub(crate) fn single_org(&self) -> Result<Option<&str>, CliError> {
        match self.org.as_slice() {
            [] => Ok(None),
            [one] if one != ALL_ORGS => Ok(Some(one)),
            several => Err(UsageError::SeveralOrgs {
                given: several.join("`, `"),
            }
            .into()),
        }
    }

    /// The orgs `--org` names, for commands that take several: `all` stands for every profile
    /// of d360.yaml (`config::profile_names`), a name given twice is refused.
    pub(crate) fn orgs(&self) -> Result<OrgChoice, CliError> {
        let several = self.org.len() > 1 || self.org.iter().any(|name| name == ALL_ORGS);
        if !several {
            return Ok(OrgChoice::One(self.org.first().cloned()));
        }
        let mut names: Vec<String> = Vec::new();
        for name in &self.org {
            if name == ALL_ORGS {
                let every = crate::config::profile_names(self.config.as_deref())?;
                let new: Vec<String> = every
                    .into_iter()
                    .filter(|n| !self.org.contains(n) && !names.contains(n))
                    .collect();
                names.extend(new);
            } else if names.contains(name) {
                return Err(UsageError::OrgTwice { name: name.clone() }.into());
            } else {
                names.push(name.clone());
            }
        }
        Ok(OrgChoice::Many(names))
    }
}

/// `--org all`: every profile of d360.yaml.
pub(crate) const ALL_ORGS: &str = "all";

/// Which orgs a command that takes several runs against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrgChoice {
    /// One org as before (`None`: the default, `local`).
    One(Option<String>),
    /// `--org` more than once, or `--org all`: in the order given (`all` in promotion order).
    Many(Vec<String>),
}

impl Command {
    /// Whether the command works on several orgs (`--org` repeated, `--org all`); every
    /// other command refuses them before doing anything.
    pub(crate) fn takes_several_orgs(&self) -> bool {
        matches!(
            self,
            Command::Validate(_) | Command::Plan(_) | Command::Drift(_) | Command::Status(_) | Command::Watch(_)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Parse, expand and check manifests offline.
    Validate(validate::Args),
    /// Print the expanded resources (after sets and interpolation; secrets as references).
    Render(render::Args),
    /// Write the JSON Schemas of the manifest documents.
    Schema(schema::Args),
    /// Read the org, diff it against the manifests and print the plan.
    Plan(plan::Args),
    /// Carry out a plan: from manifests, or a plan file saved by `plan --out`.
    Apply(apply::Args),
    /// Delete managed objects (all, or the targets), guarded like `apply --prune`.
    Destroy(destroy::Args),
    /// Report objects changed, deleted or created outside d360 (exit 2 on drift).
    Drift(drift::Args),
    /// Write manifests for live objects and record them as managed.
    Import(import::Args),
    /// Inspect and repair state.
    State(state::Args),
    /// Per org: the commit and manifest digest last applied in full, whether it is in step
    /// with the org it promotes from, and drift.
    Status(status::Args),
    /// Check access to an org and diagnose its setup.
    Org(org::Args),
    /// Make a key pair for the connected app (JWT bearer).
    Auth(auth::Args),
    /// Serve the Data 360 emulator.
    Emulator(emulator::Args),
    /// Rewrite manifests in one layout (schema key order, two-space indent, comments kept);
    /// `--check` for CI.
    Fmt(fmt::Args),
    /// Start a project: d360.yaml, manifests/ with an example, `.d360/` in .gitignore.
    Init(init::Args),
    /// Print a plan saved by `plan --out`, warning when it looks stale.
    Show(show::Args),
    /// Reconcile continuously: every interval, plan and check drift for each org (and with
    /// `--heal` apply), serving Prometheus metrics and health endpoints.
    Watch(watch::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Print the manual page, or write one page per command with `--out DIR`.
    Man(man::Args),
    /// Print d360's version (`--format json` for scripts).
    Version(version::Args),
    /// Write the book's generated references (commands, manifest fields); for maintainers.
    #[command(hide = true)]
    Reference(reference::Args),
}

/// `--format` of the commands that print either text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TextOrJson {
    Text,
    Json,
}
