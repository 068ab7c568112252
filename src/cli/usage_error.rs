//! Command lines d360 refuses after clap accepted them: flags that contradict each other,
//! names that do not resolve, an answer only a person at a terminal can give. One variant per
//! refusal, so a command says which one it means and a test can match it; the words are the
//! variant's `Display`. All of them exit 1, like clap's own refusals.

/// A command line that cannot be carried out as given.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UsageError {
    #[error(
        "this command works on one org, and --org names several (`{given}`); `plan`, `drift`, `validate`, `status` and `watch` take several: run it once per org"
    )]
    SeveralOrgs { given: String },
    #[error("--org `{name}` is given twice")]
    OrgTwice { name: String },
    #[error(
        "{flag} `{text}`: expected KIND/NAME such as `Connection/AWS_RDS_c01` or `DataStream/Clinic_c01_Patients`, or a bare name"
    )]
    Address { flag: &'static str, text: String },
    /// `given` names where the address came from: "--target `X`", or just "`X`".
    #[error("{given}: expected KIND/NAME or a bare name")]
    KindSlashName { given: String },
    #[error("--selector `{pair}`: expected KEY=VALUE such as `region=eu`")]
    Selector { pair: String },
    #[error("--match: not a valid regular expression: {problem}")]
    Pattern { problem: String },
    #[error(
        "no resource is declared in {} ({files} manifest file{} read); check the paths, or pass --allow-empty to go ahead (with --prune that deletes every managed object)",
        paths.join(", "),
        if *files == 1 { "" } else { "s" }
    )]
    NothingDeclared { paths: Vec<String>, files: usize },
    #[error(
        "--target, --selector, --exclude, --replace and --prune shape a plan; with a saved plan, give them to `d360 plan` instead"
    )]
    ShapingASavedPlan,
    #[error(
        "stdin is not a terminal, so there is no one to confirm; pass --auto-approve (as CI does) or apply a saved plan"
    )]
    NoTerminal,
    #[error(
        "`{path}` already exists; it is not overwritten (an org may trust its certificate). Pass --force to replace it, or --out another folder"
    )]
    KeyExists { path: String },
}
