//! The promotion order of the profiles in `d360.yaml`: `promoteFrom: ORG` says an org applies
//! what ORG converged to first. Checked when the file is read (each names another profile of
//! the file, and no chain comes back to where it started); [`order`] lists the profiles with
//! every org after the one it promotes from (`--org all`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::ConfigError;
use super::file::{ConfigFile, OrgRaw};

/// Refuses a `promoteFrom` naming no profile of the file, the org itself, or closing a circle.
pub(super) fn check(config: &ConfigFile, path: &Path) -> Result<(), ConfigError> {
    let invalid = |org: &str, message: String| ConfigError::Profile {
        org: org.to_owned(),
        message: format!("{message} ({}, orgs.{org}.promoteFrom)", path.display()),
    };
    for (name, raw) in &config.orgs {
        if name == "all" {
            return Err(invalid(
                name,
                "the name `all` is reserved (`--org all` means every profile); rename the profile".to_owned(),
            ));
        }
        let Some(from) = &raw.promote_from else { continue };
        if from == name {
            return Err(invalid(name, "`promoteFrom` names the org itself".to_owned()));
        }
        if !config.orgs.contains_key(from) {
            let known: Vec<&str> = config.orgs.keys().map(String::as_str).collect();
            return Err(invalid(
                name,
                format!(
                    "`promoteFrom: {from}` names no profile of this file; its profiles are {}",
                    known.join(", ")
                ),
            ));
        }
    }
    for name in config.orgs.keys() {
        if let Some(circle) = circle_from(&config.orgs, name) {
            return Err(invalid(
                name,
                format!("`promoteFrom` goes round in a circle: {}", circle.join(" → ")),
            ));
        }
    }
    Ok(())
}

/// The chain of `promoteFrom` from `start`, when it comes back to `start`.
fn circle_from(orgs: &BTreeMap<String, OrgRaw>, start: &str) -> Option<Vec<String>> {
    let mut chain = vec![start.to_owned()];
    let mut current = start;
    while let Some(from) = orgs.get(current).and_then(|raw| raw.promote_from.as_deref()) {
        chain.push(from.to_owned());
        if from == start {
            return Some(chain);
        }
        if chain.len() > orgs.len() {
            // A circle further on, which its own start reports.
            return None;
        }
        current = from;
    }
    None
}

/// Every profile of the file, each after the org it promotes from, otherwise alphabetical.
#[must_use]
pub(super) fn order(config: &ConfigFile) -> Vec<String> {
    let mut placed: Vec<String> = Vec::with_capacity(config.orgs.len());
    let mut waiting: BTreeSet<&str> = config.orgs.keys().map(String::as_str).collect();
    while !waiting.is_empty() {
        let ready: Vec<&str> = waiting
            .iter()
            .copied()
            .filter(|name| {
                config.orgs[*name]
                    .promote_from
                    .as_ref()
                    .is_none_or(|from| placed.contains(from) || !config.orgs.contains_key(from))
            })
            .collect();
        // `check` refused circles, so something is always ready; place the rest as they are
        // rather than loop if it ever is not.
        let next: Vec<&str> = if ready.is_empty() {
            waiting.iter().copied().collect()
        } else {
            ready
        };
        // One at a time (the first ready one by name), so what it unblocks competes next.
        let first = next[0];
        waiting.remove(first);
        placed.push(first.to_owned());
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> ConfigFile {
        serde_yaml::from_str(text).expect("test config parses")
    }

    fn profiles(pairs: &[(&str, Option<&str>)]) -> ConfigFile {
        let mut text = String::from("orgs:\n");
        for (name, from) in pairs {
            text.push_str(&format!(
                "  {name}:\n    instanceUrl: https://{name}.my.salesforce.com\n    auth: {{ clientCredentials: {{ clientId: x, clientSecret: {{ fromEnv: S }} }} }}\n"
            ));
            if let Some(from) = from {
                text.push_str(&format!("    promoteFrom: {from}\n"));
            }
        }
        config(&text)
    }

    #[test]
    fn orders_each_org_after_the_one_it_promotes_from() {
        let file = profiles(&[
            ("prod", Some("staging")),
            ("staging", Some("dev")),
            ("dev", None),
            ("audit", None),
        ]);
        assert!(check(&file, Path::new("d360.yaml")).is_ok());
        assert_eq!(order(&file), ["audit", "dev", "staging", "prod"]);
    }

    #[test]
    fn refuses_unknown_self_and_circles() {
        let unknown = profiles(&[("prod", Some("stagng")), ("staging", None)]);
        let message = check(&unknown, Path::new("d360.yaml")).err().map(|e| e.to_string());
        assert!(
            message
                .as_deref()
                .is_some_and(|m| m.contains("`promoteFrom: stagng`") && m.contains("prod, staging")),
            "{message:?}"
        );
        let itself = profiles(&[("prod", Some("prod"))]);
        assert!(check(&itself, Path::new("d360.yaml")).is_err());
        let circle = profiles(&[("a", Some("b")), ("b", Some("c")), ("c", Some("a"))]);
        let message = check(&circle, Path::new("d360.yaml")).err().map(|e| e.to_string());
        assert!(
            message.as_deref().is_some_and(|m| m.contains("a → b → c → a")),
            "{message:?}"
        );
    }
}
