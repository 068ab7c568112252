//! Promotion order between orgs: an org whose profile says `promoteFrom: staging` takes a
//! manifest set only once `staging` converged to it. This module owns the check `apply` runs
//! before logging in ([`check`]: the other org's state, opened read-only, against this
//! apply's [`SetVersion`]), what an apply says about it ([`Promotion`]), how `status` ranks an
//! org against the one it promotes from ([`Standing`]), and the git commit of the manifests
//! ([`commit_of`]). It reads state and runs git; it never talks to an org.
//!
//! Comes after `state` and `config`; used by `cli::apply` and `cli::status`, and the apply
//! stage carries a [`Promotion`] to its summary.

mod git;
pub(crate) mod status;

use serde::Serialize;

pub(crate) use git::commit_of;

use crate::config::StateConfig;
use crate::model::SetVersion;
use crate::state::{Converged, StateError, Store};

/// What an apply checked of the org it promotes from, for its summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "check")]
pub(crate) enum Promotion {
    /// The org promotes from none (or the command, `destroy`, is not checked).
    #[default]
    None,
    /// `from` converged to the same manifest set.
    InStep { from: String },
    /// `--skip-promotion-check`: `from` was not looked at.
    Skipped { from: String },
}

/// Why an apply may not go on.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PromotionError {
    #[error(
        "`{org}` promotes from `{from}`, which has not converged to these manifests: this apply has {this}, `{from}` converged to {theirs} at {at}. Apply them to `{from}` first (`d360 apply --org {from}`), or pass --skip-promotion-check",
        this = describe(this),
        theirs = describe(&theirs.set),
        at = theirs.at,
    )]
    Behind {
        org: String,
        from: String,
        this: SetVersion,
        theirs: Box<Converged>,
    },
    #[error(
        "`{org}` promotes from `{from}`, which has never converged to a manifest set (its state records no complete apply); this apply has {this}. Apply them to `{from}` first (`d360 apply --org {from}`), or pass --skip-promotion-check",
        this = describe(this),
    )]
    NeverApplied {
        org: String,
        from: String,
        this: SetVersion,
    },
    #[error(
        "`{org}` promotes from `{from}`, but the plan records no manifest set to compare (made by a d360 before promotion checks); run `d360 plan --out` again, or pass --skip-promotion-check"
    )]
    Unrecorded { org: String, from: String },
    #[error("cannot read the state of `{from}`, which `{org}` promotes from")]
    State {
        org: String,
        from: String,
        #[source]
        source: StateError,
    },
}

impl PromotionError {
    /// The org promoted from, which the refusal is about.
    #[must_use]
    pub(crate) fn promoted_from(&self) -> &str {
        match self {
            PromotionError::Behind { from, .. }
            | PromotionError::NeverApplied { from, .. }
            | PromotionError::Unrecorded { from, .. }
            | PromotionError::State { from, .. } => from,
        }
    }
}

/// `manifests 3f2a9c01b7de (commit abc1234)`, or without the commit outside git.
fn describe(set: &SetVersion) -> String {
    match &set.commit {
        Some(commit) => format!("manifests {} (commit {commit})", set.digest.short()),
        None => format!("manifests {} (no git commit)", set.digest.short()),
    }
}

/// The record of the last converged apply in the state at `config` (of org `name`), read
/// without a lock and without logging in to that org.
pub(crate) async fn converged_of(name: &str, config: &StateConfig) -> Result<Option<Converged>, StateError> {
    let store = Store::open(config, name).await?;
    Ok(store.load().await?.converged)
}

/// Whether `org` may take `this` manifest set: `from` (whose state is at `from_state`) must
/// have converged to the same digest. `this` is `None` when a saved plan records no set.
pub(crate) async fn check(
    org: &str,
    from: &str,
    from_state: &StateConfig,
    this: Option<&SetVersion>,
) -> Result<Promotion, PromotionError> {
    let Some(this) = this else {
        return Err(PromotionError::Unrecorded {
            org: org.to_owned(),
            from: from.to_owned(),
        });
    };
    let theirs = converged_of(from, from_state)
        .await
        .map_err(|source| PromotionError::State {
            org: org.to_owned(),
            from: from.to_owned(),
            source,
        })?;
    match theirs {
        Some(theirs) if theirs.set.digest == this.digest => Ok(Promotion::InStep { from: from.to_owned() }),
        Some(theirs) => Err(PromotionError::Behind {
            org: org.to_owned(),
            from: from.to_owned(),
            this: this.clone(),
            theirs: Box::new(theirs),
        }),
        None => Err(PromotionError::NeverApplied {
            org: org.to_owned(),
            from: from.to_owned(),
            this: this.clone(),
        }),
    }
}

