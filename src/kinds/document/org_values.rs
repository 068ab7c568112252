//! The org a manifest set is loaded for: its profile name and the `values:` of its profile in
//! `d360.yaml`, read in manifests as `${org.NAME}` (`${org.name}` is the profile's name).
//!
//! A value is a plain string, read in text, or a secret reference (`{ fromEnv }`,
//! `{ fromFile }`, `{ fromAwsSecret }`), which only a credential may take, whole, as
//! `{ fromOrg: NAME }`: a secret never goes through text interpolation.

use std::collections::{BTreeMap, BTreeSet};

use crate::secret::SecretRef;

/// Whether a declared resource goes to the org the manifests are loaded for
/// (`metadata.orgs`, a set's `orgs` column). One for other orgs is neither created nor pruned
/// here: the plan treats its key as out of scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    ThisOrg,
    OtherOrgs,
}

/// The name and values of the org manifests are loaded for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrgValues {
    pub(crate) name: String,
    pub(crate) values: BTreeMap<String, String>,
    /// The values that are secret references (credentials take them as `{ fromOrg: NAME }`).
    pub(crate) secrets: BTreeMap<String, SecretRef>,
    /// Where the values are defined, for messages: `d360.yaml, orgs.staging.values`; for a
    /// built-in org (`local`, `env`), why it has none.
    pub(crate) defined_in: String,
    /// `local` or `env` with no profile in `d360.yaml`: it has no values to add to.
    pub(crate) built_in: bool,
    /// Every org `metadata.orgs` may name (the profiles of `d360.yaml`, `local` and `env`);
    /// `None` when no configuration was read (names are then not checked).
    pub(crate) known: Option<BTreeSet<String>>,
}

impl OrgValues {
    /// A built-in org (`local`, `env`, or no `d360.yaml` profile): its name and no values.
    #[must_use]
    pub(crate) fn built_in(name: &str) -> Self {
        OrgValues {
            name: name.to_owned(),
            values: BTreeMap::new(),
            secrets: BTreeMap::new(),
            defined_in: format!("`{name}` is built in and has no values"),
            built_in: true,
            known: None,
        }
    }

    /// Where a resource listing `orgs` goes (`None`: every org).
    #[must_use]
    pub(crate) fn placement(&self, orgs: Option<&[String]>) -> Placement {
        match orgs {
            Some(orgs) if !orgs.contains(&self.name) => Placement::OtherOrgs,
            _ => Placement::ThisOrg,
        }
    }

    /// Why `org` cannot be named in `metadata.orgs`, with a hint; `None` when it can.
    #[must_use]
    pub(crate) fn unknown_org(&self, org: &str) -> Option<(String, String)> {
        let known = self.known.as_ref()?;
        if known.contains(org) {
            return None;
        }
        let close = super::did_you_mean(org, known.iter().map(String::as_str))
            .map(|close| format!("did you mean `{close}`? "))
            .unwrap_or_default();
        Some((
            format!("org `{org}` is not defined in d360.yaml"),
            format!(
                "{close}the orgs are: {} (`local` and `env` are built in)",
                known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
            ),
        ))
    }

    /// The value `${org.KEY}` stands for, or why there is none.
    pub(crate) fn get(&self, key: &str) -> Result<String, String> {
        if key == "name" {
            return Ok(self.name.clone());
        }
        if self.secrets.contains_key(key) {
            return Err(format!(
                "org `{}`'s value `{key}` is a secret reference ({}): only a credential takes it, as `{{ fromOrg: {key} }}`",
                self.name, self.defined_in
            ));
        }
        self.values.get(key).cloned().ok_or_else(|| self.missing(key))
    }

    /// The reference `{ fromOrg: KEY }` stands for, or why there is none.
    pub(crate) fn secret(&self, key: &str) -> Result<SecretRef, String> {
        if let Some(reference) = self.secrets.get(key) {
            return Ok(reference.clone());
        }
        if key == "name" || self.values.contains_key(key) {
            return Err(format!(
                "org `{}`'s value `{key}` is a plain string, and a credential takes a reference ({})",
                self.name, self.defined_in
            ));
        }
        Err(self.missing(key))
    }

