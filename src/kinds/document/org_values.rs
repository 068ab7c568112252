//! The org a manifest set is loaded for: its profile name and the `values:` of its profile in
//! `d360.yaml`, read in manifests as `${org.NAME}` (`${org.name}` is the profile's name).
//!
//! Values are plain strings: a secret never goes through text interpolation (credentials
//! take `{ fromEnv }` / `{ fromFile }` references directly).

use std::collections::BTreeMap;

/// The name and values of the org manifests are loaded for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrgValues {
    pub(crate) name: String,
    pub(crate) values: BTreeMap<String, String>,
    /// Where the values are defined, for messages: `d360.yaml, orgs.staging.values`; for a
    /// built-in org (`local`, `env`), why it has none.
    pub(crate) defined_in: String,
    /// `local` or `env` with no profile in `d360.yaml`: it has no values to add to.
    pub(crate) built_in: bool,
}

impl OrgValues {
    /// A built-in org (`local`, `env`, or no `d360.yaml` profile): its name and no values.
    #[must_use]
    pub(crate) fn built_in(name: &str) -> Self {
        OrgValues {
            name: name.to_owned(),
            values: BTreeMap::new(),
            defined_in: format!("`{name}` is built in and has no values"),
            built_in: true,
        }
    }

    /// The value `${org.KEY}` stands for, or why there is none.
    pub(crate) fn get(&self, key: &str) -> Result<String, String> {
        if key == "name" {
            return Ok(self.name.clone());
        }
        self.values
            .get(key)
            .cloned()
            .ok_or_else(|| format!("org `{}` defines no value `{key}` ({})", self.name, self.defined_in))
    }

    /// The help for a value the org does not define.
    #[must_use]
    pub(crate) fn help_for_missing(&self, key: &str) -> String {
        if self.built_in {
            return format!(
                "run with `--org NAME`, a profile of d360.yaml whose `values:` define `{key}`; the built-in `{}` org has only `${{org.name}}`",
                self.name
            );
        }
        let known: Vec<&str> = std::iter::once("name")
            .chain(self.values.keys().map(String::as_str))
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
            defined_in: "d360.yaml, orgs.staging.values".into(),
            built_in: false,
        };
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
        assert_eq!(OrgValues::default().get("name"), Ok("local".to_owned()));
        assert!(OrgValues::default().get("x").is_err());
        assert!(
            OrgValues::default()
                .help_for_missing("x")
                .starts_with("run with `--org NAME`")
        );
    }
}
