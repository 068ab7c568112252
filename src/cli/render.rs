//! `d360 render [PATHS]`: print the expanded resources, secrets as references.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{CliError, GlobalArgs, Outcome, manifests};
use crate::kinds::Resource;
use crate::manifest::render;
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Manifest files or folders (default: ./manifests, else the current folder).
    pub(crate) paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub(crate) format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Yaml,
    Json,
}

pub(crate) async fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let load = global.manifests_for(global.single_org()?, manifests::Aws::Inventory);
    let loaded = manifests::load(&args.paths, load).await?;
    let base = std::env::current_dir().ok();
    let resources: Vec<&Resource> = loaded
        .resources
        .iter()
        .filter(|d| d.for_this_org())
        .map(|d| &*d.resource)
        .collect();
    match args.format {
        Format::Yaml => output::data(&render::to_yaml(&resources, base.as_deref())),
        Format::Json => {
            let documents: Vec<serde_json::Value> = resources
                .iter()
                .map(|r| render::document_value(r, base.as_deref()))
                .collect();
            output::data(&super::to_json(&documents)?);
        }
    }
    Ok(Outcome::Success)
}
