//! Secrets for a plan: each declared credential resolved now and fingerprinted with the
//! state's key, so the pure planner compares fingerprints and never reads a variable or file.
//! Values never leave this module: only fingerprints and reasons do.

use crate::model::SmallMap;
use std::collections::BTreeMap;

use secrecy::SecretString;

use crate::diff::SecretStatus;
use crate::manifest::Declared;
use crate::model::ResourceKey;

/// Fingerprints secret values with the state's key.
pub(crate) struct SecretProbe {
    pub(crate) key: Vec<u8>,
}

impl SecretProbe {
    #[must_use]
    pub(crate) fn fingerprint(&self, key: &ResourceKey, credential: &str, value: &SecretString) -> String {
        crate::secret::fingerprint(&self.key, &format!("{key}/{credential}"), value)
    }
}

/// Each declared credential: the fingerprint of its current value, or why it cannot be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResolvedSecrets {
    by_resource: BTreeMap<ResourceKey, SmallMap<String, Result<String, String>>>,
    /// The key that made the fingerprints in state is gone: they cannot be compared, so every
    /// credential is unknown (never "changed").
    key_lost: bool,
}

impl ResolvedSecrets {
    /// Resolves every credential of `desired` now.
    #[must_use]
    pub(crate) fn resolve(desired: &[Declared], probe: &SecretProbe) -> Self {
        let mut by_resource = BTreeMap::new();
        for declared in desired {
            let key = declared.resource.key();
            let credentials: SmallMap<String, Result<String, String>> = declared
                .resource
                .secrets()
                .iter()
                .map(|(name, reference)| {
                    let fingerprint = reference
                        .resolve()
                        .map(|value| probe.fingerprint(&key, name, &value))
                        .map_err(|error| error.to_string());
                    (name.clone(), fingerprint)
                })
                .collect();
            if !credentials.is_empty() {
                by_resource.insert(key, credentials);
            }
        }
        Self {
            by_resource,
            key_lost: false,
        }
    }

    /// Marks the fingerprints recorded in state as made with a key that is gone.
    pub(crate) fn with_key_lost(mut self, lost: bool) -> Self {
        self.key_lost = lost;
        self
    }

    /// Whether the fingerprints recorded in state were made with a key that is gone.
    #[must_use]
    pub(crate) fn key_lost(&self) -> bool {
        self.key_lost
    }

    /// Records one credential's outcome (for tests of the planner).
    #[cfg(test)]
    pub(crate) fn insert(&mut self, key: ResourceKey, credential: &str, fingerprint: Result<String, String>) {
        self.by_resource
            .entry(key)
            .or_default()
            .insert(credential.to_owned(), fingerprint);
    }

    /// The status of each of `key`'s credentials against the fingerprints in state.
    #[must_use]
    pub(crate) fn statuses(
        &self,
        key: &ResourceKey,
        recorded: Option<&SmallMap<String, String>>,
    ) -> Vec<(String, SecretStatus)> {
        let Some(credentials) = self.by_resource.get(key) else {
            return Vec::new();
        };
        credentials
            .iter()
            .map(|(name, current)| {
                let status = match current {
                    Err(reason) => SecretStatus::Unresolvable(reason.clone()),
                    Ok(_) if self.key_lost => SecretStatus::Unknown,
                    Ok(fingerprint) => match recorded.and_then(|r| r.get(name)) {
                        None => SecretStatus::Unknown,
                        Some(previous) if previous == fingerprint => SecretStatus::Unchanged,
                        Some(_) => SecretStatus::Changed,
                    },
                };
                (name.clone(), status)
            })
            .collect()
    }
}
