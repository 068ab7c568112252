//! Loading manifests for any command: default paths, printing diagnostics, and what the
//! manifests need from AWS (the RDS inventories of `fromAwsRds` sets, the secrets of
//! `fromAwsSecret` credentials), fetched here because `manifest` does no network I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::CliError;
use crate::kinds::Resource;
use crate::manifest::{self, Inventory, Loaded};
use crate::model::ResourceKey;
use crate::output;
use crate::secret::aws::{AwsSecretError, SecretId};
use crate::secret::{SecretError, SecretRef};

/// What a command needs from AWS besides the manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aws {
    /// The RDS inventories only (`render`).
    Inventory,
    /// The inventories and every `fromAwsSecret` value, at most `parallelism` reads at a time.
    Secrets { parallelism: usize },
}

/// The paths to read: those given, else `manifests/` when it exists, else the current folder.
#[must_use]
pub(crate) fn default_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    if !paths.is_empty() {
        return paths.to_vec();
    }
    let manifests = PathBuf::from("manifests");
    if manifests.is_dir() {
        vec![manifests]
    } else {
        vec![PathBuf::from(".")]
    }
}

/// Loads manifests, listing AWS RDS for the sets that ask, and prints every diagnostic and
/// where AWS items came from to stderr. Fails when any diagnostic is an error. With
/// [`Aws::Secrets`], also fetches the `fromAwsSecret` values (see [`fetch_secrets`]).
pub(crate) async fn load(paths: &[PathBuf], aws: Aws) -> Result<Loaded, CliError> {
    let mut loaded = load_quiet(paths)?;
    let queries = loaded.aws_queries();
    if !queries.is_empty() && !loaded.diagnostics.has_errors() {
        let mut fetched = BTreeMap::new();
        for query in queries {
            let discovery = crate::aws::rds::list(&query)
                .await
                .map_err(|source| CliError::AwsInventory {
                    query: query.to_string(),
                    source,
                })?;
            fetched.insert(query, discovery);
        }
        loaded = manifest::load_with(&default_paths(paths), Inventory::Fetched(&fetched))?;
        for items in &loaded.aws {
            output::message(&items.to_string());
        }
    }
    print_diagnostics(&loaded);
    if loaded.diagnostics.has_errors() {
        return Err(CliError::Reported(failure_summary(&loaded)));
    }
    if let Aws::Secrets { parallelism } = aws {
        fetch_secrets(loaded.resources.iter().map(|d| &*d.resource), parallelism).await?;
    }
    Ok(loaded)
}

/// Fetches every AWS secret `resources` name, once each, into the store `fromAwsSecret`
/// resolves from, and fails naming the resource and secret id when any credential cannot be
/// read (many resources with the same problem: one line with a count).
pub(crate) async fn fetch_secrets<'a>(
    resources: impl Iterator<Item = &'a Resource>,
    parallelism: usize,
) -> Result<(), CliError> {
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
    let lines = summarize(&problems);
    Err(CliError::Reported(lines.join("\n")))
}

/// Loads manifests without printing anything.
pub(crate) fn load_quiet(paths: &[PathBuf]) -> Result<Loaded, CliError> {
    Ok(manifest::load(&default_paths(paths))?)
}

/// Prints diagnostics (errors and warnings) to stderr.
pub(crate) fn print_diagnostics(loaded: &Loaded) {
    if !loaded.diagnostics.items.is_empty() {
        output::message(loaded.diagnostics.render(output::stderr_color()).trim_end());
    }
}

/// `error: 3 problems in manifests (…)`.
#[must_use]
pub(crate) fn failure_summary(loaded: &Loaded) -> String {
    let errors = loaded.diagnostics.error_count();
    let warnings = loaded.diagnostics.warning_count();
    format!(
        "error: {errors} error{} and {warnings} warning{} in {} file{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        loaded.files,
        if loaded.files == 1 { "" } else { "s" },
    )
}

/// `file:line:col: severity: message (at `path`; help: ...)`.
pub(crate) fn short_line(d: &crate::manifest::Diagnostic) -> String {
    let severity = match d.severity {
        crate::manifest::Severity::Error => "error",
        crate::manifest::Severity::Warning => "warning",
    };
    let mut line = format!(
        "{}:{}:{}: {severity}: {}",
        d.file.display(),
        d.pos.line,
        d.pos.column,
        d.message.replace('\n', " ")
    );
    if !d.path.is_empty() {
        line.push_str(&format!(" (at `{}`)", d.path));
    }
    if let Some(help) = &d.help {
        line.push_str(&format!("; help: {}", help.replace('\n', " ")));
    }
    line
}

/// At most this many problems are named in [`failure_detail`].
const NAMED: usize = 20;

/// The summary followed by each problem, `file:line:col: severity: message`, on one line
/// (for `watch`'s `/status` and run log, where the diagnostics printed above are not seen).
#[must_use]
pub(crate) fn failure_detail(loaded: &Loaded) -> String {
    let items = &loaded.diagnostics.items;
    let mut text = failure_summary(loaded);
    for diagnostic in items.iter().take(NAMED) {
        text.push_str("; ");
        text.push_str(&short_line(diagnostic));
    }
    if items.len() > NAMED {
        text.push_str(&format!("; and {} more", items.len() - NAMED));
    }
    text
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
