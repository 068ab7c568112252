//! `d360 version [--format text|json]`: the version of this binary, as Terraform users ask for
//! it (`d360 --version` prints the same number).

use super::{CliError, Outcome, TextOrJson as Format, to_json};
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// `text` (one line) or `json` (an object for scripts).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// What `version --format json` prints.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Build {
    name: &'static str,
    version: &'static str,
    /// The Connect REST API version an org profile uses unless it names one.
    default_api_version: &'static str,
    /// The operating system and architecture the binary was built for.
    platform: String,
}

pub(crate) fn run(args: &Args) -> Result<Outcome, CliError> {
    let version = Build {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        default_api_version: crate::config::DEFAULT_API_VERSION,
        platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
    };
    match args.format {
        Format::Text => output::data(&format!(
            "d360 {} ({}; API v{} by default)",
            version.version, version.platform, version.default_api_version
        )),
        Format::Json => output::data(&to_json(&version)?),
    }
    Ok(Outcome::Success)
}
