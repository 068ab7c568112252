//! Turning live objects into manifests: which objects to take, the environment variables
//! their write-only credentials will come from, and the files to write. The run itself
//! (`d360 import`: read the org, choose, write, record) is [`run`].

pub(crate) mod run;

use crate::model::SmallMap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::kinds::{LiveObject, Resource, registry};
use crate::manifest::render;
use crate::model::fingerprint_of;
use crate::state::Managed;

/// One object to import, ready to write.
#[derive(Debug, Clone)]
pub(crate) struct Imported {
    pub(crate) resource: Resource,
    pub(crate) id: String,
    /// Credential name to the variable the manifest reads it from.
    pub(crate) variables: BTreeMap<String, String>,
}

/// Prepares a live object as its kind writes it (credentials become `fromEnv` references).
#[must_use]
pub(crate) fn prepare(object: &LiveObject) -> Imported {
    let mut resource = object.resource.clone();
    let entry = registry::entry(resource.kind());
    let variables = (entry.prepare_import)(&mut resource, &object.credential_names);
    Imported {
        resource,
        id: object.id.clone(),
        variables,
    }
}

/// The file one resource is written to: `<kind's file stem>-<name>.yaml` (`connection-<name>.yaml`,
/// `data-stream-<name>.yaml`).
#[must_use]
pub(crate) fn file_for(out: &Path, imported: &Imported) -> PathBuf {
    let prefix = registry::entry(imported.resource.kind()).file_stem;
    out.join(format!("{prefix}-{}.yaml", imported.resource.name()))
}

/// The text of a manifest file for `resources`, with a header saying where it came from.
#[must_use]
pub(crate) fn manifest_text(resources: &[&Imported], org: &str) -> String {
    let mut text = format!(
        "# Imported from org `{org}` by `d360 import`. Credentials are write-only in the org: set the variables below.\n"
    );
    for imported in resources {
        for variable in imported.variables.values() {
            text.push_str(&format!("#   {variable}\n"));
        }
    }
    let list: Vec<&Resource> = resources.iter().map(|i| &i.resource).collect();
    text.push_str(&render::to_yaml(&list, None));
    text
}

/// The state record of an imported object (no secret fingerprints: none were applied).
#[must_use]
pub(crate) fn managed(imported: &Imported) -> Managed {
    let resource = &imported.resource;
    Managed {
        kind: resource.kind(),
        name: resource.name().to_owned(),
        id: imported.id.clone(),
        scope: resource.listing().scope,
        spec_digest: fingerprint_of("", &resource.fields()),
        secrets: SmallMap::new(),
        prevent_destroy: false,
        updated: crate::state::now_rfc3339(),
        not_kept: Vec::new(),
    }
}