    fn missing(&self, key: &str) -> String {
        format!("org `{}` defines no value `{key}` ({})", self.name, self.defined_in)
    }

    /// The help for a value text cannot read: one the org does not define, or a secret.
    #[must_use]
    pub(crate) fn help_for_missing(&self, key: &str) -> String {
        if self.secrets.contains_key(key) {
            return format!(
                "a secret never goes into text: a credential takes it whole, `NAME: {{ fromOrg: {key} }}` under `spec.credentials`"
            );
        }
        if self.built_in {
            return format!(
                "run with `--org NAME`, a profile of d360.yaml whose `values:` define `{key}`; the built-in `{}` org has only `${{org.name}}`",
                self.name
            );
        }
        let known: Vec<&str> = std::iter::once("name")
            .chain(self.values.keys().map(String::as_str))
            .chain(self.secrets.keys().map(String::as_str))
            .collect();
        let close = super::did_you_mean(key, known.iter().copied())
            .map(|close| format!("did you mean `${{org.{close}}}`? "))
            .unwrap_or_default();
        format!(
            "{close}define `{key}` under `orgs.{}.values` in d360.yaml, or choose another org with --org; this org has: {}",
            self.name,
            known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        )
    }
}

impl Default for OrgValues {
    /// The built-in `local` org, the default of `--org`.
    fn default() -> Self {
        OrgValues::built_in("local")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_the_profile_and_missing_values_name_the_org() {
        let org = OrgValues {
            name: "staging".into(),
            values: BTreeMap::from([("rds_suffix".to_owned(), "stg.internal".to_owned())]),
            secrets: BTreeMap::from([(
                "db_password".to_owned(),
                SecretRef::FromEnv("STG_DB_PASSWORD".to_owned()),
            )]),
            defined_in: "d360.yaml, orgs.staging.values".into(),
            built_in: false,
            known: Some(BTreeSet::from([
                "local".to_owned(),
                "env".to_owned(),
                "staging".to_owned(),
            ])),
        };
        assert_eq!(org.placement(None), Placement::ThisOrg);
        assert_eq!(org.placement(Some(&["prod".to_owned()])), Placement::OtherOrgs);
        assert_eq!(
            org.placement(Some(&["prod".to_owned(), "staging".to_owned()])),
            Placement::ThisOrg
        );
        assert!(org.unknown_org("staging").is_none());
        assert_eq!(
            org.unknown_org("stagin").map(|(message, _)| message),
            Some("org `stagin` is not defined in d360.yaml".to_owned())
        );
        assert_eq!(org.get("name"), Ok("staging".to_owned()));
        assert_eq!(org.get("rds_suffix"), Ok("stg.internal".to_owned()));
        assert_eq!(
            org.get("rds_sufix"),
            Err("org `staging` defines no value `rds_sufix` (d360.yaml, orgs.staging.values)".to_owned())
        );
        assert!(
            org.help_for_missing("rds_sufix")
                .starts_with("did you mean `${org.rds_suffix}`?")
        );
        // A secret reference is a credential's, whole; a plain value is never a credential's.
        assert_eq!(
            org.secret("db_password"),
            Ok(SecretRef::FromEnv("STG_DB_PASSWORD".to_owned()))
        );
        assert!(
            org.get("db_password")
                .is_err_and(|e| e.contains("is a secret reference") && e.contains("`{ fromOrg: db_password }`"))
        );
        assert!(org.secret("rds_suffix").is_err_and(|e| e.contains("is a plain string")));
        assert!(org.secret("nope").is_err_and(|e| e.contains("defines no value `nope`")));
        assert_eq!(OrgValues::default().get("name"), Ok("local".to_owned()));
        assert!(OrgValues::default().get("x").is_err());
        assert!(
            OrgValues::default()
                .help_for_missing("x")
                .starts_with("run with `--org NAME`")
        );
    }
}
