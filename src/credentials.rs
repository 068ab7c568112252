//! The credentials manifests read from AWS Secrets Manager (`fromAwsSecret`), fetched once
//! each before a plan, so that resolving a reference later reads memory, not the network.
//! Comes after `manifest` (the resources) and before `plan` (which resolves them); the
//! requests themselves are `aws::secrets`'s.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::AwsError;
use crate::kinds::Resource;
use crate::model::ResourceKey;
use crate::secret::aws::{AwsSecretError, SecretId};
use crate::secret::{SecretError, SecretRef};

/// Why the credentials could not all be fetched.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Credentials that cannot be read: one line per kind of problem (see [`fetch`]).
    #[error("{}", .0.join("\n"))]
    Unreadable(Vec<String>),
}

/// Fetches every AWS secret `resources` name, once each, into the store `fromAwsSecret`
/// resolves from, and fails naming the resource and secret id when any credential cannot be
/// read (many resources with the same problem: one line with a count).
pub(crate) async fn fetch<'a>(
    resources: impl Iterator<Item = &'a Resource>,
    parallelism: usize,
) -> Result<(), FetchError> {
    let mut wanted: Vec<(ResourceKey, String, &crate::secret::aws::AwsSecretRef)> = Vec::new();
    for resource in resources {
        for (credential, reference) in resource.secrets() {
            if let SecretRef::FromAwsSecret(aws) = reference {
                wanted.push((resource.key(), credential.clone(), aws));
            }
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let secrets: BTreeSet<SecretId> = wanted.iter().map(|(_, _, aws)| aws.secret()).collect();
    let started = std::time::Instant::now();
    let (fetched, cost) = crate::aws::secrets::fetch(&secrets, parallelism).await?;
    tracing::info!(
        secrets = cost.secrets,
        requests = cost.requests,
        retries = cost.retries,
        parallelism,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "fetched AWS secrets"
    );
    crate::secret::aws::install(fetched);
    let mut problems = Vec::new();
    for (key, credential, aws) in wanted {
        if let Err(SecretError::Aws(error)) = crate::secret::aws::resolve(aws).map_err(SecretError::from) {
            problems.push(SecretProblem {
                key,
                credential,
                id: aws.id.clone(),
                error,
            });
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(FetchError::Unreadable(summarize(&problems)))
}

/// One credential that cannot be read.
struct SecretProblem {
    key: ResourceKey,
    credential: String,
    id: String,
    error: AwsSecretError,
}

/// How many resources a summary line names before `and N more`.
const NAMED_RESOURCES: usize = 3;

/// One line per kind of problem: a single resource in full, many with a count. A resource
/// whose credentials share one secret (`user` and `password` of `rds/x`) counts once.
fn summarize(problems: &[SecretProblem]) -> Vec<String> {
    type Credentials<'p> = BTreeMap<(&'p ResourceKey, &'p str), Vec<&'p str>>;
    let mut by_problem: BTreeMap<String, Credentials<'_>> = BTreeMap::new();
    for problem in problems {
        by_problem
            .entry(problem.error.problem())
            .or_default()
            .entry((&problem.key, &problem.id))
            .or_default()
            .push(&problem.credential);
    }
    by_problem
        .into_iter()
        .map(|(what, group)| {
            if let [((key, id), credentials)] = group.iter().collect::<Vec<_>>().as_slice() {
                let names: Vec<String> = credentials.iter().map(|c| format!("`{c}`")).collect();
                let noun = if names.len() == 1 { "credential" } else { "credentials" };
                return format!("error: {key}: AWS secret `{id}` {what} ({noun} {})", names.join(", "));
            }
            let named: Vec<String> = group
                .keys()
                .take(NAMED_RESOURCES)
                .map(|(key, id)| format!("{key} (`{id}`)"))
                .collect();
            let more = group.len().saturating_sub(NAMED_RESOURCES);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!(
                "error: {} resources: AWS secret {what}: {}{tail}",
                group.len(),
                named.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    fn problem(name: &str, credential: &str, error: AwsSecretError) -> SecretProblem {
        SecretProblem {
            key: ResourceKey {
                kind: Kind::Connection,
                name: name.to_owned(),
            },
            credential: credential.to_owned(),
            id: format!("rds/{name}"),
            error,
        }
    }

    #[test]
    fn one_problem_is_one_line_in_full_and_many_alike_are_counted() {
        let missing = |name: &str| AwsSecretError::Unavailable {
            id: format!("rds/{name}"),
            reason: "ResourceNotFoundException".to_owned(),
        };
        let mut problems = Vec::new();
        for name in ["a", "b", "c", "d", "e"] {
            problems.push(problem(name, "user", missing(name)));
            problems.push(problem(name, "password", missing(name)));
        }
        problems.push(problem(
            "f",
            "password",
            AwsSecretError::NoKey {
                id: "rds/f".to_owned(),
                key: "password".to_owned(),
            },
        ));
        assert_eq!(
            summarize(&problems),
            vec![
                "error: 5 resources: AWS secret cannot be read: ResourceNotFoundException: Connection/a (`rds/a`), Connection/b (`rds/b`), Connection/c (`rds/c`) and 2 more".to_owned(),
                "error: Connection/f: AWS secret `rds/f` has no key `password` (credential `password`)".to_owned(),
            ]
        );
    }
}