/// How an org stands against the org it promotes from, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "standing")]
pub(crate) enum Standing {
    /// No `promoteFrom`.
    None,
    /// Both converged to the same digest.
    InStep { from: String },
    /// `from` converged to another digest than this org (or this org never did).
    Behind { from: String },
    /// `from` never converged.
    FromNeverApplied { from: String },
    /// `from`'s state could not be read.
    Unreadable { from: String, error: String },
}

impl Standing {
    /// Ranks `this` org's record against `from`'s.
    #[must_use]
    pub(crate) fn of(from: &str, this: Option<&Converged>, theirs: Option<&Converged>) -> Self {
        let from = from.to_owned();
        match (this, theirs) {
            (_, None) => Standing::FromNeverApplied { from },
            (Some(this), Some(theirs)) if this.set.digest == theirs.set.digest => Standing::InStep { from },
            _ => Standing::Behind { from },
        }
    }

    /// Whether the org is not where the org it promotes from is (for `--detailed-exitcode`).
    #[must_use]
    pub(crate) fn is_behind(&self) -> bool {
        matches!(self, Standing::Behind { .. } | Standing::FromNeverApplied { .. })
    }
}

impl std::fmt::Display for Standing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Standing::None => f.write_str("—"),
            Standing::InStep { from } => write!(f, "in step with {from}"),
            Standing::Behind { from } => write!(f, "behind {from}"),
            Standing::FromNeverApplied { from } => write!(f, "{from} never applied"),
            Standing::Unreadable { from, error } => write!(f, "{from}: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SetDigest;

    fn converged(digest: &str) -> Converged {
        Converged {
            set: SetVersion {
                digest: SetDigest::from_sha256(digest.as_bytes()),
                commit: None,
            },
            at: "2026-12-03T02:00:00Z".to_owned(),
            d360_version: "0.1.0".to_owned(),
        }
    }

    #[test]
    fn standing_compares_digests_with_the_org_promoted_from() {
        let (a, b) = (converged("a"), converged("b"));
        assert_eq!(Standing::of("dev", Some(&a), Some(&a)).to_string(), "in step with dev");
        assert_eq!(Standing::of("dev", Some(&a), Some(&b)).to_string(), "behind dev");
        assert_eq!(Standing::of("dev", None, Some(&b)).to_string(), "behind dev");
        assert_eq!(Standing::of("dev", Some(&a), None).to_string(), "dev never applied");
        assert!(Standing::of("dev", None, None).is_behind());
        assert!(!Standing::of("dev", Some(&a), Some(&a)).is_behind());
    }

    #[tokio::test]
    async fn an_apply_goes_on_only_when_the_org_promoted_from_converged_to_its_digest() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("staging.json");
        let config = StateConfig::Local { path: path.clone() };
        let this = converged("a").set;
        let never = check("prod", "staging", &config, Some(&this))
            .await
            .expect_err("refused");
        assert!(matches!(never, PromotionError::NeverApplied { .. }), "{never}");
        let store = Store::open(&config, "staging").await.expect("test setup");
        store.converge(Some(converged("b"))).await.expect("test setup");
        let behind = check("prod", "staging", &config, Some(&this))
            .await
            .expect_err("refused")
            .to_string();
        assert!(behind.contains(this.digest.short()), "{behind}");
        assert!(behind.contains(SetDigest::from_sha256(b"b").short()), "{behind}");
        store.converge(Some(converged("a"))).await.expect("test setup");
        assert_eq!(
            check("prod", "staging", &config, Some(&this))
                .await
                .expect("test setup"),
            Promotion::InStep {
                from: "staging".to_owned()
            }
        );
        assert!(matches!(
            check("prod", "staging", &config, None).await,
            Err(PromotionError::Unrecorded { .. })
        ));
    }
}
