//! What every kind's rendering shares: model values back into manifest words, `lifecycle`
//! and secret references. Credentials render as their references, never values; an org value
//! the manifest enums cannot express is [`Unrepresentable`], never replaced by a near one.

use std::path::Path;

use d360_wire::values::{Reported, Word};

use super::shared::{LifecycleSpec, SecretSource};
use crate::model::Lifecycle;
use crate::secret::SecretRef;

/// An org value that no manifest can express (a category or field type d360 does not know):
/// rendering it as something else would write a manifest that changes the object.
#[derive(Debug)]
pub(crate) struct Unrepresentable {
    what: &'static str,
    value: String,
}

impl std::fmt::Display for Unrepresentable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}` cannot be written in a manifest", self.what, self.value)
    }
}

/// The known value, as a manifest writes it; never a near one for a value d360 does not know.
pub(crate) fn word<T: Word>(value: &Reported<T>) -> Result<T, Unrepresentable> {
    value.to_known().map_err(|unknown| Unrepresentable {
        what: unknown.what,
        value: unknown.value,
    })
}

pub(crate) fn optional_word<T: Word>(value: Option<&Reported<T>>) -> Result<Option<T>, Unrepresentable> {
    value.map(word).transpose()
}

pub(crate) fn lifecycle(lifecycle: &Lifecycle) -> Option<LifecycleSpec> {
    (lifecycle != &Lifecycle::default()).then(|| LifecycleSpec {
        prevent_destroy: lifecycle.prevent_destroy,
        ignore_changes: lifecycle.ignore_changes.clone(),
    })
}

/// Renders a secret reference; file paths are shown relative to `base` when under it.
#[must_use]
pub(crate) fn secret_source(reference: &SecretRef, base: Option<&Path>) -> SecretSource {
    match reference {
        SecretRef::FromEnv(name) => SecretSource::FromEnv(name.clone()),
        SecretRef::FromFile(path) => {
            let shown = base.and_then(|base| path.strip_prefix(base).ok()).unwrap_or(path);
            SecretSource::FromFile(shown.display().to_string())
        }
        SecretRef::FromAwsSecret(reference) => SecretSource::FromAwsSecret(crate::secret::aws::AwsSecretSource {
            id: reference.id.clone(),
            key: reference.key.clone(),
            region: reference.region.clone(),
        }),
    }
}
